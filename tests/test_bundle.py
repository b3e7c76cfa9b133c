"""Plan folders are self-contained (issue 13): summary.json records the inputs relative to the
plan folder too, with a checksum of every file read; `run --bundle` copies them into the plan
folder; `verify` and `report` find them again (--data, the relative path, the absolute one)
and refuse inputs that are not the plan's."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import make_inputs, run_cli, staff_rows, world

REPO = Path(__file__).resolve().parents[1]
I = "institution"
CHECKSUMS = re.compile(r"sha256 ([0-9a-f]{12}) now, ([0-9a-f]{12}) in summary\.json")


def small_world(root: Path) -> Path:
    """A data folder, a base scenario and a child scenario extending it with a data edit
    (every kind of input a plan reads); returns the child's path. Two equal donors (A1, A2)
    for B's demand: a near-optimal alternative exists."""
    make_inputs(root / "data",
                [{"unit_id": "A1"}, {"unit_id": "A2"},
                 {"unit_id": "B", "system": "education", "sector": "social"}],
                [("A1", I, 40, 30), ("A2", I, 40, 30), ("B", I, 20, 20)],
                [("d1", "B", I, "operational", 3), ("d2", "B", I, "key", 2)])
    (root / "base.yaml").write_text("name: base\ndata: data\nyear: 2021\n"
                                    "policy: {reserve_rate: 0.0}\n", encoding="utf-8")
    (root / "child.yaml").write_text(
        "extends: base.yaml\nname: child\ndata_edits:\n"
        "  - {table: demands, where: [{column: demand_id, value: d1}], scale: {amount: 2}}\n",
        encoding="utf-8")
    return root / "child.yaml"


def bianzhi(capsys, *args) -> tuple[int, str]:
    """The real command in-process: (exit code, stdout + stderr)."""
    capsys.readouterr()
    code = run_cli(*args)
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text and "internal error" not in text, text
    return code, text


def inputs_of(plan: Path) -> dict:
    return json.loads((plan / "summary.json").read_text(encoding="utf-8"))["inputs"]


def test_the_bundled_city_verifies_and_reports_wherever_it_is_moved(tmp_path, capsys):
    shutil.copytree(REPO / "scenarios", tmp_path / "a" / "scenarios")
    code, text = bianzhi(capsys, "run", tmp_path / "a" / "scenarios" / "bazhong-2021.yaml",
                         "--out", tmp_path / "a" / "plan", "--bundle", "--no-marginals")
    assert code == 0, text
    # the people's names travel with the inputs: the run says so
    assert "names" in text and str(tmp_path / "a" / "plan" / "inputs") in text
    plan = tmp_path / "b" / "plan"
    plan.parent.mkdir()
    shutil.move(tmp_path / "a" / "plan", plan)
    shutil.move(tmp_path / "a" / "scenarios", tmp_path / "a" / "gone")
    inputs = inputs_of(plan)
    assert inputs["bundled"] is True and inputs["relative_path"] == "inputs/bazhong-2021"
    assert [s["relative_path"] for s in inputs["scenario_files"]] == [
        "inputs/bazhong-2021.yaml"]
    # byte for byte: the scenario's `data: bazhong-2021` reaches the bundled copy
    assert (plan / "inputs" / "bazhong-2021.yaml").read_bytes() == (
        REPO / "scenarios" / "bazhong-2021.yaml").read_bytes()
    assert sorted(p.name for p in (plan / "inputs" / "bazhong-2021").iterdir()) == sorted(
        inputs["files"])
    code, text = bianzhi(capsys, "verify", plan)
    assert code == 0 and "every hard rule holds" in text, text
    code, text = bianzhi(capsys, "report", plan)
    assert code == 0 and (plan / "report.html").is_file(), text


