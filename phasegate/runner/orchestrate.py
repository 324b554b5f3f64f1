"""Doing the plan: processors in dependency order, in parallel, resumable, then the gate.

* Tables run in the catalog's dependency order on a bounded thread pool: a table starts when
  its upstream tables in the plan have finished their chunks; independent tables run side by
  side. A table's own chunks run one after the other (BigQuery serializes DML on one table;
  DuckDB would conflict), so parallelism is across tables.
* Each chunk is one `run_processor` call: an atomic replace of its date range. Transient
  errors (TransientError, or a WarehouseError/ProcessorFailed whose message says timeout,
  connection, rate limit, unavailable, conflict...) are retried with exponential backoff;
  SQL and data errors are not.
* After each chunk one coverage query checks that every expected game of its dates is now
  present; a processor that "succeeds" with 0 rows, or leaves a date or a game out, failed.
* A failed chunk does not stop the other tables: a downstream table skips only the dates
  whose upstream failed. The run ends NO-GO listing what failed and the command to retry.
* Crash safety: the data is the checkpoint. Chunks are atomic, so a run killed at any moment
  leaves each chunk either old or new; re-running the same command re-plans from the
  warehouse and does exactly what is still missing. Locks keep two runs off the same table.

`backfill(...)` and `run_phase(...)` are the library behind `phasegate backfill` / `run`
(the CLI and the demo story call them); `execute_plan(...)` runs an already built plan.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import shlex
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from phasegate.cli.progress import NullProgress, Progress
from phasegate.errors import (
    EXIT_CANNOT_VALIDATE,
    EXIT_GO,
    EXIT_NO_GO,
    EXIT_USAGE,
    PhasegateError,
    UsageError,
    WarehouseError,
)
from phasegate.model.catalog import Catalog, load_catalog
from phasegate.model.dates import fold_ranges
from phasegate.runner.plan import (
    Chunk,
    Exclusions,
    Plan,
    build_plan,
    load_exclusions,
    lock_set,
    make_chunks,
    reason_text,
)
from phasegate.runner.runlog import NullRunLog, RunLog, new_run_id
from phasegate.warehouse.cost import check_run_budget, run_cap

DEFAULT_WORKERS = 4
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF_S = 2.0
MAX_BACKOFF_S = 120.0
# A table whose chunks keep failing is abandoned after this many failures in a row.
MAX_CONSECUTIVE_FAILURES = 3
OUTPUT_KEEP_CHARS = 4000
SIGNAL_POLL_S = 0.5


class TransientError(WarehouseError):
    """A failure worth retrying: the same request may well succeed in a moment."""


class Refused(PhasegateError):
    """The run did not start (no confirmation, nothing confirmed)."""

    exit_code = EXIT_USAGE


_TRANSIENT = re.compile(
    r"time[d ]?\s?out|timeout|deadline exceeded|connection (reset|refused|aborted|closed|error)|"
    r"could not connect|broken pipe|temporar(il)?y|unavailable|rate ?limit|ratelimitexceeded|too many requests|"
    r"bad gateway|backenderror|internal ?error|try again|retry|concurrent update|"
    r"write-write conflict|transaction conflict|could not serialize|resources exceeded during query execution",
    re.IGNORECASE)


def is_transient(exc: BaseException) -> bool:
    """Transient: worth retrying. SQL errors, data errors and bugs are not.

    HTTP statuses are recognised by their words (429 Too Many Requests, 502 Bad Gateway,
    503 Service Unavailable, 504 Gateway Timeout), never by a bare number: a message such as
    "returned 503 row(s) outside the range" is a data error."""
    if isinstance(exc, TransientError):
        return True
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, PhasegateError) and not isinstance(exc, UsageError):
        return bool(_TRANSIENT.search(str(exc)))
    return False


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = DEFAULT_RETRIES  # attempts after the first
    base_s: float = DEFAULT_BACKOFF_S  # delay before retry k is base * 2**(k-1), jittered
    max_s: float = MAX_BACKOFF_S
    # None: wait, ending early when the run is interrupted (no new attempt starts then)
    sleep: Callable[[float], object] | None = None

    def delay(self, attempt: int) -> float:
        raw = min(self.max_s, self.base_s * 2 ** (attempt - 1))
        return raw * random.uniform(0.8, 1.2)


@dataclass
class TableOutcome:
    table: str
    planned: list[dt.date]
    done: set[dt.date] = field(default_factory=set)
    failed: dict[dt.date, str] = field(default_factory=dict)  # date -> error (one line)
    skipped: dict[dt.date, str] = field(default_factory=dict)  # date -> why (upstream failed, abandoned)
    rows: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped

    @property
    def not_done(self) -> list[dt.date]:
        return sorted({*self.failed, *self.skipped})


@dataclass
class Execution:
    tables: dict[str, TableOutcome]
    seconds: float
    chunks_ok: int = 0
    chunks_failed: int = 0
    attempts: int = 0
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(t.ok for t in self.tables.values())

    @property
    def rows_written(self) -> int:
        return sum(t.rows for t in self.tables.values())

    @property
    def dates_done(self) -> int:
        return sum(len(t.done) for t in self.tables.values())

    def failures(self) -> dict[str, dict[str, Any]]:
        out = {}
        for name, t in self.tables.items():
            if not t.ok:
                first = next(iter(t.failed.values()), None) or next(iter(t.skipped.values()), "")
                out[name] = {"failed": len(t.failed), "skipped": len(t.skipped),
                             "dates": [d.isoformat() for d in t.not_done], "error": first}
        return out


def dates_arg(dates: Iterable[dt.date], universe: Iterable[dt.date] | None = None) -> str:
    """`--dates` value: single dates and A..B ranges (folded over the game-date calendar)."""
    runs = fold_ranges(dates, sorted(universe) if universe is not None else None)
    return ",".join(a.isoformat() if a == b else f"{a.isoformat()}..{b.isoformat()}" for a, b in runs)


def retry_command(phase: str, table: str, dates: Iterable[dt.date], universe: Iterable[dt.date] | None = None,
                  extra: str = "") -> str:
    return f"phasegate backfill {phase} --table {table} --dates {dates_arg(dates, universe)}{extra}"


Processor = Callable[..., Any]


def _default_processor() -> Processor:
    from phasegate.runner.processors import run_processor

    return run_processor


def _first_line(text: str, limit: int = 400) -> str:
    line = (text.strip().splitlines() or [""])[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"


def verify_chunk(warehouse: Any, catalog: Catalog, chunk: Chunk, rows_written: int | None,
                 exclusions: Exclusions) -> str | None:
    """None if every expected game of the chunk's dates is present; else why not (one line)."""
    if rows_written == 0:
        return f"processor reported success but wrote 0 rows for {len(chunk.dates)} game date(s)"
    table = catalog.table(chunk.table)
    from phasegate.measure.coverage import measure_coverage

    exc_dates, exc_games = exclusions.get(chunk.table, (frozenset(), frozenset()))
    cov = measure_coverage(warehouse, catalog, chunk.table, chunk.start, chunk.end,
                           excepted_dates=exc_dates, excepted_games=exc_games)
    no_rows, partial = [], []
    for d in chunk.dates:
        status = cov.by_date.get(d)
        if status is None or status.rows == 0:
            no_rows.append(d)
        elif table.measure_coverage:
            missing = [g for g in status.missing_games if g not in exc_games]
            if missing:
                partial.append((d, missing))
    if no_rows or partial:
        parts = []
        if no_rows:
            parts.append(f"no rows on {len(no_rows)} date(s) ({dates_arg(no_rows)})")
        if partial:
            games = [g for _, gs in partial for g in gs]
            parts.append(f"{len(games)} game(s) missing on {len(partial)} date(s) (e.g. {', '.join(games[:3])})")
        return "after the processor: " + "; ".join(parts)
    return None


