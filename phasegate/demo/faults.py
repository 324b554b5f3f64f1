"""Realistic faults, and benign changes, applied to a clean demo warehouse.

Each entry of `FAULTS` breaks one thing the way an incident of the real platform broke it
(`/work/shared/reference/platform-facts.md`, cited by section), on a realistic scope (one
team-date, one game, one date, a week of game dates, a few percent of rows, one feature of
the vector), and names the phase whose gate must catch it. Each entry of `BENIGN` is a change
that real, healthy data goes through and that the gate must let through (GO).

A change is a small plain function of a `Target`: set-based BigQuery Standard SQL sent through
`Warehouse.execute` (UPDATE / DELETE / INSERT ... SELECT on the raw, phase-3 or phase-4 tables),
and, where the incident was a raw-data fault that the pipeline then processed, a re-run of the
catalogued processors of the affected dates (`Target.rerun_downstream`). Targets (a date, a
game, a team, a week) are drawn from the warehouse itself with a seeded RNG, so a change is
deterministic for a (seed, window) and works on any warehouse that follows the catalog, not
only on the demo's generator. Python only moves the small lists of picked dates and games.

    from phasegate.demo.faults import FAULTS, apply_change
    apply_change(warehouse, catalog, FAULTS["togs_home_flag_flipped_both_rows"], start, end)

`bench/bench_faults.py` applies each change to a copy of a clean demo warehouse and runs the
gate of its phase(s): the catch rate and the false alarms.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from phasegate.errors import PhasegateError
from phasegate.model.catalog import Catalog, Table
from phasegate.warehouse import Warehouse

# Scopes, so the report can group faults by how much of the data they touch.
ONE_TEAM_DATE = "one team-date"
ONE_GAME = "one game"
FEW_GAMES = "a few games"
ONE_DATE = "one date"
A_WEEK = "a week (7 game dates)"
FEW_PERCENT = "3% of rows"
ONE_FEATURE = "one feature"
SEASON_START = "a season's bootstrap dates"
NO_CHANGE = "none"


class NotApplicable(PhasegateError):
    """The warehouse holds nothing this change can apply to (e.g. no overtime game in the window)."""


@dataclass(frozen=True)
class Change:
    name: str
    phases: tuple[str, ...]  # fault: the gate that must catch it; benign: the gates that must stay GO
    scope: str
    source: str  # the incident or rule of platform-facts.md it comes from
    summary: str
    tables: tuple[str, ...]  # catalog tables the change writes directly (re-runs come on top)
    apply: Callable[[Target], None] = field(repr=False)
    benign: bool = False
    # The checks the fault must trip, each "TABLE.CHECK" (a catalogued SQL check of checks/PHASE/sql
    # or a built-in one: game_sides, feature_bounds, max_null_rate, ...) or "TABLE:date_coverage" /
    # "TABLE:game_coverage", asserted by
    # tests/test_invariants.py. Empty: caught only by families judged elsewhere (audit, expectations).
    caught_by: tuple[str, ...] = ()


FAULTS: dict[str, Change] = {}
BENIGN: dict[str, Change] = {}


def _register(registry: dict[str, Change], benign: bool, phases: tuple[str, ...], scope: str, source: str,
              tables: tuple[str, ...], caught_by: tuple[str, ...] = ()):
    def decorate(fn: Callable[[Target], None]) -> Callable[[Target], None]:
        name = fn.__name__
        if name in FAULTS or name in BENIGN:
            raise ValueError(f"change {name} registered twice")
        summary = " ".join((fn.__doc__ or name).split())
        registry[name] = Change(name, phases, scope, source, summary, tables, fn, benign, caught_by)
        return fn
    return decorate


def fault(phase: str, scope: str, source: str, *tables: str, caught_by: tuple[str, ...] = ()):
    return _register(FAULTS, False, (phase,), scope, source, tables, caught_by)


def benign(phases: tuple[str, ...], scope: str, source: str, *tables: str):
    return _register(BENIGN, True, phases, scope, source, tables)


# -- the target: the warehouse, the window, and seeded picks ---------------------------------

@dataclass
class Target:
    warehouse: Warehouse
    catalog: Catalog
    start: dt.date
    end: dt.date
    rng: random.Random
    exceptions: list[dict[str, Any]] = field(default_factory=list)  # entries for exceptions.toml
    _counted: list[dt.date] | None = None
    _bootstrap: list[dt.date] | None = None

    # table references and shared SQL -----------------------------------------------------
    def ref(self, name: str) -> str:
        return self.catalog.table(name).ref

    def table(self, name: str) -> Table:
        return self.catalog.table(name)

    def window(self, name: str, alias: str = "") -> str:
        table = self.table(name)
        prefix = f"{alias}." if alias else ""
        return f"{prefix}{table.date_column} BETWEEN @start_date AND @end_date"

    def run(self, *statements: str, **params: Any) -> None:
        self.warehouse.execute(list(statements), {"start_date": self.start, "end_date": self.end, **params},
                               labels={"component": "fault"})

    def query(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        return self.warehouse.query(sql, {"start_date": self.start, "end_date": self.end, **params},
                                    labels={"component": "fault"})

    # the calendar ------------------------------------------------------------------------
    def _load_calendar(self) -> None:
        from phasegate.measure.calendar import load_calendar

        calendar = load_calendar(self.warehouse, self.catalog, self.start, self.end)
        self._counted = calendar.expected_dates
        self._bootstrap = calendar.bootstrap_dates

    @property
    def counted_dates(self) -> list[dt.date]:
        """Counted (final, non-bootstrap) game dates of the window, in order."""
        if self._counted is None:
            self._load_calendar()
        return list(self._counted or [])

    @property
    def bootstrap_dates(self) -> list[dt.date]:
        if self._bootstrap is None:
            self._load_calendar()
        return list(self._bootstrap or [])

    def date(self, among: Sequence[dt.date] | None = None) -> dt.date:
        dates = list(among if among is not None else self.counted_dates)
        if not dates:
            raise NotApplicable("no counted game date in the window")
        return self.rng.choice(dates)

    def week(self, around: dt.date | None = None) -> list[dt.date]:
        """7 consecutive counted game dates (containing `around` if given)."""
        dates = self.counted_dates
        if len(dates) < 7:
            raise NotApplicable("fewer than 7 counted game dates in the window")
        if around is None:
            first = self.rng.randrange(len(dates) - 6)
        else:
            i = dates.index(around)
            first = min(max(0, i - self.rng.randrange(7)), len(dates) - 7)
        return dates[first:first + 7]

    def last_dates(self, n: int) -> list[dt.date]:
        """The window's last n counted dates: changes that re-run every later date stay cheap there."""
        return self.counted_dates[-n:]

    def pick(self, sql: str, **params: Any) -> dict[str, Any]:
        """One row of a small query, chosen with the seeded RNG (the query must ORDER BY a key)."""
        rows = self.query(sql, **params)
        if not rows:
            raise NotApplicable(f"nothing to apply to: {' '.join(sql.split())[:120]}")
        return self.rng.choice(rows)

    def game(self, table: str = "team_offense_game_summary", where: str = "TRUE",
             among: Sequence[dt.date] | None = None) -> dict[str, Any]:
        """A (game_date, game_id) of a team-game table, on a counted date."""
        dates = list(among if among is not None else self.counted_dates)
        t = self.table(table)
        return self.pick(f"""
SELECT DISTINCT {t.date_column} AS game_date, {t.game_id_column} AS game_id FROM {t.ref}
WHERE {self.window(table)} AND {t.date_column} IN UNNEST(@dates) AND {where}
ORDER BY game_date, game_id""", dates=dates)

    def games(self, n: int, table: str = "team_offense_game_summary", where: str = "TRUE",
              among: Sequence[dt.date] | None = None) -> list[str]:
        dates = list(among if among is not None else self.counted_dates)
        t = self.table(table)
        rows = self.query(f"""
SELECT DISTINCT {t.game_id_column} AS game_id FROM {t.ref}
WHERE {self.window(table)} AND {t.date_column} IN UNNEST(@dates) AND {where} ORDER BY game_id""", dates=dates)
        if not rows:
            raise NotApplicable(f"no game of {table} where {where}")
        return sorted(self.rng.sample([r["game_id"] for r in rows], min(n, len(rows))))

    def team_date(self, table: str = "team_offense_game_summary") -> tuple[dt.date, str]:
        t = self.table(table)
        day = self.date()
        row = self.pick(f"SELECT DISTINCT {t.team_columns[0]} AS team FROM {t.ref} "
                        f"WHERE {t.date_column} = @d ORDER BY team", d=day)
        return day, row["team"]

    def every_nth(self, table: str, keys: Sequence[str], where: str = "TRUE", percent: float = 3.0) -> str:
        """A predicate selecting ~percent% of the table's window rows: every n-th row in key order.

        Portable (no engine-specific hash) and exact; the offset is seeded.
        """
        every = max(2, round(100 / percent))
        offset = self.rng.randrange(every)
        t = self.table(table)
        key = _key_expr(keys)
        return (f"{key} IN (SELECT k FROM (SELECT {key} AS k, ROW_NUMBER() OVER (ORDER BY {', '.join(keys)}) AS rn "
                f"FROM {t.ref} WHERE {self.window(table)} AND {where}) AS s WHERE MOD(rn, {every}) = {offset})")

    # re-running processors ---------------------------------------------------------------
    def rerun(self, tables: Sequence[str], start: dt.date, end: dt.date) -> None:
        """Re-run the catalogued processors of `tables` for start..end, upstream first."""
        from phasegate.runner.processors import run_processor

        start, end = max(start, self.start), min(end, self.end)
        for name in self.catalog.topological_order(list(tables)):
            run_processor(self.warehouse, self.catalog, name, start, end, labels={"component": "fault"})

    def rerun_downstream(self, raw_table: str, start: dt.date, end: dt.date, phase: str = "phase3") -> None:
        """What the pipeline does after a raw table changed: re-run `phase`'s tables that read it."""
        names = [n for n in self.catalog.downstream_of(raw_table) if self.table(n).phase == phase]
        self.rerun(names, start, end)

    def approve_exception(self, table: str, dates: Sequence[dt.date], reason: str) -> None:
        self.exceptions.append({"table": table, "dates": [d.isoformat() for d in dates], "reason": reason,
                                "approved_by": "Data Platform On-Call",
                                "expires": (dt.date.today() + dt.timedelta(days=365)).isoformat()})


def _key_expr(keys: Sequence[str]) -> str:
    return "CONCAT(" + ", '|', ".join(f"CAST({k} AS STRING)" for k in keys) + ")"


def _swap_home_away(game_id: str) -> str:
    """YYYYMMDD_AWAY_HOME -> YYYYMMDD_HOME_AWAY (BigQuery SQL over a game_id expression)."""
    return (f"CONCAT(SUBSTR({game_id}, 1, 9), SPLIT({game_id}, '_')[SAFE_OFFSET(2)], '_', "
            f"SPLIT({game_id}, '_')[SAFE_OFFSET(1)])")


def _features(target: Target, replace: dict[int, str], alias: str = "") -> str:
    """An ARRAY literal of the feature vector with some elements replaced by SQL expressions."""
    n = len(target.table("ml_feature_store_v2").features)
    prefix = f"{alias}." if alias else ""
    return "[" + ", ".join(replace.get(i, f"{prefix}features[OFFSET({i})]") for i in range(n)) + "]"


def _feature_index(target: Target, name: str) -> int:
    features = target.table("ml_feature_store_v2").features
    if name not in features:
        raise NotApplicable(f"feature {name} is not in the catalog's vector")
    return features.index(name)


def apply_change(warehouse: Warehouse, catalog: Catalog, change: Change, start: dt.date, end: dt.date, *,
                 seed: int = 7) -> Target:
    """Apply one change; the returned Target carries the exceptions it approved (if any)."""
    target = Target(warehouse, catalog, start, end, random.Random(f"{seed}:{change.name}"))
    change.apply(target)
    return target


def exceptions_toml(entries: Sequence[dict[str, Any]]) -> str:
    lines = []
    for entry in entries:
        lines += ["[[exceptions]]", f'table = "{entry["table"]}"',
                  "dates = [" + ", ".join(f'"{d}"' for d in entry["dates"]) + "]",
                  f'reason = "{entry["reason"]}"', f'approved_by = "{entry["approved_by"]}"',
                  f"expires = {entry['expires']}", ""]
    return "\n".join(lines)


P8 = "platform-facts §8"
TOGS, TDGS, PGS = "team_offense_game_summary", "team_defense_game_summary", "player_game_summary"
UPGC, UTGC = "upcoming_player_game_context", "upcoming_team_game_context"
TDZA, PSZA, PCF = "team_defense_zone_analysis", "player_shot_zone_analysis", "player_composite_factors"
PDC, MLFS = "player_daily_cache", "ml_feature_store_v2"
BOX, GAMEBOOK = "nbac_team_boxscore", "nbac_gamebook_player_stats"
PLAYER_KEY = ("game_date", "player_lookup")

# =========================================================================================
# Phase 3: team_offense_game_summary
# =========================================================================================


@fault("phase3", ONE_DATE, "platform-facts §0 (game_id AWAY/HOME reversal), §8", TOGS,
       caught_by=("team_defense_game_summary.points_allowed_mirror", "team_offense_game_summary.game_id_format",
                  "team_offense_game_summary.game_sides"))
def togs_game_id_home_away(t: Target) -> None:
    """team_offense game_id written HOME_AWAY (the source id passed through) on one date."""
    t.run(f"UPDATE {t.ref(TOGS)} SET game_id = {_swap_home_away('game_id')} WHERE game_date = @d", d=t.date())


@fault("phase3", A_WEEK, f"{P8} reversal recurrence (26 rows for 7 games, 2026-01-15..21)", TOGS,
       caught_by=("team_defense_game_summary.points_allowed_mirror", "team_offense_game_summary.game_id_format",
                  "team_offense_game_summary.game_sides", "team_offense_game_summary.key_unique",
                  "team_offense_game_summary.one_game_id_per_team_date", "team_offense_game_summary.opponent_mirror"))
