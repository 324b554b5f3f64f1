"""The runs of every checkout: this machine's run logs merged with the warehouse's shared history.

`phasegate runs` and `runs show` read here. A run in both is shown once, from its local log (it
has the file path and the full event list); a run only in the warehouse (another checkout, CI,
a laptop) is shown from its `phasegate.backfill_runs` row and its `chunk_attempts`. When the
warehouse cannot be read, or has no history tables, a line on stderr says so and the local runs
are shown: never a silent fallback, never a failed command.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from phasegate.errors import PhasegateError
from phasegate.runner.runlog import recent_runs
from phasegate.state import history

T = TypeVar("T")


def read_shared(url: str | None, read: Callable[[Any], T], default: T, what: str = "runs") -> T:
    """`read(warehouse)` on the warehouse opened read-only; `default` (said on stderr) when it cannot be."""
    from phasegate.warehouse import open_warehouse

    try:
        wh = open_warehouse(url, read_only=True)
    except PhasegateError as exc:
        print(f"note: cannot read the shared history ({exc}): {what} of this machine only", file=sys.stderr)
        return default
    try:
        return read(wh)
    except Exception as exc:  # noqa: BLE001 - a broken shared history never hides the local runs
        print(f"phasegate: warning: reading the shared history of {wh.url} failed ({exc}): {what} of this machine only",
              file=sys.stderr)
        return default
    finally:
        wh.close()


def all_runs(state_dir: str | Path, url: str | None, phase: str | None = None,
             limit: int | None = 20) -> list[dict[str, Any]]:
    """Backfill runs of this checkout and of every other one on the warehouse, newest first, one per run id
    (each with `source`: "local" or "warehouse")."""
    local = recent_runs(state_dir, phase=phase, limit=limit)
    shared = read_shared(url, lambda wh: history.backfill_runs(wh, phase, limit or 10_000), [])
    return history.merged(local, shared, limit)


def why_unreadable(url: str | None) -> str | None:
    """Why the warehouse's shared history cannot be read (None: it can), saying nothing."""
    from phasegate.warehouse import open_warehouse

    try:
        wh = open_warehouse(url, read_only=True)
    except PhasegateError as exc:
        return str(exc)
    try:
        return history.why_unreadable(wh)
    except Exception as exc:  # noqa: BLE001 - a broken shared history is a reason, not a crash
        return f"reading the shared history of {wh.url} failed ({exc})"
    finally:
        wh.close()


def shared_run(url: str | None, run_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """(summary, chunk events) of a run known only to the warehouse (an exact run id); None if it is not there."""
    def read(wh: Any) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        found = history.backfill_runs(wh, run_id=run_id, limit=1)
        return (found[0], history.chunk_attempts(wh, run_id)) if found else None

    return read_shared(url, read, None, what="run")


def shared_gate_run(url: str | None, run_id: str) -> dict[str, Any] | None:
    """The stored results of a gate run made in any checkout (None if the warehouse has none)."""
    return read_shared(url, lambda wh: history.gate_run(wh, run_id), None, what="gate run")
