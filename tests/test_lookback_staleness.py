"""The rolling-window cascade (platform-facts §8): phase 4 built over phase-3 gaps, then phase 3 repaired.

Scenario `phase4-on-gap` on the gate's small world (the demo's raw generator, Sep..Dec 2023, the
real processors over 2023-10-24..2023-12-08): phase 3 built, a run of team_defense_game_summary
dates and two upcoming_player_game_context dates removed, phase 4 built over the gaps, then the
gaps backfilled. The phase-4 gate is NO-GO naming the stale tables and dates; the plan is
exactly the dates whose lookback windows include a repaired date; the backfill makes phase 4
equal, row for row, to a clean build.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from phasegate.demo.scenarios import build_phase4_on_gap
from phasegate.gate.context import GateContext
from phasegate.gate.judges import JUDGES
from phasegate.measure.calendar import load_calendar
from phasegate.model.catalog import load_catalog
from phasegate.model.exceptions import load_exceptions
from phasegate.model.lookback import dates_reading
from phasegate.runner.orchestrate import Options, backfill
from phasegate.runner.plan import build_plan
from phasegate.runner.retry import RetryPolicy
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.builders import ROOT
from tests.fixtures.worlds import GATE_END as END
from tests.fixtures.worlds import GATE_START as START
from tests.fixtures.worlds import build_world

TDGS_GAP = [dt.date(2023, 11, 20) + dt.timedelta(days=i) for i in range(5)]  # 11-20..11-24
UPGC_GAP = [dt.date(2023, 11, 27), dt.date(2023, 11, 28)]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    clean = build_world(tmp_path_factory.getbasetemp() / "gate_world.duckdb")
    root = tmp_path_factory.mktemp("phase4_on_gap")
    for name in ("pipeline.toml", "conftest.py"):
        shutil.copy(ROOT / name, root / name)
    for folder in ("backfill", "checks", "expectations"):
        shutil.copytree(ROOT / folder, root / folder)
    catalog = load_catalog(root / "pipeline.toml")
    path = root / "gap.duckdb"
    shutil.copy(clean, path)
    wh = DuckDBWarehouse(path)
    try:
        calendar = load_calendar(wh, catalog, START, END)
        tdgs = [x for x in TDGS_GAP if x in calendar.game_dates]
        upgc = [x for x in UPGC_GAP if x in calendar.game_dates]
        assert tdgs and upgc
        build_phase4_on_gap(wh, catalog, START, END,
                            {"team_defense_game_summary": tdgs, "upcoming_player_game_context": upgc})
    finally:
        wh.close()
    return {"root": root, "catalog": catalog, "path": path, "clean": clean, "calendar": calendar,
            "tdgs": tdgs, "upgc": upgc}


def counted_from(calendar, first: dt.date) -> set[dt.date]:
    return {g.date for g in calendar.dates if g.date >= first and not g.is_bootstrap}


def context(project, phase: str, path=None) -> GateContext:
    catalog = project["catalog"]
    return GateContext(catalog, phase, f"duckdb:///{path or project['path']}", START, END,
                       load_exceptions(None, catalog, required=False))


def test_lookback_windows_reach_forward_as_declared():
    days = [(dt.date(2023, 11, d), 2023) for d in range(1, 11)] + [(dt.date(2024, 10, 22), 2024)]
    assert dates_reading(0, [dt.date(2023, 11, 3)], days) == {dt.date(2023, 11, 3)}
    assert dates_reading(2, [dt.date(2023, 11, 3)], days) == {dt.date(2023, 11, d) for d in (3, 4, 5)}
    assert dates_reading("season", [dt.date(2023, 11, 9)], days) == {dt.date(2023, 11, 9), dt.date(2023, 11, 10)}


def test_phase3_repaired_is_go_and_phase4_gate_names_stale_tables_and_dates(project):
    ctx = context(project, "phase3")
    try:
        for table in ("team_defense_game_summary", "upcoming_player_game_context"):
            assert JUDGES["staleness"](ctx, table).passed
            assert JUDGES["date_coverage"](ctx, table).passed
    finally:
        ctx.close()
    ctx = context(project, "phase4")
    try:
        tdza = JUDGES["staleness"](ctx, "team_defense_zone_analysis")
        assert not tdza.passed
        assert "not_older_than_team_defense_game_summary" in tdza.message
        last = max(counted_from(project["calendar"], project["tdgs"][0]))
        # a date after the gap is stale through its season window, not only the gap dates
        assert str(last) in tdza.message or tdza.extra["checks"]["not_older_than_team_defense_game_summary"][
            "failures"] == len(counted_from(project["calendar"], project["tdgs"][0]))
        mlfs = JUDGES["staleness"](ctx, "ml_feature_store_v2")
        assert not mlfs.passed and "not_older_than_upcoming_player_game_context" in mlfs.message
        pdc = JUDGES["date_coverage"](ctx, "player_daily_cache")
        assert not pdc.passed and str(project["upgc"][0]) in pdc.message
        assert JUDGES["staleness"](ctx, "player_shot_zone_analysis").passed  # its input was never touched
    finally:
        ctx.close()


def test_plan_is_exactly_the_dates_whose_windows_include_a_repaired_date(project):
    catalog, calendar = project["catalog"], project["calendar"]
    wh = DuckDBWarehouse(project["path"], read_only=True)
    try:
        plan = build_plan(wh, catalog, "phase4", start=START, end=END)
    finally:
        wh.close()
    after_gap = counted_from(calendar, project["tdgs"][0])
    expected = {
        "team_defense_zone_analysis": after_gap,          # lookback "season" on the repaired defense rows
        "player_shot_zone_analysis": set(),                # reads player_game_summary only: untouched
        "player_composite_factors": after_gap,             # reads the rebuilt zones on their date
        "player_daily_cache": set(project["upgc"]),        # no rows where its context was missing
        "ml_feature_store_v2": after_gap,                  # reads zones and composite factors on their date
    }
    assert {name: set(tp.reasons) for name, tp in plan.tables.items()} == expected
    tdza = plan.tables["team_defense_zone_analysis"]
    assert set(tdza.reasons.values()) == {"stale"}
    why = tdza.why[max(after_gap)]
    first, last = project["tdgs"][0], project["tdgs"][-1]
    assert f"window (its season up to the date) includes {first}..{last}" in why
    assert "rebuilt in phase3 team_defense_game_summary at" in why
    assert "STALE team_defense_zone_analysis" in plan.describe()
    assert plan.tables["ml_feature_store_v2"].why[min(after_gap)].startswith("stale: window includes")


def test_backfill_makes_phase4_equal_to_a_clean_build_row_for_row(project, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(project["path"], path)
    root = project["root"]
    opts = Options(phase="phase4", warehouse_url=f"duckdb:///{path}", catalog_path=root / "pipeline.toml",
                   start=START, end=END, yes=True, gate=False, command="phasegate backfill phase4 --yes")
    outcome = backfill(opts, out=lambda line: None, policy=RetryPolicy(retries=0, sleep=lambda s: None))
    assert outcome.execution is not None and outcome.execution.ok
    catalog = project["catalog"]
    wh = DuckDBWarehouse(path)
    try:
        cur = wh._cursor()
        cur.execute(f"ATTACH '{project['clean']}' AS clean (READ_ONLY)")
        for table in catalog.tables_of("phase4"):
            cols = [c for c in wh.columns(table.dataset, table.name) if c != table.processed_at_column]
            select = ", ".join(cols)
            for a, b in ((table.ref, f"clean.{table.ref}"), (f"clean.{table.ref}", table.ref)):
                diff = cur.execute(f"SELECT COUNT(*) FROM (SELECT {select} FROM {a} EXCEPT ALL "
                                   f"SELECT {select} FROM {b})").fetchone()[0]
                assert diff == 0, f"{table.name}: {diff} rows of {a} not in {b}"
        cur.execute("DETACH clean")
    finally:
        wh.close()
    ctx = context(project, "phase4", path)
    try:
        for table in catalog.tables_of("phase4"):
            assert JUDGES["staleness"](ctx, table.name).passed, table.name
    finally:
        ctx.close()
