"""Run the real `bianzhi` command in-process and judge the outcome (the fuzz oracle).

Every case runs `solver.cli.main([...])` in this interpreter (no subprocess: thousands of cases
must fit in a few minutes), with stdout and stderr captured, under a SIGALRM guard, and with a
snapshot of every file under the case's root folder taken before and compared after.

The oracle (README.md in this folder):
- exit 0, 2 or 3 only; never 1 (internal error), a traceback, or a run past the time limit;
- exit 2/3: the message names a file of the case (or `--set`) and a row and a column, or a
  key path, as the case's `where` asks;
- no raw control or invisible character in a message (they are shown escaped);
- nothing on disk changes outside `--out`; a refused `--out` changes nothing at all;
- `run` exit 0: the plan folder verifies (`bianzhi verify OUT` exits 0), summary.json is
  strict JSON, and no cell of plan.xlsx is a formula.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

# Everything a command imports lazily is imported here, once, so that no case pays for it
# under the timer (importing the solvers takes seconds on a busy machine).
import openpyxl  # noqa: E402,F401
import solver.inventory  # noqa: E402,F401
import solver.plan  # noqa: E402,F401
import solver.quotas.engine  # noqa: E402,F401
import solver.report.html  # noqa: E402,F401
import solver.runner  # noqa: E402,F401
import solver.scenario  # noqa: E402,F401
import solver.validate  # noqa: E402,F401
from solver.cli import main

CASE_SECONDS = float(os.environ.get("BIANZHI_FUZZ_TIMEOUT", "8"))

# Counters for the terminal summary (conftest.py): how many cases ran, per command, and how long.
STATS: dict[str, float] = {"cases": 0, "seconds": 0.0}


class Hang(BaseException):
    """Raised by SIGALRM: a BaseException so that the CLI's `except Exception` cannot eat it."""


@dataclass
class Outcome:
    """What one command did."""

    args: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float
    hung: bool = False
    exception: str = ""  # an exception that escaped main() other than SystemExit


def _alarm(signum, frame):  # noqa: ARG001 - signal handler signature
    raise Hang()


STUCK_GRACE = 30.0


def _stuck(args: list[str]) -> None:
    sys.__stderr__.write(
        f"\nbianzhi fuzz: `bianzhi {' '.join(args)[:500]}` is still running "
        f"{CASE_SECONDS + STUCK_GRACE:g}s after it started, stuck where the timer cannot stop "
        "it (C code); ending the test process\n")
    sys.__stderr__.flush()
    os._exit(70)


TRACE = os.environ.get("BIANZHI_FUZZ_TRACE")  # a file: each command is appended before it runs


def call(args: list[str], timeout: float = CASE_SECONDS) -> Outcome:
    """`bianzhi ARGS` in-process: exit code, captured output, guarded by a timer."""
    if TRACE:
        with open(TRACE, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(args, ensure_ascii=True)[:3000] + "\n")
    out, err = io.StringIO(), io.StringIO()
    code, hung, escaped = 0, False, ""
    # SIGALRM cannot stop code stuck in a C extension; past a grace period the watchdog ends
    # the process with a message naming the case rather than let CI hang or eat the memory
    watchdog = threading.Timer(timeout + STUCK_GRACE, _stuck, args=(list(args),))
    watchdog.daemon = True
    watchdog.start()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except Hang:
                hung, code = True, -1
            except BaseException as exc:  # noqa: BLE001 - any escape is a finding
                escaped = f"{exc.__class__.__name__}: {exc}"
                code = -2
    except Hang:  # the alarm fired while leaving the redirects
        hung, code = True, -1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        watchdog.cancel()
    seconds = time.perf_counter() - start
    STATS["cases"] += 1
    STATS["seconds"] += seconds
    STATS[args[0]] = STATS.get(args[0], 0) + 1
    return Outcome(list(args), code, out.getvalue(), err.getvalue(), seconds, hung, escaped)


