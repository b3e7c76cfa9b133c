"""Benchmarks of reading, model building and solving at city, province and 300k-unit scale.

Run for real with
    python -m pytest benchmarks/test_bench_quotas.py --benchmark-enable -p no:cacheprovider
In CI they run once each as smoke tests (--benchmark-disable); figures are not asserted
against a clock (shared machines are noisy), only checked for correctness.
Results and commands: benchmarks/README.md.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from solver.bench import tier_totals, generated_data, peak_memory_mb
from solver.quotas.allpairs import build_all_pairs
from solver.quotas.engine import reallocate
from solver.quotas.network import build, prepare
from solver.scenario import Policy
from solver.solve import solve, to_pulp
from solver.validate import load

REPO = Path(__file__).resolve().parents[1]
POLICY = Policy()


@pytest.fixture(scope="module")
def province_data():
    return generated_data("province")


@pytest.fixture(scope="module")
def data_10k():
    return generated_data(10_000)


def test_read_and_validate_province(benchmark, province_data):
    """Issue 2: reading and validating ~60,000 units under 10 s."""
    ds = benchmark.pedantic(load, args=(province_data,), rounds=3, iterations=1)
    assert len(ds.units) > 50_000


def test_bundled_city_run_wall_clock(benchmark, tmp_path):
    """Issue 3: `bianzhi run` on the bundled city under 3 s wall, start-up included."""
    cmd = [sys.executable, "-m", "solver.cli", "run", str(REPO / "scenarios/bazhong-2021.yaml"),
           "--out", str(tmp_path / "plan")]

    def run():
        subprocess.run(cmd, check=True, capture_output=True)

    benchmark.pedantic(run, rounds=3, iterations=1)
    assert (tmp_path / "plan" / "summary.json").exists()


def _build_and_solve(ds):
    inst = prepare(ds, POLICY)
    net = build(inst)
    sol = solve(net.lp, "highs")
    assert sol.status.value == "optimal"
    return net


def test_province_build_and_solve(benchmark, province_data):
    """Issue 3: province scale, all tiers, model build + solve under 5 s, memory under 2 GB."""
    ds = load(province_data)
    benchmark.pedantic(_build_and_solve, args=(ds,), rounds=3, iterations=1)
    benchmark.extra_info["peak_memory_mb"] = peak_memory_mb()
    assert peak_memory_mb() < 2048


def test_province_full_plan_with_marginals(benchmark, province_data):
    """The whole engine (extract, reasons, two marginal re-solves) at province scale."""
    ds = load(province_data)
    plan = benchmark.pedantic(reallocate, args=(ds, POLICY), rounds=1, iterations=1)
    assert plan.status.value == "optimal"


@pytest.mark.slow
def test_300k_units_build_and_solve(benchmark):
    """Issue 3: 300,000 units under 30 s."""
    ds = load(generated_data(300_000))
    benchmark.pedantic(_build_and_solve, args=(ds,), rounds=1, iterations=1)


@pytest.mark.parametrize("formulation", ["tree", "all-pairs"])
def test_tree_vs_all_pairs_10k(benchmark, data_10k, formulation):
    """Issue 3: the tree formulation against the naive all-pairs one, same solver (HiGHS)."""
    ds = load(data_10k)
    builder = build if formulation == "tree" else build_all_pairs

    def run():
        net = builder(prepare(ds, POLICY))
        return solve(net.lp, "highs"), net

    sol, net = benchmark.pedantic(run, rounds=3, iterations=1)
    benchmark.extra_info["arcs"] = net.lp.num_cols
    assert sol.status.value == "optimal"


def test_tree_vs_all_pairs_ratio(data_10k):
    """Median-of-3 times of both formulations in one run, and the same optimum."""
    ds = load(data_10k)
    times = {}
    totals = {}
    for name, builder in (("tree", build), ("all-pairs", build_all_pairs)):
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            inst = prepare(ds, POLICY)
            net = builder(inst)
            sol = solve(net.lp, "highs")
            runs.append(time.perf_counter() - start)
        times[name] = sorted(runs)[1]
        totals[name] = tier_totals(inst, net, sol.x)
    assert totals["tree"] == totals["all-pairs"]
    print(f"\n10k units, build+solve HiGHS: tree {times['tree']:.3f}s, all-pairs "
          f"{times['all-pairs']:.3f}s, ratio {times['all-pairs'] / times['tree']:.1f}x")


def test_pulp_build_vs_numpy_build_province(benchmark, province_data):
    """Issue 3: PuLP's model build at province scale against the numpy build handed to HiGHS."""
    ds = load(province_data)
    net = build(prepare(ds, POLICY))
    prob, variables = benchmark.pedantic(to_pulp, args=(net.lp,), rounds=1, iterations=1)
    assert len(variables) == net.lp.num_cols
