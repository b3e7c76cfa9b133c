"""Solve the reallocation model and turn flows into plan tables with reasons.

`reallocate` is the entry point: prepare → check hard key demands → build → solve (LP, MIP
only if a vertex came out fractional) → extract moves, demands, units, pool → explain unmet
demands → marginal values by re-solving (warm-started with HiGHS).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from solver.domain import TIER_ORDER
from solver.errors import BianzhiError
from solver.quotas import network as nw
from solver.quotas.network import Instance, Network, build, prepare
from solver.scenario import Policy
from solver.solve import HighsSession, LinearProgram, Status, is_integral, solve
from solver.validate import Dataset

UNMET_REASONS: dict[str, str] = {
    "over_quota_unit": "the unit is over quota: over-quota units receive nothing and hire "
                       "nothing (超编单位只出不进)",
    "full_unit_release_first": "the unit is full: it receives only what it releases first "
                               "(满编单位先出后进)",
    "lapsed_unit": "the unit's functions lapsed: its vacancies go to the pool and it receives "
                   "nothing",
    "reserve_floor": "the region's vacancies are used down to the reserve floor (蓄水池)",
    "outranked_by_higher_tier": "the quotas left above the reserve floor went to higher tiers",
    "outranked_by_incentive": "the quotas left went to operational demands of units with a "
                              "better appraisal or more central tasks (激励导向)",
    "no_compatible_source": "no vacancy of this quota type is left in reach (region, type)",
}


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


def _resolve_variant(net: Network, solver: str, session: HighsSession | None,
                     cols: np.ndarray, upper: np.ndarray) -> np.ndarray | None:
    """Flows with changed upper bounds on some arcs (warm start with HiGHS)."""
    if session is not None:
        old = net.lp.col_upper[cols]
        session.set_col_bounds(cols, net.lp.col_lower[cols], upper)
        sol = session.run()
        session.set_col_bounds(cols, net.lp.col_lower[cols], old)
    else:
        lp = net.lp
        new_upper = lp.col_upper.copy()
        new_upper[cols] = upper
        variant = LinearProgram(lp.c, lp.A, lp.row_lower, lp.row_upper, lp.col_lower,
                                new_upper)
        sol = solve(variant, solver)
    if not sol.status.has_solution:
        return None
    return np.round(sol.x)


# ---------------------------------------------------------------- extraction


def _met_by_tier_block(inst: Instance, net: Network, x: np.ndarray) -> pd.DataFrame:
    d_arcs = net.arcs(nw.DEMAND)
    met = np.zeros(len(inst.demands))
    met[net.ref[d_arcs]] = x[d_arcs]
    frame = pd.DataFrame({"block_index": inst.demands["block_index"].to_numpy(),
                          "tier": inst.demands["tier"].to_numpy(), "met": met})
    return frame.pivot_table(index="block_index", columns="tier", values="met",
                             aggfunc="sum", fill_value=0.0).reindex(columns=list(TIER_ORDER),
                                                                    fill_value=0.0)


def _per_row(net: Network, family: int, x: np.ndarray, size: int) -> np.ndarray:
    arcs = net.arcs(family)
    out = np.zeros(size)
    np.add.at(out, net.ref[arcs], x[arcs])
    return out


def _match(supplies: list[list], needs: list[list], source: str, out: list) -> tuple[list, list]:
    """Pair supplies with needs in order; return what is left of each."""
    i = j = 0
    while i < len(supplies) and j < len(needs):
        amount = min(supplies[i][1], needs[j][1])
        if amount > 0:
            out.append((supplies[i][0], needs[j][0], amount, source))
        supplies[i][1] -= amount
        needs[j][1] -= amount
        if supplies[i][1] == 0:
            i += 1
        if needs[j][1] == 0:
            j += 1
    return [s for s in supplies[i:] if s[1] > 0], [n for n in needs[j:] if n[1] > 0]


def decompose(inst: Instance, net: Network, x: np.ndarray) -> list[tuple]:
    """Donor → recipient pieces from the tree flows, matched at their lowest common node.

    Returns (supplier, recipient_row, amount, source) where supplier is a quota row index or
    ("pool", block_index). Matching is in unit-id order, so the pairing is deterministic.
    """
    rows = inst.rows
    n = len(rows)
    up = nw.pooled_donor_flows(inst, net, x).round().astype(np.int64)
    down = _per_row(net, nw.DOWN, x, n).round().astype(np.int64)
    grant = _per_row(net, nw.GRANT, x, len(inst.blocks)).round().astype(np.int64)
    pieces: list[tuple] = []
    active = np.flatnonzero((up > 0) | (down > 0))
    sub = rows.iloc[active][["block_index", "sector", "system"]].assign(
        i=active, up=up[active], down=down[active])
    cross_supply: dict[str, list] = {}
    cross_need: dict[str, list] = {}
    blocks_active = set(sub["block_index"]) | set(np.flatnonzero(grant > 0))
    for b in sorted(blocks_active):
        in_block = sub[sub["block_index"] == b]
        root_supply: list[list] = []
        root_need: list[list] = []
        for _, in_sector in in_block.groupby("sector", sort=True):
            sec_supply: list[list] = []
            sec_need: list[list] = []
            for _, in_system in in_sector.groupby("system", sort=True):
                supplies = [[int(i), int(u)] for i, u in zip(in_system["i"], in_system["up"])
                            if u > 0]
                needs = [[int(i), int(d)] for i, d in zip(in_system["i"], in_system["down"])
                         if d > 0]
                s_left, n_left = _match(supplies, needs, "same_system", pieces)
                sec_supply += s_left
                sec_need += n_left
            s_left, n_left = _match(sec_supply, sec_need, "same_sector", pieces)
            root_supply += s_left
            root_need += n_left
        s_left, n_left = _match(root_supply, root_need, "other", pieces)
        if grant[b] > 0:
            pool_supply = [[("pool", int(b)), int(grant[b])]]
            p_left, n_left = _match(pool_supply, n_left, "pool", pieces)
            s_left += p_left
        qt = inst.blocks.iloc[int(b)]["quota_type"]
        cross_supply.setdefault(qt, []).extend(s_left)
        cross_need.setdefault(qt, []).extend(n_left)
    for qt in sorted(cross_supply):
        supplies = cross_supply[qt]
        pool_first = [s for s in supplies if isinstance(s[0], tuple)]
        donors = [s for s in supplies if not isinstance(s[0], tuple)]
        s_left, n_left = _match(donors, cross_need.get(qt, []), "other", pieces)
        p_left, n_left = _match(pool_first, n_left, "pool", pieces)
        if s_left or p_left or n_left:
            raise AssertionError(f"flow decomposition left {s_left + p_left} / {n_left}")
    return pieces


def _reason_text(tier: str, demand_id: str, source: str, donor: str, region_note: str) -> str:
    rung = {
        "same_system": f"vacancy of {donor} in the same system",
        "same_sector": f"vacancy of {donor} in a system of the same sector (职能相近)",
        "other": f"vacancy of {donor} in another sector",
        "pool": "dynamic quota from the pool (动态用编)",
    }[source]
    return f"{tier} demand {demand_id}: {rung}{region_note}"


def extract(inst: Instance, net: Network, x: np.ndarray,
            people: nw.PeopleMoves | None = None, mergers: nw.MergeMoves | None = None
            ) -> dict[str, pd.DataFrame]:
    """Plan tables from flows: demands (met, own), moves, units, pool."""
    rows, demands, blocks = inst.rows, inst.demands, inst.blocks
    n = len(rows)
    d_arcs = net.arcs(nw.DEMAND)
    met = np.zeros(len(demands), dtype=np.int64)
    met[net.ref[d_arcs]] = np.round(x[d_arcs]).astype(np.int64)
    hired = met.copy()
    met = met + demands["transferred"].to_numpy(np.int64)
    own = _per_row(net, nw.OWN, x, n).round().astype(np.int64)
    pieces = decompose(inst, net, x)
    incoming: dict[int, list[list]] = {}
    for supplier, recipient, amount, source in pieces:
        incoming.setdefault(recipient, []).append([supplier, amount, source])

    unit_ids = rows["unit_id"].to_numpy()
    regions = rows["region"].to_numpy()
    d = demands.assign(met=met, met_own=0)
    d["order"] = [TIER_ORDER.index(t) for t in d["tier"]]
    move_rows: list[dict] = []
    met_own = np.zeros(len(d), dtype=np.int64)
    served = d[d["met"] > 0].sort_values(["row", "order", "reward", "demand_id"],
                                         ascending=[True, True, False, True])
    for r, group in served.groupby("row", sort=True):
        own_left = int(own[r])
        queue = [list(p) for p in incoming.get(int(r), [])]
        for idx, dem in group.iterrows():
            need = int(dem["met"]) - int(dem["transferred"])
            take = min(own_left, need)
            met_own[idx] = take
            own_left -= take
            need -= take
            temporary = ""
            if dem["tier"] == "emergency" and pd.notna(dem.get("end_year")):
                temporary = str(int(dem["end_year"]))
            while need > 0:
                if not queue:
                    raise AssertionError(f"demand {dem['demand_id']} met beyond its inflow")
                supplier, amount, source = queue[0]
                take = min(amount, need)
                if isinstance(supplier, tuple):
                    from_unit, kind = "", "pool_grant"
                    src_region = blocks.iloc[supplier[1]]["region"]
                    donor = f"the {src_region} pool"
                else:
                    from_unit, kind = unit_ids[supplier], "transfer"
                    src_region = regions[supplier]
                    donor = from_unit
                note = "" if src_region == regions[r] else f" (from region {src_region})"
                move_rows.append({
                    "kind": kind, "quota_type": dem["quota_type"], "from_unit": from_unit,
                    "to_unit": unit_ids[r], "amount": take, "demand_id": dem["demand_id"],
                    "tier": dem["tier"], "source": source,
                    "reason": _reason_text(dem["tier"], dem["demand_id"], source, donor, note),
                    "temporary_until": temporary, "from_region": src_region,
                    "to_region": regions[r],
                })
                need -= take
                queue[0][1] -= take
                if queue[0][1] == 0:
                    queue.pop(0)
    d["met_own"] = met_own
    d["met_transfer"] = d["transferred"]
    if people is not None and len(people.transfers):
        unit_region = dict(zip(rows["unit_id"], rows["region"]))
        for t in people.transfers.itertuples():
            move_rows.append({
                "kind": "transfer_with_person", "quota_type": t.quota_type,
                "from_unit": t.from_unit, "to_unit": t.to_unit, "amount": 1,
                "demand_id": t.demand_id, "tier": t.tier, "source": t.source,
                "reason": f"{t.tier} demand {t.demand_id}: surplus person {t.person_id} moves "
                          f"from {t.from_unit} with the quota (带编调剂)",
                "temporary_until": "", "from_region": unit_region.get(t.from_unit, ""),
                "to_region": unit_region.get(t.to_unit, ""),
            })
    withdraw = rows[rows["withdraw"] > 0]
    withdraw_moves = [{
        "kind": "withdraw", "quota_type": w["quota_type"], "from_unit": w["unit_id"],
        "to_unit": "", "amount": int(w["withdraw"]), "demand_id": "", "tier": "",
        "source": "", "reason": "functions lapsed: vacant quotas withdrawn to the pool (收回)",
        "temporary_until": "", "from_region": w["region"], "to_region": w["region"],
    } for _, w in withdraw.iterrows()]
    columns = ["kind", "quota_type", "from_unit", "to_unit", "amount", "demand_id", "tier",
               "source", "reason", "temporary_until", "from_region", "to_region"]
    moves = pd.DataFrame(withdraw_moves + move_rows, columns=columns)

    merge_moves = [{
        "kind": "merge_release", "quota_type": r["quota_type"], "from_unit": r["unit_id"],
        "to_unit": "", "amount": int(r["merge_freed"]), "demand_id": "", "tier": "",
        "source": "", "reason": (mergers.reasons.get(r["unit_id"], "") if mergers else "")
        or "merger of small institutions: overhead freed to the pool (整合小散弱)",
        "temporary_until": "", "from_region": r["region"], "to_region": r["region"],
    } for _, r in rows[rows["merge_freed"] > 0].iterrows()]
    if merge_moves:
        moves = pd.concat([moves, pd.DataFrame(merge_moves, columns=columns)],
                          ignore_index=True)
    # units: the figures after people and mergers, ± the moves the model made, + hires
    approved_after = rows["approved_now"].to_numpy(np.int64).copy()
    key = pd.Series(np.arange(n), index=pd.MultiIndex.from_frame(rows[["unit_id", "quota_type"]]))
    model_moves = moves[moves["kind"].isin(["transfer", "pool_grant", "withdraw"])]
    if len(model_moves):
        out_moves = model_moves[model_moves["from_unit"] != ""]
        idx = key.reindex(pd.MultiIndex.from_frame(out_moves[["from_unit", "quota_type"]]))
        np.subtract.at(approved_after, idx.to_numpy(), out_moves["amount"].to_numpy(np.int64))
        in_moves = model_moves[model_moves["to_unit"] != ""]
        idx = key.reindex(pd.MultiIndex.from_frame(in_moves[["to_unit", "quota_type"]]))
        np.add.at(approved_after, idx.to_numpy(), in_moves["amount"].to_numpy(np.int64))
    hires = np.zeros(n, dtype=np.int64)
    np.add.at(hires, d["row"].to_numpy(), hired)
    units = pd.DataFrame({
        "unit_id": rows["unit_id"], "quota_type": rows["quota_type"],
        "region": rows["region"], "system": rows["system"],
        "approved_before": rows["approved"].to_numpy(np.int64), "approved_after": approved_after,
        "staff_before": rows["staff"].to_numpy(np.int64),
        "staff_after": rows["staff_now"].to_numpy(np.int64) + hires,
        "status": rows["status"],
    })
    granted = np.zeros(len(blocks), dtype=np.int64)
    for supplier, _, amount, _ in pieces:
        if isinstance(supplier, tuple):
            granted[supplier[1]] += amount
    pool = pd.DataFrame({
        "region": blocks["region"].to_numpy(), "quota_type": blocks["quota_type"].to_numpy(),
        "balance_before": blocks["pool_before"].to_numpy(np.int64),
        "withdrawn": blocks["withdraw"].to_numpy(np.int64),
        "merge_released": blocks["merge_released"].to_numpy(np.int64),
        "granted": granted,
    })
    pool["balance_after"] = (pool["balance_before"] + pool["withdrawn"] + pool["merge_released"]
                             - pool["granted"])
    return {"demands": d, "moves": moves, "units": units, "pool": pool}


# ---------------------------------------------------------------- explanations


def unmet_reasons(inst: Instance, net: Network, x: np.ndarray, d: pd.DataFrame) -> np.ndarray:
    """Why each demand is short, read off the solution: rule status and binding arcs.

    - over_quota_unit / lapsed_unit: the unit's status (its demand arc has capacity 0);
    - full_unit_release_first: the demand passes a gate arc that is saturated;
    - otherwise the block's budget arc (the reserve) decides: if it is saturated, a tier that
      got nothing while a higher tier got quotas is outranked_by_higher_tier; an operational
      demand that lost to a met one with a better appraisal is outranked_by_incentive; the
      rest is reserve_floor (no_compatible_source where the floor is 0 and every vacancy went);
    - no_compatible_source: no supply at all in reach (no vacancy, no pool).
    """
    blocks = inst.blocks
    budget_arcs = net.arcs(nw.BUDGET)
    budget_flow = np.zeros(len(blocks))
    budget_flow[net.ref[budget_arcs]] = x[budget_arcs]
    saturated = budget_flow >= blocks["budget"].to_numpy() - 0.5
    if inst.policy.allow_cross_region:
        qt = blocks["quota_type"].to_numpy()
        all_sat = pd.Series(saturated).groupby(qt).transform("all").to_numpy()
        saturated = all_sat
    gate = _per_row(net, nw.GATE, x, len(inst.rows))
    met_tier = d.groupby(["block_index", "tier"])["met"].sum()
    reasons = np.full(len(d), "", dtype=object)
    op_met = d[(d["tier"] == "operational") & (d["met"] > 0)]
    best_met_priority = op_met.groupby("block_index")["priority"].max()
    for i, dem in enumerate(d.itertuples(index=False)):
        if dem.met >= dem.amount:
            continue
        b = int(dem.block_index)
        blk = blocks.iloc[b]
        if dem.status == "over":
            reasons[i] = "over_quota_unit"
        elif inst.rows.iloc[int(dem.row)]["lapsed"]:
            reasons[i] = "lapsed_unit"
        elif dem.gated and gate[int(dem.row)] >= inst.releases[int(dem.row)] - 0.5:
            reasons[i] = "full_unit_release_first"
        elif blk["vacancy_available"] == 0 and not inst.policy.allow_cross_region:
            reasons[i] = "no_compatible_source"
        elif saturated[b]:
            rank = TIER_ORDER.index(dem.tier)
            higher = sum(met_tier.get((b, t), 0) for t in TIER_ORDER[:rank])
            own_tier = met_tier.get((b, dem.tier), 0)
            if own_tier == 0 and higher > 0:
                reasons[i] = "outranked_by_higher_tier"
            elif (dem.tier == "operational" and inst.policy.incentive > 0
                  and best_met_priority.get(b, -1) > dem.priority):
                reasons[i] = "outranked_by_incentive"
            elif blk["floor"] == 0:
                reasons[i] = "no_compatible_source"
            else:
                reasons[i] = "reserve_floor"
        else:
            reasons[i] = "no_compatible_source"
    return reasons


def marginal_values(inst: Instance, net: Network, x: np.ndarray, solver: str,
                    session: HighsSession | None) -> list[dict]:
    """Per region and type: extra quotas met per tier with one point less of reserve rate,
    and with one more pool quota — by re-solving the model with those bounds (exact)."""
    blocks = inst.blocks
    base = _met_by_tier_block(inst, net, x)
    budget_arcs = net.arcs(nw.BUDGET)
    pool_arcs = net.arcs(nw.POOL_SUPPLY)
    budget_block = net.ref[budget_arcs]
    pool_block = net.ref[pool_arcs]
    vb = blocks["vacancy_available"].to_numpy()
    rate = blocks["rate"].to_numpy()
    base_q = blocks["base"].to_numpy()
    floor_less = np.array([math.ceil(max(r - 0.01, 0) * q - 1e-9) for r, q in zip(rate, base_q)])
    budget_less = np.maximum(vb - floor_less, 0)[budget_block]
    floor_pool = np.array([math.ceil(r * (q + 1) - 1e-9) for r, q in zip(rate, base_q)])
    budget_pool = np.maximum(vb + 1 - floor_pool, 0)[budget_block]
    results = {}
    x_less = _resolve_variant(net, solver, session, budget_arcs, budget_less)
    cols = np.concatenate([budget_arcs, pool_arcs])
    upper = np.concatenate([budget_pool, blocks["pool_supply"].to_numpy(float)[pool_block] + 1])
    x_pool = _resolve_variant(net, solver, session, cols, upper)
    for name, xv in (("reserve_rate_minus_1pt", x_less), ("pool_plus_1", x_pool)):
        results[name] = None if xv is None else _met_by_tier_block(inst, net, xv) - base
    has_demand = set(inst.demands["block_index"])
    out = []
    for b in range(len(blocks)):
        if b not in has_demand:
            continue
        blk = blocks.iloc[b]
        entry = {"region": blk["region"], "quota_type": blk["quota_type"]}
        for name, delta in results.items():
            if delta is None:
                entry[name] = None
                continue
            row = delta.loc[b] if b in delta.index else pd.Series(0.0, index=list(TIER_ORDER))
            entry[name] = {t: int(round(row.get(t, 0.0))) for t in TIER_ORDER}
        out.append(entry)
    return out


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
        objective=float(net.cost @ x), ladder_cost=_ladder_cost(net, x, inst.policy), gap=None,
        mip_fallback=False,
        size={"arcs": int(net.lp.num_cols), "nodes": int(net.lp.num_rows),
              "quota_rows": len(inst.rows), "demands": len(inst.demands),
              "blocks": len(inst.blocks)},
        people=people, mergers=mergers,
    )


def _ladder_cost(net: Network, x: np.ndarray, policy: Policy) -> float:
    """Σ ladder cost of the moves (the objective without rewards and tie-breaks)."""
    c = policy.source_costs
    cost_of = {nw.DOWN: c.same_system, nw.SEC_DOWN: c.same_sector - c.same_system,
               nw.ROOT_DOWN: c.other - c.same_sector, nw.GRANT: c.pool - c.other,
               nw.X_DOWN: c.cross_region - c.other}
    return float(sum(cost * x[net.arcs(f)].sum() for f, cost in cost_of.items()))
