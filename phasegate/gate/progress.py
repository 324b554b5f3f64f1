"""The gate's live progress: each finished case, as it finishes, from the pytest process to its caller.

The pytest plugin (`phasegate.gate.plugin`, controller side: under xdist it receives every
worker's reports) appends one JSON line per finished case to the file named by
`--progress-file`:

    {"case": "test_date_coverage[team_summary]", "table": "team_summary", "outcome": "passed"}

`run_gate(..., progress=...)` follows that file while pytest runs and hands each line to the
listener as a `CaseDone`, after `start` told it how many cases each table owes (the catalog's
checklist, `phasegate.gate.expected`). The gate only emits these events; drawing them is the
CLI's job (`phasegate.cli.gate_progress`), so the core knows nothing of terminals.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

PHASE_ROW = "(phase)"  # the row of the phase-scope cases, which belong to no table
POLL_S = 0.1  # how often the caller looks for new lines while pytest runs


@dataclass(frozen=True)
class CaseDone:
    case: str  # the pytest case name: test_<family>[<table>], test_<family>, test_expectation[<rule>]
    table: str  # PHASE_ROW for a phase-scope case
    outcome: str  # passed | failed | error | skipped | warned (phasegate.gate.results.CaseResult)


class GateProgress(Protocol):
    """What run_gate tells a listener: the checklist per table, then each case as it finishes."""

    def start(self, expected: dict[str, int]) -> None: ...

    def case_done(self, case: CaseDone) -> None: ...


def expected_per_table(cases: Iterable[tuple[str, str | None]]) -> dict[str, int]:
    """(case name, table or None) -> {table: cases owed}, the phase-scope row first."""
    counted = Counter(table or PHASE_ROW for _, table in cases)
    return dict(sorted(counted.items(), key=lambda kv: (kv[0] != PHASE_ROW, kv[0])))


class ProgressWriter:
    """The plugin's side: one flushed JSON line per finished case (the caller reads them as they come)."""

    def __init__(self, path: str | Path) -> None:
        self._file: IO[str] = open(path, "a", encoding="utf-8")  # closed by close(), at the session's end

    def write(self, case: CaseDone) -> None:
        self._file.write(json.dumps({"case": case.case, "table": case.table, "outcome": case.outcome}) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class ProgressReader:
    """The caller's side: the complete lines appended since the last read (a half-written line waits)."""

    def __init__(self, path: Path, tables: dict[str, str | None]) -> None:
        self.path = path
        self._tables = tables  # case name -> table, from the checklist (the parent's own knowledge)
        self._offset = 0
        self._rest = b""

    def read(self) -> list[CaseDone]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self._offset)
                chunk = f.read()
        except FileNotFoundError:
            return []
        self._offset += len(chunk)
        data = self._rest + chunk
        *lines, self._rest = data.split(b"\n")
        out = []
        for line in lines:
            try:
                doc = json.loads(line)
            except ValueError:
                continue  # not one of ours: the verdict comes from results.json, never from this file
            case = str(doc.get("case", ""))
            table = self._tables.get(case) or doc.get("table") or PHASE_ROW
            out.append(CaseDone(case=case, table=table, outcome=str(doc.get("outcome", ""))))
        return out


def run_following(cmd: list[str], *, cwd: Path, env: dict[str, str], reader: ProgressReader,
                  listener: GateProgress) -> subprocess.CompletedProcess[str]:
    """subprocess.run(cmd, capture_output=True, text=True) that hands the progress lines to the
    listener while the process runs (its output is read in a thread: a full pipe never blocks it)."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    output: dict[str, str] = {}

    def communicate() -> None:
        output["stdout"], output["stderr"] = proc.communicate()

    reading = threading.Thread(target=communicate, daemon=True)
    reading.start()
    try:
        while reading.is_alive():
            for case in reader.read():
                listener.case_done(case)
            reading.join(POLL_S)
    except BaseException:
        proc.kill()  # Ctrl-C in the caller stops pytest too, as subprocess.run does
        reading.join()
        raise
    for case in reader.read():
        listener.case_done(case)
    return subprocess.CompletedProcess(cmd, proc.returncode, output.get("stdout", ""), output.get("stderr", ""))
