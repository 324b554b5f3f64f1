"""Verdicts and what each one means as an exit code: the one place their words are spelled.

    GO             0  every check the catalog asks for ran on exactly this data and passed
    NO-GO          1  a check failed (the data is not fit), or an upstream phase is NO-GO
    ERROR          3  could not validate: a query failed, a table is missing, a case did not run
    PARTIAL        3  a narrowed run (a selection): what ran passed, but it is not the whole gate
    NOT VALIDATED  0  a backfill without a gate: every chunk written and verified, nothing judged
    REFUSED        2  the run did not start (not confirmed, locked, usage)
    DRY-RUN        0  the plan was printed; nothing was written
    INTERRUPTED  130  stopped by Ctrl-C / SIGTERM; what was written is whole, the rest was not started
    CAPPED         2  a backfill stopped at its byte cap (--max-bytes): what was written is whole, the
                      rest was not attempted; raise the cap or narrow the dates to go on

Only GO is a proof: it alone passes a pre-flight and can be signed.
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    GO = "GO"
    NO_GO = "NO-GO"
    ERROR = "ERROR"
    PARTIAL = "PARTIAL"
    NOT_VALIDATED = "NOT VALIDATED"
    REFUSED = "REFUSED"
    DRY_RUN = "DRY-RUN"
    INTERRUPTED = "INTERRUPTED"
    CAPPED = "CAPPED"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self]

    @property
    def is_proof(self) -> bool:
        return self is Verdict.GO

    @classmethod
    def of(cls, value: str | None) -> Verdict | None:
        """The verdict named by a stored string (results.json, a run log), None if it names none."""
        try:
            return cls(value) if value is not None else None
        except ValueError:
            return None


EXIT_CODES = {
    Verdict.GO: 0,
    Verdict.NO_GO: 1,
    Verdict.ERROR: 3,
    Verdict.PARTIAL: 3,
    Verdict.NOT_VALIDATED: 0,
    Verdict.REFUSED: 2,
    Verdict.DRY_RUN: 0,
    Verdict.INTERRUPTED: 130,
    Verdict.CAPPED: 2,
}
