"""BigQuery adapter: production. The engine's BigQuery SQL runs here as written.

    bigquery://PROJECT[?location=US&maximum_bytes_billed=N&max_run_bytes=N&max_workers=N&chunk_workers=N]
    bigquery://PROJECT?api_endpoint=http://127.0.0.1:PORT      (an emulator; anonymous credentials)

Credentials come from Application Default Credentials, as every Google client does, except
when an `api_endpoint` is given (tests against a local emulator): then AnonymousCredentials.

What this adapter guarantees:

* every value is a query parameter (`ScalarQueryParameter` / `ArrayQueryParameter`, typed
  from the Python value); identifiers come only from the validated catalog;
* every job carries labels (app, command, run id, phase, table, component — sanitized to
  BigQuery's label rules) and `maximum_bytes_billed` (50 GB by default; 0 turns it off);
* `replace_range` stages the processor's rows (a table of their own, refusing rows outside
  the range with `ERROR()`), then swaps them in with ONE multi-statement transaction (BEGIN;
  DELETE range; INSERT staged; COMMIT), so a bad processor writes nothing — the same guard
  as DuckDB. Chunks of one table stage concurrently; their swaps run one at a time per table
  (`Capabilities.chunk_workers`, see replace_range_sql);
* transient failures are retried with the client's own policies (`DEFAULT_RETRY` for API
  calls, `DEFAULT_JOB_RETRY` for jobs); 4xx errors (bad SQL, missing table, access) are not;
* any failure becomes a `WarehouseError` with a one-line message (exit code 3).
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import re
import secrets
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from phasegate.errors import UsageError, WarehouseError
from phasegate.identifiers import check_identifier
from phasegate.warehouse import BeforeCommitFn, Capabilities, Params, Row
from phasegate.warehouse.ledger import LOAD, METADATA, QUERY, Ledger

DEFAULT_MAXIMUM_BYTES_BILLED = 50 * 10**9  # 50 GB per job
# BigQuery runs at most 2 mutating DML statements per table concurrently and queues 20; a run
# writes several tables at once. 4 parallel writers (one per table at a time, see
# replace_range) stays well below the limits while keeping the slots busy.
DEFAULT_MAX_WORKERS = 4
# Chunks of one table staged at once (each a CREATE TABLE AS SELECT into the staging dataset,
# no DML on the table); their swaps are serialized per table. Bounded well below the
# interactive concurrency and the per-table DML queue (20 PENDING mutating statements).
DEFAULT_CHUNK_WORKERS = 4
# Concurrent jobs of one process (queries of the gate run in parallel; interactive limit ~100).
MAX_CONCURRENT_JOBS = 16
# The gate's read queries (a few per table) run side by side: each waits seconds on job latency.
GATE_WORKERS = 8
# A chunk's rows are staged in `_phasegate_staging.<dataset>__<table>_<hex>` (see replace_range_sql):
# a dataset of its own (hidden in BigQuery's console by its leading underscore), never in the
# phase's datasets, whose tables the gate requires to be exactly the catalogued ones.
STAGING_DATASET = "_phasegate_staging"
STAGE_EXPIRATION_HOURS = 24
GUARD_MESSAGE = "phasegate-range-guard: the processor returned a row outside the replaced range"

_PARAM_REF = re.compile(r"(?<![@\w])@([A-Za-z_][A-Za-z0-9_]*)")
# Literals and comments, blanked before looking for @parameters.
_NOT_CODE = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|`[^`]*`|--[^\n]*|#[^\n]*|/\*.*?\*/", re.DOTALL)
_LABEL_KEY = re.compile(r"[^a-z0-9_-]")
_LEGACY_TYPES = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL", "RECORD": "STRUCT"}


def is_loopback_endpoint(endpoint: str | None) -> bool:
    """An api_endpoint on this machine (the emulator): http(s)://localhost|127.x|[::1][:PORT]."""
    if not endpoint:
        return False
    import ipaddress

    try:
        host = urlsplit(endpoint).hostname
    except ValueError:
        return False
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_OPTIONS = {"location", "maximum_bytes_billed", "max_run_bytes", "max_workers", "chunk_workers", "api_endpoint",
            "timeout"}


def _first_line(text: str) -> str:
    text = text.strip()
    return text.splitlines()[0] if text else ""


def describe_error(exc: BaseException) -> str:
    """One line for any client error: BigQuery's own message and reason, no job boilerplate."""
    errors = getattr(exc, "errors", None) or []
    reason = ""
    message = ""
    if errors and isinstance(errors[0], Mapping):
        message = str(errors[0].get("message") or "")
        reason = str(errors[0].get("reason") or "")
    if not message:
        message = str(getattr(exc, "message", "") or exc)
    message = " ".join(_first_line(message).split()) or type(exc).__name__
    code = getattr(exc, "code", None)
    tag = ", ".join(str(x) for x in (code, reason) if x)
    return " ".join((f"{message} ({tag})" if tag else message).split())


