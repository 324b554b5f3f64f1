"""What a backfill must do: the tables, the dates, the chunks — derived from measurement.

The plan comes from the gate's own measurement (`measure_coverage(...).dates_to_fill`:
missing and partial dates per table), or every game date with `all_dates`, narrowed by
`tables` and `dates`, then expanded by dependencies inside the phase:

* upstream: a table's date is planned only after the upstream dates it reads are present or
  planned — a same-phase upstream table missing that date gets it planned too;
* staleness: a date whose rows are older than an upstream row of its lookback window
  (`lookback` in the catalog: the date, N game dates before it, or its season — measured by
  the gate's own SQL, `phasegate.measure.staleness`: an upstream date was rebuilt after this
  one) is planned, with why ("stale: window includes 2022-12-23..2023-02-02, rebuilt in
  phase3 ... at ..."); a same-phase downstream table is re-planned for every date whose window
  includes an upstream date rebuilt in this run (`phasegate.model.lookback`);
* unbuildable: a date is not scheduled, and is reported with its reason instead, when a
  required input cannot give it: a derived upstream table of another phase has no rows there
  (`blocked`: fix the upstream phase first), a required raw (phase-2) input has no rows there
  or lacks every missing game of it (`phasegate.measure.provenance`: raw inputs are measured
  against the schedule like the table itself; inputs the catalog marks `optional_upstream`,
  such as prop and game lines, never block), or a same-phase upstream date it needs is itself
  unbuildable. The post-chunk verification still catches a date that does not build.

Never scheduled: days without games, bootstrap dates of tables with bootstrap = "skip",
documented exceptions. Rolling windows reach forward through the lookback: a rebuilt date N
re-plans the downstream dates whose window includes N, and no others.

Chunks: a table's planned dates are cut into runs that are contiguous in the calendar of
game dates (and of dates holding rows), each at most `chunk_days` game dates. A chunk is one
atomic range replace, so it never spans an unplanned date that holds or should hold data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from phasegate.errors import UsageError
from phasegate.measure.calendar import Calendar, load_calendar
from phasegate.measure.coverage import Coverage, measure_coverage
from phasegate.measure.staleness import measure_stale_dates
from phasegate.model.catalog import Catalog, Table
from phasegate.model.dates import format_ranges
from phasegate.model.lookback import dates_reading
from phasegate.warehouse import Warehouse
from phasegate.warehouse.cost import format_bytes

DEFAULT_CHUNK_DAYS = 30

# table -> (excepted dates, excepted system game ids)
Exclusions = Mapping[str, tuple[frozenset[dt.date], frozenset[str]]]


@dataclass(frozen=True)
class Chunk:
    table: str
    start: dt.date
    end: dt.date
    dates: tuple[dt.date, ...]

    def label(self) -> str:
        return f"{self.table} {self.start}..{self.end} ({len(self.dates)} dates)"


@dataclass
class TablePlan:
    table: str
    reasons: dict[dt.date, str] = field(default_factory=dict)  # missing | partial | bootstrap | all | stale | upstream
    why: dict[dt.date, str] = field(default_factory=dict)  # stale dates: which upstream dates, rebuilt when
    chunks: list[Chunk] = field(default_factory=list)
    blocked: dict[dt.date, list[str]] = field(default_factory=dict)  # date -> upstream tables without rows
    unbuildable: dict[dt.date, str] = field(default_factory=dict)  # date -> why (blocked dates included)
    estimated_bytes: int | None = None
    universe: tuple[dt.date, ...] = ()  # dates a chunk of this table may run through
    chunk_bytes: dict[tuple[dt.date, dt.date], int] = field(default_factory=dict)  # (start, end) -> dry run

    @property
    def dates(self) -> list[dt.date]:
        return sorted(self.reasons)

    def reason_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for reason in self.reasons.values():
            out[reason] = out.get(reason, 0) + 1
        return out


@dataclass
class Plan:
    phase: str
    start: dt.date
    end: dt.date
    chunk_days: int
    all_dates: bool
    universe: tuple[dt.date, ...]  # game dates (and dates holding rows) of the window, sorted
    tables: dict[str, TablePlan]  # in dependency order
    calendar: Calendar
    not_scheduled: dict[str, dict[str, list[dt.date]]] = field(default_factory=dict)  # table -> why -> dates
    notes: list[str] = field(default_factory=list)
    dialect: str = "duckdb"

    @property
    def total_dates(self) -> int:
        return sum(len(t.reasons) for t in self.tables.values())

    @property
    def total_chunks(self) -> int:
        return sum(len(t.chunks) for t in self.tables.values())

    @property
    def is_empty(self) -> bool:
        return self.total_dates == 0

    @property
    def blocked(self) -> dict[str, dict[dt.date, list[str]]]:
        return {name: t.blocked for name, t in self.tables.items() if t.blocked}

    @property
    def total_unbuildable(self) -> int:
        return sum(len(t.unbuildable) for t in self.tables.values())

    @property
    def estimated_bytes(self) -> int | None:
        values = [t.estimated_bytes for t in self.tables.values() if t.reasons]
        return sum(values) if values and all(v is not None for v in values) else None

    def ranges(self, dates: Iterable[dt.date], limit: int | None = 6) -> str:
        return format_ranges(dates, self.calendar.game_dates, limit=limit)

    def describe(self) -> str:
        head = (f"Plan: backfill {self.phase}, window {self.start}..{self.end}, "
                f"{'every game date' if self.all_dates else 'missing and partial dates'}, "
                f"chunks of at most {self.chunk_days} game dates")
        lines = [head]
        width = max([len(n) for n in self.tables] + [10])
        for name, tp in self.tables.items():
            if not tp.reasons:
                lines.append(f"  {name:<{width}}  nothing to do")
                continue
            why = reason_text(tp.reason_counts())
            est = f"  ~{format_bytes(tp.estimated_bytes)}" if tp.estimated_bytes is not None else ""
            lines.append(f"  {name:<{width}}  {len(tp.reasons):>4} dates ({why}) in {len(tp.chunks)} chunk(s){est}")
            lines.append(f"  {'':<{width}}    {self.ranges(tp.dates)}")
        if self.is_empty:
            lines.append("  total: nothing to backfill")
        else:
            est = self.estimated_bytes
            cost = (f"; estimated bytes scanned {format_bytes(est)}" if est is not None
                    else ("" if self.dialect != "bigquery" else "; estimated bytes: unknown"))
            boot = sum(1 for t in self.tables.values() for r in t.reasons.values() if r == "bootstrap")
            split = f" ({self.total_dates - boot} counted + {boot} bootstrap)" if boot else ""
            lines.append(f"  total: {self.total_dates} table-dates{split} in {self.total_chunks} chunk(s){cost}")
        from phasegate.runner.outcome import group_by_reason

        for name, tp in self.tables.items():
            stale = list(group_by_reason(tp.why).items())
            for why, dates in stale[:STALE_LINES]:
                lines.append(f"  STALE {name}: {len(dates)} date(s) {self.ranges(dates)}: {why}")
            if len(stale) > STALE_LINES:
                rest = sorted(d for _, ds in stale[STALE_LINES:] for d in ds)
                lines.append(f"  STALE {name}: {len(rest)} more date(s) {self.ranges(rest)}: other windows "
                             f"(backfill --dry-run --json lists each)")
            for why, dates in group_by_reason(tp.unbuildable).items():
                lines.append(f"  UNBUILDABLE {name}: {len(dates)} date(s) {self.ranges(dates)}: {why}")
        skipped: dict[str, set[dt.date]] = {}
        for per_table in self.not_scheduled.values():
            for why, dates in per_table.items():
                skipped.setdefault(why, set()).update(dates)
        for why, dates in sorted(skipped.items()):
            lines.append(f"  not scheduled ({why}): {len(dates)} date(s)")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "phase": self.phase, "window": {"start": self.start, "end": self.end}, "chunk_days": self.chunk_days,
            "all_dates": self.all_dates, "total_dates": self.total_dates, "total_chunks": self.total_chunks,
            "estimated_bytes": self.estimated_bytes,
            "tables": {name: {"dates": len(tp.reasons), "reasons": tp.reason_counts(),
                              "ranges": self.ranges(tp.dates, limit=None),
                              "chunks": [[c.start, c.end, len(c.dates)] for c in tp.chunks],
                              "blocked": self.ranges(tp.blocked, limit=None) if tp.blocked else "",
                              "unbuildable_count": len(tp.unbuildable),
                              "unbuildable": {d.isoformat(): why for d, why in sorted(tp.unbuildable.items())},
                              "stale": {d.isoformat(): why for d, why in sorted(tp.why.items())},
                              "estimated_bytes": tp.estimated_bytes}
                       for name, tp in self.tables.items()},
            "notes": self.notes,
        }


STALE_LINES = 3  # why-lines per table in describe(); --json has every date

REASON_ORDER = ("missing", "partial", "all", "upstream", "stale", "bootstrap")


def reason_text(counts: Mapping[str, int]) -> str:
    """'402 missing, 3 partial + 28 bootstrap (written, not counted)'."""
    main = [f"{counts[r]} {r}" for r in REASON_ORDER if r != "bootstrap" and counts.get(r)]
    main += [f"{n} {r}" for r, n in sorted(counts.items()) if r not in REASON_ORDER and n]
    text = ", ".join(main)
    if counts.get("bootstrap"):
        text += f"{' + ' if text else ''}{counts['bootstrap']} bootstrap (written, not counted)"
    return text


def make_chunks(table: str, dates: Iterable[dt.date], universe: Collection[dt.date], chunk_days: int) -> list[Chunk]:
    """Cut dates into runs contiguous in `universe`, each of at most `chunk_days` dates."""
    if chunk_days < 1:
        raise UsageError("--chunk-days must be at least 1")
    position = {d: i for i, d in enumerate(sorted(universe))}
    runs: list[list[dt.date]] = []
    for d in sorted(set(dates)):
        if (runs and len(runs[-1]) < chunk_days and d in position and runs[-1][-1] in position
                and position[d] == position[runs[-1][-1]] + 1):
            runs[-1].append(d)
        else:
            runs.append([d])
    return [Chunk(table, run[0], run[-1], tuple(run)) for run in runs]


def runnable_tables(catalog: Catalog, phase: str) -> list[Table]:
    """The phase's tables that have a processor, in dependency order; refuses raw phases."""
    tables = catalog.tables_of(phase)
    runnable = [t for t in tables if t.processor is not None]
    if not runnable:
        names = ", ".join(t.name for t in tables) or "none"
        raise UsageError(
            f"{phase} has no processors: its tables ({names}) are raw, loaded by the scrapers, and cannot be "
            f"backfilled here; backfill a derived phase ("
            + ", ".join(p for p in catalog.phases if any(t.processor for t in catalog.tables_of(p))) + ")")
    order = catalog.topological_order([t.name for t in runnable])
    return [catalog.table(n) for n in order]


