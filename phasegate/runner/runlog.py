"""The run log: one JSON-lines file per backfill run, under `<state_dir>/runs/<run_id>.jsonl`.

Every line is one event: `{"event": ..., "run_id": ..., "at": ISO-8601 UTC, ...}`. Events, in
order: `start` (command, pid, host, warehouse, window, gate: whether the phase's gate runs at the
end), the pre-flight: `upstream_gate` (the upstream phase's gate: verdict, run_dir; or `skipped`
with `by` for --skip-upstream-gate) or `preflight` (a raw upstream phase, measured by the plan), `plan`,
`chunk` (one per processor attempt: table, start, end, dates, attempt, status
ok|partial|rejected|retry|failed|interrupted, rows, seconds, error, output, cost: the jobs,
bytes processed and billed of the attempt; a chunk narrowed down after a data error has one
event per part tried), `dates` (dates settled: table, outcome done|unbuildable|failed|skipped,
count, dates as ranges, reason), `table` (a table finished: planned/done/unbuildable/failed/
skipped counts), `cost` (every job of the run: engine, totals, per table, the byte cap),
`gate` (the phase's own gate, with its cost),
`verdict` (final: GO | NO-GO | ERROR | NOT VALIDATED | REFUSED | INTERRUPTED, exit_code, failed,
retry commands).

The accounting is per date: `dates` events settle each planned date exactly once, so the
counts are right whatever the chunks did (narrowed, rejected, retried) and however far the
run got. The log is a record for people and the report, not the checkpoint: the data is the
checkpoint (a re-run re-plans from what the warehouse holds). Lines are appended and
flushed one at a time, so a run killed mid-way leaves a readable log whose last event
says how far it got; `recent_runs` reports such a run as INTERRUPTED with `killed` set (or
`running` if its process is still alive on this host).

`recent_runs(state_dir, phase=None, limit=20)` returns plain dicts, newest first:
    run_id, phase, command, kind (backfill | run), started_at, finished_at, duration_s,
    status (GO | NO-GO | ERROR | REFUSED | INTERRUPTED | running), killed, exit_code, pid, host,
    tables (name -> {"planned", "done", "unbuildable", "failed", "skipped"}: dates), chunks_ok,
    chunks_failed, attempts, rows_written, cost (chunks summed, per table, the whole run, the gate;
    bytes None where unknown), gate_run_dir, gate_verdict, gate_skipped (--no-gate),
    preflight ({"phase", "verdict", "skipped", "by", "at", "run_dir"} or None), path.

`latest_write(state_dir, phase, before=None)` is the newest run that wrote rows to the phase (the
reports show a banner while it skipped its pre-flight).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import socket
import threading
from pathlib import Path
from typing import Any, Self

from phasegate.errors import UsageError
from phasegate.identifiers import check_run_id


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime | None = None) -> str:
    return (moment or utc_now()).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_run_id(phase: str) -> str:
    """`<phase>-<UTC yyyymmddTHHMMSSZ>-<4 hex>`, the same shape as the gate's run ids."""
    return f"{phase}-{utc_now():%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


def runs_dir(state_dir: str | Path) -> Path:
    return Path(state_dir) / "runs"


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


class RunLog:
    """Append-only JSON-lines writer for one run; safe to call from worker threads."""

    def __init__(self, state_dir: str | Path, run_id: str) -> None:
        self.run_id = run_id
        self.path = runs_dir(state_dir) / f"{run_id}.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def write(self, event: str, **fields: Any) -> dict[str, Any]:
        record = {"event": event, "run_id": self.run_id, "at": iso(), **fields}
        line = json.dumps(record, default=_default, sort_keys=False)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()
        return record

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class NullRunLog:
    """A run log that writes nothing (dry runs, library callers that want none)."""

    run_id = "dry-run"
    path = None

    def write(self, event: str, **fields: Any) -> dict[str, Any]:
        return {"event": event, **fields}

    def close(self) -> None:
        pass


def read_events(path: str | Path) -> list[dict[str, Any]]:
    """Events of one run log; a torn last line (killed mid-write) is ignored."""
    events = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return events


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed, not yet reaped) is not alive for our purposes.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return True


