"""Verify before commit: a chunk that would make the table worse is rejected and writes nothing.

* a processor that returns every row twice: the chunk is rejected naming the catalog key, the
  old rows stay exactly as they were;
* one game removed from raw nbac_team_boxscore, then `backfill phase3 --all --table
  team_offense_game_summary --dates D --yes --no-gate` (the real processor): the date keeps its
  rows and is reported not done, with the reason, per date.
"""

from __future__ import annotations

import shutil

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


def test_allow_fewer_rows_accepts_a_date_with_fewer_rows_never_a_lost_game(project):
    """`--allow-fewer-rows`: a processor that builds one player fewer per team is rejected without
    it ("would lose rows") and written with it; the run log's plan event records the option."""
    from phasegate.cli import app
    from phasegate.runner.runlog import read_events

    day = d("2023-11-16")
    table = "nba_analytics.player_game_summary"
    one_fewer = project["root"] / "fewer"
    shutil.copytree(project["root"], one_fewer, ignore=shutil.ignore_patterns("w.duckdb", ".phasegate", "reports"))
    # its rows as they are, minus the first player of each team (both teams of every game stay)
    (one_fewer / "backfill" / "phase3" / "player_game_summary.sql").write_text(
        f"SELECT * FROM {table} WHERE game_date BETWEEN @start_date AND @end_date\n"
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY game_date, team_abbr ORDER BY player_lookup) > 1\n")

    def rows() -> int:
        with DuckDBWarehouse(project["path"], read_only=True) as wh:
            return wh.query(f"SELECT COUNT(*) AS n FROM {table} WHERE game_date = DATE '{day}'")[0]["n"]

    args = ["backfill", "phase3", "--all", "--table", "player_game_summary", "--dates", str(day), "--yes",
            "--no-gate", "--warehouse", project["url"], "--catalog", str(one_fewer / "pipeline.toml")]
    before = rows()
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 1, refused.output
    assert "would lose rows" in refused.output and rows() == before
    allowed = CliRunner().invoke(app, [*args, "--allow-fewer-rows"])
    assert allowed.exit_code == 0 and "NOT VALIDATED" in allowed.output, allowed.output
    assert 0 < rows() < before
    logs = sorted((one_fewer / ".phasegate" / "runs").glob("*.jsonl"), key=lambda p: p.stat().st_mtime)
    plans = [[e for e in read_events(p) if e["event"] == "plan"][0] for p in logs[-2:]]
    assert [p["allow_fewer_rows"] for p in plans] == [False, True]