# -- parameters ------------------------------------------------------------------------------


def _scalar_type(value: Any) -> str:
    # Order matters: bool is an int, datetime is a date.
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, int):
        return "INT64"
    if isinstance(value, float):
        return "FLOAT64"
    if isinstance(value, decimal.Decimal):
        return "NUMERIC"
    if isinstance(value, str):
        return "STRING"
    if isinstance(value, bytes):
        return "BYTES"
    if isinstance(value, dt.datetime):
        return "TIMESTAMP"
    if isinstance(value, dt.date):
        return "DATE"
    if isinstance(value, dt.time):
        return "TIME"
    raise UsageError(f"cannot send a {type(value).__name__} as a BigQuery query parameter")


def query_parameter(name: str, value: Any) -> Any:
    """A typed BigQuery query parameter for a Python value (lists become arrays)."""
    from google.cloud import bigquery

    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        present = [v for v in items if v is not None]
        element = _scalar_type(present[0]) if present else "STRING"
        for item in present:
            if _scalar_type(item) != element:
                raise UsageError(f"query parameter @{name} mixes {element} and {_scalar_type(item)} values")
        return bigquery.ArrayQueryParameter(name, element, items)
    if value is None:
        return bigquery.ScalarQueryParameter(name, "STRING", None)
    return bigquery.ScalarQueryParameter(name, _scalar_type(value), value)


def strip_comments(sql: str) -> str:
    """The SQL without comments (string literals untouched).

    Queries are sent without their comments: a comment that mentions an @parameter must not
    count as a use of it (the emulator binds those too).
    """
    def keep_literals(m: re.Match[str]) -> str:
        text = m.group(0)
        return text if text[0] in "'\"`" else ("" if text[0] in "-#" else " ")

    return _NOT_CODE.sub(keep_literals, sql)


def referenced_params(sql: str) -> set[str]:
    """Named @parameters a query uses (@@system variables excluded; quotes not parsed)."""
    return set(_PARAM_REF.findall(_NOT_CODE.sub(" ", sql)))


def bind(sql: str, params: Params | None) -> list[Any]:
    """Query parameters for exactly the @names the SQL uses; a missing one is an error."""
    wanted = referenced_params(sql)
    given = dict(params or {})
    missing = wanted - set(given)
    if missing:
        raise WarehouseError(f"query parameter(s) not given: {', '.join(sorted(missing))}")
    return [query_parameter(name, given[name]) for name in sorted(wanted)]


# -- labels ----------------------------------------------------------------------------------


def job_statistics(job: Any) -> dict[str, int | None]:
    """A finished query job's bytes, as BigQuery reports them (None where it reports nothing)."""
    stats: dict[str, int | None] = {}
    for name in ("total_bytes_processed", "total_bytes_billed"):
        value = getattr(job, name, None) if job is not None else None
        stats[name.removeprefix("total_")] = int(value) if isinstance(value, int) else None
    return stats


def sanitize_label(text: Any, *, key: bool = False) -> str:
    """BigQuery label rules: lowercase letters, digits, '_' and '-', at most 63 characters;
    keys start with a letter."""
    value = _LABEL_KEY.sub("_", str(text).strip().lower())[:63]
    if key and (not value or not value[0].isalpha()):
        value = ("k" + value)[:63]
    return value


def job_labels(*layers: Mapping[str, Any] | None) -> dict[str, str]:
    labels: dict[str, str] = {}
    for layer in layers:
        for k, v in (layer or {}).items():
            if v is None:
                continue
            labels[sanitize_label(k, key=True)] = sanitize_label(v)
    return dict(list(labels.items())[:64])


def _command_label() -> str | None:
    prog = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    if prog == "phasegate" or prog.endswith("phasegate/__main__.py") or prog == "__main__.py":
        args = [a for a in sys.argv[1:] if not a.startswith("-")]
        return args[0] if args else None
    return None


# -- schema ----------------------------------------------------------------------------------


def _arrow_field(field: Any) -> Any:
    import pyarrow as pa
    from google.cloud import bigquery

    t = field.type
    mode = "NULLABLE"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        mode = "REPEATED"
        t = t.value_type
    if pa.types.is_struct(t):
        return bigquery.SchemaField(field.name, "RECORD", mode=mode,
                                    fields=[_arrow_field(t.field(i)) for i in range(t.num_fields)])
    if pa.types.is_boolean(t):
        kind = "BOOL"
    elif pa.types.is_integer(t):
        kind = "INT64"
    elif pa.types.is_floating(t):
        kind = "FLOAT64"
    elif pa.types.is_decimal(t):
        kind = "NUMERIC" if t.precision <= 38 and t.scale <= 9 else "BIGNUMERIC"
    elif pa.types.is_string(t) or pa.types.is_large_string(t):
        kind = "STRING"
    elif pa.types.is_binary(t) or pa.types.is_large_binary(t):
        kind = "BYTES"
    elif pa.types.is_date(t):
        kind = "DATE"
    elif pa.types.is_timestamp(t):
        kind = "TIMESTAMP" if t.tz else "DATETIME"
    elif pa.types.is_time(t):
        kind = "TIME"
    elif pa.types.is_null(t):
        kind = "STRING"
    else:
        raise UsageError(f"column {field.name!r}: Arrow type {t} has no BigQuery load mapping")
    return bigquery.SchemaField(field.name, kind, mode=mode)


