"""Phase-4 processors on hand-made phase-3 tables; expected numbers worked out by hand.

Season 2023-24 opens 2023-10-24; with bootstrap_days = 14, 10-24..11-06 are bootstrap dates
and 2023-11-07 (LAL @ DEN) is the first date phase 4 may write.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from phasegate.runner.processors import run_processor
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.builders import d, load_rows, load_schedule, repo_catalog, schedule_row

START, END = d("2023-10-01"), d("2023-11-30")
ANALYSIS = d("2023-11-07")
PHASE4_ORDER = ["team_defense_zone_analysis", "player_shot_zone_analysis", "player_composite_factors",
                "player_daily_cache", "ml_feature_store_v2"]


def defense(date, team, paint, mid, three, rating, pace) -> dict:
    return {"game_date": d(date), "defending_team_abbr": team, "points_allowed": 100,
            "opp_paint_makes": paint[0], "opp_paint_attempts": paint[1], "opp_mid_range_makes": mid[0],
            "opp_mid_range_attempts": mid[1], "opp_three_pt_makes": three[0], "opp_three_pt_attempts": three[1],
            "defensive_rating": float(rating), "opponent_pace": float(pace)}


def player(date, who, team, opp, *, active=True, pts=None, minutes=None, zones=None, assisted=(0, 0),
           usage=None, ts=None) -> dict:
    paint, mid, three = zones or ((None, None), (None, None), (None, None))
    away, home = (opp, team) if team == "DEN" else (team, opp)
    return {"player_lookup": who, "team_abbr": team, "opponent_team_abbr": opp, "game_date": d(date),
            "game_id": f"{date.replace('-', '')}_{away}_{home}", "home_game": team == home, "is_active": active,
            "points": pts, "minutes_played": minutes, "fg_attempts": 10 if active else None,
            "has_complete_shot_zones": zones is not None,
            "paint_attempts": paint[1], "paint_makes": paint[0], "mid_range_attempts": mid[1],
            "mid_range_makes": mid[0], "three_attempts_pbp": three[1], "three_makes_pbp": three[0],
            "assisted_fg_makes": assisted[0] if zones else None, "unassisted_fg_makes": assisted[1] if zones else None,
            "usage_rate": usage, "ts_pct": ts}


PGS_SCHEMA = pa.schema([
    ("player_lookup", pa.string()), ("team_abbr", pa.string()), ("opponent_team_abbr", pa.string()),
    ("game_date", pa.date32()), ("game_id", pa.string()), ("home_game", pa.bool_()), ("is_active", pa.bool_()),
    ("points", pa.int64()), ("minutes_played", pa.float64()), ("fg_attempts", pa.int64()),
    ("has_complete_shot_zones", pa.bool_()),
    *[(c, pa.int64()) for c in ("paint_attempts", "paint_makes", "mid_range_attempts", "mid_range_makes",
                                "three_attempts_pbp", "three_makes_pbp", "assisted_fg_makes", "unassisted_fg_makes")],
    ("usage_rate", pa.float64()), ("ts_pct", pa.float64()),
])


def context(who, team, opp, *, days_rest, b2b, g7, m7, mpg7, b2b14) -> dict:
    return {"player_lookup": who, "team_abbr": team, "opponent_team_abbr": opp, "game_date": ANALYSIS,
            "game_id": "20231107_LAL_DEN", "days_rest": days_rest, "back_to_back": b2b, "games_in_last_7_days": g7,
            "games_in_last_14_days": g7, "minutes_in_last_7_days": m7, "minutes_in_last_14_days": m7,
            "avg_minutes_per_game_last_7": mpg7, "back_to_backs_last_14_days": b2b14}


UPGC_SCHEMA = pa.schema([
    ("player_lookup", pa.string()), ("team_abbr", pa.string()), ("opponent_team_abbr", pa.string()),
    ("game_date", pa.date32()), ("game_id", pa.string()), ("days_rest", pa.int64()), ("back_to_back", pa.bool_()),
    ("games_in_last_7_days", pa.int64()), ("games_in_last_14_days", pa.int64()),
    ("minutes_in_last_7_days", pa.float64()), ("minutes_in_last_14_days", pa.float64()),
    ("avg_minutes_per_game_last_7", pa.float64()), ("back_to_backs_last_14_days", pa.int64()),
])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    wh = DuckDBWarehouse(tmp_path_factory.mktemp("phase4") / "w.duckdb")
    load_schedule(wh, [
        schedule_row("0022300001", "2023-10-24", "LAL", "DEN"),
        schedule_row("0022300002", "2023-10-30", "DEN", "LAL"),
        schedule_row("0022300003", "2023-11-03", "LAL", "DEN"),
        schedule_row("0022300004", "2023-11-05", "DEN", "LAL"),
        schedule_row("0022300005", "2023-11-07", "LAL", "DEN"),
    ])
    load_rows(wh, "nba_analytics", "team_defense_game_summary", [
        defense("2023-10-24", "DEN", (10, 20), (5, 10), (3, 10), 100, 98),
        defense("2023-10-30", "DEN", (12, 20), (5, 10), (3, 10), 110, 102),
        defense("2023-11-07", "DEN", (20, 20), (10, 10), (10, 10), 50, 150),  # the date itself: excluded
        defense("2023-10-24", "LAL", (8, 20), (4, 10), (4, 10), 105, 99),
        defense("2023-10-30", "LAL", (10, 20), (4, 10), (4, 10), 115, 101),
    ])
    load_rows(wh, "nba_analytics", "team_offense_game_summary", [
        {"game_date": d(date), "team_abbr": team, "pace": float(pace), "offensive_rating": float(rating)}
        for date, team, pace, rating in [("2023-10-24", "DEN", 100, 110), ("2023-10-30", "DEN", 104, 114),
                                         ("2023-11-07", "DEN", 200, 300), ("2023-10-24", "LAL", 96, 100),
                                         ("2023-10-30", "LAL", 98, 104)]])
    load_rows(wh, "nba_analytics", "player_game_summary", [
        player("2023-10-24", "p1", "DEN", "LAL", pts=20, minutes=30.0, zones=((3, 6), (1, 2), (1, 2)),
               assisted=(3, 2), usage=20.0, ts=0.5),
        player("2023-10-30", "p1", "DEN", "LAL", pts=30, minutes=34.0, zones=((2, 4), (1, 2), (2, 4)),
               assisted=(4, 1), usage=30.0, ts=0.6),
        player("2023-11-03", "p1", "DEN", "LAL", pts=25, minutes=32.0, usage=28.0, ts=0.55),  # no shot zones
        player("2023-11-05", "p1", "DEN", "LAL", active=False),                                # DNP
        player("2023-11-07", "p1", "DEN", "LAL", pts=50, minutes=40.0, zones=((50, 100), (0, 0), (0, 0)),
               assisted=(9, 9), usage=60.0, ts=0.9),                                           # the date itself
        player("2023-11-07", "p2", "LAL", "DEN", pts=10, minutes=20.0, usage=15.0, ts=0.5),
        player("2023-11-07", "p3", "DEN", "LAL", pts=8, minutes=15.0, usage=12.0, ts=0.5),
    ], PGS_SCHEMA)
    # Context values chosen to hit each fatigue rule (p1) or none (p2); p3 has no context row.
    load_rows(wh, "nba_analytics", "upcoming_player_game_context", [
        context("p1", "DEN", "LAL", days_rest=4, b2b=False, g7=4, m7=250.0, mpg7=36.0, b2b14=1),
        context("p2", "LAL", "DEN", days_rest=None, b2b=False, g7=0, m7=0.0, mpg7=None, b2b14=0),
    ], UPGC_SCHEMA)
    catalog = repo_catalog()
    for name in PHASE4_ORDER:
        run_processor(wh, catalog, name, START, END)
    yield wh
    wh.close()


def rows_of(wh, table: str, date_column: str) -> list[dict]:
    return wh.query(f"SELECT * FROM {table} ORDER BY {date_column}, 1")


@pytest.mark.parametrize("table, date_column", [
    ("nba_precompute.team_defense_zone_analysis", "analysis_date"),
    ("nba_precompute.player_shot_zone_analysis", "analysis_date"),
    ("nba_precompute.player_composite_factors", "game_date"),
    ("nba_precompute.player_daily_cache", "cache_date"),
    ("nba_predictions.ml_feature_store_v2", "game_date"),
])
def test_nothing_is_written_on_bootstrap_dates(built, table, date_column):
    dates = {r[date_column] for r in rows_of(built, table, date_column)}
    assert dates == {ANALYSIS}  # the phase-3 rows of 10-24..11-05 exist but those are bootstrap dates


def test_team_defense_zones_last_games_before_the_date_vs_league(built):
    rows = {r["team_abbr"]: r for r in rows_of(built, "nba_precompute.team_defense_zone_analysis", "analysis_date")}
    assert set(rows) == {"DEN", "LAL"}  # one row per team of the season
    den, lal = rows["DEN"], rows["LAL"]
    assert den["games_in_sample"] == 2  # the 11-07 game itself is not in its own sample
    assert den["paint_pct_allowed_last_15"] == pytest.approx(0.55)   # 22 / 40
    # League (no team has 10 games yet, so all teams): paint 40/80 = .50, mid 18/40 = .45, three 14/40 = .35
    assert den["paint_defense_vs_league_avg"] == pytest.approx(5.0)
    assert den["mid_range_defense_vs_league_avg"] == pytest.approx(5.0)   # .50 vs .45
    assert den["three_pt_defense_vs_league_avg"] == pytest.approx(-5.0)   # .30 vs .35
    assert (den["strongest_zone"], den["weakest_zone"]) == ("three_pt", "paint")
    assert (lal["strongest_zone"], lal["weakest_zone"]) == ("paint", "three_pt")
    assert den["defensive_rating_last_15"] == pytest.approx(105.0)
    assert den["opponent_pace_last_15"] == pytest.approx(100.0)
    assert lal["defensive_rating_last_15"] == pytest.approx(110.0)


def test_player_shot_zones_use_prior_played_games_with_all_zones(built):
    rows = {r["player_lookup"]: r for r in rows_of(built, "nba_precompute.player_shot_zone_analysis", "analysis_date")}
    assert set(rows) == {"p1"}  # p2 and p3 have no game before the date
    p1 = rows["p1"]
    assert p1["games_in_sample_10"] == 3   # 10-24, 10-30, 11-03; the DNP and the date itself excluded
    # Zoned games 10-24 + 10-30: paint 10, mid 4, three 6 of 20 attempts.
    assert (p1["paint_rate_last_10"], p1["mid_range_rate_last_10"], p1["three_pt_rate_last_10"]) == (50.0, 20.0, 30.0)
    assert p1["paint_pct_last_10"] == pytest.approx(0.5)
    assert p1["assisted_rate_last_10"] == pytest.approx(70.0)   # 7 / (7 + 3)
    assert p1["primary_scoring_zone"] == "paint"
    assert p1["team_abbr"] == "DEN"


def test_composite_factors(built):
    rows = {r["player_lookup"]: r for r in rows_of(built, "nba_precompute.player_composite_factors", "game_date")}
    assert set(rows) == {"p1", "p2"}  # the context rows
    p1, p2 = rows["p1"], rows["p2"]
    # 100 + 5 (rest >= 3) - 10 (4 games in 7 d) - 10 (250 min) - 8 (36 MPG) - 5 (one back-to-back) = 72
    assert p1["fatigue_score"] == 72
    # Paint player (rate 50 -> weight 1) against LAL's paint defense at -5.0 (not beyond 5: no boost).
    assert p1["shot_zone_mismatch_score"] == pytest.approx(-5.0)
    # Team pace last 10: DEN (100 + 104) / 2 = 102, LAL (96 + 98) / 2 = 97 -> (102 - 97) / 2
    assert p1["pace_score"] == pytest.approx(2.5)
    # Season usage (20 + 30 + 28) / 3 = 26 vs last 7 days (11-03 only) 28 -> (26 - 28) * 0.3
    assert p1["usage_spike_score"] == pytest.approx(-0.6)
    assert p1["total_composite_adjustment"] == pytest.approx(-4.5)   # (72 - 100)/20 - 5 + 2.5 - 0.6
    # p2: no history at all -> production defaults: no fatigue penalty, neutral factors.
    assert (p2["fatigue_score"], p2["shot_zone_mismatch_score"], p2["usage_spike_score"]) == (100, 0.0, 0.0)
    assert p2["pace_score"] == pytest.approx(-2.5)


def test_daily_cache_aggregates_strictly_before_the_date(built):
    rows = {r["player_lookup"]: r for r in rows_of(built, "nba_precompute.player_daily_cache", "cache_date")}
    assert set(rows) == {"p1"}  # p2 has fewer than 3 played games: no row, like production
    p1 = rows["p1"]
    assert p1["games_played_season"] == 3
    assert (p1["points_avg_last_5"], p1["points_avg_last_10"], p1["points_avg_season"]) == (25.0, 25.0, 25.0)
    assert p1["points_std_last_10"] == pytest.approx(5.0)   # sample std of 20, 30, 25
    assert p1["minutes_avg_last_10"] == pytest.approx(32.0)
    assert p1["usage_rate_last_10"] == pytest.approx(26.0)
    assert (p1["team_pace_last_10"], p1["team_off_rating_last_10"]) == (102.0, 112.0)
    assert p1["team_abbr"] == "DEN"


def test_feature_store_vector(built):
    catalog = repo_catalog()
    names = list(catalog.table("ml_feature_store_v2").features)
    rows = {r["player_lookup"]: r for r in rows_of(built, "nba_predictions.ml_feature_store_v2", "game_date")}
    assert set(rows) == {"p1", "p2", "p3"}  # everyone who played
    for row in rows.values():
        assert list(row["feature_names"]) == names
        assert len(row["features"]) == row["feature_count"] == 21
        assert None not in row["features"]
        assert row["feature_version"] == "v4_21features"
    p1 = dict(zip(names, rows["p1"]["features"], strict=True))
    assert p1 == pytest.approx({
        "points_avg_last_5": 25.0, "points_avg_last_10": 25.0, "points_avg_season": 25.0, "points_std_last_10": 5.0,
        "minutes_avg_last_10": 32.0, "fatigue_score": 72.0, "shot_zone_mismatch_score": -5.0, "pace_score": 2.5,
        "usage_spike_score": -0.6, "opponent_def_rating_last_15": 110.0, "opponent_pace_last_15": 100.0,
        "is_home": 1.0, "days_rest": 4.0, "back_to_back": 0.0, "paint_rate_last_10": 50.0,
        "mid_range_rate_last_10": 20.0, "three_pt_rate_last_10": 30.0, "assisted_rate_last_10": 70.0,
        "team_pace_last_10": 102.0, "team_off_rating_last_10": 112.0, "usage_rate_last_10": 26.0})
    assert rows["p1"]["default_feature_count"] == 0
    p3 = dict(zip(names, rows["p3"]["features"], strict=True))
    # No cache, no composite row, no context: the documented defaults.
    assert (p3["points_avg_last_5"], p3["points_std_last_10"], p3["minutes_avg_last_10"]) == (10.0, 5.0, 28.0)
    assert (p3["fatigue_score"], p3["days_rest"], p3["team_pace_last_10"], p3["team_off_rating_last_10"]) == \
        (70.0, 2.0, 100.0, 112.0)
    assert p3["opponent_def_rating_last_15"] == pytest.approx(110.0)  # LAL's row exists
    assert p3["paint_rate_last_10"] == pytest.approx(50.0)  # the date's mean over players with a zone row
    p2 = dict(zip(names, rows["p2"]["features"], strict=True))
    assert (p2["opponent_def_rating_last_15"], p2["is_home"]) == (105.0, 0.0)


def test_shared_player_context_gives_factors_and_cache_the_same_players(built):
    # analysis_dates + player_context (backfill/shared) choose the rows of both tables.
    factors = {(r["player_lookup"], r["game_date"])
               for r in rows_of(built, "nba_precompute.player_composite_factors", "game_date")}
    cache = {(r["player_lookup"], r["cache_date"])
             for r in rows_of(built, "nba_precompute.player_daily_cache", "cache_date")}
    assert factors == {("p1", ANALYSIS), ("p2", ANALYSIS)}  # every context row of the date
    assert cache == {("p1", ANALYSIS)}  # of the same rows, those with played games before the date
