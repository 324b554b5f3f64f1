"""What a backfill did, date by date: the runner's accounting, never "the chunk".

Every planned date of a table ends in exactly one state:

    done         written and verified
    unbuildable  cannot be built from what the warehouse holds (a required raw input has no rows
                 there, an upstream table of another phase lacks it): re-running will not help;
                 fix the input or document the gap (`phasegate exceptions suggest PHASE`)
    failed       the processor failed, or its rows did not verify (the error is kept)
    skipped      not attempted: its upstream date failed, the run was interrupted, or the
                 table's processor fails on any range

Retry advice names only dates that could succeed (failed and skipped), never unbuildable ones.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from phasegate.model.dates import fold_ranges, format_ranges

OUTCOMES = ("done", "unbuildable", "failed", "skipped")


def dates_arg(dates: Iterable[dt.date], universe: Iterable[dt.date] | None = None) -> str:
    """`--dates` value: single dates and A..B ranges (folded over the game-date calendar)."""
    runs = fold_ranges(dates, sorted(universe) if universe is not None else None)
    return ",".join(a.isoformat() if a == b else f"{a.isoformat()}..{b.isoformat()}" for a, b in runs)


def group_by_reason(reasons: Mapping[dt.date, str]) -> dict[str, list[dt.date]]:
    """{reason: dates}, the most frequent reason first (one line per reason, not per date)."""
    groups: dict[str, list[dt.date]] = {}
    for day, reason in sorted(reasons.items()):
        groups.setdefault(reason, []).append(day)
    return dict(sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[1][0])))


@dataclass
class TableOutcome:
    table: str
    planned: list[dt.date]
    done: set[dt.date] = field(default_factory=set)
    unbuildable: dict[dt.date, str] = field(default_factory=dict)  # date -> why it cannot be built
    failed: dict[dt.date, str] = field(default_factory=dict)  # date -> error (one line)
    skipped: dict[dt.date, str] = field(default_factory=dict)  # date -> why it was not attempted
    rows: int = 0
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, outcome: str, dates: Iterable[dt.date], reason: str = "") -> list[dt.date]:
        """Settle dates in one state; a date already settled keeps its state. Returns those settled."""
        settled = []
        with self._lock:
            for day in dates:
                if day in self.done or day in self.unbuildable or day in self.failed or day in self.skipped:
                    continue
                if outcome == "done":
                    self.done.add(day)
                else:
                    getattr(self, outcome)[day] = reason
                settled.append(day)
        return settled

    def add_rows(self, rows: int) -> None:
        with self._lock:
            self.rows += rows

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped and not self.unbuildable

    @property
    def not_done(self) -> list[dt.date]:
        return sorted({*self.unbuildable, *self.failed, *self.skipped})

    @property
    def retryable(self) -> list[dt.date]:
        """Dates a re-run could build: failed or not attempted, never unbuildable."""
        return sorted({*self.failed, *self.skipped})

    def counts(self) -> dict[str, int]:
        return {"planned": len(self.planned), "done": len(self.done), "unbuildable": len(self.unbuildable),
                "failed": len(self.failed), "skipped": len(self.skipped)}


@dataclass
class Execution:
    tables: dict[str, TableOutcome]
    seconds: float
    chunks_ok: int = 0
    chunks_failed: int = 0
    attempts: int = 0
    interrupted: bool = False
    capped: str | None = None  # the run stopped at its byte cap: why (phasegate.runner.budget)

    @property
    def ok(self) -> bool:
        return not self.interrupted and not self.capped and all(t.ok for t in self.tables.values())

    @property
    def rows_written(self) -> int:
        return sum(t.rows for t in self.tables.values())

    @property
    def dates_done(self) -> int:
        return sum(len(t.done) for t in self.tables.values())

    def total(self, outcome: str) -> int:
        return sum(len(getattr(t, outcome)) for t in self.tables.values())

    def failures(self) -> dict[str, dict[str, Any]]:
        """Per table that did not finish cleanly: counts, the dates, the reasons (run log, report)."""
        out = {}
        for name, t in self.tables.items():
            if t.ok:
                continue
            first = next(iter(t.failed.values()), None) or next(iter(t.skipped.values()), None) or \
                next(iter(t.unbuildable.values()), "")
            out[name] = {**t.counts(), "dates": [d.isoformat() for d in t.not_done],
                         "retryable": [d.isoformat() for d in t.retryable], "error": first,
                         "unbuildable_dates": {d.isoformat(): r for d, r in sorted(t.unbuildable.items())},
                         "failed_dates": {d.isoformat(): r for d, r in sorted(t.failed.items())}}
        return out

    def summary_line(self, phase: str, planned: int) -> str:
        """'backfill phase3: 58/60 table-dates written and verified, 2 unbuildable, ...'."""
        parts = [f"backfill {phase}: {self.dates_done}/{planned} table-dates written and verified"]
        for outcome, word in (("unbuildable", "unbuildable"), ("failed", "failed"), ("skipped", "not attempted")):
            n = self.total(outcome)
            if n:
                parts.append(f"{n} {word}")
        parts.append(f"{self.rows_written:,} rows, {self.seconds:.1f}s")
        return ", ".join(parts)

    def detail_lines(self, universe: Iterable[dt.date] | None = None) -> list[str]:
        """One line per table and reason: what was not built and why."""
        universe = sorted(universe) if universe is not None else None
        lines = []
        for name, t in self.tables.items():
            for outcome, word in (("unbuildable", "UNBUILDABLE"), ("failed", "FAILED"), ("skipped", "NOT ATTEMPTED")):
                for reason, dates in group_by_reason(getattr(t, outcome)).items():
                    lines.append(f"{word} {name}: {len(dates)} date(s) {format_ranges(dates, universe, limit=6)}: "
                                 f"{reason}")
        return lines
