"""The data fingerprint is a content hash: an in-place change that keeps row count and processed_at
changes it, row order does not, and a sign-off on changed data is refused naming the table."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys

import pyarrow as pa
import pytest

from phasegate.errors import NoGo
from phasegate.measure.fingerprint import table_fingerprint
from phasegate.model.catalog import load_catalog
from phasegate.warehouse.duckdb import DuckDBWarehouse
from phasegate.warehouse.translate import to_duckdb
from tests.fixtures.builders import ROOT, load_rows
from tests.fixtures.worlds import GATE_END, GATE_START, build_world

TABLE = "team_defense_game_summary"
SCHEMA = pa.schema([("game_date", pa.date32()), ("team_abbr", pa.string()), ("points_allowed", pa.int64()),
                    ("processed_at", pa.timestamp("us", tz="UTC"))])
AT = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
ROWS = [{"game_date": dt.date(2023, 11, d), "team_abbr": t, "points_allowed": 100 + d, "processed_at": AT}
        for d in (7, 8, 9) for t in ("LAL", "DEN")]


def fingerprint(path, rows=ROWS):
    with DuckDBWarehouse(path) as wh:
        load_rows(wh, "nba_analytics", TABLE, rows, SCHEMA)
        return table_fingerprint(wh, load_catalog(ROOT / "pipeline.toml").table(TABLE), dt.date(2023, 11, 1),
                                 dt.date(2023, 11, 30))


def test_an_in_place_update_changes_the_content_hash_and_order_does_not(tmp_path):
    base = fingerprint(tmp_path / "a.duckdb")
    assert base["rows"] == 6 and base["content"].startswith("6:")
    assert fingerprint(tmp_path / "b.duckdb", list(reversed(ROWS)))["content"] == base["content"]
    changed = [dict(r, points_allowed=r["points_allowed"] + 7) if r["game_date"].day == 8 else r for r in ROWS]
    after = fingerprint(tmp_path / "c.duckdb", changed)
    assert (after["rows"], after["max_processed_at"]) == (base["rows"], base["max_processed_at"])
    assert after["content"] != base["content"]
    swapped = ROWS[:-1] + [ROWS[0]]  # a row duplicated, another gone: same count
    assert fingerprint(tmp_path / "d.duckdb", swapped)["content"] != base["content"]


def test_the_content_hash_is_stable_across_processes_and_time_zones(tmp_path):
    base = fingerprint(tmp_path / "a.duckdb")
    code = ("import datetime as dt, json; from phasegate.warehouse.duckdb import DuckDBWarehouse; "
            "from phasegate.measure.fingerprint import table_fingerprint; from phasegate.model.catalog import load_catalog; "
            f"wh = DuckDBWarehouse({str(tmp_path / 'a.duckdb')!r}, read_only=True); "
            f"t = load_catalog({str(ROOT / 'pipeline.toml')!r}).table({TABLE!r}); "
            "print(json.dumps(table_fingerprint(wh, t, dt.date(2023, 11, 1), dt.date(2023, 11, 30))))")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "TZ": "America/New_York"},
                         capture_output=True, text=True, check=True, cwd=ROOT)
    assert json.loads(out.stdout)["content"] == base["content"]


def test_farm_fingerprint_of_a_row_translates_to_duckdbs_hash_of_the_row():
    sql = to_duckdb("SELECT FARM_FINGERPRINT(TO_JSON_STRING(t)) AS h FROM d.x AS t")
    assert "HASH(T)" in sql.upper() and "TO_JSON" not in sql.upper()


def test_signoff_refuses_after_an_in_place_update_naming_the_table(tmp_path):
    from phasegate.gate.run import run_gate
    from phasegate.report.signoff import sign

    target = tmp_path / "w.duckdb"
    shutil.copy(_world(tmp_path), target)
    url = f"duckdb:///{target}"
    gate = run_gate("phase3", warehouse_url=url, catalog_path=ROOT / "pipeline.toml", start=GATE_START, end=GATE_END,
                    reports_dir=tmp_path / "reports")
    assert gate.verdict == "GO", gate.text
    recorded = json.loads(gate.results_path.read_text())["tables"][TABLE]["fingerprint"]
    assert recorded["content"] and recorded["rows"] > 0
    with DuckDBWarehouse(target) as wh:
        wh.execute(["UPDATE nba_analytics.team_defense_game_summary SET points_allowed = points_allowed + 7 "
                    "WHERE game_date = DATE '2023-11-15'"])
    catalog = load_catalog(ROOT / "pipeline.toml")
    with pytest.raises(NoGo, match=rf"data changed since run .*{TABLE}: content changed") as err:
        sign("phase3", "Ada", catalog=catalog, reports_root=tmp_path / "reports", warehouse_url=url)
    assert err.value.exit_code == 1 and "\n" not in str(err.value)
    assert "team_offense_game_summary" not in str(err.value)  # only the table that changed is named


_WORLD = {}


def _world(tmp_path):
    if "path" not in _WORLD:
        _WORLD["path"] = build_world(tmp_path.parent / "fingerprint_world.duckdb")
    return _WORLD["path"]
