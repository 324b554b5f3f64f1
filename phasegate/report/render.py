"""Render a gate run's results.json into one self-contained report.html, and the index.

`write_report(run_dir)` is what the gate calls at the end of every run. The page has no
external assets and needs no JavaScript: inline CSS, server-drawn SVG calendars, and
jinja2 autoescaping for everything that came from data.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from phasegate.measure.fingerprint import combined_fingerprint, ensure_fingerprints
from phasegate.model.catalog import Catalog
from phasegate.report.calendar_svg import (
    CLASS,
    COLOURS,
    LABELS,
    STATES,
    calendar_css,
    render_calendar,
)
from phasegate.report.checklist import SEVERITY, build_checklist
from phasegate.report.store import (
    INDEX,
    REPORT,
    RUN_ID,
    failing_tables,
    load_results,
    reports_root_of,
    run_dirs,
    save_results,
)

MAX_BACKFILL_RUNS = 8


@lru_cache(maxsize=1)
def _env():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("phasegate.report", "templates"),
        autoescape=True,  # every template, whatever its extension: data never becomes markup
        trim_blocks=True, lstrip_blocks=True, undefined=jinja2.ChainableUndefined,
    )


def find_catalog(run_dir: Path) -> Catalog | None:
    """The catalog for a run: $PHASEGATE_CATALOG, else pipeline.toml beside reports/, else ./pipeline.toml."""
    return catalog_beside(reports_root_of(run_dir))


def catalog_beside(reports_root: Path) -> Catalog | None:
    """$PHASEGATE_CATALOG, else pipeline.toml beside `reports_root`, else ./pipeline.toml (None: no catalog)."""
    from phasegate.errors import PhasegateError
    from phasegate.model.catalog import load_catalog

    candidates = [os.environ.get("PHASEGATE_CATALOG"), Path(reports_root).resolve().parent / "pipeline.toml",
                  Path("pipeline.toml")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            try:
                return load_catalog(candidate)
            except PhasegateError:
                continue
    return None


def _pct(value: Any) -> str:
    if value is None:
        return "–"
    return f"{float(value) * 100:.1f}%"


def _bar(label: str, ratio: Any, threshold: Any, detail: str) -> dict[str, Any]:
    r = None if ratio is None else max(0.0, min(1.0, float(ratio)))
    t = None if threshold is None else max(0.0, min(1.0, float(threshold)))
    ok = r is not None and (t is None or r + 1e-12 >= t)
    return {"label": label, "ratio": r, "threshold": t, "ok": ok, "pct": _pct(r), "thr_pct": _pct(t),
            "detail": detail, "width": f"{(r or 0) * 100:.2f}", "left": f"{(t or 0) * 100:.2f}"}


def _worst(outcomes: list[str]) -> str | None:
    if not outcomes:
        return None
    return min(outcomes, key=lambda o: SEVERITY.get(o, 0))


def _ranges(coverage: dict[str, Any]) -> str:
    text = coverage.get("missing_ranges")
    if text:
        return str(text)
    from phasegate.model.dates import format_ranges

    missing = []
    for value in coverage.get("missing_dates") or []:
        try:
            missing.append(dt.date.fromisoformat(value))
        except (TypeError, ValueError):
            continue
    days = coverage.get("days") or {}
    universe = sorted(dt.date.fromisoformat(d) for d, s in days.items() if s != "bootstrap") or None
    return format_ranges(missing, universe)


MAX_GAP_ROWS = 40


def _gap_rows(provenance: dict[str, Any], days: dict[str, str]) -> list[dict[str, Any]]:
    """The table's gaps grouped by state and reason: dates, why, and what reads them downstream."""
    from phasegate.model.dates import format_ranges

    universe = sorted(dt.date.fromisoformat(d) for d in days) or None
    groups: dict[tuple[str, str, bool], dict[str, Any]] = {}
    for day, gap in sorted((provenance or {}).items()):
        try:
            date = dt.date.fromisoformat(day)
        except (TypeError, ValueError):
            continue
        if not isinstance(gap, dict):
            continue
        why = "; ".join(str(c.get("text")) for c in gap.get("causes") or [] if isinstance(c, dict)) or "no cause found"
        key = (str(gap.get("state") or "missing"), why, bool(gap.get("unfillable")))
        group = groups.setdefault(key, {"dates": [], "impact": defaultdict(set), "games": 0})
        group["dates"].append(date)
        group["games"] += len(gap.get("games") or [])
        for reader, reads in (gap.get("impact") or {}).items():
            group["impact"][reader].update(reads or [])
    rows = []
    for (state, why, unfillable), group in sorted(groups.items(), key=lambda kv: (-len(kv[1]["dates"]),
                                                                                   kv[1]["dates"][0])):
        impact = [f"{reader} ({len(reads)} date{'s' if len(reads) != 1 else ''})"
                  for reader, reads in group["impact"].items()]
        rows.append({"dates": format_ranges(group["dates"], universe, limit=8), "count": len(group["dates"]),
                     "state": state, "why": why, "unfillable": unfillable, "games": group["games"],
                     "impact": ", ".join(impact) or "nothing downstream reads it"})
    return rows[:MAX_GAP_ROWS]


