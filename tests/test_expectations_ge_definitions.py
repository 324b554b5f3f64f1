"""The compiled expectations against Great Expectations' own test definitions.

tests/fixtures/ge_test_definitions/ holds GE's JSON test cases for every compiled expectation type
(source, commit and licence in the README there). Each dataset is loaded into DuckDB, each case
runs through the compiled path (`compile_table` + the warehouse query), and what the case's `out`
states is asserted wherever the compiled path reports it:

    success                      always
    observed_value               min/max/mean and the row count (floats within GE's RTOL/ATOL)
    unexpected_list              the count, and the 5 examples = the 5 smallest of GE's list
    result.{element_count, unexpected_count, unexpected_percent, partial_unexpected_list}
                                 examples = the 5 smallest of GE's partial list when it holds them all

GE's harness sorts unexpected lists before comparing (self_check/util.py check_json_test_result),
so their order is not part of a case. Cases are selected as GE's harness selects them for the
`bigquery` backend (the SQL is BigQuery's): `suppress_test_for` naming bigquery or sqlalchemy,
or an `only_for` naming neither, is skipped with that reason. A case whose `out` is GE raising
(a traceback_substring) must be refused by the compiler and left to GE; a case with an empty `out`
asserts nothing in GE's harness either. Every other case the compiler refuses is listed in REFUSED
with the reason; an unlisted refusal fails, and so does a listed one that now compiles.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dateutil import parser as dateparser

from phasegate.expectations.compiled import COMPILERS, compile_table, outcomes_from_rows
from phasegate.expectations.suites import Rule
from phasegate.model.catalog import Table
from phasegate.warehouse.duckdb import DuckDBWarehouse

HERE = Path(__file__).parent / "fixtures" / "ge_test_definitions"
FILES = sorted(HERE.glob("*.json"))
BACKEND = "bigquery"
DAY = dt.date(2000, 1, 1)  # every loaded row's window date
RTOL, ATOL = 1e-05, 1e-08  # GE's self_check tolerances for float observed values

# (file stem, case title) -> why the compiled path leaves it to GE
REFUSED = {
    ("expect_column_max_to_be_between", "datetime_except_sqlite"):
        "min/max of a TIMESTAMP column with string bounds: GE parses them with dateutil; not compiled",
    ("expect_column_max_to_be_between", "datetime_with_evaluation_parameter_except_sqlite"):
        "a $PARAMETER suite parameter: evaluated by GE",
    ("expect_column_max_to_be_between", "test_empty_column_should_be_false_no_observed_value_with_which_to_compare"):
        "max of a column with no values: its type is text (as pandas loads it for GE), not numeric",
    ("expect_column_mean_to_be_between", "test_empty_column_should_be_false_no_observed_value_with_which_to_compare"):
        "mean of a column with no values: its type is text (as pandas loads it for GE), not numeric",
}

SCHEMA_TYPES = {  # GE's per-backend schema names -> DuckDB
    "NUMERIC": "DECIMAL(38, 9)", "INTEGER": "BIGINT", "INT64": "BIGINT", "FLOAT": "DOUBLE", "FLOAT64": "DOUBLE",
    "DOUBLE_PRECISION": "DOUBLE", "STRING": "VARCHAR", "TEXT": "VARCHAR", "VARCHAR": "VARCHAR",
    "BOOLEAN": "BOOLEAN", "BOOL": "BOOLEAN", "DATE": "DATE", "DATETIME": "TIMESTAMP", "TIMESTAMP": "TIMESTAMP",
}


def _inferred(values: list) -> str:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return "BOOLEAN"
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "BIGINT"
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "DOUBLE"
    return "VARCHAR"  # strings, mixed values, or nothing at all: pandas' object column -> TEXT


def _column_types(dataset: dict) -> dict[str, str]:
    schemas = dataset.get("schemas") or {}
    schema = schemas.get("bigquery") or schemas.get("postgresql") or {}
    return {name: SCHEMA_TYPES[schema[name].upper()] if name in schema else _inferred(values)
            for name, values in dataset["data"].items()}


def _cell(value, duck_type: str):
    if value is None:
        return None
    if duck_type == "TIMESTAMP":
        return dateparser.parse(value)
    if duck_type == "VARCHAR":
        return value if isinstance(value, str) else str(value)
    if duck_type.startswith("DECIMAL"):
        return Decimal(str(value))
    return value


def load(con: duckdb.DuckDBPyConnection, name: str, dataset: dict) -> Table:
    types = _column_types(dataset)
    data = dataset["data"]
    columns = ", ".join(f'"{c}" {t}' for c, t in types.items())
    con.execute(f"CREATE TABLE ge.{name} ({columns}{', ' if columns else ''}_pg_date DATE)")
    rows = max((len(v) for v in data.values()), default=0)
    names = list(types)
    for i in range(rows):
        con.execute(f"INSERT INTO ge.{name} VALUES ({', '.join('?' for _ in [*names, 0])})",
                    [*(_cell(data[c][i], types[c]) for c in names), DAY])
    return Table(name=name, phase="phase3", dataset="ge", grain="game", key=("_pg_date",), date_column="_pg_date",
                 team_columns=(), measure_coverage=False)


def selection(case: dict) -> str | None:
    """Why GE's harness would not run this case on the bigquery backend (None: it would)."""
    suppressed = case.get("suppress_test_for") or []
    if BACKEND in suppressed or "sqlalchemy" in suppressed:
        return f"suppress_test_for {suppressed}"
    only = case.get("only_for") or []
    if only and BACKEND not in only and "sqlalchemy" not in only:
        return f"only_for {only}"
    return None