# ---------------------------------------------------------------- files on disk


def snapshot(root: Path, skip: Path | None = None) -> dict[str, tuple]:
    """Every entry under root (but not under `skip`): kind, size, mtime and content hash."""
    state: dict[str, tuple] = {}
    skip_s = str(skip) if skip is not None else None
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        if skip_s is not None and (dirpath == skip_s or dirpath.startswith(skip_s + os.sep)):
            dirnames[:] = []
            continue
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            if skip_s is not None and (p == skip_s or p.startswith(skip_s + os.sep)):
                continue
            st = os.lstat(p)
            if os.path.islink(p):
                state[p] = ("link", os.readlink(p))
            elif os.path.isdir(p):
                state[p] = ("dir", st.st_mode)
            elif os.path.isfile(p):
                with open(p, "rb") as fh:
                    digest = hashlib.sha256(fh.read()).hexdigest()
                state[p] = ("file", st.st_size, st.st_mtime_ns, digest)
            else:
                state[p] = ("other", st.st_mode)
    return state


def diff(before: dict[str, tuple], after: dict[str, tuple]) -> list[str]:
    """Paths created, removed or changed between two snapshots."""
    changes = []
    for p in sorted(set(before) | set(after)):
        if p not in after:
            changes.append(f"removed {p}")
        elif p not in before:
            changes.append(f"created {p}")
        elif before[p] != after[p]:
            changes.append(f"changed {p}")
    return changes


# ---------------------------------------------------------------- the oracle

# what a message's location looks like (solver/errors.py: "FILE [SHEET], row N, column C: …")
ROW_RE = re.compile(r"\brow (\d+)")
INVISIBLE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060"
                          "\ufeff\ufffe]")


@dataclass
class Expect:
    """What a case requires beyond the general oracle.

    where: what an exit-2 message must name besides the file: "cell" (a row and a column),
      "row", "file", or "key" (a key path: the scenario file or --set and a dotted key).
    files: names of which at least one must appear in an exit-2/3 message.
    must_refuse: the input is invalid: exit 0 is a failure (a silent misreading).
    must_accept: the input is valid: exit 2 is a failure.
    mentions: fragments every non-zero outcome must contain (e.g. 'formula', 'cycle').
    anyway_mentions: fragments the output must contain whatever the exit code (e.g. a warning).
    checks: callables (inventory json) -> list of problems, run when exit is 0.
    """

    where: str = "cell"
    files: list[str] = field(default_factory=list)
    must_refuse: bool = False
    must_accept: bool = False
    mentions: list[str] = field(default_factory=list)
    anyway_mentions: list[str] = field(default_factory=list)
    checks: list = field(default_factory=list)
    what: str = ""
    row: int | None = None  # the row (as the user sees it) a refusal must name
    key: str = ""  # the dotted key path a refusal must name (where="key")
    codes: tuple = (2, 3)  # the exit codes a refusal may have
    kind: str = ""


def located(stderr: str, expect: Expect) -> bool:
    """Whether some line of the message names a file of the case and the place asked for."""
    files = expect.files
    for line in stderr.splitlines():
        if files and not any(f in line for f in files):
            continue
        if expect.row is not None and f"row {expect.row}" not in line:
            continue
        if expect.where == "file":
            return True
        if expect.where == "row" and ROW_RE.search(line):
            return True
        if expect.where == "cell" and ROW_RE.search(line) and "column" in line:
            return True
        if expect.where == "key" and any(k in line for k in expect.key.split("|")):
            return True
        # a value the YAML reader itself refuses (an absurd number) is placed by its line
        if expect.where == "key" and re.search(r"\bline \d+, column \d+: refused", line):
            return True
        if expect.where == "line" and re.search(r"\bline \d+", line):
            return True
    return False


