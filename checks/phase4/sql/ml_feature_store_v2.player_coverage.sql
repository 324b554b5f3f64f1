-- family: row_counts
-- per date, a feature row for every player who played (player_game_summary: active, minutes > 0; the backfill universe, platform-facts §4.5) and for no one else: a date missing 30% of its players still looks covered game by game
WITH played AS (
  SELECT p.game_date, p.player_lookup
  FROM nba_analytics.player_game_summary AS p
  JOIN (SELECT DISTINCT game_date FROM expected_games WHERE NOT is_bootstrap) AS g ON g.game_date = p.game_date
  WHERE p.game_date BETWEEN @start_date AND @end_date AND p.is_active AND p.minutes_played > 0 AND p.team_abbr IS NOT NULL
),
stored AS (
  SELECT game_date, player_lookup FROM nba_predictions.ml_feature_store_v2 WHERE game_date BETWEEN @start_date AND @end_date
),
per_date AS (
  SELECT COALESCE(p.game_date, s.game_date) AS game_date,
    COUNTIF(s.player_lookup IS NULL) AS missing, COUNTIF(p.player_lookup IS NULL) AS extra, COUNTIF(p.player_lookup IS NOT NULL) AS players
  FROM played AS p
  FULL OUTER JOIN stored AS s ON s.game_date = p.game_date AND s.player_lookup = p.player_lookup
  GROUP BY 1
)
SELECT CONCAT(CAST(game_date AS STRING), ': ', CAST(missing AS STRING), ' of ', CAST(players AS STRING),
              ' players who played have no feature row, ', CAST(extra AS STRING), ' rows for players who did not play') AS example
FROM per_date
WHERE missing > 0 OR extra > 0