def togs_reversed_duplicate_rows(t: Target) -> None:
    """The fallback path wrote a second row, with the HOME_AWAY id, for 7 games of a week."""
    games = t.games(7, among=t.week())
    t.run(f"INSERT INTO {t.ref(TOGS)} SELECT * REPLACE ({_swap_home_away('game_id')} AS game_id) "
          f"FROM {t.ref(TOGS)} WHERE {t.window(TOGS)} AND game_id IN UNNEST(@games)", games=games)


@fault("phase3", FEW_GAMES, "platform-facts §3 (pace = possessions x 48 / game minutes, OT-adjusted)", TOGS,
       caught_by=("team_offense_game_summary.box_formulas",))
def togs_pace_not_ot_adjusted(t: Target) -> None:
    """pace not adjusted for overtime (48/48, as the defense processor does) in 4 overtime games."""
    games = t.games(4, where="overtime_periods > 0")
    t.run(f"UPDATE {t.ref(TOGS)} SET pace = CAST(possessions AS FLOAT64) "
          f"WHERE {t.window(TOGS)} AND game_id IN UNNEST(@games)", games=games)


@fault("phase3", ONE_DATE, "platform-facts §3 (pace divides by team minutes / 5)", TOGS,
       caught_by=("team_offense_game_summary.box_formulas",))
def togs_pace_over_player_minutes(t: Target) -> None:
    """pace divided by the 240 player-minutes instead of the 48 game minutes on one date."""
    t.run(f"UPDATE {t.ref(TOGS)} SET pace = ROUND(pace / 5, 1) WHERE game_date = @d", d=t.date())


@fault("phase3", A_WEEK, "platform-facts §3 (possessions = FGA + 0.44 FTA + TOV - OREB), §10", TOGS,
       caught_by=("team_offense_game_summary.box_formulas",))
def togs_possessions_without_oreb(t: Target) -> None:
    """possessions computed without - OREB for a week; pace and offensive_rating follow the wrong count."""
    poss = "CAST(TRUNC(ROUND(fg_attempts + 0.44 * ft_attempts + turnovers, 1)) AS INT64)"
    t.run(f"UPDATE {t.ref(TOGS)} SET possessions = {poss}, "
          f"pace = ROUND(SAFE_DIVIDE(pace * {poss}, possessions), 1), "
          f"offensive_rating = ROUND(SAFE_DIVIDE(points_scored, {poss}) * 100, 2) "
          f"WHERE game_date IN UNNEST(@dates)", dates=t.week())


@fault("phase3", ONE_TEAM_DATE, "platform-facts §10 (each row's opponent is the other row's team)", TOGS,
       caught_by=("team_defense_game_summary.points_allowed_mirror", "team_offense_game_summary.game_sides",
                  "team_offense_game_summary.opponent_mirror"))
def togs_opponent_equals_team(t: Target) -> None:
    """opponent_team_abbr equal to team_abbr for one team on one date (self-join on the wrong side)."""
    day, team = t.team_date()
    t.run(f"UPDATE {t.ref(TOGS)} SET opponent_team_abbr = team_abbr WHERE game_date = @d AND team_abbr = @team",
          d=day, team=team)


@fault("phase3", ONE_GAME, "platform-facts §0 (home parsed from a reversed id), §10 (3rd token is home)", TOGS,
       caught_by=("team_defense_game_summary.offense_mirror", "team_offense_game_summary.game_sides"))
def togs_home_flag_flipped_both_rows(t: Target) -> None:
    """home_game flipped on both rows of one game (still one home, one away)."""
    g = t.game()
    t.run(f"UPDATE {t.ref(TOGS)} SET home_game = NOT home_game WHERE game_date = @d AND game_id = @g",
          d=g["game_date"], g=g["game_id"])


@fault("phase3", ONE_DATE, "platform-facts §9 (win/loss consistency tests)", TOGS,
       caught_by=("team_defense_game_summary.offense_mirror", "team_offense_game_summary.box_formulas"))
def togs_win_flag_inverted(t: Target) -> None:
    """win_flag inverted on both rows of every game of one date (still one winner per game)."""
    t.run(f"UPDATE {t.ref(TOGS)} SET win_flag = NOT win_flag WHERE game_date = @d", d=t.date())


@fault("phase3", ONE_GAME, "platform-facts §9 (margin tests)", TOGS,
       caught_by=("team_defense_game_summary.offense_mirror", "team_offense_game_summary.box_formulas",
                  "team_offense_game_summary.opponent_mirror"))
def togs_margin_sign_flipped(t: Target) -> None:
    """margin_of_victory negated on both rows of one game."""
    g = t.game()
    t.run(f"UPDATE {t.ref(TOGS)} SET margin_of_victory = -margin_of_victory WHERE game_date = @d AND game_id = @g",
          d=g["game_date"], g=g["game_id"])


@fault("phase3", ONE_DATE, f"{P8} processor SQL extracted shooting fields as NULL", TOGS,
       caught_by=("player_game_summary.team_totals", "team_defense_game_summary.offense_mirror",
                  "team_offense_game_summary.box_formulas"))
def togs_free_throws_null(t: Target) -> None:
    """ft_attempts and ft_makes extracted as NULL for every team of one date."""
    t.run(f"UPDATE {t.ref(TOGS)} SET ft_attempts = NULL, ft_makes = NULL WHERE game_date = @d", d=t.date())


@fault("phase3", ONE_DATE, f"{P8} partial Phase 3 dates (TOGS 88 rows for 11 games, 4x)", TOGS,
       caught_by=("team_offense_game_summary.key_unique", "team_offense_game_summary.rows_per_game"))
def togs_rows_written_four_times(t: Target) -> None:
    """Every row of one date written 4 times (DELETE blocked, INSERT repeated)."""
    stmt = f"INSERT INTO {t.ref(TOGS)} SELECT * FROM {t.ref(TOGS)} WHERE game_date = @d AND {t.window(TOGS)}"
    day = t.date()
    t.run(stmt, d=day)
    t.run(stmt, d=day)  # 2 -> 4


@fault("phase3", ONE_GAME, f"{P8} partial team stats from live or early scrapes (10 FGA)", BOX,
       caught_by=("player_game_summary.team_totals",))
def raw_partial_team_box_score(t: Target) -> None:
    """A live-scrape team box score (a quarter's numbers) became the latest row of one team; phase 3 re-ran."""
    day, team = t.team_date(BOX)
    t.run(f"""UPDATE {t.ref(BOX)} SET fg_attempted = 10, fg_made = 4, three_pt_attempted = 3, three_pt_made = 1,
  ft_attempted = 2, ft_made = 2, offensive_rebounds = 1, defensive_rebounds = 4, total_rebounds = 5, assists = 2,
  steals = 1, blocks = 0, turnovers = 2, personal_fouls = 3, points = 11, processed_at = CURRENT_TIMESTAMP()
WHERE game_date = @d AND team_abbr = @team""", d=day, team=team)
    t.rerun_downstream(BOX, day, day)


@fault("phase3", ONE_GAME, "platform-facts §1 (live placeholders 0 points / 0 FGA), §2.2 guard", BOX,
       caught_by=("player_game_summary.team_totals",))
def raw_live_placeholder_zero_row(t: Target) -> None:
    """A 0-point / 0-FGA live placeholder became the latest team box score of one team; phase 3 re-ran."""
    day, team = t.team_date(BOX)
    t.run(f"""UPDATE {t.ref(BOX)} SET fg_attempted = 0, fg_made = 0, three_pt_attempted = 0, three_pt_made = 0,
  ft_attempted = 0, ft_made = 0, offensive_rebounds = 0, defensive_rebounds = 0, total_rebounds = 0, assists = 0,
  steals = 0, blocks = 0, turnovers = 0, personal_fouls = 0, points = 0, processed_at = CURRENT_TIMESTAMP()
WHERE game_date = @d AND team_abbr = @team""", d=day, team=team)
    t.rerun_downstream(BOX, day, day)


@fault("phase3", ONE_GAME, f"{P8} GSW@MIN missing boxscore (max decode retries)", BOX,
       caught_by=("player_game_summary.team_totals",))
def raw_team_box_missing_game(t: Target) -> None:
    """The team box score of one game never arrived; phase 3 re-ran for its date."""
    g = t.game()
    t.run(f"DELETE FROM {t.ref(BOX)} WHERE game_date = @d AND team_abbr IN "
          f"(SELECT team_abbr FROM {t.ref(TOGS)} WHERE game_date = @d AND game_id = @g)",
          d=g["game_date"], g=g["game_id"])
    t.rerun_downstream(BOX, g["game_date"], g["game_date"])


@fault("phase3", A_WEEK, f"{P8} team-boxscore scraper failed silently (26 days)", BOX,
       caught_by=("player_game_summary.team_totals", "player_game_summary.usage_rate_coverage"))
def raw_team_box_missing_week(t: Target) -> None:
    """The team box score scraper returned nothing for a week; phase 3 re-ran (team tables empty there)."""
    week = t.week()
    t.run(f"DELETE FROM {t.ref(BOX)} WHERE game_date IN UNNEST(@dates)", dates=week)
    t.rerun_downstream(BOX, week[0], week[-1])


@fault("phase3", A_WEEK, "platform-facts §3 (game minutes parsed from the minutes string, default 240)", BOX,
       caught_by=("player_game_summary.team_minutes",))
def raw_team_minutes_unparsed(t: Target) -> None:
    """The team minutes string came empty for a week with an overtime game: OT games got 240 minutes, 0 OT."""
    g = t.game(where="overtime_periods > 0")
    week = t.week(around=g["game_date"])
    t.run(f"UPDATE {t.ref(BOX)} SET minutes = NULL, processed_at = CURRENT_TIMESTAMP() "
          f"WHERE game_date IN UNNEST(@dates)", dates=week)
    t.rerun_downstream(BOX, week[0], week[-1])


# =========================================================================================
# Phase 3: team_defense_game_summary
# =========================================================================================


@fault("phase3", ONE_DATE, "platform-facts §2.3 (turnovers_forced = the opponent's turnovers)", TDGS,
       caught_by=("team_defense_game_summary.offense_mirror",))
def tdgs_turnovers_forced_from_wrong_team(t: Target) -> None:
    """turnovers_forced copied from the defending team's own turnovers on one date."""
    t.run(f"""UPDATE {t.ref(TDGS)} AS d SET turnovers_forced = o.turnovers
FROM {t.ref(TOGS)} AS o
WHERE o.game_date = d.game_date AND o.team_abbr = d.defending_team_abbr AND d.game_date = @d""", d=t.date())


@fault("phase3", ONE_TEAM_DATE, "platform-facts §10 (points_allowed = opponent's points_scored)", TDGS,
       caught_by=("team_defense_game_summary.offense_mirror", "team_defense_game_summary.points_allowed_mirror"))
def tdgs_points_allowed_own_points(t: Target) -> None:
    """points_allowed = the defender's own points (self-join on the same side) for one team-date."""
    day, team = t.team_date(TDGS)
    t.run(f"""UPDATE {t.ref(TDGS)} AS d SET points_allowed = o.points_scored
FROM {t.ref(TOGS)} AS o
WHERE o.game_date = d.game_date AND o.team_abbr = d.defending_team_abbr AND d.game_date = @d
  AND d.defending_team_abbr = @team""", d=day, team=team)


@fault("phase3", A_WEEK, "platform-facts §3 (defensive_rating over the opponent's possessions)", TDGS,
       caught_by=("team_defense_game_summary.offense_mirror",))
def tdgs_defensive_rating_own_possessions(t: Target) -> None:
    """defensive_rating divided by the defender's own possessions for a week (plausible values)."""
    t.run(f"""UPDATE {t.ref(TDGS)} AS d SET defensive_rating = ROUND(SAFE_DIVIDE(d.points_allowed, o.possessions) * 100, 2)
FROM {t.ref(TOGS)} AS o
WHERE o.game_date = d.game_date AND o.team_abbr = d.defending_team_abbr AND d.game_date IN UNNEST(@dates)""",
          dates=t.week())


@fault("phase3", ONE_DATE, "platform-facts §2.3 (the defense row is the opponent's offense row)", TDGS,
       caught_by=("team_defense_game_summary.offense_mirror",))
def tdgs_opponent_shooting_from_defender(t: Target) -> None:
    """opp_fg_* and opp_three_pt_* taken from the defender's own shooting on one date."""
    t.run(f"""UPDATE {t.ref(TDGS)} AS d SET opp_fg_attempts = o.fg_attempts, opp_fg_makes = o.fg_makes,
  opp_three_pt_attempts = o.three_pt_attempts, opp_three_pt_makes = o.three_pt_makes
FROM {t.ref(TOGS)} AS o
WHERE o.game_date = d.game_date AND o.team_abbr = d.defending_team_abbr AND d.game_date = @d""", d=t.date())


@fault("phase3", A_WEEK, f"{P8} Phase 3 declared complete without checking all 5 tables (TDGS 72 dates)", TDGS,
       caught_by=("team_defense_game_summary:date_coverage",))
def tdgs_missing_week(t: Target) -> None:
    """team_defense_game_summary missing 7 consecutive game dates (its backfill died)."""
    t.run(f"DELETE FROM {t.ref(TDGS)} WHERE game_date IN UNNEST(@dates)", dates=t.week())


@fault("phase3", ONE_GAME, "platform-facts §10 (TDGS and TOGS share game_id)", TDGS,
       caught_by=("team_defense_game_summary.game_id_format", "team_defense_game_summary.game_sides",
                  "team_defense_game_summary.points_allowed_mirror"))
def tdgs_game_id_home_away(t: Target) -> None:
    """team_defense game_id left in the source HOME_AWAY order for one game."""
    g = t.game(TDGS)
    t.run(f"UPDATE {t.ref(TDGS)} SET game_id = {_swap_home_away('game_id')} WHERE game_date = @d AND game_id = @g",
          d=g["game_date"], g=g["game_id"])


