"""Realistic synthetic phase-2 (``nba_raw``) warehouse.

Pure numpy + pyarrow: no warehouse access, no file access. ``generate_raw(seed)`` returns one
``pyarrow.Table`` per raw table of ``raw-contract.md`` (same column names, order and types).

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

import datetime as dt
import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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

_BOOKS = np.array(["draftkings", "fanduel", "betmgm", "caesars"], dtype=object)

_FIRST = (  # noqa: SIM905
    "Aaron Adam Al Alex Andre Andrew Anthony Austin Ben Bobby Brandon Brook Bruce Caleb Cam Cameron "
    "Caris Chris Christian Cody Cole Collin Corey Daniel Darius David Dean Dejounte Derrick Devin "
    "Dillon Donovan Dorian Drew Duncan Dwight Dylan Eric Evan Franz Fred Gary Gabe George Gordon Grant "
    "Harrison Isaac Isaiah Ivan Jabari Jacob Jaden Jake Jalen Jamal James Jared Jarrett Jason Javonte "
    "Jaylen Jeff Jerami Jeremy Jimmy Joel Jonah Jordan Jose Josh Jrue Julian Justin Kai Keegan Keldon "
    "Kelly Kevin Khris Kyle Lamar Landry Larry Luke Malik Marcus Mark Mason Max Mikal Miles Mitchell "
    "Moses Naz Nic Nick Norman Obi Oscar Paul Quentin Reggie Ricky Robert Ryan Sam Scottie Seth Shai "
    "Spencer Stephen Terry Thomas Tim Tobias Trae Tre Trey Tyler Tyrese Victor Walker Wendell Zach Zion"
).split()
_LAST = (  # noqa: SIM905
    "Adams Allen Anderson Bailey Baker Banks Barnes Bates Bell Bennett Brooks Brown Bryant Butler "
    "Caldwell Carter Castle Chambers Clark Coleman Collins Cook Cooper Craig Cunningham Daniels Davis "
    "Dawson Dixon Dunn Edwards Ellis Evans Ferguson Fields Fisher Fleming Ford Foster Fox Freeman "
    "Garland Gibson Gordon Graham Grant Gray Green Griffin Hall Hamilton Harper Harris Hart Hayes "
    "Henderson Hill Holiday Holmes Howard Hughes Hunter Irving Jackson James Jenkins Johnson Jones "
    "Jordan Kelly Kennedy King Knight Lane Lewis Lillard Lopez Lowry Marshall Martin Mason Matthews "
    "McCollum Miller Mitchell Mobley Moore Morgan Morris Murphy Murray Myers Nelson Newton Olson Owens "
    "Palmer Parker Patterson Payton Perry Peters Porter Powell Price Randle Reed Reid Richards Riley "
    "Roberts Robinson Rogers Ross Russell Sanders Scott Shaw Simmons Smith Spencer Stewart Stone "
    "Sullivan Taylor Thomas Thompson Tucker Turner Walker Wallace Ward Warren Washington Watson Webb "
    "Wells West White Wiggins Williams Wilson Wood Wright Young"
).split()

_INJURIES = (
    "Injury/Illness - Left Ankle; Sprain", "Injury/Illness - Right Ankle; Sprain",
    "Injury/Illness - Left Knee; Soreness", "Injury/Illness - Right Knee; Contusion",
    "Injury/Illness - Left Hamstring; Strain", "Injury/Illness - Right Hamstring; Strain",
    "Injury/Illness - Lower Back; Spasms", "Injury/Illness - Illness",
    "Injury/Illness - Right Foot; Plantar Fasciitis", "Injury/Illness - Left Calf; Strain",
    "Injury/Illness - Right Shoulder; Soreness", "Injury/Illness - Left Wrist; Sprain",
    "Injury/Illness - Concussion Protocol", "Injury/Illness - Right Groin; Strain",
)
_DNP_CD = "DNP - Coach's Decision"
_REASONS = np.array((_DNP_CD, "G League - Two-Way", "Not With Team") + _INJURIES, dtype=object)
_R_CD, _R_TWOWAY, _R_NWT, _R_INJ0 = 0, 1, 2, 3

# minutes template by rank among a team's active players (minutes)
_MIN_BY_RANK = np.array([35.0, 33.5, 31.5, 29.5, 27.0, 23.5, 20.5, 17.0, 13.0, 9.0, 6.0, 4.0, 3.0])
_ACTIVE_CHOICES = np.array([9, 10, 11, 12, 13])
_ACTIVE_PROBS = np.array([0.10, 0.27, 0.33, 0.20, 0.10])
_MIN_ACTIVE = 9


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


# --------------------------------------------------------------------------------------- players
class _Names:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.used: set[str] = set()
        self.names: list[str] = []
        self.lookups: list[str] = []

    def new(self) -> int:
        while True:
            f = _FIRST[self.rng.integers(len(_FIRST))]
            last = _LAST[self.rng.integers(len(_LAST))]
            lk = (f + last).lower()
            if len(self.used) > 0.8 * len(_FIRST) * len(_LAST):
                suffix = ["Jr.", "II", "III", "IV"][self.rng.integers(4)]
                last = f"{last} {suffix}"
                lk = "".join(ch for ch in (f + last).lower() if ch.isalpha())
            if lk not in self.used:
                self.used.add(lk)
                self.names.append(f"{f} {last}")
                self.lookups.append(lk)
                return len(self.names) - 1


class _Players:
    """Growable per-player attribute store."""

    def __init__(self, seed_seq, names: _Names):
        self.rng = np.random.default_rng(seed_seq)
        self.names = names
        self.attr: dict[str, list[float]] = {k: [] for k in (
            "skill", "three", "ft", "reb", "oreb", "ast", "stl", "blk", "tov", "pf", "paint", "assisted", "eff")}

    def new(self, rookie: bool) -> int:
        pid = self.names.new()
        r = self.rng
        pos = r.integers(3)  # guard, wing, big
        a = self.attr
        a["skill"].append(r.normal(-0.6 if rookie else 0.0, 0.9))
        a["three"].append(float(np.clip(r.normal((0.46, 0.42, 0.2)[pos], 0.1), 0.0, 0.75)))
        a["ft"].append(float(np.clip(r.normal(0.25, 0.08), 0.05, 0.6)))
        a["reb"].append(float(np.clip(r.normal((0.9, 1.3, 2.6)[pos], 0.25), 0.3, 4)))
        a["oreb"].append(float(np.clip(r.normal((0.5, 0.8, 1.8)[pos], 0.2), 0.1, 3)))
        a["ast"].append(float(np.clip(r.normal((2.2, 1.1, 0.8)[pos], 0.35), 0.2, 4)))
        a["stl"].append(float(np.clip(r.normal((1.2, 1.1, 0.8)[pos], 0.2), 0.2, 3)))
        a["blk"].append(float(np.clip(r.normal((0.4, 0.9, 2.6)[pos], 0.3), 0.05, 5)))
        a["tov"].append(float(np.clip(r.normal((1.3, 1.0, 0.9)[pos], 0.2), 0.2, 3)))
        a["pf"].append(float(np.clip(r.normal((0.9, 1.0, 1.3)[pos], 0.15), 0.3, 3)))
        a["paint"].append(float(np.clip(r.normal((0.45, 0.52, 0.78)[pos], 0.1), 0.1, 0.95)))
        a["assisted"].append(float(np.clip(r.normal((0.45, 0.62, 0.72)[pos], 0.1), 0.1, 0.95)))
        a["eff"].append(float(np.clip(r.normal(1.0, 0.12), 0.6, 1.4)))
        assert pid == len(a["skill"]) - 1
        return pid

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.asarray(v, dtype=float) for k, v in self.attr.items()}


# --------------------------------------------------------------------------------------- vector helpers
def _group_bounds(grp: np.ndarray, G: int) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(grp, minlength=G)
    first = np.cumsum(counts) - counts
    last = first + counts - 1
    return first, last


def _alloc(rng, grp, w, totals, first, last):
    """Split integer totals per group among the group's rows, proportionally to w (multinomial)."""
    totals = np.asarray(totals, dtype=np.int64)
    G = len(totals)
    s = np.bincount(grp, weights=w, minlength=G)
    s[s <= 0] = 1.0
    wn = w / s[grp]
    cw = np.cumsum(wn)
    start = cw[first] - wn[first]
    keys = grp + (cw - start[grp])
    ug = np.repeat(np.arange(G), totals)
    idx = np.searchsorted(keys, ug + rng.random(ug.size), side="right")
    idx = np.clip(idx, first[ug], last[ug])
    return np.bincount(idx, minlength=len(grp)), idx, ug


