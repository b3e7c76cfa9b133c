"""Read the input tables from a folder of CSV files or one .xlsx workbook.

Planners' files are not clean: title rows above the header (often merged cells), a serial
column (序号), blank rows, total rows (合计/小计/总计) and notes (注: …) below the table, headers
in Chinese or English, CSV saved as UTF-8, UTF-8 with BOM or GBK. This module finds the header
row, maps headers onto the codes of `solver.domain`, skips what is not data (with a warning
naming the rows) and returns every cell as text with the row number the user sees. Parsing
values and checking rules is `solver.validate`'s job.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
import stat
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from pathlib import Path

import numpy as np
import pandas as pd

from solver.domain import NOTE_PREFIXES, SERIAL_HEADERS, TABLES, TOTAL_WORDS, Table
from solver.errors import InputError, Problem

HEADER_SCAN_ROWS = 30
ROW = "_row"  # column holding the row number as the user sees it


@dataclass
class RawTable:
    """One table as read: canonical column names, text cells, user-visible row numbers."""

    name: str
    frame: pd.DataFrame  # canonical columns + unknown columns (as written) + ROW
    file: str  # file name as shown to the user
    sheet: str = ""
    header_row: int = 1
    headers: dict[str, str] = field(default_factory=dict)  # canonical name → header as written
    extra_columns: list[str] = field(default_factory=list)
    # cells already reported by the reader (column → rows): not reported again as empty
    reported: dict[str, set[int]] = field(default_factory=dict)
    # every cell is text without surrounding whitespace (the readers strip each cell): the
    # checks need not strip the cells again (tables edited by a scenario may hold spaces)
    stripped: bool = False

    def header(self, column: str) -> str:
        """The column's header as the user wrote it (for messages)."""
        return self.headers.get(column, column)


@dataclass
class RawInputs:
    """All tables found at a path, plus the warnings from reading."""

    path: Path
    tables: dict[str, RawTable]
    problems: list[Problem]
    checksum_parts: list[tuple[str, bytes]] = field(default_factory=list)


# Characters a planner cannot see in a cell: controls (NUL …), zero-width and format characters,
# the BOM, and spaces that are not the ordinary space.
INVISIBLE_RE = re.compile(
    "[\x00-\x1f\x7f-\xa0\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e"
    "\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb]"
)


def show(value: object) -> str:
    """A value quoted for a message, invisible characters escaped: 'U05\\u200b'."""
    return "'" + INVISIBLE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(value)) + "'"


def normalise(text: object) -> str:
    """A header or value reduced for matching: no spaces, markers or case."""
    s = str(text).strip().lower()
    s = s.replace("\u3000", "").replace(" ", "").replace("\n", "").replace("\r", "")
    s = s.strip("*＊:：")
    s = s.replace("（", "(").replace("）", ")")
    return s


_UNIT_SUFFIX_RE = re.compile(r"^(.+?)\([^()]*\)$")


def header_name(text: object, aliases: dict[str, str]) -> str | None:
    """The canonical column a header stands for, if any.

    A unit in brackets after the name (核定编制数（名）, 实有人数(人)) is ignored, so that a
    header the user sees as the right one is not reported as a missing column.
    """
    key = normalise(text)
    if key in aliases:
        return aliases[key]
    bare = _UNIT_SUFFIX_RE.match(key)
    return aliases.get(bare.group(1)) if bare else None


def _header_aliases(table: Table) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for col in table.columns:
        for alias in (col.name, col.zh, *col.aliases):
            aliases[normalise(alias)] = col.name
    return aliases


def _table_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for table in TABLES.values():
        for alias in (table.name, table.zh, *table.aliases):
            aliases[normalise(alias)] = table.name
    return aliases


TABLE_ALIASES = _table_aliases()
@functools.lru_cache(maxsize=None)
def header_aliases(table: Table) -> dict[str, str]:
    """Normalised header → column code, for any table spec (input or plan tables)."""
    return _header_aliases(table)

# A total row says so in a cell of its own: 合计, 小 计, Total:, sum … (spaces and a colon allowed).
# "SUM-05" is a unit id and 总计量检定所 a unit name, so the word must be the whole cell.
_TOTAL_WORD = "|".join(
    word if word.isascii() else r"\s*".join(word) for word in TOTAL_WORDS
)
_TOTAL_RE = re.compile(r"^\s*(?:grand\s*)?(?:" + _TOTAL_WORD + r")\s*[:：]?\s*$", re.IGNORECASE)
_TOTAL_LABEL_RE = re.compile(
    r"^\s*(?:" + _TOTAL_WORD + r")\s*[:：（(]|(?:" + _TOTAL_WORD + r")\s*[:：]?\s*$",
    re.IGNORECASE,
)
_NOTE_RE = re.compile(
    r"^(" + "|".join(re.escape(p) for p in NOTE_PREFIXES) + r")\s*([:：、.．]|\d|[（(])",
    re.IGNORECASE,
)


def match_table(stem: str) -> str | None:
    """The table a file stem or sheet name stands for, if any."""
    return TABLE_ALIASES.get(normalise(stem))