def execute_plan(plan: Plan, warehouse: Any, catalog: Catalog, *, processor: Processor | None = None,
                 workers: int = DEFAULT_WORKERS, policy: RetryPolicy | None = None, runlog: Any = None,
                 progress: Progress | None = None, exclusions: Exclusions | None = None, verify: bool = True,
                 labels: Mapping[str, str] | None = None) -> Execution:
    """Run every chunk of the plan; never raises for a chunk's failure (it is recorded)."""
    processor = processor or _default_processor()
    policy = policy or RetryPolicy()
    runlog = runlog or NullRunLog()
    progress = progress or NullProgress()
    exclusions = exclusions or {}
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    started = time.monotonic()
    outcomes = {name: TableOutcome(name, tp.dates) for name, tp in plan.tables.items()}
    execution = Execution(outcomes, 0.0)
    counters_lock = threading.Lock()
    cancel = threading.Event()
    deps = {name: [u for u in catalog.table(name).upstream if u in plan.tables] for name in plan.tables}

    def run_chunk(chunk: Chunk) -> tuple[bool, int, str | None]:
        """(ok, rows, error)"""
        attempt = 0
        while True:
            attempt += 1
            t0 = time.monotonic()
            record: dict[str, Any] = {"table": chunk.table, "start": chunk.start, "end": chunk.end,
                                      "dates": len(chunk.dates), "attempt": attempt}
            try:
                result = processor(warehouse, catalog, chunk.table, chunk.start, chunk.end,
                                   labels={**(labels or {}), "run_id": getattr(runlog, "run_id", "")})
                rows = getattr(result, "rows_written", None)
                output = getattr(result, "output", "") or ""
                problem = verify_chunk(warehouse, catalog, chunk, rows, exclusions) if verify else (
                    "processor reported success but wrote 0 rows" if rows == 0 else None)
            except Exception as exc:  # noqa: BLE001 - every failure is recorded, none kills the run
                seconds = round(time.monotonic() - t0, 3)
                transient = is_transient(exc)
                message = str(exc) if isinstance(exc, PhasegateError) else f"{type(exc).__name__}: {exc}"
                detail = message if isinstance(exc, PhasegateError) else traceback.format_exc(limit=5)
                with counters_lock:
                    execution.attempts += 1
                if transient and attempt <= policy.retries and not cancel.is_set():
                    delay = policy.delay(attempt)
                    runlog.write("chunk", **record, status="retry", seconds=seconds, error=_first_line(message),
                                 detail=detail[-OUTPUT_KEEP_CHARS:], transient=True, retry_in_s=round(delay, 2))
                    progress.note(f"{chunk.label()}: transient error, retry {attempt}/{policy.retries} in "
                                  f"{delay:.1f}s: {_first_line(message, 160)}")
                    (policy.sleep or cancel.wait)(delay)
                    if not cancel.is_set():
                        continue
                    message = f"run interrupted before retry {attempt}: {message}"
                runlog.write("chunk", **record, status="failed", seconds=seconds, error=_first_line(message),
                             detail=detail[-OUTPUT_KEEP_CHARS:], transient=transient)
                return False, 0, _first_line(message)
            seconds = round(time.monotonic() - t0, 3)
            with counters_lock:
                execution.attempts += 1
            if problem:
                runlog.write("chunk", **record, status="failed", seconds=seconds, rows=rows, error=problem,
                             output=output[-OUTPUT_KEEP_CHARS:])
                return False, rows or 0, problem
            runlog.write("chunk", **record, status="ok", seconds=seconds, rows=rows,
                         output=output[-OUTPUT_KEEP_CHARS:])
            return True, rows or 0, None

    def run_table(name: str) -> None:
        tp = plan.tables[name]
        out = outcomes[name]
        t0 = time.monotonic()
        # Dates whose upstream did not get built are left alone (re-chunked around them).
        blocked: dict[dt.date, str] = {}
        for up in deps[name]:
            for d in outcomes[up].not_done:
                if d in tp.reasons:
                    blocked.setdefault(d, f"upstream {up} failed on this date")
        out.skipped.update(blocked)
        todo = [d for d in tp.dates if d not in blocked]
        chunks = make_chunks(name, todo, tp.universe, plan.chunk_days) if blocked else tp.chunks
        if not tp.dates:
            return
        progress.start_table(name, len(tp.dates))
        if blocked:
            progress.advance(name, 0)
            progress.note(f"{name}: {len(blocked)} date(s) skipped because their upstream failed")
        failures_in_row = 0
        for chunk in chunks:
            if cancel.is_set():
                for d in chunk.dates:
                    out.skipped[d] = "run interrupted"
                continue
            if failures_in_row >= MAX_CONSECUTIVE_FAILURES:
                for d in chunk.dates:
                    out.skipped[d] = f"not attempted: {failures_in_row} chunks failed in a row"
                continue
            ok, rows, error = run_chunk(chunk)
            out.rows += rows
            with counters_lock:
                if ok:
                    execution.chunks_ok += 1
                else:
                    execution.chunks_failed += 1
            if ok:
                failures_in_row = 0
                out.done.update(chunk.dates)
                progress.advance(name, len(chunk.dates), rows)
            else:
                failures_in_row += 1
                for d in chunk.dates:
                    out.failed[d] = error or "failed"
                progress.note(f"{chunk.label()}: FAILED: {_first_line(error or '', 200)}")
                progress.advance(name, 0)
        out.seconds = round(time.monotonic() - t0, 3)
        runlog.write("table", table=name, planned=len(tp.dates), done=len(out.done), failed=len(out.failed),
                     skipped=len(out.skipped), rows=out.rows, seconds=out.seconds,
                     not_done=dates_arg(out.not_done, plan.calendar.game_dates))
        progress.finish_table(name, out.ok, "" if out.ok else
                              f"{len(out.failed)} failed, {len(out.skipped)} skipped")

    pending = dict(deps)
    finished: set[str] = set()
    running: dict[Future, str] = {}
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="phasegate-table")
    try:
        while pending or running:
            for name in [n for n, ds in pending.items() if all(d in finished for d in ds)]:
                del pending[name]
                running[pool.submit(run_table, name)] = name
            if not running:  # cannot happen with an acyclic catalog; guard against a hang
                raise PhasegateError(f"cannot order tables {sorted(pending)}")
            try:
                # A timeout, so that Ctrl-C / SIGTERM are seen promptly: a signal received by
                # another thread does not wake a main thread blocked on a lock.
                done, _ = wait(list(running), timeout=SIGNAL_POLL_S, return_when=FIRST_COMPLETED)
            except KeyboardInterrupt:
                cancel.set()
                execution.interrupted = True
                progress.note("interrupted: finishing the chunks in flight (each is atomic), starting no new ones")
                wait(list(running))
                raise
            for fut in done:
                name = running.pop(fut)
                exc = fut.exception()
                if exc is not None:  # a bug in the runner itself, not a chunk failure
                    outcomes[name].skipped.update({d: f"runner error: {exc}" for d in plan.tables[name].dates
                                                   if d not in outcomes[name].done})
                finished.add(name)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        execution.seconds = round(time.monotonic() - started, 3)
    return execution