def bigquery_schema(arrow_schema: Any) -> list[Any]:
    """BigQuery schema for an Arrow schema (naive timestamps are DATETIME, aware TIMESTAMP)."""
    return [_arrow_field(f) for f in arrow_schema]


def _type_name(field: Any) -> str:
    kind = _LEGACY_TYPES.get(field.field_type, field.field_type)
    if kind == "STRUCT":
        kind = "STRUCT<" + ", ".join(f"{f.name} {_type_name(f)}" for f in field.fields) + ">"
    return f"ARRAY<{kind}>" if field.mode == "REPEATED" else kind


def _schema_signature(schema: Sequence[Any]) -> list[tuple[str, str]]:
    return [(f.name, _type_name(f)) for f in schema]


def _quote(name: str) -> str:
    return f"`{check_identifier(name)}`"


PROJECT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}")


def parse_bigquery_url(url: str) -> tuple[str, dict[str, Any]]:
    """bigquery://PROJECT[?options] -> (project, constructor options); a bad one is a UsageError."""
    shown = url if len(url) <= 120 else url[:60] + "..." + url[-40:]
    parts = urlsplit(url)
    if parts.scheme != "bigquery" or not parts.netloc or parts.path not in ("", "/"):
        raise UsageError(f"warehouse {shown!r} is not bigquery://PROJECT[?location=..&maximum_bytes_billed=N]")
    if not PROJECT_ID.fullmatch(parts.netloc):
        raise UsageError(f"warehouse project {parts.netloc[:80]!r} is not a BigQuery project id")
    raw = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(raw) - _OPTIONS
    if unknown:
        raise UsageError(f"warehouse {shown!r}: unknown option(s) {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(sorted(_OPTIONS))})")
    kwargs: dict[str, Any] = {}
    for name in ("maximum_bytes_billed", "max_run_bytes", "max_workers", "chunk_workers"):
        if name in raw:
            try:
                kwargs[name] = int(raw[name])
            except ValueError:
                raise UsageError(f"warehouse {shown!r}: {name} must be an integer") from None
            if kwargs[name] < 0:
                raise UsageError(f"warehouse {shown!r}: {name} must be >= 0")
    if "timeout" in raw:
        try:
            kwargs["timeout"] = float(raw["timeout"])
        except ValueError:
            raise UsageError(f"warehouse {shown!r}: timeout must be a number of seconds") from None
        if not 0 < kwargs["timeout"] < float("inf"):
            raise UsageError(f"warehouse {shown!r}: timeout must be a positive, finite number of seconds")
    for name in ("location", "api_endpoint"):
        if raw.get(name):
            kwargs[name] = raw[name]
    return parts.netloc, kwargs


def check_bigquery_url(url: str) -> str:
    """A bigquery:// URL that names a project with known options (nothing is opened)."""
    parse_bigquery_url(url)
    return url


