"""A plan: its tables, its summary, writing it atomically, and verifying every hard rule.

`verify_tables` is the independent check: it recomputes every rule from the input tables and
the plan tables alone (no model objects), so a plan folder on disk can be re-checked later
by `bianzhi verify`, and `bianzhi run` calls the same check before it reports success.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd

from solver.cadres.checks import check_assignments
from solver.aux import AuxPlan
from solver.consolidation import MergerPlan
from solver.cadres.model import CadrePlan
from solver.domain import TIER_ORDER
from solver.errors import BianzhiError
from solver.quotas.engine import QuotaPlan
from solver.quotas.explain import UNMET_REASONS
from solver.scenario import Policy, Scenario, build_scenario
from solver.validate import Dataset

PLAN_COLUMNS: dict[str, list[str]] = {
    "moves": ["kind", "quota_type", "from_unit", "to_unit", "amount", "demand_id", "tier",
              "source", "reason", "temporary_until", "from_region", "to_region"],
    "units": ["unit_id", "quota_type", "approved_before", "approved_after", "staff_before",
              "staff_after", "region", "system", "status"],
    "pool": ["region", "quota_type", "balance_before", "balance_after", "withdrawn",
             "merge_released", "granted"],
    "demands": ["demand_id", "unit_id", "quota_type", "tier", "amount", "met", "met_own",
                "met_transfer", "unmet_reason", "reason", "start_year", "end_year"],
    "mergers": ["merger_id", "unit_id", "parent_id", "freed", "reason", "role", "keeper_id",
                "region", "system", "quota_type", "approved_before", "staff_before",
                "approved_after", "staff_after"],
    "assignments": ["person_id", "option", "group_id", "score", "reason", "unit_id",
                    "quota_type", "to_unit", "demand_id", "follow_up"],
}
MOVE_KINDS = {"transfer", "transfer_with_person", "withdraw", "pool_grant", "merge_release"}
SOURCES = {"same_system", "same_sector", "other", "pool", ""}


class PlanViolation(BianzhiError):
    """A plan that breaks a hard rule."""

    exit_code = 3


def tool_version() -> str:
    try:
        return version("bianzhi")
    except PackageNotFoundError:
        return "unknown"


@dataclass
class Plan:
    """Everything a run produced: tables for the plan folder and the summary."""

    scenario: Scenario
    dataset: Dataset
    quota: QuotaPlan
    cadres: CadrePlan | None = None
    aux: AuxPlan | None = None
    mergers: MergerPlan | None = None
    timings: dict[str, float] = field(default_factory=dict)
    alternative: dict | None = None  # for a near-optimal alternative: its number and slack

    def tables(self) -> dict[str, pd.DataFrame]:
        q = self.quota
        out = {
            "moves": q.moves[PLAN_COLUMNS["moves"]],
            "units": q.units[PLAN_COLUMNS["units"]],
            "pool": q.pool[PLAN_COLUMNS["pool"]],
            "demands": q.demands.reindex(columns=PLAN_COLUMNS["demands"]),
        }
        if self.cadres is not None:
            out["assignments"] = self.cadres.assignments[PLAN_COLUMNS["assignments"]]
        if self.aux is not None and self.aux.status != "no_data":
            t = self.aux.table.copy()
            for col in ("never_approved", "outsourceable"):
                t[col] = np.where(t[col].astype(bool), "yes", "no")
            out["aux_plan"] = t
        if self.mergers is not None and self.mergers.status not in ("disabled",):
            out["mergers"] = self.mergers.table[PLAN_COLUMNS["mergers"]]
        return out

    def summary(self) -> dict:
        return build_summary(self)

    def verify(self) -> list[str]:
        """Every hard rule on this plan's tables (the same check `bianzhi verify` runs)."""
        from solver.runner import plan_year

        year = plan_year(self.scenario, self.dataset) if self.dataset.people is not None \
            else None
        return verify_plan_tables(self.dataset, self.scenario.policy, self.tables(), year,
                                  self.dataset.year or year, self.scenario.aux.reduction,
                                  self.scenario.consolidation)


