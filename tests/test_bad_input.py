"""Bad input writes nothing and says one line (exit 2), everywhere (issue 14, item 5).

An adversarial corpus of command lines, catalogs and exceptions files, run in-process through
`phasegate.cli.run` against one small project (the repository's catalog and files, copied) and
one shared warehouse. Every case asserts: exit code 2, exactly one line on stderr and nothing on
stdout, no traceback, no "internal error", and nothing created or changed in the project folder
(the warehouse's size, mtime and at the end its content hash; no .phasegate/ or reports/ artefact;
no new warehouse file or folder).

The option cases are generated from the commands themselves (every option of every command, by
the kind of value it takes), so an option added later is covered the day it lands. A few cases
run as real processes too (real argv bytes, real exit code).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from phasegate.cli import app, run
from tests.fixtures.builders import ROOT
from tests.fixtures.worlds import build_world

LONG = "x" * 10_000
# values no option can mean: empty, blank, a NUL byte, bytes that are not UTF-8 (as Python
# receives them from argv: surrogate escapes), a newline
UNIVERSAL = {"empty": "", "blank": "  ", "nul": "a\x00b", "non-utf8": "\udcff\udcfe", "newline": "a\nb"}
DATES = {
    **UNIVERSAL, "year-1": "0001-01-01", "year-9999": "9999-12-31", "feb-30": "2024-02-30", "month-13": "2024-13-01",
    "no-padding": "2024-1-1", "compact": "20240101", "iso-week": "2024-W01-1", "datetime": "2024-01-01T00:00",
    "nan": "nan", "inf": "inf", "minus-1": "-1", "zero": "0", "1e9": "1e9", "long": LONG, "word": "tomorrow",
    "range": "2024-01-01..2024-01-05", "glob": "2024-*", "trailing-space": "2024-01-01 x",
}
DATE_LISTS = {
    **UNIVERSAL, "comma": ",", "commas": ",,", "dots": "..", "open-end": "2024-01-01..", "open-start": "..2024-01-01",
    "reversed": "2024-01-05..2024-01-01", "year-1-to-9999": "0001-01-01..9999-12-31", "feb-30": "2024-02-30",
    "one-bad": "2024-01-01,2024-02-30", "three-dots": "2024-01-01...2024-01-02",
    "two-ranges-in-one": "2024-01-01..2024-01-02..2024-01-03", "long": LONG, "nan": "nan",
    "every-day-since-1946": "1946-11-01..2199-12-31", "twenty-years": "2010-01-01..2030-12-31",
}
WAREHOUSES = {
    **UNIVERSAL, "no-path": "duckdb://", "root-only": "duckdb:///", "missing-folder": "duckdb:///nonexistent/dir/w.duckdb",
    "typo-file": "duckdb:///typo.duckdb", "mode-ro-typo": "duckdb:///typo.duckdb?mode=ro",
    "mode-ro": "duckdb:///warehouse.duckdb?mode=ro", "memory": "duckdb:///:memory:", "sqlite": "sqlite:///w.db",
    "http": "http://x", "bare-path": "warehouse.duckdb", "bigquery-empty": "bigquery://", "bigquery-slash": "bigquery:///",
    "bigquery-space": "bigquery://bad project", "bigquery-option": "bigquery://proj-1?colour=red",
    "bigquery-timeout-nan": "bigquery://proj-1?timeout=nan", "long-path": "duckdb:///" + LONG,
    "folder": "duckdb:///.", "subfolder": "duckdb:///checks", "toml-file": "duckdb:///pipeline.toml",
    "system-file": "duckdb:////etc/hostname", "postgres": "postgres://x/y", "upper-scheme": "DUCKDB:///warehouse.duckdb",
    "traversal": "duckdb:///../../../../nonexistent/w.duckdb",
}
# only `init` and `demo` create a warehouse: for them a new file in an existing folder is fine
CREATES = {"typo-file", "memory", "traversal"}
PATHS = {
    **UNIVERSAL, "dot": ".", "folder": "checks", "dev-null": "/dev/null", "system-file": "/etc/hostname",
    "binary": "warehouse.duckdb", "python-file": "checks/phase3/test_gate.py", "missing": "nonexistent.toml",
    "long": LONG, "long-folder": "/" + "a" * 300 + "/x.toml", "traversal": "../../../../nonexistent/x.toml",
    "dash": "-",
}
CATALOG_SWAPS = {"exceptions-as-catalog": "exceptions.toml"}
EXCEPTIONS_SWAPS = {"catalog-as-exceptions": "pipeline.toml"}
OUTPUTS = {**UNIVERSAL, "folder": "checks", "missing-folder": "nonexistent/dir/suite.json", "long": LONG,
           "existing": "pipeline.toml"}
PHASES = {
    **UNIVERSAL, "unknown": "phase9", "glob": "phase3-*", "star": "*", "upper": "PHASE3", "trailing-space": "phase3 ",
    "traversal": "../phase3", "long": LONG, "sql": "phase3;DROP TABLE x", "dash-number": "-1", "question": "phase?",
}
TABLES = {**UNIVERSAL, "unknown": "nope", "star": "*", "glob": "team_*", "long": LONG,
          "dataset-qualified": "nba_analytics.player_game_summary",
          "other-phase": "ml_feature_store_v2", "raw-schedule": "nbac_schedule"}
RUN_IDS = {**UNIVERSAL, "glob": "phase3-*", "star": "*", "question": "?", "dotdot": "..", "traversal": "../..",
           "absolute": "/etc/passwd", "long": LONG, "unknown": "nope", "dash": "-", "slash": "phase3/x"}
INTS = {"empty": "", "word": "x", "fraction": "1.5", "nan": "nan", "inf": "inf", "minus-inf": "-inf", "1e9": "1e9",
        "huge": "99999999999999999999999", "hex": "0x10"}
FLOATS = {"empty": "", "word": "x", "nan": "nan", "NaN": "NaN", "inf": "inf", "minus-inf": "-inf", "1e309": "1e309"}

# Each command with arguments that make it valid (so a case fails only on the value it adds).
BASES = {
    "catalog": ["catalog"],
    "calendar": ["calendar"],
    "status": ["status", "phase3"],
    "gate": ["gate", "phase3"],
    "gate-dry-run": ["gate", "phase3", "--dry-run"],
    "backfill-dry-run": ["backfill", "phase3", "--dry-run"],
    "backfill": ["backfill", "phase3", "--yes", "--no-gate"],
    "run-dry-run": ["run", "phase4", "--dry-run"],
    "run": ["run", "phase4", "--yes", "--no-gate"],
    "runs": ["runs"],
    "runs-show": ["runs", "show", "phase3-20990101T000000Z-abcd"],
    "report": ["report", "phase3"],
    "signoff": ["signoff", "phase3", "--by", "Jane Doe"],
    "init": ["init", "phase2"],
    "demo": ["demo", "--scenario", "raw", "-w", "duckdb:///new-demo.duckdb"],
    "exceptions-suggest": ["exceptions", "suggest", "phase3"],
    "exceptions-suggest-write": ["exceptions", "suggest", "phase3", "--write"],
    "expectations-check": ["expectations", "check"],
    "expectations-scaffold": ["expectations", "scaffold", "team_offense_game_summary", "-o", "suite.json"],
}
NAMED_KINDS = {"start_date": DATES, "end_date": DATES, "dates": DATE_LISTS, "warehouse": WAREHOUSES,
               "catalog": {**PATHS, **CATALOG_SWAPS}, "exceptions": {**PATHS, **EXCEPTIONS_SWAPS}, "output": OUTPUTS,
               "table": TABLES, "phase": PHASES, "phase_option": PHASES, "run": RUN_IDS, "target": RUN_IDS}


def _command(path: list[str]):
    cmd = typer.main.get_command(app)
    for word in path:
        cmd = cmd.commands[word]
    return cmd


def _command_path(base: list[str]) -> list[str]:
    path, cmd = [], typer.main.get_command(app)
    for word in base:
        if not hasattr(cmd, "commands") or word not in cmd.commands:
            break
        path.append(word)
        cmd = cmd.commands[word]
    return path


def _values_for(param) -> dict[str, str]:
    """The bad values of one option, by what it takes."""
    if param.name in NAMED_KINDS:
        values = dict(NAMED_KINDS[param.name])
        return {k: v for k, v in values.items() if not (k == "dash-number" and param.name == "phase_option")}
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    text = str(annotation)
    if "int" in text and "str" not in text:
        values = dict(INTS)
        if param.min is not None:
            values["below-min"] = str(param.min - 1)
        if param.max is not None:
            values["above-max"] = str(param.max + 1)
        return values
    if "float" in text:
        values = dict(FLOATS)
        if param.min is not None:
            values["below-min"] = str(param.min - 0.5)
        if param.max is not None:
            values["above-max"] = str(param.max * 10 + 1)
        return values
    return dict(UNIVERSAL)


# Each (command, option) takes PER_OPTION of its kind's values, rotating through the list from
# command to command: every value of every kind runs against several commands, and the corpus
# stays fast (the values are checked where they are parsed, once for every command).
PER_OPTION = 3


def _rotate(values: dict[str, str], turn: int) -> dict[str, str]:
    items = list(values.items())
    start = (turn * PER_OPTION) % len(items)
    return dict((items + items)[start:start + min(PER_OPTION, len(items))])


def option_cases() -> list[tuple[str, list[str]]]:
    cases = []
    for turn, (base_name, base) in enumerate(BASES.items()):
        cmd = _command(_command_path(base))
        for param in cmd.params:
            if getattr(param, "hidden", False) and param.name != "phase_option":
                continue
            opts = [o for o in param.opts if o.startswith("--")] or list(param.opts)
            if param.name in ("help",):
                continue
            if getattr(param, "is_flag", False):
                if opts and opts[0].startswith("--"):
                    cases.append((f"{base_name} {opts[0]}=value", [*base, f"{opts[0]}=yes"]))
                continue
            if not opts[0].startswith("-"):
                continue  # positionals: see positional_cases
            values = _values_for(param)
            if param.name == "warehouse" and base_name in ("init", "demo"):
                values = {k: v for k, v in values.items() if k not in CREATES}
            for kind, value in _rotate(values, turn).items():
                if param.name == "warehouse" and base_name in ("init", "demo") and kind in CREATES:
                    continue
                if param.name == "table" and base_name.startswith("run") and kind == "other-phase":
                    continue  # a phase-4 table is right for `run phase4`
                cases.append((f"{base_name} {opts[0]} {kind}", [*base, opts[0], value]))
        cases.append((f"{base_name} unknown option", [*base, "--no-such-option"]))
        cases.append((f"{base_name} unknown option=value", [*base, "--no-such-option=1"]))
    return cases


POSITIONALS = {  # command -> (argv before, argv after, the values)
    "status": (["status"], [], PHASES), "gate": (["gate"], [], PHASES), "gate-dry-run": (["gate"], ["--dry-run"], PHASES),
    "backfill": (["backfill"], ["--dry-run"], PHASES), "run": (["run"], ["--dry-run"], PHASES),
    "exceptions-suggest": (["exceptions", "suggest"], [], PHASES), "init": (["init"], [], PHASES),
    "catalog": (["catalog"], [], PHASES), "runs": (["runs"], [], PHASES),
    "signoff": (["signoff"], ["--by", "Jane Doe"], PHASES), "report": (["report"], [], RUN_IDS),
    "runs-show": (["runs", "show"], [], RUN_IDS),
    "expectations-scaffold": (["expectations", "scaffold"], ["-o", "suite.json"], TABLES),
}


def positional_cases() -> list[tuple[str, list[str]]]:
    cases = []
    for turn, (name, (before, after, values)) in enumerate(POSITIONALS.items()):
        values = {k: v for k, v in values.items() if not (name == "expectations-scaffold" and k in ("other-phase", "raw-schedule"))}
        for kind, value in list(values.items())[turn % 3::2]:
            if name == "runs" and kind == "dash-number":
                continue  # `runs -1` is an option to Click, covered by the unknown-option cases
            cases.append((f"{name} positional {kind}", [*before, value, *after]))
    return cases


OTHER_CASES = [
    ("no such command", ["bogus"]),
    ("empty command", [""]),
    ("exceptions without subcommand", ["exceptions", "bogus"]),
    ("expectations bogus", ["expectations", "bogus"]),
    ("gate without phase", ["gate"]),
    ("status without phase", ["status"]),
    ("backfill without phase", ["backfill"]),
    ("runs show without id", ["runs", "show"]),
    # (without --by the signer is the git user; no git user nor gcloud: tests/test_signoff_team.py)
    ("signoff of a phase with no run", ["signoff", "phase3"]),
    ("scaffold without table", ["expectations", "scaffold"]),
    ("status reversed window", ["status", "phase3", "--start-date", "2024-01-05", "--end-date", "2024-01-01"]),
    ("gate reversed window", ["gate", "phase3", "--start-date", "2024-01-05", "--end-date", "2024-01-01"]),
    ("backfill reversed window", ["backfill", "phase3", "--yes", "--start-date", "2024-01-05", "--end-date", "2024-01-01"]),
    ("backfill --json without --dry-run", ["backfill", "phase3", "--json", "--yes"]),
    ("backfill dates outside the window", ["backfill", "phase3", "--yes", "--dates", "2024-01-01",
                                           "--start-date", "2024-02-01", "--end-date", "2024-03-01"]),
    ("backfill without confirmation", ["backfill", "phase3"]),
    ("run without confirmation", ["run", "phase4"]),
    ("backfill raw phase table", ["backfill", "phase3", "--yes", "--table", "nbac_schedule"]),
    ("gate --expectations-engine bogus", ["gate", "phase3", "--expectations-engine", "bogus"]),
    ("demo unknown scenario", ["demo", "--scenario", "everything", "-w", "duckdb:///new-demo.duckdb"]),
    ("demo --games-scale 0.5", ["demo", "--games-scale", "0.5", "-w", "duckdb:///new-demo.duckdb"]),
    ("demo --games-scale 1e9", ["demo", "--games-scale", "1e9", "-w", "duckdb:///new-demo.duckdb"]),
    ("demo --extra-seasons 1000", ["demo", "--extra-seasons", "1000", "-w", "duckdb:///new-demo.duckdb"]),
    ("demo --seed -1", ["demo", "--seed", "-1", "-w", "duckdb:///new-demo.duckdb"]),
    ("init phase3 on a new file", ["init", "phase3", "-w", "duckdb:///new-init.duckdb"]),
    ("init on a new file", ["init", "-w", "duckdb:///new-init.duckdb"]),
    ("scaffold existing suite", ["expectations", "scaffold", "team_offense_game_summary"]),
    ("scaffold unknown table", ["expectations", "scaffold", "nope_table"]),
    ("runs --limit 0", ["runs", "--limit", "0"]),
    ("runs --phase anything", ["runs", "--phase", "anything"]),
]

# -- catalogs and exceptions files with bad content ------------------------------------------

BASE_CATALOG = (ROOT / "pipeline.toml").read_text()
PDC = 'processor = "backfill/phase4/player_daily_cache.sql"'


def _swap(old: str, new: str) -> str:
    assert old in BASE_CATALOG, old
    return BASE_CATALOG.replace(old, new, 1)


BAD_CATALOGS = {
    "empty": "", "binary": "\x00\x01\x02", "not-toml": "this is not = = toml",
    "datasets-not-identifiers": _swap('datasets = ["nba_raw"]', 'datasets = ["nba raw; DROP TABLE x"]'),
    "datasets-a-string": _swap('datasets = ["nba_raw"]', 'datasets = "nba_raw"'),
    "datasets-numbers": _swap('datasets = ["nba_raw"]', "datasets = [1]"),
    "phase-cycle": _swap("[phases.phase2]\n", '[phases.phase2]\nupstream_phase = "phase4"\n'),
    "phase-upstream-itself": _swap("[phases.phase2]\n", '[phases.phase2]\nupstream_phase = "phase2"\n'),
    "phase-upstream-unknown": _swap('upstream_phase = "phase2"', 'upstream_phase = "phase9"'),
    "table-cycle": _swap('upstream = ["nbac_team_boxscore", "nbac_schedule"]',
                         'upstream = ["nbac_team_boxscore", "nbac_schedule", "player_game_summary"]'),
    "table-upstream-itself": _swap('upstream = ["team_defense_game_summary", "nbac_schedule"]',
                                   'upstream = ["team_defense_zone_analysis", "nbac_schedule"]'),
    "processor-outside-project": _swap(PDC, 'processor = "../../../../etc/passwd"'),
    "processor-absolute": _swap(PDC, 'processor = "/etc/passwd"'),
    "processor-not-sql": _swap(PDC, 'processor = "pipeline.toml"'),
    "processor-folder": _swap(PDC, 'processor = "backfill/phase4"'),
    "processor-empty": _swap(PDC, 'processor = ""'),
    "processor-missing-file": _swap(PDC, 'processor = "backfill/phase4/player_daily_cash.sql"'),
    "command-program-missing": _swap(PDC, 'processor = ["/nonexistent/job", "{start}"]'),
    "command-program-not-on-path": _swap(PDC, 'processor = ["no-such-program-xyz", "{start}"]'),
    "command-empty": _swap(PDC, "processor = []"),
    "command-empty-program": _swap(PDC, 'processor = [""]'),
    "command-numbers": _swap(PDC, "processor = [1, 2]"),
    "processor-number": _swap(PDC, "processor = 5"),
    "duplicate-table": BASE_CATALOG + '\n[tables.nbac_schedule]\nphase = "phase2"\n',
    "grain-wrong-type": _swap('grain = "team-date"\n', "grain = 5\n"),
    "default-date-a-word": _swap("default_start_date = 2021-10-19", 'default_start_date = "yesterday"'),
    "default-date-year-1": _swap("default_start_date = 2021-10-19", "default_start_date = 0001-01-01"),
    "default-date-year-9999": _swap("default_start_date = 2021-10-19", "default_start_date = 9999-12-31"),
    "default-window-reversed": _swap("default_start_date = 2021-10-19", "default_start_date = 2027-01-01\ndefault_end_date = 2026-01-03"),
    "bootstrap-negative": _swap("bootstrap_days = 14", "bootstrap_days = -1"),
    "rows-nan": _swap("rows_per_game = [2, 2]", "rows_per_game = [nan, 2]"),
    "rows-fraction": _swap("rows_per_game = [2, 2]", "rows_per_game = [1.5, 2]"),
    "rows-huge": _swap("rows_per_game = [2, 2]", "rows_per_game = [2, 99999999999999999999]"),
    "rows-reversed": _swap("rows_per_game = [2, 2]", "rows_per_game = [3, 2]"),
    "schedule-unknown": _swap('schedule_table = "nbac_schedule"', 'schedule_table = "nope"'),
    "checks-dir-empty": _swap("[settings]\n", '[settings]\nchecks_dir = ""\n'),
    "table-name-not-identifier": _swap("[tables.nbac_schedule]", '[tables."nbac schedule"]'),
    "phase-name-not-identifier": _swap("[phases.phase2]", '[phases."phase 2"]'),
    "dataset-very-long": _swap('dataset = "nba_analytics"', 'dataset = "' + "a" * 5000 + '"'),
    "dataset-non-ascii": _swap('dataset = "nba_analytics"', 'dataset = "nba_analytícs"'),
    "dataset-nul": _swap('dataset = "nba_analytics"', 'dataset = "nba\\u0000x"'),
    "table-phase-unknown": _swap('phase = "phase3"', 'phase = "phase9"'),
    "unknown-section": "[sttings]\n" + BASE_CATALOG,
    "unknown-field": _swap('grain = "team-date"\n', 'grain = "team-date"\nthreshhold = 0.9\n'),
}
CATALOG_COMMANDS = {"catalog": ["catalog"], "status": ["status", "phase3"], "gate": ["gate", "phase3"],
                    "backfill": ["backfill", "phase3", "--yes", "--no-gate"], "init": ["init", "phase2"]}

BAD_EXCEPTIONS = {
    "binary": "\x00\x01", "not-toml": "= = =", "unknown-key": "[other]\nx = 1\n",
    "not-an-array": 'exceptions = "x"\n', "unknown-table": '[[exceptions]]\ntable = "nope"\ndates = ["2024-01-01"]\n',
    "bad-date": '[[exceptions]]\ntable = "player_game_summary"\ndates = ["2024-02-30"]\n',
    "unknown-field": '[[exceptions]]\ntable = "player_game_summary"\ncolour = "red"\n',
    "no-table": '[[exceptions]]\ndates = ["2024-01-01"]\n',
}
EXCEPTIONS_COMMANDS = {"status": ["status", "phase3"], "gate": ["gate", "phase3"],
                       "backfill": ["backfill", "phase3", "--yes", "--no-gate"],
                       "exceptions-suggest-write": ["exceptions", "suggest", "phase3", "--write"]}


def content_cases() -> list[tuple[str, list[str]]]:
    cases = []
    commands = list(CATALOG_COMMANDS.items())
    for turn, name in enumerate(BAD_CATALOGS):
        for cmd, argv in (commands[0], commands[1 + turn % (len(commands) - 1)]):
            cases.append((f"catalog {name} / {cmd}", [*argv, "--catalog", f"bad-catalogs/{name}/pipeline.toml"]))
    for name in BAD_EXCEPTIONS:
        for cmd, argv in EXCEPTIONS_COMMANDS.items():
            cases.append((f"exceptions {name} / {cmd}", [*argv, "--exceptions", f"bad-exceptions/{name}.toml"]))
    return cases


ENV_CASES = [
    ("PHASEGATE_WAREHOUSE empty", {"PHASEGATE_WAREHOUSE": ""}, ["backfill", "phase3", "--yes", "--no-gate"]),
    ("PHASEGATE_WAREHOUSE blank", {"PHASEGATE_WAREHOUSE": " "}, ["status", "phase3"]),
    ("PHASEGATE_WAREHOUSE typo", {"PHASEGATE_WAREHOUSE": "duckdb:///typo.duckdb"}, ["backfill", "phase3", "--yes"]),
    ("PHASEGATE_WAREHOUSE typo on gate", {"PHASEGATE_WAREHOUSE": "duckdb:///typo.duckdb"}, ["gate", "phase3"]),
    ("PHASEGATE_CATALOG empty", {"PHASEGATE_CATALOG": ""}, ["backfill", "phase3", "--yes"]),
    ("PHASEGATE_CATALOG folder", {"PHASEGATE_CATALOG": "checks"}, ["catalog"]),
    ("PHASEGATE_CATALOG missing", {"PHASEGATE_CATALOG": "nonexistent.toml"}, ["status", "phase3"]),
]

CASES = [*option_cases(), *positional_cases(), *OTHER_CASES, *content_cases()]
ENV_FREE = ("PHASEGATE_WAREHOUSE", "PHASEGATE_CATALOG", "PHASEGATE_DEBUG")


# -- the project and the checks ----------------------------------------------------------------

_FOLDERS: dict[str, list[str]] = {}


def _state(root: Path) -> dict[str, tuple]:
    """What a write would change under root: every folder's mtime (a file or folder created or
    removed in it changes it) and every file's size and mtime. Folders are listed once per root,
    files re-listed per call, so a case costs a few hundred stats, not a walk."""
    key = str(root)
    if key not in _FOLDERS:
        _FOLDERS[key] = [folder for folder, _, _ in os.walk(root)]
    out: dict[str, tuple] = {}
    for folder in _FOLDERS[key]:
        try:
            st = os.lstat(folder)
            out[folder] = ("dir", st.st_mtime_ns)
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_file(follow_symlinks=False):
                        st = entry.stat(follow_symlinks=False)
                        out[entry.path] = (st.st_size, st.st_mtime_ns)
        except FileNotFoundError:
            out[folder] = ("gone",)
    return out


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The repository's project files (copied) and a small warehouse, plus the bad files the cases name."""
    root = tmp_path_factory.mktemp("bad_input") / "project"
    root.mkdir()
    for name in ("pipeline.toml", "exceptions.toml", "conftest.py"):
        shutil.copy2(ROOT / name, root / name)
    for name in ("backfill", "checks", "expectations"):
        shutil.copytree(ROOT / name, root / name)
    world = build_world(tmp_path_factory.getbasetemp() / "gate_world.duckdb")
    shutil.copy2(world, root / "warehouse.duckdb")
    for name, text in BAD_CATALOGS.items():
        folder = root / "bad-catalogs" / name
        folder.mkdir(parents=True)
        (folder / "pipeline.toml").write_text(text)
        (folder / "backfill").symlink_to(root / "backfill")
    (root / "bad-exceptions").mkdir()
    for name, text in BAD_EXCEPTIONS.items():
        (root / "bad-exceptions" / f"{name}.toml").write_text(text)
    return root