def summarize(events: list[dict[str, Any]], path: Path | None = None) -> dict[str, Any]:
    """Fold one run's events into the summary `recent_runs` returns."""
    start = next((e for e in events if e.get("event") == "start"), {})
    plan = next((e for e in events if e.get("event") == "plan"), {})
    verdict = next((e for e in reversed(events) if e.get("event") == "verdict"), None)
    gate = next((e for e in reversed(events) if e.get("event") == "gate"), None)
    pre = next((e for e in events if e.get("event") in ("upstream_gate", "preflight")), None)
    tables: dict[str, dict[str, int]] = {}

    def entry(name: str) -> dict[str, int]:
        return tables.setdefault(name, {"planned": 0, "done": 0, "unbuildable": 0, "failed": 0, "skipped": 0})

    for name, info in (plan.get("tables") or {}).items():
        entry(name)["planned"] = int(info.get("dates", 0)) + int(info.get("unbuildable_count", 0))
    per_date = any(e.get("event") == "dates" for e in events)
    chunks_ok = chunks_failed = attempts = rows = 0
    chunk_costs: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        kind = e.get("event")
        if kind == "chunk" and isinstance(e.get("cost"), dict):
            chunk_costs.setdefault(str(e.get("table", "?")), []).append(e["cost"])
        if kind == "dates" and e.get("outcome") in ("done", "unbuildable", "failed", "skipped"):
            entry(e.get("table", "?"))[e["outcome"]] += int(e.get("count", 0))
        if kind != "chunk":
            continue
        attempts += 1
        status = e.get("status")
        if status in ("ok", "partial"):
            rows += int(e.get("rows") or 0)
        if status == "ok":
            chunks_ok += 1
        elif status in ("failed", "partial", "rejected"):
            chunks_failed += 1
        if not per_date:  # a log written before per-date accounting: count the chunks' dates
            if status == "ok":
                entry(e.get("table", "?"))["done"] += int(e.get("dates", 0))
            elif status == "failed":
                entry(e.get("table", "?"))["failed"] += int(e.get("dates", 0))
    host = start.get("host")
    pid = start.get("pid")
    killed = False
    if verdict is not None:
        status = verdict.get("verdict")
        if status == "ERROR" and verdict.get("exit_code") == 130:  # logs from before INTERRUPTED had a word
            status = "INTERRUPTED"
    elif host == socket.gethostname() and isinstance(pid, int) and pid_alive(pid):
        status = "running"
    else:
        status, killed = "INTERRUPTED", True
    started = start.get("at") or (events[0].get("at") if events else None)
    finished = verdict.get("at") if verdict else (events[-1].get("at") if events else None)
    duration = None
    if started and finished:
        try:
            duration = round((dt.datetime.fromisoformat(finished)
                              - dt.datetime.fromisoformat(started)).total_seconds(), 1)
        except ValueError:
            duration = None
    run_id = start.get("run_id") or (events[0].get("run_id") if events else (path.stem if path else "?"))
    return {
        "run_id": run_id,
        "phase": start.get("phase"),
        "command": start.get("command"),
        "kind": start.get("kind"),
        "started_at": started,
        "finished_at": finished if verdict else None,
        "duration_s": duration,
        "status": status,
        "killed": killed,
        "exit_code": verdict.get("exit_code") if verdict else None,
        "pid": pid,
        "host": host,
        "tables": tables,
        "chunks_ok": chunks_ok,
        "chunks_failed": chunks_failed,
        "attempts": attempts,
        "rows_written": rows,
        "cost": _cost(events, chunk_costs, gate),
        "gate_run_dir": (gate or {}).get("run_dir"),
        "gate_verdict": (gate or {}).get("verdict"),
        "gate_skipped": start.get("gate") is False,
        "preflight": None if pre is None else {
            "phase": pre.get("phase"), "verdict": pre.get("verdict") or ("raw inputs" if pre.get("raw") else None),
            "skipped": bool(pre.get("skipped")), "by": pre.get("by"), "at": pre.get("at"),
            "run_dir": pre.get("run_dir")},
        "failed": (verdict or {}).get("failed", {}),
        "retry": (verdict or {}).get("retry", []),
        "path": str(path) if path else None,
    }


