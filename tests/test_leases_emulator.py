"""Warehouse leases on the BigQuery emulator: two checkouts (two connections, as two machines would
hold) cannot take the same table at once; the refusal names the holder's run and host; all or none;
released or expired leases are taken. (The lease rules in full, and a refused backfill, are tested on
DuckDB in tests/test_leases.py; this is the same SQL on BigQuery's dialect and DML.)

Slow (the emulator starts once): one module-scoped project, one test.
"""

from __future__ import annotations

import pytest

from phasegate.state.leases import LeaseHeld, Leases, holders
from phasegate.warehouse import open_warehouse
from tests.fixtures.emulator import emulator_with_state

CI_RUN = "phase3-20261202T080000Z-c1c1"


@pytest.fixture(scope="module")
def bq_url(tmp_path_factory):
    with emulator_with_state(tmp_path_factory, "shared-leases") as (url, created):
        assert "leases" in created
        yield url


def test_two_checkouts_on_the_emulator_cannot_take_one_table_at_once(bq_url):
    laptop, ci = open_warehouse(bq_url), open_warehouse(bq_url)
    try:
        first = Leases(laptop, "phase3-20261202T150000Z-a1a1", "phasegate backfill phase3 (laptop)",
                       heartbeat_s=3600).acquire(["team_offense_game_summary", "player_game_summary"])
        with pytest.raises(LeaseHeld, match=r"table player_game_summary is being backfilled by run "
                                            r"phase3-20261202T150000Z-a1a1 \(pid \d+ on "):
            Leases(ci, "phase3-20261202T150100Z-b2b2", heartbeat_s=3600).acquire(["player_game_summary"])
        # all or none: the refused run took nothing, not even the free table it also asked for
        with pytest.raises(LeaseHeld):
            Leases(ci, "phase3-20261202T150100Z-b2b2", heartbeat_s=3600).acquire(
                ["upcoming_team_game_context", "player_game_summary"])
        assert set(holders(ci, ["upcoming_team_game_context", "player_game_summary"])) == {"player_game_summary"}
        first.release()
        second = Leases(ci, "phase3-20261202T150100Z-b2b2", heartbeat_s=3600).acquire(["player_game_summary"])
        assert holders(laptop, ["player_game_summary"])["player_game_summary"].run_id == second.run_id
        second.release()

        # a lease another machine left behind: live, it refuses naming host and run; expired, it is taken over
        ci.execute([f"""UPDATE phasegate.leases SET run_id = '{CI_RUN}', host = 'ci-runner-7', pid = 4242,
                        command = 'phasegate backfill phase3 --yes', taken_at = CURRENT_TIMESTAMP(),
                        heartbeat_at = CURRENT_TIMESTAMP(),
                        expires_at = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 600 SECOND)
                        WHERE table_name = 'team_offense_game_summary'"""])
        with pytest.raises(LeaseHeld, match=rf"run {CI_RUN} \(pid 4242 on ci-runner-7"):
            Leases(laptop, "phase3-20261202T150200Z-c3c3", heartbeat_s=3600).acquire(["team_offense_game_summary"])
        ci.execute(["UPDATE phasegate.leases SET expires_at = TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 5 SECOND) "
                    "WHERE table_name = 'team_offense_game_summary'"])
        third = Leases(laptop, "phase3-20261202T150200Z-c3c3", heartbeat_s=3600).acquire(["team_offense_game_summary"])
        assert [h.run_id for h in third.taken_over] == [CI_RUN]
        third.release()
        assert holders(ci, ["team_offense_game_summary"]) == {}
    finally:
        laptop.close()
        ci.close()
