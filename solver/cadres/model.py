"""Surplus cadres: exactly one option per person, chosen by an exact assignment model.

Options (docs/rules.md "Surplus cadres"; seed 五(三)):
- `group`: a frontline task group — not for the seriously ill, not above the group's max_age,
  only people of the group's `region` when it has one; each group between min_size and
  max_size;
- `return`: a post at the home unit — only for people who want it, and only as many as the
  unit has vacant posts: its vacancy of that quota type plus its early retirements (each
  return then holds one of those vacancies, which the reallocation leaves alone); never to a
  unit over quota;
- `early_retirement`: only if eligible (`rules.early_retirement_eligible`) and willing or
  seriously ill;
- `transfer`: move with the quota (带编调剂) to a unit of the same region and quota type with a
  demand it may receive (not over quota, not lapsed, not full for a tier in
  `full_units_release_first`, not an emergency task with an end year), where the person suits
  the post (fit ≥ `transfer_min_fit`) — not for the seriously ill; each person is offered the
  `TRANSFER_CANDIDATES` best-scoring such demands (earlier demand ids on ties);
- `stay`: always allowed, penalised — it is what the clean-up wants to end.
People absent without reason or missing get `stay` with a formal-notice flag (告知书).

Suitability (weights `cadres.weights` in the scenario, all ≥ 0):
    group     = skills·|skills ∩ wanted| / |wanted| (0.5 for a group that wants no skills)
                + preference·(1 / rank of the group in the person's preferences, 0 if
                absent) + experience·exp + health·hp
    return    = return_base + experience·exp
    early_ret = retirement_base + health·(1 − hp)
    transfer  = transfer_base + skills·post_fit + experience·exp + health·hp + tier_bonus
    stay      = −stay_penalty
with exp = 1 / 0.6 / 0.2 for in charge / assisting / idle, hp = 1 / 0.5 / 0 for healthy /
chronic / serious, post_fit = 1 same system as the home unit, 0.8 a skill names the post's
system, 0.6 same sector, else 0, tier_bonus = 0.5 for a key demand, 0.25 for an emergency
one, 0 for an operational one. Scores count in hundredths. Exact ties are broken by a second
stage: among the assignments of the best total score, the one with the largest sum of fixed
pseudo-random weights, one per (person, option, target) from a hash of the ids — the answer is
then unique and the same with either solver and on every machine.

The model is a transportation problem (people → options with capacities) plus one side row
per home unit for returns, solved as an LP through the solve layer. The post rows (returns −
retirements ≤ vacancy) break total unimodularity: a vertex may give someone half a return paid by
their own half release. Such vertices are cut off by valid post cuts (`_PostCuts`, a few
rounds); only a vertex that stays fractional is re-solved as a MIP, first over its fractional
people alone (kept when it reaches the LP bound), else whole (`exact.solve_integral`). The
tie-break stage runs over the first stage's optimal face (complementary slackness) when the best
score reaches the LP bound, so the LP structure stays; otherwise it adds a row holding the best
score. Every solve after the first re-uses one HiGHS model (rows added, bounds and costs
changed, warm); `CadrePlan.optimality` records the score against the LP bound.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from solver import text
from solver.cadres import exact, rules
from solver.domain import OPTION, Opt
from solver.errors import BianzhiError
from solver.scenario import Cadres as CadreSettings
from solver.scenario import CadreWeightsModel
from solver.solve import INTEGRALITY_TOL, LinearProgram, Status
from solver.text import say
from solver.validate import Dataset, split_tags

OPTIONS: tuple[str, ...] = tuple(OPTION)  # codes in registry order (solver.domain)
EXPERIENCE = {"in_charge": 1.0, "assisting": 0.6, "idle": 0.2}
HEALTH = {"healthy": 1.0, "chronic": 0.5, "serious": 0.0}
TRANSFER_CANDIDATES = 20  # best demands kept per person: keeps the model sparse
MAX_HALL_GROUPS = 12  # sets of task groups checked for joint minimums before solving
MAX_CUT_ROUNDS = 10  # rounds of post cuts before the MIP
COMPONENT_MIP = True  # a vertex left fractional: first the MIP over its fractional people
WARM_START = True  # one HiGHS model for every solve (False: each solve from scratch)


class CadreInfeasible(BianzhiError):
    """The group sizes (or other rules) cannot all hold; says which."""

    exit_code = 3


_DEFAULT_WEIGHTS = CadreWeightsModel()  # the one place defaults live: solver/scenario.py
_DEFAULT_MIN_FIT = CadreSettings().transfer_min_fit


@dataclass(frozen=True)
class CadreWeights:
    """Suitability weights (defaults: the scenario's `cadres.weights`)."""

    skills: float = _DEFAULT_WEIGHTS.skills
    preference: float = _DEFAULT_WEIGHTS.preference
    experience: float = _DEFAULT_WEIGHTS.experience
    health: float = _DEFAULT_WEIGHTS.health
    return_base: float = _DEFAULT_WEIGHTS.return_base
    retirement_base: float = _DEFAULT_WEIGHTS.retirement_base
    transfer_base: float = _DEFAULT_WEIGHTS.transfer_base
    stay_penalty: float = _DEFAULT_WEIGHTS.stay_penalty


@dataclass
class CadrePlan:
    """One option per person, the transfers with quota, and what home units release."""

    assignments: pd.DataFrame
    transfers: pd.DataFrame  # person_id, from_unit, to_unit, quota_type, demand_id, tier, source
    releases: dict[tuple[str, str], int]  # early retirements + transfers out, per unit and type
    retirements: dict[tuple[str, str], int]
    returns: dict[tuple[str, str], int]  # vacancies held for people returning, per unit and type
    status: Status
    method: str
    seconds: float
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    optimality: dict = field(default_factory=dict)  # the answer against the LP bound

    def summary(self) -> dict:
        a = self.assignments
        by_group = a[a["option"] == Opt.GROUP].groupby("group_id").size()
        return {
            "people": len(a),
            "by_option": {o: int((a["option"] == o).sum()) for o in OPTIONS},
            "by_group": {str(g): int(by_group.get(g, 0)) for g in self.groups.get("group_id", [])},
            "follow_up_notice": int((a["follow_up"] == "yes").sum()),
            "releases": int(sum(self.releases.values())),
            "status": self.status.value,
            "method": self.method,
            "seconds": round(self.seconds, 4),
            "optimality": self.optimality,
        }


def plan_cadres(ds: Dataset, plan_year: int, data_year: int, weights: CadreWeights,
                transfers: bool = True, transfer_min_fit: float = _DEFAULT_MIN_FIT,
                full_units_release_first: tuple[str, ...] = ("operational",),
                solver: str = "highs") -> CadrePlan:
    """Assign every surplus person exactly one option (see the module docstring).

    The options each person may take are collected one family at a time, scored, and then
    one assignment LP picks the best total score (ties: a fixed pseudo-random id order).
    """
    start = time.perf_counter()
    who = Persons.of(ds, plan_year, data_year)
    groups = ds.task_groups.drop(columns=["_row"], errors="ignore").sort_values(
        "group_id", kind="stable").reset_index(drop=True)
    demands = ds.demands.drop(columns=["_row"], errors="ignore").sort_values(
        "demand_id", kind="stable").reset_index(drop=True)
    # only the units people come from or demands are at, and their quota rows (a province
    # has 300,000 units: indexing them all took a tenth of the cadre model's time)
    at = np.union1d(who.home.astype(str), demands["unit_id"].astype(str).to_numpy())
    units = ds.units[ds.units["unit_id"].isin(at)].set_index("unit_id")
    quotas = ds.quotas[ds.quotas["unit_id"].isin(at)].set_index(["unit_id", "quota_type"])
    options = Options()
    group_options(options, who, groups, units, weights)
    return_options(options, who, weights, quotas)
    early_retirement_options(options, who, weights)
    stay_options(options, who, weights)
    if transfers and len(demands):
        transfer_options(options, who, demands, units, quotas, weights, transfer_min_fit,
                         full_units_release_first)
    model = assignment_lp(options.arrays(), who, groups, demands, quotas)
    _check_group_sizes(groups, model.person, model.kind, model.target, who.count)
    sol, method, proofs = _assign(model, who, groups, solver)
    chosen = np.flatnonzero(np.round(sol.x) > 0.5)
    wanted = [set(split_tags(t)) for t in groups["skills"].fillna("")]
    out = _assignments(who.people, groups, demands, units, chosen, model.person, model.kind,
                       model.target, model.score, who.follow, who.skills, wanted, who.prefs,
                       who.exp, who.hp, who.eligible_retire, who.willing, who.to_stat)
    releases: dict[tuple[str, str], int] = {}
    retirements: dict[tuple[str, str], int] = {}
    returns: dict[tuple[str, str], int] = {}
    for row in out.itertuples():
        key = (row.unit_id, row.quota_type)
        option = OPTION[row.option]
        if option.frees_vacancy or option.moves_quota:
            releases[key] = releases.get(key, 0) + 1
            if option.frees_vacancy:
                retirements[key] = retirements.get(key, 0) + 1
        elif option.holds_vacancy:
            returns[key] = returns.get(key, 0) + 1
    return CadrePlan(assignments=out, transfers=_transfer_rows(out, demands, units),
                     releases=releases, retirements=retirements, returns=returns,
                     status=sol.status,
                     method=method, seconds=time.perf_counter() - start, groups=groups,
                     optimality=_optimality(*proofs))


@dataclass
class Persons:
    """The surplus people in id order, with what the rules need of each (ages and service
    moved to the plan year)."""

    people: pd.DataFrame
    age: np.ndarray
    hp: np.ndarray  # health points: 1 healthy, 0.5 chronic, 0 serious
    exp: np.ndarray  # experience: 1 in charge, 0.6 assisting, 0.2 idle
    serious: np.ndarray
    follow: np.ndarray  # absent without reason or missing: formal notice, no option
    to_stat: np.ndarray  # years to the statutory age
    eligible_retire: np.ndarray
    willing: np.ndarray
    wants_return: np.ndarray
    skills: list[set[str]]
    prefs: list[list[str]]
    home: np.ndarray
    quota_type: np.ndarray

    @property
    def count(self) -> int:
        return len(self.people)

    @classmethod
    def of(cls, ds: Dataset, plan_year: int, data_year: int) -> Persons:
        people = ds.people.drop(columns=["_row"], errors="ignore").sort_values(
            "person_id", kind="stable").reset_index(drop=True)
        people = rules.ages_in_plan_year(people, data_year, plan_year)
        age = people["age_plan"].to_numpy()
        health = people["health"].to_numpy()
        to_stat = rules.years_to_statutory(people["gender"].to_numpy(), age, plan_year)
        return cls(
            people=people, age=age, hp=np.array([HEALTH[h] for h in health]),
            exp=np.array([EXPERIENCE[w] for w in people["work_status"]]),
            serious=health == "serious",
            follow=rules.needs_follow_up(people["surplus_reason"]), to_stat=to_stat,
            eligible_retire=rules.early_retirement_eligible(people["service_plan"].to_numpy(),
                                                            to_stat),
            willing=(people["willing_early_retirement"].fillna("no") == "yes").to_numpy(),
            wants_return=(people["wants_return"].fillna("no") == "yes").to_numpy(),
            skills=[set(split_tags(t)) for t in people["skills"].fillna("")],
            prefs=[split_tags(t) for t in people["preferences"].fillna("")],
            home=people["unit_id"].to_numpy(), quota_type=people["quota_type"].to_numpy())


class Options:
    """(person, option kind, target, score) quadruples, collected family by family."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, persons, kind: str, targets, scores) -> None:
        self.parts.append((np.asarray(persons, dtype=np.int64),
                           np.full(len(persons), OPTIONS.index(kind), dtype=np.int64),
                           np.asarray(targets, dtype=np.int64), np.asarray(scores, dtype=float)))

    def arrays(self) -> tuple[np.ndarray, ...]:
        return tuple(np.concatenate([part[i] for part in self.parts]) for i in range(4))


def group_options(options: Options, who: Persons, groups: pd.DataFrame, units: pd.DataFrame,
                  w: CadreWeights) -> None:
    """Frontline task groups (一线工作组): not the seriously ill, not above a group's max_age,
    only groups of the person's region when the group names one.

    score = skills·|skills ∩ wanted| / |wanted| (0.5 when the group wants none)
            + preference·1/rank + experience·exp + health·hp
    """
    wanted = [set(split_tags(t)) for t in groups["skills"].fillna("")]
    max_age = groups["max_age"].astype("Float64").fillna(np.inf).to_numpy(float)
    can_group = ~who.follow & ~who.serious
    # a province's data holds every city's groups: a group with a region takes its own
    # (regions as codes: 400 groups of a 300,000-unit province compare 18,000 homes each)
    group_region = groups["region"].fillna("").astype(str).to_numpy() if "region" in groups \
        else np.full(len(groups), "")
    any_region = group_region == ""
    home_region = units["region"].reindex(who.home).astype(str).to_numpy()
    codes, _ = pd.factorize(np.concatenate([group_region, home_region]))
    group_code, home_code = codes[:len(group_region)], codes[len(group_region):]
    for g, gid in enumerate(groups["group_id"].tolist()):
        ok = np.flatnonzero(can_group & (who.age <= max_age[g])
                            & (any_region[g] | (home_code == group_code[g])))
        fit = np.array([len(who.skills[p] & wanted[g]) / len(wanted[g]) if wanted[g] else 0.5
                        for p in ok])
        pref = np.array([1 / (who.prefs[p].index(gid) + 1) if gid in who.prefs[p] else 0.0
                         for p in ok])
        score = (w.skills * fit + w.preference * pref + w.experience * who.exp[ok]
                 + w.health * who.hp[ok])
        options.add(ok, Opt.GROUP, np.full(len(ok), g), score)


def return_options(options: Options, who: Persons, w: CadreWeights,
                   quotas: pd.DataFrame) -> None:
    """Return to the home unit (返岗): only for people who want it, and not to a unit over
    quota (it has no post to return to: its early retirements first absorb its excess, 超编
    单位只出不进); score = return_base + experience·exp. The home unit's posts are rows of the
    LP (`assignment_lp`)."""
    home = pd.MultiIndex.from_arrays([who.home, who.quota_type])
    over = (quotas["staff"] > quotas["approved"]).reindex(home).fillna(False).to_numpy(bool)
    ok = np.flatnonzero(~who.follow & who.wants_return & ~over)
    options.add(ok, Opt.RETURN, np.full(len(ok), -1), w.return_base + w.experience * who.exp[ok])


def early_retirement_options(options: Options, who: Persons, w: CadreWeights) -> None:
    """Early retirement (提前退休): eligible (`rules.early_retirement_eligible`) and willing or
    seriously ill; score = retirement_base + health·(1 − hp)."""
    ok = np.flatnonzero(~who.follow & who.eligible_retire & (who.willing | who.serious))
    options.add(ok, Opt.EARLY_RETIREMENT, np.full(len(ok), -1),
                w.retirement_base + w.health * (1 - who.hp[ok]))


def stay_options(options: Options, who: Persons, w: CadreWeights) -> None:
    """Stay as today: always possible, penalised (−stay_penalty): the clean-up wants to end
    it. People to follow up by formal notice (告知书) can only stay."""
    n = who.count
    options.add(np.arange(n), Opt.STAY, np.full(n, -1), np.full(n, -w.stay_penalty))


def transfer_options(options: Options, who: Persons, demands: pd.DataFrame,
                     units: pd.DataFrame, quotas: pd.DataFrame, w: CadreWeights,
                     transfer_min_fit: float, full_units_release_first: tuple[str, ...]
                     ) -> None:
    """Transfer with the quota (带编调剂) to a demand of the same region and quota type.

    The receiving unit must be able to receive (not over quota, not lapsed, not a full unit
    gated for that tier) and the demand not a temporary emergency task (met by dynamic
    quota); the person must suit the post (post_fit ≥ transfer_min_fit) and not be seriously
    ill. score = transfer_base + skills·post_fit + experience·exp + health·hp + tier bonus
    (key 0.5, emergency 0.25); each person keeps the `TRANSFER_CANDIDATES` best demands.
    """
    d_key = pd.MultiIndex.from_frame(demands[["unit_id", "quota_type"]])
    at = quotas.index.get_indexer(d_key)
    approved, staff = (_take(quotas[c], at) for c in ("approved", "staff"))
    d_unit = demands["unit_id"].to_numpy()
    d_at, p_at = units.index.get_indexer(d_unit), units.index.get_indexer(who.home)
    lapsed = _take(units["function_status"], d_at) == "lapsed"
    gated = (staff == approved) & demands["tier"].isin(full_units_release_first).to_numpy()
    temporary = (demands["tier"] == "emergency").to_numpy() & (
        demands["end_year"].notna().to_numpy() if "end_year" in demands else False)
    receivable = (staff <= approved) & ~lapsed & ~gated & ~temporary
    d_region, d_system, d_sector = (_take(units[c], d_at) for c in ("region", "system", "sector"))
    tier_bonus = demands["tier"].map({"key": 0.5, "emergency": 0.25}).fillna(0).to_numpy()
    p_region, p_system, p_sector = (_take(units[c], p_at) for c in ("region", "system", "sector"))
    # every (person, demand) pair of one block (region, quota type), all at once: people in
    # id order, each block's demands in demand order
    d_pick = np.flatnonzero(receivable)
    who_ok = np.flatnonzero(~who.follow & ~who.serious)
    block, _ = pd.factorize(np.concatenate([
        _key(d_region[d_pick], demands["quota_type"].to_numpy()[d_pick]),
        _key(p_region[who_ok], who.quota_type[who_ok])]))
    d_block, p_block = block[:len(d_pick)], block[len(d_pick):]
    by_block = d_pick[np.argsort(d_block, kind="stable")]
    starts = np.searchsorted(np.sort(d_block), np.arange(block.max() + 2 if len(block) else 1))
    count = (starts[1:] - starts[:-1])[p_block] if len(who_ok) else np.zeros(0, np.int64)
    pair_p = np.repeat(who_ok, count)
    first = np.repeat(np.cumsum(count) - count, count)
    pair_d = by_block[np.repeat(starts[p_block], count) + np.arange(len(pair_p)) - first]
    keep = d_unit[pair_d] != who.home[pair_p]
    pair_p, pair_d = pair_p[keep], pair_d[keep]
    fit = _pair_fit(who, pair_p, pair_d, p_system, p_sector, d_system, d_sector)
    keep = fit >= transfer_min_fit
    pair_p, pair_d, fit = pair_p[keep], pair_d[keep], fit[keep]
    # keep each person's best-scoring demands (the score's only terms that vary by demand),
    # earlier demands first on ties
    order = np.lexsort((pair_d, -(w.skills * fit + tier_bonus[pair_d]), pair_p))
    pair_p, pair_d, fit = pair_p[order], pair_d[order], fit[order]
    start = np.r_[0, np.flatnonzero(np.diff(pair_p)) + 1]
    rank = np.arange(len(pair_p)) - np.repeat(start, np.diff(np.r_[start, len(pair_p)]))
    keep = rank < TRANSFER_CANDIDATES
    pair_p, pair_d, fit = pair_p[keep], pair_d[keep], fit[keep]
    score = (w.transfer_base + w.skills * fit + w.experience * who.exp[pair_p]
             + w.health * who.hp[pair_p] + tier_bonus[pair_d])
    options.add(pair_p, Opt.TRANSFER, pair_d, score)


def _take(column: pd.Series, at: np.ndarray) -> np.ndarray:
    """column's values at positions `at` (from get_indexer; −1: missing, NaN), as objects or
    floats: one lookup of the index serves every column."""
    values = column.to_numpy(dtype=object if column.dtype.kind not in "iuf" else float)
    out = values[np.maximum(at, 0)] if len(values) else np.full(len(at), np.nan, dtype=object)
    if (at < 0).any():
        out = out.astype(object) if out.dtype != float else out
        out[at < 0] = np.nan
    return out


def _key(*columns) -> np.ndarray:
    """One string per row joining the columns (for factorizing composite keys)."""
    out = pd.Series(columns[0]).astype(str)
    for col in columns[1:]:
        out = out + "\x1f" + pd.Series(col).astype(str)
    return out.to_numpy(dtype=object)


def _pair_fit(who: Persons, pair_p, pair_d, p_system, p_sector, d_system, d_sector
              ) -> np.ndarray:
    """post_fit of each (person, demand) pair: 1 same system, 0.8 a skill of the person
    names the post's system, 0.6 same sector, else 0."""
    if len(pair_p) == 0:
        return np.zeros(0)
    skill_p = np.repeat(np.arange(who.count), [len(s) for s in who.skills])
    skill_names = np.array([t for s in who.skills for t in sorted(s)], dtype=object)
    codes, names = pd.factorize(np.concatenate([skill_names, d_system[pair_d].astype(object)]))
    known = len(names) + 1
    has = np.unique(skill_p * known + codes[:len(skill_names)])
    asked = pair_p * known + codes[len(skill_names):]
    skilled = np.isin(asked, has) & (codes[len(skill_names):] >= 0)
    same_system, same_sector = (_same(p_col, d_col, pair_p, pair_d)
                                for p_col, d_col in ((p_system, d_system), (p_sector, d_sector)))
    return np.where(same_system, 1.0, np.where(skilled, 0.8, np.where(same_sector, 0.6, 0.0)))


def _same(p_col, d_col, pair_p, pair_d) -> np.ndarray:
    """p_col[pair_p] == d_col[pair_d], on codes (millions of pairs; missing never equal)."""
    codes, _ = pd.factorize(np.concatenate([p_col, d_col]).astype(object))
    p_code, d_code = codes[:len(p_col)], codes[len(p_col):]
    return (p_code[pair_p] == d_code[pair_d]) & (p_code[pair_p] >= 0)


@dataclass
class AssignmentModel:
    """The assignment LP over the options, and what the cut rounds need."""

    lp: LinearProgram
    person: np.ndarray
    kind: np.ndarray
    target: np.ndarray
    score: np.ndarray  # in whole hundredths
    points: np.ndarray  # score × 100, integer
    posts: _PostCuts


def assignment_lp(options: tuple[np.ndarray, ...], who: Persons, groups: pd.DataFrame,
                  demands: pd.DataFrame, quotas: pd.DataFrame) -> AssignmentModel:
    """max Σ score·x over the options, x ∈ [0, 1], with one row family per rule:

    - each person exactly once:                Σ_o x[p, o] = 1
    - task group sizes:                        min_size_g ≤ Σ_p x[p, g] ≤ max_size_g
    - a demand takes at most its amount:       Σ_p x[p, d] ≤ amount_d
    - returns need posts at the home unit:     returns_u − retirements_u ≤ vacancy_u
      (an early retirement frees a vacancy; a transfer out takes its quota with it and
      frees none, so it pays for no return: one use per vacancy)
    """
    person, kind, target, score = options
    n, m = who.count, len(person)
    points = np.round(score * 100).astype(np.int64)  # scores count in hundredths
    rows_i, cols_i, vals = [person], [np.arange(m)], [np.ones(m)]
    lo, hi = [np.ones(n)], [np.ones(n)]
    base = n
    is_group = kind == OPTIONS.index(Opt.GROUP)
    rows_i.append(base + target[is_group])
    cols_i.append(np.flatnonzero(is_group))
    vals.append(np.ones(is_group.sum()))
    lo.append(groups["min_size"].to_numpy(float))
    hi.append(groups["max_size"].to_numpy(float))
    base += len(groups)
    is_transfer = kind == OPTIONS.index(Opt.TRANSFER)
    rows_i.append(base + target[is_transfer])
    cols_i.append(np.flatnonzero(is_transfer))
    vals.append(np.ones(is_transfer.sum()))
    lo.append(np.zeros(len(demands)))
    hi.append(demands["amount"].to_numpy(float) if len(demands) else np.zeros(0))
    base += len(demands)
    home_key = pd.Index(pd.Series(who.home).astype(str) + "\x1f"
                        + pd.Series(who.quota_type).astype(str))
    home_codes, home_uniques = pd.factorize(home_key)
    post_row = base + home_codes[person]
    is_return = kind == OPTIONS.index(Opt.RETURN)
    releasing = kind == OPTIONS.index(Opt.EARLY_RETIREMENT)
    for mask, sign in ((is_return, 1.0), (releasing, -1.0)):
        rows_i.append(post_row[mask])
        cols_i.append(np.flatnonzero(mask))
        vals.append(np.full(mask.sum(), sign))
    uk = pd.MultiIndex.from_tuples([tuple(k.split("\x1f")) for k in home_uniques])
    vacancy = (quotas["approved"] - quotas["staff"]).clip(lower=0).reindex(uk).fillna(0) \
        .to_numpy(float)
    lo.append(np.full(len(uk), -np.inf))
    hi.append(vacancy)
    n_rows = base + len(uk)
    matrix = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows_i),
                                                   np.concatenate(cols_i))), shape=(n_rows, m))
    lp = LinearProgram(c=-points.astype(float), A=matrix, row_lower=np.concatenate(lo),
                       row_upper=np.concatenate(hi), col_lower=np.zeros(m),
                       col_upper=np.ones(m))
    return AssignmentModel(lp, person, kind, target, points / 100, points,
                           _PostCuts(person, home_codes, is_return, releasing, vacancy))


