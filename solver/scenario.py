"""Scenario files: what data, which policy, which solver — strict, with defaults in one place.

A scenario is YAML read with a safe loader. Every key is declared below with its default;
an unknown key or a value of the wrong type is an error naming the file and the key path.
`--set key=value` overrides one dotted key (the value is read as YAML: numbers, lists, maps).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from solver.domain import QUOTA_TYPES, TIERS
from solver.errors import ScenarioError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class SourceCosts(Strict):
    """Cost per quota moved, by the closest relation of donor and recipient (the ladder)."""

    own: float = 0.0
    same_system: float = 1.0
    same_sector: float = 2.0
    other: float = 3.0
    pool: float = 4.0
    cross_region: float = 6.0  # only used when policy.allow_cross_region is true

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


class Policy(Strict):
    """The rules of the reallocation (DOMAIN.md, "Hard rules of the city")."""

    reserve_rate: float | dict[str, float] = 0.03
    full_units_release_first: list[str] = Field(default_factory=lambda: ["operational"])
    key_demands_hard: bool = False
    source_costs: SourceCosts = Field(default_factory=SourceCosts)
    incentive: float = 0.0
    allow_cross_region: bool = False

    @field_validator("reserve_rate")
    @classmethod
    def _rate(cls, value):
        rates = value.values() if isinstance(value, dict) else [value]
        if isinstance(value, dict):
            unknown = set(value) - set(QUOTA_TYPES)
            if unknown:
                raise ValueError(f"unknown quota type(s) {sorted(unknown)}; expected "
                                 f"{', '.join(QUOTA_TYPES)}")
        for rate in rates:
            if not 0 <= rate < 1:
                raise ValueError(f"reserve_rate {rate} must be between 0 and 1 (e.g. 0.03)")
        return value

    @field_validator("full_units_release_first")
    @classmethod
    def _tiers(cls, value):
        unknown = [t for t in value if t not in TIERS]
        if unknown:
            raise ValueError(f"unknown tier(s) {unknown}; expected {', '.join(TIERS)}")
        return value

    @field_validator("incentive")
    @classmethod
    def _incentive(cls, value):
        if value < 0:
            raise ValueError("incentive must be 0 (off) or positive")
        return value

    def rate_for(self, quota_type: str) -> float:
        if isinstance(self.reserve_rate, dict):
            return float(self.reserve_rate.get(quota_type, 0.03))
        return float(self.reserve_rate)


class CadreWeightsModel(Strict):
    """Suitability weights (solver/cadres/model.py states the formula)."""

    skills: float = Field(3.0, ge=0)
    preference: float = Field(2.0, ge=0)
    experience: float = Field(1.0, ge=0)
    health: float = Field(1.0, ge=0)
    return_base: float = Field(4.0, ge=0)
    retirement_base: float = Field(4.0, ge=0)
    transfer_base: float = Field(1.0, ge=0)
    stay_penalty: float = Field(2.0, ge=0)


class Cadres(Strict):
    """Surplus cadres (issue 4): run when the data has people."""

    enabled: bool = True
    weights: CadreWeightsModel = Field(default_factory=CadreWeightsModel)
    transfers: bool = True  # allow transfer with the quota (带编调剂)
    transfer_min_fit: float = Field(0.8, ge=0, le=1)


class SolverOptions(Strict):
    name: Literal["highs", "cbc"] = "highs"
    time_limit: float | None = Field(None, gt=0)


class AuxSettings(Strict):
    """Off-quota positions (issue 7)."""

    enabled: bool = True
    reduction: float = Field(0.1, ge=0, lt=1)
    essential_weights: dict[str, float] = Field(default_factory=lambda: {
        "medical": 3.0, "auxiliary_police": 3.0, "teaching_aide": 2.0, "inspector": 1.0,
        "service_window": 1.0, "logistics": 1.0, "other": 1.0})
    vacancy_offset: float = Field(1.0, ge=0)


class ConsolidationSettings(Strict):
    """Merging small, scattered, weak institutions (issue 7)."""

    enabled: bool = False
    threshold: int = Field(5, ge=1)
    max_size: int = Field(30, ge=1)
    overhead_per_unit: int = Field(1, ge=0)


Op = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not_in"]


class Condition(Strict):
    """One filter of a data edit: `column op value` (a column of the table, or unit.<col>)."""

    column: str
    op: Op = "=="
    value: Any = None


class DataEdit(Strict):
    """A declarative edit of an input table: exactly one of scale, set, add, drop."""

    table: Literal["units", "quotas", "pool", "demands", "people", "task_groups",
                   "aux_positions"]
    where: list[Condition] = Field(default_factory=list)
    scale: dict[str, float] | None = None
    set: dict[str, Any] | None = None
    add: list[dict[str, Any]] | None = None
    drop: bool = False

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
    year: int | None = None
    extends: list[str] = Field(default_factory=list)
    policy: Policy = Field(default_factory=Policy)
    cadres: Cadres = Field(default_factory=Cadres)
    aux: AuxSettings = Field(default_factory=AuxSettings)
    consolidation: ConsolidationSettings = Field(default_factory=ConsolidationSettings)
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

    @field_validator("extends", mode="before")
    @classmethod
    def _extends(cls, value):
        return [value] if isinstance(value, str) else value

    @property
    def data_path(self) -> Path:
        path = Path(self.data)
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    def resolved(self) -> dict[str, Any]:
        """The fully resolved scenario as plain data (recorded in summary.json)."""
        out = self.model_dump(mode="json", exclude={"base_dir", "sources", "applied_overrides",
                                                    "sets", "extends", "overrides", "apply"})
        out["data"] = str(self.data_path)
        out["resolution"] = {"files": self.sources, "applied_overrides": self.applied_overrides,
                             "sets": self.sets}
        return out


TOP_KEYS = set(Scenario.model_fields) - {"base_dir", "sources", "applied_overrides", "sets"}


# ---------------------------------------------------------------- reading with line numbers


def read_yaml(path: Path) -> tuple[dict, dict[tuple, int]]:
    """A YAML map and the line of every key path in it (for messages)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    if raw is None:
        return {}, {}
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: a scenario is a map of keys (name, data, policy, …)")
    lines: dict[tuple, int] = {}

    def walk(n, prefix: tuple) -> None:
        if isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                here = prefix + (key.value,)
                lines[here] = key.start_mark.line + 1
                walk(value, here)
        elif isinstance(n, yaml.SequenceNode):
            for i, value in enumerate(n.value):
                lines[prefix + (i,)] = value.start_mark.line + 1
                walk(value, prefix + (i,))

    walk(node, ())
    return raw, lines


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

    def add(self, patch: dict, source: str, lines: dict[tuple, int] | None = None,
            prefix: tuple = ()) -> None:
        self.raw = deep_merge(self.raw, patch)

        def note(value, path: tuple) -> None:
            line = (lines or {}).get(prefix + path)
            self.where[path] = f"{source}, line {line}" if line else source
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


