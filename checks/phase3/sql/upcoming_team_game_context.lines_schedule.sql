-- family: cross_table
-- every raw game-line row of the window (nba_raw.odds_api_game_lines) names a game the schedule has on that date, home and away as the schedule has them (platform-facts §8: commence_time is UTC, so a late game dated by it lands on the next day and its own date is left with no line)
WITH lines AS (
  SELECT game_date, home_team_abbr, away_team_abbr, COUNT(*) AS n
  FROM nba_raw.odds_api_game_lines
  WHERE game_date BETWEEN @start_date AND @end_date
  GROUP BY game_date, home_team_abbr, away_team_abbr
),
matched AS (
  SELECT l.game_date, l.home_team_abbr, l.away_team_abbr, l.n,
    COUNTIF(s.game_date = l.game_date) AS same_date, COUNTIF(s.game_date != l.game_date) AS a_day_away
  FROM lines AS l
  LEFT JOIN schedule_latest AS s
    ON s.home_team_tricode = l.home_team_abbr AND s.away_team_tricode = l.away_team_abbr
   AND s.game_date BETWEEN DATE_SUB(l.game_date, INTERVAL 1 DAY) AND DATE_ADD(l.game_date, INTERVAL 1 DAY)
  GROUP BY l.game_date, l.home_team_abbr, l.away_team_abbr, l.n
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', COALESCE(away_team_abbr, 'NULL'), ' @ ', COALESCE(home_team_abbr, 'NULL'),
              ': ', CAST(n AS STRING), ' line rows but no such game on the schedule that date',
              IF(a_day_away > 0, ' (it is scheduled a day away: a UTC date?)', '')) AS example
FROM matched
WHERE same_date = 0
