"""The reallocation model as a min-cost flow on a tree of system and sector nodes.

Per region and quota type (a *block*) the flow runs

    source ─budget─▶ B ─supply─▶ unit(out) ─own─▶ unit(in) ─demand─▶ sink
                     │               └─up─▶ system ─up─▶ sector ─up─▶ root
                     └─pool─▶ P ─grant─▶ root ─down─▶ sector ─down─▶ system ─down─▶ unit(in)

so the model grows linearly with the number of units: no donor–recipient pairs are
enumerated. The cheapest path between a donor and a recipient climbs only to their lowest
common node, so its cost is the rung of the source ladder (docs/rules.md): own 0 < same system <
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
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp

from solver.keys import PairIndex
from solver.scenario import Policy
from solver.solve import LinearProgram
from solver.validate import Dataset

# arc families
BUDGET, SUPPLY, POOL_SUPPLY, OWN, UP, SYS_UP, SEC_UP, ROOT_DOWN, SEC_DOWN, DOWN, GRANT, \
    DEMAND, GATE, X_UP, X_DOWN, SYS_SUPPLY = range(16)
FAMILY_NAMES = (
    "budget", "supply", "pool_supply", "own", "up", "system_up", "sector_up", "root_down",
    "sector_down", "down", "grant", "demand", "gate", "cross_up", "cross_down", "system_supply",
)
SRC, SINK = -1, -2


@dataclass
class PeopleMoves:
    """What surplus people do to the quota rows before the reallocation (issue 4).

    Early retirements lower a home unit's staff; a transfer with the quota (带编调剂) lowers
    the home unit's approved and staff by one and raises the recipient's, meeting one quota of
    its demand. Both are the home unit's releases (满编单位先出后进). A return (返岗) holds one
    vacancy of the home unit: the reallocation may not move, fill or withdraw it, and it does
    not count toward the reserve (one use per vacancy).
    """

    retirements: dict[tuple[str, str], int] = field(default_factory=dict)
    returns: dict[tuple[str, str], int] = field(default_factory=dict)
    transfers: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["person_id", "from_unit", "to_unit", "quota_type", "demand_id", "tier",
                 "source"]))

    def releases(self) -> dict[tuple[str, str], int]:
        out = dict(self.retirements)
        for key in zip(self.transfers["from_unit"], self.transfers["quota_type"]):
            out[key] = out.get(key, 0) + 1
        return out


@dataclass
class MergeMoves:
    """Mergers of small institutions (issue 7) as the reallocation sees them.

    `owner` maps an absorbed unit to the unit that keeps it; `freed` the quotas each absorbed
    unit releases to the pool (`merge_release`), and a keeper its leader posts above the
    limit of the merged size (leader_posts.hard_limit_on_mergers). In the model the group is
    one unit: the keeper's row carries the group's approved minus what is freed and the
    group's staff.
    """

    owner: dict[str, str] = field(default_factory=dict)
    freed: dict[tuple[str, str], int] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)  # absorbed unit → merger reason


@dataclass
class Instance:
    """Inputs of the model in array form, one row per unit and quota type ("quota row")."""

    rows: pd.DataFrame  # quota rows with unit attributes, status, vacancy, block
    blocks: pd.DataFrame  # per region and quota type: approved, pool, vacancy, floor, budget
    demands: pd.DataFrame  # with row (quota row index), eligible, gated, reward
    policy: Policy
    releases: np.ndarray  # per quota row, quotas released first (people leaving: issue 4)
    # pool balances of a region and type no unit there holds: nothing can use them; they
    # stay in the plan's pool table unchanged
    idle_pool: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["region", "quota_type", "balance"]))


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


def group_codes(*columns) -> np.ndarray:
    """Dense integer codes of the distinct value combinations, in sorted order."""
    code = np.zeros(len(columns[0]), dtype=np.int64)
    for col in columns:
        c, uniques = pd.factorize(np.asarray(col), sort=True)
        code = code * max(len(uniques), 1) + c
    return np.unique(code, return_inverse=True)[1].astype(np.int64)


def prepare(ds: Dataset, policy: Policy, releases: dict[tuple[str, str], int] | None = None,
            people: PeopleMoves | None = None, mergers: MergeMoves | None = None) -> Instance:
    """Quota rows, blocks and demands in array form, with every rule's status worked out."""
    units = ds.units.set_index("unit_id")
    rows = quota_rows(ds, units)
    book = RowBook.of(rows)
    if mergers is not None and mergers.owner:
        merged_groups(book, rows, mergers)
    people_changes(book, rows, people, releases)
    unit_status(rows, book)
    blocks = reserve_blocks(ds, rows, book, policy)
    demands = demand_status(ds, rows, book, units, policy, people)
    # Donors without demands of their own are pooled per system in the model (one arc, not
    # one per unit) and attributed back in unit-id order (`pooled_donor_flows`).
    has_demand = np.zeros(len(rows), dtype=bool)
    has_demand[demands.loc[demands["eligible"], "row"].to_numpy()] = True
    rows["has_demand"] = has_demand
    rows["pooled"] = (rows["donor_cap"].to_numpy() > 0) & ~has_demand
    idle = pd.DataFrame(columns=["region", "quota_type", "balance"])
    if ds.pool is not None and len(ds.pool):
        balance = ds.pool.groupby(["region", "quota_type"], as_index=False)["balance"].sum()
        held = pd.MultiIndex.from_frame(blocks[["region", "quota_type"]])
        idle = balance[~pd.MultiIndex.from_frame(balance[["region", "quota_type"]]).isin(held)]
    return Instance(rows=rows, blocks=blocks, demands=demands, policy=policy,
                    releases=book.releases, idle_pool=idle.reset_index(drop=True))


