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
    time_limit: float | None = None


class Scenario(Strict):
    """A scenario file. Defaults here are the documented defaults of the tool."""

    name: str = "unnamed"
    data: str = "."
    year: int | None = None
    description: str = ""
    policy: Policy = Field(default_factory=Policy)
    cadres: Cadres = Field(default_factory=Cadres)
    solver: SolverOptions = Field(default_factory=SolverOptions)

    # where the file was, to resolve `data` (not a YAML key)
    base_dir: Path = Field(default=Path("."), exclude=True)

    @property
    def data_path(self) -> Path:
        path = Path(self.data)
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    def resolved(self) -> dict[str, Any]:
        """The fully resolved scenario as plain data (recorded in summary.json)."""
        return self.model_dump(mode="json", exclude={"base_dir"})


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


def apply_set(raw: dict, path: list[str], value: Any, source: str) -> None:
    """Set a dotted key inside the raw scenario dict, creating maps on the way."""
    node = raw
    for key in path[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ScenarioError(f"{source}: {'.'.join(path)}: {key} is not a map")
        node = child
    node[path[-1]] = value


def _format_errors(exc: ValidationError, source: str) -> str:
    lines = []
    for e in exc.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check its spelling; see the README for the keys)"
        lines.append(f"  - {source}: {loc}: {msg}")
    return f"{len(lines)} problem{'s' if len(lines) > 1 else ''} in the scenario:\n" + "\n".join(
        lines)


def build_scenario(raw: dict, base_dir: Path, source: str) -> Scenario:
    """Validate a raw scenario dict strictly."""
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(_format_errors(exc, source)) from None
    scenario.base_dir = base_dir
    return scenario


def load_scenario(path: str | Path, sets: list[str] | None = None) -> Scenario:
    """Read a scenario YAML file and apply --set overrides (they win)."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"{path}: scenario file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: a scenario is a map of keys (name, data, policy, …)")
    for keys, value in parse_set(sets or []):
        apply_set(raw, keys, value, "--set")
    return build_scenario(raw, path.parent.resolve(), str(path))


def scenario_for_data(data: str | Path, sets: list[str] | None = None) -> Scenario:
    """A default scenario around a bare data path (a CSV folder or a workbook)."""
    raw: dict = {"name": Path(data).stem, "data": str(Path(data).resolve())}
    for keys, value in parse_set(sets or []):
        apply_set(raw, keys, value, "--set")
    return build_scenario(raw, Path.cwd(), "--set")
