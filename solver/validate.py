"""Turn the text tables of `solver.io.read` into a typed `Dataset`, or say everything wrong.

One `check_*` per rule. Every problem is collected (file, sheet, row as the user sees it,
column as written, the bad value, what is expected) and raised once as an `InputError`.
Warnings (leader posts above their limit, lapsed units still holding staff) are kept on the
dataset and do not stop a run; the leader-post limits are the scenario's (`leader_posts`), or
the defaults of `solver.leaders` when data is read without a scenario. Checks are vectorised
and work per distinct value where a column repeats a few: a province (~60,000 units and a
register of 1.4 million people) validates in about three seconds.
"""

from __future__ import annotations

import calendar
import datetime
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from solver.domain import ENUM_EXTRA, ENUMS, TABLES, YEARMONTH_PARTS, Column, Table
from solver.errors import InputError, Problem
from solver.io.read import INVISIBLE_RE, ROW, RawInputs, RawTable, normalise, read_inputs, show
from solver.keys import PairIndex
from solver.leaders import DEFAULT_RULES, LeaderRules, leader_check

MAX_PER_RULE = 20  # messages shown per table, column and rule before summarising the rest


@dataclass
class Dataset:
    """Validated input tables with English codes and typed columns (ROW keeps user rows)."""

    path: Path
    units: pd.DataFrame
    quotas: pd.DataFrame
    demands: pd.DataFrame
    pool: pd.DataFrame | None = None
    people: pd.DataFrame | None = None
    task_groups: pd.DataFrame | None = None
    aux_positions: pd.DataFrame | None = None
    # the staff register (在编人员): birth as YYYY-MM text plus birth_year, birth_month
    staff: pd.DataFrame | None = None
    # display names of system, sector and region codes (kind, code, name; solver/names.py)
    names: pd.DataFrame | None = None
    sources: dict[str, RawTable] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    checksum: str = ""
    # sha256 of each file read, by its name in the data folder (or the workbook's name): what
    # summary.json records so that a changed input can be named file by file
    files: dict[str, str] = field(default_factory=dict)
    # the leader-post limits the data was checked against (the stock-take uses the same)
    leaders: LeaderRules = DEFAULT_RULES

    def table(self, name: str) -> pd.DataFrame | None:
        return getattr(self, name)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The present tables without the row-number column, in docs/data.md order.

        The year and month read from a year-month column (birth_year, birth_month) are left
        out: the column itself (birth, YYYY-MM) holds them, and is what data edits change."""
        out = {}
        for name in TABLES:
            frame = self.table(name)
            if frame is not None:
                out[name] = frame.drop(columns=[ROW, *derived_columns(TABLES[name])],
                                       errors="ignore")
        return out

    @property
    def year(self) -> int | None:
        """The data's year: the earliest start year of the demands, if given."""
        if "start_year" in self.demands and self.demands["start_year"].notna().any():
            return int(self.demands["start_year"].min())
        return None


class _Collector:
    """Collects problems for one table, capping repeats of one rule."""

    def __init__(self, raw: RawTable):
        self.raw = raw
        self.problems: list[Problem] = []
        # columns found to hold no two equal cells (ids without twins): as a table's key they
        # need no second look for duplicates (1.4 million ids: 0.25 s a look)
        self.distinct: set[str] = set()

    def add(self, message: str, row: int | None = None, column: str = "",
            severity: str = "error") -> None:
        self.problems.append(Problem(
            message, file=self.raw.file, sheet=self.raw.sheet, row=row,
            column=self.raw.header(column) if column else "", severity=severity,
        ))

    def add_rows(self, mask: np.ndarray, frame: pd.DataFrame, column: str, make_message,
                 severity: str = "error") -> None:
        """One message per offending row (capped), built by make_message(value, position)."""
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        for i in idx[:MAX_PER_RULE]:
            value = frame[column].iat[i] if column in frame else None
            self.add(make_message(value, i), row=int(frame[ROW].iat[i]), column=column,
                     severity=severity)
        if len(idx) > MAX_PER_RULE:
            rows = frame[ROW].to_numpy()[idx[MAX_PER_RULE:]]
            self.add(
                f"… and {len(idx) - MAX_PER_RULE} more rows with the same problem "
                f"(rows {', '.join(map(str, rows[:10]))}{', …' if len(rows) > 10 else ''})",
                column=column, severity=severity,
            )


def _enum_lookup(enum: str) -> dict[str, str]:
    lookup = {}
    for code, zh in ENUMS[enum].items():
        lookup[normalise(code)] = code
        lookup[normalise(zh)] = code
    lookup.update({normalise(k): v for k, v in ENUM_EXTRA.get(enum, {}).items()})
    return lookup


ENUM_LOOKUPS = {name: _enum_lookup(name) for name in ENUMS}


def _expected(enum: str) -> str:
    return ", ".join(f"{code} ({zh})" for code, zh in ENUMS[enum].items())


_quote = show  # every value in a message is quoted with its invisible characters escaped

MAX_COUNT = 10**9  # no establishment holds a billion quotas or people: such a count is a typo
# Full-width forms typed with a Chinese IME (１２００, －３) read as their ASCII twins.
FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_NUMBER_RE = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_GROUPED_RE = r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?"  # 1,200 and 1,200,000 only
_EXCEL_ERROR_RE = r"#(?:N/A|DIV/0!|VALUE!|REF!|NAME\?|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA|FIELD!|BLOCKED!|CONNECT!|BUSY!|UNKNOWN!)"


def _fullwidth_note(value: str) -> str:
    """' (it holds the full-width '，')' for punctuation typed in full width, else ''."""
    marks = sorted({ch for ch in str(value)
                    if 0xFF01 <= ord(ch) <= 0xFF5E and not "０" <= ch <= "９"})
    if not marks:
        return ""
    return f" (it holds the full-width {', '.join(repr(m) for m in marks)})"


