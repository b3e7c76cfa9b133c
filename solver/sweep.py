"""Sweeps: every point of a scenario's `sweep` grid as its own plan, on local worker
processes or on a dask.distributed cluster, gathered in one long results table.

A point is the scenario with the swept keys set (priority: above data_edits, below --set —
see `solver.scenario.resolve_priority`). A failing point is reported in the table and does
not stop the others.

A worker reads and validates the inputs once and keeps them (`point_data`): its points differ
only in the scenario, so each applies its own data_edits to the kept data instead of reading
the files again (issue 14: re-reading and plan.xlsx were most of a point's time). A point's
folder has no plan.xlsx unless asked (`formats`).
"""

from __future__ import annotations

import itertools
import json
import math
import multiprocessing
import os
import sys
import threading
import time
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from solver.errors import BianzhiError, ScenarioError
from solver.gcpause import paused_gc
from solver.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    from solver.validate import Dataset

MAX_POINTS = 1000  # a sweep's default limit of grid points (bianzhi sweep --max-points N)
METRIC_ORDER = ("status", "met.key", "met.emergency", "met.operational")
# inputs a worker keeps: the base data and the data_edits results of its recent points (a
# Dask worker outlives a sweep; a sweep over data paths or data_edits must not fill memory)
KEPT_DATA = 4
_kept: OrderedDict[tuple, Dataset] = OrderedDict()
_kept_lock = threading.Lock()  # a Dask worker may run points on several threads


@dataclass(frozen=True)
class PointTask:
    """Everything a worker needs to run one point (plain data: it travels to other hosts)."""

    name: str
    scenario: str
    sets: tuple[str, ...]
    apply: tuple[str, ...]
    values: tuple[tuple[str, Any], ...]
    out_dir: str
    formats: tuple[str, ...] = ("csv",)  # plan.xlsx too when "xlsx" is in it (sweep --xlsx)


def grid(sweep: dict[str, list[Any]]) -> list[tuple[tuple[str, Any], ...]]:
    """The cartesian product of the swept values, in file order (last key varies fastest)."""
    keys = list(sweep)
    return [tuple(zip(keys, combo)) for combo in itertools.product(*(sweep[k] for k in keys))]


def metrics(summary: dict) -> dict[str, Any]:
    """The figures a sweep compares: the plan's KPIs (`solver.plan.kpis`, as in compare)."""
    from solver.plan import kpis

    return kpis(summary)


def files_stamp(path: Path) -> tuple:
    """The data path's files as (name, size, modification time): kept data is used again
    only while its files are unchanged (a Dask worker may serve a later sweep on edited
    files)."""
    def stamp(p: Path) -> tuple:
        st = p.stat()
        return (p.name, st.st_size, st.st_mtime_ns)

    try:
        if path.is_dir():
            return (stamp(path), *(stamp(p) for p in sorted(path.iterdir())))
        return (stamp(path),)
    except OSError:
        return ()  # missing or unreadable: loading names the problem (and nothing is kept)


def point_data(scenario: Scenario) -> Dataset:
    """The point's inputs exactly as `solver.edits.load_data` gives them, from the data this
    worker keeps: the files are read and validated once per data path, leader-post limits and
    file stamp; the point's data_edits are applied to that (and validated again, as
    `load_data` does), once per distinct set of edits. A point that changes the data path,
    the limits or the edits gets its own entry; nothing a point runs changes a Dataset."""
    from solver.edits import apply_edits
    from solver.validate import load

    rules = scenario.leader_posts.rules()
    base_key = ("base", str(scenario.data_path), repr(rules), files_stamp(scenario.data_path))
    ds = _kept_or_load(base_key, lambda: load(scenario.data_path, rules))
    if not scenario.data_edits:
        return ds
    # a problem in an edited table is placed in the scenario file that edits it (as load_data)
    where = scenario.sources[-1] if scenario.sources else scenario.name
    label = f"{where} (data_edits)"
    edits = json.dumps([e.model_dump(mode="json") for e in scenario.data_edits],
                       sort_keys=True)
    return _kept_or_load(("edited", base_key, label, edits),
                         lambda: apply_edits(ds, scenario.data_edits, label))


def _kept_or_load(key: tuple, load) -> Dataset:
    """The kept Dataset for key, else load() it and keep it (the oldest beyond KEPT_DATA go)."""
    with _kept_lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
        ds = load()
        _kept[key] = ds
        while len(_kept) > KEPT_DATA:
            _kept.popitem(last=False)
        return ds


