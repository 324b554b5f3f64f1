"""Run history in the warehouse: gate runs and their cases, backfill runs and their chunk attempts.

Every checkout on one warehouse writes here as well as to its local files (results.json, the
run log), so `phasegate runs`, the reports and sign-offs of one checkout see the runs of all.

The tables are append-only (BigQuery's DML quotas and the emulator favour INSERTs over UPDATEs,
and appends never conflict): a backfill run is a row when it starts and a row when it ends, and
the latest row of a run id (`recorded_at`; a finished row before a running one) is the run.
Writers are set-based: a gate run is one transaction of two INSERTs (the run, and every case at
once), a backfill's chunk attempts one INSERT at its end. The rows of such an INSERT travel as
ONE JSON array parameter, unnested in SQL (`UNNEST(JSON_QUERY_ARRAY(@rows))`): BigQuery array
parameters hold no NULL nor structs here, and any number of rows is one parameter. Scalar
values that may be missing travel as '' and are cast back (a NULL parameter is typed STRING).

Readers merge the warehouse with this checkout's local files (a run only here is still shown,
one row per run id) and say on stderr when the warehouse has no history to read.
A failed write is the caller's warning, never a verdict: see `record`.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import socket
import sys
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from phasegate.errors import PhasegateError, WarehouseError
from phasegate.state import DATASET, note_local_fallback
from phasegate.warehouse import Warehouse

GATE_RUNS = "gate_runs"
GATE_CASES = "gate_cases"
BACKFILL_RUNS = "backfill_runs"
CHUNK_ATTEMPTS = "chunk_attempts"

# Names and columns are the contract dashboards read (README, "Shared state").
SCHEMA = {
    GATE_RUNS: """CREATE TABLE IF NOT EXISTS phasegate.gate_runs (
        run_id STRING NOT NULL, phase STRING, verdict STRING, exit_code INT64,
        started_at TIMESTAMP, finished_at TIMESTAMP, window_start DATE, window_end DATE,
        warehouse STRING, host STRING, user_name STRING, git_commit STRING,
        catalog_fingerprint STRING, exceptions_fingerprint STRING,
        summary STRING, cost STRING, results STRING, recorded_at TIMESTAMP)""",
    GATE_CASES: """CREATE TABLE IF NOT EXISTS phasegate.gate_cases (
        run_id STRING NOT NULL, phase STRING, table_name STRING, family STRING, case_id STRING,
        outcome STRING, measured STRING, threshold STRING, severity STRING, message STRING,
        recorded_at TIMESTAMP)""",
    BACKFILL_RUNS: """CREATE TABLE IF NOT EXISTS phasegate.backfill_runs (
        run_id STRING NOT NULL, phase STRING, kind STRING, command STRING, status STRING, exit_code INT64,
        started_at TIMESTAMP, finished_at TIMESTAMP, window_start DATE, window_end DATE,
        warehouse STRING, host STRING, pid INT64, user_name STRING, rows_written INT64,
        summary STRING, recorded_at TIMESTAMP)""",
    CHUNK_ATTEMPTS: """CREATE TABLE IF NOT EXISTS phasegate.chunk_attempts (
        run_id STRING NOT NULL, table_name STRING, start_date DATE, end_date DATE, dates INT64,
        attempt INT64, status STRING, rows_written INT64, seconds FLOAT64,
        jobs INT64, bytes_processed INT64, bytes_billed INT64, error STRING, attempted_at TIMESTAMP)""",
}

_INSERT_GATE_RUN = """INSERT INTO phasegate.gate_runs (run_id, phase, verdict, exit_code, started_at, finished_at,
    window_start, window_end, warehouse, host, user_name, git_commit, catalog_fingerprint, exceptions_fingerprint,
    summary, cost, results, recorded_at)
VALUES (@run_id, @phase, @verdict, @exit_code, CAST(NULLIF(@started_at, '') AS TIMESTAMP),
    CAST(NULLIF(@finished_at, '') AS TIMESTAMP), CAST(NULLIF(@window_start, '') AS DATE),
    CAST(NULLIF(@window_end, '') AS DATE), @warehouse, @host, @user_name, NULLIF(@git_commit, ''),
    NULLIF(@catalog_fingerprint, ''), NULLIF(@exceptions_fingerprint, ''), @summary, @cost, @results,
    CURRENT_TIMESTAMP())"""

_INSERT_GATE_CASES = """INSERT INTO phasegate.gate_cases (run_id, phase, table_name, family, case_id, outcome,
    measured, threshold, severity, message, recorded_at)
