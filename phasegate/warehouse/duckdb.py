"""DuckDB adapter: the embedded default warehouse. Datasets are DuckDB schemas."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from phasegate.errors import UsageError, WarehouseError
from phasegate.identifiers import check_identifier
from phasegate.warehouse import BeforeCommitFn, Capabilities, Params, Row
from phasegate.warehouse.ledger import LOAD, METADATA, QUERY, Ledger
from phasegate.warehouse.translate import to_duckdb

T = TypeVar("T")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def _on_file(method: Callable[..., T]) -> Callable[..., T]:
    """Run a public method as one operation on the file (see DuckDBWarehouse.detached)."""

    @functools.wraps(method)
    def wrapper(self: DuckDBWarehouse, *args: Any, **kwargs: Any) -> T:
        with self._using():
            return method(self, *args, **kwargs)

    return wrapper


def _a_job(component: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Record a write method's call as one job in the ledger (its args start with dataset, table)."""

    def decorate(method: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(method)
        def wrapper(self: DuckDBWarehouse, dataset: str, table: str, *args: Any, **kwargs: Any) -> T:
            labels = {"component": component, "table": table, **(kwargs.get("labels") or {})}
            with self.ledger.timed(QUERY, labels=labels) as stats:
                stats["bytes_billed"] = 0
                return method(self, dataset, table, *args, **kwargs)

        return wrapper

    return decorate


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# Bytes 8..12 of every DuckDB database file.
MAGIC = b"DUCK"
MAX_PATH_BYTES = 4096


def url_path(url: str) -> str:
    """duckdb:///rel/path and duckdb:////abs/path, like SQLAlchemy URLs -> the path."""
    path = url.removeprefix("duckdb://")
    return path[1:] if path.startswith("/") else path


def check_duckdb_url(url: str, *, create: bool = False) -> str:
    """The file a duckdb:// URL names, checked without opening it (see warehouse.check_url)."""
    path = url_path(url)
    shown = url if len(url) <= 120 else url[:60] + "..." + url[-40:]
    if "?" in path:
        raise UsageError(f"warehouse {shown!r}: a DuckDB URL takes no ?options (the command opens it read-only "
                         "when it only reads)")
    if not path.strip():
        raise UsageError(f"warehouse {shown!r} names no file (try duckdb:///warehouse.duckdb)")
    if path == ":memory:":
        if not create:
            raise UsageError(f"warehouse {shown!r} is a new, empty in-memory warehouse: only `phasegate init` and "
                             "`phasegate demo` create a warehouse")
        return path
    if len(os.fsencode(path)) > MAX_PATH_BYTES:
        raise UsageError(f"warehouse path is {len(path)} characters long: too long to be a file name")
    file = Path(path)
    try:
        if file.is_dir():
            raise UsageError(f"warehouse {shown!r} is a folder, not a DuckDB file")
        if file.exists():
            if not file.is_file():
                raise UsageError(f"warehouse {shown!r} is not a regular file")
            with file.open("rb") as handle:
                if handle.read(12)[8:12] != MAGIC:
                    raise UsageError(f"warehouse {shown!r}: {path} is not a DuckDB database file")
            return path
        parent = file.parent
        if not create:
            raise UsageError(f"warehouse file {path} does not exist; only `phasegate init` and `phasegate demo` "
                             "create a warehouse (check the path or PHASEGATE_WAREHOUSE)")
        if not parent.is_dir():
            raise UsageError(f"warehouse {shown!r}: folder {parent} does not exist (create it first)")
    except OSError as exc:
        raise UsageError(f"warehouse {shown!r}: {exc.strerror or exc}") from None
    return path


# Tables are written by threads of one process, each on its own cursor (DDL is serialized).
MAX_WORKERS = 8


# The gate's read queries measured side by side in threads (one process still): one DuckDB query
# of the gate keeps ~1.15 of 2 cores busy (its CPU/wall), so three at once finish the phase-3
# gate's 15 statements in 2.7 s instead of 3.7 s on 2 cores (bench/bench_gate_speed.py).
GATE_WORKERS = 3


class DuckDBWarehouse:
    dialect = "duckdb"

    def __init__(self, path: str | Path = ":memory:", *, read_only: bool = False) -> None:
        self.path = str(path)
        self.url = f"duckdb:///{self.path}"
        self.read_only = read_only
        self.query_count = 0
        # DuckDB bills nothing and reports no bytes: jobs are recorded with billed 0, processed unknown.
        self.ledger = Ledger(engine="duckdb", bills_bytes=False)
        self._count_lock = threading.Lock()
        if self.path != ":memory:":
            if read_only and not Path(self.path).exists():
                raise WarehouseError(f"warehouse file {self.path} does not exist (run `phasegate demo` or `phasegate init`)")
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._con = self._connect()
        self._local = threading.local()
        # `detached()` hands the file to another process (a command processor): it waits for the
        # operations in flight, closes the connection, and makes every thread reconnect after.
        self._users = 0
        self._detached = False
        self._gate = threading.Condition()
        self._generation = 0
        # DuckDB's catalog is optimistic: two threads creating schemas/tables at once conflict
        # ("Catalog write-write conflict"). DDL is rare and fast, so it is simply serialized.
        self._ddl_lock = threading.Lock()

    @classmethod
    def capabilities_for(cls, url: str) -> Capabilities:
        path = url.partition("://")[2].removeprefix("/").split("?", 1)[0]
        return Capabilities(dialect="duckdb", handover_writes=path != ":memory:", job_labels=False,
                            dry_run_bytes=False, max_workers=MAX_WORKERS, max_run_bytes=None,
                            local_file=None if path == ":memory:" else str(Path(path).resolve()),
                            bills_bytes=False, gate_workers=GATE_WORKERS, on_this_machine=True)

    @property
    def capabilities(self) -> Capabilities:
        return self.capabilities_for(self.url)

    def set_labels(self, **labels: Any) -> None:
        """DuckDB jobs carry no labels (nothing is billed)."""

    @classmethod
    def from_url(cls, url: str, *, read_only: bool = False) -> DuckDBWarehouse:
        path = url_path(url)
        if not path:
            raise UsageError(f"warehouse {url!r} names no file (try duckdb:///warehouse.duckdb)")
        return cls(path, read_only=read_only)

    # -- plumbing -----------------------------------------------------------------------

    def _connect(self) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(self.path, read_only=self.read_only)
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot open DuckDB warehouse {self.path}: {_first_line(exc)}") from None

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        # One cursor per thread: DuckDB connections are not shared across threads.
        cursor = getattr(self._local, "cursor", None)
        if cursor is None or getattr(self._local, "generation", -1) != self._generation:
            cursor = self._con.cursor()
            self._local.cursor = cursor
            self._local.generation = self._generation
        return cursor

    @contextmanager
    def _using(self) -> Iterator[None]:
        """An operation on the file: waits while the file is handed to another process."""
        depth = getattr(self._local, "depth", 0)
        if depth:  # already inside an operation of this thread (e.g. create calls columns)
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth = depth
            return
        with self._gate:
            while self._detached:
                self._gate.wait()
            self._users += 1
        self._local.depth = 1
        try:
            yield
        finally:
            self._local.depth = 0
            with self._gate:
                self._users -= 1
                self._gate.notify_all()

    @contextmanager
    def detached(self) -> Iterator[None]:
        """Let another process write the file: DuckDB allows one writing process at a time.

        Operations of other threads wait until the block ends; nothing is half-done, since
        each operation (a transaction) finishes before the file is released.
        """
        if self.path == ":memory:":
            yield
            return
        with self._gate:
            while self._detached:
                self._gate.wait()
            self._detached = True
            while self._users:
                self._gate.wait()
        try:
            self._con.close()
            yield
        finally:
            try:
                self._con = self._connect()
                self._generation += 1
            finally:
                with self._gate:
                    self._detached = False
                    self._gate.notify_all()

    def _count(self) -> None:
        with self._count_lock:
            self.query_count += 1

    @staticmethod
    def _bind(duck_sql: str, params: Params | None) -> dict[str, Any]:
        wanted = set(_PARAM.findall(duck_sql))
        params = dict(params or {})
        missing = wanted - set(params)
        if missing:
            raise WarehouseError(f"query parameter(s) not given: {', '.join(sorted(missing))}")
        return {k: v for k, v in params.items() if k in wanted}

    def _run(self, cursor: duckdb.DuckDBPyConnection, sql: str, params: Params | None,
             labels: Mapping[str, str] | None = None) -> duckdb.DuckDBPyConnection:
        duck_sql = to_duckdb(sql)
        bound = self._bind(duck_sql, params)
        self._count()
        with self.ledger.timed(QUERY, labels=labels) as stats:
            stats["bytes_billed"] = 0
            try:
                return cursor.execute(duck_sql, bound) if bound else cursor.execute(duck_sql)
            except duckdb.Error as exc:
                raise WarehouseError(f"query failed on DuckDB: {_first_line(exc)}") from None

    # -- the Warehouse protocol ---------------------------------------------------------

    @_on_file
    def query(self, sql: str, params: Params | None = None, *, labels: Mapping[str, str] | None = None) -> list[Row]:
        cursor = self._run(self._cursor(), sql, params, labels)
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @_on_file
    def execute(self, statements: Sequence[str], params: Params | None = None, *,
                labels: Mapping[str, str] | None = None) -> None:
        cursor = self._cursor()
        cursor.execute("BEGIN TRANSACTION")
        try:
            for statement in statements:
                self._run(cursor, statement, params, labels)
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise

    @_on_file
    def tables(self, dataset: str) -> list[str]:
        check_identifier(dataset, "dataset")
        self.ledger.record(METADATA, labels={"component": "tables", "dataset": dataset}, bytes_billed=0)
        rows = self._cursor().execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name",
            [dataset]).fetchall()
        return [r[0] for r in rows]

    @_on_file
    def query_columns(self, sql: str, params: Params | None = None) -> list[str]:
        """The columns a SELECT returns, from its plan (LIMIT 0: no row is computed; a metadata lookup)."""
        self.ledger.record(METADATA, labels={"component": "query_columns"}, bytes_billed=0)
        duck_sql = to_duckdb(sql)
        try:
            cursor = self._cursor().execute(f"SELECT * FROM ({duck_sql}) AS q LIMIT 0", self._bind(duck_sql, params))
        except duckdb.Error as exc:
            raise WarehouseError(f"query failed on DuckDB: {_first_line(exc)}") from None
        return [d[0] for d in cursor.description or []]

    @_on_file
    def columns(self, dataset: str, table: str) -> dict[str, str]:
        check_identifier(dataset, "dataset")
        check_identifier(table, "table")
        self.ledger.record(METADATA, labels={"component": "columns", "table": table}, bytes_billed=0)
        rows = self._cursor().execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position", [dataset, table]).fetchall()
        return {name: dtype for name, dtype in rows}

    @_on_file
    def ensure_dataset(self, dataset: str) -> None:
        check_identifier(dataset, "dataset")
        with self._ddl_lock:
            try:
                self._cursor().execute(f"CREATE SCHEMA IF NOT EXISTS {dataset}")
            except duckdb.Error as exc:
                raise WarehouseError(f"cannot create dataset {dataset}: {_first_line(exc)}") from None

    @_on_file
    @_a_job("create_table")
    def create_table_from_query(self, dataset: str, table: str, select_sql: str, params: Params | None = None, *,
                                partition_column: str | None = None, cluster_by: Sequence[str] = ()) -> bool:
        if self.columns(dataset, table):
            return False
        self.ensure_dataset(dataset)
        duck_sql = to_duckdb(select_sql)
        bound = self._bind(duck_sql, params)
        self._count()
        with self._ddl_lock:
            if self.columns(dataset, table):  # another thread created it meanwhile
                return False
            try:
                self._cursor().execute(
                    f"CREATE TABLE {dataset}.{table} AS SELECT * FROM ({duck_sql}) AS q WHERE FALSE", bound)
            except duckdb.Error as exc:
                raise WarehouseError(f"cannot create {dataset}.{table}: {_first_line(exc)}") from None
        return True

    @_on_file
    @_a_job("replace_range")
    def replace_range(self, dataset: str, table: str, date_column: str, start: dt.date, end: dt.date,
                      select_sql: str, params: Params | None = None, *,
                      labels: Mapping[str, str] | None = None, before_commit: BeforeCommitFn | None = None) -> int:
        for name in (dataset, table, date_column):
            check_identifier(name)
        target = f"{dataset}.{table}"
        duck_sql = to_duckdb(select_sql)
        bound = self._bind(duck_sql, {**(params or {}), "start_date": start, "end_date": end})
        chunk = f"_chunk_{uuid.uuid4().hex}"
        cursor = self._cursor()
        self._count()
        cursor.execute("BEGIN TRANSACTION")
        try:
            cursor.execute(f"CREATE TEMP TABLE {chunk} AS {duck_sql}", bound)
            outside = cursor.execute(
                f"SELECT COUNT(*) FROM {chunk} WHERE {date_column} IS NULL OR {date_column} NOT BETWEEN ? AND ?",
                [start, end]).fetchone()[0]
            if outside:
                raise WarehouseError(
                    f"processor for {target} returned {outside} row(s) outside {start}..{end}; nothing written")
            if before_commit is not None:  # judged inside the transaction, before the table changes
                def beside(sql: str, query_params: Params | None = None) -> list[Row]:
                    ran = self._run(cursor, sql, query_params, {"component": "replace_range_verify", "table": table})
                    names = [d[0] for d in ran.description or []]
                    return [dict(zip(names, row, strict=True)) for row in ran.fetchall()]

                before_commit(chunk, beside)
            cursor.execute(f"DELETE FROM {target} WHERE {date_column} BETWEEN ? AND ?", [start, end])
            cursor.execute(f"INSERT INTO {target} BY NAME SELECT * FROM {chunk}")
            written = cursor.execute(f"SELECT COUNT(*) FROM {chunk}").fetchone()[0]
            cursor.execute(f"DROP TABLE {chunk}")
            cursor.execute("COMMIT")
        except duckdb.Error as exc:
            cursor.execute("ROLLBACK")
            raise WarehouseError(f"replacing {target} {start}..{end} failed: {_first_line(exc)}") from None
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        return int(written)

    @_on_file
    def load_table(self, dataset: str, table: str, data: Any, *, replace: bool = True) -> int:
        check_identifier(table, "table")
        self.ensure_dataset(dataset)
        cursor = self._cursor()
        view = f"_load_{uuid.uuid4().hex}"
        self.ledger.record(LOAD, labels={"component": "load", "table": table}, bytes_billed=0)
        cursor.register(view, data)
        try:
            if replace or not self.columns(dataset, table):
                cursor.execute(f"CREATE OR REPLACE TABLE {dataset}.{table} AS SELECT * FROM {view}")
            else:
                cursor.execute(f"INSERT INTO {dataset}.{table} BY NAME SELECT * FROM {view}")
        except duckdb.Error as exc:
            raise WarehouseError(f"loading {dataset}.{table} failed: {_first_line(exc)}") from None
        finally:
            cursor.unregister(view)
        return int(data.num_rows)

    def dry_run_bytes(self, sql: str, params: Params | None = None) -> int | None:
        to_duckdb(sql)  # still prove the query translates
        return None

    def close(self) -> None:
        cursor = getattr(self._local, "cursor", None)
        if cursor is not None:
            cursor.close()
        self._con.close()

    def __enter__(self) -> DuckDBWarehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- Great Expectations' SQLAlchemy engine on the same file ------------------------------------

def _duckdb_read_only(path: str) -> Any:
    from duckdb_engine import ConnectionWrapper

    return ConnectionWrapper(duckdb.connect(path, read_only=True))


def sqlalchemy_engine_args(url: str) -> tuple[str, dict[str, Any]]:
    """duckdb:///rel.duckdb, duckdb:////abs.duckdb -> duckdb:////ABS/PATH, opened read-only.

    Connected exactly as this adapter connects (read-only, no extra config): DuckDB refuses a
    second connection to one file in one process with a different configuration, and
    duckdb-engine's own connect adds a user-agent setting. The gate's warehouse and GE then
    share the process's database instance.
    """
    rest = url.partition("://")[2]
    path = rest.removeprefix("/").split("?", 1)[0]
    if not path or path == ":memory:":
        raise UsageError(f"warehouse {url!r}: expectations need a DuckDB file, not {path or 'nothing'}")
    file = Path(path).resolve()
    if not file.is_file():
        raise WarehouseError(f"warehouse file {file} does not exist (run `phasegate demo`)")
    return f"duckdb:///{file}", {"creator": functools.partial(_duckdb_read_only, str(file))}