def judge(outcome: Outcome, expect: Expect) -> list[str]:
    """The failures of one outcome (empty: the tool behaved)."""
    fails: list[str] = []
    text = outcome.stdout + outcome.stderr
    if outcome.hung:
        return [f"hang: no answer within {CASE_SECONDS:g}s"]
    if outcome.exception:
        return [f"escaped exception {outcome.exception}"]
    if "Traceback" in text:
        fails.append("traceback printed")
    if outcome.code == 1 or "internal error" in outcome.stderr:
        m = re.search(r"internal error: ([A-Za-z_.]+)", outcome.stderr)
        fails.append(f"exit 1 internal error {m.group(1) if m else ''}".strip())
    elif outcome.code not in (0, 2, 3):
        fails.append(f"exit {outcome.code}")
    if fails:
        return fails
    if outcome.code == 0 and expect.must_refuse:
        fails.append("accepted invalid input (exit 0)")
    if outcome.code == 2 and expect.must_accept:
        fails.append("refused valid input (exit 2)")
    if outcome.code in (2, 3) and outcome.code not in expect.codes:
        fails.append(f"exit {outcome.code}, expected {' or '.join(map(str, expect.codes))}")
    if outcome.code in (2, 3):
        if not located(outcome.stderr, expect):
            place = f"row {expect.row}" if expect.row is not None else f"the {expect.where}"
            fails.append(f"message does not name {'/'.join(expect.files) or 'a file'} and "
                         f"{place}")
        for m in expect.mentions:
            if m.lower() not in outcome.stderr.lower():
                fails.append(f"message does not mention {m!r}")
    for m in expect.anyway_mentions:
        if m.lower() not in outcome.stderr.lower():
            fails.append(f"output does not mention {m!r}")
    if INVISIBLE_RE.search(outcome.stderr):
        fails.append("raw invisible/control character in the message")
    if outcome.code == 0 and expect.checks:
        for check in expect.checks:
            fails += check(outcome)
    return fails


def inventory_json(outcome: Outcome) -> dict:
    """The --json output of an inventory outcome."""
    return json.loads(outcome.stdout)


def check_plan(out_dir: Path) -> list[str]:
    """A written plan folder: strict summary.json, verifies, plan.xlsx free of formulas."""
    fails = []
    summary = out_dir / "summary.json"
    if not summary.is_file():
        return [f"run exit 0 but no {summary.name}"]
    try:
        json.loads(summary.read_text(encoding="utf-8"),
                   parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except ValueError as exc:
        fails.append(f"summary.json is not strict JSON ({str(exc)[:40]})")
    before = snapshot(out_dir)
    # verify re-reads the inputs, the CSVs and plan.xlsx: on a loaded CI machine it needs more
    # than one case's time (a hang is still caught)
    verified = call(["verify", str(out_dir)], timeout=3 * CASE_SECONDS)
    if verified.hung or verified.exception or verified.code != 0:
        why = verified.exception or ("hang" if verified.hung else f"exit {verified.code}")
        first = (verified.stderr.strip().splitlines() or [""])[-1][:160]
        fails.append(f"verify of the written plan: {why}: {first}")
    if diff(before, snapshot(out_dir)):
        fails.append("verify changed files of the plan folder")
    xlsx = out_dir / "plan.xlsx"
    if xlsx.is_file():
        import openpyxl

        wb = openpyxl.load_workbook(xlsx)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        fails.append(f"plan.xlsx [{ws.title}] {cell.coordinate} is a formula")
                        break
        wb.close()
    return fails


# ---------------------------------------------------------------- recording (local runs)

COLLECT = os.environ.get("BIANZHI_FUZZ_COLLECT")  # a .jsonl file: record failures, do not fail


def report(case: dict, outcome: Outcome, fails: list[str]) -> None:
    """Fail the test, or with BIANZHI_FUZZ_COLLECT append the failure to a file and go on."""
    if not fails:
        return
    tail = outcome.stderr.strip()[-600:]
    if COLLECT:
        with open(COLLECT, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"fails": fails, "case": case, "args": outcome.args,
                                 "code": outcome.code, "stderr": tail,
                                 "exception": outcome.exception}, ensure_ascii=True) + "\n")
        return
    raise AssertionError(
        f"{'; '.join(fails)}\ncase: {json.dumps(case, ensure_ascii=True)[:2000]}\n"
        f"command: bianzhi {' '.join(outcome.args)}\nexit {outcome.code}\nstderr:\n{tail}")


