"""`phasegate backfill`, `phasegate run` and `phasegate runs`: fill what is missing, then gate.

    phasegate backfill phase3 --yes                     only what the gate calls missing
    phasegate backfill phase3 --table X --dates A..B    narrow (dependencies still expand it)
    phasegate backfill phase3 --dry-run [--json]        print the plan, write nothing
    phasegate run phase4 --yes                          gate phase3, backfill phase4, gate phase4
    phasegate runs [PHASE]                              recent runs and outcomes
    phasegate runs show RUN                             one run's plan, chunks and verdict
"""

from __future__ import annotations

import json
import signal
import sys
from typing import Annotated

import typer

from phasegate.cli import PhasegateGroup, PhasegateTyper, app
from phasegate.cli.options import (
    AuditOpt,
    CatalogOpt,
    EndOpt,
    ExceptionsOpt,
    JsonOpt,
    MaxBytesOpt,
    PytestWorkersOpt,
    StartOpt,
    TablesParallelOpt,
    WarehouseOpt,
)
from phasegate.model.catalog import load_catalog

TableOpt = Annotated[list[str] | None, typer.Option("--table", "-t", help="Only this table (repeatable).")]
DatesOpt = Annotated[str | None, typer.Option(
    "--dates", help="Only these dates: D,D,... or ranges A..B (comma-separated).")]
AllOpt = Annotated[bool, typer.Option("--all", help="Every game date, not only missing/partial ones.")]
ChunkOpt = Annotated[int, typer.Option("--chunk-days", min=1, max=3660,
                                       help="At most this many game dates per processor call.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Print the plan and exit; write nothing.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (needed without a terminal).")]
NoGateOpt = Annotated[bool, typer.Option("--no-gate", help="Do not run the phase's gate at the end.")]
SkipUpstreamGateOpt = Annotated[bool, typer.Option(
    "--skip-upstream-gate", help="Expert override: write without gating the upstream phase first (recorded in the "
                                 "run log with who and when; shown on every later report of the phase).")]
AllowFewerRowsOpt = Annotated[bool, typer.Option(
    "--allow-fewer-rows", help="Accept a chunk that builds fewer rows for a date than it replaces (e.g. players "
                               "rightly removed); a lost game, a repeated key or a missing date is still rejected. "
                               "Recorded in the run log.")]
RetriesOpt = Annotated[int, typer.Option("--retries", min=0, max=20, help="Retries of a chunk after a transient error.")]
BackoffOpt = Annotated[float, typer.Option("--backoff", min=0.0, max=3600.0,
                                           help="First retry delay in seconds (doubles each time).")]


def _options(phase: str, *, warehouse: str | None, catalog: str, start_date: str | None, end_date: str | None,
             table: list[str] | None, dates: str | None, all_dates: bool, tables_parallel: int, chunk_days: int,
             dry_run: bool, yes: bool, no_gate: bool, exceptions: str | None, retries: int, backoff: float,
             pytest_workers: int | None, max_bytes: str | None = None, audit: str | None = None,
             skip_upstream_gate: bool = False, allow_fewer_rows: bool = False):
    from phasegate.cli.options import command_line, parse_bytes, parse_dates
    from phasegate.errors import UsageError
    from phasegate.model.window import parse_bound
    from phasegate.runner.orchestrate import Options

    if tables_parallel < 1:
        raise UsageError("--tables-parallel must be at least 1")
    from phasegate.model.catalog import AUDIT_MODES

    if audit is not None and audit not in AUDIT_MODES:
        raise UsageError(f"--audit must be one of {', '.join(AUDIT_MODES)} (got {audit!r})")
    if chunk_days < 1:
        raise UsageError("--chunk-days must be at least 1")
    if retries < 0 or not 0 <= backoff < float("inf"):
        raise UsageError("--retries and --backoff must be >= 0 (and --backoff finite)")
    return Options(
        phase=phase, warehouse_url=warehouse, catalog_path=catalog,
        start=parse_bound(start_date, "--start-date") if start_date is not None else None,
        end=parse_bound(end_date, "--end-date") if end_date is not None else None,
        tables=list(table) if table else None, dates=parse_dates(dates) if dates else None,
        all_dates=all_dates, workers=tables_parallel, chunk_days=chunk_days, dry_run=dry_run, yes=yes,
        gate=not no_gate, exceptions_path=exceptions, interactive=sys.stdin.isatty() and sys.stdout.isatty(),
        retries=retries, backoff_s=backoff, command=command_line(), gate_workers=pytest_workers, audit=audit,
        max_bytes=parse_bytes(max_bytes) if max_bytes is not None else None,
        skip_upstream_gate=skip_upstream_gate, allow_fewer_rows=allow_fewer_rows,
    )


