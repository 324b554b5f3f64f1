-- family: row_counts
-- every game has two teams, 18-36 active players and each team at least 8 (a roster-only gamebook — rows for every listed player but 0 active — passes a plain row count)
WITH per_team AS (
  SELECT game_date, game_id, team_abbr, COUNTIF(is_active) AS active
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date AND team_abbr IS NOT NULL
  GROUP BY game_date, game_id, team_abbr
),
per_game AS (
  SELECT game_date, game_id, SUM(active) AS active, MIN(active) AS fewest_per_team, COUNT(*) AS teams
  FROM per_team
  GROUP BY game_date, game_id
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', game_id, ': ', CAST(active AS STRING), ' active players, fewest per team ',
              CAST(fewest_per_team AS STRING), ', ', CAST(teams AS STRING), ' team(s)') AS example
FROM per_game
WHERE active NOT BETWEEN 18 AND 36 OR fewest_per_team < 8 OR teams != 2
