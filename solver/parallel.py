"""Independent checks shared between this process and one forked copy of it.

A five-year plan is verified year by year: five checks of every one-year rule and one of the
rules linking the years, each reading the plan's tables and none changing them. On the two
cores these machines have, a forked child takes half of them; it sees the plan as this process
has it (copy-on-write: nothing is pickled on the way in) and sends back only its results.

The child does nothing but call its share and write the pickled results to a pipe; it never
prints, writes a file or touches the solver, and it ends with `os._exit`, so buffers and exit
handlers it inherited are not run twice. Where there is no fork (Windows, macOS's default),
a single core, `BIANZHI_WORKERS=1`, or the child fails for any reason, the parent calls every
task itself: the results are the same either way, and in the same order.
"""

from __future__ import annotations

import os
import pickle
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def _workers() -> int:
    env = os.environ.get("BIANZHI_WORKERS", "").strip()
    if env.isdigit() and int(env) >= 1:
        return int(env)
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return min(2, len(cpus) if cpus else (os.cpu_count() or 1))


def can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform.startswith("linux") and _workers() > 1


def _child(tasks: Sequence[Callable[[], T]], write_fd: int) -> None:
    """In the forked child: its tasks' results, pickled to the pipe; then out, at once."""
    status = 1
    try:
        data = pickle.dumps([task() for task in tasks], protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(data)
        status = 0
    except BaseException:  # noqa: BLE001 - any failure: the parent redoes the share
        pass
    finally:
        os._exit(status)


def run_shared(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Each task's result, in order; the second half of the tasks run in a forked child
    while this process runs the first half."""
    if len(tasks) < 2 or not can_fork():
        return [task() for task in tasks]
    split = (len(tasks) + 1) // 2
    mine, theirs = tasks[:split], tasks[split:]
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    with warnings.catch_warnings():
        # Python 3.12+ warns of fork in a process with threads: the solver's idle worker
        # threads are never used by the child, which calls no solver
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        os.close(read_fd)
        _child(theirs, write_fd)
    os.close(write_fd)
    results: list[T] | None = None
    try:
        first = [task() for task in mine]
    finally:
        with os.fdopen(read_fd, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) == 0 and data:
        results = pickle.loads(data)
    if results is None or len(results) != len(theirs):
        results = [task() for task in theirs]
    return first + results
