"""`phasegate expectations check|scaffold`: authoring help for the Great Expectations suites."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from phasegate.cli import PhasegateTyper, app
from phasegate.cli.options import (
    CatalogOpt,
    EndOpt,
    StartOpt,
    WarehouseOpt,
)
from phasegate.model.catalog import load_catalog

expectations_app = PhasegateTyper(help="Great Expectations suites per table (expectations/PHASE/TABLE.json).",
                               no_args_is_help=True)
app.add_typer(expectations_app, name="expectations")


@expectations_app.command("check")
def check_command(catalog: CatalogOpt = None,
                  warehouse: Annotated[str | None, typer.Option(
                      "--warehouse", "-w", help="Also accept columns the warehouse tables have.")] = None) -> None:
    """Validate every suite file: JSON, expectation types, arguments, columns. Exit 2 on a problem."""
    from phasegate.expectations.suites import all_suite_files, check_all

    cat = load_catalog(catalog)
    columns = None
    if warehouse:
        from phasegate.warehouse import open_warehouse

        wh = open_warehouse(warehouse, read_only=True)
        try:
            names = {p.stem for _, p in all_suite_files(cat)}
            columns = {t.name: wh.columns(t.dataset, t.name) for t in cat.tables.values() if t.name in names}
        finally:
            wh.close()
    files, rules, problems = check_all(cat, warehouse_columns=columns)
    for problem in problems:
        typer.echo(f"phasegate: error: {problem}", err=True)
    if problems:
        raise typer.Exit(2)
    typer.echo(f"{files} suite file(s), {rules} expectation(s): all valid")


@expectations_app.command("scaffold")
def scaffold_command(
    table: Annotated[str, typer.Argument(help="A catalogued table.")],
    warehouse: WarehouseOpt = None,
    catalog: CatalogOpt = None,
    start_date: StartOpt = None,
    end_date: EndOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing suite file.")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead.")] = None,
) -> None:
    """Write a starter suite from the catalog and the table's observed profile (one SQL query)."""
    from phasegate.expectations.profile import profile_table
    from phasegate.expectations.suites import scaffold_suite, suite_path, write_suite
    from phasegate.warehouse import open_warehouse

    cat = load_catalog(catalog)
    entry = cat.table(table)
    path = output or suite_path(cat, entry)
    from phasegate.errors import UsageError
    from phasegate.model.catalog import check_path_text

    if output is not None:
        check_path_text(output, "--output", UsageError)
        if path.is_dir() or not path.parent.is_dir():
            raise UsageError(f"--output {str(path)[:200]}: {'is a folder' if path.is_dir() else 'its folder does not exist'}")
    if path.exists() and not force:
        raise UsageError(f"{str(path)[:200]} exists; pass --force to overwrite it")
    from phasegate.measure.calendar import live_window

    start, end = live_window(cat, start_date, end_date, warehouse=warehouse)
    wh = open_warehouse(warehouse, read_only=True)
    try:
        rows, profile = profile_table(wh, entry, start, end)
    finally:
        wh.close()
    suite = scaffold_suite(entry, profile, rows)
    write_suite(path, suite, force=True)
    typer.echo(f"wrote {path}: {len(suite['expectations'])} starter expectation(s) from {rows} row(s) "
               f"({start}..{end}); edit the bounds, then run `phasegate expectations check`")