def _table_view(name: str, body: dict[str, Any], catalog: Catalog | None, checks: list[dict[str, Any]],
                start: dt.date, end: dt.date) -> dict[str, Any]:
    table = catalog.tables.get(name) if catalog is not None else None
    cov = body.get("coverage") or {}
    bars, calendar = [], None
    if cov:
        bars.append(_bar("dates", cov.get("date_ratio"), cov.get("date_threshold"),
                         f"{cov.get('covered_dates', '?')}/{cov.get('expected_dates', '?')} dates"))
        bars.append(_bar("games", cov.get("game_ratio"), cov.get("game_threshold"),
                         f"{cov.get('present_games', '?')}/{cov.get('expected_games', '?')} games"))
        if cov.get("days") is not None:
            calendar = render_calendar(cov["days"], start, end, table=name, partial_dates=cov.get("partial_dates"))
    partial = cov.get("partial_dates") or {}
    own = [c for c in checks if c.get("family") != "expectation"]
    expectations = [c for c in checks if c.get("family") == "expectation"]
    outcomes = [c.get("outcome") or "error" for c in checks]
    worst = _worst(outcomes)
    fp = body.get("fingerprint") or {}
    return {
        "name": name,
        "anchor": f"t-{name}",
        "dataset": body.get("dataset") or (table.dataset if table else ""),
        "date_column": body.get("date_column") or (table.date_column if table else ""),
        "description": table.description if table else "",
        "bars": bars,
        "calendar": calendar.svg if calendar else None,
        "counts": calendar.counts if calendar else {},
        "missing_count": len(cov.get("missing_dates") or []),
        "missing_ranges": _ranges(cov) if cov.get("missing_dates") else "",
        "partial": sorted(partial.items())[:50],
        "partial_count": len(partial),
        "gaps": _gap_rows(body.get("provenance") or {}, cov.get("days") or {}),
        "checks": sorted(own, key=lambda c: (SEVERITY.get(c.get("outcome"), 0), c.get("family") or "",
                                             c.get("name") or "")),
        "expectations": sorted(expectations, key=lambda c: (SEVERITY.get(c.get("outcome"), 0), c.get("name") or "")),
        "expectations_failed": sum(c.get("outcome") in ("failed", "error") for c in expectations),
        "status": {"error": "error", "failed": "failed", "warned": "warned", None: "no checks"}.get(worst, "passed"),
        "warnings": [c for c in checks if c.get("outcome") == "warned"],
        "failed": sum(o in ("failed", "error") for o in outcomes),
        "total": len(outcomes),
        "fingerprint": fp,
        "in_catalog": table is not None,
    }


def _backfill_runs(catalog: Catalog | None, phase: str | None) -> list[dict[str, Any]]:
    """The latest runner runs of this phase, from the run log (phasegate.runner.runlog.recent_runs)."""
    if catalog is None or not phase:
        return []
    try:
        from phasegate.runner.runlog import recent_runs
    except ImportError:
        return []
    state_dir = Path(catalog.settings.state_dir)
    if not state_dir.is_absolute():
        state_dir = Path(catalog.root) / state_dir
    try:
        runs = recent_runs(state_dir, phase=phase, limit=MAX_BACKFILL_RUNS)
    except Exception:  # noqa: BLE001 — the report never fails because of the run log
        return []
    return [r for r in runs if isinstance(r, dict)][:MAX_BACKFILL_RUNS]


def _unguarded_write(catalog: Catalog | None, phase: str | None, before: str | None) -> dict[str, Any] | None:
    """The latest write to the phase (before this gate run) when it skipped its pre-flight, else None."""
    if catalog is None or not phase:
        return None
    try:
        from phasegate.runner.runlog import latest_write

        run = latest_write(catalog.state_dir, phase, before=before)
    except Exception:  # noqa: BLE001 — the report never fails because of the run log
        return None
    pre = (run or {}).get("preflight") or {}
    return {"run_id": run["run_id"], "by": pre.get("by") or "?", "at": pre.get("at") or run.get("started_at"),
            "upstream": pre.get("phase"), "command": run.get("command")} if pre.get("skipped") else None


