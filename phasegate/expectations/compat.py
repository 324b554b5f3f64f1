"""Great Expectations on DuckDB: the two gaps and the shim that closes them.

GE 1.x has no DuckDB support (upstream issues #10738, #11579). Through duckdb-engine:

1. Connection persistence. GE hands a SQLAlchemy result back after returning its connection
   to the pool; duckdb-engine then drops the pending rows and every metric fails with
   `MetricResolutionError: list index out of range`. GE keeps one persistent connection for
   some dialects (`_PERSISTED_CONNECTION_DIALECTS`: sqlite, mssql, bigquery, databricks);
   adding duckdb there makes every metric work.
2. Regex dialect. GE leaves `dialect_module` unset for dialects it does not know, so regex
   expectations raise "Regex is not supported for dialect duckdb". duckdb-engine's dialect is
   PostgreSQL-flavoured and DuckDB understands PostgreSQL's `~` / `!~` operators, so the
   PostgreSQL dialect module is the right one to hand GE.

`install()` is idempotent and only touches what upstream still lacks; `uninstalled()`
restores GE's originals (the sentinel test uses it to prove the gaps still exist — when that
test fails, upstream fixed them and this module can go).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any

DUCKDB = "duckdb"
_lock = threading.Lock()
_state: dict[str, Any] = {"installed": False}


class _DialectName(str):
    """A dialect name GE's persisted-connection check accepts: `in` compares as a string,
    `.value` is read by `str.startswith(dialect.value)`."""

    @property
    def value(self) -> str:  # GXSqlDialect-like
        return str(self)


def import_gx() -> ModuleType:
    """Import Great Expectations quietly (it is slow: 2-4 s; call only when expectations run)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx
    for name in ("great_expectations", "great_expectations.expectations.metrics",
                 "great_expectations.execution_engine", "great_expectations.validator"):
        logging.getLogger(name).setLevel(logging.ERROR)
    install()
    return gx


def _engine_module() -> ModuleType:
    from great_expectations.execution_engine import sqlalchemy_execution_engine

    return sqlalchemy_execution_engine


def persistence_gap_open() -> bool:
    """True while GE does not keep a persistent connection for duckdb by itself."""
    module = _engine_module()
    names = _state.get("original_dialects", module._PERSISTED_CONNECTION_DIALECTS)
    return not any(str(getattr(d, "value", d)).lower() == DUCKDB for d in names)


def install() -> None:
    """Close both gaps (idempotent, thread-safe)."""
    with _lock:
        if _state["installed"]:
            return
        module = _engine_module()
        engine_cls = module.SqlAlchemyExecutionEngine
        _state["original_dialects"] = module._PERSISTED_CONNECTION_DIALECTS
        _state["original_init"] = engine_cls.__init__
        if persistence_gap_open():
            module._PERSISTED_CONNECTION_DIALECTS = (*module._PERSISTED_CONNECTION_DIALECTS, _DialectName(DUCKDB))
        original_init = engine_cls.__init__

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            original_init(self, *args, **kwargs)
            if self.dialect_name == DUCKDB and getattr(self, "dialect_module", None) is None:
                from sqlalchemy.dialects import postgresql

                self.dialect_module = postgresql

        engine_cls.__init__ = __init__
        _state["installed"] = True


def uninstall() -> None:
    with _lock:
        if not _state["installed"]:
            return
        module = _engine_module()
        module._PERSISTED_CONNECTION_DIALECTS = _state["original_dialects"]
        module.SqlAlchemyExecutionEngine.__init__ = _state["original_init"]
        _state["installed"] = False


@contextlib.contextmanager
def uninstalled() -> Iterator[None]:
    """GE exactly as upstream ships it, for the duration (the sentinel test)."""
    was = _state["installed"]
    uninstall()
    try:
        yield
    finally:
        if was:
            install()


def is_installed() -> bool:
    return bool(_state["installed"])
