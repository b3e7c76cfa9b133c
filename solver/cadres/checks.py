"""Independent checks of a written cadre assignment (used by `verify`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from solver.cadres import rules
from solver.cadres.model import OPTIONS
from solver.validate import Dataset


def check_assignments(ds: Dataset, assignments: pd.DataFrame, plan_year: int, data_year: int,
                      moves: pd.DataFrame) -> list[str]:
    """Every person exactly once, and no option given against the rules of issue 4.

    The rules are those of solver/cadres/model.py, recomputed from the input tables and the
    plan's assignments and moves alone. Not checked here (it needs the policy): whether a
    transfer went to a full unit for a tier listed in `full_units_release_first`.
    """
    v: list[str] = []
    if ds.people is None:
        return v if assignments is None or assignments.empty else [
            "assignments.csv present but the inputs have no people"]
    if assignments is None:
        return ["the inputs have people but the plan has no assignments.csv"]
    a = assignments.fillna("").astype(str)
    people = rules.ages_in_plan_year(ds.people, data_year, plan_year).set_index("person_id")
    counts = a["person_id"].value_counts()
    for pid in sorted(set(people.index) - set(counts.index))[:10]:
        v.append(f"person {pid} has no option in assignments.csv")
    for pid in sorted(counts.index[counts > 1])[:10]:
        v.append(f"person {pid} appears {counts[pid]} times in assignments.csv")
    for pid in sorted(set(counts.index) - set(people.index))[:10]:
        v.append(f"assignments.csv names {pid}, who is not in the people table")
    bad = a[~a["option"].isin(OPTIONS)]
    for _, row in bad.head(10).iterrows():
        v.append(f"person {row['person_id']}: unknown option {row['option']!r}")
    a = a[a["person_id"].isin(people.index)].drop_duplicates("person_id")
    p = people.loc[a["person_id"]]
    option = a["option"].to_numpy()
    follow = rules.needs_follow_up(p["surplus_reason"])
    to_stat = rules.years_to_statutory(p["gender"].to_numpy(), p["age_plan"].to_numpy(),
                                       plan_year)
    eligible = rules.early_retirement_eligible(p["service_plan"].to_numpy(), to_stat)
    willing = (p["willing_early_retirement"].fillna("no") == "yes").to_numpy()
    serious = (p["health"] == "serious").to_numpy()
    ids = a["person_id"].to_numpy()
    for i in np.flatnonzero((option == "early_retirement") & ~(eligible & (willing | serious))):
        v.append(f"person {ids[i]} retires early without being eligible (30 years of service, "
                 "or under 5 years to the statutory age with 20) and willing or seriously ill")
    for i in np.flatnonzero((option == "group") & serious):
        v.append(f"person {ids[i]} is seriously ill but sent to a task group")
    for i in np.flatnonzero(follow & (option != "stay")):
        v.append(f"person {ids[i]} is absent or missing (formal notice) but assigned "
                 f"{option[i]}")
    wants = (p["wants_return"].fillna("no") == "yes").to_numpy()
    for i in np.flatnonzero((option == "return") & ~wants):
        v.append(f"person {ids[i]} returns to the home unit without asking to")
    groups = ds.task_groups.set_index("group_id")
    in_group = a[a["option"] == "group"]
    for gid, size in in_group.groupby("group_id").size().items():
        if gid not in groups.index:
            v.append(f"assignments.csv: unknown task group {gid}")
            continue
        g = groups.loc[gid]
        if not g["min_size"] <= size <= g["max_size"]:
            v.append(f"task group {gid} has {size} people, outside {g['min_size']}–"
                     f"{g['max_size']}")
    for gid, g in groups.iterrows():
        if gid not in set(in_group["group_id"]) and g["min_size"] > 0:
            v.append(f"task group {gid} is empty but needs at least {g['min_size']}")
    group_region = groups["region"].fillna("").astype(str) if "region" in groups else None
    if group_region is not None:
        home = ds.units.set_index("unit_id")["region"]
        for _, r in in_group.iterrows():
            want = group_region.get(r["group_id"], "")
            if want and home.get(r["unit_id"]) != want:
                v.append(f"person {r['person_id']} joins task group {r['group_id']} of region "
                         f"{want} from another region")
    ages = p["age_plan"].to_numpy()
    max_age = in_group["group_id"].map(groups["max_age"]).astype("Float64").fillna(np.inf)
    old = ages[(option == "group")] > max_age.to_numpy(float)
    for pid in in_group["person_id"].to_numpy()[old][:10]:
        v.append(f"person {pid} is above the max_age of the task group")
    # transfers: not the seriously ill; to the unit of a demand of the same region and type
    # that may receive (not over quota, not lapsed, not a temporary emergency task, not the
    # home unit); each matched by a transfer_with_person move
    t = a[a["option"] == "transfer"]
    units = ds.units.set_index("unit_id")
    region = units["region"]
    demands = ds.demands.drop_duplicates("demand_id").set_index("demand_id")
    q = ds.quotas.set_index(["unit_id", "quota_type"])
    for i in np.flatnonzero((option == "transfer") & serious):
        v.append(f"person {ids[i]} is seriously ill but transfers with the quota")
    for _, row in t.iterrows():
        pid, home, to = row["person_id"], row["unit_id"], row["to_unit"]
        if region.get(home) != region.get(to):
            v.append(f"person {pid} transfers across regions")
        if row["demand_id"] not in demands.index:
            v.append(f"person {pid} transfers for demand {row['demand_id']!r}, which is not in "
                     "the demands table")
            continue
        d = demands.loc[row["demand_id"]]
        if d["unit_id"] != to:
            v.append(f"person {pid} transfers to {to} for demand {row['demand_id']} of "
                     f"{d['unit_id']}")
        if d["quota_type"] != people.loc[pid, "quota_type"]:
            v.append(f"person {pid} holds {people.loc[pid, 'quota_type']} quota but transfers "
                     f"for a {d['quota_type']} demand (types never mix)")
        if d["unit_id"] == people.loc[pid, "unit_id"]:
            v.append(f"person {pid} transfers to the home unit")
        key = (d["unit_id"], d["quota_type"])
        if key in q.index and q.loc[key, "staff"] > q.loc[key, "approved"]:
            v.append(f"person {pid} transfers to {d['unit_id']}, which is over quota")
        if units["function_status"].get(d["unit_id"]) == "lapsed":
            v.append(f"person {pid} transfers to {d['unit_id']}, whose functions lapsed")
        if d["tier"] == "emergency" and pd.notna(d.get("end_year")):
            v.append(f"person {pid} transfers for emergency demand {row['demand_id']}, a "
                     "temporary task (met by dynamic quota, not by moving a person)")
    twp = moves[moves["kind"] == "transfer_with_person"] if len(moves) else moves
    if len(twp) != len(t):
        v.append(f"{len(t)} transfers in assignments.csv but {len(twp)} transfer_with_person "
                 "moves")
    elif len(t):
        cols = ["unit_id", "to_unit", "quota_type", "demand_id"]
        ours = sorted(map(tuple, t[cols].astype(str).to_numpy()))
        theirs = sorted(map(tuple, twp[["from_unit", "to_unit", "quota_type", "demand_id"]]
                            .astype(str).to_numpy()))
        if ours != theirs:
            v.append("the transfers in assignments.csv and the transfer_with_person moves "
                     "differ (home unit, destination, quota type or demand)")
    # returns: no more than the home unit's posts (vacancy + releases)
    key = ["unit_id", "quota_type"]
    returns = a[a["option"] == "return"].groupby(key).size()
    released = a[a["option"].isin(["early_retirement", "transfer"])].groupby(key).size()
    for k, count in returns.items():
        vac = max(int(q.loc[k, "approved"]) - int(q.loc[k, "staff"]), 0) if k in q.index else 0
        if count > vac + int(released.get(k, 0)):
            v.append(f"{count} people return to {k[0]} ({k[1]}), which has {vac} vacant and "
                     f"{int(released.get(k, 0))} released posts")
    return v
