"""The gate's checklist, known before pytest runs: every case the catalog asks for, and what did not run.

The expected set of a phase is every phase-scope family, every table of the phase x every
table-scope family that applies to it (`phasegate.measure.checks.families_of`: the catalog,
its catalogued check files and the suites), and every rule of every expectation suite, named
as pytest names the cases (`test_<family>[<table>]`, `test_<family>`, `test_expectation[<rule>]`).
A GO needs exactly that set to have run and passed (`phasegate.gate.results.verdict_of`); a
case that did not run (deselected, skipped, never collected) is named in results.json.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from phasegate.errors import CatalogError
from phasegate.model.catalog import Catalog
from phasegate.model.families import FAMILIES

SHOWN = 5  # cases named in a one-line message


@dataclass(frozen=True)
class ExpectedCase:
    name: str  # the pytest case name: test_<family>[<table>] | test_<family> | test_expectation[<rule id>]
    family: str
    table: str | None


# Written beside results.json by the plugin when the phase's check modules do not define every
# expected case (read by run_gate: a configuration error, exit 2, with or without pytest workers).
CONFIG_ERROR_FILE = "config_error.txt"


def expected_cases(catalog: Catalog, phase: str, *, audit: str | None = None) -> list[ExpectedCase]:
    """Every case the gate of `phase` owes; a catalogued check file that is missing raises CatalogError.

    `audit`: the run's --audit (None: the catalog's settings.audit); off owes no audit case."""
    from phasegate.expectations.suites import discover
    from phasegate.measure.audit import check_mode
    from phasegate.measure.checks import families_of

    audit_off = check_mode(audit, catalog) == "off"

    out = [ExpectedCase(f"test_{f.name}", f.name, None) for f in FAMILIES if f.scope == "phase"]
    for table in catalog.tables_of(phase):
        for family in families_of(catalog, table):
            if family == "audit" and audit_off:
                continue
            if family != "expectation":  # one case per rule, below
                out.append(ExpectedCase(f"test_{family}[{table.name}]", family, table.name))
    suites = discover(catalog, phase)
    missing = sorted({t.name for t in catalog.tables_of(phase) if t.suite} - {s.table for s in suites})
    if missing:
        folder = catalog.expectations_dir(phase)
        raise CatalogError(f"{catalog.path}: table {missing[0]!r} catalogues a suite (suite = true) but "
                           f"{folder / f'{missing[0]}.json'} does not exist"
                           + (f" (+{len(missing) - 1} more)" if len(missing) > 1 else ""))
    for suite in suites:
        ids = [f"{suite.table}-suite"] if suite.error else [rule.case_id for rule in suite.rules]
        out.extend(ExpectedCase(f"test_expectation[{i}]", "expectation", suite.table) for i in ids)
    return out


def not_run(expected: Iterable[str], cases: Iterable[Any]) -> list[dict[str, str]]:
    """[{case, reason}] for every expected case that did not run to an outcome (errors are outcomes).

    `cases` are phasegate.gate.results.CaseResult (name, outcome, message).
    """
    by_name = {c.name: c for c in cases}
    out = []
    for name in expected:
        case = by_name.get(name)
        if case is None:
            out.append({"case": name, "reason": "did not run"})
        elif case.outcome == "skipped":
            out.append({"case": name, "reason": f"skipped: {case.message}" if case.message else "skipped"})
    return out


def named(cases: list[str] | list[dict[str, str]], shown: int = SHOWN) -> str:
    """'a, b, c (+N more)' for a message."""
    names = [c["case"] if isinstance(c, dict) else c for c in cases]
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" (+{more} more)" if more > 0 else "")
