"""summary.json: the scenario, inputs, solver, the ledger's totals, reserve, met per tier,
marginal values; and the headline figures (`kpis`) compare and sweep share."""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version

import pandas as pd

from solver.domain import DEMAND_MOVES, TIER_ORDER, Move
from solver.ledger import horizon_ledger
from solver.ledger import totals as ledger_totals
from solver.plan.tables import Plan
from solver.scenario import plan_year
from solver.verify import scenario_checksums


def tool_version() -> str:
    try:
        return version("bianzhi")
    except PackageNotFoundError:
        return "unknown"


def _met_summary(d: pd.DataFrame) -> dict:
    out = {}
    for tier in TIER_ORDER:
        rows = d[d["tier"] == tier]
        out[tier] = {
            "demands": len(rows),
            "requested": int(rows["amount"].sum()),
            "met": int(rows["met"].sum()),
            "met_own": int(rows["met_own"].sum()),
            "fully_met": int((rows["met"] >= rows["amount"]).sum()),
        }
    return out


def build_summary(plan: Plan) -> dict:
    """summary.json: scenario, inputs, solver, totals, reserve, met per tier, marginal values."""
    q = plan.quota
    units, pool, blocks, d, moves = q.units, q.pool, q.blocks, q.demands, q.moves
    # totals are sums of the ledger, the one account every part books into
    ledger = plan.tables()["ledger"]
    if plan.years is not None:  # the horizon: start of the first year → end of the last
        t = plan.tables()
        units, pool, d, moves = t["units"], t["pool"], t["demands"], t["moves"]
        ledger = horizon_ledger(ledger)
    by_type = ledger_totals(ledger)
    # the reserve after the plan: vacancies no part uses (the ledger's vacancy_free) + pool
    left = ledger.groupby(["region", "quota_type"])["vacancy_free"].sum().add(
        pool.groupby(["region", "quota_type"])["balance_after"].sum(), fill_value=0)
    held = ledger.groupby(["region", "quota_type"])["returns_held"].sum()
    block_keys = list(zip(blocks["region"], blocks["quota_type"]))
    blocks = blocks.assign(vacancy_after=[int(left.get(k, 0)) for k in block_keys],
                           returns_held=[int(held.get(k, 0)) for k in block_keys])
    totals = {}
    reserve = {}
    for qt in sorted(units["quota_type"].unique()):
        p = pool[pool["quota_type"] == qt]
        b = blocks[blocks["quota_type"] == qt]
        t = by_type[qt]
        totals[qt] = {
            "approved_before": t["approved_before"],
            "approved_after": t["approved_after"],
            "staff_before": t["staff_before"],
            "staff_after": t["staff_after"],
            "pool_before": int(p["balance_before"].sum()),
            "pool_after": int(p["balance_after"].sum()),
            "ledger": {c: v for c, v in t.items()
                       if c not in ("approved_before", "approved_after", "staff_before",
                                    "staff_after")},
        }
        base = int(b["base"].sum())
        after = int(b["vacancy_after"].sum())
        reserve[qt] = {
            "floor": int(b["floor"].sum()),
            "vacancy_before": int(b["vacancy_before"].sum()),
            # vacancies held for surplus people returning to their post (taken before the
            # reserve is counted: one use per vacancy)
            "returns_held": int(b["returns_held"].sum()),
            "vacancy_after": after,
            "rate_after": round(after / base, 4) if base else 0.0,
            "by_region": {
                str(r["region"]): {"floor": int(r["floor"]),
                                   "vacancy_before": int(r["vacancy_before"]),
                                   "returns_held": int(r["returns_held"]),
                                   "vacancy_after": int(r["vacancy_after"]),
                                   "rate": float(r["rate"])}
                for _, r in b.iterrows()
            },
        }
    transfers = moves[moves["kind"].isin(DEMAND_MOVES)]
    unit_system = plan.dataset.units.set_index("unit_id")["system"]
    from_sys = transfers["from_unit"].map(unit_system)
    to_sys = transfers["to_unit"].map(unit_system)
    cross_system = transfers[(transfers["kind"] == Move.TRANSFER) & (from_sys != to_sys)]
    unmet = d[d["met"] < d["amount"]]
    scenario = plan.scenario.resolved()
    # verify re-resolves the scenario from these files: their checksums say they are the same
    scenario["resolution"]["checksums"] = scenario_checksums(scenario["resolution"]["files"])
    return {
        "tool": {"name": "bianzhi", "version": tool_version()},
        "scenario": scenario,
        "inputs": {"path": str(plan.dataset.path), "checksum": plan.dataset.checksum,
                   "warnings": len(plan.dataset.warnings)},
        "solver": {
            "name": q.solver, "status": q.status.value,
            "proven_optimal": q.status.value == "optimal",
            "gap": q.gap, "objective": round(q.objective, 6),
            "ladder_cost": round(q.ladder_cost, 6), "mip_fallback": q.mip_fallback,
            "method": "one LP on a min-cost-flow network; tiers lexicographic by rewards "
                      "proven large enough (see solver/quotas/network.py: tier_rewards)",
        },
        "size": q.size,
        "totals": totals,
        "reserve": reserve,
        "met": _met_summary(d),
        "unmet": {
            "demands": len(unmet),
            "amount": int((unmet["amount"] - unmet["met"]).sum()),
            "by_reason": {str(k): int(v) for k, v in
                          unmet.groupby("unmet_reason")["amount"].size().items()},
        },
        "moves": {
            "count": len(moves),
            "quotas_moved": int(transfers["amount"].sum()),
            "by_kind": {str(k): int(v) for k, v in moves.groupby("kind")["amount"].sum().items()},
            "by_source": {str(k): int(v) for k, v in
                          transfers.groupby("source")["amount"].sum().items()},
            "cross_system": len(cross_system),
            "cross_system_quotas": int(cross_system["amount"].sum()),
            "temporary": int((moves["temporary_until"] != "").sum()),
        },
        "marginal_values": {
            "method": "re-solve: the model solved again with one point less of reserve rate, "
                      "and with one more pool quota, per region and quota type",
            "by_region": q.marginal_values,
        },
        "alternative": plan.alternative,
        "horizon": _horizon_summary(plan),
        "years": _years_summary(plan),
        "consolidation": ({"present": True, **plan.mergers.summary()}
                          if plan.mergers is not None else
                          {"present": False, "note": "consolidation.enabled is false"}),
        "cadres": _cadre_summary(plan),
        "aux": ({"present": True, **plan.aux.summary()} if plan.aux is not None
                and plan.aux.status != "no_data" else
                {"present": False, "note": "no aux_positions table or aux.enabled is false"}),
        "timings": {k: round(v, 4) for k, v in {**plan.timings, **q.timings}.items()},
    }