# ---------------------------------------------------------------- decoding and grids


_SAVE_AS = "save it as 'CSV UTF-8' (or as CSV from Chinese Excel) and try again"


def _shown_bytes(data: bytes, start: int) -> str:
    return " ".join(f"{b:02X}" for b in data[start:start + 4])


def _utf8_cell(data: bytes) -> int | None:
    """Offset of the first run of characters that can only be UTF-8, in a non-UTF-8 file.

    A run is a stretch of bytes ≥ 0x80 between ASCII bytes that is a sequence of three-byte
    UTF-8 characters (CJK, full-width forms) and ends before a byte GBK never uses as the
    second byte of a character (comma, quote, line end, digit). GBK text is two bytes a
    character: such a run of odd length has no GBK reading at all, and a longer even run
    holding a byte of 0x80-0xA0 is not GB2312 (the common characters GBK text is made of),
    so it is UTF-8 and its GBK reading would be mojibake. Vectorised: a province's file is
    checked in a fraction of a second.
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    high = arr >= 0x80
    if not high.any():
        return None
    edges = np.diff(np.concatenate(([False], high, [False])).astype(np.int8))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)  # exclusive
    lengths = ends - starts
    run_of = np.repeat(np.arange(len(starts)), lengths)
    where = np.flatnonzero(high)
    offset = where - starts[run_of]
    byte = arr[where]
    good = np.where(offset % 3 == 0, (byte >= 0xE2) & (byte <= 0xEF), byte <= 0xBF)
    first = np.searchsorted(where, starts)  # each run's first byte in `where`
    bad_count = np.add.reduceat((~good).astype(np.int64), first)
    low = np.add.reduceat((byte <= 0xA0).astype(np.int64), first)
    after = np.where(ends < len(arr), arr[np.minimum(ends, len(arr) - 1)], 0)
    utf8 = (bad_count == 0) & (lengths % 3 == 0) & (after < 0x40)
    certain = utf8 & ((lengths % 2 == 1) | ((lengths >= 6) & (low > 0)))
    hits = np.flatnonzero(certain)
    return int(starts[hits[0]]) if len(hits) else None


def _cell_is_gbk(data: bytes, offset: int) -> bool:
    """Whether the cell holding byte `offset` (between ASCII delimiters) is valid GBK."""
    start = max(data.rfind(sep, 0, offset) for sep in (b",", b"\n", b"\r", b'"')) + 1
    ends = [i for i in (data.find(sep, offset) for sep in (b",", b"\n", b"\r", b'"')) if i >= 0]
    cell = data[start:min(ends) if ends else len(data)]
    try:
        cell.decode("gbk")
    except UnicodeDecodeError:
        return False
    return True


def _decode_gbk(data: bytes) -> tuple[str | None, int]:
    """GBK text (GB18030 for the four-byte characters GBK lacks), else the failing offset.

    gb18030 alone decodes almost any bytes (undefined pairs become private-use characters),
    which would turn a damaged file into silent mojibake; so GBK is strict and GB18030 is
    accepted only where it yields no private-use character.
    """
    try:
        return data.decode("gbk"), -1
    except UnicodeDecodeError as exc:
        failed = exc.start
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        return None, exc.start
    if re.search("[\ue000-\uf8ff]", text) is None:
        return text, -1
    return None, failed


def decode_csv(data: bytes, file: str, locate=None) -> str:
    """CSV bytes as text in ONE encoding: UTF-8 (with or without BOM), else GBK.

    Bytes that are not valid in the file's encoding, and a file mixing UTF-8 and GBK cells,
    are refused naming the row (and column) where they are: never decoded into mojibake.
    `locate(data, offset, encoding)` gives (row, column) of a byte offset for the message.
    """
    locate = locate or (lambda data, offset, encoding: (None, ""))

    def refuse(message: str, offset: int | None = None, encoding: str = "utf-8"):
        row, column = locate(data, offset, encoding) if offset is not None else (None, "")
        raise InputError([Problem(message, file=file, row=row, column=column)])

    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) > 8 and data.count(b"\x00") * 3
                                                     > len(data)):
        refuse("cannot be decoded as UTF-8 or GBK: it is UTF-16 ('Unicode text'); " + _SAVE_AS)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_fail = exc.start
    text, gbk_fail = _decode_gbk(data)
    utf8_at = _utf8_cell(data)
    if utf8_at is not None and _cell_is_gbk(data, utf8_fail):
        row, column = locate(data, utf8_at, "utf-8")
        where = f"row {row}" + (f", column {column}" if column else "") if row else "one cell"
        refuse(f"mixes UTF-8 and GBK cells: this cell (bytes {_shown_bytes(data, utf8_fail)}) "
               f"is not UTF-8 while {where} is UTF-8; a file must be in one encoding: "
               f"{_SAVE_AS}", utf8_fail, "gbk")
    if text is not None:
        return text
    # Neither: blame the encoding the file is written in up to the bad bytes.
    before = data[:utf8_fail]
    if re.search(rb"[\x80-\xff]", before):
        refuse(f"cannot be decoded as UTF-8 or GBK: bytes {_shown_bytes(data, utf8_fail)} "
               "here are not valid UTF-8 (the file is UTF-8 up to this cell); retype the "
               f"cell, or {_SAVE_AS}", utf8_fail, "utf-8")
    refuse(f"cannot be decoded as UTF-8 or GBK: bytes {_shown_bytes(data, gbk_fail)} here "
           f"are not valid GBK; retype the cell, or {_SAVE_AS}", gbk_fail, "gbk")
    raise AssertionError("unreachable")


def byte_locator(table: Table):
    """A `locate` for decode_csv: the row (as Excel counts records) and the header of a byte."""

    def locate(data: bytes, offset: int, encoding: str) -> tuple[int | None, str]:
        # Commas, quotes and line ends are single ASCII bytes in UTF-8 and in GBK (never a
        # second byte of a GBK character): counting them on latin-1 text counts them exactly.
        head = data[:offset].decode("latin-1").removeprefix("\xef\xbb\xbf")
        try:
            records = list(csv.reader(io.StringIO(head, newline="")))
        except csv.Error:
            return None, ""
        if not records or head.endswith(("\n", "\r")):
            records.append([])
        row, cell = len(records), max(len(records[-1]) - 1, 0)
        best: tuple[int, str] = (0, "")
        for guess in dict.fromkeys((encoding, "utf-8", "gbk")):
            text = data.decode(guess, errors="replace").removeprefix("\ufeff")
            try:
                grid = list(csv.reader(io.StringIO(text, newline="")))
            except csv.Error:
                continue
            header_idx, mapping, _ = find_header(grid, table)
            if header_idx < 0 or row - 1 <= header_idx or len(mapping) <= best[0]:
                continue
            header = grid[header_idx]
            best = (len(mapping), header[cell].strip() if cell < len(header) else "")
        return row, best[1]

    return locate


def csv_grid(text: str, file: str = "") -> tuple[list[list[str]], list[int]]:
    """Rows of cells and each row's number as Excel shows the file.

    A quoted cell spanning lines is one row in Excel (where planners open their CSV files), so
    rows are counted as records, not as lines of text; a blank line is a row of its own.
    A quote that is never closed (it swallows the rows below it), a stray quote inside a
    quoted cell and a cell beyond the csv field limit are refused naming the row they start.
    """
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for cells in reader:
            rows.append(cells)
    except csv.Error as exc:
        row = len(rows) + 1
        if "field larger than field limit" in str(exc):
            message = (f"a cell starting in this row is longer than the CSV field limit "
                       f"({csv.field_size_limit():,} characters), usually a quote (\") that is "
                       "never closed; close the quote or remove it")
        elif "unexpected end of data" in str(exc):
            message = ("a quote (\") opened in this row is never closed: it swallows every row "
                       "below it; close the quote or remove it")
        else:
            message = (f"a quote (\") in this row (or one opened here and closed on line "
                       f"{reader.line_num} of the file) is not where a cell starts or ends "
                       f"({exc}); write a quote inside a quoted cell as \"\", or remove it")
        raise InputError([Problem(message, file=file, row=row)]) from None
    lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    if lines > len(rows):  # some quoted cell spans lines: is it a row-swallowing quote?
        for number, cells in enumerate(rows, start=1):
            for cell in cells:
                if "\n" in cell and any(line.count(",") >= 2
                                        for line in cell.splitlines()[1:]):
                    raise InputError([Problem(
                        "a quoted cell starting in this row runs over "
                        f"{cell.count(chr(10)) + 1} lines that look like rows of the table "
                        "(a quote (\") opened here closes only further down); close the "
                        "quote where the cell ends or remove it",
                        file=file, row=number,
                    )])
    return rows, list(range(1, len(rows) + 1))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # as Excel shows it; yes/no columns accept it
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


_MERGE_RE = re.compile(
    rb'<(?:\w+:)?mergeCell\s+ref="\$?([A-Z]{1,3})\$?(\d+):\$?([A-Z]{1,3})\$?(\d+)"'
)
_CELL_RE = re.compile(rb'<(?:\w+:)?c\s+r="([A-Z]{1,3})(\d+)"[^>]*(?<!/)>(.*?)</(?:\w+:)?c>',
                      re.DOTALL)
_FORMULA_RE = re.compile(rb"<(?:\w+:)?f[\s/>]")
_VALUE_RE = re.compile(rb"<(?:\w+:)?v>[^<]+</(?:\w+:)?v>")


def _column_index(letters: bytes | str) -> int:
    index = 0
    for ch in letters.encode() if isinstance(letters, str) else letters:
        index = index * 26 + ch - 64
    return index - 1


def column_letters(index: int) -> str:
    """0 → 'A', 27 → 'AB' (Excel column names, for messages)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class SheetGrid:
    """One worksheet as text cells with its Excel row numbers, merged ranges and formulas."""

    rows: list[list[str]]
    numbers: list[int]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # col0, row, col1, row
    uncached: set[tuple[int, int]] = field(default_factory=set)  # (Excel row, column index)
    state: str = "visible"


