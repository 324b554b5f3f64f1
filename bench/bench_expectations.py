"""Benchmark: the expectations part of the gate vs the same facts in one hand-written SQL pass.

For each phase-3 suite on the demo window: Great Expectations (SQL execution engine, query asset
with a literal BETWEEN) — wall time and SQL statements issued (SQLAlchemy before_cursor_execute) —
against one hand-written SQL statement per table computing every rule's unexpected count (the
gate's own style), side by side, with the ratio. Both sides must agree on every rule's verdict.

    .venv/bin/python bench/bench_expectations.py [--warehouse duckdb:///PATH] [--phase phase3]

Without --warehouse it builds the clean demo in a temporary file first (about a minute).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from phasegate.demo.raw import DEMO_END  # the demo schedule ends there (the catalog's end is live)
from phasegate.expectations.suites import Rule, discover
from phasegate.model.catalog import Table, load_catalog


def _lit(value) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _condition(cond) -> str:
    if not cond:
        return "TRUE"
    op = {"==": "=", "!=": "<>"}.get(cond["operator"], cond["operator"])
    return f"{cond['column']['name']} {op} {_lit(cond['parameter'])}"


def rule_sql(rule: Rule) -> tuple[str, str]:
    """(unexpected-count expression, denominator expression) for one rule, DuckDB SQL."""
    kw = rule.kwargs
    where = _condition(kw.get("row_condition"))
    col = kw.get("column")
    if rule.type == "expect_column_values_to_not_be_null":
        return f"COUNT(*) FILTER (WHERE {where} AND {col} IS NULL)", f"COUNT(*) FILTER (WHERE {where})"
    if rule.type == "expect_column_values_to_be_between":
        tests = []
        if kw.get("min_value") is not None:
            tests.append(f"{col} < {kw['min_value']}")
        if kw.get("max_value") is not None:
            tests.append(f"{col} > {kw['max_value']}")
        return (f"COUNT(*) FILTER (WHERE {where} AND ({' OR '.join(tests)}))",
                f"COUNT({col}) FILTER (WHERE {where})")
    if rule.type == "expect_column_values_to_be_in_set":
        values = ", ".join(_lit(v) for v in kw["value_set"])
        return f"COUNT(*) FILTER (WHERE {col} NOT IN ({values}))", f"COUNT({col})"
    if rule.type == "expect_column_values_to_match_regex":
        return f"COUNT(*) FILTER (WHERE NOT regexp_matches({col}, {_lit(kw['regex'])}))", f"COUNT({col})"
    if rule.type == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = kw["column_A"], kw["column_B"]
        op = "<" if kw.get("or_equal") else "<="
        return (f"COUNT(*) FILTER (WHERE {a} {op} {b})",
                f"COUNT(*) FILTER (WHERE {a} IS NOT NULL AND {b} IS NOT NULL)")
    if rule.type == "expect_compound_columns_to_be_unique":
        cols = ", ".join(kw["column_list"])
        return f"COUNT(*) - COUNT(DISTINCT ({cols}))", "COUNT(*)"
    if rule.type == "expect_table_row_count_to_be_between":
        lo = kw.get("min_value", 0)
        hi = kw.get("max_value")
        test = f"COUNT(*) < {lo}" + (f" OR COUNT(*) > {hi}" if hi is not None else "")
        return f"CASE WHEN {test} THEN 1 ELSE 0 END", "1"
    raise ValueError(f"no hand-written SQL for {rule.type}")


def hand_query(table: Table, rules: list[Rule], start: dt.date, end: dt.date) -> str:
    parts = []
    for i, rule in enumerate(rules):
        bad, total = rule_sql(rule)
        parts += [f"{bad} AS bad_{i}", f"{total} AS n_{i}"]
    return (f"SELECT {', '.join(parts)} FROM {table.ref} "
            f"WHERE {table.date_column} BETWEEN DATE '{start}' AND DATE '{end}'")


def hand_verdicts(rules: list[Rule], row: tuple) -> dict[str, bool]:
    out = {}
    for i, rule in enumerate(rules):
        bad, total = row[2 * i] or 0, row[2 * i + 1] or 0
        mostly = rule.kwargs.get("mostly", 1.0)
        out[rule.case_id] = bad == 0 if mostly >= 1.0 else (total == 0 or (total - bad) / total >= mostly)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", help="duckdb:///PATH of a built demo (default: build the clean demo)")
    parser.add_argument("--phase", default="phase3")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions (best is reported)")
    args = parser.parse_args()
    catalog = load_catalog(ROOT / "pipeline.toml")
    start, end = catalog.settings.default_start_date, DEMO_END
    url = args.warehouse
    if url is None:
        from phasegate.demo.scenarios import build_scenario
        from phasegate.warehouse import open_warehouse

        path = Path(tempfile.mkdtemp()) / "clean.duckdb"
        url = f"duckdb:///{path}"
        print(f"building the clean demo in {path} ...", flush=True)
        wh = open_warehouse(url, create=True)
        try:
            build_scenario(wh, catalog, "clean")
        finally:
            wh.close()

    suites = [s for s in discover(catalog, args.phase) if not s.error]
    t0 = time.perf_counter()
    from phasegate.expectations.run import ExpectationRunner
    from phasegate.warehouse import sqlalchemy_engine_args as engine_url

    runner = ExpectationRunner(url)
    import_s = time.perf_counter() - t0

    # Great Expectations: best of N over every suite (a fresh asset per window is cached by GE)
    ge_best, ge_statements, ge_verdicts = float("inf"), 0, {}
    for _ in range(args.repeat):
        before = runner.statements
        t = time.perf_counter()
        results = {s.table: runner.validate(catalog.table(s.table), s, start, end) for s in suites}
        elapsed = time.perf_counter() - t
        if elapsed < ge_best:
            ge_best, ge_statements = elapsed, runner.statements - before
            ge_verdicts = {cid: o.success for r in results.values() for cid, o in r.outcomes.items()}
            per_table = {name: (r.duration_s, r.statements) for name, r in results.items()}
    runner.close()

    # Hand-written SQL: one statement per table, same facts
    import duckdb

    sa_url, _ = engine_url(url)
    con = duckdb.connect(re.sub(r"^duckdb:///", "", sa_url), read_only=True)
    hand_best, hand_statements, hand = float("inf"), 0, {}
    queries = {s.table: hand_query(catalog.table(s.table), s.rules, start, end) for s in suites}
    for _ in range(args.repeat):
        statements = 0
        t = time.perf_counter()
        verdicts = {}
        for s in suites:
            row = con.execute(queries[s.table]).fetchone()
            statements += 1
            verdicts.update(hand_verdicts(s.rules, row))
        elapsed = time.perf_counter() - t
        if elapsed < hand_best:
            hand_best, hand_statements, hand = elapsed, statements, verdicts
    con.close()

    rules = sum(len(s.rules) for s in suites)
    disagree = sorted(cid for cid in ge_verdicts if ge_verdicts[cid] != hand.get(cid))
    print(f"\n{args.phase}: {len(suites)} suites, {rules} expectations, window {start}..{end}, {url}")
    print(f"great_expectations import + context: {import_s:.2f} s (once per gate process)")
    print(f"{'table':<32} {'GE s':>7} {'GE stmts':>9}")
    for name, (secs, stmts) in per_table.items():
        print(f"{name:<32} {secs:>7.3f} {stmts:>9}")
    print(f"\n{'':<28} {'time (s)':>9} {'statements':>11}")
    print(f"{'Great Expectations (SQL)':<28} {ge_best:>9.3f} {ge_statements:>11}")
    print(f"{'hand-written SQL, 1/table':<28} {hand_best:>9.3f} {hand_statements:>11}")
    print(f"{'ratio GE / hand':<28} {ge_best / hand_best:>9.1f}x {ge_statements / hand_statements:>10.1f}x")
    print(f"verdicts agree on {rules - len(disagree)}/{rules} expectations"
          + (f"; DISAGREE: {', '.join(disagree)}" if disagree else ""))
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
