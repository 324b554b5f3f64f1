"""A GO needs every case the catalog asks for: the gate is isolated from the caller's pytest
configuration, compares what ran with its checklist, and a missing check file is exit 2.

Reproductions of issue 12 item 1 on the small gate world (tests/fixtures/worlds.py): each of
them gave a GO on an incomplete phase 3 before.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from phasegate.errors import CatalogError, UsageError
from phasegate.gate.expected import expected_cases, not_run
from phasegate.gate.results import CaseResult, verdict_of
from phasegate.gate.run import run_gate
from phasegate.model.catalog import load_catalog
from phasegate.model.verdict import Verdict
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.builders import ROOT
from tests.fixtures.worlds import GATE_START as START

END = dt.date(2023, 11, 20)  # a short window keeps each gate run quick
HOLE = "DELETE FROM nba_analytics.team_defense_game_summary WHERE game_date BETWEEN DATE '2023-11-10' AND DATE '2023-11-14'"


@pytest.fixture()
def project(tmp_path):
    """A copy of the project (catalog, checks) that a test may break; processors and suites linked."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(ROOT / "pipeline.toml", root / "pipeline.toml")
    shutil.copytree(ROOT / "checks", root / "checks", ignore=shutil.ignore_patterns("__pycache__"))
    for folder in ("backfill", "expectations"):
        (root / folder).symlink_to(ROOT / folder)
    return root


def gate(url, catalog=ROOT / "pipeline.toml", **kw):
    reports = Path(url.removeprefix("duckdb:///")).parent / "reports"
    return run_gate("phase3", warehouse_url=url, catalog_path=catalog, start=START, end=END, reports_dir=reports, **kw)


def results_of(result) -> dict:
    return json.loads((result.run_dir / "results.json").read_text())


def expected_names(catalog=ROOT / "pipeline.toml") -> list[str]:
    return [c.name for c in expected_cases(load_catalog(catalog), "phase3")]


# -- the checklist and the verdict rule (no warehouse) -----------------------------------------

def test_the_expected_set_is_every_table_family_and_rule():
    names = expected_names()
    assert "test_uncatalogued_tables" in names
    assert "test_cross_table[team_defense_game_summary]" in names  # from a catalogued check file
    assert "test_date_coverage[player_game_summary]" in names
    assert sum(n.startswith("test_expectation[") for n in names) > 100
    assert len(names) == len(set(names))


def test_verdict_needs_exactly_the_expected_set():
    ran = [CaseResult("x::a", "a", "t", "schema", "passed"), CaseResult("x::b", "b", "t", "schema", "skipped", message="why")]
    missing = not_run(["a", "b", "c"], ran)
    assert missing == [{"case": "b", "reason": "skipped: why"}, {"case": "c", "reason": "did not run"}]
    summary = {"passed": 1, "skipped": 1, "total": 2}
    assert verdict_of(summary, 0, not_run=missing) == (Verdict.ERROR, 3)
    assert verdict_of(summary, 0, not_run=missing, selection="-k a") == (Verdict.PARTIAL, 3)
    assert verdict_of({"passed": 1, "failed": 1, "total": 2}, 1, not_run=missing, selection="-k a")[0] == "NO-GO"
    assert verdict_of({"passed": 2, "total": 2}, 0, not_run=[]) == (Verdict.GO, 0)


# -- isolation from the caller's pytest configuration --------------------------------------------

