"""Great Expectations rules of the phase4 tables (expectations/phase4/*.json), one case per rule.

The module body (parametrization from the suites, the case itself) is shared by every phase:
phasegate/expectations/cases.py.
"""

from phasegate.expectations.cases import (  # noqa: F401  (pytest finds the hook, fixtures and case by name)
    expectation_outcome,
    expectation_session,
    pytest_generate_tests,
    test_expectation,
)
