"""Scenario files: what data, which policy, which solver — strict, with defaults in one place.

A scenario is YAML read with a safe loader. Every key is declared below with its default;
an unknown key, a repeated key or a value of the wrong type (validated strictly: no "1" for 1,
no true for 1) is an error naming the file, the key path and the line.
`--set key=value` overrides one dotted key (the value is read as YAML: numbers, lists, maps).
"""

from __future__ import annotations

import errno
import math
import os
import re
import stat
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from solver.domain import AUX_CATEGORIES, KINDS, QUOTA_TYPES, TIERS
from solver.errors import ScenarioError
from solver.leaders import DEFAULT_BANDS, DEFAULT_SHARE, Band, LeaderRules, check_bands

# YAML 1.1 reads 5e-2 (an exponent without a dot) as text; where a number is expected it is one
_EXPONENT = re.compile(r"[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+")


def _exponent_number(value: Any) -> Any:
    if isinstance(value, str) and _EXPONENT.fullmatch(value.strip()):
        return float(value.strip().replace("_", ""))
    return value


# a number option: finite (allow_inf_nan=False on every model), 5e-2 read as 0.05
Number = Annotated[float, BeforeValidator(_exponent_number)]


class Strict(BaseModel):
    # no .inf or .nan in any number option: an infinite cost or weight makes a wrong plan
    model_config = ConfigDict(extra="forbid", frozen=False, allow_inf_nan=False)


# Upper bounds of the weights: far above any meaningful setting, low enough that the solver's
# objective keeps its precision (costs and weights multiply counts of up to 10**9 quotas).
MAX_COST = 1000.0
MAX_WEIGHT = 1000.0
MAX_INCENTIVE = 100.0


class SourceCosts(Strict):
    """Cost per quota moved, by the closest relation of donor and recipient (the ladder)."""

    own: Number = Field(0.0, ge=0, le=MAX_COST)
    same_system: Number = Field(1.0, ge=0, le=MAX_COST)
    same_sector: Number = Field(2.0, ge=0, le=MAX_COST)
    other: Number = Field(3.0, ge=0, le=MAX_COST)
    pool: Number = Field(4.0, ge=0, le=MAX_COST)
    # only used when policy.allow_cross_region is true
    cross_region: Number = Field(6.0, ge=0, le=MAX_COST)

    @model_validator(mode="after")
    def _ladder(self) -> SourceCosts:
        rungs = [self.own, self.same_system, self.same_sector, self.other, self.pool]
        if any(b <= a for a, b in zip(rungs, rungs[1:])):
            raise ValueError(
                "source_costs must rise along the ladder own < same_system < same_sector "
                f"< other < pool; got {rungs}"
            )
        if self.own != 0:
            raise ValueError("source_costs.own must be 0: a unit's own vacancy moves nothing")
        if self.cross_region <= self.other:
            raise ValueError("source_costs.cross_region must be above source_costs.other")
        return self

    def min_gap(self) -> float:
        rungs = sorted({self.own, self.same_system, self.same_sector, self.other, self.pool,
                        self.cross_region})
        return min(b - a for a, b in zip(rungs, rungs[1:]))


def rates_by_type(value, what: str, example: str):
    """A share in [0, 1): one number, or a map by quota type (known types only)."""
    if isinstance(value, dict):
        unknown = set(value) - set(QUOTA_TYPES)
        if unknown:
            raise ValueError(f"unknown quota type(s) {sorted(unknown)}; expected "
                             f"{', '.join(QUOTA_TYPES)}")
    for rate in (value.values() if isinstance(value, dict) else [value]):
        if not (math.isfinite(rate) and 0 <= rate < 1):
            raise ValueError(f"{what} {rate} must be between 0 and 1 (e.g. {example})")
    return value


class Policy(Strict):
    """The rules of the reallocation (DOMAIN.md, "Hard rules of the city")."""

    reserve_rate: Number | dict[str, Number] = 0.03
    full_units_release_first: list[str] = Field(default_factory=lambda: ["operational"])
    key_demands_hard: bool = False
    source_costs: SourceCosts = Field(default_factory=SourceCosts)
    incentive: Number = Field(0.0, ge=0, le=MAX_INCENTIVE)
    allow_cross_region: bool = False

    @field_validator("reserve_rate")
    @classmethod
    def _rate(cls, value):
        return rates_by_type(value, "reserve_rate", "0.03")

    @field_validator("full_units_release_first")
    @classmethod
    def _tiers(cls, value):
        unknown = [t for t in value if t not in TIERS]
        if unknown:
            raise ValueError(f"unknown tier(s) {unknown}; expected {', '.join(TIERS)}")
        return value

    def rate_for(self, quota_type: str) -> float:
        if isinstance(self.reserve_rate, dict):
            return float(self.reserve_rate.get(quota_type, 0.03))
        return float(self.reserve_rate)


class CadreWeightsModel(Strict):
    """Suitability weights (solver/cadres/model.py states the formula)."""

    skills: Number = Field(3.0, ge=0, le=MAX_WEIGHT)
    preference: Number = Field(2.0, ge=0, le=MAX_WEIGHT)
    experience: Number = Field(1.0, ge=0, le=MAX_WEIGHT)
    health: Number = Field(1.0, ge=0, le=MAX_WEIGHT)
    return_base: Number = Field(4.0, ge=0, le=MAX_WEIGHT)
    retirement_base: Number = Field(4.0, ge=0, le=MAX_WEIGHT)
    transfer_base: Number = Field(1.0, ge=0, le=MAX_WEIGHT)
    stay_penalty: Number = Field(2.0, ge=0, le=MAX_WEIGHT)


