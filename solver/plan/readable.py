"""plan.xlsx as a person reads it: a name beside every unit code, and for each unmet demand
its unit's status and what would unblock it.

The CSV files keep the codes alone (what verify, compare and the five-year plan read); the
workbook the committee opens adds the columns below. verify compares the workbook with the
CSVs on the CSVs' columns, so these reading aids never make a plan differ.
"""

from __future__ import annotations

import pandas as pd

from solver.names import Names
from solver.text import say

# code column → the name column plan.xlsx puts right after it, and what the code names
NAME_COLUMNS: dict[str, tuple[str, str]] = {
    "unit_id": ("unit_name", "unit"),
    "from_unit": ("from_unit_name", "unit"),
    "to_unit": ("to_unit_name", "unit"),
    "keeper_id": ("keeper_name", "unit"),
    "region": ("region_name", "region"),
    "system": ("system_name", "system"),
}


def readable_tables(tables: dict[str, pd.DataFrame], names: Names) -> dict[str, pd.DataFrame]:
    """The plan's tables with unit names beside their codes and, in demands, the unit status
    and the way to unblock an unmet demand (the sentences in the run's language)."""
    out = {}
    for table, frame in tables.items():
        if table == "demands" and "units" in tables:
            frame = unmet_detail(frame, tables["units"], names)
        for code, (name, kind) in NAME_COLUMNS.items():
            frame = names.with_names(frame, code, name, kind)
        out[table] = frame
    return out


def unmet_detail(demands: pd.DataFrame, units: pd.DataFrame, names: Names | None = None
                 ) -> pd.DataFrame:
    """demands with `unit_status` (超编/满编/有空编 before the plan) and `unblock`: for each
    demand met short, what would let it be met (e.g. 单位超编3人，待人员减至核定数以下方可进人)."""
    u = units.drop_duplicates(["unit_id", "quota_type"]).set_index(["unit_id", "quota_type"])
    key = pd.MultiIndex.from_frame(demands[["unit_id", "quota_type"]].astype(str))
    status = u["status"].reindex(key).fillna("").to_numpy()
    over = (u["staff_before"] - u["approved_before"]).reindex(key).fillna(0).to_numpy()
    regions = demands["unit_id"].map(
        units.drop_duplicates("unit_id").set_index("unit_id")["region"]).fillna("")
    out = demands.copy()
    out["unit_status"] = status
    codes = out["unmet_reason"].fillna("").astype(str) if "unmet_reason" in out else \
        pd.Series("", index=out.index)
    names = names or Names()
    out["unblock"] = [say(f"unblock.{c}", over=int(o), region=names.name("region", r)) if c
                      else ""
                      for c, o, r in zip(codes, over, regions)]
    at = out.columns.get_loc("unmet_reason") + 1 if "unmet_reason" in out else len(out.columns)
    cols = [c for c in out.columns if c not in ("unit_status", "unblock")]
    cols[at:at] = ["unit_status", "unblock"]
    return out[cols]


__all__ = ["NAME_COLUMNS", "readable_tables", "unmet_detail"]
