"""How one table is rebuilt for a date range: its processor, run atomically.

A table's processor (catalog field `processor`) is either

* a SQL file, `backfill/PHASE/TABLE.sql`: one BigQuery Standard SQL SELECT that returns the
  table's rows for `@start_date .. @end_date`. It may read history before the range (rolling
  windows) but must return rows inside it only. Parameters (see `processor_params`):
  `@start_date`, `@end_date` (DATE), `@schedule_start` (DATE, start - 300 days),
  `@bootstrap_days` (INT64), `@season_types` (ARRAY<STRING>). The runner prepends the
  calendar CTEs of `phasegate.measure.calendar.expected_games_cte` (see `processor_sql`), exactly as
  the gate does for its checks, so a processor reads the schedule only through them:

    schedule_latest  the deduplicated schedule, @schedule_start .. @end_date (all statuses)
    season_openers   season_year, opening_night (first Regular Season game of the season)
    expected_games   the counted final games of @start_date .. @end_date: game_id,
                     system_game_id, game_date, season_year, season_type, home_team,
                     away_team, season_day, is_bootstrap

  The file itself is therefore not standalone; its own leading WITH continues the list.

  Shared CTEs: SQL that several processors need is written once, as one CTE body (a SELECT)
  in `backfill/shared/NAME.sql`. A processor names the ones it uses in a header line,
  ``-- shared: props_by_book, props_consensus``, and `processor_sql` prepends them after the
  calendar CTEs, in the listed order, as ``NAME AS (<body>)``. A shared file that reads other
  shared CTEs names them in its own ``-- shared:`` line; they must be listed before it. An
  unknown name, a name listed before what it reads, or a processor that also defines a CTE
  of that name is refused (UsageError naming the file). The
  warehouse replaces the range in one transaction (`Warehouse.replace_range`): a failure
  leaves the previous rows untouched, and running the same range twice gives the same table.

* a command template, for backfill jobs that already exist. Placeholders: `{start}`,
  `{end}` (ISO dates) and `{dates}` (the game dates of the range, comma-separated). The
  command runs without a shell, from the catalog's folder, with `PHASEGATE_WAREHOUSE` set
  to the warehouse URL; a non-zero exit raises `ProcessorFailed` with the end of its output.
  Worked example — in pipeline.toml::

      [tables.team_defense_game_summary]
      processor = ["python3", "jobs/tdgs_backfill.py", "--start-date", "{start}",
                   "--end-date", "{end}", "--dates", "{dates}"]

  `run_processor(wh, catalog, "team_defense_game_summary", date(2022, 1, 3), date(2022, 1, 5))`
  then runs ``python3 jobs/tdgs_backfill.py --start-date 2022-01-03 --end-date 2022-01-05
  --dates 2022-01-03,2022-01-04,2022-01-05`` (if all three days have games). The job is
  responsible for its own atomicity; rows_written is None because only the job knows it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from phasegate.errors import PhasegateError, UsageError
from phasegate.measure.calendar import calendar_params, load_calendar
from phasegate.measure.compose import with_calendar, with_shared
from phasegate.model.catalog import Catalog, Table
from phasegate.warehouse import BeforeCommitFn, Warehouse, absolute_url

# Lines of a failed command's output kept in the error message.
OUTPUT_TAIL_LINES = 20
PLACEHOLDERS = ("{start}", "{end}", "{dates}")


class ProcessorFailed(PhasegateError):
    """A table's processor failed; nothing of that range was written (or the job said so)."""

    exit_code = 1


@dataclass(frozen=True)
class ProcessorResult:
    rows_written: int | None  # None when a command processor ran (only the job knows)
    output: str               # command output; a one-line summary for SQL processors


