"""What a gate case needs, shared by every case of a run: the catalog, the window, the warehouse
and each table's measurements, each taken once and cached (no pytest here: `status`, the
runner and the tests use it too).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from phasegate.errors import WarehouseError
from phasegate.model.catalog import Catalog, Table
from phasegate.warehouse import open_warehouse

# What a family needs measured (phasegate.model.families.Family.measure) -> the context's method.
MEASUREMENTS = {"metadata": "columns", "coverage": "coverage", "sql": "measurement", "expectations": "expectations",
                "audit": "audit"}
# The kinds a table's checks statement answers (its SQL checks, reproduction audit, compiled suite).
FOLDED_KINDS = frozenset({"sql", "audit", "expectations"})


class _Entry:
    """One cached measurement: computed once, by the first thread that asks; the others wait for it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: tuple[str, Any] = ("error", RuntimeError("not measured"))


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
        evaluator      phasegate.expectations.engine.SuiteEvaluator (the expectations engine, GE opened lazily)
        audit_mode     auto | all | sample | off (`--audit`, else the catalog's settings.audit)
    Methods (each cached for the session, so one query per table and kind; thread-safe):
        exceptions_of(table) -> phasegate.model.exceptions.TableExceptions
        coverage(table) -> phasegate.measure.coverage.Coverage (documented exceptions applied)
        provenance(table) -> {date: phasegate.measure.provenance.Gap}: why each missing or partial
                             date is so (its required inputs measured once each, lazily: a table
                             without gaps costs nothing)
        measurement(table) -> phasegate.measure.query.TableMeasurement (all SQL checks, one query)
        expectations(table) -> phasegate.expectations.engine.SuiteResult (the table's suite, evaluated once)
        audit(table) -> phasegate.measure.audit.AuditResult (the processor re-run vs the stored rows, one query)
        columns(table) -> dict column -> type ({} when the table is missing)
        prefetch(needs, workers) measures those (table, kind) pairs side by side in threads
        fold_phase(needs) where bytes are billed, measures those tables' statements as one for the phase
    """

    def __init__(self, catalog: Catalog, phase: str | None, warehouse_url: str, start: dt.date, end: dt.date,
                 exceptions: Any, *, expectations_engine: str | None = None,
                 data_docs_dir: str | Path | None = None, audit: str | None = None) -> None:
        from phasegate.expectations.engine import SuiteEvaluator, check_engine
        from phasegate.measure.audit import check_mode

        engine = check_engine(expectations_engine, data_docs=data_docs_dir is not None)
        self.catalog = catalog
        self.catalog_path = catalog.path
        self.phase = phase
        self.tables: list[Table] = catalog.tables_of(phase) if phase else []
        self.warehouse_url = warehouse_url
        self.start = start
        self.end = end
        self.exceptions = exceptions
        self.audit_mode = check_mode(audit, catalog)
        self.run_dir: Path | None = None
        self.evaluator = SuiteEvaluator(warehouse_url, engine=engine, data_docs_dir=data_docs_dir)
        self._warehouse = None
        self._ledgers: list[Any] = []  # of every warehouse opened (kept after close)
        self._open_lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._cache: dict[tuple[str, str], _Entry] = {}
        self._suites: dict[str, Any] | None = None
        self._prefetching: ThreadPoolExecutor | None = None
        self._fold: frozenset[str] = frozenset()  # tables measured in one statement (fold_phase)

    @property
    def warehouse(self):
        with self._open_lock:
            if self._warehouse is None:
                self._warehouse = open_warehouse(self.warehouse_url, read_only=True)
                self._ledgers.append(self._warehouse.ledger)
            return self._warehouse

    def _cached(self, kind: str, table: str, compute):
        key = (kind, table)
        with self._cache_lock:
            entry = self._cache.get(key)
            owner = entry is None
            if owner:
                entry = self._cache[key] = _Entry()
        if owner:
            try:
                entry.value = ("ok", compute())
            except Exception as exc:  # noqa: BLE001 — remembered so every case of the table errors the same way
                entry.value = ("error", exc)
            finally:
                entry.done.set()
        else:
            entry.done.wait()
        state, value = entry.value
        if state == "error":
            raise value
        return value

    def prefetch(self, needs: Iterable[tuple[str, str]], workers: int) -> None:
        """Start measuring the (table, kind) pairs in `workers` threads; the cases then find them cached.

        Latency-bound warehouses (BigQuery) answer the tables' queries side by side; each pair is
        still measured once (a case that asks first measures it itself, the thread then waits).
        """
        needs = list(dict.fromkeys(needs))
        if workers <= 1 or len(needs) <= 1 or self._prefetching is not None:
            return
        pool = self._prefetching = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="phasegate-measure")

        def measure(need: tuple[str, str]) -> None:
            table, kind = need
            try:
                getattr(self, MEASUREMENTS[kind])(table)
            except Exception:  # noqa: BLE001, S110 — cached: the case that reads it reports the error
                pass

        # The expensive kinds first, so the long queries start before the short ones.
        order = {"audit": 0, "sql": 1, "expectations": 2, "coverage": 3, "metadata": 4}
        for need in sorted(needs, key=lambda n: order.get(n[1], 9)):
            pool.submit(measure, need)

    def suite(self, table: str):
        """The table's suite file (phasegate.expectations.suites.SuiteFile), or None without one."""
        with self._cache_lock:
            if self._suites is None:
                from phasegate.expectations.suites import discover

                self._suites = {s.table: s for s in discover(self.catalog, self.phase)} if self.phase else {}
            return self._suites.get(table)

    def expectations(self, table: str):
        """The table's suite evaluated once (compiled statement + GE for the rest); see SuiteEvaluator."""
        from phasegate.expectations.engine import missing_table

        def compute():
            t = self.catalog.table(table)
            suite = self.suite(table)
            if suite is None:
                raise WarehouseError(f"no expectation suite for {table}")
            columns = self.columns(table)
            if not columns:
                raise missing_table(t, self.warehouse_url)
            compiled, rows = self._folded_part(table, "expectations")
            return self.evaluator.evaluate(self.warehouse, t, suite, self.start, self.end, columns=columns,
                                           compiled=compiled, rows=rows)

        return self._cached("expectations", table, compute)

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

    def provenance(self, table: str):
        from phasegate.measure.provenance import explain, gaps_of, measure_postponements
        from phasegate.runner.runlog import last_failures

        def input_coverage(name: str):
            return self.coverage(name) if self.columns(name) else None

        def compute():
            gaps = gaps_of(self.coverage(table))
            if not gaps:
                return {}
            postponed = self._cached("postponements", "", lambda: measure_postponements(
                self.warehouse, self.catalog, self.start, self.end))
            failures = self._cached("failures", "", lambda: last_failures(self.catalog.state_dir))
            return explain(self.catalog, table, gaps, coverage_of=input_coverage,
                           excepted_of=lambda name: self.exceptions_of(name).dates, postponements=postponed,
                           failures=failures.get(table, {}))

        return self._cached("provenance", table, compute)

    def measurement(self, table: str):
        """All SQL checks of the table, with its audit and compiled suite folded in: one statement."""
        return self._one_pass(table)[0]

    def fold_phase(self, needs: Iterable[tuple[str, str]]) -> None:
        """Measure the checks, audits and suites of the tables these cases need in ONE statement
        for the phase, where the warehouse bills the bytes it scans (BigQuery bills a column once
        per statement: the schedule and the raw tables the audits re-run are then read once, not
        once per table). A local warehouse keeps a statement per table, so the cases finish table
        by table and a failure stays with its table. Not under xdist: a worker measures only
        its tables."""
        from phasegate.warehouse import capabilities_of

        if not capabilities_of(self.warehouse_url).bills_bytes:
            return
        tables = {table for table, kind in needs if kind in FOLDED_KINDS}
        self._fold = frozenset(tables) if len(tables) > 1 else frozenset()

    def _one_pass(self, table: str):
        """(TableMeasurement, {part: (plan, rows)}): the table's checks statement with the reproduction
        audit and the compiled suite folded in (`phasegate.measure.query.measure_folded`), so each
        stored column is scanned once; for a table of the phase's fold (`fold_phase`), its share of
        the phase's one statement. A part whose plan cannot be made is left out (its cases then
        measure it alone and report why); if the folded statement fails, the checks run alone, so
        an error is reported by the cases of the part that caused it (a failed phase statement
        first falls back to a statement per table)."""
        from phasegate.measure.query import measure_folded, measure_table

        def compute():
            missing = self.missing_columns(table)
            if missing is None:
                raise WarehouseError(f"table {self.catalog.table(table).ref} does not exist in {self.warehouse_url}")
            if missing:
                raise WarehouseError(f"cannot measure {table}: column(s) {', '.join(missing)} missing (see test_schema)")
            if table in self._fold and (folded := self._phase_pass().get(table)) is not None:
                return folded
            plans = self._plans(table)
            if not plans:
                return measure_table(self.warehouse, self.catalog, table, self.start, self.end), {}
            try:
                measurement, rows = measure_folded(self.warehouse, self.catalog, table, self.start, self.end,
                                                   [part for part, _ in plans.values()])
            except WarehouseError:
                return measure_table(self.warehouse, self.catalog, table, self.start, self.end), {}
            return measurement, {name: (plan, rows[name]) for name, (_, plan) in plans.items()}

        return self._cached("measurement", table, compute)

    def _plans(self, table: str) -> dict[str, tuple[Any, Any]]:
        """part name -> (Part, plan) of what folds into the table's checks statement: the audit
        and the compiled suite, each left out when its plan cannot be made."""
        plans = {}
        for name, plan_of in (("audit", self._audit_plan), ("expectations", self._suite_plan)):
            try:
                plan = plan_of(table)
            except Exception:  # noqa: BLE001 — measured alone by its own cases, which report the error
                plan = None
            if plan is not None:
                plans[name] = plan
        return plans

    def _phase_pass(self) -> dict[str, tuple[Any, dict[str, tuple[Any, Any]]]]:
        """table -> (TableMeasurement, {part: (plan, rows)}) of the fold's tables, from ONE statement;
        {} when it cannot be made or fails (each table is then measured on its own statement, where
        an error names its table). A table that is missing or lacks a column stays out."""
        from phasegate.measure.query import measure_phase

        def compute():
            plans = {}
            for t in self.tables:
                if t.name in self._fold and self.missing_columns(t.name) == []:
                    plans[t.name] = self._plans(t.name)
            if len(plans) < 2:
                return {}
            try:
                measured = measure_phase(self.warehouse, self.catalog, self.phase, self.start, self.end,
                                         {name: [part for part, _ in p.values()] for name, p in plans.items()})
            except Exception:  # noqa: BLE001 — each table is measured alone, and its cases report the error
                return {}
            return {name: (m, {kind: (plans[name][kind][1], rows[kind]) for kind in plans[name]})
                    for name, (m, rows) in measured.items()}

        return self._cached("phase-pass", self.phase or "", compute)

    def _folded_part(self, table: str, name: str) -> tuple[Any, Any]:
        """(plan, rows) of a part the checks statement answered, else (None, None): measure it alone."""
        try:
            _, parts = self._one_pass(table)
        except Exception:  # noqa: BLE001 — the checks' own cases report it; the part is measured alone
            return None, None
        return parts.get(name, (None, None))

    def _suite_plan(self, table: str):
        """(Part, CompiledTable) of the table's compiled suite, None when nothing is compiled."""
        from phasegate.expectations.compiled import RESULT_TYPES
        from phasegate.expectations.engine import statement_params
        from phasegate.measure.query import Part

        suite = self.suite(table)
        columns = self.columns(table)
        if suite is None or suite.error or not columns:
            return None
        compiled = self.evaluator.compile(self.catalog.table(table), suite, columns)
        if compiled is None or compiled.sql is None:
            return None
        return Part("expectations", compiled.sql, statement_params(self.start, self.end), RESULT_TYPES), compiled

    def _audit_plan(self, table: str):
        """(Part, AuditDates) of the table's reproduction audit, None when it is not audited."""
        from phasegate.measure.audit import AUDIT_COLUMNS, audit_sql, audited
        from phasegate.measure.query import Part

        t = self.catalog.table(table)
        if self.audit_mode == "off" or not audited(t):
            return None
        selection, columns, sql = self._audit_inputs(table)
        audit, params = audit_sql(self.catalog, t, columns, selection, sql)
        return Part("audit", audit, params, AUDIT_COLUMNS), selection

    def audit(self, table: str):
        """The table's reproduction audit (phasegate.measure.audit), measured once (folded into
        the checks statement when it could be)."""
        def compute():
            from phasegate.measure.audit import audit_result, measure_audit

            selection, rows = self._folded_part(table, "audit")
            if rows is not None:
                return audit_result(self.catalog.table(table), selection, rows)
            selection, columns, sql = self._audit_inputs(table)
            return measure_audit(self.warehouse, self.catalog, table, selection, columns, sql)

        return self._cached("audit", table, compute)

    def _audit_inputs(self, table: str):
        """(AuditDates, compared columns, processor SQL) of the table's audit; errors raise."""
        from phasegate.measure.audit import choose_dates, resolve_mode
        from phasegate.measure.staleness import measure_stale_dates
        from phasegate.runner.processors import processor_sql
        from phasegate.warehouse import capabilities_of

        t = self.catalog.table(table)
        columns = self.columns(table)
        if not columns:
            raise WarehouseError(f"table {t.ref} does not exist in {self.warehouse_url}: nothing to audit")
        cov = self.coverage(table)
        dates = sorted(d.date for d in cov.dates if d.is_game_date or d.rows > 0)
        mode = resolve_mode(self.audit_mode, rows=sum(d.rows for d in cov.dates),
                            bills_bytes=capabilities_of(self.warehouse_url).dry_run_bytes)
        stale = self._cached("stale", table, lambda: list(measure_stale_dates(
            self.warehouse, self.catalog, table, self.start, self.end)) if mode == "sample" else [])
        selection = choose_dates(self.catalog, mode, start=self.start, end=self.end, dates=dates, stale=stale,
                                 excepted=frozenset(self.exceptions_of(table).dates))
        sql = processor_sql(self.catalog, t)
        # a column the table holds but the processor does not make (added later) is not compared
        from phasegate.runner.processors import processor_params

        produced = self._cached("made", table, lambda: self.warehouse.query_columns(
            sql, processor_params(self.catalog, self.start, self.end)))
        columns = {c: kind for c, kind in columns.items() if c in produced}
        return selection, columns, sql

    def columns(self, table: str) -> dict[str, str]:
        t = self.catalog.table(table)
        return self._cached("columns", table, lambda: self.warehouse.columns(t.dataset, t.name))

    def missing_columns(self, table: str) -> list[str] | None:
        """Required columns the table lacks; None when the table itself is missing."""
        cols = self.columns(table)
        if not cols:
            return None
        return [c for c in self.catalog.table(table).required_columns() if c not in cols]

    def jobs(self) -> list[Any]:
        """The warehouse jobs of this context so far (phasegate.warehouse.ledger.Job)."""
        return [job for ledger in self._ledgers for job in ledger.jobs()]

    def close(self) -> None:
        if self._prefetching is not None:
            self._prefetching.shutdown(wait=True, cancel_futures=True)
            self._prefetching = None
        try:
            self.evaluator.close()
        finally:
            if self._warehouse is not None:
                self._warehouse.close()
                self._warehouse = None
