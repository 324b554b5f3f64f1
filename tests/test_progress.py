"""The terminal progress display starts with the first table, never before the confirmation prompt."""

from __future__ import annotations

import io

from rich.console import Console

from phasegate.cli.progress import RichProgress


def test_the_bars_start_with_the_first_table_not_before_the_prompt():
    screen = io.StringIO()
    progress = RichProgress(Console(file=screen, force_terminal=True, width=120))
    progress.note("planning the backfill")  # planning notes print as lines, no live display yet
    assert not progress._progress.live.is_started and "planning the backfill" in screen.getvalue()
    progress.start_table("team_offense_game_summary", 10)
    assert progress._progress.live.is_started
    progress.advance("team_offense_game_summary", 10, rows=220)
    progress.finish_table("team_offense_game_summary", True)
    progress.close()
    assert not progress._progress.live.is_started and "team_offense_game_summary" in screen.getvalue()


def test_a_run_that_never_starts_a_table_never_draws_bars():
    screen = io.StringIO()
    progress = RichProgress(Console(file=screen, force_terminal=True, width=120))
    progress.close()  # refused at the prompt: nothing was drawn, nothing to stop
    assert screen.getvalue() == ""
