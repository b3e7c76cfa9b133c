"""Corrupted .xlsx workbooks through `bianzhi inventory`: merged cells, formulas without a
computed value, booleans, error cells, dates and floats in number columns, hidden sheets, and
the table corruptions of the CSV cases on sheets."""

from __future__ import annotations


from hypothesis import reject
from openpyxl.utils.exceptions import IllegalCharacterError

from fz_corrupt import corrupted_workbook
from fz_harness import case_root, cleanup, figures_check, run_and_judge
from fz_settings import fuzz
from fz_tables import datasets, write_workbook


@fuzz(0.10, corrupted_workbook(datasets(people=False)), shards=True)
def test_corrupted_workbook_inventory(case):
    ds, expect, edit = case
    root = case_root()
    try:
        book = root / "data.xlsx"
        try:
            write_workbook(ds, book, edit)
        except IllegalCharacterError:
            reject()  # a workbook cannot hold this cell (openpyxl refuses control characters)
        expect.files = [book.name]
        expect.checks = [figures_check(ds.expected())]
        run_and_judge(root, ["inventory", str(book), "--json"], expect,
                      {"corruption": expect.kind, "what": expect.what, "book": book.name})
    finally:
        cleanup(root)