def select_tables(catalog: Catalog, phase: str, names: Iterable[str] | None) -> list[str]:
    runnable = [t.name for t in runnable_tables(catalog, phase)]
    if not names:
        return runnable
    selected = []
    for name in names:
        table = catalog.table(name)
        if table.processor is None:
            raise UsageError(f"table {name} is raw ({table.phase}, loaded by the scrapers): it has no processor "
                             "and cannot be backfilled")
        if table.phase != phase:
            raise UsageError(f"table {name} belongs to {table.phase}, not {phase}: "
                             f"phasegate backfill {table.phase} --table {name}")
        selected.append(name)
    return [n for n in runnable if n in selected]


def lock_set(catalog: Catalog, phase: str, names: Iterable[str] | None) -> list[str]:
    """Tables a backfill of `names` may write: those, their same-phase upstream and downstream."""
    runnable = {t.name for t in runnable_tables(catalog, phase)}
    selected = set(select_tables(catalog, phase, names))
    out = set(selected)
    for name in selected:
        out |= catalog.downstream_of(name) & runnable
        frontier = [name]
        while frontier:
            for up in catalog.table(frontier.pop()).upstream:
                if up in runnable and up not in out:
                    out.add(up)
                    frontier.append(up)
    return catalog.topological_order(sorted(out))


