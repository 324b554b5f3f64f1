"""Composing SQL files: the calendar CTEs and shared CTEs put in front of a file's own SELECT.

Processors (`backfill/PHASE/TABLE.sql`) and hand-written checks (`checks/PHASE/sql/TABLE.CHECK.sql`)
are single SELECTs that may read the schedule only through the calendar CTEs
(`phasegate.measure.calendar.expected_games_cte`) and may name shared CTEs in a header line::

    -- shared: props_by_book, props_consensus

Each shared CTE is one CTE body (a SELECT) in a `shared/NAME.sql` file of its kind
(`backfill/shared/` for processors, `checks/shared/` for checks); `with_shared` prepends them in
the listed order as ``NAME AS (<body>)``. A shared file that reads other shared CTEs names them
in its own `-- shared:` line; they must be listed before it. An unknown name, a name listed
before what it reads, or a file that also defines a CTE of that name is refused (UsageError
naming the file).
"""

from __future__ import annotations

import re
from pathlib import Path

from phasegate.errors import UsageError
from phasegate.measure.calendar import expected_games_cte
from phasegate.model.catalog import Catalog

# The CTEs the engine prepends; a file must not define them again.
CALENDAR_CTES = ("schedule_latest", "season_openers", "game_date_positions", "expected_games")
# Leading comments and blank lines of a file, then (optionally) its own WITH.
_LEADING_WITH = re.compile(r"\A((?:[ \t]*(?:--[^\n]*)?\n)*)[ \t]*(WITH\b)?", re.IGNORECASE)
_DEFINES_CALENDAR_CTE = re.compile(r"\b(" + "|".join(CALENDAR_CTES) + r")\s+AS\s*\(", re.IGNORECASE)
_SHARED_LINE = re.compile(r"^[ \t]*--[ \t]*shared:(.*)$", re.IGNORECASE | re.MULTILINE)
_CTE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _prepend(sql: str, ctes: str) -> str:
    """`WITH <ctes>` in front of `sql`'s own SELECT, merged with its own WITH; comments stay on top."""
    match = _LEADING_WITH.match(sql)
    assert match is not None  # the pattern matches the empty prefix
    header, rest = match.group(1), sql[match.end():].lstrip()
    if match.group(2):
        return f"{header}WITH {ctes},\n{rest}"
    return f"{header}WITH {ctes}\n{rest}"


def without_calendar_ctes(sql: str, *, source: str) -> str:
    """`sql`, refused if it defines one of the calendar CTEs the engine provides."""
    defined = _DEFINES_CALENDAR_CTE.search(sql)
    if defined:
        raise UsageError(f"{source}: defines CTE {defined.group(1)!r}, which the engine provides "
                         f"(phasegate.measure.calendar.expected_games_cte)")
    return sql


def with_calendar(catalog: Catalog, sql: str, *, source: str = "processor") -> str:
    """`sql` with the calendar CTEs in front."""
    return _prepend(without_calendar_ctes(sql, source=source), expected_games_cte(catalog).strip())


def shared_names(sql: str, *, source: str = "processor") -> list[str]:
    """The shared CTEs named by the `-- shared: a, b` line(s) of `sql`'s leading comments."""
    match = _LEADING_WITH.match(sql)
    assert match is not None
    names: list[str] = []
    for line in _SHARED_LINE.findall(match.group(1)):
        for name in (n.strip() for n in line.split(",")):
            if not _CTE_NAME.match(name):
                raise UsageError(f"{source}: bad shared CTE name {name!r} in its '-- shared:' line")
            if name in names:
                raise UsageError(f"{source}: lists shared CTE {name!r} twice")
            names.append(name)
    return names


def _shown(path: Path, root: Path | None) -> str:
    if root is not None and path.is_relative_to(root):
        return str(path.relative_to(root))
    return str(path)


def shared_ctes(sql: str, shared_dir: Path, *, source: str, root: Path | None = None) -> list[tuple[str, str]]:
    """(name, body) of every shared CTE `sql` names, in order, each checked (paths shown under `root`)."""
    names = shared_names(sql, source=source)
    out = []
    for position, name in enumerate(names):
        path = shared_dir / f"{name}.sql"
        if not path.is_file():
            raise UsageError(f"{source}: unknown shared CTE {name!r} (no {_shown(path, root)})")
        if re.search(rf"\b{name}\s+AS\s*\(", sql, re.IGNORECASE):
            raise UsageError(f"{source}: defines CTE {name!r}, which it also takes from {_shown(path, root)}")
        text = path.read_text()
        body_start = _LEADING_WITH.match(text)
        assert body_start is not None
        for needed in shared_names(text, source=str(path)):
            if needed not in names[:position]:
                raise UsageError(f"{source}: shared CTE {name!r} reads shared CTE {needed!r}, "
                                 f"which must be listed before it")
        body = text[len(body_start.group(1)):].strip().rstrip(";").rstrip()
        if not body:
            raise UsageError(f"{path}: empty shared CTE")
        out.append((name, body))
    return out


def with_shared(sql: str, shared_dir: Path, *, source: str = "processor", root: Path | None = None) -> str:
    """`sql` with the shared CTEs its header names in front of its own; unchanged when it names none."""
    ctes = shared_ctes(sql, shared_dir, source=source, root=root)
    if not ctes:
        return sql
    return _prepend(sql, ",\n".join(f"{name} AS (\n{body}\n)" for name, body in ctes))
