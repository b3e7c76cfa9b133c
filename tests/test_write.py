"""Writers of input-format tables: CSV folders and workbooks, deterministic and atomic."""

from __future__ import annotations

import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from solver.domain import ENUMS, TABLES
from solver.io import write
from solver.io.write import write_csv_folder, write_workbook


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    """A tiny input set touching every kind of column."""
    units = pd.DataFrame({
        "unit_id": ["u1", "u2", "u3"],
        "name": ["市卫生健康委员会", "市中心医院", "某中心"],
        "level": ["city", "city", "county"],
        "region": ["bazhong", "bazhong", "bazhou"],
        "kind": ["organ", "institution", "institution"],
        "system": ["health", "health", "health"],
        "sector": ["social_services"] * 3,
        "parent_id": [None, "u1", "u1"],
        "function_status": ["active", "weakened", "lapsed"],
        "performance_score": [85.5, 90.0, np.nan],
        "central_tasks": [2, 0, 1],
        "leader_posts": [5, 2, 1],
        "note": ["extra column", "", "kept"],
    })
    quotas = pd.DataFrame({"unit_id": ["u1", "u2"],
                           "quota_type": ["administrative", "institution"],
                           "approved": [30, 400], "staff": [29, 412]})
    people = pd.DataFrame({
        "person_id": ["p1", "p2"], "name": ["王伟", "李芳"], "unit_id": ["u1", "u2"],
        "quota_type": ["administrative", "institution"],
        "cadre_level": ["city_managed", "section_or_below"], "gender": ["M", "F"],
        "age": [58, 41], "service_years": [38, 19], "health": ["healthy", "serious"],
        "work_status": ["assisting", "idle"], "surplus_reason": ["age", "sick_leave"],
        "skills": ["research;writing", ""], "preferences": ["G2;G1", ""],
        "wants_return": ["no", "yes"], "willing_early_retirement": ["yes", "no"],
    })
    aux = pd.DataFrame({
        "unit_id": ["u2", "u2"], "category": ["medical", "logistics"], "headcount": [120, 14],
        "approved": pd.array([100, pd.NA], dtype="Int64"), "outsourceable": ["no", "yes"],
    })
    demands = pd.DataFrame({
        "demand_id": ["d1", "d2"], "unit_id": ["u2", "u1"],
        "quota_type": ["institution", "administrative"], "tier": ["emergency", "operational"],
        "amount": [3, 1], "reason": ["疫情防控", "职能增加"],
        "start_year": [2021.0, np.nan], "end_year": [2023.0, np.nan],
    })
    moves = pd.DataFrame({"kind": ["transfer"], "amount": [2], "from_unit": ["u1"]})
    return {"units": units, "quotas": quotas, "demands": demands, "people": people,
            "aux_positions": aux, "moves": moves}


# --- CSV ----------------------------------------------------------------------------------

def test_csv_folder_format(tmp_path, tables):
    write_csv_folder(tables, tmp_path / "data")
    files = sorted(p.name for p in (tmp_path / "data").iterdir())
    assert files == sorted(f"{name}.csv" for name in tables)
    units = (tmp_path / "data" / "units.csv").read_bytes()
    assert b"\r" not in units
    text = units.decode("utf-8")
    lines = text.split("\n")
    assert lines[0] == ("unit_id,name,level,region,kind,system,sector,parent_id,function_status,"
                        "performance_score,central_tasks,leader_posts,note")
    assert lines[1] == ("u1,市卫生健康委员会,city,bazhong,organ,health,social_services,,active,"
                        "85.5,2,5,extra column")
    assert lines[2].split(",")[9] == "90"  # integral value: no ".0"
    assert lines[3].split(",")[9] == ""  # missing: empty
    demands = (tmp_path / "data" / "demands.csv").read_text("utf-8").split("\n")
    assert demands[1].endswith(",2021,2023") and demands[2].endswith(",,")
    aux = (tmp_path / "data" / "aux_positions.csv").read_text("utf-8").split("\n")
    assert aux[1:3] == ["u2,medical,120,100,no", "u2,logistics,14,,yes"]


