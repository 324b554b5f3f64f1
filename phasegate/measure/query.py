"""The one-pass measurement of a table: every SQL check in ONE warehouse query.

`table_sql` wraps all checks of a table into one statement (one CTE per check, then a UNION
ALL of `(check_name, failures, examples)` rows plus the data fingerprint's row: its content hash), so the warehouse is
asked once per table whatever the number of checks. Coverage is the other query
(`phasegate.measure.coverage.measure_coverage`). Nothing here touches table rows in Python.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
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
    """A statement folded with others into one (a table's checks, its reproduction audit, its
    compiled suite): its SQL, parameters and result columns (name, BigQuery type), in order.
    `name` is the kind of part and names its columns; `label` tells its rows apart when several
    parts of one kind share a statement (the tables of a phase), and defaults to `name`."""

    name: str
    sql: str
    params: dict
    columns: tuple[tuple[str, str], ...]
    label: str = ""

    @property
    def tag(self) -> str:
        return self.label or self.name


CHECKS_COLUMNS = (("check_name", "STRING"), ("failures", "INT64"), ("examples", "STRING"))


def folded_sql(parts: list[Part]) -> str:
    """ONE statement returning every part's rows: a UNION ALL of the parts (each a subquery with
    its own CTEs), one row shape for all: a row's own columns `<kind>__<column>` (parts of one
    kind share them) and the other kinds' columns typed NULLs, and its `part` tag. The warehouse
    scans each table once per statement, not per part (BigQuery bills a column once per
    statement however many parts read it)."""
    tags = [p.tag for p in parts]
    if len(set(tags)) != len(tags) or any(not p.name.isidentifier() for p in parts):
        raise CatalogError(f"folded statement parts must have distinct tags and identifier names: {tags}")
    kinds: dict[str, tuple[tuple[str, str], ...]] = {}
    for part in parts:
        if kinds.setdefault(part.name, part.columns) != part.columns:
            raise CatalogError(f"folded parts of kind {part.name!r} must have the same columns")
    columns = [(name, c, kind) for name, cols in kinds.items() for c, kind in cols]
    branches = []
    for i, part in enumerate(parts):
        select = ", ".join(
            (f"q{i}.{c}" if name == part.name else f"CAST(NULL AS {kind})") + f" AS {name}__{c}"
            for name, c, kind in columns)
        branches.append(f"SELECT {literal(part.tag)} AS part, {select}\nFROM (\n{part.sql.strip()}\n) AS q{i}")
    return "\nUNION ALL\n".join(branches)


def folded_params(parts: list[Part]) -> dict:
    """The parts' parameters in one mapping; a name two parts give different values is an error
    (`distinct_params` renames them first where parts may differ)."""
    params: dict = {}
    for part in parts:
        for key, value in part.params.items():
            if key in params and params[key] != value:
                raise CatalogError(f"parameter @{key} differs between the folded parts ({part.tag})")
            params[key] = value
    return params


def distinct_params(parts: list[Part]) -> list[Part]:
    """The parts, each parameter that another part gives a different value renamed in its part
    (`@audit_dates` -> `@audit_dates__p3`), so that they can share one statement."""
    seen: dict = {}
    out = []
    for i, part in enumerate(parts):
        clashes = [k for k, v in part.params.items() if k in seen and seen[k] != v]
        if clashes:
            pattern = re.compile(r"@(" + "|".join(map(re.escape, clashes)) + r")\b")
            part = dataclasses.replace(
                part, sql=pattern.sub(lambda m, i=i: f"@{m.group(1)}__p{i}", part.sql),
                params={(f"{k}__p{i}" if k in clashes else k): v for k, v in part.params.items()})
        for k, v in part.params.items():
            seen.setdefault(k, v)
        out.append(part)
    return out


def split_rows(parts: list[Part], rows: list[dict]) -> dict[str, list[dict]]:
    """The folded statement's rows -> part tag -> its rows with their own column names."""
    out: dict[str, list[dict]] = {p.tag: [] for p in parts}
    kind = {p.tag: p.name for p in parts}
    own = {p.tag: [c for c, _ in p.columns] for p in parts}
    for row in rows:
        tag = row["part"]
        out[tag].append({c: row[f"{kind[tag]}__{c}"] for c in own[tag]})
    return out


def checks_part(catalog: Catalog, table: Table, checks: list[Check], start: dt.date, end: dt.date) -> Part:
    return Part("checks", table_sql(catalog, table, checks), calendar_params(catalog, start, end), CHECKS_COLUMNS)


def phase_parts(tables: dict[str, list[Part]]) -> list[Part]:
    """Every table's parts (its checks first) as the parts of ONE statement for the phase, each
    tagged `<table>:<kind>` and its clashing parameters renamed: each upstream table the
    tables' checks, audits and suites read (the schedule, the raw tables their processors
    re-run over) is then scanned, and billed, once for the phase."""
    tagged = [dataclasses.replace(p, label=f"{table}:{p.name}") for table, parts in tables.items() for p in parts]
    return distinct_params(tagged)


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


def measure_phase(warehouse: Warehouse, catalog: Catalog, phase: str, start: dt.date, end: dt.date,
                  tables: dict[str, list[Part]]) -> dict[str, tuple[TableMeasurement, dict[str, list[dict]]]]:
    """Several tables' checks and parts in ONE query (`phase_parts`): table -> (its checks'
    measurement, its part -> rows). `tables` maps each table to its extra parts (the checks part
    is made here). WarehouseError propagates; the caller then measures table by table."""
    checks = {name: table_checks(catalog, catalog.table(name)) for name in tables}
    every = {name: [checks_part(catalog, catalog.table(name), checks[name], start, end), *parts]
             for name, parts in tables.items()}
    parts = phase_parts(every)
    serves = "-".join(sorted({p.name for p in parts} - {"checks"}))
    # the job is the phase's (its cost is not one table's): labelled with the phase, as the ledger reads it
    rows = warehouse.query(folded_sql(parts), folded_params(parts),
                           labels={"component": "gate", "table": phase, **({"serves": serves} if serves else {})})
    split = split_rows(parts, rows)
    out = {}
    for name, own in every.items():
        mine = {p.name: split[f"{name}:{p.name}"] for p in own}
        out[name] = (measurement_of(catalog, catalog.table(name), checks[name], mine.pop("checks")), mine)
    return out
