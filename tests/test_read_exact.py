"""Numbers and text are read exactly, or refused with file, row and column (issue 10).

Every case builds real files from the corpus base data set (`tests/corpus/make_corpus.py`),
changes one thing the way a planner's file goes wrong, and runs the real command,
`bianzhi inventory PATH` (in-process through `solver.cli.main`, or in a subprocess where the
input could hang a reader), checking the exit code, the message (file, row, column, the value)
and that no traceback or "internal error" reaches the user.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))
from make_corpus import ZH_TABLES, base, set_cell, to_zh, write_csvs  # noqa: E402


REPO = Path(__file__).resolve().parents[1]


def inventory(cli, path: Path) -> dict:
    code, out, err = cli("inventory", path, "--json")
    assert code == 0, err
    return json.loads(out)


def subprocess_inventory(path: Path) -> subprocess.CompletedProcess:
    """The command in a fresh interpreter, with a timeout: a reader that blocks fails the test."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run([sys.executable, "-m", "solver.cli", "inventory", str(path)],
                            cwd=REPO, capture_output=True, text=True, encoding="utf-8",
                            env=env, timeout=60, check=False)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    return result


def folder_with(tmp_path: Path, change=None, **kwargs) -> Path:
    """The base CSV folder after `change(tables)`."""
    tables = base()
    if change is not None:
        change(tables)
    folder = tmp_path / "data"
    write_csvs(folder, tables, **kwargs)
    return folder


def approved_total(inv: dict) -> int:
    return sum(q["approved"] for q in inv["quota_types"].values())


BASE_APPROVED = 30 + 200 + 150 + 20 + 15 + 80


# ---------------------------------------------------------------- counts


@pytest.mark.parametrize("value", [
    "inf", "-inf", "nan", "Infinity", "1e309", "1e20", "9223372036854775808",
    "99999999999999999999", "1000000001", "1_000", "0x10", "1e1000",
])
def test_absurd_counts_are_refused(cli, tmp_path, value):
    folder = folder_with(tmp_path, lambda t: set_cell(t, "quotas", "U04", "approved", value))
    code, _, err = cli("inventory", folder)
    assert code == 2, err
    assert "quotas.csv, row 6, column approved" in err
    assert f"'{value}'" in err
    assert "-9223372036854775808" not in err


def test_a_billion_is_the_largest_count(cli, tmp_path):
    folder = folder_with(tmp_path, lambda t: set_cell(t, "quotas", "U04", "approved",
                                                      "1000000000"))
    assert approved_total(inventory(cli, folder)) == BASE_APPROVED - 15 + 10**9


def test_above_a_billion_says_so(cli, tmp_path):
    folder = folder_with(tmp_path, lambda t: set_cell(t, "demands", "D001", "amount", "1e20"))
    code, _, err = cli("inventory", folder)
    assert code == 2
    assert "demands.csv, row 2, column amount" in err and "10^9" in err


# ---------------------------------------------------------------- separators


@pytest.mark.parametrize("value, expected", [
    ("1,200", 1200), ("1,200,000", 1200000), ("１，２００", 1200), ("１２００", 1200),
    ("+1,200", 1200), ("1200.0", 1200),
])
def test_thousands_separators_and_fullwidth_digits_are_read(cli, tmp_path, value, expected):
    folder = folder_with(tmp_path, lambda t: set_cell(t, "quotas", "U04", "approved", value))
    assert approved_total(inventory(cli, folder)) == BASE_APPROVED - 15 + expected


@pytest.mark.parametrize("value", ["3,5", "2,00", "1,9,5", "1,2000", ",200", "12,", "1,200,00"])
def test_decimal_comma_or_malformed_group_is_refused(cli, tmp_path, value):
    folder = folder_with(tmp_path, lambda t: set_cell(t, "quotas", "U04", "approved", value))
    code, _, err = cli("inventory", folder)
    assert code == 2, err
    assert "quotas.csv, row 6, column approved" in err
    assert f"'{value}' is not a number: a comma may only separate thousands" in err
    assert "decimal comma" in err


def test_fullwidth_comma_is_named(cli, tmp_path):
    folder = folder_with(tmp_path, lambda t: set_cell(t, "quotas", "U04", "approved", "３，５"))
    code, _, err = cli("inventory", folder)
    assert code == 2
    assert "'３，５' is not a number" in err and "decimal comma write 3.5" in err
    assert "full-width '，'" in err


