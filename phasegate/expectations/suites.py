"""Suite files: discovery by catalog table name, reading, case ids, checking, scaffolding.

Importing this module does not import Great Expectations; `check_suite_file` does (it asks
GE's registry whether an expectation type exists and builds the suite to check its kwargs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from phasegate.errors import PhasegateError, UsageError
from phasegate.model.catalog import Catalog, Table
from phasegate.model.severity import ERROR, SEVERITIES

SUITES_DIRNAME = "expectations"
# A rule may name its case explicitly (meta.case); otherwise its id is TABLE-TYPE-COLUMN.
CASE_META_KEY = "case"
_ID_SAFE = re.compile(r"[^A-Za-z0-9_.+=-]+")


class SuiteError(PhasegateError):
    """A suite file is unreadable or inconsistent (one line naming the file and the rule)."""


@dataclass(frozen=True)
class Rule:
    """One expectation of a suite: one pytest case."""

    table: str
    index: int  # position in the suite file
    type: str
    kwargs: Mapping[str, Any]
    case_id: str  # unique within the table: TABLE-TYPE-COLUMN[-N]
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return rule_columns(self.kwargs)

    @property
    def severity(self) -> str:
        """meta.severity: error (NO-GO) unless the rule says warn (phasegate.model.severity)."""
        return self.meta.get("severity") or ERROR

    @property
    def subject(self) -> str:
        """What the rule is about, for messages: `table.column`, `table(a, b)` or `table`."""
        cols = self.columns_no_condition
        if len(cols) == 1:
            return f"{self.table}.{cols[0]}"
        if cols:
            return f"{self.table}({', '.join(cols)})"
        return self.table

    @property
    def columns_no_condition(self) -> tuple[str, ...]:
        return rule_columns({k: v for k, v in self.kwargs.items() if k != "row_condition"})


@dataclass
class SuiteFile:
    """A suite file found under expectations/<phase>/: parsed, or the reason it cannot be."""

    path: Path
    phase: str
    table: str  # the file's stem; must be a catalogued table of `phase`
    raw: dict[str, Any] | None = None
    rules: list[Rule] = field(default_factory=list)
    error: str | None = None

    @property
    def display(self) -> str:
        return _display(self.path)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def suite_path(catalog: Catalog, table: Table) -> Path:
    return catalog.expectations_dir(table.phase) / f"{table.name}.json"


def rule_columns(kwargs: Mapping[str, Any]) -> tuple[str, ...]:
    """Columns an expectation refers to (column, column_list, column_A/B, row_condition)."""
    cols: list[str] = []
    for key in ("column", "column_A", "column_B"):
        if isinstance(kwargs.get(key), str):
            cols.append(kwargs[key])
    for key in ("column_list", "column_set"):
        value = kwargs.get(key)
        if isinstance(value, (list, tuple)):
            cols.extend(c for c in value if isinstance(c, str))
    cols.extend(condition_columns(kwargs.get("row_condition")))
    return tuple(dict.fromkeys(cols))


def condition_columns(condition: Any) -> list[str]:
    """Column names inside a GE 1.x row_condition (serialized dict form)."""
    out: list[str] = []
    if isinstance(condition, Mapping):
        column = condition.get("column")
        if isinstance(column, Mapping) and isinstance(column.get("name"), str):
            out.append(column["name"])
        for key in ("conditions", "condition"):
            inner = condition.get(key)
            items = inner if isinstance(inner, list) else [inner]
            for item in items:
                out.extend(condition_columns(item))
    elif isinstance(condition, str):
        # legacy string syntax: col("name") > 0
        out.extend(re.findall(r'col\(\s*["\']([A-Za-z_][A-Za-z0-9_]*)["\']\s*\)', condition))
    return out


def case_ids(table: str, expectations: Iterable[Mapping[str, Any]]) -> list[str]:
    """Unique, readable ids: TABLE-TYPE-COLUMN; a repeat of (type, column) gets -2, -3, ..."""
    base_ids: list[str] = []
    for exp in expectations:
        meta = exp.get("meta") or {}
        if isinstance(meta.get(CASE_META_KEY), str) and meta[CASE_META_KEY]:
            base = f"{table}-{meta[CASE_META_KEY]}"
        else:
            kwargs = exp.get("kwargs") or {}
            cols = rule_columns({k: v for k, v in kwargs.items() if k != "row_condition"})
            base = "-".join([table, str(exp.get("type", "unknown")), *(["+".join(cols)] if cols else [])])
        base_ids.append(_ID_SAFE.sub("_", base))
    seen: dict[str, int] = {}
    totals = {b: base_ids.count(b) for b in base_ids}
    out = []
    for base in base_ids:
        seen[base] = seen.get(base, 0) + 1
        out.append(base if totals[base] == 1 or seen[base] == 1 else f"{base}-{seen[base]}")
    # an explicit name may still collide with a generated one: make it unique, loudly readable
    final: list[str] = []
    for cid in out:
        candidate, n = cid, 1
        while candidate in final:
            n += 1
            candidate = f"{cid}-{n}"
        final.append(candidate)
    return final


def read_suite_file(path: Path) -> dict[str, Any]:
    """Parse a suite file's JSON; structural problems raise SuiteError naming the file."""
    where = _display(path)
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{where}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except OSError as exc:
        raise SuiteError(f"{where}: cannot read: {exc.strerror}") from None
    if not isinstance(raw, dict):
        raise SuiteError(f"{where}: a suite is a JSON object with 'name' and 'expectations'")
    if not isinstance(raw.get("expectations"), list):
        raise SuiteError(f"{where}: field 'expectations' must be a list")
    for i, exp in enumerate(raw["expectations"], start=1):
        if not isinstance(exp, dict) or not isinstance(exp.get("type"), str):
            raise SuiteError(f"{where}: rule {i}: each expectation needs a string 'type'")
        if not isinstance(exp.get("kwargs", {}), dict):
            raise SuiteError(f"{where}: rule {i} ({exp['type']}): 'kwargs' must be an object")
    return raw


