-- Shared CTE props_consensus: the consensus points line of a player's game — the median
-- across bookmakers of each one's current and opening line — one row per (game_date,
-- player_lookup). Props are matched on (game_date, player_lookup): their game_id mixes the
-- official and system formats.
-- Columns: game_date, player_lookup, current_line, opening_line.
-- shared: props_by_book
-- Params: none of its own (props_by_book reads @start_date .. @end_date).
SELECT DISTINCT
  game_date,
  player_lookup,
  PERCENTILE_CONT(current_line, 0.5) OVER (PARTITION BY game_date, player_lookup) AS current_line,
  PERCENTILE_CONT(opening_line, 0.5) OVER (PARTITION BY game_date, player_lookup) AS opening_line
FROM props_by_book
