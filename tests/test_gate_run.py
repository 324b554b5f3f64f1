"""`run_gate` / `phasegate gate` / `phasegate status`: verdicts, exit codes and the run folder."""

from __future__ import annotations

import json
import subprocess

import pytest

from phasegate.errors import UsageError
from phasegate.gate.run import run_gate
from phasegate.model.catalog import load_catalog
from phasegate.model.exceptions import ExceptionsError
from tests.fixtures.builders import ROOT
from tests.fixtures.worlds import GATE_END as END
from tests.fixtures.worlds import GATE_START as START


def gate(url, tmp_path, phase="phase3", pytest_args=(), **kw):
    return run_gate(phase, warehouse_url=url, catalog_path=ROOT / "pipeline.toml", start=START, end=END,
                    reports_dir=tmp_path / "reports", pytest_args=pytest_args, **kw)


def jobs_by(run_dir, component):
    """table -> number of jobs of `component` recorded by every process of the run."""
    from collections import Counter

    from phasegate.gate.ledger import read_jobs

    return Counter(j.labels.get("table") for j in read_jobs(run_dir) if j.labels.get("component") == component)


def served_by(run_dir, measure):
    """table -> number of jobs that carried `measure` folded into them (label `serves`)."""
    from collections import Counter

    from phasegate.gate.ledger import read_jobs

    return Counter(j.labels.get("table") for j in read_jobs(run_dir)
                   if measure in (j.labels.get("serves") or "").split("-"))


def test_default_gate_is_one_process_with_compiled_expectations_in_two_statements_per_table(world_copy, tmp_path):
    result = gate(world_copy(), tmp_path)
    assert (result.verdict, result.exit_code) == ("GO", 0), result.text
    assert "-p no:xdist" in (result.run_dir / "pytest.log").read_text().splitlines()[0]
    data = json.loads((result.run_dir / "results.json").read_text())
    expectation_cases = [c for c in data["checks"] if c["family"] == "expectation"]
    assert len(expectation_cases) > 50 and all(c["outcome"] == "passed" for c in expectation_cases)
    cost = data["cost"]
    tables = {t.name for t in load_catalog(ROOT / "pipeline.toml").tables_of("phase3")}
    assert cost["engine"] == "compiled" and set(cost["by_table"]) == tables
    # coverage, and the one-pass checks with the audit and the suite folded in: two statements per table, no GE
    assert all(facts["total"]["jobs"] == 2 for facts in cost["by_table"].values()), cost["by_table"]
    assert jobs_by(result.run_dir, "gate") == dict.fromkeys(tables, 1)
    assert served_by(result.run_dir, "audit") == served_by(result.run_dir, "expectations") == dict.fromkeys(tables, 1)
    assert not jobs_by(result.run_dir, "expectations") and not jobs_by(result.run_dir, "audit")
    assert all(facts["audit"]["jobs"] == facts["expectations"]["jobs"] == facts["sql"]["jobs"] == 1
               for facts in cost["by_table"].values()), cost["by_table"]
    audit_cases = [c for c in data["checks"] if c["family"] == "audit"]
    assert len(audit_cases) == len(tables) and all(c["outcome"] == "passed" for c in audit_cases)
    assert not jobs_by(result.run_dir, "expectations_ge")
    assert cost["run"]["jobs"] == 10 and cost["run"]["bytes_billed"] == 0 and cost["run"]["bytes_processed"] is None
    assert "cost: 10 warehouse statements (2.0 per table)" in result.text and "nothing billed" in result.text
    assert "10 warehouse statements" in (result.run_dir / "report.html").read_text()  # summed in the report
    # per family: every catalogued family, with the statements of the measurement that served it
    from phasegate.model.families import FAMILIES

    families = cost["by_family"]
    assert set(families) == {f.name for f in FAMILIES}
    assert families["date_coverage"]["jobs"] == families["game_coverage"]["jobs"] == 5  # one coverage query a table
    assert "game_coverage" in families["date_coverage"]["shared_with"]
    assert families["expectation"]["jobs"] == 5 and families["key_uniqueness"]["jobs"] == 5
    assert families["audit"]["jobs"] == 5  # one re-run of the processor a table (in the checks statement)
    assert families["schema"]["jobs"] == 0 and families["schema"]["bytes_billed"] == 0
    assert "cost by family" in (result.run_dir / "report.html").read_text()


