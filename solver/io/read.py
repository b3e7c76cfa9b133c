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
import re
from dataclasses import dataclass, field
from pathlib import Path

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

_TOTAL_RE = re.compile(r"^(" + "|".join(TOTAL_WORDS) + r")\b", re.IGNORECASE)
_TOTAL_ZH_RE = re.compile(r"^(合\s*计|小\s*计|总\s*计)")
_NOTE_RE = re.compile(
    r"^(" + "|".join(re.escape(p) for p in NOTE_PREFIXES) + r")\s*([:：、.．]|\d|[（(])",
    re.IGNORECASE,
)


def match_table(stem: str) -> str | None:
    """The table a file stem or sheet name stands for, if any."""
    return TABLE_ALIASES.get(normalise(stem))


# ---------------------------------------------------------------- decoding and grids


def decode_csv(data: bytes, file: str) -> str:
    """CSV bytes as text: UTF-8 (with or without BOM), else GBK/GB18030 as Excel saves it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise InputError(
            [
                Problem(
                    "cannot be decoded as UTF-8 or GBK; save it as 'CSV UTF-8' "
                    "(or as CSV from Chinese Excel) and try again",
                    file=file,
                )
            ]
        ) from None


def csv_grid(text: str) -> tuple[list[list[str]], list[int]]:
    """Rows of cells and each row's number as Excel shows the file.

    A quoted cell spanning lines is one row in Excel (where planners open their CSV files), so
    rows are counted as records, not as lines of text; a blank line is a row of its own.
    """
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows, list(range(1, len(rows) + 1))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


_MERGE_RE = re.compile(
    rb'<(?:\w+:)?mergeCell\s+ref="\$?([A-Z]{1,3})\$?(\d+):\$?([A-Z]{1,3})\$?(\d+)"'
)


def _column_index(letters: bytes) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ch - 64
    return index - 1


def _merged_down(ws) -> list[tuple[int, int, int]]:
    """Cells merged down one column, as (column index, first row, last row) (Excel numbers).

    Read-only worksheets do not parse merged ranges, so they are found in the sheet's XML.
    """
    try:
        with ws._get_source() as src:
            xml = src.read()
    except (AttributeError, OSError, KeyError):
        return []
    spans = []
    for first_col, first_row, last_col, last_row in _MERGE_RE.findall(xml):
        if first_col == last_col and int(last_row) > int(first_row):
            spans.append((_column_index(first_col), int(first_row), int(last_row)))
    return spans


def _fill_merged_down(rows: list[list[str]], spans: list[tuple[int, int, int]]) -> None:
    """Give every cell of a one-column merged range the range's value.

    A unit code merged over the unit's two quota rows belongs to both rows. Ranges wider than
    one column (titles, notes, group headers) keep their value in the first cell only, so that
    a merged note is still one note and a merged title one title.
    """
    for j, first, last in spans:
        if first > len(rows) or j >= len(rows[first - 1]):
            continue
        value = rows[first - 1][j]
        for i in range(first, min(last, len(rows))):
            if len(rows[i]) <= j:
                rows[i] += [""] * (j + 1 - len(rows[i]))
            if not rows[i][j].strip():
                rows[i][j] = value


def xlsx_grids(path: Path) -> dict[str, tuple[list[list[str]], list[int]]]:
    """Each sheet of a workbook as rows of text cells with their Excel row numbers.

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
    grids: dict[str, tuple[list[list[str]], list[int]]] = {}
    try:
        for ws in wb.worksheets:
            if hasattr(ws, "reset_dimensions"):
                ws.reset_dimensions()
            rows = [[_cell_text(v) for v in values]
                    for values in ws.iter_rows(min_row=1, values_only=True)]
            _fill_merged_down(rows, _merged_down(ws))
            grids[ws.title] = (rows, list(range(1, len(rows) + 1)))
    finally:
        wb.close()
    return grids


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


def _row_kind(cells: list[str], serial_cols: set[int]) -> str:
    """'blank', 'total', 'note' or 'data'."""
    values = [c.strip() for c in cells if c.strip()]
    if not values:
        return "blank"
    for value in values[:2]:
        if _TOTAL_ZH_RE.match(value) or _TOTAL_RE.match(value):
            return "total"
    if _NOTE_RE.match(values[0]) and len(values) <= 2:
        return "note"
    if not any(c.strip() for j, c in enumerate(cells) if j not in serial_cols):
        return "blank"  # only a serial number
    return "data"


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


def grid_to_table(
    rows: list[list[str]], numbers: list[int], table: Table, file: str, sheet: str = ""
) -> tuple[RawTable | None, list[Problem]]:
    """Locate the header, drop what is not data, and return the table's text frame."""
    problems: list[Problem] = []
    if all(_is_blank(cells) for cells in rows):
        what = "sheet" if sheet else "file"
        fix = (f"the {table.name} table ({table.zh}) is required: add its header row and data"
               if table.required else
               f"fill in the {table.name} table ({table.zh}) or remove the {what} "
               "(the table is optional)")
        problems.append(Problem(f"is empty; {fix}", file=file, sheet=sheet))
        return None, problems
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
    data_rows: list[list[str]] = []
    data_numbers: list[int] = []
    skipped: dict[str, list[int]] = {"blank": [], "total": [], "note": []}
    width = len(header_cells)
    in_notes = False
    for cells, number in zip(rows[header_idx + span :], numbers[header_idx + span :]):
        kind = _row_kind(cells, serial_cols)
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
    for j, name in keep.items():
        columns[name] = [r[j].strip() if j < len(r) else "" for r in data_rows]
    frame = pd.DataFrame(columns, dtype=object)
    frame[ROW] = data_numbers
    raw = RawTable(
        name=table.name, frame=frame, file=file, sheet=sheet, header_row=header_row,
        headers=headers, extra_columns=extras,
    )
    return raw, problems


# ---------------------------------------------------------------- entry point


def read_inputs(path: str | Path) -> RawInputs:
    """Read every known table from a folder of CSV files or an .xlsx workbook."""
    path = Path(path)
    problems: list[Problem] = []
    tables: dict[str, RawTable] = {}
    checksum: list[tuple[str, bytes]] = []
    if not path.exists():
        raise InputError([Problem(
            "does not exist; give a folder of CSV files or an .xlsx workbook", file=str(path)
        )])
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
        books = sorted(path.glob("*.xlsx"))
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
            data = file.read_bytes()
            checksum.append((file.name, data))
            try:
                text = decode_csv(data, file.name)
            except InputError as exc:
                problems.extend(exc.problems)
                continue
            rows, numbers = csv_grid(text)
            raw, found = grid_to_table(rows, numbers, TABLES[name], file.name)
            problems.extend(found)
            if raw is not None:
                tables[name] = raw
        where = f"{path}"
        kind = "file"
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        checksum.append((path.name, path.read_bytes()))
        grids = xlsx_grids(path)
        unrecognised = [sheet for sheet in grids if match_table(sheet) is None]
        hint = ""
        for sheet, (rows, numbers) in grids.items():
            name = match_table(sheet)
            if name is None:
                continue
            if name in tables:
                problems.append(Problem(
                    f"is a second sheet for table {name} (first: {tables[name].sheet}); keep one",
                    file=path.name, sheet=sheet,
                ))
                continue
            raw, found = grid_to_table(rows, numbers, TABLES[name], path.name, sheet)
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
