"""The sign-off checklist: every catalogued table of the phase x every check family.

Ticked by the run itself, never by hand: a cell is the worst outcome of the run's cases for
that table and family. When the run has no case for a cell, the catalog says whether the
family applies to the table; if it does, the cell is a GAP (nothing checked it) — so a table
the gate forgot shows as a row of gaps.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from phasegate.model.catalog import Catalog, Table

FAMILIES = ("schema", "uncatalogued_tables", "date_coverage", "game_coverage", "key_uniqueness", "row_counts",
            "null_rates", "game_id_consistency", "cross_table", "staleness", "leakage", "bootstrap_rows",
            "feature_vector", "expectation")
PHASE_LEVEL = ("uncatalogued_tables",)  # one case for the whole phase (or per dataset)
# Worst first: a cell shows the worst outcome among its cases.
SEVERITY = {"error": 0, "failed": 1, "passed": 2, "skipped": 3}
STATUS_OF = {"error": "error", "failed": "failed", "passed": "passed", "skipped": "n/a"}


@dataclass
class Cell:
    status: str          # passed | failed | error | n/a | gap
    cases: int = 0
    failing: int = 0
    note: str = ""

    @property
    def css(self) -> str:
        return {"passed": "ok", "failed": "bad", "error": "err", "n/a": "na", "gap": "gap"}[self.status]

    @property
    def symbol(self) -> str:
        return {"passed": "✓", "failed": "✗", "error": "!", "n/a": "–", "gap": "GAP"}[self.status]


@dataclass
class Checklist:
    families: tuple[str, ...]
    rows: dict[str, dict[str, Cell]]
    gaps: list[tuple[str, str]] = field(default_factory=list)
    unknown_tables: list[str] = field(default_factory=list)  # cases naming tables the catalog does not know

    @property
    def complete(self) -> bool:
        return not self.gaps


def _gate_families(table: Table, catalog: Catalog) -> set[str] | None:
    """The families the gate collects for this table (phasegate.measure.checks), None if unavailable."""
    try:
        from phasegate.measure.checks import TABLE_FAMILIES, table_families
    except ImportError:
        return None
    try:
        return set(table_families(catalog, table)) | (set(FAMILIES) - set(TABLE_FAMILIES) - {"expectation"})
    except Exception:  # noqa: BLE001 — a broken check file must not hide the report; fall back
        return None


def applies(family: str, table: Table | None, catalog: Catalog | None) -> tuple[bool, str]:
    """Does the catalog ask for this family on this table? (applies, reason when not).

    The gate's own collection rule (`phasegate.measure.checks.table_families`, derived from the
    catalog and checks/<phase>/sql) decides; the rules below are the fallback without it.
    """
    if table is None:
        return True, ""
    if family == "expectation" and catalog is not None:
        suite = Path(catalog.root) / "expectations" / table.phase / f"{table.name}.json"
        return (True, "") if suite.is_file() else (False, "no expectation suite")
    if catalog is not None:
        families = _gate_families(table, catalog)
        if families is not None:
            return (True, "") if family in families else (False, "the catalog asks for no such check here")
    if family in ("date_coverage", "game_coverage") and not table.measure_coverage:
        return False, "coverage not measured for this table"
    if family == "key_uniqueness" and not table.key_unique:
        return False, "key repeats by design"
    if family == "row_counts" and table.rows_per_game is None and table.rows_per_date is None:
        return False, "no row bounds in the catalog"
    if family == "null_rates" and not table.max_null_rate:
        return False, "no max_null_rate in the catalog"
    if family == "game_id_consistency" and not table.game_id_column:
        return False, "no game_id_column"
    if family == "bootstrap_rows" and not table.skips_bootstrap:
        return False, "the table may write bootstrap dates"
    if family == "feature_vector" and not table.features:
        return False, "no feature vector"
    if family == "cross_table" and not table.upstream:
        return False, "no upstream tables"
    if family == "expectation" and catalog is not None:
        suite = Path(catalog.root) / "expectations" / table.phase / f"{table.name}.json"
        if not suite.is_file():
            return False, "no expectation suite"
    return True, ""


def _cell(cases: list[dict[str, Any]]) -> Cell:
    outcomes = [c.get("outcome") or "error" for c in cases]
    worst = min(outcomes, key=lambda o: SEVERITY.get(o, 0))
    status = STATUS_OF.get(worst, "error")
    failing = sum(o in ("failed", "error") or o not in SEVERITY for o in outcomes)
    return Cell(status=status, cases=len(cases), failing=failing)


def build_checklist(results: dict[str, Any], catalog: Catalog | None) -> Checklist:
    phase = results.get("phase")
    checks = results.get("checks") or []
    if catalog is not None and phase in catalog.phases:
        tables = [t.name for t in catalog.tables_of(phase)]
    else:
        tables = list((results.get("tables") or {}).keys())
    table_set = set(tables)
    by_cell: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    phase_level: dict[str, list[dict[str, Any]]] = defaultdict(list)
    unknown: set[str] = set()
    for check in checks:
        family = check.get("family") or "?"
        table = check.get("table")
        if table in table_set:
            by_cell[(table, family)].append(check)
        else:
            phase_level[family].append(check)
            if table and family not in PHASE_LEVEL:
                unknown.add(str(table))
    # a family the contract does not list yet still shows
    families = [*FAMILIES, *sorted({c.get("family") or "?" for c in checks} - set(FAMILIES))]
    rows: dict[str, dict[str, Cell]] = {}
    gaps: list[tuple[str, str]] = []
    for name in tables:
        table = catalog.tables.get(name) if catalog is not None else None
        row: dict[str, Cell] = {}
        for family in families:
            cases = by_cell.get((name, family))
            if not cases and family in PHASE_LEVEL:
                cases = phase_level.get(family)
            if cases:
                row[family] = _cell(cases)
                continue
            ok, why = applies(family, table, catalog)
            if ok:
                row[family] = Cell(status="gap", note="no case in this run")
                gaps.append((name, family))
            else:
                row[family] = Cell(status="n/a", note=why)
        rows[name] = row
    return Checklist(families=tuple(families), rows=rows, gaps=gaps, unknown_tables=sorted(unknown))
