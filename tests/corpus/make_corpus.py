"""Write the corpus of real input files (broken, and messy-but-valid) with their expectations.

Every case starts from one small valid data set (`base()`: 5 units, 6 quota rows, a pool,
4 demands, 4 surplus people, 2 task groups, 4 off-quota rows) and makes one change, the way
a planner's file goes wrong. Each case becomes a folder `tests/corpus/<case>/` holding a
folder of CSV files or one .xlsx workbook; `cases.yaml` records, per case, the path to run
`bianzhi inventory` on, the expected exit code and the substrings stderr must contain.

Run once after changing a case, and commit this script with its output:

    python tests/corpus/make_corpus.py

The output is byte-for-byte reproducible (workbooks get fixed timestamps), so a rerun that
changes nothing leaves `git status` clean; `tests/test_corpus.py` checks that.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import random
import re
import shutil
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
FIXED_TIME = dt.datetime(2023, 6, 30, 9, 0, 0)

Rows = list[list[str]]
Tables = dict[str, Rows]

# ---------------------------------------------------------------- the valid base data set

BASE: Tables = {
    "units": [
        ["unit_id", "name", "level", "region", "kind", "system", "sector", "parent_id",
         "function_status", "performance_score", "central_tasks", "leader_posts"],
        ["U01", "市卫生健康委员会", "city", "市本级", "organ", "health", "social", "",
         "active", "88", "3", "5"],
        ["U02", "市人民医院", "city", "市本级", "institution", "health", "social", "U01",
         "active", "91.5", "2", "5"],
        ["U03", "市公安局", "city", "市本级", "organ", "public_security", "political_legal", "",
         "active", "85", "4", "8"],
        ["U04", "恩阳区教育局", "county", "恩阳区", "organ", "education", "social", "",
         "active", "79", "2", "4"],
        ["U05", "恩阳区第一中学", "county", "恩阳区", "institution", "education", "social", "U04",
         "weakened", "72", "1", "3"],
    ],
    "quotas": [
        ["unit_id", "quota_type", "approved", "staff"],
        ["U01", "administrative", "30", "28"],
        ["U02", "institution", "200", "195"],
        ["U03", "political_legal", "150", "152"],
        ["U03", "administrative", "20", "18"],
        ["U04", "administrative", "15", "15"],
        ["U05", "institution", "80", "76"],
    ],
    "pool": [
        ["region", "quota_type", "balance"],
        ["市本级", "administrative", "5"],
        ["恩阳区", "institution", "3"],
    ],
    "demands": [
        ["demand_id", "unit_id", "quota_type", "tier", "amount", "reason", "start_year",
         "end_year"],
        ["D001", "U02", "institution", "key", "10", "新建急诊科", "2023", ""],
        ["D002", "U03", "political_legal", "emergency", "5", "专项整治行动", "2023", "2025"],
        ["D003", "U05", "institution", "operational", "4", "学生人数增加", "2023", ""],
        ["D004", "U01", "administrative", "key", "2", "疾控体系改革", "2023", ""],
    ],
    "people": [
        ["person_id", "name", "unit_id", "quota_type", "cadre_level", "gender", "age",
         "service_years", "health", "work_status", "surplus_reason", "skills", "preferences",
         "wants_return", "willing_early_retirement"],
        ["P001", "张某", "U01", "administrative", "section_or_below", "M", "56", "35", "healthy",
         "idle", "reform", "财务;统计", "G01;G02", "no", "yes"],
        ["P002", "李某", "U03", "political_legal", "city_managed", "F", "52", "30", "chronic",
         "assisting", "age", "信访", "G02", "yes", "no"],
        ["P003", "王某", "U05", "institution", "section_or_below", "M", "45", "22", "healthy",
         "in_charge", "reform", "教学;后勤", "G01", "no", "no"],
        ["P004", "赵某", "U01", "administrative", "section_or_below", "F", "58", "38", "serious",
         "idle", "health", "", "", "no", "yes"],
    ],
    "task_groups": [
        ["group_id", "name", "min_size", "max_size", "skills", "max_age"],
        ["G01", "乡村振兴驻村工作组", "2", "5", "农业;统计", "58"],
        ["G02", "信访维稳工作组", "1", "3", "信访", "60"],
    ],
    "aux_positions": [
        ["unit_id", "category", "headcount", "approved", "outsourceable"],
        ["U02", "medical", "40", "30", "no"],
        ["U03", "auxiliary_police", "60", "0", "no"],
        ["U05", "teaching_aide", "10", "", "yes"],
        ["U01", "logistics", "6", "6", "yes"],
    ],
}
BASE_COUNTS = {"units.count": 5, "demands.count": 4, "people.count": 4}

# Chinese names of tables, headers and values (as docs/data.md gives them), for the zh variants.
ZH_TABLES = {
    "units": "单位", "quotas": "编制", "pool": "编制池", "demands": "用编需求",
    "people": "富余人员", "task_groups": "一线工作组", "aux_positions": "编外人员",
}
ZH_HEADERS = {
    "units": ["单位代码", "单位名称", "层级", "地区", "单位类别", "系统", "领域", "主管部门代码",
              "职能状态", "绩效得分", "中心任务数", "领导职数"],
    "quotas": ["单位代码", "编制类型", "核定编制数", "实有人数"],
    "pool": ["地区", "编制类型", "余额"],
    "demands": ["需求编号", "单位代码", "编制类型", "保障类别", "申请数", "事由", "起始年度",
                "结束年度"],
    "people": ["人员编号", "姓名", "原单位代码", "编制类型", "干部类别", "性别", "年龄", "工龄",
               "健康状况", "工作现状", "富余原因", "专长", "意向", "愿意返岗", "愿意提前退休"],
    "task_groups": ["工作组编号", "名称", "最少人数", "最多人数", "所需专长", "年龄上限"],
    "aux_positions": ["单位代码", "岗位类别", "现有人数", "核定员额", "可购买服务"],
}
ZH_VALUES = {
    "city": "市级", "county": "县级", "organ": "机关", "institution": "事业单位",
    "active": "正常", "weakened": "弱化", "lapsed": "消失",
    "administrative": "行政编制", "political_legal": "政法专项编制",
    "key": "保重点", "emergency": "保应急", "operational": "保运转",
    "section_or_below": "科级及以下", "city_managed": "市管干部", "M": "男", "F": "女",
    "healthy": "健康", "chronic": "慢性病", "serious": "重大疾病",
    "idle": "仅享受待遇", "assisting": "协助管理", "in_charge": "负责分管具体工作",
    "reform": "改革", "age": "年龄", "health": "健康", "yes": "是", "no": "否",
    "medical": "医护", "auxiliary_police": "辅警", "teaching_aide": "教辅", "logistics": "后勤保障",
}
# Columns whose values are enum codes (translated in the zh variants).
ENUM_COLUMNS = {
    "level", "kind", "function_status", "quota_type", "tier", "cadre_level", "gender", "health",
    "work_status", "surplus_reason", "wants_return", "willing_early_retirement", "category",
    "outsourceable",
}


def base(*names: str) -> Tables:
    """A fresh copy of the base tables (all, or the named ones)."""
    return copy.deepcopy({k: v for k, v in BASE.items() if not names or k in names})


def to_zh(tables: Tables) -> Tables:
    """The same tables with Chinese headers and Chinese enum values (the kind column of units
    uses 事业单位 for institution, the quota_type column uses 事业编制)."""
    out: Tables = {}
    for name, rows in tables.items():
        header = rows[0]
        zh_rows = [list(ZH_HEADERS[name])]
        for row in rows[1:]:
            cells = []
            for col, value in zip(header, row):
                if col in ENUM_COLUMNS and value:
                    value = "事业编制" if (col == "quota_type" and value == "institution") else (
                        ZH_VALUES.get(value, value))
                cells.append(value)
            zh_rows.append(cells)
        out[name] = zh_rows
    return out


def col(tables: Tables, table: str, column: str) -> int:
    return tables[table][0].index(column)


def set_cell(tables: Tables, table: str, key: str, column: str, value: str,
             key_col: int = 0) -> None:
    """Set one cell of the (first) data row whose key_col cell is `key`."""
    j = col(tables, table, column)
    for row in tables[table][1:]:
        if row[key_col] == key:
            row[j] = value
            return
    raise KeyError(f"{table}: no row {key}")


def drop_column(tables: Tables, table: str, column: str) -> None:
    j = col(tables, table, column)
    for row in tables[table]:
        del row[j]


# ---------------------------------------------------------------- writers


def csv_text(rows: Rows, newline: str = "\n") -> str:
    """Rows as CSV text (quoting only where needed, as Excel does)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerows(rows)
    return buf.getvalue()


