-- family: cross_table
-- <zone>_defense_vs_league_avg = (the team's FG% allowed in the zone - the league's) x 100, in percentage points (platform-facts §4.1: negative = better than the league), within the rounding of the stored percentages to 0.001; NULL exactly when either percentage is
WITH z AS (
  SELECT analysis_date, team_abbr,
    paint_pct_allowed_last_15 AS paint_pct, league_paint_pct AS paint_league, paint_defense_vs_league_avg AS paint_vs,
    mid_range_pct_allowed_last_15 AS mid_pct, league_mid_range_pct AS mid_league, mid_range_defense_vs_league_avg AS mid_vs,
    three_pt_pct_allowed_last_15 AS three_pct, league_three_pt_pct AS three_league, three_pt_defense_vs_league_avg AS three_vs
  FROM nba_precompute.team_defense_zone_analysis
  WHERE analysis_date BETWEEN @start_date AND @end_date
),
judged AS (
  SELECT analysis_date, team_abbr,
    CASE
      WHEN (paint_vs IS NULL) != (paint_pct IS NULL OR paint_league IS NULL)
        OR COALESCE(ABS(paint_vs - (paint_pct - paint_league) * 100) > 0.101, FALSE)
        THEN CONCAT('paint ', COALESCE(CAST(paint_vs AS STRING), 'NULL'), ' vs (', COALESCE(CAST(paint_pct AS STRING), 'NULL'),
                    ' - league ', COALESCE(CAST(paint_league AS STRING), 'NULL'), ') x 100')
      WHEN (mid_vs IS NULL) != (mid_pct IS NULL OR mid_league IS NULL)
        OR COALESCE(ABS(mid_vs - (mid_pct - mid_league) * 100) > 0.101, FALSE)
        THEN CONCAT('mid_range ', COALESCE(CAST(mid_vs AS STRING), 'NULL'), ' vs (', COALESCE(CAST(mid_pct AS STRING), 'NULL'),
                    ' - league ', COALESCE(CAST(mid_league AS STRING), 'NULL'), ') x 100')
      WHEN (three_vs IS NULL) != (three_pct IS NULL OR three_league IS NULL)
        OR COALESCE(ABS(three_vs - (three_pct - three_league) * 100) > 0.101, FALSE)
        THEN CONCAT('three_pt ', COALESCE(CAST(three_vs AS STRING), 'NULL'), ' vs (', COALESCE(CAST(three_pct AS STRING), 'NULL'),
                    ' - league ', COALESCE(CAST(three_league AS STRING), 'NULL'), ') x 100')
    END AS reason
  FROM z
)
SELECT CONCAT(CAST(analysis_date AS STRING), ' ', team_abbr, ': <zone>_defense_vs_league_avg ', reason) AS example
FROM judged
WHERE reason IS NOT NULL
