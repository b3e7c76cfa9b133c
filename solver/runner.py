"""One run of a scenario: cadres first, their releases into the reallocation, one Plan.

The documented order (issue 4): surplus cadres are assigned first (`solver.cadres`); their
early retirements and transfers with the quota become the releases and moves the quota
reallocation (`solver.quotas`) starts from.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from solver.aux import AuxOptions, AuxPlan, locked_base, plan_aux, takeover_vacancies
from solver.cadres.model import CadrePlan, CadreWeights, plan_cadres
from solver.consolidation import ConsolidationOptions, MergerPlan, plan_mergers
from solver import text
from solver.edits import load_data
from solver.names import Names
from solver.plan import Plan, PlanViolation
from solver.quotas.engine import QuotaPlan, reallocate
from solver.quotas.network import MergeMoves, PeopleMoves
from solver.scenario import Scenario
from solver.scenario import plan_year as scenario_plan_year
from solver.validate import Dataset
from solver.years.perfect import plan_perfect
from solver.years.rolling import run_years


def plan_year(scenario: Scenario, ds: Dataset) -> int:
    """The plan year a run needs (ages of surplus people): the scenario's, else the horizon's
    start, else the data's; when none gives one, the current calendar year (`assume_year`)."""
    year = scenario_plan_year(scenario, ds.year)
    return assume_year(scenario) if year is None else year


def assume_year(scenario: Scenario) -> int:
    """The current calendar year as the plan year, recorded on the scenario as the
    `--set year=…` it amounts to: summary.json says so, and `verify` and a re-run resolve the
    same year whatever the date (valid data without dated demands is not refused)."""
    year = date.today().year
    scenario.year = year
    scenario.sets = [*scenario.sets, f"year={year}"]
    scenario.year_assumed = True
    return year


@dataclass
class Prelude:
    """What happens before the reallocation: surplus cadres and mergers, and what they hand
    the quota model (people's releases and moves, merged groups)."""

    cadres: CadrePlan | None = None
    people: PeopleMoves | None = None
    mergers: MergerPlan | None = None
    merges: MergeMoves | None = None
    timings: dict[str, float] = field(default_factory=dict)


def prelude(scenario: Scenario, ds: Dataset) -> Prelude:
    """Assign surplus cadres (issue 4), then choose mergers (issue 7), as a run does."""
    out = Prelude()
    if ds.people is not None and scenario.cadres.enabled:
        year = plan_year(scenario, ds)
        c = scenario.cadres
        out.cadres = plan_cadres(
            ds, plan_year=year, data_year=ds.year or year,
            weights=CadreWeights(**c.weights.model_dump()), transfers=c.transfers,
            transfer_min_fit=c.transfer_min_fit,
            full_units_release_first=tuple(scenario.policy.full_units_release_first),
            solver=scenario.solver.name)
        out.timings["cadres"] = out.cadres.seconds
        out.people = PeopleMoves(retirements=out.cadres.retirements,
                                 transfers=out.cadres.transfers, returns=out.cadres.returns)
    if scenario.consolidation.enabled:
        c = scenario.consolidation
        leaders = scenario.leader_posts
        out.mergers = plan_mergers(ds, ConsolidationOptions(
            enabled=True, threshold=c.threshold, max_size=c.max_size,
            overhead_per_unit=c.overhead_per_unit,
            leader_limit=leaders.rules() if leaders.hard_limit_on_mergers else None),
            solver=scenario.solver.name,
            held=out.cadres.returns if out.cadres is not None else None)
        out.timings["consolidation"] = out.mergers.seconds
        out.merges = merge_moves(out.mergers)
    return out


def run_scenario(scenario: Scenario, ds: Dataset | None = None,
                 with_marginals: bool = True) -> Plan:
    """Load (unless given), assign cadres, reallocate quotas; the plan, not yet verified."""
    timings: dict[str, float] = {}
    if ds is None:
        start = time.perf_counter()
        ds = load_data(scenario)
        timings["load"] = time.perf_counter() - start
    # the plan's sentences name the units and regions they speak of (solver.text.named)
    with text.naming(Names.from_dataset(ds).by_kind):
        return _run_scenario(scenario, ds, timings, with_marginals)


def _run_scenario(scenario: Scenario, ds: Dataset, timings: dict[str, float],
                  with_marginals: bool) -> Plan:
    before = prelude(scenario, ds)
    timings.update(before.timings)
    if scenario.horizon is not None:
        return run_horizon(scenario, ds, before, timings)
    quota = reallocate(ds, scenario.policy, solver=scenario.solver.name,
                       time_limit=scenario.solver.time_limit, with_marginals=with_marginals,
                       people=before.people, mergers=before.merges)
    aux = off_quota(scenario, ds, quota)
    if aux is not None:
        timings["aux"] = aux.seconds
    return Plan(scenario=scenario, dataset=ds, quota=quota, cadres=before.cadres, aux=aux,
                mergers=before.mergers, timings=timings)


