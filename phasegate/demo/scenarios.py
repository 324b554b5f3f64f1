"""Demo scenarios: the raw warehouse, then phases 3 and 4 in the state a scenario describes.

raw       phase 2 only
clean     raw + complete phase 3 + complete phase 4
incident  the handoff's state: phase 3 partly filled (3 of 5 tables incomplete), phase 4 empty
"""

from __future__ import annotations

from phasegate.catalog import Catalog
from phasegate.warehouse import Warehouse

SCENARIOS = ("raw", "clean", "incident")


def load_raw(warehouse: Warehouse, catalog: Catalog, *, seed: int = 7, extra_seasons: int = 0,
             games_scale: float = 1.0) -> dict[str, int]:
    """Generate the raw tables and load them, replacing whatever was there."""
    from phasegate.demo.raw import generate_raw

    counts: dict[str, int] = {}
    for name, data in generate_raw(seed, extra_seasons=extra_seasons, games_scale=games_scale).items():
        table = catalog.table(name)
        counts[table.ref] = warehouse.load_table(table.dataset, table.name, data, replace=True)
    return counts


def build_scenario(warehouse: Warehouse, catalog: Catalog, scenario: str, *, seed: int = 7,
                   extra_seasons: int = 0, games_scale: float = 1.0) -> dict[str, int]:
    counts = load_raw(warehouse, catalog, seed=seed, extra_seasons=extra_seasons, games_scale=games_scale)
    if scenario == "raw":
        return counts
    raise NotImplementedError(f"scenario {scenario!r} needs the phase-3/4 processors")