def quota_rows(ds: Dataset, units: pd.DataFrame) -> pd.DataFrame:
    """One row per unit and quota type, in (quota type, unit id) order, with the unit's
    region, system, sector, kind, function status and level."""
    rows = ds.quotas[["unit_id", "quota_type", "approved", "staff"]]
    rows = rows.sort_values(["quota_type", "unit_id"], kind="stable").reset_index(drop=True)
    at = units.index.get_indexer(rows["unit_id"])
    for col in ("region", "system", "sector", "kind", "function_status", "level"):
        rows[col] = units[col].to_numpy()[at]
    return rows


@dataclass
class RowBook:
    """What happens to each quota row before the reallocation: changes of approved and staff
    (people leaving or arriving, merged groups), releases, and who holds the row."""

    units: np.ndarray  # each row's unit id and quota type (object arrays)
    types: np.ndarray
    approved: np.ndarray
    staff: np.ndarray
    d_approved: np.ndarray
    d_staff: np.ndarray
    releases: np.ndarray
    owner: np.ndarray  # a merged unit's rows are held by its keeper's rows
    merge_freed: np.ndarray
    held: np.ndarray  # vacancies held for people returning to their post (not for the plan)
    # a unit's status (over quota, full) is judged on the input figures (of its group)
    status_approved: np.ndarray
    status_staff: np.ndarray

    @classmethod
    def of(cls, rows: pd.DataFrame) -> RowBook:
        approved = rows["approved"].to_numpy(np.int64)
        staff = rows["staff"].to_numpy(np.int64)
        n = len(rows)
        return cls(
            units=rows["unit_id"].to_numpy(dtype=object),
            types=rows["quota_type"].to_numpy(dtype=object),
            approved=approved, staff=staff, d_approved=np.zeros(n, dtype=np.int64),
            d_staff=np.zeros(n, dtype=np.int64), releases=np.zeros(n, dtype=np.int64),
            owner=np.arange(n), merge_freed=np.zeros(n, dtype=np.int64),
            held=np.zeros(n, dtype=np.int64),
            status_approved=approved.copy(), status_staff=staff.copy())

    @cached_property
    def pairs(self) -> PairIndex:
        return PairIndex(self.units, self.types)

    def find(self, unit_ids, types) -> np.ndarray:
        """The row of each (unit, quota type) pair; −1 where there is none."""
        return self.pairs.rows(unit_ids, types)

    def rows_of(self, unit_ids: pd.Series, types: pd.Series) -> np.ndarray:
        """The rows (their holders) of (unit, quota type) pairs; −1 where there is none."""
        found = self.find(unit_ids, types)
        return np.where(found >= 0, self.owner[np.maximum(found, 0)], -1)


