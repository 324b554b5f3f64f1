"""Errors that carry their meaning as an exit code.

The CLI turns any PhasegateError into its one-line message and exit code; nothing else in
the engine decides how a process ends.
"""

from __future__ import annotations

EXIT_GO = 0
EXIT_NO_GO = 1
EXIT_USAGE = 2
EXIT_CANNOT_VALIDATE = 3


class PhasegateError(Exception):
    """Base class: a user-facing, one-line problem."""

    exit_code = EXIT_USAGE


class UsageError(PhasegateError):
    """Bad input from the person at the keyboard (dates, table names, options)."""

    exit_code = EXIT_USAGE


class CatalogError(PhasegateError):
    """pipeline.toml or exceptions.toml is malformed or inconsistent."""

    exit_code = EXIT_USAGE


class WarehouseError(PhasegateError):
    """A query failed, a table is missing, the warehouse is unreachable: we cannot validate."""

    exit_code = EXIT_CANNOT_VALIDATE


class NoGo(PhasegateError):
    """The data is not fit: checks failed, an upstream phase is NO-GO, a backfill failed."""

    exit_code = EXIT_NO_GO
