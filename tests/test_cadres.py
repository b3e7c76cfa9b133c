"""One hand-checkable instance per cadre rule (docs/rules.md "Surplus cadres", issue 4).

Scores with the default weights (solver/cadres/model.py states the formula), for a healthy
person in charge of work (experience 1, health 1):
    group     = 3·skill fit + 2·(1 / preference rank) + 1 + 1   (fit 0.5 for a group that
                wants no skills)
    return    = 4 + 1 = 5
    early_ret = 4 (+1 for the seriously ill)
    transfer  = 1 + 3·post fit + 1 + 1 (+0.5 key, +0.25 emergency)
    stay      = −2
Every instance is small enough to work the optimum out by hand; the expected answer is
written next to it. Each plan is also run through the independent `check_assignments`.
"""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import write_table
from solver.cadres import exact, model
from solver.cadres.checks import check_assignments
from solver.cadres.model import CadreInfeasible, CadreWeights, plan_cadres
from solver.plan import write_plan
from solver.runner import load_data, run_scenario
from solver.scenario import Cadres, Policy, Scenario, load_scenario
from solver.solve import LinearProgram
from solver.validate import load
from solver.verify import check_plan, verify_folder

# the rules are checked through their reasons' English words (tests/test_text.py: Chinese)
pytestmark = pytest.mark.usefixtures("english")

I = "institution"
PERSON = {
    "unit_id": "A", "quota_type": I, "cadre_level": "city_managed", "gender": "M", "age": 50,
    "service_years": 25, "health": "healthy", "work_status": "in_charge",
    "surplus_reason": "reform", "skills": "", "preferences": "", "wants_return": "no",
    "willing_early_retirement": "no",
}
GROUP = {"name": "", "min_size": 0, "max_size": 10, "skills": "investment", "max_age": None}
# Unless a test gives its demands, the only demand is at Z, which is over quota: nobody can
# transfer there, so the hand cases without demands stay free of transfers.
FILLER_UNIT, FILLER_QUOTA = {"unit_id": "Z"}, ("Z", I, 5, 6)
FILLER_DEMAND = ("dZ", "Z", I, "key", 1)


def person(pid: str, **over) -> dict:
    return {"person_id": pid, **PERSON, **over}


def group(gid: str, **over) -> dict:
    return {"group_id": gid, **GROUP, "name": f"group {gid}", **over}


def cadre_inputs(inputs, people, groups, units=None, quotas=None, demands=None):
    """A real input folder: units A (full, unless given), people and task groups."""
    units = units or [{"unit_id": "A"}]
    quotas = quotas or [("A", I, 10, 10)]
    if demands is None:
        units, quotas, demands = units + [FILLER_UNIT], quotas + [FILLER_QUOTA], [FILLER_DEMAND]
    folder = inputs(units, quotas, demands)
    write_table(folder, "people", people)
    write_table(folder, "task_groups", groups)
    return folder


def msgs(violations) -> list[str]:
    """The messages of verify's violations (rule ids aside)."""
    return [v.message for v in violations]


def moves_of(plan) -> pd.DataFrame:
    """The transfer_with_person moves a run would write for these transfers."""
    t = plan.transfers
    return pd.DataFrame({"kind": "transfer_with_person", "from_unit": t["from_unit"],
                         "to_unit": t["to_unit"], "quota_type": t["quota_type"], "amount": 1,
                         "demand_id": t["demand_id"]})


def plan(folder, plan_year=2021, data_year=None, solver="highs", **kwargs):
    ds = load(folder)
    data_year = plan_year if data_year is None else data_year
    p = plan_cadres(ds, plan_year=plan_year, data_year=data_year,
                    weights=kwargs.pop("weights", CadreWeights()), solver=solver, **kwargs)
    assert check_assignments(ds, p.assignments, plan_year, data_year, moves_of(p)) == []
    a = p.assignments
    assert len(a) == len(ds.people) and a["person_id"].is_unique
    assert (a["reason"].str.len() > 0).all()
    return p


def options(p) -> dict[str, tuple]:
    """person → (option, group or destination unit)."""
    out = {}
    for r in p.assignments.itertuples():
        target = r.group_id or r.to_unit
        out[r.person_id] = (r.option, target) if target else (r.option,)
    return out


def row(p, pid) -> pd.Series:
    return p.assignments.set_index("person_id").loc[pid]


# ---------------------------------------------------------------- early retirement


def test_willing_and_eligible_retire_willing_but_not_eligible_do_not(inputs):
    # plan year 2021; group G (wants investment) scores 2 for people without skills, early
    # retirement 4: whoever may retire does, the others go to G (2 > stay −2)
    people = [
        person("p1", age=58, service_years=35, willing_early_retirement="yes"),  # 30+ years
        person("p2", age=50, service_years=25, willing_early_retirement="yes"),  # 10 to go
        person("p3", age=50, service_years=30, willing_early_retirement="yes"),  # exactly 30
        person("p4", age=56, service_years=20, willing_early_retirement="yes"),  # 4.17 to go
        person("p5", age=55, service_years=29, willing_early_retirement="yes"),  # 5.42 to go
        person("p6", age=56, service_years=19, willing_early_retirement="yes"),  # 19 years
        person("p7", age=58, service_years=35),  # eligible but not willing, healthy
    ]
    p = plan(cadre_inputs(inputs, people, [group("G")]))
    assert options(p) == {
        "p1": ("early_retirement",), "p2": ("group", "G"), "p3": ("early_retirement",),
        "p4": ("early_retirement",), "p5": ("group", "G"), "p6": ("group", "G"),
        "p7": ("group", "G"),
    }
    assert row(p, "p1")["score"] == 4.0
    assert row(p, "p2")["score"] == 2.0
    assert row(p, "p4")["reason"] == ("eligible (20 years of service, 4.2 years to the "
                                      "statutory age) and willing")
    # three retirements release three posts of A
    assert p.releases == {("A", I): 3}
    assert p.retirements == {("A", I): 3}


