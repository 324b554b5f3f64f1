"""`phasegate demo`: build the synthetic demo warehouse (DuckDB by default)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from phasegate.cli import app
from phasegate.cli.options import CatalogOpt, WarehouseOpt
from phasegate.model.catalog import load_catalog

# The generator's limits (phasegate.demo.raw): 23 synthetic leagues; 40 seasons before 2021-22.
MAX_GAMES_SCALE = 23.0
MAX_EXTRA_SEASONS = 40


@app.command("demo")
def demo_command(
    scenario: Annotated[str, typer.Option(help="raw | clean | incident (the handoff's state) | phase4-on-gap (phase 4 built over phase 3's gaps, then phase 3 backfilled).")] = "incident",
    warehouse: WarehouseOpt = None,
    catalog: CatalogOpt = None,
    seed: Annotated[int, typer.Option(min=0, max=2**63 - 1,
                                      help="Random seed; the same seed gives the same warehouse.")] = 7,
    extra_seasons: Annotated[int, typer.Option(min=0, max=MAX_EXTRA_SEASONS,
                                               help="Whole seasons added before 2021-22 (benchmarks).")] = 0,
    games_scale: Annotated[float, typer.Option(min=1.0, max=MAX_GAMES_SCALE,
                                               help="Multiply games per date (benchmarks).")] = 1.0,
    force: Annotated[bool, typer.Option(
        "--force", help="Write even to a warehouse that is not on this machine or holds non-demo data.")] = False,
) -> None:
    """Write the demo warehouse: raw phase 2, then phases 3 and 4 as the scenario says.

    It replaces every raw table and drops every phase-3/4 table, so it refuses a warehouse that is
    not on this machine (only a DuckDB file or the local BigQuery emulator) or that holds tables it
    did not write (no demo marker), unless --force.
    """
    from phasegate.demo.guard import check_contents, check_url
    from phasegate.demo.scenarios import SCENARIOS, build_scenario
    from phasegate.errors import UsageError
    from phasegate.warehouse import check_url as check_warehouse_url
    from phasegate.warehouse import new_local_file, open_warehouse, resolve_url

    if scenario not in SCENARIOS:
        raise UsageError(f"unknown scenario {scenario[:80]!r}; choose one of: {', '.join(SCENARIOS)}")
    cat = load_catalog(catalog)
    url = check_warehouse_url(resolve_url(warehouse), create=True)
    check_url(url, force=force)
    started = time.perf_counter()
    new_file = new_local_file(url)
    wh = open_warehouse(url, create=True)
    if new_file:
        typer.echo(f"creating a new warehouse file {new_file}")
    try:
        check_contents(wh, cat, force=force)
        typer.echo(f"demo: writing scenario {scenario!r} to {wh.url} (raw tables replaced, phase 3/4 rebuilt)")
        counts = build_scenario(wh, cat, scenario, seed=seed, extra_seasons=extra_seasons, games_scale=games_scale)
    except BaseException:
        wh.close()
        if new_file:  # a demo that did not finish leaves no half-built warehouse behind
            for leftover in (new_file, f"{new_file}.wal"):
                Path(leftover).unlink(missing_ok=True)
        raise
    wh.close()
    for table, rows in counts.items():
        typer.echo(f"  {table:<45} {rows:>10,} rows")
    typer.echo(f"demo scenario {scenario!r} written to {wh.url} in {time.perf_counter() - started:.1f}s")
