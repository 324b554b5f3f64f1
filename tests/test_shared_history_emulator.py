"""Shared history on the BigQuery emulator: two checkouts on one project see each other's runs.

Slow (the emulator starts once for the module): one test, the whole round trip. The laptop's
backfill run goes through its real run log (`RunLog`, then `share_run` as the runner calls it),
its gate run through the gate's own writer; the other checkout reads them with the readers
`phasegate runs`, `runs show` and sign-offs use.
"""

from __future__ import annotations

import socket

import pytest

from phasegate.gate.run import share_gate_run
from phasegate.runner.history import all_runs, shared_gate_run, shared_run
from phasegate.runner.runlog import RunLog, share_run
from phasegate.state import SCHEMA
from phasegate.state.history import gate_runs
from phasegate.warehouse import open_warehouse
from tests.fixtures.emulator import emulator_with_state

LAPTOP = "laptop-of-ana"


@pytest.fixture(scope="module")
def bq_url(tmp_path_factory):
    with emulator_with_state(tmp_path_factory, "shared-history") as (url, created):
        assert set(created) == set(SCHEMA)
        yield url


def test_two_checkouts_on_the_emulator_see_each_others_backfill_and_gate_runs(bq_url, tmp_path, monkeypatch):
    ci, laptop = tmp_path / "ci" / ".phasegate", tmp_path / "laptop" / ".phasegate"
    run_id, gate_id = "phase3-20261202T130000Z-a1a1", "phase3-20261202T130500Z-b2b2"
    results = {"run_id": gate_id, "phase": "phase3", "verdict": "NO-GO", "exit_code": 1,
               "started_at": "2026-12-02T13:05:00.000Z", "finished_at": "2026-12-02T13:05:09.500Z",
               "window": {"start": "2023-10-24", "end": "2023-11-21"}, "warehouse": bq_url,
               "summary": {"passed": 1, "failed": 1, "total": 2},
               "checks": [{"nodeid": "checks/phase3/test_gate.py::test_date_coverage[t]", "table": "t",
                           "family": "date_coverage", "outcome": "failed", "measured": "20/29", "threshold": "0.95",
                           "message": "t: date coverage 20/29"},
                          {"nodeid": "checks/phase3/test_gate.py::test_key_unique[t]", "table": "t",
                           "family": "key_unique", "outcome": "passed", "measured": "0", "threshold": "0"}]}
    with monkeypatch.context() as m:
        m.setattr(socket, "gethostname", lambda: LAPTOP)
        with RunLog(laptop, run_id) as log:
            log.write("start", kind="backfill", phase="phase3", command="phasegate backfill phase3 --yes", pid=4242,
                      host=LAPTOP, warehouse=bq_url, window={"start": "2023-10-24", "end": "2023-11-21"})
            wh = open_warehouse(bq_url)
            try:
                assert share_run(wh, log.path, chunks=False)  # as the runner does once it holds its leases
            finally:
                wh.close()
            log.write("chunk", table="t", start="2023-10-24", end="2023-11-21", dates=29, attempt=1, status="ok",
                      rows=580, seconds=2.5, cost={"jobs": 3, "bytes_processed": 1024, "bytes_billed": 10_485_760})
            log.write("verdict", verdict="GO", exit_code=0, failed={}, retry=[])
        assert share_run(bq_url, log.path, chunks=True)
        assert share_gate_run(bq_url, results)

    runs = all_runs(ci, bq_url)  # the CI checkout has no log of its own
    assert [(r["run_id"], r["host"], r["status"], r["exit_code"], r["source"]) for r in runs] == \
        [(run_id, LAPTOP, "GO", 0, "warehouse")]
    summary, chunks = shared_run(bq_url, run_id)
    assert summary["rows_written"] == 580 and summary["command"] == "phasegate backfill phase3 --yes"
    assert [(c["table"], c["start"], c["status"], c["rows"], c["cost"]["bytes_billed"]) for c in chunks] == \
        [("t", "2023-10-24", "ok", 580, 10_485_760)]

    wh = open_warehouse(bq_url)
    try:
        listed = gate_runs(wh, phase="phase3")
    finally:
        wh.close()
    assert [(g["run_id"], g["verdict"], g["host"], g["window"]["start"]) for g in listed] == \
        [(gate_id, "NO-GO", LAPTOP, "2023-10-24")]
    stored = shared_gate_run(bq_url, gate_id)
    assert stored.pop("recorded_by")["host"] == LAPTOP and stored == results  # signable from the CI checkout
