"""The cyclic collector is paused while a command runs (solver/gcpause.py)."""

from __future__ import annotations

import gc

from conftest import REPO

from solver import cli
from solver.gcpause import paused_gc


def test_paused_inside_and_as_before_after():
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_collect_after(monkeypatch):
    calls = []
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append(a) or 0)
    with paused_gc(collect_after=True):
        assert calls == []
    assert calls == [()]


def test_a_command_runs_with_the_collector_paused(monkeypatch, tmp_path):
    import pytest

    import solver.runner
    from solver.errors import BianzhiError

    seen = []

    def load_data(scenario):
        seen.append(gc.isenabled())
        raise BianzhiError("stop here")

    monkeypatch.setattr(solver.runner, "load_data", load_data)
    with pytest.raises(SystemExit):
        cli.main(["run", str(REPO / "scenarios" / "bazhong-2021.yaml"), "--out",
                  str(tmp_path / "plan")])
    assert seen == [False] and gc.isenabled()
