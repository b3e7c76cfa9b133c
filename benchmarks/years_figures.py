"""Figures of issue 12 (five-year plans): whole runs, verify, and the horizon model per year count.

The figures in benchmarks/README.md § "Five-year plans (issue 12)" come from this script; the
pytest-benchmark file benchmarks/test_bench_years.py times the same things in-process.

    # the whole command, wall clock with start-up, peak RSS, the phases of summary.json
    python benchmarks/years_figures.py whole scenarios/fourteenth-five-year.yaml --runs 3
    python benchmarks/years_figures.py whole scenarios/fourteenth-five-year.yaml --apply myopic
    # `bianzhi verify` of a plan folder
    python benchmarks/years_figures.py verify /tmp/plan --runs 3
    # the horizon model's build (HorizonModel.of) and solve per year count, arcs and nodes
    python benchmarks/years_figures.py horizon scenarios/fourteenth-five-year.yaml --years 1,3,5,10
    # province data with the staff register, generated once (about 20-40 s) and cached
    python benchmarks/years_figures.py province-data /tmp/bianzhi-province
    python benchmarks/years_figures.py scenario /tmp/bianzhi-province /tmp/province-5y.yaml

Whole-command figures are measured from outside: each run is a child process whose wall
clock is read around it and whose peak resident memory (ru_maxrss) and CPU seconds are the
kernel's accounting of that child (os.wait4), the same figures `/usr/bin/time -v` prints.
Medians of --runs runs (the machine is shared: quote medians and ratios within one run).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUNDLED_5Y = REPO / "scenarios" / "fourteenth-five-year.yaml"
# the summary.json timings of a horizon run, in the order a run goes through them
PHASES = ["load", "cadres", "consolidation", "horizon_model", "years", "aux", "verify", "total"]


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def run_child(cmd: list[str], env: dict | None = None) -> dict:
    """One child process: wall seconds, CPU seconds, peak RSS (MB), exit code, its stderr."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024, "rc": proc.returncode, "stderr": stderr}


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "solver.cli", *args]


def child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def whole_run(scenario: Path, out: Path, apply: list[str] = (), sets: list[str] = ()) -> dict:
    """`bianzhi run SCENARIO --out OUT` once: wall, CPU, peak RSS and summary.json's timings
    (and arcs and nodes of the horizon model when perfect)."""
    args = ["run", str(scenario), "--out", str(out), "--json"]
    for a in apply:
        args += ["--apply", a]
    for s in sets:
        args += ["--set", s]
    r = run_child(cli(*args), env=child_env())
    if r["rc"] != 0:
        raise RuntimeError(f"run failed ({r['rc']}):\n{r['stderr'][-3000:]}")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    r["timings"] = summary["timings"]
    r["horizon"] = summary.get("horizon", {})
    r["quota_rows"] = summary.get("size", {}).get("quota_rows")  # summary.json has no unit count
    return r


def startup() -> dict:
    """Interpreter start-up and the CLI's imports: `bianzhi --help`."""
    r = run_child(cli("--help"), env=child_env())
    assert r["rc"] == 0, r["stderr"]
    return r


def _med(values) -> float:
    return statistics.median(values)


