"""The `bianzhi` command: turns errors into one message and an exit code.

Exit codes: 0 success; 1 internal error (a bug: run with --debug for the traceback);
2 bad input (data, scenario or option); 3 a plan that breaks a rule (verify) or cannot be
made (hard key demands impossible).
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # the command's clock: its own imports and all it does

import json
import sys
import traceback
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table as RichTable

from solver.errors import BianzhiError, Problem
from solver.gcpause import paused_gc

DEBUG_NOTE = ("Any command also takes --debug: an internal error (exit 1) then prints its "
              "traceback. Exit codes: 0 done, 1 internal error, 2 bad input, 3 a rule broken.")
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Staffing-quota (编制) planning: stock-take, reallocation plans, what-if scenarios.",
    epilog=DEBUG_NOTE,
)
# piped or redirected output keeps every table column whole (a terminal wraps to its width)
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 240)
err = Console(stderr=True, highlight=False, soft_wrap=True)

MAX_WARNINGS_SHOWN = 5


def progress(message: str):
    """A spinner on a terminal for long steps; silent when output is not a terminal."""
    import contextlib

    return err.status(message) if err.is_terminal else contextlib.nullcontext()


def _shown(option: str, warnings: list[Problem]) -> int:
    """How many warnings the terminal lists: --warnings few (the default) or all."""
    if option not in ("few", "all"):
        raise typer.BadParameter(f"{option!r}: expected few or all", param_hint="--warnings")
    return len(warnings) if option == "all" else MAX_WARNINGS_SHOWN


def print_warnings(warnings: list[Problem], shown: int = MAX_WARNINGS_SHOWN,
                   kept_in: str = "") -> None:
    """Warnings go to stderr so that --json output stays clean: the count by file and
    column, then the first `shown`; `kept_in` names the file that holds them all."""
    if not warnings:
        return
    kinds: dict[str, int] = {}
    for w in warnings:
        kind = f"{Path(w.file).name or 'scenario'}{' ' + w.column if w.column else ''}"
        kinds[kind] = kinds.get(kind, 0) + 1
    by_kind = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    err.print(f"[yellow]{len(warnings)} warning{'s' if len(warnings) > 1 else ''}[/yellow] "
              f"({by_kind}):", markup=True, highlight=False)
    for w in warnings[:shown]:
        err.print(f"  - {w}", markup=False)
    if len(warnings) > shown:
        err.print(f"  … and {len(warnings) - shown} more"
                  + (f": all of them in {kept_in}" if kept_in else " (--warnings all lists them)"),
                  markup=False)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _band_order(band: str) -> tuple[int, str]:
    """Age bands in age order: <40 first, then 40-49, 50-54, …, 55+."""
    digits = "".join(ch if ch.isdigit() else " " for ch in band).split()
    return (-1 if band.startswith("<") else int(digits[0]) if digits else 999, band)


def render_inventory(inv: dict, names=None) -> None:
    """The stock-take as readable tables (systems by the data's names, solver.names)."""
    from solver.names import Names

    names = names or Names()
    table = RichTable(title="Quotas 编制", title_justify="left")
    for col in ("quota type", "units", "approved", "staff", "pool", "vacancy", "rate",
                "over-quota staff"):
        table.add_column(col, justify="left" if col == "quota type" else "right")
    for qt, row in inv["quota_types"].items():
        table.add_row(qt, str(row["units"]), str(row["approved"]), str(row["staff"]),
                      str(row["pool"]), str(row["vacancy"]), _pct(row["vacancy_rate"]),
                      str(row["over_quota_staff"]))
    out.print(table)
    u = inv["units"]
    out.print(
        f"Units: {u['count']} — over quota {u['over_quota']}, full {u['full']}, "
        f"with vacancies {u['with_vacancy']}, lapsed {u['lapsed']}"
    )
    out.print(
        f"Institutions: {u['institutions']} — approved ≤ 5: {u['small_le5']}, "
        f"≤ 7: {u['small_le7']} (小散弱 candidates)"
    )
    if u["small_clusters"]:
        top = ", ".join(f"{c['name'] or c['parent_id']} {c['small_le5']}"
                        for c in u["small_clusters"][:5])
        out.print(f"  departments with most small institutions (≤ 5): {top}")
    if u["leader_heavy"]:
        heavy = u["leader_heavy"]
        by_band = sum(1 for h in heavy if h["basis"] == "band")
        parts = []
        if by_band:
            parts.append(f"{by_band} above the provincial limit for their size")
        if len(heavy) > by_band:
            share = 100 * u["leader_limits"]["share_fallback"]
            parts.append(f"{len(heavy) - by_band} above {share:g}% of their quota (kinds "
                         "without size bands)")
        out.print(f"Leader posts above their limit (官多兵少): {len(heavy)} units — "
                  + ", ".join(parts), markup=False)
    aux = inv["aux"]
    if aux["present"]:
        out.print(
            f"Off-quota staff 编外: {aux['headcount']} people in {aux['departments']} departments; "
            f"approved headcount {aux['approved']}, never approved {aux['headcount_never_approved']}"
        )
        shares = ", ".join(f"{names.name('system', k)} {v}%"
                           for k, v in list(aux["share_by_system"].items())[:8])
        out.print(f"  by system: {shares}")
    people = inv["people"]
    if people["present"]:
        out.print(f"Surplus people 富余人员: {people['count']}")
        levels = {k: v for k, v in people["by_cadre_level"].items() if k != "all"}
        bands = sorted({b for v in levels.values() for b in v["age_band"]}, key=_band_order)
        health = sorted({h for v in levels.values() for h in v["health"]})
        table = RichTable(title="Surplus people by cadre level: ages, gender, health",
                          title_justify="left")
        columns = ["cadre level", "people", *(f"age {b}" for b in bands), "women", "men",
                   *health]
        for col in columns:
            table.add_column(col, justify="left" if col == "cadre level" else "right")
        for level, stats in levels.items():
            table.add_row(level, str(stats["count"]),
                          *(str(stats["age_band"].get(b, 0)) for b in bands),
                          str(stats["gender"].get("F", 0)), str(stats["gender"].get("M", 0)),
                          *(str(stats["health"].get(h, 0)) for h in health))
        out.print(table)
        if people["follow_up_notice"]:
            out.print(f"  formal notice (告知书) follow-up: {len(people['follow_up_notice'])} "
                      "people absent without reason or missing")
    staff = inv.get("staff", {})
    if staff.get("present"):
        bands = ", ".join(f"{k}: {v}" for k, v in sorted(staff.get("age_band", {}).items(),
                                                         key=lambda kv: _band_order(kv[0])))
        retiring = ", ".join(f"{k}: {v}" for k, v in staff["retiring_by_year"].items())
        out.print(f"Staff register 在编人员: {staff['count']} people"
                  + (f" — ages in {staff['age_year']}: {bands}" if bands else ""),
                  markup=False)
        out.print(f"  reaching the statutory retirement age: {retiring}", markup=False)
    d = inv["demands"]
    out.print(f"Demands: {d['count']} requests for {d['amount']} quotas — "
              + ", ".join(f"{k} {v}" for k, v in d["by_tier"].items()))


@app.command(epilog=DEBUG_NOTE)
def inventory(
    path: Annotated[Path, typer.Argument(help="A folder of CSV files, an .xlsx workbook or a scenario .yaml")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")] = False,
    region: Annotated[Optional[str], typer.Option(help="Only units of this region, as the data writes it")] = None,
    level: Annotated[Optional[str], typer.Option(help="Only units of this level: city 市级, county 县级, township 乡镇")] = None,
    warnings: Annotated[str, typer.Option("--warnings", help="few (the count and the first 5) or all")] = "few",
) -> None:
    """Take stock of quotas, off-quota staff and surplus people (the three clean-ups)."""
    from solver.inventory import filter_dataset
    from solver.inventory import inventory as take_stock

    ds = load_data(path)
    print_warnings(ds.warnings, _shown(warnings, ds.warnings))
    inv = take_stock(filter_dataset(ds, region=region, level=level))
    if as_json:
        inv["path"] = str(path)
        sys.stdout.write(json.dumps(inv, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    else:
        from solver.names import Names

        render_inventory(inv, Names.from_dataset(ds))


def load_data(path: Path):
    """Inputs from a data path, or a scenario file's data with its data_edits applied."""
    if path.suffix.lower() in (".yaml", ".yml"):
        from solver.edits import load_data as load_scenario_data
        from solver.scenario import load_scenario

        return load_scenario_data(load_scenario(path))
    from solver.validate import load

    return load(path)


@app.command(epilog=DEBUG_NOTE)
def generate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the CSV tables into")],
    profile: Annotated[str, typer.Option(help="Calibration profile")] = "bazhong-2021",
    scale: Annotated[str, typer.Option(help="city, province, or a number of units")] = "city",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files)")] = 2021,
    xlsx: Annotated[Optional[Path], typer.Option(help="Also write a Chinese .xlsx workbook here")] = None,
    staff: Annotated[bool, typer.Option("--staff/--no-staff", help="Write the staff register (staff.csv, one row per person)")] = True,
) -> None:
    """Generate a seeded synthetic data set in the input format of docs/data.md."""
    from solver.generate import generate as make
    from solver.io.outdir import check_output, check_output_file, claim_output
    from solver.io.write import check_sheet_rows, write_csv_folder, write_workbook

    scale_value: str | int = scale if scale in ("city", "province") else _int_scale(scale)
    check_output(out_dir, "data")
    if xlsx is not None:
        check_output_file(xlsx)
    try:
        with progress(f"generating {profile} at scale {scale}…"):
            tables = make(profile=profile, scale=scale_value, seed=seed, staff=staff)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if xlsx is not None:
        try:
            check_sheet_rows(tables)  # before anything is written
        except ValueError as exc:
            hint = " or leave the staff register out (--no-staff)" if staff else ""
            raise typer.BadParameter(f"--xlsx: {exc}{hint}") from None
    with progress(f"writing {len(tables['units'])} units to {out_dir}…"), \
            claim_output(out_dir, "data") as folder:
        write_csv_folder(tables, folder.tmp)
        folder.commit()
    if xlsx is not None:
        with progress(f"writing the workbook {xlsx}…"):
            write_workbook(tables, xlsx, lang="zh")
    err.print(f"wrote {len(tables['units'])} units, {len(tables['demands'])} demands to {out_dir}")


def resolve_scenario(target: Path, sets: list[str] | None, apply: list[str] | None = None):
    """A scenario file, or a default scenario around a bare data path."""
    from solver.errors import ScenarioError
    from solver.scenario import load_scenario, scenario_for_data

    if target.suffix.lower() in (".yaml", ".yml"):
        return load_scenario(target, sets, apply)
    if apply:
        raise ScenarioError("--apply needs a scenario file (overrides are defined there)")
    return scenario_for_data(target, sets)


def render_years(summary: dict) -> None:
    """A plan over several years: people leaving and demands met per year, then the reserve
    at each year's end against its floor (docs/rules.md § 19a)."""
    h = summary["horizon"]
    table = RichTable(title=f"Year by year ({h['start']}–{h['end']}, {h['foresight']} "
                            "foresight): people leaving, quotas met", title_justify="left")
    for col in ("year", "retire", "leave", "returned", "key", "emergency", "operational",
                "hires"):
        table.add_column(col, justify="left" if col == "year" else "right")
    for year, y in summary["years"].items():
        table.add_row(year, str(y["retirements"]), str(y["leavers"]), str(y["returned"]),
                      str(y["met"]["key"]), str(y["met"]["emergency"]),
                      str(y["met"]["operational"]), str(y["hires"]))
    out.print(table)
    types = sorted({qt for y in summary["years"].values() for qt in y["reserve"]})
    table = RichTable(title="Reserve at each year's end (floor)", title_justify="left")
    for col in ("year", *types):
        table.add_column(col, justify="left" if col == "year" else "right")
    for year, y in summary["years"].items():
        r = y["reserve"]
        table.add_row(year, *(f"{r[qt]['vacancy_after']} ({r[qt]['floor']})" if qt in r else ""
                              for qt in types))
    out.print(table)
    if h.get("replay_shortfall"):
        out.print(f"Planned over the horizon but not placed in any year: "
                  f"{h['replay_shortfall']} quotas (a unit rule blocked them; see docs/rules.md "
                  "§ 19a.4)")


def render_unmet(plan, lang: str, shown: int = 10) -> None:
    """The first unmet demands by tier: the unit's name beside its code, its status and what
    would unblock the demand (all of them: plan.xlsx, sheet 需求满足情况)."""
    from solver.domain import TIER_ORDER
    from solver.names import Names
    from solver.plan.readable import unmet_detail
    from solver.text import language, unit_status

    tables = plan.tables()
    d = tables["demands"]
    short = d[d["unmet_reason"].fillna("") != ""]
    if short.empty or "units" not in tables:
        return
    names = Names.from_dataset(plan.dataset)
    with language(lang):
        short = unmet_detail(short, tables["units"], names)
        status = [unit_status(s) for s in short["unit_status"]]
    short = short.assign(status=status, order=[TIER_ORDER.index(t) for t in short["tier"]])
    short = short.sort_values(["order", "demand_id"], kind="stable")
    table = RichTable(title=f"Unmet demands: the first {min(shown, len(short))} of "
                            f"{len(short)} (all in plan.xlsx)", title_justify="left")
    for col in ("demand", "unit", "unit name", "tier", "asked", "met", "status",
                "what would unblock it"):
        table.add_column(col, justify="right" if col in ("asked", "met") else "left")
    for _, r in short.head(shown).iterrows():
        table.add_row(r["demand_id"], r["unit_id"], names.name("unit", r["unit_id"]),
                      r["tier"], str(r["amount"]), str(r["met"]), r["status"], r["unblock"])
    out.print(table)


def render_marginals(summary: dict, plan, lang: str) -> None:
    """What a little more room would buy, in words per region (its name) and quota type:
    今年少留1个百分点空编率 → 多满足保重点2个, 编制池多1个编制 → … (the re-solves of
    summary.json `marginal_values`; nothing without --marginals)."""
    from solver.domain import QUOTA_TYPES
    from solver.names import Names
    from solver.text import language, marginal, marginal_header

    keys = ("reserve_rate_minus_1pt", "pool_plus_1")
    rows = summary.get("marginal_values", {}).get("by_region") or []
    # the regions and types where more room buys something (or could not be re-solved)
    rows = [r for r in rows if any(r.get(k) is None or any(r[k].values()) for k in keys)]
    if not rows:
        return
    names = Names.from_dataset(plan.dataset)
    with language(lang):
        table = RichTable(title=marginal_header("title"), title_justify="left")
        for key in ("region", "quota_type", *keys):
            table.add_column(marginal_header(key))
        for r in rows:
            qt = QUOTA_TYPES.get(r["quota_type"], r["quota_type"]) if lang == "zh" \
                else r["quota_type"]
            table.add_row(names.name("region", r["region"]), qt,
                          *(marginal(k, r.get(k)) for k in keys))
    out.print(table)


def render_run(summary: dict, out_dir: Path, report: Path | None = None) -> None:
    """What a planner wants to see after a run."""
    s = summary["solver"]
    table = RichTable(title="Demands met by tier", title_justify="left")
    for col in ("tier", "demands", "requested", "met", "own vacancy", "fully met"):
        table.add_column(col, justify="left" if col == "tier" else "right")
    for tier, m in summary["met"].items():
        table.add_row(tier, str(m["demands"]), str(m["requested"]), str(m["met"]),
                      str(m["met_own"]), str(m["fully_met"]))
    out.print(table)
    table = RichTable(title="Reserve left (vacancy after the plan)", title_justify="left")
    for col in ("quota type", "floor", "vacancy before", "vacancy after", "rate after"):
        table.add_column(col, justify="left" if col == "quota type" else "right")
    for qt, r in summary["reserve"].items():
        table.add_row(qt, str(r["floor"]), str(r["vacancy_before"]), str(r["vacancy_after"]),
                      _pct(r["rate_after"]))
    out.print(table)
    if summary.get("years"):
        render_years(summary)
    m = summary["moves"]
    kinds = ", ".join(f"{k} {v}" for k, v in m["by_kind"].items()) or "none"
    out.print(f"Moves: {m['count']} rows; quotas by kind: {kinds}; cross-system moves "
              f"{m['cross_system']}")
    c = summary.get("cadres", {})
    if c.get("present"):
        options = ", ".join(f"{k} {v}" for k, v in c["by_option"].items())
        groups = ", ".join(f"{k} {v}" for k, v in c["by_group"].items())
        out.print(f"Surplus people: {c['people']} — {options}; groups: {groups}; formal "
                  f"notices {c['follow_up_notice']}")
    c = summary.get("consolidation", {})
    if c.get("present"):
        out.print(f"Mergers (整合小散弱): {c['mergers']} mergers of {c['units_merged']} small "
                  f"institutions free {c['quotas_freed']} quotas to the pool")
    a = summary.get("aux", {})
    if a.get("present"):
        out.print(f"Off-quota staff: base {a['base']} → approved headcount {a['approved_after']}, "
                  f"to purchased services {a['to_services']}, ended {a['ended']}")
        cut = [(y, v["aux"]) for y, v in summary.get("years", {}).items() if "aux" in v]
        if len(cut) > 1:
            out.print("  cut per year (cap ⌊base × (1 − reduction)ⁿ⌋): " + ", ".join(
                f"{y} {v['approved_after']} (cap {v['cap']})" for y, v in cut))
    reasons = ", ".join(f"{k} {v}" for k, v in summary["unmet"]["by_reason"].items())
    if reasons:
        out.print(f"Unmet demands: {summary['unmet']['demands']} demands, "
                  f"{summary['unmet']['amount']} quotas short; demands by reason: {reasons}")
    status = s["status"]
    mark = "" if s["proven_optimal"] else (
        f"  [bold red]NOT PROVEN OPTIMAL (time limit; gap {s['gap']})[/bold red]")
    t = summary["timings"]
    out.print(f"Solver: {s['name']} {status}{mark}; load {t.get('load', 0):.2f}s, "
              f"build {t.get('build', 0):.2f}s, solve {t.get('solve', 0):.2f}s, "
              f"planned and checked in {t.get('total', 0):.2f}s")
    if report is not None:
        out.print(f"Report written to {report}")
    out.print(f"Plan written to {out_dir}; the whole command took "
              f"{time.perf_counter() - STARTED:.2f}s")


@app.command(epilog=DEBUG_NOTE)
def run(
    target: Annotated[Path, typer.Argument(help="A scenario .yaml, or a data folder / workbook")],
    out_dir: Annotated[Path, typer.Option("--out", help="Plan folder to write (replaced atomically)")],
    sets: Annotated[Optional[list[str]], typer.Option("--set", help="Override a scenario key, e.g. policy.reserve_rate=0.05")] = None,
    apply: Annotated[Optional[list[str]], typer.Option("--apply", help="Apply a named override of the scenario")] = None,
    solver: Annotated[Optional[str], typer.Option(help="highs (default) or cbc")] = None,
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", help="Seconds; the best plan found is returned, marked")] = None,
    marginals: Annotated[bool, typer.Option("--marginals/--no-marginals", help="Compute marginal values (two warm re-solves)")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json instead of tables")] = False,
    report: Annotated[bool, typer.Option("--report", help="Also write report.html")] = False,
    lang: Annotated[str, typer.Option(help="zh (default) or en: the reasons, plan.xlsx and the report")] = "zh",
    include_personal: Annotated[bool, typer.Option("--include-personal", help="Names and health in the report")] = False,
    alternatives: Annotated[int, typer.Option("--alternatives", help="Also write up to K near-optimal plans with different donors (DIR/alt-k)")] = 0,
    slack: Annotated[float, typer.Option(help="How far above the optimal ladder cost an alternative may go (0.02 = 2%)")] = 0.02,
    warnings: Annotated[str, typer.Option("--warnings", help="few (the count and the first 5; all go to warnings.csv in the plan folder) or all")] = "few",
    profile: Annotated[bool, typer.Option("--profile", help="Print the time of each phase (start-up, reading, planning, verify, writing) on stderr")] = False,
    bundle: Annotated[bool, typer.Option("--bundle", help="Copy the inputs (data, scenario files) into the plan folder under inputs/: it then verifies and reports wherever it is moved")] = False,
    formats: Annotated[str, typer.Option("--formats", help="csv,xlsx (default): the CSV tables and plan.xlsx; csv: the CSV tables only (faster for large plans)")] = "csv,xlsx",
    no_xlsx: Annotated[bool, typer.Option("--no-xlsx", help="Same as --formats csv")] = False,
) -> None:
    """Compute the reallocation plan and write the plan folder."""
    import time as _time

    from solver.plan import PlanViolation, build_summary, write_plan
    from solver.runner import checked_plan, load_data
    from solver.text import language

    start = _time.perf_counter()
    _check_lang(lang)
    plan_formats = _check_formats(formats, no_xlsx)
    scenario = resolve_scenario(target, sets, apply)
    # refuse a forbidden --out before any work (write_plan checks again under its lock)
    from solver.io.outdir import check_output

    check_output(out_dir, "plan", [scenario.data_path, *map(Path, scenario.sources)])
    if solver is not None:
        scenario.solver.name = _check_solver(solver)
    if time_limit is not None:
        scenario.solver.time_limit = time_limit
    t0 = _time.perf_counter()
    with progress(f"reading {scenario.data_path}…"):
        ds = load_data(scenario)
    load_s = _time.perf_counter() - t0
    print_warnings(ds.warnings, _shown(warnings, ds.warnings), kept_in=str(out_dir / "warnings.csv"))
    with progress(f"planning {len(ds.units)} units…"), language(lang):
        plan = checked_plan(scenario, ds, with_marginals=marginals)
    plan.timings["load"] = load_s
    if scenario.year_assumed:  # on stderr: --json output stays clean
        err.print(f"Plan year {scenario.year}: neither the scenario nor the data gives one (no "
                  "start_year in the demands), so this calendar year is used for the people's "
                  "ages; set `year:` in the scenario or --set year=… to choose (recorded in "
                  "summary.json as --set)", markup=False)
    alts = []
    if alternatives:
        from dataclasses import replace as _replace

        from solver.quotas.alternatives import alternatives as near_optimal
        from solver.runner import off_quota

        if alternatives < 0 or not 0 <= slack < 1:
            raise typer.BadParameter("--alternatives ≥ 0 and 0 ≤ --slack < 1")
        from solver.names import Names
        from solver.text import naming

        # the alternatives' reasons in the plan's language, naming units as the plan does
        with language(lang), naming(Names.from_dataset(plan.dataset).by_kind):
            for k, quota in enumerate(near_optimal(plan.quota, alternatives, slack,
                                                   scenario.solver.name), start=1):
                alt = _replace(plan, quota=quota, aux=off_quota(scenario, plan.dataset, quota),
                               alternative={"number": k, "slack": slack})
                problems = alt.verify()
                if problems:
                    raise PlanViolation(f"alternative {k} breaks hard rules:\n"
                                        + "\n".join(f"  - {x}" for x in problems))
                alts.append(alt)
    plan.timings["total"] = _time.perf_counter() - start
    t0 = _time.perf_counter()
    summary = build_summary(plan)
    # the interpreter and the imports before the run began, and the summary itself
    summary["timings"]["startup"] = round(start - STARTED, 4)
    summary["timings"]["summary"] = round(_time.perf_counter() - t0, 4)
    report_s = 0.0
    with progress(f"writing {out_dir}…"):
        write_plan(plan, out_dir, alternatives=alts, lang=lang, summary=summary, bundle=bundle,
                   formats=plan_formats)
        if report:
            from solver.report.html import write_report

            t0 = _time.perf_counter()
            write_report(out_dir, lang, include_personal)
            report_s = _time.perf_counter() - t0
    if bundle and (ds.people is not None or ds.staff is not None):  # on stderr: --json
        err.print(f"{out_dir / 'inputs'} holds the inputs with the people's names (and health "
                  "statuses): share the plan folder only with those who may see them",
                  markup=False)
    if profile:
        render_profile(summary["timings"], report_s, _time.perf_counter() - STARTED)
    if as_json:
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    else:
        render_unmet(plan, lang)
        render_marginals(summary, plan, lang)
        render_run(summary, out_dir, out_dir / "report.html" if report else None)
        if alts:
            out.print(f"{len(alts)} near-optimal alternative{'s' if len(alts) > 1 else ''} "
                      f"(same demands met, ladder cost within {slack:.0%}, other donors): "
                      + ", ".join(str(out_dir / f"alt-{k}") for k in range(1, len(alts) + 1)))


# The phases of `run --profile`, in the order they happen: summary.json `timings` key and
# what it is. A five-year plan's build, solve and extract happen inside its years (and the
# horizon model), so they are not listed again for it.
PROFILE_PHASES = (
    ("startup", "start-up: Python and the imports"),
    ("load", "reading and validating the inputs"),
    ("cadres", "surplus cadres (分流安置)"),
    ("consolidation", "mergers of small institutions"),
    ("horizon_model", "the horizon model (perfect foresight)"),
    ("years", "placing the years"),
    ("build", "building the reallocation model"),
    ("solve", "the solver"),
    ("extract", "reading the plan off the solution, with reasons"),
    ("marginal_values", "marginal values (warm re-solves)"),
    ("aux", "the off-quota plan"),
    ("verify", "verify: every hard rule re-checked"),
    ("summary", "summary.json"),
    ("write", "writing the plan folder: CSV tables, plan.xlsx"),
)


def render_profile(timings: dict, report_s: float, whole: float) -> None:
    """`run --profile`: the seconds of each phase and its share of the whole command, on
    stderr (so that --json output stays clean); what no phase covers is shown as such."""
    multi_year = "years" in timings
    rows = [(key, label, float(timings[key])) for key, label in PROFILE_PHASES
            if key in timings and not (multi_year and key in ("build", "solve", "extract"))]
    if report_s:
        rows.append(("report", "report.html", report_s))
    rows.append(("other", "not in any phase above (printing, interpreter exit …)",
                 max(whole - sum(r[2] for r in rows), 0.0)))
    table = RichTable(title="Where the time went (run --profile)", title_justify="left")
    for col in ("phase", "what", "seconds", "share"):
        table.add_column(col, justify="right" if col in ("seconds", "share") else "left")
    for key, label, seconds in rows:
        table.add_row(key, label, f"{seconds:.2f}", f"{seconds / whole:.0%}" if whole else "")
    table.add_row("whole", "the whole command", f"{whole:.2f}", "100%")
    err.print(table)


def _check_formats(formats: str, no_xlsx: bool) -> tuple[str, ...]:
    """--formats as a tuple of formats (exit 2 naming the option for a bad one)."""
    from solver.plan.folder import check_formats

    chosen = [f.strip().lower() for f in formats.split(",") if f.strip()]
    if no_xlsx:
        if "xlsx" in chosen and formats != "csv,xlsx":
            raise typer.BadParameter("--no-xlsx leaves plan.xlsx out: drop xlsx from --formats "
                                     "or --no-xlsx", param_hint="--formats")
        chosen = [f for f in chosen if f != "xlsx"]
    try:
        return check_formats(chosen)
    except ValueError as exc:
        raise typer.BadParameter(f"{formats!r}: {exc}", param_hint="--formats") from None


def _check_solver(name: str, option: str = "--solver") -> str:
    from solver.solve import SOLVERS

    if name not in SOLVERS:
        raise typer.BadParameter(f"{name!r}: expected one of {', '.join(SOLVERS)}",
                                 param_hint=option)
    return name


@app.command(epilog=DEBUG_NOTE)
def sweep(
    target: Annotated[Path, typer.Argument(help="A scenario .yaml with a sweep: grid")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for one plan per point and results.csv")],
    workers: Annotated[int, typer.Option(help="Local worker processes")] = 2,
    scheduler: Annotated[Optional[str], typer.Option(help="A dask.distributed scheduler, e.g. tcp://host:8786")] = None,
    sets: Annotated[Optional[list[str]], typer.Option("--set", help="Override a scenario key at every point")] = None,
    apply: Annotated[Optional[list[str]], typer.Option("--apply", help="Apply a named override at every point")] = None,
    max_points: Annotated[int, typer.Option("--max-points", help="Refuse a grid of more points than this", min=1)] = 1000,
    xlsx: Annotated[bool, typer.Option("--xlsx", help="Also write plan.xlsx in every point's folder (by default a point has its CSVs and summary.json)")] = False,
) -> None:
    """Run every grid point of the scenario's sweep into DIR/<point>/; results in DIR/results.csv."""
    import time as _time

    from solver.sweep import run_sweep

    if workers < 1:
        raise typer.BadParameter("at least 1", param_hint="--workers")
    start = _time.perf_counter()
    shown: dict = {}

    def pages(wide, keys) -> dict[str, str]:
        from solver.report.html import render_sweep

        shown.update(wide=wide, keys=keys)
        return {"sweep.html": render_sweep(wide, keys)}

    table = run_sweep(target, out_dir, workers=workers, scheduler=scheduler, sets=sets or [],
                      apply=apply or [], max_points=max_points, pages=pages, xlsx=xlsx)
    if shown:
        render_sweep_table(shown["wide"], shown["keys"])
    points = table["point"].nunique()
    failed = table[(table["metric"] == "status") & (table["value"] == "error")]["point"]
    where = f"the Dask cluster at {scheduler}" if scheduler else f"{workers} local workers"
    out.print(f"{points} points on {where} in {_time.perf_counter() - start:.1f}s; "
              f"results in {out_dir / 'results.csv'} (one row per point: results_wide.csv; "
              f"chart: sweep.html)")
    if len(failed):
        errors = table[table["metric"] == "error"]
        for _, row in errors.iterrows():
            err.print(f"  point {row['point']} failed: {row['value']}", markup=False)
        raise typer.Exit(code=3)


def render_sweep_table(wide, keys: list[str]) -> None:
    """The main figures per point: the swept values, met per tier, reserve per quota type,
    moves and unmet demands, the status."""
    main = [c for c in wide.columns if c.startswith(("met.", "reserve."))
            or c in ("moves", "unmet")]
    if "status" in wide and (wide["status"].astype(str) != "optimal").any():
        main.append("status")
    table = RichTable(title="Per point (met: quotas per tier; reserve: vacancies kept per "
                            "quota type)", title_justify="left")
    from solver.text import metric

    for col in ("point", *keys, *main):  # the figures in words: 满足编制（保重点）
        table.add_column(col if col == "point" or col in keys else metric(col), no_wrap=True,
                         justify="left" if col in ("point", "status") else "right")
    for _, row in wide.iterrows():
        table.add_row(*("" if pd_isna(row.get(c)) else str(row.get(c))
                        for c in ("point", *keys, *main)))
    out.print(table)


def pd_isna(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


@app.command(epilog=DEBUG_NOTE)
def compare(
    plans: Annotated[list[Path], typer.Argument(help="Plan folders; the first is the base")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON")] = False,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Also write compare.json, CSVs and compare.html here")] = None,
    lang: Annotated[str, typer.Option(help="zh (default) or en, for compare.html and the figures' names")] = "zh",
    data: Annotated[Optional[Path], typer.Option("--data", help="Where the plans' inputs are now (data folder, workbook or scenario file), checked against their checksums: plan folders written before names.csv take their units' names from them")] = None,
) -> None:
    """Compare plans: KPIs, per-unit changes, moves in one plan only, changed demands."""
    from solver.compare import compare_plans
    from solver.report.comparison import write_comparison

    _check_lang(lang)
    if out_dir is not None:
        from solver.io.outdir import check_output

        check_output(out_dir, "compare", plans)
    result = compare_plans(plans, data)
    if out_dir is not None:
        write_comparison(result, out_dir, lang, inputs=plans)
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        return
    from solver.text import language
    from solver.text import metric as metric_words

    kpi = result["kpis"]
    table = RichTable(title="KPIs", title_justify="left")
    table.add_column("metric")
    for row in kpi:
        table.add_column(row["plan"], justify="right")
    with language(lang):  # met.key → 满足编制（保重点）
        for metric in kpi[0]:
            if metric == "plan":
                continue
            table.add_row(metric_words(metric), *[str(row.get(metric, "")) for row in kpi])
    out.print(table)
    out.print(f"Units whose approved quota differs: {len(result['unit_changes'])}; moves in "
              f"one plan only: {len(result['moves_only_in'])}; demands met differently: "
              f"{len(result['changed_demands'])}")
    for c in result["changed_demands"][:15]:
        amounts = " → ".join(dict.fromkeys("–" if v is None else str(v)
                                           for v in c["amount"].values()))
        mets = " → ".join("–" if v is None else str(v) for v in c["met"].values())
        reasons = " → ".join(c["reason"].values())
        out.print(f"  {c['demand_id']} {_unit_label(c)} ({c['tier']}, asked {amounts}): "
                  f"met {mets} ({reasons})", markup=False)
    if len(result["changed_demands"]) > 15:
        out.print(f"  … {len(result['changed_demands']) - 15} more (--json or --out for all)")
    if out_dir is not None:
        out.print(f"Written to {out_dir}")


def _unit_label(row: dict) -> str:
    """单位名称 (unit code) for a person; the code alone when the data names no unit."""
    name = row.get("unit_name") or ""
    return f"{name} ({row['unit_id']})" if name and name != row["unit_id"] else row["unit_id"]


def _check_lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        raise typer.BadParameter(f"{lang!r}: expected zh or en", param_hint="--lang")
    return lang


DATA_HELP = ("Where the plan's inputs are now: the data folder or workbook, or the scenario "
             "file (its data: names the data); checked against summary.json's checksums. "
             "Without it: the paths summary.json records, relative to the plan folder first")


@app.command(epilog=DEBUG_NOTE)
def report(
    plan_dir: Annotated[Path, typer.Argument(help="A plan folder written by bianzhi run")],
    lang: Annotated[str, typer.Option(help="zh (default) or en")] = "zh",
    include_personal: Annotated[bool, typer.Option("--include-personal", help="Show names and health statuses")] = False,
    data: Annotated[Optional[Path], typer.Option("--data", help=DATA_HELP)] = None,
) -> None:
    """Write PLAN_DIR/report.html: one offline page with the plan's figures and charts."""
    from solver.report.html import write_report

    _check_lang(lang)
    path = write_report(plan_dir, lang, include_personal, data)
    out.print(f"Report written to {path}")


@app.command(epilog=DEBUG_NOTE)
def verify(
    plan_dir: Annotated[Optional[Path], typer.Argument(help="A plan folder written by bianzhi run")] = None,
    rules: Annotated[bool, typer.Option("--rules", help="List every rule (id and description) instead")] = False,
    data: Annotated[Optional[Path], typer.Option("--data", help=DATA_HELP)] = None,
) -> None:
    """Re-check every hard rule on a written plan; exit 3 naming each violation by rule id."""
    from solver.verify import RULES, PlanViolation, verify_folder

    if rules:
        for r in RULES.values():
            out.print(f"{r.id}\t{r.description}", markup=False)
        return
    if plan_dir is None:
        raise typer.BadParameter("give a plan folder (or --rules)", param_hint="PLAN_DIR")
    violations = verify_folder(plan_dir, data)
    if violations:
        raise PlanViolation(f"{plan_dir}: {len(violations)} rule violation"
                            f"{'s' if len(violations) > 1 else ''}:\n"
                            + "\n".join(f"  - {x}" for x in violations))
    out.print(f"{plan_dir}: every hard rule holds")


@app.command(epilog=DEBUG_NOTE)
def bench(
    target: Annotated[Optional[Path], typer.Argument(help="A scenario .yaml or a data folder / workbook")] = None,
    scale: Annotated[Optional[str], typer.Option(help="Instead of TARGET: generated data of about N units (or city, province)")] = None,
    solvers: Annotated[str, typer.Option(help="Comma-separated solvers to time")] = "highs,cbc",
    repeat: Annotated[int, typer.Option(help="Runs per phase (median and spread)")] = 3,
    formulation: Annotated[str, typer.Option(help="tree (the model) or all-pairs (the naive baseline)")] = "tree",
    sets: Annotated[Optional[list[str]], typer.Option("--set", help="Override a scenario key")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Time the phases of a run (load with data edits, cadres, mergers, model build, solve per
    solver); check the solvers agree on the quotas met per tier, counted as the plan counts
    them."""
    from solver.bench import generated_data, run_bench
    from solver.scenario import scenario_for_data

    names = [s.strip() for s in solvers.split(",") if s.strip()]
    for name in names:
        _check_solver(name, "--solvers")
    if formulation not in ("tree", "all-pairs"):
        raise typer.BadParameter("expected tree or all-pairs", param_hint="--formulation")
    if repeat < 1:
        raise typer.BadParameter("at least 1", param_hint="--repeat")
    if (target is None) == (scale is None):
        raise typer.BadParameter("give either TARGET or --scale N", param_hint="TARGET")
    if scale is not None:
        value: str | int = scale if scale in ("city", "province") else _int_scale(scale)
        data = generated_data(value)
        scenario = scenario_for_data(data, sets)
    else:
        scenario = resolve_scenario(target, sets)
    result = run_bench(scenario, names, repeat, formulation)
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    size = result["size"]
    out.print(f"{size['units']} units, {size['quota_rows']} quota rows, {size['demands']} "
              f"demands → {size['arcs']} arcs, {size['nodes']} nodes ({formulation})")
    table = RichTable(title=f"Seconds over {repeat} runs", title_justify="left")
    for col in ("phase", "median", "min", "max"):
        table.add_column(col, justify="left" if col == "phase" else "right")
    rows = [("load (read, validate, data edits)", result["load"])]
    rows += [(label, result[key]) for key, label in (("cadres", "surplus cadres"),
                                                     ("consolidation", "mergers"))
             if key in result]
    rows += [("build model", result["build"])]
    rows += [(f"solve {name}", s) for name, s in result["solve"].items()]
    for label, s in rows:
        table.add_row(label, f"{s['median']:.3f}", f"{s['min']:.3f}", f"{s['max']:.3f}")
    out.print(table)
    totals = "; ".join(f"{k}: {v}" for k, v in result["tier_totals"].items())
    verdict = "agree" if result["solvers_agree"] else "[bold red]DISAGREE[/bold red]"
    out.print(f"Tier totals {verdict} — {totals}", markup=True)
    out.print(f"Peak memory {result['peak_memory_mb']} MB")


def _int_scale(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r}: expected city, province or a number of units",
                                 param_hint="--scale") from None
    if value < 10:
        raise typer.BadParameter("at least 10 units", param_hint="--scale")
    return value


def _readable_help(command) -> None:
    """Help as a person reads it: a flag shows no value type (typer printed `--json <bool>`)
    and an argument its name in capitals (`bianzhi run [OPTIONS] TARGET`, not `{target}`)."""
    for sub in getattr(command, "commands", {}).values():
        _readable_help(sub)
    made = command.get_help_option  # --help is made per context, not among the params

    def help_option(ctx, made=made):
        option = made(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = help_option
    for param in command.params:
        if getattr(param, "is_flag", False):
            param.metavar = ""
        elif param.param_type_name == "argument" and param.metavar is None:
            param.metavar = shown = param.name.upper() + ("..." if param.nargs != 1 else "")
            if not param.required:
                shown = f"[{shown}]"
            param._usage_display_name = lambda shown=shown: shown  # typer wrote {target}


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command; bad input gives a message and exit code 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    try:
        command = typer.main.get_command(app)
        _readable_help(command)
        with paused_gc():  # a command's objects are freed by reference counting
            command(args=args, prog_name="bianzhi", standalone_mode=True)
    except BianzhiError as exc:
        if debug:
            traceback.print_exc()
        err.print(str(exc), markup=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug, not a user error: say so, traceback on request
        if debug:
            raise
        err.print(
            f"internal error: {exc.__class__.__name__}: {exc}\n"
            "run again with --debug for the traceback, and please report it",
            markup=False,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
