"""The bundled city's reports as a person sees them, in a real headless Chromium.

tests/test_report.py reads the DOM Chromium dumps; here the page is driven through the DevTools
protocol (over --remote-debugging-pipe: no port, no package) so the checks can ask the layout
what a reader sees: each chart drew marks, no legend sits under a toolbar, no title is cut off,
the Chinese glyphs are real glyphs (not the same missing-glyph box), and the page prints on A4
landscape with the headline figures on page one. The one-year report (bazhong-2021) and the
five-year one (fourteenth-five-year) are both checked; the full-page screenshot is copied into
the first test's tmp_path, and the fixture's folder keeps it beside the printed report.pdf.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from test_report import REPO, bianzhi, chromium

from solver.report.html import vs_floor

pytestmark = pytest.mark.browser

SCENARIOS = {"one-year": REPO / "scenarios" / "bazhong-2021.yaml",
             "five-year": REPO / "scenarios" / "fourteenth-five-year.yaml"}
WIDTH = 1300  # a laptop's browser window


class Page:
    """One headless Chromium with one page, spoken to over the DevTools pipe (fds 3 and 4)."""

    def __init__(self, profile: Path):
        to_chrome, self._write = os.pipe()
        self._read, from_chrome = os.pipe()

        def fds() -> None:  # in the child: Chromium reads commands on 3, answers on 4
            high = [os.dup(to_chrome), os.dup(from_chrome)]  # never dup2 an fd onto itself
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.proc = subprocess.Popen(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", "--remote-debugging-pipe", f"--user-data-dir={profile}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=fds, close_fds=False)  # noqa: PLW1509 (the tests start no threads)
        os.close(to_chrome)
        os.close(from_chrome)
        self._buffer = b""
        self._id = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)
        self.session = self.call("Target.attachToTarget", {
            "targetId": target["targetId"], "flatten": True}, session=False)["sessionId"]
        self.call("Page.enable")

    def _message(self) -> dict:
        while b"\0" not in self._buffer:
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, session: bool = True) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._message()
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, event: str) -> None:
        while not any(e.get("method") == event for e in self.events):
            self.events.append(self._message())

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(json.dumps(result["exceptionDetails"])[:2000])
        return result["result"].get("value")

    def open(self, url: str, width: int = WIDTH, height: int = 1000) -> None:
        self.call("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.events.clear()
        self.call("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")
        # plotly draws on load; its promises settle within a few frames (bounded, not timed)
        for _ in range(200):
            if self.evaluate(DRAWN_JS):
                return
            time.sleep(0.05)

    def screenshot(self, path: Path) -> None:
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        shot = self.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"],
                     "scale": 1}})
        path.write_bytes(base64.b64decode(shot["data"]))

    def pdf(self, path: Path) -> bytes:
        printed = self.call("Page.printToPDF", {"preferCSSPageSize": True,
                                                "printBackground": True})
        data = base64.b64decode(printed["data"])
        path.write_bytes(data)
        return data

    def close(self) -> None:
        try:
            self.call("Browser.close", session=False)
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._write)
        os.close(self._read)


DRAWN_JS = """(() => {const charts = document.querySelectorAll('.js-plotly-plot');
 return charts.length > 0 && Array.from(charts).every(c => c.querySelector('.main-svg'));})()"""

# What a reader sees, measured by the layout: per chart its drawn marks, the boxes of its
# legends, toolbars (modebars) and titles; per heading whether its text fits its box.
LAYOUT_JS = """(() => {
 const box = el => {const r = el.getBoundingClientRect();
  return {x: r.left, y: r.top, w: r.width, h: r.height, text: (el.textContent || '').trim()};};
 const shown = el => {const r = el.getBoundingClientRect(), s = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && s.display !== 'none' && s.visibility !== 'hidden';};
 const charts = Array.from(document.querySelectorAll('.js-plotly-plot')).map(c => {
  const marks = Array.from(c.querySelectorAll(
    '.barlayer path, .scatterlayer path, .sankey path, .sankey rect')).filter(m => {
    const r = m.getBoundingClientRect(); return r.width + r.height > 0;});
  return {id: c.id, svg: c.querySelectorAll('.main-svg').length, marks: marks.length,
   box: box(c),
   legends: Array.from(c.querySelectorAll('.legend')).filter(shown).map(box),
   modebars: Array.from(c.querySelectorAll('.modebar, .modebar-container')).filter(shown)
     .map(box),
   titles: Array.from(c.querySelectorAll(
     '.gtitle, .xtitle, .ytitle, .y2title, .annotation-text')).filter(shown).map(box)};});
 const headings = Array.from(document.querySelectorAll('h1, h2, h3, summary')).map(h => ({
  text: h.textContent, scroll: h.scrollWidth, client: h.clientWidth}));
 return {charts, headings, errors: document.documentElement.getAttribute('data-js-errors'),
  error: document.documentElement.getAttribute('data-js-error-message')};})()"""

# Two different CJK characters drawn in the page's own font: with a CJK font they are two
# different glyphs; without one both are the same missing-glyph box (tofu), like a character
# no font has (U+0378 is unassigned).
GLYPHS_JS = """(() => {
 const font = getComputedStyle(document.querySelector('h1')).font;
 const draw = ch => {const c = document.createElement('canvas'); c.width = 64; c.height = 64;
  const g = c.getContext('2d'); g.font = font.replace(/\\d+px/, '40px');
  g.fillStyle = '#000'; g.textBaseline = 'top'; g.fillText(ch, 4, 4);
  return Array.from(g.getImageData(0, 0, 64, 64).data).join(',');};
 const a = draw('编'), b = draw('制'), tofu = draw('\\u0378');
 return {distinct: a !== b, notTofu: a !== tofu && b !== tofu, inked: /[1-9]/.test(a)};})()"""

PRINT_JS = """(() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(c =>
 [c.id, getComputedStyle(c).breakInside]))()"""


def overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] \
        and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]


def inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return inner["x"] >= outer["x"] - slack and inner["y"] >= outer["y"] - slack \
        and inner["x"] + inner["w"] <= outer["x"] + outer["w"] + slack \
        and inner["y"] + inner["h"] <= outer["y"] + outer["h"] + slack


def pdf_pages(data: bytes) -> int:
    """Pages of a PDF Chromium printed (its page objects are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def pdf_first_page_text(path: Path) -> str:
    """The text of page one (pypdf, a test extra)."""
    from pypdf import PdfReader

    return PdfReader(str(path)).pages[0].extract_text()


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def report(request, tmp_path_factory) -> dict:
    """The bundled scenario planned with --report; the page's layout read in Chromium."""
    root = tmp_path_factory.mktemp(request.param)
    plan = root / "plan"
    bianzhi("run", str(SCENARIOS[request.param]), "--out", str(plan), "--report",
            "--no-marginals")
    page = Page(root / "chrome")
    try:
        page.open((plan / "report.html").as_uri())
        found = {"name": request.param, "plan": plan, "layout": page.evaluate(LAYOUT_JS),
                 "glyphs": page.evaluate(GLYPHS_JS)}
        page.screenshot(root / "report.png")
        found["png"] = root / "report.png"
        page.call("Emulation.setEmulatedMedia", {"media": "print"})
        found["print_breaks"] = page.evaluate(PRINT_JS)
        page.call("Emulation.setEmulatedMedia", {"media": ""})
        found["pdf_path"] = root / "report.pdf"
        found["pdf"] = page.pdf(found["pdf_path"])
    finally:
        page.close()
    return found


def test_every_chart_draws_marks_and_the_page_has_no_script_error(report, tmp_path):
    layout = report["layout"]
    assert layout["errors"] is None, layout["error"]
    ids = [c["id"] for c in layout["charts"]]
    assert "chart-sankey" in ids and "chart-systems" in ids and "chart-unmet" in ids
    if report["name"] == "five-year":
        assert "chart-years-met" in ids and "chart-years-reserve" in ids
    for chart in layout["charts"]:
        assert chart["svg"] >= 1, f"{chart['id']}: no SVG drawn"
        assert chart["marks"] >= 1, f"{chart['id']}: an empty chart"
    png = report["png"].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000
    (tmp_path / f"report-{report['name']}.png").write_bytes(png)  # to look at


def test_no_legend_sits_under_a_toolbar(report):
    for chart in report["layout"]["charts"]:
        for legend in chart["legends"]:
            for bar in chart["modebars"]:
                assert not overlap(legend, bar), f"{chart['id']}: legend under the toolbar"


def test_no_title_or_legend_is_clipped(report):
    for chart in report["layout"]["charts"]:
        for title in chart["titles"] + chart["legends"]:
            assert inside(title, chart["box"]), (chart["id"], title["text"][:40], title,
                                                 chart["box"])
    for heading in report["layout"]["headings"]:
        assert heading["scroll"] <= heading["client"] + 1, heading["text"]


def test_the_chinese_renders_as_chinese_glyphs(report):
    glyphs = report["glyphs"]
    assert glyphs["inked"], "the CJK character drew nothing"
    assert glyphs["distinct"] and glyphs["notTofu"], \
        "CJK characters render as the missing-glyph box: no CJK font (fonts-wqy-zenhei)"


def test_it_prints_on_a4_landscape_without_splitting_a_chart(report):
    assert dict(report["print_breaks"]) and all(
        brk == "avoid" for _, brk in report["print_breaks"]), report["print_breaks"]
    data = report["pdf"]
    assert data.startswith(b"%PDF")
    pages = pdf_pages(data)
    # a page per chart or two at most, the long tables cut to their first rows in print
    charts = len(report["layout"]["charts"])
    assert 2 <= pages <= 2 * charts + 6, pages
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    width, height = float(box.group(1)), float(box.group(2))
    assert width > height and abs(width - 842) < 2 and abs(height - 595) < 2  # A4 landscape


def test_page_one_of_the_print_holds_the_headline_figures(report):
    text = pdf_first_page_text(report["pdf_path"])
    summary = json.loads((report["plan"] / "summary.json").read_text(encoding="utf-8"))
    flat = re.sub(r"\s+", "", text)
    assert "主要指标" in flat
    for m in summary["met"].values():
        assert f"{m['met']}/{m['requested']}" in flat, (m, flat[:400])
    for r in summary["reserve"].values():
        assert vs_floor(r).replace(" ", "") in flat, (r, flat[:400])
