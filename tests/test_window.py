"""Live windows: the default end follows the schedule's latest final game, bounds accept words."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from phasegate.errors import UsageError
from phasegate.model.window import Bound, league_today, parse_bound, resolve_window
from tests.fixtures.builders import d, load_schedule, schedule_row
from tests.fixtures.worlds import CATALOG, game_dates, games_of, make_world, with_gate_checks


class Facts:
    """A schedule as the window sees it."""

    def __init__(self, latest: dt.date | None, opener: dt.date | None) -> None:
        self.latest, self.opener, self.asked = latest, opener, []

    def latest_final_date(self, today):
        self.asked.append(("latest", today))
        return self.latest if self.latest is None or self.latest <= today else today

    def season_opener(self, today):
        self.asked.append(("opener", today))
        return self.opener


def catalog_with(**settings):
    from tests.fixtures.builders import repo_catalog

    catalog = repo_catalog()
    return catalog.model_copy(update={"settings": catalog.settings.model_copy(update=settings)})


@pytest.fixture
def live_catalog():
    return catalog_with(default_start_date=d("2023-10-01"))


def test_the_shipped_catalog_has_a_live_end():
    from tests.fixtures.builders import repo_catalog

    assert repo_catalog().settings.default_end_date is None


def test_words_resolve_against_the_league_today_and_the_schedule(live_catalog):
    today = d("2024-01-10")
    facts = Facts(latest=d("2024-01-08"), opener=d("2023-10-24"))
    assert tuple(resolve_window(live_catalog, schedule=facts, today=today)) == (d("2023-10-01"), d("2024-01-08"))
    assert tuple(resolve_window(live_catalog, "season", "yesterday", schedule=facts, today=today)) == \
        (d("2023-10-24"), d("2024-01-09"))
    assert tuple(resolve_window(live_catalog, "-7d", "today", schedule=facts, today=today)) == \
        (d("2024-01-03"), today)
    assert tuple(resolve_window(live_catalog, " -0d ", "TODAY", schedule=facts, today=today)) == (today, today)


def test_the_default_end_is_never_after_today(live_catalog):
    facts = Facts(latest=d("2024-03-01"), opener=None)
    assert resolve_window(live_catalog, schedule=facts, today=d("2024-01-10")).end == d("2024-01-10")
    assert facts.asked == [("latest", d("2024-01-10"))]


def test_a_fixed_catalog_end_and_explicit_dates_never_read_the_schedule():
    fixed = catalog_with(default_start_date=d("2023-10-01"), default_end_date=d("2023-12-31"))
    facts = Facts(latest=d("2024-01-08"), opener=d("2023-10-24"))
    assert tuple(resolve_window(fixed, schedule=facts)) == (d("2023-10-01"), d("2023-12-31"))
    assert tuple(resolve_window(fixed, "2023-11-01", "-1d", schedule=facts, today=d("2023-12-01"))) == \
        (d("2023-11-01"), d("2023-11-30"))
    assert facts.asked == []


def test_league_today_is_the_eastern_date():
    # 03:30 UTC on the 2nd is still the evening of the 1st in New York
    assert league_today(dt.datetime(2024, 1, 2, 3, 30, tzinfo=dt.UTC)) == d("2024-01-01")
    assert league_today(dt.datetime(2024, 1, 2, 5, 30, tzinfo=dt.UTC)) == d("2024-01-02")


@pytest.mark.parametrize("value", ["", "  ", "tomorrow", "seasons", "-d", "-3", "-3w", "+3d", "-99999d", "2024-13-01",
                                   "season2023", "-1.5d"])
def test_a_bound_that_cannot_be_meant_is_a_usage_error(value):
    with pytest.raises(UsageError) as err:
        parse_bound(value, "--end-date")
    assert "--end-date" in str(err.value) and "\n" not in str(err.value)


def test_parse_bound_words():
    assert parse_bound("season") == Bound(word="season")
    assert parse_bound("-12d") == Bound(word="days_ago", days=12)
    assert parse_bound("2024-01-02") == Bound(day=d("2024-01-02"))


def test_an_empty_schedule_has_no_default_end(live_catalog):
    with pytest.raises(UsageError, match="no final game"):
        resolve_window(live_catalog, schedule=Facts(None, None), today=d("2024-01-10"))
    with pytest.raises(UsageError, match="season"):
        resolve_window(live_catalog, "season", "2024-01-01", schedule=Facts(None, None), today=d("2024-01-10"))


def past_the_catalog_end(tmp_path):
    """The tiny world whose catalog has no fixed end, its schedule running past 2023-12-31: final games
    on 2024-01-02 and 2024-01-03, a postponed game (final, no scores) on 2024-01-04, a game still
    scheduled on 2024-01-05 and games scheduled a year after today."""
    world = with_gate_checks(make_world(tmp_path))
    (world.root / "pipeline.toml").write_text(CATALOG.replace("default_end_date = 2023-12-31\n", ""))
    sched = []
    for i, day in enumerate(game_dates()):
        for j, (away, home) in enumerate(games_of(day)):
            sched.append(schedule_row(f"00223{i:03d}{j}", day.isoformat(), away, home))
    for k, (day, status, score) in enumerate([("2024-01-02", 3, (99, 98)), ("2024-01-03", 3, (90, 91)),
                                              ("2024-01-04", 3, None), ("2024-01-05", 1, None)]):
        sched.append(schedule_row(f"0022390{k}", day, "ATL", "BOS", status=status, score=score))
    future = (league_today() + dt.timedelta(days=365)).isoformat()
    sched.append(schedule_row("00224999", future, "CHI", "DEN", season_year=2024, status=1, score=None,
                              processed_at="2024-01-01T08:00:00"))
    with world.open() as wh:
        load_schedule(wh, sched)
    return world


def test_the_schedule_decides_the_default_end(tmp_path):
    from phasegate.measure.calendar import ScheduleAnchors, live_window
    from phasegate.model.catalog import load_catalog

    world = past_the_catalog_end(tmp_path)
    catalog = load_catalog(world.root / "pipeline.toml")
    with world.open(read_only=True) as wh:
        anchors = ScheduleAnchors(wh, catalog)
        assert anchors.latest_final_date(league_today()) == d("2024-01-03")
        assert anchors.latest_final_date(d("2023-12-25")) == d("2023-12-20")
        assert anchors.season_opener(league_today()) == d("2023-10-24")
        assert anchors.season_opener(d("2023-10-01")) is None
        assert tuple(live_window(catalog, warehouse=wh)) == (d("2023-10-01"), d("2024-01-03"))
        assert live_window(catalog, "season", "2023-11-30", warehouse=wh).start == d("2023-10-24")
    assert tuple(live_window(catalog, warehouse=world.url)) == (d("2023-10-01"), d("2024-01-03"))


def test_gate_with_no_dates_checks_up_to_the_latest_final_game(tmp_path, capsys):
    from phasegate.cli import run

    world = past_the_catalog_end(tmp_path)
    code = run(["status", "phase3", "--json", "--warehouse", world.url, "--catalog", str(world.root / "pipeline.toml")])
    status = json.loads(capsys.readouterr().out)
    assert status["window"] == {"start": "2023-10-01", "end": "2024-01-03"}
    # the two new final dates are expected and missing; the scheduled and postponed ones are not
    missing = status["tables"]["team_summary"]["missing_dates"]
    assert code == 1 and missing == ["2024-01-02", "2024-01-03"], missing

    code = run(["gate", "phase3", "--json", "--warehouse", world.url, "--catalog", str(world.root / "pipeline.toml")])
    gate = json.loads(capsys.readouterr().out)
    assert gate["window"] == {"start": "2023-10-01", "end": "2024-01-03"}
    assert code == 1 and gate["verdict"] == "NO-GO" and "team_summary" in gate["failing_tables"]


@pytest.mark.parametrize("args", [["--end-date", "tomorrow"], ["--start-date", "-3w"], ["--end-date", "-0"],
                                  ["--start-date", "season", "--end-date", "2021-01-01"]])
def test_bad_words_on_the_command_line_are_one_line_exit_2(tmp_path, capsys, args):
    from phasegate.cli import run

    world = past_the_catalog_end(tmp_path)
    for command in (["status", "phase3"], ["backfill", "phase3", "--dry-run"], ["calendar"]):
        code = run([*command, *args, "--warehouse", world.url, "--catalog", str(world.root / "pipeline.toml")])
        captured = capsys.readouterr()
        assert code == 2 and captured.err.count("\n") == 1, (command, captured.err)
