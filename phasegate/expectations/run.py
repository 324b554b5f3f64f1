"""Run a table's suite through Great Expectations' SQL execution engine on the gate's warehouse.

One GE validation per table per gate run. The batch is a query asset whose SQL restricts the
table to the gate's window with a literal `BETWEEN` on the table's own date column
(`game_date BETWEEN DATE '2021-10-19' AND DATE '2026-01-03'`), so BigQuery prunes partitions;
it selects only the columns the suite refers to, so BigQuery bills only those.

GE reaches the warehouse through a SQLAlchemy engine the warehouse package describes
(`phasegate.warehouse.sqlalchemy_engine_args`): this module knows no warehouse client.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from phasegate.errors import UsageError
from phasegate.expectations.suites import Rule, SuiteFile
from phasegate.model.catalog import Table
from phasegate.warehouse import prepare_sqlalchemy_engine, resolve_url, sqlalchemy_engine_args

RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 5}
DATASOURCE = "phasegate_warehouse"


# -- URLs and SQL ---------------------------------------------------------------------------

def window_query(table: Table, columns: Sequence[str], start: dt.date, end: dt.date) -> str:
    """The batch: the suite's columns of `table` inside the window, bounded by DATE literals.

    Identifiers come from the validated catalog (plain identifiers); dates are date objects.
    Valid BigQuery Standard SQL and DuckDB SQL alike.
    """
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        raise UsageError("the expectation window needs dates")
    cols = list(dict.fromkeys([table.date_column, *columns]))
    return (f"SELECT {', '.join(cols)} FROM {table.ref} "
            f"WHERE {table.date_column} BETWEEN DATE '{start.isoformat()}' AND DATE '{end.isoformat()}'")


# -- results --------------------------------------------------------------------------------

@dataclass
class RuleOutcome:
    case_id: str
    success: bool
    observed_value: Any = None
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    partial_unexpected: list[Any] = field(default_factory=list)
    exception: str | None = None  # GE raised while computing this rule (an error, not a failure)

    def describe(self, rule: Rule) -> str:
        """One paragraph: which table/column/rule, what GE observed, a few unexpected values."""
        args = ", ".join(f"{k}={_short(v)}" for k, v in rule.kwargs.items()
                         if k not in ("column", "column_list", "result_format"))
        head = f"{rule.subject}: {rule.type}({args})"
        if self.exception:
            return f"{head} could not be evaluated: {self.exception}"
        parts = []
        if self.observed_value is not None:
            parts.append(f"observed {_short(self.observed_value)}")
        if self.unexpected_count is not None and self.element_count is not None:
            pct = f" ({self.unexpected_percent:.3g}%)" if self.unexpected_percent is not None else ""
            parts.append(f"{self.unexpected_count} of {self.element_count} values unexpected{pct}")
        if self.partial_unexpected:
            parts.append(f"e.g. {_short(self.partial_unexpected)}")
        verdict = "passed" if self.success else "failed"
        return f"{head} {verdict}: " + ("; ".join(parts) if parts else "no details from GE")

    def as_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "success": self.success, "observed_value": _jsonable(self.observed_value),
                "element_count": self.element_count, "unexpected_count": self.unexpected_count,
                "unexpected_percent": self.unexpected_percent,
                "partial_unexpected": _jsonable(self.partial_unexpected), "exception": self.exception}


@dataclass
class TableValidation:
    table: str
    success: bool
    outcomes: dict[str, RuleOutcome]
    statements: int
    duration_s: float
    query: str
    error: str | None = None  # the whole validation could not run (query failed, ...)


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(_jsonable(value), default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        if isinstance(value, (list, tuple)):
            return [_jsonable(v) for v in value]
        if isinstance(value, dict):
            return {str(k): _jsonable(v) for k, v in value.items()}
        return str(value)


def _raised(info: Any) -> tuple[bool, str | None]:
    """GE's exception_info is either flat or keyed by metric id; (raised?, one-line message)."""
    if not isinstance(info, dict):
        return False, None
    candidates = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for candidate in candidates:
        if candidate.get("raised_exception"):
            text = str(candidate.get("exception_message") or "Great Expectations raised an exception")
            return True, " ".join(text.split())[:300]
    return False, None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(exc).__name__


# -- the runner -----------------------------------------------------------------------------

