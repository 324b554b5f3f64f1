"""A table's suite, evaluated for the gate: compiled SQL where it exists, Great Expectations for the rest.

    compiled (default)  the rules with a compiled form run as ONE warehouse statement per table
                        (`phasegate.expectations.compiled`, GE's semantics, parity-tested); the
                        rules it cannot compile faithfully run through GE's SQL engine, as before
    ge                  every rule through GE's own execution (`phasegate.expectations.run`);
                        also what Data Docs need: they render GE's validation results

Great Expectations is imported only when some rule runs through it. Each table is evaluated
once by whoever calls `evaluate` (the gate caches it per table); GE's context is not
thread-safe, so its validations are serialized here while compiled statements run in the
caller's threads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from phasegate.errors import UsageError, WarehouseError
from phasegate.expectations.compiled import CompiledTable, compile_table, outcomes_from_rows
from phasegate.expectations.run import RuleOutcome
from phasegate.expectations.suites import SuiteFile
from phasegate.model.catalog import Table
from phasegate.warehouse.ledger import QUERY

COMPILED, GE = "compiled", "ge"
ENGINES = (COMPILED, GE)
LABELS = {"component": "expectations"}


def check_engine(engine: str | None, *, data_docs: bool = False) -> str:
    """The engine to use: `engine` if given, else compiled, unless Data Docs need GE's results."""
    if engine is not None and engine not in ENGINES:
        raise UsageError(f"--expectations-engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if data_docs and engine == COMPILED:
        raise UsageError("--data-docs renders Great Expectations' own results: use it with --expectations-engine ge "
                         "(or leave the engine out)")
    return GE if data_docs else (engine or COMPILED)


@dataclass
class SuiteResult:
    """Every rule of a table's suite: its outcome and the engine that decided it."""

    table: str
    outcomes: dict[str, RuleOutcome] = field(default_factory=dict)
    engines: dict[str, str] = field(default_factory=dict)  # case_id -> compiled | ge
    uncompiled: dict[str, str] = field(default_factory=dict)  # case_id -> why GE ran it
    statements: int = 0  # warehouse statements sent (compiled: 1; GE counts its own)
    duration_s: float = 0.0
    error: str | None = None  # the GE part could not run at all (its rules error)


def statement_params(start: dt.date, end: dt.date) -> dict[str, dt.date]:
    return {"start_date": start, "end_date": end}


class SuiteEvaluator:
    """Evaluates suites on one warehouse with one engine; opens GE lazily, once, if ever."""

    def __init__(self, warehouse_url: str, *, engine: str = COMPILED, data_docs_dir: str | Path | None = None) -> None:
        self.warehouse_url = warehouse_url
        self.engine = check_engine(engine, data_docs=data_docs_dir is not None)
        self.data_docs_dir = Path(data_docs_dir) if data_docs_dir else None
        self._runner: Any = None
        self._runner_error: str | None = None
        self._ge_lock = threading.Lock()

    def compile(self, table: Table, suite: SuiteFile, columns: Mapping[str, str]) -> CompiledTable | None:
        """The table's compiled statement and what stays with GE; None when GE runs everything."""
        if self.engine == GE:
            return None
        return compile_table(table, suite.rules, columns)

    def evaluate(self, warehouse: Any, table: Table, suite: SuiteFile, start: dt.date, end: dt.date, *,
                 columns: Mapping[str, str], compiled: CompiledTable | None = None,
                 rows: list[dict[str, Any]] | None = None) -> SuiteResult:
        """Every rule of `suite` on [start, end]. A failed compiled statement raises WarehouseError
        (the table's expectation cases ERROR); GE failures become error outcomes of its rules.

        `compiled` and its `rows`: the compiled statement already run by the caller (the gate folds
        it into the table's checks statement, `phasegate.measure.query.measure_folded`): its rows
        are read here and no statement is sent."""
        if suite.error:
            raise UsageError(suite.error)
        started = time.perf_counter()
        result = SuiteResult(table.name)
        if compiled is None or rows is None:
            compiled, rows = self.compile(table, suite, columns), None
        ge_rules = list(suite.rules)
        if compiled is not None:
            result.outcomes.update(compiled.errors)
            result.engines.update({case: COMPILED for case in compiled.errors})
            if compiled.sql is not None:
                if rows is None:
                    rows = warehouse.query(compiled.sql, statement_params(start, end),
                                           labels={**LABELS, "table": table.name})
                    result.statements += 1
                result.outcomes.update(outcomes_from_rows(compiled.rules, rows))
                result.engines.update({r.case_id: COMPILED for r in compiled.rules})
            result.uncompiled = dict(compiled.uncompiled)
            ge_rules = [r for r in suite.rules if r.case_id in compiled.uncompiled]
        if ge_rules:
            self._through_ge(warehouse, result, table, dataclasses.replace(suite, rules=ge_rules), start, end)
        result.duration_s = round(time.perf_counter() - started, 4)
        return result

    def _through_ge(self, warehouse: Any, result: SuiteResult, table: Table, suite: SuiteFile, start: dt.date,
                    end: dt.date) -> None:
        cases = [r.case_id for r in suite.rules]
        result.engines.update({case: GE for case in cases})
        with self._ge_lock:
            runner = self._ge_runner()
            if runner is None:
                result.error = f"cannot run expectations through Great Expectations: {self._runner_error}"
                return
            validation = runner.validate(table, suite, start, end)
        result.statements += validation.statements
        # GE sends its statements through its own engine: counted, their bytes unknown to us on
        # an engine that bills (BigQuery), 0 where nothing is billed.
        billed = None if warehouse.capabilities.bills_bytes else 0
        for _ in range(validation.statements):
            warehouse.ledger.record(QUERY, labels={"component": "expectations_ge", "table": table.name},
                                    bytes_billed=billed, seconds=validation.duration_s / validation.statements)
        if validation.error:
            result.error = validation.error
            return
        result.outcomes.update({case: validation.outcomes[case] for case in cases})

    def _ge_runner(self) -> Any:
        if self._runner is None and self._runner_error is None:
            from phasegate.errors import PhasegateError
            from phasegate.expectations.run import ExpectationRunner

            try:
                self._runner = ExpectationRunner(self.warehouse_url, data_docs_dir=self.data_docs_dir)
            except PhasegateError as exc:
                self._runner_error = str(exc)
        return self._runner

    @property
    def used_ge(self) -> bool:
        return self._runner is not None

    def close(self) -> None:
        """Build the Data Docs (when asked for and GE ran), then let GE go."""
        if self._runner is None:
            return
        try:
            if self.data_docs_dir is not None:
                self._runner.build_data_docs()
        finally:
            self._runner.close()
            self._runner = None


def missing_table(table: Table, url: str) -> WarehouseError:
    return WarehouseError(f"{table.ref} does not exist in {url}: its expectations cannot be evaluated")
