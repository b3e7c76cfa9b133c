"""The two defects issue 11 measured on the bundled data, counted again from a written plan.

- units whose off-quota posts are cut because their vacancies take them over while the same
  plan moves those vacancies away (147 before);
- unit rows whose approved quota changes with no move explaining it (158 before, with
  consolidation on).

Usage: python benchmarks/one_account_figures.py PLAN_DIR
"""

import sys

import pandas as pd

plan = sys.argv[1]
read = lambda name: pd.read_csv(f"{plan}/{name}.csv", dtype={"from_unit": str, "to_unit": str})  # noqa: E731
units, moves, ledger = read("units"), read("moves"), read("ledger")
key = ["unit_id", "quota_type"]
out = moves[moves["from_unit"].notna()].groupby(["from_unit", "quota_type"])["amount"].sum()
into = moves[moves["to_unit"].notna()].groupby(["to_unit", "quota_type"])["amount"].sum()
u = units.set_index(key)
net = into.reindex(u.index).fillna(0) - out.reindex(u.index).fillna(0)
unexplained = int(((u["approved_after"] - u["approved_before"]) != net).sum())
led = ledger.set_index(key)
took_over = led["takeover"] > 0
moved_away = out.reindex(led.index).fillna(0) > 0
double = int((took_over & (led["takeover"] + led["returns_held"]
                            > (led["approved_after"] - led["staff_after"]).clip(lower=0))).sum())
print(f"units taking over off-quota work: {int(took_over.groupby(level=0).any().sum())}; "
      f"of them also giving vacancies away: {int((took_over & moved_away).groupby(level=0).any().sum())}; "
      f"rows using a vacancy twice: {double}")
print(f"unit rows whose approved change no move explains: {unexplained} of {len(u)}")
