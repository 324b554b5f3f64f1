"""From a rule's measured numbers to GE's verdict: success, percentages, observed values.

Pure functions, each a transcription of the GE 1.x code that decides the same thing (cited per
function), so that a compiled rule passes or fails exactly when Great Expectations would.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from phasegate.expectations.compiled.rules import EXAMPLES
from phasegate.expectations.run import RuleOutcome
from phasegate.expectations.suites import Rule


def mostly_success(rows_considered: int, unexpected: int, mostly: float) -> bool:
    """expectation.py `_mostly_success`: the success ratio, in floats, against mostly."""
    return (float(rows_considered) - float(unexpected)) / float(rows_considered) >= mostly


def map_success(element_count: int, denominator: int | None, unexpected: int | None, mostly: float) -> bool:
    """ColumnMapExpectation / ColumnPair / Multicolumn `_validate`: vacuous on an empty domain."""
    if unexpected is None or denominator is None or element_count == 0 or denominator == 0:
        return True
    return mostly_success(denominator, unexpected, mostly)


def null_map_success(element_count: int, unexpected: int, mostly: float) -> bool:
    """ExpectColumnValuesTo(Not)BeNull._validate: the whole domain is the denominator."""
    if element_count == 0:
        return True
    return (element_count - unexpected) / element_count >= mostly


def unexpected_percent(element_count: int, nonmissing: int | None, unexpected: int | None) -> float | None:
    """`_format_map_output`'s unexpected_percent (= unexpected_percent_nonmissing).

    With no nonnull count (the null/not-null pair) it is over element_count.
    """
    if unexpected is None or element_count <= 0:
        return None
    if nonmissing is None:
        return unexpected / element_count * 100
    return unexpected / nonmissing * 100 if nonmissing > 0 else None


def between_success(value: Any, rule: Rule) -> tuple[bool, Any]:
    """BatchExpectation._validate_metric_value_between for numeric observations: (success, observed).

    A missing or NaN observation fails and is reported as None (`pd.isnull(metric_value)`).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False, None
    kw = rule.kwargs
    lo, hi = kw.get("min_value"), kw.get("max_value")
    above = True if lo is None else (value > lo if kw.get("strict_min") else value >= lo)
    below = True if hi is None else (value < hi if kw.get("strict_max") else value <= hi)
    return bool(above and below), value


# -- decoding the JSON the statement returns ---------------------------------------------------------

def decode_value(value: Any, family: str) -> Any:
    """A JSON-decoded scalar as the Python value GE's SQL engine hands back for that column type."""
    if value is None:
        return None
    if family == "float":
        # BigQuery's TO_JSON_STRING writes NaN/Infinity as strings; DuckDB's to_json bare.
        return float(value)
    if family == "int":
        return int(value)
    if family == "decimal":
        return value if isinstance(value, Decimal) else Decimal(str(value))
    if family == "bool":
        return bool(value)
    if family == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if family == "datetime" and isinstance(value, str):
        parsed = dt.datetime.fromisoformat(value.replace(" UTC", "+00:00"))
        return parsed
    return value


def _json(text: Any, families: list[str]) -> Any:
    if text is None:
        return None
    if not isinstance(text, str):
        return text
    if "decimal" in families:
        return json.loads(text, parse_float=Decimal, parse_int=Decimal)
    return json.loads(text)


def decode_examples(text: Any, kind: str | None, unexpected: int | None, names: list[str]) -> list[Any]:
    """The partial unexpected list in GE's shapes: values, None for NULLs, (a, b) pairs, {col: v} rows."""
    if kind is None:
        return []
    shape, _, spec = kind.partition(":")
    families = spec.split(",") if spec else []
    if shape == "nulls":
        return [None] * min(EXAMPLES, unexpected or 0)
    items = _json(text, families) or []
    if shape == "values":
        return [decode_value(v, families[0]) for v in items]
    if shape == "pairs":
        return [(decode_value(v["a"], families[0]), decode_value(v["b"], families[1])) for v in items]
    if shape == "rows":
        return [{name: decode_value(v[f"c{i}"], families[i]) for i, name in enumerate(names)} for v in items]
    raise ValueError(f"unknown examples kind {kind!r}")


def decode_observed(text: Any, kind: str | None) -> Any:
    if text is None or kind is None:
        return None
    return decode_value(_json(text, [kind]), kind)


# -- one row -> one outcome -----------------------------------------------------------------------------

def outcome(rule: Rule, row: Mapping[str, Any]) -> RuleOutcome:
    """The RuleOutcome GE would report for `rule`, from its row of the compiled statement."""
    family = row["family"]
    elements = int(row["element_count"] or 0)
    missing = None if row.get("missing_count") is None else int(row["missing_count"])
    unexpected = None if row.get("unexpected_count") is None else int(row["unexpected_count"])
    mostly = float(rule.kwargs.get("mostly", 1))
    if family in ("table", "aggregate"):
        success, observed = between_success(decode_observed(row.get("observed_value"), row.get("observed_kind")), rule)
        return RuleOutcome(case_id=rule.case_id, success=success, observed_value=observed)
    if family in ("map", "null_map") and elements == 0:
        # A column-domain unexpected count is GE's SUM(CASE ...) aggregate (map_condition_auxilliary_methods
        # `_sqlalchemy_map_condition_unexpected_count_aggregate_fn`): NULL over no rows, reported as None.
        # Pair and multicolumn domains use `_sqlalchemy_map_condition_unexpected_count_value`, which turns
        # that NULL into 0.
        unexpected = None
    names = list(rule.kwargs.get("column_list") or [])
    examples = decode_examples(row.get("unexpected_examples"), row.get("examples_kind"), unexpected, names)
    if family == "null_map":
        success = null_map_success(elements, unexpected or 0, mostly)
        nonmissing = None
    else:  # map, pair, multicolumn
        nonmissing = elements - (missing or 0)
        success = map_success(elements, nonmissing, unexpected, mostly)
    return RuleOutcome(case_id=rule.case_id, success=success, element_count=elements, unexpected_count=unexpected,
                       unexpected_percent=unexpected_percent(elements, nonmissing, unexpected),
                       partial_unexpected=examples)
