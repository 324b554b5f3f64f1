"""The one-pass measurement of a table: every SQL check in ONE warehouse query.

`table_sql` wraps all checks of a table into one statement (one CTE per check, then a UNION
ALL of `(check_name, failures, examples)` rows plus the data fingerprint's row: its content hash), so the warehouse is
asked once per table whatever the number of checks. Coverage is the other query
(`phasegate.measure.coverage.measure_coverage`). Nothing here touches table rows in Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from phasegate.errors import CatalogError, WarehouseError
from phasegate.measure.calendar import calendar_params, expected_games_cte
from phasegate.measure.checks import Check, table_checks
from phasegate.measure.fingerprint import content_hash, fingerprint_sql
from phasegate.measure.sql import literal
from phasegate.model.catalog import Catalog, Table
from phasegate.warehouse import Warehouse

EXAMPLES = 5
FINGERPRINT = "__fingerprint__"


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
    content: str | None = None  # the content hash (phasegate.measure.fingerprint.content_hash)

    def of_family(self, family: str) -> list[CheckResult]:
        return [r for r in self.results.values() if r.check.family == family]


def _shared(checks: list[Check]) -> list[str]:
    """The shared CTEs the checks read, each once (two different bodies under one name is an error)."""
    bodies: dict[str, str] = {}
    for check in checks:
        for name, body in check.ctes:
            if bodies.setdefault(name, body) != body:
                raise CatalogError(f"shared CTE {name!r} has two different bodies among the checks of {check.table}")
    return [f"{name} AS (\n{body}\n)" for name, body in bodies.items()]


def table_sql(catalog: Catalog, table: Table, checks: list[Check]) -> str:
    ctes = [expected_games_cte(catalog).strip(), *_shared(checks)]
    selects = []
    for i, check in enumerate(checks):
        ctes.append(f"check_{i} AS (\n{check.sql.strip()}\n)")
        selects.append(
            f"SELECT {literal(check.name)} AS check_name, COUNT(*) AS failures, "
            f"STRING_AGG(IF(rn <= {EXAMPLES}, example, NULL), ' | ' ORDER BY example) AS examples\n"
            f"FROM (SELECT CAST(example AS STRING) AS example, ROW_NUMBER() OVER (ORDER BY CAST(example AS STRING)) AS rn "
            f"FROM check_{i}) AS q{i}")
    # The data fingerprint (content hash) in the same statement: it hashes exactly the rows the checks judged.
    ctes.append(f"fingerprint AS (\n{fingerprint_sql(table).strip()}\n)")
    selects.append(
        f"SELECT {literal(FINGERPRINT)} AS check_name, row_count AS failures, "
        "CONCAT(COALESCE(CAST(max_processed_at AS STRING), ''), '|', CAST(COALESCE(hash_hi, 0) AS STRING), '|', "
        "CAST(COALESCE(hash_lo, 0) AS STRING)) AS examples FROM fingerprint")
    return "WITH " + ",\n".join(ctes) + "\n" + "\nUNION ALL\n".join(selects)


def measure_table(warehouse: Warehouse, catalog: Catalog, table_name: str, start: dt.date, end: dt.date,
                  checks: list[Check] | None = None) -> TableMeasurement:
    """Run every SQL check of a table in one query; WarehouseError propagates (an ERROR, never a pass)."""
    table = catalog.table(table_name)
    checks = table_checks(catalog, table) if checks is None else checks
    rows = warehouse.query(table_sql(catalog, table, checks), calendar_params(catalog, start, end),
                           labels={"component": "gate", "table": table.name})
    return measurement_of(catalog, table, checks, rows)


# -- folding other statements of the table into the checks statement --------------------------

@dataclass(frozen=True)
class Part:
    """A statement of the table folded into its checks statement (the reproduction audit, the
    compiled suite): its SQL, parameters and result columns (name, BigQuery type), in order."""

    name: str
    sql: str
    params: dict
    columns: tuple[tuple[str, str], ...]


CHECKS_COLUMNS = (("check_name", "STRING"), ("failures", "INT64"), ("examples", "STRING"))


def folded_sql(parts: list[Part]) -> str:
    """ONE statement returning every part's rows: a UNION ALL of the parts (each a subquery with
    its own CTEs), one row shape for all, a row's own columns `<part>__<column>` and the other
    parts' columns typed NULLs. The warehouse scans each table once per statement, not per part
    (BigQuery bills a column once per statement however many parts read it)."""
    names = [p.name for p in parts]
    if len(set(names)) != len(names) or any(not n.isidentifier() for n in names):
        raise CatalogError(f"folded statement parts must have distinct identifier names: {names}")
    columns = [(p.name, c, kind) for p in parts for c, kind in p.columns]
    branches = []
    for i, part in enumerate(parts):
        own = {c for c, _ in part.columns}
        select = ", ".join(
            (f"q{i}.{c}" if name == part.name and c in own else f"CAST(NULL AS {kind})") + f" AS {name}__{c}"
            for name, c, kind in columns)
        branches.append(f"SELECT {literal(part.name)} AS part, {select}\nFROM (\n{part.sql.strip()}\n) AS q{i}")
    return "\nUNION ALL\n".join(branches)


def folded_params(parts: list[Part]) -> dict:
    """The parts' parameters in one mapping; a name two parts give different values is an error."""
    params: dict = {}
    for part in parts:
        for key, value in part.params.items():
            if key in params and params[key] != value:
                raise CatalogError(f"parameter @{key} differs between the folded parts ({part.name})")
            params[key] = value
    return params


