"""The window a command looks at: its dates, their parsing and their checks, written once.

Every command, the gate's pytest session and the runner resolve their window here:
`resolve_window(catalog, start, end, schedule=...)` parses what a person typed, fills in the
defaults and refuses what cannot be meant (a reversed window, a date outside the range any
schedule can hold).

Windows are live: the default start is the catalog's `default_start_date`; the default end is
the latest date with a final counted game in the schedule, never after today in the league's
timezone (a catalog `default_end_date` fixes it instead). A bound may also be a word:

    YYYY-MM-DD   that date
    today        today in the league's timezone (America/New_York: a game tipping off at
                 22:30 ET is still today's game at 03:30 UTC)
    yesterday    the day before
    -Nd          N days before today (-0d is today)
    season       the current season's opening night: the latest opening night on or before today

What the schedule says is asked of a `ScheduleFacts` (phasegate.measure.calendar reads it from
the warehouse); this module never touches a warehouse.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from phasegate.errors import UsageError
from phasegate.model.dates import EARLIEST, LATEST

if TYPE_CHECKING:
    from phasegate.model.catalog import Catalog

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# The league's dates are Eastern dates: the schedule's game_date is the tip-off's date in New York.
LEAGUE_TIMEZONE = ZoneInfo("America/New_York")
# At most ten years back: `-4000d` is a typo, not a window.
MAX_DAYS_AGO = 3660
RELATIVE_WORDS = ("today", "yesterday", "season", "-Nd")
_DAYS_AGO = re.compile(r"^-(\d{1,6})d$")


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


def league_today(now: dt.datetime | None = None) -> dt.date:
    """Today in the league's timezone."""
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return now.astimezone(LEAGUE_TIMEZONE).date()


class ScheduleFacts(Protocol):
    """What the window needs to know of the schedule (phasegate.measure.calendar.ScheduleAnchors)."""

    def latest_final_date(self, today: dt.date) -> dt.date | None:
        """The latest date on or before `today` with a final game of a counted season type."""

    def season_opener(self, today: dt.date) -> dt.date | None:
        """The latest regular-season opening night on or before `today`."""


@dataclass(frozen=True)
class Bound:
    """One bound as a person gave it: a date, or a word resolved against today and the schedule."""

    word: str | None = None  # None: a date; else "today" | "yesterday" | "days_ago" | "season"
    day: dt.date | None = None
    days: int = 0

    @property
    def needs_schedule(self) -> bool:
        return self.word == "season"

    def resolve(self, today: dt.date, schedule: ScheduleFacts | None, what: str) -> dt.date:
        if self.word is None:
            assert self.day is not None
            return self.day
        if self.word == "season":
            if schedule is None:
                raise UsageError(f"{what} season needs the schedule (no warehouse to read it from)")
            opener = schedule.season_opener(today)
            if opener is None:
                raise UsageError(f"{what} season: the schedule has no regular-season opening night on or before "
                                 f"{today.isoformat()}")
            return opener
        offset = {"today": 0, "yesterday": 1}.get(self.word, self.days)
        return today - dt.timedelta(days=offset)


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


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
            shown = _shown(text) if isinstance(text, str) else text
            raise UsageError(f"{what} {shown!r} is not a date (expected YYYY-MM-DD)") from None
    if not EARLIEST <= day <= LATEST:
        raise UsageError(f"{what} {day.isoformat()} is outside {EARLIEST.isoformat()}..{LATEST.isoformat()}")
    return day


def parse_bound(value: str | dt.date | Bound, what: str = "date") -> Bound:
    """A window bound: YYYY-MM-DD, today, yesterday, -Nd or season; a bad one is a UsageError (exit 2)."""
    if isinstance(value, Bound):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("today", "yesterday", "season"):
            return Bound(word=text)
        match = _DAYS_AGO.match(text)
        if match:
            days = int(match.group(1))
            if days > MAX_DAYS_AGO:
                raise UsageError(f"{what} {value.strip()!r} is more than {MAX_DAYS_AGO} days ago")
            return Bound(word="days_ago", days=days)
        if text.startswith("-") or (text[:1].isalpha() and text):
            raise UsageError(f"{what} {_shown(value.strip())!r} is not a date (expected YYYY-MM-DD, "
                             "today, yesterday, -Nd or season)")
    return Bound(day=parse_date(value, what))


def check_window(start: dt.date, end: dt.date) -> Window:
    if start > end:
        raise UsageError(f"--start-date {start} is after --end-date {end}")
    return Window(start, end)


def needs_schedule(catalog: Catalog, start: str | dt.date | Bound | None, end: str | dt.date | Bound | None) -> bool:
    """Resolving this window reads the schedule (a live default end, or the word `season`).

    Both bounds are parsed first: a bad one is a usage error before any warehouse is opened."""
    bounds = [parse_bound(b, what) for b, what in ((start, "--start-date"), (end, "--end-date")) if b is not None]
    if end is None and catalog.settings.default_end_date is None:
        return True
    return any(b.needs_schedule for b in bounds)


def resolve_window(catalog: Catalog, start: str | dt.date | Bound | None = None,
                   end: str | dt.date | Bound | None = None, *, dates: Iterable[dt.date] | None = None,
                   schedule: ScheduleFacts | None = None, today: dt.date | None = None) -> Window:
    """The window of a command: given bounds (parsed), else the defaults (see the module docstring).

    With explicit `dates` (a backfill's `--dates`), a bound that was not given widens to cover them.
    `schedule` answers the live default end and `season`; `today` defaults to the league's today.
    """
    start_bound = parse_bound(start, "--start-date") if start is not None else None
    end_bound = parse_bound(end, "--end-date") if end is not None else None
    today = today or league_today()
    start_date = (start_bound.resolve(today, schedule, "--start-date") if start_bound is not None
                  else catalog.settings.default_start_date)
    if end_bound is not None:
        end_date = end_bound.resolve(today, schedule, "--end-date")
    elif catalog.settings.default_end_date is not None:
        end_date = catalog.settings.default_end_date
    else:
        end_date = default_end(catalog, schedule, today)
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


def default_end(catalog: Catalog, schedule: ScheduleFacts | None, today: dt.date) -> dt.date:
    """The latest date with a final counted game, never after today; a catalog default_end_date fixes it."""
    if catalog.settings.default_end_date is not None:
        return catalog.settings.default_end_date
    if schedule is None:
        raise UsageError("the default --end-date is the schedule's latest final game: no warehouse to read it from "
                         "(give --end-date)")
    latest = schedule.latest_final_date(today)
    if latest is None:
        raise UsageError(f"the schedule ({catalog.schedule.ref}) holds no final game of a counted season type on or "
                         f"before {today.isoformat()}: load it, or give --end-date")
    return latest
