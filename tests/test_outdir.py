"""Never lose a user's file: where `--out` may write, atomic replacement, locks, leftovers.

Every case runs the real command in-process and checks, besides the exit code and the
message, that nothing outside the output changed (a hash of every file under the test's
folder before and after).
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest

from solver.cli import main
from solver.io import outdir
from tests.conftest import make_inputs


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run `bianzhi ARGS` in this process: (exit code, stdout, stderr)."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def snapshot(root: Path, skip: Path | None = None) -> dict[str, str]:
    """Every file and link under root (except under skip) with a hash of its content."""
    state: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if skip is not None and (here == skip or skip in here.parents):
            dirnames[:] = []
            continue
        for name in dirnames + filenames:
            path = here / name
            if path.is_symlink():
                state[str(path)] = "link:" + os.readlink(path)
            elif path.is_file():
                state[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                state[str(path)] = "dir"
    return state


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A small valid data folder and a scenario file beside it."""
    folder = make_inputs(
        tmp_path / "data",
        units=[{"unit_id": "A"}, {"unit_id": "B"}],
        quotas=[("A", "institution", 10, 6), ("B", "institution", 5, 5)],
        demands=[("d1", "B", "institution", "key", 2)],
    )
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "s.yaml").write_text("name: s\ndata: ../data\n", encoding="utf-8")
    return folder


def refused(capsys, tmp_path: Path, out: str | Path, *args: str, target: str | None = None,
            why: str = "") -> str:
    """`run … --out OUT` must exit 2 naming OUT, and change nothing on disk."""
    before = snapshot(tmp_path)
    code, _, err = cli(capsys, "run", target or str(tmp_path / "data"), "--out", str(out),
                       "--no-marginals", *args)
    assert code == 2, err
    assert str(out) in err, err
    assert why in err, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert snapshot(tmp_path) == before
    return err


def test_out_may_not_be_the_data_folder(capsys, tmp_path, data):
    refused(capsys, tmp_path, data, why="input in use")


def test_out_may_not_contain_the_data(capsys, tmp_path, data):
    refused(capsys, tmp_path, tmp_path, why="contains an input in use")


def test_out_may_not_be_the_scenario_folder(capsys, tmp_path, data):
    refused(capsys, tmp_path, tmp_path / "scenarios", target=str(tmp_path / "scenarios/s.yaml"),
            why="contains an input in use")


def test_out_may_not_be_a_folder_of_documents(capsys, tmp_path, data):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.docx").write_bytes(b"minutes of the committee")
    refused(capsys, tmp_path, docs, why="did not write")


def test_out_may_not_be_a_file(capsys, tmp_path, data):
    path = tmp_path / "budget.xlsx"
    path.write_bytes(b"not ours")
    refused(capsys, tmp_path, path, why="not a folder")


def test_out_may_not_be_a_symlink(capsys, tmp_path, data):
    code, _, err = cli(capsys, "run", str(data), "--out", str(tmp_path / "plan"),
                       "--no-marginals")
    assert code == 0, err
    (tmp_path / "link").symlink_to(tmp_path / "plan")
    refused(capsys, tmp_path, tmp_path / "link", why="symbolic link")


@pytest.mark.parametrize("where", [".", "~", "/", "HOME", "CWD-PARENT"])
def test_out_may_not_be_home_root_or_here(capsys, tmp_path, data, monkeypatch, where):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    out = {"HOME": str(tmp_path / "home"), "CWD-PARENT": str(tmp_path)}.get(where, where)
    before = snapshot(tmp_path)
    code, _, err = cli(capsys, "run", str(data), "--out", out, "--no-marginals")
    assert code == 2, err
    assert "refusing to write there" in err
    assert snapshot(tmp_path) == before


def test_a_plan_folder_is_replaced_and_an_empty_folder_is_taken(capsys, tmp_path, data):
    out = tmp_path / "plan"
    out.mkdir()  # empty: nothing to lose
    assert cli(capsys, "run", str(data), "--out", str(out), "--no-marginals")[0] == 0
    first = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert json.loads((out / outdir.MARKER).read_text()) == {"tool": "bianzhi", "kind": "plan"}
    code, _, err = cli(capsys, "run", str(data), "--out", str(out), "--no-marginals",
                       "--set", "policy.reserve_rate=0.2")
    assert code == 0, err
    second = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert second["scenario"]["policy"]["reserve_rate"] == 0.2 != \
        first["scenario"]["policy"]["reserve_rate"]
    # no temporary or old folders, no lock file left beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "plan", "scenarios"]


