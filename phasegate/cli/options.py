"""Options shared by several commands: declared once, so every command spells them alike."""

from __future__ import annotations

import datetime as dt
import re
import shlex
import sys
from typing import Annotated

import typer

from phasegate.errors import UsageError
from phasegate.model.window import parse_date

WarehouseOpt = Annotated[str | None, typer.Option(
    "--warehouse", "-w", metavar="URL", help="duckdb:///file.duckdb or bigquery://PROJECT (default duckdb:///warehouse.duckdb).",
    envvar="PHASEGATE_WAREHOUSE", show_envvar=True, show_default=False)]
CatalogOpt = Annotated[str | None, typer.Option(
    "--catalog", metavar="PATH", help="Path to the catalog (default ./pipeline.toml).",
    envvar="PHASEGATE_CATALOG", show_envvar=True, show_default=False)]
StartOpt = Annotated[str | None, typer.Option(
    "--start-date", metavar="DATE", help="First date: YYYY-MM-DD, season (the current season's opening night), today, yesterday "
    "or -Nd (N days ago); default from the catalog.", show_default=False)]
EndOpt = Annotated[str | None, typer.Option(
    "--end-date", metavar="DATE", help="Last date: YYYY-MM-DD, season, today, yesterday or -Nd; default the latest date with a "
    "final counted game, never after today (the league's timezone).", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
ExceptionsOpt = Annotated[str | None, typer.Option(
    "--exceptions", metavar="PATH", help="Documented exceptions (default exceptions.toml next to the catalog).", show_default=False)]
PhaseArg = Annotated[str, typer.Argument(metavar="PHASE", help="The phase, e.g. phase3.", show_default=False)]
PytestWorkersOpt = Annotated[int | None, typer.Option(
    "--pytest-workers", "-n", metavar="N", min=0, max=64, show_default=False,
    help="pytest-xdist processes of the gate (default: one process; on BigQuery its queries run in parallel "
         "threads).")]
AuditOpt = Annotated[str | None, typer.Option(
    "--audit", help="The gate's reproduction audit: all (every date), sample (a deterministic sample + latest + "
                    "dates whose upstream changed), off; default: the catalog's settings.audit (auto: all on DuckDB).")]
TablesParallelOpt = Annotated[int, typer.Option(
    "--tables-parallel", "-j", metavar="N", min=1, max=64, help="Tables written at once (capped by the warehouse).")]

MaxBytesOpt = Annotated[str | None, typer.Option(
    "--max-bytes", metavar="BYTES", show_default=False,
    help="The run's byte cap, held before every chunk (e.g. 500GB, 1.5TiB, 10000000000; default the "
         "warehouse's max_run_bytes). Reaching it stops the run: exit 2, the rest not attempted.")]


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


_BYTE_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "pb": 10**15,
               "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "pib": 2**50}
_BYTES = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


def parse_bytes(text: str, what: str = "--max-bytes") -> int:
    """`500GB`, `1.5TiB`, `10000000000` -> bytes (decimal and binary units); UsageError otherwise."""
    match = _BYTES.match(text or "")
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _BYTE_UNITS:
        raise UsageError(f"{what} {text!r} is not a number of bytes (e.g. 500GB, 1.5TiB, 10000000000)")
    value = int(float(match.group(1)) * _BYTE_UNITS[unit])
    if value < 1 or value > 10**18:
        raise UsageError(f"{what} {text!r} must be between 1 byte and 1 EB")
    return value
