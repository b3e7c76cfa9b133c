"""The off-quota plan and the mergers inside `bianzhi run`: files, pool, verify."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_inputs

from solver.plan import build_summary
from solver.runner import run_scenario
from solver.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
I = "institution"


def bianzhi(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "solver.cli", *args], capture_output=True,
                          text=True, check=check)


@pytest.fixture(scope="module")
def consolidation_plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("cons") / "plan"
    bianzhi("run", str(REPO / "scenarios" / "consolidation.yaml"), "--out", str(out))
    return out


def test_consolidation_run_writes_mergers_and_freed_quotas_reach_the_pool(consolidation_plan):
    plan = consolidation_plan
    mergers = pd.read_csv(plan / "mergers.csv", dtype=str, keep_default_na=False)
    assert list(mergers.columns[:5]) == ["merger_id", "unit_id", "parent_id", "freed", "reason"]
    moves = pd.read_csv(plan / "moves.csv", dtype=str, keep_default_na=False)
    released = moves[moves["kind"] == "merge_release"]
    assert released["amount"].astype(int).sum() == mergers["freed"].astype(int).sum() > 0
    assert (released["to_unit"] == "").all()
    pool = pd.read_csv(plan / "pool.csv")
    assert pool["merge_released"].sum() == mergers["freed"].astype(int).sum()
    summary = json.loads((plan / "summary.json").read_text())
    assert summary["consolidation"]["quotas_freed"] == pool["merge_released"].sum()
    # the seed's cluster: the agriculture bureau's small institutions merge
    agri = mergers[mergers["parent_id"] == "bazhong-0062"]
    assert len(agri) >= 2
    assert "every hard rule holds" in bianzhi("verify", str(plan)).stdout


def test_verify_catches_a_merger_across_parents(consolidation_plan, tmp_path):
    plan = tmp_path / "plan"
    shutil.copytree(consolidation_plan, plan)
    m = pd.read_csv(plan / "mergers.csv", dtype=str, keep_default_na=False)
    first = m["merger_id"].iloc[0]
    other = m[m["parent_id"] != m["parent_id"].iloc[0]]["unit_id"].iloc[0]
    m.loc[m.index[-1], ["merger_id", "unit_id"]] = [first, other]
    m.to_csv(plan / "mergers.csv", index=False)
    result = bianzhi("verify", str(plan), check=False)
    assert result.returncode == 3
    assert "different parent departments" in result.stderr


def test_verify_catches_work_bought_that_may_not_be(tmp_path):
    out = tmp_path / "plan"
    bianzhi("run", str(REPO / "scenarios" / "bazhong-2021.yaml"), "--out", str(out),
            "--no-marginals")
    aux = pd.read_csv(out / "aux_plan.csv", dtype=str, keep_default_na=False)
    idx = aux.index[(aux["outsourceable"] == "no") & (aux["approved_after"].astype(int) > 0)][0]
    aux.loc[idx, "approved_after"] = str(int(aux.loc[idx, "approved_after"]) - 1)
    aux.loc[idx, "to_services"] = str(int(aux.loc[idx, "to_services"]) + 1)
    aux.to_csv(out / "aux_plan.csv", index=False)
    result = bianzhi("verify", str(out), check=False)
    assert result.returncode == 3
    assert "may not be bought" in result.stderr


def test_freed_quotas_reach_the_pool_and_meet_a_demand_from_there(tmp_path):
    """Two small institutions of one parent, 3+2 approved, 2+2 staff: merging frees 1
    (overhead) — their only vacancy — into the pool, which grants it to a full unit's key
    demand elsewhere."""
    units = [{"unit_id": "P", "kind": "organ"},
             {"unit_id": "A", "parent_id": "P"}, {"unit_id": "B", "parent_id": "P"},
             {"unit_id": "K", "system": "transport", "sector": "economy"}]
    quotas = [("P", "administrative", 10, 10), ("A", I, 3, 2), ("B", I, 2, 2), ("K", I, 9, 9)]
    data = make_inputs(tmp_path / "data", units, quotas, [("k1", "K", I, "key", 1)])
    scenario_file = tmp_path / "s.yaml"
    scenario_file.write_text(f"data: {data}\nyear: 2021\npolicy: {{reserve_rate: 0}}\n"
                             "consolidation: {enabled: true, threshold: 5}\n")
    plan = run_scenario(load_scenario(scenario_file))
    assert plan.verify() == []
    moves = plan.quota.moves
    assert moves[moves["kind"] == "merge_release"]["amount"].sum() == 1
    d = plan.quota.demands.set_index("demand_id")
    assert int(d.loc["k1", "met"]) == 1
    grant = moves[moves["kind"] == "pool_grant"]
    assert list(zip(grant["to_unit"], grant["amount"])) == [("K", 1)]
    units_after = plan.quota.units.set_index("unit_id")
    total_before = units_after["approved_before"].sum() + 0
    total_after = units_after["approved_after"].sum() + plan.quota.pool["balance_after"].sum()
    assert total_before == total_after


def test_without_aux_positions_the_summary_says_so(tmp_path):
    units = [{"unit_id": "A"}]
    data = make_inputs(tmp_path / "data", units, [("A", I, 5, 4)], [("d1", "A", I, "key", 1)])
    scenario_file = tmp_path / "s.yaml"
    scenario_file.write_text(f"data: {data}\nyear: 2021\n")
    plan = run_scenario(load_scenario(scenario_file))
    summary = build_summary(plan)
    assert summary["aux"]["present"] is False and "aux_positions" in summary["aux"]["note"]
    assert "aux_plan" not in plan.tables()
