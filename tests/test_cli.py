"""The command line's conventions: -h, --version, env vars in help, the phase positional, --json, widths."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from phasegate.cli import run
from tests.fixtures.builders import ROOT


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_short_help_and_version(capsys):
    code, out, _ = cli(capsys, "-h")
    assert code == 0 and "gate" in out and "backfill" in out
    code, out, _ = cli(capsys, "--version")
    from phasegate import __version__

    assert code == 0 and out.strip() == f"phasegate {__version__}"
    code, out, _ = cli(capsys, "backfill", "-h")
    assert code == 0 and "--tables-parallel" in out and "--pytest-workers" in out


@pytest.mark.parametrize("command", ["gate", "status", "backfill", "run", "calendar", "init", "demo", "catalog"])
def test_every_option_read_from_the_environment_says_so_in_help(capsys, command):
    code, out, _ = cli(capsys, command, "-h")
    assert code == 0
    if command != "catalog":
        assert "PHASEGATE_WAREHOUSE" in out
    assert "PHASEGATE_CATALOG" in out


def test_the_old_ambiguous_workers_option_is_a_one_line_usage_error(capsys):
    code, out, err = cli(capsys, "gate", "phase3", "--workers", "2")
    assert code == 2 and out == "" and err.count("\n") == 1 and "--pytest-workers" in err


def test_catalog_through_a_pipe_never_breaks_a_name():
    # a narrow terminal width must not matter off a terminal: every name is on one line for grep
    env = {**os.environ, "COLUMNS": "40", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "phasegate", "catalog"], capture_output=True, text=True, cwd=ROOT,
                          env=env, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if "upcoming_team_game_context" in line]
    assert lines and all("nba_analytics.upcoming_team_game_context" in line for line in lines)


def test_a_narrow_terminal_wraps_other_columns_not_names():
    import io

    from rich.console import Console

    from phasegate.cli.terminal import make_table

    names = ["nba_analytics.upcoming_team_game_context", "nba_precompute.ml_feature_store_v2"]
    view = make_table("t", ("table", "upstream"), names={"table": names})
    for name in names:
        view.add_row(name, "a, b, c, d, e, f, g, h, i, j, k, l")
    buffer = io.StringIO()
    Console(file=buffer, width=60).print(view)
    text = buffer.getvalue()
    assert all(name in text for name in names)


def test_catalog_json_and_the_phase_positional(capsys):
    code, out, _ = cli(capsys, "catalog", "phase3", "--json")
    tables = json.loads(out)
    assert code == 0 and tables and {t["phase"] for t in tables} == {"phase3"}
    code, _, err = cli(capsys, "catalog", "phase9")
    assert code == 2 and "unknown phase 'phase9'" in err and err.count("\n") == 1


def test_runs_takes_the_phase_positionally_and_checks_it(capsys):
    catalog = str(ROOT / "pipeline.toml")
    code, out, _ = cli(capsys, "runs", "phase3", "--catalog", catalog, "--json")
    assert code == 0 and all(r["phase"] == "phase3" for r in json.loads(out))
    code, _, err = cli(capsys, "runs", "anything", "--catalog", catalog)
    assert code == 2 and "unknown phase" in err
