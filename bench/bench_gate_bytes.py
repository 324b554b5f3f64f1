"""Benchmark: the BigQuery bytes of a phase-3 gate against the bytes of the columns its checks need.

    .venv/bin/python bench/bench_gate_bytes.py [--warehouse duckdb:///clean.duckdb] [--audit off]

Target: the bytes every gate statement would process (their dry runs) <= 1.2x the bytes of the
columns the checks need over the window, each read once.

How it is measured. The local BigQuery emulator answers every dry run with 0 bytes, so the dry
run's figure is MODELLED from the data, with BigQuery's on-demand rules ("mocked statistics"):
each statement processes, for every table it reads, the columns it references (each counted once
per statement, however often the statement names it), over the partitions it scans; a column's
size is the sum of its values' logical sizes (INT64, FLOAT64, DATE, TIMESTAMP 8 B, BOOL 1 B,
NUMERIC 16 B, STRING 2 B + its UTF-8 length, an ARRAY the sum of its elements, NULL 0 B). The
gate's statements are exactly those `phasegate gate phase3` sends (`gate_statements`: coverage,
and the one-pass checks with the reproduction audit and the compiled suite folded in, in BigQuery SQL); the columns each reads come from
sqlglot's scope analysis of that SQL. The default window spans every season of the demo, so
every partition is scanned in both figures. The baseline reads every column any statement needs
exactly once. Billed bytes add BigQuery's 10 MB minimum per table referenced by each statement;
that is printed beside it (on a table this small it dominates; on the platform's it does not).
Without --warehouse the clean demo is built in a temporary folder first (about 30 s).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlglot  # noqa: E402
from sqlglot import exp  # noqa: E402
from sqlglot.optimizer.qualify import qualify  # noqa: E402
from sqlglot.optimizer.scope import traverse_scope  # noqa: E402

from phasegate.gate.run import _phase_window, gate_statements  # noqa: E402
from phasegate.warehouse import open_warehouse  # noqa: E402
from phasegate.warehouse.cost import format_bytes  # noqa: E402

TARGET = 1.2
MIN_BILLED_PER_TABLE = 10 * 2**20  # BigQuery on-demand: 10 MB minimum per table referenced


def size_sql(column: str, kind: str) -> str:
    """BigQuery SQL for the logical size of one column's values (NULL 0 bytes); `kind` as the adapter reports it."""
    q = f"`{column}`"
    kind = kind.upper()
    if kind.startswith("ARRAY") or kind.endswith("[]"):
        inner = kind.removeprefix("ARRAY<").removesuffix(">").removesuffix("[]")
        each = "2 + BYTE_LENGTH(CAST(CAST(x AS STRING) AS BYTES))" if "STR" in inner or "VARCHAR" in inner else "8"
        return f"COALESCE((SELECT SUM({each}) FROM UNNEST({q}) AS x), 0)"
    if "VARCHAR" in kind or "STRING" in kind or "TEXT" in kind:
        return f"IF({q} IS NULL, 0, 2 + BYTE_LENGTH(CAST({q} AS BYTES)))"
    if kind.startswith("BOOL"):
        width = 1
    elif kind.startswith(("DECIMAL", "NUMERIC")):
        width = 16
    else:  # integers, floats, dates, timestamps, times
        width = 8
    return f"IF({q} IS NULL, 0, {width})"


def column_sizes(wh, dataset: str, table: str, columns: set[str]) -> dict[str, int]:
    types = wh.columns(dataset, table)
    wanted = sorted(c for c in columns if c in types)
    if not wanted:
        return {}
    select = ", ".join(f"SUM({size_sql(c, types[c])}) AS s{i}" for i, c in enumerate(wanted))
    row = wh.query(f"SELECT {select} FROM {dataset}.{table}")[0]
    return {c: int(row[f"s{i}"] or 0) for i, c in enumerate(wanted)}


