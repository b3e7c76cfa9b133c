"""The column-wise CSV text of a table is pandas' `to_csv(index=False, lineterminator="\\n")`,
byte for byte, on the plan folder's tables and on random tables with awkward values."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver.io.csvtext import csv_text, int_texts

PANDAS = {"index": False, "lineterminator": "\n"}

texts = st.one_of(
    st.sampled_from(["", " ", "a,b", 'say "hi"', "two\nlines", "cr\rhere", "巴中市，巴州区",
                     "0012", "1e5", "NaN", "None", ",", '"']),
    st.text(max_size=8),
)


@st.composite
def columns(draw, n: int):
    kind = draw(st.sampled_from(["int", "bigint", "uint", "float", "bool", "text", "object",
                                 "Int64", "str", "boolean"]))
    if kind == "int":
        return np.array(draw(st.lists(st.integers(-70_000, 70_000), min_size=n, max_size=n)),
                        dtype=np.int64)
    if kind == "bigint":
        return np.array(draw(st.lists(st.integers(-2**63, 2**63 - 1), min_size=n, max_size=n)),
                        dtype=np.int64)
    if kind == "uint":
        return np.array(draw(st.lists(st.integers(0, 2**64 - 1), min_size=n, max_size=n)),
                        dtype=np.uint64)
    if kind == "float":
        return np.array(draw(st.lists(st.floats(allow_nan=True, allow_infinity=True),
                                      min_size=n, max_size=n)), dtype=np.float64)
    if kind == "bool":
        return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    if kind == "text":
        return np.array(draw(st.lists(texts, min_size=n, max_size=n)), dtype=object)
    if kind == "object":
        value = st.one_of(texts, st.none(), st.just(float("nan")), st.integers(-5, 5),
                          st.floats(allow_nan=False), st.booleans(), st.just(pd.NA))
        out = np.empty(n, dtype=object)
        out[:] = draw(st.lists(value, min_size=n, max_size=n))
        return out
    if kind == "Int64":
        return pd.array(draw(st.lists(st.one_of(st.none(), st.integers(-9, 9)), min_size=n,
                                      max_size=n)), dtype="Int64")
    if kind == "boolean":
        return pd.array(draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n,
                                      max_size=n)), dtype="boolean")
    return pd.array(draw(st.lists(st.one_of(st.none(), texts), min_size=n, max_size=n)),
                    dtype="str")


@st.composite
def frames(draw):
    n = draw(st.integers(0, 6))
    width = draw(st.integers(1, 5))
    names = draw(st.lists(texts, min_size=width, max_size=width))
    return pd.DataFrame({k: draw(columns(n)) for k in range(width)}).set_axis(names, axis=1)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_random_tables_are_written_as_pandas_writes_them(frame):
    assert csv_text(frame) == frame.to_csv(**PANDAS)


def test_plan_tables_are_written_as_pandas_writes_them():
    """Every table of the bundled five-year plan, and of each of its years."""
    from solver.runner import checked_plan, load_data
    from solver.scenario import load_scenario

    scenario = load_scenario(REPO / "scenarios" / "fourteenth-five-year.yaml")
    plan = checked_plan(scenario, load_data(scenario), with_marginals=False)
    for year, tables in [(None, plan.tables()), *plan.year_tables()]:
        for name, frame in tables.items():
            assert csv_text(frame) == frame.to_csv(**PANDAS), (year, name)


def test_quoting_and_numbers():
    frame = pd.DataFrame({"id": ["a", "b,c", 'd"e'], "n": [0, -1, 70_000],
                          "x": [1.5, np.nan, 1e16], "ok": [True, False, True]})
    assert csv_text(frame) == ('id,n,x,ok\na,0,1.5,True\n"b,c",-1,,False\n'
                               '"d""e",70000,1e+16,True\n')


def test_integers_spelt_by_lookup_and_beyond_it():
    small = np.array([3, 0, 3, -2], dtype=np.int64)
    assert int_texts(small) == ["3", "0", "3", "-2"]
    wide = np.array([0, 1 << 40, -(1 << 62)], dtype=np.int64)
    assert int_texts(wide) == ["0", str(1 << 40), str(-(1 << 62))]
    top = np.array([2**64 - 1, 2**64 - 2], dtype=np.uint64)
    assert int_texts(top) == [str(2**64 - 1), str(2**64 - 2)]