def _assign(model: AssignmentModel, who: Persons, groups: pd.DataFrame, solver: str):
    """The best assignment, then the one a fixed pseudo-random order of the ids prefers among
    the assignments of that best score; returns (solution, method, proofs of both stages).

    Both stages run in one solver model (`exact.WarmModel`): the cuts and the tie-break's
    bounds and costs change it in place and each solve starts from the last basis.
    """
    person, kind, target, points = model.person, model.kind, model.target, model.points
    warm = exact.WarmModel(model.lp, solver, warm=WARM_START)
    warm.start_basis(person, who.count)
    sol, method, proof = exact.solve_integral(warm, person, model.posts, MAX_CUT_ROUNDS,
                                              whole_costs=True, component_mip=COMPONENT_MIP)
    if sol.status == Status.INFEASIBLE:
        is_group = kind == OPTIONS.index(Opt.GROUP)
        may = [len(np.unique(person[is_group & (target == g)])) for g in range(len(groups))]
        raise CadreInfeasible(
            "the task groups' minimum sizes cannot all be filled: "
            + "; ".join(f"{g} needs {int(mn)} ({k} may join)"
                        for g, mn, k in zip(groups["group_id"], groups["min_size"], may))
            + f"; {len(np.unique(person[is_group]))} of the {who.count} people may join a "
            "group, each one group; lower min_size or add groups")
    if not sol.status.has_solution:
        raise CadreInfeasible(f"the cadre assignment stopped without a solution ({sol.message})")
    # The answer is then unique, and the same whichever solver runs. Where the best whole
    # score reaches the LP bound, the LP's optimal face (complementary slackness with its
    # duals) holds exactly the assignments of the best score, as bounds: the matrix keeps its
    # structure, and only the face's free columns need a tie weight. Otherwise (a MIP below
    # the bound) one more row keeps the score at least the best, in whole hundredths, so the
    # bound is exact.
    pid = who.people["person_id"].astype(str).to_numpy()

    def tie_costs(cols: np.ndarray) -> np.ndarray:
        c = np.zeros(len(person))
        c[cols] = -_stable_uniform([f"{a}|{OPTIONS[kd]}|{tg}" for a, kd, tg in zip(
            pid[person[cols]], kind[cols], target[cols])])
        return c

    face = (_optimal_face(warm.lp, proof.lp, warm.lp.c)
            if proof.on_lp_face and proof.lp.row_duals is not None else None)
    tied = None
    if face is not None:
        bounds = (warm.lp.col_lower, warm.lp.col_upper, warm.lp.row_lower, warm.lp.row_upper)
        warm.set_bounds(face.col_lower, face.col_upper, face.row_lower, face.row_upper)
        warm.set_costs(tie_costs(np.flatnonzero(face.col_lower != face.col_upper)))
        # from the optimal basis the new costs cost the dual simplex three times the
        # iterations of a fresh dual feasible start (5,000 people: 6,000 against 2,000)
        warm.start_basis(person, who.count)
        tied, tie_method, tie_proof = exact.solve_integral(
            warm, person, model.posts, MAX_CUT_ROUNDS, whole_costs=False,
            component_mip=COMPONENT_MIP)
        if not tied.status.has_solution:
            warm.set_bounds(*bounds)
    if tied is None or not tied.status.has_solution:
        best = round(float(points @ np.round(sol.x)))
        warm.add_rows(sp.csr_matrix(points.astype(float)), np.array([best]),
                      np.array([np.inf]))
        warm.set_costs(tie_costs(np.arange(len(person))))
        tied, tie_method, tie_proof = exact.solve_integral(
            warm, person, model.posts, MAX_CUT_ROUNDS, whole_costs=False,
            component_mip=COMPONENT_MIP)
    if tied.status.has_solution:
        return tied, f"{method}+{tie_method} tie-break", (proof, tie_proof)
    return sol, method, (proof, None)


