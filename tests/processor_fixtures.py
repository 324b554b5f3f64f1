"""Raw phase-2 rows written out by hand for the processor tests (see raw-contract.md).

Season 2023-24, opening night 2023-10-24, so with bootstrap_days = 14 the first counted
date is 2023-11-07. Every number a test asserts on is worked out by hand in that test.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from builders import d, load_rows, load_schedule, schedule_row

UTC = dt.UTC
TS = pa.timestamp("us", tz="UTC")


def ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


GAMEBOOK_SCHEMA = pa.schema([
    ("game_id", pa.string()), ("nba_game_id", pa.string()), ("game_date", pa.date32()), ("season_year", pa.int64()),
    ("team_abbr", pa.string()), ("home_team_abbr", pa.string()), ("away_team_abbr", pa.string()),
    ("player_lookup", pa.string()), ("player_name", pa.string()), ("player_status", pa.string()),
    ("dnp_reason", pa.string()), ("minutes", pa.string()),
    *[(c, pa.int64()) for c in ("points", "field_goals_made", "field_goals_attempted", "three_pointers_made",
                                "three_pointers_attempted", "free_throws_made", "free_throws_attempted",
                                "offensive_rebounds", "defensive_rebounds", "total_rebounds", "assists", "steals",
                                "blocks", "turnovers", "personal_fouls", "plus_minus")],
    ("processed_at", TS),
])

TEAM_BOX_SCHEMA = pa.schema([
    ("game_id", pa.string()), ("nba_game_id", pa.string()), ("game_date", pa.date32()), ("season_year", pa.int64()),
    ("team_abbr", pa.string()), ("is_home", pa.bool_()), ("minutes", pa.string()),
    *[(c, pa.int64()) for c in ("fg_made", "fg_attempted", "three_pt_made", "three_pt_attempted", "ft_made",
                                "ft_attempted", "offensive_rebounds", "defensive_rebounds", "total_rebounds",
                                "assists", "steals", "blocks", "turnovers", "personal_fouls", "points", "plus_minus")],
    ("processed_at", TS),
])

SHOT_ZONE_SCHEMA = pa.schema([
    ("game_id", pa.string()), ("game_date", pa.date32()), ("player_lookup", pa.string()), ("team_abbr", pa.string()),
    *[(c, pa.int64()) for c in ("paint_attempts", "paint_makes", "mid_range_attempts", "mid_range_makes",
                                "three_attempts", "three_makes", "assisted_fg_makes", "unassisted_fg_makes")],
    ("processed_at", TS),
])

PROPS_SCHEMA = pa.schema([
    ("game_id", pa.string()), ("game_date", pa.date32()), ("player_lookup", pa.string()), ("bookmaker", pa.string()),
    ("points_line", pa.float64()), ("over_price_american", pa.int64()), ("under_price_american", pa.int64()),
    ("snapshot_timestamp", TS), ("processed_at", TS),
])

GAME_LINES_SCHEMA = pa.schema([
    ("game_id", pa.string()), ("game_date", pa.date32()), ("home_team_abbr", pa.string()),
    ("away_team_abbr", pa.string()), ("bookmaker_key", pa.string()), ("market_key", pa.string()),
    ("outcome_name", pa.string()), ("outcome_point", pa.float64()), ("outcome_price", pa.int64()),
    ("snapshot_timestamp", TS), ("processed_at", TS),
])

# (official id, date, away, home, (away score, home score))
GAMES = [
    ("0022300001", "2023-10-24", "LAL", "DEN", (100, 110)),
    ("0022300002", "2023-10-30", "PHX", "DEN", (95, 101)),
    ("0022300003", "2023-11-01", "LAL", "DEN", (100, 110)),
    ("0022300004", "2023-11-03", "DEN", "LAL", (99, 104)),
    ("0022300005", "2023-11-05", "BOS", "DEN", (90, 97)),
    ("0022300006", "2023-11-06", "DEN", "MIA", (112, 108)),
]


def schedule_rows() -> list[dict]:
    rows = [schedule_row(gid, date, away, home, score=score) for gid, date, away, home, score in GAMES]
    # Append-only schedule: an earlier 'scheduled' row of the same game must not count twice.
    rows.append(schedule_row("0022300006", "2023-11-06", "DEN", "MIA", status=1, score=None,
                             processed_at="2023-11-05T08:00:00"))
    # A preseason game is not a counted season type: nothing may be written for it.
    rows.append(schedule_row("0012300099", "2023-10-10", "DEN", "LAL", season_type="Preseason"))
    return rows


def player_row(game: str, team: str | None, player: str, *, status: str = "active", minutes: str | None = "30:00",
               pts: int = 10, fgm: int = 4, fga: int = 10, tpm: int = 1, tpa: int = 3, ftm: int = 1, fta: int = 2,
               tov: int = 2, dnp_reason: str | None = None, steals: int = 1, blocks: int = 0, dreb: int = 3) -> dict:
    gid, date, away, home, _ = next(g for g in GAMES if g[0] == game)
    active = status == "active"
    stats = {"points": pts, "field_goals_made": fgm, "field_goals_attempted": fga, "three_pointers_made": tpm,
                 "three_pointers_attempted": tpa, "free_throws_made": ftm, "free_throws_attempted": fta,
                 "offensive_rebounds": 1, "defensive_rebounds": dreb, "total_rebounds": dreb + 1, "assists": 2, "steals": steals,
                 "blocks": blocks, "turnovers": tov, "personal_fouls": 2, "plus_minus": 5}
    return {"game_id": f"{date.replace('-', '')}_{away}_{home}", "nba_game_id": gid, "game_date": d(date),
            "season_year": 2023, "team_abbr": team, "home_team_abbr": home, "away_team_abbr": away,
            "player_lookup": player, "player_name": player.title(), "player_status": status,
            "dnp_reason": dnp_reason, "minutes": minutes if active else None,
            **{k: (v if active else None) for k, v in stats.items()},
            "processed_at": ts(f"{date}T23:00:00")}


def team_box_row(game: str, team: str, *, is_home: bool, source_id: str, fga: int, fta: int, tov: int, oreb: int,
                 pts: int, minutes: str = "240:00", processed_at: str | None = None) -> dict:
    gid, date, *_ = next(g for g in GAMES if g[0] == game)
    return {"game_id": source_id, "nba_game_id": gid, "game_date": d(date), "season_year": 2023, "team_abbr": team,
            "is_home": is_home, "minutes": minutes, "fg_made": fga // 2, "fg_attempted": fga, "three_pt_made": 10,
            "three_pt_attempted": 30, "ft_made": fta - 5, "ft_attempted": fta, "offensive_rebounds": oreb,
            "defensive_rebounds": 30, "total_rebounds": oreb + 30, "assists": 20, "steals": 7, "blocks": 4,
            "turnovers": tov, "personal_fouls": 18, "points": pts, "plus_minus": 0,
            "processed_at": ts(processed_at or f"{date}T23:30:00")}


def load_raw_fixture(wh, *, gamebook: list[dict], team_box: list[dict] = (), shot_zones: list[dict] = (),
                     props: list[dict] = (), game_lines: list[dict] = ()) -> None:
    load_schedule(wh, schedule_rows())
    load_rows(wh, "nba_raw", "nbac_gamebook_player_stats", gamebook, GAMEBOOK_SCHEMA)
    load_rows(wh, "nba_raw", "nbac_team_boxscore", list(team_box), TEAM_BOX_SCHEMA)
    load_rows(wh, "nba_raw", "player_shot_zones", list(shot_zones), SHOT_ZONE_SCHEMA)
    load_rows(wh, "nba_raw", "odds_api_player_points_props", list(props), PROPS_SCHEMA)
    load_rows(wh, "nba_raw", "odds_api_game_lines", list(game_lines), GAME_LINES_SCHEMA)
