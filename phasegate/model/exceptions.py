"""Documented exceptions (`exceptions.toml`): approved gaps that leave the coverage denominator.

An entry names one catalogued table and the dates (single dates or `A..B` ranges) and/or
games (system ids `YYYYMMDD_AWAY_HOME`) that are knowingly absent, with the reason, the
approver and an expiry date::

    [[exceptions]]
    table = "team_defense_game_summary"
    dates = ["2022-01-03", "2022-01-05..2022-01-09"]
    games = ["20220201_LAL_DEN"]
    reason = "box scores never published for these games (NBA.com ticket 1234)"
    approved_by = "Jane Doe"
    expires = 2026-06-30

Two kinds of problems, treated differently on purpose:

* a *malformed* file (not TOML, unknown fields, a bad date, an unknown table) is a
  configuration error: `ExceptionsError`, one line, exit code 2 — nothing runs;
* a *well-formed but invalid* entry (no reason, no approver, no expiry, or past its expiry)
  is never applied and is reported against its table by the gate as a failing case (NO-GO):
  an unapproved gap must not pass silently, and must not block unrelated tables' loading.

The backfill runner uses the same loader: `Exceptions.for_table(name)` gives the valid
dates/games to leave alone.

`phasegate exceptions suggest PHASE` proposes entries for the gaps no backfill can fill
(`Proposal`, `render_proposals`, `append_proposals`): with the measured evidence as the reason,
and `approved_by = ""`, `expires = ""` — well-formed, not applied, and failing the gate until a
person fills them in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from phasegate.errors import CatalogError
from phasegate.model.catalog import Catalog, check_path_text, read_text_file, shown_path

DEFAULT_PATH = "exceptions.toml"
GAME_ID = re.compile(r"^\d{8}_[A-Z]{3}_[A-Z]{3}$")
FIELDS = {"table", "dates", "games", "reason", "approved_by", "expires"}
MAX_RANGE_DAYS = 3660


class ExceptionsError(CatalogError):
    """exceptions.toml is malformed (exit code 2)."""


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@dataclass(frozen=True)
class ExceptionEntry:
    """One `[[exceptions]]` entry, parsed; `index` is its 1-based position in the file."""

    index: int
    table: str
    dates: tuple[dt.date, ...]
    date_specs: tuple[str, ...]
    games: tuple[str, ...]
    reason: str | None
    approved_by: str | None
    expires: dt.date | None

    def problems(self, today: dt.date | None = None) -> list[str]:
        """Why this entry cannot be applied ([] when it is valid today)."""
        today = today or _today()
        out = []
        if not self.reason:
            out.append("no reason")
        if not self.approved_by:
            out.append("no approved_by")
        if self.expires is None:
            out.append("no expires date")
        elif self.expires < today:
            out.append(f"expired on {self.expires.isoformat()}")
        return out

    def describe(self) -> str:
        what = [*self.date_specs, *self.games]
        shown = ", ".join(what[:4]) + (f" (+{len(what) - 4} more)" if len(what) > 4 else "")
        return f"exception #{self.index} ({self.table}: {shown or 'nothing'})"

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "dates": [d.isoformat() for d in self.dates], "games": list(self.games),
                "reason": self.reason, "approved_by": self.approved_by,
                "expires": self.expires.isoformat() if self.expires else None}


@dataclass(frozen=True)
class TableExceptions:
    """The exceptions of one table: what applies, and what is invalid."""

    table: str
    dates: frozenset[dt.date] = frozenset()
    games: frozenset[str] = frozenset()
    applied: tuple[ExceptionEntry, ...] = ()
    invalid: tuple[tuple[ExceptionEntry, str], ...] = ()

    def invalid_messages(self) -> list[str]:
        return [f"{entry.describe()} is not applied: {problem} — fix or remove it in exceptions.toml"
                for entry, problem in self.invalid]


@dataclass(frozen=True)
class Exceptions:
    path: Path | None
    entries: tuple[ExceptionEntry, ...] = ()
    fingerprint: str = "0" * 12
    today: dt.date = field(default_factory=_today)

    def for_table(self, table: str) -> TableExceptions:
        applied, invalid = [], []
        dates: set[dt.date] = set()
        games: set[str] = set()
        for entry in self.entries:
            if entry.table != table:
                continue
            problems = entry.problems(self.today)
            if problems:
                invalid.append((entry, "; ".join(problems)))
                continue
            applied.append(entry)
            dates.update(entry.dates)
            games.update(entry.games)
        return TableExceptions(table, frozenset(dates), frozenset(games), tuple(applied), tuple(invalid))


def _parse_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ExceptionsError(f"{where}: {value!r} is not a date (YYYY-MM-DD)")


def _expand_dates(values: Iterable[Any], where: str) -> tuple[tuple[dt.date, ...], tuple[str, ...]]:
    out: list[dt.date] = []
    specs: list[str] = []
    for value in values:
        if isinstance(value, str) and ".." in value:
            first_text, _, last_text = value.partition("..")
            first, last = _parse_date(first_text, where), _parse_date(last_text, where)
            if first > last or (last - first).days > MAX_RANGE_DAYS:
                raise ExceptionsError(f"{where}: date range {value!r} is empty or longer than ten years")
            out.extend(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
            specs.append(f"{first.isoformat()}..{last.isoformat()}")
        else:
            day = _parse_date(value, where)
            out.append(day)
            specs.append(day.isoformat())
    return tuple(sorted(set(out))), tuple(specs)


def _text(value: Any, where: str, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ExceptionsError(f"{where}: field {name!r} must be a string")
    return value.strip() or None


def load_exceptions(path: str | Path | None, catalog: Catalog | None = None, *,
                    today: dt.date | None = None, required: bool = False) -> Exceptions:
    """Load and validate exceptions.toml. A missing default file means no exceptions.

    Raises ExceptionsError (exit 2) on anything malformed; invalid-but-well-formed entries are
    kept and reported through `Exceptions.for_table(...).invalid`.
    """
    today = today or _today()
    if path is None:
        path = Path(catalog.root / DEFAULT_PATH) if catalog is not None else Path(DEFAULT_PATH)
        required = False
    path = check_path_text(path, "exceptions file", ExceptionsError)
    if not required and not path.exists() and not path.is_symlink():
        return Exceptions(None, (), "0" * 12, today)
    text = read_text_file(path, "exceptions file", ExceptionsError)
    data = text.encode("utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExceptionsError(f"{shown_path(path)}: not valid TOML: {exc}") from None
    unknown = set(raw) - {"exceptions"}
    if unknown:
        raise ExceptionsError(f"{path}: unknown top-level key(s): {', '.join(sorted(unknown))} "
                              "(entries are [[exceptions]] tables)")
    items = raw.get("exceptions", [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ExceptionsError(f"{path}: 'exceptions' must be an array of tables ([[exceptions]])")
    entries = []
    for index, item in enumerate(items, start=1):
        where = f"{path}: exception #{index}"
        extra = set(item) - FIELDS
        if extra:
            raise ExceptionsError(f"{where}: unknown field(s): {', '.join(sorted(extra))}")
        table = item.get("table")
        if not isinstance(table, str) or not table:
            raise ExceptionsError(f"{where}: field 'table' is required")
        if catalog is not None and table not in catalog.tables:
            raise ExceptionsError(f"{where}: unknown table {table!r} (not in {catalog.path})")
        raw_dates = item.get("dates", [])
        raw_games = item.get("games", [])
        if not isinstance(raw_dates, list) or not isinstance(raw_games, list):
            raise ExceptionsError(f"{where}: 'dates' and 'games' must be arrays")
        dates, specs = _expand_dates(raw_dates, where)
        for game in raw_games:
            if not isinstance(game, str) or not GAME_ID.match(game):
                raise ExceptionsError(f"{where}: game {game!r} is not a system id YYYYMMDD_AWAY_HOME")
        if not dates and not raw_games:
            raise ExceptionsError(f"{where}: names no dates and no games")
        expires = item.get("expires")
        if isinstance(expires, str) and not expires.strip():
            expires = None  # left empty for a person to fill in (a suggested entry): not applied
        entries.append(ExceptionEntry(
            index=index, table=table, dates=dates, date_specs=specs, games=tuple(raw_games),
            reason=_text(item.get("reason"), where, "reason"),
            approved_by=_text(item.get("approved_by"), where, "approved_by"),
            expires=None if expires is None else _parse_date(expires, f"{where}: field 'expires'"),
        ))
    return Exceptions(path, tuple(entries), hashlib.sha256(data).hexdigest()[:12], today)


@dataclass(frozen=True)
class Proposal:
    """A suggested entry: a table's unfillable dates or games, and the evidence."""

    table: str
    dates: tuple[str, ...] = ()  # "YYYY-MM-DD" or "A..B" (folded over game dates: every game date in it is a gap)
    games: tuple[str, ...] = ()
    reason: str = ""


