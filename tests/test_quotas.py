"""One hand-checkable instance per rule of the reallocation (docs/rules.md, issue 3)."""

from __future__ import annotations

import pytest

from solver.plan import Plan
from solver.quotas.engine import PlanInfeasible, reallocate
from solver.scenario import Policy, Scenario
from solver.validate import load
from solver.verify import check_plan

I = "institution"


def solve(folder, solver="highs", **policy):
    ds = load(folder)
    pol = Policy(**policy)
    plan = reallocate(ds, pol, solver=solver)
    tables = Plan(Scenario(policy=pol), ds, plan).tables()
    assert check_plan(ds, Scenario(policy=pol), tables) == []
    return plan


def met(plan, demand_id):
    row = plan.demands.set_index("demand_id").loc[demand_id]
    return int(row["met"]), int(row["met_own"]), row["unmet_reason"]


def moves(plan, kind=None):
    m = plan.moves
    if kind:
        m = m[m["kind"] == kind]
    return sorted((r.from_unit, r.to_unit, int(r.amount), r.demand_id, r.source)
                  for r in m.itertuples())


def test_own_vacancy_is_used_first(inputs):
    # A has 3 vacant and asks for 2: it hires from its own vacancy, nothing moves.
    data = inputs([{"unit_id": "A"}, {"unit_id": "B"}], [("A", I, 10, 7), ("B", I, 10, 5)],
                  [("d1", "A", I, "operational", 2)])
    plan = solve(data, reserve_rate=0)
    assert met(plan, "d1") == (2, 2, "")
    assert moves(plan) == []


def test_source_ladder_same_system_then_sector_then_other_then_pool(inputs):
    # R (health/social) needs 4; one vacancy each at S (health), T (education, same sector
    # social), O (transport/economy), and 1 in the pool: each rung is used once, cheapest first.
    units = [{"unit_id": "R"}, {"unit_id": "S"},
             {"unit_id": "T", "system": "education"},
             {"unit_id": "O", "system": "transport", "sector": "economy"}]
    quotas = [("R", I, 5, 5), ("S", I, 5, 4), ("T", I, 5, 4), ("O", I, 5, 4)]
    data = inputs(units, quotas, [("d1", "R", I, "key", 4)], pool=[("r1", I, 1)])
    plan = solve(data, reserve_rate=0)
    assert met(plan, "d1") == (4, 0, "")
    assert moves(plan) == [
        ("", "R", 1, "d1", "pool"),
        ("O", "R", 1, "d1", "other"),
        ("S", "R", 1, "d1", "same_system"),
        ("T", "R", 1, "d1", "same_sector"),
    ]
    # needing only 2, the two cheapest rungs serve
    data = inputs(units, quotas, [("d1", "R", I, "key", 2)], pool=[("r1", I, 1)])
    plan = solve(data, reserve_rate=0)
    assert [m[4] for m in moves(plan)] == ["same_system", "same_sector"]


def test_quota_types_never_mix(inputs):
    # The only vacancy is administrative; an institution demand finds no source.
    units = [{"unit_id": "A", "kind": "organ"}, {"unit_id": "B"}]
    data = inputs(units, [("A", "administrative", 10, 5), ("B", I, 10, 10)],
                  [("d1", "B", I, "key", 1)])
    plan = solve(data, reserve_rate=0)
    assert met(plan, "d1") == (0, 0, "no_compatible_source")


def test_regions_do_not_exchange_unless_allowed(inputs):
    units = [{"unit_id": "A", "region": "r2"}, {"unit_id": "B"}]
    quotas = [("A", I, 10, 5), ("B", I, 10, 10)]
    data = inputs(units, quotas, [("d1", "B", I, "key", 2)])
    assert met(solve(data, reserve_rate=0), "d1") == (0, 0, "no_compatible_source")
    plan = solve(data, reserve_rate=0, allow_cross_region=True)
    assert met(plan, "d1") == (2, 0, "")
    assert moves(plan) == [("A", "B", 2, "d1", "other")]
    assert set(plan.moves["from_region"]) == {"r2"}


def test_over_quota_units_receive_and_hire_nothing(inputs):
    units = [{"unit_id": "A"}, {"unit_id": "B"}]
    data = inputs(units, [("A", I, 10, 5), ("B", I, 10, 12)], [("d1", "B", I, "key", 1)])
    plan = solve(data, reserve_rate=0)
    assert met(plan, "d1") == (0, 0, "over_quota_unit")
    unit_b = plan.units.set_index("unit_id").loc["B"]
    assert (unit_b["approved_after"], unit_b["staff_after"]) == (10, 12)