def _format_errors(exc: ValidationError, layers: _Layers, prefix: str = "") -> list[str]:
    lines = []
    for e in exc.errors():
        loc = tuple(e["loc"])
        # pydantic adds union branch names to a location; keep the user's key path
        loc = tuple(p for p in loc if not (isinstance(p, str) and p in (
            "float", "dict[str,float]", "str", "list[str]", "function-before[_extends(), "
            "list[str]]")))
        path = ".".join(str(p) for p in loc) or "(top level)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check its spelling; the keys are listed in the README)"
        elif e["type"] == "literal_error" or e["type"].endswith("_type") or \
                e["type"].endswith("_parsing"):
            msg = f"{msg} (got {e.get('input')!r})"
        lines.append(f"  - {layers.locate(loc)}: {prefix}{path}: {msg}")
    return lines


def _raise(problems: list[str]) -> None:
    raise ScenarioError(f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in the "
                        "scenario:\n" + "\n".join(problems))


# ---------------------------------------------------------------- --set


def parse_set(assignments: list[str]) -> list[tuple[list[str], Any]]:
    """['policy.reserve_rate=0.05'] → [(['policy', 'reserve_rate'], 0.05)]."""
    out = []
    for item in assignments:
        if "=" not in item:
            raise ScenarioError(f"--set {item!r}: expected key=value, e.g. "
                                "--set policy.reserve_rate=0.05")
        key, _, text = item.partition("=")
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError as exc:
            raise ScenarioError(f"--set {item!r}: the value is not valid YAML ({exc})") from None
        out.append(([k for k in key.strip().split(".") if k], value))
    return out


def dotted_patch(path: list[str], value: Any) -> dict:
    """['policy', 'reserve_rate'], 0.05 → {'policy': {'reserve_rate': 0.05}}."""
    patch: Any = value
    for key in reversed(path):
        patch = {key: patch}
    return patch


# ---------------------------------------------------------------- resolution


def _chain(path: Path, seen: tuple[Path, ...] = ()) -> list[tuple[Path, dict, dict]]:
    """The extends chain of a file, farthest first: [(path, raw, lines), …, (path, …)]."""
    path = path.resolve()
    if path in seen:
        cycle = " → ".join(str(p) for p in (*seen, path))
        raise ScenarioError(f"{path}: extends forms a cycle: {cycle}")
    if not path.exists():
        where = f" (extended by {seen[-1]})" if seen else ""
        raise ScenarioError(f"{path}: scenario file not found{where}")
    raw, lines = read_yaml(path)
    # `data` is relative to the file that names it: make it absolute before layering
    if isinstance(raw.get("data"), str) and not Path(raw["data"]).is_absolute():
        raw["data"] = str((path.parent / raw["data"]).resolve())
    parents = raw.get("extends") or []
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list):
        raise ScenarioError(f"{path}, line {lines.get(('extends',), '?')}: extends: a file "
                            "name or a list of file names")
    out: list[tuple[Path, dict, dict]] = []
    for parent in parents:
        out += _chain(path.parent / str(parent), (*seen, path))
    return out + [(path, raw, lines)]