class BigQueryWarehouse:
    dialect = "bigquery"

    def __init__(self, project: str, *, location: str | None = None,
                 maximum_bytes_billed: int | None = DEFAULT_MAXIMUM_BYTES_BILLED,
                 max_run_bytes: int | None = None, max_workers: int = DEFAULT_MAX_WORKERS,
                 chunk_workers: int = DEFAULT_CHUNK_WORKERS, api_endpoint: str | None = None, timeout: float | None = None,
                 labels: Mapping[str, str] | None = None, client: Any = None) -> None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:\-]*", project or ""):
            raise UsageError(f"warehouse project {project!r} is not a BigQuery project id")
        self.project = project
        self.location = location
        self.maximum_bytes_billed = maximum_bytes_billed or None
        # The per-run cap (phasegate.warehouse.cost.check_run_budget): defaults to the per-job cap.
        self.max_run_bytes = max_run_bytes if max_run_bytes is not None else self.maximum_bytes_billed
        self.max_workers = max(1, int(max_workers))
        self.chunk_workers = max(1, int(chunk_workers))
        self.api_endpoint = api_endpoint
        self.timeout = timeout
        query = {k: v for k, v in (("location", location), ("api_endpoint", api_endpoint)) if v}
        self.url = f"bigquery://{project}" + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        self.query_count = 0
        self.bytes_processed = 0  # bytes reported by finished query jobs (benchmarks read it)
        self.ledger = Ledger(engine="bigquery", bills_bytes=True)
        self.default_labels: dict[str, str] = job_labels({"app": "phasegate", "command": _command_label()},
                                                         labels)
        self._lock = threading.Lock()
        self._jobs = threading.BoundedSemaphore(MAX_CONCURRENT_JOBS)
        self._table_locks: dict[str, threading.Lock] = {}
        self._staging_ready = False
        self._staging_lock = threading.Lock()
        self._client = client if client is not None else self._make_client()

    @classmethod
    def capabilities_for(cls, url: str) -> Capabilities:
        """What a bigquery:// URL can do, from its options (nothing is opened)."""
        parts = urlsplit(url)
        raw = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            job_cap = int(raw.get("maximum_bytes_billed", DEFAULT_MAXIMUM_BYTES_BILLED)) or None
            run_cap = int(raw["max_run_bytes"]) if "max_run_bytes" in raw else job_cap
            workers = max(1, int(raw.get("max_workers", DEFAULT_MAX_WORKERS)))
            chunk_workers = max(1, int(raw.get("chunk_workers", DEFAULT_CHUNK_WORKERS)))
        except ValueError:
            raise UsageError(f"warehouse {url!r}: byte caps and max_workers must be integers") from None
        return Capabilities(dialect="bigquery", handover_writes=False, job_labels=True, dry_run_bytes=True,
                            max_workers=workers, max_run_bytes=run_cap or None, bills_bytes=True,
                            gate_workers=GATE_WORKERS, chunk_workers=chunk_workers,
                            on_this_machine=is_loopback_endpoint(raw.get("api_endpoint")))

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(dialect="bigquery", handover_writes=False, job_labels=True, dry_run_bytes=True,
                            max_workers=self.max_workers, max_run_bytes=self.max_run_bytes or None, bills_bytes=True,
                            gate_workers=GATE_WORKERS, chunk_workers=self.chunk_workers,
                            on_this_machine=is_loopback_endpoint(self.api_endpoint))

    @contextmanager
    def detached(self) -> Iterator[None]:
        """Nothing to hand over: BigQuery takes writers from anywhere."""
        yield

    @classmethod
    def from_url(cls, url: str, **options: Any) -> BigQueryWarehouse:
        project, kwargs = parse_bigquery_url(url)
        options.pop("read_only", None)
        return cls(project, **{**kwargs, **options})

    # -- plumbing -----------------------------------------------------------------------

    def _make_client(self) -> Any:
        from google.cloud import bigquery

        try:
            if self.api_endpoint:
                from google.api_core.client_options import ClientOptions
                from google.auth.credentials import AnonymousCredentials

                return bigquery.Client(project=self.project, location=self.location,
                                       credentials=AnonymousCredentials(),
                                       client_options=ClientOptions(api_endpoint=self.api_endpoint))
            return bigquery.Client(project=self.project, location=self.location)
        except Exception as exc:  # noqa: BLE001 - DefaultCredentialsError and friends: one clear line
            raise WarehouseError(
                f"cannot connect to BigQuery project {self.project}: {describe_error(exc)} "
                "(run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS)") from None

    @property
    def client(self) -> Any:
        return self._client

    def set_labels(self, **labels: Any) -> None:
        """Labels added to every later job (the runner and gate set run_id and phase)."""
        self.default_labels = job_labels(self.default_labels, labels)

    def _retry(self) -> Any:
        from google.cloud.bigquery.retry import DEFAULT_RETRY

        return DEFAULT_RETRY.with_deadline(self.timeout) if self.timeout else DEFAULT_RETRY

    def _job_retry(self) -> Any:
        from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY

        return DEFAULT_JOB_RETRY.with_deadline(self.timeout) if self.timeout else DEFAULT_JOB_RETRY

    def job_config(self, sql: str, params: Params | None = None, *, labels: Mapping[str, Any] | None = None,
                   dry_run: bool = False) -> Any:
        """The QueryJobConfig every query is sent with (unit tests inspect it)."""
        from google.cloud import bigquery

        config = bigquery.QueryJobConfig(
            query_parameters=bind(sql, params),
            labels=job_labels(self.default_labels, labels),
            use_legacy_sql=False,
        )
        if self.maximum_bytes_billed:
            config.maximum_bytes_billed = self.maximum_bytes_billed
        if dry_run:
            config.dry_run = True
            config.use_query_cache = False
        return config

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        from google.api_core import exceptions as api_exceptions

        try:
            yield
        except WarehouseError:
            raise
        except api_exceptions.GoogleAPIError as exc:
            raise WarehouseError(f"{what}: {describe_error(exc)}") from None
        except (OSError, TimeoutError) as exc:  # connection refused, reset, DNS, timeouts
            raise WarehouseError(f"{what}: BigQuery unreachable: {describe_error(exc)}") from None
        except Exception as exc:
            if type(exc).__module__.startswith(("google.", "requests", "urllib3")):
                raise WarehouseError(f"{what}: {describe_error(exc)}") from None
            raise

    def _count(self, job: Any = None) -> None:
        with self._lock:
            self.query_count += 1
            processed = getattr(job, "total_bytes_processed", None) if job is not None else None
            if isinstance(processed, int):
                self.bytes_processed += processed

    def _run(self, sql: str, params: Params | None, labels: Mapping[str, Any] | None, what: str) -> tuple[Any, Any]:
        """Run one query job to completion; returns (job, row iterator)."""
        sql = strip_comments(sql)
        config = self.job_config(sql, params, labels=labels)
        job = None
        with self.ledger.timed(QUERY, labels=labels) as stats:
            try:
                with self._jobs, self._errors(what):
                    job = self._client.query(sql, job_config=config, location=self.location, retry=self._retry(),
                                             job_retry=self._job_retry(), timeout=self.timeout)
                    rows = job.result(retry=self._retry(), timeout=self.timeout)
            except BaseException:
                # BigQuery bills no query that returns an error; what it reports is kept anyway.
                stats.update(job_statistics(job))
                stats["bytes_billed"] = stats["bytes_billed"] or 0
                raise
            stats.update(job_statistics(job))
        self._count(job)
        return job, rows

    def _table_lock(self, ref: str) -> threading.Lock:
        with self._lock:
            return self._table_locks.setdefault(ref, threading.Lock())

    def _get_table(self, dataset: str, table: str) -> Any | None:
        from google.api_core.exceptions import NotFound

        check_identifier(dataset, "dataset")
        check_identifier(table, "table")
        self.ledger.record(METADATA, labels={"component": "columns", "table": table}, bytes_billed=0)
        with self._errors(f"cannot read table {dataset}.{table}"):
            try:
                return self._client.get_table(f"{self.project}.{dataset}.{table}", retry=self._retry())
            except NotFound:
                return None

    # -- the Warehouse protocol ---------------------------------------------------------

    def query(self, sql: str, params: Params | None = None, *, labels: Mapping[str, str] | None = None) -> list[Row]:
        _, rows = self._run(sql, params, labels, "query failed on BigQuery")
        with self._errors("reading query results failed"):
            return [dict(row.items()) for row in rows]

    def execute(self, statements: Sequence[str], params: Params | None = None, *,
                labels: Mapping[str, str] | None = None) -> None:
        body = [s.strip().rstrip(";").strip() for s in statements]
        body = [s for s in body if s]
        if not body:
            return
        script = ";\n".join(["BEGIN TRANSACTION", *body, "COMMIT TRANSACTION"]) + ";"
        self._run(script, params, labels, "transaction failed on BigQuery (rolled back)")

    def tables(self, dataset: str) -> list[str]:
        from google.api_core.exceptions import NotFound

        check_identifier(dataset, "dataset")
        self.ledger.record(METADATA, labels={"component": "tables", "dataset": dataset}, bytes_billed=0)
        with self._errors(f"cannot list tables of {dataset}"):
            try:
                return sorted(t.table_id for t in self._client.list_tables(f"{self.project}.{dataset}",
                                                                            retry=self._retry()))
            except NotFound:
                return []

    def columns(self, dataset: str, table: str) -> dict[str, str]:
        found = self._get_table(dataset, table)
        return {} if found is None else dict(_schema_signature(found.schema))

    def table_info(self, dataset: str, table: str) -> dict[str, Any] | None:
        """Partitioning, clustering and size of a table (None if it does not exist)."""
        found = self._get_table(dataset, table)
        if found is None:
            return None
        partitioning = found.time_partitioning
        return {
            "partition_column": getattr(partitioning, "field", None),
            "partition_type": getattr(partitioning, "type_", None),
            "cluster_by": list(found.clustering_fields or []),
            "num_rows": found.num_rows,
            "num_bytes": found.num_bytes,
        }

    def ensure_dataset(self, dataset: str) -> None:
        from google.cloud import bigquery

        check_identifier(dataset, "dataset")
        ds = bigquery.Dataset(f"{self.project}.{dataset}")
        if self.location:
            ds.location = self.location
        with self._errors(f"cannot create dataset {dataset}"):
            self._client.create_dataset(ds, exists_ok=True, retry=self._retry())

    def result_schema(self, select_sql: str, params: Params | None = None) -> list[Any]:
        """The SELECT's result schema: from a (free) dry run, else from a LIMIT 0 query."""
        select_sql = strip_comments(select_sql)
        config = self.job_config(select_sql, params, labels={"component": "schema"}, dry_run=True)
        with self._jobs, self._errors("cannot read the query's result schema"):
            job = self._client.query(select_sql, job_config=config, location=self.location, retry=self._retry())
            schema = list(job.schema or [])
        if schema:
            return schema
        probe = f"SELECT * FROM (\n{_strip(select_sql)}\n) LIMIT 0"
        _, rows = self._run(probe, params, {"component": "schema"}, "cannot read the query's result schema")
        return list(rows.schema or [])

    def query_columns(self, sql: str, params: Params | None = None) -> list[str]:
        columns = [field.name for field in self.result_schema(sql, params)]
        if not columns:  # never "compare nothing": a query that returns no columns is an error
            raise WarehouseError("cannot read the query's result columns: BigQuery returned none")
        return columns

    def create_table_from_query(self, dataset: str, table: str, select_sql: str, params: Params | None = None, *,
                                partition_column: str | None = None, cluster_by: Sequence[str] = ()) -> bool:
        from google.cloud import bigquery

        check_identifier(dataset, "dataset")
        check_identifier(table, "table")
        if self._get_table(dataset, table) is not None:
            return False
        self.ensure_dataset(dataset)
        schema = self.result_schema(select_sql, params)
        if not schema:
            raise WarehouseError(f"cannot create {dataset}.{table}: its query returns no columns")
        types = dict(_schema_signature(schema))
        new = bigquery.Table(f"{self.project}.{dataset}.{table}", schema=schema)
        if partition_column:
            check_identifier(partition_column, "partition column")
            if types.get(partition_column) not in ("DATE", "TIMESTAMP", "DATETIME"):
                raise WarehouseError(f"cannot create {dataset}.{table}: partition column {partition_column!r} is "
                                     f"{types.get(partition_column, 'missing')}, not a DATE/TIMESTAMP column")
            new.time_partitioning = bigquery.TimePartitioning(type_=bigquery.TimePartitioningType.DAY,
                                                              field=partition_column)
        clustering = [c for c in cluster_by if types.get(c) in _CLUSTERABLE][:4]
        if clustering:
            new.clustering_fields = clustering
        with self._errors(f"cannot create {dataset}.{table}"):
            self._client.create_table(new, exists_ok=True, retry=self._retry())
        return True

    def replace_range(self, dataset: str, table: str, date_column: str, start: dt.date, end: dt.date,
                      select_sql: str, params: Params | None = None, *,
                      labels: Mapping[str, str] | None = None, before_commit: BeforeCommitFn | None = None) -> int:
        for name in (dataset, table, date_column):
            check_identifier(name)
        target = f"{dataset}.{table}"
        existing = self._get_table(dataset, table)
        if existing is None:
            raise WarehouseError(f"replacing {target} {start}..{end} failed: table {target} does not exist "
                                 "(run `phasegate init`)")
        columns = [f.name for f in existing.schema]
        if date_column not in columns:
            raise WarehouseError(f"replacing {target} {start}..{end} failed: {target} has no column {date_column!r}")
        stage = self._stage_name(dataset, table)
        stage_sql, swap_sql = replace_range_sql(target, date_column, columns, select_sql, stage=stage)
        all_params = {**(params or {}), "start_date": start, "end_date": end, "phasegate_guard": GUARD_MESSAGE}
        what = f"replacing {target} {start}..{end} failed"
        try:
            # 1. the rows, into a staging table of their own: chunks of one table stage side by side
            try:
                self._run(stage_sql, all_params, {"component": "replace_range_stage", "table": table,
                                                  **(labels or {})}, what)
            except WarehouseError as exc:
                if "phasegate-range-guard" in str(exc):
                    raise WarehouseError(f"processor for {target} returned row(s) outside {start}..{end} "
                                         "(or with no date); nothing written") from None
                raise
            # the staged rows judged before anything of the table changes (whatever it raises, nothing is swapped in)
            if before_commit is not None:
                before_commit(stage, lambda sql, query_params=None: self.query(
                    sql, query_params, labels={"component": "replace_range_verify", "table": table, **(labels or {})}))
            # 2. the swap, one transaction, one at a time per table: transactions that mutate the same
            # table cannot run concurrently on BigQuery (the later one is cancelled).
            with self._table_lock(target):
                _, rows = self._run(swap_sql, all_params, {"component": "replace_range", "table": table,
                                                           **(labels or {})}, what)
                with self._errors(f"replacing {target} {start}..{end}: reading the row count failed"):
                    result = [dict(r.items()) for r in rows]
                written = result[0]["rows_written"] if result else None
                if written is None:  # an engine that does not return a script's last result
                    written = self.query(f"SELECT COUNT(*) AS n FROM {target} WHERE {date_column} BETWEEN "
                                         "@start_date AND @end_date", {"start_date": start, "end_date": end},
                                         labels={"component": "replace_range_count", "table": table,
                                                 **(labels or {})})[0]["n"]
        finally:
            self._drop_stage(stage, table)
        return int(written)

    def _stage_name(self, dataset: str, table: str) -> str:
        """A fresh staging table in the hidden staging dataset (created once per adapter)."""
        with self._staging_lock:
            if not self._staging_ready:
                self.ensure_dataset(STAGING_DATASET)
                self._staging_ready = True
        return f"{STAGING_DATASET}.{dataset}__{table}_{secrets.token_hex(4)}"

    def _drop_stage(self, stage: str, table: str) -> None:
        """Drop a staging table (free); one left behind by a killed run expires on its own."""
        try:
            self._run(f"DROP TABLE IF EXISTS {stage}", None, {"component": "replace_range_drop", "table": table},
                      f"dropping {stage}")
        except WarehouseError:
            pass

    def load_table(self, dataset: str, table: str, data: Any, *, replace: bool = True,
                   partition_column: str | None = None, cluster_by: Sequence[str] = ()) -> int:
        """Load an Arrow table through a load job (Parquet through a file object: faithful types)."""
        import pyarrow.parquet as pq
        from google.cloud import bigquery

        check_identifier(table, "table")
        self.ensure_dataset(dataset)
        schema = bigquery_schema(data.schema)
        existing = self._get_table(dataset, table)
        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.PARQUET,
            schema=schema,
            write_disposition="WRITE_TRUNCATE" if replace else "WRITE_APPEND",
            labels=job_labels(self.default_labels, {"component": "load", "table": table}),
        )
        config.parquet_options = bigquery.ParquetOptions()
        config.parquet_options.enable_list_inference = True
        partition = partition_column or (existing.time_partitioning.field
                                         if existing is not None and existing.time_partitioning else None)
        clustering = list(cluster_by) or (list(existing.clustering_fields or []) if existing is not None else [])
        if partition:
            config.time_partitioning = bigquery.TimePartitioning(type_=bigquery.TimePartitioningType.DAY,
                                                                 field=check_identifier(partition))
        if clustering:
            config.clustering_fields = [check_identifier(c) for c in clustering[:4]]
        ref = f"{self.project}.{dataset}.{table}"
        if existing is not None and replace and _schema_signature(existing.schema) != _schema_signature(schema):
            # A different shape: start the table afresh (WRITE_TRUNCATE would keep the old schema's columns).
            with self._errors(f"loading {dataset}.{table} failed"):
                self._client.delete_table(ref, not_found_ok=True, retry=self._retry())
        buffer = io.BytesIO()
        pq.write_table(data, buffer)
        buffer.seek(0)
        # Load jobs are free on BigQuery (billed 0); their input size is the job's output_bytes.
        with self.ledger.timed(LOAD, labels={"component": "load", "table": table}) as stats, self._jobs, \
                self._errors(f"loading {dataset}.{table} failed"):
            stats["bytes_billed"] = 0
            job = self._client.load_table_from_file(buffer, ref, job_config=config, rewind=True,
                                                    location=self.location)
            job.result(retry=self._retry(), timeout=self.timeout)
        return int(data.num_rows)

    def dry_run_bytes(self, sql: str, params: Params | None = None) -> int | None:
        sql = strip_comments(sql)
        config = self.job_config(sql, params, labels={"component": "dry_run"}, dry_run=True)
        with self._jobs, self._errors("dry run failed on BigQuery"):
            job = self._client.query(sql, job_config=config, location=self.location, retry=self._retry())
        return int(job.total_bytes_processed or 0)

    def close(self) -> None:
        close = getattr(self._client, "close", None)
        if callable(close):
            close()

    def __enter__(self) -> BigQueryWarehouse:  # noqa: PYI034 - same shape as DuckDBWarehouse
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_CLUSTERABLE = {"STRING", "INT64", "DATE", "TIMESTAMP", "DATETIME", "BOOL", "NUMERIC", "BIGNUMERIC", "GEOGRAPHY"}


