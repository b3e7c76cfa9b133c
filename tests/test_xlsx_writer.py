"""The column-wise workbook writer (issue 14) against openpyxl's, its fallback.

`solver.io.xlsx` writes every workbook; openpyxl writes the ones holding values it leaves
alone (dates, Decimal, …). Both must give the same cells and the same committee-ready
formatting (issue 13: bold frozen header, filter over the table, fitted widths, landscape A4
one page wide with the header on every page): the bundled plan's and input tables, a table of
awkward values and random tables are written by both and read back through openpyxl and the
project's reader. Where openpyxl wrote a cell that could not be read back as written (a number
needing 17 digits, a lone surrogate) the new writer deliberately differs; those cases have
tests of their own.
"""

from __future__ import annotations

import datetime
import decimal
import gc
import io
import math
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from solver.domain import PLAN_TABLES, TABLES
from solver.io import write, xlsx
from solver.io.read import xlsx_sheets

REPO = Path(__file__).resolve().parents[1]
# openpyxl's write-only sheets complain on the way out when a refused cell stops them
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(autouse=True)
def _collect_openpyxl_leftovers():
    """Collect the sheets a refusal left open here, where their complaint is filtered."""
    yield
    gc.collect()


def sheets_of(tables, lang="zh", specs=None):
    """The (sheet name, localised frame) pairs write_workbook hands to the writer."""
    specs = TABLES if specs is None else specs
    return [(write._sheet_name(name, lang, specs), write._localised(name, frame, lang, specs))
            for name, frame in tables.items()]


def new_and_old(sheets) -> tuple[bytes, bytes]:
    return write._workbook_bytes(sheets), write._openpyxl_workbook_bytes(sheets)


def cells(data: bytes) -> dict[str, list[tuple]]:
    """Every sheet's values as openpyxl reads them (the project's reader underneath)."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    out = {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)]
           for ws in book.worksheets}
    book.close()
    return out


def grids(data: bytes, tmp_path: Path, name: str) -> dict[str, list[list[str]]]:
    """Every sheet as the project's reader sees it (solver.io.read.xlsx_sheets: text cells)."""
    path = tmp_path / name
    path.write_bytes(data)
    return {sheet: grid.rows for sheet, grid in xlsx_sheets(path).items()}


def header_rows_only(data: bytes) -> bytes:
    """The workbook with its header rows only: what the formatting of a large one is read from
    (openpyxl reads formatting only when it loads every cell)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            part = source.read(entry)
            if entry.filename.startswith("xl/worksheets/"):
                part = re.sub(rb"(<sheetData>.*?</row>).*?(</sheetData>)", rb"\1\2", part,
                              count=1, flags=re.DOTALL)
            target.writestr(entry, part)
    return out.getvalue()


def formatting(data: bytes) -> dict[str, dict]:
    """Every sheet's formatting as openpyxl reads it back."""
    book = openpyxl.load_workbook(io.BytesIO(header_rows_only(data)))
    out = {}
    for ws in book.worksheets:
        setup = ws.page_setup
        out[ws.title] = {
            "bold": [bool(cell.font.b) for cell in ws[1]] if ws.max_column > 1 or ws["A1"].value
            is not None else [],
            "freeze": ws.freeze_panes, "filter": ws.auto_filter.ref,
            "widths": {k: d.width for k, d in ws.column_dimensions.items() if d.customWidth},
            "titles": ws.print_title_rows,
            "print": (setup.orientation, int(setup.paperSize), int(setup.fitToWidth),
                      int(setup.fitToHeight), ws.sheet_properties.pageSetUpPr.fitToPage,
                      ws.print_options.gridLines),
        }
    book.close()
    return out


def assert_formatted(data: bytes, sheets) -> None:
    """Each sheet as the committee gets it: header bold and frozen, the table filtered, each
    column as wide as its widest cell, landscape A4 one page wide, row 1 on every page."""
    got = formatting(data)
    assert list(got) == [name for name, _ in sheets]
    for name, frame in sheets:
        f = got[name]
        rows, width = frame.shape
        assert f["freeze"] == "A2" and f["titles"] == "$1:$1"
        assert f["print"] == ("landscape", 9, 1, 0, True, True)
        if width:
            assert f["bold"] == [True] * width
            assert f["filter"] == f"A1:{xlsx.column_letter(width - 1)}{rows + 1}"
        else:
            assert f["filter"] is None
        widths = {xlsx.column_letter(j): float(xlsx.column_width(
            str(header), max((xlsx.cell_width(write._cell_value(v)) for v in frame.iloc[:, j]),
                             default=0))) for j, header in enumerate(frame.columns)}
        assert f["widths"] == widths


