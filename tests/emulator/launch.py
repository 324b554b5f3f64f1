"""Start bqemulator offline, for Phasegate's end-to-end tests (run with the emulator venv's python).

    .phasegate/emulator-venv/bin/python tests/emulator/launch.py --rest-port 0 ...

Two fixes over `bqemulator start`, both local to this process:
- DuckDB's spatial (and avro) extensions are not loaded: the emulator insists on downloading
  them at start-up, which fails offline (and costs seconds); Phasegate uses neither.
- The official client's small multipart uploads send the media part as `*/*`, which the
  emulator rejects; the launcher accepts it (BigQuery itself does).
- Query parameters reach multi-statement scripts: BigQuery binds a job's @parameters in every
  statement of a script (Phasegate's replace_range is one BEGIN/DELETE/INSERT/COMMIT script),
  the emulator's script interpreter binds none. The launcher hands them through.
- `ARRAY_AGG(x IGNORE NULLS ORDER BY k LIMIT n)` (valid BigQuery; the compiled expectation
  suites take their unexpected examples with it) reaches DuckDB as the sliced, filtered
  aggregate: the emulator's rewriter handles IGNORE NULLS and LIMIT each alone, and for the
  two together builds a FILTER over the LIMIT clause, which its own parser then rejects.
- `COUNTIF(p) OVER (...)` stays a window function: the emulator wraps every COUNTIF in
  COALESCE(..., 0) (BigQuery's 0 on empty input), which leaves the OVER on the COALESCE.
  A window COUNTIF is never NULL, so it needs no wrapping.
- A query's rewriting is remembered: on every job the emulator parses and rewrites the SQL
  with sqlglot several times over (row access, schema, translation to DuckDB, table names, and
  DDL bookkeeping that a SELECT never needs), seconds for one of the gate's folded statements
  (tens of KB), and its dry run executes the query in full. The gate's dry run and its run, and
  the next gate over another window or project (dates are parameters), send the same text, so
  a SELECT is rewritten once and then only executed. With PHASEGATE_EMULATOR_CACHE set (the
  tests' Emulator sets it) rewritten queries are kept in that folder, shared by the emulators
  of one test run (one per xdist worker and module), and so are the project-qualified forms
  the last step makes of them (its table-name rewriter re-parses the whole DuckDB SQL: per
  project, a pure function of the text): a later emulator's first run of a folded statement
  parsed it twice more (about 1 s each), which made a warm gate cost twice a second one.
- A query's statement type is SELECT, without a parse: the emulator parses every job's SQL
  with sqlglot once more only to name its statementType (and its dry run to decide it is no
  DML); the team test (tests/test_team_emulator.py) spent a fifth of its warm run there.
- A query skips the emulator's DDL and DML bookkeeping: before every job it parses the SQL
  with sqlglot six more times (is it a DROP, a CREATE TABLE or VIEW, a DROP FUNCTION, DML on
  an immutable table, DML to snapshot; which statement type), each a full parse of a folded
  statement (seconds); none applies to a SELECT, and its statement type is read from one
  parse per text. The expectations test (about 250 jobs) spent 135 s of 333 s (profiled) in
  those parses; it now takes 118 s cold, alone (149 s in the last full run).
- A dry run of a query is planned, not run: the emulator's dry run executes the query in full
  and reports 0 bytes (it has no cost model), which doubled every gate. Wrapped as
  `SELECT * FROM (query) WHERE false`, DuckDB binds it (a missing table or column or a type
  error still fails the dry run, as on BigQuery) and returns its schema, with no rows read.
- A long CONCAT stays one flat `a || b || c` chain: the emulator casts every `||` it makes to
  VARCHAR (so a NULL operand still types the column as STRING), the inner ones of a chain
  too, so CONCAT of n arguments reaches DuckDB as n nested CASTs. Its table-name rewriter
  then re-parses that SQL, and past ~45 arguments (the audit's per-column detail of
  player_game_summary: one per compared column) sqlglot's recursive parser exceeds Python's
  recursion limit; the rewriter gives up silently and sends `nba_raw.x` unqualified
  ("Dataset nba_analytics was not found"). Only the outermost `||` of a chain decides the
  column's type, so only it is cast.
Everything after the script name is passed to `bqemulator start`.
"""

from __future__ import annotations

import sys


def _is_query(sql: str) -> bool:
    """A read-only query (no DDL, DML or script): what the emulator's DDL bookkeeping can skip."""
    head = sql.lstrip().upper()
    return head.startswith(("SELECT", "WITH", "(")) and "INFORMATION_SCHEMA" not in head


