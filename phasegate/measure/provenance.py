"""Why a date is missing: the provenance of every gap, from measurement (no row loops).

A table's gap is a missing date, or a partial date's missing games. Each required input of the
table (catalog `upstream` minus `optional_upstream`, minus the schedule, which defines what is
expected) is measured against the schedule by the same one-query coverage measurement as the
table itself (`phasegate.measure.coverage`): raw phase-2 inputs too. The gap is explained by
what those inputs hold on its date:

    raw        a required phase-2 input has no rows there, or lacks the game: nothing can build it
    excepted   a required derived input has a documented exception there: nothing will build it
    upstream   a required derived input lacks it (same phase: planned with it; another phase:
               fix that phase first)
    postponed  the game was postponed from another date (context: the schedule's final row with
               NULL scores on the original date)
    processor  the last backfill failed on it (from the run log, given by the caller)
    buildable  every required input holds rows there: a backfill can build it

Optional inputs (prop lines, game lines, shot zones...) are never a cause. Python only folds the
per-date facts of the coverage queries (one small row per date and input).

`downstream_impact` names the tables and dates that read a gap (the catalog's dependencies,
same date: a rolling window's later dates are not yet counted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from phasegate.measure.calendar import calendar_params, expected_games_cte
from phasegate.measure.coverage import Coverage, measure_coverage
from phasegate.model.catalog import Catalog, Table
from phasegate.warehouse import Warehouse

# Kinds of cause that no backfill can remove: the gap is a fact of the inputs (document it).
UNFILLABLE = frozenset({"raw", "excepted"})
# Kinds of cause that keep a date from being built now.
BLOCKING = frozenset({"raw", "excepted", "upstream"})


@dataclass(frozen=True)
class Cause:
    kind: str  # raw | excepted | upstream | postponed | processor | buildable
    text: str  # for people, without the date (the gap carries it)
    table: str | None = None  # the input that lacks it
    games: tuple[str, ...] = ()  # the games it explains (all of the gap's when the input has no rows)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "table": self.table, "games": list(self.games)}


@dataclass(frozen=True)
class Gap:
    """One missing or partial date of a table, and why."""

    table: str
    date: dt.date
    state: str  # missing | partial
    games: tuple[str, ...]  # the expected games it lacks (system ids); () when unknown
    causes: tuple[Cause, ...] = ()

    def explained_by(self, kinds: frozenset[str]) -> set[str] | None:
        """Games explained by causes of these kinds; None when a cause of them covers the whole date."""
        out: set[str] = set()
        for cause in self.causes:
            if cause.kind in kinds:
                if not cause.games:
                    return None
                out.update(cause.games)
        return out

    def _covered(self, kinds: frozenset[str]) -> bool:
        explained = self.explained_by(kinds)
        return explained is None or (bool(self.games) and set(self.games) <= explained)

    @property
    def blocked(self) -> bool:
        """It cannot be built now: its required inputs lack it (every missing game accounted for)."""
        return self._covered(BLOCKING)

    @property
    def unfillable(self) -> bool:
        """No backfill can build it: raw inputs that do not exist, or documented upstream gaps."""
        return self._covered(UNFILLABLE)

    def reason(self) -> str:
        """One line, date-free, so equal reasons group into one line over many dates."""
        return "; ".join(c.text for c in self.causes) or "no cause found"

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "games": list(self.games), "causes": [c.as_dict() for c in self.causes],
                "blocked": self.blocked, "unfillable": self.unfillable}


@dataclass(frozen=True)
class Postponements:
    """Counted games of the window that were postponed from another date: system id -> original date."""

    moved_from: dict[str, dt.date] = field(default_factory=dict)


POSTPONED_SQL = """
WITH {ctes},
postponed AS (
  -- a final row with NULL scores is a postponed game (platform-facts: postponement handling)
  SELECT game_id, game_date AS original_date
  FROM schedule_latest
  WHERE game_status = 3 AND (home_team_score IS NULL OR away_team_score IS NULL)
)
SELECT e.system_game_id, MAX(p.original_date) AS original_date
FROM expected_games AS e
JOIN postponed AS p ON p.game_id = e.game_id AND p.original_date <> e.game_date
GROUP BY e.system_game_id
"""


def measure_postponements(warehouse: Warehouse, catalog: Catalog, start: dt.date, end: dt.date) -> Postponements:
    """One query: the window's counted games that the schedule first had on another date."""
    rows = warehouse.query(POSTPONED_SQL.format(ctes=expected_games_cte(catalog)), calendar_params(catalog, start, end),
                           labels={"component": "provenance"})
    return Postponements({r["system_game_id"]: r["original_date"] for r in rows})


def required_inputs(catalog: Catalog, table: Table) -> list[Table]:
    """The inputs a date of `table` cannot be built without (the schedule aside: it defines the dates)."""
    return [catalog.table(u) for u in table.required_upstream if u != catalog.settings.schedule_table]


