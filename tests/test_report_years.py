"""The report and the comparison of multi-year plans (issue 12), on small worlds.

Each world is a real input folder with a staff register and a multi-year scenario, planned by
the real `bianzhi run` (in-process); the report is rendered in a real headless Chromium like
tests/test_report.py does, and its charts' figures are read back from the page and set against
the plan's own tables. The world of perfect against myopic foresight is the one of
tests/test_years.py::test_perfect_foresight_keeps_a_quota_for_next_years_key_demand.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli as cli
from conftest import staff_rows, world
from test_report import ARTIFACTS, CHARTS, js_errors, render

from solver.compare import compare_plans
from solver.report.html import render_compare, render_report, vs_floor

I = "institution"
YEAR_CHARTS = ["chart-years-quota", "chart-years-reserve", "chart-years-leavers",
               "chart-years-met", "chart-years-demands", "chart-years-returned"]
# the one-year charts a plan without people draws (no surplus cadres: no cadre charts)
PLAN_CHARTS = [c for c in CHARTS if c not in ("chart-options", "chart-ages", "chart-groups")]


# ---------------------------------------------------------------- worlds (conftest.world)


def run(scenario: Path, out: Path, *extra: str) -> Path:
    assert cli("run", scenario, "--out", out, "--no-marginals", *extra) == 0
    return out


@pytest.fixture(scope="module")
def busy(tmp_path_factory) -> Path:
    """Three years touching every year chart: retirements (D in 2022, F in 2022, three of O's
    in 2021), 10% other leavers, a reserve floor, an emergency task ending in 2021 whose two
    quotas return in 2022 (事去减编), demands met in 2021 and in 2022, one never."""
    root = tmp_path_factory.mktemp("busy")
    s = world(root, ["D", "E", "F", "O"],
              [("D", I, 10, 5), ("E", I, 4, 4), ("F", I, 10, 10), ("O", I, 5, 7)],
              [{"id": "dE", "unit": "E", "tier": "emergency", "amount": 2, "end": 2021},
               {"id": "dF", "unit": "F", "tier": "operational", "amount": 2},
               {"id": "dO", "unit": "O", "tier": "operational", "amount": 1},
               {"id": "dK", "unit": "D", "tier": "key", "amount": 1, "start": 2022},
               {"id": "dE2", "unit": "E", "tier": "operational", "amount": 1, "start": 2022}],
              staff_rows("D", 5, ["1962-02"]) + staff_rows("E", 4)
              + staff_rows("F", 10, ["1962-03"]) + staff_rows("O", 7, ["1961-02"] * 3),
              extra="attrition: {rate: 0.1}\n")
    return run(s, root / "plan", "--set", "policy.reserve_rate=0.1")


@pytest.fixture(scope="module")
def foresight(tmp_path_factory) -> dict[str, Path]:
    """One vacancy over the whole horizon; an emergency request now, a key one next year:
    myopic gives it away in 2021, perfect foresight keeps it for 2022 (tests/test_years.py)."""
    root = tmp_path_factory.mktemp("foresight")
    args = (["D", "U1", "U2"], [("D", I, 3, 2), ("U1", I, 5, 5), ("U2", I, 5, 5)],
            [{"id": "dOp", "unit": "U1", "tier": "emergency", "amount": 1},
             {"id": "dK", "unit": "U2", "tier": "key", "amount": 1, "start": 2022}],
            staff_rows("D", 2) + staff_rows("U1", 5) + staff_rows("U2", 5))
    return {name: run(world(root / name, *args, foresight=name), root / name / name)
            for name in ("perfect", "myopic")}


@pytest.fixture(scope="module")
def one_year(tmp_path_factory) -> Path:
    """The busy world planned for 2021 alone (no horizon)."""
    root = tmp_path_factory.mktemp("one")
    s = world(root, ["D", "E"], [("D", I, 10, 5), ("E", I, 4, 4)],
              [{"id": "dE", "unit": "E", "tier": "emergency", "amount": 2}],
              staff_rows("D", 5) + staff_rows("E", 4))
    return run(s, root / "plan", "--set", "horizon=null", "--set", "year=2021")


def table(plan: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(plan / f"{name}.csv", dtype={"unit_id": str, "demand_id": str})


def figure(page: str, chart: str) -> list[dict]:
    """The traces of one chart, as the page hands them to Plotly.newPlot."""
    found = re.search(r'Plotly\.newPlot\(\s*"' + re.escape(chart) + r'",\s*', page)
    assert found, f"{chart} missing"
    data, _ = json.JSONDecoder().raw_decode(page, found.end())
    return data


def values(trace: dict) -> list:
    """A trace's y values (plotly may write them as a typed array)."""
    y = trace["y"]
    if isinstance(y, dict):  # {"dtype": ..., "bdata": base64}
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]).tolist()
    return list(y)


