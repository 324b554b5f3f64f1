"""The gate's test functions, one per check family, shared by every checks/<phase>/test_gate.py.

The Phasegate plugin (phasegate/plugin.py) parametrizes each `test_<family>` with the
catalogued tables of the phase the module sits in (checks/phase3 -> phase3) and supplies the
`verdict` fixture, which judges the table's cached measurement. Defining the functions once
keeps the phases identical by construction: a family added here reaches every phase.
"""


def test_uncatalogued_tables(verdict):
    """The phase's datasets hold exactly the catalogued tables: none unknown, none missing."""
    verdict.check()


def test_schema(table, verdict):
    """The table exists with its key, date, team, processed_at and catalogued columns."""
    verdict.check()


def test_date_coverage(table, verdict):
    """Expected non-bootstrap game dates (minus documented exceptions) present >= threshold."""
    verdict.check()


def test_game_coverage(table, verdict):
    """Expected games present >= threshold, and no partial date (a date with games missing)."""
    verdict.check()


def test_bootstrap_rows(table, verdict):
    """Tables with bootstrap = "skip" write nothing on the first days of a season."""
    verdict.check()


def test_key_uniqueness(table, verdict):
    """The catalog key identifies one row."""
    verdict.check()


def test_row_counts(table, verdict):
    """Rows per game / per date within the catalog's bounds."""
    verdict.check()


def test_null_rates(table, verdict):
    """NULL rates within max_null_rate (and the table's own NULL-rate SQL checks)."""
    verdict.check()


def test_game_id_consistency(table, verdict):
    """game_id is YYYYMMDD_AWAY_HOME, dated game_date, the schedule's game; one per team and date."""
    verdict.check()


def test_cross_table(table, verdict):
    """Invariants between tables (mirrors, sums, recomputed rates): checks/<phase>/sql/<table>.*.sql."""
    verdict.check()


def test_staleness(table, verdict):
    """No row older (processed_at) than the upstream rows of its date."""
    verdict.check()


def test_leakage(table, verdict):
    """Rolling features equal a recomputation from strictly earlier played games."""
    verdict.check()


def test_feature_vector(table, verdict):
    """The feature vector has the catalog's features, in order, with NULL rates under the limit."""
    verdict.check()
