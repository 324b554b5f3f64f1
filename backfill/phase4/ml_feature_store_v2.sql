-- nba_predictions.ml_feature_store_v2: the 21-feature vector ('v4_21features') per player
-- and game, for every player who played (player_game_summary: active, minutes > 0) on a
-- non-bootstrap date. Every source is looked up on the exact date (production Sessions
-- 290/291): player_daily_cache.cache_date, player_composite_factors.game_date,
-- player_shot_zone_analysis.analysis_date and the *opponent's*
-- team_defense_zone_analysis.analysis_date = game_date. Those tables only use games before
-- the date, so no feature sees the game it describes.
--
-- BigQuery arrays cannot hold NULL, so every feature has a default (platform-facts §4.5):
-- fatigue 70, opponent defensive rating 112.0, opponent pace 100.0, days_rest 2; points 10.0,
-- points std 5.0, minutes 28.0, team pace 100.0, team offensive rating 112.0; the other
-- composite factors 0.0; usage 25.0 (the usage-spike default); a missing shot-zone rate takes
-- that date's mean over all players, else 0.0. default_feature_count says how many features
-- of the row are defaults.
-- The order of `features` is the catalog's `features` list for this table.
-- Params: @start_date, @end_date (DATE), @bootstrap_days (INT64), @season_types (ARRAY<STRING>).
-- Calendar CTE prepended by the runner (phasegate.processors.processor_sql): expected_games
-- (is_bootstrap: day 0 .. @bootstrap_days-1 after opening night).
WITH analysis_dates AS (
  -- The range's counted game dates after the bootstrap days.
  SELECT DISTINCT game_date AS analysis_date
  FROM expected_games
  WHERE NOT is_bootstrap
),
players AS (
  SELECT p.player_lookup, p.team_abbr, p.opponent_team_abbr, p.game_id, p.game_date, p.home_game
  FROM nba_analytics.player_game_summary AS p
  JOIN analysis_dates AS a ON a.analysis_date = p.game_date
  WHERE p.game_date BETWEEN @start_date AND @end_date
    AND p.is_active
    AND p.minutes_played > 0
    AND p.team_abbr IS NOT NULL
),
context AS (
  SELECT player_lookup, game_date, days_rest, back_to_back
  FROM nba_analytics.upcoming_player_game_context
  WHERE game_date BETWEEN @start_date AND @end_date
),
daily_cache AS (
  SELECT *
  FROM nba_precompute.player_daily_cache
  WHERE cache_date BETWEEN @start_date AND @end_date
),
composite AS (
  SELECT *
  FROM nba_precompute.player_composite_factors
  WHERE game_date BETWEEN @start_date AND @end_date
),
shot_zones AS (
  SELECT
    *,
    -- Rates carry 2 decimals: averaging them as integer hundredths makes the sum exact, so the
    -- result does not depend on the order a parallel engine adds the rows in (reruns are identical).
    AVG(CAST(ROUND(paint_rate_last_10 * 100) AS INT64)) OVER (PARTITION BY analysis_date) / 100 AS date_paint_rate,
    AVG(CAST(ROUND(mid_range_rate_last_10 * 100) AS INT64)) OVER (PARTITION BY analysis_date) / 100
      AS date_mid_range_rate,
    AVG(CAST(ROUND(three_pt_rate_last_10 * 100) AS INT64)) OVER (PARTITION BY analysis_date) / 100
      AS date_three_pt_rate,
    AVG(CAST(ROUND(assisted_rate_last_10 * 100) AS INT64)) OVER (PARTITION BY analysis_date) / 100
      AS date_assisted_rate
  FROM nba_precompute.player_shot_zone_analysis
  WHERE analysis_date BETWEEN @start_date AND @end_date
),
zone_defense AS (
  SELECT team_abbr, analysis_date, defensive_rating_last_15, opponent_pace_last_15
  FROM nba_precompute.team_defense_zone_analysis
  WHERE analysis_date BETWEEN @start_date AND @end_date
),
joined AS (
  SELECT
    p.*,
    dc.points_avg_last_5, dc.points_avg_last_10, dc.points_avg_season, dc.points_std_last_10,
    dc.minutes_avg_last_10, dc.team_pace_last_10, dc.team_off_rating_last_10, dc.usage_rate_last_10,
    pcf.fatigue_score, pcf.shot_zone_mismatch_score, pcf.pace_score, pcf.usage_spike_score,
    zd.defensive_rating_last_15, zd.opponent_pace_last_15,
    ctx.days_rest, ctx.back_to_back,
    sz.paint_rate_last_10, sz.mid_range_rate_last_10, sz.three_pt_rate_last_10, sz.assisted_rate_last_10,
    -- A player without a zone row on a date with zone rows: the date's mean over players. Every
    -- zone row of a date carries that same mean, so MAX picks it exactly (AVG of equal floats
    -- can differ in the last bit with the order of addition).
    COALESCE(sz.date_paint_rate, MAX(sz.date_paint_rate) OVER (PARTITION BY p.game_date)) AS date_paint_rate,
    COALESCE(sz.date_mid_range_rate, MAX(sz.date_mid_range_rate) OVER (PARTITION BY p.game_date)) AS date_mid_range_rate,
    COALESCE(sz.date_three_pt_rate, MAX(sz.date_three_pt_rate) OVER (PARTITION BY p.game_date)) AS date_three_pt_rate,
    COALESCE(sz.date_assisted_rate, MAX(sz.date_assisted_rate) OVER (PARTITION BY p.game_date)) AS date_assisted_rate
  FROM players AS p
  LEFT JOIN daily_cache AS dc
    ON dc.player_lookup = p.player_lookup AND dc.cache_date = p.game_date
  LEFT JOIN composite AS pcf
    ON pcf.player_lookup = p.player_lookup AND pcf.game_date = p.game_date
  LEFT JOIN shot_zones AS sz
    ON sz.player_lookup = p.player_lookup AND sz.analysis_date = p.game_date
  LEFT JOIN zone_defense AS zd
    ON zd.team_abbr = p.opponent_team_abbr AND zd.analysis_date = p.game_date
  LEFT JOIN context AS ctx
    ON ctx.player_lookup = p.player_lookup AND ctx.game_date = p.game_date
)
SELECT
  j.player_lookup,
  j.team_abbr,
  j.opponent_team_abbr,
  j.game_id,
  j.game_date,
  COALESCE(j.home_game, FALSE) AS is_home,
  COALESCE(j.days_rest, 2) AS days_rest,
  [
    CAST(COALESCE(j.points_avg_last_5, 10.0) AS FLOAT64),
    CAST(COALESCE(j.points_avg_last_10, 10.0) AS FLOAT64),
    CAST(COALESCE(j.points_avg_season, 10.0) AS FLOAT64),
    CAST(COALESCE(j.points_std_last_10, 5.0) AS FLOAT64),
    CAST(COALESCE(j.minutes_avg_last_10, 28.0) AS FLOAT64),
    CAST(COALESCE(j.fatigue_score, 70) AS FLOAT64),
    CAST(COALESCE(j.shot_zone_mismatch_score, 0.0) AS FLOAT64),
    CAST(COALESCE(j.pace_score, 0.0) AS FLOAT64),
    CAST(COALESCE(j.usage_spike_score, 0.0) AS FLOAT64),
    CAST(COALESCE(j.defensive_rating_last_15, 112.0) AS FLOAT64),
    CAST(COALESCE(j.opponent_pace_last_15, 100.0) AS FLOAT64),
    CAST(IF(j.home_game, 1.0, 0.0) AS FLOAT64),
    CAST(COALESCE(j.days_rest, 2) AS FLOAT64),
    CAST(IF(j.back_to_back, 1.0, 0.0) AS FLOAT64),
    CAST(COALESCE(j.paint_rate_last_10, j.date_paint_rate, 0.0) AS FLOAT64),
    CAST(COALESCE(j.mid_range_rate_last_10, j.date_mid_range_rate, 0.0) AS FLOAT64),
    CAST(COALESCE(j.three_pt_rate_last_10, j.date_three_pt_rate, 0.0) AS FLOAT64),
    CAST(COALESCE(j.assisted_rate_last_10, j.date_assisted_rate, 0.0) AS FLOAT64),
    CAST(COALESCE(j.team_pace_last_10, 100.0) AS FLOAT64),
    CAST(COALESCE(j.team_off_rating_last_10, 112.0) AS FLOAT64),
    CAST(COALESCE(j.usage_rate_last_10, 25.0) AS FLOAT64)
  ] AS features,
  [
    'points_avg_last_5', 'points_avg_last_10', 'points_avg_season', 'points_std_last_10',
    'minutes_avg_last_10', 'fatigue_score', 'shot_zone_mismatch_score', 'pace_score', 'usage_spike_score',
    'opponent_def_rating_last_15', 'opponent_pace_last_15', 'is_home', 'days_rest', 'back_to_back',
    'paint_rate_last_10', 'mid_range_rate_last_10', 'three_pt_rate_last_10', 'assisted_rate_last_10',
    'team_pace_last_10', 'team_off_rating_last_10', 'usage_rate_last_10'
  ] AS feature_names,
  21 AS feature_count,
  'v4_21features' AS feature_version,
  (IF(j.points_avg_last_5 IS NULL, 1, 0) + IF(j.points_avg_last_10 IS NULL, 1, 0)
   + IF(j.points_avg_season IS NULL, 1, 0) + IF(j.points_std_last_10 IS NULL, 1, 0)
   + IF(j.minutes_avg_last_10 IS NULL, 1, 0) + IF(j.fatigue_score IS NULL, 1, 0)
   + IF(j.shot_zone_mismatch_score IS NULL, 1, 0) + IF(j.pace_score IS NULL, 1, 0)
   + IF(j.usage_spike_score IS NULL, 1, 0) + IF(j.defensive_rating_last_15 IS NULL, 1, 0)
   + IF(j.opponent_pace_last_15 IS NULL, 1, 0) + IF(j.home_game IS NULL, 1, 0)
   + IF(j.days_rest IS NULL, 1, 0) + IF(j.back_to_back IS NULL, 1, 0)
   + IF(j.paint_rate_last_10 IS NULL, 1, 0) + IF(j.mid_range_rate_last_10 IS NULL, 1, 0)
   + IF(j.three_pt_rate_last_10 IS NULL, 1, 0) + IF(j.assisted_rate_last_10 IS NULL, 1, 0)
   + IF(j.team_pace_last_10 IS NULL, 1, 0) + IF(j.team_off_rating_last_10 IS NULL, 1, 0)
   + IF(j.usage_rate_last_10 IS NULL, 1, 0)) AS default_feature_count,
  'phase4' AS data_source,
  CURRENT_TIMESTAMP() AS processed_at
FROM joined AS j