def test_without_bundle_moved_inputs_are_exit_2_naming_the_paths_tried(tmp_path, capsys):
    child = small_world(tmp_path / "w")
    plan = tmp_path / "w" / "plan"
    assert bianzhi(capsys, "run", child, "--out", plan, "--no-marginals")[0] == 0
    inputs = inputs_of(plan)
    assert inputs["bundled"] is False and inputs["relative_path"] == "../data"
    assert [s["relative_path"] for s in inputs["scenario_files"]] == ["../base.yaml",
                                                                     "../child.yaml"]
    assert not (plan / "inputs").exists()
    shutil.move(tmp_path / "w" / "data", tmp_path / "new-data")
    for command in ("verify", "report"):
        code, text = bianzhi(capsys, command, plan)
        assert code == 2, text
        assert "summary.json" in text and "--data" in text and "--bundle" in text, text
        # both places tried: relative to the plan folder, then absolute
        assert str(tmp_path / "w" / "data") in text, text
        assert str(plan.parent / "data").replace(str(tmp_path), "") in text
    # --data gives the data's new place; the scenario files are where they were
    code, text = bianzhi(capsys, "verify", plan, "--data", tmp_path / "new-data")
    assert code == 0 and "every hard rule holds" in text, text
    code, text = bianzhi(capsys, "report", plan, "--data", tmp_path / "new-data")
    assert code == 0, text


def test_data_given_a_scenario_file_resolves_its_chain_and_data_there(tmp_path, capsys):
    child = small_world(tmp_path / "w")
    plan = tmp_path / "plan"
    assert bianzhi(capsys, "run", child, "--out", plan, "--no-marginals")[0] == 0
    shutil.move(tmp_path / "w", tmp_path / "moved")
    code, text = bianzhi(capsys, "verify", plan, "--data", tmp_path / "moved" / "data")
    assert code == 2 and "give the scenario file as --data" in text, text
    code, text = bianzhi(capsys, "verify", plan, "--data", tmp_path / "moved" / "child.yaml")
    assert code == 0, text
    code, text = bianzhi(capsys, "report", plan, "--data", tmp_path / "moved" / "child.yaml")
    assert code == 0, text
    code, text = bianzhi(capsys, "verify", plan, "--data", tmp_path / "nowhere")
    assert code == 2 and "does not exist" in text, text


def test_tampered_inputs_given_with_data_are_exit_2_naming_the_file(tmp_path, capsys):
    child = small_world(tmp_path / "w")
    plan = tmp_path / "plan"
    assert bianzhi(capsys, "run", child, "--out", plan, "--no-marginals")[0] == 0
    recorded = inputs_of(plan)
    shutil.copytree(tmp_path / "w", tmp_path / "copy")
    quotas = tmp_path / "copy" / "data" / "quotas.csv"
    text = quotas.read_text(encoding="utf-8")
    assert "A2,institution,40,30" in text
    quotas.write_text(text.replace("A2,institution,40,30", "A2,institution,41,30"),
                      encoding="utf-8")  # one cell changed
    for command in ("verify", "report"):
        for data in (tmp_path / "copy" / "data", tmp_path / "copy" / "child.yaml"):
            code, out = bianzhi(capsys, command, plan, "--data", data)
            assert code == 2, out
            assert str(quotas) in out and "re-run the plan" in out, out
            assert CHECKSUMS.search(out).group(2) == recorded["files"]["quotas.csv"][:12], out
            assert CHECKSUMS.search(out).group(1) != CHECKSUMS.search(out).group(2)
    # a changed scenario file given with --data: named with both checksums
    quotas.write_text(text, encoding="utf-8")
    with open(tmp_path / "copy" / "base.yaml", "a", encoding="utf-8") as fh:
        fh.write("# edited\n")
    code, out = bianzhi(capsys, "verify", plan, "--data", tmp_path / "copy" / "child.yaml")
    assert code == 2 and str(tmp_path / "copy" / "base.yaml") in out, out
    assert CHECKSUMS.search(out).group(2) == recorded["scenario_files"][0]["sha256"][:12]
    # the recorded inputs, unchanged, still verify
    assert bianzhi(capsys, "verify", plan)[0] == 0


