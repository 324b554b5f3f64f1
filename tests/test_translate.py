"""BigQuery SQL on DuckDB: the one translation function, its drift fixes, and the corpus."""

from __future__ import annotations

import datetime as dt

import pytest

from phasegate.measure.calendar import CALENDAR_SQL, calendar_params, expected_games_cte
from phasegate.measure.coverage import coverage_sql
from phasegate.runner.processors import processor_sql
from phasegate.warehouse.duckdb import DuckDBWarehouse
from phasegate.warehouse.translate import TranslationError, referenced_tables, to_duckdb
from tests.fixtures.builders import repo_catalog


@pytest.fixture(scope="module")
def warehouse():
    wh = DuckDBWarehouse(":memory:")
    yield wh
    wh.close()


def one(warehouse, sql, **params):
    rows = warehouse.query(sql, params)
    assert len(rows) == 1
    return rows[0]


# Each case: BigQuery SQL and the value BigQuery returns for it.
BIGQUERY_ANSWERS = [
    ("SELECT EXTRACT(DAYOFWEEK FROM DATE '2024-01-07') AS v", 1),   # Sunday is 1 in BigQuery
    ("SELECT EXTRACT(DAYOFWEEK FROM DATE '2024-01-13') AS v", 7),   # Saturday is 7
    ("SELECT DATE_TRUNC(DATE '2024-03-15', MONTH) AS v", dt.date(2024, 3, 1)),
    ("SELECT DATE_ADD(DATE '2024-01-31', INTERVAL 1 DAY) AS v", dt.date(2024, 2, 1)),
    ("SELECT DATE_SUB(DATE '2024-03-01', INTERVAL 1 DAY) AS v", dt.date(2024, 2, 29)),
    ("SELECT DATE_ADD(DATE '2024-01-15', INTERVAL 1 MONTH) AS v", dt.date(2024, 2, 15)),
    ("SELECT DATE_DIFF(DATE '2024-01-15', DATE '2023-10-24', DAY) AS v", 83),
    ("SELECT FORMAT_DATE('%Y%m%d', DATE '2024-01-05') AS v", "20240105"),
    ("SELECT SAFE_DIVIDE(1, 0) AS v", None),
    ("SELECT COUNTIF(x > 1) AS v FROM UNNEST([1, 2, 3]) AS x", 2),
    ("SELECT COUNTIF(x > 1) AS v FROM UNNEST([CAST(NULL AS INT64)]) AS x", 0),   # DuckDB alone says NULL
    ("SELECT COUNTIF(x > 1) AS v FROM UNNEST([1, 2]) AS x WHERE x > 5", 0),
    ("SELECT COUNTIF(x > 1) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND 1 PRECEDING) AS v "
     "FROM UNNEST([1]) AS x", 0),
    ("SELECT REGEXP_CONTAINS('20240105_LAL_DEN', r'^\\d{8}_[A-Z]{3}_[A-Z]{3}$') AS v", True),
    ("SELECT REGEXP_CONTAINS('20240105_DEN_LA', r'^\\d{8}_[A-Z]{3}_[A-Z]{3}$') AS v", False),
    ("SELECT SPLIT('20240105_LAL_DEN', '_')[OFFSET(2)] AS v", "DEN"),
    ("SELECT STRING_AGG(x, ',' ORDER BY x) AS v FROM UNNEST(['b', 'a', 'c']) AS x", "a,b,c"),
    ("SELECT ARRAY_LENGTH([1.0, 2.0, 3.0]) AS v", 3),
    ("SELECT x AS v FROM UNNEST([3, 1, 2]) AS x QUALIFY ROW_NUMBER() OVER (ORDER BY x) = 1", 1),
    ("SELECT ROUND(2.25, 1) AS v", 2.3),
    ("SELECT ARRAY_TO_STRING(ARRAY_AGG(x IGNORE NULLS ORDER BY x LIMIT 2), ',') AS v "
     "FROM UNNEST(['c', NULL, 'a', 'b']) AS x", "a,b"),
    ("SELECT ARRAY_TO_STRING(ARRAY_AGG(x ORDER BY x DESC LIMIT 2), ',') AS v FROM UNNEST(['c', 'a', 'b']) AS x", "c,b"),
]


@pytest.mark.parametrize("sql, expected", BIGQUERY_ANSWERS, ids=[s for s, _ in BIGQUERY_ANSWERS])
def test_duckdb_answers_like_bigquery(warehouse, sql, expected):
    value = one(warehouse, sql)["v"]
    if isinstance(expected, float):
        assert float(value) == pytest.approx(expected)
    else:
        assert value == expected
        assert type(value) is type(expected)


def test_parameters_and_arrays(warehouse):
    row = one(warehouse, "SELECT @d AS d, 'Playoffs' IN UNNEST(@types) AS yes, 'All-Star' IN UNNEST(@types) AS no",
              d=dt.date(2024, 1, 5), types=["Regular Season", "Playoffs"])
    assert row == {"d": dt.date(2024, 1, 5), "yes": True, "no": False}


@pytest.mark.parametrize("sql, message", [
    ("SELECT FORMAT_DATE('%e', DATE '2024-01-05')", "%e"),
    ("CREATE TABLE a.b (x INT64) PARTITION BY x", "not supported on DuckDB"),
    ("SELEC 1", "not valid BigQuery SQL"),
])
def test_unfaithful_constructs_raise(sql, message):
    with pytest.raises(TranslationError, match=message):
        to_duckdb(sql)


def test_missing_parameter_is_an_error(warehouse):
    from phasegate.errors import WarehouseError

    with pytest.raises(WarehouseError, match="start_date"):
        warehouse.query("SELECT @start_date AS d")


def project_queries() -> dict[str, str]:
    """Every query text the engine sends, keyed by where it comes from."""
    catalog = repo_catalog()
    corpus = {"calendar": CALENDAR_SQL.format(ctes=expected_games_cte(catalog))}
    for table in catalog.tables.values():
        if table.measure_coverage:
            corpus[f"coverage:{table.name}"] = coverage_sql(catalog, table)
        if catalog.processor_path(table) is not None:
            # what the runner sends: the file with the calendar CTEs prepended
            corpus[f"processor:{table.name}"] = processor_sql(catalog, table)
    from phasegate.measure.checks import table_checks
    from phasegate.measure.query import table_sql

    for table in catalog.tables.values():
        # the gate's one-pass query per table embeds every generated and hand-written check
        corpus[f"gate:{table.name}"] = table_sql(catalog, table, table_checks(catalog, table))
    return corpus


@pytest.mark.parametrize("name", sorted(project_queries()))
def test_corpus_query_translates_and_reads_only_catalogued_tables(name):
    sql = project_queries()[name]
    assert to_duckdb(sql).strip()
    catalog = repo_catalog()
    known = {t.ref for t in catalog.tables.values()}
    # gate and processor queries carry the expected-games CTEs, whose names are not tables
    assert referenced_tables(sql) <= known, referenced_tables(sql) - known


def test_calendar_query_runs_on_an_empty_schedule(warehouse):
    from tests.fixtures.builders import load_schedule

    load_schedule(warehouse, [])
    catalog = repo_catalog()
    rows = warehouse.query(CALENDAR_SQL.format(ctes=expected_games_cte(catalog)),
                           calendar_params(catalog, dt.date(2024, 1, 1), dt.date(2024, 1, 31)))
    assert rows == []
