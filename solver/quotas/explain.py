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
    b = d["block_index"].to_numpy(np.int64)
    row = d["row"].to_numpy(np.int64)
    met = d["met"].to_numpy(np.int64)
    rank = pd.Categorical(d["tier"], categories=TIER_ORDER).codes.astype(np.int64)
    # met quotas per block and tier; what the tiers above a demand's got in its block
    met_tier = np.zeros((len(blocks), len(TIER_ORDER)), dtype=np.int64)
    np.add.at(met_tier, (b, rank), met)
    higher = (np.cumsum(met_tier, axis=1) - met_tier)[b, rank]
    own_tier = met_tier[b, rank]
    # the best appraisal among a block's met operational demands (-1: none met)
    best = np.full(len(blocks), -1.0)
    op_met = (d["tier"].to_numpy() == "operational") & (met > 0)
    np.maximum.at(best, b[op_met], d["priority"].to_numpy(float)[op_met])
    cross = inst.policy.allow_cross_region
    # the first rule that holds names the reason (the order of the docstring)
    rules = [
        (d["status"].to_numpy() == "over", Unmet.OVER_QUOTA_UNIT),
        (inst.rows["lapsed"].to_numpy(bool)[row], Unmet.LAPSED_UNIT),
        (d["gated"].to_numpy(bool) & (gate[row] >= np.asarray(inst.releases)[row] - 0.5),
         Unmet.FULL_UNIT),
        ((blocks["vacancy_available"].to_numpy()[b] == 0) & (not cross), Unmet.NO_SOURCE),
        (~saturated[b], Unmet.NO_SOURCE),
        ((own_tier == 0) & (higher > 0), Unmet.HIGHER_TIER),
        ((d["tier"].to_numpy() == "operational") & (inst.policy.incentive > 0)
         & (best[b] > d["priority"].to_numpy(float)), Unmet.INCENTIVE),
        (blocks["floor"].to_numpy()[b] == 0, Unmet.NO_SOURCE),
    ]
    reasons = np.select([c for c, _ in rules], [str(r) for _, r in rules],
                        default=str(Unmet.RESERVE_FLOOR)).astype(object)
    reasons[met >= d["amount"].to_numpy(np.int64)] = ""
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
    # the blocks with demands, in block order; each variant's gain per tier as whole numbers
    held = np.unique(inst.demands["block_index"].to_numpy(np.int64))
    gains = {name: None if delta is None else
             np.rint(delta.reindex(index=held, columns=list(TIER_ORDER), fill_value=0.0)
                     .fillna(0.0).to_numpy()).astype(np.int64).tolist()
             for name, delta in results.items()}
    regions = blocks["region"].to_numpy()[held].tolist()
    types = blocks["quota_type"].to_numpy()[held].tolist()
    return [{"region": regions[k], "quota_type": types[k],
             **{name: None if rows is None else dict(zip(TIER_ORDER, rows[k]))
                for name, rows in gains.items()}}
            for k in range(len(held))]

