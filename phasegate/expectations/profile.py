"""A table's observed profile for scaffolding: null rate per column, min/max per numeric column.

One SQL query per table (BigQuery Standard SQL, run through the warehouse adapter), windowed on
the raw date column with parameters so BigQuery prunes partitions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from phasegate.errors import WarehouseError
from phasegate.model.catalog import Table
from phasegate.warehouse import Warehouse

_NUMERIC = ("INT", "FLOAT", "DOUBLE", "DECIMAL", "NUMERIC", "REAL", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT",
            "BIGNUMERIC")


def _is_numeric(type_name: str) -> bool:
    upper = type_name.upper()
    return any(upper.startswith(t) for t in _NUMERIC) and "[]" not in upper


def profile_table(warehouse: Warehouse, table: Table, start: dt.date, end: dt.date
                  ) -> tuple[int, dict[str, dict[str, Any]]]:
    """(row count, column -> {type, null_rate, min, max}) over the window, in one query."""
    columns = warehouse.columns(table.dataset, table.name)
    if not columns:
        raise WarehouseError(f"table {table.ref} does not exist in {warehouse.url}")
    selects = ["COUNT(*) AS n__rows"]
    for i, (name, type_name) in enumerate(columns.items()):
        selects.append(f"COUNTIF({name} IS NULL) AS n{i}__nulls")
        if _is_numeric(type_name):
            selects.append(f"MIN({name}) AS n{i}__min")
            selects.append(f"MAX({name}) AS n{i}__max")
    sql = (f"SELECT {', '.join(selects)} FROM {table.ref} "
           f"WHERE {table.date_column} BETWEEN @start_date AND @end_date")
    row = warehouse.query(sql, {"start_date": start, "end_date": end}, labels={"phasegate": "scaffold"})[0]
    total = int(row["n__rows"] or 0)
    profile: dict[str, dict[str, Any]] = {}
    for i, (name, type_name) in enumerate(columns.items()):
        facts: dict[str, Any] = {"type": type_name,
                                 "null_rate": (row[f"n{i}__nulls"] / total) if total else None}
        if _is_numeric(type_name):
            for bound in ("min", "max"):
                value = row.get(f"n{i}__{bound}")
                facts[bound] = float(value) if value is not None and not isinstance(value, int) else value
        profile[name] = facts
    return total, profile
