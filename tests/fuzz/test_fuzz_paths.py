"""What is not a file where a file is expected: a directory, a FIFO, a dangling or looping
symlink named like a table, or given as the data path — exit 2 naming the path, never a hang
or exit 1."""

from __future__ import annotations

import os

from hypothesis import strategies as st

from fz_harness import Expect, case_root, cleanup, run_and_judge
from fz_settings import fuzz
from fz_tables import datasets, write_folder


@fuzz(0.02, datasets(people=False, aux=False),
      st.sampled_from(["dir", "fifo", "dangling", "loop", "empty", "unreadable"]),
      st.sampled_from(["units", "demands", "pool", "data_path", "xlsx_path"]), shards=True)
def test_not_a_file(ds, what, where):
    root = case_root()
    try:
        data = root / "data"
        write_folder(ds, data)
        if where == "data_path":
            target = root / "data2"
        elif where == "xlsx_path":
            target = root / "data.xlsx"
        else:
            tab = ds.tabs.get(where) or ds.tabs["units"]
            target = data / tab.file
            if target.exists():
                target.unlink()
        if what == "dir":
            target.mkdir()
        elif what == "fifo":
            os.mkfifo(target)
        elif what == "dangling":
            target.symlink_to(root / "nowhere.csv")
        elif what == "loop":
            target.symlink_to(target)
        elif what == "empty":
            target.write_bytes(b"")
        else:
            target.write_text("unit_id\n", encoding="utf-8")
            target.chmod(0)
        arg = target if where in ("data_path", "xlsx_path") else data
        expect = Expect(where="file", files=[target.name], must_refuse=what != "dir" or
                        where not in ("data_path",), what=f"{where} is a {what}", kind=what)
        if what == "dir" and where == "data_path":
            expect.must_refuse = True  # an empty folder: no units table
        if os.geteuid() == 0 and what == "unreadable":
            return  # root reads everything
        run_and_judge(root, ["inventory", str(arg), "--json"], expect,
                      {"path": where, "is": what})
    finally:
        for p in root.rglob("*"):
            try:
                p.chmod(0o700) if not p.is_symlink() else None
            except OSError:
                pass
        cleanup(root)
