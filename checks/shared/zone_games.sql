-- Shared CTE zone_games: every game that enters a player's shot-zone window — player_game_summary rows with
-- minutes > 0 or FGA > 0 (the player_shot_zone_analysis processor's rule: unlike played_games, a row that is not
-- marked active but took shots counts), on or after its season's opening night (the window never reaches the
-- previous season, nor preseason games), from 300 days before the window. zoned: the game has all three zones (a
-- missing zone never counts as 0 attempts).
SELECT p.player_lookup, p.season_year, p.game_date, COALESCE(p.has_complete_shot_zones, FALSE) AS zoned,
       p.paint_attempts, p.mid_range_attempts, p.three_attempts_pbp
FROM nba_analytics.player_game_summary AS p
JOIN season_openers AS o ON o.season_year = p.season_year AND p.game_date >= o.opening_night
WHERE p.game_date BETWEEN DATE_SUB(@start_date, INTERVAL 300 DAY) AND @end_date
  AND (p.minutes_played > 0 OR p.fg_attempts > 0)
