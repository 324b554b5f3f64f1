"""Pre-flight for every write, the expert override recorded and shown, and NOT VALIDATED without a gate.

* `backfill PHASE` gates the upstream phase first, as `run` does: NO-GO, ERROR or PARTIAL stops it
  before anything is written (the tiny world with the coverage gate; the incident reproduction
  with the real gate on the repository's checks);
* `--skip-upstream-gate` writes anyway, and the run log, `runs show` and every later report of
  the phase say who skipped it, until a write with its pre-flight replaces it as the latest;
* `--no-gate` is NOT VALIDATED (exit 0 when every chunk was written and verified), never GO.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from phasegate.gate.results import GateResult
from phasegate.model.verdict import Verdict
from phasegate.report import write_report
from phasegate.runner.orchestrate import Options, backfill
from phasegate.runner.runlog import read_events, recent_runs
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.builders import ROOT, d
from tests.fixtures.worlds import GATE_END, GATE_START, coverage_gate, delete, make_world, project_on_world


def opts(world, phase="phase4", **kw):
    base = {"phase": phase, "warehouse_url": world.url, "catalog_path": world.root / "pipeline.toml",
            "start": d("2023-10-01"), "end": d("2023-12-31"), "yes": True, "workers": 2, "chunk_days": 10,
            "command": f"phasegate backfill {phase} --yes"}
    base.update(kw)
    return Options(**base)


def cli(world, *args):
    from phasegate.cli import app

    return CliRunner().invoke(app, [*args, "--catalog", str(world.root / "pipeline.toml")])


@pytest.fixture()
def world(tmp_path):
    # phase 3 incomplete: team_summary filled, team_rollup and team_other empty
    return make_world(tmp_path, fill=("team_summary",))


def stub_gate(verdict: Verdict):
    def gate(phase, **kw):
        return GateResult(phase, verdict, verdict.exit_code, None, {}, f"{phase}: {verdict}")
    return gate


def test_backfill_gates_the_upstream_phase_first_and_writes_nothing_on_no_go(world):
    lines: list[str] = []
    outcome = backfill(opts(world, gate=False), out=lines.append, gate_fn=coverage_gate)
    text = "\n".join(lines)
    assert outcome.verdict == "NO-GO" and outcome.exit_code == 1, text
    assert "phase4 NOT started: the upstream phase phase3 is NO-GO; nothing was written." in text
    assert "team_rollup" in text and "phasegate backfill phase3 --yes" in text
    assert world.rows("team_zone") == 0
    events = read_events(outcome.log_path)
    assert [e["event"] for e in events] == ["start", "upstream_gate", "verdict"]
    assert events[1]["verdict"] == "NO-GO" and events[0]["kind"] == "backfill"


@pytest.mark.parametrize("verdict", [Verdict.ERROR, Verdict.PARTIAL])
def test_an_upstream_gate_that_is_not_go_is_not_a_pass(world, verdict):
    lines: list[str] = []
    outcome = backfill(opts(world), out=lines.append, gate_fn=stub_gate(verdict))
    assert outcome.exit_code == 3 and outcome.verdict == "ERROR"
    assert f"the upstream phase phase3 is {verdict}; nothing was written" in "\n".join(lines)
    assert world.rows("team_zone") == 0


def test_a_raw_upstream_phase_is_pre_flighted_by_the_plan_not_by_a_gate(world):
    calls: list[str] = []

    def gate(phase, **kw):
        calls.append(phase)
        return coverage_gate(phase, **kw)

    delete(world, "team_summary", "game_date BETWEEN DATE '2023-11-07' AND DATE '2023-11-10'")
    outcome = backfill(opts(world, "phase3", tables=["team_summary"]), out=lambda s: None, gate_fn=gate)
    assert calls == ["phase3"]  # only the phase's own gate: phase 2 is raw
    pre = [e for e in read_events(outcome.log_path) if e["event"] == "preflight"]
    assert pre and pre[0]["phase"] == "phase2" and "raw" in pre[0]["message"]


def test_skip_upstream_gate_is_recorded_and_shown_until_a_pre_flighted_write_replaces_it(world, monkeypatch):
    monkeypatch.setenv("USER", "expert")
    monkeypatch.setattr("phasegate.runner.orchestrate._who", lambda: "expert")
    calls: list[str] = []

    def gate(phase, **kw):
        calls.append(phase)
        return coverage_gate(phase, **kw)

    lines: list[str] = []
    skipped = backfill(opts(world, skip_upstream_gate=True, gate=False), out=lines.append, gate_fn=gate)
    assert calls == [] and world.rows("team_zone") > 0
    assert skipped.verdict == "NOT VALIDATED" and skipped.exit_code == 0
    assert "pre-flight SKIPPED (--skip-upstream-gate, by expert)" in "\n".join(lines)
    event = next(e for e in read_events(skipped.log_path) if e["event"] == "upstream_gate")
    assert event["skipped"] is True and event["by"] == "expert" and event["verdict"] == "SKIPPED"
    shown = cli(world, "runs", "show", skipped.run_id)
    assert shown.exit_code == 0 and "pre-flight SKIPPED by expert at" in shown.output
    listed = cli(world, "runs", "phase4")
    assert "SKIPPED by expert" in listed.output and "NOT VALIDATED" in listed.output

    # a later phase-4 report carries the banner, naming who, when and the run
    html = report_of(world, "phase4")
    assert 'id="preflight-skipped"' in html and skipped.run_id in html and "by expert" in html

    # phase 3 made GO, then a write with its pre-flight: the banner is gone from later reports
    assert backfill(opts(world, "phase3"), out=lambda s: None, gate_fn=coverage_gate).verdict == "GO"
    delete(world, "team_zone", "analysis_date BETWEEN DATE '2023-11-07' AND DATE '2023-11-10'")
    guarded = backfill(opts(world), out=lambda s: None, gate_fn=gate)
    assert guarded.verdict == "GO" and guarded.upstream_gate.verdict == "GO" and calls[0] == "phase3"
    assert 'id="preflight-skipped"' not in report_of(world, "phase4")
    assert recent_runs(world.root / ".phasegate", phase="phase4")[0]["preflight"]["verdict"] == "GO"


def report_of(world, phase: str) -> str:
    """A gate report of `phase` rendered now (a stored GO results.json, stamped after the runs)."""
    import datetime as dt

    results = json.loads((ROOT / "tests" / "fixtures" / "results_go.json").read_text())
    now = dt.datetime.now(dt.UTC)
    run_id = f"{phase}-{now:%Y%m%dT%H%M%S%fZ}-abcd"
    results.update(run_id=run_id, phase=phase, started_at=now.isoformat(), tables={}, checks=[])
    run_dir = world.root / "reports" / phase / run_id
    run_dir.mkdir(parents=True)
    (run_dir / "results.json").write_text(json.dumps(results))
    return write_report(run_dir, catalog=world.catalog).read_text()


def test_no_gate_is_not_validated_never_go(world):
    lines: list[str] = []
    outcome = backfill(opts(world, "phase3", gate=False), out=lines.append, gate_fn=coverage_gate)
    text = "\n".join(lines)
    assert outcome.verdict == "NOT VALIDATED" and outcome.exit_code == 0, text
    assert "phase3: NOT VALIDATED" in text and "GO" not in text.replace("NO-GO", "")
    summary = recent_runs(world.root / ".phasegate", phase="phase3")[0]
    assert summary["status"] == "NOT VALIDATED" and summary["gate_skipped"]
    listed = cli(world, "runs")
    assert "NOT VALIDATED" in listed.output and "not run (--no-gate)" in listed.output
    assert "gate     not run (--no-gate)" in cli(world, "runs", "show", outcome.run_id).output


# -- the incident reproduction: the real gate on the repository's checks ------------------------

@pytest.fixture(scope="module")
def incident_project(tmp_path_factory, gate_world):
    """A project copy (its own run logs and reports) on the gate world with phase 3 incomplete and
    phase 4 empty, as the incident warehouse: team_defense_game_summary lacks a run of dates."""
    project = project_on_world(tmp_path_factory.mktemp("incident_preflight"), gate_world)
    from phasegate.model.catalog import load_catalog

    catalog = load_catalog(project["root"] / "pipeline.toml")
    with DuckDBWarehouse(project["path"]) as wh:
        wh.execute(["DELETE FROM nba_analytics.team_defense_game_summary "
                    "WHERE game_date BETWEEN DATE '2023-11-20' AND DATE '2023-11-24'"]
                   + [f"DROP TABLE IF EXISTS {t.ref}" for t in catalog.tables_of("phase4")])
    return {**project, "catalog": catalog}


def test_backfill_phase4_no_gate_on_the_incident_refuses_and_writes_nothing(incident_project):
    from phasegate.cli import app

    p = incident_project
    result = CliRunner().invoke(app, ["backfill", "phase4", "--yes", "--no-gate", "--warehouse", p["url"],
                                      "--catalog", str(p["root"] / "pipeline.toml"),
                                      "--start-date", str(GATE_START), "--end-date", str(GATE_END)])
    assert result.exit_code == 1, result.output
    assert "phase4 NOT started: the upstream phase phase3 is NO-GO; nothing was written." in result.output
    assert "team_defense_game_summary" in result.output
    with DuckDBWarehouse(p["path"], read_only=True) as wh:
        assert all(not wh.columns(t.dataset, t.name) for t in p["catalog"].tables_of("phase4"))