class _State:
    """What the warehouse holds for one table over the window (or that it does not exist)."""

    def __init__(self, table: Table, coverage: Coverage | None, calendar: Calendar,
                 excepted_dates: frozenset[dt.date], excepted_games: frozenset[str]) -> None:
        self.table = table
        self.coverage = coverage
        self.excepted_dates = excepted_dates
        self.excepted_games = excepted_games
        if coverage is not None:
            self.missing = set(coverage.missing_dates)
            self.partial = set(coverage.partial_dates)
            self.with_rows = {d.date for d in coverage.dates if d.rows > 0}
            self.bootstrap_missing = {d.date for d in coverage.dates
                                      if d.is_game_date and d.is_bootstrap and d.rows == 0}
        else:  # the table does not exist yet: every counted date is missing
            counted = [g.date for g in calendar.dates if table.counts_bootstrap or not g.is_bootstrap]
            self.missing = {d for d in counted if d not in excepted_dates}
            self.partial = set()
            self.with_rows = set()
            self.bootstrap_missing = set(calendar.bootstrap_dates)
        # bootstrap = "exclude": the dates are written but not counted; downstream rolling windows
        # read them, so a bootstrap date with no rows at all is rebuilt too (never for "skip").
        if table.bootstrap != "exclude":
            self.bootstrap_missing = set()
        self.bootstrap_missing -= excepted_dates
        self.stale: dict[dt.date, str] = {}  # date -> why (phasegate.measure.staleness.StaleDate.reason)

    @property
    def to_fill(self) -> set[dt.date]:
        return self.missing | self.partial | self.bootstrap_missing