@pytest.mark.parametrize("age,service,plan_year,expected", [
    # born 1964: statutory 60, exactly 5 years to go is not "less than 5"
    (55, 25, 2019, "group"),
    (56, 20, 2019, "early_retirement"),  # 4 years to go, 20 years of service
    (56, 19, 2019, "group"),  # 19 years of service
    (50, 30, 2019, "early_retirement"),  # exactly 30 years
    (50, 29, 2019, "group"),
])
def test_eligibility_edges_through_the_model(inputs, age, service, plan_year, expected):
    people = [person("p1", age=age, service_years=service, willing_early_retirement="yes")]
    p = plan(cadre_inputs(inputs, people, [group("G")]), plan_year=plan_year)
    assert options(p)["p1"][0] == expected


def test_ages_and_service_are_moved_to_the_plan_year(inputs):
    # the data are of 2019; in 2021 the man of 54 with 28 years is 56 with 30: eligible
    people = [person("p1", age=54, service_years=28, willing_early_retirement="yes")]
    folder = cadre_inputs(inputs, people, [group("G")])
    assert options(plan(folder, plan_year=2021, data_year=2019))["p1"] == ("early_retirement",)
    assert options(plan(folder, plan_year=2019, data_year=2019))["p1"] == ("group", "G")


def test_women_cadres_statutory_age(inputs):
    # 2021: a woman of 52 (born 1969, statutory 55) is 3 years away: with 22 years of
    # service she may retire; a man of 52 (statutory 60) is 8 years away: he may not
    people = [person("w", gender="F", age=52, service_years=22, willing_early_retirement="yes"),
              person("m", gender="M", age=52, service_years=22, willing_early_retirement="yes")]
    p = plan(cadre_inputs(inputs, people, [group("G")]))
    assert options(p) == {"w": ("early_retirement",), "m": ("group", "G")}
    assert "3.0 years to the statutory age" in row(p, "w")["reason"]


# ---------------------------------------------------------------- health


def test_seriously_ill_never_in_a_group_and_retire_if_eligible(inputs):
    people = [
        # eligible (3 years to go, 25 years), not willing: retires because seriously ill (4 + 1)
        person("s1", health="serious", age=57, service_years=25),
        # not eligible; the group wants exactly his skill and he prefers it: still not sent
        person("s2", health="serious", age=45, service_years=20, skills="investment",
               preferences="G"),
        # healthy with the same profile: goes to G (3 + 2 + 1 + 1 = 7)
        person("h1", age=45, service_years=20, skills="investment", preferences="G"),
    ]
    p = plan(cadre_inputs(inputs, people, [group("G")]))
    assert options(p) == {"s1": ("early_retirement",), "s2": ("stay",), "h1": ("group", "G")}
    assert row(p, "s1")["score"] == 5.0
    # the reason is shared with the committee: it never names the illness (personal data)
    assert row(p, "s1")["reason"].endswith("on personal grounds on file")
    assert "ill" not in row(p, "s1")["reason"]
    assert row(p, "h1")["score"] == 7.0
    assert row(p, "s2")["score"] == -2.0


def test_chronic_illness_may_join_a_group(inputs):
    people = [person("c1", health="chronic", skills="investment")]  # 3 + 0 + 1 + 0.5
    p = plan(cadre_inputs(inputs, people, [group("G")]))
    assert options(p) == {"c1": ("group", "G")}
    assert row(p, "c1")["score"] == 4.5


# ---------------------------------------------------------------- task groups


def test_group_max_age(inputs):
    # G1 (max_age 55) wants law; everyone knows law and prefers G1 (score 7 there, 2 in G2).
    # The data are of 2019, the plan of 2021: ages 53 and 54 become 55 (may join: ≤ max_age)
    # and 56 (may not)
    groups = [group("G1", skills="law", max_age=55), group("G2", skills="x")]
    people = [person("a53", age=53, skills="law", preferences="G1"),
              person("a54", age=54, skills="law", preferences="G1")]
    folder = cadre_inputs(inputs, people, groups)
    p = plan(folder, plan_year=2021, data_year=2019)
    assert options(p) == {"a53": ("group", "G1"), "a54": ("group", "G2")}
    assert row(p, "a53")["score"] == 7.0
    assert row(p, "a54")["score"] == 2.0
    assert row(p, "a53")["reason"] == ("group G1: skills law match; preference 1; "
                                       "in charge of work")
    # planned for the data's own year, both are young enough
    p = plan(folder, plan_year=2019, data_year=2019)
    assert options(p) == {"a53": ("group", "G1"), "a54": ("group", "G1")}


def test_group_max_size(inputs):
    # G takes at most 2. All three know law and prefer G; p3 also names H second, so moving
    # p3 to H costs least (G − H: p1, p2 5 = 7 − 2; p3 4 = 7 − 3)
    groups = [group("G", skills="law", max_size=2), group("H", skills="x", max_size=5)]
    people = [person("p1", skills="law", preferences="G"),
              person("p2", skills="law", preferences="G", work_status="assisting"),
              person("p3", skills="law", preferences="G;H", work_status="idle")]
    p = plan(cadre_inputs(inputs, people, groups))
    assert options(p) == {"p1": ("group", "G"), "p2": ("group", "G"), "p3": ("group", "H")}
    assert row(p, "p3")["score"] == pytest.approx(2.2)  # 0 + 2 · 1/2 + 0.2 + 1
    assert "preference 2" in row(p, "p3")["reason"]


def test_group_min_size_is_filled_even_at_a_cost(inputs):
    # G needs 2: one of the two who would rather retire (4) is drafted, the one who loses
    # least: p2 (G 0 + 1 + 1 = 2, loses 2) rather than p3 (idle: G 0.2 + 1 = 1.2, loses 2.8)
    people = [person("p1", skills="investment"),  # G 3 + 1 + 1 = 5
              person("p2", age=58, service_years=35, willing_early_retirement="yes"),
              person("p3", age=58, service_years=35, willing_early_retirement="yes",
                     work_status="idle")]
    p = plan(cadre_inputs(inputs, people, [group("G", min_size=2, max_size=2)]))
    assert options(p) == {"p1": ("group", "G"), "p2": ("group", "G"),
                          "p3": ("early_retirement",)}


def test_min_size_that_cannot_be_filled_names_the_group(inputs):
    # G needs 3; one person is seriously ill, one is missing: only 2 may join
    people = [person("p1"), person("p2"), person("p3", health="serious"),
              person("p4", surplus_reason="missing")]
    folder = cadre_inputs(inputs, people, [group("G", name="招商引资组", min_size=3)])
    with pytest.raises(CadreInfeasible) as err:
        plan(folder)
    msg = str(err.value)
    assert "task group G (招商引资组) needs at least 3 people but only 2 may join" in msg
    assert "seriously ill" in msg and "min_size" in msg


