"""A table as CSV text, column by column: the bytes `DataFrame.to_csv(index=False,
lineterminator="\\n")` writes, in a fraction of its time.

pandas hands its csv writer one row at a time, as Python objects; at province scale the plan
folder's CSVs (a five-year ledger of 300,000 rows and 31 columns, the years table, the
retirements) took seconds. Here every column becomes its cells' text at once (numbers through
numpy, as pandas formats them) and the rows are joined from the columns. A cell is quoted as
the csv module quotes it (QUOTE_MINIMAL: a comma, a quote or a line break inside; quotes
doubled). Tables this does not cover — a text with a carriage return, a one-column table
(whose empty cells the csv module writes as ""), a column of a kind not listed below — are left
to pandas, so the text is always pandas' own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


_LOOKUP_SPAN = 1 << 16  # integers within this span are spelt by a table of their texts


def int_texts(values: np.ndarray) -> list[str]:
    """`str` of each integer of an array. Counts in these tables are small and repeat (0, 1,
    2 …): within a span of 65,536 each distinct number is spelt once and the texts taken by
    index, ~10× quicker than `str` per cell."""
    if values.size == 0:
        return []
    low, high = values.min(), values.max()
    if int(high) - int(low) >= _LOOKUP_SPAN:
        return list(map(str, values.tolist()))
    spelt = np.array([str(i) for i in range(int(low), int(high) + 1)], dtype=object)
    return spelt[(values - low).astype(np.intp)].tolist()


class _Pandas(Exception):
    """This table is left to pandas."""


def _quoted(texts: list[str]) -> list[str]:
    """The cells of a column as the csv module writes them (QUOTE_MINIMAL, lineterminator
    "\\n"); a carriage return is left to pandas."""
    joined = "\x00".join(texts)
    if "\r" in joined:
        raise _Pandas
    if "," not in joined and '"' not in joined and "\n" not in joined:
        return texts
    return ['"' + t.replace('"', '""') + '"' if ("," in t or '"' in t or "\n" in t) else t
            for t in texts]


def _object_texts(values: np.ndarray) -> list[str]:
    """Cells of an object column: text as given, missing (None, NaN, NA) empty, numbers and
    others as pandas' csv writer shows them (str, repr for floats)."""
    out = values.tolist()
    if pd.api.types.infer_dtype(values, skipna=False) == "string":  # all text (a C loop)
        return out
    missing = pd.isna(values)
    texts = []
    for v, m in zip(out, missing.tolist()):
        if m:
            texts.append("")
        elif type(v) is str:
            texts.append(v)
        elif isinstance(v, float):
            texts.append(repr(v))
        elif isinstance(v, (bool, int, np.integer, np.bool_, np.floating)):
            texts.append(str(v))
        else:
            raise _Pandas  # dates, tuples …: pandas' own conversion
    return texts


def _column_texts(series: pd.Series) -> list[str]:
    dtype = series.dtype
    if isinstance(dtype, np.dtype):
        values = series.to_numpy()
        if dtype.kind in "iu":
            return int_texts(values)
        if dtype.kind == "b":
            return np.where(values, "True", "False").tolist()
        if dtype.kind == "f":
            texts = values.astype(str)
            texts[np.isnan(values)] = ""
            return texts.tolist()
        if dtype.kind == "O":
            return _quoted(_object_texts(values))
        raise _Pandas
    if isinstance(dtype, pd.StringDtype) or pd.api.types.is_integer_dtype(dtype) \
            or pd.api.types.is_bool_dtype(dtype):
        return _quoted(_object_texts(series.astype(object).to_numpy()))
    raise _Pandas  # categorical, datetimes, nullable floats …


def csv_text(frame: pd.DataFrame) -> str:
    """`frame.to_csv(index=False, lineterminator="\\n")`, column by column."""
    try:
        if frame.shape[1] < 2 or not frame.columns.is_unique:
            raise _Pandas
        header = _quoted([str(c) for c in frame.columns])
        if frame.empty:
            return ",".join(header) + "\n"
        columns = [_column_texts(series) for _, series in frame.items()]
    except _Pandas:
        return frame.to_csv(index=False, lineterminator="\n")
    rows = map(",".join, zip(*columns))
    return ",".join(header) + "\n" + "\n".join(rows) + "\n"


def write_csv(frame: pd.DataFrame, path) -> None:
    """Write `frame` to `path` as `to_csv(index=False, lineterminator="\\n")` would (UTF-8)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(csv_text(frame))
