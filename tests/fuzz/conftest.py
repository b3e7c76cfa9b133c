"""The fuzz tests' summary line: how many commands ran, and how long they took."""

from __future__ import annotations

import fz_harness


def pytest_terminal_summary(terminalreporter):
    stats = fz_harness.STATS
    if stats["cases"]:
        by = ", ".join(f"{k} {int(v)}" for k, v in stats.items() if k not in ("cases", "seconds"))
        terminalreporter.write_line(
            f"bianzhi fuzz: {int(stats['cases'])} commands run in-process in "
            f"{stats['seconds']:.0f}s ({by})")
