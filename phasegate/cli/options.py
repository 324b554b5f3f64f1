"""Options shared by several commands: declared once, so every command spells them alike."""

from __future__ import annotations

from typing import Annotated

import typer

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
