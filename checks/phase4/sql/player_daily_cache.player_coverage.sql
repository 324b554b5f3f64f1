-- family: row_counts
-- shared: played_games
-- per date, a row for every upcoming_player_game_context player of a non-bootstrap date with at least 3 played games (active, minutes > 0) this season strictly before it (the processor's absolute_min_games = 3), and for no one else (derived from phase 3, not from the table): a date missing 30% of its players still looks covered
WITH dates AS (
  SELECT DISTINCT game_date, season_year FROM expected_games WHERE NOT is_bootstrap
),
events AS (
  -- on a shared day the context row sorts first: that day's own game never counts towards the 3
  SELECT player_lookup, season_year, game_date, 1 AS played FROM played_games
  UNION ALL
  SELECT u.player_lookup, d.season_year, u.game_date, 0
  FROM nba_analytics.upcoming_player_game_context AS u
  JOIN dates AS d ON d.game_date = u.game_date
  WHERE u.game_date BETWEEN @start_date AND @end_date
),
seq AS (
  SELECT player_lookup, game_date, played,
    SUM(played) OVER (PARTITION BY player_lookup, season_year ORDER BY game_date, played ROWS UNBOUNDED PRECEDING) AS k
  FROM events
),
expected AS (
  SELECT DISTINCT game_date, player_lookup FROM seq WHERE played = 0 AND k >= 3
),
stored AS (
  SELECT cache_date AS game_date, player_lookup FROM nba_precompute.player_daily_cache
  WHERE cache_date BETWEEN @start_date AND @end_date
),
per_date AS (
  SELECT COALESCE(e.game_date, s.game_date) AS game_date,
    COUNTIF(s.player_lookup IS NULL) AS missing, COUNTIF(e.player_lookup IS NULL) AS extra,
    COUNTIF(e.player_lookup IS NOT NULL) AS players
  FROM expected AS e
  FULL OUTER JOIN stored AS s ON s.game_date = e.game_date AND s.player_lookup = e.player_lookup
  GROUP BY 1
)
SELECT CONCAT(CAST(game_date AS STRING), ': ', CAST(missing AS STRING), ' of ', CAST(players AS STRING),
              ' context players with 3+ earlier played games have no row, ', CAST(extra AS STRING),
              ' rows for players the processor would not write') AS example
FROM per_date
WHERE missing > 0 OR extra > 0
