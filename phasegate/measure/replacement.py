"""What a staged chunk would do to the rows it replaces: measured before the swap, in one query.

A backfill builds each chunk aside (a temporary table inside DuckDB's transaction; a staging
table on BigQuery) and swaps it in only when this query finds every date of it right:

    every planned date has rows                  (an empty result never deletes good rows)
    the catalog key is unique                    (a processor that returns rows twice)
    no game has only one of its two teams        (at the table's grain, through its team columns)
    no game present now goes missing             (compared with the rows it replaces)
    no date holds fewer rows than it does now    (unless the plan allows it: --allow-fewer-rows)

The SQL is written once, in BigQuery Standard SQL (DuckDB runs it translated), and reads the
staged rows and the target's rows of the range once each, joined to the schedule's expected
games; Python only words the per-date facts. Games documented as exceptions are not counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from phasegate.measure.calendar import calendar_params, expected_games_cte
from phasegate.model.catalog import Catalog, Table
from phasegate.model.dates import format_ranges

# How a problem date is named in the chunk's rejection (the old rows stay: nothing was swapped in).
REJECTED = "rejected before commit, the old rows are kept"

# Keys staged more than once, per date (the catalog key includes the date column).
REPEATED_KEYS_SQL = """repeated_keys AS (
  SELECT s.{date_col} AS game_date, {key_text} AS key_text
  FROM {staged} AS s
  GROUP BY s.{date_col}, {key_cols}
  HAVING COUNT(*) > 1
),
repeated_by_date AS (
  SELECT game_date, COUNT(*) AS repeated_keys, MIN(key_text) AS example_key
  FROM repeated_keys
  GROUP BY game_date
),"""
# A table whose key repeats by design (key_unique = false): nothing to count.
NO_KEY_SQL = """repeated_by_date AS (
  SELECT CAST(NULL AS DATE) AS game_date, 0 AS repeated_keys, CAST(NULL AS STRING) AS example_key
  FROM UNNEST([1]) AS nothing
  WHERE FALSE
),"""

REPLACEMENT_SQL = """
WITH {ctes},
staged_days AS (
  SELECT s.{date_col} AS game_date, COUNT(*) AS row_count
  FROM {staged} AS s
  GROUP BY s.{date_col}
),
old_days AS (
  SELECT t.{date_col} AS game_date, COUNT(*) AS row_count
  FROM {target} AS t
  WHERE t.{date_col} BETWEEN @start_date AND @end_date
  GROUP BY t.{date_col}
),
{repeated}
staged_teams AS (
  SELECT DISTINCT s.{date_col} AS game_date, team
  FROM {staged} AS s, UNNEST([{staged_team_cols}]) AS team
),
old_teams AS (
  SELECT DISTINCT t.{date_col} AS game_date, team
  FROM {target} AS t, UNNEST([{old_team_cols}]) AS team
  WHERE t.{date_col} BETWEEN @start_date AND @end_date
),
games AS (
  SELECT
    g.game_date,
    g.system_game_id,
    sh.team IS NOT NULL AS new_home,
    sa.team IS NOT NULL AS new_away,
    oh.team IS NOT NULL AND oa.team IS NOT NULL AS old_present
  FROM expected_games AS g
  LEFT JOIN staged_teams AS sh ON sh.game_date = g.game_date AND sh.team = g.home_team
  LEFT JOIN staged_teams AS sa ON sa.game_date = g.game_date AND sa.team = g.away_team
  LEFT JOIN old_teams AS oh ON oh.game_date = g.game_date AND oh.team = g.home_team
  LEFT JOIN old_teams AS oa ON oa.game_date = g.game_date AND oa.team = g.away_team
  WHERE g.system_game_id NOT IN UNNEST(@excepted_games)
),
games_by_date AS (
  SELECT
    game_date,
    STRING_AGG(IF(new_home != new_away, system_game_id, NULL), ',' ORDER BY system_game_id) AS one_team_games,
    STRING_AGG(IF(old_present AND NOT (new_home AND new_away), system_game_id, NULL), ','
               ORDER BY system_game_id) AS lost_games
  FROM games
  GROUP BY game_date
),
days AS (
  SELECT day AS game_date FROM UNNEST(@planned_dates) AS day
  UNION DISTINCT SELECT game_date FROM staged_days
  UNION DISTINCT SELECT game_date FROM old_days
)
SELECT
  d.game_date,
  d.game_date IN UNNEST(@planned_dates) AS planned,
  COALESCE(n.row_count, 0) AS new_rows,
  COALESCE(o.row_count, 0) AS old_rows,
  COALESCE(k.repeated_keys, 0) AS repeated_keys,
  k.example_key,
  g.one_team_games,
  g.lost_games