def _select_makes(rng, unit_row, unit_grp, totals, makes, eff):
    """Choose `makes` of each group's attempt units without replacement (weighted by eff)."""
    n = unit_row.size
    key = np.log(rng.random(n) + 1e-300) / eff[unit_row]
    order = np.lexsort((-key, unit_grp))
    ustart = np.cumsum(totals) - totals
    g_sorted = unit_grp[order]
    rank = np.arange(n) - ustart[g_sorted]
    made = order[rank < makes[g_sorted]]
    return np.bincount(unit_row[made], minlength=eff.size)


def _ts(us: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(us, dtype=np.int64), type=pa.timestamp("us", tz="UTC"))


def _dates(e: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(e, dtype=np.int32), type=pa.date32())


def _i64(x, mask=None) -> pa.Array:
    return pa.array(np.asarray(x, dtype=np.int64), type=pa.int64(), mask=mask)


def _strs(pool: list[str] | np.ndarray, idx: np.ndarray, mask=None) -> pa.Array:
    arr = pa.array(list(pool), type=pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))
    if mask is not None:
        arr = pc.if_else(pa.array(mask), pa.nulls(len(arr), pa.string()), arr)
    return arr


def _round_half(x: np.ndarray) -> np.ndarray:
    return np.floor(x) + 0.5