def _confirm(plan) -> bool:
    """Ask on the terminal; no answer (end of input) is no."""
    try:
        return typer.confirm(f"Run {plan.total_chunks} chunk(s) over {plan.total_dates} table-dates?",
                             default=False)
    except typer.Abort:
        return False


def _sigterm_as_interrupt() -> None:
    def handler(signum, frame):
        raise KeyboardInterrupt
    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        pass


def _go(kind: str, opts, as_json: bool = False) -> None:
    from phasegate.cli.progress import make_progress
    from phasegate.runner.orchestrate import backfill, run_phase

    if as_json and not opts.dry_run:
        from phasegate.errors import UsageError

        raise UsageError("--json prints the plan: use it with --dry-run")
    _sigterm_as_interrupt()
    progress = None if opts.dry_run else make_progress()
    fn = backfill if kind == "backfill" else run_phase
    lines: list[str] = []
    out = lines.append if as_json else typer.echo
    try:
        outcome = fn(opts, out=out, progress=progress, confirm=_confirm)
    finally:
        if progress is not None:
            progress.close()
    if as_json:
        plan = outcome.plan.to_json() if outcome.plan is not None else None
        typer.echo(json.dumps({"phase": opts.phase, "verdict": str(outcome.verdict), "exit_code": outcome.exit_code,
                               "plan": plan, "messages": [line for line in lines if line]}, indent=2, default=str))
    raise typer.Exit(outcome.exit_code)


@app.command("backfill")
def backfill_command(
    phase: Annotated[str, typer.Argument(metavar="PHASE", help="The phase to backfill (e.g. phase3).")],
    table: TableOpt = None, start_date: StartOpt = None, end_date: EndOpt = None, dates: DatesOpt = None,
    all_dates: AllOpt = False, tables_parallel: TablesParallelOpt = 4, chunk_days: ChunkOpt = 30,
    dry_run: DryRunOpt = False, yes: YesOpt = False, no_gate: NoGateOpt = False, warehouse: WarehouseOpt = None,
    catalog: CatalogOpt = None, exceptions: ExceptionsOpt = None, retries: RetriesOpt = 3,
    backoff: BackoffOpt = 2.0, pytest_workers: PytestWorkersOpt = None, as_json: JsonOpt = False,
    max_bytes: MaxBytesOpt = None,
    audit: AuditOpt = None,
    skip_upstream_gate: SkipUpstreamGateOpt = False,
    allow_fewer_rows: AllowFewerRowsOpt = False,
) -> None:
    """Gate the upstream phase (anything but GO stops here, nothing written), rebuild only what is
    missing (missing and partial dates) in dependency order, then gate PHASE.

    Exit 0 GO (or NOT VALIDATED with --no-gate: every chunk written and verified), 1 NO-GO (the
    upstream phase or the gate says NO-GO, or a chunk failed), 2 usage / refused / locked / stopped
    at the byte cap (CAPPED), 3 could not validate.
    """
    opts = _options(phase, warehouse=warehouse, catalog=catalog, start_date=start_date, end_date=end_date,
                    table=table, dates=dates, all_dates=all_dates, tables_parallel=tables_parallel,
                    chunk_days=chunk_days, dry_run=dry_run, yes=yes, no_gate=no_gate, exceptions=exceptions,
                    retries=retries, backoff=backoff, pytest_workers=pytest_workers, max_bytes=max_bytes, audit=audit,
                    skip_upstream_gate=skip_upstream_gate, allow_fewer_rows=allow_fewer_rows)
    _go("backfill", opts, as_json)


@app.command("run")
def run_command(
    phase: Annotated[str, typer.Argument(metavar="PHASE", help="The phase to run (e.g. phase4).")],
    table: TableOpt = None, start_date: StartOpt = None, end_date: EndOpt = None, dates: DatesOpt = None,
    all_dates: AllOpt = False, tables_parallel: TablesParallelOpt = 4, chunk_days: ChunkOpt = 30,
    dry_run: DryRunOpt = False, yes: YesOpt = False, no_gate: NoGateOpt = False, warehouse: WarehouseOpt = None,
    catalog: CatalogOpt = None, exceptions: ExceptionsOpt = None, retries: RetriesOpt = 3,
    backoff: BackoffOpt = 2.0, pytest_workers: PytestWorkersOpt = None, as_json: JsonOpt = False,
    max_bytes: MaxBytesOpt = None,
    audit: AuditOpt = None,
    skip_upstream_gate: SkipUpstreamGateOpt = False,
    allow_fewer_rows: AllowFewerRowsOpt = False,
) -> None:
    """Gate the upstream phase (NO-GO stops here, nothing written), backfill PHASE, gate PHASE."""
    opts = _options(phase, warehouse=warehouse, catalog=catalog, start_date=start_date, end_date=end_date,
                    table=table, dates=dates, all_dates=all_dates, tables_parallel=tables_parallel,
                    chunk_days=chunk_days, dry_run=dry_run, yes=yes, no_gate=no_gate, exceptions=exceptions,
                    retries=retries, backoff=backoff, pytest_workers=pytest_workers, max_bytes=max_bytes, audit=audit,
                    skip_upstream_gate=skip_upstream_gate, allow_fewer_rows=allow_fewer_rows)
    _go("run", opts, as_json)