# =========================================================================================
# Phase 3: player_game_summary
# =========================================================================================

_BOX_STATS = ("minutes_played", "points", "fg_attempts", "fg_makes", "three_pt_attempts", "three_pt_makes",
              "ft_attempts", "ft_makes", "offensive_rebounds", "defensive_rebounds", "assists", "steals", "blocks",
              "turnovers", "personal_fouls", "plus_minus", "usage_rate", "ts_pct", "efg_pct")


@fault("phase3", ONE_DATE, f"{P8} minutes coercion (pd.to_numeric('45:58') -> NaN)", PGS,
       caught_by=("player_game_summary.team_minutes",))
def pgs_minutes_parsed_as_zero(t: Target) -> None:
    """minutes_played parsed as 0 for every active player of one date (usage_rate then NULL, as the processor does)."""
    t.run(f"UPDATE {t.ref(PGS)} SET minutes_played = 0, usage_rate = NULL, usage_rate_raw = NULL, "
          f"starter_flag = FALSE WHERE game_date = @d AND is_active", d=t.date())


@fault("phase3", A_WEEK, f"{P8} minutes_played 99.5% NULL", PGS,
       caught_by=("player_game_summary.team_minutes",))
def pgs_minutes_null_week(t: Target) -> None:
    """minutes_played (and so usage_rate) NULL for every active player for a week."""
    t.run(f"UPDATE {t.ref(PGS)} SET minutes_played = NULL, usage_rate = NULL, usage_rate_raw = NULL "
          f"WHERE game_date IN UNNEST(@dates) AND is_active", dates=t.week())


@fault("phase3", A_WEEK, "platform-facts §0 (reversed game_id join matched ~50%: usage_rate 47-53% NULL)", PGS,
       caught_by=("player_game_summary.derived_present", "player_game_summary.usage_rate_coverage"))
def pgs_usage_rate_half_null_week(t: Target) -> None:
    """usage_rate NULL for the away team's players for a week (the join matched one id order only)."""
    t.run(f"UPDATE {t.ref(PGS)} SET usage_rate = NULL, usage_rate_raw = NULL, has_team_stats = FALSE "
          f"WHERE game_date IN UNNEST(@dates) AND team_abbr = SPLIT(game_id, '_')[SAFE_OFFSET(1)]", dates=t.week())


@fault("phase3", ONE_DATE, f"{P8} processing order race (PGS ran before TOGS: 71% NULL usage)", PGS,
       caught_by=("player_game_summary.derived_present",))
def pgs_usage_rate_null_one_date(t: Target) -> None:
    """usage_rate NULL for every player of one date (team stats were not there yet)."""
    t.run(f"UPDATE {t.ref(PGS)} SET usage_rate = NULL, usage_rate_raw = NULL, has_team_stats = FALSE "
          f"WHERE game_date = @d", d=t.date())


@fault("phase3", ONE_TEAM_DATE, f"{P8} partial team stats (usage_rate > 50 / > 100)", PGS,
       caught_by=("player_game_summary.derived_present", "player_game_summary.usage_rate_recompute"))
def pgs_usage_rate_from_partial_team(t: Target) -> None:
    """usage_rate computed against a partial team row (10 FGA instead of 90) for one team-date."""
    day, team = t.team_date(PGS)
    t.run(f"UPDATE {t.ref(PGS)} SET usage_rate = IF(usage_rate * 9 <= 100, ROUND(usage_rate * 9, 2), NULL), "
          f"usage_rate_raw = ROUND(usage_rate_raw * 9, 2) WHERE game_date = @d AND team_abbr = @team", d=day, team=team)


@fault("phase3", ONE_GAME, f"{P8} R-009 roster-only gamebook (0 active)", PGS,
       caught_by=("player_game_summary.active_players",))
def pgs_roster_only_game(t: Target) -> None:
    """Every player of one game written inactive with no box stats (a roster-only gamebook)."""
    g = t.game(PGS)
    nulls = ", ".join(f"{c} = NULL" for c in _BOX_STATS)
    t.run(f"UPDATE {t.ref(PGS)} SET is_active = FALSE, is_dnp = TRUE, player_status = 'inactive', {nulls} "
          f"WHERE game_date = @d AND game_id = @g", d=g["game_date"], g=g["game_id"])


@fault("phase3", ONE_DATE, f"{P8} BDL game-level exclusion (119 players per day missing)", PGS,
       caught_by=("player_game_summary.active_players", "player_game_summary.team_minutes",
                  "player_game_summary.team_totals"))
def pgs_players_missing_30pct(t: Target) -> None:
    """30% of the active players of one date missing."""
    day = t.date()
    where = "is_active AND game_date = @d"
    t.run(f"DELETE FROM {t.ref(PGS)} WHERE {where} AND {t.every_nth(PGS, PLAYER_KEY, where, 33.4)}", d=day)


@fault("phase3", ONE_DATE, f"{P8} MERGE -> DELETE+INSERT duplicates (93 rows, identical data_hash)", PGS,
       caught_by=("player_game_summary.key_unique", "player_game_summary.team_minutes",
                  "player_game_summary.team_totals"))
def pgs_duplicate_rows(t: Target) -> None:
    """A third of one date's rows written twice (the MERGE fell back to DELETE+INSERT)."""
    day = t.date()
    where = "game_date = @d"
    t.run(f"INSERT INTO {t.ref(PGS)} SELECT * FROM {t.ref(PGS)} WHERE {where} "
          f"AND {t.every_nth(PGS, PLAYER_KEY, where, 33.4)}", d=day)


@fault("phase3", FEW_PERCENT, "platform-facts §10 (opponent is the other team of the game)", PGS,
       caught_by=("player_game_summary.game_sides",))
def pgs_opponent_equals_team(t: Target) -> None:
    """opponent_team_abbr equal to team_abbr on 3% of the player rows."""
    t.run(f"UPDATE {t.ref(PGS)} SET opponent_team_abbr = team_abbr "
          f"WHERE {t.every_nth(PGS, PLAYER_KEY, 'team_abbr IS NOT NULL')}")


@fault("phase3", ONE_GAME, "platform-facts §0 (home parsed from a reversed id)", PGS,
       caught_by=("player_game_summary.game_sides",))
def pgs_home_game_flipped(t: Target) -> None:
    """home_game flipped for every player of one game."""
    g = t.game(PGS)
    t.run(f"UPDATE {t.ref(PGS)} SET home_game = NOT home_game WHERE game_date = @d AND game_id = @g",
          d=g["game_date"], g=g["game_id"])


@fault("phase3", ONE_DATE, f"{P8} placeholder prop line 20.0", PGS,
       caught_by=("player_game_summary.prop_lines",))
def pgs_placeholder_points_line(t: Target) -> None:
    """Players without a line got the placeholder line 20.0 (and its over/under) on one date."""
    t.run(f"""UPDATE {t.ref(PGS)} SET points_line = 20.0, opening_line = 20.0, line_movement = 0.0,
  over_under_result = CASE WHEN points > 20 THEN 'OVER' WHEN points < 20 THEN 'UNDER' END, margin = points - 20.0
WHERE game_date = @d AND is_active AND points_line IS NULL""", d=t.date())


@fault("phase3", ONE_DATE, "platform-facts §6 (3PM > 3PA impossibility check)", PGS,
       caught_by=("player_game_summary.box_identities", "player_game_summary.team_totals"))
def pgs_three_point_columns_swapped(t: Target) -> None:
    """three_pt_attempts and three_pt_makes swapped (column order) on one date."""
    t.run(f"UPDATE {t.ref(PGS)} SET three_pt_attempts = three_pt_makes, three_pt_makes = three_pt_attempts "
          f"WHERE game_date = @d", d=t.date())


@fault("phase3", ONE_DATE, "platform-facts §3 (ts_pct = PTS / (2 (FGA + 0.44 FTA)), a fraction)", PGS,
       caught_by=("player_game_summary.box_identities",))
def pgs_ts_pct_in_percent(t: Target) -> None:
    """ts_pct written in percent instead of a fraction on one date."""
    t.run(f"UPDATE {t.ref(PGS)} SET ts_pct = ROUND(ts_pct * 100, 1) WHERE game_date = @d", d=t.date())


@fault("phase3", A_WEEK, f"{P8} team abbreviation variants (PHO/PHX)", PGS,
       caught_by=("player_game_summary.game_id_format", "player_game_summary.game_sides",
                  "player_game_summary.team_totals"))
def pgs_team_abbreviation_variant(t: Target) -> None:
    """One team's rows carry another source's tricode (the first letters + 'O') for a week."""
    day, team = t.team_date(PGS)
    week = t.week(around=day)
    t.run(f"UPDATE {t.ref(PGS)} SET team_abbr = CONCAT(SUBSTR(team_abbr, 1, 2), 'O') "
          f"WHERE game_date IN UNNEST(@dates) AND team_abbr = @team", dates=week, team=team)


@fault("phase3", ONE_DATE, "platform-facts §0 (official vs date-based ids)", PGS,
       caught_by=("player_game_summary.game_id_format",))
def pgs_official_game_id(t: Target) -> None:
    """game_id written as the official NBA id instead of YYYYMMDD_AWAY_HOME on one date."""
    t.run(f"UPDATE {t.ref(PGS)} SET game_id = nba_game_id WHERE game_date = @d AND nba_game_id IS NOT NULL",
          d=t.date())


@fault("phase3", A_WEEK, f"{P8} stale downstream after an upstream re-backfill", TOGS,
       caught_by=("player_game_summary.not_older_than_team_offense_game_summary",))
def pgs_stale_after_team_rerun(t: Target) -> None:
    """team_offense re-ran for a week (team stats repaired); player_game_summary was not re-run."""
    week = t.week()
    t.rerun([TOGS], week[0], week[-1])


@fault("phase3", A_WEEK, f"{P8} BigDataBall player_lookup format change (shot zones 0%)", PGS,
       caught_by=("player_game_summary.derived_present",))
def pgs_shot_zones_lost_week(t: Target) -> None:
    """Shot-zone columns NULL for every player for a week (the play-by-play join stopped matching)."""
    cols = ("paint_attempts", "paint_makes", "mid_range_attempts", "mid_range_makes", "three_attempts_pbp",
            "three_makes_pbp", "assisted_fg_makes", "unassisted_fg_makes")
    t.run(f"UPDATE {t.ref(PGS)} SET {', '.join(f'{c} = NULL' for c in cols)}, has_complete_shot_zones = FALSE "
          f"WHERE game_date IN UNNEST(@dates)", dates=t.week())


@fault("phase3", ONE_DATE, f"{P8} minutes coercion (a decimal minutes string)", GAMEBOOK,
       caught_by=("player_game_summary.team_minutes",))
def raw_gamebook_minutes_decimal(t: Target) -> None:
    """The gamebook's minutes came as decimals ('35.27') instead of MM:SS on one date; phase 3 re-ran."""
    day = t.date()
    t.run(f"""UPDATE {t.ref(GAMEBOOK)} SET minutes = CAST(ROUND(SAFE_CAST(SPLIT(minutes, ':')[SAFE_OFFSET(0)] AS INT64)
  + SAFE_CAST(SPLIT(minutes, ':')[SAFE_OFFSET(1)] AS INT64) / 60, 2) AS STRING), processed_at = CURRENT_TIMESTAMP()
WHERE game_date = @d AND minutes IS NOT NULL""", d=day)
    t.rerun_downstream(GAMEBOOK, day, day + dt.timedelta(days=30))


# =========================================================================================
# Phase 3: upcoming_player_game_context / upcoming_team_game_context
# =========================================================================================


@fault("phase3", A_WEEK, "platform-facts §3 (windows strictly before the date), §10", UPGC,
       caught_by=("upcoming_player_game_context.rolling_form",))
def upgc_minutes_window_includes_game(t: Target) -> None:
    """minutes_in_last_7/14_days include the game being predicted (<= instead of <) for a week."""
    t.run(f"""UPDATE {t.ref(UPGC)} AS u SET minutes_in_last_7_days = ROUND(u.minutes_in_last_7_days + p.minutes_played, 1),
  minutes_in_last_14_days = ROUND(u.minutes_in_last_14_days + p.minutes_played, 1)
FROM {t.ref(PGS)} AS p
WHERE p.game_date = u.game_date AND p.player_lookup = u.player_lookup AND p.minutes_played > 0
  AND u.game_date IN UNNEST(@dates)""", dates=t.week())


@fault("phase3", FEW_PERCENT, f"{P8} DNP rows contaminating rolling averages (Jokic L5 6.2 vs 34.2)", UPGC,
       caught_by=("upcoming_player_game_context.rolling_form",))
def upgc_points_avg_includes_dnp(t: Target) -> None:
    """points_avg_last_5 averaged over a 0-point DNP row too (4 played games + 1 DNP) on 3% of rows."""
    t.run(f"UPDATE {t.ref(UPGC)} SET points_avg_last_5 = ROUND(points_avg_last_5 * 4 / 5, 1) "
          f"WHERE {t.every_nth(UPGC, PLAYER_KEY, 'points_avg_last_5 > 0')}")


@fault("phase3", A_WEEK, "platform-facts §3 (Session 50: the old >= counted the boundary day)", UPGC,
       caught_by=("upcoming_player_game_context.rolling_form",))
def upgc_games_14_days_counts_boundary(t: Target) -> None:
    """games_in_last_14_days counts a game played exactly 14 days before (>= instead of >) for a week."""
    t.run(f"""UPDATE {t.ref(UPGC)} AS u SET games_in_last_14_days = u.games_in_last_14_days + 1
FROM {t.ref(PGS)} AS p
WHERE p.player_lookup = u.player_lookup AND p.game_date = DATE_SUB(u.game_date, INTERVAL 14 DAY)
  AND p.is_active AND p.minutes_played > 0 AND u.game_date IN UNNEST(@dates)""", dates=t.week())


@fault("phase3", A_WEEK, "platform-facts §3 (Session 49: back_to_back = days_rest == 1, was == 0)", UPGC,
       caught_by=("upcoming_player_game_context.rest_flags",))