def write_csvs(folder: Path, tables: Tables, encoding: str = "utf-8", newline: str = "\n",
               names: dict[str, str] | None = None) -> None:
    """Each table as <name>.csv (or names[table].csv) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for table, rows in tables.items():
        stem = (names or {}).get(table, table)
        (folder / f"{stem}.csv").write_bytes(csv_text(rows, newline).encode(encoding))


def _xlsx_value(text: str) -> object:
    """Numbers as numbers, the way a planner's workbook holds them."""
    if re.fullmatch(r"-?\d+", text) and not (len(text) > 1 and text.startswith("0")):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text if text != "" else None


@dataclass
class Sheet:
    """One worksheet: rows written from `top` (Excel row number) and merged ranges."""

    rows: Rows
    merges: list[str] = field(default_factory=list)
    top: int = 1


def write_xlsx(path: Path, sheets: dict[str, Sheet], dimension: str | None = None) -> None:
    """A workbook with fixed metadata and zip timestamps (so reruns give the same bytes).

    `dimension` overwrites the used range stored in each sheet, as some exporters get it wrong.
    """
    import openpyxl
    from openpyxl.styles import Alignment, Font

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, sheet in sheets.items():
        ws = wb.create_sheet(title)
        for i, row in enumerate(sheet.rows):
            for j, text in enumerate(row):
                value = _xlsx_value(text)
                if value is not None:
                    ws.cell(row=sheet.top + i, column=j + 1, value=value)
        for ref in sheet.merges:
            ws.merge_cells(ref)
            first = ws[ref.split(":")[0]]
            first.alignment = Alignment(horizontal="center", vertical="center")
            first.font = Font(bold=True)
    wb.properties.creator = "bianzhi test corpus"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    _freeze_zip(buf.getvalue(), path, dimension)


