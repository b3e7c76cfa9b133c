"""Reports people read: the HTML report in a real headless Chromium, the plan workbook, redaction."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from solver.report.html import vs_floor

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "bazhong-2021.yaml"
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--virtual-time-budget=15000"]
CHARTS = ["chart-sankey", "chart-systems", "chart-tiers", "chart-unmet", "chart-options",
          "chart-ages", "chart-groups"]


def bianzhi(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "solver.cli", *args], capture_output=True,
                          text=True, check=check)


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Debian's chromium is needed for the report tests (.ci/run installs it)"
    return path


def js_errors(dom: str) -> str | None:
    """The error the page recorded on its <html> tag, if any."""
    tag = re.search(r"<html[^>]*>", dom)
    assert tag, "no page rendered"
    if "data-js-errors" not in tag.group(0):
        return None
    found = re.search(r'data-js-error-message="([^"]*)"', tag.group(0))
    return found.group(1) if found else "unknown error"


def render(url: str, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp / 'chrome'}",
                           *extra, url], capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "plan"
    bianzhi("run", str(SCENARIO), "--out", str(out), "--report")
    return out


@pytest.mark.browser
def test_report_renders_in_chromium_with_every_chart_and_no_script_error(plan, tmp_path):
    page = plan / "report.html"
    text = page.read_text(encoding="utf-8")
    # self-contained: nothing is loaded from elsewhere (plotly.js is inlined)
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', text)
    assert "<script>" in text and len(text) > 1_000_000
    dom = render(page.as_uri(), tmp_path, "--dump-dom").stdout
    assert js_errors(dom) is None, js_errors(dom)
    for chart in CHARTS:
        block = dom.split(f'id="{chart}"', 1)
        assert len(block) == 2, f"{chart} missing"
        assert "<svg" in block[1][:20000] or "<canvas" in block[1][:20000], f"{chart} not drawn"
    summary = json.loads((plan / "summary.json").read_text())
    headline = dom.split('id="headline"', 1)[1][:20000]
    for tier in ("key", "emergency", "operational"):
        m = summary["met"][tier]
        assert f"{m['met']}/{m['requested']}" in headline
    for r in summary["reserve"].values():
        assert html.escape(vs_floor(r)) in headline
    # the floor holds per region: a region below it before the plan keeps its vacancies, so a
    # type's total may be under its summed floor — said so, never as a false "≥"
    legal = summary["reserve"]["political_legal"]
    assert legal["vacancy_after"] < legal["floor"]
    assert f"{legal['vacancy_after']} &lt; {legal['floor']}" in headline
    assert "有地区调整前已低于底线" in headline
    assert all(r["vacancy_after"] >= min(r["floor"], r["vacancy_before"] - r["returns_held"])
               for r in legal["by_region"].values())
    assert "保重点" in dom and "编制流向" in dom  # Chinese by default
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report.png"
    render(page.as_uri(), tmp_path, "--window-size=1300,3200", f"--screenshot={shot}")
    assert shot.exists() and shot.stat().st_size > 10_000


def test_english_report(plan, tmp_path):
    bianzhi("report", str(plan), "--lang", "en")
    dom = render((plan / "report.html").as_uri(), tmp_path, "--dump-dom").stdout
    assert "Quota flows" in dom and "Demands met" in dom
    assert js_errors(dom) is None


def test_personal_data_stays_out_unless_asked(plan, tmp_path):
    people = pd.read_csv(REPO / "scenarios/bazhong-2021/people.csv", dtype=str)
    names = [n for n in people["name"] if isinstance(n, str) and len(n) >= 2]
    shared = [plan / "report.html", *plan.glob("*.csv"), plan / "summary.json"]
    for path in shared:
        text = path.read_text(encoding="utf-8")
        leaked = [n for n in names if n in text]
        assert not leaked, f"{path.name} shows names {leaked[:3]}"
    health_words = ["seriously ill", "chronic", "重大疾病", "慢性病"]
    for path in shared[1:]:  # the page's own legends name no person; the tables must not
        text = path.read_text(encoding="utf-8")
        assert not [w for w in health_words if w in text], path.name
    book = pd.read_excel(plan / "plan.xlsx", sheet_name=None)
    for sheet in book.values():
        text = sheet.to_csv()
        assert not [n for n in names if n in text]
        assert not [w for w in health_words if w in text]
    personal = tmp_path / "personal"
    shutil.copytree(plan, personal)
    bianzhi("report", str(personal), "--include-personal")
    text = (personal / "report.html").read_text(encoding="utf-8")
    assert sum(n in text for n in names) >= len(names) // 2


def test_plan_workbook_round_trips_through_our_reader(plan):
    from solver.validate import load_plan_workbook

    book = load_plan_workbook(plan / "plan.xlsx")
    assert set(book) == {"moves", "units", "pool", "demands", "assignments", "aux_plan", "ledger"}
    sheets = pd.ExcelFile(plan / "plan.xlsx").sheet_names
    assert "编制调整明细" in sheets and "需求满足情况" in sheets
    for name in ("demands", "moves", "units", "assignments", "aux_plan"):
        csv = pd.read_csv(plan / f"{name}.csv", dtype=str, keep_default_na=False)
        back = book[name]
        assert len(back) == len(csv)
        for col in csv.columns:
            left = [_canon(v) for v in csv[col].tolist()]
            right = [_canon(v) for v in back[col].tolist()]
            assert left == right, (name, col)


def _canon(value) -> str:
    """A cell as comparable text: numbers by value, missing as ''."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return repr(number)


