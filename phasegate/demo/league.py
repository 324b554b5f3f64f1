"""The demo league: its teams, seasons and calendar, and how games and their results are drawn.

Pure numpy: matchups (82 games per team), results (never a tie; overtime), playoff series, and
the greedy day-by-day scheduler (no team twice a day, never three days in a row).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

RAW_TABLES: tuple[str, ...] = (
    "nbac_schedule",
    "nbac_gamebook_player_stats",
    "nbac_team_boxscore",
    "player_shot_zones",
    "odds_api_player_points_props",
    "odds_api_game_lines",
)

DEMO_START = dt.date(2021, 10, 19)
DEMO_END = dt.date(2026, 1, 3)

# conference -> divisions (real alignment)
_DIVISIONS: tuple[tuple[str, ...], ...] = (
    ("BOS", "BKN", "NYK", "PHI", "TOR"),  # Atlantic
    ("CHI", "CLE", "DET", "IND", "MIL"),  # Central
    ("ATL", "CHA", "MIA", "ORL", "WAS"),  # Southeast
    ("DEN", "MIN", "OKC", "POR", "UTA"),  # Northwest
    ("GSW", "LAC", "LAL", "PHX", "SAC"),  # Pacific
    ("DAL", "HOU", "MEM", "NOP", "SAS"),  # Southwest
)
TEAMS: tuple[str, ...] = tuple(sorted(t for div in _DIVISIONS for t in div))

# season start year -> (opening night, last regular-season day, All-Star Sunday, Cup final)
_KNOWN_SEASONS = {
    2021: (dt.date(2021, 10, 19), dt.date(2022, 4, 10), dt.date(2022, 2, 20), None),
    2022: (dt.date(2022, 10, 18), dt.date(2023, 4, 9), dt.date(2023, 2, 19), None),
    2023: (dt.date(2023, 10, 24), dt.date(2024, 4, 14), dt.date(2024, 2, 18), dt.date(2023, 12, 9)),
    2024: (dt.date(2024, 10, 22), dt.date(2025, 4, 13), dt.date(2025, 2, 16), dt.date(2024, 12, 17)),
    2025: (dt.date(2025, 10, 21), dt.date(2026, 4, 12), dt.date(2026, 2, 15), dt.date(2025, 12, 16)),
}
FIRST_SEASON = 2021
LAST_SEASON = 2025
EXPECTED_DATES = 918  # distinct counting dates in DEMO_START..DEMO_END
BOOTSTRAP_DAYS = 14

_EPOCH = dt.date(1970, 1, 1).toordinal()
_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000
_MIN_US = 60_000_000

# --------------------------------------------------------------------------------------- calendar
def _ep(d: dt.date) -> int:
    return d.toordinal() - _EPOCH


def _date(e: int) -> dt.date:
    return dt.date.fromordinal(int(e) + _EPOCH)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    d = dt.date(year, month, 1)
    d += dt.timedelta(days=(weekday - d.weekday()) % 7)
    return d + dt.timedelta(weeks=n - 1)


def _season_plan(y: int) -> dict:
    if y in _KNOWN_SEASONS:
        opening, end, asg, cup = _KNOWN_SEASONS[y]
    else:  # synthetic earlier season
        opening = dt.date(y, 10, 17)
        opening += dt.timedelta(days=(1 - opening.weekday()) % 7)  # Tuesday
        end = dt.date(y + 1, 4, 8)
        end += dt.timedelta(days=(6 - end.weekday()) % 7)  # Sunday
        asg, cup = _nth_weekday(y + 1, 2, 6, 3), None
    return {
        "year": y, "opening": _ep(opening), "end": _ep(end), "asg": _ep(asg),
        "cup": None if cup is None else _ep(cup),
        "thanksgiving": _ep(_nth_weekday(y, 11, 3, 4)), "xmas_eve": _ep(dt.date(y, 12, 24)),
        "xmas": _ep(dt.date(y, 12, 25)),
    }


def _available_reg_dates(p: dict) -> np.ndarray:
    excluded = {p["thanksgiving"], p["xmas_eve"]} | set(range(p["asg"] - 2, p["asg"] + 4))
    if p["cup"] is not None:
        excluded.add(p["cup"])
    return np.array([d for d in range(p["opening"], p["end"] + 1) if d not in excluded], dtype=np.int64)


def _utc_offset_hours(e: np.ndarray) -> np.ndarray:
    """US-Eastern offset (hours to add to local time to get UTC) for epoch days."""
    e = np.asarray(e, dtype=np.int64)
    years = np.array([_date(x).year for x in np.unique(e)])
    out = np.full(e.shape, 5, dtype=np.int64)
    for y in np.unique(years):
        start = _ep(_nth_weekday(int(y), 3, 6, 2))
        stop = _ep(_nth_weekday(int(y), 11, 6, 1))
        out[(e >= start) & (e < stop)] = 4
    return out


def _weekday(e: np.ndarray) -> np.ndarray:
    return (np.asarray(e) + 3) % 7  # 1970-01-01 was a Thursday (Mon=0)


# --------------------------------------------------------------------------------------- league
def _matchups(rng: np.random.Generator, divisions: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """82 games per team, 41 home: division x4, conference x4/x3 (circulant), other conference x2."""
    home, away = [], []

    def add(h: int, a: int, n: int) -> None:
        home.extend([h] * n)
        away.extend([a] * n)

    confs = []
    for c in range(2):
        pos = [None] * 15  # position j holds division j % 3
        for d in range(3):
            members = list(rng.permutation(divisions[3 * c + d]))
            for k in range(5):
                pos[3 * k + d] = int(members[k])
        confs.append(pos)
        for j in range(15):
            for k in range(j + 1, 15):
                a, b = pos[j], pos[k]
                delta = (k - j) % 15
                if delta % 3 == 0:  # same division: 2 home each
                    add(a, b, 2)
                    add(b, a, 2)
                elif delta in (1, 2):  # 3 games, lower position hosts twice
                    add(a, b, 2)
                    add(b, a, 1)
                elif delta in (13, 14):  # k is j-1/j-2 circularly: k hosts twice
                    add(b, a, 2)
                    add(a, b, 1)
                else:
                    add(a, b, 2)
                    add(b, a, 2)
    for a in confs[0]:
        for b in confs[1]:
            add(a, b, 1)
            add(b, a, 1)
    return np.array(home, dtype=np.int64), np.array(away, dtype=np.int64)


def _outcomes(rng: np.random.Generator, sh: np.ndarray, sa: np.ndarray, mu: float,
              neutral: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Home points, away points, number of overtimes (never a tie)."""
    n = len(sh)
    adv = np.where(neutral, 0.0, 2.4) if neutral is not None else 2.4
    raw = sh - sa + adv + rng.normal(0.0, 13.0, n)
    ot = np.abs(raw) < 0.9
    u = rng.random(n)
    n_ot = np.where(ot, 1 + (u < 0.13) + (u < 0.02), 0)
    p_home_ot = 1.0 / (1.0 + np.exp(-(sh - sa + adv) / 6.0))
    home_win = np.where(ot, rng.random(n) < p_home_ot, raw > 0)
    total = np.rint(rng.normal(mu, 17.0, n)).astype(np.int64)
    margin = np.maximum(1, np.rint(np.abs(raw))).astype(np.int64)
    total = np.maximum(total, 2 * margin + 150)
    total += (total + margin) % 2
    win = (total + margin) // 2
    lose = (total - margin) // 2
    # overtime: tied at the end of regulation, then the winner outscores the loser
    tie = total // 2
    extra = np.zeros(n, dtype=np.int64)
    for k in range(1, 4):
        extra += np.where(n_ot >= k, rng.integers(6, 15, n), 0)
    m_ot = np.clip(rng.geometric(0.25, n), 1, 12)
    win = np.where(ot, tie + extra + m_ot, win)
    lose = np.where(ot, tie + extra, lose)
    hp = np.where(home_win, win, lose)
    ap = np.where(home_win, lose, win)
    return hp.astype(np.int64), ap.astype(np.int64), n_ot.astype(np.int64)


