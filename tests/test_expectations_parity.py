"""Compiled expectations agree with Great Expectations, rule by rule, on the same warehouse.

Every rule of every suite in expectations/phase3 and phase4 runs through both engines — GE's SQL
execution engine (`ExpectationRunner.validate`) and the compiled statement
(`phasegate.expectations.compiled.evaluate`) — on a clean demo warehouse over a short window, and on
a copy with faults injected from the rules themselves (each rule's own violation: out-of-range
values, NaN in float columns, NULLs, values outside the set, bad ids, duplicate keys with and
without NULL key parts, pair violations and ties, NULL row_condition columns, an emptied table, a
table below its row-count minimum). Both must report the same success, observed value, element
and unexpected counts and unexpected percent, and the same unexpected examples whenever GE's
(unordered, LIMIT 5) examples are all of them. A further hand-written suite covers the row_condition
forms (and/or/nullity/IN/NOT_IN/!=) and the compiled neighbour types with their edge arguments.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
from pathlib import Path

import duckdb
import pytest

from phasegate.expectations.compiled import COMPILERS, compile_table, evaluate
from phasegate.expectations.suites import SuiteFile, discover, load_suite_file
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.builders import repo_catalog

# The start of the demo's first season: phase 3 and 4 build in ~6 s over it (a whole season ~60 s).
START, END = dt.date(2021, 10, 19), dt.date(2021, 11, 20)
PHASES = ("phase3", "phase4")
SUITE_TYPES = {  # the expectation types the repository's suites use
    "expect_column_values_to_be_between", "expect_column_values_to_be_in_set",
    "expect_column_values_to_match_regex", "expect_column_values_to_not_be_null",
    "expect_compound_columns_to_be_unique", "expect_table_row_count_to_be_between",
    "expect_column_pair_values_a_to_be_greater_than_b",
}
EMPTIED = "player_daily_cache"  # every row of the window deleted: vacuous rules, row count 0
SHRUNK = "team_defense_zone_analysis"  # left with 10 rows, below its suite's min_value of 30


def short_catalog():
    catalog = repo_catalog()
    settings = catalog.settings.model_copy(update={"default_start_date": START, "default_end_date": END})
    return catalog.model_copy(update={"settings": settings})


@pytest.fixture(scope="module")
def clean_path(tmp_path_factory) -> Path:
    from phasegate.demo.scenarios import build_scenario

    path = tmp_path_factory.mktemp("parity") / "clean.duckdb"
    with DuckDBWarehouse(path) as wh:
        build_scenario(wh, short_catalog(), "clean")
    return path


def _suites() -> list[SuiteFile]:
    catalog = repo_catalog()
    suites = [s for phase in PHASES for s in discover(catalog, phase)]
    assert suites and not [s.error for s in suites if s.error]
    return suites


# -- fault injection, derived from each rule ----------------------------------------------------------

def _rows(rule_index: int, offset: int = 0) -> str:
    """A few rows of the table per rule and purpose (~0.5%), disjoint across rules."""
    return f"rowid % 211 = {(3 * rule_index + offset) % 211}"


def _faults(table: str, rules, types: dict[str, str]) -> list[str]:
    out = []
    for i, rule in enumerate(rules):
        kw = rule.kwargs
        col = kw.get("column")
        kind = types.get(col, "")
        if rule.type == "expect_column_values_to_be_between":
            bad = kw["max_value"] + 1 if kw.get("max_value") is not None else kw["min_value"] - 1
            out.append(f"UPDATE {table} SET {col} = {bad} WHERE {_rows(i)}")
            if kind in ("DOUBLE", "FLOAT"):
                out.append(f"UPDATE {table} SET {col} = 'nan'::DOUBLE WHERE {_rows(i, 1)}")
        elif rule.type == "expect_column_values_to_be_in_set":
            if kind == "VARCHAR":
                out.append(f"UPDATE {table} SET {col} = 'ZZZ' WHERE {_rows(i)}")
            elif kind == "BOOLEAN":
                out.append(f"UPDATE {table} SET {col} = NULL WHERE {_rows(i)}")
            else:
                out.append(f"UPDATE {table} SET {col} = {max(kw['value_set']) + 1} WHERE {_rows(i)}")
        elif rule.type == "expect_column_values_to_match_regex":
            out.append(f"UPDATE {table} SET {col} = '0022100001' WHERE {_rows(i)}")  # an NBA.com id
        elif rule.type == "expect_column_values_to_not_be_null":
            out.append(f"UPDATE {table} SET {col} = NULL WHERE {_rows(i)}")
        elif rule.type == "expect_column_pair_values_a_to_be_greater_than_b":
            a, b = kw["column_A"], kw["column_B"]
            out.append(f"UPDATE {table} SET {a} = {b} - 1 WHERE {_rows(i)} AND {b} IS NOT NULL")
            out.append(f"UPDATE {table} SET {a} = {b} WHERE {_rows(i, 1)}")  # a tie: fine with or_equal
            out.append(f"UPDATE {table} SET {b} = NULL WHERE {_rows(i, 2)}")  # ignore_row_if at work
            out.append(f"UPDATE {table} SET {a} = NULL, {b} = NULL WHERE {_rows(i, 3)}")
        if isinstance(kw.get("row_condition"), dict):
            condition_col = kw["row_condition"]["column"]["name"]
            out.append(f"UPDATE {table} SET {condition_col} = NULL WHERE {_rows(i, 2)}")
    # Duplicates last, so some duplicated rows carry a NULL key part (GE's join never counts those).
    for i, rule in enumerate(rules):
        if rule.type == "expect_compound_columns_to_be_unique":
            last = rule.kwargs["column_list"][-1]
            out.append(f"UPDATE {table} SET {last} = NULL WHERE {_rows(i, 5)}")
            out.append(f"INSERT INTO {table} SELECT * FROM {table} WHERE {_rows(i, 5)} OR {_rows(i, 6)}")
    return out


@pytest.fixture(scope="module")
def faulted_path(clean_path, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("parity") / "faulted.duckdb"
    shutil.copy(clean_path, path)
    catalog = short_catalog()
    con = duckdb.connect(str(path))
    try:
        for suite in _suites():
            table = catalog.table(suite.table)
            types = dict(con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? "
                "AND table_name = ?", [table.dataset, table.name]).fetchall())
            for statement in _faults(table.ref, suite.rules, types):
                con.execute(statement)
        window = f"{{}} BETWEEN DATE '{START}' AND DATE '{END}'"
        emptied, shrunk = catalog.table(EMPTIED), catalog.table(SHRUNK)
        con.execute(f"DELETE FROM {emptied.ref} WHERE {window.format(emptied.date_column)}")
        con.execute(f"DELETE FROM {shrunk.ref} WHERE rowid NOT IN (SELECT rowid FROM {shrunk.ref} LIMIT 10)")
    finally:
        con.close()
    return path


# -- both engines ---------------------------------------------------------------------------------------

def both_engines(path: Path, suites: list[SuiteFile]) -> list[tuple]:
    """(rule, GE outcome, compiled outcome) for every rule of `suites`."""
    from phasegate.expectations.run import ExpectationRunner

    catalog = short_catalog()
    runner = ExpectationRunner(f"duckdb:///{path}")
    out = []
    try:
        with DuckDBWarehouse(path, read_only=True) as wh:
            for suite in suites:
                table = catalog.table(suite.table)
                ge = runner.validate(table, suite, START, END)
                assert ge.error is None, ge.error
                compiled = evaluate(wh, table, suite.rules, START, END)
                assert compiled.uncompiled == {}, compiled.uncompiled
                assert compiled.statements == 1
                out.extend((rule, ge.outcomes[rule.case_id], compiled[rule.case_id]) for rule in suite.rules)
    finally:
        runner.close()
    return out


def _plain(value):
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def differences(rule, ge, compiled) -> list[str]:
    """What differs between GE's outcome and the compiled one ([] = the same)."""
    found = []
    if ge.exception or compiled.exception:
        return [f"exception: GE {ge.exception!r}, compiled {compiled.exception!r}"]
    for name in ("success", "observed_value", "element_count", "unexpected_count"):
        ours, theirs = getattr(compiled, name), getattr(ge, name)
        if isinstance(ours, float) and isinstance(theirs, float) and math.isclose(ours, theirs, rel_tol=1e-12):
            continue  # a mean: the engine's parallel summation order moves the last digits between queries
        if _plain(theirs) != _plain(ours):
            found.append(f"{name}: GE {getattr(ge, name)!r}, compiled {getattr(compiled, name)!r}")
    if (ge.unexpected_percent is None) != (compiled.unexpected_percent is None) or (
            ge.unexpected_percent is not None
            and not math.isclose(ge.unexpected_percent, compiled.unexpected_percent, rel_tol=1e-12)):
        found.append(f"unexpected_percent: GE {ge.unexpected_percent!r}, compiled {compiled.unexpected_percent!r}")
    ge_examples, our_examples = _plain(list(ge.partial_unexpected)), _plain(list(compiled.partial_unexpected))
    if ge.unexpected_count is not None and ge.unexpected_count <= 5:  # GE's LIMIT 5 returned them all
        if sorted(map(repr, ge_examples)) != sorted(map(repr, our_examples)):
            found.append(f"examples: GE {ge_examples!r}, compiled {our_examples!r}")
    elif len(ge_examples) != len(our_examples):
        found.append(f"examples: GE {len(ge_examples)}, compiled {len(our_examples)}")
    return [f"{rule.case_id}: {f}" for f in found]


