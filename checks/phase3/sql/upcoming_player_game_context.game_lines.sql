-- family: cross_table
-- shared: game_lines_latest
-- game_spread is the favourite's line (a consensus of the books' favourite side, outcome_point <= 0: within its range, never the 0 a median over both sides gives) and game_total within the books' Over points; NULL only when the game has no such line
WITH per_game AS (
  SELECT game_date, home_team_abbr, away_team_abbr,
    MIN(IF(market_key = 'spreads' AND outcome_point <= 0, outcome_point, NULL)) AS fav_lo,
    MAX(IF(market_key = 'spreads' AND outcome_point <= 0, outcome_point, NULL)) AS fav_hi,
    MIN(IF(market_key = 'totals' AND outcome_name = 'Over', outcome_point, NULL)) AS total_lo,
    MAX(IF(market_key = 'totals' AND outcome_name = 'Over', outcome_point, NULL)) AS total_hi
  FROM game_lines_latest
  GROUP BY game_date, home_team_abbr, away_team_abbr
),
r AS (
  SELECT u.game_date, u.player_lookup, u.game_spread, u.game_total, g.fav_lo, g.fav_hi, g.total_lo, g.total_hi
  FROM nba_analytics.upcoming_player_game_context AS u
  LEFT JOIN per_game AS g
    ON g.game_date = u.game_date
   AND g.away_team_abbr = SPLIT(u.game_id, '_')[SAFE_OFFSET(1)] AND g.home_team_abbr = SPLIT(u.game_id, '_')[SAFE_OFFSET(2)]
  WHERE u.game_date BETWEEN @start_date AND @end_date
),
judged AS (
  SELECT game_date, player_lookup,
    CASE
      WHEN fav_lo IS NOT NULL AND COALESCE(game_spread BETWEEN fav_lo - 0.051 AND fav_hi + 0.051, FALSE) IS NOT TRUE
        THEN CONCAT('game_spread ', COALESCE(CAST(game_spread AS STRING), 'NULL'), ' but the books favourite side is ',
                    CAST(fav_lo AS STRING), '..', CAST(fav_hi AS STRING))
      WHEN fav_lo IS NULL AND game_spread IS NOT NULL
        THEN CONCAT('game_spread ', CAST(game_spread AS STRING), ' with no spread line for the game')
      WHEN total_lo IS NOT NULL AND COALESCE(game_total BETWEEN total_lo - 0.051 AND total_hi + 0.051, FALSE) IS NOT TRUE
        THEN CONCAT('game_total ', COALESCE(CAST(game_total AS STRING), 'NULL'), ' but the books Over is ',
                    CAST(total_lo AS STRING), '..', CAST(total_hi AS STRING))
      WHEN total_lo IS NULL AND game_total IS NOT NULL
        THEN CONCAT('game_total ', CAST(game_total AS STRING), ' with no total line for the game')
    END AS reason
  FROM r
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', player_lookup, ': ', reason) AS example
FROM judged
WHERE reason IS NOT NULL
