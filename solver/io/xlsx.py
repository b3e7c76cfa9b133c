"""A column-wise xlsx writer: every workbook bianzhi writes, formatted for a committee.

`solver.io.write.write_workbook` used to let openpyxl serialise every cell as an XML element
(~20 µs a cell: 17 s for a five-year plan's 860,000 cells). This module writes the parts
itself. A column of a table becomes the pieces of its cells at once (one check and one
escape over the column's joined text, one list for its values), the pieces of all rows are
laid out by slice assignment and the sheet is joined once; each part is deflated on a worker
thread while the next sheet is built (zlib lets go of the GIL). The cells are written as
openpyxl 3.1 wrote them (inline strings, numbers as "%.16g"), so they read back the same way
through `solver.io.read` and openpyxl, and the archive is deterministic (fixed dates, entries
in a fixed order): the same tables give the same bytes.

Every sheet is ready to print and to filter (issue 13): the header row bold (the one cell
format of styles.xml beside the default) and frozen, an autofilter over the table, each column
as wide as its widest cell (`column_width`: Chinese characters count double, at most
MAX_WIDTH), landscape A4 one page wide with gridlines, and the header row repeated on every
page (the workbook's _xlnm.Print_Titles). openpyxl, which writes the workbooks this writer
leaves alone, is given the same formatting (`write._format_sheet`), and the tests compare the
two through openpyxl's reader.

Two deliberate differences from openpyxl's cells, both where openpyxl wrote a cell that cannot
be read back as written:

* a number whose 16 significant digits ("%.16g", openpyxl's format) do not give it back
  (0.1 + 0.2, 2**60) is written with all its digits (`repr` for a float, the digits of an
  integer), so it reads back equal to the CSV cell;
* text holding a lone surrogate or U+FFFE/U+FFFF is refused like openpyxl's control
  characters (openpyxl wrote it, and the workbook could then not be opened).

Kept as openpyxl had them: text is cut at 32,767 characters, a carriage return is written as it
is (an XML reader gives it back as a line feed), ±inf is an empty number cell, text starting
with "=" or spelling an error value stays text.

Values this writer does not take (dates, times, Decimal, bytes, anything else, a number beyond
a float's range, more columns than a sheet holds) raise `Unsupported`; the caller then writes
that workbook with openpyxl, which handles (or refuses) them as before.
"""

from __future__ import annotations

import io
import math
import operator
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
import pandas as pd

from solver.io.csvtext import int_texts

_ZIP_DATETIME = (2021, 1, 1, 0, 0, 0)
MAX_TEXT = 32_767  # characters of a cell; openpyxl cut longer text here
MAX_COLUMNS = 16_384  # columns of a worksheet (XFD)
# What openpyxl refuses in a cell (its ILLEGAL_CHARACTERS_RE) ...
_OPENPYXL_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# ... and what XML 1.0 cannot hold beyond that (openpyxl wrote these and the file broke)
_XML_ILLEGAL = re.compile("[\ud800-\udfff\ufffe\uffff]")
_BIG = 10**16  # from here on "%.16g" writes an integer with an exponent (and may round it)
_G16 = "{:.16g}".format  # openpyxl's "%.16g" (safe_string)
_MISSING_TYPES = (type(None), type(pd.NA), type(pd.NaT))


class Unsupported(Exception):
    """A value or table shape this writer leaves to openpyxl."""


# --- the fixed parts -------------------------------------------------------------------------

_APP_XML = (
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    # openpyxl's own name for itself, as the workbooks written before this module said
    "<Application>Microsoft Excel Compatible / Openpyxl 3.1.5</Application>"
    "<AppVersion>3.1</AppVersion></Properties>"
)

_CORE_XML = (
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
    'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:creator>{creator}</dc:creator>"
    '<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">{modified}</dcterms:modified>'
    "</cp:coreProperties>"
)

# Every sheet is a table ready to print for a committee: the header row bold (style 1) and
# frozen, a filter over the table, columns as wide as their text, and pages in landscape A4,
# one page wide, gridlines printed and the header repeated on each page (the print titles are
# a defined name of the workbook, `_workbook_xml`).
_SHEET_HEAD = (
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetPr><outlinePr summaryBelow="1" summaryRight="1" /><pageSetUpPr fitToPage="1" />'
    '</sheetPr><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
    'activePane="bottomLeft" state="frozen" /><selection pane="bottomLeft" activeCell="A2" '
    'sqref="A2" /></sheetView></sheetViews><sheetFormatPr baseColWidth="8" '
    'defaultRowHeight="15" />'
)
_SHEET_COLUMN = '<col min="{index}" max="{index}" width="{width}" customWidth="1" />'
_HEADER_STYLE = ' s="1"'  # between a header cell's reference and its type: the bold format
_AUTOFILTER = '<autoFilter ref="{ref}" />'
_SHEET_TAIL = (
    '<printOptions gridLines="1" /><pageMargins left="0.75" right="0.75" top="1" bottom="1" '
    'header="0.5" footer="0.5" /><pageSetup orientation="landscape" paperSize="9" '
    'fitToHeight="0" fitToWidth="1" /></worksheet>'
)
PAPER_A4 = 9  # pageSetup's paperSize for A4


def _sheet_head(widths: Sequence[int]) -> str:
    columns = "".join(_SHEET_COLUMN.format(index=j, width=w)
                      for j, w in enumerate(widths, start=1))
    return _SHEET_HEAD + (f"<cols>{columns}</cols>" if columns else "") + "<sheetData>"


def _sheet_tail(ref: str | None) -> str:
    return "</sheetData>" + (_AUTOFILTER.format(ref=ref) if ref else "") + _SHEET_TAIL


def table_ref(rows: int, columns: int) -> str | None:
    """The range of a table with a header row ('A1:C11'), None without columns."""
    return f"A1:{column_letter(columns - 1)}{rows + 1}" if columns else None


