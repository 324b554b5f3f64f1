"""Realistic synthetic phase-2 (``nba_raw``) warehouse.

Pure numpy + pyarrow: no warehouse access, no file access. ``generate_raw(seed)`` returns one
``pyarrow.Table`` per raw table of ``raw-contract.md`` (same column names, order and types),
assembled from one module per concern: the league and its calendar (``league``), the schedule
(``schedule``), the box scores (``boxscores``) and the betting lines (``lines``).

What the default demo guarantees (tests/test_demo_raw.py checks every point):

* 30 real teams, five seasons with the real opening nights; 1230 regular-season games per
  completed season (82 per team, 41 home / 41 away), All-Star game (non-counting), play-in
  (6 games), best-of-7 playoffs (79-87 games), NBA Cup final from 2023-24 on, preseason.
* Over DEMO_START..DEMO_END exactly 918 distinct dates with a *counting* game (final, scores,
  Regular Season / Play-In / Playoffs / NBA Cup Final, after the schedule dedupe rule), of which
  70 are bootstrap dates (days 0-13 of each season) and 848 are not.
* Box scores that add up exactly (player sums = team totals, minutes = 240:00 + 25:00 per OT,
  points = 2*FGM + 3PM + FTM, plus-minus sums to 5 x margin).
* Postponed games, duplicate schedule rows (status 1/2/3), HOME_AWAY team box-score ids,
  NULL team_abbr on a few DNP rows, mixed game-id formats in props.

``extra_seasons`` prepends whole synthetic seasons before 2021-22; ``games_scale`` > 1 adds
extra synthetic leagues (tricodes ``X??``) playing their own regular seasons on the same dates,
multiplying the games per date (benchmarks only: per-date/per-team realism is per league).
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from phasegate.demo.boxscores import build_box_scores
from phasegate.demo.league import (
    _DIVISIONS,
    DEMO_END,
    DEMO_START,
    FIRST_SEASON,
    LAST_SEASON,
    RAW_TABLES,
    TEAMS,
    _ep,
    _season_plan,
)
from phasegate.demo.lines import build_lines
from phasegate.demo.schedule import build_schedule

__all__ = ["DEMO_END", "DEMO_START", "RAW_TABLES", "TEAMS", "generate_raw"]


def generate_raw(seed: int = 7, *, extra_seasons: int = 0, games_scale: float = 1.0) -> dict[str, pa.Table]:
    """Generate the phase-2 raw tables (keys: RAW_TABLES). Deterministic for a given seed."""
    if extra_seasons < 0:
        raise ValueError("extra_seasons must be >= 0")
    if not games_scale >= 1.0:
        raise ValueError("games_scale must be >= 1.0")
    n_leagues = math.ceil(games_scale - 1e-9)
    if n_leagues > 23:
        raise ValueError("games_scale too large (max 23)")
    years = list(range(FIRST_SEASON - extra_seasons, LAST_SEASON + 1))
    plans = {y: _season_plan(y) for y in years}
    end_ep = _ep(DEMO_END)

    team_codes: list[str] = list(TEAMS)
    alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for k in range(1, n_leagues):
        for i in range(30):
            j = (k - 1) * 30 + i
            team_codes.append("X" + alpha[j // 26] + alpha[j % 26])
    conf_of = np.array([0 if any(t in d for d in _DIVISIONS[:3]) else 1 for t in TEAMS])
    div_idx = [[TEAMS.index(t) for t in d] for d in _DIVISIONS]

    games, schedule = build_schedule(seed, years, plans, end_ep, n_leagues, games_scale, team_codes, conf_of, div_idx)
    box = build_box_scores(seed, games, years, plans, n_leagues)
    props, game_lines = build_lines(games, box)
    return {
        "nbac_schedule": schedule,
        "nbac_gamebook_player_stats": box.gamebook,
        "nbac_team_boxscore": box.team_box,
        "player_shot_zones": box.zones,
        "odds_api_player_points_props": props,
        "odds_api_game_lines": game_lines,
    }