def test_min_size_blocked_by_max_age_says_the_age(inputs):
    people = [person("p1", age=45), person("p2", age=55), person("p3", age=58)]
    folder = cadre_inputs(inputs, people, [group("G", min_size=2, max_age=50)])
    with pytest.raises(CadreInfeasible, match=r"G \(group G\) needs at least 2 people but only "
                                              r"1 may join it \(age ≤ 50"):
        plan(folder)


def test_min_sizes_that_cannot_all_be_filled_together(inputs, monkeypatch):
    # each group alone has enough people (3 may join each), together they need 4 of 3
    people = [person("p1"), person("p2"), person("p3"), person("p4", health="serious")]
    groups = [group("G1", min_size=2), group("G2", min_size=2)]
    with pytest.raises(CadreInfeasible) as err:
        plan(cadre_inputs(inputs, people, groups))
    msg = str(err.value)
    assert "G1 needs 2" in msg and "G2 needs 2" in msg
    assert "3 may join" in msg  # how many may join, not the 4 people in the table
    assert "need at least 4 people together" in msg
    # beyond MAX_HALL_GROUPS the solver finds it; its message still counts who may join
    monkeypatch.setattr(model, "MAX_HALL_GROUPS", 1)
    with pytest.raises(CadreInfeasible) as err:
        plan(cadre_inputs(inputs, people, groups))
    assert str(err.value).startswith(
        "the task groups' minimum sizes cannot all be filled: G1 needs 2 (3 may join); G2 "
        "needs 2 (3 may join); 3 of the 4 people may join a group")


def test_min_sizes_blocked_by_a_set_of_groups(inputs):
    # G1 and G2 take people up to 40 only and need 3 together; two people are that young.
    # Every group alone can be filled, and all three together need 4 of the 4 people.
    people = [person("y1", age=35), person("y2", age=38), person("o1", age=50),
              person("o2", age=52)]
    groups = [group("G1", min_size=2, max_age=40), group("G2", min_size=1, max_age=40),
              group("G3", min_size=1)]
    with pytest.raises(CadreInfeasible, match=r"task groups G1, G2 need at least 3 people "
                                              r"together \(G1 needs 2; G2 needs 1\) but only 2 "
                                              r"may join any of them"):
        plan(cadre_inputs(inputs, people, groups))
    groups[1] = group("G2", min_size=1)  # without G2's age limit it works
    p = plan(cadre_inputs(inputs, people, groups))
    sizes = p.assignments.groupby("group_id").size().to_dict()
    assert sizes["G1"] >= 2 and sizes["G2"] >= 1 and sizes["G3"] >= 1


# ---------------------------------------------------------------- return to a post


def test_return_only_for_those_who_ask_and_only_to_posts(inputs):
    # A has 1 vacancy. Return − group (G wants investment) = 4 − hp for people without skills:
    # r1 (healthy) 3, r2 (chronic) 3.5 → r2 takes the post. n1 would gain as much but did not
    # ask. b1's unit B is full: no post. r3 prefers G (7 > 5).
    units = [{"unit_id": "A"}, {"unit_id": "B"}]
    quotas = [("A", I, 10, 9), ("B", I, 10, 10)]
    people = [person("r1", wants_return="yes"),
              person("r2", wants_return="yes", health="chronic"),
              person("r3", wants_return="yes", skills="investment", preferences="G"),
              person("n1"),
              person("b1", unit_id="B", wants_return="yes")]
    p = plan(cadre_inputs(inputs, people, [group("G")], units=units, quotas=quotas))
    assert options(p) == {"r1": ("group", "G"), "r2": ("return",), "r3": ("group", "G"),
                          "n1": ("group", "G"), "b1": ("group", "G")}
    assert row(p, "r2")["score"] == 5.0
    assert p.releases == {}


def test_a_retirement_at_the_home_unit_opens_a_post(inputs):
    # the same, plus a willing eligible person at A: one vacancy + one release = 2 posts
    units = [{"unit_id": "A"}, {"unit_id": "B"}]
    quotas = [("A", I, 10, 9), ("B", I, 10, 10)]
    people = [person("r1", wants_return="yes"),
              person("r2", wants_return="yes", health="chronic"),
              person("e1", age=59, service_years=38, willing_early_retirement="yes"),
              # a retirement at B opens B's post for b1
              person("b1", unit_id="B", wants_return="yes"),
              person("e2", unit_id="B", age=59, service_years=38, willing_early_retirement="yes")]
    p = plan(cadre_inputs(inputs, people, [group("G")], units=units, quotas=quotas))
    assert options(p) == {"r1": ("return",), "r2": ("return",), "e1": ("early_retirement",),
                          "b1": ("return",), "e2": ("early_retirement",)}
    assert p.releases == {("A", I): 1, ("B", I): 1}


def test_returns_count_posts_per_quota_type(inputs):
    # A holds 1 vacant administrative post and no vacant institution post: the institution
    # cadre cannot return, the administrative one can
    units = [{"unit_id": "A", "kind": "civil_service_managed"}]
    quotas = [("A", I, 10, 10), ("A", "administrative", 5, 4)]
    people = [person("i1", wants_return="yes"),
              person("a1", quota_type="administrative", wants_return="yes")]
    p = plan(cadre_inputs(inputs, people, [group("G")], units=units, quotas=quotas))
    assert options(p) == {"i1": ("group", "G"), "a1": ("return",)}


# ---------------------------------------------------------------- follow-up


def test_absent_or_missing_stay_with_a_formal_notice(inputs):
    # both would retire, return or join G if they could: they get a notice instead
    units = [{"unit_id": "A"}]
    quotas = [("A", I, 10, 8)]
    people = [person("m1", surplus_reason="absent_without_reason", age=58, service_years=35,
                     willing_early_retirement="yes", wants_return="yes"),
              person("m2", surplus_reason="missing", skills="investment", preferences="G"),
              person("ok", surplus_reason="seconded")]
    p = plan(cadre_inputs(inputs, people, [group("G")], units=units, quotas=quotas))
    assert options(p) == {"m1": ("stay",), "m2": ("stay",), "ok": ("group", "G")}
    a = p.assignments.set_index("person_id")
    assert a["follow_up"].to_dict() == {"m1": "yes", "m2": "yes", "ok": "no"}
    assert "告知书" in a.loc["m1", "reason"] and a.loc["m1", "reason"].startswith(
        "absent without reason")
    assert "告知书" in a.loc["m2", "reason"]
    assert p.summary()["follow_up_notice"] == 2