def _spread(values, fmt="{:.2f}") -> str:
    return f"{fmt.format(_med(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def cmd_whole(ns) -> None:
    root = Path(ns.out or tempfile.mkdtemp(prefix="bianzhi-years-"))
    runs, starts = [], []
    for i in range(ns.warmup + ns.runs):
        starts.append(startup())
        r = whole_run(Path(ns.scenario), root / f"plan-{i}", ns.apply or [], ns.set or [])
        if i >= ns.warmup:
            runs.append(r)
        print(f"  run {i + 1}: wall {r['wall']:.2f}s, total {r['timings']['total']:.2f}s, "
              f"peak {r['rss_mb']:.0f} MB, load average {load_average()}", file=sys.stderr)
    walls = [r["wall"] for r in runs]
    totals = [r["timings"]["total"] for r in runs]
    start_med = _med([s["wall"] for s in starts])
    print(f"scenario {ns.scenario} {' '.join('--apply ' + a for a in ns.apply or [])} "
          f"{' '.join('--set ' + s for s in ns.set or [])}".rstrip())
    print(f"quota rows {runs[0]['quota_rows']}, horizon {runs[0]['horizon'].get('start')}–"
          f"{runs[0]['horizon'].get('end')} {runs[0]['horizon'].get('foresight')}, "
          f"{len(runs)} runs after {ns.warmup} warm-up, load average now {load_average()}")
    hm = runs[0]["horizon"].get("horizon_model")
    if hm:
        print(f"horizon model: {hm['arcs']:,} arcs, {hm['nodes']:,} nodes")
    print()
    print("| figure | median (min–max) |")
    print("|---|---|")
    print(f"| wall clock, whole command | {_spread(walls)} s |")
    print(f"| CPU (user + sys) | {_spread([r['cpu'] for r in runs])} s |")
    print(f"| peak RSS | {_spread([r['rss_mb'] for r in runs], '{:.0f}')} MB |")
    print(f"| start-up (`bianzhi --help`) | {_spread([s['wall'] for s in starts])} s |")
    for phase in PHASES:
        values = [r["timings"].get(phase) for r in runs]
        if all(v is not None for v in values):
            print(f"| summary.json timings.{phase} | {_spread(values)} s |")
    inside = [r["timings"]["total"] - sum(r["timings"].get(p, 0) for p in PHASES[:-1])
              for r in runs]
    print(f"| total − the phases above (reasons, summary, imports in run) | {_spread(inside)} s |")
    after = [w - t for w, t in zip(walls, totals)]
    print(f"| wall − total (start-up + writing the plan folder) | {_spread(after)} s |")
    print(f"| wall − total − start-up median (≈ writing the plan folder) | "
          f"{_spread([a - start_med for a in after])} s |")


def cmd_verify(ns) -> None:
    runs = []
    for i in range(ns.warmup + ns.runs):
        r = run_child(cli("verify", ns.plan), env=child_env())
        if r["rc"] != 0:
            raise RuntimeError(f"verify failed ({r['rc']}):\n{r['stderr'][-3000:]}")
        if i >= ns.warmup:
            runs.append(r)
    print(f"verify {ns.plan}: {len(runs)} runs, load average now {load_average()}")
    print(f"| `bianzhi verify` wall | {_spread([r['wall'] for r in runs])} s |")
    print(f"| peak RSS | {_spread([r['rss_mb'] for r in runs], '{:.0f}')} MB |")