class Cadres(Strict):
    """Surplus cadres (issue 4): run when the data has people."""

    enabled: bool = True
    weights: CadreWeightsModel = Field(default_factory=CadreWeightsModel)
    transfers: bool = True  # allow transfer with the quota (带编调剂)
    transfer_min_fit: Number = Field(0.8, ge=0, le=1)


MAX_TIME_LIMIT = 7 * 24 * 3600.0  # a week, in seconds


class SolverOptions(Strict):
    # the command line assigns --solver and --time-limit after the file is read: check them too
    model_config = ConfigDict(validate_assignment=True)

    name: Literal["highs", "cbc"] = "highs"
    time_limit: Number | None = Field(None, gt=0, le=MAX_TIME_LIMIT)

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            super().__setattr__(name, value)
        except ValidationError as exc:
            raise ScenarioError(f"solver.{name}: {exc.errors()[0]['msg']} (got {value!r})"
                                ) from None


DEFAULT_ESSENTIAL_WEIGHTS = {
    "medical": 3.0, "auxiliary_police": 3.0, "teaching_aide": 2.0, "inspector": 1.0,
    "service_window": 1.0, "logistics": 1.0, "other": 1.0}
MAX_VACANCY_OFFSET = 100.0  # off-quota positions one vacancy takes over


class AuxSettings(Strict):
    """Off-quota positions (issue 7)."""

    enabled: bool = True
    reduction: Number = Field(0.1, ge=0, lt=1)
    essential_weights: dict[str, Annotated[Number, Field(gt=0, le=MAX_WEIGHT)]] = Field(
        default_factory=lambda: dict(DEFAULT_ESSENTIAL_WEIGHTS))
    vacancy_offset: Number = Field(1.0, ge=0, le=MAX_VACANCY_OFFSET)

    @field_validator("essential_weights", mode="before")
    @classmethod
    def _over_defaults(cls, value):
        # maps merge key by key, the defaults being the lowest layer: setting one category's
        # weight keeps the others
        if not isinstance(value, dict):
            return value
        unknown = [k for k in value if k not in AUX_CATEGORIES]
        if unknown:
            raise ValueError(f"unknown categor{'ies' if len(unknown) > 1 else 'y'} "
                             f"{', '.join(map(str, unknown))}; expected "
                             f"{', '.join(AUX_CATEGORIES)}")
        return {**DEFAULT_ESSENTIAL_WEIGHTS, **value}


MAX_UNIT_SIZE = 100_000  # quotas of one institution


class ConsolidationSettings(Strict):
    """Merging small, scattered, weak institutions (issue 7)."""

    enabled: bool = False
    threshold: int = Field(5, ge=1, le=MAX_UNIT_SIZE)
    max_size: int = Field(30, ge=1, le=MAX_UNIT_SIZE)
    overhead_per_unit: int = Field(1, ge=0, le=MAX_UNIT_SIZE)

    @model_validator(mode="after")
    def _sizes(self) -> ConsolidationSettings:
        if self.threshold > self.max_size:
            raise ValueError(f"threshold {self.threshold} must not exceed max_size "
                             f"{self.max_size} (a merger of small units must fit the size cap)")
        return self


MIN_YEAR, MAX_YEAR = 1950, 2100
MAX_HORIZON_YEARS = 30  # a plan of more years is not a five-year plan


class Horizon(Strict):
    """The years a plan covers (issue 12): one plan per year from `start` to `end`.

    `perfect`: one model over all years, knowing every year's leavers and demands; `myopic`:
    year by year, each year knowing only itself (what a committee deciding each year alone
    would reach)."""

    start: int = Field(..., ge=MIN_YEAR, le=MAX_YEAR)
    end: int = Field(..., ge=MIN_YEAR, le=MAX_YEAR)
    foresight: Literal["perfect", "myopic"] = "perfect"

    @model_validator(mode="after")
    def _years(self) -> Horizon:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}; the horizon runs "
                             "from start to end (e.g. 2021 to 2025)")
        if self.end - self.start + 1 > MAX_HORIZON_YEARS:
            raise ValueError(f"{self.end - self.start + 1} years is more than "
                             f"{MAX_HORIZON_YEARS}; plan at most {MAX_HORIZON_YEARS} years")
        return self

    @property
    def years(self) -> list[int]:
        return list(range(self.start, self.end + 1))


class Attrition(Strict):
    """Other leavers a year (resignations, deaths, moves out of the system) as a share of a
    unit's staff: one rate, or a map by quota type (types not named: 0)."""

    rate: Number | dict[str, Number] = 0.0

    @field_validator("rate")
    @classmethod
    def _rate(cls, value):
        return rates_by_type(value, "attrition rate", "0.02")

    def rate_for(self, quota_type: str) -> float:
        if isinstance(self.rate, dict):
            return float(self.rate.get(quota_type, 0.0))
        return float(self.rate)


MAX_BAND_SIZE = 10**9  # approved quotas (no unit holds more: see validate.MAX_COUNT)


