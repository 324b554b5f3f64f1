-- family: cross_table
-- the raw per-player sources name the players of the date (platform-facts §8: BigDataBall's player_lookup gained a numeric id prefix in Oct 2024 and the shot-zone join matched nothing for a season while older seasons looked fine): per date, at most 5% of the players in nba_raw.player_shot_zones and of those with prop snapshots are not a player_game_summary player of that date (a key-format change misses them all; one unresolved name is a fraction of a percent)
WITH players AS (
  SELECT game_date, player_lookup
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date
),
sourced AS (
  SELECT DISTINCT 'player_shot_zones' AS source, game_date, player_lookup
  FROM nba_raw.player_shot_zones
  WHERE game_date BETWEEN @start_date AND @end_date
  UNION ALL
  SELECT DISTINCT 'odds_api_player_points_props', game_date, player_lookup
  FROM nba_raw.odds_api_player_points_props
  WHERE game_date BETWEEN @start_date AND @end_date
),
judged AS (
  SELECT s.source, s.game_date, COUNT(*) AS n, COUNTIF(p.player_lookup IS NULL) AS unmatched,
         MIN(IF(p.player_lookup IS NULL, s.player_lookup, NULL)) AS first_unmatched
  FROM sourced AS s
  LEFT JOIN players AS p ON p.game_date = s.game_date AND p.player_lookup = s.player_lookup
  -- a date with no player_game_summary rows at all is a coverage gap (or an approved exception): coverage judges it
  WHERE s.game_date IN (SELECT game_date FROM players)
  GROUP BY s.source, s.game_date
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', source, ': ', CAST(unmatched AS STRING), ' of ', CAST(n AS STRING),
              ' players are no player_game_summary player of the date (e.g. ', first_unmatched, ')') AS example
FROM judged
WHERE unmatched > 0.05 * n
