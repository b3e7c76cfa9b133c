"""One plan, one account (issue 11): on random instances, every vacancy serves one purpose.

A vacancy may be moved or withdrawn, filled for a demand of its own unit, released by a
merger, held for a surplus person returning to their post, used to take over off-quota work,
or kept in the reserve — never two of these. The check here is independent of the ledger:
per unit and quota type, counted from moves.csv, demands.csv and assignments.csv and the
off-quota take-over, the uses of the unit's own vacancies never exceed what it had
(vacancy before + early retirements); and per region and type the vacancies left unused plus
the pool stay at the reserve floor (or where they were). Every unit reconciles: approved and
staff after = before + what its moves, hires and people say. And `verify` passes.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import make_inputs, write_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.runner import run_scenario
from solver.scenario import load_scenario

I, ADM = "institution", "administrative"
SYSTEMS = [("health", "social"), ("education", "social"), ("transport", "economy")]
PERSON = {
    "quota_type": I, "cadre_level": "section_or_below", "gender": "M", "age": 50,
    "service_years": 25, "health": "healthy", "work_status": "in_charge",
    "surplus_reason": "reform", "skills": "", "preferences": "", "wants_return": "no",
    "willing_early_retirement": "no",
}
CATEGORIES = ["medical", "logistics", "service_window", "other"]


@st.composite
def instances(draw):
    n = draw(st.integers(3, 9))
    units, quotas, demands, people, aux = [], [], [], [], []
    for i in range(n):
        system, sector = draw(st.sampled_from(SYSTEMS))
        small = draw(st.booleans())
        units.append({"unit_id": f"U{i}", "region": draw(st.sampled_from(["r1", "r2"])),
                      "system": system, "sector": sector, "parent_id": "P" if small else "",
                      "function_status": draw(st.sampled_from(["active"] * 8 + ["lapsed"])),
                      "kind": "institution"})
        approved = draw(st.integers(1, 6) if small else st.integers(0, 30))
        staff = draw(st.integers(max(0, approved - 6), approved + 2))
        quotas.append((f"U{i}", I, approved, staff))
        if not small and draw(st.booleans()):
            a = draw(st.integers(0, 10))
            quotas.append((f"U{i}", ADM, a, draw(st.integers(max(0, a - 4), a + 1))))
        for c in draw(st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True)):
            head = draw(st.integers(1, 6))
            aux.append({"unit_id": f"U{i}", "category": c, "headcount": head,
                        "approved": draw(st.integers(0, head)),
                        "outsourceable": draw(st.sampled_from(["yes", "no"]))})
    units.append({"unit_id": "P", "region": "r1", "system": "health", "sector": "social",
                  "kind": "organ", "function_status": "active", "parent_id": ""})
    quotas.append(("P", ADM, 10, 10))
    keys = [(q[0], q[1]) for q in quotas if q[0] != "P"]
    for k in range(draw(st.integers(1, 10))):
        unit, qt = draw(st.sampled_from(keys))
        tier = draw(st.sampled_from(["key", "emergency", "operational"]))
        demands.append((f"D{k:02d}", unit, qt, tier, draw(st.integers(1, 5))))
    seats = {(q[0], q[1]): q[3] for q in quotas}  # surplus people count in staff
    for k in range(draw(st.integers(0, 6))):
        unit, qt = draw(st.sampled_from(keys))
        if seats[(unit, qt)] == 0:
            continue
        seats[(unit, qt)] -= 1
        people.append({**PERSON, "person_id": f"p{k}", "unit_id": unit, "quota_type": qt,
                       "wants_return": draw(st.sampled_from(["yes", "no"])),
                       "age": draw(st.sampled_from([45, 58])),
                       "service_years": draw(st.sampled_from([20, 35])),
                       "willing_early_retirement": draw(st.sampled_from(["yes", "no"]))})
    regions = sorted({u["region"] for u in units})  # a pool needs units in its region
    pool = [(r, I, draw(st.integers(0, 3))) for r in regions if draw(st.booleans())]
    scenario = {
        "reserve_rate": draw(st.sampled_from([0, 0.03, 0.1, 0.2])),
        "vacancy_offset": draw(st.sampled_from([0, 0.5, 1, 2])),
        "consolidation": draw(st.booleans()),
    }
    return units, quotas, demands, people, aux, pool, scenario


def run(folder: Path, instance):
    units, quotas, demands, people, aux, pool, sc = instance
    make_inputs(folder / "data", units, quotas, demands, pool)
    if people:
        write_table(folder / "data", "people", people)
        write_table(folder / "data", "task_groups", [
            {"group_id": "G", "name": "G", "min_size": 0, "max_size": 3, "skills": ""}])
    if aux:
        write_table(folder / "data", "aux_positions", aux)
    (folder / "s.yaml").write_text(
        "name: prop\ndata: data\nyear: 2021\n"
        f"policy: {{reserve_rate: {sc['reserve_rate']}}}\n"
        f"aux: {{vacancy_offset: {sc['vacancy_offset']}}}\n"
        f"consolidation: {{enabled: {str(sc['consolidation']).lower()}, threshold: 6, "
        "max_size: 30}\n", encoding="utf-8")
    return run_scenario(load_scenario(folder / "s.yaml"), with_marginals=False)


def _per(frame: pd.DataFrame, unit: str, value: str) -> pd.Series:
    if frame.empty:
        return pd.Series(dtype=np.int64)
    return frame.groupby([frame[unit], frame["quota_type"]])[value].sum()


def uses_of_own_vacancies(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per unit and type, counted from the plan's tables (not the ledger): what the unit had
    and every use of it. A merged group counts as one unit (its keeper)."""
    owner = {}
    if "mergers" in t:
        m = t["mergers"]
        owner = dict(zip(m.loc[m["role"] == "absorbed", "unit_id"],
                         m.loc[m["role"] == "absorbed", "keeper_id"]))

    def at(s: pd.Series) -> pd.Series:
        return s.map(owner).fillna(s) if owner else s

    u = t["units"].assign(unit_id=lambda f: at(f["unit_id"]))
    acc = u.groupby(["unit_id", "quota_type"])[["approved_before", "staff_before"]].sum()
    moves = t["moves"]
    moves = moves[moves["kind"] != "merge"].assign(from_unit=lambda f: at(f["from_unit"]))
    plain = moves[(moves["from_unit"] != "") & (moves["kind"] != "transfer_with_person")]
    acc["moved_out"] = _per(plain, "from_unit", "amount")
    d = t["demands"].assign(unit_id=lambda f: at(f["unit_id"]))
    acc["filled_own"] = _per(d, "unit_id", "met_own")
    a = t.get("assignments", pd.DataFrame(columns=["unit_id", "quota_type", "option"]))
    a = a.assign(unit_id=at(a["unit_id"]), n=1)
    acc["retired"] = _per(a[a["option"] == "early_retirement"], "unit_id", "n")
    acc["returns"] = _per(a[a["option"] == "return"], "unit_id", "n")
    led = t["ledger"].assign(unit_id=lambda f: at(f["unit_id"]))
    acc["takeover"] = _per(led, "unit_id", "takeover")
    acc = acc.fillna(0).astype(np.int64)
    acc["had"] = (acc["approved_before"] - acc["staff_before"] + acc["retired"]).clip(lower=0)
    acc["used"] = acc["moved_out"] + acc["filled_own"] + acc["returns"] + acc["takeover"]
    return acc


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(instances())
def test_no_vacancy_serves_two_purposes(instance):
    with tempfile.TemporaryDirectory() as tmp:
        plan = run(Path(tmp), instance)
        t = plan.tables()
        assert plan.verify() == []
        acc = uses_of_own_vacancies(t)
        over = acc[acc["used"] > acc["had"]]
        assert over.empty, over
        led = t["ledger"]
        assert (led["vacancy_free"] >= 0).all()
        # the reserve after every use: unused vacancies + pool ≥ min(floor, what it had)
        rate = instance[6]["reserve_rate"]
        region = dict(zip(led["unit_id"], led["region"]))
        acc["region"] = [region[u] for u in acc.index.get_level_values(0)]
        had = (acc["had"] - acc["returns"]).groupby([acc["region"], acc.index.get_level_values(1)]
                                                    ).sum()
        pool = t["pool"].groupby(["region", "quota_type"])
        free = led.groupby(["region", "quota_type"])["vacancy_free"].sum()
        for (r, qt), unused in free.items():
            blk = led[(led["region"] == r) & (led["quota_type"] == qt)]
            p0 = int(pool["balance_before"].sum().get((r, qt), 0))
            p1 = int(pool["balance_after"].sum().get((r, qt), 0))
            floor = math.ceil(rate * (blk["approved_before"].sum() + p0) - 1e-9)
            assert unused + p1 >= min(floor, int(had[(r, qt)]) + p0), (r, qt)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(instances())
def test_every_unit_reconciles_with_its_moves(instance):
    with tempfile.TemporaryDirectory() as tmp:
        t = run(Path(tmp), instance).tables()
        u = t["units"].set_index(["unit_id", "quota_type"])
        m = t["moves"]
        into = _per(m[m["to_unit"] != ""], "to_unit", "amount").reindex(u.index).fillna(0)
        out = _per(m[m["from_unit"] != ""], "from_unit", "amount").reindex(u.index).fillna(0)
        bad = u["approved_after"] != u["approved_before"] + into - out
        assert not bad.any(), (u[bad], m.to_string())
        people = m[m["persons"] > 0]
        came = _per(people[people["to_unit"] != ""], "to_unit", "persons")
        left = _per(people[people["from_unit"] != ""], "from_unit", "persons")
        led = t["ledger"].set_index(["unit_id", "quota_type"])
        expected = (u["staff_before"] - led["early_retirements"] + led["hires"]
                    + came.reindex(u.index).fillna(0) - left.reindex(u.index).fillna(0))
        bad = u["staff_after"] != expected
        assert not bad.any(), (u[bad], expected[bad], m.to_string())
