"""The gate's SQL checks of a table: built from the catalog, or written by hand, found by name.

A *check* is a BigQuery Standard SQL SELECT that returns the table's failing rows, with a
STRING column `example` describing each one (nothing returned = the check passes). Checks
come from two places:

* built in (`BUILTIN_CHECKS`): one small factory per kind, each reading the table's catalog
  entry (key uniqueness, rows per game/date, NULL rates, game_id format and schedule match,
  staleness against each upstream, the feature vector's shape);
* table-specific invariants written by hand, one file each, listed in the table's catalog
  entry (`checks = ["opponent_mirror"]`) and found by name: `checks/<phase>/sql/<table>.<check>.sql`.
  The file's first lines say what it checks:

      -- family: cross_table
      -- points_allowed equals the opponent's points_scored in team_offense_game_summary

  may declare a severity (`-- severity: warn`: a statistical band, shown and not blocking;
  default error, `phasegate.model.severity`), and may name shared CTEs (`-- shared: NAME`, bodies in checks/shared/NAME.sql), as
  processors do (`phasegate.measure.compose`).

Every check may use the parameters @start_date, @end_date (the window), @bootstrap_days,
@season_types, and the calendar CTEs of `phasegate.measure.calendar.expected_games_cte`:
`schedule_latest` (deduplicated schedule, any season type), `expected_games` (the counted
final games of the window: system_game_id, game_date, home_team, away_team, is_bootstrap).
The checks of a table are measured in one query (`phasegate.measure.query`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from phasegate.errors import CatalogError
from phasegate.measure.compose import shared_ctes, without_calendar_ctes
from phasegate.measure.sql import as_text, literal, window_filter
from phasegate.measure.staleness import stale_dates_sql, versioned_upstreams
from phasegate.model.catalog import Catalog, Table
from phasegate.model.families import FAMILIES, SQL_FAMILIES
from phasegate.model.severity import ERROR, severity_of

GAME_ID_REGEX = r"^\d{8}_[A-Z]{3}_[A-Z]{3}$"
_HEADER = re.compile(r"^--\s*family:\s*([a-z_]+)\s*$", re.MULTILINE)
_SEVERITY = re.compile(r"^--\s*severity:\s*(\S+)\s*$", re.MULTILINE)
_FILE = re.compile(r"^(?P<table>[A-Za-z_][A-Za-z0-9_]*)\.(?P<check>[A-Za-z_][A-Za-z0-9_]*)\.sql$")


@dataclass(frozen=True)
class Check:
    table: str
    name: str
    family: str
    sql: str
    description: str
    source: str  # "catalog" or the SQL file's path relative to the project
    ctes: tuple[tuple[str, str], ...] = ()  # shared CTEs (name, body) the check reads
    severity: str = ERROR  # error: a failing row is NO-GO; warn: shown, not blocking


# -- built-in checks: one small factory each, from the catalog entry alone --------------------

CheckFactory = Callable[[Catalog, Table], list[Check]]


def key_unique(catalog: Catalog, table: Table) -> list[Check]:
    if not table.key_unique:
        return []
    keys = ", ".join(table.key)
    shown = ", ' / ', ".join(as_text(k) for k in table.key)
    return [Check(table.name, "key_unique", "key_uniqueness", f"""
SELECT CONCAT({shown}, ' x', CAST(n AS STRING)) AS example
FROM (SELECT {keys}, COUNT(*) AS n FROM {table.ref} WHERE {window_filter(table)} GROUP BY {keys} HAVING COUNT(*) > 1) AS d""",
        f"({', '.join(table.key)}) is unique", "catalog")]


def rows_per_game(catalog: Catalog, table: Table) -> list[Check]:
    if not (table.rows_per_game and table.game_id_column):
        return []
    lo, hi = table.rows_per_game
    date = table.date_column
    return [Check(table.name, "rows_per_game", "row_counts", f"""
SELECT CONCAT(CAST(d AS STRING), ' ', {as_text('game_id')}, ': ', CAST(n AS STRING), ' rows') AS example
FROM (SELECT {date} AS d, {table.game_id_column} AS game_id, COUNT(*) AS n
      FROM {table.ref} WHERE {window_filter(table)} GROUP BY {date}, {table.game_id_column}) AS g
