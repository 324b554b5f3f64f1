"""The run's byte cap, enforced chunk by chunk (`--max-bytes`; BigQuery's per-run cap by default).

Before the run the plan's estimate is checked against the cap (`phasegate.warehouse.cost`);
during the run every chunk is admitted only if what the run has been billed so far (its
warehouse ledger: BigQuery job statistics), plus the estimates of the chunks in flight, plus
this chunk's estimate stays within the cap. The first chunk refused stops the run: it and
every chunk after it are not attempted (their dates say why), the chunks in flight finish, and
the run ends CAPPED (exit 2) saying what was billed and how to go on. Estimates come from the
plan's dry runs (per chunk; a share of the table's estimate by dates for a chunk the plan did
not dry-run, e.g. a part of a narrowed chunk); an unknown estimate counts as 0, so the cap is
then enforced on what was billed. On an engine that bills nothing (DuckDB) nothing is ever
refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from phasegate.runner.plan import Chunk
from phasegate.warehouse.cost import format_bytes


def billed(jobs: list[Any]) -> int:
    """Bytes billed by some ledger jobs; a job whose bill is unknown counts what it processed."""
    total = 0
    for job in jobs:
        value = job.bytes_billed if job.bytes_billed is not None else job.bytes_processed
        total += value or 0
    return total


class RunBudget:
    """Admits chunks while billed + in flight + next estimate <= cap; thread-safe."""

    def __init__(self, cap: int, ledger: Any, estimate: Callable[[Chunk], int | None]) -> None:
        self.cap = cap
        self.ledger = ledger
        self.estimate = estimate
        self._mark = ledger.mark()
        self._lock = threading.Lock()
        self._in_flight: dict[int, int] = {}
        self.stopped: str | None = None  # why the run stopped (the first refusal), None while within the cap

    def billed(self) -> int:
        return billed(self.ledger.since(self._mark))

    def admit(self, chunk: Chunk) -> str | None:
        """None: the chunk may start (its estimate is reserved until `release`); else why it may not."""
        with self._lock:
            if self.stopped:
                return self.stopped
            estimate = self.estimate(chunk) or 0
            so_far = self.billed()
            reserved = sum(self._in_flight.values())
            if so_far + reserved + estimate > self.cap:
                self.stopped = (f"the run's byte cap of {format_bytes(self.cap)} ({self.cap:,} bytes) would be "
                                f"exceeded: billed so far {format_bytes(so_far)}"
                                + (f", {format_bytes(reserved)} estimated for the chunks in flight" if reserved else "")
                                + f", next chunk {chunk.table} {chunk.start}..{chunk.end} estimated "
                                f"{format_bytes(estimate)}")
                return self.stopped
            self._in_flight[id(chunk)] = estimate
            return None

    def release(self, chunk: Chunk) -> None:
        """The chunk has finished: what it cost is in the ledger now, its reservation goes."""
        with self._lock:
            self._in_flight.pop(id(chunk), None)


def plan_estimates(plan: Any) -> Callable[[Chunk], int | None]:
    """A chunk's estimated bytes: the plan's dry run of it, else its share (by dates) of its table's."""

    def estimate(chunk: Chunk) -> int | None:
        tp = plan.tables.get(chunk.table)
        if tp is None:
            return None
        exact = tp.chunk_bytes.get((chunk.start, chunk.end))
        if exact is not None:
            return exact
        if tp.estimated_bytes is None or not tp.reasons:
            return None
        return -(-tp.estimated_bytes * len(chunk.dates) // len(tp.reasons))  # rounded up

    return estimate
