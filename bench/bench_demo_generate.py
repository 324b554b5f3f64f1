"""Benchmark the synthetic raw-warehouse generator.

Run: python bench/bench_demo_generate.py [--repeat N]

Prints wall time, rows and rows/second for the default demo and for a bigger one
(3 extra seasons, games_scale=2), and the ratio of the bigger size to the default.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from phasegate.demo.raw import RAW_TABLES, generate_raw

SIZES = {
    "default": {},
    "bigger (extra_seasons=3, games_scale=2)": {"extra_seasons": 3, "games_scale": 2.0},
}


def run(kwargs: dict, repeat: int) -> tuple[float, dict[str, int]]:
    best = float("inf")
    counts: dict[str, int] = {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        tables = generate_raw(7, **kwargs)
        best = min(best, time.perf_counter() - t0)
        counts = {name: tables[name].num_rows for name in RAW_TABLES}
    return best, counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3, help="runs per size; the best time is reported")
    args = ap.parse_args()
    results = {}
    for label, kwargs in SIZES.items():
        secs, counts = run(kwargs, args.repeat)
        total = sum(counts.values())
        results[label] = (secs, total)
        print(f"{label}: {secs:.2f} s, {total:,} rows, {total / secs:,.0f} rows/s (best of {args.repeat})")
        for name, n in counts.items():
            print(f"    {name:32s} {n:>10,}")
    (base_s, base_n), (big_s, big_n) = results.values()
    print(f"bigger / default: rows x{big_n / base_n:.2f}, time x{big_s / base_s:.2f}, "
          f"throughput x{(big_n / big_s) / (base_n / base_s):.2f}")


if __name__ == "__main__":
    main()
