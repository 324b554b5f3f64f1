"""Benchmark: render the sign-off report for the full demo window (~4.2 seasons x 10 tables).

Writes a synthetic results.json following docs/contracts.md into a temporary reports folder,
renders it, and checks the page budget: < 2 MB and < 1 s. Also usable as a fixture builder:
`synthetic_results(...)` is imported by the report tests.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from phasegate.demo.raw import DEMO_END  # the demo schedule ends there

MAX_BYTES = 2_000_000
MAX_SECONDS = 1.0
FAMILIES = ("schema", "date_coverage", "game_coverage", "key_uniqueness", "row_counts", "null_rates",
            "game_id_consistency", "cross_table", "staleness", "leakage", "bootstrap_rows")


def season_game_days(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    """Game dates in [start, end] (value: is bootstrap), NBA-shaped: late Oct to mid June."""
    out: dict[dt.date, bool] = {}
    day = start
    while day <= end:
        year = day.year if day.month >= 8 else day.year - 1
        opener = dt.date(year, 10, 18) + dt.timedelta(days=(year * 3) % 7)
        finals_end = dt.date(year + 1, 6, 18)
        if opener <= day <= finals_end and not (day.month == 2 and 14 <= day.day <= 20) \
                and not (day.month == 12 and day.day == 24) and (day.month < 4 or day.month > 5 or day.day % 3):
            out[day] = (day - opener).days < 14
        day += dt.timedelta(days=1)
    return out


def synthetic_results(phase: str, tables: list[str], start: dt.date, end: dt.date, *, gaps: dict[str, int],
                      seed: int = 7, run_id: str | None = None) -> dict:
    """A results.json for `tables`; `gaps` = table -> number of consecutive missing dates."""
    rnd = random.Random(seed)
    game_days = season_game_days(start, end)
    counted = [d for d, boot in game_days.items() if not boot]
    checks, body = [], {}
    for i, name in enumerate(tables):
        days = {d.isoformat(): ("bootstrap" if boot else "covered") for d, boot in game_days.items()}
        missing: list[dt.date] = []
        gap = gaps.get(name, 0)
        if gap:
            first = (len(counted) // 3 + i * 37) % max(1, len(counted) - gap)
            missing = counted[first:first + gap]
        for d in missing:
            days[d.isoformat()] = "missing"
        partial = {}
        for d in rnd.sample(counted, 3) if gap else []:
            if days[d.isoformat()] == "covered":
                days[d.isoformat()] = "partial"
                partial[d.isoformat()] = [f"{d:%Y%m%d}_LAL_DEN"]
        excepted = counted[-5:-3] if i == 1 else []
        for d in excepted:
            days[d.isoformat()] = "excepted"
        expected = len(counted) - len(excepted)
        covered = expected - len(missing)
        games = expected * 7
        present = games - len(missing) * 7 - len(partial)
        ok = covered / expected >= 0.95
        from phasegate.model.dates import format_ranges
        body[name] = {
            "phase": phase, "dataset": "nba_analytics", "date_column": "game_date",
            "coverage": {
                "expected_dates": expected, "covered_dates": covered, "date_ratio": covered / expected,
                "date_threshold": 0.95, "expected_games": games, "present_games": present,
                "game_ratio": present / games, "game_threshold": 0.95,
                "missing_dates": [d.isoformat() for d in missing],
                "missing_ranges": format_ranges(missing, counted), "partial_dates": partial, "days": days,
            },
            "fingerprint": {"rows": covered * 14, "max_processed_at": "2026-01-04T06:00:00+00:00"},
        }
        for family in FAMILIES:
            failed = family in ("date_coverage", "game_coverage") and not ok
            checks.append({
                "nodeid": f"checks/{phase}/test_gate.py::test_{family}[{name}]", "name": f"test_{family}[{name}]",
                "table": name, "family": family, "outcome": "failed" if failed else "passed",
                "measured": f"{covered}/{expected}" if family == "date_coverage" else "ok",
                "threshold": ">= 95%" if "coverage" in family else "", "duration_s": 0.01,
                "message": f"{len(missing)} missing dates: {format_ranges(missing, counted)}" if failed else "",
            })
        for k in range(6):
            checks.append({"nodeid": f"checks/{phase}/test_expectations.py::test_expectation[{name}-{k}]",
                           "name": f"expect_column_values_to_not_be_null[{name}.col{k}]", "table": name,
                           "family": "expectation", "outcome": "passed", "measured": "0.0% null",
                           "threshold": "mostly 1.0", "message": "", "duration_s": 0.02})
    checks.append({"nodeid": f"checks/{phase}/test_gate.py::test_uncatalogued_tables", "name": "test_uncatalogued_tables",
                   "table": None, "family": "uncatalogued_tables", "outcome": "passed", "measured": "0 unknown",
                   "threshold": "0", "message": "", "duration_s": 0.01})
    summary = {o: sum(c["outcome"] == o for c in checks) for o in ("passed", "failed", "error", "skipped")}
    summary["total"] = len(checks)
    verdict = "GO" if not summary["failed"] else "NO-GO"
    return {
        "run_id": run_id or f"{phase}-20260104T060000Z-{seed:04x}", "phase": phase, "verdict": verdict,
        "exit_code": 0 if verdict == "GO" else 1, "window": {"start": start.isoformat(), "end": end.isoformat()},
        "warehouse": "duckdb:///warehouse.duckdb", "started_at": "2026-01-04T06:00:00+00:00",
        "finished_at": "2026-01-04T06:00:12+00:00", "duration_s": 12.0, "git_commit": "abc1234",
        "catalog_fingerprint": "0123456789ab", "exceptions_fingerprint": "ba9876543210",
        "tables": body, "checks": checks, "exceptions_applied": [], "summary": summary,
    }


def main() -> int:
    from phasegate.model.catalog import load_catalog
    from phasegate.report import write_report

    catalog = load_catalog(ROOT / "pipeline.toml")
    tables = [t.name for t in catalog.tables_of("phase3")] + [t.name for t in catalog.tables_of("phase4")]
    results = synthetic_results("phase3", tables, catalog.settings.default_start_date,
                                DEMO_END,
                                gaps={tables[1]: 72, tables[2]: 40, tables[3]: 25})
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "reports" / "phase3" / results["run_id"]
        run_dir.mkdir(parents=True)
        (run_dir / "results.json").write_text(json.dumps(results))
        write_report(run_dir, catalog=catalog)  # warm-up: template compilation
        times = []
        for _ in range(5):
            started = time.perf_counter()
            out = write_report(run_dir, catalog=catalog)
            times.append(time.perf_counter() - started)
        size = out.stat().st_size
    best, worst = min(times), max(times)
    print(f"report: {len(tables)} tables, window {results['window']['start']}..{results['window']['end']}: "
          f"{size / 1e6:.2f} MB, render {best * 1000:.0f} ms (worst {worst * 1000:.0f} ms of 5)")
    ok = size < MAX_BYTES and worst < MAX_SECONDS
    print("OK" if ok else f"FAIL: budget is < {MAX_BYTES / 1e6:.0f} MB and < {MAX_SECONDS:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
