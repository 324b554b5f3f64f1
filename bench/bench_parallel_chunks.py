"""Benchmark (a MODEL of BigQuery's latency): one table's 30 chunks, one after the other vs side by side.

    .venv/bin/python bench/bench_parallel_chunks.py [--chunks 30] [--scale 0.025] [--workers 4]

THIS IS A LATENCY MODEL, NOT BIGQUERY. The real runner (`execute_plan`) drives the real BigQuery
adapter (`BigQueryWarehouse.replace_range`: stage, swap, drop; its per-table swap lock) on a stand-in
client whose jobs take modelled wall times instead of running: a chunk's stage (CREATE TABLE AS
SELECT of a month of the processor's rows) 12 s, its swap (the DELETE + INSERT transaction) 4 s,
the drop of its staging table 0.5 s: typical interactive latencies of such jobs, multiplied by
--scale (default 1/40) so the bench takes seconds. The stand-in also checks BigQuery's rule: two
transactions on one table at once fail (the later one is cancelled), as BigQuery does.

Measured: the wall time of the table's chunks with `chunk_workers` 1 (the runner before: one chunk
after the other) and with the adapter's default (`Capabilities.chunk_workers`), every date written
in both. Target: a clear gain for a 30-chunk table (bounded by the serialized swaps: at best
stage/workers + swap per chunk instead of stage + swap).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from google.cloud import bigquery  # noqa: E402

from phasegate.model.catalog import load_catalog  # noqa: E402
from phasegate.runner.execute import execute_plan  # noqa: E402
from phasegate.runner.plan import Plan, TablePlan, make_chunks  # noqa: E402
from phasegate.warehouse.bigquery import DEFAULT_CHUNK_WORKERS, BigQueryWarehouse  # noqa: E402

TABLE = "player_game_summary"
LATENCY_S = {"stage": 12.0, "swap": 4.0, "drop": 0.5, "other": 0.5}  # modelled BigQuery wall times


class ModelJob:
    def __init__(self, client: ModelClient, kind: str, rows: int) -> None:
        self.client, self.kind, self.rows = client, kind, rows
        self.total_bytes_processed = self.total_bytes_billed = 0

    def result(self, **_: object) -> list:
        c = self.client
        if self.kind == "swap":
            with c.lock:
                if c.swapping:
                    raise RuntimeError("Transaction is aborted due to concurrent update against table")
                c.swapping += 1
        try:
            time.sleep(LATENCY_S[self.kind] * c.scale)
        finally:
            if self.kind == "swap":
                with c.lock:
                    c.swapping -= 1
        return [bigquery.Row((self.rows,), {"rows_written": 0})] if self.kind == "swap" else []


class ModelClient:
    """Stands in for google.cloud.bigquery.Client: jobs sleep their modelled latency."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.lock = threading.Lock()
        self.swapping = 0

    def query(self, sql: str, **_: object) -> ModelJob:
        kind = ("stage" if sql.startswith("CREATE TABLE") else "swap" if sql.startswith("BEGIN TRANSACTION")
                else "drop" if sql.startswith("DROP TABLE") else "other")
        return ModelJob(self, kind, 260)

    def get_table(self, ref: str, **_: object) -> object:
        return SimpleNamespace(schema=[bigquery.SchemaField("game_date", "DATE"),
                                       bigquery.SchemaField("player_lookup", "STRING")])

    def create_dataset(self, *a: object, **k: object) -> None:
        pass


def processor(wh, catalog, table, start, end, *, labels=None):
    t = catalog.table(table)
    rows = wh.replace_range(t.dataset, t.name, t.partition, start, end, "SELECT 1 AS x", {}, labels=labels)
    return SimpleNamespace(rows_written=rows or 1, output="")


def run_once(catalog, dates, chunk_days, workers, scale) -> tuple[float, int]:
    wh = BigQueryWarehouse("model-project", client=ModelClient(scale))
    tp = TablePlan(TABLE, reasons=dict.fromkeys(dates, "missing"), universe=tuple(dates))
    tp.chunks = make_chunks(TABLE, dates, dates, chunk_days)
    plan = Plan(phase="phase3", start=dates[0], end=dates[-1], chunk_days=chunk_days, all_dates=False,
                universe=tuple(dates), tables={TABLE: tp}, calendar=SimpleNamespace(game_dates=list(dates)))
    started = time.perf_counter()
    with mock.patch("phasegate.runner.execute.verify_chunk",
                    lambda *a, **k: SimpleNamespace(ok=True, problems={}, missing_games={}, text=lambda: "")):
        execution = execute_plan(plan, wh, catalog, processor=processor, workers=1, verify=False,
                                 chunk_workers={TABLE: workers})
    wall = time.perf_counter() - started
    out = execution.tables[TABLE]
    if out.failed or out.skipped or len(out.done) != len(dates):
        raise SystemExit(f"not every date written with {workers} worker(s): {out.counts()} {dict(out.failed)}")
    return wall, len(tp.chunks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=30)
    parser.add_argument("--scale", type=float, default=1 / 40)
    parser.add_argument("--workers", type=int, default=DEFAULT_CHUNK_WORKERS)
    args = parser.parse_args()
    catalog = load_catalog(ROOT / "pipeline.toml")
    chunk_days = 5
    dates = [dt.date(2023, 10, 24) + dt.timedelta(days=i) for i in range(args.chunks * chunk_days)]
    serial, n = run_once(catalog, dates, chunk_days, 1, args.scale)
    parallel, _ = run_once(catalog, dates, chunk_days, args.workers, args.scale)
    s = args.scale
    per_chunk = (LATENCY_S["stage"] + LATENCY_S["swap"] + LATENCY_S["drop"]) * s
    bound = n * max(LATENCY_S["swap"] * s, per_chunk / args.workers)
    print(f"parallel chunks, one table of {n} chunks: a BigQuery LATENCY MODEL (not BigQuery): stage "
          f"{LATENCY_S['stage']:.0f} s, swap {LATENCY_S['swap']:.0f} s, drop {LATENCY_S['drop']:.1f} s per chunk, "
          f"scaled by {s:g}")
    print(f"  one after the other (chunk_workers 1):      {serial:6.2f} s  (model: {n * per_chunk:.2f} s)")
    print(f"  side by side (chunk_workers {args.workers}, swaps serialized): {parallel:6.2f} s  "
          f"(model bound: {bound:.2f} s, the serialized swaps)")
    gain = serial / parallel
    print(f"  gain {gain:.1f}x for a {n}-chunk table (target: a clear gain, > 1.5x); at BigQuery's latencies: "
          f"{serial / s / 60:.1f} min -> {parallel / s / 60:.1f} min")
    return 0 if gain > 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
