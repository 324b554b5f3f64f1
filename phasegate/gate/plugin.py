"""The Phasegate pytest plugin: the gate's cases, generated from the catalog.

Loaded by the root conftest.py, it only acts on test modules under `checks/<phase>/` (the
phase is the folder's name); `pytest tests/` is untouched apart from the options below.

* Options: --warehouse (env PHASEGATE_WAREHOUSE), --catalog (env PHASEGATE_CATALOG, default
  pipeline.toml), --start-date/--end-date (default: the catalog's window), --exceptions
  (default exceptions.toml next to the catalog), --results-json PATH (write results.json,
  docs/contracts.md, at the end of the session).
* Test functions named `test_<family>(table, verdict)` are parametrized with every table of
  the phase the family applies to (`phasegate.measure.checks.table_families`), ids are the table
  names: `test_date_coverage[team_defense_game_summary]`. Adding a catalog table adds its
  cases; adding `checks/<phase>/sql/<table>.<check>.sql` adds a check to its family's case.
* Each table is measured once per run (coverage: one query; every other SQL check: one more
  query), cached on the session's `gate_context` and shared by the table's cases; the
  `xdist_group` mark keeps a table's cases on one worker (`-n N --dist loadgroup`).
* Measurements happen in fixture setup, so a failed query is a test ERROR, never a failure
  and never a skip.

This module wires pytest (options, the session's GateContext, collection, fixtures); judging a
case is `phasegate.gate.judges`, the results.json document is `phasegate.gate.results`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from phasegate.errors import PhasegateError, UsageError
from phasegate.gate.judges import JUDGES, Verdict
from phasegate.gate.results import PROPERTY, build_results, write_results
from phasegate.model.catalog import Catalog, Table, load_catalog
from phasegate.model.window import parse_date

PHASE_GROUP = "_phase"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("phasegate", "Phasegate gate")
    group.addoption("--warehouse", default=None, help="Warehouse URL (env PHASEGATE_WAREHOUSE).")
    group.addoption("--catalog", default=None, help="Catalog path (env PHASEGATE_CATALOG, default pipeline.toml).")
    group.addoption("--start-date", default=None, help="Window start (default from the catalog).")
    group.addoption("--end-date", default=None, help="Window end (default from the catalog).")
    group.addoption("--exceptions", default=None, help="Documented exceptions (default exceptions.toml).")
    group.addoption("--results-json", default=None, help="Write the gate's results.json here.")
    group.addoption("--run-id", default=None, help="Run id recorded in results.json (set by `phasegate gate`).")


# -- the session context -----------------------------------------------------------------------

class GateContext:
    """What a gate case needs, shared by every case of the session (`gate_context` fixture).

    Attributes:
        catalog        phasegate.model.catalog.Catalog (validated pipeline.toml)
        catalog_path   Path of the catalog file
        phase          the phase under test ("phase3"), from the checks/<phase>/ folder
        tables         list[Table]: the catalogued tables of that phase
        warehouse_url  the warehouse URL (option, env PHASEGATE_WAREHOUSE, or the default)
        start, end     datetime.date: the window
        exceptions     phasegate.model.exceptions.Exceptions (documented gaps; per table: `exceptions_of(name)`)
        warehouse      the Warehouse, opened read-only on first use (an error raises WarehouseError)
        run_dir        Path of the run's report folder (reports/<phase>/<run_id>/) or None
    Methods (each cached for the session, so one query per table and kind):
        exceptions_of(table) -> phasegate.model.exceptions.TableExceptions
        coverage(table) -> phasegate.measure.coverage.Coverage (documented exceptions applied)
        measurement(table) -> phasegate.measure.checks.TableMeasurement (all SQL checks, one query)
        columns(table) -> dict column -> type ({} when the table is missing)
    """

    def __init__(self, catalog: Catalog, phase: str | None, warehouse_url: str, start: dt.date, end: dt.date,
                 exceptions: Any) -> None:
        self.catalog = catalog
        self.catalog_path = catalog.path
        self.phase = phase
        self.tables: list[Table] = catalog.tables_of(phase) if phase else []
        self.warehouse_url = warehouse_url
        self.start = start
        self.end = end
        self.exceptions = exceptions
        self.run_dir: Path | None = None
        self._warehouse = None
        self._cache: dict[tuple[str, str], Any] = {}

    @property
    def warehouse(self):
        if self._warehouse is None:
            from phasegate.warehouse import open_warehouse

            self._warehouse = open_warehouse(self.warehouse_url, read_only=True)
        return self._warehouse

    def _cached(self, kind: str, table: str, compute):
        key = (kind, table)
        if key not in self._cache:
            try:
                self._cache[key] = ("ok", compute())
            except Exception as exc:  # noqa: BLE001 — remembered so every case of the table errors the same way
                self._cache[key] = ("error", exc)
        state, value = self._cache[key]
        if state == "error":
            raise value
        return value

    def exceptions_of(self, table: str):
        """The table's documented exceptions (phasegate.model.exceptions.TableExceptions)."""
        return self._cached("exceptions", table, lambda: self.exceptions.for_table(table))

    def coverage(self, table: str):
        from phasegate.measure.coverage import measure_coverage

        def compute():
            excepted = self.exceptions_of(table)
            return measure_coverage(self.warehouse, self.catalog, table, self.start, self.end,
                                    excepted_dates=excepted.dates, excepted_games=excepted.games)

        return self._cached("coverage", table, compute)

    def measurement(self, table: str):
        from phasegate.measure.checks import measure_table

        def compute():
            missing = self.missing_columns(table)
            if missing is None:
                from phasegate.errors import WarehouseError

                raise WarehouseError(f"table {self.catalog.table(table).ref} does not exist in {self.warehouse_url}")
            if missing:
                from phasegate.errors import WarehouseError

                raise WarehouseError(f"cannot measure {table}: column(s) {', '.join(missing)} missing (see test_schema)")
            return measure_table(self.warehouse, self.catalog, table, self.start, self.end)

        return self._cached("measurement", table, compute)

    def columns(self, table: str) -> dict[str, str]:
        t = self.catalog.table(table)
        return self._cached("columns", table, lambda: self.warehouse.columns(t.dataset, t.name))

    def missing_columns(self, table: str) -> list[str] | None:
        """Required columns the table lacks; None when the table itself is missing."""
        cols = self.columns(table)
        if not cols:
            return None
        return [c for c in self.catalog.table(table).required_columns() if c not in cols]

    def close(self) -> None:
        if self._warehouse is not None:
            self._warehouse.close()
            self._warehouse = None


