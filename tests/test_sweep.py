"""Sweeps: every grid point as a plan folder, one long results table, local or on Dask."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from solver.errors import ScenarioError
from solver.sweep import grid, run_sweep

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "scenarios" / "bazhong-2021.yaml"
RATES = [0.02, 0.05, 0.08]
ISSUE_METRICS = {"status", "met.key", "met.emergency", "met.operational",
                 "reserve.administrative", "reserve.institution", "reserve.political_legal",
                 "moves", "cross_system_moves", "cadres.group", "cadres.return",
                 "cadres.early_retirement", "cadres.transfer", "cadres.stay"}


def bianzhi(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "solver.cli", *args], check=False,
                          capture_output=True, text=True, cwd=REPO)


def sweep_file(folder: Path, name: str, sweep: str) -> Path:
    """A scenario in `folder` extending the bundled city, with the given sweep: block."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(f"extends: {BUNDLED}\nname: {name}\nsweep:\n{sweep}", encoding="utf-8")
    return path


def without_timings(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["metric"] != "seconds"].reset_index(drop=True)


@pytest.fixture(scope="module")
def reserve(tmp_path_factory):
    """A three-point reserve sweep of the bundled city, through the CLI on 2 local workers."""
    base = tmp_path_factory.mktemp("sweep")
    scenario = sweep_file(base, "reserve", f"  policy.reserve_rate: {RATES}\n")
    out = base / "local"
    result = bianzhi("sweep", str(scenario), "--out", str(out), "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert "3 points on 2 local workers" in result.stdout
    (base / "stdout.txt").write_text(result.stdout, encoding="utf-8")  # for the wide table
    return scenario, out, pd.read_csv(out / "results.csv")


def test_grid_order():
    assert grid({"a": [1, 2], "b": ["x", "y"]}) == [
        (("a", 1), ("b", "x")), (("a", 1), ("b", "y")), (("a", 2), ("b", "x")),
        (("a", 2), ("b", "y"))]


def test_results_table_shape_and_metrics(reserve):
    _, _, table = reserve
    assert list(table.columns) == ["point", "policy.reserve_rate", "metric", "value"]
    assert list(table["point"].unique()) == ["p000", "p001", "p002"]
    for point, rate in zip(["p000", "p001", "p002"], RATES):
        rows = table[table["point"] == point]
        assert set(rows["policy.reserve_rate"]) == {rate}
        assert ISSUE_METRICS <= set(rows["metric"])
        assert rows.set_index("metric").loc["status", "value"] == "optimal"


def test_results_wide_the_terminal_table_and_the_chart_say_the_same(reserve):
    """results_wide.csv has one row per point with every metric of results.csv; the terminal
    shows the main figures per point in full (piped: no column cut); sweep.html charts met per
    tier against the swept value."""
    import json
    import re

    _, out, table = reserve
    wide = pd.read_csv(out / "results_wide.csv")
    assert list(wide["point"]) == ["p000", "p001", "p002"]
    assert list(wide["policy.reserve_rate"]) == RATES
    long = table.pivot(index="point", columns="metric", values="value")
    for metric in ("met.key", "met.operational", "moves", "unmet"):
        assert wide[metric].astype(str).tolist() == long.loc[wide["point"], metric].tolist()
    printed = (out.parent / "stdout.txt").read_text(encoding="utf-8")
    assert "满足编制（保运转）" in printed and "留存空编（事业编制）" in printed
    for _, row in wide.iterrows():
        line = next(x for x in printed.splitlines() if f" {row['point']} " in x)
        assert re.search(rf"\b{row['met.operational']}\b", line)
    page = (out / "sweep.html").read_text(encoding="utf-8")
    found = re.search(r'Plotly\.newPlot\(\s*"chart-sweep-met",\s*', page)
    traces, _ = json.JSONDecoder().raw_decode(page, found.end())
    operational = next(t for t in traces if t["name"] == "保运转")
    assert operational["x"] == [str(r) for r in RATES]


def test_every_point_is_a_plan_folder_that_verifies(reserve):
    _, out, _ = reserve
    for point, rate in zip(["p000", "p001", "p002"], RATES):
        folder = out / point
        assert (folder / "summary.json").exists() and (folder / "moves.csv").exists()
        result = bianzhi("verify", str(folder))
        assert result.returncode == 0, result.stderr
        assert "every hard rule holds" in result.stdout
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        assert summary["scenario"]["policy"]["reserve_rate"] == rate
        assert summary["scenario"]["resolution"]["point"] == {"policy.reserve_rate": rate}
        assert summary["scenario"]["resolution"]["files"][-1].endswith("reserve.yaml")


def test_results_match_the_plan_folders(reserve):
    _, out, table = reserve
    for point in ("p000", "p002"):
        summary = json.loads((out / point / "summary.json").read_text(encoding="utf-8"))
        values = table[table["point"] == point].set_index("metric")["value"]
        assert int(values["met.operational"]) == summary["met"]["operational"]["met"]
        assert int(values["moves"]) == summary["moves"]["count"]
        assert int(values["cross_system_moves"]) == summary["moves"]["cross_system"]
        assert int(values["reserve.institution"]) == \
            summary["reserve"]["institution"]["vacancy_after"]
        for option, count in summary["cadres"]["by_option"].items():
            assert int(values[f"cadres.{option}"]) == count


def test_more_reserve_never_meets_more_operational_demand(reserve):
    _, _, table = reserve
    met = table[table["metric"] == "met.operational"].sort_values("policy.reserve_rate")
    values = met["value"].astype(int).tolist()
    assert values == sorted(values, reverse=True)
    assert values[0] > values[-1]
    kept = table[table["metric"] == "reserve.institution"].sort_values("policy.reserve_rate")
    assert kept["value"].astype(int).is_monotonic_increasing


def test_failing_points_are_reported_and_do_not_stop_the_others(tmp_path):
    """Key demands hard is infeasible on the bundled city; 1.5 is no reserve rate."""
    scenario = sweep_file(tmp_path, "fails", "  policy.key_demands_hard: [false, true]\n"
                                             "  policy.reserve_rate: [0.03, 1.5]\n")
    out = tmp_path / "out"
    result = bianzhi("sweep", str(scenario), "--out", str(out), "--workers", "2")
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    table = pd.read_csv(out / "results.csv", keep_default_na=False)
    assert list(table.columns) == ["point", "policy.key_demands_hard", "policy.reserve_rate",
                                   "metric", "value"]
    status = table[table["metric"] == "status"].set_index("point")["value"].to_dict()
    assert status == {"p000": "optimal", "p001": "error", "p002": "error", "p003": "error"}
    errors = table[table["metric"] == "error"].set_index("point")["value"]
    assert "hard key demands cannot all be met" in errors["p002"]
    for point in ("p001", "p003"):
        assert "sweep point: policy.reserve_rate" in errors[point]
        assert "between 0 and 1" in errors[point]
    assert (out / "p000" / "summary.json").exists()
    assert not any((out / p).exists() for p in ("p001", "p002", "p003"))
    for point in ("p001", "p002", "p003"):
        assert f"point {point} failed" in result.stderr
    assert bianzhi("verify", str(out / "p000")).returncode == 0


def test_a_scenario_without_a_sweep(tmp_path):
    result = bianzhi("sweep", str(BUNDLED), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "no `sweep:` grid" in result.stderr
    assert not (tmp_path / "out").exists()
    with pytest.raises(ScenarioError, match="no `sweep:` grid"):
        run_sweep(BUNDLED, tmp_path / "out")


def test_a_bad_sweep_value_everywhere_is_still_one_result_per_point(tmp_path):
    """run_sweep in-process: a point that cannot even be resolved fails alone."""
    scenario = sweep_file(tmp_path, "bad", "  solver.name: [highs, glpk]\n")
    table = run_sweep(scenario, tmp_path / "out", workers=1)
    status = table[table["metric"] == "status"].set_index("point")["value"].to_dict()
    assert status == {"p000": "optimal", "p001": "error"}
    error = table[(table["metric"] == "error")]["value"].iloc[0]
    assert "solver.name" in error and "glpk" in error


# ---------------------------------------------------------------- on a Dask cluster


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    try:
        yield cluster
    finally:
        cluster.close()


def test_the_same_sweep_on_a_dask_cluster(reserve, cluster, tmp_path):
    scenario, _, local = reserve
    out = tmp_path / "dask"
    result = bianzhi("sweep", str(scenario), "--out", str(out),
                     "--scheduler", cluster.scheduler_address)
    assert result.returncode == 0, result.stderr
    assert f"on the Dask cluster at {cluster.scheduler_address}" in result.stdout
    remote = pd.read_csv(out / "results.csv")
    pd.testing.assert_frame_equal(without_timings(remote), without_timings(local))
    for point in ("p000", "p001", "p002"):
        assert bianzhi("verify", str(out / point)).returncode == 0
    assert "run_point" in cluster.scheduler.task_prefixes


def test_run_sweep_on_dask_reports_failures_like_the_local_run(cluster, tmp_path):
    scenario = sweep_file(tmp_path, "mixed", "  policy.reserve_rate: [0.03, 1.5]\n")
    remote = run_sweep(scenario, tmp_path / "dask", scheduler=cluster.scheduler_address)
    local = run_sweep(scenario, tmp_path / "local", workers=2)
    pd.testing.assert_frame_equal(without_timings(remote), without_timings(local))
    status = remote[remote["metric"] == "status"].set_index("point")["value"].to_dict()
    assert status == {"p000": "optimal", "p001": "error"}
    assert (tmp_path / "dask" / "p000" / "summary.json").exists()
    assert not (tmp_path / "dask" / "p001").exists()