def _series_games(rng, hi, lo, strength, mu, round_no, series_no, season_code):
    """Simulate a best-of-7 series (2-2-1-1-1). Returns list of game dicts (without dates)."""
    games = []
    wins = {hi: 0, lo: 0}
    k = 0
    while wins[hi] < 4 and wins[lo] < 4:
        h, a = (hi, lo) if k in (0, 1, 4, 6) else (lo, hi)
        hp, ap, ot = _outcomes(rng, np.array([strength[h]]), np.array([strength[a]]), mu)
        wins[h if hp[0] > ap[0] else a] += 1
        games.append({"home": h, "away": a, "hp": int(hp[0]), "ap": int(ap[0]), "ot": int(ot[0]),
                      "k": k, "id": f"004{season_code:02d}00{round_no}{series_no}{k + 1}"})
        k += 1
    winner = hi if wins[hi] == 4 else lo
    return games, winner


def _postseason(rng, year, wins_by_team, strength, conf_of, end_day, mu):
    """Play-in and playoffs of league 0. Returns (playin games, playoff games) with dates."""
    yy = year % 100
    seeds = {}
    for c in range(2):
        members = [t for t in range(30) if conf_of[t] == c]
        members.sort(key=lambda t: (-wins_by_team[t], -strength[t]))
        seeds[c] = members
    playin = []
    seq = 0
    final_seeds = {}
    days = [end_day + 2, end_day + 3, end_day + 5]
    for c in range(2):
        s = seeds[c]
        g78 = _outcomes(rng, np.array([strength[s[6]]]), np.array([strength[s[7]]]), mu)
        w78, l78 = (s[6], s[7]) if g78[0][0] > g78[1][0] else (s[7], s[6])
        g910 = _outcomes(rng, np.array([strength[s[8]]]), np.array([strength[s[9]]]), mu)
        w910 = s[8] if g910[0][0] > g910[1][0] else s[9]
        hi_last, lo_last = (l78, w910) if wins_by_team[l78] >= wins_by_team[w910] else (w910, l78)
        gl = _outcomes(rng, np.array([strength[hi_last]]), np.array([strength[lo_last]]), mu)
        w8 = hi_last if gl[0][0] > gl[1][0] else lo_last
        for (h, a, res, day) in ((s[6], s[7], g78, days[c]), (s[8], s[9], g910, days[c]),
                                 (hi_last, lo_last, gl, days[2])):
            seq += 1
            playin.append({"home": h, "away": a, "hp": int(res[0][0]), "ap": int(res[1][0]),
                           "ot": int(res[2][0]), "day": day, "id": f"005{yy:02d}{seq:05d}"})
        final_seeds[c] = s[:6] + [w78, w8]
    # playoffs: rounds laid out on the calendar, series of a round in two day-groups
    patterns = ([0, 2, 5, 7, 9, 11, 13], [0, 3, 5, 7, 10, 12, 14])
    off_finals = [0, 3, 5, 8, 10, 13, 16]
    playoffs = []
    start = end_day + 6
    brackets = []
    for c in range(2):
        s = final_seeds[c]
        brackets.append([(s[0], s[7]), (s[3], s[4]), (s[2], s[5]), (s[1], s[6])])
    # round 1
    rounds_pairs = [[p for b in brackets for p in b]]
    rnd = 1
    conf_winners: list[int] = []
    pairs = rounds_pairs[0]
    while True:
        last_day = start
        winners = []
        for i, (a, b) in enumerate(pairs):
            hi, lo = (a, b) if (wins_by_team[a], strength[a]) >= (wins_by_team[b], strength[b]) else (b, a)
            games, w = _series_games(rng, hi, lo, strength, mu - 4.0, rnd, i, yy)
            group = i % 2 if len(pairs) > 1 else 0
            off = off_finals if rnd == 4 else patterns[(i // 2 + rnd) % 2]
            for g in games:
                g["day"] = start + group + off[g["k"]]
                last_day = max(last_day, g["day"])
            playoffs.extend(games)
            winners.append(w)
        if rnd == 4:
            break
        pairs = [(winners[2 * i], winners[2 * i + 1]) for i in range(len(winners) // 2)]
        conf_winners = winners
        rnd += 1
        start = last_day + 2
    del conf_winners
    return playin, playoffs


def _date_targets(rng, dates: np.ndarray, n_games: int, p: dict) -> np.ndarray:
    wd = _weekday(dates)
    w = np.array([0.85, 1.1, 1.15, 0.7, 1.15, 1.05, 0.85])[wd] * rng.uniform(0.75, 1.25, len(dates))
    w[1] *= 1.5
    fixed = {0: 2}
    xmas = np.flatnonzero(dates == p["xmas"])
    if xmas.size:
        fixed[int(xmas[0])] = 5
    free = np.ones(len(dates), bool)
    t = np.zeros(len(dates), dtype=np.int64)
    for i, v in fixed.items():
        t[i], free[i] = v, False
    rest = n_games - t.sum()
    x = w[free] / w[free].sum() * rest
    x = np.clip(x, 1, 13.5)
    base = np.floor(x).astype(np.int64)
    short = rest - base.sum()
    order = np.argsort(-(x - base))
    i = 0
    while short > 0:
        j = order[i % len(order)]
        if base[j] < 14:
            base[j] += 1
            short -= 1
        i += 1
    while short < 0:
        j = order[::-1][i % len(order)]
        if base[j] > 1:
            base[j] -= 1
            short += 1
        i += 1
    t[free] = base
    return t


def _assign_dates(rng, home, away, dates, targets, n_teams=30):
    """Greedy day-by-day scheduling: no team twice a day, never three days in a row."""
    G = len(home)
    date_of = np.full(G, -1, dtype=np.int64)
    remaining = np.ones(G, bool)
    rem_team = (np.bincount(home, minlength=n_teams) + np.bincount(away, minlength=n_teams)).astype(float)
    last = np.full(n_teams, -10_000, dtype=np.int64)
    prev = np.full(n_teams, -10_000, dtype=np.int64)
    played = [set() for _ in range(n_teams)]
    nd = len(dates)
    for i, d in enumerate(dates):
        idx = np.flatnonzero(remaining)
        if idx.size == 0:
            break
        blocked = (last == d - 1) & (prev == d - 2)
        yest = (last == d - 1).astype(float)
        urg = rem_team / max(nd - i, 1)
        h, a = home[idx], away[idx]
        ok = ~blocked[h] & ~blocked[a]
        score = 3.0 * (urg[h] + urg[a]) + rng.random(idx.size) - 0.55 * (yest[h] + yest[a])
        cand = idx[ok][np.argsort(-score[ok], kind="stable")]
        used = np.zeros(n_teams, bool)
        taken = 0
        tgt = targets[i]
        for g in cand:
            if taken >= tgt:
                break
            hh, aa = home[g], away[g]
            if used[hh] or used[aa]:
                continue
            used[hh] = used[aa] = True
            date_of[g] = d
            remaining[g] = False
            taken += 1
        for t in np.flatnonzero(used):
            prev[t], last[t] = last[t], d
            rem_team[t] -= 1
            played[t].add(int(d))
    # leftovers: insert where both teams are free and no three-in-a-row appears
    for g in np.flatnonzero(remaining):
        placed = False
        for d in rng.permutation(dates):
            d = int(d)
            ok = True
            for t in (home[g], away[g]):
                s = played[t]
                if d in s or (d - 1 in s and d - 2 in s) or (d - 1 in s and d + 1 in s) or (d + 1 in s and d + 2 in s):
                    ok = False
                    break
            if ok:
                date_of[g] = d
                played[home[g]].add(d)
                played[away[g]].add(d)
                placed = True
                break
        if not placed:
            return None
    counts = np.bincount(np.searchsorted(dates, date_of), minlength=nd)
    if counts.min() < 1 or counts.max() > 15:
        return None
    return date_of
