"""The warehouse boundary: a narrow protocol, and `open_warehouse(url)` to pick an adapter.

Only modules in this package import a warehouse client library. The engine speaks BigQuery
Standard SQL everywhere; each adapter runs it as its engine requires.

URLs:
    duckdb:///path/to/file.duckdb      (default: duckdb:///warehouse.duckdb)
    duckdb:///:memory:
    bigquery://PROJECT[?location=US&maximum_bytes_billed=N]
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from phasegate.errors import UsageError
from phasegate.warehouse.ledger import Ledger

DEFAULT_URL = "duckdb:///warehouse.duckdb"
ENV_VAR = "PHASEGATE_WAREHOUSE"

Params = Mapping[str, Any]
Row = dict[str, Any]
# `replace_range`'s check of the staged rows: (staged relation, query beside it) -> anything; it
# raises to refuse the swap (phasegate.runner.staged.BeforeCommit).
StagedQuery = Callable[[str, Params], list[Row]]
BeforeCommitFn = Callable[[str, StagedQuery], Any]


@dataclass(frozen=True)
class Capabilities:
    """What a warehouse can do, declared by its adapter so no caller probes or branches on a URL.

    dialect              "duckdb" | "bigquery": the SQL the adapter runs (the engine writes BigQuery SQL)
    handover_writes      another process may write only after the adapter lets go of the file
                         (`Warehouse.detached()`: DuckDB allows one writing process)
    job_labels           jobs carry cost labels (`Warehouse.set_labels`)
    dry_run_bytes        the adapter can estimate bytes before running (`Warehouse.dry_run_bytes`)
    max_workers          concurrent writers the engine may use (BigQuery's DML limits; 1 writer file)
    max_run_bytes        the per-run byte cap (None: no notion of cost, or no cap)
    local_file           the warehouse is a file on this machine (None otherwise)
    bills_bytes          jobs are billed by bytes and report them (`Warehouse.ledger`); False: nothing billed
    gate_workers         concurrent read queries worth running (BigQuery: latency-bound jobs, in threads;
                         DuckDB: a few, as one gate query does not keep every core busy)
    chunk_workers        chunks of ONE table a backfill builds at once (BigQuery: each chunk stages its
                         rows on its own, the swaps into the table run one at a time, as BigQuery
                         cancels concurrent transactions on one table; DuckDB: 1, one writer)
    on_this_machine      the warehouse lives here (a DuckDB file, BigQuery's local emulator): writing demo
                         data cannot reach a shared project
    """

    dialect: str
    handover_writes: bool
    job_labels: bool
    dry_run_bytes: bool
    max_workers: int
    max_run_bytes: int | None = None
    local_file: str | None = None
    bills_bytes: bool = False
    gate_workers: int = 1
    chunk_workers: int = 1
    on_this_machine: bool = False


@runtime_checkable
class Warehouse(Protocol):
    """What the engine needs from a warehouse, and nothing more."""

    url: str
    dialect: str  # "duckdb" | "bigquery"
    query_count: int  # queries sent since opened (benchmarks and tests read it)
    capabilities: Capabilities
    ledger: Ledger  # every job run since opened, with its bytes (phasegate.warehouse.ledger)

    def detached(self) -> AbstractContextManager[None]:
        """Let another process write meanwhile (a command processor); a no-op where not needed."""

    def set_labels(self, **labels: Any) -> None:
        """Labels added to every later job (run id, phase, command); ignored where jobs carry none."""

    def query(self, sql: str, params: Params | None = None, *, labels: Mapping[str, str] | None = None) -> list[Row]:
        """Run one BigQuery-SQL query with named @parameters; return its (small) result."""

    def execute(self, statements: Sequence[str], params: Params | None = None, *,
                labels: Mapping[str, str] | None = None) -> None:
        """Run statements in one transaction: all or nothing."""

    def tables(self, dataset: str) -> list[str]:
        """Names of the tables in a dataset ([] if the dataset does not exist)."""

    def columns(self, dataset: str, table: str) -> dict[str, str]:
        """Column name -> type of a table ({} if it does not exist)."""

    def query_columns(self, sql: str, params: Params | None = None) -> list[str]:
        """The columns a SELECT returns, without computing its rows (a plan; a dry run)."""

    def ensure_dataset(self, dataset: str) -> None:
        """Create the dataset (schema) if it is missing."""

    def create_table_from_query(self, dataset: str, table: str, select_sql: str, params: Params | None = None, *,
                                partition_column: str | None = None, cluster_by: Sequence[str] = ()) -> bool:
        """Create an empty table with the result schema of a SELECT; False if it already existed."""

    def replace_range(self, dataset: str, table: str, date_column: str, start: dt.date, end: dt.date,
                      select_sql: str, params: Params | None = None, *,
                      labels: Mapping[str, str] | None = None, before_commit: BeforeCommitFn | None = None) -> int:
        """Atomically replace rows with date_column in [start, end] by the SELECT's rows.

        The rows are staged first; `before_commit(staged, query)` is called with the staged
        relation's name and a function running BigQuery SQL beside it (same transaction or
        session), before anything of the table changes: whatever it raises aborts the replace.
        Returns the number of rows written. A failure leaves the previous rows untouched.
        """

    def load_table(self, dataset: str, table: str, data: Any, *, replace: bool = True) -> int:
        """Load an Arrow table (replacing the table when `replace`). Returns rows loaded."""

    def dry_run_bytes(self, sql: str, params: Params | None = None) -> int | None:
        """Bytes a query would scan, or None where the engine has no such notion."""

    def close(self) -> None: ...


def resolve_url(url: str | None) -> str:
    """The URL given, else $PHASEGATE_WAREHOUSE, else the default. A variable set but empty is
    a usage error, never "the default": a mistyped variable must not open another warehouse."""
    if url is not None:
        return url
    env = os.environ.get(ENV_VAR)
    if env is not None:
        if not env.strip():
            raise UsageError(f"{ENV_VAR} is set but empty (unset it or give a warehouse URL)")
        return env
    return DEFAULT_URL


def absolute_url(url: str) -> str:
    """The same warehouse named so that another process, in another folder, finds it.

    A relative DuckDB path means "relative to where the person typed the command"; processes
    the engine starts (the gate's pytest, command processors) run elsewhere, so they get the
    absolute path.
    """
    scheme, sep, rest = url.partition("://")
    if scheme != "duckdb" or not sep:
        return url
    path = rest[1:] if rest.startswith("/") else rest
    if not path or path == ":memory:" or os.path.isabs(path):
        return url
    return f"duckdb:///{os.path.abspath(path)}"


def shown_url(url: str) -> str:
    return url if len(url) <= 120 else url[:60] + "..." + url[-40:]


def check_url(url: str, *, create: bool = False) -> str:
    """A warehouse URL this package can open, naming a warehouse that exists; nothing is opened.

    Every mistake is a usage error (exit 2) found here, before anything is written: an empty
    value, an unknown scheme, a DuckDB path that is a folder, not a DuckDB file, or does not
    exist. Only `create=True` (`phasegate init`, `phasegate demo`) accepts a DuckDB file that
    does not exist yet — in an existing folder: a mistyped path never becomes a new warehouse.
    """
    if not isinstance(url, str) or not url.strip():
        raise UsageError("the warehouse URL is empty (try duckdb:///warehouse.duckdb or bigquery://PROJECT)")
    try:
        url.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"warehouse {shown_url(url)!r} is not valid UTF-8") from None
    if not url.isprintable():
        raise UsageError(f"warehouse {shown_url(url)!r} contains control characters")
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise UsageError(f"warehouse {shown_url(url)!r} is not a URL (try duckdb:///warehouse.duckdb or bigquery://PROJECT)")
    if scheme == "duckdb":
        from phasegate.warehouse.duckdb import check_duckdb_url

        check_duckdb_url(url, create=create)
    elif scheme == "bigquery":
        from phasegate.warehouse.bigquery import check_bigquery_url

        check_bigquery_url(url)
    else:
        raise UsageError(f"warehouse scheme {shown_url(scheme)!r} is not supported (use duckdb:// or bigquery://)")
    return url


def new_local_file(url: str | None) -> str | None:
    """The file a DuckDB URL names if it does not exist yet (init and demo say they create it)."""
    local = capabilities_of(check_url(resolve_url(url), create=True)).local_file
    return local if local is not None and not os.path.exists(local) else None


def capabilities_of(url: str | None) -> Capabilities:
    """The capabilities of the warehouse a URL names, without opening it (nor asking it exists)."""
    url = check_url(resolve_url(url), create=True)
    if url.startswith("duckdb://"):
        from phasegate.warehouse.duckdb import DuckDBWarehouse

        return DuckDBWarehouse.capabilities_for(url)
    from phasegate.warehouse.bigquery import BigQueryWarehouse

    return BigQueryWarehouse.capabilities_for(url)


def sqlalchemy_engine_args(url: str | None) -> tuple[str, dict[str, Any]]:
    """(SQLAlchemy URL, create_engine kwargs) reaching the same warehouse, for Great Expectations."""
    url = check_url(resolve_url(url))
    if url.startswith("duckdb://"):
        from phasegate.warehouse.duckdb import sqlalchemy_engine_args as duckdb_args

        return duckdb_args(url)
    from phasegate.warehouse.bigquery import sqlalchemy_engine_args as bigquery_args

    return bigquery_args(url)


def prepare_sqlalchemy_engine(engine: Any) -> None:
    """Dialect fixes an engine needs before Great Expectations uses it (see the adapters)."""
    if engine.dialect.name == "bigquery":
        from phasegate.warehouse.bigquery import fix_boolean_arrays

        fix_boolean_arrays(engine.dialect)


def open_warehouse(url: str | None = None, *, read_only: bool = False, create: bool = False,
                   **options: Any) -> Warehouse:
    """Open the warehouse named by `url`, the PHASEGATE_WAREHOUSE variable, or the default.

    It must exist (see `check_url`); `create=True` is for the commands that make one (init, demo).
    """
    url = check_url(resolve_url(url), create=create)
    if url.startswith("duckdb://"):
        from phasegate.warehouse.duckdb import DuckDBWarehouse

        return DuckDBWarehouse.from_url(url, read_only=read_only)
    from phasegate.warehouse.bigquery import BigQueryWarehouse

    return BigQueryWarehouse.from_url(url, **options)