# ---------------------------------------------------------------------------------------------
# backfill / run: plan, confirm, lock, execute, gate — the library behind the CLI and the demo
# ---------------------------------------------------------------------------------------------

@dataclass
class GateOutcome:
    phase: str
    verdict: str
    exit_code: int
    text: str
    failing_tables: dict[str, str] = field(default_factory=dict)
    run_dir: Path | None = None


GateFn = Callable[..., GateOutcome]


def default_gate(phase: str, *, warehouse_url: str, catalog_path: str | Path, start: dt.date, end: dt.date,
                 exceptions_path: str | None, workers: int) -> GateOutcome:
    """The phase's gate (`phasegate.gate.run.run_gate`): pytest over checks/PHASE."""
    from phasegate.gate.run import run_gate

    result = run_gate(phase, warehouse_url=warehouse_url, catalog_path=str(catalog_path), start=start, end=end,
                      exceptions_path=exceptions_path, workers=workers)
    return GateOutcome(phase, result.verdict, result.exit_code, result.text, dict(result.failing_tables or {}),
                       result.run_dir)


@dataclass
class RunOutcome:
    phase: str
    run_id: str | None
    verdict: str  # GO | NO-GO | ERROR | REFUSED | DRY-RUN
    exit_code: int
    plan: Plan | None = None
    execution: Execution | None = None
    gate: GateOutcome | None = None
    upstream_gate: GateOutcome | None = None
    retry: list[str] = field(default_factory=list)
    log_path: Path | None = None
    messages: list[str] = field(default_factory=list)