def test_a_plan_folder_holding_a_planners_file_is_not_replaced(capsys, tmp_path, data):
    out = tmp_path / "plan"
    assert cli(capsys, "run", str(data), "--out", str(out), "--no-marginals")[0] == 0
    (out / "committee-notes.txt").write_text("keep me", encoding="utf-8")
    err = refused(capsys, tmp_path, out, why="committee-notes.txt")
    assert "did not write" in err


def test_an_old_plan_folder_without_marker_is_recognised(capsys, tmp_path, data):
    out = tmp_path / "plan"
    assert cli(capsys, "run", str(data), "--out", str(out), "--no-marginals")[0] == 0
    (out / outdir.MARKER).unlink()  # as written by an earlier version: summary.json only
    assert cli(capsys, "run", str(data), "--out", str(out), "--no-marginals")[0] == 0


def test_leftovers_of_killed_runs_are_removed(capsys, tmp_path, data):
    dead = 2 ** 22 + 12345  # above the default pid_max: no such process
    stale = [tmp_path / f".plan.bianzhi-tmp-{dead}-1", tmp_path / f".plan.tmp-{dead}-7",
             tmp_path / f".other.bianzhi-old-{dead}-3"]
    for folder in stale:
        folder.mkdir()
        (folder / "moves.csv").write_text("half", encoding="utf-8")
    alive = tmp_path / f".other.bianzhi-tmp-{os.getpid()}-5"  # a live command's: kept
    alive.mkdir()
    assert cli(capsys, "run", str(data), "--out", str(tmp_path / "plan"), "--no-marginals")[0] == 0
    assert not any(p.exists() for p in stale)
    assert alive.exists()


def test_a_second_writer_stops_with_a_clear_message(capsys, tmp_path, data):
    out = tmp_path / "plan"
    with outdir.locked(out):
        code, _, err = cli(capsys, "run", str(data), "--out", str(out), "--no-marginals")
    assert code == 2
    assert "another bianzhi command is writing" in err
    assert not out.exists()
    assert cli(capsys, "run", str(data), "--out", str(out), "--no-marginals")[0] == 0


def test_a_failed_write_leaves_the_old_plan_whole(tmp_path):
    out = tmp_path / "plan"
    out.mkdir()
    (out / "summary.json").write_text('{"tool": {"name": "bianzhi"}}', encoding="utf-8")
    (out / "moves.csv").write_text("old", encoding="utf-8")
    before = snapshot(tmp_path)
    with pytest.raises(KeyboardInterrupt), outdir.claim_output(out, "plan") as folder:
        (folder.tmp / "moves.csv").write_text("new, half written", encoding="utf-8")
        raise KeyboardInterrupt
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "fallback"])
def test_swap_replaces_in_one_step(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(outdir, "_renameat2", lambda *a: False)
    target, new = tmp_path / "plan", tmp_path / "new"
    target.mkdir()
    (target / "moves.csv").write_text("old", encoding="utf-8")
    new.mkdir()
    (new / "moves.csv").write_text("new", encoding="utf-8")
    outdir.swap_into_place(new, target)
    assert (target / "moves.csv").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]


