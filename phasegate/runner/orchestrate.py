"""`backfill` and `run`: plan, confirm, lock, execute, gate — the library behind the CLI and the demo.

* `backfill(opts)` plans from measurement (`phasegate.runner.plan`), asks for confirmation,
  takes the table locks, runs the plan (`phasegate.runner.execute`), then the phase's own gate.
* Pre-flight: every write (`backfill` as `run`) first gates the upstream phase; anything but GO
  (NO-GO, ERROR, PARTIAL) stops it before anything is written. A raw upstream phase (tables no
  processor builds, not gated by checks/) is pre-flighted by the plan itself: each required raw
  input is measured per date and the dates it lacks are unbuildable. `--skip-upstream-gate` is
  an expert's override: recorded in the run log (who, when) and shown on the phase's reports
  while that run is the latest write to the phase.
* Without the phase's own gate (`--no-gate`) the outcome is NOT VALIDATED, never GO.
* Crash safety: the data is the checkpoint. Chunks are atomic, so a run killed at any moment
  leaves each chunk either old or new; re-running the same command re-plans from the
  warehouse and does exactly what is still missing. Locks keep two runs off the same table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from phasegate.errors import (
    EXIT_CANNOT_VALIDATE,
    EXIT_GO,
    EXIT_NO_GO,
    EXIT_USAGE,
    PhasegateError,
)
from phasegate.gate.results import GateResult
from phasegate.hooks import within_run
from phasegate.model.catalog import Catalog, load_catalog
from phasegate.model.verdict import Verdict
from phasegate.runner.budget import RunBudget, plan_estimates
from phasegate.runner.cost import run_cost
from phasegate.runner.execute import DEFAULT_WORKERS, Processor, execute_plan
from phasegate.runner.outcome import Execution, dates_arg
from phasegate.runner.plan import (
    Exclusions,
    Plan,
    build_plan,
    load_exclusions,
    lock_set,
    reason_text,
    select_tables,
)
from phasegate.runner.progress import Progress
from phasegate.runner.retry import DEFAULT_BACKOFF_S, DEFAULT_RETRIES, RetryPolicy
from phasegate.runner.runlog import RunLog, new_run_id, share_run
from phasegate.state.leases import LeaseHeld
from phasegate.warehouse.cost import check_run_budget, run_cap


class NeedsConfirmation(PhasegateError):
    """A write was asked for without confirmation and with no one to ask (the CLI words the way out)."""

    exit_code = EXIT_USAGE


class Refused(PhasegateError):
    """The run did not start (no confirmation, nothing confirmed)."""

    exit_code = EXIT_USAGE



def retry_command(phase: str, table: str, dates: Iterable[dt.date], universe: Iterable[dt.date] | None = None,
                  extra: str = "") -> str:
    return f"phasegate backfill {phase} --table {table} --dates {dates_arg(dates, universe)}{extra}"


GateFn = Callable[..., GateResult]


def default_gate(phase: str, *, warehouse_url: str, catalog_path: str | Path, start: dt.date, end: dt.date,
                 exceptions_path: str | None, workers: int | None, audit: str | None = None) -> GateResult:
    """The phase's gate (`phasegate.gate.run.run_gate`): pytest over checks/PHASE."""
    from phasegate.gate.run import run_gate

    result = run_gate(phase, warehouse_url=warehouse_url, catalog_path=str(catalog_path), start=start, end=end,
                      exceptions_path=exceptions_path, workers=workers, audit=audit)
    return result


def _audit_of(opts: Options) -> dict[str, str]:
    """The gate's audit option, passed only when given (gate functions without it still work)."""
    return {"audit": opts.audit} if opts.audit is not None else {}


@dataclass
class RunOutcome:
    phase: str
    run_id: str | None
    verdict: str  # a Verdict: GO | NO-GO | ERROR | REFUSED | DRY-RUN | INTERRUPTED
    exit_code: int
    plan: Plan | None = None
    execution: Execution | None = None
    gate: GateResult | None = None
    upstream_gate: GateResult | None = None
    retry: list[str] = field(default_factory=list)
    log_path: Path | None = None
    messages: list[str] = field(default_factory=list)