def _optimality(best: exact.Proof, tie: exact.Proof | None) -> dict:
    """The total score against the LP bound (the best any assignment could score), and how
    the tie-break stage's answer compares with its own LP bound: a gap of 0 shows optimality
    by the bound alone; otherwise the whole MIP proved it (at a relative gap of 0)."""
    out = {"score": round(-best.objective / 100, 2), "lp_bound": round(-best.lp_bound / 100, 4),
           "gap": round(best.gap / 100, 4), "proof": "lp bound" if best.reaches_bound else "mip",
           "mip_people": best.mip_people}
    if tie is not None:
        out["tie_break_gap"] = round(tie.gap, 9)
        out["tie_break_proof"] = "lp bound" if tie.reaches_bound else "mip"
    return out


def _stable_uniform(keys: list[str]) -> np.ndarray:
    """A number in [0, 1) per key from a hash of the key: stable across runs and machines."""
    return np.array([int.from_bytes(hashlib.blake2b(k.encode(), digest_size=6).digest(), "big")
                     / 2 ** 48 for k in keys])


class _PostCuts:
    """Cuts for the return posts, whose rows are where the LP's vertices turn fractional.

    A person may take a return or a release, not both, so a post row alone lets the LP give
    someone half a return paid by their own half release. For a home unit with V vacant posts
    and any set S of its people, R_S + Y_S ≤ |S| and R_S ≤ V + Y_S + Y_out give
    2·R_S ≤ V + |S| + Y_out, and since R_S is whole,
        R_S − Y_out ≤ ⌊(V + |S|) / 2⌋
    (R_S: returns in S, Y_S and Y_out: releases in and outside S, among the unit's people).
    `separate` finds, per home unit with a fractional person, the most violated S (people
    ranked by return + release, each prefix tried). The cuts hold for every whole assignment,
    so they change neither the optimum nor the set of optimal assignments.
    """

    def __init__(self, person, home, is_return, releasing, vacancy):
        self.person, self.home, self.vacancy = person, home, vacancy
        self.is_return, self.releasing = is_return, releasing
        n = len(home)
        self.involved = np.zeros(n, dtype=bool)
        self.involved[person[is_return | releasing]] = True

    def separate(self, x: np.ndarray):
        """(rows, right-hand sides) of the violated cuts, or None."""
        person, home, n = self.person, self.home, len(self.home)
        r = np.bincount(person[self.is_return], weights=x[self.is_return], minlength=n)
        y = np.bincount(person[self.releasing], weights=x[self.releasing], minlength=n)
        fractional = np.zeros(n, dtype=bool)
        fractional[person[np.abs(x - np.round(x)) > INTEGRALITY_TOL]] = True
        members: list[np.ndarray] = []
        rhs: list[float] = []
        for h in np.unique(home[fractional & self.involved]):
            p = np.flatnonzero(self.involved & (home == h))
            order = np.argsort(-(r[p] + y[p]), kind="stable")
            k = np.arange(1, len(p) + 1)
            violation = (np.cumsum((r[p] + y[p])[order]) - y[p].sum()
                         - np.floor((self.vacancy[h] + k) / 2))
            best = int(np.argmax(violation))
            if violation[best] > INTEGRALITY_TOL:
                members.append(p[order[:best + 1]])
                rhs.append(float(np.floor((self.vacancy[h] + best + 1) / 2)))
        if not rhs:
            return None
        in_s = np.full(n, -1)
        for row, s_members in enumerate(members):
            in_s[s_members] = row
        row_of_home = np.full(int(home.max()) + 1, -1)
        row_of_home[[home[m[0]] for m in members]] = np.arange(len(members))
        col_row = row_of_home[home[person]]
        returns = self.is_return & (in_s[person] == col_row) & (col_row >= 0)
        releases = self.releasing & (in_s[person] != col_row) & (col_row >= 0)
        cols = np.concatenate([np.flatnonzero(returns), np.flatnonzero(releases)])
        vals = np.concatenate([np.ones(returns.sum()), -np.ones(releases.sum())])
        A = sp.csr_matrix((vals, (col_row[cols], cols)), shape=(len(rhs), len(x)))
        return A, np.array(rhs)


