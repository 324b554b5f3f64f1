"""Executing a plan: each table's chunks, each chunk verified, every date accounted for.

* Tables run on a bounded thread pool in the catalog's dependency order (`phasegate.runner.dag`):
  a table starts when its upstream tables in the plan have finished; independent tables run
  side by side. A table's own chunks run `chunk_workers[table]` at a time where the warehouse
  allows it (`Capabilities.chunk_workers`: BigQuery stages chunks of disjoint dates side by
  side and swaps them in one at a time; DuckDB has one writer) and the processor does not read
  its own table; otherwise one after the other. Each chunk settles its own dates (thread-safe
  on the table's outcome); a chunk starts only when a slot is free, after the decision that
  the ones before it allowed (interrupt, abandon, failures in a row).
* Each chunk is one processor call: an atomic replace of its date range. Transient errors are
  retried (`phasegate.runner.retry`); SQL and data errors are not.
* After each chunk one coverage query checks, date by date, that every expected game is now
  present (`verify_chunk`). Dates that verify are done; the others are failed, or unbuildable
  when the warehouse explains why (the `explain` hook: a raw input without rows there).
* A processor that fails on data (not a transient error) is narrowed down: the chunk is split
  in halves and each half tried, recursively, so every date that builds is written and only
  the dates that break it fail. The narrowing stops at once when the error fails any range (a
  query that does not compile: `retry.fails_on_any_range`; the table's other chunks are not
  attempted), and when both halves fail with the same error (not date-specific): no bisect storm.
* Verify before commit: the catalogued SQL processors build each chunk aside and the warehouse
  swaps it in only when `phasegate.runner.staged.BeforeCommit` finds every date right (planned
  dates present, key unique, no game with one team, no game or row lost against what it
  replaces). A rejected chunk raises `ChunkRejected` with the dates that did not verify and
  why: nothing of it was written, the old rows stay, and the other dates are rebuilt on their
  own. (A command processor writes itself: it is verified after the fact only.)
* A failed date does not stop the other tables: a downstream table skips only the dates whose
  upstream failed, and cannot build those its upstream cannot.
* Every chunk attempt records its cost in the run log (`phasegate.runner.cost`: the bytes its jobs
  processed and were billed); with a byte cap (`phasegate.runner.budget`) a chunk starts only while
  billed so far + in flight + its estimate stay within it, and the first refusal stops the run.
* Ctrl-C / SIGTERM: the chunks in flight finish (each is atomic), no new one starts, and the
  execution comes back `interrupted` with every date accounted for.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
import traceback
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from phasegate.errors import PhasegateError, UsageError
from phasegate.model.catalog import Catalog
from phasegate.runner.cost import metered
from phasegate.runner.dag import apply_to_dag
from phasegate.runner.outcome import Execution, TableOutcome, dates_arg
from phasegate.runner.plan import Chunk, Exclusions, Plan, make_chunks
from phasegate.runner.progress import NullProgress, Progress
from phasegate.runner.retry import RetryPolicy, fails_on_any_range, is_transient
from phasegate.runner.runlog import NullRunLog
from phasegate.runner.staged import ChunkRejected, before_commit_for

__all__ = ["DEFAULT_WORKERS", "ChunkCheck", "ChunkRejected", "Execution", "TableOutcome", "dates_arg",
           "execute_plan", "verify_chunk"]

DEFAULT_WORKERS = 4
# A table whose chunks keep failing is abandoned after this many failed chunks in a row.
MAX_CONSECUTIVE_FAILURES = 3
OUTPUT_KEEP_CHARS = 4000


@dataclass(frozen=True)
class ChunkCheck:
    """What verification found: the dates that are not right (date -> why), nothing when all are."""

    problems: dict[dt.date, str] = field(default_factory=dict)
    missing_games: dict[dt.date, tuple[str, ...]] = field(default_factory=dict)  # of the partial dates

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        from phasegate.runner.outcome import group_by_reason

        return "; ".join(f"{reason} ({dates_arg(dates)})" for reason, dates in group_by_reason(self.problems).items())


Processor = Callable[..., Any]


def _default_processor() -> Processor:
    from phasegate.runner.processors import run_processor

    return run_processor


def _first_line(text: str, limit: int = 400) -> str:
    line = (text.strip().splitlines() or [""])[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"


def verify_chunk(warehouse: Any, catalog: Catalog, chunk: Chunk, rows_written: int | None,
                 exclusions: Exclusions) -> ChunkCheck:
    """Date by date: every expected game of the chunk's dates present (one coverage query)."""
    if rows_written == 0:
        return ChunkCheck({d: "processor reported success but wrote 0 rows" for d in chunk.dates})
    table = catalog.table(chunk.table)
    from phasegate.measure.coverage import measure_coverage

    exc_dates, exc_games = exclusions.get(chunk.table, (frozenset(), frozenset()))
    cov = measure_coverage(warehouse, catalog, chunk.table, chunk.start, chunk.end,
                           excepted_dates=exc_dates, excepted_games=exc_games)
    problems: dict[dt.date, str] = {}
    games: dict[dt.date, tuple[str, ...]] = {}
    for d in chunk.dates:
        status = cov.by_date.get(d)
        if status is None or status.rows == 0:
            problems[d] = "no rows after the processor"
        elif table.measure_coverage:
            missing = [g for g in status.missing_games if g not in exc_games]
            if missing:
                problems[d] = f"{len(missing)} game(s) missing after the processor (e.g. {', '.join(missing[:3])})"
                games[d] = tuple(missing)
    return ChunkCheck(problems, games)


