"""The DuckDB adapter: concurrency of DDL, range replacement guards, clear errors."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from phasegate.errors import WarehouseError
from phasegate.warehouse.duckdb import DuckDBWarehouse

ROWS = "SELECT d AS game_date, 1 AS v FROM UNNEST(GENERATE_DATE_ARRAY(@start_date, @end_date)) AS d"


def test_parallel_table_creation_in_a_new_dataset_does_not_conflict(tmp_path):
    # The runner creates phase-4 tables from parallel threads on first use; DuckDB's catalog
    # would report a write-write conflict without serialized DDL.
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    try:
        params = {"start_date": dt.date(2024, 1, 1), "end_date": dt.date(2024, 1, 3)}

        def create(i: int) -> bool:
            # several threads race to create each table, then each table is written by one thread
            created = wh.create_table_from_query("fresh_dataset", f"t{i % 4}", ROWS, params)
            if i < 4:
                assert wh.replace_range("fresh_dataset", f"t{i}", "game_date", params["start_date"],
                                        params["end_date"], ROWS) == 3
            return created

        with ThreadPoolExecutor(8) as pool:
            created = list(pool.map(create, range(16)))
        assert sum(created) == 4  # each table created exactly once
        assert wh.tables("fresh_dataset") == ["t0", "t1", "t2", "t3"]
        assert wh.query("SELECT COUNT(*) AS n FROM fresh_dataset.t0")[0]["n"] == 3
    finally:
        wh.close()


def test_rows_outside_the_range_are_refused_and_nothing_is_written(tmp_path):
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    try:
        start, end = dt.date(2024, 1, 1), dt.date(2024, 1, 3)
        wh.create_table_from_query("ds", "t", ROWS, {"start_date": start, "end_date": end})
        assert wh.replace_range("ds", "t", "game_date", start, end, ROWS) == 3
        leaking = "SELECT DATE_ADD(d, INTERVAL 1 DAY) AS game_date, 2 AS v " \
                  "FROM UNNEST(GENERATE_DATE_ARRAY(@start_date, @end_date)) AS d"
        with pytest.raises(WarehouseError, match="1 row\\(s\\) outside 2024-01-01..2024-01-03"):
            wh.replace_range("ds", "t", "game_date", start, end, leaking)
        assert wh.query("SELECT SUM(v) AS s, COUNT(*) AS n FROM ds.t") == [{"s": 3, "n": 3}]
    finally:
        wh.close()


def test_read_only_open_of_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(WarehouseError, match="does not exist"):
        DuckDBWarehouse(tmp_path / "nope.duckdb", read_only=True)


def test_a_failing_query_names_the_problem(tmp_path):
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    try:
        with pytest.raises(WarehouseError, match="query failed on DuckDB: .*nba_analytics"):
            wh.query("SELECT * FROM nba_analytics.player_game_summary")
    finally:
        wh.close()


def test_absolute_url_keeps_the_callers_meaning(tmp_path, monkeypatch):
    from phasegate.warehouse import absolute_url

    monkeypatch.chdir(tmp_path)
    assert absolute_url("duckdb:///w.duckdb") == f"duckdb:///{tmp_path}/w.duckdb"
    assert absolute_url("duckdb:////data/w.duckdb") == "duckdb:////data/w.duckdb"
    assert absolute_url("duckdb:///:memory:") == "duckdb:///:memory:"
    assert absolute_url("bigquery://nba-props-platform") == "bigquery://nba-props-platform"


def test_the_ledger_records_every_job_nothing_billed_bytes_unknown(tmp_path):
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    try:
        params = {"start_date": dt.date(2024, 1, 1), "end_date": dt.date(2024, 1, 3)}
        wh.create_table_from_query("ds", "t", ROWS, params)
        with wh.ledger.scope(chunk="t:2024-01-01"):
            wh.replace_range("ds", "t", "game_date", params["start_date"], params["end_date"], ROWS)
        wh.query("SELECT COUNT(*) AS n FROM ds.t", labels={"component": "coverage", "table": "t"})
        wh.columns("ds", "t")
        with pytest.raises(WarehouseError):
            wh.query("SELECT no_such_column FROM ds.t", labels={"component": "coverage", "table": "t"})
        jobs = wh.ledger.jobs()
        assert [(j.kind, j.labels.get("component")) for j in jobs if j.kind != "metadata"] == [
            ("query", "create_table"), ("query", "replace_range"), ("query", "coverage"), ("query", "coverage")]
        assert all(j.bytes_billed == 0 and j.bytes_processed is None for j in jobs)
        assert [j.labels["component"] for j in wh.ledger.jobs(chunk="t:2024-01-01")] == ["replace_range"]
        totals = wh.ledger.totals()
        assert totals["jobs"] == 4 and totals["bytes_billed"] == 0 and totals["bytes_processed"] is None
        assert "nothing billed" in wh.ledger.describe_bytes(0, billed=True)
    finally:
        wh.close()
