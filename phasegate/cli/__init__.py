"""The `phasegate` command: a thin Typer layer over the library.

Each command group lives in its own module and registers itself on `app`; this module only
assembles them and turns engine errors into one-line messages and meaningful exit codes
(0 GO, 1 NO-GO, 2 usage/configuration, 3 could not validate).
"""

from __future__ import annotations

import importlib
import sys

import typer

from phasegate.errors import PhasegateError

app = typer.Typer(
    name="phasegate",
    help="Go/no-go gate and backfill runner for phased data pipelines (BigQuery; DuckDB embedded).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Modules that add commands to `app` when imported. Keep imports inside commands lazy:
# `phasegate --help` must start fast and never import Great Expectations.
COMMAND_MODULES = (
    "phasegate.cli.catalog_cmd",
    "phasegate.cli.demo_cmd",
    "phasegate.cli.init_cmd",
    "phasegate.cli.gate_cmd",
    "phasegate.cli.expectations_cmd",
    "phasegate.cli.exceptions_cmd",
    "phasegate.cli.run_cmd",
    "phasegate.cli.report_cmd",
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module)


def main() -> None:
    try:
        app()
    except PhasegateError as exc:
        from phasegate.runner.orchestrate import NeedsConfirmation

        hint = "; pass --yes to run unattended, or --dry-run to see the plan" if isinstance(exc, NeedsConfirmation) else ""
        print(f"phasegate: error: {exc}{hint}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        from phasegate.model.verdict import Verdict

        # before or after the chunks (planning, a gate): nothing was half-written
        print(f"phasegate: {Verdict.INTERRUPTED}: stopped before anything more was written; "
              "run the same command again to resume (it re-plans from the warehouse)", file=sys.stderr)
        sys.exit(Verdict.INTERRUPTED.exit_code)