def build_plan(warehouse: Warehouse, catalog: Catalog, phase: str, *, start: dt.date, end: dt.date,
               tables: Iterable[str] | None = None, dates: Iterable[dt.date] | None = None,
               all_dates: bool = False, chunk_days: int = DEFAULT_CHUNK_DAYS,
               exclusions: Exclusions | None = None, estimate_bytes: bool | None = None) -> Plan:
    """Measure, then decide what to rebuild.

    Queries: 1 calendar + 1 coverage per table involved + 1 staleness per selected table.
    """
    exclusions = exclusions or {}
    if chunk_days < 1:
        raise UsageError("--chunk-days must be at least 1")
    runnable = {t.name for t in runnable_tables(catalog, phase)}
    selected = select_tables(catalog, phase, tables)
    involved = lock_set(catalog, phase, selected)
    calendar = load_calendar(warehouse, catalog, start, end)
    game_dates = set(calendar.game_dates)
    bootstrap = set(calendar.bootstrap_dates)
    notes: list[str] = []

    wanted: set[dt.date] | None = None
    if dates is not None:
        wanted = set(dates)
        no_games = sorted(d for d in wanted if d not in game_dates)
        if no_games:
            notes.append(f"{len(no_games)} requested date(s) without counted games, not scheduled: "
                         + format_ranges(no_games, limit=6))

    # Derived upstream tables of other phases: checked for rows, never planned here.
    cross = sorted({u for n in involved for u in catalog.table(n).upstream
                    if u not in runnable and catalog.table(u).processor is not None})
    states: dict[str, _State] = {}
    for name in [*involved, *cross]:
        table = catalog.table(name)
        exc_dates, exc_games = exclusions.get(name, (frozenset(), frozenset()))
        coverage = None
        if warehouse.columns(table.dataset, table.name):
            coverage = measure_coverage(warehouse, catalog, name, start, end,
                                        excepted_dates=exc_dates, excepted_games=exc_games)
        states[name] = _State(table, coverage, calendar, frozenset(exc_dates), frozenset(exc_games))
        if coverage is not None and name in selected and not all_dates:
            # rows computed before their upstream rows of the same date were rebuilt: the gate's
            # staleness check, measured by the same SQL (one query per table)
            states[name].stale = {day: stale.reason() for day, stale in
                                  measure_stale_dates(warehouse, catalog, name, start, end).items()}

    not_scheduled: dict[str, dict[str, list[dt.date]]] = {}

    def eligible(name: str, d: dt.date) -> bool:
        table = catalog.table(name)
        if d not in game_dates:
            return False
        if d in bootstrap and table.skips_bootstrap:
            return False
        return d not in states[name].excepted_dates

    plans = {name: TablePlan(name) for name in involved}
    for name in selected:
        state = states[name]
        if all_dates:
            base = {d: "all" for d in game_dates}
        else:
            base = {d: "bootstrap" for d in state.bootstrap_missing}
            base.update({d: "missing" for d in state.missing})
            base.update({d: "partial" for d in state.partial})
            base.update({d: "stale" for d in state.stale if d not in base})
        for d, reason in sorted(base.items()):
            if wanted is not None and d not in wanted:
                continue
            if eligible(name, d):
                plans[name].reasons[d] = reason
                if reason == "stale":
                    plans[name].why[d] = state.stale[d]
            else:
                why = ("bootstrap (skip)" if d in bootstrap and catalog.table(name).skips_bootstrap
                       else "documented exception" if d in state.excepted_dates else "no games")
                not_scheduled.setdefault(name, {}).setdefault(why, []).append(d)

    order = catalog.topological_order(involved)
    # Upstream expansion, downstream first so chains propagate: T needs U's date d present.
    for name in reversed(order):
        for d in list(plans[name].reasons):
            for up in catalog.table(name).upstream:
                if up in plans and d not in plans[up].reasons and d in states[up].to_fill and eligible(up, d):
                    plans[up].reasons[d] = "upstream"
    # Staleness, upstream first: a rebuilt upstream date makes stale every downstream date
    # whose lookback window includes it.
    positions = [(g.date, g.season_year) for g in calendar.dates]
    for name in order:
        for down in order:
            if name not in catalog.table(down).upstream or not plans[name].reasons:
                continue
            lookback = catalog.table(down).lookback_of(name)
            rebuilt = sorted(plans[name].reasons)
            for d in sorted(dates_reading(lookback, rebuilt, positions)):
                if d not in plans[down].reasons and eligible(down, d):
                    plans[down].reasons[d] = "stale"
                    inside = [r for r in rebuilt if r <= d]
                    span = f"{inside[0]}..{inside[-1]}" if inside[0] != inside[-1] else f"{inside[0]}"
                    plans[down].why[d] = f"stale: window includes {span}, rebuilt in this run ({name})"
    # Blocked: a required derived upstream without rows on the date, and not planned.
    for name in order:
        table = catalog.table(name)
        for d in list(plans[name].reasons):
            lacking = [up for up in table.required_upstream if up in states
                       and d not in states[up].with_rows and not (up in plans and d in plans[up].reasons)]
            if lacking:
                del plans[name].reasons[d]
                plans[name].blocked[d] = lacking
                plans[name].unbuildable[d] = (f"upstream {', '.join(lacking)} has no rows on this date (fix "
                                              f"{catalog.table(lacking[0]).phase} first)")
    _unbuildable_from_raw(warehouse, catalog, order, plans, states, start, end)

    # A chunk may cover days without games, but never an unplanned date that holds rows.
    for name in order:
        universe = game_dates | states[name].with_rows
        plans[name].universe = tuple(sorted(universe))
        plans[name].chunks = make_chunks(name, plans[name].reasons, universe, chunk_days)

    dialect = warehouse.dialect
    if estimate_bytes is None:
        estimate_bytes = warehouse.capabilities.dry_run_bytes
    if estimate_bytes:
        for name in order:
            if plans[name].chunks:
                plans[name].estimated_bytes = _estimate(warehouse, catalog, catalog.table(name), plans[name].chunks,
                                                        plans[name].chunk_bytes)

    # Tables with nothing to do stay listed (the person sees all of them were looked at).
    universe_all = tuple(sorted(game_dates | set().union(*(s.with_rows for s in states.values()))))
    return Plan(phase=phase, start=start, end=end, chunk_days=chunk_days, all_dates=all_dates,
                universe=universe_all, tables={n: plans[n] for n in order}, calendar=calendar,
                not_scheduled=not_scheduled, notes=notes, dialect=dialect)


