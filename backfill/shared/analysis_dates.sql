-- Shared CTE analysis_dates: the dates phase 4 analyses — the range's counted game dates after
-- the bootstrap days (expected_games NOT is_bootstrap) — with their season's opening night,
-- one row per date.
-- Columns: analysis_date, season_year, opening_night.
-- Reads: the calendar CTEs expected_games and season_openers. Params: none of its own.
SELECT DISTINCT e.game_date AS analysis_date, e.season_year, o.opening_night
FROM expected_games AS e
JOIN season_openers AS o ON o.season_year = e.season_year
WHERE NOT e.is_bootstrap