def test_compare_writes_an_html_page(plan, tmp_path):
    other = tmp_path / "reserve5"
    bianzhi("run", str(SCENARIO), "--out", str(other), "--apply", "reserve-5", "--no-marginals")
    bianzhi("compare", str(plan), str(other), "--out", str(tmp_path / "cmp"))
    page = tmp_path / "cmp" / "compare.html"
    dom = render(page.as_uri(), tmp_path, "--dump-dom").stdout
    assert js_errors(dom) is None
    assert "table-kpis" in dom and "table-changed" in dom
    block = dom.split('id="chart-compare-systems"', 1)[1][:20000]
    assert "<svg" in block
    # systems by the names the data gives, not by code
    systems = display_names(plan, "system")
    assert any(f">{name}<" in block for name in systems.values())
    assert not any(f">{code}<" in block for code, name in systems.items() if code != name)


# ---------------------------------------------------------------- what the charts say (issue 13)


@pytest.fixture(scope="module")
def page(plan) -> str:
    """The plan's report in Chinese (test_english_report rewrites report.html in English)."""
    from solver.report.html import render_report

    return render_report(plan)


def plotted(page: str, chart: str) -> tuple[list[dict], dict, dict]:
    """(traces, layout, config) of one chart, as the page hands them to Plotly.newPlot."""
    found = re.search(r'Plotly\.newPlot\(\s*"' + re.escape(chart) + r'",\s*', page)
    assert found, f"{chart} missing"
    decoder, at, parts = json.JSONDecoder(), found.end(), []
    for _ in range(3):
        value, at = decoder.raw_decode(page, at)
        parts.append(value)
        at = re.compile(r"\s*,?\s*").match(page, at).end()
    return parts[0], parts[1], parts[2]


def numbers(values) -> list:
    """A trace's values (plotly may write them as a typed array)."""
    if isinstance(values, dict):  # {"dtype": ..., "bdata": base64}
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def axis_title(layout: dict, axis: str) -> str:
    title = layout.get(axis, {}).get("title", {})
    return title.get("text", "") if isinstance(title, dict) else str(title)


def test_every_chart_names_its_axes_with_units_and_has_no_toolbar(plan, page):
    for chart in CHARTS:
        _, layout, config = plotted(page, chart)
        assert config.get("displayModeBar") is False, chart  # it sat over the legends
        if chart == "chart-sankey":  # no axes: the flows' unit is in its hover text
            continue
        assert axis_title(layout, "xaxis"), chart
        assert axis_title(layout, "yaxis"), chart
        counted = axis_title(layout, "yaxis" if chart != "chart-unmet" else "xaxis")
        assert re.search(r"（[名人项]）$", counted), (chart, counted)
        assert not layout.get("title"), chart  # titles are the page's headings: they wrap


