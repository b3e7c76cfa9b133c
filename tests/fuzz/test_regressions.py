"""Real failures the fuzzer found, kept as small inputs under tests/corpus/fuzz/<name>/ and run
through the real command with the fuzz oracle.

Each case folder holds its inputs and a `case.yaml`:

    what: one line: what the input is
    command: [inventory, "{case}/data", --json]   # {case}: a temporary copy of the folder
    setup: [...]            # optional: what git cannot store (FIFOs, symlinks) or a plan
    out: "{case}/plan"      # optional: the one path the command may write
    exit: 2                 # what a correct tool exits with (or a list: any of them)
    stderr: [units.csv, row 3]    # fragments a correct tool prints (stderr)
    not_stderr: [...]       # optional
    figures: {units.count: 3}     # optional: inventory --json values (for exit 0)

The case is copied to a temporary folder first, so a tool that writes where it must not
cannot damage the repository; every file outside `out` must be unchanged afterwards.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from fz_harness import INVISIBLE_RE, call, check_plan, diff, lookup, snapshot

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "fuzz"
CASES = sorted(p.parent.name for p in CORPUS.glob("*/case.yaml"))


def _fill(value, case: Path):
    if isinstance(value, str):
        return value.replace("{case}", str(case))
    if isinstance(value, list):
        return [_fill(v, case) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, case) for k, v in value.items()}
    return value


def _setup(step: dict, case: Path) -> None:
    """One setup step: fifo, symlink, mkdir, plan (a real run), tamper (edit a plan file)."""
    if "fifo" in step:
        target = case / step["fifo"]
        target.unlink(missing_ok=True)
        os.mkfifo(target)
    elif "symlink" in step:
        link, to = step["symlink"]
        (case / link).unlink(missing_ok=True)
        (case / link).symlink_to(to if to == link.split("/")[-1] else case / to)
    elif "mkdir" in step:
        target = case / step["mkdir"]
        target.unlink(missing_ok=True)
        target.mkdir(parents=True)
    elif "plan" in step:
        outcome = call(step["plan"], timeout=120)
        assert outcome.code == 0, f"setup run failed: {outcome.stderr}"
    elif "tamper" in step:
        _tamper(case / step["tamper"], step)
    else:
        raise ValueError(f"unknown setup step {step}")


def _tamper(path: Path, step: dict) -> None:
    if "replace" in step:
        path.write_text(step["replace"], encoding="utf-8")
    elif "truncate" in step:
        path.write_bytes(path.read_bytes()[: step["truncate"]])
    elif "byte" in step:
        data = bytearray(path.read_bytes())
        data[step["byte"]] = 0xFF
        path.write_bytes(bytes(data))
    elif "json_set" in step:
        summary = json.loads(path.read_text(encoding="utf-8"))
        for dotted, value in step["json_set"].items():
            *keys, last = dotted.split(".")
            node = summary
            for key in keys:
                node = node[key]
            node[last] = value
        path.write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
    elif "remove" in step:
        path.unlink()
    else:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
        if "delete_row" in step:
            del rows[step["delete_row"]]
        elif "duplicate_row" in step:
            rows.insert(step["duplicate_row"], list(rows[step["duplicate_row"]]))
        elif "set_cell" in step:
            row, column, value = step["set_cell"]
            rows[row][rows[0].index(column)] = value
        elif "append_copy" in step:  # a copy of a row with one cell changed, at the end
            row, column, value = step["append_copy"]
            rows.append(list(rows[row]))
            rows[-1][rows[0].index(column)] = value
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8")


@pytest.mark.parametrize("name", CASES)
def test_fuzz_regression(name: str, tmp_path: Path) -> None:
    """The command does what a correct tool does with this input, and writes nothing else."""
    case = tmp_path / name
    shutil.copytree(CORPUS / name, case, symlinks=True)
    spec = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    # fragments are matched against the message with the case folder written as {case}
    fragments = spec.pop("stderr", []), spec.pop("not_stderr", [])
    spec = _fill(spec, case)
    for step in spec.get("setup", []):
        _setup(step, case)
    out = Path(spec["out"]) if spec.get("out") else None
    cwd = os.getcwd()
    before = snapshot(tmp_path, skip=out)
    try:
        os.chdir(spec.get("cwd", cwd))
        outcome = call(spec["command"])
    finally:
        os.chdir(cwd)
    where = (f"{name}: {spec['what']}\ncommand: bianzhi {' '.join(spec['command'])}\n"
             f"exit {outcome.code}{' (hang)' if outcome.hung else ''} {outcome.exception}\n"
             f"stderr:\n{outcome.stderr[-3000:]}")
    assert not outcome.hung, where
    assert "Traceback" not in outcome.stderr and "internal error" not in outcome.stderr, where
    codes = spec["exit"] if isinstance(spec["exit"], list) else [spec["exit"]]
    assert outcome.code in codes, where
    message = outcome.stderr.replace(str(case), "{case}")
    for fragment in fragments[0]:
        assert fragment in message, f"missing {fragment!r} in {where}"
    for fragment in fragments[1]:
        assert fragment not in message, f"unexpected {fragment!r} in {where}"
    assert not INVISIBLE_RE.search(outcome.stderr), f"raw invisible character in {where}"
    changed = diff(before, snapshot(tmp_path, skip=out))
    assert not changed, f"files changed outside --out: {changed[:5]}\n{where}"
    if spec.get("figures"):
        inventory = json.loads(outcome.stdout)
        for key, want in spec["figures"].items():
            assert lookup(inventory, key) == want, f"{key}: {where}"
    if spec["command"][0] == "run" and spec["exit"] == 0 and out is not None:
        problems = check_plan(out)
        assert problems == [], f"{problems}\n{where}"
