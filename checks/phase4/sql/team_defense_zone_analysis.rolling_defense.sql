-- family: leakage
-- games_in_sample, defensive_rating_last_15 and opponent_pace_last_15 equal a recomputation from the team's team_defense_game_summary games of the same season strictly before analysis_date, the last 15 of them (platform-facts §4.1)
WITH dates AS (
  SELECT DISTINCT g.game_date AS analysis_date, o.opening_night
  FROM expected_games AS g
  JOIN season_openers AS o ON o.season_year = g.season_year
),
history AS (
  SELECT defending_team_abbr AS team_abbr, game_date, defensive_rating, opponent_pace
  FROM nba_analytics.team_defense_game_summary
  WHERE game_date BETWEEN DATE_SUB(@start_date, INTERVAL 300 DAY) AND @end_date
),
ranked AS (
  SELECT z.analysis_date, z.team_abbr, h.defensive_rating, h.opponent_pace,
    ROW_NUMBER() OVER (PARTITION BY z.analysis_date, z.team_abbr ORDER BY h.game_date DESC) AS games_back
  FROM nba_precompute.team_defense_zone_analysis AS z
  JOIN dates AS d ON d.analysis_date = z.analysis_date
  JOIN history AS h ON h.team_abbr = z.team_abbr AND h.game_date < z.analysis_date AND h.game_date >= d.opening_night
  WHERE z.analysis_date BETWEEN @start_date AND @end_date
),
recomputed AS (
  SELECT analysis_date, team_abbr, COUNT(*) AS games, AVG(defensive_rating) AS rating, AVG(opponent_pace) AS pace
  FROM ranked WHERE games_back <= 15
  GROUP BY analysis_date, team_abbr
),
judged AS (
  SELECT z.analysis_date, z.team_abbr,
    CASE
      WHEN COALESCE(z.games_in_sample = COALESCE(r.games, 0), FALSE) IS NOT TRUE
        THEN CONCAT('games_in_sample ', COALESCE(CAST(z.games_in_sample AS STRING), 'NULL'), ' vs ',
                    CAST(COALESCE(r.games, 0) AS STRING), ' earlier games this season (at most 15)')
      WHEN COALESCE(ABS(z.defensive_rating_last_15 - r.rating) <= 0.0051, z.defensive_rating_last_15 IS NULL AND r.rating IS NULL)
           IS NOT TRUE
        THEN CONCAT('defensive_rating_last_15 ', COALESCE(CAST(z.defensive_rating_last_15 AS STRING), 'NULL'), ' vs ',
                    COALESCE(CAST(ROUND(r.rating, 2) AS STRING), 'NULL'), ' from the earlier games')
      WHEN COALESCE(ABS(z.opponent_pace_last_15 - r.pace) <= 0.051, z.opponent_pace_last_15 IS NULL AND r.pace IS NULL) IS NOT TRUE
        THEN CONCAT('opponent_pace_last_15 ', COALESCE(CAST(z.opponent_pace_last_15 AS STRING), 'NULL'), ' vs ',
                    COALESCE(CAST(ROUND(r.pace, 1) AS STRING), 'NULL'), ' from the earlier games')
    END AS reason
  FROM nba_precompute.team_defense_zone_analysis AS z
  LEFT JOIN recomputed AS r ON r.analysis_date = z.analysis_date AND r.team_abbr = z.team_abbr
  WHERE z.analysis_date BETWEEN @start_date AND @end_date
)
SELECT CONCAT(CAST(analysis_date AS STRING), ' ', team_abbr, ': ', reason) AS example
FROM judged
WHERE reason IS NOT NULL
