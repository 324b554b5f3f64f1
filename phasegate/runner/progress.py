"""How the runner reports progress: a protocol only (the terminal's bars and lines are in
`phasegate.cli.progress`). The runner calls it from worker threads."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """`finish_table(table, ok, message)`: when not ok, the message starts with the table's state
    (FAILED, UNBUILDABLE, INTERRUPTED) and says how many dates were done and not."""

    def start_table(self, table: str, total_dates: int) -> None: ...
    def advance(self, table: str, dates: int, rows: int | None = None) -> None: ...
    def finish_table(self, table: str, ok: bool, message: str = "") -> None: ...
    def note(self, message: str) -> None: ...
    def close(self) -> None: ...


class NullProgress:
    def start_table(self, table: str, total_dates: int) -> None: pass
    def advance(self, table: str, dates: int, rows: int | None = None) -> None: pass
    def finish_table(self, table: str, ok: bool, message: str = "") -> None: pass
    def note(self, message: str) -> None: pass
    def close(self) -> None: pass