def chart_block(dom: str, chart: str) -> str:
    """The rendered DOM of one chart: from its div to the next chart's."""
    block = dom.split(f'id="{chart}"', 1)
    assert len(block) == 2, f"{chart} missing"
    return re.split(r'id="chart-', block[1], maxsplit=1)[0]


# ---------------------------------------------------------------- the report


@pytest.mark.browser
def test_year_report_renders_in_chromium_with_every_year_chart(busy, tmp_path):
    assert cli("report", busy) == 0
    page = busy / "report.html"
    dom = render(page.as_uri(), tmp_path, "--dump-dom").stdout
    assert js_errors(dom) is None, js_errors(dom)
    for chart in PLAN_CHARTS + YEAR_CHARTS:
        block = chart_block(dom, chart)
        assert "<svg" in block or "<canvas" in block, f"{chart} not drawn"
    for chart in YEAR_CHARTS:  # years on x, a count with its unit on y
        block = chart_block(dom, chart)
        assert re.search(r'class="[^"]*xtitle[^"]*"[^>]*>年度<', block), chart
        assert re.search(r'class="[^"]*ytitle[^"]*"[^>]*>[^<]*（[人名项]）<', block), chart
    assert "编制数/人数（名）" in chart_block(dom, "chart-years-quota")
    for label in ("2021", "2022", "2023"):
        assert f">{label}<" in chart_block(dom, "chart-years-met")
    # Chinese by default: section titles, legends and tier names
    for text in ("分年度情况", "各年度空编率储备与底线", "到龄退休", "其他自然减员",
                 "事去减编", "保重点", "保应急", "保运转", "逐年决定"):
        assert text in dom, text
    summary = json.loads((busy / "summary.json").read_text(encoding="utf-8"))
    years = chart_block(dom, "table-years")
    for v in summary["years"].values():
        r = v["reserve"][I]
        assert html.escape(vs_floor(r)) in years
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report-years.png"
    render(page.as_uri(), tmp_path, "--window-size=1300,6000", f"--screenshot={shot}")
    assert shot.exists() and shot.stat().st_size > 10_000


def test_year_charts_show_the_plans_own_figures(busy):
    page = render_report(busy)
    summary = json.loads((busy / "summary.json").read_text(encoding="utf-8"))
    per_year = summary["years"]
    years = sorted(per_year)
    y = table(busy, "years")

    quota = {t["name"]: values(t) for t in figure(page, "chart-years-quota")}
    first = y[y["year"] == 2021]
    ends = y.groupby("year")[["approved_end", "staff_end", "vacancy_end"]].sum()
    assert quota["核定编制"] == [first["approved_start"].sum(), *ends["approved_end"]]
    assert quota["实有人数"] == [first["staff_start"].sum(), *ends["staff_end"]]
    assert quota["空编"] == [(first["approved_start"] - first["staff_start"]).clip(lower=0).sum(),
                           *ends["vacancy_end"]]

    reserve = {t["name"]: values(t) for t in figure(page, "chart-years-reserve")}
    assert reserve["调整后空编"] == [per_year[k]["reserve"][I]["vacancy_after"] for k in years]
    assert reserve["底线"] == [per_year[k]["reserve"][I]["floor"] for k in years]
    assert min(reserve["底线"]) > 0

    leavers = {t["name"]: values(t) for t in figure(page, "chart-years-leavers")}
    by_year = y.groupby("year")[["retirements", "leavers", "hires", "returned"]].sum()
    assert leavers["到龄退休"] == by_year["retirements"].tolist()
    assert leavers["其他自然减员"] == by_year["leavers"].tolist()
    assert leavers["进人"] == by_year["hires"].tolist()
    assert sum(leavers["到龄退休"]) >= 5 and sum(leavers["其他自然减员"]) > 0

    d = table(busy, "demands").set_index("demand_id")
    dy = table(busy, "demand_years")
    dy["tier"] = dy["demand_id"].map(d["tier"])
    met = {t["name"]: values(t) for t in figure(page, "chart-years-met")}
    for tier, zh in (("key", "保重点"), ("emergency", "保应急"), ("operational", "保运转")):
        expected = [int(dy[(dy["year"] == int(k)) & (dy["tier"] == tier)]["met"].sum())
                    for k in years]
        assert met[zh] == expected == [per_year[k]["met"][tier] for k in years]
    assert met["保重点"] == [0, 1, 0] and met["保应急"] == [2, 0, 0]

    counts = {t["name"]: values(t) for t in figure(page, "chart-years-demands")}
    assert [sum(v) for v in zip(*(counts[x] for x in ("保重点", "保应急", "保运转")))] == [
        int((dy["year"] == int(k)).sum()) for k in years]
    full = d[(d["met"] >= d["amount"])]
    assert counts["当年全部满足的需求"] == [int((full["met_year"] == int(k)).sum())
                                   for k in years]

    returned = figure(page, "chart-years-returned")
    assert [sum(v) for v in zip(*(values(t) for t in returned))] == by_year["returned"].tolist()
    assert by_year["returned"].tolist() == [0, 2, 0]  # dE's two quotas, the year after 2021


