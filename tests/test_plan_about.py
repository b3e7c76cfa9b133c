"""plan.xlsx for the committee (issue 13) and the plan folder's formats (issue 14).

The workbook opens on 说明 (About): the scenario, the headline figures of summary.json and
one row per sheet. `run --formats csv` / `--no-xlsx` writes no plan.xlsx, records the formats
in summary.json, and `verify` accepts the folder; a plan written with plan.xlsx that lost it
still breaks `workbook_differs`. LibreOffice (when installed) prints the bundled city plan to
a sane number of pages.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import small_data

from solver.domain import PLAN_TABLES, TIERS
from solver.plan.about import TABLE_ROWS
from solver.verify import verify_folder

REPO = Path(__file__).resolve().parents[1]


def about_rows(path: Path, sheet: str = "说明") -> tuple[list[str], list[tuple]]:
    """The workbook's sheet names and the rows of its About sheet."""
    book = openpyxl.load_workbook(path, read_only=True)
    rows = [tuple(r) for r in book[sheet].iter_rows(values_only=True)]
    names = book.sheetnames
    book.close()
    return names, rows


def test_plan_workbook_opens_on_what_the_plan_is(cli, tmp_path):
    data = small_data(tmp_path / "data")
    assert cli("run", data, "--out", tmp_path / "plan", "--no-marginals")[0] == 0
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text("utf-8"))
    assert summary["formats"] == ["csv", "xlsx"]
    names, rows = about_rows(tmp_path / "plan" / "plan.xlsx")
    assert names[0] == "说明" and names[1:] == [
        PLAN_TABLES[n].zh for n in ("moves", "units", "pool", "demands", "ledger")]
    assert rows[0] == ("项目", "内容", "备注")
    by_item = {r[0]: r[1:] for r in rows[1:]}
    assert by_item["数据"][0] == str(data)
    for tier, zh in TIERS.items():  # numbers as numbers, from summary.json
        assert by_item[f"{zh}需求满足数"][0] == summary["met"][tier]["met"]
    assert by_item["调整编制数"][0] == summary["moves"]["quotas_moved"]
    assert by_item["事业编制调整后空编（蓄水池）"][0] == (
        summary["reserve"]["institution"]["vacancy_after"])
    assert "事业编制调整后超编单位" in by_item
    for name in ("moves", "units", "pool", "demands", "ledger"):
        what, count = by_item[f"工作表：{PLAN_TABLES[name].zh}"]
        assert what == TABLE_ROWS[name][0]
        rows_in_csv = len((tmp_path / "plan" / f"{name}.csv").read_text().splitlines()) - 1
        assert count == f"{rows_in_csv} 行"
    # English with --lang en
    assert cli("run", data, "--out", tmp_path / "en", "--no-marginals", "--lang", "en")[0] == 0
    names, rows = about_rows(tmp_path / "en" / "plan.xlsx", "About")
    assert names[:2] == ["About", "moves"] and rows[0] == ("item", "value", "note")
    assert ("sheet: moves", TABLE_ROWS["moves"][1]) == rows[-5][:2]


def test_no_xlsx_writes_the_csv_plan_that_verify_accepts(cli, tmp_path):
    data = small_data(tmp_path / "data")
    for args in (["--no-xlsx"], ["--formats", "csv"], ["--formats", " CSV "]):
        out = tmp_path / f"plan{len(args)}{args[-1].strip()}"
        assert cli("run", data, "--out", out, "--no-marginals", *args)[0] == 0
        assert not (out / "plan.xlsx").exists() and (out / "moves.csv").is_file()
        summary = json.loads((out / "summary.json").read_text("utf-8"))
        assert summary["formats"] == ["csv"]
        code, stdout, _ = cli("verify", out)
        assert code == 0, stdout
    # a plan written with plan.xlsx that lost it is not the plan that was written
    assert cli("run", data, "--out", tmp_path / "full", "--no-marginals")[0] == 0
    (tmp_path / "full" / "plan.xlsx").unlink()
    found = verify_folder(tmp_path / "full")
    assert [(v.rule_id, v.message) for v in found] == [("workbook_differs", "plan.xlsx is missing")]
    assert cli("verify", tmp_path / "full")[0] != 0


@pytest.mark.parametrize("args", [["--formats", "pdf"], ["--formats", "xlsx"],
                                  ["--formats", "csv,xlsx,html"],
                                  ["--no-xlsx", "--formats", "xlsx,csv"]])
def test_bad_formats_are_exit_2_before_any_work(cli, tmp_path, args):
    data = small_data(tmp_path / "data")
    code, _, err = cli("run", data, "--out", tmp_path / "plan", *args)
    assert code == 2 and "--formats" in err
    assert not (tmp_path / "plan").exists()


def test_write_plan_formats_keyword(tmp_path):
    from solver.plan.folder import check_formats

    assert check_formats(("xlsx", "csv")) == ("csv", "xlsx")
    assert check_formats({"csv"}) == ("csv",)
    for bad in ((), ("xlsx",), ("csv", "json")):
        with pytest.raises(ValueError):
            check_formats(bad)


@pytest.mark.slow
@pytest.mark.libreoffice
def test_libreoffice_prints_the_city_plan_on_a_sane_number_of_pages(tmp_path):
    """Landscape A4 one page wide: wide sheets (the ledger's 30 columns) are scaled, not cut
    into pages side by side. The city's one-year plan (about 9,000 rows) takes 131 pages."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice (soffice) is needed for this test (.ci/run installs it)"
    from solver.plan import write_plan
    from solver.runner import checked_plan, load_data
    from solver.scenario import load_scenario

    scenario = load_scenario(REPO / "scenarios" / "bazhong-2021.yaml")
    plan = checked_plan(scenario, load_data(scenario), with_marginals=False)
    folder = write_plan(plan, tmp_path / "plan")
    result = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                             "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"),
                             str(folder / "plan.xlsx")],
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    assert "error" not in (result.stdout + result.stderr).lower(), result.stderr
    pdf = (tmp_path / "pdf" / "plan.pdf").read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    rows = sum(len(frame) for frame in plan.tables().values())
    # every sheet starts a page; at 100% an A4 landscape page holds ~30 rows, so a plan that
    # printed its wide sheets in strips side by side would take several hundred
    assert len(plan.tables()) + 1 <= pages <= 200, pages
    assert pages < rows / 30
