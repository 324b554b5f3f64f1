"""The reproduction audit: is every stored row what its processor makes of its inputs today?

For a table with an SQL processor, the audit re-runs the processor's SELECT over the audit
dates and compares it with the stored rows on the catalog key, column by column, in ONE
warehouse statement (the processor's rows FULL OUTER JOIN the stored rows; nothing written).
Columns that say when a row was written (`AUDIT_IGNORED`, plus the table's `audit_ignore`) are
not compared. FLOAT columns compare within a tolerance (`audit_tolerance` per column, default
`settings.audit_tolerance`); every other column exactly (IS DISTINCT FROM; arrays and structs
through their JSON text). It counts missing rows (the processor makes them, the table lacks
them), extra rows (stored, not made), differing rows and the differing rows per column, with
a few examples of each.

Audit dates (`AuditDates`, from `settings.audit` or `--audit`):
  all     every date of the window: one processor run over the window;
  sample  a deterministic sample: `audit_sample_dates` dates spread evenly over the window's
          game dates, the `audit_latest_dates` latest ones, and every date whose upstream
          changed after the table's rows were written (the staleness SQL); one processor run
          per run of consecutive sampled dates, all in the same statement;
  auto    all where the warehouse bills nothing (DuckDB) and the table holds at most
          AUTO_ALL_MAX_ROWS rows in the window, else sample (BigQuery: its bytes are in
          `gate --dry-run` and count against the byte cap like every gate statement);
  off     no audit cases (the gate says so).
Command processors (external jobs) are not audited: the gate cannot run a job read-only; the
gate's text and results.json say "not audited" for them (a note, it does not block).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from phasegate.errors import UsageError, WarehouseError
from phasegate.measure.calendar import calendar_params
from phasegate.measure.sql import as_text, literal
from phasegate.model.catalog import AUDIT_IGNORED, AUDIT_MODES, Catalog, Table
from phasegate.warehouse import Warehouse

EXAMPLES = 3
AUTO_ALL_MAX_ROWS = 5_000_000
FLOAT_TYPES = ("FLOAT", "FLOAT64", "DOUBLE", "REAL", "FLOAT4", "FLOAT8")
_PARAMS = re.compile(r"@(start_date|end_date|schedule_start)\b")


def check_mode(mode: str | None, catalog: Catalog) -> str:
    """The audit mode a run uses: `--audit` if given, else the catalog's settings.audit."""
    chosen = catalog.settings.audit if mode is None else mode
    if chosen not in AUDIT_MODES:
        raise UsageError(f"--audit must be one of {', '.join(AUDIT_MODES)} (got {mode!r})")
    return chosen


def audited(table: Table) -> bool:
    """Tables the audit re-runs: those with an SQL processor."""
    return table.processor is not None and not table.is_command_processor


def not_audited_note(table: Table) -> str | None:
    """Why a derived table is not audited (a command processor), None when it is or is raw."""
    if table.processor is not None and table.is_command_processor:
        return (f"{table.name}: not audited — its processor is a command (an external job) the read-only gate "
                "cannot re-run")
    return None


@dataclass(frozen=True)
class AuditDates:
    """The dates one table is audited on, and the processor runs that make them."""

    mode: str                                   # all | sample
    dates: tuple[dt.date, ...]                  # compared dates (all: the window's dates with rows or games)
    runs: tuple[tuple[dt.date, dt.date], ...]   # processor runs (start, end), one statement
    window: tuple[dt.date, dt.date]
    excepted: tuple[dt.date, ...] = ()          # documented exceptions: never compared

    def describe(self) -> str:
        if self.mode == "all":
            return f"every date of {self.window[0]}..{self.window[1]} ({len(self.dates)} dates)"
        return f"a sample of {len(self.dates)} dates in {len(self.runs)} run(s)"


