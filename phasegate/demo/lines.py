"""The demo betting lines: player points props (many books and snapshots) and game lines.

Props cover the rotation players (20+ minutes a game), with game ids in mixed formats as in
production; game lines have two spread rows (+x and -x) and two total rows per bookmaker and
snapshot.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from phasegate.demo.boxscores import BoxScores
from phasegate.demo.columns import _dates, _i64, _round_half, _strs, _ts
from phasegate.demo.league import _HOUR_US, _MIN_US, _ep
from phasegate.demo.schedule import Games

_BOOKS = np.array(["draftkings", "fanduel", "betmgm", "caesars"], dtype=object)


def build_lines(games: Games, box: BoxScores) -> tuple[pa.Table, pa.Table]:
    """(odds_api_player_points_props, odds_api_game_lines)."""
    rng = box.rng
    n_games, g_home, g_away, g_date, g_season = games.n_games, games.home, games.away, games.date, games.season
    g_type, g_tip_us, G_id, G_sdiff, G_season = games.type, games.tip_us, games.ids, games.strength_diff, games.seasons_of
    all_codes, T_CUP, seasons = games.all_codes, games.cup_type, games.seasons
    a_game, a_pid, secs, p_pts = box.act_game, box.act_pid, box.act_secs, box.act_points
    box_games = box.box_games
    ids = np.array(games.sys_ids, dtype=object)
    # ---------------------------------------------------------------- player points props
    a_season = g_season[a_game]
    key = a_pid * 10_000 + a_season
    _, inv = np.unique(key, return_inverse=True)
    avg_secs = np.bincount(inv, weights=secs) / np.bincount(inv)
    avg_pts = np.bincount(inv, weights=p_pts) / np.bincount(inv)
    rot = (avg_secs[inv] >= 20 * 60) & (rng.random(a_pid.size) < 0.8)
    pr = np.flatnonzero(rot)
    n_books = rng.integers(2, 5, pr.size)
    n_snap = rng.integers(2, 5, pr.size)
    book_perm = np.argsort(rng.random((pr.size, 4)), axis=1)
    pb_row = np.repeat(np.arange(pr.size), n_books)
    pb_book = book_perm[pb_row, np.arange(pb_row.size) - np.repeat(np.cumsum(n_books) - n_books, n_books)]
    pb_snaps = n_snap[pb_row]
    ps_row = np.repeat(np.arange(pb_row.size), pb_snaps)
    snap_k = np.arange(ps_row.size) - np.repeat(np.cumsum(pb_snaps) - pb_snaps, pb_snaps)
    snap_no = 4 - pb_snaps[ps_row] + snap_k  # use the latest snapshots of the 4 per game
    prow = pr[pb_row[ps_row]]
    pgame = a_game[prow]
    snap_hours = np.array([11.0, 7.0, 3.0, 1.0])
    snap_ts = g_tip_us[pgame] - (snap_hours[snap_no] * _HOUR_US).astype(np.int64) + (pgame % 17) * _MIN_US
    base_line = _round_half(np.clip(avg_pts[inv[pr]] * np.exp(rng.normal(0, 0.07, pr.size)), 3.0, 38.0))
    book_adj = np.array([0.0, 0.0, 0.0, 0.0, 1.0, -1.0])[rng.integers(0, 6, pb_row.size)]
    move = np.array([0.0, 0.0, 0.0, 1.0, -1.0])[rng.integers(0, 5, ps_row.size)] * (snap_no >= 2)
    line = np.maximum(base_line[pb_row[ps_row]] + book_adj[ps_row] + move, 0.5)
    price_pairs = np.array([(-110, -110), (-115, -105), (-105, -115), (-120, 100), (100, -120),
                            (-112, -108), (-108, -112), (-125, 105)])
    pp_idx = rng.integers(0, len(price_pairs), ps_row.size)
    g_offic_props = np.where(g_date >= _ep(dt.date(2025, 12, 28)), rng.random(n_games) > 0.1,
                             rng.random(n_games) < 0.05)
    prop_gid = np.where(g_offic_props[pgame], np.array(G_id, dtype=object)[pgame], ids[pgame])
    props = pa.table({
        "game_id": pa.array(prop_gid, type=pa.string()),
        "game_date": _dates(g_date[pgame]),
        "player_lookup": _strs(box.lookups, a_pid[prow]),
        "bookmaker": _strs(_BOOKS, pb_book[ps_row]),
        "points_line": pa.array(line, type=pa.float64()),
        "over_price_american": _i64(price_pairs[pp_idx, 0]),
        "under_price_american": _i64(price_pairs[pp_idx, 1]),
        "snapshot_timestamp": _ts(snap_ts),
        "processed_at": _ts(snap_ts + rng.integers(60, 400, ps_row.size) * 1_000_000),
    })

    # ---------------------------------------------------------------- game lines
    lg_games = box_games
    nb = rng.integers(2, 4, lg_games.size)
    perm = np.argsort(rng.random((lg_games.size, 4)), axis=1)
    gb_row = np.repeat(np.arange(lg_games.size), nb)
    gb_book = perm[gb_row, np.arange(gb_row.size) - np.repeat(np.cumsum(nb) - nb, nb)]
    # 2 snapshots x 4 outcomes per bookmaker
    row = np.repeat(np.arange(gb_row.size), 8)
    j = np.tile(np.arange(8), gb_row.size)
    snap = j // 4
    outcome = j % 4  # 0 home spread, 1 away spread, 2 over, 3 under
    gg = lg_games[gb_row[row]]
    g_str = np.array(G_sdiff, dtype=float)
    neutral = g_type == T_CUP
    exp_home = g_str + np.where(neutral, 0.0, 2.4)
    spread_home = -_round_half(exp_home + rng.normal(0, 1.2, n_games) - 0.5)
    total_pt = _round_half(np.array([seasons[(0, y)]["mu"] for y in G_season]) + 4 + rng.normal(0, 6, n_games))
    bk_move = np.array([0.0, 0.0, 0.5, -0.5])[rng.integers(0, 4, (gb_row.size, 2))][row, snap] * snap
    sp = spread_home[gg] + bk_move
    tot = total_pt[gg] + bk_move
    point = np.select([outcome == 0, outcome == 1, outcome >= 2], [sp, -sp, tot])
    pairs = np.array([(-110, -110), (-108, -112), (-112, -108), (-115, -105), (-105, -115)])
    pair_i = rng.integers(0, len(pairs), row.size // 2)
    price = pairs[np.repeat(pair_i, 2), np.tile([0, 1], row.size // 2)]
    outcome_name_idx = np.where(outcome == 0, g_home[gg], np.where(outcome == 1, g_away[gg],
                                np.where(outcome == 2, len(all_codes), len(all_codes) + 1)))
    event_ids = [f"{a:016x}{b:016x}" for a, b in rng.integers(0, 2**63, (n_games, 2), dtype=np.int64)]
    line_snap = g_tip_us[gg] - np.where(snap == 0, 10 * _HOUR_US, _HOUR_US) + (gg % 13) * _MIN_US
    game_lines = pa.table({
        "game_id": _strs(event_ids, gg),
        "game_date": _dates(g_date[gg]),
        "home_team_abbr": _strs(all_codes, g_home[gg]),
        "away_team_abbr": _strs(all_codes, g_away[gg]),
        "bookmaker_key": _strs(_BOOKS, gb_book[row]),
        "market_key": _strs(["spreads", "totals"], (outcome >= 2).astype(np.int64)),
        "outcome_name": _strs(all_codes + ["Over", "Under"], outcome_name_idx),
        "outcome_point": pa.array(point.astype(float), type=pa.float64()),
        "outcome_price": _i64(price),
        "snapshot_timestamp": _ts(line_snap),
        "processed_at": _ts(line_snap + 90 * 1_000_000),
    })

    return props, game_lines