def _catalog_path(config: pytest.Config) -> Path:
    given = config.getoption("--catalog") or os.environ.get("PHASEGATE_CATALOG")
    if given:
        return Path(given)
    for candidate in (Path.cwd() / "pipeline.toml", config.rootpath / "pipeline.toml"):
        if candidate.exists():
            return candidate
    return Path("pipeline.toml")


def _catalog(config: pytest.Config) -> Catalog:
    cached = getattr(config, "_phasegate_catalog", None)
    if cached is None:
        try:
            cached = load_catalog(_catalog_path(config))
        except PhasegateError as exc:
            raise pytest.UsageError(f"phasegate: {exc}") from None
        config._phasegate_catalog = cached
    return cached


def _settings(config: pytest.Config) -> tuple[Catalog, str, dt.date, dt.date, Any]:
    """(catalog, warehouse URL, start, end, exceptions), worked out once per process."""
    cached = getattr(config, "_phasegate_settings", None)
    if cached is None:
        cached = config._phasegate_settings = _read_settings(config)
    return cached


def _read_settings(config: pytest.Config) -> tuple[Catalog, str, dt.date, dt.date, Any]:
    from phasegate.model.exceptions import load_exceptions
    from phasegate.warehouse import resolve_url

    catalog = _catalog(config)
    try:
        start_opt, end_opt = config.getoption("--start-date"), config.getoption("--end-date")
        start = parse_date(start_opt, "--start-date") if start_opt else catalog.settings.default_start_date
        end = parse_date(end_opt, "--end-date") if end_opt else catalog.settings.default_end_date
        if start > end:
            raise UsageError(f"--start-date {start} is after --end-date {end}")
        path = config.getoption("--exceptions")
        exceptions = load_exceptions(path, catalog, required=path is not None)
    except PhasegateError as exc:
        raise pytest.UsageError(f"phasegate: {exc}") from None
    return catalog, resolve_url(config.getoption("--warehouse")), start, end, exceptions


def gate_phase(path: Path | None, catalog: Catalog | None = None) -> str | None:
    """The phase of a test module under checks/<phase>/, else None (not a gate module)."""
    if path is None or path.parent.parent.name != "checks":
        return None
    phase = path.parent.name
    if catalog is not None and phase not in catalog.phases:
        return None
    return phase


# -- collection ---------------------------------------------------------------------------------

