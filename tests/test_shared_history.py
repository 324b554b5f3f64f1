"""Shared history: two checkouts of the project on one DuckDB file see each other's runs.

The "laptop" is a copy of the project folder with its own .phasegate/ and reports/ (so nothing
local is shared) and its own host name; only the warehouse file is common.
"""

from __future__ import annotations

import json
import shutil
import socket

import pytest

from phasegate.cli import run
from phasegate.gate.results import read_results
from phasegate.gate.run import run_gate
from phasegate.runner.history import all_runs
from phasegate.runner.orchestrate import Options, backfill
from phasegate.runner.runlog import read_events, summarize
from phasegate.state import SCHEMA, ensure_state, history
from phasegate.warehouse import open_warehouse
from tests.fixtures.builders import d
from tests.fixtures.worlds import coverage_gate, delete, make_world, with_gate_checks

LAPTOP = "laptop-of-ana"


def options(root, url, **kw) -> Options:
    base = {"phase": "phase3", "warehouse_url": url, "catalog_path": root / "pipeline.toml",
            "start": d("2023-10-01"), "end": d("2023-12-31"), "yes": True, "workers": 1, "chunk_days": 30,
            "tables": ["team_summary"], "gate": False, "command": f"phasegate backfill phase3 ({root.name})"}
    return Options(**(base | kw))


@pytest.fixture()
def two_checkouts(tmp_path):
    world = with_gate_checks(make_world(tmp_path, fill=("team_summary",)))
    delete(world, "team_summary", "game_date BETWEEN DATE '2023-11-07' AND DATE '2023-11-30'")
    laptop = tmp_path / "laptop"
    shutil.copytree(world.root, laptop)  # its own .phasegate/ and reports/, the same warehouse
    with open_warehouse(world.url) as wh:
        ensure_state(wh)
    return world, laptop


def on_the_laptop(monkeypatch):
    monkeypatch.setattr(socket, "gethostname", lambda: LAPTOP)


