"""The catalog: the repository's own pipeline.toml, and every kind of bad catalog refused clearly."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from phasegate.errors import CatalogError
from phasegate.model.catalog import load_catalog
from tests.fixtures.builders import ROOT, repo_catalog

PHASE3 = {"player_game_summary", "team_offense_game_summary", "team_defense_game_summary",
          "upcoming_player_game_context", "upcoming_team_game_context"}
PHASE4 = {"team_defense_zone_analysis", "player_shot_zone_analysis", "player_composite_factors",
          "player_daily_cache", "ml_feature_store_v2"}
RAW = {"nbac_schedule", "nbac_gamebook_player_stats", "nbac_team_boxscore", "player_shot_zones",
       "odds_api_player_points_props", "odds_api_game_lines"}


def test_repository_catalog_names_every_table():
    catalog = repo_catalog()
    assert {t.name for t in catalog.tables_of("phase2")} == RAW
    assert {t.name for t in catalog.tables_of("phase3")} == PHASE3
    assert {t.name for t in catalog.tables_of("phase4")} == PHASE4
    assert catalog.table("ml_feature_store_v2").dataset == "nba_predictions"
    assert len(catalog.table("ml_feature_store_v2").features) == 21


def test_props_and_lines_are_optional_inputs_and_the_box_scores_are_not():
    catalog = repo_catalog()
    assert catalog.table("player_game_summary").required_upstream == ("nbac_gamebook_player_stats", "nbac_schedule")
    assert catalog.table("upcoming_player_game_context").required_upstream == ("nbac_gamebook_player_stats",
                                                                               "nbac_schedule")
    assert catalog.table("team_offense_game_summary").required_upstream == ("nbac_team_boxscore", "nbac_schedule")
    for table in catalog.tables.values():
        assert not {"odds_api_player_points_props", "odds_api_game_lines"} & set(table.required_upstream), table.name


def test_phase4_order_follows_dependencies():
    catalog = repo_catalog()
    order = catalog.topological_order(sorted(PHASE4))
    assert order.index("player_composite_factors") > max(order.index("team_defense_zone_analysis"),
                                                         order.index("player_shot_zone_analysis"))
    assert order.index("player_daily_cache") > order.index("player_shot_zone_analysis")
    assert order[-1] == "ml_feature_store_v2"


def test_every_table_reachable_from_its_processor_file():
    catalog = repo_catalog()
    for table in catalog.tables.values():
        if table.phase == "phase2":
            assert table.processor is None
        else:
            path = catalog.processor_path(table)
            assert path == ROOT / "backfill" / table.phase / f"{table.name}.sql"


def write_catalog(tmp_path: Path, replace: tuple[str, str] | None = None, append: str = "") -> Path:
    text = (ROOT / "pipeline.toml").read_text()
    if replace:
        assert replace[0] in text, replace[0]
        text = text.replace(replace[0], replace[1], 1)
    target = tmp_path / "pipeline.toml"
    target.write_text(text + append)
    # processor paths are relative to the catalog: mirror backfill/ next to it
    (tmp_path / "backfill").symlink_to(ROOT / "backfill")
    return target


BAD_CATALOGS = {
    "unknown upstream": (('upstream = ["team_defense_game_summary", "nbac_schedule"]', 'upstream = ["team_defence_summary", "nbac_schedule"]'), "",
                         r"table 'team_defense_zone_analysis': field 'upstream': unknown table 'team_defence_summary'"),
    "dependency cycle": (('upstream = ["nbac_team_boxscore", "nbac_schedule"]\nprocessor = "backfill/phase3/team_offense',
                          'upstream = ["nbac_team_boxscore", "nbac_schedule", "player_game_summary"]\n'
                          'processor = "backfill/phase3/team_offense'), "", r"dependency cycle between tables"),
    "duplicate table": (None, '\n[tables.nbac_schedule]\nphase = "phase2"\n', r"not valid TOML"),
    "bad identifier": (('dataset = "nba_analytics"', 'dataset = "nba_analytics; DROP TABLE x"'), "",
                       r"field 'dataset': identifier 'nba_analytics; DROP TABLE x' is not a plain identifier"),
    "threshold outside [0, 1]": (('rows_per_game = [2, 2]\ncolumns = ["nba_game_id"',
                                  'date_coverage = 1.5\nrows_per_game = [2, 2]\ncolumns = ["nba_game_id"'), "",
                                 r"field 'date_coverage': Input should be less than or equal to 1"),
    "missing field": (('grain = "team-date"\n', ''), "", r"table 'team_defense_zone_analysis': field 'grain': required field is missing"),
    "unknown field": (('grain = "team-date"\n', 'grain = "team-date"\nthreshhold = 0.9\n'), "",
                      r"field 'threshhold': unknown field"),
    "optional input not an upstream": (('optional_upstream = ["odds_api_game_lines"]',
                                        'optional_upstream = ["odds_api_player_points_props"]'), "",
                                       r"table 'upcoming_team_game_context': field 'optional_upstream': names "
                                       r"odds_api_player_points_props, not in upstream"),
    "missing processor file": (('processor = "backfill/phase4/player_daily_cache.sql"',
                                'processor = "backfill/phase4/player_daily_cash.sql"'), "",
                               r"file backfill/phase4/player_daily_cash.sql does not exist"),
}


@pytest.mark.parametrize("case", sorted(BAD_CATALOGS))
def test_bad_catalog_is_refused_with_one_clear_line(tmp_path, case):
    replace, append, message = BAD_CATALOGS[case]
    path = write_catalog(tmp_path, replace, append)
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    text = str(info.value)
    assert "\n" not in text
    assert str(path) in text
    assert re.search(message, text), text


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "phasegate", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60)


def test_cli_bad_catalog_exits_2_without_traceback(tmp_path):
    path = write_catalog(tmp_path, *BAD_CATALOGS["dependency cycle"][:1])
    result = run_cli("catalog", "--catalog", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "dependency cycle" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["calendar", "--start-date", "2021-13-45"], "--start-date '2021-13-45' is not a date"),
    (["calendar", "--start-date", "2022-01-02", "--end-date", "2022-01-01"], "is after --end-date"),
    (["calendar", "--warehouse", "postgres://x"], "scheme 'postgres' is not supported"),
    (["demo", "--scenario", "everything"], "unknown scenario 'everything'"),
])
def test_cli_bad_input_exits_2_with_one_line(args, message):
    result = run_cli(*args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_cli_catalog_lists_all_tables_with_dependencies():
    result = run_cli("catalog", "--json")
    assert result.returncode == 0, result.stderr
    import json

    listed = {row["table"]: row for row in json.loads(result.stdout)}
    assert set(listed) == RAW | PHASE3 | PHASE4
    assert listed["player_composite_factors"]["upstream"]