def _lacking_text(catalog: Catalog, table: Table, upstream: Table, *, excepted: bool, games: Sequence[str] = ()) -> \
        tuple[str, str]:
    """(kind, text) of an input that lacks the date (or, with games, some games of it)."""
    what = f"lacks {len(games)} game(s) ({', '.join(games[:3])}{', ...' if len(games) > 3 else ''})" if games \
        else "has no rows on this date"
    if upstream.processor is None:
        return "raw", f"raw {upstream.name} {what}"
    if excepted:
        return "excepted", f"upstream {upstream.name} has a documented exception on this date"
    where = "" if upstream.phase == table.phase else f" (fix {upstream.phase} first)"
    return "upstream", f"upstream {upstream.name} {what}{where}"


def explain(catalog: Catalog, table_name: str, gaps: Mapping[dt.date, tuple[str, Sequence[str]]], *,
            coverage_of: Callable[[str], Coverage | None], excepted_of: Callable[[str], Iterable[dt.date]] | None = None,
            postponements: Postponements | None = None, failures: Mapping[dt.date, str] | None = None,
            only: Callable[[Table], bool] | None = None) -> dict[dt.date, Gap]:
    """Each gap (date -> (state, missing games)) with its causes.

    `coverage_of(input)` gives an input's coverage over a span holding the gaps (None: the
    input does not exist); `excepted_of(input)` its documented exception dates; `failures` the
    last backfill's error per date of this table; `only` narrows the inputs considered (the
    planner asks about raw inputs only: derived ones it plans itself)."""
    table = catalog.table(table_name)
    inputs = [u for u in required_inputs(catalog, table) if only is None or only(u)]
    covs = {u.name: coverage_of(u.name) for u in inputs}
    excepted = {u.name: frozenset(excepted_of(u.name)) if excepted_of else frozenset() for u in inputs}
    moved = postponements.moved_from if postponements else {}
    failures = failures or {}
    out = {}
    for day, (state, games) in sorted(gaps.items()):
        games = tuple(games)
        causes: list[Cause] = []
        for up in inputs:
            cov = covs[up.name]
            status = cov.by_date.get(day) if cov is not None else None
            if cov is None:
                kind = "raw" if up.processor is None else "upstream"
                causes.append(Cause(kind, f"{'raw' if kind == 'raw' else 'upstream'} {up.name} does not exist",
                                    up.name))
            elif status is None or status.rows == 0:
                kind, text = _lacking_text(catalog, table, up, excepted=day in excepted[up.name])
                causes.append(Cause(kind, text, up.name))
            elif games and up.measure_coverage and up.team_columns:
                lacking = tuple(g for g in games if g in status.missing_games)
                if lacking:
                    kind, text = _lacking_text(catalog, table, up, excepted=False, games=lacking)
                    causes.append(Cause(kind, text, up.name, lacking))
        for game in games:
            if game in moved:
                causes.append(Cause("postponed", f"game {game} was postponed from {moved[game].isoformat()}",
                                    None, (game,)))
        gap = Gap(table.name, day, state, games, tuple(causes))
        if not gap.blocked:
            if day in failures:
                causes.append(Cause("processor", f"the last backfill failed on it: {failures[day]}"))
            elif not any(c.kind in BLOCKING for c in causes):
                causes.append(Cause("buildable", "its required inputs hold rows: a backfill can build it"))
            gap = Gap(table.name, day, state, games, tuple(causes))
        out[day] = gap
    return out


def gaps_of(cov: Coverage) -> dict[dt.date, tuple[str, tuple[str, ...]]]:
    """A table's gaps from its coverage (documented exceptions applied): missing and partial dates."""
    out: dict[dt.date, tuple[str, tuple[str, ...]]] = {}
    for day in cov.missing_dates:
        out[day] = ("missing", tuple(g for g in cov.by_date[day].missing_games if g not in cov.excepted_games))
    for day, games in cov.partial_dates.items():
        out[day] = ("partial", tuple(games))
    return out


class InputCoverage:
    """Coverage of a table's inputs over a span, each measured once (one query per input)."""

    def __init__(self, warehouse: Warehouse, catalog: Catalog, start: dt.date, end: dt.date) -> None:
        self.warehouse, self.catalog, self.start, self.end = warehouse, catalog, start, end
        self._cache: dict[str, Coverage | None] = {}

    def __call__(self, name: str) -> Coverage | None:
        if name not in self._cache:
            t = self.catalog.table(name)
            exists = bool(self.warehouse.columns(t.dataset, t.name))
            self._cache[name] = measure_coverage(self.warehouse, self.catalog, name, self.start, self.end) \
                if exists else None
        return self._cache[name]


def explain_dates(warehouse: Warehouse, catalog: Catalog, table_name: str,
                  gaps: Mapping[dt.date, tuple[str, Sequence[str]]], *,
                  excepted_of: Callable[[str], Iterable[dt.date]] | None = None) -> dict[dt.date, Gap]:
    """`explain` with the inputs measured here, over the span of the gaps (one query per input)."""
    if not gaps:
        return {}
    inputs = InputCoverage(warehouse, catalog, min(gaps), max(gaps))
    return explain(catalog, table_name, gaps, coverage_of=inputs, excepted_of=excepted_of)