def assert_same_workbook(sheets, tmp_path, grid: bool = True) -> bytes:
    """The column-wise writer and openpyxl give the same cells and the same formatting."""
    new, old = new_and_old(sheets)
    assert cells(new) == cells(old)
    assert formatting(new) == formatting(old)
    assert_formatted(new, sheets)
    if grid:
        assert grids(new, tmp_path, "new.xlsx") == grids(old, tmp_path, "old.xlsx")
    return new


def test_columns_fit_their_text_chinese_counting_double(tmp_path):
    frame = pd.DataFrame({"单位名称": ["市卫生健康委员会", "abc"], "说明": ["x" * 100, "中"],
                          "n": [12345, 7], "a&b": ["<&>", "ab"]})
    new, old = new_and_old([("t", frame)])
    # 8 Chinese characters are 16 wide (+2); 100 characters are capped at 60; a short
    # column keeps Excel's default 8; "<&>" is three characters however it is escaped
    expected = {"A": 18.0, "B": 60.0, "C": 8.0, "D": 8.0}
    assert formatting(new)["t"]["widths"] == formatting(old)["t"]["widths"] == expected
    assert xlsx.display_width("中文ab") == 6 and xlsx.display_width("\u3000全角") == 6
    wide = pd.DataFrame({"编制台账调整前核定编制数": ["x" * 20]})  # the header is the widest
    assert formatting(write._workbook_bytes([("w", wide)]))["w"]["widths"] == {"A": 28.0}


# --- the bundled data ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bundled_plan():
    from solver.runner import checked_plan, load_data
    from solver.scenario import load_scenario

    scenario = load_scenario(REPO / "scenarios" / "bazhong-2021.yaml")
    return checked_plan(scenario, load_data(scenario), with_marginals=False)


def test_bundled_plan_workbook_is_the_one_openpyxl_writes(bundled_plan, tmp_path):
    from solver.validate import load_plan_workbook

    tables = bundled_plan.tables()
    assert_same_workbook(sheets_of(tables, "zh", PLAN_TABLES), tmp_path, grid=False)
    english = sheets_of(tables, "en", PLAN_TABLES)
    new, old = new_and_old(english)
    assert cells(new) == cells(old) and formatting(new) == formatting(old)
    # the plan's own reader takes it back: every table, as many rows as the plan's
    write.write_workbook(tables, tmp_path / "plan.xlsx", specs=PLAN_TABLES)
    back = load_plan_workbook(tmp_path / "plan.xlsx")
    assert {name: len(frame) for name, frame in back.items()} == {
        name: len(frame) for name, frame in tables.items()}


def test_bundled_input_tables_workbook_is_the_one_openpyxl_writes(tmp_path):
    from solver.generate import generate

    tables = generate("bazhong-2021", "city", 2021, staff=False)
    assert_same_workbook(sheets_of(tables), tmp_path)


# --- awkward values --------------------------------------------------------------------------

