"""The backfill plan: from measurement, narrowed, expanded by dependencies, chunked.

A tiny world (its own catalog, a 2023-24 season of 2 games a day, one raw table and four
derived ones) keeps every case readable; `make_world` is reused by the runner, lock and
crash tests.
"""

from __future__ import annotations

import textwrap

import pytest

from phasegate.errors import UsageError
from phasegate.runner.plan import build_plan, make_chunks
from tests.fixtures.builders import d
from tests.fixtures.worlds import OPENING, delete, game_dates, make_world, plan_of


@pytest.fixture()
def world(tmp_path):
    return make_world(tmp_path)


def test_complete_world_plans_nothing(world):
    plan = plan_of(world)
    assert plan.is_empty
    assert set(plan.tables) == {"team_summary", "team_rollup", "team_other"}
    order = list(plan.tables)
    assert order.index("team_summary") < order.index("team_rollup")
    assert "nothing to backfill" in plan.describe()


def test_missing_dates_and_staleness(world):
    # team_summary loses 2023-11-14..11-16; team_rollup still holds rows computed from it.
    delete(world, "team_summary", "game_date BETWEEN DATE '2023-11-14' AND DATE '2023-11-16'")
    plan = plan_of(world)
    missing = [d("2023-11-14"), d("2023-11-15"), d("2023-11-16")]
    assert plan.tables["team_summary"].reasons == {x: "missing" for x in missing}
    assert plan.tables["team_rollup"].reasons == {x: "stale" for x in missing}
    assert plan.tables["team_other"].reasons == {}
    assert plan.total_dates == 6


def test_partial_date_is_rebuilt(world):
    delete(world, "team_other", "game_date = DATE '2023-11-21' AND team_abbr = 'ATL'")
    plan = plan_of(world)
    assert plan.tables["team_other"].reasons == {d("2023-11-21"): "partial"}


def test_upstream_is_expanded_when_narrowed_to_a_downstream_table(world):
    delete(world, "team_summary", "game_date = DATE '2023-12-01'")
    delete(world, "team_rollup", "game_date IN (DATE '2023-12-01', DATE '2023-12-02')")
    plan = plan_of(world, tables=["team_rollup"])
    assert plan.tables["team_rollup"].reasons == {d("2023-12-01"): "missing", d("2023-12-02"): "missing"}
    assert plan.tables["team_summary"].reasons == {d("2023-12-01"): "upstream"}
    assert "team_other" not in plan.tables
    order = list(plan.tables)
    assert order.index("team_summary") < order.index("team_rollup")


def test_dates_narrow_and_days_without_games_are_never_scheduled(world):
    delete(world, "team_other", "game_date BETWEEN DATE '2023-11-20' AND DATE '2023-11-30'")
    plan = plan_of(world, tables=["team_other"], dates=[d("2023-11-21"), d("2023-11-22"), d("2023-11-27")])
    # 2023-11-27 is a Monday: no games.
    assert plan.tables["team_other"].dates == [d("2023-11-21"), d("2023-11-22")]
    assert any("without counted games" in n for n in plan.notes)


def test_all_dates_rebuilds_every_game_date_including_written_bootstrap(world):
    plan = plan_of(world, tables=["team_other"], all_dates=True)
    assert plan.tables["team_other"].dates == game_dates()
    assert set(plan.tables["team_other"].reasons.values()) == {"all"}


def test_bootstrap_skip_tables_never_plan_bootstrap_dates(world):
    plan = plan_of(world, phase="phase4")
    dates = plan.tables["team_zone"].dates
    bootstrap = {x for x in game_dates() if (x - OPENING).days < 14}
    assert dates and not (set(dates) & bootstrap)
    assert set(dates) == set(game_dates()) - bootstrap
    plan_all = plan_of(world, phase="phase4", all_dates=True)
    assert not set(plan_all.tables["team_zone"].dates) & bootstrap


def test_missing_bootstrap_rows_of_exclude_tables_are_rebuilt(tmp_path):
    world = make_world(tmp_path, fill=("team_summary",))
    delete(world, "team_summary", f"game_date = DATE '{OPENING}'")
    plan = plan_of(world, tables=["team_summary"])
    assert plan.tables["team_summary"].reasons == {OPENING: "bootstrap"}