def downstream_impact(catalog: Catalog, table_name: str, dates: Iterable[dt.date],
                      game_dates: Iterable[dt.date] | None = None) -> dict[str, list[dt.date]]:
    """The tables that read `table_name` (directly or through others), and the dates of theirs
    that read the given dates: through each reader's lookback on the table it reads (N game
    dates, or the rest of the season), counted on `game_dates` (the window's game dates); without
    them, the same dates."""
    days = sorted(set(dates))
    if not days:
        return {}
    readers = catalog.downstream_of(table_name)
    order = catalog.topological_order(sorted(readers))
    if game_dates is None:
        return {name: days for name in order}
    universe = sorted(set(game_dates) | set(days))
    position = {d: i for i, d in enumerate(universe)}
    season_end = _season_ends(universe)
    affected: dict[str, set[dt.date]] = {table_name: set(days)}
    for name in order:
        reader = catalog.table(name)
        hit: set[dt.date] = set()
        for upstream in reader.upstream:
            for day in affected.get(upstream, ()):
                back = reader.lookback.get(upstream, 0)
                last = season_end[day] if back == "season" else universe[min(position[day] + int(back), len(universe) - 1)]
                hit.update(d for d in universe[position[day]:position[last] + 1])
        if hit:
            affected[name] = hit
    return {name: sorted(affected[name]) for name in order if name in affected}


# Consecutive game dates further apart than this are in different seasons (the off-season is
# months; the longest in-season break, the All-Star break, about a week).
_SEASON_BREAK = dt.timedelta(days=60)


def _season_ends(universe: list[dt.date]) -> dict[dt.date, dt.date]:
    """Each game date -> the last game date of its season (a run of dates without a long break)."""
    ends: dict[dt.date, dt.date] = {}
    run: list[dt.date] = []
    for day in universe:
        if run and day - run[-1] > _SEASON_BREAK:
            ends.update(dict.fromkeys(run, run[-1]))
            run = []
        run.append(day)
    ends.update(dict.fromkeys(run, run[-1]) if run else {})
    return ends


def propose_exceptions(warehouse: Warehouse, catalog: Catalog, phase: str, start: dt.date, end: dt.date,
                       exceptions: Any, *, measured_on: dt.date | None = None) -> list[Any]:
    """exceptions.toml entries for the phase's gaps that no backfill can fill, with the evidence.

    A missing date whose every missing game is explained by a raw input that does not hold it (or
    a documented upstream exception) becomes a `dates` entry; the explained games of a partial
    date become a `games` entry. Dates and games some entry already names are left out. One
    query per table and per required input (each measured once)."""
    from phasegate.model.dates import fold_ranges
    from phasegate.model.exceptions import Proposal, listed

    when = (measured_on or dt.datetime.now(dt.UTC).date()).isoformat()
    inputs = InputCoverage(warehouse, catalog, start, end)
    proposals: list[Proposal] = []
    for table in catalog.tables_of(phase):
        if not table.measure_coverage or not warehouse.columns(table.dataset, table.name):
            continue
        te = exceptions.for_table(table.name)
        cov = measure_coverage(warehouse, catalog, table.name, start, end, excepted_dates=te.dates,
                               excepted_games=te.games)
        named_dates, named_games = listed(exceptions, table.name)
        gaps = {d: g for d, g in gaps_of(cov).items() if d not in named_dates}
        found = explain(catalog, table.name, gaps, coverage_of=inputs,
                        excepted_of=lambda name: exceptions.for_table(name).dates)
        by_reason: dict[str, list[dt.date]] = {}
        games_by_reason: dict[str, list[str]] = {}
        for day, gap in sorted(found.items()):
            unfillable = [c for c in gap.causes if c.kind in UNFILLABLE]
            if gap.state == "missing" and gap.unfillable:
                reason = "; ".join(c.text for c in unfillable)
                by_reason.setdefault(reason, []).append(day)
            elif gap.state == "partial":
                for cause in unfillable:
                    games = [g for g in (cause.games or gap.games) if g not in named_games]
                    if games:
                        games_by_reason.setdefault(cause.text, []).extend(games)
        evidence = f"(measured by phasegate exceptions suggest {phase} on {when}, window {start}..{end})"
        for reason, days in by_reason.items():
            if len(days) > 1:
                reason = reason.replace("on this date", "on these dates")
            ranges = tuple(a.isoformat() if a == b else f"{a.isoformat()}..{b.isoformat()}"
                           for a, b in fold_ranges(days, cov.game_dates))
            proposals.append(Proposal(table.name, dates=ranges, reason=f"{reason} {evidence}"))
        for reason, games in games_by_reason.items():
            proposals.append(Proposal(table.name, games=tuple(dict.fromkeys(games)), reason=f"{reason} {evidence}"))
    return proposals
