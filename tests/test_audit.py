"""The reproduction audit: the processor re-run gives the stored rows, or the gate says which differ.

On the gate's small world (the real processors over 2023-10-24..2023-12-08): clean data passes
on every table in one statement each; one changed value, one deleted row and one extra row fail
and are named (row key, column, stored -> re-made); a float within its tolerance passes; the
sample covers the spread, the latest dates and the dates whose upstream changed.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from phasegate.errors import UsageError
from phasegate.gate.context import GateContext
from phasegate.gate.judges import JUDGES
from phasegate.measure.audit import audit_sql, check_mode, choose_dates, not_audited_note
from phasegate.model.exceptions import load_exceptions
from phasegate.runner.processors import processor_sql
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.builders import repo_catalog
from tests.fixtures.worlds import GATE_END as END
from tests.fixtures.worlds import GATE_START as START
from tests.fixtures.worlds import build_world


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.getbasetemp() / "gate_world.duckdb")


@pytest.fixture()
def broken(world, tmp_path):
    target = tmp_path / "w.duckdb"
    shutil.copy(world, target)
    contexts: list[GateContext] = []

    def apply(*statements: str, phase: str = "phase4", audit: str | None = None) -> GateContext:
        if statements:
            wh = DuckDBWarehouse(target)
            try:
                for s in statements:
                    wh._cursor().execute(s)
            finally:
                wh.close()
        catalog = repo_catalog()
        ctx = GateContext(catalog, phase, f"duckdb:///{target}", START, END,
                          load_exceptions(None, catalog, required=False), audit=audit)
        contexts.append(ctx)
        return ctx

    yield apply
    for ctx in contexts:
        ctx.close()


@pytest.mark.parametrize("phase", ["phase3", "phase4"])
def test_clean_data_passes_the_audit_in_one_statement_per_table(broken, phase):
    ctx = broken(phase=phase)
    for table in ctx.tables:
        ctx.coverage(table.name)  # measured by its own family; the audit reads its dates
        before = ctx.warehouse.query_count
        v = JUDGES["audit"](ctx, table.name)
        assert v.passed, v.message
        assert ctx.warehouse.query_count - before == 1, table.name
        assert v.extra["audit"]["mode"] == "all" and v.extra["audit"]["rows"] == v.extra["audit"]["stored"] > 0


def test_a_changed_value_a_deleted_row_and_an_extra_row_fail_and_are_named(broken):
    ctx = broken(
        "UPDATE nba_precompute.player_daily_cache SET points_avg_last_10 = points_avg_last_10 + 0.1 "
        "WHERE cache_date = DATE '2023-11-21' AND player_lookup = (SELECT MIN(player_lookup) FROM "
        "nba_precompute.player_daily_cache WHERE cache_date = DATE '2023-11-21')",
        "DELETE FROM nba_precompute.player_daily_cache WHERE cache_date = DATE '2023-11-28' AND player_lookup = "
        "(SELECT MAX(player_lookup) FROM nba_precompute.player_daily_cache WHERE cache_date = DATE '2023-11-28')",
        "INSERT INTO nba_precompute.player_daily_cache SELECT * REPLACE ('zz_not_a_player' AS player_lookup) "
        "FROM nba_precompute.player_daily_cache WHERE cache_date = DATE '2023-12-01' LIMIT 1")
    v = JUDGES["audit"](ctx, "player_daily_cache")
    assert not v.passed
    audit = v.extra["audit"]
    assert (audit["missing"], audit["extra"], audit["differing"]) == (1, 1, 1)
    assert audit["columns"] == {"points_avg_last_10": 1}
    assert "2023-11-21" in v.message and "points_avg_last_10" in v.message and "->" in v.message
    assert "2023-11-28" in audit["examples"]["missing"]
    assert "zz_not_a_player" in audit["examples"]["extra"]
    # other tables are untouched
    assert JUDGES["audit"](ctx, "team_defense_zone_analysis").passed


def test_a_string_an_array_and_a_boolean_compare_exactly(broken):
    ctx = broken(
        "UPDATE nba_predictions.ml_feature_store_v2 SET features = list_reverse(features) "
        "WHERE game_date = DATE '2023-11-22' AND player_lookup = (SELECT MIN(player_lookup) FROM "
        "nba_predictions.ml_feature_store_v2 WHERE game_date = DATE '2023-11-22')",
        "UPDATE nba_precompute.team_defense_zone_analysis SET strongest_zone = 'nowhere' "
        "WHERE analysis_date = DATE '2023-11-30' AND team_abbr = 'BOS'")
    mlfs = JUDGES["audit"](ctx, "ml_feature_store_v2")
    assert not mlfs.passed and mlfs.extra["audit"]["columns"] == {"features": 1}
    tdza = JUDGES["audit"](ctx, "team_defense_zone_analysis")
    assert not tdza.passed and "strongest_zone" in tdza.message and "nowhere" in tdza.message


def test_a_float_within_its_tolerance_passes_and_processed_at_is_ignored(broken):
    ctx = broken(
        "UPDATE nba_precompute.player_daily_cache SET points_avg_last_10 = points_avg_last_10 + 1e-12, "
        "processed_at = TIMESTAMP '2020-01-01 00:00:00' WHERE cache_date = DATE '2023-11-21'")
    assert JUDGES["audit"](ctx, "player_daily_cache").passed


def test_sample_covers_the_spread_the_latest_and_the_stale_dates():
    catalog = repo_catalog()
    days = [dt.date(2023, 11, 1) + dt.timedelta(days=i) for i in range(40)]
    stale = [dt.date(2023, 11, 17)]
    sel = choose_dates(catalog, "sample", start=days[0], end=days[-1], dates=days, stale=stale)
    assert sel.mode == "sample"
    assert days[0] in sel.dates and days[-1] in sel.dates and stale[0] in sel.dates
    assert set(days[-catalog.settings.audit_latest_dates:]) <= set(sel.dates)
    assert len(sel.dates) < len(days)
    # consecutive sampled dates share one processor run
    assert len(sel.runs) < len(sel.dates)
    assert choose_dates(catalog, "all", start=days[0], end=days[-1], dates=days).runs == ((days[0], days[-1]),)


def test_sampled_audit_finds_a_tampered_sampled_date_in_one_statement(broken):
    ctx = broken("UPDATE nba_precompute.team_defense_zone_analysis SET games_in_sample = games_in_sample + 1 "
                 f"WHERE analysis_date = DATE '{END}'", audit="sample")
    v = JUDGES["audit"](ctx, "team_defense_zone_analysis")
    assert not v.passed and v.extra["audit"]["mode"] == "sample" and str(END) in v.message
    sql, params = audit_sql(ctx.catalog, ctx.catalog.table("team_defense_zone_analysis"),
                            ctx.columns("team_defense_zone_analysis"),
                            choose_dates(ctx.catalog, "sample", start=START, end=END,
                                         dates=[START + dt.timedelta(days=i) for i in range(40)]),
                            processor_sql(ctx.catalog, ctx.catalog.table("team_defense_zone_analysis")))
    assert "@start_date" not in sql and "audit_start_date_0" in params and "audit_dates" in params


def test_audit_mode_is_checked_and_command_processors_say_not_audited():
    catalog = repo_catalog()
    assert check_mode(None, catalog) == "auto"
    with pytest.raises(UsageError):
        check_mode("some", catalog)
    table = catalog.table("team_offense_game_summary").model_copy(update={"processor": ("python3", "job.py")})
    assert "not audited" in not_audited_note(table)
    assert not_audited_note(catalog.table("team_offense_game_summary")) is None
