"""`phasegate exceptions suggest PHASE`: from a gap no backfill can fill to a documented exception.

    phasegate exceptions suggest phase3            print the entries (the evidence as the reason)
    phasegate exceptions suggest phase3 --write    append them to exceptions.toml

The entries leave `approved_by` and `expires` empty: they are not applied (and the gate says
so) until a person fills them in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from phasegate.cli import PhasegateTyper, app
from phasegate.cli.options import CatalogOpt, EndOpt, ExceptionsOpt, StartOpt, WarehouseOpt

exceptions_app = PhasegateTyper(help="Documented exceptions (exceptions.toml): approved, known gaps.",
                                no_args_is_help=True)
app.add_typer(exceptions_app, name="exceptions")


@exceptions_app.command("suggest")
def suggest_command(
    phase: Annotated[str, typer.Argument(metavar="PHASE", help="The phase whose gaps to look at (e.g. phase3).")],
    start_date: StartOpt = None, end_date: EndOpt = None, warehouse: WarehouseOpt = None,
    catalog: CatalogOpt = None, exceptions: ExceptionsOpt = None,
    write: Annotated[bool, typer.Option("--write", help="Append the entries to the exceptions file.")] = False,
) -> None:
    """Entries for the dates and games whose raw inputs do not exist (exit 0; nothing to suggest is fine)."""
    from phasegate.measure.calendar import live_window
    from phasegate.measure.provenance import propose_exceptions
    from phasegate.model.catalog import load_catalog
    from phasegate.model.exceptions import DEFAULT_PATH, append_proposals, load_exceptions, render_proposals
    from phasegate.warehouse import open_warehouse, resolve_url

    cat = load_catalog(catalog)
    cat.phase(phase)
    window = live_window(cat, start_date, end_date, warehouse=warehouse)
    path = Path(exceptions) if exceptions else cat.root / DEFAULT_PATH
    known = load_exceptions(path, cat, required=exceptions is not None)
    wh = open_warehouse(resolve_url(warehouse), read_only=True)
    try:
        proposals = propose_exceptions(wh, cat, phase, window.start, window.end, known)
    finally:
        wh.close()
    if not proposals:
        typer.echo(f"{phase}: no gap to document in {window.start}..{window.end}: every missing date and game "
                   "is either buildable or already named in " + str(path))
        return
    if not write:
        typer.echo(render_proposals(proposals), nl=False)
        typer.echo(f"# {len(proposals)} entr{'y' if len(proposals) == 1 else 'ies'}; append them with --write, "
                   "then fill in approved_by and expires", err=True)
        return
    added = append_proposals(path, proposals, cat)
    typer.echo(render_proposals(proposals), nl=False)
    typer.echo(f"appended {added} entr{'y' if added == 1 else 'ies'} to {path}: not applied until a person fills "
               "in approved_by and expires")
