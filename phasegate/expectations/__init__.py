"""Great Expectations suites per table, run as pytest cases inside the gate.

Layout: `expectations/<phase>/<table>.json` holds one suite in Great Expectations 1.x's own
JSON format (`gx.ExpectationSuite(**json.load(f))` loads it). This package:

    suites   find, read and check suite files; case ids; scaffold a starter suite (no GE import
             unless a check needs GE's registry)
    run      execute a suite through GE's SQL engine on the gate's warehouse, restricted to the
             gate's window by a literal BETWEEN on the table's date column (a query asset)
    compat   the small shim that makes GE's SQL engine work on DuckDB (see stack-notes.md)
    cases    the pytest side: parametrization, the once-per-table cache, failure messages

Great Expectations is imported lazily: importing this package (or `suites`) never imports it.
"""