def _strip(select_sql: str) -> str:
    return select_sql.strip().rstrip(";").rstrip()


def replace_range_sql(target: str, date_column: str, columns: Sequence[str], select_sql: str, *,
                      stage: str) -> tuple[str, str]:
    """(stage, swap): the two jobs that replace a date range of `target` by a processor's rows.

    The stage job computes the processor's rows into a staging table of their own (expiring
    after a day, should a killed run leave it behind), before anything of `target` changes: a
    processor that reads its own table sees the old rows, as on DuckDB, and any row outside
    @start_date..@end_date (or with no date) hits ERROR(), so the stage fails and nothing is
    written. Stages do not touch `target`, so the chunks of one table stage concurrently.

    The swap job is ONE transaction: DELETE the range, INSERT the staged rows, COMMIT; its
    result (the last SELECT) is the number of rows written. Transactions that mutate one table
    conflict on BigQuery, so the adapter runs one swap per table at a time. The INSERT names the
    table's columns, so the SELECT's column order does not matter; the DELETE filters the
    partition column alone, with parameters, so BigQuery prunes to the range's partitions.
    """
    cols = [_quote(c) for c in columns]
    select_list = ",\n  ".join(
        f"IF(q.{c} BETWEEN @start_date AND @end_date, q.{c}, ERROR(@phasegate_guard)) AS {c}"
        if name == date_column else f"q.{c}"
        for name, c in zip(columns, cols, strict=True))
    stage_sql = (
        f"CREATE TABLE {stage}\nOPTIONS (expiration_timestamp = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), "
        f"INTERVAL {STAGE_EXPIRATION_HOURS} HOUR)) AS\nSELECT\n  {select_list}\nFROM (\n{_strip(select_sql)}\n) AS q"
    )
    swap_sql = (
        "BEGIN TRANSACTION;\n"
        f"DELETE FROM {target} WHERE {_quote(date_column)} BETWEEN @start_date AND @end_date;\n"
        f"INSERT INTO {target} ({', '.join(cols)})\nSELECT {', '.join(cols)} FROM {stage};\n"
        "COMMIT TRANSACTION;\n"
        f"SELECT COUNT(*) AS rows_written FROM {stage};"
    )
    return stage_sql, swap_sql