def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "xdist_group(name): Phasegate groups a table's cases on one worker")
    config._phasegate_reports = {}
    config._phasegate_started = time.time()
    config.pluginmanager.register(_Recorder(config), "phasegate-recorder")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    phase = gate_phase(Path(metafunc.module.__file__))
    if phase is None or "table" not in metafunc.fixturenames:
        return
    from phasegate.measure.checks import TABLE_FAMILIES, table_families

    catalog = _catalog(metafunc.config)
    if phase not in catalog.phases:
        raise pytest.UsageError(f"phasegate: {metafunc.module.__file__}: phase {phase!r} is not in {catalog.path}")
    family = metafunc.function.__name__.removeprefix("test_")
    if family not in TABLE_FAMILIES:
        raise pytest.UsageError(f"phasegate: {metafunc.function.__name__}: no check family {family!r}")
    try:
        names = [t.name for t in catalog.tables_of(phase) if family in table_families(catalog, t)]
    except PhasegateError as exc:
        raise pytest.UsageError(f"phasegate: {exc}") from None
    metafunc.parametrize("table", names, ids=names)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    keep, drop = [], []
    for item in items:
        phase = gate_phase(getattr(item, "path", None))
        if phase is None:
            keep.append(item)
            continue
        callspec = getattr(item, "callspec", None)
        param = callspec.params.get("table") if callspec is not None else None
        if "table" in getattr(item, "fixturenames", ()) and not isinstance(param, str):
            drop.append(item)  # a family no table of this phase has: no case at all
            continue
        table = param if isinstance(param, str) else PHASE_GROUP
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(name=table))
        keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    phases = {gate_phase(getattr(i, "path", None)) for i in items} - {None}
    if len(phases) > 1:
        raise pytest.UsageError(f"phasegate: run one phase at a time (collected {', '.join(sorted(phases))})")
    config._phasegate_phase = next(iter(phases), None)
    if phases:
        _settings(config)  # a bad window, URL or exceptions file stops the session: usage error


# -- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def gate_context(request: pytest.FixtureRequest):
    """The session's GateContext (see its docstring for the attributes)."""
    catalog, url, start, end, exceptions = _settings(request.config)
    ctx = GateContext(catalog, getattr(request.config, "_phasegate_phase", None), url, start, end, exceptions)
    results_json = request.config.getoption("--results-json")
    ctx.run_dir = Path(results_json).resolve().parent if results_json else None
    yield ctx
    ctx.close()


def _record(item: pytest.Item, **data: Any) -> None:
    item.user_properties.append((PROPERTY, json.dumps(data, default=str)))


@pytest.fixture()
def verdict(request: pytest.FixtureRequest, gate_context: GateContext) -> Verdict:
    """Measure (cached per table) and judge this case's family; measurement errors ERROR the case."""
    family = request.function.__name__.removeprefix("test_")
    table = request.getfixturevalue("table") if "table" in request.fixturenames else None
    _record(request.node, family=family, table=table)
    result = JUDGES[family](gate_context, table)
    _record(request.node, measured=result.measured, threshold=result.threshold, message=result.message,
            **result.extra)
    return result


# -- results.json (written by the controller process) ----------------------------------------------

def _phase_from_args(config: pytest.Config, catalog: Catalog) -> str | None:
    for arg in config.args:
        path = Path(str(arg).split("::")[0]).resolve()
        for candidate in (path / "x", path):
            phase = gate_phase(candidate, catalog)
            if phase:
                return phase
    return None


def _build_results(config: pytest.Config, exitstatus: int) -> dict[str, Any]:
    catalog, url, start, end, exceptions = _settings(config)
    return build_results(
        catalog=catalog, phase=getattr(config, "_phasegate_phase", None) or _phase_from_args(config, catalog),
        warehouse_url=url, start=start, end=end, exceptions=exceptions, reports=config._phasegate_reports,
        started=config._phasegate_started, run_id=config.getoption("--run-id"), exitstatus=exitstatus)


class _Recorder:
    """Collects every case's reports in this process (the xdist controller receives the workers')."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        phase = gate_phase(Path(report.fspath)) if report.fspath else None
        if phase is not None:
            self.config._phasegate_reports.setdefault(report.nodeid, []).append(report)
            if getattr(self.config, "_phasegate_phase", None) is None:
                self.config._phasegate_phase = phase  # the xdist controller does not collect

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        config = self.config
        if hasattr(config, "workerinput"):
            return  # xdist worker: the controller writes the results
        path = config.getoption("--results-json")
        if not path:
            return
        if getattr(config, "_phasegate_phase", None) is None and not config._phasegate_reports:
            try:
                phase = _phase_from_args(config, _catalog(config))
            except pytest.UsageError:
                phase = None
            if phase is None:
                return  # not a gate session (e.g. pytest tests/): nothing to report
            config._phasegate_phase = phase
        write_results(path, _build_results(config, exitstatus))
