"""Benchmark: Great Expectations' SQL engine vs the compiled expectations, same suites, same warehouse.

For each phase-3 suite on the demo window, in the same run on the same DuckDB file:

    GE        ExpectationRunner.validate (query asset with a literal BETWEEN): wall time and SQL
              statements issued (SQLAlchemy before_cursor_execute)
    compiled  phasegate.expectations.compiled.evaluate: one statement per table (warehouse.query),
              plus the column-type lookup (information_schema; the gate has it already)

Timings are the best of --repeat runs, with each path's first run shown apart: the compiled path's
includes the one sqlglot translation of each table's statement (cached for the process after), and
a gate process pays GE's import on top of its first run.
Both engines must agree on every rule's success, observed value and unexpected count (exit 1 if not).

    .venv/bin/python bench/bench_expectations_compiled.py [--warehouse duckdb:///PATH] [--phase phase3]

Without --warehouse it builds the clean demo in a temporary file first (about a minute).
Target: 1 statement per table; compiled time well under GE's (ratio GE / compiled > 1).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from phasegate.demo.raw import DEMO_END  # the demo schedule ends there
from phasegate.expectations.suites import discover
from phasegate.model.catalog import load_catalog


def _facts(outcome) -> tuple:
    return outcome.success, outcome.observed_value, outcome.unexpected_count, outcome.element_count


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
    tables = {s.table: catalog.table(s.table) for s in suites}
    rules = sum(len(s.rules) for s in suites)

    # Great Expectations (best of N; GE caches the query asset per window)
    t0 = time.perf_counter()
    from phasegate.expectations.run import ExpectationRunner

    runner = ExpectationRunner(url)
    import_s = time.perf_counter() - t0
    ge_best, ge_statements, ge_outcomes, ge_tables, ge_first = float("inf"), 0, {}, {}, None
    for _ in range(args.repeat):
        before = runner.statements
        t = time.perf_counter()
        results = {s.table: runner.validate(tables[s.table], s, start, end) for s in suites}
        elapsed = time.perf_counter() - t
        ge_first = elapsed if ge_first is None else ge_first
        if any(r.error for r in results.values()):
            print("GE could not validate:", [r.error for r in results.values() if r.error])
            return 1
        if elapsed < ge_best:
            ge_best, ge_statements = elapsed, runner.statements - before
            ge_outcomes = {cid: o for r in results.values() for cid, o in r.outcomes.items()}
            ge_tables = {name: (r.duration_s, r.statements) for name, r in results.items()}
    runner.close()

    # Compiled: one statement per table (first run apart: it translates each statement once)
    from phasegate.expectations.compiled import evaluate
    from phasegate.warehouse import open_warehouse

    wh = open_warehouse(url, read_only=True)
    runs = []
    try:
        for _ in range(args.repeat + 1):
            before = wh.query_count
            t = time.perf_counter()
            per_table, outcomes, lookups, uncompiled = {}, {}, 0, {}
            for s in suites:
                ts = time.perf_counter()
                evaluation = evaluate(wh, tables[s.table], s.rules, start, end)
                lookups += 1
                per_table[s.table] = (time.perf_counter() - ts, evaluation.statements)
                outcomes.update(evaluation)
                uncompiled.update(evaluation.uncompiled)
            runs.append((time.perf_counter() - t, wh.query_count - before, lookups, per_table, outcomes, uncompiled))
    finally:
        wh.close()
    cold = runs[0]
    best = min(runs[1:], key=lambda r: r[0])
    compiled_best, compiled_statements, lookups, compiled_tables, compiled_outcomes, uncompiled = best

    disagree = sorted(cid for cid, o in ge_outcomes.items()
                      if cid not in compiled_outcomes or _facts(o) != _facts(compiled_outcomes[cid]))
    print(f"\n{args.phase}: {len(suites)} suites, {rules} expectations, window {start}..{end}, {url}")
    print(f"great_expectations import + context: {import_s:.2f} s (once per gate process; the compiled path "
          "imports no GE)")
    print(f"{'table':<32} {'GE s':>7} {'GE stmts':>9} {'compiled s':>11} {'stmts':>6}")
    for name in tables:
        (g_s, g_n), (c_s, c_n) = ge_tables[name], compiled_tables[name]
        print(f"{name:<32} {g_s:>7.3f} {g_n:>9} {c_s:>11.3f} {c_n:>6}")
    print(f"\n{'':<34} {'time (s)':>9} {'statements':>11}")
    print(f"{'Great Expectations, first run':<34} {ge_first:>9.3f}")
    print(f"{'Great Expectations, best':<34} {ge_best:>9.3f} {ge_statements:>11}")
    print(f"{'compiled, first run (+translation)':<34} {cold[0]:>9.3f} {cold[1]:>11}")
    print(f"{'compiled, best of the rest':<34} {compiled_best:>9.3f} {compiled_statements:>11}"
          f"   (+{lookups} column-type lookups)")
    print(f"{'ratio GE / compiled (best)':<34} {ge_best / compiled_best:>8.1f}x "
          f"{ge_statements / max(compiled_statements, 1):>10.1f}x")
    print(f"{'ratio GE / compiled (first runs)':<34} {ge_first / cold[0]:>8.1f}x")
    per_process = import_s + ge_first
    print(f"{'per gate process: GE import+first':<34} {per_process:>9.3f}   vs compiled first run "
          f"{cold[0]:.3f}: {per_process / cold[0]:.1f}x")
    if uncompiled:
        print(f"left to GE: {uncompiled}")
    print(f"outcomes agree on {rules - len(disagree)}/{rules} expectations"
          + (f"; DISAGREE: {', '.join(disagree)}" if disagree else ""))
    return 1 if disagree or uncompiled else 0


if __name__ == "__main__":
    sys.exit(main())
