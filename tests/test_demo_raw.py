"""The synthetic phase-2 warehouse: contract, counting invariant and box-score arithmetic.

The data is generated once per module; every check is SQL over the pyarrow tables in DuckDB.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from phasegate.demo.raw import DEMO_END, DEMO_START, RAW_TABLES, TEAMS, generate_raw

COUNTING = "('Regular Season', 'Play-In', 'Playoffs', 'NBA Cup Final')"
OPENING_NIGHTS = [dt.date(2021, 10, 19), dt.date(2022, 10, 18), dt.date(2023, 10, 24),
                  dt.date(2024, 10, 22), dt.date(2025, 10, 21)]

# contract column order and types (raw-contract.md)
S, I, F, B, D, TS = (pa.string(), pa.int64(), pa.float64(), pa.bool_(), pa.date32(),  # noqa: E741
                     pa.timestamp("us", tz="UTC"))
_BOX = ["points", "field_goals_made", "field_goals_attempted", "three_pointers_made",
        "three_pointers_attempted", "free_throws_made", "free_throws_attempted", "offensive_rebounds",
        "defensive_rebounds", "total_rebounds", "assists", "steals", "blocks", "turnovers",
        "personal_fouls", "plus_minus"]
_TEAM = ["fg_made", "fg_attempted", "three_pt_made", "three_pt_attempted", "ft_made", "ft_attempted",
         "offensive_rebounds", "defensive_rebounds", "total_rebounds", "assists", "steals", "blocks",
         "turnovers", "personal_fouls", "points", "plus_minus"]
CONTRACT = {
    "nbac_schedule": [("game_id", S), ("game_date", D), ("season_year", I), ("season_type", S),
                      ("is_regular_season", B), ("is_playoffs", B), ("is_all_star", B),
                      ("home_team_tricode", S), ("away_team_tricode", S), ("game_status", I),
                      ("home_team_score", I), ("away_team_score", I), ("processed_at", TS)],
    "nbac_gamebook_player_stats": [("game_id", S), ("nba_game_id", S), ("game_date", D), ("season_year", I),
                                   ("team_abbr", S), ("home_team_abbr", S), ("away_team_abbr", S),
                                   ("player_lookup", S), ("player_name", S), ("player_status", S),
                                   ("dnp_reason", S), ("minutes", S)] + [(c, I) for c in _BOX]
                                  + [("processed_at", TS)],
    "nbac_team_boxscore": [("game_id", S), ("nba_game_id", S), ("game_date", D), ("season_year", I),
                           ("team_abbr", S), ("is_home", B), ("minutes", S)] + [(c, I) for c in _TEAM]
                          + [("processed_at", TS)],
    "player_shot_zones": [("game_id", S), ("game_date", D), ("player_lookup", S), ("team_abbr", S)]
                         + [(c, I) for c in ("paint_attempts", "paint_makes", "mid_range_attempts",
                                             "mid_range_makes", "three_attempts", "three_makes",
                                             "assisted_fg_makes", "unassisted_fg_makes")]
                         + [("processed_at", TS)],
    "odds_api_player_points_props": [("game_id", S), ("game_date", D), ("player_lookup", S), ("bookmaker", S),
                                     ("points_line", F), ("over_price_american", I),
                                     ("under_price_american", I), ("snapshot_timestamp", TS),
                                     ("processed_at", TS)],
    "odds_api_game_lines": [("game_id", S), ("game_date", D), ("home_team_abbr", S), ("away_team_abbr", S),
                            ("bookmaker_key", S), ("market_key", S), ("outcome_name", S),
                            ("outcome_point", F), ("outcome_price", I), ("snapshot_timestamp", TS),
                            ("processed_at", TS)],
}

# deduplicated schedule (contract rule) and the counting games inside the demo window
DEDUP = """
    SELECT * FROM nbac_schedule
    QUALIFY row_number() OVER (PARTITION BY game_id, game_date
                               ORDER BY game_status DESC, processed_at DESC) = 1"""
COUNTING_GAMES = f"""
    SELECT * FROM ({DEDUP})
    WHERE game_status = 3 AND home_team_score IS NOT NULL AND away_team_score IS NOT NULL
      AND season_type IN {COUNTING}"""


@pytest.fixture(scope="module")
def tables() -> dict[str, pa.Table]:
    return generate_raw(7)


@pytest.fixture(scope="module")
def con(tables):
    c = duckdb.connect()
    for name, table in tables.items():
        c.register(name, table)
    c.execute(f"CREATE TEMP VIEW counting AS {COUNTING_GAMES}")
    c.execute("CREATE TEMP VIEW active AS SELECT * FROM nbac_gamebook_player_stats WHERE player_status = 'active'")
    yield c
    c.close()


def one(con, sql):
    return con.execute(sql).fetchone()


def rows(con, sql):
    return con.execute(sql).fetchall()


# ------------------------------------------------------------------------------------ contract
def test_tables_follow_the_contract(tables):
    assert tuple(tables) == RAW_TABLES
    for name, cols in CONTRACT.items():
        schema = tables[name].schema
        assert [(f.name, f.type) for f in schema] == cols, name
        assert tables[name].num_rows > 0


def test_teams_and_window():
    assert len(TEAMS) == 30 and len(set(TEAMS)) == 30
    assert {"LAL", "BOS", "GSW", "NYK", "PHI", "OKC", "SAS", "NOP"} <= set(TEAMS)
    assert (DEMO_START, DEMO_END) == (dt.date(2021, 10, 19), dt.date(2026, 1, 3))


def test_game_id_formats(con):
    bad = one(con, r"""SELECT count(*) FROM nbac_schedule
        WHERE NOT regexp_full_match(game_id, '00[1-6][0-9]{7}')
           OR substr(game_id, 4, 2) <> lpad(CAST(season_year % 100 AS VARCHAR), 2, '0')""")[0]
    assert bad == 0
    types = dict(rows(con, "SELECT season_type, min(substr(game_id, 3, 1)) || max(substr(game_id, 3, 1)) "
                           "FROM nbac_schedule GROUP BY 1"))
    assert types == {"Preseason": "11", "Regular Season": "22", "All-Star": "33", "Playoffs": "44",
                     "Play-In": "55", "NBA Cup Final": "66"}
    # gamebook: system id AWAY_HOME always; official id in nba_game_id
    bad = one(con, """SELECT count(*) FROM nbac_gamebook_player_stats
        WHERE game_id <> strftime(game_date, '%Y%m%d') || '_' || away_team_abbr || '_' || home_team_abbr
           OR NOT regexp_full_match(nba_game_id, '00[2456][0-9]{7}')""")[0]
    assert bad == 0
    assert one(con, "SELECT count(*) FROM nbac_gamebook_player_stats "
                    "WHERE NOT regexp_full_match(player_lookup, '[a-z]+')")[0] == 0


# ------------------------------------------------------------------------------------ counting invariant
def test_counting_dates_918_70_848(con):
    total, boot, non_boot = one(con, f"""
        WITH c AS (SELECT * FROM counting WHERE game_date BETWEEN DATE '{DEMO_START}' AND DATE '{DEMO_END}'),
        o AS (SELECT season_year, min(game_date) AS opening FROM c
              WHERE season_type = 'Regular Season' GROUP BY 1),
        d AS (SELECT DISTINCT c.game_date, (c.game_date - o.opening) < 14 AS boot
              FROM c JOIN o USING (season_year))
        SELECT count(*), count(*) FILTER (WHERE boot), count(*) FILTER (WHERE NOT boot) FROM d""")
    assert (total, boot, non_boot) == (918, 70, 848)


def test_opening_nights_and_bootstrap_days_all_have_games(con):
    got = rows(con, "SELECT season_year, min(game_date) FROM counting "
                    "WHERE season_type = 'Regular Season' AND season_year >= 2021 GROUP BY 1 ORDER BY 1")
    assert [d for _, d in got] == OPENING_NIGHTS
    for opening in OPENING_NIGHTS:
        n = one(con, f"""SELECT count(DISTINCT game_date) FROM counting
            WHERE game_date BETWEEN DATE '{opening}' AND DATE '{opening}' + 13""")[0]
        assert n == 14, opening


def test_regular_seasons_are_complete_and_balanced(con):
    per_season = dict(rows(con, """SELECT season_year, count(*) FROM counting
        WHERE season_type = 'Regular Season' GROUP BY 1"""))
    assert all(per_season[y] == 1230 for y in (2021, 2022, 2023, 2024))
    assert 450 < per_season[2025] < 700  # 2025-26 only up to DEMO_END
    # 82 games per team, 41 at home, 41 away
    bad = rows(con, """WITH t AS (
            SELECT season_year, home_team_tricode AS team, 1 AS home FROM counting WHERE season_type = 'Regular Season'
            UNION ALL
            SELECT season_year, away_team_tricode, 0 FROM counting WHERE season_type = 'Regular Season')
        SELECT season_year, team, count(*), sum(home) FROM t WHERE season_year < 2025
        GROUP BY ALL HAVING count(*) <> 82 OR sum(home) <> 41""")
    assert bad == []
    assert one(con, "SELECT count(DISTINCT home_team_tricode) FROM counting")[0] == 30
    # the whole 2025-26 regular season is in the schedule; after DEMO_END only as scheduled
    full, late_final = one(con, f"""SELECT count(DISTINCT game_id),
            count(*) FILTER (WHERE game_date > DATE '{DEMO_END}' AND (game_status > 1 OR home_team_score IS NOT NULL))
        FROM nbac_schedule WHERE season_year = 2025 AND season_type = 'Regular Season'""")
    assert (full, late_final) == (1230, 0)


def test_postseason_structure(con):
    got = rows(con, """SELECT season_year, season_type, count(*) FROM counting
        WHERE season_type <> 'Regular Season' GROUP BY ALL ORDER BY ALL""")
    by = {(y, t): n for y, t, n in got}
    for y in (2021, 2022, 2023, 2024):
        assert by[(y, "Play-In")] == 6
        assert 79 <= by[(y, "Playoffs")] <= 87
    assert {y for (y, t) in by if t == "NBA Cup Final"} == {2023, 2024, 2025}
    assert all(by[(y, "NBA Cup Final")] == 1 for y in (2023, 2024, 2025))
    assert rows(con, "SELECT DISTINCT month(game_date) FROM counting WHERE season_type = 'NBA Cup Final'") == [(12,)]
    # best-of-7: each series ends when one team reaches 4 wins (id 004YY00RSG)
    wins = rows(con, """WITH g AS (
            SELECT season_year, substr(game_id, 8, 2) AS s,
                   CASE WHEN home_team_score > away_team_score THEN home_team_tricode ELSE away_team_tricode END AS w
            FROM counting WHERE season_type = 'Playoffs')
        SELECT season_year, s, max(n), count(*) FROM (SELECT season_year, s, w, count(*) AS n FROM g GROUP BY ALL)
        GROUP BY ALL""")
    assert len(wins) == 4 * 15  # 8 + 4 + 2 + 1 series per season
    assert all(mx == 4 and k <= 2 for _, _, mx, k in wins)
    # All-Star and preseason exist, final, but never count
    assert one(con, "SELECT count(*) FROM nbac_schedule WHERE season_type = 'All-Star' AND is_all_star "
                    "AND game_status = 3")[0] == 4
    pre = one(con, """SELECT count(*), min(o.op - p.game_date), max(o.op - p.game_date) FROM nbac_schedule p
        JOIN (SELECT season_year, min(game_date) op FROM counting WHERE season_type = 'Regular Season' GROUP BY 1) o
        USING (season_year) WHERE season_type = 'Preseason' AND game_status = 3""")
    assert pre[0] > 200 and 1 <= pre[1] and pre[2] <= 21


def test_calendar_realism(con):
    # no counting game on Thanksgiving or Christmas Eve; Christmas has games; All-Star break empty
    assert one(con, """SELECT count(*) FROM counting WHERE (month(game_date) = 12 AND day(game_date) = 24)
        OR (month(game_date) = 11 AND dayofweek(game_date) = 4 AND day(game_date) BETWEEN 22 AND 28)""")[0] == 0
    assert one(con, "SELECT count(DISTINCT year(game_date)) FROM counting "
                    "WHERE month(game_date) = 12 AND day(game_date) = 25")[0] == 5
    assert one(con, """SELECT count(*) FROM counting c JOIN nbac_schedule a
        ON a.season_type = 'All-Star' AND c.game_date BETWEEN a.game_date - 2 AND a.game_date + 3""")[0] == 0
    per_date = one(con, "SELECT min(n), max(n), avg(n) FROM (SELECT game_date, count(*) n FROM counting "
                        "WHERE season_type = 'Regular Season' GROUP BY 1)")
    assert per_date[0] >= 1 and per_date[1] <= 15 and 6.5 < per_date[2] < 8.5


def test_no_team_twice_a_date_no_three_in_a_row_and_back_to_backs(con):
    con.execute("""CREATE OR REPLACE TEMP VIEW team_dates AS
        SELECT game_date, home_team_tricode AS team FROM counting
        UNION ALL SELECT game_date, away_team_tricode FROM counting""")
    assert one(con, "SELECT count(*) FROM (SELECT game_date, team FROM team_dates GROUP BY ALL HAVING count(*) > 1)")[0] == 0
    three = one(con, """SELECT count(*) FROM team_dates a JOIN team_dates b ON a.team = b.team AND b.game_date = a.game_date + 1
        JOIN team_dates c ON c.team = a.team AND c.game_date = a.game_date + 2""")[0]
    assert three == 0
    b2b = one(con, """SELECT avg(CASE WHEN EXISTS (SELECT 1 FROM team_dates p WHERE p.team = t.team
            AND p.game_date = t.game_date - 1) THEN 1.0 ELSE 0.0 END) FROM team_dates t""")[0]
    assert 0.08 < b2b < 0.25


# ------------------------------------------------------------------------------------ schedule rows
def test_duplicate_schedule_rows(con):
    # every final game also has an older status-1 row on its date; some also a status-2 row
    missing = one(con, """SELECT count(*) FROM nbac_schedule f WHERE f.game_status = 3 AND f.home_team_score IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM nbac_schedule s WHERE s.game_id = f.game_id AND s.game_date = f.game_date
                        AND s.game_status = 1 AND s.home_team_score IS NULL AND s.processed_at < f.processed_at)""")[0]
    assert missing == 0
    live = one(con, "SELECT count(*) FROM nbac_schedule WHERE game_status = 2")[0]
    finals = one(con, "SELECT count(*) FROM nbac_schedule WHERE game_status = 3")[0]
    assert 0.05 * finals < live < 0.5 * finals
    assert one(con, "SELECT count(*) FROM nbac_schedule WHERE game_status = 1 AND home_team_score IS NOT NULL")[0] == 0


def test_postponed_games(con):
    pp = rows(con, """SELECT p.game_id, p.game_date, f.game_date, p.season_year FROM nbac_schedule p
        JOIN counting f ON f.game_id = p.game_id AND f.game_date > p.game_date
        WHERE p.game_status = 3 AND p.home_team_score IS NULL""")
    assert 3 <= len(pp) <= 8
    assert 2021 in {y for *_, y in pp}
    for gid, orig, played, _ in pp:
        assert orig < played
        # no box score rows on the postponed date, box score on the played date
        assert one(con, f"""SELECT count(*) FROM nbac_team_boxscore WHERE nba_game_id = '{gid}'
            AND game_date = DATE '{orig}'""")[0] == 0
        assert one(con, f"""SELECT count(*) FROM nbac_team_boxscore WHERE nba_game_id = '{gid}'
            AND game_date = DATE '{played}'""")[0] == 2
    # the official sequence follows the original schedule order, so the postponed id is out of date order
    gid, orig, played, y = pp[0]
    later_ids = one(con, f"""SELECT count(*) FROM counting WHERE season_year = {y} AND season_type = 'Regular Season'
        AND game_date > DATE '{orig}' AND game_date < DATE '{played}' AND game_id < '{gid}'""")[0]
    assert later_ids == 0


# ------------------------------------------------------------------------------------ box scores
def test_two_team_rows_per_final_game_and_home_away_ids(con):
    assert one(con, """SELECT count(*) FROM counting c LEFT JOIN
        (SELECT nba_game_id, game_date, count(*) n, sum(is_home::INT) h FROM nbac_team_boxscore GROUP BY ALL) t
        ON t.nba_game_id = c.game_id AND t.game_date = c.game_date
        WHERE c.game_date <= DATE '2026-01-03' AND (t.n IS DISTINCT FROM 2 OR t.h <> 1)""")[0] == 0
    n_games = one(con, "SELECT count(*) FROM counting")[0]
    assert one(con, "SELECT count(*) FROM nbac_team_boxscore")[0] == 2 * n_games
    rev, total = one(con, """SELECT count(DISTINCT game_id) FILTER (WHERE game_id = strftime(game_date, '%Y%m%d') || '_'
            || CASE WHEN is_home THEN team_abbr || '_' || opp ELSE opp || '_' || team_abbr END), count(DISTINCT game_id)
        FROM (SELECT *, first(team_abbr) OVER (PARTITION BY nba_game_id ORDER BY is_home DESC) AS h,
                        last(team_abbr) OVER (PARTITION BY nba_game_id ORDER BY is_home DESC
                                              ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS a,
                        CASE WHEN is_home THEN last(team_abbr) OVER w ELSE first(team_abbr) OVER w END AS opp
              FROM nbac_team_boxscore
              WINDOW w AS (PARTITION BY nba_game_id ORDER BY is_home DESC
                           ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))""")
    assert 0.05 < rev / total < 0.15  # HOME_AWAY order on ~10% of games
    # is_home agrees with the schedule and with the gamebook's home team, whatever the id order
    assert one(con, """SELECT count(*) FROM nbac_team_boxscore t JOIN counting c
        ON c.game_id = t.nba_game_id AND c.game_date = t.game_date
        WHERE t.is_home <> (t.team_abbr = c.home_team_tricode)
           OR t.points <> CASE WHEN t.is_home THEN c.home_team_score ELSE c.away_team_score END""")[0] == 0


def test_team_lines_are_consistent(con):
    assert one(con, """SELECT count(*) FROM nbac_team_boxscore
        WHERE points <> 2 * fg_made + three_pt_made + ft_made OR fg_made > fg_attempted
           OR three_pt_made > three_pt_attempted OR ft_made > ft_attempted OR three_pt_made > fg_made
           OR total_rebounds <> offensive_rebounds + defensive_rebounds""")[0] == 0
    # the winner has more points, plus_minus = margin, minutes 240:00 + 25:00 per overtime
    assert one(con, """SELECT count(*) FROM nbac_team_boxscore a JOIN nbac_team_boxscore b
        ON a.nba_game_id = b.nba_game_id AND a.game_date = b.game_date AND a.is_home AND NOT b.is_home
        WHERE a.points = b.points OR a.plus_minus <> a.points - b.points OR b.plus_minus <> -a.plus_minus
           OR a.minutes <> b.minutes""")[0] == 0
    mins = dict(rows(con, "SELECT minutes, count(*) // 2 FROM nbac_team_boxscore GROUP BY 1"))
    assert set(mins) <= {"240:00", "265:00", "290:00", "315:00"}
    ot_share = 1 - mins["240:00"] / sum(mins.values())
    assert 0.03 < ot_share < 0.10
    avg = one(con, "SELECT avg(points), avg(fg_attempted), avg(ft_attempted), avg(three_pt_attempted), "
                   "avg(total_rebounds), avg(assists) FROM nbac_team_boxscore")
    assert 105 < avg[0] < 120 and 82 < avg[1] < 95 and 18 < avg[2] < 26 and 30 < avg[3] < 42
    assert 38 < avg[4] < 50 and 20 < avg[5] < 32


def test_player_rows_add_up(con):
    assert one(con, """SELECT count(*) FROM active
        WHERE points <> 2 * field_goals_made + three_pointers_made + free_throws_made
           OR field_goals_made > field_goals_attempted OR three_pointers_made > three_pointers_attempted
           OR free_throws_made > free_throws_attempted OR three_pointers_made > field_goals_made
           OR three_pointers_attempted > field_goals_attempted
           OR total_rebounds <> offensive_rebounds + defensive_rebounds
           OR NOT regexp_full_match(minutes, '[0-9]{1,2}:[0-5][0-9]')""")[0] == 0
    # not-active rows carry no stats, active rows carry no dnp_reason
    assert one(con, """SELECT count(*) FROM nbac_gamebook_player_stats
        WHERE (player_status = 'active') <> (minutes IS NOT NULL)
           OR (player_status = 'active') <> (points IS NOT NULL)
           OR (player_status = 'active') = (dnp_reason IS NOT NULL)""")[0] == 0


def test_player_sums_equal_team_totals(con):
    pairs = list(zip(["field_goals_made", "field_goals_attempted", "three_pointers_made", "three_pointers_attempted",
                      "free_throws_made", "free_throws_attempted", "offensive_rebounds", "defensive_rebounds",
                      "total_rebounds", "assists", "steals", "blocks", "turnovers", "personal_fouls", "points"],
                     ["fg_made", "fg_attempted", "three_pt_made", "three_pt_attempted", "ft_made", "ft_attempted",
                      "offensive_rebounds", "defensive_rebounds", "total_rebounds", "assists", "steals", "blocks",
                      "turnovers", "personal_fouls", "points"], strict=True))
    sums = ", ".join(f"sum({p}) AS {t}" for p, t in pairs)
    diff = " OR ".join(f"p.{t} <> t.{t}" for _, t in pairs)
    n_teams, bad = one(con, f"""WITH p AS (
            SELECT nba_game_id, game_date, CASE WHEN team_abbr IS NULL THEN NULL ELSE team_abbr END AS team_abbr,
                   {sums}, sum(plus_minus) AS pm,
                   sum(CAST(split_part(minutes, ':', 1) AS INT) * 60 + CAST(split_part(minutes, ':', 2) AS INT)) AS secs
            FROM active GROUP BY 1, 2, 3)
        SELECT count(*), count(*) FILTER (WHERE p.team_abbr IS NULL OR {diff} OR p.pm <> 5 * t.plus_minus
            OR p.secs <> CAST(split_part(t.minutes, ':', 1) AS INT) * 60)
        FROM nbac_team_boxscore t LEFT JOIN p
        ON p.nba_game_id = t.nba_game_id AND p.game_date = t.game_date AND p.team_abbr = t.team_abbr""")
    assert n_teams > 11_000 and bad == 0


def test_rosters_statuses_and_trades(con):
    lo, hi = one(con, """SELECT min(n), max(n) FROM (SELECT nba_game_id, count(*) n FROM active GROUP BY 1)""")
    assert lo >= 18 and hi <= 36
    lo, hi = one(con, """SELECT min(n), max(n) FROM (SELECT nba_game_id, team_abbr, count(*) n FROM active GROUP BY 1, 2)""")
    assert lo >= 8 and hi <= 13
    listed = one(con, """SELECT min(n), max(n) FROM (SELECT nba_game_id, game_date, count(DISTINCT player_lookup) n
        FROM nbac_gamebook_player_stats GROUP BY 1, 2)""")
    assert listed == (30, 34)  # rosters of 15-17 players, every rostered player listed
    statuses = dict(rows(con, "SELECT player_status, count(*) FROM nbac_gamebook_player_stats GROUP BY 1"))
    assert set(statuses) == {"active", "dnp", "inactive"} and statuses["dnp"] > 5000 and statuses["inactive"] > 5000
    reasons = dict(rows(con, "SELECT player_status, list(DISTINCT dnp_reason) FROM nbac_gamebook_player_stats "
                             "WHERE player_status <> 'active' GROUP BY 1"))
    assert reasons["dnp"] == ["DNP - Coach's Decision"]
    assert any(r.startswith("Injury/Illness - ") for r in reasons["inactive"])
    null_team = one(con, "SELECT count(*), count(*) FILTER (WHERE player_status <> 'dnp') "
                         "FROM nbac_gamebook_player_stats WHERE team_abbr IS NULL")
    assert null_team[0] > 50 and null_team[1] == 0
    # injuries come in stretches: some players are inactive with an injury in 5+ consecutive team games
    assert one(con, """SELECT count(*) FROM (SELECT player_lookup, season_year, count(*) n FROM nbac_gamebook_player_stats
        WHERE dnp_reason LIKE 'Injury%' GROUP BY 1, 2 HAVING n >= 5)""")[0] > 100
    # mid-season trades: players on two teams in one season, never two teams on one date
    traded = one(con, """SELECT count(*) FROM (SELECT player_lookup, season_year FROM nbac_gamebook_player_stats
        WHERE team_abbr IS NOT NULL GROUP BY 1, 2 HAVING count(DISTINCT team_abbr) > 1)""")[0]
    assert traded >= 5
    assert one(con, """SELECT count(*) FROM (SELECT player_lookup, game_date FROM nbac_gamebook_player_stats
        GROUP BY 1, 2 HAVING count(*) > 1)""")[0] == 0
    assert one(con, "SELECT count(*) FROM (SELECT player_lookup FROM nbac_gamebook_player_stats "
                    "GROUP BY 1 HAVING count(DISTINCT player_name) > 1)")[0] == 0


def test_shot_zones_match_box_scores(con):
    n_zone, bad = one(con, """SELECT count(*), count(*) FILTER (WHERE g.player_lookup IS NULL
            OR z.three_attempts <> g.three_pointers_attempted OR z.three_makes <> g.three_pointers_made
            OR z.paint_attempts + z.mid_range_attempts <> g.field_goals_attempted - g.three_pointers_attempted
            OR z.paint_makes + z.mid_range_makes <> g.field_goals_made - g.three_pointers_made
            OR z.paint_makes > z.paint_attempts OR z.mid_range_makes > z.mid_range_attempts
            OR z.paint_makes < 0 OR z.mid_range_makes < 0
            OR z.assisted_fg_makes + z.unassisted_fg_makes <> g.field_goals_made OR z.assisted_fg_makes < 0
            OR z.unassisted_fg_makes < 0)
        FROM player_shot_zones z LEFT JOIN active g USING (game_id, player_lookup)""")
    assert n_zone == one(con, "SELECT count(*) FROM active")[0] and bad == 0
    # assists on the team line equal the team's assisted field goals
    assert one(con, """SELECT count(*) FROM nbac_team_boxscore t JOIN (
            SELECT z.game_id, z.team_abbr, sum(assisted_fg_makes) a FROM player_shot_zones z GROUP BY 1, 2) z
        ON z.team_abbr = t.team_abbr AND z.game_id IN (t.game_id,
            split_part(t.game_id, '_', 1) || '_' || split_part(t.game_id, '_', 3) || '_' || split_part(t.game_id, '_', 2))
        WHERE z.a <> t.assists""")[0] == 0


def test_player_props(con):
    s = one(con, """SELECT count(*), count(DISTINCT bookmaker), min(points_line), max(points_line),
            count(*) FILTER (WHERE (points_line * 2) % 2 <> 1),
            count(*) FILTER (WHERE regexp_full_match(game_id, '00[2456][0-9]{7}')),
            count(*) FILTER (WHERE regexp_full_match(game_id, '[0-9]{8}_[A-Z]{3}_[A-Z]{3}'))
        FROM odds_api_player_points_props""")
    n, books, lo, hi, not_half, official, system = s
    assert books == 4 and lo >= 0.5 and hi < 45 and not_half == 0
    assert official > 0 and system > 0 and official + system == n
    # per player-game: 2-4 bookmakers, 2-4 snapshots each, all before tip-off on the game's Eastern date
    per = one(con, """SELECT min(b), max(b), min(s), max(s) FROM (
        SELECT game_date, player_lookup, count(DISTINCT bookmaker) b, max(k) s FROM (
            SELECT game_date, player_lookup, bookmaker, count(*) k FROM odds_api_player_points_props GROUP BY ALL)
        GROUP BY ALL)""")
    assert per == (2, 4, 2, 4)
    # most rotation players (>= 20 min on average in the season) have props, lines near their scoring
    cov, err = one(con, """WITH rot AS (
            SELECT player_lookup, season_year FROM active GROUP BY ALL
            HAVING avg(CAST(split_part(minutes, ':', 1) AS INT)) >= 21),
        pg AS (SELECT a.game_date, a.player_lookup, a.points FROM active a JOIN rot USING (player_lookup, season_year)),
        ln AS (SELECT game_date, player_lookup, avg(points_line) l FROM odds_api_player_points_props GROUP BY ALL)
        SELECT count(ln.l) / count(*), avg(abs(ln.l - pg.points)) FROM pg LEFT JOIN ln USING (game_date, player_lookup)""")
    assert 0.7 < cov < 0.9 and err < 8
    assert one(con, """SELECT count(*) FROM odds_api_player_points_props p
        WHERE CAST(timezone('America/New_York', p.snapshot_timestamp) AS DATE) NOT BETWEEN p.game_date - 1 AND p.game_date
           OR p.processed_at < p.snapshot_timestamp""")[0] == 0


def test_game_lines(con):
    n_games = one(con, "SELECT count(*) FROM counting")[0]
    per = one(con, """SELECT count(DISTINCT game_id), min(b), max(b), min(k), max(k) FROM (
        SELECT game_id, count(DISTINCT bookmaker_key) b, count(*) / count(DISTINCT bookmaker_key) k
        FROM odds_api_game_lines GROUP BY 1)""")
    assert per == (n_games, 2, 3, 8, 8)
    assert one(con, """SELECT count(*) FROM odds_api_game_lines WHERE NOT regexp_full_match(game_id, '[0-9a-f]{32}')""")[0] == 0
    # per bookmaker and snapshot: spreads +x/-x on the two teams, totals Over/Under on the same point
    assert one(con, """SELECT count(*) FROM (
        SELECT game_id, bookmaker_key, snapshot_timestamp,
               sum(outcome_point) FILTER (WHERE market_key = 'spreads') AS sp,
               list_sort(list(outcome_name) FILTER (WHERE market_key = 'spreads')) AS teams,
               list_sort(list(home_team_abbr) FILTER (WHERE market_key = 'spreads')
                         || list(away_team_abbr) FILTER (WHERE market_key = 'spreads')) AS both_teams,
               count(DISTINCT outcome_point) FILTER (WHERE market_key = 'totals') AS tp,
               list_sort(list(outcome_name) FILTER (WHERE market_key = 'totals')) AS ou,
               count(*) AS n
        FROM odds_api_game_lines GROUP BY ALL)
        WHERE sp <> 0 OR n <> 4 OR tp <> 1 OR ou <> ['Over', 'Under']
           OR list_distinct(teams) <> list_distinct(both_teams) OR len(teams) <> 2""")[0] == 0
    fav, tot = one(con, """SELECT
            avg(CASE WHEN outcome_point < 0 THEN 1.0 ELSE 0.0 END) FILTER (WHERE outcome_name = home_team_abbr),
            avg(outcome_point) FILTER (WHERE market_key = 'totals')
        FROM odds_api_game_lines""")
    assert 0.52 < fav < 0.85 and 210 < tot < 240


def test_processed_at_is_the_morning_after(con):
    for table in ("nbac_gamebook_player_stats", "nbac_team_boxscore", "player_shot_zones"):
        lo, hi = one(con, f"""SELECT min(date_diff('hour', CAST(game_date AS TIMESTAMP), processed_at AT TIME ZONE 'UTC')),
            max(date_diff('hour', CAST(game_date AS TIMESTAMP), processed_at AT TIME ZONE 'UTC')) FROM {table}""")
        assert 32 <= lo and hi <= 36, table


# ------------------------------------------------------------------------------------ determinism
def test_deterministic_and_seed_dependent(tables):
    again = generate_raw(7)
    for name in RAW_TABLES:
        assert again[name].equals(tables[name]), name
    other = generate_raw(8)
    assert not other["nbac_gamebook_player_stats"].equals(tables["nbac_gamebook_player_stats"])
    assert not other["nbac_schedule"].equals(tables["nbac_schedule"])


def test_other_seed_still_meets_the_counting_invariant():
    c = duckdb.connect()
    c.register("nbac_schedule", generate_raw(11)["nbac_schedule"])
    total, boot = one(c, f"""WITH c AS ({COUNTING_GAMES}),
        w AS (SELECT * FROM c WHERE game_date BETWEEN DATE '{DEMO_START}' AND DATE '{DEMO_END}'),
        o AS (SELECT season_year, min(game_date) op FROM w WHERE season_type = 'Regular Season' GROUP BY 1)
        SELECT count(DISTINCT game_date), count(DISTINCT game_date) FILTER (WHERE game_date - op < 14)
        FROM w JOIN o USING (season_year)""")
    assert (total, boot) == (918, 70)


def test_extra_seasons_and_games_scale():
    # earlier seasons are complete and stay outside the window; extra leagues multiply games per date
    data = generate_raw(7, extra_seasons=1, games_scale=2.0)
    c = duckdb.connect()
    for name, table in data.items():
        c.register(name, table)
    c.execute(f"CREATE TEMP VIEW counting AS {COUNTING_GAMES}")
    got = dict(rows(c, "SELECT season_year, count(*) FROM counting WHERE season_type = 'Regular Season' GROUP BY 1"))
    assert got[2020] == 2460 and got[2021] == 2460
    assert one(c, "SELECT count(DISTINCT home_team_tricode) FROM counting WHERE season_year = 2021")[0] == 60
    total = one(c, f"""SELECT count(DISTINCT game_date) FROM counting
        WHERE game_date BETWEEN DATE '{DEMO_START}' AND DATE '{DEMO_END}'""")[0]
    assert total == 918
    assert one(c, "SELECT count(*) FROM (SELECT game_id FROM nbac_schedule WHERE game_status = 3 "
                  "AND home_team_score IS NOT NULL GROUP BY game_id, game_date HAVING count(*) > 1)")[0] == 0
