-- family: cross_table
-- the factors add up (platform-facts §4.3): fatigue_adjustment = (fatigue_score - 100) / 20, total_composite_adjustment = that + shot_zone_mismatch_score + pace_score + usage_spike_score + the deferred factors, and pace_score = clamp(pace_differential / 2, +-3)
SELECT CONCAT(CAST(game_date AS STRING), ' ', player_lookup, ': fatigue ', COALESCE(CAST(fatigue_score AS STRING), 'NULL'),
              ' (adjustment ', COALESCE(CAST(fatigue_adjustment AS STRING), 'NULL'), '), zone ',
              COALESCE(CAST(shot_zone_mismatch_score AS STRING), 'NULL'), ', pace ', COALESCE(CAST(pace_score AS STRING), 'NULL'),
              ' (differential ', COALESCE(CAST(pace_differential AS STRING), 'NULL'), '), usage ',
              COALESCE(CAST(usage_spike_score AS STRING), 'NULL'), ' but total ',
              COALESCE(CAST(total_composite_adjustment AS STRING), 'NULL')) AS example
FROM nba_precompute.player_composite_factors
WHERE game_date BETWEEN @start_date AND @end_date
  AND (COALESCE(ABS(fatigue_adjustment - (fatigue_score - 100) / 20) <= 0.0051, FALSE) IS NOT TRUE
       OR COALESCE(ABS(total_composite_adjustment - ((fatigue_score - 100) / 20 + shot_zone_mismatch_score + pace_score
                       + usage_spike_score + COALESCE(referee_favorability_score, 0) + COALESCE(look_ahead_pressure_score, 0)
                       + COALESCE(travel_impact_score, 0) + COALESCE(opponent_strength_score, 0))) <= 0.0151, FALSE) IS NOT TRUE
       OR COALESCE(ABS(pace_score - GREATEST(-3, LEAST(3, pace_differential / 2))) <= 0.0151, FALSE) IS NOT TRUE)