# ---------------------------------------------------------------- transfer with the quota


TRANSFER_UNITS = [
    {"unit_id": "A"},  # home: health / social, region r1, full
    {"unit_id": "T"},  # same system, vacant: may receive
    {"unit_id": "O", "system": "transport", "sector": "economy"},  # other sector
    {"unit_id": "X", "region": "r2"},  # another region
    {"unit_id": "Y", "kind": "organ"},  # holds administrative quota only
    {"unit_id": "Z"},  # over quota
    {"unit_id": "L", "function_status": "lapsed"},
    {"unit_id": "F"},  # full: operational demands wait for its own releases
    {"unit_id": "E"},  # an emergency task with an end year
]
TRANSFER_QUOTAS = [("A", I, 10, 10), ("T", I, 10, 8), ("O", I, 10, 8), ("X", I, 10, 8),
                   ("Y", "administrative", 10, 8), ("Z", I, 5, 6), ("L", I, 10, 8),
                   ("F", I, 10, 10), ("E", I, 10, 8)]
TRANSFER_DEMANDS = [("dT", "T", I, "operational", 1), ("dO", "O", I, "operational", 1),
                    ("dX", "X", I, "key", 1), ("dY", "Y", "administrative", "key", 1),
                    ("dZ", "Z", I, "key", 1), ("dL", "L", I, "key", 1),
                    ("dF", "F", I, "operational", 1), ("dE", "E", I, "emergency", 1, 2023)]


def test_transfer_with_the_quota_only_where_it_may_go(inputs):
    # p1 (no skills) suits only T (same system, fit 1): 1 + 3 + 1 + 1 = 6 > G's 2.
    # p2 knows transport: O fits 0.8 (1 + 2.4 + 2 = 5.4); T is p1's (6 + 5.4 > 6 + 2).
    # p3 (investment: G 5, so transfer − group is 1 against p1's 4) joins G; nothing else is
    # left for him: the other demands are across a region (X) or a type (Y), at an over-quota
    # (Z), lapsed (L) or full unit (F, operational) or a temporary emergency task (E), all of
    # which would fit him as well as T (+0.25 or +0.5 for the tier).
    # p4 is seriously ill: never moved.
    people = [person("p1"), person("p2", skills="transport"), person("p3", skills="investment"),
              person("p4", health="serious")]
    folder = cadre_inputs(inputs, people, [group("G")], units=TRANSFER_UNITS,
                          quotas=TRANSFER_QUOTAS, demands=TRANSFER_DEMANDS)
    p = plan(folder)
    assert options(p) == {"p1": ("transfer", "T"), "p2": ("transfer", "O"),
                          "p3": ("group", "G"), "p4": ("stay",)}
    assert row(p, "p1")["score"] == 6.0
    assert row(p, "p2")["score"] == 5.4
    assert row(p, "p1")["demand_id"] == "dT"
    assert "带编调剂" in row(p, "p1")["reason"]
    t = p.transfers.set_index("person_id")
    assert t[["from_unit", "to_unit", "demand_id", "tier", "source"]].to_dict("index") == {
        "p1": {"from_unit": "A", "to_unit": "T", "demand_id": "dT", "tier": "operational",
               "source": "same_system"},
        "p2": {"from_unit": "A", "to_unit": "O", "demand_id": "dO", "tier": "operational",
               "source": "other"},
    }
    assert p.releases == {("A", I): 2}
    assert p.retirements == {}
    # the independent check refuses p3 sent to any of the demands the model left out
    ds = load(folder)
    refused = {"dX": "p3 transfers across regions",
               "dY": "p3 holds institution quota but transfers for a administrative demand",
               "dZ": "p3 transfers to Z, which is over quota",
               "dL": "p3 transfers to L, whose functions lapsed",
               "dE": "p3 transfers for emergency demand dE, a temporary task"}
    for did, message in refused.items():
        to = did[1:]
        a = p.assignments.copy()
        a.loc[a["person_id"] == "p3", ["option", "group_id", "to_unit", "demand_id"]] = [
            "transfer", "", to, did]
        moves = pd.concat([moves_of(p), pd.DataFrame([{
            "kind": "transfer_with_person", "from_unit": "A", "to_unit": to,
            "quota_type": a.loc[a["person_id"] == "p3", "quota_type"].iat[0], "amount": 1,
            "demand_id": did}])])
        got = msgs(check_assignments(ds, a, 2021, 2021, moves))
        assert any(message in g for g in got), (did, got)


def test_transfer_needs_a_fitting_post(inputs):
    # without the transport skill the other sector's post fits 0 (< transfer_min_fit); with
    # transfer_min_fit 0.9 even the skill (0.8) is not enough; with transfers off nobody moves
    units = [{"unit_id": "A"}, {"unit_id": "O", "system": "transport", "sector": "economy"}]
    quotas = [("A", I, 10, 10), ("O", I, 10, 8)]
    demands = [("dO", "O", I, "key", 2)]
    people = [person("p1"), person("p2", skills="transport")]
    folder = cadre_inputs(inputs, people, [group("G")], units=units, quotas=quotas,
                          demands=demands)
    assert options(plan(folder)) == {"p1": ("group", "G"), "p2": ("transfer", "O")}
    assert options(plan(folder, transfer_min_fit=0.9)) == {"p1": ("group", "G"),
                                                           "p2": ("group", "G")}
    assert options(plan(folder, transfers=False))["p2"] == ("group", "G")


