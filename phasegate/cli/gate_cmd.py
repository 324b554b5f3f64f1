"""`phasegate gate PHASE` (GO / NO-GO through pytest) and `phasegate status PHASE` (coverage now)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from phasegate.cli import app
from phasegate.cli.options import (
    AuditOpt,
    CatalogOpt,
    EndOpt,
    ExceptionsOpt,
    JsonOpt,
    PytestWorkersOpt,
    StartOpt,
    WarehouseOpt,
)
from phasegate.model.catalog import load_catalog


@app.command("gate")
def gate_command(
    phase: Annotated[str, typer.Argument(metavar="PHASE", help="The phase to validate, e.g. phase3.")],
    warehouse: WarehouseOpt = None,
    start_date: StartOpt = None,
    end_date: EndOpt = None,
    catalog: CatalogOpt = None,
    exceptions: ExceptionsOpt = None,
    pytest_workers: PytestWorkersOpt = None,
    expectations_engine: Annotated[str | None, typer.Option(
        "--expectations-engine", help="compiled (default): each table's suite as one SQL statement, Great "
                                      "Expectations for rules with no compiled form; ge: GE's own execution.")] = None,
    data_docs: Annotated[bool, typer.Option(
        "--data-docs", help="Render Great Expectations Data Docs in the report folder (the suites run through GE).")]
    = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print every statement the gate sends and, on BigQuery, the bytes they scan; run nothing.")]
    = False,
    select: Annotated[str | None, typer.Option(
        "--select", "-k", metavar="EXPR", help="Run only the cases matching a pytest -k expression, to explore: "
                                              "the verdict is then at best PARTIAL (never GO, never signable).")]
    = None,
    as_json: JsonOpt = False,
    audit: AuditOpt = None,
) -> None:
    """Run the gate of a phase (pytest checks/PHASE): exit 0 GO, 1 NO-GO, 3 ERROR or PARTIAL."""
    from phasegate.gate.run import estimate_gate, run_gate

    if dry_run:
        if exceptions is not None:  # the dry run does not read them, but a bad path is still refused
            from phasegate.model.exceptions import load_exceptions

            load_exceptions(exceptions, load_catalog(catalog), required=True)
        estimate = estimate_gate(phase, warehouse_url=warehouse, catalog_path=catalog, start=start_date,
                                 end=end_date, expectations_engine="ge" if data_docs else expectations_engine,
                                 audit=audit)
        if as_json:
            statements = estimate.statements
            typer.echo(json.dumps({"phase": phase, "verdict": "DRY-RUN", "statements": estimate.queries,
                                   "tables": sorted(statements.tables),
                                   "ge_rules": statements.ge_rules, "missing_tables": statements.missing_tables,
                                   "estimated_bytes": estimate.estimated_bytes}, indent=2))
            return
        typer.echo(_dry_run_text(phase, estimate))
        return

    # Live progress on a terminal only: through a pipe, in CI or with --json the output is the verdict alone.
    progress = None
    if not as_json and sys.stdout.isatty():
        from phasegate.cli.gate_progress import RichGateProgress

        progress = RichGateProgress()
    try:
        result = run_gate(phase, warehouse_url=warehouse, catalog_path=catalog, start=start_date,
                          end=end_date, exceptions_path=exceptions, workers=pytest_workers,
                          expectations_engine=expectations_engine, data_docs=data_docs, select=select, audit=audit,
                          progress=progress)
    finally:
        if progress is not None:
            progress.close()
    if as_json:
        typer.echo(json.dumps(gate_json(result), indent=2, default=str))
    else:
        from phasegate.cli.terminal import print_verdict_text

        print_verdict_text(result.text, result.verdict)
    sys.exit(result.exit_code)


def gate_json(result) -> dict:
    """What `gate --json` prints: the verdict, why, and where the evidence is."""
    doc = result.results.to_json() if result.results is not None else {}
    return {
        "phase": result.phase, "verdict": str(result.verdict), "exit_code": result.exit_code,
        "run_id": doc.get("run_id"), "run_dir": str(result.run_dir), "window": doc.get("window"),
        "warehouse": doc.get("warehouse"), "summary": doc.get("summary"),
        "failing_tables": result.failing_tables, "error": doc.get("error"),
        "expected_cases": doc.get("expected_cases"), "not_run": doc.get("not_run"), "selection": doc.get("selection"),
        "report": str(result.run_dir / "report.html"),
    }


def _dry_run_text(phase: str, estimate) -> str:
    from phasegate.warehouse.cost import format_bytes

    statements = estimate.statements
    tables = len(statements.tables)
    bytes_ = estimate.estimated_bytes
    cost = (f"estimated bytes scanned {format_bytes(bytes_)} ({bytes_:,} bytes)" if bytes_ is not None
            else "no byte estimate on this warehouse (DuckDB scans locally, nothing billed); every statement translated")
    lines = [f"gate {phase}: {estimate.queries} warehouse statements for {tables} tables "
             f"(coverage, checks, audit and expectations); {cost}"]
    for table, rules in statements.ge_rules.items():
        lines.append(f"  {table}: {rules} expectation rule(s) run through Great Expectations, whose statements "
                     "are built when it runs (not in this count or estimate)")
    for table in statements.missing_tables:
        lines.append(f"  {table}: does not exist, its expectations cannot be compiled (the gate will ERROR)")
    return "\n".join(lines)


def _coverage_ok(cov, te) -> bool:
    """What the gate's date_coverage and game_coverage cases require (phasegate/judges.py)."""
    return (bool(cov.expected) and cov.date_ratio >= cov.date_threshold and cov.game_ratio >= cov.game_threshold
            and not cov.partial_dates and not cov.rows_on_non_game_dates and not te.invalid)