def _not_a_number(value: str, col: Column) -> str:
    """Why a non-empty cell of a number column is not a number, and what to write."""
    text = str(value).strip()
    half = text.translate(FULLWIDTH)
    whole = "whole number" if col.type != "number" else "number"
    if half.upper() in ("TRUE", "FALSE"):
        return (f"{_quote(value)} is a logical (TRUE/FALSE) value, not a number; write the "
                f"{whole}")
    if pd.Series([half]).str.fullmatch(_EXCEL_ERROR_RE).iat[0]:
        return (f"{_quote(value)} is an Excel error value (a formula that failed); correct the "
                f"formula or type the {whole}")
    if "," in half:
        bare = half.replace(",", "")
        decimal = half.replace(",", ".", 1) if half.count(",") == 1 else bare
        return (f"{_quote(value)} is not a number: a comma may only separate thousands in "
                f"groups of three digits (1,200 or 1,200,000); if it is a decimal comma write "
                f"{decimal}, else write the digits without separators"
                f"{_fullwidth_note(value)}")
    if half.lower().lstrip("+-") in ("inf", "infinity", "nan"):
        return f"{_quote(value)} is not a number; write a finite {whole}"
    return f"{_quote(value)} is not a number; write a {whole}{_fullwidth_note(value)}"


# ---------------------------------------------------------------- column parsing


# what `astype(str)` and the `.str` methods give: text cells, missing ones NaN
_TEXT_DTYPE = pd.Series(["text"]).astype(str).dtype


def stripped_text(series: pd.Series) -> np.ndarray:
    """The cells as text without surrounding whitespace (`astype(str).str.strip()`), as an
    array of objects: the column's checks work on it without the `str` dtype's per-call
    costs (a missing-value scan in every comparison). A column of text cells, as the readers
    give, is stripped in one pass."""
    values = series.to_numpy(dtype=object)
    try:
        return np.fromiter(map(str.strip, values), dtype=object, count=len(values))
    except TypeError:  # a cell that is not text
        return series.astype(str).str.strip().to_numpy(dtype=object)


def _text_series(text: np.ndarray, index: pd.Index) -> pd.Series:
    """Cells (text, or None where missing) as the `str` column the typed tables hold."""
    return pd.Series(text, index=index, dtype=_TEXT_DTYPE)


def _joined(text: np.ndarray) -> str | None:
    """The cells joined by commas into one text, or None when some cell is not text: what the
    checks of a column of ids search at once instead of cell by cell."""
    try:
        return ",".join(text)
    except TypeError:
        return None


def _invisible(text: np.ndarray, joined: str | None) -> np.ndarray:
    """Cells holding an invisible character; checked on the joined column first (a comma is
    no invisible character, so the joined text has one only where a cell has)."""
    # in ASCII text the invisible characters are the unprintable ones (a faster scan)
    if joined is not None and (joined.isprintable() if joined.isascii()
                               else INVISIBLE_RE.search(joined) is None):
        return np.zeros(len(text), dtype=bool)
    return _text_series(text, pd.RangeIndex(len(text))).str.contains(
        INVISIBLE_RE.pattern, regex=True).fillna(False).to_numpy(dtype=bool)


def _excel_errors(text: np.ndarray, joined: str | None) -> np.ndarray:
    """Cells that are an Excel error value (each starts with #: none where no cell has one)."""
    if joined is not None and "#" not in joined:
        return np.zeros(len(text), dtype=bool)
    return _text_series(text, pd.RangeIndex(len(text))).str.fullmatch(
        _EXCEL_ERROR_RE).fillna(False).to_numpy(dtype=bool)


def _folded(text: np.ndarray, joined: str | None) -> np.ndarray:
    """Cells in NFKC form, case-folded (ASCII text, the common id, is its own NFKC form and
    folds as its lower case; ASCII text without capitals is its own folded form)."""
    if joined is not None and joined.isascii():
        if joined.lower() == joined:
            return text
        return np.fromiter(map(str.lower, text), dtype=object, count=len(text))
    return _text_series(text, pd.RangeIndex(len(text))).str.normalize("NFKC").str.casefold(
        ).to_numpy(dtype=object)


def _all_distinct(values: np.ndarray) -> bool:
    """Whether no two cells are equal: a column of ids is told distinct by a set in half the
    time pandas' `duplicated` takes to mark nothing (1.4 million ids: 0.3 s against 0.6 s)."""
    return len(set(values)) == len(values)


def check_id_text(col: Column, text: np.ndarray, empty: np.ndarray, frame: pd.DataFrame,
                  out: _Collector) -> None:
    """Ids hold no invisible characters; ids differing only in case or width are one id."""
    joined = _joined(text)
    hidden = _invisible(text, joined) & ~empty
    out.add_rows(hidden, frame, col.name,
                 lambda v, i: f"{_quote(v)} holds an invisible character "
                 f"({', '.join(sorted({show(c)[1:-1] for c in INVISIBLE_RE.findall(v)}))}); "
                 "delete it (retype the code)")
    failed = _excel_errors(text, joined) & ~empty
    out.add_rows(failed, frame, col.name,
                 lambda v, i: f"{_quote(v)} is an Excel error value (a formula that failed), "
                 f"not a {col.name}; correct the formula or type the code")
    if col.type != "id":
        return
    folded = _folded(text, joined)
    if _all_distinct(folded):  # then the cells themselves are distinct
        out.distinct.add(col.name)
        return
    twins = pd.Series(folded, dtype=object).duplicated(keep=False).to_numpy() & ~empty
    if not twins.any():
        return
    sub = pd.DataFrame({"text": text[twins], "folded": folded[twins],
                        "row": frame[ROW].to_numpy()[twins]})
    first = sub.drop_duplicates("folded").set_index("folded")
    likely = np.zeros(len(text), dtype=bool)
    positions = np.flatnonzero(twins)
    differs = (sub["text"].to_numpy() != first.loc[sub["folded"], "text"].to_numpy())
    likely[positions[differs]] = True

    def message(value, i):
        origin = first.loc[folded[i]]
        return (f"{_quote(value)} is likely a duplicate of {_quote(origin['text'])} (row "
                f"{origin['row']}): the two ids differ only in upper/lower case or full-width/"
                "half-width form; write it the same way everywhere, or give distinct ids")

    out.add_rows(likely, frame, col.name, message)


# ---------------------------------------------------------------- year-months

