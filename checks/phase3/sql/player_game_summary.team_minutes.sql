-- family: cross_table
-- the active players' minutes add up to the team's game: 240 + 25 per overtime period of team_offense_game_summary (5 players on the floor; platform-facts §10), within the rounding of each player's minutes_played to 0.1 (a NULL, a 0 or a missing overtime is a mismatch)
WITH p AS (
  SELECT game_date, team_abbr, SUM(minutes_played) AS minutes, COUNT(*) AS players,
         COUNTIF(minutes_played IS NULL) AS null_minutes
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date AND is_active AND team_abbr IS NOT NULL
  GROUP BY game_date, team_abbr
),
t AS (
  SELECT game_date, team_abbr, overtime_periods
  FROM nba_analytics.team_offense_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date
)
SELECT CONCAT(CAST(p.game_date AS STRING), ' ', p.team_abbr, ': active players minutes ',
              COALESCE(CAST(ROUND(p.minutes, 1) AS STRING), 'NULL'), ' (', CAST(p.null_minutes AS STRING), ' NULL of ',
              CAST(p.players AS STRING), ') vs ', CAST(240 + 25 * t.overtime_periods AS STRING), ' team minutes (',
              CAST(t.overtime_periods AS STRING), ' OT)') AS example
FROM p
JOIN t ON t.game_date = p.game_date AND t.team_abbr = p.team_abbr
WHERE p.null_minutes > 0
   OR t.overtime_periods IS NULL
   OR ABS(p.minutes - (240 + 25 * t.overtime_periods)) > 0.05 * p.players + 0.01