def _optimal_face(lp: LinearProgram, sol, c: np.ndarray) -> LinearProgram | None:
    """`lp` with objective `c` over the optimal face of `lp` (None if the duals disagree).

    By complementary slackness with any optimal dual y, the optimal solutions are exactly the
    feasible x with x_j at its bound where the reduced cost c_j − (Aᵀy)_j is not 0, and every
    row whose dual is not 0 at the bound that dual belongs to. Costs are whole hundredths and
    the vertex duals of this matrix are small fractions, so a tolerance of 1e-6 is safe. A
    solver whose duals do not pass these checks gets None (the caller adds a score row).
    """
    y, x = sol.row_duals, sol.x
    if y is None or len(y) != lp.num_rows:
        return None
    tol = 1e-6
    reduced = lp.c - lp.A.T @ y
    activity = lp.A @ x
    at_lower, at_upper = reduced > tol, reduced < -tol
    row_lower, row_upper = y > tol, y < -tol
    if (np.any(np.abs(x[at_lower] - lp.col_lower[at_lower]) > INTEGRALITY_TOL)
            or np.any(np.abs(x[at_upper] - lp.col_upper[at_upper]) > INTEGRALITY_TOL)
            or np.any(np.abs(activity[row_lower] - lp.row_lower[row_lower]) > INTEGRALITY_TOL)
            or np.any(np.abs(activity[row_upper] - lp.row_upper[row_upper]) > INTEGRALITY_TOL)):
        return None
    return LinearProgram(
        c=c, A=lp.A,
        row_lower=np.where(row_upper, lp.row_upper, lp.row_lower),
        row_upper=np.where(row_lower, lp.row_lower, lp.row_upper),
        col_lower=np.where(at_upper, lp.col_upper, lp.col_lower),
        col_upper=np.where(at_lower, lp.col_lower, lp.col_upper))


