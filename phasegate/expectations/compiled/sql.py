"""SQL pieces the rule compilers share: identifiers, literals, GE row conditions, type families.

Everything here writes BigQuery Standard SQL. Identifiers are accepted only when they pass the
project's one identifier rule (phasegate.identifiers) and are then backquoted; every value from a
suite becomes a quoted literal built here, never text pasted into SQL. Anything outside what these
functions can write faithfully raises `Unsupported`, so the rule stays with Great Expectations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from phasegate.identifiers import is_identifier

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# GE 1.x caps a row_condition at this many leaf conditions (row_conditions.MAX_CONDITIONS).
MAX_CONDITIONS = 100


class Unsupported(Exception):  # noqa: N818 - a verdict, not a failure
    """This rule (or this argument) has no compiled form; Great Expectations runs it."""


def ident(name: Any) -> str:
    """A column name as a backquoted BigQuery identifier (plain identifiers only)."""
    if not is_identifier(name):
        raise Unsupported(f"column name {name!r} is not a plain identifier [A-Za-z_][A-Za-z0-9_]*")
    return f"`{name}`"


_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def string_literal(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            raise Unsupported(f"string {text!r} holds a control character")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def literal(value: Any) -> str:
    """A Python scalar from a suite (bool, int, float, str, None) as a BigQuery literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise Unsupported(f"integer {value} is outside INT64")
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "CAST('nan' AS FLOAT64)"
        if math.isinf(value):
            return "CAST('inf' AS FLOAT64)" if value > 0 else "CAST('-inf' AS FLOAT64)"
        return repr(value)
    if isinstance(value, str):
        return string_literal(value)
    raise Unsupported(f"value {value!r} of type {type(value).__name__} has no literal here")


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# -- column type families --------------------------------------------------------------------
# Warehouse adapters report types in their engine's words (DuckDB: BIGINT, DOUBLE, VARCHAR,
# TIMESTAMP WITH TIME ZONE, DECIMAL(18,3); BigQuery: INTEGER/INT64, FLOAT/FLOAT64, STRING, ...).

def type_family(type_name: str | None) -> str:
    """int | float | decimal | bool | string | date | datetime | other."""
    t = (type_name or "").upper().strip()
    if t.startswith(("DECIMAL", "NUMERIC", "BIGNUMERIC", "BIGDECIMAL")):
        return "decimal"
    if t in ("DOUBLE", "FLOAT", "FLOAT64", "FLOAT4", "FLOAT8", "REAL", "DOUBLE PRECISION"):
        return "float"
    if t in ("BIGINT", "INTEGER", "INT", "INT64", "INT32", "INT16", "INT8", "SMALLINT", "TINYINT", "HUGEINT",
             "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT", "LONG"):
        return "int"
    if t in ("BOOLEAN", "BOOL", "LOGICAL"):
        return "bool"
    if t in ("VARCHAR", "STRING", "TEXT", "CHAR", "BPCHAR") or t.startswith(("VARCHAR(", "CHAR(", "STRING(")):
        return "string"
    if t == "DATE":
        return "date"
    if t.startswith(("TIMESTAMP", "DATETIME")):
        return "datetime"
    return "other"


NUMERIC_FAMILIES = ("int", "float", "decimal")
# BigQuery cannot PARTITION BY (or GROUP BY) these; DuckDB could, but the SQL is written once.
UNPARTITIONABLE_FAMILIES = ("float", "other")


# -- GE 1.x row conditions -------------------------------------------------------------------
# The serialized forms of great_expectations.expectations.row_conditions: ComparisonCondition
# {"type": "comparison", "column": {"name"}, "operator", "parameter"}, NullityCondition
# {"type": "nullity", "column": {"name"}, "is_null"}, AndCondition / OrCondition
# {"type": "and"|"or", "conditions": [...]}. The SQL execution engine turns them into a WHERE on
# the batch (SqlAlchemyExecutionEngine._comparison_condition_to_filter_clause and friends), so a
# row whose condition is NULL is outside the domain, as it is here inside COUNTIF/IF.

_OPERATORS = {"==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_CONDITION_KEYS = {
    "comparison": {"type", "column", "operator", "parameter"},
    "nullity": {"type", "column", "is_null"},
    "and": {"type", "conditions"},
    "or": {"type", "conditions"},
}


