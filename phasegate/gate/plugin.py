"""The Phasegate pytest plugin: the gate's cases, generated from the catalog.

Loaded by the root conftest.py, it only acts on test modules under `checks/<phase>/` (the
phase is the folder's name); `pytest tests/` is untouched apart from the options below.

* Options: --warehouse (env PHASEGATE_WAREHOUSE), --catalog (env PHASEGATE_CATALOG, default
  pipeline.toml), --start-date/--end-date (default: the catalog's window), --exceptions
  (default exceptions.toml next to the catalog), --results-json PATH (write results.json,
  docs/contracts.md, at the end of the session).
* Test functions named `test_<family>(table, judgement)` are parametrized with every table of
  the phase the family applies to (`phasegate.measure.checks.families_of`), ids are the table
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from phasegate.errors import PhasegateError
from phasegate.gate.collect import PROPERTY, build_results, collect_cases
from phasegate.gate.context import GateContext
from phasegate.gate.judges import JUDGES, Judgement
from phasegate.gate.ledger import write_jobs
from phasegate.gate.progress import PHASE_ROW, CaseDone, ProgressWriter
from phasegate.gate.results import write_results
from phasegate.model.catalog import CATALOG_ENV, Catalog, catalog_path, load_catalog

PHASE_GROUP = "_phase"


@dataclass
class SessionState:
    """What the plugin keeps for one pytest session (in `config.stash`, as pytest-randomly does)."""

    started: float = field(default_factory=time.time)
    reports: dict[str, list[pytest.TestReport]] = field(default_factory=dict)
    phase: str | None = None
    catalog: Catalog | None = None
    settings: tuple[Catalog, str, dt.date, dt.date, Any] | None = None
    needs: list[tuple[str, str]] = field(default_factory=list)  # (table, measurement kind) the cases read


STATE = pytest.StashKey[SessionState]()


def state_of(config: pytest.Config) -> SessionState:
    if STATE not in config.stash:
        config.stash[STATE] = SessionState()
    return config.stash[STATE]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("phasegate", "Phasegate gate")
    group.addoption("--warehouse", default=None, help="Warehouse URL (env PHASEGATE_WAREHOUSE).")
    group.addoption("--catalog", default=None, help="Catalog path (env PHASEGATE_CATALOG, default pipeline.toml).")
    group.addoption("--start-date", default=None, help="Window start (default from the catalog).")
    group.addoption("--end-date", default=None, help="Window end (default from the catalog).")
    group.addoption("--exceptions", default=None, help="Documented exceptions (default exceptions.toml).")
    group.addoption("--results-json", default=None, help="Write the gate's results.json here.")
    group.addoption("--progress-file", default=None,
                    help="Append one JSON line per finished case here, as it finishes (phasegate.gate.progress).")
    group.addoption("--run-id", default=None, help="Run id recorded in results.json (set by `phasegate gate`).")
    group.addoption("--expectations-engine", default=None, choices=("compiled", "ge"),
                    help="compiled (default): suites as one SQL statement per table, GE for the rest; "
                         "ge: Great Expectations' own execution.")
    group.addoption("--audit", default=None, choices=("auto", "all", "sample", "off"),
                    help="Reproduction audit dates: auto (default: the catalog's settings.audit), all, sample, "
                         "off (no audit cases).")
    group.addoption("--data-docs", action="store_true", default=False,
                    help="Render Great Expectations Data Docs beside results.json (runs the suites through GE).")


def _catalog_path(config: pytest.Config) -> Path:
    """--catalog, else $PHASEGATE_CATALOG, else pipeline.toml here, else beside the rootdir."""
    path = catalog_path(config.getoption("--catalog"))
    if path.is_absolute() or path.exists() or config.getoption("--catalog") or os.environ.get(CATALOG_ENV):
        return path
    return config.rootpath / path


def _catalog(config: pytest.Config) -> Catalog:
    state = state_of(config)
    cached = state.catalog
    if cached is None:
        try:
            cached = load_catalog(_catalog_path(config))
        except PhasegateError as exc:
            raise pytest.UsageError(f"phasegate: {exc}") from None
        state.catalog = cached
    return cached


def _settings(config: pytest.Config) -> tuple[Catalog, str, dt.date, dt.date, Any]:
    """(catalog, warehouse URL, start, end, exceptions), worked out once per process."""
    state = state_of(config)
    cached = state.settings
    if cached is None:
        cached = state.settings = _read_settings(config)
    return cached


def _read_settings(config: pytest.Config) -> tuple[Catalog, str, dt.date, dt.date, Any]:
    from phasegate.measure.calendar import live_window
    from phasegate.model.exceptions import load_exceptions
    from phasegate.warehouse import resolve_url

    catalog = _catalog(config)
    try:
        window = live_window(catalog, config.getoption("--start-date"), config.getoption("--end-date"),
                             warehouse=resolve_url(config.getoption("--warehouse")))
        path = config.getoption("--exceptions")
        exceptions = load_exceptions(path, catalog, required=path is not None)
        from phasegate.expectations.engine import check_engine

        check_engine(config.getoption("--expectations-engine"), data_docs=config.getoption("--data-docs"))
    except PhasegateError as exc:
        raise pytest.UsageError(f"phasegate: {exc}") from None
    return catalog, resolve_url(config.getoption("--warehouse")), window.start, window.end, exceptions


def _audit_mode(config: pytest.Config) -> str:
    from phasegate.measure.audit import check_mode

    return check_mode(config.getoption("--audit"), _catalog(config))


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
    state_of(config)
    config.pluginmanager.register(_Recorder(config), "phasegate-recorder")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    phase = gate_phase(Path(metafunc.module.__file__))
    if phase is None or "table" not in metafunc.fixturenames:
        return
    from phasegate.measure.checks import families_of
    from phasegate.model.families import TABLE_FAMILIES

    catalog = _catalog(metafunc.config)
    if phase not in catalog.phases:
        raise pytest.UsageError(f"phasegate: {metafunc.module.__file__}: phase {phase!r} is not in {catalog.path}")
    family = metafunc.function.__name__.removeprefix("test_")
    if family not in TABLE_FAMILIES:
        raise pytest.UsageError(f"phasegate: {metafunc.function.__name__}: no check family {family!r}")
    try:
        names = [t.name for t in catalog.tables_of(phase) if family in families_of(catalog, t)]
        if family == "audit" and _audit_mode(metafunc.config) == "off":
            names = []  # --audit off: no audit case (the gate's text says the audit was off)
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
    state_of(config).phase = next(iter(phases), None)
    if phases:
        _settings(config)  # a bad window, URL or exceptions file stops the session: usage error
    phase = state_of(config).phase
    if phase is None and _phase_from_args(config, None) is not None:
        phase = _phase_from_args(config, _catalog(config))  # checks/<phase> given, yet no gate case collected
    if phase is not None:
        _check_defined(config, phase, items)


def selection_of(config: pytest.Config) -> str | None:
    """How the caller narrowed the session (-k, -m, --deselect, --ignore, a file or node id), or None.

    A narrowed gate run can at best be PARTIAL: what ran passed, but it is not the whole checklist.
    """
    option = config.option
    parts = [f"-k {option.keyword!r}"] if getattr(option, "keyword", "") else []
    if getattr(option, "markexpr", ""):
        parts.append(f"-m {option.markexpr!r}")
    for name in ("deselect", "ignore", "ignore_glob"):
        parts.extend(f"--{name.replace('_', '-')} {value}" for value in getattr(option, name, None) or [])
    for arg in config.args:
        text = str(arg)
        if "::" in text or Path(text).suffix == ".py":
            parts.append(text)
    return " ".join(parts) or None


def _check_defined(config: pytest.Config, phase: str, items: list[pytest.Item]) -> None:
    """Every case the catalog asks for is defined by the phase's check modules (before any -k).

    A deleted or emptied checks/<phase>/test_gate.py (or test_expectations.py) would otherwise
    give a GO on fewer cases: it is a configuration error, unless the caller narrowed the run.
    """
    from phasegate.gate.expected import CONFIG_ERROR_FILE, expected_cases, named

    try:
        expected = [c.name for c in expected_cases(_catalog(config), phase, audit=config.getoption("--audit"))]
    except PhasegateError as exc:
        raise pytest.UsageError(f"phasegate: {exc}") from None
    if selection_of(config) is not None:
        return
    collected = {item.name for item in items if gate_phase(getattr(item, "path", None)) is not None}
    missing = [name for name in expected if name not in collected]
    if missing:
        message = (f"{len(missing)} of the {len(expected)} cases the catalog asks of {phase} are defined by no "
                   f"module of {_catalog(config).checks_dir(phase)} ({named(missing, 3)}): a check module is missing "
                   "or emptied")
        # An xdist worker's usage error reaches the controller as a crashed collection, not exit 4:
        # the file beside results.json lets the gate report it as the single process does (exit 2).
        results_json = config.getoption("--results-json")
        if results_json:
            (Path(results_json).parent / CONFIG_ERROR_FILE).write_text(message + "\n")
        raise pytest.UsageError(f"phasegate: {message}")


def pytest_collection_finish(session: pytest.Session) -> None:
    # After every plugin's deselection (-k, -m): what will really run.
    state_of(session.config).needs = _needs(session.items)


def _needs(items: list[pytest.Item]) -> list[tuple[str, str]]:
    """(table, measurement kind) of every collected gate case, from its family (model.families)."""
    from phasegate.model.families import BY_NAME

    needs = []
    for item in items:
        if gate_phase(getattr(item, "path", None)) is None:
            continue
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        family = BY_NAME.get(getattr(item, "originalname", item.name).removeprefix("test_"))
        table = params.get("table")
        case = params.get("expectation_case")
        if case is not None and getattr(case, "rule", None) is not None:
            needs.append((case.table, "expectations"))
        elif family is not None and isinstance(table, str):
            needs.append((table, family.measure))
    return list(dict.fromkeys(needs))


def table_scope(nodeid: str) -> str | None:
    """The table a gate case's node id belongs to (PHASE_GROUP for phase cases), None if not a gate case.

    Ids are built here: `test_<family>[<table>]` and `test_expectation[<table>-<type>-<column>]`;
    table names are identifiers, so the table is what precedes the first '-'.
    """
    path, _, name = nodeid.partition("::")
    if gate_phase(Path(path)) is None:
        return None
    if "[" not in name:
        return PHASE_GROUP
    return name[name.index("[") + 1:].rstrip("]").split("-", 1)[0]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`-n N --dist loadgroup`: each table's cases on one worker, so each table is measured once.

    xdist's own loadgroup passes the group by rewriting node ids, which pytest 9.2 no longer
    honours (pytest-xdist issue #1386: the groups are silently ignored); the table is read
    from the node id instead. Other sessions keep xdist's scheduler.
    """
    if config.getoption("dist", None) != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class TableScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            table = table_scope(nodeid)
            if table is not None:
                return table
            return nodeid.split("@")[-1] if nodeid.rfind("@") > nodeid.rfind("]") else nodeid

    return TableScheduling(config, log)


