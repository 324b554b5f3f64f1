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
) -> None:
    """Create the catalog's datasets and the processor-built tables (idempotent).

    Raw (phase-2) tables are the scrapers': only their dataset is created. Each phase 3/4
    table takes its schema from its processor's SELECT, is partitioned by day on its date
    column and clustered as the catalog says.
    """
    from phasegate.runner.init import init_warehouse
    from phasegate.warehouse import open_warehouse

    cat = load_catalog(catalog)
    phase = phase or phase_option
    wh = open_warehouse(warehouse)
    try:
        steps = init_warehouse(wh, cat, phase)
    finally:
        wh.close()
    for step in steps:
        note = f"  ({step.note})" if step.note else ""
        typer.echo(f"  {step.kind:<8} {step.name:<45} {step.action}{note}")
    created = sum(s.action == "created" for s in steps)
    typer.echo(f"init: {created} table(s) created, {sum(s.action == 'exists' for s in steps)} already there "
               f"on {wh.url}")