@dataclass
class Options:
    """Everything `phasegate backfill` / `run` take, in one place."""

    phase: str
    warehouse_url: str | None = None
    catalog_path: str | Path = "pipeline.toml"
    start: dt.date | None = None
    end: dt.date | None = None
    tables: list[str] | None = None
    dates: list[dt.date] | None = None
    all_dates: bool = False
    workers: int = DEFAULT_WORKERS
    chunk_days: int = 30
    dry_run: bool = False
    yes: bool = False
    gate: bool = True
    exceptions_path: str | None = None
    interactive: bool = False  # a person at a terminal can confirm
    retries: int = DEFAULT_RETRIES
    backoff_s: float = DEFAULT_BACKOFF_S
    command: str = ""
    gate_workers: int = 2


def parse_dates(text: str, what: str = "--dates") -> list[dt.date]:
    """`2022-01-03,2022-01-05..2022-01-09` -> the dates (ranges inclusive, every calendar day)."""
    out: list[dt.date] = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        first, sep, last = part.partition("..")
        try:
            a = dt.date.fromisoformat(first)
            b = dt.date.fromisoformat(last) if sep else a
        except ValueError:
            raise UsageError(f"{what}: {part!r} is not a date or a range (YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)") \
                from None
        if b < a:
            raise UsageError(f"{what}: range {part!r} ends before it starts")
        out.extend(a + dt.timedelta(days=i) for i in range((b - a).days + 1))
    if not out:
        raise UsageError(f"{what} names no date")
    return sorted(set(out))