def _sheet_xml(ws) -> bytes:
    """The sheet's XML (read-only worksheets parse neither merged ranges nor formulas)."""
    try:
        with ws._get_source() as src:
            return src.read()
    except (AttributeError, OSError, KeyError):
        return b""


def _merges(xml: bytes) -> list[tuple[int, int, int, int]]:
    """Merged ranges spanning rows, as (first column index, first row, last column, last row)."""
    spans = []
    for first_col, first_row, last_col, last_row in _MERGE_RE.findall(xml):
        if int(last_row) > int(first_row):
            spans.append((_column_index(first_col), int(first_row), _column_index(last_col),
                          int(last_row)))
    return spans


def _uncached_formulas(xml: bytes) -> set[tuple[int, int]]:
    """Cells holding a formula but no computed value (written by a program, never opened in
    Excel): read with data_only they look empty, which would be a silent misreading."""
    if not _FORMULA_RE.search(xml):
        return set()
    found = set()
    for letters, row, inner in _CELL_RE.findall(xml):
        if _FORMULA_RE.search(inner) and not _VALUE_RE.search(inner):
            found.add((int(row), _column_index(letters)))
    return found


def _fill_merged_down(rows: list[list[str]], spans: list[tuple[int, int, int, int]]) -> None:
    """Give every cell of a one-column merged range the range's value.

    A unit code merged over the unit's two quota rows belongs to both rows. Ranges wider than
    one column (titles, notes, group headers) keep their value in the first cell only, so that
    a merged note is still one note and a merged title one title. A number merged down over
    data rows is refused later (`grid_to_table`), where the column's type is known.
    """
    for j, first, j_last, last in spans:
        if j != j_last or first > len(rows) or j >= len(rows[first - 1]):
            continue
        value = rows[first - 1][j]
        for i in range(first, min(last, len(rows))):
            if len(rows[i]) <= j:
                rows[i] += [""] * (j + 1 - len(rows[i]))
            if not rows[i][j].strip():
                rows[i][j] = value


