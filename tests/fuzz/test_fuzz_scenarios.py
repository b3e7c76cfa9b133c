"""Corrupted scenario files through `bianzhi inventory SCENARIO` (cheap: reads the scenario
and its data) and, for a share and for every `--set` case, `bianzhi run SCENARIO --out DIR`."""

from __future__ import annotations

import os


from fz_harness import case_root, cleanup, run_and_judge
from fz_scenario import ScenarioCase, scenario_cases, set_cases
from fz_settings import fuzz
from fz_tables import datasets, write_folder


def write_scenario(root, case: ScenarioCase):
    """scenario.yaml (and what it extends) next to a data folder."""
    text = case.text
    if case.extends:
        target = {"dir": "base_dir", "fifo": "base.yaml", "self": "scenario.yaml",
                  "missing": "nope.yaml", "devnull": "/dev/null", "cycle": "base.yaml"}[
            case.extends]
        if case.extends == "dir":
            (root / "base_dir").mkdir()
        elif case.extends == "fifo":
            os.mkfifo(root / "base.yaml")
        elif case.extends == "cycle":
            (root / "base.yaml").write_text("extends: scenario.yaml\n", encoding="utf-8")
        text = f"extends: {target}\n" + text
    path = root / "scenario.yaml"
    path.write_bytes(case.raw if case.raw is not None else text.encode(case.encoding))
    return path


def _scenario_case(case, ds, run: bool):
    root = case_root()
    try:
        write_folder(ds, root / "data")
        path = write_scenario(root, case)
        expect = case.expect
        expect.files = expect.files or ["scenario.yaml"]
        if run:
            out = root / "plan"
            args = ["run", str(path), "--out", str(out), "--no-marginals"]
        else:
            out, args = None, ["inventory", str(path), "--json"]
        run_and_judge(root, args, expect, case.describe(), out=out)
    finally:
        cleanup(root)


@fuzz(0.14, scenario_cases(), datasets(people=False, aux=False), shards=True)
def test_corrupted_scenario_inventory(case, ds):
    _scenario_case(case, ds, run=False)


@fuzz(0.02, scenario_cases().filter(lambda c: c.extends != "fifo"),
      datasets(people=False, aux=False))
def test_corrupted_scenario_run(case, ds):
    _scenario_case(case, ds, run=True)


@fuzz(0.02, set_cases(), datasets(people=False, aux=False))
def test_set_options(case, ds):
    root = case_root()
    try:
        write_folder(ds, root / "data")
        path = write_scenario(root, case)
        out = root / "plan"
        args = ["run", str(path), "--out", str(out), "--no-marginals"]
        for s in case.sets:
            args += ["--set", s]
        run_and_judge(root, args, case.expect, case.describe(), out=out)
    finally:
        cleanup(root)
