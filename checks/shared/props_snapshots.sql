-- Shared CTE props_snapshots: per player and date, the range of every raw points-line snapshot (all bookmakers,
-- all snapshots) in nba_raw.odds_api_player_points_props taken around game day: any stored line (current, opening,
-- a consensus) must lie within it, and a line with no snapshot behind it is a placeholder (platform-facts §8: the
-- 20.0 line). Around game day = from the day before the game date to the day after it (UTC; a late West-coast tip
-- is after midnight UTC): a snapshot of a game days before is a stale scrape of an earlier slate, not this game's
-- line (platform-facts §1: the scrapers snapshot on game day), so a line resting only on such snapshots fails too.
SELECT game_date, player_lookup, MIN(points_line) AS lo, MAX(points_line) AS hi, COUNT(*) AS snapshots
FROM nba_raw.odds_api_player_points_props
WHERE game_date BETWEEN @start_date AND @end_date AND points_line IS NOT NULL
  AND snapshot_timestamp >= TIMESTAMP(DATE_SUB(game_date, INTERVAL 1 DAY))
  AND snapshot_timestamp < TIMESTAMP(DATE_ADD(game_date, INTERVAL 2 DAY))
GROUP BY game_date, player_lookup
