"""`make demo`: the incident of 2026-01-05, told by Phasegate, on a fresh machine.

    phasegate demo --scenario incident   the handoff's warehouse: phase 3 incomplete, phase 4 empty
    phasegate calendar                   918 game dates = 70 bootstrap + 848 expected
    phasegate gate phase3                NO-GO, naming the 3 incomplete tables
    phasegate run phase4 --yes           refuses: phase 3 is NO-GO; nothing written
    phasegate backfill phase3 --yes      fills exactly the 72 + 402 + 352 missing dates; gate GO
    phasegate run phase4 --yes           gate phase 3 GO, phase 4 built, gate phase 4 GO
                                         (each gate re-runs every processor: the reproduction audit)
    the cascade (platform-facts §8)      5 dates of team_defense_game_summary repaired after phase 4
    phasegate gate phase4                NO-GO: stale through the lookback windows, dates named
    phasegate backfill phase4 --dry-run  exactly the dates whose windows include a repaired date
    phasegate backfill phase4 --yes      rebuilt; gate phase 4 GO

Each step calls the library the command calls, prints what a person would type and see,
and checks the verdict it must give: any surprise ends the demo with exit code 1.
Warehouse: PHASEGATE_WAREHOUSE (default duckdb:///warehouse.duckdb); catalog: pipeline.toml.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

EXPECTED_CALENDAR = {"game_dates": 918, "bootstrap_dates": 70, "expected_dates": 848}
INCIDENT = {"team_defense_game_summary": 72, "upcoming_player_game_context": 402,
            "upcoming_team_game_context": 352}


class StoryFailed(Exception):
    pass


def say(text: str = "") -> None:
    print(text, flush=True)


def step(command: str) -> float:
    say()
    say(f"$ {command}")
    return time.perf_counter()


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise StoryFailed(what)
    say(f"  ✔ {what}")


def expect_audited(gate, phase: str, tables: int) -> None:
    """The gate re-ran every processor of the phase and reproduced every stored row."""
    facts = [t.get("audit") for t in (gate.results.tables if gate.results else {}).values() if t.get("audit")]
    bad = sum(f["missing"] + f["extra"] + f["differing"] for f in facts)
    rows = sum(f["rows"] for f in facts)
    expect(len(facts) == tables and not bad and all(f["mode"] == "all" for f in facts),
           f"reproduction audit: the {tables} {phase} processors re-run on every date give the {rows:,} stored rows "
           "exactly")


def main() -> int:
    from phasegate.cli.progress import make_progress
    from phasegate.demo.scenarios import build_scenario
    from phasegate.gate.run import run_gate
    from phasegate.measure.calendar import load_calendar
    from phasegate.model.catalog import load_catalog
    from phasegate.runner.orchestrate import Options, backfill, run_phase
    from phasegate.warehouse import open_warehouse, resolve_url

    url = resolve_url(None)
    catalog_path = os.environ.get("PHASEGATE_CATALOG", "pipeline.toml")
    catalog = load_catalog(catalog_path)
    flag = "" if url == "duckdb:///warehouse.duckdb" else f" --warehouse {url}"
    say(f"Phasegate demo — the 2026-01-05 phase-3 incident, replayed on {url}")
    story_started = time.perf_counter()

    # 1. the warehouse as the handoff found it
    t = step(f"phasegate demo --scenario incident{flag}")
    from phasegate.demo.guard import check_contents, check_url

    check_url(url)  # never the production project PHASEGATE_WAREHOUSE may name
    wh = open_warehouse(url, create=True)  # like `phasegate demo`: the one command besides init that creates one
    try:
        check_contents(wh, catalog)
        say(f"  writing the demo to {wh.url}")
        counts = build_scenario(wh, catalog, "incident")
        for table, rows in counts.items():
            say(f"  {table:<45} {rows:>10,} rows")
        phase4 = [t for t in catalog.tables_of("phase4")]
        expect(all(not wh.columns(x.dataset, x.name) or not wh.query(f"SELECT 1 FROM {x.ref} LIMIT 1")
                   for x in phase4), "phase 4 is empty")
        from phasegate.demo.scenarios import demo_window

        start, end = demo_window(wh, catalog)
        # 2. the calendar: what is expected
        say(f"  ({time.perf_counter() - t:.1f}s)")
        t = step(f"phasegate calendar{flag}")
        total = load_calendar(wh, catalog, start, end).summary()
        for s in total["seasons"]:
            say(f"  {s['season']}  {s['game_dates']:>4} game dates  {s['bootstrap_dates']:>3} bootstrap  "
                f"{s['expected_dates']:>4} expected  {s['games']:>5} games")
        tot = total["total"]
        say(f"  total    {tot['game_dates']:>4} game dates  {tot['bootstrap_dates']:>3} bootstrap  "
            f"{tot['expected_dates']:>4} expected  {tot['games']:>5} games")
        expect({k: tot[k] for k in EXPECTED_CALENDAR} == EXPECTED_CALENDAR,
               "918 game dates = 70 bootstrap + 848 expected")
    finally:
        wh.close()

    # 3. the gate names the three incomplete tables
    t = step(f"phasegate gate phase3{flag}")
    gate3 = run_gate("phase3", warehouse_url=url, catalog_path=catalog_path, start=start, end=end)
    say(gate3.text.rstrip())
    expect(gate3.verdict == "NO-GO" and gate3.exit_code == 1, "phase 3 is NO-GO (exit 1)")
    expect(set(gate3.failing_tables) == set(INCIDENT),
           "it names exactly the 3 incomplete tables: " + ", ".join(sorted(INCIDENT)))

    progress = make_progress()

    def opts(phase: str) -> Options:
        return Options(phase=phase, warehouse_url=url, catalog_path=catalog_path, yes=True,
                       command=f"phasegate {'run' if phase == 'phase4' else 'backfill'} {phase} --yes{flag}")

    # 4. phase 4 refuses to start on an incomplete phase 3
    t = step(f"phasegate run phase4 --yes{flag}")
    refused = run_phase(opts("phase4"), out=say, progress=make_progress())
    expect(refused.exit_code == 1 and refused.verdict == "NO-GO", "run phase4 refuses (exit 1)")
    wh = open_warehouse(url, read_only=True)
    try:
        expect(all(not wh.columns(x.dataset, x.name) or not wh.query(f"SELECT 1 FROM {x.ref} LIMIT 1")
                   for x in catalog.tables_of("phase4")), "phase 4 is still empty: nothing was written")
    finally:
        wh.close()
    text = "\n".join(refused.messages)
    expect(all(name in text for name in INCIDENT), "the refusal names the 3 tables and their dates")

    # 5. the backfill fills exactly what is missing, then the gate says GO
    t = step(f"phasegate backfill phase3 --yes{flag}")
    filled = backfill(opts("phase3"), out=say, progress=progress)
    progress.close()
    counted = {name: sum(1 for r in tp.reasons.values() if r in ("missing", "partial"))
               for name, tp in filled.plan.tables.items()}
    extra = {name: n for name, n in counted.items() if name not in INCIDENT and n}
    expect({n: counted.get(n, 0) for n in INCIDENT} == INCIDENT and not extra,
           "the plan is exactly the 72 + 402 + 352 missing dates (and nothing else)")
    expect(filled.execution is not None and filled.execution.ok, "every chunk succeeded and was verified")
    expect(filled.exit_code == 0 and filled.gate is not None and filled.gate.verdict == "GO",
           "phase 3 gate: GO (exit 0)")
    expect_audited(filled.gate, "phase 3", sum(1 for x in catalog.tables_of("phase3") if x.processor is not None))
    say(f"  ({time.perf_counter() - t:.1f}s)")

    # 6. phase 4 now runs, in dependency order, and its gate says GO
    t = step(f"phasegate run phase4 --yes{flag}")
    progress = make_progress()
    ran = run_phase(opts("phase4"), out=say, progress=progress)
    progress.close()
    expect(ran.upstream_gate is not None and ran.upstream_gate.verdict == "GO", "pre-flight: phase 3 gate GO")
    expect(ran.exit_code == 0 and ran.gate is not None and ran.gate.verdict == "GO", "phase 4 gate: GO (exit 0)")
    expect_audited(ran.gate, "phase 4", len(catalog.tables_of("phase4")))
    say(f"  ({time.perf_counter() - t:.1f}s)")

    # 7. the rolling-window cascade: an upstream repair after phase 4 reaches every window that read it
    cascade_gate = cascade(url, catalog_path, catalog, flag, opts)

    # 7. where to look
    step("phasegate runs")
    from phasegate.runner.runlog import recent_runs

    for r in recent_runs(catalog.state_dir, limit=3):
        planned = sum(x["planned"] for x in r["tables"].values())
        done = sum(x["done"] for x in r["tables"].values())
        say(f"  {r['run_id']:<32} {r.get('kind') or '':<8} {r['status']:<6} {done}/{planned} dates  "
            f"{r['rows_written']:,} rows")
    say()
    say("Reports, ready for sign-off (`phasegate signoff phase3 --by NAME`):")
    for g in (gate3, filled.gate, ran.upstream_gate, ran.gate, cascade_gate):
        if g is not None and g.run_dir is not None:
            report = Path(g.run_dir) / "report.html"
            say(f"  {g.phase} {g.verdict:<6} {report if report.exists() else g.run_dir}")
    say()
    say(f"demo complete in {time.perf_counter() - story_started:.0f}s: NO-GO found, phase 4 refused, "
        "phase 3 backfilled, both gates GO; the cascade found through the lookback windows and rebuilt")
    return 0


REPAIRED_DATES = 5   # team_defense_game_summary dates repaired after phase 4 was built ...
REPAIR_BEFORE_END = 10  # ... ending this many game dates before the window's end


def cascade(url: str, catalog_path: str, catalog, flag: str, opts):
    """Repair a run of phase-3 dates after phase 4 was built; the phase-4 gate names what read them
    through the lookback windows; the plan is exactly those dates; the backfill makes it GO."""
    import dataclasses

    from phasegate.cli.progress import make_progress
    from phasegate.gate.run import run_gate
    from phasegate.measure.calendar import live_window, load_calendar
    from phasegate.model.lookback import dates_reading
    from phasegate.runner.orchestrate import backfill
    from phasegate.warehouse import open_warehouse

    # the window every other step of the story gates: the catalog's start, the schedule's latest final game
    start, end = live_window(catalog, None, None, warehouse=url)
    wh = open_warehouse(url, read_only=True)
    try:
        calendar = load_calendar(wh, catalog, start, end)
    finally:
        wh.close()
    days = calendar.game_dates
    repaired = days[-REPAIR_BEFORE_END - REPAIRED_DATES:-REPAIR_BEFORE_END]
    span = f"{repaired[0]}..{repaired[-1]}"
    step(f"phasegate backfill phase3 --table team_defense_game_summary --dates {span} --all --yes --no-gate{flag}")
    say("  (a repair of 5 dates after phase 4 was built: the platform's rolling-window cascade, platform-facts §8)")
    up = dataclasses.replace(opts("phase3"), tables=["team_defense_game_summary"], dates=list(repaired), all_dates=True,
                             gate=False)
    fixed = backfill(up, out=lambda line: None, progress=None)
    expect(fixed.execution is not None and fixed.execution.ok, f"team_defense_game_summary {span} rewritten")

    t = step(f"phasegate gate phase4{flag}")
    stale_gate = run_gate("phase4", warehouse_url=url, catalog_path=catalog_path, start=start, end=end)
    say(stale_gate.text.rstrip())
    expect(stale_gate.verdict == "NO-GO", "phase 4 is NO-GO: rows computed before the repair")
    expect("team_defense_zone_analysis" in stale_gate.failing_tables
           and "not_older_than_team_defense_game_summary" in " ".join(
               c.message for c in stale_gate.results.checks if c.family == "staleness"),
           "it names team_defense_zone_analysis, stale through its season window, with the dates")

    lookback = catalog.table("team_defense_zone_analysis").lookback_of("team_defense_game_summary")
    reading = dates_reading(lookback, repaired, [(g.date, g.season_year) for g in calendar.dates])
    expected = {d for d in reading if not calendar.by_date[d].is_bootstrap}
    t = step(f"phasegate backfill phase4 --dry-run{flag}")
    planned = backfill(dataclasses.replace(opts("phase4"), dry_run=True, yes=False), out=say, progress=None)
    tdza = planned.plan.tables["team_defense_zone_analysis"]
    expect(set(tdza.reasons) == expected,
           f"team_defense_zone_analysis: exactly the {len(expected)} dates whose window includes {span}, no others")
    expect(set(planned.plan.tables["player_shot_zone_analysis"].reasons) == set(),
           "player_shot_zone_analysis (it never reads the repaired table): nothing")

    t = step(f"phasegate backfill phase4 --yes{flag}")
    progress = make_progress()
    rebuilt = backfill(opts("phase4"), out=say, progress=progress)
    progress.close()
    expect(rebuilt.exit_code == 0 and rebuilt.gate is not None and rebuilt.gate.verdict == "GO",
           "phase 4 gate: GO (exit 0) — stale windows rebuilt, the audit reproduces every row")
    say(f"  ({time.perf_counter() - t:.1f}s)")
    return rebuilt.gate


if __name__ == "__main__":
    try:
        sys.exit(main())
    except StoryFailed as exc:
        print(f"\nDEMO FAILED: expected {exc}", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:
        from phasegate.errors import PhasegateError

        if isinstance(exc, PhasegateError):
            print(f"\nDEMO FAILED: {exc}", file=sys.stderr)
            sys.exit(exc.exit_code or 1)
        raise
