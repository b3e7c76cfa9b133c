"""A plan over several years (issue 12), year by year.

Each year is one reallocation (`solver.quotas.engine.reallocate`, the one-year model with all
its rules) on that year's figures:

1. *事去减编*: a quota met for an emergency demand with `end_year` E leaves the unit at the
   start of E + 1 and goes back to its region's pool. A unit left with more staff than quota
   is over quota (超编单位只出不进) until its leavers bring it back.
2. *Leavers*: the year's statutory retirements and other leavers (`solver.years.leavers`)
   lower the staff. They enter the model as releases: an over-quota unit's leavers absorb
   its excess first (a vacancy opens only once staff ≤ approved), and a full unit's leavers
   are what it may receive for the release-first tiers that year (出一进一).
3. The unit's status (over, full, vacant) is judged on the figures at the start of the year,
   after step 1 and before step 2.
4. The year's open demands: those starting in or before the year (start_year, default the
   horizon's start) and not yet fully met; an emergency demand whose task ended (end_year
   before the year) is closed.
5. The reserve floor holds at the end of every year, and no total rises (each year's model
   keeps both).

The first year also carries what happens once: the surplus cadres' options and the mergers.
People returning to their post hold their vacancy in every later year too (one use per
vacancy), as do the vacancies that take over off-quota work. The off-quota plan runs every
year, each on what the year before kept, cutting the locked base cumulatively
(`later_off_quota`, docs/rules.md § 19a.1).

`myopic` foresight is this loop: each year decided knowing only that year.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from solver.aux import carried_positions
from solver.keys import pair_rows
from solver.quotas.engine import QuotaPlan, reallocate
from solver.quotas.network import PeopleMoves
from solver.scenario import Scenario
from solver.validate import Dataset
from solver.years.leavers import attrition, register_retirements
from solver.years.tables import open_demands

KEY = ["unit_id", "quota_type"]


@dataclass
class YearPlan:
    """One year of a multi-year plan: its inputs, its reallocation and who left."""

    year: int
    dataset: Dataset  # the year's figures: quotas and pool at the start, open demands
    quota: QuotaPlan
    # per unit and quota type: retirements, leavers (other), returned (事去减编), and the
    # vacancies held since the first year for returns (held) and off-quota work (held_takeover)
    flows: pd.DataFrame
    people: PeopleMoves
    aux: object = None  # the year's off-quota plan (AuxPlan), the cut of that year


@dataclass
class YearsPlan:
    """The years of a plan, first to last, and the people retiring in them."""

    foresight: str
    years: list[YearPlan]
    retirements: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)  # how the years were planned (summary.json)
    # why the plan over the horizon left a demand short (perfect foresight), by demand id
    reasons: dict[str, str] = field(default_factory=dict)
    aux: object = None  # the first year's off-quota plan (AuxPlan); each year has its own
    # perfect foresight: demand_id, year, amount the horizon model gives each demand
    planned: pd.DataFrame | None = None

    @property
    def year_list(self) -> list[int]:
        return [y.year for y in self.years]


def _quota_state(ds: Dataset) -> pd.DataFrame:
    q = ds.quotas[KEY + ["approved", "staff"]].drop_duplicates(KEY)
    q = q.assign(approved=q["approved"].astype(np.int64), staff=q["staff"].astype(np.int64))
    return q.sort_values(KEY, kind="stable").reset_index(drop=True)


def _pool_state(ds: Dataset) -> pd.DataFrame:
    if ds.pool is None or not len(ds.pool):
        return pd.DataFrame({"region": pd.Series(dtype=object),
                             "quota_type": pd.Series(dtype=object),
                             "balance": pd.Series(dtype=np.int64)})
    p = ds.pool.groupby(["region", "quota_type"], as_index=False, sort=True)["balance"].sum()
    p["balance"] = p["balance"].astype(np.int64)
    return p


def year_leavers(q: pd.DataFrame, retirements: pd.DataFrame, year: int,
                 owner: dict[str, str], rate_for) -> tuple[np.ndarray, np.ndarray]:
    """Per quota row of `q` (unit_id, quota_type, staff at the start of the year): the year's
    statutory retirements (at the unit holding the person's row) and other leavers."""
    r = retirements[(retirements["year"] == year).to_numpy()]
    units_of = r["unit_id"]
    if owner:
        keeper = units_of.map(owner)
        units_of = keeper.where(keeper.notna(), units_of)
    at = pair_rows(units_of, r["quota_type"], q["unit_id"], q["quota_type"])
    retiring = np.bincount(at[at >= 0], minlength=len(q)).astype(np.int64)
    retiring = np.minimum(retiring, q["staff"].to_numpy(np.int64))
    return retiring, attrition(q, rate_for, retiring)


def scheduled_retirements(scenario: Scenario, ds: Dataset, before) -> pd.DataFrame:
    """The people retiring at the statutory age in the horizon (none with `retirement: none`)."""
    years = scenario.horizon.years
    assignments = before.cadres.assignments if before.cadres is not None else None
    if scenario.retirement != "statutory":
        return register_retirements(ds, [], None)
    return register_retirements(ds, years, assignments)


def run_years(scenario: Scenario, ds: Dataset, before,
              planned: pd.DataFrame | None = None, off_quota=None,
              retirements: pd.DataFrame | None = None, later_aux: bool = True) -> YearsPlan:
    """The year-by-year plan: one reallocation per year on that year's figures.

    `before` is the run's prelude (surplus cadres and mergers, decided in the first year).
    Without `planned` each year knows only itself (`myopic`). With `planned` (demand_id, year,
    amount: what a plan over the whole horizon gives each demand in each year) a year offers
    each demand what was planned for it so far and is not met yet: the year's model then
    places those quotas under every rule (`perfect`, solver/years/perfect.py).

    `off_quota(year_dataset, quota_plan, k)` makes the off-quota plan of the k-th year
    (`runner.off_quota`): in the first year on the vacancies the reallocation leaves, which
    stay held in the later years (one use per vacancy); in a later year on the positions the
    year before kept, with the cumulative cut of the locked base. Nothing in the later years'
    reallocations depends on their off-quota plans: `later_aux=False` leaves them to
    `later_off_quota` (perfect foresight makes them once, for the round it keeps)."""
    horizon = scenario.horizon
    years = horizon.years
    started = time.perf_counter()
    if retirements is None:
        retirements = scheduled_retirements(scenario, ds, before)
    cum_planned = None
    if planned is not None:
        wide = planned.pivot_table(index="demand_id", columns="year", values="amount",
                                   aggfunc="sum", fill_value=0)
        cum_planned = wide.reindex(columns=years, fill_value=0).cumsum(axis=1)
    quotas = _quota_state(ds)
    pool = _pool_state(ds)
    units = ds.units.drop_duplicates("unit_id").set_index("unit_id")
    demands = ds.demands.drop(columns=["_row"], errors="ignore").sort_values(
        "demand_id", kind="stable").reset_index(drop=True)
    met = pd.Series(0, index=demands["demand_id"], dtype=np.int64)
    owner: dict[str, str] = {}  # absorbed unit → keeper, after the first year's mergers
    held = pd.Series(0, index=pd.MultiIndex.from_frame(quotas[KEY]), dtype=np.int64)
    held_takeover = held.copy()
    temporary: list[tuple[str, str, str, int, int]] = []  # demand, unit, type, end year, n
    out: list[YearPlan] = []
    aux = None
    for k, year in enumerate(years):
        q = quotas.copy()
        key = pd.MultiIndex.from_frame(q[KEY])
        # 1. 事去减编: quotas of tasks that ended last year go back to the pool
        returned = np.zeros(len(q), dtype=np.int64)
        due = [t for t in temporary if t[3] == year - 1]
        for _demand, unit, qt, _end, n in due:
            at = key.get_loc((owner.get(unit, unit), qt))
            give = min(n, int(q.at[at, "approved"]))
            returned[at] += give
        if returned.any():
            q["approved"] = q["approved"] - returned
            back = pd.DataFrame({"region": units["region"].reindex(q["unit_id"]).to_numpy(),
                                 "quota_type": q["quota_type"].to_numpy(),
                                 "balance": returned})
            pool = pd.concat([pool, back[back["balance"] > 0]]).groupby(
                ["region", "quota_type"], as_index=False, sort=True)["balance"].sum()
        # 2. leavers: statutory retirements, then other leavers
        retiring, others = year_leavers(q, retirements, year, owner, scenario.attrition.rate_for)
        flows = pd.DataFrame({"unit_id": q["unit_id"], "quota_type": q["quota_type"],
                              "retirements": retiring, "leavers": others,
                              "returned": returned, "held": held.reindex(key).to_numpy(),
                              "held_takeover": held_takeover.reindex(key).to_numpy()})
        leaving = retiring + others
        if k > 0:  # a hold never exceeds the row's vacancies (a 事去减编 return may take them)
            avail = np.maximum(q["approved"].to_numpy() - q["staff"].to_numpy() + leaving, 0)
            keep_r = np.minimum(flows["held"].to_numpy(), avail)
            keep_t = np.minimum(flows["held_takeover"].to_numpy(), avail - keep_r)
            flows["held"], flows["held_takeover"] = keep_r, keep_t
            held = pd.Series(keep_r, index=key)
            held_takeover = pd.Series(keep_t, index=key)
        people = _people_of_year(k, before, flows, leaving)
        # 3–4. the year's figures and open demands; one reallocation
        d = demands.copy()
        if owner:
            d["unit_id"] = d["unit_id"].map(lambda u, o=owner: o.get(u, u))
        open_ = open_demands(d, year, horizon.start, met)
        if cum_planned is not None:
            offer = cum_planned[year].reindex(open_["demand_id"]).fillna(0).to_numpy(np.int64) \
                - met.reindex(open_["demand_id"]).to_numpy(np.int64)
            open_ = open_.assign(amount=np.minimum(open_["amount"].to_numpy(), offer))
            open_ = open_[open_["amount"] > 0]
        year_ds = replace(ds, quotas=q.copy(), pool=pool.copy(), demands=open_,
                          people=ds.people if k == 0 else None,
                          task_groups=ds.task_groups if k == 0 else None,
                          aux_positions=ds.aux_positions if k == 0 else None)
        quota = reallocate(year_ds, scenario.policy, solver=scenario.solver.name,
                           time_limit=scenario.solver.time_limit, with_marginals=False,
                           people=people, mergers=before.merges if k == 0 else None)
        year_aux = off_quota(year_ds, quota, k) if off_quota is not None and k == 0 else None
        out.append(YearPlan(year, year_ds, quota, flows, people, year_aux))
        # 5. carry the year's end into the next
        u = quota.units.set_index(KEY)
        quotas = q.assign(approved=u["approved_after"].reindex(key).to_numpy(np.int64),
                          staff=u["staff_after"].reindex(key).to_numpy(np.int64))
        pool = quota.pool.groupby(["region", "quota_type"], as_index=False, sort=True)[
            "balance_after"].sum().rename(columns={"balance_after": "balance"})
        got = quota.demands.set_index("demand_id")["met"].astype(np.int64)
        met = met.add(got, fill_value=0).astype(np.int64)
        qd = quota.demands
        temp = qd[(qd["tier"] == "emergency") & qd["end_year"].notna()
                  & (qd["met"] > 0)] if "end_year" in qd else qd.iloc[0:0]
        for dem, unit, qt, end, n in zip(temp["demand_id"], temp["unit_id"],
                                         temp["quota_type"], temp["end_year"], temp["met"]):
            temporary.append((dem, unit, qt, int(end), int(n)))
        if k == 0:
            aux = year_aux
            if aux is not None and aux.takeover is not None and len(aux.takeover):
                t = aux.takeover.groupby(KEY)["takeover"].sum()
                held_takeover = held_takeover.add(t, fill_value=0).reindex(held.index) \
                    .fillna(0).astype(np.int64)
            if before.merges is not None:
                owner = dict(before.merges.owner)
            if people.returns:
                held = held.add(people_held(people, quotas, owner), fill_value=0) \
                    .reindex(held.index).fillna(0).astype(np.int64)
    plan = YearsPlan(horizon.foresight, out, retirements, planned=planned)
    plan.aux = out[0].aux if out else None
    if later_aux:
        later_off_quota(plan, ds, off_quota)
    plan.timings["years"] = time.perf_counter() - started
    return plan


def later_off_quota(plan: YearsPlan, ds: Dataset, off_quota) -> None:
    """The off-quota plans of the years after the first, each on the positions the year
    before kept (the cut is cumulative, 锁定现有基数,只减不增); each year's figures gain them."""
    if off_quota is None:
        return
    for k, y in enumerate(plan.years):
        if k == 0:
            continue
        positions = _aux_positions(ds, k, plan.years[k - 1].aux)
        y.dataset = replace(y.dataset, aux_positions=positions)
        y.aux = off_quota(y.dataset, y.quota, k)


def _aux_positions(ds: Dataset, k: int, aux) -> pd.DataFrame | None:
    """The year's off-quota positions: the input's in the first year, then what the year
    before kept (the cut is cumulative, 锁定现有基数,只减不增)."""
    if k == 0 or ds.aux_positions is None:
        return ds.aux_positions
    if aux is None or aux.status == "no_data":
        return None
    return carried_positions(ds.aux_positions, aux.table)


def _people_of_year(k: int, before, flows: pd.DataFrame, leaving: np.ndarray) -> PeopleMoves:
    """What people do to the rows in year k: leavers (and, in the first year, the surplus
    cadres' early retirements, transfers and returns); later years keep the held vacancies."""
    nz = np.flatnonzero(leaving)
    leave = {(u, t): int(n) for u, t, n in zip(flows["unit_id"].to_numpy()[nz],
                                                flows["quota_type"].to_numpy()[nz], leaving[nz])}
    if k == 0:
        p = before.people or PeopleMoves()
        for key_, n in p.retirements.items():
            leave[key_] = leave.get(key_, 0) + n
        return PeopleMoves(retirements=leave, returns=dict(p.returns), transfers=p.transfers)
    held = (flows["held"] + flows["held_takeover"]).to_numpy()
    nz = np.flatnonzero(held)
    returns = {(u, t): int(n) for u, t, n in zip(flows["unit_id"].to_numpy()[nz],
                                                 flows["quota_type"].to_numpy()[nz], held[nz])}
    return PeopleMoves(retirements=leave, returns=returns)


def people_held(people: PeopleMoves, quotas: pd.DataFrame, owner: dict[str, str]) -> pd.Series:
    """Vacancies held after the first year (returns), at the unit that holds the row."""
    if not people.returns:
        return pd.Series(dtype=np.int64)
    frame = pd.DataFrame([(owner.get(u, u), t, n) for (u, t), n in people.returns.items()],
                         columns=["unit_id", "quota_type", "n"])
    return frame.groupby(KEY)["n"].sum()

