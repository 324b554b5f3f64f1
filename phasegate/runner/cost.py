"""What a backfill cost, from the warehouse ledger (`phasegate.warehouse.ledger`): per chunk and per run.

Every job the runner sends is in the open warehouse's ledger with BigQuery's own job
statistics (bytes processed and billed); DuckDB bills nothing and reports no bytes processed
(billed 0, processed unknown: said so, never a guess). `metered` tags the jobs of one chunk
attempt (the processor's statements and the verification query, in the chunk's thread) and
puts their totals into the chunk's run-log record; `run_cost` sums the whole run (planning,
dry runs, chunks) per table. A command processor's jobs run in its own process, outside the
ledger: on a warehouse that bills, the chunk's bytes are then unknown, not 0.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from phasegate.model.catalog import Table
from phasegate.warehouse.ledger import totals

_attempts = itertools.count(1)
UNSEEN = "the command processor's own jobs run outside the runner: their bytes are not known"


def _short(t: dict[str, Any]) -> dict[str, Any]:
    return {"jobs": t["jobs"], "bytes_processed": t["bytes_processed"], "bytes_billed": t["bytes_billed"]}


@contextmanager
def metered(warehouse: Any, table: Table, record: MutableMapping[str, Any]) -> Iterator[None]:
    """Tag the jobs of the block; on leaving (success or not) record["cost"] holds their totals."""
    ledger = getattr(warehouse, "ledger", None)
    if ledger is None:  # a stand-in warehouse without a ledger
        yield
        return
    key = next(_attempts)
    try:
        with ledger.scope(attempt=key, table=table.name):
            yield
    finally:
        cost = _short(totals(ledger.jobs(attempt=key)))
        if table.is_command_processor and ledger.bills_bytes:
            cost.update(bytes_processed=None, bytes_billed=None, note=UNSEEN)
        record["cost"] = cost


def run_cost(warehouse: Any, mark: int = 0) -> dict[str, Any] | None:
    """The run log's `cost` event: every job since `mark`, in total and per table (None without a ledger)."""
    ledger = getattr(warehouse, "ledger", None)
    if ledger is None:
        return None
    jobs = ledger.since(mark)
    by_table: dict[str, list[Any]] = {}
    for job in jobs:
        name = job.tags.get("table") or job.labels.get("table")
        if name:
            by_table.setdefault(str(name), []).append(job)
    return {"engine": ledger.engine, "bills_bytes": ledger.bills_bytes, "run": totals(jobs),
            "by_table": {t: totals(js) for t, js in sorted(by_table.items())}}


def add_costs(costs: list[dict[str, Any] | None]) -> dict[str, Any]:
    """The sum of chunk costs: jobs added; bytes added, unknown (None) as soon as one is unknown."""
    out: dict[str, Any] = {"jobs": 0, "bytes_processed": 0, "bytes_billed": 0}
    for cost in costs:
        if not cost:
            continue
        out["jobs"] += int(cost.get("jobs") or 0)
        for key in ("bytes_processed", "bytes_billed"):
            if out[key] is not None:
                out[key] = None if cost.get(key) is None else out[key] + int(cost[key])
    return out


def describe(cost: dict[str, Any] | None, *, bills_bytes: bool | None = None) -> str:
    """'billed 1.2 GiB (processed 1.3 GiB), 12 jobs', saying why a byte total is 0 or unknown."""
    from phasegate.warehouse.cost import format_bytes

    if not cost:
        return "not recorded"
    billed, processed, jobs = cost.get("bytes_billed"), cost.get("bytes_processed"), cost.get("jobs", 0)
    if bills_bytes is False or (billed == 0 and processed is None):
        return f"nothing billed (DuckDB reads a local file; bytes processed not reported), {jobs} jobs"
    b = format_bytes(billed) if billed is not None else "unknown"
    p = format_bytes(processed) if processed is not None else "unknown"
    return f"billed {b} (processed {p}), {jobs} jobs"