# -- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def gate_context(request: pytest.FixtureRequest):
    """The session's GateContext (see its docstring for the attributes).

    In one process (the default) every table's measurements start at once, in as many threads
    as the warehouse declares worth it (`Capabilities.gate_workers`), and where bytes are billed
    the tables' checks, audits and suites are one statement for the phase (`fold_phase`); under
    xdist each worker measures the tables it was given, lazily, so every table is still measured once.
    """
    from phasegate.warehouse import capabilities_of

    config = request.config
    catalog, url, start, end, exceptions = _settings(config)
    results_json = config.getoption("--results-json")
    run_dir = Path(results_json).resolve().parent if results_json else None
    docs = run_dir / "data_docs" if (config.getoption("--data-docs") and run_dir) else None
    try:
        ctx = GateContext(catalog, state_of(config).phase, url, start, end, exceptions,
                          expectations_engine=config.getoption("--expectations-engine"), data_docs_dir=docs,
                          audit=config.getoption("--audit"))
    except PhasegateError as exc:
        raise pytest.UsageError(f"phasegate: {exc}") from None
    ctx.run_dir = run_dir
    if not hasattr(config, "workerinput"):
        ctx.fold_phase(state_of(config).needs)
        ctx.prefetch(state_of(config).needs, capabilities_of(url).gate_workers)
    yield ctx
    try:
        ctx.close()
    finally:
        if run_dir is not None:
            write_jobs(run_dir, ctx.jobs())


