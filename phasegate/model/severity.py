"""Severity of a check or rule: what a failure of it does to the verdict. Spelled here only.

    error  a failure is NO-GO: physical, rules and definitional limits, the platform's contracts
    warn   a failure is shown (verdict line, report) and does not block: statistical bands

Expectation rules carry it as `meta.severity` (expectations/PHASE/TABLE.json); SQL check files
as a header line `-- severity: warn`; built-in checks are errors. A missing severity is error:
a check nobody classified blocks.
"""

from __future__ import annotations

from typing import Any

from phasegate.errors import CatalogError

ERROR = "error"
WARN = "warn"
SEVERITIES = (ERROR, WARN)


def severity_of(value: Any, where: str) -> str:
    """The severity a catalog, suite or check file declares (None/absent: error); bad values raise."""
    if value is None:
        return ERROR
    if value not in SEVERITIES:
        raise CatalogError(f"{where}: severity must be one of {', '.join(SEVERITIES)}, not {value!r}")
    return value