def test_full_unit_key_demand_takes_a_person_operational_waits(inputs):
    # F is full: its key demand may take a person (only operational demands wait for F's
    # releases first); with full_units_release_first empty, the operational one may too
    units = [{"unit_id": "A"}, {"unit_id": "F"}]
    quotas = [("A", I, 10, 10), ("F", I, 10, 10)]
    people = [person("p1")]
    folder = cadre_inputs(inputs, people, [group("G")], units=units, quotas=quotas,
                          demands=[("dF", "F", I, "operational", 1)])
    assert options(plan(folder)) == {"p1": ("group", "G")}
    assert options(plan(folder, full_units_release_first=())) == {"p1": ("transfer", "F")}
    folder = cadre_inputs(inputs, people, [group("G")], units=units, quotas=quotas,
                          demands=[("dF", "F", I, "key", 1)])
    p = plan(folder)
    assert options(p) == {"p1": ("transfer", "F")}
    assert row(p, "p1")["score"] == 6.5  # + 0.5 for a key demand


def test_a_demand_takes_no_more_people_than_its_amount(inputs):
    units = [{"unit_id": "A"}, {"unit_id": "T"}]
    quotas = [("A", I, 10, 10), ("T", I, 10, 5)]
    people = [person("p1"), person("p2", work_status="assisting"),
              person("p3", work_status="idle")]
    folder = cadre_inputs(inputs, people, [group("G")], units=units, quotas=quotas,
                          demands=[("dT", "T", I, "operational", 2)])
    p = plan(folder)
    # transfer − group = 1 + 3 + hp − hp = 4 for all three: a tie, broken by the fixed
    # tie-break; two move, one joins G
    got = options(p)
    assert sorted(got.values()) == [("group", "G"), ("transfer", "T"), ("transfer", "T")]
    assert options(plan(folder, solver="cbc")) == got


# ---------------------------------------------------------------- scores and reasons


def test_every_assignment_has_a_score_and_a_reason(inputs):
    units = [{"unit_id": "A"}, {"unit_id": "T"}]
    quotas = [("A", I, 10, 9), ("T", I, 10, 8)]
    people = [person("g", skills="investment", preferences="G"),
              person("r", wants_return="yes"),
              person("e", age=59, service_years=38, willing_early_retirement="yes"),
              person("t"),
              person("s", health="serious"),
              person("m", surplus_reason="missing")]
    folder = cadre_inputs(inputs, people, [group("G", max_size=1)], units=units, quotas=quotas,
                          demands=[("dT", "T", I, "operational", 1)])
    p = plan(folder)
    a = p.assignments.set_index("person_id")
    # G (one place) is g's (7). r, e and t all fit T's one post equally (6); the post at A is
    # r's alone (he asked) and e may retire, so r returns (5), e retires (4) and t moves (6):
    # 15, where r or e moving would leave t to stay (−2)
    assert a["option"].to_dict() == {"g": "group", "r": "return", "e": "early_retirement",
                                     "t": "transfer", "s": "stay", "m": "stay"}
    assert a["score"].to_dict() == {"g": 7.0, "r": 5.0, "e": 4.0, "t": 6.0, "s": -2.0,
                                    "m": -2.0}
    assert a.loc["g", "reason"] == ("group G: skills investment match; preference 1; "
                                    "in charge of work")
    assert a.loc["r", "reason"].startswith("wants to return")
    assert a.loc["e", "reason"].startswith("eligible (38 years of service")
    assert a.loc["t", "reason"].startswith("moves with the quota (带编调剂) to T")
    assert a.loc["s", "reason"].startswith("no other option fits")
    assert "告知书" in a.loc["m", "reason"]
    assert p.summary()["by_option"] == {"group": 1, "return": 1, "early_retirement": 1,
                                        "transfer": 1, "stay": 2}


def test_weights_change_the_choice(inputs):
    # with retirement_base 1, the eligible willing person prefers G (2 > 1)
    people = [person("p1", age=58, service_years=35, willing_early_retirement="yes")]
    folder = cadre_inputs(inputs, people, [group("G")])
    assert options(plan(folder)) == {"p1": ("early_retirement",)}
    low = CadreWeights(retirement_base=1.0)
    assert options(plan(folder, weights=low)) == {"p1": ("group", "G")}


def test_highs_and_cbc_agree_on_the_hand_cases(inputs):
    people = [person("p1"), person("p2", skills="transport"), person("p3"),
              person("p4", health="serious"),
              person("p5", age=58, service_years=35, willing_early_retirement="yes"),
              person("p6", wants_return="yes")]
    folder = cadre_inputs(inputs, people, [group("G", max_size=1), group("H", skills="")],
                          units=TRANSFER_UNITS, quotas=TRANSFER_QUOTAS, demands=TRANSFER_DEMANDS)
    highs, cbc = plan(folder), plan(folder, solver="cbc")
    pd.testing.assert_frame_equal(highs.assignments, cbc.assignments)


# ---------------------------------------------------------------- the whole run


def scenario(folder, **policy) -> Scenario:
    return Scenario(data=str(folder), year=2021, policy=Policy(**policy),
                    cadres=Cadres(transfer_min_fit=0.8))


def run(folder, **policy):
    sc = scenario(folder, **policy)
    ds = load(folder)
    p = run_scenario(sc, ds, with_marginals=False)
    tables = p.tables()
    assert check_plan(ds, sc, tables) == []
    return p, ds, sc, tables


def demand_row(p, did) -> dict:
    d = p.quota.demands.set_index("demand_id").loc[did]
    return {k: (d[k] if k == "unmet_reason" else int(d[k]))
            for k in ("met", "met_own", "met_transfer", "unmet_reason")}


def unit_row(p, uid) -> tuple:
    u = p.quota.units.set_index(["unit_id", "quota_type"]).loc[(uid, I)]
    return (int(u["approved_before"]), int(u["approved_after"]), int(u["staff_before"]),
            int(u["staff_after"]))


def test_early_retirement_at_a_full_unit_opens_its_operational_demand(inputs):
    # A is full and asks for 2 (operational): it receives only what it releases first. Its
    # surplus person retires early (willing, 35 years): one post is released, and filled.
    units = [{"unit_id": "A"}, {"unit_id": "B"}]
    quotas = [("A", I, 10, 10), ("B", I, 10, 5)]
    demands = [("dA", "A", I, "operational", 2)]
    groups = [group("G")]
    retiring = [person("p1", age=58, service_years=35, willing_early_retirement="yes")]
    p, *_ = run(cadre_inputs(inputs, retiring, groups, units, quotas, demands), reserve_rate=0)
    assert options(p.cadres) == {"p1": ("early_retirement",)}
    assert demand_row(p, "dA") == {"met": 1, "met_own": 1, "met_transfer": 0,
                                   "unmet_reason": "full_unit_release_first"}
    assert unit_row(p, "A") == (10, 10, 10, 10)  # one retires, one is hired
    assert p.quota.moves.empty
    # the same person not willing: nothing is released, nothing received
    staying = [person("p1", age=58, service_years=35)]
    p, *_ = run(cadre_inputs(inputs, staying, groups, units, quotas, demands), reserve_rate=0)
    assert options(p.cadres) == {"p1": ("group", "G")}
    assert demand_row(p, "dA") == {"met": 0, "met_own": 0, "met_transfer": 0,
                                   "unmet_reason": "full_unit_release_first"}
    assert unit_row(p, "A") == (10, 10, 10, 10)


