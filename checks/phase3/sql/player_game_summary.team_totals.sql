-- family: cross_table
-- the active players' points, FGA, FTA and turnovers add up to team_offense_game_summary's totals
WITH p AS (
  SELECT game_date, team_abbr, SUM(points) AS pts, SUM(fg_attempts) AS fga, SUM(ft_attempts) AS fta,
         SUM(turnovers) AS tov
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date AND is_active
  GROUP BY game_date, team_abbr
),
t AS (
  SELECT game_date, team_abbr, points_scored, fg_attempts, ft_attempts, turnovers
  FROM nba_analytics.team_offense_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date
)
SELECT CONCAT(CAST(p.game_date AS STRING), ' ', COALESCE(p.team_abbr, 'NULL'), ': ',
  IF(t.team_abbr IS NULL, 'no team_offense_game_summary row',
     CONCAT('players pts/fga/fta/tov ', CAST(p.pts AS STRING), '/', CAST(p.fga AS STRING), '/', CAST(p.fta AS STRING),
            '/', CAST(p.tov AS STRING), ' vs team ', CAST(t.points_scored AS STRING), '/',
            CAST(t.fg_attempts AS STRING), '/', CAST(t.ft_attempts AS STRING), '/', CAST(t.turnovers AS STRING)))) AS example
FROM p
LEFT JOIN t ON t.game_date = p.game_date AND t.team_abbr = p.team_abbr
WHERE t.team_abbr IS NULL
   OR p.pts != t.points_scored OR p.fga != t.fg_attempts OR p.fta != t.ft_attempts OR p.tov != t.turnovers
