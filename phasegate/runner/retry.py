"""How failures are met: which are worth another attempt, and which are worth narrowing.

Transient errors (TransientError, or a WarehouseError/ProcessorFailed whose message says
timeout, connection, rate limit, unavailable, conflict...) are retried with exponential,
jittered backoff; SQL and data errors are not.

Of the errors that are not transient, some fail on any date range: the query does not compile
(a syntax error, an unknown column, table or function), the processor cannot start, a usage
error. `fails_on_any_range` names them, so the runner fails fast instead of bisecting a chunk
that no narrower range could fix. Every other error may come from one date's data, and the
runner narrows the chunk down to find the dates that build.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from phasegate.errors import PhasegateError, UsageError, WarehouseError

DEFAULT_RETRIES = 3
DEFAULT_BACKOFF_S = 2.0
MAX_BACKOFF_S = 120.0


class TransientError(WarehouseError):
    """A failure worth retrying: the same request may well succeed in a moment."""


_TRANSIENT = re.compile(
    r"time[d ]?\s?out|timeout|deadline exceeded|connection (reset|refused|aborted|closed|error)|"
    r"could not connect|broken pipe|temporar(il)?y|unavailable|rate ?limit|ratelimitexceeded|too many requests|"
    r"bad gateway|backenderror|internal ?error|try again|retry|concurrent update|"
    r"write-write conflict|transaction conflict|could not serialize|resources exceeded during query execution",
    re.IGNORECASE)


def is_transient(exc: BaseException) -> bool:
    """Transient: worth retrying. SQL errors, data errors and bugs are not.

    HTTP statuses are recognised by their words (429 Too Many Requests, 502 Bad Gateway,
    503 Service Unavailable, 504 Gateway Timeout), never by a bare number: a message such as
    "returned 503 row(s) outside the range" is a data error."""
    if isinstance(exc, TransientError):
        return True
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    if isinstance(exc, PhasegateError) and not isinstance(exc, UsageError):
        return bool(_TRANSIENT.search(str(exc)))
    return False


# Compile-time errors, as DuckDB and BigQuery word them: no range of dates makes these succeed.
_ANY_RANGE = re.compile(
    r"binder error|parser error|catalog error|syntax error|unrecognized name|not found: (table|dataset|column)|"
    r"no matching signature|function not found|cannot start processor|has no (sql )?processor|"
    r"unknown (column|table|function)|shared cte|is not a select",
    re.IGNORECASE)


def fails_on_any_range(exc: BaseException) -> bool:
    """True when no narrower date range could succeed (a query that does not compile, a usage error)."""
    if is_transient(exc):
        return False
    if isinstance(exc, UsageError):
        return True
    return bool(_ANY_RANGE.search(str(exc)))


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = DEFAULT_RETRIES  # attempts after the first
    base_s: float = DEFAULT_BACKOFF_S  # delay before retry k is base * 2**(k-1), jittered
    max_s: float = MAX_BACKOFF_S
    # None: wait, ending early when the run is interrupted (no new attempt starts then)
    sleep: Callable[[float], object] | None = None

    def delay(self, attempt: int) -> float:
        raw = min(self.max_s, self.base_s * 2 ** (attempt - 1))
        return raw * random.uniform(0.8, 1.2)
