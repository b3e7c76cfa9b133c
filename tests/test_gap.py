"""The GAP core against published OR-Library optima, plus the unit-weight LP fast path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.cadres.gap import (
    GapInfeasible,
    GapInstance,
    GapNotSolved,
    read_orlib,
    solve_gap,
    solve_gap_result,
)
from solver.solve import Status

DATA = Path(__file__).resolve().parent / "data" / "gap"

# Published optima (maximisation), tests/data/gap/README.md.
OPTIMA = {
    "gap1": [336, 327, 339, 341, 326],
    "gap2": [434, 436, 420, 419, 428],
    "gap3": [580, 564, 573, 570, 564],
}
CASES = [(name, k) for name, values in OPTIMA.items() for k in range(1, len(values) + 1)]


def instance(name: str, problem: int) -> GapInstance:
    return read_orlib(DATA / f"{name}.txt")[problem - 1]


def check_feasible(profit, weight, capacity, assignment, objective, allowed=None) -> None:
    """Independent check: one agent per job, capacities held, profit recomputed by a loop."""
    profit, weight, capacity = np.asarray(profit), np.asarray(weight), np.asarray(capacity)
    m, n = profit.shape
    assert assignment.shape == (n,)
    assert all(0 <= a < m for a in assignment)
    load = [0.0] * m
    total = 0.0
    for j, i in enumerate(assignment):
        load[i] += weight[i, j]
        total += profit[i, j]
        if allowed is not None:
            assert allowed[i, j], f"job {j} given to forbidden agent {i}"
    for i in range(m):
        assert load[i] <= capacity[i] + 1e-9, f"agent {i} load {load[i]} > {capacity[i]}"
    assert total == pytest.approx(objective, abs=1e-9)


@pytest.mark.parametrize(("name", "problem"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_orlib_optimum_highs(name: str, problem: int) -> None:
    inst = instance(name, problem)
    result = solve_gap_result(inst.profit, inst.weight, inst.capacity, solver="highs")
    assert result.status == Status.OPTIMAL
    assert result.method == "milp"
    assert result.objective == OPTIMA[name][problem - 1]
    check_feasible(inst.profit, inst.weight, inst.capacity, result.assignment, result.objective)


@pytest.mark.parametrize(("name", "problem"), [("gap1", 1), ("gap2", 1)])
def test_orlib_optimum_cbc(name: str, problem: int) -> None:
    inst = instance(name, problem)
    objective, assignment = solve_gap(inst.profit, inst.weight, inst.capacity, solver="cbc")
    assert objective == OPTIMA[name][problem - 1]
    check_feasible(inst.profit, inst.weight, inst.capacity, assignment, objective)


def test_read_orlib_shapes() -> None:
    instances = read_orlib(DATA / "gap1.txt")
    assert len(instances) == 5
    for inst in instances:
        assert inst.profit.shape == inst.weight.shape == (5, 15)
        assert inst.capacity.shape == (5,)
    # First values of gap1.txt, read by eye.
    assert list(instances[0].profit[0, :3]) == [17, 21, 22]
    assert list(instances[0].capacity) == [36, 34, 38, 27, 33]


def test_read_orlib_truncated(tmp_path: Path) -> None:
    tokens = (DATA / "gap1.txt").read_text().split()
    path = tmp_path / "cut.txt"
    path.write_text(" ".join(tokens[:-3]))  # lose the last three capacities of problem 5
    with pytest.raises(ValueError, match=r"cut\.txt: problem 5: file ends early"):
        read_orlib(path)


def test_read_orlib_malformed(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("1\n2 2\n1 2\n3 x\n1 1\n1 1\n5 5\n")
    with pytest.raises(ValueError, match=r"bad\.txt: problem 1: .*'x'.* not an integer"):
        read_orlib(path)
    path.write_text("1\n1 1\n4\n1\n2\n7\n")  # one value too many
    with pytest.raises(ValueError, match=r"bad\.txt: 1 unexpected value"):
        read_orlib(path)


def test_unit_weight_by_hand() -> None:
    # Agent 1 is better for every job but holds only 2, so agent 0 takes the job whose move
    # loses least: job 0 loses 6-1=5, job 1 loses 5-3=2, job 2 loses 7-2=5 -> job 1.
    profit = np.array([[1, 3, 2], [6, 5, 7]])
    capacity = np.array([1, 2])
    result = solve_gap_result(profit, np.ones((2, 3)), capacity)
    assert result.method == "lp"
    assert result.status == Status.OPTIMAL
    assert list(result.assignment) == [1, 0, 1]
    assert result.objective == 3 + 6 + 7


@st.composite
def unit_instances(draw):
    m = draw(st.integers(1, 6))
    n = draw(st.integers(1, 30))
    profit = np.array(draw(st.lists(st.integers(0, 100), min_size=m * n, max_size=m * n)))
    capacity = draw(st.lists(st.integers(0, n), min_size=m, max_size=m))
    capacity[-1] += max(0, n - sum(capacity))  # total capacity ≥ jobs
    return profit.reshape(m, n), np.array(capacity)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unit_instances())
def test_unit_weight_lp_matches_milp(case) -> None:
    profit, capacity = case
    weight = np.ones(profit.shape)
    fast = solve_gap_result(profit, weight, capacity)  # auto must pick the fast path
    exact = solve_gap_result(profit, weight, capacity, method="milp")
    assert fast.method == "lp"
    assert exact.method == "milp"
    assert fast.status == exact.status == Status.OPTIMAL
    assert fast.objective == exact.objective
    check_feasible(profit, weight, capacity, fast.assignment, fast.objective)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unit_instances(), st.randoms(use_true_random=False))
def test_unit_weight_lp_matches_milp_with_mask(case, rnd) -> None:
    # With forbidden pairs the LP stays a transportation problem (columns left out), so the
    # fast path must agree with the MILP on feasibility and on the optimum.
    profit, capacity = case
    m, n = profit.shape
    allowed = np.array([[rnd.random() < 0.7 for _ in range(n)] for _ in range(m)])
    weight = np.ones(profit.shape)
    try:
        exact = solve_gap_result(profit, weight, capacity, allowed=allowed, method="milp")
    except GapInfeasible:
        with pytest.raises(GapInfeasible):
            solve_gap_result(profit, weight, capacity, allowed=allowed, method="lp")
        return
    fast = solve_gap_result(profit, weight, capacity, allowed=allowed, method="lp")
    assert fast.method == "lp"
    assert fast.objective == exact.objective
    check_feasible(profit, weight, capacity, fast.assignment, fast.objective, allowed)


def test_allowed_mask_respected() -> None:
    inst = instance("gap1", 1)
    _, best = solve_gap(inst.profit, inst.weight, inst.capacity)
    allowed = np.ones(inst.profit.shape, dtype=bool)
    allowed[best[:5], np.arange(5)] = False  # forbid the optimal agent of jobs 0..4
    objective, assignment = solve_gap(inst.profit, inst.weight, inst.capacity, allowed=allowed)
    check_feasible(inst.profit, inst.weight, inst.capacity, assignment, objective, allowed)
    assert objective <= 336


def test_allowed_mask_unit_weight() -> None:
    profit = np.array([[10, 1], [1, 10]])
    allowed = np.array([[False, True], [True, True]])
    result = solve_gap_result(profit, np.ones((2, 2)), np.array([2, 2]), allowed=allowed)
    assert result.method == "lp"
    assert list(result.assignment) == [1, 1]
    assert result.objective == 11


def test_infeasible_unit_total_capacity() -> None:
    with pytest.raises(GapInfeasible, match=r"total capacity 2 < 3 jobs"):
        solve_gap(np.ones((2, 3)), np.ones((2, 3)), np.array([1, 1]))


def test_infeasible_capacities() -> None:
    # Each agent holds one weight-3 job; three jobs cannot fit although each fits alone.
    with pytest.raises(GapInfeasible, match=r"no assignment satisfies the capacities"):
        solve_gap(np.ones((2, 3)), np.full((2, 3), 3), np.array([4, 4]))


def test_infeasible_unit_with_mask() -> None:
    # Total room suffices (3 places for 3 jobs), but jobs 0 and 1 may only go to agent 0,
    # which holds one: only the solver can tell.
    allowed = np.array([[True, True, True], [False, False, True], [False, False, True]])
    with pytest.raises(GapInfeasible, match=r"capacities and the allowed pairs"):
        solve_gap(np.ones((3, 3)), np.ones((3, 3)), np.array([1, 1, 1]), allowed=allowed)


def test_infeasible_job_without_agent() -> None:
    allowed = np.array([[True, False], [True, False]])
    with pytest.raises(GapInfeasible, match=r"jobs 1"):
        solve_gap(np.ones((2, 2)), np.ones((2, 2)), np.array([2, 2]), allowed=allowed)


def test_lp_method_rejects_general_weights() -> None:
    inst = instance("gap1", 1)
    with pytest.raises(ValueError, match="every allowed weight to be 1"):
        solve_gap(inst.profit, inst.weight, inst.capacity, method="lp")


def test_deterministic_with_ties() -> None:
    # All profits equal: many optima, the same one must come back every time.
    rng = np.random.default_rng(7)
    profit = np.full((4, 20), 5)
    weight = rng.integers(1, 5, size=(4, 20))
    capacity = np.full(4, 20)
    for method in ("milp", "auto"):
        w = weight if method == "milp" else np.ones_like(weight)
        first = solve_gap(profit, w, capacity, method=method)
        second = solve_gap(profit, w, capacity, method=method)
        assert first[0] == second[0]
        assert np.array_equal(first[1], second[1])
    inst = instance("gap2", 3)
    a = solve_gap(inst.profit, inst.weight, inst.capacity)
    b = solve_gap(inst.profit, inst.weight, inst.capacity)
    assert np.array_equal(a[1], b[1])


def test_no_jobs() -> None:
    result = solve_gap_result(np.zeros((2, 0)), np.zeros((2, 0)), np.array([1, 1]))
    assert result.objective == 0.0
    assert result.assignment.shape == (0,)


def test_time_limit_marks_unproven_result() -> None:
    # Timing-dependent outcome, so accept each legal one: no solution (GapNotSolved), a
    # feasible but unproven assignment (FEASIBLE, with its gap), or a proven optimum.
    inst = read_orlib(DATA / "gap12.txt")[2]
    try:
        result = solve_gap_result(inst.profit, inst.weight, inst.capacity, time_limit=0.02)
    except GapNotSolved as exc:
        assert "time_limit" in str(exc)
        return
    check_feasible(inst.profit, inst.weight, inst.capacity, result.assignment, result.objective)
    if result.status == Status.FEASIBLE:
        assert result.objective <= 1433 and result.gap is not None and result.gap >= 0
    else:
        assert result.status == Status.OPTIMAL and result.objective == 1433


@pytest.mark.parametrize(("name", "problem"), CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_orlib_optimum_through_the_cadre_exact_path(name: str, problem: int) -> None:
    """The cadre model's exact path (issue 14: warm LP, the MIP over the fractional jobs, the
    whole MIP when that one falls short of the LP bound) reaches the published optima, and its
    proof says how: the bound reached, or the whole MIP."""
    from solver.cadres.exact import WarmModel, solve_integral
    from solver.cadres.gap import _build

    inst = instance(name, problem)
    allowed = np.ones(inst.profit.shape, dtype=bool)
    lp, agent_idx, job_idx = _build(inst.profit, inst.weight, inst.capacity, allowed,
                                    integer=False)
    sol, method, proof = solve_integral(WarmModel(lp, "highs"), job_idx, None, 0,
                                        whole_costs=True)
    assert sol.status == Status.OPTIMAL
    assignment = np.full(inst.profit.shape[1], -1)
    chosen = np.round(sol.x) > 0.5
    assignment[job_idx[chosen]] = agent_idx[chosen]
    check_feasible(inst.profit, inst.weight, inst.capacity, assignment, -sol.objective)
    assert -sol.objective == OPTIMA[name][problem - 1]
    assert proof.objective == sol.objective and proof.lp_bound <= sol.objective + 1e-9
    assert method in ("lp", "lp+component milp", "milp")
    assert proof.reaches_bound == (method != "milp")