@pytest.fixture(scope="module")
def warehouse_digest(project) -> str:
    return _digest(project / "warehouse.duckdb")


def _check(project: Path, monkeypatch, capsys, argv: list[str], env: dict[str, str] | None = None) -> None:
    for name in ENV_FREE:
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(project)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    before = _state(project.parent)
    code = run(argv)
    out, err = capsys.readouterr()
    after = _state(project.parent)
    changed = sorted(p.removeprefix(str(project.parent)) for p in set(before) | set(after)
                     if before.get(p) != after.get(p))
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, f"exit {code}: {err[-500:]}"
    assert len(lines) == 1, f"{len(lines)} lines on stderr: {err[-800:]}"
    assert not out.strip(), f"stdout: {out[:300]}"
    assert "Traceback" not in err and "internal error" not in err, err
    assert not changed, f"changed: {changed[:10]}"


@pytest.mark.parametrize("argv", [pytest.param(argv, id=name) for name, argv in CASES])
def test_bad_command_line_is_one_line_exit_2_and_changes_nothing(project, monkeypatch, capsys, argv):
    _check(project, monkeypatch, capsys, argv)


@pytest.mark.parametrize("env, argv", [pytest.param(env, argv, id=name) for name, env, argv in ENV_CASES])
def test_bad_environment_is_one_line_exit_2_and_changes_nothing(project, monkeypatch, capsys, env, argv):
    _check(project, monkeypatch, capsys, argv, env)


