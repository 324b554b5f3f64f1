"""`phasegate init`: create the catalog's datasets and the phase 3/4 tables on a warehouse.

Tables get their schema from their processor's SELECT (a dry run on BigQuery, `WHERE FALSE`
on DuckDB), partitioning by day on the catalog's partition column and clustering from the
catalog. Raw (phase-2) tables belong to the scrapers: only their dataset is created.
Idempotent: what exists is left alone and reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass

from phasegate.errors import WarehouseError
from phasegate.model.catalog import Catalog, Table
from phasegate.warehouse import Warehouse


@dataclass(frozen=True)
class InitStep:
    kind: str    # "dataset" | "table"
    name: str    # dataset or dataset.table
    action: str  # "ensured" | "created" | "exists" | "skipped"
    note: str = ""


def _phases(catalog: Catalog, phase: str | None) -> list[str]:
    if phase is not None:
        catalog.phase(phase)
        return [phase]
    return list(catalog.phases)


def init_warehouse(warehouse: Warehouse, catalog: Catalog, phase: str | None = None) -> list[InitStep]:
    """Create datasets and processor-built tables (upstream first). Returns what was done."""
    from phasegate.runner.processors import processor_params, processor_sql

    steps: list[InitStep] = []
    phases = _phases(catalog, phase)
    for name in phases:
        for dataset in catalog.datasets_of(name):
            warehouse.ensure_dataset(dataset)
            steps.append(InitStep("dataset", dataset, "ensured"))
    wanted = [t.name for t in catalog.tables.values() if t.phase in phases]
    params = processor_params(catalog, catalog.settings.default_start_date, catalog.settings.default_end_date)
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
