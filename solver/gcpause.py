"""The cyclic garbage collector paused while a command works.

A plan's objects are almost all acyclic — arrays, frames, strings, lists of cells — and
reference counting frees them the moment they go; the cyclic collector only walks them.
At province scale it walked a lot: the register's 1.4 million rows, lists of ten million
worksheet cells, every table of five years. A five-year province run spent 16 s of its 67 in
collections that found nothing (51 s with the collector off, the same peak memory). A command
runs with it paused; a sweep's worker collects once after each point, so that a long sweep
does not keep what cycles it made.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc(collect_after: bool = False) -> Iterator[None]:
    """No cyclic collection inside (reference counting still frees what is dropped); the
    collector as it was after, with one collection when `collect_after`."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        if collect_after:
            gc.collect()