def test_documented_exceptions_are_left_alone(tmp_path):
    exceptions = textwrap.dedent("""
        [[exceptions]]
        table = "team_other"
        dates = ["2023-11-21..2023-11-22"]
        reason = "box scores never published"
        approved_by = "Jane Doe"
        expires = 2099-01-01
    """)
    world = make_world(tmp_path, exceptions=exceptions)
    delete(world, "team_other", "game_date BETWEEN DATE '2023-11-21' AND DATE '2023-11-23'")
    plan = plan_of(world)
    assert plan.tables["team_other"].dates == [d("2023-11-23")]
    # forcing them by --dates still does not schedule them
    plan = plan_of(world, dates=[d("2023-11-21")], all_dates=True, tables=["team_other"])
    assert plan.tables["team_other"].dates == []


def test_blocked_when_the_upstream_phase_has_no_rows(world):
    delete(world, "team_summary", "game_date = DATE '2023-12-05'")
    plan = plan_of(world, phase="phase4")
    assert d("2023-12-05") not in plan.tables["team_zone"].reasons
    assert plan.tables["team_zone"].blocked == {d("2023-12-05"): ["team_summary"]}
    assert plan.tables["team_zone"].unbuildable == {
        d("2023-12-05"): "upstream team_summary has no rows on this date (fix phase3 first)"}
    assert "UNBUILDABLE team_zone: 1 date(s) 2023-12-05: upstream team_summary has no rows" in plan.describe()


def test_a_date_whose_required_raw_input_has_no_rows_is_unbuildable_not_scheduled(world):
    # team_box (raw) lost 2023-11-15: team_summary and team_other cannot be built there, and
    # team_rollup, which needs team_summary's date, cannot either. Every other date is planned.
    delete(world, "team_box", "game_date = DATE '2023-11-15'")
    for table in ("team_summary", "team_rollup", "team_other"):
        delete(world, table, "game_date BETWEEN DATE '2023-11-14' AND DATE '2023-11-16'")
    plan = plan_of(world)
    lost, others = d("2023-11-15"), [d("2023-11-14"), d("2023-11-16")]
    for name in ("team_summary", "team_other"):
        assert plan.tables[name].unbuildable == {lost: "raw team_box has no rows on this date"}
        assert plan.tables[name].dates == others
    assert plan.tables["team_rollup"].unbuildable == {
        lost: "upstream team_summary cannot be built on this date: raw team_box has no rows on this date"}
    assert plan.tables["team_rollup"].dates == others
    # chunks go around it (a chunk is one atomic range replace)
    assert [(c.start, c.end) for c in plan.tables["team_summary"].chunks] == [(others[0], others[0]),
                                                                            (others[1], others[1])]
    assert "UNBUILDABLE team_summary: 1 date(s) 2023-11-15: raw team_box has no rows on this date" in plan.describe()
    assert plan.to_json()["tables"]["team_summary"]["unbuildable"] == {"2023-11-15": "raw team_box has no rows on "
                                                                                     "this date"}


def test_a_raw_input_lacking_one_game_of_a_partial_date_makes_only_that_date_unbuildable(world):
    delete(world, "team_box", "game_date = DATE '2023-11-21' AND team_abbr = 'ATL'")
    delete(world, "team_other", "game_date = DATE '2023-11-21' AND team_abbr = 'ATL'")
    delete(world, "team_other", "game_date = DATE '2023-11-22'")  # this one the raw input can give
    plan = plan_of(world, tables=["team_other"])
    why = plan.tables["team_other"].unbuildable[d("2023-11-21")]
    assert why.startswith("raw team_box lacks 1 game(s) (20231121_ATL_") and plan.tables["team_other"].dates == \
        [d("2023-11-22")]


def test_an_optional_input_never_blocks_a_date(tmp_path):
    world = make_world(tmp_path)
    toml = world.root / "pipeline.toml"
    toml.write_text(toml.read_text().replace('upstream = ["team_box"]\nprocessor = "backfill/phase3/team_other.sql"',
                                             'upstream = ["team_box"]\noptional_upstream = ["team_box"]\n'
                                             'processor = "backfill/phase3/team_other.sql"'))
    from phasegate.model.catalog import load_catalog

    world.catalog = load_catalog(toml)
    assert world.catalog.table("team_other").required_upstream == ()
    delete(world, "team_box", "game_date = DATE '2023-11-15'")
    delete(world, "team_other", "game_date = DATE '2023-11-15'")
    plan = plan_of(world, tables=["team_other"])
    assert plan.tables["team_other"].dates == [d("2023-11-15")] and not plan.tables["team_other"].unbuildable


