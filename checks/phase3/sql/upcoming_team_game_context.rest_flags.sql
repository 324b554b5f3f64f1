-- family: cross_table
-- team_back_to_back = (team_days_rest = 1) (platform-facts §3, Session 49)
SELECT CONCAT(CAST(game_date AS STRING), ' ', team_abbr, ': team_back_to_back ', COALESCE(CAST(team_back_to_back AS STRING), 'NULL'),
              ' with team_days_rest ', COALESCE(CAST(team_days_rest AS STRING), 'NULL')) AS example
FROM nba_analytics.upcoming_team_game_context
WHERE game_date BETWEEN @start_date AND @end_date
  AND (team_back_to_back IS NULL OR team_back_to_back != COALESCE(team_days_rest = 1, FALSE))
