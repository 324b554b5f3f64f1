"""Expected games and game dates, read from the schedule.

The schedule is append-only, so it is deduplicated on (game_id, game_date) keeping the
highest status, then the latest row. A game counts when it is final with scores (a final
row with NULL scores is a postponed game) and its season type is one the catalog counts.
Seasons and their opening nights come from the schedule itself: the first regular-season
game of each season_year. Bootstrap = days 0 .. bootstrap_days-1 after opening night.

`expected_games_cte` is shared with the measurement SQL, so the gate, the planner and the
`calendar` command all count the same games.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from phasegate.model.catalog import Catalog
from phasegate.model.window import Window, needs_schedule, resolve_window
from phasegate.warehouse import Warehouse

# A season's opening night is at most ~9 months before any of its dates; read this far back
# so a window that starts mid-season still finds its opener (a literal bound keeps pruning).
OPENER_LOOKBACK_DAYS = 300


# A schedule row `s` counts: final, with scores (NULL scores: postponed), of a counted season type.
COUNTED = ("s.game_status = 3 AND s.home_team_score IS NOT NULL AND s.away_team_score IS NOT NULL "
           "AND s.season_type IN UNNEST(@season_types)")


def expected_games_cte(catalog: Catalog) -> str:
    """CTEs `schedule_latest`, `season_openers`, `game_date_positions`, `expected_games` (BigQuery SQL).

    Parameters: @start_date, @end_date, @schedule_start, @season_types, @bootstrap_days.
    game_date_positions: game_date, season_year, position — every game date (a date with a
    counted game) of @schedule_start .. @end_date, numbered in order (lookback windows count
    in these: phasegate.measure.staleness).
    expected_games: game_id, system_game_id, game_date, season_year, season_type,
    home_team, away_team, season_day, is_bootstrap.
    """
    schedule = catalog.schedule.ref
    return _CTES.replace("{schedule}", schedule).replace("{COUNTED}", COUNTED)


_CTES = """
schedule_latest AS (
  SELECT *
  FROM {schedule}
  WHERE game_date BETWEEN @schedule_start AND @end_date
  QUALIFY ROW_NUMBER() OVER (PARTITION BY game_id, game_date ORDER BY game_status DESC, processed_at DESC) = 1
),
season_openers AS (
  SELECT season_year, MIN(game_date) AS opening_night
  FROM schedule_latest
  WHERE season_type = 'Regular Season'
  GROUP BY season_year
),
game_date_positions AS (
  SELECT game_date, season_year, ROW_NUMBER() OVER (ORDER BY game_date) AS position
  FROM (
    SELECT DISTINCT s.game_date, s.season_year FROM schedule_latest AS s
    WHERE {COUNTED}
  ) AS counted
),
expected_games AS (
  SELECT
    s.game_id,
    CONCAT(FORMAT_DATE('%Y%m%d', s.game_date), '_', s.away_team_tricode, '_', s.home_team_tricode) AS system_game_id,
    s.game_date,
    s.season_year,
    s.season_type,
    s.home_team_tricode AS home_team,
    s.away_team_tricode AS away_team,
    DATE_DIFF(s.game_date, o.opening_night, DAY) AS season_day,
    DATE_DIFF(s.game_date, o.opening_night, DAY) BETWEEN 0 AND @bootstrap_days - 1 AS is_bootstrap
  FROM schedule_latest AS s
  JOIN season_openers AS o ON o.season_year = s.season_year
  WHERE s.game_date BETWEEN @start_date AND @end_date
    AND {COUNTED}
)"""


def calendar_params(catalog: Catalog, start: dt.date, end: dt.date) -> dict[str, Any]:
    return {
        "start_date": start,
        "end_date": end,
        "schedule_start": start - dt.timedelta(days=OPENER_LOOKBACK_DAYS),
        "season_types": list(catalog.settings.season_types),
        "bootstrap_days": catalog.settings.bootstrap_days,
    }


CALENDAR_SQL = """
WITH {ctes}
SELECT game_date, season_year, LOGICAL_OR(is_bootstrap) AS is_bootstrap, COUNT(*) AS games
FROM expected_games
GROUP BY game_date, season_year
ORDER BY game_date
"""


@dataclass(frozen=True)
class GameDate:
    date: dt.date
    season_year: int
    is_bootstrap: bool
    games: int


@dataclass(frozen=True)
class Calendar:
    start: dt.date
    end: dt.date
    dates: tuple[GameDate, ...]
    by_date: dict[dt.date, GameDate] = field(repr=False, default_factory=dict)

    @property
    def game_dates(self) -> list[dt.date]:
        return [d.date for d in self.dates]

    @property
    def bootstrap_dates(self) -> list[dt.date]:
        return [d.date for d in self.dates if d.is_bootstrap]

    @property
    def expected_dates(self) -> list[dt.date]:
        """Game dates that are not bootstrap dates."""
        return [d.date for d in self.dates if not d.is_bootstrap]

    def summary(self) -> dict[str, Any]:
        seasons: dict[int, dict[str, int]] = defaultdict(lambda: {"game_dates": 0, "bootstrap_dates": 0,
                                                                   "expected_dates": 0, "games": 0})
        for d in self.dates:
            row = seasons[d.season_year]
            row["game_dates"] += 1
            row["bootstrap_dates"] += d.is_bootstrap
            row["expected_dates"] += not d.is_bootstrap
            row["games"] += d.games
        total = {k: sum(s[k] for s in seasons.values()) for k in ("game_dates", "bootstrap_dates",
                                                                   "expected_dates", "games")}
        return {
            "start_date": self.start.isoformat(),
            "end_date": self.end.isoformat(),
            "seasons": [{"season": f"{y}-{(y + 1) % 100:02d}", "season_year": y, **seasons[y]}
                        for y in sorted(seasons)],
            "total": total,
        }


def load_calendar(warehouse: Warehouse, catalog: Catalog, start: dt.date, end: dt.date) -> Calendar:
    rows = warehouse.query(CALENDAR_SQL.format(ctes=expected_games_cte(catalog)),
                           calendar_params(catalog, start, end), labels={"component": "calendar"})
    dates = tuple(GameDate(r["game_date"], int(r["season_year"]), bool(r["is_bootstrap"]), int(r["games"]))
                  for r in rows)
    return Calendar(start, end, dates, {d.date: d for d in dates})


# The schedule's two anchors of a live window, in one statement: the latest date with a final,
# scored game of a counted season type, and the latest regular-season opening night, both on or
# before today. Deduplicated like `schedule_latest` (a postponed game's final row has no scores).
ANCHORS_SQL = """
WITH schedule_latest AS (
  SELECT game_id, game_date, season_year, season_type, game_status, home_team_score, away_team_score
  FROM {schedule}
  WHERE game_date <= @today
  QUALIFY ROW_NUMBER() OVER (PARTITION BY game_id, game_date ORDER BY game_status DESC, processed_at DESC) = 1
),
openers AS (
  SELECT season_year, MIN(game_date) AS opening_night
  FROM schedule_latest
  WHERE season_type = 'Regular Season'
  GROUP BY season_year
)
SELECT
  (SELECT MAX(game_date) FROM schedule_latest
   WHERE game_status = 3 AND home_team_score IS NOT NULL AND away_team_score IS NOT NULL
     AND season_type IN UNNEST(@season_types)) AS latest_final,
  (SELECT MAX(opening_night) FROM openers) AS season_opener