def test_a_broken_value_fails_its_compiled_expectation(world_copy, tmp_path):
    url = world_copy("UPDATE nba_analytics.player_game_summary SET points = -3 "
               "WHERE game_date = DATE '2023-11-15' AND points = (SELECT MIN(points) FROM nba_analytics.player_game_summary "
               "WHERE game_date = DATE '2023-11-15')")
    result = gate(url, tmp_path, pytest_args=("-k", "test_expectation"))
    assert (result.verdict, result.exit_code) == ("NO-GO", 1), result.text
    failed = [c for c in result.results.checks if c.outcome == "failed"]
    warned = [c for c in result.results.checks if c.outcome == "warned"]
    # the physical range (0..100, error) fails; the statistical band (0..75, mostly 0.9999, warn) sees the -3 too
    # and is shown as a warning
    assert {c.name for c in failed} == {"test_expectation[player_game_summary-expect_column_values_to_be_between-points]"}
    assert {c.name for c in warned} == {
        "test_expectation[player_game_summary-expect_column_values_to_be_between-points-2]"}
    assert all("-3" in c.message and "unexpected" in c.message for c in failed + warned)


def test_a_value_outside_a_warn_band_only_warns_and_fails_nothing(world_copy, tmp_path):
    # 80 points: inside the physical limit (error, 0..100), outside the statistical band (warn, 0..75 mostly 0.9999)
    url = world_copy("UPDATE nba_analytics.player_game_summary SET points = 80 "
               "WHERE game_date = DATE '2023-11-15' AND player_lookup = (SELECT MIN(player_lookup) "
               "FROM nba_analytics.player_game_summary WHERE game_date = DATE '2023-11-15' AND points IS NOT NULL)")
    result = gate(url, tmp_path, pytest_args=("-k", "test_expectation and player_game_summary"))
    # a selection (-k) is PARTIAL at best: what ran passed, the warning is counted and shown, nothing failed
    assert (result.verdict, result.exit_code) == ("PARTIAL", 3), result.text
    assert result.results.summary.warned == 1 and result.results.summary.failed == 0
    (warned,) = [c for c in result.results.checks if c.outcome == "warned"]
    assert warned.name.endswith("expect_column_values_to_be_between-points-2]") and "80" in warned.message
    head = result.text.splitlines()[0]
    assert head.startswith("phase3: PARTIAL — 1 warning, 0 failed"), head
    assert "warning:" in result.text and "player_game_summary" in result.text
    html = (result.run_dir / "report.html").read_text()
    assert 'id="warnings"' in html and "1 warned (not blocking)" in html


def test_ge_engine_with_data_docs(world_copy, tmp_path):
    # Data Docs render Great Expectations' own results: asking for them runs the suites through GE
    result = gate(world_copy(), tmp_path, pytest_args=("-k", "team_offense_game_summary and test_expectation"), data_docs=True)
    assert (result.verdict, result.exit_code) == ("PARTIAL", 3), result.text  # a selection: what ran passed
    assert result.results.cost["engine"] == "ge"
    assert jobs_by(result.run_dir, "expectations_ge")["team_offense_game_summary"] > 3
    assert not jobs_by(result.run_dir, "expectations")
    assert (result.run_dir / "data_docs" / "index.html").is_file()
    with pytest.raises(UsageError, match="--data-docs"):
        gate(world_copy(), tmp_path, data_docs=True, expectations_engine="compiled")


