"""What the hooks receive: plain records, so a plugin needs nothing of the engine's types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class GateVerdictEvent:
    phase: str
    run_id: str | None
    verdict: str                 # GO | NO-GO | ERROR | PARTIAL | ...
    exit_code: int
    window: dict[str, str]       # {"start": ISO date, "end": ISO date}
    warehouse: str | None
    failing_tables: dict[str, str] = field(default_factory=dict)  # table -> one-line reason
    gaps: dict[str, str] = field(default_factory=dict)            # table -> its missing date ranges
    summary: dict[str, Any] = field(default_factory=dict)         # passed / failed / error / total cases
    report: str | None = None    # path of report.html
    error: str | None = None     # why it could not validate
    part_of: str | None = None   # the backfill/run this gate ran in (its RunEndEvent carries it too)


@dataclass(frozen=True)
class RunEndEvent:
    kind: str                    # backfill | run
    phase: str
    run_id: str | None
    verdict: str
    exit_code: int
    window: dict[str, str]
    warehouse: str | None
    dates_done: int = 0
    rows_written: int = 0
    failed: dict[str, Any] = field(default_factory=dict)   # table -> failed dates and why
    retry: tuple[str, ...] = ()
    message: str = ""
    log: str | None = None       # the run log's path
    gate: GateVerdictEvent | None = None
