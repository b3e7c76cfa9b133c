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


# ---------------------------------------------------------------- issue 14: one load per worker


def csv_files(folder: Path) -> dict[str, bytes]:
    """A plan folder's CSV files (years/ included) by relative path, as bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.csv"))}


def test_points_have_no_workbook_unless_asked(reserve, tmp_path):
    """The same sweep on 1 worker with --xlsx: the same CSVs point by point (deterministic
    across worker counts, though one worker runs every point on the data it keeps), and a
    plan.xlsx beside them that verify checks; without --xlsx there is none."""
    scenario, local, table = reserve
    out = tmp_path / "one"
    result = bianzhi("sweep", str(scenario), "--out", str(out), "--workers", "1", "--xlsx")
    assert result.returncode == 0, result.stderr
    pd.testing.assert_frame_equal(without_timings(pd.read_csv(out / "results.csv")),
                                  without_timings(table))
    for point in ("p000", "p001", "p002"):
        assert not (local / point / "plan.xlsx").exists()
        assert (out / point / "plan.xlsx").is_file()
        assert csv_files(out / point) == csv_files(local / point)
    assert bianzhi("verify", str(out / "p001")).returncode == 0


def test_a_point_folder_equals_a_separate_run(reserve, tmp_path):
    """A point's CSVs are those of `run --set` with the point's value (the kept data and the
    skipped workbook change nothing else)."""
    _, local, _ = reserve
    for point, rate in (("p000", RATES[0]), ("p002", RATES[2])):
        out = tmp_path / point
        result = bianzhi("run", str(BUNDLED), "--set", f"policy.reserve_rate={rate}",
                         "--out", str(out))
        assert result.returncode == 0, result.stderr
        assert csv_files(local / point) == csv_files(out)


@pytest.fixture
def counted_loads(monkeypatch):
    """Count the reads of input files and the data_edits applied, with no data kept yet."""
    import solver.edits
    import solver.sweep
    import solver.validate

    calls = {"load": [], "edits": 0}
    load, apply_edits = solver.validate.load, solver.edits.apply_edits

    def counting_load(path, *args, **kwargs):
        calls["load"].append(Path(path).name)
        return load(path, *args, **kwargs)

    def counting_edits(*args, **kwargs):
        calls["edits"] += 1
        return apply_edits(*args, **kwargs)

    monkeypatch.setattr(solver.validate, "load", counting_load)
    monkeypatch.setattr(solver.edits, "apply_edits", counting_edits)
    monkeypatch.setattr(solver.sweep, "_kept", type(solver.sweep._kept)())
    return calls


def test_a_worker_reads_the_data_once_and_again_only_when_it_changes(counted_loads, tmp_path):
    """Points in one process: the files are read once; a point's data_edits are applied to the
    kept data (once per distinct edits); another data path, a data file changed since, or
    other leader-post limits read the files again."""
    import os
    import shutil

    from solver.scenario import load_scenario
    from solver.sweep import PointTask, point_data, run_point

    copy = tmp_path / "city"
    shutil.copytree(REPO / "scenarios" / "bazhong-2021", copy)
    scenario = sweep_file(tmp_path, "points", "  policy.reserve_rate: [0.03]\n")
    edit = ("data_edits=[{table: demands, where: [{column: tier, op: ==, value: emergency}], "
            "scale: {amount: 1.5}}]")

    def point(name: str, sets: tuple[str, ...] = (), rate: float = 0.03) -> dict:
        task = PointTask(name, str(scenario), sets, (), (("policy.reserve_rate", rate),),
                         str(tmp_path / name))
        result = run_point(task)
        assert result["ok"], result.get("error")
        return result["metrics"]

    first = point("a")
    point("b", rate=0.05)
    assert counted_loads == {"load": ["bazhong-2021"], "edits": 0}
    edited = point("c", (edit,))
    point("d", (edit,), rate=0.05)
    assert counted_loads == {"load": ["bazhong-2021"], "edits": 1}
    assert edited["met.emergency"] != first["met.emergency"]  # the edit took effect
    point("e", (f"data={copy}",))
    assert counted_loads["load"] == ["bazhong-2021", "city"]
    demands = copy / "demands.csv"
    os.utime(demands, ns=(demands.stat().st_atime_ns, demands.stat().st_mtime_ns + 10**9))
    point("f", (f"data={copy}",))
    assert counted_loads["load"] == ["bazhong-2021", "city", "city"]
    # other leader-post limits: the data is checked against them again
    limits = load_scenario(scenario, ["leader_posts.share_fallback=0.2"])
    assert point_data(limits).leaders.share_fallback == 0.2
    assert counted_loads["load"] == ["bazhong-2021", "city", "city", "bazhong-2021"]


def test_kept_data_is_what_load_data_gives(tmp_path):
    """point_data mirrors solver.edits.load_data: tables, warnings and checksum alike, with and
    without data_edits."""
    from solver.edits import load_data
    from solver.scenario import load_scenario
    from solver.sweep import point_data

    for path in (BUNDLED, REPO / "scenarios" / "epidemic.yaml"):
        scenario = load_scenario(path)
        kept, read = point_data(scenario), load_data(scenario)
        assert kept.checksum == read.checksum
        assert [str(w) for w in kept.warnings] == [str(w) for w in read.warnings]
        assert kept.tables().keys() == read.tables().keys()
        for name, frame in read.tables().items():
            pd.testing.assert_frame_equal(kept.tables()[name], frame)
        assert point_data(scenario) is kept


def test_a_worker_keeps_a_few_datasets_at_most(monkeypatch):
    """A Dask worker outlives a sweep: the oldest kept inputs go beyond KEPT_DATA."""
    from solver import sweep

    monkeypatch.setattr(sweep, "_kept", type(sweep._kept)())
    for i in range(sweep.KEPT_DATA + 2):
        assert sweep._kept_or_load(("k", i), lambda i=i: f"data {i}") == f"data {i}"
    assert list(sweep._kept) == [("k", i) for i in range(2, sweep.KEPT_DATA + 2)]
    assert sweep._kept_or_load(("k", 2), lambda: "read again") == "data 2"