def merged_groups(book: RowBook, rows: pd.DataFrame, mergers: MergeMoves) -> None:
    """Mergers of small institutions (整合小散弱): a merged group is one unit in the model.

    The keeper's row carries the group's approved quota minus what the mergers free (to the
    pool, `merge_released`) and the group's staff; absorbed rows hold nothing. A keeper
    without a quota type of an absorbed unit keeps nothing of it. docs/rules.md, "Mergers".
    """
    keeper = rows["unit_id"].map(mergers.owner)
    merged = np.flatnonzero(keeper.notna().to_numpy())
    target = book.find(keeper.iloc[merged], rows["quota_type"].iloc[merged])
    ok = target >= 0
    merged, target = merged[ok], target[ok]
    book.owner[merged] = target
    for i in merged:
        book.merge_freed[i] = mergers.freed.get((rows["unit_id"].iat[i],
                                                 rows["quota_type"].iat[i]), 0)
    np.add.at(book.d_approved, target, book.approved[merged] - book.merge_freed[merged])
    np.add.at(book.d_staff, target, book.staff[merged])
    book.d_approved[merged] -= book.approved[merged]
    book.d_staff[merged] -= book.staff[merged]
    np.add.at(book.status_approved, target, book.approved[merged])
    np.add.at(book.status_staff, target, book.staff[merged])
    # a keeper's own release: its leader posts above the limit of the merged size
    keepers = set(mergers.owner.values())
    for (unit, qtype), amount in mergers.freed.items():
        if unit in keepers and unit not in mergers.owner:
            i = int(book.find([unit], [qtype])[0])
            if i < 0:  # the merger plan frees only quotas its keeper holds
                raise KeyError(f"{unit} holds no {qtype} quota")
            book.merge_freed[i] += amount
            book.d_approved[i] -= amount


def people_changes(book: RowBook, rows: pd.DataFrame, people: PeopleMoves | None,
                   releases: dict[tuple[str, str], int] | None) -> None:
    """Surplus cadres decided first (issue 4): early retirements lower staff; a transfer with
    the quota (带编调剂) moves one approved and one staff from the home unit to the recipient.
    Both count as the home unit's releases (满编单位先出后进); a return holds one of the home
    unit's vacancies (`held`); docs/rules.md, "Surplus cadres" and "One use per vacancy".
    """
    def book_counts(counts: dict[tuple[str, str], int], target: np.ndarray,
                    sign: int = 1) -> None:
        if not counts:
            return
        keys = list(counts)
        at = book.rows_of(pd.Series([k[0] for k in keys]), pd.Series([k[1] for k in keys]))
        ok = at >= 0
        np.add.at(target, at[ok], sign * np.fromiter(counts.values(), dtype=np.int64)[ok])

    book_counts(dict(releases or {}), book.releases)
    if people is not None:
        book_counts(people.retirements, book.d_staff, -1)
        t = people.transfers
        for end, sign in (("from_unit", -1), ("to_unit", 1)):
            at = book.rows_of(t[end], t["quota_type"])
            np.add.at(book.d_approved, at, sign)
            np.add.at(book.d_staff, at, sign)
        book_counts(people.releases(), book.releases)
        book_counts(people.returns, book.held)