# The ways a year and month are written in registers (spaces and full-width forms aside).
# YYYYMM only with six digits; a full date (an Excel date cell, 1965-01-15, 1965年1月15日) is
# read as its year-month. "1965.1" is refused: an Excel number 1965.10 is shown that way.
_YEARMONTH_RE = (
    r"(?P<y1>[0-9]{4})(?P<s1>[-/.])(?P<m1>[0-9]{1,2})",
    r"(?P<y2>[0-9]{4})年(?P<m2>[0-9]{1,2})月?",
    r"(?P<y3>[0-9]{4})(?P<m3>[0-9]{2})",
    (r"(?P<y4>[0-9]{4})(?P<s4>[-/.])(?P<m4>[0-9]{1,2})(?P=s4)(?P<d4>[0-9]{1,2})"
     r"(?:T?[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"),
    r"(?P<y5>[0-9]{4})年(?P<m5>[0-9]{1,2})月(?P<d5>[0-9]{1,2})日",
)
_YEARMONTH_MATCH = re.compile("(?:" + "|".join(_YEARMONTH_RE) + r")\Z")
FIRST_YEAR = 1900  # no one on a register today was born before it
MIN_WORKING_AGE = 16  # no one younger may be employed (Labour Law, Art. 15)
_WRITE_YEARMONTH = ("write it as 1965-01 (also 1965.01, 1965/01, 1965年01月, 196501 or an Excel "
                    "date cell)")


def derived_columns(table: Table) -> tuple[str, ...]:
    """The integer columns read from the table's year-month columns (birth_year, …)."""
    return tuple(col.name + part for col in table.columns if col.type == "yearmonth"
                 for part in YEARMONTH_PARTS)


def _yearmonth_of(text: str) -> tuple[float, float, float, bool]:
    """(year, month, day, ambiguous) of one cell, NaN where absent; year NaN: no match."""
    found = _YEARMONTH_MATCH.match(re.sub(r"\s+", "", text.translate(FULLWIDTH)))
    if found is None:
        return np.nan, np.nan, np.nan, False
    parts = found.groupdict()

    def pick(key: str) -> float:
        return next((float(v) for k, v in parts.items()
                     if k[0] == key and k[1:].isdigit() and v is not None), np.nan)

    return pick("y"), pick("m"), pick("d"), parts["s1"] == "." and parts["m1"] == "1"


def check_yearmonth(col: Column, text: np.ndarray, empty: np.ndarray, frame: pd.DataFrame,
                    out: _Collector) -> pd.Series:
    """A year and month, read exactly: YYYY-MM (or ., /, 年…月, six digits, a full date),
    returned as the text YYYY-MM; a cell that is not one is refused, saying why. Each
    distinct text is parsed, its month's days counted and its YYYY-MM written once (a
    register of 1.4 million people has a few thousand)."""
    codes, distinct = pd.factorize(text)
    parsed = np.array([_yearmonth_of(str(v)) for v in distinct], dtype=float).reshape(-1, 4)
    year, month, day, ambiguous = (parsed[codes, k] for k in range(4))
    ambiguous = ambiguous > 0
    ok = ~empty & ~np.isnan(year)
    out.add_rows(~empty & ~ok, frame, col.name,
                 lambda v, i: f"{_quote(v)} is not a year and month; {_WRITE_YEARMONTH}"
                 f"{_fullwidth_note(v)}")
    ambiguous &= ok
    out.add_rows(ambiguous, frame, col.name,
                 lambda v, i: f"{_quote(v)} may be January or October (Excel shows the "
                 f"number {v}0 as {v}); write {v[:-1]}01 or {v}0 as text, or "
                 f"{int(year[i])}-01 or {int(year[i])}-10")
    ok &= ~ambiguous
    bad_month = ok & ((month < 1) | (month > 12))
    out.add_rows(bad_month, frame, col.name,
                 lambda v, i: f"{_quote(v)}: month {int(month[i])} is not a month; write a "
                 "month from 1 to 12")
    ok &= ~bad_month
    dated = ok & ~np.isnan(day)
    y, m, d = parsed[:, 0], parsed[:, 1], parsed[:, 2]
    real_month = ~np.isnan(y) & (m >= 1) & (m <= 12)
    days = np.array([calendar.monthrange(int(y[k]), int(m[k]))[1]
                     if real_month[k] and not np.isnan(d[k]) else 31
                     for k in range(len(distinct))], dtype=np.int64)[codes]
    bad_day = dated & ((day < 1) | (day > days))
    out.add_rows(bad_day, frame, col.name,
                 lambda v, i: f"{_quote(v)} is not a date: {int(year[i])}-"
                 f"{int(month[i]):02d} has {days[i]} days; check the cell")
    ok &= ~bad_day
    early = ok & (year < FIRST_YEAR)
    out.add_rows(early, frame, col.name,
                 lambda v, i: f"{_quote(v)}: the year {int(year[i])} is before {FIRST_YEAR}; "
                 "check the year")
    ok &= ~early
    shown = np.array([f"{int(y[k]):04d}-{int(m[k]):02d}" if real_month[k] else None
                      for k in range(len(distinct))], dtype=object)
    return pd.Series(np.where(ok, shown[codes], None), index=frame.index, dtype=object)


def yearmonth_parts(text: pd.Series, col: Column) -> dict[str, pd.Series]:
    """The integer year and month of a year-month column read by `check_yearmonth` (YYYY-MM
    or missing): `<column>_year`, `<column>_month`; int64 when no cell is missing."""
    # each distinct YYYY-MM once (a register repeats a few hundred)
    codes, distinct = pd.factorize(text.to_numpy(dtype=object))
    known = codes >= 0
    year = np.array([int(v[0:4]) for v in distinct] + [0], dtype=np.int64)[codes]
    month = np.array([int(v[5:7]) for v in distinct] + [0], dtype=np.int64)[codes]
    names = [col.name + part for part in YEARMONTH_PARTS]
    if known.all():
        return {names[0]: pd.Series(year, index=text.index),
                names[1]: pd.Series(month, index=text.index)}
    return {name: pd.Series(pd.array(values, dtype="Int64"), index=text.index).where(known, pd.NA)
            for name, values in zip(names, (year, month))}


