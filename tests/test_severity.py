"""Severity: a failing `error` check is NO-GO, a failing `warn` check is shown and does not block.

SQL check files declare it in a header line (`-- severity: warn`), expectation rules in
`meta.severity`; an unknown severity is a catalog/suite error, never silently an error or a warn.
"""

from __future__ import annotations

import json
import shutil

import pytest

from phasegate.errors import CatalogError
from phasegate.expectations.suites import load_suite_file
from phasegate.gate.collect import collect_cases
from phasegate.gate.judges import JUDGES
from phasegate.gate.plugin import GateContext
from phasegate.gate.results import Summary, verdict_of
from phasegate.measure.checks import file_checks
from phasegate.model.catalog import load_catalog
from phasegate.model.exceptions import load_exceptions
from tests.fixtures.builders import ROOT
from tests.fixtures.worlds import GATE_END as END
from tests.fixtures.worlds import GATE_START as START
from tests.fixtures.worlds import build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.getbasetemp() / "gate_world.duckdb")


def project(tmp_path, *checks: tuple[str, str]):
    """A copy of the repository's catalog, checks and suites, plus the given phase-3 check files."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "pipeline.toml", tmp_path / "pipeline.toml")
    for folder in ("checks", "expectations", "backfill"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    toml = (tmp_path / "pipeline.toml").read_text()
    catalogued = list(load_catalog(ROOT / "pipeline.toml").table("team_offense_game_summary").checks)
    listed = "checks = [" + ", ".join(f'"{n}"' for n in catalogued) + "]"
    assert toml.count(listed) == 1, listed  # team_offense_game_summary's catalogued checks, as written
    added = [name.split(".")[1] for name, _ in checks]
    (tmp_path / "pipeline.toml").write_text(toml.replace(
        listed, "checks = [" + ", ".join(f'"{n}"' for n in [*catalogued, *added]) + "]"))
    for name, text in checks:
        (tmp_path / "checks" / "phase3" / "sql" / name).write_text(text)
    return load_catalog(tmp_path / "pipeline.toml")


ALWAYS = "SELECT 'one failing row' AS example"


def judge(catalog, world, family, table):
    ctx = GateContext(catalog, "phase3", f"duckdb:///{world}", START, END, load_exceptions(None, catalog))
    try:
        return JUDGES[family](ctx, table)
    finally:
        ctx.close()


def test_a_failing_warn_check_passes_with_a_warning_and_an_error_check_fails(tmp_path, world):
    catalog = project(tmp_path, ("team_offense_game_summary.band.sql",
                                 f"-- family: cross_table\n-- severity: warn\n-- a statistical band\n{ALWAYS}\n"))
    (check,) = [c for c in file_checks(catalog, catalog.table("team_offense_game_summary")) if c.name == "band"]
    assert check.severity == "warn" and check.description == "a statistical band"
    verdict = judge(catalog, world, "cross_table", "team_offense_game_summary")
    assert verdict.passed and "band" in verdict.warning and "one failing row" in verdict.warning
    assert verdict.extra["checks"]["band"]["severity"] == "warn"

    strict = project(tmp_path / "strict", ("team_offense_game_summary.limit.sql",
                                           f"-- family: cross_table\n-- a physical limit\n{ALWAYS}\n"))
    verdict = judge(strict, world, "cross_table", "team_offense_game_summary")
    assert not verdict.passed and "limit" in verdict.message


def test_an_error_check_fails_the_family_even_beside_a_warning(tmp_path, world):
    catalog = project(tmp_path, ("team_offense_game_summary.band.sql", f"-- family: cross_table\n-- severity: warn\n{ALWAYS}\n"),
                      ("team_offense_game_summary.limit.sql", f"-- family: cross_table\n-- severity: error\n{ALWAYS}\n"))
    verdict = judge(catalog, world, "cross_table", "team_offense_game_summary")
    assert not verdict.passed and "limit" in verdict.message and "warning: band" in verdict.message


def test_an_unknown_severity_is_a_catalog_error(tmp_path):
    catalog = project(tmp_path, ("team_offense_game_summary.odd.sql", f"-- family: cross_table\n-- severity: info\n{ALWAYS}\n"))
    with pytest.raises(CatalogError, match="severity must be one of error, warn"):
        file_checks(catalog, catalog.table("team_offense_game_summary"))


def test_a_suite_rule_with_an_unknown_severity_is_a_broken_suite(tmp_path):
    path = tmp_path / "team_offense_game_summary.json"
    path.write_text(json.dumps({"name": "team_offense_game_summary", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "game_id"}, "meta": {"severity": "low"}}]}))
    suite = load_suite_file(path, "phase3")
    assert suite.error and "meta.severity must be one of error, warn" in suite.error and not suite.rules


def test_the_repository_suites_classify_every_rule():
    catalog = load_catalog(ROOT / "pipeline.toml")
    from phasegate.expectations.suites import discover

    for phase in ("phase3", "phase4"):
        for suite in discover(catalog, phase):
            assert not suite.error, suite.error
            assert all(r.meta.get("severity") in ("error", "warn") for r in suite.rules), suite.table
            # a statistical band never blocks: every warn rule is a band with a `mostly`, or a bound
            assert all(r.kwargs.get("mostly") for r in suite.rules if r.severity == "warn"), suite.table


class _Report:
    def __init__(self, when, outcome, props):
        self.when, self.outcome, self.duration = when, outcome, 0.0
        self.user_properties = [("phasegate", json.dumps(props))]
        self.longrepr, self.longreprtext = None, ""

    @property
    def failed(self):
        return self.outcome == "failed"

    @property
    def skipped(self):
        return self.outcome == "skipped"


def test_a_passed_case_with_a_warning_is_warned_and_the_verdict_stays_go():
    reports = {"checks/phase3/test_gate.py::test_cross_table[t]": [
        _Report("setup", "passed", {"family": "cross_table", "table": "t"}),
        _Report("call", "passed", {"message": "t: warning: band", "warning": "t: warning: band"})],
        "checks/phase3/test_gate.py::test_schema[t]": [_Report("call", "passed", {"family": "schema", "table": "t"})]}
    cases, _ = collect_cases(reports)
    assert sorted(c.outcome for c in cases) == ["passed", "warned"]
    summary = Summary.of(cases)
    assert (summary.warned, summary.passed, summary.total) == (1, 1, 2)
    assert verdict_of(summary, 0) == ("GO", 0)
    # warnings alone still prove something ran; a failure beside them is NO-GO
    assert verdict_of({"warned": 2, "total": 2}, 0) == ("GO", 0)
    assert verdict_of({"warned": 1, "failed": 1, "total": 2}, 1)[0] == "NO-GO"
