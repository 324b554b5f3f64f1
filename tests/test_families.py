"""The check-family registry is the one declaration every consumer reads (as datasette's test_docs
does for its settings: a family that is not documented fails here)."""

from __future__ import annotations

import re

import pytest

from phasegate.gate import cases
from phasegate.gate.judges import JUDGE_KINDS, JUDGES
from phasegate.model.families import FAMILIES
from phasegate.report.checklist import FAMILIES as CHECKLIST_FAMILIES
from phasegate.report.checklist import LABELS
from tests.fixtures.builders import ROOT

README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_every_family_is_documented_in_the_readme(family):
    row = re.search(rf"^\| {re.escape(family.name)} \| (.+) \|$", README, re.MULTILINE)
    assert row, f"README's family table has no row for {family.name}"
    assert row.group(1).strip() == family.doc, f"README's line for {family.name} differs from the registry's doc"


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_every_family_has_a_judge_a_case_and_a_checklist_column(family):
    assert family.judge in JUDGE_KINDS or family.measure == "expectations"
    if family.measure == "expectations":
        from phasegate.expectations import cases as expectation_cases

        assert callable(expectation_cases.test_expectation)
    else:
        assert family.name in JUDGES
        case = getattr(cases, f"test_{family.name}")
        assert case.__doc__ == family.doc
    assert family.name in CHECKLIST_FAMILIES and LABELS[family.name] == family.label


def test_readme_documents_no_family_the_registry_lacks():
    table = README[README.index("|---|---|", README.index("| family | what must hold |")):]
    table = table[:table.index("\n\n")]
    names = re.findall(r"^\| ([a-z_]+) \|", table, re.MULTILINE)
    assert names == [f.name for f in FAMILIES]