def unit_status(rows: pd.DataFrame, book: RowBook) -> None:
    """Each row's figures after people and mergers, its vacancy, status and what it may give.

    vacancy = max(approved − staff − held, 0) (held: vacancies kept for returns); status over (staff > approved: 只出不进) / full /
    vacant on the input figures; a lapsed unit's vacancies are withdrawn to the pool (收回)
    and it gives nothing else; donor capacity = vacancy of the others. Blocks are region ×
    quota type (types never mix; regions do not exchange unless allowed).
    """
    rows["approved_now"] = book.approved + book.d_approved
    rows["staff_now"] = book.staff + book.d_staff
    vacancy = np.maximum(rows["approved_now"].to_numpy() - rows["staff_now"].to_numpy()
                         - book.held, 0)
    rows["held"] = book.held
    lapsed = rows["function_status"].to_numpy() == "lapsed"
    rows["vacancy"] = vacancy
    rows["status"] = np.where(book.status_staff > book.status_approved, "over",
                              np.where(book.status_staff == book.status_approved, "full",
                                       "vacant"))
    rows["owner"] = book.owner
    rows["merge_freed"] = book.merge_freed
    rows["lapsed"] = lapsed
    rows["withdraw"] = np.where(lapsed, vacancy, 0)
    rows["donor_cap"] = np.where(lapsed, 0, vacancy)
    block_index = group_codes(rows["region"].to_numpy(), rows["quota_type"].to_numpy())
    rows["block_index"] = block_index
    rows["sys_code"] = group_codes(block_index, rows["system"].to_numpy())
    rows["sec_code"] = group_codes(block_index, rows["sector"].to_numpy())


def reserve_blocks(ds: Dataset, rows: pd.DataFrame, book: RowBook, policy: Policy
                   ) -> pd.DataFrame:
    """Per region and quota type: approved, pool, vacancies, the reserve floor and the budget.

    floor = ⌈reserve_rate × (approved + pool)⌉; the plan may use the vacancies after people's
    releases, the pool, withdrawn and merger-freed quotas down to the floor:
    budget = max(vacancy + pool + merge_released − floor, 0); docs/rules.md, "Reserve".
    """
    block_index = rows["block_index"].to_numpy()
    region, qtype = rows["region"].to_numpy(), rows["quota_type"].to_numpy()
    input_vacancy = np.maximum(book.approved - book.staff, 0)
    n_blocks = int(block_index.max()) + 1 if len(rows) else 0
    first = np.unique(block_index, return_index=True)[1]

    def per_block(values) -> np.ndarray:
        return np.bincount(block_index, weights=values, minlength=n_blocks).astype(np.int64)

    blocks = pd.DataFrame({
        "region": region[first], "quota_type": qtype[first],
        "approved": per_block(book.approved),
        "unit_vacancy": per_block(rows["vacancy"].to_numpy()),
        "input_vacancy": per_block(input_vacancy),
        "withdraw": per_block(rows["withdraw"].to_numpy()),
        "merge_released": per_block(book.merge_freed),
        "units": np.bincount(block_index, minlength=n_blocks),
    })
    blocks.index = pd.Index(blocks["region"] + "|" + blocks["quota_type"], name="block")
    pool = np.zeros(n_blocks, dtype=np.int64)
    if ds.pool is not None and len(ds.pool):
        balance = ds.pool.groupby(["region", "quota_type"])["balance"].sum()
        keys = pd.MultiIndex.from_arrays([blocks["region"], blocks["quota_type"]])
        pool = balance.reindex(keys).fillna(0).to_numpy(np.int64)
    blocks["pool_before"] = pool
    blocks["rate"] = [policy.rate_for(t) for t in blocks["quota_type"]]
    blocks["base"] = blocks["approved"] + blocks["pool_before"]
    blocks["floor"] = [math.ceil(r * b - 1e-9) for r, b in zip(blocks["rate"], blocks["base"])]
    blocks["vacancy_before"] = blocks["input_vacancy"] + blocks["pool_before"]
    blocks["vacancy_available"] = (blocks["unit_vacancy"] + blocks["pool_before"]
                                   + blocks["merge_released"])
    blocks["budget"] = np.maximum(blocks["vacancy_available"] - blocks["floor"], 0)
    blocks["pool_supply"] = blocks["pool_before"] + blocks["withdraw"] + blocks["merge_released"]
    blocks["block_index"] = np.arange(n_blocks)
    return blocks