def awkward() -> dict[str, pd.DataFrame]:
    text = ["a&b", "<tag>", "x > y", '"quoted"', "it's", "市卫生健康委员会", "  lead", "trail  ",
            "   ", "", None, "=SUM(A1)", "=", "#N/A", "#REF!", "007", "0012345678901234567890",
            "x" * 40_000, "中" * 33_000, "line1\nline2", "tab\there", "😀", "\u3000全角\u3000",
            "&amp;", "]]>", "\xa0nbsp", "ÿ", "a\r\nb"]
    n = len(text)

    def cycle(values):
        return [values[i % len(values)] for i in range(n)]

    return {
        "units": pd.DataFrame({  # a known table: Chinese headers and labels
            "unit_id": [f"u{i:03d}" for i in range(n)], "name": text,
            "level": cycle(["city", "county", "township", "unknown"]),
            "kind": cycle(["organ", "institution", None]),
            "performance_score": cycle([85.5, 90.0, np.nan, -0.0, 1e-10, 1e300, 0.25, 1 / 3,
                                        float("inf"), 123456.789, 5e-324, -2.75]),
            "central_tasks": cycle([0, -7, 2**53, 10**15, 10**16, -10**16, 10**18]),
            "leader_posts": pd.array(cycle([1, None, 10**18, -3]), dtype="Int64"),
            "note": text[::-1],
        }),
        "awkward": pd.DataFrame({  # an unknown table: carried as given
            "flag": cycle([True, False]),
            "maybe": pd.array(cycle([True, None, False]), dtype="boolean"),
            "mixed": cycle(["text", 5, 2.5, None, True, np.int64(7), np.float64(8.0), pd.NA,
                            np.bool_(False), "", float("nan"), np.str_("np-str")]),
            "category": pd.Categorical(cycle(["a", "中", None, "&"])),
            "small": np.arange(n, dtype=np.uint8),
            "single": np.full(n, 0.5, dtype=np.float32),
            "Float64": pd.array(cycle([1.5, None, 3.0]), dtype="Float64"),
        }),
        "empty": pd.DataFrame({"a": pd.Series([], dtype="str"), "b": pd.Series([], dtype=float)}),
        "no columns": pd.DataFrame(index=range(3)),
        "all missing": pd.DataFrame({"x": [None, None], "y": [np.nan, np.nan]}),
        "&<>\"'": pd.DataFrame({" ": [1], "": ["x"], "=A1": [None]}),
    }


def test_awkward_values_read_back_as_openpyxl_writes_them(tmp_path):
    data = assert_same_workbook(sheets_of(awkward()), tmp_path)
    book = cells(data)
    units = book["单位"]
    assert units[0][:2] == ("单位代码", "单位名称")
    names = [row[1] for row in units[1:]]
    assert names[:5] == ["a&b", "<tag>", "x > y", '"quoted"', "it's"]
    assert names[6:9] == ["  lead", "trail  ", "   "]
    assert names[9] is None and names[10] is None  # "" and missing: empty either way
    assert names[11:17] == ["=SUM(A1)", "=", "#N/A", "#REF!", "007", "0012345678901234567890"]
    assert names[17] == "x" * 32_767 and names[18] == "中" * 32_767  # openpyxl cut them here
    assert names[19:] == ["line1\nline2", "tab\there", "😀", "\u3000全角\u3000", "&amp;", "]]>",
                          "\xa0nbsp", "ÿ", "a\nb"]  # \r\n: XML reads line ends as \n
    assert [row[2] for row in units[1:5]] == ["市级", "县级", "乡镇", "unknown"]
    scores = [row[4] for row in units[1:13]]
    assert scores[:2] == [85.5, 90] and scores[2] is None and scores[3] == 0
    assert scores[4:8] == [1e-10, 1e300, 0.25, 1 / 3] and scores[8] is None  # inf: empty
    assert scores[9:] == [123456.789, 5e-324, -2.75]
    assert [row[5] for row in units[1:8]] == [0, -7, 2**53, 10**15, 10**16, -10**16, 10**18]
    assert [row[6] for row in units[1:5]] == [1, None, 10**18, -3]
    rows = book["awkward"]
    assert rows[1][:2] == (True, True) and rows[2][:2] == (False, None)
    assert [row[2] for row in rows[1:13]] == ["text", 5, 2.5, None, True, 7, 8, None, False,
                                              None, None, "np-str"]
    assert book["empty"] == [("a", "b")]
    assert book["no columns"] == [()]
    assert book["all missing"] == [("x", "y"), (), ()]
    assert book["&<>\"'"] == [(" ", None, "=A1"), (1, "x")]


