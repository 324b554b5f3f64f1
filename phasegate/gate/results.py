"""The gate's results.json (docs/contracts.md): the cases' pytest reports -> one document, and the verdict.

Written by the controller process (the xdist controller receives the workers' reports). Each
case's facts travel as `user_properties` under the `phasegate` key (see `phasegate.gate.plugin`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from phasegate.model.catalog import Catalog

PROPERTY = "phasegate"  # the user_properties key of a case's facts
_NODE = re.compile(r"@[^\]]*$")


def _clean_nodeid(nodeid: str) -> str:
    return _NODE.sub("", nodeid) if "@" in nodeid and not nodeid.endswith("]") else nodeid


def _message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        text = crash.message
    else:
        text = report.longreprtext or ""
    return text.strip().removeprefix("Failed: ")


def collect_cases(reports: dict[str, list[pytest.TestReport]]) -> tuple[list[dict], dict[str, dict]]:
    checks, tables = [], {}
    for nodeid, reps in reports.items():
        props: dict[str, Any] = {}
        outcome, message, duration = "passed", "", 0.0
        for rep in reps:
            for key, value in rep.user_properties:
                if key == PROPERTY:
                    props.update(json.loads(value))
                elif key in ("family", "table", "measured", "threshold", "message"):
                    props[key] = value  # plain properties (e.g. the Great Expectations cases)
            duration += rep.duration
            if rep.when == "setup" and rep.failed:
                outcome, message = "error", _message(rep)
            elif rep.when == "setup" and rep.skipped:
                outcome, message = "skipped", _message(rep)
            elif rep.when == "call" and rep.failed:
                outcome, message = "failed", _message(rep)
            elif rep.when == "call" and rep.skipped:
                outcome, message = "skipped", _message(rep)
            elif rep.when == "teardown" and rep.failed and outcome == "passed":
                outcome, message = "error", _message(rep)
        if outcome == "passed":
            message = props.get("message", "")
        clean = _clean_nodeid(nodeid)
        name = clean.split("::")[-1]
        family = props.get("family") or name.split("[")[0].removeprefix("test_")
        table = props.get("table")
        checks.append({"nodeid": clean, "name": name, "table": table, "family": family, "outcome": outcome,
                       "measured": props.get("measured", ""), "threshold": props.get("threshold", ""),
                       "message": message, "duration_s": round(duration, 4)})
        if table:
            entry = tables.setdefault(table, {})
            if "coverage" in props:
                entry["coverage"] = props["coverage"]
            if "fingerprint" in props:
                entry["fingerprint"] = props["fingerprint"]
            if "exceptions_applied" in props:
                entry["exceptions_applied"] = props["exceptions_applied"]
    checks.sort(key=lambda c: c["nodeid"])
    return checks, tables


def verdict_of(summary: dict[str, int], pytest_exit: int | None = None) -> tuple[str, int]:
    """GO only when cases ran and all passed; failures NO-GO; errors alone: could not validate."""
    if summary.get("failed", 0):
        return "NO-GO", 1
    if summary.get("error", 0):
        return "ERROR", 3
    if pytest_exit not in (None, 0, 5):  # 1 with no recorded failure, interrupted, internal error, usage error
        return "ERROR", 3
    if summary.get("total", 0) == 0 or summary.get("passed", 0) == 0:
        return "NO-GO", 1  # "no tests collected" is never a GO
    if summary.get("skipped", 0):
        return "NO-GO", 1  # a skipped case proved nothing
    return "GO", 0


def _git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=False,
                             timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None



def build_results(*, catalog: Catalog, phase: str | None, warehouse_url: str, start: dt.date, end: dt.date,
                  exceptions: Any, reports: dict[str, list[pytest.TestReport]], started: float, run_id: str | None,
                  exitstatus: int) -> dict[str, Any]:
    """The results.json document of a gate session (docs/contracts.md)."""
    checks, table_facts = collect_cases(reports)
    summary = {k: sum(1 for c in checks if c["outcome"] == k) for k in ("passed", "failed", "error", "skipped")}
    summary["total"] = len(checks)
    verdict, code = verdict_of(summary, int(exitstatus))
    tables = {}
    for t in (catalog.tables_of(phase) if phase else []):
        facts = table_facts.get(t.name, {})
        tables[t.name] = {"phase": t.phase, "dataset": t.dataset, "date_column": t.date_column,
                          "coverage": facts.get("coverage"), "fingerprint": facts.get("fingerprint")}
    applied = [e for facts in table_facts.values() for e in facts.get("exceptions_applied", [])]
    finished = time.time()

    def iso(ts: float) -> str:
        return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "run_id": run_id or f"{phase}-{dt.datetime.fromtimestamp(started, dt.UTC):%Y%m%dT%H%M%SZ}-pyte",
        "phase": phase, "verdict": verdict, "exit_code": code,
        "window": {"start": start.isoformat(), "end": end.isoformat()}, "warehouse": warehouse_url,
        "started_at": iso(started), "finished_at": iso(finished), "duration_s": round(finished - started, 3),
        "git_commit": _git_commit(catalog.root), "catalog_fingerprint": catalog.fingerprint,
        "exceptions_fingerprint": exceptions.fingerprint,
        "tables": tables, "checks": checks, "exceptions_applied": applied, "summary": summary,
    }


def write_results(path: str | Path, results: dict[str, Any]) -> None:
    """Write results.json atomically (a reader never sees half a file)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=2, default=str))
    tmp.replace(target)
