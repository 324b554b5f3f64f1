"""Leases: a lock per table held in the warehouse, so two checkouts never backfill one table at once.

A lease row per table (`phasegate.leases`) names its holder: run id, host, pid, command, and
when it expires. Taking leases is one UPDATE of the rows of every wanted table, guarded so it
changes nothing unless none of them is held by a live run: all or none. Two runs taking the
same table at once update the same rows, and the warehouse lets only one commit (BigQuery
aborts the concurrent DML transaction; DuckDB raises a write-write conflict); the loser
re-reads and is refused, naming the holder. A lease expires unless its heartbeat renews it;
an expired lease, or one held on this host by a process that is gone, is taken over.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Self

from phasegate.errors import PhasegateError, WarehouseError
from phasegate.warehouse import Warehouse

LEASE_TTL_S = 600
HEARTBEAT_S = 60
TAKE_ATTEMPTS = 5

_ENSURE_ROWS = """INSERT INTO phasegate.leases (table_name)
SELECT t FROM UNNEST(@tables) AS t WHERE t NOT IN (SELECT table_name FROM phasegate.leases)"""

_TAKE = """UPDATE phasegate.leases
SET run_id = @run_id, host = @host, pid = @pid, command = @command, taken_at = CURRENT_TIMESTAMP(),
    heartbeat_at = CURRENT_TIMESTAMP(), expires_at = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL @ttl SECOND)
WHERE table_name IN UNNEST(@tables)
  AND NOT EXISTS (
    SELECT 1 FROM phasegate.leases AS held
    WHERE held.table_name IN UNNEST(@tables) AND held.run_id IS NOT NULL AND held.run_id != @run_id
      AND held.run_id NOT IN UNNEST(@stale) AND held.expires_at >= CURRENT_TIMESTAMP())"""

_HOLDERS = """SELECT DISTINCT table_name, run_id, host, pid, command, taken_at, heartbeat_at, expires_at,
    expires_at < CURRENT_TIMESTAMP() AS expired
FROM phasegate.leases WHERE table_name IN UNNEST(@tables) AND run_id IS NOT NULL"""

_BEAT = """UPDATE phasegate.leases
SET heartbeat_at = CURRENT_TIMESTAMP(), expires_at = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL @ttl SECOND)
WHERE run_id = @run_id"""

_RELEASE = """UPDATE phasegate.leases
SET run_id = NULL, host = NULL, pid = NULL, command = NULL, taken_at = NULL, heartbeat_at = NULL, expires_at = NULL
WHERE run_id = @run_id"""


class LeaseHeld(PhasegateError):
    """Another live run, maybe on another machine, holds a table this run needs."""

    exit_code = 2


@dataclass(frozen=True)
class LeaseHolder:
    table: str
    run_id: str
    host: str
    pid: int | None
    command: str
    heartbeat_at: Any
    expires_at: Any
    expired: bool

    def describe(self) -> str:
        beat = str(self.heartbeat_at)[:19] if self.heartbeat_at else "?"
        until = str(self.expires_at)[:19] if self.expires_at else "?"
        return (f"run {self.run_id} (pid {self.pid} on {self.host}, last heartbeat {beat} UTC, lease until {until}"
                + (f": {self.command}" if self.command else "") + ")")


def holders(warehouse: Warehouse, tables: Iterable[str]) -> dict[str, LeaseHolder]:
    """The recorded holder of each given table that has one (expired ones flagged)."""
    rows = warehouse.query(_HOLDERS, {"tables": sorted(set(tables))})
    return {r["table_name"]: LeaseHolder(table=r["table_name"], run_id=r["run_id"], host=r["host"] or "?",
                                         pid=r["pid"], command=r["command"] or "", heartbeat_at=r["heartbeat_at"],
                                         expires_at=r["expires_at"], expired=bool(r["expired"]))
            for r in rows}


class Leases:
    """The warehouse leases of one run: take all or none, renew by heartbeat, release on exit."""

    def __init__(self, warehouse: Warehouse, run_id: str, command: str = "", *, ttl_s: int = LEASE_TTL_S,
                 heartbeat_s: float = HEARTBEAT_S, pid_alive: Callable[[int], bool] | None = None) -> None:
        self.warehouse = warehouse
        self.run_id = run_id
        self.command = command
        self.ttl_s = ttl_s
        self.heartbeat_s = heartbeat_s
        self.pid_alive = pid_alive
        self.tables: list[str] = []
        self.taken_over: list[LeaseHolder] = []
        self._stop = threading.Event()
        self._beater: threading.Thread | None = None

    def _gone(self, holder: LeaseHolder) -> bool:
        """Held on this host by a process that no longer runs: as good as expired."""
        return (self.pid_alive is not None and holder.host == socket.gethostname() and holder.pid is not None
                and not self.pid_alive(int(holder.pid)))

    def acquire(self, tables: Iterable[str]) -> Self:
        wanted = sorted(set(tables))
        if not wanted:
            return self
        self.warehouse.execute([_ENSURE_ROWS], {"tables": wanted})
        for _ in range(TAKE_ATTEMPTS):
            before = holders(self.warehouse, wanted)
            stale = [h.run_id for h in before.values() if h.run_id != self.run_id and self._gone(h)]
            live = [h for h in before.values() if h.run_id != self.run_id and not h.expired and h.run_id not in stale]
            if live:
                h = live[0]
                raise LeaseHeld(f"table {h.table} is being backfilled by {h.describe()}; wait for it to finish "
                                f"(`phasegate runs`), or for its lease to expire if that run is gone")
            try:
                self.warehouse.execute([_TAKE], {"tables": wanted, "run_id": self.run_id, "host": socket.gethostname(),
                                                 "pid": os.getpid(), "command": self.command, "ttl": self.ttl_s,
                                                 "stale": stale or [""]})
            except WarehouseError:
                continue  # a concurrent take committed first: look again
            after = holders(self.warehouse, wanted)
            if all(after.get(t) is not None and after[t].run_id == self.run_id for t in wanted):
                self.tables = wanted
                self.taken_over = [h for h in before.values() if h.run_id != self.run_id]
                self._start_heartbeat()
                return self
        raise LeaseHeld(f"could not take the leases on {', '.join(wanted)}: they keep changing hands")

    def beat(self) -> None:
        self.warehouse.execute([_BEAT], {"run_id": self.run_id, "ttl": self.ttl_s})

    def _start_heartbeat(self) -> None:
        def run() -> None:
            while not self._stop.wait(self.heartbeat_s):
                try:
                    self.beat()
                except (WarehouseError, RuntimeError, OSError):
                    pass  # the warehouse is handed over meanwhile (DuckDB); the next beat renews

        self._beater = threading.Thread(target=run, name=f"lease-heartbeat-{self.run_id}", daemon=True)
        self._beater.start()

    def release(self) -> None:
        self._stop.set()
        if self._beater is not None:
            self._beater.join(timeout=5)
            self._beater = None
        if self.tables:
            self.warehouse.execute([_RELEASE], {"run_id": self.run_id})
            self.tables = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
