-- nba_precompute.team_defense_zone_analysis: per analysis date x every team of the season
-- (30 rows per date), the zones allowed over the team's last 15 games strictly before the
-- date and since its season's opening night, compared with the league.
--
--   <zone>_pct_allowed_last_15 = sum(opp makes) / sum(opp attempts) over those games
--   league <zone> pct          = the same over the 30 days before the date, from teams with
--                                >= 10 games this season (all teams while none has 10 yet:
--                                production makes the minimum dynamic early in the season)
--   <zone>_defense_vs_league_avg = (team pct - league pct) * 100 (percentage points)
--   strongest_zone = most negative, weakest_zone = most positive (ties: paint, mid_range,
--                    three_pt)
-- Phase 4 writes nothing on bootstrap dates: day 0 .. @bootstrap_days-1 after each season's
-- opening night, derived from the schedule (first Regular Season game of the season_year).
-- A team without games in the sample still gets its row (games_in_sample = 0, NULL stats).
-- Params: @start_date, @end_date (DATE), @bootstrap_days (INT64), @season_types (ARRAY<STRING>).
-- Calendar CTEs prepended by the runner (phasegate.processors.processor_sql): expected_games
-- (is_bootstrap: day 0 .. @bootstrap_days-1 after opening night), season_openers and
-- schedule_latest (the season's teams, back to @schedule_start).
-- shared: analysis_dates
WITH season_teams AS (
  SELECT DISTINCT season_year, team_abbr
  FROM (
    SELECT season_year, home_team_tricode AS team_abbr FROM schedule_latest WHERE season_type = 'Regular Season'
    UNION ALL
    SELECT season_year, away_team_tricode FROM schedule_latest WHERE season_type = 'Regular Season'
  )
),
defense_history AS (
  SELECT *
  FROM nba_analytics.team_defense_game_summary
  WHERE game_date BETWEEN DATE_SUB(@start_date, INTERVAL 300 DAY) AND @end_date
),
season_so_far AS (
  SELECT
    a.analysis_date,
    t.team_abbr,
    h.game_date,
    h.points_allowed,
    h.opp_paint_attempts, h.opp_paint_makes,
    h.opp_mid_range_attempts, h.opp_mid_range_makes,
    h.opp_three_pt_attempts, h.opp_three_pt_makes,
    h.defensive_rating,
    h.opponent_pace,
    ROW_NUMBER() OVER (PARTITION BY a.analysis_date, t.team_abbr ORDER BY h.game_date DESC) AS games_back
  FROM analysis_dates AS a
  JOIN season_teams AS t
    ON t.season_year = a.season_year
  LEFT JOIN defense_history AS h
    ON h.defending_team_abbr = t.team_abbr
   AND h.game_date < a.analysis_date
   AND h.game_date >= a.opening_night
),
last_15 AS (
  SELECT
    analysis_date,
    team_abbr,
    COUNTIF(game_date IS NOT NULL) AS season_games,
    COUNTIF(games_back <= 15 AND game_date IS NOT NULL) AS games_in_sample,
    SUM(IF(games_back <= 15, opp_paint_makes, NULL)) AS paint_makes,
    SUM(IF(games_back <= 15, opp_paint_attempts, NULL)) AS paint_attempts,
    SUM(IF(games_back <= 15, opp_mid_range_makes, NULL)) AS mid_makes,
    SUM(IF(games_back <= 15, opp_mid_range_attempts, NULL)) AS mid_attempts,
    SUM(IF(games_back <= 15, opp_three_pt_makes, NULL)) AS three_makes,
    SUM(IF(games_back <= 15, opp_three_pt_attempts, NULL)) AS three_attempts,
    AVG(IF(games_back <= 15, points_allowed, NULL)) AS points_allowed_avg,
    -- ratings carry 2 decimals, pace 1: averaged as integer hundredths / tenths the sums are
    -- exact and independent of the order a parallel engine adds rows in (identical reruns)
    AVG(IF(games_back <= 15, CAST(ROUND(defensive_rating * 100) AS INT64), NULL)) / 100 AS defensive_rating_avg,
    AVG(IF(games_back <= 15, CAST(ROUND(opponent_pace * 10) AS INT64), NULL)) / 10 AS opponent_pace_avg
  FROM season_so_far
  GROUP BY analysis_date, team_abbr
),
qualified_teams AS (
  SELECT analysis_date, team_abbr
  FROM (
    SELECT analysis_date, team_abbr, season_games,
           MAX(season_games) OVER (PARTITION BY analysis_date) AS most_games
    FROM last_15
  )
  WHERE season_games >= 10 OR most_games < 10
),
league AS (
  SELECT
    a.analysis_date,
    SAFE_DIVIDE(SUM(h.opp_paint_makes), SUM(h.opp_paint_attempts)) AS paint_pct,
    SAFE_DIVIDE(SUM(h.opp_mid_range_makes), SUM(h.opp_mid_range_attempts)) AS mid_pct,
    SAFE_DIVIDE(SUM(h.opp_three_pt_makes), SUM(h.opp_three_pt_attempts)) AS three_pct
  FROM analysis_dates AS a
  JOIN defense_history AS h
    ON h.game_date < a.analysis_date
   AND h.game_date >= DATE_SUB(a.analysis_date, INTERVAL 30 DAY)
  JOIN qualified_teams AS q
    ON q.analysis_date = a.analysis_date
   AND q.team_abbr = h.defending_team_abbr
  GROUP BY a.analysis_date
),
compared AS (
  SELECT
    w.*,
    SAFE_DIVIDE(w.paint_makes, w.paint_attempts) AS paint_pct,
    SAFE_DIVIDE(w.mid_makes, w.mid_attempts) AS mid_pct,
    SAFE_DIVIDE(w.three_makes, w.three_attempts) AS three_pct,
    l.paint_pct AS league_paint_pct,
    l.mid_pct AS league_mid_pct,
    l.three_pct AS league_three_pct,
    ROUND((SAFE_DIVIDE(w.paint_makes, w.paint_attempts) - l.paint_pct) * 100, 2) AS paint_vs_league,
    ROUND((SAFE_DIVIDE(w.mid_makes, w.mid_attempts) - l.mid_pct) * 100, 2) AS mid_vs_league,
    ROUND((SAFE_DIVIDE(w.three_makes, w.three_attempts) - l.three_pct) * 100, 2) AS three_vs_league
  FROM last_15 AS w
  LEFT JOIN league AS l ON l.analysis_date = w.analysis_date
)
SELECT
  c.team_abbr,
  c.analysis_date,
  c.games_in_sample,
  ROUND(c.paint_pct, 3) AS paint_pct_allowed_last_15,
  ROUND(SAFE_DIVIDE(c.paint_attempts, c.games_in_sample), 1) AS paint_attempts_allowed_per_game,
  c.paint_vs_league AS paint_defense_vs_league_avg,
  ROUND(c.mid_pct, 3) AS mid_range_pct_allowed_last_15,
  ROUND(SAFE_DIVIDE(c.mid_attempts, c.games_in_sample), 1) AS mid_range_attempts_allowed_per_game,
  c.mid_vs_league AS mid_range_defense_vs_league_avg,
  ROUND(c.three_pct, 3) AS three_pt_pct_allowed_last_15,
  ROUND(SAFE_DIVIDE(c.three_attempts, c.games_in_sample), 1) AS three_pt_attempts_allowed_per_game,
  c.three_vs_league AS three_pt_defense_vs_league_avg,
  ROUND(c.league_paint_pct, 3) AS league_paint_pct,
  ROUND(c.league_mid_pct, 3) AS league_mid_range_pct,
  ROUND(c.league_three_pct, 3) AS league_three_pt_pct,
  ROUND(c.defensive_rating_avg, 2) AS defensive_rating_last_15,
  ROUND(c.points_allowed_avg, 1) AS opponent_points_per_game,
  ROUND(c.opponent_pace_avg, 1) AS opponent_pace_last_15,
  CASE
    WHEN c.paint_vs_league IS NULL OR c.mid_vs_league IS NULL OR c.three_vs_league IS NULL THEN NULL
    WHEN c.paint_vs_league <= c.mid_vs_league AND c.paint_vs_league <= c.three_vs_league THEN 'paint'
    WHEN c.mid_vs_league <= c.three_vs_league THEN 'mid_range'
    ELSE 'three_pt'
  END AS strongest_zone,
  CASE
    WHEN c.paint_vs_league IS NULL OR c.mid_vs_league IS NULL OR c.three_vs_league IS NULL THEN NULL
    WHEN c.paint_vs_league >= c.mid_vs_league AND c.paint_vs_league >= c.three_vs_league THEN 'paint'
    WHEN c.mid_vs_league >= c.three_vs_league THEN 'mid_range'
    ELSE 'three_pt'
  END AS weakest_zone,
  CASE WHEN c.games_in_sample >= 15 THEN 'high' WHEN c.games_in_sample >= 10 THEN 'medium' ELSE 'low' END
    AS data_quality_tier,
  CURRENT_TIMESTAMP() AS processed_at
FROM compared AS c
