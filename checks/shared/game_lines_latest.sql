-- Shared CTE game_lines_latest: each bookmaker's latest snapshot of every game-line outcome (a team's side of the
-- spread, Over/Under of the total), read straight from nba_raw.odds_api_game_lines: what any consensus of the
-- books must fall within (platform-facts §1: each bookmaker has a +x and a -x spread row and two total rows).
SELECT game_date, home_team_abbr, away_team_abbr, bookmaker_key, market_key, outcome_name, outcome_point
FROM nba_raw.odds_api_game_lines
WHERE game_date BETWEEN @start_date AND @end_date AND outcome_point IS NOT NULL
QUALIFY ROW_NUMBER() OVER (PARTITION BY game_date, home_team_abbr, away_team_abbr, bookmaker_key, market_key, outcome_name
                           ORDER BY snapshot_timestamp DESC, processed_at DESC) = 1