@dataclass
class Options:
    """Everything `phasegate backfill` / `run` take, in one place."""

    phase: str
    warehouse_url: str | None = None
    catalog_path: str | Path = "pipeline.toml"
    start: str | dt.date | None = None  # a date or a word (today, yesterday, -Nd, season): model/window.py
    end: str | dt.date | None = None
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
    gate_workers: int | None = None  # None: the warehouse's default (one process; threads on BigQuery)
    max_bytes: int | None = None  # the run's byte cap (--max-bytes); None: the warehouse's per-run cap
    audit: str | None = None  # the gates' reproduction audit (--audit); None: the catalog's settings.audit
    skip_upstream_gate: bool = False  # an expert's override of the pre-flight: recorded, shown on the reports
    allow_fewer_rows: bool = False  # verify-before-commit accepts a date with fewer rows (never a lost game)


def _window(catalog: Catalog, opts: Options, url: str) -> tuple[dt.date, dt.date]:
    from phasegate.measure.calendar import live_window

    window = live_window(catalog, opts.start, opts.end, dates=opts.dates, warehouse=url)
    return window.start, window.end


def _checked_inputs(opts: Options) -> tuple[Catalog, str, dt.date, dt.date, Exclusions]:
    """Every input of a backfill or run checked before anything is written (a run log, a lock, a
    gate report): bad input is a usage error that changes nothing."""
    from phasegate.warehouse import check_url, resolve_url

    catalog = load_catalog(opts.catalog_path)
    catalog.phase(opts.phase)
    url = check_url(resolve_url(opts.warehouse_url))
    start, end = _window(catalog, opts, url)
    select_tables(catalog, opts.phase, opts.tables)
    exclusions = load_exclusions(catalog, opts.exceptions_path)
    return catalog, url, start, end, exclusions


def _gate_text(g: GateResult) -> str:
    return (g.text or f"{g.phase}: {g.verdict}").rstrip()


def gated_upstream(catalog: Catalog, phase: str) -> str | None:
    """The upstream phase whose gate a write to `phase` must pass first; None when there is none.

    A raw upstream phase (no table of it has a processor: loaded by scrapers, not gated by
    checks/) has no gate: its pre-flight is the plan's measurement of each required raw input,
    date by date (`phasegate.measure.provenance`): the dates an input lacks are unbuildable."""
    upstream = catalog.phase(phase).upstream_phase
    if not upstream or all(t.processor is None for t in catalog.tables_of(upstream)):
        return None
    return upstream


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return os.environ.get("USER") or "unknown"


def _preflight_event(catalog: Catalog, phase: str, upstream_gate: GateResult | None,
                     skipped_by: str | None) -> dict[str, Any]:
    """What the run log records of the pre-flight (`upstream_gate` or `preflight` event)."""
    upstream = catalog.phase(phase).upstream_phase
    if skipped_by is not None:
        return {"event": "upstream_gate", "phase": upstream, "verdict": "SKIPPED", "skipped": True,
                "by": skipped_by, "host": socket.gethostname(),
                "message": f"pre-flight skipped with --skip-upstream-gate by {skipped_by}: {upstream} was not gated"}
    if upstream_gate is not None:
        return {"event": "upstream_gate", "phase": upstream_gate.phase, "verdict": upstream_gate.verdict,
                "exit_code": upstream_gate.exit_code, "run_dir": upstream_gate.run_dir,
                "failing_tables": upstream_gate.failing_tables}
    if upstream:
        return {"event": "preflight", "phase": upstream, "raw": True,
                "message": f"{upstream} is raw (not gated): the plan measured each required raw input per date; "
                           "dates an input lacks are unbuildable"}
    return {}


