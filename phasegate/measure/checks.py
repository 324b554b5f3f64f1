"""The per-table SQL checks of the gate, measured in ONE query per table.

A *check* is a BigQuery Standard SQL SELECT that returns the table's failing rows, with a
STRING column `example` describing each one (nothing returned = the check passes). Checks
come from two places:

* generated from the catalog (`generated_checks`): key uniqueness, rows per game/date, NULL
  rates, game_id format and schedule match, staleness against each upstream, and the
  feature-vector shape of tables with `features`;
* table-specific invariants written by hand, one file each, found by the table's name:
  `checks/<phase>/sql/<table>.<check>.sql`. The file's first lines say what it checks:

      -- family: cross_table
      -- points_allowed equals the opponent's points_scored in team_offense_game_summary

Every check may use the parameters @start_date, @end_date (the window), @bootstrap_days,
@season_types, and the shared CTEs of `phasegate.measure.calendar.expected_games_cte`:
`schedule_latest` (deduplicated schedule, any season type), `expected_games` (the counted
final games of the window: system_game_id, game_date, home_team, away_team, is_bootstrap).

`table_sql` wraps all checks of a table into one statement (one CTE per check, then a UNION
ALL of `(check_name, failures, examples)` rows plus a fingerprint row), so the warehouse is
asked once per table whatever the number of checks. Coverage is the other query
(`phasegate.measure.coverage.measure_coverage`). Nothing here touches table rows in Python.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from phasegate.measure.calendar import calendar_params, expected_games_cte
from phasegate.measure.coverage import Coverage
from phasegate.model.catalog import Catalog, Table
from phasegate.model.dates import format_ranges
from phasegate.warehouse import Warehouse

# Check families (docs/contracts.md); each has one test function in checks/<phase>/test_gate.py.
TABLE_FAMILIES = ("schema", "date_coverage", "game_coverage", "key_uniqueness", "row_counts", "null_rates",
                  "game_id_consistency", "cross_table", "staleness", "leakage", "bootstrap_rows", "feature_vector")
PHASE_FAMILIES = ("uncatalogued_tables",)
SQL_FAMILIES = ("key_uniqueness", "row_counts", "null_rates", "game_id_consistency", "cross_table", "staleness",
                "leakage", "feature_vector")
GAME_ID_REGEX = r"^\d{8}_[A-Z]{3}_[A-Z]{3}$"
EXAMPLES = 5
FINGERPRINT = "__fingerprint__"
_HEADER = re.compile(r"^--\s*family:\s*([a-z_]+)\s*$", re.MULTILINE)
_FILE = re.compile(r"^(?P<table>[A-Za-z_][A-Za-z0-9_]*)\.(?P<check>[A-Za-z_][A-Za-z0-9_]*)\.sql$")


@dataclass(frozen=True)
class Check:
    table: str
    name: str
    family: str
    sql: str
    description: str
    source: str  # "catalog" or the SQL file's path relative to the repository


@dataclass(frozen=True)
class CheckResult:
    check: Check
    failures: int
    examples: str | None

    @property
    def passed(self) -> bool:
        return self.failures == 0


@dataclass(frozen=True)
class TableMeasurement:
    table: str
    results: dict[str, CheckResult]
    rows: int
    max_processed_at: str | None

    def of_family(self, family: str) -> list[CheckResult]:
        return [r for r in self.results.values() if r.check.family == family]


# -- where checks come from ----------------------------------------------------------------

def _lit(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _s(expr: str) -> str:
    return f"COALESCE(CAST({expr} AS STRING), 'NULL')"


def _window(table: Table, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return f"{prefix}{table.date_column} BETWEEN @start_date AND @end_date"


def versioned_upstreams(catalog: Catalog, table: Table) -> list[Table]:
    """Upstream tables whose processed_at dates a version of their rows.

    Append-only raw tables (the schedule) are re-scraped by design, so they are left out.
    """
    return [catalog.tables[name] for name in table.upstream
            if name in catalog.tables and catalog.tables[name].key_unique]


def stale_dates_sql(table: Table, upstream: Table) -> str:
    """Dates where `table` holds a row older than (or undated vs) the newest `upstream` row of that date.

    Columns: d, oldest, up_at. Shared by the gate's staleness check and the runner's plan, so
    what the gate calls stale is exactly what a backfill rebuilds.
    """
    return f"""
