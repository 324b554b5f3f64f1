-- family: cross_table
-- points_allowed equals the opponent's points_scored in team_offense_game_summary (same date), same game_id
WITH d AS (
  SELECT game_date, game_id, defending_team_abbr, opponent_team_abbr, points_allowed
  FROM nba_analytics.team_defense_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date
),
o AS (
  SELECT game_date, game_id, team_abbr, opponent_team_abbr, points_scored
  FROM nba_analytics.team_offense_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date
),
judged AS (
  SELECT d.game_date, d.defending_team_abbr, d.opponent_team_abbr,
    CASE
      WHEN o.team_abbr IS NULL THEN 'no team_offense_game_summary row for the opponent'
      WHEN COALESCE(o.opponent_team_abbr, '') != COALESCE(d.defending_team_abbr, '')
        THEN CONCAT('team_offense says the opponent played ', COALESCE(o.opponent_team_abbr, 'NULL'))
      WHEN COALESCE(o.game_id, '') != COALESCE(d.game_id, '')
        THEN CONCAT('game_id ', COALESCE(d.game_id, 'NULL'), ' vs team_offense ', COALESCE(o.game_id, 'NULL'))
      -- a NULL on either side is a mismatch too
      WHEN d.points_allowed IS NULL OR d.points_allowed IS DISTINCT FROM o.points_scored
        THEN CONCAT('points_allowed ', COALESCE(CAST(d.points_allowed AS STRING), 'NULL'), ' != opponent points_scored ',
                    COALESCE(CAST(o.points_scored AS STRING), 'NULL'))
    END AS reason
  FROM d
  LEFT JOIN o ON o.game_date = d.game_date AND o.team_abbr = d.opponent_team_abbr
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', COALESCE(defending_team_abbr, 'NULL'), ' vs ',
              COALESCE(opponent_team_abbr, 'NULL'), ': ', reason) AS example
FROM judged
WHERE reason IS NOT NULL
