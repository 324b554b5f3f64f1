"""Identifier validation: the one rule for every name that is placed in SQL text.

Values always travel as query parameters; identifiers (datasets, tables, columns) cannot, so
they must come from the validated catalog and match this rule. The catalog and the warehouse
adapters both use it, which is why it lives at the ground, below both.
"""

from __future__ import annotations

import re

from phasegate.errors import UsageError

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# BigQuery allows 1024 characters; anything near that is a mistake, not a name.
MAX_IDENTIFIER_LENGTH = 300


def is_identifier(value: object) -> bool:
    return isinstance(value, str) and len(value) <= MAX_IDENTIFIER_LENGTH and bool(IDENTIFIER.match(value))


def check_identifier(value: str, what: str = "identifier") -> str:
    """`value` if it is a plain identifier; ValueError naming `what` otherwise."""
    if not is_identifier(value):
        shown = value if not isinstance(value, str) or len(value) <= 60 else value[:57] + "..."
        raise ValueError(f"{what} {shown!r} is not a plain identifier [A-Za-z_][A-Za-z0-9_]*")
    return value


# Run ids (gate runs `phase3-20261125T180000Z-ab12`, backfill runs alike) name files and folders:
# a value a person types is checked here before it is looked up (no glob, no path, no traversal).
RUN_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
MAX_RUN_ID_LENGTH = 200


def is_run_id(value: object) -> bool:
    return isinstance(value, str) and len(value) <= MAX_RUN_ID_LENGTH and bool(RUN_ID.match(value))


def check_run_id(value: str) -> str:
    """`value` if it can be (a prefix of) a run id; a UsageError (exit 2, one line) otherwise."""
    if not is_run_id(value):
        shown = value if not isinstance(value, str) or len(value) <= 60 else value[:57] + "..."
        raise UsageError(f"{shown!r} is not a run id (letters, digits, '-' and '_', e.g. phase3-20261125T180000Z-ab12)")
    return value