def _check_group_sizes(groups, person, kind, target, n) -> None:
    """Group minimums that the people allowed in them cannot fill: say which, before solving.

    Each person joins at most one group and everyone may stay, so the minimums can all be met
    exactly when no set of groups needs more people than may join one of them (Hall's
    condition). Single groups are checked first, then every set of groups when there are at
    most `MAX_HALL_GROUPS` (beyond that the solver's verdict stands).
    """
    is_group = kind == OPTIONS.index(Opt.GROUP)
    m = len(groups)
    allowed = np.zeros((n, m), dtype=bool)
    allowed[person[is_group], target[is_group]] = True
    may = allowed.sum(axis=0)
    mins = groups["min_size"].to_numpy(np.int64)
    ids = groups["group_id"].tolist()
    problems = []
    for g, row in groups.iterrows():
        if row["min_size"] > may[g]:
            cap = f"age ≤ {int(row['max_age'])}, " if pd.notna(row.get("max_age")) else ""
            problems.append(
                f"task group {row['group_id']} ({row['name']}) needs at least "
                f"{int(row['min_size'])} people but only {int(may[g])} may join it ({cap}not "
                "seriously ill, not absent or missing)")
    if problems:
        raise CadreInfeasible("; ".join(problems) + "; lower min_size or max_age constraints")
    if m < 2 or m > MAX_HALL_GROUPS:
        return
    masks = allowed.astype(np.int64) @ (np.int64(1) << np.arange(m, dtype=np.int64))
    mask, count = np.unique(masks[masks > 0], return_counts=True)
    for subset in sorted(range(1, 1 << m), key=lambda s: (s.bit_count(), s)):
        members = [g for g in range(m) if subset >> g & 1]
        need = int(mins[members].sum())
        if len(members) < 2 or need == 0:
            continue
        can = int(count[(mask & subset) != 0].sum())
        if need > can:
            raise CadreInfeasible(
                f"task groups {', '.join(ids[g] for g in members)} need at least {need} "
                f"people together ({'; '.join(f'{ids[g]} needs {mins[g]}' for g in members)})"
                f" but only {can} may join any of them (each person joins one group; not "
                "seriously ill, not absent or missing, within max_age); lower min_size or "
                "max_age constraints")