class RunsGroup(PhasegateGroup):
    """`phasegate runs [PHASE]` and `phasegate runs show RUN`: a leading word that is not a subcommand is the phase."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["--phase", args[0], *args[1:]]
        return super().parse_args(ctx, args)


runs_app = PhasegateTyper(help="Recent backfill runs and their outcomes: `runs [PHASE]`, `runs show RUN`.",
                          invoke_without_command=True, no_args_is_help=False, cls=RunsGroup,
                          subcommand_metavar="[PHASE] | show RUN")
app.add_typer(runs_app, name="runs")


@runs_app.callback()
def runs_command(ctx: typer.Context,
                 phase: Annotated[str | None, typer.Option("--phase", help="Only this phase (or give it first).",
                                                           show_default=False)] = None,
                 limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many runs.")] = 20,
                 warehouse: WarehouseOpt = None, catalog: CatalogOpt = None, as_json: JsonOpt = False) -> None:
    """List recent runs of every checkout on the warehouse (newest first): status, host, tables, dates, rows, gate."""
    if ctx.invoked_subcommand is not None:
        return
    from phasegate.cli.terminal import console, make_table, style_of
    from phasegate.runner.history import all_runs
    from phasegate.runner.runlog import gate_text, preflight_text

    cat = load_catalog(catalog)
    if phase is not None:
        cat.phase(phase)
    runs = all_runs(cat.state_dir, _history_url(warehouse), phase=phase, limit=limit)
    if as_json:
        print(json.dumps(runs, indent=2, default=str))
        return
    if not runs:
        typer.echo(f"no runs yet under {cat.state_dir / 'runs'} nor in the warehouse")
        return
    out = make_table("Recent runs", ("run", "kind", "status", "host", "started", "duration", "pre-flight",
                                     "dates done/planned", "unbuildable", "failed", "not attempted", "rows",
                                     "billed", "gate"),
                     names={"run": [r["run_id"] for r in runs]},
                     right=("duration", "unbuildable", "failed", "not attempted", "rows"))
    for r in runs:
        def total(key: str, r=r) -> int:
            return sum(t.get(key, 0) for t in r["tables"].values())

        style = style_of(r["status"]) or {"running": "cyan"}.get(str(r["status"]), "")
        status = str(r["status"]) + (" (killed)" if r.get("killed") else "")
        out.add_row(r["run_id"], r.get("kind") or "", f"[{style}]{status}[/]" if style else status,
                    r.get("host") or "", (r.get("started_at") or "")[:19], f"{r['duration_s']}s" if r.get("duration_s") is not None else "",
                    preflight_text(r.get("preflight")), f"{total('done')}/{total('planned')}",
                    str(total("unbuildable")), str(total("failed")), str(total("skipped")), f"{r['rows_written']:,}",
                    _billed(r.get("cost")), gate_text(r))
    console().print(out)


@runs_app.command("show")
def runs_show(run: Annotated[str, typer.Argument(metavar="RUN", help="A run id (or a unique prefix).")],
              warehouse: WarehouseOpt = None, catalog: CatalogOpt = None, as_json: JsonOpt = False) -> None:
    """One run of any checkout: the command, the plan, every chunk attempt, the gate and the verdict."""
    from phasegate.errors import UsageError
    from phasegate.identifiers import check_run_id
    from phasegate.runner.runlog import find_run, gate_text, preflight_text, read_events, summarize

    cat = load_catalog(catalog)
    check_run_id(run)
    url = _history_url(warehouse)
    try:
        path = find_run(cat.state_dir, run)
    except UsageError as not_here:  # not in this checkout's logs: maybe another checkout's run
        _show_shared(run, url, as_json, not_here)
        return
    events = read_events(path)
    if as_json:
        print(json.dumps(events, indent=2))
        return
    s = summarize(events, path)
    typer.echo(f"run {s['run_id']}  {s.get('kind') or ''} {s.get('phase') or ''}  status {s['status']}"
               f"  exit {s['exit_code']}")
    typer.echo(f"  command  {s.get('command') or ''}")
    typer.echo(f"  started  {s.get('started_at')}  finished {s.get('finished_at')}  duration {s.get('duration_s')}s"
               f"  pid {s.get('pid')} on {s.get('host')}")
    typer.echo(f"  log      {path}")
    if s.get("cost"):
        typer.echo(f"  cost     {_cost_text(s['cost'])}")
    if s.get("preflight"):
        typer.echo(f"  pre-flight {preflight_text(s['preflight'], long=True)}")
    typer.echo(f"  gate     {gate_text(s) or 'not yet'}")
    for name, t in s["tables"].items():
        if t.get("planned"):
            typer.echo(f"  {name}: {t.get('done', 0)}/{t['planned']} dates written and verified, "
                       f"{t.get('unbuildable', 0)} unbuildable, {t.get('failed', 0)} failed, "
                       f"{t.get('skipped', 0)} not attempted")
    for e in events:
        kind = e.get("event")
        at = (e.get("at") or "")[11:23]
        if kind == "plan":
            typer.echo(f"{at} plan: {e.get('total_dates')} table-dates in {e.get('total_chunks')} chunk(s)")
            for name, t in (e.get("tables") or {}).items():
                if t.get("dates"):
                    typer.echo(f"{'':12}   {name}: {t['dates']} dates {t.get('reasons')}: {t.get('ranges')}")
        elif kind == "chunk":
            extra = f"{e.get('rows')} rows" if e.get("status") in ("ok", "partial") else (e.get("error") or "")
            if e.get("problems"):
                extra += f"; {e['problems']}"
            if isinstance(e.get("cost"), dict):
                extra += f"  [{_bytes_text(e['cost'])}]"
            typer.echo(f"{at} chunk {e.get('table')} {e.get('start')}..{e.get('end')} ({e.get('dates')} dates) "
                       f"attempt {e.get('attempt')}: {e.get('status')} in {e.get('seconds')}s  {extra}")
        elif kind in ("gate", "upstream_gate"):
            extra = e.get("message") if e.get("skipped") else (e.get("run_dir") or "")
            typer.echo(f"{at} {kind} {e.get('phase')}: {e.get('verdict')}  {extra}")
            for name, reason in (e.get("failing_tables") or {}).items():
                typer.echo(f"{'':12}   {name}: {reason}")
        elif kind == "dates" and e.get("outcome") != "done":
            typer.echo(f"{at} {e.get('outcome')} {e.get('table')}: {e.get('count')} date(s) {e.get('dates')}: "
                       f"{e.get('reason') or ''}")
        elif kind == "table":
            typer.echo(f"{at} table {e.get('table')}: {e.get('done')}/{e.get('planned')} done, "
                       f"{e.get('unbuildable', 0)} unbuildable, {e.get('failed')} failed, "
                       f"{e.get('skipped')} not attempted, {e.get('rows')} rows, {e.get('seconds')}s")
        elif kind == "verdict":
            typer.echo(f"{at} verdict: {e.get('verdict')} (exit {e.get('exit_code')}) {e.get('message') or ''}")
            for cmd in e.get("retry") or []:
                typer.echo(f"{'':12}   retry: {cmd}")
        elif kind == "cost":
            typer.echo(f"{at} cost of the run (planning, dry runs, chunks): {_bytes_text(e.get('run') or {})}")
        elif kind == "lease_takeover":
            typer.echo(f"{at} took over the expired lease on {e.get('table')} from run {(e.get('holder') or {}).get('run_id')}")
        elif kind == "preflight":
            typer.echo(f"{at} pre-flight {e.get('phase')}: {e.get('message') or ''}")
        elif kind == "lock_takeover":
            typer.echo(f"{at} took over a stale lock on {e.get('table')}")


def _history_url(warehouse: str | None) -> str:
    """The warehouse whose shared history `runs` reads. Named (--warehouse, PHASEGATE_WAREHOUSE) and wrong:
    a usage error, before anything is shown; the default one missing: the local runs, said on stderr."""
    import os

    from phasegate.warehouse import ENV_VAR, check_url, resolve_url

    if warehouse is not None or os.environ.get(ENV_VAR) is not None:
        return check_url(resolve_url(warehouse))
    return resolve_url(None)


def _show_shared(run: str, warehouse: str | None, as_json: bool, not_here: Exception) -> None:
    """A run this checkout has no log of: another checkout's, from the warehouse's shared history."""
    from phasegate.errors import UsageError
    from phasegate.runner.history import shared_gate_run, shared_run, why_unreadable
    from phasegate.runner.runlog import gate_text, preflight_text

    reason = why_unreadable(warehouse)
    if reason is not None:  # one line: not here, and why the warehouse could not say
        raise UsageError(f"{not_here}; nor any other checkout's: {reason}") from None
    found = shared_run(warehouse, run)
    if found is None:
        results = shared_gate_run(warehouse, run)
        if results is None:
            raise UsageError(f"{not_here}; nor in the shared history of {warehouse}") from None
        if as_json:
            print(json.dumps(results, indent=2, default=str))
            return
        by = results.get("recorded_by") or {}
        s = results.get("summary") or {}
        typer.echo(f"gate run {results.get('run_id')}  {results.get('phase')}  {results.get('verdict')}"
                   f"  exit {results.get('exit_code')}  (from the warehouse: made by {by.get('user') or '?'} "
                   f"on {by.get('host') or '?'})")
        window = results.get("window") or {}
        typer.echo(f"  window   {window.get('start')}..{window.get('end')}  started {results.get('started_at')}")
        typer.echo(f"  cases    {s.get('passed', 0)} passed, {s.get('warned', 0)} warned, {s.get('failed', 0)} failed, "
                   f"{s.get('error', 0)} error(s) of {s.get('total', 0)}")
        for case in results.get("checks") or []:
            if case.get("outcome") in ("failed", "error", "warned"):
                typer.echo(f"  {case.get('outcome'):<7} {case.get('table') or '(phase)'}: {case.get('family')} "
                           f"{(case.get('message') or '')[:160]}")
        return
    summary, chunks = found
    if as_json:
        print(json.dumps({"run": summary, "chunks": chunks}, indent=2, default=str))
        return
    s = summary
    typer.echo(f"run {s['run_id']}  {s.get('kind') or ''} {s.get('phase') or ''}  status {s.get('status')}"
               f"  exit {s.get('exit_code')}  (from the warehouse: another checkout's run)")
    typer.echo(f"  command  {s.get('command') or ''}")
    typer.echo(f"  started  {s.get('started_at')}  finished {s.get('finished_at')}  duration {s.get('duration_s')}s"
               f"  pid {s.get('pid')} on {s.get('host')}")
    if s.get("cost"):
        typer.echo(f"  cost     {_cost_text(s['cost'])}")
    if s.get("preflight"):
        typer.echo(f"  pre-flight {preflight_text(s['preflight'], long=True)}")
    typer.echo(f"  gate     {gate_text(s) or 'not yet'}")
    for name, t in (s.get("tables") or {}).items():
        if t.get("planned"):
            typer.echo(f"  {name}: {t.get('done', 0)}/{t['planned']} dates written and verified, "
                       f"{t.get('unbuildable', 0)} unbuildable, {t.get('failed', 0)} failed, "
                       f"{t.get('skipped', 0)} not attempted")
    for e in chunks:
        extra = f"{e.get('rows')} rows" if e.get("status") in ("ok", "partial") else (e.get("error") or "")
        typer.echo(f"{(e.get('at') or '')[11:23]} chunk {e.get('table')} {e.get('start')}..{e.get('end')} "
                   f"({e.get('dates')} dates) attempt {e.get('attempt')}: {e.get('status')} in {e.get('seconds')}s  "
                   f"{extra}  [{_bytes_text(e['cost'])}]")


def _bytes_text(cost: dict) -> str:
    from phasegate.runner.cost import describe

    return describe(cost)


def _cost_text(cost: dict) -> str:
    """The run's cost in one line: chunks summed, the whole backfill, the gate after it."""
    from phasegate.warehouse.cost import format_bytes

    parts = [f"chunks {_bytes_text(cost.get('chunks') or {})}"]
    if cost.get("run"):
        parts.append(f"whole backfill {_bytes_text(cost['run'])}")
    if cost.get("gate"):
        parts.append(f"gate {_bytes_text(cost['gate'])}")
    if cost.get("max_bytes"):
        parts.append(f"cap {format_bytes(cost['max_bytes'])}")
    return "; ".join(parts)


def _billed(cost: dict | None) -> str:
    """Bytes billed by the backfill (its whole run, else its chunks): 0 on DuckDB, '?' when unknown."""
    from phasegate.warehouse.cost import format_bytes

    if not cost:
        return ""
    billed = (cost.get("run") or cost.get("chunks") or {}).get("bytes_billed")
    return "?" if billed is None else format_bytes(billed)
