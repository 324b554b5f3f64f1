-- family: row_counts
-- shared: zone_games
-- per date, a row for every player of player_game_summary on a non-bootstrap date (a team named) with at least one zone game (minutes > 0 or FGA > 0) earlier this season, and for no one else (the processor's universe and min-games rule, derived from phase 3, not from the table): a date missing 30% of its players still looks covered
WITH dates AS (
  SELECT DISTINCT game_date, season_year FROM expected_games WHERE NOT is_bootstrap
),
events AS (
  -- on a shared day the candidate sorts first: that day's own game never makes a player eligible
  SELECT player_lookup, season_year, game_date, 1 AS played FROM zone_games
  UNION ALL
  SELECT p.player_lookup, d.season_year, p.game_date, 0
  FROM nba_analytics.player_game_summary AS p
  JOIN dates AS d ON d.game_date = p.game_date
  WHERE p.game_date BETWEEN @start_date AND @end_date AND p.team_abbr IS NOT NULL
),
seq AS (
  SELECT player_lookup, game_date, played,
    SUM(played) OVER (PARTITION BY player_lookup, season_year ORDER BY game_date, played ROWS UNBOUNDED PRECEDING) AS k
  FROM events
),
expected AS (
  SELECT DISTINCT game_date, player_lookup FROM seq WHERE played = 0 AND k >= 1
),
stored AS (
  SELECT analysis_date AS game_date, player_lookup FROM nba_precompute.player_shot_zone_analysis
  WHERE analysis_date BETWEEN @start_date AND @end_date
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
              ' players with an earlier zone game have no row, ', CAST(extra AS STRING),
              ' rows for players the processor would not write') AS example
FROM per_date
WHERE missing > 0 OR extra > 0