def backfill(opts: Options, *, out: Callable[[str], None] = print, progress: Progress | None = None,
             confirm: Callable[[Plan], bool] | None = None, processor: Processor | None = None,
             gate_fn: GateFn | None = None, policy: RetryPolicy | None = None, kind: str = "backfill",
             runlog: Any = None, upstream_gate: GateResult | None = None, run_id: str | None = None,
             preflight_skipped_by: str | None = None) -> RunOutcome:
    """Pre-flight (the upstream phase's gate), plan (from measurement), confirm, lock, run the chunks,
    then the phase's own gate."""
    from phasegate.warehouse import open_warehouse

    catalog, url, start, end, exclusions = _checked_inputs(opts)
    if not opts.dry_run and not opts.yes and not (opts.interactive and confirm is not None):
        raise NeedsConfirmation(f"refusing to {kind} {opts.phase} without confirmation: no terminal to ask on")
    if upstream_gate is None and preflight_skipped_by is None and runlog is None and not opts.dry_run \
            and gated_upstream(catalog, opts.phase):
        # every write passes its upstream phase's gate first (or says, in the log, that it did not)
        return _preflighted(opts, catalog, url, start, end, kind=kind, out=out, progress=progress, confirm=confirm,
                            processor=processor, gate_fn=gate_fn or default_gate, policy=policy,
                            run_id=run_id or new_run_id(opts.phase))
    state_dir = catalog.state_dir
    gate_fn = gate_fn or default_gate

    if opts.dry_run:
        wh = open_warehouse(url, read_only=True)
        try:
            plan = build_plan(wh, catalog, opts.phase, start=start, end=end, tables=opts.tables, dates=opts.dates,
                              all_dates=opts.all_dates, chunk_days=opts.chunk_days, exclusions=exclusions)
        finally:
            wh.close()
        out(plan.describe())
        upstream = gated_upstream(catalog, opts.phase)
        if upstream and kind == "backfill":
            out(f"pre-flight: a write first gates {upstream} (not run for a dry run)")
        out("dry run: nothing written")
        return RunOutcome(opts.phase, None, "DRY-RUN", EXIT_GO, plan=plan)

    from phasegate.runner.locks import TableLocks

    own_log = runlog is None
    run_id = runlog.run_id if runlog is not None else (run_id or new_run_id(opts.phase))
    to_lock = lock_set(catalog, opts.phase, opts.tables)
    locks = TableLocks(state_dir, run_id, opts.command).acquire(to_lock)
    try:
        if own_log:
            runlog = RunLog(state_dir, run_id)
            runlog.write("start", kind=kind, phase=opts.phase, command=opts.command, pid=os.getpid(),
                         host=socket.gethostname(), warehouse=url, catalog=str(catalog.path),
                         catalog_fingerprint=catalog.fingerprint, window={"start": start, "end": end},
                         workers=opts.workers, chunk_days=opts.chunk_days, all_dates=opts.all_dates,
                         tables=opts.tables, dates=dates_arg(opts.dates) if opts.dates else None, gate=opts.gate)
            record = _preflight_event(catalog, opts.phase, upstream_gate, preflight_skipped_by)
            if record:
                runlog.write(record.pop("event"), **record)
        for holder in locks.taken_over:
            msg = f"took over the stale lock of {holder.describe()} on {holder.table}"
            out(msg)
            runlog.write("lock_takeover", table=holder.table, holder=holder.__dict__)
        with within_run(run_id):
            outcome = _backfill_locked(opts, catalog, url, start, end, exclusions, runlog, out=out,
                                       progress=progress, confirm=confirm, processor=processor, gate_fn=gate_fn,
                                       policy=policy)
        outcome.upstream_gate = upstream_gate
        if outcome.verdict != "REFUSED":  # a person who said no needs no notification
            _notify_end(kind, opts, catalog, url, start, end, outcome)
        return outcome
    except KeyboardInterrupt:
        # outside the chunks (planning, the gate): nothing half-written; the same command resumes
        message = f"interrupted; resume with the same command: {opts.command or 'phasegate ' + kind}"
        if runlog is not None:
            runlog.write("verdict", verdict=Verdict.INTERRUPTED, exit_code=Verdict.INTERRUPTED.exit_code,
                         message=message)
        _notify_end(kind, opts, catalog, url, start, end,
                    RunOutcome(opts.phase, run_id, Verdict.INTERRUPTED, Verdict.INTERRUPTED.exit_code,
                               messages=[message]))
        raise
    except PhasegateError as exc:
        # a table another run holds: this run did not start (nothing written), it was refused
        verdict = Verdict.REFUSED if isinstance(exc, LeaseHeld) else Verdict.ERROR
        if runlog is not None:
            runlog.write("verdict", verdict=verdict, exit_code=exc.exit_code, message=str(exc))
        _notify_end(kind, opts, catalog, url, start, end,
                    RunOutcome(opts.phase, run_id, verdict, exc.exit_code, messages=[str(exc)]))
        raise
    finally:
        locks.release()
        if own_log and runlog is not None:
            runlog.close()
            share_run(url, runlog.path, chunks=True)  # the warehouse is closed by now: open it to write


