"""Display names: the data names its codes (units' name columns or a names table), the plan
shows them beside the codes, and a code named two ways is refused with its row and column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import make_inputs, run_cli, write_table

from solver.errors import InputError
from solver.names import Names
from solver.plan.readable import readable_tables, unmet_detail
from solver.text import language
from solver.validate import load


def two_units(folder, **unit_extra):
    return make_inputs(
        folder,
        [{"unit_id": "A", "name": "甲局", "system": "health", "sector": "social",
          **unit_extra.get("A", {})},
         {"unit_id": "B", "name": "乙局", "system": "education", "sector": "social",
          **unit_extra.get("B", {})}],
        [("A", "institution", 100, 50), ("B", "institution", 30, 31)],
        [("d1", "B", "institution", "operational", 3), ("d2", "A", "institution", "key", 2)],
    )


def test_names_come_from_unit_columns_and_the_names_table_and_fall_back_to_codes(tmp_path):
    folder = two_units(tmp_path / "d", A={"system_name": "卫生健康"},
                       B={"system_name": "教育"})
    write_table(folder, "names", [{"kind": "region", "code": "r1", "name": "巴州区"},
                                  {"kind": "sector", "code": "social", "name": "社会事业"}])
    names = Names.from_dataset(load(folder))
    assert names.name("unit", "A") == "甲局"
    assert names.name("system", "health") == "卫生健康"
    assert names.name("system", "education") == "教育"
    assert names.name("sector", "social") == "社会事业"
    assert names.name("region", "r1") == "巴州区"
    assert names.name("region", "elsewhere") == "elsewhere"  # no name: the code
    assert names.labelled("unit", "A") == "甲局 (A)"


def test_the_names_table_may_be_chinese(tmp_path):
    folder = two_units(tmp_path / "d")
    write_table(folder, "名称对照", [{"类别": "地区", "代码": "r1", "名称": "巴州区"}])
    assert Names.from_dataset(load(folder)).name("region", "r1") == "巴州区"


def test_a_code_named_two_ways_is_refused_with_its_row_and_column(tmp_path):
    folder = two_units(tmp_path / "d", A={"sector_name": "社会事业"},
                       B={"sector_name": "社会民生"})
    with pytest.raises(InputError) as err:
        load(folder)
    text = str(err.value)
    assert "units.csv" in text and "row 3" in text and "sector_name" in text
    assert "社会民生" in text and "社会事业" in text
    folder = two_units(tmp_path / "e", A={"region_name": "巴州区"})
    write_table(folder, "names", [{"kind": "region", "code": "r1", "name": "恩阳区"}])
    with pytest.raises(InputError, match="names.csv, row 2, column name"):
        load(folder)
    # the same name twice is no conflict
    folder = two_units(tmp_path / "f", A={"region_name": "巴州区"}, B={"region_name": "巴州区"})
    assert Names.from_dataset(load(folder)).name("region", "r1") == "巴州区"


def test_a_conflict_is_exit_2_on_the_command_line(tmp_path):
    folder = two_units(tmp_path / "d", A={"system_name": "卫生"})
    write_table(folder, "names", [{"kind": "system", "code": "health", "name": "卫生健康"}])
    assert run_cli("run", folder, "--out", tmp_path / "plan") == 2


def test_the_workbook_names_every_unit_and_says_what_would_unblock_an_unmet_demand(
        tmp_path, capsys):
    folder = two_units(tmp_path / "d")
    write_table(folder, "names", [{"kind": "region", "code": "r1", "name": "巴州区"},
                                  {"kind": "system", "code": "health", "name": "卫生健康"}])
    assert run_cli("run", folder, "--out", tmp_path / "plan") == 0
    shown = capsys.readouterr().out  # the terminal lists the unmet demands the same way
    assert "乙局" in shown and "单位超编1人，待人员减至核定数以下方可进人" in shown
    book = pd.read_excel(tmp_path / "plan" / "plan.xlsx", sheet_name=None, dtype=str)
    demands = book["需求满足情况"].set_index("需求编号")
    assert demands.loc["d1", "单位名称"] == "乙局"
    assert demands.loc["d1", "单位编制状态"] == "超编"  # 31 staff on 30 approved
    assert demands.loc["d1", "解决途径"] == "单位超编1人，待人员减至核定数以下方可进人"
    assert pd.isna(demands.loc["d2", "解决途径"])  # met: nothing to unblock
    units = book["单位编制变化"].set_index("单位代码")
    assert units.loc["A", "单位名称"] == "甲局"
    assert units.loc["A", "地区名称"] == "巴州区" and units.loc["A", "系统名称"] == "卫生健康"
    assert units.loc["B", "系统名称"] == "education"  # no name given: the code
    # the CSVs keep the codes alone; names.csv holds the names the plan used
    assert "unit_name" not in pd.read_csv(tmp_path / "plan" / "demands.csv").columns
    assert Names.from_folder(tmp_path / "plan").name("unit", "B") == "乙局"
    assert run_cli("verify", tmp_path / "plan") == 0


def test_moves_name_both_ends_and_english_unblocks(tmp_path):
    names = Names({"unit": {"A": "甲局", "B": "乙局"}, "region": {"r1": "巴州区"}})
    moves = pd.DataFrame({"kind": ["transfer", "withdraw"], "from_unit": ["A", "B"],
                          "to_unit": ["B", ""]})
    m = readable_tables({"moves": moves}, names)["moves"]
    assert list(m.columns) == ["kind", "from_unit", "from_unit_name", "to_unit",
                               "to_unit_name"]
    assert m["from_unit_name"].tolist() == ["甲局", "乙局"]
    assert m["to_unit_name"].tolist() == ["乙局", ""]
    units = pd.DataFrame({"unit_id": ["A"], "quota_type": ["institution"], "region": ["r1"],
                          "status": ["vacant"], "approved_before": [9], "staff_before": [3]})
    d = pd.DataFrame({"demand_id": ["d"], "unit_id": ["A"], "quota_type": ["institution"],
                      "unmet_reason": ["reserve_floor"]})
    assert unmet_detail(d, units, names)["unblock"].iat[0].startswith("巴州区空编已用至蓄水池底线")
    with language("en"):
        assert "lower reserve rate" in unmet_detail(d, units, names)["unblock"].iat[0]


def test_inventory_shows_systems_by_name(capsys):
    bundled = Path(__file__).resolve().parents[1] / "scenarios" / "bazhong-2021"
    assert run_cli("inventory", bundled) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "by system:" in x)
    assert "机关综合" in line or "卫生健康" in line or "教育" in line
    assert "general_office" not in line and "education" not in line
