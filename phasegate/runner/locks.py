"""Per-table run locks under `<state_dir>/locks/<table>.lock`.

Two runs must not write the same table at once. A lock file is created atomically, complete
(written aside, then hard-linked into place: the link fails if the lock exists), and holds who
took it: run id, pid, the pid's start time (so a recycled pid is not mistaken for the
holder), host, start time and command. A second run that finds
the file refuses, naming the holder. A lock whose process is gone (same host, pid not
alive or alive with a different start time) is stale and taken over; the take-over is
itself serialized by an flock on `<table>.lock.takeover` (the kernel releases it when its
holder exits, so it is never stale) so two runs cannot both take over the same stale lock.
A lock held from another host cannot be checked and is never taken over automatically.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from phasegate.errors import PhasegateError
from phasegate.runner.runlog import iso, pid_alive

EMPTY_LOCK_GRACE_S = 10.0


class LockHeld(PhasegateError):
    """Another live run holds a table this run needs."""

    exit_code = 2


def locks_dir(state_dir: str | Path) -> Path:
    return Path(state_dir) / "locks"


def _pid_start(pid: int) -> str | None:
    """The process start time in clock ticks since boot (Linux), to detect pid reuse."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


@dataclass(frozen=True)
class Holder:
    table: str
    run_id: str
    pid: int
    host: str
    started_at: str
    command: str
    pid_start: str | None = None

    def describe(self) -> str:
        return (f"run {self.run_id} (pid {self.pid} on {self.host}, started {self.started_at}"
                + (f": {self.command}" if self.command else "") + ")")

    def is_stale(self) -> bool:
        if self.host != socket.gethostname():
            return False
        if not pid_alive(self.pid):
            return True
        if self.pid_start is not None:
            current = _pid_start(self.pid)
            if current is not None and current != self.pid_start:
                return True  # the pid was recycled by another process
        return False


def read_holder(path: Path) -> Holder | None:
    """The holder recorded in a lock file; None if the file is unreadable or half-written."""
    try:
        data = json.loads(path.read_text())
        return Holder(table=data.get("table", path.stem), run_id=str(data["run_id"]), pid=int(data["pid"]),
                      host=str(data["host"]), started_at=str(data.get("started_at", "?")),
                      command=str(data.get("command", "")), pid_start=data.get("pid_start"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_exclusive(path: Path, payload: dict[str, Any]) -> bool:
    """Create `path` holding `payload`, unless it exists. The file appears complete or not at all
    (written to a private file, then hard-linked into place), so a lock is never seen empty."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o644)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(json.dumps(payload))
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


@contextlib.contextmanager
def _takeover_guard(path: Path) -> Iterator[bool]:
    """Whether this process may take over `path` now: an exclusive flock on `<table>.lock.takeover`.

    The kernel drops the flock when its holder exits, however it exits, so a guard is never
    stale and never broken by age: two runs can never both be inside a takeover. The guard
    file itself stays (unlinking a flocked file would let a third run lock a new inode).
    """
    guard = path.with_name(path.name + ".takeover")
    fd = os.open(guard, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the flock


class TableLocks:
    """The locks of one run. Acquire all or none; release on exit (also on error)."""

    def __init__(self, state_dir: str | Path, run_id: str, command: str = "") -> None:
        self.dir = locks_dir(state_dir)
        self.run_id = run_id
        self.command = command
        self.held: list[Path] = []
        self.taken_over: list[Holder] = []

    def _payload(self, table: str) -> dict[str, Any]:
        return {"table": table, "run_id": self.run_id, "pid": os.getpid(), "pid_start": _pid_start(os.getpid()),
                "host": socket.gethostname(), "started_at": iso(), "command": self.command}

    def _acquire_one(self, table: str) -> None:
        path = self.dir / f"{table}.lock"
        for _ in range(5):
            if _write_exclusive(path, self._payload(table)):
                self.held.append(path)
                return
            holder = read_holder(path)
            if holder is None:
                # Unreadable (written by hand, or by an older version that could be killed between
                # creating and writing it): give a writer a moment, then take it over.
                try:
                    age = time.time() - path.stat().st_mtime
                except FileNotFoundError:
                    continue
                if age < EMPTY_LOCK_GRACE_S:
                    time.sleep(0.05)
                    continue
            elif holder.run_id == self.run_id and holder.pid == os.getpid():
                self.held.append(path)
                return
            elif not holder.is_stale():
                raise LockHeld(
                    f"table {table} is locked by {holder.describe()}; wait for it to finish "
                    f"(`phasegate runs`), or if that process is really gone from {holder.host}, "
                    f"remove {path}")
            with _takeover_guard(path) as got:
                if not got:
                    time.sleep(0.05)
                    continue
                again = read_holder(path)
                if again != holder:
                    continue  # someone else changed it meanwhile: look again
                path.unlink(missing_ok=True)
                if holder is not None:
                    self.taken_over.append(holder)
                if _write_exclusive(path, self._payload(table)):
                    self.held.append(path)
                    return
        raise LockHeld(f"could not take the lock on table {table} ({path}): it keeps changing hands")

    def acquire(self, tables: Iterable[str]) -> TableLocks:
        self.dir.mkdir(parents=True, exist_ok=True)
        try:
            for table in sorted(set(tables)):
                self._acquire_one(table)
        except BaseException:
            self.release()
            raise
        return self

    def release(self) -> None:
        while self.held:
            path = self.held.pop()
            holder = read_holder(path)
            if holder is None or (holder.run_id == self.run_id and holder.pid == os.getpid()):
                path.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def current_holders(state_dir: str | Path, tables: Iterable[str]) -> dict[str, Holder]:
    """Live holders of the given tables' locks (stale ones are left out)."""
    out = {}
    for table in tables:
        path = locks_dir(state_dir) / f"{table}.lock"
        if path.exists():
            holder = read_holder(path)
            if holder is not None and not holder.is_stale():
                out[table] = holder
    return out