def _record(item: pytest.Item, **data: Any) -> None:
    item.user_properties.append((PROPERTY, json.dumps(data, default=str)))


@pytest.fixture()
def judgement(request: pytest.FixtureRequest, gate_context: GateContext) -> Judgement:
    """Measure (cached per table) and judge this case's family; measurement errors ERROR the case."""
    family = request.function.__name__.removeprefix("test_")
    table = request.getfixturevalue("table") if "table" in request.fixturenames else None
    _record(request.node, family=family, table=table)
    result = JUDGES[family](gate_context, table)
    _record(request.node, measured=result.measured, threshold=result.threshold, message=result.message,
            **result.extra, **({"warning": result.warning} if result.passed and result.warning else {}))
    return result


# -- results.json (written by the controller process) ----------------------------------------------

def _phase_from_args(config: pytest.Config, catalog: Catalog | None) -> str | None:
    for arg in config.args:
        path = Path(str(arg).split("::")[0]).resolve()
        for candidate in (path / "x", path):
            phase = gate_phase(candidate, catalog)
            if phase:
                return phase
    return None


def _build_results(config: pytest.Config, exitstatus: int) -> dict[str, Any]:
    from phasegate.expectations.engine import check_engine

    catalog, url, start, end, exceptions = _settings(config)
    results_json = config.getoption("--results-json")
    try:
        engine = check_engine(config.getoption("--expectations-engine"), data_docs=config.getoption("--data-docs"))
    except PhasegateError:
        engine = None
    return build_results(
        audit=config.getoption("--audit"),
        catalog=catalog, phase=state_of(config).phase or _phase_from_args(config, catalog),
        warehouse_url=url, start=start, end=end, exceptions=exceptions, reports=state_of(config).reports,
        started=state_of(config).started, run_id=config.getoption("--run-id"), exitstatus=exitstatus,
        run_dir=Path(results_json).resolve().parent if results_json else None, engine=engine,
        selection=selection_of(config))


