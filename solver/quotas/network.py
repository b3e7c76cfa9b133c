"""The reallocation model as a min-cost flow on a tree of system and sector nodes.

Per region and quota type (a *block*) the flow runs

    source ─budget─▶ B ─supply─▶ unit(out) ─own─▶ unit(in) ─demand─▶ sink
                     │               └─up─▶ system ─up─▶ sector ─up─▶ root
                     └─pool─▶ P ─grant─▶ root ─down─▶ sector ─down─▶ system ─down─▶ unit(in)

so the model grows linearly with the number of units: no donor–recipient pairs are
enumerated. The cheapest path between a donor and a recipient climbs only to their lowest
common node, so its cost is the rung of the source ladder (DOMAIN.md): own 0 < same system <
same sector < other < pool grant. Every rule is an arc bound:

- *Only vacant quotas leave a unit*: supply arc capacity = max(approved − staff, 0).
- *Reserve* (蓄水池): the budget arc of a block carries every quota used (a met demand is a
  hire), so its capacity = vacancy before − ⌈reserve_rate × (approved + pool)⌉.
- *Over-quota and lapsed units receive nothing* (超编单位只出不进): their demand arcs have
  capacity 0; lapsed units' vacancies are withdrawn into the pool beforehand.
- *Full units receive only what they release first* (满编单位先出后进): demands of the listed
  tiers pass a gate arc whose capacity is the unit's releases.
- *Types never mix, regions do not exchange* (unless allowed): blocks share no arcs; with
  `allow_cross_region` the roots of one type meet at a province node, at `cross_region` cost.

Tiers are lexicographic through rewards on the demand arcs (see `tier_rewards`). The matrix
is a node–arc incidence matrix, so the LP has integral vertices and is solved as an LP.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from solver.domain import TIER_ORDER
from solver.scenario import Policy
from solver.solve import LinearProgram
from solver.validate import Dataset

# arc families
BUDGET, SUPPLY, POOL_SUPPLY, OWN, UP, SYS_UP, SEC_UP, ROOT_DOWN, SEC_DOWN, DOWN, GRANT, \
    DEMAND, GATE, X_UP, X_DOWN = range(15)
FAMILY_NAMES = (
    "budget", "supply", "pool_supply", "own", "up", "system_up", "sector_up", "root_down",
    "sector_down", "down", "grant", "demand", "gate", "cross_up", "cross_down",
)
SRC, SINK = -1, -2


@dataclass
class Instance:
    """Inputs of the model in array form, one row per unit and quota type ("quota row")."""

    rows: pd.DataFrame  # quota rows with unit attributes, status, vacancy, block
    blocks: pd.DataFrame  # per region and quota type: approved, pool, vacancy, floor, budget
    demands: pd.DataFrame  # with row (quota row index), eligible, gated, reward
    policy: Policy
    releases: np.ndarray  # per quota row, quotas released first (people leaving: issue 4)


@dataclass
class Network:
    """Arcs of the flow model and the LP built from them."""

    tail: np.ndarray
    head: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    cost: np.ndarray
    family: np.ndarray
    ref: np.ndarray  # quota row, block, demand, system or sector index by family
    node_count: int
    lp: LinearProgram | None = None
    index: dict[int, np.ndarray] = field(default_factory=dict)  # family → arc positions

    def arcs(self, family: int) -> np.ndarray:
        return self.index.get(family, np.zeros(0, dtype=np.int64))

    @classmethod
    def from_parts(cls, parts: list[tuple], node_count: int) -> Network:
        """Concatenate arc families (family, tail, head, lower, upper, cost, ref), index them
        by family and build the LP."""
        family, tail, head, lower, upper, cost, ref = (
            np.concatenate([p[i] for p in parts]) for i in range(7))
        net = cls(tail, head, lower, upper, cost, family, ref, node_count)
        order = np.argsort(family, kind="stable")
        bounds = np.searchsorted(family[order], np.arange(len(FAMILY_NAMES) + 1))
        net.index = {f: order[bounds[f]:bounds[f + 1]] for f in range(len(FAMILY_NAMES))}
        net.lp = incidence_lp(net)
        return net


class ArcList:
    """Arc families collected as arrays, then turned into a `Network`."""

    def __init__(self) -> None:
        self.parts: list[tuple] = []

    def add(self, family: int, tail, head, lower, upper, cost, ref) -> None:
        """One family of arcs; scalar bounds and costs broadcast over the tails."""
        tail = np.asarray(tail, dtype=np.int64)
        k = len(tail)
        self.parts.append((
            np.full(k, family, dtype=np.int8), tail, np.asarray(head, dtype=np.int64),
            np.broadcast_to(np.asarray(lower, dtype=float), (k,)).copy(),
            np.broadcast_to(np.asarray(upper, dtype=float), (k,)).copy(),
            np.broadcast_to(np.asarray(cost, dtype=float), (k,)).copy(),
            np.asarray(ref, dtype=np.int64),
        ))

    def network(self, node_count: int) -> Network:
        return Network.from_parts(self.parts, node_count)


def prepare(ds: Dataset, policy: Policy, releases: dict[tuple[str, str], int] | None = None
            ) -> Instance:
    """Quota rows, blocks and demands in array form, with every rule's status worked out."""
    units = ds.units.set_index("unit_id")
    rows = ds.quotas[["unit_id", "quota_type", "approved", "staff"]].copy()
    rows = rows.sort_values(["quota_type", "unit_id"], kind="stable").reset_index(drop=True)
    for col in ("region", "system", "sector", "kind", "function_status", "level"):
        rows[col] = rows["unit_id"].map(units[col]).to_numpy()
    approved = rows["approved"].to_numpy(np.int64)
    staff = rows["staff"].to_numpy(np.int64)
    rows["vacancy"] = np.maximum(approved - staff, 0)
    rows["status"] = np.where(staff > approved, "over", np.where(staff == approved, "full",
                                                                   "vacant"))
    rows["lapsed"] = (rows["function_status"] == "lapsed").to_numpy()
    rows["withdraw"] = np.where(rows["lapsed"], rows["vacancy"], 0)
    rows["donor_cap"] = np.where(rows["lapsed"], 0, rows["vacancy"])
    rows["block"] = rows["region"].astype(str) + "|" + rows["quota_type"].astype(str)
    rel = np.zeros(len(rows), dtype=np.int64)
    if releases:
        key = list(zip(rows["unit_id"], rows["quota_type"]))
        rel = np.array([releases.get(k, 0) for k in key], dtype=np.int64)

    blocks = rows.groupby("block", sort=True).agg(
        region=("region", "first"), quota_type=("quota_type", "first"),
        approved=("approved", "sum"), unit_vacancy=("vacancy", "sum"),
        withdraw=("withdraw", "sum"), units=("unit_id", "size"),
    )
    pool = pd.Series(0, index=blocks.index, dtype=np.int64)
    if ds.pool is not None and len(ds.pool):
        p = ds.pool.assign(block=ds.pool["region"].astype(str) + "|" + ds.pool["quota_type"])
        pool = p.groupby("block")["balance"].sum().reindex(blocks.index).fillna(0).astype(
            np.int64)
    blocks["pool_before"] = pool.to_numpy(np.int64)
    blocks["rate"] = [policy.rate_for(t) for t in blocks["quota_type"]]
    blocks["base"] = blocks["approved"] + blocks["pool_before"]
    blocks["floor"] = [math.ceil(r * b - 1e-9) for r, b in zip(blocks["rate"], blocks["base"])]
    blocks["vacancy_before"] = blocks["unit_vacancy"] + blocks["pool_before"]
    blocks["budget"] = np.maximum(blocks["vacancy_before"] - blocks["floor"], 0)
    blocks["pool_supply"] = blocks["pool_before"] + blocks["withdraw"]
    blocks["block_index"] = np.arange(len(blocks))
    rows["block_index"] = rows["block"].map(blocks["block_index"]).to_numpy(np.int64)

    demands = ds.demands.drop(columns=["_row"], errors="ignore").copy()
    demands = demands.sort_values("demand_id", kind="stable").reset_index(drop=True)
    row_of = pd.Series(np.arange(len(rows)), index=pd.MultiIndex.from_frame(
        rows[["unit_id", "quota_type"]]))
    demands["row"] = row_of.reindex(pd.MultiIndex.from_frame(
        demands[["unit_id", "quota_type"]])).to_numpy()
    if demands["row"].isna().any():  # validation guarantees this; keep the model honest
        bad = demands.loc[demands["row"].isna(), "demand_id"].tolist()
        raise ValueError(f"demands without a quota row: {bad[:5]}")
    demands["row"] = demands["row"].astype(np.int64)
    r = demands["row"].to_numpy()
    status = rows["status"].to_numpy()[r]
    lapsed = rows["lapsed"].to_numpy()[r]
    demands["status"] = status
    demands["eligible"] = (status != "over") & ~lapsed
    demands["gated"] = (status == "full") & demands["tier"].isin(
        policy.full_units_release_first).to_numpy() & demands["eligible"]
    demands["block_index"] = rows["block_index"].to_numpy()[r]
    demands["priority"] = incentive_priority(demands, units)
    demands["reward"] = tier_rewards(demands, policy)
    return Instance(rows=rows, blocks=blocks, demands=demands, policy=policy, releases=rel)