def _backfill_locked(opts: Options, catalog: Catalog, url: str, start: dt.date, end: dt.date,
                     exclusions: Exclusions, runlog: Any, *, out: Callable[[str], None], progress: Progress | None,
                     confirm: Callable[[Plan], bool] | None, processor: Processor | None, gate_fn: GateFn,
                     policy: RetryPolicy | None) -> RunOutcome:
    from phasegate.warehouse import open_warehouse

    policy = policy or RetryPolicy(retries=opts.retries, base_s=opts.backoff_s)
    wh = open_warehouse(url)
    execution = None
    cost = None
    leases = None
    try:
        leases = _take_leases(wh, catalog, opts, runlog, out)
        share_run(wh, runlog.path, chunks=False, warehouse_url=url)  # other checkouts see it running
        plan = build_plan(wh, catalog, opts.phase, start=start, end=end, tables=opts.tables, dates=opts.dates,
                          all_dates=opts.all_dates, chunk_days=opts.chunk_days, exclusions=exclusions)
        runlog.write("plan", **plan.to_json(), allow_fewer_rows=opts.allow_fewer_rows)
        out(plan.describe())
        # refuse a run over its byte cap before anything is billed (BigQuery; no-op elsewhere), then
        # hold every chunk to it (phasegate.runner.budget)
        cap = opts.max_bytes if opts.max_bytes is not None else run_cap(wh)
        check_run_budget(plan.estimated_bytes, cap, what=f"backfill {opts.phase}")
        budget = RunBudget(cap, wh.ledger, plan_estimates(plan)) \
            if cap is not None and wh.capabilities.bills_bytes else None
        if opts.max_bytes is not None and not wh.capabilities.bills_bytes:
            out(f"--max-bytes {opts.max_bytes:,}: this warehouse ({wh.dialect}) bills nothing, so no chunk is held to it")
        wh.set_labels(run_id=runlog.run_id, phase=opts.phase, command="backfill")
        if not plan.is_empty and not opts.yes and (confirm is None or not confirm(plan)):
            runlog.write("verdict", verdict="REFUSED", exit_code=EXIT_USAGE, message="not confirmed")
            out("not confirmed: nothing written")
            return RunOutcome(opts.phase, runlog.run_id, "REFUSED", EXIT_USAGE, plan=plan,
                              log_path=runlog.path)
        if not plan.is_empty or plan.total_unbuildable:  # unbuildable dates are accounted for too
            # stay below the warehouse's concurrent-DML limit (BigQuery exposes it as max_workers)
            workers = min(opts.workers, wh.capabilities.max_workers)
            execution = execute_plan(plan, wh, catalog, processor=processor, workers=workers, policy=policy,
                                     runlog=runlog, progress=progress, exclusions=exclusions,
                                     labels={"phase": opts.phase}, explain=_explainer(wh, catalog, exclusions),
                                     chunk_workers=_chunk_workers(wh, catalog, plan), budget=budget,
                                     allow_fewer_rows=opts.allow_fewer_rows)
            if progress is not None:
                progress.close()
        cost = run_cost(wh)
        if cost is not None:  # every job of the run so far: planning, dry runs, chunks, verification
            runlog.write("cost", **cost, max_bytes=cap)
    finally:
        if leases is not None:
            leases.release()
        wh.close()  # the gate opens the warehouse itself (DuckDB allows one writer process)

    retry: list[str] = []
    messages: list[str] = []
    extra = f" --warehouse {opts.warehouse_url}" if opts.warehouse_url else ""
    if execution is not None:
        out(execution.summary_line(opts.phase, plan.total_dates + plan.total_unbuildable))
        messages = execution.detail_lines(plan.calendar.game_dates)
        for name, t in execution.tables.items():
            if t.retryable and not execution.interrupted:
                retry.append(retry_command(opts.phase, name, t.retryable, plan.calendar.game_dates, extra) + " --yes")
        if any(t.unbuildable for t in execution.tables.values()):
            messages.append(f"unbuildable dates will not build on a re-run: fix their inputs, or document them "
                            f"(phasegate exceptions suggest {opts.phase})")
        for line in messages:
            out(line)
        if retry:
            out("retry with:")
            for cmd in retry:
                out(f"  {cmd}")

    if execution is not None and execution.interrupted:
        return _interrupted(opts, plan, execution, runlog, out, messages)
    if execution is not None and execution.capped:
        return _capped(opts, plan, execution, runlog, out, messages, cost)

    gate = None
    if opts.gate:
        out(f"gate {opts.phase} ...")
        gate = gate_fn(opts.phase, warehouse_url=url, catalog_path=catalog.path, start=start, end=end,
                       exceptions_path=opts.exceptions_path, workers=opts.gate_workers,
                       **_audit_of(opts))
        runlog.write("gate", phase=opts.phase, verdict=gate.verdict, exit_code=gate.exit_code,
                     run_dir=gate.run_dir, failing_tables=gate.failing_tables,
                     cost=(gate.results.cost or {}).get("run") if gate.results is not None else None)
        out(_gate_text(gate))

    work_ok = execution.ok if execution is not None else not plan.total_unbuildable
    if not work_ok:
        verdict, code = Verdict.NO_GO, Verdict.NO_GO.exit_code
    elif gate is not None:
        verdict, code = gate.verdict, gate.exit_code
    else:  # nothing judged the data: never GO
        verdict, code = Verdict.NOT_VALIDATED, Verdict.NOT_VALIDATED.exit_code
        out(f"{opts.phase}: gate not run (--no-gate): every chunk was written and verified, but the data was "
            f"not validated; gate it with: phasegate gate {opts.phase}")
    failed = execution.failures() if execution is not None else {}
    runlog.write("verdict", verdict=verdict, exit_code=code, failed=failed, retry=retry,
                 dates_done=execution.dates_done if execution else 0,
                 rows_written=execution.rows_written if execution else 0,
                 seconds=execution.seconds if execution else 0.0)
    out(f"{opts.phase}: {verdict} (run {runlog.run_id}, log {runlog.path})")
    return RunOutcome(opts.phase, runlog.run_id, verdict, code, plan=plan, execution=execution, gate=gate,
                      retry=retry, log_path=runlog.path, messages=messages)