def test_renameat2_exchange_is_available_here(tmp_path):
    """On Linux the exchange is really used (no window without a plan at DIR)."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    (b / "x").write_text("b")
    assert outdir._renameat2(a, b, outdir._RENAME_EXCHANGE)
    assert (a / "x").read_text() == "b" and (b / "x").read_text() == "a"


def test_sweep_compare_generate_report_follow_the_same_rules(capsys, tmp_path, data):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.docx").write_bytes(b"keep")
    sweep = tmp_path / "scenarios" / "sweep.yaml"
    sweep.write_text("data: ../data\nsweep: {policy.reserve_rate: [0.0, 0.1]}\n",
                     encoding="utf-8")
    plan = tmp_path / "plan"
    assert cli(capsys, "run", str(data), "--out", str(plan), "--no-marginals")[0] == 0
    before = snapshot(tmp_path)
    for args in (["sweep", str(sweep), "--out", str(docs), "--workers", "1"],
                 ["sweep", str(sweep), "--out", str(tmp_path / "scenarios"), "--workers", "1"],
                 ["compare", str(plan), str(plan), "--out", str(docs)],
                 ["compare", str(plan), str(plan), "--out", str(plan)],
                 ["generate", "--scale", "1000", "--out", str(docs)],
                 ["generate", "--scale", "1000", "--out", str(tmp_path / "g"),
                  "--xlsx", str(docs / "notes.docx")],
                 ["report", str(docs)]):
        code, _, err = cli(capsys, *args)
        assert code == 2, (args, err)
        assert "Traceback" not in err and "internal error" not in err, err
        assert snapshot(tmp_path) == before, args
    # and each writes a new folder, then replaces its own earlier output
    for args in (["sweep", str(sweep), "--out", str(tmp_path / "sw"), "--workers", "1"],
                 ["compare", str(plan), str(plan), "--out", str(tmp_path / "cmp")],
                 ["generate", "--scale", "1000", "--out", str(tmp_path / "gen"),
                  "--xlsx", str(tmp_path / "gen.xlsx")],
                 ["report", str(plan)]):
        for _ in range(2):
            code, _, err = cli(capsys, *args)
            assert code == 0, (args, err)
    assert (tmp_path / "sw" / "results.csv").exists()
    assert (tmp_path / "sw" / "p000" / "summary.json").exists()
    assert (tmp_path / "cmp" / "compare.json").exists()
    assert (tmp_path / "gen" / "units.csv").exists()
    assert (plan / "report.html").exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_bundled_data_folder_is_a_generated_output():
    """The bundled data can be regenerated in place (its marker says bianzhi wrote it)."""
    folder = Path(__file__).resolve().parents[1] / "scenarios" / "bazhong-2021"
    assert outdir.output_kind(folder) == "data"


# ---------------------------------------------------------------- formula injection

# ("#N/A" as an id is refused by the reader as an Excel error value; the writer test has it)
HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+1+2", "-3+4", "@SUM(A1)", "=cmd|' /C calc'!A0"]


def test_text_that_looks_like_a_formula_is_written_as_text(capsys, tmp_path):
    """Hostile ids and names travel into plan.xlsx as text cells, never as formulas."""
    units = [{"unit_id": uid, "name": uid} for uid in HOSTILE]
    data = make_inputs(tmp_path / "data", units=units,
                       quotas=[(uid, "institution", 5, 3) for uid in HOSTILE],
                       demands=[(f"d{i}", uid, "institution", "key", 1)
                                for i, uid in enumerate(HOSTILE)])
    code, _, err = cli(capsys, "run", str(data), "--out", str(tmp_path / "plan"),
                       "--no-marginals")
    assert code == 0, err
    with zipfile.ZipFile(tmp_path / "plan" / "plan.xlsx") as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
        xml = b"".join(book.read(n) for n in sheets)
    assert b"<f>" not in xml and b"<f " not in xml
    assert b't="e"' not in xml
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "plan" / "plan.xlsx")
    values = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row}
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value in HOSTILE]
    assert set(HOSTILE) <= values
    assert all(c.data_type == "s" for c in cells)


def test_workbook_writer_keeps_every_formula_like_text_as_text(tmp_path):
    import openpyxl
    import pandas as pd

    from solver.io.write import write_workbook

    texts = [*HOSTILE, "#N/A", "#DIV/0!", "\t=1", " =2", "=", "ok"]
    write_workbook({"t": pd.DataFrame({"a": texts})}, tmp_path / "t.xlsx", lang="en")
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["t"]
    cells = [c for c in ws["A"]][1:]
    assert [c.value for c in cells] == texts
    assert {c.data_type for c in cells} == {"s"}


def test_summary_json_is_strict_json(capsys, tmp_path, data):
    code, _, err = cli(capsys, "run", str(data), "--out", str(tmp_path / "plan"),
                       "--no-marginals")
    assert code == 0, err
    text = (tmp_path / "plan" / "summary.json").read_text(encoding="utf-8")

    def refuse(token: str):
        raise ValueError(f"not JSON: {token}")

    json.loads(text, parse_constant=refuse)
    from solver.plan import summary_json

    with pytest.raises(ValueError):
        summary_json({"x": float("nan")})