def classify(fails: list[str]) -> str:
    """A failure's class, for grouping many failures (numbers and paths left out)."""
    return " | ".join(re.sub(r"\d+|/[^ ]+", "#", f) for f in fails)


if __name__ == "__main__":  # pragma: no cover - a local helper
    print(call(sys.argv[1:]))


# ---------------------------------------------------------------- one case

_BASE: list[Path] = []


def case_root() -> Path:
    """A fresh folder for one case, under one temporary folder per test session."""
    import tempfile

    if not _BASE:
        _BASE.append(Path(tempfile.mkdtemp(prefix="bianzhi-fuzz-")))
    return Path(tempfile.mkdtemp(dir=_BASE[0]))


def cleanup(root: Path) -> None:
    import shutil

    shutil.rmtree(root, ignore_errors=True)


def lookup(data, dotted: str):
    for key in dotted.split("."):
        data = data[key]
    return data


def figures_check(expected: dict[str, object]):
    """A check that the stock-take (inventory --json) shows the figures the inputs mean."""

    def check(outcome: Outcome) -> list[str]:
        try:
            inv = json.loads(outcome.stdout)
        except ValueError:
            return ["inventory --json printed no JSON"]
        fails = []
        for key, want in expected.items():
            try:
                got = lookup(inv, key)
            except (KeyError, TypeError):
                fails.append(f"misread: {key} missing")
                continue
            if got != want:
                fails.append(f"misread: {key} is {got}, the inputs say {want}")
        return fails

    return check


def run_and_judge(root: Path, args: list[str], expect: Expect, case: dict,
                  out: Path | None = None, out_may_change: bool = True) -> Outcome:
    """Run one command in a case folder; judge output, files on disk, and a written plan."""
    before = snapshot(root, skip=out if out_may_change else None)
    outcome = call(args)
    fails = judge(outcome, expect)
    changed = diff(before, snapshot(root, skip=out if out_may_change else None))
    if changed:
        fails.append("files changed outside --out: " + ", ".join(
            c.replace(str(root), "ROOT") for c in changed[:4]))
    if args[0] == "run" and outcome.code == 0 and out is not None and not outcome.hung:
        fails += check_plan(out)
    report(case, outcome, fails)
    return outcome


_EARLIER: list[Path] = []


def earlier_plan() -> Path:
    """A plan folder written once per session by `bianzhi run` (a scenario with a 5% reserve
    over the bundled small corpus data): the thing `--out` may replace, and verify's subject."""
    import shutil

    if not _EARLIER:
        root = case_root()
        shutil.copytree(Path(__file__).resolve().parents[1] / "corpus" / "valid_base",
                        root / "data")
        (root / "scenario.yaml").write_text(
            "name: earlier\ndata: data\npolicy:\n  reserve_rate: 0.05\n", encoding="utf-8")
        outcome = call(["run", str(root / "scenario.yaml"), "--out", str(root / "plan")],
                       timeout=120)
        assert outcome.code == 0, outcome.stderr
        _EARLIER.append(root / "plan")
    return _EARLIER[0]


_CHILD_START: dict[str, float] = {}


def STATS_CHILD() -> dict[str, float]:  # noqa: N802 - paired with merge_stats
    """The counters a forked shard adds (its STATS less what it inherited)."""
    return {k: v - _CHILD_START.get(k, 0) for k, v in STATS.items()}


def merge_stats(extra: dict[str, float]) -> None:
    for k, v in extra.items():
        STATS[k] = STATS.get(k, 0) + v