def xlsx_sheets(path: Path) -> dict[str, SheetGrid]:
    """Each sheet of a workbook as text cells with Excel row numbers, merges and formulas.

    Rows are read from A1 whatever the sheet's stored dimension says: Excel stores the used
    range (e.g. B3:E9 when the first rows are empty), and other writers store wrong ones
    (A1:A1), which would shift row numbers or cut columns off.
    """
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise InputError(
            [Problem(f"is not a readable .xlsx workbook ({exc.__class__.__name__}: {exc}); "
                     "open it in Excel and save it again as .xlsx", file=path.name)]
        ) from None
    sheets: dict[str, SheetGrid] = {}
    try:
        for ws in wb.worksheets:
            state = getattr(ws, "sheet_state", "visible") or "visible"
            if state == "veryHidden":
                sheets[ws.title] = SheetGrid([], [], state=state)
                continue
            if hasattr(ws, "reset_dimensions"):
                ws.reset_dimensions()
            rows = [[_cell_text(v) for v in values]
                    for values in ws.iter_rows(min_row=1, values_only=True)]
            xml = _sheet_xml(ws)
            merges = _merges(xml)
            _fill_merged_down(rows, merges)
            sheets[ws.title] = SheetGrid(rows, list(range(1, len(rows) + 1)), merges,
                                         _uncached_formulas(xml), state)
    except InputError:
        raise
    except Exception as exc:  # a damaged sheet part: same advice as a damaged workbook
        raise InputError(
            [Problem(f"is not a readable .xlsx workbook ({exc.__class__.__name__}: {exc}); "
                     "open it in Excel and save it again as .xlsx", file=path.name)]
        ) from None
    finally:
        wb.close()
    return sheets


def xlsx_grids(path: Path) -> dict[str, tuple[list[list[str]], list[int]]]:
    """Each visible or hidden sheet of a workbook as rows of text cells with Excel row numbers."""
    return {name: (grid.rows, grid.numbers) for name, grid in xlsx_sheets(path).items()
            if grid.state != "veryHidden"}


# ---------------------------------------------------------------- header and rows


def _is_blank(cells: list[str]) -> bool:
    return all(not c.strip() for c in cells)


def find_header(rows: list[list[str]], table: Table) -> tuple[int, dict[int, str], int]:
    """Index of the header row, its column positions → canonical names, and rows it spans.

    The header is the row (among the first rows) matching the most known column names.
    A two-row header (group cells such as 编制情况 above sub-headers) is combined, whichever of
    the two rows holds more of the names.
    """
    aliases = header_aliases(table)

    def names(cells: list[str]) -> dict[int, str]:
        found = {j: header_name(c, aliases) for j, c in enumerate(cells)}
        return {j: name for j, name in found.items() if name is not None}

    best, best_score = -1, 0
    for i, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = len(names(cells))
        if score > best_score:
            best, best_score = i, score
    if best < 0:
        return -1, {}, 0
    mapping = names(rows[best])
    for other, top in ((best - 1, best - 1), (best + 1, best)):
        if not 0 <= other < len(rows):
            continue
        extra = {j: name for j, name in names(rows[other]).items() if j not in mapping}
        if extra and not set(extra.values()) & set(mapping.values()):
            mapping.update(extra)
            return top, mapping, 2
    return best, mapping, 1


