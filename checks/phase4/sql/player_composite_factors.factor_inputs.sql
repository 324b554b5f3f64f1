-- family: cross_table
-- fatigue_score and shot_zone_mismatch_score follow from their same-date inputs (platform-facts §4.3): fatigue = 100, -15 on a back-to-back else +5 with 3+ days of rest, -10 with 4+ games in 7 days, -10 over 240 minutes in 7 days, -8 over 35 minutes a game, -12 / -5 for 2+ / 1 back-to-backs in 14 days, clamped to 0..100 (upcoming_player_game_context; production's defaults when missing); mismatch = the OPPONENT's team_defense_zone_analysis <player's primary zone>_defense_vs_league_avg x min(zone rate / 50, 1) (player_shot_zone_analysis), x1.2 beyond 5, clamped to +-10, 0 when an input is missing
WITH f AS (
  SELECT game_date, player_lookup, opponent_team_abbr, fatigue_score, shot_zone_mismatch_score
  FROM nba_precompute.player_composite_factors
  WHERE game_date BETWEEN @start_date AND @end_date
),
recomputed AS (
  SELECT f.*,
    CAST(GREATEST(0, LEAST(100, 100
      + CASE WHEN u.back_to_back THEN -15 WHEN COALESCE(u.days_rest, 1) >= 3 THEN 5 ELSE 0 END
      + IF(COALESCE(u.games_in_last_7_days, 3) >= 4, -10, 0)
      + IF(COALESCE(u.minutes_in_last_7_days, 200) > 240, -10, 0)
      + IF(COALESCE(u.avg_minutes_per_game_last_7, 30) > 35, -8, 0)
      + CASE WHEN u.back_to_backs_last_14_days >= 2 THEN -12 WHEN u.back_to_backs_last_14_days = 1 THEN -5 ELSE 0 END))
      AS INT64) AS fatigue,
    CASE sz.primary_scoring_zone
      WHEN 'paint' THEN zd.paint_defense_vs_league_avg * LEAST(sz.paint_rate_last_10 / 50, 1)
      WHEN 'mid_range' THEN zd.mid_range_defense_vs_league_avg * LEAST(sz.mid_range_rate_last_10 / 50, 1)
      WHEN 'perimeter' THEN zd.three_pt_defense_vs_league_avg * LEAST(sz.three_pt_rate_last_10 / 50, 1)
    END AS weighted,
    u.player_lookup IS NOT NULL AS has_context
  FROM f
  LEFT JOIN nba_analytics.upcoming_player_game_context AS u
    ON u.game_date = f.game_date AND u.player_lookup = f.player_lookup
  LEFT JOIN nba_precompute.player_shot_zone_analysis AS sz
    ON sz.analysis_date = f.game_date AND sz.player_lookup = f.player_lookup
  LEFT JOIN nba_precompute.team_defense_zone_analysis AS zd
    ON zd.analysis_date = f.game_date AND zd.team_abbr = f.opponent_team_abbr
),
judged AS (
  SELECT game_date, player_lookup,
    CASE
      WHEN has_context AND fatigue_score IS DISTINCT FROM fatigue
        THEN CONCAT('fatigue_score ', COALESCE(CAST(fatigue_score AS STRING), 'NULL'), ' vs ', CAST(fatigue AS STRING),
                    ' from the context row')
      WHEN COALESCE(ABS(shot_zone_mismatch_score
                        - COALESCE(GREATEST(-10, LEAST(10, IF(ABS(weighted) > 5, weighted * 1.2, weighted))), 0)) > 0.051,
                    TRUE)
        THEN CONCAT('shot_zone_mismatch_score ', COALESCE(CAST(shot_zone_mismatch_score AS STRING), 'NULL'), ' vs ',
                    CAST(ROUND(COALESCE(GREATEST(-10, LEAST(10, IF(ABS(weighted) > 5, weighted * 1.2, weighted))), 0), 1)
                         AS STRING), ' from the opponent ', COALESCE(opponent_team_abbr, 'NULL'), ' zone defense')
    END AS reason
  FROM recomputed
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', player_lookup, ': ', reason) AS example
FROM judged
WHERE reason IS NOT NULL
