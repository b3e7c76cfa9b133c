"""The quota rules (DOMAIN.md "Hard rules of the city" and "The moves a plan may contain").

Each rule recomputes from the input tables and the plan tables alone; a merged group counts
as one unit (its keeper), as in the reallocation.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from solver.domain import MOVE_KINDS, SOURCES, UNMET_REASONS_ZH, Move
from solver.verify.core import LINE, Context, Violation, capped, rule
from solver.verify.ledger import free_after


def _unit(key) -> str:
    return f"{key[0]} ({key[1]})"


@rule("move_vocabulary", "every move has a known kind and source and a positive amount (a "
      "merge: quotas or staff)",
      "quotas")
def move_vocabulary(ctx: Context) -> list[Violation]:
    m = ctx.tables["moves"]
    items = []
    bad = ~m["kind"].isin(list(MOVE_KINDS))
    items += [(f"unknown move kind {k!r}", f"moves.csv, row {r}")
              for k, r in zip(m["kind"][bad], m[LINE][bad])]
    bad = ~m["source"].isin(list(SOURCES) + [""])
    items += [(f"unknown source {s!r}", f"moves.csv, row {r}")
              for s, r in zip(m["source"][bad], m[LINE][bad])]
    # a merge may pass staff without quota (its approved all freed) but never nothing
    persons = m["persons"] if "persons" in m else pd.Series(0, index=m.index)
    merge = m["kind"] == Move.MERGE
    bad = ((m["amount"] <= 0) & ~merge) | (merge & ((m["amount"] < 0) | (persons < 0)
                                                    | ((m["amount"] == 0) & (persons == 0))))
    items += [(f"a move with the non-positive amount {a}", f"moves.csv, row {r}")
              for a, r in zip(m["amount"][bad], m[LINE][bad])]
    return capped("move_vocabulary", items)


@rule("type_not_held", "a move names only units that hold its quota type (types never mix)",
      "quotas")
def type_not_held(ctx: Context) -> list[Violation]:
    m, held = ctx.tables["moves"], ctx.input_quotas.index
    items = []
    for end in ("from_unit", "to_unit"):
        named = m[m[end] != ""]
        keys = pd.MultiIndex.from_arrays([named[end], named["quota_type"]])
        bad = named[~keys.isin(held)]
        items += [(f"{k} of {t} {end.split('_')[0]} {u}, which holds no such quota type "
                   "(types never mix)", f"moves.csv, row {r}")
                  for k, t, u, r in zip(bad["kind"], bad["quota_type"], bad[end], bad[LINE])]
    return capped("type_not_held", items)


@rule("cross_region", "no move or pool grant crosses regions unless "
      "policy.allow_cross_region", "quotas")
def cross_region(ctx: Context) -> list[Violation]:
    if ctx.policy.allow_cross_region:
        return []
    m = ctx.tables["moves"]
    region = ctx.units_in["region"]
    items = []
    both = m[(m["from_unit"] != "") & (m["to_unit"] != "")]
    crossing = both[both["from_unit"].map(region) != both["to_unit"].map(region)]
    items += [(f"{f} → {t} crosses regions (policy.allow_cross_region is false)",
               f"moves.csv, row {r}")
              for f, t, r in zip(crossing["from_unit"], crossing["to_unit"], crossing[LINE])]
    if "from_region" in m:
        grants = m[(m["kind"] == Move.POOL_GRANT) & (m["from_region"] != "")]
        crossing = grants[grants["from_region"] != grants["to_unit"].map(region)]
        items += [(f"a pool grant from the pool of {f} to {t} crosses regions",
                   f"moves.csv, row {r}")
                  for f, t, r in zip(crossing["from_region"], crossing["to_unit"],
                                     crossing[LINE])]
    return capped("cross_region", items)


@rule("only_vacant_leave", "a unit gives and uses for its own demands no more than its "
      "vacant quotas (early retirements included)", "quotas")
def only_vacant_leave(ctx: Context) -> list[Violation]:
    vacancy, plain_out = ctx.vacancy, ctx.plain_out
    d = ctx.demands
    own = ctx.on_q(d["unit_id"], d["quota_type"], d["met_own"], name="met_own")
    items = []
    for key in plain_out.index[plain_out > vacancy]:
        items.append((f"{_unit(key)} gives {plain_out[key]} quotas but has only "
                      f"{vacancy[key]} vacant (only vacant quotas leave a unit)", "moves.csv"))
    for key in own.index[(plain_out <= vacancy) & (own + plain_out > vacancy)]:
        items.append((f"{_unit(key)} uses {own[key]} own and gives {plain_out[key]} but has "
                      f"{vacancy[key]} vacant", "demands.csv, moves.csv"))
    return capped("only_vacant_leave", items)


@rule("approved_change_explained", "each unit's approved quota changes by exactly its moves "
      "in minus its moves out", "quotas")
def approved_change_explained(ctx: Context) -> list[Violation]:
    pu = ctx.pu
    delta = pu["approved_after"] - pu["approved_before"]
    net = ctx.in_amt - ctx.out_amt
    return capped("approved_change_explained", [
        (f"approved of {_unit(k)} changes by {delta[k]} but its moves add up to {net[k]}",
         "units.csv") for k in delta.index[delta != net]])


@rule("staff_change_explained", "each unit's staff changes by its hires for met demands, "
      "people moving with their quota and early retirements", "quotas")
def staff_change_explained(ctx: Context) -> list[Violation]:
    d = ctx.demands
    by_person = ctx.people_moves.groupby("demand_id")["amount"].sum()
    hired = d["met"] - d["demand_id"].map(by_person).fillna(0).astype(np.int64)
    hires = ctx.on_q(d["unit_id"], d["quota_type"], hired)
    pu = ctx.pu
    delta = pu["staff_after"] - pu["staff_before"]
    expected = hires + ctx.arrive_people - ctx.leave_people - ctx.retire
    return capped("staff_change_explained", [
        (f"staff of {_unit(k)} changes by {delta[k]}, expected {expected[k]} (hires for met "
         "demands, people moving or retiring)", "units.csv")
        for k in delta.index[delta != expected]])


def _receipts(ctx: Context, which: pd.Series, why: str, rule_id: str) -> list[Violation]:
    items = [(f"{_unit(k)} is {why} but receives {ctx.in_amt[k]} quotas", "moves.csv")
             for k in ctx.in_amt.index[(ctx.in_amt > 0) & which]]
    d = ctx.demands
    bad = which.reindex(ctx.demand_keys()).fillna(False).to_numpy(bool) & (d["met"] > 0)
    items += [(f"demand {i}: met {m} at an {why} unit", "demands.csv")
              for i, m in zip(d["demand_id"][bad], d["met"][bad])]
    return capped(rule_id, items)


@rule("over_quota_receipt", "an over-quota unit receives nothing and meets no demand "
      "(超编单位只出不进)", "quotas")
def over_quota_receipt(ctx: Context) -> list[Violation]:
    return _receipts(ctx, ctx.status == "over", "over quota", "over_quota_receipt")


@rule("lapsed_receipt", "a unit whose functions lapsed receives nothing and meets no demand",
      "quotas")
def lapsed_receipt(ctx: Context) -> list[Violation]:
    return _receipts(ctx, ctx.lapsed & (ctx.status != "over"), "lapsed", "lapsed_receipt")


@rule("lapsed_withdrawn", "all vacant quotas of a unit whose functions lapsed are withdrawn "
      "to the pool", "quotas")
def lapsed_withdrawn(ctx: Context) -> list[Violation]:
    m = ctx.moves
    withdrawn = ctx.per_row(m[m["kind"] == Move.WITHDRAW], "from_unit")
    lapsed, vacancy = ctx.lapsed, ctx.vacancy
    return capped("lapsed_withdrawn", [
        (f"{_unit(k)} lapsed with {vacancy[k]} vacant quotas but {withdrawn[k]} were "
         "withdrawn to the pool", "moves.csv")
        for k in lapsed.index[lapsed & (withdrawn != vacancy)]])


@rule("demand_met", "a demand is met within its amount, own use within what is met, and "
      "what is met beyond own use is exactly what its moves bring", "quotas")
def demand_met(ctx: Context) -> list[Violation]:
    d = ctx.demands
    m = ctx.moves
    moved = m[m["demand_id"] != ""].groupby("demand_id")["amount"].sum()
    brought = d["demand_id"].map(moved).fillna(0).astype(np.int64)
    items = []
    for i, row in d[d["met"] > d["amount"]].iterrows():
        items.append((f"demand {row['demand_id']} met {row['met']} beyond its amount "
                      f"{row['amount']}", "demands.csv"))
    for i, row in d[(d["met_own"] > d["met"]) | (d["met_own"] < 0)].iterrows():
        items.append((f"demand {row['demand_id']}: met_own {row['met_own']} outside 0–met",
                      "demands.csv"))
    bad = (d["met"] - d["met_own"]) != brought
    for did, met, own, b in zip(d["demand_id"][bad], d["met"][bad], d["met_own"][bad],
                                brought[bad]):
        items.append((f"demand {did}: met {met} (own {own}) but moves bring {b}",
                      "demands.csv"))
    return capped("demand_met", items)


@rule("unmet_reason", "a demand met short names a known unmet_reason; a fully met one none",
      "quotas")
def unmet_reason(ctx: Context) -> list[Violation]:
    d = ctx.demands
    short = d["met"] < d["amount"]
    bad = short & ~d["unmet_reason"].isin(list(UNMET_REASONS_ZH))
    items = [(f"demand {i} is met short without a known unmet_reason ({r!r})", "demands.csv")
             for i, r in zip(d["demand_id"][bad], d["unmet_reason"][bad])]
    bad = ~short & (d["unmet_reason"] != "")
    items += [(f"demand {i} is fully met but carries the unmet_reason {r!r}", "demands.csv")
              for i, r in zip(d["demand_id"][bad], d["unmet_reason"][bad])]
    return capped("unmet_reason", items)


@rule("full_unit_gate", "a full unit receives for the tiers of "
      "policy.full_units_release_first only what it releases first (满编单位先出后进)",
      "quotas")
def full_unit_gate(ctx: Context) -> list[Violation]:
    tiers = list(ctx.policy.full_units_release_first)
    d = ctx.demands
    full = (ctx.status == "full").reindex(ctx.demand_keys()).fillna(False).to_numpy(bool)
    gated = d[full & d["tier"].isin(tiers)]
    if gated.empty:
        return []
    released = ctx.retire + ctx.leave_people
    received = gated.groupby(["unit_id", "quota_type"])["met"].sum()
    free = released.reindex(received.index).fillna(0).astype(np.int64)
    return capped("full_unit_gate", [
        (f"full unit {_unit(k)} receives {received[k]} for {'/'.join(tiers)} demands but "
         f"releases {free[k]} first (满编单位先出后进)", "demands.csv")
        for k in received.index[received > free]])


@rule("key_demand_hard", "with policy.key_demands_hard every key demand is met in full",
      "quotas")
def key_demand_hard(ctx: Context) -> list[Violation]:
    if not ctx.policy.key_demands_hard:
        return []
    d = ctx.demands
    short = d[(d["tier"] == "key") & (d["met"] < d["amount"])]
    return capped("key_demand_hard", [
        (f"key demand {i} is hard but met {m} of {a}", "demands.csv")
        for i, m, a in zip(short["demand_id"], short["met"], short["amount"])])


@rule("total_not_raised", "approved quota plus pool never rises per quota type (per region "
      "unless cross-region moves are allowed) (只减不增)", "quotas")
def total_not_raised(ctx: Context) -> list[Violation]:
    group = ["quota_type"] if ctx.policy.allow_cross_region else ["region", "quota_type"]
    q = ctx.ds.quotas
    before = pd.DataFrame({"region": q["unit_id"].map(ctx.units_in["region"]),
                           "quota_type": q["quota_type"], "amount": q["approved"]})
    if ctx.ds.pool is not None:
        p = ctx.ds.pool
        before = pd.concat([before, pd.DataFrame({"region": p["region"],
                                                  "quota_type": p["quota_type"],
                                                  "amount": p["balance"]})])
    u, p = ctx.tables["units"], ctx.tables["pool"]
    # every row of the plan counts, a ghost or duplicated one too: the totals are the plan's
    after = pd.concat([
        pd.DataFrame({"region": u["unit_id"].map(ctx.units_in["region"]).fillna(
            u["region"] if "region" in u else ""), "quota_type": u["quota_type"],
            "amount": u["approved_after"]}),
        pd.DataFrame({"region": p["region"], "quota_type": p["quota_type"],
                      "amount": p["balance_after"]})])
    b = before.groupby(group)["amount"].sum()
    a = after.groupby(group)["amount"].sum()
    b = b.reindex(a.index.union(b.index)).fillna(0).astype(np.int64)
    a = a.reindex(b.index).fillna(0).astype(np.int64)
    return capped("total_not_raised", [
        (f"{k}: total quota rises from {b[k]} to {a[k]} (totals never rise: 只减不增)",
         "units.csv, pool.csv") for k in b.index[a > b]])


def _pool_flows(ctx: Context) -> pd.DataFrame:
    """Per (region, type) of the pool: input balance, withdrawn, merge-released, granted."""
    m = ctx.tables["moves"]
    region = ctx.units_in["region"]
    parts = []
    for kind, sign, end in ((Move.WITHDRAW, 1, "from_unit"), (Move.MERGE_RELEASE, 1, "from_unit"),
                            (Move.POOL_GRANT, -1, "to_unit")):
        rows = m[m["kind"] == kind]
        where = rows[end].map(region)
        if kind == Move.POOL_GRANT and "from_region" in rows:
            where = rows["from_region"].where(rows["from_region"] != "", where)
        parts.append(pd.DataFrame({"region": where, "quota_type": rows["quota_type"],
                                   "amount": sign * rows["amount"]}))
    if ctx.ds.pool is not None:
        p = ctx.ds.pool
        parts.append(pd.DataFrame({"region": p["region"], "quota_type": p["quota_type"],
                                   "amount": p["balance"].astype(np.int64)}))
    flows = pd.concat(parts)
    return flows.groupby(["region", "quota_type"])["amount"].sum()


@rule("pool_balance", "each pool's balance_after is its input balance plus withdrawals and "
      "merger releases minus grants, never negative", "quotas")
def pool_balance(ctx: Context) -> list[Violation]:
    p = ctx.tables["pool"].drop_duplicates(["region", "quota_type"])
    keys = pd.MultiIndex.from_arrays([p["region"], p["quota_type"]])
    expected = _pool_flows(ctx).reindex(keys).fillna(0).astype(np.int64).to_numpy()
    after = p["balance_after"].to_numpy()
    items = []
    for i in np.flatnonzero(after != expected):
        items.append((f"{keys[i][0]} {keys[i][1]} balance_after {after[i]}, expected "
                      f"{expected[i]} from withdrawals and grants", f"pool.csv, row "
                      f"{p[LINE].iat[i]}"))
    for i in np.flatnonzero(after < 0):
        items.append((f"{keys[i][0]} {keys[i][1]} pool goes negative",
                      f"pool.csv, row {p[LINE].iat[i]}"))
    return capped("pool_balance", items)


@rule("reserve_floor", "vacancies left unused plus pool after the plan stay at least "
      "reserve_rate of the region's approved quota plus pool, or as high as before (蓄水池)",
      "quotas")
def reserve_floor(ctx: Context) -> list[Violation]:
    pu = ctx.pu
    pool_in = pd.Series(dtype=np.int64)
    if ctx.ds.pool is not None:
        pool_in = ctx.ds.pool.groupby(["region", "quota_type"])["balance"].sum()
    p = ctx.tables["pool"].drop_duplicates(["region", "quota_type"]).set_index(
        ["region", "quota_type"])["balance_after"]
    # after the plan: the vacancies no part uses (the ledger's vacancy_free: not held for
    # returns, not taking over off-quota work); before: those not held for returns
    free = free_after(ctx)
    after = (pu["approved_after"] - pu["staff_after"]).clip(lower=0) - ctx.held \
        if free is None else free
    frame = pd.DataFrame({
        "region": ctx.region.to_numpy(), "quota_type": ctx.q.index.get_level_values(1),
        "A": ctx.A.to_numpy(), "V": ctx.vacancy.to_numpy(), "V_after": after.to_numpy()})
    blocks = frame.groupby(["region", "quota_type"])[["A", "V", "V_after"]].sum()
    items = []
    for (r, t), row in blocks.iterrows():
        pool0 = int(pool_in.get((r, t), 0))
        base = int(row["A"]) + pool0
        rate = ctx.policy.rate_for(t)
        floor = math.ceil(rate * base - 1e-9)
        before = int(row["V"]) + pool0
        after = int(row["V_after"]) + int(p.get((r, t), 0))
        if after < min(floor, before):
            items.append((f"region {r}, {t}: vacancy after the plan {after} is below the "
                          f"reserve floor {floor} (reserve_rate {rate:g} of {base})",
                          "units.csv, pool.csv"))
    return capped("reserve_floor", items)


@rule("temporary_until", "a move for an emergency demand with an end year carries that year "
      "as temporary_until (事去减编)", "quotas")
def temporary_until(ctx: Context) -> list[Violation]:
    d = ctx.demands_aligned
    if "end_year" not in d:
        return []
    d = d[(d["tier"] == "emergency") & d["end_year"].notna()]
    end = pd.Series(d["end_year"].astype("int64").astype(str).to_numpy(), index=d["demand_id"])
    m = ctx.tables["moves"]
    em = m[m["demand_id"].isin(end.index)]
    want = em["demand_id"].map(end)
    bad = em[em["temporary_until"] != want]
    return capped("temporary_until", [
        (f"move for emergency demand {i} lacks temporary_until {w} (has {t!r})",
         f"moves.csv, row {r}")
        for i, w, t, r in zip(bad["demand_id"], want[bad.index], bad["temporary_until"],
                              bad[LINE])])
