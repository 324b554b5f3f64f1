"""The one registry of check families: what the gate checks, declared once.

A *family* is a kind of check (coverage of dates, key uniqueness, leakage, ...). Each is
declared here with its name, its scope (one case per phase, or one per table), the tables it
applies to, the judge that decides it, its checklist label and one line of documentation.
The measurement (`phasegate.measure`), the judges and the pytest cases (`phasegate.gate`), the
sign-off checklist and report (`phasegate.report`) and the README all read this registry, so
a family added here reaches every phase and every page (a test fails if the README does not
document it).

`applies` decides from the catalog alone (no warehouse) whether a table owes a case of the
family; for the SQL families it is "the table has at least one check of the family"
(generated from the catalog or written in checks/PHASE/sql), which `phasegate.measure.checks`
answers, so `applies` is None here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from phasegate.model.catalog import Table

Scope = Literal["phase", "table"]
# How a family is measured: by the coverage query, by the one-pass checks query, from the
# warehouse's metadata, by the expectation suites, or by re-running the processor (audit).
Measure = Literal["coverage", "sql", "metadata", "expectations", "audit"]


@dataclass(frozen=True)
class Family:
    name: str
    scope: Scope
    measure: Measure
    judge: str  # the key of its judge in phasegate.gate.judges.JUDGES
    label: str  # the checklist's column heading
    doc: str    # one line: what must hold (README, report, test docstrings)
    applies: Callable[[Table], bool] | None = None  # None: decided by the measurement (see module doc)


def _always(table: Table) -> bool:
    return True


def _has_sql_processor(table: Table) -> bool:
    return table.processor is not None and not table.is_command_processor


FAMILIES: tuple[Family, ...] = (
    Family("uncatalogued_tables", "phase", "metadata", "uncatalogued_tables", "catalogued",
           "the phase's datasets hold exactly the catalogued tables: none unknown, none missing"),
    Family("schema", "table", "metadata", "schema", "schema",
           "the table exists with its key, date, team, processed_at and catalogued columns", _always),
    Family("date_coverage", "table", "coverage", "date_coverage", "dates",
           "expected non-bootstrap game dates (from the schedule, minus documented exceptions) present >= threshold; "
           "missing dates folded into ranges", lambda t: t.measure_coverage),
    Family("game_coverage", "table", "coverage", "game_coverage", "games",
           "every expected game present at the table's grain; no partial date; no rows on dates without games",
           lambda t: t.measure_coverage),
    Family("bootstrap_rows", "table", "coverage", "bootstrap_rows", "bootstrap",
           "tables with bootstrap = \"skip\" write nothing on the first days of a season",
           lambda t: t.measure_coverage and t.skips_bootstrap),
    Family("key_uniqueness", "table", "sql", "sql", "key", "the catalog key identifies exactly one row"),
    Family("row_counts", "table", "sql", "sql", "rows",
           "rows per game and per date (and active players per game) within the catalog's bounds"),
    Family("null_rates", "table", "sql", "sql", "nulls", "NULL rates within the catalog's limits"),
    Family("game_id_consistency", "table", "sql", "sql", "game_id",
           "game_id is YYYYMMDD_AWAY_HOME, dated game_date, the schedule's game with its home team; "
           "one game_id per team and date"),
    Family("cross_table", "table", "sql", "sql", "cross-table",
           "mirrors and sums between tables (team offense <-> defense, players <-> team totals, usage_rate "
           "recomputed)"),
    Family("staleness", "table", "sql", "sql", "staleness",
           "no row older than an upstream row of its lookback window (its date, N game dates before, or its season)"),
    Family("leakage", "table", "sql", "sql", "leakage",
           "rolling features equal a recomputation from strictly earlier played games"),
    Family("feature_vector", "table", "sql", "sql", "features",
           "the feature vector has the catalog's features, in order, with NULL rates under the limit"),
    Family("audit", "table", "audit", "audit", "audit",
           "the processor re-run on the audit dates gives the stored rows: none missing, none extra, every "
           "column equal (floats within audit_tolerance)", _has_sql_processor),
    Family("expectation", "table", "expectations", "expectation", "expectations",
           "each rule of expectations/PHASE/TABLE.json (a Great Expectations suite) holds"),
)

BY_NAME: dict[str, Family] = {f.name: f for f in FAMILIES}
SQL_FAMILIES: tuple[str, ...] = tuple(f.name for f in FAMILIES if f.measure == "sql")
PHASE_FAMILIES: tuple[str, ...] = tuple(f.name for f in FAMILIES if f.scope == "phase")
TABLE_FAMILIES: tuple[str, ...] = tuple(f.name for f in FAMILIES if f.scope == "table")


def family(name: str) -> Family:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no check family {name!r} (known: {', '.join(BY_NAME)})") from None