def warm(scenario_path: str, sets: tuple[str, ...], apply: tuple[str, ...]) -> None:
    """Make a process ready for points: import the pipeline and keep the scenario's data.

    Run in the parent before the local workers fork (they inherit both) and as each worker's
    initializer (a no-op then; it does the work where workers are spawned, not forked). A
    failure is left to the points, which report it one by one."""
    import solver.plan  # the run, verify and write modules
    import solver.runner  # noqa: F401

    try:
        point_data(load_scenario(scenario_path, list(sets), list(apply)))
    except Exception:  # noqa: BLE001 (an initializer that raises breaks the whole pool)
        return


def run_point(task: PointTask) -> dict[str, Any]:
    """Run, verify and write one point; never raises (the error goes in the result). The
    cyclic collector is paused for the point and run once after it (`solver.gcpause`)."""
    with paused_gc(collect_after=True):
        return _run_point(task)


def _run_point(task: PointTask) -> dict[str, Any]:
    from solver.plan import build_summary, write_plan
    from solver.runner import checked_plan

    start = time.perf_counter()
    try:
        scenario = load_scenario(task.scenario, list(task.sets), list(task.apply),
                                 point=[(k.split("."), v) for k, v in task.values])
        ds = point_data(scenario)
        plan = checked_plan(scenario, ds)
        summary = build_summary(plan)
        write_plan(plan, task.out_dir, summary=summary, formats=task.formats)
        return {"name": task.name, "ok": True, "metrics": metrics(summary),
                "seconds": time.perf_counter() - start, "pid": os.getpid()}
    except BianzhiError as exc:
        return {"name": task.name, "ok": False, "error": str(exc).replace("\n", " "),
                "seconds": time.perf_counter() - start, "pid": os.getpid()}
    except Exception as exc:  # a bug at one point must not sink the sweep
        return {"name": task.name, "ok": False,
                "error": f"internal error: {exc.__class__.__name__}: {exc}",
                "seconds": time.perf_counter() - start, "pid": os.getpid()}


def tasks_for(scenario_path: Path, out: Path, sets: list[str], apply: list[str],
              max_points: int = MAX_POINTS, scenario: Scenario | None = None,
              formats: tuple[str, ...] = ("csv",)) -> list[PointTask]:
    """One task per grid point of the scenario's sweep; a grid above max_points is refused."""
    scenario = scenario or load_scenario(scenario_path, sets, apply)
    if not scenario.sweep:
        raise ScenarioError(f"{scenario_path}: no `sweep:` grid in the scenario (e.g. "
                            "sweep: {policy.reserve_rate: [0.02, 0.03, 0.05]})")
    # counted, not listed: a grid of a few long lists can be astronomically large
    count = math.prod(len(v) for v in scenario.sweep.values())
    if count > max_points:
        sizes = " × ".join(f"{len(v)} ({k})" for k, v in scenario.sweep.items())
        raise ScenarioError(f"{scenario_path}: the sweep would run {count:,} points ({sizes}), "
                            f"more than the limit of {max_points:,}; narrow the grid or raise "
                            f"the limit with --max-points {count}")
    points = grid(scenario.sweep)
    width = max(3, len(str(len(points) - 1)))
    return [PointTask(f"p{i:0{width}d}", str(Path(scenario_path).resolve()), tuple(sets),
                      tuple(apply), values, str(out / f"p{i:0{width}d}"), tuple(formats))
            for i, values in enumerate(points)]


def _progress(total: int):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    return Progress("[progress.description]{task.description}", BarColumn(),
                    MofNCompleteColumn(), TimeElapsedColumn(),
                    disable=not sys.stderr.isatty(), transient=True)


