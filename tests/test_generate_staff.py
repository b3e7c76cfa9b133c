"""The generated staff register (在编人员): head counts, the seed's ages, the surplus people,
statutory retirement, determinism, and the other tables left as they were."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from solver.cadres.rules import retirements
from solver.generate import PROFILES, generate
from solver.io import write
from solver.io.write import write_csv_folder

BUNDLED = Path(__file__).resolve().parents[1] / "scenarios" / "bazhong-2021"
YEAR = PROFILES["bazhong-2021"].year  # 2021: the data's year of the bundled city


@pytest.fixture(scope="module")
def city() -> dict[str, pd.DataFrame]:
    return generate("bazhong-2021", "city", 2021)


@pytest.fixture(scope="module")
def register(city) -> pd.DataFrame:
    """The register with birth and start as whole numbers, age and level added."""
    staff = city["staff"]
    level = staff["unit_id"].map(city["units"].set_index("unit_id")["level"])
    birth_year = staff["birth"].str[:4].astype(int)
    return staff.assign(
        level=level, birth_year=birth_year, birth_month=staff["birth"].str[5:].astype(int),
        started_year=staff["started"].str[:4].astype(int),
        started_month=staff["started"].str[5:].astype(int), age=YEAR - birth_year)


def test_one_row_per_person_of_every_quota_row(city, register):
    counts = register.groupby(["unit_id", "quota_type"]).size()
    quotas = city["quotas"].set_index(["unit_id", "quota_type"])["staff"]
    have = counts.reindex(quotas.index, fill_value=0)
    assert (have == quotas).all()
    assert counts.index.isin(quotas.index).all()  # nobody outside a quota row
    assert len(register) == quotas.sum() == 67_087


def test_columns_codes_and_no_names(register):
    staff = register
    assert list(staff.columns[:7]) == ["person_id", "unit_id", "quota_type", "gender", "birth",
                                       "category", "started"]
    assert "name" not in staff  # personal data: none made up
    assert staff["person_id"].is_unique
    assert set(staff["gender"]) == {"M", "F"}
    assert set(staff["category"]) == {"cadre", "worker"}
    assert staff["birth"].str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])").all()
    assert staff["started"].str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])").all()
    drawn = ~staff["person_id"].str.contains("-p")
    assert staff.loc[drawn, "person_id"].str.fullmatch(r"[a-z]+-s\d{6}").all()


def test_ids_and_order(city, register):
    """Rows by unit (the units table's order), quota type, then birth (oldest first); drawn
    people numbered in that order within their region."""
    unit_rank = pd.Series(np.arange(len(city["units"])), index=city["units"]["unit_id"])
    type_rank = {"administrative": 0, "political_legal": 1, "institution": 2}
    key = pd.DataFrame({"unit": register["unit_id"].map(unit_rank),
                        "type": register["quota_type"].map(type_rank),
                        "birth": register["birth"]})
    assert key.equals(key.sort_values(["unit", "type", "birth"], kind="stable"))
    drawn = register[~register["person_id"].str.contains("-p")]
    region = drawn["unit_id"].str.rsplit("-", n=1).str[0]
    assert (drawn["person_id"].str.rsplit("-s", n=1).str[0] == region).all()
    serial = drawn["person_id"].str[-6:].astype(int)
    expected = drawn.groupby(region.to_numpy()).cumcount() + 1
    assert (serial.to_numpy() == expected.to_numpy()).all()


def test_city_level_administrative_ages_are_the_seeds(register):
    """Seed 三(三): of the city's administrative staff 32% are 50 or older, 26% under 40."""
    admin = register[(register["level"] == "city")
                     & (register["quota_type"] == "administrative")]
    assert len(admin) > 1_000
    assert 0.31 <= (admin["age"] >= 50).mean() <= 0.33
    assert 0.25 <= (admin["age"] < 40).mean() <= 0.27


def test_elsewhere_a_similar_slightly_younger_profile(register):
    rest = register[~((register["level"] == "city")
                      & (register["quota_type"] == "administrative"))]
    for _, group in rest.groupby(["level", "quota_type"]):
        assert 0.22 <= (group["age"] >= 50).mean() <= 0.31
        assert 0.27 <= (group["age"] < 40).mean() <= 0.37
        assert 0.3 <= (group["age"].between(40, 49)).mean() <= 0.5


def test_women_and_workers(register):
    institution = register[register["quota_type"] == "institution"]
    others = register[register["quota_type"] != "institution"]
    assert 0.42 <= (institution["gender"] == "F").mean() <= 0.48
    assert 0.32 <= (others["gender"] == "F").mean() <= 0.38
    assert 0.08 <= (institution["category"] == "worker").mean() <= 0.12
    assert (others["category"] == "cadre").all()


def test_the_surplus_people_are_in_the_register_as_people_csv_has_them(city, register):
    people = city["people"].set_index("person_id")
    listed = register.set_index("person_id").reindex(people.index)
    assert listed["unit_id"].notna().all()  # every one of the 187
    for column in ("unit_id", "quota_type", "gender"):
        assert (listed[column] == people[column]).all(), column
    assert (listed["age"] == people["age"]).all()
    assert (listed["started_year"] == YEAR - people["service_years"]).all()
    assert (listed["category"] == "cadre").all()
    # the seed: 95 of the 115 city-managed cadres are 55-60
    managed = listed[people["cadre_level"] == "city_managed"]
    assert len(managed) == 115 and managed["age"].between(55, 60).sum() == 95


def _retirement_year(staff: pd.DataFrame) -> np.ndarray:
    return retirements(staff["gender"].to_numpy(), staff["category"].to_numpy(),
                       staff["birth_year"].to_numpy(np.int64),
                       staff["birth_month"].to_numpy(np.int64))[1]


def test_nobody_drawn_is_past_the_statutory_age_or_under_20(city, register):
    """At the start of the data's year everyone drawn is still below their statutory age
    (men 60, women cadres 55, women workers 50; rules.retirements); nobody is under 20."""
    surplus = register["person_id"].isin(city["people"]["person_id"])
    drawn = register[~surplus]
    assert (_retirement_year(drawn) >= YEAR).all()
    assert drawn["age"].min() == 20
    men, women = drawn[drawn["gender"] == "M"], drawn[drawn["gender"] == "F"]
    assert men["age"].max() == 60
    assert women.loc[women["category"] == "cadre", "age"].max() == 55
    assert women.loc[women["category"] == "worker", "age"].max() == 50


def test_only_surplus_women_of_people_csv_are_past_it(city, register):
    """people.csv has nine city-managed women cadres of 56 to 60 (the model's women cadres
    retire at 55): the register keeps their ages, and no one else is past the age."""
    past = register[_retirement_year(register) < YEAR]
    people = city["people"].set_index("person_id")
    assert past["person_id"].isin(people.index).all()
    assert (past["gender"] == "F").all() and (past["age"] > 55).all()
    older_women = people[(people["gender"] == "F") & (people["age"] > 55)]
    assert set(past["person_id"]) == set(older_women.index)


def test_started_work_between_18_and_25_and_not_after_the_year(register):
    months = (register["started_year"] * 12 + register["started_month"]) - (
        register["birth_year"] * 12 + register["birth_month"])
    assert months.between(18 * 12, 26 * 12 - 1).all()
    assert (register["started_year"] <= YEAR).all()


def test_same_seed_same_register_other_seed_differs(city):
    again = generate("bazhong-2021", "city", 2021)["staff"]
    pd.testing.assert_frame_equal(again, city["staff"])
    other = generate("bazhong-2021", "city", 7)["staff"]
    assert not other.equals(city["staff"])


def test_other_tables_are_the_committed_ones_with_or_without_the_register(city, tmp_path):
    """The register draws from its own stream: the other tables stay byte-identical to the
    bundled CSVs (generated before the register existed), and equal without it."""
    without = generate("bazhong-2021", "city", 2021, staff=False)
    assert list(without) == [name for name in city if name != "staff"]
    for name, frame in without.items():
        pd.testing.assert_frame_equal(frame, city[name])
    write_csv_folder(city, tmp_path / "data")
    for name in city:
        fresh = (tmp_path / "data" / f"{name}.csv").read_bytes()
        assert fresh == (BUNDLED / f"{name}.csv").read_bytes(), name


def test_the_register_loads_and_validates(tmp_path):
    from solver.inventory import staff_stock
    from solver.validate import load

    ds = load(BUNDLED)
    assert ds.year == YEAR and len(ds.staff) == 67_087
    stock = staff_stock(ds)
    assert sum(stock["age_band"].values()) == 67_087
    retiring = stock["retiring_by_year"]
    assert all(1_000 < retiring[str(y)] < 3_000 for y in range(2021, 2026))


def test_cli_without_the_register(cli, tmp_path):
    code, _, err = cli("generate", "--out", tmp_path / "data", "--no-staff")
    assert code == 0, err
    assert not (tmp_path / "data" / "staff.csv").exists()
    assert (tmp_path / "data" / "units.csv").read_bytes() == (BUNDLED / "units.csv").read_bytes()


def test_cli_refuses_a_workbook_the_register_does_not_fit_in(cli, tmp_path, monkeypatch):
    """At province scale the register (~1.4 million rows) is longer than a sheet: refused
    before anything is written (here with a shorter sheet, so that a city suffices)."""
    monkeypatch.setattr(write, "MAX_SHEET_ROWS", 50_000)
    code, _, err = cli("generate", "--out", tmp_path / "data", "--xlsx", tmp_path / "d.xlsx")
    assert code == 2
    words = " ".join(err.replace("│", " ").split())  # the message as one line, out of its box
    assert "'staff' has 67,087 rows" in words and "--no-staff" in words
    assert list(tmp_path.iterdir()) == []