def is_error_case(case: dict) -> bool:
    """GE raises here (the case asserts the traceback)."""
    return set(case["out"]) == {"traceback_substring"}


def states_nothing(case: dict) -> bool:
    """An empty `out`: GE's harness asserts nothing (some titles promise an error GE 1.x no longer raises,
    e.g. expect_column_min_to_be_between with no bounds passes); the compiled path may run or refuse it."""
    return not case["out"]


def _cases():
    for path in FILES:
        spec = json.loads(path.read_text())
        assert spec["expectation_type"] == path.stem
        for d, dataset in enumerate(spec["datasets"]):
            for case in dataset["tests"]:
                yield path.stem, d, dataset, case


def _sort_key(value):
    if isinstance(value, dict):
        value = tuple(value.values())
    if isinstance(value, (list, tuple)):
        return tuple(_sort_key(v) for v in value)
    return (value is not None, value)


def _same(ours, theirs) -> bool:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return ours.keys() == theirs.keys() and all(_same(ours[k], theirs[k]) for k in ours)
    if isinstance(ours, (list, tuple)) and isinstance(theirs, (list, tuple)):
        return len(ours) == len(theirs) and all(_same(a, b) for a, b in zip(ours, theirs, strict=True))
    if isinstance(ours, (float, Decimal)) or isinstance(theirs, float):
        return theirs is not None and ours is not None and math.isclose(float(ours), float(theirs), rel_tol=RTOL,
                                                                         abs_tol=ATOL)
    return ours == theirs


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """(file, title) -> (state, case, detail): ("skipped", case, reason) | ("refused", case, reason) |
    ("ran", case, outcome)."""
    path = tmp_path_factory.mktemp("gedefs") / "definitions.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA ge")
    tables = {}
    for stem, d, dataset, _ in _cases():
        if (stem, d) not in tables:
            tables[(stem, d)] = load(con, f"t{len(tables)}", dataset)
    con.close()
    out = {}
    with DuckDBWarehouse(path, read_only=True) as wh:
        for n, (stem, d, _dataset, case) in enumerate(_cases()):
            key = (stem, case["title"])
            while key in out:  # a few titles repeat within a file (different only_for)
                key = (stem, key[1] + "'")
            reason = selection(case)
            if reason:
                out[key] = ("skipped", case, reason)
                continue
            table = tables[(stem, d)]
            kwargs = {k: v for k, v in case["in"].items()}
            rule = Rule(table.name, 0, stem, kwargs, f"case{n}")
            compiled = compile_table(table, [rule], wh.columns(table.dataset, table.name))
            if compiled.sql is None:
                why = compiled.uncompiled.get(rule.case_id) or compiled.errors[rule.case_id].exception
                out[key] = ("refused", case, why)
                continue
            rows = wh.query(compiled.sql, {"start_date": DAY, "end_date": DAY})
            out[key] = ("ran", case, outcomes_from_rows(compiled.rules, rows)[rule.case_id])
    return out