def upgc_back_to_back_never_set(t: Target) -> None:
    """back_to_back FALSE on every row of a week (tested days_rest == 0)."""
    t.run(f"UPDATE {t.ref(UPGC)} SET back_to_back = FALSE WHERE game_date IN UNNEST(@dates) AND back_to_back",
          dates=t.week())


@fault("phase3", ONE_DATE, f"{P8} has_prop_line FALSE while line_source = ACTUAL_PROP", UPGC,
       caught_by=("upcoming_player_game_context.prop_line_flags",))
def upgc_has_prop_line_false(t: Target) -> None:
    """has_prop_line FALSE for players whose line is stored, on one date."""
    t.run(f"UPDATE {t.ref(UPGC)} SET has_prop_line = FALSE WHERE game_date = @d AND current_points_line IS NOT NULL",
          d=t.date())


@fault("phase3", ONE_DATE, f"{P8} placeholder prop line 20.0", UPGC,
       caught_by=("upcoming_player_game_context.prop_lines",))
def upgc_placeholder_points_line(t: Target) -> None:
    """Context players without a prop line got the placeholder line 20.0 on one date (no raw snapshot behind it)."""
    t.run(f"UPDATE {t.ref(UPGC)} SET current_points_line = 20.0, opening_points_line = 20.0 "
          f"WHERE game_date = @d AND current_points_line IS NULL", d=t.date())


@fault("phase3", A_WEEK, f"{P8} spread consensus median = 0 (the +x/-x rows cancel)", UPGC,
       caught_by=("upcoming_player_game_context.game_lines",))
def upgc_spread_median_zero(t: Target) -> None:
    """game_spread 0.0 for every player row of a week (median over both sides of the spread)."""
    t.run(f"UPDATE {t.ref(UPGC)} SET game_spread = 0.0, opening_spread = 0.0, spread_movement = 0.0 "
          f"WHERE game_date IN UNNEST(@dates)", dates=t.week())


@fault("phase3", ONE_DATE, f"{P8} stale/partial UPGC (1 of 187 players)", UPGC,
       caught_by=("upcoming_player_game_context.rows_per_game",))
def upgc_one_player_on_date(t: Target) -> None:
    """upcoming_player_game_context holds a single stale row on one date."""
    day = t.date()
    keep = t.pick(f"SELECT player_lookup FROM {t.ref(UPGC)} WHERE game_date = @d ORDER BY player_lookup", d=day)
    t.run(f"DELETE FROM {t.ref(UPGC)} WHERE game_date = @d AND player_lookup != @p", d=day, p=keep["player_lookup"])


@fault("phase3", A_WEEK, "platform-facts §3 (UTGC takes the spread row whose outcome_name is the team)", UTGC,
       caught_by=("upcoming_team_game_context.game_lines",))
def utgc_spread_wrong_side(t: Target) -> None:
    """game_spread taken from the other team's outcome row (sign flipped on both rows) for a week."""
    t.run(f"UPDATE {t.ref(UTGC)} SET game_spread = -game_spread, opening_spread = -opening_spread, "
          f"spread_movement = -spread_movement WHERE game_date IN UNNEST(@dates)", dates=t.week())


@fault("phase3", A_WEEK, "platform-facts §3, §10 (windows strictly before the date)", UTGC,
       caught_by=("upcoming_team_game_context.rolling_schedule",))
def utgc_streak_includes_game(t: Target) -> None:
    """The win/loss streak entering the game counts the game itself for a week."""
    t.run(f"""UPDATE {t.ref(UTGC)} AS u SET
  team_win_streak_entering = IF(o.win_flag, u.team_win_streak_entering + 1, 0),
  team_loss_streak_entering = IF(o.win_flag, 0, u.team_loss_streak_entering + 1)
FROM {t.ref(TOGS)} AS o
WHERE o.game_date = u.game_date AND o.team_abbr = u.team_abbr AND u.game_date IN UNNEST(@dates)""",
          dates=t.week())


@fault("phase3", ONE_GAME, "platform-facts §0 (home parsed from a reversed id)", UTGC,
       caught_by=("upcoming_team_game_context.game_sides",))
def utgc_home_flag_flipped(t: Target) -> None:
    """home_game flipped on both rows of one game."""
    g = t.game(UTGC)
    t.run(f"UPDATE {t.ref(UTGC)} SET home_game = NOT home_game WHERE game_date = @d AND game_id = @g",
          d=g["game_date"], g=g["game_id"])


@fault("phase3", A_WEEK, "platform-facts §3 (Session 49: back_to_back = days_rest == 1, was == 0)", UTGC,
       caught_by=("upcoming_team_game_context.rest_flags",))
def utgc_back_to_back_never_set(t: Target) -> None:
    """team_back_to_back FALSE on every team row of a week (tested team_days_rest == 0)."""
    t.run(f"UPDATE {t.ref(UTGC)} SET team_back_to_back = FALSE WHERE game_date IN UNNEST(@dates) AND team_back_to_back",
          dates=t.week())


@fault("phase3", ONE_TEAM_DATE, f"{P8} minutes coerced to NaN (the pace divides by them)", TOGS,
       caught_by=("team_offense_game_summary.max_null_rate",))
def togs_pace_infinite(t: Target) -> None:
    """One team-game's pace Inf (its minutes read as 0, so possessions / 0) instead of NULL or a number."""
    day, team = t.team_date()
    t.run(f"UPDATE {t.ref(TOGS)} SET pace = CAST('inf' AS FLOAT64) WHERE game_date = @d AND team_abbr = @team",
          d=day, team=team)


@fault("phase3", ONE_TEAM_DATE, "platform-facts §3 (rest from the same season's games only)", UTGC,
       caught_by=("upcoming_team_game_context.rolling_schedule",))
def utgc_rest_across_offseason(t: Target) -> None:
    """One team's season opener got the days since last season's final game as team_days_rest."""
    row = t.pick(f"SELECT game_date, team_abbr FROM {t.ref(UTGC)} WHERE {t.window(UTGC)} AND team_days_rest IS NULL "
                 f"ORDER BY game_date, team_abbr")
    t.run(f"UPDATE {t.ref(UTGC)} SET team_days_rest = 150, days_since_last_game = 150 "
          f"WHERE game_date = @d AND team_abbr = @team", d=row["game_date"], team=row["team_abbr"])


# =========================================================================================
# Phase 4: ml_feature_store_v2
# =========================================================================================


@fault("phase4", ONE_FEATURE, "platform-facts §8 (FEATURE_BOUNDS indices drifted from FEATURE_NAMES)", MLFS,
       caught_by=("ml_feature_store_v2.feature_sources",))
def mlfs_two_features_swapped(t: Target) -> None:
    """opponent_def_rating_last_15 and opponent_pace_last_15 swapped in the vector for a week (names unchanged)."""
    a, b = _feature_index(t, "opponent_def_rating_last_15"), _feature_index(t, "opponent_pace_last_15")
    swapped = _features(t, {a: f"features[OFFSET({b})]", b: f"features[OFFSET({a})]"})
    t.run(f"UPDATE {t.ref(MLFS)} SET features = {swapped} WHERE game_date IN UNNEST(@dates)", dates=t.week())


@fault("phase4", ONE_FEATURE, "platform-facts §6 (feature store: array length, no NaN/Inf)", MLFS,
       caught_by=("ml_feature_store_v2.feature_bounds", "ml_feature_store_v2.feature_sources"))
def mlfs_feature_nan(t: Target) -> None:
    """points_std_last_10 NaN (std of a single game) in the vector of 3% of rows."""
    nan = _features(t, {_feature_index(t, "points_std_last_10"): "CAST('NaN' AS FLOAT64)"})
    t.run(f"UPDATE {t.ref(MLFS)} SET features = {nan} WHERE {t.every_nth(MLFS, PLAYER_KEY)}")


@fault("phase4", ONE_DATE, "platform-facts §8 (feature index drift), §4.5 (names by index)", MLFS,
       caught_by=("ml_feature_store_v2.feature_shape", "ml_feature_store_v2.feature_sources"))
def mlfs_feature_names_reordered(t: Target) -> None:
    """feature_names in a different order from the catalog (two names swapped) on one date."""
    names = list(t.table(MLFS).features)
    a, b = names.index("is_home"), names.index("days_rest")
    names[a], names[b] = names[b], names[a]
    literal = "[" + ", ".join(f"'{n}'" for n in names) + "]"
    t.run(f"UPDATE {t.ref(MLFS)} SET feature_names = {literal} WHERE game_date = @d", d=t.date())


@fault("phase4", A_WEEK, f"{P8} one-game shift / leakage (L5 with game_date <= prediction_date)", MLFS,
       caught_by=("ml_feature_store_v2.feature_sources", "ml_feature_store_v2.rolling_features"))
def mlfs_points_l5_includes_game(t: Target) -> None:
    """points_avg_last_5 includes the game being predicted for a week."""
    i = _feature_index(t, "points_avg_last_5")
    vec = _features(t, {i: f"ROUND((m.features[OFFSET({i})] * 4 + p.points) / 5, 1)"}, alias="m")
    t.run(f"""UPDATE {t.ref(MLFS)} AS m SET features = {vec}
FROM {t.ref(PGS)} AS p
WHERE p.game_date = m.game_date AND p.player_lookup = m.player_lookup AND p.points IS NOT NULL
  AND m.game_date IN UNNEST(@dates)""", dates=t.week())


@fault("phase4", SEASON_START, "platform-facts §5 (MLFS placeholder rows with NULL features on bootstrap days)",
       MLFS,
       caught_by=("ml_feature_store_v2.feature_null_rates", "ml_feature_store_v2.feature_shape",
                  "ml_feature_store_v2.player_coverage", "ml_feature_store_v2.rolling_features"))
def mlfs_bootstrap_placeholders(t: Target) -> None:
    """Placeholder rows (NULL features, early_season) written on a season's bootstrap dates."""
    dates = t.bootstrap_dates
    if not dates:
        raise NotApplicable("no bootstrap date in the window")
    first = [d for d in dates if d < min(dates) + dt.timedelta(days=40)]  # the first season's
    t.run(f"""INSERT INTO {t.ref(MLFS)} (player_lookup, team_abbr, opponent_team_abbr, game_id, game_date, is_home,
  days_rest, features, feature_names, feature_count, feature_version, processed_at)
SELECT player_lookup, team_abbr, opponent_team_abbr, game_id, game_date, home_game, NULL, NULL, NULL, 0,
  'early_season', CURRENT_TIMESTAMP()
FROM {t.ref(PGS)} WHERE game_date IN UNNEST(@dates) AND is_active AND minutes_played > 0""", dates=first)


@fault("phase4", ONE_DATE, "platform-facts §4.5 (backfill days_rest from LAG over PGS, default 3)", MLFS,
       caught_by=("ml_feature_store_v2.rolling_features",))
def mlfs_days_rest_default(t: Target) -> None:
    """days_rest (column and feature) = the default 3 for every row of one date."""
    i = _feature_index(t, "days_rest")
    t.run(f"UPDATE {t.ref(MLFS)} SET days_rest = 3, features = {_features(t, {i: '3.0'})} WHERE game_date = @d",
          d=t.date())


@fault("phase4", ONE_GAME, "platform-facts §0 (is_home parsed from SPLIT(game_id)[2] on a reversed id)", MLFS,
       caught_by=("ml_feature_store_v2.game_sides",))
def mlfs_is_home_from_reversed_id(t: Target) -> None:
    """is_home (column and feature) flipped for every player of one game."""
    i = _feature_index(t, "is_home")
    g = t.game(MLFS)
    t.run(f"UPDATE {t.ref(MLFS)} SET is_home = NOT is_home, features = {_features(t, {i: f'1.0 - features[OFFSET({i})]'})} "
          f"WHERE game_date = @d AND game_id = @g", d=g["game_date"], g=g["game_id"])


@fault("phase4", ONE_FEATURE, f"{P8} silent neutral defaults (features 0.0/defaults with no flag)", MLFS,
       caught_by=("ml_feature_store_v2.feature_sources",))
def mlfs_usage_feature_default(t: Target) -> None:
    """usage_rate_last_10 = the 25.0 default for every row of one date, default_feature_count unchanged."""
    i = _feature_index(t, "usage_rate_last_10")
    t.run(f"UPDATE {t.ref(MLFS)} SET features = {_features(t, {i: '25.0'})} WHERE game_date = @d", d=t.date())


@fault("phase4", A_WEEK, "issue 13 (phase-4 player table missing 30% of players on dates that look covered)", MLFS,
       caught_by=("ml_feature_store_v2.player_coverage",))
def mlfs_players_missing_30pct(t: Target) -> None:
    """30% of the players missing from ml_feature_store_v2 on 7 dates (every game still has rows)."""
    where = "game_date IN UNNEST(@dates)"
    t.run(f"DELETE FROM {t.ref(MLFS)} WHERE {where} AND {t.every_nth(MLFS, PLAYER_KEY, where, 33.4)}",
          dates=t.week())


@fault("phase4", ONE_DATE, f"{P8} timezone date shift (the 7 AM job processed yesterday in UTC)", MLFS,
       caught_by=("ml_feature_store_v2.feature_sources", "ml_feature_store_v2.rolling_features"))
def mlfs_rows_of_previous_date(t: Target) -> None:
    """One date's feature rows were computed with the previous game date's inputs (features of the day before)."""
    dates = t.counted_dates
    if len(dates) < 2:
        raise NotApplicable("fewer than 2 counted dates")
    i = t.rng.randrange(1, len(dates))
    t.run(f"""UPDATE {t.ref(MLFS)} AS m SET features = y.features, days_rest = y.days_rest
FROM {t.ref(MLFS)} AS y
WHERE y.player_lookup = m.player_lookup AND y.game_date = @yesterday AND m.game_date = @d""",
          d=dates[i], yesterday=dates[i - 1])


# =========================================================================================
# Phase 4: player_composite_factors, player_daily_cache, shot zones, team defense zones
# =========================================================================================