def _window(catalog: Catalog, opts: Options) -> tuple[dt.date, dt.date]:
    start = opts.start or catalog.settings.default_start_date
    end = opts.end or catalog.settings.default_end_date
    if opts.dates:
        if opts.start is None:
            start = min(start, min(opts.dates))
        if opts.end is None:
            end = max(end, max(opts.dates))
    if start > end:
        raise UsageError(f"--start-date {start} is after --end-date {end}")
    return start, end


def _gate_text(g: GateOutcome) -> str:
    return (g.text or f"{g.phase}: {g.verdict}").rstrip()


def backfill(opts: Options, *, out: Callable[[str], None] = print, progress: Progress | None = None,
             confirm: Callable[[Plan], bool] | None = None, processor: Processor | None = None,
             gate_fn: GateFn | None = None, policy: RetryPolicy | None = None, kind: str = "backfill",
             runlog: Any = None, upstream_gate: GateOutcome | None = None, run_id: str | None = None) -> RunOutcome:
    """Plan (from measurement), confirm, lock, run the chunks, then the phase's own gate."""
    from phasegate.warehouse import open_warehouse, resolve_url

    catalog = load_catalog(opts.catalog_path)
    catalog.phase(opts.phase)
    url = resolve_url(opts.warehouse_url)
    start, end = _window(catalog, opts)
    if not opts.dry_run and not opts.yes and not (opts.interactive and confirm is not None):
        raise Refused(f"refusing to {kind} {opts.phase} without confirmation: no terminal to ask on; "
                      "pass --yes to run unattended, or --dry-run to see the plan")
    exclusions = load_exclusions(catalog, opts.exceptions_path)
    state_dir = catalog.state_dir
    gate_fn = gate_fn or default_gate

    if opts.dry_run:
        wh = open_warehouse(url, read_only=url.startswith("duckdb://"))
        try:
            plan = build_plan(wh, catalog, opts.phase, start=start, end=end, tables=opts.tables, dates=opts.dates,
                              all_dates=opts.all_dates, chunk_days=opts.chunk_days, exclusions=exclusions)
        finally:
            wh.close()
        out(plan.describe())
        out("dry run: nothing written")
        return RunOutcome(opts.phase, None, "DRY-RUN", EXIT_GO, plan=plan)

    from phasegate.runner.locks import TableLocks

    own_log = runlog is None
    run_id = runlog.run_id if runlog is not None else (run_id or new_run_id(opts.phase))
    locks = TableLocks(state_dir, run_id, opts.command).acquire(lock_set(catalog, opts.phase, opts.tables))
    try:
        if own_log:
            runlog = RunLog(state_dir, run_id)
            runlog.write("start", kind=kind, phase=opts.phase, command=opts.command, pid=os.getpid(),
                         host=socket.gethostname(), warehouse=url, catalog=str(catalog.path),
                         catalog_fingerprint=catalog.fingerprint, window={"start": start, "end": end},
                         workers=opts.workers, chunk_days=opts.chunk_days, all_dates=opts.all_dates,
                         tables=opts.tables, dates=dates_arg(opts.dates) if opts.dates else None)
        for holder in locks.taken_over:
            msg = f"took over the stale lock of {holder.describe()} on {holder.table}"
            out(msg)
            runlog.write("lock_takeover", table=holder.table, holder=holder.__dict__)
        outcome = _backfill_locked(opts, catalog, url, start, end, exclusions, runlog, out=out, progress=progress,
                                   confirm=confirm, processor=processor, gate_fn=gate_fn, policy=policy)
        outcome.upstream_gate = upstream_gate
        return outcome
    except KeyboardInterrupt:
        if runlog is not None:
            runlog.write("verdict", verdict="ERROR", exit_code=130, message="interrupted")
        raise
    except PhasegateError as exc:
        if runlog is not None:
            runlog.write("verdict", verdict="ERROR", exit_code=exc.exit_code, message=str(exc))
        raise
    finally:
        locks.release()
        if own_log and runlog is not None:
            runlog.close()