def _cost(events: list[dict[str, Any]], chunk_costs: dict[str, list[dict[str, Any]]],
          gate: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the run cost: its chunks summed (per table), the whole run (the `cost` event: planning and
    dry runs too) and its gate; None for a log written before costs were recorded."""
    from phasegate.runner.cost import add_costs

    event = next((e for e in reversed(events) if e.get("event") == "cost"), None)
    if event is None and not chunk_costs and not (gate or {}).get("cost"):
        return None
    everything = [c for cs in chunk_costs.values() for c in cs]
    return {"engine": (event or {}).get("engine"), "bills_bytes": (event or {}).get("bills_bytes"),
            "max_bytes": (event or {}).get("max_bytes"),
            "chunks": add_costs(everything), "by_table": {t: add_costs(cs) for t, cs in sorted(chunk_costs.items())},
            "run": (event or {}).get("run"), "gate": (gate or {}).get("cost")}


def recent_runs(state_dir: str | Path, phase: str | None = None, limit: int | None = 20) -> list[dict[str, Any]]:
    """Summaries of the most recent runs (newest first), optionally of one phase."""
    folder = runs_dir(state_dir)
    if not folder.is_dir():
        return []
    out = []
    # run ids embed a UTC timestamp after the phase; sort on it, then on file time.
    def order(p: Path) -> tuple[str, float]:
        parts = p.stem.rsplit("-", 2)
        return (parts[-2] if len(parts) == 3 else "", p.stat().st_ctime)

    files = sorted(folder.glob("*.jsonl"), key=order, reverse=True)
    for path in files:
        if phase is not None and not path.stem.startswith(f"{phase}-"):
            continue
        try:
            events = read_events(path)
        except OSError:
            continue
        summary = summarize(events, path)
        if phase is not None and summary.get("phase") not in (None, phase):
            continue
        out.append(summary)
        if limit is not None and len(out) >= limit:
            break
    return out


def share_run(warehouse: Any, path: str | Path | None, *, chunks: bool, warehouse_url: str | None = None) -> bool:
    """Copy a run's summary (and, at its end, every chunk attempt) from its log to the warehouse's shared
    history (phasegate.state.history), so other checkouts see it. A failure is a warning on stderr: the
    log stays the record, and the run's outcome never depends on it."""
    from phasegate.state.history import record, write_backfill_run, write_chunk_attempts
    from phasegate.warehouse import open_warehouse

    if path is None or not Path(path).is_file():
        return False

    def write() -> bool:
        events = read_events(path)
        summary = summarize(events, Path(path))
        start = next((e for e in events if e.get("event") == "start"), {})
        opened = warehouse if not isinstance(warehouse, str) else None
        wh = opened or open_warehouse(warehouse)
        try:
            done = write_backfill_run(wh, summary, window=start.get("window") or {},
                                      warehouse_url=warehouse_url or start.get("warehouse"))
            if done and chunks:
                done = write_chunk_attempts(wh, summary["run_id"], [e for e in events if e.get("event") == "chunk"])
            return done
        finally:
            if opened is None:
                wh.close()

    return record(f"run {Path(path).stem}", write)


def preflight_text(pre: dict[str, Any] | None, long: bool = False) -> str:
    """'phase3 GO', 'SKIPPED by alice', 'phase2 raw inputs' (runs, runs show, the report)."""
    if not pre:
        return ""
    if pre.get("skipped"):
        text = f"SKIPPED by {pre.get('by') or '?'}"
        return f"{text} at {pre.get('at')} (--skip-upstream-gate: {pre.get('phase')} not gated)" if long else text
    text = f"{pre.get('phase')} {pre.get('verdict') or ''}".strip()
    if long and pre.get("run_dir"):
        text += f"  {pre['run_dir']}"
    return text


def gate_text(summary: dict[str, Any]) -> str:
    """The phase's own gate after the run: its verdict, or that it was not run (--no-gate)."""
    if summary.get("gate_verdict"):
        return str(summary["gate_verdict"])
    return "not run (--no-gate)" if summary.get("gate_skipped") and summary.get("status") not in (
        "REFUSED", "running") else ""


def _moment(text: str | None) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def latest_write(state_dir: str | Path, phase: str, before: str | None = None, runs: int = 200) -> dict[str, Any] | None:
    """The newest run (started before `before`, an ISO time, if given) that wrote rows to `phase`."""
    limit = _moment(before) if before else None
    for summary in recent_runs(state_dir, phase=phase, limit=runs):
        started = _moment(summary.get("started_at"))
        if limit is not None and (started is None or started > limit):
            continue
        if summary.get("rows_written"):
            return summary
    return None


def _expand(ranges: str) -> list[dt.date]:
    """'2023-11-01..2023-11-03,2023-11-07' -> the days (a range folded over game dates spans every day)."""
    out: list[dt.date] = []
    for part in (p.strip() for p in (ranges or "").split(",")):
        if not part:
            continue
        first, _, last = part.partition("..")
        try:
            a = dt.date.fromisoformat(first)
            b = dt.date.fromisoformat(last) if last else a
        except ValueError:
            continue
        out.extend(a + dt.timedelta(days=i) for i in range((b - a).days + 1))
    return out


def last_failures(state_dir: str | Path, phase: str | None = None, runs: int = 20) -> dict[str, dict[dt.date, str]]:
    """Per table, the dates the latest backfills failed on and have not built since: date -> error."""
    folder = runs_dir(state_dir)
    if not folder.is_dir():
        return {}
    out: dict[str, dict[dt.date, str]] = {}
    for summary in reversed(recent_runs(state_dir, phase=phase, limit=runs)):  # oldest first: newest wins
        try:
            events = read_events(summary["path"])
        except OSError:
            continue
        for e in events:
            if e.get("event") != "dates":
                continue
            table = out.setdefault(str(e.get("table")), {})
            for day in _expand(str(e.get("dates") or "")):
                if e.get("outcome") == "failed":
                    table[day] = str(e.get("reason") or "failed")
                elif e.get("outcome") == "done":
                    table.pop(day, None)
    return {t: f for t, f in out.items() if f}


def find_run(state_dir: str | Path, run: str) -> Path:
    """The log file of a run id (or a unique prefix of one)."""
    check_run_id(run)
    folder = runs_dir(state_dir)
    exact = folder / f"{run}.jsonl"
    if exact.is_file():
        return exact
    matches = sorted(folder.glob(f"{run}*.jsonl")) if folder.is_dir() else []
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UsageError(f"no run {run!r} under {folder} (see `phasegate runs`)")
    raise UsageError(f"{run!r} matches {len(matches)} runs: {', '.join(p.stem for p in matches[:5])}")
