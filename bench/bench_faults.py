"""Benchmark: what the gate catches of a catalogue of realistic faults, and its false alarms.

For each fault of phasegate/demo/faults.py (FAULTS), copy a clean demo warehouse, apply the
fault, run the gate of the fault's phase (`phasegate.gate.run_gate`, the same pytest run as
`phasegate gate PHASE`) and record whether it said anything but GO. For each benign change
(BENIGN), do the same for every phase it names: anything but GO is a false alarm.

    .venv/bin/python bench/bench_faults.py [--warehouse clean.duckdb] [--only NAME ...] [--json out.json]

Prints one line per change (caught / MISSED, or GO / FALSE ALARM, with the failing cases) and
the totals: faults caught N/M, benign false alarms K/L. The baseline is today's gate; the target
is every fault caught with no false alarm. Exit 0 unless a change could not be applied (or,
with --strict, unless the target is met).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from phasegate.demo.faults import BENIGN, FAULTS, Change, apply_change, exceptions_toml
from phasegate.demo.raw import DEMO_END  # the demo schedule ends there
from phasegate.gate.results import GateResult
from phasegate.gate.run import run_gate
from phasegate.model.catalog import load_catalog
from phasegate.warehouse.duckdb import DuckDBWarehouse


def build_clean(path: Path) -> None:
    from phasegate.demo.scenarios import build_scenario

    catalog = load_catalog(ROOT / "pipeline.toml")
    with DuckDBWarehouse(path) as wh:
        build_scenario(wh, catalog, "clean")


def failing_cases(result: GateResult) -> list[str]:
    out = []
    for case in result.results.checks if result.results else []:
        if case.outcome not in ("failed", "error"):
            continue
        label = case.nodeid.split("::")[-1] if "test_expectation" in case.nodeid else f"{case.family}[{case.table}]"
        out.append(label + (" (ERROR)" if case.outcome == "error" else ""))
    return out


def run_change(change: Change, clean: Path, work: Path, workers: int) -> dict:
    catalog = load_catalog(ROOT / "pipeline.toml")
    start, end = catalog.settings.default_start_date, DEMO_END
    copy = work / "w.duckdb"
    shutil.copy(clean, copy)
    started = time.perf_counter()
    with DuckDBWarehouse(copy) as wh:
        target = apply_change(wh, catalog, change, start, end)
    applied_s = time.perf_counter() - started
    exceptions_path = None
    if target.exceptions:
        exceptions_path = work / "exceptions.toml"
        exceptions_path.write_text(exceptions_toml(target.exceptions))
    gates = {}
    for phase in change.phases:
        result = run_gate(phase, warehouse_url=f"duckdb:///{copy}", catalog_path=ROOT / "pipeline.toml",
                          exceptions_path=exceptions_path, workers=workers, reports_dir=work / "reports")
        gates[phase] = {"verdict": str(result.verdict), "failing": failing_cases(result)}
    copy.unlink()
    return {"name": change.name, "benign": change.benign, "scope": change.scope, "source": change.source,
            "phases": list(change.phases), "apply_s": round(applied_s, 1),
            "gate_s": round(time.perf_counter() - started - applied_s, 1), "gates": gates}


def line(record: dict) -> str:
    verdicts = {p: g["verdict"] for p, g in record["gates"].items()}
    failing = sorted({c for g in record["gates"].values() for c in g["failing"]})
    if record["benign"]:
        state = "GO" if all(v == "GO" for v in verdicts.values()) else "FALSE ALARM"
    else:
        state = "caught" if any(v != "GO" for v in verdicts.values()) else "MISSED"
    shown = ", ".join(failing[:4]) + (f" (+{len(failing) - 4})" if len(failing) > 4 else "")
    phases = "/".join(f"{p} {v}" for p, v in verdicts.items())
    return f"{state:<11} {record['name']:<40} {record['scope']:<22} {phases:<24} {shown}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="a clean demo DuckDB file to reuse (default: build one)")
    parser.add_argument("--only", nargs="*", help="names of the changes to run (default: all)")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers per gate run")
    parser.add_argument("--json", type=Path, help="also write every record here")
    parser.add_argument("--strict", action="store_true", help="exit 1 unless every fault is caught, no false alarm")
    args = parser.parse_args()

    changes = [*FAULTS.values(), *BENIGN.values()]
    if args.only:
        unknown = set(args.only) - {c.name for c in changes}
        if unknown:
            print(f"bench_faults: unknown change(s): {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        changes = [c for c in changes if c.name in args.only]

    with tempfile.TemporaryDirectory(prefix="bench_faults_") as tmp:
        work = Path(tmp)
        clean = args.warehouse.resolve() if args.warehouse else work / "clean.duckdb"
        if args.warehouse is None:
            started = time.perf_counter()
            build_clean(clean)
            print(f"built the clean demo warehouse in {time.perf_counter() - started:.0f}s")
        elif not clean.exists():
            print(f"bench_faults: {clean} does not exist", file=sys.stderr)
            return 2
        records, errors = [], []
        for change in changes:
            try:
                record = run_change(change, clean, work, args.workers)
            except Exception as exc:  # a change that cannot be applied is reported, the others still run
                errors.append(change.name)
                print(f"{'ERROR':<11} {change.name:<40} could not apply: {' '.join(str(exc).split())[:160]}",
                      flush=True)
                continue
            records.append(record)
            print(line(record), flush=True)

    faults = [r for r in records if not r["benign"]]
    benign = [r for r in records if r["benign"]]
    caught = sum(any(g["verdict"] != "GO" for g in r["gates"].values()) for r in faults)
    alarms = sum(any(g["verdict"] != "GO" for g in r["gates"].values()) for r in benign)
    print(f"\nfaults caught {caught}/{len(faults)}, benign false alarms {alarms}/{len(benign)}"
          + (f", {len(errors)} change(s) not applied: {', '.join(errors)}" if errors else ""))
    if args.json:
        args.json.write_text(json.dumps({"faults_caught": caught, "faults": len(faults), "false_alarms": alarms,
                                         "benign": len(benign), "not_applied": errors, "records": records},
                                        indent=2))
    if errors:
        return 1
    if args.strict and (caught < len(faults) or alarms):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
