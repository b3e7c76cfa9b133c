"""The off-quota plan: one hand-checkable instance per rule, properties, the bundled city."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, UNIT_DEFAULTS, write_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.aux import AuxOptions, plan_aux
from solver.domain import AUX_CATEGORIES
from solver.validate import load

# the rules are checked through their reasons' English words (tests/test_text.py: Chinese)
pytestmark = pytest.mark.usefixtures("english")


def aux_inputs(folder: Path, units: list[dict], quotas: list[tuple], aux: list[tuple]) -> Path:
    """A CSV input folder for the off-quota plan.

    units: dicts with unit_id (defaults fill the rest); quotas: (unit_id, type, approved,
    staff); aux: (unit_id, category, headcount, approved or None, outsourceable or None).
    """
    folder.mkdir(parents=True, exist_ok=True)
    write_table(folder, "units", [
        {"unit_id": u["unit_id"], "name": u["unit_id"],
         **{k: u.get(k, v) for k, v in UNIT_DEFAULTS.items()}} for u in units])
    write_table(folder, "quotas", [
        {"unit_id": q[0], "quota_type": q[1], "approved": q[2], "staff": q[3]} for q in quotas])
    write_table(folder, "demands", [{"demand_id": "d1", "unit_id": units[0]["unit_id"],
                                     "quota_type": quotas[0][1], "tier": "operational",
                                     "amount": 1}])
    write_table(folder, "aux_positions", [
        {"unit_id": a[0], "category": a[1], "headcount": a[2], "approved": a[3],
         "outsourceable": a[4]} for a in aux])
    return folder


def row(plan, unit_id: str, category: str) -> dict:
    t = plan.table
    found = t[(t["unit_id"] == unit_id) & (t["category"] == category)]
    assert len(found) == 1
    return found.iloc[0].to_dict()


def outcome(plan, unit_id: str, category: str) -> tuple[int, int, int]:
    """(approved_after, to_services, ended) of one row."""
    r = row(plan, unit_id, category)
    return int(r["approved_after"]), int(r["to_services"]), int(r["ended"])


FULL = "institution"  # quota type used for units without vacancies in these cases


@pytest.fixture
def folder(tmp_path):
    counter = {"n": 0}

    def make(*args) -> Path:
        counter["n"] += 1
        return aux_inputs(tmp_path / f"data{counter['n']}", *args)

    return make


# ---------------------------------------------------------------- cut order: unapproved first


def test_nothing_is_cut_that_no_limit_requires(folder):
    """No vacancy, no reduction: every position stays, the unapproved ones to be approved."""
    ds = load(folder([{"unit_id": "A"}], [("A", FULL, 10, 10)], [
        ("A", "medical", 5, 3, "no"), ("A", "other", 2, None, "no"),
        ("A", "logistics", 4, 0, "yes")]))
    plan = plan_aux(ds, AuxOptions(reduction=0.0))
    assert outcome(plan, "A", "medical") == (5, 0, 0)
    assert outcome(plan, "A", "other") == (2, 0, 0)
    assert outcome(plan, "A", "logistics") == (4, 0, 0)
    assert "2 never approved kept, to be approved" in row(plan, "A", "other")["reason"]


def test_unapproved_positions_end_first_and_are_not_bought(folder):
    """Base 11, reduction 0.72 → cap ⌊3.08⌋ = 3: the 8 positions above the approved ones
    (2 of medical, 2 never-approved 'other', 4 never-approved logistics although flagged
    outsourceable) end, nothing is bought, the 3 approved medical stay."""
    ds = load(folder([{"unit_id": "A"}], [("A", FULL, 10, 10)], [
        ("A", "medical", 5, 3, "no"), ("A", "other", 2, None, "no"),
        ("A", "logistics", 4, 0, "yes")]))
    plan = plan_aux(ds, AuxOptions(reduction=0.72))
    assert outcome(plan, "A", "medical") == (3, 0, 2)
    assert outcome(plan, "A", "other") == (0, 0, 2)
    assert outcome(plan, "A", "logistics") == (0, 0, 4)
    assert row(plan, "A", "other")["never_approved"]
    assert row(plan, "A", "logistics")["never_approved"]
    assert not row(plan, "A", "medical")["never_approved"]
    assert plan.summary()["ended_unapproved"] == 8
    assert "2 never approved ended first" in row(plan, "A", "other")["reason"]
    assert "2 above the approved 3 ended first" in row(plan, "A", "medical")["reason"]


# ---------------------------------------------------------------- then services


def test_outsourceable_work_is_bought_next_and_the_flag_is_the_authority(folder):
    """Base 12, reduction 1/3 → cap 8: the 4 positions to cut are A's logistics, flagged yes:
    bought; the same flagged no, or without a flag, is kept (recruitment, labour-dispatch
    and public-welfare posts are never bought)."""
    units = [{"unit_id": u} for u in ("A", "B", "C")]
    quotas = [(u, FULL, 10, 10) for u in ("A", "B", "C")]
    ds = load(folder(units, quotas, [
        ("A", "logistics", 4, 4, "yes"), ("B", "logistics", 4, 4, "no"),
        ("C", "logistics", 4, 4, None)]))
    plan = plan_aux(ds, AuxOptions(reduction=1 / 3))
    assert outcome(plan, "A", "logistics") == (0, 4, 0)
    assert outcome(plan, "B", "logistics") == (4, 0, 0)
    assert outcome(plan, "C", "logistics") == (4, 0, 0)
    assert not row(plan, "C", "logistics")["outsourceable"]


def test_services_do_not_count_against_the_cap(folder):
    """Base 10 (logistics 6 buyable + medical 4), reduction 0.5 → cap 5: 5 logistics
    positions are bought, and medical keeps all 4."""
    ds = load(folder([{"unit_id": "A"}], [("A", FULL, 10, 10)], [
        ("A", "logistics", 6, 6, "yes"), ("A", "medical", 4, 4, "no")]))
    plan = plan_aux(ds, AuxOptions(reduction=0.5))
    assert outcome(plan, "A", "logistics") == (1, 5, 0)
    assert outcome(plan, "A", "medical") == (4, 0, 0)
    assert plan.summary()["by_region"]["r1"] == {
        "base": 10, "cap": 5, "approved_after": 5, "to_services": 5, "ended": 0,
        "cap_binding": True}


# ---------------------------------------------------------------- rule 3: own vacancies


@pytest.mark.parametrize("offset, other_ended", [(1.0, 2), (0.5, 1), (0.0, 0), (2.0, 2)])
def test_own_vacancies_take_over_least_essential_first(folder, offset, other_ended):
    """Unit A: 10 approved, 8 staff → vacancy 2; cover = ⌊2 × offset⌋ positions end, from
    'other' (weight 1) before medical (weight 3). offset 2 → cover 4, but 'other' has only 2:
    then medical loses 2 as well."""
    ds = load(folder([{"unit_id": "A"}], [("A", FULL, 10, 8)], [
        ("A", "medical", 3, 3, "no"), ("A", "other", 2, 2, "no")]))
    plan = plan_aux(ds, AuxOptions(reduction=0.0, vacancy_offset=offset))
    assert outcome(plan, "A", "other") == (2 - other_ended, 0, other_ended)
    medical_ended = 2 if offset == 2.0 else 0
    assert outcome(plan, "A", "medical") == (3 - medical_ended, 0, medical_ended)
    assert plan.summary()["ended_vacancy"] == other_ended + medical_ended
    if other_ended:
        assert "in-quota vacancies take over" in row(plan, "A", "other")["reason"]


def test_vacancies_sum_over_quota_rows_and_lapsed_units_have_none(folder):
    """Vacancy = Σ max(approved − staff, 0): A has +1 and −3 (over quota) → 1. Lapsed B's
    vacancies go to the pool: they cover nothing."""
    units = [{"unit_id": "A", "kind": "organ"},
             {"unit_id": "B", "function_status": "lapsed"}]
    quotas = [("A", "administrative", 5, 4), ("A", "political_legal", 5, 8),
              ("B", FULL, 10, 2)]
    ds = load(folder(units, quotas, [("A", "other", 3, 3, "no"), ("B", "other", 3, 3, "no")]))
    plan = plan_aux(ds, AuxOptions(reduction=0.0))
    assert outcome(plan, "A", "other") == (2, 0, 1)
    assert outcome(plan, "B", "other") == (3, 0, 0)


def test_vacancies_take_over_buyable_work_before_protected_posts(folder):
    """Vacancy 3 at A, 6 positions: 3 must go; the buyable logistics work goes to services
    before the medical post is touched."""
    ds = load(folder([{"unit_id": "A"}], [("A", FULL, 10, 7)], [
        ("A", "logistics", 5, 5, "yes"), ("A", "medical", 1, 1, "no")]))
    plan = plan_aux(ds, AuxOptions(reduction=0.0))
    assert outcome(plan, "A", "logistics") == (2, 3, 0)
    assert outcome(plan, "A", "medical") == (1, 0, 0)


# ---------------------------------------------------------------- rule 4: locked base


def test_region_cap_cuts_the_least_essential(folder):
    """Region r1: A medical 4, B other 6 → base 10, reduction 0.2 → cap 8: 'other' loses 2.
    Region r2 (C other 5 → cap ⌊5 × 0.8⌋ = 4) loses 1 on its own."""
    units = [{"unit_id": "A"}, {"unit_id": "B"}, {"unit_id": "C", "region": "r2"}]
    quotas = [(u, FULL, 10, 10) for u in ("A", "B", "C")]
    ds = load(folder(units, quotas, [
        ("A", "medical", 4, 4, "no"), ("B", "other", 6, 6, "no"), ("C", "other", 5, 5, "no")]))
    plan = plan_aux(ds, AuxOptions(reduction=0.2))
    assert outcome(plan, "A", "medical") == (4, 0, 0)
    assert outcome(plan, "B", "other") == (4, 0, 2)
    assert outcome(plan, "C", "other") == (4, 0, 1)
    regions = plan.summary()["by_region"]
    assert regions["r1"]["cap"] == 8 and regions["r1"]["cap_binding"]
    assert regions["r2"]["cap"] == 4 and regions["r2"]["approved_after"] == 4
    assert row(plan, "B", "other")["ended_cap"] == 2
    assert "region r1 cap 8" in row(plan, "B", "other")["reason"]


def test_base_counts_every_position_of_the_region(folder):
    """Base = today's headcount incl. unapproved and bought rows: 4 + 6 + 10 = 20, cap 18 ≥ 4:
    the cap does not bind although 'other' alone would be 4 of 4."""
    ds = load(folder([{"unit_id": "A"}], [("A", FULL, 10, 10)], [
        ("A", "other", 4, 4, "no"), ("A", "medical", 6, None, "no"),
        ("A", "logistics", 10, 10, "yes")]))
    plan = plan_aux(ds, AuxOptions(reduction=0.1))
    assert plan.summary()["by_region"]["r1"]["base"] == 20
    assert outcome(plan, "A", "other") == (4, 0, 0)


def test_equal_weights_cut_later_rows_first(folder):
    """A and B both 'other' 5; cap ⌊10 × 0.9⌋ = 9: the tie goes by (unit_id, category), so
    B (later) loses the one position."""
    units = [{"unit_id": "A"}, {"unit_id": "B"}]
    quotas = [(u, FULL, 10, 10) for u in ("A", "B")]
    ds = load(folder(units, quotas, [("A", "other", 5, 5, "no"), ("B", "other", 5, 5, "no")]))
    plan = plan_aux(ds, AuxOptions(reduction=0.1))
    assert outcome(plan, "A", "other") == (5, 0, 0)
    assert outcome(plan, "B", "other") == (4, 0, 1)


def test_weights_are_the_scenarios(folder):
    """With 'other' made more essential than medical, the cap cuts medical instead."""
    units = [{"unit_id": "A"}]
    ds = load(folder(units, [("A", FULL, 10, 10)], [
        ("A", "medical", 5, 5, "no"), ("A", "other", 5, 5, "no")]))
    weights = {c: 1.0 for c in AUX_CATEGORIES} | {"other": 2.5, "medical": 1.5}
    plan = plan_aux(ds, AuxOptions(reduction=0.3, essential_weights=weights))
    assert outcome(plan, "A", "other") == (5, 0, 0)
    assert outcome(plan, "A", "medical") == (2, 0, 3)


def test_vacancy_and_cap_together(folder):
    """A: vacancy 1, medical 4 + other 2; B: inspector 4. Base 10, reduction 0.3 → cap 7.
    Vacancy: A's 'other' loses 1 (A keeps 5). Cap: 5 + 4 = 9 > 7, the 2 cut go to weight-1
    rows: A's other (1 left, earlier id) is kept, B's inspector loses 2 (later id)."""
    units = [{"unit_id": "A"}, {"unit_id": "B"}]
    ds = load(folder(units, [("A", FULL, 10, 9), ("B", FULL, 10, 10)], [
        ("A", "medical", 4, 4, "no"), ("A", "other", 2, 2, "no"),
        ("B", "inspector", 4, 4, "no")]))
    plan = plan_aux(ds, AuxOptions(reduction=0.3))
    assert outcome(plan, "A", "medical") == (4, 0, 0)
    assert outcome(plan, "A", "other") == (1, 0, 1)
    assert outcome(plan, "B", "inspector") == (2, 0, 2)
    assert row(plan, "A", "other")["ended_vacancy"] == 1
    assert row(plan, "B", "inspector")["ended_cap"] == 2


# ---------------------------------------------------------------- options and edge cases


def test_options_are_checked():
    with pytest.raises(ValueError, match="reduction"):
        AuxOptions(reduction=1.0)
    with pytest.raises(ValueError, match="vacancy_offset"):
        AuxOptions(vacancy_offset=-1)
    with pytest.raises(ValueError, match="unknown: nurse"):
        AuxOptions(essential_weights={**dict(AuxOptions().essential_weights), "nurse": 2.0})
    with pytest.raises(ValueError, match="missing: other"):
        AuxOptions(essential_weights={c: 1.0 for c in AUX_CATEGORIES if c != "other"})
    with pytest.raises(ValueError, match="positive"):
        AuxOptions(essential_weights={c: 0.0 for c in AUX_CATEGORIES})


def test_no_aux_table(inputs):
    ds = load(inputs([{"unit_id": "A"}], [("A", FULL, 1, 1)],
                     [("d1", "A", FULL, "operational", 1)]))
    plan = plan_aux(ds)
    assert plan.status == "no_data" and len(plan.table) == 0
    assert plan.summary()["base"] == 0 and plan.summary()["by_region"] == {}


def test_table_columns_and_cbc_agree(folder):
    ds = load(folder([{"unit_id": "A"}, {"unit_id": "B"}], [("A", FULL, 10, 9),
                                                            ("B", FULL, 4, 4)], [
        ("A", "medical", 4, 4, "no"), ("A", "other", 2, 2, "no"),
        ("B", "inspector", 4, 4, "no"), ("B", "logistics", 2, 1, "yes")]))
    highs = plan_aux(ds, AuxOptions(reduction=0.3))
    cbc = plan_aux(ds, AuxOptions(reduction=0.3), solver="cbc")
    assert list(highs.table.columns[:6]) == ["unit_id", "category", "headcount_before",
                                             "approved_after", "to_services", "ended"]
    assert highs.table.drop(columns="reason").equals(cbc.table.drop(columns="reason"))


# ---------------------------------------------------------------- properties


def check_invariants(ds, plan, options: AuxOptions) -> None:
    """Conservation, the base cap per region, services only where allowed, rule 3."""
    t = plan.table
    head = t["headcount_before"].to_numpy()
    kept, bought, ended = (t[c].to_numpy() for c in ("approved_after", "to_services", "ended"))
    assert (kept >= 0).all() and (bought >= 0).all() and (ended >= 0).all()
    assert (kept + bought + ended == head).all()
    approved = np.minimum(t["approved_before"].to_numpy(), head)
    out = t["outsourceable"].to_numpy()
    assert (bought <= np.where(out, approved, 0)).all()  # only approved work, only where flagged
    assert (t["ended_unapproved"].to_numpy() <= head - approved).all()
    assert (t["ended_unapproved"] + t["ended_vacancy"] + t["ended_cap"] == t["ended"]).all()
    for region, g in t.groupby("region"):
        cap = math.floor(g["headcount_before"].sum() * (1 - options.reduction) + 1e-9)
        assert g["approved_after"].sum() <= cap, region
    aux = ds.aux_positions
    flags = dict(zip(zip(aux["unit_id"], aux["category"]), aux["outsourceable"]))
    for r in t.itertuples():
        if r.to_services:
            assert flags[(r.unit_id, r.category)] == "yes"
    # own vacancies per unit, nothing cut without a binding limit, and the cut order
    q = ds.quotas.assign(gap=(ds.quotas["approved"] - ds.quotas["staff"]).clip(lower=0))
    vacancy = q.groupby("unit_id")["gap"].sum()
    lapsed = set(ds.units.loc[ds.units["function_status"] == "lapsed", "unit_id"])
    region_tight = {
        reg: g["approved_after"].sum()
        >= math.floor(g["headcount_before"].sum() * (1 - options.reduction) + 1e-9)
        for reg, g in t.groupby("region")}
    for unit, g in t.groupby("unit_id"):
        v = 0 if unit in lapsed else int(vacancy.get(unit, 0))
        cover = math.floor(v * options.vacancy_offset + 1e-9)
        limit = max(int(g["headcount_before"].sum()) - cover, 0)
        assert g["approved_after"].sum() <= limit
        if (g["ended"] + g["to_services"]).sum() > 0:
            assert g["approved_after"].sum() == limit or region_tight[g["region"].iat[0]]
        protected_ended = (g["ended"] - g["ended_unapproved"]).sum()
        if protected_ended > 0:
            # unapproved and buyable positions of the unit went before any protected one
            unapproved = np.minimum(g["approved_before"], g["headcount_before"])
            assert (g["ended_unapproved"] == g["headcount_before"] - unapproved).all()
            assert g.loc[g["outsourceable"], "approved_after"].sum() == 0


@st.composite
def aux_cases(draw):
    n_units = draw(st.integers(1, 6))
    regions = ["r1", "r2", "r3"][: draw(st.integers(1, 3))]
    units, quotas, aux = [], [], []
    for i in range(n_units):
        uid = f"U{i}"
        units.append({"unit_id": uid, "region": draw(st.sampled_from(regions)),
                      "system": draw(st.sampled_from(["health", "education", "police"])),
                      "function_status": draw(st.sampled_from(["active", "active", "lapsed"]))})
        quotas.append((uid, FULL, draw(st.integers(0, 12)), draw(st.integers(0, 12))))
        for cat in draw(st.lists(st.sampled_from(list(AUX_CATEGORIES)), min_size=1,
                                 max_size=3, unique=True)):
            aux.append((uid, cat, draw(st.integers(0, 15)),
                        draw(st.one_of(st.none(), st.integers(0, 18))),
                        draw(st.sampled_from(["yes", "no", None]))))
    options = AuxOptions(reduction=draw(st.sampled_from([0.0, 0.05, 0.1, 0.2, 0.5])),
                         vacancy_offset=draw(st.sampled_from([0.0, 0.5, 1.0, 2.0])))
    return units, quotas, aux, options


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(aux_cases())
def test_properties(case):
    units, quotas, aux, options = case
    with tempfile.TemporaryDirectory() as tmp:
        ds = load(aux_inputs(Path(tmp) / "data", units, quotas, aux))
        plan = plan_aux(ds, options)
    assert plan.status == "optimal" and not plan.mip_fallback
    check_invariants(ds, plan, options)


# ---------------------------------------------------------------- the bundled city


def test_bundled_city():
    ds = load(REPO / "scenarios" / "bazhong-2021")
    options = AuxOptions()
    plan = plan_aux(ds, options)
    check_invariants(ds, plan, options)
    s = plan.summary()
    assert s["base"] == int(ds.aux_positions["headcount"].sum())
    assert s["base"] == s["approved_after"] + s["to_services"] + s["ended"]
    assert set(s["by_category"]) <= set(AUX_CATEGORIES)
    assert sum(v["base"] for v in s["by_region"].values()) == s["base"]
    assert len(plan.table) == len(ds.aux_positions)
    assert plan.table["reason"].str.len().gt(0).all()