@fault("phase4", A_WEEK, f"{P8} fatigue_score = 0 while final_score = 100 (adjustment stored, 6 days)", PCF,
       caught_by=("ml_feature_store_v2.feature_sources", "player_composite_factors.factor_sums"))
def pcf_fatigue_adjustment_stored(t: Target) -> None:
    """fatigue_score holds the -5..0 adjustment instead of the 0..100 score for 6 dates."""
    t.run(f"UPDATE {t.ref(PCF)} SET fatigue_score = CAST(ROUND((fatigue_score - 100) / 20) AS INT64) "
          f"WHERE game_date IN UNNEST(@dates)", dates=t.week()[:6])


@fault("phase4", FEW_PERCENT, f"{P8} ProcessPoolExecutor backfill gave fatigue 0 where serial gave 100", PCF,
       caught_by=("ml_feature_store_v2.feature_sources", "player_composite_factors.factor_sums"))
def pcf_fatigue_zero_parallel(t: Target) -> None:
    """fatigue_score 0 on 3% of rows (a parallel worker lost its inputs)."""
    t.run(f"UPDATE {t.ref(PCF)} SET fatigue_score = 0 WHERE {t.every_nth(PCF, PLAYER_KEY)}")


@fault("phase4", A_WEEK, f"{P8} hard-coded date floor (pace_differential 0.0 before Oct 2024)", PCF,
       caught_by=("ml_feature_store_v2.feature_sources",))
def pcf_pace_score_zero_floor(t: Target) -> None:
    """pace_differential and pace_score 0.0 for a week (the team-context query returned nothing)."""
    t.run(f"UPDATE {t.ref(PCF)} SET total_composite_adjustment = total_composite_adjustment - pace_score, "
          f"pace_differential = 0.0, pace_score = 0.0 WHERE game_date IN UNNEST(@dates)", dates=t.week())


@fault("phase4", ONE_DATE, f"{P8} stale/partial UPGC blocks the fallback (1 of 187 players processed)", PCF,
       caught_by=("ml_feature_store_v2.feature_sources", "player_composite_factors.player_coverage"))
def pcf_one_player_on_date(t: Target) -> None:
    """player_composite_factors holds one player on one date."""
    day = t.date()
    keep = t.pick(f"SELECT player_lookup FROM {t.ref(PCF)} WHERE game_date = @d ORDER BY player_lookup", d=day)
    t.run(f"DELETE FROM {t.ref(PCF)} WHERE game_date = @d AND player_lookup != @p", d=day, p=keep["player_lookup"])


@fault("phase4", FEW_PERCENT, f"{P8} DNP rows contaminating rolling averages", PDC,
       caught_by=("ml_feature_store_v2.feature_sources", "player_daily_cache.rolling_aggregates"))
def pdc_l10_includes_dnp(t: Target) -> None:
    """points_avg_last_10 averaged over a 0-point DNP row too on 3% of rows."""
    t.run(f"UPDATE {t.ref(PDC)} SET points_avg_last_10 = ROUND(points_avg_last_10 * 9 / 10, 1) "
          f"WHERE {t.every_nth(PDC, ('cache_date', 'player_lookup'), 'points_avg_last_10 > 0')}")


@fault("phase4", A_WEEK, "platform-facts §4.4 (games strictly before cache_date), issue 13", PDC,
       caught_by=("ml_feature_store_v2.feature_sources", "player_daily_cache.rolling_aggregates"))
def pdc_usage_window_includes_game(t: Target) -> None:
    """usage_rate_last_10 includes the game of cache_date for a week (a column the leakage check does not recompute)."""
    t.run(f"""UPDATE {t.ref(PDC)} AS c SET usage_rate_last_10 = ROUND((c.usage_rate_last_10 * 9 + p.usage_rate) / 10, 2)
FROM {t.ref(PGS)} AS p
WHERE p.game_date = c.cache_date AND p.player_lookup = c.player_lookup AND p.usage_rate IS NOT NULL
  AND c.cache_date IN UNNEST(@dates)""", dates=t.week())


@fault("phase4", A_WEEK, f"{P8} stale rolling window (L10 drew on games 42 days old), §10 (> 21 days)", PDC,
       caught_by=("ml_feature_store_v2.feature_sources", "player_daily_cache.rolling_aggregates"))
def pdc_minutes_window_stale(t: Target) -> None:
    """minutes_avg_last_10 of a week copied from the same player's cache of 3+ weeks earlier (a window spanning > 21 days)."""
    dates = t.counted_dates
    late = [d for d in dates if d >= dates[0] + dt.timedelta(days=25)] if dates else []
    t.run(f"""UPDATE {t.ref(PDC)} AS c SET minutes_avg_last_10 = s.minutes_avg_last_10
FROM (
  SELECT n.player_lookup, n.cache_date, o.minutes_avg_last_10
  FROM {t.ref(PDC)} AS n
  JOIN {t.ref(PDC)} AS o ON o.player_lookup = n.player_lookup AND o.cache_date <= DATE_SUB(n.cache_date, INTERVAL 21 DAY)
  WHERE n.cache_date IN UNNEST(@dates)
  QUALIFY ROW_NUMBER() OVER (PARTITION BY n.player_lookup, n.cache_date ORDER BY o.cache_date DESC) = 1
) AS s
WHERE s.player_lookup = c.player_lookup AND s.cache_date = c.cache_date""", dates=t.week(around=t.date(late)))


@fault("phase4", A_WEEK, f"{P8} stale downstream after an upstream re-backfill", PGS,
       caught_by=("ml_feature_store_v2.not_older_than_player_game_summary",
                  "player_composite_factors.not_older_than_player_game_summary",
                  "player_daily_cache.not_older_than_player_game_summary",
                  "player_shot_zone_analysis.not_older_than_player_game_summary"))
def pdc_stale_after_player_rerun(t: Target) -> None:
    """player_game_summary re-ran for a week; phase 4 was not re-run."""
    week = t.week()
    t.rerun([PGS], week[0], week[-1])


@fault("phase4", FEW_PERCENT, f"{P8} shot-zone NaN sums (three_rate = 100%)", PSZA,
       caught_by=("ml_feature_store_v2.feature_sources", "player_shot_zone_analysis.rolling_zones"))
def psza_nan_zones_three_100(t: Target) -> None:
    """All-NaN zones summed to 0: paint 0, mid 0, three 100 on 3% of rows (the rates still add up to 100)."""
    t.run(f"UPDATE {t.ref(PSZA)} SET paint_rate_last_10 = 0, mid_range_rate_last_10 = 0, three_pt_rate_last_10 = 100, "
          f"primary_scoring_zone = 'perimeter' "
          f"WHERE {t.every_nth(PSZA, ('analysis_date', 'player_lookup'), 'paint_rate_last_10 IS NOT NULL')}")


@fault("phase4", ONE_DATE, "platform-facts §4.2 (zone rates are percent, NUMERIC(5,2))", PSZA,
       caught_by=("ml_feature_store_v2.feature_sources", "player_shot_zone_analysis.zone_rates_sum"))
def psza_rates_as_fractions(t: Target) -> None:
    """Zone rates written as fractions (0..1) instead of percent on one date."""
    t.run(f"UPDATE {t.ref(PSZA)} SET paint_rate_last_10 = paint_rate_last_10 / 100, "
          f"mid_range_rate_last_10 = mid_range_rate_last_10 / 100, three_pt_rate_last_10 = three_pt_rate_last_10 / 100 "
          f"WHERE analysis_date = @d", d=t.date())


@fault("phase4", A_WEEK, "platform-facts §4.4 (games strictly before the date: the <= to < fix of every phase-4 query)",
       PSZA, caught_by=("ml_feature_store_v2.feature_sources", "player_shot_zone_analysis.rolling_zones"))
def psza_window_includes_game(t: Target) -> None:
    """The last-10 zone rates and games_in_sample_10 include the analysis date's own game for a week (rates still add up to 100)."""
    total = "(g.paint_attempts + g.mid_range_attempts + g.three_attempts_pbp)"
    blend = {c: f"ROUND(100 * (z.{c} / 100 * z.total_shots_last_10 + g.{a}) / (z.total_shots_last_10 + {total}), 2)"
             for c, a in (("paint_rate_last_10", "paint_attempts"), ("mid_range_rate_last_10", "mid_range_attempts"),
                          ("three_pt_rate_last_10", "three_attempts_pbp"))}
    t.run(f"""UPDATE {t.ref(PSZA)} AS z SET {", ".join(f"{c} = {e}" for c, e in blend.items())},
  games_in_sample_10 = LEAST(10, z.games_in_sample_10 + 1)
FROM {t.ref(PGS)} AS g
WHERE g.game_date = z.analysis_date AND g.player_lookup = z.player_lookup AND g.has_complete_shot_zones
  AND z.total_shots_last_10 IS NOT NULL AND z.total_shots_last_10 + {total} > 0
  AND z.analysis_date IN UNNEST(@dates)""", dates=t.week())


@fault("phase4", A_WEEK, f"issue 13; {P8} BDL game-level exclusion (119 players a day missing, every game present)", PSZA,
       caught_by=("player_shot_zone_analysis.player_coverage",))
def psza_players_missing_30pct(t: Target) -> None:
    """30% of the players missing from player_shot_zone_analysis on 7 dates (every team still has rows)."""
    where = "analysis_date IN UNNEST(@dates)"
    t.run(f"DELETE FROM {t.ref(PSZA)} WHERE {where} "
          f"AND {t.every_nth(PSZA, ('analysis_date', 'player_lookup'), where, 33.4)}", dates=t.week())


@fault("phase4", A_WEEK, f"issue 13; {P8} BDL game-level exclusion (119 players a day missing, every game present)", PDC,
       caught_by=("ml_feature_store_v2.feature_sources", "player_daily_cache.player_coverage"))
def pdc_players_missing_30pct(t: Target) -> None:
    """30% of the players missing from player_daily_cache on 7 dates (every team still has rows)."""
    where = "cache_date IN UNNEST(@dates)"
    t.run(f"DELETE FROM {t.ref(PDC)} WHERE {where} "
          f"AND {t.every_nth(PDC, ('cache_date', 'player_lookup'), where, 33.4)}", dates=t.week())


@fault("phase4", FEW_PERCENT, "platform-facts §4.4 (absolute_min_games 3, was 5: below it no row is written)", PDC,
       caught_by=("ml_feature_store_v2.feature_sources", "player_daily_cache.player_coverage"))
def pdc_old_min_games_five(t: Target) -> None:
    """player_daily_cache built with the old absolute_min_games = 5: no row for players with 3 or 4 games this season."""
    t.run(f"DELETE FROM {t.ref(PDC)} WHERE {t.window(PDC)} AND games_played_season IN (3, 4)")


@fault("phase4", FEW_GAMES, "platform-facts §4.2 (the last 10 games with game_date < analysis_date), §4.4 (<= to <)", PSZA,
       caught_by=("ml_feature_store_v2.feature_sources", "player_shot_zone_analysis.player_coverage",
                  "player_shot_zone_analysis.rolling_zones"))
def psza_rows_on_first_game(t: Target) -> None:
    """A row (a window of that game alone) for every player on his first game of the season (`<=`: nothing before it)."""
    zone = "(p.minutes_played > 0 OR p.fg_attempts > 0)"
    total = "(p.paint_attempts + p.mid_range_attempts + p.three_attempts_pbp)"
    rate = {c: f"ROUND(100 * SAFE_DIVIDE(p.{a}, {total}), 2)" for c, a in
            (("paint", "paint_attempts"), ("mid", "mid_range_attempts"), ("three", "three_attempts_pbp"))}
    t.run(f"""INSERT INTO {t.ref(PSZA)} (player_lookup, team_abbr, analysis_date, games_in_sample_10, games_in_sample_20,
  total_shots_last_10, paint_rate_last_10, mid_range_rate_last_10, three_pt_rate_last_10, paint_rate_last_20,
  mid_range_rate_last_20, three_pt_rate_last_20, sample_quality_10, sample_quality_20, data_quality_tier, processed_at)
SELECT p.player_lookup, p.team_abbr, p.game_date, 1, 1, {total}, {rate["paint"]}, {rate["mid"]}, {rate["three"]},
  {rate["paint"]}, {rate["mid"]}, {rate["three"]}, 'low', 'low', 'low', CURRENT_TIMESTAMP()
FROM {t.ref(PGS)} AS p
WHERE p.game_date IN UNNEST(@dates) AND p.team_abbr IS NOT NULL AND p.has_complete_shot_zones AND {zone}
  AND NOT EXISTS (SELECT 1 FROM {t.ref(PGS)} AS e
                  WHERE e.player_lookup = p.player_lookup AND e.season_year = p.season_year AND e.game_date < p.game_date
                    AND (e.minutes_played > 0 OR e.fg_attempts > 0))""", dates=t.counted_dates)


@fault("phase4", FEW_PERCENT, "platform-facts §4.4 (absolute_min_games 3: below it no row is written, consumers default)",
       PDC, caught_by=("ml_feature_store_v2.feature_sources", "player_daily_cache.player_coverage",
                      "player_daily_cache.rolling_aggregates"))
def pdc_rows_below_min_games(t: Target) -> None:
    """Rows written for context players with only 1 or 2 played games this season (the minimum of 3 not applied)."""
    t.run(f"""INSERT INTO {t.ref(PDC)} (player_lookup, team_abbr, cache_date, points_avg_last_5, points_avg_last_10,
  points_avg_season, minutes_avg_last_10, games_played_season, cache_version, processed_at)
SELECT u.player_lookup, u.team_abbr, u.game_date, ROUND(AVG(p.points), 1), ROUND(AVG(p.points), 1), ROUND(AVG(p.points), 1),
  ROUND(AVG(p.minutes_played), 1), COUNT(*), 'v1', CURRENT_TIMESTAMP()
FROM {t.ref(UPGC)} AS u
JOIN {t.ref(PGS)} AS p
  ON p.player_lookup = u.player_lookup AND p.season_year = u.season_year AND p.game_date < u.game_date
 AND p.is_active AND p.minutes_played > 0
WHERE u.game_date IN UNNEST(@dates)
GROUP BY u.player_lookup, u.team_abbr, u.game_date
HAVING COUNT(*) BETWEEN 1 AND 2""", dates=t.counted_dates)