def _horizon_summary(plan: Plan) -> dict:
    h = plan.scenario.horizon
    if h is None or plan.years is None:
        return {"present": False, "note": "a one-year plan (no horizon in the scenario)"}
    return {"present": True, "start": h.start, "end": h.end, "foresight": h.foresight,
            "retirement": plan.scenario.retirement,
            "attrition": plan.scenario.attrition.model_dump(mode="json")["rate"],
            **plan.years.summary}


def _years_summary(plan: Plan) -> dict:
    """Per year: met per tier, reserve per quota type against its floor, retirements, other
    leavers, hires, returns (事去减编) and the pool at the end."""
    if plan.years is None:
        return {}
    t = plan.tables()
    tier = t["demands"].set_index("demand_id")["tier"]
    dy = t["demand_years"]
    led = t["ledger"]
    yrs = t["years"]
    py = t["pool_years"]
    out = {}
    for y in plan.years.years:
        met = dy[dy["year"] == y.year]
        met_tier = met.groupby(met["demand_id"].map(tier))["met"].sum()
        blocks = y.quota.blocks.groupby("quota_type")["floor"].sum()
        ly = led[led["year"] == y.year]
        left = ly.groupby("quota_type")["vacancy_free"].sum().add(
            py[py["year"] == y.year].groupby("quota_type")["balance_end"].sum(), fill_value=0)
        rows = yrs[yrs["year"] == y.year]
        out[str(y.year)] = {
            "met": {tr: int(met_tier.get(tr, 0)) for tr in TIER_ORDER},
            "reserve": {str(qt): {"floor": int(blocks.get(qt, 0)),
                                  "vacancy_after": int(left.get(qt, 0))}
                        for qt in sorted(ly["quota_type"].unique())},
            "retirements": int(rows["retirements"].sum()),
            "leavers": int(rows["leavers"].sum()),
            "hires": int(rows["hires"].sum()),
            "returned": int(rows["returned"].sum()),
            "pool": {str(qt): int(v) for qt, v in py[py["year"] == y.year].groupby(
                "quota_type")["balance_end"].sum().items()},
        }
        if "aux_years" in t:  # the off-quota cut of the year (cumulative on the locked base)
            a = t["aux_years"]
            a = a[a["year"] == y.year]
            out[str(y.year)]["aux"] = {c: int(a[c].sum()) for c in (
                "base", "cap", "headcount_start", "approved_after", "to_services", "ended")}
    return out


def _cadre_summary(plan: Plan) -> dict:
    if plan.cadres is None:
        return {"present": False, "note": "no people table: the cadre part was skipped"
                if plan.dataset.people is None else "cadres.enabled is false"}
    sc = plan.scenario
    year = plan_year(sc, plan.dataset.year)  # not None: the cadre part ran
    source = ("calendar" if sc.year_assumed else "scenario" if sc.year else
              "horizon" if sc.horizon is not None else "data")
    return {"present": True, "plan_year": year, "plan_year_source": source,
            "data_year": plan.dataset.year or year, **plan.cadres.summary()}


def kpis(summary: dict) -> dict:
    """The headline figures of one plan, from its summary: what `compare` sets side by side
    and what a sweep records per point (one definition for both)."""
    out: dict = {"status": summary["solver"]["status"]}
    for tier in TIER_ORDER:
        out[f"met.{tier}"] = summary["met"][tier]["met"]
    for qt, r in summary["reserve"].items():
        out[f"reserve.{qt}"] = r["vacancy_after"]
    out["moves"] = summary["moves"]["count"]
    out["cross_system_moves"] = summary["moves"]["cross_system"]
    out["unmet"] = summary["unmet"]["demands"]
    for option, count in summary.get("cadres", {}).get("by_option", {}).items():
        out[f"cadres.{option}"] = count
    return out


def summary_json(summary: dict) -> str:
    """summary.json's text: strict JSON (a NaN or infinity is a bug, never written)."""
    return json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=False,
                      allow_nan=False) + "\n"
