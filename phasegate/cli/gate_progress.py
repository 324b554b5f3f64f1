"""The gate's live display on a terminal: one line per table, cases done of those it owes, failures counted.

    (phase)                    ━━━━━━━━━━━━━━━━━━━━  1/1 cases
    team_defense_game_summary  ━━━━━━━━━━╺━━━━━━━━━  6/12 cases  1 failed

`phasegate gate` draws it only on a terminal and never with --json: through a pipe, in CI or a
file, the output is the verdict text alone, without escape codes. Colour follows the console
(none with NO_COLOR set). The gate emits the events (`phasegate.gate.progress`); this draws them.
"""

from __future__ import annotations

from typing import Any

from phasegate.gate.progress import CaseDone


class RichGateProgress:
    """A rich Progress with one row per table; started by `start`, never before (nothing to show yet)."""

    def __init__(self, console: Any = None) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        from phasegate.cli.terminal import console as make_console

        self.console = console or make_console()
        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("cases"), TextColumn("{task.fields[failures]}"),
                                  console=self.console, transient=False)
        self._tasks: dict[str, Any] = {}
        self._bad: dict[str, dict[str, int]] = {}  # table -> {"failed": n, "error": n, "skipped": n}
        self._width = 0
        self._live = False

    def start(self, expected: dict[str, int]) -> None:
        self._width = max((len(t) for t in expected), default=0)
        for table, total in expected.items():
            self._add(table, total)
        self._progress.start()
        self._live = True

    def _add(self, table: str, total: int | None) -> Any:
        self._tasks[table] = self._progress.add_task(f"{table:<{self._width}}", total=total, failures="")
        self._bad[table] = {"failed": 0, "error": 0, "skipped": 0}
        return self._tasks[table]

    def case_done(self, case: CaseDone) -> None:
        task = self._tasks.get(case.table)
        if task is None:  # a case of no catalogued table (a selection's extra module): shown all the same
            task = self._add(case.table, None)
        bad = self._bad[case.table]
        if case.outcome in bad:
            bad[case.outcome] += 1
        # a skipped case proved nothing (the gate ERRORs on it): counted as plainly as a failure
        parts = [f"[red]{bad['failed']} failed[/]" if bad["failed"] else "",
                 f"[yellow]{bad['error']} error{'s' if bad['error'] != 1 else ''}[/]" if bad["error"] else "",
                 f"[yellow]{bad['skipped']} skipped[/]" if bad["skipped"] else ""]
        self._progress.update(task, advance=1, failures="  ".join(p for p in parts if p))

    def close(self) -> None:
        if self._live:
            self._progress.stop()
            self._live = False
