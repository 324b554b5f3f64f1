-- family: leakage
-- team_pace_last_10 and team_off_rating_last_10 are the means of the player's team's last 10 team_offense_game_summary games of the season strictly before cache_date (platform-facts §4.4: games strictly before the date; a window that takes the date's own game, or another team's, fails), within the stored rounding
WITH team_dates AS (
  SELECT DISTINCT t.game_date AS cache_date, t.team_abbr, o.opening_night
  FROM nba_analytics.team_offense_game_summary AS t
  JOIN (SELECT e.game_date, MAX(s.opening_night) AS opening_night
        FROM (SELECT DISTINCT game_date FROM expected_games) AS e
        JOIN season_openers AS s ON s.opening_night <= e.game_date
        GROUP BY e.game_date) AS o ON o.game_date = t.game_date
  WHERE t.game_date BETWEEN @start_date AND @end_date
),
history AS (
  SELECT d.cache_date, d.team_abbr, h.pace, h.offensive_rating,
    ROW_NUMBER() OVER (PARTITION BY d.cache_date, d.team_abbr ORDER BY h.game_date DESC) AS games_back
  FROM team_dates AS d
  JOIN nba_analytics.team_offense_game_summary AS h
    ON h.team_abbr = d.team_abbr AND h.game_date < d.cache_date AND h.game_date >= d.opening_night
  WHERE h.game_date BETWEEN DATE_SUB(@start_date, INTERVAL 300 DAY) AND @end_date
),
windows AS (
  SELECT cache_date, team_abbr, AVG(pace) AS pace_10, AVG(offensive_rating) AS rating_10
  FROM history
  WHERE games_back <= 10
  GROUP BY cache_date, team_abbr
),
judged AS (
  SELECT c.cache_date, c.player_lookup, c.team_abbr, c.team_pace_last_10, c.team_off_rating_last_10, w.pace_10, w.rating_10
  FROM nba_precompute.player_daily_cache AS c
  JOIN windows AS w ON w.cache_date = c.cache_date AND w.team_abbr = c.team_abbr
  WHERE c.cache_date BETWEEN @start_date AND @end_date
)
SELECT CONCAT(CAST(cache_date AS STRING), ' ', player_lookup, ' (', team_abbr, '): team_pace_last_10 ',
              COALESCE(CAST(team_pace_last_10 AS STRING), 'NULL'), ' vs ', CAST(ROUND(pace_10, 1) AS STRING),
              ', team_off_rating_last_10 ', COALESCE(CAST(team_off_rating_last_10 AS STRING), 'NULL'), ' vs ',
              CAST(ROUND(rating_10, 2) AS STRING), ' over the last 10 team games before the date') AS example
FROM judged
WHERE COALESCE(ABS(team_pace_last_10 - pace_10) > 0.051, TRUE)
   OR COALESCE(ABS(team_off_rating_last_10 - rating_10) > 0.0051, TRUE)
