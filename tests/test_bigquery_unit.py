"""What the emulator cannot show: the exact job configuration sent to BigQuery.

The client's `query` is a mock; each test inspects the QueryJobConfig the adapter would send
(parameters and their types, labels, bytes cap, dry run) and how errors are classified.
"""

from __future__ import annotations

import datetime as dt
import decimal
from unittest import mock

import pytest
from google.api_core import exceptions as api
from google.cloud import bigquery
from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY, DEFAULT_RETRY

from phasegate.errors import UsageError, WarehouseError
from phasegate.warehouse import open_warehouse
from phasegate.warehouse.bigquery import (
    DEFAULT_MAXIMUM_BYTES_BILLED,
    BigQueryWarehouse,
    bigquery_schema,
    job_labels,
    query_parameter,
    replace_range_sql,
    sanitize_label,
    strip_comments,
)
from phasegate.warehouse.cost import (
    check_run_budget,
    enforce_budget,
    estimate_bytes,
    format_bytes,
)
from phasegate.warehouse.duckdb import DuckDBWarehouse


class FakeJob:
    def __init__(self, rows=(), total_bytes_processed=0, schema=(), total_bytes_billed=None):
        self._rows = [bigquery.Row(tuple(r.values()), {k: i for i, k in enumerate(r)}) for r in rows]
        self.total_bytes_processed = total_bytes_processed
        self.total_bytes_billed = total_bytes_billed
        self.schema = list(schema)

    def result(self, **_):
        return self._rows


def fake_wh(url="bigquery://proj-1", *, job=None, **kwargs):
    client = mock.MagicMock(spec=bigquery.Client)
    client.query.return_value = job or FakeJob()
    wh = BigQueryWarehouse.from_url(url, client=client, **kwargs)
    return wh, client


def sent_config(client, call=-1) -> bigquery.QueryJobConfig:
    return client.query.call_args_list[call].kwargs["job_config"]


def test_every_value_is_a_typed_parameter_never_sql():
    wh, client = fake_wh()
    wh.query("SELECT 1 FROM t WHERE d BETWEEN @start AND @end AND s IN UNNEST(@types) AND n > @n "
             "AND f < @f AND b = @b AND ts < @ts AND x = @x AND z = @dec",
             {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 2, 1), "types": ["Regular Season", "Playoffs"],
              "n": 3, "f": 0.5, "b": True, "ts": dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "x": "it's",
              "dec": decimal.Decimal("1.5"), "unused": 1})
    sql = client.query.call_args.args[0]
    assert "2024" not in sql and "it's" not in sql
    params = {p.name: p for p in sent_config(client).query_parameters}
    assert set(params) == {"start", "end", "types", "n", "f", "b", "ts", "x", "dec"}  # only what the SQL uses
    assert {n: p.type_ for n, p in params.items() if isinstance(p, bigquery.ScalarQueryParameter)} == {
        "start": "DATE", "end": "DATE", "n": "INT64", "f": "FLOAT64", "b": "BOOL", "ts": "TIMESTAMP",
        "x": "STRING", "dec": "NUMERIC"}
    assert isinstance(params["types"], bigquery.ArrayQueryParameter)
    assert params["types"].array_type == "STRING" and params["types"].values == ["Regular Season", "Playoffs"]


def test_parameter_typing_edge_cases():
    assert query_parameter("b", False).type_ == "BOOL"                     # bool before int
    assert query_parameter("t", dt.datetime(2024, 1, 1)).type_ == "TIMESTAMP"  # datetime before date
    assert query_parameter("e", []).array_type == "STRING"
    assert query_parameter("n", None).type_ == "STRING"
    assert query_parameter("i", [1, 2]).array_type == "INT64"
    with pytest.raises(UsageError):
        query_parameter("m", [1, "a"])
    with pytest.raises(UsageError):
        query_parameter("o", object())