def test_go_on_clean_data(world_copy, tmp_path):
    result = gate(world_copy(), tmp_path, workers=2)
    assert (result.verdict, result.exit_code) == ("GO", 0), result.text
    # two xdist workers, every table (suite included) still measured exactly once
    for component in ("coverage", "gate"):
        assert set(jobs_by(result.run_dir, component).values()) == {1}, component
    assert set(served_by(result.run_dir, "expectations").values()) == {1}  # folded into the checks statement
    assert result.run_dir.parent == (tmp_path / "reports" / "phase3").resolve()
    assert result.run_dir.name.startswith("phase3-") and (result.run_dir / "junit.xml").exists()
    data = json.loads((result.run_dir / "results.json").read_text())
    assert data["run_id"] == result.run_dir.name and data["verdict"] == "GO"
    assert {"window", "warehouse", "started_at", "finished_at", "duration_s", "git_commit", "catalog_fingerprint",
            "exceptions_fingerprint", "tables", "checks", "exceptions_applied", "summary"} <= set(data)
    assert "@" not in "".join(c["nodeid"] for c in data["checks"])  # xdist group suffixes are stripped


def test_no_go_names_the_failing_table_and_its_first_missing_dates(world_copy, tmp_path):
    url = world_copy("DELETE FROM nba_analytics.team_defense_game_summary "
               "WHERE game_date BETWEEN DATE '2023-11-10' AND DATE '2023-11-20'")
    result = gate(url, tmp_path, workers=2)
    assert (result.verdict, result.exit_code) == ("NO-GO", 1)
    assert list(result.failing_tables) == ["team_defense_game_summary"]
    assert "2023-11-10..2023-11-20" in result.failing_tables["team_defense_game_summary"]
    assert "NO-GO" in result.text and "team_defense_game_summary" in result.text


def test_query_errors_without_failures_cannot_validate(world_copy, tmp_path):
    result = gate(world_copy("DROP TABLE nba_raw.nbac_schedule"), tmp_path, workers=1)
    assert (result.verdict, result.exit_code) == ("ERROR", 3), result.text
    assert "could not validate" in result.text


def test_a_missing_warehouse_file_is_a_usage_error_before_anything_runs(tmp_path):
    # a mistyped path is not "the warehouse is down": exit 2, and no file or report is created
    with pytest.raises(UsageError, match="does not exist"):
        gate(f"duckdb:///{tmp_path}/absent.duckdb", tmp_path, workers=1)
    assert not (tmp_path / "absent.duckdb").exists() and not (tmp_path / "reports").exists()


def test_no_tests_collected_is_never_a_go(world_copy, tmp_path):
    result = gate(world_copy(), tmp_path, workers=1, pytest_args=("-k", "no_such_case"))
    assert (result.verdict, result.exit_code) == ("ERROR", 3)
    assert "no gate case ran: nothing was validated" in result.text


def test_usage_errors_before_anything_runs(tmp_path):
    bad = tmp_path / "exceptions.toml"
    bad.write_text("[[exceptions]\n")
    with pytest.raises(ExceptionsError) as info:
        gate("duckdb:///x.duckdb", tmp_path, exceptions_path=bad)
    assert info.value.exit_code == 2
    with pytest.raises(UsageError):
        gate("duckdb:///x.duckdb", tmp_path, phase="phase9")
    with pytest.raises(UsageError):
        gate("postgres://x", tmp_path)


def test_cli_status_and_gate_exit_codes(world_copy, tmp_path):
    url = world_copy("DELETE FROM nba_analytics.upcoming_team_game_context WHERE game_date >= DATE '2023-11-25'")
    pg = str(ROOT / ".venv" / "bin" / "phasegate")
    window = ["--start-date", START.isoformat(), "--end-date", END.isoformat()]
    status = subprocess.run([pg, "status", "phase3", "--warehouse", url, "--json", *window],
                            capture_output=True, text=True, cwd=ROOT, check=False)
    assert status.returncode == 1, status.stderr  # incomplete: exit 1
    facts = json.loads(status.stdout)["tables"]["upcoming_team_game_context"]
    assert facts["covered_dates"] < facts["expected_dates"] and not facts["ok"]
    assert facts["missing_ranges"].startswith("2023-11-25..")
    assert json.loads(status.stdout)["tables"]["player_game_summary"]["ok"]
    bad = tmp_path / "bad.toml"
    bad.write_text("nope = 1\n")
    usage = subprocess.run([pg, "gate", "phase3", "--warehouse", url, "--exceptions", str(bad), *window],
                           capture_output=True, text=True, cwd=ROOT, check=False)
    assert usage.returncode == 2 and "unknown top-level" in usage.stderr and usage.stderr.count("\n") == 1


