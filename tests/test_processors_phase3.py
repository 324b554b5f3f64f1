"""Phase-3 processors against a hand-made raw warehouse; expected numbers worked out by hand."""

from __future__ import annotations

import pytest

from phasegate.runner.processors import run_processor
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.builders import d, repo_catalog
from tests.fixtures.raw_rows import END, PHASE3_ORDER, START, raw_fixture


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    wh = DuckDBWarehouse(tmp_path_factory.mktemp("phase3") / "w.duckdb")
    raw_fixture(wh)
    catalog = repo_catalog()
    for name in PHASE3_ORDER:
        run_processor(wh, catalog, name, START, END)
    yield wh
    wh.close()


def one(wh, sql: str) -> dict:
    rows = wh.query(sql)
    assert len(rows) == 1, rows
    return rows[0]


def test_team_offense_rebuilds_away_home_ids_and_ot_adjusted_pace(built):
    den = one(built, "SELECT * FROM nba_analytics.team_offense_game_summary WHERE team_abbr = 'DEN'")
    lal = one(built, "SELECT * FROM nba_analytics.team_offense_game_summary WHERE team_abbr = 'LAL'")
    assert den["game_id"] == lal["game_id"] == "20231101_LAL_DEN"
    assert den["nba_game_id"] == "0022300003"
    assert (den["opponent_team_abbr"], lal["opponent_team_abbr"]) == ("LAL", "DEN")
    # DEN: 90 + 0.44*25 + 15 - 10 = 106.0 possessions; one OT: 265 player-minutes / 5 = 53 minutes.
    assert den["possessions"] == 106
    assert den["pace"] == pytest.approx(96.0)           # 106 * 48 / 53
    assert den["offensive_rating"] == pytest.approx(103.77)  # 110 / 106 * 100
    assert den["overtime_periods"] == 1
    assert (den["points_scored"], den["win_flag"], den["margin_of_victory"], den["home_game"]) == (110, True, 10, True)
    # LAL: 88 + 8.8 + 12 - 8 = 100.8 -> rounded to 0.1 then truncated like int(): 100.
    assert lal["possessions"] == 100
    assert lal["pace"] == pytest.approx(90.6)           # 100 * 48 / 53 = 90.57
    assert (lal["win_flag"], lal["margin_of_victory"], lal["home_game"]) == (False, -10, False)


def test_team_offense_writes_only_games_with_box_scores(built):
    rows = built.query("SELECT game_date, COUNT(*) AS n FROM nba_analytics.team_offense_game_summary GROUP BY 1")
    assert rows == [{"game_date": d("2023-11-01"), "n": 2}]


def test_team_defense_is_the_opponents_offense(built):
    den = one(built, "SELECT * FROM nba_analytics.team_defense_game_summary WHERE defending_team_abbr = 'DEN'")
    assert den["game_id"] == "20231101_LAL_DEN"
    assert den["opponent_team_abbr"] == "LAL"
    assert den["points_allowed"] == 100
    assert (den["opp_fg_attempts"], den["opp_ft_attempts"], den["opp_offensive_rebounds"]) == (88, 20, 8)
    assert den["turnovers_forced"] == 12
    # 100 / (88 + 0.44*20 - 8 + 12) * 100 = 100 / 100.8 * 100
    assert den["defensive_rating"] == pytest.approx(99.21)
    assert den["opponent_pace"] == pytest.approx(100.8)  # not OT-adjusted
    # Defensive actions from DEN's active gamebook players; zones allowed from LAL's players.
    assert (den["steals"], den["blocks"], den["defensive_rebounds"]) == (2, 1, 6)
    assert den["opp_paint_attempts"] == 6
    assert (den["home_game"], den["win_flag"]) == (True, True)


def test_player_game_summary_usage_rate_and_efficiency(built):
    row = one(built, "SELECT * FROM nba_analytics.player_game_summary WHERE player_lookup = 'starone' "
                     "AND game_date = DATE '2023-11-01'")
    # 100 * (20 + 0.44*8 + 3) * 48 / (36 * (90 + 0.44*25 + 15)) = 127296 / 4176 = 30.48
    assert row["usage_rate"] == pytest.approx(30.48, abs=0.005)
    assert row["ts_pct"] == pytest.approx(0.638)        # 30 / (2 * (20 + 3.52))
    assert row["efg_pct"] == pytest.approx(0.6)         # (11 + 0.5*2) / 20
    assert row["minutes_played"] == pytest.approx(36.0)
    assert row["game_id"] == "20231101_LAL_DEN"
    assert (row["team_abbr"], row["opponent_team_abbr"], row["win_flag"]) == ("DEN", "LAL", True)
    assert (row["paint_attempts"], row["three_attempts_pbp"], row["has_complete_shot_zones"]) == (11, 5, True)