def horizon_figures(scenario_path: Path, n_years: list[int], runs: int = 3,
                    apply: list[str] = ()) -> list[dict]:
    """Per year count: median build (HorizonModel.of) and solve (HorizonModel.solve, which
    assembles the sparse matrix, `lp()`, and calls HiGHS), with the matrix assembly and the
    solver call also timed apart; arcs and nodes. Data loaded and the prelude run once."""
    from solver.runner import load_data, prelude
    from solver.scenario import load_scenario
    from solver.solve import solve
    from solver.years.perfect import HorizonModel

    base = load_scenario(scenario_path, apply=list(apply))
    ds = load_data(base)
    out = []
    for n in n_years:
        start = base.horizon.start
        scenario = load_scenario(scenario_path, apply=list(apply),
                                 sets=[f"horizon.end={start + n - 1}"])
        before = prelude(scenario, ds)
        build, assemble, highs, whole_solve = [], [], [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            model = HorizonModel.of(scenario, ds, before)
            build.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            lp = model.lp()
            assemble.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            solve(lp, model.solver, time_limit=model.time_limit)
            highs.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            planned = model.solve()
            whole_solve.append(time.perf_counter() - t0)
        out.append({"years": n, "horizon": f"{start}–{start + n - 1}", "arcs": model.size["arcs"],
                    "nodes": model.size["nodes"], "build": _med(build),
                    "assemble": _med(assemble), "highs": _med(highs),
                    "solve": _med(whole_solve), "status": model.status,
                    "planned": int(planned["amount"].sum()), "units": len(ds.units)})
    return out


def cmd_horizon(ns) -> None:
    years = [int(y) for y in ns.years.split(",")]
    rows = horizon_figures(Path(ns.scenario), years, ns.runs, ns.apply or [])
    wholes = {}
    if ns.whole:
        root = Path(tempfile.mkdtemp(prefix="bianzhi-years-"))
        base_start = None
        from solver.scenario import load_scenario

        base_start = load_scenario(Path(ns.scenario)).horizon.start
        for n in years:
            for foresight in ns.whole.split(","):
                walls = []
                for i in range(ns.whole_runs):
                    r = whole_run(Path(ns.scenario), root / f"{n}-{foresight}-{i}",
                                  sets=[f"horizon.end={base_start + n - 1}",
                                        f"horizon.foresight={foresight}"])
                    walls.append((r["wall"], r["timings"]["total"], r["rss_mb"]))
                    print(f"  {n} years {foresight}: wall {r['wall']:.1f}s, total "
                          f"{r['timings']['total']:.1f}s, peak {r['rss_mb']:.0f} MB",
                          file=sys.stderr)
                wholes[(n, foresight)] = walls
    print(f"{ns.scenario}: {rows[0]['units']:,} units; medians of {ns.runs}; load average "
          f"now {load_average()}")
    head = "| years | horizon | arcs | nodes | build `of()` | solve `solve()` | of it: `lp()` " \
           "| HiGHS | planned |"
    sep = "|---|---|---|---|---|---|---|---|---|"
    extra = sorted({f for _, f in wholes})
    for f in extra:
        head += f" whole run {f}: wall / total / peak |"
        sep += "---|"
    print(head)
    print(sep)
    for r in rows:
        line = (f"| {r['years']} | {r['horizon']} | {r['arcs']:,} | {r['nodes']:,} | "
                f"{r['build']:.3f} s | {r['solve']:.3f} s | {r['assemble']:.3f} s | "
                f"{r['highs']:.3f} s | {r['planned']:,} |")
        for f in extra:
            w = wholes[(r["years"], f)]
            line += (f" {_med([x[0] for x in w]):.1f} s / {_med([x[1] for x in w]):.1f} s / "
                     f"{_med([x[2] for x in w]):.0f} MB |")
        print(line)


def phases(scenario_path: Path, apply: list[str] = (), sets: list[str] = (),
           workbook: bool = True, profile: Path | None = None) -> dict:
    """`bianzhi run` in-process, phase by phase as the command goes (solver/cli.py `run`,
    solver/plan/folder.py `_write_tables`), each phase timed with the peak RSS after it: load,
    the plan (summary.json's timings inside), the summary, the plan's tables, the CSV files
    (top level and years/<Y>/), and plan.xlsx (with `workbook`; its cell count too). The files
    go to a temporary folder. With `profile` the whole is run under cProfile, saved there."""
    import cProfile
    import resource

    from solver.domain import PLAN_TABLES
    from solver.io.write import write_workbook
    from solver.plan import build_summary
    from solver.runner import checked_plan, load_data
    from solver.scenario import load_scenario

    def peak() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    out: dict = {"phases": {}, "peak_mb": {}}
    folder = Path(tempfile.mkdtemp(prefix="bianzhi-phases-"))
    prof = cProfile.Profile() if profile else None

    def timed(name, fn):
        if prof:
            prof.enable()
        t0 = time.perf_counter()
        value = fn()
        out["phases"][name] = time.perf_counter() - t0
        if prof:
            prof.disable()
        out["peak_mb"][name] = peak()
        print(f"  {name}: {out['phases'][name]:.2f}s, peak {peak():.0f} MB", file=sys.stderr)
        return value

    scenario = timed("scenario", lambda: load_scenario(scenario_path, sets=list(sets),
                                                       apply=list(apply)))
    ds = timed("load", lambda: load_data(scenario))
    plan = timed("plan (run + verify)", lambda: checked_plan(scenario, ds))
    out["timings"] = dict(plan.timings)
    timed("summary", lambda: build_summary(plan))
    tables = timed("tables (top level)", plan.tables)
    year_tables = timed("tables (years/<Y>/)", plan.year_tables)

    def csvs():
        for name, frame in tables.items():
            frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
        for year, year_t in year_tables:
            (folder / "years" / str(year)).mkdir(parents=True)
            for name, frame in year_t.items():
                frame.to_csv(folder / "years" / str(year) / f"{name}.csv", index=False,
                             lineterminator="\n")

    timed("CSV files", csvs)
    out["cells"] = sum(f.shape[0] * f.shape[1] for f in tables.values())
    out["rows"] = {name: len(f) for name, f in tables.items()}
    if workbook:
        timed("plan.xlsx", lambda: write_workbook(tables, folder / "plan.xlsx",
                                                  specs=PLAN_TABLES))
    if prof:
        prof.dump_stats(str(profile))
    return out


def cmd_phases(ns) -> None:
    r = phases(Path(ns.scenario), ns.apply or [], ns.set or [], not ns.no_workbook,
               Path(ns.profile) if ns.profile else None)
    print(f"{ns.scenario}: in-process phases, load average now {load_average()}")
    print(f"plan.xlsx cells (top-level tables, header excluded): {r['cells']:,}; rows: "
          + ", ".join(f"{k} {v:,}" for k, v in sorted(r["rows"].items(), key=lambda x: -x[1])))
    print("| phase | seconds | peak RSS after |")
    print("|---|---|---|")
    for name, sec in r["phases"].items():
        print(f"| {name} | {sec:.2f} | {r['peak_mb'][name]:.0f} MB |")
    print("summary.json timings: " + ", ".join(f"{k} {v:.2f}" for k, v in r["timings"].items()))
    if ns.profile:
        import pstats

        stats = pstats.Stats(ns.profile)
        stats.sort_stats("cumulative").print_stats(r"solver/", ns.top)
        stats.sort_stats("tottime").print_stats(ns.top)


def province_data(folder: Path, seed: int = 2021, staff: bool = True) -> Path:
    """The province (20 cities) with the staff register, written once to `folder` (kept)."""
    if (folder / "units.csv").exists() and (not staff or (folder / "staff.csv").exists()):
        return folder
    from solver.generate import generate
    from solver.io.write import write_csv_folder

    write_csv_folder(generate("bazhong-2021", "province", seed, staff=staff), folder)
    return folder


def province_scenario(data: Path, path: Path, foresight: str = "perfect",
                      end: int = 2025) -> Path:
    """The bundled 十四五 scenario on other data (same rules, horizon 2021–end)."""
    path.write_text(f"name: province-{end - 2020}y-{foresight}\n"
                    f"extends: {BUNDLED_5Y}\n"
                    f"data: {Path(data).resolve()}\n"
                    f"horizon: {{start: 2021, end: {end}, foresight: {foresight}}}\n",
                    encoding="utf-8")
    return path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    w = sub.add_parser("whole", help="time `bianzhi run` as a whole command")
    w.add_argument("scenario")
    w.add_argument("--apply", action="append")
    w.add_argument("--set", action="append")
    w.add_argument("--runs", type=int, default=3)
    w.add_argument("--warmup", type=int, default=1)
    w.add_argument("--out", help="folder for the plan folders (default: a new temporary one)")
    v = sub.add_parser("verify", help="time `bianzhi verify PLAN`")
    v.add_argument("plan")
    v.add_argument("--runs", type=int, default=3)
    v.add_argument("--warmup", type=int, default=1)
    h = sub.add_parser("horizon", help="the horizon model per year count")
    h.add_argument("scenario")
    h.add_argument("--years", default="1,3,5,10")
    h.add_argument("--runs", type=int, default=3)
    h.add_argument("--apply", action="append")
    h.add_argument("--whole", default="", help="also the whole run: perfect,myopic")
    h.add_argument("--whole-runs", type=int, default=1)
    f = sub.add_parser("phases", help="`bianzhi run` in-process, phase by phase")
    f.add_argument("scenario")
    f.add_argument("--apply", action="append")
    f.add_argument("--set", action="append")
    f.add_argument("--no-workbook", action="store_true", help="leave plan.xlsx out")
    f.add_argument("--profile", help="run under cProfile; save the stats to this file")
    f.add_argument("--top", type=int, default=40)
    d = sub.add_parser("province-data", help="generate the province with its register once")
    d.add_argument("folder")
    s = sub.add_parser("scenario", help="write a horizon scenario on a data folder")
    s.add_argument("data")
    s.add_argument("path")
    s.add_argument("--foresight", default="perfect")
    s.add_argument("--end", type=int, default=2025)
    ns = p.parse_args()
    if ns.what == "whole":
        cmd_whole(ns)
    elif ns.what == "verify":
        cmd_verify(ns)
    elif ns.what == "horizon":
        cmd_horizon(ns)
    elif ns.what == "phases":
        cmd_phases(ns)
    elif ns.what == "province-data":
        print(province_data(Path(ns.folder)))
    else:
        print(province_scenario(Path(ns.data), Path(ns.path), ns.foresight, ns.end))


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