def _met_summary(d: pd.DataFrame) -> dict:
    out = {}
    for tier in TIER_ORDER:
        rows = d[d["tier"] == tier]
        out[tier] = {
            "demands": int(len(rows)),
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
    totals = {}
    reserve = {}
    for qt in sorted(units["quota_type"].unique()):
        u = units[units["quota_type"] == qt]
        p = pool[pool["quota_type"] == qt]
        b = blocks[blocks["quota_type"] == qt]
        totals[qt] = {
            "approved_before": int(u["approved_before"].sum()),
            "approved_after": int(u["approved_after"].sum()),
            "staff_before": int(u["staff_before"].sum()),
            "staff_after": int(u["staff_after"].sum()),
            "pool_before": int(p["balance_before"].sum()),
            "pool_after": int(p["balance_after"].sum()),
        }
        base = int(b["base"].sum())
        after = int(b["vacancy_after"].sum())
        reserve[qt] = {
            "floor": int(b["floor"].sum()),
            "vacancy_before": int(b["vacancy_before"].sum()),
            "vacancy_after": after,
            "rate_after": round(after / base, 4) if base else 0.0,
            "by_region": {
                str(r["region"]): {"floor": int(r["floor"]),
                                   "vacancy_before": int(r["vacancy_before"]),
                                   "vacancy_after": int(r["vacancy_after"]),
                                   "rate": float(r["rate"])}
                for _, r in b.iterrows()
            },
        }
    transfers = moves[moves["kind"] != "withdraw"]
    unit_system = plan.dataset.units.set_index("unit_id")["system"]
    from_sys = transfers["from_unit"].map(unit_system)
    to_sys = transfers["to_unit"].map(unit_system)
    cross_system = transfers[(transfers["kind"] == "transfer") & (from_sys != to_sys)]
    unmet = d[d["met"] < d["amount"]]
    return {
        "tool": {"name": "bianzhi", "version": tool_version()},
        "scenario": plan.scenario.resolved(),
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
            "demands": int(len(unmet)),
            "amount": int((unmet["amount"] - unmet["met"]).sum()),
            "by_reason": {str(k): int(v) for k, v in
                          unmet.groupby("unmet_reason")["amount"].size().items()},
        },
        "moves": {
            "count": int(len(moves)),
            "quotas_moved": int(transfers["amount"].sum()),
            "by_kind": {str(k): int(v) for k, v in moves.groupby("kind")["amount"].sum().items()},
            "by_source": {str(k): int(v) for k, v in
                          transfers.groupby("source")["amount"].sum().items()},
            "cross_system": int(len(cross_system)),
            "cross_system_quotas": int(cross_system["amount"].sum()),
            "temporary": int((moves["temporary_until"] != "").sum()),
        },
        "marginal_values": {
            "method": "re-solve: the model solved again with one point less of reserve rate, "
                      "and with one more pool quota, per region and quota type",
            "by_region": q.marginal_values,
        },
        "alternative": plan.alternative,
        "consolidation": ({"present": True, **plan.mergers.summary()}
                          if plan.mergers is not None else
                          {"present": False, "note": "consolidation.enabled is false"}),
        "cadres": _cadre_summary(plan),
        "aux": ({"present": True, **plan.aux.summary()} if plan.aux is not None
                and plan.aux.status != "no_data" else
                {"present": False, "note": "no aux_positions table or aux.enabled is false"}),
        "timings": {k: round(v, 4) for k, v in {**plan.timings, **q.timings}.items()},
    }


def _cadre_summary(plan: Plan) -> dict:
    if plan.cadres is None:
        return {"present": False, "note": "no people table: the cadre part was skipped"
                if plan.dataset.people is None else "cadres.enabled is false"}
    from solver.runner import plan_year

    year = plan_year(plan.scenario, plan.dataset)
    return {"present": True, "plan_year": year, "data_year": plan.dataset.year or year,
            **plan.cadres.summary()}


# ---------------------------------------------------------------- writing


def _write_tables(plan: Plan, folder: Path, lang: str = "zh",
                  summary: dict | None = None) -> None:
    from solver.domain import PLAN_TABLES
    from solver.io.write import write_workbook

    tables = plan.tables()
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    # the plan as a workbook for the committee (Chinese sheets and headers by default)
    write_workbook(tables, folder / "plan.xlsx", lang=lang, specs=PLAN_TABLES)
    summary = plan.summary() if summary is None else summary
    (folder / "summary.json").write_text(summary_json(summary), encoding="utf-8")