# Gaps explained by the warehouse: (table, {date: its missing games, () for the whole date}) ->
# {date: why it cannot be built}; dates it cannot explain are left out (they failed).
Explain = Callable[[str, Mapping[dt.date, tuple[str, ...]]], Mapping[dt.date, str]]

_DATES_IN_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}|\d+")


def same_error(a: str | None, b: str | None) -> bool:
    """Two errors alike but for the dates and numbers they mention (the halves of one range)."""
    return a is not None and b is not None and _DATES_IN_TEXT.sub("#", a) == _DATES_IN_TEXT.sub("#", b)


@dataclass
class Attempt:
    """One processor call over a chunk (after its transient retries), and what verification found."""

    rows: int = 0
    problems: dict[dt.date, str] = field(default_factory=dict)  # dates that did not verify
    missing_games: dict[dt.date, tuple[str, ...]] = field(default_factory=dict)  # of partial dates among them
    committed: bool = True  # False: nothing of the chunk was written (rejected before commit)
    error: str | None = None  # the processor failed: nothing of the chunk was written
    any_range: bool = False  # the error fails any range (no narrowing)
    transient: bool = False  # the error was transient and the retries ran out
    interrupted: bool = False


def split(chunk: Chunk) -> list[Chunk]:
    """The two halves of a chunk (each a contiguous run of its dates)."""
    half = len(chunk.dates) // 2
    parts = (chunk.dates[:half], chunk.dates[half:])
    return [Chunk(chunk.table, p[0], p[-1], tuple(p)) for p in parts if p]