SELECT down.d, down.oldest, up.up_at
FROM (
  SELECT {table.date_column} AS d, COUNTIF({table.processed_at_column} IS NULL) AS undated,
         MIN({table.processed_at_column}) AS oldest
  FROM {table.ref} WHERE {_window(table)} GROUP BY {table.date_column}
) AS down
JOIN (
  SELECT {upstream.date_column} AS d, MAX({upstream.processed_at_column}) AS up_at
  FROM {upstream.ref} WHERE {_window(upstream)} GROUP BY {upstream.date_column}
) AS up ON up.d = down.d
WHERE down.undated > 0 OR down.oldest < up.up_at"""


def measure_stale_dates(warehouse: Warehouse, catalog: Catalog, table_name: str, start: dt.date,
                        end: dt.date) -> list[dt.date]:
    """Dates of a table with rows older than an upstream row of the same date (one query)."""
    table = catalog.table(table_name)
    upstreams = versioned_upstreams(catalog, table)
    if not upstreams:
        return []
    union = "\nUNION ALL\n".join(f"SELECT d FROM ({stale_dates_sql(table, u)}) AS s{i}"
                                  for i, u in enumerate(upstreams))
    rows = warehouse.query(f"SELECT DISTINCT d FROM (\n{union}\n) AS stale ORDER BY d",
                           {"start_date": start, "end_date": end},
                           labels={"component": "staleness", "table": table.name})
    return [r["d"] for r in rows]


def generated_checks(catalog: Catalog, table: Table) -> list[Check]:
    """The checks every table gets from its catalog entry (no code per table)."""
    out: list[Check] = []
    ref, date = table.ref, table.date_column

    if table.key_unique:
        keys = ", ".join(table.key)
        shown = ", ' / ', ".join(_s(k) for k in table.key)
        out.append(Check(table.name, "key_unique", "key_uniqueness", f"""
SELECT CONCAT({shown}, ' x', CAST(n AS STRING)) AS example
FROM (SELECT {keys}, COUNT(*) AS n FROM {ref} WHERE {_window(table)} GROUP BY {keys} HAVING COUNT(*) > 1) AS d""",
            f"({', '.join(table.key)}) is unique", "catalog"))

    if table.rows_per_game and table.game_id_column:
        lo, hi = table.rows_per_game
        out.append(Check(table.name, "rows_per_game", "row_counts", f"""
SELECT CONCAT(CAST(d AS STRING), ' ', {_s('game_id')}, ': ', CAST(n AS STRING), ' rows') AS example
FROM (SELECT {date} AS d, {table.game_id_column} AS game_id, COUNT(*) AS n
      FROM {ref} WHERE {_window(table)} GROUP BY {date}, {table.game_id_column}) AS g
WHERE n NOT BETWEEN {lo} AND {hi}""", f"{lo}..{hi} rows per game", "catalog"))
    if table.rows_per_date:
        lo, hi = table.rows_per_date
        out.append(Check(table.name, "rows_per_date", "row_counts", f"""
SELECT CONCAT(CAST(d AS STRING), ': ', CAST(n AS STRING), ' rows') AS example
FROM (SELECT {date} AS d, COUNT(*) AS n FROM {ref} WHERE {_window(table)} GROUP BY {date}) AS g
WHERE n NOT BETWEEN {lo} AND {hi}""", f"{lo}..{hi} rows per date", "catalog"))

    if table.max_null_rate:
        counts = ", ".join(f"COUNTIF({c} IS NULL) AS {c}__nulls" for c in table.max_null_rate)
        branches = "\n  UNION ALL\n".join(
            f"  SELECT CONCAT('{c}: ', CAST({c}__nulls AS STRING), '/', CAST(total AS STRING), ' NULL > {rate:.1%}') "
            f"AS example FROM n WHERE {c}__nulls > {rate!r} * total"
            for c, rate in table.max_null_rate.items())
        out.append(Check(table.name, "max_null_rate", "null_rates", f"""
WITH n AS (SELECT COUNT(*) AS total, {counts} FROM {ref} WHERE {_window(table)})
{branches}""", "NULL rates within the catalog's max_null_rate", "catalog"))

    if table.game_id_column and table.team_columns:
        gid, team = table.game_id_column, table.team_columns[0]
        out.append(Check(table.name, "game_id_format", "game_id_consistency", f"""