def demand_status(ds: Dataset, rows: pd.DataFrame, book: RowBook, units: pd.DataFrame,
                  policy: Policy, people: PeopleMoves | None) -> pd.DataFrame:
    """Demands in id order with their row, what is still open after transfers with a person,
    whether the unit may receive (not over quota, not lapsed), whether a full unit's gate
    applies to the tier, the appraisal priority and the tier reward (`tier_rewards`)."""
    demands = ds.demands.drop(columns=["_row"], errors="ignore")
    demands = demands.sort_values("demand_id", kind="stable").reset_index(drop=True)
    r = book.find(demands["unit_id"], demands["quota_type"])
    if (r < 0).any():  # validation guarantees this; keep the model honest
        bad = demands.loc[r < 0, "demand_id"].tolist()
        raise ValueError(f"demands without a quota row: {bad[:5]}")
    r = book.owner[r]  # a merged unit's demands are the merged unit's
    demands["row"] = r
    transferred = pd.Series(0, index=demands["demand_id"], dtype=np.int64)
    if people is not None and len(people.transfers):
        counts = people.transfers.groupby("demand_id").size()
        transferred = counts.reindex(demands["demand_id"]).fillna(0).astype(np.int64)
    demands["transferred"] = transferred.to_numpy()
    demands["open_amount"] = demands["amount"].to_numpy(np.int64) - demands["transferred"]
    status = rows["status"].to_numpy()[r]
    eligible = (status != "over") & ~rows["lapsed"].to_numpy()[r]
    demands["status"] = status
    demands["eligible"] = eligible
    demands["gated"] = (status == "full") & demands["tier"].isin(
        policy.full_units_release_first).to_numpy() & eligible
    demands["block_index"] = rows["block_index"].to_numpy()[r]
    demands["priority"] = incentive_priority(demands, units)
    demands["reward"] = tier_rewards(demands, policy)
    return demands


def incentive_priority(demands: pd.DataFrame, units: pd.DataFrame) -> np.ndarray:
    """Appraisal priority in [0, 1]: half performance score, half central tasks (激励导向)."""
    at = units.index.get_indexer(demands["unit_id"])
    score = pd.Series(units["performance_score"].to_numpy()[at]).astype(float).fillna(0.0)
    tasks = pd.Series(units["central_tasks"].to_numpy()[at]).astype(float).fillna(0.0)
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


def build(inst: Instance, pool_donors: bool = True) -> Network:
    """All arcs of the model, one rule family at a time; then the LP (node balance rows).

    `pool_donors=False` gives every donor its own arc (for near-optimal alternatives, which
    choose between individual donors). The order of the families fixes the column order.
    """
    nodes = NodeLayout.of(inst)
    donors = Donors.of(inst, nodes, pool_donors)
    arcs = ArcList()
    reserve_budget(arcs, inst, nodes)
    pool_grants(arcs, inst, nodes)
    supply_arcs(arcs, inst, nodes, donors)
    ladder_tree(arcs, inst, nodes, donors)
    release_gate(arcs, inst, nodes)
    demand_arcs(arcs, inst, nodes)
    cross_region(arcs, inst, nodes)
    return arcs.network(nodes.count)


@dataclass(frozen=True)
class NodeLayout:
    """Node numbers: per quota row an out, an in and a gate node; then systems, sectors, and
    per block a root, a pool and a budget node; then one province node per quota type."""

    n_rows: int
    n_blocks: int
    n_sys: int
    n_sec: int
    n_types: int
    sys_sector: np.ndarray  # system code → sector code
    sec_block: np.ndarray  # sector code → block

    OUT0 = 0

    @property
    def IN0(self) -> int:
        return self.n_rows

    @property
    def GATE0(self) -> int:
        return 2 * self.n_rows

    @property
    def SYS0(self) -> int:
        return 3 * self.n_rows

    @property
    def SEC0(self) -> int:
        return self.SYS0 + self.n_sys

    @property
    def ROOT0(self) -> int:
        return self.SEC0 + self.n_sec

    @property
    def POOL0(self) -> int:
        return self.ROOT0 + self.n_blocks

    @property
    def BUD0(self) -> int:
        return self.POOL0 + self.n_blocks

    @property
    def X0(self) -> int:
        return self.BUD0 + self.n_blocks

    @property
    def count(self) -> int:
        return self.X0 + self.n_types

    @classmethod
    def of(cls, inst: Instance) -> NodeLayout:
        rows = inst.rows
        sys_codes = rows["sys_code"].to_numpy()
        sec_codes = rows["sec_code"].to_numpy()
        n_sys = int(sys_codes.max()) + 1 if len(rows) else 0
        n_sec = int(sec_codes.max()) + 1 if len(rows) else 0
        sys_sector = np.zeros(n_sys, dtype=np.int64)
        sys_sector[sys_codes] = sec_codes
        sec_block = np.zeros(n_sec, dtype=np.int64)
        sec_block[sec_codes] = rows["block_index"].to_numpy()
        return cls(len(rows), len(inst.blocks), n_sys, n_sec,
                   inst.blocks["quota_type"].nunique(), sys_sector, sec_block)


