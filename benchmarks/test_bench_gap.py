"""GAP benchmarks: an OR-Library instance (MILP) and a large unit-weight one (LP fast path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from solver.cadres.gap import read_orlib, solve_gap_result
from solver.solve import Status

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "gap"


def unit_instance(agents: int = 8, jobs: int = 5000, seed: int = 20261127):
    """Seeded unit-weight instance; capacities total 1.2 × jobs, uneven so the small ones bind."""
    rng = np.random.default_rng(seed)
    profit = rng.integers(0, 101, size=(agents, jobs))
    weight = np.ones((agents, jobs))
    # Even capacities would never bind (each agent is the best for ~jobs/agents jobs) and the
    # benchmark would time a trivial argmax; a spread from 0.48× to 1.92× the mean makes the
    # lower half of the agents full.
    capacity = np.round(np.linspace(0.06, 0.24, agents) * jobs).astype(np.int64)
    return profit, weight, capacity


def test_bench_gap12_problem1_highs(benchmark) -> None:
    inst = read_orlib(DATA / "gap12.txt")[0]
    result = benchmark.pedantic(
        solve_gap_result, args=(inst.profit, inst.weight, inst.capacity),
        kwargs={"solver": "highs"}, rounds=3, iterations=1,
    )
    assert result.status == Status.OPTIMAL
    assert result.objective == 1451  # published optimum


@pytest.fixture(scope="module")
def unit_5000x8():
    return unit_instance()


def test_bench_unit_5000x8_lp(benchmark, unit_5000x8) -> None:
    profit, weight, capacity = unit_5000x8
    result = benchmark.pedantic(
        solve_gap_result, args=(profit, weight, capacity), kwargs={"method": "lp"},
        rounds=3, iterations=1,
    )
    assert result.method == "lp"  # the fast path held: the LP vertex was integral
    assert result.status == Status.OPTIMAL
    load = np.bincount(result.assignment, minlength=8)
    assert np.all(load <= capacity)
    assert np.any(load == capacity)  # a real transportation problem, not a per-job argmax


def test_bench_unit_5000x8_milp(benchmark, unit_5000x8) -> None:
    profit, weight, capacity = unit_5000x8
    result = benchmark.pedantic(
        solve_gap_result, args=(profit, weight, capacity), kwargs={"method": "milp"},
        rounds=3, iterations=1,
    )
    assert result.method == "milp"
    assert result.status == Status.OPTIMAL
    lp = solve_gap_result(profit, weight, capacity, method="lp")
    assert result.objective == lp.objective  # both exact: same optimum
