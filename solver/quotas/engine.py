"""Solve the reallocation model and turn flows into plan tables with reasons.

`reallocate` is the entry point: prepare → check hard key demands → build → solve (LP, MIP
only if a vertex came out fractional) → extract moves, demands, units, pool → explain unmet
demands → marginal values by re-solving (warm-started with HiGHS).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from solver.errors import BianzhiError
from solver.quotas import network as nw
from solver.quotas.explain import marginal_values, unmet_reasons
from solver.quotas.extract import extract, ladder_cost
from solver.quotas.network import Instance, Network, build, prepare
from solver.scenario import Policy
from solver.solve import HighsSession, Status, is_integral, solve
from solver.validate import Dataset


class PlanInfeasible(BianzhiError):
    """Hard rules that cannot all hold (e.g. hard key demands); names the rules that block."""

    exit_code = 3


class SolveFailed(BianzhiError):
    exit_code = 3


@dataclass
class QuotaPlan:
    """The reallocation part of a plan, as tables, with how it was found."""

    demands: pd.DataFrame
    moves: pd.DataFrame
    units: pd.DataFrame
    pool: pd.DataFrame
    blocks: pd.DataFrame
    marginal_values: list[dict]
    status: Status
    solver: str
    objective: float
    ladder_cost: float
    gap: float | None
    mip_fallback: bool
    timings: dict[str, float] = field(default_factory=dict)
    size: dict[str, int] = field(default_factory=dict)
    people: nw.PeopleMoves | None = None
    mergers: nw.MergeMoves | None = None
    # the model behind the plan, kept for alternatives (not written anywhere)
    instance: Instance | None = None
    network: Network | None = None
    flows: np.ndarray | None = None


# ---------------------------------------------------------------- hard key demands


def check_hard_keys(inst: Instance) -> list[str]:
    """Why hard key demands cannot all be met: one sentence per blocking rule."""
    if not inst.policy.key_demands_hard:
        return []
    problems: list[str] = []
    d = inst.demands
    rows = inst.rows
    keys = d[d["tier"] == "key"]
    for _, dem in keys.iterrows():
        row = rows.iloc[int(dem["row"])]
        where = f"key demand {dem['demand_id']} ({dem['amount']} {dem['quota_type']} for " \
                f"{dem['unit_id']})"
        if row["status"] == "over":
            problems.append(f"{where}: the unit is over quota (staff {row['staff']} > approved "
                            f"{row['approved']}); over-quota units receive nothing "
                            "(超编单位只出不进)")
        elif row["lapsed"]:
            problems.append(f"{where}: the unit's functions lapsed (function_status lapsed); "
                            "it receives nothing")
    gated = keys[keys["gated"]]
    for r, group in gated.groupby("row"):
        release = int(inst.releases[int(r)])
        need = int(group["open_amount"].sum())
        if need > release:
            row = rows.iloc[int(r)]
            problems.append(
                f"key demands {', '.join(group['demand_id'])} of full unit {row['unit_id']} need "
                f"{need} but it releases {release}; key is listed in "
                "policy.full_units_release_first (满编单位先出后进)")
    eligible = keys[keys["eligible"]]
    need = eligible.groupby("block_index")["open_amount"].sum()
    if not inst.policy.allow_cross_region:
        for b, amount in need.items():
            blk = inst.blocks.iloc[int(b)]
            if amount > blk["budget"]:
                problems.append(
                    f"region {blk['region']}, {blk['quota_type']}: key demands need {amount} "
                    f"quotas but only {blk['budget']} can be used: vacancies {blk['unit_vacancy']} "
                    f"+ pool {blk['pool_before']} = {blk['vacancy_available']}, and the reserve "
                    f"floor keeps {blk['floor']} (reserve_rate {blk['rate']:g} of "
                    f"{blk['base']} approved + pool)")
    else:
        by_type = eligible.groupby("quota_type")["open_amount"].sum()
        budget = inst.blocks.groupby("quota_type")["budget"].sum()
        for qt, amount in by_type.items():
            if amount > budget.get(qt, 0):
                problems.append(f"{qt}: key demands need {amount} quotas but only "
                                f"{budget.get(qt, 0)} can be used across all regions while "
                                "keeping each region's reserve floor")
    return problems


# ---------------------------------------------------------------- solving


def _run(net: Network, solver: str, time_limit: float | None):
    """Solve the LP; returns (solution, session or None, used_mip)."""
    lp = net.lp
    if solver == "highs":
        session = HighsSession(lp, time_limit=time_limit)
        sol = session.run()
    else:
        session = None
        sol = solve(lp, "cbc", time_limit=time_limit)
    used_mip = False
    if sol.status.has_solution and not is_integral(sol.x):
        # Side rules may break the network structure: fall back to the exact MIP.
        used_mip = True
        sol = solve(lp.as_mip(), solver, time_limit=time_limit)
        session = None
    return sol, session, used_mip




# ---------------------------------------------------------------- extraction














# ---------------------------------------------------------------- explanations






# ---------------------------------------------------------------- entry point


def reallocate(ds: Dataset, policy: Policy, solver: str = "highs",
               time_limit: float | None = None, releases: dict | None = None,
               with_marginals: bool = True, people: nw.PeopleMoves | None = None,
               mergers: nw.MergeMoves | None = None) -> QuotaPlan:
    """The optimal reallocation plan for the dataset under the policy.

    `people` carries the surplus cadres' early retirements and transfers with the quota,
    decided first (solver.cadres); their releases flow into this reallocation.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    inst = prepare(ds, policy, releases, people, mergers)
    blocking = check_hard_keys(inst)
    if blocking:
        raise PlanInfeasible(
            "hard key demands cannot all be met (policy.key_demands_hard is true):\n"
            + "\n".join(f"  - {b}" for b in blocking)
            + "\nfix: lower those demands, free quota (pool, reserve_rate), or set "
            "policy.key_demands_hard: false to meet what can be met")
    net = build(inst)
    timings["build"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    sol, session, used_mip = _run(net, solver, time_limit)
    timings["solve"] = time.perf_counter() - t1
    if not sol.status.has_solution:
        if sol.status == Status.INFEASIBLE:
            raise PlanInfeasible("the rules cannot all hold together (the solver proved it "
                                 "infeasible); check hard key demands and the reserve rate")
        raise SolveFailed(f"the solver stopped without a plan: {sol.message} "
                          f"(status {sol.status.value}); raise --time-limit or try --solver")
    x = np.round(sol.x)
    t2 = time.perf_counter()
    plan = plan_from_flows(inst, net, x, people, mergers)
    timings["extract"] = time.perf_counter() - t2
    t3 = time.perf_counter()
    plan.marginal_values = marginal_values(inst, net, x, solver, session) if with_marginals \
        else []
    timings["marginal_values"] = time.perf_counter() - t3
    plan.status, plan.solver, plan.objective = sol.status, solver, float(sol.objective)
    plan.gap, plan.mip_fallback, plan.timings = sol.gap, used_mip, timings
    plan.instance, plan.network, plan.flows = inst, net, x
    return plan


def plan_from_flows(inst: Instance, net: Network, x: np.ndarray,
                    people: nw.PeopleMoves | None = None,
                    mergers: nw.MergeMoves | None = None) -> QuotaPlan:
    """The plan tables and reasons of one solution (the optimum or an alternative)."""
    tables = extract(inst, net, x, people, mergers)
    d = tables["demands"]
    d["unmet_reason"] = unmet_reasons(inst, net, x, d)
    blocks = inst.blocks.copy()
    hired = (d["met"] - d["transferred"]).groupby(d["block_index"]).sum()
    blocks["used"] = hired.reindex(range(len(blocks))).fillna(0).to_numpy(np.int64)
    blocks["vacancy_after"] = blocks["vacancy_available"] - blocks["used"]
    return QuotaPlan(
        demands=d, moves=tables["moves"], units=tables["units"], pool=tables["pool"],
        blocks=blocks, marginal_values=[], status=Status.OPTIMAL, solver="",
        objective=float(net.cost @ x), ladder_cost=ladder_cost(net, x, inst.policy), gap=None,
        mip_fallback=False,
        size={"arcs": int(net.lp.num_cols), "nodes": int(net.lp.num_rows),
              "quota_rows": len(inst.rows), "demands": len(inst.demands),
              "blocks": len(inst.blocks)},
        people=people, mergers=mergers,
    )


