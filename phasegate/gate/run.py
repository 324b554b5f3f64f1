"""Running the gate of a phase: pytest on checks/<phase> in a subprocess, and its verdict.

`run_gate(...)` validates the inputs (catalog, window, exceptions, the checklist: a problem is
a usage error, exit 2, before anything runs), derives the cases the catalog asks for
(`phasegate.gate.expected`), then runs `pytest checks/<phase>` of the project that owns the
catalog, isolated from the caller's pytest configuration (no PYTEST_* variables, no plugin
autoload, its own ini, no conftest above the checks folder). By default in ONE process
(`-p no:xdist`), which measures every table once and, on a latency-bound warehouse (BigQuery),
runs the tables' queries side by side in threads (`Capabilities.gate_workers`); `workers=N`
asks for pytest-xdist instead (`-n N --dist loadgroup`: a table's cases stay on one worker,
which measures it once). Expectation suites run compiled to SQL (`expectations_engine`, see
phasegate.expectations.engine). The pytest process opens the warehouse read-only; this
process only opens it for the byte-cap check and, after pytest, to add the run to the shared
history (`phasegate.gate_runs` and `gate_cases`, see phasegate.state.history: a failed write is
a warning, never a verdict). The run writes
`reports/<phase>/<run_id>/{junit.xml,results.json,pytest.log}` and returns a GateResult:

    GO       exit 0   exactly the catalog's cases ran, and all passed (warn-severity failures
                      are shown: "GO — 2 warnings")
    NO-GO    exit 1   a case failed
    ERROR    exit 3   could not validate: an error (warehouse unreachable, query failed), or a
                      catalogued case did not run (deselected, skipped, interrupted)
    PARTIAL  exit 3   a selection (`select`, -k) ran and passed: not the whole gate
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shlex
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from phasegate.errors import UsageError
from phasegate.gate.expected import named, not_run
from phasegate.gate.progress import GateProgress, ProgressReader, expected_per_table, run_following
from phasegate.gate.results import GateResult, GateResults, read_results, verdict_of, write_results
from phasegate.model.catalog import Catalog, load_catalog
from phasegate.model.verdict import Verdict


def new_run_id(phase: str, now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return f"{phase}-{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


def checks_dir(catalog: Catalog, phase: str) -> Path:
    """The phase's check modules, in the project that owns the catalog (settings.checks_dir).

    Never this package's own checks/: a catalog kept elsewhere runs its own project's checks, or
    names where they live; anything else would run one project's catalog against another's checks.
    """
    folder = catalog.checks_dir(phase)
    if not folder.is_dir():
        raise UsageError(f"no checks folder for {phase}: {folder} does not exist (set checks_dir in the [settings] "
                         f"of {catalog.path}, relative to its folder)")
    if (folder / "test_expectations.py").is_file() and not catalog.expectations_dir(phase).is_dir():
        raise UsageError(f"{folder / 'test_expectations.py'} validates the suites of {catalog.expectations_dir(phase)}, "
                         f"which does not exist (set expectations_dir in the [settings] of {catalog.path})")
    return folder


# The environment variables through which a caller's pytest configuration would reach the gate.
_PYTEST_ENV = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_THEME",
               "PYTEST_THEME_MODE", "PYTEST_DEBUG", "PYTEST_XDIST_AUTO_NUM_WORKERS")
GATE_INI = "[pytest]\njunit_family = xunit2\n"


def isolated_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without anything that changes what pytest runs; plugins load explicitly."""
    env = {k: v for k, v in (os.environ if environ is None else environ).items()
           if not k.startswith("PYTEST_") and k not in _PYTEST_ENV}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return env


def pytest_command(folder: Path, run_dir: Path, *, workers: int | None) -> list[str]:
    """pytest over `folder` with only the gate's configuration: its own ini (run_dir/pytest.ini),
    the checks' project as rootdir, no conftest above the checks folder, and only the plugins it needs."""
    ini = run_dir / "pytest.ini"
    ini.write_text(GATE_INI)
    folder = folder.resolve()
    # rootdir: the folder holding checks/ (the catalog's own unless settings.checks_dir says otherwise), so
    # node ids read checks/<phase>/test_gate.py::... wherever the catalog is.
    cmd = [sys.executable, "-P", "-m", "pytest", str(folder), "-c", str(ini), "--rootdir", str(folder.parent.parent),
           "--confcutdir", str(folder.parent), "-p", "phasegate.gate.plugin", "-p", "no:cacheprovider", "-q"]
    if workers is not None and workers > 1:
        cmd += ["-p", "xdist", "-n", str(workers), "--dist", "loadgroup"]
    else:
        cmd += ["-p", "no:xdist"]
    return cmd


def _one_line(text: str, limit: int = 240) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def summarize(results: dict[str, Any]) -> tuple[dict[str, str], str]:
    """failing_tables (table -> reason) and the short verdict text for people."""
    by_table: dict[str, list[dict]] = {}
    for case in results.get("checks", []):
        if case["outcome"] in ("failed", "error"):
            by_table.setdefault(case.get("table") or "(phase)", []).append(case)
    failing: dict[str, str] = {}
    lines = []
    s = results.get("summary", {})
    warned = int(s.get("warned", 0))
    warnings = f"{warned} warning{'s' if warned != 1 else ''}, " if warned else ""
    head = (f"{results.get('phase')}: {results.get('verdict')} — {warnings}{s.get('failed', 0)} failed, "
            f"{s.get('error', 0)} error(s), {s.get('passed', 0)} passed of {s.get('total', 0)} cases "
            f"({results.get('window', {}).get('start')}..{results.get('window', {}).get('end')}, "
            f"{results.get('warehouse')})")
    lines.append(head)
    if not s.get("total"):
        lines.append(f"  no gate case ran: nothing was validated ({results.get('verdict')})")
    missing = results.get("not_run") or []
    expected = results.get("expected_cases")
    if missing and results.get("selection"):
        lines.append(f"  PARTIAL: the selection {results['selection']} left out {len(missing)} of the {expected} cases "
                     f"the catalog asks for; not a GO, cannot be signed nor pass a pre-flight")
    elif missing:
        lines.append(f"  {len(missing)} of the {expected} cases the catalog asks for did not run: {named(missing)}")
    for table, cases in sorted(by_table.items()):
        cases.sort(key=lambda c: (c["outcome"] != "failed", c["family"] != "date_coverage", c["family"]))
        first = cases[0]
        cov = (results.get("tables", {}).get(table) or {}).get("coverage") or {}
        counted = Counter(f"{c['family']}{'' if c['outcome'] == 'failed' else ' (ERROR)'}" for c in cases)
        families = ", ".join(name if n == 1 else f"{name} x{n}" for name, n in counted.items())
        reason = _one_line(first["message"], 200)
        if first["family"] == "date_coverage" and cov and cov["date_ratio"] < cov["date_threshold"]:
            ranges = cov.get("missing_ranges", "")
            shown = ranges.split(", ")
            ranges = ", ".join(shown[:3]) + (f" (+{len(shown) - 3} more ranges)" if len(shown) > 3 else "")
            reason = (f"date coverage {cov['covered_dates']}/{cov['expected_dates']} ({cov['date_ratio']:.1%}) "
                      f"< {cov['date_threshold']:.0%}; first missing: {ranges}")
        failing[table] = reason
        lines.append(f"  {table:<32} {reason}")
        why = _why_line((results.get("tables", {}).get(table) or {}).get("provenance") or {})
        if why:
            lines.append(f"  {'':<32} why: {why}")
        if len(cases) > 1:
            lines.append(f"  {'':<32} failing families: {families}")
    for case in results.get("checks", []):
        if case["outcome"] == "warned":  # shown, not blocking (warn-severity checks and rules)
            lines.append(f"  {case.get('table') or '(phase)':<32} warning: "
                         f"{_one_line(case['message'].removeprefix(str(case.get('table')) + ': warning: '), 200)}")
    return failing, "\n".join(lines)


def _why_line(provenance: dict[str, Any], shown: int = 2) -> str:
    """The commonest reasons of a table's gaps: 'raw X has no rows on this date (1 date); ...'."""
    reasons = Counter("; ".join(c.get("text", "") for c in gap.get("causes") or []) for gap in provenance.values()
                      if isinstance(gap, dict))
    parts = [f"{reason} ({n} date{'s' if n != 1 else ''})" for reason, n in reasons.most_common(shown) if reason]
    more = len(reasons) - shown
    return "; ".join(parts) + (f"; +{more} other reason(s) in the report" if more > 0 else "")


def _phase_window(phase: str, catalog_path: str | Path | None, start: str | dt.date | None,
                  end: str | dt.date | None, warehouse_url: str | None) -> tuple[Catalog, dt.date, dt.date]:
    """The catalog (with `phase` in it) and the window (live defaults: phasegate.model.window); usage errors raise."""
    from phasegate.measure.calendar import live_window

    catalog = load_catalog(catalog_path)
    catalog.phase(phase)
    window = live_window(catalog, start, end, warehouse=warehouse_url)
    return catalog, window.start, window.end


@dataclass
class GateStatements:
    """Every statement a gate run sends, known before it runs (the dry run and the byte cap read it)."""

    queries: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (table or phase, sql, params)
    tables: list[str] = field(default_factory=list)  # the tables those statements measure
    ge_rules: dict[str, int] = field(default_factory=dict)  # table -> rules GE runs (its statements are GE's)
    missing_tables: list[str] = field(default_factory=list)  # no statement can be sent: the cases ERROR

    def sql(self) -> list[tuple[str, dict[str, Any]]]:
        return [(sql, params) for _, sql, params in self.queries]


def gate_statements(catalog: Catalog, phase: str, start: dt.date, end: dt.date, *, warehouse: Any = None,
                    engine: str | None = None, audit: str | None = None, fold: bool | None = None) -> GateStatements:
    """The SQL the gate sends for a phase, as GateContext sends it: coverage of each table, and the
    one-pass checks query of each table with the reproduction audit (tables with an SQL
    processor) and, with the compiled engine, the expectations folded in — on a warehouse that
    bills bytes, those of every table that exists folded into ONE statement for the phase
    (GateContext.fold_phase). `warehouse` gives the column types the audit and the expectations
    are compiled against; without it both are left out. The audit's dates are chosen from the
    calendar as the gate does (`auto` on a billing warehouse: the sample; the dates whose
    upstream changed are added at run time). `fold` overrides the warehouse's choice (a model of
    BigQuery's statements over another warehouse's data)."""
    from phasegate.expectations.compiled import RESULT_TYPES
    from phasegate.expectations.engine import COMPILED, SuiteEvaluator, check_engine, statement_params
    from phasegate.expectations.suites import discover
    from phasegate.measure.audit import AUDIT_COLUMNS
    from phasegate.measure.calendar import calendar_params
    from phasegate.measure.checks import table_checks
    from phasegate.measure.coverage import coverage_sql
    from phasegate.measure.query import Part, checks_part, folded_params, folded_sql, phase_parts

    engine = check_engine(engine)
    params = calendar_params(catalog, start, end)
    out = GateStatements()
    suites = {s.table: s for s in discover(catalog, phase) if not s.error}
    audits = _audit_statements(catalog, phase, start, end, warehouse, audit) if warehouse is not None else {}
    per_table: dict[str, list[Part]] = {}
    foldable: list[str] = []
    for table in catalog.tables_of(phase):
        out.tables.append(table.name)
        if table.measure_coverage:
            out.queries.append((table.name, coverage_sql(catalog, table), params))
        parts = [checks_part(catalog, table, table_checks(catalog, table), start, end)]
        if table.name in audits:
            parts.append(Part("audit", *audits[table.name], AUDIT_COLUMNS))
        columns = warehouse.columns(table.dataset, table.name) if warehouse is not None else {}
        suite = suites.get(table.name)
        if suite is not None and warehouse is not None:
            if engine != COMPILED:
                out.ge_rules[table.name] = len(suite.rules)
            elif not columns:
                out.missing_tables.append(table.name)
            else:
                compiled = SuiteEvaluator(warehouse.url, engine=engine).compile(table, suite, columns)
                if compiled is not None and compiled.sql is not None:
                    parts.append(Part("expectations", compiled.sql, statement_params(start, end), RESULT_TYPES))
                if compiled is not None and compiled.uncompiled:
                    out.ge_rules[table.name] = len(compiled.uncompiled)
        per_table[table.name] = parts
        if columns:  # (a table that lacks a required column errors at run time, on its own statement)
            foldable.append(table.name)
    if fold is None:
        fold = warehouse is not None and warehouse.capabilities.bills_bytes
    fold = foldable if fold and len(foldable) > 1 else []
    if fold:
        parts = phase_parts({name: per_table[name] for name in fold})
        out.queries.append((phase, folded_sql(parts), folded_params(parts)))
    for name, parts in per_table.items():
        if name in fold:
            continue
        if len(parts) == 1:
            out.queries.append((name, parts[0].sql, parts[0].params))
        else:
            out.queries.append((name, folded_sql(parts), folded_params(parts)))
    return out


def _audit_statements(catalog: Catalog, phase: str, start: dt.date, end: dt.date, warehouse: Any,
                      audit: str | None) -> dict[str, tuple[str, dict[str, Any]]]:
    """table -> (sql, params) of its audit statement, for the dry run and the byte cap."""
    from phasegate.measure.audit import audit_sql, audited, check_mode, choose_dates, resolve_mode
    from phasegate.runner.processors import processor_params, processor_sql

    mode = check_mode(audit, catalog)
    tables = [t for t in catalog.tables_of(phase) if audited(t)]
    if mode == "off" or not tables:
        return {}
    # the window's days stand for its game dates (no query before the estimate; the sample's spread)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    out = {}
    for table in tables:
        columns = warehouse.columns(table.dataset, table.name)
        if not columns:
            continue
        resolved = resolve_mode(mode, rows=0, bills_bytes=warehouse.capabilities.dry_run_bytes)
        selection = choose_dates(catalog, resolved, start=start, end=end, dates=days)
        sql = processor_sql(catalog, table)
        # as the gate compares them: only the columns the processor makes (GateContext._audit_inputs)
        produced = warehouse.query_columns(sql, processor_params(catalog, start, end))
        out[table.name] = audit_sql(catalog, table, {c: k for c, k in columns.items() if c in produced}, selection,
                                    sql)
    return out


def audit_notes(catalog: Catalog, phase: str, audit: str | None, tables: dict[str, Any] | None = None) -> list[str]:
    """The gate's audit lines: what was re-run and found, off, or the tables it cannot audit."""
    from phasegate.measure.audit import check_mode, not_audited_note

    if check_mode(audit, catalog) == "off":
        return [f"  audit: off (--audit off): no {phase} processor was re-run"]
    facts = [f for f in ((tables or {}).get(t.name, {}).get("audit") for t in catalog.tables_of(phase)) if f]
    lines = []
    if facts:
        modes = sorted({f["mode"] for f in facts})
        bad = sum(f["missing"] + f["extra"] + f["differing"] for f in facts)
        dates = max(f["dates"] for f in facts)
        lines.append(f"  audit: {len(facts)} processor(s) re-run on {'every date' if modes == ['all'] else 'sampled dates'} "
                     f"(up to {dates} dates each): {sum(f['rows'] for f in facts):,} rows re-made, "
                     + ("every stored row reproduced exactly" if not bad else
                        f"{sum(f['missing'] for f in facts)} missing, {sum(f['extra'] for f in facts)} extra, "
                        f"{sum(f['differing'] for f in facts)} differing"))
    lines += [f"  note: {note}" for t in catalog.tables_of(phase) if (note := not_audited_note(t))]
    return lines


@dataclass
class GateEstimate:
    statements: GateStatements
    estimated_bytes: int | None  # None: the warehouse has no notion of bytes (DuckDB)

    @property
    def queries(self) -> int:
        return len(self.statements.queries)


def estimate_gate(phase: str, *, warehouse_url: str | None = None, catalog_path: str | Path | None = None,
                  start: str | dt.date | None = None, end: str | dt.date | None = None,
                  expectations_engine: str | None = None, audit: str | None = None) -> GateEstimate:
    """Every statement of a gate run and, on BigQuery, the bytes they would scan (dry runs).

    Every statement is still translated for the warehouse, so one that could not run is found here.
    """
    from phasegate.warehouse import open_warehouse
    from phasegate.warehouse.cost import estimate_bytes

    catalog, start_date, end_date = _phase_window(phase, catalog_path, start, end, warehouse_url)
    wh = open_warehouse(warehouse_url, read_only=True)
    try:
        statements = gate_statements(catalog, phase, start_date, end_date, warehouse=wh, engine=expectations_engine,
                                     audit=audit)
        return GateEstimate(statements, estimate_bytes(wh, statements.sql()))
    finally:
        wh.close()


