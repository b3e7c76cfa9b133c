"""Scenario files and options that must be refused, not misread: hostile YAML, odd encodings,
paths that are not files, numbers out of range, malformed --set, oversized sweeps.

Everything goes through the real command (`solver.cli.main`, in-process; a subprocess with a
timeout where a regression would hang or eat the memory): exit 2, one message naming the file,
the key path and the line, no traceback, no "internal error", nothing written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import small_data

from solver.cli import main
from solver.errors import ScenarioError
from solver.scenario import MAX_ALIASES, load_scenario

REPO = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def cli(capsys, *args: str) -> tuple[int, str]:
    """Run the command in-process: (exit code, stderr)."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main([*args])
    code = stop.value.code if isinstance(stop.value.code, int) else 0
    return code, capsys.readouterr().err


def refused(capsys, tmp_path: Path, scenario: Path, *extra: str) -> str:
    """`run` of the scenario is exit 2 with a clean message and writes no plan."""
    out = tmp_path / "plan"
    code, stderr = cli(capsys, "run", str(scenario), "--out", str(out), "--no-marginals",
                       *extra)
    assert code == 2, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    assert not out.exists(), "a refused scenario must write no plan folder"
    return stderr


def subprocess_cli(*args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "solver.cli", *args], check=False,
                          capture_output=True, text=True, cwd=REPO, timeout=timeout)


@pytest.fixture
def folder(tmp_path):
    small_data(tmp_path / "data")
    return tmp_path


# ---------------------------------------------------------------- hostile YAML

