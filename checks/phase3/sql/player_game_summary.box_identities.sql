-- family: cross_table
-- each active row's box score is arithmetic (platform-facts §6 impossibility checks; every real player-game of 2024-25 passes): points = 2 x FGM + 3PM + FTM, a three is a field goal (3PM <= FGM, 3PA <= FGA), makes never exceed attempts; ts_pct = PTS / (2 (FGA + 0.44 FTA)) and efg_pct = (FGM + 0.5 3PM) / FGA, fractions (platform-facts §3), within their rounding to 0.001
WITH judged AS (
  SELECT game_date, player_lookup, ts_pct, efg_pct, points, fg_makes, fg_attempts, three_pt_makes, three_pt_attempts, ft_makes, ft_attempts,
    CASE
      WHEN points IS DISTINCT FROM 2 * fg_makes + three_pt_makes + ft_makes THEN 'points != 2 x FGM + 3PM + FTM'
      WHEN three_pt_makes > fg_makes OR three_pt_attempts > fg_attempts THEN 'more threes than field goals'
      WHEN fg_makes > fg_attempts OR three_pt_makes > three_pt_attempts OR ft_makes > ft_attempts
        THEN 'makes exceed attempts'
      WHEN COALESCE(ABS(ts_pct - SAFE_DIVIDE(points, 2 * (fg_attempts + 0.44 * COALESCE(ft_attempts, 0)))) > 0.0006, FALSE)
        OR (ts_pct IS NULL AND points IS NOT NULL AND fg_attempts + COALESCE(ft_attempts, 0) > 0)
        THEN CONCAT('ts_pct ', COALESCE(CAST(ts_pct AS STRING), 'NULL'), ' is not PTS / (2 (FGA + 0.44 FTA))')
      WHEN COALESCE(ABS(efg_pct - SAFE_DIVIDE(fg_makes + 0.5 * three_pt_makes, fg_attempts)) > 0.0006, FALSE)
        OR (efg_pct IS NULL AND fg_makes IS NOT NULL AND three_pt_makes IS NOT NULL AND fg_attempts > 0)
        THEN CONCAT('efg_pct ', COALESCE(CAST(efg_pct AS STRING), 'NULL'), ' is not (FGM + 0.5 3PM) / FGA')
    END AS reason
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date AND is_active
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', player_lookup, ': ', reason, ' (pts ', COALESCE(CAST(points AS STRING), 'NULL'),
              ', fg ', COALESCE(CAST(fg_makes AS STRING), 'NULL'), '/', COALESCE(CAST(fg_attempts AS STRING), 'NULL'),
              ', 3pt ', COALESCE(CAST(three_pt_makes AS STRING), 'NULL'), '/', COALESCE(CAST(three_pt_attempts AS STRING), 'NULL'),
              ', ft ', COALESCE(CAST(ft_makes AS STRING), 'NULL'), '/', COALESCE(CAST(ft_attempts AS STRING), 'NULL'), ')')
  AS example
FROM judged
WHERE reason IS NOT NULL
