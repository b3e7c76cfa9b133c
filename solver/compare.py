"""Differences between plans: the first plan is the base, every other is set against it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from solver.errors import BianzhiError

MOVE_KEY = ["kind", "quota_type", "from_unit", "to_unit", "demand_id"]


@dataclass
class PlanFiles:
    """A plan folder as read back: its summary and tables."""

    name: str
    path: Path
    summary: dict
    tables: dict[str, pd.DataFrame]


def read_plan(path: str | Path) -> PlanFiles:
    """Read a plan folder written by `bianzhi run` (or a sweep point)."""
    from solver.plan import read_plan_folder

    summary, tables = read_plan_folder(path)
    return PlanFiles(name=Path(path).name, path=Path(path), summary=summary, tables=tables)


def kpis(plan: PlanFiles) -> dict:
    """The headline figures of one plan (`solver.plan.kpis`), named."""
    from solver.plan import kpis as plan_kpis

    return {"plan": plan.name, "scenario": plan.summary["scenario"].get("name", ""),
            **plan_kpis(plan.summary)}


def _moves(plan: PlanFiles) -> pd.DataFrame:
    m = plan.tables["moves"]
    m = m.assign(amount=pd.to_numeric(m["amount"]).astype(int))
    return m.groupby(MOVE_KEY, as_index=False)["amount"].sum()


def compare_plans(paths: list[str | Path]) -> dict:
    """KPIs side by side, per-unit approved changes, moves in one plan only, changed demands."""
    if len(paths) < 2:
        raise BianzhiError("compare needs at least two plan folders (the first is the base)")
    plans = [read_plan(p) for p in paths]
    names = [p.name for p in plans]
    if len(set(names)) < len(names):
        names = [f"{i}:{p.name}" for i, p in enumerate(plans)]
        for plan, name in zip(plans, names):
            plan.name = name
    base = plans[0]
    result: dict = {"base": base.name, "plans": names, "kpis": [kpis(p) for p in plans]}

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
        {"unit_id": r["unit_id"], "quota_type": r["quota_type"],
         "approved_after": {p.name: int(r[p.name]) for p in plans}}
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
                             "amount": int(amount)})
        both = merged[merged["_merge"] == "both"]
        for _, r in both[both["amount_base"] != both["amount_other"]].iterrows():
            only.append({"only_in": "both, other amount", "versus": plan.name,
                         **{k: r[k] for k in MOVE_KEY},
                         "amount": int(r["amount_other"]) - int(r["amount_base"])})
    result["moves_only_in"] = only

    cols = ["demand_id", "unit_id", "tier", "amount", "met", "unmet_reason"]
    d = base.tables["demands"][cols].rename(columns={"met": "met_base",
                                                     "unmet_reason": "reason_base"})
    changed = []
    for plan in plans[1:]:
        o = plan.tables["demands"][["demand_id", "met", "unmet_reason"]]
        m = d.merge(o, on="demand_id", how="outer")
        m = m[m["met_base"].fillna("") != m["met"].fillna("")]
        for _, r in m.iterrows():
            changed.append({
                "demand_id": r["demand_id"], "plan": plan.name, "unit_id": r["unit_id"],
                "tier": r["tier"], "amount": _int(r["amount"]),
                "met": {base.name: _int(r["met_base"]), plan.name: _int(r["met"])},
                "reason": {base.name: r["reason_base"] or "", plan.name: r["unmet_reason"] or ""},
            })
    result["changed_demands"] = changed
    result["systems"] = {}
    for plan in plans:
        u = plan.tables["units"]
        if "system" in u:
            by = pd.to_numeric(u["approved_after"]).groupby(u["system"]).sum()
            result["systems"][plan.name] = {str(k): int(v) for k, v in by.items()}
    return result


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
