-- family: leakage
-- shared: zone_games
-- games_in_sample_10/20 and the paint, mid-range and three rates of the last 10 and 20 games equal a recomputation from the player's zone games (minutes > 0 or FGA > 0) of the season strictly before analysis_date, each rate over the window's games with all three zones (all-NaN zones once summed to 0 and made three_rate 100%)
WITH seasons AS (
  SELECT DISTINCT game_date, season_year FROM expected_games
),
events AS (
  -- on a shared day the stored row sorts first: "before" never includes that day's game
  SELECT player_lookup, season_year, game_date, 1 AS played,
         IF(zoned, paint_attempts, 0) AS paint, IF(zoned, mid_range_attempts, 0) AS mid,
         IF(zoned, three_attempts_pbp, 0) AS three,
         CAST(NULL AS INT64) AS s_games10, CAST(NULL AS INT64) AS s_games20,
         CAST(NULL AS FLOAT64) AS s_paint10, CAST(NULL AS FLOAT64) AS s_mid10, CAST(NULL AS FLOAT64) AS s_three10,
         CAST(NULL AS FLOAT64) AS s_paint20, CAST(NULL AS FLOAT64) AS s_mid20, CAST(NULL AS FLOAT64) AS s_three20
  FROM zone_games
  UNION ALL
  SELECT z.player_lookup, s.season_year, z.analysis_date, 0, NULL, NULL, NULL,
         z.games_in_sample_10, z.games_in_sample_20,
         z.paint_rate_last_10, z.mid_range_rate_last_10, z.three_pt_rate_last_10,
         z.paint_rate_last_20, z.mid_range_rate_last_20, z.three_pt_rate_last_20
  FROM nba_precompute.player_shot_zone_analysis AS z
  LEFT JOIN seasons AS s ON s.game_date = z.analysis_date
  WHERE z.analysis_date BETWEEN @start_date AND @end_date
),
seq AS (
  -- running sums in game order: a window of the last N games is the difference of two of them (one pass, no
  -- self-join of every game with every earlier game)
  SELECT *,
    SUM(played) OVER w AS k,
    SUM(IF(played = 1, paint, 0)) OVER w AS cum_paint,
    SUM(IF(played = 1, mid, 0)) OVER w AS cum_mid,
    SUM(IF(played = 1, three, 0)) OVER w AS cum_three
  FROM events
  WINDOW w AS (PARTITION BY player_lookup, season_year ORDER BY game_date, played ROWS UNBOUNDED PRECEDING)
),
played_seq AS (SELECT player_lookup, season_year, k, cum_paint, cum_mid, cum_three FROM seq WHERE played = 1),
windows AS (
  SELECT t.player_lookup, t.game_date, t.k, t.s_games10, t.s_games20,
    t.s_paint10, t.s_mid10, t.s_three10, t.s_paint20, t.s_mid20, t.s_three20,
    t.cum_paint - COALESCE(p10.cum_paint, 0) AS paint10, t.cum_mid - COALESCE(p10.cum_mid, 0) AS mid10,
    t.cum_three - COALESCE(p10.cum_three, 0) AS three10,
    t.cum_paint - COALESCE(p20.cum_paint, 0) AS paint20, t.cum_mid - COALESCE(p20.cum_mid, 0) AS mid20,
    t.cum_three - COALESCE(p20.cum_three, 0) AS three20
  FROM seq AS t
  LEFT JOIN played_seq AS p10
    ON p10.player_lookup = t.player_lookup AND p10.season_year = t.season_year AND p10.k = t.k - LEAST(10, t.k)
  LEFT JOIN played_seq AS p20
    ON p20.player_lookup = t.player_lookup AND p20.season_year = t.season_year AND p20.k = t.k - LEAST(20, t.k)
  WHERE t.played = 0
),
rates AS (
  SELECT *,
    100 * SAFE_DIVIDE(paint10, paint10 + mid10 + three10) AS paint_10,
    100 * SAFE_DIVIDE(mid10, paint10 + mid10 + three10) AS mid_10,
    100 * SAFE_DIVIDE(three10, paint10 + mid10 + three10) AS three_10,
    100 * SAFE_DIVIDE(paint20, paint20 + mid20 + three20) AS paint_20,
    100 * SAFE_DIVIDE(mid20, paint20 + mid20 + three20) AS mid_20,
    100 * SAFE_DIVIDE(three20, paint20 + mid20 + three20) AS three_20
  FROM windows
),
judged AS (
  -- rates are stored rounded to 2 decimals: within 0.0051 of the exact rate; NULL only where the window has no
  -- zoned attempt
  SELECT game_date, player_lookup,
    CASE
      WHEN k = 0 THEN 'a row with no earlier zone game this season'
      WHEN COALESCE(s_games10 = LEAST(10, k), FALSE) IS NOT TRUE
        THEN CONCAT('games_in_sample_10 ', COALESCE(CAST(s_games10 AS STRING), 'NULL'), ' vs ', CAST(LEAST(10, k) AS STRING))
      WHEN COALESCE(s_games20 = LEAST(20, k), FALSE) IS NOT TRUE
        THEN CONCAT('games_in_sample_20 ', COALESCE(CAST(s_games20 AS STRING), 'NULL'), ' vs ', CAST(LEAST(20, k) AS STRING))
      WHEN COALESCE(ABS(s_paint10 - paint_10) <= 0.0051, s_paint10 IS NULL AND paint_10 IS NULL) IS NOT TRUE
        THEN CONCAT('paint_rate_last_10 ', COALESCE(CAST(s_paint10 AS STRING), 'NULL'), ' vs ',
                    COALESCE(CAST(ROUND(paint_10, 2) AS STRING), 'NULL'), ' from the last ', CAST(LEAST(10, k) AS STRING),
                    ' earlier games')
      WHEN COALESCE(ABS(s_mid10 - mid_10) <= 0.0051, s_mid10 IS NULL AND mid_10 IS NULL) IS NOT TRUE
        THEN CONCAT('mid_range_rate_last_10 ', COALESCE(CAST(s_mid10 AS STRING), 'NULL'), ' vs ',
                    COALESCE(CAST(ROUND(mid_10, 2) AS STRING), 'NULL'))
      WHEN COALESCE(ABS(s_three10 - three_10) <= 0.0051, s_three10 IS NULL AND three_10 IS NULL) IS NOT TRUE
        THEN CONCAT('three_pt_rate_last_10 ', COALESCE(CAST(s_three10 AS STRING), 'NULL'), ' vs ',
                    COALESCE(CAST(ROUND(three_10, 2) AS STRING), 'NULL'))
      WHEN COALESCE(ABS(s_paint20 - paint_20) <= 0.0051, s_paint20 IS NULL AND paint_20 IS NULL) IS NOT TRUE
        THEN CONCAT('paint_rate_last_20 ', COALESCE(CAST(s_paint20 AS STRING), 'NULL'), ' vs ',
                    COALESCE(CAST(ROUND(paint_20, 2) AS STRING), 'NULL'), ' from the last ', CAST(LEAST(20, k) AS STRING),
                    ' earlier games')
      WHEN COALESCE(ABS(s_mid20 - mid_20) <= 0.0051, s_mid20 IS NULL AND mid_20 IS NULL) IS NOT TRUE
        THEN CONCAT('mid_range_rate_last_20 ', COALESCE(CAST(s_mid20 AS STRING), 'NULL'), ' vs ',
                    COALESCE(CAST(ROUND(mid_20, 2) AS STRING), 'NULL'))
      WHEN COALESCE(ABS(s_three20 - three_20) <= 0.0051, s_three20 IS NULL AND three_20 IS NULL) IS NOT TRUE
        THEN CONCAT('three_pt_rate_last_20 ', COALESCE(CAST(s_three20 AS STRING), 'NULL'), ' vs ',
                    COALESCE(CAST(ROUND(three_20, 2) AS STRING), 'NULL'))
    END AS reason
  FROM rates
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', player_lookup, ': ', reason) AS example
FROM judged
WHERE reason IS NOT NULL
