"""One compiler per expectation type: a rule of a suite -> the SQL of its measurements.

A compiler is a plain function `(rule, context) -> RuleSQL`, registered by type in `COMPILERS`
(as sqlglot's optimizer keeps its rules). It raises `Unsupported` for anything it cannot
express with Great Expectations' exact semantics (the rule then stays with GE), and
`MissingColumn` when the rule names a column the table does not have (GE errors there too).

Each compiler mirrors GE 1.x's SQL execution engine (versions in the package docstring):
what the domain is (row_condition, NULL filtering, ignore_row_if), which condition marks a row
unexpected, which count is the denominator. The GE source lines are cited where it matters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from phasegate.expectations.compiled.sql import (
    NUMERIC_FAMILIES,
    UNPARTITIONABLE_FAMILIES,
    Unsupported,
    both,
    condition_columns,
    condition_sql,
    count_where,
    ident,
    is_number,
    literal,
    type_family,
)
from phasegate.expectations.suites import Rule

EXAMPLES = 5  # GE's partial_unexpected_count in the gate's result format (run.RESULT_FORMAT)
# Keys GE reads for reporting only; they do not change what is measured.
_REPORTING_KWARGS = frozenset({"result_format", "catch_exceptions", "meta", "notes", "description"})
_CONDITION_KWARGS = frozenset({"row_condition", "condition_parser"})


class MissingColumn(Exception):  # noqa: N818 - a verdict on the rule
    """The rule names a column the table does not have (an error outcome, never a pass)."""


@dataclass(frozen=True)
class RuleContext:
    index: int  # position among the table's compiled rules; names SQL aliases
    columns: Mapping[str, str]  # the table's column -> warehouse type
    # Row predicates computed once per row in the scan, shared by the table's rules:
    # predicate SQL -> its alias (a BOOL column of the scan).
    flags: dict[str, str] = field(default_factory=dict)

    def family(self, column: str) -> str:
        return type_family(self.columns.get(column))

    def flag(self, predicate: str | None) -> str | None:
        """The scan column holding `predicate` for each row (NULL stays NULL: not counted)."""
        if predicate is None:
            return None
        if predicate not in self.flags:
            self.flags[predicate] = f"_pg_f{len(self.flags)}"
        return self.flags[predicate]


@dataclass(frozen=True)
class RuleSQL:
    """What one rule measures, as BigQuery SQL aggregate expressions over the window's rows.

    family: how GE decides success from the numbers (see verdict.py):
        map          ColumnMapExpectation: denominator = non-NULL rows of the domain
        null_map     expect_column_values_to_(not_)be_null: denominator = all rows of the domain
        pair, multicolumn   denominator = rows left after ignore_row_if
        table        observed value (row count) against min/max
        aggregate    observed value (min/max/mean of the column) against min/max
    element_count, missing_count, unexpected_count: INT64 expressions (None where GE reports none)
    observed_value, examples: STRING expressions holding JSON (examples: up to 5 unexpected values)
    examples_kind: decoding of examples: "values:FAMILY", "nulls", "pairs:FA,FB", "rows:F1,F2,..."
    observed_kind: the family of the observed value
    windows: (alias, window expression) computed in the scan for this rule
    """

    family: str
    element_count: str
    missing_count: str | None = None
    unexpected_count: str | None = None
    observed_value: str | None = None
    examples: str | None = None
    examples_kind: str | None = None
    observed_kind: str | None = None
    windows: tuple[tuple[str, str], ...] = ()


Compiler = Callable[[Rule, RuleContext], RuleSQL]
COMPILERS: dict[str, Compiler] = {}


def compiler(*types: str) -> Callable[[Compiler], Compiler]:
    def register(fn: Compiler) -> Compiler:
        for type_ in types:
            COMPILERS[type_] = fn
        return fn

    return register


def compile_rule(rule: Rule, context: RuleContext) -> RuleSQL:
    fn = COMPILERS.get(rule.type)
    if fn is None:
        raise Unsupported(f"no compiled form for {rule.type}")
    return fn(rule, context)


# -- shared argument handling -----------------------------------------------------------------

def _kwargs(rule: Rule, allowed: set[str]) -> Mapping[str, Any]:
    extra = set(rule.kwargs) - allowed - _REPORTING_KWARGS - _CONDITION_KWARGS
    if extra:
        raise Unsupported(f"argument(s) {', '.join(sorted(extra))} of {rule.type} are not compiled")
    return rule.kwargs


def _condition(rule: Rule, context: RuleContext) -> str | None:
    parser = rule.kwargs.get("condition_parser")
    if parser not in (None, "great_expectations"):
        raise Unsupported(f"condition_parser {parser!r} is not compiled")
    condition = rule.kwargs.get("row_condition")
    sql = condition_sql(condition)
    for column in condition_columns(condition):
        _column(column, context)
    return sql


def _column(name: Any, context: RuleContext) -> str:
    sql = ident(name)
    if name not in context.columns:
        raise MissingColumn(f"column {name!r} is not a column of the table")
    return sql


def _mostly(rule: Rule) -> float:
    mostly = rule.kwargs.get("mostly", 1)
    if not is_number(mostly) or not 0 <= mostly <= 1:
        raise Unsupported(f"mostly={mostly!r} is not a number in [0, 1]")
    return float(mostly)


def _flag(rule: Rule, key: str) -> bool:
    value = rule.kwargs.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Unsupported(f"{key}={value!r} is not true or false")
    return value


def _bounds(rule: Rule, family: str, *, map_rule: bool) -> tuple[Any, Any]:
    """min_value / max_value usable against a column of `family` (numbers, or ISO strings for dates).

    For the map rule GE refuses both bounds None (ExpectColumnValuesToBeBetween root validator)
    and min > max (ColumnValuesBetween._sqlalchemy raises); for min/max/mean neither is an error
    (no bound passes, crossed bounds fail).
    """
    lo, hi = rule.kwargs.get("min_value"), rule.kwargs.get("max_value")
    for bound in (lo, hi):
        if bound is None:
            continue
        if family in NUMERIC_FAMILIES and is_number(bound):
            continue
        if family in ("date", "datetime") and isinstance(bound, str) and map_rule:
            continue
        raise Unsupported(f"bound {bound!r} against a {family} column is not compiled")
    if not map_rule:
        return lo, hi
    if lo is None and hi is None:
        raise Unsupported("min_value and max_value are both None (GE raises)")
    if lo is not None and hi is not None and type(lo) is type(hi) is str and lo > hi:
        raise Unsupported("min_value is greater than max_value (GE raises)")
    if is_number(lo) and is_number(hi) and lo > hi:
        raise Unsupported("min_value is greater than max_value (GE raises)")
    return lo, hi


def _between(value: str, lo: Any, hi: Any, strict_min: bool, strict_max: bool) -> str:
    # ColumnValuesBetween._sqlalchemy and BatchExpectation._validate_metric_value_between:
    # inclusive unless strict; a None bound is no bound.
    parts = []
    if lo is not None:
        parts.append(f"{value} {'>' if strict_min else '>='} {literal(lo)}")
    if hi is not None:
        parts.append(f"{value} {'<' if strict_max else '<='} {literal(hi)}")
    return " AND ".join(parts)


def _examples(bad: str, value: str, order: str) -> str:
    """Up to EXAMPLES unexpected values, smallest first, as a JSON array string.

    GE's SQL engine takes `LIMIT 5` with no ORDER BY (column_map_condition_auxilliary_methods
    `_sqlalchemy_column_map_condition_values`), i.e. whichever rows the engine returns first;
    ordering makes the examples reproducible and is a subset of the same unexpected rows.
    """
    return f"TO_JSON_STRING(ARRAY_AGG(IF({bad}, {value}, NULL) IGNORE NULLS ORDER BY {order} LIMIT {EXAMPLES}))"


def _values_kind(family: str) -> str:
    return f"values:{family}"


# -- column map expectations --------------------------------------------------------------------
# ColumnMapExpectation._validate (expectation.py): element_count = table.row_count of the domain
# (row_condition applied), nonnull = element_count - column_values.nonnull.unexpected_count,
# success = vacuous when either is 0, else (nonnull - unexpected) / nonnull >= mostly.
# column_condition_partial (SqlAlchemy): unexpected = NOT(col IS NULL) AND NOT(expected), counted
# with SUM(CASE WHEN unexpected THEN 1 ELSE 0 END) — a NULL condition counts as expected.

def _column_map(rule: Rule, context: RuleContext, expected: str | None, *, always_unexpected: bool = False) -> RuleSQL:
    col = _column(rule.kwargs.get("column"), context)
    cond = _condition(rule, context)
    _mostly(rule)
    not_null = f"{col} IS NOT NULL"
    family = context.family(rule.kwargs["column"])
    if expected is None and not always_unexpected:  # vacuously expected (value_set None)
        unexpected, examples = "0", None
    else:
        bad = context.flag(both(cond, not_null) if always_unexpected else both(cond, not_null, f"NOT ({expected})"))
        unexpected, examples = f"COUNTIF({bad})", _examples(bad, col, col)
    return RuleSQL(family="map", element_count=count_where(context.flag(cond)),
                   missing_count=count_where(context.flag(both(cond, f"{col} IS NULL"))),
                   unexpected_count=unexpected, examples=examples, examples_kind=_values_kind(family))


@compiler("expect_column_values_to_be_between")
def column_values_between(rule: Rule, context: RuleContext) -> RuleSQL:
    _kwargs(rule, {"column", "mostly", "min_value", "max_value", "strict_min", "strict_max"})
    family = context.family(_column_name(rule, context))
    if family in ("string", "bool", "other"):
        # ColumnValuesBetween._sqlalchemy raises InvalidColumnTypeError for string/boolean columns.
        raise Unsupported(f"between on a {family} column (GE raises InvalidColumnTypeError)")
    lo, hi = _bounds(rule, family, map_rule=True)
    col = ident(rule.kwargs["column"])
    return _column_map(rule, context, _between(col, lo, hi, _flag(rule, "strict_min"), _flag(rule, "strict_max")))


def _column_name(rule: Rule, context: RuleContext) -> str:
    name = rule.kwargs.get("column")
    _column(name, context)
    return name


def _value_set(rule: Rule, family: str) -> list[Any] | None:
    value_set = rule.kwargs.get("value_set")
    if value_set is None:
        return None
    if not isinstance(value_set, list):
        raise Unsupported("value_set is not a list (suite parameters stay with GE)")
    for value in value_set:
        if value is None:
            continue
        ok = ((family == "string" and isinstance(value, str))
              or (family in NUMERIC_FAMILIES and is_number(value))
              or (family == "bool" and isinstance(value, bool))
              or (family in ("date", "datetime") and isinstance(value, str)))
        if not ok:
            raise Unsupported(f"value {value!r} in value_set against a {family} column is not compiled")
    return value_set


@compiler("expect_column_values_to_be_in_set")
def column_values_in_set(rule: Rule, context: RuleContext) -> RuleSQL:
    _kwargs(rule, {"column", "mostly", "value_set"})
    family = context.family(_column_name(rule, context))
    values = _value_set(rule, family)
    if values is None:  # ColumnValuesInSet._sqlalchemy_impl: "vacuously true"
        return _column_map(rule, context, None)
    # GE drops None from the set (a NULL in IN never matches; GH #12273); an empty set is False.
    values = [v for v in values if v is not None]
    if not values:
        return _column_map(rule, context, None, always_unexpected=True)
    col = ident(rule.kwargs["column"])
    return _column_map(rule, context, f"{col} IN ({', '.join(literal(v) for v in values)})")


@compiler("expect_column_values_to_not_be_in_set")
def column_values_not_in_set(rule: Rule, context: RuleContext) -> RuleSQL:
    _kwargs(rule, {"column", "mostly", "value_set"})
    family = context.family(_column_name(rule, context))
    values = _value_set(rule, family)
    if not values:  # ColumnValuesNotInSet._sqlalchemy: None or empty -> True
        return _column_map(rule, context, None)
    col = ident(rule.kwargs["column"])
    # column.notin_(tuple(value_set)): a None stays in the list as NULL, exactly as GE sends it.
    return _column_map(rule, context, f"{col} NOT IN ({', '.join(literal(v) for v in values)})")


# RE2 (BigQuery and DuckDB) has no lookaround and no backreferences; such a pattern would make the
# whole table's statement fail, so it stays with GE, which reports it on that rule alone.
_NOT_RE2 = re.compile(r"\(\?<?[=!]|\\[1-9]|\(\?P=|\(\?>|\(\?\(")


def _regex(rule: Rule) -> str:
    regex = rule.kwargs.get("regex")
    if not isinstance(regex, str):
        raise Unsupported("regex is not a string")
    try:
        re.compile(regex)
    except re.error as exc:
        raise Unsupported(f"regex {regex!r} does not compile: {exc}") from None
    if _NOT_RE2.search(regex):
        raise Unsupported(f"regex {regex!r} uses lookaround or backreferences (not RE2)")
    return regex


@compiler("expect_column_values_to_match_regex")
def column_values_match_regex(rule: Rule, context: RuleContext) -> RuleSQL:
    _kwargs(rule, {"column", "mostly", "regex"})
    family = context.family(_column_name(rule, context))
    if family != "string":
        raise Unsupported(f"regex on a {family} column is not compiled")
    regex = _regex(rule)
    col = ident(rule.kwargs["column"])
    # get_dialect_regex_expression: BigQuery REGEXP_CONTAINS, PostgreSQL-style `~` (our DuckDB
    # shim): both "contains a match", which REGEXP_CONTAINS -> DuckDB REGEXP_MATCHES keeps.
    return _column_map(rule, context, f"REGEXP_CONTAINS({col}, {literal(regex)})")


def _null_map(rule: Rule, context: RuleContext, unexpected_when: str) -> RuleSQL:
    # ExpectColumnValuesToNotBeNull._validate / ExpectColumnValuesToBeNull._validate: the
    # denominator is the whole domain (nonnull_count=None, so GE reports no missing_count and
    # unexpected_percent over element_count); success = vacuous on 0 rows, else
    # (total - unexpected) / total >= mostly. Their metrics keep NULL rows (filter_column_isnull=False).
    _kwargs(rule, {"column", "mostly"})
    col = _column(rule.kwargs.get("column"), context)
    cond = _condition(rule, context)
    _mostly(rule)
    bad = context.flag(both(cond, f"{col} {unexpected_when}"))
    family = context.family(rule.kwargs["column"])
    if unexpected_when == "IS NULL":
        examples, kind = None, "nulls"  # every unexpected value is NULL
    else:
        examples, kind = _examples(bad, col, col), _values_kind(family)
    return RuleSQL(family="null_map", element_count=count_where(context.flag(cond)), unexpected_count=f"COUNTIF({bad})",
                   examples=examples, examples_kind=kind)


@compiler("expect_column_values_to_not_be_null")
def column_values_not_null(rule: Rule, context: RuleContext) -> RuleSQL:
    return _null_map(rule, context, "IS NULL")


@compiler("expect_column_values_to_be_null")
def column_values_null(rule: Rule, context: RuleContext) -> RuleSQL:
    return _null_map(rule, context, "IS NOT NULL")


# -- column pair and multicolumn map expectations --------------------------------------------------
# ColumnPairMapExpectation._validate / MulticolumnMapExpectation._validate: denominator =
# filtered_row_count (rows of the domain after ignore_row_if, get_domain_records), success =
# vacuous when the table or the filtered rows are 0, else (filtered - unexpected) / filtered >= mostly.

def _comparable(a: str, b: str) -> bool:
    return (a in NUMERIC_FAMILIES and b in NUMERIC_FAMILIES) or (a == b and a in ("string", "date", "datetime", "bool"))


@compiler("expect_column_pair_values_a_to_be_greater_than_b")
def column_pair_a_greater_than_b(rule: Rule, context: RuleContext) -> RuleSQL:
    kw = _kwargs(rule, {"column_A", "column_B", "or_equal", "ignore_row_if", "mostly"})
    a, b = _column(kw.get("column_A"), context), _column(kw.get("column_B"), context)
    fa, fb = context.family(kw["column_A"]), context.family(kw["column_B"])
    if not _comparable(fa, fb):
        raise Unsupported(f"comparing a {fa} column with a {fb} column is not compiled")
    cond = _condition(rule, context)
    _mostly(rule)
    ignore = kw.get("ignore_row_if") or "both_values_are_missing"  # the expectation's default
    filters = {"both_values_are_missing": f"NOT ({a} IS NULL AND {b} IS NULL)",
               "either_value_is_missing": f"NOT ({a} IS NULL OR {b} IS NULL)", "neither": None}
    if ignore not in filters:
        raise Unsupported(f"ignore_row_if={ignore!r} is not one of GE's")
    domain = both(cond, filters[ignore])
    # ColumnPairValuesAGreaterThanB._sqlalchemy; unexpected = NOT(expected) (column_pair_condition_partial).
    if _flag(rule, "or_equal"):
        expected = f"{a} >= {b} OR ({a} IS NULL AND {b} IS NULL)"
    else:
        expected = f"{a} > {b}"
    bad = context.flag(both(domain, f"NOT ({expected})"))
    elements, filtered = count_where(context.flag(cond)), count_where(context.flag(domain))
    return RuleSQL(family="pair", element_count=elements, missing_count=f"{elements} - {filtered}",
                   unexpected_count=f"COUNTIF({bad})",
                   examples=_examples(bad, f"STRUCT({a} AS a, {b} AS b)", f"{a}, {b}"),
                   examples_kind=f"pairs:{fa},{fb}")


@compiler("expect_compound_columns_to_be_unique")
def compound_columns_unique(rule: Rule, context: RuleContext) -> RuleSQL:
    kw = _kwargs(rule, {"column_list", "ignore_row_if", "mostly"})
    names = kw.get("column_list")
    if not isinstance(names, list) or len(names) < 2 or len(set(names)) != len(names):
        raise Unsupported("column_list must name at least two distinct columns (GE's validator)")
    cols = [_column(n, context) for n in names]
    families = [context.family(n) for n in names]
    for name, family in zip(names, families, strict=True):
        if family in UNPARTITIONABLE_FAMILIES:
            raise Unsupported(f"key column {name!r} is {family}: BigQuery cannot partition by it")
    cond = _condition(rule, context)
    _mostly(rule)
    ignore = kw.get("ignore_row_if") or "all_values_are_missing"  # MulticolumnMapExpectation default
    nulls = [f"{c} IS NULL" for c in cols]
    filters = {"all_values_are_missing": f"NOT ({' AND '.join(nulls)})",
               "any_value_is_missing": f"NOT ({' OR '.join(nulls)})", "never": None}
    if ignore not in filters:
        raise Unsupported(f"ignore_row_if={ignore!r} is not one of GE's")
    domain = both(cond, filters[ignore])
    alias = f"_pg_dup_{context.index}"
    window = f"{count_where(domain)} OVER (PARTITION BY {', '.join(cols)})"
    # CompoundColumnsUnique._sqlalchemy_function counts rows per key (GROUP BY over the domain) and
    # INNER JOINs the counts back on `key = key`: a row with a NULL key column joins nothing, so it
    # is never unexpected (though it stays in the denominator). Unexpected = _num_rows >= 2.
    keyed = " AND ".join(f"{c} IS NOT NULL" for c in cols)
    # The window's alias is a column of the scan, so this last test is made over the scan's rows.
    bad = f"{context.flag(both(domain, keyed))} AND {alias} >= 2"
    elements, filtered = count_where(context.flag(cond)), count_where(context.flag(domain))
    row = "STRUCT(" + ", ".join(f"{c} AS c{i}" for i, c in enumerate(cols)) + ")"
    return RuleSQL(family="multicolumn", element_count=elements, missing_count=f"{elements} - {filtered}",
                   unexpected_count=f"COUNTIF({bad})", examples=_examples(bad, row, ", ".join(cols)),
                   examples_kind="rows:" + ",".join(families), windows=((alias, window),))


# -- table and column aggregate expectations -----------------------------------------------------------

def _int_bounds(rule: Rule) -> None:
    lo, hi = rule.kwargs.get("min_value"), rule.kwargs.get("max_value")
    for bound in (lo, hi):
        if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)):
            raise Unsupported(f"row count bound {bound!r} is not an integer")
    if lo is not None and hi is not None and lo > hi:
        raise Unsupported("min_value is greater than max_value (GE raises)")
    _flag(rule, "strict_min")
    _flag(rule, "strict_max")


@compiler("expect_table_row_count_to_be_between")
def table_row_count_between(rule: Rule, context: RuleContext) -> RuleSQL:
    # ExpectTableRowCountToBeBetween._validate -> _validate_metric_value_between("table.row_count").
    _kwargs(rule, {"min_value", "max_value", "strict_min", "strict_max"})
    _int_bounds(rule)
    count = count_where(context.flag(_condition(rule, context)))
    return RuleSQL(family="table", element_count=count, observed_value=f"TO_JSON_STRING({count})",
                   observed_kind="int")


def _aggregate(rule: Rule, context: RuleContext, function: str, *, mean: bool = False) -> RuleSQL:
    _kwargs(rule, {"column", "min_value", "max_value", "strict_min", "strict_max"})
    name = _column_name(rule, context)
    family = context.family(name)
    if family not in NUMERIC_FAMILIES:
        raise Unsupported(f"{function} of a {family} column is not compiled")
    _bounds(rule, family, map_rule=False)
    _flag(rule, "strict_min")
    _flag(rule, "strict_max")
    col = ident(name)
    cond = _condition(rule, context)
    value = f"IF({context.flag(cond)}, {col}, NULL)" if cond else col
    # ColumnMean._sqlalchemy: avg(1.0 * column); ColumnMin/ColumnMax: min/max(column).
    measured = f"{function}(1.0 * {value})" if mean else f"{function}({value})"
    return RuleSQL(family="aggregate", element_count=count_where(context.flag(cond)), observed_value=f"TO_JSON_STRING({measured})",
                   observed_kind="float" if mean else family)


@compiler("expect_column_min_to_be_between")
def column_min_between(rule: Rule, context: RuleContext) -> RuleSQL:
    return _aggregate(rule, context, "MIN")


@compiler("expect_column_max_to_be_between")
def column_max_between(rule: Rule, context: RuleContext) -> RuleSQL:
    return _aggregate(rule, context, "MAX")


@compiler("expect_column_mean_to_be_between")
def column_mean_between(rule: Rule, context: RuleContext) -> RuleSQL:
    return _aggregate(rule, context, "AVG", mean=True)
