"""The catalog (`pipeline.toml`): every phase and table, the single source of truth.

Everything else — the gate's test cases, the runner's plan, the report's checklist —
is derived from the models loaded here, so a table cannot be forgotten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import tomllib
from functools import cached_property
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from phasegate.errors import CatalogError
from phasegate.identifiers import check_identifier
from phasegate.model.dates import EARLIEST, LATEST

#  Season types are compared with schedule values; keep them to words so they are never SQL.
SEASON_TYPE = re.compile(r"^[A-Za-z][A-Za-z -]*$")

# rows_per_game / rows_per_date bounds are compared in SQL (INT64); nothing near this is a real count.
MAX_ROWS_BOUND = 10_000_000

Grain = Literal["game", "team-game", "player-game", "team-date", "player-date"]
# include: bootstrap dates are expected like any other; exclude: rows may exist there but the
# dates are left out of the denominator; skip: the table must write nothing on bootstrap dates.
BootstrapPolicy = Literal["include", "exclude", "skip"]
# How far back a processor reads an upstream table, in game dates before the row's date
# (0 = that date only), or "season" (every game date of the row's season up to its date).
Lookback = int | Literal["season"]
# The reproduction audit's dates: auto (every date where the warehouse bills nothing, a sample
# where it does), all, sample, off.
AuditMode = Literal["auto", "all", "sample", "off"]
AUDIT_MODES: tuple[str, ...] = ("auto", "all", "sample", "off")
# Columns the audit never compares: when the row was written, not what it is.
AUDIT_IGNORED = ("processed_at", "created_at", "updated_at")
DEFAULT_AUDIT_TOLERANCE = 1e-9



class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Settings(_Strict):
    project: str = "nba-props-platform"
    schedule_table: str = "nbac_schedule"
    season_types: tuple[str, ...] = ("Regular Season", "Play-In", "Playoffs", "NBA Cup Final")
    bootstrap_days: int = Field(14, ge=0, le=120)
    default_start_date: dt.date
    # None (the default): the window ends at the schedule's latest final game, never after today
    # (phasegate.model.window); a date fixes the end instead.
    default_end_date: dt.date | None = None
    # A derived table's missing date is a failed backfill: every expected date, unless excepted.
    coverage_threshold: float = Field(1.0, ge=0.0, le=1.0)
    # Folders, relative to the catalog's own folder unless absolute (see Catalog.*_dir).
    state_dir: str = ".phasegate"
    reports_dir: str = "reports"
    checks_dir: str = "checks"
    expectations_dir: str = "expectations"
    backfill_dir: str = "backfill"
    # The reproduction audit (phasegate.measure.audit): which dates it re-runs each processor on.
    audit: AuditMode = "auto"
    audit_sample_dates: int = Field(12, ge=1, le=400)  # spread evenly over the window
    audit_latest_dates: int = Field(3, ge=0, le=400)   # plus the window's latest dates
    audit_tolerance: float = Field(DEFAULT_AUDIT_TOLERANCE, ge=0.0)  # default per float column
    # Where the built-in notifier posts verdicts and run ends (Slack-compatible JSON); the
    # PHASEGATE_WEBHOOK_URL variable overrides it (phasegate.hooks.webhook).
    notify_webhook_url: str | None = None

    @field_validator("season_types")
    @classmethod
    def _season_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one season type must count")
        for season_type in value:
            if not SEASON_TYPE.match(season_type):
                raise ValueError(f"season type {season_type!r} must be words only")
        return value

    @field_validator("notify_webhook_url")
    @classmethod
    def _webhook(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("notify_webhook_url must be an http:// or https:// URL")
        return value

    @field_validator("schedule_table")
    @classmethod
    def _schedule_table(cls, value: str) -> str:
        return check_identifier(value, "schedule_table")

    @field_validator("state_dir", "reports_dir", "checks_dir", "expectations_dir", "backfill_dir")
    @classmethod
    def _folder(cls, value: str) -> str:
        if not value.strip() or "\x00" in value:
            raise ValueError("must name a folder (relative to the catalog's folder, or absolute)")
        return value

    @model_validator(mode="after")
    def _window(self) -> Settings:
        for name in ("default_start_date", "default_end_date"):
            day = getattr(self, name)
            if day is not None and not EARLIEST <= day <= LATEST:
                raise ValueError(f"{name} {day} is outside {EARLIEST}..{LATEST}")
        if self.default_end_date is not None and self.default_start_date > self.default_end_date:
            raise ValueError("default_start_date is after default_end_date")
        return self


class Phase(_Strict):
    name: str
    description: str = ""
    upstream_phase: str | None = None
    datasets: tuple[str, ...] = ()

    @field_validator("name", "upstream_phase")
    @classmethod
    def _ident(cls, value: str | None) -> str | None:
        return None if value is None else check_identifier(value, "phase name")

    @field_validator("datasets")
    @classmethod
    def _datasets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for dataset in value:
            check_identifier(dataset, "dataset")
        return value


class Table(_Strict):
    """One catalogued table: what it is, where it lives, what it reads, what must hold."""

    name: str
    phase: str
    dataset: str
    grain: Grain
    key: tuple[str, ...]
    key_unique: bool = True
    date_column: str
    # Columns that name the team(s) a row belongs to; game coverage is measured through them.
    team_columns: tuple[str, ...]
    game_id_column: str | None = None
    processed_at_column: str = "processed_at"
    upstream: tuple[str, ...] = ()
    # Upstream inputs the processor can do without on a date (it LEFT JOINs them: prop lines,
    # game lines, shot zones; or it reads only earlier dates of them): their absence never
    # blocks a date nor explains its gap. Every other upstream input is required on the date.
    optional_upstream: tuple[str, ...] = ()
    # A path to a BigQuery SQL SELECT, or a command template; None for raw (scraped) tables.
    processor: str | tuple[str, ...] | None = None
    date_coverage: float = Field(1.0, ge=0.0, le=1.0)
    game_coverage: float = Field(1.0, ge=0.0, le=1.0)
    measure_coverage: bool = True
    bootstrap: BootstrapPolicy = "include"
    rows_per_game: tuple[int, int] | None = None
    rows_per_date: tuple[int, int] | None = None
    columns: tuple[str, ...] = ()
    max_null_rate: dict[str, float] = Field(default_factory=dict)
    partition_column: str | None = None
    cluster_by: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    max_feature_null_rate: float = Field(0.05, ge=0.0, le=1.0)
    # Hand-written invariants, each checks/<phase>/sql/<table>.<check>.sql: catalogued so that a
    # deleted file is a configuration error rather than a check that silently stops running.
    checks: tuple[str, ...] = ()
    # The table has a Great Expectations suite, <expectations_dir>/<phase>/<table>.json: catalogued
    # for the same reason, so a deleted suite is a configuration error, never a GO on fewer rules.
    suite: bool = False
    # upstream table -> how far back the processor reads it (see Lookback); undeclared: 0.
    lookback: dict[str, Lookback] = Field(default_factory=dict)
    # The reproduction audit: float column -> absolute tolerance (default settings.audit_tolerance);
    # columns it never compares besides AUDIT_IGNORED. (A command processor is not audited.)
    audit_tolerance: dict[str, float] = Field(default_factory=dict)
    audit_ignore: tuple[str, ...] = ()
    # Physical or definitional [min, max] of a feature, by name (never by index: platform-facts
    # §8, FEATURE_BOUNDS drifted from FEATURE_NAMES); NaN and +-Inf are always out of bounds.
    feature_bounds: dict[str, tuple[float, float]] = Field(default_factory=dict)
    # The sides of a game, checked against the game id and the schedule (game_id_consistency):
    # home_column is TRUE on the home team's row (the 3rd token of YYYYMMDD_AWAY_HOME),
    # opponent_column names the other team of the game, season_column is the schedule's season.
    home_column: str | None = None
    opponent_column: str | None = None
    season_column: str | None = None
    description: str = ""

    @field_validator("name", "phase", "dataset", "date_column", "game_id_column",
                     "processed_at_column", "partition_column", "home_column", "opponent_column", "season_column")
    @classmethod
    def _ident(cls, value: str | None) -> str | None:
        return None if value is None else check_identifier(value)

    @field_validator("lookback")
    @classmethod
    def _lookback(cls, value: dict[str, Lookback]) -> dict[str, Lookback]:
        for upstream, back in value.items():
            check_identifier(upstream)
            if isinstance(back, bool) or (isinstance(back, int) and not 0 <= back <= 100):
                raise ValueError(f"lookback.{upstream} = {back!r}: a number of game dates in 0..100 or \"season\"")
        return value

    @field_validator("audit_tolerance")
    @classmethod
    def _tolerances(cls, value: dict[str, float]) -> dict[str, float]:
        for column, tol in value.items():
            check_identifier(column)
            if not tol >= 0.0:
                raise ValueError(f"audit_tolerance.{column} = {tol} must be >= 0")
        return value

    @field_validator("key", "team_columns", "upstream", "optional_upstream", "columns", "cluster_by", "features",
                     "checks", "audit_ignore")
    @classmethod
    def _idents(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            check_identifier(item)
        if len(set(value)) != len(value):
            raise ValueError(f"duplicate entries in {list(value)}")
        return value

    @field_validator("key")
    @classmethod
    def _non_empty(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("must name at least one column")
        return value

    @model_validator(mode="after")
    def _coverage_needs_teams(self) -> Table:
        if self.measure_coverage and not self.team_columns:
            raise ValueError("team_columns must name at least one column when coverage is measured")
        return self

    @field_validator("max_null_rate")
    @classmethod
    def _null_rates(cls, value: dict[str, float]) -> dict[str, float]:
        for column, rate in value.items():
            check_identifier(column)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"max_null_rate.{column} = {rate} is outside [0, 1]")
        return value

    @model_validator(mode="after")
    def _feature_bounds(self) -> Table:
        for name, (lo, hi) in self.feature_bounds.items():
            if name not in self.features:
                raise ValueError(f"feature_bounds.{name}: not one of the table's features")
            if not lo <= hi:
                raise ValueError(f"feature_bounds.{name} = [{lo}, {hi}] must be [min, max] with min <= max")
        return self

    @field_validator("rows_per_game", "rows_per_date")
    @classmethod
    def _bounds(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not 0 <= value[0] <= value[1] <= MAX_ROWS_BOUND:
            raise ValueError(f"bounds {list(value)} must be [min, max] with 0 <= min <= max <= {MAX_ROWS_BOUND:,}")
        return value

    @field_validator("processor")
    @classmethod
    def _processor(cls, value: str | tuple[str, ...] | None) -> str | tuple[str, ...] | None:
        if isinstance(value, tuple) and (not value or not value[0].strip()):
            raise ValueError("a command processor needs at least the program name")
        if isinstance(value, tuple) and any(p in value[0] for p in ("{start}", "{end}", "{dates}")):
            raise ValueError("the program of a command processor cannot be a placeholder")
        if any("\x00" in part for part in ((value,) if isinstance(value, str) else value or ())):
            raise ValueError("contains a NUL byte")
        return value

    def lookback_of(self, upstream: str) -> Lookback:
        """How far back the processor reads `upstream` (0: the row's own date)."""
        return self.lookback.get(upstream, 0)

    @property
    def required_upstream(self) -> tuple[str, ...]:
        """Upstream inputs that must hold rows on a date for this table to be built there."""
        return tuple(u for u in self.upstream if u not in self.optional_upstream)

    @property
    def ref(self) -> str:
        """`dataset.table` — validated identifiers only, safe to place in SQL."""
        return f"{self.dataset}.{self.name}"

    @property
    def partition(self) -> str:
        return self.partition_column or self.date_column

    @property
    def is_command_processor(self) -> bool:
        return isinstance(self.processor, tuple)

    @property
    def skips_bootstrap(self) -> bool:
        return self.bootstrap == "skip"

    @property
    def counts_bootstrap(self) -> bool:
        return self.bootstrap == "include"

    def required_columns(self) -> tuple[str, ...]:
        cols: list[str] = [*self.key, self.date_column, *self.team_columns, self.processed_at_column]
        if self.game_id_column:
            cols.append(self.game_id_column)
        cols.extend(self.columns)
        cols.extend(self.max_null_rate)
        cols.extend(c for c in (self.home_column, self.opponent_column, self.season_column) if c)
        return tuple(dict.fromkeys(cols))


class Catalog(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    path: Path
    root: Path
    settings: Settings
    phases: dict[str, Phase]
    tables: dict[str, Table]
    fingerprint: str

    def table(self, name: str) -> Table:
        try:
            return self.tables[name]
        except KeyError:
            from phasegate.errors import UsageError

            known = ", ".join(sorted(self.tables))
            raise UsageError(f"unknown table {name!r}; the catalog knows: {known}") from None

    def phase(self, name: str) -> Phase:
        try:
            return self.phases[name]
        except KeyError:
            from phasegate.errors import UsageError

            raise UsageError(f"unknown phase {name!r}; the catalog knows: {', '.join(self.phases)}") from None

    def tables_of(self, phase: str) -> list[Table]:
        self.phase(phase)
        return [t for t in self.tables.values() if t.phase == phase]

    @cached_property
    def schedule(self) -> Table:
        return self.table(self.settings.schedule_table)

    def datasets_of(self, phase: str) -> list[str]:
        declared = self.phase(phase).datasets
        found = [t.dataset for t in self.tables_of(phase)]
        return list(dict.fromkeys([*declared, *found]))

    def topological_order(self, names: list[str] | None = None) -> list[str]:
        """Tables in dependency order (upstream first), restricted to `names` if given."""
        order = list(TopologicalSorter({t.name: set(t.upstream) for t in self.tables.values()}).static_order())
        return [n for n in order if names is None or n in names]

    def downstream_of(self, name: str) -> set[str]:
        out: set[str] = set()
        frontier = [name]
        while frontier:
            current = frontier.pop()
            for t in self.tables.values():
                if current in t.upstream and t.name not in out:
                    out.add(t.name)
                    frontier.append(t.name)
        return out

    # -- where things live: every path of the project is resolved here, relative to the
    # -- catalog's folder (the project that owns the catalog), never to the caller's folder.

    def _under_root(self, value: str) -> Path:
        path = Path(value)
        return path if path.is_absolute() else self.root / path

    @property
    def state_dir(self) -> Path:
        """Local state: run logs, locks."""
        return self._under_root(self.settings.state_dir)

    @property
    def reports_dir(self) -> Path:
        return self._under_root(self.settings.reports_dir)

    def checks_dir(self, phase: str) -> Path:
        """checks/<phase>: the gate's pytest modules of a phase."""
        return self._under_root(self.settings.checks_dir) / phase

    def check_sql_dir(self, phase: str) -> Path:
        """checks/<phase>/sql: table-specific invariants, `<table>.<check>.sql`."""
        return self.checks_dir(phase) / "sql"

    def check_shared_dir(self) -> Path:
        """checks/shared: CTEs that several check files name in their `-- shared:` line."""
        return self._under_root(self.settings.checks_dir) / "shared"

    def expectations_dir(self, phase: str) -> Path:
        """expectations/<phase>: Great Expectations suites, `<table>.json`."""
        return self._under_root(self.settings.expectations_dir) / phase

    def processor_shared_dir(self) -> Path:
        """backfill/shared: CTEs that several processors name in their `-- shared:` line."""
        return self._under_root(self.settings.backfill_dir) / "shared"

    def processor_path(self, table: Table) -> Path | None:
        if table.processor is None or table.is_command_processor:
            return None
        return (self.root / table.processor).resolve()


def _format_validation_error(path: Path, where: str, err: ValidationError) -> str:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "(entry)"
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        msg = "required field is missing"
    elif first["type"] == "extra_forbidden":
        msg = "unknown field"
    return f"{path}: {where}: field {field!r}: {msg}"


MAX_CONFIG_BYTES = 4 * 1024 * 1024


def shown_path(path: Path | str) -> str:
    """A path as a one-line message can show it (a 5000-character path is cut, not printed)."""
    text = str(path)
    return text if len(text) <= 200 else text[:90] + "..." + text[-90:]


def check_path_text(path: Path | str, what: str, error: type[Exception]) -> Path:
    """A path a person typed, as the operating system can take it: never empty, no NUL byte,
    valid UTF-8 (a name the terminal mangled is refused, not looked up), not absurdly long."""
    text = str(path)
    if not text.strip():
        raise error(f"the {what} path is empty")
    if "\x00" in text:
        raise error(f"the {what} path {shown_path(text)!r} contains a NUL byte")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise error(f"the {what} path {shown_path(text)!r} is not valid UTF-8") from None
    if len(os.fsencode(text)) > MAX_PATH_BYTES:
        raise error(f"the {what} path is {len(text)} characters long: too long to be a file name")
    return Path(path)


# Linux's PATH_MAX; a longer path is a mistake, and the OS would refuse it anyway.
MAX_PATH_BYTES = 4096


def read_text_file(path: Path, what: str, error: type[Exception]) -> str:
    """A configuration file's text; anything that is not a readable UTF-8 regular file is `error` (one line).

    A folder, a device (/dev/null, /dev/stdin: reading could block) or a binary file is refused.
    """
    path = check_path_text(path, what, error)
    try:
        if path.is_dir():
            raise error(f"{shown_path(path)}: the {what} is a folder, not a file")
        if path.exists() and not path.is_file():
            raise error(f"{shown_path(path)}: the {what} is not a regular file")
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise error(f"{shown_path(path)}: the {what} is larger than {MAX_CONFIG_BYTES // 1024 // 1024} MiB")
        data = path.read_bytes()
        if b"\x00" in data:
            raise error(f"{shown_path(path)}: the {what} is a binary file, not TOML text")
        return data.decode("utf-8")
    except FileNotFoundError:
        raise error(f"{shown_path(path)}: {what} not found") from None
    except UnicodeDecodeError:
        raise error(f"{shown_path(path)}: the {what} is not a UTF-8 text file") from None
    except OSError as exc:
        raise error(f"{shown_path(path)}: cannot read the {what}: {exc.strerror or exc}") from None


DEFAULT_CATALOG = "pipeline.toml"
CATALOG_ENV = "PHASEGATE_CATALOG"


def catalog_path(given: str | Path | None = None) -> Path:
    """The catalog a command means: the one given, else $PHASEGATE_CATALOG, else ./pipeline.toml.

    An empty value is a usage error, never "the default": a mistyped variable must not
    silently validate another project.
    """
    from phasegate.errors import UsageError

    if given is not None:
        if not str(given).strip():
            raise UsageError("--catalog is empty (give the path of a pipeline.toml)")
        return Path(given)
    env = os.environ.get(CATALOG_ENV)
    if env is not None:
        if not env.strip():
            raise UsageError(f"{CATALOG_ENV} is set but empty (unset it or give the path of a pipeline.toml)")
        return Path(env)
    return Path(DEFAULT_CATALOG)


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load and validate the catalog; any problem raises CatalogError with one clear line."""
    path = catalog_path(path)
    text = read_text_file(path, "catalog file", CatalogError)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{shown_path(path)}: not valid TOML: {exc}") from None

    unknown = set(raw) - {"settings", "phases", "tables"}
    if unknown:
        raise CatalogError(f"{path}: unknown top-level section(s): {', '.join(sorted(unknown))}")
    try:
        settings = Settings(**raw.get("settings", {}))
    except ValidationError as err:
        raise CatalogError(_format_validation_error(path, "[settings]", err)) from None

    phases: dict[str, Phase] = {}
    for name, body in raw.get("phases", {}).items():
        if not isinstance(body, dict):
            raise CatalogError(f"{path}: [phases.{name}] must be a table")
        try:
            phases[name] = Phase(name=name, **body)
        except ValidationError as err:
            raise CatalogError(_format_validation_error(path, f"phase {name!r}", err)) from None
    if not phases:
        raise CatalogError(f"{path}: no [phases.*] declared")

    tables: dict[str, Table] = {}
    raw_tables = raw.get("tables", {})
    if not isinstance(raw_tables, dict) or not raw_tables:
        raise CatalogError(f"{path}: no [tables.*] declared")
    for name, body in raw_tables.items():
        if not isinstance(body, dict):
            raise CatalogError(f"{path}: [tables.{name}] must be a table")
        if "name" in body:
            raise CatalogError(f"{path}: table {name!r}: field 'name' comes from the section header")
        body = dict(body)
        if isinstance(body.get("processor"), list):
            body["processor"] = tuple(body["processor"])
        body.setdefault("date_coverage", settings.coverage_threshold)
        body.setdefault("game_coverage", settings.coverage_threshold)
        try:
            tables[name] = Table(name=name, **body)
        except ValidationError as err:
            raise CatalogError(_format_validation_error(path, f"table {name!r}", err)) from None

    _check_references(path, settings, phases, tables)
    root = path.resolve().parent
    for table in tables.values():
        _check_processor(path, root, table)

    return Catalog(path=path, root=root, settings=settings, phases=phases, tables=tables,
                   fingerprint=hashlib.sha256(text.encode()).hexdigest()[:12])


def _check_processor(path: Path, root: Path, table: Table) -> None:
    """A SQL processor is a .sql file inside the project folder (never a path that escapes it);
    a command processor's program exists (on PATH, or as a path from the catalog's folder, where
    it runs), found when the catalog loads, not when a backfill reaches it."""
    where = f"{path}: table {table.name!r}: field 'processor'"
    if isinstance(table.processor, tuple):
        program = table.processor[0]
        if os.sep in program or (os.altsep and os.altsep in program):
            target = Path(program) if Path(program).is_absolute() else root / program
            if not target.is_file() or not os.access(target, os.X_OK):
                raise CatalogError(f"{where}: program {shown_path(program)} does not exist or is not executable")
        elif shutil.which(program) is None:
            raise CatalogError(f"{where}: program {shown_path(program)!r} is not found on PATH")
        return
    if isinstance(table.processor, str):
        # lexically inside the project (a symlinked folder is fine; `..` and absolute paths are not)
        target = Path(os.path.normpath(root / table.processor))
        if not target.is_relative_to(root):
            raise CatalogError(f"{where}: {table.processor} is outside the project folder {root}")
        if target.suffix != ".sql" or not target.is_file():
            raise CatalogError(f"{where}: file {table.processor} does not exist (expected a .sql file)")


def _check_references(path: Path, settings: Settings, phases: dict[str, Phase], tables: dict[str, Table]) -> None:
    for phase in phases.values():
        if phase.upstream_phase and phase.upstream_phase not in phases:
            raise CatalogError(
                f"{path}: phase {phase.name!r}: field 'upstream_phase': unknown phase {phase.upstream_phase!r}")
    try:
        TopologicalSorter({p.name: {p.upstream_phase} if p.upstream_phase else set()
                           for p in phases.values()}).prepare()
    except CycleError as exc:
        raise CatalogError(f"{path}: cycle between phases: {' -> '.join(exc.args[1])}") from None
    for table in tables.values():
        where = f"{path}: table {table.name!r}"
        if table.phase not in phases:
            raise CatalogError(f"{where}: field 'phase': unknown phase {table.phase!r}")
        for upstream in table.upstream:
            if upstream not in tables:
                raise CatalogError(f"{where}: field 'upstream': unknown table {upstream!r}")
            if upstream == table.name:
                raise CatalogError(f"{where}: field 'upstream': a table cannot depend on itself")
        unknown = [u for u in table.lookback if u not in table.upstream]
        if unknown:
            raise CatalogError(f"{where}: field 'lookback': names {', '.join(unknown)}, not in upstream")
        extra = [u for u in table.optional_upstream if u not in table.upstream]
        if extra:
            raise CatalogError(f"{where}: field 'optional_upstream': names {', '.join(extra)}, not in upstream")
        if table.date_column not in table.key:
            raise CatalogError(f"{where}: field 'key': must include the date column {table.date_column!r}")
        if table.features and table.max_feature_null_rate is None:
            raise CatalogError(f"{where}: field 'max_feature_null_rate' is required with features")
    if settings.schedule_table not in tables:
        raise CatalogError(f"{path}: [settings]: field 'schedule_table': unknown table {settings.schedule_table!r}")
    try:
        TopologicalSorter({t.name: set(t.upstream) for t in tables.values()}).prepare()
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise CatalogError(f"{path}: dependency cycle between tables: {cycle}") from None

