-- family: cross_table
-- strongest_zone is the zone allowed most below the league (the lowest <zone>_defense_vs_league_avg) and weakest_zone the highest (platform-facts §4.1); both NULL when a zone has no value
WITH z AS (
  SELECT analysis_date, team_abbr, strongest_zone, weakest_zone,
    paint_defense_vs_league_avg AS paint, mid_range_defense_vs_league_avg AS mid, three_pt_defense_vs_league_avg AS three
  FROM nba_precompute.team_defense_zone_analysis
  WHERE analysis_date BETWEEN @start_date AND @end_date
),
judged AS (
  SELECT analysis_date, team_abbr, strongest_zone, weakest_zone, paint, mid, three,
    CASE strongest_zone WHEN 'paint' THEN paint WHEN 'mid_range' THEN mid WHEN 'three_pt' THEN three END AS strongest_value,
    CASE weakest_zone WHEN 'paint' THEN paint WHEN 'mid_range' THEN mid WHEN 'three_pt' THEN three END AS weakest_value,
    LEAST(paint, mid, three) AS lowest, GREATEST(paint, mid, three) AS highest
  FROM z
)
SELECT CONCAT(CAST(analysis_date AS STRING), ' ', team_abbr, ': strongest ', COALESCE(strongest_zone, 'NULL'), ', weakest ',
              COALESCE(weakest_zone, 'NULL'), ' vs paint/mid/three ', COALESCE(CAST(paint AS STRING), 'NULL'), '/',
              COALESCE(CAST(mid AS STRING), 'NULL'), '/', COALESCE(CAST(three AS STRING), 'NULL')) AS example
FROM judged
WHERE (paint IS NULL OR mid IS NULL OR three IS NULL) AND (strongest_zone IS NOT NULL OR weakest_zone IS NOT NULL)
   OR (paint IS NOT NULL AND mid IS NOT NULL AND three IS NOT NULL
       AND (COALESCE(strongest_value = lowest, FALSE) IS NOT TRUE OR COALESCE(weakest_value = highest, FALSE) IS NOT TRUE))
