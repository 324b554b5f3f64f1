"""The schedule calendar: dedupe, postponements, season types, bootstrap edge, windows."""

from __future__ import annotations

import pytest

from phasegate.measure.calendar import load_calendar
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.builders import d, load_schedule, repo_catalog, schedule_row


@pytest.fixture()
def warehouse():
    wh = DuckDBWarehouse(":memory:")
    yield wh
    wh.close()


@pytest.fixture(scope="module")
def catalog():
    return repo_catalog()


def opener_and_days(day_offsets: list[int]) -> list[dict]:
    """A 2023-24 season opening 2023-10-24 with one final game on each listed day offset."""
    import datetime as dt

    rows = []
    for i, offset in enumerate(day_offsets):
        date = (d("2023-10-24") + dt.timedelta(days=offset)).isoformat()
        rows.append(schedule_row(f"00223{i:05d}", date, "LAL", "DEN"))
    return rows


def test_bootstrap_edge_day_13_is_bootstrap_day_14_is_not(warehouse, catalog):
    load_schedule(warehouse, opener_and_days([0, 13, 14, 20]))
    cal = load_calendar(warehouse, catalog, d("2023-10-01"), d("2023-12-31"))
    assert cal.bootstrap_dates == [d("2023-10-24"), d("2023-11-06")]
    assert cal.expected_dates == [d("2023-11-07"), d("2023-11-13")]


def test_duplicate_rows_count_once_and_latest_status_wins(warehouse, catalog):
    rows = opener_and_days([0, 20])
    # The same game scraped while scheduled, then live, then final: one game.
    rows.append(schedule_row("0022300001", "2023-11-13", "LAL", "DEN", status=1, score=None,
                             processed_at="2023-11-10T08:00:00"))
    rows.append(schedule_row("0022300001", "2023-11-13", "LAL", "DEN", status=2, score=(50, 40),
                             processed_at="2023-11-13T23:00:00"))
    # A game that is still only scheduled does not count.
    rows.append(schedule_row("0022300077", "2023-11-20", "BOS", "MIA", status=1, score=None))
    load_schedule(warehouse, rows)
    cal = load_calendar(warehouse, catalog, d("2023-10-24"), d("2023-12-31"))
    assert [(g.date, g.games) for g in cal.dates] == [(d("2023-10-24"), 1), (d("2023-11-13"), 1)]


def test_postponed_game_counts_only_on_the_date_it_was_played(warehouse, catalog):
    rows = opener_and_days([0])
    rows.append(schedule_row("0022300500", "2023-12-01", "GSW", "MIN", status=3, score=None))  # postponed
    rows.append(schedule_row("0022300500", "2023-12-02", "GSW", "MIN", status=3, score=(101, 99)))
    load_schedule(warehouse, rows)
    cal = load_calendar(warehouse, catalog, d("2023-10-24"), d("2023-12-31"))
    assert cal.game_dates == [d("2023-10-24"), d("2023-12-02")]


def test_only_catalogued_season_types_count(warehouse, catalog):
    rows = opener_and_days([0])
    rows.append(schedule_row("0012300001", "2023-10-10", "LAL", "PHX", season_type="Preseason"))
    rows.append(schedule_row("0032300001", "2024-02-18", "EST", "WST", season_type="All-Star"))
    rows.append(schedule_row("0052300001", "2024-04-16", "LAL", "NOP", season_type="Play-In"))
    rows.append(schedule_row("0042300101", "2024-04-20", "LAL", "DEN", season_type="Playoffs"))
    rows.append(schedule_row("0062300001", "2023-12-09", "MIL", "IND", season_type="NBA Cup Final"))
    load_schedule(warehouse, rows)
    cal = load_calendar(warehouse, catalog, d("2023-10-01"), d("2024-06-30"))
    assert cal.game_dates == [d("2023-10-24"), d("2023-12-09"), d("2024-04-16"), d("2024-04-20")]


def test_window_starting_mid_season_still_finds_opening_night(warehouse, catalog):
    load_schedule(warehouse, opener_and_days([0, 5, 13, 14, 40]))
    cal = load_calendar(warehouse, catalog, d("2023-11-05"), d("2023-12-31"))
    # Opening night (2023-10-24) is outside the window but still defines the bootstrap.
    assert cal.bootstrap_dates == [d("2023-11-06")]
    assert cal.expected_dates == [d("2023-11-07"), d("2023-12-03")]


def test_summary_counts_per_season(warehouse, catalog):
    rows = opener_and_days([0, 1, 20])
    rows.append(schedule_row("0022400001", "2024-10-22", "BOS", "NYK", season_year=2024))
    rows.append(schedule_row("0022400002", "2024-11-30", "BOS", "NYK", season_year=2024))
    load_schedule(warehouse, rows)
    summary = load_calendar(warehouse, catalog, d("2023-10-01"), d("2024-12-31")).summary()
    assert [(s["season"], s["game_dates"], s["bootstrap_dates"], s["expected_dates"]) for s in summary["seasons"]] == [
        ("2023-24", 3, 2, 1), ("2024-25", 2, 1, 1)]
    assert summary["total"] == {"game_dates": 5, "bootstrap_dates": 3, "expected_dates": 2, "games": 5}
