"""The plan folder of a multi-year plan: the year tables and the horizon's one account.

From the tables of each year (a one-year plan each: moves, units, pool, demands, ledger with
the year's leavers in `flows`) this builds

- `years`: per unit, quota type and year: approved and staff at the start (before 事去减编),
  retirements, leavers, hires, moved in and out, returned, approved and staff at the end,
  vacancy at the end;
- `pool_years`: per region, quota type and year: balance at the start, returned (事去减编),
  granted, withdrawn (with merger releases), balance at the end;
- `demand_years`: per demand and year with a met quota; `use_plan` (用编计划): per unit, type,
  year and source, the quotas the unit may fill by hiring;
- the horizon's moves (with `year`), demands (met over the horizon, `met_year`), units and
  pool (start of the first year → end of the last), and the ledger (one block per year).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from solver.domain import Move, Unmet

KEY = ["unit_id", "quota_type"]
YEARS_COLUMNS = ["unit_id", "quota_type", "year", "approved_start", "staff_start",
                 "retirements", "leavers", "hires", "persons_in", "persons_out", "moved_in",
                 "moved_out", "returned", "approved_end", "staff_end", "vacancy_end"]
POOL_YEARS_COLUMNS = ["region", "quota_type", "year", "balance_start", "returned", "granted",
                      "withdrawn", "balance_end"]
USE_PLAN_COLUMNS = ["unit_id", "quota_type", "year", "source", "may_hire"]


def _sum_by(frame: pd.DataFrame, keys: list[str], value: str, index: pd.MultiIndex
            ) -> np.ndarray:
    if frame.empty:
        return np.zeros(len(index), dtype=np.int64)
    return frame.groupby(keys)[value].sum().reindex(index).fillna(0).to_numpy(np.int64)


def years_table(year: int, tables: dict[str, pd.DataFrame], flows: pd.DataFrame
                ) -> pd.DataFrame:
    """One year's rows of years.csv from that year's ledger and flows."""
    led = tables["ledger"]
    index = pd.MultiIndex.from_frame(led[KEY])
    f = flows.set_index(KEY).reindex(index).fillna(0)
    ins = [c for c in led.columns if c.startswith("in_")]
    outs = [c for c in led.columns if c.startswith("out_")]
    staff_in = [c for c in led.columns if c.startswith("staff_in_")]
    staff_out = [c for c in led.columns if c.startswith("staff_out_")]
    returned = f["returned"].to_numpy(np.int64)
    out = pd.DataFrame({
        "unit_id": led["unit_id"].to_numpy(), "quota_type": led["quota_type"].to_numpy(),
        "year": year,
        "approved_start": led["approved_before"].to_numpy(np.int64) + returned,
        "staff_start": led["staff_before"].to_numpy(np.int64),
        "retirements": led["retirements"].to_numpy(np.int64)
        + led["early_retirements"].to_numpy(np.int64),
        "leavers": led["leavers"].to_numpy(np.int64),
        "hires": led["hires"].to_numpy(np.int64),
        "persons_in": led[staff_in].sum(axis=1).to_numpy(np.int64),
        "persons_out": led[staff_out].sum(axis=1).to_numpy(np.int64),
        "moved_in": led[ins].sum(axis=1).to_numpy(np.int64),
        "moved_out": led[outs].sum(axis=1).to_numpy(np.int64),
        "returned": returned,
        "approved_end": led["approved_after"].to_numpy(np.int64),
        "staff_end": led["staff_after"].to_numpy(np.int64),
        "vacancy_end": led["vacancy_after"].to_numpy(np.int64),
    })
    return out[YEARS_COLUMNS]


def pool_years_table(year: int, pool: pd.DataFrame, flows: pd.DataFrame,
                     region_of: pd.Series) -> pd.DataFrame:
    """One year's rows of pool_years.csv: the start is before the year's returns."""
    back = flows.assign(region=flows["unit_id"].map(region_of).to_numpy())
    back = back.groupby(["region", "quota_type"])["returned"].sum()
    key = pd.MultiIndex.from_frame(pool[["region", "quota_type"]])
    returned = back.reindex(key).fillna(0).to_numpy(np.int64)
    withdrawn = pool["withdrawn"].to_numpy(np.int64) + pool["merge_released"].to_numpy(np.int64)
    out = pd.DataFrame({
        "region": pool["region"].to_numpy(), "quota_type": pool["quota_type"].to_numpy(),
        "year": year,
        "balance_start": pool["balance_before"].to_numpy(np.int64) - returned,
        "returned": returned, "granted": pool["granted"].to_numpy(np.int64),
        "withdrawn": withdrawn, "balance_end": pool["balance_after"].to_numpy(np.int64)})
    return out[POOL_YEARS_COLUMNS]


def use_plan_table(year: int, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """用编计划: the quotas each unit may fill by hiring this year, by source.

    own: its own vacancies (for a full unit: what its leavers freed, 出一进一); same_system,
    same_sector, other: quotas moved in; pool: granted from the pool. Quotas moving with a
    person (带编调剂) need no hire and are not in it."""
    d = tables["demands"]
    own = d[d["met_own"].astype(np.int64) > 0]
    own = pd.DataFrame({"unit_id": own["unit_id"].to_numpy(),
                        "quota_type": own["quota_type"].to_numpy(), "source": "own",
                        "may_hire": own["met_own"].to_numpy(np.int64)})
    m = tables["moves"]
    m = m[m["kind"].isin([Move.TRANSFER, Move.POOL_GRANT])]
    moved = pd.DataFrame({"unit_id": m["to_unit"].to_numpy(),
                          "quota_type": m["quota_type"].to_numpy(),
                          "source": m["source"].to_numpy(),
                          "may_hire": m["amount"].to_numpy(np.int64)})
    both = pd.concat([own, moved], ignore_index=True)
    if both.empty:
        return pd.DataFrame(columns=USE_PLAN_COLUMNS)
    out = both.groupby(["unit_id", "quota_type", "source"], as_index=False, sort=True)[
        "may_hire"].sum()
    out["year"] = year
    return out[USE_PLAN_COLUMNS]


def horizon_tables(years: list[int], year_tables: list[dict[str, pd.DataFrame]],
                   flows: list[pd.DataFrame], demands_in: pd.DataFrame,
                   region_of: pd.Series, horizon_start: int,
                   reasons: dict[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """The plan folder's tables of a multi-year plan, from each year's tables."""
    first, last = year_tables[0], year_tables[-1]
    moves = pd.concat([t["moves"].assign(year=y) for y, t in zip(years, year_tables)],
                      ignore_index=True)
    ledger = pd.concat([t["ledger"].assign(year=y) for y, t in zip(years, year_tables)],
                       ignore_index=True)
    ledger.insert(2, "year", ledger.pop("year"))
    yrs = pd.concat([years_table(y, t, f) for y, t, f in zip(years, year_tables, flows)],
                    ignore_index=True)
    pool_years = pd.concat([pool_years_table(y, t["pool"], f, region_of)
                            for y, t, f in zip(years, year_tables, flows)], ignore_index=True)
    use_plan = pd.concat([use_plan_table(y, t) for y, t in zip(years, year_tables)],
                         ignore_index=True)
    # units and pool: the start of the horizon → the end
    u0 = first["units"].set_index(KEY)
    u1 = last["units"].set_index(KEY)
    start = yrs[yrs["year"] == years[0]].set_index(KEY)
    units = u0.copy()
    units["approved_before"] = start["approved_start"].reindex(u0.index).to_numpy(np.int64)
    units["approved_after"] = u1["approved_after"].reindex(u0.index).to_numpy(np.int64)
    units["staff_after"] = u1["staff_after"].reindex(u0.index).to_numpy(np.int64)
    units = units.reset_index()[first["units"].columns]
    p0 = first["pool"].set_index(["region", "quota_type"])
    p1 = last["pool"].set_index(["region", "quota_type"])
    pool = p0.copy()
    pool["balance_after"] = p1["balance_after"].reindex(p0.index).to_numpy(np.int64)
    for col in ("withdrawn", "merge_released", "granted"):
        pool[col] = sum(t["pool"].set_index(["region", "quota_type"])[col].reindex(p0.index)
                        .fillna(0).to_numpy(np.int64) for t in year_tables)
    pool["returned"] = pool_years.groupby(["region", "quota_type"])["returned"].sum() \
        .reindex(p0.index).fillna(0).to_numpy(np.int64)
    pool = pool.reset_index()
    demands, demand_years = horizon_demands(years, year_tables, demands_in, horizon_start,
                                            reasons)
    return {"moves": moves, "units": units, "pool": pool, "demands": demands,
            "ledger": ledger, "years": yrs, "pool_years": pool_years,
            "demand_years": demand_years, "use_plan": use_plan}


def horizon_demands(years: list[int], year_tables: list[dict[str, pd.DataFrame]],
                    demands_in: pd.DataFrame, horizon_start: int,
                    reasons: dict[str, str] | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every input demand with what the horizon met (met_year: the year of its last met
    quota), and demand_years: per demand and year with a met quota."""
    per_year = pd.concat([t["demands"].assign(year=y) for y, t in zip(years, year_tables)],
                         ignore_index=True)
    counts = ["met", "met_own", "met_transfer"]
    for c in counts:
        per_year[c] = per_year[c].astype(np.int64)
    got = per_year[per_year["met"] > 0]
    demand_years = got[["demand_id", "year", "met"]].sort_values(
        ["demand_id", "year"], kind="stable").reset_index(drop=True)
    d = demands_in.drop(columns=["_row"], errors="ignore").sort_values(
        "demand_id", kind="stable").reset_index(drop=True)
    sums = per_year.groupby("demand_id")[counts].sum()
    for c in counts:
        d[c] = sums[c].reindex(d["demand_id"]).fillna(0).to_numpy(np.int64)
    last = per_year.drop_duplicates("demand_id", keep="last").set_index("demand_id")
    d["unmet_reason"] = last["unmet_reason"].reindex(d["demand_id"]).fillna("").to_numpy()
    d["reason"] = last["reason"].reindex(d["demand_id"]).fillna("").to_numpy() \
        if "reason" in last else ""
    begins = d["start_year"].fillna(horizon_start).astype(np.int64) if "start_year" in d \
        else pd.Series(horizon_start, index=d.index)
    never = ~d["demand_id"].isin(per_year["demand_id"])
    late = never & (begins > years[-1])
    ended = (~late) & (d["met"] < d["amount"]) & d.get(
        "end_year", pd.Series(np.nan, index=d.index)).notna() & (
        d.get("end_year", pd.Series(np.nan, index=d.index)).fillna(9999) < years[-1])
    d.loc[late, "unmet_reason"] = str(Unmet.AFTER_HORIZON)
    d.loc[ended & (d["unmet_reason"] == ""), "unmet_reason"] = str(Unmet.TASK_ENDED)
    if reasons:  # the horizon model's reason for what it left short (perfect foresight)
        given = d["demand_id"].map(reasons).fillna("")
        fill = (d["unmet_reason"] == "") & (given != "")
        d.loc[fill, "unmet_reason"] = given[fill]
    d.loc[d["met"] >= d["amount"], "unmet_reason"] = ""
    met_year = got.groupby("demand_id")["year"].max()
    d["met_year"] = pd.array(met_year.reindex(d["demand_id"]).to_numpy(), dtype="Int64")
    return d, demand_years


def open_demands(demands: pd.DataFrame, year: int, start: int, met: pd.Series
                 ) -> pd.DataFrame:
    """The demands open in `year`, with what is still to meet as their amount."""
    d = demands
    begins = d["start_year"].fillna(start).astype(np.int64) if "start_year" in d else start
    ends = d["end_year"] if "end_year" in d else pd.Series(np.nan, index=d.index)
    rest = d["amount"].astype(np.int64).to_numpy() - met.reindex(d["demand_id"]).to_numpy()
    is_open = (np.asarray(begins) <= year) & ~(ends.notna() & (ends.fillna(0) < year)) \
        .to_numpy() & (rest > 0)
    out = d[is_open].copy()
    out["amount"] = rest[is_open]
    return out