def test_csv_round_trip_values(tmp_path, tables):
    write_csv_folder(tables, tmp_path / "data")
    back = pd.read_csv(tmp_path / "data" / "people.csv", keep_default_na=False)
    assert back.to_dict("list") == {k: list(v) for k, v in tables["people"].to_dict("list").items()}


def test_csv_is_deterministic(tmp_path, tables):
    write_csv_folder(tables, tmp_path / "a")
    write_csv_folder(tables, tmp_path / "b")
    for name in tables:
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() == (
            tmp_path / "b" / f"{name}.csv").read_bytes()


def test_csv_folder_keeps_other_files_and_replaces_tables(tmp_path, tables):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "README.txt").write_text("mine")
    (folder / "units.csv").write_text("old")
    write_csv_folder(tables, folder)
    assert (folder / "README.txt").read_text() == "mine"
    assert (folder / "units.csv").read_text("utf-8").startswith("unit_id,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # no staging left


def test_csv_folder_is_untouched_when_writing_fails(tmp_path, tables, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "units.csv").write_text("old units")
    (folder / "quotas.csv").write_text("old quotas")
    calls = []
    real = write._csv_text

    def failing(frame):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(frame)

    monkeypatch.setattr(write, "_csv_text", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        write_csv_folder(tables, folder)
    assert (folder / "units.csv").read_text() == "old units"
    assert (folder / "quotas.csv").read_text() == "old quotas"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_new_csv_folder_appears_whole_or_not_at_all(tmp_path, tables, monkeypatch):
    monkeypatch.setattr(write, "_csv_text", lambda frame: (_ for _ in ()).throw(OSError("no")))
    with pytest.raises(OSError):
        write_csv_folder(tables, tmp_path / "new")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    write_csv_folder(tables, tmp_path / "new")
    assert len(list((tmp_path / "new").iterdir())) == len(tables)


# --- xlsx ---------------------------------------------------------------------------------

def _sheets(path) -> dict[str, list[tuple]]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    out = {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)]
           for ws in workbook.worksheets}
    workbook.close()
    return out


def test_chinese_workbook_round_trip(tmp_path, tables):
    path = tmp_path / "data.xlsx"
    write_workbook(tables, path, lang="zh")
    sheets = _sheets(path)
    assert list(sheets) == ["单位", "编制", "用编需求", "富余人员", "编外人员", "moves"]
    units = sheets["单位"]
    assert units[0] == tuple(c.zh for c in TABLES["units"].columns
                             if c.name in tables["units"]) + ("note",)
    assert units[1][:5] == ("u1", "市卫生健康委员会", "市级", "bazhong", "机关")
    assert [row[8] for row in units[1:]] == ["正常", "弱化", "消失"]
    assert [row[9] for row in units[1:]] == [85.5, 90, None]
    assert units[2][7] == "u1" and units[1][7] is None
    people = sheets["富余人员"]
    assert people[0][5] == "性别" and [row[5] for row in people[1:]] == ["男", "女"]
    assert [row[13] for row in people[1:]] == ["否", "是"]  # 愿意返岗
    assert [row[14] for row in people[1:]] == ["是", "否"]
    assert [row[4] for row in people[1:]] == ["市管干部", "科级及以下"]
    assert [row[8] for row in people[1:]] == ["健康", "重大疾病"]
    assert people[1][10] == "age"  # open text column: carried as given
    aux = sheets["编外人员"]
    assert aux[1] == ("u2", "医护", 120, 100, "否")
    assert aux[2] == ("u2", "后勤保障", 14, None, "是")
    demands = sheets["用编需求"]
    assert demands[1][3] == "保应急" and demands[1][6:] == (2021, 2023)
    assert not any(demands[2][6:])  # empty cells (read-only mode trims trailing ones)
    assert sheets["moves"] == [("kind", "amount", "from_unit"), ("transfer", 2, "u1")]


