"""Demo scenarios: the incident's exact phase-3 coverage, and a complete clean build."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from phasegate.demo.raw import DEMO_END  # the demo schedule ends there
from phasegate.demo.scenarios import (
    build_scenario,
    incident_missing_dates,
    load_raw,
    rebuild_phase,
)
from phasegate.measure.calendar import Calendar, GameDate
from phasegate.measure.coverage import measure_coverage
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.builders import repo_catalog

# The handoff of 2026-01-05: covered / expected non-bootstrap game dates per phase-3 table.
HANDOFF_COVERAGE = {
    "player_game_summary": 848,
    "team_offense_game_summary": 848,
    "team_defense_game_summary": 776,
    "upcoming_player_game_context": 446,
    "upcoming_team_game_context": 496,
}


def measure(wh, catalog, table):
    s = catalog.settings
    return measure_coverage(wh, catalog, table, s.default_start_date, DEMO_END)


@pytest.fixture(scope="module")
def incident(tmp_path_factory):
    wh = DuckDBWarehouse(tmp_path_factory.mktemp("incident") / "w.duckdb")
    build_scenario(wh, repo_catalog(), "incident")
    yield wh
    wh.close()


@pytest.mark.parametrize("table, covered", HANDOFF_COVERAGE.items())
def test_incident_phase3_coverage_is_the_handoffs(incident, table, covered):
    coverage = measure(incident, repo_catalog(), table)
    assert len(coverage.expected_dates) == 848
    assert len(coverage.covered_dates) == covered
    assert not coverage.partial_dates  # a date is either fully there or missing, like a failed job


def test_incident_phase4_is_empty(incident):
    catalog = repo_catalog()
    for table in catalog.tables_of("phase4"):
        assert not incident.columns(table.dataset, table.name), table.name


def test_incident_gaps_are_runs_and_whole_seasons(incident):
    catalog = repo_catalog()
    upgc = measure(incident, catalog, "upcoming_player_game_context")
    first_two = {d for d in upgc.expected_dates if d < dt.date(2023, 7, 1)}
    assert first_two <= set(upgc.missing_dates)  # 2021-22 and 2022-23 entirely
    tdgs = measure(incident, catalog, "team_defense_game_summary")
    positions = [tdgs.expected_dates.index(d) for d in tdgs.missing_dates]
    breaks = sum(1 for a, b in itertools.pairwise(positions) if b != a + 1)
    assert breaks == 1  # two runs of consecutive game dates, not a sprinkle


def test_gap_rules_on_a_small_calendar():
    # Two seasons of 20 game dates, the first 3 of each bootstrap.
    dates = []
    for season, first in ((2021, dt.date(2021, 10, 19)), (2022, dt.date(2022, 10, 18))):
        dates += [GameDate(first + dt.timedelta(days=i), season, i < 3, 5) for i in range(20)]
    calendar = Calendar(dates[0].date, dates[-1].date, tuple(dates))
    missing = incident_missing_dates(calendar)
    # Whole first season (bootstrap included) for both context tables.
    season_one = {g.date for g in dates if g.season_year == 2021}
    assert season_one <= set(missing["upcoming_player_game_context"])
    assert season_one <= set(missing["upcoming_team_game_context"])
    # Season index 1 exists but is too short for the run starting at its 51st counted date: clamped away.
    assert missing["team_defense_game_summary"] == []


def test_clean_rebuild_completes_phases_3_and_4(tmp_path):
    """What `clean` does (rebuild_phase for phase 3 then phase 4), on two months of 2023-24."""
    catalog = repo_catalog()
    start, end = dt.date(2023, 10, 24), dt.date(2023, 12, 31)
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    try:
        load_raw(wh, catalog)
        for phase in ("phase3", "phase4"):
            rebuild_phase(wh, catalog, phase, start, end)
        for phase in ("phase3", "phase4"):
            for table in catalog.tables_of(phase):
                coverage = measure_coverage(wh, catalog, table.name, start, end)
                assert coverage.covered_dates == coverage.expected_dates, table.name
                assert coverage.present_games == coverage.expected_games, table.name
                if table.skips_bootstrap:
                    assert not coverage.rows_on_bootstrap_dates, table.name
                else:
                    assert len(coverage.rows_on_bootstrap_dates) == 14, table.name
        per_date = wh.query("SELECT analysis_date, COUNT(*) AS n FROM nba_precompute.team_defense_zone_analysis "
                            "GROUP BY analysis_date")
        assert {r["n"] for r in per_date} == {30}

        # Rebuilding is deterministic to the last bit: the same rows again, whatever order a
        # parallel engine adds floats in (averages of rounded rates are summed as integers).
        def snapshot(table):
            cols = ", ".join(c for c in wh.columns(table.dataset, table.name) if c != table.processed_at_column)
            return wh.query(f"SELECT {cols} FROM {table.ref} ORDER BY {', '.join(table.key)}")

        phase4 = catalog.tables_of("phase4")
        before = {t.name: snapshot(t) for t in phase4}
        rebuild_phase(wh, catalog, "phase4", start, end)
        for t in phase4:
            assert snapshot(t) == before[t.name], t.name
    finally:
        wh.close()
