"""exceptions.toml: malformed files are usage errors; invalid entries are reported, never applied."""

from __future__ import annotations

import datetime as dt

import pytest

from phasegate.model.exceptions import ExceptionsError, load_exceptions
from tests.fixtures.builders import ROOT, repo_catalog

TODAY = dt.date(2025, 1, 1)
GOOD = """
[[exceptions]]
table = "team_defense_game_summary"
dates = ["2022-01-03", "2022-01-05..2022-01-07"]
games = ["20220201_LAL_DEN"]
reason = "never published"
approved_by = "Jane Doe"
expires = 2025-06-30
"""


def load(tmp_path, text, today=TODAY):
    path = tmp_path / "exceptions.toml"
    path.write_text(text)
    return load_exceptions(path, repo_catalog(), today=today, required=True)


def test_shipped_file_has_no_active_entry():
    exc = load_exceptions(ROOT / "exceptions.toml", repo_catalog(), required=True)
    assert exc.entries == ()
    assert "[[exceptions]]" in (ROOT / "exceptions.toml").read_text()  # the commented example


def test_valid_entry_expands_ranges(tmp_path):
    te = load(tmp_path, GOOD).for_table("team_defense_game_summary")
    assert sorted(te.dates) == [dt.date(2022, 1, 3), dt.date(2022, 1, 5), dt.date(2022, 1, 6), dt.date(2022, 1, 7)]
    assert te.games == {"20220201_LAL_DEN"} and not te.invalid
    assert load(tmp_path, GOOD).for_table("player_game_summary").dates == frozenset()


@pytest.mark.parametrize("edit, problem", [
    (lambda t: t.replace('reason = "never published"\n', ""), "no reason"),
    (lambda t: t.replace('approved_by = "Jane Doe"\n', ""), "no approved_by"),
    (lambda t: t.replace('approved_by = "Jane Doe"', 'approved_by = "  "'), "no approved_by"),
    (lambda t: t.replace("expires = 2025-06-30\n", ""), "no expires date"),
    (lambda t: t.replace("2025-06-30", "2024-12-31"), "expired on 2024-12-31"),
])
def test_invalid_entries_are_not_applied_and_say_why(tmp_path, edit, problem):
    te = load(tmp_path, edit(GOOD)).for_table("team_defense_game_summary")
    assert te.dates == frozenset() and te.games == frozenset()
    assert problem in te.invalid_messages()[0] and "exception #1" in te.invalid_messages()[0]


@pytest.mark.parametrize("text, message", [
    ("[[exceptions]\n", "not valid TOML"),
    ('[[exceptions]]\ntable = "nope"\ndates = ["2022-01-01"]\n', "unknown table 'nope'"),
    ('[[exceptions]]\ntable = "player_game_summary"\ndates = ["2022-13-01"]\n', "is not a date"),
    ('[[exceptions]]\ntable = "player_game_summary"\ndates = ["2022-01-05..2022-01-01"]\n', "empty"),
    ('[[exceptions]]\ntable = "player_game_summary"\ngames = ["LAL_DEN"]\n', "not a system id"),
    ('[[exceptions]]\ntable = "player_game_summary"\n', "names no dates and no games"),
    ('[[exceptions]]\ntable = "player_game_summary"\ndates = ["2022-01-01"]\napprover = "x"\n', "unknown field"),
    ('[exception]\ntable = "x"\n', "unknown top-level"),
])
def test_malformed_file_is_one_line_usage_error(tmp_path, text, message):
    with pytest.raises(ExceptionsError, match=message) as info:
        load(tmp_path, text)
    assert info.value.exit_code == 2 and "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ExceptionsError, match="not found"):
        load_exceptions(tmp_path / "nope.toml", repo_catalog(), required=True)
    assert load_exceptions(None, repo_catalog()).entries == ()


def test_a_suggested_entry_is_appended_unapproved_and_applies_only_once_a_person_fills_it_in(tmp_path):
    from phasegate.model.exceptions import Proposal, append_proposals

    path = tmp_path / "exceptions.toml"
    path.write_text(GOOD)
    proposal = Proposal("player_game_summary", dates=("2024-12-17",),
                        reason='raw nbac_gamebook_player_stats has no rows on this date ("measured")')
    assert append_proposals(path, [proposal], repo_catalog()) == 1
    entries = load_exceptions(path, repo_catalog(), today=TODAY, required=True)
    pending = entries.for_table("player_game_summary")
    assert not pending.dates and pending.invalid[0][1] == "no approved_by; no expires date"
    assert entries.for_table("team_defense_game_summary").dates  # the existing entry is untouched
    path.write_text(path.read_text().replace('approved_by = ""', 'approved_by = "Jane Doe"')
                    .replace('expires = ""', "expires = 2025-06-30"))
    approved = load_exceptions(path, repo_catalog(), today=TODAY, required=True).for_table("player_game_summary")
    assert approved.dates == {dt.date(2024, 12, 17)} and not approved.invalid
    # a proposal the loader would refuse is never written
    before = path.read_text()
    with pytest.raises(ExceptionsError):
        append_proposals(path, [Proposal("no_such_table", dates=("2024-12-17",), reason="x")], repo_catalog())
    assert path.read_text() == before