def _unbuildable_from_raw(warehouse: Warehouse, catalog: Catalog, order: list[str], plans: dict[str, TablePlan],
                         states: dict[str, _State], start: dt.date, end: dt.date) -> None:
    """Unschedule the planned dates a required raw input cannot give (one coverage query per such input),
    then the same-phase dates that need them."""
    from phasegate.measure.provenance import InputCoverage, explain

    inputs = InputCoverage(warehouse, catalog, start, end)
    for name in order:
        tp = plans[name]
        if not tp.reasons:
            continue
        cov = states[name].coverage
        excepted = states[name].excepted_games
        gaps = {}
        for d, reason in tp.reasons.items():
            status = cov.by_date.get(d) if cov is not None else None
            games = tuple(g for g in status.missing_games if g not in excepted) \
                if status is not None and reason in ("missing", "partial") else ()
            gaps[d] = (reason, games)
        explained = explain(catalog, name, gaps, coverage_of=inputs, only=lambda t: t.processor is None)
        table = catalog.table(name)
        for d in list(tp.reasons):
            if explained[d].blocked:
                del tp.reasons[d]
                tp.unbuildable[d] = explained[d].reason()
                continue
            for up in table.required_upstream:
                if up in plans and d in plans[up].unbuildable and d not in states[up].with_rows:
                    del tp.reasons[d]
                    tp.unbuildable[d] = f"upstream {up} cannot be built on this date: {plans[up].unbuildable[d]}"
                    break


