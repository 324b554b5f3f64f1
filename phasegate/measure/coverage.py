"""Coverage of a table against the schedule: per date AND per game, in one query.

One measurement feeds both sides: what the gate calls missing is exactly what the runner
backfills. The SQL scans the table once (date and team columns only), joins it to the
expected games of the window, and returns one small row per date; Python only folds those
rows into verdict-sized facts.

A date is *covered* when the table has at least one row on it; it is *partial* when it is
covered but some expected game lacks one of its teams.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from phasegate.measure.calendar import calendar_params, expected_games_cte
from phasegate.model.catalog import Catalog, Table
from phasegate.model.dates import format_ranges
from phasegate.warehouse import Warehouse

COVERAGE_SQL = """
WITH {ctes},
table_rows AS (
  SELECT t.{date_col} AS game_date, team
  FROM {table_ref} AS t, UNNEST([{team_cols}]) AS team
  WHERE t.{date_col} BETWEEN @start_date AND @end_date
),
present_teams AS (
  SELECT game_date, team, COUNT(*) AS team_rows
  FROM table_rows
  GROUP BY game_date, team
),
date_rows AS (
  -- rows are counted through the first team column so multi-team rows count once
  SELECT t.{date_col} AS game_date, COUNT(*) AS row_count
  FROM {table_ref} AS t
  WHERE t.{date_col} BETWEEN @start_date AND @end_date
  GROUP BY t.{date_col}
),
per_game AS (
  SELECT
    g.game_date,
    g.system_game_id,
    g.is_bootstrap,
    h.team IS NOT NULL AND a.team IS NOT NULL AS is_present
  FROM expected_games AS g
  LEFT JOIN present_teams AS h ON h.game_date = g.game_date AND h.team = g.home_team
  LEFT JOIN present_teams AS a ON a.game_date = g.game_date AND a.team = g.away_team
),
per_date AS (
  SELECT
    game_date,
    LOGICAL_OR(is_bootstrap) AS is_bootstrap,
    COUNT(*) AS expected_games,
    COUNTIF(is_present) AS present_games,
    STRING_AGG(IF(is_present, NULL, system_game_id), ',' ORDER BY system_game_id) AS missing_games
  FROM per_game
  GROUP BY game_date
)
SELECT d.game_date, d.is_bootstrap, d.expected_games, d.present_games, d.missing_games,
       COALESCE(r.row_count, 0) AS row_count
FROM per_date AS d
LEFT JOIN date_rows AS r ON r.game_date = d.game_date
UNION ALL
SELECT r.game_date, FALSE, 0, 0, CAST(NULL AS STRING), r.row_count
FROM date_rows AS r
WHERE r.game_date NOT IN (SELECT game_date FROM per_date)
ORDER BY game_date
"""


def coverage_sql(catalog: Catalog, table: Table) -> str:
    # Identifiers come from the validated catalog only; values go in as parameters. A table
    # without team columns (player props) is measured per date only: no game is ever present.
    teams = ", ".join(f"t.{c}" for c in table.team_columns) or "CAST(NULL AS STRING)"
    return COVERAGE_SQL.format(ctes=expected_games_cte(catalog), table_ref=table.ref, date_col=table.date_column,
                               team_cols=teams)


@dataclass(frozen=True)
class DateStatus:
    date: dt.date
    is_bootstrap: bool
    expected_games: int  # 0: a date with rows but no expected game
    present_games: int
    rows: int
    missing_games: tuple[str, ...]

    @property
    def is_game_date(self) -> bool:
        return self.expected_games > 0

    @property
    def is_covered(self) -> bool:
        return self.rows > 0

    @property
    def is_partial(self) -> bool:
        return self.is_covered and self.present_games < self.expected_games


@dataclass(frozen=True)
class Coverage:
    """A table's coverage over a window. Everything here derives from `dates`."""

    table: str
    start: dt.date
    end: dt.date
    counts_bootstrap: bool
    date_threshold: float
    game_threshold: float
    dates: tuple[DateStatus, ...]
    excepted_dates: frozenset[dt.date] = frozenset()
    excepted_games: frozenset[str] = frozenset()
    by_date: dict[dt.date, DateStatus] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def game_dates(self) -> list[dt.date]:
        return [d.date for d in self.dates if d.is_game_date]

    @cached_property
    def bootstrap_dates(self) -> list[dt.date]:
        return [d.date for d in self.dates if d.is_game_date and d.is_bootstrap]

    def _counted(self, d: DateStatus) -> bool:
        return d.is_game_date and (self.counts_bootstrap or not d.is_bootstrap)

    @cached_property
    def expected(self) -> list[DateStatus]:
        """Dates in the denominator: counted game dates minus documented exceptions."""
        return [d for d in self.dates if self._counted(d) and d.date not in self.excepted_dates]

    @cached_property
    def expected_dates(self) -> list[dt.date]:
        return [d.date for d in self.expected]

    @cached_property
    def applied_date_exceptions(self) -> list[dt.date]:
        return sorted(d.date for d in self.dates if self._counted(d) and d.date in self.excepted_dates)

    @cached_property
    def covered_dates(self) -> list[dt.date]:
        return [d.date for d in self.expected if d.is_covered]

    @cached_property
    def missing_dates(self) -> list[dt.date]:
        return [d.date for d in self.expected if not d.is_covered]

    def _missing_games_of(self, d: DateStatus) -> list[str]:
        return [g for g in d.missing_games if g not in self.excepted_games]

    @cached_property
    def partial_dates(self) -> dict[dt.date, list[str]]:
        """Covered dates with some expected game missing (after game exceptions)."""
        out = {}
        for d in self.expected:
            if d.is_covered:
                missing = self._missing_games_of(d)
                if missing:
                    out[d.date] = missing
        return out

    @cached_property
    def applied_game_exceptions(self) -> list[str]:
        return sorted(g for d in self.expected for g in d.missing_games if g in self.excepted_games)

    @cached_property
    def expected_games(self) -> int:
        return sum(d.expected_games for d in self.expected) - len(self.applied_game_exceptions)

    @cached_property
    def present_games(self) -> int:
        return sum(d.present_games for d in self.expected)

    @cached_property
    def missing_games(self) -> int:
        return self.expected_games - self.present_games

    @property
    def date_ratio(self) -> float:
        return len(self.covered_dates) / len(self.expected) if self.expected else 1.0

    @property
    def game_ratio(self) -> float:
        return self.present_games / self.expected_games if self.expected_games else 1.0

    @cached_property
    def rows_on_bootstrap_dates(self) -> list[dt.date]:
        return [d.date for d in self.dates if d.is_game_date and d.is_bootstrap and d.rows > 0]

    @cached_property
    def rows_on_non_game_dates(self) -> list[dt.date]:
        return [d.date for d in self.dates if not d.is_game_date and d.rows > 0]

    @property
    def dates_to_fill(self) -> list[dt.date]:
        """What a backfill must (re)build: missing dates and partial dates, in order."""
        return sorted({*self.missing_dates, *self.partial_dates})