def _assignments(people, groups, demands, units, chosen, person, kind, target, score,
                 follow, skills, wanted, prefs, exp, hp, eligible_retire, willing, to_stat
                 ) -> pd.DataFrame:
    """assignments.csv rows: one option per person with its score and a one-line reason."""
    rows = []
    by_person = {int(person[c]): c for c in chosen}
    exp_words = {1.0: say("cadre.in_charge"), 0.6: say("cadre.assisting"),
                 0.2: say("cadre.idle")}
    col = {k: people[k].to_numpy() for k in ("person_id", "unit_id", "quota_type", "health",
                                             "service_plan", "surplus_reason")}
    g_id, g_name = groups["group_id"].to_numpy(), groups["name"].to_numpy()
    d_id, d_unit, d_tier = (demands[k].to_numpy() for k in ("demand_id", "unit_id", "tier"))
    for p in range(len(people)):
        c = by_person[p]
        option = OPTIONS[kind[c]]
        group_id = to_unit = demand_id = ""
        if option == Opt.GROUP:
            group_id = g_id[target[c]]
            match = sorted(skills[p] & wanted[target[c]])
            pref = prefs[p].index(group_id) + 1 if group_id in prefs[p] else 0
            skill_text = (say("cadre.skills", skills=text.skills(match)) if match
                          else say("cadre.no_skills"))
            reason = say("cadre.group", group=g_name[target[c]], skills=skill_text,
                         preference=say("cadre.preference", rank=pref) if pref
                         else say("cadre.no_preference"), experience=exp_words[exp[p]])
        elif option == Opt.RETURN:
            reason = say("cadre.return")
        elif option == Opt.EARLY_RETIREMENT:
            # health is personal data: the reason shared with the committee does not name it
            why = say("cadre.willing") if willing[p] else say("cadre.on_file")
            reason = say("cadre.early_retirement", service=int(col["service_plan"][p]),
                         to_stat=max(to_stat[p], 0), why=why)
        elif option == Opt.TRANSFER:
            to_unit, demand_id = d_unit[target[c]], d_id[target[c]]
            reason = say("cadre.transfer", unit=text.named("unit", to_unit),
                         tier=text.tier(d_tier[target[c]]),
                         demand=demand_id)
        elif follow[p]:
            reason = say("cadre.follow_up", why=text.surplus_reason(col["surplus_reason"][p]))
        else:
            reason = say("cadre.stay")
        rows.append({
            "person_id": col["person_id"][p], "option": option, "group_id": group_id,
            "score": round(float(score[c]), 2), "reason": reason,
            "unit_id": col["unit_id"][p], "quota_type": col["quota_type"][p],
            "to_unit": to_unit, "demand_id": demand_id, "follow_up": "yes" if follow[p] else "no",
        })
    return pd.DataFrame(rows, columns=["person_id", "option", "group_id", "score", "reason",
                                       "unit_id", "quota_type", "to_unit", "demand_id",
                                       "follow_up"])


def _transfer_rows(assignments: pd.DataFrame, demands: pd.DataFrame, units: pd.DataFrame
                   ) -> pd.DataFrame:
    t = assignments[assignments["option"] == Opt.TRANSFER]
    tier = demands.set_index("demand_id")["tier"]
    system, sector = units["system"], units["sector"]
    source = np.where(system.reindex(t["unit_id"]).to_numpy() == system.reindex(
        t["to_unit"]).to_numpy(), "same_system", np.where(
        sector.reindex(t["unit_id"]).to_numpy() == sector.reindex(t["to_unit"]).to_numpy(),
        "same_sector", "other"))
    return pd.DataFrame({
        "person_id": t["person_id"].to_numpy(), "from_unit": t["unit_id"].to_numpy(),
        "to_unit": t["to_unit"].to_numpy(), "quota_type": t["quota_type"].to_numpy(),
        "demand_id": t["demand_id"].to_numpy(), "tier": tier.reindex(t["demand_id"]).to_numpy(),
        "source": source,
    })
