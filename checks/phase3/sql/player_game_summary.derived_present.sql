-- family: null_rates
-- a derived value is NULL only when its inputs are (platform-facts §3, §8: a join that matched half the games, a processing-order race, a play-by-play join that stopped matching): usage_rate is set for every active row with minutes > 0, FGA and TOV when the team's row has possessions (unless the recomputed value exceeds 100, which the processor NULLs), and the shot-zone columns for every active row whose raw player_shot_zones row has all three zones
WITH zones AS (
  SELECT game_date, player_lookup, paint_attempts, mid_range_attempts, three_attempts
  FROM nba_raw.player_shot_zones
  WHERE game_date BETWEEN @start_date AND @end_date
  QUALIFY ROW_NUMBER() OVER (PARTITION BY game_date, player_lookup ORDER BY processed_at DESC) = 1
),
r AS (
  SELECT p.game_date, p.player_lookup, p.usage_rate, p.paint_attempts AS paint, p.mid_range_attempts AS mid,
    p.three_attempts_pbp AS three,
    p.minutes_played > 0 AND p.fg_attempts IS NOT NULL AND p.turnovers IS NOT NULL
      AND t.fg_attempts + 0.44 * COALESCE(t.ft_attempts, 0) + t.turnovers > 0
      AND 100 * (p.fg_attempts + 0.44 * COALESCE(p.ft_attempts, 0) + p.turnovers) * 48
          / (p.minutes_played * (t.fg_attempts + 0.44 * COALESCE(t.ft_attempts, 0) + t.turnovers)) <= 99 AS usage_due,
    z.paint_attempts IS NOT NULL AND z.mid_range_attempts IS NOT NULL AND z.three_attempts IS NOT NULL AS zones_due
  FROM nba_analytics.player_game_summary AS p
  LEFT JOIN nba_analytics.team_offense_game_summary AS t
    ON t.game_date = p.game_date AND t.team_abbr = p.team_abbr AND t.game_date BETWEEN @start_date AND @end_date
  LEFT JOIN zones AS z ON z.game_date = p.game_date AND z.player_lookup = p.player_lookup
  WHERE p.game_date BETWEEN @start_date AND @end_date AND p.is_active
),
per_date AS (
  SELECT game_date, COUNTIF(usage_due AND usage_rate IS NULL) AS usage_missing, COUNTIF(usage_due) AS usage_due,
    COUNTIF(zones_due AND (paint IS NULL OR mid IS NULL OR three IS NULL)) AS zones_missing, COUNTIF(zones_due) AS zones_due
  FROM r GROUP BY game_date
)
SELECT CONCAT(CAST(game_date AS STRING), ': usage_rate NULL on ', CAST(usage_missing AS STRING), ' of ', CAST(usage_due AS STRING),
              ' rows with its inputs, shot zones NULL on ', CAST(zones_missing AS STRING), ' of ', CAST(zones_due AS STRING),
              ' rows with raw zones') AS example
FROM per_date
WHERE usage_missing > 0 OR zones_missing > 0
