"""Scenario files: the one priority order end to end, and every kind of schema error.

The priority (solver.scenario.resolve_priority), lowest first: defaults < extends chain
(farthest first) < the file itself < applied overrides in order < data_edits < a sweep point
< --set. Errors go through the real CLI: exit 2, one message naming the file, the key path and
the line, no traceback, no plan folder.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import small_data

from solver.errors import ScenarioError
from solver.runner import load_data
from solver.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "scenarios" / "bazhong-2021.yaml"


def bianzhi(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "solver.cli", *args], check=False,
                          capture_output=True, text=True, cwd=cwd or REPO)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


# ---------------------------------------------------------------- the priority, end to end


@pytest.fixture
def chain(tmp_path):
    """grand.yaml ← mid/parent.yaml ← mid/leaf/child.yaml, data folders beside the files."""
    root = tmp_path / "scen"
    small_data(root / "data")          # named by grand.yaml and by its override `second`
    small_data(root / "mid" / "data2")  # named by parent.yaml, relative to parent.yaml
    write(root / "grand.yaml", """
        name: grand
        data: data
        year: 2021
        policy:
          reserve_rate: 0.01
          incentive: 1
          full_units_release_first: []
        overrides:
          first:
            policy: {reserve_rate: 0.04, incentive: 2}
            data_edits:
              - {table: demands, where: [{column: demand_id, value: d1}], scale: {amount: 0.5}}
          second:
            data: data
            policy: {reserve_rate: 0.05}
        data_edits:
          - {table: demands, where: [{column: demand_id, value: d1}], scale: {amount: 2}}
        """)
    write(root / "mid" / "parent.yaml", """
        extends: ../grand.yaml
        name: parent
        data: data2
        policy:
          reserve_rate: 0.02
          key_demands_hard: false
        solver: {name: highs}
        """)
    write(root / "mid" / "leaf" / "child.yaml", """
        extends: [../parent.yaml]
        name: child
        description: the leaf of the chain
        policy:
          reserve_rate: 0.03
        apply: [first]
        data_edits:
          - {table: demands, where: [{column: demand_id, value: d1}], set: {amount: 9}}
        """)
    return root


def test_chain_file_and_override_layers(chain):
    s = load_scenario(chain / "mid" / "leaf" / "child.yaml")
    assert s.name == "child"                                  # the file beats its parents
    assert s.description == "the leaf of the chain"
    assert s.year == 2021                                     # only the grandparent sets it
    assert s.policy.full_units_release_first == []            # grandparent, never overridden
    assert s.policy.key_demands_hard is False                 # parent
    assert s.policy.reserve_rate == 0.04                      # override `first` beats the file
    assert s.policy.incentive == 2                            # … and the grandparent
    assert s.policy.source_costs.pool == 4.0                  # defaults at the bottom
    # data is relative to the file that names it (parent.yaml), not to the child
    assert s.data_path == (chain / "mid" / "data2").resolve()
    assert s.sources == [str((chain / p).resolve()) for p in
                         ("grand.yaml", "mid/parent.yaml", "mid/leaf/child.yaml")]
    assert s.applied_overrides == ["first"]
    # every layer's edits, farthest file first, then those of the applied overrides
    assert [(e.set or e.scale) for e in s.data_edits] == [{"amount": 2.0}, {"amount": 9},
                                                          {"amount": 0.5}]


def test_data_edits_come_after_the_files_and_the_overrides(chain):
    s = load_scenario(chain / "mid" / "leaf" / "child.yaml")
    ds = load_data(s)
    amounts = ds.demands.set_index("demand_id")["amount"]
    # 3 × 2 (grand) → set 9 (child) → × 0.5 (override first) = 4.5 → 5 (half up)
    assert amounts["d1"] == 5
    assert amounts["d2"] == 2


def test_apply_order_later_wins(chain):
    child = chain / "mid" / "leaf" / "child.yaml"
    s = load_scenario(child, apply=["second"])               # after the file's [first]
    assert s.applied_overrides == ["first", "second"]
    assert s.policy.reserve_rate == 0.05
    assert s.policy.incentive == 2                            # `second` leaves it alone
    # an override's data path is relative to the file that defines it (grand.yaml)
    assert s.data_path == (chain / "data").resolve()
    again = load_scenario(child, apply=["second", "first"])
    assert again.applied_overrides == ["first", "second", "first"]
    assert again.policy.reserve_rate == 0.04


def test_a_file_apply_list_in_order(chain):
    write(chain / "mid" / "leaf" / "order.yaml", """
        extends: ../parent.yaml
        apply: [second, first]
        """)
    s = load_scenario(chain / "mid" / "leaf" / "order.yaml")
    assert s.applied_overrides == ["second", "first"]
    assert s.policy.reserve_rate == 0.04


def test_sweep_point_beats_overrides_and_set_beats_everything(chain):
    child = chain / "mid" / "leaf" / "child.yaml"
    point = [(["policy", "reserve_rate"], 0.06)]
    s = load_scenario(child, apply=["second"], point=point)
    assert s.policy.reserve_rate == 0.06
    assert s.point == {"policy.reserve_rate": 0.06}
    s = load_scenario(child, ["policy.reserve_rate=0.07", "name=from-the-command-line"],
                      ["second"], point)
    assert s.policy.reserve_rate == 0.07
    assert s.name == "from-the-command-line"
    # --set is above data_edits too: it can replace the resolved list
    s = load_scenario(child, ["data_edits=[]"])
    assert s.data_edits == []
    assert load_data(s).demands.set_index("demand_id")["amount"]["d1"] == 3


def test_a_shared_base_is_read_once(tmp_path):
    """child extends [a, b], both extend base: base must not come back after a and undo it."""
    small_data(tmp_path / "data")
    write(tmp_path / "base.yaml", "data: data\npolicy: {reserve_rate: 0.01, incentive: 1}\n")
    write(tmp_path / "a.yaml", "extends: base.yaml\npolicy: {reserve_rate: 0.02}\n")
    write(tmp_path / "b.yaml", "extends: base.yaml\npolicy: {incentive: 3}\n")
    write(tmp_path / "child.yaml", "extends: [a.yaml, b.yaml]\n")
    s = load_scenario(tmp_path / "child.yaml")
    assert [Path(p).name for p in s.sources] == ["base.yaml", "a.yaml", "b.yaml", "child.yaml"]
    assert s.policy.reserve_rate == 0.02
    assert s.policy.incentive == 3


def test_summary_records_the_resolution_and_the_inputs(chain, tmp_path):
    child = chain / "mid" / "leaf" / "child.yaml"
    out = tmp_path / "plans"
    args = ["run", str(child), "--apply", "second", "--set", "policy.incentive=3",
            "--no-marginals"]
    first = bianzhi(*args, "--out", str(out / "a"))
    assert first.returncode == 0, first.stderr
    summary = json.loads((out / "a" / "summary.json").read_text(encoding="utf-8"))
    scenario = summary["scenario"]
    files = [str((chain / p).resolve()) for p in
             ("grand.yaml", "mid/parent.yaml", "mid/leaf/child.yaml")]
    assert scenario["resolution"] == {
        "files": files,
        "applied_overrides": ["first", "second"],
        "point": {},
        "sets": ["policy.incentive=3"],
        # what verify re-resolves the scenario from, and how it knows the files are the same
        "checksums": {f: hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in files},
    }
    assert scenario["name"] == "child"
    assert scenario["policy"]["reserve_rate"] == 0.05
    assert scenario["policy"]["incentive"] == 3
    assert scenario["data"] == str((chain / "data").resolve())
    assert [e.get("scale") or e.get("set") for e in scenario["data_edits"]] == [
        {"amount": 2.0}, {"amount": 9}, {"amount": 0.5}]
    # the resolution keys themselves are not part of the resolved scenario
    assert not {"extends", "overrides", "apply"} & set(scenario)
    checksum = summary["inputs"]["checksum"]
    assert len(checksum) == 64

    # same inputs, same edits → the same checksum
    same = bianzhi(*args, "--out", str(out / "b"))
    assert same.returncode == 0, same.stderr
    assert json.loads((out / "b" / "summary.json").read_text())["inputs"]["checksum"] == checksum

    # other edits → another checksum; no edits → the checksum of the files themselves
    other = bianzhi(*args, "--set", "data_edits=[]", "--out", str(out / "c"))
    assert other.returncode == 0, other.stderr
    plain = json.loads((out / "c" / "summary.json").read_text())["inputs"]["checksum"]
    assert plain != checksum
    bare = bianzhi("run", str(chain / "data"), "--no-marginals", "--set", "year=2021",
                   "--out", str(out / "d"))
    assert bare.returncode == 0, bare.stderr
    assert json.loads((out / "d" / "summary.json").read_text())["inputs"]["checksum"] == plain
    edited = bianzhi(*args, "--set", "data_edits=[{table: demands, where: [{column: demand_id, "
                     "value: d2}], set: {amount: 1}}]", "--out", str(out / "e"))
    assert edited.returncode == 0, edited.stderr
    assert json.loads((out / "e" / "summary.json").read_text())["inputs"]["checksum"] not in (
        checksum, plain)


def test_bundled_override_applies_through_the_cli(tmp_path):
    result = bianzhi("run", str(BUNDLED), "--apply", "reserve-5", "--no-marginals", "--json",
                     "--out", str(tmp_path / "p"))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["scenario"]["policy"]["reserve_rate"] == 0.05
    assert summary["scenario"]["resolution"]["applied_overrides"] == ["reserve-5"]
    assert summary["scenario"]["resolution"]["files"] == [str(BUNDLED.resolve())]


# ---------------------------------------------------------------- schema errors


DATA = "data"  # every error scenario sits next to a small data folder


def run_error(tmp_path: Path, text: str, *extra: str, name: str = "bad.yaml"
              ) -> subprocess.CompletedProcess:
    small_data(tmp_path / DATA)
    scenario = write(tmp_path / name, text)
    out = tmp_path / "plan"
    result = bianzhi("run", str(scenario), "--out", str(out), *extra)
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert not out.exists(), "a scenario error must write no plan folder"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".plan")]
    return result


def assert_names(stderr: str, file: Path, key: str, line: int) -> None:
    assert str(file) in stderr, stderr
    assert f"line {line}:" in stderr or f"line {line}," in stderr, stderr
    assert key in stderr, stderr


SCHEMA_ERRORS = {
    # id: (scenario text, key path, line, a phrase of the message)
    "unknown top-level key": ("""
        name: x
        data: data
        polcy: {reserve_rate: 0.05}
        """, "polcy", 3, "unknown key"),
    "unknown nested key": ("""
        data: data
        policy:
          incentive: 0
          reserve_rat: 0.05
        """, "policy.reserve_rat", 4, "unknown key"),
    "wrong type": ("""
        data: data
        policy:
          incentive: high
        """, "policy.incentive", 3, "valid number (got 'high')"),
    "a quoted number is a string": ("""
        data: data
        policy:
          incentive: "1"
        """, "policy.incentive", 3, "valid number (got '1')"),
    "true is not a year": ("""
        data: data
        year: true
        """, "year", 2, "valid integer"),
    "bad enum": ("""
        data: data
        solver:
          name: glpk
        """, "solver.name", 3, "'highs' or 'cbc' (got 'glpk')"),
    "reserve rate above 1": ("""
        data: data
        policy:
          reserve_rate: 1.5
        """, "policy.reserve_rate", 3, "must be between 0 and 1"),
    "reserve rate of an unknown quota type": ("""
        data: data
        policy:
          reserve_rate: {institution: 0.03, teachers: 0.05}
        """, "policy.reserve_rate", 3, "unknown quota type"),
    "a ladder that does not rise": ("""
        data: data
        policy:
          source_costs:
            same_system: 2
            same_sector: 1
        """, "policy.source_costs", 3, "must rise along the ladder"),
    "unknown key in an override that is not applied": ("""
        data: data
        overrides:
          later:
            policy:
              reserve_rat: 0.05
        """, "overrides.later.policy.reserve_rat", 5, "unknown key"),
    "wrong type in an override that is not applied": ("""
        data: data
        overrides:
          later:
            solver: {name: glpk}
        """, "overrides.later.solver.name", 4, "'highs' or 'cbc'"),
    "an override that is not a map": ("""
        data: data
        overrides:
          later: 5
        """, "overrides.later", 3, "valid dictionary"),
    "overrides as a list": ("""
        data: data
        overrides: [reserve-5]
        """, "overrides", 2, "a map of named patches"),
    "extends inside an override": ("""
        data: data
        overrides:
          later:
            extends: other.yaml
        """, "overrides.later.extends", 4, "not allowed inside an override"),
    "apply of an undefined override in the file": ("""
        data: data
        apply: [reserve-9]
        overrides:
          reserve-5: {policy: {reserve_rate: 0.05}}
        """, "apply", 2, "override 'reserve-9' is not defined"),
    "a repeated key": ("""
        data: data
        policy:
          reserve_rate: 0.03
          reserve_rate: 0.05
        """, "policy.reserve_rate", 4, "repeated key (first on line 3)"),
    "a list instead of a map": ("""
        - name: x
        - data: data
        """, "(top level)", 1, "a scenario is a map"),
    "a sweep over a key that does not exist": ("""
        data: data
        sweep:
          policy.reserve_rat: [0.02, 0.03]
        """, "sweep.policy.reserve_rat", 3, "not a scenario key"),
    "a sweep below a plain value": ("""
        data: data
        sweep:
          policy.incentive.high: [1, 2]
        """, "sweep.policy.incentive.high", 3, "not a scenario key"),
    "a sweep over apply": ("""
        data: data
        overrides:
          reserve-5: {policy: {reserve_rate: 0.05}}
        sweep:
          apply: [[], [reserve-5]]
        """, "sweep.apply", 5, "cannot be swept"),
    "a sweep value that is not a list": ("""
        data: data
        sweep:
          policy.reserve_rate: 0.05
        """, "sweep.policy.reserve_rate", 3, "valid list"),
    "a data edit with two actions": ("""
        data: data
        data_edits:
          - table: demands
            where: [{column: tier, value: key}]
            drop: true
            scale: {amount: 2}
        """, "data_edits.0", 3, "exactly one of scale, set, add or drop"),
    "a data edit with no action": ("""
        data: data
        data_edits:
          - table: demands
            where: [{column: tier, value: key}]
        """, "data_edits.0", 3, "exactly one of scale, set, add or drop"),
    "a data edit on an unknown table": ("""
        data: data
        data_edits:
          - table: demandz
            drop: true
        """, "data_edits.0.table", 3, "(got 'demandz')"),
    "a data edit with an unknown operator": ("""
        data: data
        data_edits:
          - table: demands
            where:
              - {column: amount, op: like, value: 3}
            drop: true
        """, "data_edits.0.where.0.op", 5, "(got 'like')"),
    "data_edits as a map": ("""
        data: data
        data_edits: {table: demands, drop: true}
        """, "data_edits", 2, "a list of edits"),
}


@pytest.mark.parametrize("case", list(SCHEMA_ERRORS), ids=list(SCHEMA_ERRORS))
def test_schema_error_names_file_key_and_line(tmp_path, case):
    text, key, line, phrase = SCHEMA_ERRORS[case]
    result = run_error(tmp_path, text)
    assert_names(result.stderr, tmp_path / "bad.yaml", key, line)
    assert phrase in result.stderr


def test_every_problem_is_reported_at_once(tmp_path):
    result = run_error(tmp_path, """
        data: data
        polcy: {}
        policy:
          incentive: high
        solver: {name: glpk}
        """)
    assert "3 problems" in result.stderr
    for key, line in (("polcy", 2), ("policy.incentive", 4), ("solver.name", 5)):
        assert f"bad.yaml, line {line}: {key}:" in result.stderr


def test_an_error_in_an_applied_override_is_reported_once_where_written(tmp_path):
    result = run_error(tmp_path, """
        data: data
        overrides:
          later:
            policy: {reserve_rat: 0.05}
        """, "--apply", "later")
    assert "1 problem in the scenario" in result.stderr
    assert_names(result.stderr, tmp_path / "bad.yaml", "overrides.later.policy.reserve_rat", 4)


def test_an_error_in_a_parent_names_the_parent(tmp_path):
    small_data(tmp_path / DATA)
    write(tmp_path / "parent.yaml", "data: data\npolicy:\n  incentive: 0\n  reserve_rat: 0.1\n")
    result = run_error(tmp_path, "extends: parent.yaml\nname: child\n")
    assert_names(result.stderr, tmp_path / "parent.yaml", "policy.reserve_rat", 4)


def test_apply_of_an_unknown_override_on_the_command_line(tmp_path):
    result = run_error(tmp_path, """
        data: data
        overrides:
          reserve-5: {policy: {reserve_rate: 0.05}}
        """, "--apply", "reserve-9")
    assert "--apply reserve-9" in result.stderr
    assert str(tmp_path / "bad.yaml") in result.stderr
    assert "not defined" in result.stderr and "reserve-5" in result.stderr


def test_extends_a_missing_file(tmp_path):
    result = run_error(tmp_path, "name: child\nextends: [missing-parent.yaml]\n")
    assert_names(result.stderr, tmp_path / "bad.yaml", "extends", 2)
    assert str(tmp_path / "missing-parent.yaml") in result.stderr
    assert "not found" in result.stderr


def test_extends_cycle(tmp_path):
    write(tmp_path / "a.yaml", "extends: b.yaml\n")
    write(tmp_path / "b.yaml", "name: b\nextends: a.yaml\n")
    result = run_error(tmp_path, "extends: a.yaml\n")
    assert_names(result.stderr, tmp_path / "b.yaml", "extends", 2)
    assert "cycle" in result.stderr
    assert f"{tmp_path / 'a.yaml'} → {tmp_path / 'b.yaml'} → {tmp_path / 'a.yaml'}" in \
        result.stderr


def test_invalid_yaml(tmp_path):
    result = run_error(tmp_path, "name: x\npolicy: [0.03\ndata: data\n")
    assert str(tmp_path / "bad.yaml") in result.stderr
    assert "not valid YAML" in result.stderr
    assert "line 3" in result.stderr


def test_yaml_is_read_with_a_safe_loader(tmp_path):
    marker = tmp_path / "pwned"
    result = run_error(tmp_path, f"""
        data: data
        name: !!python/object/apply:os.system ["touch {marker}"]
        """)
    assert not marker.exists()
    assert str(tmp_path / "bad.yaml") in result.stderr
    assert "line 2" in result.stderr and "safe loader" in result.stderr


@pytest.mark.parametrize("args, phrase", [
    (["--set", "policy.reserve_rate"], "expected key=value"),
    (["--set", "policy.reserve_rat=0.05"], "--set: policy.reserve_rat: unknown key"),
    (["--set", "policy.reserve_rate=high"], "--set: policy.reserve_rate"),
    (["--set", "apply=[reserve-5]"], "use --apply NAME"),
], ids=["no =", "unknown key", "wrong type", "apply"])
def test_bad_set_on_the_command_line(tmp_path, args, phrase):
    result = run_error(tmp_path, "data: data\n", *args)
    assert phrase in result.stderr


def test_errors_raise_scenario_error_in_python(tmp_path):
    """The Python API raises the same error the CLI prints."""
    write(tmp_path / "s.yaml", "data: .\npolicy:\n  reserve_rat: 0.05\n")
    with pytest.raises(ScenarioError, match=r"s\.yaml, line 3: policy\.reserve_rat"):
        load_scenario(tmp_path / "s.yaml")
    with pytest.raises(ScenarioError, match="cannot be swept"):
        load_scenario(BUNDLED, point=[(["apply"], ["reserve-5"])])
