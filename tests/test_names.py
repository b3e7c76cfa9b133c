"""Display names: the plan shows the data's names beside its codes (plan.xlsx, names.csv),
and says for an unmet demand what would unblock it."""

from __future__ import annotations

import pandas as pd
from conftest import make_inputs, run_cli

from solver.names import Names
from solver.plan.readable import readable_tables, unmet_detail
from solver.text import language


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


def test_the_workbook_names_every_unit_and_says_what_would_unblock_an_unmet_demand(
        tmp_path, capsys):
    folder = two_units(tmp_path / "d")
    assert run_cli("run", folder, "--out", tmp_path / "plan") == 0
    shown = capsys.readouterr().out  # the terminal lists the unmet demands the same way
    assert "乙局" in shown and "单位超编1人，待人员减至核定数以下方可进人" in shown
    book = pd.read_excel(tmp_path / "plan" / "plan.xlsx", sheet_name=None, dtype=str)
    demands = book["需求满足情况"].set_index("需求编号")
    assert demands.loc["d1", "单位名称"] == "乙局"
    assert demands.loc["d1", "单位编制状态"] == "超编"  # 31 staff on 30 approved
    assert demands.loc["d1", "解决途径"] == "单位超编1人，待人员减至核定数以下方可进人"
    assert pd.isna(demands.loc["d2", "解决途径"])  # met: nothing to unblock
    assert book["单位编制变化"].set_index("单位代码").loc["A", "单位名称"] == "甲局"
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