WHERE n NOT BETWEEN {lo} AND {hi}""", f"{lo}..{hi} rows per game", "catalog")]


def rows_per_date(catalog: Catalog, table: Table) -> list[Check]:
    if not table.rows_per_date:
        return []
    lo, hi = table.rows_per_date
    date = table.date_column
    return [Check(table.name, "rows_per_date", "row_counts", f"""
SELECT CONCAT(CAST(d AS STRING), ': ', CAST(n AS STRING), ' rows') AS example
FROM (SELECT {date} AS d, COUNT(*) AS n FROM {table.ref} WHERE {window_filter(table)} GROUP BY {date}) AS g
WHERE n NOT BETWEEN {lo} AND {hi}""", f"{lo}..{hi} rows per date", "catalog")]


def not_a_number(expr: str) -> str:
    """TRUE when a value of any scalar type is NaN or +-Inf, FALSE otherwise (NULL stays NULL).

    Through its text form, so one predicate serves every column type (IS_NAN needs FLOAT64) and
    both engines: BigQuery and DuckDB both spell them nan / inf / -inf.
    """
    return f"LOWER(CAST({expr} AS STRING)) IN ('nan', 'inf', '-inf', 'infinity', '-infinity', '+inf')"


def bad_value(expr: str) -> str:
    """NULL, NaN or +-Inf: a value no statistic can use (platform-facts §8: minutes coerced to NaN)."""
    return f"({expr} IS NULL OR {not_a_number(expr)})"


def max_null_rate(catalog: Catalog, table: Table) -> list[Check]:
    if not table.max_null_rate:
        return []
    counts = ", ".join(f"COUNTIF({bad_value(c)}) AS {c}__nulls" for c in table.max_null_rate)
    branches = "\n  UNION ALL\n".join(
        f"  SELECT CONCAT('{c}: ', CAST({c}__nulls AS STRING), '/', CAST(total AS STRING), "
        f"' NULL, NaN or Inf > {rate:.1%}') "
        f"AS example FROM n WHERE {c}__nulls > {rate!r} * total"
        for c, rate in table.max_null_rate.items())
    return [Check(table.name, "max_null_rate", "null_rates", f"""
WITH n AS (SELECT COUNT(*) AS total, {counts} FROM {table.ref} WHERE {window_filter(table)})
{branches}""", "NULL (or NaN / Inf) rates within the catalog's max_null_rate", "catalog")]


def game_id_format(catalog: Catalog, table: Table) -> list[Check]:
    if not (table.game_id_column and table.team_columns):
        return []
    gid, team, date = table.game_id_column, table.team_columns[0], table.date_column
    return [Check(table.name, "game_id_format", "game_id_consistency", f"""