def _tables_cell(tables: Any) -> str:
    if not isinstance(tables, dict):
        return "" if tables is None else str(tables)
    parts = []
    for name, info in tables.items():
        if isinstance(info, dict):
            if not any(info.get(k) for k in ("done", "planned", "failed")):
                continue  # planned nothing for this table
            text = f"{name} {info.get('done', 0)}/{info.get('planned', 0)} dates"
            lost = [f"{info[k]} {w}" for k, w in (("unbuildable", "unbuildable"), ("failed", "failed"),
                                                   ("skipped", "not attempted")) if info.get(k)]
            if lost:
                text += f" ({', '.join(lost)})"
        else:
            text = f"{name} {info}"
        parts.append(text)
    return "; ".join(parts)


def _cost_cell(cost: Any) -> str | None:
    """The backfill's bytes billed (the whole run, else its chunks summed), and its gate's."""
    if not isinstance(cost, dict):
        return None
    from phasegate.runner.cost import describe

    text = describe(cost.get("run") or cost.get("chunks"))
    return text + (f"; gate {describe(cost['gate'])}" if cost.get("gate") else "")


BACKFILL_COLUMNS = (
    ("run", lambda r: r.get("run_id")),
    ("command", lambda r: r.get("command") or r.get("kind")),
    ("started", lambda r: r.get("started_at")),
    ("duration", lambda r: None if r.get("duration_s") is None else f"{r['duration_s']} s"),
    ("status", lambda r: r.get("status")),
    ("tables (dates done/planned)", lambda r: _tables_cell(r.get("tables"))),
    ("rows written", lambda r: r.get("rows_written")),
    ("cost (bytes billed)", lambda r: _cost_cell(r.get("cost"))),
    ("pre-flight", lambda r: _preflight_cell(r.get("preflight"))),
    ("gate after", lambda r: _gate_cell(r)),
)


def _preflight_cell(pre: Any) -> str:
    from phasegate.runner.runlog import preflight_text

    return preflight_text(pre if isinstance(pre, dict) else None)


def _gate_cell(run: dict[str, Any]) -> str:
    from phasegate.runner.runlog import gate_text

    return gate_text(run)