def test_numbers_openpyxl_rounded_are_written_with_all_their_digits(tmp_path):
    """openpyxl wrote "%.16g": 0.30000000000000004 became 0.3 and 2**60 + 1 lost digits, so
    plan.xlsx disagreed with the CSV. Now such a number reads back as it is."""
    floats = [0.1 + 0.2, 2.0**60 + 2**12, 1 / 7 * 3, float(np.float32(0.1)), 1e16 + 2, 0.1, 2.5]
    ints = [12345678901234567, -(2**62) - 1, 2**63 - 1, 2**60 + 1, 10**16, 5, 0]
    frame = pd.DataFrame({"f": np.array(floats), "i": np.array(ints, dtype=np.int64),
                          "u": np.array([2**64 - 1] * 7, dtype=np.uint64),
                          "x": pd.Series(floats[:4] + ints[:3], dtype=object)})
    new, old = new_and_old([("t", frame)])
    back, back_old = cells(new)["t"][1:], cells(old)["t"][1:]
    for j, column in enumerate(frame.columns):
        for row, value in zip(back, frame[column].tolist()):
            assert row[j] == write._cell_value(value), (column, value)  # exactly equal
    assert back_old[0][0] == 0.3 and back_old[0][1] != ints[0]  # what openpyxl gave
    # the project's reader gives the CSV writer's text for every cell
    text = grids(new, tmp_path, "t.xlsx")["t"][1:]
    for j, column in enumerate(frame.columns):
        assert [row[j] for row in text] == [write._cell_text(v) for v in frame[column]]


# --- random tables against openpyxl ----------------------------------------------------------

def _exact_in_16_digits(value) -> bool:
    value = write._cell_value(value)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return True
    if isinstance(value, float) and not math.isfinite(value):
        return True
    return float(format(value, ".16g")) == value


_TEXT = st.text(st.characters(blacklist_categories=("Cs",),
                              blacklist_characters="\ufffe\uffff"), max_size=12)
_CELLS = st.one_of(
    _TEXT, st.sampled_from(["", " a", "b ", "   ", "=1", "#N/A", "&<>", "007", "中文"]),
    st.integers(-(10**15), 10**15), st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none())


@st.composite
def random_tables(draw):
    count = draw(st.integers(1, 4))
    sheets = []
    for k in range(count):
        rows = draw(st.integers(0, 6))
        width = draw(st.integers(0, 5))
        columns = {}
        for j in range(width):
            kind = draw(st.sampled_from(["int", "float", "bool", "text", "mixed", "Int64"]))
            if kind == "int":
                values = pd.Series(draw(st.lists(st.integers(-(2**63), 2**63 - 1),
                                                 min_size=rows, max_size=rows)), dtype="int64")
            elif kind == "float":
                values = pd.Series(draw(st.lists(st.floats(), min_size=rows, max_size=rows)),
                                   dtype="float64")
            elif kind == "bool":
                values = pd.Series(draw(st.lists(st.booleans(), min_size=rows, max_size=rows)),
                                   dtype=bool)
            elif kind == "text":
                values = pd.Series(draw(st.lists(st.one_of(_TEXT, st.none()), min_size=rows,
                                                 max_size=rows)), dtype="str")
            elif kind == "Int64":
                values = pd.Series(draw(st.lists(st.one_of(st.integers(-(10**17), 10**17),
                                                           st.none()),
                                                 min_size=rows, max_size=rows)), dtype="Int64")
            else:
                values = pd.Series(draw(st.lists(_CELLS, min_size=rows, max_size=rows)),
                                   dtype=object)
            columns[draw(_TEXT) + f"#{j}"] = values
        frame = pd.DataFrame(columns) if columns else pd.DataFrame(index=range(rows))
        sheets.append((f"s{k}", frame))
    return sheets


def _outcome(writer, sheets):
    try:
        return writer(sheets)
    except IllegalCharacterError as exc:
        return ("refused", str(exc))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_tables())
def test_random_tables_give_openpyxl_cells_or_its_refusal(sheets):
    exact = all(_exact_in_16_digits(v) for _, frame in sheets
                for column in frame.columns for v in frame[column].tolist())
    new = _outcome(write._workbook_bytes, sheets)
    old = _outcome(write._openpyxl_workbook_bytes, sheets)
    if isinstance(old, tuple) or isinstance(new, tuple):
        assert new == old  # the same refusal of the same (first) cell
        return
    assert formatting(new) == formatting(old)
    if exact:
        assert cells(new) == cells(old)
    else:
        assert cells(new) != cells(old)  # openpyxl rounded a number; the new writer did not


