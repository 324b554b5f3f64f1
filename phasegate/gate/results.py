"""The gate's results, typed: one case, one run, and the verdict rule (docs/contracts.md).

`GateResults` is the document written as results.json (`to_json`) and read back
(`from_json`); `GateResult` is what a gate run returns to its caller (the CLI, the runner, the
demo). Verdict words and exit codes come from `phasegate.model.verdict`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from phasegate.model.verdict import Verdict

# "warned": the case ran and only warn-severity checks or rules failed (phasegate.model.severity):
# shown in the verdict line and the report, never blocking.
OUTCOMES = ("passed", "warned", "failed", "error", "skipped")


@dataclass
class CaseResult:
    """One gate case (a table x family, or one expectation rule) as it ended."""

    nodeid: str
    name: str
    table: str | None
    family: str
    outcome: str  # passed | warned | failed | error | skipped
    measured: str = ""
    threshold: str = ""
    message: str = ""
    duration_s: float = 0.0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CaseResult:
        base = {"nodeid": "", "name": "", "table": None, "family": "?", "outcome": "error"}
        return cls(**(base | {k: data[k] for k in cls.__dataclass_fields__ if k in data}))


@dataclass
class Summary:
    passed: int = 0
    warned: int = 0
    failed: int = 0
    error: int = 0
    skipped: int = 0
    total: int = 0

    @classmethod
    def of(cls, cases: list[CaseResult]) -> Summary:
        counts = {k: sum(1 for c in cases if c.outcome == k) for k in OUTCOMES}
        return cls(**counts, total=len(cases))


@dataclass
class GateResults:
    """results.json: the whole record of one gate run."""

    run_id: str
    phase: str | None
    verdict: Verdict
    exit_code: int
    window: dict[str, str]
    warehouse: str
    checks: list[CaseResult] = field(default_factory=list)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    summary: Summary = field(default_factory=Summary)
    exceptions_applied: list[dict[str, Any]] = field(default_factory=list)
    started_at: str | None = None
    finished_at: str | None = None
    duration_s: float | None = None
    git_commit: str | None = None
    catalog_fingerprint: str | None = None
    exceptions_fingerprint: str | None = None
    estimated_bytes: int | None = None
    # What the run cost: warehouse jobs and their bytes per run, measurement and table (gate/ledger.py).
    cost: dict[str, Any] | None = None
    # Completeness (phasegate.gate.expected): how many cases the catalog asks for, the ones that did
    # not run ([{case, reason}]), and the selection (-k ...) that narrowed the run, if any.
    expected_cases: int | None = None
    not_run: list[dict[str, str]] = field(default_factory=list)
    selection: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = str(self.verdict)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GateResults:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        known["verdict"] = Verdict.of(data.get("verdict")) or Verdict.ERROR
        known["checks"] = [CaseResult.from_json(c) for c in data.get("checks") or []]
        known["summary"] = Summary(**{k: int((data.get("summary") or {}).get(k, 0))
                                      for k in Summary.__dataclass_fields__})
        return cls(**known)


@dataclass
class GateResult:
    """What a gate run returns: the verdict, where its report is, and a text for people."""

    phase: str
    verdict: Verdict
    exit_code: int
    run_dir: Path | None
    failing_tables: dict[str, str] = field(default_factory=dict)  # table -> one-line reason
    text: str = ""
    results: GateResults | None = None

    @property
    def results_path(self) -> Path | None:
        return None if self.run_dir is None else self.run_dir / "results.json"


def verdict_of(summary: Summary | dict[str, int], pytest_exit: int | None = None, *,
               not_run: list[dict[str, str]] | None = None, selection: str | None = None) -> tuple[Verdict, int]:
    """GO only when every expected case ran and passed (docs/contracts.md, model/verdict.py).

    A failure is NO-GO; an error, or an expected case that did not run, is ERROR ("could not
    validate"); when the caller narrowed the run (`selection`, e.g. -k) and what ran passed, it is
    PARTIAL. Nothing run is never a GO. Warned cases pass (their failing checks are warn-severity).
    """
    s = summary if isinstance(summary, dict) else asdict(summary)
    if s.get("failed", 0):
        return Verdict.NO_GO, Verdict.NO_GO.exit_code
    if s.get("error", 0):
        return Verdict.ERROR, Verdict.ERROR.exit_code
    if pytest_exit not in (None, 0, 5):  # 1 with no recorded failure, interrupted, internal error, usage error
        return Verdict.ERROR, Verdict.ERROR.exit_code
    if s.get("total", 0) == 0 or s.get("passed", 0) + s.get("warned", 0) == 0:
        return Verdict.ERROR, Verdict.ERROR.exit_code  # "no tests collected": nothing was validated
    if not_run:
        verdict = Verdict.PARTIAL if selection else Verdict.ERROR
        return verdict, verdict.exit_code
    if s.get("skipped", 0):
        return Verdict.ERROR, Verdict.ERROR.exit_code  # a skipped case proved nothing
    return Verdict.GO, Verdict.GO.exit_code


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_results(path: str | Path, results: GateResults | dict[str, Any]) -> None:
    """Write results.json atomically (a reader never sees half a file)."""
    data = results.to_json() if isinstance(results, GateResults) else results
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    tmp.replace(target)


def read_results(path: str | Path) -> GateResults:
    return GateResults.from_json(json.loads(Path(path).read_text()))