def _toml_string(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def render_proposals(proposals: Iterable[Proposal]) -> str:
    """exceptions.toml text for the proposals: approver and expiry left for a person to fill in."""
    blocks = []
    for p in proposals:
        lines = ["[[exceptions]]", f"table = {_toml_string(p.table)}"]
        if p.dates:
            lines.append(f"dates = [{', '.join(_toml_string(d) for d in p.dates)}]")
        if p.games:
            lines.append(f"games = [{', '.join(_toml_string(g) for g in p.games)}]")
        lines += [f"reason = {_toml_string(p.reason)}",
                  'approved_by = ""  # who approves this gap: the entry is not applied until filled in',
                  'expires = ""      # YYYY-MM-DD: when it must be looked at again']
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def append_proposals(path: str | Path, proposals: Iterable[Proposal], catalog: Catalog | None = None) -> int:
    """Append the proposals to exceptions.toml (created if missing); the result must still load."""
    proposals = list(proposals)
    if not proposals:
        return 0
    path = Path(path)
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    text = before + ("\n" if before and not before.endswith("\n") else "") + ("\n" if before else "") + \
        render_proposals(proposals)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        load_exceptions(tmp, catalog, required=True)  # never leave a file the gate cannot read
    except ExceptionsError:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)
    return len(proposals)


def listed(exceptions: Exceptions, table: str) -> tuple[set[dt.date], set[str]]:
    """Dates and games some entry of the table names, applied or not (a suggestion never repeats them)."""
    dates: set[dt.date] = set()
    games: set[str] = set()
    for entry in exceptions.entries:
        if entry.table == table:
            dates.update(entry.dates)
            games.update(entry.games)
    return dates, games
