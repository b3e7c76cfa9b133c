"""Corrupted data through `bianzhi run DATA --out OUT`, with OUT anything a user may type:
a new folder, an earlier plan (may be replaced), the data folder, a folder holding the data,
a folder of other documents, an ordinary file, `.` (refused, nothing on disk touched).

A plan written (exit 0) must verify (`bianzhi verify OUT` exits 0), its summary.json must be
strict JSON and plan.xlsx must hold no formula (text that starts with = + - @ is text)."""

from __future__ import annotations

import os
import shutil

from hypothesis import strategies as st

from fz_corrupt import corrupted
from fz_harness import case_root, cleanup, earlier_plan, run_and_judge
from fz_settings import fuzz
from fz_tables import datasets, write_folder

REPO = os.getcwd()
SAFE_OUT = ("new", "new", "new", "new", "earlier_plan")
UNSAFE_OUT = ("data", "holds_data", "documents", "file", "dot")


@fuzz(0.04, corrupted(datasets()), st.sampled_from(SAFE_OUT + UNSAFE_OUT))
def test_run_out(case, where):
    ds, expect = case
    root = case_root()
    cwd = os.getcwd()
    try:
        data = root / "data"
        write_folder(ds, data)
        out = {"new": root / "plan", "earlier_plan": root / "plan", "data": data,
               "holds_data": root, "documents": root / "docs", "file": root / "plan.txt",
               "dot": root}[where]
        if where == "earlier_plan":
            shutil.copytree(earlier_plan(), out)
        elif where == "documents":
            out.mkdir()
            (out / "会议纪要.docx").write_bytes(b"PK\x03\x04 minutes")
            (out / "notes.txt").write_text("keep me", encoding="utf-8")
        elif where == "file":
            out.write_text("not a plan", encoding="utf-8")
        out_arg = str(out)
        if where == "dot":
            os.chdir(root)
            out_arg = "."
        if where in UNSAFE_OUT:
            expect.must_refuse, expect.must_accept = True, False
            expect.files = expect.files + [out.name, out_arg if where == "dot" else str(out)]
            expect.where, expect.row = "file", None
            # the --out refusal comes first, before the data is read (and warned about)
            expect.mentions, expect.anyway_mentions = [], []
            expect.what = f"{expect.what}; --out is {where}"
        args = ["run", str(data), "--out", out_arg] + (["--no-marginals"] if len(ds.tabs) > 4
                                                        else [])
        run_and_judge(root, args, expect,
                      {"corruption": expect.kind, "what": expect.what, "out": where},
                      out=out, out_may_change=where in SAFE_OUT)
    finally:
        os.chdir(cwd)
        cleanup(root)
