"""The corpus of real broken (and messy-but-valid) input files, run through the real command.

Each case of `tests/corpus/cases.yaml` (written by `tests/corpus/make_corpus.py`) is run as
`python -m solver.cli inventory <path>` in a subprocess, as a planner would run it: the exit
code, the message (file, sheet, row as the user sees it, column as written, the bad value) and
the absence of a traceback are checked; valid cases also give parseable `--json` with the
right counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES: list[dict] = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))["cases"]
REPO = CORPUS.parent.parent


def run(*args: str) -> subprocess.CompletedProcess:
    """`bianzhi inventory …` in a fresh interpreter, from the repository root."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "solver.cli", "inventory", *args],
        cwd=REPO, capture_output=True, text=True, encoding="utf-8", env=env, timeout=120,
        check=False,
    )


def lookup(data: dict, dotted: str):
    for key in dotted.split("."):
        data = data[key]
    return data


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict) -> None:
    """Exit code, every expected piece of the message, and no traceback."""
    path = CORPUS / case["path"]
    result = run(str(path))
    where = f"{case['name']} ({case['what']})\nstderr:\n{result.stderr}"
    assert result.returncode == case["exit"], where
    assert "Traceback" not in result.stderr, where
    assert "internal error" not in result.stderr, where
    for expected in case["stderr"]:
        assert expected in result.stderr, f"missing {expected!r} in {where}"
    for unexpected in case.get("not_stderr", []):
        assert unexpected not in result.stderr, f"unexpected {unexpected!r} in {where}"
    if case["exit"] == 0:
        assert result.stdout.strip(), where  # the stock-take was printed


@pytest.mark.parametrize(
    "case", [c for c in CASES if c["exit"] == 0], ids=[c["name"] for c in CASES if c["exit"] == 0]
)
def test_valid_case_json(case: dict) -> None:
    """Valid inputs give clean JSON on stdout with the right counts (no total row as a unit)."""
    result = run(str(CORPUS / case["path"]), "--json")
    assert result.returncode == 0, result.stderr
    inventory = json.loads(result.stdout)
    for key, expected in case.get("json", {}).items():
        assert lookup(inventory, key) == expected, f"{case['name']}: {key}"


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.get("debug")], ids=[c["name"] for c in CASES if c.get("debug")]
)
def test_debug_shows_traceback(case: dict) -> None:
    """--debug prints the traceback as well as the message, with the same exit code."""
    result = run(str(CORPUS / case["path"]), "--debug")
    assert result.returncode == case["exit"]
    assert "Traceback" in result.stderr
    for expected in case["stderr"]:
        assert expected in result.stderr


def test_extra_columns_are_carried_through() -> None:
    """Unknown columns reach the validated tables under the header the user wrote."""
    from solver.validate import load

    ds = load(CORPUS / "valid_extra_columns")
    assert {"联系电话", "备注"} <= set(ds.units.columns)
    assert ds.units.set_index("unit_id").loc["U02", "备注"] == "三甲医院"
    assert "remarks" in ds.quotas.columns


def test_corpus_has_the_cases_asked_for() -> None:
    """At least 30 cases, broken and valid ones, every folder listed and every entry built."""
    assert len(CASES) >= 30
    assert sum(c["exit"] == 2 for c in CASES) >= 30
    assert sum(c["exit"] == 0 for c in CASES) >= 10
    folders = {p.name for p in CORPUS.iterdir()
               if p.is_dir() and p.name not in ("__pycache__", "fuzz")}  # fuzz: tests/fuzz
    assert folders == {c["name"] for c in CASES}
    for c in CASES:
        if c["name"] != "path_does_not_exist":
            assert (CORPUS / c["path"]).exists(), c["name"]
    assert not (CORPUS / "path_does_not_exist" / "no_such_folder").exists()


def test_corpus_is_reproducible(tmp_path: Path) -> None:
    """make_corpus.py gives the committed files byte for byte (workbooks included)."""
    subprocess.run([sys.executable, str(CORPUS / "make_corpus.py"), str(tmp_path)], check=True,
                   capture_output=True)
    made = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    committed = {
        p.relative_to(CORPUS) for p in CORPUS.rglob("*")
        if p.is_file() and p.name != "make_corpus.py" and "__pycache__" not in p.parts
        and p.relative_to(CORPUS).parts[0] != "fuzz"  # the fuzzer's regressions: tests/fuzz
    }
    assert made == committed
    for rel in made:
        assert (tmp_path / rel).read_bytes() == (CORPUS / rel).read_bytes(), str(rel)