SELECT @run_id, @phase, JSON_VALUE(c, '$.table'), JSON_VALUE(c, '$.family'), JSON_VALUE(c, '$.case_id'),
    JSON_VALUE(c, '$.outcome'), JSON_VALUE(c, '$.measured'), JSON_VALUE(c, '$.threshold'),
    JSON_VALUE(c, '$.severity'), JSON_VALUE(c, '$.message'), CURRENT_TIMESTAMP()
FROM UNNEST(JSON_QUERY_ARRAY(@cases)) AS c"""

_INSERT_BACKFILL_RUN = """INSERT INTO phasegate.backfill_runs (run_id, phase, kind, command, status, exit_code,
    started_at, finished_at, window_start, window_end, warehouse, host, pid, user_name, rows_written, summary,
    recorded_at)
VALUES (@run_id, @phase, @kind, @command, @status, CAST(NULLIF(@exit_code, '') AS INT64),
    CAST(NULLIF(@started_at, '') AS TIMESTAMP), CAST(NULLIF(@finished_at, '') AS TIMESTAMP),
    CAST(NULLIF(@window_start, '') AS DATE), CAST(NULLIF(@window_end, '') AS DATE), @warehouse, @host,
    CAST(NULLIF(@pid, '') AS INT64), @user_name, @rows_written, @summary, CURRENT_TIMESTAMP())"""

_INSERT_CHUNKS = """INSERT INTO phasegate.chunk_attempts (run_id, table_name, start_date, end_date, dates, attempt,
    status, rows_written, seconds, jobs, bytes_processed, bytes_billed, error, attempted_at)
SELECT @run_id, JSON_VALUE(c, '$.table'), CAST(JSON_VALUE(c, '$.start') AS DATE), CAST(JSON_VALUE(c, '$.end') AS DATE),
    CAST(JSON_VALUE(c, '$.dates') AS INT64), CAST(JSON_VALUE(c, '$.attempt') AS INT64), JSON_VALUE(c, '$.status'),
    CAST(JSON_VALUE(c, '$.rows') AS INT64), CAST(JSON_VALUE(c, '$.seconds') AS FLOAT64),
    CAST(JSON_VALUE(c, '$.jobs') AS INT64), CAST(JSON_VALUE(c, '$.bytes_processed') AS INT64),
    CAST(JSON_VALUE(c, '$.bytes_billed') AS INT64), JSON_VALUE(c, '$.error'),
    CAST(JSON_VALUE(c, '$.at') AS TIMESTAMP)
FROM UNNEST(JSON_QUERY_ARRAY(@chunks)) AS c"""

_GATE_RUNS = """SELECT run_id, phase, verdict, exit_code, started_at, finished_at, window_start, window_end, warehouse,
    host, user_name, git_commit, summary
FROM phasegate.gate_runs
WHERE (@phase = '' OR phase = @phase)
QUALIFY ROW_NUMBER() OVER (PARTITION BY run_id ORDER BY recorded_at DESC) = 1
ORDER BY started_at DESC, run_id DESC
LIMIT @limit"""

_GATE_RUN = """SELECT results, host, user_name FROM phasegate.gate_runs WHERE run_id = @run_id
ORDER BY recorded_at DESC LIMIT 1"""

_BACKFILL_RUNS = """SELECT run_id, phase, status, exit_code, host, summary
FROM phasegate.backfill_runs
WHERE (@phase = '' OR phase = @phase) AND (@run_id = '' OR run_id = @run_id)
QUALIFY ROW_NUMBER() OVER (PARTITION BY run_id ORDER BY finished_at IS NULL, recorded_at DESC) = 1
ORDER BY started_at DESC, run_id DESC
LIMIT @limit"""

_CHUNKS = """SELECT table_name, start_date, end_date, dates, attempt, status, rows_written, seconds, jobs,
    bytes_processed, bytes_billed, error, attempted_at
