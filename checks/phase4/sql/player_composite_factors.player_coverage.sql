-- family: row_counts
-- per date, a row for every player of upcoming_player_game_context on a non-bootstrap date and for no one else (the processor's universe, platform-facts §4.3): a partial date (1 of 187 players) fails even when every game has rows
WITH context AS (
  SELECT u.game_date, u.player_lookup
  FROM nba_analytics.upcoming_player_game_context AS u
  JOIN (SELECT DISTINCT game_date FROM expected_games WHERE NOT is_bootstrap) AS g ON g.game_date = u.game_date
  WHERE u.game_date BETWEEN @start_date AND @end_date
),
stored AS (
  SELECT game_date, player_lookup FROM nba_precompute.player_composite_factors WHERE game_date BETWEEN @start_date AND @end_date
),
per_date AS (
  SELECT COALESCE(c.game_date, s.game_date) AS game_date,
    COUNTIF(s.player_lookup IS NULL) AS missing, COUNTIF(c.player_lookup IS NULL) AS extra, COUNTIF(c.player_lookup IS NOT NULL) AS players
  FROM context AS c
  FULL OUTER JOIN stored AS s ON s.game_date = c.game_date AND s.player_lookup = c.player_lookup
  GROUP BY 1
)
SELECT CONCAT(CAST(game_date AS STRING), ': ', CAST(missing AS STRING), ' of ', CAST(players AS STRING),
              ' context players have no row, ', CAST(extra AS STRING), ' rows for players not in the context') AS example
FROM per_date
WHERE missing > 0 OR extra > 0