def measure_coverage(warehouse: Warehouse, catalog: Catalog, table_name: str, start: dt.date, end: dt.date, *,
                     excepted_dates: Collection[dt.date] = (), excepted_games: Collection[str] = ()) -> Coverage:
    """One query: the table's per-date coverage of the schedule's expected games."""
    table = catalog.table(table_name)
    rows = warehouse.query(coverage_sql(catalog, table), calendar_params(catalog, start, end),
                           labels={"component": "coverage", "table": table.name})
    dates = tuple(
        DateStatus(
            date=r["game_date"],
            is_bootstrap=bool(r["is_bootstrap"]),
            expected_games=int(r["expected_games"]),
            present_games=int(r["present_games"]),
            rows=int(r["row_count"]),
            missing_games=tuple(r["missing_games"].split(",")) if r["missing_games"] else (),
        )
        for r in rows
    )
    return Coverage(
        table=table.name, start=start, end=end, counts_bootstrap=table.counts_bootstrap,
        date_threshold=table.date_coverage, game_threshold=table.game_coverage, dates=dates,
        excepted_dates=frozenset(excepted_dates), excepted_games=frozenset(excepted_games),
        by_date={d.date: d for d in dates},
    )


# -- coverage as facts for people and for results.json --------------------------------------

def missing_ranges(cov: Coverage, limit: int | None = None) -> str:
    return format_ranges(cov.missing_dates, cov.game_dates, limit=limit)


def date_measured(cov: Coverage) -> str:
    return f"{len(cov.covered_dates)}/{len(cov.expected)} ({cov.date_ratio:.1%})"


def game_measured(cov: Coverage) -> str:
    return f"{cov.present_games}/{cov.expected_games} ({cov.game_ratio:.1%})"


def partial_text(cov: Coverage, limit: int = 5) -> str:
    items = list(cov.partial_dates.items())
    text = "; ".join(f"{d.isoformat()} missing {', '.join(games)}" for d, games in items[:limit])
    if len(items) > limit:
        text += f" (+{len(items) - limit} more partial dates)"
    return text


def coverage_json(cov: Coverage) -> dict[str, Any]:
    days: dict[str, str] = {}
    excepted = set(cov.applied_date_exceptions)
    partial = cov.partial_dates
    for status in cov.dates:
        if not status.is_game_date:
            continue
        day = status.date
        if status.is_bootstrap and not cov.counts_bootstrap:
            state = "bootstrap"
        elif day in excepted:
            state = "excepted"
        elif not status.is_covered:
            state = "missing"
        elif day in partial:
            state = "partial"
        else:
            state = "covered"
        days[day.isoformat()] = state
    return {
        "expected_dates": len(cov.expected), "covered_dates": len(cov.covered_dates),
        "date_ratio": round(cov.date_ratio, 4), "date_threshold": cov.date_threshold,
        "expected_games": cov.expected_games, "present_games": cov.present_games,
        "game_ratio": round(cov.game_ratio, 4), "game_threshold": cov.game_threshold,
        "missing_dates": [d.isoformat() for d in cov.missing_dates],
        "missing_ranges": missing_ranges(cov),
        "partial_dates": {d.isoformat(): list(g) for d, g in partial.items()},
        "bootstrap_dates": len(cov.bootstrap_dates),
        "rows_on_bootstrap_dates": [d.isoformat() for d in cov.rows_on_bootstrap_dates],
        "excepted_dates": [d.isoformat() for d in cov.applied_date_exceptions],
        "excepted_games": list(cov.applied_game_exceptions),
        "days": days,
    }