def test_player_game_summary_consensus_prop_line(built):
    row = one(built, "SELECT * FROM nba_analytics.player_game_summary WHERE player_lookup = 'starone' "
                     "AND game_date = DATE '2023-11-01'")
    # Latest per book: 28.5, 29.5, 28.0 -> median 28.5; earliest per book: 27.5, 26.5, 28.0 -> 27.5.
    assert row["points_line"] == pytest.approx(28.5)
    assert row["opening_line"] == pytest.approx(27.5)
    assert row["line_movement"] == pytest.approx(1.0)
    assert (row["over_under_result"], row["margin"]) == ("OVER", pytest.approx(1.5))


def test_player_game_summary_keeps_dnp_rows_with_null_stats(built):
    row = one(built, "SELECT * FROM nba_analytics.player_game_summary WHERE player_lookup = 'benchguy' "
                     "AND game_date = DATE '2023-11-01'")
    assert (row["is_active"], row["is_dnp"], row["dnp_reason"]) == (False, True, "Coach's Decision")
    assert row["points"] is None and row["minutes_played"] is None and row["usage_rate"] is None
    assert row["team_abbr"] == "DEN"  # NULL in the source, recovered from his previous game
    total = one(built, "SELECT COUNT(*) AS n FROM nba_analytics.player_game_summary")["n"]
    assert total == 9  # every gamebook row


def test_usage_rate_is_null_without_team_stats(built):
    row = one(built, "SELECT * FROM nba_analytics.player_game_summary WHERE player_lookup = 'parttimer'")
    assert row["minutes_played"] == pytest.approx(12.5)  # '12:30'
    assert row["points"] == 4
    assert row["usage_rate"] is None and row["has_team_stats"] is False


def test_upcoming_player_context_windows_exclude_own_date_and_dnp(built):
    row = one(built, "SELECT * FROM nba_analytics.upcoming_player_game_context WHERE player_lookup = 'starone' "
                     "AND game_date = DATE '2023-11-06'")
    # Played before 11-06: 10-30 (10 pts, 20 min), 11-01 (30, 36), 11-05 (20, 30); 11-03 was a DNP,
    # and the 40 points of 11-06 itself must not count.
    assert row["days_rest"] == 1 and row["back_to_back"] is True
    assert row["games_in_last_7_days"] == 2      # 10-30 is exactly 7 days back: excluded
    assert row["games_in_last_14_days"] == 3
    assert row["minutes_in_last_7_days"] == pytest.approx(66.0)
    assert row["minutes_in_last_14_days"] == pytest.approx(86.0)
    assert row["points_avg_last_5"] == pytest.approx(20.0)
    assert row["points_avg_last_10"] == pytest.approx(20.0)
    assert (row["opponent_team_abbr"], row["home_game"], row["game_id"]) == ("MIA", False, "20231106_DEN_MIA")


def test_upcoming_player_context_lines(built):
    row = one(built, "SELECT * FROM nba_analytics.upcoming_player_game_context WHERE player_lookup = 'starone' "
                     "AND game_date = DATE '2023-11-06'")
    # Favourite side only: -4.5 (DK latest), -5.0 (FD), -4.0 (MGM) -> median -4.5 (all six rows: 0).
    assert row["game_spread"] == pytest.approx(-4.5)
    assert row["game_total"] == pytest.approx(228.5)
    assert row["has_prop_line"] is False
    earlier = one(built, "SELECT * FROM nba_analytics.upcoming_player_game_context WHERE player_lookup = 'starone' "
                         "AND game_date = DATE '2023-11-01'")
    assert earlier["has_prop_line"] is True
    assert (earlier["current_points_line"], earlier["opening_points_line"]) == (28.5, 27.5)
    assert earlier["line_movement"] == pytest.approx(1.0)