class LeaderBand(Strict):
    """One size band of leader-post limits: up to `up_to` approved quotas (null: no upper
    end), between `min` and `max` leader posts (only `max` is checked; `min` is documented)."""

    up_to: int | None = Field(..., ge=0, le=MAX_BAND_SIZE)
    min: int = Field(..., ge=0, le=MAX_UNIT_SIZE)
    max: int = Field(..., ge=0, le=MAX_UNIT_SIZE)

    @model_validator(mode="after")
    def _order(self) -> LeaderBand:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self

    def band(self) -> Band:
        return Band(self.up_to, self.min, self.max)


def _default_leader_bands() -> dict[str, list[LeaderBand]]:
    return {kind: [LeaderBand(up_to=b.up_to, min=b.min_posts, max=b.max_posts) for b in bands]
            for kind, bands in DEFAULT_BANDS.items()}


def _sorted_bands(value: list[LeaderBand]) -> list[LeaderBand]:
    check_bands([b.band() for b in value])
    return value


# one kind's bands: sorted by size, the last open-ended ([] : no bands, the share applies)
LeaderBands = Annotated[list[LeaderBand], AfterValidator(_sorted_bands)]


class LeaderPostSettings(Strict):
    """Leader posts (领导职数): limits by unit kind and approved size (docs/rules.md § 19)."""

    # per unit kind, bands sorted by size, the last open-ended; a kind not listed (or
    # given []) falls back to share_fallback
    bands: dict[str, LeaderBands] = Field(default_factory=_default_leader_bands)
    share_fallback: Number = Field(DEFAULT_SHARE, gt=0, le=1)
    # true: a merged group keeps no more leader posts than the limit of its merged size
    hard_limit_on_mergers: bool = False

    @field_validator("bands", mode="before")
    @classmethod
    def _over_defaults(cls, value):
        # maps merge key by key, the defaults being the lowest layer: bands for organs keep
        # the institutions' default table; `institution: []` removes it
        if not isinstance(value, dict):
            return value
        unknown = [k for k in value if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown unit kind{'s' if len(unknown) > 1 else ''} "
                             f"{', '.join(map(str, unknown))}; expected {', '.join(KINDS)}")
        defaults = {kind: [b.model_dump() for b in bands]
                    for kind, bands in _default_leader_bands().items()}
        return {**defaults, **value}

    def rules(self) -> LeaderRules:
        """The limits as `solver.leaders` applies them."""
        return LeaderRules(bands={k: tuple(b.band() for b in v) for k, v in self.bands.items()},
                           share_fallback=float(self.share_fallback))


def _finite_values(value: Any) -> Any:
    """A data edit's argument with no infinite or NaN number anywhere in it."""
    bad = _non_finite(value, "")
    if bad is not None:
        where, number = bad
        raise ValueError(f"{where + ': ' if where else ''}{number} is not a finite number")
    return value


def _non_finite(value: Any, path: str) -> tuple[str, float] | None:
    if isinstance(value, float) and not math.isfinite(value):
        return path, value
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for key, v in items:
        found = _non_finite(v, f"{path}.{key}" if path else str(key))
        if found:
            return found
    return None


Op = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not_in"]


class Condition(Strict):
    """One filter of a data edit: `column op value` (a column of the table, or unit.<col>)."""

    column: str
    op: Op = "=="
    value: Any = None

    @field_validator("value")
    @classmethod
    def _finite(cls, value):
        return _finite_values(value)


class DataEdit(Strict):
    """A declarative edit of an input table: exactly one of scale, set, add, drop.

    `origin` (set by the resolver) says where the edit was written, for messages.
    """

    table: Literal["units", "quotas", "pool", "demands", "people", "task_groups",
                   "aux_positions"]
    where: list[Condition] = Field(default_factory=list)
    scale: dict[str, Number] | None = None
    set: dict[str, Any] | None = None
    add: list[dict[str, Any]] | None = None
    drop: bool = False
    _origin: str = PrivateAttr(default="")

    @property
    def origin(self) -> str:
        return self._origin

    @field_validator("set", "add")
    @classmethod
    def _finite(cls, value):
        return _finite_values(value)

    @model_validator(mode="after")
    def _one_action(self) -> DataEdit:
        actions = [self.scale is not None, self.set is not None, self.add is not None, self.drop]
        if sum(actions) != 1:
            raise ValueError("a data edit does exactly one of scale, set, add or drop")
        if self.add is not None and self.where:
            raise ValueError("add takes no where: it appends rows")
        return self




