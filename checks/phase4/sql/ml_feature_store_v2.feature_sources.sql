-- family: cross_table
-- each feature, found by its NAME in feature_names, equals its same-date source (platform-facts §4.5: exact-date lookups, documented defaults when the source row is missing): player_daily_cache (points, minutes, team pace and rating, usage), player_composite_factors (the four factors), the opponent's team_defense_zone_analysis (rating, pace), the row's is_home and days_rest, upcoming_player_game_context.back_to_back, player_shot_zone_analysis (rates, when the player has a row)
WITH named AS (
  SELECT m.game_date, m.player_lookup, m.opponent_team_abbr, m.is_home, m.days_rest,
    MAX(IF(n = 'points_avg_last_5', m.features[SAFE_OFFSET(o)], NULL)) AS points_avg_last_5,
    MAX(IF(n = 'points_avg_last_10', m.features[SAFE_OFFSET(o)], NULL)) AS points_avg_last_10,
    MAX(IF(n = 'points_avg_season', m.features[SAFE_OFFSET(o)], NULL)) AS points_avg_season,
    MAX(IF(n = 'points_std_last_10', m.features[SAFE_OFFSET(o)], NULL)) AS points_std_last_10,
    MAX(IF(n = 'minutes_avg_last_10', m.features[SAFE_OFFSET(o)], NULL)) AS minutes_avg_last_10,
    MAX(IF(n = 'fatigue_score', m.features[SAFE_OFFSET(o)], NULL)) AS fatigue_score,
    MAX(IF(n = 'shot_zone_mismatch_score', m.features[SAFE_OFFSET(o)], NULL)) AS shot_zone_mismatch_score,
    MAX(IF(n = 'pace_score', m.features[SAFE_OFFSET(o)], NULL)) AS pace_score,
    MAX(IF(n = 'usage_spike_score', m.features[SAFE_OFFSET(o)], NULL)) AS usage_spike_score,
    MAX(IF(n = 'opponent_def_rating_last_15', m.features[SAFE_OFFSET(o)], NULL)) AS opponent_def_rating_last_15,
    MAX(IF(n = 'opponent_pace_last_15', m.features[SAFE_OFFSET(o)], NULL)) AS opponent_pace_last_15,
    MAX(IF(n = 'is_home', m.features[SAFE_OFFSET(o)], NULL)) AS f_is_home,
    MAX(IF(n = 'days_rest', m.features[SAFE_OFFSET(o)], NULL)) AS f_days_rest,
    MAX(IF(n = 'back_to_back', m.features[SAFE_OFFSET(o)], NULL)) AS back_to_back,
    MAX(IF(n = 'paint_rate_last_10', m.features[SAFE_OFFSET(o)], NULL)) AS paint_rate_last_10,
    MAX(IF(n = 'mid_range_rate_last_10', m.features[SAFE_OFFSET(o)], NULL)) AS mid_range_rate_last_10,
    MAX(IF(n = 'three_pt_rate_last_10', m.features[SAFE_OFFSET(o)], NULL)) AS three_pt_rate_last_10,
    MAX(IF(n = 'assisted_rate_last_10', m.features[SAFE_OFFSET(o)], NULL)) AS assisted_rate_last_10,
    MAX(IF(n = 'team_pace_last_10', m.features[SAFE_OFFSET(o)], NULL)) AS team_pace_last_10,
    MAX(IF(n = 'team_off_rating_last_10', m.features[SAFE_OFFSET(o)], NULL)) AS team_off_rating_last_10,
    MAX(IF(n = 'usage_rate_last_10', m.features[SAFE_OFFSET(o)], NULL)) AS usage_rate_last_10
  FROM nba_predictions.ml_feature_store_v2 AS m, UNNEST(m.feature_names) AS n WITH OFFSET AS o
  WHERE m.game_date BETWEEN @start_date AND @end_date
  GROUP BY m.game_date, m.player_lookup, m.opponent_team_abbr, m.is_home, m.days_rest
),
expected AS (
  SELECT f.game_date, f.player_lookup,
    [STRUCT('points_avg_last_5' AS name, f.points_avg_last_5 AS got, CAST(COALESCE(c.points_avg_last_5, 10.0) AS FLOAT64) AS want),
     STRUCT('points_avg_last_10', f.points_avg_last_10, CAST(COALESCE(c.points_avg_last_10, 10.0) AS FLOAT64)),
     STRUCT('points_avg_season', f.points_avg_season, CAST(COALESCE(c.points_avg_season, 10.0) AS FLOAT64)),
     STRUCT('points_std_last_10', f.points_std_last_10, CAST(COALESCE(c.points_std_last_10, 5.0) AS FLOAT64)),
     STRUCT('minutes_avg_last_10', f.minutes_avg_last_10, CAST(COALESCE(c.minutes_avg_last_10, 28.0) AS FLOAT64)),
     STRUCT('team_pace_last_10', f.team_pace_last_10, CAST(COALESCE(c.team_pace_last_10, 100.0) AS FLOAT64)),
     STRUCT('team_off_rating_last_10', f.team_off_rating_last_10, CAST(COALESCE(c.team_off_rating_last_10, 112.0) AS FLOAT64)),
     STRUCT('usage_rate_last_10', f.usage_rate_last_10, CAST(COALESCE(c.usage_rate_last_10, 25.0) AS FLOAT64)),
     STRUCT('fatigue_score', f.fatigue_score, CAST(COALESCE(p.fatigue_score, 70) AS FLOAT64)),
     STRUCT('shot_zone_mismatch_score', f.shot_zone_mismatch_score, CAST(COALESCE(p.shot_zone_mismatch_score, 0.0) AS FLOAT64)),
     STRUCT('pace_score', f.pace_score, CAST(COALESCE(p.pace_score, 0.0) AS FLOAT64)),
     STRUCT('usage_spike_score', f.usage_spike_score, CAST(COALESCE(p.usage_spike_score, 0.0) AS FLOAT64)),
     STRUCT('opponent_def_rating_last_15', f.opponent_def_rating_last_15, CAST(COALESCE(z.defensive_rating_last_15, 112.0) AS FLOAT64)),
     STRUCT('opponent_pace_last_15', f.opponent_pace_last_15, CAST(COALESCE(z.opponent_pace_last_15, 100.0) AS FLOAT64)),
     STRUCT('is_home', f.f_is_home, IF(f.is_home, 1.0, 0.0)),
     STRUCT('days_rest', f.f_days_rest, CAST(f.days_rest AS FLOAT64)),
     STRUCT('back_to_back', f.back_to_back, IF(u.back_to_back, 1.0, 0.0)),
     STRUCT('paint_rate_last_10', f.paint_rate_last_10, CAST(COALESCE(s.paint_rate_last_10, f.paint_rate_last_10) AS FLOAT64)),
     STRUCT('mid_range_rate_last_10', f.mid_range_rate_last_10, CAST(COALESCE(s.mid_range_rate_last_10, f.mid_range_rate_last_10) AS FLOAT64)),
     STRUCT('three_pt_rate_last_10', f.three_pt_rate_last_10, CAST(COALESCE(s.three_pt_rate_last_10, f.three_pt_rate_last_10) AS FLOAT64)),
     STRUCT('assisted_rate_last_10', f.assisted_rate_last_10, CAST(COALESCE(s.assisted_rate_last_10, f.assisted_rate_last_10) AS FLOAT64))
    ] AS pairs
  FROM named AS f
  LEFT JOIN nba_precompute.player_daily_cache AS c
    ON c.player_lookup = f.player_lookup AND c.cache_date = f.game_date AND c.cache_date BETWEEN @start_date AND @end_date
  LEFT JOIN nba_precompute.player_composite_factors AS p
    ON p.player_lookup = f.player_lookup AND p.game_date = f.game_date AND p.game_date BETWEEN @start_date AND @end_date
  LEFT JOIN nba_precompute.team_defense_zone_analysis AS z
    ON z.team_abbr = f.opponent_team_abbr AND z.analysis_date = f.game_date AND z.analysis_date BETWEEN @start_date AND @end_date
  LEFT JOIN nba_precompute.player_shot_zone_analysis AS s
    ON s.player_lookup = f.player_lookup AND s.analysis_date = f.game_date AND s.analysis_date BETWEEN @start_date AND @end_date
  LEFT JOIN nba_analytics.upcoming_player_game_context AS u
    ON u.player_lookup = f.player_lookup AND u.game_date = f.game_date AND u.game_date BETWEEN @start_date AND @end_date
)
SELECT CONCAT(CAST(e.game_date AS STRING), ' ', e.player_lookup, ': ', x.name, ' ', COALESCE(CAST(x.got AS STRING), 'NULL'),
              ' vs its source ', COALESCE(CAST(x.want AS STRING), 'NULL')) AS example
FROM expected AS e, UNNEST(e.pairs) AS x
WHERE COALESCE(ABS(x.got - x.want) <= 0.0005, FALSE) IS NOT TRUE