# --- refusals and the openpyxl path ----------------------------------------------------------

def test_control_characters_are_refused_with_openpyxl_error_at_the_same_cell():
    cases = [
        [("a", pd.DataFrame({"x": ["ok", "b\x01ad", "x"], "y": ["c\x02d", "e", "f"]}))],
        [("a", pd.DataFrame({"x": ["ok"], "h\x04": ["c"]}))],  # the header comes first
        [("a", pd.DataFrame({"x": ["ok"]})), ("b", pd.DataFrame({"x": ["\x0b"]}))],
        [("a", pd.DataFrame({"x": pd.Series(["\x00", 5], dtype=object)}))],
    ]
    for sheets in cases:
        with pytest.raises(IllegalCharacterError) as new:
            write._workbook_bytes(sheets)
        with pytest.raises(IllegalCharacterError) as old:
            write._openpyxl_workbook_bytes(sheets)
        assert str(new.value) == str(old.value)
        assert str(new.value).endswith(" cannot be used in worksheets.")
    # past 32,767 characters text is cut before it is checked, as openpyxl did
    long = [("a", pd.DataFrame({"x": ["x" * 32_767 + "\x01"]}))]
    new, old = new_and_old(long)
    assert cells(new) == cells(old) == {"a": [("x",), ("x" * 32_767,)]}


@pytest.mark.parametrize("text", ["a\ud800b", "a\ufffeb", "\uffff"])
def test_text_xml_cannot_hold_is_refused_where_openpyxl_wrote_a_broken_workbook(text, tmp_path):
    sheets = [("a", pd.DataFrame({"x": [text]}))]
    with pytest.raises(IllegalCharacterError, match="cannot be used in worksheets"):
        write._workbook_bytes(sheets)
    broken = tmp_path / "old.xlsx"
    broken.write_bytes(write._openpyxl_workbook_bytes(sheets))
    with pytest.raises(Exception):  # noqa: B017 - what openpyxl wrote cannot be read
        cells(broken.read_bytes())


def test_values_the_writer_does_not_take_go_through_openpyxl_unchanged():
    for column in ([datetime.date(2021, 1, 2)], pd.to_datetime(["2021-01-02"]),
                   [decimal.Decimal("1.5")], [b"bytes"], [datetime.time(8, 30)]):
        sheets = [("a", pd.DataFrame({"x": ["text"], "y": [1]})),
                  ("b", pd.DataFrame({"x": column}))]
        with pytest.raises(xlsx.Unsupported):
            xlsx.workbook_bytes(sheets, "bianzhi", "2021-01-01T00:00:00Z",
                                "2021-01-01T00:00:00Z")
        assert write._workbook_bytes(sheets) == write._openpyxl_workbook_bytes(sheets)
    with pytest.raises(ValueError):  # neither writer takes a list in a cell
        write._workbook_bytes([("a", pd.DataFrame({"x": [[1, 2]]}))])


# --- determinism -----------------------------------------------------------------------------

def test_equal_input_gives_equal_bytes_whatever_the_threads(tmp_path, monkeypatch):
    tables = awkward()
    write.write_workbook(tables, tmp_path / "a.xlsx")
    copies = {name: frame.copy(deep=True) for name, frame in tables.items()}
    monkeypatch.setattr(xlsx.os, "cpu_count", lambda: 1)  # one deflate thread
    write.write_workbook(copies, tmp_path / "b.xlsx")
    monkeypatch.setattr(xlsx, "_ZIP64_LIMIT", 10)  # the archive written by zipfile itself
    write.write_workbook(copies, tmp_path / "c.xlsx")
    data = (tmp_path / "a.xlsx").read_bytes()
    assert data == (tmp_path / "b.xlsx").read_bytes() == (tmp_path / "c.xlsx").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert archive.testzip() is None
        infos = archive.infolist()
        assert [i.filename for i in infos][:4] == ["docProps/app.xml", "docProps/core.xml",
                                                   "xl/theme/theme1.xml",
                                                   "xl/worksheets/sheet1.xml"]
        assert {(i.date_time, i.compress_type, i.external_attr >> 16) for i in infos} == {
            ((2021, 1, 1, 0, 0, 0), zipfile.ZIP_DEFLATED, 0o644)}


