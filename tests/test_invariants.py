"""Every invariant check is shown failing on data that breaks it and passing on clean and benign data.

The checks are read from the catalog (pipeline.toml `checks = [...]`, checks/PHASE/sql/TABLE.CHECK.sql)
plus the built-in invariants (game_sides, feature_bounds, and NaN / Inf counted by max_null_rate and
feature_null_rates). Each fault of phasegate/demo/faults.py names the checks it must trip
(`caught_by`, "TABLE.CHECK"); a test applies the fault to a copy of the short-window gate world
and asserts that exactly those named checks fail (judged in-process through GateContext, only the
tables the fault names). A completeness test makes a check added to the catalog without a fault
that trips it fail here. The benign changes are judged in tests/test_faults.py
(test_benign_change_applies_and_keeps_the_checks_passing: every family of the phase, these checks,
coverage and the reproduction audit among them, passes after each).
"""

from __future__ import annotations

import pytest

from phasegate.demo.faults import BENIGN, FAULTS, apply_change
from phasegate.gate.judges import JUDGES
from phasegate.measure.checks import builtin_checks, file_checks
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.builders import repo_catalog
from tests.fixtures.worlds import GATE_END as END
from tests.fixtures.worlds import GATE_START as START
from tests.fixtures.worlds import world_context

# Built-in invariants that must each be shown caught (the other built-ins: key, row counts, game_id
# format, staleness, feature shape, are structural and are shown by tests/test_gate_checks.py).
INVARIANT_BUILTINS = ("game_sides", "feature_bounds")
# NaN / Inf must be counted as bad values by the null-rate check and by the feature checks.
NAN_CHECKS = ("max_null_rate", "feature_null_rates|feature_bounds")


def catalogued_checks() -> set[str]:
    """Every hand-written SQL check of every table, as TABLE.CHECK, from the catalog."""
    catalog = repo_catalog()
    return {f"{t.name}.{c.name}" for t in catalog.tables.values() for c in file_checks(catalog, t)}


def all_checks() -> set[str]:
    catalog = repo_catalog()
    return catalogued_checks() | {f"{t.name}.{c.name}" for t in catalog.tables.values()
                                  for c in builtin_checks(catalog, t)} | {
        f"{t.name}:{fam}" for t in catalog.tables.values() if t.measure_coverage
        for fam in ("date_coverage", "game_coverage")}


def failing_checks(url: str, phase: str, tables: set[str], exceptions_text: str | None = None,
                   tmp_path=None) -> set[str]:
    """The checks (TABLE.CHECK) of `tables` that fail on the warehouse, and TABLE:family for the
    coverage families; a measurement error propagates (never a pass)."""
    ctx = world_context(url, phase, exceptions_text, tmp_path)
    try:
        out = set()
        for table in ctx.tables:
            if table.name not in tables:
                continue
            m = ctx.measurement(table.name)
            out |= {f"{table.name}.{r.check.name}" for r in m.results.values() if not r.passed}
            if table.measure_coverage:
                out |= {f"{table.name}:{fam}" for fam in ("date_coverage", "game_coverage")
                        if not JUDGES[fam](ctx, table.name).passed}
        return out
    finally:
        ctx.close()


def caught_table(check: str) -> str:
    return check.replace(":", ".").split(".", 1)[0]


def test_every_caught_by_names_a_real_check_of_the_faults_phase():
    catalog = repo_catalog()
    known = all_checks()
    for change in FAULTS.values():
        for check in change.caught_by:
            assert check in known, (change.name, check)
            assert catalog.table(caught_table(check)).phase == change.phases[0], (change.name, check)
    assert not any(change.caught_by for change in BENIGN.values())


def test_every_catalogued_check_and_invariant_is_tripped_by_a_fault():
    """A check added to pipeline.toml with no fault that trips it fails here: write the fault."""
    claimed = {check for change in FAULTS.values() for check in change.caught_by}
    missing = catalogued_checks() - claimed
    assert not missing, f"no fault of phasegate/demo/faults.py trips: {sorted(missing)}"
    catalog = repo_catalog()
    for builtin in INVARIANT_BUILTINS:
        owed = {f"{t.name}.{builtin}" for t in catalog.tables.values() for c in builtin_checks(catalog, t)
                if c.name == builtin}
        assert owed, builtin
        assert owed & claimed, f"no fault trips {builtin} (owed by {sorted(owed)})"
    # NaN / Inf: a fault whose bad values are NaN or Inf trips the null-rate and the feature checks
    nan_faults = [c for c in FAULTS.values() if "NaN" in c.summary or "Inf" in c.summary]
    for names in NAN_CHECKS:
        assert any(check.split(".", 1)[1] in names.split("|") for c in nan_faults for check in c.caught_by), names


def test_the_clean_world_passes_every_check(world_copy):
    catalog = repo_catalog()
    url = world_copy()
    for phase in ("phase3", "phase4"):
        tables = {t.name for t in catalog.tables_of(phase)}
        assert failing_checks(url, phase, tables) == set(), phase


@pytest.mark.parametrize("name", sorted(n for n, c in FAULTS.items() if c.caught_by))
def test_fault_trips_the_checks_it_names(world_copy, name):
    change = FAULTS[name]
    url = world_copy()
    with DuckDBWarehouse(url.removeprefix("duckdb:///")) as wh:
        apply_change(wh, repo_catalog(), change, START, END)
    failing = failing_checks(url, change.phases[0], {caught_table(c) for c in change.caught_by})
    missed = set(change.caught_by) - failing
    assert not missed, f"{name} did not trip {sorted(missed)} (failing: {sorted(failing)})"
