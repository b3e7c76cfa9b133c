"""Mergers of small institutions: one hand-checkable instance per rule, properties against a
brute force over all partitions, and the seed's clusters in the bundled city."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import networkx as nx
import pytest
from conftest import REPO, UNIT_DEFAULTS, write_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.consolidation import (
    ConsolidationOptions,
    candidates,
    compatibility_graph,
    plan_mergers,
)
from solver.validate import load

# the rules are checked through their reasons' English words (tests/test_text.py: Chinese)
pytestmark = pytest.mark.usefixtures("english")

ON = ConsolidationOptions(enabled=True)


def merger_inputs(folder: Path, institutions: list[dict], parents: tuple[str, ...] = ("P",)
                  ) -> Path:
    """Parent organs and institutions: dicts with unit_id, approved, staff and optional
    leader_posts, parent_id (P), system, region, level, kind, function_status."""
    folder.mkdir(parents=True, exist_ok=True)
    organs = [{"unit_id": p, "name": f"{p}局", "kind": "organ", "parent_id": None,
               "leader_posts": 3} for p in parents]
    rows = []
    for u in [*organs, *institutions]:
        rows.append({"unit_id": u["unit_id"], "name": u.get("name", u["unit_id"]),
                     **{k: u.get(k, v) for k, v in UNIT_DEFAULTS.items()},
                     "parent_id": u.get("parent_id", "P" if u.get("kind") != "organ" else None),
                     "leader_posts": u.get("leader_posts", 1)})
    write_table(folder, "units", rows)
    quotas = [{"unit_id": p, "quota_type": "administrative", "approved": 20, "staff": 20}
              for p in parents]
    quotas += [{"unit_id": u["unit_id"], "quota_type": u.get("quota_type", "institution"),
                "approved": u["approved"], "staff": u["staff"]} for u in institutions]
    write_table(folder, "quotas", quotas)
    write_table(folder, "demands", [{"demand_id": "d1", "unit_id": parents[0],
                                     "quota_type": "administrative", "tier": "operational",
                                     "amount": 1}])
    return folder


@pytest.fixture
def folder(tmp_path):
    counter = {"n": 0}

    def make(*args, **kwargs) -> Path:
        counter["n"] += 1
        return merger_inputs(tmp_path / f"data{counter['n']}", *args, **kwargs)

    return make


def inst(uid: str, approved: int, staff: int, **kw) -> dict:
    return {"unit_id": uid, "approved": approved, "staff": staff, **kw}


def freed_of(plan) -> dict[str, int]:
    return dict(zip(plan.table["unit_id"], plan.table["freed"], strict=True))


# ---------------------------------------------------------------- candidates and graph


def test_candidates_are_small_active_institutions_with_a_parent(folder):
    """A (5) is one, B (6) is above the threshold, C lapsed, D is civil-service-managed,
    E has no parent, F holds administrative quota; G (weakened) is one."""
    ds = load(folder([
        inst("A", 5, 5), inst("B", 6, 5), inst("C", 3, 3, function_status="lapsed"),
        inst("D", 3, 3, kind="civil_service_managed"), inst("E", 3, 3, parent_id=None),
        inst("F", 3, 3, quota_type="administrative"),
        inst("G", 2, 1, function_status="weakened")]))
    assert sorted(candidates(ds, ON)["unit_id"]) == ["A", "G"]
    assert sorted(candidates(ds, ConsolidationOptions(threshold=7))["unit_id"]) == ["A", "B", "G"]


def test_compatibility_is_same_parent_system_region_and_level(folder):
    ds = load(folder([
        inst("A", 3, 2), inst("B", 3, 2), inst("C", 3, 2, parent_id="Q"),
        inst("D", 3, 2, system="education"), inst("E", 3, 2, region="r2"),
        inst("F", 3, 2, level="county"), inst("G", 3, 2)], parents=("P", "Q")))
    graph = compatibility_graph(candidates(ds, ON))
    assert sorted(map(sorted, nx.connected_components(graph))) == [
        ["A", "B", "G"], ["C"], ["D"], ["E"], ["F"]]
    assert graph.number_of_edges() == 3  # a clique: A–B, A–G, B–G


# ---------------------------------------------------------------- rules


def test_one_merger_frees_overhead_and_leader_posts(folder):
    """A (4, staff 2, 1 leader), B (3, staff 2, 1 leader), C (5, staff 5, 1 leader): caps 2
    each, vacancies 2, 1, 0 → at most min(6 − 2, 3) = 3 freed. C (largest) keeps its leader
    posts; A frees 2 (its 1 overhead + 1 leader), B 1 (all the vacancy left): merged approved
    12 − 3 = 9, staff 9."""
    ds = load(folder([inst("A", 4, 2), inst("B", 3, 2), inst("C", 5, 5)]))
    plan = plan_mergers(ds, ON)
    t = plan.table.set_index("unit_id")
    assert set(t.index) == {"A", "B", "C"}
    assert t.loc["C", "role"] == "keeper" and (t["merger_id"] == "M-C").all()
    assert freed_of(plan) == {"C": 0, "A": 2, "B": 1}
    assert (t.loc["C", "approved_after"], t.loc["C", "staff_after"]) == (9, 9)
    assert t.loc["A", "approved_after"] == 0
    assert list(plan.releases["unit_id"]) == ["A", "B"]
    assert list(plan.releases["amount"]) == [2, 1]
    assert set(plan.releases["quota_type"]) == {"institution"}
    s = plan.summary()
    assert (s["candidates"], s["mergers"], s["units_merged"], s["quotas_freed"]) == (3, 1, 3, 3)
    assert s["by_parent"]["P"] == {"name": "P局", "candidates": 3, "mergers": 1,
                                   "units_merged": 3, "freed": 3}
    assert "frees 2 of overhead 1 + leader posts 1" in t.loc["A", "reason"]


def test_freed_quotas_must_be_vacant(folder):
    """Full units free nothing: merging them would leave people without a quota."""
    ds = load(folder([inst("A", 4, 4), inst("B", 3, 3), inst("C", 5, 5)]))
    plan = plan_mergers(ds, ON)
    assert len(plan.table) == 0 and plan.summary()["candidates"] == 3


def test_every_absorbed_unit_frees_at_least_one(folder):
    """Vacancy 1 in all (A): only one unit can be absorbed, freeing 1."""
    ds = load(folder([inst("A", 4, 3), inst("B", 3, 3), inst("C", 2, 2)]))
    plan = plan_mergers(ds, ON)
    assert plan.summary()["quotas_freed"] == 1
    assert (plan.table["role"] == "absorbed").sum() == 1


def test_freed_never_exceeds_the_absorbed_units_approved(folder):
    """B: approved 1, 3 leader posts → cap min(1 + 3, 1) = 1."""
    ds = load(folder([inst("A", 5, 1, leader_posts=0), inst("B", 1, 0, leader_posts=3)]))
    plan = plan_mergers(ds, ON)
    assert freed_of(plan) == {"A": 0, "B": 1}


def test_an_over_quota_unit_brings_its_deficit(folder):
    """D is over quota by 2: with it the group vacancy is 2 + 1 − 2 = 1; without it 3."""
    ds = load(folder([inst("A", 5, 3), inst("B", 4, 3), inst("D", 3, 5)]))
    plan = plan_mergers(ds, ON)
    assert plan.summary()["quotas_freed"] == 2  # caps: A keeps, B frees its cap 2
    assert "D" not in set(plan.table["unit_id"])


def test_size_limit_splits_into_fewest_mergers(folder):
    """Four units of 4 (staff 3, cap 2, vacancy 1): all in one merger would be 16 − 4 = 12
    > max 6. Two mergers of two: each 8 − 2 = 6, freeing 2 each (4 in all, the bound)."""
    units = [inst(u, 4, 3) for u in "ABCD"]
    options = ConsolidationOptions(enabled=True, max_size=6)
    for presolve in (True, False):
        plan = plan_mergers(load(folder(units)), options, presolve=presolve)
        s = plan.summary()
        assert (s["mergers"], s["quotas_freed"], s["units_merged"]) == (2, 4, 4)
        keepers = plan.table[plan.table["role"] == "keeper"]
        assert (keepers["approved_after"] == 6).all()


def test_overhead_option(folder):
    """overhead_per_unit 0 and no leader posts: nothing to free, no merger."""
    units = [inst("A", 4, 2, leader_posts=0), inst("B", 3, 1, leader_posts=0)]
    assert len(plan_mergers(load(folder(units)), ConsolidationOptions(
        enabled=True, overhead_per_unit=0)).table) == 0
    plan = plan_mergers(load(folder(units)), ConsolidationOptions(
        enabled=True, overhead_per_unit=2))
    assert plan.summary()["quotas_freed"] == 2


def test_disabled_lists_candidates_only(folder):
    plan = plan_mergers(load(folder([inst("A", 4, 2), inst("B", 3, 2)])))
    assert plan.status == "disabled" and len(plan.table) == 0 and len(plan.releases) == 0
    assert plan.summary()["candidates"] == 2


def test_options_are_checked():
    with pytest.raises(ValueError, match="threshold"):
        ConsolidationOptions(threshold=0)
    with pytest.raises(ValueError, match="max_size"):
        ConsolidationOptions(threshold=7, max_size=5)
    with pytest.raises(ValueError, match="overhead"):
        ConsolidationOptions(overhead_per_unit=-1)


def test_cbc_frees_the_same(folder):
    units = [inst(u, 4, 3) for u in "ABCDE"] + [inst("F", 5, 2)]
    options = ConsolidationOptions(enabled=True, max_size=8)
    ds = load(folder(units))
    highs = plan_mergers(ds, options, presolve=False).summary()
    cbc = plan_mergers(ds, options, solver="cbc", presolve=False).summary()
    assert (highs["quotas_freed"], highs["mergers"]) == (cbc["quotas_freed"], cbc["mergers"])


# ---------------------------------------------------------------- properties


def partitions(items: list):
    """Every set partition of items (Bell number many)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in partitions(rest):
        for i in range(len(part)):
            yield part[:i] + [[first, *part[i]]] + part[i + 1:]
        yield [[first], *part]


