"""Crash safety: SIGKILL a real backfill mid-run, re-run the same command, nothing lost or doubled.

The processors are slowed inside the chunk's transaction (a heavy CTE the SELECT must
compute), so the kill lands while a chunk is being written. The data is the checkpoint: the
re-run re-plans from the warehouse, takes over the dead run's stale locks, and completes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from phasegate.runner.runlog import recent_runs
from tests.fixtures.worlds import delete, make_world

# About 0.1-0.3 s of work inside every chunk's transaction.
SLOW = "(SELECT SUM(x) AS s FROM UNNEST(GENERATE_ARRAY(1, 1500000)) AS x)"
SLOW_SQL = {
    "phase3/team_summary.sql": f"""
        SELECT b.game_date, b.team_abbr, b.points, CURRENT_TIMESTAMP() AS processed_at
        FROM nba_raw.team_box AS b CROSS JOIN {SLOW} AS slow
        WHERE b.game_date BETWEEN @start_date AND @end_date AND slow.s > 0""",
    "phase3/team_rollup.sql": f"""
        SELECT t.game_date, t.team_abbr, t.points * 2 AS double_points, CURRENT_TIMESTAMP() AS processed_at
        FROM nba_analytics.team_summary AS t CROSS JOIN {SLOW} AS slow
        WHERE t.game_date BETWEEN @start_date AND @end_date AND slow.s > 0""",
}


def command(world) -> list[str]:
    return [sys.executable, "-m", "phasegate", "backfill", "phase3", "--yes", "--no-gate", "--chunk-days", "2",
            "--tables-parallel", "2", "--warehouse", world.url, "--catalog", str(world.root / "pipeline.toml")]


def chunk_events(runs_dir: Path) -> int:
    n = 0
    for path in runs_dir.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            try:
                n += json.loads(line).get("event") == "chunk"
            except json.JSONDecodeError:
                pass
    return n


def test_sigkill_mid_run_then_rerun_completes_without_duplicates(tmp_path):
    world = make_world(tmp_path, extra_sql=SLOW_SQL)
    delete(world, "team_summary", "game_date BETWEEN DATE '2023-11-07' AND DATE '2023-12-20'")
    delete(world, "team_other", "game_date BETWEEN DATE '2023-11-20' AND DATE '2023-12-10'")
    expected = {t: world.rows("nbac_schedule") * 2 for t in ("team_summary", "team_rollup", "team_other")}
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    runs_dir = world.root / ".phasegate" / "runs"

    proc = subprocess.Popen(command(world), cwd=world.root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and chunk_events(runs_dir) < 4:
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed: " + (proc.stdout.read() or "")
    time.sleep(0.1)  # land inside a chunk
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    partial = {t: world.rows(t) for t in expected}
    assert partial != expected  # it really was killed mid-way
    killed = recent_runs(world.root / ".phasegate")[0]
    assert killed["status"] == "INTERRUPTED" and killed["killed"]
    assert list((world.root / ".phasegate" / "locks").glob("*.lock"))  # the dead run's locks are left behind

    again = subprocess.run(command(world), cwd=world.root, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stdout
    assert "took over the stale lock" in again.stdout
    for table, n in expected.items():
        t = world.catalog.table(table)
        assert world.rows(table) == n, table
        with world.open(read_only=True) as wh:
            keys = wh.query(f"SELECT COUNT(*) AS n FROM (SELECT DISTINCT {', '.join(t.key)} FROM {t.ref})")[0]["n"]
        assert keys == n, f"duplicate keys in {table}"
    # and a third run finds nothing to do
    third = subprocess.run(command(world), cwd=world.root, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60, check=False)
    assert third.returncode == 0 and "nothing to backfill" in third.stdout


def test_sigterm_ends_interrupted_with_what_was_written_and_how_to_resume(tmp_path):
    world = make_world(tmp_path, extra_sql=SLOW_SQL)
    delete(world, "team_summary", "game_date BETWEEN DATE '2023-11-07' AND DATE '2023-12-20'")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    runs_dir = world.root / ".phasegate" / "runs"
    proc = subprocess.Popen(command(world), cwd=world.root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and chunk_events(runs_dir) < 3:
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be stopped: " + (proc.stdout.read() or "")
    os.kill(proc.pid, signal.SIGTERM)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, output
    assert "phase3: INTERRUPTED:" in output and "written and verified" in output
    assert "resume with the same command" in output
    assert "FAILED" not in output and "Traceback" not in output
    run = recent_runs(world.root / ".phasegate")[0]
    assert run["status"] == "INTERRUPTED" and not run["killed"] and run["exit_code"] == 130
    done = sum(t["done"] for t in run["tables"].values())
    assert 0 < done < sum(t["planned"] for t in run["tables"].values())
    assert not list((world.root / ".phasegate" / "locks").glob("*.lock"))  # released on the way out
    again = subprocess.run(command(world), cwd=world.root, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stdout
    assert world.rows("team_summary") == world.rows("nbac_schedule") * 2
