"""The phase3 gate: one case per catalogued table and check family.

Cases are generated from pipeline.toml by the Phasegate plugin (phasegate/gate/plugin.py): each
`test_<family>` runs once per table the family applies to, ids are table names
(`test_date_coverage[<table>]`). Measurements are SQL, one coverage query and one checks query
per table, cached for all of the table's cases; a failed query ERRORs the case.
Table-specific invariants live in checks/phase3/sql/<table>.<check>.sql; the test functions
themselves are shared by all phases (phasegate/gate/cases.py, one per family of phasegate/model/families.py).

    pytest checks/phase3 --warehouse duckdb:///warehouse.duckdb      # or: phasegate gate phase3
"""

from phasegate.gate.cases import *  # the families' test functions