def test_a_backfill_on_the_laptop_is_in_the_other_checkouts_runs_with_its_host_and_chunks(two_checkouts, monkeypatch,
                                                                                           capsys):
    world, laptop = two_checkouts
    with monkeypatch.context() as m:
        on_the_laptop(m)
        outcome = backfill(options(laptop, world.url), out=lambda s: None, gate_fn=coverage_gate)
    assert outcome.exit_code == 0 and outcome.execution.rows_written > 0
    assert not (world.root / ".phasegate" / "runs").exists()  # nothing local reached the first checkout

    capsys.readouterr()
    assert run(["runs", "--json", "--warehouse", world.url, "--catalog", str(world.root / "pipeline.toml")]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [(r["run_id"], r["host"], r["status"], r["source"]) for r in runs] == \
        [(outcome.run_id, LAPTOP, "NOT VALIDATED", "warehouse")]
    assert runs[0]["rows_written"] == outcome.execution.rows_written
    assert runs[0]["tables"] == summarize(read_events(outcome.log_path))["tables"]
    assert runs[0]["tables"]["team_summary"]["done"] > 0

    assert run(["runs", "--warehouse", world.url, "--catalog", str(world.root / "pipeline.toml")]) == 0
    assert LAPTOP in capsys.readouterr().out  # the table's host column

    assert run(["runs", "show", outcome.run_id, "--warehouse", world.url,
                "--catalog", str(world.root / "pipeline.toml")]) == 0
    shown = capsys.readouterr().out
    assert f"on {LAPTOP}" in shown and "another checkout's run" in shown
    local_chunks = [e for e in read_events(outcome.log_path) if e["event"] == "chunk"]
    assert shown.count(" chunk ") == len(local_chunks) > 0
    assert all(f" chunk {e['table']} {e['start']}..{e['end']} " in shown for e in local_chunks)

    # the laptop itself shows its run once, from its own log
    laptop_runs = all_runs(laptop / ".phasegate", world.url)
    assert [(r["run_id"], r["source"]) for r in laptop_runs] == [(outcome.run_id, "local")]


def test_a_gate_run_on_the_laptop_is_readable_and_signable_from_the_other_checkout(two_checkouts, monkeypatch,
                                                                                   capsys):
    world, laptop = two_checkouts
    with monkeypatch.context() as m:
        on_the_laptop(m)
        gate = run_gate("phase3", warehouse_url=world.url, catalog_path=laptop / "pipeline.toml",
                        start=d("2023-10-24"), end=d("2023-12-31"), workers=1)
    assert gate.verdict == "NO-GO"  # team_summary lost November
    stored = read_results(gate.results_path).to_json()
    assert not (world.root / "reports").exists()

    with open_warehouse(world.url, read_only=True) as wh:
        listed = history.gate_runs(wh, phase="phase3")
        assert [(r["run_id"], r["verdict"], r["exit_code"], r["host"]) for r in listed] == \
            [(stored["run_id"], "NO-GO", 1, LAPTOP)]
        assert listed[0]["window"] == {"start": "2023-10-24", "end": "2023-12-31"}
        found = history.gate_run(wh, stored["run_id"])
        assert found.pop("recorded_by")["host"] == LAPTOP
        assert json.loads(json.dumps(stored, default=str, sort_keys=True)) == found  # what the laptop wrote
        assert history.gate_run(wh, "phase3-20990101T000000Z-0000") is None
        cases = wh.query("SELECT table_name, family, outcome, severity FROM phasegate.gate_cases "
                         "WHERE run_id = @r", {"r": stored["run_id"]})
    assert run(["runs", "show", stored["run_id"], "--warehouse", world.url,
                "--catalog", str(world.root / "pipeline.toml")]) == 0
    shown = capsys.readouterr().out
    assert f"gate run {stored['run_id']}  phase3  NO-GO  exit 1" in shown and f"on {LAPTOP}" in shown
    assert run(["runs", "show", "phase3-20990101T000000Z-0000", "--warehouse", world.url,
                "--catalog", str(world.root / "pipeline.toml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nor in the shared history" in err
    assert len(cases) == len(stored["checks"])
    assert {(c["table_name"], c["family"], c["outcome"], c["severity"]) for c in cases if c["outcome"] == "failed"} \
        == {(c["table"], c["family"], "failed", "error") for c in stored["checks"] if c["outcome"] == "failed"}
    assert all(c["severity"] is None for c in cases if c["outcome"] == "passed")


class Recording:
    """A warehouse that only counts the statements it is sent (a writer's set-basedness)."""

    url = "duckdb:///recording"

    def __init__(self) -> None:
        self.sent: list[list[str]] = []

    def tables(self, dataset):
        return sorted(SCHEMA)

    def execute(self, statements, params=None, *, labels=None):
        self.sent.append(list(statements))


def test_writers_send_one_transaction_whatever_the_number_of_cases_and_chunks():
    wh = Recording()
    cases = [{"nodeid": f"checks/phase3/test_gate.py::case[{i}]", "table": "t", "family": "f", "outcome": "passed"}
             for i in range(500)]
    assert history.write_gate_run(wh, {"run_id": "phase3-20261202T000000Z-aaaa", "phase": "phase3",
                                       "verdict": "GO", "exit_code": 0, "checks": cases})
    chunks = [{"table": "t", "start": "2023-10-01", "end": "2023-10-30", "attempt": 1, "status": "ok"}] * 300
    assert history.write_chunk_attempts(wh, "phase3-20261202T000000Z-bbbb", chunks)
    assert [len(statements) for statements in wh.sent] == [2, 1]  # run + every case; every chunk


def test_a_failed_state_write_is_a_warning_and_the_verdict_and_exit_code_stand(two_checkouts, capsys):
    world, _ = two_checkouts
    with open_warehouse(world.url) as wh:  # a gate_cases the INSERT cannot fill (a hand-made table)
        wh.execute(["DROP TABLE phasegate.gate_cases", "CREATE TABLE phasegate.gate_cases (run_id INT64)"])
    gate = run_gate("phase3", warehouse_url=world.url, catalog_path=world.root / "pipeline.toml",
                    start=d("2023-10-24"), end=d("2023-12-31"), workers=1)
    err = capsys.readouterr().err
    stored = read_results(gate.results_path)
    assert (gate.verdict, gate.exit_code) == (stored.verdict, stored.exit_code) == ("NO-GO", 1)
    assert f"warning: gate run {stored.run_id} not written to the warehouse's phasegate dataset" in err
    with open_warehouse(world.url, read_only=True) as wh:
        assert history.gate_runs(wh) == []  # one transaction: no run without its cases

    with open_warehouse(world.url) as wh:
        wh.execute(["DROP TABLE phasegate.chunk_attempts", "CREATE TABLE phasegate.chunk_attempts (run_id INT64)"])
    outcome = backfill(options(world.root, world.url), out=lambda s: None, gate_fn=coverage_gate)
    err = capsys.readouterr().err
    assert outcome.exit_code == 0 and outcome.verdict == "NOT VALIDATED"
    assert f"warning: run {outcome.run_id} not written" in err


def test_a_dataset_from_an_older_init_is_named_and_the_local_runs_shown(tmp_path, capsys):
    world = make_world(tmp_path, fill=("team_summary",))
    delete(world, "team_summary", "game_date BETWEEN DATE '2023-11-07' AND DATE '2023-11-30'")
    with open_warehouse(world.url) as wh:  # what `phasegate init` made before the history tables
        wh.ensure_dataset("phasegate")
        wh.execute([SCHEMA["leases"]])
    outcome = backfill(options(world.root, world.url), out=lambda s: None, gate_fn=coverage_gate)
    assert outcome.exit_code == 0
    err = capsys.readouterr().err
    assert "has no phasegate.backfill_runs" in err and "older `phasegate init`" in err
    runs = all_runs(world.root / ".phasegate", world.url)
    assert [(r["run_id"], r["source"]) for r in runs] == [(outcome.run_id, "local")]
    assert "backfill runs of this machine only" in capsys.readouterr().err


def test_without_the_dataset_runs_say_so_and_show_the_local_ones(tmp_path, capsys):
    world = make_world(tmp_path, fill=("team_summary",))
    delete(world, "team_summary", "game_date BETWEEN DATE '2023-11-07' AND DATE '2023-11-30'")
    outcome = backfill(options(world.root, world.url), out=lambda s: None, gate_fn=coverage_gate)
    assert outcome.exit_code == 0
    assert "has no phasegate dataset (run `phasegate init`)" in capsys.readouterr().err
    assert run(["runs", "--json", "--warehouse", world.url, "--catalog", str(world.root / "pipeline.toml")]) == 0
    captured = capsys.readouterr()
    assert [r["run_id"] for r in json.loads(captured.out)] == [outcome.run_id]
    assert "has no phasegate dataset" in captured.err


def test_an_unreadable_warehouse_never_hides_the_local_runs(tmp_path, capsys):
    world = make_world(tmp_path, fill=("team_summary",))
    delete(world, "team_summary", "game_date BETWEEN DATE '2023-11-07' AND DATE '2023-11-30'")
    outcome = backfill(options(world.root, world.url), out=lambda s: None, gate_fn=coverage_gate)
    capsys.readouterr()
    runs = all_runs(world.root / ".phasegate", f"duckdb:///{tmp_path / 'nowhere.duckdb'}")
    assert [r["run_id"] for r in runs] == [outcome.run_id]
    assert "cannot read the shared history" in capsys.readouterr().err


def test_public_url_drops_credentials():
    assert history.public_url("bigquery://u:secret@proj?location=US&api_key=k&access_token=t") == \
        "bigquery://proj?location=US"
    assert history.public_url("duckdb:///tmp/w.duckdb") == "duckdb:///tmp/w.duckdb"


def test_a_run_written_twice_reads_as_its_final_row(tmp_path):
    with open_warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}", create=True) as wh:
        ensure_state(wh)
        run_id = "phase3-20261202T000000Z-cccc"
        started = {"run_id": run_id, "phase": "phase3", "status": "running", "started_at": "2026-12-02T00:00:00Z"}
        history.write_backfill_run(wh, started)
        history.write_backfill_run(wh, started | {"status": "GO", "exit_code": 0,
                                                  "finished_at": "2026-12-02T00:01:00Z"})
        history.write_backfill_run(wh, started)  # a late start row never undoes the end
        assert [(r["status"], r["exit_code"]) for r in history.backfill_runs(wh)] == [("GO", 0)]