BILLION_LAUGHS = """\
data: data
description: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_billion_laughs_is_refused(folder):
    bomb = write(folder / "bomb.yaml", BILLION_LAUGHS)
    out = folder / "plan"
    result = subprocess_cli("run", str(bomb), "--out", str(out), timeout=20)
    assert result.returncode == 2, result.stderr
    assert str(bomb) in result.stderr and "alias" in result.stderr
    assert "line 8" in result.stderr  # the alias beyond the limit
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_few_aliases_of_a_big_node_are_refused_by_size(capsys, folder):
    """Under the alias limit, aliases of aliases still expand geometrically: 2**25 nodes."""
    lines = ["data: data", "description: x", "a0: &a0 [1, 2]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 25)]
    assert 2 * 24 <= MAX_ALIASES
    stderr = refused(capsys, folder, write(folder / "wide.yaml", "\n".join(lines) + "\n"))
    assert "wide.yaml, line" in stderr and "expands to more than" in stderr


def test_anchors_a_person_would_write_are_fine(folder):
    path = write(folder / "ok.yaml", """
        data: data
        cadres:
          weights: &w {skills: 3, preference: 2}
        overrides:
          same: {cadres: {weights: *w}}
    """)
    assert load_scenario(path).cadres.weights.skills == 3


def test_a_long_file_without_aliases_is_fine(folder):
    """The size bound is on expansion, not on honest length: 3,000 added rows load."""
    rows = "\n".join(f"      - {{demand_id: x{i}, unit_id: B, quota_type: institution, "
                     f"tier: operational, amount: 1}}" for i in range(3000))
    path = folder / "long.yaml"
    path.write_text(f"data: data\ndata_edits:\n  - table: demands\n    add:\n{rows}\n",
                    encoding="utf-8")
    assert len(load_scenario(path).data_edits[0].add) == 3000


def test_an_alias_to_its_own_list_is_refused(capsys, folder):
    path = write(folder / "self.yaml", "data: data\nsweep: &s\n  x: *s\n")
    stderr = refused(capsys, folder, path)
    assert "self.yaml, line" in stderr and "contains it" in stderr


def test_deep_nesting_is_refused_with_the_line(capsys, folder):
    deep = "[" * 5000 + "]" * 5000
    stderr = refused(capsys, folder, write(folder / "deep.yaml", f"data: data\nsweep: {deep}\n"))
    assert "deep.yaml, line 2" in stderr and "nested more than" in stderr


@pytest.mark.parametrize("number", ["9" * 5000, "-0x" + "f" * 5000, "1" + "_000" * 1666])
def test_an_absurd_integer_is_refused_with_the_line(capsys, folder, number):
    stderr = refused(capsys, folder, write(folder / "big.yaml",
                                           f"data: data\nyear: {number}\n"))
    assert "big.yaml, line 2" in stderr and "digits" in stderr
    assert len(stderr) < 1000  # the number is not echoed back


def test_an_absurd_integer_in_set_is_refused(capsys, folder):
    scenario = write(folder / "s.yaml", "data: data\n")
    stderr = refused(capsys, folder, scenario, "--set", "year=" + "1" * 5000)
    assert "--set" in stderr and "digits" in stderr


def test_a_gbk_file_is_refused_with_the_line(capsys, folder):
    path = folder / "gbk.yaml"
    path.write_bytes("data: data\nname: 巴中市编制方案\n".encode("gbk"))
    stderr = refused(capsys, folder, path)
    assert f"{path}, line 2" in stderr and "not UTF-8" in stderr and "GBK" in stderr


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_a_utf16_file_is_refused(capsys, folder, encoding):
    path = folder / "wide.yaml"
    path.write_bytes("data: data\nname: 方案\n".encode(encoding))
    stderr = refused(capsys, folder, path)
    assert f"{path}, line 1" in stderr and ("UTF-16" in stderr)


def test_a_utf8_bom_is_read(folder):
    path = folder / "bom.yaml"
    path.write_bytes("data: data\nname: 方案\n".encode("utf-8-sig"))
    assert load_scenario(path).name == "方案"


# ---------------------------------------------------------------- paths that are not files


def test_extends_of_a_folder_is_refused(capsys, folder):
    (folder / "base").mkdir()
    child = write(folder / "child.yaml", "data: data\nextends: base\n")
    stderr = refused(capsys, folder, child)
    assert f"{child}, line 2: extends:" in stderr
    assert str(folder / "base") in stderr and "a folder" in stderr


def test_extends_of_a_device_is_refused(capsys, folder):
    child = write(folder / "child.yaml", "data: data\nextends: /dev/zero\n")
    stderr = refused(capsys, folder, child)
    assert f"{child}, line 2: extends:" in stderr and "/dev/zero: a device" in stderr


def test_extends_of_a_fifo_is_refused_without_waiting(folder):
    os.mkfifo(folder / "pipe.yaml")
    child = write(folder / "child.yaml", "data: data\nextends: pipe.yaml\n")
    result = subprocess_cli("run", str(child), "--out", str(folder / "plan"))
    assert result.returncode == 2, result.stderr
    assert f"{child}, line 2: extends:" in result.stderr and "FIFO" in result.stderr


def _dangling(folder: Path) -> Path:
    (folder / "gone.yaml").symlink_to(folder / "nowhere.yaml")
    return folder / "gone.yaml"


def _looping(folder: Path) -> Path:
    (folder / "loop-a.yaml").symlink_to(folder / "loop-b.yaml")
    (folder / "loop-b.yaml").symlink_to(folder / "loop-a.yaml")
    return folder / "loop-a.yaml"


def _directory(folder: Path) -> Path:
    (folder / "dir.yaml").mkdir()
    return folder / "dir.yaml"


def _fifo(folder: Path) -> Path:
    os.mkfifo(folder / "fifo.yaml")
    return folder / "fifo.yaml"


@pytest.mark.parametrize("make, phrase", [
    (_dangling, "which does not exist"),
    (_looping, "loops"),
    (_directory, "a folder"),
    (_fifo, "FIFO"),
], ids=["dangling link", "looping link", "folder", "fifo"])
def test_a_scenario_path_that_is_not_a_file(folder, make, phrase):
    """A subprocess with a timeout: a regression here is a hang, not a failure."""
    path = make(folder)
    result = subprocess_cli("run", str(path), "--out", str(folder / "plan"))
    assert result.returncode == 2, result.stderr
    assert str(path) in result.stderr and phrase in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert not (folder / "plan").exists()


# ---------------------------------------------------------------- number options


@pytest.mark.parametrize("assignment, key, phrase", [
    ("policy.source_costs.pool=.inf", "policy.source_costs.pool", "finite"),
    ("policy.source_costs.pool=.nan", "policy.source_costs.pool", "finite"),
    ("policy.source_costs.other=1e4", "policy.source_costs.other", "less than or equal to 1000"),
    ("policy.incentive=.inf", "policy.incentive", "finite"),
    ("policy.incentive=-1", "policy.incentive", "greater than or equal to 0"),
    ("policy.incentive=101", "policy.incentive", "less than or equal to 100"),
    ("policy.reserve_rate=.nan", "policy.reserve_rate", "finite"),
    ("policy.reserve_rate={institution: .inf}", "policy.reserve_rate", "finite"),
    ("cadres.weights.skills=.inf", "cadres.weights.skills", "finite"),
    ("cadres.weights.health=-0.5", "cadres.weights.health", "greater than or equal to 0"),
    ("cadres.transfer_min_fit=1.5", "cadres.transfer_min_fit", "less than or equal to 1"),
    ("cadres.transfer_min_fit=.nan", "cadres.transfer_min_fit", "finite"),
    ("aux.reduction=1", "aux.reduction", "less than 1"),
    ("aux.vacancy_offset=.inf", "aux.vacancy_offset", "finite"),
    ("aux.vacancy_offset=101", "aux.vacancy_offset", "less than or equal to 100"),
    ("aux.essential_weights.medical=0", "aux.essential_weights.medical", "greater than 0"),
    ("aux.essential_weights.medical=.inf", "aux.essential_weights.medical", "finite"),
    ("aux.essential_weights.nurse=1", "aux.essential_weights", "unknown category nurse"),
    ("consolidation.threshold=40", "consolidation", "must not exceed max_size 30"),
    ("consolidation.overhead_per_unit=-1", "consolidation.overhead_per_unit",
     "greater than or equal to 0"),
    ("year=1949", "year", "greater than or equal to 1950"),
    ("year=2101", "year", "less than or equal to 2100"),
    ("solver.time_limit=0", "solver.time_limit", "greater than 0"),
    ("solver.time_limit=.inf", "solver.time_limit", "finite"),
])
def test_a_number_option_out_of_range_from_the_command_line(capsys, folder, assignment, key,
                                                            phrase):
    scenario = write(folder / "s.yaml", "data: data\n")
    stderr = refused(capsys, folder, scenario, "--set", assignment)
    assert f"--set: {key}:" in stderr and phrase in stderr, stderr


def test_a_number_option_out_of_range_in_a_file_names_file_key_and_line(capsys, folder):
    scenario = write(folder / "s.yaml", """
        data: data
        policy:
          source_costs:
            pool: .inf
        cadres:
          weights: {skills: 3, preference: -2}
    """)
    stderr = refused(capsys, folder, scenario)
    assert "2 problems" in stderr
    assert f"{scenario}, line 4: policy.source_costs.pool: Input should be a finite number" \
        in stderr
    assert f"{scenario}, line 6: cadres.weights.preference:" in stderr


def test_time_limit_on_the_command_line_is_checked(capsys, folder):
    scenario = write(folder / "s.yaml", "data: data\n")
    stderr = refused(capsys, folder, scenario, "--time-limit", "inf")
    assert "solver.time_limit" in stderr and "finite" in stderr


def test_an_exponent_without_a_dot_is_a_number(capsys, folder):
    """YAML 1.1 reads 5e-2 as text; where a number is expected it is 0.05."""
    scenario = write(folder / "s.yaml", """
        data: data
        policy: {reserve_rate: 5e-2, source_costs: {pool: 4E0}}
        cadres: {transfer_min_fit: 7e-1}
    """)
    loaded = load_scenario(scenario)
    assert loaded.policy.reserve_rate == 0.05
    assert loaded.policy.source_costs.pool == 4.0
    assert loaded.cadres.transfer_min_fit == 0.7
    assert load_scenario(scenario, ["policy.incentive=1e-1"]).policy.incentive == 0.1
    # still a name where a name is expected
    assert load_scenario(scenario, ["name=5e-2"]).name == "5e-2"
    out = folder / "plan"
    code, stderr = cli(capsys, "run", str(scenario), "--out", str(out), "--no-marginals",
                       "--set", "policy.reserve_rate=3e-2")
    assert code == 0, stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"]["policy"]["reserve_rate"] == 0.03


# ---------------------------------------------------------------- --set


def test_set_of_one_map_key_merges_with_the_rest(capsys, folder):
    scenario = write(folder / "s.yaml", """
        data: data
        aux:
          essential_weights: {logistics: 0.5}
    """)
    out = folder / "plan"
    code, stderr = cli(capsys, "run", str(scenario), "--out", str(out), "--no-marginals",
                       "--set", "aux.essential_weights.medical=2")
    assert code == 0, stderr
    weights = json.loads((out / "summary.json").read_text(encoding="utf-8"))[
        "scenario"]["aux"]["essential_weights"]
    assert weights == {"medical": 2.0, "auxiliary_police": 3.0, "teaching_aide": 2.0,
                       "inspector": 1.0, "service_window": 1.0, "logistics": 0.5,
                       "other": 1.0}


@pytest.mark.parametrize("assignment, phrase", [
    ("=5", "no key before '='"),
    (" =5", "no key before '='"),
    ("a..b=1", "empty part"),
    (".policy=1", "empty part"),
    ("policy.=1", "empty part"),
    ("x", "expected key=value"),
    ("policy.reserve_rate=[", "not valid YAML"),
    ("policy.reserve_rate=*x", "not valid YAML"),
    (".".join(["a"] * 30) + "=1", "30 parts"),
])
def test_malformed_set_is_refused(capsys, folder, assignment, phrase):
    scenario = write(folder / "s.yaml", "data: data\n")
    stderr = refused(capsys, folder, scenario, "--set", assignment)
    assert f"--set {assignment!r}" in stderr and phrase in stderr, stderr


# ---------------------------------------------------------------- data edits


@pytest.mark.parametrize("edit, key, phrase", [
    ("{table: demands, scale: {amount: .inf}}", "data_edits.0.scale.amount", "finite"),
    ("{table: demands, set: {amount: .nan}}", "data_edits.0.set", "amount: nan is not"),
    ("{table: demands, add: [{demand_id: d9, amount: -.inf}]}", "data_edits.0.add",
     "0.amount: -inf is not"),
    ("{table: demands, where: [{column: amount, op: '>', value: .nan}], drop: true}",
     "data_edits.0.where.0.value", "nan is not a finite number"),
])
def test_data_edit_arguments_are_finite(capsys, folder, edit, key, phrase):
    scenario = write(folder / "s.yaml", f"data: data\ndata_edits:\n  - {edit}\n")
    stderr = refused(capsys, folder, scenario)
    assert f"{scenario}, line 3: {key}:" in stderr and phrase in stderr, stderr


def test_a_data_edit_scale_in_exponent_form_is_a_number(folder):
    scenario = write(folder / "s.yaml", """
        data: data
        data_edits:
          - {table: demands, scale: {amount: 15e-1}}
    """)
    assert load_scenario(scenario).data_edits[0].scale == {"amount": 1.5}


# ---------------------------------------------------------------- sweeps


def test_a_sweep_above_the_limit_is_refused_before_anything_is_written(capsys, folder):
    rates = ", ".join(f"0.0{i}" for i in range(10))
    years = ", ".join(str(2000 + i) for i in range(40))
    costs = ", ".join(str(4 + i) for i in range(3))
    scenario = write(folder / "big.yaml", f"""
        data: data
        sweep:
          policy.reserve_rate: [{rates}]
          year: [{years}]
          policy.source_costs.pool: [{costs}]
    """)
    out = folder / "sweep"
    code, stderr = cli(capsys, "sweep", str(scenario), "--out", str(out))
    assert code == 2, stderr
    assert str(scenario) in stderr and "1,200 points" in stderr and "--max-points" in stderr
    assert not out.exists()


def test_max_points_raises_and_lowers_the_limit(capsys, folder):
    scenario = write(folder / "two.yaml", """
        data: data
        sweep:
          policy.reserve_rate: [0.02, 0.05]
    """)
    out = folder / "sweep"
    code, stderr = cli(capsys, "sweep", str(scenario), "--out", str(out), "--max-points", "1")
    assert code == 2 and "2 points" in stderr and not out.exists(), stderr
    code, stderr = cli(capsys, "sweep", str(scenario), "--out", str(out), "--max-points", "0")
    assert code == 2 and "--max-points" in stderr and not out.exists(), stderr
    code, stderr = cli(capsys, "sweep", str(scenario), "--out", str(out), "--max-points", "2",
                       "--workers", "1")
    assert code == 0, stderr
    assert (out / "results.csv").exists()


def test_an_infinite_swept_value_fails_its_point_only(capsys, folder):
    """A sweep reports a failing point and runs the others (solver/sweep.py); an infinite
    value is such a failure, named, never a plan with NaN in it."""
    scenario = write(folder / "bad.yaml", """
        data: data
        sweep:
          policy.source_costs.pool:
            - 5e0
            - .inf
    """)
    out = folder / "sweep"
    code, stderr = cli(capsys, "sweep", str(scenario), "--out", str(out), "--workers", "1")
    assert code == 3, stderr
    assert "point p001 failed" in stderr
    assert "sweep point: policy.source_costs.pool: Input should be a finite number" in stderr
    assert (out / "p000" / "summary.json").exists() and not (out / "p001").exists()
    summary = json.loads((out / "p000" / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"]["policy"]["source_costs"]["pool"] == 5.0


def test_the_python_api_raises_scenario_error(tmp_path):
    path = write(tmp_path / "s.yaml", "data: .\nyear: 1800\n")
    with pytest.raises(ScenarioError, match=r"s\.yaml, line 2: year"):
        load_scenario(path)
