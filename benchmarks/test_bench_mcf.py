"""The solver floor (issue 14): the province network solved by a dedicated min-cost-flow code.

The reallocation model is a pure network (`solver.quotas.network.incidence_lp`: flow
conservation at every inner node, bounds on arcs, linear costs), so OR-Tools'
`SimpleMinCostFlow` (a cost-scaling push-relabel code) solves the same problem. It is measured
here as the floor the whole `bianzhi run` is compared against — it is not a runtime
dependency: HiGHS stays the solver (see benchmarks/README.md for why no `--solver mcf`).

The network is handed over as it is: arcs into or out of the network (tail or head -1) meet at
one extra node (the flow is a circulation, so that node balances); a lower bound l > 0 is
moved into the supplies (the tail sends l, the head receives l) and the cost c·l added back;
an unbounded arc gets the total of every finite capacity (more than any flow can use). The
costs are fractions (the tie-breaks by appraisal divide), so they are handed over as integers
in millionths: the flows OR-Tools returns are then costed at the model's own costs and must
reach HiGHS's optimum (to a millionth of it).

    pip install ortools        # or: pip install -e '.[bench]'
    python -m pytest benchmarks/test_bench_mcf.py --benchmark-enable -p no:cacheprovider \
        --benchmark-columns=median,min,max,rounds -s
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from solver.bench import generated_data
from solver.quotas.network import Network, build, prepare
from solver.scenario import Policy
from solver.solve import HighsSession
from solver.validate import load

pywrapgraph = pytest.importorskip("ortools.graph.python.min_cost_flow",
                                  reason="OR-Tools is an optional benchmark dependency")

COST_SCALE = 10**6  # integer costs for OR-Tools: millionths


def ortools_problem(net: Network):
    """The network as a `SimpleMinCostFlow` and the cost its lower bounds carry."""
    extra = net.node_count  # where the arcs from and to the outside meet
    tail = np.where(net.tail >= 0, net.tail, extra)
    head = np.where(net.head >= 0, net.head, extra)
    lower = np.round(net.lower).astype(np.int64)
    finite = np.isfinite(net.upper)
    big = int(np.round(net.upper[finite] - net.lower[finite]).sum()) + 1
    capacity = np.where(finite, np.round(np.where(finite, net.upper, 0)) - lower, big)
    cost = np.round(net.cost * COST_SCALE).astype(np.int64)
    supply = np.zeros(extra + 1, dtype=np.int64)
    np.add.at(supply, tail, -lower)
    np.add.at(supply, head, lower)
    smcf = pywrapgraph.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tail, head, capacity.astype(np.int64), cost)
    smcf.set_nodes_supplies(np.arange(extra + 1), -supply)
    return smcf


def solve_mcf(net: Network) -> tuple[float, np.ndarray]:
    """The cost (at the model's own costs) and the flows OR-Tools finds optimal."""
    smcf = ortools_problem(net)
    status = smcf.solve()
    assert status == smcf.OPTIMAL, status
    flows = smcf.flows(np.arange(len(net.tail))) + np.round(net.lower)
    return float(net.cost @ flows), flows


def solve_highs(net: Network) -> tuple[float, np.ndarray]:
    """The engine's own solve (`solver.quotas.engine._run`: one HiGHS session)."""
    sol = HighsSession(net.lp).run()
    assert sol.status.value == "optimal"
    return float(sol.objective), np.round(sol.x)


@pytest.fixture(scope="module")
def province_network():
    ds = load(generated_data("province"))
    return build(prepare(ds, Policy()))


def test_mcf_and_highs_agree_on_a_city(benchmark):
    """Same optimum on the bundled city's network (a check that the conversion is exact)."""
    from pathlib import Path

    ds = load(Path(__file__).resolve().parents[1] / "scenarios" / "bazhong-2021")
    net = build(prepare(ds, Policy()))
    cost, flows = benchmark.pedantic(solve_mcf, args=(net,), rounds=1, iterations=1)
    assert cost == pytest.approx(solve_highs(net)[0], rel=1e-6)
    # the flows are feasible: conserved at every node, within bounds
    assert (flows >= net.lower - 1e-9).all() and (flows <= net.upper + 1e-9).all()
    assert np.abs(net.lp.A @ flows).max() < 1e-9


@pytest.mark.slow
def test_province_floor(benchmark, province_network):
    """HiGHS against OR-Tools on the province network, paired in one run (median of 3 each);
    the ratio is written to extra_info and benchmarks/README.md."""
    net = province_network
    highs_s, mcf_s = [], []
    for _ in range(3):
        t = time.perf_counter()
        highs_cost, _ = solve_highs(net)
        highs_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        mcf_cost, _ = solve_mcf(net)
        mcf_s.append(time.perf_counter() - t)
        assert mcf_cost == pytest.approx(highs_cost, rel=1e-6)
    benchmark.pedantic(solve_mcf, args=(net,), rounds=1, iterations=1)
    benchmark.extra_info.update(arcs=len(net.tail), nodes=net.node_count,
                                highs_s=float(np.median(highs_s)),
                                mcf_s=float(np.median(mcf_s)),
                                ratio=float(np.median(highs_s) / np.median(mcf_s)))
    print(f"\nprovince network: {len(net.tail)} arcs, {net.node_count} nodes; "
          f"HiGHS {np.median(highs_s):.3f} s, OR-Tools min-cost flow {np.median(mcf_s):.3f} s "
          f"(ratio {np.median(highs_s) / np.median(mcf_s):.2f})")