def _freeze_zip(data: bytes, path: Path, dimension: str | None = None) -> None:
    """Rewrite a zip with fixed entry times and a fixed core.xml modification time."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                    lambda m: m.group(1) + stamp.encode() + m.group(3), content,
                )
            if dimension and info.filename.startswith("xl/worksheets/"):
                content = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'
                                 .encode(), content)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, content)
    path.write_bytes(out.getvalue())


def zh_sheets(tables: Tables) -> dict[str, Sheet]:
    """Chinese tables as sheets named in Chinese."""
    return {ZH_TABLES[name]: Sheet(rows) for name, rows in to_zh(tables).items()}


# ---------------------------------------------------------------- the cases


@dataclass
class Case:
    """One corpus entry: how to build it and what `bianzhi inventory` must say about it."""

    name: str
    what: str
    build: Callable[[Path], None]
    exit: int = 2
    stderr: list[str] = field(default_factory=list)
    json: dict[str, int] = field(default_factory=dict)
    path: str = ""  # relative to the case folder; "" = the folder itself
    debug: bool = False  # also check that --debug prints a traceback
    not_stderr: list[str] = field(default_factory=list)


CASES: list[Case] = []


def case(name: str, what: str, **kwargs):
    """Register the decorated builder as a case."""

    def register(build: Callable[[Path], None]) -> Callable[[Path], None]:
        CASES.append(Case(name, what, build, **kwargs))
        return build

    return register


def csv_case(name: str, what: str, change: Callable[[Tables], None] | None = None,
             **kwargs) -> None:
    """A case that is the base CSV folder after one change to its tables."""

    def build(folder: Path) -> None:
        tables = base()
        if change is not None:
            change(tables)
        write_csvs(folder, tables)

    CASES.append(Case(name, what, build, **kwargs))


# ----- valid and messy-but-valid

csv_case("valid_base", "the base data set as clean UTF-8 CSV files", exit=0,
         json=BASE_COUNTS, not_stderr=["warning"])


@case("valid_gbk_chinese", "GBK bytes (Excel on Chinese Windows), CRLF, Chinese file names, "
      "headers and enum values", exit=0, json=BASE_COUNTS, not_stderr=["warning"])
def _(folder: Path) -> None:
    write_csvs(folder, to_zh(base()), encoding="gbk", newline="\r\n", names=ZH_TABLES)


@case("valid_utf8_bom", "UTF-8 with a byte-order mark ('CSV UTF-8' from Excel)", exit=0,
      json=BASE_COUNTS, not_stderr=["warning"])
def _(folder: Path) -> None:
    write_csvs(folder, base(), encoding="utf-8-sig", newline="\r\n")


def _extra_columns(t: Tables) -> None:
    for row, (phone, note) in zip(t["units"], [("联系电话", "备注"), ("0827-5261234", ""),
                                               ("0827-5262345", "三甲医院"), ("0827-110", ""),
                                               ("0827-33210", "新设"), ("0827-33211", "")]):
        row += [phone, note]
    t["quotas"][0].append("remarks")
    for row in t["quotas"][1:]:
        row.append("2023年核定")


csv_case("valid_extra_columns", "unknown columns (联系电话, 备注, remarks) are carried through",
         _extra_columns, exit=0, json=BASE_COUNTS, not_stderr=["warning"])


def _one_title_row(t: Tables) -> None:
    width = len(t["units"][0])
    t["units"].insert(0, ["2023年市县两级单位基本情况表"] + [""] * (width - 1))


csv_case("valid_title_row", "one title row (with Excel's trailing commas) above the header",
         _one_title_row, exit=0, json=BASE_COUNTS, not_stderr=["warning"])


def _several_title_rows(t: Tables) -> None:
    width = len(t["quotas"][0])
    t["quotas"][:0] = [
        ["巴中市机构编制情况统计表"] + [""] * (width - 1),
        ["填报单位：市委编办", "", "", "单位：名"],
        [""] * width,
    ]


csv_case("valid_title_rows_several", "three title rows (title, 填报单位/单位：名, blank) above "
         "the header", _several_title_rows, exit=0, json=BASE_COUNTS, not_stderr=["warning"])


def _serial(t: Tables) -> None:
    for name in ("units", "quotas", "demands"):
        t[name][0].insert(0, "序号")
        for i, row in enumerate(t[name][1:], start=1):
            row.insert(0, str(i))


csv_case("valid_serial_column", "a 序号 serial column in front of units, quotas and demands",
         _serial, exit=0, json=BASE_COUNTS, not_stderr=["warning"])


def _totals(t: Tables) -> None:
    width = len(t["units"][0])
    t["units"].insert(4, ["小计", "市级单位3个"] + [""] * (width - 2))  # row 5
    t["units"].append(["合计", "5"] + [""] * (width - 2))  # row 8
    t["quotas"].append(["合计", "", "495", "484"])  # row 8
    t["demands"].append(["总计", "", "", "", "21", "", "", ""])  # row 6


csv_case("valid_total_rows", "小计/合计/总计 rows are skipped with a warning naming the rows and "
         "never read as units", _totals, exit=0, json={**BASE_COUNTS, "warnings": 3},
         stderr=["units.csv: skipped total rows 5, 8", "quotas.csv: skipped total row 8",
                 "demands.csv: skipped total row 6"])


def _notes(t: Tables) -> None:
    t["quotas"] += [
        ["", "", "", ""],
        ["注：1. 实有人数统计截至2023年6月30日。", "", "", ""],
        ["2. 政法专项编制含公安、检察、法院。", "", "", ""],
        ["资料来源：市委编办", "", "", ""],
    ]


csv_case("valid_notes_below", "注：/资料来源： notes (and a numbered continuation) below the "
         "table", _notes, exit=0, json=BASE_COUNTS,
         stderr=["quotas.csv: skipped note rows 9-11", "quotas.csv: skipped blank row 8"])


def _blank_rows(t: Tables) -> None:
    t["units"].insert(3, [])  # row 4: an empty line
    t["units"].insert(5, [""] * len(t["units"][0]))  # row 6: commas only
    t["quotas"].insert(4, [])


csv_case("valid_blank_rows_middle", "blank rows in the middle of units and quotas", _blank_rows,
         exit=0, json=BASE_COUNTS,
         stderr=["units.csv: skipped blank rows 4, 6", "quotas.csv: skipped blank row 5"])


def _headers_with_units(t: Tables) -> None:
    t["quotas"][0] = ["单位代码", "编制类型", "核定编制数（名）", "实有人数(人)"]
    t["demands"][0][4] = "申请数（名）"
    t["units"][0][-1] = "领导职数（个）"


csv_case("valid_headers_with_units", "headers with a unit in brackets: 核定编制数（名）, "
         "实有人数(人), 申请数（名）", _headers_with_units, exit=0, json=BASE_COUNTS,
         not_stderr=["warning"])


@case("valid_xlsx_chinese", "workbook with Chinese sheet names, a merged title cell, 序号, a 合计 "
      "row right under the header, merged notes below, and an unrelated empty sheet", exit=0,
      json=BASE_COUNTS, path="编制数据.xlsx",
      stderr=["编制数据.xlsx [单位]: skipped total row 3", "编制数据.xlsx [编制]: skipped note rows 10-11"])
def _(folder: Path) -> None:
    sheets = zh_sheets(base())
    units = sheets["单位"]
    width = len(units.rows[0]) + 1
    units.rows = [["2023年单位基本情况表"]] + [["序号"] + units.rows[0]] + [
        ["合计", "", "5个单位"]] + [[str(i)] + r for i, r in enumerate(units.rows[1:], start=1)]
    units.merges = [f"A1:{chr(ord('A') + width - 1)}1"]
    quotas = sheets["编制"]
    quotas.rows = [["机构编制情况"], *quotas.rows, [], ["注：1. 数据截至2023年6月30日。"],
                   ["2. 不含工勤人员。"]]
    quotas.merges = ["A1:D1", "A10:D10", "A11:D11"]  # a merged note is still one note
    sheets["Sheet3"] = Sheet([])
    write_xlsx(folder / "编制数据.xlsx", sheets)


@case("valid_xlsx_two_row_header", "two-row headers with merged cells: 编制情况 over 核定编制数 / "
      "实有人数 (codes merged down both rows); 基本情况 / 其他情况 over all unit columns but two", exit=0,
      json=BASE_COUNTS, path="two_row_header.xlsx", not_stderr=["warning"])
def _(folder: Path) -> None:
    sheets = zh_sheets(base())
    q = sheets["编制"]
    q.rows = [["单位编制情况表"], ["单位代码", "编制类型", "编制情况", ""],
              ["", "", "核定编制数", "实有人数"], *q.rows[1:]]
    q.merges = ["A1:D1", "A2:A3", "B2:B3", "C2:D2"]
    u = sheets["单位"]  # the sub-header row holds most names: the row above must not be lost
    header = u.rows[0]
    u.rows = [["单位代码", "单位名称", "基本情况", "", "", "", "", "其他情况"],
              ["", "", *header[2:]], *u.rows[1:]]
    u.merges = ["A1:A2", "B1:B2", "C1:G1", "H1:L1"]
    write_xlsx(folder / "two_row_header.xlsx", sheets)


@case("valid_xlsx_wrong_dimension", "every sheet claims its used range is A1 (as some "
      "exporters write it): all rows and columns are still read", exit=0, json=BASE_COUNTS,
      path="export.xlsx", not_stderr=["warning"])
def _(folder: Path) -> None:
    write_xlsx(folder / "export.xlsx", zh_sheets(base()), dimension="A1")


@case("valid_fullwidth_digits", "counts typed with full-width digits (２００, １，２００) in a GBK "
      "file", exit=0, json=BASE_COUNTS, not_stderr=["warning"])
def _(folder: Path) -> None:
    tables = to_zh(base())
    set_cell(tables, "quotas", "U02", "核定编制数", "１，２００")
    set_cell(tables, "quotas", "U02", "实有人数", "１９５")
    set_cell(tables, "demands", "D001", "申请数", "１０")
    write_csvs(folder, tables, encoding="gbk", newline="\r\n", names=ZH_TABLES)


@case("folder_with_two_workbooks", "a folder holding two workbooks and no CSV files: which one?",
      stderr=["has no units table", "the folder holds 2 workbooks (2022.xlsx, 2023.xlsx)",
              "give one of them as the path"])
def _(folder: Path) -> None:
    write_xlsx(folder / "2022.xlsx", zh_sheets(base()))
    write_xlsx(folder / "2023.xlsx", zh_sheets(base()))


def _csv_two_row_headers(t: Tables) -> None:
    # units: the row below holds most names, the row above the codes (no merging in a CSV)
    header = t["units"][0]
    t["units"][0:1] = [["单位代码", "单位名称", "基本情况", "", "", "", "", "其他情况", "", "", "", ""],
                       ["", "", *header[2:]]]
    # quotas: as many names above as below
    t["quotas"][0:1] = [["单位代码", "编制类型", "编制情况", ""], ["", "", "核定编制数", "实有人数"]]


csv_case("valid_csv_two_row_header", "two-row headers in CSV files: group cells above, the "
         "codes in the upper row and the other names in the lower one", _csv_two_row_headers,
         exit=0, json=BASE_COUNTS, not_stderr=["warning"])


@case("valid_folder_with_one_workbook", "a folder holding one workbook and no CSV files reads "
      "the workbook", exit=0, json=BASE_COUNTS, not_stderr=["warning"])
def _(folder: Path) -> None:
    write_xlsx(folder / "data.xlsx", zh_sheets(base()))


@case("valid_optional_tables_absent", "only the required units, quotas and demands", exit=0,
      json={"units.count": 5, "demands.count": 4, "people.count": 0}, not_stderr=["warning"])
def _(folder: Path) -> None:
    write_csvs(folder, base("units", "quotas", "demands"))

csv_case("warn_leader_posts", "an organ's leader posts above 50% of its quota (the fallback "
         "for kinds without size bands): a warning, not an error",
         lambda t: set_cell(t, "units", "U04", "leader_posts", "10"), exit=0, json=BASE_COUNTS,
         stderr=["1 warning", "units.csv, row 5, column leader_posts", "U04 has 10 leader posts",
                 "for 15 approved quotas", "50% of its approved", "官多兵少"])

csv_case("warn_leader_posts_band", "an institution's leader posts above the provincial limit "
         "for its size (80 quotas: at most 4): a warning, not an error",
         lambda t: set_cell(t, "units", "U05", "leader_posts", "5"), exit=0, json=BASE_COUNTS,
         stderr=["1 warning", "units.csv, row 6, column leader_posts", "U05 has 5 leader posts",
                 "for 80 approved quotas", "the limit of 4", "51–100 quotas",
                 "provincial leader-post limits by size"])

csv_case("warn_lapsed_unit", "a lapsed unit that still holds staff: a warning, not an error",
         lambda t: set_cell(t, "units", "U05", "function_status", "lapsed"), exit=0,
         json=BASE_COUNTS,
         stderr=["units.csv, row 6, column function_status", "U05 has lapsed functions",
                 "76 staff"])

# ----- encodings and files


@case("bad_encoding_utf16", "units.csv saved as UTF-16 ('Unicode text' in Excel)",
      stderr=["units.csv", "cannot be decoded as UTF-8 or GBK", "CSV UTF-8"], debug=True)
def _(folder: Path) -> None:
    tables = base()
    write_csvs(folder, tables)
    (folder / "units.csv").write_bytes(csv_text(tables["units"]).encode("utf-16"))


@case("bad_encoding_random_bytes", "demands.csv is binary garbage, neither UTF-8 nor GBK",
      stderr=["demands.csv", "cannot be decoded"])
def _(folder: Path) -> None:
    write_csvs(folder, base())
    rng = random.Random(7)
    (folder / "demands.csv").write_bytes(bytes([0xFF, 0xFE, 0x80]) +
                                         bytes(rng.randrange(256) for _ in range(300)))


csv_case("missing_demands_file", "no demands.csv in the folder",
         lambda t: t.pop("demands"),
         stderr=["has no demands table (用编需求)", "add demands.csv or 用编需求.csv"], debug=True)

@case("misnamed_units_file", "the units file is named units_2023.csv, which is no table name",
      stderr=["has no units table (单位)", "add units.csv or 单位.csv", "units_2023.csv"])
def _(folder: Path) -> None:
    write_csvs(folder, base(), names={"units": "units_2023"})


@case("not_a_workbook", "a CSV file renamed to .xlsx", path="data.xlsx",
      stderr=["data.xlsx", "is not a readable .xlsx workbook", "save it again as .xlsx"])
def _(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.xlsx").write_bytes(csv_text(BASE["units"]).encode("utf-8"))


@case("path_does_not_exist", "the path given does not exist", path="no_such_folder",
      stderr=["no_such_folder", "does not exist",
              "give a folder of CSV files or an .xlsx workbook"])
def _(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.txt").write_text("This case runs on no_such_folder/, which must not exist.\n",
                                       encoding="utf-8")


@case("empty_csv_file", "units.csv is a 0-byte file", stderr=["units.csv", "is empty"])
def _(folder: Path) -> None:
    write_csvs(folder, base())
    (folder / "units.csv").write_bytes(b"")


csv_case("empty_table_header_only", "demands.csv has its header and no rows",
         lambda t: t.__setitem__("demands", t["demands"][:1]),
         stderr=["demands.csv", "has no data rows", "at least one"])


@case("xlsx_empty_sheet", "the 单位 sheet of a workbook is empty", path="data.xlsx",
      stderr=["1 problem in", "data.xlsx [单位]", "is empty", "the units table (单位) is required"])
def _(folder: Path) -> None:
    sheets = zh_sheets(base())
    sheets["单位"] = Sheet([])
    write_xlsx(folder / "data.xlsx", sheets)


@case("xlsx_empty_optional_sheet", "the 编外人员 sheet (optional table) is empty",
      path="data.xlsx", stderr=["data.xlsx [编外人员]", "is empty", "remove"])
def _(folder: Path) -> None:
    sheets = zh_sheets(base())
    sheets["编外人员"] = Sheet([])
    write_xlsx(folder / "data.xlsx", sheets)


@case("xlsx_no_known_sheets", "a workbook whose sheets are Sheet1/Sheet2: no table found",
      path="data.xlsx", stderr=["has no units table", "a sheet named units or 单位", "Sheet1"])
def _(folder: Path) -> None:
    sheets = zh_sheets(base("units", "quotas"))
    write_xlsx(folder / "data.xlsx", {"Sheet1": sheets["单位"], "Sheet2": sheets["编制"]})


# ----- headers and columns

csv_case("missing_required_column", "quotas.csv has no staff (实有人数) column",
         lambda t: drop_column(t, "quotas", "staff"),
         stderr=["quotas.csv, row 1: missing column staff (实有人数)",
                 "add a column headed '实有人数' or 'staff'"])


@case("missing_column_under_title", "Chinese demands with a title row and no 申请数 column: the "
      "header is row 2", stderr=["用编需求.csv, row 2: missing column amount (申请数)"])
def _(folder: Path) -> None:
    tables = to_zh(base())
    drop_column(tables, "demands", "申请数")
    tables["demands"].insert(0, ["2023年用编需求汇总表"])
    write_csvs(folder, tables, names=ZH_TABLES)


csv_case("duplicate_header", "units.csv has two 'name' columns",
         lambda t: [r.append(r[1]) for r in t["units"]],
         stderr=["units.csv, row 1, column name", "appears twice"])

csv_case("unrecognised_headers", "task_groups.csv headers are all misspelt",
         lambda t: t["task_groups"].__setitem__(0, ["grp", "title", "min", "max", "skill", "age"]),
         stderr=["task_groups.csv", "no header row found", "group_id (工作组编号)"])


def _more_cells(t: Tables) -> None:
    t["demands"][2].append("急需")


csv_case("row_with_more_cells", "a demands row has one cell more than the header", _more_cells,
         stderr=["demands.csv, row 3", "has 9 cells but the header has 8 columns"])

# ----- keys

csv_case("duplicate_unit_id", "two units with the id U02",
         lambda t: t["units"].append(["U02", "市中心医院", "city", "市本级", "institution",
                                      "health", "social", "U01", "active", "", "", ""]),
         stderr=["units.csv, row 7, column unit_id", "duplicate unit_id 'U02' (first in row 3)"])

csv_case("duplicate_demand_id", "two demands with the id D002",
         lambda t: set_cell(t, "demands", "D003", "demand_id", "D002"),
         stderr=["demands.csv, row 4, column demand_id", "duplicate demand_id 'D002'",
                 "first in row 3"])

csv_case("duplicate_quota_row", "U03 has two political_legal rows in quotas",
         lambda t: t["quotas"].append(["U03", "political_legal", "10", "9"]),
         stderr=["quotas.csv, row 8, column quota_type",
                 "duplicate unit_id + quota_type 'U03 / political_legal' (first in row 4)"])

# ----- cell values

csv_case("negative_number", "a negative staff count",
         lambda t: set_cell(t, "quotas", "U04", "staff", "-3"),
         stderr=["quotas.csv, row 6, column staff", "'-3' is negative", "0 or more"])

csv_case("non_integer_count", "2.5 quotas asked for",
         lambda t: set_cell(t, "demands", "D003", "amount", "2.5"),
         stderr=["demands.csv, row 4, column amount", "'2.5' is not a whole number"])

csv_case("text_in_number_column", "'约15' in the approved column",
         lambda t: set_cell(t, "quotas", "U04", "approved", "约15"),
         stderr=["quotas.csv, row 6, column approved", "'约15' is not a number",
                 "write a whole number"])

csv_case("zero_demand_amount", "a demand for 0 quotas",
         lambda t: set_cell(t, "demands", "D001", "amount", "0"),
         stderr=["demands.csv, row 2, column amount", "'0' must be a whole number greater than 0"])

csv_case("age_out_of_range", "a surplus person aged 15",
         lambda t: set_cell(t, "people", "P003", "age", "15"),
         stderr=["people.csv, row 4, column age", "'15' is outside 16–80",
                 "write a value from 16 to 80"])

csv_case("empty_required_cell", "a quota row without a quota type",
         lambda t: set_cell(t, "quotas", "U02", "quota_type", ""),
         stderr=["1 problem in", "quotas.csv, row 3, column quota_type",
                 "is empty; a quota_type (编制类型) is required"],
         not_stderr=["asks for"])

csv_case("unknown_tier", "tier 'urgent'",
         lambda t: set_cell(t, "demands", "D002", "tier", "urgent"),
         stderr=["demands.csv, row 3, column tier", "'urgent' is not a valid tier",
                 "key (保重点), emergency (保应急), operational (保运转)"])

csv_case("unknown_level", "level 'province'",
         lambda t: set_cell(t, "units", "U03", "level", "province"),
         stderr=["units.csv, row 4, column level", "'province' is not a valid level",
                 "city (市级)"])


@case("unknown_kind_zh", "Chinese units table with 单位类别 '企业'",
      stderr=["单位.csv, row 3, column 单位类别", "'企业' is not a valid kind", "institution (事业单位)"])
def _(folder: Path) -> None:
    tables = to_zh(base())
    set_cell(tables, "units", "U02", "单位类别", "企业")
    write_csvs(folder, tables, names=ZH_TABLES)


csv_case("unknown_quota_type", "quota type 周转编制 (a turnover pool), which is no quota type "
         "of the tool",
         lambda t: set_cell(t, "quotas", "U05", "quota_type", "周转编制"),
         stderr=["1 problem in", "quotas.csv, row 7, column quota_type",
                 "'周转编制' is not a valid quota_type", "administrative (行政编制)",
                 "worker (工勤编制)"],
         not_stderr=["asks for", "holds institution"])

csv_case("unknown_yes_no", "willing_early_retirement 'maybe'",
         lambda t: set_cell(t, "people", "P002", "willing_early_retirement", "maybe"),
         stderr=["people.csv, row 3, column willing_early_retirement",
                 "'maybe' is not a valid willing_early_retirement", "yes (是), no (否)"])

# ----- references across tables

csv_case("unknown_unit_in_quotas", "quotas name unit U09",
         lambda t: set_cell(t, "quotas", "U05", "unit_id", "U09"),
         stderr=["quotas.csv, row 7, column unit_id", "unit 'U09' is not in the units table"])

csv_case("unknown_unit_in_demands", "a demand from unit U99",
         lambda t: set_cell(t, "demands", "D004", "unit_id", "U99"),
         stderr=["demands.csv, row 5, column unit_id", "unit 'U99' is not in the units table"])


@case("unknown_unit_in_people_zh", "a surplus person from unit U66 (Chinese headers: 原单位代码)",
      stderr=["富余人员.csv, row 2, column 原单位代码", "unit 'U66' is not in the units table"])
def _(folder: Path) -> None:
    tables = to_zh(base())
    set_cell(tables, "people", "P001", "原单位代码", "U66")
    write_csvs(folder, tables, names=ZH_TABLES)


csv_case("unknown_unit_in_aux", "off-quota positions of unit U77",
         lambda t: set_cell(t, "aux_positions", "U05", "unit_id", "U77"),
         stderr=["aux_positions.csv, row 4, column unit_id", "unit 'U77' is not in the units table"])

csv_case("demand_quota_type_not_held", "U04 asks for institution quota but holds only "
         "administrative", lambda t: set_cell(t, "demands", "D003", "unit_id", "U04"),
         stderr=["demands.csv, row 4, column quota_type", "asks for institution (事业编制)",
                 "unit 'U04' has no institution"])

csv_case("person_quota_type_not_held", "a person of U02 on administrative quota (U02 holds "
         "only institution)", lambda t: set_cell(t, "people", "P004", "unit_id", "U02"),
         stderr=["people.csv, row 5, column quota_type", "holds administrative",
                 "unit 'U02' has no administrative"])

csv_case("unknown_parent_id", "U05's parent department U44 does not exist",
         lambda t: set_cell(t, "units", "U05", "parent_id", "U44"),
         stderr=["units.csv, row 6, column parent_id",
                 "parent department 'U44' is not in the units table", "leave the cell empty"])

csv_case("unknown_preference_group", "P001 prefers group G09, which does not exist",
         lambda t: set_cell(t, "people", "P001", "preferences", "G01;G09"),
         stderr=["people.csv, row 2, column preferences", "group 'G09' is not in the task_groups",
                 "known groups: 'G01', 'G02'"])

csv_case("people_without_task_groups", "people.csv is given but task_groups.csv is not",
         lambda t: t.pop("task_groups"),
         stderr=["people.csv", "no task_groups table (一线工作组)"])

csv_case("pool_region_without_units", "the pool holds a balance for region 西城区, which has no "
         "units", lambda t: t["pool"].append(["西城区", "administrative", "2"]),
         stderr=["pool.csv, row 4, column region", "region '西城区' has no units"])

# ----- rules within a row

csv_case("min_size_above_max_size", "task group G01 needs at least 6 and at most 5 people",
         lambda t: set_cell(t, "task_groups", "G01", "min_size", "6"),
         stderr=["task_groups.csv, row 2, column min_size", "min_size 6 is above max_size 5",
                 "cannot exceed"])

csv_case("end_year_before_start_year", "an emergency demand ending in 2021 that starts in 2023",
         lambda t: set_cell(t, "demands", "D002", "end_year", "2021"),
         stderr=["demands.csv, row 3, column end_year",
                 "end year 2021 is before the start year 2023", "correct one of the two years"])

csv_case("bad_count_no_follow_on", "max_size '三' is reported once, not also as min_size above "
         "max_size 0", lambda t: set_cell(t, "task_groups", "G02", "max_size", "三"),
         stderr=["1 problem in", "task_groups.csv, row 3, column max_size", "'三' is not a number"],
         not_stderr=["is above max_size"])

# ----- row numbers as the user sees them


def _title_then_bad(t: Tables) -> None:
    set_cell(t, "quotas", "U03", "staff", "-1")  # data row 3; header on line 4 → row 7
    _several_title_rows(t)


csv_case("row_number_under_title_rows", "three title rows, then a negative staff count on the "
         "7th line", _title_then_bad,
         stderr=["quotas.csv, row 7, column staff", "'-1' is negative"])


def _blank_then_bad(t: Tables) -> None:
    set_cell(t, "units", "U05", "level", "乡")  # rows 4 and 6 are blank → U05 is row 8
    _blank_rows(t)


csv_case("row_number_after_blank_rows", "blank rows count: U05 is row 8 of units.csv",
         _blank_then_bad, stderr=["units.csv, row 8, column level", "'乡' is not a valid level"])


def _multiline_then_bad(t: Tables) -> None:
    set_cell(t, "demands", "D001", "reason", "新建急诊科\n（含胸痛中心）")
    set_cell(t, "demands", "D003", "tier", "normal")


csv_case("row_number_after_multiline_cell", "a quoted cell spanning two lines: D003 is row 4 "
         "as Excel shows it (line 5 of the text)", _multiline_then_bad,
         stderr=["demands.csv, row 4, column tier", "'normal' is not a valid tier"])


@case("xlsx_row_number", "Excel row numbers: merged title, blank row, header on row 3, a bad "
      "tier on Excel row 5", path="data.xlsx",
      stderr=["data.xlsx [用编需求], row 5, column 保障类别", "'紧急' is not a valid tier"])
def _(folder: Path) -> None:
    tables = to_zh(base())
    set_cell(tables, "demands", "D002", "保障类别", "紧急")
    sheets = {ZH_TABLES[n]: Sheet(r) for n, r in tables.items()}
    d = sheets["用编需求"]
    d.rows = [["2023年用编需求汇总表"], [], *d.rows]
    d.merges = ["A1:H1"]
    write_xlsx(folder / "data.xlsx", sheets)


@case("xlsx_table_starts_lower", "the sheet's first two rows are empty (the table starts at B3): "
      "U04's negative staff is Excel row 8", path="data.xlsx",
      stderr=["data.xlsx [编制], row 8, column 实有人数", "'-2' is negative"])
def _(folder: Path) -> None:
    tables = to_zh(base())
    set_cell(tables, "quotas", "U04", "实有人数", "-2")
    sheets = {ZH_TABLES[n]: Sheet(r) for n, r in tables.items()}
    sheets["编制"].rows = [[""] + r for r in sheets["编制"].rows]
    sheets["编制"].top = 3
    write_xlsx(folder / "data.xlsx", sheets)


@case("xlsx_merged_cells_in_data", "a unit code merged down over its two quota rows (U03 on "
      "Excel rows 4-5): the merged value belongs to both rows", path="data.xlsx", exit=0,
      json=BASE_COUNTS)
def _(folder: Path) -> None:
    sheets = zh_sheets(base())
    q = sheets["编制"]
    q.rows[4][0] = ""  # row 5 of the sheet: U03's second quota row
    q.merges = ["A4:A5"]
    write_xlsx(folder / "data.xlsx", sheets)


# ----- many problems at once


def _several(t: Tables) -> None:
    t["units"].append(["U04", "恩阳区教育局（重复）", "county", "恩阳区", "organ", "education",
                       "social", "", "active", "", "", ""])  # duplicate unit id, units row 7
    set_cell(t, "quotas", "U01", "approved", "-30")  # quotas row 2
    set_cell(t, "demands", "D004", "tier", "重点")  # demands row 5
    set_cell(t, "people", "P003", "preferences", "G03")  # people row 4
    set_cell(t, "aux_positions", "U03", "category", "保安")  # aux row 3


csv_case("several_problems_in_several_files", "five problems in five files are reported "
         "together in one run", _several,
         stderr=["5 problems in", "units.csv, row 7, column unit_id", "duplicate unit_id 'U04'",
                 "quotas.csv, row 2, column approved", "'-30' is negative",
                 "demands.csv, row 5, column tier", "'重点' is not a valid tier",
                 "people.csv, row 4, column preferences", "group 'G03'",
                 "aux_positions.csv, row 3, column category", "'保安' is not a valid category"],
         debug=True)


# ----- read exactly or refuse (issue 10)

csv_case("count_decimal_comma", "approved '3,5': a decimal comma, never read as 35",
         lambda t: set_cell(t, "quotas", "U04", "approved", "3,5"),
         stderr=["quotas.csv, row 6, column approved", "'3,5' is not a number",
                 "groups of three digits", "decimal comma write 3.5"])

csv_case("count_infinite", "staff 'inf': never read as -9223372036854775808",
         lambda t: set_cell(t, "quotas", "U02", "staff", "inf"),
         stderr=["quotas.csv, row 3, column staff", "'inf' is not a number"],
         not_stderr=["-9223372036854775808"])

csv_case("count_above_a_billion", "a demand for 1e20 quotas",
         lambda t: set_cell(t, "demands", "D002", "amount", "1e20"),
         stderr=["demands.csv, row 3, column amount", "'1e20' is more than 1,000,000,000"])

csv_case("valid_thousands_separators", "approved '1,200' (a thousands separator) is 1200",
         lambda t: set_cell(t, "quotas", "U02", "approved", "1,200"), exit=0,
         json={**BASE_COUNTS, "quota_types.institution.approved": 1280},
         not_stderr=["warning"])


def _units_named_like_totals(t: Tables) -> None:
    for table, key in (("units", 0), ("quotas", 0), ("demands", 1), ("people", 2),
                       ("aux_positions", 0)):
        for row in t[table][1:]:
            if row[key] == "U05":
                row[key] = "SUM-05"
    set_cell(t, "units", "U04", "name", "总计量检定所")


csv_case("valid_units_named_like_totals", "unit id SUM-05 and unit name 总计量检定所 are units, "
         "not total rows", _units_named_like_totals, exit=0, json=BASE_COUNTS,
         not_stderr=["warning"])


@case("encoding_mixed_utf8_gbk", "units.csv: header and first rows in UTF-8, the rest in GBK "
      "(two files pasted together)",
      stderr=["单位.csv, row 4", "mixes UTF-8 and GBK", "row 1"])
def _(folder: Path) -> None:
    write_csvs(folder, to_zh(base()), encoding="gbk", newline="\r\n", names=ZH_TABLES)
    lines = csv_text(to_zh(base())["units"], "\r\n").split("\r\n")
    data = b"\r\n".join(line.encode("utf-8" if i < 3 else "gbk") for i, line in enumerate(lines))
    (folder / "单位.csv").write_bytes(data)


@case("csv_unclosed_quote", "a quote opened in demands row 3 is never closed: it would swallow "
      "rows 4-5", stderr=["demands.csv, row 3", "never closed", "swallows"])
def _(folder: Path) -> None:
    write_csvs(folder, base())
    text = (folder / "demands.csv").read_text(encoding="utf-8")
    (folder / "demands.csv").write_text(text.replace("专项整治行动", '"专项整治行动'),
                                        encoding="utf-8")


def _cycle(t: Tables) -> None:
    set_cell(t, "units", "U04", "parent_id", "U05")


csv_case("parent_cycle", "U04's parent is U05 and U05's parent is U04", _cycle,
         stderr=["units.csv, row 5, column parent_id", "cycle: U04 → U05 → U04"])

csv_case("id_invisible_character", "unit id 'U05' followed by a zero-width space",
         lambda t: set_cell(t, "units", "U05", "unit_id", "U05\u200b"),
         stderr=["units.csv, row 6, column unit_id", "'U05\\u200b' holds an invisible character"])

csv_case("id_case_twin", "units U02 and u02: likely one unit typed twice",
         lambda t: t["units"].append(["u02", "市中心医院", "city", "市本级", "institution",
                                      "health", "social", "U01", "active", "", "", ""]),
         stderr=["units.csv, row 7, column unit_id", "'u02' is likely a duplicate of 'U02'"])


@case("xlsx_number_merged_down", "核定编制数 of U03's two quota rows merged into one cell "
      "(C4:C5)", path="data.xlsx",
      stderr=["data.xlsx [编制], row 4, column 核定编制数", "C4:C5", "Unmerge"])
def _(folder: Path) -> None:
    sheets = zh_sheets(base())
    q = sheets["编制"]
    q.rows[4][2] = ""
    q.merges = ["C4:C5"]
    write_xlsx(folder / "data.xlsx", sheets)


@case("xlsx_formula_without_value", "实有人数 of U04 is a formula a program wrote, never "
      "computed", path="data.xlsx",
      stderr=["data.xlsx [编制], row 6, column 实有人数",
              "formula without a computed value — open and save the file in Excel"],
      not_stderr=["is empty"])
def _(folder: Path) -> None:
    sheets = zh_sheets(base())
    sheets["编制"].rows[5][3] = "=C6-0"
    write_xlsx(folder / "data.xlsx", sheets)


# ---------------------------------------------------------------- main


def build_all(root: Path) -> list[dict]:
    """Write every case under `root` and return the expectation table."""
    names = [c.name for c in CASES]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise SystemExit(f"duplicate case names: {sorted(duplicates)}")
    table = []
    for c in CASES:
        folder = root / c.name
        if folder.exists():
            shutil.rmtree(folder)
        c.build(folder)
        entry: dict = {"name": c.name, "what": c.what,
                       "path": f"{c.name}/{c.path}" if c.path else c.name, "exit": c.exit,
                       "stderr": c.stderr}
        if c.not_stderr:
            entry["not_stderr"] = c.not_stderr
        if c.json:
            entry["json"] = dict(c.json)  # a copy each: no YAML anchors in the table
        if c.debug:
            entry["debug"] = True
        table.append(entry)
    return table


def write_table(root: Path, table: list[dict]) -> None:
    header = ("# Generated by make_corpus.py: one entry per case folder, with what\n"
              "# `bianzhi inventory <path>` must do. Edit the cases there, not here.\n")
    text = yaml.safe_dump({"cases": table}, allow_unicode=True, sort_keys=False, width=100)
    (root / "cases.yaml").write_text(header + text, encoding="utf-8")


def main(argv: list[str]) -> None:
    root = Path(argv[0]) if argv else HERE
    root.mkdir(parents=True, exist_ok=True)
    table = build_all(root)
    write_table(root, table)
    # the files are test data byte for byte (GBK, UTF-16, CRLF, BOM): no end-of-line conversion
    (root / ".gitattributes").write_text("* -text\n", encoding="utf-8")
    print(f"wrote {len(table)} cases to {root}")


if __name__ == "__main__":
    main(sys.argv[1:])