def _backfill_locked(opts: Options, catalog: Catalog, url: str, start: dt.date, end: dt.date,
                     exclusions: Exclusions, runlog: Any, *, out: Callable[[str], None], progress: Progress | None,
                     confirm: Callable[[Plan], bool] | None, processor: Processor | None, gate_fn: GateFn,
                     policy: RetryPolicy | None) -> RunOutcome:
    from phasegate.warehouse import open_warehouse

    policy = policy or RetryPolicy(retries=opts.retries, base_s=opts.backoff_s)
    wh = open_warehouse(url)
    execution = None
    try:
        plan = build_plan(wh, catalog, opts.phase, start=start, end=end, tables=opts.tables, dates=opts.dates,
                          all_dates=opts.all_dates, chunk_days=opts.chunk_days, exclusions=exclusions)
        runlog.write("plan", **plan.to_json())
        out(plan.describe())
        # refuse a run over the warehouse's byte cap before anything is billed (BigQuery; no-op elsewhere)
        check_run_budget(plan.estimated_bytes, run_cap(wh), what=f"backfill {opts.phase}")
        if hasattr(wh, "set_labels"):
            wh.set_labels(run_id=runlog.run_id, phase=opts.phase, command="backfill")
        if not plan.is_empty:
            if not opts.yes and (confirm is None or not confirm(plan)):
                runlog.write("verdict", verdict="REFUSED", exit_code=EXIT_USAGE, message="not confirmed")
                out("not confirmed: nothing written")
                return RunOutcome(opts.phase, runlog.run_id, "REFUSED", EXIT_USAGE, plan=plan,
                                  log_path=runlog.path)
            # stay below the warehouse's concurrent-DML limit (BigQuery exposes it as max_workers)
            workers = min(opts.workers, getattr(wh, "max_workers", opts.workers))
            execution = execute_plan(plan, wh, catalog, processor=processor, workers=workers, policy=policy,
                                     runlog=runlog, progress=progress, exclusions=exclusions,
                                     labels={"phase": opts.phase})
            if progress is not None:
                progress.close()
    finally:
        wh.close()  # the gate opens the warehouse itself (DuckDB allows one writer process)

    retry: list[str] = []
    messages: list[str] = []
    if execution is not None:
        out(f"backfill {opts.phase}: {execution.dates_done}/{plan.total_dates} table-dates rebuilt in "
            f"{execution.chunks_ok} chunk(s), {execution.rows_written:,} rows, {execution.seconds:.1f}s"
            + (f", {execution.chunks_failed} chunk(s) FAILED" if execution.chunks_failed else ""))
        extra = f" --warehouse {opts.warehouse_url}" if opts.warehouse_url else ""
        for name, info in execution.failures().items():
            t = execution.tables[name]
            messages.append(f"FAILED {name}: {info['failed']} date(s) failed, {info['skipped']} skipped: "
                            f"{info['error']}")
            retry.append(retry_command(opts.phase, name, t.not_done, plan.calendar.game_dates, extra) + " --yes")
        for line in messages:
            out(line)
        if retry:
            out("retry with:")
            for cmd in retry:
                out(f"  {cmd}")
    blocked = plan.blocked
    if blocked:
        for name, dates in blocked.items():
            out(f"WARNING {name}: {len(dates)} date(s) not scheduled because an upstream table has no rows there: "
                f"{plan.ranges(dates)}")

    gate = None
    if opts.gate:
        out(f"gate {opts.phase} ...")
        gate = gate_fn(opts.phase, warehouse_url=url, catalog_path=catalog.path, start=start, end=end,
                       exceptions_path=opts.exceptions_path, workers=opts.gate_workers)
        runlog.write("gate", phase=opts.phase, verdict=gate.verdict, exit_code=gate.exit_code,
                     run_dir=gate.run_dir, failing_tables=gate.failing_tables)
        out(_gate_text(gate))

    work_ok = execution is None or execution.ok
    if not work_ok:
        verdict, code = "NO-GO", EXIT_NO_GO
    elif gate is not None:
        verdict, code = gate.verdict, gate.exit_code
    elif blocked:
        verdict, code = "NO-GO", EXIT_NO_GO
    else:
        verdict, code = "GO", EXIT_GO
    failed = execution.failures() if execution is not None else {}
    runlog.write("verdict", verdict=verdict, exit_code=code, failed=failed, retry=retry,
                 dates_done=execution.dates_done if execution else 0,
                 rows_written=execution.rows_written if execution else 0,
                 seconds=execution.seconds if execution else 0.0)
    out(f"{opts.phase}: {verdict} (run {runlog.run_id}, log {runlog.path})")
    return RunOutcome(opts.phase, runlog.run_id, verdict, code, plan=plan, execution=execution, gate=gate,
                      retry=retry, log_path=runlog.path, messages=messages)


