"""Verify before commit: a chunk's staged rows are judged before they replace anything.

The warehouse builds each chunk aside and calls `BeforeCommit` with the staged relation and a
query function on the same session (DuckDB: the temporary table inside the transaction;
BigQuery: the staging table, before the swap transaction). One query
(`phasegate.measure.replacement`) measures, per date, what the swap would do; any date that
would make the table worse rejects the chunk (`ChunkRejected`, naming each date and why), and
the adapter writes nothing of it: the old rows stay exactly as they were. The runner then
rebuilds the chunk's other dates on their own (`phasegate.runner.execute`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from phasegate.errors import PhasegateError
from phasegate.measure.replacement import judge_replacement, replacement_params, replacement_sql
from phasegate.model.catalog import Catalog

StagedQuery = Callable[[str, Mapping[str, Any]], list[dict[str, Any]]]


class ChunkRejected(PhasegateError):
    """A chunk that did not verify before its commit: nothing of it was written.

    `problems` names the dates that did not verify (date -> why); the runner rebuilds the
    chunk's other dates on their own. Without dates the whole chunk is in question, and the
    runner narrows it down as it does a data error. `games` are the expected games the swap
    would have removed, per date (they explain the date when a raw input lacks them)."""

    exit_code = 1

    def __init__(self, message: str, problems: Mapping[dt.date, str] | None = None,
                 games: Mapping[dt.date, tuple[str, ...]] | None = None) -> None:
        super().__init__(message)
        self.problems = dict(problems or {})
        self.games = dict(games or {})


@dataclass(frozen=True)
class BeforeCommit:
    """The check a writer runs on a chunk's staged rows before it swaps them in."""

    catalog: Catalog
    table: str
    start: dt.date
    end: dt.date
    planned: tuple[dt.date, ...]
    excepted_games: frozenset[str] = frozenset()
    allow_fewer_rows: bool = False

    def __call__(self, staged: str, query: StagedQuery) -> int:
        """Raise ChunkRejected unless every date of the chunk is right; returns the staged rows."""
        table = self.catalog.table(self.table)
        rows = query(replacement_sql(self.catalog, table, staged),
                     replacement_params(self.catalog, self.start, self.end, self.planned, self.excepted_games))
        found = judge_replacement(rows, table, allow_fewer_rows=self.allow_fewer_rows)
        if not found.ok:
            raise ChunkRejected(found.message(table), found.problems, found.lost_games)
        return found.rows


def before_commit_for(catalog: Catalog, table: str, start: dt.date, end: dt.date, planned: Collection[dt.date],
                      excepted_games: Collection[str] = (), allow_fewer_rows: bool = False) -> BeforeCommit:
    return BeforeCommit(catalog, table, start, end, tuple(sorted(planned)), frozenset(excepted_games),
                        allow_fewer_rows)