WITH r AS (
  SELECT DISTINCT {date} AS d, {team} AS team, {gid} AS game_id FROM {ref} WHERE {_window(table)}
),
sg AS (
  SELECT DISTINCT game_date,
    CONCAT(FORMAT_DATE('%Y%m%d', game_date), '_', away_team_tricode, '_', home_team_tricode) AS sid,
    CONCAT(FORMAT_DATE('%Y%m%d', game_date), '_', home_team_tricode, '_', away_team_tricode) AS rid
  FROM schedule_latest
),
judged AS (
  SELECT r.d, r.game_id,
    CASE
      WHEN r.game_id IS NULL OR NOT REGEXP_CONTAINS(r.game_id, r'{GAME_ID_REGEX}') THEN 'not YYYYMMDD_AWAY_HOME'
      WHEN SUBSTR(r.game_id, 1, 8) != FORMAT_DATE('%Y%m%d', r.d) THEN 'date prefix is not {date}'
      WHEN r.team NOT IN (SPLIT(r.game_id, '_')[SAFE_OFFSET(1)], SPLIT(r.game_id, '_')[SAFE_OFFSET(2)])
        THEN CONCAT('team ', r.team, ' does not play in it')
      WHEN EXISTS (SELECT 1 FROM sg WHERE sg.game_date = r.d AND sg.sid = r.game_id) THEN NULL
      WHEN EXISTS (SELECT 1 FROM sg WHERE sg.game_date = r.d AND sg.rid = r.game_id)
        THEN 'HOME_AWAY order (the schedule has the other team at home)'
      ELSE 'no such game on the schedule that date'
    END AS reason
  FROM r
)
SELECT DISTINCT CONCAT(CAST(d AS STRING), ' ', {_s('game_id')}, ': ', reason) AS example
FROM judged WHERE reason IS NOT NULL""",
            f"{gid} is YYYYMMDD_AWAY_HOME, dated {date}, the schedule's home team last", "catalog"))
        out.append(Check(table.name, "one_game_id_per_team_date", "game_id_consistency", f"""
SELECT CONCAT(CAST(d AS STRING), ' ', {_s('team')}, ': ', CAST(n AS STRING), ' game ids (', ids, ')') AS example
FROM (SELECT {date} AS d, {team} AS team, COUNT(DISTINCT {gid}) AS n, STRING_AGG(DISTINCT {gid}, ',') AS ids
      FROM {ref} WHERE {_window(table)} AND {team} IS NOT NULL
      GROUP BY {date}, {team} HAVING COUNT(DISTINCT {gid}) > 1) AS g""",
            f"one {gid} per ({date}, {team})", "catalog"))

    for upstream in versioned_upstreams(catalog, table):
        out.append(Check(table.name, f"not_older_than_{upstream.name}", "staleness", f"""
SELECT CONCAT(CAST(s.d AS STRING), ': rows processed ', {_s('s.oldest')}, ' before {upstream.name} (',
              CAST(s.up_at AS STRING), ')') AS example
FROM ({stale_dates_sql(table, upstream)}) AS s""",
            f"no row older than the {upstream.name} rows of its date", "catalog"))

    if table.features:
        names = ",".join(table.features)
        count = len(table.features)
        out.append(Check(table.name, "feature_shape", "feature_vector", f"""
SELECT DISTINCT CONCAT(CAST(d AS STRING), ': ', reason) AS example FROM (
  SELECT {date} AS d,
    CASE
      WHEN feature_count IS NULL OR feature_count != {count} THEN CONCAT('feature_count = ', {_s('feature_count')})
      WHEN features IS NULL OR ARRAY_LENGTH(features) != {count}
        THEN CONCAT('{count} features expected, ', {_s('ARRAY_LENGTH(features)')}, ' stored')
      WHEN feature_names IS NULL OR ARRAY_TO_STRING(feature_names, ',') != {_lit(names)}
        THEN 'feature_names differ from the {count} catalog names in order'
    END AS reason
  FROM {ref} WHERE {_window(table)}
) AS f WHERE reason IS NOT NULL""", f"feature_count = {count} and the catalog's names in order", "catalog"))
        nulls = ", ".join(f"COUNTIF(features[SAFE_OFFSET({i})] IS NULL) AS f{i}" for i in range(count))
        limit = table.max_feature_null_rate
        branches = "\n  UNION ALL\n".join(
            f"  SELECT CONCAT('{name}: ', CAST(f{i} AS STRING), '/', CAST(total AS STRING), ' NULL > {limit:.1%}') "
            f"AS example FROM n WHERE f{i} > {limit!r} * total"
            for i, name in enumerate(table.features))
        out.append(Check(table.name, "feature_null_rates", "feature_vector", f"""
