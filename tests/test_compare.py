"""`bianzhi compare` on real plan folders, and near-optimal alternatives (`run --alternatives`)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from solver.compare import compare_plans

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "scenarios" / "bazhong-2021.yaml"
SLACK = 0.02


def bianzhi(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "solver.cli", *args], check=False,
                          capture_output=True, text=True, cwd=REPO)


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    """The baseline, the baseline with --apply reserve-5, and with --apply incentive."""
    base = tmp_path_factory.mktemp("plans")
    out = {}
    for name, extra in (("base", []), ("reserve-5", ["--apply", "reserve-5"]),
                        ("incentive", ["--apply", "incentive"])):
        result = bianzhi("run", str(BUNDLED), "--no-marginals", "--out", str(base / name),
                         *extra)
        assert result.returncode == 0, result.stderr
        out[name] = base / name
    return out


@pytest.fixture(scope="module")
def compared(plans):
    result = bianzhi("compare", str(plans["base"]), str(plans["reserve-5"]),
                     str(plans["incentive"]), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def demands(plan: Path) -> pd.DataFrame:
    return pd.read_csv(plan / "demands.csv", dtype=str, keep_default_na=False
                       ).set_index("demand_id")


def test_json_keys_and_kpis(compared):
    assert {"base", "plans", "kpis", "unit_changes", "moves_only_in",
            "changed_demands"} <= set(compared)
    assert compared["base"] == "base"
    assert compared["plans"] == ["base", "reserve-5", "incentive"]
    kpis = {k["plan"]: k for k in compared["kpis"]}
    for k in kpis.values():
        for metric in ("met.key", "met.emergency", "met.operational", "reserve.administrative",
                       "reserve.institution", "reserve.political_legal", "moves",
                       "cross_system_moves", "unmet", "cadres.group", "cadres.return",
                       "cadres.early_retirement", "cadres.transfer", "cadres.stay"):
            assert metric in k
    # a higher reserve keeps more vacancy and meets less
    assert kpis["reserve-5"]["reserve.institution"] > kpis["base"]["reserve.institution"]
    assert kpis["reserve-5"]["met.operational"] < kpis["base"]["met.operational"]
    assert kpis["reserve-5"]["moves"] < kpis["base"]["moves"]


def test_kpis_match_the_summaries(plans, compared):
    for k in compared["kpis"]:
        summary = json.loads((plans[k["plan"]] / "summary.json").read_text(encoding="utf-8"))
        assert k["met.operational"] == summary["met"]["operational"]["met"]
        assert k["moves"] == summary["moves"]["count"]
        assert k["cross_system_moves"] == summary["moves"]["cross_system"]
        assert k["cadres.transfer"] == summary["cadres"]["by_option"]["transfer"]


def test_unit_changes_are_the_units_whose_approved_quota_differs(plans, compared):
    key = ["unit_id", "quota_type"]
    frames = {name: pd.read_csv(p / "units.csv", dtype={"unit_id": str}).set_index(key)
              ["approved_after"] for name, p in plans.items()}
    table = pd.DataFrame(frames)
    differ = table[(table["reserve-5"] != table["base"]) | (table["incentive"] != table["base"])]
    assert len(compared["unit_changes"]) == len(differ) > 0
    for change in compared["unit_changes"]:
        row = table.loc[(change["unit_id"], change["quota_type"])]
        assert change["approved_after"] == {name: int(row[name]) for name in plans}


def test_moves_only_in_one_plan(plans, compared):
    only = compared["moves_only_in"]
    assert only
    sides = {(m["only_in"], m["versus"]) for m in only}
    assert ("base", "reserve-5") in sides and ("reserve-5", "base") in sides
    moves = {name: pd.read_csv(p / "moves.csv", dtype=str, keep_default_na=False)
             for name, p in plans.items()}
    cols = ["kind", "quota_type", "from_unit", "to_unit", "demand_id"]
    keys = {name: set(map(tuple, m[cols].to_numpy())) for name, m in moves.items()}
    for m in only:
        key = tuple(m[c] for c in cols)
        if m["only_in"] in plans:
            assert key in keys[m["only_in"]] and key not in keys[m["versus"]]
    expected = keys["base"] ^ keys["reserve-5"]
    found = {tuple(m[c] for c in cols) for m in only
             if {m["only_in"], m["versus"]} == {"base", "reserve-5"}}
    assert found == expected


def test_changed_demands_with_both_amounts_and_both_reasons(plans, compared):
    changed = compared["changed_demands"]
    assert changed
    base = demands(plans["base"])
    for plan in ("reserve-5", "incentive"):
        other = demands(plans[plan])
        expected = set(base.index[base["met"] != other["met"]])
        got = [c for c in changed if c["plan"] == plan]
        assert {c["demand_id"] for c in got} == expected
        for c in got:
            d = c["demand_id"]
            assert set(c["met"]) == {"base", plan} and set(c["reason"]) == {"base", plan}
            assert c["met"]["base"] == int(base.loc[d, "met"])
            assert c["met"][plan] == int(other.loc[d, "met"])
            # met demands have a reason too: `met`
            assert c["reason"]["base"] == (base.loc[d, "unmet_reason"] or "met")
            assert c["reason"][plan] == (other.loc[d, "unmet_reason"] or "met")
            # each plan's own amount
            assert c["amount"] == {"base": int(base.loc[d, "amount"]),
                                   plan: int(other.loc[d, "amount"])}
            assert c["tier"] == base.loc[d, "tier"]
    # a higher reserve leaves some demand unmet for the reserve floor
    assert any(c["reason"]["reserve-5"] == "reserve_floor" for c in changed
               if c["plan"] == "reserve-5")


def test_a_changed_demand_shows_each_plans_own_amount(plans, tmp_path):
    """A scenario may change a request (data edits): each plan's amount is its own."""
    other = tmp_path / "other"
    shutil.copytree(plans["reserve-5"], other)
    d = pd.read_csv(other / "demands.csv", dtype=str, keep_default_na=False)
    changed = compare_plans([plans["base"], plans["reserve-5"]])["changed_demands"]
    target = changed[0]["demand_id"]
    d.loc[d["demand_id"] == target, "amount"] = "99"
    d.to_csv(other / "demands.csv", index=False)
    got = {c["demand_id"]: c for c in compare_plans([plans["base"], other])["changed_demands"]}
    assert got[target]["amount"]["other"] == 99
    assert got[target]["amount"]["base"] == changed[0]["amount"]["base"] != 99


