"""Sign-off by a team: two checkouts on one DuckDB warehouse see each other's runs and sign-offs.

Checkout A gates (its run folder and phasegate.gate_runs); checkout B, which has no folder of
that run, signs it by id; A sees B's sign-off, and both see every signer.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys

import pytest

from phasegate.model.catalog import load_catalog
from phasegate.report.signoff import signers
from phasegate.report.store import read_signoffs
from phasegate.state import ensure_state
from phasegate.state.history import write_gate_run
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.signoffs import gate_run, project_folder, signoff_project

RUN = "phase3-20260104T060000Z-00a1"


@pytest.fixture()
def project(tmp_path):
    return signoff_project(tmp_path)


@pytest.fixture()
def team(project, tmp_path, monkeypatch):
    """A: the project, with a GO run gated and shared; B: another checkout on the same warehouse file."""
    a_dir, catalog, url = project
    results = gate_run(a_dir, catalog, url, verdict="GO", run_id=RUN)
    wh = DuckDBWarehouse(url.removeprefix("duckdb:///"))
    ensure_state(wh)
    write_gate_run(wh, results)
    wh.close()
    b_dir = project_folder(tmp_path / "checkout-b")
    # no signer from this machine's git or gcloud unless a test says so
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    # PATH holds git alone (this machine's gcloud lives beside everything else in /usr/bin)
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "git").symlink_to(shutil.which("git"))
    monkeypatch.setenv("PATH", str(tools))
    monkeypatch.setenv("PHASEGATE_WAREHOUSE", url)
    monkeypatch.delenv("PHASEGATE_CATALOG", raising=False)
    return a_dir, b_dir, url, gitconfig


def cli(monkeypatch, capsys, folder, *args):
    from phasegate.cli import main

    monkeypatch.chdir(folder)
    monkeypatch.setattr(sys, "argv", ["phasegate", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_checkout_b_signs_a_run_of_checkout_a_and_each_sees_every_signer(team, monkeypatch, capsys):
    a_dir, b_dir, url, _ = team
    assert not list((b_dir).glob("reports/*/*"))  # B has no folder of A's run
    code, out, err = cli(monkeypatch, capsys, b_dir, "signoff", "phase3", RUN, "--by", "Bea")
    assert code == 0, err
    assert f"signed off {RUN} (phase3, GO) by Bea" in out
    assert "gated elsewhere" in out
    # written twice: B's local log and the warehouse
    assert [r["by"] for r in read_signoffs(b_dir / "reports")] == ["Bea"]
    wh = DuckDBWarehouse(url.removeprefix("duckdb:///"), read_only=True)
    rows = wh.query("SELECT run_id, phase, signed_by, host, warehouse FROM phasegate.signoffs")
    wh.close()
    assert [(r["run_id"], r["phase"], r["signed_by"]) for r in rows] == [(RUN, "phase3", "Bea")]
    assert rows[0]["host"] and rows[0]["warehouse"].startswith("duckdb:///")
    # B's index lists A's run (from the warehouse) with its signer and warehouse
    index = (b_dir / "reports" / "index.html").read_text()
    assert f'data-run="{RUN}"' in index and "signed by Bea" in index and url in index
    # A sees B's sign-off (its local log has none)
    assert read_signoffs(a_dir / "reports") == []
    assert [s["by"] for s in signers(a_dir / "reports", url, RUN)] == ["Bea"]
    # a second signer, from A: both are listed, on A's report and in A's index
    code, out, err = cli(monkeypatch, capsys, a_dir, "signoff", "phase3", "--by", "Ada")
    assert code == 0, err
    assert f"the latest GO run of phase3: {RUN}" in out
    signed_line = next(line for line in out.splitlines() if line.startswith("signed by:"))
    assert "Bea" in signed_line and "Ada" in signed_line  # in time order: a tie within a second is by name
    report = (a_dir / "reports" / "phase3" / RUN / "report.html").read_text()
    assert "Signed off by Bea" in report and "Signed off by Ada" in report
    a_index = (a_dir / "reports" / "index.html").read_text()
    assert "signed by Bea" in a_index and "signed by Ada" in a_index
    # the same person again changes nothing
    code, out, _ = cli(monkeypatch, capsys, b_dir, "signoff", "phase3", RUN, "--by", "Bea")
    assert code == 0 and "Bea already signed" in out
    wh = DuckDBWarehouse(url.removeprefix("duckdb:///"), read_only=True)
    assert wh.query("SELECT COUNT(*) AS n FROM phasegate.signoffs")[0]["n"] == 2
    wh.close()
    assert len(read_signoffs(b_dir / "reports")) == 1


def test_index_marks_only_signable_runs(team, monkeypatch, capsys):
    a_dir, _, url, _ = team
    catalog = load_catalog(a_dir / "pipeline.toml")
    gate_run(a_dir, catalog, url, verdict="NO-GO", run_id="phase3-20260104T070000Z-00b2")
    gate_run(a_dir, catalog, url, verdict="GO", run_id="phase3-20260104T080000Z-00c3",
             skip_tables=("team_offense_game_summary",))  # GO, but its checklist has gaps
    code, _, err = cli(monkeypatch, capsys, a_dir, "report", "phase3-20260104T070000Z-00b2")
    assert code == 0, err
    index = (a_dir / "reports" / "index.html").read_text()
    import re

    marks = dict(re.findall(r'data-run="([^"]+)".*?data-signable="(yes|no)"', index, re.S))
    assert marks == {RUN: "yes", "phase3-20260104T070000Z-00b2": "no", "phase3-20260104T080000Z-00c3": "no"}


def test_refusals_and_bad_run_ids(team, monkeypatch, capsys):
    a_dir, b_dir, url, _ = team
    catalog = load_catalog(a_dir / "pipeline.toml")
    gate_run(a_dir, catalog, url, verdict="NO-GO", run_id="phase3-20260104T050000Z-00d4")
    code, _, err = cli(monkeypatch, capsys, a_dir, "signoff", "phase3", "phase3-20260104T050000Z-00d4", "--by", "Ada")
    assert code == 1 and "report phase3-20260104T050000Z-00d4 is NO-GO (failing: team_offense_game_summary)" in err
    code, _, err = cli(monkeypatch, capsys, b_dir, "signoff", "phase3", "not a run!", "--by", "Ada")
    assert code == 2 and "is not a run id" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(monkeypatch, capsys, b_dir, "signoff", "phase3", "phase3-20990101T000000Z-ffff", "--by", "Ada")
    assert code == 2 and "no gate run 'phase3-20990101T000000Z-ffff'" in err
    code, _, err = cli(monkeypatch, capsys, b_dir, "signoff", "phase4", RUN, "--by", "Ada")
    assert code == 2 and f"run {RUN} is a gate run of phase3, not of phase4" in err
    assert read_signoffs(a_dir / "reports") == [] and read_signoffs(b_dir / "reports") == []


def fake_gcloud(folder, account: str):
    folder.mkdir(exist_ok=True)
    script = folder / "gcloud"
    script.write_text(f"#!/bin/sh\n[ \"$*\" = 'config get-value account' ] && echo '{account}'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return folder


def test_by_defaults_to_the_git_user_then_gcloud_else_asks(team, monkeypatch, capsys, tmp_path):
    _, b_dir, url, gitconfig = team
    code, out, err = cli(monkeypatch, capsys, b_dir, "signoff", "phase3", RUN)
    assert code == 2 and "give --by NAME" in err and len(err.strip().splitlines()) == 1
    bin_dir = fake_gcloud(tmp_path / "bin", "bea@example.com")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    code, out, err = cli(monkeypatch, capsys, b_dir, "signoff", "phase3", RUN)
    assert code == 0, err
    assert "by bea@example.com" in out
    gitconfig.write_text("[user]\n\tname = Ada Lovelace\n\temail = ada@example.com\n")
    code, out, err = cli(monkeypatch, capsys, b_dir, "signoff", "phase3", RUN)
    assert code == 0, err
    assert "by Ada Lovelace <ada@example.com>" in out
    # both listed (oldest first; two sign-offs within one second tie on time, so compared as a set)
    assert sorted(s["by"] for s in signers(b_dir / "reports", url, RUN)) == ["Ada Lovelace <ada@example.com>",
                                                                            "bea@example.com"]


def test_without_the_dataset_or_a_failed_write_the_signoff_is_kept_here_and_said(project, monkeypatch, capsys):  # noqa: F811
    a_dir, catalog, url = project
    gate_run(a_dir, catalog, url, verdict="GO", run_id=RUN)
    monkeypatch.setenv("PHASEGATE_WAREHOUSE", url)
    code, out, err = cli(monkeypatch, capsys, a_dir, "signoff", "phase3", RUN, "--by", "Ada")
    assert code == 0, err
    assert "has no phasegate dataset" in err and "sign-offs kept on this machine only" in err
    assert [r["by"] for r in read_signoffs(a_dir / "reports")] == ["Ada"]
    # the dataset exists but the write fails: said on stderr, the exit code unchanged
    wh = DuckDBWarehouse(url.removeprefix("duckdb:///"))
    ensure_state(wh)
    wh.close()
    from phasegate.state import signoffs

    def broken(warehouse, record):
        raise RuntimeError("quota exceeded")

    monkeypatch.setattr(signoffs, "write_signoff", broken)
    code, out, err = cli(monkeypatch, capsys, a_dir, "signoff", "phase3", RUN, "--by", "Bea")
    assert code == 0, err
    assert "quota exceeded" in err and "the sign-off is recorded on this machine only" in err
    assert [r["by"] for r in read_signoffs(a_dir / "reports")] == ["Ada", "Bea"]
