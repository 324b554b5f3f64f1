"""The cost ledger: every job a warehouse ran, with the bytes it processed and was billed.

Each adapter records its jobs here (`Warehouse.ledger`) from the engine's own statistics:
BigQuery's `total_bytes_processed` / `total_bytes_billed` of the finished job; DuckDB reads a
local file and bills nothing (billed 0, processed unknown: `None`, never a guess). Metadata
calls (table lists, schemas) are recorded as such: free on both engines, but counted.

Callers attribute jobs without passing anything down: `with ledger.scope(chunk="t:2024-01-01")`
tags every job the current thread records inside the block (the runner's chunks run in
threads), and a job's labels (component, table) come from the query that sent it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

QUERY = "query"        # a query job (SELECT, DML, script)
LOAD = "load"          # a load job
METADATA = "metadata"  # a metadata lookup (tables, columns): not a job, free


@dataclass(frozen=True)
class Job:
    kind: str
    labels: Mapping[str, str]
    bytes_processed: int | None  # None: the engine does not report it
    bytes_billed: int | None
    seconds: float
    tags: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"labels": dict(self.labels), "tags": dict(self.tags)}


def _sum(values: Iterable[int | None]) -> int | None:
    """The total, or None as soon as one value is unknown (an unknown is never counted as 0)."""
    total = 0
    for value in values:
        if value is None:
            return None
        total += value
    return total


def totals(jobs: Iterable[Job]) -> dict[str, Any]:
    """{"jobs", "metadata_calls", "bytes_processed", "bytes_billed", "seconds"} of some jobs."""
    jobs = list(jobs)
    billable = [j for j in jobs if j.kind != METADATA]
    return {"jobs": len(billable), "metadata_calls": len(jobs) - len(billable),
            "bytes_processed": _sum(j.bytes_processed for j in billable),
            "bytes_billed": _sum(j.bytes_billed for j in billable),
            "seconds": round(sum(j.seconds for j in billable), 3)}


class Ledger:
    """Thread-safe list of the jobs of one open warehouse."""

    def __init__(self, *, engine: str, bills_bytes: bool) -> None:
        self.engine = engine
        self.bills_bytes = bills_bytes  # False: nothing is billed (DuckDB); bytes processed unknown
        self._jobs: list[Job] = []
        self._lock = threading.Lock()
        self._local = threading.local()

    def record(self, kind: str, *, labels: Mapping[str, Any] | None = None, bytes_processed: int | None = None,
               bytes_billed: int | None = None, seconds: float = 0.0) -> Job:
        tags = dict(getattr(self._local, "tags", {}))
        job = Job(kind, {str(k): str(v) for k, v in (labels or {}).items()},
                  bytes_processed if isinstance(bytes_processed, int) else None,
                  bytes_billed if isinstance(bytes_billed, int) else None, round(seconds, 4), tags)
        with self._lock:
            self._jobs.append(job)
        return job

    @contextmanager
    def timed(self, kind: str, *, labels: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Record one job around a block; the block may set "bytes_processed"/"bytes_billed" in the dict."""
        stats: dict[str, Any] = {}
        started = time.perf_counter()
        try:
            yield stats
        finally:
            self.record(kind, labels=labels, seconds=time.perf_counter() - started, **stats)

    @contextmanager
    def scope(self, **tags: Any) -> Iterator[None]:
        """Tag the jobs this thread records inside the block (nested scopes add to each other)."""
        before = getattr(self._local, "tags", {})
        self._local.tags = {**before, **tags}
        try:
            yield
        finally:
            self._local.tags = before

    def jobs(self, **tags: Any) -> list[Job]:
        """The jobs recorded so far (with every given tag, when some are given)."""
        with self._lock:
            jobs = list(self._jobs)
        return [j for j in jobs if all(j.tags.get(k) == v for k, v in tags.items())]

    def mark(self) -> int:
        with self._lock:
            return len(self._jobs)

    def since(self, mark: int) -> list[Job]:
        with self._lock:
            return list(self._jobs[mark:])

    def totals(self, **tags: Any) -> dict[str, Any]:
        return totals(self.jobs(**tags))

    def describe_bytes(self, value: int | None, *, billed: bool = False) -> str:
        """How a byte total reads to people, saying why it is 0 or unknown."""
        if value is None:
            return "unknown (DuckDB does not report bytes)" if not self.bills_bytes else "unknown"
        if not self.bills_bytes and billed:
            return "0 B (DuckDB: a local file, nothing billed)"
        from phasegate.warehouse.cost import format_bytes

        return format_bytes(value)
