-- Shared CTE game_lines_by_book: each bookmaker's game line per outcome (team side of the
-- spread, Over/Under of the total) — the latest snapshot (current) and the earliest (opening)
-- — one row per (game_date, home_team_abbr, away_team_abbr, bookmaker_key, market_key,
-- outcome_name), for @start_date .. @end_date, NULL points ignored. Every bookmaker is kept;
-- a processor that uses some only filters bookmaker_key (the windows are per bookmaker).
-- Columns: game_date, home_team_abbr, away_team_abbr, bookmaker_key, market_key,
-- outcome_name, current_point, opening_point.
-- Reads: nba_raw.odds_api_game_lines. Params: @start_date, @end_date (DATE).
SELECT
  game_date,
  home_team_abbr,
  away_team_abbr,
  bookmaker_key,
  market_key,
  outcome_name,
  outcome_point AS current_point,
  FIRST_VALUE(outcome_point) OVER (
    PARTITION BY game_date, home_team_abbr, away_team_abbr, bookmaker_key, market_key, outcome_name
    ORDER BY snapshot_timestamp, processed_at) AS opening_point
FROM nba_raw.odds_api_game_lines
WHERE game_date BETWEEN @start_date AND @end_date
  AND outcome_point IS NOT NULL
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY game_date, home_team_abbr, away_team_abbr, bookmaker_key, market_key, outcome_name
  ORDER BY snapshot_timestamp DESC, processed_at DESC) = 1
