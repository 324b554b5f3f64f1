-- Shared CTE played_games: every game a player actually played (player_game_summary rows that are active with
-- minutes > 0; DNP rows never enter a rolling window, platform-facts §3 and §8), from 300 days before the window
-- so a season's first games are there for its later dates.
SELECT player_lookup, season_year, game_date, points, minutes_played, usage_rate
FROM nba_analytics.player_game_summary
WHERE game_date BETWEEN DATE_SUB(@start_date, INTERVAL 300 DAY) AND @end_date
  AND is_active AND minutes_played > 0