def condition_sql(condition: Any) -> str | None:
    """SQL for a serialized GE row_condition; None when there is none."""
    if condition is None:
        return None
    if not isinstance(condition, Mapping):
        raise Unsupported("row_condition is not the GE 1.x condition object (string conditions stay with GE)")
    _check_shape(condition, inside=None)
    if _leaves(condition) > MAX_CONDITIONS:
        raise Unsupported(f"row_condition has more than {MAX_CONDITIONS} conditions")
    return _condition(condition)


def condition_columns(condition: Any) -> list[str]:
    if not isinstance(condition, Mapping):
        return []
    if condition.get("type") in ("and", "or"):
        return [c for item in condition.get("conditions") or [] for c in condition_columns(item)]
    column = condition.get("column")
    return [column["name"]] if isinstance(column, Mapping) and isinstance(column.get("name"), str) else []


def _leaves(condition: Mapping[str, Any]) -> int:
    if condition.get("type") in ("and", "or"):
        return sum(_leaves(c) for c in condition["conditions"])
    return 1


def _check_shape(condition: Any, inside: str | None) -> None:
    """Only the shapes GE 1.x accepts (validate_row_condition): no OR inside AND or OR."""
    if not isinstance(condition, Mapping):
        raise Unsupported(f"row_condition part {condition!r} is not an object")
    kind = condition.get("type")
    if kind not in _CONDITION_KEYS or set(condition) - _CONDITION_KEYS[kind]:
        raise Unsupported(f"row_condition part {dict(condition)!r} is not a comparison, nullity, and or or")
    if kind == "or" and inside is not None:
        raise Unsupported("row_condition nests an OR inside an AND or an OR (GE refuses it)")
    if kind in ("and", "or"):
        items = condition.get("conditions")
        if not isinstance(items, list) or not items:
            raise Unsupported(f"row_condition {kind} needs a non-empty list of conditions")
        for item in items:
            _check_shape(item, inside=kind)


def _condition(condition: Mapping[str, Any]) -> str:
    kind = condition["type"]
    if kind in ("and", "or"):
        joiner = " AND " if kind == "and" else " OR "
        return "(" + joiner.join(_condition(c) for c in condition["conditions"]) + ")"
    column = condition.get("column")
    if not isinstance(column, Mapping) or set(column) != {"name"}:
        raise Unsupported(f"row_condition column {column!r} is not {{'name': ...}}")
    col = ident(column["name"])
    if kind == "nullity":
        if not isinstance(condition.get("is_null"), bool):
            raise Unsupported("row_condition nullity needs is_null true or false")
        return f"({col} IS NULL)" if condition["is_null"] else f"({col} IS NOT NULL)"
    operator, parameter = condition.get("operator"), condition.get("parameter")
    if operator in ("IN", "NOT_IN"):
        values = _condition_list(parameter)
        return f"({col} {'IN' if operator == 'IN' else 'NOT IN'} ({', '.join(literal(v) for v in values)}))"
    if operator not in _OPERATORS:
        raise Unsupported(f"row_condition operator {operator!r} is not one of GE's")
    if parameter is None or not isinstance(parameter, (bool, int, float, str)):
        raise Unsupported(f"row_condition parameter {parameter!r} is not a scalar (GE refuses None)")
    return f"({col} {_OPERATORS[operator]} {literal(parameter)})"


def _condition_list(parameter: Any) -> Sequence[Any]:
    # GE requires a non-string iterable of one kind (numbers, or strings); an empty list is
    # legal there but renders as SQLAlchemy's engine-specific empty-set construct, so it stays with GE.
    if not isinstance(parameter, list) or not parameter:
        raise Unsupported("row_condition IN / NOT_IN needs a non-empty list")
    if all(is_number(v) for v in parameter) or all(isinstance(v, str) for v in parameter):
        return parameter
    raise Unsupported("row_condition IN / NOT_IN list mixes kinds or holds non-scalars")


def both(*parts: str | None) -> str | None:
    """AND of the given predicates (None = no restriction)."""
    present = [p for p in parts if p]
    if not present:
        return None
    return present[0] if len(present) == 1 else " AND ".join(f"({p})" for p in present)


def count_where(predicate: str | None) -> str:
    return f"COUNTIF({predicate})" if predicate else "COUNT(*)"
