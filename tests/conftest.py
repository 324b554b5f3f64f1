"""Engine tests. Shared builders live in tests/fixtures (imported as `tests.fixtures.*`).

The small gate world (tests/fixtures/worlds.py build_world) is built once per test process and
shared by every module that gates it; a test that changes data works on its own copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.worlds import build_world


@pytest.fixture(scope="session")
def gate_world(tmp_path_factory) -> Path:
    """The small phase-2/3/4 world, built by the real processors (read-only: copy before changing)."""
    return build_world(tmp_path_factory.getbasetemp() / "gate_world.duckdb")


@pytest.fixture()
def world_copy(gate_world, tmp_path) -> Callable[..., str]:
    """make(*statements) -> the URL of a fresh copy of the gate world with the statements applied."""
    from phasegate.warehouse.duckdb import DuckDBWarehouse

    def make(*statements: str) -> str:
        target = tmp_path / "w.duckdb"
        shutil.copy(gate_world, target)
        if statements:
            with DuckDBWarehouse(target) as wh:
                wh.execute(list(statements))
        return f"duckdb:///{target}"
    return make


@pytest.fixture(autouse=True)
def _isolated_from_the_callers_phasegate_environment(monkeypatch):
    """Tests never read the caller's PHASEGATE_* settings: `make test` exports PHASEGATE_WAREHOUSE (the
    demo's file, which a test's project does not have), and a developer may have a webhook set.
    A test that wants one sets it with monkeypatch."""
    for name in ("PHASEGATE_WAREHOUSE", "PHASEGATE_WEBHOOK_URL", "PHASEGATE_REPORT_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