def test_missing_parameter_and_comments():
    wh, client = fake_wh()
    with pytest.raises(WarehouseError, match="not given: end"):
        wh.query("SELECT @start, @end", {"start": 1})
    # A parameter named only in a comment or a string is not a use; comments are not sent.
    wh.query("-- uses @nothing\nSELECT '@not_a_param' AS a, @@row_count AS b /* @x */ # @y\n")
    assert sent_config(client).query_parameters == []
    assert "@nothing" not in client.query.call_args.args[0]
    assert strip_comments("SELECT '--keep' AS a -- drop\n") == "SELECT '--keep' AS a \n"


def test_labels_on_every_job_sanitized():
    wh, client = fake_wh()
    wh.set_labels(run_id="phase3-20261125T180000Z-AB12", phase="phase3", command="Gate Phase3!")
    wh.query("SELECT 1", labels={"table": "team_defense_game_summary", "Component": "coverage"})
    labels = sent_config(client).labels
    assert labels["app"] == "phasegate"
    assert labels["run_id"] == "phase3-20261125t180000z-ab12"
    assert labels["phase"] == "phase3" and labels["table"] == "team_defense_game_summary"
    assert labels["command"] == "gate_phase3_" and labels["component"] == "coverage"
    assert sanitize_label("9lives", key=True) == "k9lives"
    assert len(sanitize_label("x" * 100)) == 63
    assert job_labels({"a": None, "b": "B"}) == {"b": "b"}


def test_bytes_cap_on_by_default_and_configurable():
    wh, client = fake_wh()
    wh.query("SELECT 1")
    assert sent_config(client).maximum_bytes_billed == DEFAULT_MAXIMUM_BYTES_BILLED == 50 * 10**9
    wh, client = fake_wh("bigquery://proj-1?maximum_bytes_billed=1000&location=EU")
    wh.query("SELECT 1")
    assert sent_config(client).maximum_bytes_billed == 1000
    assert client.query.call_args.kwargs["location"] == "EU"
    wh, client = fake_wh("bigquery://proj-1?maximum_bytes_billed=0")
    wh.query("SELECT 1")
    assert sent_config(client).maximum_bytes_billed is None


def test_dry_run_bytes_config():
    wh, client = fake_wh(job=FakeJob(total_bytes_processed=123_456))
    assert wh.dry_run_bytes("SELECT * FROM t WHERE d = @d", {"d": dt.date(2024, 1, 1)}) == 123_456
    config = sent_config(client)
    assert config.dry_run is True and config.use_query_cache is False
    assert config.labels["component"] == "dry_run"
    assert wh.query_count == 0  # a dry run is not a query


def test_the_ledger_records_each_jobs_bytes_processed_and_billed():
    from google.api_core.exceptions import BadRequest

    wh, client = fake_wh(job=FakeJob(total_bytes_processed=12_345, total_bytes_billed=10_485_760))
    with wh.ledger.scope(chunk="c1"):
        wh.query("SELECT 1", labels={"component": "coverage", "table": "t"})
    wh.dry_run_bytes("SELECT 1")  # an estimate, not a job
    client.query.side_effect = BadRequest("Syntax error")
    with pytest.raises(WarehouseError):
        wh.query("SELECT nope", labels={"component": "gate", "table": "t"})
    jobs = wh.ledger.jobs()
    assert [(j.labels["component"], j.bytes_processed, j.bytes_billed) for j in jobs] == [
        ("coverage", 12_345, 10_485_760), ("gate", None, 0)]  # BigQuery bills no failed query
    assert jobs[0].tags == {"chunk": "c1"} and wh.ledger.totals(chunk="c1")["bytes_billed"] == 10_485_760
    assert wh.ledger.totals()["bytes_processed"] is None  # one unknown makes the total unknown, never 0