# Excel's 64 indexed colours, as openpyxl lists them in every styles.xml
_INDEXED_COLOURS = [
    "00000000", "00FFFFFF", "00FF0000", "0000FF00", "000000FF", "00FFFF00", "00FF00FF", "0000FFFF",
    "00000000", "00FFFFFF", "00FF0000", "0000FF00", "000000FF", "00FFFF00", "00FF00FF", "0000FFFF",
    "00800000", "00008000", "00000080", "00808000", "00800080", "00008080", "00C0C0C0", "00808080",
    "009999FF", "00993366", "00FFFFCC", "00CCFFFF", "00660066", "00FF8080", "000066CC", "00CCCCFF",
    "00000080", "00FF00FF", "00FFFF00", "0000FFFF", "00800080", "00800000", "00008080", "000000FF",
    "0000CCFF", "00CCFFFF", "00CCFFCC", "00FFFF99", "0099CCFF", "00FF99CC", "00CC99FF", "00FFCC99",
    "003366FF", "0033CCCC", "0099CC00", "00FFCC00", "00FF9900", "00FF6600", "00666699", "00969696",
    "00003366", "00339966", "00003300", "00333300", "00993300", "00993366", "00333399", "00333333",
]

_STYLES_XML = (
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="0" /><fonts count="2"><font><name val="Calibri" /><family val="2" />'
    '<color theme="1" /><sz val="11" /><scheme val="minor" /></font><font><name val="Calibri" />'
    '<family val="2" /><b val="1" /><color theme="1" /><sz val="11" /><scheme val="minor" />'
    '</font></fonts>'
    '<fills count="2"><fill><patternFill /></fill><fill><patternFill patternType="gray125" />'
    '</fill></fills><borders count="1"><border><left /><right /><top /><bottom /><diagonal />'
    '</border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
    'borderId="0" /></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" '
    'borderId="0" pivotButton="0" quotePrefix="0" xfId="0" /><xf numFmtId="0" fontId="1" '
    'fillId="0" borderId="0" applyFont="1" pivotButton="0" quotePrefix="0" xfId="0" />'
    '</cellXfs><cellStyles count="1">'
    '<cellStyle name="Normal" xfId="0" builtinId="0" hidden="0" /></cellStyles>'
    '<tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
    'defaultPivotStyle="PivotStyleLight16" /><colors><indexedColors>'
    + "".join(f'<rgbColor rgb="{rgb}" />' for rgb in _INDEXED_COLOURS)
    + "</indexedColors></colors></styleSheet>"
)

_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006"

_ROOT_RELS = (
    f'<Relationships xmlns="{_NS_PKG}/relationships">'
    f'<Relationship Type="{_NS_REL}/officeDocument" Target="xl/workbook.xml" Id="rId1" />'
    f'<Relationship Type="{_NS_PKG}/relationships/metadata/core-properties" '
    'Target="docProps/core.xml" Id="rId2" />'
    f'<Relationship Type="{_NS_REL}/extended-properties" Target="docProps/app.xml" '
    'Id="rId3" /></Relationships>'
)

_WORKBOOK_HEAD = (
    f'<workbook xmlns:r="{_NS_REL}" '
    'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><workbookPr />'
    '<workbookProtection /><bookViews><workbookView visibility="visible" minimized="0" '
    'showHorizontalScroll="1" showVerticalScroll="1" showSheetTabs="1" tabRatio="600" '
    'firstSheet="0" activeTab="0" autoFilterDateGrouping="1" /></bookViews><sheets>'
)
_WORKBOOK_TAIL = '<calcPr calcId="124519" fullCalcOnLoad="1" /></workbook>'

_CT = "application/vnd.openxmlformats-officedocument"
_CONTENT_TYPES_HEAD = (
    f'<Types xmlns="{_NS_PKG}/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml" /><Default Extension="xml" ContentType="application/xml" />'
    f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.spreadsheetml.styles+xml" />'
    f'<Override PartName="/xl/theme/theme1.xml" ContentType="{_CT}.theme+xml" />'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
    'package.core-properties+xml" />'
    f'<Override PartName="/docProps/app.xml" ContentType="{_CT}.extended-properties+xml" />'
)
_CONTENT_TYPES_SHEET = (
    '<Override PartName="/xl/worksheets/sheet{index}.xml" '
    f'ContentType="{_CT}.spreadsheetml.worksheet+xml" />'
)
_CONTENT_TYPES_TAIL = (
    f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.spreadsheetml.sheet.main+xml" />'
    "</Types>"
)


def quoted_sheet(name: str) -> str:
    """A sheet's name as a formula refers to it: 'name', quotes doubled."""
    return "'" + name.replace("'", "''") + "'"


def _absolute(ref: str) -> str:
    """'A1:C11' → '$A$1:$C$11'."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", corner) for corner in ref.split(":"))


def _workbook_xml(sheets: Sequence[tuple[str, str | None]]) -> str:
    """workbook.xml of (sheet name, table range) pairs: the sheets, and per sheet the filter's
    range (Excel's hidden _FilterDatabase, as openpyxl writes it) and the print titles."""
    listed = "".join(f'<sheet name="{_escape_attribute(name)}" sheetId="{i}" state="visible" '
                     f'r:id="rId{i}" />' for i, (name, _) in enumerate(sheets, start=1))
    names = []
    for i, (name, ref) in enumerate(sheets):
        quoted = _escape_text(quoted_sheet(name))
        if ref is not None:
            names.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" '
                         f'hidden="1">{quoted}!{_absolute(ref)}</definedName>')
        names.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
                     f'{quoted}!$1:$1</definedName>')
    return (_WORKBOOK_HEAD + listed + "</sheets><definedNames>" + "".join(names)
            + "</definedNames>" + _WORKBOOK_TAIL)


