"""Sign-off rules on a small DuckDB warehouse: NO-GO refused, stale refused, GO accepted and recorded."""

from __future__ import annotations

import sys

import pytest

from phasegate.errors import NoGo
from phasegate.report.signoff import sign
from phasegate.report.store import read_signoffs
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.signoffs import TABLE, gate_run, signoff_project


@pytest.fixture()
def project(tmp_path):
    return signoff_project(tmp_path)


def test_go_report_is_signed_recorded_and_rerendered(project):
    project_dir, catalog, url = project
    gate_run(project_dir, catalog, url, verdict="GO", run_id="phase3-20260104T060000Z-0001")
    record = sign("phase3", "Ada Lovelace", catalog=catalog, reports_root=project_dir / "reports",
                  warehouse_url=url, note="reviewed <calendars>")
    assert record["run_id"] == "phase3-20260104T060000Z-0001"
    logged = read_signoffs(project_dir / "reports")
    assert len(logged) == 1
    assert {k: logged[0][k] for k in ("by", "run_id", "note", "phase")} == {
        "by": "Ada Lovelace", "run_id": "phase3-20260104T060000Z-0001", "note": "reviewed <calendars>",
        "phase": "phase3"}
    assert logged[0]["fingerprint"] == record["fingerprint"] and logged[0]["at"]
    assert logged[0]["tables"][TABLE]["rows"] == 4  # 2023-12-02 is outside the window
    html = (project_dir / "reports" / "phase3" / "phase3-20260104T060000Z-0001" / "report.html").read_text()
    assert "Signed off by Ada Lovelace" in html and "reviewed &lt;calendars&gt;" in html
    assert 'data-signed="yes"' in html
    assert "Ada Lovelace" in (project_dir / "reports" / "index.html").read_text()


def test_nogo_report_is_refused(project):
    project_dir, catalog, url = project
    gate_run(project_dir, catalog, url, verdict="GO", run_id="phase3-20260104T050000Z-0001")
    gate_run(project_dir, catalog, url, verdict="NO-GO", run_id="phase3-20260104T060000Z-0002")
    with pytest.raises(NoGo, match=r"latest report phase3-20260104T060000Z-0002 is NO-GO \(failing: "
                                   r"team_offense_game_summary\)") as err:
        sign("phase3", "Ada", catalog=catalog, reports_root=project_dir / "reports", warehouse_url=url)
    assert err.value.exit_code == 1
    assert read_signoffs(project_dir / "reports") == []


@pytest.mark.parametrize("change", ["new_rows", "reprocessed"])
def test_stale_data_is_refused(project, change):
    project_dir, catalog, url = project
    gate_run(project_dir, catalog, url, verdict="GO", run_id="phase3-20260104T060000Z-0003")
    wh = DuckDBWarehouse(url.removeprefix("duckdb:///"))
    if change == "new_rows":
        wh.execute([("INSERT INTO nba_analytics.team_offense_game_summary VALUES "
                     "(DATE '2023-11-09', 'BOS', 'x', TIMESTAMP '2024-01-01 00:00:00')")])
    else:  # same row count, reprocessed later
        wh.execute([("UPDATE nba_analytics.team_offense_game_summary SET processed_at = TIMESTAMP '2024-02-01 00:00:00'"
                     " WHERE game_date = DATE '2023-11-08'")])
    wh.close()
    with pytest.raises(NoGo, match=r"data changed since run phase3-20260104T060000Z-0003 .*team_offense_game_summary"):
        sign("phase3", "Ada", catalog=catalog, reports_root=project_dir / "reports", warehouse_url=url)
    assert read_signoffs(project_dir / "reports") == []


def test_go_with_checklist_gaps_is_refused(project):
    project_dir, catalog, url = project
    gate_run(project_dir, catalog, url, verdict="GO", run_id="phase3-20260104T060000Z-0007",
             skip_tables=("upcoming_team_game_context",))
    with pytest.raises(NoGo, match=r"checklist has \d+ gap\(s\).*upcoming_team_game_context/schema"):
        sign("phase3", "Ada", catalog=catalog, reports_root=project_dir / "reports", warehouse_url=url)


def test_unrecorded_fingerprint_is_refused(project):
    project_dir, catalog, url = project
    gate_run(project_dir, catalog, url, verdict="GO", run_id="phase3-20260104T060000Z-0004", fingerprint={})
    with pytest.raises(NoGo, match="recorded no data fingerprint"):
        sign("phase3", "Ada", catalog=catalog, reports_root=project_dir / "reports", warehouse_url=url)


def test_cli_signoff_and_report(project, monkeypatch, capsys):
    from phasegate.cli import main

    project_dir, catalog, url = project
    gate_run(project_dir, catalog, url, verdict="NO-GO", run_id="phase3-20260104T060000Z-0005")
    monkeypatch.chdir(project_dir)
    monkeypatch.setenv("PHASEGATE_WAREHOUSE", url)

    def run(*args: str) -> int:
        monkeypatch.setattr(sys, "argv", ["phasegate", *args])
        try:
            main()
        except SystemExit as exc:
            return int(exc.code or 0)
        return 0

    assert run("signoff", "phase3", "--by", "Ada") == 1
    assert "refusing to sign phase3" in capsys.readouterr().err
    assert run("report", "--phase", "phase3") == 0
    assert "report.html" in capsys.readouterr().out
    assert run("report", "phase3-20260104T060000Z-0005") == 0
    assert run("report", "no-such-run") == 2
    gate_run(project_dir, catalog, url, verdict="GO", run_id="phase3-20260104T070000Z-0006")
    assert run("signoff", "phase3", "--by", "Ada", "--note", "ok") == 0
    assert "signed off phase3-20260104T070000Z-0006" in capsys.readouterr().out
