"""From a gap no backfill can fill to a documented exception, on the real phase-3 processors.

The warehouse is the demo's raw generator cut to Sep..Dec 2023, with the raw player data
(`nbac_gamebook_player_stats`) lacking one game date, as the real 2024-25 logs lack the NBA Cup
final. `backfill phase3` must write every other date, exit 1 naming that date and the raw table
it lacks, count one date (not the chunk), leave it out of the retry advice; `exceptions suggest`
proposes the entry; once a person approves it the gate is GO for that table.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from phasegate.measure.calendar import load_calendar
from phasegate.model.catalog import load_catalog
from phasegate.runner.orchestrate import Options, backfill
from phasegate.runner.retry import RetryPolicy
from phasegate.runner.runlog import recent_runs
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.builders import ROOT
from tests.fixtures.worlds import RAW_FROM, RAW_TO

START, END = dt.date(2023, 11, 7), dt.date(2023, 11, 20)  # after the bootstrap days: 14 counted dates
PLAYER_TABLES = ("player_game_summary", "upcoming_player_game_context")  # both need the gamebook that day


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    from phasegate.demo.raw import generate_raw

    root = tmp_path_factory.mktemp("unfillable")
    for name in ("pipeline.toml", "conftest.py"):  # conftest.py loads the gate's pytest plugin
        shutil.copy(ROOT / name, root / name)
    for folder in ("backfill", "checks", "expectations"):
        shutil.copytree(ROOT / folder, root / folder)
    catalog = load_catalog(root / "pipeline.toml")
    path = root / "w.duckdb"
    wh = DuckDBWarehouse(path)
    try:
        for name, data in generate_raw(7).items():
            dates = data.column("game_date")
            table = catalog.table(name)
            wh.load_table(table.dataset, table.name,
                          data.filter(pc.and_(pc.greater_equal(dates, RAW_FROM), pc.less_equal(dates, RAW_TO))),
                          replace=True)
        game_dates = load_calendar(wh, catalog, START, END).game_dates
        lost = game_dates[len(game_dates) // 2]
        gamebook = catalog.table("nbac_gamebook_player_stats")
        wh.execute([f"DELETE FROM {gamebook.ref} WHERE game_date = DATE '{lost}'"])
    finally:
        wh.close()
    return {"root": root, "catalog": catalog, "url": f"duckdb:///{path}", "lost": lost, "game_dates": game_dates}


def cli(project, *args, warehouse=True):
    from phasegate.cli import app

    where = ["--warehouse", project["url"]] if warehouse else []
    return CliRunner().invoke(app, [*args, *where, "--catalog", str(project["root"] / "pipeline.toml")])


def test_an_unfillable_raw_gap_is_named_counted_suggested_and_once_approved_the_gate_is_go(project):
    lost, root = project["lost"], project["root"]
    lines: list[str] = []
    opts = Options(phase="phase3", warehouse_url=project["url"], catalog_path=root / "pipeline.toml", start=START,
                   end=END, yes=True, gate=False, chunk_days=30, command="phasegate backfill phase3 --yes")
    outcome = backfill(opts, out=lines.append, policy=RetryPolicy(retries=0, sleep=lambda s: None))
    text = "\n".join(lines)

    # every other date written and verified; exit 1 naming the date and its missing raw table
    assert outcome.exit_code == 1 and outcome.verdict == "NO-GO", text
    for name in PLAYER_TABLES:
        t = outcome.execution.tables[name]
        assert t.unbuildable == {lost: "raw nbac_gamebook_player_stats has no rows on this date"}
        assert not t.failed and not t.skipped and t.done == set(project["game_dates"]) - {lost}
        assert f"UNBUILDABLE {name}: 1 date(s) {lost}: raw nbac_gamebook_player_stats has no rows on this date" in text
    for name in ("team_offense_game_summary", "team_defense_game_summary", "upcoming_team_game_context"):
        assert outcome.execution.tables[name].ok  # the gamebook is not theirs to need that day
    # counted in dates, never the chunk: 1 date each, 0 failed, and no retry for it
    assert "FAILED" not in text and "retry with" not in text and outcome.retry == []
    run = recent_runs(root / ".phasegate")[0]
    assert run["tables"]["player_game_summary"] == {"planned": len(project["game_dates"]),
                                                     "done": len(project["game_dates"]) - 1, "unbuildable": 1,
                                                     "failed": 0, "skipped": 0}
    assert "phasegate exceptions suggest phase3" in text
    shown = cli(project, "runs", "show", outcome.run_id, warehouse=False)
    n = len(project["game_dates"])
    assert f"player_game_summary: {n - 1}/{n} dates written and verified, 1 unbuildable, 0 failed" in shown.output

    # the gate says why beside the gap, and what reads it downstream
    from phasegate.gate.context import GateContext
    from phasegate.gate.judges import JUDGES
    from phasegate.model.exceptions import load_exceptions

    def judge(family, table, exceptions_path):
        catalog = load_catalog(root / "pipeline.toml")
        ctx = GateContext(catalog, "phase3", project["url"], START, END,
                          load_exceptions(exceptions_path, catalog))
        try:
            return JUDGES[family](ctx, table)
        finally:
            ctx.close()

    before = judge("date_coverage", "player_game_summary", None)
    assert not before.passed and f"why: {lost}: raw nbac_gamebook_player_stats has no rows on this date" \
        in before.message
    gap = before.extra["provenance"][lost.isoformat()]
    assert gap["unfillable"] and gap["causes"][0]["table"] == "nbac_gamebook_player_stats"
    assert set(gap["impact"]) >= {"player_shot_zone_analysis", "ml_feature_store_v2"}

    # exceptions suggest proposes the entry, --write appends it unapproved (not applied: still NO-GO)
    printed = cli(project, "exceptions", "suggest", "phase3", "--start-date", str(START), "--end-date", str(END))
    assert printed.exit_code == 0, printed.output
    assert printed.output.count("[[exceptions]]") == 2 and not (root / "exceptions.toml").exists()
    assert f'table = "player_game_summary"\ndates = ["{lost}"]\nreason = "raw nbac_gamebook_player_stats has no ' \
           "rows on this date (measured by phasegate exceptions suggest phase3" in printed.output
    written = cli(project, "exceptions", "suggest", "phase3", "--start-date", str(START), "--end-date", str(END),
                  "--write")
    assert written.exit_code == 0 and "appended 2 entries" in written.output
    again = cli(project, "exceptions", "suggest", "phase3", "--start-date", str(START), "--end-date", str(END))
    assert again.exit_code == 0 and "no gap to document" in again.output  # never proposed twice
    pending = judge("date_coverage", "player_game_summary", root / "exceptions.toml")
    assert not pending.passed and "is not applied: no approved_by; no expires date" in pending.message

    # a person approves it: the gap leaves the denominator, the backfill leaves it alone, the gate is GO
    toml = root / "exceptions.toml"
    toml.write_text(toml.read_text().replace('approved_by = ""', 'approved_by = "Jane Doe"')
                    .replace('expires = ""', "expires = 2099-12-31"))
    assert judge("date_coverage", "player_game_summary", toml).passed
    lines.clear()
    again = backfill(opts, out=lines.append)
    assert again.exit_code == 0 and again.plan.is_empty and not again.plan.total_unbuildable, "\n".join(lines)

    from phasegate.gate.run import run_gate

    gate = run_gate("phase3", warehouse_url=project["url"], catalog_path=str(root / "pipeline.toml"), start=START,
                    end=END, exceptions_path=str(toml), workers=1)
    assert gate.verdict == "GO" and not gate.failing_tables, gate.text
