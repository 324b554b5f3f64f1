"""The processor runner: SQL processors (atomic, idempotent) and command processors."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from phasegate.errors import PhasegateError, UsageError, WarehouseError
from phasegate.measure.calendar import expected_games_cte
from phasegate.measure.compose import CALENDAR_CTES, shared_names, with_calendar
from phasegate.model.catalog import load_catalog
from phasegate.runner.processors import (
    ProcessorFailed,
    command_for,
    processor_params,
    processor_sql,
    run_processor,
)
from phasegate.warehouse.duckdb import DuckDBWarehouse
from phasegate.warehouse.translate import parse_bigquery, referenced_tables, to_duckdb
from tests.fixtures.builders import ROOT, d, repo_catalog
from tests.fixtures.raw_rows import END, START, raw_fixture

PROCESSED = [t for t in repo_catalog().tables.values() if t.processor is not None]
SQL_PROCESSED = [t for t in PROCESSED if not t.is_command_processor]
SHARED_DIR = Path("backfill") / "shared"
SHARED_FILES = sorted((ROOT / SHARED_DIR).glob("*.sql"))


@pytest.fixture()
def warehouse(tmp_path):
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    raw_fixture(wh)
    yield wh
    wh.close()


def catalog_copy(tmp_path, replace: tuple[str, str] | None = None):
    """The repo catalog and processors in tmp_path, with one line of pipeline.toml replaced."""
    shutil.copytree(ROOT / "backfill", tmp_path / "backfill")
    text = (ROOT / "pipeline.toml").read_text()
    if replace:
        assert replace[0] in text
        text = text.replace(replace[0], replace[1])
    (tmp_path / "pipeline.toml").write_text(text)
    return load_catalog(tmp_path / "pipeline.toml")


@pytest.mark.parametrize("table", PROCESSED, ids=lambda t: t.name)
def test_upstream_is_exactly_what_the_processor_reads(table):
    catalog = repo_catalog()
    read = {name.split(".")[1] for name in referenced_tables(processor_sql(catalog, table))}
    assert read == set(table.upstream)
    for name in referenced_tables(processor_sql(catalog, table)):
        dataset, table_name = name.split(".")
        assert catalog.table(table_name).dataset == dataset


@pytest.mark.parametrize("table", PROCESSED, ids=lambda t: t.name)
def test_processor_is_one_bigquery_select_that_translates(table):
    sql = processor_sql(repo_catalog(), table)
    statements = parse_bigquery(sql)
    assert len(statements) == 1 and statements[0].key == "select"
    to_duckdb(sql)
    assert "CURRENT_TIMESTAMP() AS processed_at" in sql


def test_every_processor_runs_on_duckdb_and_writes_the_catalogued_columns(warehouse):
    catalog = repo_catalog()
    for name in catalog.topological_order([t.name for t in PROCESSED]):
        table = catalog.table(name)
        result = run_processor(warehouse, catalog, name, START, END)
        assert result.rows_written is not None
        missing = set(table.required_columns()) - set(warehouse.columns(table.dataset, table.name))
        assert not missing, f"{name} lacks {sorted(missing)}"


def test_processor_params():
    params = processor_params(repo_catalog(), d("2023-11-01"), d("2023-11-30"))
    assert params == {"start_date": d("2023-11-01"), "end_date": d("2023-11-30"), "bootstrap_days": 14,
                      "schedule_start": d("2023-01-05"),
                      "season_types": ["Regular Season", "Play-In", "Playoffs", "NBA Cup Final"]}


@pytest.mark.parametrize("table", PROCESSED, ids=lambda t: t.name)
def test_processor_reads_the_schedule_only_through_the_calendar_ctes(table):
    catalog = repo_catalog()
    text = catalog.processor_path(table).read_text()
    assert catalog.schedule.ref not in text
    assert any(name in text for name in CALENDAR_CTES)
    assert processor_sql(catalog, table).count(expected_games_cte(catalog).strip()) == 1


def test_calendar_ctes_merge_with_a_leading_with_or_precede_a_plain_select():
    catalog = repo_catalog()
    ctes = expected_games_cte(catalog).strip()
    merged = with_calendar(catalog, "-- header\n\nWITH mine AS (SELECT 1 AS x)\nSELECT * FROM mine, expected_games")
    assert merged == f"-- header\n\nWITH {ctes},\nmine AS (SELECT 1 AS x)\nSELECT * FROM mine, expected_games"
    plain = with_calendar(catalog, "-- header\nSELECT * FROM (WITH mine AS (SELECT 1 AS x) SELECT * FROM mine)")
    assert plain == f"-- header\nWITH {ctes}\nSELECT * FROM (WITH mine AS (SELECT 1 AS x) SELECT * FROM mine)"
    for sql in (merged, plain):
        assert len(parse_bigquery(sql)) == 1
        to_duckdb(sql)


def test_a_processor_redefining_a_calendar_cte_is_refused():
    with pytest.raises(UsageError, match="schedule_latest"):
        with_calendar(repo_catalog(), "WITH schedule_latest AS (SELECT 1) SELECT * FROM schedule_latest")


@pytest.mark.parametrize("table", PROCESSED, ids=lambda t: t.name)
def test_shared_ctes_are_prepended_after_the_calendar_in_the_listed_order(table):
    catalog = repo_catalog()
    path = catalog.processor_path(table)
    names = shared_names(path.read_text())
    sql = processor_sql(catalog, table)
    positions = [sql.index(f"\n{name} AS (\n") for name in names]
    assert positions == sorted(positions)
    calendar = expected_games_cte(catalog).strip()
    assert all(sql.index(calendar) < p for p in positions)
    for name in names:  # each shared body appears once, verbatim
        assert sql.count(f"\n{name} AS (\n") == 1


def test_shared_ctes_written_once_and_used(tmp_path):
    catalog = repo_catalog()
    used = {n for t in SQL_PROCESSED for n in shared_names(catalog.processor_path(t).read_text())}
    assert {p.stem for p in SHARED_FILES} == used, "a shared CTE no processor uses, or a missing file"
    # The moved duplicates are each written once and reach both processors that need them.
    users = {n: {t.name for t in SQL_PROCESSED if n in shared_names(catalog.processor_path(t).read_text())}
             for n in used}
    assert users["props_consensus"] == {"player_game_summary", "upcoming_player_game_context"}
    assert users["team_box_pairs"] == {"team_offense_game_summary", "team_defense_game_summary"}
    assert {"upcoming_player_game_context", "upcoming_team_game_context"} <= users["game_lines_by_book"]
    for path in SHARED_FILES:
        text = path.read_text()
        assert text.startswith(f"-- Shared CTE {path.stem}:"), f"{path.name}: header comment first"
        assert "Columns:" in text and "Params:" in text, f"{path.name}: header names columns and params"
        assert catalog.schedule.ref not in text
        assert len(parse_bigquery(text)) == 1 and parse_bigquery(text)[0].key == "select"


def test_upstream_counts_the_tables_shared_ctes_read():
    catalog = repo_catalog()
    table = catalog.table("player_game_summary")
    own = referenced_tables(catalog.processor_path(table).read_text())
    read = {name.split(".")[1] for name in referenced_tables(processor_sql(catalog, table))}
    assert "nba_raw.odds_api_player_points_props" not in own  # read only through props_by_book
    assert "odds_api_player_points_props" in read and "odds_api_player_points_props" in table.upstream


def shared_catalog(tmp_path, processor: str, shared: dict[str, str]):
    """A copy of the repo catalog whose team_offense_game_summary processor is `processor`,
    with extra shared CTE files."""
    catalog = catalog_copy(tmp_path)
    for name, body in shared.items():
        (tmp_path / SHARED_DIR / f"{name}.sql").write_text(body)
    (tmp_path / "backfill/phase3/team_offense_game_summary.sql").write_text(processor)
    return catalog, catalog.table("team_offense_game_summary")


def test_shared_ctes_prepended_in_order_and_merged_with_the_own_with(tmp_path):
    catalog, table = shared_catalog(
        tmp_path,
        "-- header\n-- shared: zz_second, aa_first\nWITH mine AS (SELECT 1 AS x)\n"
        "SELECT * FROM mine, zz_second, aa_first, expected_games",
        {"zz_second": "-- Shared CTE zz_second: two.\nSELECT 2 AS y\n",
         "aa_first": "-- Shared CTE aa_first: three.\n-- shared: zz_second\nSELECT y + 1 AS z FROM zz_second;\n"})
    ctes = expected_games_cte(catalog).strip()
    sql = processor_sql(catalog, table)
    assert sql == (f"-- header\n-- shared: zz_second, aa_first\nWITH {ctes},\n"
                   "zz_second AS (\nSELECT 2 AS y\n),\naa_first AS (\nSELECT y + 1 AS z FROM zz_second\n),\n"
                   "mine AS (SELECT 1 AS x)\nSELECT * FROM mine, zz_second, aa_first, expected_games")
    plain = (tmp_path / "backfill/phase3/team_offense_game_summary.sql")
    plain.write_text("-- shared: zz_second\nSELECT * FROM zz_second")
    assert processor_sql(catalog, table) == f"-- shared: zz_second\nWITH {ctes},\nzz_second AS (\nSELECT 2 AS y\n)\nSELECT * FROM zz_second"
    to_duckdb(processor_sql(catalog, table))


@pytest.mark.parametrize(("processor", "shared", "message"), [
    ("-- shared: nowhere\nSELECT 1", {}, r"unknown shared CTE 'nowhere' \(no backfill/shared/nowhere.sql\)"),
    ("-- shared: one\nWITH one AS (SELECT 2) SELECT * FROM one", {"one": "SELECT 1 AS x"},
     r"defines CTE 'one', which it also takes from backfill/shared/one.sql"),
    ("-- shared: two, one\nSELECT * FROM two", {"one": "SELECT 1 AS x", "two": "-- shared: one\nSELECT * FROM one"},
     r"shared CTE 'two' reads shared CTE 'one', which must be listed before it"),
    ("-- shared: one, one\nSELECT * FROM one", {"one": "SELECT 1 AS x"}, r"lists shared CTE 'one' twice"),
    ("-- shared: ../phase3/x\nSELECT 1", {}, r"bad shared CTE name"),
])
def test_bad_shared_cte_use_is_refused_in_one_line_naming_the_file(tmp_path, processor, shared, message):
    catalog, table = shared_catalog(tmp_path, processor, shared)
    with pytest.raises(UsageError, match=message) as err:
        processor_sql(catalog, table)
    assert "\n" not in str(err.value)
    assert str(err.value).startswith(str(catalog.processor_path(table)))


def test_same_range_twice_leaves_no_duplicates(warehouse):
    catalog = repo_catalog()
    first = run_processor(warehouse, catalog, "team_offense_game_summary", START, END)
    second = run_processor(warehouse, catalog, "team_offense_game_summary", START, END)
    assert first.rows_written == second.rows_written == 2
    rows = warehouse.query("SELECT COUNT(*) AS n FROM nba_analytics.team_offense_game_summary")
    assert rows[0]["n"] == 2


def test_a_processor_failing_mid_range_leaves_previous_rows_untouched(warehouse, tmp_path):
    catalog = repo_catalog()
    run_processor(warehouse, catalog, "upcoming_team_game_context", START, END)
    before = warehouse.query("SELECT * FROM nba_analytics.upcoming_team_game_context ORDER BY game_date, team_abbr")
    assert len(before) == 12
    broken = catalog_copy(tmp_path)
    path = tmp_path / "backfill/phase3/upcoming_team_game_context.sql"
    # The same SELECT, made to fail at run time on one date in the middle of the range.
    path.write_text("-- shared: game_lines_by_book\nSELECT * FROM (\n" + path.read_text() + "\n) AS rows_so_far\n"
                    "WHERE CAST(IF(game_date = DATE '2023-11-03', 'boom', '1') AS INT64) = 1")
    with pytest.raises(WarehouseError):
        run_processor(warehouse, broken, "upcoming_team_game_context", START, END)
    after = warehouse.query("SELECT * FROM nba_analytics.upcoming_team_game_context ORDER BY game_date, team_abbr")
    assert after == before


COMMAND_LINE = 'processor = "backfill/phase3/team_defense_game_summary.sql"'


def test_command_processor_templating_env_and_output(warehouse, tmp_path):
    script = ("import os, sys; print('argv', sys.argv[1:]); print('warehouse', os.environ['PHASEGATE_WAREHOUSE']); "
              "print('oops', file=sys.stderr)")
    template = [sys.executable, "-c", script, "--start-date", "{start}", "--end-date", "{end}", "--dates", "{dates}"]
    toml_list = "[" + ", ".join(f"'''{arg}'''" for arg in template) + "]"
    catalog = catalog_copy(tmp_path, (COMMAND_LINE, f"processor = {toml_list}"))
    table = catalog.table("team_defense_game_summary")
    assert table.is_command_processor
    result = run_processor(warehouse, catalog, table.name, d("2023-10-30"), d("2023-11-03"))
    assert result.rows_written is None
    # Game dates of the range come from the schedule: 10-30, 11-01, 11-03.
    assert ("argv ['--start-date', '2023-10-30', '--end-date', '2023-11-03', "
            "'--dates', '2023-10-30,2023-11-01,2023-11-03']") in result.output
    assert f"warehouse {warehouse.url}" in result.output
    assert "oops" in result.output  # stderr is captured with stdout


def test_command_template_fills_each_argument_without_a_shell(tmp_path):
    (tmp_path / "job").write_text("#!/bin/sh\n")
    (tmp_path / "job").chmod(0o755)
    catalog = catalog_copy(tmp_path, (COMMAND_LINE, 'processor = ["./job", "--range={start}..{end}", "{dates}; rm -rf /"]'))
    argv = command_for(catalog.table("team_defense_game_summary"), d("2024-01-01"), d("2024-01-02"),
                       [d("2024-01-01")])
    assert argv == ["./job", "--range=2024-01-01..2024-01-02", "2024-01-01; rm -rf /"]


def test_command_processor_failure_raises_with_the_output_tail(warehouse, tmp_path):
    script = "import sys; [print('line', i) for i in range(50)]; print('disk quota exceeded'); sys.exit(3)"
    catalog = catalog_copy(tmp_path, (COMMAND_LINE, f'processor = ["{sys.executable}", "-c", "{script}"]'))
    with pytest.raises(ProcessorFailed) as failure:
        run_processor(warehouse, catalog, "team_defense_game_summary", START, END)
    message = str(failure.value)
    assert isinstance(failure.value, PhasegateError)
    assert "exited with code 3" in message and "disk quota exceeded" in message
    assert "line 49" in message and "line 0\n" not in message  # only the tail


@pytest.mark.parametrize("program, message", [
    ("/nonexistent/job-binary", "does not exist or is not executable"),
    ("jobs/not-there.py", "does not exist or is not executable"),
    ("no-such-program-on-path", "is not found on PATH"),
])
def test_missing_program_is_found_when_the_catalog_loads(tmp_path, program, message):
    from phasegate.model.catalog import CatalogError

    with pytest.raises(CatalogError, match=message):
        catalog_copy(tmp_path, (COMMAND_LINE, f'processor = ["{program}", "{{start}}"]'))


def test_a_program_that_vanishes_after_loading_is_a_processor_failure(warehouse, tmp_path):
    (tmp_path / "job").write_text("#!/bin/sh\n")
    (tmp_path / "job").chmod(0o755)
    catalog = catalog_copy(tmp_path, (COMMAND_LINE, 'processor = ["./job", "{start}"]'))
    (tmp_path / "job").unlink()
    with pytest.raises(ProcessorFailed, match="cannot start"):
        run_processor(warehouse, catalog, "team_defense_game_summary", START, END)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux's prctl")
def test_a_command_processor_dies_with_a_killed_runner(tmp_path):
    # A runner killed with SIGKILL leaves its lock to be taken over; its command must not go on
    # writing the table beside the next run.
    import os
    import signal
    import subprocess
    import time

    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", f"""
import subprocess, sys
from phasegate.runner.processors import _die_with_parent
subprocess.run([sys.executable, "-c", "import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"],
               preexec_fn=_die_with_parent)
"""])
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(pid_file.read_text())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    status = Path(f"/proc/{child}/status")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        # a killed child may linger as a zombie until init reaps it: that is gone too
        if status.exists() and "zombie" in status.read_text():
            break
        time.sleep(0.05)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the command kept running after its runner was killed")