def test_year_report_tables_name_each_year(busy):
    page = render_report(busy)
    # moves and unmet demands carry their year; every demand's quotas per year are listed
    moves = page.split('id="table-moves"', 1)[1].split("</thead>", 1)[0]
    assert ">年度<" in moves
    detail = page.split('id="table-demand-years"', 1)[1].split("</table>", 1)[0]
    for demand in ("dE", "dF", "dO", "dK", "dE2"):
        assert f"<td>{demand}</td>" in detail
    assert "2021.0" not in detail  # years as years
    assert 'id="table-pool-years"' in page and 'id="horizon"' in page
    assert "规划期: 2021–2023" in page and "其他自然减员率: 10.0%" in page


def test_english_year_report(busy):
    page = render_report(busy, lang="en")
    assert "Year by year" in page and "分年度情况" not in page
    assert "quotas \\u002f people" in page  # plotly escapes the slash in its JSON
    names = {t["name"] for t in figure(page, "chart-years-leavers")}
    assert names == {"retirements", "other leavers", "hires"}


def test_a_one_year_report_has_no_year_part(one_year):
    page = render_report(one_year)
    assert "chart-years" not in page and "分年度情况" not in page
    assert 'id="horizon"' not in page
    moves = page.split('id="table-moves"', 1)[1].split("</thead>", 1)[0]
    assert ">年度<" not in moves
    for chart in PLAN_CHARTS:
        figure(page, chart)


# ---------------------------------------------------------------- compare


def test_compare_perfect_and_myopic_names_the_years(foresight):
    result = compare_plans([foresight["perfect"], foresight["myopic"]])
    assert result["plans"] == ["perfect", "myopic"]
    # the emergency met in 2021 by the myopic plan; the key demand of 2022 by perfect foresight
    got = {m["demand_id"]: m for m in result["met_years"]}
    assert set(got) == {"dK", "dOp"}
    assert got["dK"]["met_year"] == {"perfect": 2022, "myopic": None}
    assert got["dOp"]["met_year"] == {"perfect": None, "myopic": 2021}
    assert got["dK"]["by_year"] == {"perfect": {"2022": 1}, "myopic": {}}
    assert got["dK"]["tier"] == "key" and got["dK"]["unit_id"] == "U2"
    assert got["dK"]["plan"] == "myopic"
    rows = {(r["plan"], r["year"]): r for r in result["years"]}
    assert sorted(rows) == sorted((p, y) for p in ("perfect", "myopic")
                                  for y in (2021, 2022, 2023))
    assert rows[("perfect", 2021)]["met"] == {"key": 0, "emergency": 0, "operational": 0}
    assert rows[("perfect", 2022)]["met"] == {"key": 1, "emergency": 0, "operational": 0}
    assert rows[("myopic", 2021)]["met"] == {"key": 0, "emergency": 1, "operational": 0}
    assert rows[("myopic", 2022)]["met"]["key"] == 0
    for (plan, year), r in rows.items():
        summary = json.loads((foresight[plan] / "summary.json").read_text(encoding="utf-8"))
        assert r["reserve"] == summary["years"][str(year)]["reserve"]
    kpis = {k["plan"]: k for k in result["kpis"]}
    assert kpis["perfect"]["foresight"] == "perfect" and kpis["myopic"]["foresight"] == "myopic"
    assert kpis["perfect"]["2022.met.key"] == 1 and kpis["myopic"]["2021.met.emergency"] == 1


