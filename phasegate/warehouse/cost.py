"""Cost visibility: what a run will scan, before it starts.

On BigQuery cost is bytes scanned. `estimate_bytes` dry-runs the queries a run is about to
send (free; BigQuery reports the bytes it would process); `check_run_budget` refuses a run
whose estimate exceeds the per-run cap, before any job is billed. On engines without a
notion of cost (DuckDB) the estimate is None and every run is within budget.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from phasegate.errors import UsageError
from phasegate.warehouse import Warehouse

Query = tuple[str, Mapping[str, Any] | None]

# Dry runs are metadata calls: run a few at a time.
DRY_RUN_WORKERS = 8


def estimate_bytes(warehouse: Warehouse, queries: Iterable[Query]) -> int | None:
    """Total bytes the queries would scan (dry runs), or None where the engine has no such notion."""
    queries = list(queries)
    if not queries:
        return 0
    if len(queries) == 1:
        results = [warehouse.dry_run_bytes(*queries[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(DRY_RUN_WORKERS, len(queries))) as pool:
            results = list(pool.map(lambda q: warehouse.dry_run_bytes(q[0], q[1]), queries))
    if any(r is None for r in results):
        return None
    return int(sum(results))  # type: ignore[arg-type]


def run_cap(warehouse: Warehouse) -> int | None:
    """The warehouse's per-run byte cap (None: no cap)."""
    return warehouse.capabilities.max_run_bytes


def check_run_budget(estimated: int | None, cap: int | None, *, what: str = "this run") -> None:
    """Refuse a run whose estimate exceeds the cap (UsageError naming bytes and cap)."""
    if estimated is None or cap is None or estimated <= cap:
        return
    raise UsageError(
        f"{what} would scan {format_bytes(estimated)} ({estimated:,} bytes), over the cap of "
        f"{format_bytes(cap)} ({cap:,} bytes); narrow the date window, or raise the cap with "
        "bigquery://PROJECT?max_run_bytes=N")


def enforce_budget(warehouse: Warehouse, queries: Iterable[Query], *, cap: int | None = None,
                   what: str = "this run") -> int | None:
    """Estimate, then refuse if over the cap (the warehouse's per-run cap by default).

    Returns the estimate so the caller can print it (plan, `--dry-run`, the report).
    """
    estimated = estimate_bytes(warehouse, queries)
    check_run_budget(estimated, cap if cap is not None else run_cap(warehouse), what=what)
    return estimated


def format_bytes(n: int | None) -> str:
    """Binary units, as BigQuery bills them (on-demand price per TiB)."""
    if n is None:
        return "n/a"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover
