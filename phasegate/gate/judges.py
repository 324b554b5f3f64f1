"""Judging a gate case: a table's cached measurement against its family's rule -> a Judgement.

`JUDGES[family](ctx, table)` takes a `phasegate.gate.context.GateContext` (which measures each
table once and caches it) and returns a `Judgement`: passed or not, one paragraph for people,
and the `measured` / `threshold` / extra facts that results.json records. A measurement error
propagates (the case ERRORs); a judge never turns an error into a pass. Judges are pure (no
pytest): `status` and the runner judge with them too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from phasegate.model.families import FAMILIES

if TYPE_CHECKING:
    from phasegate.gate.context import GateContext


@dataclass
class Judgement:
    family: str
    table: str | None
    passed: bool
    message: str
    measured: str = ""
    threshold: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # Failures of warn-severity checks (phasegate.model.severity): shown, never blocking. A
    # passed judgement with a warning is the case outcome "warned".
    warning: str = ""


def _judge_schema(ctx: GateContext, table: str) -> Judgement:
    t = ctx.catalog.table(table)
    required = t.required_columns()
    missing = ctx.missing_columns(table)
    if missing is None:
        return Judgement("schema", table, False, f"{t.ref} does not exist in {ctx.warehouse_url}",
                       "table missing", f"{len(required)} required columns")
    measured = f"{len(required) - len(missing)}/{len(required)} required columns"
    if missing:
        return Judgement("schema", table, False, f"{t.ref} lacks required column(s): {', '.join(missing)} "
                       f"(key, date, team, processed_at and the catalog's columns)", measured, "all present")
    return Judgement("schema", table, True, f"{t.ref}: all {len(required)} required columns present", measured,
                   "all present")


def _provenance(ctx: GateContext, table: str) -> tuple[dict[Any, Any], str]:
    """The table's gaps with their causes, and an error line when they could not be measured (a
    gap's provenance explains; it never changes a verdict)."""
    from phasegate.errors import PhasegateError

    try:
        return ctx.provenance(table), ""
    except PhasegateError as exc:
        return {}, f"(why: could not be measured: {exc})"


def _why(gaps: dict[Any, Any], days: list[Any], universe: list[Any] | None, limit: int = 6) -> str:
    """'2023-11-15: raw X has no rows on this date; 2023-11-20..2023-11-22: ...' grouped by reason."""
    from phasegate.model.dates import format_ranges

    groups: dict[str, list[Any]] = {}
    for day in days:
        if day in gaps:
            groups.setdefault(gaps[day].reason(), []).append(day)
    parts = [f"{format_ranges(ds, universe, limit=4)}: {reason}" for reason, ds in
             sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[1][0]))]
    return "; ".join(parts[:limit]) + (f" (+{len(parts) - limit} more reasons)" if len(parts) > limit else "")


def provenance_facts(ctx: GateContext, table: str, gaps: dict[Any, Any]) -> dict[str, Any]:
    """results.json's `provenance` of a table: per gap date, its state, games, causes and the
    downstream tables and dates that read it."""
    from phasegate.measure.provenance import downstream_impact

    game_dates = ctx.coverage(table).game_dates
    return {day.isoformat(): {**gap.as_dict(), "impact": {name: [d.isoformat() for d in ds] for name, ds in
                                                           downstream_impact(ctx.catalog, table, [day],
                                                                             game_dates).items()}}
            for day, gap in sorted(gaps.items())}


def _judge_date_coverage(ctx: GateContext, table: str) -> Judgement:
    from phasegate.measure.coverage import coverage_json, date_measured, missing_ranges

    cov = ctx.coverage(table)
    excepted = ctx.exceptions_of(table)
    measured = date_measured(cov)
    threshold = f">= {cov.date_threshold:.0%}"
    extra = {"coverage": coverage_json(cov), "exceptions_applied": [e.as_dict() for e in excepted.applied]}
    gaps, unavailable = _provenance(ctx, table) if cov.missing_dates or cov.partial_dates else ({}, "")
    if gaps:
        extra["provenance"] = provenance_facts(ctx, table, gaps)
    why = (_why(gaps, cov.missing_dates, cov.game_dates) or unavailable) if cov.missing_dates else ""
    problems = []
    if not cov.expected:
        problems.append(f"no expected dates in {ctx.start}..{ctx.end}: the schedule has no counted non-bootstrap "
                        "final game there (is the schedule loaded and the window right?)")
    elif cov.date_ratio < cov.date_threshold:
        problems.append(f"{measured} expected dates present, below {cov.date_threshold:.0%}; "
                        f"{len(cov.missing_dates)} missing: {missing_ranges(cov, limit=12)}"
                        + (f"; why: {why}" if why else ""))
    problems.extend(excepted.invalid_messages())
    notes = []
    if cov.applied_date_exceptions:
        notes.append(f"{len(cov.applied_date_exceptions)} excepted date(s) left out")
    if problems:
        return Judgement("date_coverage", table, False, f"{table}: " + "; ".join(problems + notes), measured,
                       threshold, extra)
    tail = (f"; {len(cov.missing_dates)} missing: {missing_ranges(cov, limit=12)}" + (f"; why: {why}" if why else "")
            if cov.missing_dates else "")
    return Judgement("date_coverage", table, True, f"{table}: {measured} expected dates present{tail}"
                   + ("; " + "; ".join(notes) if notes else ""), measured, threshold, extra)


def _judge_game_coverage(ctx: GateContext, table: str) -> Judgement:
    from phasegate.measure.coverage import game_measured, partial_text

    cov = ctx.coverage(table)
    measured = game_measured(cov)
    threshold = f">= {cov.game_threshold:.0%}, no partial dates, no rows on dates without games"
    problems = []
    if cov.game_ratio < cov.game_threshold:
        problems.append(f"{measured} expected games present, below {cov.game_threshold:.0%}")
    if cov.partial_dates:
        gaps, unavailable = _provenance(ctx, table)
        why = _why(gaps, sorted(cov.partial_dates), cov.game_dates) or unavailable
        problems.append(f"{len(cov.partial_dates)} partial date(s) (rows present, games missing): {partial_text(cov)}"
                        + (f"; why: {why}" if why else ""))
    if cov.rows_on_non_game_dates:
        # e.g. a postponed game's original date, preseason or All-Star rows: nothing should be there
        from phasegate.model.dates import format_ranges

        problems.append(f"rows on {len(cov.rows_on_non_game_dates)} date(s) without a counted final game: "
                        f"{format_ranges(cov.rows_on_non_game_dates, limit=8)}")
    if problems:
        return Judgement("game_coverage", table, False, f"{table}: " + "; ".join(problems), measured, threshold)
    return Judgement("game_coverage", table, True, f"{table}: {measured} expected games present, no partial date",
                   measured, threshold)


def _judge_bootstrap_rows(ctx: GateContext, table: str) -> Judgement:
    from phasegate.model.dates import format_ranges

    cov = ctx.coverage(table)
    bad = cov.rows_on_bootstrap_dates
    measured = f"{len(bad)} bootstrap date(s) with rows"
    if bad:
        return Judgement("bootstrap_rows", table, False,
                       f"{table} must write nothing on bootstrap dates (first {ctx.catalog.settings.bootstrap_days} "
                       f"days of a season) but has rows on {len(bad)}: {format_ranges(bad, cov.game_dates, limit=8)}",
                       measured, "0")
    return Judgement("bootstrap_rows", table, True, f"{table}: no rows on {len(cov.bootstrap_dates)} bootstrap dates",
                   measured, "0")


