"""Small valid input data sets, written as real files (CSV folders or one workbook).

A data set is built from hypothesis draws: 2-5 units with their quota rows and demands, and
sometimes a pool, surplus people with task groups, and off-quota positions; headers and enum
values in English or Chinese. Each data row keeps, next to the cells as written, what they
mean (`Row.value`), so that the expected stock-take can be computed after a corruption: a value
the tool accepts must be read as what it means.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from solver.domain import ENUMS, TABLES

QUOTA_TYPES = list(ENUMS["quota_type"])
NAMES = ["卫生健康委员会", "人民医院", "公安局", "教育局", "第一中学", "农业农村局", "疾控中心",
         "市场监管局", "统计局", "图书馆", "林业站", "文化馆"]
REGIONS = ["市本级", "恩阳区", "r1"]
SYSTEMS = [("health", "social"), ("public_security", "political_legal"),
           ("education", "social"), ("agriculture", "economic")]

# Sentinels put into cells and replaced after the file is encoded (quotes, raw bytes).
UNCLOSED = "\x01Q\x01"
RAW_BYTES = "\x01B\x01"
GBK_OPEN, GBK_CLOSE = "\x01G\x01", "\x01H\x01"


@dataclass
class Row:
    """One row of a table: cells as written, what kind of row it is, what its values mean."""

    cells: list
    kind: str = "data"  # data, title, blank, total, note
    value: dict = field(default_factory=dict)


@dataclass
class Tab:
    """One table: header as written, the canonical column of each header cell, rows."""

    name: str
    header: list[str]
    cols: list[str]
    rows: list[Row]
    above: list[Row] = field(default_factory=list)  # title rows above the header
    file: str = ""
    encoding: str = "utf-8"
    newline: str = "\n"

    def data(self) -> list[Row]:
        return [r for r in self.rows if r.kind == "data"]

    def col(self, name: str) -> int:
        return self.cols.index(name)

    def row_number(self, row: Row) -> int:
        """The row as the user sees it (CSV record / Excel row, header row = 1 + titles)."""
        for i, r in enumerate(self.rows):
            if r is row:
                return len(self.above) + 2 + i
        raise ValueError("row not in table")


@dataclass
class DataSet:
    """The tables of one input folder or workbook."""

    tabs: dict[str, Tab]
    zh: bool
    fmt: str = "csv"  # or xlsx
    unknown: bool = False  # a corruption made the expected figures unknowable

    def expected(self) -> dict[str, object]:
        """The stock-take figures the inputs mean (inventory --json keys)."""
        if self.unknown:
            return {}
        units, quotas, demands = (self.tabs[n].data() for n in ("units", "quotas", "demands"))
        exp: dict[str, object] = {"units.count": len(units), "demands.count": len(demands),
                                  "demands.amount": sum(r.value["amount"] for r in demands)}
        pool = self.tabs["pool"].data() if "pool" in self.tabs else []
        for qt in QUOTA_TYPES:
            rows = [r for r in quotas if r.value["quota_type"] == qt]
            exp[f"quota_types.{qt}.approved"] = sum(r.value["approved"] for r in rows)
            exp[f"quota_types.{qt}.staff"] = sum(r.value["staff"] for r in rows)
            exp[f"quota_types.{qt}.pool"] = sum(r.value["balance"] for r in pool
                                                if r.value["quota_type"] == qt)
        if "aux_positions" in self.tabs:
            exp["aux.headcount"] = sum(r.value["headcount"] for r in
                                       self.tabs["aux_positions"].data())
        if "people" in self.tabs:
            exp["people.count"] = len(self.tabs["people"].data())
        return exp


def _label(enum: str, code: str, zh: bool) -> str:
    return ENUMS[enum][code] if zh else code


def _header(table: str, cols: list[str], zh: bool) -> list[str]:
    spec = TABLES[table]
    return [spec.column(c).zh if zh else c for c in cols]


@st.composite
def datasets(draw, people: bool | None = None, aux: bool | None = None) -> DataSet:
    """A small valid data set (units, quotas, demands; maybe pool, people, aux)."""
    zh = draw(st.booleans())
    zh_values = draw(st.booleans())
    n = draw(st.integers(2, 5))
    style = draw(st.sampled_from(["U{:02d}", "DW{:03d}", "5107{:04d}", "单位{}"]))
    ids = [style.format(i + 1) for i in range(n)]
    region_count = draw(st.integers(1, 2))
    regions = REGIONS[:region_count]

    def enum(e: str, code: str) -> str:
        return _label(e, code, zh_values)

    # units
    ucols = ["unit_id", "name", "level", "region", "kind", "system", "sector", "parent_id",
             "function_status", "performance_score", "central_tasks", "leader_posts"]
    urows, unit_meta = [], []
    for i, uid in enumerate(ids):
        kind = draw(st.sampled_from(list(ENUMS["kind"])))
        system, sector = draw(st.sampled_from(SYSTEMS))
        region = regions[i % region_count]
        parent = ""
        if kind == "institution" and i > 0 and draw(st.booleans()):
            parent = ids[draw(st.integers(0, i - 1))]
        status = draw(st.sampled_from(["active", "active", "active", "weakened", "lapsed"]))
        score = draw(st.integers(50, 100))
        tasks = draw(st.integers(0, 5))
        leaders = draw(st.integers(0, 4))
        name = "市" + NAMES[(i * 5 + draw(st.integers(0, 11))) % len(NAMES)]
        cells = [uid, name, enum("level", draw(st.sampled_from(list(ENUMS["level"])))), region,
                 enum("kind", kind), system, sector, parent, enum("function_status", status),
                 str(score), str(tasks), str(leaders)]
        urows.append(Row(cells, value={"unit_id": uid, "region": region, "parent_id": parent}))
        unit_meta.append((uid, region))
    tabs = {"units": Tab("units", _header("units", ucols, zh), ucols, urows)}

    # quotas: every unit holds 1-2 types
    qcols = ["unit_id", "quota_type", "approved", "staff"]
    qrows, held = [], []
    for uid, region in unit_meta:
        types = draw(st.lists(st.sampled_from(QUOTA_TYPES), min_size=1, max_size=2, unique=True))
        for qt in types:
            approved = draw(st.integers(0, 60))
            staff = draw(st.integers(max(0, approved - 8), approved + 3))
            qrows.append(Row([uid, enum("quota_type", qt), str(approved), str(staff)],
                             value={"unit_id": uid, "quota_type": qt, "approved": approved,
                                    "staff": staff}))
            held.append((uid, qt, region))
    tabs["quotas"] = Tab("quotas", _header("quotas", qcols, zh), qcols, qrows)

    # demands
    dcols = ["demand_id", "unit_id", "quota_type", "tier", "amount", "reason", "start_year",
             "end_year"]
    drows = []
    for j in range(draw(st.integers(1, 4))):
        uid, qt, _ = held[draw(st.integers(0, len(held) - 1))]
        tier = draw(st.sampled_from(list(ENUMS["tier"])))
        amount = draw(st.integers(1, 10))
        end = str(draw(st.integers(2024, 2027))) if tier == "emergency" and draw(
            st.booleans()) else ""
        drows.append(Row([f"D{j + 1:03d}", uid, enum("quota_type", qt), enum("tier", tier),
                          str(amount), "新增任务", "2024", end],
                         value={"demand_id": f"D{j + 1:03d}", "amount": amount}))
    tabs["demands"] = Tab("demands", _header("demands", dcols, zh), dcols, drows)

    if draw(st.booleans()):
        pcols = ["region", "quota_type", "balance"]
        prows = []
        pairs = sorted({(r, qt) for _, qt, r in held})
        for region, qt in pairs[: draw(st.integers(1, len(pairs)))]:
            balance = draw(st.integers(0, 9))
            prows.append(Row([region, enum("quota_type", qt), str(balance)],
                             value={"quota_type": qt, "balance": balance}))
        tabs["pool"] = Tab("pool", _header("pool", pcols, zh), pcols, prows)

    if people if people is not None else draw(st.integers(0, 3)) == 0:
        gcols = ["group_id", "name", "min_size", "max_size", "skills", "max_age"]
        grows = [Row(["G01", "信访维稳工作组", "0", "3", "信访", "60"], value={"group_id": "G01"}),
                 Row(["G02", "招商引资工作组", "0", "2", "财务;统计", "58"],
                     value={"group_id": "G02"})]
        tabs["task_groups"] = Tab("task_groups", _header("task_groups", gcols, zh), gcols, grows)
        pcols = ["person_id", "name", "unit_id", "quota_type", "cadre_level", "gender", "age",
                 "service_years", "health", "work_status", "surplus_reason", "skills",
                 "preferences", "wants_return", "willing_early_retirement"]
        prows = []
        # surplus people hold a quota and count in staff: only rows with a seat left
        seats = {(r.value["unit_id"], r.value["quota_type"]): r.value["staff"] for r in qrows}
        for k in range(draw(st.integers(1, 3))):
            free = [h for h in held if seats[(h[0], h[1])] > 0]
            if not free:
                break
            uid, qt, _ = free[draw(st.integers(0, len(free) - 1))]
            seats[(uid, qt)] -= 1
            age = draw(st.integers(40, 60))
            prows.append(Row(
                [f"P{k + 1:03d}", "张某", uid, enum("quota_type", qt),
                 enum("cadre_level", draw(st.sampled_from(list(ENUMS["cadre_level"])))),
                 enum("gender", draw(st.sampled_from(["M", "F"]))), str(age),
                 str(draw(st.integers(5, age - 20))),
                 enum("health", draw(st.sampled_from(list(ENUMS["health"])))),
                 enum("work_status", draw(st.sampled_from(list(ENUMS["work_status"])))),
                 "reform", "财务", draw(st.sampled_from(["G01", "G01;G02", ""])),
                 enum("yes_no", draw(st.sampled_from(["yes", "no"]))),
                 enum("yes_no", draw(st.sampled_from(["yes", "no"])))],
                value={"person_id": f"P{k + 1:03d}"}))
        if prows:
            tabs["people"] = Tab("people", _header("people", pcols, zh), pcols, prows)
        else:
            del tabs["task_groups"]  # no staff anywhere: no surplus people either

    if aux if aux is not None else draw(st.integers(0, 2)) == 0:
        acols = ["unit_id", "category", "headcount", "approved", "outsourceable"]
        arows = []
        for uid, _ in unit_meta[: draw(st.integers(1, len(unit_meta)))]:
            headcount = draw(st.integers(0, 40))
            approved = draw(st.integers(0, headcount))
            cat = draw(st.sampled_from(list(ENUMS["category"])))
            arows.append(Row([uid, enum("category", cat), str(headcount), str(approved),
                              enum("yes_no", draw(st.sampled_from(["yes", "no"])))],
                             value={"headcount": headcount}))
        tabs["aux_positions"] = Tab("aux_positions", _header("aux_positions", acols, zh),
                                    acols, arows)
    for tab in tabs.values():
        tab.file = f"{TABLES[tab.name].zh if zh else tab.name}.csv"
    return DataSet(tabs, zh)


# ---------------------------------------------------------------- writing


def grid(tab: Tab) -> list[list]:
    """All rows of a table as written, titles and header included."""
    return [r.cells for r in tab.above] + [tab.header] + [r.cells for r in tab.rows]


def csv_bytes(tab: Tab) -> bytes:
    """The table as CSV bytes in its encoding, with the sentinels turned into raw bytes."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=tab.newline)
    for cells in grid(tab):
        writer.writerow(["" if c is None else str(c) for c in cells])
    text = buf.getvalue()
    # a GBK-encoded cell inside a file of another encoding
    parts = text.split(GBK_OPEN)
    out = parts[0].replace(UNCLOSED, '"').encode(tab.encoding, errors="strict")
    for part in parts[1:]:
        inner, _, rest = part.partition(GBK_CLOSE)
        out += inner.encode("gbk") + rest.replace(UNCLOSED, '"').encode(tab.encoding)
    return out.replace(RAW_BYTES.encode(tab.encoding), b"\xff\x80")


def write_folder(ds: DataSet, folder: Path) -> None:
    """The data set as a folder of CSV files."""
    folder.mkdir(parents=True, exist_ok=True)
    for tab in ds.tabs.values():
        (folder / tab.file).write_bytes(csv_bytes(tab))


def write_workbook(ds: DataSet, path: Path, extras=None) -> None:
    """The data set as one .xlsx workbook, one sheet per table; `extras(wb)` edits it last.

    Numbers are written as number cells (as Excel stores them), the rest as text.
    """
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for tab in ds.tabs.values():
        ws = wb.create_sheet(TABLES[tab.name].zh if ds.zh else tab.name)
        for cells in grid(tab):
            ws.append([_typed(c) for c in cells])
        tab.file = path.name
    if extras is not None:
        extras(wb)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def _typed(cell):
    if isinstance(cell, str) and cell.isascii() and cell.isdigit() and len(cell) < 16 \
            and not (len(cell) > 1 and cell.startswith("0")):
        return int(cell)
    return cell
