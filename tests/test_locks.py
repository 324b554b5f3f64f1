"""Per-table locks: held (refuse, naming the holder), stale (taken over), foreign host (refuse)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from phasegate.runner.locks import LockHeld, TableLocks, current_holders, read_holder


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_second_run_refuses_naming_the_holder(tmp_path):
    with TableLocks(tmp_path, "phase3-20260105T040000Z-aaaa", "phasegate backfill phase3").acquire(["t1", "t2"]):
        assert sorted(p.name for p in (tmp_path / "locks").iterdir()) == ["t1.lock", "t2.lock"]
        with pytest.raises(LockHeld) as info:
            TableLocks(tmp_path, "phase3-20260105T040001Z-bbbb").acquire(["t0", "t2"])
        message = str(info.value)
        assert "phase3-20260105T040000Z-aaaa" in message and f"pid {os.getpid()}" in message
        assert os.uname().nodename in message and "started" in message
        assert info.value.exit_code == 2
        # all or nothing: t0 was not left locked by the refused run
        assert not (tmp_path / "locks" / "t0.lock").exists()
        assert set(current_holders(tmp_path, ["t1", "t2", "t3"])) == {"t1", "t2"}
    assert list((tmp_path / "locks").iterdir()) == []


def test_a_lock_whose_process_is_gone_is_taken_over(tmp_path):
    (tmp_path / "locks").mkdir()
    stale = {"table": "t1", "run_id": "phase3-old", "pid": dead_pid(), "host": os.uname().nodename,
             "started_at": "2026-01-05T04:00:00Z", "command": "phasegate backfill phase3"}
    (tmp_path / "locks" / "t1.lock").write_text(json.dumps(stale))
    locks = TableLocks(tmp_path, "phase3-new").acquire(["t1"])
    try:
        assert [h.run_id for h in locks.taken_over] == ["phase3-old"]
        assert read_holder(tmp_path / "locks" / "t1.lock").run_id == "phase3-new"
    finally:
        locks.release()


def test_a_recycled_pid_is_not_the_holder(tmp_path):
    (tmp_path / "locks").mkdir()
    # our own (live) pid, but with another process start time: the recorded holder is gone
    stale = {"table": "t1", "run_id": "phase3-old", "pid": os.getpid(), "pid_start": "1",
             "host": os.uname().nodename, "started_at": "2026-01-05T04:00:00Z", "command": ""}
    (tmp_path / "locks" / "t1.lock").write_text(json.dumps(stale))
    with TableLocks(tmp_path, "phase3-new").acquire(["t1"]) as locks:
        assert locks.taken_over


def test_a_lock_from_another_host_is_never_taken_over(tmp_path):
    (tmp_path / "locks").mkdir()
    other = {"table": "t1", "run_id": "phase3-elsewhere", "pid": 1, "host": "some-other-host",
             "started_at": "2026-01-05T04:00:00Z", "command": ""}
    (tmp_path / "locks" / "t1.lock").write_text(json.dumps(other))
    with pytest.raises(LockHeld, match="some-other-host"):
        TableLocks(tmp_path, "phase3-new").acquire(["t1"])


def test_release_leaves_a_lock_taken_by_someone_else_alone(tmp_path):
    locks = TableLocks(tmp_path, "run-a").acquire(["t1"])
    path = tmp_path / "locks" / "t1.lock"
    data = json.loads(path.read_text())
    data["run_id"] = "run-b"
    path.write_text(json.dumps(data))
    locks.release()
    assert path.exists()


def test_cli_refuses_while_another_run_holds_the_table(tmp_path):
    from typer.testing import CliRunner

    from phasegate.cli import app
    from tests.fixtures.worlds import make_world

    world = make_world(tmp_path, fill=())
    with TableLocks(world.root / ".phasegate", "phase3-holder", "phasegate backfill phase3").acquire(
            ["team_summary"]):
        result = CliRunner().invoke(app, ["backfill", "phase3", "--yes", "--no-gate", "--warehouse", world.url,
                                          "--catalog", str(world.root / "pipeline.toml")])
    assert isinstance(result.exception, LockHeld) or result.exit_code == 2
    assert "phase3-holder" in str(result.exception) + result.output
    assert world.rows("team_summary") == 0


def test_a_slow_takeover_in_progress_is_never_broken(tmp_path):
    # Another run is taking over t1's stale lock and still holds the takeover guard (however old
    # the guard file): breaking it would let two runs both "take over" and both write t1.
    import fcntl

    (tmp_path / "locks").mkdir()
    stale = {"table": "t1", "run_id": "phase3-old", "pid": dead_pid(), "host": os.uname().nodename,
             "started_at": "2026-01-05T04:00:00Z", "command": ""}
    (tmp_path / "locks" / "t1.lock").write_text(json.dumps(stale))
    guard = tmp_path / "locks" / "t1.lock.takeover"
    guard.write_text(json.dumps({"pid": os.getpid(), "at": "2026-01-05T04:00:00Z"}))
    os.utime(guard, (0, 0))
    with open(guard) as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(LockHeld, match="keeps changing hands"):
            TableLocks(tmp_path, "phase3-new").acquire(["t1"])
    assert read_holder(tmp_path / "locks" / "t1.lock").run_id == "phase3-old"
    # the guard's holder is gone (its lock released with it): the takeover goes ahead
    with TableLocks(tmp_path, "phase3-new").acquire(["t1"]) as locks:
        assert [h.run_id for h in locks.taken_over] == ["phase3-old"]


def test_a_lock_being_written_slowly_is_not_taken_for_a_torn_one(tmp_path, monkeypatch):
    # A run stalls between creating its lock file and writing who it is (a stalled process, a
    # busy disk). Another run must not read the empty file as torn and take the table too.
    import threading

    import phasegate.runner.locks as locks_module

    monkeypatch.setattr(locks_module, "EMPTY_LOCK_GRACE_S", 0.0)
    real_fdopen = os.fdopen
    b_done = threading.Event()

    def slow_fdopen(fd, *args, **kwargs):
        if threading.current_thread().name == "run-a":
            b_done.wait(5)
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(locks_module.os, "fdopen", slow_fdopen)
    results: dict[str, object] = {}

    def run_a():
        try:
            results["a"] = TableLocks(tmp_path, "run-a").acquire(["t1"])
        except LockHeld as exc:
            results["a"] = exc

    (tmp_path / "locks").mkdir()
    a = threading.Thread(target=run_a, name="run-a")
    a.start()
    import time

    time.sleep(0.3)  # run a is inside its lock acquisition
    try:
        results["b"] = TableLocks(tmp_path, "run-b").acquire(["t1"])
    except LockHeld as exc:
        results["b"] = exc
    b_done.set()
    a.join(10)
    holders = [k for k, v in results.items() if isinstance(v, TableLocks)]
    assert len(holders) == 1, results
    assert read_holder(tmp_path / "locks" / "t1.lock").run_id == f"run-{holders[0]}"