def test_retry_policies_transient_yes_4xx_no():
    wh, client = fake_wh()
    wh.query("SELECT 1")
    kwargs = client.query.call_args.kwargs
    assert kwargs["retry"] is DEFAULT_RETRY and kwargs["job_retry"] is DEFAULT_JOB_RETRY
    transient = [api.InternalServerError("x", errors=[{"reason": "backendError"}]),
                 api.ServiceUnavailable("x"), api.TooManyRequests("x", errors=[{"reason": "rateLimitExceeded"}]),
                 ConnectionError("reset")]
    permanent = [api.BadRequest("Syntax error", errors=[{"reason": "invalidQuery"}]),
                 api.NotFound("Not found: Table x"), api.Forbidden("Access Denied", errors=[{"reason": "accessDenied"}])]
    assert all(DEFAULT_RETRY._predicate(e) for e in transient)
    assert not any(DEFAULT_RETRY._predicate(e) for e in permanent)
    assert DEFAULT_JOB_RETRY._predicate(api.InternalServerError("x", errors=[{"reason": "backendError"}]))
    assert not DEFAULT_JOB_RETRY._predicate(api.BadRequest("x", errors=[{"reason": "invalidQuery"}]))
    wh, _ = fake_wh("bigquery://proj-1?timeout=30")
    assert wh._retry()._deadline == 30 or getattr(wh._retry(), "_timeout", None) == 30


def test_errors_become_one_line_warehouse_errors():
    wh, client = fake_wh()
    client.query.side_effect = api.BadRequest("Syntax error: Unexpected identifier\n\nLocation: US\nJob ID: x",
                                              errors=[{"reason": "invalidQuery",
                                                       "message": "Syntax error: Unexpected identifier \"SELEC\""}])
    with pytest.raises(WarehouseError) as err:
        wh.query("SELEC 1")
    assert str(err.value) == 'query failed on BigQuery: Syntax error: Unexpected identifier "SELEC" (400, invalidQuery)'
    assert err.value.exit_code == 3
    client.query.side_effect = ConnectionRefusedError(111, "Connection refused")
    with pytest.raises(WarehouseError, match="unreachable"):
        wh.query("SELECT 1")


def test_tables_and_columns_through_the_api():
    wh, client = fake_wh()
    client.list_tables.side_effect = api.NotFound("no dataset")
    client.get_table.side_effect = api.NotFound("no table")
    assert wh.tables("nba_raw") == [] and wh.columns("nba_raw", "x") == {}
    client.list_tables.side_effect = None
    client.list_tables.return_value = [mock.Mock(table_id="b"), mock.Mock(table_id="a")]
    assert wh.tables("nba_raw") == ["a", "b"]
    client.get_table.side_effect = None
    client.get_table.return_value = bigquery.Table("proj-1.d.t", schema=[
        bigquery.SchemaField("n", "INTEGER"), bigquery.SchemaField("xs", "FLOAT", mode="REPEATED"),
        bigquery.SchemaField("ok", "BOOLEAN")])
    assert wh.columns("d", "t") == {"n": "INT64", "xs": "ARRAY<FLOAT64>", "ok": "BOOL"}
    with pytest.raises(ValueError):
        wh.columns("d; DROP", "t")


def test_create_table_partitioned_and_clustered_from_dry_run_schema():
    schema = [bigquery.SchemaField("game_date", "DATE"), bigquery.SchemaField("team_abbr", "STRING"),
              bigquery.SchemaField("features", "FLOAT", mode="REPEATED")]
    wh, client = fake_wh(job=FakeJob(schema=schema))
    client.get_table.side_effect = api.NotFound("no table")
    assert wh.create_table_from_query("nba_analytics", "t", "SELECT * FROM x WHERE d = @start_date",
                                      {"start_date": dt.date(2024, 1, 1)}, partition_column="game_date",
                                      cluster_by=("team_abbr", "features", "game_date")) is True
    assert sent_config(client).dry_run is True
    table = client.create_table.call_args.args[0]
    assert table.time_partitioning.field == "game_date" and table.time_partitioning.type_ == "DAY"
    assert table.clustering_fields == ["team_abbr", "game_date"]  # a repeated column cannot cluster
    assert client.create_table.call_args.kwargs["exists_ok"] is True


