"""The demo schedule: every game of every season and its rows in `nba_raw.nbac_schedule`.

Regular seasons (one per league), preseason, All-Star, play-in, playoffs and the NBA Cup final;
postponements (a final row with NULL scores on the original date), status 1/2/3 duplicates.
`build_schedule` returns the games (the facts the box scores and lines are drawn from) and the
schedule table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from phasegate.demo.columns import _dates, _i64, _strs, _ts
from phasegate.demo.league import (
    _DAY_US,
    _HOUR_US,
    _MIN_US,
    BOOTSTRAP_DAYS,
    EXPECTED_DATES,
    FIRST_SEASON,
    LAST_SEASON,
    _assign_dates,
    _available_reg_dates,
    _date,
    _date_targets,
    _matchups,
    _outcomes,
    _postseason,
    _utc_offset_hours,
    _weekday,
)


@dataclass
class Games:
    """One entry per game of every kind; team indices into `all_codes` (league offset applied)."""

    n_games: int
    home: np.ndarray
    away: np.ndarray
    date: np.ndarray
    season: np.ndarray
    type: np.ndarray
    hp: np.ndarray
    ap: np.ndarray
    ot: np.ndarray
    counting: np.ndarray
    tip_us: np.ndarray
    morning_after: np.ndarray
    ids: list[str]          # official ids
    sys_ids: list[str]      # YYYYMMDD_AWAY_HOME
    sys_ids_rev: list[str]  # YYYYMMDD_HOME_AWAY
    strength_diff: list[float]
    seasons_of: list[int]
    all_codes: list[str]
    cup_type: int
    seasons: dict[tuple[int, int], dict[str, Any]]


def build_schedule(seed: int, years: list[int], plans: dict[int, dict], end_ep: int, n_leagues: int,
                   games_scale: float, team_codes: list[str], conf_of: np.ndarray,
                   div_idx: list[list[int]]) -> tuple[Games, pa.Table]:
    # ---------------------------------------------------------------- phase A: league 0 outcomes
    seasons: dict[tuple[int, int], dict] = {}
    for lg in range(n_leagues):
        for y in years:
            rng = np.random.default_rng([seed, y, lg, 1])
            p = plans[y]
            strength = rng.normal(0.0, 4.5, 30)
            home, away = _matchups(rng, div_idx)
            mu = 219.0 + 2.2 * min(max(y - 2021, 0), 4)
            hp, ap, ot = _outcomes(rng, strength[home], strength[away], mu)
            s = {"strength": strength, "home": home, "away": away, "hp": hp, "ap": ap, "ot": ot, "mu": mu,
                 "complete": p["end"] < end_ep, "rng": rng}
            if lg == 0 and s["complete"]:
                wins = np.bincount(np.where(hp > ap, home, away), minlength=30)
                for attempt in range(200):
                    prng0 = np.random.default_rng([seed, y, 11, attempt])
                    playin, playoffs = _postseason(prng0, y, wins, strength, conf_of, p["end"], mu)
                    if 79 <= len(playoffs) <= 87:
                        break
                s["playin"], s["playoffs"] = playin, playoffs
            seasons[(lg, y)] = s

    # ---------------------------------------------------------------- phase B: regular-season dates
    avail = {y: _available_reg_dates(plans[y]) for y in years}
    n_reg_dates: dict[int, int] = {}
    window_years = [y for y in years if y >= FIRST_SEASON]
    complete_w = [y for y in window_years if plans[y]["end"] < end_ep]
    fixed_dates = 0
    for y in window_years:
        p = plans[y]
        if y in complete_w:
            s = seasons[(0, y)]
            fixed_dates += len({g["day"] for g in s["playin"]}) + len({g["day"] for g in s["playoffs"]})
            fixed_dates += 1 if p["cup"] is not None else 0
        else:  # current season: every available day up to DEMO_END is played
            in_w = avail[y][avail[y] <= end_ep]
            fixed_dates += len(in_w) + (1 if p["cup"] is not None and p["cup"] <= end_ep else 0)
    reg_total = EXPECTED_DATES - fixed_dates
    pref = {2021: 165, 2022: 164, 2023: 159, 2024: 162}
    tgt = {y: min(pref.get(y, 162), len(avail[y])) for y in complete_w}
    diff = reg_total - sum(tgt.values())
    i = 0
    while diff != 0:
        y = complete_w[i % len(complete_w)]
        if diff > 0 and tgt[y] < len(avail[y]):
            tgt[y] += 1
            diff -= 1
        elif diff < 0 and tgt[y] > 150:
            tgt[y] -= 1
            diff += 1
        i += 1
        if i > 10_000:
            raise RuntimeError("cannot reach the expected number of game dates")
    reg_dates: dict[int, np.ndarray] = {}
    for y in years:
        rng = np.random.default_rng([seed, y, 99])
        a = avail[y]
        p = plans[y]
        if y in tgt:
            n_remove = len(a) - tgt[y]
            eligible = np.flatnonzero((a - p["opening"] >= BOOTSTRAP_DAYS) & (a != p["xmas"]) & (a < p["end"]))
        elif y == LAST_SEASON or plans[y]["end"] >= end_ep:
            n_remove = int(rng.integers(2, 5))
            eligible = np.flatnonzero((a > end_ep) & (a < p["end"]))
        else:
            n_remove = int(rng.integers(0, 5))
            eligible = np.flatnonzero((a - p["opening"] >= BOOTSTRAP_DAYS) & (a != p["xmas"]) & (a < p["end"]))
        drop = rng.choice(eligible, size=n_remove, replace=False)
        reg_dates[y] = np.delete(a, drop)
        n_reg_dates[y] = len(reg_dates[y])

    # ---------------------------------------------------------------- phase C: assign games to dates
    for (lg, y), s in seasons.items():
        p = plans[y]
        dates = reg_dates[y]
        for attempt in range(50):
            rng = np.random.default_rng([seed, y, lg, 2, attempt])
            targets = _date_targets(rng, dates, len(s["home"]), p)
            date_of = _assign_dates(rng, s["home"], s["away"], dates, targets)
            if date_of is not None:
                break
        else:  # pragma: no cover
            raise RuntimeError(f"could not schedule season {y}")
        s["date"] = date_of
        # tip slot order within a date defines the original schedule order
        s["tip_rank"] = rng.random(len(date_of))
        # postponements (league 0): the game's original date is earlier than the played date
        s["orig_date"] = date_of.copy()
        n_pp = {2021: 2, 2022: 1, 2023: 0, 2024: 1, 2025: 1}.get(y, 1)
        if lg == 0 and n_pp:
            played_by = {}
            for t in range(30):
                played_by[t] = set(date_of[(s["home"] == t) | (s["away"] == t)].tolist())
            counts = {int(d): int(c) for d, c in zip(*np.unique(date_of, return_counts=True), strict=True)}
            hi_day = min(p["end"], end_ep) if y == LAST_SEASON else p["end"]
            cands = np.flatnonzero((date_of >= p["opening"] + 40) & (date_of <= hi_day))
            done = 0
            for g in rng.permutation(cands):
                if done >= n_pp:
                    break
                d2 = int(date_of[g])
                options = [int(d) for d in dates if d2 - 45 <= d <= d2 - 10
                           and d - p["opening"] >= BOOTSTRAP_DAYS and counts.get(int(d), 0) >= 3
                           and int(d) not in played_by[s["home"][g]] and int(d) not in played_by[s["away"][g]]]
                if options:
                    s["orig_date"][g] = options[int(rng.integers(len(options)))]
                    done += 1
        # Cup final (league 0 only): best East vs best West team not blocked by a back-to-back pair
        s["cup"] = None
        if lg == 0 and p["cup"] is not None:
            d = p["cup"]
            pick = []
            for c in range(2):
                for t in np.argsort(-s["strength"]):
                    if conf_of[t] != c:
                        continue
                    pl = set(date_of[(s["home"] == t) | (s["away"] == t)].tolist())
                    if not (d - 1 in pl and d - 2 in pl) and not (d - 1 in pl and d + 1 in pl) \
                            and not (d + 1 in pl and d + 2 in pl):
                        pick.append(int(t))
                        break
            h, a = (pick[0], pick[1]) if rng.random() < 0.5 else (pick[1], pick[0])
            hp, ap, ot = _outcomes(rng, s["strength"][[h]], s["strength"][[a]], s["mu"] - 3,
                                   neutral=np.array([True]))
            s["cup"] = {"home": h, "away": a, "hp": int(hp[0]), "ap": int(ap[0]), "ot": int(ot[0]),
                        "day": d, "id": f"006{y % 100:02d}00001"}

    # ---------------------------------------------------------------- phase D: game table
    # one entry per game of every kind (league offset applied to team indices)
    G_home, G_away, G_date, G_orig, G_season, G_type, G_id, G_hp, G_ap, G_ot, G_lg = ([] for _ in range(11))
    G_tip, G_sdiff = [], []
    type_names = ["Preseason", "Regular Season", "All-Star", "Playoffs", "Play-In", "NBA Cup Final"]
    T_PRE, T_REG, T_ASG, T_PO, T_PI, T_CUP = range(6)
    code_extra = ["EST", "WST"]
    allstar_idx = {"EST": len(team_codes), "WST": len(team_codes) + 1}
    all_codes = team_codes + code_extra

    def push(h, a, d, od, y, t, gid, hp, ap, ot, lg, tip, sdiff=0.0):
        G_sdiff.append(sdiff)
        G_home.append(h)
        G_away.append(a)
        G_date.append(d)
        G_orig.append(od)
        G_season.append(y)
        G_type.append(t)
        G_id.append(gid)
        G_hp.append(hp)
        G_ap.append(ap)
        G_ot.append(ot)
        G_lg.append(lg)
        G_tip.append(tip)

    for y in years:
        p = plans[y]
        yy = y % 100
        rng = np.random.default_rng([seed, y, 3])
        # preseason (league 0): ~2 weeks before opening night
        pre_count = np.zeros(30, dtype=np.int64)
        pre = []
        for d in range(p["opening"] - 17, p["opening"] - 3):
            k = int(rng.integers(2, 8))
            order = np.lexsort((rng.random(30), pre_count))
            teams = [int(t) for t in order[: 2 * k] if pre_count[t] < 5]
            teams = teams[: len(teams) // 2 * 2]
            for j in range(0, len(teams), 2):
                pre.append((teams[j], teams[j + 1], d))
                pre_count[teams[j]] += 1
                pre_count[teams[j + 1]] += 1
        st = seasons[(0, y)]["strength"]
        for n, (h, a, d) in enumerate(pre):
            hp, ap, ot = _outcomes(rng, st[[h]], st[[a]], 222.0)
            push(h, a, d, d, y, T_PRE, f"001{yy:02d}{n + 1:05d}", int(hp[0]), int(ap[0]), int(ot[0]), 0,
                 float(rng.random()))
        for lg in range(n_leagues):
            s = seasons[(lg, y)]
            off = 30 * lg
            order = np.lexsort((s["tip_rank"], s["orig_date"]))
            keep = np.ones(len(order), bool)
            if lg == n_leagues - 1 and lg > 0 and games_scale < n_leagues:
                keep = s["rng"].random(len(order)) < (games_scale - (n_leagues - 1))
            for n, g in enumerate(order):
                if not keep[n]:
                    continue
                push(int(s["home"][g]) + off, int(s["away"][g]) + off, int(s["date"][g]), int(s["orig_date"][g]),
                     y, T_REG, f"002{yy:02d}{1300 * lg + n + 1:05d}",
                     int(s["hp"][g]), int(s["ap"][g]), int(s["ot"][g]), lg, float(s["tip_rank"][g]),
                     float(s["strength"][s["home"][g]] - s["strength"][s["away"][g]]))
        s0 = seasons[(0, y)]
        # All-Star game (not counted), EST vs WST
        hp_asg, ap_asg = int(rng.integers(150, 200)), int(rng.integers(150, 200))
        if hp_asg == ap_asg:
            hp_asg += 1
        h, a = (allstar_idx["WST"], allstar_idx["EST"]) if y % 2 else (allstar_idx["EST"], allstar_idx["WST"])
        push(h, a, p["asg"], p["asg"], y, T_ASG, f"003{yy:02d}00001", hp_asg, ap_asg, 0, 0, 0.5)
        if s0.get("cup"):
            c = s0["cup"]
            push(c["home"], c["away"], c["day"], c["day"], y, T_CUP, c["id"], c["hp"], c["ap"], c["ot"], 0, 0.5,
                 float(st[c["home"]] - st[c["away"]]))
        for g in s0.get("playin", []):
            push(g["home"], g["away"], g["day"], g["day"], y, T_PI, g["id"], g["hp"], g["ap"], g["ot"], 0,
                 float(rng.random()), float(st[g["home"]] - st[g["away"]]))
        for g in s0.get("playoffs", []):
            push(g["home"], g["away"], g["day"], g["day"], y, T_PO, g["id"], g["hp"], g["ap"], g["ot"], 0,
                 float(rng.random()), float(st[g["home"]] - st[g["away"]]))

    g_home = np.array(G_home, dtype=np.int64)
    g_away = np.array(G_away, dtype=np.int64)
    g_date = np.array(G_date, dtype=np.int64)
    g_orig = np.array(G_orig, dtype=np.int64)
    g_season = np.array(G_season, dtype=np.int64)
    g_type = np.array(G_type, dtype=np.int64)
    g_hp = np.array(G_hp, dtype=np.int64)
    g_ap = np.array(G_ap, dtype=np.int64)
    g_ot = np.array(G_ot, dtype=np.int64)
    g_tiprank = np.array(G_tip, dtype=float)
    n_games = len(g_home)
    g_final = g_date <= end_ep
    g_counting = g_final & (g_type != T_PRE) & (g_type != T_ASG)

    # tip-off times (Eastern local minutes) and UTC microseconds
    rng = np.random.default_rng([seed, 4])
    wd = _weekday(g_date)
    evening = np.array([19 * 60, 19 * 60, 19 * 60 + 30, 19 * 60 + 30, 20 * 60, 20 * 60 + 30, 21 * 60, 22 * 60, 22 * 60 + 30])
    weekend = np.array([12 * 60, 13 * 60, 15 * 60 + 30, 15 * 60, 17 * 60, 18 * 60, 19 * 60, 20 * 60, 21 * 60 + 30])
    slot = np.clip((g_tiprank * len(evening)).astype(int), 0, len(evening) - 1)
    et_min = np.where(wd >= 5, weekend[slot], evening[slot])
    g_tip_us = (g_date * 86400 + et_min * 60 + _utc_offset_hours(g_date) * 3600) * 1_000_000
    morning_after = (g_date + 1) * _DAY_US + 8 * _HOUR_US + rng.integers(0, 150, n_games) * _MIN_US

    g_sys = [f"{_date(d).strftime('%Y%m%d')}_{all_codes[a]}_{all_codes[h]}" for d, h, a in zip(G_date, G_home, G_away, strict=True)]
    g_sys_rev = [f"{_date(d).strftime('%Y%m%d')}_{all_codes[h]}_{all_codes[a]}" for d, h, a in zip(G_date, G_home, G_away, strict=True)]

    # ---------------------------------------------------------------- schedule rows
    sch = {k: [] for k in ("g", "date", "status", "scores", "proc")}

    def sch_rows(g_idx, dates, status, scores, proc):
        sch["g"].append(g_idx)
        sch["date"].append(dates)
        sch["status"].append(np.full(len(g_idx), status))
        sch["scores"].append(np.full(len(g_idx), scores))
        sch["proc"].append(proc)

    all_g = np.arange(n_games)
    season_open = np.array([plans[y]["opening"] for y in G_season], dtype=np.int64)
    release = (season_open - 60) * _DAY_US + 15 * _HOUR_US + rng.integers(0, 600, n_games) * _MIN_US
    late_known = (g_type == T_PO) | (g_type == T_PI) | (g_type == T_CUP)
    release = np.where(late_known, (g_date - 2) * _DAY_US + 14 * _HOUR_US, release)
    post = g_orig != g_date
    # original-date rows (status 1), and for postponed games a final-with-NULL-scores row
    sch_rows(all_g, g_orig, 1, False, release)
    pp = np.flatnonzero(post)
    sch_rows(pp, g_orig[pp], 3, False, (g_orig[pp] + 1) * _DAY_US + 8 * _HOUR_US)
    sch_rows(pp, g_date[pp], 1, False, (g_orig[pp] + 2) * _DAY_US + 16 * _HOUR_US)
    fin = np.flatnonzero(g_final)
    live = fin[rng.random(fin.size) < 0.25]
    sch_rows(live, g_date[live], 2, False, g_tip_us[live] + 70 * _MIN_US)
    sch_rows(fin, g_date[fin], 3, True, morning_after[fin])
    s_g = np.concatenate(sch["g"])
    s_date = np.concatenate(sch["date"])
    s_status = np.concatenate(sch["status"])
    s_scores = np.concatenate(sch["scores"])
    s_proc = np.concatenate(sch["proc"])
    o = np.lexsort((s_proc, s_date))
    s_g, s_date, s_status, s_scores, s_proc = s_g[o], s_date[o], s_status[o], s_scores[o], s_proc[o]
    gt = g_type[s_g]
    schedule = pa.table({
        "game_id": _strs(G_id, s_g),
        "game_date": _dates(s_date),
        "season_year": _i64(g_season[s_g]),
        "season_type": _strs(type_names, gt),
        "is_regular_season": pa.array(gt == T_REG),
        "is_playoffs": pa.array((gt == T_PO) | (gt == T_PI)),
        "is_all_star": pa.array(gt == T_ASG),
        "home_team_tricode": _strs(all_codes, g_home[s_g]),
        "away_team_tricode": _strs(all_codes, g_away[s_g]),
        "game_status": _i64(s_status),
        "home_team_score": _i64(g_hp[s_g], mask=~s_scores),
        "away_team_score": _i64(g_ap[s_g], mask=~s_scores),
        "processed_at": _ts(s_proc),
    })

    games = Games(n_games=n_games, home=g_home, away=g_away, date=g_date, season=g_season, type=g_type, hp=g_hp,
                  ap=g_ap, ot=g_ot, counting=g_counting, tip_us=g_tip_us, morning_after=morning_after, ids=G_id,
                  sys_ids=g_sys, sys_ids_rev=g_sys_rev, strength_diff=G_sdiff, seasons_of=G_season,
                  all_codes=all_codes, cup_type=T_CUP, seasons=seasons)
    return games, schedule
