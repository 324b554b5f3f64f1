-- family: cross_table
-- the two rows of a game mirror each other: same game_id, opponents swapped, one home, one winner, margins opposite
WITH r AS (
  SELECT game_date, game_id, team_abbr, opponent_team_abbr, home_game, win_flag, margin_of_victory, points_scored
  FROM nba_analytics.team_offense_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date
),
judged AS (
  SELECT a.game_date, a.team_abbr, a.game_id,
    CASE
      WHEN b.team_abbr IS NULL THEN CONCAT('no row for its opponent ', COALESCE(a.opponent_team_abbr, 'NULL'))
      WHEN COALESCE(b.opponent_team_abbr, '') != a.team_abbr THEN CONCAT('opponent row names ', COALESCE(b.opponent_team_abbr, 'NULL'))
      WHEN COALESCE(b.game_id, '') != COALESCE(a.game_id, '') THEN CONCAT('opponent row has game_id ', COALESCE(b.game_id, 'NULL'))
      WHEN b.home_game = a.home_game THEN 'both rows have the same home_game'
      WHEN b.win_flag = a.win_flag THEN 'both rows have the same win_flag'
      -- IS DISTINCT FROM: a NULL margin or score on one side is a mismatch (NULL != x is never TRUE)
      WHEN a.margin_of_victory IS DISTINCT FROM a.points_scored - b.points_scored
        OR b.margin_of_victory IS DISTINCT FROM -a.margin_of_victory
        THEN CONCAT('margin ', COALESCE(CAST(a.margin_of_victory AS STRING), 'NULL'), ' vs points ',
                    COALESCE(CAST(a.points_scored AS STRING), 'NULL'), '-', COALESCE(CAST(b.points_scored AS STRING), 'NULL'))
    END AS reason
  FROM r AS a
  LEFT JOIN r AS b ON b.game_date = a.game_date AND b.team_abbr = a.opponent_team_abbr
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', COALESCE(team_abbr, 'NULL'), ' ', COALESCE(game_id, 'NULL'), ': ', reason) AS example
FROM judged
WHERE reason IS NOT NULL
