-- family: cross_table
-- shared: props_snapshots
-- points_line and opening_line come from raw prop snapshots: a line with no snapshot for the player and date taken around game day (a placeholder such as 20.0, or a stale scrape of an earlier slate), or outside the snapshots' range, fails; a player with snapshots has a line
SELECT CONCAT(CAST(p.game_date AS STRING), ' ', p.player_lookup, ': points_line ', COALESCE(CAST(p.points_line AS STRING), 'NULL'),
              ', opening ', COALESCE(CAST(p.opening_line AS STRING), 'NULL'),
              IF(s.player_lookup IS NULL, ' with no raw prop snapshot of game day behind it',
                 CONCAT(' vs raw snapshots ', CAST(s.lo AS STRING), '..', CAST(s.hi AS STRING)))) AS example
FROM nba_analytics.player_game_summary AS p
LEFT JOIN props_snapshots AS s ON s.game_date = p.game_date AND s.player_lookup = p.player_lookup
WHERE p.game_date BETWEEN @start_date AND @end_date
  AND (((p.points_line IS NOT NULL OR p.opening_line IS NOT NULL) AND s.player_lookup IS NULL)
       OR COALESCE(p.points_line NOT BETWEEN s.lo - 0.051 AND s.hi + 0.051, FALSE)
       OR COALESCE(p.opening_line NOT BETWEEN s.lo - 0.051 AND s.hi + 0.051, FALSE))
