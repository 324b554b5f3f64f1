"""Sign-offs in the warehouse (phasegate.signoffs), so every checkout on it sees who signed which run.

A sign-off is one row (one INSERT), written as well as the local reports/signoffs.jsonl; readers
merge the two, one sign-off per (run, signer). Append-only like the run history: signing twice
is refused by the caller before it writes, never by an UPDATE.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from phasegate.state import history
from phasegate.state.history import host_name, iso_moment, public_url, text_of, timestamp_param
from phasegate.warehouse import Warehouse

SIGNOFFS = "signoffs"

# Names and columns are the contract dashboards read (README, "Shared state").
SCHEMA = {
    SIGNOFFS: """CREATE TABLE IF NOT EXISTS phasegate.signoffs (
        run_id STRING NOT NULL, phase STRING, signed_by STRING NOT NULL, signed_at TIMESTAMP, note STRING,
        fingerprint STRING, host STRING, warehouse STRING)""",
}

_INSERT = """INSERT INTO phasegate.signoffs (run_id, phase, signed_by, signed_at, note, fingerprint, host, warehouse)
VALUES (@run_id, @phase, @signed_by, CAST(@signed_at AS TIMESTAMP), @note, @fingerprint, @host, @warehouse)"""

_READ = """SELECT run_id, phase, signed_by, signed_at, note, fingerprint, host, warehouse
FROM phasegate.signoffs
WHERE (@run_id = '' OR run_id = @run_id) AND (@phase = '' OR phase = @phase)
ORDER BY signed_at, signed_by"""


def write_signoff(warehouse: Warehouse, record: dict[str, Any]) -> bool:
    """One sign-off row; False (said on stderr) where the table is missing."""
    missing = history.missing_tables(warehouse, (SIGNOFFS,))
    if missing:
        history.say_missing(warehouse, missing, "sign-offs")
        return False
    params = {"run_id": record["run_id"], "phase": text_of(record.get("phase")), "signed_by": record["by"],
              "signed_at": timestamp_param(record.get("at")), "note": text_of(record.get("note")),
              "fingerprint": text_of(record.get("fingerprint")), "host": text_of(record.get("host") or host_name()),
              "warehouse": public_url(text_of(record.get("warehouse")))}
    warehouse.execute([_INSERT], params, labels={"component": "state"})
    return True


def read_signoffs(warehouse: Warehouse | None, run_id: str | None = None,
                  phase: str | None = None) -> list[dict[str, Any]]:
    """Sign-offs in the warehouse, oldest first, as the local log spells them (by, at, ...); [] without the table."""
    if not history.readable(warehouse, (SIGNOFFS,), "sign-offs"):
        return []
    rows = warehouse.query(_READ, {"run_id": run_id or "", "phase": phase or ""})
    return [{"run_id": r["run_id"], "phase": r["phase"], "by": r["signed_by"], "at": iso_moment(r["signed_at"]),
             "note": r["note"] or "", "fingerprint": r["fingerprint"], "host": r["host"],
             "warehouse": r["warehouse"], "source": "warehouse"} for r in rows]


def merged(local: Iterable[dict[str, Any]], shared: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One sign-off per (run, signer), the earliest kept (signing again changes nothing), oldest first."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for record in [*local, *shared]:
        key = (text_of(record.get("run_id")), text_of(record.get("by")).strip())
        if key not in out or text_of(record.get("at")) < text_of(out[key].get("at")):
            out[key] = record
    return sorted(out.values(), key=lambda r: (text_of(r.get("at")), text_of(r.get("by"))))