def _numbers(text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(plain, value) of each cell: whether it is written as a number, and the number (NaN
    where not, or where its digits are beyond a float). Each distinct text is read once (a
    column of counts repeats a few hundred values over 60,000 rows)."""
    codes, distinct = pd.factorize(text, use_na_sentinel=False)
    half = pd.Series(distinct, dtype=_TEXT_DTYPE).str.translate(FULLWIDTH).str.strip()
    plain = np.array(half.str.fullmatch(_NUMBER_RE).fillna(False), dtype=bool)
    if not plain.all():
        grouped = np.array(half.str.fullmatch(_GROUPED_RE).fillna(False), dtype=bool) & ~plain
        half = half.where(~grouped, half.str.replace(",", "", regex=False))
        plain |= grouped
    values = pd.to_numeric(half.where(plain, None), errors="coerce").astype(float).to_numpy()
    return plain[codes], values[codes]


def _enum_series(parsed: np.ndarray, index: pd.Index) -> pd.Series:
    """Codes read from an enum column (None where empty or not valid), typed as `map` types
    them: `str`, or objects when no cell gave a code."""
    if any(v is not None for v in parsed):
        return _text_series(parsed, index)
    return pd.Series(parsed, index=index, dtype=object)


def check_column(col: Column, frame: pd.DataFrame, out: _Collector) -> pd.Series:
    """Parse one column to its type; report empty required cells and malformed values."""
    text = (frame[col.name].to_numpy(dtype=object) if out.raw.stripped
            else stripped_text(frame[col.name]))
    reported = out.raw.reported.get(col.name)
    if reported:  # the reader named these cells already (a merged number, a formula)
        named = frame[ROW].isin(reported).to_numpy()
        text = np.where(named, "", text)
        empty = text == ""
        required_empty = empty & ~named
    else:
        empty = text == ""
        required_empty = empty
    if col.required:
        out.add_rows(required_empty, frame, col.name,
                     lambda v, i: f"is empty; a {col.name} ({col.zh}) is required")
    if col.type in ("id", "ref"):
        check_id_text(col, text, empty, frame, out)
    if col.type in ("id", "text", "ref"):
        return _text_series(np.where(empty, None, text) if empty.any() else text, frame.index)
    if col.type == "yearmonth":
        return check_yearmonth(col, text, empty, frame, out)
    if col.type == "tags":
        return _text_series(text, frame.index)  # an empty cell is the empty text
    if col.type in ("enum", "yesno"):
        enum = col.enum or "yes_no"
        lookup = ENUM_LOOKUPS[enum]
        # each distinct cell text once (a register repeats a handful of codes 1.4 million times)
        codes, distinct = pd.factorize(text)  # a missing cell (code -1): no code either
        parsed = np.array([lookup.get(normalise(v)) for v in distinct] + [None],
                          dtype=object)[codes]
        bad = np.equal(parsed, None) & ~empty
        out.add_rows(bad, frame, col.name,
                     lambda v, i: f"{_quote(v)} is not a valid {col.name}; expected one of "
                     f"{_expected(enum)}")
        return _enum_series(np.where(empty, None, parsed) if empty.any() else parsed,
                            frame.index)
    # numbers: full-width digits are read; a comma only as a thousands separator (3,5 is a
    # decimal comma in much of the world: refused, never read as 35); no inf, nan or 1_000
    plain, values = _numbers(text)
    plain &= ~empty
    number = pd.Series(values, index=frame.index)
    not_number = ~plain & ~empty
    out.add_rows(not_number, frame, col.name, lambda v, i: _not_a_number(v, col))
    huge = plain & ~empty & np.isnan(values)  # digits beyond any float
    ok = plain & ~empty & ~huge
    infinite = ok & ~np.isfinite(values)
    out.add_rows(huge | infinite, frame, col.name,
                 lambda v, i: f"{_quote(v)} is too large to be a number; check the cell")
    ok &= ~infinite
    values = np.where(ok, values, 0.0)  # only cells still in question are compared below
    if col.type in ("int", "posint"):
        big = ok & (np.abs(values) > MAX_COUNT)
        out.add_rows(big, frame, col.name,
                     lambda v, i: f"{_quote(v)} is more than {MAX_COUNT:,} (10^9): no count "
                     "of quotas or people is that large; check the cell")
        ok &= ~big
    if col.type in ("int", "posint", "year"):
        fractional = ok & (np.abs(values - np.round(values)) > 1e-9)
        out.add_rows(fractional, frame, col.name,
                     lambda v, i: f"{_quote(v)} is not a whole number; counts are integers"
                     f"{_fullwidth_note(v)}")
        ok &= ~fractional
        if col.type == "int" and (col.bounds is None or col.bounds[0] >= 0):
            negative = ok & (values < 0)
            out.add_rows(negative, frame, col.name,
                         lambda v, i: f"{_quote(v)} is negative; {col.name} must be 0 or more")
            ok &= ~negative
        elif col.type == "posint":
            small = ok & (values <= 0)
            out.add_rows(small, frame, col.name,
                         lambda v, i: f"{_quote(v)} must be a whole number greater than 0")
            ok &= ~small
        elif col.type == "year":
            wild = ok & ((values < 1900) | (values > 2200))
            out.add_rows(wild, frame, col.name,
                         lambda v, i: f"{_quote(v)} is not a year; write e.g. 2023")
            ok &= ~wild
    if col.bounds is not None:
        lo, hi = col.bounds
        outside = ok & ((values < lo) | (values > hi))
        out.add_rows(outside, frame, col.name,
                     lambda v, i: f"{_quote(v)} is outside {lo:g}–{hi:g}; write a value "
                     f"from {lo:g} to {hi:g}")
        ok &= ~outside
    if col.type == "number":
        return number.where(ok, np.nan)
    ints = np.where(ok, np.round(np.where(ok, values, 0)), 0).astype(np.int64)
    if col.required and ok.all():
        return pd.Series(ints, index=frame.index)
    # A bad cell stays missing (not 0), so that no cross-table rule reports a follow-on
    # problem about a value the user never wrote; the run stops on the first report anyway.
    return pd.Series(pd.array(ints, dtype="Int64"), index=frame.index).where(ok, pd.NA)


def check_table(raw: RawTable, table: Table) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Required columns present, non-empty, every cell parsed, keys unique."""
    out = _Collector(raw)
    frame = raw.frame
    missing = [c for c in table.columns if c.required and c.name not in frame]
    for col in missing:
        out.add(f"missing column {col.name} ({col.zh}); add a column headed "
                f"'{col.zh}' or '{col.name}'", row=raw.header_row)
    if len(frame) == 0:
        out.add(f"has no data rows; the {table.name} table ({table.zh}) needs at least one"
                if table.required else
                f"has no data rows; add at least one, or remove the "
                f"{'sheet' if raw.sheet else 'file'} (the {table.name} table is optional)")
    if missing or len(frame) == 0:
        return None, out.problems
    typed = pd.DataFrame(index=frame.index)
    for col in table.columns:
        if col.name in frame:
            typed[col.name] = check_column(col, frame, out)
        else:
            typed[col.name] = None
    derived = derived_columns(table)
    for extra in raw.extra_columns:
        if extra not in derived:  # a year and month read from a year-month column win
            typed[extra] = frame[extra]
    for col in table.columns:
        if col.type == "yearmonth":
            for name, part in yearmonth_parts(typed[col.name], col).items():
                typed[name] = part
    typed[ROW] = frame[ROW].to_numpy()
    if table.key and not (len(table.key) == 1 and (
            table.key[0] in out.distinct
            or _all_distinct(typed[table.key[0]].to_numpy(dtype=object)))):
        key_frame = typed[list(table.key)]
        complete = key_frame.notna().all(axis=1).to_numpy()
        dup = key_frame.duplicated(keep="first").to_numpy() & complete
        if dup.any():
            first_row = (
                typed[complete].drop_duplicates(list(table.key), keep="first")
                .set_index(list(table.key))[ROW]
            )
            key_col = table.key[-1] if len(table.key) > 1 else table.key[0]

            def message(value, i):
                key = tuple(typed[k].iat[i] for k in table.key)
                first = first_row.loc[key if len(key) > 1 else key[0]]
                shown = " / ".join(str(k) for k in key)
                return (f"duplicate {' + '.join(table.key)} {_quote(shown)} (first in row "
                        f"{first}); give each row its own id or merge the rows")

            out.add_rows(dup, typed, key_col, message)
    return typed, out.problems


# ---------------------------------------------------------------- cross-table rules


def _people_beyond_staff(people: pd.DataFrame, quotas: pd.DataFrame, ok: np.ndarray,
                         out: _Collector) -> None:
    """Surplus people hold a quota and count in their unit's staff: a unit cannot have more
    of them than staff. The row of the first person beyond the staff is named."""
    staff = pd.to_numeric(quotas.drop_duplicates(["unit_id", "quota_type"]).set_index(
        ["unit_id", "quota_type"])["staff"], errors="coerce")
    pairs = pd.MultiIndex.from_frame(people[["unit_id", "quota_type"]].astype(object))
    have = staff.reindex(pairs).to_numpy(float)
    rank = people.groupby(["unit_id", "quota_type"], dropna=False).cumcount().to_numpy() + 1
    count = people.groupby(["unit_id", "quota_type"], dropna=False)["unit_id"].transform(
        "size").to_numpy()
    beyond = ok & ~np.isnan(have) & (rank == np.where(np.isnan(have), -1, have) + 1)
    out.add_rows(beyond, people, "unit_id",
                 lambda v, i: f"unit {_quote(v)} has {count[i]} surplus people of "
                 f"{people['quota_type'].iat[i]} quota here but only {int(have[i])} staff of "
                 "that type in the quotas table; surplus people hold a quota and count in "
                 "staff: correct the staff figure or these rows")


def _isin(column: pd.Series, known: set) -> np.ndarray:
    """`column.isin(known)` for a column of text (a missing cell is in no set of codes): one
    set lookup per cell, a fifth of what `isin` costs on the python-backed `str` dtype."""
    if not known:
        return np.zeros(len(column), dtype=bool)
    return np.fromiter(map(known.__contains__, column.to_numpy(dtype=object)), dtype=bool,
                       count=len(column))


class _QuotaPairs:
    """The (unit_id, quota_type) pairs of the quotas' rows, to match and count the rows of
    other tables by (`solver.keys.PairIndex`: a MultiIndex `isin` and a groupby over the
    1.4-million-row register cost seconds)."""

    def __init__(self, quotas: pd.DataFrame):
        self._index = PairIndex(quotas["unit_id"], quotas["quota_type"])
        # each quotas row's pair as its first row (-1 where a cell is missing)
        self._quota_rows = self.keys(quotas)

    def keys(self, frame: pd.DataFrame) -> np.ndarray:
        """Each row's pair as the first quotas row holding it; -1 where a cell is missing or
        no quotas row has the pair."""
        return self._index.rows(frame["unit_id"], frame["quota_type"])

    def held(self, keys: np.ndarray) -> np.ndarray:
        """Whether each row's pair is a quotas row's (with no missing cell)."""
        return keys >= 0

    def counts(self, keys: np.ndarray) -> np.ndarray:
        """How many of the rows have each quotas row's pair (0 where it misses a cell)."""
        per_row = np.bincount(keys[keys >= 0], minlength=len(self._quota_rows))
        rows = self._quota_rows
        return np.where(rows >= 0, per_row[np.maximum(rows, 0)], 0)


def check_references(ds: dict[str, pd.DataFrame], sources: dict[str, RawTable]) -> list[Problem]:
    """Unit and group references exist; demands, people and the staff register ask for a quota
    type the unit holds; the register agrees with the quotas and the surplus people."""
    problems: list[Problem] = []
    units = ds["units"]
    unit_ids = pd.Index(units["unit_id"].dropna())
    known_units = set(unit_ids.tolist())
    placed: dict[str, np.ndarray] = {}  # rows whose unit is in the units table, by table
    for name in ("quotas", "demands", "people", "aux_positions", "staff"):
        frame = ds.get(name)
        if frame is None:
            continue
        out = _Collector(sources[name])
        placed[name] = _isin(frame["unit_id"], known_units)
        bad = frame["unit_id"].notna().to_numpy() & ~placed[name]
        out.add_rows(bad, frame, "unit_id",
                     lambda v, i: f"unit {_quote(v)} is not in the units table"
                     f"{_did_you_mean(v, unit_ids)}; add it there or correct the code")
        problems += out.problems
    out = _Collector(sources["units"])
    parent = units["parent_id"]
    bad = parent.notna().to_numpy() & ~_isin(parent, known_units)
    out.add_rows(bad, units, "parent_id",
                 lambda v, i: f"parent department {_quote(v)} is not in the units table"
                 f"{_did_you_mean(v, unit_ids)}; add it there, correct the code or leave the "
                 "cell empty")
    problems += out.problems
    problems += check_parent_cycles(units, sources["units"])

    quotas = ds["quotas"]
    pairs = _QuotaPairs(quotas)
    keys: dict[str, np.ndarray] = {}  # each row's (unit_id, quota_type) pair, by table
    # a unit with a quota row whose type could not be read may well hold the type asked for
    unsure = set(quotas.loc[quotas["quota_type"].isna(), "unit_id"].dropna().tolist())
    for name in ("demands", "people", "staff"):
        frame = ds.get(name)
        if frame is None:
            continue
        out = _Collector(sources[name])
        keys[name] = pairs.keys(frame)
        known = (placed[name] & ~_isin(frame["unit_id"], unsure)
                 & frame["quota_type"].notna().to_numpy())
        not_held = known & ~pairs.held(keys[name])
        what = "asks for" if name == "demands" else "holds"
        out.add_rows(not_held, frame, "quota_type",
                     lambda v, i, what=what, frame=frame:
                     f"{what} {v} ({ENUMS['quota_type'][v]}) quota but unit "
                     f"{_quote(frame['unit_id'].iat[i])} "
                     f"has no {v} row in the quotas table; a unit receives only quota types "
                     "it holds")
        if name == "people":
            _people_beyond_staff(frame, quotas, known & ~not_held, out)
        problems += out.problems

    people, groups = ds.get("people"), ds.get("task_groups")
    if people is not None and groups is None:
        problems.append(Problem(
            "people (富余人员) are given but there is no task_groups table (一线工作组); "
            "add one", file=sources["people"].file, sheet=sources["people"].sheet,
        ))
    if people is not None and groups is not None:
        out = _Collector(sources["people"])
        group_ids = set(groups["group_id"].dropna())
        prefs = people["preferences"].fillna("").astype(str)
        bad_ref = np.zeros(len(people), dtype=bool)
        unknown: dict[int, str] = {}
        for i, text in enumerate(prefs):
            for tag in split_tags(text):
                if tag not in group_ids:
                    bad_ref[i] = True
                    unknown[i] = tag
                    break
        out.add_rows(bad_ref, people, "preferences",
                     lambda v, i: f"group {_quote(unknown[i])} is not in the task_groups table; "
                     f"known groups: {', '.join(show(g) for g in sorted(group_ids))}")
        problems += out.problems
    if groups is not None:
        out = _Collector(sources["task_groups"])
        bad = (groups["min_size"] > groups["max_size"]).fillna(False).to_numpy(dtype=bool)
        out.add_rows(bad, groups, "min_size",
                     lambda v, i: f"min_size {v} is above max_size {groups['max_size'].iat[i]}; "
                     "the smallest group size cannot exceed the largest")
        problems += out.problems
    pool = ds.get("pool")
    if pool is not None:
        out = _Collector(sources["pool"])
        regions = set(units["region"].dropna())
        bad = pool["region"].notna().to_numpy() & ~pool["region"].isin(regions).to_numpy()
        out.add_rows(bad, pool, "region",
                     lambda v, i: f"region {_quote(v)} has no units; use a region of the "
                     "units table")
        problems += out.problems
    demands = ds["demands"]
    out = _Collector(sources["demands"])
    if "end_year" in demands and "start_year" in demands:
        both = demands["start_year"].notna() & demands["end_year"].notna()
        bad = (both & (demands["end_year"].fillna(0) < demands["start_year"].fillna(0))).to_numpy()
        out.add_rows(bad, demands, "end_year",
                     lambda v, i: f"end year {v} is before the start year "
                     f"{demands['start_year'].iat[i]}; correct one of the two years")
    problems += out.problems
    if ds.get("staff") is not None:
        problems += check_staff(ds, sources)
        problems += _staff_counts(ds, sources, placed["staff"], pairs, keys["staff"])
        problems += _surplus_in_staff(ds, sources)
    return problems


def _floats(series: pd.Series) -> np.ndarray:
    """A numeric column as floats, a missing cell as NaN (compares False)."""
    return pd.to_numeric(series, errors="coerce").astype(float).to_numpy()


def data_year(demands: pd.DataFrame) -> tuple[int, str]:
    """The data's year (the earliest start_year of the demands, as `Dataset.year`), or this
    calendar year when no demand gives one; with the words saying which."""
    if "start_year" in demands and demands["start_year"].notna().any():
        return int(demands["start_year"].min()), "the earliest start_year of the demands"
    return datetime.date.today().year, "this year: no demand gives a start_year"


def check_staff(ds: dict[str, pd.DataFrame], sources: dict[str, RawTable]) -> list[Problem]:
    """The staff register (在编人员): births and starts not after the data's year, nobody under
    16 in it, nobody starting work before birth (its head counts: `_staff_counts`, its
    surplus people: `_surplus_in_staff`)."""
    staff, source = ds["staff"], sources["staff"]
    out = _Collector(source)
    raw = source.frame
    year, why = data_year(ds["demands"])
    born = _floats(staff["birth_year"])
    late = born > year
    out.add_rows(late, raw, "birth",
                 lambda v, i: f"{_quote(v)}: born in {int(born[i])}, after the data's year "
                 f"{year} ({why}); check the year")
    young = ~late & (year - born < MIN_WORKING_AGE)
    out.add_rows(young, raw, "birth",
                 lambda v, i: f"{_quote(v)}: {year - int(born[i])} years old in the data's year "
                 f"{year} ({why}), under the working age of {MIN_WORKING_AGE}; check the year")
    start = _floats(staff["started_year"])
    late = start > year
    out.add_rows(late, raw, "started",
                 lambda v, i: f"{_quote(v)}: started work in {int(start[i])}, after the data's "
                 f"year {year} ({why}); check the year")
    before = ~late & (start * 12 + _floats(staff["started_month"])
                      < born * 12 + _floats(staff["birth_month"]))
    out.add_rows(before, raw, "started",
                 lambda v, i: f"{_quote(v)}: started work before birth "
                 f"({staff['birth'].iat[i]}); check the two cells")
    return out.problems


def _staff_counts(ds: dict[str, pd.DataFrame], sources: dict[str, RawTable],
                  placed: np.ndarray, pairs: _QuotaPairs, keys: np.ndarray) -> list[Problem]:
    """Each quota row's staff figure is the register's head count of that unit and type.

    Reported on the quotas row (the figure to correct, or the register). A unit some person
    of the register could not be placed in (an empty or unknown unit, a type that cannot be
    read or that the unit does not hold, an id given twice: reported already) is not
    compared. `placed`: the register's rows whose unit is in the units table; `keys`: their
    (unit_id, quota_type) pairs as `pairs` numbers them."""
    staff, quotas = ds["staff"], ds["quotas"]
    if not placed.all():
        return []  # an unplaced person could belong to any unit
    staff_units = staff["unit_id"].to_numpy(dtype=object)
    unsure = set(staff_units[staff["quota_type"].isna().to_numpy() | ~pairs.held(keys)])
    unsure |= set(quotas.loc[quotas["quota_type"].isna(), "unit_id"].dropna().tolist())
    have = pairs.counts(keys)
    figure = _floats(quotas["staff"])
    compare = (quotas["unit_id"].notna() & quotas["quota_type"].notna()).to_numpy() & ~np.isnan(
        figure)
    differ = compare & (have != np.where(np.isnan(figure), -1, figure))
    if differ.any():  # the units of an id given twice are not compared either
        ids = staff["person_id"]
        unsure |= set(staff.loc[ids.notna() & ids.duplicated(keep=False), "unit_id"].tolist())
        differ &= ~_isin(quotas["unit_id"], unsure)
    out = _Collector(sources["quotas"])
    register = sources["staff"].file + (f" [{sources['staff'].sheet}]"
                                        if sources["staff"].sheet else "")
    out.add_rows(differ, quotas, "staff",
                 lambda v, i: f"unit {_quote(quotas['unit_id'].iat[i])}, "
                 f"{quotas['quota_type'].iat[i]}: {have[i]} "
                 f"{'person' if have[i] == 1 else 'people'} in the staff table ({register}) "
                 f"but staff {int(figure[i])} in the quotas table; the register lists every "
                 "person counted in staff: correct the figure or the register")
    return out.problems


def _surplus_in_staff(ds: dict[str, pd.DataFrame], sources: dict[str, RawTable]
                      ) -> list[Problem]:
    """A surplus person (people) listed in the register under the same id is there at the
    same unit, quota type and gender."""
    people, staff = ds.get("people"), ds["staff"]
    if people is None:
        return []
    # the register's rows of the surplus people only (a few thousand of 1.4 million)
    listed_rows = staff[_isin(staff["person_id"], set(people["person_id"].dropna().tolist()))]
    first = listed_rows.drop_duplicates("person_id").set_index("person_id")
    out = _Collector(sources["people"])
    register = sources["staff"].file + (f" [{sources['staff'].sheet}]"
                                        if sources["staff"].sheet else "")
    listed = people["person_id"].isin(first.index).to_numpy()
    for column, what in (("unit_id", "unit"), ("quota_type", "quota type"),
                         ("gender", "gender")):
        there = people["person_id"].map(first[column])
        here = people[column]
        differ = listed & (here.notna() & there.notna() & (here != there)).to_numpy(dtype=bool)
        out.add_rows(differ, people, column,
                     lambda v, i, column=column, what=what, there=there:
                     f"person {_quote(people['person_id'].iat[i])} is in the staff table "
                     f"({register}, row {first.loc[people['person_id'].iat[i], ROW]}) with "
                     f"{what} {_quote(there.iat[i])}, here {_quote(v)}; a surplus person is "
                     f"one of their unit's staff: correct one of the two")
    return out.problems


def _did_you_mean(value: object, ids: pd.Index) -> str:
    """' (did you mean 'U05'?)' when an id differs from a known one only in case or width."""
    key = unicodedata.normalize("NFKC", str(value)).casefold()
    key = INVISIBLE_RE.sub("", key)
    for known in ids:  # only on the error path, and capped by MAX_PER_RULE
        if INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", str(known)).casefold()) == key:
            return f" (did you mean {_quote(known)}?)"
    return ""


def check_names(ds: dict[str, pd.DataFrame], sources: dict[str, RawTable]) -> list[Problem]:
    """A system, sector or region code has one name: the units' name columns and the `names`
    table may repeat it, never name it differently (which one would the committee read?)."""
    from solver.names import UNIT_NAME_COLUMNS

    given: list[tuple[str, str, str, str, int, str]] = []  # kind, code, name, table, row, col
    units = ds["units"]
    for column, (kind, code) in UNIT_NAME_COLUMNS.items():
        if column in units:  # each distinct (code, name) once, at its first row
            pairs = units[[code, column, ROW]].dropna()
            pairs = pairs.assign(**{column: pairs[column].astype(str).str.strip()})
            pairs = pairs[pairs[column] != ""].drop_duplicates([code, column])
            given += [(kind, str(c), n, "units", int(r), column)
                      for c, n, r in pairs.itertuples(index=False)]
    names = ds.get("names")
    if names is not None:
        for k, c, n, r in zip(names["kind"].tolist(), names["code"].tolist(),
                              names["name"].tolist(), names[ROW].tolist()):
            if isinstance(k, str) and isinstance(c, str) and isinstance(n, str):
                given.append((k, c, n.strip(), "names", int(r), "name"))
    given.sort(key=lambda g: (g[3] != "units", g[4]))  # in reading order: units, then names
    first: dict[tuple[str, str], tuple[str, str, int]] = {}
    problems: list[Problem] = []
    for kind, code, name, table, row, column in given:
        seen = first.setdefault((kind, code), (name, table, row))
        if seen[0] != name:
            source = sources[table]
            problems.append(Problem(
                f"{kind} {_quote(code)} is named {_quote(name)} here but {_quote(seen[0])} in "
                f"{sources[seen[1]].file} row {seen[2]}; give each code one name",
                file=source.file, sheet=source.sheet, row=row, column=column))
    return problems


def check_parent_cycles(units: pd.DataFrame, source: RawTable) -> list[Problem]:
    """No unit is its own parent department, directly or through a chain of parents."""
    ids = units["unit_id"].to_numpy(dtype=object)
    position = pd.Series(np.arange(len(ids)), index=pd.Index(ids))
    position = position[~position.index.duplicated()]
    parent = units["parent_id"].map(position).fillna(-1).to_numpy(dtype=np.int64)
    # Jump 2^k parents at once: a unit still above some unit after n steps is on a cycle or
    # below one (n = the number of units); log2(n) vectorised steps instead of a walk per unit.
    jump = parent.copy()
    steps = 1
    while steps < len(ids) + 1:
        jump = np.where(jump >= 0, jump[np.maximum(jump, 0)], -1)
        steps *= 2
    looping = np.flatnonzero(jump >= 0)
    out = _Collector(source)
    done: set[int] = set()
    for start in looping:  # walk from each looping unit until the path meets itself or a walk
        path, on_path, node = [], {}, int(start)
        while node not in on_path and node not in done:
            on_path[node] = len(path)
            path.append(node)
            node = int(parent[node])
        done.update(path)
        if node not in on_path:
            continue  # joined a cycle already reported
        cycle = path[on_path[node]:]
        first = min(cycle, key=lambda k: int(units[ROW].iat[k]))
        k = cycle.index(first)
        cycle = cycle[k:] + cycle[:k]
        names = [str(ids[c]) for c in cycle]
        if len(cycle) == 1:
            message = (f"unit {_quote(names[0])} is its own parent department (a parent "
                       f"cycle {names[0]} → {names[0]}); leave parent_id empty or name the "
                       "department it belongs to")
        else:
            rows = ", ".join(str(int(units[ROW].iat[c])) for c in cycle)
            message = (f"parent departments form a cycle: {' → '.join(names + names[:1])} "
                       f"(rows {rows}); a unit cannot be above itself: correct one parent_id")
        out.add(message, row=int(units[ROW].iat[first]), column="parent_id")
    return out.problems


def check_warnings(ds: dict[str, pd.DataFrame], sources: dict[str, RawTable],
                   leaders: LeaderRules = DEFAULT_RULES) -> list[Problem]:
    """Leader posts above their limit (provincial limits by size; a share of the quota for
    kinds without bands: "官多兵少"); lapsed units still holding staff."""
    units, quotas = ds["units"], ds["quotas"]
    out = _Collector(sources["units"])
    staff = quotas.groupby("unit_id")["staff"].sum()
    check = leader_check(units, quotas, leaders)
    out.add_rows(check["over"].to_numpy(), units, "leader_posts",
                 lambda v, i: f"unit {units['unit_id'].iat[i]} has {v} leader posts for "
                 f"{int(check['approved'].iat[i])} approved quotas, above "
                 f"{leaders.basis(check['kind'].iat[i], int(check['approved'].iat[i]))}; "
                 "官多兵少",
                 severity="warning")
    unit_staff = units["unit_id"].map(staff).fillna(0).to_numpy()
    lapsed = (units["function_status"] == "lapsed").to_numpy() & (unit_staff > 0)
    out.add_rows(lapsed, units, "function_status",
                 lambda v, i: f"unit {units['unit_id'].iat[i]} has lapsed functions but still "
                 f"holds {int(unit_staff[i])} staff; its vacant quotas go to the pool",
                 severity="warning")
    return out.problems


def split_tags(text: str) -> list[str]:
    """'a; b；c' → ['a', 'b', 'c'] (planners separate with ; or ；)."""
    if not text:
        return []
    parts = str(text).replace("；", ";").replace("，", ";").replace(",", ";").split(";")
    return [p.strip() for p in parts if p.strip()]


def _checksum(raw: RawInputs) -> str:
    digest = hashlib.sha256()
    for name, data in sorted(raw.checksum_parts):
        digest.update(name.encode())
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def validate(raw: RawInputs, leaders: LeaderRules = DEFAULT_RULES) -> Dataset:
    """Check every table and cross-reference; raise InputError with all problems.

    `leaders`: the leader-post limits the warnings use (a scenario's `leader_posts`)."""
    problems = list(raw.problems)
    typed: dict[str, pd.DataFrame] = {}
    for name, table in TABLES.items():
        if name not in raw.tables:
            continue
        frame, found = check_table(raw.tables[name], table)
        problems += found
        if frame is not None:
            typed[name] = frame
    if all(t in typed for t in ("units", "quotas", "demands")):
        problems += check_references(typed, raw.tables)
    if "units" in typed:
        problems += check_names(typed, raw.tables)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise InputError(errors, header=f"{len(errors)} problem{'s' if len(errors) > 1 else ''} "
                         f"in {raw.path}")
    warnings = [p for p in problems if p.severity == "warning"]
    warnings += check_warnings(typed, raw.tables, leaders)
    units = typed["units"]
    units["function_status"] = units["function_status"].fillna("active")
    staff = typed.get("staff")
    if staff is not None:
        staff["category"] = staff["category"].fillna("cadre")
    return Dataset(
        path=raw.path,
        units=units,
        quotas=typed["quotas"],
        demands=typed["demands"],
        pool=typed.get("pool"),
        people=typed.get("people"),
        task_groups=typed.get("task_groups"),
        aux_positions=typed.get("aux_positions"),
        staff=staff,
        names=typed.get("names"),
        sources=raw.tables,
        warnings=warnings,
        checksum=_checksum(raw),
        files={name: hashlib.sha256(data).hexdigest() for name, data in raw.checksum_parts},
        leaders=leaders,
    )


def load(path: str | Path, leaders: LeaderRules = DEFAULT_RULES) -> Dataset:
    """Read and validate the inputs at `path` (a CSV folder or an .xlsx workbook); `leaders`
    are the leader-post limits of the warnings (the defaults without a scenario)."""
    raw = read_inputs(path)
    fatal = [p for p in raw.problems if p.severity == "error"]
    if fatal and not raw.tables:
        raise InputError(fatal, header=f"{len(fatal)} problem{'s' if len(fatal) > 1 else ''} "
                         f"in {raw.path}")
    return validate(raw, leaders)


def load_plan_workbook(path: str | Path) -> dict[str, pd.DataFrame]:
    """Read a plan workbook (plan.xlsx, Chinese or English) back into typed plan tables."""
    from solver.domain import PLAN_TABLES
    from solver.io.read import grid_to_table, xlsx_grids

    path = Path(path)
    aliases = {normalise(a): name for name, t in PLAN_TABLES.items()
               for a in (t.name, t.zh, *t.aliases)}
    problems: list[Problem] = []
    out: dict[str, pd.DataFrame] = {}
    for sheet, (rows, numbers) in xlsx_grids(path).items():
        name = aliases.get(normalise(sheet))
        if name is None:
            continue
        raw, found = grid_to_table(rows, numbers, PLAN_TABLES[name], path.name, sheet)
        problems += found
        if raw is None:
            continue
        typed, found = check_table(raw, PLAN_TABLES[name])
        problems += found
        if typed is not None:
            out[name] = typed.drop(columns=[ROW])
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise InputError(errors, header=f"{len(errors)} problems in {path}")
    return out