@app.command("status")
def status_command(
    phase: Annotated[str, typer.Argument(metavar="PHASE", help="The phase, e.g. phase3.")],
    warehouse: WarehouseOpt = None,
    start_date: StartOpt = None,
    end_date: EndOpt = None,
    catalog: CatalogOpt = None,
    exceptions: ExceptionsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Coverage of each table of a phase now (one query per table, no pytest): exit 1 if one is incomplete."""
    from phasegate.measure.coverage import coverage_json, game_measured, measure_coverage, missing_ranges
    from phasegate.model.exceptions import load_exceptions
    from phasegate.warehouse import open_warehouse

    cat = load_catalog(catalog)
    cat.phase(phase)
    from phasegate.measure.calendar import live_window

    start, end = live_window(cat, start_date, end_date, warehouse=warehouse)
    exc = load_exceptions(exceptions, cat, required=exceptions is not None)
    rows = []
    wh = open_warehouse(warehouse, read_only=True)
    try:
        for table in cat.tables_of(phase):
            if not table.measure_coverage:
                continue
            te = exc.for_table(table.name)
            cov = measure_coverage(wh, cat, table.name, start, end, excepted_dates=te.dates, excepted_games=te.games)
            rows.append((table, cov, te))
    finally:
        wh.close()
    if as_json:
        out = {"phase": phase, "window": {"start": start.isoformat(), "end": end.isoformat()}, "tables": {}}
        for table, cov, te in rows:
            facts = coverage_json(cov)
            facts.pop("days")
            facts["ok"] = _coverage_ok(cov, te)
            facts["invalid_exceptions"] = te.invalid_messages()
            out["tables"][table.name] = facts
        out["complete"] = all(t["ok"] for t in out["tables"].values())
        typer.echo(json.dumps(out, indent=2))
        raise typer.Exit(0 if out["complete"] else 1)
    from phasegate.cli.terminal import console, make_table

    view = make_table(f"{phase} coverage {start} .. {end}",
                      ("table", "dates", "%", "games", "partial", "missing dates", "status"),
                      names={"table": [t.name for t, _, _ in rows]}, right=("dates", "%", "games", "partial"))
    complete = True
    for table, cov, te in rows:
        ok = _coverage_ok(cov, te)
        complete &= ok
        view.add_row(table.name, f"{len(cov.covered_dates)}/{len(cov.expected)}", f"{cov.date_ratio:.1%}",
                     game_measured(cov), str(len(cov.partial_dates)), missing_ranges(cov, limit=6) or "-",
                     "ok" if ok else "[bold red]INCOMPLETE[/]")
    console().print(view)
    raise typer.Exit(0 if complete else 1)
