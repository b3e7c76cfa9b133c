"""Benchmark of writing xlsx workbooks (issue 14): openpyxl cell by cell, as `write_workbook`
wrote them before, against the column-wise writer (`solver.io.xlsx`), timed in one run.

Run for real with
    python -m pytest benchmarks/test_bench_xlsx.py --benchmark-enable -p no:cacheprovider -s
Two tables sets: the five-year plan of the bundled city (scenarios/fourteenth-five-year.yaml's
settings: 2021–2025, perfect foresight, statutory retirements, 1% other leavers; 12 sheets,
~60,000 rows, 858,000 cells) as plan.xlsx is written, and the province's input tables
(`generate --profile bazhong-2021 --scale province`, without the staff register, which no
sheet holds: 7 sheets, 161,000 rows, 1.25 million cells). Each writer writes each set three
times (the whole `write_workbook`: Chinese names and labels, the formatting of every sheet,
the archive, the file); the medians and their ratio are printed, and both writers' files must
hold the same cells.

In CI (--benchmark-disable, the default) each set is written once by the new writer, and the
first 2,000 rows of every table by both, which must read back the same. As elsewhere the
clock is not asserted (shared machines are noisy). Figures: benchmarks/README.md.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest

from solver.domain import PLAN_TABLES, TABLES
from solver.io import write

REPO = Path(__file__).resolve().parents[1]
FIVE_YEAR = ["year=null", "horizon={start: 2021, end: 2025, foresight: perfect}",
             "retirement=statutory", "attrition={rate: 0.01}"]


@pytest.fixture(scope="module")
def five_year_tables():
    from solver.runner import checked_plan, load_data
    from solver.scenario import load_scenario

    scenario = load_scenario(REPO / "scenarios" / "bazhong-2021.yaml", sets=FIVE_YEAR)
    return checked_plan(scenario, load_data(scenario), with_marginals=False).tables()


@pytest.fixture(scope="module")
def province_tables():
    from solver.generate import generate

    return generate("bazhong-2021", "province", 2021, staff=False)


def _cells(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's values as openpyxl reads them."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    out = {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)]
           for ws in book.worksheets}
    book.close()
    return out


def _write(tables, path: Path, specs, old: bool) -> float:
    """Seconds `write_workbook` takes, with the openpyxl writer (old) or the new one."""
    with pytest.MonkeyPatch.context() as patch:
        if old:
            patch.setattr(write, "_workbook_bytes", write._openpyxl_workbook_bytes)
        start = time.perf_counter()
        write.write_workbook(tables, path, lang="zh", specs=specs)
        return time.perf_counter() - start


def _old_against_new(benchmark, tables, specs, tmp_path: Path, what: str) -> None:
    cells = sum(frame.size for frame in tables.values())
    rows = sum(len(frame) for frame in tables.values())
    if benchmark.disabled:  # CI: one write of everything, both writers on a part
        benchmark.pedantic(_write, args=(tables, tmp_path / "new.xlsx", specs, False),
                           rounds=1, iterations=1)
        head = {name: frame.head(2000) for name, frame in tables.items()}
        _write(head, tmp_path / "old-head.xlsx", specs, True)
        _write(head, tmp_path / "new-head.xlsx", specs, False)
        assert _cells(tmp_path / "old-head.xlsx") == _cells(tmp_path / "new-head.xlsx")
        return
    new: list[float] = []
    benchmark.pedantic(lambda: new.append(_write(tables, tmp_path / "new.xlsx", specs, False)),
                       rounds=3, iterations=1)
    old = [_write(tables, tmp_path / "old.xlsx", specs, True) for _ in range(3)]
    assert _cells(tmp_path / "old.xlsx") == _cells(tmp_path / "new.xlsx")
    size = (tmp_path / "new.xlsx").stat().st_size / 1e6
    print(f"\n{what}: {len(tables)} sheets, {rows:,} rows, {cells:,} cells, {size:.1f} MB; "
          f"openpyxl {statistics.median(old):.2f}s ({min(old):.2f}–{max(old):.2f}), "
          f"column-wise {statistics.median(new):.2f}s ({min(new):.2f}–{max(new):.2f}), "
          f"{statistics.median(old) / statistics.median(new):.1f}x")


def test_write_five_year_plan_workbook(benchmark, five_year_tables, tmp_path):
    """plan.xlsx of the bundled city's five-year plan: 17 s of a 26 s run before issue 14."""
    _old_against_new(benchmark, five_year_tables, PLAN_TABLES, tmp_path, "five-year plan")


def test_write_province_input_workbook(benchmark, province_tables, tmp_path):
    """The province's input tables as one Chinese workbook (`generate --xlsx`)."""
    _old_against_new(benchmark, province_tables, TABLES, tmp_path, "province inputs")