def assert_parity(results) -> None:
    problems = [p for rule, ge, compiled in results for p in differences(rule, ge, compiled)]
    assert problems == [], "\n".join(problems)


@pytest.fixture(scope="module")
def clean_results(clean_path):
    return both_engines(clean_path, _suites())


@pytest.fixture(scope="module")
def faulted_results(faulted_path):
    return both_engines(faulted_path, _suites())


def test_the_suites_use_only_compiled_types():
    used = {rule.type for suite in _suites() for rule in suite.rules}
    assert used == SUITE_TYPES
    assert SUITE_TYPES <= set(COMPILERS)


def test_clean_warehouse_same_outcomes(clean_results):
    assert len(clean_results) == sum(len(s.rules) for s in _suites())
    assert_parity(clean_results)
    # Clean data passes (the demo's first month has one mostly-rule below its threshold on both engines).
    passing = sum(1 for _, ge, _ in clean_results if ge.success)
    assert passing >= len(clean_results) - 2
    # the counts are real: every map rule saw the window's rows
    assert all(c.element_count for rule, _, c in clean_results if c.element_count is not None)


def test_faulted_warehouse_same_outcomes(faulted_results):
    assert_parity(faulted_results)


def test_faults_break_every_kind_of_rule(faulted_results):
    """The faulted copy is not a pass-through: each rule type fails somewhere, both engines agree."""
    failed_types = {rule.type for rule, ge, _ in faulted_results if not ge.success}
    assert failed_types == SUITE_TYPES
    failed = sum(1 for _, ge, _ in faulted_results if not ge.success)
    assert failed > len(faulted_results) // 2
    by_id = {rule.case_id: (ge, c) for rule, ge, c in faulted_results}
    # the emptied table: maps are vacuously true on 0 rows, its row count is 0
    ge, compiled = by_id[f"{EMPTIED}-expect_table_row_count_to_be_between"]
    assert (ge.success, ge.observed_value) == (compiled.success, compiled.observed_value) == (False, 0)
    ge, compiled = by_id[f"{SHRUNK}-expect_table_row_count_to_be_between"]
    assert (ge.success, ge.observed_value) == (compiled.success, compiled.observed_value) == (False, 10)
    vacuous = [c for rule, _, c in faulted_results
               if rule.table == EMPTIED and rule.type != "expect_table_row_count_to_be_between"]
    assert vacuous and all(c.success and c.element_count == 0 for c in vacuous)


