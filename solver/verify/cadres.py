"""Surplus cadres (富余人员, issue 4): each person's option against the rules.

The ages and service years are moved to the plan year; eligibility for early retirement and
the statutory age come from `solver.cadres.rules` (tests recompute both by hand).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from solver.cadres import rules
from solver.domain import FREES_VACANCY, HOLDS_VACANCY, OPTIONS, Move, Opt
from solver.scenario import plan_year
from solver.verify.core import LINE, Context, Violation, capped, rule


def _view(ctx: Context) -> pd.DataFrame | None:
    """Assignments of known people (first per person) with their input row and plan-year
    age, service, years to the statutory age and early-retirement eligibility."""
    if "_cadre_view" in ctx.__dict__:
        return ctx.__dict__["_cadre_view"]
    a = ctx.people_home
    view = None
    year = plan_year(ctx.scenario, ctx.ds.year)
    if a is not None and ctx.ds.people is not None and year is not None:
        data_year = ctx.data_year or ctx.ds.year or year
        people = rules.ages_in_plan_year(ctx.ds.people.drop_duplicates("person_id"),
                                         data_year, year).set_index("person_id")
        p = people.loc[a["person_id"]]
        view = a.reset_index(drop=True).copy()
        for col in ("gender", "health", "surplus_reason", "wants_return",
                    "willing_early_retirement"):
            view[f"in_{col}"] = p[col].astype(object).to_numpy()
        view["age_plan"] = p["age_plan"].to_numpy()
        view["service_plan"] = p["service_plan"].to_numpy()
        to_stat = rules.years_to_statutory(p["gender"].to_numpy(), p["age_plan"].to_numpy(),
                                           year)
        view["eligible"] = rules.early_retirement_eligible(p["service_plan"].to_numpy(),
                                                           to_stat)
        view["serious"] = (p["health"] == "serious").to_numpy()
    ctx.__dict__["_cadre_view"] = view
    return view


def _rows(v: pd.DataFrame, mask) -> list[tuple[str, str]]:
    return list(zip(v["person_id"][mask], v[LINE][mask].map(lambda r: f"assignments.csv, "
                                                                      f"row {r}")))


@rule("unknown_option", "every person's option is one of group, return, early_retirement, "
      "transfer, stay", "cadres")
def unknown_option(ctx: Context) -> list[Violation]:
    a = ctx.tables.get("assignments")
    if a is None:
        return []
    bad = ~a["option"].isin(list(OPTIONS))
    return capped("unknown_option", [
        (f"person {p}: unknown option {o!r}", f"assignments.csv, row {r}")
        for p, o, r in zip(a["person_id"][bad], a["option"][bad], a[LINE][bad])])


@rule("early_retirement", "early retirement only if eligible (≥ 30 years of service, or < 5 "
      "years to the statutory age with ≥ 20) and willing or seriously ill", "cadres")
def early_retirement(ctx: Context) -> list[Violation]:
    v = _view(ctx)
    if v is None:
        return []
    willing = v["in_willing_early_retirement"].fillna("no") == "yes"
    bad = (v["option"] == Opt.EARLY_RETIREMENT) & ~(v["eligible"] & (willing | v["serious"]))
    return capped("early_retirement", [
        (f"person {p} retires early without being eligible (30 years of service, or under 5 "
         "years to the statutory age with 20) and willing or seriously ill", w)
        for p, w in _rows(v, bad)])


@rule("seriously_ill", "a seriously ill person is sent neither to a task group nor "
      "transferred", "cadres")
def seriously_ill(ctx: Context) -> list[Violation]:
    v = _view(ctx)
    if v is None:
        return []
    items = [(f"person {p} is seriously ill but sent to a task group", w)
             for p, w in _rows(v, v["serious"] & (v["option"] == "group"))]
    items += [(f"person {p} is seriously ill but transfers with the quota", w)
              for p, w in _rows(v, v["serious"] & (v["option"] == Opt.TRANSFER))]
    return capped("seriously_ill", items)


@rule("follow_up", "a person absent without reason or missing stays (a formal notice, "
      "告知书), with no other option", "cadres")
def follow_up(ctx: Context) -> list[Violation]:
    v = _view(ctx)
    if v is None:
        return []
    follow = rules.needs_follow_up(v["in_surplus_reason"])
    bad = follow & (v["option"] != "stay").to_numpy()
    return capped("follow_up", [
        (f"person {p} is absent or missing (formal notice) but assigned {o}",
         f"assignments.csv, row {r}")
        for p, o, r in zip(v["person_id"][bad], v["option"][bad], v[LINE][bad])])


@rule("return_asked", "only a person who asks to return goes back to the home unit",
      "cadres")
def return_asked(ctx: Context) -> list[Violation]:
    v = _view(ctx)
    if v is None:
        return []
    wants = v["in_wants_return"].fillna("no") == "yes"
    return capped("return_asked", [
        (f"person {p} returns to the home unit without asking to", w)
        for p, w in _rows(v, (v["option"] == Opt.RETURN) & ~wants)])


def _groups(ctx: Context) -> pd.DataFrame | None:
    tg = ctx.ds.task_groups
    return None if tg is None else tg.drop_duplicates("group_id").set_index("group_id")


@rule("group_size", "every task group of the plan exists and holds between its min_size and "
      "max_size people", "cadres")
def group_size(ctx: Context) -> list[Violation]:
    v = _view(ctx)
    if v is None:
        return []
    groups = _groups(ctx)
    in_group = v[v["option"] == "group"]
    sizes = in_group.groupby("group_id").size()
    items = []
    known = groups.index if groups is not None else pd.Index([])
    for gid in sizes.index.difference(known):
        items.append((f"unknown task group {gid}", "assignments.csv"))
    if groups is not None:
        size = sizes.reindex(groups.index).fillna(0).astype(np.int64)
        lo = pd.to_numeric(groups["min_size"], errors="coerce").fillna(0).astype(np.int64)
        hi = pd.to_numeric(groups["max_size"], errors="coerce").fillna(np.iinfo(np.int64).max)
        hi = hi.astype(np.int64)
        for gid in groups.index[(size < lo) | (size > hi)]:
            if size[gid] == 0:
                items.append((f"task group {gid} is empty but needs at least {lo[gid]}",
                              "assignments.csv"))
            else:
                items.append((f"task group {gid} has {size[gid]} people, outside "
                              f"{lo[gid]}–{hi[gid]}", "assignments.csv"))
    return capped("group_size", items)


@rule("group_region", "a task group with a region takes only people whose home unit is in it",
      "cadres")
def group_region(ctx: Context) -> list[Violation]:
    v, groups = _view(ctx), _groups(ctx)
    if v is None or groups is None or "region" not in groups:
        return []
    g = v[v["option"] == "group"]
    want = g["group_id"].map(groups["region"].astype(object).where(groups["region"].notna(),
                                                                   "")).fillna("")
    home = g["unit_id"].map(ctx.units_in["region"])
    bad = (want != "") & (home != want)
    return capped("group_region", [
        (f"person {p} joins task group {gid} of region {r} from another region", w)
        for (p, w), gid, r in zip(_rows(g, bad), g["group_id"][bad], want[bad])])


@rule("group_max_age", "nobody in a task group is above its max_age in the plan year",
      "cadres")
def group_max_age(ctx: Context) -> list[Violation]:
    v, groups = _view(ctx), _groups(ctx)
    if v is None or groups is None or "max_age" not in groups:
        return []
    g = v[v["option"] == "group"]
    max_age = g["group_id"].map(groups["max_age"]).astype("Float64").fillna(np.inf)
    bad = g["age_plan"].to_numpy(float) > max_age.to_numpy(float)
    return capped("group_max_age", [
        (f"person {p} is above the max_age of the task group", w) for p, w in _rows(g, bad)])


@rule("transfer_target", "a transfer goes to the unit of a demand of the same region and "
      "quota type that may receive (not the home unit, not over quota, not lapsed, not a "
      "temporary emergency task)", "cadres")
def transfer_target(ctx: Context) -> list[Violation]:
    v = _view(ctx)
    if v is None:
        return []
    t = v[v["option"] == Opt.TRANSFER]
    if t.empty:
        return []
    units = ctx.units_in
    region = units["region"].to_dict()
    lapsed = set(units.index[units["function_status"] == "lapsed"])
    d_in = ctx.ds.demands.drop_duplicates("demand_id")
    demands = dict(zip(d_in["demand_id"], d_in[["unit_id", "quota_type", "tier"]].itertuples(
        index=False)))
    temporary = set(d_in["demand_id"][d_in["end_year"].notna()]) if "end_year" in d_in \
        else set()
    q = ctx.input_quotas
    over = set(q.index[q["staff"] > q["approved"]])
    items = []
    for pid, home, to, did, qt, r in zip(t["person_id"], t["unit_id"], t["to_unit"],
                                         t["demand_id"], t["quota_type"], t[LINE]):
        w = f"assignments.csv, row {r}"
        if region.get(home) != region.get(to):
            items.append((f"person {pid} transfers across regions", w))
        if did not in demands:
            items.append((f"person {pid} transfers for demand {did!r}, which is not in the "
                          "demands table", w))
            continue
        d_unit, d_type, d_tier = demands[did]
        if d_unit != to:
            items.append((f"person {pid} transfers to {to} for demand {did} of {d_unit}", w))
        if d_type != qt:
            items.append((f"person {pid} holds {qt} quota but transfers for a {d_type} "
                          "demand (types never mix)", w))
        if d_unit == home:
            items.append((f"person {pid} transfers to the home unit", w))
        if (d_unit, d_type) in over:
            items.append((f"person {pid} transfers to {d_unit}, which is over quota", w))
        if d_unit in lapsed:
            items.append((f"person {pid} transfers to {d_unit}, whose functions lapsed", w))
        if d_tier == "emergency" and did in temporary:
            items.append((f"person {pid} transfers for emergency demand {did}, a temporary "
                          "task (met by dynamic quota, not by moving a person)", w))
    return capped("transfer_target", items)


@rule("transfer_moves", "each transfer in assignments.csv is one transfer_with_person move "
      "(home unit, destination, quota type, demand) and no move is without its person",
      "cadres")
def transfer_moves(ctx: Context) -> list[Violation]:
    v = _view(ctx)
    if v is None:
        return []
    t = v[v["option"] == Opt.TRANSFER]
    m = ctx.tables["moves"]
    twp = m[m["kind"] == Move.WITH_PERSON]
    if int(twp["amount"].sum()) != len(t):
        return [Violation("transfer_moves", f"{len(t)} transfers in assignments.csv but "
                          f"{int(twp['amount'].sum())} transfer_with_person moves",
                          "assignments.csv, moves.csv")]
    ours = sorted(map(tuple, t[["unit_id", "to_unit", "quota_type", "demand_id"]].to_numpy()))
    theirs = sorted(tuple(r[:4]) for r in twp[["from_unit", "to_unit", "quota_type",
                                                "demand_id", "amount"]].to_numpy()
                    for _ in range(int(r[4])))
    if ours != theirs:
        return [Violation("transfer_moves", "the transfers in assignments.csv and the "
                          "transfer_with_person moves differ (home unit, destination, quota "
                          "type or demand)", "assignments.csv, moves.csv")]
    return []


@rule("return_posts", "people returning to a unit fit its vacancies plus its early "
      "retirements (a transfer takes its quota along and frees no post); none return to a "
      "unit over quota", "cadres")
def return_posts(ctx: Context) -> list[Violation]:
    v = _view(ctx)
    if v is None:
        return []
    key = ["unit_id", "quota_type"]
    returns = v[v["option"].isin(HOLDS_VACANCY)].groupby(key).size()
    if returns.empty:
        return []
    released = v[v["option"].isin(FREES_VACANCY)].groupby(key).size()
    q = ctx.input_quotas
    vac = (q["approved"].astype(np.int64) - q["staff"].astype(np.int64)).clip(lower=0)
    vac = vac.reindex(returns.index).fillna(0).astype(np.int64)
    rel = released.reindex(returns.index).fillna(0).astype(np.int64)
    over = (q["staff"].astype(np.int64) > q["approved"].astype(np.int64)).reindex(
        returns.index).fillna(False).astype(bool)
    return capped("return_posts", [
        (f"{returns[k]} people return to {k[0]} ({k[1]}), which is over quota (no post to "
         "return to)" if over[k] else
         f"{returns[k]} people return to {k[0]} ({k[1]}), which has {vac[k]} vacant and "
         f"{rel[k]} early retirements", "assignments.csv")
        for k in returns.index[(returns > vac + rel) | over]])