WITH r AS (
  SELECT DISTINCT {date} AS d, {team} AS team, {gid} AS game_id FROM {table.ref} WHERE {window_filter(table)}
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
SELECT DISTINCT CONCAT(CAST(d AS STRING), ' ', {as_text('game_id')}, ': ', reason) AS example
FROM judged WHERE reason IS NOT NULL""",
        f"{gid} is YYYYMMDD_AWAY_HOME, dated {date}, the schedule's home team last", "catalog")]


def one_game_id_per_team_date(catalog: Catalog, table: Table) -> list[Check]:
    if not (table.game_id_column and table.team_columns):
        return []
    gid, team, date = table.game_id_column, table.team_columns[0], table.date_column
    return [Check(table.name, "one_game_id_per_team_date", "game_id_consistency", f"""
SELECT CONCAT(CAST(d AS STRING), ' ', {as_text('team')}, ': ', CAST(n AS STRING), ' game ids (', ids, ')') AS example
FROM (SELECT {date} AS d, {team} AS team, COUNT(DISTINCT {gid}) AS n, STRING_AGG(DISTINCT {gid}, ',') AS ids
      FROM {table.ref} WHERE {window_filter(table)} AND {team} IS NOT NULL
      GROUP BY {date}, {team} HAVING COUNT(DISTINCT {gid}) > 1) AS g""",
        f"one {gid} per ({date}, {team})", "catalog")]


def not_older_than_upstream(catalog: Catalog, table: Table) -> list[Check]:
    def window(upstream: Table) -> str:
        back = table.lookback_of(upstream.name)
        return "its date" if back == 0 else ("its season up to the date" if back == "season"
                                             else f"its date and the {back} game dates before it")

    def span() -> str:
        return ("IF(s.first_date = s.last_date, CAST(s.first_date AS STRING), "
                "CONCAT(CAST(s.first_date AS STRING), '..', CAST(s.last_date AS STRING)))")

    return [Check(table.name, f"not_older_than_{upstream.name}", "staleness", f"""
SELECT CONCAT(CAST(s.d AS STRING), ': rows processed ', {as_text('s.oldest')}, ' before {upstream.name} ',
              {span()}, ' (', CAST(s.dates AS STRING), ' date(s) of {window(upstream)}) was rewritten (',
              CAST(s.up_at AS STRING), ')') AS example
FROM ({stale_dates_sql(table, upstream)}) AS s""",
        f"no row older than the {upstream.name} rows of {window(upstream)}", "catalog")
        for upstream in versioned_upstreams(catalog, table)]


def feature_shape(catalog: Catalog, table: Table) -> list[Check]:
    if not table.features:
        return []
    names = ",".join(table.features)
    count = len(table.features)
    return [Check(table.name, "feature_shape", "feature_vector", f"""
SELECT DISTINCT CONCAT(CAST(d AS STRING), ': ', reason) AS example FROM (
  SELECT {table.date_column} AS d,
    CASE
      WHEN feature_count IS NULL OR feature_count != {count} THEN CONCAT('feature_count = ', {as_text('feature_count')})
      WHEN features IS NULL OR ARRAY_LENGTH(features) != {count}
        THEN CONCAT('{count} features expected, ', {as_text('ARRAY_LENGTH(features)')}, ' stored')
      WHEN feature_names IS NULL OR ARRAY_TO_STRING(feature_names, ',') != {literal(names)}
        THEN 'feature_names differ from the {count} catalog names in order'
    END AS reason
  FROM {table.ref} WHERE {window_filter(table)}
) AS f WHERE reason IS NOT NULL""", f"feature_count = {count} and the catalog's names in order", "catalog")]


def feature_null_rates(catalog: Catalog, table: Table) -> list[Check]:
    if not table.features:
        return []
    count = len(table.features)
    nulls = ", ".join(f"COUNTIF({bad_value(f'features[SAFE_OFFSET({i})]')}) AS f{i}" for i in range(count))
    limit = table.max_feature_null_rate
    branches = "\n  UNION ALL\n".join(
        f"  SELECT CONCAT('{name}: ', CAST(f{i} AS STRING), '/', CAST(total AS STRING), ' NULL, NaN or Inf > {limit:.1%}') "
        f"AS example FROM n WHERE f{i} > {limit!r} * total"
        for i, name in enumerate(table.features))
    return [Check(table.name, "feature_null_rates", "feature_vector", f"""
WITH n AS (SELECT COUNT(*) AS total, {nulls} FROM {table.ref} WHERE {window_filter(table)})
{branches}""", f"each feature NULL in at most {limit:.0%} of rows", "catalog")]


def feature_bounds(catalog: Catalog, table: Table) -> list[Check]:
    """No feature is NaN or +-Inf, and each bounded feature (by name) is within its [min, max].

    Per position of the vector, named from the catalog's list: a bounds table keyed by index
    silently checks the wrong feature once the vector changes (platform-facts §8).
    """
    if not table.features:
        return []
    parts, branches = [], []
    for i, name in enumerate(table.features):
        f = f"features[SAFE_OFFSET({i})]"
        bounds = table.feature_bounds.get(name)
        out = f"{not_a_number(f)}" + (f" OR {f} < {bounds[0]!r} OR {f} > {bounds[1]!r}" if bounds else "")
        parts.append(f"COUNTIF({out}) AS b{i}, CAST(MIN(IF({not_a_number(f)}, NULL, {f})) AS STRING) AS lo{i}, "
                     f"CAST(MAX(IF({not_a_number(f)}, NULL, {f})) AS STRING) AS hi{i}, "
                     f"COUNTIF({not_a_number(f)}) AS nan{i}")
        limit = f"outside [{bounds[0]:g}, {bounds[1]:g}]" if bounds else "NaN/Inf"
        branches.append(
            f"  SELECT CONCAT('{name} (index {i}): ', CAST(b{i} AS STRING), ' row(s) {limit}, ', "
            f"CAST(nan{i} AS STRING), ' NaN/Inf; range ', COALESCE(lo{i}, 'NULL'), '..', COALESCE(hi{i}, 'NULL')) "
            f"AS example FROM n WHERE b{i} > 0")
    union = "\n  UNION ALL\n".join(branches)
    bounded = len(table.feature_bounds)
    return [Check(table.name, "feature_bounds", "feature_vector", f"""
WITH n AS (SELECT {", ".join(parts)} FROM {table.ref} WHERE {window_filter(table)})
{union}""", f"no feature NaN or Inf; {bounded} features within their physical bounds, by name", "catalog")]


def game_sides(catalog: Catalog, table: Table) -> list[Check]:
    """A derived row belongs to a game that counts, and its home flag, opponent and season are the game's.

    From the game id (YYYYMMDD_AWAY_HOME: the 3rd token is home) and the schedule's counted final
    games (`expected_games`): a postponed game (final with NULL scores), preseason or All-Star game
    has no rows; home and away are one each; the two rows of a game name each other.
    """
    if not (table.game_id_column and table.team_columns and table.processor):
        return []
    gid, team, date = table.game_id_column, table.team_columns[0], table.date_column
    home, opp, season = table.home_column, table.opponent_column, table.season_column
    cols = [f"{date} AS d", f"{team} AS team", f"{gid} AS game_id"]
    reasons = []
    if home:
        cols.append(f"{home} AS home")
        reasons.append(f"""      WHEN r.home IS NULL OR r.home != (r.team = SPLIT(r.game_id, '_')[SAFE_OFFSET(2)])
        THEN CONCAT('{home} ', {as_text('r.home')}, ' but ', r.team, IF(r.team = SPLIT(r.game_id, '_')[SAFE_OFFSET(2)],
                    ' is the home team', ' is the away team'))""")
    if opp:
        cols.append(f"{opp} AS opp")
        reasons.append(f"""      WHEN r.opp IS NULL OR r.opp = r.team OR r.opp NOT IN (SPLIT(r.game_id, '_')[SAFE_OFFSET(1)],
                                                        SPLIT(r.game_id, '_')[SAFE_OFFSET(2)])
        THEN CONCAT('{opp} ', {as_text('r.opp')}, ' is not the other team of the game')""")
    if season:
        cols.append(f"{season} AS season")
        reasons.append(f"""      WHEN r.season IS NULL OR r.season != g.season_year
        THEN CONCAT('{season} ', {as_text('r.season')}, ', the schedule says ', CAST(g.season_year AS STRING))""")
    extra = "\n".join(reasons)
    return [Check(table.name, "game_sides", "game_id_consistency", f"""
WITH r AS (
  SELECT DISTINCT {", ".join(cols)} FROM {table.ref} WHERE {window_filter(table)} AND {team} IS NOT NULL
),
judged AS (
  SELECT r.d, r.team, r.game_id,
    CASE
      WHEN r.game_id IS NULL OR NOT REGEXP_CONTAINS(r.game_id, r'{GAME_ID_REGEX}') THEN NULL  -- game_id_format says why
      WHEN g.system_game_id IS NULL
        THEN 'not a game that counts (postponed, not final, or a season type the catalog does not count)'
{extra}
    END AS reason
  FROM r
  LEFT JOIN expected_games AS g ON g.game_date = r.d AND g.system_game_id = r.game_id
)
SELECT DISTINCT CONCAT(CAST(d AS STRING), ' ', {as_text('team')}, ' ', {as_text('game_id')}, ': ', reason) AS example
FROM judged WHERE reason IS NOT NULL""",
        "rows only for counted games; " + ", ".join(
            x for x in (f"{home} = the 3rd token of {gid}" if home else "",
                        f"{opp} = the other team" if opp else "",
                        f"{season} = the schedule's season" if season else "") if x), "catalog")]


# The built-in checks, in the order they are reported (as sqlglot keeps its optimizer rules).
BUILTIN_CHECKS: tuple[CheckFactory, ...] = (
    key_unique,
    rows_per_game,
    rows_per_date,
    max_null_rate,
    game_id_format,
    one_game_id_per_team_date,
    game_sides,
    not_older_than_upstream,
    feature_shape,
    feature_null_rates,
    feature_bounds,
)


def builtin_checks(catalog: Catalog, table: Table) -> list[Check]:
    """The checks every table gets from its catalog entry (no code per table)."""
    return [check for factory in BUILTIN_CHECKS for check in factory(catalog, table)]


# -- hand-written checks: checks/<phase>/sql/<table>.<check>.sql ------------------------------

def file_checks(catalog: Catalog, table: Table) -> list[Check]:
    """Hand-written invariants of a table (its catalog `checks`), with the shared CTEs they name.

    The catalog lists them, so the checklist does not depend on what happens to be on disk: a
    listed file that is missing, or a file of the table the catalog does not list, is a
    CatalogError (exit 2) rather than a check that silently stops (or starts) running.
    """
    folder = catalog.check_sql_dir(table.phase)
    on_disk = {}
    if folder.is_dir():
        for path in sorted(folder.glob(f"{table.name}.*.sql")):
            match = _FILE.match(path.name)
            if match and match["table"] == table.name:
                on_disk[match["check"]] = path
    missing = [name for name in table.checks if name not in on_disk]
    if missing:
        raise CatalogError(f"{catalog.path}: table {table.name!r} catalogues check {missing[0]!r} but "
                           f"{folder / f'{table.name}.{missing[0]}.sql'} does not exist"
                           + (f" (+{len(missing) - 1} more)" if len(missing) > 1 else ""))
    extra = [name for name in on_disk if name not in table.checks]
    if extra:
        raise CatalogError(f"{on_disk[extra[0]]}: not in the catalog; add {extra[0]!r} to the checks of "
                           f"[tables.{table.name}] in {catalog.path} (or delete the file)")
    out = []
    for name in table.checks:
        path = on_disk[name]
        text = path.read_text()
        family = _HEADER.search(text)
        if not family or family.group(1) not in SQL_FAMILIES:
            raise CatalogError(f"{path}: first lines must say '-- family: <one of {', '.join(SQL_FAMILIES)}>'")
        description = next((line.lstrip("- ").strip() for line in text.splitlines()
                            if line.startswith("--") and not _HEADER.match(line) and not _SEVERITY.match(line)
                            and not line.lstrip("- ").startswith("shared:")), name)
        source = str(path.relative_to(catalog.root)) if path.is_relative_to(catalog.root) else str(path)
        declared = _SEVERITY.search(text)
        severity = severity_of(declared.group(1) if declared else None, source)
        without_calendar_ctes(text, source=source)
        if not _has_sql(text):
            raise CatalogError(f"{path}: the check is empty (a SELECT returning the failing rows is required)")
        ctes = tuple(shared_ctes(text, catalog.check_shared_dir(), source=source, root=catalog.root))
        out.append(Check(table.name, name, family.group(1), text.strip().rstrip(";"), description, source, ctes,
                         severity))
    return out


def _has_sql(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())


def table_checks(catalog: Catalog, table: Table) -> list[Check]:
    checks = builtin_checks(catalog, table) + file_checks(catalog, table)
    names = [c.name for c in checks]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise CatalogError(f"table {table.name}: check name(s) defined twice: {', '.join(sorted(dupes))}")
    return checks


def families_of(catalog: Catalog, table: Table) -> list[str]:
    """The table-scope families that owe this table a case (from the catalog and the check files alone).

    Expectation cases are parametrized from the suites by `phasegate.expectations`; the family is
    listed here when the table has a suite file, so the checklist owes it a case.
    """
    sql = {c.family for c in table_checks(catalog, table)}
    suite = (catalog.expectations_dir(table.phase) / f"{table.name}.json").is_file()
    out = []
    for family in FAMILIES:
        if family.scope != "table":
            continue
        if family.measure == "sql":
            owed = family.name in sql
        elif family.measure == "expectations":
            owed = suite
        else:
            owed = family.applies is not None and family.applies(table)
        if owed:
            out.append(family.name)
    return out