def split_rows(parts: list[Part], rows: list[dict]) -> dict[str, list[dict]]:
    """The folded statement's rows -> part name -> its rows with their own column names."""
    out: dict[str, list[dict]] = {p.name: [] for p in parts}
    own = {p.name: [c for c, _ in p.columns] for p in parts}
    for row in rows:
        name = row["part"]
        out[name].append({c: row[f"{name}__{c}"] for c in own[name]})
    return out


def checks_part(catalog: Catalog, table: Table, checks: list[Check], start: dt.date, end: dt.date) -> Part:
    return Part("checks", table_sql(catalog, table, checks), calendar_params(catalog, start, end), CHECKS_COLUMNS)


def measurement_of(catalog: Catalog, table: Table, checks: list[Check], rows: list[dict]) -> TableMeasurement:
    """The checks statement's rows (check_name, failures, examples) -> TableMeasurement."""
    by_name = {r["check_name"]: r for r in rows}
    missing = [name for name in [c.name for c in checks] + [FINGERPRINT] if name not in by_name]
    if missing:
        raise WarehouseError(f"the checks query of {table.name} returned no row for {', '.join(missing)}")
    results = {c.name: CheckResult(c, int(by_name[c.name]["failures"]), by_name[c.name]["examples"]) for c in checks}
    fp = by_name[FINGERPRINT]
    stamp, hi, lo = str(fp["examples"] or "||").rsplit("|", 2)
    return TableMeasurement(table.name, results, int(fp["failures"]), stamp or None,
                            content_hash(fp["failures"], hi, lo))


def measure_folded(warehouse: Warehouse, catalog: Catalog, table_name: str, start: dt.date, end: dt.date,
                   parts: list[Part], checks: list[Check] | None = None) -> tuple[TableMeasurement, dict[str, list[dict]]]:
    """The table's checks and `parts` in ONE query: (the checks' measurement, part -> its rows).

    WarehouseError propagates; the caller may then run the parts alone to tell which one failed."""
    table = catalog.table(table_name)
    checks = table_checks(catalog, table) if checks is None else checks
    every = [checks_part(catalog, table, checks, start, end), *parts]
    serves = "-".join(p.name for p in parts)
    rows = warehouse.query(folded_sql(every), folded_params(every),
                           labels={"component": "gate", "table": table.name, **({"serves": serves} if serves else {})})
    split = split_rows(every, rows)
    return measurement_of(catalog, table, checks, split.pop("checks")), split
