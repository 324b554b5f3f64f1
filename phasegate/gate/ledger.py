"""What a gate run cost: its warehouse jobs, summed per run, per table and per kind of measurement.

Every process of a gate (one by default; each xdist worker otherwise) writes the jobs of its
warehouse ledger (`phasegate.warehouse.ledger`) to `jobs-<pid>.json` in the run folder when
its session ends; the process that writes results.json reads them all (`cost_of`), so the
cost covers every worker. A measurement serves several families (the one-pass checks
statement serves every SQL family of its table), and one statement may serve several
measurements (the checks statement with the audit and the compiled suite folded in: label
`serves`), so jobs are attributed to each measurement they served and the families named;
a run's and a table's totals count each job once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from phasegate.model.families import FAMILIES
from phasegate.warehouse.ledger import METADATA, Job, totals

JOBS_GLOB = "jobs-*.json"
# A job's `component` label -> the measurement it belongs to (phasegate.model.families.Measure).
MEASURE_OF_COMPONENT = {"coverage": "coverage", "gate": "sql", "checks": "sql", "expectations": "expectations",
                        "expectations_ge": "expectations", "columns": "metadata", "tables": "metadata",
                        "audit": "audit", "query_columns": "metadata"}


def write_jobs(run_dir: Path, jobs: list[Job]) -> Path:
    path = Path(run_dir) / f"jobs-{os.getpid()}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps([j.as_dict() for j in jobs], default=str))
    tmp.replace(path)
    return path


def read_jobs(run_dir: Path) -> list[Job]:
    jobs = []
    for path in sorted(Path(run_dir).glob(JOBS_GLOB)):
        for data in json.loads(path.read_text()):
            jobs.append(Job(**data))
    return jobs


def cost_of(jobs: list[Job], *, engine: str | None = None) -> dict[str, Any]:
    """results.json's `cost`: totals for the run, per table and measurement, per measurement.

    Bytes are None ("unknown") when any job's are, and 0 billed on an engine that bills nothing.
    """
    by_table: dict[str, dict[str, list[Job]]] = {}
    by_measure: dict[str, list[Job]] = {}
    for job in jobs:
        for measure in measures_of(job):
            by_measure.setdefault(measure, []).append(job)
            table = job.labels.get("table")
            if table:
                by_table.setdefault(table, {}).setdefault(measure, []).append(job)
    families = {m: [f.name for f in FAMILIES if f.measure == m] for m in by_measure}
    return {
        "engine": engine,
        "run": totals(jobs),
        "by_measure": {m: {"families": families[m], **totals(js)} for m, js in sorted(by_measure.items())},
        "by_family": by_family(by_measure),
        "by_table": {t: {"total": totals(list({id(j): j for js in ms.values() for j in js}.values())),
                         **{m: totals(js) for m, js in sorted(ms.items())}}
                     for t, ms in sorted(by_table.items())},
    }


def measures_of(job: Job) -> list[str]:
    """The measurements a job served: its component's, and those folded into it (label `serves`,
    e.g. the checks statement that also answered the audit and the suite: "audit-expectations")."""
    first = MEASURE_OF_COMPONENT.get(job.labels.get("component", ""), "other")
    folded = [MEASURE_OF_COMPONENT.get(p, p) for p in (job.labels.get("serves") or "").split("-") if p]
    return list(dict.fromkeys([first, *folded]))


def by_family(by_measure: dict[str, list[Job]]) -> dict[str, dict[str, Any]]:
    """Per family, the jobs of the measurement that serves it (every catalogued family, 0 jobs if none ran).

    A statement serves every family of its measurement (the one-pass checks statement: all SQL
    families of its table), so a family's figures are those of the statements it needed, and
    `shared_with` names the families the same statements served: adding families up counts a
    shared statement more than once; the run total counts it once."""
    out = {}
    for family in FAMILIES:
        shared = [f.name for f in FAMILIES if f.measure == family.measure and f.name != family.name]
        out[family.name] = {"measure": family.measure, "shared_with": shared,
                            **totals(by_measure.get(family.measure, []))}
    return out


def family_line(cost: dict[str, Any]) -> str:
    """'date_coverage, game_coverage, bootstrap_rows: 5 statements, billed 1.2 GiB; ...' (one entry per
    measurement, as its families share its statements)."""
    from phasegate.warehouse.cost import format_bytes

    groups: dict[str, list[str]] = {}
    facts: dict[str, dict[str, Any]] = {}
    for name, fam in (cost.get("by_family") or {}).items():
        groups.setdefault(fam.get("measure", "?"), []).append(name)
        facts[fam.get("measure", "?")] = fam
    parts = []
    for measure, names in groups.items():
        fam = facts[measure]
        billed = fam.get("bytes_billed")
        processed = fam.get("bytes_processed")
        if fam.get("jobs", 0) == 0:
            bytes_text = "metadata only, free" if fam.get("metadata_calls") else "no statement"
        elif billed == 0 and processed is None:
            bytes_text = "nothing billed"
        else:
            bytes_text = (f"billed {format_bytes(billed) if billed is not None else 'unknown'}, processed "
                          f"{format_bytes(processed) if processed is not None else 'unknown'}")
        parts.append(f"{', '.join(names)}: {fam.get('jobs', 0)} statements, {bytes_text}")
    return "; ".join(parts)


def statements_of(jobs: list[Job]) -> int:
    """Warehouse statements (query jobs) among the jobs; metadata lookups are not statements."""
    return sum(1 for j in jobs if j.kind != METADATA)


def cost_line(cost: dict[str, Any]) -> str:
    """One line for people: statements sent and bytes, saying why a byte total is 0 or unknown."""
    from phasegate.warehouse.cost import format_bytes

    run = cost.get("run") or {}
    tables = len(cost.get("by_table") or {})
    per_table = f" ({run.get('jobs', 0) / tables:.1f} per table)" if tables else ""
    processed, billed = run.get("bytes_processed"), run.get("bytes_billed")
    if processed is None and billed == 0:
        bytes_text = "nothing billed (DuckDB reads a local file; bytes processed are not reported)"
    else:
        bytes_text = (f"bytes processed {format_bytes(processed) if processed is not None else 'unknown'}, "
                      f"billed {format_bytes(billed) if billed is not None else 'unknown'}")
    return (f"cost: {run.get('jobs', 0)} warehouse statements{per_table}, {run.get('metadata_calls', 0)} metadata "
            f"lookups; {bytes_text}")
