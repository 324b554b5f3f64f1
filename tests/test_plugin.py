"""The pytest plugin itself, through pytester: generated ids, catalog-driven cases, ERROR on query errors."""

from __future__ import annotations

import json
import shutil

import pytest
import sqlglot  # noqa: F401 - loaded before pytester's in-process runs, which unload what they import

from tests.fixtures.builders import ROOT
from tests.fixtures.worlds import GATE_END as END
from tests.fixtures.worlds import GATE_START as START
from tests.fixtures.worlds import build_world

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.getbasetemp() / "gate_world.duckdb")


@pytest.fixture()
def project(pytester):
    checks = pytester.path / "checks" / "phase3"
    checks.mkdir(parents=True)
    shutil.copy(ROOT / "checks" / "phase3" / "test_gate.py", checks / "test_gate.py")
    shutil.copy(ROOT / "checks" / "phase3" / "test_expectations.py", checks / "test_expectations.py")
    return pytester


def args(world, catalog=ROOT / "pipeline.toml", *extra):
    return ["-p", "phasegate.gate.plugin", "-p", "no:cacheprovider", "-p", "no:xdist", "--catalog", str(catalog),
            "--warehouse", f"duckdb:///{world}", "--start-date", START.isoformat(), "--end-date", END.isoformat(),
            *extra]


def test_ids_are_family_and_table(project, world):
    result = project.runpytest(*args(world, ROOT / "pipeline.toml", "--collect-only", "-q"))
    out = result.stdout.str()
    assert "checks/phase3/test_gate.py::test_date_coverage[team_defense_game_summary]" in out
    assert "checks/phase3/test_gate.py::test_leakage[upcoming_player_game_context]" in out
    assert "checks/phase3/test_gate.py::test_uncatalogued_tables" in out
    assert "test_feature_vector" not in out  # no phase-3 table has features: no case, not a skip
    assert "test_date_coverage[player_shot_zone_analysis]" not in out  # phase 4 is another gate


def test_a_new_catalog_table_adds_its_cases(project, world, tmp_path):
    text = (ROOT / "pipeline.toml").read_text()
    for folder in ("backfill", "checks", "expectations"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    text += """
[tables.team_travel_summary]
phase = "phase3"
dataset = "nba_analytics"
grain = "team-game"
key = ["game_date", "team_abbr"]
date_column = "game_date"
team_columns = ["team_abbr"]
"""
    catalog = tmp_path / "pipeline.toml"
    catalog.write_text(text)
    result = project.runpytest(*args(world, catalog, "--collect-only", "-q"))
    out = result.stdout.str()
    for family in ("schema", "date_coverage", "game_coverage", "key_uniqueness"):
        assert f"test_{family}[team_travel_summary]" in out
    # and the gate fails on it: the table is catalogued but not in the warehouse
    run = project.runpytest(*args(world, catalog, "-k", "team_travel_summary or uncatalogued"))
    run.assert_outcomes(failed=2, errors=3)


def test_clean_run_passes_and_writes_results_json(project, world, tmp_path):
    target = tmp_path / "results.json"
    result = project.runpytest(*args(world, ROOT / "pipeline.toml", "--results-json", str(target)))
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) > 40 and "failed" not in outcomes and "errors" not in outcomes
    assert result.ret == 0
    data = json.loads(target.read_text())
    assert data["verdict"] == "GO" and data["exit_code"] == 0 and data["phase"] == "phase3"
    assert set(data["tables"]) == {"team_offense_game_summary", "player_game_summary", "team_defense_game_summary",
                                   "upcoming_player_game_context", "upcoming_team_game_context"}
    cov = data["tables"]["team_defense_game_summary"]["coverage"]
    assert cov["expected_dates"] == cov["covered_dates"] > 20 and cov["days"]["2023-10-24"] == "bootstrap"
    assert data["tables"]["player_game_summary"]["fingerprint"]["rows"] > 1000
    case = next(c for c in data["checks"] if c["name"] == "test_date_coverage[team_defense_game_summary]")
    assert case["family"] == "date_coverage" and case["outcome"] == "passed" and case["threshold"] == ">= 100%"
    assert data["summary"]["total"] == len(data["checks"]) == data["summary"]["passed"]


