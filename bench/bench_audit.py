"""Benchmark: what the reproduction audit costs the gate, as a ratio to the gate without it, same run.

    .venv/bin/python bench/bench_audit.py [--warehouse URL] [--repeats 3]

Measured (wall time of `phasegate gate PHASE` as subprocesses, alternating so both see the same
machine), for phase 3 and phase 4:

1. the gate with the audit at its default (`settings.audit = auto`: every date on DuckDB, a
   sample on BigQuery) against `--audit off`.                                  target <= 3x
   The audit re-runs every SQL processor of the phase over the window: on DuckDB it costs about
   what rebuilding the phase costs, in one statement per table.
2. On BigQuery (a `bigquery://` --warehouse): the bytes `gate --dry-run` estimates with the
   audit at its default against `--audit off` (the audit counts against the byte cap).
   On DuckDB nothing is billed and no bytes are estimated: said so.

Without --warehouse the clean demo is built in a temporary folder first (about a minute).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The phasegate of the interpreter running the bench (its venv), not a fixed ./.venv: a worktree
# or CI checkout may keep its venv elsewhere.
PG = str(Path(sys.executable).parent / "phasegate")
TARGET = 3.0


def run(args: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    proc = subprocess.run([PG, *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, proc


def build(url: str) -> None:
    print(f"building the clean demo at {url} ...", flush=True)
    started = time.perf_counter()
    proc = subprocess.run([PG, "demo", "--scenario", "clean", "-w", url], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    if proc.returncode:
        raise SystemExit(proc.stdout + proc.stderr)
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)


def dry_run_bytes(url: str, phase: str, audit: str | None) -> int | None:
    extra = ["--audit", audit] if audit else []
    proc = subprocess.run([PG, "gate", phase, "-w", url, "--dry-run", "--json", *extra], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"gate --dry-run exited {proc.returncode}: {proc.stdout}{proc.stderr}")
    return json.loads(proc.stdout)["estimated_bytes"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", help="an existing clean demo warehouse (default: build one)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    url = args.warehouse
    if url is None:
        url = f"duckdb:///{Path(tempfile.mkdtemp(prefix='bench_audit_')) / 'clean.duckdb'}"
        build(url)
    ok = True
    print(f"gate with the audit at its default vs --audit off on {url}, {os.cpu_count()} cores, "
          f"medians of {args.repeats} alternating runs")
    for phase in ("phase3", "phase4"):
        with_audit = ["gate", phase, "-w", url]
        without = [*with_audit, "--audit", "off"]
        for cmd in (with_audit, without):
            run(cmd)  # warm the file and translation caches
        times: dict[str, list[float]] = {"audit": [], "off": []}
        for _ in range(args.repeats):
            for name, cmd in (("audit", with_audit), ("off", without)):
                wall, proc = run(cmd)
                if proc.returncode != 0:
                    raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
                times[name].append(wall)
        t_audit, t_off = statistics.median(times["audit"]), statistics.median(times["off"])
        ratio = t_audit / t_off
        ok = ok and ratio <= TARGET
        print(f"  {phase}: gate {t_audit:6.2f} s with the audit, {t_off:6.2f} s without: {ratio:.2f}x "
              f"(target <= {TARGET:g}x)")
        if url.startswith("bigquery://"):
            b_audit, b_off = dry_run_bytes(url, phase, None), dry_run_bytes(url, phase, "off")
            if b_audit is not None and b_off:
                print(f"    dry-run bytes: {b_audit:,} with the audit, {b_off:,} without: {b_audit / b_off:.2f}x")
        else:
            print("    dry-run bytes: not measurable on DuckDB (nothing billed, no estimate)")
    print("targets met" if ok else "TARGETS MISSED (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
