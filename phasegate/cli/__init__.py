"""The `phasegate` command: a thin Typer layer over the library.

Each command group lives in its own module and registers itself on `app`; this module only
assembles them and turns every problem into one line on stderr and a meaningful exit code
(0 GO, 1 NO-GO, 2 usage/configuration, 3 could not validate, 130 interrupted):

* engine errors (PhasegateError) carry their own exit code;
* Click's usage errors (an unknown option, a missing argument, a bad number) are one line, exit 2;
* a value given empty (`--dates ""`) or a number that is not finite (`--backoff nan`) is refused
  for every command at once, before the command runs (`PhasegateCommand`).

Conventions every command follows: the phase is positional (`phasegate gate phase3`,
`phasegate catalog phase3`, `phasegate runs phase3`); `-h` is `--help`; `--json` prints
machine-readable output on stdout; an option that reads an environment variable says so in its
help (`envvar=`); pytest processes are `--pytest-workers`, tables written at once
`--tables-parallel`.
"""

from __future__ import annotations

import importlib
import math
import os
import sys
import unicodedata
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from phasegate.errors import EXIT_CANNOT_VALIDATE, EXIT_USAGE, PhasegateError

DEBUG_ENV = "PHASEGATE_DEBUG"


def _given(ctx: Any, name: str) -> bool:
    """The value came from the command line or the environment (not a default)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")


def _bad_text(item: str) -> str | None:
    """Why a typed value cannot be meant: empty, undecodable bytes, control characters (NUL...)."""
    if not item.strip():
        return "empty value"
    try:
        item.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid UTF-8 (check the terminal's encoding)"
    if any(unicodedata.category(ch) == "Cc" for ch in item):
        return "contains a control character (a NUL byte, a newline, ...)"
    return None


def check_values(ctx: Any, params: Sequence[Any]) -> None:
    """Refuse, for any command, a value given empty, with control characters or bytes that are
    not UTF-8, or a number that is not finite."""
    for param in params:
        name = param.name
        if name is None or not _given(ctx, name):
            continue
        value = ctx.params.get(name)
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            why = _bad_text(str(item)) if isinstance(item, str | os.PathLike) else None
            if why:
                raise typer.BadParameter(why, ctx=ctx, param=param)
            if isinstance(item, float) and not math.isfinite(item):
                raise typer.BadParameter(f"{item} is not a finite number", ctx=ctx, param=param)


class PhasegateCommand(TyperCommand):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        check_values(ctx, self.get_params(ctx))
        return rest


class PhasegateGroup(TyperGroup):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        check_values(ctx, self.get_params(ctx))
        return rest


class PhasegateTyper(typer.Typer):
    """A Typer whose commands and groups check their values alike (see `check_values`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", PhasegateGroup)
        kwargs.setdefault("context_settings", {"help_option_names": ["-h", "--help"]})
        kwargs.setdefault("pretty_exceptions_enable", False)
        kwargs.setdefault("add_completion", False)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", PhasegateCommand)
        return super().command(*args, **kwargs)


app = PhasegateTyper(
    name="phasegate",
    help="Go/no-go gate and backfill runner for phased data pipelines (BigQuery; DuckDB embedded).",
    no_args_is_help=True,
)


def _version(value: bool) -> None:
    if value:
        from phasegate import __version__

        typer.echo(f"phasegate {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    """Go/no-go gate and backfill runner for phased data pipelines (BigQuery; DuckDB embedded)."""


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


def one_line(text: str, limit: int = 400) -> str:
    """One printable line: whitespace folded, control characters and undecodable bytes escaped
    (a NUL byte or a name from a non-UTF-8 terminal is shown, never written raw), long text cut."""
    text = str(text).encode("utf-8", "backslashreplace").decode("utf-8")
    line = " ".join(text.split())
    line = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in line)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _error(message: str) -> None:
    print(f"phasegate: error: {one_line(message)}", file=sys.stderr)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line `argv` (default: sys.argv[1:]); return its exit code. Never raises."""
    from phasegate.runner.orchestrate import NeedsConfirmation

    command = typer.main.get_command(app)
    try:
        rv = command.main(args=list(argv) if argv is not None else None, prog_name="phasegate",
                          standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
    except PhasegateError as exc:
        hint = "; pass --yes to run unattended, or --dry-run to see the plan" if isinstance(exc, NeedsConfirmation) else ""
        _error(f"{exc}{hint}")
        return exc.exit_code
    except typer.TyperException as exc:  # Click's usage errors: one line, exit 2
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":
            print(exc.format_message(), file=sys.stderr)
            return EXIT_USAGE
        where = f" (see `{ctx.command_path} -h`)" if ctx is not None else ""
        _error(f"{exc.format_message()}{where}")
        return getattr(exc, "exit_code", EXIT_USAGE) or EXIT_USAGE
    except (KeyboardInterrupt, typer.Abort):
        from phasegate.model.verdict import Verdict

        # before or after the chunks (planning, a gate): nothing was half-written
        print(f"phasegate: {Verdict.INTERRUPTED}: stopped before anything more was written; "
              "run the same command again to resume (it re-plans from the warehouse)", file=sys.stderr)
        return Verdict.INTERRUPTED.exit_code
    except OSError as exc:
        # The operating system refused a path the person gave (too long, a folder, no permission).
        if os.environ.get(DEBUG_ENV):
            raise
        where = f": {one_line(exc.filename, 120)}" if getattr(exc, "filename", None) else ""
        _error(f"{exc.strerror or exc}{where}")
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - a bug must still end in one line and a non-GO exit
        if os.environ.get(DEBUG_ENV):
            raise
        _error(f"internal error: {type(exc).__name__}: {exc} (set {DEBUG_ENV}=1 for the traceback)")
        return EXIT_CANNOT_VALIDATE


def main() -> None:
    sys.exit(run())