def _chunk_workers(wh: Any, catalog: Catalog, plan: Plan) -> dict[str, int]:
    """Per table, its chunks built at once: the warehouse's bound where its chunks are independent."""
    from phasegate.runner.processors import chunks_independent

    bound = wh.capabilities.chunk_workers
    if bound <= 1:
        return {}
    return {name: bound for name, tp in plan.tables.items()
            if len(tp.chunks) > 1 and chunks_independent(catalog, catalog.table(name))}


def _take_leases(wh: Any, catalog: Catalog, opts: Options, runlog: Any, out: Callable[[str], None]) -> Any:
    """The warehouse leases of the tables this run writes, so no other checkout writes them meanwhile
    (the local file locks only keep out runs of this machine). None where the state dataset is missing."""
    from phasegate.runner.runlog import pid_alive
    from phasegate.state import note_local_fallback, state_exists
    from phasegate.state.leases import Leases

    if not state_exists(wh, "leases"):
        note_local_fallback("table locks", wh.url)
        return None
    leases = Leases(wh, runlog.run_id, opts.command, pid_alive=pid_alive)
    leases.acquire(lock_set(catalog, opts.phase, opts.tables))
    for holder in leases.taken_over:
        out(f"took over the lease of {holder.describe()} on {holder.table}")
        runlog.write("lease_takeover", table=holder.table, holder=holder.__dict__)
    return leases


