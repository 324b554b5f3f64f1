"""Benchmark: the content-hash fingerprint against the old one (row count + max processed_at), same run.

    .venv/bin/python bench/bench_fingerprint.py [--warehouse duckdb:///clean.duckdb] [--repeats 5]

Both are measured on every phase-3 and phase-4 table over the catalog's window, alternating so
both see the same machine; printed: seconds and the ratio content / old. No target: the content
hash must read every column by design (measured on the 4-season demo: 0.65 s for the 10 tables,
30x the old two-column fingerprint's 0.02 s, and 20x its BigQuery bytes); it is reported so a
regression in its cost is seen.

Bytes on BigQuery: the old fingerprint reads two columns (the date and processed_at), the content
hash reads every column of the window's partitions, so its bytes are the table's bytes in the
window (the bigger, by the ratio of a row's width to those two columns). The emulator's dry runs
report 0 bytes, so the estimate is printed from the data instead: bytes of every column vs bytes
of the two columns (BigQuery's size rules: 8 bytes per INT64/FLOAT64/DATE/TIMESTAMP, 2 + UTF-8
length per STRING), over the rows of the window.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from phasegate.measure.fingerprint import fingerprint_sql, rows_fingerprint_sql
from phasegate.model.catalog import load_catalog
from phasegate.warehouse import open_warehouse


def timed(wh, sql: str, params: dict) -> float:
    started = time.perf_counter()
    wh.query(sql, params)
    return time.perf_counter() - started


def bytes_estimate(wh, table, params) -> tuple[int, int]:
    """(every column, date + processed_at) bytes of the window's rows, by BigQuery's size rules."""
    cols = wh.columns(table.dataset, table.name)

    def size(col: str, kind: str) -> str:
        kind = kind.upper()
        if "VARCHAR" in kind or "STRING" in kind:
            return f"SUM(2 + COALESCE(LENGTH(CAST({col} AS STRING)), 0))"
        if "[]" in kind or "LIST" in kind or "ARRAY" in kind:
            return f"SUM(COALESCE(ARRAY_LENGTH({col}), 0) * 8)"
        return "COUNT(*) * 8"

    every = " + ".join(size(c, k) for c, k in cols.items())
    sql = (f"SELECT {every} AS every_col, COUNT(*) * 16 AS two_cols FROM {table.ref} "
           f"WHERE {table.date_column} BETWEEN @start_date AND @end_date")
    row = wh.query(sql, params)[0]
    return int(row["every_col"] or 0), int(row["two_cols"] or 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", default=None)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    catalog = load_catalog(ROOT / "pipeline.toml")
    url = args.warehouse
    if url is None:
        import subprocess

        folder = Path(tempfile.mkdtemp(prefix="bench-fingerprint-"))
        url = f"duckdb:///{folder / 'clean.duckdb'}"
        print(f"building the clean demo at {url} ...", flush=True)
        subprocess.run([str(ROOT / ".venv" / "bin" / "phasegate"), "demo", "--scenario", "clean", "-w", url],
                       check=True, capture_output=True)
    params = {"start_date": catalog.settings.default_start_date, "end_date": catalog.settings.default_end_date}
    wh = open_warehouse(url, read_only=True)
    tables = [t for p in ("phase3", "phase4") for t in catalog.tables_of(p) if wh.columns(t.dataset, t.name)]
    old, new = [], []
    for sql_of in (rows_fingerprint_sql, fingerprint_sql):  # warm (translation cache, file pages)
        for t in tables:
            wh.query(sql_of(t), params)
    for _ in range(args.repeats):
        old.append(sum(timed(wh, rows_fingerprint_sql(t), params) for t in tables))
        new.append(sum(timed(wh, fingerprint_sql(t), params) for t in tables))
    every = two = 0
    for t in tables:
        e, w = bytes_estimate(wh, t, params)
        every, two = every + e, two + w
    wh.close()
    o, n = statistics.median(old), statistics.median(new)
    ratio = n / o if o else float("inf")
    print(f"{len(tables)} tables, window {params['start_date']}..{params['end_date']}, {args.repeats} repeats (median)")
    print(f"old fingerprint (rows + max processed_at): {o:.3f} s   content hash: {n:.3f} s   "
          f"ratio {ratio:.2f}x (no target: every column is read by design)")
    print(f"BigQuery bytes (estimate from the data): content hash {every / 1e6:.1f} MB vs old {two / 1e6:.1f} MB "
          f"({every / two if two else float('inf'):.1f}x); the emulator's dry runs report 0 bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