def _workbook_rels(count: int) -> str:
    sheets = "".join(f'<Relationship Type="{_NS_REL}/worksheet" '
                     f'Target="/xl/worksheets/sheet{i}.xml" Id="rId{i}" />'
                     for i in range(1, count + 1))
    return (f'<Relationships xmlns="{_NS_PKG}/relationships">{sheets}'
            f'<Relationship Type="{_NS_REL}/styles" Target="styles.xml" Id="rId{count + 1}" />'
            f'<Relationship Type="{_NS_REL}/theme" Target="theme/theme1.xml" '
            f'Id="rId{count + 2}" /></Relationships>')


def _content_types(count: int) -> str:
    sheets = "".join(_CONTENT_TYPES_SHEET.format(index=i) for i in range(1, count + 1))
    return _CONTENT_TYPES_HEAD + sheets + _CONTENT_TYPES_TAIL


# --- escaping --------------------------------------------------------------------------------

def _escape_text(text: str) -> str:
    """Character data as ElementTree escapes it (&, < and >; quotes and line ends as they are)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _escape_attribute(text: str) -> str:
    """An attribute value as ElementTree escapes it."""
    text = _escape_text(text)
    for raw, ref in (('"', "&quot;"), ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;")):
        if raw in text:
            text = text.replace(raw, ref)
    return text


def illegal_text_error(value: str) -> Exception:
    """openpyxl's IllegalCharacterError for a text cell, with openpyxl's message."""
    from openpyxl.utils.exceptions import IllegalCharacterError

    shown = value.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates
    return IllegalCharacterError(f"{shown} cannot be used in worksheets.")


def _is_illegal(text: str) -> bool:
    return bool(_OPENPYXL_ILLEGAL.search(text) or _XML_ILLEGAL.search(text))


class _IllegalText(Exception):
    """Some text of a column cannot go into a worksheet (which one is found row by row)."""


# control characters but NUL (the separator of a joined column), and U+FFFE, U+FFFF in UTF-8
_CONTROL_BUT_NUL = bytes(c for c in range(1, 32) if c not in (9, 10, 13))
_NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")


def _escaped_texts(values: list[str]) -> tuple[list[str], list[str]]:
    """The values checked and escaped, as their UTF-8 bytes in `str`s (one byte a character),
    and the same bytes unescaped (whose lengths give the cells' widths).

    The column is joined by NUL once, checked and escaped as bytes (quicker than a regular
    expression) and split again. Keeping the bytes as Latin-1 characters keeps every piece of
    a sheet one byte a character, so that joining the sheet copies bytes instead of widening
    them to two-byte characters, and encoding it ("latin-1") is a copy.
    """
    text = "\x00".join(values)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        raise _IllegalText from None
    if (data.count(b"\x00") != len(values) - 1
            or len(data.translate(None, _CONTROL_BUT_NUL)) != len(data)
            or any(bad in data for bad in _NONCHARACTERS)):
        raise _IllegalText
    escaped = data
    if b"&" in escaped:
        escaped = escaped.replace(b"&", b"&amp;")
    if b"<" in escaped:
        escaped = escaped.replace(b"<", b"&lt;")
    if b">" in escaped:
        escaped = escaped.replace(b">", b"&gt;")
    if escaped is data:
        if text.isascii():
            return values, values  # ASCII needing no escape: the values are their bytes already
        texts = data.decode("latin-1").split("\x00")
        return texts, texts
    return escaped.decode("latin-1").split("\x00"), data.decode("latin-1").split("\x00")


# --- cells -----------------------------------------------------------------------------------
#
# A cell is four pieces of its sheet's XML: its opening ('<c'), what comes between the opening
# and the value (its type), the value, and what closes the cell. A column is built as those
# pieces for all its rows at once: `_Pieces` holds the last three (each a constant or one per
# row) for the values present, and a mask the rows without a cell.
#
# A data cell carries no reference (r="B12") and a number no type (t="n", the default): a
# reader places a cell without a reference just after the cell before it in its row (ECMA-376
# § 18.3.1.4; openpyxl, LibreOffice and Excel do so), which halves the XML of a sheet of
# numbers. Only a cell whose left neighbour is missing needs its reference.

_TEXT_MID = ' t="inlineStr"><is><t>'
_TEXT_MID_PRESERVE = ' t="inlineStr"><is><t xml:space="preserve">'
_TEXT_CLOSE = "</t></is></c>"
_EMPTY_TEXT_MID = ' t="inlineStr" />'  # "" is an empty element, as openpyxl wrote it
_NUMBER_MID = "><v>"  # a number is a cell's default type: no t="n"
_NUMBER_CLOSE = "</v></c>"
_EMPTY_NUMBER_MID = "><v /></c>"  # ±inf: openpyxl's safe_string made it ""
_BOOL_MID = ' t="b"><v>'


class _Pieces(NamedTuple):
    mid: str | list[str]
    text: list[str]
    close: str | list[str]
    width: int = 0  # the widest value's `display_width`


Column = tuple["np.ndarray | None", _Pieces]  # rows without a cell (None: none), the pieces


def column_letter(index: int) -> str:
    """0 → 'A', 26 → 'AA'."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- widths ----------------------------------------------------------------------------------
#
# A column is as wide as its widest cell (its header with room for the filter button), within
# MAX_WIDTH, in the characters of a column width. A Chinese character takes two: the width is
# (characters + UTF-8 bytes) // 2, 1 for ASCII and 2 for CJK (three bytes), counted from the
# lengths the writer has anyway instead of character by character.

MAX_WIDTH = 60  # a column of long reasons wraps no page: the rest shows in the cell
MIN_WIDTH = 8  # Excel's default column (8.43)
_HEADER_EXTRA = 4  # the autofilter's drop-down button and the bold font
_CELL_EXTRA = 2
_BOOL_WIDTH = 5  # TRUE / FALSE


def display_width(text: str) -> int:
    """Columns of screen a text takes: 1 a Latin character, 2 a Chinese one."""
    return (len(text) + len(text.encode("utf-8", "surrogatepass"))) // 2


def cell_width(value: object) -> int:
    """The display width of a cell of a table (after `write._cell_value`), as written."""
    if isinstance(value, _MISSING_TYPES):
        return 0
    if isinstance(value, (bool, np.bool_)):
        return _BOOL_WIDTH
    if isinstance(value, (int, np.integer)):
        try:
            return len(_int_text(int(value)))
        except Unsupported:
            return len(str(value))
    if isinstance(value, (float, np.floating)):
        return 0 if math.isnan(value) else len(_float_text(float(value)))
    return display_width(str(value)[:MAX_TEXT])


def column_width(header: str, widest: int) -> int:
    """The width of a column with this header and this widest cell (`cell_width`)."""
    return min(MAX_WIDTH, max(MIN_WIDTH, display_width(header[:MAX_TEXT]) + _HEADER_EXTRA,
                              widest + _CELL_EXTRA))


def _text_pieces(values: list[str]) -> _Pieces:
    """Inline-string cells of text values (none missing), as openpyxl wrote them."""
    if not values:
        return _Pieces(_TEXT_MID, [], _TEXT_CLOSE)
    if sum(map(len, values)) > MAX_TEXT and max(map(len, values)) > MAX_TEXT:
        values = [v[:MAX_TEXT] for v in values]  # openpyxl cut a cell's text here
    texts, raw = _escaped_texts(values)
    # display_width of each value, from its characters and its UTF-8 bytes
    width = (max(map(len, values)) if raw is values
             else max(map(operator.add, map(len, values), map(len, raw))) // 2)
    stripped = list(map(str.strip, values))  # the same objects where nothing is stripped
    if stripped == values and "" not in values:
        return _Pieces(_TEXT_MID, texts, _TEXT_CLOSE, width)
    # openpyxl's `whitespace`: xml:space="preserve" when stripping changes the text and leaves
    # some (text of spaces only is written without it)
    mids = [_EMPTY_TEXT_MID if not v else _TEXT_MID_PRESERVE if s and s != v else _TEXT_MID
            for v, s in zip(values, stripped)]
    closes = [_TEXT_CLOSE if v else "" for v in values]
    return _Pieces(mids, texts, closes, width)


def _int_text(value: int) -> str:
    """An integer as openpyxl wrote it ("%.16g"), or all its digits where that rounds it."""
    if -_BIG < value < _BIG:
        return str(value)
    try:
        text = _G16(value)
    except OverflowError:  # beyond a float: openpyxl failed here too
        raise Unsupported("an integer beyond a float's range") from None
    return text if float(text) == value else str(value)


def _float_text(value: float) -> str:
    """A float (not NaN) as openpyxl wrote it after `_cell_value` (integral → int)."""
    if math.isinf(value):
        return ""  # openpyxl's safe_string: an empty <v />
    if value.is_integer():
        return _int_text(int(value))
    text = _G16(value)
    return text if float(text) == value else repr(value)


def _number_pieces(texts: list[str]) -> _Pieces:
    width = max(map(len, texts), default=0)
    if "" not in texts:
        return _Pieces(_NUMBER_MID, texts, _NUMBER_CLOSE, width)
    return _Pieces([_NUMBER_MID if t else _EMPTY_NUMBER_MID for t in texts], texts,
                   [_NUMBER_CLOSE if t else "" for t in texts], width)


def _int_pieces(values: np.ndarray) -> _Pieces:
    if values.size and (values.max() >= _BIG or values.min() <= -_BIG):
        return _number_pieces(list(map(_int_text, values.tolist())))
    return _number_pieces(int_texts(values))


def _float_pieces(values: np.ndarray) -> _Pieces:
    """Floats, none NaN: `_float_text` of each, formatted and checked column-wise."""
    with np.errstate(invalid="ignore"):
        integral = values == np.trunc(values)
    small = integral & (np.abs(values) < _BIG)
    if small.all():
        return _int_pieces(values.astype(np.int64))
    texts = np.empty(len(values), dtype=object)
    if small.any():
        texts[small] = int_texts(values[small].astype(np.int64))
    fraction = ~integral & np.isfinite(values)
    if fraction.any():
        part = values[fraction].tolist()
        digits = list(map(_G16, part))
        exact = np.array(digits, dtype=np.float64) == values[fraction]
        if not exact.all():  # "%.16g" does not give these back: all their digits
            digits = [t if ok else repr(v) for t, ok, v in zip(digits, exact.tolist(), part)]
        texts[fraction] = digits
    rest = ~small & ~fraction  # ±inf, and integers from 1e16 on
    if rest.any():
        texts[rest] = list(map(_float_text, values[rest].tolist()))
    return _number_pieces(texts.tolist())


def _bool_pieces(values: list[bool]) -> _Pieces:
    return _Pieces(_BOOL_MID, ["1" if v else "0" for v in values], _NUMBER_CLOSE,
                   _BOOL_WIDTH if values else 0)


def _value_pieces(value: object) -> tuple[str, str, str] | None:
    """One cell of a column of mixed values, as openpyxl wrote it after `_cell_value`."""
    if isinstance(value, _MISSING_TYPES):
        return None
    if isinstance(value, (bool, np.bool_)):
        pieces = _bool_pieces([bool(value)])
    elif isinstance(value, (int, np.integer)):
        pieces = _number_pieces([_int_text(int(value))])
    elif isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        pieces = _number_pieces([_float_text(float(value))])
    elif isinstance(value, str):
        pieces = _text_pieces([str(value)])
    else:
        raise Unsupported(type(value).__name__)
    mid, close = pieces.mid, pieces.close
    return (mid if isinstance(mid, str) else mid[0], pieces.text[0],
            close if isinstance(close, str) else close[0])


_DISTINCT_FROM = 256  # rows from which a text column is escaped and measured per distinct text


def _text_column(values: list[str]) -> _Pieces:
    """`_text_pieces` of a column, each distinct text escaped and measured once where texts
    repeat (unit ids, quota types, names: a five-year table holds each unit five times)."""
    if len(values) < _DISTINCT_FROM:
        return _text_pieces(values)
    codes, distinct = pd.factorize(np.array(values, dtype=object))
    if 2 * len(distinct) > len(values):
        return _text_pieces(values)
    pieces = _text_pieces(distinct.tolist())

    def spread(piece: str | list[str]) -> str | list[str]:
        return piece if isinstance(piece, str) else np.array(piece, dtype=object)[codes].tolist()

    return _Pieces(spread(pieces.mid), spread(pieces.text), spread(pieces.close), pieces.width)


def _object_column(values: list) -> Column:
    kinds = set(map(type, values))
    if kinds <= {str}:
        return None, _text_column(values)
    if kinds <= {str, float, *_MISSING_TYPES}:
        missing = [type(v) is not str for v in values]
        if all(math.isnan(v) for v, m in zip(values, missing) if m and type(v) is float):
            return (np.array(missing, dtype=bool),
                    _text_column([v for v, m in zip(values, missing) if not m]))
    cells = [_value_pieces(v) for v in values]
    present = [c for c in cells if c is not None]
    return (np.array([c is None for c in cells], dtype=bool),
            _Pieces([c[0] for c in present], [c[1] for c in present], [c[2] for c in present],
                    max(map(cell_width, values), default=0)))


def _masked(missing: np.ndarray, values: np.ndarray, build: Callable[[np.ndarray], _Pieces]
            ) -> Column:
    if not missing.any():
        return None, build(values)
    return missing, build(values[~missing])


def column_pieces(series: pd.Series) -> Column:
    """The cells of one column below its header: the rows without one, the others' pieces."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind == "b":
            return None, _bool_pieces(series.to_numpy().tolist())
        if dtype.kind in "iu":
            return None, _int_pieces(series.to_numpy())
        if dtype.kind == "f":
            values = series.to_numpy().astype(np.float64, copy=False)
            return _masked(np.isnan(values), values, _float_pieces)
        if dtype.kind == "O":
            return _object_column(series.tolist())
        raise Unsupported(str(dtype))  # datetime64, timedelta64, complex, bytes …
    if pd.api.types.is_bool_dtype(dtype):
        values = series.to_numpy(dtype=bool, na_value=False)
        return _masked(series.isna().to_numpy(), values, lambda v: _bool_pieces(v.tolist()))
    if pd.api.types.is_integer_dtype(dtype):
        numpy_type = np.uint64 if dtype.kind == "u" else np.int64
        values = series.to_numpy(dtype=numpy_type, na_value=0)
        return _masked(series.isna().to_numpy(), values, _int_pieces)
    if pd.api.types.is_float_dtype(dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return _masked(np.isnan(values), values, _float_pieces)
    if isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype)) or dtype.kind == "O":
        return _object_column(series.tolist())
    raise Unsupported(str(dtype))  # datetimes with a time zone, periods, intervals …


def _spread(missing: np.ndarray, piece: str | list[str]) -> list[str]:
    """One piece for every row: the present rows' pieces in order, '' for missing rows."""
    if isinstance(piece, str):
        out = np.full(len(missing), piece, dtype=object)
        out[missing] = ""
    else:
        out = np.full(len(missing), "", dtype=object)
        present = np.empty(len(piece), dtype=object)
        present[:] = piece
        out[~missing] = present
    return out.tolist()


def _first_illegal_text(header: list[str], frame: pd.DataFrame) -> str:
    """The first refused text of a sheet in the order openpyxl met it (row by row)."""
    for text in header:
        if _is_illegal(text[:MAX_TEXT]):
            return text[:MAX_TEXT]
    columns = [frame.iloc[:, j].tolist() for j in range(frame.shape[1])]
    for row in zip(*columns):
        for value in row:
            if isinstance(value, str) and _is_illegal(value[:MAX_TEXT]):
                return value[:MAX_TEXT]
    raise AssertionError("no refused text found")  # pragma: no cover


def sheet_xml(frame: pd.DataFrame) -> bytes:
    """The worksheet part of one table (UTF-8): its headers as text, then its rows."""
    n, width = frame.shape
    if width > MAX_COLUMNS:
        raise Unsupported(f"{width} columns")
    letters = [column_letter(j) for j in range(width)]
    header = [str(h) for h in frame.columns]
    try:
        head = ["".join((f'<c r="{letter}1"', _HEADER_STYLE, *_value_pieces(text)))
                for letter, text in zip(letters, header)]
        columns = [column_pieces(series) for _, series in frame.items()] if n else []
    except _IllegalText:
        raise illegal_text_error(_first_illegal_text(header, frame)) from None
    widest = [pieces.width for _, pieces in columns] if columns else [0] * width
    widths = [column_width(h, w) for h, w in zip(header, widest)]
    parts = [_sheet_head(widths), '<row r="1">', *head, "</row>"]
    if columns:  # a table without columns has no rows below its (empty) header either
        rows = [str(i) for i in range(2, n + 2)]
        # A row is a sequence of slots, each a constant or one piece per row; the pieces of
        # all rows are laid out row after row for one join of the whole sheet.
        slots: list[str | list[str]] = ['<row r="', rows, '">']
        left_missing = None  # the rows where the cell to the left is missing
        for letter, (missing, (mid, text, close, _)) in zip(letters, columns):
            if left_missing is None:
                opening: str | np.ndarray = "<c"
            else:
                opening = np.full(n, "<c", dtype=object)
                opening[left_missing] = [f'<c r="{letter}{row}"'
                                         for row in np.flatnonzero(left_missing) + 2]
            if missing is None:
                slots += [opening if isinstance(opening, str) else opening.tolist(),
                          mid, text, close]
            else:
                if isinstance(opening, str):
                    opening = np.full(n, opening, dtype=object)
                opening[missing] = ""
                slots += [opening.tolist(), _spread(missing, mid), _spread(missing, text),
                          _spread(missing, close)]
            left_missing = missing if missing is not None and missing.any() else None
        slots.append("</row>")
        merged: list[str | list[str]] = []
        for slot in slots:  # '</v></c><c r="B' is one piece, not two
            if isinstance(slot, str) and merged and isinstance(merged[-1], str):
                merged[-1] += slot
            else:
                merged.append(slot)
        # every row's constants by repeating one row, then the rows' own pieces slot by slot
        step = len(merged)
        body = [slot if isinstance(slot, str) else "" for slot in merged] * n
        for k, slot in enumerate(merged):
            if not isinstance(slot, str):
                body[k::step] = slot
        parts += body
    parts.append(_sheet_tail(table_ref(n, width)))
    return "".join(parts).encode("latin-1")


# --- the archive -----------------------------------------------------------------------------
#
# The archive as `zipfile` writes it (for `writestr` of a ZipInfo with a fixed date and mode
# into a seekable file, as `write._rezip_fixed_time` made it): each entry's deflate stream is
# made on a worker thread (zlib lets go of the GIL), so that compressing one sheet overlaps
# building the next and two large sheets are compressed at once. The bytes do not depend on
# the threads: every entry is compressed on its own, and they are laid out in order.

_ZIP64_LIMIT = (1 << 31) - 1  # beyond it zipfile adds zip64 records: left to zipfile itself
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
_END_RECORD = struct.Struct("<4s4H2LH")


def _deflate(data: bytes) -> tuple[int, bytes]:
    """The CRC and the raw deflate stream of an entry, as zipfile makes them."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return zlib.crc32(data), compressor.compress(data) + compressor.flush()


def _zip(entries: list[tuple[str, int, Future]]) -> bytes:
    """The archive of (name, uncompressed size, future of `_deflate`) entries, in order."""
    info = zipfile.ZipInfo("", date_time=_ZIP_DATETIME)
    year, month, day, hour, minute, second = _ZIP_DATETIME
    dosdate = (year - 1980) << 9 | month << 5 | day
    dostime = hour << 11 | minute << 5 | second // 2
    version = info.extract_version  # 2.0, as zipfile has it for a deflated entry
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name, size, future in entries:
        crc, data = future.result()
        filename = name.encode("ascii")
        header = _LOCAL_HEADER.pack(b"PK\x03\x04", version, 0, 0, zipfile.ZIP_DEFLATED, dostime,
                                    dosdate, crc, len(data), size, len(filename), 0)
        central += [_CENTRAL_HEADER.pack(
            b"PK\x01\x02", info.create_version,
            info.create_system, version, 0, 0, zipfile.ZIP_DEFLATED, dostime, dosdate, crc,
            len(data), size, len(filename), 0, 0, 0, 0, 0o644 << 16, offset), filename]
        out += [header, filename, data]
        offset += len(header) + len(filename) + len(data)
    directory = b"".join(central)
    end = _END_RECORD.pack(b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory),
                           offset, 0)
    return b"".join([*out, directory, end])


def _zipfile_archive(parts: list[tuple[str, bytes]]) -> bytes:
    """The same archive written by zipfile (for archives that need zip64 records)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATETIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out.getvalue()


def workbook_bytes(sheets: Sequence[tuple[str, pd.DataFrame]], creator: str, created: str,
                   modified: str) -> bytes:
    """The xlsx bytes of the sheets: names checked by the caller, dates as W3CDTF text.

    Raises `Unsupported` for a value or table this writer leaves to openpyxl, openpyxl's
    IllegalCharacterError for text a worksheet cannot hold.
    """
    if not sheets:
        raise Unsupported("no sheets")
    parts: list[tuple[str, bytes]] = []
    entries: list[tuple[str, int, Future]] = []
    workers = max(1, min(2, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="xlsx-deflate") as pool:
        def put(name: str, part: str | bytes) -> None:
            data = part.encode("utf-8") if isinstance(part, str) else part
            parts.append((name, data))
            entries.append((name, len(data), pool.submit(_deflate, data)))

        try:
            put("docProps/app.xml", _APP_XML)
            put("docProps/core.xml", _CORE_XML.format(
                creator=_escape_text(creator), created=created, modified=modified))
            put("xl/theme/theme1.xml", THEME_XML)
            for index, (_, frame) in enumerate(sheets, start=1):
                put(f"xl/worksheets/sheet{index}.xml", sheet_xml(frame))
            put("xl/styles.xml", _STYLES_XML)
            put("_rels/.rels", _ROOT_RELS)
            put("xl/workbook.xml", _workbook_xml([(name, table_ref(*frame.shape))
                                                  for name, frame in sheets]))
            put("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))
            put("[Content_Types].xml", _content_types(len(sheets)))
        except BaseException:
            for _, _, future in entries:
                future.cancel()  # what has not started need not run
            raise
        if sum(len(data) for _, data in parts) * 1.05 > _ZIP64_LIMIT:
            for _, _, future in entries:
                future.cancel()
            return _zipfile_archive(parts)
        return _zip(entries)


# openpyxl's default theme (openpyxl/writer/theme.py), which it wrote into every workbook
THEME_XML = """\
<?xml version="1.0"?>
<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="Office Theme">
  <a:themeElements>
    <a:clrScheme name="Office">
      <a:dk1>
        <a:sysClr val="windowText" lastClr="000000"/>
      </a:dk1>
      <a:lt1>
        <a:sysClr val="window" lastClr="FFFFFF"/>
      </a:lt1>
      <a:dk2>
        <a:srgbClr val="1F497D"/>
      </a:dk2>
      <a:lt2>
        <a:srgbClr val="EEECE1"/>
      </a:lt2>
      <a:accent1>
        <a:srgbClr val="4F81BD"/>
      </a:accent1>
      <a:accent2>
        <a:srgbClr val="C0504D"/>
      </a:accent2>
      <a:accent3>
        <a:srgbClr val="9BBB59"/>
      </a:accent3>
      <a:accent4>
        <a:srgbClr val="8064A2"/>
      </a:accent4>
      <a:accent5>
        <a:srgbClr val="4BACC6"/>
      </a:accent5>
      <a:accent6>
        <a:srgbClr val="F79646"/>
      </a:accent6>
      <a:hlink>
        <a:srgbClr val="0000FF"/>
      </a:hlink>
      <a:folHlink>
        <a:srgbClr val="800080"/>
      </a:folHlink>
    </a:clrScheme>
    <a:fontScheme name="Office">
      <a:majorFont>
        <a:latin typeface="Cambria"/>
        <a:ea typeface=""/>
        <a:cs typeface=""/>
        <a:font script="Jpan" typeface="&#xFF2D;&#xFF33; &#xFF30;&#x30B4;&#x30B7;&#x30C3;&#x30AF;"/>
        <a:font script="Hang" typeface="&#xB9D1;&#xC740; &#xACE0;&#xB515;"/>
        <a:font script="Hans" typeface="&#x5B8B;&#x4F53;"/>
        <a:font script="Hant" typeface="&#x65B0;&#x7D30;&#x660E;&#x9AD4;"/>
        <a:font script="Arab" typeface="Times New Roman"/>
        <a:font script="Hebr" typeface="Times New Roman"/>
        <a:font script="Thai" typeface="Tahoma"/>
        <a:font script="Ethi" typeface="Nyala"/>
        <a:font script="Beng" typeface="Vrinda"/>
        <a:font script="Gujr" typeface="Shruti"/>
        <a:font script="Khmr" typeface="MoolBoran"/>
        <a:font script="Knda" typeface="Tunga"/>
        <a:font script="Guru" typeface="Raavi"/>
        <a:font script="Cans" typeface="Euphemia"/>
        <a:font script="Cher" typeface="Plantagenet Cherokee"/>
        <a:font script="Yiii" typeface="Microsoft Yi Baiti"/>
        <a:font script="Tibt" typeface="Microsoft Himalaya"/>
        <a:font script="Thaa" typeface="MV Boli"/>
        <a:font script="Deva" typeface="Mangal"/>
        <a:font script="Telu" typeface="Gautami"/>
        <a:font script="Taml" typeface="Latha"/>
        <a:font script="Syrc" typeface="Estrangelo Edessa"/>
        <a:font script="Orya" typeface="Kalinga"/>
        <a:font script="Mlym" typeface="Kartika"/>
        <a:font script="Laoo" typeface="DokChampa"/>
        <a:font script="Sinh" typeface="Iskoola Pota"/>
        <a:font script="Mong" typeface="Mongolian Baiti"/>
        <a:font script="Viet" typeface="Times New Roman"/>
        <a:font script="Uigh" typeface="Microsoft Uighur"/>
      </a:majorFont>
      <a:minorFont>
        <a:latin typeface="Calibri"/>
        <a:ea typeface=""/>
        <a:cs typeface=""/>
        <a:font script="Jpan" typeface="&#xFF2D;&#xFF33; &#xFF30;&#x30B4;&#x30B7;&#x30C3;&#x30AF;"/>
        <a:font script="Hang" typeface="&#xB9D1;&#xC740; &#xACE0;&#xB515;"/>
        <a:font script="Hans" typeface="&#x5B8B;&#x4F53;"/>
        <a:font script="Hant" typeface="&#x65B0;&#x7D30;&#x660E;&#x9AD4;"/>
        <a:font script="Arab" typeface="Arial"/>
        <a:font script="Hebr" typeface="Arial"/>
        <a:font script="Thai" typeface="Tahoma"/>
        <a:font script="Ethi" typeface="Nyala"/>
        <a:font script="Beng" typeface="Vrinda"/>
        <a:font script="Gujr" typeface="Shruti"/>
        <a:font script="Khmr" typeface="DaunPenh"/>
        <a:font script="Knda" typeface="Tunga"/>
        <a:font script="Guru" typeface="Raavi"/>
        <a:font script="Cans" typeface="Euphemia"/>
        <a:font script="Cher" typeface="Plantagenet Cherokee"/>
        <a:font script="Yiii" typeface="Microsoft Yi Baiti"/>
        <a:font script="Tibt" typeface="Microsoft Himalaya"/>
        <a:font script="Thaa" typeface="MV Boli"/>
        <a:font script="Deva" typeface="Mangal"/>
        <a:font script="Telu" typeface="Gautami"/>
        <a:font script="Taml" typeface="Latha"/>
        <a:font script="Syrc" typeface="Estrangelo Edessa"/>
        <a:font script="Orya" typeface="Kalinga"/>
        <a:font script="Mlym" typeface="Kartika"/>
        <a:font script="Laoo" typeface="DokChampa"/>
        <a:font script="Sinh" typeface="Iskoola Pota"/>
        <a:font script="Mong" typeface="Mongolian Baiti"/>
        <a:font script="Viet" typeface="Arial"/>
        <a:font script="Uigh" typeface="Microsoft Uighur"/>
      </a:minorFont>
    </a:fontScheme>
    <a:fmtScheme name="Office">
      <a:fillStyleLst>
        <a:solidFill>
          <a:schemeClr val="phClr"/>
        </a:solidFill>
        <a:gradFill rotWithShape="1">
          <a:gsLst>
            <a:gs pos="0">
              <a:schemeClr val="phClr">
                <a:tint val="50000"/>
                <a:satMod val="300000"/>
              </a:schemeClr>
            </a:gs>
            <a:gs pos="35000">
              <a:schemeClr val="phClr">
                <a:tint val="37000"/>
                <a:satMod val="300000"/>
              </a:schemeClr>
            </a:gs>
            <a:gs pos="100000">
              <a:schemeClr val="phClr">
                <a:tint val="15000"/>
                <a:satMod val="350000"/>
              </a:schemeClr>
            </a:gs>
          </a:gsLst>
          <a:lin ang="16200000" scaled="1"/>
        </a:gradFill>
        <a:gradFill rotWithShape="1">
          <a:gsLst>
            <a:gs pos="0">
              <a:schemeClr val="phClr">
                <a:shade val="51000"/>
                <a:satMod val="130000"/>
              </a:schemeClr>
            </a:gs>
            <a:gs pos="80000">
              <a:schemeClr val="phClr">
                <a:shade val="93000"/>
                <a:satMod val="130000"/>
              </a:schemeClr>
            </a:gs>
            <a:gs pos="100000">
              <a:schemeClr val="phClr">
                <a:shade val="94000"/>
                <a:satMod val="135000"/>
              </a:schemeClr>
            </a:gs>
          </a:gsLst>
          <a:lin ang="16200000" scaled="0"/>
        </a:gradFill>
      </a:fillStyleLst>
      <a:lnStyleLst>
        <a:ln w="9525" cap="flat" cmpd="sng" algn="ctr">
          <a:solidFill>
            <a:schemeClr val="phClr">
              <a:shade val="95000"/>
              <a:satMod val="105000"/>
            </a:schemeClr>
          </a:solidFill>
          <a:prstDash val="solid"/>
        </a:ln>
        <a:ln w="25400" cap="flat" cmpd="sng" algn="ctr">
          <a:solidFill>
            <a:schemeClr val="phClr"/>
          </a:solidFill>
          <a:prstDash val="solid"/>
        </a:ln>
        <a:ln w="38100" cap="flat" cmpd="sng" algn="ctr">
          <a:solidFill>
            <a:schemeClr val="phClr"/>
          </a:solidFill>
          <a:prstDash val="solid"/>
        </a:ln>
      </a:lnStyleLst>
      <a:effectStyleLst>
        <a:effectStyle>
          <a:effectLst>
            <a:outerShdw blurRad="40000" dist="20000" dir="5400000" rotWithShape="0">
              <a:srgbClr val="000000">
                <a:alpha val="38000"/>
              </a:srgbClr>
            </a:outerShdw>
          </a:effectLst>
        </a:effectStyle>
        <a:effectStyle>
          <a:effectLst>
            <a:outerShdw blurRad="40000" dist="23000" dir="5400000" rotWithShape="0">
              <a:srgbClr val="000000">
                <a:alpha val="35000"/>
              </a:srgbClr>
            </a:outerShdw>
          </a:effectLst>
        </a:effectStyle>
        <a:effectStyle>
          <a:effectLst>
            <a:outerShdw blurRad="40000" dist="23000" dir="5400000" rotWithShape="0">
              <a:srgbClr val="000000">
                <a:alpha val="35000"/>
              </a:srgbClr>
            </a:outerShdw>
          </a:effectLst>
          <a:scene3d>
            <a:camera prst="orthographicFront">
              <a:rot lat="0" lon="0" rev="0"/>
            </a:camera>
            <a:lightRig rig="threePt" dir="t">
              <a:rot lat="0" lon="0" rev="1200000"/>
            </a:lightRig>
          </a:scene3d>
          <a:sp3d>
            <a:bevelT w="63500" h="25400"/>
          </a:sp3d>
        </a:effectStyle>
      </a:effectStyleLst>
      <a:bgFillStyleLst>
        <a:solidFill>
          <a:schemeClr val="phClr"/>
        </a:solidFill>
        <a:gradFill rotWithShape="1">
          <a:gsLst>
            <a:gs pos="0">
              <a:schemeClr val="phClr">
                <a:tint val="40000"/>
                <a:satMod val="350000"/>
              </a:schemeClr>
            </a:gs>
            <a:gs pos="40000">
              <a:schemeClr val="phClr">
                <a:tint val="45000"/>
                <a:shade val="99000"/>
                <a:satMod val="350000"/>
              </a:schemeClr>
            </a:gs>
            <a:gs pos="100000">
              <a:schemeClr val="phClr">
                <a:shade val="20000"/>
                <a:satMod val="255000"/>
              </a:schemeClr>
            </a:gs>
          </a:gsLst>
          <a:path path="circle">
            <a:fillToRect l="50000" t="-80000" r="50000" b="180000"/>
          </a:path>
        </a:gradFill>
        <a:gradFill rotWithShape="1">
          <a:gsLst>
            <a:gs pos="0">
              <a:schemeClr val="phClr">
                <a:tint val="80000"/>
                <a:satMod val="300000"/>
              </a:schemeClr>
            </a:gs>
            <a:gs pos="100000">
              <a:schemeClr val="phClr">
                <a:shade val="30000"/>
                <a:satMod val="200000"/>
              </a:schemeClr>
            </a:gs>
          </a:gsLst>
          <a:path path="circle">
            <a:fillToRect l="50000" t="50000" r="50000" b="50000"/>
          </a:path>
        </a:gradFill>
      </a:bgFillStyleLst>
    </a:fmtScheme>
  </a:themeElements>
  <a:objectDefaults/>
  <a:extraClrSchemeLst/>
</a:theme>
"""
