"""The bundled Bazhong scenario end to end: the CLI, the golden plan, CSV vs workbook."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "bazhong-2021.yaml"
GOLDEN = REPO / "tests" / "golden"


def bianzhi(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "solver.cli", *args], capture_output=True,
                          text=True, check=check)


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    base = tmp_path_factory.mktemp("plans")
    out = {}
    for solver in ("highs", "cbc"):
        bianzhi("run", str(SCENARIO), "--out", str(base / solver), "--solver", solver)
        out[solver] = base / solver
    return out


def test_run_writes_a_complete_plan_that_verifies(plans):
    plan = plans["highs"]
    for name in ("moves.csv", "units.csv", "pool.csv", "demands.csv", "summary.json"):
        assert (plan / name).exists()
    result = bianzhi("verify", str(plan))
    assert "every hard rule holds" in result.stdout
    summary = json.loads((plan / "summary.json").read_text())
    assert summary["solver"]["status"] == "optimal"
    assert summary["scenario"]["policy"]["reserve_rate"] == 0.03
    assert len(summary["inputs"]["checksum"]) == 64
    for qt, reserve in summary["reserve"].items():
        for region, r in reserve["by_region"].items():
            had = r["vacancy_before"] - r["returns_held"]  # a return holds its vacancy
            assert r["vacancy_after"] >= min(r["floor"], had), (qt, region)
    for total in summary["totals"].values():
        assert total["approved_after"] + total["pool_after"] == \
            total["approved_before"] + total["pool_before"]


@pytest.mark.parametrize("name", ["demands", "moves", "assignments"])
def test_golden_plan_and_solvers_agree_exactly(plans, name):
    """The plan is unique (tie-breaks by id): HiGHS and CBC write the same files."""
    golden = (GOLDEN / f"bazhong-2021-{name}.csv").read_text(encoding="utf-8")
    assert (plans["highs"] / f"{name}.csv").read_text(encoding="utf-8") == golden
    assert (plans["cbc"] / f"{name}.csv").read_text(encoding="utf-8") == golden


def test_verify_names_a_tampered_move(plans, tmp_path):
    import shutil

    plan = tmp_path / "plan"
    shutil.copytree(plans["highs"], plan)
    lines = (plan / "moves.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    idx = next(i for i, line in enumerate(lines[1:], 1) if line.startswith("transfer,"))
    cells = lines[idx].split(",")
    cells[header.index("amount")] = str(int(cells[header.index("amount")]) + 50)
    lines[idx] = ",".join(cells)
    (plan / "moves.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = bianzhi("verify", str(plan), check=False)
    assert result.returncode == 3
    assert "only vacant quotas leave a unit" in result.stderr
    assert "Traceback" not in result.stderr


def test_failed_run_leaves_an_existing_plan_untouched(plans, tmp_path):
    import shutil

    plan = tmp_path / "plan"
    shutil.copytree(plans["highs"], plan)
    before = {p.name: p.read_bytes() for p in plan.iterdir()}
    # hard key demands that cannot be met: the run fails and must not write anything
    result = bianzhi("run", str(SCENARIO), "--out", str(plan), "--set",
                     "policy.key_demands_hard=true", "--set", "policy.reserve_rate=0.2",
                     check=False)
    assert result.returncode == 3
    assert "hard key demands cannot all be met" in result.stderr
    assert "reserve floor" in result.stderr
    assert {p.name: p.read_bytes() for p in plan.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".plan")]


def test_set_overrides_change_the_plan(tmp_path):
    result = bianzhi("run", str(SCENARIO), "--out", str(tmp_path / "p"), "--json",
                     "--set", "policy.reserve_rate=0.06", "--no-marginals")
    summary = json.loads(result.stdout)
    assert summary["scenario"]["policy"]["reserve_rate"] == 0.06
    base = json.loads((GOLDEN.parent / "golden" / "bazhong-2021-summary-met.json").read_text())
    assert summary["met"]["operational"]["met"] < base["operational"]["met"]


def test_bad_override_is_a_clear_error(tmp_path):
    result = bianzhi("run", str(SCENARIO), "--out", str(tmp_path / "p"),
                     "--set", "policy.reserve_rat=0.06", check=False)
    assert result.returncode == 2
    assert "policy.reserve_rat" in result.stderr and "unknown key" in result.stderr
    assert not (tmp_path / "p").exists()


def test_inventory_is_identical_on_csv_folder_and_workbook():
    csv = json.loads(bianzhi("inventory", str(REPO / "scenarios/bazhong-2021"), "--json").stdout)
    xlsx = json.loads(bianzhi("inventory", str(REPO / "scenarios/bazhong-2021.xlsx"),
                              "--json").stdout)
    csv.pop("path"), xlsx.pop("path")
    assert csv == xlsx


def test_inventory_takes_a_level_as_the_data_or_its_label_writes_it_and_names_the_values():
    """--level 市级 is --level city; a value matching nothing is exit 2 listing what exists."""
    zh = json.loads(bianzhi("inventory", str(SCENARIO), "--json", "--region", " Bazhong ",
                            "--level", "市级").stdout)
    en = json.loads(bianzhi("inventory", str(SCENARIO), "--json", "--region", "bazhong",
                            "--level", "city").stdout)
    assert zh == en and zh["units"]["institutions"] == 292
    bad = bianzhi("inventory", str(SCENARIO), "--level", "province", check=False)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "--level 'province' matches no unit; the data has: city (市级), county (县级), " \
           "township (乡镇)" in bad.stderr
    bad = bianzhi("inventory", str(SCENARIO), "--region", "nowhere", check=False)
    assert bad.returncode == 2 and "bazhou" in bad.stderr


def test_warnings_are_counted_by_kind_and_all_kept_in_the_plan_folder(tmp_path):
    """The terminal shows the count by file and column and the first five; warnings.csv in the
    plan folder holds every one, where it was found; --warnings all lists them all."""
    import csv

    r = bianzhi("run", str(SCENARIO), "--out", str(tmp_path / "p"), "--no-marginals",
                "--report", "--profile")
    # the report's path and the whole command's time are printed
    assert f"Report written to {tmp_path / 'p' / 'report.html'}" in r.stdout
    assert re.search(r"Plan written to .*; the whole command took \d+\.\d\ds", r.stdout)
    with open(tmp_path / "p" / "warnings.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    summary = json.loads((tmp_path / "p" / "summary.json").read_text(encoding="utf-8"))
    assert len(rows) == summary["inputs"]["warnings"] > 5
    # the timings cover start-up, the summary and writing the folder too
    timings = summary["timings"]
    assert timings["write"] > 0 and timings["total"] > 0
    assert timings["startup"] > 0 and timings["summary"] > 0
    # --profile: a table of the phases on stderr, the report's own row, the whole command
    profile = r.stderr[r.stderr.index("Where the time went"):]
    for phase in ("startup", "load", "cadres", "build", "solve", "extract", "verify",
                  "summary", "write", "report", "other", "whole"):
        assert re.search(rf"\n│ {phase} +│", profile), phase
    assert rows[0]["file"] == "units.csv" and rows[0]["row"] and rows[0]["column"]
    assert f"{len(rows)} warnings (units.csv " in r.stderr
    assert r.stderr.count("\n  - ") == 5
    assert f"… and {len(rows) - 5} more: all of them in {tmp_path / 'p' / 'warnings.csv'}" \
        in r.stderr
    every = bianzhi("inventory", str(SCENARIO), "--warnings", "all")
    assert every.stderr.count("\n  - ") == len(rows)
    bad = bianzhi("inventory", str(SCENARIO), "--warnings", "most", check=False)
    assert bad.returncode == 2 and "expected few or all" in bad.stderr


@pytest.mark.parametrize("command", ["inventory", "generate", "run", "sweep", "compare",
                                     "report", "verify", "bench", None])
def test_every_help_says_how_to_see_an_internal_errors_traceback(command):
    help_ = bianzhi(*([command] if command else []), "--help").stdout
    assert "--debug" in help_ and "traceback" in help_
    # written for a person: no value type on a flag, arguments by name in capitals
    assert "<bool>" not in help_ and not re.search(r"\{[a-z_]+\}", help_)
    if command in ("run", "sweep"):
        assert f"Usage: bianzhi {command} [OPTIONS] TARGET" in help_


def test_a_bad_solver_names_the_option_it_came_from():
    bad = bianzhi("bench", "--solvers", "gurobi", check=False)
    assert bad.returncode == 2 and "--solvers" in bad.stderr


def test_inventory_prints_tables_not_python_values_and_keeps_columns_whole_when_piped():
    text = bianzhi("inventory", str(SCENARIO)).stdout  # piped: not a terminal
    assert "{'" not in text and "'}" not in text
    assert "…" not in text.split("departments with most")[0]  # no column cut
    header = next(line for line in text.splitlines() if "┃ cadre level" in line)
    assert header.index("age <40") < header.index("age 40-49") < header.index("age 58-60")
    assert "women" in header and "men" in header and "healthy" in header
    row = next(line for line in text.splitlines() if "city_managed" in line).split("│")
    assert [c.strip() for c in row[2:3]] == ["115"]


def test_inventory_reproduces_the_seed_figures_at_city_level():
    inv = json.loads(bianzhi("inventory", str(SCENARIO), "--json", "--region", "bazhong",
                             "--level", "city").stdout)
    assert inv["units"]["institutions"] == 292
    assert inv["units"]["small_le7"] == 149
    assert inv["units"]["small_le5"] == 107
    assert inv["aux"]["departments"] == 64
    assert 3980 <= inv["aux"]["headcount"] < 4000
    shares = inv["aux"]["share_by_system"]
    for system, share in {"health": 29.9, "public_security": 12.63, "urban_management": 10.75,
                          "education": 7.5, "natural_resources": 7.35, "housing": 3.9,
                          "transport": 1.73}.items():
        assert abs(shares[system] - share) <= 0.1
    people = inv["people"]
    assert people["count"] == 187
    cm = people["by_cadre_level"]["city_managed"]
    assert cm["age_band"] == {"40-49": 6, "50-54": 14, "55-57": 57, "58-60": 38}
    assert cm["gender"] == {"F": 19, "M": 96}
    assert cm["health"] == {"chronic": 2, "healthy": 110, "serious": 3}
    sb = people["by_cadre_level"]["section_or_below"]
    assert sb["quota_type"] == {"administrative": 8, "institution": 37, "political_legal": 27}
    assert sb["in_civil_service_managed_units"] == 2
    assert sb["surplus_reason"] == {"absent_without_reason": 2, "missing": 1, "seconded": 44,
                                    "sick_leave": 22, "stranded_abroad": 1,
                                    "trial_elsewhere": 2}
    assert cm["work_status"] == {"assisting": 46, "idle": 16, "in_charge": 53}
    assert len(people["follow_up_notice"]) == 3
    clusters = {c["name"]: c["small_le5"] for c in inv["units"]["small_clusters"]}
    assert sorted(clusters.values(), reverse=True)[:3] == [9, 5, 5]


def test_a_time_limit_gives_a_marked_plan_or_a_clear_message(tmp_path):
    result = bianzhi("run", str(SCENARIO), "--out", str(tmp_path / "p"), "--time-limit",
                     "0.00001", "--json", check=False)
    assert "Traceback" not in result.stderr
    if result.returncode == 0:
        summary = json.loads(result.stdout)
        assert summary["solver"]["proven_optimal"] is (summary["solver"]["status"] == "optimal")
    else:
        assert result.returncode == 3
        assert "stopped without a plan" in result.stderr and "--time-limit" in result.stderr
        assert not (tmp_path / "p").exists()
