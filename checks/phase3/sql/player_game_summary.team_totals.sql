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
     CONCAT('players pts/fga/fta/tov ', COALESCE(CAST(p.pts AS STRING), 'NULL'), '/', COALESCE(CAST(p.fga AS STRING), 'NULL'),
            '/', COALESCE(CAST(p.fta AS STRING), 'NULL'), '/', COALESCE(CAST(p.tov AS STRING), 'NULL'),
            ' vs team ', COALESCE(CAST(t.points_scored AS STRING), 'NULL'), '/', COALESCE(CAST(t.fg_attempts AS STRING), 'NULL'),
            '/', COALESCE(CAST(t.ft_attempts AS STRING), 'NULL'), '/', COALESCE(CAST(t.turnovers AS STRING), 'NULL')))) AS example
FROM p
LEFT JOIN t ON t.game_date = p.game_date AND t.team_abbr = p.team_abbr
WHERE t.team_abbr IS NULL
   -- IS DISTINCT FROM: a NULL total on either side is a mismatch (NULL != x is never TRUE)
   OR p.pts IS DISTINCT FROM t.points_scored OR p.fga IS DISTINCT FROM t.fg_attempts
   OR p.fta IS DISTINCT FROM t.ft_attempts OR p.tov IS DISTINCT FROM t.turnovers