def test_run_phase4_under_a_narrowing_pytest_addopts_refuses_and_writes_nothing(world_copy, project, tmp_path):
    """`PYTEST_ADDOPTS="-k schema" phasegate run phase4 --yes` on an incomplete phase 3 gave GO and wrote phase 4."""
    url = world_copy(HOLE, "DELETE FROM nba_precompute.player_daily_cache WHERE cache_date >= DATE '2023-11-15'")
    path = Path(url.removeprefix("duckdb:///"))
    with DuckDBWarehouse(path, read_only=True) as wh:
        before = wh.query("SELECT COUNT(*) AS n FROM nba_precompute.player_daily_cache")[0]["n"]
    env = {**os.environ, "PYTEST_ADDOPTS": "-k schema", "PHASEGATE_WAREHOUSE": url}
    proc = subprocess.run([str(Path(sys.executable).parent / "phasegate"), "run", "phase4", "--yes", "--catalog",
                           str(project / "pipeline.toml"), "--start-date", START.isoformat(), "--end-date", END.isoformat()],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "phase3: NO-GO" in out and "team_defense_game_summary" in out and "phase3: GO" not in out
    with DuckDBWarehouse(path, read_only=True) as wh:
        assert wh.query("SELECT COUNT(*) AS n FROM nba_precompute.player_daily_cache")[0]["n"] == before


@pytest.mark.parametrize("addopts", ["-k 'not date_coverage'", "-k expectation",
                                     "--ignore=checks/phase3/test_gate.py -p no:phasegate.gate.plugin"])
def test_pytest_environment_does_not_change_what_runs(world_copy, tmp_path, monkeypatch, addopts):
    conftest_dir = tmp_path / "caller"
    conftest_dir.mkdir()
    (conftest_dir / "deselect_all.py").write_text(
        "def pytest_collection_modifyitems(config, items):\n    items[:] = items[:1]\n")
    monkeypatch.setenv("PYTEST_ADDOPTS", addopts)
    monkeypatch.setenv("PYTEST_PLUGINS", "deselect_all")
    monkeypatch.setenv("PYTHONPATH", str(conftest_dir))
    result = gate(world_copy(HOLE))
    data = results_of(result)
    assert (result.verdict, result.exit_code) == ("NO-GO", 1), result.text
    assert data["summary"]["total"] == data["expected_cases"] == len(expected_names()) and not data["not_run"]
    assert next(c for c in data["checks"] if c["name"] == "test_date_coverage[team_defense_game_summary]")["outcome"] \
        == "failed"
    log = (result.run_dir / "pytest.log").read_text()
    assert "PYTEST" not in log.splitlines()[0] and "-c" in log.splitlines()[0]


def test_a_conftest_inside_the_checks_that_deselects_is_error_naming_what_did_not_run(world_copy, project):
    (project / "checks" / "phase3" / "conftest.py").write_text(
        "def pytest_collection_modifyitems(config, items):\n"
        "    keep = [i for i in items if i.name == 'test_uncatalogued_tables']\n"
        "    config.hook.pytest_deselected(items=[i for i in items if i not in keep])\n"
        "    items[:] = keep\n")
    result = gate(world_copy(), catalog=project / "pipeline.toml")
    data = results_of(result)
    assert (result.verdict, result.exit_code) == ("ERROR", 3), result.text
    assert data["summary"]["passed"] == 1 and len(data["not_run"]) == len(expected_names()) - 1
    assert "did not run" in result.text and "test_schema[" in result.text


def test_a_conftest_above_the_project_is_not_loaded(world_copy, tmp_path, project):
    # the project's parent folder holds a conftest that would deselect every case
    (project.parent / "conftest.py").write_text(
        "def pytest_collection_modifyitems(config, items):\n    items[:] = []\n")
    (project / "conftest.py").write_text("raise RuntimeError('the gate loaded a conftest above its checks')\n")
    result = gate(world_copy(HOLE), catalog=project / "pipeline.toml", select="team_defense_game_summary and coverage")
    assert result.verdict == "NO-GO", result.text  # the selection ran, and found the hole


# -- a selection is PARTIAL, never GO ---------------------------------------------------------

def test_a_selection_is_partial_and_neither_signable_nor_a_preflight(world_copy, project):
    from typer.testing import CliRunner

    from phasegate.cli import app
    from phasegate.errors import NoGo
    from phasegate.report.signoff import sign

    url = world_copy()
    result = gate(url, select="schema")
    assert (result.verdict, result.exit_code) == ("PARTIAL", 3), result.text
    data = results_of(result)
    assert data["selection"] == "-k schema" and data["summary"]["passed"] == data["summary"]["total"] > 0
    assert len(data["not_run"]) == data["expected_cases"] - data["summary"]["total"]
    assert "PARTIAL" in result.text and "cannot be signed" in result.text
    with pytest.raises(NoGo, match="is PARTIAL"):
        sign("phase3", "Ada", catalog=load_catalog(ROOT / "pipeline.toml"), reports_root=result.run_dir.parents[1],
             warehouse_url=url)
    cli = CliRunner().invoke(app, ["gate", "phase3", "-k", "schema", "--warehouse", url, "--catalog",
                                   str(project / "pipeline.toml"), "--start-date", START.isoformat(),
                                   "--end-date", END.isoformat(), "--json"])
    assert cli.exit_code == 3 and json.loads(cli.output)["verdict"] == "PARTIAL", cli.output


def test_a_partial_upstream_gate_is_no_preflight_pass(tmp_path):
    from phasegate.gate.results import GateResult
    from phasegate.runner.orchestrate import Options, run_phase
    from tests.fixtures.worlds import make_world

    world = make_world(tmp_path)

    def partial_gate(phase, **kw):
        return GateResult(phase, Verdict.PARTIAL, 3, None, {}, f"{phase}: PARTIAL")

    outcome = run_phase(Options(phase="phase4", warehouse_url=world.url, catalog_path=world.root / "pipeline.toml",
                                yes=True), out=lambda s: None, gate_fn=partial_gate)
    assert outcome.exit_code == 3 and outcome.verdict == "ERROR"
    assert world.rows("team_zone") == 0


# -- check files: relative to the catalog, catalogued, and a missing one is exit 2 ---------------

@pytest.mark.parametrize("damage,workers", [("emptied", None), ("deleted", None), ("emptied", 2)])
def test_an_emptied_or_deleted_test_module_is_a_configuration_error(world_copy, project, damage, workers):
    """Also with pytest workers (`gate -n 2`): each worker finds it at collection, and the gate says
    so as the single process does (exit 2), not ERROR."""
    module = project / "checks" / "phase3" / "test_gate.py"
    if damage == "emptied":
        module.write_text('"""emptied"""\n')
    else:
        module.unlink()
    with pytest.raises(UsageError, match=r"defined by no module of .*checks/phase3 .*test_schema\[") as err:
        gate(world_copy(), catalog=project / "pipeline.toml", workers=workers)
    assert err.value.exit_code == 2 and "\n" not in str(err.value)


def test_a_deleted_sql_check_is_a_configuration_error_before_pytest_runs(project, world_copy, tmp_path):
    (project / "checks" / "phase3" / "sql" / "team_defense_game_summary.points_allowed_mirror.sql").unlink()
    with pytest.raises(CatalogError, match=r"catalogues check 'points_allowed_mirror' but .* does not exist") as err:
        gate(world_copy(), catalog=project / "pipeline.toml")
    assert err.value.exit_code == 2
    assert not (tmp_path / "reports").exists() and not (project / "reports").exists()


def test_an_uncatalogued_sql_check_is_a_configuration_error(project):
    shutil.copy(project / "checks" / "phase3" / "sql" / "team_defense_game_summary.points_allowed_mirror.sql",
                project / "checks" / "phase3" / "sql" / "team_defense_game_summary.extra_rule.sql")
    with pytest.raises(CatalogError, match=r"extra_rule.sql: not in the catalog; add 'extra_rule'"):
        expected_cases(load_catalog(project / "pipeline.toml"), "phase3")


def test_a_deleted_suite_is_a_configuration_error_never_a_go_on_fewer_rules(project, world_copy, tmp_path):
    (project / "expectations").unlink()
    shutil.copytree(ROOT / "expectations", project / "expectations")
    (project / "expectations" / "phase3" / "team_offense_game_summary.json").unlink()
    with pytest.raises(CatalogError, match=r"'team_offense_game_summary' catalogues a suite .*"
                                           r"team_offense_game_summary.json does not exist") as err:
        gate(world_copy(), catalog=project / "pipeline.toml")
    assert err.value.exit_code == 2 and "\n" not in str(err.value)
    assert not (tmp_path / "reports").exists() and not (project / "reports").exists()


def test_every_suite_of_the_repository_is_catalogued():
    catalog = load_catalog(ROOT / "pipeline.toml")
    on_disk = {p.stem for p in (ROOT / "expectations").glob("*/*.json")}
    assert on_disk == {t.name for t in catalog.tables.values() if t.suite}


def test_a_catalog_elsewhere_uses_its_own_checks_or_names_them(world_copy, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "backfill").symlink_to(ROOT / "backfill")
    text = (ROOT / "pipeline.toml").read_text()
    (elsewhere / "pipeline.toml").write_text(text)
    with pytest.raises(UsageError, match=r"no checks folder for phase3: .*elsewhere/checks/phase3 does not exist"):
        gate(world_copy(), catalog=elsewhere / "pipeline.toml")
    # named explicitly (relative to the catalog's folder): the same checks as in the tree, found
    checks, suites = os.path.relpath(ROOT / "checks", elsewhere), os.path.relpath(ROOT / "expectations", elsewhere)
    (elsewhere / "pipeline.toml").write_text(text.replace(
        "[settings]\n", f'[settings]\nchecks_dir = "{checks}"\nexpectations_dir = "{suites}"\n', 1))
    broken = world_copy("UPDATE nba_analytics.team_defense_game_summary SET points_allowed = points_allowed + 7 "
                       "WHERE game_date = DATE '2023-11-15'")
    result = gate(broken, catalog=elsewhere / "pipeline.toml", select="team_defense_game_summary and cross_table")
    # the elsewhere catalog's own cross-table checks ran (two of them see the +7: the mirror of
    # points_allowed and the opponent's offense row)
    assert result.verdict == "NO-GO" and ("points_allowed_mirror" in result.text or "offense_mirror" in result.text), \
        result.text