def test_query_error_is_an_error_never_a_failure_or_skip(project, world, tmp_path):
    from phasegate.warehouse.duckdb import DuckDBWarehouse

    copy = tmp_path / "w.duckdb"
    shutil.copy(world, copy)
    with DuckDBWarehouse(copy) as wh:
        wh.execute(["DROP TABLE nba_raw.nbac_schedule"])
    target = tmp_path / "results.json"
    result = project.runpytest(*args(copy, ROOT / "pipeline.toml", "--results-json", str(target)))
    outcomes = result.parseoutcomes()
    assert outcomes.get("errors", 0) > 10 and "failed" not in outcomes and "skipped" not in outcomes
    data = json.loads(target.read_text())
    assert data["verdict"] == "ERROR" and data["exit_code"] == 3
    err = next(c for c in data["checks"] if c["name"] == "test_date_coverage[team_offense_game_summary]")
    assert err["outcome"] == "error" and "nbac_schedule" in err["message"]


def test_plain_tests_are_untouched(pytester):
    pytester.makepyfile(test_plain="def test_ok():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest("-p", "phasegate.gate.plugin", "-p", "no:cacheprovider", "--results-json",
                                str(pytester.path / "r.json"))
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "r.json").exists() or json.loads((pytester.path / "r.json").read_text())["checks"] == []


def test_bad_window_is_a_usage_error(project, world):
    result = project.runpytest(*args(world, ROOT / "pipeline.toml", "--start-date", "2024-13-01"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_every_check_family_has_a_judge_and_a_verdict_rule():
    # the plugin wires pytest; judging lives in phasegate.gate.judges, results.json in phasegate.gate.results
    from phasegate.gate.judges import JUDGES
    from phasegate.gate.results import verdict_of
    from phasegate.model.families import FAMILIES

    assert set(JUDGES) == {f.name for f in FAMILIES if f.measure != "expectations"}
    assert verdict_of({"passed": 3, "total": 3}) == ("GO", 0)
    assert verdict_of({"passed": 2, "error": 1, "total": 3}) == ("ERROR", 3)


def test_settings_and_table_exceptions_are_worked_out_once(project, world, tmp_path, monkeypatch):
    import phasegate.model.exceptions

    loads, per_table = [], []
    real_load, real_for_table = phasegate.model.exceptions.load_exceptions, phasegate.model.exceptions.Exceptions.for_table

    def load(*a, **kw):
        loads.append(a)
        return real_load(*a, **kw)

    def for_table(self, table):
        per_table.append(table)
        return real_for_table(self, table)

    monkeypatch.setattr(phasegate.model.exceptions, "load_exceptions", load)
    monkeypatch.setattr(phasegate.model.exceptions.Exceptions, "for_table", for_table)
    target = tmp_path / "results.json"
    result = project.runpytest(*args(world, ROOT / "pipeline.toml", "--results-json", str(target),
                                     "-k", "coverage and team_offense"))
    result.assert_outcomes(passed=2)
    assert len(loads) == 1  # collection, the session fixture and results.json share one reading
    assert per_table == ["team_offense_game_summary"]


def test_pytest_failure_the_gate_did_not_record_is_never_a_go():
    # pytest says "tests failed" (exit 1) but no recorded case failed: something unseen went wrong
    from phasegate.gate.results import verdict_of

    assert verdict_of({"passed": 3, "total": 3}, 1) == ("ERROR", 3)
    assert verdict_of({"passed": 2, "failed": 1, "total": 3}, 1) == ("NO-GO", 1)
    assert verdict_of({"total": 0}, 5) == ("ERROR", 3)  # nothing ran: nothing was validated