# -- row conditions and the neighbour types ------------------------------------------------------------

EDGE_TABLE = "player_game_summary"
ACTIVE = {"type": "comparison", "column": {"name": "is_active"}, "operator": "==", "parameter": True}


def _edge_rules() -> list[dict]:
    cond = {
        "and": {"type": "and", "conditions": [ACTIVE, {"type": "comparison", "column": {"name": "points"},
                                                       "operator": ">=", "parameter": 10}]},
        "or": {"type": "or", "conditions": [
            {"type": "nullity", "column": {"name": "minutes_played"}, "is_null": True},
            {"type": "comparison", "column": {"name": "minutes_played"}, "operator": "<", "parameter": 12.5}]},
        "in": {"type": "comparison", "column": {"name": "team_abbr"}, "operator": "IN",
               "parameter": ["BOS", "LAL", "ZZZ"]},
        "not_in": {"type": "comparison", "column": {"name": "team_abbr"}, "operator": "NOT_IN",
                   "parameter": ["BOS", "LAL"]},
        "ne": {"type": "comparison", "column": {"name": "is_active"}, "operator": "!=", "parameter": True},
        "not_null": {"type": "nullity", "column": {"name": "usage_rate"}, "is_null": False},
        "none_match": {"type": "comparison", "column": {"name": "points"}, "operator": ">", "parameter": 10**6},
    }
    rules = []

    def add(type_, **kwargs):
        rules.append({"type": type_, "kwargs": kwargs, "meta": {"case": f"edge{len(rules)}"}})

    for c in cond.values():
        add("expect_column_values_to_not_be_null", column="usage_rate", row_condition=c, mostly=0.9)
        add("expect_column_values_to_be_between", column="points", min_value=0, max_value=40, row_condition=c)
        add("expect_table_row_count_to_be_between", min_value=1, row_condition=c)
        add("expect_compound_columns_to_be_unique", column_list=["game_date", "player_lookup"], row_condition=c)
        add("expect_column_pair_values_a_to_be_greater_than_b", column_A="fg_attempts", column_B="fg_makes",
            row_condition=c)
    add("expect_column_values_to_be_between", column="points", min_value=5, max_value=30, strict_min=True,
        strict_max=True, mostly=0.5)
    add("expect_column_values_to_be_between", column="ts_pct", max_value=0.6)  # NaN in a float column
    add("expect_column_values_to_be_between", column="ts_pct", min_value=0.1)
    add("expect_column_values_to_be_in_set", column="team_abbr", value_set=[])
    add("expect_column_values_to_be_in_set", column="team_abbr", value_set=["BOS", None])
    add("expect_column_values_to_be_in_set", column="points", value_set=[0, 10.0, 20])
    add("expect_column_values_to_be_in_set", column="is_active", value_set=[True])
    # Values are literals, never SQL: quotes, backslashes and a would-be injection.
    tricky = ["o'neil", "back\\slash", "x'); DROP TABLE nba_analytics.player_game_summary; --", "tab\tnew\nline"]
    add("expect_column_values_to_be_in_set", column="player_lookup", value_set=tricky)
    add("expect_column_values_to_not_be_in_set", column="team_abbr", value_set=tricky)
    add("expect_column_values_to_match_regex", column="player_lookup", regex="^[^'\\\\]+$")
    add("expect_column_values_to_not_be_null", column="usage_rate", row_condition={
        "type": "comparison", "column": {"name": "player_lookup"}, "operator": "!=", "parameter": tricky[2]})
    add("expect_column_values_to_match_regex", column="player_lookup", regex="a")  # contains, not full match
    add("expect_column_values_to_match_regex", column="player_lookup", regex="^[a-z]+$", mostly=0.5)
    add("expect_column_values_to_be_null", column="team_abbr")
    add("expect_column_values_to_be_null", column="usage_rate", row_condition=cond["ne"], mostly=0.8)
    add("expect_column_values_to_not_be_in_set", column="team_abbr", value_set=["BOS", "LAL"])
    add("expect_column_values_to_not_be_in_set", column="team_abbr", value_set=["BOS", None])
    add("expect_column_values_to_not_be_in_set", column="team_abbr", value_set=[])
    add("expect_column_values_to_not_be_null", column="usage_rate", mostly=0.0)
    add("expect_column_pair_values_a_to_be_greater_than_b", column_A="fg_attempts", column_B="fg_makes",
        ignore_row_if="neither", or_equal=True)
    add("expect_column_pair_values_a_to_be_greater_than_b", column_A="fg_attempts", column_B="fg_makes",
        mostly=0.99)
    add("expect_compound_columns_to_be_unique", column_list=["game_date", "team_abbr"], mostly=0.01)
    add("expect_compound_columns_to_be_unique", column_list=["game_date", "player_lookup"],
        ignore_row_if="any_value_is_missing")
    add("expect_compound_columns_to_be_unique", column_list=["game_date", "player_lookup"], ignore_row_if="never")
    add("expect_table_row_count_to_be_between", min_value=1, max_value=100, strict_max=True)
    add("expect_table_row_count_to_be_between", max_value=10**9, strict_min=True)
    for function in ("min", "max", "mean"):
        add(f"expect_column_{function}_to_be_between", column="points", min_value=0, max_value=60)
        add(f"expect_column_{function}_to_be_between", column="ts_pct", min_value=0, max_value=2, strict_min=True)
        add(f"expect_column_{function}_to_be_between", column="usage_rate", max_value=30, row_condition=cond["or"])
        add(f"expect_column_{function}_to_be_between", column="points", min_value=0,
            row_condition=cond["none_match"])  # no rows: GE reports None and fails
    return rules