"""


class ScheduleAnchors:
    """The schedule's facts a live window needs (phasegate.model.window.ScheduleFacts), read once per day asked."""

    def __init__(self, warehouse: Warehouse, catalog: Catalog) -> None:
        self.warehouse = warehouse
        self.catalog = catalog
        self._read: dict[dt.date, dict[str, Any]] = {}

    def _anchors(self, today: dt.date) -> dict[str, Any]:
        if today not in self._read:
            rows = self.warehouse.query(ANCHORS_SQL.format(schedule=self.catalog.schedule.ref),
                                        {"today": today, "season_types": list(self.catalog.settings.season_types)},
                                        labels={"component": "window"})
            self._read[today] = rows[0] if rows else {}
        return self._read[today]

    def latest_final_date(self, today: dt.date) -> dt.date | None:
        return _as_date(self._anchors(today).get("latest_final"))

    def season_opener(self, today: dt.date) -> dt.date | None:
        return _as_date(self._anchors(today).get("season_opener"))


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def live_window(catalog: Catalog, start: str | dt.date | None = None, end: str | dt.date | None = None, *,
                warehouse: Warehouse | str | None = None, dates: Iterable[dt.date] | None = None,
                today: dt.date | None = None) -> Window:
    """`resolve_window` with the schedule read from the warehouse, only when the window needs it.

    `warehouse` is an open Warehouse or a URL (opened read-only for the one query, then closed).
    """
    if not needs_schedule(catalog, start, end):
        return resolve_window(catalog, start, end, dates=dates, today=today)
    if isinstance(warehouse, str) or warehouse is None:
        from phasegate.warehouse import open_warehouse

        wh = open_warehouse(warehouse, read_only=True)
        try:
            return resolve_window(catalog, start, end, dates=dates, today=today, schedule=ScheduleAnchors(wh, catalog))
        finally:
            wh.close()
    return resolve_window(catalog, start, end, dates=dates, today=today, schedule=ScheduleAnchors(warehouse, catalog))
