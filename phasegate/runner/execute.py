"""Executing a plan: each table's chunks, each chunk verified, tables in dependency order.

* Tables run on a bounded thread pool in the catalog's dependency order (`phasegate.runner.dag`):
  a table starts when its upstream tables in the plan have finished; independent tables run
  side by side. A table's own chunks run one after the other (BigQuery serializes DML on one
  table; DuckDB would conflict), so parallelism is across tables.
* Each chunk is one processor call: an atomic replace of its date range. Transient errors are
  retried (`phasegate.runner.retry`); SQL and data errors are not.
* After each chunk one coverage query checks that every expected game of its dates is now
  present; a processor that "succeeds" with 0 rows, or leaves a date or a game out, failed.
* A failed chunk does not stop the other tables: a downstream table skips only the dates whose
  upstream failed.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from phasegate.errors import PhasegateError, UsageError
from phasegate.model.catalog import Catalog
from phasegate.model.dates import fold_ranges
from phasegate.runner.dag import apply_to_dag
from phasegate.runner.plan import Chunk, Exclusions, Plan, make_chunks
from phasegate.runner.progress import NullProgress, Progress
from phasegate.runner.retry import RetryPolicy, is_transient
from phasegate.runner.runlog import NullRunLog

DEFAULT_WORKERS = 4
# A table whose chunks keep failing is abandoned after this many failures in a row.
MAX_CONSECUTIVE_FAILURES = 3
OUTPUT_KEEP_CHARS = 4000


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

    def interrupted() -> None:
        execution.interrupted = True
        progress.note("interrupted: finishing the chunks in flight (each is atomic), starting no new ones")

    try:
        bugs = apply_to_dag(deps, run_table, workers=workers, cancel=cancel, on_interrupt=interrupted,
                            thread_name="phasegate-table")
    finally:
        execution.seconds = round(time.monotonic() - started, 3)
    for name, exc in bugs.items():  # a bug in the runner itself, not a chunk failure
        outcomes[name].skipped.update({d: f"runner error: {exc}" for d in plan.tables[name].dates
                                       if d not in outcomes[name].done})
    return execution


