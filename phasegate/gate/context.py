"""What a gate case needs, shared by every case of a run: the catalog, the window, the warehouse
and each table's measurements, each taken once and cached (no pytest here: `status`, the
runner and the tests use it too).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from phasegate.errors import WarehouseError
from phasegate.model.catalog import Catalog, Table
from phasegate.warehouse import open_warehouse


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
        provenance(table) -> {date: phasegate.measure.provenance.Gap}: why each missing or partial
                             date is so (its required inputs measured once each, lazily: a table
                             without gaps costs nothing)
        measurement(table) -> phasegate.measure.query.TableMeasurement (all SQL checks, one query)
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
        from phasegate.measure.query import measure_table

        def compute():
            missing = self.missing_columns(table)
            if missing is None:
                raise WarehouseError(f"table {self.catalog.table(table).ref} does not exist in {self.warehouse_url}")
            if missing:
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
