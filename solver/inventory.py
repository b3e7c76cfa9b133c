"""The stock-take of the three clean-ups (三项清理): quotas, off-quota staff, surplus people."""

from __future__ import annotations

import numpy as np
import pandas as pd

from solver.cadres.rules import retirements
from solver.domain import ENUMS, QUOTA_TYPES
from solver.errors import BianzhiError
from solver.leaders import leader_check
from solver.validate import Dataset

AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("<40", 0, 39), ("40-49", 40, 49), ("50-54", 50, 54), ("55-57", 55, 57),
    ("58-60", 58, 60), (">60", 61, 200),
)
# The staff register's age profile (age in the data's year) and the years whose statutory
# retirements are counted (the 14th five-year plan, 十四五).
REGISTER_AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("<40", 0, 39), ("40-49", 40, 49), ("50-54", 50, 54), ("55+", 55, 200),
)
RETIREMENT_YEARS: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025)
SMALL_THRESHOLDS = (5, 7)
FOLLOW_UP_REASONS = ("absent_without_reason", "missing")


def _one_of(given: str, found, labels: dict[str, str], option: str) -> str:
    """The data's value `given` names: as the data writes it, its Chinese label (市级) or the
    code (city), case and surrounding blanks aside; else a BianzhiError listing the values."""
    values = sorted({str(v) for v in found if pd.notna(v)})
    want = str(given).strip().casefold()
    for v in values:
        if want in (v.casefold(), str(labels.get(v, "")).casefold()):
            return v
    shown = ", ".join(f"{v} ({labels[v]})" if v in labels else v for v in values)
    raise BianzhiError(f"{option} {given!r} matches no unit; the data has: {shown or 'none'}")


