"""The sign-off report rendered from fixture results.json files (docs/contracts.md format)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from phasegate.demo.raw import DEMO_END  # the demo schedule ends there
from phasegate.report import write_report
from phasegate.report.calendar_svg import CLASS, STATES, render_calendar
from phasegate.report.checklist import FAMILIES, PHASE_LEVEL, build_checklist
from phasegate.report.render import render_report
from tests.fixtures.builders import repo_catalog

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"results_{name}.json").read_text())


def complete(results: dict, catalog) -> dict:
    """Top up a GO fixture with a passed case for every check the catalog asks for today.

    The fixture is a snapshot; the gate's families grow with the catalog and checks/<phase>/sql.
    """
    from phasegate.report.checklist import applies

    have = {(c["table"], c["family"]) for c in results["checks"]}
    for table in catalog.tables_of(results["phase"]):
        for family in FAMILIES:
            if family not in PHASE_LEVEL and (table.name, family) not in have and applies(family, table, catalog)[0]:
                results["checks"].append({"nodeid": f"checks/phase3/test_gate.py::test_{family}[{table.name}]",
                                          "name": f"test_{family}[{table.name}]", "table": table.name,
                                          "family": family, "outcome": "passed", "measured": "ok", "threshold": "",
                                          "message": "", "duration_s": 0.01})
    return results


def place(reports: Path, name: str, catalog=None) -> Path:
    results = load(name)
    if catalog is not None:
        results = complete(results, catalog)
    run_dir = reports / results["phase"] / results["run_id"]
    run_dir.mkdir(parents=True)
    (run_dir / "results.json").write_text(json.dumps(results))
    return run_dir


@pytest.fixture(scope="module")
def catalog():
    return repo_catalog()


@pytest.fixture(scope="module")
def nogo_html(catalog) -> str:
    return render_report(load("nogo"), catalog=catalog)


def cell(html: str, table: str, day: str) -> str | None:
    """The CSS class of `day`'s cell in `table`'s calendar (None if not drawn)."""
    svg = re.search(rf'<svg class="cal"[^>]*data-table="{table}">(.*?)</svg>', html, re.DOTALL)
    assert svg, f"no calendar for {table}"
    m = re.search(rf'<rect x="\d+" class="(\w)"><title>{day} ', svg.group(1))
    return m.group(1) if m else None


def test_banner_names_verdict_window_and_provenance(nogo_html):
    banner = re.search(r'<header id="banner" class="banner nogo" data-verdict="NO-GO">(.*?)</header>', nogo_html, re.DOTALL)
    assert banner, "NO-GO banner missing"
    text = banner.group(1)
    for needle in ("NO-GO", "phase3", "2023-04-01 .. 2023-12-31", "phase3-20260104T060000Z-a1b2",
                   "duckdb:///warehouse.duckdb", "9f3c2e1", "5c1d7e0a9b42", "e3b0c44298fc", "2026-01-04T06:00:00",
                   "unsigned"):
        assert needle in text, needle


def test_failing_tables_are_named_with_their_missing_ranges(nogo_html):
    failing = re.search(r'<section class="failing" id="failing">(.*?)</section>', nogo_html, re.DOTALL).group(1)
    for table in ("player_game_summary", "team_defense_game_summary", "upcoming_player_game_context"):
        assert table in failing
    assert "team_offense_game_summary" not in failing
    results = load("nogo")
    pgs = results["tables"]["player_game_summary"]["coverage"]
    assert len(pgs["missing_dates"]) == 72
    # 72 consecutive game dates fold into one range
    assert f"72 missing dates:</b> <span class=\"mono missing-ranges\">{pgs['missing_dates'][0]}.." \
           f"{pgs['missing_dates'][-1]}</span>" in nogo_html


def test_calendar_has_a_cell_for_each_of_the_six_states(nogo_html):
    results = load("nogo")
    first_missing = results["tables"]["player_game_summary"]["coverage"]["missing_dates"][0]
    assert cell(nogo_html, "player_game_summary", "2023-04-03") == CLASS["covered"]
    assert cell(nogo_html, "player_game_summary", first_missing) == CLASS["missing"]
    assert cell(nogo_html, "player_game_summary", "2023-12-20") == CLASS["partial"]
    assert cell(nogo_html, "player_game_summary", "2023-10-24") == CLASS["bootstrap"]
    assert cell(nogo_html, "upcoming_player_game_context", "2023-12-01") == CLASS["excepted"]
    assert cell(nogo_html, "player_game_summary", "2023-11-23") == CLASS["no-games"]  # Thanksgiving
    # one calendar per table with coverage; the legend names every state
    assert nogo_html.count('<svg class="cal"') == 4
    for state in STATES:
        assert f'class="sw sw-{CLASS[state]}"' in nogo_html


def test_calendar_one_row_per_season_one_cell_per_day():
    days = {"2022-04-01": "covered", "2022-04-03": "missing", "2022-10-20": "bootstrap", "2022-11-15": "partial",
            "2022-12-01": "excepted"}
    cal = render_calendar(days, dt.date(2022, 4, 1), dt.date(2022, 12, 31), table="t",
                          partial_dates={"2022-11-15": ["20221115_<X>_Y"]})
    assert cal.seasons == 2
    assert cal.svg.count("<g transform") == 2
    assert cal.counts["no-games"] > 0 and all(cal.counts[s] == 1 for s in STATES if s != "no-games")
    assert cal.svg.count("<rect") == sum(cal.counts.values())  # every day of the drawn range, once
    assert "20221115_&lt;X&gt;_Y" in cal.svg and "<X>" not in cal.svg


def test_checklist_covers_every_catalogued_table_and_family(catalog, nogo_html):
    checklist = build_checklist(load("nogo"), catalog)
    phase3 = [t.name for t in catalog.tables_of("phase3")]
    assert sorted(checklist.rows) == sorted(phase3)
    for row in checklist.rows.values():
        assert tuple(row) == FAMILIES
    # upcoming_team_game_context has no case at all in this run: a row of gaps, not ticks
    row = checklist.rows["upcoming_team_game_context"]
    assert {c.status for f, c in row.items() if f not in PHASE_LEVEL} <= {"gap", "n/a"}
    assert row["date_coverage"].status == "gap"
    assert ("upcoming_team_game_context", "date_coverage") in checklist.gaps
    # ticked by the run: failures, passes, the phase-level case, n/a from the catalog
    assert checklist.rows["player_game_summary"]["date_coverage"].status == "failed"
    assert checklist.rows["player_game_summary"]["expectation"].status == "failed"
    assert checklist.rows["team_offense_game_summary"]["schema"].status == "passed"
    assert checklist.rows["team_offense_game_summary"]["uncatalogued_tables"].status == "passed"
    assert checklist.rows["team_offense_game_summary"]["feature_vector"].status == "n/a"
    # the page shows every cell
    table = re.search(r'<table class="cl" id="checklist-table">(.*?)</table>', nogo_html, re.DOTALL).group(1)
    assert table.count("data-family=") == len(phase3) * len(FAMILIES)
    assert "Checklist incomplete" in nogo_html


def test_every_check_is_listed_with_outcome_measured_threshold_and_message(nogo_html):
    results = load("nogo")
    for check in results["checks"]:
        assert f'title="{check["nodeid"]}"' in nogo_html
    assert "&gt;= 95%" in nogo_html
    assert "Great Expectations (3" in nogo_html


def test_text_from_data_is_escaped(nogo_html):
    assert "<script" not in nogo_html.lower()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in nogo_html
    assert "<img" not in nogo_html
    assert "&lt;img src=x onerror=alert(1)&gt;" in nogo_html
    assert "</td></tr></table><script>" not in nogo_html
    assert "20230502_&lt;b&gt;PHX&lt;/b&gt;_GSW" in nogo_html
    assert "Dana O&#39;Neil &amp; &lt;ops&gt;" in nogo_html  # the exceptions applied


def test_write_report_and_index_newest_first(tmp_path, catalog):
    reports = tmp_path / "reports"
    nogo_dir = place(reports, "nogo")
    go_dir = place(reports, "go", catalog)
    out = write_report(nogo_dir, catalog=catalog)
    write_report(go_dir, catalog=catalog)
    assert out == nogo_dir / "report.html" and out.is_file()
    index = (reports / "index.html").read_text()
    go_at = index.index('href="phase3/phase3-20260104T070000Z-c3d4/report.html"')
    nogo_at = index.index('href="phase3/phase3-20260104T060000Z-a1b2/report.html"')
    assert go_at < nogo_at  # newest first
    assert '<td class="v go">GO</td>' in index and '<td class="v nogo">NO-GO</td>' in index
    go_html = (go_dir / "report.html").read_text()
    assert 'data-verdict="GO"' in go_html and go_html.count('<svg class="cal"') == 5
    assert "Checklist incomplete" not in go_html
    assert "http://" not in go_html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in go_html and "<link" not in go_html


def test_full_demo_window_page_size(tmp_path, catalog):
    from bench.bench_report import synthetic_results

    tables = [t.name for t in catalog.tables_of("phase3")] + [t.name for t in catalog.tables_of("phase4")]
    results = synthetic_results("phase3", tables, catalog.settings.default_start_date,
                                DEMO_END, gaps={tables[1]: 72})
    run_dir = tmp_path / "reports" / "phase3" / results["run_id"]
    run_dir.mkdir(parents=True)
    (run_dir / "results.json").write_text(json.dumps(results))
    # its render time is bench/bench_report.py's (a ratio, never a timed assertion here)
    out = write_report(run_dir, catalog=catalog)
    assert out.stat().st_size < 2_000_000
    assert out.read_text().count('<svg class="cal"') == len(tables)


def test_latest_backfill_runs_of_the_phase_are_listed(tmp_path, catalog):
    runlog = pytest.importorskip("phasegate.runner.runlog", reason="the runner's run log is not in this tree yet")
    state = tmp_path / ".phasegate"
    with runlog.RunLog(state, "phase3-20260104T065000Z-beef") as log:
        log.write("start", run_id="phase3-20260104T065000Z-beef", phase="phase3", command="backfill",
                  kind="backfill", pid=0, host="elsewhere")
        log.write("plan", tables={"player_game_summary": {"dates": 72}})
        log.write("chunk", table="player_game_summary", status="ok", dates=72, rows=9000)
        log.write("verdict", verdict="GO", exit_code=0)
    runs = runlog.recent_runs(state, phase="phase3")
    html = render_report(load("go"), catalog=catalog, backfills=runs)
    section = html[html.index('id="backfills"'):html.index('id="signoff"')]
    assert "phase3-20260104T065000Z-beef" in section
    assert "player_game_summary 72/72 dates" in section and "9000" in section
    assert "No backfill run recorded" in render_report(load("go"), catalog=catalog, backfills=[])


def test_results_without_phase_or_table_facts_still_render_with_gaps(catalog):
    results = load("nogo")
    results["phase"] = None
    results["tables"] = {}
    html = render_report(results, catalog=catalog)
    assert 'data-verdict="NO-GO"' in html
    assert html.count('<tr data-table="') == len(catalog.tables_of("phase3"))
    assert "No coverage measured for this table" in html


def test_gate_hook_renders_and_never_raises(tmp_path, catalog):
    from phasegate.report import render_gate_report

    run_dir = place(tmp_path / "reports", "go")
    line = render_gate_report(run_dir, catalog=catalog)
    assert line == f"html report: {run_dir / 'report.html'}" and (run_dir / "report.html").is_file()
    broken = tmp_path / "reports" / "phase3" / "phase3-20260104T080000Z-dead"
    broken.mkdir()
    (broken / "results.json").write_text("{not json")
    assert render_gate_report(broken, catalog=catalog).startswith("html report not rendered: UsageError")


def test_error_run_without_checks_says_why(catalog):
    results = {"run_id": "phase3-20260104T090000Z-0bad", "phase": "phase3", "verdict": "ERROR", "exit_code": 3,
               "window": {"start": "2023-04-01", "end": "2023-12-31"}, "warehouse": "bigquery://nba-props-platform",
               "tables": {}, "checks": [], "exceptions_applied": [],
               "summary": {"passed": 0, "failed": 0, "error": 0, "skipped": 0, "total": 0},
               "error": "pytest exited 3 without results: <Forbidden> access denied"}
    html = render_report(results, catalog=catalog)
    assert 'class="banner error" data-verdict="ERROR"' in html
    assert "Could not validate:</strong> pytest exited 3 without results: &lt;Forbidden&gt; access denied" in html
    assert "A ERROR report cannot be signed" in html


def test_banner_shows_the_gates_byte_estimate_on_bigquery(catalog):
    results = load("nogo")
    html = render_report(results, catalog=catalog)
    assert "n/a (no scan cost on this warehouse)" in html
    results["estimated_bytes"] = 3 * 2**30
    html = render_report(results, catalog=catalog)
    assert "3.0 GiB (dry run, before the gate ran)" in html


def test_each_gap_shows_why_and_what_reads_it_downstream(catalog):
    # results.json carries, per table, the provenance of each gap (phasegate.gate.judges.provenance_facts)
    results = load("nogo")
    missing = results["tables"]["team_defense_game_summary"]["coverage"]["missing_dates"]
    raw = {"kind": "raw", "text": "raw nbac_team_boxscore has no rows on this date", "table": "nbac_team_boxscore",
           "games": []}
    buildable = {"kind": "buildable", "text": "its required inputs hold rows: a backfill can build it", "table": None,
                 "games": []}
    impact = {"team_defense_zone_analysis": [], "player_composite_factors": []}
    results["tables"]["team_defense_game_summary"]["provenance"] = {
        **{day: {"state": "missing", "games": ["x"], "causes": [raw], "blocked": True, "unfillable": True,
                 "impact": {k: [day] for k in impact}} for day in missing[:2]},
        **{day: {"state": "missing", "games": ["x"], "causes": [buildable], "blocked": False, "unfillable": False,
                 "impact": {k: [day] for k in impact}} for day in missing[2:]}}
    html = render_report(results, catalog=catalog)
    section = html[html.index('id="t-team_defense_game_summary"'):]
    section = section[:section.index("</section>")]
    gaps = re.search(r'<table class="gaps">(.*?)</table>', section, re.DOTALL).group(1)
    rows = re.findall(r"<tr><td class=\"mono\">(.*?)</tr>", gaps, re.DOTALL)
    assert len(rows) == 2  # one row per reason, not per date
    assert f"({len(missing) - 2} dates)" in rows[0] and "a backfill can build it" in rows[0]
    assert "raw nbac_team_boxscore has no rows on this date" in rows[1] and "phasegate exceptions suggest phase3" \
        in rows[1]
    assert "team_defense_zone_analysis (2 dates)" in rows[1] and "player_composite_factors (2 dates)" in rows[1]
    # a table without provenance (no gap) shows no such table
    other = html[html.index('id="t-team_offense_game_summary"'):]
    assert '<table class="gaps">' not in other[:other.index("</section>")]
