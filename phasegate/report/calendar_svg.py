"""The coverage calendar: an inline SVG drawn server-side, one row per season, one cell per day.

Each day of the window is one cell coloured by its state: covered, missing, partial,
bootstrap, excepted (from results.json `days`, which lists game dates only) or no-games
(a day of the window absent from `days`). Days outside the window are not drawn. A run of 72
missing dates is a long red bar, visible at a glance.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

STATES = ("covered", "missing", "partial", "bootstrap", "excepted", "no-games")
# Short CSS classes keep the page small: thousands of cells per report.
CLASS = {"covered": "c", "missing": "m", "partial": "p", "bootstrap": "b", "excepted": "x", "no-games": "n"}
COLOURS = {
    "covered": "#2ca02c",
    "missing": "#d62728",
    "partial": "#ff9f1c",
    "bootstrap": "#8e6bd1",
    "excepted": "#1f77b4",
    "no-games": "#e3e6ea",
}
LABELS = {
    "covered": "covered", "missing": "missing", "partial": "partial (some games missing)",
    "bootstrap": "bootstrap (not counted)", "excepted": "excepted (documented)", "no-games": "no games",
}

CELL_W = 4      # px; pitch = CELL_W + GAP
GAP = 1
PITCH = CELL_W + GAP
ROW_H = 16
ROW_GAP = 6
LABEL_W = 50
AXIS_H = 16
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SEASON_START_MONTH = 8  # a season runs from August to July: opening night in October


def season_of(day: dt.date) -> int:
    """The season's first year: 2021 for 2021-22."""
    return day.year if day.month >= SEASON_START_MONTH else day.year - 1


def season_label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def season_anchor(year: int) -> dt.date:
    """Day 0 of a season row: 1 October (all rows share the same x for the same day)."""
    return dt.date(year, 10, 1)


@dataclass
class Calendar:
    svg: str
    counts: Counter
    seasons: int


def day_states(days: Mapping[str, str], start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """Every day of the window -> state (days absent from `days` had no games)."""
    parsed = {}
    for key, state in days.items():
        try:
            parsed[dt.date.fromisoformat(key)] = state if state in CLASS else "missing"
        except ValueError:
            continue
    out = {}
    day = start
    one = dt.timedelta(days=1)
    while day <= end:
        out[day] = parsed.get(day, "no-games")
        day += one
    return out


def _cell_title(day: dt.date, state: str, partial: Mapping[str, list[str]] | None) -> str:
    text = f"{day.isoformat()} {day.strftime('%a')}: {LABELS[state]}"
    if state == "partial" and partial:
        games = partial.get(day.isoformat()) or []
        if games:
            shown = ", ".join(games[:6]) + (f" (+{len(games) - 6} more)" if len(games) > 6 else "")
            text += f" — missing {shown}"
    return text


def render_calendar(days: Mapping[str, str], start: dt.date, end: dt.date, *, table: str = "",
                    partial_dates: Mapping[str, list[str]] | None = None) -> Calendar:
    """Draw the calendar of one table. Everything from data is escaped."""
    states = day_states(days, start, end)
    counts: Counter = Counter()
    # Column range: from the earliest to the latest day with games (or in the window) over all seasons.
    game_days = [d for d, s in states.items() if s != "no-games"] or list(states)
    offsets = [(d - season_anchor(season_of(d))).days for d in game_days]
    first, last = min(offsets), max(offsets)
    seasons = sorted({season_of(d) for d in states if first <= (d - season_anchor(season_of(d))).days <= last}
                     or {season_of(start)})
    width = LABEL_W + (last - first + 1) * PITCH + 4
    height = AXIS_H + len(seasons) * (ROW_H + ROW_GAP)
    parts = [(f'<svg class="cal" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
              f'viewBox="0 0 {width} {height}" role="img" aria-label="coverage calendar {escape(table)}" '
              f'data-table="{escape(table)}">')]
    # Month ticks along the top, placed for a non-leap season.
    ref = season_anchor(2001)
    month = dt.date(2001, 8, 1)
    for _ in range(13):
        off = (month - ref).days
        if first <= off <= last:
            x = LABEL_W + (off - first) * PITCH
            parts.append(f'<text class="ax" x="{x}" y="11">{MONTHS[month.month - 1]}</text>'
                         f'<line class="tick" x1="{x}" x2="{x}" y1="13" y2="{height}"/>')
        month = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    for row, year in enumerate(seasons):
        y = AXIS_H + row * (ROW_H + ROW_GAP)
        anchor = season_anchor(year)
        parts.append(f'<g transform="translate(0,{y})"><text class="sl" x="0" y="12">{season_label(year)}</text>')
        for off in range(first, last + 1):
            day = anchor + dt.timedelta(days=off)
            state = states.get(day)
            if state is None:
                continue  # outside the window
            x = LABEL_W + (off - first) * PITCH
            counts[state] += 1
            parts.append(f'<rect x="{x}" class="{CLASS[state]}"><title>'
                         f'{escape(_cell_title(day, state, partial_dates))}</title></rect>')
        parts.append("</g>")
    parts.append("</svg>")
    return Calendar(svg="".join(parts), counts=counts, seasons=len(seasons))


def calendar_css() -> str:
    rules = [f"svg.cal rect{{width:{CELL_W}px;height:{ROW_H}px}}",
             "svg.cal text{font:10px system-ui,sans-serif;fill:#444}",
             "svg.cal .tick{stroke:#c8ccd2;stroke-width:.5}"]
    rules += [f"svg.cal .{cls}{{fill:{COLOURS[state]}}}" for state, cls in CLASS.items()]
    rules += [f".sw-{cls}{{background:{COLOURS[state]}}}" for state, cls in CLASS.items()]
    return "\n".join(rules)