def filter_dataset(ds: Dataset, region: str | None = None, level: str | None = None) -> Dataset:
    """The dataset restricted to units of one region and/or level (for seed comparisons).

    Values are taken as the data writes them, or as their label (市级 for city); one that
    matches no unit is an error naming the values there are."""
    if region is None and level is None:
        return ds
    if region is not None:
        region = _one_of(region, ds.units["region"].unique(), {}, "--region")
    if level is not None:
        level = _one_of(level, ds.units["level"].unique(), dict(ENUMS["level"]), "--level")
    keep = pd.Series(True, index=ds.units.index)
    if region is not None:
        keep &= ds.units["region"] == region
    if level is not None:
        keep &= ds.units["level"] == level
    units = ds.units[keep]
    ids = set(units["unit_id"])

    def sub(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        return None if frame is None else frame[frame["unit_id"].isin(ids)]

    pool = ds.pool
    if pool is not None and region is not None and level in (None,):
        pool = pool[pool["region"] == region]
    elif pool is not None and level is not None:
        pool = pool.iloc[0:0]  # the pool belongs to a region, not a level
    return Dataset(
        path=ds.path, units=units, quotas=sub(ds.quotas), demands=sub(ds.demands), pool=pool,
        people=sub(ds.people), task_groups=ds.task_groups, aux_positions=sub(ds.aux_positions),
        staff=sub(ds.staff), sources=ds.sources, warnings=ds.warnings, checksum=ds.checksum, leaders=ds.leaders,
    )


def _counts(series: pd.Series) -> dict[str, int]:
    counts = series.fillna("(blank)").astype(str).value_counts()
    return {str(k): int(v) for k, v in sorted(counts.items())}


def quota_stock(ds: Dataset) -> dict[str, dict]:
    """Per quota type: approved, staff, vacancy (Σ max(approved − staff, 0) + pool), rate."""
    q = ds.quotas
    pool = ds.pool.groupby("quota_type")["balance"].sum() if ds.pool is not None else {}
    out = {}
    for qt in QUOTA_TYPES:
        rows = q[q["quota_type"] == qt]
        approved = int(rows["approved"].sum())
        staff = int(rows["staff"].sum())
        balance = int(pool.get(qt, 0))
        vacancy = int((rows["approved"] - rows["staff"]).clip(lower=0).sum()) + balance
        base = approved + balance
        out[qt] = {
            "units": int(rows["unit_id"].nunique()),
            "approved": approved,
            "staff": staff,
            "pool": balance,
            "vacancy": vacancy,
            "vacancy_rate": round(vacancy / base, 4) if base else 0.0,
            "over_quota_staff": int((rows["staff"] - rows["approved"]).clip(lower=0).sum()),
        }
    return out


def unit_status(ds: Dataset) -> dict:
    """Units over quota, full, with vacancies; small institutions; leader-heavy units (leader
    posts above their limit: `solver.leaders.leader_check` under the dataset's limits)."""
    q = ds.quotas.assign(gap=ds.quotas["approved"] - ds.quotas["staff"])
    per_unit = q.groupby("unit_id")["gap"].agg(over=lambda g: (g < 0).any(),
                                               vacant=lambda g: (g > 0).any())
    over = per_unit["over"]
    vacant = per_unit["vacant"] & ~over
    full = ~over & ~per_unit["vacant"]
    units = ds.units.set_index("unit_id")
    inst_quota = q[q["quota_type"] == "institution"].groupby("unit_id")["approved"].sum()
    institutions = units[units["kind"] == "institution"]
    inst_approved = inst_quota.reindex(institutions.index).dropna()
    small = {f"small_le{t}": int((inst_approved <= t).sum()) for t in SMALL_THRESHOLDS}
    small_ids = inst_approved[inst_approved <= SMALL_THRESHOLDS[0]].index
    parents = institutions.loc[small_ids, "parent_id"].dropna()
    clusters = parents.value_counts()
    names = units["name"]
    cluster_list = [
        {"parent_id": pid, "name": str(names.get(pid, "")), "small_le5": int(n)}
        for pid, n in sorted(clusters.items(), key=lambda kv: (-kv[1], kv[0]))
        if n >= 2
    ]
    leaders = leader_check(ds.units, ds.quotas, ds.leaders)
    heavy = leaders[leaders["over"]].sort_values("unit_id", kind="stable")
    return {
        "count": int(len(units)),
        "by_kind": _counts(units["kind"]),
        "by_level": _counts(units["level"]),
        "over_quota": int(over.sum()),
        "full": int(full.sum()),
        "with_vacancy": int(vacant.sum()),
        "institutions": int(len(institutions)),
        **small,
        "small_clusters": cluster_list[:20],
        "leader_heavy": [
            {"unit_id": r.unit_id, "leader_posts": int(r.leader_posts),
             "approved": int(r.approved), "limit": int(r.limit), "basis": r.basis}
            for r in heavy.itertuples(index=False)
        ],
        "leader_limits": {
            "banded_kinds": sorted(k for k, b in ds.leaders.bands.items() if b),
            "share_fallback": ds.leaders.share_fallback,
        },
        "lapsed": int((units["function_status"] == "lapsed").sum()),
    }


def aux_stock(ds: Dataset) -> dict:
    """Off-quota headcount by category and system (system of the department), approved or not."""
    aux = ds.aux_positions
    if aux is None:
        return {"present": False, "headcount": 0}
    units = ds.units.set_index("unit_id")
    dept = aux["unit_id"].map(units["parent_id"]).fillna(aux["unit_id"])
    dept = dept.where(dept.isin(units.index), aux["unit_id"])
    system = dept.map(units["system"])
    approved = aux["approved"].astype("Float64").fillna(0)
    never = approved <= 0
    headcount = aux["headcount"]
    total = int(headcount.sum())
    by_system = headcount.groupby(system).sum().sort_values(ascending=False)
    return {
        "present": True,
        "headcount": total,
        "approved": int(approved.sum()),
        "headcount_approved": int(headcount[~never].sum()),
        "headcount_never_approved": int(headcount[never].sum()),
        "departments": int(dept[headcount > 0].nunique()),
        "by_category": {str(k): int(v) for k, v in headcount.groupby(aux["category"]).sum().items()},
        "by_system": {str(k): int(v) for k, v in by_system.items()},
        "share_by_system": {
            str(k): round(100 * v / total, 2) if total else 0.0 for k, v in by_system.items()
        },
    }


def age_band(age: pd.Series) -> pd.Series:
    """Age bands of the seed's table (40-49, 50-54, 55-57, 58-60)."""
    out = pd.Series("", index=age.index, dtype=object)
    for name, lo, hi in AGE_BANDS:
        out[(age >= lo) & (age <= hi)] = name
    return out


def people_stock(ds: Dataset) -> dict:
    """Surplus people by cadre level, age band, gender, health, work status and reason."""
    people = ds.people
    if people is None:
        return {"present": False, "count": 0}
    out: dict = {"present": True, "count": int(len(people))}
    kinds = people["unit_id"].map(ds.units.set_index("unit_id")["kind"])
    for level, group in [("all", people), *people.groupby("cadre_level")]:
        out.setdefault("by_cadre_level", {})[level] = {
            "count": int(len(group)),
            "age_band": _counts(age_band(group["age"])),
            "gender": _counts(group["gender"]),
            "health": _counts(group["health"]),
            "work_status": _counts(group["work_status"]),
            "surplus_reason": _counts(group["surplus_reason"]),
            "quota_type": _counts(group["quota_type"]),
            "in_civil_service_managed_units": int(
                (kinds[group.index] == "civil_service_managed").sum()),
        }
    follow = people[people["surplus_reason"].isin(FOLLOW_UP_REASONS)]
    out["follow_up_notice"] = sorted(follow["person_id"].tolist())
    return out


def staff_stock(ds: Dataset) -> dict:
    """The staff register: head count by quota type, gender and category; ages in the data's
    year by band (age = data year − birth year); people reaching their statutory retirement
    age (`solver.cadres.rules.retirement`) in each year of 2021-2025. No names."""
    staff = ds.staff
    if staff is None:
        return {"present": False, "count": 0}
    out: dict = {
        "present": True,
        "count": len(staff),
        "quota_type": _counts(staff["quota_type"]),
        "gender": _counts(staff["gender"]),
        "category": _counts(staff["category"]),
        "age_year": ds.year,
    }
    if ds.year is not None:
        age = ds.year - staff["birth_year"].astype(np.int64)
        band = pd.Series("", index=staff.index, dtype=object)
        for name, lo, hi in REGISTER_AGE_BANDS:
            band[(age >= lo) & (age <= hi)] = name
        counts = band.value_counts()
        out["age_band"] = {name: int(counts.get(name, 0)) for name, _, _ in REGISTER_AGE_BANDS}
    _, year, _ = retirements(staff["gender"].to_numpy(), staff["category"].to_numpy(),
                             staff["birth_year"].to_numpy(np.int64),
                             staff["birth_month"].to_numpy(np.int64))
    out["retiring_by_year"] = {str(y): int((year == y).sum()) for y in RETIREMENT_YEARS}
    return out


def inventory(ds: Dataset) -> dict:
    """The whole stock-take as one JSON-ready dict (keys documented in the README)."""
    return {
        "path": str(ds.path),
        "quota_types": quota_stock(ds),
        "units": unit_status(ds),
        "aux": aux_stock(ds),
        "people": people_stock(ds),
        "staff": staff_stock(ds),
        "demands": {
            "count": int(len(ds.demands)),
            "amount": int(ds.demands["amount"].sum()),
            "by_tier": {str(k): int(v) for k, v in
                        ds.demands.groupby("tier")["amount"].sum().items()},
        },
        "warnings": len(ds.warnings),
    }
