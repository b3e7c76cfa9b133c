"""The column-wise reader of plain CSV files gives exactly what the row-by-row reader gives.

`plain_csv_table` reads a province's register without a list of cells per row; it must
either return the very table (same cells, same row numbers, same header problems) that
`csv_grid` + `grid_to_table` return, or decline (None) and leave the file to them. Generated
texts mix clean files (which it must read) with every way a file departs from plain: quotes,
CR and CRLF line ends, blank, total and note rows, title rows, a BOM, NUL, spaces, short and
long rows, a serial column, headerless columns, a two-row header.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.domain import TABLES
from solver.errors import InputError
from solver.io.read import csv_grid, csv_table, grid_to_table, plain_csv_table

STAFF = TABLES["staff"]
QUOTAS = TABLES["quotas"]

HEADERS = {
    STAFF.name: ["person_id", "unit_id", "quota_type", "gender", "birth", "category", "started"],
    QUOTAS.name: ["unit_id", "quota_type", "approved", "staff"],
}
ZH_HEADERS = {
    STAFF.name: ["人员编号", "单位代码", "编制类型", "性别", "出生年月", "人员类别", "参加工作时间"],
    QUOTAS.name: ["单位代码", "编制类型", "核定编制数（名）", "实有人数"],
}
CLEAN_CELLS = ["P1", "P2", "U1", "bazhong-0001", "administrative", "行政编制", "M", "女",
               "1961-03", "196103", "cadre", "12", "１２", "SUM-05", "总计量检定所", "x1"]
ODD_CELLS = ["", " ", " P2 ", "\t", "\u3000", "合计", "小 计", "Total:", "grand total", "sum",
             "注：见说明", "note 1", "备注(1)", "资料来源：", "序号", '"', 'a"b', '"q"', "\x00",
             "x\x00y", "\ufeffP3", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "é",
             "\xa0", "Ｐ１", ",", "\r", "\n", "\r\n", "a\nb"]


def exact(text: str, table, file: str = "t.csv"):
    """What the row-by-row reader gives: (raw table, problems), or the InputError raised."""
    try:
        rows, numbers = csv_grid(text, file)
    except InputError as exc:
        return exc
    return grid_to_table(rows, numbers, table, file)


def assert_same(got, want) -> None:
    raw, problems = got
    want_raw, want_problems = want
    assert problems == want_problems
    assert (raw is None) == (want_raw is None)
    if raw is None:
        return
    pd.testing.assert_frame_equal(raw.frame, want_raw.frame, check_exact=True)
    assert [str(t) for t in raw.frame.dtypes] == [str(t) for t in want_raw.frame.dtypes]
    for attribute in ("name", "file", "sheet", "header_row", "headers", "extra_columns",
                      "reported"):
        assert getattr(raw, attribute) == getattr(want_raw, attribute), attribute


def check(text: str, table) -> object:
    """Compare both readers on `text`; the plain reader's answer (None: declined)."""
    want = exact(text, table)
    plain = plain_csv_table(text, table, "t.csv")
    if isinstance(want, InputError):
        assert plain is None, "the plain reader read what the exact reader refuses"
        with pytest.raises(InputError) as raised:
            csv_table(text, table, "t.csv")
        assert raised.value.problems == want.problems
        return None
    if plain is not None:
        assert_same(plain, want)
    assert_same(csv_table(text, table, "t.csv"), want)
    return plain