def _judge_sql_family(family: str):
    def judge(ctx: GateContext, table: str) -> Judgement:
        from phasegate.model.severity import WARN

        m = ctx.measurement(table)
        results = m.of_family(family)
        failing = [r for r in results if not r.passed and r.check.severity != WARN]
        warned = [r for r in results if not r.passed and r.check.severity == WARN]
        extra = {"fingerprint": {"rows": m.rows, "max_processed_at": m.max_processed_at, "content": m.content},
                 "checks": {r.check.name: {"failures": r.failures, "examples": r.examples, "source": r.check.source,
                                           "description": r.check.description, "severity": r.check.severity}
                            for r in results}}
        measured = ", ".join(f"{r.check.name}={r.failures}" for r in results)
        threshold = "0 failing rows per check" + (" (warn checks do not block)" if any(
            r.check.severity == WARN for r in results) else "")

        def lines(rs: list[Any]) -> str:
            return "; ".join(f"{r.check.name} ({r.check.description}): {r.failures} failing, e.g. {r.examples}"
                             for r in rs)

        warning = f"{table}: warning: {lines(warned)}" if warned else ""
        if failing:
            return Judgement(family, table, False, f"{table}: {lines(failing)}" + (f"; {warning}" if warned else ""),
                             measured, threshold, extra, warning)
        if warned:
            return Judgement(family, table, True, warning, measured, threshold, extra, warning)
        return Judgement(family, table, True, f"{table}: " + ", ".join(f"{r.check.name} ok" for r in results),
                       measured, threshold, extra)
    return judge


def _judge_audit(ctx: GateContext, table: str) -> Judgement:
    r = ctx.audit(table)
    where = r.selection.describe()
    measured = (f"{r.rows} rows re-made on {where}: {r.missing} missing, {r.extra} extra, {r.differing} differing")
    threshold = "0 missing, 0 extra, 0 differing"
    if r.passed:
        return Judgement("audit", table, True, f"{table}: the processor re-run on {where} gives the {r.stored} stored "
                         "rows exactly", measured, threshold, {"audit": r.as_dict()})
    problems = []
    if r.missing:
        problems.append(f"{r.missing} row(s) missing (the processor makes them, the table lacks them), "
                        f"e.g. {r.examples.get('missing')}")
    if r.extra:
        problems.append(f"{r.extra} extra row(s) (stored, the processor does not make them), "
                        f"e.g. {r.examples.get('extra')}")
    if r.differing:
        cols = ", ".join(f"{c} ({n})" for c, n in sorted(r.by_column.items(), key=lambda kv: -kv[1]) if n)
        problems.append(f"{r.differing} differing row(s) in {cols}; e.g. stored -> re-made: {r.examples.get('differing')}")
    return Judgement("audit", table, False, f"{table}: the processor re-run on {where} does not give the stored rows: "
                     + "; ".join(problems), measured, threshold, {"audit": r.as_dict()})


def _judge_uncatalogued(ctx: GateContext, table: str | None) -> Judgement:
    phase = ctx.phase
    catalog = ctx.catalog
    unknown, missing = [], []
    for dataset in catalog.datasets_of(phase):
        present = set(ctx.warehouse.tables(dataset))
        known = {t.name for t in catalog.tables.values() if t.dataset == dataset}
        unknown += [f"{dataset}.{n}" for n in sorted(present - known)]
        missing += [f"{dataset}.{t.name}" for t in ctx.tables if t.dataset == dataset and t.name not in present]
    measured = f"{len(unknown)} uncatalogued, {len(missing)} missing"
    problems = []
    if unknown:
        problems.append(f"the warehouse holds table(s) the catalog does not know: {', '.join(unknown)} "
                        f"(add them to {catalog.path.name} or drop them)")
    if missing:
        problems.append(f"catalogued table(s) missing from the warehouse: {', '.join(missing)}")
    if problems:
        return Judgement("uncatalogued_tables", None, False, f"{phase}: " + "; ".join(problems), measured, "0 and 0")
    return Judgement("uncatalogued_tables", None, True,
                   f"{phase}: the datasets {', '.join(catalog.datasets_of(phase))} hold exactly the "
                   f"{len(ctx.tables)} catalogued tables", measured, "0 and 0")


# Judges by the kind a family names (`Family.judge`); every SQL family shares the SQL judge.
JUDGE_KINDS = {
    "schema": _judge_schema,
    "date_coverage": _judge_date_coverage,
    "game_coverage": _judge_game_coverage,
    "bootstrap_rows": _judge_bootstrap_rows,
    "uncatalogued_tables": _judge_uncatalogued,
    "audit": _judge_audit,
    "sql": None,  # one judge per SQL family, below
}
# The judge of each family judged here (expectation rules are judged by phasegate.expectations).
JUDGES = {f.name: (_judge_sql_family(f.name) if f.judge == "sql" else JUDGE_KINDS[f.judge])
          for f in FAMILIES if f.judge in JUDGE_KINDS}