def _row_kind(cells: list[str], serial_cols: set[int], id_col: int | None = None) -> str:
    """'blank', 'total', 'note' or 'data'.

    A total row is one whose first non-empty cell is a total word and nothing else (合计,
    小 计, Total:), or, with the id cell empty, one whose label says so (市级小计). A unit
    whose id or name merely contains such a word (SUM-05, 总计量检定所) is data.
    """
    first_j, first = -1, ""
    for j, c in enumerate(cells):
        if c.strip():
            first_j, first = j, c.strip()
            break
    if first_j < 0:
        return "blank"
    if _TOTAL_RE.match(first):
        return "total"
    id_empty = id_col is not None and (id_col >= len(cells) or not cells[id_col].strip())
    if first_j not in serial_cols and not id_empty and not _NOTE_RE.match(first):
        return "data"  # the common row: its first label is no total, no note, id given
    values = [(j, c.strip()) for j, c in enumerate(cells) if c.strip()]
    labels = [v for j, v in values if j not in serial_cols]
    if not labels:
        return "blank"  # only a serial number
    if _TOTAL_RE.match(labels[0]):
        return "total"
    if (id_col is not None and (id_col >= len(cells) or not cells[id_col].strip())
            and any(_TOTAL_LABEL_RE.search(v) for v in labels)):
        return "total"
    if _NOTE_RE.match(values[0][1]) and len(values) <= 2:
        return "note"
    return "data"


NUMBER_TYPES = ("int", "posint", "number", "year")


def _ranges(numbers: list[int]) -> str:
    """[3, 4, 5, 9] → '3-5, 9'."""
    parts: list[str] = []
    start = prev = None
    for n in numbers:
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            parts.append(f"{start}-{prev}" if start != prev else f"{start}")
            start = prev = n
    if start is not None:
        parts.append(f"{start}-{prev}" if start != prev else f"{start}")
    return ", ".join(parts)


@dataclass
class _Layout:
    """Where a table's header is and what each column within it holds."""

    start: int  # index of the first row below the header
    header_row: int  # the header's row number as the user sees it
    width: int  # cells in the header row
    keep: dict[int, str]  # column index → canonical name, or an unknown header as written
    headers: dict[str, str]  # canonical name → header as written
    extras: list[str]  # unknown headers, carried through
    serial_cols: set[int]  # 序号 columns: ignored
    headless: list[int]  # columns inside the header's width without a header
    id_col: int | None  # the column of the table's first key


def _layout(rows: list[list[str]], numbers, table: Table, file: str, sheet: str
            ) -> tuple[_Layout | None, list[Problem]]:
    """The header found among the first rows and the columns it names (None: no header).

    Reads only the rows at the top, so that a reader of a plain CSV file can find its header
    without splitting the rest of the file into rows."""
    problems: list[Problem] = []
    header_idx, mapping, span = find_header(rows, table)
    if header_idx < 0:
        names = ", ".join(f"{c.name} ({c.zh})" for c in table.columns if c.required)
        problems.append(Problem(
            f"no header row found in the first {HEADER_SCAN_ROWS} rows; expected columns "
            f"such as {names}",
            file=file, sheet=sheet, severity="error",
        ))
        return None, problems
    header_cells = list(rows[header_idx])
    if span == 2:
        below = rows[header_idx + 1]
        header_cells += [""] * (len(below) - len(header_cells))
        for j in mapping:
            if header_name(header_cells[j], header_aliases(table)) is None:
                header_cells[j] = below[j]
        for j, text in enumerate(header_cells):
            if j not in mapping and not str(text).strip() and j < len(below):
                header_cells[j] = below[j]  # an unknown sub-header: its column is kept
    header_row = numbers[header_idx]
    headers: dict[str, str] = {}
    serial_cols: set[int] = set()
    keep: dict[int, str] = {}
    extras: list[str] = []
    seen: dict[str, int] = {}
    for j, raw in enumerate(header_cells):
        text = str(raw).strip()
        if j in mapping:
            name = mapping[j]
            if name in seen:
                problems.append(Problem(
                    f"column '{text}' appears twice (also column {seen[name] + 1}); "
                    "keep one of them",
                    file=file, sheet=sheet, row=header_row, column=text,
                ))
                continue
            seen[name] = j
            keep[j] = name
            headers[name] = text
        elif normalise(text) in SERIAL_HEADERS:
            serial_cols.add(j)
        elif text:
            keep[j] = text  # unknown column: carried through
            extras.append(text)
    id_name = table.key[0] if table.key else None
    layout = _Layout(
        start=header_idx + span, header_row=header_row, width=len(header_cells), keep=keep,
        headers=headers, extras=extras, serial_cols=serial_cols,
        # columns inside the header's width that have no header: a value there would be lost
        headless=[j for j, text in enumerate(header_cells)
                  if j not in keep and j not in serial_cols and not str(text).strip()],
        id_col=next((j for j, name in keep.items() if name == id_name), None),
    )
    return layout, problems


