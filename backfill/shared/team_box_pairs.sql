-- Shared CTE team_box_pairs: each team_box row paired with its opponent's row of the same game,
-- one row per team per game (2 per game). The pair is found on the official nba_game_id
-- (order-free): the box score's own game_id may arrive in HOME_AWAY order, so
-- away_home_game_id rebuilds it from is_home, always YYYYMMDD_AWAY_HOME (platform-facts §0).
-- Columns: every team_box column (the team's side), then the opponent's side: opp_team_abbr,
-- opp_points, opp_fg_attempted, opp_fg_made, opp_three_pt_attempted, opp_three_pt_made,
-- opp_ft_attempted, opp_ft_made, opp_offensive_rebounds, opp_total_rebounds, opp_assists,
-- opp_turnovers; and away_home_game_id.
-- shared: team_box
-- Params: none of its own (team_box reads @start_date .. @end_date).
SELECT
  t.*,
  o.team_abbr AS opp_team_abbr,
  o.points AS opp_points,
  o.fg_attempted AS opp_fg_attempted,
  o.fg_made AS opp_fg_made,
  o.three_pt_attempted AS opp_three_pt_attempted,
  o.three_pt_made AS opp_three_pt_made,
  o.ft_attempted AS opp_ft_attempted,
  o.ft_made AS opp_ft_made,
  o.offensive_rebounds AS opp_offensive_rebounds,
  o.total_rebounds AS opp_total_rebounds,
  o.assists AS opp_assists,
  o.turnovers AS opp_turnovers,
  CONCAT(FORMAT_DATE('%Y%m%d', t.game_date), '_',
         IF(t.is_home, o.team_abbr, t.team_abbr), '_',
         IF(t.is_home, t.team_abbr, o.team_abbr)) AS away_home_game_id
FROM team_box AS t
JOIN team_box AS o
  ON o.game_date = t.game_date
 AND o.nba_game_id = t.nba_game_id
 AND o.is_home != t.is_home
