"""Who leaves in each year of a multi-year plan: statutory retirements and other leavers.

Both are rules, not choices: the plan cannot change them, only use the quotas they free.

- *Retirements* (docs/rules.md § 19a.2): every person of the staff register retires in the year
  of the month they reach the statutory age (`solver.cadres.rules.retirements`, the 2024
  schedule). Without a register only the surplus people's ages are known: they are taken as
  born in July of (data year − age), as the cadre part does. A surplus person who retires
  early in the first year does not retire again; one transferred with the quota retires at
  the unit that received them. Anyone already past the age at the start retires in the first
  year.
- *Other leavers* (attrition, docs/rules.md § 19a.3): `attrition.rate` (one rate, or one per quota type) of a unit's
  staff at the start of the year, apportioned to the units of each quota type by the largest
  remainder method (ties: earlier unit id) so that the total is the rate times the type's
  staff, rounded half up; never more than the staff left after that year's retirements.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from solver.cadres import rules
from solver.domain import Opt

RETIREMENT_COLUMNS = ["person_id", "unit_id", "quota_type", "year", "month",
                      "age_at_retirement", "age_months"]


def register_retirements(ds, years: list[int], assignments: pd.DataFrame | None = None
                         ) -> pd.DataFrame:
    """One row per person retiring at the statutory age inside the horizon (no names).

    `age_at_retirement` reads like 60y2m; `age_months` is the same in months. Early retirees
    of the first year are left out; people transferred with their quota retire at the unit
    that received them."""
    if not years:
        return pd.DataFrame(columns=RETIREMENT_COLUMNS)
    start, end = years[0], years[-1]
    if ds.staff is not None and len(ds.staff):
        s = ds.staff
        category = (s["category"].fillna("cadre").astype(str).to_numpy()
                    if "category" in s else "cadre")
        frame = pd.DataFrame({
            "person_id": s["person_id"].astype(str).to_numpy(),
            "unit_id": s["unit_id"].astype(str).to_numpy(),
            "quota_type": s["quota_type"].astype(str).to_numpy(),
        })
        age, year, month = rules.retirements(
            s["gender"].astype(str).to_numpy(), category,
            s["birth_year"].to_numpy(np.int64), s["birth_month"].to_numpy(np.int64))
    elif ds.people is not None and len(ds.people):
        p = ds.people
        data_year = ds.year or start
        frame = pd.DataFrame({
            "person_id": p["person_id"].astype(str).to_numpy(),
            "unit_id": p["unit_id"].astype(str).to_numpy(),
            "quota_type": p["quota_type"].astype(str).to_numpy(),
        })
        born = data_year - p["age"].to_numpy(np.int64)
        age, year, month = rules.retirements(
            p["gender"].astype(str).to_numpy(), "cadre", born,
            np.full(len(p), rules.ASSUMED_BIRTH_MONTH, dtype=np.int64))
    else:
        return pd.DataFrame(columns=RETIREMENT_COLUMNS)
    frame["year"] = np.maximum(year, start)
    frame["month"] = np.where(year < start, 1, month)
    frame["age_months"] = age
    # only the people retiring inside the horizon (a province register holds over a million)
    frame = frame[(frame["year"] <= end).to_numpy()]
    age = frame["age_months"].to_numpy()
    frame["age_at_retirement"] = [f"{a // 12}y{a % 12}m" for a in age]
    if assignments is not None and len(assignments):
        a = assignments.drop_duplicates("person_id").set_index("person_id")
        option = frame["person_id"].map(a["option"])
        frame = frame[option.to_numpy() != Opt.EARLY_RETIREMENT].copy()
        moved = frame["person_id"].map(a["to_unit"]).fillna("").astype(str)
        frame["unit_id"] = moved.where(moved != "", frame["unit_id"])
    frame = frame[(frame["year"] >= start) & (frame["year"] <= end)]
    return frame.sort_values(["year", "month", "unit_id", "person_id"], kind="stable") \
        .reset_index(drop=True)[RETIREMENT_COLUMNS]


def attrition(rows: pd.DataFrame, rate_for, retiring: np.ndarray) -> np.ndarray:
    """Other leavers of one year per quota row (unit × type), by the largest remainder.

    rows: unit_id, quota_type, staff (at the start of the year); retiring: that year's
    retirements per row (leavers never exceed the staff left after them). Per type the total
    is ⌊rate × Σ staff + ½⌋; each row gets ⌊rate × staff⌋ and the rest go one each to the
    largest fractional parts, ties to the earlier unit id.
    """
    staff = rows["staff"].to_numpy(np.int64)
    room = np.maximum(staff - retiring, 0)
    out = np.zeros(len(rows), dtype=np.int64)
    for qt, idx in rows.groupby("quota_type", sort=True).indices.items():
        rate = float(rate_for(qt))
        if rate <= 0 or not len(idx):
            continue
        share = rate * staff[idx]
        base = np.minimum(np.floor(share + 1e-9).astype(np.int64), room[idx])
        total = int(np.floor(rate * staff[idx].sum() + 0.5 + 1e-9))
        rest = total - int(base.sum())
        if rest > 0:
            frac = share - np.floor(share + 1e-9)
            can = base < room[idx]
            ids = pd.factorize(rows["unit_id"].to_numpy()[idx], sort=True)[0]
            order = np.lexsort((ids, -frac))
            order = order[can[order]][:rest]
            base[order] += 1
        out[idx] = base
    return out
