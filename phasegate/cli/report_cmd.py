"""`phasegate report` and `phasegate signoff`: the sign-off HTML report of a gate run."""

from __future__ import annotations

from typing import Annotated

import typer

from phasegate.cli import app
from phasegate.cli.options import (
    CatalogOpt,
    WarehouseOpt,
)
from phasegate.model.catalog import load_catalog


@app.command("report")
def report_command(
    target: Annotated[str | None, typer.Argument(
        metavar="PHASE|RUN_ID", help="A phase (its latest run) or a run id (default: the latest run).",
        show_default=False)] = None,
    phase: Annotated[str | None, typer.Option("--phase", hidden=True)] = None,
    warehouse: WarehouseOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Re-render a gate run's report.html from its results.json (and the reports index).

    With a warehouse (--warehouse or PHASEGATE_WAREHOUSE), the report lists every signer in the
    warehouse and the index the runs and sign-offs of every checkout on it; without one, this
    checkout's."""
    import time

    from phasegate.report.render import write_report
    from phasegate.report.signoff import signers
    from phasegate.report.store import find_run_dir, latest_run_dir, load_results

    cat = load_catalog(catalog)
    root = cat.reports_dir
    run_id = target
    if target is not None and target in cat.phases:
        phase, run_id = target, None
    if phase:
        cat.phase(phase)
    run_dir = find_run_dir(root, run_id) if run_id else latest_run_dir(root, phase)
    started = time.perf_counter()
    url = warehouse or None
    everyone = signers(root, url, load_results(run_dir).get("run_id") or run_dir.name) if url else None
    out = write_report(run_dir, catalog=cat, signoffs=everyone, warehouse_url=url)
    typer.echo(f"{out} ({out.stat().st_size / 1e3:.0f} kB, {time.perf_counter() - started:.2f}s); "
               f"index: {root / 'index.html'}")


@app.command("signoff")
def signoff_command(
    phase: Annotated[str, typer.Argument(help="Phase of the run signed.")],
    run_id: Annotated[str | None, typer.Argument(
        metavar="RUN_ID", help="The gate run to sign, of this checkout or any other on the warehouse "
        "(default: the latest GO run of PHASE).", show_default=False)] = None,
    by: Annotated[str | None, typer.Option(
        "--by", help="Who signs off (default: git user.name <user.email>, else the active gcloud account).",
        show_default=False)] = None,
    note: Annotated[str | None, typer.Option("--note", help="A note recorded with the sign-off.")] = None,
    warehouse: WarehouseOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Sign a GO run of PHASE: only a GO run whose checklist is complete and whose data has not changed since."""
    from phasegate.report.signer import default_signer
    from phasegate.report.signoff import sign

    cat = load_catalog(catalog)
    cat.phase(phase)
    who = by if by is not None else default_signer()
    record = sign(phase, who, catalog=cat, reports_root=cat.reports_dir, run_id=run_id, warehouse_url=warehouse,
                  note=note)
    if run_id is None:
        typer.echo(f"the latest GO run of {phase}: {record['run_id']}")
    if record.get("already"):
        typer.echo(f"{record['by']} already signed {record['run_id']} ({phase}) at {record['at']}; nothing changed")
    else:
        typer.echo(f"signed off {record['run_id']} ({phase}, GO) by {record['by']} at {record['at']}; "
                   f"data fingerprint {record['fingerprint']}")
    if record.get("warning"):
        typer.echo(f"warning: {record['warning']}", err=True)
    others = ", ".join(f"{s['by']} ({s['at']})" for s in record.get("signers") or [])
    typer.echo(f"signed by: {others}")
    typer.echo(f"report: {record['report']}" if record.get("report")
               else f"report: none in this checkout (the run was gated elsewhere); index: {cat.reports_dir / 'index.html'}")
