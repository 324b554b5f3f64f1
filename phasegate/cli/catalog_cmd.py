"""`phasegate catalog` and `phasegate calendar`: what the pipeline is, and what is expected."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table as RichTable

from phasegate.cli import app
from phasegate.cli.options import (
    CatalogOpt,
    EndOpt,
    JsonOpt,
    StartOpt,
    WarehouseOpt,
)
from phasegate.model.catalog import load_catalog
from phasegate.model.window import resolve_window


@app.command("catalog")
def catalog_command(catalog: CatalogOpt = None, as_json: JsonOpt = False,
                    phase: str | None = typer.Option(None, help="Only this phase.")) -> None:
    """List every catalogued table with its phase, dataset, key and dependencies."""
    cat = load_catalog(catalog)
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
    out = RichTable(title=f"{cat.path} ({len(tables)} tables)")
    for col in ("phase", "table", "grain", "key", "date", "upstream", "processor", "coverage", "bootstrap"):
        out.add_column(col, overflow="fold")
    for t in tables:
        processor = " ".join(t.processor) if isinstance(t.processor, tuple) else (t.processor or "(scraped)")
        out.add_row(t.phase, t.ref, t.grain, ", ".join(t.key), t.date_column, ", ".join(t.upstream) or "-",
                    processor, f"{t.date_coverage:.0%} / {t.game_coverage:.0%}", t.bootstrap)
    Console(width=200).print(out)


@app.command("calendar")
def calendar_command(start_date: StartOpt = None, end_date: EndOpt = None, warehouse: WarehouseOpt = None,
                     catalog: CatalogOpt = None, as_json: JsonOpt = False) -> None:
    """Game dates, bootstrap dates and expected dates in a window, per season, from the schedule."""
    from phasegate.measure.calendar import load_calendar
    from phasegate.warehouse import open_warehouse

    cat = load_catalog(catalog)
    start, end = resolve_window(cat, start_date, end_date)
    wh = open_warehouse(warehouse, read_only=True)
    try:
        summary = load_calendar(wh, cat, start, end).summary()
    finally:
        wh.close()
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    out = RichTable(title=f"Calendar {start} .. {end}")
    for col in ("season", "game dates", "bootstrap", "expected", "games"):
        out.add_column(col, justify="right")
    for s in summary["seasons"]:
        out.add_row(s["season"], str(s["game_dates"]), str(s["bootstrap_dates"]), str(s["expected_dates"]),
                    str(s["games"]))
    t = summary["total"]
    out.add_row("total", str(t["game_dates"]), str(t["bootstrap_dates"]), str(t["expected_dates"]), str(t["games"]),
                style="bold")
    Console().print(out)
