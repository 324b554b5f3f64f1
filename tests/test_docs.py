"""The documentation keeps up with the code (as datasette's test_docs does): every catalog setting is documented."""

from __future__ import annotations

import re

import pytest

from phasegate.model.catalog import Settings
from tests.fixtures.builders import ROOT


def documented_settings() -> set[str]:
    """The names in the first column of the README's `[settings]` table."""
    text = (ROOT / "README.md").read_text()
    section = text.split("### Catalog settings", 1)[1].split("\n\n", 2)[2]
    table = section.split("\n\n", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE))


@pytest.mark.parametrize("setting", sorted(Settings.model_fields))
def test_every_catalog_setting_is_documented(setting):
    assert setting in documented_settings(), f"settings.{setting} is not in the README's Catalog settings table"


def test_the_documentation_names_no_setting_that_does_not_exist():
    assert documented_settings() - set(Settings.model_fields) == set()