def grid_to_table(
    rows: list[list[str]], numbers: list[int], table: Table, file: str, sheet: str = "",
    grid: SheetGrid | None = None,
) -> tuple[RawTable | None, list[Problem]]:
    """Locate the header, drop what is not data, and return the table's text frame.

    `grid` (a worksheet) adds its merged ranges and formulas without a computed value: a
    number merged down over data rows and such a formula are refused here, by cell.
    """
    if all(_is_blank(cells) for cells in rows):
        what = "sheet" if sheet else "file"
        fix = (f"the {table.name} table ({table.zh}) is required: add its header row and data"
               if table.required else
               f"fill in the {table.name} table ({table.zh}) or remove the {what} "
               "(the table is optional)")
        return None, [Problem(f"is empty; {fix}", file=file, sheet=sheet)]
    layout, problems = _layout(rows, numbers, table, file, sheet)
    if layout is None:
        return None, problems
    keep, serial_cols, id_col, width = layout.keep, layout.serial_cols, layout.id_col, layout.width
    data_rows: list[list[str]] = []
    data_numbers: list[int] = []
    skipped: dict[str, list[int]] = {"blank": [], "total": [], "note": []}
    in_notes = False
    # the common row, decided inline: its first cell is the id (no serial column before it),
    # neither a total nor a note (what `_row_kind` would find, without a call per row)
    plain_first = id_col == 0 and 0 not in serial_cols
    total_match, note_match = _TOTAL_RE.match, _NOTE_RE.match
    for cells, number in zip(rows[layout.start:], numbers[layout.start:]):
        first = cells[0].strip() if plain_first and cells else ""
        if first and not in_notes and total_match(first) is None and note_match(first) is None:
            kind = "data"
        else:
            kind = _row_kind(cells, serial_cols, id_col)
        if kind == "data" and in_notes and sum(1 for c in cells if c.strip()) <= 1:
            kind = "note"  # continuation lines of a notes block below the table
        if kind != "data":
            skipped[kind].append(number)
            in_notes = in_notes or kind == "note"
            continue
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            problems.append(Problem(
                f"has {len(cells)} cells but the header has {width} columns; "
                "remove the extra cells or add a header for them",
                file=file, sheet=sheet, row=number,
            ))
        for j in layout.headless:
            if j < len(cells) and cells[j].strip():
                problems.append(Problem(
                    f"has the value {show(cells[j].strip())} in column {j + 1} "
                    f"({column_letters(j)}), which has no header; add a header for it or "
                    "move the value into its column",
                    file=file, sheet=sheet, row=number,
                ))
                break
        data_rows.append(cells)
        data_numbers.append(number)
    for kind, label in (("blank", "blank"), ("total", "total"), ("note", "note")):
        if skipped[kind] and not (kind == "blank" and not data_rows):
            problems.append(Problem(
                f"skipped {label} row{'s' if len(skipped[kind]) > 1 else ''} "
                f"{_ranges(skipped[kind])}",
                file=file, sheet=sheet, severity="warning",
            ))
    columns = {}
    # every row reaches the last kept column (the common case): each column in one pass
    full = min(map(len, data_rows), default=0) > max(keep, default=-1)
    for j, name in keep.items():
        columns[name] = (list(map(str.strip, map(itemgetter(j), data_rows))) if full else
                         [r[j].strip() if j < len(r) else "" for r in data_rows])
    block = np.empty((len(columns), len(data_rows)), dtype=object)
    for k, cells in enumerate(columns.values()):
        block[k] = cells
    raw = _raw_table(table, layout, list(columns), block.T, data_numbers, file, sheet)
    if grid is not None:
        problems += _check_sheet_cells(raw, table, keep, set(data_numbers), grid)
    return raw, problems


def _raw_table(table: Table, layout: _Layout, names: list[str], cells: np.ndarray, numbers,
               file: str, sheet: str) -> RawTable:
    """The RawTable of text cells (an array of objects, a row per data row, a column per name)."""
    frame = pd.DataFrame(cells, columns=names, dtype=object, copy=False)
    frame[ROW] = numbers
    return RawTable(
        name=table.name, frame=frame, file=file, sheet=sheet, header_row=layout.header_row,
        headers=layout.headers, extra_columns=layout.extras, stripped=True,
    )


# A total or note row among the first cells of a plain file, each cell on a line of one text
# after a line end: any cell `_TOTAL_RE` or `_NOTE_RE` matches is found (a hit spanning lines
# only sends the file to the exact reader). The line end leading the pattern lets the search
# skip from line to line instead of trying `^` at every character (0.17 s instead of 0.5 s
# for the ids of a province's register).
_TOTAL_OR_NOTE_LINE_RE = re.compile(
    "\n(?:" + _TOTAL_RE.pattern.removeprefix("^") + "|" + _NOTE_RE.pattern.removeprefix("^")
    + ")", re.IGNORECASE | re.MULTILINE,
)

