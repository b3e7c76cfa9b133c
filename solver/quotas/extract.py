"""Flows of the reallocation model turned into plan tables: met demands, moves with their
donors, units and pool after the plan.

Donor → recipient pairs are read off the tree flows at the lowest common node
(`decompose`), in unit-id order, so the same flows always give the same moves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from solver import text
from solver.domain import MOVE_KIND_LIST, TIER_ORDER, Move
from solver.text import say

# the kinds the reallocation itself decides (its moves change approved_after)
MODEL_MOVES: tuple[str, ...] = tuple(str(k.code) for k in MOVE_KIND_LIST if k.model)
from solver.quotas import network as nw
from solver.quotas.network import Instance, Network
from solver.scenario import Policy


def met_by_tier_block(inst: Instance, net: Network, x: np.ndarray) -> pd.DataFrame:
    d_arcs = net.arcs(nw.DEMAND)
    met = np.zeros(len(inst.demands))
    met[net.ref[d_arcs]] = x[d_arcs]
    frame = pd.DataFrame({"block_index": inst.demands["block_index"].to_numpy(),
                          "tier": inst.demands["tier"].to_numpy(), "met": met})
    return frame.pivot_table(index="block_index", columns="tier", values="met",
                             aggfunc="sum", fill_value=0.0).reindex(columns=list(TIER_ORDER),
                                                                    fill_value=0.0)


def per_row(net: Network, family: int, x: np.ndarray, size: int) -> np.ndarray:
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


def _active_tree(rows: pd.DataFrame, up: np.ndarray, down: np.ndarray
                 ) -> dict[int, dict[str, dict[str, list[tuple[int, int, int]]]]]:
    """The rows that give or receive, as block → sector → system → [(row, up, down)], each
    list in row order (rows without a sector or system are left out, as groupby does)."""
    active = np.flatnonzero((up > 0) | (down > 0))
    sectors = rows["sector"].to_numpy()[active]
    systems = rows["system"].to_numpy()[active]
    named = ~(pd.isna(sectors) | pd.isna(systems))
    active, sectors, systems = active[named], sectors[named], systems[named]
    tree: dict[int, dict[str, dict[str, list[tuple[int, int, int]]]]] = {}
    for i, b, sec, sys_, u, d in zip(active.tolist(),
                                     rows["block_index"].to_numpy()[active].tolist(),
                                     sectors.tolist(), systems.tolist(),
                                     up[active].tolist(), down[active].tolist()):
        tree.setdefault(b, {}).setdefault(sec, {}).setdefault(sys_, []).append((i, u, d))
    return tree


def decompose(inst: Instance, net: Network, x: np.ndarray) -> list[tuple]:
    """Donor → recipient pieces from the tree flows, matched at their lowest common node.

    Returns (supplier, recipient_row, amount, source) where supplier is a quota row index or
    ("pool", block_index). Matching is in unit-id order, so the pairing is deterministic.
    """
    rows = inst.rows
    n = len(rows)
    up = nw.pooled_donor_flows(inst, net, x).round().astype(np.int64)
    down = per_row(net, nw.DOWN, x, n).round().astype(np.int64)
    grant = per_row(net, nw.GRANT, x, len(inst.blocks)).round().astype(np.int64)
    pieces: list[tuple] = []
    tree = _active_tree(rows, up, down)
    block_types = inst.blocks["quota_type"].tolist()
    cross_supply: dict[str, list] = {}
    cross_need: dict[str, list] = {}
    blocks_active = set(tree) | set(np.flatnonzero(grant > 0).tolist())
    for b in sorted(blocks_active):
        in_block = tree.get(b, {})
        root_supply: list[list] = []
        root_need: list[list] = []
        for sector in sorted(in_block):
            sec_supply: list[list] = []
            sec_need: list[list] = []
            for system in sorted(in_block[sector]):
                in_system = in_block[sector][system]
                supplies = [[i, u] for i, u, _ in in_system if u > 0]
                needs = [[i, d] for i, _, d in in_system if d > 0]
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
        qt = block_types[int(b)]
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
    """The move's sentence: which demand it serves and which rung of the ladder gave it."""
    return say(f"move.{source}", tier=text.tier(tier), demand=demand_id,
               donor=text.named("region" if source == "pool" else "unit", donor),
               note=region_note)


