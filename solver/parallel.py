"""Independent checks shared between this process and one forked copy of it.

A five-year plan is verified year by year: five checks of every one-year rule and one of the
rules linking the years, each reading the plan's tables and none changing them. On the two
cores these machines have, this process and a forked child take them one at a time, whichever
is free the next (the checks differ in length: the rules linking the years take as long as two
years); the child sees the plan as this process has it (copy-on-write: nothing is pickled on
the way in) and sends back only its results.

The child does nothing but call its tasks and write the pickled results to a pipe; it never
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


def _take(tasks: Sequence[Callable[[], T]], counter, lock) -> dict[int, T]:
    """Run tasks by their number, each number taken once from the shared counter, until none
    is left: whichever process is free takes the next one."""
    done: dict[int, T] = {}
    while True:
        with lock:
            k = counter.value
            counter.value = k + 1
        if k >= len(tasks):
            return done
        done[k] = tasks[k]()


def _child(tasks: Sequence[Callable[[], T]], counter, lock, write_fd: int) -> None:
    """In the forked child: the results of the tasks it took, pickled to the pipe; then out,
    at once."""
    status = 1
    try:
        data = pickle.dumps(_take(tasks, counter, lock), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(data)
        status = 0
    except BaseException:  # noqa: BLE001 - any failure: the parent does its tasks again
        pass
    finally:
        os._exit(status)


def run_shared(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Each task's result, in order; this process and a forked child take the tasks one at a
    time, in order, each the next one left (put the longest first)."""
    if len(tasks) < 2 or not can_fork():
        return [task() for task in tasks]
    import multiprocessing

    counter = multiprocessing.RawValue("l", 0)  # shared memory, inherited by the child
    lock = multiprocessing.Lock()
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
        _child(tasks, counter, lock, write_fd)
    os.close(write_fd)
    try:
        done = _take(tasks, counter, lock)
    finally:
        with os.fdopen(read_fd, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) == 0 and data:
        done.update(pickle.loads(data))
    # what a failed child took, done here
    return [done[k] if k in done else tasks[k]() for k in range(len(tasks))]
