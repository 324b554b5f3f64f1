"""A table's compiled rules -> one BigQuery statement; its rows -> GE outcomes.

The statement (BigQuery Standard SQL; DuckDB runs it through warehouse.translate.to_duckdb):

    WITH scanned AS (            -- the one scan: the columns the rules read, inside the window
      SELECT `c1`, `c2`, ...,
             <row predicates, once each: (`c1` IS NOT NULL) AND (NOT (`c1` >= 0)) AS _pg_f3, ...>,
             <window counts, e.g. compound-key group sizes: COUNTIF(...) OVER (PARTITION BY ...) AS _pg_dup_0>
      FROM dataset.table
      WHERE date_col BETWEEN @start_date AND @end_date
    ),
    measured AS (                -- every rule's aggregates side by side, one row
      SELECT COUNT(*) AS m0, COUNTIF(_pg_f3) AS m1,
             TO_JSON_STRING(ARRAY_AGG(IF(_pg_f3, `c1`, NULL) IGNORE NULLS ORDER BY `c1` LIMIT 5)) AS m2, ...
      FROM scanned
    )
    SELECT r.rule_index, r.case_id, r.family, r.element_count, r.missing_count, r.unexpected_count,
           r.observed_value, r.unexpected_examples, r.examples_kind, r.observed_kind
    FROM measured, UNNEST([STRUCT(0 AS rule_index, 'case' AS case_id, ...), ...]) AS r

one row per compiled rule. Identical aggregates are computed once (most rules share COUNT(*)).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from phasegate.errors import UsageError, WarehouseError
from phasegate.expectations.compiled.rules import COMPILERS, MissingColumn, RuleContext, RuleSQL, compile_rule
from phasegate.expectations.compiled.sql import Unsupported, ident, literal
from phasegate.expectations.compiled.verdict import outcome
from phasegate.expectations.run import RuleOutcome
from phasegate.expectations.suites import Rule
from phasegate.model.catalog import Table
from phasegate.warehouse import Warehouse

RESULT_COLUMNS = ("rule_index", "case_id", "family", "element_count", "missing_count", "unexpected_count",
                  "observed_value", "unexpected_examples", "examples_kind", "observed_kind")
# Their BigQuery types (a folded statement types the other parts' NULLs with them).
RESULT_TYPES = (("rule_index", "INT64"), ("case_id", "STRING"), ("family", "STRING"), ("element_count", "INT64"),
                ("missing_count", "INT64"), ("unexpected_count", "INT64"), ("observed_value", "STRING"),
                ("unexpected_examples", "STRING"), ("examples_kind", "STRING"), ("observed_kind", "STRING"))
_INT_FIELDS = ("element_count", "missing_count", "unexpected_count")
_STRING_FIELDS = ("observed_value", "unexpected_examples")


def supports(rule: Rule) -> bool:
    """Whether `rule`'s type has a compiler (its arguments and the column types may still refuse it)."""
    return rule.type in COMPILERS


@dataclass
class CompiledTable:
    """A table's rules, split: compiled into `sql`, decided without SQL (`errors`), or left to GE."""

    table: Table
    rules: list[Rule] = field(default_factory=list)  # in the statement, in order
    parts: list[RuleSQL] = field(default_factory=list)
    uncompiled: dict[str, str] = field(default_factory=dict)  # case_id -> why (run it through GE)
    errors: dict[str, RuleOutcome] = field(default_factory=dict)  # e.g. the rule names a missing column
    flags: dict[str, str] = field(default_factory=dict)  # row predicate -> its scan column
    scan_columns: list[str] = field(default_factory=list)  # SQL of the scan's select list
    aggregates: list[str] = field(default_factory=list)  # "expr AS alias" of the measured row
    unpivot: str = ""  # the UNNEST([...]) array of result structs
    sql: str | None = None  # None: nothing to run


def compile_table(table: Table, rules: Sequence[Rule], columns: Mapping[str, str]) -> CompiledTable:
    """Compile every rule it can into one statement over `table` on [@start_date, @end_date].

    `columns` is the table's column -> warehouse type (Warehouse.columns); types decide what can
    be compiled faithfully (e.g. regex only on strings) and how values are decoded.
    """
    ids = [rule.case_id for rule in rules]
    if len(set(ids)) != len(ids):
        raise UsageError(f"{table.ref}: rules with the same case id cannot share a statement")
    compiled = CompiledTable(table=table)
    for rule in rules:
        # A rule refused halfway leaves no flags behind: each rule works on a copy.
        context = RuleContext(index=len(compiled.rules), columns=columns, flags=dict(compiled.flags))
        try:
            part = compile_rule(rule, context)
        except Unsupported as exc:
            compiled.uncompiled[rule.case_id] = str(exc)
            continue
        except MissingColumn as exc:
            compiled.errors[rule.case_id] = RuleOutcome(case_id=rule.case_id, success=False,
                                                        exception=f"{table.ref}: {exc}")
            continue
        compiled.rules.append(rule)
        compiled.parts.append(part)
        compiled.flags = context.flags
    if compiled.rules:
        _assemble(compiled)
    return compiled


