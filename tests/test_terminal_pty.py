"""What a person sees on a real terminal (a pseudo-terminal): the backfill's prompt before any bar,
the gate's live rows per table before its coloured verdict, and no colour with NO_COLOR set."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from dataclasses import dataclass

import pytest

from tests.fixtures.builders import ROOT
from tests.fixtures.worlds import delete, make_world, with_gate_checks

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")

# Only a guard against a hung child (the machine may be loaded): never an assertion on speed.
HANG_GUARD_S = 600
CSI = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")
BAR = "━"  # rich's progress bar
COLUMNS = 200


@dataclass
class Screen:
    """Everything the program wrote to the terminal, and its exit code once it ended."""

    raw: str = ""
    exit_code: int | None = None

    @property
    def text(self) -> str:
        # a redrawn frame starts with a carriage return: each of its rows on a line of its own
        return CSI.sub("", self.raw.replace("\r\n", "\n").replace("\r", "\n"))


def colour_codes(raw: str) -> list[str]:
    """The SGR parameters that set a colour (30-37, 38;..., 40-47, 48;..., 90-97, 100-107)."""
    found = []
    for params, final in CSI.findall(raw):
        if final != "m":
            continue
        for p in params.split(";"):
            if p.isdigit() and (30 <= int(p) <= 49 or 90 <= int(p) <= 107):
                found.append(params)
                break
    return found


class Terminal:
    """A command on a pseudo-terminal of COLUMNS columns: read what it shows, type at it."""

    def __init__(self, args: list[str], *, cwd, env_extra: dict[str, str] | None = None) -> None:
        env = {k: v for k, v in os.environ.items()
               if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TERM", "PYTEST_XDIST_WORKER")}
        env.update({"TERM": "xterm-256color", **(env_extra or {})})
        self.screen = Screen()
        pid, fd = pty.fork()
        if pid == 0:  # the child: its stdin, stdout and stderr are the terminal
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, COLUMNS, 0, 0))
                os.chdir(cwd)
                os.execve(sys.executable, [sys.executable, "-m", "phasegate", *args], env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd

    def _read(self) -> bool:
        """One read; False once the program closed the terminal."""
        ready, _, _ = select.select([self.fd], [], [], HANG_GUARD_S)
        assert ready, f"no output for {HANG_GUARD_S}s; the screen so far:\n{self.screen.text}"
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed its side
            return False
        self.screen.raw += chunk.decode("utf-8", "replace")
        return bool(chunk)

    def wait_for(self, text: str) -> str:
        """Read until `text` is on the screen; the raw screen up to that moment."""
        while text not in self.screen.text:
            assert self._read(), f"{text!r} never appeared; the screen:\n{self.screen.text}"
        return self.screen.raw

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def finish(self) -> Screen:
        while self._read():
            pass
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        self.screen.exit_code = os.waitstatus_to_exitcode(status)
        return self.screen


def world_args(world) -> list[str]:
    return ["--warehouse", world.url, "--catalog", str(world.root / "pipeline.toml"),
            "--start-date", "2023-10-01", "--end-date", "2023-12-31"]


# -- backfill: the prompt alone on the screen, then the bars ---------------------------------------

PROMPT = "Run 6 chunk(s) over 150 table-dates? [y/N]"


@pytest.fixture()
def empty_world(tmp_path):
    return make_world(tmp_path, fill=())


def test_the_backfill_prompt_is_on_the_screen_before_any_bar_and_yes_runs(empty_world):
    term = Terminal(["backfill", "phase3", "--no-gate", *world_args(empty_world)], cwd=empty_world.root)
    before_answer = term.wait_for(PROMPT)
    assert BAR not in before_answer and "\x1b[?25l" not in before_answer  # no live display yet
    assert "team_summary" in CSI.sub("", before_answer)  # the plan is shown with the question
    term.type("y\n")
    screen = term.finish()
    after = screen.text.split(PROMPT, 1)[1]
    assert BAR in after and re.search(r"team_summary\s.*\d+/\d+\s+dates", after), screen.text
    assert screen.exit_code == 0, screen.text
    assert all(empty_world.rows(t) > 0 for t in ("team_summary", "team_rollup", "team_other"))


def test_answering_no_writes_nothing_and_draws_no_bar(empty_world):
    term = Terminal(["backfill", "phase3", "--no-gate", *world_args(empty_world)], cwd=empty_world.root)
    term.wait_for(PROMPT)
    term.type("n\n")
    screen = term.finish()
    assert screen.exit_code == 2 and "not confirmed: nothing written" in screen.text
    assert BAR not in screen.raw
    assert all(empty_world.rows(t) == 0 for t in ("team_summary", "team_rollup", "team_other"))


# -- gate: live rows per table, then the verdict in colour (or not, with NO_COLOR) -------------------

@pytest.fixture()
def small_gate_world(tmp_path):
    world = with_gate_checks(make_world(tmp_path))
    # no expectation suites in this world: without the module no empty parameter set is skipped
    (world.root / "checks" / "phase3" / "test_expectations.py").unlink()
    return world


def rows_drawn(text: str, table: str) -> list[str]:
    """The `done/expected` of every frame of the table's row, in the order drawn."""
    return re.findall(rf"^{table}\s+{BAR}*\s*(\d+/\d+) cases", text, flags=re.M)


def test_the_gate_draws_live_rows_per_table_then_a_green_go(small_gate_world):
    screen = Terminal(["gate", "phase3", *world_args(small_gate_world)], cwd=small_gate_world.root).finish()
    assert screen.exit_code == 0, screen.text
    verdict_at = screen.text.index("phase3: GO")
    drawn = screen.text[:verdict_at]
    for table in ("team_summary", "team_rollup", "team_other"):
        frames = rows_drawn(drawn, table)
        # drawn before any of its cases finished, and complete before the verdict
        assert frames[0] == "0/6" and frames[-1] == "6/6", (table, frames)
    assert rows_drawn(drawn, re.escape("(phase)"))[-1] == "1/1"
    styled = re.search(r"phase3: \x1b\[([0-9;]*)mGO\x1b\[0m", screen.raw)
    assert styled and {"32", "92"} & set(styled.group(1).split(";")), "GO is green"


def test_a_no_go_counts_its_failures_and_no_color_means_no_colour_escape(small_gate_world):
    delete(small_gate_world, "team_summary", "game_date BETWEEN DATE '2023-11-07' AND DATE '2023-11-12'")
    screen = Terminal(["gate", "phase3", *world_args(small_gate_world)], cwd=small_gate_world.root,
                      env_extra={"NO_COLOR": "1"}).finish()
    assert screen.exit_code == 1, screen.text
    verdict_at = screen.text.index("phase3: NO-GO")
    assert re.search(r"^team_summary\s.*6/6 cases\s+\d+ failed", screen.text[:verdict_at], flags=re.M), screen.text
    assert BAR in screen.raw  # still live on a terminal
    assert colour_codes(screen.raw) == []


def test_through_a_pipe_the_gate_prints_its_verdict_alone_without_escape_codes(small_gate_world):
    proc = subprocess.run([sys.executable, "-m", "phasegate", "gate", "phase3", *world_args(small_gate_world)],
                          cwd=small_gate_world.root, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("phase3: GO")
    assert "\x1b" not in proc.stdout + proc.stderr and BAR not in proc.stdout and " cases\n" not in proc.stdout
