"""The demo writes only where it may: a warehouse on this machine that holds demo data or nothing.

`phasegate demo` replaces every raw table and drops every phase-3/4 table, so before it writes:

* the warehouse must live on this machine (a DuckDB file, or BigQuery's emulator on a loopback
  `api_endpoint`): `bigquery://nba-props-platform`, set in PHASEGATE_WAREHOUSE for production
  work, is refused;
* it must hold nothing but demo data: a warehouse the demo wrote carries its marker
  (`phasegate_demo.marker`, written before the first demo row); one holding any catalogued
  table without the marker holds someone's data and is refused.

`--force` overrides both. The marker goes in first, so a demo that stops halfway still reads
as a demo warehouse next time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from phasegate.errors import UsageError
from phasegate.model.catalog import Catalog
from phasegate.warehouse import Warehouse, capabilities_of

MARKER_DATASET = "phasegate_demo"
MARKER_TABLE = "marker"


class NotADemoWarehouse(UsageError):
    """The demo would overwrite a warehouse that is not its own (exit 2; --force overrides)."""


@dataclass(frozen=True)
class Target:
    url: str
    marked: bool                 # the demo's marker is there
    catalogued: tuple[str, ...]  # catalogued tables that exist


def check_url(url: str, *, force: bool = False) -> None:
    """Refuse a warehouse that is not on this machine (before anything is opened)."""
    if force or capabilities_of(url).on_this_machine:
        return
    raise NotADemoWarehouse(f"refusing to write the demo to {url}: it is not on this machine (a DuckDB file or "
                            "the BigQuery emulator on a loopback api_endpoint); pass --warehouse "
                            "duckdb:///demo.duckdb, or --force if you mean it")


def inspect(warehouse: Warehouse, catalog: Catalog) -> Target:
    marked = MARKER_TABLE in warehouse.tables(MARKER_DATASET)
    catalogued = []
    for dataset in dict.fromkeys(t.dataset for t in catalog.tables.values()):
        present = set(warehouse.tables(dataset))
        catalogued += [f"{dataset}.{t.name}" for t in catalog.tables.values() if t.dataset == dataset and t.name in present]
    return Target(warehouse.url, marked, tuple(catalogued))


def check_contents(warehouse: Warehouse, catalog: Catalog, *, force: bool = False) -> Target:
    """Refuse a warehouse holding catalogued tables the demo did not write."""
    target = inspect(warehouse, catalog)
    if target.catalogued and not target.marked and not force:
        shown = ", ".join(target.catalogued[:3]) + (f" (+{len(target.catalogued) - 3} more)"
                                                     if len(target.catalogued) > 3 else "")
        raise NotADemoWarehouse(f"refusing to write the demo to {warehouse.url}: it holds {shown} and no demo marker "
                                f"({MARKER_DATASET}.{MARKER_TABLE}), so it is not a demo warehouse; choose another "
                                "--warehouse, or pass --force to replace its data")
    return target


def write_marker(warehouse: Warehouse, scenario: str, seed: int) -> None:
    warehouse.ensure_dataset(MARKER_DATASET)
    row = {"written_at": dt.datetime.now(dt.UTC), "scenario": scenario, "seed": seed}
    schema = pa.schema([("written_at", pa.timestamp("us", tz="UTC")), ("scenario", pa.string()), ("seed", pa.int64())])
    warehouse.load_table(MARKER_DATASET, MARKER_TABLE, pa.Table.from_pylist([row], schema=schema), replace=True)