def _notify_end(kind: str, opts: Options, catalog: Catalog, url: str, start: dt.date, end: dt.date,
                outcome: RunOutcome) -> None:
    """Tell the hooks (phasegate.hooks) how the run ended; they never change the outcome."""
    from phasegate.gate.run import gate_event
    from phasegate.hooks import RunEndEvent, notify_run_end

    execution = outcome.execution
    failed = execution.failures() if execution is not None else {}
    lines = [line for line in outcome.messages if line]
    event = RunEndEvent(kind=kind, phase=opts.phase, run_id=outcome.run_id, verdict=str(outcome.verdict),
                        exit_code=outcome.exit_code, window={"start": start.isoformat(), "end": end.isoformat()},
                        warehouse=url, dates_done=execution.dates_done if execution is not None else 0,
                        rows_written=execution.rows_written if execution is not None else 0,
                        failed={str(k): v for k, v in failed.items()}, retry=tuple(outcome.retry),
                        message="\n".join(lines[:10]), log=str(outcome.log_path) if outcome.log_path else None,
                        gate=dataclasses.replace(gate_event(outcome.gate), part_of=outcome.run_id)
                        if outcome.gate is not None else None)
    notify_run_end(event, catalog)


def _explainer(wh: Any, catalog: Catalog, exclusions: Exclusions):
    """Why dates that did not verify cannot be built, measured now (their inputs may have changed)."""
    from phasegate.measure.provenance import explain_dates

    def explain(table: str, dates: dict[dt.date, tuple[str, ...]]) -> dict[dt.date, str]:
        gaps = {d: ("partial" if games else "missing", games) for d, games in dates.items()}
        found = explain_dates(wh, catalog, table, gaps,
                              excepted_of=lambda name: exclusions.get(name, (frozenset(), frozenset()))[0])
        return {d: gap.reason() for d, gap in found.items() if gap.blocked}

    return explain


def _interrupted(opts: Options, plan: Plan, execution: Execution, runlog: Any, out: Callable[[str], None],
                 messages: list[str]) -> RunOutcome:
    """Ctrl-C / SIGTERM during the chunks: say what was written and how to resume; no gate."""
    verdict = Verdict.INTERRUPTED
    written = _written(execution)
    resume = opts.command or f"phasegate backfill {opts.phase} --yes"
    lines = [f"{opts.phase}: {verdict}: {execution.dates_done} table-date(s) written and verified "
             f"({', '.join(written) or 'nothing planned'}); every chunk is whole (old rows or new), none was "
             "started after the interrupt",
             f"resume with the same command (it re-plans from the warehouse): {resume}"]
    return _stopped(opts, plan, execution, runlog, out, messages, verdict, lines, resume)


def _capped(opts: Options, plan: Plan, execution: Execution, runlog: Any, out: Callable[[str], None],
            messages: list[str], cost: dict[str, Any] | None) -> RunOutcome:
    """Stopped at the byte cap mid-run: what was written, what it cost, how to go on; no gate."""
    from phasegate.runner.cost import describe

    verdict = Verdict.CAPPED
    written = _written(execution)
    again = opts.command or f"phasegate backfill {opts.phase} --yes"
    lines = [f"{opts.phase}: {verdict}: stopped before the next chunk: {execution.capped}",
             f"{execution.dates_done} table-date(s) written and verified ({', '.join(written) or 'nothing planned'}); "
             f"the other {execution.total('skipped')} were not attempted; the run cost "
             f"{describe((cost or {}).get('run'))}",
             f"go on with a higher cap (--max-bytes N) or fewer dates (--dates / --table); the same command "
             f"re-plans from the warehouse: {again}"]
    return _stopped(opts, plan, execution, runlog, out, messages, verdict, lines, again)


def _written(execution: Execution) -> list[str]:
    """'TABLE done/planned' of each table with planned dates."""
    return [f"{name} {len(t.done)}/{len(t.planned)}" for name, t in execution.tables.items() if t.planned]


