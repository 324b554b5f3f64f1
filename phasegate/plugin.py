"""The Phasegate pytest plugin: options for the gate in checks/."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("phasegate", "Phasegate gate")
    group.addoption("--warehouse", default=None, help="Warehouse URL (env PHASEGATE_WAREHOUSE).")
    group.addoption("--catalog", default=None, help="Catalog path (default pipeline.toml).")
    group.addoption("--start-date", default=None, help="Window start (default from the catalog).")
    group.addoption("--end-date", default=None, help="Window end (default from the catalog).")
    group.addoption("--exceptions", default=None, help="Documented exceptions (default exceptions.toml).")
