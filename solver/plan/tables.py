"""A plan's tables: the plan folder as data frames, the ledger built from them.

The independent check of every hard rule lives in `solver.verify` (one function per rule):
`Plan.verify()` runs it on the plan's tables before `bianzhi run` writes anything, and
`bianzhi verify` runs it again on a written folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from solver.aux import AuxPlan
from solver.cadres.model import CadrePlan
from solver.consolidation import MergerPlan
from solver.ledger import build_ledger
from solver.quotas.engine import QuotaPlan
from solver.scenario import Scenario
from solver.validate import Dataset
from solver.verify import Violation, check_plan

PLAN_COLUMNS: dict[str, list[str]] = {
    "moves": ["kind", "quota_type", "from_unit", "to_unit", "amount", "demand_id", "tier",
              "source", "reason", "temporary_until", "from_region", "to_region", "persons"],
    "units": ["unit_id", "quota_type", "approved_before", "approved_after", "staff_before",
              "staff_after", "region", "system", "status"],
    "pool": ["region", "quota_type", "balance_before", "balance_after", "withdrawn",
             "merge_released", "granted"],
    "demands": ["demand_id", "unit_id", "quota_type", "tier", "amount", "met", "met_own",
                "met_transfer", "unmet_reason", "reason", "start_year", "end_year"],
    "mergers": ["merger_id", "unit_id", "parent_id", "freed", "reason", "role", "keeper_id",
                "region", "system", "quota_type", "approved_before", "staff_before",
                "approved_after", "staff_after"],
    "assignments": ["person_id", "option", "group_id", "score", "reason", "unit_id",
                    "quota_type", "to_unit", "demand_id", "follow_up"],
}


@dataclass
class Plan:
    """Everything a run produced: tables for the plan folder and the summary."""

    scenario: Scenario
    dataset: Dataset
    quota: QuotaPlan
    cadres: CadrePlan | None = None
    aux: AuxPlan | None = None
    mergers: MergerPlan | None = None
    timings: dict[str, float] = field(default_factory=dict)
    alternative: dict | None = None  # for a near-optimal alternative: its number and slack
    # built once by tables(); not an init field, so dataclasses.replace() starts afresh
    _tables: dict[str, pd.DataFrame] | None = field(default=None, init=False, repr=False,
                                                     compare=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The plan folder's tables (built once; the ledger from the others)."""
        if self._tables is None:
            self._tables = self._build_tables()
        return self._tables

    def _build_tables(self) -> dict[str, pd.DataFrame]:
        q = self.quota
        out = {
            "moves": q.moves[PLAN_COLUMNS["moves"]],
            "units": q.units[PLAN_COLUMNS["units"]],
            "pool": q.pool[PLAN_COLUMNS["pool"]],
            "demands": q.demands.reindex(columns=PLAN_COLUMNS["demands"]),
        }
        if self.cadres is not None:
            out["assignments"] = self.cadres.assignments[PLAN_COLUMNS["assignments"]]
        if self.aux is not None and self.aux.status != "no_data":
            t = self.aux.table.copy()
            for col in ("never_approved", "outsourceable"):
                t[col] = np.where(t[col].astype(bool), "yes", "no")
            out["aux_plan"] = t
        if self.mergers is not None and self.mergers.status not in ("disabled",):
            out["mergers"] = self.mergers.table[PLAN_COLUMNS["mergers"]]
        out["ledger"] = build_ledger(
            out["units"], out["moves"], out["demands"], out.get("assignments"),
            out.get("mergers"), self.aux.takeover if self.aux is not None else None)
        return out

    def verify(self) -> list[Violation]:
        """Every hard rule on this plan's tables (the rules `bianzhi verify` runs)."""
        return check_plan(self.dataset, self.scenario, self.tables())