def test_replace_range_stages_then_swaps_in_one_transaction_with_a_guard():
    stage_sql, swap_sql = replace_range_sql("nba_analytics.t", "game_date", ["game_id", "game_date", "pts"],
                                            "SELECT 1;\n", stage="_phasegate_staging.nba_analytics__t_ab12")
    assert stage_sql.startswith("CREATE TABLE _phasegate_staging.nba_analytics__t_ab12\nOPTIONS (expiration_timestamp")
    assert "IF(q.`game_date` BETWEEN @start_date AND @end_date, q.`game_date`, ERROR(@phasegate_guard))" in stage_sql
    assert "SELECT 1;" not in stage_sql  # the processor's own semicolon is dropped inside the subquery
    assert "nba_analytics.t" not in stage_sql.replace("nba_analytics__t", "")  # staging never touches the table
    statements = [s.strip().split("\n")[0] for s in swap_sql.split(";\n")]
    assert statements[0] == "BEGIN TRANSACTION"
    assert statements[1] == "DELETE FROM nba_analytics.t WHERE `game_date` BETWEEN @start_date AND @end_date"
    assert statements[2] == "INSERT INTO nba_analytics.t (`game_id`, `game_date`, `pts`)"
    assert statements[3] == "COMMIT TRANSACTION"
    assert statements[4].startswith("SELECT COUNT(*) AS rows_written FROM _phasegate_staging.nba_analytics__t_ab12")


def fake_table(client):
    client.get_table.return_value = bigquery.Table("proj-1.nba_analytics.t", schema=[
        bigquery.SchemaField("game_date", "DATE"), bigquery.SchemaField("x", "INT64")])


def test_replace_range_sends_stage_swap_and_drop_with_labels_and_reads_the_count():
    wh, client = fake_wh(job=FakeJob(rows=[{"rows_written": 42}]))
    fake_table(client)
    written = wh.replace_range("nba_analytics", "t", "game_date", dt.date(2024, 1, 1), dt.date(2024, 1, 5),
                               "SELECT game_date, x FROM s WHERE game_date BETWEEN @start_date AND @end_date "
                               "AND y IN UNNEST(@season_types)", {"season_types": ["Playoffs"]},
                               labels={"run_id": "r1", "phase": "phase3"})
    sent = [c.args[0] for c in client.query.call_args_list]
    assert written == 42 and len(sent) == 3
    assert sent[0].startswith("CREATE TABLE _phasegate_staging.nba_analytics__t_")
    assert sent[1].startswith("BEGIN TRANSACTION") and sent[2].startswith("DROP TABLE IF EXISTS _phasegate_staging.")
    assert client.create_dataset.call_args.args[0].dataset_id == "_phasegate_staging"
    for call, component, params in ((0, "replace_range_stage", {"season_types", "phasegate_guard"}),
                                    (1, "replace_range", set())):
        config = sent_config(client, call)
        assert {p.name for p in config.query_parameters} == {"start_date", "end_date", *params}
        assert config.labels["table"] == "t" and config.labels["run_id"] == "r1"
        assert config.labels["component"] == component
    client.query.reset_mock()
    client.query.side_effect = [api.BadRequest("x", errors=[{"reason": "invalidQuery", "message":
                                                             "phasegate-range-guard: the processor returned a row"}]),
                                FakeJob()]
    with pytest.raises(WarehouseError, match=r"outside 2024-01-01..2024-01-05 .*nothing written"):
        wh.replace_range("nba_analytics", "t", "game_date", dt.date(2024, 1, 1), dt.date(2024, 1, 5), "SELECT 1")
    sent = [c.args[0] for c in client.query.call_args_list]
    assert len(sent) == 2 and sent[1].startswith("DROP TABLE IF EXISTS")  # no swap; the stage is dropped


