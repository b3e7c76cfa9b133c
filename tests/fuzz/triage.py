"""Group the failures recorded with BIANZHI_FUZZ_COLLECT into classes: one line per class
with its count and one example (`python tests/fuzz/triage.py /tmp/f.jsonl`)."""

from __future__ import annotations

import collections
import json
import re
import sys


def signature(record: dict) -> str:
    """A failure's class: the test's corruption kind, what it was, and the failures, with
    numbers, paths and quoted values left out."""
    case = record["case"]
    kind = case.get("corruption") or case.get("tamper") or case.get("is") or "scenario"
    what = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "…", str(case.get("what", ""))[:60])
    fails = [re.sub(r"\d+|/[^ ,]+|'[^']*'", "#", f)[:90] for f in record["fails"]]
    return f"[{record['args'][0]} {kind}] {what} :: {' | '.join(sorted(set(fails)))}"


def main(path: str) -> None:
    counts: collections.Counter = collections.Counter()
    example: dict[str, dict] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            sig = signature(record)
            counts[sig] += 1
            example.setdefault(sig, record)
    for sig, n in counts.most_common():
        r = example[sig]
        print(f"{n:5d}  {sig}")
        print(f"       exit {r['code']}: {r['stderr'][-200:]!r}")


if __name__ == "__main__":
    main(sys.argv[1])
