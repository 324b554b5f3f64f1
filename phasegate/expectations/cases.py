"""The pytest side of expectations: one case per expectation, GE once per table per run.

A checks module needs three lines (see checks/phase3/test_expectations.py):

    from phasegate.expectations.cases import expectation_outcome, expectation_session  # fixtures
    def pytest_generate_tests(metafunc): parametrize_expectations(metafunc, "phase3")
    def test_expectation(expectation_outcome): assert_expectation(expectation_outcome)

Parametrization reads the catalog (`--catalog`) and the suite files of the phase, with ids
`TABLE-TYPE-COLUMN`; every case carries `xdist_group(TABLE)` so one worker validates a table
(run xdist with `--dist loadgroup`). A broken suite file, or a suite for a table the catalog
does not know, is one error case. The window and warehouse come from the gate's
`gate_context` fixture when it exists, else from the plugin's options. Great Expectations is
imported on the first case that runs, not at collection.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from phasegate.expectations.suites import Rule, SuiteFile, discover
from phasegate.model.catalog import Catalog
from phasegate.model.window import parse_date

DATA_DOCS_ENV = "PHASEGATE_DATA_DOCS_DIR"
FAMILY = "expectation"
# The gate's recorder (phasegate/plugin.py) reads ("phasegate", json) user properties into results.json.
PROPERTY = "phasegate"


def _record(item: pytest.Item, **data: Any) -> None:
    item.user_properties.append((PROPERTY, json.dumps(data, default=str)))


@dataclass(frozen=True)
class ExpectationCase:
    phase: str
    table: str
    rule: Rule | None  # None: the suite file itself is broken (error case)
    suite: SuiteFile

    @property
    def id(self) -> str:
        return self.rule.case_id if self.rule else f"{self.table}-suite"


@dataclass
class ExpectationOutcome:
    case: ExpectationCase
    outcome: Any  # run.RuleOutcome


# -- configuration ----------------------------------------------------------------------------

def _option(config: pytest.Config, name: str) -> Any:
    try:
        return config.getoption(name)
    except ValueError:  # option not registered (plugin not loaded)
        return None


def catalog_of(config: pytest.Config) -> Catalog:
    """The session's catalog: the gate plugin's own when it is loaded (one resolution for both)."""
    from phasegate.gate.plugin import _catalog

    return _catalog(config)


def parametrize_expectations(metafunc: pytest.Metafunc, phase: str) -> None:
    if "expectation_case" not in metafunc.fixturenames:
        return
    catalog = catalog_of(metafunc.config)
    params = []
    for suite in discover(catalog, phase):
        if suite.error:
            cases = [ExpectationCase(phase, suite.table, None, suite)]
        else:
            cases = [ExpectationCase(phase, suite.table, rule, suite) for rule in suite.rules]
        for case in cases:
            params.append(pytest.param(case, id=case.id, marks=pytest.mark.xdist_group(case.table)))
    metafunc.parametrize("expectation_case", params)


@dataclass
class _Window:
    catalog: Catalog
    warehouse_url: str | None
    start: dt.date
    end: dt.date
    data_docs_dir: Path | None


def _first_attr(obj: Any, *names: str) -> Any:
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return None


def _window(request: pytest.FixtureRequest) -> _Window:
    config = request.config
    try:
        ctx = request.getfixturevalue("gate_context")
    except pytest.FixtureLookupError:
        ctx = None
    catalog = (_first_attr(ctx, "catalog") if ctx is not None else None) or catalog_of(config)
    warehouse = _first_attr(ctx, "warehouse_url", "warehouse") if ctx is not None else None
    if warehouse is not None and not isinstance(warehouse, str):
        warehouse = getattr(warehouse, "url", None)
    warehouse = warehouse or _option(config, "--warehouse")
    start = _first_attr(ctx, "start", "start_date", "window_start") if ctx is not None else None
    end = _first_attr(ctx, "end", "end_date", "window_end") if ctx is not None else None
    start = parse_date(start or _option(config, "--start-date") or catalog.settings.default_start_date, "--start-date")
    end = parse_date(end or _option(config, "--end-date") or catalog.settings.default_end_date, "--end-date")
    docs = None
    run_dir = _first_attr(ctx, "run_dir") if ctx is not None else None
    if run_dir:
        docs = Path(run_dir) / "data_docs"
    results_json = _option(config, "--results-json")
    if docs is None and results_json:
        docs = Path(results_json).resolve().parent / "data_docs"  # beside results.json, in the run dir
    docs = docs or _option(config, "--data-docs-dir") or os.environ.get(DATA_DOCS_ENV)
    return _Window(catalog, warehouse, start, end, Path(docs) if docs else None)


# -- fixtures ---------------------------------------------------------------------------------

class ExpectationSession:
    """Lazily opens one GE runner; validates each table once and keeps the result."""

    def __init__(self, window: _Window) -> None:
        self.window = window
        self._runner: Any = None
        self._results: dict[str, Any] = {}
        self._runner_error: str | None = None

    @property
    def runner(self) -> Any:
        if self._runner is None and self._runner_error is None:
            from phasegate.errors import PhasegateError
            from phasegate.expectations.run import ExpectationRunner

            try:
                self._runner = ExpectationRunner(self.window.warehouse_url, data_docs_dir=self.window.data_docs_dir)
            except PhasegateError as exc:
                self._runner_error = str(exc)
        if self._runner_error:
            pytest.fail(f"cannot run expectations: {self._runner_error}", pytrace=False)
        return self._runner

    def table_result(self, case: ExpectationCase) -> Any:
        if case.table not in self._results:
            table = self.window.catalog.table(case.table)
            self._results[case.table] = self.runner.validate(table, case.suite, self.window.start, self.window.end)
        return self._results[case.table]

    def close(self) -> None:
        if self._runner is not None:
            try:
                self._runner.build_data_docs()
            finally:
                self._runner.close()


@pytest.fixture(scope="session")
def expectation_session(request: pytest.FixtureRequest):
    session = ExpectationSession(_window(request))
    yield session
    session.close()


@pytest.fixture
def expectation_outcome(expectation_case: ExpectationCase, expectation_session: ExpectationSession,
                        request: pytest.FixtureRequest) -> ExpectationOutcome:
    """The GE outcome of this case's rule; errors (not failures) when it could not be evaluated."""
    case = expectation_case
    _record(request.node, family=FAMILY, table=case.table)
    if case.rule is None:
        pytest.fail(case.suite.error or f"{case.suite.display}: unusable suite", pytrace=False)
    _record(request.node, threshold=_threshold(case.rule), rule=case.rule.type,
            column=", ".join(case.rule.columns_no_condition))
    result = expectation_session.table_result(case)
    if result.error:
        pytest.fail(result.error, pytrace=False)
    outcome = result.outcomes[case.rule.case_id]
    _record(request.node, measured=_measured(outcome), message=outcome.describe(case.rule))
    if outcome.exception:
        pytest.fail(outcome.describe(case.rule), pytrace=False)
    return ExpectationOutcome(case, outcome)


def assert_expectation(result: ExpectationOutcome) -> None:
    rule = result.case.rule
    assert rule is not None
    if not result.outcome.success:
        pytest.fail(result.outcome.describe(rule), pytrace=False)


def _threshold(rule: Rule) -> str:
    kw = {k: v for k, v in rule.kwargs.items() if k not in ("column", "column_list", "row_condition")}
    return ", ".join(f"{k}={v}" for k, v in kw.items()) or rule.type


def _measured(outcome: Any) -> str:
    if outcome.unexpected_count is not None and outcome.element_count is not None:
        return f"{outcome.unexpected_count}/{outcome.element_count} unexpected"
    if outcome.observed_value is not None:
        return str(outcome.observed_value)[:120]
    return ""


# -- the test module body shared by every checks/<phase>/test_expectations.py -----------------------

def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize with the suites of the phase whose checks folder holds the module."""
    from phasegate.gate.plugin import gate_phase

    phase = gate_phase(Path(metafunc.module.__file__))
    if phase is not None:
        parametrize_expectations(metafunc, phase)


def test_expectation(expectation_outcome: Any) -> None:
    """One Great Expectations rule of one table, run once per table and cached for its rules."""
    assert_expectation(expectation_outcome)