@pytest.fixture(scope="module")
def edge_suite(tmp_path_factory) -> SuiteFile:
    folder = tmp_path_factory.mktemp("edge") / "phase3"
    folder.mkdir()
    path = folder / f"{EDGE_TABLE}.json"
    path.write_text(json.dumps({"name": EDGE_TABLE, "expectations": _edge_rules()}))
    suite = load_suite_file(path, "phase3", repo_catalog())
    assert suite.error is None
    return suite


@pytest.mark.parametrize("which", ["clean", "faulted"])
def test_row_conditions_and_neighbour_types_same_outcomes(which, clean_path, faulted_path, edge_suite):
    results = both_engines(clean_path if which == "clean" else faulted_path, [edge_suite])
    assert_parity(results)
    assert {r.type for r, _, _ in results} == set(COMPILERS)
    outcomes = {ge.success for _, ge, _ in results}
    assert outcomes == {True, False}  # the suite is not all one verdict


def test_rules_ge_refuses_stay_with_ge(clean_path):
    """Arguments GE rejects or the compiler cannot express are reported back, never evaluated."""
    from phasegate.expectations.suites import Rule

    made = []

    def rule(type_, **kwargs):
        made.append(Rule(EDGE_TABLE, len(made), type_, kwargs, f"refused{len(made)}"))
        return made[-1]

    refused = [
        rule("expect_column_values_to_be_between", column="team_abbr", min_value=0),  # string column
        rule("expect_column_values_to_be_between", column="points"),  # no bounds
        rule("expect_column_values_to_be_between", column="points", min_value=5, max_value=1),
        rule("expect_column_values_to_match_regex", column="points", regex="1"),  # not a string column
        rule("expect_column_values_to_match_regex", column="game_id", regex="(?=x)"),  # not RE2
        rule("expect_column_values_to_be_in_set", column="points", value_set=["a"]),
        rule("expect_column_values_to_be_in_set", column="points", value_set={"$PARAMETER": "x"}),
        rule("expect_column_values_to_not_be_null", column="points", row_condition='col("points")>0',
             condition_parser="great_expectations"),
        rule("expect_column_values_to_not_be_null", column="points",
             row_condition={"type": "and", "conditions": [
                 {"type": "or", "conditions": [ACTIVE, ACTIVE]}, ACTIVE]}),  # GE refuses OR inside AND
        rule("expect_column_values_to_not_be_null", column="bad name"),
        rule("expect_compound_columns_to_be_unique", column_list=["game_date", "ts_pct"]),  # float key
        rule("expect_table_row_count_to_be_between", min_value=1.5),
        rule("expect_column_values_to_be_unique", column="points"),  # no compiler
        rule("expect_column_values_to_not_be_null", column="points", unknown_argument=1),
    ]
    with DuckDBWarehouse(clean_path, read_only=True) as wh:
        table = short_catalog().table(EDGE_TABLE)
        columns = wh.columns(table.dataset, table.name)
        compiled = compile_table(table, refused, columns)
        assert compiled.rules == [] and compiled.sql is None and compiled.errors == {}
        assert set(compiled.uncompiled) == {r.case_id for r in refused}
        evaluation = evaluate(wh, table, refused, START, END)
        assert dict(evaluation) == {} and evaluation.statements == 0
        assert set(evaluation.uncompiled) == {r.case_id for r in refused}


def test_a_missing_column_fails_the_rule_and_the_rest_still_run(clean_path):
    from phasegate.expectations.suites import Rule

    rules = [Rule(EDGE_TABLE, 0, "expect_column_values_to_not_be_null", {"column": "no_such_column"}, "missing"),
             Rule(EDGE_TABLE, 1, "expect_column_values_to_not_be_null", {"column": "game_id"}, "present")]
    with DuckDBWarehouse(clean_path, read_only=True) as wh:
        evaluation = evaluate(wh, short_catalog().table(EDGE_TABLE), rules, START, END)
    assert not evaluation["missing"].success and "no_such_column" in evaluation["missing"].exception
    assert evaluation["present"].success and evaluation["present"].element_count > 0