@fault("phase4", ONE_TEAM_DATE, "platform-facts §4.1, §10 (TDZA has 30 rows per processed date)", TDZA,
       caught_by=("ml_feature_store_v2.feature_sources", "team_defense_zone_analysis.rows_per_date"))
def tdza_team_missing(t: Target) -> None:
    """One team's zone-defense row missing on one date."""
    day, team = t.team_date(TDZA)
    t.run(f"DELETE FROM {t.ref(TDZA)} WHERE analysis_date = @d AND team_abbr = @team", d=day, team=team)


@fault("phase4", A_WEEK, "platform-facts §4.1 (last 15 games with game_date < analysis_date)", TDZA,
       caught_by=("ml_feature_store_v2.feature_sources", "team_defense_zone_analysis.rolling_defense"))
def tdza_rating_includes_game(t: Target) -> None:
    """defensive_rating_last_15 includes the analysis date's own game for a week (no leakage check on TDZA)."""
    t.run(f"""UPDATE {t.ref(TDZA)} AS z SET
  defensive_rating_last_15 = ROUND((z.defensive_rating_last_15 * z.games_in_sample + d.defensive_rating)
                                   / (z.games_in_sample + 1), 2)
FROM {t.ref(TDGS)} AS d
WHERE d.game_date = z.analysis_date AND d.defending_team_abbr = z.team_abbr AND z.analysis_date IN UNNEST(@dates)""",
          dates=t.week())


@fault("phase4", A_WEEK, "platform-facts §4.1 (strongest = most negative, weakest = most positive)", TDZA,
       caught_by=("team_defense_zone_analysis.zone_ranking",))
def tdza_zones_swapped(t: Target) -> None:
    """strongest_zone and weakest_zone swapped for a week."""
    t.run(f"UPDATE {t.ref(TDZA)} SET strongest_zone = weakest_zone, weakest_zone = strongest_zone "
          f"WHERE analysis_date IN UNNEST(@dates)", dates=t.week())


@fault("phase4", A_WEEK, f"{P8} stale downstream after an upstream re-backfill", TDGS,
       caught_by=("team_defense_zone_analysis.not_older_than_team_defense_game_summary",))
def tdza_stale_after_defense_rerun(t: Target) -> None:
    """team_defense_game_summary re-ran for a week; team_defense_zone_analysis was not re-run."""
    week = t.week()
    t.rerun([TDGS], week[0], week[-1])


# =========================================================================================
# Raw-layer faults the processors then reproduce faithfully (the reproduction audit re-makes the
# same wrong rows: only an invariant against another source catches them), and more derived
# faults of the held-out kind (issue 13: one team, one date, a week, a few percent of rows)
# =========================================================================================

SCHED, LINES, PROPS, ZONES = "nbac_schedule", "odds_api_game_lines", "odds_api_player_points_props", "player_shot_zones"


def _gamebook_rerun(t: Target, day: dt.date) -> None:
    """Phase 3 after a gamebook re-scrape of `day`: every table reading the gamebook, over its 30-day lookback."""
    t.rerun_downstream(GAMEBOOK, day, day + dt.timedelta(days=45))


@fault("phase3", ONE_GAME, "platform-facts §1 (gamebook plus_minus), §10 (a team's players' plus-minus add up to 5 x margin)",
       GAMEBOOK, caught_by=("player_game_summary.team_totals",))
def raw_gamebook_plus_minus_flipped(t: Target) -> None:
    """One team's gamebook plus_minus scraped from the opponent's side (sign flipped) in one game; phase 3 re-ran."""
    day, team = t.team_date()
    t.run(f"UPDATE {t.ref(GAMEBOOK)} SET plus_minus = -plus_minus, processed_at = CURRENT_TIMESTAMP() "
          f"WHERE game_date = @d AND team_abbr = @team AND player_status = 'active' AND plus_minus != 0", d=day, team=team)
    _gamebook_rerun(t, day)


@fault("phase3", ONE_DATE, "platform-facts §1 (team box offensive/defensive/total_rebounds), §9 (box-score arithmetic)",
       BOX, caught_by=("team_offense_game_summary.box_formulas",))
def raw_team_box_total_rebounds_defensive_only(t: Target) -> None:
    """The team box score's total_rebounds column carried the defensive rebounds only on one date; phase 3 re-ran."""
    day = t.date()
    t.run(f"UPDATE {t.ref(BOX)} SET total_rebounds = defensive_rebounds, processed_at = CURRENT_TIMESTAMP() "
          f"WHERE game_date = @d", d=day)
    t.rerun_downstream(BOX, day, day)


@fault("phase3", ONE_DATE, "platform-facts §6 (FGM <= FGA, 3PM <= 3PA, points = 2 FG + 3PM + FT consistency)", GAMEBOOK,
       caught_by=("player_game_summary.box_identities", "player_game_summary.team_totals"))
def raw_gamebook_field_goals_two_point_only(t: Target) -> None:
    """The gamebook's field_goals_* came as two-point field goals only (threes left out) on one date; phase 3 re-ran."""
    day = t.date()
    t.run(f"UPDATE {t.ref(GAMEBOOK)} SET field_goals_made = field_goals_made - three_pointers_made, "
          f"field_goals_attempted = field_goals_attempted - three_pointers_attempted, processed_at = CURRENT_TIMESTAMP() "
          f"WHERE game_date = @d AND player_status = 'active'", d=day)
    _gamebook_rerun(t, day)


@fault("phase3", FEW_PERCENT, "platform-facts §6 (3PM <= FGM: a three is a field goal)", PGS,
       caught_by=("player_game_summary.box_identities", "player_game_summary.team_totals"))
def pgs_three_makes_from_attempts(t: Target) -> None:
    """three_pt_makes written from the attempts column on 3% of the active rows (makes > made field goals on many)."""
    t.run(f"UPDATE {t.ref(PGS)} SET three_pt_makes = three_pt_attempts "
          f"WHERE {t.every_nth(PGS, PLAYER_KEY, 'is_active AND three_pt_attempts > three_pt_makes')}")


@fault("phase3", FEW_PERCENT, "platform-facts §6 (fg_makes > fg_attempts impossibility check)", PGS,
       caught_by=("player_game_summary.box_identities", "player_game_summary.team_totals"))
def pgs_fg_makes_attempts_swapped(t: Target) -> None:
    """fg_makes and fg_attempts swapped (column order) on 3% of the active rows that missed a shot."""
    t.run(f"UPDATE {t.ref(PGS)} SET fg_makes = fg_attempts, fg_attempts = fg_makes "
          f"WHERE {t.every_nth(PGS, PLAYER_KEY, 'is_active AND fg_attempts > fg_makes')}")


@fault("phase3", A_WEEK, f"{P8} team abbreviation variants (PHO/PHX) in a raw source", BOX,
       caught_by=("player_game_summary.team_totals", "team_offense_game_summary.game_id_format"))
def raw_team_box_abbreviation_variant(t: Target) -> None:
    """One team's box scores carried another source's tricode (first letters + 'O') for a week; phase 3 re-ran."""
    day, team = t.team_date(BOX)
    week = t.week(around=day)
    t.run(f"UPDATE {t.ref(BOX)} SET team_abbr = CONCAT(SUBSTR(team_abbr, 1, 2), 'O'), processed_at = CURRENT_TIMESTAMP() "
          f"WHERE game_date IN UNNEST(@dates) AND team_abbr = @team", dates=week, team=team)
    t.rerun_downstream(BOX, week[0], week[-1])


@fault("phase3", ONE_GAME, "platform-facts §1 (gamebook team_abbr), §10 (player sums = team totals)", GAMEBOOK,
       caught_by=("player_game_summary.team_totals",))
def raw_gamebook_player_on_wrong_team(t: Target) -> None:
    """One scoring player's gamebook row attributed to the opponent in one game; phase 3 re-ran."""
    g = t.game()
    row = t.pick(f"SELECT player_lookup, team_abbr, home_team_abbr, away_team_abbr FROM {t.ref(GAMEBOOK)} "
                 f"WHERE game_date = @d AND player_status = 'active' AND points > 0 AND game_id = @g "
                 f"ORDER BY player_lookup", d=g["game_date"], g=g["game_id"])
    other = row["away_team_abbr"] if row["team_abbr"] == row["home_team_abbr"] else row["home_team_abbr"]
    t.run(f"UPDATE {t.ref(GAMEBOOK)} SET team_abbr = @other, processed_at = CURRENT_TIMESTAMP() "
          f"WHERE game_date = @d AND player_lookup = @p", d=g["game_date"], p=row["player_lookup"], other=other)
    _gamebook_rerun(t, g["game_date"])


@fault("phase3", FEW_GAMES, f"{P8} timezone date shift (UTC date of a late tip)", BOX, GAMEBOOK, ZONES,
       caught_by=("team_offense_game_summary:game_coverage",))
def raw_late_games_dated_next_day(t: Target) -> None:
    """Two games' box scores, gamebook and shot zones dated by their UTC tip (the next day); phase 3 re-ran."""
    day = t.date(t.counted_dates[:-1])
    games = t.games(2, among=[day])
    teams = [r["team_abbr"] for r in t.query(f"SELECT team_abbr FROM {t.ref(TOGS)} WHERE game_date = @d "
                                             f"AND game_id IN UNNEST(@games) ORDER BY team_abbr", d=day, games=games)]
    for raw, team in ((BOX, "team_abbr"), (GAMEBOOK, "team_abbr"), (ZONES, "team_abbr")):
        t.run(f"UPDATE {t.ref(raw)} SET game_date = DATE_ADD(game_date, INTERVAL 1 DAY), processed_at = CURRENT_TIMESTAMP() "
              f"WHERE game_date = @d AND {team} IN UNNEST(@teams)", d=day, teams=teams)
    t.rerun([x.name for x in t.catalog.tables_of("phase3")], day, day + dt.timedelta(days=45))


@fault("phase3", ONE_GAME, "platform-facts §1 (schedule home/away_team_score), §9 (win/loss consistency)", SCHED,
       caught_by=("team_offense_game_summary.schedule_agreement",))
def raw_schedule_scores_swapped(t: Target) -> None:
    """A final game's home and away scores swapped in the schedule (the winner reversed); phase 3 re-ran from there."""
    g = t.game(among=t.last_dates(15))
    t.run(f"UPDATE {t.ref(SCHED)} SET home_team_score = away_team_score, away_team_score = home_team_score "
          f"WHERE game_date = @d AND game_status = 3 AND CONCAT(FORMAT_DATE('%Y%m%d', game_date), '_', away_team_tricode, "
          f"'_', home_team_tricode) = @g", d=g["game_date"], g=g["game_id"])
    t.rerun([x.name for x in t.catalog.tables_of("phase3")], g["game_date"], t.end)


@fault("phase3", ONE_DATE, "platform-facts §5 (season_year = the season of the date; opening nights)", SCHED,
       caught_by=("team_offense_game_summary.schedule_agreement",))
def raw_schedule_season_year_wrong(t: Target) -> None:
    """One date's schedule rows carry the next season's season_year (a re-scrape); phase 3 re-ran from there."""
    day = t.date(t.last_dates(10))
    t.run(f"UPDATE {t.ref(SCHED)} SET season_year = season_year + 1 WHERE game_date = @d", d=day)
    t.rerun([x.name for x in t.catalog.tables_of("phase3")], day, t.end)


@fault("phase3", ONE_DATE, "platform-facts §1 (props: many snapshots; collection on game day), §8 (stale data)", PROPS,
       caught_by=("player_game_summary.prop_lines", "upcoming_player_game_context.prop_lines"))
def raw_props_stale_snapshot(t: Target) -> None:
    """One date's prop snapshots are a stale copy of each player's previous game-day scrape (old lines, old times); phase 3 re-ran."""
    dates = t.counted_dates
    day = t.date(dates[5:])
    props = t.ref(PROPS)
    t.run(f"""INSERT INTO {props}
SELECT * REPLACE (@d AS game_date)
FROM {props} AS o
WHERE o.game_date = (SELECT MAX(game_date) FROM {props} AS b WHERE b.game_date < @d AND b.player_lookup = o.player_lookup
                     AND b.game_date >= DATE_SUB(@d, INTERVAL 10 DAY))
  AND o.player_lookup IN (SELECT player_lookup FROM {props} WHERE game_date = @d)""",
          f"DELETE FROM {props} WHERE game_date = @d AND DATE(snapshot_timestamp) >= @d", d=day)
    t.rerun_downstream(PROPS, day, day)


@fault("phase3", FEW_GAMES, f"{P8} timezone date shift (Odds API commence_time is UTC)", LINES,
       caught_by=("upcoming_team_game_context.lines_schedule",))
def raw_game_lines_dated_utc(t: Target) -> None:
    """Two games' lines dated by their UTC commence time (the next day) on one date; phase 3 re-ran."""
    day = t.date(t.counted_dates[:-1])
    games = t.games(2, among=[day])
    t.run(f"UPDATE {t.ref(LINES)} SET game_date = DATE_ADD(game_date, INTERVAL 1 DAY) "
          f"WHERE game_date = @d AND CONCAT(FORMAT_DATE('%Y%m%d', game_date), '_', away_team_abbr, '_', home_team_abbr) "
          f"IN UNNEST(@games)", d=day, games=games)
    t.rerun_downstream(LINES, day, day + dt.timedelta(days=1))


@fault("phase3", ONE_GAME, "platform-facts §0 (schedule game_id reuse), §1 (two schedule sources, api_stats / cdn_static)", SCHED,
       caught_by=("upcoming_team_game_context.key_unique", "upcoming_team_game_context.rows_per_game"))