def test_a_transfer_meets_a_demand_without_the_regions_vacancy(inputs):
    # T asks for 2; the region holds 1 vacancy (T's) and the 5% reserve of 20 keeps 1 back:
    # the reallocation can give nothing. A's surplus person moves to T with her quota.
    units = [{"unit_id": "A"}, {"unit_id": "T"}]
    quotas = [("A", I, 10, 10), ("T", I, 10, 9)]
    demands = [("dT", "T", I, "operational", 2)]
    people = [person("p1", gender="F"), person("s1", health="serious")]
    folder = cadre_inputs(inputs, people, [group("G")], units, quotas, demands)
    p, ds, sc, tables = run(folder, reserve_rate=0.05)
    assert options(p.cadres) == {"p1": ("transfer", "T"), "s1": ("stay",)}
    assert demand_row(p, "dT") == {"met": 1, "met_own": 0, "met_transfer": 1,
                                   "unmet_reason": "reserve_floor"}
    m = p.quota.moves
    assert m[["kind", "from_unit", "to_unit", "amount", "demand_id", "source"]].to_dict(
        "records") == [{"kind": "transfer_with_person", "from_unit": "A", "to_unit": "T",
                        "amount": 1, "demand_id": "dT", "source": "same_system"}]
    assert "p1" in m["reason"].iat[0]
    assert unit_row(p, "A") == (10, 9, 10, 9)
    assert unit_row(p, "T") == (10, 11, 9, 10)
    # the region's vacancy is untouched: T still has its one vacant post (the reserve)
    b = p.quota.blocks.iloc[0]
    assert (int(b["used"]), int(b["vacancy_after"])) == (0, 1)
    # without the person the demand gets nothing
    p0, *_ = run(cadre_inputs(inputs, [person("s1", health="serious")], [group("G")], units,
                              quotas, demands), reserve_rate=0.05)
    assert demand_row(p0, "dT")["met"] == 0
    # the independent check catches tampered assignment tables
    a = tables["assignments"]
    checks = {
        "ill person sent to a group": (
            a.assign(option=a["option"].where(a["person_id"] != "s1", "group"),
                     group_id=a["group_id"].where(a["person_id"] != "s1", "G")),
            "person s1 is seriously ill but sent to a task group"),
        "person listed twice": (pd.concat([a, a.iloc[[1]]]),
                                "s1 appears 2 times"),
        "person missing": (a[a["person_id"] != "s1"], "person s1 has no option"),
        "unknown person": (pd.concat([a, a.iloc[[1]].assign(person_id="zz")]),
                           "assignments.csv names zz, who is not in the people table"),
        "retires without eligibility": (
            a.assign(option=a["option"].where(a["person_id"] != "s1", "early_retirement")),
            "person s1 retires early without being eligible"),
        "returns without asking": (
            a.assign(option=a["option"].where(a["person_id"] != "s1", "return")),
            "person s1 returns to the home unit without asking to"),
        "transfer without its move": (
            a.assign(option=a["option"].where(a["person_id"] != "p1", "stay")),
            "0 transfers in assignments.csv but 1 transfer_with_person moves"),
        "ill person transfers": (
            a.assign(option="transfer", to_unit="T", demand_id="dT"),
            "person s1 is seriously ill but transfers with the quota"),
        "transfer to another unit than the demand's": (
            a.assign(to_unit=a["to_unit"].where(a["person_id"] != "p1", "A")),
            "person p1 transfers to A for demand dT of T"),
        "transfer for an unknown demand": (
            a.assign(demand_id=a["demand_id"].where(a["person_id"] != "p1", "d9")),
            "person p1 transfers for demand 'd9', which is not in the demands table"),
    }
    for what, (bad, message) in checks.items():
        got = msgs(check_plan(ds, sc, {**tables, "assignments": bad}))
        assert any(message in v for v in got), (what, got)
    # a move that does not match the person's transfer
    bad_moves = tables["moves"].assign(demand_id="dX")
    got = msgs(check_assignments(ds, a, 2021, 2021, bad_moves))
    assert got == [("the transfers in assignments.csv and the transfer_with_person moves "
                    "differ (home unit, destination, quota type or demand)")]
    # a plan with people but no assignments table is caught too
    no_a = {k: v for k, v in tables.items() if k != "assignments"}
    assert msgs(check_plan(ds, sc, no_a)) == [
        "the inputs have people but the plan has no assignments.csv"]


def test_group_size_and_age_tampering_is_caught(inputs):
    units = [{"unit_id": "A"}]
    people = [person("p1", age=45), person("p2", age=58), person("p3", age=40)]
    groups = [group("G", max_size=2, max_age=50), group("H", min_size=1, skills="")]
    folder = cadre_inputs(inputs, people, groups, units=units)
    _, ds, sc, tables = run(folder, reserve_rate=0)
    a = tables["assignments"]
    in_g = a.assign(option="group", group_id="G")
    got = msgs(check_plan(ds, sc, {**tables, "assignments": in_g}))
    assert "task group G has 3 people, outside 0–2" in got
    assert "person p2 is above the max_age of the task group" in got
    assert "task group H is empty but needs at least 1" in got


