"""Small date helpers: folding date lists into ranges people can read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

# The first NBA (BAA) game was played in November 1946; nothing before or far after is a
# date anyone means (a 1000-year window would plan millions of dates): window and catalog check it.
EARLIEST = dt.date(1946, 11, 1)
LATEST = dt.date(2199, 12, 31)


def fold_ranges(dates: Iterable[dt.date], universe: Sequence[dt.date] | None = None) -> list[tuple[dt.date, dt.date]]:
    """Fold dates into [first, last] runs.

    With a `universe` (e.g. the game dates of the window), a run continues across days that
    are not in the universe, so a gap of 20 game dates reads as one range even though it
    spans days without games.
    """
    ordered = sorted(set(dates))
    if not ordered:
        return []
    position = {d: i for i, d in enumerate(universe)} if universe is not None else None
    runs: list[tuple[dt.date, dt.date]] = []
    first = prev = ordered[0]
    for current in ordered[1:]:
        if position is not None and prev in position and current in position:
            adjacent = position[current] == position[prev] + 1
        else:
            adjacent = (current - prev).days == 1
        if not adjacent:
            runs.append((first, prev))
            first = current
        prev = current
    runs.append((first, prev))
    return runs


def format_ranges(dates: Iterable[dt.date], universe: Sequence[dt.date] | None = None, *, limit: int | None = None) -> str:
    """'2022-01-03..2022-01-20, 2022-02-01' — at most `limit` ranges, then '(+N more)'."""
    runs = fold_ranges(dates, universe)
    shown = runs if limit is None else runs[:limit]
    text = ", ".join(a.isoformat() if a == b else f"{a.isoformat()}..{b.isoformat()}" for a, b in shown)
    if limit is not None and len(runs) > limit:
        text += f" (+{len(runs) - limit} more ranges)"
    return text
