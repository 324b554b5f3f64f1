"""pytest's reports of a gate session -> the typed results (`phasegate.gate.results`).

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

from phasegate.gate.expected import expected_cases, not_run
from phasegate.gate.ledger import cost_of, read_jobs
from phasegate.gate.results import CaseResult, GateResults, Summary, iso, verdict_of
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


def collect_cases(reports: dict[str, list[pytest.TestReport]]) -> tuple[list[CaseResult], dict[str, dict]]:
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
            if props.get("warning"):  # a warn-severity check or rule failed: shown, not blocking
                outcome, message = "warned", props["warning"]
        clean = _clean_nodeid(nodeid)
        name = clean.split("::")[-1]
        family = props.get("family") or name.split("[")[0].removeprefix("test_")
        table = props.get("table")
        checks.append(CaseResult(nodeid=clean, name=name, table=table, family=family, outcome=outcome,
                              measured=props.get("measured", ""), threshold=props.get("threshold", ""),
                              message=message, duration_s=round(duration, 4)))
        if table:
            entry = tables.setdefault(table, {})
            if "coverage" in props:
                entry["coverage"] = props["coverage"]
            if "fingerprint" in props:
                entry["fingerprint"] = props["fingerprint"]
            if "exceptions_applied" in props:
                entry["exceptions_applied"] = props["exceptions_applied"]
            if "provenance" in props:
                entry["provenance"] = props["provenance"]
            if "audit" in props:
                entry["audit"] = props["audit"]
    checks.sort(key=lambda c: c.nodeid)
    return checks, tables


def _git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=False,
                             timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None



def build_results(*, catalog: Catalog, phase: str | None, warehouse_url: str, start: dt.date, end: dt.date,
                  exceptions: Any, reports: dict[str, list[pytest.TestReport]], started: float, run_id: str | None,
                  exitstatus: int, run_dir: Path | None = None, engine: str | None = None,
                  selection: str | None = None, audit: str | None = None) -> GateResults:
    """The results of a gate session (written as results.json, docs/contracts.md).

    `run_dir` holds the jobs files of the session's processes (phasegate.gate.ledger): their cost.
    The cases that ran are compared with the catalog's checklist (phasegate.gate.expected).
    """
    checks, table_facts = collect_cases(reports)
    summary = Summary.of(checks)
    expected = [c.name for c in expected_cases(catalog, phase, audit=audit)] if phase else None
    missing = not_run(expected, checks) if expected is not None else []
    verdict, code = verdict_of(summary, int(exitstatus), not_run=missing, selection=selection)
    tables = {}
    for t in (catalog.tables_of(phase) if phase else []):
        facts = table_facts.get(t.name, {})
        tables[t.name] = {"phase": t.phase, "dataset": t.dataset, "date_column": t.date_column,
                          "coverage": facts.get("coverage"), "fingerprint": facts.get("fingerprint"),
                          "provenance": facts.get("provenance") or {}, "audit": facts.get("audit")}
    applied = [e for facts in table_facts.values() for e in facts.get("exceptions_applied", [])]
    finished = time.time()
    return GateResults(
        run_id=run_id or f"{phase}-{dt.datetime.fromtimestamp(started, dt.UTC):%Y%m%dT%H%M%SZ}-pyte",
        phase=phase, verdict=verdict, exit_code=code,
        window={"start": start.isoformat(), "end": end.isoformat()}, warehouse=warehouse_url,
        started_at=iso(started), finished_at=iso(finished), duration_s=round(finished - started, 3),
        git_commit=_git_commit(catalog.root), catalog_fingerprint=catalog.fingerprint,
        exceptions_fingerprint=exceptions.fingerprint,
        tables=tables, checks=checks, exceptions_applied=applied, summary=summary,
        expected_cases=None if expected is None else len(expected), not_run=missing, selection=selection,
        cost=cost_of(read_jobs(run_dir), engine=engine) if run_dir is not None else None)


