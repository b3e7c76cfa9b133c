"""Writers for input-format tables: a folder of CSV files and one xlsx workbook.

Both take any dict of DataFrames (input tables, or plan tables later). Tables and columns known
to `domain.TABLES` get their Chinese names in a Chinese workbook and their enum values
translated; anything else is written as given. Output is deterministic: the same tables give the
same bytes, so bundled scenarios and golden plans can be compared with `cmp`. Every write is
atomic: files are written next to the target first and moved into place with `os.replace`
only once all of them are complete.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import math
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from solver.domain import ENUMS, READING_COLUMNS, TABLES, Table

# Fixed workbook timestamps: the creation date says nothing useful and breaks byte equality.
WORKBOOK_DATETIME = datetime.datetime(2021, 1, 1, 0, 0, 0)
_ZIP_DATETIME = (2021, 1, 1, 0, 0, 0)
# Excel refuses these in sheet names, and names longer than 31 characters.
_SHEET_FORBIDDEN = frozenset("[]:*?/\\")
LANGS: tuple[str, ...] = ("zh", "en")
MAX_SHEET_ROWS = 1_048_576  # rows of a worksheet (xlsx), the header included
_ERROR_TEXTS = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))


def write_csv_folder(tables: Mapping[str, pd.DataFrame], folder: Path) -> None:
    """Write one `<table>.csv` per table into `folder` (UTF-8, English names and codes).

    Integers are written without `.0`, missing values as empty cells, lines end with `\\n`.
    All files are written into a temporary folder beside `folder` first; only when every table
    is written are they moved into `folder` (each with `os.replace`). Other files already in
    `folder` are left alone.
    """
    folder = Path(folder)
    _check_names(tables)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        for name, frame in tables.items():
            (staging / f"{name}.csv").write_bytes(_csv_text(frame).encode("utf-8"))
        if not folder.exists():
            os.chmod(staging, 0o755)  # mkdtemp makes it private
            os.replace(staging, folder)
            return
        if not folder.is_dir():
            raise NotADirectoryError(f"{folder} exists and is not a folder")
        for name in tables:
            os.replace(staging / f"{name}.csv", folder / f"{name}.csv")
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def write_workbook(tables: Mapping[str, pd.DataFrame], path: Path, lang: str = "zh",
                   specs: Mapping[str, Table] | None = None) -> None:
    """Write one sheet per table into the xlsx workbook `path`, byte-identical for equal input.

    With lang="zh" known tables get their Chinese sheet name, known columns their Chinese header
    and enum values (and yes/no cells) their Chinese label; unknown tables, columns and values
    are carried through unchanged. With lang="en" the workbook holds the CSV names and codes.
    """
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: expected one of {', '.join(LANGS)}")
    path = Path(path)
    _check_names(tables)
    check_sheet_rows(tables)
    specs = TABLES if specs is None else specs
    sheets = [(_sheet_name(name, lang, specs), _localised(name, frame, lang, specs))
              for name, frame in tables.items()]
    _check_sheet_names([sheet for sheet, _ in sheets])
    data = _workbook_bytes(sheets)
    atomic_write_bytes(path, data)


# --- CSV -----------------------------------------------------------------------------------

def _csv_text(frame: pd.DataFrame) -> str:
    """The CSV text of one table with deterministic cell formatting."""
    out = pd.DataFrame({col: _column_text(frame[col]) for col in frame.columns},
                       columns=list(frame.columns))
    return out.to_csv(index=False, lineterminator="\n", na_rep="")


def _column_text(series: pd.Series) -> list[str]:
    """Cells of one column as text: integral numbers without `.0`, missing as ''."""
    return [_cell_text(value) for value in series.tolist()]


def _cell_text(value: object) -> str:
    value = _cell_value(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _cell_value(value: object) -> object:
    """A plain Python cell value: None for missing, int for integral numbers."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isnan(number):
            return None
        if math.isfinite(number) and number.is_integer():
            return int(number)
        return number
    return value


# --- xlsx ----------------------------------------------------------------------------------

def _sheet_name(name: str, lang: str, specs: Mapping[str, Table]) -> str:
    table = specs.get(name)
    return table.zh if (lang == "zh" and table is not None) else name


def _localised(name: str, frame: pd.DataFrame, lang: str, specs: Mapping[str, Table]
               ) -> pd.DataFrame:
    """The table with Chinese headers and enum labels (lang="zh"), or unchanged (lang="en")."""
    table: Table | None = specs.get(name)
    if lang == "en" or table is None:
        return frame
    known = {**READING_COLUMNS, **{col.name: col for col in table.columns}}
    columns: dict[str, pd.Series] = {}
    headers: list[str] = []
    for col_name in frame.columns:
        series = frame[col_name]
        col = known.get(col_name)
        if col is None:
            headers.append(col_name)
            columns[col_name] = series
            continue
        mapping = _enum_labels(col.type, col.enum)
        if mapping is not None:
            series = _relabel(series, mapping)
        headers.append(col.zh)
        columns[col_name] = series
    out = pd.DataFrame(columns, columns=list(frame.columns))
    out.columns = headers
    return out