def columns_read(sql: str, schema: dict) -> dict[tuple[str, str], set[str]]:
    """(dataset, table) -> the columns one statement reads (sqlglot scopes, stars expanded)."""
    tree = qualify(sqlglot.parse_one(sql, read="bigquery"), schema=schema, dialect="bigquery",
                   validate_qualify_columns=False)
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for scope in traverse_scope(tree):
        for column in scope.columns:
            source = scope.sources.get(column.table)
            if isinstance(source, exp.Table) and source.db:
                out[(source.db, source.name)].add(column.name)
        for source in scope.sources.values():  # a table read only for its rows (COUNT(*)) still scans
            if isinstance(source, exp.Table) and source.db:
                out.setdefault((source.db, source.name), set())
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", help="an existing clean demo warehouse (default: build one)")
    parser.add_argument("--phase", default="phase3")
    parser.add_argument("--audit", help="the gate's --audit (default: the catalog's settings.audit)")
    args = parser.parse_args()
    url = args.warehouse
    if url is None:
        url = f"duckdb:///{Path(tempfile.mkdtemp(prefix='bench_gate_bytes_')) / 'clean.duckdb'}"
        proc = subprocess.run([str(ROOT / ".venv" / "bin" / "phasegate"), "demo", "--scenario", "clean", "-w", url],
                              cwd=ROOT, capture_output=True, text=True, check=False)
        if proc.returncode:
            raise SystemExit(proc.stdout + proc.stderr)
    catalog, start, end = _phase_window(args.phase, ROOT / "pipeline.toml", None, None, url)
    wh = open_warehouse(url, read_only=True)
    try:
        statements = gate_statements(catalog, args.phase, start, end, warehouse=wh, audit=args.audit,
                                     fold=True)  # as BigQuery receives them
        schema: dict[str, dict[str, dict[str, str]]] = {}
        for t in catalog.tables.values():
            cols = wh.columns(t.dataset, t.name)
            if cols:
                schema.setdefault(t.dataset, {})[t.name] = dict.fromkeys(cols, "STRING")
        reads = [(table, columns_read(sql, schema)) for table, sql, _ in statements.queries]
        needed: dict[tuple[str, str], set[str]] = defaultdict(set)
        for _, read in reads:
            for ref, cols in read.items():
                needed[ref] |= cols
        sizes = {ref: column_sizes(wh, ref[0], ref[1], cols) for ref, cols in needed.items()}
    finally:
        wh.close()
    baseline = sum(sum(s.values()) for s in sizes.values())
    per_statement = [sum(sizes[ref].get(c, 0) for c in cols) for _, read in reads for ref, cols in read.items()]
    gate_bytes = sum(per_statement)
    refs = sum(len(read) for _, read in reads)
    by_table: dict[str, int] = defaultdict(int)  # the gate's bytes per table it checks (its three statements)
    for table, read in reads:
        by_table[table] += sum(sizes[ref].get(c, 0) for ref, cols in read.items() for c in cols)
    ratio = gate_bytes / baseline if baseline else float("inf")
    print(f"BigQuery bytes of the {args.phase} gate ({len(reads)} statements, window {start}..{end}), MODELLED "
          f"from the demo's data with BigQuery's on-demand size rules (the emulator's dry runs report 0)")
    print(f"  the columns the checks need, each read once: {format_bytes(baseline)} ({baseline:,} B) over "
          f"{len(needed)} tables, {sum(len(c) for c in needed.values())} columns")
    print(f"  the gate's statements (sum of their dry runs):  {format_bytes(gate_bytes)} ({gate_bytes:,} B)")
    for table, b in sorted(by_table.items()):
        print(f"    {table}: {format_bytes(b)}")
    print(f"  ratio {ratio:.2f}x (target <= {TARGET}x)")
    print(f"  billed would add BigQuery's 10 MB minimum per table referenced: {refs} references, at least "
          f"{format_bytes(refs * MIN_BILLED_PER_TABLE)} billed on tables this small")
    # What the ratio is made of: each table's bytes read again by more than one statement.
    again = []
    for ref in needed:
        readers = [read for _, read in reads if ref in read]
        extra = sum(sizes[ref].get(c, 0) for read in readers for c in read[ref]) - sum(sizes[ref].values())
        if extra > 0:
            again.append((extra, ref, len(readers)))
    print("  read again (bytes beyond one read, the statements that read the table):")
    for extra, ref, n in sorted(again, reverse=True):
        print(f"    {ref[0]}.{ref[1]}: +{format_bytes(extra)} ({n} statements)")
    ok = ratio <= TARGET
    print("target met" if ok else "TARGET MISSED: the statements above read the tables listed under 'read again' "
          "more than once (coverage is a statement per table; everything else is one statement for the phase)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