def summary_json(summary: dict) -> str:
    """summary.json's text: strict JSON (a NaN or infinity is a bug, never written)."""
    return json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=False,
                      allow_nan=False) + "\n"


def plan_inputs(plan: Plan) -> list[Path]:
    """The files a plan was made from: an output folder may not replace them."""
    return [plan.scenario.data_path, *(Path(f) for f in plan.scenario.sources)]


def write_plan(plan: Plan, out_dir: str | Path, extra_files: dict[str, str] | None = None,
               alternatives: list[Plan] | None = None, lang: str = "zh",
               summary: dict | None = None) -> Path:
    """Write the plan folder: into a new folder or over an earlier plan folder, atomically.

    Near-optimal alternatives go inside it as alt-1/, alt-2/, … (plan folders themselves).
    Anything else at `out_dir` is refused (`solver.io.outdir`).
    """
    from solver.io.outdir import claim_output, write_marker

    with claim_output(Path(out_dir), "plan", plan_inputs(plan)) as folder:
        _write_tables(plan, folder.tmp, lang, summary)
        for name, text in (extra_files or {}).items():
            (folder.tmp / name).write_text(text, encoding="utf-8")
        for k, alt in enumerate(alternatives or [], start=1):
            (folder.tmp / f"alt-{k}").mkdir()
            _write_tables(alt, folder.tmp / f"alt-{k}", lang)
            write_marker(folder.tmp / f"alt-{k}", "plan")
        return folder.commit()


# ---------------------------------------------------------------- verification


