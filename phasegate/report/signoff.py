"""Sign-off: a person vouches for the latest GO report of a phase, if the data has not moved.

The rules: the latest run of the phase must be GO, its checklist must have no gap (every
check the catalog asks for ran), and every table's fingerprint (its content hash over the
run's window, phasegate.measure.fingerprint, one query per table) must equal the one the run
recorded. Otherwise the sign-off is refused (NoGo, exit 1). An accepted sign-off is appended
to reports/signoffs.jsonl and the report is re-rendered with the signature.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from phasegate.errors import NoGo, UsageError
from phasegate.measure.fingerprint import (
    combined_fingerprint,
    fingerprint_changes,
    measure_fingerprints,
)
from phasegate.model.catalog import Catalog
from phasegate.report.store import append_signoff, latest_run_dir, load_results


def stored_fingerprints(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: (body or {}).get("fingerprint") for name, body in (results.get("tables") or {}).items()}


def sign(phase: str, by: str, *, catalog: Catalog, reports_root: Path, warehouse_url: str | None = None,
         note: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Sign the latest report of `phase`; returns the recorded sign-off. Raises NoGo when refused."""
    from phasegate.report.render import write_report
    from phasegate.warehouse import ENV_VAR, open_warehouse

    by = (by or "").strip()
    if not by:
        raise UsageError("--by must name the person signing off")
    catalog.phase(phase)
    run_dir = latest_run_dir(reports_root, phase)
    results = load_results(run_dir)
    run_id = results.get("run_id") or run_dir.name
    verdict = results.get("verdict")
    if verdict != "GO":
        failing = sorted({c.get("table") or "?" for c in results.get("checks") or []
                          if c.get("outcome") in ("failed", "error")})
        detail = f" (failing: {', '.join(failing)})" if failing else ""
        raise NoGo(f"refusing to sign {phase}: the latest report {run_id} is {verdict or 'unknown'}{detail}; "
                   f"fix the data, re-run `phasegate gate {phase}`, then sign the GO report")
    from phasegate.report.checklist import build_checklist

    gaps = build_checklist(results, catalog).gaps
    if gaps:
        shown = ", ".join(f"{t}/{f}" for t, f in gaps[:8]) + (f" (+{len(gaps) - 8} more)" if len(gaps) > 8 else "")
        raise NoGo(f"refusing to sign {phase}: report {run_id} is GO but its checklist has {len(gaps)} gap(s), "
                   f"checks the catalog asks for that did not run: {shown}; fix the gate and re-run it")
    stored = stored_fingerprints(results)
    unrecorded = sorted(name for name, fp in stored.items() if not fp)
    if not stored or unrecorded:
        raise NoGo(f"refusing to sign {phase}: run {run_id} recorded no data fingerprint for "
                   f"{', '.join(unrecorded) or 'any table'}, so an unchanged warehouse cannot be proven; "
                   f"re-run `phasegate gate {phase}`")
    start = dt.date.fromisoformat(results["window"]["start"])
    end = dt.date.fromisoformat(results["window"]["end"])
    url = warehouse_url or os.environ.get(ENV_VAR) or results.get("warehouse")
    wh = open_warehouse(url, read_only=True)
    try:
        known = [name for name in stored if name in catalog.tables]
        current = measure_fingerprints(wh, catalog, known, start, end)
    finally:
        wh.close()
    for name in stored:
        if name not in catalog.tables:
            current[name] = {"rows": None, "max_processed_at": None, "missing": True}
    changes = fingerprint_changes(stored, current)
    if changes:
        raise NoGo(f"refusing to sign {phase}: the data changed since run {run_id} "
                   f"({len(changes)} table(s)): " + "; ".join(changes)
                   + f". Re-run `phasegate gate {phase}` and sign the new report")
    record = {
        "phase": phase, "run_id": run_id, "by": by,
        "at": (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="seconds"),
        "note": note or "", "verdict": verdict, "fingerprint": combined_fingerprint(stored),
        "tables": {name: {"rows": fp.get("rows"), "max_processed_at": fp.get("max_processed_at"),
                          "content": fp.get("content")}
                   for name, fp in sorted(stored.items())},
        "catalog_fingerprint": results.get("catalog_fingerprint"),
        "exceptions_fingerprint": results.get("exceptions_fingerprint"),
        "window": results.get("window"), "warehouse": results.get("warehouse"),
    }
    if results.get("catalog_fingerprint") and results["catalog_fingerprint"] != catalog.fingerprint:
        record["warning"] = (f"the catalog changed since the run ({results['catalog_fingerprint']} -> "
                             f"{catalog.fingerprint}); the report checked the catalog of the run")
    append_signoff(reports_root, record)
    write_report(run_dir, catalog=catalog)
    record["report"] = str(run_dir / "report.html")
    return record