class Scenario(Strict):
    """A scenario file. Defaults here are the documented defaults of the tool."""

    name: str = "unnamed"
    description: str = ""
    data: str = "."
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR)
    extends: list[str] = Field(default_factory=list)
    policy: Policy = Field(default_factory=Policy)
    cadres: Cadres = Field(default_factory=Cadres)
    aux: AuxSettings = Field(default_factory=AuxSettings)
    consolidation: ConsolidationSettings = Field(default_factory=ConsolidationSettings)
    leader_posts: LeaderPostSettings = Field(default_factory=LeaderPostSettings)
    horizon: Horizon | None = None
    attrition: Attrition = Field(default_factory=Attrition)
    retirement: Literal["statutory", "none"] = "statutory"
    solver: SolverOptions = Field(default_factory=SolverOptions)
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    apply: list[str] = Field(default_factory=list)
    data_edits: list[DataEdit] = Field(default_factory=list)
    sweep: dict[str, list[Any]] = Field(default_factory=dict)

    # recorded by the resolver (not YAML keys a user writes)
    base_dir: Path = Field(default=Path("."), exclude=True)
    sources: list[str] = Field(default_factory=list, exclude=True)
    applied_overrides: list[str] = Field(default_factory=list, exclude=True)
    sets: list[str] = Field(default_factory=list, exclude=True)
    point: dict[str, Any] = Field(default_factory=dict, exclude=True)
    # the run took the current calendar year as the plan year (neither the scenario nor the
    # data gave one); it is recorded as the --set year=… it amounts to
    year_assumed: bool = Field(False, exclude=True)

    @field_validator("extends", "apply", mode="before")
    @classmethod
    def _one_or_list(cls, value):
        return [value] if isinstance(value, str) else value

    @field_validator("sweep")
    @classmethod
    def _sweep(cls, value):
        empty = [k for k, v in value.items() if not v]
        if empty:
            raise ValueError(f"sweep over {', '.join(empty)}: give at least one value")
        return value

    @property
    def data_path(self) -> Path:
        path = Path(self.data)
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    def resolved(self) -> dict[str, Any]:
        """The fully resolved scenario as plain data (recorded in summary.json)."""
        out = self.model_dump(mode="json", exclude=INTERNAL | {"extends", "overrides", "apply"})
        out["data"] = str(self.data_path)
        out["resolution"] = {"files": self.sources, "applied_overrides": self.applied_overrides,
                             "point": self.point, "sets": self.sets}
        return out


INTERNAL = {"base_dir", "sources", "applied_overrides", "sets", "point", "year_assumed"}
TOP_KEYS = set(Scenario.model_fields) - INTERNAL
# keys that steer the resolution itself: a file sets them, not an override, a sweep or --set
RESOLUTION_KEYS = ("extends", "overrides", "apply")


# ---------------------------------------------------------------- reading with line numbers


# Bounds on what a scenario file may make the reader do. A real scenario is a few kilobytes,
# a few levels deep, with at most a handful of anchors; a YAML "billion laughs" (anchors of
# anchors) would otherwise expand to billions of nodes when the file is walked.
MAX_FILE_BYTES = 1_000_000
MAX_ALIASES = 50
MAX_NODES = 100_000         # values after expanding every alias (a big `add` of rows fits)
MAX_DEPTH = 40              # nesting of maps and lists, aliases expanded
MAX_INT_DIGITS = 20         # no scenario value is near 10**20; Python refuses 4,300+ digits
MAX_KEY_PARTS = 20          # dotted key paths of --set and sweep


class _Refused(yaml.MarkedYAMLError):
    """Valid YAML that the reader refuses (too many aliases, too deep, an absurd number)."""


class _BoundedLoader(yaml.SafeLoader):
    """The safe loader with bounds on aliases, nesting and integer size."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(None, None, f"more than {MAX_ALIASES} alias uses (*name); a "
                               "scenario needs a few at most (this looks like an alias bomb)",
                               self.peek_event().start_mark)
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(None, None, f"nested more than {MAX_DEPTH} levels deep",
                               self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_int(self, node):
        # every notation counts (0x…, 0b…, 1:30:00): a hex number needs no digit limit to
        # be absurd
        digits = len(re.sub(r"^[-+]?0[xbo]|[-+_:]", "", str(node.value)))
        if digits > MAX_INT_DIGITS:
            raise _Refused(None, None, f"a whole number of {digits} digits: no scenario value "
                           f"has more than {MAX_INT_DIGITS}", node.start_mark)
        return super().construct_yaml_int(node)


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_yaml_int)


def _expanded_size(root: yaml.Node) -> None:
    """Refuse a node graph that expands (aliases followed) beyond MAX_NODES or MAX_DEPTH, or
    that contains itself (an alias to an enclosing node)."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    # iterative post-order: a recursive walk is what a deep or cyclic file would break
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = [] if isinstance(node, yaml.ScalarNode) else (
            [c for kv in node.value for c in kv] if isinstance(node, yaml.MappingNode)
            else list(node.value))
        if done:
            open_.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if size[key] > MAX_NODES:
                raise _Refused(None, None, f"expands to more than {MAX_NODES:,} values once "
                               "its aliases (*name) are followed", node.start_mark)
            if depth[key] > MAX_DEPTH:
                raise _Refused(None, None, f"nested more than {MAX_DEPTH} levels deep once its "
                               "aliases (*name) are followed", node.start_mark)
            continue
        if key in size:
            continue
        if key in open_:
            raise _Refused(None, None, "an alias (*name) refers to a map or list that "
                           "contains it", node.start_mark)
        open_.add(key)
        stack.append((node, True))
        stack += [(c, False) for c in children if id(c) not in size]


def load_yaml_text(text: str) -> tuple[Any, yaml.Node | None]:
    """Parse one YAML document with the bounded safe loader: (data, node)."""
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _expanded_size(node)
        return loader.construct_document(node), node
    finally:
        loader.dispose()


