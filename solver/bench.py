"""`bianzhi bench`: time the phases of a run per solver on the user's data or scenario.

The pipeline is the one `bianzhi run` follows, phase by phase: load (read, validate and the
scenario's data edits), surplus cadres and mergers (`solver.runner.prelude`, when the
scenario has them), then building and solving the reallocation model with each solver. Each
phase is repeated R times; medians and spread (min–max) are reported. The tier totals —
quotas met per tier, counted as the plan counts them (transfers with a person included) —
must agree between the solvers, and equal `met` in the run's summary.json. Not timed: the
explanations, marginal values, the off-quota plan, verification and writing the plan folder.
"""

from __future__ import annotations

import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from solver.domain import TIER_ORDER
from solver.scenario import Scenario
from solver.solve import solve, to_pulp


def _stats(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 4), "min": round(min(values), 4),
            "max": round(max(values), 4), "runs": len(values)}


def tier_totals(inst, net, x) -> dict[str, int]:
    """Quotas met per tier in a solution, transfers with a person included (as in the plan)."""
    from solver.quotas.extract import met_by_tier_block

    per_block = met_by_tier_block(inst, net, np.round(x))
    moved = inst.demands.groupby("tier")["transferred"].sum()
    return {t: int(per_block[t].sum()) + int(moved.get(t, 0)) for t in TIER_ORDER}


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_bench(scenario: Scenario, solvers: list[str], repeat: int = 3,
              formulation: str = "tree", pulp_build: bool = False) -> dict:
    """Time each phase of the scenario's run `repeat` times."""
    from solver.quotas.allpairs import build_all_pairs
    from solver.quotas.network import build, prepare
    from solver.runner import load_data, prelude

    builder = build if formulation == "tree" else build_all_pairs
    times: dict[str, list[float]] = {"load": [], "cadres": [], "consolidation": [],
                                     "build": []}
    solve_t: dict[str, list[float]] = {s: [] for s in solvers}
    pulp_t: list[float] = []
    totals: dict[str, dict[str, int]] = {}
    statuses: dict[str, str] = {}
    size = {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        ds = load_data(scenario)
        times["load"].append(time.perf_counter() - t0)
        before = prelude(scenario, ds)
        for phase in ("cadres", "consolidation"):
            if phase in before.timings:
                times[phase].append(before.timings[phase])
        t0 = time.perf_counter()
        inst = prepare(ds, scenario.policy, people=before.people, mergers=before.merges)
        net = builder(inst)
        times["build"].append(time.perf_counter() - t0)
        size = {"units": len(ds.units), "quota_rows": len(inst.rows),
                "demands": len(inst.demands), "arcs": net.lp.num_cols,
                "nodes": net.lp.num_rows}
        if pulp_build:
            t0 = time.perf_counter()
            to_pulp(net.lp)
            pulp_t.append(time.perf_counter() - t0)
        for name in solvers:
            t0 = time.perf_counter()
            sol = solve(net.lp, name)
            solve_t[name].append(time.perf_counter() - t0)
            statuses[name] = sol.status.value
            if sol.status.has_solution:
                totals[name] = tier_totals(inst, net, sol.x)
    agree = len({tuple(sorted(t.items())) for t in totals.values()}) <= 1
    result = {
        "data": str(scenario.data_path), "scenario": scenario.name, "formulation": formulation,
        "size": size, **{phase: _stats(t) for phase, t in times.items() if t},
        "solve": {name: _stats(t) for name, t in solve_t.items()},
        "status": statuses, "tier_totals": totals, "solvers_agree": agree,
        "peak_memory_mb": round(peak_memory_mb(), 1),
    }
    if pulp_t:
        result["pulp_build"] = _stats(pulp_t)
    return result


def generated_data(scale: int | str, seed: int = 2021) -> Path:
    """A generated data set written to a temporary folder (kept for the process).

    Without the staff register: no plan reads it, and at province scale reading its ~1.4
    million rows would take most of the load time the benchmarks measure.
    """
    from solver.generate import generate
    from solver.io.write import write_csv_folder

    folder = Path(tempfile.mkdtemp(prefix=f"bianzhi-bench-{scale}-")) / "data"
    write_csv_folder(generate("bazhong-2021", scale, seed, staff=False), folder)
    return folder
