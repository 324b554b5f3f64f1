-- nba_analytics.team_offense_game_summary: one row per team per final game (2 per game).
--
-- Source: nba_raw.nbac_team_boxscore, whose game_id may arrive in HOME_AWAY order. The game
-- is therefore identified by the official nba_game_id (order-free) and game_id is rebuilt
-- from the is_home flag, always YYYYMMDD_AWAY_HOME, so player_game_summary and the gate join
-- on one format (platform-facts §0: the reversal nulled 52% of usage_rate).
-- Only games the schedule calls final, with scores, of a counted season type are written.
-- Params: @start_date, @end_date (DATE), @season_types (ARRAY<STRING>).
-- Calendar CTE prepended by the runner (phasegate.processors.processor_sql): expected_games
-- (the range's counted games).
-- shared: team_box, team_box_pairs
WITH paired AS (
  SELECT
    p.*,
    -- Cumulative player-minutes: '240:00' regulation, +25 per overtime period.
    COALESCE(SAFE_CAST(SPLIT(p.minutes, ':')[SAFE_OFFSET(0)] AS INT64), 240) AS team_player_minutes,
    -- Rounded to 0.1 then truncated to an integer, as the production processor's int(round(x, 1)).
    CAST(TRUNC(ROUND(p.fg_attempted + 0.44 * p.ft_attempted + p.turnovers - p.offensive_rebounds, 1)) AS INT64)
      AS possessions_count
  FROM team_box_pairs AS p
)
SELECT
  p.away_home_game_id AS game_id,
  p.nba_game_id,
  p.game_date,
  g.season_year,
  p.team_abbr,
  p.opp_team_abbr AS opponent_team_abbr,
  p.points AS points_scored,
  p.fg_attempted AS fg_attempts,
  p.fg_made AS fg_makes,
  p.three_pt_attempted AS three_pt_attempts,
  p.three_pt_made AS three_pt_makes,
  p.ft_attempted AS ft_attempts,
  p.ft_made AS ft_makes,
  p.offensive_rebounds,
  p.defensive_rebounds,
  p.total_rebounds AS rebounds,
  p.assists,
  p.steals,
  p.blocks,
  p.turnovers,
  p.personal_fouls,
  p.possessions_count AS possessions,
  -- Pace is per 48 minutes of game time: player-minutes / 5 = game minutes (OT-adjusted).
  ROUND(SAFE_DIVIDE(p.possessions_count * 48, p.team_player_minutes / 5), 1) AS pace,
  ROUND(SAFE_DIVIDE(p.points, p.possessions_count) * 100, 2) AS offensive_rating,
  ROUND(SAFE_DIVIDE(p.points, 2 * (p.fg_attempted + 0.44 * p.ft_attempted)), 3) AS ts_pct,
  GREATEST(0, CAST(ROUND((p.team_player_minutes - 240) / 25) AS INT64)) AS overtime_periods,
  p.is_home AS home_game,
  p.points > p.opp_points AS win_flag,
  p.points - p.opp_points AS margin_of_victory,
  'nbac_team_boxscore' AS primary_source_used,
  CURRENT_TIMESTAMP() AS processed_at
FROM paired AS p
JOIN expected_games AS g
  ON g.game_id = p.nba_game_id
 AND g.game_date = p.game_date
