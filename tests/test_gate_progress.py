"""The gate's live progress events: each case reported once, as it finishes, under its table."""

from __future__ import annotations

import io
import json
from collections import Counter

import pytest
from rich.console import Console

from phasegate.cli.gate_progress import RichGateProgress
from phasegate.gate.progress import PHASE_ROW, CaseDone, ProgressReader, expected_per_table
from phasegate.gate.run import run_gate
from tests.fixtures.worlds import delete, make_world, with_gate_checks


class Listener:
    def __init__(self) -> None:
        self.expected: dict[str, int] | None = None
        self.cases: list[CaseDone] = []

    def start(self, expected: dict[str, int]) -> None:
        assert not self.cases, "start comes before any case"
        self.expected = expected

    def case_done(self, case: CaseDone) -> None:
        self.cases.append(case)


def test_the_reader_hands_over_complete_lines_only_and_each_once(tmp_path):
    path = tmp_path / "progress.jsonl"
    reader = ProgressReader(path, {"test_schema[t1]": "t1"})
    assert reader.read() == []  # pytest has not started: no file yet
    with open(path, "w") as f:
        f.write('{"case": "test_schema[t1]", "table": "x", "outcome": "passed"}\n{"case": "test_dup')
    assert reader.read() == [CaseDone("test_schema[t1]", "t1", "passed")]  # the checklist's table wins
    with open(path, "a") as f:
        f.write('licates", "table": "(phase)", "outcome": "failed"}\n')
    assert reader.read() == [CaseDone("test_duplicates", PHASE_ROW, "failed")]
    assert reader.read() == []


def test_expected_per_table_puts_the_phase_row_first():
    cases = [("test_schema[b]", "b"), ("test_uncatalogued_tables", None), ("test_schema[a]", "a"),
             ("test_staleness[a]", "a")]
    assert list(expected_per_table(cases).items()) == [(PHASE_ROW, 1), ("a", 2), ("b", 1)]


def test_the_terminal_rows_count_cases_and_failures_per_table():
    screen = io.StringIO()
    progress = RichGateProgress(Console(file=screen, force_terminal=True, width=120, no_color=True))
    progress.start({PHASE_ROW: 1, "team_summary": 2})
    progress.case_done(CaseDone("test_schema[team_summary]", "team_summary", "passed"))
    progress.case_done(CaseDone("test_date_coverage[team_summary]", "team_summary", "failed"))
    progress.close()
    last = screen.getvalue().rsplit("\x1b[2K", 1)[-1]  # the final frame
    assert "team_summary" in last and "2/2 cases" in last and "1 failed" in last and "0/1 cases" in last


@pytest.fixture()
def world(tmp_path):
    world = with_gate_checks(make_world(tmp_path))
    # no expectation suites in this world: without the module no empty parameter set is skipped
    (world.root / "checks" / "phase3" / "test_expectations.py").unlink()
    return world


@pytest.mark.parametrize("workers", [None, 2], ids=["one-process", "xdist"])
def test_every_case_is_reported_once_under_its_table_with_the_outcome_results_json_counts(world, workers):
    # Under xdist the controller receives every worker's reports: it alone writes the progress.
    delete(world, "team_summary", "game_date BETWEEN DATE '2023-11-07' AND DATE '2023-11-12'")
    listener = Listener()
    result = run_gate("phase3", warehouse_url=world.url, catalog_path=world.root / "pipeline.toml",
                      start="2023-10-01", end="2023-12-31", workers=workers, progress=listener)
    assert str(result.verdict) == "NO-GO"
    doc = json.loads((result.run_dir / "results.json").read_text())
    assert listener.expected == dict(Counter(c["table"] or PHASE_ROW for c in doc["checks"]))
    assert sorted(c.case for c in listener.cases) == sorted(c["name"] for c in doc["checks"])  # each once
    outcomes = {c["name"]: (c["table"] or PHASE_ROW, c["outcome"]) for c in doc["checks"]}
    assert {c.case: (c.table, c.outcome) for c in listener.cases} == outcomes
    assert ("team_summary", "failed") in {(c.table, c.outcome) for c in listener.cases}


def test_without_a_listener_no_progress_file_is_asked_for(world):
    result = run_gate("phase3", warehouse_url=world.url, catalog_path=world.root / "pipeline.toml",
                      start="2023-10-01", end="2023-12-31")
    assert str(result.verdict) == "GO"
    assert not (result.run_dir / "progress.jsonl").exists()
    assert "--progress-file" not in (result.run_dir / "pytest.log").read_text()
