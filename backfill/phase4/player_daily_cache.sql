-- nba_precompute.player_daily_cache: per cache date x player playing that date (the rows of
-- upcoming_player_game_context), aggregates of the player's *played* games (active, minutes
-- > 0; DNP rows never enter an average) strictly before cache_date and since the season's
-- opening night:
--   points_avg_last_5/10, points_avg_season, points_std_last_10 (sample std), minutes,
--   usage_rate and ts_pct over the last 10, games_played_season, season usage;
--   team_pace_last_10 / team_off_rating_last_10 = means over the team's last 10
--   team_offense_game_summary rows before the date;
--   the rest/load columns of upcoming_player_game_context and the zone profile of
--   player_shot_zone_analysis for the same date.
-- Like production (absolute_min_games = 3), no row is written for a player with fewer than
-- 3 played games this season: consumers fall back to their defaults.
-- Nothing is written on bootstrap dates (season opening night from the schedule).
-- Params: @start_date, @end_date (DATE), @bootstrap_days (INT64), @season_types (ARRAY<STRING>).
-- Calendar CTEs prepended by the runner (phasegate.processors.processor_sql): expected_games
-- (is_bootstrap: day 0 .. @bootstrap_days-1 after opening night), season_openers.
-- shared: analysis_dates, player_context, team_offense_history
WITH played_games AS (
  SELECT player_lookup, game_date, points, minutes_played, usage_rate, ts_pct
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN DATE_SUB(@start_date, INTERVAL 300 DAY) AND @end_date
    AND is_active
    AND minutes_played > 0
),
player_history AS (
  SELECT
    c.player_lookup,
    c.game_date AS cache_date,
    h.points,
    h.minutes_played,
    h.usage_rate,
    h.ts_pct,
    ROW_NUMBER() OVER (PARTITION BY c.player_lookup, c.game_date ORDER BY h.game_date DESC) AS games_back
  FROM player_context AS c
  JOIN played_games AS h
    ON h.player_lookup = c.player_lookup
   AND h.game_date < c.game_date
   AND h.game_date >= c.opening_night
),
player_aggregates AS (
  SELECT
    player_lookup,
    cache_date,
    COUNT(*) AS games_played_season,
    AVG(IF(games_back <= 5, points, NULL)) AS points_avg_5,
    AVG(IF(games_back <= 10, points, NULL)) AS points_avg_10,
    AVG(points) AS points_avg_season,
    -- Every sum below is of integers (points; minutes, usage and ts_pct as integer tenths,
    -- hundredths and thousandths: the precision they are stored with), so it is exact and
    -- does not depend on the order a parallel engine adds rows in: reruns give identical rows
    -- (a float sum in another order can flip the last rounded digit).
    IF(COUNTIF(games_back <= 10 AND points IS NOT NULL) > 1,
       SQRT((COUNTIF(games_back <= 10 AND points IS NOT NULL) * SUM(IF(games_back <= 10, points * points, NULL))
             - SUM(IF(games_back <= 10, points, NULL)) * SUM(IF(games_back <= 10, points, NULL)))
            / (COUNTIF(games_back <= 10 AND points IS NOT NULL) * (COUNTIF(games_back <= 10 AND points IS NOT NULL) - 1))),
       NULL) AS points_std_10,
    AVG(IF(games_back <= 10, CAST(ROUND(minutes_played * 10) AS INT64), NULL)) / 10 AS minutes_avg_10,
    AVG(IF(games_back <= 10, CAST(ROUND(usage_rate * 100) AS INT64), NULL)) / 100 AS usage_rate_10,
    AVG(IF(games_back <= 10, CAST(ROUND(ts_pct * 1000) AS INT64), NULL)) / 1000 AS ts_pct_10,
    AVG(CAST(ROUND(usage_rate * 100) AS INT64)) / 100 AS usage_rate_season
  FROM player_history
  GROUP BY player_lookup, cache_date
),
team_aggregates AS (
  SELECT
    game_date,
    team_abbr,
    AVG(IF(games_back <= 10, CAST(ROUND(pace * 10) AS INT64), NULL)) / 10 AS pace_10,
    AVG(IF(games_back <= 10, CAST(ROUND(offensive_rating * 100) AS INT64), NULL)) / 100 AS off_rating_10
  FROM team_offense_history
  GROUP BY game_date, team_abbr
),
shot_zones AS (
  SELECT player_lookup, analysis_date, primary_scoring_zone, paint_rate_last_10, three_pt_rate_last_10,
         assisted_rate_last_10
  FROM nba_precompute.player_shot_zone_analysis
  WHERE analysis_date BETWEEN @start_date AND @end_date
)
SELECT
  c.player_lookup,
  c.team_abbr,
  c.game_date AS cache_date,
  ROUND(p.points_avg_5, 1) AS points_avg_last_5,
  ROUND(p.points_avg_10, 1) AS points_avg_last_10,
  ROUND(p.points_avg_season, 1) AS points_avg_season,
  ROUND(p.points_std_10, 2) AS points_std_last_10,
  ROUND(p.minutes_avg_10, 1) AS minutes_avg_last_10,
  ROUND(p.usage_rate_10, 2) AS usage_rate_last_10,
  ROUND(p.ts_pct_10, 3) AS ts_pct_last_10,
  p.games_played_season,
  ROUND(p.usage_rate_season, 2) AS player_usage_rate_season,
  ROUND(t.pace_10, 1) AS team_pace_last_10,
  ROUND(t.off_rating_10, 2) AS team_off_rating_last_10,
  c.games_in_last_7_days,
  c.games_in_last_14_days,
  c.minutes_in_last_7_days,
  c.minutes_in_last_14_days,
  c.back_to_backs_last_14_days,
  c.avg_minutes_per_game_last_7,
  z.primary_scoring_zone,
  z.paint_rate_last_10,
  z.three_pt_rate_last_10,
  z.assisted_rate_last_10,
  z.player_lookup IS NOT NULL AS shot_zone_data_available,
  'v1' AS cache_version,
  CURRENT_TIMESTAMP() AS processed_at
FROM player_context AS c
JOIN player_aggregates AS p
  ON p.player_lookup = c.player_lookup AND p.cache_date = c.game_date
LEFT JOIN team_aggregates AS t
  ON t.team_abbr = c.team_abbr AND t.game_date = c.game_date
LEFT JOIN shot_zones AS z
  ON z.player_lookup = c.player_lookup AND z.analysis_date = c.game_date
WHERE p.games_played_season >= 3