def run_phase(opts: Options, *, out: Callable[[str], None] = print, progress: Progress | None = None,
              confirm: Callable[[Plan], bool] | None = None, processor: Processor | None = None,
              gate_fn: GateFn | None = None, policy: RetryPolicy | None = None) -> RunOutcome:
    """`phasegate run PHASE`: upstream phase's gate (NO-GO stops here), backfill, the phase's gate.

    The upstream phase's tables stay locked from its gate to the end of the run."""
    from phasegate.warehouse import resolve_url

    catalog = load_catalog(opts.catalog_path)
    phase = catalog.phase(opts.phase)
    url = resolve_url(opts.warehouse_url)
    start, end = _window(catalog, opts)
    if not opts.dry_run and not opts.yes and not (opts.interactive and confirm is not None):
        raise Refused(f"refusing to run {opts.phase} without confirmation: no terminal to ask on; "
                      "pass --yes to run unattended, or --dry-run to see the plan")
    gate_fn = gate_fn or default_gate
    upstream = phase.upstream_phase
    run_id = new_run_id(opts.phase)
    if not upstream:
        return backfill(opts, out=out, progress=progress, confirm=confirm, processor=processor, gate_fn=gate_fn,
                        policy=policy, kind="run", run_id=run_id)
    from phasegate.runner.locks import TableLocks, current_holders

    upstream_tables = [t.name for t in catalog.tables_of(upstream)]
    busy = current_holders(catalog.state_dir, upstream_tables)
    if busy:
        table, holder = next(iter(busy.items()))
        raise Refused(f"{upstream} is being written right now ({table} is locked by {holder.describe()}); "
                      f"run {opts.phase} after it finishes")
    # Hold the upstream tables from the pre-flight gate to the end: no backfill may rewrite what
    # this run has just found GO and is reading.
    held = TableLocks(catalog.state_dir, run_id, opts.command)
    if not opts.dry_run:
        held.acquire(upstream_tables)
    with held:
        out(f"gate {upstream} (pre-flight for {opts.phase}) ...")
        up_gate = gate_fn(upstream, warehouse_url=url, catalog_path=catalog.path, start=start, end=end,
                          exceptions_path=opts.exceptions_path, workers=opts.gate_workers)
        out(_gate_text(up_gate))
        if up_gate.verdict != "GO":
            return _refuse_upstream(opts, catalog, url, start, end, up_gate, out, run_id)
        out(f"{upstream} is GO: starting {opts.phase}")
        return backfill(opts, out=out, progress=progress, confirm=confirm, processor=processor, gate_fn=gate_fn,
                        policy=policy, kind="run", upstream_gate=up_gate, run_id=run_id)


