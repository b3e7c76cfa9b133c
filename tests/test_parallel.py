"""Checks shared with a forked child (solver/parallel.py): the same results, in order, as one
process alone; a child that fails is made good by the parent; a multi-year plan's verify finds
the same violations either way."""

from __future__ import annotations

import os
import time

import pytest
from conftest import REPO

from solver import parallel

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")


def test_results_come_back_in_order_from_both_processes(monkeypatch):
    monkeypatch.setenv("BIANZHI_WORKERS", "2")
    parent = os.getpid()

    def task(k):
        time.sleep(0.1)  # long enough for the child to take some
        return k, os.getpid() == parent

    out = parallel.run_shared([lambda k=k: task(k) for k in range(6)])
    assert [k for k, _ in out] == list(range(6))
    assert {here for _, here in out} == {True, False}  # both processes took tasks


def test_one_worker_runs_everything_here(monkeypatch):
    monkeypatch.setenv("BIANZHI_WORKERS", "1")
    parent = os.getpid()
    assert parallel.run_shared([lambda: os.getpid() == parent] * 3) == [True] * 3


def test_a_failing_child_is_made_good_by_the_parent(monkeypatch):
    monkeypatch.setenv("BIANZHI_WORKERS", "2")
    parent = os.getpid()

    def fragile():
        time.sleep(0.2)  # the parent is busy with one while the child takes the other
        if os.getpid() != parent:
            raise RuntimeError("only in the child")
        return "done here"

    assert parallel.run_shared([fragile, fragile]) == ["done here", "done here"]


def test_an_error_in_this_process_is_raised(monkeypatch):
    monkeypatch.setenv("BIANZHI_WORKERS", "2")

    def broken():
        raise ValueError("bad")

    with pytest.raises(ValueError, match="bad"):
        parallel.run_shared([broken, lambda: 2])


def test_a_multi_year_plan_verifies_the_same_in_one_process_or_two(monkeypatch):
    from solver.runner import checked_plan, load_data
    from solver.scenario import load_scenario

    scenario = load_scenario(REPO / "scenarios" / "fourteenth-five-year.yaml")
    plan = checked_plan(scenario, load_data(scenario), with_marginals=False)
    # tamper two years: one checked here, one in the child
    for k in (0, 4):
        units = plan.year_plans()[k].tables()["units"]
        units.loc[units.index[0], "approved_after"] += 1
    found = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("BIANZHI_WORKERS", workers)
        found[workers] = plan.verify()
    assert found["1"] == found["2"]
    years = {v.where.split(",")[0] for v in found["1"]}
    assert {"year 2021", "year 2025"} <= years
