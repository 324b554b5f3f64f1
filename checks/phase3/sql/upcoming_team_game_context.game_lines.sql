-- family: cross_table
-- shared: game_lines_latest
-- game_spread is the books' line for THIS team's side (outcome_name = team_abbr: within the range of the books' latest points, so a spread taken from the other side fails), the two rows of a game have opposite spreads and one total
WITH team_side AS (
  SELECT game_date, outcome_name AS team_abbr, MIN(outcome_point) AS lo, MAX(outcome_point) AS hi
  FROM game_lines_latest
  WHERE market_key = 'spreads'
  GROUP BY game_date, outcome_name
),
r AS (
  SELECT game_date, game_id, team_abbr, opponent_team_abbr, game_spread, game_total
  FROM nba_analytics.upcoming_team_game_context
  WHERE game_date BETWEEN @start_date AND @end_date
),
judged AS (
  SELECT r.game_date, r.team_abbr,
    CASE
      WHEN s.team_abbr IS NOT NULL AND r.game_spread NOT BETWEEN s.lo - 0.051 AND s.hi + 0.051
        THEN CONCAT('game_spread ', CAST(r.game_spread AS STRING), ' but the books put ', r.team_abbr, ' at ',
                    CAST(s.lo AS STRING), '..', CAST(s.hi AS STRING), ' (the other side of the spread?)')
      WHEN o.team_abbr IS NOT NULL AND r.game_spread IS NOT NULL AND o.game_spread IS NOT NULL
        AND ABS(r.game_spread + o.game_spread) > 0.051
        THEN CONCAT('game_spread ', CAST(r.game_spread AS STRING), ' and the opponent ', CAST(o.game_spread AS STRING),
                    ': the two sides of a spread are opposite')
      WHEN o.team_abbr IS NOT NULL AND r.game_total IS DISTINCT FROM o.game_total
        THEN CONCAT('game_total ', COALESCE(CAST(r.game_total AS STRING), 'NULL'), ' vs the opponent row ',
                    COALESCE(CAST(o.game_total AS STRING), 'NULL'))
    END AS reason
  FROM r
  LEFT JOIN team_side AS s ON s.game_date = r.game_date AND s.team_abbr = r.team_abbr
  LEFT JOIN r AS o ON o.game_date = r.game_date AND o.team_abbr = r.opponent_team_abbr AND o.game_id = r.game_id
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', team_abbr, ': ', reason) AS example
FROM judged
WHERE reason IS NOT NULL
