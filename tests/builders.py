"""Tiny hand-made warehouses for engine tests: rows written out, not generated."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa

from phasegate.model.catalog import Catalog, load_catalog
from phasegate.warehouse.duckdb import DuckDBWarehouse

ROOT = Path(__file__).resolve().parents[1]
UTC = dt.UTC

SCHEDULE_SCHEMA = pa.schema([
    ("game_id", pa.string()), ("game_date", pa.date32()), ("season_year", pa.int64()), ("season_type", pa.string()),
    ("is_regular_season", pa.bool_()), ("is_playoffs", pa.bool_()), ("is_all_star", pa.bool_()),
    ("home_team_tricode", pa.string()), ("away_team_tricode", pa.string()), ("game_status", pa.int64()),
    ("home_team_score", pa.int64()), ("away_team_score", pa.int64()), ("processed_at", pa.timestamp("us", tz="UTC")),
])


def repo_catalog() -> Catalog:
    return load_catalog(ROOT / "pipeline.toml")


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def schedule_row(game_id: str, date: str, away: str, home: str, *, season_year: int = 2023,
                 season_type: str = "Regular Season", status: int = 3, score: tuple[int, int] | None = (100, 110),
                 processed_at: str | None = None) -> dict:
    """One schedule row; `score=None` on a final row means a postponed game."""
    return {
        "game_id": game_id, "game_date": d(date), "season_year": season_year, "season_type": season_type,
        "is_regular_season": season_type == "Regular Season",
        "is_playoffs": season_type in ("Playoffs", "Play-In"), "is_all_star": season_type == "All-Star",
        "home_team_tricode": home, "away_team_tricode": away, "game_status": status,
        "home_team_score": None if score is None else score[1], "away_team_score": None if score is None else score[0],
        "processed_at": dt.datetime.fromisoformat(processed_at or f"{date}T08:00:00").replace(tzinfo=UTC),
    }


def load_rows(warehouse: DuckDBWarehouse, dataset: str, table: str, rows: list[dict], schema: pa.Schema | None = None) -> None:
    data = pa.Table.from_pylist(rows, schema=schema) if schema is not None else pa.Table.from_pylist(rows)
    warehouse.load_table(dataset, table, data, replace=True)


def load_schedule(warehouse: DuckDBWarehouse, rows: list[dict]) -> None:
    load_rows(warehouse, "nba_raw", "nbac_schedule", rows, SCHEDULE_SCHEMA)
