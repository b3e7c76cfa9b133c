"""The rules that link the years of a multi-year plan (issue 12).

Each year is also checked as a one-year plan (every other rule, on that year's figures: see
`Plan.verify` and `verify_folder`). These rules check what only the horizon shows: years.csv
balances and runs on from year to year, from the input figures; retirements follow the
statutory schedule and nobody retires twice; other leavers are the rate of the staff; the
quotas of ended temporary tasks go back (事去减编); the pool runs on; no total rises; and
demand_years.csv adds up to demands.csv inside each demand's years.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from solver.cadres import rules as cadre_rules
from solver.validate import Dataset
from solver.verify.aux import region_base
from solver.verify.core import LINE, Context, Violation, capped, rule

KEY = ["unit_id", "quota_type"]


def _years(ctx: Context) -> pd.DataFrame | None:
    return ctx.tables.get("years")


def _horizon(ctx: Context) -> list[int]:
    h = ctx.scenario.horizon
    return h.years if h is not None else []


def _at(frame: pd.DataFrame, name: str, mask) -> list[str]:
    return [f"{name}.csv, row {r}" for r in frame[LINE][mask]]


@rule("years_rows", "years.csv has one row per unit × quota type of the inputs and year of the "
      "horizon", "years")
def years_rows(ctx: Context) -> list[Violation]:
    y = _years(ctx)
    if y is None:
        return [Violation("years_rows", "the plan has no years.csv (a multi-year plan keeps "
                          "one row per unit, quota type and year)", "years.csv")]
    want = pd.MultiIndex.from_tuples(
        [(u, t, yr) for u, t in ctx.input_quotas.index for yr in _horizon(ctx)])
    have = pd.MultiIndex.from_arrays([y["unit_id"], y["quota_type"], y["year"]])
    items = [(f"{u} ({t}) has no row for {yr}", "years.csv") for u, t, yr in
             want.difference(have)[:20]]
    items += [(f"{u} ({t}) {yr} is not a unit row of the inputs in the horizon", "years.csv")
              for u, t, yr in have.difference(want)[:20]]
    items += [(f"{u} ({t}) {yr} has more than one row", "years.csv")
              for u, t, yr in have[have.duplicated()].unique()[:20]]
    return capped("years_rows", items)


@rule("years_balance", "each row of years.csv balances: approved end = start − returned + moved "
      "in − moved out; staff end = start − retirements − leavers + hires + persons in − out; "
      "vacancy end = max(approved − staff, 0)", "years")
def years_balance(ctx: Context) -> list[Violation]:
    y = _years(ctx)
    if y is None:
        return []
    approved = y["approved_start"] - y["returned"] + y["moved_in"] - y["moved_out"]
    staff = (y["staff_start"] - y["retirements"] - y["leavers"] + y["hires"] + y["persons_in"]
             - y["persons_out"])
    vacancy = (y["approved_end"] - y["staff_end"]).clip(lower=0)
    items = []
    for col, want in (("approved_end", approved), ("staff_end", staff),
                      ("vacancy_end", vacancy)):
        bad = (y[col] != want).to_numpy()
        items += [(f"{u} ({t}) {yr}: {col} {v} but its causes give {w}", where)
                  for u, t, yr, v, w, where in zip(y["unit_id"][bad], y["quota_type"][bad],
                                                   y["year"][bad], y[col][bad], want[bad],
                                                   _at(y, "years", bad))]
    return capped("years_balance", items)


@rule("years_continuity", "the first year starts at the input figures and every later year "
      "where the year before ended (approved and staff)", "years")
def years_continuity(ctx: Context) -> list[Violation]:
    y = _years(ctx)
    years = _horizon(ctx)
    if y is None or not years:
        return []
    y = y.drop_duplicates(["unit_id", "quota_type", "year"]).set_index(
        ["unit_id", "quota_type", "year"])
    items = []
    first = y.xs(years[0], level="year", drop_level=True)
    q = ctx.input_quotas.reindex(first.index)
    for col, src in (("approved_start", "approved"), ("staff_start", "staff")):
        bad = first[col] != q[src].astype("Int64")
        items += [(f"{u} ({t}) starts {years[0]} with {col} {first.at[(u, t), col]}; the "
                   f"inputs say {q.at[(u, t), src]}", f"years.csv, row {first.at[(u, t), LINE]}")
                  for u, t in first.index[bad.fillna(True).to_numpy()]]
    for prev, year in zip(years, years[1:]):
        a = y.xs(prev, level="year")
        b = y.xs(year, level="year").reindex(a.index)
        for col in ("approved", "staff"):
            bad = (b[f"{col}_start"] != a[f"{col}_end"]).to_numpy()
            items += [(f"{u} ({t}) ends {prev} with {col} {a.at[(u, t), f'{col}_end']} but "
                       f"starts {year} with {b.at[(u, t), f'{col}_start']}", "years.csv")
                      for u, t in a.index[bad]]
    return capped("years_continuity", items)


@rule("years_totals", "no total rises in any year: per quota type, approved + pool at the end "
      "of each year ≤ at the start of the horizon", "years")
def years_totals(ctx: Context) -> list[Violation]:
    y, p = _years(ctx), ctx.tables.get("pool_years")
    years = _horizon(ctx)
    if y is None or p is None or not years:
        return []
    start = (y[y["year"] == years[0]].groupby("quota_type")["approved_start"].sum()
             .add(p[p["year"] == years[0]].groupby("quota_type")["balance_start"].sum(),
                  fill_value=0))
    end = y.groupby(["quota_type", "year"])["approved_end"].sum().add(
        p.groupby(["quota_type", "year"])["balance_end"].sum(), fill_value=0)
    items = [(f"{qt} in {yr}: approved + pool {int(v)} at the end, above {int(start.get(qt, 0))}"
              " at the start of the horizon (totals never rise)", "years.csv")
             for (qt, yr), v in end.items() if v > start.get(qt, 0)]
    return capped("years_totals", items)


@rule("years_pool", "pool_years.csv runs on: each year's end = start + returned + withdrawn − "
      "granted, the first start is the input pool and each later start the year before's end",
      "years")
def years_pool(ctx: Context) -> list[Violation]:
    p = ctx.tables.get("pool_years")
    years = _horizon(ctx)
    if p is None:
        return [Violation("years_pool", "the plan has no pool_years.csv", "pool_years.csv")]
    want = p["balance_start"] + p["returned"] + p["withdrawn"] - p["granted"]
    bad = (p["balance_end"] != want).to_numpy()
    items = [(f"{r} ({t}) {yr}: balance_end {v}, but start + returned + withdrawn − granted "
              f"= {w}", where)
             for r, t, yr, v, w, where in zip(p["region"][bad], p["quota_type"][bad],
                                              p["year"][bad], p["balance_end"][bad], want[bad],
                                              _at(p, "pool_years", bad))]
    pool_in = (ctx.ds.pool.groupby(["region", "quota_type"])["balance"].sum()
               if ctx.ds.pool is not None and len(ctx.ds.pool) else pd.Series(dtype=float))
    k = p.drop_duplicates(["region", "quota_type", "year"]).set_index(
        ["region", "quota_type", "year"])
    if years:
        first = k.xs(years[0], level="year")
        for (r, t), v in first["balance_start"].items():
            if v != int(pool_in.get((r, t), 0)):
                items.append((f"{r} ({t}) starts {years[0]} with pool {v}; the inputs say "
                              f"{int(pool_in.get((r, t), 0))}", "pool_years.csv"))
    for prev, year in zip(years, years[1:]):
        a = k.xs(prev, level="year")
        b = k.xs(year, level="year").reindex(a.index)
        bad = (b["balance_start"] != a["balance_end"]).to_numpy()
        items += [(f"{r} ({t}): the pool ends {prev} at {a.at[(r, t), 'balance_end']} but "
                   f"starts {year} at {b.at[(r, t), 'balance_start']}", "pool_years.csv")
                  for r, t in a.index[bad]]
    return capped("years_pool", items)


@rule("years_aux", "aux_years.csv cuts the off-quota base cumulatively: the base is the input's "
      "headcount per region, the n-th year's cap ⌊base × (1 − aux.reduction)ⁿ⌋ holds, each year "
      "starts with what the year before kept and keeps no more than it started with", "years")
def years_aux(ctx: Context) -> list[Violation]:
    aux, years = ctx.tables.get("aux_years"), _horizon(ctx)
    wanted = ctx.ds.aux_positions is not None and ctx.scenario.aux.enabled and years
    if aux is None:
        return [] if not wanted else [Violation(
            "years_aux", "the inputs have off-quota positions but the plan has no "
            "aux_years.csv (the off-quota cut per year)", "aux_years.csv")]
    positions = ctx.ds.aux_positions
    base = region_base(ctx, positions)
    r = ctx.scenario.aux.reduction
    items = []
    k = aux.drop_duplicates(["region", "year"]).set_index(["region", "year"])
    for (reg, year), row in k.iterrows():
        n = year - years[0] + 1
        cap = math.floor(int(base.get(reg, 0)) * (1 - r) ** n + 1e-9)
        where = f"aux_years.csv, row {row[LINE]}"
        if row["base"] != base.get(reg, 0):
            items.append((f"{reg} {year}: base {row['base']}, but the inputs' off-quota "
                          f"headcount is {int(base.get(reg, 0))}", where))
        if row["cap"] != cap or row["approved_after"] > cap:
            items.append((f"{reg} {year}: cap {row['cap']} and kept {row['approved_after']}; "
                          f"year {n} of the horizon allows ⌊{int(base.get(reg, 0))} × "
                          f"(1 − {r:g})^{n}⌋ = {cap}", where))
        parts = row["approved_after"] + row["to_services"] + row["ended"]
        if parts != row["headcount_start"] or row["approved_after"] > row["headcount_start"]:
            items.append((f"{reg} {year}: kept {row['approved_after']} + to_services "
                          f"{row['to_services']} + ended {row['ended']} must equal the "
                          f"{row['headcount_start']} at the start of the year", where))
        if year == years[0]:
            start = int(base.get(reg, 0))
        elif (reg, year - 1) in k.index:
            start = int(k.at[(reg, year - 1), "approved_after"])
        else:
            items.append((f"{reg} has no row for {year - 1}", "aux_years.csv"))
            continue
        if row["headcount_start"] != start:
            items.append((f"{reg} starts {year} with {row['headcount_start']} off-quota "
                          f"positions; the year before left {start}", where))
    return capped("years_aux", items)


def _keeper(ctx: Context) -> dict[str, str]:
    return ctx.owner


@rule("years_retirements", "retirements.csv is the statutory schedule of the register (each "
      "person once, in the month they reach the age), and years.csv counts them per unit and "
      "year", "years")
def years_retirements(ctx: Context) -> list[Violation]:
    r, y = ctx.tables.get("retirements"), _years(ctx)
    years = _horizon(ctx)
    if r is None or y is None or not years:
        return []
    items = []
    dup = r["person_id"].duplicated()
    items += [(f"person {p} retires twice", w)
              for p, w in zip(r["person_id"][dup], _at(r, "retirements", dup.to_numpy()))]
    if ctx.scenario.retirement == "statutory" and ctx.ds.staff is not None:
        s = ctx.ds.staff.drop_duplicates("person_id")
        # each retirement's row of the register (one hash of the register's ids), -1: none
        people = pd.Index(s["person_id"].to_numpy(dtype=object))
        at = people.get_indexer(r["person_id"].to_numpy(dtype=object))
        known = at >= 0
        items += [(f"person {p} is not in the staff register", w) for p, w in
                  zip(r["person_id"][~known], _at(r, "retirements", ~known))]
        cat = s["category"].fillna("cadre").astype(str) if "category" in s else "cadre"
        age, yr, _ = cadre_rules.retirements(s["gender"].astype(str).to_numpy(),
                                              np.asarray(cat, dtype=object),
                                              s["birth_year"].to_numpy(np.int64),
                                              s["birth_month"].to_numpy(np.int64))
        due_year = np.maximum(yr, years[0])
        mine, row = r[known], at[known]
        bad = (mine["year"].to_numpy() != due_year[row]) | (
            mine["age_months"].to_numpy() != age[row])
        items += [(f"person {p} retires in {y} at {m} months of age; the statutory schedule "
                   f"says {due_year[i]} at {age[i]}", "retirements.csv")
                  for p, y, m, i in zip(mine["person_id"][bad], mine["year"][bad],
                                        mine["age_months"][bad], row[bad])]
        listed = np.zeros(len(people), dtype=bool)
        listed[row] = True
        due = people[(due_year >= years[0]) & (due_year <= years[-1]) & ~listed]
        early = set()
        a = ctx.tables.get("assignments")
        if a is not None:
            early = set(a["person_id"][a["option"] == "early_retirement"])
        missing = sorted(p for p in due if p not in early)
        items += [(f"person {p} reaches the statutory age in the horizon but is not in "
                   "retirements.csv", "retirements.csv") for p in missing[:20]]
    # years.csv counts them (statutory; the first year adds the early retirements)
    keeper = _keeper(ctx)
    unit = r["unit_id"].map(lambda u: keeper.get(u, u))
    first = r["year"] == years[0]
    counted = r.groupby([np.where(first, r["unit_id"], unit), r["quota_type"], r["year"]]) \
        .size()
    a = ctx.tables.get("assignments")
    early = pd.Series(dtype=np.int64)
    if a is not None and len(a):
        e = a[a["option"] == "early_retirement"]
        early = e.groupby([e["unit_id"], e["quota_type"]]).size()
    yy = y.set_index(["unit_id", "quota_type", "year"])
    want = counted.reindex(yy.index).fillna(0).astype(np.int64)
    extra = early.reindex(yy.index.droplevel("year")).fillna(0).to_numpy(np.int64) * (
        yy.index.get_level_values("year").to_numpy() == years[0])
    bad = (yy["retirements"] > want + extra).to_numpy()
    items += [(f"{u} ({t}) {yr}: {yy.at[(u, t, yr), 'retirements']} retirements, but "
               f"retirements.csv and early retirements give {int(w + e)}",
               f"years.csv, row {yy.at[(u, t, yr), LINE]}")
              for (u, t, yr), w, e in zip(yy.index[bad], want[bad], extra[bad])]
    return capped("years_retirements", items)


@rule("years_attrition", "other leavers are the attrition rate of the staff at the start of "
      "the year: per quota type ⌊rate × staff + ½⌋ in all, each unit ⌊rate × staff⌋ or one "
      "more", "years")
def years_attrition(ctx: Context) -> list[Violation]:
    y = _years(ctx)
    if y is None:
        return []
    rate = y["quota_type"].map(ctx.scenario.attrition.rate_for).astype(float)
    share = rate * y["staff_start"]
    low = np.floor(share + 1e-9)
    room = (y["staff_start"] - y["retirements"]).clip(lower=0)
    bad = ((y["leavers"] < np.minimum(low, room)) | (y["leavers"] > np.minimum(low + 1, room))) \
        .to_numpy()
    items = [(f"{u} ({t}) {yr}: {n} other leavers; the rate gives {int(lo)} or {int(lo) + 1}",
              w) for u, t, yr, n, lo, w in zip(y["unit_id"][bad], y["quota_type"][bad],
                                               y["year"][bad], y["leavers"][bad], low[bad],
                                               _at(y, "years", bad))]
    total = y.assign(share=share).groupby(["quota_type", "year"]).agg(
        leavers=("leavers", "sum"), share=("share", "sum"))
    for (qt, yr), row in total.iterrows():
        want = math.floor(row["share"] + 0.5 + 1e-9)
        if row["leavers"] > want:
            items.append((f"{qt} {yr}: {int(row['leavers'])} other leavers in all, the rate "
                          f"gives {want}", "years.csv"))
    return capped("years_attrition", items)


@rule("years_returns", "事去减编: the quotas met for an emergency demand with end_year E leave "
      "the unit at the start of E + 1 (to the pool), and nothing else is returned", "years")
def years_returns(ctx: Context) -> list[Violation]:
    y, d = _years(ctx), ctx.tables.get("demands")
    years = _horizon(ctx)
    if y is None or d is None or not years:
        return []
    d_in = ctx.ds.demands.drop_duplicates("demand_id").set_index("demand_id")
    if "end_year" not in d_in:
        expected = pd.Series(dtype=np.int64)
    else:
        dd = d.drop_duplicates("demand_id").set_index("demand_id")
        end = d_in["end_year"].reindex(dd.index)
        tier = d_in["tier"].reindex(dd.index)
        temp = dd[(tier == "emergency").to_numpy() & end.notna().to_numpy()
                  & (dd["met"] > 0).to_numpy()]
        e = end.reindex(temp.index).astype(np.int64) + 1
        keep = (e >= years[0] + 1) & (e <= years[-1])
        temp, e = temp[keep.to_numpy()], e[keep]
        keeper = _keeper(ctx)
        unit = d_in["unit_id"].reindex(temp.index).map(lambda u: keeper.get(u, u))
        expected = pd.Series(temp["met"].to_numpy(np.int64)).groupby(
            [unit.to_numpy(), temp["quota_type"].to_numpy(), e.to_numpy()]).sum()
    yy = y.set_index(["unit_id", "quota_type", "year"])
    want = expected.reindex(yy.index).fillna(0).astype(np.int64)
    # a unit that gave the quota away meanwhile returns what it still holds
    bad = ((yy["returned"] != want) & ~((yy["returned"] < want)
                                        & (yy["returned"] == yy["approved_start"]))).to_numpy()
    items = [(f"{u} ({t}) {yr}: returned {yy.at[(u, t, yr), 'returned']}; the temporary "
              f"quotas whose task ended the year before are {w}",
              f"years.csv, row {yy.at[(u, t, yr), LINE]}")
             for (u, t, yr), w in zip(yy.index[bad], want[bad])]
    return capped("years_returns", items)


@rule("years_demands", "demand_years.csv adds up to each demand's met in demands.csv, with "
      "quotas only in the demand's years (start_year to end_year) and met_year the last of "
      "them", "years")
def years_demands(ctx: Context) -> list[Violation]:
    dy, d = ctx.tables.get("demand_years"), ctx.tables.get("demands")
    years = _horizon(ctx)
    if dy is None or d is None or not years:
        return []
    d = d.drop_duplicates("demand_id").set_index("demand_id")
    got = dy.groupby("demand_id")["met"].sum().reindex(d.index).fillna(0).astype(np.int64)
    off = (got.to_numpy() != d["met"].to_numpy())
    items = [(f"demand {k}: met {m} in demands.csv, {g} in demand_years.csv",
              f"demands.csv, row {line}")
             for k, m, g, line in zip(d.index[off], d["met"][off], got[off], d[LINE][off])]
    d_in = ctx.ds.demands.drop_duplicates("demand_id").set_index("demand_id")
    begin = (d_in["start_year"].fillna(years[0]) if "start_year" in d_in
             else pd.Series(years[0], index=d_in.index)).reindex(dy["demand_id"]).to_numpy()
    end = (d_in["end_year"].fillna(years[-1]) if "end_year" in d_in
           else pd.Series(years[-1], index=d_in.index)).reindex(dy["demand_id"]).to_numpy()
    outside = ((dy["year"].to_numpy() < begin) | (dy["year"].to_numpy() > end)
               | (dy["year"].to_numpy() > years[-1]))
    items += [(f"demand {k} gets {n} in {yr}, outside its years", w)
              for k, n, yr, w in zip(dy["demand_id"][outside], dy["met"][outside],
                                     dy["year"][outside], _at(dy, "demand_years", outside))]
    if "met_year" in d:
        want = dy.groupby("demand_id")["year"].max().reindex(d.index).to_numpy(np.float64)
        have = pd.to_numeric(d["met_year"].replace("", np.nan), errors="coerce") \
            .to_numpy(np.float64)
        off = (np.isnan(want) != np.isnan(have)) | (~np.isnan(want) & (have != want))
        items += [(f"demand {k}: met_year {'' if np.isnan(h) else int(h)}, its last met "
                   f"quota came in {'no year' if np.isnan(w) else int(w)}",
                   f"demands.csv, row {line}")
                  for k, h, w, line in zip(d.index[off], have[off], want[off], d[LINE][off])]
    return capped("years_demands", items)


# ---------------------------------------------------------------- a written folder's years


def year_inputs(ds: Dataset, scenario, year: int, tables: dict[str, pd.DataFrame],
                per_year: dict[int, dict[str, pd.DataFrame]]) -> Dataset:
    """The figures a year of a written multi-year plan started from, from the inputs and the
    earlier years' own files (years/<year>/), not from years.csv (which the rules check):
    quotas and pool where the year before ended, less the quotas of temporary tasks that ended
    (事去减编: what the year's demands met for emergency demands with end_year = year − 1,
    back to the pool); the demands open that year with what is left of them; the one-off parts
    (people, task groups, off-quota posts) only in the first year."""
    from dataclasses import replace

    from solver.years.tables import open_demands

    start = scenario.horizon.start
    first = year == start
    d = ds.demands.drop(columns=["_row"], errors="ignore").sort_values(
        "demand_id", kind="stable").reset_index(drop=True)
    m = tables.get("mergers")
    owner = {}
    if m is not None and len(m):
        absorbed = m[m["role"] == "absorbed"]
        owner = dict(zip(absorbed["unit_id"], absorbed["keeper_id"]))
    earlier = [per_year[y]["demands"] for y in sorted(per_year) if y < year]
    met = (pd.concat(earlier).groupby("demand_id")["met"].sum() if earlier
           else pd.Series(dtype=np.int64))
    met = met.reindex(d["demand_id"]).fillna(0).astype(np.int64)
    met.index = d["demand_id"]
    def offered(frame: pd.DataFrame) -> pd.DataFrame:
        """Perfect foresight: a year offers each demand what planned.csv gives it so far and
        is not met yet (solver/years/rolling.py)."""
        p = tables.get("planned")
        if p is None:
            return frame
        so_far = p[p["year"] <= year].groupby("demand_id")["amount"].sum()
        offer = so_far.reindex(frame["demand_id"]).fillna(0).to_numpy(np.int64) \
            - met.reindex(frame["demand_id"]).to_numpy(np.int64)
        frame = frame.assign(amount=np.minimum(frame["amount"].to_numpy(), offer))
        return frame[frame["amount"] > 0]

    if first:
        return replace(ds, demands=offered(open_demands(d, year, start, met)))
    prev = per_year[year - 1]
    q = ds.quotas.drop_duplicates(KEY).copy()
    key = pd.MultiIndex.from_frame(q[KEY])
    u = prev["units"].drop_duplicates(KEY).set_index(KEY)
    approved = u["approved_after"].reindex(key).fillna(0).to_numpy(np.int64)
    staff = u["staff_after"].reindex(key).fillna(0).to_numpy(np.int64)
    # 事去减编: quotas met for emergency demands whose task ended the year before
    returned = np.zeros(len(q), dtype=np.int64)
    if "end_year" in d:
        temp = d[(d["tier"] == "emergency") & (d["end_year"] == year - 1)]
        got = met.reindex(temp["demand_id"]).to_numpy()
        at = key.get_indexer(pd.MultiIndex.from_arrays(
            [temp["unit_id"].map(lambda x: owner.get(x, x)), temp["quota_type"]]))
        ok = (at >= 0) & (got > 0)
        np.add.at(returned, at[ok], got[ok])
        returned = np.minimum(returned, approved)
    q["approved"] = approved - returned
    q["staff"] = staff
    region = ds.units.drop_duplicates("unit_id").set_index("unit_id")["region"]
    back = pd.DataFrame({"region": q["unit_id"].map(region).to_numpy(),
                         "quota_type": q["quota_type"].to_numpy(), "balance": returned})
    pool = pd.concat([prev["pool"][["region", "quota_type", "balance_after"]].rename(
        columns={"balance_after": "balance"}), back]).groupby(
        ["region", "quota_type"], as_index=False, sort=True)["balance"].sum()
    d["unit_id"] = d["unit_id"].map(lambda x: owner.get(x, x))
    return replace(ds, quotas=q, pool=pool, demands=offered(open_demands(d, year, start, met)),
                   people=None, task_groups=None,
                   aux_positions=_carried_aux(ds, scenario, tables, per_year, year))


def _carried_aux(ds: Dataset, scenario, tables: dict[str, pd.DataFrame],
                 per_year: dict[int, dict[str, pd.DataFrame]], year: int
                 ) -> pd.DataFrame | None:
    """A later year's off-quota positions: those the year before kept (its aux_plan.csv; the
    first year's is the plan folder's own aux_plan.csv)."""
    from solver.aux import carried_positions

    if ds.aux_positions is None or not scenario.aux.enabled:
        return None
    prev = per_year.get(year - 1, {}).get("aux_plan")
    if prev is None and year - 1 == scenario.horizon.start:
        prev = tables.get("aux_plan")
    if prev is None:
        prev = pd.DataFrame({"unit_id": [], "category": [], "approved_after": []})
    return carried_positions(ds.aux_positions, prev)


@rule("years_files", "years.csv, moves.csv, demand_years.csv and aux_years.csv say what "
      "each year's own files (years/<year>/) say", "folder")
def year_files(ds: Dataset, scenario, tables: dict[str, pd.DataFrame],
               per_year: dict[int, dict[str, pd.DataFrame]]) -> list[Violation]:
    """years.csv, moves.csv and demand_years.csv say what the years' own files say."""
    from solver.years.tables import years_table

    items = []
    y = tables["years"]
    moves = tables["moves"]
    dy = tables["demand_years"]
    for year, t in per_year.items():
        mine = y[y["year"] == year].drop_duplicates(KEY).set_index(KEY)
        theirs = years_table(year, t, t["flows"]).set_index(KEY).reindex(mine.index)
        for col in theirs.columns:
            if col == "year":
                continue
            bad = (mine[col] != theirs[col]).to_numpy()
            items += [(f"{u} ({qt}) {year}: {col} {mine.at[(u, qt), col]} in years.csv, "
                       f"{theirs.at[(u, qt), col]} by years/{year}/ledger.csv",
                       f"years.csv, row {mine.at[(u, qt), LINE]}")
                      for u, qt in mine.index[bad][:5]]
        n_mine = int((moves["year"] == year).sum()) if "year" in moves else 0
        if n_mine != len(t["moves"]):
            items.append((f"moves.csv has {n_mine} moves in {year}, years/{year}/moves.csv "
                          f"{len(t['moves'])}", "moves.csv"))
        a, ay = t.get("aux_plan"), tables.get("aux_years")
        if a is not None and ay is not None:
            cols = ["approved_after", "to_services", "ended"]
            region = a["unit_id"].map(ds.units.drop_duplicates("unit_id").set_index(
                "unit_id")["region"])
            theirs = a.groupby(region.to_numpy())[cols].sum()
            mine = ay[ay["year"] == year].drop_duplicates("region").set_index("region")[cols]
            if not mine.sort_index().astype(np.int64).equals(
                    theirs.reindex(mine.index).fillna(0).sort_index().astype(np.int64)):
                items.append((f"aux_years.csv for {year} differs from years/{year}/"
                              "aux_plan.csv", "aux_years.csv"))
        got = t["demands"].set_index("demand_id")["met"]
        got = got[got > 0].sort_index()
        said = dy[dy["year"] == year].set_index("demand_id")["met"].sort_index()
        if not (got.index.equals(said.index) and (got.to_numpy() == said.to_numpy()).all()):
            items.append((f"demand_years.csv for {year} differs from years/{year}/demands.csv",
                          "demand_years.csv"))
    return capped("years_files", items)