def test_full_units_receive_only_what_they_release_first(inputs):
    # B is full: its operational demand waits for releases (none yet); its key demand is met.
    units = [{"unit_id": "A"}, {"unit_id": "B"}]
    data = inputs(units, [("A", I, 10, 5), ("B", I, 10, 10)],
                  [("d1", "B", I, "operational", 1), ("d2", "B", I, "key", 1)])
    plan = solve(data, reserve_rate=0)
    assert met(plan, "d1") == (0, 0, "full_unit_release_first")
    assert met(plan, "d2") == (1, 0, "")
    # with the rule switched off for operational demands, B receives
    plan = solve(data, reserve_rate=0, full_units_release_first=[])
    assert met(plan, "d1") == (1, 0, "")


def test_full_unit_releases_open_the_gate(inputs):
    units = [{"unit_id": "A"}, {"unit_id": "B"}]
    data = inputs(units, [("A", I, 10, 5), ("B", I, 10, 10)], [("d1", "B", I, "operational", 3)])
    ds = load(data)
    plan = reallocate(ds, Policy(reserve_rate=0), releases={("B", I): 2})
    assert met(plan, "d1") == (2, 0, "full_unit_release_first")


def test_lapsed_units_vacancies_are_withdrawn_and_they_receive_nothing(inputs):
    units = [{"unit_id": "L", "function_status": "lapsed"}, {"unit_id": "B"}]
    data = inputs(units, [("L", I, 10, 6), ("B", I, 10, 10)],
                  [("d1", "L", I, "key", 1), ("d2", "B", I, "key", 3)])
    plan = solve(data, reserve_rate=0)
    assert moves(plan, "withdraw") == [("L", "", 4, "", "")]
    assert met(plan, "d1") == (0, 0, "lapsed_unit")
    # the withdrawn quotas serve B through the pool
    assert met(plan, "d2") == (3, 0, "")
    assert moves(plan, "pool_grant") == [("", "B", 3, "d2", "pool")]
    pool = plan.pool.iloc[0]
    assert (pool["balance_before"], pool["balance_after"]) == (0, 1)


def test_reserve_floor_stops_the_plan(inputs):
    # approved 100 + pool 0, rate 5% → floor 5; vacancy 8 → 3 quotas may be used.
    units = [{"unit_id": "A"}, {"unit_id": "B"}]
    data = inputs(units, [("A", I, 50, 42), ("B", I, 50, 50)],
                  [("d1", "B", I, "key", 2), ("d2", "B", I, "emergency", 4)])
    plan = solve(data, reserve_rate=0.05)
    assert met(plan, "d1") == (2, 0, "")
    assert met(plan, "d2") == (1, 0, "reserve_floor")
    assert int(plan.blocks["vacancy_after"].iloc[0]) == 5


def test_reserve_rate_by_quota_type(inputs):
    units = [{"unit_id": "A"}, {"unit_id": "O", "kind": "organ"}]
    data = inputs(units, [("A", I, 100, 90), ("O", "administrative", 100, 90)],
                  [("d1", "A", I, "key", 10), ("d2", "O", "administrative", "key", 10)])
    plan = solve(data, reserve_rate={"institution": 0.02, "administrative": 0.08})
    assert met(plan, "d1")[0] == 8
    assert met(plan, "d2")[0] == 2


def test_tiers_are_lexicographic(inputs):
    # One usable quota (the reserve keeps the rest). It sits in O's own vacancy, but the key
    # demand elsewhere takes it: no lower-tier satisfaction buys a higher-tier quota.
    units = [{"unit_id": "O"}, {"unit_id": "K", "system": "transport", "sector": "economy"}]
    data = inputs(units, [("O", I, 50, 48), ("K", I, 50, 50)],
                  [("op", "O", I, "operational", 1), ("key", "K", I, "key", 1)])
    plan = solve(data, reserve_rate=0.01)
    assert met(plan, "key") == (1, 0, "")
    assert met(plan, "op") == (0, 0, "outranked_by_higher_tier")
    assert moves(plan) == [("O", "K", 1, "key", "other")]


def test_many_lower_tier_quotas_never_outweigh_one_higher(inputs):
    # Two quotas: one emergency demand at a far unit, versus ten operational at the donor.
    units = [{"unit_id": "D"}, {"unit_id": "E", "system": "x", "sector": "y"}]
    data = inputs(units, [("D", I, 20, 18), ("E", I, 5, 5)],
                  [("em", "E", I, "emergency", 1)]
                  + [(f"op{i:02d}", "D", I, "operational", 1) for i in range(10)])
    plan = solve(data, reserve_rate=0)
    assert met(plan, "em") == (1, 0, "")
    assert sum(met(plan, f"op{i:02d}")[0] for i in range(10)) == 1


