-- Shared CTE team_offense_history: for each team playing on an analysis date (the teams and
-- opponents of player_context), its nba_analytics.team_offense_game_summary rows of the same
-- season (since opening night) strictly before that date, newest first (games_back = 1 is the
-- last game), for last-N team averages.
-- Columns: game_date (the analysis date), team_abbr, pace, offensive_rating, games_back.
-- Reads: nba_analytics.team_offense_game_summary.
-- shared: player_context
-- Params: @start_date, @end_date (DATE); history reaches back 300 days.
SELECT
  d.game_date,
  d.team_abbr,
  h.pace,
  h.offensive_rating,
  ROW_NUMBER() OVER (PARTITION BY d.game_date, d.team_abbr ORDER BY h.game_date DESC) AS games_back
FROM (
  SELECT game_date, team_abbr, opening_night FROM player_context
  UNION DISTINCT
  SELECT game_date, opponent_team_abbr, opening_night FROM player_context
) AS d
JOIN nba_analytics.team_offense_game_summary AS h
  ON h.team_abbr = d.team_abbr
 AND h.game_date < d.game_date
 AND h.game_date >= d.opening_night
WHERE h.game_date BETWEEN DATE_SUB(@start_date, INTERVAL 300 DAY) AND @end_date
