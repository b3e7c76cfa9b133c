"""Why a demand is short, and what one more quota would buy: the explanations of a plan.

`unmet_reasons` reads each unmet demand's reason off the solution (rule status and binding
arcs); `marginal_values` re-solves the model with one point less of reserve and with one more
pool quota per region (warm-started with HiGHS) and reports the extra quotas met per tier.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from solver.domain import TIER_ORDER, UNMET_REASON, Unmet
from solver.quotas import network as nw
from solver.quotas.extract import met_by_tier_block, per_row
from solver.quotas.network import Instance, Network
from solver.solve import HighsSession, LinearProgram, solve

# the sentence each unmet reason writes (codes and labels: solver.domain.UNMET_REASON_LIST)
UNMET_REASONS: dict[str, str] = {code: r.sentence for code, r in UNMET_REASON.items()}


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
    gate = per_row(net, nw.GATE, x, len(inst.rows))
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
            reasons[i] = Unmet.OVER_QUOTA_UNIT
        elif inst.rows.iloc[int(dem.row)]["lapsed"]:
            reasons[i] = Unmet.LAPSED_UNIT
        elif dem.gated and gate[int(dem.row)] >= inst.releases[int(dem.row)] - 0.5:
            reasons[i] = Unmet.FULL_UNIT
        elif blk["vacancy_available"] == 0 and not inst.policy.allow_cross_region:
            reasons[i] = Unmet.NO_SOURCE
        elif saturated[b]:
            rank = TIER_ORDER.index(dem.tier)
            higher = sum(met_tier.get((b, t), 0) for t in TIER_ORDER[:rank])
            own_tier = met_tier.get((b, dem.tier), 0)
            if own_tier == 0 and higher > 0:
                reasons[i] = Unmet.HIGHER_TIER
            elif (dem.tier == "operational" and inst.policy.incentive > 0
                  and best_met_priority.get(b, -1) > dem.priority):
                reasons[i] = Unmet.INCENTIVE
            elif blk["floor"] == 0:
                reasons[i] = Unmet.NO_SOURCE
            else:
                reasons[i] = Unmet.RESERVE_FLOOR
        else:
            reasons[i] = Unmet.NO_SOURCE
    return reasons


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


def marginal_values(inst: Instance, net: Network, x: np.ndarray, solver: str,
                    session: HighsSession | None) -> list[dict]:
    """Per region and type: extra quotas met per tier with one point less of reserve rate,
    and with one more pool quota — by re-solving the model with those bounds (exact)."""
    blocks = inst.blocks
    base = met_by_tier_block(inst, net, x)
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
        results[name] = None if xv is None else met_by_tier_block(inst, net, xv) - base
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

