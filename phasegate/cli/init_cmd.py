"""`phasegate init`: datasets and phase 3/4 tables, with partitioning and clustering."""

from __future__ import annotations

from typing import Annotated

import typer

from phasegate.cli import app
from phasegate.cli.options import (
    CatalogOpt,
    WarehouseOpt,
)
from phasegate.model.catalog import load_catalog


@app.command("init")
def init_command(
    phase: Annotated[str | None, typer.Argument(metavar="PHASE", help="Only this phase (default: every phase).",
                                                show_default=False)] = None,
    warehouse: WarehouseOpt = None,
    catalog: CatalogOpt = None,
    phase_option: Annotated[str | None, typer.Option("--phase", hidden=True)] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Create without asking (on BigQuery init asks first; "
                                                          "needed there without a terminal).")] = False,
) -> None:
    """Create the catalog's datasets and the processor-built tables (idempotent).

    Raw (phase-2) tables are the scrapers': only their dataset is created. Each phase 3/4
    table takes its schema from its processor's SELECT, is partitioned by day on its date
    column and clustered as the catalog says. On BigQuery (a shared project) it first prints
    what it will create and asks (or --yes).
    """
    from phasegate.errors import UsageError
    from phasegate.runner.init import init_warehouse, missing_inputs, missing_message
    from phasegate.warehouse import new_local_file, open_warehouse

    cat = load_catalog(catalog)
    if phase is not None and phase_option is not None and phase != phase_option:
        raise UsageError(f"the phase is given twice ({phase!r} and --phase {phase_option[:60]!r}): give it once")
    phase = phase or phase_option
    new_file = new_local_file(warehouse)
    if new_file:
        # a new file holds no table: refuse before creating it if init would need some
        missing = missing_inputs(cat, phase, lambda t: False)
        if missing:
            raise UsageError(f"warehouse file {new_file} does not exist, and {missing_message(cat, missing)}")
        typer.echo(f"creating a new warehouse file {new_file}")
    wh = open_warehouse(warehouse, create=True)
    try:
        if wh.capabilities.dialect == "bigquery" and not yes and not _confirmed(wh, cat, phase):
            typer.echo(f"init: not confirmed, nothing created on {wh.url}")
            raise typer.Exit(2)
        steps = init_warehouse(wh, cat, phase)
    finally:
        wh.close()
    for step in steps:
        note = f"  ({step.note})" if step.note else ""
        typer.echo(f"  {step.kind:<8} {step.name:<45} {step.action}{note}")
    created = sum(s.action == "created" for s in steps if s.kind == "table")
    typer.echo(f"init: {created} table(s) created, {sum(s.action == 'exists' for s in steps)} already there "
               f"on {wh.url}")


def _confirmed(wh, cat, phase: str | None) -> bool:
    """Print what init would create on BigQuery, then ask; no terminal is a refusal (exit 2)."""
    import sys

    from phasegate.errors import UsageError
    from phasegate.runner.init import plan_init

    steps = plan_init(wh, cat, phase)
    todo = [s for s in steps if s.action != "exists"]
    if not todo:
        return True  # nothing to create: init only reports
    typer.echo(f"init will create on {wh.url}:")
    for step in todo:
        note = f"  ({step.note})" if step.note else ""
        typer.echo(f"  {step.kind:<8} {step.name:<45} {step.action}{note}")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(f"refusing to init {wh.url} without confirmation: no terminal to ask on; pass --yes")
    try:
        return typer.confirm(f"Create {len(todo)} dataset(s)/table(s) on {wh.url}?", default=False)
    except typer.Abort:
        return False
