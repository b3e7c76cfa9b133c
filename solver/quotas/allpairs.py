"""The naive formulation: one arc per donor–recipient pair. A baseline for benchmarks only.

Same rules, costs, rewards and tie-breaks as `network.build`, so both have the same optimum;
it grows with donors × recipients per block instead of linearly with the units.
"""

from __future__ import annotations

import numpy as np

from solver.quotas import network as nw
from solver.quotas.network import ArcList, Instance, Network


def build_all_pairs(inst: Instance) -> Network:
    """Arcs budget → donor → recipient (priced by relation) → demand, plus pool → recipient."""
    rows, blocks, demands, policy = inst.rows, inst.blocks, inst.demands, inst.policy
    if policy.allow_cross_region:
        raise ValueError("the all-pairs baseline covers blocks without cross-region moves")
    c = policy.source_costs
    gap = c.min_gap()
    n_rows, n_blocks = len(rows), len(blocks)
    OUT0, IN0, GATE0 = 0, n_rows, 2 * n_rows
    POOL0 = 3 * n_rows
    BUD0 = POOL0 + n_blocks
    arcs = ArcList()
    add = arcs.add
    b = np.arange(n_blocks)
    add(nw.BUDGET, np.full(n_blocks, nw.SRC), BUD0 + b, 0, blocks["budget"].to_numpy(float), 0, b)
    add(nw.POOL_SUPPLY, BUD0 + b, POOL0 + b, 0, blocks["pool_supply"].to_numpy(float), 0, b)
    donor_cap = rows["donor_cap"].to_numpy(float)
    block_of = rows["block_index"].to_numpy()
    donors = np.flatnonzero(donor_cap > 0)
    d_rank = np.zeros(len(donors), dtype=np.int64)
    seen: dict[int, int] = {}
    for k, blk in enumerate(block_of[donors]):
        d_rank[k] = seen.get(blk, 0)
        seen[blk] = d_rank[k] + 1
    d_count = np.bincount(block_of[donors], minlength=n_blocks)[block_of[donors]]
    dem_count = np.bincount(demands["block_index"].to_numpy(), minlength=n_blocks)[
        block_of[donors]]
    tiebreak = (gap / 4) * (d_rank + 1) / ((d_count + 1) * (dem_count + 1))
    add(nw.SUPPLY, BUD0 + block_of[donors], OUT0 + donors, 0, donor_cap[donors], tiebreak,
        donors)
    has_demand = np.zeros(n_rows, dtype=bool)
    has_demand[demands.loc[demands["eligible"], "row"].to_numpy()] = True
    own = donors[has_demand[donors]]
    add(nw.OWN, OUT0 + own, IN0 + own, 0, donor_cap[own], 0, own)
    recipients = np.flatnonzero(has_demand)
    system = rows["system"].to_numpy()
    sector = rows["sector"].to_numpy()
    for blk in range(n_blocks):
        give = donors[block_of[donors] == blk]
        take = recipients[block_of[recipients] == blk]
        if len(take) == 0:
            continue
        if len(give):
            g, t = np.meshgrid(give, take, indexing="ij")
            g, t = g.ravel(), t.ravel()
            keep = g != t
            g, t = g[keep], t[keep]
            cost = np.where(system[g] == system[t], c.same_system,
                            np.where(sector[g] == sector[t], c.same_sector, c.other))
            add(nw.UP, OUT0 + g, IN0 + t, 0, np.inf, cost, g)
        add(nw.GRANT, np.full(len(take), POOL0 + blk), IN0 + take, 0, np.inf, c.pool, take)
    gated = demands["gated"].to_numpy()
    gated_rows = np.unique(demands.loc[gated, "row"].to_numpy())
    add(nw.GATE, IN0 + gated_rows, GATE0 + gated_rows, 0, inst.releases[gated_rows], 0,
        gated_rows)
    d_rows = demands["row"].to_numpy()
    amount = demands["open_amount"].to_numpy(float)
    cap = np.where(demands["eligible"].to_numpy(), amount, 0.0)
    lower = np.where(demands["tier"].to_numpy() == "key", amount, 0.0) if \
        policy.key_demands_hard else np.zeros(len(demands))
    add(nw.DEMAND, np.where(gated, GATE0 + d_rows, IN0 + d_rows), np.full(len(demands), nw.SINK),
        lower, cap, -demands["reward"].to_numpy(), np.arange(len(demands)))
    return arcs.network(BUD0 + n_blocks)
