"""The window a command looks at: its dates, their parsing and their checks, written once.

Every command, the gate's pytest session and the runner resolve their window here:
`resolve_window(catalog, start, end)` gives the catalog's default where a bound is not given,
parses what a person typed, and refuses what cannot be meant (a reversed window, a date
outside the range any schedule can hold).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from phasegate.errors import UsageError
from phasegate.model.dates import EARLIEST, LATEST

if TYPE_CHECKING:
    from phasegate.model.catalog import Catalog

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date

    def __iter__(self):  # start, end = window
        return iter((self.start, self.end))

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def parse_date(value: str | dt.date, what: str = "date") -> dt.date:
    """An ISO date given by a person; a bad one is a UsageError (exit 2), never a traceback."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        day = value
    else:
        text = value.strip() if isinstance(value, str) else value
        if not text:
            raise UsageError(f"{what} is empty (expected YYYY-MM-DD)")
        try:
            if not ISO_DATE.fullmatch(text):  # fromisoformat also takes 20240101 and 2024-W01-1
                raise ValueError(text)
            day = dt.date.fromisoformat(text)
        except (TypeError, ValueError):
            shown = text if not isinstance(text, str) or len(text) <= 40 else text[:37] + "..."
            raise UsageError(f"{what} {shown!r} is not a date (expected YYYY-MM-DD)") from None
    if not EARLIEST <= day <= LATEST:
        raise UsageError(f"{what} {day.isoformat()} is outside {EARLIEST.isoformat()}..{LATEST.isoformat()}")
    return day


def check_window(start: dt.date, end: dt.date) -> Window:
    if start > end:
        raise UsageError(f"--start-date {start} is after --end-date {end}")
    return Window(start, end)


def resolve_window(catalog: Catalog, start: str | dt.date | None = None, end: str | dt.date | None = None, *,
                   dates: Iterable[dt.date] | None = None) -> Window:
    """The window of a command: given bounds (parsed), else the catalog's defaults.

    With explicit `dates` (a backfill's `--dates`), a bound that was not given widens to cover them.
    """
    start_date = parse_date(start, "--start-date") if start is not None else catalog.settings.default_start_date
    end_date = parse_date(end, "--end-date") if end is not None else catalog.settings.default_end_date
    wanted = sorted(dates or ())
    if wanted:
        if start is None:
            start_date = min(start_date, wanted[0])
        if end is None:
            end_date = max(end_date, wanted[-1])
        outside = [day for day in wanted if not start_date <= day <= end_date]
        if outside:
            raise UsageError(f"--dates names {len(outside)} date(s) outside --start-date..--end-date "
                             f"{start_date}..{end_date} (first: {outside[0]})")
    return check_window(start_date, end_date)
