"""Sign-off: a person vouches for a GO gate run of a phase, if the data has not moved.

The run is the one named (its local folder, else the warehouse's shared history, so a run gated
in another checkout can be signed) or by default the latest GO run of the phase. The rules: the
run must be GO, its checklist must have no gap (every check the catalog asks for ran), and every
table's fingerprint (its content hash over the run's window, phasegate.measure.fingerprint, one
query per table) must equal the one the run recorded. Otherwise the sign-off is refused (NoGo,
exit 1). Several people may sign one run; the same person again changes nothing. An accepted
sign-off is appended to reports/signoffs.jsonl and written to phasegate.signoffs, and the
report (where this checkout has it) and the index are re-rendered with every signer.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

from phasegate.errors import NoGo, PhasegateError, UsageError
from phasegate.identifiers import check_run_id
from phasegate.measure.fingerprint import (
    combined_fingerprint,
    fingerprint_changes,
    measure_fingerprints,
)
from phasegate.model.catalog import Catalog
from phasegate.report.store import RESULTS, RUN_ID, append_signoff, failing_tables, load_results, run_dirs
from phasegate.report.store import read_signoffs as read_local_signoffs
from phasegate.state import history
from phasegate.state import signoffs as shared_signoffs


def stored_fingerprints(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: (body or {}).get("fingerprint") for name, body in (results.get("tables") or {}).items()}


def _open(url: str | None, read_only: bool = True) -> Any:
    """The warehouse, or None (said on stderr) when it cannot be opened: sign-off still reads local runs."""
    from phasegate.warehouse import open_warehouse

    if url is None:
        return None  # no warehouse named: this checkout's runs only (the run's own warehouse is read later)
    try:
        return open_warehouse(url, read_only=read_only)
    except UsageError:
        raise  # a warehouse named wrong is the user's to fix (exit 2), never "this machine only"
    except PhasegateError as exc:
        print(f"note: cannot read the shared history ({exc}): runs and sign-offs of this machine only",
              file=sys.stderr)
        return None


def _stamp_of(run_id: str, started_at: Any) -> tuple[str, str]:
    match = RUN_ID.match(run_id)
    return (match["stamp"] if match else "", str(started_at or ""))


def find_run(reports_root: Path, phase: str, run_id: str | None, url: str | None) -> tuple[dict[str, Any], Path | None]:
    """(results, local run folder or None) of the run to sign. UsageError for a bad or unknown id or a
    run of another phase; NoGo when no GO run exists or a newer run of the phase found the data NO-GO."""
    if run_id is not None:
        check_run_id(run_id)
        local = [p.parent for p in Path(reports_root).glob(f"*/{run_id}/{RESULTS}")]
        if local:
            results, run_dir = load_results(local[0]), local[0]
        else:
            wh = _open(url)
            try:
                results = history.gate_run(wh, run_id) if wh is not None else None
            finally:
                if wh is not None:
                    wh.close()
            if results is None:
                raise UsageError(f"no gate run {run_id!r} under {reports_root} nor in the warehouse's shared history")
            run_dir = None
        if (results.get("phase") or phase) != phase:
            raise UsageError(f"run {run_id} is a gate run of {results.get('phase')}, not of {phase}")
        return results, run_dir
    # the latest GO run: this checkout's folders and every checkout's runs in the warehouse
    candidates: dict[str, dict[str, Any]] = {}
    wh = _open(url)
    try:
        for row in (history.gate_runs(wh, phase, limit=200) if wh is not None else []):
            candidates[row["run_id"]] = {"verdict": row["verdict"], "started_at": row["started_at"], "dir": None}
    finally:
        if wh is not None:
            wh.close()
    for folder in run_dirs(reports_root, phase):
        candidates[folder.name] = {"verdict": None, "started_at": None, "dir": folder}
    if not candidates:
        raise UsageError(f"no gate run for {phase} under {reports_root} nor in the warehouse "
                         f"(run `phasegate gate {phase}` first)")
    skipped = []
    for rid in sorted(candidates, key=lambda r: _stamp_of(r, candidates[r]["started_at"]), reverse=True):
        found = candidates[rid]
        results = load_results(found["dir"]) if found["dir"] is not None else None
        verdict = results.get("verdict") if results is not None else found["verdict"]
        if verdict == "GO":
            if results is None:
                results = find_run(reports_root, phase, rid, url)[0]
            if skipped:
                print(f"note: newer runs of {phase} are not GO and were skipped: {', '.join(skipped)}", file=sys.stderr)
            return results, found["dir"]
        if verdict == "NO-GO":
            # a finding about the data after the GO run: never sign the older run silently
            failing = failing_tables(results or {})
            detail = f" (failing: {', '.join(failing)})" if failing else ""
            raise NoGo(f"refusing to sign {phase}: the latest report {rid} is NO-GO{detail}; "
                       f"fix the data, re-run `phasegate gate {phase}`, then sign the GO report")
        skipped.append(f"{rid} is {verdict or 'unknown'}")
    raise NoGo(f"refusing to sign {phase}: no GO run to sign (the latest report {'; '.join(skipped)}); "
               f"re-run `phasegate gate {phase}` and sign its GO report")


def signers(reports_root: Path, url: str | None, run_id: str | None = None) -> list[dict[str, Any]]:
    """Every sign-off (of one run, or all), from this machine and from the warehouse, one per signer."""
    wh = _open(url)
    try:
        shared = shared_signoffs.read_signoffs(wh, run_id) if wh is not None else []
    except PhasegateError as exc:
        print(f"phasegate: warning: reading phasegate.signoffs failed ({exc}): sign-offs of this machine only",
              file=sys.stderr)
        shared = []
    finally:
        if wh is not None:
            wh.close()
    return shared_signoffs.merged(read_local_signoffs(reports_root, run_id), shared)


def sign(phase: str, by: str | None, *, catalog: Catalog, reports_root: Path, run_id: str | None = None,
         warehouse_url: str | None = None, note: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Sign a GO run of `phase` (the named one, else the latest GO run); returns the sign-off, with
    `already` True when this signer had signed it before. Raises NoGo when refused."""
    from phasegate.report.render import write_index, write_report
    from phasegate.warehouse import ENV_VAR, open_warehouse

    by = (by or "").strip()
    if not by:
        raise UsageError("--by must name the person signing off")
    catalog.phase(phase)
    given_url = warehouse_url or os.environ.get(ENV_VAR) or None
    results, run_dir = find_run(reports_root, phase, run_id, given_url)
    run_id = results.get("run_id") or (run_dir.name if run_dir else run_id)
    verdict = results.get("verdict")
    if verdict != "GO":
        failing = failing_tables(results)
        detail = f" (failing: {', '.join(failing)})" if failing else ""
        raise NoGo(f"refusing to sign {phase}: report {run_id} is {verdict or 'unknown'}{detail}; only a GO run "
                   f"is signed: fix the data, re-run `phasegate gate {phase}`, then sign the GO report")
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
    url = given_url or results.get("warehouse")
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
    before = signers(reports_root, url, run_id)
    mine = [s for s in before if str(s.get("by") or "").strip() == by]
    if mine:
        return {**mine[0], "already": True, "signers": before, "report": _report_of(run_dir)}
    record = {
        "phase": phase, "run_id": run_id, "by": by,
        "at": (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="seconds"),
        "note": note or "", "verdict": verdict, "fingerprint": combined_fingerprint(stored),
        "tables": {name: {"rows": fp.get("rows"), "max_processed_at": fp.get("max_processed_at"),
                          "content": fp.get("content")}
                   for name, fp in sorted(stored.items())},
        "catalog_fingerprint": results.get("catalog_fingerprint"),
        "exceptions_fingerprint": results.get("exceptions_fingerprint"),
        "window": results.get("window"), "warehouse": history.public_url(str(results.get("warehouse") or url)),
        "host": history.host_name(),
    }
    if results.get("catalog_fingerprint") and results["catalog_fingerprint"] != catalog.fingerprint:
        record["warning"] = (f"the catalog changed since the run ({results['catalog_fingerprint']} -> "
                             f"{catalog.fingerprint}); the report checked the catalog of the run")
    append_signoff(reports_root, record)

    def write() -> bool:
        shared = open_warehouse(url)
        try:
            return shared_signoffs.write_signoff(shared, record)
        finally:
            shared.close()

    def warn(message: str) -> None:
        print(f"{message.removesuffix('; kept on this machine')}: the sign-off is recorded on this machine only "
              f"({reports_root / 'signoffs.jsonl'})", file=sys.stderr)

    record["shared"] = history.record(f"sign-off of {run_id} by {by}", write, warn=warn)
    everyone = signers(reports_root, url, run_id)
    if run_dir is not None:
        write_report(run_dir, catalog=catalog, signoffs=everyone, warehouse_url=url)
    else:
        write_index(reports_root, catalog=catalog, warehouse_url=url)
    record["signers"] = everyone
    record["report"] = _report_of(run_dir)
    return record


def _report_of(run_dir: Path | None) -> str | None:
    return str(run_dir / "report.html") if run_dir is not None else None