def _runs(dates: list[dt.date], universe: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    position = {d: i for i, d in enumerate(universe)}
    runs: list[list[dt.date]] = []
    for day in sorted(set(dates)):
        if runs and position.get(runs[-1][-1], -2) + 1 == position.get(day):
            runs[-1].append(day)
        else:
            runs.append([day])
    return [(r[0], r[-1]) for r in runs]


def resolve_mode(mode: str, *, rows: int, bills_bytes: bool) -> str:
    """auto -> all where nothing is billed and the table is small, else sample; others unchanged."""
    if mode == "auto":
        return "all" if not bills_bytes and rows <= AUTO_ALL_MAX_ROWS else "sample"
    return mode


def choose_dates(catalog: Catalog, mode: str, *, start: dt.date, end: dt.date, dates: list[dt.date],
                 stale: list[dt.date] = (), excepted: frozenset[dt.date] | set[dt.date] = frozenset()) -> AuditDates:
    """The audit dates of a table for a resolved mode (all | sample); `dates`: the window's dates
    with games or rows, sorted; `stale`: dates whose upstream changed after they were written;
    `excepted`: documented exceptions (their rows are whatever the exception says: not compared)."""
    dates = [d for d in dates if d not in excepted]
    gone = tuple(sorted(excepted))
    if mode == "all" or not dates:
        return AuditDates("all", tuple(dates), ((start, end),), (start, end), gone)
    settings = catalog.settings
    k = min(settings.audit_sample_dates, len(dates))
    spread = {dates[round(i * (len(dates) - 1) / max(k - 1, 1))] for i in range(k)}
    latest = set(dates[-settings.audit_latest_dates:]) if settings.audit_latest_dates else set()
    chosen = sorted(spread | latest | {d for d in stale if start <= d <= end})
    return AuditDates("sample", tuple(chosen), tuple(_runs(chosen, dates)), (start, end), gone)


def compared_columns(table: Table, columns: dict[str, str]) -> list[str]:
    """The stored columns compared (`columns`: those the processor makes and the table holds)."""
    ignored = {*AUDIT_IGNORED, table.processed_at_column, *table.audit_ignore}
    return [c for c in columns if c not in ignored and c not in table.key]


def _kind(dtype: str) -> str:
    upper = dtype.upper()
    if upper.endswith("[]") or upper.startswith(("ARRAY", "STRUCT", "STRUCT(", "MAP", "JSON")) or "STRUCT(" in upper:
        return "json"
    return "float" if upper in FLOAT_TYPES else "exact"


def _differs(column: str, kind: str, tolerance: float) -> str:
    f, s = f"f.{column}", f"s.{column}"
    if kind == "json":
        return f"TO_JSON_STRING({f}) IS DISTINCT FROM TO_JSON_STRING({s})"
    if kind == "float":
        return (f"NOT COALESCE(({f} IS NULL AND {s} IS NULL) OR {f} = {s} OR ABS({f} - {s}) <= {tolerance!r} "
                f"OR (IS_NAN({f}) AND IS_NAN({s})), FALSE)")
    return f"{f} IS DISTINCT FROM {s}"


def _shown(expr: str, kind: str) -> str:
    return as_text(f"TO_JSON_STRING({expr})" if kind == "json" else expr)


def audit_sql(catalog: Catalog, table: Table, columns: dict[str, str], selection: AuditDates,
              processor: str) -> tuple[str, dict[str, Any]]:
    """The one statement of a table's audit and its parameters (`processor`: the query the runner
    sends, `phasegate.runner.processors.processor_sql`). Rows: (what, n, examples), what being
    rows (the processor's), stored, missing, extra, differing, or column:<name>."""
    base = processor
    compared = compared_columns(table, columns)
    kinds = {c: _kind(columns[c]) for c in compared}
    tolerance = {c: table.audit_tolerance.get(c, catalog.settings.audit_tolerance) for c in compared}
    params: dict[str, Any] = {k: v for k, v in calendar_params(catalog, selection.window[0], selection.window[1]).items()
                              if k in ("season_types", "bootstrap_days")}
    runs = []
    for i, (first, last) in enumerate(selection.runs):
        cal = calendar_params(catalog, first, last)
        for name in ("start_date", "end_date", "schedule_start"):
            params[f"audit_{name}_{i}"] = cal[name]
        runs.append(f"SELECT * FROM (\n{_PARAMS.sub(lambda m, i=i: f'@audit_{m.group(1)}_{i}', base)}\n) AS run_{i}")
    params["audit_from"], params["audit_to"] = selection.window
    date = table.date_column
    where = f"{date} BETWEEN @audit_from AND @audit_to"
    if selection.mode == "sample":
        params["audit_dates"] = list(selection.dates)
        where += f" AND {date} IN UNNEST(@audit_dates)"
    if selection.excepted:
        params["audit_excepted"] = list(selection.excepted)
        where += f" AND {date} NOT IN UNNEST(@audit_excepted)"
    cols = ", ".join([*table.key, *compared])
    on = " AND ".join(f"f.{k} = s.{k}" for k in table.key)
    key_text = ", ' / ', ".join(as_text(f"COALESCE(f.{k}, s.{k})") for k in table.key)
    flags = ",\n    ".join(f"{_differs(c, kinds[c], tolerance[c])} AS d_{i}" for i, c in enumerate(compared))
    any_diff = " OR ".join(f"d_{i}" for i in range(len(compared))) or "FALSE"
    detail = ", ".join(f"IF(d_{i}, CONCAT({literal(c + ' ')}, {_shown(f's_{i}', kinds[c])}, ' -> ', "
                       f"{_shown(f'f_{i}', kinds[c])}, '; '), '')" for i, c in enumerate(compared)) or "''"
    shown = ",\n    ".join(f"s.{c} AS s_{i}, f.{c} AS f_{i}" for i, c in enumerate(compared))
    per_column = "".join(
        f"\nUNION ALL SELECT {literal('column:' + c)}, COUNTIF(d_{i} AND NOT is_missing AND NOT is_extra), "
        "CAST(NULL AS STRING) FROM joined"
        for i, c in enumerate(compared))
    sql = f"""WITH rerun AS (
{chr(10).join(('UNION ALL ' if i else '') + r for i, r in enumerate(runs))}
),
fresh AS (SELECT {cols}, TRUE AS present FROM rerun WHERE {where}),
stored AS (SELECT {cols}, TRUE AS present FROM {table.ref} WHERE {where}),
joined AS (
  SELECT
    CONCAT({key_text}) AS row_key,
    f.present IS NULL AS is_extra,
    s.present IS NULL AS is_missing,
    {flags}{',' if compared else ''}
    {shown}{',' if compared else ''}
    TRUE AS joined_row
  FROM fresh AS f FULL OUTER JOIN stored AS s ON {on}
),
flagged AS (
  SELECT kind, example, ROW_NUMBER() OVER (PARTITION BY kind ORDER BY example) AS rn
  FROM (
    SELECT
      CASE WHEN is_missing THEN 'missing' WHEN is_extra THEN 'extra' WHEN {any_diff} THEN 'differing' END AS kind,
      IF(is_missing OR is_extra, row_key, SUBSTR(CONCAT(row_key, ': ', {detail}), 1, 400)) AS example
    FROM joined
  ) AS k
  WHERE kind IS NOT NULL
)
SELECT 'rows' AS what, COUNTIF(NOT is_extra) AS n, CAST(NULL AS STRING) AS examples FROM joined
UNION ALL SELECT 'stored', COUNTIF(NOT is_missing), CAST(NULL AS STRING) FROM joined
UNION ALL SELECT kind, COUNT(*), STRING_AGG(IF(rn <= {EXAMPLES}, example, NULL), ' | ' ORDER BY example)
FROM flagged GROUP BY kind{per_column}"""
    return sql, params


@dataclass
class AuditResult:
    table: str
    selection: AuditDates
    rows: int = 0        # rows the processor made on the audit dates
    stored: int = 0      # rows stored on them
    missing: int = 0
    extra: int = 0
    differing: int = 0
    examples: dict[str, str] = field(default_factory=dict)  # missing | extra | differing -> examples
    by_column: dict[str, int] = field(default_factory=dict)  # column -> differing rows

    @property
    def passed(self) -> bool:
        return self.missing == 0 and self.extra == 0 and self.differing == 0

    def as_dict(self) -> dict[str, Any]:
        return {"mode": self.selection.mode, "dates": len(self.selection.dates), "runs": len(self.selection.runs),
                "rows": self.rows, "stored": self.stored, "missing": self.missing, "extra": self.extra,
                "differing": self.differing, "columns": {c: n for c, n in self.by_column.items() if n},
                "examples": self.examples}


AUDIT_COLUMNS = (("what", "STRING"), ("n", "INT64"), ("examples", "STRING"))


def measure_audit(warehouse: Warehouse, catalog: Catalog, table_name: str, selection: AuditDates,
                  columns: dict[str, str], processor: str) -> AuditResult:
    """Run a table's audit statement (one query); a failed query raises WarehouseError (an ERROR).

    The gate folds the same statement into the table's checks statement
    (`phasegate.measure.query.measure_folded`) and reads its rows with `audit_result`."""
    table = catalog.table(table_name)
    sql, params = audit_sql(catalog, table, columns, selection, processor)
    rows = warehouse.query(sql, params, labels={"component": "audit", "table": table.name})
    return audit_result(table, selection, rows)


def audit_result(table: Table, selection: AuditDates, rows: list[dict[str, Any]]) -> AuditResult:
    """The audit statement's rows (what, n, examples) -> AuditResult; no row count raises WarehouseError."""
    got = {r["what"]: r for r in rows}
    if "rows" not in got or "stored" not in got:
        raise WarehouseError(f"the audit query of {table.name} returned no row count")
    result = AuditResult(table.name, selection, rows=int(got["rows"]["n"]), stored=int(got["stored"]["n"]))
    for kind in ("missing", "extra", "differing"):
        if kind in got:
            setattr(result, kind, int(got[kind]["n"]))
            result.examples[kind] = got[kind]["examples"] or ""
    result.by_column = {what.removeprefix("column:"): int(r["n"]) for what, r in got.items()
                        if what.startswith("column:")}
    return result