class _Recorder:
    """Collects every case's reports in this process (the xdist controller receives the workers'),
    and tells --progress-file of each case as it finishes (the controller only: it sees them all)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        path = config.getoption("--progress-file", None)
        self.progress = ProgressWriter(path) if path and not hasattr(config, "workerinput") else None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        phase = gate_phase(Path(report.fspath)) if report.fspath else None
        if phase is not None:
            state = state_of(self.config)
            state.reports.setdefault(report.nodeid, []).append(report)
            if state.phase is None:
                state.phase = phase  # the xdist controller does not collect
            if self.progress is not None and report.when == "teardown":  # the case's last report
                self._tell(report.nodeid, state.reports[report.nodeid])

    def _tell(self, nodeid: str, reports: list[pytest.TestReport]) -> None:
        (case,), _ = collect_cases({nodeid: reports})  # the outcome exactly as results.json will count it
        table = case.table or table_scope(nodeid)
        self.progress.write(CaseDone(case=case.name, table=PHASE_ROW if table in (None, PHASE_GROUP) else table,
                                     outcome=case.outcome))

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.progress is not None:
            self.progress.close()

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        config = self.config
        if hasattr(config, "workerinput"):
            return  # xdist worker: the controller writes the results
        path = config.getoption("--results-json")
        if not path or exitstatus == pytest.ExitCode.USAGE_ERROR:
            return  # a usage error is one line on stderr, not a verdict
        state = state_of(config)
        if state.phase is None and not state.reports:
            try:
                phase = _phase_from_args(config, _catalog(config))
            except pytest.UsageError:
                phase = None
            if phase is None:
                return  # not a gate session (e.g. pytest tests/): nothing to report
            state.phase = phase
        write_results(path, _build_results(config, exitstatus))