def _describe_mode(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_scenario_bytes(path: Path) -> bytes:
    """The bytes of a scenario file; a folder, FIFO, device, dangling or looping link is an
    error naming the path (never a hang: a FIFO is opened without waiting for a writer)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ScenarioError(f"{path}: a symbolic link that loops (it leads back to "
                                "itself); point it at a scenario file") from None
        if exc.errno == errno.ENOENT and os.path.islink(path):
            raise ScenarioError(f"{path}: a symbolic link to {os.readlink(path)}, which does "
                                "not exist") from None
        if exc.errno == errno.ENOENT:
            raise ScenarioError(f"{path}: scenario file not found") from None
        if exc.errno == errno.EISDIR:
            raise ScenarioError(f"{path}: a folder, not a scenario file") from None
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ScenarioError(f"{path}: {_describe_mode(mode)}, not a scenario file")
        chunks, total = [], 0
        while total <= MAX_FILE_BYTES:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > MAX_FILE_BYTES:
            raise ScenarioError(f"{path}: larger than {MAX_FILE_BYTES:,} bytes; a scenario "
                                "file is a few kilobytes of YAML")
        return b"".join(chunks)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)


def decode_scenario(path: Path, data: bytes) -> str:
    """UTF-8 text (a UTF-8 BOM is dropped); any other encoding is named, with the line."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ScenarioError(f"{path}, line 1: the file is encoded in UTF-16; save it as UTF-8")
    if b"\x00" in data:
        line = data[:data.index(b"\x00")].count(b"\n") + 1
        raise ScenarioError(f"{path}, line {line}: the file contains NUL bytes (UTF-16 without "
                            "a byte-order mark, or not a text file); save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        try:
            data.decode("gb18030")
            guess = " (it looks like GBK/GB18030)"
        except UnicodeDecodeError:
            guess = ""
        raise ScenarioError(f"{path}, line {line}, column {column}: not UTF-8{guess}; save the "
                            "file as UTF-8") from None


def _yaml_problem(exc: yaml.YAMLError, text: str, where: str) -> ScenarioError:
    """One message for a YAML error: the place, and what is wrong."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text[:exc.position].count("\n") + 1
        return ScenarioError(f"{where}, line {line}: not valid YAML: character "
                             f"{chr(exc.character)!r} is not allowed in YAML text")
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    place = f"{where}, line {mark.line + 1}, column {mark.column + 1}" if mark else where
    problem = getattr(exc, "problem", None) or str(exc)
    if isinstance(exc, _Refused):
        return ScenarioError(f"{place}: refused: {problem}")
    context = getattr(exc, "context", None)
    if "constructor for the tag" in problem:
        problem += " (scenario files are read with a safe loader: no Python tags)"
    return ScenarioError(f"{place}: not valid YAML: {problem}"
                         + (f" ({context})" if context else ""))


def read_yaml(path: Path) -> tuple[dict, dict[tuple, int]]:
    """A YAML map and the line of every key path in it (for messages)."""
    text = decode_scenario(path, read_scenario_bytes(path))
    try:
        raw, node = load_yaml_text(text)
    except yaml.YAMLError as exc:
        raise _yaml_problem(exc, text, str(path)) from None
    if raw is None:
        return {}, {}
    if not isinstance(raw, dict):
        line = node.start_mark.line + 1 if node is not None else 1
        raise ScenarioError(f"{path}, line {line}: (top level): a scenario is a map of keys "
                            f"(name, data, policy, …), not a {type(raw).__name__}")
    lines: dict[tuple, int] = {}

    def walk(n, prefix: tuple) -> None:
        # bounded: _expanded_size has capped the nodes and depth, aliases included
        if isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                here = prefix + (_key_value(key),)
                if here in lines:
                    dotted = ".".join(str(p) for p in here)
                    raise ScenarioError(
                        f"{path}, line {key.start_mark.line + 1}: {dotted}: repeated key (first "
                        f"on line {lines[here]}); YAML would silently keep only the last")
                lines[here] = key.start_mark.line + 1
                walk(value, here)
        elif isinstance(n, yaml.SequenceNode):
            for i, value in enumerate(n.value):
                lines[prefix + (i,)] = value.start_mark.line + 1
                walk(value, prefix + (i,))

    walk(node, ())
    return raw, lines


def _key_value(key: yaml.Node) -> Any:
    """A map key as written: a scalar's text; a map or list used as a key is named by its line
    (a scenario never has one; the schema check names the offender)."""
    if isinstance(key, yaml.ScalarNode):
        return key.value
    return f"<key on line {key.start_mark.line + 1}>"


def deep_merge(base: dict, patch: dict) -> dict:
    """Maps merge key by key; anything else in the patch replaces."""
    out = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


class _Layers:
    """The raw scenario built up layer by layer, remembering where each key came from."""

    def __init__(self) -> None:
        self.raw: dict = {}
        self.where: dict[tuple, str] = {}
        self.written: dict[tuple, tuple] = {}  # key path → the key path as written in its file

    def add(self, patch: dict, source: str, lines: dict[tuple, int] | None = None,
            prefix: tuple = (), written: tuple = ()) -> None:
        """Merge a patch; `written` is where it sits in its file (e.g. overrides.NAME)."""
        self.raw = deep_merge(self.raw, patch)

        def note(value, path: tuple) -> None:
            line = (lines or {}).get(prefix + path)
            self.where[path] = f"{source}, line {line}" if line else source
            self.written[path] = written + path
            if isinstance(value, dict):
                for k, v in value.items():
                    note(v, path + (k,))
            elif isinstance(value, list):
                for i, v in enumerate(value):
                    note(v, path + (i,))

        for key, value in patch.items():
            note(value, (key,))

    def locate(self, loc: tuple) -> str:
        for cut in range(len(loc), 0, -1):
            if loc[:cut] in self.where:
                return self.where[loc[:cut]]
        return "the scenario"

    def key_path(self, loc: tuple) -> tuple:
        """The key path of `loc` as the user wrote it (an applied override's keys are named
        overrides.NAME.…, where they are written)."""
        for cut in range(len(loc), 0, -1):
            if loc[:cut] in self.written:
                return self.written[loc[:cut]] + loc[cut:]
        return loc


# the names pydantic gives the branches of a union in an error location (not user keys)
_BRANCH = re.compile(r"(?:float|int|str|bool|none|(?:function-\w+|dict|list)\[.*\])")


def _format_errors(exc: ValidationError, layers: _Layers, prefix: str = "") -> list[str]:
    found: dict[tuple[str, str], list[str]] = {}  # (where, key path) → messages
    for e in exc.errors():
        loc = tuple(e["loc"])
        # pydantic adds union branch names to a location; keep the user's key path
        loc = tuple(p for p in loc if not (isinstance(p, str) and _BRANCH.fullmatch(p)))
        path = ".".join(str(p) for p in layers.key_path(loc)) or "(top level)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check its spelling; the keys are listed in the README)"
        elif e["type"] == "literal_error" or e["type"].endswith("_type") or \
                e["type"].endswith("_parsing"):
            msg = f"{msg} (got {e.get('input')!r})"
        found.setdefault((layers.locate(loc), f"{prefix}{path}"), []).append(msg)
    # one line per key: the branches of a union (a number or a map) are alternatives
    return [f"  - {where}: {path}: {'; or '.join(dict.fromkeys(msgs))}"
            for (where, path), msgs in found.items()]


def _raise(problems: list[str]) -> None:
    problems = list(dict.fromkeys(problems))  # an applied override is checked twice: say it once
    raise ScenarioError(f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in the "
                        "scenario:\n" + "\n".join(problems))


# ---------------------------------------------------------------- --set


def parse_set(assignments: list[str]) -> list[tuple[list[str], Any]]:
    """['policy.reserve_rate=0.05'] → [(['policy', 'reserve_rate'], 0.05)]."""
    out = []
    given: dict[tuple[str, ...], str] = {}
    for item in assignments:
        if "=" not in item:
            raise ScenarioError(f"--set {item!r}: expected key=value, e.g. "
                                "--set policy.reserve_rate=0.05")
        key, _, text = item.partition("=")
        keys = split_key(key, f"--set {item!r}")
        if keys[0] in RESOLUTION_KEYS:
            raise ScenarioError(f"--set {item!r}: {keys[0]} cannot be set from "
                                "the command line (use --apply NAME for a named override)")
        try:
            value = load_yaml_text(text)[0] if text.strip() else None
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            raise ScenarioError(f"--set {item!r}: the value is not valid YAML ({problem})"
                                ) from None
        # a key set twice is a slip (which one was meant?), as a repeated key in a file is
        if tuple(keys) in given:
            raise ScenarioError(f"--set {item!r}: {'.'.join(keys)} is already set by --set "
                                f"{given[tuple(keys)]!r}; give each key once")
        given[tuple(keys)] = item
        out.append((keys, value))
    return out


def split_key(key: str, where: str) -> list[str]:
    """'policy.reserve_rate' → ['policy', 'reserve_rate']; an empty key or part is an error."""
    key = key.strip()
    if not key:
        raise ScenarioError(f"{where}: no key before '=' (e.g. --set policy.reserve_rate=0.05)")
    keys = [k.strip() for k in key.split(".")]
    if any(not k for k in keys):
        raise ScenarioError(f"{where}: key {key!r} has an empty part (a dot at the start or "
                            "end, or two dots in a row)")
    if len(keys) > MAX_KEY_PARTS:
        raise ScenarioError(f"{where}: key {key!r} has {len(keys)} parts; no scenario key is "
                            f"deeper than {MAX_KEY_PARTS}")
    return keys


def dotted_patch(path: list[str], value: Any) -> dict:
    """['policy', 'reserve_rate'], 0.05 → {'policy': {'reserve_rate': 0.05}}."""
    patch: Any = value
    for key in reversed(path):
        patch = {key: patch}
    return patch


# ---------------------------------------------------------------- resolution


def _chain(path: Path, seen: tuple[Path, ...] = (), via: str = ""
           ) -> list[tuple[Path, dict, dict]]:
    """The extends chain of a file, farthest first: [(path, raw, lines), …, (path, …)].

    `via` says where the file was named ("child.yaml, line 1: extends: "), for messages.
    """
    named = Path(os.path.abspath(path))  # as given: a dangling or looping link is named
    try:
        path = path.resolve()
    except (OSError, RuntimeError):  # a looping link: reading it names the loop
        path = named
    if path in seen:
        cycle = " → ".join(str(p) for p in (*seen, path))
        raise ScenarioError(f"{via}{path}: extends forms a cycle: {cycle}")
    try:
        raw, lines = read_yaml(path if path.exists() else named)
    except ScenarioError as exc:
        raise ScenarioError(f"{via}{exc}") from None
    # `data` is relative to the file that names it: make it absolute before layering
    if isinstance(raw.get("data"), str) and not Path(raw["data"]).is_absolute():
        raw["data"] = str((path.parent / raw["data"]).resolve())
    parents = raw.get("extends") or []
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise ScenarioError(f"{path}, line {lines.get(('extends',), '?')}: extends: a file "
                            "name or a list of file names")
    out: list[tuple[Path, dict, dict]] = []
    for i, parent in enumerate(parents):
        line = lines.get(("extends", i)) or lines.get(("extends",), "?")
        out += _chain(path.parent / parent, (*seen, path), f"{path}, line {line}: extends: ")
    return out + [(path, raw, lines)]


def _unique(chain: list[tuple[Path, dict, dict]]) -> list[tuple[Path, dict, dict]]:
    """A file reached twice (two parents extending one base) counts once, where first met:
    read again later it would undo what the files between set."""
    seen: set[Path] = set()
    out = []
    for item in chain:
        if item[0] not in seen:
            seen.add(item[0])
            out.append(item)
    return out


def _line(lines: dict[tuple, int], key: tuple) -> str:
    return str(lines.get(key, "?"))


def resolve_priority(layers: _Layers, chain: list[tuple[Path, dict, dict]], apply: list[str],
                     point: list[tuple[list[str], Any]], sets: list[tuple[list[str], Any]]
                     ) -> list[str]:
    """THE priority, in one place (lowest first):

    defaults < extends chain (farthest first) < the file itself < applied overrides in order
    (the file's `apply:` list, then --apply) < data_edits (the edits listed by the layers
    above, all of them in that order, applied to the input tables) < a sweep point's values
    < `--set key=value` on the command line.

    Returns the names of the overrides applied.
    """
    edits: list[tuple[Any, str, dict, tuple]] = []
    overrides: dict[str, tuple[Any, str, dict, tuple]] = {}
    for path, raw, lines in chain:
        body = {k: v for k, v in raw.items() if k not in ("overrides", "data_edits")}
        layers.add(body, str(path), lines)
        named = raw.get("overrides") or {}
        if not isinstance(named, dict):
            raise ScenarioError(f"{path}, line {_line(lines, ('overrides',))}: overrides: a map "
                                "of named patches, e.g. overrides: {reserve-5: {policy: "
                                "{reserve_rate: 0.05}}}")
        for name, patch in named.items():
            if isinstance(patch, dict):
                steering = [k for k in patch if k in RESOLUTION_KEYS]
                if steering:
                    key = ("overrides", name, steering[0])
                    raise ScenarioError(
                        f"{path}, line {_line(lines, key)}: overrides.{name}.{steering[0]}: "
                        "not allowed inside an override (extends, overrides and apply belong "
                        "to the file itself)")
                if isinstance(patch.get("data"), str) and not Path(patch["data"]).is_absolute():
                    patch = {**patch, "data": str((path.parent / patch["data"]).resolve())}
            overrides[name] = (patch, str(path), lines, ("overrides", name))
        listed = raw.get("data_edits") or []
        if not isinstance(listed, list):
            raise ScenarioError(f"{path}, line {_line(lines, ('data_edits',))}: data_edits: a "
                                "list of edits (- table: …)")
        edits += [(e, str(path), lines, ("data_edits", i)) for i, e in enumerate(listed)]

    from_file = layers.raw.get("apply") or []
    if isinstance(from_file, str):
        from_file = [from_file]
    wanted = [(name, f"{layers.locate(('apply', i))}: apply") for i, name in
              enumerate(from_file if isinstance(from_file, list) else [])
              if isinstance(name, str)]  # anything else: the schema check names it
    wanted += [(name, f"--apply {name}") for name in apply]
    applied: list[str] = []
    for name, asked in wanted:
        if name not in overrides:
            known = ", ".join(sorted(overrides)) or "none defined"
            raise ScenarioError(f"{asked}: override {name!r} is not defined in {chain[-1][0]} "
                                f"or the files it extends (overrides: {known})")
        patch, source, lines, prefix = overrides[name]
        if not isinstance(patch, dict):
            raise ScenarioError(f"{source}, line {_line(lines, prefix)}: overrides.{name}: a "
                                "map of scenario keys")
        body = {k: v for k, v in patch.items() if k != "data_edits"}
        layers.add(body, source, {k[len(prefix):]: v for k, v in lines.items()
                                  if k[:len(prefix)] == prefix}, written=prefix)
        listed = patch.get("data_edits") or []
        if not isinstance(listed, list):
            raise ScenarioError(f"{source}, line {_line(lines, prefix + ('data_edits',))}: "
                                f"overrides.{name}.data_edits: a list of edits (- table: …)")
        edits += [(e, source, lines, prefix + ("data_edits", i)) for i, e in enumerate(listed)]
        applied.append(name)

    layers.raw["data_edits"] = [e for e, _, _, _ in edits]
    for i, (_, source, lines, prefix) in enumerate(edits):
        layers.where[("data_edits", i)] = source
        layers.written[("data_edits", i)] = prefix
        for key, line in lines.items():
            if key[:len(prefix)] == prefix:
                layers.where[("data_edits", i) + key[len(prefix):]] = f"{source}, line {line}"
                layers.written[("data_edits", i) + key[len(prefix):]] = key
    layers.raw["overrides"] = {name: o[0] for name, o in overrides.items()}
    for _, source, lines, prefix in overrides.values():
        for key, line in lines.items():
            if key[:len(prefix)] == prefix:
                layers.where[key] = f"{source}, line {line}"
    for keys, value in point:
        layers.add(dotted_patch(keys, value), "sweep point")
    for keys, value in sets:
        layers.add(dotted_patch(keys, value), "--set")
    return applied


def _validate_overrides(layers: _Layers) -> list[str]:
    """Every named override must make a valid scenario, applied or not."""
    problems = []
    base = {k: v for k, v in layers.raw.items() if k not in ("overrides",)}
    for name, patch in (layers.raw.get("overrides") or {}).items():
        if not isinstance(patch, dict):
            continue  # the schema check of the whole scenario names it
        try:
            Scenario.model_validate(deep_merge(base, patch), strict=True)
        except ValidationError as exc:
            sub = _Layers()
            sub.where = {k[2:]: v for k, v in layers.where.items()
                         if k[:2] == ("overrides", name)}
            own = [e for e in exc.errors() if _within(patch, tuple(e["loc"]))]
            if own:
                problems += _format_errors(
                    ValidationError.from_exception_data(exc.title, own), sub,
                    f"overrides.{name}.")
    return problems


def _within(patch: Any, loc: tuple) -> bool:
    """Whether an error location points into keys the patch itself sets."""
    node = patch
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return node is not patch and not isinstance(node, (dict, list))
    return True


def load_scenario(path: str | Path, sets: list[str] | None = None,
                  apply: list[str] | None = None,
                  point: list[tuple[list[str], Any]] | None = None) -> Scenario:
    """Read a scenario file with its extends chain, overrides, sweep point and --set."""
    path = Path(path)
    chain = _unique(_chain(path))
    layers = _Layers()
    parsed_sets = parse_set(sets or [])
    point = list(point or [])
    steering = [".".join(k) for k, _ in point if not k or k[0] in RESOLUTION_KEYS]
    if steering:
        raise ScenarioError(f"sweep point: {', '.join(steering)} cannot be swept")
    applied = resolve_priority(layers, chain, list(apply or []), point, parsed_sets)
    problems = _validate_overrides(layers)
    try:
        scenario = Scenario.model_validate(layers.raw, strict=True)
    except ValidationError as exc:
        problems += _format_errors(exc, layers)
    if problems:
        _raise(problems)
    bad = [(k, _sweep_problem(k.split("."))) for k in scenario.sweep]
    bad = [(k, why) for k, why in bad if why]
    if bad:
        _raise([f"  - {layers.locate(('sweep', k))}: sweep.{k}: {why}" for k, why in bad])
    for i, edit in enumerate(scenario.data_edits):
        edit._origin = layers.locate(("data_edits", i))
    scenario.base_dir = path.resolve().parent
    scenario.sources = [str(p) for p, _, _ in chain]
    scenario.applied_overrides = applied
    scenario.point = {".".join(k): v for k, v in point}
    scenario.sets = list(sets or [])
    return scenario


def _sweep_problem(path: list[str]) -> str:
    """Why a dotted path cannot be swept ('' if it can)."""
    if not path or path[0] in RESOLUTION_KEYS + ("sweep",):
        return ("cannot be swept (extends, overrides, apply and sweep shape the scenario "
                "itself)")
    return "" if _is_key(path) else "not a scenario key"


def _is_key(path: list[str]) -> bool:
    """Whether a dotted path names a field of the scenario schema (maps below it are open)."""
    model: Any = Scenario
    for key in path:
        if model is dict:
            return True  # inside a map-valued field: validation judges the value
        if model is None:
            return False  # below a plain value (a number, a list, a name)
        fields = model.model_fields
        if key not in fields or key in INTERNAL:
            return False
        model = _below(fields[key].annotation)
    return True


def _below(annotation: Any) -> Any:
    """What a dotted path can reach below a field: a sub-model, an open map, or nothing."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    kinds = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (
        annotation,)
    if any(k is dict or get_origin(k) is dict or k is Any for k in kinds):
        return dict
    return None


def scenario_for_data(data: str | Path, sets: list[str] | None = None) -> Scenario:
    """A default scenario around a bare data path (a CSV folder or a workbook)."""
    layers = _Layers()
    layers.add({"name": Path(data).stem, "data": str(Path(data).resolve())}, "the data path")
    for keys, value in parse_set(sets or []):
        layers.add(dotted_patch(keys, value), "--set")
    try:
        scenario = Scenario.model_validate(layers.raw, strict=True)
    except ValidationError as exc:
        _raise(_format_errors(exc, layers))
    scenario.base_dir = Path.cwd()
    scenario.sets = list(sets or [])
    return scenario


def build_scenario(raw: dict, base_dir: Path, source: str) -> Scenario:
    """A scenario from resolved plain data (e.g. summary.json's `scenario`)."""
    raw = {k: v for k, v in raw.items() if k != "resolution"}
    layers = _Layers()
    layers.add(raw, source)
    try:
        scenario = Scenario.model_validate(layers.raw)
    except ValidationError as exc:
        _raise(_format_errors(exc, layers))
    scenario.base_dir = base_dir
    return scenario


def plan_year(scenario: Scenario, data_year: int | None) -> int | None:
    """The plan year: the scenario's `year`, else the horizon's first year, else the data's
    (the earliest demand start_year); None when none gives one."""
    year = scenario.year or (scenario.horizon.start if scenario.horizon is not None
                             else None) or data_year
    return None if year is None else int(year)