# the characters str.strip removes (none is above U+3000, the ideographic space)
_SPACES = "".join(c for c in map(chr, range(0x3001)) if c.isspace())


def plain_csv_table(text: str, table: Table, file: str
                    ) -> tuple[RawTable, list[Problem]] | None:
    """The table of a plain CSV text, read as one grid of cells; None when the text is not
    plain.

    Plain is the file a program or Excel writes from a clean table: no quote (so each line is
    one record and each comma ends a cell), lines ending in \\n or \\r\\n, every line below the
    header exactly as wide as it, the id in the first column and given in every row, no total
    or note row, nothing in a column without a header, no line beyond the csv field limit.
    Such a text gives what `csv_grid` and `grid_to_table` give, without a list of cells and a
    classification per row (a province's register of 1.4 million rows: 1.6 s instead of 7).
    Anything else is left to them: they read it exactly, or say what is wrong where.
    """
    if '"' in text:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None  # a lone \r ends a record too: the exact reader counts those
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()  # the line end of the last record
    head = [line.split(",") if line else [] for line in lines[:HEADER_SCAN_ROWS + 1]]
    layout, problems = _layout(head, range(1, len(head) + 1), table, file, "")
    if layout is None or layout.id_col != 0 or 0 in layout.serial_cols:
        return None
    body = lines[layout.start:]
    del lines
    width = layout.width
    if (not body or set(map(str.count, body, repeat(","))) != {width - 1}
            or max(map(len, body)) > csv.field_size_limit()):
        return None
    joined = ",".join(body)
    del body
    cells = joined.split(",")
    # a text without any space, tab or the like (a register of codes) has nothing to strip
    if any(c in joined for c in _SPACES):
        cells = list(map(str.strip, cells))
    del joined
    grid = np.fromiter(cells, dtype=object, count=len(cells)).reshape(-1, width)
    del cells
    if any(any(grid[:, j]) for j in layout.headless):
        return None
    ids = grid[:, 0].tolist()
    if not all(ids):
        return None  # a row without id: blank, or a total or note row, or an error to name
    if _TOTAL_OR_NOTE_LINE_RE.search("\n" + "\n".join(ids)):
        return None
    # each name at its first column; a second unknown column of the same header wins its
    # cells, as a dict of columns keyed by name has them
    kept = {name: j for j, name in layout.keep.items()}
    if list(kept.values()) != list(range(width)):
        grid = grid[:, list(kept.values())]
    numbers = np.arange(layout.start + 1, layout.start + 1 + len(grid), dtype=np.int64)
    return _raw_table(table, layout, list(kept), grid, numbers, file, ""), problems


def csv_table(text: str, table: Table, file: str) -> tuple[RawTable | None, list[Problem]]:
    """The table of a decoded CSV file (see `plain_csv_table`, `csv_grid`, `grid_to_table`)."""
    plain = plain_csv_table(text, table, file)
    if plain is not None:
        return plain
    rows, numbers = csv_grid(text, file)
    return grid_to_table(rows, numbers, table, file)


def _check_sheet_cells(raw: RawTable, table: Table, keep: dict[int, str], data: set[int],
                       grid: SheetGrid) -> list[Problem]:
    """Numbers merged down over data rows; formulas without a computed value."""
    problems: list[Problem] = []
    kinds = {c.name: c.type for c in table.columns}

    def header(name: str) -> str:
        return raw.header(name)

    for c0, r0, c1, r1 in sorted(grid.merges, key=lambda m: (m[1], m[0])):
        rows_in = [r for r in range(r0, r1 + 1) if r in data]
        if len(rows_in) < 2:
            continue
        for j in range(c0, c1 + 1):
            name = keep.get(j)
            if name is None or kinds.get(name) not in NUMBER_TYPES:
                continue
            ref = f"{column_letters(c0)}{r0}:{column_letters(c1)}{r1}"
            problems.append(Problem(
                f"one number is merged over rows {r0}-{r1} ({ref}): is it each row's or the "
                "rows' total? Unmerge the cells and write each row's own number",
                file=raw.file, sheet=raw.sheet, row=r0, column=header(name),
            ))
            raw.reported.setdefault(name, set()).update(rows_in)
    for r, j in sorted(grid.uncached):
        name = keep.get(j)
        if name is None or r not in data:
            continue
        problems.append(Problem(
            "formula without a computed value — open and save the file in Excel (cell "
            f"{column_letters(j)}{r} holds a formula whose value was never stored)",
            file=raw.file, sheet=raw.sheet, row=r, column=header(name),
        ))
        raw.reported.setdefault(name, set()).add(r)
    return problems


# ---------------------------------------------------------------- entry point


