"""Why a gap: each required input measured against the schedule, optional ones never a cause."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from phasegate.gate.context import GateContext
from phasegate.gate.judges import JUDGES
from phasegate.measure.provenance import downstream_impact
from phasegate.model.exceptions import load_exceptions
from tests.fixtures.builders import SCHEDULE_SCHEMA, d, schedule_row
from tests.fixtures.worlds import delete, make_world


def context(world) -> GateContext:
    return GateContext(world.catalog, "phase3", world.url, d("2023-11-01"), d("2023-12-20"),
                       load_exceptions(None, world.catalog))


def game_of(world, day: str) -> tuple[str, str, str]:
    """(nba game_id, away, home) of the first game of a date."""
    with world.open(read_only=True) as wh:
        row = wh.query(f"SELECT game_id, away_team_tricode AS a, home_team_tricode AS h FROM nba_raw.nbac_schedule "
                       f"WHERE game_date = DATE '{day}' ORDER BY game_id LIMIT 1")[0]
    return row["game_id"], row["a"], row["h"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = make_world(tmp_path_factory.mktemp("provenance"))
    # 2023-11-15: the raw box scores never arrived -> team_summary and team_rollup lack it
    delete(w, "team_box", "game_date = DATE '2023-11-15'")
    for table in ("team_summary", "team_rollup", "team_other"):
        delete(w, table, "game_date = DATE '2023-11-15'")
    # 2023-11-21: one game postponed from 11-20; its box score is filed under the original date
    game_id, away, home = game_of(w, "2023-11-21")
    with w.open() as wh:
        postponed = pa.Table.from_pylist([schedule_row(game_id, "2023-11-20", away, home, score=None)],
                                         schema=SCHEDULE_SCHEMA)
        wh.load_table("nba_raw", "nbac_schedule", postponed, replace=False)
        wh.execute([f"UPDATE nba_raw.team_box SET game_date = DATE '2023-11-20' WHERE game_date = DATE '2023-11-21' "
                    f"AND team_abbr IN ('{away}', '{home}')"])
    delete(w, "team_summary", f"game_date = DATE '2023-11-21' AND team_abbr IN ('{away}', '{home}')")
    # 2023-12-05: the processor's rows were lost, its input is there (and the rollup's with them)
    delete(w, "team_summary", "game_date = DATE '2023-12-05'")
    delete(w, "team_rollup", "game_date = DATE '2023-12-05'")
    w.game = (game_id, away, home)
    return w


def test_each_gap_is_explained_by_what_its_required_inputs_hold(world):
    ctx = context(world)
    try:
        gaps = ctx.provenance("team_summary")
        rollup = ctx.provenance("team_rollup")
    finally:
        ctx.close()
    lost = gaps[d("2023-11-15")]
    assert lost.state == "missing" and lost.blocked and lost.unfillable
    assert [c.text for c in lost.causes] == ["raw team_box has no rows on this date"]
    moved = gaps[d("2023-11-21")]
    _, away, home = world.game
    assert moved.state == "partial" and moved.games == (f"20231121_{away}_{home}",)
    kinds = {c.kind: c.text for c in moved.causes}
    assert kinds["raw"] == f"raw team_box lacks 1 game(s) (20231121_{away}_{home})"
    assert kinds["postponed"] == f"game 20231121_{away}_{home} was postponed from 2023-11-20"
    assert moved.unfillable
    rebuilt = gaps[d("2023-12-05")]
    assert not rebuilt.blocked and [c.kind for c in rebuilt.causes] == ["buildable"]
    # a derived input that lacks the date: the same phase's upstream, not a raw fact
    assert rollup[d("2023-12-05")].causes[0].text == "upstream team_summary has no rows on this date"
    assert rollup[d("2023-12-05")].blocked and not rollup[d("2023-12-05")].unfillable
    assert rollup[d("2023-11-15")].causes[0].kind == "upstream"


def test_the_gate_says_why_beside_the_gap_and_records_what_reads_it(world):
    ctx = context(world)
    try:
        judgement = JUDGES["date_coverage"](ctx, "team_summary")
        games = JUDGES["game_coverage"](ctx, "team_summary")
    finally:
        ctx.close()
    assert "why: 2023-11-15: raw team_box has no rows on this date; 2023-12-05: its required inputs hold rows" \
        in judgement.message
    facts = judgement.extra["provenance"]
    assert facts["2023-11-15"]["impact"] == {"team_rollup": ["2023-11-15"], "team_zone": ["2023-11-15"]}
    assert "postponed from 2023-11-20" in games.message
    assert downstream_impact(world.catalog, "team_other", [d("2023-11-15")]) == {}


def test_an_optional_input_is_never_a_cause_and_a_failed_backfill_is(tmp_path):
    from phasegate.runner.runlog import RunLog

    world = make_world(tmp_path, fill=("team_summary", "team_other"))
    toml = world.root / "pipeline.toml"
    toml.write_text(toml.read_text().replace('upstream = ["team_box"]\nprocessor = "backfill/phase3/team_other.sql"',
                                             'upstream = ["team_box"]\noptional_upstream = ["team_box"]\n'
                                             'processor = "backfill/phase3/team_other.sql"'))
    from phasegate.model.catalog import load_catalog

    world.catalog = load_catalog(toml)
    delete(world, "team_box", "game_date = DATE '2023-11-15'")
    delete(world, "team_other", "game_date IN (DATE '2023-11-15', DATE '2023-11-16')")
    with RunLog(world.catalog.state_dir, "phase3-20231201T000000Z-abcd") as log:
        log.write("start", phase="phase3")
        log.write("dates", table="team_other", outcome="failed", count=1, dates="2023-11-16",
                  reason="Conversion Error: could not convert 'n/a'")
    ctx = context(world)
    try:
        gaps = ctx.provenance("team_other")
    finally:
        ctx.close()
    assert [c.kind for c in gaps[d("2023-11-15")].causes] == ["buildable"]
    assert gaps[d("2023-11-16")].causes[0].text == ("the last backfill failed on it: Conversion Error: could not "
                                                    "convert 'n/a'")


def test_a_gap_reaches_every_downstream_date_whose_lookback_reads_it():
    """Impact through the catalog's lookbacks: a last-N-games window reads the gap for its N
    following game dates, a season-long one until the season's last game, a same-date read once."""
    from phasegate.model.catalog import load_catalog
    from tests.fixtures.builders import ROOT

    catalog = load_catalog(ROOT / "pipeline.toml")
    season = [d("2023-10-24") + dt.timedelta(days=i) for i in range(174)]  # .. 2024-04-14
    next_season = [d("2024-10-22") + dt.timedelta(days=i) for i in range(30)]
    gap = d("2023-11-15")
    impact = downstream_impact(catalog, "team_offense_game_summary", [gap], season + next_season)
    assert impact["player_game_summary"] == [gap]  # read on its own date only (lookback 0)
    cache = impact["player_daily_cache"]  # season aggregates: the rest of that season, not the next
    assert cache[0] == gap and cache[-1] == d("2024-04-14") and len(cache) == 152
    raw = downstream_impact(catalog, "nbac_gamebook_player_stats", [gap], season + next_season)
    assert raw["upcoming_player_game_context"] == season[22:53]  # the 30 game dates after it, and itself
    assert downstream_impact(catalog, "team_offense_game_summary", [gap])["player_daily_cache"] == [gap]