def test_a_plan_against_itself_has_no_changes(plans):
    result = bianzhi("compare", str(plans["base"]), str(plans["base"]), "--json")
    assert result.returncode == 0, result.stderr
    same = json.loads(result.stdout)
    assert same["unit_changes"] == [] and same["moves_only_in"] == []
    assert same["changed_demands"] == []
    assert same["kpis"][0] | {"plan": ""} == same["kpis"][1] | {"plan": ""}


def test_out_writes_json_and_csvs(plans, compared, tmp_path):
    out = tmp_path / "cmp"
    result = bianzhi("compare", str(plans["base"]), str(plans["reserve-5"]),
                     str(plans["incentive"]), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Units whose approved quota differs" in result.stdout
    written = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert written == compared
    kpis = pd.read_csv(out / "kpis.csv")
    assert list(kpis["plan"]) == ["base", "reserve-5", "incentive"]
    assert len(pd.read_csv(out / "moves_only_in.csv")) == len(compared["moves_only_in"])
    changed = pd.read_csv(out / "changed_demands.csv", keep_default_na=False)
    assert len(changed) == len(compared["changed_demands"])
    assert {"amount:base", "amount:reserve-5", "met:base", "met:reserve-5", "reason:base",
            "reason:reserve-5"} <= set(changed.columns)
    assert (changed["met:base"].astype(str).str.fullmatch(r"\d+")).all()  # integers, no 3.0
    units = pd.read_csv(out / "unit_changes.csv")
    assert len(units) == len(compared["unit_changes"])
    assert {"unit_id", "quota_type", "approved_after:base", "approved_after:incentive"} <= set(
        units.columns)


def test_plans_with_the_same_folder_name_are_told_apart(plans, tmp_path):
    for side in ("a", "b"):
        shutil.copytree(plans["base" if side == "a" else "reserve-5"], tmp_path / side / "plan")
    result = compare_plans([tmp_path / "a" / "plan", tmp_path / "b" / "plan"])
    assert result["plans"] == ["0:plan", "1:plan"]
    assert result["changed_demands"] and set(result["changed_demands"][0]["met"]) == {
        "0:plan", "1:plan"}


@pytest.mark.parametrize("case", ["missing folder", "not a plan", "one plan"])
def test_bad_arguments(plans, tmp_path, case):
    (tmp_path / "empty").mkdir()
    args = {"missing folder": [str(plans["base"]), str(tmp_path / "nope")],
            "not a plan": [str(plans["base"]), str(tmp_path / "empty")],
            "one plan": [str(plans["base"])]}[case]
    result = bianzhi("compare", *args, "--json")
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    if case == "one plan":
        assert "at least two plan folders" in result.stderr
    else:
        assert str(args[1]) in result.stderr and "no summary.json" in result.stderr


# ---------------------------------------------------------------- alternatives


@pytest.fixture(scope="module")
def alternatives(tmp_path_factory):
    out = tmp_path_factory.mktemp("alt") / "plan"
    result = bianzhi("run", str(BUNDLED), "--alternatives", "2", "--slack", str(SLACK),
                     "--no-marginals", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "2 near-optimal alternatives" in result.stdout
    return out


def _givers(plan: Path) -> set[str]:
    moves = pd.read_csv(plan / "moves.csv", dtype=str, keep_default_na=False)
    return set(moves.loc[moves["kind"] != "withdraw", "from_unit"])


def test_alternatives_are_plan_folders_that_verify(alternatives):
    for k in (1, 2):
        folder = alternatives / f"alt-{k}"
        assert (folder / "summary.json").exists()
        result = bianzhi("verify", str(folder))
        assert result.returncode == 0, result.stderr
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        assert summary["alternative"] == {"number": k, "slack": SLACK}


def test_alternatives_meet_every_demand_as_the_optimum(alternatives):
    best = demands(alternatives)
    for k in (1, 2):
        alt = demands(alternatives / f"alt-{k}")
        assert list(alt.index) == list(best.index)
        assert (alt["met"] == best["met"]).all()
    best_summary = json.loads((alternatives / "summary.json").read_text(encoding="utf-8"))
    for k in (1, 2):
        s = json.loads((alternatives / f"alt-{k}" / "summary.json").read_text(encoding="utf-8"))
        for tier, m in best_summary["met"].items():  # met_own may differ: other donors
            for figure in ("demands", "requested", "met", "fully_met"):
                assert s["met"][tier][figure] == m[figure]
        assert s["reserve"].keys() == best_summary["reserve"].keys()


def test_alternatives_cost_within_the_slack(alternatives):
    optimal = json.loads((alternatives / "summary.json").read_text())["solver"]["ladder_cost"]
    assert optimal > 0
    for k in (1, 2):
        s = json.loads((alternatives / f"alt-{k}" / "summary.json").read_text())
        assert optimal <= s["solver"]["ladder_cost"] <= (1 + SLACK) * optimal + 1e-6


def test_alternatives_draw_on_other_donors(alternatives):
    best = _givers(alternatives)
    alts = [_givers(alternatives / f"alt-{k}") for k in (1, 2)]
    for givers in alts:
        assert givers != best
        assert givers - best, "an alternative should bring in donors the optimum left alone"
    assert alts[0] != alts[1]
    # the second also moves away from the first
    assert alts[1] - alts[0]


def test_compare_an_alternative_with_the_optimum(alternatives):
    result = compare_plans([alternatives, alternatives / "alt-1"])
    assert result["changed_demands"] == []
    assert result["moves_only_in"]


def test_units_are_named_beside_their_codes(plans, compared):
    """A person reads names: every unit in the comparison has the data's name (names.csv of
    the plans), on the terminal too."""
    units = pd.read_csv(BUNDLED.parent / "bazhong-2021" / "units.csv", dtype=str
                        ).set_index("unit_id")["name"]
    for c in compared["unit_changes"] + compared["changed_demands"]:
        assert c["unit_name"] == units[c["unit_id"]]
    for m in compared["moves_only_in"]:
        for end in ("from_unit", "to_unit"):
            assert m[f"{end}_name"] == (units[m[end]] if m[end] else "")
    shown = bianzhi("compare", str(plans["base"]), str(plans["reserve-5"])).stdout
    first = compared["changed_demands"][0]
    assert f"{first['unit_name']} ({first['unit_id']})" in shown