MAX_DRY_RUNS_PER_TABLE = 40


def _estimate(warehouse: Warehouse, catalog: Catalog, table: Table, chunks: list[Chunk],
              per_chunk: dict[tuple[dt.date, dt.date], int] | None = None) -> int | None:
    """Bytes the processor would scan (BigQuery dry runs): per chunk (kept in `per_chunk`), or over
    the whole span if many."""
    from phasegate.runner.processors import processor_params, processor_sql

    if table.is_command_processor:
        return None
    sql = processor_sql(catalog, table)
    spans = ([(c.start, c.end) for c in chunks] if len(chunks) <= MAX_DRY_RUNS_PER_TABLE
             else [(chunks[0].start, chunks[-1].end)])
    total = 0
    for start, end in spans:
        try:
            got = warehouse.dry_run_bytes(sql, processor_params(catalog, start, end))
        except Exception:  # noqa: BLE001 - an estimate must never stop the plan
            return None
        if got is None:
            return None
        total += got
        if per_chunk is not None and len(spans) == len(chunks):
            per_chunk[(start, end)] = got
    return total


def load_exclusions(catalog: Catalog, exceptions_path: str | None = None) -> dict[str, tuple[frozenset[dt.date], frozenset[str]]]:
    """Valid documented exceptions per table (exceptions.toml): never scheduled, never verified."""
    from phasegate.model.exceptions import load_exceptions

    exceptions = load_exceptions(exceptions_path, catalog, required=exceptions_path is not None)
    out = {}
    for name in catalog.tables:
        te = exceptions.for_table(name)
        if te.dates or te.games:
            out[name] = (frozenset(te.dates), frozenset(te.games))
    return out