def _stopped(opts: Options, plan: Plan, execution: Execution, runlog: Any, out: Callable[[str], None],
             messages: list[str], verdict: Verdict, lines: list[str], again: str) -> RunOutcome:
    """The end of a run stopped before its gate (interrupted, capped): say it, log it, return it."""
    for line in lines:
        out(line)
    runlog.write("verdict", verdict=verdict, exit_code=verdict.exit_code, failed=execution.failures(), retry=[again],
                 message=lines[0], dates_done=execution.dates_done, rows_written=execution.rows_written,
                 seconds=execution.seconds)
    out(f"{opts.phase}: {verdict} (run {runlog.run_id}, log {runlog.path})")
    return RunOutcome(opts.phase, runlog.run_id, verdict, verdict.exit_code, plan=plan, execution=execution,
                      retry=[again], log_path=runlog.path, messages=[*messages, *lines])


def run_phase(opts: Options, *, out: Callable[[str], None] = print, progress: Progress | None = None,
              confirm: Callable[[Plan], bool] | None = None, processor: Processor | None = None,
              gate_fn: GateFn | None = None, policy: RetryPolicy | None = None) -> RunOutcome:
    """`phasegate run PHASE`: upstream phase's gate (NO-GO stops here), backfill, the phase's gate.

    The same pre-flight as `backfill`, also for a dry run (which then shows whether it would start)."""
    catalog, url, start, end, _ = _checked_inputs(opts)
    if not opts.dry_run and not opts.yes and not (opts.interactive and confirm is not None):
        raise NeedsConfirmation(f"refusing to run {opts.phase} without confirmation: no terminal to ask on")
    gate_fn = gate_fn or default_gate
    run_id = new_run_id(opts.phase)
    if not gated_upstream(catalog, opts.phase):
        return backfill(opts, out=out, progress=progress, confirm=confirm, processor=processor, gate_fn=gate_fn,
                        policy=policy, kind="run", run_id=run_id)
    return _preflighted(opts, catalog, url, start, end, kind="run", out=out, progress=progress, confirm=confirm,
                        processor=processor, gate_fn=gate_fn, policy=policy, run_id=run_id)


def _preflighted(opts: Options, catalog: Catalog, url: str, start: dt.date, end: dt.date, *, kind: str,
                 out: Callable[[str], None], progress: Progress | None, confirm: Callable[[Plan], bool] | None,
                 processor: Processor | None, gate_fn: GateFn, policy: RetryPolicy | None,
                 run_id: str) -> RunOutcome:
    """Gate the upstream phase, then write: anything but GO stops the run before anything is written.

    The upstream tables stay locked from its gate to the end of the run: no backfill may rewrite
    what this run has just found GO and is reading. `--skip-upstream-gate` writes without the
    gate, and the run log says who did."""
    upstream = gated_upstream(catalog, opts.phase)
    assert upstream is not None
    if opts.skip_upstream_gate:
        who = _who()
        out(f"pre-flight SKIPPED (--skip-upstream-gate, by {who}): {upstream} is not gated before writing "
            f"{opts.phase}; the run log and every later {opts.phase} report will say so")
        return backfill(opts, out=out, progress=progress, confirm=confirm, processor=processor, gate_fn=gate_fn,
                        policy=policy, kind=kind, run_id=run_id, preflight_skipped_by=who)
    from phasegate.runner.locks import TableLocks, current_holders

    upstream_tables = [t.name for t in catalog.tables_of(upstream)]
    busy = current_holders(catalog.state_dir, upstream_tables)
    if busy:
        table, holder = next(iter(busy.items()))
        raise Refused(f"{upstream} is being written right now ({table} is locked by {holder.describe()}); "
                      f"{kind} {opts.phase} after it finishes")
    held = TableLocks(catalog.state_dir, run_id, opts.command)
    if not opts.dry_run:
        held.acquire(upstream_tables)
    with held:
        out(f"gate {upstream} (pre-flight for {opts.phase}) ...")
        with within_run(run_id):
            up_gate = gate_fn(upstream, warehouse_url=url, catalog_path=catalog.path, start=start, end=end,
                              exceptions_path=opts.exceptions_path, workers=opts.gate_workers,
                              **_audit_of(opts))
        out(_gate_text(up_gate))
        verdict = Verdict.of(up_gate.verdict)
        if verdict is None or not verdict.is_proof:  # NO-GO, ERROR, PARTIAL: not a pass
            return _refuse_upstream(opts, catalog, url, start, end, up_gate, out, run_id, kind)
        out(f"{upstream} is GO: starting {opts.phase}")
        return backfill(opts, out=out, progress=progress, confirm=confirm, processor=processor, gate_fn=gate_fn,
                        policy=policy, kind=kind, upstream_gate=up_gate, run_id=run_id)


