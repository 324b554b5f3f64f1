"""The runner: order, parallelism, retries, verification, failure isolation, refusal, run log."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from typer.testing import CliRunner

from phasegate.cli.options import parse_dates
from phasegate.errors import WarehouseError
from phasegate.runner.orchestrate import NeedsConfirmation, Options, backfill, retry_command, run_phase
from phasegate.runner.processors import ProcessorResult, run_processor
from phasegate.runner.retry import RetryPolicy, TransientError, is_transient
from phasegate.runner.runlog import read_events, recent_runs
from tests.fixtures.builders import d
from tests.fixtures.worlds import coverage_gate, delete, make_world


class Recorder:
    """Wraps the real processor: records calls, can fail or slow down some of them."""

    def __init__(self, fail=None, delay: float = 0.0):
        self.calls: list[tuple[str, object, object, float, float]] = []
        self.fail = fail or (lambda table, start, end, n: None)
        self.delay = delay
        self.lock = threading.Lock()
        self.n: dict[str, int] = {}

    def __call__(self, wh, catalog, table, start, end, *, labels=None):
        with self.lock:
            self.n[table] = self.n.get(table, 0) + 1
            n = self.n[table]
        t0 = time.monotonic()
        time.sleep(self.delay)
        self.fail(table, start, end, n)
        result = run_processor(wh, catalog, table, start, end, labels=labels)
        with self.lock:
            self.calls.append((table, start, end, t0, time.monotonic()))
        return result


def opts(world, phase="phase3", **kw):
    base = {"phase": phase, "warehouse_url": world.url, "catalog_path": world.root / "pipeline.toml",
            "start": d("2023-10-01"), "end": d("2023-12-31"), "yes": True, "workers": 3, "chunk_days": 5}
    base.update(kw)
    return Options(**base)


NO_SLEEP = RetryPolicy(retries=3, base_s=0.01, sleep=lambda s: None)


def run(world, proc=None, phase="phase3", policy=NO_SLEEP, **kw):
    lines: list[str] = []
    outcome = backfill(opts(world, phase, **kw), out=lines.append, processor=proc, gate_fn=coverage_gate,
                       policy=policy)
    return outcome, "\n".join(lines)


@pytest.fixture()
def world(tmp_path):
    w = make_world(tmp_path, fill=("team_summary",))
    delete(w, "team_summary", "game_date BETWEEN DATE '2023-11-07' AND DATE '2023-11-30'")
    return w


def test_fills_what_is_missing_in_dependency_order_and_in_parallel(world):
    proc = Recorder(delay=0.05)
    outcome, text = run(world, proc)
    assert outcome.verdict == "GO" and outcome.exit_code == 0, text
    calls = proc.calls
    summary_end = max(c[4] for c in calls if c[0] == "team_summary")
    rollup_start = min(c[3] for c in calls if c[0] == "team_rollup")
    assert summary_end <= rollup_start  # downstream starts after its upstream's chunks
    # team_other is independent of team_summary: they overlap in time
    other = [c for c in calls if c[0] == "team_other"]
    summary = [c for c in calls if c[0] == "team_summary"]
    assert min(c[3] for c in other) < max(c[4] for c in summary)
    assert all(len({x for x in c[1:3]}) >= 1 for c in calls)
    # chunks of at most 5 game dates
    for chunk in outcome.plan.tables["team_rollup"].chunks:
        assert len(chunk.dates) <= 5
    assert world.rows("team_summary") == world.rows("team_rollup") == world.rows("nbac_schedule") * 2
    # nothing left: a second run plans nothing and writes nothing
    again, text2 = run(world, Recorder())
    assert again.plan.is_empty and again.exit_code == 0
    assert "nothing to backfill" in text2


def test_transient_errors_are_retried_with_backoff(world):
    delays: list[float] = []

    def flaky(table, start, end, n):
        if table == "team_other" and n <= 2:
            raise TransientError("connection reset by peer")

    policy = RetryPolicy(retries=3, base_s=0.5, sleep=delays.append)
    outcome, text = run(world, Recorder(fail=flaky), policy=policy, tables=["team_other"], gate=False)
    assert outcome.exit_code == 0, text
    assert len(delays) == 2 and delays[1] > delays[0]  # exponential
    events = read_events(outcome.log_path)
    statuses = [e["status"] for e in events if e["event"] == "chunk" and e["table"] == "team_other"]
    assert statuses[:3] == ["retry", "retry", "ok"]


def test_a_data_error_is_narrowed_down_to_the_date_that_breaks_and_every_other_date_is_written(world):
    bad = d("2023-11-10")

    def broken(table, start, end, n):
        if table == "team_summary" and start <= bad <= end:
            raise WarehouseError("query failed on DuckDB: Conversion Error: Could not convert string 'n/a' to INT32")

    proc = Recorder(fail=broken)
    outcome, text = run(world, proc)
    assert outcome.verdict == "NO-GO" and outcome.exit_code == 1
    summary = outcome.execution.tables["team_summary"]
    # a data error is not retried: each part tried once, narrowed down to the one date
    assert summary.failed.keys() == {bad} and "Conversion Error" in summary.failed[bad]
    assert summary.done == set(summary.planned) - {bad}
    assert world.dates_with_rows("team_summary") >= summary.done
    attempts = [e for e in read_events(outcome.log_path) if e["event"] == "chunk" and e["table"] == "team_summary"]
    assert all(e["attempt"] == 1 for e in attempts)
    assert len([e for e in attempts if e["status"] == "failed"]) <= 4  # log2(5 dates) + 1 parts, not 5 dates
    # downstream skips exactly the failed date, goes on with the others; independent tables go on
    ex = outcome.execution
    assert set(ex.tables["team_rollup"].skipped) == {bad}
    assert ex.tables["team_rollup"].done == set(ex.tables["team_rollup"].planned) - {bad}
    assert ex.tables["team_other"].ok
    # counted in dates, and the retry names only the dates that could succeed
    assert "FAILED team_summary: 1 date(s) 2023-11-10" in text
    assert f"phasegate backfill phase3 --table team_summary --dates {bad}" in "\n".join(outcome.retry)
    assert "retry with:" in text
    table = recent_runs(world.root / ".phasegate")[0]["tables"]["team_summary"]
    assert table["failed"] == 1 and table["done"] == len(summary.planned) - 1


def test_a_query_that_does_not_compile_fails_fast_without_narrowing(world):
    def broken(table, start, end, n):
        if table == "team_summary":
            raise WarehouseError("query failed on DuckDB: Binder Error: Referenced column \"foo\" not found")

    proc = Recorder(fail=broken)
    outcome, text = run(world, proc)
    assert outcome.exit_code == 1
    attempts = [e for e in read_events(outcome.log_path) if e["event"] == "chunk" and e["table"] == "team_summary"]
    assert len(attempts) == 1 and attempts[0]["any_range"]  # no bisect, and the other chunks not attempted
    summary = outcome.execution.tables["team_summary"]
    assert not summary.done and len(summary.failed) == 5 and summary.skipped
    assert all("fails on any date range" in why for why in summary.skipped.values())
    # every date could succeed once the query is fixed: the retry names them all
    assert any("--table team_summary --dates 2023-11-07..2023-11-30" in r for r in outcome.retry)


def test_a_non_date_error_stops_narrowing_when_both_halves_fail_alike(world):
    def broken(table, start, end, n):
        if table == "team_other":
            raise WarehouseError(f"query failed on DuckDB: Out of Memory Error: could not allocate for {start}..{end}")

    proc = Recorder(fail=broken)
    outcome, text = run(world, proc, tables=["team_other"], chunk_days=8, gate=False)
    assert outcome.exit_code == 1
    attempts = [e for e in read_events(outcome.log_path) if e["event"] == "chunk"]
    # each chunk: itself and its two halves, then the table is abandoned after 3 failed chunks in a row
    assert len(outcome.plan.tables["team_other"].chunks) > 3 and len(attempts) == 3 * 3
    t = outcome.execution.tables["team_other"]
    assert len(t.failed) == 3 * 8 and all("fails alike: not caused by one date" in e for e in t.failed.values())
    assert t.skipped and all("3 chunks failed in a row" in why for why in t.skipped.values())


def test_a_chunk_rejected_before_commit_rebuilds_its_other_dates_on_their_own(world):
    # A writer that verifies before it commits writes nothing of a chunk that does not verify; the
    # runner then rebuilds the dates that did verify, so one bad date never costs the chunk.
    from phasegate.runner.execute import ChunkRejected

    bad = d("2023-11-15")

    def staged(wh, catalog, table, start, end, *, labels=None):
        if start <= bad <= end:
            raise ChunkRejected("verification failed before commit", {bad: "1 game(s) missing"})
        return run_processor(wh, catalog, table, start, end, labels=labels)

    outcome, text = run(world, staged, tables=["team_other"], gate=False,
                        dates=[d("2023-11-07") + dt.timedelta(days=i) for i in range(24)])
    t = outcome.execution.tables["team_other"]
    assert t.failed == {bad: "1 game(s) missing"}
    assert t.done == set(t.planned) - {bad}
    assert world.dates_with_rows("team_other") >= t.done and bad not in world.dates_with_rows("team_other")
    assert outcome.retry == [f"phasegate backfill phase3 --table team_other --dates {bad} --warehouse {world.url} "
                             "--yes"] or outcome.retry[0].startswith(f"phasegate backfill phase3 --table team_other "
                                                                     f"--dates {bad}")


def test_a_processor_that_succeeds_with_zero_rows_has_failed(world):
    def zero(wh, catalog, table, start, end, *, labels=None):
        return ProcessorResult(rows_written=0, output="nothing to do")

    outcome, text = run(world, zero, tables=["team_other"], gate=False)
    assert outcome.exit_code == 1
    assert "wrote 0 rows" in text


def test_a_processor_that_leaves_games_out_is_caught_by_verification(world):
    def lossy(wh, catalog, table, start, end, *, labels=None):
        result = run_processor(wh, catalog, table, start, end, labels=labels)
        t = catalog.table(table)
        wh.execute([f"DELETE FROM {t.ref} WHERE team_abbr = 'ATL' AND game_date BETWEEN DATE '{start}' AND DATE '{end}'"])
        return result

    outcome, text = run(world, lossy, tables=["team_other"], gate=False)
    assert outcome.exit_code == 1
    assert "game(s) missing" in text


def test_a_date_whose_raw_input_vanished_after_planning_is_unbuildable_and_not_retried(world):
    # The plan found team_box rows on 2023-11-15; by the time the chunk runs they are gone (a
    # scraper reload). Verification finds the date empty, the warehouse says why: unbuildable.
    gone = d("2023-11-15")

    def reload(wh, catalog, table, start, end, *, labels=None):
        if start <= gone <= end:
            wh.execute([f"DELETE FROM nba_raw.team_box WHERE game_date = DATE '{gone}'"])
        return run_processor(wh, catalog, table, start, end, labels=labels)

    outcome, text = run(world, reload, tables=["team_other"], gate=False)
    t = outcome.execution.tables["team_other"]
    assert t.unbuildable == {gone: "raw team_box has no rows on this date"}
    assert t.done == set(t.planned) - {gone} and not t.failed
    assert outcome.exit_code == 1 and outcome.retry == []
    assert f"UNBUILDABLE team_other: 1 date(s) {gone}: raw team_box has no rows on this date" in text


def test_transient_classification():
    assert is_transient(TransientError("x"))
    assert is_transient(WarehouseError("503 Service Unavailable"))
    assert is_transient(WarehouseError("Exceeded rate limits: too many table update operations"))
    assert not is_transient(WarehouseError("Syntax error: Unexpected keyword FROM"))
    assert not is_transient(ValueError("bug"))


def test_refuses_without_yes_and_without_a_terminal(world):
    with pytest.raises(NeedsConfirmation, match="without confirmation") as info:
        backfill(opts(world, yes=False, interactive=False), out=lambda s: None)
    assert info.value.exit_code == 2
    from phasegate.cli import app

    result = CliRunner().invoke(app, ["backfill", "phase3", "--warehouse", world.url, "--catalog",
                                      str(world.root / "pipeline.toml")])
    assert result.exit_code == 2 or "refusing" in str(result.exception)
    assert world.rows("team_rollup") == 0


def test_dry_run_prints_the_plan_and_writes_nothing(world):
    lines: list[str] = []
    outcome = backfill(opts(world, dry_run=True, yes=False), out=lines.append)
    assert outcome.exit_code == 0 and outcome.verdict == "DRY-RUN"
    assert "team_summary" in "\n".join(lines) and world.rows("team_rollup") == 0


def test_run_refuses_when_the_upstream_phase_is_no_go(world):
    lines: list[str] = []
    outcome = run_phase(opts(world, "phase4"), out=lines.append, gate_fn=coverage_gate)
    text = "\n".join(lines)
    assert outcome.exit_code == 1 and outcome.verdict == "NO-GO"
    assert world.rows("team_zone") == 0  # nothing written (the table does not even exist)
    assert "team_summary" in text and "team_rollup" in text and "2023-11-07..2023-11-30" in text
    assert "phasegate backfill phase3" in text
    # then: backfill phase3, run phase4 -> GO
    assert backfill(opts(world), out=lambda s: None, gate_fn=coverage_gate).exit_code == 0
    done = run_phase(opts(world, "phase4"), out=lambda s: None, gate_fn=coverage_gate)
    assert done.exit_code == 0 and done.gate.verdict == "GO" and done.upstream_gate.verdict == "GO"
    assert world.rows("team_zone") > 0
    runs = recent_runs(world.root / ".phasegate")
    assert [r["status"] for r in runs][:3] == ["GO", "GO", "NO-GO"]
    assert runs[0]["kind"] == "run" and runs[0]["phase"] == "phase4"


def test_run_log_and_runs_commands(world):
    outcome, _ = run(world)
    events = read_events(outcome.log_path)
    kinds = [e["event"] for e in events]
    # phase3 reads the raw phase2: its pre-flight is the plan's measurement of the raw inputs
    assert kinds[:3] == ["start", "preflight", "plan"] and kinds[-1] == "verdict" and "gate" in kinds
    summary = recent_runs(world.root / ".phasegate", phase="phase3")[0]
    assert summary["status"] == "GO" and summary["rows_written"] > 0
    assert summary["tables"]["team_summary"]["done"] == summary["tables"]["team_summary"]["planned"] > 0
    from phasegate.cli import app

    cat = str(world.root / "pipeline.toml")
    listed = CliRunner().invoke(app, ["runs", "--catalog", cat])
    assert listed.exit_code == 0 and outcome.run_id in listed.output
    shown = CliRunner().invoke(app, ["runs", "show", outcome.run_id, "--catalog", cat])
    assert shown.exit_code == 0 and "verdict: GO" in shown.output and "chunk team_summary" in shown.output


def test_dates_option_parsing_and_retry_command():
    assert parse_dates("2023-11-01,2023-11-03..2023-11-04") == [d("2023-11-01"), d("2023-11-03"), d("2023-11-04")]
    universe = [d("2023-11-01"), d("2023-11-02"), d("2023-11-04")]
    assert retry_command("phase3", "t", universe, universe) == \
        "phasegate backfill phase3 --table t --dates 2023-11-01..2023-11-04"


JOB = """
import os, sys
print("job for", sys.argv[1], sys.argv[2], "warehouse", os.environ.get("PHASEGATE_WAREHOUSE", "?"))
sys.exit(int(open(os.path.join(os.path.dirname(__file__), "exit_code")).read()))
"""


def test_command_processors_run_through_the_same_path(tmp_path):
    import sys

    world = make_world(tmp_path)

    (world.root / "job.py").write_text(JOB)
    (world.root / "exit_code").write_text("3")
    toml = world.root / "pipeline.toml"
    toml.write_text(toml.read_text().replace(
        'processor = "backfill/phase3/team_other.sql"',
        f'processor = ["{sys.executable}", "job.py", "{{start}}", "{{end}}"]'))
    # a non-zero exit is a failure (not retried), its output kept in the run log
    outcome, text = run(world, tables=["team_other"], all_dates=True, dates=[d("2023-11-21")], gate=False)
    assert outcome.exit_code == 1 and "exited with code 3" in text
    chunk = [e for e in read_events(outcome.log_path) if e["event"] == "chunk"]
    assert len(chunk) == 1 and chunk[0]["status"] == "failed" and "job for 2023-11-21" in chunk[0]["detail"]
    # exit 0 on a date whose rows are there: verified, output captured
    (world.root / "exit_code").write_text("0")
    outcome, text = run(world, tables=["team_other"], all_dates=True, dates=[d("2023-11-21")], gate=False)
    assert outcome.exit_code == 0, text
    chunk = [e for e in read_events(outcome.log_path) if e["event"] == "chunk"]
    assert chunk[0]["status"] == "ok" and "job for 2023-11-21 2023-11-21" in chunk[0]["output"]
    # exit 0 without writing anything: "no crash" is not success
    delete(world, "team_other", "game_date = DATE '2023-11-22'")
    outcome, text = run(world, tables=["team_other"], gate=False)
    assert outcome.exit_code == 1 and "FAILED team_other: 1 date(s) 2023-11-22: no rows after the processor" in text


def test_a_plan_over_the_byte_cap_is_refused_before_anything_runs(world, monkeypatch):
    # DuckDB has no byte estimates; stand in BigQuery's dry-run total and per-run cap
    import phasegate.runner.orchestrate as runner_module
    from phasegate.errors import UsageError
    from phasegate.runner.plan import Plan

    monkeypatch.setattr(Plan, "estimated_bytes", property(lambda self: 3 * 10**12))
    monkeypatch.setattr(runner_module, "run_cap", lambda wh: 50 * 10**9)
    proc = Recorder()
    with pytest.raises(UsageError, match="over the cap"):
        run(world, proc)
    assert proc.calls == [] and world.rows("team_rollup") == 0


WRITING_JOB = """
import datetime as dt, os, sys
import duckdb
# An existing backfill job: it opens the same DuckDB file itself and rewrites its range.
path = os.environ["PHASEGATE_WAREHOUSE"].removeprefix("duckdb:///")
start, end = dt.date.fromisoformat(sys.argv[1]), dt.date.fromisoformat(sys.argv[2])
con = duckdb.connect(path)
con.execute("BEGIN")
con.execute("DELETE FROM nba_analytics.team_other WHERE game_date BETWEEN ? AND ?", [start, end])
con.execute("INSERT INTO nba_analytics.team_other SELECT game_date, team_abbr, points + 1, now() "
            "FROM nba_raw.team_box WHERE game_date BETWEEN ? AND ?", [start, end])