FROM phasegate.chunk_attempts WHERE run_id = @run_id ORDER BY attempted_at, table_name, start_date, attempt"""


# -- the small facts every row carries ------------------------------------------------------------

def host_name() -> str:
    return socket.gethostname()


def user_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return os.environ.get("USER", "")


_SECRET_KEYS = ("key", "token", "secret", "password", "credential")


def public_url(url: str) -> str:
    """The warehouse URL as a row may show it: no user:password@, no secret-looking ?options."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    rest, qmark, query = rest.partition("?")
    authority, slash, path = rest.partition("/")
    authority = authority.rpartition("@")[2]
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True)
            if not any(word in k.lower() for word in _SECRET_KEYS)]
    return f"{scheme}://{authority}{slash}{path}" + (f"?{urlencode(kept, safe=':/')}" if kept else "")


def timestamp_param(value: Any) -> str:
    """An ISO moment as BigQuery and DuckDB both cast it to TIMESTAMP ('' for none)."""
    if not value:
        return ""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00:00")


def text_of(value: Any) -> str:
    return "" if value is None else str(value)


def _json(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


def _measure(value: Any) -> str | None:
    """A case's measured value or threshold: its text as results.json has it, JSON for anything else."""
    return value if isinstance(value, str) or value is None else _json(value)


def iso_moment(value: Any) -> str | None:
    """A TIMESTAMP read back, as the local files spell it (ISO, UTC, 'Z')."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return str(value)


def missing_tables(warehouse: Warehouse, tables: Iterable[str]) -> list[str]:
    present = set(warehouse.tables(DATASET))
    return [t for t in tables if t not in present]


_SAID: set[tuple[str, str, bool]] = set()


def why_unreadable(warehouse: Warehouse, tables: Iterable[str] = tuple(SCHEMA)) -> str | None:
    """Why the history tables cannot be read (None: they can), for a caller that says it in its own words."""
    if not warehouse.tables(DATASET):
        return f"{warehouse.url} has no {DATASET} dataset (run `phasegate init`)"
    missing = missing_tables(warehouse, tables)
    if missing:
        return (f"{warehouse.url} has no {', '.join(f'{DATASET}.{t}' for t in missing)} (made by an older "
                "`phasegate init`: run it again)")
    return None


def say_missing(warehouse: Warehouse, missing: list[str], what: str, *, reading: bool = False) -> None:
    """Never fall back silently: no dataset at all, or one made by an older `phasegate init`."""
    if (warehouse.url, what, reading) in _SAID:
        return  # once per process: a backfill writes its run at the start and at the end
    _SAID.add((warehouse.url, what, reading))
    where = f"{what} of this machine only" if reading else f"{what} kept on this machine only"
    if not warehouse.tables(DATASET):
        if reading:
            print(f"note: {warehouse.url} has no {DATASET} dataset (run `phasegate init`): {where}", file=sys.stderr)
        else:
            note_local_fallback(what, warehouse.url)
    else:
        print(f"note: {warehouse.url} has no {', '.join(f'{DATASET}.{t}' for t in missing)} (its {DATASET} dataset "
              f"was made by an older `phasegate init`; run it again): {where}", file=sys.stderr)


# -- writers ----------------------------------------------------------------------------------------

def write_gate_run(warehouse: Warehouse, results: dict[str, Any]) -> bool:
    """One gate run and all its cases, in one transaction. False (said on stderr) where the tables are missing."""
    missing = missing_tables(warehouse, (GATE_RUNS, GATE_CASES))
    if missing:
        say_missing(warehouse, missing, "gate runs")
        return False
    window = results.get("window") or {}
    cases = [c for c in results.get("checks") or [] if isinstance(c, dict)]
    params: dict[str, Any] = {
        "run_id": results["run_id"], "phase": text_of(results.get("phase")), "verdict": text_of(results.get("verdict")),
        "exit_code": int(results.get("exit_code", 3)), "started_at": timestamp_param(results.get("started_at")),
        "finished_at": timestamp_param(results.get("finished_at")), "window_start": text_of(window.get("start")),
        "window_end": text_of(window.get("end")), "warehouse": public_url(text_of(results.get("warehouse"))),
        "host": host_name(), "user_name": user_name(), "git_commit": text_of(results.get("git_commit")),
        "catalog_fingerprint": text_of(results.get("catalog_fingerprint")),
        "exceptions_fingerprint": text_of(results.get("exceptions_fingerprint")),
        "summary": _json(results.get("summary") or {}), "cost": _json(results.get("cost")),
        "results": _json(results),
        "cases": _json([{
            "table": c.get("table"), "family": c.get("family"), "case_id": c.get("nodeid") or c.get("name"),
            "outcome": c.get("outcome"), "measured": _measure(c.get("measured")),
            "threshold": _measure(c.get("threshold")),
            # the severity of what the case found: a failure blocks (error), a warning does not (warn)
            "severity": {"failed": "error", "error": "error", "warned": "warn"}.get(text_of(c.get("outcome"))),
            "message": c.get("message")} for c in cases]),
    }
    statements = [_INSERT_GATE_RUN] + ([_INSERT_GATE_CASES] if cases else [])
    warehouse.execute(statements, params, labels={"component": "state"})
    return True


def write_backfill_run(warehouse: Warehouse, summary: dict[str, Any], *, window: dict[str, Any] | None = None,
                       warehouse_url: str | None = None) -> bool:
    """One row of a backfill run (`phasegate.runner.runlog.summarize`); the latest row of a run id wins."""
    missing = missing_tables(warehouse, (BACKFILL_RUNS,))
    if missing:
        say_missing(warehouse, missing, "backfill runs")
        return False
    window = window or {}
    params = {
        "run_id": summary["run_id"], "phase": text_of(summary.get("phase")), "kind": text_of(summary.get("kind")),
        "command": text_of(summary.get("command")), "status": text_of(summary.get("status")),
        "exit_code": text_of(summary.get("exit_code")), "started_at": timestamp_param(summary.get("started_at")),
        "finished_at": timestamp_param(summary.get("finished_at")), "window_start": text_of(window.get("start")),
        "window_end": text_of(window.get("end")), "warehouse": public_url(warehouse_url or warehouse.url),
        "host": text_of(summary.get("host") or host_name()), "pid": text_of(summary.get("pid")),
        "user_name": user_name(), "rows_written": int(summary.get("rows_written") or 0),
        "summary": _json({k: v for k, v in summary.items() if k != "path"}),
    }
    warehouse.execute([_INSERT_BACKFILL_RUN], params, labels={"component": "state"})
    return True


def write_chunk_attempts(warehouse: Warehouse, run_id: str, chunks: list[dict[str, Any]]) -> bool:
    """Every chunk attempt of a run (its `chunk` run-log events), in one INSERT."""
    if not chunks:
        return True
    missing = missing_tables(warehouse, (CHUNK_ATTEMPTS,))
    if missing:
        say_missing(warehouse, missing, "chunk attempts")
        return False

    def row(c: dict[str, Any]) -> dict[str, Any]:
        cost = c.get("cost") if isinstance(c.get("cost"), dict) else {}
        return {"table": c.get("table"), "start": c.get("start"), "end": c.get("end"), "dates": c.get("dates"),
                "attempt": c.get("attempt"), "status": c.get("status"), "rows": c.get("rows"),
                "seconds": c.get("seconds"), "jobs": cost.get("jobs"), "bytes_processed": cost.get("bytes_processed"),
                "bytes_billed": cost.get("bytes_billed"), "error": c.get("error"), "at": timestamp_param(c.get("at")) or None}

    params = {"run_id": run_id, "chunks": _json([row(c) for c in chunks])}
    warehouse.execute([_INSERT_CHUNKS], params, labels={"component": "state"})
    return True


def record(what: str, write: Callable[[], Any], *, warn: Callable[[str], None] | None = None) -> bool:
    """Run a state write; a failure is one warning on stderr, never an exception: the local record
    exists, and the shared history never changes a verdict or an exit code."""
    try:
        return bool(write())
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, the run's own outcome stands
        reason = " ".join(str(exc).split()) or type(exc).__name__
        message = f"phasegate: warning: {what} not written to the warehouse's {DATASET} dataset ({reason}); " \
                  "kept on this machine"
        (warn or (lambda m: print(m, file=sys.stderr)))(message)
        return False


# -- readers ----------------------------------------------------------------------------------------

def readable(warehouse: Warehouse | None, tables: Iterable[str], what: str) -> bool:
    """The history tables can be read; if not, say so once on stderr (the caller falls back to local files)."""
    if warehouse is None:
        return False
    try:
        missing = missing_tables(warehouse, tables)
    except (PhasegateError, WarehouseError, OSError) as exc:
        print(f"phasegate: warning: cannot read the {DATASET} dataset of {warehouse.url} ({exc}): "
              f"{what} of this machine only", file=sys.stderr)
        return False
    if missing:
        say_missing(warehouse, missing, what, reading=True)
        return False
    return True


def gate_runs(warehouse: Warehouse | None, phase: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The latest gate runs in the warehouse (newest first): run_id, phase, verdict, exit_code, started_at,
    finished_at, window {start, end}, warehouse, host, user, git_commit, summary. [] without the tables."""
    if not readable(warehouse, (GATE_RUNS,), "gate runs"):
        return []
    rows = warehouse.query(_GATE_RUNS, {"phase": phase or "", "limit": int(limit)})
    return [{"run_id": r["run_id"], "phase": r["phase"], "verdict": r["verdict"], "exit_code": r["exit_code"],
             "started_at": iso_moment(r["started_at"]), "finished_at": iso_moment(r["finished_at"]),
             "window": {"start": text_of(r["window_start"]) or None, "end": text_of(r["window_end"]) or None},
             "warehouse": r["warehouse"], "host": r["host"], "user": r["user_name"], "git_commit": r["git_commit"],
             "summary": json.loads(r["summary"] or "{}")} for r in rows]


def gate_run(warehouse: Warehouse | None, run_id: str) -> dict[str, Any] | None:
    """The stored results dict of one gate run (results.json as its checkout wrote it, plus `recorded_by`:
    {host, user}); None if the warehouse has no such run or no gate history."""
    if not readable(warehouse, (GATE_RUNS,), "gate runs"):
        return None
    rows = warehouse.query(_GATE_RUN, {"run_id": run_id})
    if not rows:
        return None
    results = json.loads(rows[0]["results"])
    results["recorded_by"] = {"host": rows[0]["host"], "user": rows[0]["user_name"]}
    return results


def backfill_runs(warehouse: Warehouse | None, phase: str | None = None, limit: int = 20,
                  run_id: str | None = None) -> list[dict[str, Any]]:
    """The latest row of each backfill run in the warehouse (newest first), as `runlog.recent_runs` returns
    them (`path` None, `source` "warehouse"). [] without the tables."""
    if not readable(warehouse, (BACKFILL_RUNS,), "backfill runs"):
        return []
    rows = warehouse.query(_BACKFILL_RUNS, {"phase": phase or "", "run_id": run_id or "", "limit": int(limit)})
    out = []
    for r in rows:
        summary = json.loads(r["summary"] or "{}")
        summary.update(run_id=r["run_id"], phase=r["phase"], status=r["status"], exit_code=r["exit_code"],
                       host=r["host"], path=None, source="warehouse")
        out.append(summary)
    return out


def chunk_attempts(warehouse: Warehouse, run_id: str) -> list[dict[str, Any]]:
    """A run's chunk attempts as run-log `chunk` events (oldest first); [] without the table."""
    if not readable(warehouse, (CHUNK_ATTEMPTS,), "chunk attempts"):
        return []
    out = []
    for r in warehouse.query(_CHUNKS, {"run_id": run_id}):
        cost = {"jobs": r["jobs"], "bytes_processed": r["bytes_processed"], "bytes_billed": r["bytes_billed"]}
        out.append({"event": "chunk", "run_id": run_id, "at": iso_moment(r["attempted_at"]), "table": r["table_name"],
                    "start": text_of(r["start_date"]), "end": text_of(r["end_date"]), "dates": r["dates"],
                    "attempt": r["attempt"], "status": r["status"], "rows": r["rows_written"],
                    "seconds": r["seconds"], "error": r["error"], "cost": cost})
    return out


def merged(local: list[dict[str, Any]], shared: list[dict[str, Any]], limit: int | None,
           key: str = "started_at") -> list[dict[str, Any]]:
    """Local and warehouse runs, one per run id (the local record wins: it has the file paths), newest first."""
    by_id: dict[str, dict[str, Any]] = {r["run_id"]: r for r in shared if r.get("run_id")}
    for r in local:
        by_id[r["run_id"]] = {**by_id.get(r["run_id"], {}), **r, "source": "local"}
    runs = sorted(by_id.values(), key=lambda r: (text_of(r.get(key)), r["run_id"]), reverse=True)
    return runs if limit is None else runs[:limit]