def _records(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[dict]:
    """The rows of `frame` as dicts of the named columns (None for a column it lacks) and
    `_index`, the row's index label: the cells as iterrows gives them, without its cost."""
    cells = [frame[c].tolist() if c in frame else [None] * len(frame) for c in columns]
    return [dict(zip(columns, values), _index=i)
            for i, *values in zip(frame.index.tolist(), *cells)]


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
    own = per_row(net, nw.OWN, x, n).round().astype(np.int64)
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
    block_regions = blocks["region"].tolist()
    r = own_left = None
    queue: list[list] = []
    for dem in _records(served, ("row", "met", "transferred", "tier", "demand_id",
                                 "quota_type", "end_year")):
        if dem["row"] != r:  # the next recipient row: its own vacancies, then its inflow
            r = dem["row"]
            own_left = int(own[r])
            queue = [list(p) for p in incoming.get(int(r), [])]
        need = int(dem["met"]) - int(dem["transferred"])
        take = min(own_left, need)
        met_own[dem["_index"]] = take
        own_left -= take
        need -= take
        temporary = ""
        if dem["tier"] == "emergency" and pd.notna(dem["end_year"]):
            temporary = str(int(dem["end_year"]))
        while need > 0:
            if not queue:
                raise AssertionError(f"demand {dem['demand_id']} met beyond its inflow")
            supplier, amount, source = queue[0]
            take = min(amount, need)
            if isinstance(supplier, tuple):
                from_unit, kind = "", Move.POOL_GRANT
                src_region = block_regions[supplier[1]]
                donor = src_region
            else:
                from_unit, kind = unit_ids[supplier], Move.TRANSFER
                src_region = regions[supplier]
                donor = from_unit
            note = ("" if src_region == regions[r]
                    else say("move.from_region", region=text.named("region", src_region)))
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
                "kind": Move.WITH_PERSON, "quota_type": t.quota_type,
                "from_unit": t.from_unit, "to_unit": t.to_unit, "amount": 1,
                "demand_id": t.demand_id, "tier": t.tier, "source": t.source,
                "reason": say("move.with_person", tier=text.tier(t.tier), demand=t.demand_id,
                              person=t.person_id, unit=text.named("unit", t.from_unit)),
                "temporary_until": "", "from_region": unit_region.get(t.from_unit, ""),
                "to_region": unit_region.get(t.to_unit, ""),
            })
    withdraw = rows.loc[rows["withdraw"] > 0, ["quota_type", "unit_id", "withdraw", "region"]]
    withdraw_moves = [{
        "kind": Move.WITHDRAW, "quota_type": w["quota_type"], "from_unit": w["unit_id"],
        "to_unit": "", "amount": int(w["withdraw"]), "demand_id": "", "tier": "",
        "source": "", "reason": say("move.withdraw"),
        "temporary_until": "", "from_region": w["region"], "to_region": w["region"],
    } for w in _records(withdraw, ("quota_type", "unit_id", "withdraw", "region"))]
    columns = ["kind", "quota_type", "from_unit", "to_unit", "amount", "demand_id", "tier",
               "source", "reason", "temporary_until", "from_region", "to_region"]
    moves = pd.DataFrame(withdraw_moves + move_rows, columns=columns)

    merge_moves = [{
        "kind": Move.MERGE_RELEASE, "quota_type": r["quota_type"], "from_unit": r["unit_id"],
        "to_unit": "", "amount": int(r["merge_freed"]), "demand_id": "", "tier": "",
        "source": "", "reason": (mergers.reasons.get(r["unit_id"], "") if mergers else "")
        or say("move.merge_release"),
        "temporary_until": "", "from_region": r["region"], "to_region": r["region"],
    } for r in _records(rows.loc[rows["merge_freed"] > 0,
                                 ["quota_type", "unit_id", "merge_freed", "region"]],
                        ("quota_type", "unit_id", "merge_freed", "region"))]
    merge_moves += merged_into_keepers(rows, people, mergers)
    if merge_moves:
        moves = pd.concat([moves, pd.DataFrame(merge_moves, columns=columns)],
                          ignore_index=True)
    moves["persons"] = np.where(moves["kind"] == Move.WITH_PERSON, 1, 0)
    merged = moves["kind"] == Move.MERGE
    if merged.any():
        moves.loc[merged, "persons"] = [m["_persons"] for m in merge_moves
                                        if m["kind"] == Move.MERGE]
    moves["persons"] = moves["persons"].astype(np.int64)
    # units: the figures after people and mergers, ± the moves the model made, + hires
    approved_after = rows["approved_now"].to_numpy(np.int64).copy()
    key = pd.Series(np.arange(n), index=pd.MultiIndex.from_frame(rows[["unit_id", "quota_type"]]))
    model_moves = moves[moves["kind"].isin(MODEL_MOVES)]
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
        "returns_held": rows["held"].to_numpy(np.int64),
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
    if len(inst.idle_pool):  # pools of a type no unit of the region holds: unchanged
        idle = inst.idle_pool
        pool = pd.concat([pool, pd.DataFrame({
            "region": idle["region"].to_numpy(), "quota_type": idle["quota_type"].to_numpy(),
            "balance_before": idle["balance"].to_numpy(np.int64), "withdrawn": 0,
            "merge_released": 0, "granted": 0,
            "balance_after": idle["balance"].to_numpy(np.int64)})], ignore_index=True)
    return {"demands": d, "moves": moves, "units": units, "pool": pool}