def run_gate(phase: str, *, warehouse_url: str | None = None, catalog_path: str | Path | None = None,
             start: str | dt.date | None = None, end: str | dt.date | None = None,
             exceptions_path: str | Path | None = None, workers: int | None = None,
             reports_dir: str | Path | None = None, pytest_args: tuple[str, ...] = (),
             expectations_engine: str | None = None, data_docs: bool = False, select: str | None = None,
             audit: str | None = None, progress: GateProgress | None = None) -> GateResult:
    """Run the gate of `phase`; see the module docstring. Usage problems raise (exit 2).

    `workers`: None (default) = one pytest process (threads on BigQuery); N > 1 = N xdist workers.
    `select` (a pytest -k expression) or `pytest_args` narrow the run: its verdict is at best PARTIAL.
    `progress`: told the cases each table owes, then each case as it finishes (phasegate.gate.progress).
    """
    from phasegate.expectations.engine import check_engine
    from phasegate.model.exceptions import load_exceptions
    from phasegate.warehouse import absolute_url, capabilities_of, check_url, resolve_url

    catalog, start_date, end_date = _phase_window(phase, catalog_path, start, end, warehouse_url)
    if workers is not None and workers < 0:
        raise UsageError("--pytest-workers must be >= 0")
    if select is not None and not select.strip():
        raise UsageError("--select is empty (give a pytest -k expression, or leave it out to run the whole gate)")
    engine = check_engine(expectations_engine, data_docs=data_docs)
    from phasegate.measure.audit import check_mode

    check_mode(audit, catalog)
    exceptions = load_exceptions(exceptions_path, catalog, required=exceptions_path is not None)
    url = absolute_url(resolve_url(warehouse_url))  # pytest runs from the repository, not the caller's folder
    check_url(url)
    folder = checks_dir(catalog, phase)
    from phasegate.gate.expected import expected_cases

    # The checklist, before anything runs: a catalogued check file that is missing stops here (exit 2).
    checklist = expected_cases(catalog, phase, audit=audit)
    expected = [c.name for c in checklist]
    selection = shlex.join([*(["-k", select] if select else []), *pytest_args]) or None

    estimated_bytes = None
    if capabilities_of(url).dry_run_bytes:
        # Refuse before any job is billed if the gate's queries would scan more than the cap.
        from phasegate.warehouse import open_warehouse
        from phasegate.warehouse.cost import check_run_budget, estimate_bytes, run_cap

        wh = open_warehouse(url, read_only=True)
        try:
            statements = gate_statements(catalog, phase, start_date, end_date, warehouse=wh, engine=engine, audit=audit)
            estimated_bytes = estimate_bytes(wh, statements.sql())
            check_run_budget(estimated_bytes, run_cap(wh), what=f"the {phase} gate")
        finally:
            wh.close()

    run_id = new_run_id(phase)
    base = Path(reports_dir) if reports_dir else catalog.root / catalog.settings.reports_dir
    run_dir = (base / phase / run_id).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    results_path = run_dir / "results.json"
    cmd = pytest_command(folder, run_dir, workers=workers)
    cmd += ["--junitxml", str(run_dir / "junit.xml"), "--results-json", str(results_path), "--run-id", run_id,
            "--catalog", str(catalog.path.resolve()), "--warehouse", url,
            "--start-date", start_date.isoformat(), "--end-date", end_date.isoformat()]
    if exceptions.path is not None:
        cmd += ["--exceptions", str(Path(exceptions.path).resolve())]
    cmd += ["--expectations-engine", engine] + (["--data-docs"] if data_docs else [])
    if select:
        cmd += ["-k", select]
    cmd += ["--audit", audit] if audit else []
    cmd += list(pytest_args)
    # The parent never opens the warehouse: the pytest workers open it read-only.
    if progress is None:
        proc = subprocess.run(cmd, cwd=catalog.root, env=isolated_env(), capture_output=True, text=True, check=False)
    else:
        progress_path = run_dir / "progress.jsonl"
        cmd += ["--progress-file", str(progress_path)]
        progress.start(expected_per_table((c.name, c.table) for c in checklist))
        proc = run_following(cmd, cwd=catalog.root, env=isolated_env(), listener=progress,
                             reader=ProgressReader(progress_path, {c.name: c.table for c in checklist}))
    (run_dir / "pytest.log").write_text(f"$ {' '.join(cmd)}\n\n{proc.stdout}\n{proc.stderr}")
    from phasegate.gate.expected import CONFIG_ERROR_FILE

    config_error = run_dir / CONFIG_ERROR_FILE
    if config_error.exists():  # a check module is missing or emptied (found by every pytest worker alike)
        raise UsageError(f"the gate could not start: phasegate: {config_error.read_text().strip()} "
                         f"(see {run_dir / 'pytest.log'})")

    if not results_path.exists():
        last = _one_line((proc.stderr or proc.stdout).strip().splitlines()[-1] if (proc.stderr or proc.stdout).strip()
                         else f"pytest exited {proc.returncode}")
        if proc.returncode == 4:
            raise UsageError(f"the gate could not start: {last} (see {run_dir / 'pytest.log'})")
        results = GateResults(run_id=run_id, phase=phase, verdict=Verdict.ERROR, exit_code=Verdict.ERROR.exit_code,
                              window={"start": start_date.isoformat(), "end": end_date.isoformat()}, warehouse=url,
                              error=f"pytest exited {proc.returncode} without results: {last}")
    else:
        results = read_results(results_path)
        # The parent's own comparison with the checklist it derived before the run.
        results.expected_cases, results.not_run, results.selection = len(expected), not_run(expected, results.checks), \
            selection
        results.verdict, results.exit_code = verdict_of(results.summary, proc.returncode, not_run=results.not_run,
                                                        selection=selection)
        results.run_id = run_id
    results.estimated_bytes = estimated_bytes
    write_results(results_path, results)
    shared = share_gate_run(url, results.to_json())

    failing, text = summarize(results.to_json())
    notes = audit_notes(catalog, phase, audit, results.to_json().get("tables"))
    if notes:
        text += "\n" + "\n".join(notes)
    if results.error:
        text += f"\n  could not validate: {results.error}"
    elif results.verdict is Verdict.ERROR:
        errors = [c for c in results.checks if c.outcome == "error"]
        text += f"\n  could not validate: {_one_line(errors[0].message) if errors else 'pytest failed'}"
    if results.cost:
        from phasegate.gate.ledger import cost_line

        text += "\n" + cost_line(results.cost)
    text += f"\nreport: {run_dir}"

    # The HTML sign-off report (reports/<phase>/<run_id>/report.html) and the reports index.
    from phasegate.report import render_gate_report

    # The index lists every checkout's runs when this one is in the shared history (without the state
    # dataset, share_gate_run has said so once: the index is this machine's).
    text += "\n" + render_gate_report(run_dir, catalog=catalog, warehouse_url=url if shared else None)

    result = GateResult(phase=phase, verdict=results.verdict, exit_code=results.exit_code, run_dir=run_dir,
                        failing_tables=failing, text=text, results=results)
    from phasegate.hooks import notify_gate_verdict

    notify_gate_verdict(gate_event(result), catalog)  # plugins never change the verdict
    return result


