"""The demo box scores: rosters and who plays, team lines, and their split among the players.

Box scores add up exactly: player sums equal team totals, minutes are 240:00 + 25:00 per
overtime, points = 2*FGM + 3PM + FTM, plus-minus sums to 5 x margin. `build_box_scores` returns
the gamebook, the team box score and the shot zones, and the player lines the props are drawn from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from phasegate.demo.columns import _dates, _i64, _strs, _ts
from phasegate.demo.league import _MIN_US
from phasegate.demo.schedule import Games

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



@dataclass
class BoxScores:
    gamebook: pa.Table
    team_box: pa.Table
    zones: pa.Table
    # the active players' lines (one per active player-game), for the props
    act_game: np.ndarray
    act_pid: np.ndarray
    act_secs: np.ndarray
    act_points: np.ndarray
    lookups: list[str]
    box_games: np.ndarray
    rng: np.random.Generator  # the stream continues into the lines


def build_box_scores(seed: int, games: Games, years: list[int], plans: dict[int, dict],
                     n_leagues: int) -> BoxScores:
    n_games, g_home, g_away, g_date = games.n_games, games.home, games.away, games.date
    g_season, g_hp, g_ap, g_ot = games.season, games.hp, games.ap, games.ot
    g_counting, morning_after = games.counting, games.morning_after
    G_id, g_sys, g_sys_rev, all_codes = games.ids, games.sys_ids, games.sys_ids_rev, games.all_codes
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

    return BoxScores(gamebook=gamebook, team_box=team_box, zones=zones, act_game=a_game, act_pid=a_pid,
                     act_secs=secs, act_points=p_pts, lookups=names.lookups, box_games=box_games, rng=rng)
