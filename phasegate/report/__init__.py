"""Sign-off reports: one self-contained report.html per gate run, an index, and sign-off.

The gate calls `write_report(run_dir)` at the end of every run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_report(run_dir: str | Path, *, catalog: Any = None, warehouse: Any = None,
                 warehouse_url: str | None = None) -> Path:
    """Render reports/<phase>/<run_id>/report.html from results.json and refresh reports/index.html
    (with `warehouse_url`, listing every checkout's runs on it)."""
    from phasegate.report.render import write_report as _write

    return _write(run_dir, catalog=catalog, warehouse=warehouse, warehouse_url=warehouse_url)


def render_gate_report(run_dir: str | Path, *, catalog: Any = None, warehouse_url: str | None = None) -> str:
    """What the gate calls at the end of a run: render report.html; never raises.

    `warehouse_url` (the gate's warehouse, when its run is in the shared history) makes the index list
    the runs and sign-offs of every checkout on it, as `report` and `signoff` write it. Returns the line
    for people: where the report is, or why it could not be rendered (the gate's verdict and exit code
    never depend on the report).
    """
    try:
        out = write_report(run_dir, catalog=catalog, warehouse_url=warehouse_url)
    except Exception as exc:  # noqa: BLE001 — the verdict stands even if the page cannot be drawn
        return f"html report not rendered: {type(exc).__name__}: {exc}"
    return f"html report: {out}"


def write_index(reports_root: str | Path) -> Path:
    from phasegate.report.render import write_index as _write

    return _write(reports_root)


__all__ = ["render_gate_report", "write_index", "write_report"]