WITH n AS (SELECT COUNT(*) AS total, {nulls} FROM {ref} WHERE {_window(table)})
{branches}""", f"each feature NULL in at most {limit:.0%} of rows", "catalog"))
    return out


def file_checks(catalog: Catalog, table: Table) -> list[Check]:
    """Hand-written invariants: checks/<phase>/sql/<table>.<check>.sql."""
    folder = catalog.check_sql_dir(table.phase)
    out = []
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob(f"{table.name}.*.sql")):
        match = _FILE.match(path.name)
        if not match or match["table"] != table.name:
            continue
        text = path.read_text()
        family = _HEADER.search(text)
        if not family or family.group(1) not in SQL_FAMILIES:
            from phasegate.errors import CatalogError

            raise CatalogError(f"{path}: first lines must say '-- family: <one of {', '.join(SQL_FAMILIES)}>'")
        description = next((line.lstrip("- ").strip() for line in text.splitlines()
                            if line.startswith("--") and not _HEADER.match(line)), match["check"])
        try:
            source = str(path.relative_to(catalog.root))
        except ValueError:
            source = str(path)
        out.append(Check(table.name, match["check"], family.group(1), text.strip().rstrip(";"), description, source))
    return out


def table_checks(catalog: Catalog, table: Table) -> list[Check]:
    checks = generated_checks(catalog, table) + file_checks(catalog, table)
    names = [c.name for c in checks]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        from phasegate.errors import CatalogError

        raise CatalogError(f"table {table.name}: check name(s) defined twice: {', '.join(sorted(dupes))}")
    return checks


def table_families(catalog: Catalog, table: Table) -> list[str]:
    """The families that have at least one case for this table (collection needs no warehouse)."""
    families = {"schema"}
    if table.measure_coverage:
        families |= {"date_coverage", "game_coverage"}
        if table.skips_bootstrap:
            families.add("bootstrap_rows")
    families |= {c.family for c in table_checks(catalog, table)}
    return [f for f in TABLE_FAMILIES if f in families]


# -- the one query --------------------------------------------------------------------------

def table_sql(catalog: Catalog, table: Table, checks: list[Check]) -> str:
    ctes = [expected_games_cte(catalog).strip()]
    selects = []
    for i, check in enumerate(checks):
        ctes.append(f"check_{i} AS (\n{check.sql.strip()}\n)")
        selects.append(
            f"SELECT {_lit(check.name)} AS check_name, COUNT(*) AS failures, "
            f"STRING_AGG(IF(rn <= {EXAMPLES}, example, NULL), ' | ' ORDER BY example) AS examples\n"
            f"FROM (SELECT CAST(example AS STRING) AS example, ROW_NUMBER() OVER (ORDER BY CAST(example AS STRING)) AS rn "
            f"FROM check_{i}) AS q{i}")
    selects.append(
        f"SELECT {_lit(FINGERPRINT)} AS check_name, COUNT(*) AS failures, "
        f"CAST(MAX({table.processed_at_column}) AS STRING) AS examples FROM {table.ref} WHERE {_window(table)}")
    return "WITH " + ",\n".join(ctes) + "\n" + "\nUNION ALL\n".join(selects)


def measure_table(warehouse: Warehouse, catalog: Catalog, table_name: str, start: dt.date, end: dt.date,
                  checks: list[Check] | None = None) -> TableMeasurement:
    """Run every SQL check of a table in one query; WarehouseError propagates (an ERROR, never a pass)."""
    table = catalog.table(table_name)
    checks = table_checks(catalog, table) if checks is None else checks
    rows = warehouse.query(table_sql(catalog, table, checks), calendar_params(catalog, start, end),
                           labels={"component": "gate", "table": table.name})
    by_name = {r["check_name"]: r for r in rows}
    missing = [name for name in [c.name for c in checks] + [FINGERPRINT] if name not in by_name]
    if missing:
        from phasegate.errors import WarehouseError

        raise WarehouseError(f"the checks query of {table.name} returned no row for {', '.join(missing)}")
    results = {c.name: CheckResult(c, int(by_name[c.name]["failures"]), by_name[c.name]["examples"]) for c in checks}
    fp = by_name[FINGERPRINT]
    return TableMeasurement(table.name, results, int(fp["failures"]), fp["examples"])


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
