"""(unit, quota type) pairs looked up as integers (solver/keys.py) against a plain dict."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from solver.keys import pair_rows

cells = st.sampled_from(["u1", "u2", "u10", "", None, "行政"])


@given(st.lists(st.tuples(cells, cells), max_size=12), st.lists(st.tuples(cells, cells),
                                                                 max_size=12))
def test_pair_rows_is_the_first_matching_row(mine, theirs):
    first: dict[tuple, int] = {}
    for i, pair in enumerate(theirs):
        if None not in pair:
            first.setdefault(pair, i)
    want = [first.get(pair, -1) if None not in pair else -1 for pair in mine]
    frame = pd.DataFrame(mine, columns=["u", "t"], dtype=object)
    other = pd.DataFrame(theirs, columns=["u", "t"], dtype=object)
    got = pair_rows(frame["u"], frame["t"], other["u"], other["t"])
    assert got.dtype == np.intp and got.tolist() == want


def test_pairs_of_str_columns_and_lists():
    frame = pd.DataFrame({"u": ["a", "b", "c"], "t": ["x", "y", "x"]}, dtype="str")
    assert pair_rows(frame["u"], frame["t"], ["c", "a", "a"], ["x", "x", "y"]).tolist() == \
        [1, -1, 0]