def incentive_priority(demands: pd.DataFrame, units: pd.DataFrame) -> np.ndarray:
    """Appraisal priority in [0, 1]: half performance score, half central tasks (激励导向)."""
    score = demands["unit_id"].map(units["performance_score"]).astype(float).fillna(0.0)
    tasks = demands["unit_id"].map(units["central_tasks"]).astype(float).fillna(0.0)
    top = max(float(tasks.max()) if len(tasks) else 0.0, 1.0)
    return (0.5 * score.to_numpy() / 100.0 + 0.5 * tasks.to_numpy() / top).clip(0, 1)


def max_path_cost(policy: Policy) -> float:
    """The dearest way one quota can reach a demand (tie-breaks included)."""
    c = policy.source_costs
    dearest = c.pool
    if policy.allow_cross_region:
        dearest = max(dearest, c.cross_region, c.pool + c.cross_region - c.other)
    return dearest + c.min_gap()  # tie-breaks add less than one gap


def tier_rewards(demands: pd.DataFrame, policy: Policy) -> np.ndarray:
    """Reward per quota met, making tiers lexicographic with weights proven large enough.

    Why exact: in a flow network an improving change is a cycle that moves one quota, so it
    raises at most one demand and lowers at most one other; its cost changes by less than
    C = `max_path_cost` (a path costs between 0 and C). With rewards
        operational d:  R_d = C + 1 + incentive · priority_d · (C + 1)
        emergency:      R = R_op,max + C + 1
        key:            R = R_em + C + 1
    every quota met is worth more than any path (so nothing is left unmet that can be met),
    and a cycle trading one higher-tier quota for a lower-tier one always loses: no amount of
    lower-tier satisfaction buys a quota of a higher tier. Demands tie-break by id (earlier
    ids win) with a term below a quarter of the smallest ladder gap.
    """
    C = max_path_cost(policy)
    gap = policy.source_costs.min_gap()
    op = C + 1 + policy.incentive * demands["priority"].to_numpy() * (C + 1)
    r_op_max = C + 1 + policy.incentive * (C + 1)
    r_em = r_op_max + C + 1
    r_key = r_em + C + 1
    tier = demands["tier"].to_numpy()
    reward = np.where(tier == "key", r_key, np.where(tier == "emergency", r_em, op))
    # id tie-break, ranked inside each block so that its steps stay far above tolerances
    rank = demands.groupby("block_index").cumcount().to_numpy()
    count = demands.groupby("block_index")["demand_id"].transform("size").to_numpy()
    return reward + (gap / 4) * (count - rank) / (count + 1)