# --------------------------------------------------------------------------------------- main
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

    # ---------------------------------------------------------------- rosters and gamebook rows
    box_games = np.flatnonzero(g_counting)
    names = _Names(np.random.default_rng([seed, 5]))
    rows_tg, rows_pid, rows_status, rows_reason = [], [], [], []
    n_tg = 2 * n_games  # team-game index = 2*g + (1 if home else 0)
    players = _Players(np.random.default_rng([seed, 6]), names)
    rows_skill = []
    for lg in range(n_leagues):
        prng = np.random.default_rng([seed, lg, 7])
        rosters: dict[int, list[int]] = {}
        for t in range(30):
            rosters[t] = [players.new(rookie=False) for _ in range(int(prng.integers(15, 18)))]
        for y in years:
            if y != years[0]:  # offseason: retirements, free agency, rookies
                skill = players.attr["skill"]
                fa: list[int] = []
                for t in range(30):
                    keep = []
                    for pid in rosters[t]:
                        u = prng.random()
                        if u < 0.08:
                            continue
                        (keep if u < 0.78 else fa).append(pid)
                    rosters[t] = keep
                for pid in fa + [pid for t in range(30) for pid in rosters[t]]:
                    skill[pid] = float(skill[pid] + prng.normal(-0.03, 0.25))
                prng.shuffle(fa)
                for t in prng.permutation(30):
                    size = int(prng.integers(15, 18))
                    r = rosters[int(t)]
                    while len(r) > size:
                        r.sort(key=lambda q: skill[q])
                        fa.append(r.pop(0))
                    while len(r) < size:
                        r.append(fa.pop() if fa and prng.random() < 0.6 else players.new(rookie=True))
            # the season's team games
            off = 30 * lg
            sel = box_games[(g_season[box_games] == y) & (g_home[box_games] // 30 == lg)]
            # trades: player swaps between two teams at a mid-season date
            p = plans[y]
            trades = []
            for _ in range(int(prng.integers(2, 5))):
                t1, t2 = (int(x) for x in prng.choice(30, 2, replace=False))
                day = int(p["opening"] + prng.integers(55, 110))
                if not rosters[t1] or not rosters[t2]:
                    continue
                p1 = rosters[t1][int(prng.integers(len(rosters[t1])))]
                p2 = rosters[t2][int(prng.integers(len(rosters[t2])))]
                if any(p1 in (a, b) or p2 in (a, b) for (a, b, *_r) in trades):
                    continue
                trades.append((p1, p2, t1, t2, day))
            memberships: dict[int, list[tuple[int, int, int]]] = {t: [(pid, -1, 10**9) for pid in rosters[t]] for t in range(30)}
            for (p1, p2, t1, t2, day) in trades:
                for (pid, src, dst) in ((p1, t1, t2), (p2, t2, t1)):
                    memberships[src] = [(q, a, day - 1) if q == pid else (q, a, b) for (q, a, b) in memberships[src]]
                    memberships[dst].append((pid, day, 10**9))
                rosters[t1] = [p2 if q == p1 else q for q in rosters[t1]]
                rosters[t2] = [p1 if q == p2 else q for q in rosters[t2]]
            skill = np.asarray(players.attr["skill"])
            for t in range(30):
                tg_games = sel[(g_home[sel] == t + off) | (g_away[sel] == t + off)]
                tg_games = tg_games[np.argsort(g_date[tg_games], kind="stable")]
                if tg_games.size == 0:
                    continue
                ng = tg_games.size
                mem = memberships[t]
                pids = np.array([m[0] for m in mem], dtype=np.int64)
                nm = len(mem)
                gd = g_date[tg_games]
                on = np.array([(gd >= a) & (gd <= b) for (_, a, b) in mem])
                status = np.zeros((nm, ng), dtype=np.int64)  # 0 active, 1 dnp, 2 inactive
                reason = np.full((nm, ng), -1, dtype=np.int64)
                # injuries: stretches of consecutive team games
                for i in range(nm):
                    for _ in range(prng.poisson(1.4)):
                        length = int(min(prng.geometric(0.15), 30))
                        st0 = int(prng.integers(0, ng))
                        reason[i, st0:st0 + length] = _R_INJ0 + int(prng.integers(len(_INJURIES)))
                # the lowest-skill player on a full roster is often a two-way player in the G League
                worst = int(np.argmin(np.where(on.any(axis=1), skill[pids], np.inf)))
                if len(rosters[t]) >= 16:
                    gl = (prng.random(ng) < 0.55) & (reason[worst] < 0)
                    reason[worst, gl] = _R_TWOWAY
                nwt = (prng.random((nm, ng)) < 0.004) & (reason < 0)
                reason[nwt] = _R_NWT
                unavailable = (reason >= 0) & on
                avail_n = (on & ~unavailable).sum(axis=0)
                for j in np.flatnonzero(avail_n < _MIN_ACTIVE):  # keep enough players available
                    for i in np.argsort(-skill[pids]):
                        if avail_n[j] >= _MIN_ACTIVE:
                            break
                        if on[i, j] and unavailable[i, j]:
                            unavailable[i, j] = False
                            reason[i, j] = -1
                            avail_n[j] += 1
                k = prng.choice(_ACTIVE_CHOICES, size=ng, p=_ACTIVE_PROBS)
                k = np.minimum(k, avail_n)
                key = skill[pids][:, None] + prng.normal(0, 0.35, (nm, ng))
                key = np.where(on & ~unavailable, key, -np.inf)
                rank = np.argsort(np.argsort(-key, axis=0), axis=0)
                active = (rank < k[None, :]) & on & ~unavailable
                status[:] = np.where(active, 0, np.where(unavailable, 2, 1))
                reason = np.where(status == 1, _R_CD, np.where(status == 0, -1, reason))
                ii, jj = np.nonzero(on)
                is_home = g_home[tg_games[jj]] == t + off
                rows_tg.append(2 * tg_games[jj] + is_home)
                rows_pid.append(pids[ii])
                rows_status.append(status[ii, jj])
                rows_reason.append(reason[ii, jj])
                rows_skill.append(skill[pids][ii])
    A = players.arrays()

    r_tg = np.concatenate(rows_tg)
    r_pid = np.concatenate(rows_pid)
    r_status = np.concatenate(rows_status)
    r_reason = np.concatenate(rows_reason)
    r_skill = np.concatenate(rows_skill)
    rng = np.random.default_rng([seed, 8])
    # order: game, team, active first, then by (season) skill
    o = np.lexsort((-r_skill, r_status, r_tg))
    r_tg, r_pid, r_status, r_reason, r_skill = r_tg[o], r_pid[o], r_status[o], r_reason[o], r_skill[o]
    r_game = r_tg // 2
    r_home = (r_tg % 2).astype(bool)

    # ---------------------------------------------------------------- team lines
    tg_all = np.concatenate([2 * box_games + 1, 2 * box_games])  # home, away
    tg_all.sort()
    T = tg_all.size
    tg_pos = np.full(n_tg, -1, dtype=np.int64)
    tg_pos[tg_all] = np.arange(T)
    t_game = tg_all // 2
    t_home = (tg_all % 2).astype(bool)
    opp = tg_pos[np.where(t_home, tg_all - 1, tg_all + 1)]
    pts = np.where(t_home, g_hp[t_game], g_ap[t_game])
    opp_pts = np.where(t_home, g_ap[t_game], g_hp[t_game])
    n_ot = g_ot[t_game]
    season_t = g_season[t_game]
    mu3a = 34.0 + 1.0 * np.clip(season_t - 2021, -3, 4)
    tpa = np.clip(np.rint(rng.normal(mu3a, 5.5)), 15, 60).astype(np.int64)
    tpm = rng.binomial(tpa, 0.361)
    fta = np.clip(np.rint(rng.normal(22.0, 5.5, T)) + 3 * n_ot, 4, 50).astype(np.int64)
    ftm = rng.binomial(fta, 0.78)
    for _ in range(100):
        bad = 3 * tpm + ftm > pts - 36
        if not bad.any():
            break
        tpm = np.where(bad & (tpm > 0), tpm - 1, tpm)
        ftm = np.where(bad & (tpm == 0) & (ftm > 0), ftm - 1, ftm)
    odd = (pts - 3 * tpm - ftm) % 2 == 1
    up = odd & (ftm < fta)
    ftm = np.where(up, ftm + 1, np.where(odd & ~up, ftm - 1, ftm))
    fg2m = (pts - 3 * tpm - ftm) // 2
    fg2a = np.maximum(fg2m, np.rint(fg2m / np.clip(rng.normal(0.545, 0.045, T), 0.4, 0.7))).astype(np.int64)
    fg2a = np.maximum(fg2a, fg2m + 3)
    fga = fg2a + tpa
    fgm = fg2m + tpm
    misses = fga - fgm
    oreb = rng.binomial(misses, 0.235)
    dreb = rng.binomial(np.maximum(misses[opp] - oreb[opp], 0), 0.9)
    tov = np.clip(np.rint(rng.normal(13.8, 3.6, T)), 3, 30).astype(np.int64)
    stl = rng.binomial(tov[opp], 0.56)
    blk = rng.binomial(np.maximum(fg2a[opp] - fg2m[opp], 0), 0.17)
    pf = np.clip(np.rint(rng.normal(19.3, 3.8, T) + n_ot), 6, 40).astype(np.int64)
    t_secs = 240 * 60 + 25 * 60 * n_ot

    # ---------------------------------------------------------------- allocate to players
    act = np.flatnonzero(r_status == 0)
    a_pid = r_pid[act]
    a_grp = tg_pos[r_tg[act]]
    first, last = _group_bounds(a_grp, T)
    n_act = last - first + 1
    a_rank = np.arange(act.size) - first[a_grp]
    mw = _MIN_BY_RANK[np.minimum(a_rank, len(_MIN_BY_RANK) - 1)] * np.exp(rng.normal(0, 0.15, act.size))
    msum = np.bincount(a_grp, weights=mw, minlength=T)
    secs = np.floor(mw / msum[a_grp] * t_secs[a_grp]).astype(np.int64)
    secs = np.maximum(secs, 30)
    cap = (t_secs // 5 - 150)[a_grp]  # nobody plays more than 45:30 of 48 (+5:00 per overtime)
    for _ in range(6):
        over = secs > cap
        if not over.any():
            break
        excess = np.bincount(a_grp, weights=np.where(over, secs - cap, 0), minlength=T)
        secs = np.where(over, cap, secs)
        room = np.where(over, 0, cap - secs).astype(float)
        room_sum = np.bincount(a_grp, weights=room, minlength=T)
        secs = secs + np.floor(excess[a_grp] * room / np.where(room_sum > 0, room_sum, 1)[a_grp]).astype(np.int64)
    resid = t_secs - np.bincount(a_grp, weights=secs, minlength=T).astype(np.int64)
    secs[last] += resid  # a few seconds to the deepest bench player
    mins = secs / 60.0
    a_skill = r_skill[act]
    usage = np.exp(0.45 * np.clip(a_skill, -2.5, 1.9)) * mins
    eff = A["eff"][a_pid]
    p_tpa, u3, g3 = _alloc(rng, a_grp, usage * A["three"][a_pid], tpa, first, last)
    p_tpm = _select_makes(rng, u3, g3, tpa, tpm, eff)
    p_fg2a, u2, g2 = _alloc(rng, a_grp, usage * (1 - A["three"][a_pid]), fg2a, first, last)
    p_fg2m = _select_makes(rng, u2, g2, fg2a, fg2m, eff)
    p_fta, uf, gf = _alloc(rng, a_grp, usage * A["ft"][a_pid], fta, first, last)
    p_ftm = _select_makes(rng, uf, gf, fta, ftm, np.ones(act.size))
    p_oreb = _alloc(rng, a_grp, mins * A["oreb"][a_pid], oreb, first, last)[0]
    p_dreb = _alloc(rng, a_grp, mins * A["reb"][a_pid], dreb, first, last)[0]
    p_fgm = p_fg2m + p_tpm
    p_assisted = rng.binomial(p_fgm, A["assisted"][a_pid])
    ast = np.bincount(a_grp, weights=p_assisted, minlength=T).astype(np.int64)
    p_ast = _alloc(rng, a_grp, mins * A["ast"][a_pid] * np.exp(0.3 * a_skill), ast, first, last)[0]
    p_stl = _alloc(rng, a_grp, mins * A["stl"][a_pid], stl, first, last)[0]
    p_blk = _alloc(rng, a_grp, mins * A["blk"][a_pid], blk, first, last)[0]
    p_tov = _alloc(rng, a_grp, usage * A["tov"][a_pid], tov, first, last)[0]
    p_pf = _alloc(rng, a_grp, mins * A["pf"][a_pid], pf, first, last)[0]
    p_pts = 2 * p_fgm + p_tpm + p_ftm
    margin = pts - opp_pts
    noise = rng.normal(0, 5.0, act.size)
    noise -= (np.bincount(a_grp, weights=noise, minlength=T) / n_act)[a_grp]
    p_pm = np.rint(5 * margin[a_grp] * secs / t_secs[a_grp] + noise).astype(np.int64)
    p_pm[first] += 5 * margin - np.bincount(a_grp, weights=p_pm, minlength=T).astype(np.int64)
    # shot zones
    paint_att = rng.binomial(p_fg2a, A["paint"][a_pid])
    mid_att = p_fg2a - paint_att
    lo = np.maximum(0, p_fg2m - mid_att)
    hi = np.minimum(p_fg2m, paint_att)
    den = paint_att * 0.62 + mid_att * 0.42
    expct = np.where(den > 0, p_fg2m * paint_att * 0.62 / np.where(den > 0, den, 1), 0)
    paint_makes = np.clip(np.rint(expct + rng.normal(0, 0.5, act.size)), lo, hi).astype(np.int64)
    mid_makes = p_fg2m - paint_makes

    # ---------------------------------------------------------------- gamebook table
    n_rows = r_tg.size
    inactive_mask = r_status != 0

    def full(vals):
        out = np.zeros(n_rows, dtype=np.int64)
        out[act] = vals
        return _i64(out, mask=inactive_mask)

    team_idx = np.where(r_home, g_home[r_game], g_away[r_game])
    null_team = (r_status == 1) & (rng.random(n_rows) < 0.03)
    mm = np.zeros(n_rows, dtype=np.int64)
    ss = np.zeros(n_rows, dtype=np.int64)
    mm[act], ss[act] = secs // 60, secs % 60
    minutes = pc.binary_join_element_wise(
        pc.cast(pa.array(mm), pa.string()), pc.utf8_lpad(pc.cast(pa.array(ss), pa.string()), 2, "0"), ":")
    minutes = pc.if_else(pa.array(inactive_mask), pa.nulls(n_rows, pa.string()), minutes)
    row_proc = morning_after[r_game] + rng.integers(0, 20, n_rows) * 1_000_000
    gamebook = pa.table({
        "game_id": _strs(g_sys, r_game),
        "nba_game_id": _strs(G_id, r_game),
        "game_date": _dates(g_date[r_game]),
        "season_year": _i64(g_season[r_game]),
        "team_abbr": _strs(all_codes, team_idx, mask=null_team),
        "home_team_abbr": _strs(all_codes, g_home[r_game]),
        "away_team_abbr": _strs(all_codes, g_away[r_game]),
        "player_lookup": _strs(names.lookups, r_pid),
        "player_name": _strs(names.names, r_pid),
        "player_status": _strs(["active", "dnp", "inactive"], r_status),
        "dnp_reason": _strs(_REASONS, np.maximum(r_reason, 0), mask=r_status == 0),
        "minutes": minutes,
        "points": full(p_pts),
        "field_goals_made": full(p_fgm),
        "field_goals_attempted": full(p_fg2a + p_tpa),
        "three_pointers_made": full(p_tpm),
        "three_pointers_attempted": full(p_tpa),
        "free_throws_made": full(p_ftm),
        "free_throws_attempted": full(p_fta),
        "offensive_rebounds": full(p_oreb),
        "defensive_rebounds": full(p_dreb),
        "total_rebounds": full(p_oreb + p_dreb),
        "assists": full(p_ast),
        "steals": full(p_stl),
        "blocks": full(p_blk),
        "turnovers": full(p_tov),
        "personal_fouls": full(p_pf),
        "plus_minus": full(p_pm),
        "processed_at": _ts(row_proc),
    })

    # ---------------------------------------------------------------- team box score
    rev_game = rng.random(n_games) < 0.10
    t_team = np.where(t_home, g_home[t_game], g_away[t_game])
    ids = np.array(g_sys, dtype=object)
    ids_rev = np.array(g_sys_rev, dtype=object)
    t_ids = np.where(rev_game[t_game], ids_rev[t_game], ids[t_game])
    tmins = pc.binary_join_element_wise(pc.cast(pa.array(t_secs // 60), pa.string()), pa.scalar("00"), ":")
    team_box = pa.table({
        "game_id": pa.array(t_ids, type=pa.string()),
        "nba_game_id": _strs(G_id, t_game),
        "game_date": _dates(g_date[t_game]),
        "season_year": _i64(season_t),
        "team_abbr": _strs(all_codes, t_team),
        "is_home": pa.array(t_home),
        "minutes": tmins,
        "fg_made": _i64(fgm), "fg_attempted": _i64(fga),
        "three_pt_made": _i64(tpm), "three_pt_attempted": _i64(tpa),
        "ft_made": _i64(ftm), "ft_attempted": _i64(fta),
        "offensive_rebounds": _i64(oreb), "defensive_rebounds": _i64(dreb), "total_rebounds": _i64(oreb + dreb),
        "assists": _i64(ast), "steals": _i64(stl), "blocks": _i64(blk), "turnovers": _i64(tov),
        "personal_fouls": _i64(pf), "points": _i64(pts), "plus_minus": _i64(margin),
        "processed_at": _ts(morning_after[t_game] + 3 * _MIN_US),
    })

    # ---------------------------------------------------------------- shot zones
    a_game = r_game[act]
    a_team = team_idx[act]
    zones = pa.table({
        "game_id": _strs(g_sys, a_game),
        "game_date": _dates(g_date[a_game]),
        "player_lookup": _strs(names.lookups, a_pid),
        "team_abbr": _strs(all_codes, a_team),
        "paint_attempts": _i64(paint_att), "paint_makes": _i64(paint_makes),
        "mid_range_attempts": _i64(mid_att), "mid_range_makes": _i64(mid_makes),
        "three_attempts": _i64(p_tpa), "three_makes": _i64(p_tpm),
        "assisted_fg_makes": _i64(p_assisted), "unassisted_fg_makes": _i64(p_fgm - p_assisted),
        "processed_at": _ts(morning_after[a_game] + 40 * _MIN_US + rng.integers(0, 600, act.size) * 1_000_000),
    })

    # ---------------------------------------------------------------- player points props
    a_season = g_season[a_game]
    key = a_pid * 10_000 + a_season
    _, inv = np.unique(key, return_inverse=True)
    avg_secs = np.bincount(inv, weights=secs) / np.bincount(inv)
    avg_pts = np.bincount(inv, weights=p_pts) / np.bincount(inv)
    rot = (avg_secs[inv] >= 20 * 60) & (rng.random(act.size) < 0.8)
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
        "player_lookup": _strs(names.lookups, a_pid[prow]),
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

    return {
        "nbac_schedule": schedule,
        "nbac_gamebook_player_stats": gamebook,
        "nbac_team_boxscore": team_box,
        "player_shot_zones": zones,
        "odds_api_player_points_props": props,
        "odds_api_game_lines": game_lines,
    }