def raw_schedule_game_listed_twice(t: Target) -> None:
    """A final game also listed under a second official id (another source's scrape) on its date; phase 3 re-ran."""
    g = t.game()
    sched = t.ref(SCHED)
    t.run(f"INSERT INTO {sched} SELECT * REPLACE (CONCAT('009', SUBSTR(game_id, 4)) AS game_id) FROM {sched} "
          f"WHERE game_date = @d AND game_status = 3 AND CONCAT(FORMAT_DATE('%Y%m%d', game_date), '_', away_team_tricode, "
          f"'_', home_team_tricode) = @g", d=g["game_date"], g=g["game_id"])
    t.rerun([x.name for x in t.catalog.tables_of("phase3")], g["game_date"], t.end)


@fault("phase3", ONE_DATE, "platform-facts §3 (usage_rate over the player's own team's possessions)", PGS,
       caught_by=("player_game_summary.usage_rate_recompute",))
def pgs_usage_from_opponent_totals(t: Target) -> None:
    """usage_rate computed with the opponent's team totals on one date (the join took the other side)."""
    t.run(f"""UPDATE {t.ref(PGS)} AS p SET
  usage_rate = ROUND(100 * (p.fg_attempts + 0.44 * COALESCE(p.ft_attempts, 0) + p.turnovers) * 48
                     / (p.minutes_played * (o.fg_attempts + 0.44 * o.ft_attempts + o.turnovers)), 2)
FROM {t.ref(TOGS)} AS o
WHERE o.game_date = p.game_date AND o.team_abbr = p.opponent_team_abbr AND p.game_date = @d AND p.usage_rate IS NOT NULL""",
          d=t.date())


@fault("phase4", A_WEEK, "platform-facts §4.1 (zone_vs_league = (team FG% allowed - league FG%) x 100)", TDZA,
       caught_by=("team_defense_zone_analysis.zone_vs_league",))
def tdza_vs_league_sign_inverted(t: Target) -> None:
    """<zone>_defense_vs_league_avg computed league - team for a week (and the strongest/weakest zones ranked on it)."""
    t.run(f"UPDATE {t.ref(TDZA)} SET paint_defense_vs_league_avg = -paint_defense_vs_league_avg, "
          f"mid_range_defense_vs_league_avg = -mid_range_defense_vs_league_avg, "
          f"three_pt_defense_vs_league_avg = -three_pt_defense_vs_league_avg, "
          f"strongest_zone = weakest_zone, weakest_zone = strongest_zone WHERE analysis_date IN UNNEST(@dates)",
          dates=t.week())


@fault("phase4", A_WEEK, "platform-facts §4.4 (last 10 games strictly before cache_date), §10", PDC,
       caught_by=("player_daily_cache.rolling_aggregates",))
def pdc_l10_window_one_game_late(t: Target) -> None:
    """points_avg_last_10 of a week ends one game early (the previous cache row's value: the latest game left out)."""
    t.run(f"""UPDATE {t.ref(PDC)} AS c SET points_avg_last_10 = s.prev
FROM (
  SELECT player_lookup, cache_date,
         LAG(points_avg_last_10) OVER (PARTITION BY player_lookup ORDER BY cache_date) AS prev
  FROM {t.ref(PDC)}
) AS s
WHERE s.player_lookup = c.player_lookup AND s.cache_date = c.cache_date AND s.prev IS NOT NULL
  AND s.prev != c.points_avg_last_10 AND c.cache_date IN UNNEST(@dates)""", dates=t.week())


@fault("phase4", ONE_DATE, "platform-facts §8 (feature index drift), §4.5 (names by index)", MLFS,
       caught_by=("ml_feature_store_v2.feature_sources",))
def mlfs_vector_shifted_by_one(t: Target) -> None:
    """The feature vector shifted one index to the right (a feature inserted in front, the last dropped) on one date."""
    n = len(t.table(MLFS).features)
    shifted = "[10.0, " + ", ".join(f"features[OFFSET({i})]" for i in range(n - 1)) + "]"
    t.run(f"UPDATE {t.ref(MLFS)} SET features = {shifted} WHERE game_date = @d", d=t.date())


@fault("phase4", A_WEEK, f"{P8} the rolling-window cascade (phase 4 built over a phase-3 gap, repaired date only re-run)",
       PGS, PDC,
       caught_by=("player_daily_cache.not_older_than_player_game_summary",
                  "player_shot_zone_analysis.not_older_than_player_game_summary"))
