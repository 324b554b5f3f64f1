-- Shared CTE player_context: the nba_analytics.upcoming_player_game_context rows of the
-- analysis dates of @start_date .. @end_date, with their season's opening night (history
-- windows start there).
-- Columns: every upcoming_player_game_context column, then opening_night.
-- Reads: nba_analytics.upcoming_player_game_context.
-- shared: analysis_dates
-- Params: @start_date, @end_date (DATE).
SELECT u.*, a.opening_night
FROM nba_analytics.upcoming_player_game_context AS u
JOIN analysis_dates AS a ON a.analysis_date = u.game_date
WHERE u.game_date BETWEEN @start_date AND @end_date