def test_upcoming_player_context_has_active_players_only(built):
    dnp = built.query("SELECT * FROM nba_analytics.upcoming_player_game_context WHERE player_lookup = 'starone' "
                      "AND game_date = DATE '2023-11-03'")
    assert dnp == []


def test_upcoming_team_context(built):
    den = one(built, "SELECT * FROM nba_analytics.upcoming_team_game_context WHERE team_abbr = 'DEN' "
                     "AND game_date = DATE '2023-11-06'")
    # DEN before 11-06: W 10-24, W 10-30, W 11-01, L 11-03 (99-104), W 11-05 (+7).
    assert (den["team_days_rest"], den["team_back_to_back"]) == (1, True)
    assert (den["games_in_last_7_days"], den["games_in_last_14_days"]) == (3, 5)
    assert den["game_number_in_season"] == 6
    assert (den["team_win_streak_entering"], den["team_loss_streak_entering"]) == (1, 0)
    assert den["last_game_margin"] == 7
    # DraftKings first, this team's spread row, latest snapshot.
    assert (den["game_spread"], den["game_total"], den["game_spread_source"]) == (-4.5, 228.5, "draftkings")
    mia = one(built, "SELECT * FROM nba_analytics.upcoming_team_game_context WHERE team_abbr = 'MIA'")
    assert (mia["game_spread"], mia["home_game"], mia["game_id"]) == (4.5, True, "20231106_DEN_MIA")
    streaks = built.query("SELECT game_date, team_win_streak_entering AS w, team_loss_streak_entering AS l "
                          "FROM nba_analytics.upcoming_team_game_context WHERE team_abbr = 'DEN' ORDER BY game_date")
    assert [(r["w"], r["l"]) for r in streaks] == [(0, 0), (1, 0), (2, 0), (3, 0), (0, 1), (1, 0)]


def test_preseason_and_scheduled_rows_are_not_games(built):
    rows = built.query("SELECT COUNT(*) AS n FROM nba_analytics.upcoming_team_game_context")
    assert rows[0]["n"] == 12  # 6 counted games x 2 teams; no preseason, no duplicate 'scheduled' row


def test_same_range_twice_gives_the_same_table(built):
    catalog = repo_catalog()
    columns = "* EXCEPT (processed_at)"
    before = built.query(f"SELECT {columns} FROM nba_analytics.player_game_summary ORDER BY game_date, player_lookup")
    run_processor(built, catalog, "player_game_summary", START, END)
    after = built.query(f"SELECT {columns} FROM nba_analytics.player_game_summary ORDER BY game_date, player_lookup")
    assert after == before


def test_shared_props_consensus_gives_both_player_tables_the_same_lines(built):
    # props_by_book + props_consensus (backfill/shared) feed both tables: their lines agree.
    rows = built.query(
        "SELECT s.points_line, s.opening_line, c.current_points_line, c.opening_points_line, "
        "s.line_movement AS s_move, c.line_movement AS c_move "
        "FROM nba_analytics.player_game_summary AS s "
        "JOIN nba_analytics.upcoming_player_game_context AS c USING (player_lookup, game_date)")
    with_lines = [r for r in rows if r["points_line"] is not None]
    assert with_lines
    for r in rows:
        assert (r["points_line"], r["opening_line"], r["s_move"]) == \
            (r["current_points_line"], r["opening_points_line"], r["c_move"])


def test_shared_team_box_pairs_give_offense_and_defense_the_same_games(built):
    # team_box + team_box_pairs (backfill/shared) feed both tables: each offense row is the
    # opponent's defense row of the same game, seen from the other side.
    offense = built.query("SELECT * FROM nba_analytics.team_offense_game_summary")
    defense = {(r["game_id"], r["defending_team_abbr"]): r
               for r in built.query("SELECT * FROM nba_analytics.team_defense_game_summary")}
    assert offense and len(defense) == len(offense)
    for o in offense:
        d = defense[(o["game_id"], o["opponent_team_abbr"])]
        assert (d["opponent_team_abbr"], d["nba_game_id"], d["points_allowed"]) == \
            (o["team_abbr"], o["nba_game_id"], o["points_scored"])
        assert (d["opp_fg_attempts"], d["turnovers_forced"]) == (o["fg_attempts"], o["turnovers"])