def _assemble(compiled: CompiledTable) -> None:
    table = compiled.table
    date_col = ident(table.date_column)
    needed = [table.date_column, *(c for rule in compiled.rules for c in rule.columns)]
    compiled.scan_columns = [ident(c) for c in dict.fromkeys(needed)]
    compiled.scan_columns += [f"{predicate} AS {alias}" for predicate, alias in compiled.flags.items()]
    compiled.scan_columns += [f"{expr} AS {alias}" for part in compiled.parts for alias, expr in part.windows]
    aliases: dict[str, str] = {}

    def measure(expr: str | None) -> str | None:
        if expr is None:
            return None
        if expr not in aliases:
            aliases[expr] = f"m{len(aliases)}"
        return aliases[expr]

    structs = []
    for index, (rule, part) in enumerate(zip(compiled.rules, compiled.parts, strict=True)):
        values: dict[str, str | None] = {
            "element_count": measure(part.element_count), "missing_count": measure(part.missing_count),
            "unexpected_count": measure(part.unexpected_count), "observed_value": measure(part.observed_value),
            "unexpected_examples": measure(part.examples)}
        fields = [f"{index} AS rule_index", f"{literal(rule.case_id)} AS case_id", f"{literal(part.family)} AS family"]
        # A NULL is typed so the array's struct type is the same whichever rule comes first.
        for name in _INT_FIELDS:
            fields.append(f"{values[name] or 'CAST(NULL AS INT64)'} AS {name}")
        for name in _STRING_FIELDS:
            fields.append(f"{values[name] or 'CAST(NULL AS STRING)'} AS {name}")
        for name in ("examples_kind", "observed_kind"):
            kind = getattr(part, name)
            fields.append(f"{literal(kind) if kind else 'CAST(NULL AS STRING)'} AS {name}")
        structs.append("STRUCT(" + ", ".join(fields) + ")")
    compiled.aggregates = [f"{expr} AS {alias}" for expr, alias in aliases.items()]
    compiled.unpivot = "UNNEST([\n    " + ",\n    ".join(structs) + "\n  ])"
    compiled.sql = (
        "WITH scanned AS (\n"
        f"  SELECT {', '.join(compiled.scan_columns)}\n"
        f"  FROM {table.ref}\n"
        f"  WHERE {date_col} BETWEEN @start_date AND @end_date\n"
        "),\n"
        "measured AS (\n"
        "  SELECT\n    " + ",\n    ".join(compiled.aggregates) + "\n"
        "  FROM scanned\n"
        ")\n"
        f"SELECT {', '.join(f'r.{c}' for c in RESULT_COLUMNS)}\n"
        f"FROM measured, {compiled.unpivot} AS r")


def outcomes_from_rows(rules: Sequence[Rule], rows: Sequence[Mapping[str, Any]]) -> dict[str, RuleOutcome]:
    """GE's outcome for each compiled rule from the statement's rows (matched by case_id).

    A rule without its row is an error outcome, never a pass.
    """
    by_case = {row["case_id"]: row for row in rows}
    outcomes: dict[str, RuleOutcome] = {}
    for rule in rules:
        row = by_case.get(rule.case_id)
        if row is None:
            outcomes[rule.case_id] = RuleOutcome(case_id=rule.case_id, success=False,
                                                 exception="the compiled statement returned no row for this rule")
            continue
        outcomes[rule.case_id] = outcome(rule, row)
    return outcomes


class Evaluation(dict[str, RuleOutcome]):
    """case_id -> RuleOutcome for the rules evaluated here; `uncompiled` lists the others
    (case_id -> reason) for the caller to run through Great Expectations."""

    def __init__(self, outcomes: Mapping[str, RuleOutcome], *, uncompiled: Mapping[str, str], sql: str | None,
                 statements: int, duration_s: float) -> None:
        super().__init__(outcomes)
        self.uncompiled = dict(uncompiled)
        self.sql = sql
        self.statements = statements
        self.duration_s = duration_s


def evaluate(warehouse: Warehouse, table: Table, rules: Sequence[Rule], start: dt.date, end: dt.date, *,
             columns: Mapping[str, str] | None = None) -> Evaluation:
    """Evaluate `rules` of `table` on [start, end] in one warehouse query.

    `columns` (column -> type) saves the lookup when the caller has it. A query failure raises
    WarehouseError (the caller reports the table as not validated); a missing table too.
    """
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        raise UsageError("the expectation window needs dates")
    started = time.perf_counter()
    if columns is None:
        columns = warehouse.columns(table.dataset, table.name)
    if not columns:
        raise WarehouseError(f"{table.ref} does not exist: its expectations cannot be evaluated")
    compiled = compile_table(table, rules, columns)
    outcomes: dict[str, RuleOutcome] = dict(compiled.errors)
    statements = 0
    if compiled.sql is not None:
        rows = warehouse.query(compiled.sql, {"start_date": start, "end_date": end},
                               labels={"component": "expectations"})
        statements = 1
        outcomes.update(outcomes_from_rows(compiled.rules, rows))
    ordered = {r.case_id: outcomes[r.case_id] for r in rules if r.case_id in outcomes}
    return Evaluation(ordered, uncompiled=compiled.uncompiled, sql=compiled.sql, statements=statements,
                      duration_s=time.perf_counter() - started)