def test_the_relative_path_works_when_the_plan_and_its_inputs_move_together(tmp_path,
                                                                          capsys):
    child = small_world(tmp_path / "w")
    assert bianzhi(capsys, "run", child, "--out", tmp_path / "w" / "plans" / "p",
                   "--no-marginals")[0] == 0
    shutil.move(tmp_path / "w", tmp_path / "elsewhere")
    plan = tmp_path / "elsewhere" / "plans" / "p"
    code, text = bianzhi(capsys, "verify", plan)
    assert code == 0, text
    code, text = bianzhi(capsys, "report", plan)
    assert code == 0, text
    # the recorded inputs changed (not given with --data): the rule inputs_changed, exit 3,
    # naming the file
    with open(tmp_path / "elsewhere" / "data" / "demands.csv", "a", encoding="utf-8") as fh:
        fh.write("\n")
    code, text = bianzhi(capsys, "verify", plan)
    assert code == 3 and "[inputs_changed]" in text and "demands.csv" in text, text


def test_a_bundled_plan_with_alternatives_moves_whole(tmp_path, capsys):
    child = small_world(tmp_path / "w")
    code, text = bianzhi(capsys, "run", child, "--out", tmp_path / "w" / "plan", "--bundle",
                         "--alternatives", "1", "--slack", "0.5", "--no-marginals")
    assert code == 0, text
    shutil.move(tmp_path / "w" / "plan", tmp_path / "plan")
    shutil.rmtree(tmp_path / "w")
    plan = tmp_path / "plan"
    assert sorted(p.relative_to(plan / "inputs").as_posix()
                  for p in (plan / "inputs").rglob("*") if p.is_file()) == [
        "base.yaml", "child.yaml", "data/demands.csv", "data/quotas.csv", "data/units.csv"]
    assert (plan / "alt-1").is_dir(), text
    assert inputs_of(plan / "alt-1")["relative_path"] == "../inputs/data"
    for folder in (plan, plan / "alt-1"):
        code, text = bianzhi(capsys, "verify", folder)
        assert code == 0, text
    assert bianzhi(capsys, "report", plan / "alt-1")[0] == 0
    # compare reads the plan folders only (summary.json and the tables), never the inputs
    code, text = bianzhi(capsys, "compare", plan, plan / "alt-1")
    assert code == 0, text


def test_a_bundled_multi_year_plan_moves_whole(tmp_path, capsys):
    s = world(tmp_path / "w", ["D", "F"], [("D", I, 10, 5), ("F", I, 10, 10)],
              [{"id": "dF", "unit": "F", "tier": "operational", "amount": 2}],
              staff_rows("D", 5, ["1962-02"]) + staff_rows("F", 10, ["1962-03"]),
              extra="attrition: {rate: 0.1}\n")
    code, text = bianzhi(capsys, "run", s, "--out", tmp_path / "w" / "plan", "--bundle",
                         "--no-marginals")
    assert code == 0, text
    shutil.move(tmp_path / "w" / "plan", tmp_path / "plan")
    shutil.rmtree(tmp_path / "w")
    plan = tmp_path / "plan"
    assert (plan / "years" / "2023").is_dir() and (plan / "inputs" / "s.yaml").is_file()
    code, text = bianzhi(capsys, "verify", plan)
    assert code == 0 and "every hard rule holds" in text, text
    assert bianzhi(capsys, "report", plan)[0] == 0