def file_problem(path: Path, shown: str, what: str = "a file") -> Problem | None:
    """Why `path` cannot be read as a regular file (a folder, a FIFO, a broken or looping
    link, no permission), or None. Checked before reading: reading a FIFO would hang."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if path.is_symlink():
            try:
                target = os.readlink(path)
            except OSError:
                target = "?"
            why = ("is a symbolic link that loops back on itself"
                   if exc.errno == 40 else f"is a symbolic link to {target}, which does not exist")
            return Problem(f"{why}; replace it with {what}", file=shown)
        return Problem(f"cannot be read ({exc.strerror}); give {what}", file=shown)
    if stat.S_ISDIR(mode):
        return Problem(f"is a folder, not {what}; rename or remove it", file=shown)
    if not stat.S_ISREG(mode):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device or socket"
        return Problem(f"is {kind}, not {what}; give a regular file", file=shown)
    if not os.access(path, os.R_OK):
        return Problem(f"cannot be read (permission denied); give {what} you may read",
                       file=shown)
    return None


def _read_bytes(path: Path, shown: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(f"cannot be read ({exc.strerror})", file=shown)]) from None


def read_inputs(path: str | Path) -> RawInputs:
    """Read every known table from a folder of CSV files or an .xlsx workbook."""
    path = Path(path)
    problems: list[Problem] = []
    tables: dict[str, RawTable] = {}
    checksum: list[tuple[str, bytes]] = []
    try:
        is_dir = path.is_dir()
    except OSError:
        is_dir = False
    if not is_dir:
        if not os.path.lexists(path):
            raise InputError([Problem(
                "does not exist; give a folder of CSV files or an .xlsx workbook",
                file=str(path),
            )])
        bad = file_problem(path, str(path), "a folder of CSV files or an .xlsx workbook")
        if bad is not None:
            raise InputError([bad])
    if is_dir:
        try:
            entries = sorted(path.iterdir())
        except OSError as exc:
            raise InputError([Problem(f"cannot be read ({exc.strerror})", file=str(path))]
                             ) from None
        files = [p for p in entries if p.suffix.lower() == ".csv"]
        books = [p for p in entries if p.suffix.lower() == ".xlsx"]
        if not files and len(books) == 1:
            return read_inputs(books[0])
        unrecognised = [f.name for f in files if match_table(f.stem) is None]
        hint = (f"; the folder holds {len(books)} workbooks ({', '.join(b.name for b in books)}):"
                " give one of them as the path" if not files and books else "")
        for file in files:
            name = match_table(file.stem)
            if name is None:
                continue
            if name in tables:
                problems.append(Problem(
                    f"is a second file for table {name} (first: {tables[name].file}); "
                    "keep one", file=file.name,
                ))
                continue
            bad = file_problem(file, file.name, "a CSV file")
            if bad is not None:
                problems.append(bad)
                continue
            try:
                data = _read_bytes(file, file.name)
                checksum.append((file.name, data))
                text = decode_csv(data, file.name, byte_locator(TABLES[name]))
                raw, found = csv_table(text, TABLES[name], file.name)
            except InputError as exc:
                problems.extend(exc.problems)
                continue
            problems.extend(found)
            if raw is not None:
                tables[name] = raw
        where = f"{path}"
        kind = "file"
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        checksum.append((path.name, _read_bytes(path, str(path))))
        sheets = xlsx_sheets(path)
        for sheet, grid in sheets.items():
            if grid.state == "veryHidden":
                problems.append(Problem(
                    "is a very hidden sheet (veryHidden, not shown in Excel's Unhide list): "
                    "ignored; make it visible if it holds a table to read",
                    file=path.name, sheet=sheet, severity="warning",
                ))
        grids = {name: grid for name, grid in sheets.items() if grid.state != "veryHidden"}
        unrecognised = [sheet for sheet in grids if match_table(sheet) is None]
        hint = ""
        for sheet, grid in grids.items():
            name = match_table(sheet)
            if name is None:
                continue
            if name in tables:
                problems.append(Problem(
                    f"is a second sheet for table {name} (first: {tables[name].sheet}); keep one",
                    file=path.name, sheet=sheet,
                ))
                continue
            raw, found = grid_to_table(grid.rows, grid.numbers, TABLES[name], path.name, sheet,
                                       grid)
            problems.extend(found)
            if raw is not None:
                tables[name] = raw
        where = path.name
        kind = "sheet"
    else:
        raise InputError([Problem(
            "is neither a folder of CSV files nor an .xlsx workbook", file=str(path)
        )])
    for table in TABLES.values():
        if table.required and table.name not in tables and not any(
            p.severity == "error"
            and table.name in (match_table(Path(p.file).stem), match_table(p.sheet))
            for p in problems
        ):
            what = f"{table.name}.csv or {table.zh}.csv" if kind == "file" else (
                f"a sheet named {table.name} or {table.zh}")
            found = (f"; {kind}s not recognised as a table: {', '.join(unrecognised)}"
                     if unrecognised else "")
            problems.append(Problem(
                f"has no {table.name} table ({table.zh}); add {what}{found}{hint}", file=where,
            ))
    return RawInputs(path=path, tables=tables, problems=problems, checksum_parts=checksum)