# -- Great Expectations' SQLAlchemy engine on the same project ---------------------------------

# sqlalchemy-bigquery understands these URL options; the rest of our URL options are ours.
_BIGQUERY_URL_OPTIONS = ("location", "maximum_bytes_billed", "credentials_path", "priority",
                         "use_query_cache", "dataset_id", "arraysize", "list_tables_page_size")


def sqlalchemy_engine_args(url: str) -> tuple[str, dict[str, Any]]:
    """bigquery://PROJECT?location=US&maximum_bytes_billed=N -> sqlalchemy-bigquery, same options.

    Application Default Credentials are found by the dialect; the adapter's 50 GB per-job cap
    applies when the URL sets none, no cap with maximum_bytes_billed=0. With an api_endpoint (a
    local emulator) the dialect runs on this adapter's own client (see `_on_adapter_client`).
    """
    import urllib.parse

    rest = url.partition("://")[2]
    project, _, query = rest.partition("?")
    project = project.strip("/")
    if not project:
        raise UsageError(f"warehouse {url!r} names no GCP project (bigquery://PROJECT)")
    pairs = urllib.parse.parse_qsl(query)
    if any(k == "api_endpoint" and v for k, v in pairs):
        return _on_adapter_client(url, project)
    options = {k: v for k, v in pairs if k in _BIGQUERY_URL_OPTIONS}
    options.setdefault("maximum_bytes_billed", str(DEFAULT_MAXIMUM_BYTES_BILLED))
    if options["maximum_bytes_billed"].strip() in ("0", ""):
        del options["maximum_bytes_billed"]
    suffix = f"?{urllib.parse.urlencode(options)}" if options else ""
    return f"bigquery://{project}{suffix}", {}


