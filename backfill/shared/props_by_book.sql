-- Shared CTE props_by_book: each bookmaker's points line for a player's game — the latest
-- snapshot (current) and the earliest (opening) — one row per (game_date, player_lookup,
-- bookmaker), for @start_date .. @end_date, NULL lines ignored.
-- Columns: game_date, player_lookup, bookmaker, current_line, opening_line.
-- Reads: nba_raw.odds_api_player_points_props. Params: @start_date, @end_date (DATE).
SELECT
  game_date,
  player_lookup,
  bookmaker,
  points_line AS current_line,
  FIRST_VALUE(points_line) OVER (
    PARTITION BY game_date, player_lookup, bookmaker ORDER BY snapshot_timestamp, processed_at) AS opening_line
FROM nba_raw.odds_api_player_points_props
WHERE game_date BETWEEN @start_date AND @end_date
  AND points_line IS NOT NULL
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY game_date, player_lookup, bookmaker ORDER BY snapshot_timestamp DESC, processed_at DESC) = 1