def best_by_brute_force(cands, options) -> tuple[int, int]:
    """(most quotas freed, fewest mergers for it) over all partitions of every group."""
    total_freed, total_mergers = 0, 0
    for _, group in cands.groupby(["region", "level", "parent_id", "system"]):
        units = group.to_dict("records")
        best = (0, 0)
        for part in partitions(units):
            freed, mergers = 0, 0
            for block in part:
                if len(block) < 2:
                    continue
                caps = sorted(u["cap"] for u in block)  # keeper: the smallest cap
                f = min(sum(caps) - caps[0], sum(u["vacancy"] for u in block))
                size = sum(u["approved"] for u in block) - f
                # each absorbed unit frees ≥ 1 of its own cap; freed vacant; size limit
                if caps[1] < 1 or f < len(block) - 1 or size > options.max_size:
                    break  # not a valid merger: this partition is not a plan
                freed, mergers = freed + f, mergers + 1
            else:
                best = max(best, (freed, -mergers))
        total_freed += best[0]
        total_mergers -= best[1]
    return total_freed, total_mergers


def check_plan(ds, plan, options) -> None:
    """Mergers join candidates of one parent, system, region and level; each unit once; size,
    vacancy and cap rules; releases match."""
    t = plan.table
    cands = plan.candidates.set_index("unit_id")
    assert t["unit_id"].is_unique
    assert set(t["unit_id"]) <= set(cands.index)
    for _, m in t.groupby("merger_id"):
        c = cands.loc[m["unit_id"]]
        for key in ("parent_id", "system", "region", "level"):
            assert c[key].nunique() == 1
        assert (c["approved"] <= options.threshold).all()
        assert (m["role"] == "keeper").sum() == 1 and len(m) >= 2
        freed = m["freed"].sum()
        assert 1 <= freed <= c["approved"].sum() - c["staff"].sum()  # freed quotas are vacant
        assert c["approved"].sum() - freed <= options.max_size
        absorbed = m[m["role"] == "absorbed"]
        assert (absorbed["freed"] >= 1).all()
        assert (absorbed["freed"].to_numpy() <= cands.loc[absorbed["unit_id"], "cap"]).all()
        assert (m.loc[m["role"] == "keeper", "freed"] == 0).all()
        keeper = m[m["role"] == "keeper"].iloc[0]
        assert keeper["approved_after"] == c["approved"].sum() - freed
        assert keeper["staff_after"] == c["staff"].sum()
    assert plan.releases["amount"].sum() == t["freed"].sum()
    assert (plan.releases["amount"] > 0).all()


