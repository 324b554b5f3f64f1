"""`phasegate demo`: build the synthetic demo warehouse (DuckDB by default)."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from phasegate.cli import app
from phasegate.cli.options import CatalogOpt, WarehouseOpt
from phasegate.model.catalog import load_catalog


@app.command("demo")
def demo_command(
    scenario: Annotated[str, typer.Option(help="raw | clean | incident (the handoff's state) | phase4-on-gap (phase 4 built over phase 3's gaps, then phase 3 backfilled).")] = "incident",
    warehouse: WarehouseOpt = None,
    catalog: CatalogOpt = None,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same warehouse.")] = 7,
    extra_seasons: Annotated[int, typer.Option(help="Whole seasons added before 2021-22 (benchmarks).")] = 0,
    games_scale: Annotated[float, typer.Option(help="Multiply games per date (benchmarks).")] = 1.0,
) -> None:
    """Write the demo warehouse: raw phase 2, then phases 3 and 4 as the scenario says."""
    from phasegate.demo.scenarios import SCENARIOS, build_scenario
    from phasegate.errors import UsageError
    from phasegate.warehouse import open_warehouse

    if scenario not in SCENARIOS:
        raise UsageError(f"unknown scenario {scenario!r}; choose one of: {', '.join(SCENARIOS)}")
    if extra_seasons < 0 or games_scale <= 0:
        raise UsageError("--extra-seasons must be >= 0 and --games-scale > 0")
    cat = load_catalog(catalog)
    started = time.perf_counter()
    wh = open_warehouse(warehouse)
    try:
        counts = build_scenario(wh, cat, scenario, seed=seed, extra_seasons=extra_seasons, games_scale=games_scale)
    finally:
        wh.close()
    for table, rows in counts.items():
        typer.echo(f"  {table:<45} {rows:>10,} rows")
    typer.echo(f"demo scenario {scenario!r} written to {wh.url} in {time.perf_counter() - started:.1f}s")