def run_sweep(scenario_path: Path, out: Path, workers: int = 2, scheduler: str | None = None,
              sets: list[str] | None = None, apply: list[str] | None = None,
              max_points: int = MAX_POINTS, pages=None, xlsx: bool = False) -> pd.DataFrame:
    """Run every point; write DIR/<point>/, DIR/results.csv (long: point, swept keys, metric,
    value) and DIR/results_wide.csv (one row per point); return the long results table.

    A point's folder is a plan folder without plan.xlsx unless `xlsx` (sweep --xlsx): a
    sweep is read through its results, and the workbook cost as much as the point's run.

    `pages(wide, keys)` → {file name: text} adds pages made from the results (the command
    line passes the report layer's sweep.html), written with the rest, atomically."""
    from solver.io.outdir import claim_output

    out = Path(out)
    # every check (the grid's size among them) before the output folder exists
    scenario = load_scenario(scenario_path, list(sets or []), list(apply or []))
    tasks = tasks_for(scenario_path, out, list(sets or []), list(apply or []), max_points,
                      scenario, ("csv", "xlsx") if xlsx else ("csv",))
    inputs = [scenario.data_path, *(Path(f) for f in scenario.sources)]
    # every point is written inside a temporary folder; the sweep folder is put in place
    # (or replaces an earlier sweep) only when all points are done
    with claim_output(out, "sweep", inputs) as folder:
        tasks = [replace(t, out_dir=str(folder.tmp / Path(t.out_dir).name)) for t in tasks]
        results = _run_tasks(tasks, workers, scheduler)
        table = results_table(tasks, results)
        table.to_csv(folder.tmp / "results.csv", index=False, lineterminator="\n")
        keys = [k for k, _ in tasks[0].values] if tasks else []
        wide = wide_table(table, keys)
        wide.to_csv(folder.tmp / "results_wide.csv", index=False, lineterminator="\n")
        for name, text in (pages(wide, keys) if pages else {}).items():
            (folder.tmp / name).write_text(text, encoding="utf-8")
        folder.commit()
    return table


def _run_tasks(tasks: list[PointTask], workers: int, scheduler: str | None
               ) -> list[dict[str, Any]]:
    """Run the points on local worker processes or a Dask cluster; results as they finish.

    Local workers start ready (`warm`): forked, they inherit the parent's imports and data;
    a Dask worker keeps the data its first point loads for the points after it."""
    results: list[dict] = []
    ready = (tasks[0].scenario, tasks[0].sets, tasks[0].apply) if tasks else None
    if ready and not scheduler and multiprocessing.get_start_method() == "fork":
        # once here rather than once per worker: the same wall time on idle cores, half the
        # CPU on a shared machine (benchmarks/README.md, issue 14)
        warm(*ready)
    with _progress(len(tasks)) as bar:
        job = bar.add_task("sweep", total=len(tasks))
        if scheduler:
            from dask.distributed import Client
            from dask.distributed import as_completed as dask_completed

            try:
                client = Client(scheduler, timeout="10s")
            except OSError as exc:
                raise BianzhiError(f"cannot reach the Dask scheduler at {scheduler}: {exc}"
                                   ) from None
            try:
                futures = client.map(run_point, tasks, pure=False)
                by_key = {f.key: t for f, t in zip(futures, tasks)}
                for future in dask_completed(futures):
                    results.append(_collect(future, by_key[future.key]))
                    bar.advance(job)
            finally:
                client.close()
        else:
            with ProcessPoolExecutor(max_workers=max(1, workers),
                                     initializer=warm if ready else None,
                                     initargs=ready or ()) as pool:
                by_future = {pool.submit(run_point, t): t for t in tasks}
                for future in as_completed(by_future):
                    results.append(_collect(future, by_future[future]))
                    bar.advance(job)
    return results


def _collect(future, task: PointTask) -> dict[str, Any]:
    """A point's result; a worker that died under it (killed, out of memory, lost) fails
    that point only."""
    try:
        return future.result()
    except Exception as exc:
        return {"name": task.name, "ok": False,
                "error": f"worker failed: {exc.__class__.__name__}: {exc}".replace("\n", " "),
                "seconds": 0.0, "pid": None}


def results_table(tasks: list[PointTask], results: list[dict]) -> pd.DataFrame:
    """One long table: point, one column per swept key, metric, value."""
    by_name = {r["name"]: r for r in results}
    rows = []
    for task in tasks:
        r = by_name[task.name]
        swept = {k: v for k, v in task.values}
        if r["ok"]:
            items = list(r["metrics"].items())
        else:
            items = [("status", "error"), ("error", r["error"])]
        items.append(("seconds", round(r["seconds"], 3)))
        for metric, value in items:
            rows.append({"point": task.name, **swept, "metric": metric, "value": value})
    keys = [k for k, _ in tasks[0].values] if tasks else []
    return pd.DataFrame(rows, columns=["point", *keys, "metric", "value"])


def wide_table(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """results_wide.csv: one row per point (in grid order) with its swept values and one
    column per metric, in the order the points report them."""
    if table.empty:
        return pd.DataFrame(columns=["point", *keys])
    metrics_ = list(dict.fromkeys(table["metric"]))
    points = list(dict.fromkeys(table["point"]))
    wide = table.pivot(index="point", columns="metric", values="value").reindex(
        index=points, columns=metrics_)
    swept = table.drop_duplicates("point").set_index("point")[keys].reindex(points)
    return pd.concat([swept, wide], axis=1).rename_axis(columns=None).reset_index()
