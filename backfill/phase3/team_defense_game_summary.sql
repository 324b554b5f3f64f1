-- nba_analytics.team_defense_game_summary: one row per defending team per final game.
--
-- The defense row is the opponent's offense seen from the defender: the two team box score
-- rows of a game are paired on the official nba_game_id (order-free) and the opponent's
-- numbers become *_allowed / opp_*. Defensive actions (steals, blocks, defensive rebounds)
-- are summed from the gamebook's active players; zones allowed from the opponent players'
-- shot zones. game_id is rebuilt AWAY_HOME from is_home, like team_offense_game_summary.
-- Params: @start_date, @end_date (DATE), @season_types (ARRAY<STRING>).
-- Calendar CTE prepended by the runner (phasegate.processors.processor_sql): expected_games
-- (the range's counted games).
-- shared: team_box, team_box_pairs
WITH gamebook_latest AS (
  SELECT *
  FROM nba_raw.nbac_gamebook_player_stats
  WHERE game_date BETWEEN @start_date AND @end_date
  QUALIFY ROW_NUMBER() OVER (PARTITION BY game_date, player_lookup ORDER BY processed_at DESC) = 1
),
defensive_actions AS (
  SELECT game_date, team_abbr, SUM(steals) AS steals, SUM(blocks) AS blocks,
         SUM(defensive_rebounds) AS defensive_rebounds
  FROM gamebook_latest
  WHERE player_status = 'active' AND team_abbr IS NOT NULL
  GROUP BY game_date, team_abbr
),
zones_by_team AS (
  SELECT game_date, team_abbr,
         SUM(paint_attempts) AS paint_attempts, SUM(paint_makes) AS paint_makes,
         SUM(mid_range_attempts) AS mid_range_attempts, SUM(mid_range_makes) AS mid_range_makes
  FROM nba_raw.player_shot_zones
  WHERE game_date BETWEEN @start_date AND @end_date
  GROUP BY game_date, team_abbr
),
paired AS (
  SELECT
    p.game_date,
    p.nba_game_id,
    p.team_abbr AS defending_team_abbr,
    p.is_home,
    p.points AS own_points,
    p.personal_fouls AS own_fouls,
    p.opp_team_abbr AS opponent_team_abbr,
    p.opp_points,
    p.opp_fg_attempted AS opp_fga, p.opp_fg_made AS opp_fgm,
    p.opp_three_pt_attempted AS opp_3pa, p.opp_three_pt_made AS opp_3pm,
    p.opp_ft_attempted AS opp_fta, p.opp_ft_made AS opp_ftm,
    p.opp_offensive_rebounds AS opp_oreb, p.opp_total_rebounds AS opp_reb,
    p.opp_assists AS opp_ast, p.opp_turnovers AS opp_tov,
    p.away_home_game_id,
    -- Opponent possessions as the production defense processor counts them (unrounded).
    p.opp_fg_attempted + 0.44 * p.opp_ft_attempted - p.opp_offensive_rebounds + p.opp_turnovers AS opp_possessions
  FROM team_box_pairs AS p
)
SELECT
  p.away_home_game_id AS game_id,
  p.nba_game_id,
  p.game_date,
  g.season_year,
  p.defending_team_abbr,
  p.opponent_team_abbr,
  p.opp_points AS points_allowed,
  p.opp_fga AS opp_fg_attempts,
  p.opp_fgm AS opp_fg_makes,
  p.opp_3pa AS opp_three_pt_attempts,
  p.opp_3pm AS opp_three_pt_makes,
  p.opp_fta AS opp_ft_attempts,
  p.opp_ftm AS opp_ft_makes,
  p.opp_oreb AS opp_offensive_rebounds,
  p.opp_reb AS opp_rebounds,
  p.opp_ast AS opp_assists,
  p.opp_tov AS turnovers_forced,
  p.own_fouls AS fouls_committed,
  z.paint_attempts AS opp_paint_attempts,
  z.paint_makes AS opp_paint_makes,
  z.mid_range_attempts AS opp_mid_range_attempts,
  z.mid_range_makes AS opp_mid_range_makes,
  a.steals,
  a.blocks,
  a.defensive_rebounds,
  ROUND(SAFE_DIVIDE(p.opp_points, p.opp_possessions) * 100, 2) AS defensive_rating,
  -- Not OT-adjusted (× 48/48), unlike team_offense_game_summary.pace: faithful to production.
  ROUND(p.opp_possessions * 48 / 48, 1) AS opponent_pace,
  ROUND(SAFE_DIVIDE(p.opp_points, 2 * (p.opp_fga + 0.44 * p.opp_fta)), 3) AS opponent_ts_pct,
  p.is_home AS home_game,
  p.own_points > p.opp_points AS win_flag,
  p.own_points - p.opp_points AS margin_of_victory,
  CURRENT_TIMESTAMP() AS processed_at
FROM paired AS p
JOIN expected_games AS g
  ON g.game_id = p.nba_game_id
 AND g.game_date = p.game_date
LEFT JOIN defensive_actions AS a
  ON a.game_date = p.game_date AND a.team_abbr = p.defending_team_abbr
LEFT JOIN zones_by_team AS z
  ON z.game_date = p.game_date AND z.team_abbr = p.opponent_team_abbr