def test_every_compiled_type_has_ge_definitions():
    assert {p.stem for p in FILES} == set(COMPILERS)


def test_selection_and_refusals_are_the_listed_ones(results):
    ran = [k for k, (state, _, _) in results.items() if state == "ran"]
    assert len(ran) >= 100
    evaluated_errors = [k for k, (state, case, _) in results.items() if state == "ran" and is_error_case(case)]
    assert evaluated_errors == [], "GE raises on these, the compiled path evaluated them"
    refused = {k: (case, why) for k, (state, case, why) in results.items() if state == "refused"}
    unlisted = {k: why for k, (case, why) in refused.items()
                if k not in REFUSED and not is_error_case(case) and not states_nothing(case)}
    assert unlisted == {}, "refused but not listed in REFUSED:\n" + "\n".join(f"{k}: {v}" for k, v in unlisted.items())
    stale = set(REFUSED) - set(refused)
    assert stale == set(), f"listed in REFUSED but now compiled: {stale}"
    # the error cases GE's harness runs on bigquery exist, and the compiled path refuses them all
    errors_selected = {k for k, (state, case, _) in results.items() if is_error_case(case) and state != "skipped"}
    assert errors_selected and errors_selected <= set(refused)


def test_compiled_outcomes_match_the_cases(results):
    problems = []
    for (stem, title), (state, case, got) in results.items():
        if state != "ran":
            continue
        out = case["out"]
        where = f"{stem}/{title}"
        if got.exception:
            problems.append(f"{where}: exception {got.exception}")
            continue
        if "success" in out and got.success != out["success"]:
            problems.append(f"{where}: success {got.success}, GE's case says {out['success']}")
        if "observed_value" in out and not _same(got.observed_value, out["observed_value"]):
            problems.append(f"{where}: observed {got.observed_value!r}, GE's case says {out['observed_value']!r}")
        if "unexpected_list" in out:
            expected = out["unexpected_list"]
            if got.unexpected_count != len(expected):
                problems.append(f"{where}: {got.unexpected_count} unexpected, GE's case lists {len(expected)}")
            smallest = sorted(expected, key=_sort_key)[:5]
            if not _same(list(got.partial_unexpected), smallest):
                problems.append(f"{where}: examples {got.partial_unexpected!r}, GE's smallest {smallest!r}")
        result = out.get("result") or {}
        for name in ("element_count", "unexpected_count", "unexpected_percent"):
            if name in result and not _same(getattr(got, name), result[name]):
                problems.append(f"{where}: {name} {getattr(got, name)!r}, GE's case says {result[name]!r}")
        if "partial_unexpected_list" in result:
            theirs = result["partial_unexpected_list"]
            ours = list(got.partial_unexpected)
            if (got.unexpected_count or 0) <= len(theirs):  # GE's list holds every unexpected value
                ok = _same(ours, sorted(theirs, key=_sort_key)[:5])
            else:
                ok = len(ours) == min(5, len(theirs))
            if not ok:
                problems.append(f"{where}: partial {ours!r}, GE's case says {theirs!r}")
    assert problems == [], "\n".join(problems)