def test_fullwidth_point_is_named(cli, tmp_path):
    folder = folder_with(tmp_path, lambda t: set_cell(t, "quotas", "U04", "staff", "１２．５"))
    code, _, err = cli("inventory", folder)
    assert code == 2
    assert "quotas.csv, row 6, column staff" in err
    assert "'１２．５' is not a whole number" in err and "full-width '．'" in err


# ---------------------------------------------------------------- CSV structure


def _write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> None:
    (folder / f"{name}.csv").write_bytes(text.encode(encoding))


def test_unclosed_quote_is_refused_at_the_row_it_starts(cli, tmp_path):
    folder = folder_with(tmp_path)
    lines = (folder / "demands.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("专项整治行动", '"专项整治行动')  # row 3, never closed
    _write(folder, "demands", "\n".join(lines) + "\n")
    code, _, err = cli("inventory", folder)
    assert code == 2
    assert "demands.csv, row 3" in err and "never closed" in err and "swallows" in err


def test_quote_closed_rows_later_is_refused(cli, tmp_path):
    """The quote opened in row 3 closes in row 4 before other text: nothing merged silently."""
    folder = folder_with(tmp_path)
    lines = (folder / "demands.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("专项整治行动", '"专项整治行动')
    lines[3] = lines[3].replace("学生人数增加", '学生"人数增加')
    _write(folder, "demands", "\n".join(lines) + "\n")
    code, _, err = cli("inventory", folder)
    assert code == 2, err
    assert "demands.csv, row 3" in err and "quote" in err


def test_quoted_cell_swallowing_whole_rows_is_refused(cli, tmp_path):
    """A well-formed quoted cell that holds whole rows of the table: a misplaced quote."""
    folder = folder_with(tmp_path)
    lines = (folder / "demands.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("专项整治行动", '"专项整治行动')
    lines[4] = lines[4].replace("疾控体系改革", '疾控体系改革"')
    _write(folder, "demands", "\n".join(lines) + "\n")
    code, _, err = cli("inventory", folder)
    assert code == 2, err
    assert "demands.csv, row 3" in err
    assert "look like rows of the table" in err


def test_multiline_cell_without_commas_is_still_one_row(cli, tmp_path):
    folder = folder_with(tmp_path, lambda t: set_cell(t, "demands", "D001", "reason",
                                                      "新建急诊科\n（含胸痛中心）\n第二期"))
    assert inventory(cli, folder)["demands"]["count"] == 4


def test_cell_beyond_the_field_limit_is_refused(cli, tmp_path):
    folder = folder_with(tmp_path, lambda t: set_cell(t, "demands", "D003", "reason",
                                                      "很长" * 100_000))
    code, _, err = cli("inventory", folder)
    assert code == 2
    assert "demands.csv, row 4" in err and "field limit" in err


def test_row_with_more_cells_than_the_header_is_refused(cli, tmp_path):
    folder = folder_with(tmp_path, lambda t: t["quotas"][3].append("多余"))
    code, _, err = cli("inventory", folder)
    assert code == 2
    assert "quotas.csv, row 4" in err and "has 5 cells but the header has 4 columns" in err


def test_value_under_an_empty_header_is_refused(cli, tmp_path):
    def change(t):
        t["quotas"][0].append("")
        for row in t["quotas"][1:]:
            row.append("")
        t["quotas"][2][-1] = "备用"

    code, _, err = cli("inventory", folder_with(tmp_path, change))
    assert code == 2
    assert "quotas.csv, row 3" in err and "'备用' in column 5 (E), which has no header" in err


# ---------------------------------------------------------------- encodings


def _zh_folder(tmp_path: Path, encoding: str) -> Path:
    folder = tmp_path / "data"
    write_csvs(folder, to_zh(base()), encoding=encoding, newline="\r\n", names=ZH_TABLES)
    return folder


def _mixed(folder: Path, utf8_rows: set[int]) -> None:
    """Rewrite 单位.csv with the given rows (1 = header) in UTF-8 and the others in GBK."""
    rows = (folder / "单位.csv").read_bytes().decode("gbk").split("\r\n")
    data = b"\r\n".join(r.encode("utf-8" if i in utf8_rows else "gbk")
                        for i, r in enumerate(rows, start=1))
    (folder / "单位.csv").write_bytes(data)


@pytest.mark.parametrize("utf8_rows, gbk_row", [({1, 2, 3}, 4), ({5, 6}, 1)])
def test_file_mixing_utf8_and_gbk_is_refused(cli, tmp_path, utf8_rows, gbk_row):
    folder = _zh_folder(tmp_path, "gbk")
    _mixed(folder, utf8_rows)
    code, _, err = cli("inventory", folder)
    assert code == 2, err
    assert f"单位.csv, row {gbk_row}" in err
    assert "mixes UTF-8 and GBK" in err
    assert f"row {min(utf8_rows)}" in err


def test_gbk_cell_in_a_utf8_file_is_refused(cli, tmp_path):
    folder = _zh_folder(tmp_path, "utf-8")
    path = folder / "单位.csv"
    path.write_bytes(path.read_bytes().replace("市公安局".encode(), "市公安局".encode("gbk")))
    code, _, err = cli("inventory", folder)
    assert code == 2, err
    assert "单位.csv, row 4, column 单位名称" in err
    assert "not UTF-8" in err or "not valid UTF-8" in err


def test_single_utf8_character_in_a_gbk_file_is_refused(cli, tmp_path):
    """性别 '男' in UTF-8 (three bytes) among GBK cells: never read as two GBK characters."""
    folder = _zh_folder(tmp_path, "gbk")
    path = folder / "富余人员.csv"
    data = path.read_bytes()
    row3 = data.split(b"\r\n")[2]
    fixed = row3.replace(",".encode() + "女".encode("gbk") + b",",
                         b"," + "女".encode("utf-8") + b",")
    path.write_bytes(data.replace(row3, fixed))
    code, _, err = cli("inventory", folder)
    assert code == 2, err
    assert "富余人员.csv, row" in err and "UTF-8" in err


def test_invalid_bytes_in_gbk_file_name_row_and_column(cli, tmp_path):
    folder = _zh_folder(tmp_path, "gbk")
    path = folder / "编制.csv"
    data = path.read_bytes()
    path.write_bytes(data.replace(b"U04,", b"U04\xff,", 1))
    code, _, err = cli("inventory", folder)
    assert code == 2, err
    assert "编制.csv, row 6, column 单位代码" in err
    assert "FF" in err and "not valid GBK" in err


def test_invalid_bytes_in_utf8_file_name_row_and_column(cli, tmp_path):
    folder = folder_with(tmp_path)
    path = folder / "units.csv"
    path.write_bytes(path.read_bytes().replace("恩阳区第一中学".encode(),
                                               "恩阳区第一中学".encode()[:-1]))
    code, _, err = cli("inventory", folder)
    assert code == 2, err
    assert "units.csv, row 6, column name" in err and "not valid UTF-8" in err


def test_gbk_with_rare_characters_is_read(cli, tmp_path):
    """Names with GBK extension characters (bytes 0x80-0xA0) are GBK, not a mix."""
    def change(t):
        set_cell(t, "people", "P001", "name", "王堃")
        set_cell(t, "people", "P002", "name", "李喆")
        set_cell(t, "people", "P003", "name", "欧阳珺瑶")
        set_cell(t, "people", "P004", "name", "赵昇")
        set_cell(t, "units", "U05", "name", "恩阳区第一中学（犍为校区）")

    folder = tmp_path / "data"
    tables = base()
    change(tables)
    write_csvs(folder, to_zh(tables), encoding="gbk", newline="\r\n", names=ZH_TABLES)
    assert inventory(cli, folder)["units"]["count"] == 5


# ---------------------------------------------------------------- total rows


def test_total_id_and_names_containing_total_words_are_not_dropped(cli, tmp_path):
    def change(t):
        for table, key in (("units", 0), ("quotas", 0), ("demands", 1), ("people", 2),
                           ("aux_positions", 0)):
            for row in t[table][1:]:
                if row[key] == "U05":
                    row[key] = "SUM-05"
        set_cell(t, "units", "U04", "name", "总计量检定所")
        set_cell(t, "units", "U03", "name", "合计划生育服务中心")

    folder = folder_with(tmp_path, change)
    inv = inventory(cli, folder)
    assert inv["units"]["count"] == 5
    assert approved_total(inv) == BASE_APPROVED
    assert inv["warnings"] == 0


def test_total_rows_with_spaces_colons_and_labels_are_skipped(cli, tmp_path):
    def change(t):
        width = len(t["units"][0])
        t["units"].insert(3, ["合 计：", "5"] + [""] * (width - 2))  # row 4
        t["units"].append(["", "市级单位小计"] + [""] * (width - 2))  # row 8, id empty
        t["quotas"].append(["Total:", "", "495", "484"])  # row 8

    folder = folder_with(tmp_path, change)
    code, out, err = cli("inventory", folder, "--json")
    assert code == 0, err
    assert json.loads(out)["units"]["count"] == 5
    assert "units.csv: skipped total rows 4, 8" in err
    assert "quotas.csv: skipped total row 8" in err


# ---------------------------------------------------------------- workbooks


def _workbook(path: Path, edit=None) -> Path:
    """The base data set as a workbook (numbers as numbers), then edit(workbook)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in base().items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append([int(v) if v.isdigit() else (float(v) if v.replace(".", "", 1).isdigit()
                                                   else (v or None)) for v in row])
    if edit is not None:
        edit(wb)
    wb.save(path)
    return path


def test_number_merged_down_data_rows_is_refused(cli, tmp_path):
    def edit(wb):
        ws = wb["quotas"]
        ws["C5"] = 170  # U03's two quota rows 4-5 and U04's row 6 under one number
        ws.merge_cells("C4:C6")

    code, _, err = cli("inventory", _workbook(tmp_path / "data.xlsx", edit))
    assert code == 2, err
    assert "data.xlsx [quotas], row 4, column approved" in err
    assert "C4:C6" in err and "Unmerge" in err
    assert "is empty" not in err


def test_number_merged_over_two_columns_and_rows_is_refused(cli, tmp_path):
    def edit(wb):
        wb["quotas"].merge_cells("C4:D5")

    code, _, err = cli("inventory", _workbook(tmp_path / "data.xlsx", edit))
    assert code == 2, err
    assert "C4:D5" in err and "column approved" in err and "column staff" in err


def test_id_merged_down_still_fills_its_rows(cli, tmp_path):
    def edit(wb):
        ws = wb["quotas"]
        ws["A5"] = None
        ws.merge_cells("A4:A5")

    inv = inventory(cli, _workbook(tmp_path / "data.xlsx", edit))
    assert approved_total(inv) == BASE_APPROVED


def test_formula_without_cached_value_is_named(cli, tmp_path):
    def edit(wb):
        wb["quotas"]["D3"] = "=C3-5"  # written by a program: no computed value stored

    code, _, err = cli("inventory", _workbook(tmp_path / "data.xlsx", edit))
    assert code == 2, err
    assert "data.xlsx [quotas], row 3, column staff" in err
    assert "formula without a computed value — open and save the file in Excel" in err
    assert "is empty" not in err


@pytest.mark.parametrize("value, words", [
    (True, "'TRUE' is a logical (TRUE/FALSE) value, not a number"),
    ("#N/A", "'#N/A' is an Excel error value"),
    ("#DIV/0!", "'#DIV/0!' is an Excel error value"),
])
def test_booleans_and_error_cells_in_number_columns_are_named(cli, tmp_path, value, words):
    def edit(wb):
        wb["demands"]["E3"] = value

    code, _, err = cli("inventory", _workbook(tmp_path / "data.xlsx", edit))
    assert code == 2, err
    assert "data.xlsx [demands], row 3, column amount" in err and words in err


def test_error_cell_in_an_id_column_is_named(cli, tmp_path):
    def edit(wb):
        wb["demands"]["B4"] = "#REF!"  # a lookup that lost its source

    code, _, err = cli("inventory", _workbook(tmp_path / "data.xlsx", edit))
    assert code == 2, err
    assert "data.xlsx [demands], row 4, column unit_id: '#REF!' is an Excel error value" in err


def test_unknown_sub_header_column_is_carried_through(cli, tmp_path):
    """A two-row header whose unknown column is named only in the lower row keeps it."""
    def edit(wb):
        ws = wb["quotas"]
        ws.insert_rows(2)
        ws["C1"], ws["D1"], ws["E1"] = "编制情况", None, None
        ws["C2"], ws["D2"], ws["E2"] = "approved", "staff", "备注"
        ws.merge_cells("C1:D1")
        ws["E4"] = "政法"

    from solver.validate import load

    path = _workbook(tmp_path / "data.xlsx", edit)
    inventory(cli, path)
    assert load(path).quotas["备注"].tolist()[:3] == ["", "政法", ""]


def test_boolean_in_a_yes_no_column_is_read(cli, tmp_path):
    def edit(wb):
        wb["people"]["N2"] = False

    assert inventory(cli, _workbook(tmp_path / "data.xlsx", edit))["people"]["count"] == 4


def test_very_hidden_sheet_is_ignored_with_a_warning(cli, tmp_path):
    def edit(wb):
        ws = wb.create_sheet("用编需求")  # a second demands table, hidden from the planner
        ws.append(["demand_id", "unit_id", "quota_type", "tier", "amount"])
        ws.append(["X1", "U99", "nonsense", "key", -4])
        ws.sheet_state = "veryHidden"

    code, out, err = cli("inventory", _workbook(tmp_path / "data.xlsx", edit), "--json")
    assert code == 0, err
    assert json.loads(out)["demands"]["count"] == 4
    assert "data.xlsx [用编需求]: is a very hidden sheet" in err and "ignored" in err


# ---------------------------------------------------------------- paths


def test_table_file_that_is_a_folder(cli, tmp_path):
    folder = folder_with(tmp_path)
    (folder / "pool.csv").unlink()
    (folder / "pool.csv").mkdir()
    code, _, err = cli("inventory", folder)
    assert code == 2 and "pool.csv: is a folder, not a CSV file" in err


def test_table_file_that_is_a_fifo_does_not_hang(tmp_path):
    folder = folder_with(tmp_path)
    (folder / "units.csv").unlink()
    os.mkfifo(folder / "units.csv")
    result = subprocess_inventory(folder)
    assert result.returncode == 2
    assert "units.csv: is a named pipe (FIFO)" in result.stderr


@pytest.mark.parametrize("target, words", [
    ("nowhere.csv", "is a symbolic link to nowhere.csv, which does not exist"),
    ("units.csv", "is a symbolic link that loops back on itself"),
])
def test_table_file_that_is_a_broken_link(cli, tmp_path, target, words):
    folder = folder_with(tmp_path)
    (folder / "units.csv").unlink()
    (folder / "units.csv").symlink_to(target)
    code, _, err = cli("inventory", folder)
    assert code == 2 and f"units.csv: {words}" in err


@pytest.mark.parametrize("kind", ["fifo", "fifo.xlsx", "dangling", "loop", "device"])
def test_data_path_that_is_not_a_file_or_folder(tmp_path, kind):
    path = tmp_path / ("data.xlsx" if kind == "fifo.xlsx" else "data")
    if kind.startswith("fifo"):
        os.mkfifo(path)
    elif kind == "dangling":
        path.symlink_to(tmp_path / "gone")
    elif kind == "loop":
        path.symlink_to(path)
    else:
        path = Path("/dev/null")
    result = subprocess_inventory(path)
    assert result.returncode == 2, result.stderr
    assert str(path) in result.stderr


# ---------------------------------------------------------------- ids


def test_ids_are_stripped(cli, tmp_path):
    def change(t):
        set_cell(t, "units", "U05", "unit_id", "  U05\u3000")
        set_cell(t, "demands", "D003", "unit_id", " U05")

    assert inventory(cli, folder_with(tmp_path, change))["units"]["count"] == 5


@pytest.mark.parametrize("twin", ["u02", "Ｕ02", "ｕ０２"])
def test_ids_differing_in_case_or_width_are_likely_duplicates(cli, tmp_path, twin):
    def change(t):
        t["units"].append([twin, "市中心医院", "city", "市本级", "institution", "health",
                           "social", "U01", "active", "", "", ""])

    code, _, err = cli("inventory", folder_with(tmp_path, change))
    assert code == 2, err
    assert f"units.csv, row 7, column unit_id: '{twin}' is likely a duplicate of 'U02' (row 3)" \
        in err


def test_reference_differing_in_case_suggests_the_id(cli, tmp_path):
    code, _, err = cli("inventory", folder_with(
        tmp_path, lambda t: set_cell(t, "demands", "D003", "unit_id", "u05")))
    assert code == 2
    assert "unit 'u05' is not in the units table (did you mean 'U05'?)" in err


@pytest.mark.parametrize("hidden, shown", [
    ("\u200b", "\\u200b"), ("\ufeff", "\\ufeff"), ("\x00", "\\u0000"), ("\u00a0", "\\u00a0"),
    ("\x7f", "\\u007f"), ("\t", "\\u0009"),  # in an ASCII column: found as unprintable
])
def test_invisible_characters_are_shown_escaped(cli, tmp_path, hidden, shown):
    def change(t):
        set_cell(t, "units", "U05", "unit_id", f"U0{hidden}5")

    code, _, err = cli("inventory", folder_with(tmp_path, change))
    assert code == 2, err
    assert f"units.csv, row 6, column unit_id: 'U0{shown}5' holds an invisible character" in err
    assert hidden not in err


# ---------------------------------------------------------------- references


def test_unit_that_is_its_own_parent(cli, tmp_path):
    code, _, err = cli("inventory", folder_with(
        tmp_path, lambda t: set_cell(t, "units", "U02", "parent_id", "U02")))
    assert code == 2
    assert "units.csv, row 3, column parent_id: unit 'U02' is its own parent department" in err


def test_parent_cycle_is_named(cli, tmp_path):
    def change(t):
        set_cell(t, "units", "U04", "parent_id", "U05")  # U05's parent is U04 already
        set_cell(t, "units", "U01", "parent_id", "U02")  # U02's parent is U01
        set_cell(t, "units", "U03", "parent_id", "U01")  # below a cycle, not on it

    code, _, err = cli("inventory", folder_with(tmp_path, change))
    assert code == 2, err
    assert ("units.csv, row 2, column parent_id: parent departments form a cycle: "
            "U01 → U02 → U01 (rows 2, 3)") in err
    assert ("units.csv, row 5, column parent_id: parent departments form a cycle: "
            "U04 → U05 → U04 (rows 5, 6)") in err
    assert "U03 →" not in err


# ---------------------------------------------------------------- data_edits


def _scenario(tmp_path: Path, edit: str) -> Path:
    folder = folder_with(tmp_path)
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\ndata: {folder}\ndata_edits:\n{edit}", encoding="utf-8")
    return path


@pytest.mark.parametrize("edit, words", [
    ("  - {table: quotas, where: [{column: unit_id, op: '==', value: U04}], "
     "scale: {approved: 1.0e+15}}\n", ["column approved", "10^9"]),
    # non-finite arguments are refused by the scenario schema already (key path and line)
    ("  - {table: quotas, scale: {approved: .nan}}\n", ["line 4", "scale.approved", "finite"]),
    ("  - {table: quotas, scale: {approved: .inf}}\n", ["line 4", "scale.approved", "finite"]),
    ("  - {table: quotas, scale: {approved: 1.0e+306}}\n", ["scale: approved", "overflows"]),
    ("  - {table: quotas, scale: {approved: 1.0e+300}}\n", ["column approved", "10^9"]),
    ("  - {table: demands, set: {amount: .inf}}\n", ["line 4", "amount", "not a finite"]),
    ("  - {table: demands, set: {amount: [1, 2]}}\n", ["set: amount", "not a single cell"]),
    ("  - {table: demands, set: {amount: 1.0e+20}}\n", ["column amount", "10^9"]),
    ("  - {table: demands, set: {amount: 9223372036854775808}}\n", ["column amount", "10^9"]),
    ("  - {table: demands, set: {amount: '3,5'}}\n", ["column amount", "decimal comma"]),
])
def test_data_edit_results_are_checked(cli, tmp_path, edit, words):
    out = tmp_path / "plan"
    code, _, err = cli("run", _scenario(tmp_path, edit), "--out", out)
    assert code == 2, err
    for w in words:
        assert w in err
    assert "-9223372036854775808" not in err
    assert not out.exists()
