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
HEADER_ALIASES = {name: _header_aliases(t) for name, t in TABLES.items()}

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
    """Rows of cells and each row's line number (quoted cells may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    lines: list[int] = []
    line = 1
    for record in reader:
        rows.append(record)
        lines.append(line)
        line = reader.line_num + 1
    return rows, lines


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


def xlsx_grids(path: Path) -> dict[str, tuple[list[list[str]], list[int]]]:
    """Each sheet of a workbook as rows of text cells with their Excel row numbers."""
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
            rows: list[list[str]] = []
            numbers: list[int] = []
            start = ws.min_row or 1
            for offset, values in enumerate(ws.iter_rows(values_only=True)):
                rows.append([_cell_text(v) for v in values])
                numbers.append(start + offset)
            grids[ws.title] = (rows, numbers)
    finally:
        wb.close()
    return grids


# ---------------------------------------------------------------- header and rows


def _is_blank(cells: list[str]) -> bool:
    return all(not c.strip() for c in cells)


def find_header(rows: list[list[str]], table: Table) -> tuple[int, dict[int, str], int]:
    """Index of the header row, its column positions → canonical names, and rows it spans.

    The header is the row (among the first rows) matching the most known column names.
    A two-row header (a merged group cell above sub-headers) is combined.
    """
    aliases = HEADER_ALIASES[table.name]
    best, best_score = -1, 0
    for i, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = sum(1 for c in cells if normalise(c) in aliases)
        if score > best_score:
            best, best_score = i, score
    if best < 0:
        return -1, {}, 0
    mapping = {j: aliases[normalise(c)] for j, c in enumerate(rows[best]) if normalise(c) in aliases}
    span = 1
    if best + 1 < len(rows):
        below = rows[best + 1]
        extra = {
            j: aliases[normalise(c)]
            for j, c in enumerate(below)
            if normalise(c) in aliases and j not in mapping
        }
        if extra and not set(extra.values()) & set(mapping.values()):
            mapping.update(extra)
            span = 2
    return best, mapping, span


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
        for j, name in mapping.items():
            if normalise(header_cells[j]) not in HEADER_ALIASES[table.name]:
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
        if not files and sorted(path.glob("*.xlsx")):
            books = sorted(path.glob("*.xlsx"))
            if len(books) == 1:
                return read_inputs(books[0])
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
        for sheet, (rows, numbers) in xlsx_grids(path).items():
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
            p.severity == "error" and match_table(Path(p.file).stem) == table.name
            for p in problems
        ):
            what = f"{table.name}.csv or {table.zh}.csv" if kind == "file" else (
                f"a sheet named {table.name} or {table.zh}")
            problems.append(Problem(
                f"has no {table.name} table ({table.zh}); add {what}", file=where,
            ))
    return RawInputs(path=path, tables=tables, problems=problems, checksum_parts=checksum)
