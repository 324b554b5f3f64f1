-- nba_precompute.player_composite_factors: per player and game (the rows of
-- upcoming_player_game_context on non-bootstrap dates), four adjustment factors
-- (platform-facts §4.3, `factors/*.py`):
--
--   fatigue_score (INT64, 0..100): 100; -15 on a back-to-back, else +5 with days_rest >= 3;
--     -10 if games_last_7 >= 4; -10 if minutes_last_7 > 240; -8 if avg MPG last 7 > 35;
--     -12 if back-to-backs in the last 14 days >= 2 (-5 if 1); clamped. Missing inputs take
--     production's defaults (days_rest 1, games 3, minutes 200, MPG 30). Player age is not in
--     the phase-2 contract, so production's default age 25 applies (no age penalty).
--   shot_zone_mismatch_score: the opponent's <player's primary zone>_defense_vs_league_avg
--     (team_defense_zone_analysis) x min(player zone rate / 50, 1), x1.2 when |x| > 5,
--     clamped to ±10; 0 when either side is missing or the player is 'balanced'.
--   pace_score = clamp(pace_differential / 2, ±3), pace_differential = mean pace of the
--     team's last 10 games - the opponent's (team_offense_game_summary, this season, before
--     the date); 0 when either is missing (production's neutral default).
--   usage_spike_score = clamp((projected_usage_rate - avg_usage_rate_last_7_games) x 0.3, ±3),
--     defaults 25/25. projected_usage_rate is the player's season-to-date mean usage (the
--     contract has no usage projection); the last-7 mean is over games in the 7 days before.
--     Star-teammate multipliers need injury data the contract does not have.
--   total_composite_adjustment = (fatigue_score - 100) / 20 + the other three; the four
--     deferred production factors are 0.0.
-- Nothing is written on bootstrap dates (season opening night from the schedule).
-- Params: @start_date, @end_date (DATE), @bootstrap_days (INT64), @season_types (ARRAY<STRING>).
-- Calendar CTEs prepended by the runner (phasegate.processors.processor_sql): expected_games
-- (is_bootstrap: day 0 .. @bootstrap_days-1 after opening night), season_openers.
-- shared: analysis_dates, player_context, team_offense_history
WITH team_pace AS (
  -- pace carries 1 decimal: averaged as integer tenths the sum is exact (reruns give identical rows)
  SELECT game_date, team_abbr, AVG(IF(games_back <= 10, CAST(ROUND(pace * 10) AS INT64), NULL)) / 10 AS pace_last_10
  FROM team_offense_history
  GROUP BY game_date, team_abbr
),
player_games AS (
  SELECT player_lookup, game_date, usage_rate
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN DATE_SUB(@start_date, INTERVAL 300 DAY) AND @end_date
    AND usage_rate IS NOT NULL
),
usage_history AS (
  SELECT
    c.player_lookup,
    c.game_date,
    -- usage_rate carries 2 decimals: averaged as integer hundredths, the sum is exact and
    -- independent of the order a parallel engine adds rows in (reruns give identical rows).
    AVG(CAST(ROUND(h.usage_rate * 100) AS INT64)) / 100 AS season_usage_rate,
    AVG(IF(h.game_date > DATE_SUB(c.game_date, INTERVAL 7 DAY), CAST(ROUND(h.usage_rate * 100) AS INT64), NULL)) / 100
      AS usage_rate_last_7_days
  FROM player_context AS c
  JOIN player_games AS h
    ON h.player_lookup = c.player_lookup
   AND h.game_date < c.game_date
   AND h.game_date >= c.opening_night
  GROUP BY c.player_lookup, c.game_date
),
shot_zones AS (
  SELECT *
  FROM nba_precompute.player_shot_zone_analysis
  WHERE analysis_date BETWEEN @start_date AND @end_date
),
zone_defense AS (
  SELECT *
  FROM nba_precompute.team_defense_zone_analysis
  WHERE analysis_date BETWEEN @start_date AND @end_date
),
inputs AS (
  SELECT
    c.player_lookup,
    c.team_abbr,
    c.opponent_team_abbr,
    c.game_date,
    c.game_id,
    100
      + CASE WHEN c.back_to_back THEN -15 WHEN COALESCE(c.days_rest, 1) >= 3 THEN 5 ELSE 0 END
      + IF(COALESCE(c.games_in_last_7_days, 3) >= 4, -10, 0)
      + IF(COALESCE(c.minutes_in_last_7_days, 200) > 240, -10, 0)
      + IF(COALESCE(c.avg_minutes_per_game_last_7, 30) > 35, -8, 0)
      + CASE WHEN c.back_to_backs_last_14_days >= 2 THEN -12 WHEN c.back_to_backs_last_14_days = 1 THEN -5 ELSE 0 END
      AS fatigue_points,
    sz.primary_scoring_zone,
    CASE sz.primary_scoring_zone
      WHEN 'paint' THEN zd.paint_defense_vs_league_avg
      WHEN 'mid_range' THEN zd.mid_range_defense_vs_league_avg
      WHEN 'perimeter' THEN zd.three_pt_defense_vs_league_avg
    END AS opponent_zone_vs_league,
    CASE sz.primary_scoring_zone
      WHEN 'paint' THEN sz.paint_rate_last_10
      WHEN 'mid_range' THEN sz.mid_range_rate_last_10
      WHEN 'perimeter' THEN sz.three_pt_rate_last_10
    END AS player_zone_rate,
    tp.pace_last_10 - op.pace_last_10 AS pace_differential,
    COALESCE(uh.season_usage_rate, 25) AS projected_usage_rate,
    COALESCE(uh.usage_rate_last_7_days, 25) AS avg_usage_rate_last_7_games
  FROM player_context AS c
  LEFT JOIN shot_zones AS sz
    ON sz.player_lookup = c.player_lookup AND sz.analysis_date = c.game_date
  LEFT JOIN zone_defense AS zd
    ON zd.team_abbr = c.opponent_team_abbr AND zd.analysis_date = c.game_date
  LEFT JOIN team_pace AS tp
    ON tp.team_abbr = c.team_abbr AND tp.game_date = c.game_date
  LEFT JOIN team_pace AS op
    ON op.team_abbr = c.opponent_team_abbr AND op.game_date = c.game_date
  LEFT JOIN usage_history AS uh
    ON uh.player_lookup = c.player_lookup AND uh.game_date = c.game_date
),
mismatch AS (
  SELECT
    *,
    opponent_zone_vs_league * LEAST(player_zone_rate / 50, 1) AS weighted_mismatch
  FROM inputs
),
factors AS (
  SELECT
    *,
    CAST(GREATEST(0, LEAST(100, fatigue_points)) AS INT64) AS fatigue_score,
    COALESCE(ROUND(GREATEST(-10, LEAST(10,
      IF(ABS(weighted_mismatch) > 5, weighted_mismatch * 1.2, weighted_mismatch))), 1), 0) AS shot_zone_mismatch_score,
    COALESCE(ROUND(GREATEST(-3, LEAST(3, pace_differential / 2)), 2), 0) AS pace_score,
    ROUND(GREATEST(-3, LEAST(3, (projected_usage_rate - avg_usage_rate_last_7_games) * 0.3)), 2) AS usage_spike_score
  FROM mismatch
)
SELECT
  player_lookup,
  team_abbr,
  opponent_team_abbr,
  game_date,
  game_id,
  game_date AS analysis_date,
  fatigue_score,
  ROUND((fatigue_score - 100) / 20, 2) AS fatigue_adjustment,
  shot_zone_mismatch_score,
  primary_scoring_zone,
  ROUND(pace_differential, 2) AS pace_differential,
  pace_score,
  ROUND(projected_usage_rate, 2) AS projected_usage_rate,
  ROUND(avg_usage_rate_last_7_games, 2) AS avg_usage_rate_last_7_games,
  usage_spike_score,
  0.0 AS referee_favorability_score,
  0.0 AS look_ahead_pressure_score,
  0.0 AS travel_impact_score,
  0.0 AS opponent_strength_score,
  ROUND((fatigue_score - 100) / 20 + shot_zone_mismatch_score + pace_score + usage_spike_score, 2)
    AS total_composite_adjustment,
  'v1_4factors' AS calculation_version,
  CURRENT_TIMESTAMP() AS processed_at
FROM factors