def build(inst: Instance) -> Network:
    """All arcs of the model, vectorised; then the LP (node balance rows)."""
    rows, blocks, demands, policy = inst.rows, inst.blocks, inst.demands, inst.policy
    c = policy.source_costs
    gap = c.min_gap()
    n_rows = len(rows)
    n_blocks = len(blocks)
    OUT0, IN0, GATE0 = 0, n_rows, 2 * n_rows
    sys_key = rows["block"] + "|" + rows["system"].astype(str)
    sec_key = rows["block"] + "|" + rows["sector"].astype(str)
    sys_codes, sys_uniques = pd.factorize(sys_key, sort=True)
    sec_codes, sec_uniques = pd.factorize(sec_key, sort=True)
    n_sys, n_sec = len(sys_uniques), len(sec_uniques)
    SYS0 = 3 * n_rows
    SEC0 = SYS0 + n_sys
    ROOT0 = SEC0 + n_sec
    POOL0 = ROOT0 + n_blocks
    BUD0 = POOL0 + n_blocks
    X0 = BUD0 + n_blocks
    types = sorted(blocks["quota_type"].unique())
    type_index = {t: k for k, t in enumerate(types)}
    n_nodes = X0 + len(types)
    # system → sector and sector → block maps
    sys_sector = np.zeros(n_sys, dtype=np.int64)
    sys_sector[sys_codes] = sec_codes
    sec_block = np.zeros(n_sec, dtype=np.int64)
    sec_block[sec_codes] = rows["block_index"].to_numpy()

    arcs = ArcList()
    add = arcs.add
    b = np.arange(n_blocks)
    add(BUDGET, np.full(n_blocks, SRC), BUD0 + b, 0, blocks["budget"].to_numpy(float), 0, b)
    pool_supply = blocks["pool_supply"].to_numpy(float)
    has_pool = b  # every block gets pool arcs (capacity 0 if empty) so variants can add one
    add(POOL_SUPPLY, BUD0 + has_pool, POOL0 + has_pool, 0, pool_supply[has_pool], 0, has_pool)
    add(GRANT, POOL0 + has_pool, ROOT0 + has_pool, 0, np.inf, c.pool - c.other, has_pool)

    donor_cap = rows["donor_cap"].to_numpy(float)
    donors = np.flatnonzero(donor_cap > 0)
    # donor tie-break: earlier unit ids give first; far below the demand tie-break steps
    block_of = rows["block_index"].to_numpy()
    d_rank = pd.Series(block_of[donors]).groupby(block_of[donors]).cumcount().to_numpy()
    d_count = np.bincount(block_of[donors], minlength=n_blocks)[block_of[donors]]
    dem_count = np.bincount(demands["block_index"].to_numpy(), minlength=n_blocks)[
        block_of[donors]]
    tiebreak = (gap / 4) * (d_rank + 1) / ((d_count + 1) * (dem_count + 1))
    add(SUPPLY, BUD0 + block_of[donors], OUT0 + donors, 0, donor_cap[donors], tiebreak, donors)

    has_demand = np.zeros(n_rows, dtype=bool)
    eligible_rows = demands.loc[demands["eligible"], "row"].to_numpy()
    has_demand[eligible_rows] = True
    own = donors[has_demand[donors]]
    add(OWN, OUT0 + own, IN0 + own, 0, donor_cap[own], 0, own)
    add(UP, OUT0 + donors, SYS0 + sys_codes[donors], 0, donor_cap[donors], 0, donors)
    s = np.arange(n_sys)
    add(SYS_UP, SYS0 + s, SEC0 + sys_sector, 0, np.inf, 0, s)
    add(SEC_DOWN, SEC0 + sys_sector, SYS0 + s, 0, np.inf, c.same_sector - c.same_system, s)
    e = np.arange(n_sec)
    add(SEC_UP, SEC0 + e, ROOT0 + sec_block, 0, np.inf, 0, e)
    add(ROOT_DOWN, ROOT0 + sec_block, SEC0 + e, 0, np.inf, c.other - c.same_sector, e)
    recipients = np.flatnonzero(has_demand)
    add(DOWN, SYS0 + sys_codes[recipients], IN0 + recipients, 0, np.inf, c.same_system,
        recipients)

    gated = demands["gated"].to_numpy()
    gated_rows = np.unique(demands.loc[gated, "row"].to_numpy())
    add(GATE, IN0 + gated_rows, GATE0 + gated_rows, 0, inst.releases[gated_rows], 0, gated_rows)
    d_rows = demands["row"].to_numpy()
    amount = demands["amount"].to_numpy(float)
    cap = np.where(demands["eligible"].to_numpy(), amount, 0.0)
    lower = np.zeros(len(demands))
    if policy.key_demands_hard:
        lower = np.where(demands["tier"].to_numpy() == "key", amount, 0.0)
    tails = np.where(gated, GATE0 + d_rows, IN0 + d_rows)
    add(DEMAND, tails, np.full(len(demands), SINK), lower, cap, -demands["reward"].to_numpy(),
        np.arange(len(demands)))

    if policy.allow_cross_region and n_blocks:
        x = X0 + blocks["quota_type"].map(type_index).to_numpy()
        add(X_UP, ROOT0 + b, x, 0, np.inf, 0, b)
        add(X_DOWN, x, ROOT0 + b, 0, np.inf, c.cross_region - c.other, b)

    return arcs.network(n_nodes)


def incidence_lp(net: Network) -> LinearProgram:
    """min cost·flow s.t. inflow − outflow = 0 at every inner node, bounds on arcs."""
    m = len(net.tail)
    arcs = np.arange(m)
    in_mask = net.head >= 0
    out_mask = net.tail >= 0
    nodes = np.concatenate([net.head[in_mask], net.tail[out_mask]])
    used, rows = np.unique(nodes, return_inverse=True)
    cols = np.concatenate([arcs[in_mask], arcs[out_mask]])
    vals = np.concatenate([np.ones(in_mask.sum()), -np.ones(out_mask.sum())])
    A = sp.csc_matrix((vals, (rows, cols)), shape=(len(used), m))
    zeros = np.zeros(len(used))
    return LinearProgram(
        c=net.cost, A=A, row_lower=zeros, row_upper=zeros.copy(),
        col_lower=net.lower, col_upper=net.upper,
    )


def tier_order_key(tier: str) -> int:
    return TIER_ORDER.index(tier)
