"""Corrupted CSV folders through `bianzhi inventory` (the cheap bulk of the cases).

Each case writes a small valid data set with one corruption (fz_corrupt.py) to a fresh folder,
runs `bianzhi inventory DIR --json` in-process and judges the outcome (fz_harness.py): exit
0/2/3 only, a message naming file, row and column, nothing on disk changed, and — when the
input is accepted — the stock-take figures the input means (a misread number fails here).
"""

from __future__ import annotations

from hypothesis import strategies as st

from fz_corrupt import corrupted
from fz_harness import Expect, case_root, cleanup, figures_check, run_and_judge
from fz_settings import fuzz
from fz_tables import datasets, write_folder


def describe(ds, expect: Expect) -> dict:
    return {"corruption": expect.kind, "what": expect.what,
            "tables": {n: t.file for n, t in ds.tabs.items()}}


@fuzz(0.58, corrupted(datasets()), st.booleans(), shards=True)
def test_corrupted_csv_folder_inventory(case, as_json):
    ds, expect = case
    root = case_root()
    try:
        data = root / "data"
        write_folder(ds, data)
        expect.checks = [figures_check(ds.expected())] if as_json else []
        args = ["inventory", str(data)] + (["--json"] if as_json else [])
        run_and_judge(root, args, expect, describe(ds, expect))
    finally:
        cleanup(root)


@fuzz(0.03, datasets(), shards=True)
def test_valid_csv_folder_inventory(ds):
    """The uncorrupted data sets are read as they are (the baseline of every corruption)."""
    root = case_root()
    try:
        write_folder(ds, root / "data")
        expect = Expect(must_accept=True, checks=[figures_check(ds.expected())],
                        what="valid data set", kind="valid")
        run_and_judge(root, ["inventory", str(root / "data"), "--json"], expect,
                      describe(ds, expect))
    finally:
        cleanup(root)
