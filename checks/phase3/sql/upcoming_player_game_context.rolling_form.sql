-- family: leakage
-- points_avg_last_5/10, days_rest, games_in_last_7/14_days and minutes_in_last_7/14_days equal a recomputation from the player's played games
-- (gamebook: active, minutes > 0) strictly before the row's date, within the processor's 30-day lookback
WITH gamebook AS (
  SELECT player_lookup, game_date, points,
    SAFE_CAST(SPLIT(minutes, ':')[SAFE_OFFSET(0)] AS INT64)
      + SAFE_CAST(SPLIT(minutes, ':')[SAFE_OFFSET(1)] AS INT64) / 60 AS minutes_decimal,
    player_status
  FROM nba_raw.nbac_gamebook_player_stats
  WHERE game_date BETWEEN DATE_SUB(@start_date, INTERVAL 30 DAY) AND @end_date
  QUALIFY ROW_NUMBER() OVER (PARTITION BY game_date, player_lookup ORDER BY processed_at DESC) = 1
),
events AS (
  -- played games and the rows to verify, one sequence per player; on a shared day the row to
  -- verify sorts first, so "before" never includes the game being predicted
  SELECT player_lookup, game_date, 1 AS played, points, minutes_decimal, CAST(NULL AS FLOAT64) AS stored_5,
         CAST(NULL AS FLOAT64) AS stored_10, CAST(NULL AS INT64) AS stored_rest, CAST(NULL AS INT64) AS stored_g7,
         CAST(NULL AS INT64) AS stored_g14, CAST(NULL AS FLOAT64) AS stored_m7, CAST(NULL AS FLOAT64) AS stored_m14
  FROM gamebook WHERE player_status = 'active' AND minutes_decimal > 0
  UNION ALL
  SELECT player_lookup, game_date, 0, NULL, NULL, points_avg_last_5, points_avg_last_10, days_rest, games_in_last_7_days,
         games_in_last_14_days, minutes_in_last_7_days, minutes_in_last_14_days
  FROM nba_analytics.upcoming_player_game_context
  WHERE game_date BETWEEN @start_date AND @end_date
),
seq AS (
  SELECT *,
    SUM(played) OVER (PARTITION BY player_lookup ORDER BY game_date, played ROWS UNBOUNDED PRECEDING) AS k,
    SUM(IF(played = 1, points, 0)) OVER (PARTITION BY player_lookup ORDER BY game_date, played
                                         ROWS UNBOUNDED PRECEDING) AS cum_points,
    SUM(played) OVER (PARTITION BY player_lookup ORDER BY DATE_DIFF(game_date, DATE '1970-01-01', DAY)
                      RANGE BETWEEN 30 PRECEDING AND 1 PRECEDING) AS in_30,
    SUM(played) OVER (PARTITION BY player_lookup ORDER BY DATE_DIFF(game_date, DATE '1970-01-01', DAY)
                      RANGE BETWEEN 6 PRECEDING AND 1 PRECEDING) AS in_7,
    SUM(played) OVER (PARTITION BY player_lookup ORDER BY DATE_DIFF(game_date, DATE '1970-01-01', DAY)
                      RANGE BETWEEN 13 PRECEDING AND 1 PRECEDING) AS in_14,
    SUM(IF(played = 1, minutes_decimal, 0)) OVER (PARTITION BY player_lookup ORDER BY DATE_DIFF(game_date, DATE '1970-01-01', DAY)
                      RANGE BETWEEN 6 PRECEDING AND 1 PRECEDING) AS min_7,
    SUM(IF(played = 1, minutes_decimal, 0)) OVER (PARTITION BY player_lookup ORDER BY DATE_DIFF(game_date, DATE '1970-01-01', DAY)
                      RANGE BETWEEN 13 PRECEDING AND 1 PRECEDING) AS min_14,
    MAX(IF(played = 1, game_date, NULL)) OVER (PARTITION BY player_lookup ORDER BY game_date, played
                                               ROWS UNBOUNDED PRECEDING) AS last_played
  FROM events
),
played_seq AS (SELECT player_lookup, k, cum_points FROM seq WHERE played = 1),
targets AS (
  SELECT t.player_lookup, t.game_date, t.stored_5, t.stored_10, t.stored_rest, t.stored_g7, t.stored_g14, t.stored_m7,
    t.stored_m14, COALESCE(t.in_14, 0) AS g14, COALESCE(t.min_7, 0) AS m7, COALESCE(t.min_14, 0) AS m14,
    LEAST(5, t.in_30) AS n5, LEAST(10, t.in_30) AS n10,
    SAFE_DIVIDE(t.cum_points - COALESCE(p5.cum_points, 0), LEAST(5, t.in_30)) AS avg_5,
    SAFE_DIVIDE(t.cum_points - COALESCE(p10.cum_points, 0), LEAST(10, t.in_30)) AS avg_10,
    IF(t.in_30 > 0, DATE_DIFF(t.game_date, t.last_played, DAY), NULL) AS rest,
    COALESCE(t.in_7, 0) AS g7
  FROM seq AS t
  LEFT JOIN played_seq AS p5 ON p5.player_lookup = t.player_lookup AND p5.k = t.k - LEAST(5, t.in_30)
  LEFT JOIN played_seq AS p10 ON p10.player_lookup = t.player_lookup AND p10.k = t.k - LEAST(10, t.in_30)
  WHERE t.played = 0
),
judged AS (
  SELECT game_date, player_lookup,
    CASE
      WHEN COALESCE(ABS(stored_5 - avg_5) <= 0.051, stored_5 IS NULL AND avg_5 IS NULL) IS NOT TRUE
        THEN CONCAT('points_avg_last_5 ', COALESCE(CAST(stored_5 AS STRING), 'NULL'), ' vs ',
                    COALESCE(CAST(ROUND(avg_5, 2) AS STRING), 'NULL'), ' from earlier games')
      WHEN COALESCE(ABS(stored_10 - avg_10) <= 0.051, stored_10 IS NULL AND avg_10 IS NULL) IS NOT TRUE
        THEN CONCAT('points_avg_last_10 ', COALESCE(CAST(stored_10 AS STRING), 'NULL'), ' vs ',
                    COALESCE(CAST(ROUND(avg_10, 2) AS STRING), 'NULL'), ' from earlier games')
      WHEN COALESCE(stored_rest = rest, stored_rest IS NULL AND rest IS NULL) IS NOT TRUE
        THEN CONCAT('days_rest ', COALESCE(CAST(stored_rest AS STRING), 'NULL'), ' vs ', COALESCE(CAST(rest AS STRING), 'NULL'))
      WHEN COALESCE(stored_g7 = g7, FALSE) IS NOT TRUE
        THEN CONCAT('games_in_last_7_days ', COALESCE(CAST(stored_g7 AS STRING), 'NULL'), ' vs ', CAST(g7 AS STRING))
      WHEN COALESCE(stored_g14 = g14, FALSE) IS NOT TRUE
        THEN CONCAT('games_in_last_14_days ', COALESCE(CAST(stored_g14 AS STRING), 'NULL'), ' vs ', CAST(g14 AS STRING),
                    ' (games on the 13 days before)')
      WHEN COALESCE(ABS(stored_m7 - m7) <= 0.051, FALSE) IS NOT TRUE
        THEN CONCAT('minutes_in_last_7_days ', COALESCE(CAST(stored_m7 AS STRING), 'NULL'), ' vs ', CAST(ROUND(m7, 2) AS STRING))
      WHEN COALESCE(ABS(stored_m14 - m14) <= 0.051, FALSE) IS NOT TRUE
        THEN CONCAT('minutes_in_last_14_days ', COALESCE(CAST(stored_m14 AS STRING), 'NULL'), ' vs ', CAST(ROUND(m14, 2) AS STRING))
    END AS reason
  FROM targets
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', player_lookup, ': ', reason) AS example
FROM judged
WHERE reason IS NOT NULL