@st.composite
def merger_cases(draw):
    units = []
    for i in range(draw(st.integers(2, 9))):
        approved = draw(st.integers(0, 7))
        units.append(inst(f"U{i}", approved, draw(st.integers(0, approved + 2)),
                          leader_posts=draw(st.integers(0, 3)),
                          parent_id=draw(st.sampled_from(["P", "P", "Q"])),
                          system=draw(st.sampled_from(["health", "health", "education"]))))
    threshold = draw(st.sampled_from([5, 7]))
    options = ConsolidationOptions(
        enabled=True, threshold=threshold,
        max_size=draw(st.sampled_from([threshold, 10, 30])),
        overhead_per_unit=draw(st.sampled_from([0, 1, 2])))
    return units, options


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(merger_cases())
def test_properties_and_optimality(case):
    units, options = case
    with tempfile.TemporaryDirectory() as tmp:
        ds = load(merger_inputs(Path(tmp) / "data", units, parents=("P", "Q")))
        plan = plan_mergers(ds, options)
        ip_only = plan_mergers(ds, options, presolve=False)
    check_plan(ds, plan, options)
    check_plan(ds, ip_only, options)
    assert plan.status == ip_only.status == "optimal"
    best = best_by_brute_force(plan.candidates, options)
    for p in (plan, ip_only):
        s = p.summary()
        assert (s["quotas_freed"], s["mergers"]) == best


