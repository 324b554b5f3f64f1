-- family: cross_table
-- back_to_back = (days_rest = 1) (platform-facts §3, Session 49: it once tested days_rest = 0 and was never set)
SELECT CONCAT(CAST(game_date AS STRING), ' ', player_lookup, ': back_to_back ', COALESCE(CAST(back_to_back AS STRING), 'NULL'),
              ' with days_rest ', COALESCE(CAST(days_rest AS STRING), 'NULL')) AS example
FROM nba_analytics.upcoming_player_game_context
WHERE game_date BETWEEN @start_date AND @end_date
  AND (back_to_back IS NULL OR back_to_back != COALESCE(days_rest = 1, FALSE))
