-- nba_analytics.upcoming_team_game_context: pre-game context per team per final game
-- (2 rows per game).
--
-- The team's season so far comes from the schedule (final, scored, counted games of the
-- same season_year strictly before the row's date): rest, load, game number, the win/loss
-- streak entering the game and the last game's margin. Lines: DraftKings, else FanDuel —
-- the spread row whose outcome_name is this team and the 'Over' total, each bookmaker's
-- latest snapshot (opening = its earliest).
-- Rows: the range's expected_games, two per game. History: schedule_latest (reaches back to
-- @schedule_start, before the season's opening night) filtered like expected_games.
-- Params: @start_date, @end_date (DATE), @season_types (ARRAY<STRING>).
-- Calendar CTEs prepended by the runner (phasegate.processors.processor_sql): schedule_latest,
-- expected_games.
-- shared: game_lines_by_book
WITH counted_games AS (
  -- expected_games without its date range: the season so far needs games before @start_date.
  SELECT *
  FROM schedule_latest
  WHERE game_status = 3
    AND home_team_score IS NOT NULL
    AND away_team_score IS NOT NULL
    AND season_type IN UNNEST(@season_types)
),
team_games AS (
  SELECT game_date, season_year, game_id AS nba_game_id, home_team_tricode AS team_abbr,
         away_team_tricode AS opponent_team_abbr, TRUE AS home_game,
         home_team_score - away_team_score AS margin, home_team_tricode AS home_team, away_team_tricode AS away_team
  FROM counted_games
  UNION ALL
  SELECT game_date, season_year, game_id, away_team_tricode, home_team_tricode, FALSE,
         away_team_score - home_team_score, home_team_tricode, away_team_tricode
  FROM counted_games
),
results AS (
  SELECT
    *,
    -- Islands of equal results: a new streak starts whenever the result changes.
    SUM(result_changed) OVER (PARTITION BY team_abbr, season_year ORDER BY game_date
                              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS streak_id
  FROM (
    SELECT
      *,
      IF((margin > 0) = (LAG(margin > 0) OVER (PARTITION BY team_abbr, season_year ORDER BY game_date)), 0, 1)
        AS result_changed
    FROM team_games
  )
),
sequenced AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY team_abbr, season_year ORDER BY game_date) AS game_number_in_season,
    LAG(game_date) OVER (PARTITION BY team_abbr, season_year ORDER BY game_date) AS previous_game_date,
    LAG(margin) OVER (PARTITION BY team_abbr, season_year ORDER BY game_date) AS last_game_margin,
    LAG(streak_length) OVER (PARTITION BY team_abbr, season_year ORDER BY game_date) AS streak_length_entering
  FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY team_abbr, season_year, streak_id ORDER BY game_date) AS streak_length
    FROM results
  )
),
recent_load AS (
  SELECT
    t.team_abbr,
    t.game_date,
    COUNTIF(h.game_date > DATE_SUB(t.game_date, INTERVAL 7 DAY)) AS games_in_last_7_days,
    COUNTIF(h.game_date > DATE_SUB(t.game_date, INTERVAL 14 DAY)) AS games_in_last_14_days
  FROM team_games AS t
  JOIN team_games AS h
    ON h.team_abbr = t.team_abbr
   AND h.season_year = t.season_year
   AND h.game_date < t.game_date
   AND h.game_date > DATE_SUB(t.game_date, INTERVAL 14 DAY)
  WHERE t.game_date BETWEEN @start_date AND @end_date
  GROUP BY t.team_abbr, t.game_date
),
lines_by_book AS (
  -- DraftKings first, then FanDuel (production UTGC); other books are not used here.
  SELECT *, IF(bookmaker_key = 'draftkings', 1, 2) AS book_preference
  FROM game_lines_by_book
  WHERE bookmaker_key IN ('draftkings', 'fanduel')
),
preferred_lines AS (
  SELECT *
  FROM lines_by_book
  QUALIFY ROW_NUMBER() OVER (
    PARTITION BY game_date, home_team_abbr, away_team_abbr, market_key, outcome_name ORDER BY book_preference) = 1
)
SELECT
  s.team_abbr,
  e.system_game_id AS game_id,
  s.nba_game_id,
  s.game_date,
  s.season_year,
  s.opponent_team_abbr,
  s.home_game,
  DATE_DIFF(s.game_date, s.previous_game_date, DAY) AS team_days_rest,
  DATE_DIFF(s.game_date, s.previous_game_date, DAY) AS days_since_last_game,
  COALESCE(DATE_DIFF(s.game_date, s.previous_game_date, DAY) = 1, FALSE) AS team_back_to_back,
  COALESCE(r.games_in_last_7_days, 0) AS games_in_last_7_days,
  COALESCE(r.games_in_last_14_days, 0) AS games_in_last_14_days,
  s.game_number_in_season,
  CASE WHEN s.last_game_margin > 0 THEN s.streak_length_entering ELSE 0 END AS team_win_streak_entering,
  CASE WHEN s.last_game_margin < 0 THEN s.streak_length_entering ELSE 0 END AS team_loss_streak_entering,
  s.last_game_margin,
  CASE WHEN s.last_game_margin > 0 THEN 'W' WHEN s.last_game_margin < 0 THEN 'L' END AS last_game_result,
  sp.current_point AS game_spread,
  sp.opening_point AS opening_spread,
  sp.current_point - sp.opening_point AS spread_movement,
  sp.bookmaker_key AS game_spread_source,
  tot.current_point AS game_total,
  tot.opening_point AS opening_total,
  tot.current_point - tot.opening_point AS total_movement,
  tot.bookmaker_key AS game_total_source,
  CURRENT_TIMESTAMP() AS processed_at
FROM sequenced AS s
JOIN expected_games AS e
  ON e.game_id = s.nba_game_id AND e.game_date = s.game_date
LEFT JOIN recent_load AS r
  ON r.team_abbr = s.team_abbr AND r.game_date = s.game_date
LEFT JOIN preferred_lines AS sp
  ON sp.game_date = s.game_date AND sp.home_team_abbr = s.home_team AND sp.away_team_abbr = s.away_team
 AND sp.market_key = 'spreads' AND sp.outcome_name = s.team_abbr
LEFT JOIN preferred_lines AS tot
  ON tot.game_date = s.game_date AND tot.home_team_abbr = s.home_team AND tot.away_team_abbr = s.away_team
 AND tot.market_key = 'totals' AND tot.outcome_name = 'Over'