def _on_adapter_client(url: str, project: str) -> tuple[str, dict[str, Any]]:
    """sqlalchemy-bigquery on the client the BigQuery adapter builds for this URL.

    With an `api_endpoint` (a local emulator) the adapter's client talks to that endpoint with
    AnonymousCredentials. The dialect would build its own client from Application Default
    Credentials in `create_connect_args` (even with `creator=`); `user_supplied_client=true`
    makes it take ours from `connect_args` instead. Our client's default job config carries the
    adapter's labels and `maximum_bytes_billed`, since the dialect's URL options are not read
    for a supplied client.
    """
    warehouse = BigQueryWarehouse.from_url(url)
    client = warehouse.client
    client.default_query_job_config = warehouse.job_config("SELECT 1", labels={"component": "expectations"})
    return f"bigquery://{project}?user_supplied_client=true", {"connect_args": {"client": client}}


def fix_boolean_arrays(dialect: Any) -> None:
    """Let this sqlalchemy-bigquery dialect bind a list of booleans (`col IN UNNEST(@p)`).

    The dialect sends `col IN (...)` as one ARRAY parameter, but SQLAlchemy's Boolean bind
    processor then receives the whole list and raises `TypeError: unhashable type: 'list'`
    before anything reaches BigQuery (googleapis/python-bigquery-sqlalchemy#489, open), so
    `expect_column_values_to_be_in_set` on a BOOL column could never be evaluated. This
    engine's dialect (the instance, not the class) gets a Boolean that processes each element.
    """
    import sqlalchemy as sa

    class ArrayAwareBoolean(sa.Boolean):
        cache_ok = True

        def bind_processor(self, dialect: Any) -> Any:
            process = super().bind_processor(dialect)
            if process is None:
                return None

            def each(value: Any) -> Any:
                return [process(v) for v in value] if isinstance(value, (list, tuple)) else process(value)

            return each

    dialect.colspecs = {**type(dialect).colspecs, sa.Boolean: ArrayAwareBoolean}