def _refuse_upstream(opts: Options, catalog: Catalog, url: str, start: dt.date, end: dt.date,
                     up_gate: GateOutcome, out: Callable[[str], None], run_id: str) -> RunOutcome:
    """Upstream NO-GO: nothing of this phase is written; say exactly which tables and dates to fix."""
    from phasegate.warehouse import open_warehouse

    upstream = up_gate.phase
    state_dir = catalog.state_dir
    lines = [f"{opts.phase} NOT started: the upstream phase {upstream} is {up_gate.verdict}; nothing was written."]
    fix_plan = None
    if up_gate.verdict == "NO-GO":
        try:
            wh = open_warehouse(url, read_only=url.startswith("duckdb://"))
            try:
                exclusions = load_exclusions(catalog, opts.exceptions_path)
                fix_plan = build_plan(wh, catalog, upstream, start=start, end=end, exclusions=exclusions)
            finally:
                wh.close()
        except PhasegateError as exc:
            lines.append(f"(could not list the dates to fix: {exc})")
    if fix_plan is not None and not fix_plan.is_empty:
        lines.append(f"{upstream} tables to fix, and their dates:")
        for name, tp in fix_plan.tables.items():
            if tp.reasons:
                why = reason_text(tp.reason_counts())
                lines.append(f"  {name}: {len(tp.reasons)} dates ({why}): {fix_plan.ranges(tp.dates)}")
    for name, reason in up_gate.failing_tables.items():
        if fix_plan is None or not fix_plan.tables.get(name) or not fix_plan.tables[name].reasons:
            lines.append(f"  {name}: {reason}")
    lines.append(f"fix with: phasegate backfill {upstream} --yes   then: phasegate run {opts.phase} --yes")
    for line in lines:
        out(line)
    with RunLog(state_dir, run_id) as log:
        log.write("start", kind="run", phase=opts.phase, command=opts.command, pid=os.getpid(),
                  host=socket.gethostname(), warehouse=url, window={"start": start, "end": end})
        log.write("upstream_gate", phase=upstream, verdict=up_gate.verdict, exit_code=up_gate.exit_code,
                  run_dir=up_gate.run_dir, failing_tables=up_gate.failing_tables)
        code = EXIT_NO_GO if up_gate.verdict == "NO-GO" else (up_gate.exit_code or EXIT_CANNOT_VALIDATE)
        log.write("verdict", verdict="NO-GO" if code == EXIT_NO_GO else "ERROR", exit_code=code,
                  message=lines[0], failed={}, retry=[f"phasegate backfill {upstream} --yes"])
    return RunOutcome(opts.phase, run_id, "NO-GO" if code == EXIT_NO_GO else "ERROR", code, plan=fix_plan,
                      upstream_gate=up_gate, log_path=state_dir / "runs" / f"{run_id}.jsonl", messages=lines,
                      retry=[f"phasegate backfill {upstream} --yes"])


def coverage_gate(phase: str, *, warehouse_url: str, catalog_path: str | Path, start: dt.date, end: dt.date,
                  exceptions_path: str | None = None, workers: int = 1) -> GateOutcome:
    """A coverage-only stand-in for the gate (tests, benchmarks): date and game coverage per table."""
    from phasegate.measure.coverage import measure_coverage
    from phasegate.model.dates import format_ranges
    from phasegate.warehouse import open_warehouse

    catalog = load_catalog(catalog_path)
    exclusions = load_exclusions(catalog, exceptions_path)
    wh = open_warehouse(warehouse_url, read_only=warehouse_url.startswith("duckdb://"))
    failing: dict[str, str] = {}
    try:
        for table in catalog.tables_of(phase):
            if not table.measure_coverage:
                continue
            if not wh.columns(table.dataset, table.name):
                failing[table.name] = "table does not exist"
                continue
            exc_dates, exc_games = exclusions.get(table.name, (frozenset(), frozenset()))
            cov = measure_coverage(wh, catalog, table.name, start, end, excepted_dates=exc_dates,
                                   excepted_games=exc_games)
            if cov.date_ratio < table.date_coverage or cov.game_ratio < table.game_coverage:
                failing[table.name] = (f"{len(cov.covered_dates)}/{len(cov.expected)} dates, missing "
                                       f"{format_ranges(cov.missing_dates, limit=3)}")
    except WarehouseError as exc:
        return GateOutcome(phase, "ERROR", EXIT_CANNOT_VALIDATE, f"{phase}: ERROR {exc}")
    finally:
        wh.close()
    if failing:
        text = f"{phase}: NO-GO (coverage) — " + "; ".join(f"{n}: {r}" for n, r in failing.items())
        return GateOutcome(phase, "NO-GO", EXIT_NO_GO, text, failing)
    return GateOutcome(phase, "GO", EXIT_GO, f"{phase}: GO (coverage)")


def command_line(argv: list[str] | None = None) -> str:
    argv = sys.argv if argv is None else argv
    return " ".join(["phasegate", *[shlex.quote(a) for a in argv[1:]]])