def test_chunks_of_one_table_stage_side_by_side_and_swap_one_at_a_time():
    import threading
    import time

    running = {"stage": 0, "swap": 0}
    most = {"stage": 0, "swap": 0}
    lock = threading.Lock()

    class SlowJob(FakeJob):
        def __init__(self, kind):
            super().__init__(rows=[{"rows_written": 1}] if kind == "swap" else ())
            self.kind = kind

        def result(self, **_):
            if self.kind:
                with lock:
                    running[self.kind] += 1
                    most[self.kind] = max(most[self.kind], running[self.kind])
                time.sleep(0.05)
                with lock:
                    running[self.kind] -= 1
            return self._rows

    def query(sql, **_):
        return SlowJob("stage" if sql.startswith("CREATE TABLE") else "swap" if "TRANSACTION" in sql else None)

    wh, client = fake_wh()
    fake_table(client)
    client.query.side_effect = query
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=7 * i) for i in range(4)]
    threads = [threading.Thread(target=wh.replace_range, args=("nba_analytics", "t", "game_date", day,
                                                               day + dt.timedelta(days=6), "SELECT 1"))
               for day in days]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most["stage"] >= 2 and most["swap"] == 1
    assert wh.capabilities.chunk_workers == 4 and DuckDBWarehouse(":memory:").capabilities.chunk_workers == 1
    assert BigQueryWarehouse.capabilities_for("bigquery://p?chunk_workers=2").chunk_workers == 2


def test_load_schema_from_arrow():
    import pyarrow as pa

    schema = bigquery_schema(pa.schema([("d", pa.date32()), ("ts", pa.timestamp("us", tz="UTC")),
                                        ("naive", pa.timestamp("us")), ("n", pa.int64()), ("f", pa.float64()),
                                        ("s", pa.string()), ("b", pa.bool_()), ("xs", pa.list_(pa.float64()))]))
    assert [(f.name, f.field_type, f.mode) for f in schema] == [
        ("d", "DATE", "NULLABLE"), ("ts", "TIMESTAMP", "NULLABLE"), ("naive", "DATETIME", "NULLABLE"),
        ("n", "INT64", "NULLABLE"), ("f", "FLOAT64", "NULLABLE"), ("s", "STRING", "NULLABLE"),
        ("b", "BOOL", "NULLABLE"), ("xs", "FLOAT64", "REPEATED")]


def test_urls():
    with pytest.raises(UsageError, match="unknown option"):
        BigQueryWarehouse.from_url("bigquery://p?maximum_bytes=1", client=object())
    with pytest.raises(UsageError, match="integer"):
        BigQueryWarehouse.from_url("bigquery://p?maximum_bytes_billed=lots", client=object())
    with pytest.raises(UsageError):
        BigQueryWarehouse.from_url("bigquery://", client=object())
    wh = BigQueryWarehouse.from_url("bigquery://nba-props-platform?location=US&max_workers=3", client=object())
    assert (wh.project, wh.location, wh.max_workers, wh.dialect) == ("nba-props-platform", "US", 3, "bigquery")
    assert wh.url == "bigquery://nba-props-platform?location=US"


def test_no_credentials_is_a_clear_warehouse_error(monkeypatch):
    import google.auth

    def no_adc(*a, **k):
        raise google.auth.exceptions.DefaultCredentialsError("Your default credentials were not found.")

    monkeypatch.setattr(google.auth, "default", no_adc)
    with pytest.raises(WarehouseError, match="application-default login"):
        open_warehouse("bigquery://nba-props-platform")