def cascade_repaired_date_only_rerun(t: Target) -> None:
    """player_game_summary lacked one date while phase 4 was built; after its backfill only that date's phase 4 re-ran."""
    dates = t.counted_dates
    day = t.date(dates[len(dates) // 2:-8])
    phase4 = [x.name for x in t.catalog.tables_of("phase4")]
    t.run(f"DELETE FROM {t.ref(PGS)} WHERE game_date = @d", d=day)
    t.rerun(phase4, day, t.end)
    t.rerun([PGS], day, day)
    t.rerun(phase4, day, day)



@fault("phase3", A_WEEK, f"{P8} BigDataBall player_lookup format change (numeric id prefix, shot zones 0%)", ZONES,
       caught_by=("player_game_summary.source_players",))
def raw_shot_zones_lookup_prefixed(t: Target) -> None:
    """The shot-zone source prefixed every player_lookup with a numeric id for a week (no zone joins); phase 3 re-ran."""
    week = t.week()
    t.run(f"UPDATE {t.ref(ZONES)} SET player_lookup = CONCAT('16300', CAST(LENGTH(player_lookup) AS STRING), player_lookup), "
          f"processed_at = CURRENT_TIMESTAMP() WHERE game_date IN UNNEST(@dates)", dates=week)
    t.rerun_downstream(ZONES, week[0], week[-1])


@fault("phase4", A_WEEK, "platform-facts §4.3 (shot_zone_mismatch reads the OPPONENT's zone defense)", PCF, MLFS,
       caught_by=("player_composite_factors.factor_inputs",))
def pcf_zone_mismatch_from_own_team(t: Target) -> None:
    """shot_zone_mismatch_score (and the total) from the player's own team's zone defense for a week; the feature store re-ran."""
    week = t.week()
    weighted = ("CASE sz.primary_scoring_zone WHEN 'paint' THEN zd.paint_defense_vs_league_avg * LEAST(sz.paint_rate_last_10 / 50, 1) "
                "WHEN 'mid_range' THEN zd.mid_range_defense_vs_league_avg * LEAST(sz.mid_range_rate_last_10 / 50, 1) "
                "WHEN 'perimeter' THEN zd.three_pt_defense_vs_league_avg * LEAST(sz.three_pt_rate_last_10 / 50, 1) END")
    score = f"COALESCE(ROUND(GREATEST(-10, LEAST(10, IF(ABS({weighted}) > 5, {weighted} * 1.2, {weighted}))), 1), 0)"
    t.run(f"""UPDATE {t.ref(PCF)} AS f SET
  total_composite_adjustment = ROUND(f.total_composite_adjustment - f.shot_zone_mismatch_score + s.score, 2),
  shot_zone_mismatch_score = s.score
FROM (
  SELECT c.game_date, c.player_lookup, {score} AS score
  FROM {t.ref(PCF)} AS c
  LEFT JOIN {t.ref(PSZA)} AS sz ON sz.analysis_date = c.game_date AND sz.player_lookup = c.player_lookup
  LEFT JOIN {t.ref(TDZA)} AS zd ON zd.analysis_date = c.game_date AND zd.team_abbr = c.team_abbr
  WHERE c.game_date IN UNNEST(@dates)
) AS s
WHERE s.game_date = f.game_date AND s.player_lookup = f.player_lookup AND s.score != f.shot_zone_mismatch_score""",
          dates=week)
    t.rerun([MLFS], week[0], week[-1])


@fault("phase4", A_WEEK, "platform-facts §4.3 (fatigue: -15 on a back-to-back), §3 (Session 49 back_to_back fix)", PCF, MLFS,
       caught_by=("player_composite_factors.factor_inputs",))
def pcf_fatigue_ignores_back_to_back(t: Target) -> None:
    """fatigue_score left out the -15 of a back-to-back for a week (adjustment and total follow); the feature store re-ran."""
    week = t.week()
    t.run(f"""UPDATE {t.ref(PCF)} AS f SET
  fatigue_score = LEAST(100, f.fatigue_score + 15),
  fatigue_adjustment = ROUND((LEAST(100, f.fatigue_score + 15) - 100) / 20, 2),
  total_composite_adjustment = ROUND(f.total_composite_adjustment + (LEAST(100, f.fatigue_score + 15) - f.fatigue_score) / 20, 2)
FROM {t.ref(UPGC)} AS u
WHERE u.game_date = f.game_date AND u.player_lookup = f.player_lookup AND u.back_to_back AND f.fatigue_score < 100
  AND f.game_date IN UNNEST(@dates)""", dates=week)
    t.rerun([MLFS], week[0], week[-1])


@fault("phase4", A_WEEK, "platform-facts §4.4 (team pace over the team's last 10 games strictly before the date)", PDC, MLFS,
       caught_by=("player_daily_cache.team_windows",))
def pdc_team_pace_includes_game(t: Target) -> None:
    """team_pace_last_10 includes the cache date's own team game for a week (<= instead of <); the feature store re-ran."""
    week = t.week()
    t.run(f"""UPDATE {t.ref(PDC)} AS c SET team_pace_last_10 = ROUND((c.team_pace_last_10 * 9 + o.pace) / 10, 1)
FROM {t.ref(TOGS)} AS o
WHERE o.game_date = c.cache_date AND o.team_abbr = c.team_abbr AND c.cache_date IN UNNEST(@dates)""", dates=week)
    t.rerun([MLFS], week[0], week[-1])


# =========================================================================================
# Benign changes: the gate must stay GO
# =========================================================================================


@benign(("phase3", "phase4"), NO_CHANGE, "the clean demo itself")
def clean_data(t: Target) -> None:
    """No change: the clean warehouse as built."""


@benign(("phase3",), ONE_DATE, "platform-facts §5 (documented exceptions leave the expected dates), exceptions.toml", TDGS)
def approved_exception_for_removed_date(t: Target) -> None:
    """team_defense_game_summary lacks one date, documented and approved in exceptions.toml."""
    day = t.date()
    t.run(f"DELETE FROM {t.ref(TDGS)} WHERE game_date = @d", d=day)
    t.approve_exception(TDGS, [day], "NBA.com never published these box scores (ticket DATA-1234)")


@benign(("phase3", "phase4"), ONE_GAME,
        "platform-facts §5, §8 postponed game (Final with NULL scores, rescheduled)", "nbac_schedule",
        "odds_api_game_lines")
def postponed_game_rescheduled(t: Target) -> None:
    """A game postponed ~2 h before tip: Final with NULL scores on its date (its lines already posted), rescheduled after the window; no rows."""
    sched = t.ref("nbac_schedule")
    day = t.date()
    season = t.pick(f"SELECT season_year FROM {sched} WHERE game_date = @d AND game_status = 3 ORDER BY game_id",
                    d=day)["season_year"]
    idle = [r["team"] for r in t.query(f"""
SELECT DISTINCT home_team_tricode AS team FROM {sched} WHERE season_year = @season
  AND home_team_tricode NOT IN (SELECT home_team_tricode FROM {sched} WHERE game_date = @d)
  AND home_team_tricode NOT IN (SELECT away_team_tricode FROM {sched} WHERE game_date = @d)
ORDER BY team""", season=season, d=day)]
    if len(idle) < 2:
        raise NotApplicable(f"fewer than two idle teams on {day}")
    home, away = t.rng.sample(idle, 2)
    game_id = f"002{season % 100:02d}9{t.rng.randrange(10000):04d}"

    def row(on: str, status: int) -> str:
        # a copy of one of that date's schedule rows, so every other schedule column is filled as usual
        return (f"INSERT INTO {sched} SELECT * REPLACE (@gid AS game_id, {on} AS game_date, @home AS home_team_tricode, "
                f"@away AS away_team_tricode, {status} AS game_status, CAST(NULL AS INT64) AS home_team_score, "
                f"CAST(NULL AS INT64) AS away_team_score, @at AS processed_at) "
                f"FROM {sched} WHERE game_date = @d AND game_status = 3 AND season_year = @season "
                f"QUALIFY ROW_NUMBER() OVER (ORDER BY game_id) = 1")

    # the books had posted its lines before the postponement (a copy of one game's lines of that date)
    lines = (f"INSERT INTO {t.ref(LINES)} SELECT * REPLACE (@home AS home_team_abbr, @away AS away_team_abbr, "
             f"CASE outcome_name WHEN home_team_abbr THEN @home WHEN away_team_abbr THEN @away ELSE outcome_name END "
             f"AS outcome_name, CONCAT('pp', game_id) AS game_id) FROM {t.ref(LINES)} WHERE game_date = @d "
             f"AND game_id = (SELECT MIN(game_id) FROM {t.ref(LINES)} WHERE game_date = @d)")
    t.run(row("@d", 3), row("@later", 1), lines, gid=game_id, home=home, away=away, d=day, season=season,
          at=dt.datetime.combine(day, dt.time(17, 0), tzinfo=dt.UTC), later=t.end + dt.timedelta(days=20))


@benign(("phase3", "phase4"), NO_CHANGE, "platform-facts §2.1 (quality columns added later by ALTER), §2 (data_hash)",
        TOGS, MLFS)
def extra_columns(t: Target) -> None:
    """Columns the catalog does not name added to a phase-3 and a phase-4 table, and filled."""
    t.run(f"ALTER TABLE {t.ref(TOGS)} ADD COLUMN data_hash STRING",
          f"ALTER TABLE {t.ref(MLFS)} ADD COLUMN quality_tier STRING")
    t.run(f"UPDATE {t.ref(TOGS)} SET data_hash = CONCAT(game_id, '|', team_abbr) WHERE {t.window(TOGS)}",
          f"UPDATE {t.ref(MLFS)} SET quality_tier = 'gold' WHERE {t.window(MLFS)}")


@benign(("phase3", "phase4"), ONE_GAME, "platform-facts §10 (team minutes 240 + 25 per OT)", BOX, GAMEBOOK)
def overtime_game(t: Target) -> None:
    """A close regulation game re-scraped as an overtime game (265 team minutes, 5 more for five players a side); all re-ran."""
    g = t.game(where="overtime_periods = 0 AND ABS(margin_of_victory) <= 3", among=t.last_dates(20))
    day = g["game_date"]
    teams = [r["team_abbr"] for r in t.query(f"SELECT team_abbr FROM {t.ref(TOGS)} WHERE game_date = @d "
                                             f"AND game_id = @g ORDER BY team_abbr", d=day, g=g["game_id"])]
    mm, ss = "SAFE_CAST(SPLIT(minutes, ':')[SAFE_OFFSET(0)] AS INT64)", "SPLIT(minutes, ':')[SAFE_OFFSET(1)]"
    t.run(f"UPDATE {t.ref(BOX)} SET minutes = '265:00', processed_at = CURRENT_TIMESTAMP() "
          f"WHERE game_date = @d AND team_abbr IN UNNEST(@teams)",
          f"""UPDATE {t.ref(GAMEBOOK)} SET minutes = CONCAT(CAST({mm} + 5 AS STRING), ':', {ss}),
  processed_at = CURRENT_TIMESTAMP()
WHERE game_date = @d AND CONCAT(team_abbr, '|', player_lookup) IN (
  SELECT CONCAT(team_abbr, '|', player_lookup) FROM {t.ref(GAMEBOOK)}
  WHERE game_date = @d AND team_abbr IN UNNEST(@teams) AND player_status = 'active' AND minutes IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY team_abbr ORDER BY {mm} DESC, player_lookup) <= 5)""",
          d=day, teams=teams)
    t.rerun([x.name for x in t.catalog.tables_of("phase3")], day, t.end)
    t.rerun([x.name for x in t.catalog.tables_of("phase4")], day, t.end)


@benign(("phase3", "phase4"), A_WEEK, "platform-facts §1, §8 schedule status duplicates (WRITE_APPEND 1 and 3)",
        "nbac_schedule")
def schedule_status_duplicates(t: Target) -> None:
    """Every final game of a week also has its earlier status-1 (scheduled) and status-2 (in progress) scrapes."""
    sched = t.ref("nbac_schedule")

    def earlier(status: int, scores: str, hours: int) -> str:
        return (f"INSERT INTO {sched} SELECT * REPLACE ({status} AS game_status, {scores}, "
                f"TIMESTAMP_SUB(processed_at, INTERVAL {hours} HOUR) AS processed_at) "
                f"FROM {sched} WHERE game_date IN UNNEST(@dates) AND game_status = 3")

    t.run(earlier(1, "CAST(NULL AS INT64) AS home_team_score, CAST(NULL AS INT64) AS away_team_score", 30),
          earlier(2, "DIV(home_team_score, 2) AS home_team_score, DIV(away_team_score, 2) AS away_team_score", 2),
          dates=t.week())


@benign(("phase3", "phase4"), A_WEEK, "platform-facts §7 (re-run upstream first, then every date that reads it)",
        TOGS, PDC)
def rerun_in_order(t: Target) -> None:
    """Phase 3 re-ran for a week, then phase 4 from that week to the window's end (every date reading it)."""
    week = t.week(around=t.date(t.last_dates(30)))
    t.rerun([x.name for x in t.catalog.tables_of("phase3")], week[0], week[-1])
    t.rerun([x.name for x in t.catalog.tables_of("phase4")], week[0], t.end)


@benign(("phase3",), ONE_DATE, "platform-facts §0 (team box ids may arrive HOME_AWAY; the processor normalises)",
        BOX)
def rescrape_team_box_home_away(t: Target) -> None:
    """One date's team box scores re-scraped with HOME_AWAY ids (same numbers); phase 3 re-ran for it."""
    day = t.date()
    t.run(f"UPDATE {t.ref(BOX)} AS b SET game_id = {_swap_home_away('o.game_id')}, processed_at = CURRENT_TIMESTAMP() "
          f"FROM {t.ref(TOGS)} AS o WHERE o.game_date = b.game_date AND o.team_abbr = b.team_abbr AND b.game_date = @d",
          d=day)
    t.rerun_downstream(BOX, day, day)


@benign(("phase3",), ONE_DATE, "platform-facts §1 (team_abbr can be NULL for DNP rows, Session 46)", GAMEBOOK)
def dnp_rows_without_team(t: Target) -> None:
    """A re-scraped gamebook left team_abbr NULL on one date's DNP rows; phase 3 re-ran (the team is inferred)."""
    day = t.date()
    t.run(f"UPDATE {t.ref(GAMEBOOK)} SET team_abbr = NULL, processed_at = CURRENT_TIMESTAMP() "
          f"WHERE game_date = @d AND player_status = 'dnp'", d=day)
    t.rerun_downstream(GAMEBOOK, day, day + dt.timedelta(days=30))


@benign(("phase3",), ONE_DATE, "platform-facts §1 (raw tables are append-only; data_hash smart idempotency), §2.1", GAMEBOOK)
def gamebook_rescraped_identical(t: Target) -> None:
    """One date's gamebook scraped again: every row appended a second time, identical but for a later processed_at; phase 3 re-ran."""
    day = t.date()
    t.run(f"INSERT INTO {t.ref(GAMEBOOK)} SELECT * REPLACE (TIMESTAMP_ADD(processed_at, INTERVAL 6 HOUR) AS processed_at) "
          f"FROM {t.ref(GAMEBOOK)} WHERE game_date = @d", d=day)
    _gamebook_rerun(t, day)


@benign(("phase3", "phase4"), A_WEEK, "platform-facts §2.4 (rosters change; the schedule is keyed under every team), "
        "§4.4 (a player's windows follow the player, not the team)", GAMEBOOK, ZONES, PROPS)
def players_traded_mid_season(t: Target) -> None:
    """Two regulars of different teams traded for each other mid-window: from that date each plays for the other's team; all re-ran."""
    dates = t.counted_dates
    day = t.date(dates[len(dates) // 3: 2 * len(dates) // 3])
    regulars = t.query(f"""
SELECT player_lookup, MIN(team_abbr) AS team_abbr FROM {t.ref(PGS)}
WHERE {t.window(PGS)} AND is_active AND minutes_played > 0
GROUP BY player_lookup HAVING COUNT(*) >= 15 AND COUNT(DISTINCT team_abbr) = 1 ORDER BY player_lookup""")
    if len(regulars) < 2:
        raise NotApplicable("fewer than two regulars in the window")
    first = t.rng.choice(regulars)
    second = t.rng.choice([r for r in regulars if r["team_abbr"] != first["team_abbr"]])
    p, q = first["player_lookup"], second["player_lookup"]
    swap = "CASE player_lookup WHEN @p THEN @q ELSE @p END"
    for raw in (GAMEBOOK, ZONES, PROPS):
        name = ", player_name = CASE player_lookup WHEN @p THEN @qn ELSE @pn END" if raw == GAMEBOOK else ""
        stamp = ", processed_at = CURRENT_TIMESTAMP()" if raw != PROPS else ""
        t.run(f"UPDATE {t.ref(raw)} SET player_lookup = {swap}{name}{stamp} "
              f"WHERE game_date >= @d AND player_lookup IN (@p, @q)", d=day, p=p, q=q,
              **({"pn": _player_name(t, p), "qn": _player_name(t, q)} if raw == GAMEBOOK else {}))
    t.rerun([x.name for x in t.catalog.tables_of("phase3")], day, t.end)
    t.rerun([x.name for x in t.catalog.tables_of("phase4")], day, t.end)


def _player_name(t: Target, player: str) -> str:
    return t.pick(f"SELECT DISTINCT player_name FROM {t.ref(GAMEBOOK)} WHERE player_lookup = @p ORDER BY player_name",
                  p=player)["player_name"]


@benign(("phase3", "phase4"), A_WEEK, "platform-facts §1 (the gamebook lists every rostered player: active, DNP, inactive), "
        "§6 (18-36 players a game)", GAMEBOOK)
def two_way_player_listed(t: Target) -> None:
    """A team signed an extra two-way player for a week: listed inactive ('G League - Two-Way') in each of its games; all re-ran."""
    day, team = t.team_date()
    week = t.week(around=day)
    gamebook = t.ref(GAMEBOOK)
    t.run(f"""INSERT INTO {gamebook}
SELECT * REPLACE ('tommytwoway' AS player_lookup, 'Tommy Twoway' AS player_name, 'inactive' AS player_status,
  'G League - Two-Way' AS dnp_reason, CAST(NULL AS STRING) AS minutes, CAST(NULL AS INT64) AS points,
  CAST(NULL AS INT64) AS field_goals_made, CAST(NULL AS INT64) AS field_goals_attempted,
  CAST(NULL AS INT64) AS three_pointers_made, CAST(NULL AS INT64) AS three_pointers_attempted,
  CAST(NULL AS INT64) AS free_throws_made, CAST(NULL AS INT64) AS free_throws_attempted,
  CAST(NULL AS INT64) AS offensive_rebounds, CAST(NULL AS INT64) AS defensive_rebounds, CAST(NULL AS INT64) AS total_rebounds,
  CAST(NULL AS INT64) AS assists, CAST(NULL AS INT64) AS steals, CAST(NULL AS INT64) AS blocks,
  CAST(NULL AS INT64) AS turnovers, CAST(NULL AS INT64) AS personal_fouls, CAST(NULL AS INT64) AS plus_minus,
  CURRENT_TIMESTAMP() AS processed_at)
FROM {gamebook} WHERE game_date IN UNNEST(@dates) AND team_abbr = @team AND player_status = 'active'
QUALIFY ROW_NUMBER() OVER (PARTITION BY game_date ORDER BY player_lookup) = 1""", dates=week, team=team)
    t.rerun([x.name for x in t.catalog.tables_of("phase3")], week[0], t.end)
    t.rerun([x.name for x in t.catalog.tables_of("phase4")], week[0], t.end)


@benign(("phase3", "phase4"), ONE_GAME, "platform-facts §0 (schedule game_id reuse: 0022500529 Final on 01-08 and "
        "Scheduled on 01-29), §5 (postponed GSW@MIN rescheduled)", SCHED, BOX, GAMEBOOK, ZONES, PROPS, LINES)
def game_rescheduled_and_played(t: Target) -> None:
    """A game postponed on its date (Final, NULL scores) and played on a later date when both teams were idle,
    under the same official id; every raw source re-dated (snapshots re-taken that day); all re-ran."""
    sched = t.ref(SCHED)
    dates = t.counted_dates
    g = t.game(among=dates[len(dates) // 3: len(dates) // 2])
    day = g["game_date"]
    away, home = g["game_id"].split("_")[1:]
    playing = ("SELECT game_date FROM {s} WHERE game_status = 3 AND @team IN (home_team_tricode, away_team_tricode)")
    idle = [d for d in dates if d > day + dt.timedelta(days=2) and d <= day + dt.timedelta(days=20)
            and d not in {r["game_date"] for team in (away, home)
                          for r in t.query(playing.format(s=sched) + " AND game_date BETWEEN @a AND @b",
                                           team=team, a=day, b=day + dt.timedelta(days=21))}]
    if not idle:
        raise NotApplicable(f"no date within 20 days of {day} with {away} and {home} both idle")
    later = t.rng.choice(idle)
    shift = (later - day).days
    nba_id = t.pick(f"SELECT game_id FROM {sched} WHERE game_date = @d AND game_status = 3 AND home_team_tricode = @home "
                    f"ORDER BY game_id", d=day, home=home)["game_id"]
    new_gid = f"{later:%Y%m%d}_{away}_{home}"
    teams = "team_abbr IN (@home, @away)"
    t.run(
        # the postponement: the date keeps a Final row with no scores; the played game moves, same official id
        f"INSERT INTO {sched} SELECT * REPLACE (CAST(NULL AS INT64) AS home_team_score, CAST(NULL AS INT64) AS "
        f"away_team_score, TIMESTAMP_SUB(processed_at, INTERVAL 1 HOUR) AS processed_at) FROM {sched} "
        f"WHERE game_id = @nba AND game_date = @d AND game_status = 3",
        f"UPDATE {sched} SET game_date = @later WHERE game_id = @nba AND game_date = @d AND game_status = 3 "
        f"AND home_team_score IS NOT NULL",
        # props first: their game_id mixes formats, so they are found through the game's gamebook players
        f"UPDATE {t.ref(PROPS)} SET game_date = @later, snapshot_timestamp = TIMESTAMP_ADD(snapshot_timestamp, "
        f"INTERVAL {shift * 24} HOUR), game_id = IF(game_id = @old, @gid, game_id) WHERE game_date = @d AND player_lookup IN "
        f"(SELECT player_lookup FROM {t.ref(GAMEBOOK)} WHERE game_date = @d AND game_id = @old)",
        f"UPDATE {t.ref(BOX)} SET game_date = @later, game_id = CONCAT(FORMAT_DATE('%Y%m%d', @later), SUBSTR(game_id, 9)) "
        f"WHERE game_date = @d AND {teams}",
        f"UPDATE {t.ref(GAMEBOOK)} SET game_date = @later, game_id = @gid WHERE game_date = @d AND game_id = @old",
        f"UPDATE {t.ref(ZONES)} SET game_date = @later, game_id = @gid WHERE game_date = @d AND {teams}",
        f"UPDATE {t.ref(LINES)} SET game_date = @later, snapshot_timestamp = TIMESTAMP_ADD(snapshot_timestamp, "
        f"INTERVAL {shift * 24} HOUR) WHERE game_date = @d AND home_team_abbr = @home AND away_team_abbr = @away",
        d=day, later=later, nba=nba_id, gid=new_gid, old=g["game_id"], home=home, away=away)
    t.rerun([x.name for x in t.catalog.tables_of("phase3")], day, t.end)
    t.rerun([x.name for x in t.catalog.tables_of("phase4")], day, t.end)