@st.composite
def one_parent_cases(draw):
    """One department's cluster with a tight size limit: several mergers (first-fit packing
    or the integer program)."""
    units = []
    for i in range(draw(st.integers(4, 8))):
        approved = draw(st.integers(1, 5))
        units.append(inst(f"U{i}", approved, draw(st.integers(max(approved - 2, 0), approved)),
                          leader_posts=draw(st.integers(0, 2))))
    options = ConsolidationOptions(enabled=True, threshold=5,
                                   max_size=draw(st.integers(5, 12)))
    return units, options


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_parent_cases())
def test_several_mergers_are_optimal(case):
    units, options = case
    with tempfile.TemporaryDirectory() as tmp:
        ds = load(merger_inputs(Path(tmp) / "data", units))
        plan = plan_mergers(ds, options)
    check_plan(ds, plan, options)
    s = plan.summary()
    assert (s["quotas_freed"], s["mergers"]) == best_by_brute_force(plan.candidates, options)


# ---------------------------------------------------------------- the bundled city


def test_bundled_city_reproduces_the_seed_clusters():
    """Seed 三(三): the agriculture bureau has 9 institutions of ≤ 5 quotas, human resources
    and civil affairs 5 each; all are merger candidates of their parent department."""
    ds = load(REPO / "scenarios" / "bazhong-2021")
    plan = plan_mergers(ds, ON)
    city = plan.candidates[plan.candidates["level"] == "city"]
    counts = city.groupby("parent_name").size()
    for name, expected in (("农业农村局", 9), ("人力资源和社会保障局", 5), ("民政局", 5)):
        matching = counts[counts.index.str.contains(name)]
        assert len(matching) == 1 and matching.iloc[0] == expected, name
    check_plan(ds, plan, ON)
    by_parent = plan.summary()["by_parent"]
    agriculture = next(v for v in by_parent.values() if v["name"] == "巴中市农业农村局")
    assert agriculture["candidates"] == 9 and agriculture["mergers"] >= 1
    assert plan.summary()["quotas_freed"] == plan.releases["amount"].sum() > 0


def test_bundled_city_all_components_through_the_ip_free_the_same():
    ds = load(REPO / "scenarios" / "bazhong-2021")
    options = ConsolidationOptions(enabled=True, threshold=7)
    fast = plan_mergers(ds, options).summary()
    ip = plan_mergers(ds, options, presolve=False).summary()
    assert (fast["quotas_freed"], fast["mergers"]) == (ip["quotas_freed"], ip["mergers"])


def test_partitions_helper():
    assert sum(1 for _ in partitions(list(range(5)))) == 52  # Bell(5)
    assert list(itertools.islice(partitions([1]), 2)) == [[[1]]]
