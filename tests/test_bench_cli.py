"""`bianzhi bench` times the pipeline `bianzhi run` follows: its tier totals are the run's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from solver.cli import main

REPO = Path(__file__).resolve().parents[1]


def cli_json(capsys, *args: str) -> dict:
    try:
        main(list(args))
    except SystemExit as exc:
        assert exc.code in (0, None), capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("scenario", ["bazhong-2021.yaml", "epidemic.yaml",
                                      "consolidation.yaml"])
def test_bench_counts_what_run_meets(capsys, tmp_path, scenario):
    """Cadres' transfers, data edits and mergers are in both, so the totals are equal."""
    path = str(REPO / "scenarios" / scenario)
    summary = cli_json(capsys, "run", path, "--out", str(tmp_path / "plan"), "--json",
                       "--no-marginals")
    bench = cli_json(capsys, "bench", path, "--solvers", "highs", "--repeat", "1", "--json")
    met = {tier: m["met"] for tier, m in summary["met"].items()}
    assert bench["tier_totals"]["highs"] == met
    if summary.get("cadres", {}).get("present"):
        assert "cadres" in bench
    if summary.get("consolidation", {}).get("present"):
        assert "consolidation" in bench
