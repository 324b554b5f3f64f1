"""Demo scenarios: the raw warehouse, then phases 3 and 4 in the state a scenario describes.

raw       phase 2 only
clean     raw + complete phase 3 + complete phase 4
incident  the handoff's state (2026-01-05): phase 3 partly filled, phase 4 empty. Of the 848
          counted (non-bootstrap) game dates of 2021-10-19..2026-01-03:
            player_game_summary            848/848
            team_offense_game_summary      848/848
            team_defense_game_summary      776/848   two runs of failed dates (40 + 32)
            upcoming_player_game_context   446/848   2021-22 and 2022-23 never run + a run of 5
            upcoming_team_game_context     496/848   2021-22 never run + 2023-24 started late
          The gaps are chosen from the schedule's calendar by the rules in INCIDENT_GAPS, so
          they look like real failures (whole seasons, runs of consecutive game dates) and
          the counts are exact on the demo calendar.
phase4-on-gap  the rolling-window cascade (platform-facts §8): phase 4 built while phase 3 had
          the incident's gaps, then phase 3 backfilled. Phase 3 is complete (GO); phase 4's
          rows on and after the repaired dates were computed over the gaps: its gate is NO-GO
          (stale through the lookback windows, missing where the gap emptied the input) and
          `backfill phase4` rebuilds exactly the dates whose windows include a repaired date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from phasegate.measure.calendar import Calendar, load_calendar
from phasegate.model.catalog import Catalog
from phasegate.runner.processors import run_processor
from phasegate.warehouse import Warehouse

SCENARIOS = ("raw", "clean", "incident", "phase4-on-gap")
PHASES_BUILT = ("phase3", "phase4")


@dataclass(frozen=True)
class Gap:
    """Missing dates of one table: a whole season, or a run of consecutive counted dates.

    `season` is the n-th season of the calendar (0 = first). A whole-season gap also removes
    that season's bootstrap dates (the job never ran that season). A run starts at the
    `start`-th counted (non-bootstrap) date of the season and covers `length` counted dates;
    with `from_opening_night`, the season's bootstrap dates go too (the job started late).
    """

    season: int
    start: int = 0
    length: int | None = None  # None = the whole season
    from_opening_night: bool = False


INCIDENT_GAPS: dict[str, tuple[Gap, ...]] = {
    # A defense backfill that died twice mid-season: 40 + 32 = 72 dates.
    "team_defense_game_summary": (Gap(season=1, start=50, length=40), Gap(season=3, start=120, length=32)),
    # Never run for the first two seasons (198 + 199), plus a 5-date failure: 402 dates.
    "upcoming_player_game_context": (Gap(season=0), Gap(season=1), Gap(season=3, start=60, length=5)),
    # Never run for 2021-22 (198) and only started 154 counted dates into 2023-24: 352 dates.
    "upcoming_team_game_context": (Gap(season=0), Gap(season=2, start=0, length=154, from_opening_night=True)),
}


def load_raw(warehouse: Warehouse, catalog: Catalog, *, seed: int = 7, extra_seasons: int = 0,
             games_scale: float = 1.0) -> dict[str, int]:
    """Generate the raw tables and load them, replacing whatever was there."""
    from phasegate.demo.raw import generate_raw

    counts: dict[str, int] = {}
    for name, data in generate_raw(seed, extra_seasons=extra_seasons, games_scale=games_scale).items():
        table = catalog.table(name)
        counts[table.ref] = warehouse.load_table(table.dataset, table.name, data, replace=True)
    return counts


def demo_window(warehouse: Warehouse, catalog: Catalog) -> tuple[dt.date, dt.date]:
    """The catalog's default window (its end: the schedule's latest final game, where the demo's
    schedule ends), widened to the first regular-season date (extra seasons)."""
    from phasegate.measure.calendar import live_window

    start, end = live_window(catalog, warehouse=warehouse)
    schedule = catalog.schedule
    first = warehouse.query(
        f"SELECT MIN(game_date) AS first_date FROM {schedule.ref} "
        f"WHERE game_date <= @end_date AND season_type = 'Regular Season'",
        {"end_date": end})[0]["first_date"]
    return (min(start, first) if first else start), end


def drop_built_tables(warehouse: Warehouse, catalog: Catalog) -> None:
    """Drop every phase-3/4 table so a scenario never inherits an older warehouse's rows."""
    statements = [f"DROP TABLE IF EXISTS {t.ref}" for phase in PHASES_BUILT for t in catalog.tables_of(phase)]
    warehouse.execute(statements)


def rebuild_phase(warehouse: Warehouse, catalog: Catalog, phase: str, start: dt.date, end: dt.date) -> dict[str, int]:
    """Rebuild every table of `phase` over start..end, one processor run per table, upstream first."""
    names = [t.name for t in catalog.tables_of(phase)]
    counts: dict[str, int] = {}
    for name in catalog.topological_order(names):
        result = run_processor(warehouse, catalog, name, start, end, labels={"component": "demo"})
        counts[catalog.table(name).ref] = result.rows_written or 0
    return counts


