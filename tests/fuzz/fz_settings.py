"""Settings of the fuzz tests: deterministic in CI, more or other cases by environment.

BIANZHI_FUZZ_EXAMPLES  total generated cases over the fuzz tests (default 2000)
BIANZHI_FUZZ_SEED      a seed: other cases than CI's (default: derandomized, the same each run)
BIANZHI_FUZZ_TIMEOUT   seconds one command may take (default 8)
BIANZHI_FUZZ_COLLECT   a .jsonl file: record every failure there and go on (local triage)
BIANZHI_FUZZ_WORKERS   processes for the inventory-only tests (default: 2 if 2+ cores)
"""

from __future__ import annotations

import functools
import json
import os
import traceback

from hypothesis import HealthCheck, Phase, given, seed, settings

import fz_harness

SEED = os.environ.get("BIANZHI_FUZZ_SEED")
TOTAL = int(os.environ.get("BIANZHI_FUZZ_EXAMPLES", "2000"))
WORKERS = int(os.environ.get("BIANZHI_FUZZ_WORKERS", str(min(2, os.cpu_count() or 1))))

BASE = settings(
    database=None,
    deadline=None,
    print_blob=True,
    # collecting: no shrinking, every example counts once
    phases=(Phase.explicit, Phase.generate) if fz_harness.COLLECT else tuple(Phase),
    suppress_health_check=list(HealthCheck),
)


def _hypothesis_test(fn, strategies, examples: int, shard: int | None):
    """fn under @given with its share of examples; a fixed seed per shard (deterministic)."""
    test = given(*strategies)(fn)
    if shard is None and SEED is None:
        return settings(BASE, max_examples=examples, derandomize=True)(test)
    base = int(SEED) if SEED is not None else 2026
    test = settings(BASE, max_examples=examples, derandomize=False)(test)
    return seed(base * 101 + (shard or 0))(test)


def fuzz(weight: float, *strategies, shards: bool = False):
    """Decorator replacing @given: the test's share of the total cases.

    With shards=True (tests that never start a solver, so forking is safe) the cases are split
    over WORKERS processes: the test forks, each process runs its shard with its own fixed
    seed, and a failure in the child is raised in the parent with the child's report
    (falsifying example and reproduction blob included).
    """

    def wrap(fn):
        examples = max(1, round(TOTAL * weight))
        workers = WORKERS if shards and hasattr(os, "fork") else 1
        if workers <= 1:
            return _hypothesis_test(fn, strategies, examples, None)

        @functools.wraps(fn)
        def sharded():
            per = max(1, examples // workers)
            children = []
            for k in range(1, workers):
                read, write = os.pipe()
                pid = os.fork()
                if pid == 0:  # the child: run one shard, report, leave without pytest teardown
                    os.close(read)
                    fz_harness._CHILD_START.update(fz_harness.STATS)
                    code, text = 0, ""
                    try:
                        _hypothesis_test(fn, strategies, per, k)()
                    except BaseException as exc:  # noqa: BLE001 - reported to the parent
                        code, text = 1, "".join(traceback.format_exception(exc))
                    with os.fdopen(write, "w") as fh:
                        json.dump({"failure": text, "stats": fz_harness.STATS_CHILD()}, fh)
                    os._exit(code)
                os.close(write)
                children.append((pid, read))
            failure = None
            try:
                _hypothesis_test(fn, strategies, examples - per * (workers - 1), 0)()
            except BaseException as exc:  # noqa: BLE001 - re-raised after the children end
                failure = exc
            reports = []
            for pid, read in children:
                with os.fdopen(read) as fh:
                    text = fh.read()
                os.waitpid(pid, 0)
                report = json.loads(text) if text else {"failure": "shard died", "stats": {}}
                fz_harness.merge_stats(report["stats"])
                if report["failure"]:
                    reports.append(report["failure"])
            if failure is not None:
                raise failure
            if reports:
                raise AssertionError("a forked shard failed:\n" + "\n".join(reports))

        sharded.__signature__ = __import__("inspect").Signature()
        return sharded

    return wrap