def test_incentive_ranks_operational_demands(inputs):
    units = [{"unit_id": "A", "performance_score": 60}, {"unit_id": "B", "performance_score": 95},
             {"unit_id": "D"}]
    quotas = [("A", I, 10, 10), ("B", I, 10, 10), ("D", I, 10, 9)]
    demands = [("a1", "A", I, "operational", 1), ("b1", "B", I, "operational", 1)]
    data = inputs(units, quotas, demands)
    off = solve(data, reserve_rate=0, full_units_release_first=[])
    # incentive off: a tie, broken by demand id
    assert met(off, "a1") == (1, 0, "")
    assert met(off, "b1") == (0, 0, "reserve_floor") or met(off, "b1")[2] == "no_compatible_source"
    on = solve(data, reserve_rate=0, full_units_release_first=[], incentive=1.0)
    assert met(on, "b1") == (1, 0, "")
    assert met(on, "a1") == (0, 0, "outranked_by_incentive")


def test_emergency_quotas_are_temporary(inputs):
    units = [{"unit_id": "A"}, {"unit_id": "B"}]
    data = inputs(units, [("A", I, 10, 5), ("B", I, 10, 10)],
                  [("e1", "B", I, "emergency", 2, 2023), ("k1", "B", I, "key", 1)])
    plan = solve(data, reserve_rate=0)
    temp = plan.moves.set_index("demand_id")["temporary_until"]
    assert temp["e1"] == "2023"
    assert temp["k1"] == ""


def test_hard_key_demand_impossible_names_the_rules(inputs):
    units = [{"unit_id": "A"}, {"unit_id": "B"}, {"unit_id": "C"}]
    data = inputs(units, [("A", I, 100, 96), ("B", I, 10, 12), ("C", I, 10, 10)],
                  [("k1", "B", I, "key", 1), ("k2", "C", I, "key", 5)])
    ds = load(data)
    with pytest.raises(PlanInfeasible) as err:
        reallocate(ds, Policy(reserve_rate=0.01, key_demands_hard=True))
    text = str(err.value)
    assert "k1" in text and "over quota" in text
    assert "region r1, institution" in text and "reserve floor keeps 2" in text
    # soft, the same instance gives a plan
    plan = reallocate(ds, Policy(reserve_rate=0.01))
    assert met(plan, "k2")[0] == 2


def test_hard_key_demands_met_when_possible(inputs):
    units = [{"unit_id": "A"}, {"unit_id": "C", "system": "x", "sector": "y"}]
    data = inputs(units, [("A", I, 100, 90), ("C", I, 10, 10)], [("k1", "C", I, "key", 5)])
    plan = solve(data, reserve_rate=0.01, key_demands_hard=True)
    assert met(plan, "k1") == (5, 0, "")


def test_marginal_values_by_resolving(inputs):
    # approved 200, rate 5% → floor 10; vacancy 12 → 2 usable; one point less → floor 8: +2.
    units = [{"unit_id": "A"}, {"unit_id": "B"}]
    data = inputs(units, [("A", I, 100, 88), ("B", I, 100, 100)],
                  [("k1", "B", I, "key", 1), ("o1", "B", I, "operational", 9)])
    ds = load(data)
    plan = reallocate(ds, Policy(reserve_rate=0.05, full_units_release_first=[]))
    mv = plan.marginal_values[0]
    assert mv["reserve_rate_minus_1pt"] == {"key": 0, "emergency": 0, "operational": 2}
    # one more pool quota: vacancy 13, base 201, floor ⌈10.05⌉ = 11 → still 2 usable
    assert mv["pool_plus_1"] == {"key": 0, "emergency": 0, "operational": 0}


def test_highs_and_cbc_agree(inputs):
    units = [{"unit_id": u, "system": s, "sector": sec} for u, s, sec in [
        ("A", "health", "social"), ("B", "health", "social"), ("C", "education", "social"),
        ("D", "transport", "economy"), ("E", "water", "economy")]]
    quotas = [("A", I, 30, 25), ("B", I, 20, 20), ("C", I, 15, 12), ("D", I, 12, 13),
              ("E", I, 40, 31)]
    demands = [("d1", "B", I, "key", 4), ("d2", "C", I, "emergency", 6, 2024),
               ("d3", "D", I, "key", 2), ("d4", "E", I, "operational", 3),
               ("d5", "A", I, "operational", 7)]
    data = inputs(units, quotas, demands, pool=[("r1", I, 2)])
    highs = solve(data, reserve_rate=0.04)
    cbc = solve(data, solver="cbc", reserve_rate=0.04)
    cols = ["demand_id", "met", "met_own", "unmet_reason"]
    assert highs.demands[cols].equals(cbc.demands[cols])
    assert moves(highs) == moves(cbc)
    assert highs.objective == pytest.approx(cbc.objective)
