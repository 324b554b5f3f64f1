"""The sign-off checklist: every catalogued table of the phase x every check family.

Ticked by the run itself, never by hand: a cell is the worst outcome of the run's cases for
that table and family. When the run has no case for a cell, the catalog says whether the
family applies to the table; if it does, the cell is a GAP (nothing checked it) — so a table
the gate forgot shows as a row of gaps.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from phasegate.errors import PhasegateError
from phasegate.measure.checks import families_of
from phasegate.model.catalog import Catalog, Table
from phasegate.model.families import FAMILIES as REGISTRY

# Columns in the registry's order; phase-scope families have one case for the whole phase.
FAMILIES = tuple(f.name for f in REGISTRY)
PHASE_LEVEL = tuple(f.name for f in REGISTRY if f.scope == "phase")
LABELS = {f.name: f.label for f in REGISTRY}
# Worst first: a cell shows the worst outcome among its cases.
SEVERITY = {"error": 0, "failed": 1, "warned": 2, "passed": 3, "skipped": 4}
STATUS_OF = {"error": "error", "failed": "failed", "warned": "warned", "passed": "passed", "skipped": "n/a"}


@dataclass
class Cell:
    status: str          # passed | warned | failed | error | n/a | gap
    cases: int = 0
    failing: int = 0
    note: str = ""

    @property
    def css(self) -> str:
        return {"passed": "ok", "warned": "warn", "failed": "bad", "error": "err", "n/a": "na",
                "gap": "gap"}[self.status]

    @property
    def symbol(self) -> str:
        return {"passed": "✓", "warned": "⚠", "failed": "✗", "error": "!", "n/a": "–", "gap": "GAP"}[self.status]


@dataclass
class Checklist:
    families: tuple[str, ...]
    rows: dict[str, dict[str, Cell]]
    gaps: list[tuple[str, str]] = field(default_factory=list)
    unknown_tables: list[str] = field(default_factory=list)  # cases naming tables the catalog does not know

    @property
    def complete(self) -> bool:
        return not self.gaps


def applies(family: str, table: Table | None, catalog: Catalog | None) -> tuple[bool, str]:
    """Does the catalog ask for this family on this table? (applies, reason when not).

    The gate's own collection rule decides (`phasegate.measure.checks.families_of`, from the
    catalog, the check files and the suites). When it cannot be worked out (a broken check
    file), the family is owed: the cell shows a GAP rather than hide a check.
    """
    if table is None or catalog is None or family in PHASE_LEVEL:
        return True, ""
    try:
        owed = family in families_of(catalog, table)
    except PhasegateError:
        return True, ""
    return (True, "") if owed else (False, "the catalog asks for no such check here")


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