def test_compare_out_writes_the_years_and_the_met_years(foresight, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert cli("compare", foresight["perfect"], foresight["myopic"], "--out", out) == 0
    printed = capsys.readouterr().out
    # the figures in words (2022.met.key is 2022年 满足编制（保重点）)
    from solver.text import language, metric

    with language("zh"):
        assert metric("2022.met.key") == "2022年 满足编制（保重点）"
        assert metric("2022.met.key") in printed and metric("2021.met.emergency") in printed
    written = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert written == compare_plans([foresight["perfect"], foresight["myopic"]])
    years = pd.read_csv(out / "years.csv")
    assert len(years) == 6 and {"met.key", f"reserve.{I}", f"floor.{I}"} <= set(years.columns)
    met = pd.read_csv(out / "met_years.csv", dtype=str, keep_default_na=False
                      ).set_index("demand_id")
    assert met.loc["dK", "met_year:perfect"] == "2022" and met.loc["dK", "met_year:myopic"] == ""
    assert met.loc["dOp", "met_year:myopic"] == "2021"
    assert met.loc["dK", "by_year:perfect"] == "2022:1"


@pytest.mark.browser
def test_compare_html_draws_the_years_per_plan(foresight, tmp_path):
    out = tmp_path / "cmp"
    assert cli("compare", foresight["perfect"], foresight["myopic"], "--out", out) == 0
    page = (out / "compare.html").read_text(encoding="utf-8")
    met = {t["name"]: t for t in figure(page, "chart-compare-years")}
    # x: (year, plan) pairs; the key bar of (2022, perfect) and the emergency of (2021, myopic)
    pairs = list(zip(*met["保重点"]["x"]))
    assert pairs == [("2021", "perfect"), ("2021", "myopic"), ("2022", "perfect"),
                     ("2022", "myopic"), ("2023", "perfect"), ("2023", "myopic")]
    assert values(met["保重点"]) == [0, 0, 1, 0, 0, 0]
    assert values(met["保应急"]) == [0, 1, 0, 0, 0, 0]
    dom = render((out / "compare.html").as_uri(), tmp_path, "--dump-dom").stdout
    assert js_errors(dom) is None, js_errors(dom)
    for chart in ("chart-compare-systems", "chart-compare-years", "chart-compare-reserve"):
        assert "<svg" in chart_block(dom, chart), chart
    assert "满足年度不同的需求" in dom and "table-met-years" in dom


def test_a_one_year_comparison_keeps_its_keys_and_files(one_year, tmp_path):
    other = tmp_path / "other"
    run(one_year.parent / "s.yaml", other, "--set", "horizon=null", "--set", "year=2021",
        "--set", "policy.reserve_rate=0.3")
    result = compare_plans([one_year, other])
    assert set(result) == {"base", "plans", "kpis", "unit_changes", "moves_only_in",
                           "changed_demands", "systems", "display_names"}
    assert not [k for k in result["kpis"][0] if k[:1].isdigit() or k == "foresight"]
    assert cli("compare", one_year, other, "--out", tmp_path / "cmp") == 0
    written = {p.name for p in (tmp_path / "cmp").iterdir() if not p.name.startswith(".")}
    assert written == {"compare.json", "kpis.csv", "moves_only_in.csv",
                       "changed_demands.csv", "unit_changes.csv", "compare.html"}
    assert "chart-compare-years" not in render_compare(result)


def test_a_one_year_plan_against_a_multi_year_plan(one_year, foresight):
    result = compare_plans([one_year, foresight["myopic"]])
    assert {r["plan"] for r in result["years"]} == {"myopic"}
    assert result["met_years"] == []  # the base has no years to set against
    assert "chart-compare-years" in render_compare(result)
