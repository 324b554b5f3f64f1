"""`phasegate init`: create the catalog's datasets and the phase 3/4 tables on a warehouse.

Tables get their schema from their processor's SELECT (a dry run on BigQuery, `WHERE FALSE`
on DuckDB), partitioning by day on the catalog's partition column and clustering from the
catalog. Raw (phase-2) tables belong to the scrapers: only their dataset is created.
Idempotent: what exists is left alone and reported as such.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from phasegate.errors import UsageError, WarehouseError
from phasegate.model.catalog import Catalog, Table
from phasegate.warehouse import Warehouse


@dataclass(frozen=True)
class InitStep:
    kind: str    # "dataset" | "table" | "state" (the phasegate dataset's own tables)
    name: str    # dataset or dataset.table
    action: str  # "ensured" | "created" | "exists" | "skipped"
    note: str = ""


def missing_message(catalog: Catalog, missing: list[str]) -> str:
    shown = ", ".join(catalog.table(name).ref for name in missing[:6]) + (f" (+{len(missing) - 6} more)" if len(missing) > 6 else "")
    return (f"init needs the tables its processors read, and these upstream table(s) are missing: {shown}; "
            "load the raw data first (or build the demo: phasegate demo); nothing was created")


def _phases(catalog: Catalog, phase: str | None) -> list[str]:
    if phase is not None:
        catalog.phase(phase)
        return [phase]
    return list(catalog.phases)


def missing_inputs(catalog: Catalog, phase: str | None, exists: Callable[[Table], bool]) -> list[str]:
    """Tables that must exist before init can create the tables of `phase` (default: all), and do not.

    A processor-built table takes its schema from its SELECT, so every table it reads must exist
    or be created before it by this init; raw tables (the scrapers') and tables built by command
    processors or by other phases are not created here.
    """
    phases = _phases(catalog, phase)
    created = {t.name for t in catalog.tables.values()
               if t.phase in phases and t.processor is not None and not t.is_command_processor}
    missing = []
    for name in catalog.topological_order(sorted(created)):
        for upstream in catalog.table(name).upstream:
            if upstream not in created and upstream not in missing and not exists(catalog.table(upstream)):
                missing.append(upstream)
    return missing


def plan_init(warehouse: Warehouse, catalog: Catalog, phase: str | None = None) -> list[InitStep]:
    """What `init_warehouse` would create ("create", "create if missing") and what is there ("exists"); read only."""
    steps: list[InitStep] = []
    phases = _phases(catalog, phase)
    for name in phases:
        for dataset in catalog.datasets_of(name):
            # a dataset holding tables exists; an empty one may or may not: it is created if missing
            exists = bool(warehouse.tables(dataset))
            steps.append(InitStep("dataset", dataset, "exists" if exists else "create if missing"))
    wanted = [t.name for t in catalog.tables.values() if t.phase in phases]
    for table_name in catalog.topological_order(wanted):
        table = catalog.table(table_name)
        if table.processor is None or table.is_command_processor:
            continue
        exists = bool(warehouse.columns(table.dataset, table.name))
        steps.append(InitStep("table", table.ref, "exists" if exists else "create",
                              "" if exists else f"partitioned by {table.partition}"
                              + (f", clustered by {', '.join(table.cluster_by)}" if table.cluster_by else "")))
    return steps


def init_warehouse(warehouse: Warehouse, catalog: Catalog, phase: str | None = None) -> list[InitStep]:
    """Create datasets and processor-built tables (upstream first). Returns what was done.

    Refused (UsageError, nothing created) when a table they read does not exist: init never
    leaves datasets without their tables.
    """
    from phasegate.runner.processors import processor_params, processor_sql

    steps: list[InitStep] = []
    phases = _phases(catalog, phase)
    missing = missing_inputs(catalog, phase, lambda t: bool(warehouse.columns(t.dataset, t.name)))
    if missing:
        raise UsageError(missing_message(catalog, missing))
    for name in phases:
        for dataset in catalog.datasets_of(name):
            warehouse.ensure_dataset(dataset)
            steps.append(InitStep("dataset", dataset, "ensured"))
    from phasegate.state import DATASET, ensure_state

    for name, created in ensure_state(warehouse).items():  # kind "state": not a catalog table, counted apart
        steps.append(InitStep("state", f"{DATASET}.{name}", "created" if created else "exists",
                              "shared state of every checkout"))
    wanted = [t.name for t in catalog.tables.values() if t.phase in phases]
    # The tables take their schema from the processors' SELECTs; any window compiles them.
    start = catalog.settings.default_start_date
    params = processor_params(catalog, start, catalog.settings.default_end_date or start)
    for table_name in catalog.topological_order(wanted):
        table: Table = catalog.table(table_name)
        if table.processor is None:
            steps.append(InitStep("table", table.ref, "skipped", "raw table: loaded by the scrapers"))
            continue
        if table.is_command_processor:
            steps.append(InitStep("table", table.ref, "skipped", "command processor: its job creates it"))
            continue
        try:
            created = warehouse.create_table_from_query(
                table.dataset, table.name, processor_sql(catalog, table), params,
                partition_column=table.partition, cluster_by=table.cluster_by)
        except WarehouseError as exc:
            missing = [u for u in table.upstream if not warehouse.columns(catalog.table(u).dataset, u)]
            hint = f" (upstream table(s) missing: {', '.join(missing)})" if missing else ""
            raise WarehouseError(f"init {table.ref}: {exc}{hint}") from None
        steps.append(InitStep("table", table.ref, "created" if created else "exists",
                              f"partitioned by {table.partition}"
                              + (f", clustered by {', '.join(table.cluster_by)}" if table.cluster_by else "")))
    return steps