def run_horizon(scenario: Scenario, ds: Dataset, before: Prelude,
                timings: dict[str, float]) -> Plan:
    """A plan over the horizon's years (issue 12, docs/rules.md § 19a): perfect or myopic
    foresight; the off-quota plan on the first year's vacancies, held in later years."""
    locked = locked_base(ds) if ds.aux_positions is not None else None

    def year_off_quota(year_ds: Dataset, quota: QuotaPlan, k: int) -> AuxPlan | None:
        if k == 0:
            return off_quota(scenario, year_ds, quota)
        if year_ds.aux_positions is None or not scenario.aux.enabled:
            return None
        # a later year: the cumulative cut of the locked base; the take-over was the first
        # year's (its vacancies stay held), so no vacancy takes over anything new
        none = pd.DataFrame({"unit_id": pd.Series(dtype=object), "takeover": pd.Series(
            dtype=np.int64)})
        return plan_aux(year_ds, aux_options(scenario), solver=scenario.solver.name,
                        takeover=none, locked=locked, cut_years=k + 1)

    plan_years = plan_perfect if scenario.horizon.foresight == "perfect" else run_years
    years = plan_years(scenario, ds, before, off_quota=year_off_quota)
    timings.update(years.timings)
    first = years.years[0]
    aux = years.aux
    if aux is not None:
        timings["aux"] = aux.seconds
    return Plan(scenario=scenario, dataset=ds, quota=first.quota, cadres=before.cadres,
                aux=aux, mergers=before.mergers, timings=timings, years=years)


def off_quota(scenario: Scenario, ds: Dataset, quota: QuotaPlan) -> AuxPlan | None:
    """The off-quota plan on the vacancies a reallocation leaves (None when not asked for).

    A near-optimal alternative reallocation gets its own (its vacancies lie elsewhere)."""
    if ds.aux_positions is None or not scenario.aux.enabled:
        return None
    options = aux_options(scenario)
    free, spare = vacancies_left(quota)
    return plan_aux(ds, options, solver=scenario.solver.name,
                    takeover=takeover_vacancies(ds, options, free, spare))


def aux_options(scenario: Scenario) -> AuxOptions:
    a = scenario.aux
    return AuxOptions(reduction=a.reduction, essential_weights=a.essential_weights,
                      vacancy_offset=a.vacancy_offset)


def vacancies_left(quota: QuotaPlan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the reallocation leaves for the off-quota take-over (one use per vacancy).

    free: per unit and type, max(approved_after − staff_after − held for returns, 0);
    spare: per region and type, free vacancies + pool after − the reserve floor (≥ 0): what
    the take-over may use without taking the reserve below its floor.
    """
    u = quota.units
    free = u[["unit_id", "quota_type", "region"]].copy()
    free["free"] = (u["approved_after"] - u["staff_after"] - u["returns_held"]).clip(lower=0)
    per_block = free.groupby(["region", "quota_type"])["free"].sum()
    pool = quota.pool.groupby(["region", "quota_type"])["balance_after"].sum()
    floor = quota.blocks.set_index(["region", "quota_type"])["floor"]
    spare = (per_block.add(pool, fill_value=0).sub(floor, fill_value=0)).clip(lower=0)
    spare = spare.rename("spare").reset_index()
    spare["spare"] = spare["spare"].astype(np.int64)
    return free, spare


def checked_plan(scenario: Scenario, ds: Dataset, with_marginals: bool = True) -> Plan:
    """The one pipeline of `run`, `sweep` and `bench --whole`: run the scenario, then verify
    every hard rule; a plan that breaks one raises PlanViolation (nothing is written)."""
    plan = run_scenario(scenario, ds, with_marginals=with_marginals)
    start = time.perf_counter()
    violations = plan.verify()
    plan.timings["verify"] = time.perf_counter() - start
    if violations:
        raise PlanViolation("the plan breaks hard rules (nothing was written):\n"
                            + "\n".join(f"  - {x}" for x in violations))
    return plan


def merge_moves(plan) -> MergeMoves:
    """What the reallocation needs of a merger plan: who keeps whom, what each unit frees."""
    t = plan.table
    absorbed = t[t["role"] == "absorbed"]
    return MergeMoves(
        owner=dict(zip(absorbed["unit_id"], absorbed["keeper_id"])),
        freed={(r["unit_id"], r["quota_type"]): int(r["amount"])
               for _, r in plan.releases.iterrows()},
        reasons={r["unit_id"]: r["reason"] for _, r in plan.releases.iterrows()})