class ExpectationRunner:
    """A GE ephemeral context with one SQL data source for the warehouse; validates suites.

    `statements` counts every SQL statement GE sends (SQLAlchemy `before_cursor_execute`).
    With `data_docs_dir`, validation results are kept in a filesystem store under it and
    `build_data_docs()` renders the Data Docs site there (several processes may share it).
    """

    def __init__(self, warehouse_url: str | None, *, data_docs_dir: str | Path | None = None) -> None:
        from phasegate.expectations.compat import import_gx

        self.gx = import_gx()
        self.warehouse_url = resolve_url(warehouse_url)
        self.sa_url, self.engine_kwargs = sqlalchemy_engine_args(self.warehouse_url)
        self.data_docs_dir = Path(data_docs_dir).resolve() if data_docs_dir else None
        self.statements = 0
        self._lock = threading.Lock()
        self.context = self._make_context()
        self.datasource = self.context.data_sources.add_sql(
            DATASOURCE, connection_string=self.sa_url, kwargs=self.engine_kwargs)
        self._engine = None

    # A filesystem validation-results store makes Data Docs cover every xdist worker's tables.
    def _make_context(self) -> Any:
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(),
                                   progress_bars=ProgressBarsConfig(globally=False), analytics_enabled=False)
        if self.data_docs_dir is not None:
            store = str(self.data_docs_dir / ".validations")
            config.stores["validation_results_store"] = {
                "class_name": "ValidationResultsStore",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": store}}
            config.validation_results_store_name = "validation_results_store"
            config.data_docs_sites = {"phasegate": {
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                                  "base_directory": str(self.data_docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"}}}
        # get_context (not the class) also makes it GE's active context, which validation needs.
        return self.gx.get_context(project_config=config, mode="ephemeral")

    def _count(self, *_args: Any, **_kwargs: Any) -> None:
        with self._lock:
            self.statements += 1

    def _ensure_listener(self) -> None:
        engine = self.datasource.get_execution_engine().engine
        if engine is not self._engine:
            import sqlalchemy as sa

            sa.event.listen(engine, "before_cursor_execute", self._count)
            prepare_sqlalchemy_engine(engine)
            self._engine = engine

    def validate(self, table: Table, suite: SuiteFile, start: dt.date, end: dt.date) -> TableValidation:
        """Validate one table's suite on [start, end]; never raises for data or query problems."""
        if suite.error or suite.raw is None:
            raise UsageError(suite.error or f"{suite.display}: not loaded")
        gx = self.gx
        columns = [c for rule in suite.rules for c in rule.columns]
        query = window_query(table, columns, start, end)
        expectations = []
        for rule in suite.rules:
            meta = {**rule.meta, "phasegate_case": rule.case_id}
            expectations.append({"type": rule.type, "kwargs": dict(rule.kwargs), "meta": meta})
        suite_name = f"{table.phase}.{table.name}"
        ge_suite = gx.ExpectationSuite(name=suite_name, expectations=expectations,
                                       meta={k: v for k, v in (suite.raw.get("meta") or {}).items()})
        started = time.perf_counter()
        before = self.statements
        try:
            asset_name = f"{table.name}_{start:%Y%m%d}_{end:%Y%m%d}"
            try:
                asset = self.datasource.get_asset(asset_name)
            except LookupError:
                asset = self.datasource.add_query_asset(asset_name, query=query)
            batch_definition = asset.add_batch_definition_whole_table(f"window_{time.monotonic_ns()}")
            self._ensure_listener()
            batch = batch_definition.get_batch()
            result = batch.validate(ge_suite, result_format=RESULT_FORMAT)
        except Exception as exc:  # noqa: BLE001
            error = f"{table.ref}: Great Expectations could not validate the window: {_first_line(exc)}"
            return TableValidation(table=table.name, success=False, outcomes={}, statements=self.statements - before,
                                   duration_s=time.perf_counter() - started, query=query, error=error)
        outcomes = self._outcomes(suite, result)
        self._store(suite_name, result)
        return TableValidation(table=table.name, success=bool(result.success), outcomes=outcomes,
                               statements=self.statements - before, duration_s=time.perf_counter() - started,
                               query=query)

    @staticmethod
    def _outcomes(suite: SuiteFile, result: Any) -> dict[str, RuleOutcome]:
        outcomes: dict[str, RuleOutcome] = {}
        for item in result.results:
            config = item.expectation_config
            case_id = (config.meta or {}).get("phasegate_case")
            if case_id is None:
                continue
            raised, message = _raised(item.exception_info)
            details = item.result or {}
            outcomes[case_id] = RuleOutcome(
                case_id=case_id, success=bool(item.success) and not raised,
                observed_value=details.get("observed_value"), element_count=details.get("element_count"),
                unexpected_count=details.get("unexpected_count"),
                unexpected_percent=details.get("unexpected_percent"),
                partial_unexpected=list(details.get("partial_unexpected_list") or [])[:5],
                exception=message if raised else None)
        for rule in suite.rules:
            outcomes.setdefault(rule.case_id, RuleOutcome(
                case_id=rule.case_id, success=False, exception="Great Expectations returned no result for this rule"))
        return outcomes

    def _store(self, suite_name: str, result: Any) -> None:
        if self.data_docs_dir is None:
            return
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        try:
            run_id = RunIdentifier(run_name="phasegate", run_time=dt.datetime.now(dt.UTC))
            key = ValidationResultIdentifier(expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite_name),
                                             run_id=run_id, batch_identifier=suite_name.replace(".", "_"))
            self.context.validation_results_store.set(key, result)
        except Exception:  # noqa: BLE001, S110
            pass

    def build_data_docs(self) -> Path | None:
        """Render the Data Docs site from every stored result; returns its index.html."""
        if self.data_docs_dir is None:
            return None
        return build_data_docs(self.data_docs_dir, context=self.context)

    def close(self) -> None:
        try:
            engine = self.datasource.get_execution_engine()
            engine.close()
        except Exception:  # noqa: BLE001, S110
            pass
        client = self.engine_kwargs.get("connect_args", {}).get("client")
        if client is not None:  # the adapter's BigQuery client (api_endpoint URLs)
            try:
                client.close()
            except Exception:  # noqa: BLE001, S110
                pass


def build_data_docs(data_docs_dir: str | Path, *, context: Any = None) -> Path | None:
    """Render Data Docs for every validation result stored under `data_docs_dir`."""
    data_docs_dir = Path(data_docs_dir).resolve()
    if not (data_docs_dir / ".validations").is_dir():
        return None
    if context is None:
        from phasegate.expectations.compat import import_gx

        shell = ExpectationRunner.__new__(ExpectationRunner)
        shell.gx = import_gx()
        shell.data_docs_dir = data_docs_dir
        context = shell._make_context()
    try:
        context.build_data_docs(site_names=["phasegate"])
    except Exception:  # noqa: BLE001
        return None
    index = data_docs_dir / "index.html"
    return index if index.is_file() else None