def incident_missing_dates(calendar: Calendar) -> dict[str, list[dt.date]]:
    """The game dates (counted and bootstrap) each phase-3 table lacks in the incident."""
    seasons = sorted({d.season_year for d in calendar.dates})
    missing: dict[str, list[dt.date]] = {}
    for table, gaps in INCIDENT_GAPS.items():
        chosen: set[dt.date] = set()
        for gap in gaps:
            if gap.season >= len(seasons):
                continue  # a reduced demo window without that season
            season = [d for d in calendar.dates if d.season_year == seasons[gap.season]]
            counted = [d.date for d in season if not d.is_bootstrap]
            if gap.length is None:
                chosen.update(d.date for d in season)
                continue
            chosen.update(counted[gap.start:gap.start + gap.length])
            if gap.from_opening_night:
                chosen.update(d.date for d in season if d.is_bootstrap)
        missing[table] = sorted(chosen)
    return missing


def delete_dates(warehouse: Warehouse, catalog: Catalog, table_name: str, dates: list[dt.date]) -> None:
    if not dates:
        return
    table = catalog.table(table_name)
    warehouse.execute([f"DELETE FROM {table.ref} WHERE {table.date_column} IN UNNEST(@dates)"], {"dates": dates})


def contiguous_runs(dates: list[dt.date], calendar: Calendar) -> list[tuple[dt.date, dt.date]]:
    """(first, last) of each run of `dates` consecutive among the calendar's game dates."""
    position = {g: i for i, g in enumerate(calendar.game_dates)}
    runs: list[list[dt.date]] = []
    for day in sorted(dates):
        if runs and day in position and position.get(runs[-1][-1], -2) + 1 == position[day]:
            runs[-1].append(day)
        else:
            runs.append([day])
    return [(run[0], run[-1]) for run in runs]


def build_phase4_on_gap(warehouse: Warehouse, catalog: Catalog, start: dt.date, end: dt.date,
                        gaps: dict[str, list[dt.date]]) -> dict[str, int]:
    """Phase 3 built whole, then `gaps` removed; phase 4 built over those gaps; then phase 3's gaps
    backfilled (their processors re-run on each run of missing dates). Rows per table."""
    counts = rebuild_phase(warehouse, catalog, "phase3", start, end)
    for table_name, dates in gaps.items():
        delete_dates(warehouse, catalog, table_name, dates)
    counts.update(rebuild_phase(warehouse, catalog, "phase4", start, end))
    calendar = load_calendar(warehouse, catalog, start, end)
    for table_name, dates in gaps.items():
        for first, last in contiguous_runs(dates, calendar):
            run_processor(warehouse, catalog, table_name, first, last, labels={"component": "demo"})
    return counts


def build_scenario(warehouse: Warehouse, catalog: Catalog, scenario: str, *, seed: int = 7,
                   extra_seasons: int = 0, games_scale: float = 1.0) -> dict[str, int]:
    """Write the scenario into the warehouse; returns rows per table (`dataset.table`)."""
    if scenario not in SCENARIOS:
        from phasegate.errors import UsageError

        raise UsageError(f"unknown scenario {scenario!r}; choose one of: {', '.join(SCENARIOS)}")
    from phasegate.demo.guard import write_marker

    write_marker(warehouse, scenario, seed)  # first: a demo stopped halfway is still known as one
    counts = load_raw(warehouse, catalog, seed=seed, extra_seasons=extra_seasons, games_scale=games_scale)
    drop_built_tables(warehouse, catalog)
    if scenario == "raw":
        return counts
    start, end = demo_window(warehouse, catalog)
    if scenario == "phase4-on-gap":
        calendar = load_calendar(warehouse, catalog, start, end)
        counts.update(build_phase4_on_gap(warehouse, catalog, start, end, incident_missing_dates(calendar)))
        return counts
    # Phase 3 is built whole, then the incident removes what the handoff found missing:
    # this way the surviving rows are exactly what a complete run would have written.
    counts.update(rebuild_phase(warehouse, catalog, "phase3", start, end))
    if scenario == "clean":
        counts.update(rebuild_phase(warehouse, catalog, "phase4", start, end))
        return counts
    calendar = load_calendar(warehouse, catalog, start, end)
    for table_name, dates in incident_missing_dates(calendar).items():
        delete_dates(warehouse, catalog, table_name, dates)
        table = catalog.table(table_name)
        counts[table.ref] = warehouse.query(f"SELECT COUNT(*) AS n FROM {table.ref} "
                                            f"WHERE {table.date_column} BETWEEN @start_date AND @end_date",
                                            {"start_date": start, "end_date": end})[0]["n"]
    return counts
