"""Benchmark: the incident backfill, chunked vs one date at a time (the old jobs' way).

Run: python bench/bench_backfill.py [--chunk-days 30] [--workers 4] [--sample 0.1 | --full]

1. Builds the incident demo warehouse once (DuckDB, in a temp folder) and copies it per variant.
2. Chunked: the plan `phasegate backfill phase3` makes (missing + partial dates, chunks of at
   most --chunk-days game dates), tables in parallel, each chunk verified — wall time, chunks,
   warehouse queries.
3. Per date: the same plan with one game date per processor call (chunk_days = 1), as the
   old backfill jobs did. By default only a stride sample of each table's dates is run
   (--sample, 10%: every 10th date of every table, so each table keeps its share) and the wall
   time is extrapolated as sample_time / fraction; --full runs every date.
4. Prints both, and the ratio. The gate is not part of either timing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from phasegate.demo.raw import DEMO_END  # the demo schedule ends there
from phasegate.demo.scenarios import build_scenario
from phasegate.model.catalog import load_catalog
from phasegate.runner.execute import execute_plan
from phasegate.runner.plan import Plan, build_plan, load_exclusions, make_chunks
from phasegate.runner.retry import RetryPolicy
from phasegate.warehouse.duckdb import DuckDBWarehouse

ROOT = Path(__file__).resolve().parents[1]


def sample_plan(plan: Plan, fraction: float) -> tuple[Plan, float]:
    """Keep every k-th planned date of every table (each in its own 1-date chunk)."""
    stride = max(1, round(1 / fraction))
    kept = total = 0
    for tp in plan.tables.values():
        dates = tp.dates
        keep = dates[::stride]
        total += len(dates)
        kept += len(keep)
        tp.reasons = {d: tp.reasons[d] for d in keep}
        tp.chunks = make_chunks(tp.table, keep, tp.universe, 1)
    return plan, (kept / total if total else 1.0)


def run_variant(base: Path, workdir: Path, name: str, phase: str, chunk_days: int, workers: int,
                fraction: float | None) -> dict:
    catalog = load_catalog(ROOT / "pipeline.toml")
    path = workdir / f"{name}.duckdb"
    shutil.copyfile(base, path)
    wh = DuckDBWarehouse(path)
    try:
        exclusions = load_exclusions(catalog)
        t0 = time.perf_counter()
        plan = build_plan(wh, catalog, phase, start=catalog.settings.default_start_date,
                          end=DEMO_END, chunk_days=chunk_days, exclusions=exclusions)
        plan_s = time.perf_counter() - t0
        total_dates, total_chunks = plan.total_dates, plan.total_chunks
        share = 1.0
        if fraction is not None and fraction < 1.0:
            plan, share = sample_plan(plan, fraction)
        q0 = wh.query_count
        t0 = time.perf_counter()
        ex = execute_plan(plan, wh, catalog, workers=workers, policy=RetryPolicy(retries=0))
        run_s = time.perf_counter() - t0
        assert ex.ok, ex.failures()
        return {"name": name, "plan_s": plan_s, "run_s": run_s, "share": share, "dates": total_dates,
                "chunks": total_chunks, "ran_chunks": plan.total_chunks, "queries": wh.query_count - q0,
                "rows": ex.rows_written, "estimated_s": plan_s + run_s / share}
    finally:
        wh.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chunk-days", type=int, default=30)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--sample", type=float, default=0.1, help="share of dates run one at a time (default 0.1)")
    ap.add_argument("--full", action="store_true", help="run every date one at a time (no extrapolation)")
    ap.add_argument("--phase4", action="store_true", help="also time phase 4 (after phase 3 is filled)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp:
        workdir = Path(tmp)
        base = workdir / "incident.duckdb"
        t0 = time.perf_counter()
        wh = DuckDBWarehouse(base)
        build_scenario(wh, load_catalog(ROOT / "pipeline.toml"), "incident")
        wh.close()
        print(f"incident warehouse built in {time.perf_counter() - t0:.1f}s")
        phases = ["phase3"] + (["phase4"] if args.phase4 else [])
        for phase in phases:
            if phase == "phase4":  # phase 4 needs phase 3 complete: fill it once, chunked
                run_variant(base, workdir, "fill3", "phase3", args.chunk_days, args.workers, None)
                shutil.copyfile(workdir / "fill3.duckdb", base)
            chunked = run_variant(base, workdir, f"{phase}-chunked", phase, args.chunk_days, args.workers, None)
            fraction = None if args.full else args.sample
            per_date = run_variant(base, workdir, f"{phase}-per-date", phase, 1, args.workers, fraction)
            print(f"\n{phase} incident backfill: {chunked['dates']} table-dates, workers={args.workers}")
            print(f"  chunked (<= {args.chunk_days} dates/call): {chunked['chunks']:>4} calls  "
                  f"plan {chunked['plan_s']:.1f}s + run {chunked['run_s']:.1f}s = {chunked['estimated_s']:.1f}s  "
                  f"({chunked['queries']} queries, {chunked['rows']:,} rows)")
            how = ("measured" if per_date["share"] >= 1.0 else
                   f"extrapolated from a {per_date['share']:.0%} stride sample: {per_date['ran_chunks']} calls in "
                   f"{per_date['run_s']:.1f}s")
            print(f"  one date per call:          {per_date['chunks']:>4} calls  "
                  f"= {per_date['estimated_s']:.1f}s  ({how})")
            print(f"  ratio per-date / chunked: x{per_date['estimated_s'] / chunked['estimated_s']:.1f}")


if __name__ == "__main__":
    main()
