"""Benchmarks of five-year plans (issue 12): the horizon model per year count and whole runs.

Run for real with
    python -m pytest benchmarks/test_bench_years.py --benchmark-enable -p no:cacheprovider \
        --benchmark-columns=median,min,max,rounds
and the province part too (20 cities, ~60,000 units, ~1.3 M people in the staff register;
generating them takes 20-40 s, or give a folder made once with
`python benchmarks/years_figures.py province-data DIR`):
    BIANZHI_BENCH_PROVINCE=1 [BIANZHI_BENCH_PROVINCE_DATA=DIR] python -m pytest \
        benchmarks/test_bench_years.py --benchmark-enable -p no:cacheprovider

For each horizon of 1, 3, 5 and 10 years (2021–2021 … 2021–2030) the horizon model of a
perfect-foresight plan (`solver.years.perfect.HorizonModel`) is built (`HorizonModel.of`) and
solved (`HorizonModel.solve`: the sparse matrix and HiGHS) apart; arcs and nodes go into
extra_info. The whole command (`bianzhi run`, start-up, every year, verify and writing the
plan folder) is timed as a child process with its peak memory.

In CI (--benchmark-disable) each test runs once as a smoke test; the whole runs then cover one
year, the province part is skipped. As elsewhere the clock is not asserted, only correctness.
Figures and commands: benchmarks/README.md § "Five-year plans (issue 12)".
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from years_figures import BUNDLED_5Y, province_data, province_scenario, whole_run  # noqa: E402

from solver.runner import load_data, prelude  # noqa: E402
from solver.scenario import load_scenario  # noqa: E402
from solver.years.perfect import HorizonModel  # noqa: E402

YEARS = [1, 3, 5, 10]
PROVINCE = os.environ.get("BIANZHI_BENCH_PROVINCE") == "1"
needs_province = pytest.mark.skipif(
    not PROVINCE, reason="province benchmarks: set BIANZHI_BENCH_PROVINCE=1")


class Setting:
    """A scenario's data loaded once, and per year count the scenario and its prelude."""

    def __init__(self, path: Path):
        self.path = path
        self.base = load_scenario(path)
        self.ds = load_data(self.base)
        self._cache: dict[int, tuple] = {}

    def years(self, n: int):
        if n not in self._cache:
            end = self.base.horizon.start + n - 1
            scenario = load_scenario(self.path, sets=[f"horizon.end={end}",
                                                      "horizon.foresight=perfect"])
            self._cache[n] = (scenario, prelude(scenario, self.ds))
        return self._cache[n]


@pytest.fixture(scope="module")
def city() -> Setting:
    return Setting(BUNDLED_5Y)


@pytest.fixture(scope="module")
def province_folder(tmp_path_factory) -> Path:
    given = os.environ.get("BIANZHI_BENCH_PROVINCE_DATA")
    folder = Path(given) if given else tmp_path_factory.mktemp("province") / "data"
    return province_data(folder)


@pytest.fixture(scope="module")
def province(province_folder, tmp_path_factory) -> Setting:
    path = province_scenario(province_folder,
                             tmp_path_factory.mktemp("scenario") / "province-5y.yaml")
    return Setting(path)


def _build(benchmark, setting: Setting, n: int) -> None:
    scenario, before = setting.years(n)
    model = benchmark.pedantic(HorizonModel.of, args=(scenario, setting.ds, before),
                               rounds=3, iterations=1)
    lp = model.lp()
    benchmark.extra_info.update(years=n, arcs=lp.num_cols, nodes=lp.num_rows)
    assert lp.num_rows == model.node_count


def _solve(benchmark, setting: Setting, n: int) -> None:
    scenario, before = setting.years(n)

    def setup():  # a fresh model each round, built outside the clock
        return (HorizonModel.of(scenario, setting.ds, before),), {}

    planned = benchmark.pedantic(HorizonModel.solve, setup=setup, rounds=3, iterations=1)
    benchmark.extra_info.update(years=n, planned=int(planned["amount"].sum()))
    assert planned["amount"].gt(0).all()
    assert set(planned["year"]) <= set(scenario.horizon.years)


def _whole(benchmark, tmp_path, scenario: Path, foresight: str, n: int) -> None:
    sets = [f"horizon.end={2021 + n - 1}", f"horizon.foresight={foresight}"]
    runs = iter(range(100))
    last = {}

    def run():
        last.update(whole_run(scenario, tmp_path / f"plan-{next(runs)}", sets=sets))

    benchmark.pedantic(run, rounds=3 if not benchmark.disabled else 1, iterations=1)
    benchmark.extra_info.update(years=n, peak_rss_mb=round(last["rss_mb"]),
                                total=last["timings"]["total"],
                                write_and_startup=round(last["wall"] - last["timings"]["total"],
                                                        2))
    assert last["horizon"]["foresight"] == foresight
    assert last["horizon"]["end"] == 2021 + n - 1


@pytest.mark.parametrize("n", YEARS)
def test_horizon_build_city(benchmark, city, n):
    _build(benchmark, city, n)


@pytest.mark.parametrize("n", YEARS)
def test_horizon_solve_city(benchmark, city, n):
    _solve(benchmark, city, n)


@pytest.mark.slow
@pytest.mark.parametrize("foresight", ["perfect", "myopic"])
def test_whole_run_city(benchmark, tmp_path, foresight):
    """Issue 12: `bianzhi run scenarios/fourteenth-five-year.yaml` ≤ 5 s (one year in CI)."""
    _whole(benchmark, tmp_path, BUNDLED_5Y, foresight, 1 if benchmark.disabled else 5)


@needs_province
@pytest.mark.slow
@pytest.mark.parametrize("n", YEARS)
def test_horizon_build_province(benchmark, province, n):
    _build(benchmark, province, n)


@needs_province
@pytest.mark.slow
@pytest.mark.parametrize("n", YEARS)
def test_horizon_solve_province(benchmark, province, n):
    _solve(benchmark, province, n)


@needs_province
@pytest.mark.slow
@pytest.mark.parametrize("foresight", ["perfect", "myopic"])
def test_whole_run_province(benchmark, tmp_path, province, foresight):
    """Issue 12: the province over 2021–2025 ≤ 60 s and ≤ 4 GB peak memory."""
    _whole(benchmark, tmp_path, province.path, foresight, 5)