def test_cost_estimate_and_run_budget():
    wh, client = fake_wh("bigquery://proj-1?max_run_bytes=1000", job=FakeJob(total_bytes_processed=400))
    queries = [("SELECT @d", {"d": dt.date(2024, 1, 1)}), ("SELECT 2", None), ("SELECT 3", {})]
    assert estimate_bytes(wh, queries) == 1200
    assert all(c.kwargs["job_config"].dry_run for c in client.query.call_args_list)
    with pytest.raises(UsageError, match=r"1\.2 KiB \(1,200 bytes\), over the cap of 1000 B \(1,000 bytes\)"):
        enforce_budget(wh, queries)
    assert enforce_budget(wh, queries[:2]) == 800
    assert enforce_budget(wh, queries, cap=5000) == 1200
    check_run_budget(None, 10)  # engines without a notion of cost are always within budget
    duck = DuckDBWarehouse(":memory:")
    assert estimate_bytes(duck, [("SELECT 1", None)]) is None and enforce_budget(duck, [("SELECT 1", None)]) is None
    assert format_bytes(50 * 2**30) == "50.0 GiB" and format_bytes(None) == "n/a"
    assert estimate_bytes(wh, []) == 0


def test_bounded_parallelism_for_the_runner():
    wh, _ = fake_wh()
    assert 1 <= wh.max_workers <= 4


def test_gate_dry_run_estimates_every_query_and_a_gate_over_the_cap_is_refused(monkeypatch, tmp_path):
    # The gate's SQL (coverage, checks and compiled expectations: 3 statements per phase-3 table)
    # is dry-run before pytest starts; over the per-run cap the gate is refused (exit 2) and no
    # job is billed, no report written.
    from types import SimpleNamespace

    import phasegate.warehouse as warehouse_module
    from phasegate.expectations.suites import discover
    from phasegate.gate.run import estimate_gate, run_gate
    from phasegate.model.catalog import load_catalog
    from tests.fixtures.builders import ROOT

    catalog = load_catalog(ROOT / "pipeline.toml")
    suite_columns = {s.table: {c for r in s.rules for c in r.columns} for s in discover(catalog, "phase3")}
    opened = []

    def schema(ref, **_):
        table = catalog.table(ref.split(".")[-1])
        names = sorted({table.date_column, *suite_columns[table.name]})
        return SimpleNamespace(schema=[bigquery.SchemaField(n, "DATE" if n == table.date_column else "STRING")
                                       for n in names])

    # what the processors make, as their dry runs say (the audit compares only those columns)
    made = [bigquery.SchemaField(n, "STRING") for n in
            sorted({c for cols in suite_columns.values() for c in cols} | {t.date_column for t in catalog.tables_of("phase3")})]

    def fake_open(url=None, **_):
        wh, client = fake_wh("bigquery://proj-1?max_run_bytes=1000000",
                             job=FakeJob(total_bytes_processed=400_000, schema=made))
        client.get_table.side_effect = schema
        opened.append(client)
        return wh

    monkeypatch.setattr(warehouse_module, "open_warehouse", fake_open)
    window = {"start": "2021-10-19", "end": "2026-01-03"}  # given: a live end would ask the mock's schedule
    estimate = estimate_gate("phase3", warehouse_url="bigquery://proj-1", catalog_path=ROOT / "pipeline.toml", **window)
    # coverage of each of the 5 tables, and ONE statement for the phase (BigQuery bills bytes: each upstream
    # table read once) holding every table's checks + audit (re-run of the processor) + suite
    assert estimate.queries == 6 and estimate.estimated_bytes == 6 * 400_000
    assert [what for what, _, _ in estimate.statements.queries].count("phase3") == 1
    phase_sql = next(sql for what, sql, _ in estimate.statements.queries if what == "phase3")
    assert phase_sql.count("FULL OUTER JOIN stored") == 5 and phase_sql.count("measured AS") == 5  # audits, suites
    assert sorted(estimate.statements.tables) == sorted(t.name for t in catalog.tables_of("phase3"))
    configs = [c.kwargs["job_config"] for c in opened[0].query.call_args_list]
    # every job a dry run: the 6 estimates, and the 5 processors' result columns
    assert all(c.dry_run for c in configs)
    assert sorted(c.labels["component"] for c in configs) == ["dry_run"] * 6 + ["schema"] * 5
    with pytest.raises(UsageError, match=r"the phase3 gate would scan 2\.3 MiB \(2,400,000 bytes\), over the cap"):
        run_gate("phase3", warehouse_url="bigquery://proj-1", catalog_path=ROOT / "pipeline.toml",
                 reports_dir=tmp_path, **window)
    assert not any(tmp_path.iterdir())  # refused before a run folder was made
    assert all(c.kwargs["job_config"].dry_run for client in opened for c in client.query.call_args_list)


