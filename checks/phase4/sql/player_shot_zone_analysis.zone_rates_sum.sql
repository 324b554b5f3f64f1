-- family: cross_table
-- paint, mid-range and three rates of the last 10 games add up to 100 (all-missing zones once summed to 0 and made three_rate 100%)
SELECT CONCAT(CAST(analysis_date AS STRING), ' ', player_lookup, ': paint ', COALESCE(CAST(paint_rate_last_10 AS STRING), 'NULL'),
              ' + mid ', COALESCE(CAST(mid_range_rate_last_10 AS STRING), 'NULL'),
              ' + three ', COALESCE(CAST(three_pt_rate_last_10 AS STRING), 'NULL')) AS example
FROM nba_precompute.player_shot_zone_analysis
WHERE analysis_date BETWEEN @start_date AND @end_date
  AND (paint_rate_last_10 IS NOT NULL OR mid_range_rate_last_10 IS NOT NULL OR three_pt_rate_last_10 IS NOT NULL)
  AND COALESCE(ABS(paint_rate_last_10 + mid_range_rate_last_10 + three_pt_rate_last_10 - 100) > 0.05, TRUE)
