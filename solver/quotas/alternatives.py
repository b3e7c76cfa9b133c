"""Near-optimal alternatives: plans of equal merit that differ in which donors give.

After the idea of Calliope's SPORES and PyPSA's modelling-to-generate-alternatives: keep the
outcome fixed — every demand met exactly as in the optimal plan — allow the source ladder cost
to rise by at most `slack` (e.g. 2%), and minimise how much the plan draws on donors that
earlier plans already used (weight = number of earlier plans in which the donor gave). Each new
plan so pushes away from all the ones before it. Donors are modelled one by one here (no
pooling), so "which donors give" is what changes.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from solver.quotas import network as nw
from solver.quotas.engine import QuotaPlan, plan_from_flows
from solver.solve import LinearProgram, solve_integral

LADDER_FAMILIES = (nw.DOWN, nw.SEC_DOWN, nw.ROOT_DOWN, nw.GRANT, nw.X_DOWN)


def _donor_use(net: nw.Network, x: np.ndarray, n_rows: int) -> np.ndarray:
    arcs = net.arcs(nw.SUPPLY)
    use = np.zeros(n_rows)
    np.add.at(use, net.ref[arcs], x[arcs])
    return use


def alternatives(plan: QuotaPlan, count: int, slack: float = 0.02, solver: str = "highs"
                 ) -> list[QuotaPlan]:
    """Up to `count` plans meeting every demand as the optimum does, ladder cost within
    (1 + slack) of it, each as different as possible in its donors from all before it."""
    inst, base_net, base_x = plan.instance, plan.network, plan.flows
    if inst is None or count <= 0:
        return []
    net = nw.build(inst, pool_donors=False)
    lp = net.lp
    # the outcome is fixed: each demand exactly as met in the optimal plan
    demand_arcs = net.arcs(nw.DEMAND)
    met = np.zeros(len(inst.demands))
    base_demand = base_net.arcs(nw.DEMAND)
    met[base_net.ref[base_demand]] = base_x[base_demand]
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    lower[demand_arcs] = upper[demand_arcs] = met[net.ref[demand_arcs]]
    ladder = np.zeros(lp.num_cols)
    for family in LADDER_FAMILIES:
        arcs = net.arcs(family)
        ladder[arcs] = net.cost[arcs]
    best = plan.ladder_cost
    row = sp.csr_matrix(ladder)
    A = sp.vstack([lp.A, row]).tocsc()
    row_lower = np.append(lp.row_lower, -np.inf)
    row_upper = np.append(lp.row_upper, best * (1 + slack) + 1e-6)
    # donors used so far: the optimum's, read off its own network (pooled or not)
    up = nw.pooled_donor_flows(inst, base_net, base_x)
    own = np.zeros(len(inst.rows))
    own_arcs = base_net.arcs(nw.OWN)
    np.add.at(own, base_net.ref[own_arcs], base_x[own_arcs])
    times_used = ((up + own) > 0.5).astype(float)
    supply = net.arcs(nw.SUPPLY)
    out: list[QuotaPlan] = []
    seen = [np.round(up + own)]
    for _ in range(count):
        cost = np.zeros(lp.num_cols)
        cost[supply] = times_used[net.ref[supply]]
        variant = LinearProgram(cost, A, row_lower, row_upper, lower, upper)
        sol, _ = solve_integral(variant, solver)
        if not sol.status.has_solution:
            break
        x = np.round(sol.x)
        give = _donor_use(net, x, len(inst.rows))
        if any(np.array_equal(give, s) for s in seen):
            break  # nothing new within the slack
        seen.append(give)
        times_used += (give > 0.5)
        alt = plan_from_flows(inst, net, x, plan.people, plan.mergers)
        alt.status, alt.solver = sol.status, solver
        alt.marginal_values = plan.marginal_values
        out.append(alt)
    return out
