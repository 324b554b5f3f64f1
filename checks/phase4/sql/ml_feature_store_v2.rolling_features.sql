-- family: leakage
-- shared: played_games
-- features points_avg_last_5/10/season (indexes 0-2) equal a recomputation from the player's played games of the
-- season strictly before game_date (the 10.0 default when fewer than 3 such games: no player_daily_cache row), and
-- days_rest (index 12) equals upcoming_player_game_context.days_rest (default 2)
WITH seasons AS (
  SELECT DISTINCT game_date, season_year FROM expected_games
),
events AS (
  SELECT player_lookup, season_year, game_date, 1 AS played, points, CAST(NULL AS FLOAT64) AS f0,
         CAST(NULL AS FLOAT64) AS f1, CAST(NULL AS FLOAT64) AS f2, CAST(NULL AS FLOAT64) AS f12
  FROM played_games
  UNION ALL
  SELECT m.player_lookup, s.season_year, m.game_date, 0, NULL, m.features[SAFE_OFFSET(0)], m.features[SAFE_OFFSET(1)],
         m.features[SAFE_OFFSET(2)], m.features[SAFE_OFFSET(12)]
  FROM nba_predictions.ml_feature_store_v2 AS m
  LEFT JOIN seasons AS s ON s.game_date = m.game_date
  WHERE m.game_date BETWEEN @start_date AND @end_date
),
seq AS (
  SELECT *,
    SUM(played) OVER w AS k,
    SUM(IF(played = 1, points, 0)) OVER w AS cum_points
  FROM events
  WINDOW w AS (PARTITION BY player_lookup, season_year ORDER BY game_date, played ROWS UNBOUNDED PRECEDING)
),
played_seq AS (SELECT player_lookup, season_year, k, cum_points FROM seq WHERE played = 1),
targets AS (
  SELECT t.player_lookup, t.game_date, t.f0, t.f1, t.f2, t.f12, t.k,
    IF(t.k >= 3, SAFE_DIVIDE(t.cum_points - COALESCE(p5.cum_points, 0), LEAST(5, t.k)), 10.0) AS avg_5,
    IF(t.k >= 3, SAFE_DIVIDE(t.cum_points - COALESCE(p10.cum_points, 0), LEAST(10, t.k)), 10.0) AS avg_10,
    IF(t.k >= 3, SAFE_DIVIDE(t.cum_points, t.k), 10.0) AS avg_season,
    COALESCE(u.days_rest, 2) AS rest
  FROM seq AS t
  LEFT JOIN played_seq AS p5
    ON p5.player_lookup = t.player_lookup AND p5.season_year = t.season_year AND p5.k = t.k - LEAST(5, t.k)
  LEFT JOIN played_seq AS p10
    ON p10.player_lookup = t.player_lookup AND p10.season_year = t.season_year AND p10.k = t.k - LEAST(10, t.k)
  LEFT JOIN nba_analytics.upcoming_player_game_context AS u
    ON u.player_lookup = t.player_lookup AND u.game_date = t.game_date
   AND u.game_date BETWEEN @start_date AND @end_date
  WHERE t.played = 0
),
judged AS (
  SELECT game_date, player_lookup,
    CASE
      WHEN COALESCE(ABS(f0 - avg_5) <= 0.051, FALSE) IS NOT TRUE
        THEN CONCAT('points_avg_last_5 ', COALESCE(CAST(f0 AS STRING), 'NULL'), ' vs ', COALESCE(CAST(ROUND(avg_5, 2) AS STRING), 'NULL'),
                    ' from ', CAST(k AS STRING), ' earlier games')
      WHEN COALESCE(ABS(f1 - avg_10) <= 0.051, FALSE) IS NOT TRUE
        THEN CONCAT('points_avg_last_10 ', COALESCE(CAST(f1 AS STRING), 'NULL'), ' vs ', COALESCE(CAST(ROUND(avg_10, 2) AS STRING), 'NULL'))
      WHEN COALESCE(ABS(f2 - avg_season) <= 0.051, FALSE) IS NOT TRUE
        THEN CONCAT('points_avg_season ', COALESCE(CAST(f2 AS STRING), 'NULL'), ' vs ', COALESCE(CAST(ROUND(avg_season, 2) AS STRING), 'NULL'))
      WHEN COALESCE(f12 = rest, FALSE) IS NOT TRUE
        THEN CONCAT('days_rest ', COALESCE(CAST(f12 AS STRING), 'NULL'), ' vs ', CAST(rest AS STRING))
    END AS reason
  FROM targets
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', player_lookup, ': ', reason) AS example
FROM judged
WHERE reason IS NOT NULL
