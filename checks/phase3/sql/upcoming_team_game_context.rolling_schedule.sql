-- family: leakage
-- team_days_rest, game_number_in_season, games_in_last_7_days, last_game_margin and the win/loss streaks entering the game
-- equal a recomputation
-- from the team's counted final games of the same season strictly before the row's date
WITH expected_games_all AS (
  -- every counted final game since the season openers, not only those of the window
  SELECT game_date, season_year, home_team_tricode AS home_team, away_team_tricode AS away_team
  FROM schedule_latest
  WHERE game_status = 3 AND home_team_score IS NOT NULL AND away_team_score IS NOT NULL
    AND season_type IN UNNEST(@season_types)
),
team_games AS (
  SELECT game_date, season_year, home_team AS team_abbr, away_team AS opponent
  FROM expected_games_all
  UNION ALL
  SELECT game_date, season_year, away_team, home_team
  FROM expected_games_all
),
team_margins AS (
  SELECT s.game_date, s.season_year, s.home_team_tricode AS team_abbr,
         s.home_team_score - s.away_team_score AS margin
  FROM schedule_latest AS s
  UNION ALL
  SELECT s.game_date, s.season_year, s.away_team_tricode, s.away_team_score - s.home_team_score
  FROM schedule_latest AS s
),
recomputed AS (
  SELECT
    t.team_abbr,
    t.game_date,
    COUNT(h.game_date) + 1 AS game_number,
    DATE_DIFF(t.game_date, MAX(h.game_date), DAY) AS days_rest,
    COUNTIF(h.game_date > DATE_SUB(t.game_date, INTERVAL 7 DAY)) AS games_7,
    MAX(h.game_date) AS previous_game_date
  FROM team_games AS t
  LEFT JOIN team_games AS h
    ON h.team_abbr = t.team_abbr AND h.season_year = t.season_year AND h.game_date < t.game_date
  WHERE t.game_date BETWEEN @start_date AND @end_date
  GROUP BY t.team_abbr, t.game_date
),
history AS (
  SELECT t.team_abbr, t.game_date, h.game_date AS h_date, m.margin
  FROM team_games AS t
  JOIN team_games AS h ON h.team_abbr = t.team_abbr AND h.season_year = t.season_year AND h.game_date < t.game_date
  LEFT JOIN team_margins AS m ON m.team_abbr = h.team_abbr AND m.game_date = h.game_date AND m.margin IS NOT NULL
  WHERE t.game_date BETWEEN @start_date AND @end_date
),
edges AS (
  SELECT team_abbr, game_date, MAX(IF(margin < 0, h_date, NULL)) AS last_loss, MAX(IF(margin > 0, h_date, NULL)) AS last_win
  FROM history
  GROUP BY team_abbr, game_date
),
streaks AS (
  -- entering the game: the games since the last loss (a win streak) or since the last win (a loss streak)
  SELECT h.team_abbr, h.game_date,
    COUNTIF(h.h_date > COALESCE(e.last_loss, DATE '1900-01-01')) AS win_streak,
    COUNTIF(h.h_date > COALESCE(e.last_win, DATE '1900-01-01')) AS loss_streak
  FROM history AS h
  JOIN edges AS e ON e.team_abbr = h.team_abbr AND e.game_date = h.game_date
  GROUP BY h.team_abbr, h.game_date
),
compared AS (
  SELECT c.game_date, c.team_abbr,
         c.team_days_rest, r.days_rest,
         c.game_number_in_season, r.game_number,
         c.games_in_last_7_days, r.games_7,
         c.last_game_margin, m.margin AS previous_margin,
         c.team_win_streak_entering, COALESCE(st.win_streak, 0) AS win_streak,
         c.team_loss_streak_entering, COALESCE(st.loss_streak, 0) AS loss_streak
  FROM nba_analytics.upcoming_team_game_context AS c
  LEFT JOIN streaks AS st ON st.team_abbr = c.team_abbr AND st.game_date = c.game_date
  LEFT JOIN recomputed AS r ON r.team_abbr = c.team_abbr AND r.game_date = c.game_date
  LEFT JOIN team_margins AS m ON m.team_abbr = c.team_abbr AND m.game_date = r.previous_game_date
   AND m.margin IS NOT NULL
  WHERE c.game_date BETWEEN @start_date AND @end_date
),
judged AS (
  SELECT game_date, team_abbr,
    CASE
      WHEN COALESCE(team_days_rest = days_rest, team_days_rest IS NULL AND days_rest IS NULL) IS NOT TRUE
        THEN CONCAT('team_days_rest ', COALESCE(CAST(team_days_rest AS STRING), 'NULL'), ' vs ',
                    COALESCE(CAST(days_rest AS STRING), 'NULL'), ' from the schedule')
      WHEN COALESCE(game_number_in_season = game_number, FALSE) IS NOT TRUE
        THEN CONCAT('game_number_in_season ', COALESCE(CAST(game_number_in_season AS STRING), 'NULL'), ' vs ',
                    COALESCE(CAST(game_number AS STRING), 'NULL'))
      WHEN COALESCE(games_in_last_7_days = games_7, FALSE) IS NOT TRUE
        THEN CONCAT('games_in_last_7_days ', COALESCE(CAST(games_in_last_7_days AS STRING), 'NULL'), ' vs ',
                    COALESCE(CAST(games_7 AS STRING), 'NULL'))
      WHEN COALESCE(last_game_margin = previous_margin, last_game_margin IS NULL AND previous_margin IS NULL) IS NOT TRUE
        THEN CONCAT('last_game_margin ', COALESCE(CAST(last_game_margin AS STRING), 'NULL'), ' vs ',
                  COALESCE(CAST(previous_margin AS STRING), 'NULL'))
      WHEN COALESCE(team_win_streak_entering = win_streak AND team_loss_streak_entering = loss_streak, FALSE) IS NOT TRUE
        THEN CONCAT('streaks entering ', COALESCE(CAST(team_win_streak_entering AS STRING), 'NULL'), 'W/',
                    COALESCE(CAST(team_loss_streak_entering AS STRING), 'NULL'), 'L vs ', CAST(win_streak AS STRING), 'W/',
                    CAST(loss_streak AS STRING), 'L from the earlier games')
    END AS reason
  FROM compared
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', team_abbr, ': ', reason) AS example
FROM judged
WHERE reason IS NOT NULL
