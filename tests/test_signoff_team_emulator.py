"""Sign-offs on the BigQuery emulator: one checkout's sign-off is read by another, one per signer.

Slow (the emulator starts once): one test, the round trip of phasegate.signoffs as `signoff`
writes and reads it (the rules of sign-off itself are tested on DuckDB, tests/test_signoff*.py).
"""

from __future__ import annotations

import pytest

from phasegate.report.signoff import signers
from phasegate.report.store import append_signoff
from phasegate.state import SCHEMA
from phasegate.state.signoffs import read_signoffs, write_signoff
from phasegate.warehouse import open_warehouse
from tests.fixtures.emulator import emulator_with_state

RUN = "phase3-20261202T130500Z-b2b2"


@pytest.fixture(scope="module")
def bq_url(tmp_path_factory):
    with emulator_with_state(tmp_path_factory, "shared-signoffs") as (url, created):
        assert "signoffs" in created and set(created) == set(SCHEMA)
        yield url


def test_a_signoff_written_by_one_checkout_is_read_by_another(bq_url, tmp_path):
    laptop, ci = tmp_path / "laptop" / "reports", tmp_path / "ci" / "reports"
    record = {"run_id": RUN, "phase": "phase3", "by": "Ada <ada@example.com>", "at": "2026-12-02T13:10:00+00:00",
              "note": "looks right", "fingerprint": "0123456789ab", "host": "laptop-of-ada",
              "warehouse": bq_url}
    append_signoff(laptop, record)
    wh = open_warehouse(bq_url)
    try:
        assert write_signoff(wh, record)
        rows = read_signoffs(wh, RUN)
    finally:
        wh.close()
    assert [(r["run_id"], r["phase"], r["by"], r["note"], r["fingerprint"], r["host"]) for r in rows] == \
        [(RUN, "phase3", "Ada <ada@example.com>", "looks right", "0123456789ab", "laptop-of-ada")]
    assert rows[0]["at"].startswith("2026-12-02T13:10:00")
    # the CI checkout has no local log: it sees Ada's sign-off; the laptop sees it once, not twice
    assert [s["by"] for s in signers(ci, bq_url, RUN)] == ["Ada <ada@example.com>"]
    assert [s["by"] for s in signers(laptop, bq_url, RUN)] == ["Ada <ada@example.com>"]
    assert signers(ci, bq_url, "phase3-20261202T140000Z-c3c3") == []
