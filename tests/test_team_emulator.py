"""Run by a team (issue 16), through the command line, on the BigQuery emulator.

Two checkouts of the project (two private folders: catalog, processors, exceptions.toml, their own
.phasegate/ and reports/; tests/fixtures/signoffs.py project_folder) on one emulator project. A is
on a laptop (its host name is patched while A's commands run), B on this machine:

- `init phase3 --yes` from A creates the phasegate dataset;
- A backfills one table and gates the phase; B's `runs`, `runs --json` and `runs show` list A's
  backfill and gate runs with A's host;
- B gates a selection (PARTIAL): the index that gate writes lists A's run, signable, and B's own, not;
- B signs A's GO run by its id, A signs it too: both see both signers (report, index, `signoff`);
- while A holds the lease of a table, B's backfill of it is refused (exit 2, one line naming the
  holder's run, host and pid) and writes nothing.

The same story on DuckDB: tests/test_signoff_team.py, tests/test_shared_history.py,
tests/test_leases.py. Slow (an emulator for the module): one test. To keep it quick, the emulator
runs one processor (A's backfill) and two gates over a week; the phase's other four tables are built
by the same processors on DuckDB and loaded (tests/test_bigquery_emulator.py shows both engines build
the same rows). The audit runs as `sample`, not `off`: a GO run without audit cases has a gap in its
checklist, and a run with a gap is not signable. B's gate asks for the same statements as A's (the
same audit mode), which the emulator has rewritten already. Measured alone: 36-84 s (by the machine's load) with the emulator's
rewrite cache warm (.phasegate/emulator-cache), 310 s cold (the first run after a change to
tests/emulator/launch.py or its requirements: A's gate rewrites its folded statements).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
from pathlib import Path

import duckdb
import pytest

from phasegate.cli import run
from phasegate.model.catalog import load_catalog
from phasegate.runner.init import init_warehouse
from phasegate.runner.processors import run_processor
from phasegate.runner.runlog import new_run_id
from phasegate.state import SCHEMA
from phasegate.state.leases import Leases, holders
from phasegate.warehouse import open_warehouse
from phasegate.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.emulator import Emulator, demo_raw, load_raw
from tests.fixtures.signoffs import project_folder

LAPTOP = "laptop-of-ana"  # checkout A's host
WINDOW = (dt.date(2023, 11, 7), dt.date(2023, 11, 13))  # a week past the season's bootstrap fortnight
DATES = ["--start-date", str(WINDOW[0]), "--end-date", str(WINDOW[1])]
TABLE = "team_defense_game_summary"  # A's backfill: it reads raw tables only, and no phase-3 table reads it
MARK = re.compile(r'data-run="([^"]+)".*?data-signable="(yes|no)"', re.S)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    emu = Emulator(tmp_path_factory.mktemp("bqemulator") / "emulator.log").start()
    yield emu
    emu.stop()


def cli(capsys, folder: Path, url: str, *args: str) -> tuple[int, str, str]:
    """`phasegate ARGS --catalog FOLDER/pipeline.toml --warehouse URL`: (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = run([*args, "--catalog", str(folder / "pipeline.toml"), "--warehouse", url])
    out = capsys.readouterr()
    return code, out.out, out.err


def built_elsewhere(url: str, catalog, raw, tables: list[str], tmp_path: Path) -> None:
    """`tables` over WINDOW, built by their processors on DuckDB from the same raw rows, loaded into the
    tables `init` made on the emulator (appended: their partitioning and clustering stay)."""
    path = tmp_path / "builder.duckdb"
    with DuckDBWarehouse(path) as duck:
        load_raw(duck, catalog, raw)
        init_warehouse(duck, catalog, "phase3")
        for name in catalog.topological_order(tables):
            assert run_processor(duck, catalog, name, *WINDOW).rows_written > 0, name
    con = duckdb.connect(str(path), read_only=True)
    try:
        with open_warehouse(url) as bq:
            for name in tables:
                table = catalog.table(name)
                bq.load_table(table.dataset, table.name, con.sql(f"SELECT * FROM {table.ref}").to_arrow_table(),
                              replace=False)
    finally:
        con.close()


def state_of(url: str, catalog, name: str) -> dict:
    """What a refused backfill must not change: the table's rows and when they were written; staging tables."""
    table = catalog.table(name)
    with open_warehouse(url) as wh:
        row = wh.query(f"SELECT COUNT(*) AS n, MAX(processed_at) AS at FROM {table.ref}")[0]
        return {**row, "staging": wh.tables("_phasegate_staging")}


def test_two_checkouts_on_the_emulator_share_runs_and_signoffs_and_not_a_table(emulator, tmp_path, monkeypatch,
                                                                               capsys):
    a, b = project_folder(tmp_path / "checkout-a"), project_folder(tmp_path / "checkout-b")
    url = emulator.url("team-of-two")
    catalog = load_catalog(a / "pipeline.toml")
    raw = demo_raw(dt.date(2023, 10, 24), dt.date(2023, 11, 21))  # opening night 2023-10-24, four weeks
    with open_warehouse(url) as wh:
        load_raw(wh, catalog, raw)

    def on_a(*args: str) -> tuple[int, str, str]:
        with monkeypatch.context() as m:
            m.setattr(socket, "gethostname", lambda: LAPTOP)
            return cli(capsys, a, url, *args)

    def on_b(*args: str) -> tuple[int, str, str]:
        return cli(capsys, b, url, *args)

    # A creates the phase's tables and the shared state
    code, out, err = on_a("init", "phase3", "--yes")
    assert code == 0, err
    assert all(re.search(rf"phasegate\.{name}\s+created", out) for name in SCHEMA), out
    with open_warehouse(url) as wh:
        assert set(wh.tables("phasegate")) == set(SCHEMA)
    built_elsewhere(url, catalog, raw, [t.name for t in catalog.tables_of("phase3") if t.name != TABLE], tmp_path)

    # A backfills the missing table; the backfill's gate says GO
    code, out, err = on_a("backfill", "phase3", "--table", TABLE, *DATES, "--yes", "--audit", "sample")
    assert code == 0, err + out
    backfill_id = re.search(r"^phase3: GO \(run (\S+), log ", out, re.M)[1]
    [gate_dir] = (a / "reports" / "phase3").iterdir()
    gate_id = gate_dir.name

    # B sees A's backfill, with A's host and the gate run it ended with, and A's gate run
    code, out, err = on_b("runs", "--json")
    assert code == 0, err
    runs = json.loads(out)
    assert [(r["run_id"], r["host"], r["status"], r["exit_code"], r["source"], r["gate_verdict"]) for r in runs] == \
        [(backfill_id, LAPTOP, "GO", 0, "warehouse", "GO")]
    assert Path(runs[0]["gate_run_dir"]).name == gate_id
    assert runs[0]["tables"][TABLE]["done"] == 7 and runs[0]["rows_written"] > 0
    code, out, err = on_b("runs")
    assert code == 0, err
    assert backfill_id in out and LAPTOP in out
    code, out, err = on_b("runs", "show", backfill_id)
    assert code == 0, err
    assert "another checkout's run" in out and f"on {LAPTOP}" in out
    assert f" chunk {TABLE} {WINDOW[0]}..{WINDOW[1]} (7 dates) attempt 1: ok" in out
    code, out, err = on_b("runs", "show", gate_id)
    assert code == 0, err
    assert f"gate run {gate_id}  phase3  GO  exit 0" in out and f"on {LAPTOP})" in out

    # B gates a selection (PARTIAL, never signable): the index this gate writes lists A's run too
    code, out, err = on_b("gate", "phase3", *DATES, "--audit", "sample", "-k", "date_coverage")
    assert code == 3, err + out
    [partial_dir] = (b / "reports" / "phase3").iterdir()
    index = (b / "reports" / "index.html").read_text()
    assert dict(MARK.findall(index)) == {gate_id: "yes", partial_dir.name: "no"}
    assert f"warehouse ({LAPTOP})" in index

    # B signs A's run by its id; A signs it too (its latest GO run); each sees both signers
    code, out, err = on_b("signoff", "phase3", gate_id, "--by", "Bea <bea@example.com>")
    assert code == 0, err
    assert f"signed off {gate_id} (phase3, GO) by Bea <bea@example.com>" in out and "gated elsewhere" in out
    code, out, err = on_b("signoff", "phase3", partial_dir.name, "--by", "Bea <bea@example.com>")
    assert code != 0 and partial_dir.name in err and len(err.strip().splitlines()) == 1
    code, out, err = on_a("signoff", "phase3", "--by", "Ada <ada@example.com>")
    assert code == 0, err
    assert f"the latest GO run of phase3: {gate_id}" in out
    signed = next(line for line in out.splitlines() if line.startswith("signed by:"))
    assert "Bea <bea@example.com>" in signed and "Ada <ada@example.com>" in signed
    report = (gate_dir / "report.html").read_text()
    assert "Signed off by Bea" in report and "Signed off by Ada" in report
    # B's index again, as `report --warehouse` re-renders it
    capsys.readouterr()
    assert run(["report", "--warehouse", url, "--catalog", str(b / "pipeline.toml")]) == 0, capsys.readouterr().err
    index = (b / "reports" / "index.html").read_text()
    assert dict(MARK.findall(index)) == {gate_id: "yes", partial_dir.name: "no"}
    assert "signed by Bea" in index and "signed by Ada" in index

    # A takes the table's lease (a second backfill of it, running): B's backfill of it is refused, writes nothing
    holder = new_run_id("phase3")
    with open_warehouse(url) as wh, monkeypatch.context() as m:
        m.setattr(socket, "gethostname", lambda: LAPTOP)
        lease = Leases(wh, holder, f"phasegate backfill phase3 --table {TABLE} --yes", heartbeat_s=3600)
        lease.acquire([TABLE])
        try:
            before = state_of(url, catalog, TABLE)
            code, out, err = on_b("backfill", "phase3", "--table", TABLE, *DATES, "--all", "--yes", "--no-gate")
            assert code == 2, err + out
            assert len(err.strip().splitlines()) == 1, err
            assert holder in err and f"pid {os.getpid()} on {LAPTOP}" in err and TABLE in err
            assert state_of(url, catalog, TABLE) == before
            assert holders(wh, [TABLE])[TABLE].run_id == holder  # still A's
        finally:
            lease.release()
