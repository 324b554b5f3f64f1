"""A safe demo: it writes only to a warehouse on this machine holding demo data or nothing, and says where first."""

from __future__ import annotations

import pytest

from phasegate.cli import run
from phasegate.demo.guard import MARKER_DATASET, MARKER_TABLE, check_contents, write_marker
from phasegate.warehouse import capabilities_of
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.builders import load_schedule, repo_catalog, schedule_row


@pytest.mark.parametrize(("url", "here"), [
    ("duckdb:///demo.duckdb", True),
    ("bigquery://p?api_endpoint=http://127.0.0.1:9050", True),
    ("bigquery://p?api_endpoint=http://localhost:9050", True),
    ("bigquery://p?api_endpoint=http://[::1]:9050", True),
    ("bigquery://nba-props-platform", False),
    ("bigquery://nba-props-platform?location=US", False),
    ("bigquery://p?api_endpoint=https://bigquery.googleapis.com", False),
    ("bigquery://p?api_endpoint=http://127.0.0.1.example.com:9050", False),
    ("bigquery://p?api_endpoint=http://10.0.0.5:9050", False),
])
def test_only_a_duckdb_file_or_the_local_emulator_is_on_this_machine(url, here):
    assert capabilities_of(url).on_this_machine is here


@pytest.mark.parametrize("via_env", [False, True])
def test_demo_refuses_a_production_bigquery_url_before_opening_it(capsys, monkeypatch, via_env):
    url = "bigquery://nba-props-platform?location=US"
    if via_env:
        monkeypatch.setenv("PHASEGATE_WAREHOUSE", url)  # what the README tells production users to set
    code = run(["demo", "--scenario", "raw"] + ([] if via_env else ["--warehouse", url]))
    captured = capsys.readouterr()
    assert code == 2 and captured.out == "" and captured.err.count("\n") == 1
    assert "not on this machine" in captured.err and "--force" in captured.err


def someones_warehouse(path):
    wh = DuckDBWarehouse(path)
    load_schedule(wh, [schedule_row("0022300001", "2023-10-24", "ATL", "BOS")])
    wh.close()


def test_demo_refuses_a_warehouse_with_non_demo_data_and_changes_nothing(tmp_path, capsys):
    path = tmp_path / "prod-copy.duckdb"
    someones_warehouse(path)
    before = path.read_bytes()
    code = run(["demo", "--scenario", "raw", "--warehouse", f"duckdb:///{path}"])
    captured = capsys.readouterr()
    assert code == 2 and captured.err.count("\n") == 1, captured.err
    assert "nba_raw.nbac_schedule" in captured.err and "no demo marker" in captured.err
    assert "writing" not in captured.out
    with DuckDBWarehouse(path, read_only=True) as wh:
        assert wh.tables(MARKER_DATASET) == []
        assert wh.query("SELECT COUNT(*) AS n FROM nba_raw.nbac_schedule")[0]["n"] == 1
    assert path.read_bytes() == before


def test_a_marked_warehouse_is_the_demos_and_force_overrides(tmp_path):
    catalog = repo_catalog()
    path = tmp_path / "w.duckdb"
    someones_warehouse(path)
    with DuckDBWarehouse(path) as wh:
        from phasegate.demo.guard import NotADemoWarehouse

        with pytest.raises(NotADemoWarehouse):
            check_contents(wh, catalog)
        assert check_contents(wh, catalog, force=True).catalogued == ("nba_raw.nbac_schedule",)
        write_marker(wh, "incident", 7)
        target = check_contents(wh, catalog)
        assert target.marked and MARKER_TABLE in wh.tables(MARKER_DATASET)


def test_demo_says_where_it_writes_before_writing_and_marks_the_warehouse(tmp_path, capsys):
    path = tmp_path / "fresh.duckdb"
    code = run(["demo", "--scenario", "raw", "--warehouse", f"duckdb:///{path}"])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("demo: writing scenario 'raw' to duckdb:///"))
    assert str(path) in lines[first] and all("rows" not in line for line in lines[:first])  # said before writing
    with DuckDBWarehouse(path, read_only=True) as wh:
        marker = wh.query(f"SELECT scenario, seed FROM {MARKER_DATASET}.{MARKER_TABLE}")
    assert marker == [{"scenario": "raw", "seed": 7}]
    # the demo's own warehouse is rewritten without --force
    assert run(["demo", "--scenario", "raw", "--warehouse", f"duckdb:///{path}"]) == 0