def _int(frame: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_numeric(frame[col], errors="coerce").fillna(0).astype(np.int64)


def _text(frame: pd.DataFrame, col: str) -> pd.Series:
    return frame[col].fillna("").astype(str).replace("nan", "")


def merged_view(ds: Dataset, tables: dict[str, pd.DataFrame]
                ) -> tuple[Dataset, dict[str, pd.DataFrame]]:
    """Inputs and plan tables with every merged group as one unit (its keeper).

    A merger makes one unit of several (issue 7), so the quota rules hold for the group:
    quotas, plan rows, moves, demands and people of absorbed units count under the keeper.
    """
    from dataclasses import replace

    m = tables["mergers"]
    absorbed = m[m["role"] == "absorbed"] if "role" in m else m.iloc[0:0]
    owner = dict(zip(absorbed["unit_id"], absorbed["keeper_id"]))
    if not owner:
        return ds, tables

    def remap(series: pd.Series) -> pd.Series:
        return series.map(lambda u: owner.get(u, u))

    q = ds.quotas.assign(unit_id=remap(ds.quotas["unit_id"]))
    q = q.groupby(["unit_id", "quota_type"], as_index=False, sort=False)[
        ["approved", "staff"]].sum()
    out = dict(tables)
    u = tables["units"].copy()
    num = ["approved_before", "approved_after", "staff_before", "staff_after"]
    for col in num:
        u[col] = _int(u, col)
    u["unit_id"] = remap(u["unit_id"])
    out["units"] = u.groupby(["unit_id", "quota_type"], as_index=False, sort=False)[num].sum()
    moves = tables["moves"].copy()
    for end in ("from_unit", "to_unit"):
        moves[end] = remap(_text(moves, end)).where(_text(moves, end) != "", "")
    out["moves"] = moves
    out["demands"] = tables["demands"].assign(unit_id=remap(tables["demands"]["unit_id"]))
    if "assignments" in tables:
        out["assignments"] = tables["assignments"].assign(
            unit_id=remap(tables["assignments"]["unit_id"]))
    return replace(ds, quotas=q), out


def verify_mergers(ds: Dataset, mergers: pd.DataFrame, moves: pd.DataFrame,
                   threshold: int, max_size: int) -> list[str]:
    """Mergers join only small institutions of one parent and system, within the size limit,
    freeing only vacant quotas, and every freed quota goes to the pool."""
    v: list[str] = []
    m = mergers.copy()
    m["freed"] = _int(m, "freed")
    units = ds.units.set_index("unit_id")
    q = ds.quotas[ds.quotas["quota_type"] == "institution"].set_index("unit_id")
    for mid, g in m.groupby("merger_id"):
        ids = list(g["unit_id"])
        missing = [u for u in ids if u not in units.index]
        if missing:
            v.append(f"merger {mid}: unknown units {missing}")
            continue
        info = units.loc[ids]
        if info["parent_id"].nunique() != 1 or info["parent_id"].isna().any():
            v.append(f"merger {mid} joins institutions of different parent departments")
        if info["system"].nunique() != 1 or info["region"].nunique() != 1:
            v.append(f"merger {mid} joins institutions of different systems or regions")
        if (info["kind"] != "institution").any() or (info["function_status"] == "lapsed").any():
            v.append(f"merger {mid} joins a unit that is not an active institution")
        approved = q["approved"].reindex(ids).fillna(0).astype(int)
        staff = q["staff"].reindex(ids).fillna(0).astype(int)
        if (approved > threshold).any():
            v.append(f"merger {mid} joins an institution above the threshold {threshold}")
        freed = int(g["freed"].sum())
        if freed > approved.sum() - staff.sum():
            v.append(f"merger {mid} frees {freed} quotas but has only "
                     f"{approved.sum() - staff.sum()} vacant")
        if approved.sum() - freed > max_size:
            v.append(f"merger {mid}: the merged unit ({approved.sum() - freed}) exceeds "
                     f"max_size {max_size}")
    released = moves[_text(moves, "kind") == "merge_release"]
    by_unit = _int(released, "amount").groupby(_text(released, "from_unit")).sum()
    freed_by_unit = m.set_index("unit_id")["freed"]
    freed_by_unit = freed_by_unit[freed_by_unit > 0]
    if not by_unit.sort_index().equals(freed_by_unit.groupby(level=0).sum().sort_index()
                                       .astype(by_unit.dtype)):
        v.append("the quotas freed in mergers.csv do not all appear as merge_release moves "
                 "into the pool")
    if (_text(released, "to_unit") != "").any():
        v.append("a merge_release move does not go to the pool")
    return v


def verify_tables(ds: Dataset, policy: Policy, tables: dict[str, pd.DataFrame],
                  releases: dict[tuple[str, str], int] | None = None) -> list[str]:
    """Every hard rule, recomputed from inputs and plan tables; one line per violation."""
    v: list[str] = []
    if "mergers" in tables and len(tables["mergers"]):
        ds, tables = merged_view(ds, tables)
    releases = releases or {}
    units_in = ds.units.set_index("unit_id")
    q = ds.quotas.set_index(["unit_id", "quota_type"])
    plan_units = tables["units"].copy()
    moves = tables["moves"].copy()
    demands = tables["demands"].copy()
    pool = tables["pool"].copy()
    for col in ("amount",):
        moves[col] = _int(moves, col)
    for col in ("from_unit", "to_unit", "kind", "source", "demand_id", "tier", "quota_type",
                "temporary_until"):
        moves[col] = _text(moves, col)
    for col in ("approved_before", "approved_after", "staff_before", "staff_after"):
        plan_units[col] = _int(plan_units, col)
    for col in ("amount", "met", "met_own"):
        demands[col] = _int(demands, col)
    demands["unmet_reason"] = _text(demands, "unmet_reason")
    for col in ("balance_before", "balance_after"):
        pool[col] = _int(pool, col)

    pu = plan_units.set_index(["unit_id", "quota_type"])
    missing = q.index.difference(pu.index)
    if len(missing):
        v.append(f"units.csv lacks {len(missing)} unit/quota rows of the input, e.g. "
                 f"{list(missing[:3])}")
        return v
    pu = pu.loc[q.index]
    A, S = q["approved"].astype(np.int64), q["staff"].astype(np.int64)
    if not (pu["approved_before"].to_numpy() == A.to_numpy()).all() or not (
            pu["staff_before"].to_numpy() == S.to_numpy()).all():
        v.append("units.csv: approved_before/staff_before differ from the input quotas")
    # early retirements (issue 4) free posts before the reallocation
    assignments = tables.get("assignments")
    retire = pd.Series(0, index=q.index, dtype=np.int64)
    if assignments is not None and len(assignments):
        r = assignments[_text(assignments, "option") == "early_retirement"]
        retire = r.groupby(["unit_id", "quota_type"]).size().reindex(q.index).fillna(0).astype(
            np.int64)
    vacancy = (A - S + retire).clip(lower=0)
    region = pd.Series(units_in["region"].reindex(q.index.get_level_values(0)).to_numpy(),
                       index=q.index)
    lapsed = pd.Series(
        (units_in["function_status"].reindex(q.index.get_level_values(0)) == "lapsed").to_numpy(),
        index=q.index)
    status = pd.Series(np.where(S > A, "over", np.where(S == A, "full", "vacant")), index=q.index)

    # moves: vocabulary, types held, regions
    bad_kind = set(moves["kind"]) - MOVE_KINDS
    if bad_kind:
        v.append(f"moves.csv: unknown move kinds {sorted(bad_kind)}")
    bad_src = set(moves["source"]) - SOURCES
    if bad_src:
        v.append(f"moves.csv: unknown sources {sorted(bad_src)}")
    if (moves["amount"] <= 0).any():
        v.append("moves.csv: a move with a non-positive amount")
    for end in ("from_unit", "to_unit"):
        named = moves[moves[end] != ""]
        keys = pd.MultiIndex.from_arrays([named[end], named["quota_type"]])
        not_held = named[~keys.isin(q.index)]
        for _, m in not_held.head(10).iterrows():
            v.append(f"moves.csv: {m['kind']} of {m['quota_type']} {end.split('_')[0]} "
                     f"{m[end]}, which holds no such quota type (types never mix)")
    both = moves[(moves["from_unit"] != "") & (moves["to_unit"] != "")]
    if not policy.allow_cross_region and len(both):
        r_from = both["from_unit"].map(units_in["region"])
        r_to = both["to_unit"].map(units_in["region"])
        for _, m in both[r_from != r_to].head(10).iterrows():
            v.append(f"moves.csv: {m['from_unit']} → {m['to_unit']} crosses regions "
                     "(policy.allow_cross_region is false)")
    grants = moves[moves["kind"] == "pool_grant"]
    if not policy.allow_cross_region and len(grants):
        from_region = _text(grants, "from_region") if "from_region" in grants else None
        if from_region is not None:
            to_region = grants["to_unit"].map(units_in["region"])
            if (from_region != to_region).any():
                v.append("moves.csv: a pool grant crosses regions")

    def per_row(frame: pd.DataFrame, end: str) -> pd.Series:
        if frame.empty:
            return pd.Series(0, index=q.index, dtype=np.int64)
        s = frame.groupby([end, "quota_type"])["amount"].sum()
        return s.reindex(q.index).fillna(0).astype(np.int64)

    leaving = moves[moves["from_unit"] != ""]
    arriving = moves[moves["to_unit"] != ""]
    out_amt = per_row(leaving, "from_unit")
    in_amt = per_row(arriving, "to_unit")
    # only vacant quotas leave (transfer_with_person carries its person: issue 4)
    plain_out = per_row(leaving[leaving["kind"] != "transfer_with_person"], "from_unit")
    for key in plain_out.index[plain_out > vacancy]:
        v.append(f"{key[0]} ({key[1]}) gives {plain_out[key]} quotas but has only "
                 f"{vacancy[key]} vacant (only vacant quotas leave a unit)")
    delta = pu["approved_after"] - pu["approved_before"]
    for key in delta.index[delta != in_amt - out_amt][:10]:
        v.append(f"units.csv: approved of {key[0]} ({key[1]}) changes by {delta[key]} but its "
                 f"moves add up to {in_amt[key] - out_amt[key]}")
    # over-quota and lapsed units receive nothing; lapsed vacancies all withdrawn
    for key in in_amt.index[(in_amt > 0) & ((status == "over") | lapsed)][:10]:
        why = "over quota" if status[key] == "over" else "lapsed"
        v.append(f"{key[0]} ({key[1]}) is {why} but receives {in_amt[key]} quotas")
    withdrawn = per_row(moves[moves["kind"] == "withdraw"], "from_unit")
    for key in lapsed.index[lapsed & (withdrawn != vacancy)][:10]:
        v.append(f"{key[0]} ({key[1]}) lapsed with {vacancy[key]} vacant quotas but "
                 f"{withdrawn[key]} were withdrawn to the pool")
    # demands
    d = demands.set_index("demand_id")
    if (d["met"] > d["amount"]).any():
        v.append("demands.csv: a demand met beyond its amount")
    if (d["met_own"] > d["met"]).any():
        v.append("demands.csv: met_own above met")
    by_demand = moves[moves["demand_id"] != ""].groupby("demand_id")["amount"].sum()
    moved = by_demand.reindex(d.index).fillna(0).astype(np.int64)
    for did in d.index[(d["met"] - d["met_own"]) != moved][:10]:
        v.append(f"demand {did}: met {d.loc[did, 'met']} (own {d.loc[did, 'met_own']}) but moves "
                 f"bring {moved[did]}")
    with_person = moves[moves["kind"] == "transfer_with_person"]
    by_person = with_person.groupby("demand_id")["amount"].sum()
    demands["hired"] = demands["met"] - demands["demand_id"].map(by_person).fillna(0).astype(
        np.int64)
    hires = demands.groupby(["unit_id", "quota_type"])["hired"].sum().reindex(q.index).fillna(0)
    arrive_people = per_row(moves[moves["kind"] == "transfer_with_person"], "to_unit")
    leave_people = per_row(moves[moves["kind"] == "transfer_with_person"], "from_unit")
    staff_delta = pu["staff_after"] - pu["staff_before"]
    expected_staff = hires.astype(np.int64) + arrive_people - leave_people - retire
    for key in staff_delta.index[staff_delta != expected_staff][:10]:
        v.append(f"units.csv: staff of {key[0]} ({key[1]}) changes by {staff_delta[key]}, "
                 f"expected {expected_staff[key]} (hires for met demands, people moving or "
                 "retiring)")
    released = retire + leave_people
    for key, count in releases.items():
        if key in released.index:
            released[key] += count
    own_used = demands.groupby(["unit_id", "quota_type"])["met_own"].sum().reindex(
        q.index).fillna(0)
    for key in own_used.index[(own_used + plain_out) > vacancy][:10]:
        v.append(f"{key[0]} ({key[1]}) uses {int(own_used[key])} own and gives "
                 f"{plain_out[key]} but has {vacancy[key]} vacant")
    dkeys = pd.MultiIndex.from_arrays([demands["unit_id"], demands["quota_type"]])
    d_status = status.reindex(dkeys).to_numpy()
    d_lapsed = lapsed.reindex(dkeys).to_numpy()
    bad = demands[((d_status == "over") | d_lapsed) & (demands["met"] > 0)]
    for _, row in bad.head(10).iterrows():
        v.append(f"demand {row['demand_id']}: met {row['met']} at an over-quota or lapsed unit")
    gated = demands[(d_status == "full") & demands["tier"].isin(policy.full_units_release_first)]
    if len(gated):
        # hires and people transferred in alike: a full unit receives only what it releases
        g = gated.groupby(["unit_id", "quota_type"])["met"].sum()
        for key, amount in g.items():
            if amount > released.get(key, 0):
                v.append(f"full unit {key[0]} ({key[1]}) receives {amount} for "
                         f"{'/'.join(policy.full_units_release_first)} demands but releases "
                         f"{released.get(key, 0)} first (满编单位先出后进)")
    if policy.key_demands_hard:
        short = demands[(demands["tier"] == "key") & (demands["met"] < demands["amount"])]
        for _, row in short.head(10).iterrows():
            v.append(f"key demand {row['demand_id']} is hard but met {row['met']} of "
                     f"{row['amount']}")
    short = demands[demands["met"] < demands["amount"]]
    bad_reason = short[~short["unmet_reason"].isin(UNMET_REASONS)]
    if len(bad_reason):
        v.append(f"demands.csv: {len(bad_reason)} short demands without a known unmet_reason")
    if (demands.loc[demands["met"] >= demands["amount"], "unmet_reason"] != "").any():
        v.append("demands.csv: a fully met demand carries an unmet_reason")
    # totals never rise; pool; reserve floor
    pl = pool.set_index(["region", "quota_type"])
    pool_in = {}
    if ds.pool is not None:
        pool_in = ds.pool.groupby(["region", "quota_type"])["balance"].sum().to_dict()
    withdrawn_r = moves[moves["kind"] == "withdraw"].assign(
        region=lambda m: m["from_unit"].map(units_in["region"])).groupby(
        ["region", "quota_type"])["amount"].sum()
    granted_r = grants.assign(region=_text(grants, "from_region") if "from_region" in grants
                              else grants["to_unit"].map(units_in["region"])).groupby(
        ["region", "quota_type"])["amount"].sum()
    frame = pd.DataFrame({
        "region": region.to_numpy(), "quota_type": q.index.get_level_values(1).to_numpy(),
        "A": A.to_numpy(), "S": S.to_numpy(), "V": vacancy.to_numpy(),
        "A_after": pu["approved_after"].to_numpy(), "S_after": pu["staff_after"].to_numpy(),
    })
    by_block = frame.groupby(["region", "quota_type"])
    group_level = ["quota_type"] if policy.allow_cross_region else ["region", "quota_type"]
    totals = frame.groupby(group_level)[["A", "A_after"]].sum()
    pool_frame = pl.reset_index()
    pool_tot = pool_frame.groupby(group_level)[["balance_before", "balance_after"]].sum()
    totals = totals.join(pool_tot, how="left").fillna(0)
    for key, row in totals.iterrows():
        before = row["A"] + row["balance_before"]
        after = row["A_after"] + row["balance_after"]
        if after > before:
            v.append(f"{key}: total quota rises from {int(before)} to {int(after)} "
                     "(totals never rise: 只减不增)")
        if after != before:
            v.append(f"{key}: quota not conserved ({int(before)} before, {int(after)} after)")
    merged_r = moves[moves["kind"] == "merge_release"].assign(
        region=lambda m: m["from_unit"].map(units_in["region"])).groupby(
        ["region", "quota_type"])["amount"].sum()
    for (r, t), row in pl.iterrows():
        expected = pool_in.get((r, t), 0) + int(withdrawn_r.get((r, t), 0)) + int(
            merged_r.get((r, t), 0)) - int(granted_r.get((r, t), 0))
        if int(row["balance_before"]) != pool_in.get((r, t), 0):
            v.append(f"pool.csv: {r} {t} balance_before {row['balance_before']} differs from "
                     f"the input {pool_in.get((r, t), 0)}")
        if int(row["balance_after"]) != expected:
            v.append(f"pool.csv: {r} {t} balance_after {row['balance_after']}, expected "
                     f"{expected} from withdrawals and grants")
        if row["balance_after"] < 0:
            v.append(f"pool.csv: {r} {t} pool goes negative")
    for (r, t), g in by_block:
        base = int(g["A"].sum()) + pool_in.get((r, t), 0)
        floor = math.ceil(policy.rate_for(t) * base - 1e-9)
        vac_before = int(g["V"].sum()) + pool_in.get((r, t), 0)
        pool_after = int(pl["balance_after"].get((r, t), 0)) if (r, t) in pl.index else 0
        vac_after = int((g["A_after"] - g["S_after"]).clip(lower=0).sum()) + pool_after
        if vac_after < min(floor, vac_before):
            v.append(f"region {r}, {t}: vacancy after the plan {vac_after} is below the reserve "
                     f"floor {floor} (reserve_rate {policy.rate_for(t):g} of {base})")
    # temporary emergency quotas
    d_end = demands.set_index("demand_id")["end_year"] if "end_year" in demands else None
    if d_end is not None:
        em = moves[(moves["tier"] == "emergency") & (moves["demand_id"] != "")]
        for _, m in em.iterrows():
            end = d_end.get(m["demand_id"])
            if pd.notna(end) and str(end) not in ("", "nan") and \
                    str(int(float(end))) != m["temporary_until"]:
                v.append(f"move for emergency demand {m['demand_id']} lacks temporary_until "
                         f"{int(float(end))}")
    return v


PLAN_FILES = ("moves", "units", "pool", "demands", "assignments", "aux_plan", "mergers")
REQUIRED_PLAN_FILES = ("moves", "units", "pool", "demands")


def read_plan_folder(plan_dir: str | Path) -> tuple[dict, dict[str, pd.DataFrame]]:
    """A written plan folder: its summary.json and its tables as text."""
    plan_dir = Path(plan_dir)
    summary_path = plan_dir / "summary.json"
    if not summary_path.exists():
        raise BianzhiError(f"{plan_dir}: no summary.json; is this a plan folder written by "
                           "bianzhi run?")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    tables = {}
    for name in PLAN_FILES:
        path = plan_dir / f"{name}.csv"
        if path.exists():
            tables[name] = pd.read_csv(path, dtype=str, keep_default_na=False)
        elif name in REQUIRED_PLAN_FILES:
            raise BianzhiError(f"{plan_dir}: {name}.csv is missing")
    return summary, tables


def verify_plan(plan_dir: str | Path) -> list[str]:
    """Re-check a written plan folder against its inputs (found through summary.json)."""
    from solver.runner import load_data

    summary, tables = read_plan_folder(plan_dir)
    scenario = build_scenario(summary["scenario"], Path("."), f"{plan_dir}/summary.json")
    ds = load_data(scenario)
    violations = []
    if ds.checksum != summary["inputs"]["checksum"]:
        violations.append(f"the inputs at {summary['inputs']['path']} changed since the plan "
                          "was made (checksum differs); re-run the plan")
    cadres = summary.get("cadres", {})
    violations += verify_plan_tables(ds, scenario.policy, tables,
                                     cadres.get("plan_year"), cadres.get("data_year"),
                                     scenario.aux.reduction, scenario.consolidation)
    return violations


def verify_aux(ds: Dataset, table: pd.DataFrame, reduction: float) -> list[str]:
    """The off-quota plan: every position once, the locked base, services only where allowed."""
    v: list[str] = []
    t = table.copy()
    for col in ("headcount_before", "approved_after", "to_services", "ended"):
        t[col] = _int(t, col)
    aux = ds.aux_positions.drop(columns=["_row"], errors="ignore")
    key = ["unit_id", "category"]
    merged = aux.merge(t, on=key, how="outer", indicator=True)
    if (merged["_merge"] != "both").any():
        v.append("aux_plan.csv does not list exactly the rows of aux_positions")
        return v
    if (merged["headcount"].astype(int) != merged["headcount_before"]).any():
        v.append("aux_plan.csv: headcount_before differs from the input")
    total = merged["approved_after"] + merged["to_services"] + merged["ended"]
    if (total != merged["headcount_before"]).any() or (merged[["approved_after", "to_services",
                                                              "ended"]] < 0).any().any():
        v.append("aux_plan.csv: kept + to_services + ended must equal today's headcount")
    flag = merged["outsourceable_x"].astype(object).fillna("no") if "outsourceable_x" in merged \
        else merged["outsourceable"].astype(object).fillna("no")
    bad = merged[(merged["to_services"] > 0) & (flag != "yes")]
    for _, r in bad.head(10).iterrows():
        v.append(f"aux {r['unit_id']} {r['category']}: {r['to_services']} positions bought as "
                 "a service although the post may not be bought (outsourceable is not yes)")
    region = merged["unit_id"].map(ds.units.set_index("unit_id")["region"])
    for reg, g in merged.groupby(region):
        cap = math.floor(g["headcount_before"].sum() * (1 - reduction) + 1e-9)
        if g["approved_after"].sum() > cap:
            v.append(f"region {reg}: off-quota headcount after the plan {g['approved_after'].sum()}"
                     f" is above the locked base {cap} (锁定现有基数,只减不增)")
    return v


def verify_plan_tables(ds: Dataset, policy: Policy, tables: dict[str, pd.DataFrame],
                       plan_year: int | None, data_year: int | None,
                       aux_reduction: float | None = None, consolidation=None) -> list[str]:
    """Quota rules and, where people or off-quota positions are given, theirs."""
    violations = verify_tables(ds, policy, tables)
    if "mergers" in tables and consolidation is not None:
        violations += verify_mergers(ds, tables["mergers"], tables["moves"],
                                     consolidation.threshold, consolidation.max_size)
    if "aux_plan" in tables:
        violations += verify_aux(ds, tables["aux_plan"],
                                 0.0 if aux_reduction is None else aux_reduction)
    if ds.people is not None or "assignments" in tables:
        if "assignments" not in tables:
            return violations + ["the inputs have people but the plan has no assignments.csv"]
        year = plan_year or ds.year
        violations += check_assignments(ds, tables["assignments"], int(year),
                                        int(data_year or year), tables["moves"].fillna(""))
    return violations
