"""The verdicts are written once (phasegate/model/verdict.py); the README's table states each with its exit code."""

from __future__ import annotations

import re

from phasegate.model.verdict import EXIT_CODES, Verdict
from tests.fixtures.builders import ROOT

README = (ROOT / "README.md").read_text()


def test_the_readme_states_every_verdict_with_its_exit_code():
    rows = dict(re.findall(r"^\| ([A-Z](?:[A-Z -]*[A-Z])?) \| (\d+) \| .+ \|$", README, re.MULTILINE))
    assert set(rows) == {str(v) for v in Verdict}, "README's verdict table and model/verdict.py differ"
    for verdict in Verdict:
        assert int(rows[str(verdict)]) == verdict.exit_code == EXIT_CODES[verdict], verdict


def test_only_go_is_a_proof():
    assert [v for v in Verdict if v.is_proof] == [Verdict.GO]