def merged_into_keepers(rows: pd.DataFrame, people: nw.PeopleMoves | None,
                        mergers: nw.MergeMoves | None) -> list[dict]:
    """One `merge` move per absorbed unit and quota type: what it still holds passes to the
    keeper, with its staff (整合小散弱).

    amount = approved − merge_release − people transferred out + in; persons = staff − early
    retirements − people transferred out + in: so that for every unit approved_after =
    approved_before + moves in − moves out, and staff likewise (the ledger balances).
    """
    if mergers is None or not mergers.owner:
        return []
    absorbed = rows[rows["unit_id"].isin(list(mergers.owner))]
    key = list(zip(absorbed["unit_id"], absorbed["quota_type"]))
    delta: dict[tuple[str, str], int] = {}
    retired: dict[tuple[str, str], int] = {}
    if people is not None:
        for end, sign in (("from_unit", -1), ("to_unit", 1)):
            for k in zip(people.transfers[end], people.transfers["quota_type"]):
                delta[k] = delta.get(k, 0) + sign
        retired = people.retirements
    out = []
    for (unit, qt), a, st, freed, region in zip(
            key, absorbed["approved"], absorbed["staff"], absorbed["merge_freed"],
            absorbed["region"]):
        amount = int(a) - int(freed) + delta.get((unit, qt), 0)
        persons = int(st) - retired.get((unit, qt), 0) + delta.get((unit, qt), 0)
        if amount == 0 and persons == 0:
            continue
        keeper = mergers.owner[unit]
        ends = (unit, keeper) if amount >= 0 else (keeper, unit)
        reason = (say("move.merge", keeper=text.named("unit", keeper), amount=amount,
                      persons=persons)
                  if amount >= 0 else
                  say("move.merge_cover", keeper=text.named("unit", keeper), amount=-amount,
                      persons=persons))
        out.append({
            "kind": Move.MERGE, "quota_type": qt, "from_unit": ends[0], "to_unit": ends[1],
            "amount": abs(amount), "demand_id": "", "tier": "", "source": "",
            "reason": reason,
            "temporary_until": "", "from_region": region, "to_region": region,
            "_persons": persons,
        })
    return out


def ladder_cost(net: Network, x: np.ndarray, policy: Policy) -> float:
    """Σ ladder cost of the moves (the objective without rewards and tie-breaks)."""
    c = policy.source_costs
    cost_of = {nw.DOWN: c.same_system, nw.SEC_DOWN: c.same_sector - c.same_system,
               nw.ROOT_DOWN: c.other - c.same_sector, nw.GRANT: c.pool - c.other,
               nw.X_DOWN: c.cross_region - c.other}
    return float(sum(cost * x[net.arcs(f)].sum() for f, cost in cost_of.items()))

