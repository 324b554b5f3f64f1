"""Staleness: rows computed before upstream rows they read were (re)written.

A row of date D read the upstream rows of D's lookback window (`Table.lookback`, see
`phasegate.model.lookback`: D alone, D and the N game dates before it, or D's season up to D).
D is stale when an upstream row inside that window was written after D's oldest row — the
upstream date was rebuilt (a repaired gap: it was missing when D was built, or held other
rows) — or when D holds undated rows. An upstream date still missing today is the upstream
table's own coverage failure (its gate is NO-GO and the downstream backfill's pre-flight gate
refuses); once it is filled, its rows are newer than D's and D is found here.

`stale_dates_sql` is shared by the gate's staleness checks (`phasegate.measure.checks`) and the
planner (`phasegate.runner.plan`), so what the gate calls stale is exactly what a backfill
rebuilds. It reads the calendar CTE `game_date_positions` (`expected_games_cte`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from phasegate.measure.calendar import calendar_params, expected_games_cte
from phasegate.measure.sql import window_filter
from phasegate.model.catalog import Catalog, Lookback, Table
from phasegate.model.lookback import describe
from phasegate.warehouse import Warehouse


def versioned_upstreams(catalog: Catalog, table: Table) -> list[Table]:
    """Upstream tables whose processed_at dates a version of their rows.

    Append-only raw tables (the schedule) are re-scraped by design, so they are left out.
    """
    return [catalog.tables[name] for name in table.upstream
            if name in catalog.tables and catalog.tables[name].key_unique]


def _window_join(lookback: Lookback) -> str:
    if lookback == "season":
        return "u.season_year = w.season_year AND u.position <= w.position"
    return f"u.position BETWEEN w.position - {int(lookback)} AND w.position"


def stale_dates_sql(table: Table, upstream: Table) -> str:
    """Dates where `table` holds rows older than (or undated vs) an `upstream` row of their window.

    Columns: d, oldest (the date's oldest processed_at), up_at (the newest upstream write in
    the window), first_date / last_date / dates (the upstream dates of the window written
    after `oldest`). Shared by the gate's staleness check and the runner's plan.
    """
    lookback = table.lookback_of(upstream.name)
    # the upstream dates a window can reach: the gate window alone for lookback 0, else back
    # to @schedule_start (300 days: a season, or up to 100 game dates)
    reach = "@start_date" if lookback == 0 else "@schedule_start"
    up_at = upstream.processed_at_column
    return f"""
SELECT w.d, w.oldest, MAX(u.up_at) AS up_at, MIN(u.d) AS first_date, MAX(u.d) AS last_date, COUNT(u.d) AS dates
FROM (
  SELECT down.d, down.oldest, down.undated, c.position, c.season_year
  FROM (
    SELECT {table.date_column} AS d, COUNTIF({table.processed_at_column} IS NULL) AS undated,
           MIN({table.processed_at_column}) AS oldest
    FROM {table.ref} WHERE {window_filter(table)} GROUP BY {table.date_column}
  ) AS down
  JOIN game_date_positions AS c ON c.game_date = down.d
) AS w
JOIN (
  SELECT x.d, x.up_at, c.position, c.season_year
  FROM (
    SELECT {upstream.date_column} AS d, MAX({up_at}) AS up_at
    FROM {upstream.ref} WHERE {upstream.date_column} BETWEEN {reach} AND @end_date GROUP BY {upstream.date_column}
  ) AS x
  JOIN game_date_positions AS c ON c.game_date = x.d
) AS u ON {_window_join(lookback)}
WHERE w.undated > 0 OR w.oldest < u.up_at
GROUP BY w.d, w.oldest"""


@dataclass(frozen=True)
class StaleDate:
    """Why one date of a table is stale: the upstream dates of its window written after it."""

    date: dt.date
    upstream: str
    upstream_phase: str
    lookback: Lookback
    first: dt.date
    last: dt.date
    dates: int
    rewritten_at: object  # the newest upstream write in the window (a timestamp)
    oldest: object        # the date's oldest row (None: undated rows)

    def reason(self) -> str:
        """'stale: window includes 2022-12-23..2023-02-02, rebuilt in phase3 at 2026-01-05 10:12:03'."""
        span = self.first.isoformat() if self.first == self.last else f"{self.first}..{self.last}"
        when = str(self.rewritten_at)[:19]
        if self.oldest is None:
            return f"stale: undated rows (no processed_at) beside {self.upstream} {span}"
        window = "" if self.lookback == 0 else f" ({describe(self.lookback)})"
        return (f"stale: window{window} includes {span} ({self.dates} date{'s' if self.dates != 1 else ''}), "
                f"rebuilt in {self.upstream_phase} {self.upstream} at {when}")


def measure_stale_dates(warehouse: Warehouse, catalog: Catalog, table_name: str, start: dt.date,
                        end: dt.date) -> dict[dt.date, StaleDate]:
    """Dates of a table with rows older than an upstream row of their window (one query), with why.

    When several upstreams make a date stale, the one rewritten last explains it.
    """
    table = catalog.table(table_name)
    upstreams = versioned_upstreams(catalog, table)
    if not upstreams:
        return {}
    union = "\nUNION ALL\n".join(
        f"SELECT '{u.name}' AS upstream, d, oldest, up_at, first_date, last_date, dates "
        f"FROM ({stale_dates_sql(table, u)}) AS s{i}" for i, u in enumerate(upstreams))
    sql = f"WITH {expected_games_cte(catalog).strip()}\nSELECT * FROM (\n{union}\n) AS stale ORDER BY d, upstream"
    rows = warehouse.query(sql, calendar_params(catalog, start, end),
                           labels={"component": "staleness", "table": table.name})
    out: dict[dt.date, StaleDate] = {}
    for r in rows:
        up = catalog.table(r["upstream"])
        stale = StaleDate(r["d"], up.name, up.phase, table.lookback_of(up.name), r["first_date"], r["last_date"],
                          int(r["dates"]), r["up_at"], r["oldest"])
        known = out.get(stale.date)
        if known is None or str(stale.rewritten_at) > str(known.rewritten_at):
            out[stale.date] = stale
    return out