def test_the_warehouse_content_is_untouched_by_the_corpus(project, warehouse_digest, monkeypatch, capsys):
    # runs after the corpus in this module's order: a read-only open must not rewrite the file
    for _, argv in CASES[:: max(1, len(CASES) // 60)]:
        monkeypatch.chdir(project)
        run(argv)
        capsys.readouterr()
    assert _digest(project / "warehouse.duckdb") == warehouse_digest


def test_the_corpus_is_large_and_covers_every_command():
    assert len(CASES) > 500
    covered = {" ".join(_command_path(argv)) for _, argv in CASES}
    assert {"catalog", "calendar", "status", "gate", "backfill", "run", "runs", "runs show", "report", "signoff",
            "init", "demo", "exceptions suggest", "expectations check", "expectations scaffold"} <= covered


def test_dates_over_eight_thousand_years_are_refused_at_once(project, monkeypatch, capsys):
    import time

    started = time.perf_counter()
    _check(project, monkeypatch, capsys, ["backfill", "phase3", "--yes", "--dates", "0001-01-01..9999-12-31"])
    assert time.perf_counter() - started < 5  # the range is refused when parsed, never planned


def test_init_and_demo_say_they_create_a_warehouse(project, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(project)
    target = tmp_path / "new.duckdb"
    code = run(["init", "phase2", "-w", f"duckdb:///{target}"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"creating a new warehouse file {target}" in out and target.is_file()
    # a write command on a mistyped file creates nothing and names the commands that would
    code = run(["backfill", "phase3", "--yes", "-w", f"duckdb:///{tmp_path / 'typo.duckdb'}"])
    _, err = capsys.readouterr()
    assert code == 2 and "only `phasegate init` and `phasegate demo` create a warehouse" in err
    assert not (tmp_path / "typo.duckdb").exists()


SMOKE = [
    ["backfill", "phase3", "--yes", "-w", ""],
    ["backfill", "phase3", "--yes", "-w", "duckdb:///nonexistent/dir/w.duckdb"],
    ["status", "phase3", "-w", "duckdb:///typo.duckdb?mode=ro"],
    ["backfill", "phase3", "--yes", "--dates", "0001-01-01..9999-12-31"],
    ["runs", "show", "phase3-*"],
    ["demo", "--games-scale", "nan", "-w", "duckdb:///new-demo.duckdb"],
    ["backfill", "phase3", "--yes", "--backoff", "inf"],
    ["gate", "phase3", "--catalog", "checks"],
    ["catalog", "phase\udcff"],  # bytes that are not UTF-8 on the real command line
]


@pytest.mark.parametrize("argv", SMOKE, ids=lambda a: " ".join(a)[:60].encode("ascii", "backslashreplace").decode())
def test_real_processes_exit_2_with_one_line(project, argv):
    env = {k: v for k, v in os.environ.items() if k not in ENV_FREE}
    env["PYTHONPATH"] = str(ROOT)
    before = _state(project.parent)
    proc = subprocess.run([sys.executable, "-m", "phasegate", *[os.fsencode(a) for a in argv]], cwd=project,
                          env=env, capture_output=True, timeout=120, check=False)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, err
    assert len([line for line in err.splitlines() if line.strip()]) == 1, err
    assert not proc.stdout.strip() and "Traceback" not in err
    assert _state(project.parent) == before
