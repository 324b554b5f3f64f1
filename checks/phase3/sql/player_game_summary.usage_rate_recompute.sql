-- family: cross_table
-- usage_rate = 100 * (FGA + 0.44 FTA + TOV) * 48 / (minutes * team (FGA + 0.44 FTA + TOV)), recomputed from PGS + team_offense, within 2%
-- (plus the rounding of minutes_played to 0.1: relative tolerance 0.02 + 0.05 / minutes_played)
WITH r AS (
  SELECT p.game_date, p.player_lookup, p.team_abbr, p.usage_rate,
    100 * (p.fg_attempts + 0.44 * COALESCE(p.ft_attempts, 0) + p.turnovers) * 48
      / (p.minutes_played * (t.fg_attempts + 0.44 * t.ft_attempts + t.turnovers)) AS recomputed,
    p.minutes_played
  FROM nba_analytics.player_game_summary AS p
  JOIN nba_analytics.team_offense_game_summary AS t
    ON t.game_date = p.game_date AND t.team_abbr = p.team_abbr
   AND t.game_date BETWEEN @start_date AND @end_date
  WHERE p.game_date BETWEEN @start_date AND @end_date
    AND p.usage_rate IS NOT NULL
    AND p.minutes_played > 0
    AND t.fg_attempts + 0.44 * t.ft_attempts + t.turnovers > 0
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', player_lookup, ' (', COALESCE(team_abbr, 'NULL'), '): usage_rate ',
              CAST(usage_rate AS STRING), ' vs recomputed ', CAST(ROUND(recomputed, 2) AS STRING)) AS example
FROM r
WHERE recomputed IS NULL
   OR ABS(usage_rate - recomputed) > (0.02 + 0.05 / minutes_played) * ABS(recomputed) + 0.01
