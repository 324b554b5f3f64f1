"""Great Expectations rules of the phase4 tables (expectations/phase4/*.json), one case per rule."""

from phasegate.expectations.cases import (  # noqa: F401  (fixtures used by the cases below)
    assert_expectation,
    expectation_outcome,
    expectation_session,
    parametrize_expectations,
)

PHASE = "phase4"


def pytest_generate_tests(metafunc):
    parametrize_expectations(metafunc, PHASE)


def test_expectation(expectation_outcome):  # noqa: F811  (the fixture)
    assert_expectation(expectation_outcome)