def test_a_written_plan_verifies_from_disk(inputs, tmp_path):
    units = [{"unit_id": "A"}, {"unit_id": "T"}]
    quotas = [("A", I, 10, 10), ("T", I, 10, 9)]
    people = [person("p1"), person("p2", age=58, service_years=35, willing_early_retirement="yes"),
              person("p3", surplus_reason="missing")]
    folder = cadre_inputs(inputs, people, [group("G")], units, quotas,
                          [("dT", "T", I, "operational", 1), ("dA", "A", I, "operational", 1)])
    # from disk the scenario is re-resolved from its file: the plan is made from one
    (tmp_path / "s.yaml").write_text(f"data: {folder}\nyear: 2021\npolicy: {{reserve_rate: 0}}\n"
                                     "cadres: {transfer_min_fit: 0.8}\n", encoding="utf-8")
    sc = load_scenario(tmp_path / "s.yaml")
    p = run_scenario(sc, load(folder), with_marginals=False)
    out = write_plan(p, tmp_path / "plan")
    assert verify_folder(out) == []
    written = pd.read_csv(out / "assignments.csv", dtype=str, keep_default_na=False)
    assert written["person_id"].tolist() == ["p1", "p2", "p3"]
    # p1 moves to T (6 + retiring p2 4 beats p2 moving and p1 in G: 6 + 2); A released two
    # posts (a transfer, a retirement): its operational demand is met from its own vacancy
    assert demand_row(p, "dA")["met"] == 1
    written.loc[written["person_id"] == "p3", "option"] = "group"
    written.loc[written["person_id"] == "p3", "group_id"] = "G"
    written.to_csv(out / "assignments.csv", index=False)
    got = verify_folder(out)
    assert [v.message for v in got if v.rule_id == "follow_up"] == [
        "person p3 is absent or missing (formal notice) but assigned group"]
    # plan.xlsx still holds the plan as written: it no longer agrees with the CSV
    assert {v.rule_id for v in got} == {"follow_up", "workbook_differs"}


def test_the_candidate_cut_keeps_the_best_scoring_demands(inputs):
    # More demands fit than the model keeps per person (TRANSFER_CANDIDATES): 20 key demands
    # in transport, which the person knows (fit 0.8: 1 + 2.4 + 0.5 + 2 = 5.9), and one
    # operational demand in his own system (fit 1: 1 + 3 + 2 = 6). The cut must keep the
    # best-scoring demands, so the own-system post wins.
    keys = [f"K{k:02d}" for k in range(model.TRANSFER_CANDIDATES)]
    units = ([{"unit_id": "A"}, {"unit_id": "T"}]
             + [{"unit_id": k, "system": "transport", "sector": "economy"} for k in keys])
    quotas = [("A", I, 10, 10), ("T", I, 10, 8)] + [(k, I, 10, 8) for k in keys]
    demands = [("dT", "T", I, "operational", 1)] + [(f"d{k}", k, I, "key", 1) for k in keys]
    folder = cadre_inputs(inputs, [person("p1", skills="transport")], [group("G")],
                          units=units, quotas=quotas, demands=demands)
    p = plan(folder)
    assert options(p) == {"p1": ("transfer", "T")}
    assert row(p, "p1")["score"] == 6.0


def test_half_a_return_paid_by_ones_own_half_release_is_cut_off(inputs, monkeypatch):
    # A is full. a wants to return (5); b too, and may retire (4); c is seriously ill and
    # retires (5), which frees one post. Best: a returns in c's post, b retires: 5 + 4 + 5 = 14
    # (b returning instead leaves a only G: 5 + 2 + 5 = 12). The LP alone prefers b half
    # returning, half retiring (4.5), paid by b's own half release: 14.5; the post cuts remove
    # that vertex (a transfer out would free no post: it takes its quota along).
    people = [person("a", wants_return="yes"),
              person("b", wants_return="yes", age=58, service_years=35,
                     willing_early_retirement="yes"),
              person("c", age=58, service_years=35, health="serious",
                     willing_early_retirement="yes")]
    folder = cadre_inputs(inputs, people, [group("G")])
    expected = {"a": ("return",), "b": ("early_retirement",), "c": ("early_retirement",)}
    p = plan(folder)
    assert options(p) == expected
    assert p.method.startswith("lp+cuts") or p.method.startswith("milp")
    assert p.assignments["score"].sum() == 14.0
    assert p.optimality["gap"] == 0 and p.optimality["proof"] == "lp bound"
    # without cuts the LP bound is 14.5, which no whole answer reaches: the MIP over the
    # fractional people (14) proves nothing, and the whole MIP finds the same assignment
    monkeypatch.setattr(model, "MAX_CUT_ROUNDS", 0)
    for solver in ("highs", "cbc"):
        p = plan(folder, solver=solver)
        assert options(p) == expected
        assert p.method.startswith("milp")
        assert p.optimality == {"score": 14.0, "lp_bound": 14.5, "gap": 0.5, "proof": "mip",
                                "mip_people": 3, "tie_break_gap": 0.0,
                                "tie_break_proof": "lp bound"}


def test_a_transfer_out_frees_no_post_for_a_return(inputs):
    # A is full; one of a, c moves to T's demand with the quota, which takes its quota
    # along: no post is freed, so a (who wants to return) cannot (docs/rules.md § 13a)
    units = [{"unit_id": "A"}, {"unit_id": "T"}]
    quotas = [("A", I, 10, 10), ("T", I, 10, 9)]
    people = [person("a", wants_return="yes"), person("c")]
    folder = cadre_inputs(inputs, people, [group("G")], units=units, quotas=quotas,
                          demands=[("dT", "T", I, "operational", 1)])
    chosen = options(plan(folder))
    assert sorted(o[0] for o in chosen.values()) == ["group", "transfer"]  # nobody returns


def test_a_group_with_a_region_takes_only_that_regions_people(inputs):
    """Two cities' groups in one data set (a province): each person prefers the other city's
    group, but may join only the group of the home unit's region."""
    units = [{"unit_id": "A", "region": "r1"}, {"unit_id": "B", "region": "r2"}]
    quotas = [("A", I, 10, 10), ("B", I, 10, 10)]
    people = [person("p1", unit_id="A", preferences="G2", skills="investment"),
              person("p2", unit_id="B", preferences="G1", skills="investment")]
    groups = [group("G1", region="r1"), group("G2", region="r2")]
    folder = cadre_inputs(inputs, people, groups, units, quotas)
    p = plan(folder)
    chosen = dict(zip(p.assignments["person_id"], p.assignments["group_id"]))
    assert chosen == {"p1": "G1", "p2": "G2"}
    ds = load(folder)
    crossed = p.assignments.assign(group_id=p.assignments["group_id"].map({"G1": "G2",
                                                                            "G2": "G1"}))
    problems = msgs(check_assignments(ds, crossed, 2021, 2021, moves_of(p)))
    assert any("from another region" in x for x in problems)