con.execute("COMMIT")
print("wrote", start, end)
"""


def test_a_command_processor_can_write_the_duckdb_file_the_runner_holds(tmp_path):
    # DuckDB allows one writing process per file: the runner hands the file over while an
    # external job runs, other tables' work waits, and verification sees the job's rows.
    import sys

    world = make_world(tmp_path)
    (world.root / "job.py").write_text(WRITING_JOB)
    toml = world.root / "pipeline.toml"
    toml.write_text(toml.read_text().replace(
        'processor = "backfill/phase3/team_other.sql"',
        f'processor = ["{sys.executable}", "job.py", "{{start}}", "{{end}}"]'))
    delete(world, "team_other", "game_date BETWEEN DATE '2023-11-07' AND DATE '2023-11-30'")
    delete(world, "team_summary", "game_date BETWEEN DATE '2023-11-07' AND DATE '2023-11-30'")
    outcome, text = run(world, Recorder(), gate=False, workers=3)
    assert outcome.exit_code == 0, text
    assert world.rows("team_other") == world.rows("nbac_schedule") * 2
    assert world.rows("team_summary") == world.rows("nbac_schedule") * 2
    chunks = [e for e in read_events(outcome.log_path) if e["event"] == "chunk" and e["table"] == "team_other"]
    assert chunks and all(c["status"] == "ok" and "wrote 2023-11" in c["output"] for c in chunks)


def test_a_count_in_a_data_error_is_not_an_http_status():
    # "returned 503 row(s) outside the range" is a processor bug, not "503 Service Unavailable"
    assert not is_transient(WarehouseError(
        "processor for nba_analytics.t returned 503 row(s) outside 2023-11-01..2023-11-05; nothing written"))
    assert not is_transient(WarehouseError("query failed on DuckDB: Conversion Error: 429 is out of range"))
    assert is_transient(WarehouseError("502 Bad Gateway"))
    assert is_transient(WarehouseError("429 Too Many Requests"))


def test_an_interrupt_during_a_retry_backoff_starts_no_new_attempt(world, monkeypatch):
    # Ctrl-C / SIGTERM promise "starting no new ones": a chunk waiting to retry must not retry.
    # The interrupt reaches the main thread (as Python delivers signals) while a worker is in
    # its backoff; the main thread must notice it then, not when the table has finished.
    import phasegate.runner.dag as runner_module
    from phasegate.runner.progress import NullProgress

    in_backoff = threading.Event()
    interrupted = threading.Event()
    real_wait = runner_module.wait

    def wait(fs, timeout=None, return_when="ALL_COMPLETED"):
        if in_backoff.is_set() and not interrupted.is_set():
            raise KeyboardInterrupt  # the operator presses Ctrl-C
        return real_wait(fs, timeout=timeout, return_when=return_when)

    class Notes(NullProgress):
        def note(self, message):
            if message.startswith("interrupted"):
                interrupted.set()

    def backoff(seconds):
        in_backoff.set()
        assert interrupted.wait(10)  # the main thread has handled it

    def flaky(table, start, end, n):
        raise TransientError("connection reset by peer")

    monkeypatch.setattr(runner_module, "wait", wait)
    proc = Recorder(fail=flaky)
    policy = RetryPolicy(retries=3, base_s=0.01, sleep=backoff)
    lines: list[str] = []
    outcome = backfill(opts(world, tables=["team_other"], workers=1, chunk_days=100, gate=False,
                            command="phasegate backfill phase3 --table team_other --yes"), out=lines.append,
                       processor=proc, policy=policy, progress=Notes())
    assert proc.n == {"team_other": 1}
    # INTERRUPTED is its own outcome: exit 130, what was written, how to resume; not ERROR, not FAILED
    assert outcome.verdict == "INTERRUPTED" and outcome.exit_code == 130
    text = "\n".join(lines)
    assert "0 table-date(s) written and verified" in text
    assert "resume with the same command (it re-plans from the warehouse): phasegate backfill phase3 " \
           "--table team_other --yes" in text
    assert "FAILED" not in text and "retry with" not in text
    t = outcome.execution.tables["team_other"]
    assert not t.failed and set(t.skipped) == set(t.planned)
    events = read_events(outcome.log_path)
    assert [e["status"] for e in events if e["event"] == "chunk"][-1] == "interrupted"
    assert events[-1]["event"] == "verdict" and events[-1]["exit_code"] == 130
    assert recent_runs(world.root / ".phasegate")[0]["status"] == "INTERRUPTED"
    from phasegate.cli import app

    listed = CliRunner().invoke(app, ["runs", "--catalog", str(world.root / "pipeline.toml")])
    assert listed.exit_code == 0 and "INTERRUPTED" in listed.output


def test_a_run_holds_its_upstream_tables_so_no_backfill_rewrites_them_meanwhile(world):
    # `run phase4` checked "phase 3 is not being written" once, then read phase 3 for the whole
    # run: a `backfill phase3` started after the check rewrote phase 3 under phase 4's feet.
    from phasegate.runner.locks import LockHeld, TableLocks

    assert backfill(opts(world), out=lambda s: None, gate_fn=coverage_gate).exit_code == 0
    seen: list[str] = []

    def concurrent_backfill(table, start, end, n):
        if not seen:
            try:
                TableLocks(world.root / ".phasegate", "phase3-concurrent").acquire(["team_summary"]).release()
                seen.append("acquired")
            except LockHeld as exc:
                seen.append(str(exc))

    done = run_phase(opts(world, "phase4"), out=lambda s: None, gate_fn=coverage_gate,
                     processor=Recorder(fail=concurrent_backfill))
    assert done.exit_code == 0
    assert seen and "is locked by run phase4-" in seen[0]
    assert not list((world.root / ".phasegate" / "locks").glob("*.lock"))  # all released after the run


class Staged(Recorder):
    """A processor in two steps, like BigQuery's staged replace: the rows are computed (a sleep,
    side by side) and then swapped in one at a time; records how many were computing at once."""

    def __init__(self, fail=None, delay: float = 0.05):
        super().__init__(fail=fail, delay=0.0)
        self.stage_delay = delay
        self.swap = threading.Lock()
        self.computing = 0
        self.most = 0

    def __call__(self, wh, catalog, table, start, end, *, labels=None):
        with self.lock:
            self.computing += 1
            self.most = max(self.most, self.computing)
        try:
            time.sleep(self.stage_delay)
        finally:
            with self.lock:
                self.computing -= 1
        with self.swap:
            return super().__call__(wh, catalog, table, start, end, labels=labels)


def parallel_chunks(monkeypatch, n=3):
    import phasegate.runner.orchestrate as orchestrate

    monkeypatch.setattr(orchestrate, "_chunk_workers", lambda wh, catalog, plan: {t: n for t in plan.tables})


def test_chunks_of_one_table_run_side_by_side_where_allowed_and_every_date_is_accounted_for(world, monkeypatch):
    bad = d("2023-11-10")

    def broken(table, start, end, n):
        if table == "team_summary" and start <= bad <= end:
            raise WarehouseError("query failed: Conversion Error: Could not convert string 'n/a' to INT32")

    parallel_chunks(monkeypatch, 3)
    proc = Staged(fail=broken)
    outcome, text = run(world, proc, tables=["team_summary"], gate=False, workers=1)
    summary = outcome.execution.tables["team_summary"]
    assert len(outcome.plan.tables["team_summary"].chunks) >= 4
    assert 2 <= proc.most <= 3  # several chunks of the one table computed at once, never more than allowed
    # the accounting is per date whatever ran at once: the bad date narrowed down, every other one written
    assert summary.failed.keys() == {bad}
    assert summary.done == set(summary.planned) - {bad} and not summary.skipped
    assert outcome.verdict == "NO-GO" and outcome.exit_code == 1
    dates_events = [e for e in read_events(outcome.log_path) if e["event"] == "dates" and e["table"] == "team_summary"]
    assert sum(e["count"] for e in dates_events) == len(summary.planned)
    # without the capability (DuckDB: one writer) the same table's chunks run one after the other
    delete(world, "team_summary", "game_date BETWEEN DATE '2023-11-07' AND DATE '2023-11-30'")
    monkeypatch.undo()
    serial = Staged()
    outcome, text = run(world, serial, tables=["team_summary"], gate=False, workers=1)
    assert outcome.exit_code == 0, text
    assert serial.most == 1


def test_an_interrupt_with_chunks_side_by_side_finishes_those_in_flight_and_starts_no_other(world, monkeypatch):
    import phasegate.runner.dag as dag_module

    parallel_chunks(monkeypatch, 2)
    started = threading.Event()
    real_wait = dag_module.wait
    fired = []

    def wait(fs, timeout=None, return_when="ALL_COMPLETED"):
        if not fired and started.wait(10):  # Ctrl-C while the first chunks are being computed
            fired.append(True)
            raise KeyboardInterrupt
        return real_wait(fs, timeout=timeout, return_when=return_when)

    class Starting(Staged):
        def __call__(self, *a, **k):
            started.set()
            return super().__call__(*a, **k)

    monkeypatch.setattr(dag_module, "wait", wait)
    proc = Starting(delay=0.3)
    outcome, text = run(world, proc, tables=["team_summary"], gate=False, workers=1)
    assert outcome.verdict == "INTERRUPTED" and outcome.exit_code == 130, text
    t = outcome.execution.tables["team_summary"]
    assert 1 <= len(proc.calls) <= 2  # the chunks in flight finished; no other started
    assert t.done and t.skipped and not t.failed
    assert t.done | set(t.skipped) == set(t.planned)
    done_chunks = [e for e in read_events(outcome.log_path) if e["event"] == "chunk" and e["status"] == "ok"]
    assert len(done_chunks) == len(proc.calls) and {e["table"] for e in done_chunks} == {"team_summary"}


class Billing(Recorder):
    """The real processor, plus what BigQuery would bill for it: one job with mocked job statistics."""

    def __init__(self, billed: int, **kw):
        super().__init__(**kw)
        self.billed = billed

    def __call__(self, wh, catalog, table, start, end, *, labels=None):
        from phasegate.warehouse.ledger import QUERY

        wh.ledger.record(QUERY, labels={"component": "processor", "table": table}, bytes_processed=self.billed,
                         bytes_billed=self.billed)
        return super().__call__(wh, catalog, table, start, end, labels=labels)


def test_every_chunk_and_the_run_record_their_cost_and_duckdb_says_nothing_is_billed(world):
    outcome, text = run(world, Recorder(), tables=["team_other"], gate=False)
    assert outcome.exit_code == 0, text
    events = read_events(outcome.log_path)
    chunks = [e for e in events if e["event"] == "chunk"]
    # each chunk: its processor's statements and its verification query; DuckDB bills 0, reports no bytes
    assert chunks and all(c["cost"]["jobs"] >= 2 and c["cost"]["bytes_billed"] == 0
                          and c["cost"]["bytes_processed"] is None for c in chunks)
    cost = next(e for e in events if e["event"] == "cost")
    assert cost["engine"] == "duckdb" and cost["run"]["jobs"] > sum(c["cost"]["jobs"] for c in chunks)  # + planning
    summary = recent_runs(world.root / ".phasegate")[0]
    assert summary["cost"]["chunks"] == {"jobs": sum(c["cost"]["jobs"] for c in chunks), "bytes_processed": None,
                                         "bytes_billed": 0}
    from phasegate.cli import app

    shown = CliRunner().invoke(app, ["runs", "show", outcome.run_id, "--catalog", str(world.root / "pipeline.toml")])
    assert shown.exit_code == 0, shown.output
    assert "cost     chunks nothing billed (DuckDB reads a local file; bytes processed not reported)" in shown.output
    listed = CliRunner().invoke(app, ["runs", "--catalog", str(world.root / "pipeline.toml")])
    assert listed.exit_code == 0 and "billed" in listed.output


def test_a_backfill_stops_at_its_byte_cap_mid_run_before_the_chunk_that_would_exceed_it(world, monkeypatch):
    # Mocked BigQuery: each chunk's dry run says 100 B, each is billed 500 B (the verification and
    # the processor's real scan cost more than the estimate). The plan (12 x 100 B) is within the
    # 2000 B cap, so the run starts; it must stop before the chunk for which billed so far + that
    # chunk's estimate exceed the cap, and say so, never after.
    import dataclasses

    import phasegate.runner.plan as plan_module
    from phasegate.warehouse.duckdb import DuckDBWarehouse

    def estimate(warehouse, catalog, table, chunks, per_chunk=None):
        for c in chunks:
            per_chunk[(c.start, c.end)] = 100
        return 100 * len(chunks)

    real = DuckDBWarehouse.capabilities_for
    monkeypatch.setattr(DuckDBWarehouse, "capabilities_for", classmethod(
        lambda cls, url: dataclasses.replace(real(url), bills_bytes=True, dry_run_bytes=True)))
    monkeypatch.setattr(plan_module, "_estimate", estimate)
    proc = Billing(500)
    outcome, text = run(world, proc, tables=["team_other"], gate=False, max_bytes=2000,
                        command="phasegate backfill phase3 --table team_other --max-bytes 2000 --yes")
    t = outcome.execution.tables["team_other"]
    chunks = outcome.plan.tables["team_other"].chunks
    assert len(chunks) > 5 and outcome.plan.estimated_bytes == 100 * len(chunks) <= 2000
    # 0+100, 500+100, 1000+100, 1500+100 fit; before the 5th, 2000 billed + 100 > 2000: stop
    assert len(proc.calls) == 4
    assert (outcome.verdict, outcome.exit_code) == ("CAPPED", 2)
    done = {dd for c in chunks[:4] for dd in c.dates}
    assert t.done == done and set(t.skipped) == set(t.planned) - done and not t.failed
    assert all("byte cap of 2.0 KiB (2,000 bytes)" in why and "billed so far 2.0 KiB" in why for why in t.skipped.values()), t.skipped
    assert "phase3: CAPPED: stopped before the next chunk: the run's byte cap of 2.0 KiB (2,000 bytes)" in text
    assert "go on with a higher cap (--max-bytes N)" in text and "gate phase3" not in text
    events = read_events(outcome.log_path)
    assert next(e for e in events if e["event"] == "cost")["max_bytes"] == 2000
    assert events[-1]["event"] == "verdict" and events[-1]["verdict"] == "CAPPED" and events[-1]["exit_code"] == 2
    summary = recent_runs(world.root / ".phasegate")[0]
    assert summary["status"] == "CAPPED" and summary["cost"]["chunks"]["bytes_billed"] == 4 * 500
    assert summary["tables"]["team_other"]["skipped"] == len(t.skipped)
    # a plan whose estimate is over the cap does not start at all
    again = Billing(500)
    with pytest.raises(Exception, match="over the cap"):
        run(world, again, tables=["team_other"], gate=False, max_bytes=50)
    assert again.calls == []


def test_max_bytes_is_read_with_units_and_bad_values_are_one_line_exit_2(world, capsys):
    from phasegate.cli import run as cli_run
    from phasegate.cli.options import parse_bytes
    from phasegate.errors import UsageError

    assert parse_bytes("500GB") == 500 * 10**9 and parse_bytes("1.5TiB") == int(1.5 * 2**40)
    assert parse_bytes("10000000000") == 10**10 and parse_bytes("2 gib") == 2 * 2**30
    for bad in ("", "lots", "-5", "0", "5 XB", "1e9"):
        with pytest.raises(UsageError):
            parse_bytes(bad)
    code = cli_run(["backfill", "phase3", "--max-bytes", "lots", "--yes",
                    "--catalog", str(world.root / "pipeline.toml"), "-w", world.url])
    err = capsys.readouterr().err
    assert code == 2 and "--max-bytes 'lots' is not a number of bytes" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (world.root / ".phasegate" / "runs").exists() or not list((world.root / ".phasegate" / "runs").iterdir())
