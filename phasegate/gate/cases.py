"""The gate's test functions, one per check family, made from the family registry.

Every checks/<phase>/test_gate.py star-imports this module, so the phases are identical by
construction and a family added to `phasegate.model.families` reaches every phase. The
Phasegate plugin (`phasegate.gate.plugin`) parametrizes each `test_<family>` with the tables of
the phase the family applies to, and supplies the `judgement` fixture (the table's cached
measurement, judged). Expectation rules have their own module (`phasegate.expectations.cases`).
"""

from __future__ import annotations

import pytest

from phasegate.model.families import FAMILIES, Family


def _fail_unless(judgement) -> None:
    if not judgement.passed:
        pytest.fail(judgement.message, pytrace=False)


def _case(family: Family):
    if family.scope == "phase":
        def case(judgement):
            _fail_unless(judgement)
    else:
        def case(table, judgement):
            _fail_unless(judgement)
    case.__name__ = case.__qualname__ = f"test_{family.name}"
    case.__doc__ = family.doc
    case.__module__ = __name__
    return case


__all__ = []
for _family in FAMILIES:
    if _family.measure == "expectations":
        continue
    globals()[f"test_{_family.name}"] = _case(_family)
    __all__.append(f"test_{_family.name}")
