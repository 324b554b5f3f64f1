"""`phasegate catalog` and `phasegate calendar`: what the pipeline is, and what is expected."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from phasegate.cli import app
from phasegate.cli.options import (
    CatalogOpt,
    EndOpt,
    JsonOpt,
    StartOpt,
    WarehouseOpt,
)
from phasegate.model.catalog import load_catalog

PhaseArg = Annotated[str | None, typer.Argument(metavar="PHASE", help="Only this phase (default: every phase).", show_default=False)]
# The positional phase is the convention; `--phase` stays accepted (hidden) for older scripts.
OldPhaseOpt = Annotated[str | None, typer.Option("--phase", hidden=True)]


@app.command("catalog")
def catalog_command(phase: PhaseArg = None, catalog: CatalogOpt = None, as_json: JsonOpt = False,
                    phase_option: OldPhaseOpt = None) -> None:
    """List every catalogued table with its phase, dataset, key and dependencies."""
    from phasegate.cli.terminal import console, make_table

    cat = load_catalog(catalog)
    phase = phase or phase_option
    tables = cat.tables_of(phase) if phase else list(cat.tables.values())
    order = {name: i for i, name in enumerate(cat.topological_order())}
    tables.sort(key=lambda t: (t.phase, order[t.name]))
    if as_json:
        print(json.dumps([{
            "table": t.name, "phase": t.phase, "dataset": t.dataset, "grain": t.grain, "key": list(t.key),
            "date_column": t.date_column, "upstream": list(t.upstream),
            "processor": list(t.processor) if isinstance(t.processor, tuple) else t.processor,
            "date_coverage": t.date_coverage, "game_coverage": t.game_coverage, "bootstrap": t.bootstrap,
        } for t in tables], indent=2))
        return
    out = make_table(f"{cat.path} ({len(tables)} tables)",
                     ("phase", "table", "grain", "key", "date", "upstream", "processor", "coverage", "bootstrap"),
                     names={"table": [t.ref for t in tables], "phase": [t.phase for t in tables]})
    for t in tables:
        processor = " ".join(t.processor) if isinstance(t.processor, tuple) else (t.processor or "(scraped)")
        out.add_row(t.phase, t.ref, t.grain, ", ".join(t.key), t.date_column, ", ".join(t.upstream) or "-",
                    processor, f"{t.date_coverage:.0%} / {t.game_coverage:.0%}", t.bootstrap)
    console().print(out)


@app.command("calendar")
def calendar_command(start_date: StartOpt = None, end_date: EndOpt = None, warehouse: WarehouseOpt = None,
                     catalog: CatalogOpt = None, as_json: JsonOpt = False) -> None:
    """Game dates, bootstrap dates and expected dates in a window, per season, from the schedule."""
    from phasegate.measure.calendar import load_calendar
    from phasegate.warehouse import open_warehouse

    cat = load_catalog(catalog)
    from phasegate.measure.calendar import live_window

    start, end = live_window(cat, start_date, end_date, warehouse=warehouse)
    wh = open_warehouse(warehouse, read_only=True)
    try:
        summary = load_calendar(wh, cat, start, end).summary()
    finally:
        wh.close()
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    from phasegate.cli.terminal import console, make_table

    columns = ("season", "game dates", "bootstrap", "expected", "games")
    out = make_table(f"Calendar {start} .. {end}", columns, right=columns)
    for s in summary["seasons"]:
        out.add_row(s["season"], str(s["game_dates"]), str(s["bootstrap_dates"]), str(s["expected_dates"]),
                    str(s["games"]))
    t = summary["total"]
    out.add_row("total", str(t["game_dates"]), str(t["bootstrap_dates"]), str(t["expected_dates"]), str(t["games"]),
                style="bold")
    console().print(out)