def test_many_sheets_and_columns_keep_their_order(tmp_path):
    wide = pd.DataFrame({f"c{j}": [j] for j in range(30)})  # past column Z
    sheets = [(f"s{k}", wide) for k in range(12)]  # sheet10.xml sorts before sheet2.xml
    data = assert_same_workbook(sheets, tmp_path)
    assert list(cells(data)) == [f"s{k}" for k in range(12)]
    assert xlsx.column_letter(25) == "Z" and xlsx.column_letter(26) == "AA"
    assert xlsx.column_letter(16_383) == "XFD"


# --- LibreOffice -----------------------------------------------------------------------------

@pytest.mark.libreoffice
def test_libreoffice_opens_the_workbook(bundled_plan, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice (soffice) is needed for this test (.ci/run installs it)"
    path = tmp_path / "plan.xlsx"
    write.write_workbook(bundled_plan.tables(), path, specs=PLAN_TABLES)
    result = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                             # 44,34,76: comma, double quote, UTF-8
                             "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76",
                             "--outdir", str(tmp_path / "csv"), str(path)],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    first = (tmp_path / "csv" / "plan.csv").read_text("utf-8").splitlines()
    assert first[0].split(",")[0] == PLAN_TABLES["moves"].columns[0].zh
    assert len(first) == len(bundled_plan.tables()["moves"]) + 1


def test_labels_looked_up_per_distinct_value_are_the_per_cell_labels():
    mapping = {"city": "市级", "county": "县级"}
    for series in (pd.Series(["city", "x", None, "county", "city"], dtype="str"),
                   pd.Series(["city", None, np.nan, 5, np.str_("county"), pd.NA], dtype=object),
                   pd.Series([], dtype="str"), pd.Series([None, None]),
                   pd.Series(["city", [1]], dtype=object),
                   pd.Series(["city", None], dtype="category")):
        got = write._relabel(series, mapping).tolist()
        expected = [mapping.get(v, v) if isinstance(v, str) else v for v in series.tolist()]
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            assert a is b or a == b or (write._cell_value(a) is None
                                        and write._cell_value(b) is None)


def test_cells_carry_a_reference_only_after_a_gap():
    """A data cell has no r="…" unless the cell to its left is missing, and a number no t="n":
    readers place such a cell after its left neighbour. openpyxl reads the gaps back."""
    frame = pd.DataFrame({"a": [1, 2, 3], "b": [1.5, np.nan, 2.5], "c": ["x", "y", None],
                          "d": [7, 8, 9]})
    xml = xlsx.sheet_xml(frame).decode("utf-8")
    rows = xml.split('<row r="')[2:]  # the data rows
    assert rows[0].startswith('2"><c><v>1</v></c><c><v>1.5</v></c><c t="inlineStr">')
    assert '<c r="C3" t="inlineStr"><is><t>y</t></is></c>' in rows[1]  # after the missing B3
    assert '<c r="D4"><v>9</v></c>' in rows[2]  # after the missing C4
    assert ' t="n"' not in xml and xml.count(' r="') == 4 + 4 + 2  # headers, rows, two gaps
    book = openpyxl.load_workbook(io.BytesIO(xlsx.workbook_bytes(
        [("t", frame)], "bianzhi", "2021-01-01T00:00:00Z", "2021-01-01T00:00:00Z")),
        read_only=True)
    assert list(book["t"].iter_rows(values_only=True)) == [
        ("a", "b", "c", "d"), (1, 1.5, "x", 7), (2, None, "y", 8), (3, 2.5, None, 9)]


def test_repeated_texts_are_escaped_once_and_give_the_same_cells():
    """A long column of repeating texts is escaped and measured per distinct text: the same
    pieces as cell by cell (escapes, kept spaces, empty texts, widths)."""
    texts = ["a&b", " kept ", "", "巴中市", "<x>", "plain"] * 100
    assert xlsx._text_column(texts) == xlsx._text_pieces(texts)
    assert xlsx._text_column(texts[:300:3] * 3) == xlsx._text_pieces(texts[:300:3] * 3)