@dataclass(frozen=True)
class Donors:
    """Which quota rows give through their own arcs, which are pooled per system, and which
    blocks need donor and tree arcs at all; with the donor tie-break costs."""

    own: np.ndarray  # quota rows with their own supply arc
    groups: np.ndarray  # system codes with a pooled supply arc
    group_first: np.ndarray  # a pooled system's first row (its block, its tie-break rank)
    group_cap: np.ndarray  # per system code: vacancies of its pooled rows
    active: np.ndarray  # per block: some demand can be met there
    tiebreak: np.ndarray  # own rows, then pooled systems

    @classmethod
    def of(cls, inst: Instance, nodes: NodeLayout, pool_donors: bool) -> Donors:
        rows, demands = inst.rows, inst.demands
        donor_cap = rows["donor_cap"].to_numpy(float)
        block_of = rows["block_index"].to_numpy()
        sys_codes = rows["sys_code"].to_numpy()
        pooled_rows = rows["pooled"].to_numpy() & pool_donors
        own = np.flatnonzero((donor_cap > 0) & ~pooled_rows)
        pooled = np.flatnonzero(pooled_rows)
        # Blocks where no demand can be met need no donor or tree arcs (unless regions
        # exchange).
        active = np.zeros(nodes.n_blocks, dtype=bool)
        active[demands.loc[demands["eligible"], "block_index"].to_numpy()] = True
        if inst.policy.allow_cross_region:
            active[:] = True
        pooled = pooled[active[block_of[pooled]]]
        groups, first = np.unique(sys_codes[pooled], return_index=True)
        group_cap = np.bincount(sys_codes[pooled], weights=donor_cap[pooled],
                                minlength=nodes.n_sys)
        # earlier unit ids give first (a pooled system ranks by its first unit); far below
        # the demand tie-break steps, so it never decides who is served
        gap = inst.policy.source_costs.min_gap()
        item_block = np.concatenate([block_of[own], block_of[pooled[first]]])
        item_key = np.concatenate([own, pooled[first]])
        order = np.lexsort((item_key, item_block))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = pd.Series(item_block[order]).groupby(item_block[order]).cumcount() \
            .to_numpy()
        count = np.bincount(item_block, minlength=nodes.n_blocks)[item_block]
        dem_count = np.bincount(demands["block_index"].to_numpy(),
                                minlength=nodes.n_blocks)[item_block]
        tiebreak = (gap / 4) * (rank + 1) / ((count + 1) * (dem_count + 1))
        return cls(own, groups, pooled[first], group_cap, active, tiebreak)


def reserve_budget(arcs: ArcList, inst: Instance, nodes: NodeLayout) -> None:
    """Reserve (蓄水池): every quota a block uses passes its budget arc.

    budget_b = vacancy_b + pool_b − ⌈reserve_rate_t × (approved_b + pool_b)⌉, for each
    block b (region × quota type t); docs/rules.md, "Reserve". A met demand is a hire, so the
    vacancy left after the plan is at least the floor.
    """
    b = np.arange(nodes.n_blocks)
    arcs.add(BUDGET, np.full(nodes.n_blocks, SRC), nodes.BUD0 + b, 0,
             inst.blocks["budget"].to_numpy(float), 0, b)


