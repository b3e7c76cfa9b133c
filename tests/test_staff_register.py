"""The staff register (在编人员, 实名制): read exactly or refused by cell, checked against quotas.

The data set is the corpus base (`tests/corpus/make_corpus.py`, data year 2023: the demands
start in 2023) with the quotas' staff figures cut down to a register of ten people written by
hand below, every birth in another of the accepted ways. Each refusal runs the real command,
`bianzhi inventory DATA`, in-process, and checks exit 2 and the cell (file, row, column).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))
from make_corpus import ZH_TABLES, base, set_cell, to_zh, write_csvs

from solver.validate import load

HEADER = ["person_id", "unit_id", "quota_type", "gender", "birth", "category", "name",
          "started"]
# data year 2023; age = 2023 − birth year; retirement by docs/rules.md § 16.2a
REGISTER = [
    # 61 (55+); man of May 1962: 60 in May 2022 (before 2025: no delay)
    ["S01", "U01", "administrative", "M", "1962-05", "cadre", "钱一", "1984-07"],
    # 55 (55+); woman cadre of March 1968: 55 in March 2023
    ["S02", "U01", "administrative", "F", "1968.03", "干部", "孙二", "1990.08"],
    # 58 (55+); man of January 1965: 60 y 1 m in February 2025
    ["S03", "U01", "administrative", "M", "1965/1", "", "李三", ""],
    # 51 (50-54); woman worker of June 1972: 50 in June 2022
    ["S04", "U02", "institution", "F", "1972年6月", "worker", "周四", "1991年9月"],
    # 59 (55+); man of September 1964: 60 in September 2024
    ["S05", "U03", "political_legal", "男", "196409", "cadre", "吴五", ""],
    # 48 (40-49); woman worker of March 1975: original March 2025, k = 2 → 50 y 2 m, May 2025
    ["S06", "U03", "political_legal", "女", "1975-03-15", "工人", "郑六", ""],
    # 33 (<40); man of 1990: 63 in 2053
    ["S07", "U03", "administrative", "M", "1990-12", "cadre", "王七", "2012-07"],
    # 43 (40-49); woman cadre of October 1980: 55 y 10 m+ , after 2035
    ["S08", "U04", "administrative", "F", "1980.10", "cadre", "冯八", ""],
    # 62 (55+); man of January 1961: 60 in January 2021
    ["S09", "U05", "institution", "M", "1961年1月", "cadre", "陈九", ""],
    # 23 (<40); woman, category empty (cadre): 58 in 2058
    ["S10", "U05", "institution", "F", "２０００－０１", "", "褚十", "2022-09"],
]
STAFF = {("U01", "administrative"): 3, ("U02", "institution"): 1,
         ("U03", "political_legal"): 2, ("U03", "administrative"): 1,
         ("U04", "administrative"): 1, ("U05", "institution"): 2}
NAMES = [row[6] for row in REGISTER]


def tables() -> dict[str, list[list[str]]]:
    """The corpus base with the quotas' staff equal to the register's head counts."""
    t = base()
    for row in t["quotas"][1:]:
        row[3] = str(STAFF[(row[0], row[1])])
    t["staff"] = [list(HEADER)] + [list(r) for r in REGISTER]
    return t


def folder_with(tmp_path: Path, change=None) -> Path:
    t = tables()
    if change is not None:
        change(t)
    folder = tmp_path / "data"
    write_csvs(folder, t)
    return folder


def staff_cell(person: str, column: str, value: str):
    return lambda t: set_cell(t, "staff", person, column, value)


def refused(cli, folder: Path) -> str:
    code, _, err = cli("inventory", folder)
    assert code == 2, err
    return err


# ---------------------------------------------------------------- reading


def test_every_birth_format_reads_as_its_year_and_month(tmp_path):
    ds = load(folder_with(tmp_path))
    staff = ds.staff.set_index("person_id")
    assert staff["birth"].to_dict() == {
        "S01": "1962-05", "S02": "1968-03", "S03": "1965-01", "S04": "1972-06",
        "S05": "1964-09", "S06": "1975-03", "S07": "1990-12", "S08": "1980-10",
        "S09": "1961-01", "S10": "2000-01"}
    assert staff["birth_year"].tolist() == [1962, 1968, 1965, 1972, 1964, 1975, 1990, 1980,
                                            1961, 2000]
    assert staff["birth_month"].tolist() == [5, 3, 1, 6, 9, 3, 12, 10, 1, 1]
    assert str(staff["birth_year"].dtype) == "int64"
    assert staff["category"].tolist() == ["cadre", "cadre", "cadre", "worker", "cadre",
                                          "worker", "cadre", "cadre", "cadre", "cadre"]
    assert staff["gender"].tolist() == list("MFMFMFMFMF")
    # started is optional: empty cells stay missing
    assert staff["started"].tolist()[:4] == ["1984-07", "1990-08", None, "1991-09"]
    assert staff["started_year"].isna().sum() == 5


def test_the_inventory_profiles_the_register(cli, tmp_path):
    code, out, err = cli("inventory", folder_with(tmp_path), "--json")
    assert code == 0, err
    staff = json.loads(out)["staff"]
    assert staff["present"] and staff["count"] == 10 and staff["age_year"] == 2023
    # ages in 2023 (comments of REGISTER): 33, 23 | 48, 43 | 51 | 61, 55, 58, 59, 62
    assert staff["age_band"] == {"<40": 2, "40-49": 2, "50-54": 1, "55+": 5}
    # S09 2021; S01, S04 2022; S02 2023; S05 2024; S03, S06 2025
    assert staff["retiring_by_year"] == {"2021": 1, "2022": 2, "2023": 1, "2024": 1,
                                         "2025": 2}
    assert staff["category"] == {"cadre": 8, "worker": 2}
    assert staff["quota_type"] == {"administrative": 5, "institution": 3,
                                   "political_legal": 2}


def test_a_region_keeps_its_own_register(cli, tmp_path):
    code, out, err = cli("inventory", folder_with(tmp_path), "--region", "恩阳区", "--json")
    assert code == 0, err
    staff = json.loads(out)["staff"]
    assert staff["count"] == 3  # S08 (U04), S09 and S10 (U05)
    assert staff["retiring_by_year"]["2021"] == 1


def test_without_a_data_year_no_age_bands(cli, tmp_path):
    def change(t):
        for row in t["demands"][1:]:
            row[6] = row[7] = ""

    code, out, err = cli("inventory", folder_with(tmp_path, change), "--json")
    assert code == 0, err
    staff = json.loads(out)["staff"]
    assert staff["age_year"] is None and "age_band" not in staff
    assert sum(staff["retiring_by_year"].values()) == 7


def test_the_age_bands_keep_their_order(cli, tmp_path):
    code, out, err = cli("inventory", folder_with(tmp_path))
    assert code == 0, err
    assert "Staff register 在编人员: 10 people — ages in 2023: <40: 2, 40-49: 2, 50-54: 1, 55+: 5" in out
    assert "2021: 1, 2022: 2, 2023: 1, 2024: 1, 2025: 2" in out


def test_names_never_reach_the_inventory(cli, tmp_path):
    folder = folder_with(tmp_path)
    for args in (("inventory", folder), ("inventory", folder, "--json")):
        code, out, err = cli(*args)
        assert code == 0, err
        for name in NAMES:
            assert name not in out and name not in err


def test_chinese_tables_headers_and_values(cli, tmp_path):
    zh = to_zh({k: v for k, v in tables().items() if k != "staff"})
    zh["staff"] = [["人员编号", "单位代码", "编制类型", "性别", "出生年月", "人员类别", "姓名",
                    "参加工作时间"]] + [
        [r[0], r[1], {"administrative": "行政编制", "institution": "事业编制",
                      "political_legal": "政法专项编制"}[r[2]], r[3], r[4], r[5], r[6], r[7]]
        for r in REGISTER]
    folder = tmp_path / "zh"
    write_csvs(folder, zh, encoding="gbk", newline="\r\n", names={**ZH_TABLES, "staff": "在编人员"})
    ds = load(folder)
    assert ds.staff is not None and len(ds.staff) == 10
    assert ds.staff["birth"].iat[3] == "1972-06"


def test_no_register_no_staff(tmp_path):
    t = base()
    folder = tmp_path / "data"
    write_csvs(folder, t)
    ds = load(folder)
    assert ds.staff is None


def test_an_excel_date_cell_reads_as_its_month(cli, tmp_path):
    path = tmp_path / "data.xlsx"
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in tables().items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append([int(v) if v.isdigit() and name != "staff" else (v or None) for v in row])
    ws = wb["staff"]
    ws["E2"] = dt.datetime(1962, 5, 1)  # a date cell, as Excel keeps 1962-05
    ws["E2"].number_format = "yyyy-mm"
    ws["E3"] = dt.date(1968, 3, 20)
    ws["E6"] = 196409  # a number cell: YYYYMM
    ws["H2"] = dt.datetime(1984, 7, 1)
    wb.save(path)
    ds = load(path)
    staff = ds.staff.set_index("person_id")
    assert staff.loc["S01", "birth"] == "1962-05"
    assert staff.loc["S02", "birth"] == "1968-03"
    assert staff.loc["S05", "birth"] == "1964-09"
    assert staff.loc["S01", "started"] == "1984-07"
    code, out, err = cli("inventory", path, "--json")
    assert code == 0, err
    assert json.loads(out)["staff"]["count"] == 10


def test_a_surplus_person_may_be_in_the_register(tmp_path):
    # P001 (surplus, U01 administrative, a man) is also S01's row under his own id
    ds = load(folder_with(tmp_path, staff_cell("S01", "person_id", "P001")))
    assert "P001" in set(ds.staff["person_id"])


def test_data_edits_keep_the_register(cli, tmp_path):
    folder_with(tmp_path)
    (tmp_path / "s.yaml").write_text(
        "data: data\ndata_edits:\n  - table: demands\n    scale: {amount: 2}\n",
        encoding="utf-8")
    code, out, err = cli("inventory", tmp_path / "s.yaml", "--json")
    assert code == 0, err
    staff = json.loads(out)["staff"]
    assert staff["count"] == 10 and staff["retiring_by_year"]["2025"] == 2


# ---------------------------------------------------------------- refusals by cell


@pytest.mark.parametrize("value, words", [
    ("1965-13", "month 13 is not a month"),
    ("1965年0月", "month 0 is not a month"),
    ("1899-12", "the year 1899 is before 1900"),
    ("2024-01", "born in 2024, after the data's year 2023"),
    ("2010-01", ("13 years old in the data's year 2023 (the earliest start_year of the "
                 "demands), under the working age of 16")),
    ("sixty-five", "is not a year and month; write it as 1965-01"),
    ("65-01", "is not a year and month"),
    ("19651", "is not a year and month"),
    ("1965-01-32", "is not a date: 1965-01 has 31 days"),
    ("1965-01-123", "is not a year and month"),
    ("1965-02-30", "is not a date: 1965-02 has 28 days"),
    ("1965.1", "may be January or October"),
    ("1965/13/01", "month 13 is not a month"),
])
def test_a_bad_birth_is_refused_naming_the_cell(cli, tmp_path, value, words):
    err = refused(cli, folder_with(tmp_path, staff_cell("S03", "birth", value)))
    assert "staff.csv, row 4, column birth" in err, err
    assert f"'{value}'" in err and words in err, err


def test_an_empty_birth_is_refused(cli, tmp_path):
    err = refused(cli, folder_with(tmp_path, staff_cell("S03", "birth", "")))
    assert "staff.csv, row 4, column birth: is empty" in err, err


def test_started_after_the_data_year_or_before_birth(cli, tmp_path):
    err = refused(cli, folder_with(tmp_path, staff_cell("S01", "started", "2024-02")))
    assert "staff.csv, row 2, column started: '2024-02': started work in 2024, after the " \
        "data's year 2023" in err, err
    err = refused(cli, folder_with(tmp_path, staff_cell("S01", "started", "1962-04")))
    assert "staff.csv, row 2, column started: '1962-04': started work before birth " \
        "(1962-05)" in err, err
    err = refused(cli, folder_with(tmp_path, staff_cell("S01", "started", "1984-13")))
    assert "staff.csv, row 2, column started" in err and "month 13" in err, err


def test_the_data_year_is_this_year_without_demand_years(cli, tmp_path):
    def change(t):
        staff_cell("S03", "birth", f"{dt.date.today().year + 1}-01")(t)
        for row in t["demands"][1:]:
            row[6] = row[7] = ""

    err = refused(cli, folder_with(tmp_path, change))
    assert "staff.csv, row 4, column birth" in err and "this year" in err, err


@pytest.mark.parametrize("column, value, words", [
    ("gender", "X", "is not a valid gender"),
    ("category", "clerk", "is not a valid category; expected one of cadre (干部), worker (工人)"),
    ("quota_type", "编外", "is not a valid quota_type"),
])
def test_a_bad_enum_is_refused(cli, tmp_path, column, value, words):
    err = refused(cli, folder_with(tmp_path, staff_cell("S05", column, value)))
    assert f"staff.csv, row 6, column {column}: '{value}' {words}" in err, err


def test_ids_are_unique(cli, tmp_path):
    err = refused(cli, folder_with(tmp_path, staff_cell("S02", "person_id", "S01")))
    assert "staff.csv, row 3, column person_id: duplicate person_id 'S01' (first in row 2)" in err
    # a unit with a duplicate id is not compared: no follow-on head-count message
    assert "people in the staff table" not in err, err


def test_an_unknown_unit_is_refused(cli, tmp_path):
    err = refused(cli, folder_with(tmp_path, staff_cell("S04", "unit_id", "U99")))
    assert "staff.csv, row 5, column unit_id: unit 'U99' is not in the units table" in err
    assert "people in the staff table" not in err, err


def test_a_quota_type_the_unit_does_not_hold(cli, tmp_path):
    err = refused(cli, folder_with(tmp_path, staff_cell("S04", "quota_type", "administrative")))
    assert "staff.csv, row 5, column quota_type: holds administrative" in err, err
    assert "unit 'U02' has no administrative row in the quotas table" in err, err


def test_head_counts_must_equal_the_quotas_staff(cli, tmp_path):
    def change(t):
        t["staff"] = [r for r in t["staff"] if r[0] != "S02"]  # U01 administrative: 2 of 3
        set_cell(t, "quotas", "U05", "staff", "3")  # U05 institution: 2 listed, 3 reported

    err = refused(cli, folder_with(tmp_path, change))
    assert ("quotas.csv, row 2, column staff: unit 'U01', administrative: 2 people in the "
            "staff table (staff.csv) but staff 3 in the quotas table") in err, err
    assert ("quotas.csv, row 7, column staff: unit 'U05', institution: 2 people in the "
            "staff table (staff.csv) but staff 3 in the quotas table") in err, err
    assert "U02" not in err


def test_a_quota_row_nobody_is_listed_for(cli, tmp_path):
    def change(t):
        t["staff"] = [r for r in t["staff"] if r[0] != "S04"]

    err = refused(cli, folder_with(tmp_path, change))
    assert ("quotas.csv, row 3, column staff: unit 'U02', institution: 0 people in the "
            "staff table (staff.csv) but staff 1 in the quotas table") in err, err


@pytest.mark.parametrize("column, value, shown", [
    ("unit_id", "U03", "unit 'U03', here 'U01'"),
    ("gender", "F", "gender 'F', here 'M'"),
])
def test_a_surplus_person_in_the_register_must_agree(cli, tmp_path, column, value, shown):
    def change(t):
        staff_cell("S01", "person_id", "P001")(t)
        if column == "unit_id":  # move him to U03 administrative, and keep the counts
            staff_cell("P001", "unit_id", "U03")(t)
            staff_cell("S07", "unit_id", "U01")(t)
        else:
            staff_cell("P001", column, value)(t)

    err = refused(cli, folder_with(tmp_path, change))
    assert (f"people.csv, row 2, column {column}: person 'P001' is in the staff table "
            f"(staff.csv, row 2) with {shown}") in err, err


def test_a_surplus_person_of_another_quota_type(cli, tmp_path):
    def change(t):
        # P002 (surplus, U03 political_legal) listed as U03 administrative: S07's row
        staff_cell("S07", "person_id", "P002")(t)
        staff_cell("P002", "gender", "F")(t)

    err = refused(cli, folder_with(tmp_path, change))
    assert ("people.csv, row 3, column quota_type: person 'P002' is in the staff table "
            "(staff.csv, row 8) with quota type 'administrative', here 'political_legal'") in err


def test_a_bad_date_in_many_rows_is_refused_in_each(cli, tmp_path):
    def change(t):
        for person in ("S03", "S04"):
            staff_cell(person, "birth", "1965-02-30")(t)
        staff_cell("S05", "birth", "1964-02-30")(t)  # a leap year: February has 29 days

    err = refused(cli, folder_with(tmp_path, change))
    for row in (4, 5):
        assert (f"staff.csv, row {row}, column birth: '1965-02-30' is not a date: 1965-02 has "
                "28 days") in err, err
    assert "staff.csv, row 6, column birth: '1964-02-30' is not a date: 1964-02 has 29 days" \
        in err, err


def test_a_register_without_categories_is_of_cadres(tmp_path):
    def change(t):
        for row in t["staff"][1:]:
            row[HEADER.index("category")] = ""

    ds = load(folder_with(tmp_path, change))
    assert ds.staff["category"].tolist() == ["cadre"] * len(REGISTER)


def test_a_surplus_person_listed_twice_is_compared_at_the_first_row(cli, tmp_path):
    def change(t):
        staff_cell("S01", "person_id", "P001")(t)  # as the people table has him
        staff_cell("S02", "person_id", "P001")(t)  # a woman: not him

    err = refused(cli, folder_with(tmp_path, change))
    assert "staff.csv, row 3, column person_id: duplicate person_id 'P001' (first in row 2)" \
        in err, err
    assert "is in the staff table" not in err, err