def test_the_unmet_chart_counts_demands_like_the_terminal_line(plan, page, capsys):
    from solver.cli import render_run

    summary = json.loads((plan / "summary.json").read_text(encoding="utf-8"))
    traces, layout, _ = plotted(page, "chart-unmet")
    assert axis_title(layout, "xaxis") == "未满足的需求（项）"
    assert "按需求项数计" in page
    from solver.domain import ENUMS

    by_reason = {ENUMS["unmet_reason"][k]: v for k, v in summary["unmet"]["by_reason"].items()}
    assert dict(zip(traces[0]["y"], numbers(traces[0]["x"]))) == by_reason
    d = pd.read_csv(plan / "demands.csv")
    short = d[d["met"] < d["amount"]]
    lacking = short.groupby("unmet_reason").apply(lambda g: int((g["amount"] - g["met"]).sum()))
    for reason, q in lacking.items():
        n = summary["unmet"]["by_reason"][reason]
        assert f"{n}项需求，缺{q}名编制" in traces[0]["text"]
    render_run(summary, plan)
    line = [x for x in capsys.readouterr().out.splitlines() if x.startswith("Unmet demands")]
    assert line == [f"Unmet demands: {summary['unmet']['demands']} demands, "
                    f"{summary['unmet']['amount']} quotas short; demands by reason: "
                    + ", ".join(f"{k} {v}" for k, v in summary["unmet"]["by_reason"].items())]


def display_names(plan: Path, kind: str) -> dict[str, str]:
    """code → name of one kind, from the plan folder's names.csv."""
    names = pd.read_csv(plan / "names.csv", dtype=str, keep_default_na=False)
    names = names[names["kind"] == kind]
    return dict(zip(names["code"], names["name"]))


def test_flows_are_drawn_between_sectors_with_a_tier_legend_and_a_table_each(plan, page):
    units = pd.read_csv(REPO / "scenarios/bazhong-2021/units.csv", dtype=str)
    names = display_names(plan, "sector")
    sectors = set(units["sector"].map(names))  # by the names the data gives (names.csv)
    assert "party_and_government" not in sectors and len(sectors) == units["sector"].nunique()
    traces, _, _ = plotted(page, "chart-sankey")
    nodes = {label.strip(" →") for label in traces[0]["node"]["label"]}
    assert nodes <= sectors | {"编制池"} and len(nodes) >= 4
    moves = pd.read_csv(plan / "moves.csv", dtype=str, keep_default_na=False)
    flows = moves[moves["kind"].isin(["transfer", "transfer_with_person", "pool_grant"])]
    assert sum(numbers(traces[0]["link"]["value"])) == flows["amount"].astype(int).sum()
    legend = page.split('id="legend-tiers"', 1)[1].split("</div>", 1)[0]
    for tier in ("保重点", "保应急", "保运转"):
        assert tier in legend
    assert page.count("<details><summary>") == len(nodes - {"编制池"})
    first = page.split("<details><summary>", 1)[1].split("</details>", 1)[0]
    names = set(units["name"])
    assert any(f"<td>{n}</td>" in first for n in names)  # units by name, not by id alone


def test_the_systems_chart_shows_the_change_not_the_totals(plan, page):
    traces, layout, _ = plotted(page, "chart-systems")
    got = {t["name"]: dict(zip(t["x"], numbers(t["y"]))) for t in traces}
    assert set(got) == {"核定编制变化", "空编变化"}
    u = pd.read_csv(plan / "units.csv")
    u["system"] = u["unit_id"].map(pd.read_csv(
        REPO / "scenarios/bazhong-2021/units.csv").set_index("unit_id")["system"])
    u["d_vac"] = (u["approved_after"] - u["staff_after"]).clip(lower=0) \
        - (u["approved_before"] - u["staff_before"]).clip(lower=0)
    u["d_app"] = u["approved_after"] - u["approved_before"]
    u["system"] = u["system"].map(display_names(plan, "system"))  # 卫生健康, not health
    by = u.groupby("system")[["d_app", "d_vac"]].sum()
    by = by[(by["d_app"] != 0) | (by["d_vac"] != 0)]
    assert got["核定编制变化"] == by["d_app"].to_dict()
    assert got["空编变化"] == by["d_vac"].to_dict()
    assert max(abs(v) for v in got["核定编制变化"].values()) < 1000  # changes, not 27k totals
    assert axis_title(layout, "yaxis") == "变化（名）"


def test_age_bands_run_from_the_youngest(plan, page):
    traces, layout, _ = plotted(page, "chart-ages")
    bands = ["<40", "40-49", "50-54", "55-57", "58-60", ">60"]
    shown = layout["xaxis"]["categoryarray"]
    assert shown == [b for b in bands if b in shown] and shown[0] == "<40"
    assert all(t["x"] == shown for t in traces)
