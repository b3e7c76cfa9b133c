"""Benchmarks of the off-quota plan and the merger programme at province scale (issue 7).

Run for real with
    python -m pytest benchmarks/test_bench_aux_consolidation.py --benchmark-enable -p no:cacheprovider
In CI they run once each as smoke tests (--benchmark-disable). Target (issue 3's budget):
each well under 5 s on a generated province (~60,000 units); checked for correctness, not
against the clock.
"""

from __future__ import annotations

import pytest

from solver.aux import AuxOptions, plan_aux
from solver.bench import generated_data
from solver.consolidation import ConsolidationOptions, plan_mergers
from solver.leaders import DEFAULT_RULES
from solver.validate import load


@pytest.fixture(scope="module")
def province():
    ds = load(generated_data("province"))
    assert len(ds.units) > 50_000
    return ds


def test_aux_plan_province(benchmark, province):
    plan = benchmark.pedantic(plan_aux, args=(province, AuxOptions()), rounds=5, iterations=1)
    s = plan.summary()
    assert plan.status == "optimal"
    assert s["base"] == s["approved_after"] + s["to_services"] + s["ended"]
    assert all(r["approved_after"] <= r["cap"] for r in s["by_region"].values())


@pytest.mark.parametrize("hard_limit", [False, True], ids=["", "leader-hard-limit"])
@pytest.mark.parametrize("threshold", [5, 7])
def test_mergers_province(benchmark, province, threshold, hard_limit):
    """hard_limit: leader_posts.hard_limit_on_mergers with the default bands."""
    options = ConsolidationOptions(enabled=True, threshold=threshold,
                                   leader_limit=DEFAULT_RULES if hard_limit else None)
    plan = benchmark.pedantic(plan_mergers, args=(province, options), rounds=3, iterations=1)
    s = plan.summary()
    assert plan.status == "optimal"
    assert s["mergers"] > 0 and s["quotas_freed"] == plan.releases["amount"].sum()
    assert plan.table.groupby("merger_id")["parent_id"].nunique().eq(1).all()


@pytest.mark.slow
def test_mergers_province_integer_program_only(benchmark, province):
    """Every component through the integer program (no bound presolve): same quotas freed."""
    options = ConsolidationOptions(enabled=True, threshold=5)
    plan = benchmark.pedantic(plan_mergers, args=(province, options),
                              kwargs={"presolve": False}, rounds=1, iterations=1)
    assert plan.summary()["quotas_freed"] == plan_mergers(province, options).summary()[
        "quotas_freed"]