def _refuse_upstream(opts: Options, catalog: Catalog, url: str, start: dt.date, end: dt.date,
                     up_gate: GateResult, out: Callable[[str], None], run_id: str, kind: str) -> RunOutcome:
    """Upstream NO-GO: nothing of this phase is written; say exactly which tables and dates to fix."""
    from phasegate.warehouse import open_warehouse

    upstream = up_gate.phase
    state_dir = catalog.state_dir
    lines = [f"{opts.phase} NOT started: the upstream phase {upstream} is {up_gate.verdict}; nothing was written."]
    fix_plan = None
    if up_gate.verdict == "NO-GO":
        try:
            wh = open_warehouse(url, read_only=True)
            try:
                exclusions = load_exclusions(catalog, opts.exceptions_path)
                fix_plan = build_plan(wh, catalog, upstream, start=start, end=end, exclusions=exclusions)
            finally:
                wh.close()
        except PhasegateError as exc:
            lines.append(f"(could not list the dates to fix: {exc})")
    if fix_plan is not None and (not fix_plan.is_empty or fix_plan.total_unbuildable):
        lines.append(f"{upstream} tables to fix, and their dates:")
        from phasegate.runner.outcome import group_by_reason

        for name, tp in fix_plan.tables.items():
            if tp.reasons:
                why = reason_text(tp.reason_counts())
                lines.append(f"  {name}: {len(tp.reasons)} dates ({why}): {fix_plan.ranges(tp.dates)}")
            for why, dates in group_by_reason(tp.unbuildable).items():
                lines.append(f"  {name}: {len(dates)} date(s) no backfill can build ({why}): {fix_plan.ranges(dates)}")
    for name, reason in up_gate.failing_tables.items():
        if fix_plan is None or not fix_plan.tables.get(name) or not fix_plan.tables[name].reasons:
            lines.append(f"  {name}: {reason}")
    again = "phasegate run" if kind == "run" else "phasegate backfill"
    lines.append(f"fix with: phasegate backfill {upstream} --yes   then: {again} {opts.phase} --yes")
    lines.append(f"(an expert may write anyway with --skip-upstream-gate: the run log records who, and every "
                 f"later {opts.phase} report shows it)")
    for line in lines:
        out(line)
    with RunLog(state_dir, run_id) as log:
        log.write("start", kind=kind, phase=opts.phase, command=opts.command, pid=os.getpid(),
                  host=socket.gethostname(), warehouse=url, window={"start": start, "end": end}, gate=opts.gate)
        log.write("upstream_gate", phase=upstream, verdict=up_gate.verdict, exit_code=up_gate.exit_code,
                  run_dir=up_gate.run_dir, failing_tables=up_gate.failing_tables)
        code = EXIT_NO_GO if up_gate.verdict == "NO-GO" else (up_gate.exit_code or EXIT_CANNOT_VALIDATE)
        log.write("verdict", verdict="NO-GO" if code == EXIT_NO_GO else "ERROR", exit_code=code,
                  message=lines[0], failed={}, retry=[f"phasegate backfill {upstream} --yes"])
    outcome = RunOutcome(opts.phase, run_id, "NO-GO" if code == EXIT_NO_GO else "ERROR", code, plan=fix_plan,
                         upstream_gate=up_gate, log_path=state_dir / "runs" / f"{run_id}.jsonl", messages=lines,
                         retry=[f"phasegate backfill {upstream} --yes"], gate=None)
    share_run(url, outcome.log_path, chunks=False)
    _notify_end("run", opts, catalog, url, start, end, dataclasses.replace(outcome, gate=up_gate))
    return outcome