def test_bigquery_budget_check_opens_the_warehouse_once(monkeypatch, tmp_path):
    # the byte estimate and the cap come from one warehouse connection; over the cap nothing runs
    import phasegate.warehouse

    opened = []

    from phasegate.warehouse import Capabilities

    class FakeBigQuery:
        capabilities = Capabilities(dialect="bigquery", handover_writes=False, job_labels=True, dry_run_bytes=True,
                                    max_workers=4, max_run_bytes=1_000)

        url = "bigquery://proj"

        def dry_run_bytes(self, sql, params):
            return 10_000

        def columns(self, dataset, table):
            return {}

        def close(self):
            pass

    def fake_open(url, read_only=False):
        opened.append(url)
        return FakeBigQuery()

    monkeypatch.setattr(phasegate.warehouse, "open_warehouse", fake_open)
    with pytest.raises(UsageError, match="over the cap"):
        run_gate("phase3", warehouse_url="bigquery://proj", catalog_path=ROOT / "pipeline.toml", start=START, end=END,
                 reports_dir=tmp_path)
    assert opened == ["bigquery://proj"]
    assert not any(tmp_path.iterdir())  # refused before a run folder or a pytest process


def test_status_agrees_with_the_gate_on_rows_without_a_game(world_copy):
    # a postponed game written on its original date fails the gate's game_coverage: status must not say ok
    from typer.testing import CliRunner

    from phasegate.cli import app

    url = world_copy("INSERT INTO nba_analytics.team_offense_game_summary "
               "SELECT * REPLACE (DATE '2023-11-23' AS game_date) FROM nba_analytics.team_offense_game_summary "
               "WHERE game_date = DATE '2023-11-22' LIMIT 2")
    window = ["--start-date", START.isoformat(), "--end-date", END.isoformat()]
    result = CliRunner().invoke(app, ["status", "phase3", "--warehouse", url, "--json", *window])
    assert result.exit_code == 1, result.output  # a table is incomplete: status says so in its exit code
    assert json.loads(result.output)["complete"] is False
    tables = json.loads(result.output)["tables"]
    assert not tables["team_offense_game_summary"]["ok"]
    assert tables["player_game_summary"]["ok"]


def test_summary_names_the_real_reason_when_coverage_is_met():
    # date_coverage also fails on an expired exception: the one-liner must not claim coverage is below threshold
    from phasegate.gate.run import summarize

    message = ("team_defense_game_summary: exception #1 (team_defense_game_summary: 2023-11-10) is not applied: "
               "expired on 2024-01-31 — fix or remove it in exceptions.toml")
    results = {
        "phase": "phase3", "verdict": "NO-GO", "window": {"start": "2023-10-24", "end": "2023-12-08"},
        "summary": {"failed": 1, "passed": 0, "error": 0, "total": 1},
        "tables": {"team_defense_game_summary": {"coverage": {
            "covered_dates": 30, "expected_dates": 30, "date_ratio": 1.0, "date_threshold": 0.95,
            "missing_ranges": ""}}},
        "checks": [{"table": "team_defense_game_summary", "family": "date_coverage", "outcome": "failed",
                    "message": message}],
    }
    failing, text = summarize(results)
    assert "expired on 2024-01-31" in failing["team_defense_game_summary"]
    assert "< 95%" not in text


def test_dry_run_estimate_refuses_a_reversed_window():
    from phasegate.gate.run import estimate_gate

    with pytest.raises(UsageError, match="is after --end-date"):
        estimate_gate("phase3", warehouse_url="duckdb:///unused.duckdb", catalog_path=ROOT / "pipeline.toml",
                      start=END, end=START)
