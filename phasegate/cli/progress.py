"""Progress of a backfill: a rich bar per table on a terminal, timestamped lines elsewhere.

On a terminal each table gets a bar (dates done / total, rate, ETA). Without one (CI, nohup,
a pipe) every finished chunk prints one plain line that a log file keeps readable:

    2026-01-05T04:12:09Z team_defense_game_summary  24/72 dates (33%)  1.9 dates/s  ETA 25s

The runner calls `start_table`, `advance`, `finish_table` and `note` from worker threads.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from phasegate.runner.progress import NullProgress, Progress
from phasegate.runner.runlog import iso

__all__ = ["NullProgress", "PlainProgress", "Progress", "RichProgress", "make_progress"]


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class PlainProgress:
    """Timestamped lines, one per finished chunk: for logs, CI and nohup."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()
        self._state: dict[str, list[float]] = {}  # table -> [done, total, started]

    def _line(self, text: str) -> None:
        with self._lock:
            self.stream.write(f"{iso()[:19]}Z {text}\n")
            self.stream.flush()

    def start_table(self, table: str, total_dates: int) -> None:
        self._state[table] = [0, total_dates, time.monotonic()]
        self._line(f"{table:<32} started: {total_dates} dates")

    def advance(self, table: str, dates: int, rows: int | None = None) -> None:
        state = self._state.setdefault(table, [0, 0, time.monotonic()])
        state[0] += dates
        done, total, started = state
        elapsed = max(time.monotonic() - started, 1e-9)
        rate = done / elapsed
        eta = (total - done) / rate if rate > 0 else None
        pct = f"{done / total:.0%}" if total else "-"
        rows_txt = f"  +{rows:,} rows" if rows is not None else ""
        self._line(f"{table:<32} {int(done)}/{int(total)} dates ({pct})  {rate:.1f} dates/s  ETA {_eta(eta)}{rows_txt}")

    def finish_table(self, table: str, ok: bool, message: str = "") -> None:
        # the runner's message names the state itself (FAILED, INTERRUPTED, UNBUILDABLE, ...)
        self._line(f"{table:<32} {'done' + (': ' + message if message else '') if ok else message or 'FAILED'}")

    def note(self, message: str) -> None:
        self._line(message)

    def close(self) -> None:
        pass


class RichProgress:
    """One rich progress bar per table (terminal only)."""

    def __init__(self, console=None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RProgress

        self.console = console or Console()
        self._progress = RProgress(
            TextColumn("{task.description:<32}"), BarColumn(), MofNCompleteColumn(), TextColumn("dates"),
            TaskProgressColumn(), TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), TextColumn("{task.fields[status]}"), console=self.console, transient=False)
        self._tasks: dict[str, int] = {}
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()
        # The live display starts with the first table, never before: the confirmation prompt,
        # asked after planning, must be on the screen alone (typed blind otherwise).
        self._live = False

    def start_table(self, table: str, total_dates: int) -> None:
        with self._lock:
            if not self._live:
                self._progress.start()
                self._live = True
            self._tasks[table] = self._progress.add_task(table, total=total_dates, rate="", status="")
            self._started[table] = time.monotonic()

    def advance(self, table: str, dates: int, rows: int | None = None) -> None:
        with self._lock:
            task = self._tasks.get(table)
            if task is None:
                return
            self._progress.advance(task, dates)
            done = self._progress.tasks[[t.id for t in self._progress.tasks].index(task)].completed
            rate = done / max(time.monotonic() - self._started[table], 1e-9)
            self._progress.update(task, rate=f"{rate:.1f}/s")

    def finish_table(self, table: str, ok: bool, message: str = "") -> None:
        with self._lock:
            task = self._tasks.get(table)
            if task is not None:
                self._progress.update(task, status="[green]done" if ok else f"[red]{message or 'FAILED'}")

    def note(self, message: str) -> None:
        self._progress.console.print(message)

    def close(self) -> None:
        if self._live:
            self._progress.stop()


def make_progress(*, interactive: bool | None = None, stream: TextIO | None = None) -> Progress:
    """Rich bars on a terminal, plain lines otherwise."""
    if interactive is None:
        interactive = (stream or sys.stdout).isatty()
    return RichProgress() if interactive else PlainProgress(stream)
