"""A plan's tables: the plan folder as data frames, the ledger built from them.

The independent check of every hard rule lives in `solver.verify` (one function per rule):
`Plan.verify()` runs it on the plan's tables before `bianzhi run` writes anything, and
`bianzhi verify` runs it again on a written folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from solver.aux import AuxPlan
from solver.cadres.model import CadrePlan
from solver.consolidation import MergerPlan
from solver.ledger import build_ledger
from solver.parallel import run_shared
from solver.quotas.engine import QuotaPlan
from solver.scenario import Scenario, plan_year
from solver.validate import Dataset
from solver.verify import Violation, check_plan, check_years
from solver.years.rolling import YearsPlan
from solver.years.tables import horizon_tables

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
    # a multi-year plan (issue 12): its years; `quota` then holds the first year's model
    years: YearsPlan | None = None
    # a year of a multi-year plan: the year's retirements, leavers, returns, held vacancies
    flows: pd.DataFrame | None = None
    # built once by tables(); not an init field, so dataclasses.replace() starts afresh
    _tables: dict[str, pd.DataFrame] | None = field(default=None, init=False, repr=False,
                                                     compare=False)
    _year_plans: list[Plan] | None = field(default=None, init=False, repr=False,
                                           compare=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The plan folder's tables (built once; the ledger from the others)."""
        if self._tables is None:
            self._tables = self._build_tables()
        return self._tables

    def year_plans(self) -> list[Plan]:
        """A multi-year plan's years, each a one-year plan on that year's figures (the first
        year with the surplus cadres, the mergers and the off-quota plan)."""
        if self.years is None:
            return [self]
        if self._year_plans is None:  # built once: each keeps its tables
            self._year_plans = [
                Plan(scenario=self.scenario, dataset=y.dataset, quota=y.quota,
                     cadres=self.cadres if k == 0 else None, aux=y.aux,
                     mergers=self.mergers if k == 0 else None, flows=y.flows)
                for k, y in enumerate(self.years.years)]
        return self._year_plans

    def _build_tables(self) -> dict[str, pd.DataFrame]:
        if self.years is not None:
            return self._horizon_tables()
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
            out.get("mergers"), self.aux.takeover if self.aux is not None else None,
            flows=self.flows)
        if self.flows is not None:
            out["flows"] = self.flows
        return out

    def _horizon_tables(self) -> dict[str, pd.DataFrame]:
        years = self.years
        per_year = [p.tables() for p in self.year_plans()]
        units = self.dataset.units.drop_duplicates("unit_id").set_index("unit_id")
        out = horizon_tables(years.year_list, per_year, [y.flows for y in years.years],
                             self.dataset.demands, units["region"],
                             self.scenario.horizon.start, years.reasons)
        for name in ("assignments", "aux_plan", "mergers"):
            if name in per_year[0]:
                out[name] = per_year[0][name]
        aux_years = aux_years_table(years)
        if aux_years is not None:
            out["aux_years"] = aux_years
        out["retirements"] = years.retirements
        if years.planned is not None:
            out["planned"] = years.planned
        out["demands"] = out["demands"].reindex(columns=[*PLAN_COLUMNS["demands"], "met_year"])
        return out

    def year_tables(self) -> list[tuple[int, dict[str, pd.DataFrame]]]:
        """Each year's one-year tables (written to years/<year>/ of the plan folder)."""
        if self.years is None:
            return []
        return [(y.year, p.tables()) for y, p in zip(self.years.years, self.year_plans())]

    def verify(self) -> list[Violation]:
        """Every hard rule on this plan's tables (the rules `bianzhi verify` runs); for a
        multi-year plan every one-year rule in every year, and the rules that link years."""
        if self.years is None:
            return check_plan(self.dataset, self.scenario, self.tables())
        # the people's ages are given in the data's year (the runner's, not a year's demands')
        data_year = self.dataset.year or plan_year(self.scenario, None)
        tables = self.tables()  # built here, before the checks share them out: the years' too

        def one_year(k: int, year: int, p: Plan) -> Callable[[], list[Violation]]:
            return lambda: [v.in_year(year) for v in check_plan(
                p.dataset, self.scenario, p.tables(), data_year=data_year,
                aux_base=self.dataset.aux_positions, horizon_year=k + 1)]

        # independent checks of tables nobody changes, shared with the other core; the rules
        # linking the years first (the longest), their violations last as before
        linking, *each_year = run_shared([
            lambda: check_years(self.dataset, self.scenario, tables),
            *(one_year(k, y.year, p)
              for k, (y, p) in enumerate(zip(self.years.years, self.year_plans())))])
        return [v for found in each_year for v in found] + linking


def aux_years_table(years: YearsPlan) -> pd.DataFrame | None:
    """aux_years.csv: per region and year, the off-quota cut of a plan over several years —
    the locked base, the year's cap ⌊base × (1 − reduction)ⁿ⌋, the positions at the start of
    the year and what the year keeps, buys as services and ends."""
    frames = []
    for y in years.years:
        a = y.aux
        if a is None or a.status == "no_data":
            return None
        start = a.table.groupby("region", sort=True)["headcount_before"].sum()
        r = a.regions
        frames.append(pd.DataFrame({
            "region": r["region"].to_numpy(), "year": y.year,
            "base": r["base"].to_numpy(np.int64), "cap": r["cap"].to_numpy(np.int64),
            "headcount_start": start.reindex(r["region"]).fillna(0).to_numpy(np.int64),
            "approved_after": r["approved_after"].to_numpy(np.int64),
            "to_services": r["to_services"].to_numpy(np.int64),
            "ended": r["ended"].to_numpy(np.int64)}))
    return pd.concat(frames, ignore_index=True) if frames else None
