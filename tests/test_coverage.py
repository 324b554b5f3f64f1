"""Coverage per date and per game against the schedule, on a hand-made warehouse."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from phasegate.measure.coverage import measure_coverage
from phasegate.model.dates import fold_ranges, format_ranges
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.builders import d, load_rows, load_schedule, repo_catalog, schedule_row


def team_rows(date: str, *teams: str) -> list[dict]:
    return [{"game_date": d(date), "team_abbr": t, "game_id": "x", "processed_at": dt.datetime(2024, 1, 1)}
            for t in teams]


@pytest.fixture()
def warehouse():
    wh = DuckDBWarehouse(":memory:")
    # Opening night 2023-10-24; expected (non-bootstrap) dates: 11-07 (2 games), 11-08, 11-10, 11-12.
    load_schedule(wh, [
        schedule_row("0022300001", "2023-10-24", "LAL", "DEN"),
        schedule_row("0022300002", "2023-11-07", "LAL", "DEN"),
        schedule_row("0022300003", "2023-11-07", "BOS", "NYK"),
        schedule_row("0022300004", "2023-11-08", "MIA", "CHI"),
        schedule_row("0022300005", "2023-11-10", "MIA", "BOS"),
        schedule_row("0022300006", "2023-11-12", "PHX", "GSW"),
    ])
    yield wh
    wh.close()


def load_team_table(wh, rows):
    load_rows(wh, "nba_analytics", "team_offense_game_summary", rows, pa.schema([
        ("game_date", pa.date32()), ("team_abbr", pa.string()), ("game_id", pa.string()),
        ("processed_at", pa.timestamp("us"))]))


def test_missing_partial_and_covered_dates(warehouse):
    catalog = repo_catalog()
    load_team_table(warehouse, [
        *team_rows("2023-10-24", "LAL", "DEN"),          # bootstrap: written, not counted
        *team_rows("2023-11-07", "LAL", "DEN", "BOS"),   # NYK missing: BOS@NYK is not present
        *team_rows("2023-11-10", "MIA", "BOS"),
        *team_rows("2023-11-15", "MIA"),                 # a date without games
    ])
    cov = measure_coverage(warehouse, catalog, "team_offense_game_summary", d("2023-10-01"), d("2023-11-30"))
    assert cov.expected_dates == [d("2023-11-07"), d("2023-11-08"), d("2023-11-10"), d("2023-11-12")]
    assert cov.covered_dates == [d("2023-11-07"), d("2023-11-10")]
    assert cov.missing_dates == [d("2023-11-08"), d("2023-11-12")]
    assert cov.partial_dates == {d("2023-11-07"): ["20231107_BOS_NYK"]}
    assert (cov.present_games, cov.expected_games) == (2, 5)
    assert cov.date_ratio == 0.5
    assert cov.rows_on_bootstrap_dates == [d("2023-10-24")]
    assert cov.rows_on_non_game_dates == [d("2023-11-15")]
    assert cov.dates_to_fill == [d("2023-11-07"), d("2023-11-08"), d("2023-11-12")]
    assert warehouse.query_count == 1


def test_exceptions_leave_the_denominator(warehouse):
    catalog = repo_catalog()
    load_team_table(warehouse, [*team_rows("2023-11-07", "LAL", "DEN", "BOS"), *team_rows("2023-11-10", "MIA", "BOS")])
    cov = measure_coverage(warehouse, catalog, "team_offense_game_summary", d("2023-10-01"), d("2023-11-30"),
                           excepted_dates=[d("2023-11-08"), d("2023-11-12")], excepted_games=["20231107_BOS_NYK"])
    assert cov.missing_dates == [] and cov.partial_dates == {}
    assert cov.applied_date_exceptions == [d("2023-11-08"), d("2023-11-12")]
    assert cov.applied_game_exceptions == ["20231107_BOS_NYK"]
    assert cov.date_ratio == 1.0 and cov.game_ratio == 1.0


def test_missing_table_is_an_error_not_an_empty_result(warehouse):
    from phasegate.errors import WarehouseError

    with pytest.raises(WarehouseError, match="team_offense_game_summary"):
        measure_coverage(warehouse, repo_catalog(), "team_offense_game_summary", d("2023-10-01"), d("2023-11-30"))


def test_fold_ranges_across_days_without_games():
    universe = [d("2024-01-01"), d("2024-01-03"), d("2024-01-04"), d("2024-01-08")]
    assert fold_ranges([d("2024-01-01"), d("2024-01-03"), d("2024-01-08")], universe) == [
        (d("2024-01-01"), d("2024-01-03")), (d("2024-01-08"), d("2024-01-08"))]
    assert fold_ranges([d("2024-01-01"), d("2024-01-02"), d("2024-01-04")]) == [
        (d("2024-01-01"), d("2024-01-02")), (d("2024-01-04"), d("2024-01-04"))]
    assert format_ranges([d("2024-01-01"), d("2024-01-02"), d("2024-01-04")], limit=1) == \
        "2024-01-01..2024-01-02 (+1 more ranges)"


def test_a_table_without_team_columns_is_measured_per_date_only(warehouse):
    # player props name no team: rows per date are measured (a required input's "no rows on this
    # date"), no game is ever counted present
    load_rows(warehouse, "nba_raw", "odds_api_player_points_props", [
        {"game_date": d("2023-11-07"), "player_lookup": "x", "points_line": 20.5}], pa.schema([
            ("game_date", pa.date32()), ("player_lookup", pa.string()), ("points_line", pa.float64())]))
    cov = measure_coverage(warehouse, repo_catalog(), "odds_api_player_points_props", d("2023-11-01"),
                           d("2023-11-12"))
    assert {s.date: s.rows for s in cov.dates if s.rows} == {d("2023-11-07"): 1}
    assert cov.by_date[d("2023-11-08")].rows == 0 and cov.present_games == 0