def pool_grants(arcs: ArcList, inst: Instance, nodes: NodeLayout) -> None:
    """Pool (编制池): the office's balance, withdrawn and merger-freed quotas reach any
    recipient of the block at the dearest rung.

    pool_supply_b = balance_b + withdrawn_b + merge_released_b; cost pool − other on the
    grant arc (the tree adds `other`); docs/rules.md, "Source ladder". Every block gets the
    arcs (capacity 0 when empty) so that variants can add supply.
    """
    b = np.arange(nodes.n_blocks)
    c = inst.policy.source_costs
    arcs.add(POOL_SUPPLY, nodes.BUD0 + b, nodes.POOL0 + b, 0,
             inst.blocks["pool_supply"].to_numpy(float), 0, b)
    arcs.add(GRANT, nodes.POOL0 + b, nodes.ROOT0 + b, 0, np.inf, c.pool - c.other, b)


def supply_arcs(arcs: ArcList, inst: Instance, nodes: NodeLayout, donors: Donors) -> None:
    """Only vacant quotas leave a unit (空编才能调出): supply ≤ max(approved − staff, 0).

    A donor either meets its own demand (arc `own`, cost 0) or gives up into its system;
    donors without demands share one arc per system, attributed back in unit-id order
    (`pooled_donor_flows`). Lapsed units give nothing here: their vacancies were withdrawn
    to the pool (docs/rules.md, "Lapsed functions").
    """
    rows = inst.rows
    donor_cap = rows["donor_cap"].to_numpy(float)
    block_of = rows["block_index"].to_numpy()
    sys_codes = rows["sys_code"].to_numpy()
    own = donors.own
    k = len(own)
    arcs.add(SUPPLY, nodes.BUD0 + block_of[own], nodes.OUT0 + own, 0, donor_cap[own],
             donors.tiebreak[:k], own)
    own_use = own[rows["has_demand"].to_numpy()[own]]
    arcs.add(OWN, nodes.OUT0 + own_use, nodes.IN0 + own_use, 0, donor_cap[own_use], 0, own_use)
    arcs.add(UP, nodes.OUT0 + own, nodes.SYS0 + sys_codes[own], 0, donor_cap[own], 0, own)
    arcs.add(SYS_SUPPLY, nodes.BUD0 + block_of[donors.group_first], nodes.SYS0 + donors.groups,
             0, donors.group_cap[donors.groups], donors.tiebreak[k:], donors.groups)


def ladder_tree(arcs: ArcList, inst: Instance, nodes: NodeLayout, donors: Donors) -> None:
    """Source ladder (就近调剂): a quota climbs to the lowest node donor and recipient share.

    Costs down the tree add up to the rungs: same system = c_sys, same sector = c_sec,
    other = c_other (system → sector → root and back); docs/rules.md, "Source ladder".
    Only blocks where a demand can be met get tree arcs.
    """
    c = inst.policy.source_costs
    s = np.flatnonzero(donors.active[nodes.sec_block[nodes.sys_sector]])
    arcs.add(SYS_UP, nodes.SYS0 + s, nodes.SEC0 + nodes.sys_sector[s], 0, np.inf, 0, s)
    arcs.add(SEC_DOWN, nodes.SEC0 + nodes.sys_sector[s], nodes.SYS0 + s, 0, np.inf,
             c.same_sector - c.same_system, s)
    e = np.flatnonzero(donors.active[nodes.sec_block])
    arcs.add(SEC_UP, nodes.SEC0 + e, nodes.ROOT0 + nodes.sec_block[e], 0, np.inf, 0, e)
    arcs.add(ROOT_DOWN, nodes.ROOT0 + nodes.sec_block[e], nodes.SEC0 + e, 0, np.inf,
             c.other - c.same_sector, e)
    recipients = np.flatnonzero(inst.rows["has_demand"].to_numpy())
    sys_codes = inst.rows["sys_code"].to_numpy()
    arcs.add(DOWN, nodes.SYS0 + sys_codes[recipients], nodes.IN0 + recipients, 0, np.inf,
             c.same_system, recipients)


