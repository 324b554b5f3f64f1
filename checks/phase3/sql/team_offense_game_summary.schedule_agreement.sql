-- family: cross_table
-- the team box scores and the schedule tell one story (platform-facts §1, §5): points_scored is the schedule's final score for the team's side of the game, and season_year only changes across an offseason (never between two game dates less than 45 days apart, never backwards, one season_year per date)
WITH r AS (
  SELECT t.game_date, t.team_abbr, t.points_scored, t.season_year, s.game_id AS scheduled,
    IF(t.home_game, s.home_team_score, s.away_team_score) AS schedule_points,
    CONCAT(s.away_team_tricode, ' ', CAST(s.away_team_score AS STRING), ' @ ', s.home_team_tricode, ' ',
           CAST(s.home_team_score AS STRING)) AS final_score,
    -- the game dates before this one, in days since the epoch (one read of the table: windows, no self-join)
    MAX(t.game_date) OVER (ORDER BY UNIX_DATE(t.game_date) RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_date,
    LAST_VALUE(t.season_year) OVER (ORDER BY UNIX_DATE(t.game_date)
                                    RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_season,
    MAX(t.season_year) OVER (ORDER BY UNIX_DATE(t.game_date) RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS latest_season,
    MIN(t.season_year) OVER (PARTITION BY t.game_date) AS date_min_season,
    MAX(t.season_year) OVER (PARTITION BY t.game_date) AS date_max_season
  FROM nba_analytics.team_offense_game_summary AS t
  LEFT JOIN schedule_latest AS s ON s.game_id = t.nba_game_id AND s.game_date = t.game_date AND s.game_status = 3
  WHERE t.game_date BETWEEN @start_date AND @end_date
),
judged AS (
  SELECT game_date, team_abbr,
    CASE
      WHEN scheduled IS NOT NULL AND points_scored IS DISTINCT FROM schedule_points  -- unscheduled: game_sides says why
        THEN CONCAT('points_scored ', COALESCE(CAST(points_scored AS STRING), 'NULL'), ' but the schedule has the final ',
                    COALESCE(final_score, 'score NULL'))
      WHEN date_min_season != date_max_season
        THEN CONCAT('season_year ', CAST(date_min_season AS STRING), ' and ', CAST(date_max_season AS STRING), ' on one date')
      WHEN season_year < latest_season
        THEN CONCAT('season_year ', CAST(season_year AS STRING), ' after season ', CAST(latest_season AS STRING))
      WHEN season_year != previous_season AND DATE_DIFF(game_date, previous_date, DAY) < 45
        THEN CONCAT('season_year ', CAST(season_year AS STRING), ' but ', CAST(previous_season AS STRING), ' on ',
                    CAST(previous_date AS STRING), ', ', CAST(DATE_DIFF(game_date, previous_date, DAY) AS STRING),
                    ' day(s) before: no offseason between them')
    END AS reason
  FROM r
)
SELECT CONCAT(CAST(game_date AS STRING), ' ', team_abbr, ': ', reason) AS example
FROM judged
WHERE reason IS NOT NULL