def _backfill_view(runs: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    keys = [label for label, _ in BACKFILL_COLUMNS]
    rows = []
    for run in runs:
        row = []
        for _, get in BACKFILL_COLUMNS:
            try:
                value = get(run)
            except Exception:  # noqa: BLE001 — an odd log line shows as blank, never breaks the page
                value = None
            if isinstance(value, (list, tuple)):
                value = ", ".join(str(x) for x in value)
            row.append("" if value is None else str(value))
        rows.append(row)
    return keys, rows


def build_view(results: dict[str, Any], *, catalog: Catalog | None, run_dir: Path | None = None,
               signoffs: list[dict[str, Any]] | None = None,
               backfills: list[dict[str, Any]] | None = None,
               unguarded: dict[str, Any] | None = None) -> dict[str, Any]:
    if not results.get("phase"):
        # an older or partial results.json: the phase is in the run id and the folder name
        from phasegate.report.store import RUN_ID

        match = RUN_ID.match(str(results.get("run_id") or ""))
        guess = match["phase"] if match else (run_dir.parent.name if run_dir is not None else "")
        results = {**results, "phase": guess}
    phase = results.get("phase") or ""
    window = results.get("window") or {}
    start = dt.date.fromisoformat(window["start"])
    end = dt.date.fromisoformat(window["end"])
    checks = results.get("checks") or []
    by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for check in checks:
        by_table[check.get("table") or ""].append(check)
    tables_body = results.get("tables") or {}
    names = list(tables_body)
    if catalog is not None and phase in catalog.phases:
        order = catalog.topological_order([t.name for t in catalog.tables_of(phase)])
        names = order + [n for n in names if n not in order]
    tables = [_table_view(n, tables_body.get(n) or {}, catalog, by_table.get(n, []), start, end) for n in names]
    known = set(names)
    phase_checks = [c for c in checks if (c.get("table") or "") not in known]
    checklist = build_checklist(results, catalog)
    verdict = results.get("verdict") or "ERROR"
    failing = [t for t in tables if t["failed"]]
    warned = [t for t in tables if t["warnings"]]
    fps = {n: (b or {}).get("fingerprint") for n, b in tables_body.items()}
    data_docs = None
    if run_dir is not None:
        for candidate in ("data_docs/index.html", "data_docs/local_site/index.html"):
            if (run_dir / candidate).is_file():
                data_docs = candidate
                break
        if data_docs is None and (run_dir / "data_docs").is_dir():
            data_docs = "data_docs/"
    keys, rows = _backfill_view(backfills or [])
    return {
        "r": results,
        "phase": phase,
        "verdict": verdict,
        "verdict_css": {"GO": "go", "NO-GO": "nogo"}.get(verdict, "error"),
        "run_id": results.get("run_id") or (run_dir.name if run_dir else ""),
        "window": window,
        "summary": results.get("summary") or {},
        "tables": tables,
        "failing": failing,
        "warned": warned,
        "phase_checks": phase_checks,
        "checklist": checklist,
        "exceptions": results.get("exceptions_applied") or [],
        "signoffs": signoffs or [],
        "data_fingerprint": combined_fingerprint(fps) if fps and all(fps.values()) else None,
        "data_docs": data_docs,
        "backfill_keys": keys,
        "backfill_rows": rows,
        "unguarded": unguarded,
        "states": [{"state": s, "cls": CLASS[s], "label": LABELS[s], "colour": COLOURS[s]} for s in STATES],
        "css": calendar_css(),
        "catalog_known": catalog is not None,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "junit": run_dir is not None and (run_dir / "junit.xml").is_file(),
    }


def render_report(results: dict[str, Any], *, catalog: Catalog | None, run_dir: Path | None = None,
                  signoffs: list[dict[str, Any]] | None = None,
                  backfills: list[dict[str, Any]] | None = None,
                  unguarded: dict[str, Any] | None = None) -> str:
    from phasegate.gate.ledger import cost_line, family_line
    from phasegate.warehouse.cost import format_bytes

    view = build_view(results, catalog=catalog, run_dir=run_dir, signoffs=signoffs, backfills=backfills,
                      unguarded=unguarded)
    view["estimated_bytes_text"] = format_bytes(results.get("estimated_bytes"))
    view["cost_text"] = cost_line(results["cost"]).removeprefix("cost: ") if results.get("cost") else None
    view["family_cost_text"] = family_line(results["cost"]) if (results.get("cost") or {}).get("by_family") else None
    return _env().get_template("report.html.j2").render(**view)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_report(run_dir: str | Path, *, catalog: Catalog | None = None, warehouse: Any = None,
                 signoffs: list[dict[str, Any]] | None = None, warehouse_url: str | None = None) -> Path:
    """Render reports/<phase>/<run_id>/report.html from its results.json and refresh reports/index.html.

    `catalog` (else found beside reports/) gives the checklist its rows; `warehouse`, when given,
    fills in table fingerprints the run did not record (stored back into results.json); `signoffs`
    (else this machine's log) are every signer of the run, as phasegate.report.signoff.signers reads them;
    `warehouse_url` lists the runs and sign-offs of every checkout in the index (see write_index).
    """
    from phasegate.report.store import read_signoffs

    run_dir = Path(run_dir)
    results = load_results(run_dir)
    if catalog is None:
        catalog = find_catalog(run_dir)
    if ensure_fingerprints(results, warehouse=warehouse, catalog=catalog):
        save_results(run_dir, results)
    root = reports_root_of(run_dir)
    run_id = results.get("run_id") or run_dir.name
    if signoffs is None:
        signoffs = read_signoffs(root, run_id)
    html = render_report(results, catalog=catalog, run_dir=run_dir, signoffs=signoffs,
                         backfills=_backfill_runs(catalog, results.get("phase")),
                         unguarded=_unguarded_write(catalog, results.get("phase"), results.get("started_at")))
    out = run_dir / REPORT
    _atomic_write(out, html)
    write_index(root, catalog=catalog, warehouse_url=warehouse_url)
    return out


ENTRY = ".index-entry.json"  # per run: the index's line, so the index never re-reads big results


def signable(results: dict[str, Any], catalog: Catalog | None) -> bool:
    """What `phasegate signoff` would accept before it measures the data: GO, and a checklist with no gap."""
    if results.get("verdict") != "GO" or catalog is None:
        return False
    try:
        return not build_checklist(results, catalog).gaps
    except Exception:  # noqa: BLE001 - a run the checklist cannot read is not signable, never a crash
        return False


def _entry(results: dict[str, Any], catalog: Catalog | None, *, run_id: str, phase: str, href: str | None,
           source: str) -> dict[str, Any]:
    from phasegate.state.history import public_url

    failing = failing_tables(results)
    return {
        "run_id": results.get("run_id") or run_id, "phase": results.get("phase") or phase,
        "verdict": results.get("verdict") or "?",
        "verdict_css": {"GO": "go", "NO-GO": "nogo"}.get(results.get("verdict"), "error"),
        "window": results.get("window") or {}, "started_at": results.get("started_at") or "",
        "warehouse": public_url(str(results.get("warehouse") or "")), "summary": results.get("summary") or {},
        "failing": failing, "href": href, "signable": signable(results, catalog), "source": source,
        "signable_under": catalog.fingerprint if catalog is not None else None,  # the catalog it was judged by
    }


def _index_entry(run_dir: Path, catalog: Catalog | None = None) -> dict[str, Any]:
    import json

    cache = run_dir / ENTRY
    wanted = catalog.fingerprint if catalog is not None else None
    try:
        if cache.stat().st_mtime_ns >= (run_dir / "results.json").stat().st_mtime_ns:
            entry = json.loads(cache.read_text())
            if entry.get("signable_under") == wanted and "signable" in entry:
                return entry
    except (OSError, ValueError):
        pass
    try:
        results = load_results(run_dir)
    except Exception:  # noqa: BLE001 — a torn results.json is listed, not fatal
        results = {"verdict": "UNREADABLE"}
    entry = _entry(results, catalog, run_id=run_dir.name, phase=run_dir.parent.name,
                   href=f"{run_dir.parent.name}/{run_dir.name}/{REPORT}", source="local")
    if results.get("verdict") != "UNREADABLE":
        try:
            _atomic_write(cache, json.dumps(entry))
        except OSError:
            pass
    return entry


def _shared_index(url: str, local_ids: set[str], catalog: Catalog | None) -> tuple[list[dict[str, Any]],
                                                                                 list[dict[str, Any]]]:
    """(runs only the warehouse knows, as index entries; every sign-off in the warehouse). ([], []) when the
    warehouse cannot be read, said on stderr: the index still lists this machine's runs."""
    import sys

    from phasegate.errors import PhasegateError
    from phasegate.state import history
    from phasegate.state import signoffs as shared_signoffs
    from phasegate.warehouse import open_warehouse

    try:
        wh = open_warehouse(url, read_only=True)
    except PhasegateError as exc:
        print(f"note: cannot read the shared history ({exc}): the index lists this machine's runs only",
              file=sys.stderr)
        return [], []
    try:
        entries = []
        for row in history.gate_runs(wh, None, limit=200):
            if row["run_id"] in local_ids:
                continue
            # a GO run's results decide whether it is signable (its checklist); other verdicts never are
            results = (history.gate_run(wh, row["run_id"]) if row["verdict"] == "GO" else None) or {
                **row, "warehouse": row["warehouse"]}
            entries.append(_entry(results, catalog, run_id=row["run_id"], phase=row["phase"], href=None,
                                  source=f"warehouse ({row.get('host') or '?'})"))
        return entries, shared_signoffs.read_signoffs(wh)
    except Exception as exc:  # noqa: BLE001 - a broken shared history never hides the local runs
        print(f"phasegate: warning: reading the shared history of {wh.url} failed ({exc}): "
              "the index lists this machine's runs only", file=sys.stderr)
        return [], []
    finally:
        wh.close()


def write_index(reports_root: str | Path, *, catalog: Catalog | None = None, warehouse_url: str | None = None) -> Path:
    """reports/index.html: every run, newest first, with its verdict, warehouse, every signer, whether it
    can be signed, and a link to its report. With `warehouse_url`, the runs and sign-offs of every
    checkout on that warehouse too (phasegate.gate_runs, phasegate.signoffs)."""
    from phasegate.report.store import read_signoffs
    from phasegate.state.signoffs import merged

    root = Path(reports_root)
    root.mkdir(parents=True, exist_ok=True)
    if catalog is None:
        catalog = catalog_beside(root)
    runs = []
    for run_dir in run_dirs(root):
        entry = _index_entry(run_dir, catalog)
        entry["has_report"] = (run_dir / REPORT).is_file()
        runs.append(entry)
    shared_runs, shared_signed = _shared_index(warehouse_url, {r["run_id"] for r in runs}, catalog) \
        if warehouse_url else ([], [])
    for entry in shared_runs:
        entry["has_report"] = False
    runs = sorted(runs + shared_runs, key=lambda r: (RUN_ID.match(r["run_id"]) and RUN_ID.match(r["run_id"])["stamp"]
                                                      or "", str(r.get("started_at") or "")), reverse=True)
    signed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in merged(read_signoffs(root), shared_signed):
        signed[str(record.get("run_id"))].append(record)
    for entry in runs:
        entry["signoffs"] = signed.get(entry["run_id"], [])
    html = _env().get_template("index.html.j2").render(
        runs=runs, generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    out = root / INDEX
    _atomic_write(out, html)
    return out
