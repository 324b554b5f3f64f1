-- family: null_rates
-- usage_rate is non-NULL for at least 95% of the rows with minutes_played > 0 (the 2026 reversed-game_id incident left 52% NULL)
WITH n AS (
  SELECT COUNT(*) AS played, COUNTIF(usage_rate IS NOT NULL) AS with_usage
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date AND minutes_played > 0
)
SELECT CONCAT('usage_rate non-NULL for ', CAST(with_usage AS STRING), '/', CAST(played AS STRING),
              ' rows with minutes > 0, below 95%') AS example
FROM n
WHERE with_usage < 0.95 * played