def load_suite_file(path: Path, phase: str, catalog: Catalog | None = None) -> SuiteFile:
    """Read one suite file; problems land in `.error` (never raise), ready to be an error case."""
    suite = SuiteFile(path=path, phase=phase, table=path.stem)
    try:
        raw = read_suite_file(path)
    except SuiteError as exc:
        suite.error = str(exc)
        return suite
    suite.raw = raw
    if catalog is not None:
        table = catalog.tables.get(suite.table)
        if table is None:
            suite.error = (f"{suite.display}: suite for table {suite.table!r}, which the catalog "
                           f"({catalog.path}) does not know")
            return suite
        if table.phase != phase:
            suite.error = (f"{suite.display}: table {suite.table!r} belongs to {table.phase}, "
                           f"not {phase}; move the suite to {SUITES_DIRNAME}/{table.phase}/")
            return suite
    if raw.get("name") not in (None, suite.table):
        suite.error = f"{suite.display}: suite name {raw.get('name')!r} must equal the table name {suite.table!r}"
        return suite
    ids = case_ids(suite.table, raw["expectations"])
    suite.rules = [
        Rule(table=suite.table, index=i, type=exp["type"], kwargs=dict(exp.get("kwargs") or {}),
             case_id=cid, meta=dict(exp.get("meta") or {}))
        for i, (exp, cid) in enumerate(zip(raw["expectations"], ids, strict=True))
    ]
    for rule in suite.rules:
        if rule.meta.get("severity") is not None and rule.meta["severity"] not in SEVERITIES:
            suite.error = (f"{suite.display}: rule {rule.index + 1} ({rule.type}): meta.severity must be one of "
                           f"{', '.join(SEVERITIES)}, not {rule.meta['severity']!r}")
            suite.rules = []
            break
    return suite


def discover(catalog: Catalog, phase: str) -> list[SuiteFile]:
    """Every suite file of a phase, sorted by table name (a table with no file has none)."""
    catalog.phase(phase)
    folder = catalog.expectations_dir(phase)
    if not folder.is_dir():
        return []
    return [load_suite_file(p, phase, catalog) for p in sorted(folder.glob("*.json"))]


# -- checking (authoring help) --------------------------------------------------------------

def check_suite_file(path: Path, catalog: Catalog, *, warehouse_columns: Mapping[str, Mapping[str, str]] | None = None,
                     phase: str | None = None) -> list[str]:
    """Every problem of one suite file, one line each naming the file and the rule ([] = fine).

    Known columns are the catalog's columns for the table, plus the warehouse's when
    `warehouse_columns` (table -> {column: type}) is given.
    """
    phase = phase or path.parent.name
    suite = load_suite_file(path, phase, catalog)
    if suite.error:
        return [suite.error]
    where = suite.display
    table = catalog.table(suite.table)
    known = set(table.required_columns())
    if warehouse_columns is not None and suite.table in warehouse_columns:
        known |= set(warehouse_columns[suite.table])
    problems: list[str] = []

    from phasegate.expectations.compat import import_gx

    gx = import_gx()
    from great_expectations.expectations.registry import get_expectation_impl

    for rule in suite.rules:
        label = f"{where}: rule {rule.index + 1} ({rule.case_id})"
        try:
            get_expectation_impl(rule.type)
        except Exception:  # noqa: BLE001
            problems.append(f"{label}: unknown expectation type {rule.type!r}")
            continue
        for column in rule.columns:
            if column not in known:
                source = "the catalog or the warehouse" if warehouse_columns is not None else "the catalog"
                problems.append(f"{label}: column {column!r} is not a column of {suite.table} per {source}")
        try:
            gx.ExpectationSuite(name=suite.table, expectations=[{"type": rule.type, "kwargs": dict(rule.kwargs),
                                                                   "meta": dict(rule.meta)}])
        except Exception as exc:  # noqa: BLE001
            problems.append(f"{label}: invalid arguments: {_one_line(exc)}")
    return problems


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return (text[:300] + "...") if len(text) > 300 else (text or type(exc).__name__)


