-- family: cross_table
-- has_prop_line agrees with the stored lines, and line_movement = current - opening (a flag that disagrees with its line once left 98% of predictions ungraded)
SELECT CONCAT(CAST(game_date AS STRING), ' ', player_lookup, ': has_prop_line ', COALESCE(CAST(has_prop_line AS STRING), 'NULL'),
              ', current ', COALESCE(CAST(current_points_line AS STRING), 'NULL'),
              ', opening ', COALESCE(CAST(opening_points_line AS STRING), 'NULL'),
              ', movement ', COALESCE(CAST(line_movement AS STRING), 'NULL')) AS example
FROM nba_analytics.upcoming_player_game_context
WHERE game_date BETWEEN @start_date AND @end_date
  AND (has_prop_line IS NULL
       OR has_prop_line != (current_points_line IS NOT NULL)
       OR (current_points_line IS NOT NULL AND opening_points_line IS NULL)
       OR ABS(COALESCE(line_movement, 0) - COALESCE(current_points_line - opening_points_line, 0)) > 0.051)
