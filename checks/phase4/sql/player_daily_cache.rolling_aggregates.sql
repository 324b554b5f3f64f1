-- family: leakage
-- shared: played_games
-- points_avg_last_5/10, points_avg_season, games_played_season, minutes_avg_last_10 and usage_rate_last_10 (mean of the non-NULL
-- values) equal a recomputation from the player's played
-- games (player_game_summary: active, minutes > 0) of the same season strictly before cache_date
WITH seasons AS (
  SELECT DISTINCT game_date, season_year FROM expected_games
),
events AS (
  -- on a shared day the cache row sorts first: "before" never includes that day's game
  SELECT player_lookup, season_year, game_date, 1 AS played, points, minutes_played, usage_rate,
         CAST(NULL AS FLOAT64) AS s5, CAST(NULL AS FLOAT64) AS s10, CAST(NULL AS FLOAT64) AS s_season,
         CAST(NULL AS INT64) AS s_games, CAST(NULL AS FLOAT64) AS s_min10, CAST(NULL AS FLOAT64) AS s_usg10
  FROM played_games
  UNION ALL
  SELECT c.player_lookup, s.season_year, c.cache_date, 0, NULL, NULL, NULL, c.points_avg_last_5, c.points_avg_last_10,
         c.points_avg_season, c.games_played_season, c.minutes_avg_last_10, c.usage_rate_last_10
  FROM nba_precompute.player_daily_cache AS c
  LEFT JOIN seasons AS s ON s.game_date = c.cache_date
  WHERE c.cache_date BETWEEN @start_date AND @end_date
),
seq AS (
  SELECT *,
    SUM(played) OVER w AS k,
    SUM(IF(played = 1, points, 0)) OVER w AS cum_points,
    SUM(IF(played = 1, minutes_played, 0)) OVER w AS cum_minutes,
    SUM(IF(played = 1, COALESCE(usage_rate, 0), 0)) OVER w AS cum_usage,
    SUM(IF(played = 1 AND usage_rate IS NOT NULL, 1, 0)) OVER w AS cum_usage_n
  FROM events
  WINDOW w AS (PARTITION BY player_lookup, season_year ORDER BY game_date, played ROWS UNBOUNDED PRECEDING)
),
played_seq AS (SELECT player_lookup, season_year, k, cum_points, cum_minutes, cum_usage, cum_usage_n FROM seq WHERE played = 1),
targets AS (
  SELECT t.player_lookup, t.game_date, t.s5, t.s10, t.s_season, t.s_games, t.k, t.s_min10, t.s_usg10,
    SAFE_DIVIDE(t.cum_minutes - COALESCE(p10.cum_minutes, 0), LEAST(10, t.k)) AS min_10,
    SAFE_DIVIDE(t.cum_usage - COALESCE(p10.cum_usage, 0), t.cum_usage_n - COALESCE(p10.cum_usage_n, 0)) AS usg_10,
    SAFE_DIVIDE(t.cum_points - COALESCE(p5.cum_points, 0), LEAST(5, t.k)) AS avg_5,
    SAFE_DIVIDE(t.cum_points - COALESCE(p10.cum_points, 0), LEAST(10, t.k)) AS avg_10,
    SAFE_DIVIDE(t.cum_points, t.k) AS avg_season
  FROM seq AS t
  LEFT JOIN played_seq AS p5
    ON p5.player_lookup = t.player_lookup AND p5.season_year = t.season_year AND p5.k = t.k - LEAST(5, t.k)
  LEFT JOIN played_seq AS p10
    ON p10.player_lookup = t.player_lookup AND p10.season_year = t.season_year AND p10.k = t.k - LEAST(10, t.k)
  WHERE t.played = 0
),
judged AS (
  SELECT game_date, player_lookup,
    CASE
      WHEN COALESCE(s_games = k, FALSE) IS NOT TRUE
        THEN CONCAT('games_played_season ', COALESCE(CAST(s_games AS STRING), 'NULL'), ' vs ', CAST(k AS STRING), ' earlier games')
      WHEN COALESCE(ABS(s5 - avg_5) <= 0.051, FALSE) IS NOT TRUE
        THEN CONCAT('points_avg_last_5 ', COALESCE(CAST(s5 AS STRING), 'NULL'), ' vs ', COALESCE(CAST(ROUND(avg_5, 2) AS STRING), 'NULL'))
      WHEN COALESCE(ABS(s10 - avg_10) <= 0.051, FALSE) IS NOT TRUE
        THEN CONCAT('points_avg_last_10 ', COALESCE(CAST(s10 AS STRING), 'NULL'), ' vs ', COALESCE(CAST(ROUND(avg_10, 2) AS STRING), 'NULL'))
      WHEN COALESCE(ABS(s_season - avg_season) <= 0.051, FALSE) IS NOT TRUE
        THEN CONCAT('points_avg_season ', COALESCE(CAST(s_season AS STRING), 'NULL'), ' vs ',
                  COALESCE(CAST(ROUND(avg_season, 2) AS STRING), 'NULL'))
      WHEN COALESCE(ABS(s_min10 - min_10) <= 0.051, FALSE) IS NOT TRUE
        THEN CONCAT('minutes_avg_last_10 ', COALESCE(CAST(s_min10 AS STRING), 'NULL'), ' vs ',
                    COALESCE(CAST(ROUND(min_10, 2) AS STRING), 'NULL'), ' from the last 10 earlier games')
      WHEN COALESCE(ABS(s_usg10 - usg_10) <= 0.0051, s_usg10 IS NULL AND usg_10 IS NULL) IS NOT TRUE
        THEN CONCAT('usage_rate_last_10 ', COALESCE(CAST(s_usg10 AS STRING), 'NULL'), ' vs ',
                    COALESCE(CAST(ROUND(usg_10, 2) AS STRING), 'NULL'), ' from the last 10 earlier games')
    END AS reason
  FROM targets
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', player_lookup, ': ', reason) AS example
FROM judged
WHERE reason IS NOT NULL