def release_gate(arcs: ArcList, inst: Instance, nodes: NodeLayout) -> None:
    """Full units release first (满编单位先出后进): a full unit's demands of the listed tiers
    receive at most what the unit releases.

    Σ received by gated demands of row r ≤ releases_r (people leaving: early retirement,
    transfer with the quota); `policy.full_units_release_first`; docs/rules.md, "Full units".
    """
    demands = inst.demands
    gated_rows = np.unique(demands.loc[demands["gated"].to_numpy(), "row"].to_numpy())
    arcs.add(GATE, nodes.IN0 + gated_rows, nodes.GATE0 + gated_rows, 0,
             inst.releases[gated_rows], 0, gated_rows)


def demand_arcs(arcs: ArcList, inst: Instance, nodes: NodeLayout) -> None:
    """Demands, tiers lexicographic (保重点 > 保应急 > 保运转): reward per quota met.

    met_d ≤ open amount_d, and 0 for over-quota (超编单位只出不进) and lapsed units;
    met_d = amount_d for key demands when `key_demands_hard`; cost −reward_d
    (`tier_rewards`: the proof that the weights are exact); docs/rules.md, "Tiers".
    """
    demands = inst.demands
    d_rows = demands["row"].to_numpy()
    amount = demands["open_amount"].to_numpy(float)
    cap = np.where(demands["eligible"].to_numpy(), amount, 0.0)
    lower = np.zeros(len(demands))
    if inst.policy.key_demands_hard:
        lower = np.where(demands["tier"].to_numpy() == "key", amount, 0.0)
    tails = np.where(demands["gated"].to_numpy(), nodes.GATE0 + d_rows, nodes.IN0 + d_rows)
    arcs.add(DEMAND, tails, np.full(len(demands), SINK), lower, cap,
             -demands["reward"].to_numpy(), np.arange(len(demands)))


def cross_region(arcs: ArcList, inst: Instance, nodes: NodeLayout) -> None:
    """Regions keep their quotas (属地管理) unless `allow_cross_region`: then the roots of one
    quota type meet at a province node, at cost cross_region − other per quota."""
    policy, blocks = inst.policy, inst.blocks
    if not policy.allow_cross_region or not nodes.n_blocks:
        return
    c = policy.source_costs
    b = np.arange(nodes.n_blocks)
    types = sorted(blocks["quota_type"].unique())
    type_index = {t: k for k, t in enumerate(types)}
    x = nodes.X0 + blocks["quota_type"].map(type_index).to_numpy()
    arcs.add(X_UP, nodes.ROOT0 + b, x, 0, np.inf, 0, b)
    arcs.add(X_DOWN, x, nodes.ROOT0 + b, 0, np.inf, c.cross_region - c.other, b)


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


def pooled_donor_flows(inst: Instance, net: Network, x: np.ndarray) -> np.ndarray:
    """Quotas each unit gives upward: its own arc, or its share of its system's pooled arc
    (filled in unit-id order: earlier units give first)."""
    rows = inst.rows
    up = np.zeros(len(rows))
    arcs = net.arcs(UP)
    np.add.at(up, net.ref[arcs], x[arcs])
    arcs = net.arcs(SYS_SUPPLY)
    if len(arcs) == 0:
        return up
    n_sys = int(rows["sys_code"].max()) + 1
    flow = np.zeros(n_sys)
    flow[net.ref[arcs]] = x[arcs]
    pooled = np.flatnonzero(rows["pooled"].to_numpy())
    codes = rows["sys_code"].to_numpy()[pooled]
    caps = rows["donor_cap"].to_numpy(float)[pooled]
    order = np.argsort(codes, kind="stable")  # rows are in unit-id order inside a block
    cum = pd.Series(caps[order]).groupby(codes[order]).cumsum().to_numpy()
    given = np.clip(flow[codes[order]] - (cum - caps[order]), 0, caps[order])
    up[pooled[order]] = given
    return up
