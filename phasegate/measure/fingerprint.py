"""A table's data fingerprint over a window: its content hash, row count and max processed_at.

The content hash is an order-independent aggregate of row hashes, in one pass over the
window: the SUM of FARM_FINGERPRINT(TO_JSON_STRING(row)) (kept exact as the sums of its high
and low 32 bits, so no INT64 overflow), with COUNT(*). Any changed value of any column, any
added, removed or duplicated row changes it; the order of rows does not. Written once in
BigQuery SQL; on DuckDB the row hash is DuckDB's hash() of the row (phasegate.warehouse.translate),
so the two engines each give a stable value, not the same one.

The gate measures it in the same statement as the table's checks (phasegate.measure.query),
so it fingerprints exactly the data the checks judged, and records it in results.json
(tables.TABLE.fingerprint); sign-off measures it again and refuses on any difference.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from phasegate.errors import WarehouseError
from phasegate.model.catalog import Catalog, Table
from phasegate.warehouse import Warehouse

HALF = 2 ** 32

# One row: row_count, max_processed_at, hash_hi, hash_lo (see content_hash).
CONTENT_SQL = """
SELECT COUNT(*) AS row_count, MAX(r.processed_at) AS max_processed_at,
  SUM(DIV(r.h, 4294967296)) AS hash_hi, SUM(MOD(r.h, 4294967296)) AS hash_lo
FROM (
  SELECT FARM_FINGERPRINT(TO_JSON_STRING(t)) AS h, t.{processed_at} AS processed_at
  FROM {table_ref} AS t
  WHERE t.{date_col} BETWEEN @start_date AND @end_date
) AS r
"""

# The fingerprint sign-off had before the content hash: row count and max processed_at only
# (an in-place UPDATE that keeps processed_at went unseen). Kept for bench/bench_fingerprint.py.
ROWS_SQL = """
SELECT COUNT(*) AS row_count, MAX(t.{processed_at}) AS max_processed_at
FROM {table_ref} AS t
WHERE t.{date_col} BETWEEN @start_date AND @end_date
"""


def fingerprint_sql(table: Table) -> str:
    # Identifiers come from the validated catalog only; the window goes in as parameters.
    return CONTENT_SQL.format(processed_at=table.processed_at_column, table_ref=table.ref,
                              date_col=table.date_column)


def rows_fingerprint_sql(table: Table) -> str:
    return ROWS_SQL.format(processed_at=table.processed_at_column, table_ref=table.ref, date_col=table.date_column)


def content_hash(row_count: Any, hash_hi: Any, hash_lo: Any) -> str:
    """'N:16 hex' from the aggregate row (the exact sum of the row hashes, mod 2^64)."""
    total = int(hash_hi or 0) * HALF + int(hash_lo or 0)
    return f"{int(row_count or 0)}:{total % 2 ** 64:016x}"


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


def fingerprint_of(row: dict[str, Any]) -> dict[str, Any]:
    """The recorded fingerprint of an aggregate row of CONTENT_SQL."""
    return {"rows": int(row.get("row_count") or 0), "max_processed_at": _iso(row.get("max_processed_at")),
            "content": content_hash(row.get("row_count"), row.get("hash_hi"), row.get("hash_lo"))}


def table_fingerprint(warehouse: Warehouse, table: Table, start: dt.date, end: dt.date) -> dict[str, Any]:
    """{"rows": N, "max_processed_at": ISO or None, "content": hash}; a missing table is {"missing": True, ...}."""
    if table.name not in warehouse.tables(table.dataset):
        return {"rows": None, "max_processed_at": None, "content": None, "missing": True}
    rows = warehouse.query(fingerprint_sql(table), {"start_date": start, "end_date": end},
                           labels={"component": "fingerprint", "table": table.name})
    return fingerprint_of(rows[0] if rows else {})


def measure_fingerprints(warehouse: Warehouse, catalog: Catalog, tables: Iterable[str], start: dt.date,
                         end: dt.date) -> dict[str, dict[str, Any]]:
    return {name: table_fingerprint(warehouse, catalog.table(name), start, end) for name in tables}


def _normal(fp: dict[str, Any] | None) -> tuple[Any, Any, Any]:
    if not fp:
        return (None, None, None)
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
    return (None if rows is None else int(rows), stamp, fp.get("content"))


def fingerprint_changes(stored: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]]) -> list[str]:
    """One line per table whose fingerprint differs between the run and now ([] = unchanged).

    The content hash decides; a run that recorded none (before the content hash) cannot prove
    the data unchanged, so it differs too.
    """
    changes = []
    for name in sorted(set(stored) | set(current)):
        before, after = _normal(stored.get(name)), _normal(current.get(name))
        if before != after:
            what = "content changed" if before[0] == after[0] and before[1] == after[1] else "changed"
            changes.append(f"{name}: {what} (rows {_show(before[0])} -> {_show(after[0])}, max processed_at "
                           f"{_show(before[1])} -> {_show(after[1])}, content hash {_show(before[2])} -> "
                           f"{_show(after[2])})")
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
