"""Shared test helpers: build real input files from small tables."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

# Hypothesis imports its target optimiser lazily, in the middle of a test. On CPython 3.11.7
# compiling a module while the garbage collector runs a finalizer (openpyxl's workbooks have
# some) can fail with "SystemError: AST constructor recursion depth mismatch" (CPython
# gh-106905, fixed in 3.11.8): the import happens here, before any test runs.
import hypothesis.internal.conjecture.optimiser  # noqa: F401

from solver.cli import main

REPO = Path(__file__).resolve().parents[1]

UNIT_DEFAULTS = {
    "level": "city", "region": "r1", "kind": "institution", "system": "health",
    "sector": "social", "function_status": "active", "performance_score": 80,
    "central_tasks": 0,
}


def write_table(folder: Path, name: str, rows: list[dict]) -> None:
    """Write rows as <folder>/<name>.csv with the union of their keys as header."""
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in columns})


def make_inputs(folder: Path, units: list[dict], quotas: list[tuple], demands: list[tuple],
                pool: list[tuple] | None = None) -> Path:
    """A CSV input folder from compact rows.

    units: dicts with at least unit_id (defaults fill the rest);
    quotas: (unit_id, quota_type, approved, staff);
    demands: (demand_id, unit_id, quota_type, tier, amount[, end_year]);
    pool: (region, quota_type, balance).
    """
    folder.mkdir(parents=True, exist_ok=True)
    write_table(folder, "units", [
        {"unit_id": u["unit_id"], "name": u.get("name", u["unit_id"]),
         **{k: u.get(k, v) for k, v in UNIT_DEFAULTS.items()},
         **{k: v for k, v in u.items() if k not in UNIT_DEFAULTS}} for u in units])
    write_table(folder, "quotas", [
        {"unit_id": q[0], "quota_type": q[1], "approved": q[2], "staff": q[3]} for q in quotas])
    write_table(folder, "demands", [
        {"demand_id": d[0], "unit_id": d[1], "quota_type": d[2], "tier": d[3], "amount": d[4],
         "end_year": d[5] if len(d) > 5 else None} for d in demands])
    if pool:
        write_table(folder, "pool", [
            {"region": p[0], "quota_type": p[1], "balance": p[2]} for p in pool])
    return folder


def small_data(folder: Path) -> Path:
    """A donor (A) with vacancies and a recipient (B) with two demands d1, d2."""
    return make_inputs(
        folder,
        [{"unit_id": "A"}, {"unit_id": "B", "system": "education", "sector": "social"}],
        [("A", "institution", 100, 50), ("B", "institution", 30, 20)],
        [("d1", "B", "institution", "operational", 3),
         ("d2", "B", "institution", "key", 2)],
    )


@pytest.fixture
def english():
    """Plans built in the block write their reasons in English (as `run --lang en` does):
    the tests that check a rule through the words of its reason read them in English."""
    from solver.text import language

    with language("en"):
        yield


@pytest.fixture
def inputs(tmp_path):
    """make_inputs bound to a fresh folder."""
    counter = {"n": 0}

    def make(*args, **kwargs) -> Path:
        counter["n"] += 1
        return make_inputs(tmp_path / f"data{counter['n']}", *args, **kwargs)

    return make


def pytest_terminal_summary(terminalreporter):
    """The fuzz tests' summary line: how many commands ran, and how long they took.

    (Here, not in tests/fuzz/conftest.py: a second module named `conftest` would shadow this
    one for the tests that import its helpers.)
    """
    import sys

    harness = sys.modules.get("fz_harness")
    if harness is None or not harness.STATS["cases"]:
        return
    stats = harness.STATS
    by = ", ".join(f"{k} {int(v)}" for k, v in stats.items() if k not in ("cases", "seconds"))
    terminalreporter.write_line(
        f"bianzhi fuzz: {int(stats['cases'])} commands run in-process in "
        f"{stats['seconds']:.0f}s ({by})")


@pytest.fixture
def cli(capsys):
    """Run `bianzhi ARGS` in-process: (exit code, stdout, stderr)."""

    def run(*args: object) -> tuple[int, str, str]:
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        assert "Traceback" not in err and "internal error" not in err, err
        return code, out, err

    return run


# ---------------------------------------------------------------- multi-year worlds (issue 12)

YOUNG = "1990-06"


def staff_rows(unit: str, count: int, old: list[str] = (), qt: str = "institution"
               ) -> list[dict]:
    """The staff register rows of `count` men of a unit: the first born in the months `old`
    (they retire at 60 in the month they reach it: born 1962-02 → February 2022), the rest
    young."""
    births = list(old) + [YOUNG] * (count - len(old))
    return [{"person_id": f"{unit}-{k}", "unit_id": unit, "quota_type": qt, "gender": "M",
             "birth": b} for k, b in enumerate(births)]


def world(root: Path, units: list[str], quotas: list[tuple], demands: list[dict],
          staff: list[dict], foresight: str = "myopic", extra: str = "",
          years: tuple[int, int] = (2021, 2023)) -> Path:
    """An input folder (demands with start and end years, a staff register) and a multi-year
    scenario file with a 0 reserve rate; returns the scenario's path."""
    make_inputs(root / "data", [{"unit_id": u} for u in units], quotas, [])
    write_table(root / "data", "demands", [
        {"demand_id": d["id"], "unit_id": d["unit"], "quota_type": d.get("qt", "institution"),
         "tier": d["tier"], "amount": d["amount"], "start_year": d.get("start", 2021),
         "end_year": d.get("end")} for d in demands])
    if staff:
        write_table(root / "data", "staff", staff)
    text = (f"name: years\ndata: data\n"
            f"horizon: {{start: {years[0]}, end: {years[1]}, foresight: {foresight}}}\n"
            f"policy: {{reserve_rate: 0.0}}\n{extra}")
    (root / "s.yaml").write_text(text, encoding="utf-8")
    return root / "s.yaml"


def run_cli(*args: object) -> int:
    """`bianzhi ARGS` in-process, output left to pytest's capture: the exit code."""
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0
