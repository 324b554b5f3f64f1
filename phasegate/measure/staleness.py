"""Staleness: rows computed before the upstream rows they read were last written.

`stale_dates_sql` is shared by the gate's staleness checks (`phasegate.measure.checks`) and the
planner (`phasegate.runner.plan`), so what the gate calls stale is exactly what a backfill
rebuilds.
"""

from __future__ import annotations

import datetime as dt

from phasegate.measure.sql import window_filter
from phasegate.model.catalog import Catalog, Table
from phasegate.warehouse import Warehouse


def versioned_upstreams(catalog: Catalog, table: Table) -> list[Table]:
    """Upstream tables whose processed_at dates a version of their rows.

    Append-only raw tables (the schedule) are re-scraped by design, so they are left out.
    """
    return [catalog.tables[name] for name in table.upstream
            if name in catalog.tables and catalog.tables[name].key_unique]


def stale_dates_sql(table: Table, upstream: Table) -> str:
    """Dates where `table` holds a row older than (or undated vs) the newest `upstream` row of that date.

    Columns: d, oldest, up_at. Shared by the gate's staleness check and the runner's plan, so
    what the gate calls stale is exactly what a backfill rebuilds.
    """
    return f"""
SELECT down.d, down.oldest, up.up_at
FROM (
  SELECT {table.date_column} AS d, COUNTIF({table.processed_at_column} IS NULL) AS undated,
         MIN({table.processed_at_column}) AS oldest
  FROM {table.ref} WHERE {window_filter(table)} GROUP BY {table.date_column}
) AS down
JOIN (
  SELECT {upstream.date_column} AS d, MAX({upstream.processed_at_column}) AS up_at
  FROM {upstream.ref} WHERE {window_filter(upstream)} GROUP BY {upstream.date_column}
) AS up ON up.d = down.d
WHERE down.undated > 0 OR down.oldest < up.up_at"""


def measure_stale_dates(warehouse: Warehouse, catalog: Catalog, table_name: str, start: dt.date,
                        end: dt.date) -> list[dt.date]:
    """Dates of a table with rows older than an upstream row of the same date (one query)."""
    table = catalog.table(table_name)
    upstreams = versioned_upstreams(catalog, table)
    if not upstreams:
        return []
    union = "\nUNION ALL\n".join(f"SELECT d FROM ({stale_dates_sql(table, u)}) AS s{i}"
                                  for i, u in enumerate(upstreams))
    rows = warehouse.query(f"SELECT DISTINCT d FROM (\n{union}\n) AS stale ORDER BY d",
                           {"start_date": start, "end_date": end},
                           labels={"component": "staleness", "table": table.name})
    return [r["d"] for r in rows]
