"""What the terminal shows: tables at the real width that never break a name, coloured verdicts.

* On a terminal, tables take its width; columns that hold names (tables, run ids) are never
  wrapped (their minimum width is their longest name), the others wrap between words.
* Through a pipe or into a file nothing wraps at all: `phasegate catalog | grep NAME` finds
  every name on one line.
* Colour only on a terminal, and never with NO_COLOR set (rich honours it).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, TextIO

from phasegate.model.verdict import Verdict

# Through a pipe a table is only as wide as its content; this only bounds pathological rows.
UNWRAPPED_WIDTH = 10_000

VERDICT_STYLES = {
    Verdict.GO: "bold green",
    Verdict.NO_GO: "bold red",
    Verdict.ERROR: "bold red",
    Verdict.PARTIAL: "bold yellow",
    Verdict.NOT_VALIDATED: "bold yellow",
    Verdict.REFUSED: "bold yellow",
    Verdict.DRY_RUN: "bold cyan",
    Verdict.INTERRUPTED: "bold yellow",
}


def console(*, stderr: bool = False, file: TextIO | None = None) -> Any:
    """A rich Console on stdout (or stderr): the terminal's width, or no wrapping off a terminal."""
    from rich.console import Console

    stream = file or (sys.stderr if stderr else sys.stdout)
    tty = bool(getattr(stream, "isatty", lambda: False)())
    return Console(file=stream, width=None if tty else UNWRAPPED_WIDTH, highlight=False, soft_wrap=not tty)


def make_table(title: str | None, columns: Iterable[str], *, names: dict[str, Iterable[str]] | None = None,
          right: Iterable[str] = ()) -> Any:
    """A rich Table: columns in `names` hold names (never wrapped), the others wrap between words."""
    from rich.table import Table

    names = {k: list(v) for k, v in (names or {}).items()}
    right = set(right)
    out = Table(title=title)
    for col in columns:
        justify = "right" if col in right else "left"
        if col in names:
            width = max([len(col), *(len(n) for n in names[col])])
            out.add_column(col, no_wrap=True, min_width=width, justify=justify)
        else:
            out.add_column(col, overflow="fold", justify=justify)
    return out


def style_of(verdict: str | Verdict | None) -> str:
    found = Verdict.of(str(verdict)) if verdict is not None else None
    return VERDICT_STYLES.get(found, "") if found is not None else ""


def styled_verdict(verdict: str | Verdict | None) -> Any:
    """The verdict word as rich Text in its colour."""
    from rich.text import Text

    return Text(str(verdict or ""), style=style_of(verdict))


def print_verdict_text(text: str, verdict: str | Verdict | None, *, stderr: bool = False) -> None:
    """A gate's or a run's text with its verdict word coloured wherever it appears first on a line."""
    from rich.text import Text

    out = console(stderr=stderr)
    word = str(verdict or "")
    style = style_of(verdict)
    for line in text.splitlines():
        rich_line = Text(line)
        if word and style:
            at = line.find(f": {word}")
            if at >= 0:
                rich_line.stylize(style, at + 2, at + 2 + len(word))
        out.print(rich_line)
