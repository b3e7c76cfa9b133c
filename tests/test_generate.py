"""The synthetic generator: the seed's published figures, integrity, scale and determinism."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from solver.domain import ENUMS, TABLES
from solver.generate import POLITICAL_LEGAL_SYSTEMS, PROFILES, SYSTEMS, generate
from solver.io.write import write_csv_folder, write_workbook


@pytest.fixture(scope="module")
def city() -> dict[str, pd.DataFrame]:
    return generate("bazhong-2021", "city", 2021)


@pytest.fixture(scope="module")
def bazhong(city) -> dict[str, pd.DataFrame]:
    """City-level Bazhong: units, with quota and aux rows attached."""
    units = city["units"]
    level = units[(units.level == "city") & (units.region == "bazhong")]
    return {"units": level, "ids": set(level.unit_id)}


def _inst_quota(city, unit_ids) -> pd.Series:
    quotas = city["quotas"]
    rows = quotas[(quotas.quota_type == "institution") & quotas.unit_id.isin(unit_ids)]
    return rows.set_index("unit_id").approved


# --- columns and enums --------------------------------------------------------------------------

def test_tables_have_exactly_the_contract_columns(city):
    assert list(city) == ["units", "quotas", "pool", "demands", "people", "task_groups",
                          "aux_positions", "staff", "names"]
    # the register leaves out the optional names (personal data, and none to make up); the
    # units' system, sector and region names are in the names table instead
    left_out = {("staff", "name"), ("units", "system_name"), ("units", "sector_name"),
                ("units", "region_name")}
    for name, frame in city.items():
        expected = [c.name for c in TABLES[name].columns if (name, c.name) not in left_out]
        assert list(frame.columns) == expected, name


def test_every_system_sector_and_region_has_a_chinese_name(city):
    """The bundled data names its codes (卫生健康, 公安, 教育 …; 巴中市, 巴州区 …)."""
    names = city["names"]
    units = city["units"]
    for kind in ("system", "sector", "region"):
        named = names[names["kind"] == kind].set_index("code")["name"]
        assert set(units[kind]) <= set(named.index), kind
        assert named.str.contains(r"[\u4e00-\u9fff]").all(), kind
    named = names.set_index(["kind", "code"])["name"]
    assert named[("system", "health")] == "卫生健康" and named[("system", "education")] == "教育"
    assert named[("system", "public_security")] == "公安"
    assert named[("region", "bazhou")] == "巴州区" and named[("region", "enyang")] == "恩阳区"


def test_enum_values_are_known_codes(city):
    for name, frame in city.items():
        for col in TABLES[name].columns:
            if col.name not in frame:  # an optional column left out (checked above)
                continue
            values = set(frame[col.name].dropna())
            if col.type == "enum":
                unknown = values - set(ENUMS[col.enum])
                assert not unknown, (name, col.name, unknown)
            elif col.type == "yesno":
                assert values <= {"yes", "no"}, (name, col.name)


def test_systems_and_sectors(city):
    units = city["units"]
    assert set(units.system) <= set(SYSTEMS)
    assert (units.sector == units.system.map(lambda s: SYSTEMS[s][0])).all()


# --- seed figures: quotas -----------------------------------------------------------------------

def test_292_city_institutions_with_small_quota_counts(city, bazhong):
    units = bazhong["units"]
    institutions = units[units.kind == "institution"]
    approved = _inst_quota(city, institutions.unit_id)
    assert len(approved) == 292
    assert (approved <= 7).sum() == 149
    assert (approved <= 5).sum() == 107


def test_small_institutions_of_agriculture_hr_civil_affairs(city, bazhong):
    units = bazhong["units"]
    institutions = units[units.kind == "institution"]
    approved = _inst_quota(city, institutions.unit_id)
    parent_system = institutions.parent_id.map(units.set_index("unit_id").system)
    small = institutions[institutions.unit_id.map(approved) <= 5]
    per_department = small.groupby(parent_system[small.index]).size()
    assert per_department["agriculture"] == 9
    assert per_department["human_resources"] == 5
    assert per_department["civil_affairs"] == 5
    # one department per system here, so the agriculture bureau is the one with nine
    organs = units[units.kind == "organ"]
    for system in ("agriculture", "human_resources", "civil_affairs"):
        assert (organs.system == system).sum() == 1
    assert per_department.max() == 9


def test_institutions_belong_to_an_organ_of_same_region_and_system(city):
    units = city["units"].set_index("unit_id")
    has_parent = units[units.kind != "organ"]
    assert has_parent.parent_id.notna().all()
    parents = units.loc[has_parent.parent_id]
    assert (parents.kind.to_numpy() == "organ").all()
    assert (parents.region.to_numpy() == has_parent.region.to_numpy()).all()
    assert (parents.system.to_numpy() == has_parent.system.to_numpy()).all()
    assert units[units.kind == "organ"].parent_id.isna().all()


def test_quota_types_by_unit_kind(city):
    units = city["units"].set_index("unit_id")
    quotas = city["quotas"].join(units[["kind", "system"]], on="unit_id")
    organs = quotas[quotas.kind == "organ"]
    assert (organs.quota_type != "institution").all()
    assert set(organs[organs.quota_type == "political_legal"].system) == set(
        POLITICAL_LEGAL_SYSTEMS)
    pl_organs = organs[organs.system.isin(POLITICAL_LEGAL_SYSTEMS)]
    assert set(pl_organs.quota_type) == {"administrative", "political_legal"}
    institutions = quotas[quotas.kind == "institution"]
    assert (institutions.quota_type == "institution").all()
    managed = quotas[quotas.kind == "civil_service_managed"]
    assert set(managed.quota_type) == {"institution", "administrative"}


def test_units_over_full_and_with_vacancies(city):
    quotas = city["quotas"]
    over = (quotas.staff > quotas.approved).mean()
    full = (quotas.staff == quotas.approved).mean()
    assert 0.01 < over < 0.1
    assert 0.05 < full < 0.35
    assert (quotas.staff < quotas.approved).mean() > 0.6


def test_grassroots_schools_and_clinics_hold_most_institution_vacancies(city):
    units = city["units"].set_index("unit_id")
    quotas = city["quotas"].join(units[["kind", "level", "system"]], on="unit_id")
    inst = quotas[(quotas.kind == "institution") & (quotas.quota_type == "institution")]
    vacancy = (inst.approved - inst.staff).clip(lower=0)
    grassroots = (inst.level != "city") & inst.system.isin(["education", "health"])
    assert vacancy[grassroots].sum() / vacancy.sum() > 0.5
    other_rate = vacancy[~grassroots].sum() / inst.approved[~grassroots].sum()
    assert other_rate < 0.08
    assert vacancy[grassroots].sum() / inst.approved[grassroots].sum() > 0.08


def test_a_few_top_heavy_city_units(city, bazhong):
    units = bazhong["units"]
    total = city["quotas"].groupby("unit_id").approved.sum()
    share = units.leader_posts / units.unit_id.map(total)
    assert 3 <= (share > 0.5).sum() <= 8
    assert share.median() < 0.3


def test_unit_attributes(city):
    units = city["units"]
    assert units.performance_score.between(60, 100).all()
    assert units.central_tasks.between(0, 5).all()
    assert (units.leader_posts >= 0).all()
    status = units.function_status.value_counts(normalize=True)
    assert status["active"] > 0.8 and 0 < status["lapsed"] < 0.05 and status["weakened"] > 0.03
    lapsed = units[units.function_status == "lapsed"].unit_id
    assert city["quotas"][city["quotas"].unit_id.isin(lapsed)].staff.sum() > 0


def test_pool_about_one_percent_per_region_and_type(city):
    units = city["units"].set_index("unit_id")
    quotas = city["quotas"].join(units.region, on="unit_id")
    approved = quotas.groupby(["region", "quota_type"]).approved.sum()
    pool = city["pool"].set_index(["region", "quota_type"]).balance
    assert set(pool.index) == set(approved.index)
    ratio = pool / approved[pool.index]
    assert ratio.between(0.005, 0.015).all()
    assert set(city["pool"].region) == {"bazhong", "bazhou", "enyang", "tongjiang", "nanjiang",
                                         "pingchang"}


# --- seed figures: off-quota positions ----------------------------------------------------------

def test_off_quota_at_city_level(city, bazhong):
    units = bazhong["units"].set_index("unit_id")
    aux = city["aux_positions"]
    aux = aux[aux.unit_id.isin(bazhong["ids"])]
    department = np.where(units.loc[aux.unit_id].kind == "organ", aux.unit_id,
                          units.loc[aux.unit_id].parent_id)
    assert (units.loc[department].kind == "organ").all()
    assert len(set(department)) == 64
    total = aux.headcount.sum()
    assert 3980 <= total <= 3999
    system = units.loc[department].system.to_numpy()
    share = aux.headcount.groupby(system).sum() / total * 100
    expected = PROFILES["bazhong-2021"].figures.aux_shares
    for name, percent in expected.items():
        assert abs(share[name] - percent) <= 0.1, name
    other = share.drop(list(expected)).sum()
    assert abs(other - 26.23) <= 0.1


def test_off_quota_categories_and_approval(city):
    aux = city["aux_positions"]
    units = city["units"].set_index("unit_id")
    system = units.loc[aux.unit_id].system.to_numpy()
    assert aux[system == "health"].groupby("category").headcount.sum().idxmax() == "medical"
    assert aux[system == "public_security"].groupby(
        "category").headcount.sum().idxmax() == "auxiliary_police"
    assert (aux.headcount > 0).all()
    never = aux.approved.isna() | (aux.approved == 0)
    assert 0.1 < never.mean() < 0.5 and aux.approved.isna().any() and (aux.approved == 0).any()
    assert (aux[aux.category == "logistics"].outsourceable == "yes").all()
    assert (aux[aux.category.isin(["medical", "auxiliary_police", "teaching_aide"])]
            .outsourceable == "no").all()
    counties = aux.unit_id.map(units.level) != "city"
    assert counties.any()


# --- seed figures: surplus personnel ------------------------------------------------------------

def test_people_all_at_city_level(city, bazhong):
    people = city["people"]
    assert len(people) == 187
    assert people.unit_id.isin(bazhong["ids"]).all()


def test_city_managed_cadres(city):
    people = city["people"]
    cm = people[people.cadre_level == "city_managed"]
    assert len(cm) == 115
    bands = pd.cut(cm.age, [39, 49, 54, 57, 60]).value_counts(sort=False).tolist()
    assert bands == [6, 14, 57, 38]
    assert cm.gender.value_counts().to_dict() == {"M": 96, "F": 19}
    assert cm.health.value_counts().to_dict() == {"healthy": 110, "serious": 3, "chronic": 2}
    assert cm.work_status.value_counts().to_dict() == {"in_charge": 53, "assisting": 46,
                                                       "idle": 16}
    assert set(cm.surplus_reason) == {"reform", "age", "health"}


def test_section_level_people(city):
    people = city["people"]
    units = city["units"].set_index("unit_id")
    sec = people[people.cadre_level == "section_or_below"]
    assert len(sec) == 72
    assert sec.quota_type.value_counts().to_dict() == {"institution": 37, "political_legal": 27,
                                                       "administrative": 8}
    inst = sec[sec.quota_type == "institution"]
    assert (units.loc[inst.unit_id].kind == "civil_service_managed").sum() == 2
    assert sec.surplus_reason.value_counts().to_dict() == {
        "seconded": 44, "sick_leave": 22, "trial_elsewhere": 2, "absent_without_reason": 2,
        "stranded_abroad": 1, "missing": 1}


def test_people_hold_quota_of_their_unit_and_count_in_staff(city):
    people = city["people"]
    quotas = city["quotas"].set_index(["unit_id", "quota_type"])
    held = people.groupby(["unit_id", "quota_type"]).size()
    assert held.index.isin(quotas.index).all()
    assert (quotas.loc[held.index].staff >= held).all()


def test_people_attributes(city):
    people = city["people"]
    assert (people.service_years <= people.age - 16).all()
    assert (people.service_years >= 30).sum() > 50
    assert (people.willing_early_retirement == "yes").any()
    assert (people.wants_return == "yes").any()
    skills = set(";".join(people.skills).split(";"))
    assert {"investment", "research", "writing", "law", "finance"} <= skills
    groups = set(city["task_groups"].group_id)
    prefs = [p for p in people.preferences if p]
    assert prefs and all(set(p.split(";")) <= groups for p in prefs)
    assert people.name.str.len().between(2, 3).all()
    assert people.person_id.is_unique


def test_task_groups(city):
    groups = city["task_groups"]
    assert list(groups.group_id) == ["G1", "G2", "G3", "G4"]
    assert [n[:4] for n in groups.name] == ["招商引资", "调研决策", "理论政策", "重大项目"]
    assert (groups.min_size <= groups.max_size).all()
    assert groups.max_size.sum() >= 187 > groups.min_size.sum()
    assert groups.max_age.min() < 60 and (groups.max_age == 60).sum() >= 2


# --- seed figures: demands ----------------------------------------------------------------------

def test_236_city_demands_in_all_tiers(city, bazhong):
    demands = city["demands"]
    at_city = demands[demands.unit_id.isin(bazhong["ids"])]
    assert len(at_city) == 236
    assert set(at_city.tier) == {"key", "emergency", "operational"}
    assert set(demands.tier) == {"key", "emergency", "operational"}
    assert len(demands) > 236  # counties and townships ask too


def test_demands_are_for_held_quota_types(city):
    demands = city["demands"]
    held = set(zip(city["quotas"].unit_id, city["quotas"].quota_type, strict=True))
    assert all(pair in held for pair in zip(demands.unit_id, demands.quota_type, strict=True))


def test_demand_amounts_years_and_reasons(city):
    demands = city["demands"]
    assert (demands.amount >= 1).all()
    assert (demands.amount <= 5).mean() > 0.85
    emergency = demands[demands.tier == "emergency"]
    assert emergency.start_year.notna().all() and emergency.end_year.notna().all()
    assert (emergency.start_year <= emergency.end_year).all()
    assert emergency.start_year.between(2021, 2023).all()
    assert emergency.reason.str.contains("森林防灭火").any()
    assert emergency.reason.str.contains("疫情防控").any()
    assert demands[demands.tier != "emergency"].start_year.isna().all()
    assert demands.reason.str.len().gt(0).all()
    key = demands[demands.tier == "key"]
    assert key[key.unit_id.str.startswith("bazhong-")].reason.str.contains("三市两地一枢纽").all()


def test_demands_from_over_quota_and_full_units(city):
    quotas = city["quotas"].set_index(["unit_id", "quota_type"])
    demands = city["demands"]
    rows = quotas.loc[list(zip(demands.unit_id, demands.quota_type, strict=True))]
    assert (rows.staff > rows.approved).any()
    assert (rows.staff == rows.approved).any()


def test_demand_exceeds_supply_somewhere_but_not_everywhere(city):
    """Supply: the pool plus vacancies above a 3% reserve, per region and quota type."""
    units = city["units"].set_index("unit_id")
    quotas = city["quotas"].join(units.region, on="unit_id")
    quotas["vacancy"] = (quotas.approved - quotas.staff).clip(lower=0)
    grouped = quotas.groupby(["region", "quota_type"])
    pool = city["pool"].set_index(["region", "quota_type"]).balance
    supply = pool + grouped.vacancy.sum() - 0.03 * grouped.approved.sum()
    demands = city["demands"].join(units.region, on="unit_id")
    asked = demands.groupby(["region", "quota_type"]).amount.sum().reindex(supply.index,
                                                                          fill_value=0)
    assert (asked > supply).any()
    assert (asked <= supply).any()


# --- referential integrity ----------------------------------------------------------------------

def test_referential_integrity_and_keys(city):
    ids = set(city["units"].unit_id)
    assert city["units"].unit_id.is_unique
    for name in ("quotas", "demands", "people", "aux_positions", "staff"):
        assert city[name].unit_id.isin(ids).all(), name
    parents = city["units"].parent_id.dropna()
    assert parents.isin(ids).all()
    for name, table in TABLES.items():
        if table.key:
            assert not city[name].duplicated(list(table.key)).any(), name
    for name, col in (("quotas", "approved"), ("quotas", "staff"), ("pool", "balance"),
                      ("aux_positions", "headcount"), ("units", "leader_posts")):
        assert (city[name][col] >= 0).all(), (name, col)
    assert (city["quotas"].approved > 0).all()


def test_unit_ids_and_names(city):
    units = city["units"]
    assert units.unit_id.str.fullmatch(r"[a-z0-9-]+-\d{4}").all()
    assert units.unit_id.str.isascii().all()
    assert set(units.region) == {"bazhong", "bazhou", "enyang", "tongjiang", "nanjiang",
                                 "pingchang"}
    assert set(units[units.region == "bazhong"].level) == {"city"}
    assert set(units[units.region != "bazhong"].level) == {"county", "township"}
    assert (units.unit_id.str.rsplit("-", n=1).str[0] == units.region).all()
    assert units.name.str.contains("[\u4e00-\u9fff]").all()
    assert "巴中市卫生健康委员会" in set(units.name)


# --- scale --------------------------------------------------------------------------------------

def test_city_scale_size(city):
    assert 2700 <= len(city["units"]) <= 3300


def test_int_scale_size():
    units = generate(scale=10_000)["units"]
    assert 8_500 <= len(units) <= 11_500
    assert units.unit_id.is_unique


def test_small_int_scale_keeps_calibrated_city_level():
    tables = generate(scale=1_500)
    units = tables["units"]
    assert 1_200 <= len(units) <= 1_800
    city_inst = units[(units.region == "bazhong") & (units.kind == "institution")]
    assert len(city_inst) == 292
    assert len(tables["people"]) == 187


@pytest.mark.parametrize("bad", ["town", "", 10, 0, -5, 2.5, True, None])
def test_bad_scale_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="scale"):
        generate(scale=bad)


def test_unknown_profile_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown profile 'chengdu-2030'.*bazhong-2021"):
        generate("chengdu-2030")


@pytest.mark.slow
def test_province_scale(city):
    start = time.perf_counter()
    province = generate(scale="province")
    elapsed = time.perf_counter() - start
    units = province["units"]
    assert 50_000 <= len(units) <= 70_000
    assert elapsed < 20
    assert units.unit_id.is_unique and province["demands"].demand_id.is_unique
    assert province["people"].person_id.is_unique
    assert province["task_groups"].group_id.is_unique
    cities = units[units.level == "city"].region.unique()
    assert len(cities) == 20 and cities[0] == "bazhong" and cities[1] == "city02"
    # Bazhong is the same city at both scales
    for name in ("units", "quotas", "aux_positions", "people", "demands", "staff"):
        frame = province[name]
        ids = set(city["units"].unit_id)
        key = "unit_id"
        part = frame[frame[key].isin(ids)].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, city[name].reset_index(drop=True), check_dtype=False)
    ids = set(units.unit_id)
    for name in ("quotas", "demands", "people", "aux_positions", "staff"):
        assert province[name].unit_id.isin(ids).all()
    assert province["staff"].person_id.is_unique
    assert len(province["staff"]) == province["quotas"].staff.sum()


# --- determinism --------------------------------------------------------------------------------

def _files(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path, city):
    write_csv_folder(city, tmp_path / "a")
    write_csv_folder(generate("bazhong-2021", "city", 2021), tmp_path / "b")
    write_csv_folder(generate("bazhong-2021", "city", 7), tmp_path / "c")
    a, b, c = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "c")
    assert a == b
    assert sorted(a) == sorted(f"{name}.csv" for name in city)
    assert a["units.csv"] != c["units.csv"] and a["people.csv"] != c["people.csv"]
    assert a["staff.csv"] != c["staff.csv"]
    # The workbooks without the register (its sheet takes ~12 s to write; the bundled
    # workbook, register included, is compared byte for byte below)
    write_workbook(generate("bazhong-2021", "city", 2021, staff=False), tmp_path / "a.xlsx")
    write_workbook(generate("bazhong-2021", "city", 2021, staff=False), tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_other_seed_keeps_the_seed_figures():
    other = generate(seed=99)
    units = other["units"]
    city_inst = units[(units.region == "bazhong") & (units.kind == "institution")]
    approved = _inst_quota(other, city_inst.unit_id)
    assert len(approved) == 292 and (approved <= 7).sum() == 149 and (approved <= 5).sum() == 107
    assert len(other["people"]) == 187
    assert other["demands"].unit_id.isin(city_inst.unit_id).sum() <= 236


def test_bundled_scenario_data_is_what_the_generator_makes(tmp_path, city):
    """scenarios/bazhong-2021 (CSV) and .xlsx are this generator's output: regenerate on change.

    bianzhi generate --out scenarios/bazhong-2021 --xlsx scenarios/bazhong-2021.xlsx
    (same as: python -c "from pathlib import Path; from solver.generate import generate;
    from solver.io.write import write_csv_folder, write_workbook; t = generate();
    write_csv_folder(t, Path('scenarios/bazhong-2021'));
    write_workbook(t, Path('scenarios/bazhong-2021.xlsx'))")
    """
    bundled = Path(__file__).resolve().parents[1] / "scenarios"
    write_csv_folder(city, tmp_path / "bazhong-2021")
    write_workbook(city, tmp_path / "bazhong-2021.xlsx")
    for name in city:
        fresh = (tmp_path / "bazhong-2021" / f"{name}.csv").read_bytes()
        assert (bundled / "bazhong-2021" / f"{name}.csv").read_bytes() == fresh, name
    assert (bundled / "bazhong-2021.xlsx").read_bytes() == (
        tmp_path / "bazhong-2021.xlsx").read_bytes()