def _patch() -> None:
    from bqemulator.api.routes import upload
    from bqemulator.storage import engine

    def skip(self) -> None:  # type: ignore[no-untyped-def]
        """Offline: no GEOGRAPHY / Avro (Phasegate uses neither), and no download attempt."""

    engine.DuckDBEngine._load_spatial = skip
    engine.DuckDBEngine._load_format_extensions = skip
    if "*/*" not in upload._PERMITTED_MEDIA_CONTENT_TYPES:
        upload._PERMITTED_MEDIA_CONTENT_TYPES = (*upload._PERMITTED_MEDIA_CONTENT_TYPES, "*/*")


def _bind_script_parameters() -> None:
    import contextvars

    from bqemulator.jobs import executor
    from bqemulator.scripting import interpreter

    current: contextvars.ContextVar[list | None] = contextvars.ContextVar("phasegate_query_params", default=None)
    run_query_body = executor._run_query_body
    bind_parameters = interpreter.bind_parameters

    async def run_query_body_with_params(**kwargs):  # type: ignore[no-untyped-def]
        token = current.set(kwargs.get("query_params") if kwargs.get("is_scripted") else None)
        try:
            return await run_query_body(**kwargs)
        finally:
            current.reset(token)

    def bind_script_parameters(sql, query_parameters=None):  # type: ignore[no-untyped-def]
        return bind_parameters(sql, query_parameters if query_parameters is not None else current.get())

    executor._run_query_body = run_query_body_with_params
    interpreter.bind_parameters = bind_script_parameters


def _ignore_nulls_with_limit() -> None:
    from bqemulator.sql.rewriter import aggregate_variants
    from sqlglot import exp

    rewrite_ignore_nulls = aggregate_variants._rewrite_ignore_nulls

    def rewrite(tree):  # type: ignore[no-untyped-def]
        modified = False
        for node in list(tree.walk()):
            agg = node.this if isinstance(node, exp.IgnoreNulls) else None
            if not (isinstance(agg, exp.ArrayAgg) and isinstance(agg.this, exp.Limit)):
                continue
            ordered, limit = agg.this.this, agg.this.expression
            value = ordered.this if isinstance(ordered, exp.Order) else ordered
            kept = exp.Filter(this=exp.ArrayAgg(this=ordered.copy()),
                              expression=exp.Where(this=exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null()))))
            node.replace(exp.Anonymous(this="ARRAY_SLICE", expressions=[kept, exp.Literal.number(1), limit.copy()]))
            modified = True
        return rewrite_ignore_nulls(tree) or modified

    aggregate_variants._rewrite_ignore_nulls = rewrite


def _rule_skipped_under(rule, parent) -> None:  # type: ignore[no-untyped-def]
    """The emulator's translation `rule` no longer applies to a node whose parent is a `parent`."""
    applies_to = rule.applies_to

    def applies_elsewhere(self, node):  # type: ignore[no-untyped-def]
        return not isinstance(node.parent, parent) and applies_to(self, node)

    rule.applies_to = applies_elsewhere


def _window_countif() -> None:
    from bqemulator.sql.rules import misc_helpers
    from sqlglot import exp

    _rule_skipped_under(misc_helpers.CountIfEmptyZeroRule, exp.Window)


def _flat_concat() -> None:
    from bqemulator.sql.rules import datetime_semantics
    from sqlglot import exp

    _rule_skipped_under(datetime_semantics.ConcatStringTypeRule, exp.DPipe)  # only a chain's top is cast


