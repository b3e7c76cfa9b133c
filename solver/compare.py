"""Differences between plans: the first plan is the base, every other is set against it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from solver.domain import TIER_ORDER
from solver.errors import BianzhiError
from solver.names import Names

MOVE_KEY = ["kind", "quota_type", "from_unit", "to_unit", "demand_id"]


@dataclass
class PlanFiles:
    """A plan folder as read back: its summary and tables."""

    name: str
    path: Path
    summary: dict
    tables: dict[str, pd.DataFrame]
    names: Names = field(default_factory=Names)


def read_plan(path: str | Path) -> PlanFiles:
    """Read a plan folder written by `bianzhi run` (or a sweep point)."""
    from solver.plan import read_plan_folder

    summary, tables = read_plan_folder(path)
    return PlanFiles(name=Path(path).name, path=Path(path), summary=summary, tables=tables,
                     names=Names.from_folder(Path(path)))


def is_multi_year(plan: PlanFiles) -> bool:
    """A plan over a horizon of years (issue 12): summary.json has `horizon` and `years`."""
    return bool((plan.summary.get("horizon") or {}).get("present")
                and plan.summary.get("years"))


def kpis(plan: PlanFiles) -> dict:
    """The headline figures of one plan (`solver.plan.kpis`), named.

    A multi-year plan adds its horizon (years, foresight, other leavers' rate), the horizon's
    retirements, other leavers, hires and returns, and per year `<year>.met.<tier>` and
    `<year>.reserve.<quota_type>` (vacancy kept at the year end): the terminal's KPI table of
    `bianzhi compare` then shows the years side by side too."""
    from solver.plan import kpis as plan_kpis

    out = {"plan": plan.name, "scenario": plan.summary["scenario"].get("name", ""),
           **plan_kpis(plan.summary)}
    if is_multi_year(plan):
        h = plan.summary["horizon"]
        per_year = plan.summary["years"]
        out["horizon"] = f"{h.get('start')}-{h.get('end')}"
        out["foresight"] = h.get("foresight", "")
        out["attrition"] = h.get("attrition", 0)
        for figure in ("retirements", "leavers", "hires", "returned"):
            out[figure] = sum(int(v.get(figure, 0)) for v in per_year.values())
        for year in sorted(per_year, key=int):
            v = per_year[year]
            for tier in TIER_ORDER:
                out[f"{year}.met.{tier}"] = int(v["met"].get(tier, 0))
            for qt, r in v["reserve"].items():
                out[f"{year}.reserve.{qt}"] = int(r["vacancy_after"])
    return out


def _moves(plan: PlanFiles) -> pd.DataFrame:
    m = plan.tables["moves"]
    m = m.assign(amount=pd.to_numeric(m["amount"]).astype(int))
    return m.groupby(MOVE_KEY, as_index=False)["amount"].sum()


def inputs_dataset(summary: dict, plan_dir: Path, data: Path | None = None):
    """A plan's inputs, read and edited as the plan read them: found as `solver.inputs.locate`
    says (--data, then the paths in summary.json) and refused (InputsDiffer) unless they are
    the plan's, by the recorded checksums."""
    from solver.edits import load_data
    from solver.inputs import FIX, InputsDiffer, data_difference, locate
    from solver.scenario import build_scenario, load_scenario

    located = locate(summary, plan_dir, data, need_scenario=False)
    scenario = build_scenario(summary["scenario"], Path("."), "summary.json")
    # a scenario file given with --data names the data; the edits stay the recorded ones
    scenario.data = str(located.data if located.data is not None else
                        load_scenario(located.scenario).data_path)
    ds = load_data(scenario)
    difference = data_difference(summary, ds)
    if difference:
        raise InputsDiffer((f"--data {data}: " if located.given else "") + difference
                           + f"; {FIX}")
    return ds


def _names_from_inputs(plans: list[PlanFiles], data: Path | None) -> None:
    """Plan folders without names.csv (written before names were kept) take their units'
    names from their inputs: `data` (--data) where it is a plan's (by checksum), else the
    recorded paths; codes where neither is found. `data` that is none of the plans' inputs
    is bad input (exit 2), even when every plan has its names."""
    from solver.inputs import InputsDiffer, InputsNotFound

    matched = False
    for plan in plans:
        if plan.names.by_kind and data is None:
            continue
        for given in ([data] if data is not None else []) + [None]:
            try:
                ds = inputs_dataset(plan.summary, plan.path, given)
            except (InputsNotFound, InputsDiffer):
                continue
            matched |= given is not None
            if not plan.names.by_kind:
                plan.names = Names.from_dataset(ds)
            break
    if data is not None and not matched:
        raise InputsDiffer(f"--data {data}: these are not the inputs of any of the plans "
                           "compared (their checksums in summary.json differ); give the data "
                           "folder, workbook or scenario file one of the plans was made from")


def compare_plans(paths: list[str | Path], data: Path | None = None) -> dict:
    """KPIs side by side, per-unit approved changes, moves in one plan only, changed demands.

    `data` (--data): where the plans' inputs are now, for plan folders without names.csv."""
    if len(paths) < 2:
        raise BianzhiError("compare needs at least two plan folders (the first is the base)")
    plans = [read_plan(p) for p in paths]
    if data is not None or not all(p.names.by_kind for p in plans):
        _names_from_inputs(plans, data)
    names = [p.name for p in plans]
    if len(set(names)) < len(names):
        names = [f"{i}:{p.name}" for i, p in enumerate(plans)]
        for plan, name in zip(plans, names):
            plan.name = name
    base = plans[0]
    result: dict = {"base": base.name, "plans": names, "kpis": [kpis(p) for p in plans]}
    # the units' names (names.csv of the plans; a later plan's name wins, codes without one)
    named = Names({k: {c: n for p in plans for c, n in p.names.by_kind.get(k, {}).items()}
                   for k in ("unit", "system", "sector", "region")})
    # what compare.html shows for the codes of systems, sectors and regions
    result["display_names"] = {k: dict(sorted(named.by_kind.get(k, {}).items()))
                               for k in ("system", "sector", "region")}

    key = ["unit_id", "quota_type"]
    approved = None
    for plan in plans:
        u = plan.tables["units"][key + ["approved_after"]].rename(
            columns={"approved_after": plan.name})
        u[plan.name] = pd.to_numeric(u[plan.name]).astype(int)
        approved = u if approved is None else approved.merge(u, on=key, how="outer")
    approved = approved.fillna(0)
    differs = (approved[[p.name for p in plans[1:]]].to_numpy()
               != approved[[base.name]].to_numpy()).any(axis=1)
    changes = approved[differs].sort_values(key)
    result["unit_changes"] = [
        {"unit_id": r["unit_id"], "unit_name": named.name("unit", r["unit_id"]),
         "quota_type": r["quota_type"], "approved_after": {p.name: int(r[p.name]) for p in plans}}
        for _, r in changes.iterrows()
    ]

    base_moves = _moves(base)
    only = []
    for plan in plans[1:]:
        other = _moves(plan)
        merged = base_moves.merge(other, on=MOVE_KEY, how="outer", suffixes=("_base", "_other"),
                                  indicator=True)
        for side, label in (("left_only", base.name), ("right_only", plan.name)):
            for _, r in merged[merged["_merge"] == side].iterrows():
                amount = r["amount_base"] if side == "left_only" else r["amount_other"]
                only.append({"only_in": label, "versus": plan.name if side == "left_only"
                             else base.name, **{k: r[k] for k in MOVE_KEY},
                             **_move_names(named, r), "amount": int(amount)})
        both = merged[merged["_merge"] == "both"]
        for _, r in both[both["amount_base"] != both["amount_other"]].iterrows():
            only.append({"only_in": "both, other amount", "versus": plan.name,
                         **{k: r[k] for k in MOVE_KEY}, **_move_names(named, r),
                         "amount": int(r["amount_other"]) - int(r["amount_base"])})
    result["moves_only_in"] = only

    cols = ["demand_id", "unit_id", "tier", "amount", "met", "unmet_reason"]
    d = base.tables["demands"][cols].rename(columns={"met": "met_base",
                                                     "unmet_reason": "reason_base"})
    changed = []
    for plan in plans[1:]:
        o = plan.tables["demands"][["demand_id", "amount", "met", "unmet_reason"]].rename(
            columns={"amount": "amount_other"})
        m = d.merge(o, on="demand_id", how="outer")
        m = m[m["met_base"].fillna("") != m["met"].fillna("")]
        for _, r in m.iterrows():
            met = {base.name: _int(r["met_base"]), plan.name: _int(r["met"])}
            changed.append({
                "demand_id": r["demand_id"], "plan": plan.name, "unit_id": r["unit_id"],
                "unit_name": named.name("unit", r["unit_id"]), "tier": r["tier"],
                # each plan's own request (data edits may change it between scenarios)
                "amount": {base.name: _int(r["amount"]), plan.name: _int(r["amount_other"])},
                "met": met,
                "reason": {base.name: _why(r["reason_base"], met[base.name]),
                           plan.name: _why(r["unmet_reason"], met[plan.name])},
            })
    result["changed_demands"] = changed
    result["systems"] = {}
    for plan in plans:
        u = plan.tables["units"]
        if "system" in u:
            by = pd.to_numeric(u["approved_after"]).groupby(u["system"]).sum()
            result["systems"][plan.name] = {str(k): int(v) for k, v in by.items()}
    if any(is_multi_year(p) for p in plans):  # a one-year comparison keeps its keys
        result["years"] = years_side_by_side(plans)
        result["met_years"] = met_years_changed(base, plans[1:])
    return result


def _move_names(names: Names, move) -> dict[str, str]:
    """The names of a move's two units (a pool grant or withdrawal has one: '' for the other)."""
    return {"from_unit_name": names.name("unit", move["from_unit"] or None),
            "to_unit_name": names.name("unit", move["to_unit"] or None)}


def years_side_by_side(plans: list[PlanFiles]) -> list[dict]:
    """Per multi-year plan and year: quotas met per tier, the reserve per quota type (vacancy
    kept at the year end, and its floor), retirements, other leavers, hires and returns."""
    rows = []
    for plan in plans:
        if not is_multi_year(plan):
            continue
        per_year = plan.summary["years"]
        for year in sorted(per_year, key=int):
            v = per_year[year]
            rows.append({
                "plan": plan.name, "year": int(year),
                "met": {tier: int(v["met"].get(tier, 0)) for tier in TIER_ORDER},
                "reserve": {qt: {"floor": int(r["floor"]),
                                 "vacancy_after": int(r["vacancy_after"])}
                            for qt, r in v["reserve"].items()},
                **{k: int(v.get(k, 0)) for k in ("retirements", "leavers", "hires",
                                                  "returned")}})
    return rows


def _met_by_year(plan: PlanFiles) -> dict[str, dict[str, int]]:
    """demand_id → {year: quotas met that year} (years with a met quota only)."""
    dy = plan.tables.get("demand_years")
    out: dict[str, dict[str, int]] = {}
    if dy is None:
        return out
    for d, y, m in zip(dy["demand_id"], dy["year"], dy["met"]):
        met, year = _number(m), _number(y)
        if met and year:
            by_year = out.setdefault(d, {})
            by_year[str(year)] = by_year.get(str(year), 0) + met
    return out


def met_years_changed(base: PlanFiles, others: list[PlanFiles]) -> list[dict]:
    """The demands met in other years (or other amounts in a year) than in the base plan,
    for each other multi-year plan: met_year (the year of the last quota met; None if never)
    and the quotas met per year, in both plans."""
    if not is_multi_year(base):
        return []
    info = base.tables["demands"].set_index("demand_id")
    mine = _met_by_year(base)
    out = []
    for plan in others:
        if not is_multi_year(plan):
            continue
        theirs = _met_by_year(plan)
        ids = sorted(set(mine) | set(theirs), key=lambda d: (d not in info.index, d))
        for d in ids:
            a, b = mine.get(d, {}), theirs.get(d, {})
            if a == b:
                continue
            row = info.loc[d] if d in info.index else None
            out.append({
                "demand_id": d, "plan": plan.name,
                "unit_id": row["unit_id"] if row is not None else "",
                "tier": row["tier"] if row is not None else "",
                "amount": _int(row["amount"]) if row is not None else None,
                "met_year": {base.name: _last_year(a), plan.name: _last_year(b)},
                "met": {base.name: sum(a.values()), plan.name: sum(b.values())},
                "by_year": {base.name: a, plan.name: b}})
    return out


def _why(unmet_reason, met: int | None) -> str:
    """The demand's outcome code: its unmet_reason, `met` when nothing was left unmet, and
    `absent` when the plan does not have the demand."""
    if met is None:
        return "absent"
    text = "" if unmet_reason is None or pd.isna(unmet_reason) else str(unmet_reason)
    return text or "met"


def _last_year(by_year: dict[str, int]) -> int | None:
    return max((int(y) for y in by_year), default=None)


def _number(value) -> int:
    """A count or year as written (1, 1.0 or ''): 0 where none."""
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def years_frame(result: dict) -> pd.DataFrame:
    """One row per plan and year: met per tier, reserve and floor per quota type, leavers."""
    rows = [{"plan": r["plan"], "year": r["year"],
             **{f"met.{tier}": n for tier, n in r["met"].items()},
             **{f"reserve.{qt}": v["vacancy_after"] for qt, v in r["reserve"].items()},
             **{f"floor.{qt}": v["floor"] for qt, v in r["reserve"].items()},
             **{k: r[k] for k in ("retirements", "leavers", "hires", "returned")}}
            for r in result.get("years", [])]
    return pd.DataFrame(rows, columns=None if rows else ["plan", "year"])


def by_year_text(by_year: dict) -> str:
    return " ".join(f"{y}:{n}" for y, n in sorted(by_year.items()))
