"""The off-quota plan (编外辅助性岗位, issue 7): each position accounted for, the locked base."""

from __future__ import annotations

import math

import pandas as pd

from solver.verify.core import LINE, Context, Violation, capped, rule


def _aux(ctx: Context) -> pd.DataFrame | None:
    """aux_plan.csv rows that match an input position (first of duplicates)."""
    t = ctx.tables.get("aux_plan")
    if t is None or ctx.ds.aux_positions is None:
        return None
    t = t.drop_duplicates(["unit_id", "category"])
    aux = ctx.ds.aux_positions.drop_duplicates(["unit_id", "category"])
    cols = ["unit_id", "category", "headcount"] + (
        ["outsourceable"] if "outsourceable" in aux else [])
    return t.merge(aux[cols].rename(columns={"outsourceable": "outsourceable_in"}),
                   on=["unit_id", "category"], how="inner")


def region_base(ctx: Context, positions: pd.DataFrame) -> pd.Series:
    """The locked base per region: the input's off-quota headcount (every row)."""
    return positions["headcount"].astype("int64").groupby(
        positions["unit_id"].map(ctx.units_in["region"]).to_numpy()).sum()


@rule("aux_balance", "each position's kept + to_services + ended equals today's headcount, "
      "none negative", "aux")
def aux_balance(ctx: Context) -> list[Violation]:
    t = _aux(ctx)
    if t is None:
        return []
    parts = t[["approved_after", "to_services", "ended"]]
    bad = (parts.sum(axis=1) != t["headcount"]) | (parts < 0).any(axis=1)
    return capped("aux_balance", [
        (f"aux {u} {c}: kept {k} + to_services {s} + ended {e} must equal today's "
         f"headcount {h}", f"aux_plan.csv, row {r}")
        for u, c, k, s, e, h, r in zip(t["unit_id"][bad], t["category"][bad],
                                       t["approved_after"][bad], t["to_services"][bad],
                                       t["ended"][bad], t["headcount"][bad], t[LINE][bad])])


@rule("aux_outsourceable", "positions go to purchased services only where the input says the "
      "post may be bought (outsourceable yes)", "aux")
def aux_outsourceable(ctx: Context) -> list[Violation]:
    t = _aux(ctx)
    if t is None:
        return []
    flag = (t["outsourceable_in"] if "outsourceable_in" in t else pd.Series("no", t.index))
    flag = flag.astype(object).where(flag.notna(), "no")
    bad = (t["to_services"] > 0) & (flag != "yes")
    return capped("aux_outsourceable", [
        (f"aux {u} {c}: {n} positions bought as a service although the post may not be "
         "bought (outsourceable is not yes)", f"aux_plan.csv, row {r}")
        for u, c, n, r in zip(t["unit_id"][bad], t["category"][bad], t["to_services"][bad],
                              t[LINE][bad])])


@rule("aux_locked_base", "a region's off-quota headcount after the plan is at most "
      "⌊base × (1 − aux.reduction)⌋, in the n-th year of a horizon ⌊base × (1 − "
      "aux.reduction)ⁿ⌋ of the base locked in the first (锁定现有基数,只减不增)", "aux")
def aux_locked_base(ctx: Context) -> list[Violation]:
    t = _aux(ctx)
    if t is None:
        return []
    reduction, n = ctx.scenario.aux.reduction, ctx.horizon_year
    base = region_base(ctx, ctx.aux_base if ctx.aux_base is not None else ctx.ds.aux_positions)
    after = t.groupby(t["unit_id"].map(ctx.units_in["region"]).to_numpy())[
        "approved_after"].sum()
    items = []
    for reg, kept in after.items():
        cap = math.floor(int(base.get(reg, 0)) * (1 - reduction) ** n + 1e-9)
        if kept > cap:
            year = "" if n == 1 else f" in year {n} of the horizon"
            items.append((f"region {reg}: off-quota headcount after the plan{year} "
                          f"{int(kept)} is above the locked base's cap {cap} "
                          "(锁定现有基数,只减不增)", "aux_plan.csv"))
    return capped("aux_locked_base", items)


@rule("plan_tables_present", "the plan has every table its inputs and scenario call for "
      "(assignments, aux_plan, mergers) and none they do not", "rows")
def plan_tables_present(ctx: Context) -> list[Violation]:
    sc, ds, items = ctx.scenario, ctx.ds, []
    # mergers happen once, in the first year of a plan over several years
    merging = sc.consolidation.enabled and ctx.horizon_year == 1
    wanted = {"assignments": ds.people is not None and sc.cadres.enabled,
              "aux_plan": ds.aux_positions is not None and sc.aux.enabled,
              "mergers": merging}
    for name, want in wanted.items():
        if want and name not in ctx.tables:
            why = {"assignments": "the inputs have people",
                   "aux_plan": "the inputs have off-quota positions",
                   "mergers": "consolidation is enabled"}[name]
            items.append((f"{why} but the plan has no {name}.csv", f"{name}.csv"))
    if "mergers" in ctx.tables and not merging and len(ctx.tables["mergers"]):
        items.append(("the plan has mergers but consolidation is not enabled" if ctx.horizon_year
                      == 1 else "mergers happen in the first year only", "mergers.csv"))
    return capped("plan_tables_present", items)