def execute_plan(plan: Plan, warehouse: Any, catalog: Catalog, *, processor: Processor | None = None,
                 workers: int = DEFAULT_WORKERS, policy: RetryPolicy | None = None, runlog: Any = None,
                 progress: Progress | None = None, exclusions: Exclusions | None = None, verify: bool = True,
                 labels: Mapping[str, str] | None = None, explain: Explain | None = None,
                 chunk_workers: Mapping[str, int] | None = None, budget: Any = None,
                 allow_fewer_rows: bool = False) -> Execution:
    """Run every chunk of the plan; never raises for a chunk's failure (every date is accounted for).

    `chunk_workers`: per table, how many of its chunks may run at once (default 1; see module doc).
    `budget`: the run's byte cap (`phasegate.runner.budget.RunBudget`): a chunk starts only if it admits
    it; the first refusal stops the run (that chunk and every later one not attempted, `capped`).

    Ctrl-C / SIGTERM: the chunks in flight finish, the execution returns `interrupted`."""
    # the catalogued processors verify each chunk before it replaces anything (a caller's own
    # processor may too: `accepts_before_commit`)
    pre_commit = verify and (processor is None or getattr(processor, "accepts_before_commit", False))
    processor = processor or _default_processor()
    policy = policy or RetryPolicy()
    runlog = runlog or NullRunLog()
    progress = progress or NullProgress()
    exclusions = exclusions or {}
    chunk_workers = chunk_workers or {}
    if workers < 1:
        raise UsageError("--tables-parallel must be at least 1")
    started = time.monotonic()
    outcomes = {name: TableOutcome(name, sorted({*tp.dates, *tp.unbuildable})) for name, tp in plan.tables.items()}
    execution = Execution(outcomes, 0.0)
    counters_lock = threading.Lock()
    cancel = threading.Event()
    deps = {name: [u for u in catalog.table(name).upstream if u in plan.tables] for name in plan.tables}
    universe = plan.calendar.game_dates

    def settle(out: TableOutcome, outcome: str, dates: Collection[dt.date], reason: str = "") -> None:
        """Record dates in one state, in the outcome and the run log (the accounting is per date)."""
        settled = out.record(outcome, dates, reason)
        if settled:
            runlog.write("dates", table=out.table, outcome=outcome, count=len(settled),
                         dates=dates_arg(settled, universe), reason=reason)

    def attempt(chunk: Chunk) -> Attempt:
        """One chunk: the processor (transient errors retried), then verification."""
        tries = 0
        while True:
            tries += 1
            t0 = time.monotonic()
            record: dict[str, Any] = {"table": chunk.table, "start": chunk.start, "end": chunk.end,
                                      "dates": len(chunk.dates), "attempt": tries}
            extra: dict[str, Any] = {}
            if pre_commit:
                excepted = exclusions.get(chunk.table, (frozenset(), frozenset()))[1]
                extra["before_commit"] = before_commit_for(catalog, chunk.table, chunk.start, chunk.end, chunk.dates,
                                                           excepted, allow_fewer_rows)
            try:
                with metered(warehouse, catalog.table(chunk.table), record):  # record["cost"]: its jobs' bytes
                    result = processor(warehouse, catalog, chunk.table, chunk.start, chunk.end,
                                       labels={**(labels or {}), "run_id": getattr(runlog, "run_id", "")}, **extra)
                    rows = getattr(result, "rows_written", None)
                    output = getattr(result, "output", "") or ""
                    if verify:
                        check = verify_chunk(warehouse, catalog, chunk, rows, exclusions)
                    else:
                        check = ChunkCheck({d: "processor reported success but wrote 0 rows" for d in chunk.dates}
                                           if rows == 0 else {})
            except ChunkRejected as exc:
                with counters_lock:
                    execution.attempts += 1
                seconds = round(time.monotonic() - t0, 3)
                problems = {d: why for d, why in exc.problems.items() if d in chunk.dates}
                if not problems:  # the whole chunk is in question: narrow it down like a data error
                    runlog.write("chunk", **record, status="rejected", seconds=seconds, error=_first_line(str(exc)))
                    return Attempt(error=_first_line(str(exc)))
                runlog.write("chunk", **record, status="rejected", seconds=seconds, error=_first_line(str(exc)),
                             problems=ChunkCheck(problems).text())
                progress.note(f"{chunk.label()}: rejected before commit, old rows kept: {_first_line(str(exc), 200)}")
                return Attempt(problems=problems, committed=False,
                               missing_games={d: g for d, g in exc.games.items() if d in problems})
            except Exception as exc:  # noqa: BLE001 - every failure is recorded, none kills the run
                seconds = round(time.monotonic() - t0, 3)
                transient = is_transient(exc)
                message = str(exc) if isinstance(exc, PhasegateError) else f"{type(exc).__name__}: {exc}"
                detail = message if isinstance(exc, PhasegateError) else traceback.format_exc(limit=5)
                with counters_lock:
                    execution.attempts += 1
                if transient and tries <= policy.retries and not cancel.is_set():
                    delay = policy.delay(tries)
                    runlog.write("chunk", **record, status="retry", seconds=seconds, error=_first_line(message),
                                 detail=detail[-OUTPUT_KEEP_CHARS:], transient=True, retry_in_s=round(delay, 2))
                    progress.note(f"{chunk.label()}: transient error, retry {tries}/{policy.retries} in "
                                  f"{delay:.1f}s: {_first_line(message, 160)}")
                    (policy.sleep or cancel.wait)(delay)
                    if not cancel.is_set():
                        continue
                    runlog.write("chunk", **record, status="interrupted", seconds=seconds,
                                 error=f"run interrupted before retry {tries}: {_first_line(message)}")
                    return Attempt(error=_first_line(message), interrupted=True)
                any_range = fails_on_any_range(exc)
                runlog.write("chunk", **record, status="failed", seconds=seconds, error=_first_line(message),
                             detail=detail[-OUTPUT_KEEP_CHARS:], transient=transient, any_range=any_range)
                return Attempt(error=_first_line(message), any_range=any_range, transient=transient)
            seconds = round(time.monotonic() - t0, 3)
            with counters_lock:
                execution.attempts += 1
            status = "ok" if check.ok else ("partial" if len(check.problems) < len(chunk.dates) else "failed")
            runlog.write("chunk", **record, status=status, seconds=seconds, rows=rows,
                         output=output[-OUTPUT_KEEP_CHARS:], **({"problems": check.text()} if check.problems else {}))
            return Attempt(rows=rows or 0, problems=dict(check.problems), missing_games=dict(check.missing_games))

    def classify(out: TableOutcome, problems: Mapping[dt.date, str],
                 games: Mapping[dt.date, tuple[str, ...]] | None = None, rejected: bool = False) -> None:
        """Dates that did not verify: unbuildable when the warehouse explains why, else failed.

        A date rejected before commit keeps its old rows: its reason says why it was rejected
        and, when the warehouse explains it, why it cannot be built better."""
        if not problems:
            return
        why: Mapping[dt.date, str] = {}
        if explain is not None:
            try:
                why = explain(out.table, {d: (games or {}).get(d, ()) for d in problems})
            except PhasegateError as exc:  # the explanation is a courtesy: never a reason to stop
                progress.note(f"{out.table}: could not explain the dates that did not build: {exc}")
        for day, problem in sorted(problems.items()):
            if day in why:
                settle(out, "unbuildable", [day], f"{why[day]}: {problem}" if rejected else why[day])
            else:
                settle(out, "failed", [day], problem)

    def build_chunk(out: TableOutcome, chunk: Chunk, state: dict[str, Any]) -> None:
        """Build one chunk, narrowing it down on a data error, until each of its dates is settled."""
        resolve(out, chunk, attempt(chunk), state)

    def resolve(out: TableOutcome, chunk: Chunk, a: Attempt, state: dict[str, Any]) -> None:
        if a.interrupted:
            settle(out, "skipped", chunk.dates, "run interrupted before its retry")
            return
        if a.error is None:
            good = [d for d in chunk.dates if d not in a.problems]
            if a.committed:
                out.add_rows(a.rows)
                settle(out, "done", good)
                progress.advance(out.table, len(good), a.rows)
            classify(out, a.problems, a.missing_games, rejected=not a.committed)
            if not a.committed and good:  # nothing was written: build the dates that verified on their own
                for part in make_chunks(out.table, good, plan.tables[out.table].universe, plan.chunk_days):
                    if cancel.is_set():
                        settle(out, "skipped", part.dates, "run interrupted")
                    else:
                        build_chunk(out, part, state)
            return
        progress.note(f"{chunk.label()}: processor error: {_first_line(a.error, 200)}")
        if a.any_range:
            settle(out, "failed", chunk.dates, a.error)
            state["abandon"] = f"{out.table}'s processor fails on any date range: {a.error}"
            return
        if a.transient or len(chunk.dates) == 1:
            settle(out, "failed", chunk.dates, a.error)
            return
        narrow(out, chunk, a.error, state)

    def narrow(out: TableOutcome, chunk: Chunk, error: str, state: dict[str, Any]) -> None:
        """A data error over the chunk: try each half; stop when both fail alike (not date-specific)."""
        halves = split(chunk)
        progress.note(f"{chunk.label()}: narrowing down: {' and '.join(f'{h.start}..{h.end}' for h in halves)}")
        attempts: list[Attempt] = []
        for half in halves:
            if cancel.is_set():
                settle(out, "skipped", half.dates, "run interrupted")
                continue
            attempts.append(attempt(half))
        if len(attempts) == 2 and all(a.error is not None and not a.interrupted for a in attempts) \
                and same_error(attempts[0].error, attempts[1].error):
            settle(out, "failed", chunk.dates, f"{attempts[0].error} (every part of {chunk.start}..{chunk.end} "
                                               "fails alike: not caused by one date)")
            return
        for half, a in zip(halves, attempts, strict=False):
            resolve(out, half, a, state)

    def may_start(out: TableOutcome, chunk: Chunk, state: dict[str, Any]) -> bool:
        """Whether the next chunk starts; if not, its dates are settled as not attempted, saying why."""
        if cancel.is_set():
            settle(out, "skipped", chunk.dates, "run interrupted")
        elif state["abandon"]:
            settle(out, "skipped", chunk.dates, f"not attempted: {state['abandon']}")
        elif state["failures_in_row"] >= MAX_CONSECUTIVE_FAILURES:
            settle(out, "skipped", chunk.dates, f"not attempted: {state['failures_in_row']} chunks failed in a row")
        elif budget is not None and (over := budget.admit(chunk)) is not None:  # the run's byte cap
            settle(out, "skipped", chunk.dates, f"not attempted: {over}")
        else:
            return True
        return False

    def run_one(out: TableOutcome, chunk: Chunk, state: dict[str, Any]) -> None:
        try:
            build_chunk(out, chunk, state)
        finally:
            if budget is not None:
                budget.release(chunk)
        # judged on the chunk's own dates: right whether or not other chunks of the table run meanwhile
        built = any(d in out.done for d in chunk.dates)
        failed = any(d in out.failed for d in chunk.dates)
        with counters_lock:
            if built and not failed:
                execution.chunks_ok += 1
            else:
                execution.chunks_failed += 1
            state["failures_in_row"] = 0 if built else state["failures_in_row"] + failed

    def run_chunks(out: TableOutcome, chunks: list[Chunk], state: dict[str, Any], parallel: int) -> None:
        """A table's chunks in order, `parallel` at a time (each settles its own dates; 1: one after the other)."""
        if parallel <= 1:
            for chunk in chunks:
                if may_start(out, chunk, state):
                    run_one(out, chunk, state)
            return
        slots = threading.Semaphore(parallel)

        def in_slot(chunk: Chunk) -> None:
            try:
                run_one(out, chunk, state)
            finally:
                slots.release()

        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix=f"phasegate-{out.table}") as pool:
            futures = []
            for chunk in chunks:
                slots.acquire()  # the decision to start waits for a free slot: it sees the chunks before it
                if may_start(out, chunk, state):
                    futures.append(pool.submit(in_slot, chunk))
                else:
                    slots.release()
            for future in futures:
                future.result()  # a bug in the runner surfaces as the table's error (apply_to_dag)

    def run_table(name: str) -> None:
        tp = plan.tables[name]
        out = outcomes[name]
        t0 = time.monotonic()
        for d, why in sorted(tp.unbuildable.items()):  # the plan found their inputs lacking
            settle(out, "unbuildable", [d], why)
        # Dates whose upstream did not get built are left alone (re-chunked around them).
        upstream_not_built: dict[dt.date, tuple[str, str]] = {}
        required = set(catalog.table(name).required_upstream)
        for up in deps[name]:
            up_out = outcomes[up]
            for d in tp.dates:
                if d in up_out.unbuildable and up in required:  # an optional input it can do without
                    upstream_not_built.setdefault(d, ("unbuildable", f"upstream {up} cannot be built on this "
                                                                     f"date: {up_out.unbuildable[d]}"))
                elif d in up_out.failed or d in up_out.skipped:
                    upstream_not_built.setdefault(d, ("skipped", f"upstream {up} failed on this date"))
        for d, (outcome, reason) in sorted(upstream_not_built.items()):
            settle(out, outcome, [d], reason)
        todo = [d for d in tp.dates if d not in upstream_not_built]
        chunks = make_chunks(name, todo, tp.universe, plan.chunk_days) if upstream_not_built else tp.chunks
        if not tp.dates:
            return
        progress.start_table(name, len(tp.dates))
        if upstream_not_built:
            progress.advance(name, 0)
            progress.note(f"{name}: {len(upstream_not_built)} date(s) left alone because their upstream was not built")
        state: dict[str, Any] = {"abandon": None, "failures_in_row": 0}
        run_chunks(out, chunks, state, max(1, int(chunk_workers.get(name, 1))))
        out.seconds = round(time.monotonic() - t0, 3)
        counts = out.counts()
        runlog.write("table", table=name, **counts, rows=out.rows, seconds=out.seconds,
                     not_done=dates_arg(out.not_done, universe), retryable=dates_arg(out.retryable, universe))
        parts = [f"{counts[k]} {w}" for k, w in (("unbuildable", "unbuildable"), ("failed", "failed"),
                                                  ("skipped", "not attempted")) if counts[k]]
        state_word = ("FAILED" if out.failed else "INTERRUPTED" if cancel.is_set() else
                      "UNBUILDABLE" if out.unbuildable else "NOT ATTEMPTED")
        progress.finish_table(name, out.ok, "" if out.ok else f"{state_word}: {counts['done']}/{len(tp.dates)} "
                              "dates done, " + ", ".join(parts))

    def interrupted() -> None:
        execution.interrupted = True
        progress.note("interrupted: finishing the chunks in flight (each is atomic), starting no new ones")

    bugs: dict[str, BaseException] = {}
    try:
        bugs = apply_to_dag(deps, run_table, workers=workers, cancel=cancel, on_interrupt=interrupted,
                            thread_name="phasegate-table")
    except KeyboardInterrupt:  # the chunks in flight have finished (apply_to_dag waited for them)
        execution.interrupted = True
    finally:
        execution.seconds = round(time.monotonic() - started, 3)
    for name, exc in bugs.items():  # a bug in the runner itself, not a chunk failure
        settle(outcomes[name], "skipped", outcomes[name].planned, f"runner error: {exc}")
    for out in outcomes.values():  # tables never started (interrupted) still account for every date
        settle(out, "skipped", out.planned, "run interrupted" if execution.interrupted else "not attempted")
    if budget is not None:
        execution.capped = budget.stopped
    return execution
