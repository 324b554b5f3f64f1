"""A cheap fingerprint of a table over a window: row count and max processed_at.

One query per table. The gate's run records it in results.json (tables.TABLE.fingerprint);
sign-off measures it again and refuses when anything moved since the run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from phasegate.errors import WarehouseError
from phasegate.model.catalog import Catalog, Table
from phasegate.warehouse import Warehouse

FINGERPRINT_SQL = """
SELECT COUNT(*) AS row_count, MAX(t.{processed_at}) AS max_processed_at
FROM {table_ref} AS t
WHERE t.{date_col} BETWEEN @start_date AND @end_date
"""


def fingerprint_sql(table: Table) -> str:
    # Identifiers come from the validated catalog only; the window goes in as parameters.
    return FINGERPRINT_SQL.format(processed_at=table.processed_at_column, table_ref=table.ref,
                                  date_col=table.date_column)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def table_fingerprint(warehouse: Warehouse, table: Table, start: dt.date, end: dt.date) -> dict[str, Any]:
    """{"rows": N, "max_processed_at": ISO or None}; a missing table is {"rows": None, ...}."""
    if table.name not in warehouse.tables(table.dataset):
        return {"rows": None, "max_processed_at": None, "missing": True}
    rows = warehouse.query(fingerprint_sql(table), {"start_date": start, "end_date": end},
                           labels={"component": "fingerprint", "table": table.name})
    row = rows[0] if rows else {"row_count": 0, "max_processed_at": None}
    return {"rows": int(row["row_count"] or 0), "max_processed_at": _iso(row["max_processed_at"])}


def measure_fingerprints(warehouse: Warehouse, catalog: Catalog, tables: Iterable[str], start: dt.date,
                         end: dt.date) -> dict[str, dict[str, Any]]:
    return {name: table_fingerprint(warehouse, catalog.table(name), start, end) for name in tables}


def _normal(fp: dict[str, Any] | None) -> tuple[Any, Any]:
    if not fp:
        return (None, None)
    rows = fp.get("rows")
    stamp = fp.get("max_processed_at")
    if stamp:
        try:
            parsed = dt.datetime.fromisoformat(str(stamp))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.UTC)
            stamp = parsed.astimezone(dt.UTC)
        except ValueError:
            stamp = str(stamp)
    return (None if rows is None else int(rows), stamp)


def fingerprint_changes(stored: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]]) -> list[str]:
    """One line per table whose fingerprint differs between the run and now ([] = unchanged)."""
    changes = []
    for name in sorted(set(stored) | set(current)):
        before, after = _normal(stored.get(name)), _normal(current.get(name))
        if before != after:
            changes.append(f"{name}: rows {_show(before[0])} -> {_show(after[0])}, "
                           f"max processed_at {_show(before[1])} -> {_show(after[1])}")
    return changes


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def combined_fingerprint(fingerprints: dict[str, dict[str, Any]]) -> str:
    """12 hex digits summarising every table's fingerprint (for the banner and sign-off log)."""
    import hashlib
    import json

    canon = {name: [_show(v) for v in _normal(fp)] for name, fp in sorted(fingerprints.items())}
    return hashlib.sha256(json.dumps(canon, sort_keys=True).encode()).hexdigest()[:12]


def ensure_fingerprints(results: dict[str, Any], *, warehouse: Warehouse | None, catalog: Catalog | None) -> bool:
    """Fill tables.T.fingerprint where the run did not record it. True if results changed.

    Needs a warehouse and the catalog; without them the results are left as they are (and the
    report says the fingerprint is unavailable, which sign-off refuses).
    """
    tables = results.get("tables") or {}
    todo = [name for name, body in tables.items() if not (body or {}).get("fingerprint")]
    if not todo or warehouse is None or catalog is None:
        return False
    start = dt.date.fromisoformat(results["window"]["start"])
    end = dt.date.fromisoformat(results["window"]["end"])
    changed = False
    for name in todo:
        if name not in catalog.tables:
            continue
        try:
            fp = table_fingerprint(warehouse, catalog.table(name), start, end)
        except WarehouseError:
            continue
        fp["source"] = "report"
        tables[name]["fingerprint"] = fp
        changed = True
    return changed