def all_suite_files(catalog: Catalog) -> list[tuple[str, Path]]:
    """(phase directory name, path) for every *.json under expectations/."""
    root = catalog.root / SUITES_DIRNAME
    if not root.is_dir():
        return []
    return [(p.parent.name, p) for p in sorted(root.glob("*/*.json"))]


def check_all(catalog: Catalog, *, warehouse_columns: Mapping[str, Mapping[str, str]] | None = None
              ) -> tuple[int, int, list[str]]:
    """(files, rules, problems) over every suite file of the repository."""
    files = all_suite_files(catalog)
    problems: list[str] = []
    rules = 0
    for phase, path in files:
        if phase not in catalog.phases:
            problems.append(f"{_display(path)}: folder {phase!r} is not a phase of the catalog")
            continue
        found = check_suite_file(path, catalog, warehouse_columns=warehouse_columns, phase=phase)
        problems.extend(found)
        suite = load_suite_file(path, phase, catalog)
        rules += len(suite.rules)
    return len(files), rules, problems


# -- scaffolding ----------------------------------------------------------------------------

def scaffold_suite(table: Table, profile: Mapping[str, Mapping[str, Any]] | None = None,
                   row_count: int | None = None) -> dict[str, Any]:
    """A starter suite from the catalog entry and an observed profile, for a person to edit.

    `profile` maps column -> {"type": str, "null_rate": float, "min": x, "max": y}. Observed
    bounds are starting points, not truths: every generated rule carries meta.notes saying so.
    """
    profile = profile or {}
    exps: list[dict[str, Any]] = []

    def add(type_: str, notes: str, **kwargs: Any) -> None:
        exps.append({"type": type_, "kwargs": kwargs, "meta": {"notes": notes}})

    add("expect_compound_columns_to_be_unique", "the catalog key identifies a row", column_list=list(table.key))
    if row_count is not None:
        add("expect_table_row_count_to_be_between", f"observed {row_count} rows in the profiled window",
            min_value=1)
    for column in table.key:
        add("expect_column_values_to_not_be_null", "key column", column=column)
    if table.game_id_column:
        add("expect_column_values_to_match_regex", "system game id YYYYMMDD_AWAY_HOME",
            column=table.game_id_column, regex=r"^\d{8}_[A-Z]{3}_[A-Z]{3}$")
    for column in table.team_columns:
        add("expect_column_values_to_be_in_set", "the 30 NBA team abbreviations",
            column=column, value_set=list(NBA_TEAMS))
    key_and_known = set(table.key) | set(table.team_columns) | {table.game_id_column}
    for column in dict.fromkeys([*table.columns, *profile]):
        if column in key_and_known or column == table.processed_at_column:
            continue
        facts = profile.get(column, {})
        null_rate = facts.get("null_rate")
        if null_rate is not None:
            mostly = max(0.0, round(1.0 - null_rate - 0.01, 2))
            if mostly > 0:
                add("expect_column_values_to_not_be_null",
                    f"observed null rate {null_rate:.2%}; tighten or loosen by hand", column=column,
                    **({"mostly": mostly} if mostly < 1.0 else {}))
        lo, hi = facts.get("min"), facts.get("max")
        if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and not isinstance(lo, bool):
            add("expect_column_values_to_be_between",
                f"observed range [{lo}, {hi}]; replace with the domain's true bounds", column=column,
                min_value=lo, max_value=hi)
    return {"name": table.name, "expectations": exps,
            "meta": {"notes": f"Starter suite for {table.ref} scaffolded by `phasegate expectations scaffold`; edit me."}}


NBA_TEAMS: tuple[str, ...] = (
    "ATL", "BKN", "BOS", "CHA", "CHI", "CLE", "DAL", "DEN", "DET", "GSW", "HOU", "IND", "LAC", "LAL", "MEM",
    "MIA", "MIL", "MIN", "NOP", "NYK", "OKC", "ORL", "PHI", "PHX", "POR", "SAC", "SAS", "TOR", "UTA", "WAS",
)


def write_suite(path: Path, suite: Mapping[str, Any], *, force: bool = False) -> None:
    if path.exists() and not force:
        raise UsageError(f"{_display(path)} exists; pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(suite, indent=2) + "\n")