@st.composite
def csv_texts(draw):
    """A table's text: mostly a clean file, often with a few departures from plain."""
    table = draw(st.sampled_from([STAFF, QUOTAS]))
    header = list(draw(st.sampled_from([HEADERS, ZH_HEADERS]))[table.name])
    if draw(st.booleans()):
        order = draw(st.permutations(range(1, len(header))))
        header = header[:1] + [header[k] for k in order]
    width = len(header)
    rows = [[draw(st.sampled_from(CLEAN_CELLS)) for _ in range(width)]
            for _ in range(draw(st.integers(0, 6)))]
    for k, row in enumerate(rows):  # distinct ids, as a clean file has
        row[0] = f"{row[0]}-{k}"
    lines = [",".join(header)] + [",".join(row) for row in rows]
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(
            ["cell", "cell", "first", "row", "title", "extra", "short", "serial", "blank",
             "headless", "two-row header", "space", "twice", "unknown"]))
        k = draw(st.integers(0, len(lines) - 1))
        cells = lines[k].split(",")
        if kind in ("cell", "first", "space"):
            j = 0 if kind == "first" else draw(st.integers(0, len(cells) - 1))
            odd = (draw(st.sampled_from([" ", "\t", "\u3000"])) + cells[j] if kind == "space"
                   else draw(st.sampled_from(ODD_CELLS)))
            cells[j] = odd
            lines[k] = ",".join(cells)
        elif kind == "row":
            lines.insert(k + 1, ",".join(draw(st.sampled_from(ODD_CELLS + CLEAN_CELLS))
                                         for _ in range(draw(st.integers(1, width + 1)))))
        elif kind == "title":
            lines.insert(0, draw(st.sampled_from(["在编人员名册", "Staff register,,,", "", ","])))
        elif kind == "extra":
            lines[k] += "," + draw(st.sampled_from(["", " ", "x"]))
        elif kind == "short":
            lines[k] = ",".join(cells[:-1])
        elif kind == "serial":
            lines = [("序号" if i == 0 else str(i)) + "," + line for i, line in enumerate(lines)]
        elif kind == "blank":
            lines.insert(k + 1, draw(st.sampled_from(["", " ", ",,,"])))
        elif kind == "headless":
            lines = [line + ("," if i == 0 else "," + draw(st.sampled_from(["", " ", "v"])))
                     for i, line in enumerate(lines)]
        elif kind in ("twice", "unknown"):  # a column given twice, an unknown column
            lines = [line + "," + ((header[1] if kind == "twice" else "备注") if i == 0
                                   else f"r{i}")
                     for i, line in enumerate(lines)]
        elif kind == "two-row header":
            lines.insert(1, ",".join(draw(st.sampled_from(["", "编制情况", "出生年月"]))
                                     for _ in range(width)))
    end = draw(st.sampled_from(["\n", "\n", "\n", "\r\n", "\r"]))
    text = end.join(lines) + draw(st.sampled_from(["", end, end * 2, "\n", "\r"]))
    if draw(st.integers(0, 9)) == 0:
        text = "\ufeff" + text
    return table, text


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_texts())
def test_plain_reader_is_the_exact_reader(case):
    table, text = case
    check(text, table)


def clean_text(end: str = "\n") -> str:
    header = ",".join(HEADERS["staff"])
    rows = [f"P{k},U1,administrative,M,1961-03,cadre,1980-12" for k in range(5)]
    return end.join([header, *rows]) + end


@pytest.mark.parametrize("text", [
    clean_text(), clean_text("\r\n"), clean_text().rstrip("\n"),
    "在编人员名册,,,,,,\n" + clean_text(),  # a title row above the header
    clean_text().replace("cadre", " cadre "),  # spaces are stripped, as the exact reader does
    clean_text().replace("U1", "单位"),
    clean_text().replace("\n", ",x\n").replace("started,x", "started,备注"),  # unknown column
    clean_text().replace("\n", ",x,y\n").replace("started,x,y", "started,备注,备注"),  # twice
])
def test_plain_files_take_the_plain_reader(text):
    assert check(text, STAFF) is not None


def test_the_plain_reader_reports_a_column_given_twice():
    text = clean_text().replace("\n", ",U2\n").replace("started,U2", "started,unit_id")
    raw, problems = check(text, STAFF)
    assert [p.message for p in problems] == [
        "column 'unit_id' appears twice (also column 2); keep one of them"]
    assert raw.frame["unit_id"].tolist() == ["U1"] * 5


@pytest.mark.parametrize("text", [
    clean_text().replace("P1", '"P1"'),  # a quote: cells may span lines and hold commas
    clean_text().replace("\n", "\r"),  # CR alone ends a record too
    clean_text().replace("P1,", "P1\r,"),
    clean_text() + "\n",  # a blank row at the end
    clean_text().replace("P2", "\nP2"),  # a blank row inside
    clean_text() + "合计,,,,,,\n",  # a total row
    clean_text() + "小 计,,,,,,\n",
    clean_text() + "Total:,,,,,,\n",
    clean_text() + "注：数据截至年底,,,,,,\n",  # a note row
    clean_text().replace("P3", ""),  # a row without id
    clean_text().replace("P3", " "),
    clean_text().replace("P3,", "P3,,"),  # a row wider than the header
    clean_text().replace("P3,", ""),  # a row narrower than the header
    "序号," + clean_text().replace("\nP", "\n1,P"),  # a serial column
    clean_text().replace("\n", ",\n").replace("1980-12,\nP4", "1980-12,v\nP4"),  # no header
    clean_text().replace("P2", "x" * 140_000),  # beyond the csv field limit
    ",".join(HEADERS["staff"]) + "\n",  # no data rows
    "",
])
def test_other_files_take_the_exact_reader(text):
    assert check(text, STAFF) is None


def test_a_bom_left_in_the_text_is_read_as_the_exact_reader_reads_it():
    check("\ufeff" + clean_text(), STAFF)
    check(clean_text().replace("P2", "\ufeffP2"), STAFF)
