-- family: cross_table
-- the defense row is the opponent's offense row (platform-facts §2.3): every opp_* count and turnovers_forced equal the opponent's team_offense_game_summary row, fouls_committed, home_game, win_flag and margin the defender's own; defensive_rating = points_allowed / opponent possessions x 100 and opponent_pace = those possessions (not OT-adjusted), recomputed
WITH d AS (
  SELECT *
  FROM nba_analytics.team_defense_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date
),
o AS (
  SELECT *
  FROM nba_analytics.team_offense_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date
),
judged AS (
  SELECT d.game_date, d.defending_team_abbr,
    CASE
      WHEN opp.team_abbr IS NULL OR own.team_abbr IS NULL THEN NULL  -- points_allowed_mirror says which row is missing
      WHEN d.opp_fg_attempts IS DISTINCT FROM opp.fg_attempts OR d.opp_fg_makes IS DISTINCT FROM opp.fg_makes
        THEN CONCAT('opp_fg ', COALESCE(CAST(d.opp_fg_makes AS STRING), 'NULL'), '/', COALESCE(CAST(d.opp_fg_attempts AS STRING), 'NULL'),
                    ' vs opponent ', COALESCE(CAST(opp.fg_makes AS STRING), 'NULL'), '/', COALESCE(CAST(opp.fg_attempts AS STRING), 'NULL'))
      WHEN d.opp_three_pt_attempts IS DISTINCT FROM opp.three_pt_attempts OR d.opp_three_pt_makes IS DISTINCT FROM opp.three_pt_makes
        THEN CONCAT('opp_three_pt ', COALESCE(CAST(d.opp_three_pt_makes AS STRING), 'NULL'), '/',
                    COALESCE(CAST(d.opp_three_pt_attempts AS STRING), 'NULL'), ' vs opponent ',
                    COALESCE(CAST(opp.three_pt_makes AS STRING), 'NULL'), '/', COALESCE(CAST(opp.three_pt_attempts AS STRING), 'NULL'))
      WHEN d.opp_ft_attempts IS DISTINCT FROM opp.ft_attempts OR d.opp_ft_makes IS DISTINCT FROM opp.ft_makes
        THEN CONCAT('opp_ft ', COALESCE(CAST(d.opp_ft_makes AS STRING), 'NULL'), '/', COALESCE(CAST(d.opp_ft_attempts AS STRING), 'NULL'),
                    ' vs opponent ', COALESCE(CAST(opp.ft_makes AS STRING), 'NULL'), '/', COALESCE(CAST(opp.ft_attempts AS STRING), 'NULL'))
      WHEN d.opp_offensive_rebounds IS DISTINCT FROM opp.offensive_rebounds OR d.opp_rebounds IS DISTINCT FROM opp.rebounds
        THEN CONCAT('opp rebounds ', COALESCE(CAST(d.opp_offensive_rebounds AS STRING), 'NULL'), '/', COALESCE(CAST(d.opp_rebounds AS STRING), 'NULL'),
                    ' vs opponent ', COALESCE(CAST(opp.offensive_rebounds AS STRING), 'NULL'), '/', COALESCE(CAST(opp.rebounds AS STRING), 'NULL'))
      WHEN d.opp_assists IS DISTINCT FROM opp.assists
        THEN CONCAT('opp_assists ', COALESCE(CAST(d.opp_assists AS STRING), 'NULL'), ' vs opponent ', COALESCE(CAST(opp.assists AS STRING), 'NULL'))
      WHEN d.turnovers_forced IS DISTINCT FROM opp.turnovers
        THEN CONCAT('turnovers_forced ', COALESCE(CAST(d.turnovers_forced AS STRING), 'NULL'), ' vs opponent turnovers ',
                    COALESCE(CAST(opp.turnovers AS STRING), 'NULL'), ' (own turnovers ', COALESCE(CAST(own.turnovers AS STRING), 'NULL'), ')')
      WHEN d.fouls_committed IS DISTINCT FROM own.personal_fouls
        THEN CONCAT('fouls_committed ', COALESCE(CAST(d.fouls_committed AS STRING), 'NULL'), ' vs own personal_fouls ',
                    COALESCE(CAST(own.personal_fouls AS STRING), 'NULL'))
      WHEN d.home_game IS DISTINCT FROM own.home_game OR d.win_flag IS DISTINCT FROM own.win_flag
        OR d.margin_of_victory IS DISTINCT FROM own.margin_of_victory
        THEN 'home_game, win_flag or margin_of_victory differ from the defender own offense row'
      WHEN COALESCE(ABS(d.defensive_rating - 100 * d.points_allowed
                        / (d.opp_fg_attempts + 0.44 * d.opp_ft_attempts - d.opp_offensive_rebounds + d.turnovers_forced)) <= 0.006,
                    FALSE) IS NOT TRUE
        THEN CONCAT('defensive_rating ', COALESCE(CAST(d.defensive_rating AS STRING), 'NULL'), ' vs recomputed ',
                    COALESCE(CAST(ROUND(100 * d.points_allowed / NULLIF(d.opp_fg_attempts + 0.44 * d.opp_ft_attempts
                                         - d.opp_offensive_rebounds + d.turnovers_forced, 0), 2) AS STRING), 'NULL'),
                    ' (points_allowed per 100 opponent possessions)')
      WHEN COALESCE(ABS(d.opponent_pace - (d.opp_fg_attempts + 0.44 * d.opp_ft_attempts - d.opp_offensive_rebounds
                                           + d.turnovers_forced)) <= 0.051, FALSE) IS NOT TRUE
        THEN CONCAT('opponent_pace ', COALESCE(CAST(d.opponent_pace AS STRING), 'NULL'), ' vs opponent possessions ',
                    COALESCE(CAST(ROUND(d.opp_fg_attempts + 0.44 * d.opp_ft_attempts - d.opp_offensive_rebounds + d.turnovers_forced, 1)
                                  AS STRING), 'NULL'))
    END AS reason
  FROM d
  LEFT JOIN o AS opp ON opp.game_date = d.game_date AND opp.team_abbr = d.opponent_team_abbr
  LEFT JOIN o AS own ON own.game_date = d.game_date AND own.team_abbr = d.defending_team_abbr
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', COALESCE(defending_team_abbr, 'NULL'), ': ', reason) AS example
FROM judged
WHERE reason IS NOT NULL
