"""Lookback windows: which upstream game dates a derived row of date D was computed from.

A table declares per upstream how far back its processor reads (`lookback` in pipeline.toml):
N game dates (D and the N game dates before it; 0 = D only), or "season" (every game date of
D's season up to D). The window is counted in game dates of the schedule, so an upper bound
stated in days ("the last 30 days") is a true bound in game dates too (at most one game date
a day), while "the team's last 10 games" is not bounded by any number of game dates (a gap or
a long break reaches further back) and is "season" when the processor stops at opening night.

This module is the Python side of the window, for the planner's propagation inside one run;
the SQL side is `phasegate.measure.staleness.stale_dates_sql`. Both follow the same rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from phasegate.model.catalog import Lookback


def describe(lookback: Lookback) -> str:
    """'its season', 'the date only', 'the date and the 30 game dates before it'."""
    if lookback == "season":
        return "its season up to the date"
    if lookback == 0:
        return "the date only"
    return f"the date and the {lookback} game dates before it"


def dates_reading(lookback: Lookback, rebuilt: Iterable[dt.date], game_dates: Sequence[tuple[dt.date, int]]
                  ) -> set[dt.date]:
    """The game dates whose window includes one of `rebuilt`.

    `game_dates`: (date, season_year) of the calendar, sorted by date.
    """
    position = {day: i for i, (day, _) in enumerate(game_dates)}
    out: set[dt.date] = set()
    for day in rebuilt:
        i = position.get(day)
        if i is None:
            continue
        if lookback == "season":
            season = game_dates[i][1]
            for later, year in game_dates[i:]:
                if year != season:
                    break
                out.add(later)
        else:
            out.update(later for later, _ in game_dates[i:i + int(lookback) + 1])
    return out