def _relabel(series: pd.Series, mapping: Mapping[str, str]) -> pd.Series:
    """Text codes replaced by their labels, anything else (unknown codes, numbers, missing
    values) as it is: looked up once per distinct value, not once per cell."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v)
    try:
        codes, uniques = pd.factorize(series)
    except TypeError:  # unhashable cells: the writer refuses them, as before
        return series.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v)
    if not len(uniques):  # nothing but missing values
        return series
    labels = [mapping.get(v, v) if isinstance(v, str) else v for v in uniques]
    values = np.empty(len(labels), dtype=object)
    values[:] = labels
    values = values[codes]
    missing = codes < 0  # None, NaN, NA: kept as they were
    if missing.any():
        values[missing] = series.to_numpy(dtype=object)[missing]
    return pd.Series(values, index=series.index, name=series.name, dtype=object)


def _enum_labels(col_type: str, enum: str | None) -> dict[str, str] | None:
    if col_type == "yesno":
        return ENUMS["yes_no"]
    if col_type == "enum" and enum is not None:
        return ENUMS[enum]
    return None


def _workbook_bytes(sheets: list[tuple[str, pd.DataFrame]]) -> bytes:
    """The xlsx bytes of the sheets, with fixed document properties and zip timestamps.

    Written column by column (`solver.io.xlsx`, ~15× faster than openpyxl); a table holding
    values that writer leaves alone (dates, Decimal, …) makes the workbook go through openpyxl,
    with the same formatting (bold frozen header, filter, widths, print setup).
    """
    from solver.io import xlsx

    stamp = f"{WORKBOOK_DATETIME:%Y-%m-%dT%H:%M:%S}Z"
    try:
        return xlsx.workbook_bytes(sheets, creator="bianzhi", created=stamp, modified=stamp)
    except xlsx.Unsupported:
        return _openpyxl_workbook_bytes(sheets)


def _openpyxl_workbook_bytes(sheets: list[tuple[str, pd.DataFrame]]) -> bytes:
    """The xlsx bytes of the sheets written cell by cell by openpyxl (its write-only mode)."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    workbook = Workbook(write_only=True)
    workbook.properties.created = WORKBOOK_DATETIME
    workbook.properties.modified = WORKBOOK_DATETIME
    workbook.properties.creator = "bianzhi"
    for sheet_name, frame in sheets:
        sheet = workbook.create_sheet(title=sheet_name)
        headers = [str(header) for header in frame.columns]
        columns = [[_cell_value(v) for v in frame[c].tolist()] for c in frame.columns]
        _format_sheet(sheet, headers, columns, len(frame))
        sheet.append([_header_cell(sheet, header) for header in headers])
        for row in zip(*([_text_cell(sheet, v) for v in column] for column in columns),
                       strict=True):
            sheet.append(list(row))
    raw = io.BytesIO()
    # ExcelWriter directly: openpyxl's save_workbook stamps `modified` with the current time.
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).save()
    return _rezip_fixed_time(raw.getvalue())


def _format_sheet(sheet, headers: list[str], columns: list[list], rows: int) -> None:
    """What `solver.io.xlsx` writes into every sheet, through openpyxl: header frozen, filter,
    widths, landscape A4 one page wide with gridlines, header row on every page."""
    from solver.io import xlsx

    sheet.freeze_panes = "A2"
    ref = xlsx.table_ref(rows, len(headers))
    if ref is not None:
        sheet.auto_filter.ref = ref
    for j, (header, column) in enumerate(zip(headers, columns)):
        widest = max(map(xlsx.cell_width, column), default=0)
        sheet.column_dimensions[xlsx.column_letter(j)].width = xlsx.column_width(header, widest)
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = xlsx.PAPER_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.gridLines = True


def _header_cell(sheet, text: str) -> object:
    """A header cell: bold, and text even where it looks like a formula."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Color, Font

    cell = WriteOnlyCell(sheet, value=text)
    if text.startswith("=") or text in _ERROR_TEXTS:  # as `_text_cell`
        cell.data_type = "s"
    cell.font = Font(name="Calibri", family=2, b=True, color=Color(theme=1), sz=11,
                     scheme="minor")
    return cell


def _text_cell(sheet, value: object) -> object:
    """Text that a spreadsheet would take for a formula or an error value, kept as text.

    openpyxl turns a string starting with "=" into a formula and "#N/A" & co. into error
    cells; a unit name or reason from a planner's file must never run as a formula
    (OWASP's CSV/formula injection). Other strings are already written as text cells.
    """
    if isinstance(value, str) and (value.startswith("=") or value in _ERROR_TEXTS):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _rezip_fixed_time(data: bytes) -> bytes:
    """The same zip archive with every entry stamped with one constant date and mode."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_ZIP_DATETIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()


# --- shared --------------------------------------------------------------------------------

def check_sheet_rows(tables: Mapping[str, pd.DataFrame]) -> None:
    """Every table fits on a worksheet (a header and 1,048,575 rows); else a ValueError."""
    for name, frame in tables.items():
        if len(frame) >= MAX_SHEET_ROWS:
            raise ValueError(f"table {name!r} has {len(frame):,} rows, more than a workbook "
                             f"sheet holds ({MAX_SHEET_ROWS - 1:,} below its header): write "
                             "it as CSV")


def _check_names(tables: Mapping[str, pd.DataFrame]) -> None:
    for name, frame in tables.items():
        if not isinstance(name, str) or not name or "/" in name or "\\" in name:
            raise ValueError(f"bad table name {name!r}")
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"table {name!r} is a {type(frame).__name__}, not a DataFrame")
        if frame.columns.duplicated().any():
            dupes = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
            raise ValueError(f"table {name!r} has duplicate columns: {', '.join(dupes)}")


def _check_sheet_names(names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if len(name) > 31 or any(ch in _SHEET_FORBIDDEN for ch in name):
            raise ValueError(f"{name!r} cannot be an Excel sheet name (at most 31 characters, "
                             f"none of {''.join(sorted(_SHEET_FORBIDDEN))})")
        if name.lower() in seen:
            raise ValueError(f"two tables would share the sheet name {name!r}")
        seen.add(name.lower())


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then move it onto `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as tmp:
            tmp.write(data)
        os.chmod(tmp_name, 0o644)  # mkstemp makes it private
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