def test_a_bundled_workbook_and_a_bare_data_path(tmp_path, capsys):
    from solver.domain import TABLES
    from solver.io.write import write_workbook
    from solver.validate import load

    small_world(tmp_path / "w")
    tables = load(tmp_path / "w" / "data").tables()
    write_workbook(tables, tmp_path / "w" / "book.xlsx", lang="en", specs=TABLES)
    shutil.rmtree(tmp_path / "w" / "data")
    code, text = bianzhi(capsys, "run", tmp_path / "w" / "book.xlsx", "--out",
                         tmp_path / "w" / "plan", "--bundle", "--no-marginals",
                         "--set", "year=2021")
    assert code == 0, text
    plan = tmp_path / "plan"
    shutil.move(tmp_path / "w" / "plan", plan)
    shutil.move(tmp_path / "w" / "book.xlsx", tmp_path / "w" / "renamed.xlsx")
    inputs = inputs_of(plan)
    assert inputs["relative_path"] == "inputs/book.xlsx" and inputs["scenario_files"] == []
    assert list(inputs["files"]) == ["book.xlsx"]
    code, text = bianzhi(capsys, "verify", plan)
    assert code == 0, text
    # the bundled copy gone: --data points at the workbook anew
    shutil.rmtree(plan / "inputs")
    code, text = bianzhi(capsys, "verify", plan)
    assert code == 2 and "book.xlsx" in text, text
    code, text = bianzhi(capsys, "verify", plan, "--data", tmp_path / "w" / "renamed.xlsx")
    assert code == 2 and "give the workbook its name book.xlsx again" in text, text
    (tmp_path / "new").mkdir()
    shutil.move(tmp_path / "w" / "renamed.xlsx", tmp_path / "new" / "book.xlsx")
    code, text = bianzhi(capsys, "verify", plan, "--data", tmp_path / "new" / "book.xlsx")
    assert code == 0, text
    code, text = bianzhi(capsys, "verify", plan, "--data", tmp_path / "w" / "child.yaml")
    assert code == 2 and "made from a data path" in text, text


@pytest.mark.parametrize("bundle", [False, True])
def test_run_json_prints_the_inputs_record(tmp_path, capsys, bundle):
    child = small_world(tmp_path / "w")
    args = ["--bundle"] if bundle else []
    code, text = bianzhi(capsys, "run", child, "--out", tmp_path / "p", "--json",
                         "--no-marginals", *args)
    assert code == 0
    printed = json.loads(text[text.index("{"):])["inputs"]
    assert printed == inputs_of(tmp_path / "p")
    assert printed["path"] == str((tmp_path / "w" / "data").resolve())


def test_compare_data_names_the_units_of_plans_written_without_names(tmp_path, capsys):
    """A plan folder written before names.csv takes its units' names from its inputs: from
    --data where the inputs moved (checked against the checksums), from the recorded paths
    otherwise; --data that is no plan's inputs is exit 2."""
    child = small_world(tmp_path / "w")
    units = tmp_path / "w" / "data" / "units.csv"
    units.write_text(units.read_text(encoding="utf-8").replace("\nB,B,", "\nB,乙单位,"),
                     encoding="utf-8")
    a, b = tmp_path / "w" / "a", tmp_path / "w" / "b"
    assert bianzhi(capsys, "run", child, "--out", a, "--no-marginals")[0] == 0
    assert bianzhi(capsys, "run", child, "--out", b, "--no-marginals", "--set",
                   "policy.reserve_rate=0.2")[0] == 0
    names = {r["code"]: r["name"] for r in
             __import__("csv").DictReader(open(a / "names.csv", encoding="utf-8"))
             if r["kind"] == "unit"}
    assert names["B"] == "乙单位"  # the data names its units
    for plan in (a, b):
        (plan / "names.csv").unlink()  # as written before names were kept

    def unit_names(*extra) -> set[str]:
        code, text = bianzhi(capsys, "compare", a, b, "--json", *extra)
        assert code == 0, text
        return set(re.findall(r'"(?:unit_name|from_unit_name|to_unit_name)": "([^"]*)"', text))

    assert names["B"] in unit_names()  # found where summary.json says
    shutil.move(tmp_path / "w" / "data", tmp_path / "moved")
    assert names["B"] not in unit_names()  # not found: codes, no failure
    assert names["B"] in unit_names("--data", str(tmp_path / "moved"))
    other = tmp_path / "other"
    shutil.copytree(tmp_path / "moved", other)
    (other / "demands.csv").write_text((other / "demands.csv").read_text().replace(",3", ",4"))
    code, text = bianzhi(capsys, "compare", a, b, "--data", other)
    assert code == 2 and "not the inputs of any of the plans" in text, text
