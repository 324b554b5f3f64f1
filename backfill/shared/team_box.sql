-- Shared CTE team_box: the latest nba_raw.nbac_team_boxscore row per (game_date, team_abbr)
-- of @start_date .. @end_date. In-progress placeholders (0 points / 0 FGA) are dropped first
-- so a stale placeholder can never win over a final row.
-- Columns: every nba_raw.nbac_team_boxscore column.
-- Reads: nba_raw.nbac_team_boxscore. Params: @start_date, @end_date (DATE).
SELECT *
FROM nba_raw.nbac_team_boxscore
WHERE game_date BETWEEN @start_date AND @end_date
  AND points > 0
  AND fg_attempted > 0
QUALIFY ROW_NUMBER() OVER (PARTITION BY game_date, team_abbr ORDER BY processed_at DESC) = 1