def test_chinese_workbook_reads_back_to_the_same_codes(tmp_path, tables):
    path = tmp_path / "data.xlsx"
    write_workbook(tables, path, lang="zh")
    back = pd.read_excel(path, sheet_name="富余人员", dtype=str, keep_default_na=False)
    inverse = {label: code for mapping in ENUMS.values() for code, label in mapping.items()}
    back.columns = [c.name for c in TABLES["people"].columns]
    back = back.map(lambda v: inverse.get(v, v))
    expected = tables["people"].astype(str)
    pd.testing.assert_frame_equal(back, expected)


def test_english_workbook_holds_csv_names_and_codes(tmp_path, tables):
    path = tmp_path / "data.xlsx"
    write_workbook(tables, path, lang="en")
    sheets = _sheets(path)
    assert list(sheets) == list(tables)
    assert sheets["units"][0][:3] == ("unit_id", "name", "level")
    assert sheets["units"][1][2] == "city" and sheets["people"][1][5] == "M"


def test_unknown_enum_values_are_carried_through(tmp_path, tables):
    tables["units"].loc[2, "kind"] = "enterprise"
    path = tmp_path / "data.xlsx"
    write_workbook(tables, path)
    assert _sheets(path)["单位"][3][4] == "enterprise"


def test_workbook_is_byte_identical_with_fixed_timestamps(tmp_path, tables):
    write_workbook(tables, tmp_path / "a.xlsx")
    write_workbook(tables, tmp_path / "b.xlsx")
    data = (tmp_path / "a.xlsx").read_bytes()
    assert data == (tmp_path / "b.xlsx").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(2021, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2021-01-01T00:00:00Z" in core
    workbook = openpyxl.load_workbook(tmp_path / "a.xlsx")
    assert workbook.properties.created == write.WORKBOOK_DATETIME
    assert workbook.properties.modified == write.WORKBOOK_DATETIME


def test_workbook_target_untouched_when_writing_fails(tmp_path, tables):
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"old workbook")
    tables["units"].loc[0, "name"] = "bad\x01cell"  # Excel cannot hold control characters
    with pytest.raises(Exception, match="cannot be used in worksheets|Illegal"):
        write_workbook(tables, path)
    assert path.read_bytes() == b"old workbook"
    assert [p.name for p in tmp_path.iterdir()] == ["data.xlsx"]


def test_workbook_replaced_only_at_the_end(tmp_path, tables, monkeypatch):
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"old workbook")

    def refuse(src, dst):
        assert zipfile.is_zipfile(src)  # the complete new workbook sits beside the target
        raise OSError("replace refused")

    monkeypatch.setattr(write.os, "replace", refuse)
    with pytest.raises(OSError, match="replace refused"):
        write_workbook(tables, path)
    assert path.read_bytes() == b"old workbook"
    assert [p.name for p in tmp_path.iterdir()] == ["data.xlsx"]


def test_bad_language_sheet_names_and_tables(tmp_path, tables):
    with pytest.raises(ValueError, match="language"):
        write_workbook(tables, tmp_path / "x.xlsx", lang="fr")
    with pytest.raises(ValueError, match="sheet name"):
        write_workbook({"a" * 32: tables["moves"]}, tmp_path / "x.xlsx")
    with pytest.raises(ValueError, match="name"):
        write_workbook({"a/b": tables["moves"]}, tmp_path / "x.xlsx")
    with pytest.raises(TypeError):
        write_csv_folder({"units": [1, 2]}, tmp_path / "x")
    assert list(tmp_path.iterdir()) == []


def test_a_table_longer_than_a_sheet_is_refused_before_anything_is_written(tmp_path):
    fits = pd.DataFrame({"person_id": np.arange(write.MAX_SHEET_ROWS - 1)})
    write.check_sheet_rows({"staff": fits})  # 1,048,575 rows under the header: the limit
    longer = pd.DataFrame({"person_id": np.arange(write.MAX_SHEET_ROWS)})
    with pytest.raises(ValueError, match=r"'staff' has 1,048,576 rows.*write it as CSV"):
        write_workbook({"staff": longer}, tmp_path / "x.xlsx")
    assert list(tmp_path.iterdir()) == []
