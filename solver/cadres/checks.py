"""The cadre rules of `solver.verify` on one assignment table (used by the cadre model's tests).

The rules themselves live in `solver/verify/cadres.py` (one function per rule) and in
`solver/verify/rows.py` (every person once, as in the inputs).
"""

from __future__ import annotations

import pandas as pd

from solver.scenario import Scenario
from solver.validate import Dataset
from solver.verify.core import RULES, Context, Violation, normalise_tables

CADRE_ROWS = ("person_missing", "ghost_person", "person_row_changed", "duplicate_row")


def check_assignments(ds: Dataset, assignments: pd.DataFrame, plan_year: int, data_year: int,
                      moves: pd.DataFrame) -> list[Violation]:
    """Every person exactly once and no option given against the cadre rules (issue 4)."""
    moves = moves.copy()
    for col in ("kind", "quota_type", "from_unit", "to_unit", "demand_id", "tier", "source",
                "temporary_until"):
        if col not in moves:
            moves[col] = ""
    if "amount" not in moves:
        moves["amount"] = 1
    tables = {"assignments": assignments, "moves": moves}
    ctx = Context(ds, Scenario(year=plan_year), normalise_tables(tables), data_year=data_year)
    out: list[Violation] = []
    for r in RULES.values():
        if r.part == "cadres" or r.id in CADRE_ROWS:
            out += r.check(ctx)
    return out
