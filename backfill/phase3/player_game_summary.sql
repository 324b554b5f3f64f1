-- nba_analytics.player_game_summary: one row per gamebook row (active, DNP and inactive).
--
-- Box stats are NULL when the player was not active. usage_rate joins
-- team_offense_game_summary on (game_date, team_abbr) — never on game_id, so an id written in
-- the other order cannot null it (platform-facts §0) — and is NULL when the team row is
-- missing, inputs are missing, minutes are 0, or the value exceeds 100 (impossible).
-- Props: consensus (median across bookmakers) of each bookmaker's latest snapshot; opening =
-- the same over each bookmaker's earliest snapshot. Props are matched on (game_date,
-- player_lookup) because their game_id mixes official and system formats.
-- Params: @start_date, @end_date (DATE), @season_types (ARRAY<STRING>).
-- Calendar CTEs prepended by the runner (phasegate.processors.processor_sql): expected_games
-- (the range's counted games) and schedule_latest (their scores).
-- shared: props_by_book, props_consensus
WITH gamebook_recent AS (
  -- 30 days of history only to recover the team of DNP rows whose team_abbr is NULL.
  SELECT *
  FROM nba_raw.nbac_gamebook_player_stats
  WHERE game_date BETWEEN DATE_SUB(@start_date, INTERVAL 30 DAY) AND @end_date
  QUALIFY ROW_NUMBER() OVER (PARTITION BY game_date, player_lookup ORDER BY processed_at DESC) = 1
),
gamebook AS (
  SELECT
    b.*,
    COALESCE(
      b.team_abbr,
      LAST_VALUE(b.team_abbr IGNORE NULLS) OVER (
        PARTITION BY b.player_lookup ORDER BY b.game_date ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
      FIRST_VALUE(b.team_abbr IGNORE NULLS) OVER (
        PARTITION BY b.player_lookup ORDER BY b.game_date ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
    ) AS inferred_team_abbr,
    b.player_status = 'active' AS is_active,
    -- 'MM:SS' -> decimal minutes (the production bug coerced this string to NULL).
    SAFE_CAST(SPLIT(b.minutes, ':')[SAFE_OFFSET(0)] AS INT64)
      + SAFE_CAST(SPLIT(b.minutes, ':')[SAFE_OFFSET(1)] AS INT64) / 60 AS minutes_decimal
  FROM gamebook_recent AS b
),
players AS (
  SELECT
    b.*,
    g.system_game_id,
    g.season_year AS schedule_season_year,
    IF(s.home_team_score > s.away_team_score, g.home_team, g.away_team) AS winning_team,
    -- A team inferred for a DNP row is kept only if it actually plays in this game.
    IF(b.inferred_team_abbr IN (g.home_team, g.away_team), b.inferred_team_abbr, NULL) AS resolved_team_abbr,
    g.home_team,
    g.away_team
  FROM gamebook AS b
  JOIN expected_games AS g
    ON g.game_id = b.nba_game_id
   AND g.game_date = b.game_date
  JOIN schedule_latest AS s
    ON s.game_id = g.game_id
   AND s.game_date = g.game_date
  WHERE b.game_date BETWEEN @start_date AND @end_date
),
team_offense AS (
  SELECT game_date, team_abbr, fg_attempts, ft_attempts, turnovers
  FROM nba_analytics.team_offense_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date
),
shot_zones AS (
  SELECT *
  FROM nba_raw.player_shot_zones
  WHERE game_date BETWEEN @start_date AND @end_date
  QUALIFY ROW_NUMBER() OVER (PARTITION BY game_date, player_lookup ORDER BY processed_at DESC) = 1
),
computed AS (
  SELECT
    p.*,
    IF(p.is_active, p.field_goals_attempted, NULL) AS fga,
    IF(p.is_active, p.free_throws_attempted, NULL) AS fta,
    IF(p.is_active, p.turnovers, NULL) AS tov,
    IF(p.is_active, p.points, NULL) AS pts,
    IF(p.is_active, p.minutes_decimal, NULL) AS played_minutes,
    t.fg_attempts + 0.44 * t.ft_attempts + t.turnovers AS team_possessions
  FROM players AS p
  LEFT JOIN team_offense AS t
    ON t.game_date = p.game_date
   AND t.team_abbr = p.resolved_team_abbr
),
usage AS (
  SELECT
    c.*,
    IF(c.fga IS NOT NULL AND c.tov IS NOT NULL AND c.played_minutes > 0 AND c.team_possessions > 0,
       100 * (c.fga + 0.44 * COALESCE(c.fta, 0) + c.tov) * 48 / (c.played_minutes * c.team_possessions),
       NULL) AS usage_rate_raw
  FROM computed AS c
)
SELECT
  u.player_lookup,
  u.player_name AS player_full_name,
  u.system_game_id AS game_id,
  u.nba_game_id,
  u.game_date,
  u.schedule_season_year AS season_year,
  u.resolved_team_abbr AS team_abbr,
  CASE u.resolved_team_abbr WHEN u.home_team THEN u.away_team WHEN u.away_team THEN u.home_team END
    AS opponent_team_abbr,
  u.resolved_team_abbr = u.home_team AS home_game,
  u.player_status,
  u.is_active,
  NOT u.is_active AS is_dnp,
  IF(u.is_active, NULL, u.dnp_reason) AS dnp_reason,
  ROUND(u.played_minutes, 1) AS minutes_played,
  u.pts AS points,
  u.fga AS fg_attempts,
  IF(u.is_active, u.field_goals_made, NULL) AS fg_makes,
  IF(u.is_active, u.three_pointers_attempted, NULL) AS three_pt_attempts,
  IF(u.is_active, u.three_pointers_made, NULL) AS three_pt_makes,
  u.fta AS ft_attempts,
  IF(u.is_active, u.free_throws_made, NULL) AS ft_makes,
  IF(u.is_active, u.offensive_rebounds, NULL) AS offensive_rebounds,
  IF(u.is_active, u.defensive_rebounds, NULL) AS defensive_rebounds,
  IF(u.is_active, u.assists, NULL) AS assists,
  IF(u.is_active, u.steals, NULL) AS steals,
  IF(u.is_active, u.blocks, NULL) AS blocks,
  u.tov AS turnovers,
  IF(u.is_active, u.personal_fouls, NULL) AS personal_fouls,
  IF(u.is_active, u.plus_minus, NULL) AS plus_minus,
  IF(u.usage_rate_raw <= 100, ROUND(u.usage_rate_raw, 2), NULL) AS usage_rate,
  ROUND(u.usage_rate_raw, 2) AS usage_rate_raw,
  u.team_possessions IS NOT NULL AS has_team_stats,
  ROUND(SAFE_DIVIDE(u.pts, 2 * (u.fga + 0.44 * COALESCE(u.fta, 0))), 3) AS ts_pct,
  ROUND(SAFE_DIVIDE(IF(u.is_active, u.field_goals_made + 0.5 * u.three_pointers_made, NULL), u.fga), 3) AS efg_pct,
  IF(u.is_active, u.played_minutes > 20, NULL) AS starter_flag,
  IF(u.resolved_team_abbr IS NULL, NULL, u.resolved_team_abbr = u.winning_team) AS win_flag,
  IF(u.is_active, z.paint_attempts, NULL) AS paint_attempts,
  IF(u.is_active, z.paint_makes, NULL) AS paint_makes,
  IF(u.is_active, z.mid_range_attempts, NULL) AS mid_range_attempts,
  IF(u.is_active, z.mid_range_makes, NULL) AS mid_range_makes,
  IF(u.is_active, z.three_attempts, NULL) AS three_attempts_pbp,
  IF(u.is_active, z.three_makes, NULL) AS three_makes_pbp,
  IF(u.is_active, z.assisted_fg_makes, NULL) AS assisted_fg_makes,
  IF(u.is_active, z.unassisted_fg_makes, NULL) AS unassisted_fg_makes,
  u.is_active AND z.paint_attempts IS NOT NULL AND z.mid_range_attempts IS NOT NULL AND z.three_attempts IS NOT NULL
    AS has_complete_shot_zones,
  ROUND(l.current_line, 1) AS points_line,
  ROUND(l.opening_line, 1) AS opening_line,
  ROUND(l.current_line - l.opening_line, 1) AS line_movement,
  CASE WHEN u.pts > l.current_line THEN 'OVER' WHEN u.pts < l.current_line THEN 'UNDER' END AS over_under_result,
  ROUND(u.pts - l.current_line, 1) AS margin,
  IF(l.current_line IS NULL, NULL, 'odds_api_consensus') AS points_line_source,
  'nbac_gamebook' AS primary_source_used,
  CURRENT_TIMESTAMP() AS processed_at
FROM usage AS u
LEFT JOIN shot_zones AS z
  ON z.game_date = u.game_date
 AND z.player_lookup = u.player_lookup
LEFT JOIN props_consensus AS l
  ON l.game_date = u.game_date
 AND l.player_lookup = u.player_lookup
