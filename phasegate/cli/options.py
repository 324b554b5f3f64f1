"""Options shared by several commands: declared once, so every command spells them alike."""

from __future__ import annotations

import datetime as dt
import shlex
import sys
from typing import Annotated

import typer

from phasegate.errors import UsageError
from phasegate.model.window import parse_date

WarehouseOpt = Annotated[str | None, typer.Option(
    "--warehouse", "-w", help="duckdb:///file.duckdb or bigquery://PROJECT (env PHASEGATE_WAREHOUSE).",
    show_default=False)]
CatalogOpt = Annotated[str | None, typer.Option(
    "--catalog", help="Path to the catalog (env PHASEGATE_CATALOG; default ./pipeline.toml).",
    envvar="PHASEGATE_CATALOG", show_default=False)]
StartOpt = Annotated[str | None, typer.Option("--start-date", help="First date (YYYY-MM-DD); default from the catalog.")]
EndOpt = Annotated[str | None, typer.Option("--end-date", help="Last date (YYYY-MM-DD); default from the catalog.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
ExceptionsOpt = Annotated[str | None, typer.Option(
    "--exceptions", help="Documented exceptions (default exceptions.toml next to the catalog).")]


# A --dates value naming more days than this is a mistake (ten years of calendar days).
MAX_DATES = 3660


def parse_dates(text: str, what: str = "--dates") -> list[dt.date]:
    """`2022-01-03,2022-01-05..2022-01-09` -> the dates (ranges inclusive, every calendar day)."""
    if not text.strip():
        raise UsageError(f"{what} is empty (give dates: D,D,... or ranges A..B)")
    out: list[dt.date] = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        first, sep, last = part.partition("..")
        a = parse_date(first, what)
        b = parse_date(last, what) if sep else a
        if b < a:
            raise UsageError(f"{what}: range {part!r} ends before it starts")
        if (b - a).days + len(out) >= MAX_DATES:
            raise UsageError(f"{what} names more than {MAX_DATES} days; give a narrower range")
        out.extend(a + dt.timedelta(days=i) for i in range((b - a).days + 1))
    if not out:
        raise UsageError(f"{what} names no date")
    return sorted(set(out))


def command_line(argv: list[str] | None = None) -> str:
    """The command as typed, for the run log and the lock holder."""
    argv = sys.argv if argv is None else argv
    return " ".join(["phasegate", *[shlex.quote(a) for a in argv[1:]]])
