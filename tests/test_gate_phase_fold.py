"""The phase's one statement (GateContext.fold_phase, issue 15): where the warehouse bills bytes,
every table's checks, reproduction audit and compiled suite are ONE statement for the phase, so
an upstream table the tables share (the schedule, the raw tables their processors re-run over)
is scanned and billed once, not once per table.

Measured here on DuckDB with the warehouse declared billing (the statement is the same SQL on
both engines; the emulator runs it in tests/test_bigquery_emulator.py's gate): the fold must
measure exactly what the per-table statements measure — on data with faults in several tables —
and a phase statement that fails falls back to a statement per table.
"""

from __future__ import annotations

import dataclasses

import pytest

import phasegate.warehouse as warehouse_module
from phasegate.gate.context import FOLDED_KINDS
from tests.fixtures.worlds import world_context

FAULTS = (
    # a duplicated team-game row (key and mirror checks, coverage untouched)
    "INSERT INTO nba_analytics.team_offense_game_summary SELECT * FROM nba_analytics.team_offense_game_summary "
    "WHERE game_date = DATE '2023-11-15' LIMIT 1",
    # one stored value the processor would not make (the audit) and a suite's range (the expectations)
    "UPDATE nba_analytics.player_game_summary SET points = -3 WHERE game_date = DATE '2023-11-16' "
    "AND player_lookup = (SELECT MIN(player_lookup) FROM nba_analytics.player_game_summary "
    "WHERE game_date = DATE '2023-11-16' AND points IS NOT NULL)",
)


def billing(monkeypatch):
    """Declare every warehouse billing by bytes, as BigQuery is."""
    real = warehouse_module.capabilities_of
    monkeypatch.setattr(warehouse_module, "capabilities_of",
                        lambda url: dataclasses.replace(real(url), bills_bytes=True))


def measured(ctx, phase_tables):
    """Every folded measurement of every table, as facts comparable across contexts."""
    from phasegate.measure.audit import audited

    out = {}
    for name in phase_tables:
        m = ctx.measurement(name)
        suite = ctx.expectations(name) if ctx.suite(name) is not None else None
        out[name] = {
            "checks": {k: (r.failures, r.examples) for k, r in m.results.items()},
            "rows": m.rows, "content": m.content,
            "audit": ctx.audit(name).as_dict() if audited(ctx.catalog.table(name)) else None,
            "suite": None if suite is None else {k: (o.success, repr(o.observed_value), o.unexpected_count)
                                                 for k, o in suite.outcomes.items()},
        }
    return out


def needs(ctx):
    return [(t.name, kind) for t in ctx.tables for kind in sorted(FOLDED_KINDS)]


@pytest.mark.parametrize("phase", ["phase3", "phase4"])
def test_one_statement_for_the_phase_measures_what_the_statements_per_table_measure(world_copy, monkeypatch, phase):
    url = world_copy(*FAULTS)
    alone = world_context(url, phase)
    try:
        tables = [t.name for t in alone.tables]
        per_table = measured(alone, tables)
        per_table_jobs = [j for j in alone.jobs() if j.labels.get("component") == "gate"]
    finally:
        alone.close()
    assert len(per_table_jobs) == len(tables)  # a local warehouse: a statement per table

    billing(monkeypatch)
    folded = world_context(url, phase)
    try:
        folded.fold_phase(needs(folded))
        together = measured(folded, tables)
        gate_jobs = [j for j in folded.jobs() if j.labels.get("component") == "gate"]
    finally:
        folded.close()
    assert together == per_table
    # ONE statement answered every table's checks, audit and suite, labelled with the phase
    assert [(j.labels["table"], j.labels.get("serves")) for j in gate_jobs] == [(phase, "audit-expectations")]
    if phase == "phase3":  # the faults are seen, through the fold as alone
        assert any(failures for failures, _ in together["team_offense_game_summary"]["checks"].values())
        assert together["player_game_summary"]["audit"]["differing"] == 1
        assert not all(ok for ok, _, _ in together["player_game_summary"]["suite"].values())


def test_a_failing_phase_statement_falls_back_to_a_statement_per_table(world_copy, monkeypatch):
    import phasegate.measure.query as query

    billing(monkeypatch)
    url = world_copy(*FAULTS)

    def broken(*args, **kwargs):
        from phasegate.errors import WarehouseError

        raise WarehouseError("query failed on DuckDB: the phase statement (injected)")

    monkeypatch.setattr(query, "measure_phase", broken)
    ctx = world_context(url, "phase3")
    try:
        ctx.fold_phase(needs(ctx))
        tables = [t.name for t in ctx.tables]
        fallback = measured(ctx, tables)
        jobs = [j for j in ctx.jobs() if j.labels.get("component") == "gate"]
    finally:
        ctx.close()
    assert sorted(j.labels["table"] for j in jobs) == sorted(tables)  # each table measured alone, none errored
    assert fallback["player_game_summary"]["audit"]["differing"] == 1


def test_a_missing_table_stays_out_of_the_fold_and_errors_alone(world_copy, monkeypatch):
    from phasegate.errors import WarehouseError

    billing(monkeypatch)
    url = world_copy("DROP TABLE nba_analytics.upcoming_team_game_context")
    ctx = world_context(url, "phase3")
    try:
        ctx.fold_phase(needs(ctx))
        with pytest.raises(WarehouseError, match="upcoming_team_game_context"):
            ctx.measurement("upcoming_team_game_context")
        assert ctx.measurement("team_offense_game_summary").rows > 0
        gate_jobs = [j.labels["table"] for j in ctx.jobs() if j.labels.get("component") == "gate"]
    finally:
        ctx.close()
    assert gate_jobs == ["phase3"]  # the other four tables: one statement


def test_a_local_warehouse_or_a_single_table_is_not_folded(world_copy):
    ctx = world_context(world_copy(), "phase3")
    try:
        ctx.fold_phase(needs(ctx))  # DuckDB bills nothing: a statement per table
        assert not ctx._fold
    finally:
        ctx.close()