def test_raw_phase_and_raw_tables_are_refused(world):
    with pytest.raises(UsageError, match="raw"):
        plan_of(world, phase="phase2")
    with pytest.raises(UsageError, match="raw"):
        plan_of(world, tables=["team_box"])
    with pytest.raises(UsageError, match="belongs to phase4"):
        plan_of(world, tables=["team_zone"])


def test_chunks_are_contiguous_in_the_game_calendar_and_bounded():
    universe = [d("2023-11-01"), d("2023-11-02"), d("2023-11-04"), d("2023-11-05"), d("2023-11-06"),
                d("2023-11-08")]
    planned = [d("2023-11-01"), d("2023-11-02"), d("2023-11-04"), d("2023-11-06"), d("2023-11-08")]
    chunks = make_chunks("t", planned, universe, chunk_days=2)
    # 11-03 has no games: the run continues across it; 11-05 is an unplanned game date: split.
    assert [(c.start, c.end) for c in chunks] == [
        (d("2023-11-01"), d("2023-11-02")), (d("2023-11-04"), d("2023-11-04")),
        (d("2023-11-06"), d("2023-11-08"))]
    assert [(c.start, c.end) for c in make_chunks("t", planned[:3], universe, 30)] == [
        (d("2023-11-01"), d("2023-11-04"))]
    with pytest.raises(UsageError):
        make_chunks("t", planned, universe, 0)


def test_plan_chunks_never_span_an_unplanned_date_with_rows(world):
    delete(world, "team_other", "game_date IN (DATE '2023-11-21', DATE '2023-11-23')")
    plan = plan_of(world, tables=["team_other"], chunk_days=30)
    chunks = plan.tables["team_other"].chunks
    assert [(c.start, c.end) for c in chunks] == [(d("2023-11-21"), d("2023-11-21")),
                                                  (d("2023-11-23"), d("2023-11-23"))]
    assert plan.total_chunks == 2


def test_plan_uses_few_queries(world):
    delete(world, "team_summary", "game_date = DATE '2023-12-01'")
    with world.open(read_only=True) as wh:
        build_plan(wh, world.catalog, "phase3", start=d("2023-10-01"), end=d("2023-12-31"))
        # 1 calendar + 1 coverage and 1 staleness query per phase-3 table (3)
        # + 1 coverage per required raw input of a table with planned dates (team_box)
        assert wh.query_count == 8


def test_rows_older_than_their_upstream_are_planned_as_stale(world):
    # team_summary's 2023-12-01 rows were rebuilt (e.g. by an earlier backfill) after team_rollup
    # was computed from them: the rollup rows of that date are stale, though none is missing.
    t = world.catalog.table("team_summary")
    with world.open() as wh:
        wh.execute([f"UPDATE {t.ref} SET processed_at = processed_at + INTERVAL 1 HOUR "
                    "WHERE game_date = DATE '2023-12-01'"])
    plan = plan_of(world)
    assert plan.tables["team_rollup"].reasons == {d("2023-12-01"): "stale"}
    assert plan.tables["team_summary"].reasons == {}


def test_bigquery_plans_print_estimated_bytes(world):
    delete(world, "team_other", "game_date BETWEEN DATE '2023-11-21' AND DATE '2023-11-23'")

    from phasegate.warehouse import Capabilities

    class PretendBigQuery:
        dialect = "bigquery"
        capabilities = Capabilities(dialect="bigquery", handover_writes=False, job_labels=True, dry_run_bytes=True,
                                    max_workers=4)

        def __init__(self, inner):
            self.inner = inner
            self.dry_runs = []

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def dry_run_bytes(self, sql, params=None):
            self.dry_runs.append((params["start_date"], params["end_date"]))
            return 10 * 1024 ** 3

    with world.open(read_only=True) as wh:
        bq = PretendBigQuery(wh)
        plan = build_plan(bq, world.catalog, "phase3", start=d("2023-10-01"), end=d("2023-12-31"))
    assert bq.dry_runs == [(d("2023-11-21"), d("2023-11-23"))]
    assert plan.estimated_bytes == 10 * 1024 ** 3
    assert "estimated bytes scanned 10.0 GiB" in plan.describe()
