-- family: cross_table
-- shared: props_snapshots
-- current_points_line and opening_points_line come from raw prop snapshots: a line with no snapshot for the player and date taken around game day (a placeholder such as 20.0, or a stale scrape of an earlier slate), or outside the snapshots' range, fails; a player with snapshots has a line
SELECT CONCAT(CAST(u.game_date AS STRING), ' ', u.player_lookup, ': current_points_line ',
              COALESCE(CAST(u.current_points_line AS STRING), 'NULL'), ', opening ', COALESCE(CAST(u.opening_points_line AS STRING), 'NULL'),
              IF(s.player_lookup IS NULL, ' with no raw prop snapshot of game day behind it',
                 CONCAT(' vs raw snapshots ', CAST(s.lo AS STRING), '..', CAST(s.hi AS STRING)))) AS example
FROM nba_analytics.upcoming_player_game_context AS u
LEFT JOIN props_snapshots AS s ON s.game_date = u.game_date AND s.player_lookup = u.player_lookup
WHERE u.game_date BETWEEN @start_date AND @end_date
  AND (((u.current_points_line IS NOT NULL OR u.opening_points_line IS NOT NULL) AND s.player_lookup IS NULL)
       OR (s.player_lookup IS NOT NULL AND u.current_points_line IS NULL)
       OR COALESCE(u.current_points_line NOT BETWEEN s.lo - 0.051 AND s.hi + 0.051, FALSE)
       OR COALESCE(u.opening_points_line NOT BETWEEN s.lo - 0.051 AND s.hi + 0.051, FALSE))