def processor_params(catalog: Catalog, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The named parameters every SQL processor may use: those of the calendar CTEs
    (@start_date, @end_date, @schedule_start, @season_types, @bootstrap_days)."""
    return dict(calendar_params(catalog, start, end))


def processor_sql(catalog: Catalog, table: Table) -> str:
    """The query the runner sends for a SQL processor: its file with the calendar CTEs, then the
    shared CTEs it names (`-- shared: ...`), prepended."""
    path = catalog.processor_path(table)
    if path is None:
        raise UsageError(f"table {table.name!r} has no SQL processor")
    source = str(path)
    return with_calendar(catalog, with_shared(path.read_text(), catalog.processor_shared_dir(), source=source, root=catalog.root),
                         source=source)


def chunks_independent(catalog: Catalog, table: Table) -> bool:
    """Whether chunks of disjoint dates of this table may be built side by side.

    Only for a SQL processor that does not read its own table (one that does, e.g. a rolling
    window over its own history, needs the chunks before it written first). A command
    processor is the job's own business: its chunks run one after the other."""
    if table.processor is None or table.is_command_processor:
        return False
    code = "\n".join(line.split("--", 1)[0] for line in processor_sql(catalog, table).splitlines())
    return re.search(rf"(?<![\w.]){re.escape(table.dataset)}\s*\.\s*{re.escape(table.name)}(?!\w)", code) is None


def run_processor(warehouse: Warehouse, catalog: Catalog, table_name: str, start: dt.date, end: dt.date, *,
                  labels: Mapping[str, str] | None = None, before_commit: BeforeCommitFn | None = None) -> ProcessorResult:
    """Rebuild `table_name` for start..end (inclusive) with its catalogued processor.

    `before_commit` (a SQL processor only) judges the staged rows before they replace the range
    (`phasegate.runner.staged.BeforeCommit`); a command processor writes itself."""
    table = catalog.table(table_name)
    if start > end:
        raise UsageError(f"start date {start} is after end date {end}")
    if table.processor is None:
        raise UsageError(f"table {table.name!r} has no processor (phase-2 tables are loaded by scrapers)")
    if table.is_command_processor:
        return _run_command(warehouse, catalog, table, start, end)
    return _run_sql(warehouse, catalog, table, start, end, labels, before_commit)


def _run_sql(warehouse: Warehouse, catalog: Catalog, table: Table, start: dt.date, end: dt.date,
             labels: Mapping[str, str] | None, before_commit: BeforeCommitFn | None = None) -> ProcessorResult:
    sql = processor_sql(catalog, table)
    params = processor_params(catalog, start, end)
    warehouse.create_table_from_query(table.dataset, table.name, sql, params,
                                      partition_column=table.partition, cluster_by=table.cluster_by)
    job_labels = {"component": "processor", "table": table.name, **(labels or {})}
    rows = warehouse.replace_range(table.dataset, table.name, table.partition, start, end, sql, params,
                                   labels=job_labels, before_commit=before_commit)
    return ProcessorResult(rows_written=rows, output=f"{table.ref}: {rows} rows for {start}..{end}")


def command_for(table: Table, start: dt.date, end: dt.date, dates: list[dt.date]) -> list[str]:
    """The command template with its placeholders filled (each argument separately: no shell)."""
    assert isinstance(table.processor, tuple)
    values = {"{start}": start.isoformat(), "{end}": end.isoformat(),
              "{dates}": ",".join(d.isoformat() for d in dates)}
    argv = []
    for arg in table.processor:
        for placeholder, value in values.items():
            arg = arg.replace(placeholder, value)
        argv.append(arg)
    return argv


def _game_dates(warehouse: Warehouse, catalog: Catalog, start: dt.date, end: dt.date) -> list[dt.date]:
    return load_calendar(warehouse, catalog, start, end).game_dates


def _die_with_parent() -> None:
    """In the child: be killed when the runner dies (Linux).

    A runner killed with SIGKILL releases its table lock; the next run takes the lock over. A
    command still writing then would race the new run on the same table, so it must die too.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _run_command(warehouse: Warehouse, catalog: Catalog, table: Table, start: dt.date,
                 end: dt.date) -> ProcessorResult:
    assert isinstance(table.processor, tuple)
    # Only ask the schedule for the dates when the template wants them.
    dates = _game_dates(warehouse, catalog, start, end) if any("{dates}" in a for a in table.processor) else []
    argv = command_for(table, start, end, dates)
    # the command runs from the catalog's folder: name the warehouse so it finds the same one
    env = {**os.environ, "PHASEGATE_WAREHOUSE": absolute_url(warehouse.url)}
    # DuckDB lets one process write a file at a time: the adapter hands the file to the command meanwhile.
    try:
        with warehouse.detached():
            done = subprocess.run(argv, cwd=catalog.root, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, check=False,
                                  preexec_fn=_die_with_parent)
    except OSError as exc:
        raise ProcessorFailed(f"{table.ref}: cannot start processor {argv[0]!r}: {exc.strerror}") from None
    if done.returncode != 0:
        tail = "\n".join(done.stdout.rstrip().splitlines()[-OUTPUT_TAIL_LINES:])
        raise ProcessorFailed(f"{table.ref}: processor exited with code {done.returncode} for {start}..{end}:\n{tail}")
    return ProcessorResult(rows_written=None, output=done.stdout)
