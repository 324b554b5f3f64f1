"""The reports store: gate run folders (reports/<phase>/<run_id>/results.json) and the sign-off log."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from phasegate.errors import UsageError
from phasegate.identifiers import check_run_id

RESULTS = "results.json"
REPORT = "report.html"
INDEX = "index.html"
SIGNOFFS = "signoffs.jsonl"
RUN_ID = re.compile(r"^(?P<phase>[A-Za-z_][A-Za-z0-9_]*)-(?P<stamp>\d{8}T\d{6}Z)-(?P<tag>[0-9a-f]+)$")


def load_results(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / RESULTS
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(f"{path} does not exist: is {run_dir} a gate run folder?") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not valid JSON: {exc}") from None


def failing_tables(results: dict[str, Any]) -> list[str]:
    """The tables of a run's failed or errored cases, sorted ('?' for a phase-level case)."""
    return sorted({c.get("table") or "?" for c in results.get("checks") or []
                   if c.get("outcome") in ("failed", "error")})


def save_results(run_dir: Path, results: dict[str, Any]) -> None:
    path = Path(run_dir) / RESULTS
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2))
    os.replace(tmp, path)


def reports_root_of(run_dir: Path) -> Path:
    """reports/<phase>/<run_id> -> reports."""
    return Path(run_dir).resolve().parent.parent


def _sort_key(run_dir: Path, results: dict[str, Any] | None = None) -> tuple[str, str, float]:
    match = RUN_ID.match(run_dir.name)
    stamp = match["stamp"] if match else ""
    started = (results or {}).get("started_at") or ""
    try:
        mtime = (run_dir / RESULTS).stat().st_mtime
    except OSError:
        mtime = 0.0
    return (stamp, started, mtime)


def run_dirs(reports_root: Path, phase: str | None = None) -> list[Path]:
    """Every run folder holding a results.json, newest first."""
    root = Path(reports_root)
    pattern = f"{phase}/*/{RESULTS}" if phase else f"*/*/{RESULTS}"
    dirs = [p.parent for p in root.glob(pattern)]
    return sorted(dirs, key=_sort_key, reverse=True)


def latest_run_dir(reports_root: Path, phase: str | None = None) -> Path:
    dirs = run_dirs(reports_root, phase)
    if not dirs:
        where = f" for {phase}" if phase else ""
        raise UsageError(f"no gate run{where} under {reports_root} (run `phasegate gate PHASE` first)")
    return dirs[0]


def find_run_dir(reports_root: Path, run_id: str) -> Path:
    check_run_id(run_id)
    matches = [p.parent for p in Path(reports_root).glob(f"*/{run_id}/{RESULTS}")]
    if not matches:
        raise UsageError(f"no gate run {run_id!r} under {reports_root}")
    return matches[0]


# -- the sign-off log: reports/signoffs.jsonl, one JSON object per line ---------------------------

def read_signoffs(reports_root: Path, run_id: str | None = None) -> list[dict[str, Any]]:
    path = Path(reports_root) / SIGNOFFS
    if not path.is_file():
        return []
    out = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn line never hides the others
        if isinstance(record, dict) and (run_id is None or record.get("run_id") == run_id):
            out.append(record)
    return out


def append_signoff(reports_root: Path, record: dict[str, Any]) -> None:
    path = Path(reports_root) / SIGNOFFS
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, sort_keys=True) + "\n"
    # One write on an O_APPEND descriptor: concurrent sign-offs never interleave within a line.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
