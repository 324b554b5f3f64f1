"""Small SQL-text helpers of the measurement: literals, NULL-safe strings, the window filter.

Identifiers placed in SQL come from the validated catalog only; values go in as parameters,
except the few literals below, which are quoted here.
"""

from __future__ import annotations

from phasegate.model.catalog import Table


def literal(value: str) -> str:
    """A BigQuery string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def as_text(expr: str) -> str:
    """`expr` as a STRING for an example message, 'NULL' when NULL."""
    return f"COALESCE(CAST({expr} AS STRING), 'NULL')"


def window_filter(table: Table, alias: str = "") -> str:
    """The table's window predicate on its date column alone (BigQuery prunes partitions on it)."""
    prefix = f"{alias}." if alias else ""
    return f"{prefix}{table.date_column} BETWEEN @start_date AND @end_date"
