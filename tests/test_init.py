"""`phasegate init` on DuckDB: schemas and the processor-built tables, idempotently."""

from __future__ import annotations

import subprocess
import sys

from phasegate.runner.init import init_warehouse
from phasegate.state import SCHEMA
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.builders import ROOT, repo_catalog


def test_init_creates_datasets_only_for_raw_and_is_idempotent(tmp_path):
    catalog = repo_catalog()
    with DuckDBWarehouse(tmp_path / "w.duckdb") as wh:
        steps = init_warehouse(wh, catalog, "phase2")
        assert [s.name for s in steps if s.kind == "dataset"] == ["nba_raw"]
        assert all(s.action == "skipped" for s in steps if s.kind == "table")
        assert wh.tables("nba_raw") == []
        again = init_warehouse(wh, catalog, "phase2")
        assert [s for s in again if s.kind != "state"] == [s for s in steps if s.kind != "state"]
        assert [s.action for s in again if s.kind == "state"] == ["exists"] * len(SCHEMA)


def test_init_phase3_needs_raw_tables_names_them_and_creates_nothing(tmp_path):
    import pytest

    from phasegate.errors import UsageError

    catalog = repo_catalog()
    with DuckDBWarehouse(tmp_path / "w.duckdb") as wh, pytest.raises(
            UsageError, match="upstream table.*nba_raw.nbac_gamebook_player_stats"):
        init_warehouse(wh, catalog, "phase3")
    import duckdb

    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        schemas = {row[0] for row in con.execute("SELECT schema_name FROM information_schema.schemata").fetchall()}
    assert not schemas & {"nba_raw", "nba_analytics"}, "init left datasets without their tables"


def test_init_phase3_creates_every_table_with_its_processor_schema(tmp_path):
    from phasegate.demo.raw import generate_raw

    catalog = repo_catalog()
    raw = generate_raw(7)
    with DuckDBWarehouse(tmp_path / "w.duckdb") as wh:
        for name, data in raw.items():
            wh.load_table("nba_raw", name, data.slice(0, 0))
        first = init_warehouse(wh, catalog, "phase3")
        created = {s.name for s in first if s.action == "created" and s.kind == "table"}
        assert created == {t.ref for t in catalog.tables_of("phase3")}
        assert [(s.name, s.action) for s in first if s.kind == "state"] == [
            (f"phasegate.{name}", "created") for name in SCHEMA]
        assert {"leases", "gate_runs", "gate_cases", "backfill_runs", "chunk_attempts", "signoffs"} <= set(SCHEMA)
        for table in catalog.tables_of("phase3"):
            assert set(table.required_columns()) <= set(wh.columns(table.dataset, table.name)), table.name
        second = init_warehouse(wh, catalog, "phase3")
        assert {s.name for s in second if s.action == "exists" and s.kind == "table"} == created
        assert not [s for s in second if s.action == "created"]


def test_init_command(tmp_path):
    done = subprocess.run([sys.executable, "-m", "phasegate", "init", "--warehouse",
                           f"duckdb:///{tmp_path / 'w.duckdb'}", "--phase", "phase2"],
                          check=False, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "nba_raw" in done.stdout and "init: 0 table(s) created" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "phasegate", "init", "--warehouse",
                          f"duckdb:///{tmp_path / 'w.duckdb'}", "--phase", "phase9"],
                         check=False, cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown phase" in bad.stderr
