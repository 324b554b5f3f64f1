"""Benchmark: rebuild phases 3 and 4 of the demo window, range-batched vs one date at a time.

Run: python bench/bench_rebuild.py [--sample-dates N] [--games-scale X] [--extra-seasons N]

1. Loads the raw demo warehouse into a temporary DuckDB file.
2. Batched: every phase-3 then phase-4 table over the whole window, one processor run per
   table (the way `phasegate backfill` groups contiguous dates). Target: < 120 s on 2 cores.
3. Per date: the same SQL processors, one run per table per game date — what a date-by-date
   backfill loop does. Running all ~918 dates x 10 tables would take long, so it is timed on
   N game dates spread evenly over the window and extrapolated to every game date (said so
   in the output). Target: batched >= 20x faster.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from phasegate.demo.scenarios import demo_window, load_raw, rebuild_phase
from phasegate.measure.calendar import load_calendar
from phasegate.model.catalog import load_catalog
from phasegate.runner.processors import run_processor
from phasegate.warehouse.duckdb import DuckDBWarehouse

ROOT = Path(__file__).resolve().parents[1]
TARGET_REBUILD_S = 120.0
TARGET_RATIO = 20.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample-dates", type=int, default=12, help="game dates timed one at a time (default 12)")
    ap.add_argument("--games-scale", type=float, default=1.0)
    ap.add_argument("--extra-seasons", type=int, default=0)
    args = ap.parse_args()

    catalog = load_catalog(ROOT / "pipeline.toml")
    with tempfile.TemporaryDirectory() as tmp:
        wh = DuckDBWarehouse(Path(tmp) / "bench.duckdb")
        load_raw(wh, catalog, extra_seasons=args.extra_seasons, games_scale=args.games_scale)
        start, end = demo_window(wh, catalog)
        game_dates = load_calendar(wh, catalog, start, end).game_dates
        print(f"window {start}..{end}: {len(game_dates)} game dates")

        started = time.perf_counter()
        rows: dict[str, int] = {}
        for phase in ("phase3", "phase4"):
            phase_started = time.perf_counter()
            rows.update(rebuild_phase(wh, catalog, phase, start, end))
            print(f"  batched {phase}: {time.perf_counter() - phase_started:6.1f} s")
        batched = time.perf_counter() - started
        print(f"batched rebuild (phases 3+4, {len(rows)} tables, {sum(rows.values()):,} rows): {batched:.1f} s "
              f"[target < {TARGET_REBUILD_S:.0f} s: {'met' if batched < TARGET_REBUILD_S else 'MISSED'}]")

        step = max(1, len(game_dates) // args.sample_dates)
        sample = game_dates[step // 2::step][:args.sample_dates]
        order = catalog.topological_order([t.name for p in ("phase3", "phase4") for t in catalog.tables_of(p)])
        started = time.perf_counter()
        for date in sample:
            for name in order:
                run_processor(wh, catalog, name, date, date)
        sampled = time.perf_counter() - started
        per_date = sampled / len(sample)
        extrapolated = per_date * len(game_dates)
        print(f"per-date runs: {len(sample)} sampled game dates x {len(order)} tables in {sampled:.1f} s "
              f"({per_date:.2f} s per date); extrapolated to all {len(game_dates)} game dates: {extrapolated:.0f} s")
        ratio = extrapolated / batched
        print(f"batched is {ratio:.0f}x faster than per-date (same run) "
              f"[target >= {TARGET_RATIO:.0f}x: {'met' if ratio >= TARGET_RATIO else 'MISSED'}]")
        wh.close()
    return 0 if batched < TARGET_REBUILD_S and ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
