"""BigQuery Standard SQL -> DuckDB: the one translation function.

sqlglot does the transpiling with `unsupported_level=RAISE`, so a construct DuckDB cannot
run fails loudly instead of slipping through. On top of it we fix the silent drifts that
sqlglot leaves (see reference/stack-notes.md): constructs that run on DuckDB but answer
differently from BigQuery.

Translating a gate's statements costs sqlglot about a second of CPU, and the SQL text is the
same from run to run (values are parameters), so translations are also kept on disk
(`PHASEGATE_CACHE_DIR`, default ~/.cache/phasegate), keyed by the SQL and by the translator
itself (sqlglot's version and this file's source): a change to either is a new key.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from phasegate.errors import WarehouseError

if TYPE_CHECKING:
    from sqlglot import exp

# sqlglot is imported only to translate (a translation found on disk needs none of it).

# FORMAT_DATE('%e') is rewritten by sqlglot's parser to '%-d', which loses BigQuery's leading
# space; the pattern is gone after parsing, so it is detected on the text.
_FORMAT_E = re.compile(r"FORMAT_(DATE|TIMESTAMP|DATETIME)\s*\(\s*(['\"])[^'\"]*%e", re.IGNORECASE)


class TranslationError(WarehouseError):
    """The query uses something the DuckDB translation cannot run faithfully."""


def _fix_drift(node: exp.Expression) -> exp.Expression:
    from sqlglot import exp

    # BigQuery: DAYOFWEEK 1 = Sunday .. 7 = Saturday; DuckDB: 0 = Sunday.
    if isinstance(node, exp.Extract) and node.name.upper() == "DAYOFWEEK":
        return exp.paren(exp.Add(this=node.copy(), expression=exp.Literal.number(1)), copy=False)
    # BigQuery's COUNTIF over no true input is 0; DuckDB's COUNT_IF over only NULLs (or no rows) is NULL.
    if isinstance(node, exp.Window) and isinstance(node.this, exp.CountIf) and not _is_coalesced(node):
        return exp.Coalesce(this=node.copy(), expressions=[exp.Literal.number(0)])
    if isinstance(node, exp.CountIf) and not isinstance(node.parent, exp.Window) and not _is_coalesced(node):
        return exp.Coalesce(this=node.copy(), expressions=[exp.Literal.number(0)])
    # ARRAY_AGG(x ORDER BY y LIMIT n): DuckDB has no LIMIT inside an aggregate; slicing the
    # ordered list gives the same first n elements.
    agg = node.this if isinstance(node, exp.IgnoreNulls) else node
    if (isinstance(agg, exp.ArrayAgg) and isinstance(agg.this, exp.Limit)
            and not (node is agg and isinstance(node.parent, exp.IgnoreNulls))):
        limit = agg.this
        sliced = node.copy()
        (sliced.this if isinstance(sliced, exp.IgnoreNulls) else sliced).set("this", limit.this.copy())
        return exp.Anonymous(this="LIST_SLICE", expressions=[sliced, exp.Literal.number(1), limit.expression.copy()])
    # FARM_FINGERPRINT (the data fingerprint's row hash) has no DuckDB function: DuckDB's hash() as a
    # signed INT64. Of TO_JSON_STRING(row), the row itself is hashed: DuckDB's JSON text of a
    # TIMESTAMPTZ follows the session's time zone, and the fingerprint must not.
    if isinstance(node, exp.FarmFingerprint):
        value = node.expressions[0]
        value = value.this if isinstance(value, exp.JSONFormat) else value
        hashed = exp.cast(exp.Anonymous(this="HASH", expressions=[value.copy()]), exp.DataType.build("HUGEINT"))
        signed = exp.Sub(this=hashed, expression=exp.Literal.number(2 ** 63))
        return exp.cast(exp.paren(signed, copy=False), exp.DataType.build("BIGINT"))
    # BigQuery's DATE_ADD/DATE_SUB/DATE_TRUNC take and return DATE; DuckDB returns TIMESTAMP.
    if isinstance(node, (exp.DateAdd, exp.DateSub, exp.DateTrunc)) and not isinstance(node.parent, exp.Cast):
        return exp.cast(node.copy(), exp.DataType.build("DATE"))
    return node


def _is_coalesced(node: exp.Expression) -> bool:
    from sqlglot import exp

    return isinstance(node.parent, exp.Coalesce) and node.parent.this is node


CACHE_ENV = "PHASEGATE_CACHE_DIR"


@lru_cache(maxsize=1)
def _translator_key() -> str:
    from importlib.metadata import version

    source = Path(__file__).read_bytes()
    return hashlib.sha256(version("sqlglot").encode() + b"\0" + source).hexdigest()[:16]


def cache_dir() -> Path | None:
    """Where translations are kept on disk; None when PHASEGATE_CACHE_DIR is set to "off"."""
    configured = os.environ.get(CACHE_ENV)
    if configured == "off":
        return None
    base = Path(configured) if configured else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "phasegate"
    return base / "duckdb-sql" / _translator_key()


def _cache_path(sql: str) -> Path | None:
    folder = cache_dir()
    return None if folder is None else folder / f"{hashlib.sha256(sql.encode()).hexdigest()}.sql"


@lru_cache(maxsize=512)
def to_duckdb(sql: str) -> str:
    """Translate BigQuery Standard SQL (one or more statements) to DuckDB SQL (cached, see the module doc)."""
    path = _cache_path(sql)
    if path is not None:
        try:
            return path.read_text()
        except OSError:
            pass
    translated = _translate(sql)
    if path is not None:
        try:  # atomic: a reader never sees half a translation; an unwritable cache only costs time
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
                tmp.write(translated)
            os.replace(tmp.name, path)
        except OSError:
            pass
    return translated


def _translate(sql: str) -> str:
    import sqlglot
    from sqlglot import ErrorLevel
    from sqlglot.errors import ParseError, SqlglotError

    if _FORMAT_E.search(sql):
        raise TranslationError("FORMAT_DATE('%e') has no faithful DuckDB equivalent; use '%d'")
    try:
        statements = sqlglot.parse(sql, read="bigquery")
    except ParseError as exc:
        raise TranslationError(f"not valid BigQuery SQL: {_first_line(exc)}") from None
    out = []
    for statement in statements:
        if statement is None:
            continue
        fixed = statement.transform(_fix_drift)
        try:
            out.append(fixed.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE))
        except SqlglotError as exc:
            raise TranslationError(f"BigQuery SQL not supported on DuckDB: {_first_line(exc)}") from None
    return ";\n".join(out)


def parse_bigquery(sql: str) -> list[exp.Expression]:
    """Parse BigQuery SQL (used to validate processors and to find the tables they read)."""
    import sqlglot
    from sqlglot.errors import ParseError

    try:
        return [s for s in sqlglot.parse(sql, read="bigquery") if s is not None]
    except ParseError as exc:
        raise TranslationError(f"not valid BigQuery SQL: {_first_line(exc)}") from None


def referenced_tables(sql: str) -> set[str]:
    """`dataset.table` names a query reads (CTE names excluded)."""
    from sqlglot import exp

    names: set[str] = set()
    for statement in parse_bigquery(sql):
        ctes = {cte.alias_or_name for cte in statement.find_all(exp.CTE)}
        for table in statement.find_all(exp.Table):
            if table.db and table.name not in ctes:
                names.add(f"{table.db}.{table.name}")
    return names


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
