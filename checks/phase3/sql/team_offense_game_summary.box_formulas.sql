-- family: cross_table
-- the row's derived values follow from its own box score (platform-facts §3, §10): possessions = FGA + 0.44 FTA + TOV - OREB (rounded to 0.1, then an integer), offensive_rating = points per 100 possessions, pace = possessions x 48 / game minutes with game minutes = 48 + 5 per overtime period, win_flag = margin > 0; and the box score is arithmetic (every real team-game of 2021-26 passes): rebounds = offensive + defensive, points = 2 x FGM + 3PM + FTM, 3PM <= FGM
WITH r AS (
  SELECT game_date, team_abbr, possessions, pace, offensive_rating, overtime_periods, win_flag, margin_of_victory,
    points_scored, rebounds, offensive_rebounds, defensive_rebounds, fg_makes, three_pt_makes, ft_makes,
    CAST(TRUNC(ROUND(fg_attempts + 0.44 * ft_attempts + turnovers - offensive_rebounds, 1)) AS INT64) AS poss
  FROM nba_analytics.team_offense_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date
),
judged AS (
  SELECT game_date, team_abbr,
    CASE
      WHEN possessions IS NULL OR poss IS NULL OR possessions != poss
        THEN CONCAT('possessions ', COALESCE(CAST(possessions AS STRING), 'NULL'), ' vs FGA + 0.44 FTA + TOV - OREB = ',
                    COALESCE(CAST(poss AS STRING), 'NULL'))
      WHEN COALESCE(ABS(offensive_rating - 100 * points_scored / possessions) <= 0.006, FALSE) IS NOT TRUE
        THEN CONCAT('offensive_rating ', COALESCE(CAST(offensive_rating AS STRING), 'NULL'), ' vs points per 100 possessions ',
                    COALESCE(CAST(ROUND(100 * points_scored / NULLIF(possessions, 0), 2) AS STRING), 'NULL'))
      WHEN COALESCE(ABS(pace - possessions * 48 / (48 + 5 * overtime_periods)) <= 0.051, FALSE) IS NOT TRUE
        THEN CONCAT('pace ', COALESCE(CAST(pace AS STRING), 'NULL'), ' vs possessions x 48 / ',
                    COALESCE(CAST(48 + 5 * overtime_periods AS STRING), 'NULL'), ' game minutes = ',
                    COALESCE(CAST(ROUND(possessions * 48 / (48 + 5 * overtime_periods), 1) AS STRING), 'NULL'))
      WHEN rebounds IS DISTINCT FROM offensive_rebounds + defensive_rebounds
        THEN CONCAT('rebounds ', COALESCE(CAST(rebounds AS STRING), 'NULL'), ' vs offensive + defensive = ',
                    COALESCE(CAST(offensive_rebounds + defensive_rebounds AS STRING), 'NULL'))
      WHEN points_scored IS DISTINCT FROM 2 * fg_makes + three_pt_makes + ft_makes OR three_pt_makes > fg_makes
        THEN CONCAT('points ', COALESCE(CAST(points_scored AS STRING), 'NULL'), ' vs 2 x FGM + 3PM + FTM = ',
                    COALESCE(CAST(2 * fg_makes + three_pt_makes + ft_makes AS STRING), 'NULL'), ' (3PM ',
                    COALESCE(CAST(three_pt_makes AS STRING), 'NULL'), ', FGM ', COALESCE(CAST(fg_makes AS STRING), 'NULL'), ')')
      WHEN win_flag IS NULL OR margin_of_victory IS NULL OR win_flag != (margin_of_victory > 0)
        THEN CONCAT('win_flag ', COALESCE(CAST(win_flag AS STRING), 'NULL'), ' with margin ',
                    COALESCE(CAST(margin_of_victory AS STRING), 'NULL'))
    END AS reason
  FROM r
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', COALESCE(team_abbr, 'NULL'), ': ', reason) AS example
FROM judged
WHERE reason IS NOT NULL
