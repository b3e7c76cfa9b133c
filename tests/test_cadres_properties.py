"""Property tests of the cadre assignment on random small instances (issue 4).

Every rule is recomputed here from the drawn tables, independently of solver/cadres: each
person exactly once, eligibility, group sizes and ages, returns within posts, transfers only
where a person may go, scores by the documented formula, and — for instances small enough to
enumerate — the total score equals the brute-force optimum. HiGHS and CBC must give the same
assignments (the tie-break stage makes the answer unique), so must the MIP path (post cuts
switched off; and every solve from scratch with the whole MIP, the path before issue 14),
and the whole run (cadres, then the reallocation) must pass
`solver.verify.check_plan`.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_inputs, write_table
from solver.cadres import model
from solver.cadres.checks import check_assignments
from solver.cadres.model import CadreWeights, plan_cadres
from solver.verify import check_plan
from solver.runner import run_scenario
from solver.scenario import Cadres, CadreWeightsModel, Policy, Scenario
from solver.validate import load

SYSTEMS = [("health", "social"), ("education", "social"), ("transport", "economy")]
TYPES = ["institution", "administrative"]
SKILLS = ["investment", "law", "research", "health", "transport", "education"]
REASONS = ["reform"] * 4 + ["seconded", "sick_leave", "absent_without_reason", "missing"]
EXPERIENCE = {"in_charge": 1.0, "assisting": 0.6, "idle": 0.2}
HEALTH = {"healthy": 1.0, "chronic": 0.5, "serious": 0.0}
DATA_YEAR = 2021
BRUTE_FORCE_LIMIT = 20_000  # option combinations enumerated for the optimality check


def statutory_months(gender: str, birth_year: int) -> int:
    """Statutory age in months, by walking the schedule: born in July (whole-year ages)."""
    base = 60 if gender == "M" else 55
    original = (birth_year + base) * 12 + 6  # original retirement month, July
    start = 2025 * 12  # January 2025
    delay = 0
    month = start
    while month <= original and delay < 36:  # one more month per window of four begun
        delay += 1
        month += 4
    return base * 12 + delay


def eligible(gender: str, age: int, service: int, plan_year: int) -> bool:
    to_go = statutory_months(gender, plan_year - age) - age * 12
    return service >= 30 or (to_go < 60 and service >= 20)


@st.composite
def instances(draw):
    n_units = draw(st.integers(2, 5))
    units, quotas = [], []
    for i in range(n_units):
        system, sector = draw(st.sampled_from(SYSTEMS))
        held = draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=2, unique=True))
        units.append({"unit_id": f"U{i}", "region": draw(st.sampled_from(["r1", "r1", "r2"])),
                      "system": system, "sector": sector,
                      "kind": "institution" if held == ["institution"] else
                      "civil_service_managed",
                      "function_status": draw(st.sampled_from(["active"] * 5 + ["lapsed"]))})
        for qt in held:
            approved = draw(st.integers(0, 12))
            quotas.append((f"U{i}", qt, approved, draw(st.integers(max(0, approved - 4),
                                                                   approved + 2))))
    rows = [(q[0], q[1]) for q in quotas]
    demands = []
    for k in range(draw(st.integers(1, 5))):
        unit, qt = draw(st.sampled_from(rows))
        tier = draw(st.sampled_from(["key", "emergency", "operational"]))
        end = draw(st.sampled_from([None, 2024])) if tier == "emergency" else None
        demands.append((f"D{k}", unit, qt, tier, draw(st.integers(1, 3)), end))
    plan_year = draw(st.sampled_from([2021, 2023, 2026]))
    n_groups = draw(st.integers(1, 4))
    group_ids = [f"G{g}" for g in range(n_groups)]
    groups = [{"group_id": gid, "name": f"group {gid}",
               "skills": ";".join(draw(st.lists(st.sampled_from(SKILLS), max_size=2,
                                                unique=True))),
               "max_age": draw(st.sampled_from([None, None, 45, 55, 60]))} for gid in group_ids]
    people = []
    for i in range(draw(st.integers(1, 9))):
        unit, qt = draw(st.sampled_from(rows))
        age = draw(st.integers(35, 62))
        people.append({
            "person_id": f"P{i:02d}", "unit_id": unit, "quota_type": qt,
            "cadre_level": draw(st.sampled_from(["city_managed", "section_or_below"])),
            "gender": draw(st.sampled_from(["M", "M", "F"])), "age": age,
            "service_years": draw(st.integers(10, min(age - 16, 42))),
            "health": draw(st.sampled_from(["healthy"] * 3 + ["chronic", "serious"])),
            "work_status": draw(st.sampled_from(list(EXPERIENCE))),
            "surplus_reason": draw(st.sampled_from(REASONS)),
            "skills": ";".join(draw(st.lists(st.sampled_from(SKILLS), max_size=3, unique=True))),
            "preferences": ";".join(draw(st.permutations(group_ids))[:draw(
                st.integers(0, n_groups))]),
            "wants_return": draw(st.sampled_from(["yes", "no"])),
            "willing_early_retirement": draw(st.sampled_from(["yes", "no", "no"])),
        })
    # surplus people hold a quota and count in staff: a row has at least its people as staff
    count = {}
    for p in people:
        count[(p["unit_id"], p["quota_type"])] = count.get((p["unit_id"], p["quota_type"]), 0) + 1
    quotas = [(u, t, a, max(st_, count.get((u, t), 0))) for u, t, a, st_ in quotas]
    # feasible sizes: a witness puts some allowed people in groups; minimums stay below it
    taken = {gid: 0 for gid in group_ids}
    for p in people:
        g = draw(st.sampled_from([None] + group_ids))
        if g is not None and may_join(p, next(x for x in groups if x["group_id"] == g),
                                      plan_year):
            taken[g] += 1
    for g in groups:
        g["min_size"] = draw(st.integers(0, taken[g["group_id"]]))
        g["max_size"] = g["min_size"] + draw(st.integers(0, 3))
    weights = draw(st.sampled_from([{}, {"preference": 0.0, "stay_penalty": 0.0},
                                    {"skills": 1.0, "return_base": 1.0, "transfer_base": 3.0},
                                    {"retirement_base": 6.0, "health": 2.0}]))
    options = {"transfer_min_fit": draw(st.sampled_from([0.5, 0.8])),
               "full_units_release_first": draw(st.sampled_from([("operational",), ()])),
               "transfers": draw(st.sampled_from([True, True, False]))}
    return units, quotas, demands, people, groups, plan_year, weights, options


def follow_up(p) -> bool:
    return p["surplus_reason"] in ("absent_without_reason", "missing")


def may_join(p, g, plan_year) -> bool:
    age = p["age"] + plan_year - DATA_YEAR
    return (p["health"] != "serious" and not follow_up(p)
            and (g["max_age"] is None or age <= g["max_age"]))


def write(units, quotas, demands, people, groups) -> Path:
    folder = make_inputs(Path(tempfile.mkdtemp(prefix="cadres-")) / "data", units, quotas,
                         demands)
    write_table(folder, "people", people)
    write_table(folder, "task_groups", groups)
    return folder


def tags(text: str) -> list[str]:
    return [t for t in text.split(";") if t]


def allowed_options(units, quotas, demands, people, groups, plan_year, w, options):
    """Every option each person may take under the rules, with its score (hundredths)."""
    unit = {u["unit_id"]: u for u in units}
    quota = {(q[0], q[1]): q for q in quotas}
    gate = options["full_units_release_first"]
    out = {}
    for p in people:
        if follow_up(p):
            out[p["person_id"]] = [(("stay",), round(-w.stay_penalty * 100))]
            continue
        age = p["age"] + plan_year - DATA_YEAR
        service = p["service_years"] + plan_year - DATA_YEAR
        exp, hp = EXPERIENCE[p["work_status"]], HEALTH[p["health"]]
        skills, prefs = set(tags(p["skills"])), tags(p["preferences"])
        opts = [(("stay",), -w.stay_penalty)]
        for g in groups:
            if not may_join(p, g, plan_year):
                continue
            wanted = set(tags(g["skills"]))
            fit = len(skills & wanted) / len(wanted) if wanted else 0.5
            pref = 1 / (prefs.index(g["group_id"]) + 1) if g["group_id"] in prefs else 0.0
            opts.append((("group", g["group_id"]),
                         w.skills * fit + w.preference * pref + w.experience * exp
                         + w.health * hp))
        a_home, s_home = quota[(p["unit_id"], p["quota_type"])][2:]
        if p["wants_return"] == "yes" and s_home <= a_home:  # no post in an over-quota unit
            opts.append((("return",), w.return_base + w.experience * exp))
        if eligible(p["gender"], age, service, plan_year) and (
                p["willing_early_retirement"] == "yes" or p["health"] == "serious"):
            opts.append((("early_retirement",), w.retirement_base + w.health * (1 - hp)))
        home = unit[p["unit_id"]]
        for d in demands if options["transfers"] and p["health"] != "serious" else []:
            did, uid, qt, tier = d[:4]
            a, s = quota[(uid, qt)][2:]
            to = unit[uid]
            if (uid == p["unit_id"] or qt != p["quota_type"] or to["region"] != home["region"]
                    or s > a or to["function_status"] == "lapsed" or (s == a and tier in gate)
                    or (tier == "emergency" and len(d) > 5 and d[5] is not None)):
                continue
            fit = (1.0 if home["system"] == to["system"] else 0.8 if to["system"] in skills
                   else 0.6 if home["sector"] == to["sector"] else 0.0)
            if fit < options["transfer_min_fit"]:
                continue
            bonus = {"key": 0.5, "emergency": 0.25}.get(tier, 0.0)
            opts.append((("transfer", did), w.transfer_base + w.skills * fit
                         + w.experience * exp + w.health * hp + bonus))
        out[p["person_id"]] = [(o, round(score * 100)) for o, score in opts]
    return out


def feasible(choice, people, groups, quotas, demands) -> bool:
    size = {g["group_id"]: 0 for g in groups}
    per_demand: dict[str, int] = {}
    posts: dict[tuple, int] = {}
    for p, o in zip(people, choice):
        key = (p["unit_id"], p["quota_type"])
        if o[0] == "group":
            size[o[1]] += 1
        elif o[0] == "transfer":  # takes its quota along: frees no post for a return
            per_demand[o[1]] = per_demand.get(o[1], 0) + 1
        elif o[0] == "early_retirement":
            posts[key] = posts.get(key, 0) - 1
        elif o[0] == "return":
            posts[key] = posts.get(key, 0) + 1
    quota = {(q[0], q[1]): q for q in quotas}
    amount = {d[0]: d[4] for d in demands}
    return (all(g["min_size"] <= size[g["group_id"]] <= g["max_size"] for g in groups)
            and all(n <= amount[d] for d, n in per_demand.items())
            and all(n <= max(quota[k][2] - quota[k][3], 0) for k, n in posts.items()))


def brute_force_best(allowed, people, groups, quotas, demands) -> int | None:
    lists = [allowed[p["person_id"]] for p in people]
    combos = 1
    for opts in lists:
        combos *= len(opts)
    if combos > BRUTE_FORCE_LIMIT:
        return None
    best = None
    for pick in itertools.product(*lists):
        total = sum(s for _, s in pick)
        if (best is None or total > best) and feasible([o for o, _ in pick], people, groups,
                                                       quotas, demands):
            best = total
    return best


def chosen(assignments: pd.DataFrame) -> dict[str, tuple]:
    out = {}
    for r in assignments.itertuples():
        target = {"group": r.group_id, "transfer": r.demand_id}.get(r.option)
        out[r.person_id] = (r.option, target) if target else (r.option,)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_cadre_rules_hold_and_solvers_agree(instance):
    units, quotas, demands, people, groups, plan_year, weights, options = instance
    folder = write(units, quotas, demands, people, groups)
    ds = load(folder)
    w = CadreWeights(**weights)
    plans = {s: plan_cadres(ds, plan_year=plan_year, data_year=DATA_YEAR, weights=w, solver=s,
                            **options) for s in ("highs", "cbc")}
    plan = plans["highs"]
    a = plan.assignments
    # each person exactly once
    assert sorted(a["person_id"]) == sorted(p["person_id"] for p in people)
    # every choice is one the rules allow, with the documented score
    allowed = allowed_options(units, quotas, demands, people, groups, plan_year, w, options)
    got = chosen(a)
    score = dict(zip(a["person_id"], a["score"]))
    for pid, option in got.items():
        points = dict(allowed[pid])
        assert option in points, (pid, option, list(points))
        assert round(score[pid] * 100) == points[option], (pid, option)
    # group sizes, demand amounts and home posts
    assert feasible([got[p["person_id"]] for p in people], people, groups, quotas, demands)
    by_person = a.set_index("person_id")
    for p in people:
        if follow_up(p):
            assert by_person.loc[p["person_id"], "follow_up"] == "yes"
            assert by_person.loc[p["person_id"], "option"] == "stay"
    # releases: early retirements and transfers, per home unit
    released: dict[tuple, int] = {}
    for r in a[a["option"].isin(["early_retirement", "transfer"])].itertuples():
        released[(r.unit_id, r.quota_type)] = released.get((r.unit_id, r.quota_type), 0) + 1
    assert plan.releases == released
    # optimal: no assignment the rules allow scores more
    best = brute_force_best(allowed, people, groups, quotas, demands)
    if best is not None:
        assert sum(round(s * 100) for s in a["score"]) == best
    # the independent check agrees, and both solvers give the same answer
    moves = pd.DataFrame({"kind": "transfer_with_person", "amount": 1,
                          **plan.transfers[["from_unit", "to_unit", "quota_type", "demand_id"]]})
    assert check_assignments(ds, a, plan_year, DATA_YEAR, moves) == []
    pd.testing.assert_frame_equal(a, plans["cbc"].assignments)
    # the MIP path (no post cuts; a score row in the tie-break) gives the same answer
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(model, "MAX_CUT_ROUNDS", 0)
        no_cuts = plan_cadres(ds, plan_year=plan_year, data_year=DATA_YEAR, weights=w,
                              **options)
    pd.testing.assert_frame_equal(a, no_cuts.assignments)
    # the old path: every solve from scratch, the whole MIP for a fractional vertex
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(model, "MAX_CUT_ROUNDS", 0)
        mp.setattr(model, "WARM_START", False)
        mp.setattr(model, "COMPONENT_MIP", False)
        cold = plan_cadres(ds, plan_year=plan_year, data_year=DATA_YEAR, weights=w, **options)
    pd.testing.assert_frame_equal(a, cold.assignments)
    # optimality is shown and recorded: the score against the LP bound
    assert plan.optimality["score"] == round(a["score"].sum(), 2)
    assert plan.optimality["proof"] in ("lp bound", "mip")
    assert plan.optimality["proof"] == "mip" or plan.optimality["gap"] == 0
    assert no_cuts.optimality["lp_bound"] >= plan.optimality["lp_bound"] >= round(
        a["score"].sum(), 2) - 1e-9
    # the whole run: cadres first, releases into the reallocation; every rule verified
    scenario = Scenario(data=str(folder), year=plan_year,
                        policy=Policy(reserve_rate=0.03, full_units_release_first=list(
                            options["full_units_release_first"])),
                        cadres=Cadres(weights=CadreWeightsModel(**weights),
                                      transfers=options["transfers"],
                                      transfer_min_fit=options["transfer_min_fit"]))
    # the data carry no start_year: run_scenario takes the data's year as the plan year, so
    # the whole run is compared on the plan year's ages
    run = run_scenario(scenario, ds, with_marginals=False)
    tables = run.tables()
    assert check_plan(ds, scenario, tables) == []
    d = run.quota.demands.set_index("demand_id")
    for t in run.cadres.transfers.itertuples():
        assert d.loc[t.demand_id, "met_transfer"] >= 1