def share_gate_run(url: str, results: dict[str, Any]) -> bool:
    """Write the run and its cases to the warehouse's shared history (phasegate.state.history), so
    every checkout sees it. Never changes the verdict: a failure is a warning, results.json stays."""
    from phasegate.state.history import record, write_gate_run
    from phasegate.warehouse import open_warehouse

    def write() -> bool:
        wh = open_warehouse(url)  # after pytest let go of it: DuckDB allows one writing process
        try:
            return write_gate_run(wh, results)
        finally:
            wh.close()

    return record(f"gate run {results.get('run_id')}", write)


def gate_event(result: GateResult) -> Any:
    """The hooks' record of a gate run (phasegate.hooks.GateVerdictEvent)."""
    from phasegate.hooks import GateVerdictEvent, current_run

    doc = result.results.to_json() if result.results is not None else {}
    gaps = {table: ((doc.get("tables", {}).get(table) or {}).get("coverage") or {}).get("missing_ranges") or ""
            for table in result.failing_tables}
    report = result.run_dir / "report.html" if result.run_dir is not None else None
    return GateVerdictEvent(phase=result.phase, run_id=doc.get("run_id"), verdict=str(result.verdict),
                            exit_code=result.exit_code, window=doc.get("window") or {}, warehouse=doc.get("warehouse"),
                            failing_tables=dict(result.failing_tables), gaps={t: g for t, g in gaps.items() if g},
                            summary=doc.get("summary") or {}, report=str(report) if report is not None else None,
                            error=doc.get("error"), part_of=current_run())
