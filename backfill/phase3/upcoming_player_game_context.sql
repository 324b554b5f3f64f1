-- nba_analytics.upcoming_player_game_context: pre-game context, one row per active player
-- per final game (the backfill-mode universe: gamebook players who were not DNP/inactive).
--
-- History is the player's *played* games (active with minutes > 0: DNP rows never enter an
-- average) strictly before the row's date, within the production lookback of 30 days.
--   days_rest = date - last played date; back_to_back = (days_rest = 1)
--   games/minutes_in_last_N_days: history dates d with date - N < d < date
--   points_avg_last_5/10: mean points of the 5/10 most recent played games, rounded to 0.1
-- Prop lines: median across bookmakers of each bookmaker's latest (current) / earliest
-- (opening) snapshot. Game lines: the same consensus; for the spread only the favourite side
-- (outcome_point <= 0) is kept, since the +x/-x rows of a bookmaker have median 0.
-- Params: @start_date, @end_date (DATE), @season_types (ARRAY<STRING>).
-- Calendar CTE prepended by the runner (phasegate.processors.processor_sql): expected_games
-- (the range's counted games).
-- shared: props_by_book, props_consensus, game_lines_by_book
WITH gamebook_recent AS (
  SELECT
    *,
    SAFE_CAST(SPLIT(minutes, ':')[SAFE_OFFSET(0)] AS INT64)
      + SAFE_CAST(SPLIT(minutes, ':')[SAFE_OFFSET(1)] AS INT64) / 60 AS minutes_decimal,
    -- whole seconds: sums of them are exact, whatever order a parallel engine adds them in
    SAFE_CAST(SPLIT(minutes, ':')[SAFE_OFFSET(0)] AS INT64) * 60
      + SAFE_CAST(SPLIT(minutes, ':')[SAFE_OFFSET(1)] AS INT64) AS seconds_played
  FROM nba_raw.nbac_gamebook_player_stats
  WHERE game_date BETWEEN DATE_SUB(@start_date, INTERVAL 30 DAY) AND @end_date
  QUALIFY ROW_NUMBER() OVER (PARTITION BY game_date, player_lookup ORDER BY processed_at DESC) = 1
),
played_games AS (
  SELECT
    player_lookup,
    game_date,
    points,
    minutes_decimal,
    seconds_played,
    LAG(game_date) OVER (PARTITION BY player_lookup ORDER BY game_date) AS previous_game_date
  FROM gamebook_recent
  WHERE player_status = 'active' AND minutes_decimal > 0
),
targets AS (
  SELECT
    b.player_lookup,
    b.game_date,
    b.team_abbr,
    g.system_game_id AS game_id,
    g.game_id AS nba_game_id,
    g.season_year,
    g.home_team,
    g.away_team
  FROM gamebook_recent AS b
  JOIN expected_games AS g
    ON g.game_id = b.nba_game_id
   AND g.game_date = b.game_date
  WHERE b.game_date BETWEEN @start_date AND @end_date
    AND b.player_status = 'active'
    AND b.team_abbr IN (g.home_team, g.away_team)
),
history AS (
  SELECT
    t.player_lookup,
    t.game_date AS target_date,
    h.game_date,
    h.previous_game_date,
    h.points,
    h.minutes_decimal,
    h.seconds_played,
    ROW_NUMBER() OVER (PARTITION BY t.player_lookup, t.game_date ORDER BY h.game_date DESC) AS games_back
  FROM targets AS t
  JOIN played_games AS h
    ON h.player_lookup = t.player_lookup
   AND h.game_date < t.game_date
   AND h.game_date >= DATE_SUB(t.game_date, INTERVAL 30 DAY)
),
load_and_form AS (
  SELECT
    player_lookup,
    target_date,
    MAX(game_date) AS last_game_date,
    COUNT(*) AS games_in_lookback,
    COUNTIF(game_date > DATE_SUB(target_date, INTERVAL 7 DAY)) AS games_in_last_7_days,
    COUNTIF(game_date > DATE_SUB(target_date, INTERVAL 14 DAY)) AS games_in_last_14_days,
    SUM(IF(game_date > DATE_SUB(target_date, INTERVAL 7 DAY), seconds_played, 0)) / 60 AS minutes_7,
    SUM(IF(game_date > DATE_SUB(target_date, INTERVAL 14 DAY), seconds_played, 0)) / 60 AS minutes_14,
    -- A back-to-back pair counts when both of its games fall inside the 14-day window.
    COUNTIF(previous_game_date > DATE_SUB(target_date, INTERVAL 14 DAY)
            AND DATE_DIFF(game_date, previous_game_date, DAY) = 1) AS back_to_backs_last_14_days,
    AVG(IF(games_back <= 5, points, NULL)) AS points_avg_5,
    AVG(IF(games_back <= 10, points, NULL)) AS points_avg_10
  FROM history
  GROUP BY player_lookup, target_date
),
game_lines_consensus AS (
  SELECT DISTINCT
    game_date,
    home_team_abbr,
    away_team_abbr,
    PERCENTILE_CONT(IF(market_key = 'spreads' AND current_point <= 0, current_point, NULL), 0.5)
      OVER (PARTITION BY game_date, home_team_abbr, away_team_abbr) AS game_spread,
    PERCENTILE_CONT(IF(market_key = 'spreads' AND opening_point <= 0, opening_point, NULL), 0.5)
      OVER (PARTITION BY game_date, home_team_abbr, away_team_abbr) AS opening_spread,
    PERCENTILE_CONT(IF(market_key = 'totals' AND outcome_name = 'Over', current_point, NULL), 0.5)
      OVER (PARTITION BY game_date, home_team_abbr, away_team_abbr) AS game_total,
    PERCENTILE_CONT(IF(market_key = 'totals' AND outcome_name = 'Over', opening_point, NULL), 0.5)
      OVER (PARTITION BY game_date, home_team_abbr, away_team_abbr) AS opening_total
  FROM game_lines_by_book
)
SELECT
  t.player_lookup,
  t.game_id,
  t.nba_game_id,
  t.game_date,
  t.season_year,
  t.team_abbr,
  IF(t.team_abbr = t.home_team, t.away_team, t.home_team) AS opponent_team_abbr,
  t.team_abbr = t.home_team AS home_game,
  DATE_DIFF(t.game_date, f.last_game_date, DAY) AS days_rest,
  COALESCE(DATE_DIFF(t.game_date, f.last_game_date, DAY) = 1, FALSE) AS back_to_back,
  COALESCE(f.games_in_last_7_days, 0) AS games_in_last_7_days,
  COALESCE(f.games_in_last_14_days, 0) AS games_in_last_14_days,
  ROUND(COALESCE(f.minutes_7, 0), 1) AS minutes_in_last_7_days,
  ROUND(COALESCE(f.minutes_14, 0), 1) AS minutes_in_last_14_days,
  ROUND(SAFE_DIVIDE(f.minutes_7, f.games_in_last_7_days), 1) AS avg_minutes_per_game_last_7,
  COALESCE(f.back_to_backs_last_14_days, 0) AS back_to_backs_last_14_days,
  ROUND(f.points_avg_5, 1) AS points_avg_last_5,
  ROUND(f.points_avg_10, 1) AS points_avg_last_10,
  COALESCE(f.games_in_lookback, 0) AS games_in_lookback,
  l.current_line IS NOT NULL AS has_prop_line,
  ROUND(l.current_line, 1) AS current_points_line,
  ROUND(l.opening_line, 1) AS opening_points_line,
  ROUND(l.current_line - l.opening_line, 1) AS line_movement,
  IF(l.current_line IS NULL, NULL, 'odds_api_consensus') AS current_points_line_source,
  ROUND(gl.game_spread, 1) AS game_spread,
  ROUND(gl.opening_spread, 1) AS opening_spread,
  ROUND(gl.game_spread - gl.opening_spread, 1) AS spread_movement,
  ROUND(gl.game_total, 1) AS game_total,
  ROUND(gl.opening_total, 1) AS opening_total,
  ROUND(gl.game_total - gl.opening_total, 1) AS total_movement,
  CURRENT_TIMESTAMP() AS processed_at
FROM targets AS t
LEFT JOIN load_and_form AS f
  ON f.player_lookup = t.player_lookup AND f.target_date = t.game_date
LEFT JOIN props_consensus AS l
  ON l.player_lookup = t.player_lookup AND l.game_date = t.game_date
LEFT JOIN game_lines_consensus AS gl
  ON gl.game_date = t.game_date AND gl.home_team_abbr = t.home_team AND gl.away_team_abbr = t.away_team