FROM days AS d
LEFT JOIN staged_days AS n ON n.game_date = d.game_date
LEFT JOIN old_days AS o ON o.game_date = d.game_date
LEFT JOIN repeated_by_date AS k ON k.game_date = d.game_date
LEFT JOIN games_by_date AS g ON g.game_date = d.game_date
ORDER BY d.game_date
"""


def replacement_sql(catalog: Catalog, table: Table, staged: str) -> str:
    """The verification query of `table`'s rows staged in `staged` (identifiers from the catalog only)."""
    key_names = [k for k in table.key if k != table.date_column]
    if table.key_unique and key_names:
        key_text = ("CONCAT(" + ", '|', ".join(f"COALESCE(CAST(s.{k} AS STRING), 'NULL')" for k in key_names)
                    + ")") if len(key_names) > 1 else f"COALESCE(CAST(s.{key_names[0]} AS STRING), 'NULL')"
        repeated = REPEATED_KEYS_SQL.format(date_col=table.date_column, staged=staged, key_text=key_text,
                                            key_cols=", ".join(f"s.{k}" for k in key_names))
    else:
        repeated = NO_KEY_SQL
    games = table.measure_coverage and table.team_columns

    def teams(alias: str) -> str:
        return ", ".join(f"{alias}.{c}" for c in table.team_columns) if games else "CAST(NULL AS STRING)"

    return REPLACEMENT_SQL.format(ctes=expected_games_cte(catalog), staged=staged, target=table.ref,
                                  date_col=table.date_column, repeated=repeated, staged_team_cols=teams("s"),
                                  old_team_cols=teams("t"))


def replacement_params(catalog: Catalog, start: dt.date, end: dt.date, planned: Collection[dt.date],
                       excepted_games: Collection[str] = ()) -> dict[str, Any]:
    return {**calendar_params(catalog, start, end), "planned_dates": sorted(planned),
            "excepted_games": sorted(excepted_games) or [""]}


@dataclass(frozen=True)
class Replacement:
    """Per date, why swapping the staged rows in would make the table worse (nothing when it would not)."""

    problems: dict[dt.date, str] = field(default_factory=dict)
    lost_games: dict[dt.date, tuple[str, ...]] = field(default_factory=dict)  # games the swap would remove
    rows: int = 0  # staged rows

    @property
    def ok(self) -> bool:
        return not self.problems

    def message(self, table: Table) -> str:
        dates = sorted(self.problems)
        first = self.problems[dates[0]]
        return (f"{table.name}: {len(dates)} date(s) of the chunk did not verify ({format_ranges(dates, limit=4)}): "
                f"{first}; nothing of the chunk was written")


def _ids(text: str | None) -> tuple[str, ...]:
    return tuple(x for x in (text or "").split(",") if x)


def judge_replacement(rows: list[Mapping[str, Any]], table: Table, *, allow_fewer_rows: bool = False) -> Replacement:
    """Word the verification query's per-date facts."""
    problems: dict[dt.date, str] = {}
    lost: dict[dt.date, tuple[str, ...]] = {}
    staged = 0
    key = ", ".join(table.key)
    for r in rows:
        day = r["game_date"]
        new, old = int(r["new_rows"]), int(r["old_rows"])
        staged += new
        why: list[str] = []
        if r["planned"] and new == 0:
            why.append("no rows built for a planned date")
        if int(r["repeated_keys"]):
            why.append(f"key ({key}) not unique: {int(r['repeated_keys'])} key(s) repeated, e.g. {r['example_key']}")
        one_team = _ids(r.get("one_team_games"))
        if one_team:
            why.append(f"{len(one_team)} game(s) with one team only (e.g. {', '.join(one_team[:3])})")
        gone = _ids(r.get("lost_games"))
        if gone and new:
            why.append(f"would lose {len(gone)} game(s) present now (e.g. {', '.join(gone[:3])})")
            lost[day] = gone
        if new < old and new and not allow_fewer_rows:
            why.append(f"would lose rows: {old} now, {new} built")
        if why:
            problems[day] = f"{'; '.join(why)} ({REJECTED})"
    return Replacement(problems, lost, staged)
