"""Mergers of small institutions (整合小散弱, issue 7): who may merge, what they free."""

from __future__ import annotations

import numpy as np
import pandas as pd

from solver.domain import KINDS, Move
from solver.verify.core import Context, Violation, capped, rule


def _groups(ctx: Context) -> pd.DataFrame | None:
    """mergers.csv with each member's input approved and staff (institution quota)."""
    m = ctx.tables.get("mergers")
    if m is None or m.empty:
        return None
    q = ctx.ds.quotas[ctx.ds.quotas["quota_type"] == "institution"].drop_duplicates(
        "unit_id").set_index("unit_id")
    m = m.drop_duplicates(["merger_id", "unit_id"]).copy()
    m["approved"] = m["unit_id"].map(q["approved"]).fillna(0).astype(np.int64)
    m["staff"] = m["unit_id"].map(q["staff"]).fillna(0).astype(np.int64)
    return m


@rule("merger_members", "a merger joins known, active institutions of one parent "
      "department, system and region, each at most consolidation.threshold", "mergers")
def merger_members(ctx: Context) -> list[Violation]:
    m = _groups(ctx)
    if m is None:
        return []
    units = ctx.units_in
    threshold = ctx.scenario.consolidation.threshold
    items = []
    unknown = ~m["unit_id"].isin(units.index)
    for mid, g in m[unknown].groupby("merger_id"):
        items.append((f"merger {mid}: unknown units {sorted(g['unit_id'])}", "mergers.csv"))
    known = m[~m["merger_id"].isin(m.loc[unknown, "merger_id"])]
    info = units.reindex(known["unit_id"])
    info = info.assign(merger_id=known["merger_id"].to_numpy(),
                       approved=known["approved"].to_numpy())
    by = info.groupby("merger_id")
    parents = by["parent_id"].nunique(dropna=False)
    no_parent = (info["parent_id"].isna() | (info["parent_id"] == "")).groupby(
        info["merger_id"]).any()
    for mid in parents.index[(parents != 1) | no_parent]:
        items.append((f"merger {mid} joins institutions of different parent departments",
                      "mergers.csv"))
    spread = (by["system"].nunique() != 1) | (by["region"].nunique() != 1)
    for mid in spread.index[spread]:
        items.append((f"merger {mid} joins institutions of different systems or regions",
                      "mergers.csv"))
    inactive = (info["kind"] != "institution") | (info["function_status"] == "lapsed")
    for mid in sorted(set(info.loc[inactive.to_numpy(), "merger_id"])):
        items.append((f"merger {mid} joins a unit that is not an active institution",
                      "mergers.csv"))
    big = info[info["approved"] > threshold]
    for mid, uid in zip(big["merger_id"], big.index):
        items.append((f"merger {mid} joins {uid}, an institution above the threshold "
                      f"{threshold}", "mergers.csv"))
    return capped("merger_members", items)


@rule("merger_freed", "a merger frees no more quotas than its members' vacancies (less those "
      "held for returns)", "mergers")
def merger_freed(ctx: Context) -> list[Violation]:
    m = _groups(ctx)
    if m is None:
        return []
    held = ctx.returns_home
    m["held"] = [int(held.get((u, "institution"), 0)) for u in m["unit_id"]]
    g = m.groupby("merger_id")[["freed", "approved", "staff", "held"]].sum()
    vacant = g["approved"] - g["staff"] - g["held"]
    return capped("merger_freed", [
        (f"merger {mid} frees {g.loc[mid, 'freed']} quotas but has only {vacant[mid]} vacant"
         + (f" (besides {g.loc[mid, 'held']} held for returns)" if g.loc[mid, "held"] else ""),
         "mergers.csv") for mid in g.index[g["freed"] > vacant]])


@rule("merger_size", "a merged unit keeps at most consolidation.max_size quotas", "mergers")
def merger_size(ctx: Context) -> list[Violation]:
    m = _groups(ctx)
    if m is None:
        return []
    max_size = ctx.scenario.consolidation.max_size
    g = m.groupby("merger_id")[["freed", "approved"]].sum()
    size = g["approved"] - g["freed"]
    return capped("merger_size", [
        (f"merger {mid}: the merged unit ({size[mid]}) exceeds max_size {max_size}",
         "mergers.csv") for mid in g.index[size > max_size]])


@rule("merger_release", "every quota a merger frees goes to the pool as a merge_release "
      "move, and no other", "mergers")
def merger_release(ctx: Context) -> list[Violation]:
    m = ctx.tables.get("mergers")
    moves = ctx.tables["moves"]
    released = moves[moves["kind"] == Move.MERGE_RELEASE]
    if m is None:
        m = pd.DataFrame({"unit_id": pd.Series(dtype=str), "freed": pd.Series(dtype=np.int64)})
    by_unit = released.groupby("from_unit")["amount"].sum()
    freed = m.drop_duplicates("unit_id").set_index("unit_id")["freed"]
    freed = freed[freed > 0]
    ids = by_unit.index.union(freed.index)
    a = by_unit.reindex(ids).fillna(0).astype(np.int64)
    b = freed.reindex(ids).fillna(0).astype(np.int64)
    items = [(f"{u} frees {b[u]} in mergers.csv but merge_release moves carry {a[u]}",
              "mergers.csv, moves.csv") for u in ids[a != b]]
    if (released["to_unit"] != "").any():
        items.append(("a merge_release move does not go to the pool", "moves.csv"))
    return capped("merger_release", items)


@rule("merger_leader_posts", "with leader_posts.hard_limit_on_mergers a merged unit keeps no "
      "more leader posts than the limit for its size after the merger (provincial leader-post "
      "limits by size)", "mergers")
def merger_leader_posts(ctx: Context) -> list[Violation]:
    settings = ctx.scenario.leader_posts
    m = _groups(ctx)
    if m is None or not settings.hard_limit_on_mergers:
        return []
    rules = settings.rules()
    units = ctx.units_in
    posts = pd.to_numeric(units["leader_posts"], errors="coerce").fillna(0).astype(np.int64)
    g = m.groupby("merger_id")[["freed", "approved"]].sum()
    size = g["approved"] - g["freed"]
    keepers = m[m["role"] == "keeper"].drop_duplicates("merger_id")
    items = []
    for mid, uid, freed in zip(keepers["merger_id"], keepers["unit_id"], keepers["freed"],
                               strict=True):
        if uid not in units.index:
            continue  # merger_members names an unknown unit
        kind = units.at[uid, "kind"]
        kind = kind if kind in KINDS else "institution"
        kept = int(posts[uid]) - int(freed)
        limit = rules.limit(kind, int(size[mid]))
        if kept > limit:
            message = (f"merger {mid}: keeper {uid} keeps {kept} leader posts "
                       f"({posts[uid]} − {freed} freed) for a merged size of {size[mid]}, "
                       f"above {rules.basis(kind, int(size[mid]))}")
            items.append((message, "mergers.csv"))
    return capped("merger_leader_posts", items)
