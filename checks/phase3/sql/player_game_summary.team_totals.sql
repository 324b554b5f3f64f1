-- family: cross_table
-- the active players add up to their team (platform-facts §10: the team-from-players rebuild is exact): points, FGA/FGM, 3PA/3PM, FTA/FTM, offensive and defensive rebounds, assists, steals, blocks, turnovers and fouls equal team_offense_game_summary's totals, and the players' plus-minus add up to 5 x the team's margin (five players on the floor for every point of it)
WITH p AS (
  SELECT game_date, team_abbr, SUM(points) AS pts, SUM(fg_attempts) AS fga, SUM(ft_attempts) AS fta,
         SUM(turnovers) AS tov, SUM(fg_makes) AS fgm, SUM(three_pt_attempts) AS tpa, SUM(three_pt_makes) AS tpm,
         SUM(ft_makes) AS ftm, SUM(offensive_rebounds) AS oreb, SUM(defensive_rebounds) AS dreb, SUM(assists) AS ast,
         SUM(steals) AS stl, SUM(blocks) AS blk, SUM(personal_fouls) AS pf, SUM(plus_minus) AS pm
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date AND is_active
  GROUP BY game_date, team_abbr
),
t AS (
  SELECT game_date, team_abbr, points_scored, fg_attempts, ft_attempts, turnovers, fg_makes, three_pt_attempts,
         three_pt_makes, ft_makes, offensive_rebounds, defensive_rebounds, assists, steals, blocks, personal_fouls,
         margin_of_victory
  FROM nba_analytics.team_offense_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date
),
judged AS (
  SELECT p.game_date, p.team_abbr,
    CASE
      WHEN t.team_abbr IS NULL THEN 'no team_offense_game_summary row'
      -- IS DISTINCT FROM: a NULL total on either side is a mismatch (NULL != x is never TRUE)
      WHEN p.pts IS DISTINCT FROM t.points_scored OR p.fga IS DISTINCT FROM t.fg_attempts
        OR p.fta IS DISTINCT FROM t.ft_attempts OR p.tov IS DISTINCT FROM t.turnovers
        THEN CONCAT('players pts/fga/fta/tov ', COALESCE(CAST(p.pts AS STRING), 'NULL'), '/',
                    COALESCE(CAST(p.fga AS STRING), 'NULL'), '/', COALESCE(CAST(p.fta AS STRING), 'NULL'), '/',
                    COALESCE(CAST(p.tov AS STRING), 'NULL'), ' vs team ', COALESCE(CAST(t.points_scored AS STRING), 'NULL'),
                    '/', COALESCE(CAST(t.fg_attempts AS STRING), 'NULL'), '/', COALESCE(CAST(t.ft_attempts AS STRING), 'NULL'),
                    '/', COALESCE(CAST(t.turnovers AS STRING), 'NULL'))
      WHEN p.fgm IS DISTINCT FROM t.fg_makes OR p.tpa IS DISTINCT FROM t.three_pt_attempts
        OR p.tpm IS DISTINCT FROM t.three_pt_makes OR p.ftm IS DISTINCT FROM t.ft_makes
        THEN CONCAT('players fgm/3pa/3pm/ftm ', COALESCE(CAST(p.fgm AS STRING), 'NULL'), '/',
                    COALESCE(CAST(p.tpa AS STRING), 'NULL'), '/', COALESCE(CAST(p.tpm AS STRING), 'NULL'), '/',
                    COALESCE(CAST(p.ftm AS STRING), 'NULL'), ' vs team ', COALESCE(CAST(t.fg_makes AS STRING), 'NULL'),
                    '/', COALESCE(CAST(t.three_pt_attempts AS STRING), 'NULL'), '/',
                    COALESCE(CAST(t.three_pt_makes AS STRING), 'NULL'), '/', COALESCE(CAST(t.ft_makes AS STRING), 'NULL'))
      WHEN p.oreb IS DISTINCT FROM t.offensive_rebounds OR p.dreb IS DISTINCT FROM t.defensive_rebounds
        OR p.ast IS DISTINCT FROM t.assists OR p.stl IS DISTINCT FROM t.steals OR p.blk IS DISTINCT FROM t.blocks
        OR p.pf IS DISTINCT FROM t.personal_fouls
        THEN CONCAT('players oreb/dreb/ast/stl/blk/pf ', COALESCE(CAST(p.oreb AS STRING), 'NULL'), '/',
                    COALESCE(CAST(p.dreb AS STRING), 'NULL'), '/', COALESCE(CAST(p.ast AS STRING), 'NULL'), '/',
                    COALESCE(CAST(p.stl AS STRING), 'NULL'), '/', COALESCE(CAST(p.blk AS STRING), 'NULL'), '/',
                    COALESCE(CAST(p.pf AS STRING), 'NULL'), ' vs team ',
                    COALESCE(CAST(t.offensive_rebounds AS STRING), 'NULL'), '/',
                    COALESCE(CAST(t.defensive_rebounds AS STRING), 'NULL'), '/', COALESCE(CAST(t.assists AS STRING), 'NULL'),
                    '/', COALESCE(CAST(t.steals AS STRING), 'NULL'), '/', COALESCE(CAST(t.blocks AS STRING), 'NULL'), '/',
                    COALESCE(CAST(t.personal_fouls AS STRING), 'NULL'))
      WHEN p.pm IS DISTINCT FROM 5 * t.margin_of_victory
        THEN CONCAT('players plus_minus sum to ', COALESCE(CAST(p.pm AS STRING), 'NULL'), ', not 5 x the margin ',
                    COALESCE(CAST(t.margin_of_victory AS STRING), 'NULL'))
    END AS reason
  FROM p
  LEFT JOIN t ON t.game_date = p.game_date AND t.team_abbr = p.team_abbr
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', COALESCE(team_abbr, 'NULL'), ': ', reason) AS example
FROM judged
WHERE reason IS NOT NULL