def _remember_query_rewrites() -> None:
    import hashlib
    import os
    from pathlib import Path

    from bqemulator.jobs import executor

    rewrite = executor.rewrite_and_translate_statement
    cache = os.environ.get("PHASEGATE_EMULATOR_CACHE")
    folder = Path(cache) if cache else None
    memory: dict[str, str] = {}

    async def remembered(bq_sql, *, project_id, ctx, caller, translator):  # type: ignore[no-untyped-def]
        if not _is_query(bq_sql):
            return await rewrite(bq_sql, project_id=project_id, ctx=ctx, caller=caller, translator=translator)
        # Not keyed by project: the DuckDB SQL names tables by dataset.table until
        # rewrite_table_refs qualifies them with the project, after this step.
        key = hashlib.sha256(f"{caller!r}\n{bq_sql}".encode()).hexdigest()
        if key in memory:
            return memory[key]
        stored = folder / f"{key}.sql" if folder else None
        if stored is not None and stored.exists():
            memory[key] = stored.read_text()
            return memory[key]
        memory[key] = await rewrite(bq_sql, project_id=project_id, ctx=ctx, caller=caller, translator=translator)
        if stored is not None:  # written aside, then renamed: another emulator may read it at once
            folder.mkdir(parents=True, exist_ok=True)
            aside = stored.with_suffix(f".{os.getpid()}.tmp")
            aside.write_text(memory[key])
            aside.replace(stored)
        return memory[key]

    def unless_query(sync):  # type: ignore[no-untyped-def]
        def synced(bq_sql, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None if _is_query(bq_sql) else sync(bq_sql, *args, **kwargs)
        return synced

    executor.rewrite_and_translate_statement = remembered
    qualify = executor.rewrite_table_refs
    qualified: dict[tuple[str, str], str] = {}

    def remembered_refs(duckdb_sql: str, project_id: str) -> str:
        if (duckdb_sql, project_id) in qualified:
            return qualified[duckdb_sql, project_id]
        key = hashlib.sha256(f"refs\n{project_id}\n{duckdb_sql}".encode()).hexdigest()
        stored = folder / f"{key}.refs.sql" if folder else None
        if stored is not None and stored.exists():
            out = stored.read_text()
        else:
            out = qualify(duckdb_sql, project_id)  # an invalid dataset id raises: nothing kept
            if stored is not None:
                folder.mkdir(parents=True, exist_ok=True)
                aside = stored.with_suffix(f".{os.getpid()}.tmp")
                aside.write_text(out)
                aside.replace(stored)
        qualified[duckdb_sql, project_id] = out
        return out

    executor.rewrite_table_refs = remembered_refs
    for name in ("sync_created_schema", "sync_created_table", "sync_created_view", "sync_dropped_object"):
        setattr(executor, name, unless_query(getattr(executor, name)))


def _queries_skip_ddl_inspection() -> None:
    import functools

    from bqemulator.catalog import ddl_sync
    from bqemulator.jobs import executor, routine_ddl

    def unless_query(inspect, answer_for_query):  # type: ignore[no-untyped-def]
        @functools.wraps(inspect)
        def inspected(bq_sql, *args, **kwargs):  # type: ignore[no-untyped-def]
            return answer_for_query if _is_query(bq_sql) else inspect(bq_sql, *args, **kwargs)
        return inspected

    async def no_snapshots(project_id, bq_sql, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not _is_query(bq_sql):
            await capture(project_id, bq_sql, *args, **kwargs)

    def not_dml(project_id, bq_sql, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not _is_query(bq_sql):
            reject(project_id, bq_sql, *args, **kwargs)

    capture, reject = executor._capture_dml_snapshots, executor._reject_dml_on_immutable
    executor._capture_dml_snapshots, executor._reject_dml_on_immutable = no_snapshots, not_dml
    for module in (ddl_sync, executor):
        for name, answer in (("_detect_catalog_drop", None), ("_detect_plain_create_table", None),
                             ("_detect_plain_create_view", (None, None))):
            if hasattr(module, name):
                setattr(module, name, unless_query(getattr(module, name), answer))
    executor.detect_drop_routine = unless_query(routine_ddl.detect_drop_routine, None)
    # The statement type of a query is read from its tree, never changed: one parse per text.
    executor._parse_for_classification = functools.lru_cache(maxsize=256)(executor._parse_for_classification)


def _queries_are_selects() -> None:
    from bqemulator.api.routes import jobs
    from bqemulator.jobs import executor

    classify = executor.classify_statement_type

    def classified(bq_sql: str) -> str:
        return "SELECT" if _is_query(bq_sql) else classify(bq_sql)

    executor.classify_statement_type = jobs.classify_statement_type = classified


def _plan_dry_runs() -> None:
    import contextvars

    from bqemulator.api.routes import jobs
    from bqemulator.storage import engine

    dry: contextvars.ContextVar[bool] = contextvars.ContextVar("phasegate_dry_run", default=False)
    dry_run_response = jobs._dry_run_response
    fetch_arrow = engine.DuckDBEngine.fetch_arrow

    async def planned_dry_run(**kwargs):  # type: ignore[no-untyped-def]
        token = dry.set(True)
        try:
            return await dry_run_response(**kwargs)
        finally:
            dry.reset(token)

    def fetch_or_plan(self, sql, parameters=None):  # type: ignore[no-untyped-def]
        if dry.get() and sql.lstrip().upper().startswith(("SELECT", "WITH", "(")):
            sql = f"SELECT * FROM ({sql.strip().rstrip(';')}) AS phasegate_dry_run WHERE false"
        return fetch_arrow(self, sql, parameters)

    jobs._dry_run_response = planned_dry_run
    engine.DuckDBEngine.fetch_arrow = fetch_or_plan


def main() -> None:
    _patch()
    _plan_dry_runs()
    _queries_skip_ddl_inspection()
    _queries_are_selects()
    _remember_query_rewrites()
    _bind_script_parameters()
    _ignore_nulls_with_limit()
    _window_countif()
    _flat_concat()
    from bqemulator.cli import main as cli

    sys.argv = ["bqemulator", "start", *sys.argv[1:]]
    cli()


if __name__ == "__main__":
    main()