def resolve_priority(layers: _Layers, chain: list[tuple[Path, dict, dict]], apply: list[str],
                     point: list[tuple[list[str], Any]], sets: list[tuple[list[str], Any]]
                     ) -> list[str]:
    """THE priority, in one place (lowest first):

    defaults < extends chain (farthest first) < the file itself < applied overrides in order
    < data_edits (edits listed by the layers above, applied to the input tables) < a sweep
    point's values < `--set key=value` on the command line.

    Returns the names of the overrides applied.
    """
    edits: list = []
    overrides: dict[str, tuple[dict, str, dict, tuple]] = {}
    for path, raw, lines in chain:
        body = {k: v for k, v in raw.items() if k not in ("overrides", "data_edits")}
        layers.add(body, str(path), lines)
        for name, patch in (raw.get("overrides") or {}).items():
            overrides[name] = (patch, str(path), lines, ("overrides", name))
        edits += [(e, str(path), lines, ("data_edits", i))
                  for i, e in enumerate(raw.get("data_edits") or [])]
    applied = list(layers.raw.get("apply") or []) + list(apply)
    for name in applied:
        if name not in overrides:
            known = ", ".join(sorted(overrides)) or "none defined"
            raise ScenarioError(f"override {name!r} is not defined (overrides: {known})")
        patch, source, lines, prefix = overrides[name]
        if not isinstance(patch, dict):
            raise ScenarioError(f"{source}: overrides.{name}: a map of scenario keys")
        body = {k: v for k, v in patch.items() if k != "data_edits"}
        layers.add(body, source, {k[len(prefix):]: v for k, v in lines.items()
                                  if k[:len(prefix)] == prefix})
        edits += [(e, source, lines, prefix + ("data_edits", i))
                  for i, e in enumerate(patch.get("data_edits") or [])]
    layers.raw["data_edits"] = [e for e, _, _, _ in edits]
    for i, (_, source, lines, prefix) in enumerate(edits):
        line = lines.get(prefix)
        layers.where[("data_edits", i)] = f"{source}, line {line}" if line else source
    layers.raw["overrides"] = {name: o[0] for name, o in overrides.items()}
    for name, (_, source, lines, prefix) in overrides.items():
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
            problems.append(f"  - {layers.locate(('overrides', name))}: overrides.{name}: "
                            "a map of scenario keys")
            continue
        try:
            Scenario.model_validate(deep_merge(base, patch))
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
    chain = _chain(path)
    layers = _Layers()
    parsed_sets = parse_set(sets or [])
    applied = resolve_priority(layers, chain, list(apply or []), list(point or []), parsed_sets)
    problems = _validate_overrides(layers)
    try:
        scenario = Scenario.model_validate(layers.raw)
    except ValidationError as exc:
        problems += _format_errors(exc, layers)
    if problems:
        _raise(problems)
    unknown = [k for k in scenario.sweep if not _is_key(k.split("."))]
    if unknown:
        _raise([f"  - {layers.locate(('sweep', k))}: sweep.{k}: not a scenario key"
                for k in unknown])
    scenario.base_dir = path.resolve().parent
    scenario.sources = [str(p) for p, _, _ in chain]
    scenario.applied_overrides = applied
    scenario.sets = list(sets or [])
    return scenario


def _is_key(path: list[str]) -> bool:
    """Whether a dotted path names a field of the scenario schema (maps below it are open)."""
    model: Any = Scenario
    for key in path:
        if model is None:
            return True  # inside a map-valued field: validation judges the value
        fields = model.model_fields
        if key not in fields or key in ("base_dir", "sources", "applied_overrides", "sets"):
            return False
        annotation = fields[key].annotation
        model = annotation if isinstance(annotation, type) and issubclass(
            annotation, BaseModel) else None
    return True


def scenario_for_data(data: str | Path, sets: list[str] | None = None) -> Scenario:
    """A default scenario around a bare data path (a CSV folder or a workbook)."""
    layers = _Layers()
    layers.add({"name": Path(data).stem, "data": str(Path(data).resolve())}, "the data path")
    for keys, value in parse_set(sets or []):
        layers.add(dotted_patch(keys, value), "--set")
    try:
        scenario = Scenario.model_validate(layers.raw)
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
