"""Every gate check fails on data that breaks it, with a useful message, and passes on clean data.

The fixture world: the demo's raw generator cut to Sep..Dec 2023 (30 teams), then the real
phase-3 and phase-4 processors over 2023-10-24..2023-12-08 (opening night + 14 bootstrap days
+ ~30 counted game dates). Each fault test copies that warehouse, breaks one thing with SQL,
and judges the family directly through the plugin's GateContext (no pytest subprocess).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from phasegate.errors import WarehouseError
from phasegate.gate.judges import JUDGES
from phasegate.gate.plugin import GateContext
from phasegate.model.exceptions import load_exceptions
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.builders import repo_catalog
from tests.fixtures.worlds import GATE_END as END
from tests.fixtures.worlds import GATE_START as START
from tests.fixtures.worlds import build_world


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> Path:
    return build_world(tmp_path_factory.getbasetemp() / "gate_world.duckdb")


@pytest.fixture()
def broken(world, tmp_path):
    """Copy the world; `broken(sql...)` applies statements and returns a GateContext factory."""
    target = tmp_path / "w.duckdb"
    shutil.copy(world, target)

    def apply(*statements: str, exceptions: str | None = None, phase: str = "phase3") -> GateContext:
        if statements:
            wh = DuckDBWarehouse(target)
            try:
                cur = wh._cursor()
                for s in statements:
                    cur.execute(s)
            finally:
                wh.close()
        catalog = repo_catalog()
        exc_path = None
        if exceptions is not None:
            exc_path = tmp_path / "exceptions.toml"
            exc_path.write_text(exceptions)
        ctx = GateContext(catalog, phase, f"duckdb:///{target}", START, END,
                          load_exceptions(exc_path, catalog, required=exc_path is not None))
        contexts.append(ctx)
        return ctx

    contexts: list[GateContext] = []
    yield apply
    for ctx in contexts:
        ctx.close()


def judge(ctx: GateContext, family: str, table: str | None):
    return JUDGES[family](ctx, table)


def families_of(ctx: GateContext, table: str) -> list[str]:
    from phasegate.measure.checks import families_of

    return [f for f in families_of(ctx.catalog, ctx.catalog.table(table)) if f in JUDGES]  # expectations: own cases


# -- clean data: everything passes, in three queries per table ------------------------------------

@pytest.mark.parametrize("phase", ["phase3", "phase4"])
def test_clean_world_passes_every_check_in_three_queries_per_table(broken, phase):
    ctx = broken(phase=phase)
    assert judge(ctx, "uncatalogued_tables", None).passed
    for table in ctx.tables:
        before = ctx.warehouse.query_count
        for family in families_of(ctx, table.name):
            v = judge(ctx, family, table.name)
            assert v.passed, v.message
        assert ctx.warehouse.query_count - before <= 3, table.name  # coverage, checks, audit
    # cached: judging again sends no query
    before = ctx.warehouse.query_count
    for table in ctx.tables:
        judge(ctx, "date_coverage", table.name)
        judge(ctx, "staleness", table.name)
    assert ctx.warehouse.query_count == before


def test_every_phase3_table_gets_the_sql_families(broken):
    ctx = broken()
    fams = {t.name: set(families_of(ctx, t.name)) for t in ctx.tables}
    assert {"key_uniqueness", "game_id_consistency", "staleness", "row_counts"} <= fams["team_offense_game_summary"]
    assert {"cross_table", "null_rates"} <= fams["player_game_summary"]
    assert "leakage" in fams["upcoming_player_game_context"]
    assert "cross_table" in fams["team_defense_game_summary"]


# -- one fault each ---------------------------------------------------------------------------------

def test_duplicate_keys(broken):
    ctx = broken("INSERT INTO nba_analytics.team_offense_game_summary "
                 "SELECT * FROM nba_analytics.team_offense_game_summary WHERE game_date = DATE '2023-11-15' LIMIT 1")
    v = judge(ctx, "key_uniqueness", "team_offense_game_summary")
    assert not v.passed
    assert "key_unique" in v.message and "2023-11-15" in v.message and "x2" in v.message
    assert not judge(ctx, "row_counts", "team_offense_game_summary").passed


def test_reversed_game_id(broken):
    ctx = broken("""UPDATE nba_analytics.team_offense_game_summary
        SET game_id = CONCAT(SPLIT_PART(game_id, '_', 1), '_', SPLIT_PART(game_id, '_', 3), '_', SPLIT_PART(game_id, '_', 2))
        WHERE game_date = DATE '2023-11-20' AND home_game""")
    v = judge(ctx, "game_id_consistency", "team_offense_game_summary")
    assert not v.passed
    assert "HOME_AWAY order" in v.message and "2023-11-20" in v.message
    mirror = judge(ctx, "cross_table", "team_offense_game_summary")
    assert not mirror.passed and "opponent row has game_id" in mirror.message


def test_missing_game_on_a_covered_date(broken):
    ctx = broken("""DELETE FROM nba_analytics.team_defense_game_summary
        WHERE game_date = DATE '2023-11-22'
          AND game_id = (SELECT MIN(game_id) FROM nba_analytics.team_defense_game_summary WHERE game_date = DATE '2023-11-22')""")
    dates = judge(ctx, "date_coverage", "team_defense_game_summary")
    assert dates.passed, dates.message  # the date still has rows
    games = judge(ctx, "game_coverage", "team_defense_game_summary")
    assert not games.passed
    assert "partial date" in games.message and "2023-11-22 missing 20231122_" in games.message


def test_rows_on_a_date_without_games(broken):
    # a postponed game written on its original date: no counted final game exists there
    ctx = broken("INSERT INTO nba_analytics.team_offense_game_summary "
                 "SELECT * REPLACE (DATE '2023-11-23' AS game_date) FROM nba_analytics.team_offense_game_summary "
                 "WHERE game_date = DATE '2023-11-22' LIMIT 2")
    v = judge(ctx, "game_coverage", "team_offense_game_summary")
    assert not v.passed
    assert "without a counted final game: 2023-11-23" in v.message


def test_missing_dates_are_folded_into_ranges(broken):
    ctx = broken("DELETE FROM nba_analytics.upcoming_team_game_context "
                 "WHERE game_date BETWEEN DATE '2023-11-10' AND DATE '2023-11-20'")
    v = judge(ctx, "date_coverage", "upcoming_team_game_context")
    assert not v.passed
    assert "below 100%" in v.message and "2023-11-10..2023-11-20" in v.message
    present, expected = v.measured.split(" ")[0].split("/")
    assert int(present) < int(expected)


def test_one_missing_date_of_a_derived_table_is_no_go(broken):
    # coverage_threshold = 1.0: a derived table missing a date its inputs have is a failed backfill, never
    # "95% is enough" (a documented, approved exception is the way to accept a gap)
    ctx = broken("DELETE FROM nba_analytics.team_defense_game_summary WHERE game_date = DATE '2023-11-15'")
    v = judge(ctx, "date_coverage", "team_defense_game_summary")
    assert not v.passed and "2023-11-15" in v.message


def test_null_usage_rate(broken):
    ctx = broken("UPDATE nba_analytics.player_game_summary SET usage_rate = NULL "
                 "WHERE game_date BETWEEN DATE '2023-11-10' AND DATE '2023-11-14'")
    v = judge(ctx, "null_rates", "player_game_summary")
    assert not v.passed
    assert "usage_rate non-NULL for" in v.message and "below 95%" in v.message


def test_wrong_usage_rate_and_team_totals(broken):
    ctx = broken("UPDATE nba_analytics.player_game_summary SET usage_rate = usage_rate * 1.2, points = points + 1 "
                 "WHERE game_date = DATE '2023-11-29' AND is_active AND minutes_played > 10")
    v = judge(ctx, "cross_table", "player_game_summary")
    assert not v.passed
    assert "usage_rate_recompute" in v.message and "team_totals" in v.message and "2023-11-29" in v.message


def test_points_allowed_mirror(broken):
    ctx = broken("UPDATE nba_analytics.team_defense_game_summary SET points_allowed = points_allowed + 2 "
                 "WHERE game_date = DATE '2023-11-17' AND home_game")
    v = judge(ctx, "cross_table", "team_defense_game_summary")
    assert not v.passed
    assert "points_allowed_mirror" in v.message and "!= opponent points_scored" in v.message


def test_null_team_totals_fail_the_cross_table_checks(broken):
    # a NULL on one side of a comparison is a mismatch, not a pass (NULL != x is never TRUE)
    ctx = broken("UPDATE nba_analytics.team_offense_game_summary SET points_scored = NULL, fg_attempts = NULL "
                 "WHERE game_date = DATE '2023-11-21' AND home_game")
    v = judge(ctx, "cross_table", "player_game_summary")
    assert not v.passed
    assert "team_totals" in v.message and "2023-11-21" in v.message
    v = judge(ctx, "cross_table", "team_defense_game_summary")
    assert not v.passed
    assert "points_allowed_mirror" in v.message and "2023-11-21" in v.message
    v = judge(ctx, "cross_table", "team_offense_game_summary")
    assert not v.passed
    assert "opponent_mirror" in v.message and "2023-11-21" in v.message


def test_downstream_row_older_than_its_upstream(broken):
    ctx = broken("UPDATE nba_analytics.player_game_summary SET processed_at = TIMESTAMP '2023-11-16 09:00:00' "
                 "WHERE game_date = DATE '2023-11-15'")
    v = judge(ctx, "staleness", "player_game_summary")
    assert not v.passed
    assert "not_older_than_team_offense_game_summary" in v.message and "2023-11-15" in v.message


def test_leaked_rolling_average(broken):
    # the one-game shift: the average includes the game being predicted
    ctx = broken("""UPDATE nba_analytics.upcoming_player_game_context AS u
        SET points_avg_last_5 = ROUND((u.points_avg_last_5 * 4 + g.points) / 5, 1)
        FROM nba_raw.nbac_gamebook_player_stats AS g
        WHERE g.game_date = u.game_date AND g.player_lookup = u.player_lookup
          AND u.game_date = DATE '2023-11-24' AND abs(g.points - u.points_avg_last_5) > 1""")
    v = judge(ctx, "leakage", "upcoming_player_game_context")
    assert not v.passed
    assert "rolling_form" in v.message and "2023-11-24" in v.message and "points_avg_last_5" in v.message


def test_roster_only_gamebook_game(broken):
    # the gamebook was scraped before box data existed: every listed player, 0 active
    ctx = broken("""UPDATE nba_analytics.player_game_summary SET is_active = FALSE
        WHERE game_id = (SELECT MIN(game_id) FROM nba_analytics.player_game_summary
                         WHERE game_date = DATE '2023-11-22')""")
    v = judge(ctx, "row_counts", "player_game_summary")
    assert not v.passed
    assert "active_players" in v.message and "2023-11-22" in v.message and "0 active players" in v.message


def test_prop_line_flag_disagreeing_with_its_line(broken):
    ctx = broken("UPDATE nba_analytics.upcoming_player_game_context SET has_prop_line = FALSE "
                 "WHERE game_date = DATE '2023-11-24' AND current_points_line IS NOT NULL")
    v = judge(ctx, "cross_table", "upcoming_player_game_context")
    assert not v.passed
    assert "prop_line_flags" in v.message and "2023-11-24" in v.message and "has_prop_line false" in v.message


def test_shot_zone_rates_that_do_not_add_up(broken):
    # all-missing zones summed to 0 once made the three rate 100% and the others 0
    ctx = broken("UPDATE nba_precompute.player_shot_zone_analysis SET paint_rate_last_10 = 0, mid_range_rate_last_10 = 0 "
                 "WHERE analysis_date = DATE '2023-11-28' AND player_lookup = (SELECT MIN(player_lookup) "
                 "FROM nba_precompute.player_shot_zone_analysis WHERE analysis_date = DATE '2023-11-28')",
                 phase="phase4")
    v = judge(ctx, "cross_table", "player_shot_zone_analysis")
    assert not v.passed and "zone_rates_sum" in v.message and "2023-11-28" in v.message


def test_team_context_counting_todays_game(broken):
    # the classic off-by-one: the game being predicted counted in the team's recent load
    ctx = broken("UPDATE nba_analytics.upcoming_team_game_context "
                 "SET games_in_last_7_days = games_in_last_7_days + 1, game_number_in_season = game_number_in_season + 1 "
                 "WHERE game_date = DATE '2023-11-20'")
    v = judge(ctx, "leakage", "upcoming_team_game_context")
    assert not v.passed
    assert "rolling_schedule" in v.message and "2023-11-20" in v.message and "game_number_in_season" in v.message


def test_leaked_feature_and_cache(broken):
    ctx = broken("UPDATE nba_precompute.player_daily_cache SET points_avg_last_10 = points_avg_last_10 + 0.5 "
                 "WHERE cache_date = DATE '2023-12-01'",
                 "UPDATE nba_predictions.ml_feature_store_v2 "
                 "SET features = list_concat([features[1] + 1.0], features[2:]) WHERE game_date = DATE '2023-12-04'",
                 phase="phase4")
    cache = judge(ctx, "leakage", "player_daily_cache")
    assert not cache.passed and "points_avg_last_10" in cache.message and "2023-12-01" in cache.message
    feats = judge(ctx, "leakage", "ml_feature_store_v2")
    assert not feats.passed and "points_avg_last_5" in feats.message and "2023-12-04" in feats.message


def test_feature_vector_shape_and_nulls(broken):
    ctx = broken("UPDATE nba_predictions.ml_feature_store_v2 SET feature_names = list_reverse(feature_names) "
                 "WHERE game_date = DATE '2023-11-28'",
                 "UPDATE nba_predictions.ml_feature_store_v2 SET features = list_concat(features[1:5], [NULL], features[7:])",
                 phase="phase4")
    v = judge(ctx, "feature_vector", "ml_feature_store_v2")
    assert not v.passed
    assert "feature_names differ" in v.message and "fatigue_score:" in v.message and "NULL, NaN or Inf > 5.0%" in v.message


def test_phase4_rows_on_bootstrap_dates(broken):
    ctx = broken("INSERT INTO nba_precompute.team_defense_zone_analysis "
                 "SELECT * REPLACE (DATE '2023-10-30' AS analysis_date) FROM nba_precompute.team_defense_zone_analysis "
                 "WHERE analysis_date = DATE '2023-11-15'", phase="phase4")
    v = judge(ctx, "bootstrap_rows", "team_defense_zone_analysis")
    assert not v.passed and "2023-10-30" in v.message


def test_uncatalogued_and_missing_tables(broken):
    ctx = broken("CREATE TABLE nba_analytics.player_game_summary_backup AS SELECT * FROM nba_analytics.player_game_summary",
                 "DROP TABLE nba_analytics.upcoming_team_game_context")
    v = judge(ctx, "uncatalogued_tables", None)
    assert not v.passed
    assert "nba_analytics.player_game_summary_backup" in v.message
    assert "missing from the warehouse: nba_analytics.upcoming_team_game_context" in v.message
    schema = judge(ctx, "schema", "upcoming_team_game_context")
    assert not schema.passed and "does not exist" in schema.message


def test_dropped_column(broken):
    ctx = broken("ALTER TABLE nba_analytics.team_defense_game_summary DROP COLUMN points_allowed")
    v = judge(ctx, "schema", "team_defense_game_summary")
    assert not v.passed and "points_allowed" in v.message
    with pytest.raises(WarehouseError, match="points_allowed"):  # the SQL checks cannot run: ERROR
        judge(ctx, "cross_table", "team_defense_game_summary")


EXPIRED = """
[[exceptions]]
table = "team_defense_game_summary"
dates = ["2023-11-10..2023-11-12"]
reason = "box scores lost"
approved_by = "Jane Doe"
expires = 2024-01-31
"""


def test_expired_exception_is_a_failure_not_a_pass(broken):
    ctx = broken(exceptions=EXPIRED)
    v = judge(ctx, "date_coverage", "team_defense_game_summary")
    assert not v.passed
    assert "exception #1" in v.message and "expired on 2024-01-31" in v.message


def test_valid_exception_leaves_the_denominator(broken):
    ctx = broken("DELETE FROM nba_analytics.team_defense_game_summary "
                 "WHERE game_date BETWEEN DATE '2023-11-08' AND DATE '2023-11-12'",
                 exceptions=EXPIRED.replace("2024-01-31", "2099-01-31").replace("2023-11-10", "2023-11-08"))
    v = judge(ctx, "date_coverage", "team_defense_game_summary")
    assert v.passed, v.message
    assert "excepted date(s) left out" in v.message
    assert v.extra["exceptions_applied"][0]["approved_by"] == "Jane Doe"
    assert v.extra["coverage"]["days"]["2023-11-08"] == "excepted"


def test_unapproved_exception_fails(broken):
    ctx = broken(exceptions=EXPIRED.replace('approved_by = "Jane Doe"\n', "").replace("2024-01-31", "2099-01-31"))
    v = judge(ctx, "date_coverage", "team_defense_game_summary")
    assert not v.passed and "no approved_by" in v.message


def test_warehouse_error_is_raised_never_a_pass(broken):
    ctx = broken("DROP TABLE nba_raw.nbac_schedule")
    with pytest.raises(WarehouseError):
        judge(ctx, "date_coverage", "team_offense_game_summary")
    with pytest.raises(WarehouseError):  # same cached error for every case of the table
        judge(ctx, "game_coverage", "team_offense_game_summary")


def test_checks_query_without_its_fingerprint_row_is_an_error():
    # the fingerprint (rows, max processed_at) is what a sign-off compares: never default it to 0 rows
    from phasegate.measure.checks import table_checks
    from phasegate.measure.query import measure_table

    catalog = repo_catalog()
    checks = table_checks(catalog, catalog.table("team_offense_game_summary"))

    class Answers:
        def query(self, sql, params, labels=None):
            return [{"check_name": c.name, "failures": 0, "examples": None} for c in checks]

    with pytest.raises(WarehouseError, match="__fingerprint__"):
        measure_table(Answers(), catalog, "team_offense_game_summary", START, END, checks)


def test_game_with_one_team_of_players_fails_active_players(broken):
    # every listed player under one team (the other team's rows lost): enough active players, but not two teams
    game = ("(SELECT MIN(game_id) FROM nba_analytics.player_game_summary WHERE game_date = DATE '2023-11-22')")
    ctx = broken(
        f"""CREATE TEMP TABLE one_team AS SELECT * FROM nba_analytics.player_game_summary
            WHERE game_id = {game} AND team_abbr = (SELECT MIN(team_abbr) FROM nba_analytics.player_game_summary
                                                   WHERE game_id = {game})""",
        f"DELETE FROM nba_analytics.player_game_summary WHERE game_id = {game}",
        "INSERT INTO nba_analytics.player_game_summary SELECT * FROM one_team",
        "INSERT INTO nba_analytics.player_game_summary SELECT * REPLACE (player_lookup || 'x' AS player_lookup) "
        "FROM one_team")
    v = judge(ctx, "row_counts", "player_game_summary")
    assert not v.passed
    assert "active_players" in v.message and "2023-11-22" in v.message and "1 team(s)" in v.message
