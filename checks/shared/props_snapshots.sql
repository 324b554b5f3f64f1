-- Shared CTE props_snapshots: per player and date, the range of every raw points-line snapshot (all bookmakers,
-- all snapshots) in nba_raw.odds_api_player_points_props: any stored line (current, opening, a consensus) must lie
-- within it, and a line with no snapshot behind it is a placeholder (platform-facts §8: the 20.0 line).
SELECT game_date, player_lookup, MIN(points_line) AS lo, MAX(points_line) AS hi, COUNT(*) AS snapshots
FROM nba_raw.odds_api_player_points_props
WHERE game_date BETWEEN @start_date AND @end_date AND points_line IS NOT NULL
GROUP BY game_date, player_lookup
