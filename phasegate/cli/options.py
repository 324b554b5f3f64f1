"""Options shared by several commands, and the small helpers that read them."""

from __future__ import annotations

import datetime as dt
import os
from typing import Annotated

import typer

from phasegate.errors import UsageError
from phasegate.model.catalog import Catalog, load_catalog, parse_date

WarehouseOpt = Annotated[str | None, typer.Option(
    "--warehouse", "-w", help="duckdb:///file.duckdb or bigquery://PROJECT (env PHASEGATE_WAREHOUSE).",
    show_default=False)]
CatalogOpt = Annotated[str, typer.Option(
    "--catalog", help="Path to the catalog (env PHASEGATE_CATALOG).", envvar="PHASEGATE_CATALOG")]
StartOpt = Annotated[str | None, typer.Option("--start-date", help="First date (YYYY-MM-DD); default from the catalog.")]
EndOpt = Annotated[str | None, typer.Option("--end-date", help="Last date (YYYY-MM-DD); default from the catalog.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
ExceptionsOpt = Annotated[str | None, typer.Option(
    "--exceptions", help="Documented exceptions (default exceptions.toml next to the catalog).")]

DEFAULT_CATALOG = "pipeline.toml"


def catalog_from(path: str | None) -> Catalog:
    return load_catalog(path or os.environ.get("PHASEGATE_CATALOG") or DEFAULT_CATALOG)


def window(catalog: Catalog, start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    start_date = parse_date(start, "--start-date") if start else catalog.settings.default_start_date
    end_date = parse_date(end, "--end-date") if end else catalog.settings.default_end_date
    if start_date > end_date:
        raise UsageError(f"--start-date {start_date} is after --end-date {end_date}")
    return start_date, end_date
