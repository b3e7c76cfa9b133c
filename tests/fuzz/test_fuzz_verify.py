"""Tampered plan folders through `bianzhi verify PLAN`: a plan written by `bianzhi run` (once
per session) is copied and one of its files edited — a row deleted, duplicated or changed,
summary.json truncated or replaced, the recorded policy weakened, a file removed or its bytes
broken. A tampered plan is exit 3 with a message naming the file; never exit 1 or 0, and
verify writes nothing."""

from __future__ import annotations

import csv
import io
import json
import shutil

from hypothesis import strategies as st

from fz_harness import Expect, case_root, cleanup, earlier_plan, run_and_judge
from fz_settings import fuzz


def _rows(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def _write(path, rows):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


@st.composite
def tampers(draw):
    return draw(st.sampled_from([
        ("delete_row", "demands.csv"), ("delete_row", "units.csv"), ("delete_row", "moves.csv"),
        ("delete_row", "pool.csv"), ("delete_row", "assignments.csv"),
        ("delete_row", "aux_plan.csv"), ("duplicate_row", "demands.csv"),
        ("duplicate_row", "units.csv"), ("duplicate_row", "moves.csv"),
        ("change", "demands.csv:amount"), ("change", "demands.csv:tier"),
        ("change", "demands.csv:unit_id"), ("change", "demands.csv:met"),
        ("change", "units.csv:approved_after"), ("change", "units.csv:approved_before"),
        ("change", "moves.csv:amount"), ("change", "pool.csv:balance_after"),
        ("ghost_row", "units.csv"), ("garbage", "demands.csv:met"),
        ("garbage", "units.csv:staff_after"), ("truncate", "summary.json"),
        ("replace", "summary.json"), ("policy", "summary.json"), ("remove", "moves.csv"),
        ("remove", "demands.csv"), ("remove", "summary.json"), ("bytes", "units.csv"),
        ("bytes", "summary.json"), ("nan", "summary.json"),
    ])), draw(st.integers(0, 10**6)), draw(st.sampled_from(
        ["[]", "null", "1", "{}", '{"scenario": 5}', '{"scenario": {}, "inputs": 1}', ""]))


@fuzz(0.05, tampers())
def test_tampered_plan_verify(case):
    (kind, target), n, replacement = case
    root = case_root()
    try:
        plan = root / "plan"
        shutil.copytree(earlier_plan(), plan)
        name, _, column = target.partition(":")
        path = plan / name
        # a malformed file must be named; a rule violation names what breaks the rule
        malformed = kind in ("truncate", "replace", "bytes", "garbage", "nan", "remove")
        expect = Expect(where="file", files=[name] if malformed else [], must_refuse=True,
                        codes=(2, 3) if kind == "remove" else (3,), what=f"{kind} {target}",
                        kind=kind)
        if kind in ("delete_row", "duplicate_row", "change", "ghost_row", "garbage"):
            rows = _rows(path)
            if len(rows) < 2:
                return  # nothing to tamper with in this plan
            i = 1 + n % (len(rows) - 1)
            if kind == "delete_row":
                del rows[i]
            elif kind == "duplicate_row":
                rows.insert(i, list(rows[i]))
            elif kind == "ghost_row":
                ghost = list(rows[i])
                ghost[0] = "GHOST01"
                rows.append(ghost)
            else:
                j = rows[0].index(column)
                old = rows[i][j]
                if kind == "garbage":
                    new = ["abc", "1e309", "-1", "nan", "", "1,5"][n % 6]
                elif old.lstrip("-").isdigit():
                    new = str(int(old) + 1 + n % 3)
                elif column == "tier":
                    new = {"key": "operational"}.get(old, "key")
                else:
                    new = old + "X"
                rows[i][j] = new
                expect.what += f" {old!r} -> {new!r}"
            _write(path, rows)
        elif kind == "truncate":
            data = path.read_bytes()
            path.write_bytes(data[: n % max(1, len(data) - 1)])
        elif kind == "replace":
            path.write_text(replacement, encoding="utf-8")
            expect.what += f" by {replacement!r}"
        elif kind == "policy":
            summary = json.loads(path.read_text(encoding="utf-8"))
            summary["scenario"]["policy"]["reserve_rate"] = 0.0
            path.write_text(json.dumps(summary), encoding="utf-8")
            expect.files = ["summary.json", "scenario.yaml", "reserve_rate"]
        elif kind == "remove":
            path.unlink()
        elif kind == "bytes":
            data = bytearray(path.read_bytes())
            data[n % len(data)] = 0xFF
            path.write_bytes(bytes(data))
        elif kind == "nan":
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace('"reserve_rate": 0.05', '"reserve_rate": NaN'),
                            encoding="utf-8")
        run_and_judge(root, ["verify", str(plan)], expect,
                      {"tamper": kind, "target": target, "what": expect.what}, out=None)
    finally:
        cleanup(root)
