"""Warehouse leases: two checkouts of the project on one warehouse cannot backfill the same table at once."""

from __future__ import annotations

import shutil
import threading

import pytest

from phasegate.runner.orchestrate import Options, backfill
from phasegate.runner.runlog import read_events
from phasegate.state import ensure_state
from phasegate.state.leases import LeaseHeld, Leases, holders
from phasegate.warehouse import open_warehouse
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.builders import d
from tests.fixtures.worlds import coverage_gate, delete, make_world


def checkout(root, url, **kw) -> Options:
    base = {"phase": "phase3", "warehouse_url": url, "catalog_path": root / "pipeline.toml",
            "start": d("2023-10-01"), "end": d("2023-12-31"), "yes": True, "workers": 1, "chunk_days": 30,
            "tables": ["team_summary"], "gate": False, "command": f"phasegate backfill phase3 ({root.name})"}
    base.update(kw)
    return Options(**base)


def held_by_ci(wh, *, expires: str) -> None:
    """A lease another machine holds: a row as a live (or dead) run elsewhere leaves it."""
    wh.execute([f"""INSERT INTO phasegate.leases (table_name, run_id, host, pid, command, taken_at, heartbeat_at,
                    expires_at) VALUES ('team_summary', 'phase3-20261202T080000Z-c1c1', 'ci-runner-7', 4242,
                    'phasegate backfill phase3 --yes', CURRENT_TIMESTAMP(), CURRENT_TIMESTAMP(), {expires})"""])


def rows(world) -> int:
    wh = DuckDBWarehouse(world.path, read_only=True)
    try:
        return wh.query("SELECT COUNT(*) AS n FROM nba_analytics.team_summary")[0]["n"]
    finally:
        wh.close()


@pytest.fixture()
def two_checkouts(tmp_path):
    world = make_world(tmp_path, fill=("team_summary",))
    delete(world, "team_summary", "game_date BETWEEN DATE '2023-11-07' AND DATE '2023-11-30'")
    other = tmp_path / "laptop"
    shutil.copytree(world.root, other)  # its own .phasegate/ and reports/, the same warehouse
    wh = open_warehouse(world.url)
    ensure_state(wh)
    wh.close()
    return world, other


def test_a_lease_held_from_another_machine_refuses_the_backfill_naming_holder_host_and_run(two_checkouts):
    world, other = two_checkouts
    wh = open_warehouse(world.url)
    held_by_ci(wh, expires="TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 600 SECOND)")
    wh.close()
    before = rows(world)
    with pytest.raises(LeaseHeld) as refused:
        backfill(checkout(other, world.url), out=lambda s: None, gate_fn=coverage_gate)
    message = str(refused.value)
    assert "team_summary" in message and "ci-runner-7" in message and "phase3-20261202T080000Z-c1c1" in message
    assert "pid 4242" in message
    assert rows(world) == before  # nothing written
    # the refused run is on record as REFUSED (it did not start), not as an ERROR of the data
    from phasegate.runner.runlog import recent_runs

    (run,) = recent_runs(other / ".phasegate")
    assert (run["status"], run["exit_code"]) == ("REFUSED", 2)


def test_an_expired_lease_is_taken_over_and_released_at_the_end(two_checkouts):
    world, other = two_checkouts
    wh = open_warehouse(world.url)
    held_by_ci(wh, expires="TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1 SECOND)")
    wh.close()
    lines: list[str] = []
    outcome = backfill(checkout(other, world.url), out=lines.append, gate_fn=coverage_gate)
    assert outcome.exit_code == 0
    assert any("took over the lease of run phase3-20261202T080000Z-c1c1" in line for line in lines)
    events = read_events(outcome.log_path)
    assert [e["holder"]["host"] for e in events if e["event"] == "lease_takeover"] == ["ci-runner-7"]
    wh = open_warehouse(world.url)
    try:
        assert holders(wh, ["team_summary"]) == {}  # released
    finally:
        wh.close()
    # the first checkout now backfills the same table: nothing left to do, and no lease in its way
    assert backfill(checkout(world.root, world.url), out=lambda s: None, gate_fn=coverage_gate).exit_code == 0


def test_a_lease_of_a_gone_process_on_this_host_is_taken_over(tmp_path):
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")  # creates the file, as init would
    ensure_state(wh)
    Leases(wh, "crashed", pid_alive=lambda pid: True).acquire(["t"])._stop.set()  # never released: a crash
    with pytest.raises(LeaseHeld):
        Leases(wh, "second", pid_alive=lambda pid: True).acquire(["t"])
    third = Leases(wh, "third", pid_alive=lambda pid: False).acquire(["t"])
    assert [h.run_id for h in third.taken_over] == ["crashed"]
    third.release()
    wh.close()


def test_leases_are_all_or_none(tmp_path):
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")  # creates the file, as init would
    ensure_state(wh)
    first = Leases(wh, "first").acquire(["b"])
    with pytest.raises(LeaseHeld, match="table b is being backfilled by run first"):
        Leases(wh, "second").acquire(["a", "b"])
    assert set(holders(wh, ["a", "b"])) == {"b"}  # a was not taken by the refused run
    first.release()
    wh.close()


def test_concurrent_takes_of_one_table_let_exactly_one_run_win(tmp_path):
    """Threads on one warehouse, each on its own connection, take the same lease at the same moment."""
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")  # creates the file, as init would
    ensure_state(wh)
    Leases(wh, "warmup").acquire(["t"]).release()  # the lease row exists: every take updates it
    start = threading.Barrier(8)
    won: list[str] = []
    refused: list[str] = []

    def take(i: int) -> None:
        lease = Leases(wh, f"run{i}", heartbeat_s=3600)
        start.wait()
        try:
            lease.acquire(["t"])
            won.append(lease.run_id)
        except LeaseHeld as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=take, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and len(refused) == 7
    assert holders(wh, ["t"])["t"].run_id == won[0]
    wh.close()


def test_heartbeat_renews_the_lease(tmp_path):
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")  # creates the file, as init would
    ensure_state(wh)
    lease = Leases(wh, "r", ttl_s=1, heartbeat_s=3600).acquire(["t"])
    wh.execute(["UPDATE phasegate.leases SET expires_at = TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 5 SECOND)"])
    assert holders(wh, ["t"])["t"].expired
    lease.ttl_s = 600
    lease.beat()
    assert not holders(wh, ["t"])["t"].expired
    lease.release()
    wh.close()


def test_without_the_state_dataset_the_backfill_says_its_locks_are_local_only(tmp_path, capsys):
    world = make_world(tmp_path, fill=("team_summary",))
    assert backfill(checkout(world.root, world.url), out=lambda s: None, gate_fn=coverage_gate).exit_code == 0
    assert "has no phasegate dataset" in capsys.readouterr().err
