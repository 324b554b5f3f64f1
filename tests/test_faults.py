"""The fault and benign-change registries (phasegate/demo/faults.py) on a short-window warehouse.

Every fault applies cleanly and changes the rows it claims to change; every benign change
applies and leaves the gate's SQL checks and coverage passing (judged in-process through the
plugin's GateContext, no pytest subprocess). Whether the gate catches each fault is measured by
bench/bench_faults.py, not asserted here: that number moves as checks are added.
"""

from __future__ import annotations

import random
import shutil

import pytest

from phasegate.demo.faults import BENIGN, FAULTS, Target, apply_change, exceptions_toml
from phasegate.gate.judges import JUDGES
from phasegate.gate.plugin import GateContext
from phasegate.measure.checks import families_of
from phasegate.model.exceptions import load_exceptions
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.builders import repo_catalog
from tests.fixtures.worlds import GATE_END as END
from tests.fixtures.worlds import GATE_START as START
from tests.fixtures.worlds import build_world, world_context


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.getbasetemp() / "gate_world.duckdb")


@pytest.fixture()
def copy(world, tmp_path):
    target = tmp_path / "w.duckdb"
    shutil.copy(world, target)
    return target


def content(wh: DuckDBWarehouse, table: str) -> tuple:
    """Row count and an order-independent hash of every column of the table's window rows."""
    t = repo_catalog().table(table)
    return tuple(wh._cursor().execute(
        f"SELECT COUNT(*), SUM(HASH(r)) FROM {t.ref} AS r WHERE {t.date_column} BETWEEN ? AND ?",
        [START.replace(month=1, day=1), END.replace(month=12, day=31)]).fetchone())


def test_the_registries_are_complete_and_cite_their_source():
    catalog = repo_catalog()
    assert len(FAULTS) >= 50 and len(BENIGN) >= 7
    for change in [*FAULTS.values(), *BENIGN.values()]:
        assert change.phases and all(p in catalog.phases for p in change.phases), change.name
        assert change.scope and change.summary and change.summary != change.name, change.name
        assert "platform-facts" in change.source or "issue 13" in change.source or change.name == "clean_data"
        assert all(name in catalog.tables for name in change.tables), change.name
    for change in FAULTS.values():
        assert len(change.phases) == 1 and change.phases[0] in ("phase3", "phase4"), change.name
        assert change.tables, change.name
    # every phase-3 and phase-4 table is the target of some fault
    targeted = {name for f in FAULTS.values() for name in f.tables}
    for phase in ("phase3", "phase4"):
        missing = {t.name for t in catalog.tables_of(phase)} - targeted
        assert not missing, missing
    scopes = {f.scope for f in FAULTS.values()}
    assert len(scopes) >= 6


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_applies_and_changes_its_tables(copy, name):
    change = FAULTS[name]
    with DuckDBWarehouse(copy) as wh:
        before = {t: content(wh, t) for t in change.tables}
        target = apply_change(wh, repo_catalog(), change, START, END)
        after = {t: content(wh, t) for t in change.tables}
    assert not target.exceptions  # a fault never approves its own gap
    changed = [t for t in change.tables if before[t] != after[t]]
    assert changed, f"{name} left {', '.join(change.tables)} unchanged"


def test_faults_are_deterministic(world, tmp_path):
    change = FAULTS["pgs_opponent_equals_team"]
    results = []
    for i in range(2):
        path = tmp_path / f"w{i}.duckdb"
        shutil.copy(world, path)
        with DuckDBWarehouse(path) as wh:
            apply_change(wh, repo_catalog(), change, START, END, seed=11)
            results.append(content(wh, "player_game_summary"))
    assert results[0] == results[1]


def test_every_nth_selects_the_share_it_says(world, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(world, path)
    with DuckDBWarehouse(path) as wh:
        target = Target(wh, repo_catalog(), START, END, random.Random(3))
        predicate = target.every_nth("player_game_summary", ("game_date", "player_lookup"), percent=3.0)
        rows = target.query(f"SELECT COUNTIF({predicate}) AS picked, COUNT(*) AS total "
                            f"FROM nba_analytics.player_game_summary WHERE game_date BETWEEN @start_date AND @end_date")
    share = rows[0]["picked"] / rows[0]["total"]
    assert 0.029 < share < 0.037


def judge_phase(url: str, phase: str, exceptions_text: str | None, tmp_path) -> list[str]:
    """Every non-expectation family of the phase, judged on the warehouse: the failing verdicts."""
    catalog = repo_catalog()
    ctx = world_context(url, phase, exceptions_text, tmp_path)
    try:
        failures = [] if JUDGES["uncatalogued_tables"](ctx, None).passed else ["uncatalogued_tables"]
        for table in ctx.tables:
            for family in [f for f in families_of(catalog, table) if f in JUDGES]:  # expectations: own cases
                verdict = JUDGES[family](ctx, table.name)
                if not verdict.passed:
                    failures.append(verdict.message)
        return failures
    finally:
        ctx.close()


@pytest.mark.parametrize("name", sorted(BENIGN))
def test_benign_change_applies_and_keeps_the_checks_passing(copy, tmp_path, name):
    change = BENIGN[name]
    with DuckDBWarehouse(copy) as wh:
        before = {t: content(wh, t) for t in change.tables}
        target = apply_change(wh, repo_catalog(), change, START, END)
        after = {t: content(wh, t) for t in change.tables}
    if change.tables:
        assert any(before[t] != after[t] for t in change.tables), f"{name} changed nothing"
    text = exceptions_toml(target.exceptions) if target.exceptions else None
    for phase in change.phases:
        assert judge_phase(f"duckdb:///{copy}", phase, text, tmp_path) == [], (name, phase)


def test_the_approved_exception_covers_the_removed_date(copy, tmp_path):
    change = BENIGN["approved_exception_for_removed_date"]
    with DuckDBWarehouse(copy) as wh:
        target = apply_change(wh, repo_catalog(), change, START, END)
    (entry,) = target.exceptions
    path = tmp_path / "exceptions.toml"
    path.write_text(exceptions_toml(target.exceptions))
    catalog = repo_catalog()
    ctx = GateContext(catalog, "phase3", f"duckdb:///{copy}", START, END, load_exceptions(path, catalog, required=True))
    try:
        coverage = ctx.coverage(entry["table"])
        assert [d.isoformat() for d in coverage.applied_date_exceptions] == entry["dates"]
        assert coverage.missing_dates == []  # the removed date left the denominator instead
    finally:
        ctx.close()
