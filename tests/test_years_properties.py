"""Plans over several years on random instances (issue 12): hypothesis properties.

- Every plan passes every rule in every year and every rule linking the years (the run checks
  them before it returns a plan; the written folder is checked again by `verify`).
- Each year's ledger balances and years.csv runs on: the end of one year is the start of the
  next (both rules of verify; counted here independently as well).
- Nobody retires twice, nor before the statutory month, nor outside the horizon; everybody
  due in the horizon retires.
- A one-year horizon without leavers is today's one-year plan.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from conftest import make_inputs, write_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.cadres.rules import retirement
from solver.edits import load_data
from solver.runner import checked_plan
from solver.scenario import load_scenario

I, ADM = "institution", "administrative"


@st.composite
def instances(draw):
    n = draw(st.integers(2, 6))
    units, quotas, staff, demands = [], [], [], []
    for i in range(n):
        units.append({"unit_id": f"U{i}", "region": draw(st.sampled_from(["r1", "r2"])),
                      "system": draw(st.sampled_from(["health", "education"])),
                      "function_status": draw(st.sampled_from(["active"] * 6 + ["lapsed"]))})
        for qt in ([I] + ([ADM] if draw(st.booleans()) else [])):
            approved = draw(st.integers(0, 12))
            count = draw(st.integers(max(0, approved - 4), approved + 2))
            quotas.append((f"U{i}", qt, approved, count))
            for k in range(count):
                staff.append({
                    "person_id": f"U{i}-{qt[:3]}-{k}", "unit_id": f"U{i}", "quota_type": qt,
                    "gender": draw(st.sampled_from(["M", "F"])),
                    "birth": f"{draw(st.integers(1958, 1995))}-{draw(st.integers(1, 12)):02d}",
                    "category": draw(st.sampled_from(["cadre", "cadre", "worker"]))})
    keys = [(q[0], q[1]) for q in quotas]
    for k in range(draw(st.integers(1, 8))):
        unit, qt = draw(st.sampled_from(keys))
        tier = draw(st.sampled_from(["key", "emergency", "operational"]))
        start = draw(st.integers(2021, 2023))
        end = draw(st.one_of(st.none(), st.integers(start, 2024))) if tier == "emergency" \
            else None
        demands.append({"demand_id": f"D{k}", "unit_id": unit, "quota_type": qt, "tier": tier,
                        "amount": draw(st.integers(1, 4)), "start_year": start,
                        "end_year": end})
    settings_ = {
        "years": draw(st.sampled_from([(2021, 2021), (2021, 2022), (2021, 2023)])),
        "foresight": draw(st.sampled_from(["perfect", "myopic"])),
        "rate": draw(st.sampled_from([0.0, 0.05, 0.3])),
        "reserve": draw(st.sampled_from([0.0, 0.1])),
        "pool": draw(st.integers(0, 3)),
    }
    return units, quotas, staff, demands, settings_


def build(root: Path, units, quotas, staff, demands, s) -> Path:
    regions = sorted({u["region"] for u in units})
    make_inputs(root / "data", units, quotas, [],
                [(regions[0], I, s["pool"])] if any(q[1] == I for q in quotas) else None)
    write_table(root / "data", "demands", demands)
    if staff:
        write_table(root / "data", "staff", staff)
    start, end = s["years"]
    (root / "s.yaml").write_text(
        f"name: p\ndata: data\nhorizon: {{start: {start}, end: {end}, "
        f"foresight: {s['foresight']}}}\nattrition: {{rate: {s['rate']}}}\n"
        f"policy: {{reserve_rate: {s['reserve']}}}\n", encoding="utf-8")
    return root / "s.yaml"


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(instances())
def test_every_year_keeps_every_rule_and_people_retire_once_on_time(instance):
    units, quotas, staff, demands, s = instance
    with tempfile.TemporaryDirectory() as tmp:
        scenario = load_scenario(build(Path(tmp), units, quotas, staff, demands, s))
        ds = load_data(scenario)
        plan = checked_plan(scenario, ds, with_marginals=False)  # raises if a rule breaks
        t = plan.tables()
    years = list(range(s["years"][0], s["years"][1] + 1))
    # each year's ledger balances; each year starts where the one before ended
    y = t["years"]
    assert ((y["approved_start"] - y["returned"] + y["moved_in"] - y["moved_out"])
            == y["approved_end"]).all()
    assert ((y["staff_start"] - y["retirements"] - y["leavers"] + y["hires"] + y["persons_in"]
             - y["persons_out"]) == y["staff_end"]).all()
    for a, b in zip(years, years[1:]):
        end = y[y["year"] == a].set_index(["unit_id", "quota_type"])
        nxt = y[y["year"] == b].set_index(["unit_id", "quota_type"]).reindex(end.index)
        assert (end["approved_end"] == nxt["approved_start"]).all()
        assert (end["staff_end"] == nxt["staff_start"]).all()
    # nobody retires twice, before the statutory month, or outside the horizon; all due do
    r = t["retirements"]
    assert not r["person_id"].duplicated().any()
    born = {p["person_id"]: p for p in staff}
    due = set()
    for p in staff:
        year_month = retirement(p["gender"], p["category"], *map(int, p["birth"].split("-")))
        when = max(year_month.year, years[0])
        if when <= years[-1]:
            due.add(p["person_id"])
    assert set(r["person_id"]) == due
    for pid, year, month in zip(r["person_id"], r["year"], r["month"]):
        p = born[pid]
        stat = retirement(p["gender"], p["category"], *map(int, p["birth"].split("-")))
        assert (year, month) >= (stat.year, stat.month) or year == years[0]
        assert years[0] <= year <= years[-1]
    # the retirements in years.csv are those of retirements.csv (no surplus people here)
    per_year = r.groupby("year").size()
    for year in years:
        counted = int(y.loc[y["year"] == year, "retirements"].sum())
        assert counted <= int(per_year.get(year, 0))
    # the demands add up over the years, and no demand gets more than it asked
    d = t["demands"]
    assert (d["met"] <= d["amount"]).all()
    dy = t["demand_years"]
    assert dy.groupby("demand_id")["met"].sum().reindex(d["demand_id"]).fillna(0) \
        .astype(int).tolist() == d["met"].astype(int).tolist()


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(instances())
def test_a_one_year_horizon_without_leavers_is_todays_plan(instance):
    units, quotas, staff, demands, s = instance
    for dem in demands:  # a one-year plan of 2021: demands of that year
        dem["start_year"] = 2021
        dem["end_year"] = None if dem["end_year"] is None else max(dem["end_year"], 2021)
    s = {**s, "years": (2021, 2021), "rate": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        path = build(Path(tmp), units, quotas, staff, demands, s)
        text = path.read_text(encoding="utf-8") + "retirement: none\n"
        path.write_text(text, encoding="utf-8")
        horizon = load_scenario(path)
        today = load_scenario(path, sets=["horizon=null", "year=2021"])
        a = checked_plan(today, load_data(today), with_marginals=False).tables()
        b = checked_plan(horizon, load_data(horizon), with_marginals=False).tables()
    cols = ["kind", "quota_type", "from_unit", "to_unit", "amount", "demand_id", "source"]
    assert a["moves"][cols].reset_index(drop=True).equals(b["moves"][cols].reset_index(drop=True))
    key = ["demand_id", "met", "met_own", "unmet_reason"]
    assert a["demands"][key].reset_index(drop=True).equals(
        b["demands"][key].reset_index(drop=True))
    assert a["units"].reset_index(drop=True).equals(b["units"].reset_index(drop=True))
    assert np.array_equal(a["pool"]["balance_after"].to_numpy(),
                          b["pool"]["balance_after"].to_numpy())
