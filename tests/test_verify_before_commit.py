"""Verify before commit: a chunk that would make the table worse is rejected and writes nothing.

* a processor that returns every row twice: the chunk is rejected naming the catalog key, the
  old rows stay exactly as they were;
* one game removed from raw nbac_team_boxscore, then `backfill phase3 --all --table
  team_offense_game_summary --dates D --yes --no-gate` (the real processor): the date keeps its
  rows and is reported not done, with the reason, per date.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from phasegate.runner.orchestrate import Options, backfill
from phasegate.runner.retry import RetryPolicy
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.builders import d
from tests.fixtures.worlds import make_world, project_on_world

NO_RETRY = RetryPolicy(retries=0, sleep=lambda s: None)


def snapshot(world, table: str) -> list[tuple]:
    with world.open(read_only=True) as wh:
        return sorted(tuple(r.values()) for r in wh.query(f"SELECT * FROM {world.catalog.table(table).ref}"))


def test_a_processor_returning_every_row_twice_is_rejected_naming_the_key(tmp_path):
    world = make_world(tmp_path)
    before = snapshot(world, "team_other")
    sql = world.root / "backfill" / "phase3" / "team_other.sql"
    body = sql.read_text()
    sql.write_text(f"SELECT * FROM ({body}) UNION ALL SELECT * FROM ({body})")
    lines: list[str] = []
    dates = [d("2023-11-14"), d("2023-11-15"), d("2023-11-16")]
    outcome = backfill(Options(phase="phase3", warehouse_url=world.url, catalog_path=world.root / "pipeline.toml",
                               start=d("2023-10-01"), end=d("2023-12-31"), tables=["team_other"], dates=dates,
                               all_dates=True, yes=True, gate=False, command="phasegate backfill phase3"),
                       out=lines.append, policy=NO_RETRY)
    text = "\n".join(lines)
    assert outcome.exit_code == 1 and outcome.verdict == "NO-GO", text
    t = outcome.execution.tables["team_other"]
    assert not t.done and set(t.failed) == set(dates)
    assert all("key (game_date, team_abbr) not unique" in why and "old rows are kept" in why
               for why in t.failed.values())
    assert snapshot(world, "team_other") == before  # exactly as they were


@pytest.fixture(scope="module")
def project(tmp_path_factory, gate_world):
    return project_on_world(tmp_path_factory.mktemp("verify_before_commit"), gate_world)


def test_a_raw_game_removed_leaves_the_dates_rows_and_says_why(project):
    from phasegate.cli import app

    day = d("2023-11-15")
    with DuckDBWarehouse(project["path"]) as wh:
        rows_before = wh.query("SELECT COUNT(*) AS n FROM nba_analytics.team_offense_game_summary "
                               f"WHERE game_date = DATE '{day}'")[0]["n"]
        game = wh.query(f"SELECT MIN(game_id) AS g FROM nba_raw.nbac_team_boxscore WHERE game_date = DATE '{day}'"
                        )[0]["g"]
        wh.execute([f"DELETE FROM nba_raw.nbac_team_boxscore WHERE game_date = DATE '{day}' AND game_id = '{game}'"])
    assert rows_before > 2
    result = CliRunner().invoke(app, ["backfill", "phase3", "--all", "--table", "team_offense_game_summary",
                                      "--dates", str(day), "--yes", "--no-gate", "--warehouse", project["url"],
                                      "--catalog", str(project["root"] / "pipeline.toml")])
    assert result.exit_code == 1, result.output
    assert "rejected before commit, the old rows are kept" in result.output
    assert "would lose" in result.output and str(day) in result.output
    with DuckDBWarehouse(project["path"], read_only=True) as wh:
        assert wh.query("SELECT COUNT(*) AS n FROM nba_analytics.team_offense_game_summary "
                        f"WHERE game_date = DATE '{day}'")[0]["n"] == rows_before
