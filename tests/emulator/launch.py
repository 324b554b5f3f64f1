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
Everything after the script name is passed to `bqemulator start`.
"""

from __future__ import annotations

import sys


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


def main() -> None:
    _patch()
    _bind_script_parameters()
    from bqemulator.cli import main as cli

    sys.argv = ["bqemulator", "start", *sys.argv[1:]]
    cli()


if __name__ == "__main__":
    main()
