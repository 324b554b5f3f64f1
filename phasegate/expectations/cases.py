"""The pytest side of expectations: one case per expectation, each suite evaluated once per run.

A checks module needs three lines (see checks/phase3/test_expectations.py):

    from phasegate.expectations.cases import expectation_outcome, expectation_session  # fixtures
    def pytest_generate_tests(metafunc): parametrize_expectations(metafunc, "phase3")
    def test_expectation(expectation_outcome): assert_expectation(expectation_outcome)

Parametrization reads the catalog (`--catalog`) and the suite files of the phase, with ids
`TABLE-TYPE-COLUMN`; every case carries `xdist_group(TABLE)` so one worker validates a table
(run xdist with `--dist loadgroup`). A broken suite file, or a suite for a table the catalog
does not know, is one error case. The outcomes come from the gate's `gate_context`, which
evaluates each table's suite once (compiled SQL, GE for the rules without a compiled form, or
GE for all with `--expectations-engine ge`/`--data-docs`: phasegate.expectations.engine).
Great Expectations is imported only when a rule runs through it, never at collection.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from phasegate.expectations.suites import Rule, SuiteFile, discover
from phasegate.model.catalog import Catalog
from phasegate.model.severity import WARN

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


# -- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def expectation_session(gate_context: Any) -> Any:
    """The gate's context: it evaluates each table's suite once (phasegate.gate.context.GateContext.expectations)."""
    return gate_context


@pytest.fixture
def expectation_outcome(expectation_case: ExpectationCase, expectation_session: Any,
                        request: pytest.FixtureRequest) -> ExpectationOutcome:
    """The GE outcome of this case's rule; errors (not failures) when it could not be evaluated."""
    case = expectation_case
    _record(request.node, family=FAMILY, table=case.table)
    if case.rule is None:
        pytest.fail(case.suite.error or f"{case.suite.display}: unusable suite", pytrace=False)
    _record(request.node, threshold=_threshold(case.rule), rule=case.rule.type,
            column=", ".join(case.rule.columns_no_condition), severity=case.rule.severity)
    result = expectation_session.expectations(case.table)
    outcome = result.outcomes.get(case.rule.case_id)
    if outcome is None:
        pytest.fail(result.error or f"{case.id}: no outcome from the expectations engine", pytrace=False)
    _record(request.node, measured=_measured(outcome), message=outcome.describe(case.rule),
            engine=result.engines.get(case.rule.case_id))
    if outcome.exception:
        pytest.fail(outcome.describe(case.rule), pytrace=False)
    if not outcome.success and case.rule.severity == WARN:
        # shown in the verdict and the report (outcome "warned"), never a NO-GO
        _record(request.node, warning=outcome.describe(case.rule))
    return ExpectationOutcome(case, outcome)


def assert_expectation(result: ExpectationOutcome) -> None:
    rule = result.case.rule
    assert rule is not None
    if not result.outcome.success and rule.severity != WARN:  # a warn rule's failure is recorded, not raised
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
