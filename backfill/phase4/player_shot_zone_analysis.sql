-- nba_precompute.player_shot_zone_analysis: per analysis date x player of a team playing
-- that date (the player's player_game_summary row that day names the team), the shot
-- profile of the player's last 10 and 20 games strictly before the date, this season, with
-- at least one such game. Games count when the player played (minutes > 0 or FGA > 0).
--
--   <zone>_rate_last_N = zone attempts / (paint + mid + three attempts) * 100, over the games
--                        of the window that have all three zones (a missing zone never
--                        counts as 0: production's all-NaN sum gave three_rate = 100%)
--   <zone>_pct_last_N  = zone makes / zone attempts
--   assisted_rate_last_10 = assisted makes / (assisted + unassisted makes) * 100
--   primary_scoring_zone: paint if paint_rate >= 40, perimeter if three_rate >= 40,
--                         mid_range if mid_rate >= 35, else balanced
-- Nothing is written on bootstrap dates (season opening night from the schedule).
-- Params: @start_date, @end_date (DATE), @bootstrap_days (INT64), @season_types (ARRAY<STRING>).
-- Calendar CTEs prepended by the runner (phasegate.processors.processor_sql): expected_games
-- (is_bootstrap: day 0 .. @bootstrap_days-1 after opening night), season_openers.
-- shared: analysis_dates
WITH player_games AS (
  SELECT *
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN DATE_SUB(@start_date, INTERVAL 300 DAY) AND @end_date
),
targets AS (
  SELECT p.player_lookup, p.team_abbr, a.analysis_date, a.opening_night
  FROM analysis_dates AS a
  JOIN player_games AS p ON p.game_date = a.analysis_date
  WHERE p.team_abbr IS NOT NULL
),
history AS (
  SELECT
    t.player_lookup,
    t.team_abbr,
    t.analysis_date,
    h.has_complete_shot_zones AS zoned,
    h.paint_attempts, h.paint_makes,
    h.mid_range_attempts, h.mid_range_makes,
    h.three_attempts_pbp, h.three_makes_pbp,
    h.assisted_fg_makes, h.unassisted_fg_makes,
    ROW_NUMBER() OVER (PARTITION BY t.player_lookup, t.analysis_date ORDER BY h.game_date DESC) AS games_back
  FROM targets AS t
  JOIN player_games AS h
    ON h.player_lookup = t.player_lookup
   AND h.game_date < t.analysis_date
   AND h.game_date >= t.opening_night
  WHERE h.minutes_played > 0 OR h.fg_attempts > 0
),
windows AS (
  SELECT
    player_lookup,
    team_abbr,
    analysis_date,
    COUNTIF(games_back <= 10) AS games_in_sample_10,
    COUNTIF(games_back <= 20) AS games_in_sample_20,
    COUNTIF(games_back <= 10 AND zoned) AS zoned_games_10,
    SUM(IF(games_back <= 10 AND zoned, paint_attempts, NULL)) AS paint_att_10,
    SUM(IF(games_back <= 10 AND zoned, paint_makes, NULL)) AS paint_made_10,
    SUM(IF(games_back <= 10 AND zoned, mid_range_attempts, NULL)) AS mid_att_10,
    SUM(IF(games_back <= 10 AND zoned, mid_range_makes, NULL)) AS mid_made_10,
    SUM(IF(games_back <= 10 AND zoned, three_attempts_pbp, NULL)) AS three_att_10,
    SUM(IF(games_back <= 10 AND zoned, three_makes_pbp, NULL)) AS three_made_10,
    SUM(IF(games_back <= 10 AND zoned, assisted_fg_makes, NULL)) AS assisted_10,
    SUM(IF(games_back <= 10 AND zoned, unassisted_fg_makes, NULL)) AS unassisted_10,
    SUM(IF(games_back <= 20 AND zoned, paint_attempts, NULL)) AS paint_att_20,
    SUM(IF(games_back <= 20 AND zoned, paint_makes, NULL)) AS paint_made_20,
    SUM(IF(games_back <= 20 AND zoned, mid_range_attempts, NULL)) AS mid_att_20,
    SUM(IF(games_back <= 20 AND zoned, three_attempts_pbp, NULL)) AS three_att_20
  FROM history
  GROUP BY player_lookup, team_abbr, analysis_date
),
rates AS (
  SELECT
    w.*,
    paint_att_10 + mid_att_10 + three_att_10 AS total_shots_10,
    ROUND(100 * SAFE_DIVIDE(paint_att_10, paint_att_10 + mid_att_10 + three_att_10), 2) AS paint_rate_10,
    ROUND(100 * SAFE_DIVIDE(mid_att_10, paint_att_10 + mid_att_10 + three_att_10), 2) AS mid_rate_10,
    ROUND(100 * SAFE_DIVIDE(three_att_10, paint_att_10 + mid_att_10 + three_att_10), 2) AS three_rate_10,
    ROUND(100 * SAFE_DIVIDE(paint_att_20, paint_att_20 + mid_att_20 + three_att_20), 2) AS paint_rate_20,
    ROUND(100 * SAFE_DIVIDE(mid_att_20, paint_att_20 + mid_att_20 + three_att_20), 2) AS mid_rate_20,
    ROUND(100 * SAFE_DIVIDE(three_att_20, paint_att_20 + mid_att_20 + three_att_20), 2) AS three_rate_20
  FROM windows AS w
)
SELECT
  r.player_lookup,
  r.team_abbr,
  r.analysis_date,
  r.games_in_sample_10,
  r.games_in_sample_20,
  r.total_shots_10 AS total_shots_last_10,
  r.paint_rate_10 AS paint_rate_last_10,
  r.mid_rate_10 AS mid_range_rate_last_10,
  r.three_rate_10 AS three_pt_rate_last_10,
  ROUND(SAFE_DIVIDE(r.paint_made_10, r.paint_att_10), 3) AS paint_pct_last_10,
  ROUND(SAFE_DIVIDE(r.mid_made_10, r.mid_att_10), 3) AS mid_range_pct_last_10,
  ROUND(SAFE_DIVIDE(r.three_made_10, r.three_att_10), 3) AS three_pt_pct_last_10,
  ROUND(SAFE_DIVIDE(r.paint_att_10, r.zoned_games_10), 1) AS paint_attempts_per_game,
  ROUND(SAFE_DIVIDE(r.mid_att_10, r.zoned_games_10), 1) AS mid_range_attempts_per_game,
  ROUND(SAFE_DIVIDE(r.three_att_10, r.zoned_games_10), 1) AS three_pt_attempts_per_game,
  r.paint_rate_20 AS paint_rate_last_20,
  r.mid_rate_20 AS mid_range_rate_last_20,
  r.three_rate_20 AS three_pt_rate_last_20,
  ROUND(SAFE_DIVIDE(r.paint_made_20, r.paint_att_20), 3) AS paint_pct_last_20,
  ROUND(100 * SAFE_DIVIDE(r.assisted_10, r.assisted_10 + r.unassisted_10), 2) AS assisted_rate_last_10,
  ROUND(100 * SAFE_DIVIDE(r.unassisted_10, r.assisted_10 + r.unassisted_10), 2) AS unassisted_rate_last_10,
  CASE WHEN r.games_in_sample_10 >= 10 THEN 'high' WHEN r.games_in_sample_10 >= 7 THEN 'medium' ELSE 'low' END
    AS sample_quality_10,
  CASE WHEN r.games_in_sample_20 >= 20 THEN 'high' WHEN r.games_in_sample_20 >= 14 THEN 'medium' ELSE 'low' END
    AS sample_quality_20,
  CASE
    WHEN r.paint_rate_10 IS NULL THEN NULL
    WHEN r.paint_rate_10 >= 40 THEN 'paint'
    WHEN r.three_rate_10 >= 40 THEN 'perimeter'
    WHEN r.mid_rate_10 >= 35 THEN 'mid_range'
    ELSE 'balanced'
  END AS primary_scoring_zone,
  CASE WHEN r.games_in_sample_10 >= 10 THEN 'high' WHEN r.games_in_sample_10 >= 7 THEN 'medium' ELSE 'low' END
    AS data_quality_tier,
  CURRENT_TIMESTAMP() AS processed_at
FROM rates AS r