def test_a_chunks_cost_is_the_job_statistics_of_its_jobs_and_a_command_processors_is_unknown():
    from types import SimpleNamespace

    from phasegate.runner.cost import add_costs, describe, metered, run_cost

    wh, client = fake_wh(job=FakeJob(rows=[{"rows_written": 3}], total_bytes_processed=1000,
                                     total_bytes_billed=10 * 2**20))
    fake_table(client)
    sql_table = SimpleNamespace(name="t", is_command_processor=False)
    record: dict = {}
    with metered(wh, sql_table, record):
        wh.replace_range("nba_analytics", "t", "game_date", dt.date(2024, 1, 1), dt.date(2024, 1, 5), "SELECT 1")
    wh.query("SELECT 1")  # outside the chunk: not its cost
    # stage, swap and drop: three jobs, BigQuery's own statistics summed
    assert record["cost"] == {"jobs": 3, "bytes_processed": 3000, "bytes_billed": 30 * 2**20}
    assert describe(record["cost"]) == "billed 30.0 MiB (processed 2.9 KiB), 3 jobs"
    command_table = SimpleNamespace(name="t", is_command_processor=True)
    with metered(wh, command_table, record):
        pass
    assert record["cost"]["bytes_billed"] is None and "not known" in record["cost"]["note"]
    assert add_costs([{"jobs": 3, "bytes_processed": 3000, "bytes_billed": 5}, record["cost"]]) == {
        "jobs": 3, "bytes_processed": None, "bytes_billed": None}  # an unknown is never counted as 0
    # a failed job is billed nothing, and is still counted
    client.query.side_effect = api.BadRequest("boom")
    with metered(wh, sql_table, record), pytest.raises(WarehouseError):
        wh.query("SELECT 1")
    assert record["cost"]["jobs"] == 1 and record["cost"]["bytes_billed"] == 0
    run = run_cost(wh)
    assert run["engine"] == "bigquery" and run["bills_bytes"] is True and run["by_table"]["t"]["jobs"] >= 4


def test_query_columns_are_read_from_a_dry_run_and_none_is_an_error():
    """The audit compares only the columns a processor makes (a column added to the table later is not
    the processor's): on BigQuery they come from the query's dry-run schema, never from running it."""
    schema = [bigquery.SchemaField("game_date", "DATE"), bigquery.SchemaField("points", "INTEGER")]
    wh, client = fake_wh(job=FakeJob(schema=schema))
    assert wh.query_columns("SELECT game_date, points FROM x WHERE d = @d", {"d": dt.date(2024, 1, 1)}) == \
        ["game_date", "points"]
    assert sent_config(client).dry_run is True and len(client.query.call_args_list) == 1
    # no schema from the dry run and none from the LIMIT 0 probe: an error, never "compare no column"
    class NoColumns(FakeJob):
        def result(self, **_):
            return type("Rows", (list,), {"schema": []})()

    empty, _ = fake_wh(job=NoColumns())
    with pytest.raises(WarehouseError, match="returned none"):
        empty.query_columns("SELECT 1 AS x")
