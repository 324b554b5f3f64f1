"""Shared state in the warehouse: the `phasegate` dataset every checkout of the project sees.

`init` creates it (`ensure_state`); commands that find it missing fall back to local files
and say so on stderr. The SQL is BigQuery Standard SQL, run on DuckDB through the adapter's
translation; this package speaks only the Warehouse protocol (no client library).
"""

from __future__ import annotations

import sys

from phasegate.warehouse import Warehouse

DATASET = "phasegate"

# One statement per table; names and columns are the contract dashboards read.
SCHEMA = {
    "leases": """CREATE TABLE IF NOT EXISTS phasegate.leases (
        table_name STRING NOT NULL, run_id STRING, host STRING, pid INT64, command STRING,
        taken_at TIMESTAMP, heartbeat_at TIMESTAMP, expires_at TIMESTAMP)""",
}


def ensure_state(warehouse: Warehouse) -> dict[str, bool]:
    """Create the state dataset and its tables (idempotent): table -> whether it was created now."""
    warehouse.ensure_dataset(DATASET)
    existing = set(warehouse.tables(DATASET))
    created = {}
    for name, ddl in SCHEMA.items():
        created[name] = name not in existing
        if created[name]:
            warehouse.execute([ddl])
    return created


def state_exists(warehouse: Warehouse, table: str) -> bool:
    return table in warehouse.tables(DATASET)


def note_local_fallback(what: str, url: str) -> None:
    """Never fall back silently: one line on stderr naming what is kept only on this machine."""
    print(f"note: {url} has no {DATASET} dataset (run `phasegate init`): {what} kept on this machine only",
          file=sys.stderr)


# The history tables (gate runs and cases, backfill runs and chunk attempts) are declared beside
# their writers and readers; `init` creates every table of SCHEMA.
from phasegate.state.history import SCHEMA as _HISTORY  # noqa: E402 - history reads DATASET above
from phasegate.state.signoffs import SCHEMA as _SIGNOFFS  # noqa: E402

SCHEMA.update(_HISTORY)
SCHEMA.update(_SIGNOFFS)