def test_a_run_without_any_year_takes_the_calendar_year_and_says_so(inputs, cli, tmp_path):
    """No `year:` in the scenario and no start_year in the demands: the ages of surplus people
    need a year, so the run takes this calendar year instead of refusing valid data; it says
    so on stderr, records it in summary.json (as the --set it amounts to), and verify agrees."""
    import json
    from datetime import date

    folder = cadre_inputs(inputs, [person("p1")], [group("G1")])
    code, out, err = cli("run", folder, "--out", tmp_path / "plan", "--no-marginals")
    assert code == 0, err
    year = date.today().year
    assert f"Plan year {year}: neither the scenario nor the data gives one" in err
    s = json.loads((tmp_path / "plan" / "summary.json").read_text(encoding="utf-8"))
    assert (s["cadres"]["plan_year"], s["cadres"]["plan_year_source"]) == (year, "calendar")
    assert s["scenario"]["resolution"]["sets"] == [f"year={year}"]
    assert cli("verify", tmp_path / "plan")[0] == 0
    # a year given by --set is the user's: no note, its own source
    code, out, err = cli("run", folder, "--out", tmp_path / "p2", "--no-marginals",
                         "--set", "year=2021")
    assert code == 0 and "Plan year" not in err
    s = json.loads((tmp_path / "p2" / "summary.json").read_text(encoding="utf-8"))
    assert (s["cadres"]["plan_year"], s["cadres"]["plan_year_source"]) == (2021, "scenario")


# ---------------------------------------------------------------- exact solves (issue 14)


def triangle() -> tuple[LinearProgram, list[int]]:
    """Three people who each may take a post (−1) or stay (0), but no two of them both take a
    post (one row per pair), and a fourth alone with a post (−1). The LP's only optimum gives
    the three half a post each: −1.5 − 1 = −2.5; a whole answer does −2 at best, which the
    bound rounded up to whole numbers shows."""
    import numpy as np
    import scipy.sparse as sp

    # columns: (post, stay) for each of p0..p3
    person = [0, 0, 1, 1, 2, 2, 3, 3]
    rows = [[1, 1, 0, 0, 0, 0, 0, 0], [0, 0, 1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 0, 0],
            [0, 0, 0, 0, 0, 0, 1, 1],
            [1, 0, 1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 1, 0, 0, 0], [1, 0, 0, 0, 1, 0, 0, 0]]
    lp = LinearProgram(c=np.array([-1.0, 0, -1, 0, -1, 0, -1, 0]),
                       A=sp.csc_matrix(np.array(rows, dtype=float)),
                       row_lower=np.array([1, 1, 1, 1, -np.inf, -np.inf, -np.inf]),
                       row_upper=np.array([1, 1, 1, 1, 1, 1, 1.0]),
                       col_lower=np.zeros(8), col_upper=np.ones(8))
    return lp, person


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_a_fractional_vertex_is_solved_as_a_mip_over_its_fractional_people(solver):
    import numpy as np

    lp, person = triangle()
    got, method, proof = exact.solve_integral(exact.WarmModel(lp, solver), np.array(person),
                                              None, 0, whole_costs=True)
    assert method == "lp+component milp"
    assert proof.lp_bound == pytest.approx(-2.5) and proof.bound == -2
    assert proof.objective == -2 and proof.reaches_bound and not proof.on_lp_face
    assert proof.mip_people == 3  # p3 was whole in the LP: kept, not re-solved
    x = got.x.reshape(4, 2)
    assert x[:3, 0].sum() == 1 and x[3, 0] == 1


def test_a_component_short_of_the_bound_falls_back_to_the_whole_mip():
    import numpy as np

    lp, person = triangle()
    # with continuous costs the rounded bound is the LP's (−2.5): no whole answer reaches it
    got, method, proof = exact.solve_integral(exact.WarmModel(lp, "highs"), np.array(person),
                                              None, 0, whole_costs=False)
    assert method == "milp" and got.objective == -2
    assert proof.gap == pytest.approx(0.5) and not proof.reaches_bound


def test_cut_rows_and_the_tie_break_reuse_one_solver_model(inputs, monkeypatch):
    # the hand case that needs post cuts: every solve after the first runs on the same HiGHS
    # model (warm), and the answer is the one of solving each stage from scratch
    people = [person("a", wants_return="yes"),
              person("b", wants_return="yes", age=58, service_years=35,
                     willing_early_retirement="yes"),
              person("c", age=58, service_years=35, health="serious",
                     willing_early_retirement="yes")]
    folder = cadre_inputs(inputs, people, [group("G")])
    sessions = []
    original = exact.HighsSession.__init__

    def counted(self, *args, **kwargs):
        sessions.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(exact.HighsSession, "__init__", counted)
    warm = plan(folder)
    assert warm.method == "lp+cuts+lp tie-break" and len(sessions) == 1
    monkeypatch.setattr(model, "WARM_START", False)
    cold = plan(folder)
    assert len(sessions) == 1 + 3  # from scratch: a session per solve (LP, cut round, tie)
    pd.testing.assert_frame_equal(warm.assignments, cold.assignments)


def test_the_bundled_city_gives_the_same_assignment_warm_and_from_scratch(monkeypatch):
    """The new path (one warm HiGHS model, the MIP only over fractional people) against the
    old one (every solve from scratch, the whole MIP), on the bundled city."""
    from pathlib import Path

    sc = load_scenario(Path(__file__).resolve().parents[1] / "scenarios/bazhong-2021.yaml")
    ds = load_data(sc)
    kwargs = {"plan_year": 2021, "data_year": ds.year or 2021, "weights": CadreWeights(),
              "transfer_min_fit": sc.cadres.transfer_min_fit}
    warm = plan_cadres(ds, **kwargs)
    assert warm.optimality["gap"] == 0 and warm.optimality["proof"] == "lp bound"
    assert warm.optimality["score"] == round(warm.assignments["score"].sum(), 2)
    monkeypatch.setattr(model, "WARM_START", False)
    monkeypatch.setattr(model, "COMPONENT_MIP", False)
    cold = plan_cadres(ds, **kwargs)
    pd.testing.assert_frame_equal(warm.assignments, cold.assignments)
