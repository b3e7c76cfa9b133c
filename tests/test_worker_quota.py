"""The fourth quota type, worker posts in organs (工勤编制, 机关工勤编制).

Real-name registers (实名制) report 行政 / 事业 / 工勤 quotas side by side: a planner's table
with a 工勤编制 row reads, validates and plans like the other types, and the type is
ring-fenced like them (docs/rules.md § 2). Small input folders are built with conftest's
helpers and the real command runs in-process.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_inputs, write_table

from solver.cli import main
from solver.validate import load, load_plan_workbook

W = "worker"

UNITS = [
    {"unit_id": "O1", "kind": "organ", "system": "general_office", "sector": "party_and_gov"},
    {"unit_id": "O2", "kind": "civil_service_managed", "system": "general_office",
     "sector": "party_and_gov"},
    {"unit_id": "A"},
    {"unit_id": "B", "system": "education"},
]
QUOTAS = [
    ("O1", "administrative", 20, 18), ("O1", W, 6, 3),  # three worker posts vacant
    ("O2", W, 4, 4),                                    # full
    ("A", "institution", 100, 50), ("B", "institution", 30, 20),
]
DEMANDS = [
    ("dw", "O2", W, "key", 1),
    ("di", "B", "institution", "key", 2),
]


def bianzhi(capsys, *args: object) -> tuple[int, str]:
    """The real command, in-process: (exit code, stdout + stderr)."""
    capsys.readouterr()
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text and "internal error" not in text, text
    return code, text


def read(plan: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(plan / f"{name}.csv", dtype=str, keep_default_na=False)


def test_worker_quota_reads_plans_and_verifies(capsys, tmp_path):
    data = make_inputs(tmp_path / "data", UNITS, QUOTAS, DEMANDS, pool=[("r1", W, 1)])
    write_table(data, "people", [{
        "person_id": "p1", "unit_id": "O1", "quota_type": "工勤编制",
        "cadre_level": "section_or_below", "gender": "F", "age": 45, "service_years": 20,
        "health": "healthy", "work_status": "assisting", "wants_return": "no",
        "willing_early_retirement": "no"}])
    write_table(data, "task_groups", [{"group_id": "G", "name": "group G", "min_size": 0,
                                       "max_size": 5}])
    ds = load(data)
    assert set(ds.quotas["quota_type"]) == {"administrative", W, "institution"}
    assert ds.people["quota_type"].tolist() == [W]

    code, text = bianzhi(capsys, "inventory", data, "--json")
    assert code == 0, text
    stock = json.loads(text)["quota_types"][W]
    assert (stock["approved"], stock["staff"], stock["pool"]) == (10, 7, 1)

    plan = tmp_path / "plan"
    code, text = bianzhi(capsys, "run", data, "--out", plan, "--no-marginals", "--report",
                         "--set", "year=2023")
    assert code == 0, text
    code, text = bianzhi(capsys, "verify", plan)
    assert code == 0, text

    units = read(plan, "units")
    worker = units[units["quota_type"] == W].set_index("unit_id")
    assert sorted(worker.index) == ["O1", "O2"]
    assert int(worker.loc["O2", "approved_after"]) == 5  # the key demand is met
    demands = read(plan, "demands").set_index("demand_id")
    assert int(demands.loc["dw", "met"]) == 1
    moves = read(plan, "moves")
    for _, move in moves[moves["demand_id"] == "dw"].iterrows():
        assert move["quota_type"] == W
        assert move["from_unit"] in ("", "O1")  # a worker vacancy or the worker pool

    summary = json.loads((plan / "summary.json").read_text(encoding="utf-8"))
    assert summary["totals"][W]["approved_before"] == 10
    assert summary["totals"][W]["approved_after"] + summary["totals"][W]["pool_after"] == 11
    assert W in summary["reserve"]

    # the Chinese workbook labels the type 工勤编制 and reads back as worker
    tables = load_plan_workbook(plan / "plan.xlsx")
    assert W in set(tables["units"]["quota_type"])
    assert "工勤编制" in (plan / "report.html").read_text(encoding="utf-8")


def ring_fence_plan(capsys, folder: Path, w2_staff: int) -> Path:
    """W1 holds vacant institution quota and a full worker row and asks for 2 worker posts;
    W2's worker row is full (w2_staff 8) or has vacancies; A and the pool hold institution
    quota only."""
    data = make_inputs(
        folder / "data",
        [{"unit_id": "W1", "kind": "organ", "system": "general_office"},
         {"unit_id": "W2", "kind": "organ", "system": "general_office"},
         {"unit_id": "A"}],
        [("W1", W, 5, 5), ("W1", "institution", 10, 2), ("W2", W, 8, w2_staff),
         ("A", "institution", 100, 50)],
        [("dw", "W1", W, "key", 2)],
        pool=[("r1", "institution", 5)],
    )
    plan = folder / "plan"
    code, text = bianzhi(capsys, "run", data, "--out", plan, "--no-marginals")
    assert code == 0, text
    code, text = bianzhi(capsys, "verify", plan)
    assert code == 0, text
    return plan


def test_worker_demand_is_met_only_from_worker_quota(capsys, tmp_path):
    plan = ring_fence_plan(capsys, tmp_path, w2_staff=8)  # no worker vacancy anywhere
    demand = read(plan, "demands").set_index("demand_id").loc["dw"]
    assert int(demand["met"]) == 0
    assert demand["unmet_reason"] == "no_compatible_source"
    moves = read(plan, "moves")
    assert moves[moves["quota_type"] == W].empty
    units = read(plan, "units").set_index(["unit_id", "quota_type"])
    assert units.loc[("W1", "institution"), "approved_after"] == "10"
    assert units.loc[("W1", W), "approved_after"] == "5"


@pytest.mark.parametrize("spelling", ["工勤", "机关工勤编制", "工勤人员编制", "工勤编制",
                                      "worker", "Worker"])
def test_worker_spellings_read_as_worker(tmp_path, spelling):
    data = make_inputs(
        tmp_path / "data",
        [{"unit_id": "O1", "kind": "organ", "system": "general_office"}],
        [("O1", spelling, 6, 3)],
        [("d1", "O1", spelling, "key", 1)],
    )
    ds = load(data)
    assert ds.quotas["quota_type"].tolist() == [W]
    assert ds.demands["quota_type"].tolist() == [W]


def test_worker_reads_from_a_chinese_table(tmp_path):
    data = tmp_path / "data"
    make_inputs(data, [{"unit_id": "O1", "kind": "organ", "system": "general_office"}],
                [("O1", "administrative", 10, 9)], [("d1", "O1", "administrative", "key", 1)])
    (data / "quotas.csv").unlink()
    write_table(data, "编制", [
        {"单位代码": "O1", "编制类型": "行政编制", "核定编制数": 10, "实有人数": 9},
        {"单位代码": "O1", "编制类型": "机关工勤编制", "核定编制数": 3, "实有人数": 3},
    ])
    ds = load(data)
    assert ds.quotas.set_index("quota_type")["approved"].to_dict() == {
        "administrative": 10, W: 3}


def test_worker_demand_is_met_from_a_worker_vacancy(capsys, tmp_path):
    plan = ring_fence_plan(capsys, tmp_path, w2_staff=5)  # W2: three worker posts vacant
    demand = read(plan, "demands").set_index("demand_id").loc["dw"]
    assert int(demand["met"]) == 2
    moves = read(plan, "moves")
    assert set(moves["quota_type"]) == {W}
    assert set(moves["from_unit"]) == {"W2"}
    units = read(plan, "units").set_index(["unit_id", "quota_type"])
    assert units.loc[("W1", "institution"), "approved_after"] == "10"


def test_the_generator_holds_known_types_and_no_worker_quota():
    from solver.domain import QUOTA_TYPES
    from solver.generate import QUOTA_TYPE_ORDER

    assert set(QUOTA_TYPE_ORDER) <= set(QUOTA_TYPES)
    assert W not in QUOTA_TYPE_ORDER  # seeded data stays as it was (test_generate's bytes)
