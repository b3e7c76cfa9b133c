"""Perfect foresight: which demand gets how many quotas in which year, decided over the whole
horizon at once; then each year placed by the one-year model (docs/rules.md § 19a.4).

The horizon model is a network per region and quota type (a *block*), time-expanded:

    source ─S[b,y]─▶ N[b,y] ─carry ≥ L[b,y]─▶ N[b,y+1] … N[b,Y] ─≥ L[b,Y]─▶ sink
                       │                                          (the reserve left)
                       ├──────────────▶ D[d] ─≤ open amount─▶ sink   (demand d open in y)
                       └─≤ releases─▶ G[r,y] ─▶ D[d]                (a full unit's gate)

- S[b,y]: the vacancies the block gains in year y (the first year: its vacancies and pool,
  as the one-year model counts them; later: what the year's leavers free in each unit, after
  an over-quota unit has absorbed its excess). A quota met is a hire: it leaves the block.
- The reserve floor holds at the end of every year: the carry out of year y is at least
  L[b,y] = min(floor_b, everything the block could hold by then), i.e. each year uses at most
  max(vacancies so far − floor, 0), exactly the one-year model's budget.
- A demand is reachable in the years from its start (start_year, default the horizon's start)
  to its end_year (or the horizon's end), while its unit is neither over quota nor lapsed; a
  full unit's demands of the release-first tiers pass its gate, at most its releases (the
  year's leavers, 出一进一).
- Rewards make the order exact: per quota met, tier weights W (key > emergency > operational,
  with the incentive inside the operational tier) spaced by M = years + 1, then a bonus of
  (years − 1 − k) for a quota in the k-th year, then the demand id (below ½). A cycle of the
  network moves one quota from one demand-year to another, so it changes the objective by the
  difference of two rewards: a tier step (≥ M) outweighs any year step (≤ years − 1) and tie
  (< ½); a year step (≥ 1) outweighs any tie. Integral capacities, a node–arc incidence
  matrix: the LP's vertices are integral and the optimum is the lexicographic one.

Unit statuses in later years are projected without the plan (leavers only). The year-by-year
placing (solver/years/rolling.py, `planned`) applies every rule on the true figures of each
year; a planned quota a unit-level rule blocks that year (e.g. a unit left over quota by
事去减编, or full again after hiring) makes the model be solved again with that unit-year
limited to what it took (`shortfalls`, at most MAX_ROUNDS models); what is still unplaced stays
offered in the following years, and the summary counts it (`replay_shortfall`).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pandas as pd
import scipy.sparse as sp

from solver.errors import ScenarioError
from solver.quotas.engine import PlanInfeasible, SolveFailed
from solver.quotas.network import PeopleMoves, incentive_priority, prepare
from solver.scenario import Scenario
from solver.solve import LinearProgram, Status, is_integral, solve
from solver.validate import Dataset
from solver.years.rolling import (
    YearsPlan,
    _quota_state,
    later_off_quota,
    run_years,
    scheduled_retirements,
    year_leavers,
)


def plan_perfect(scenario: Scenario, ds: Dataset, before, off_quota=None) -> YearsPlan:
    """The perfect-foresight plan: the horizon model, then each year placed."""
    if scenario.policy.allow_cross_region:
        raise ScenarioError("horizon.foresight: perfect plans each region on its own; with "
                            "policy.allow_cross_region: true use foresight: myopic")
    if scenario.horizon.start == scenario.horizon.end:
        # one year: nothing to foresee; the one-year model decides it, ladder included
        plan = run_years(scenario, ds, before, off_quota=off_quota)
        plan.summary.update({"method": "one year: the one-year model (nothing to foresee)",
                             "replay_shortfall": 0, "rounds": 0})
        return plan
    seconds = 0.0
    caps: dict[tuple[int, int], int] = {}
    retirements = scheduled_retirements(scenario, ds, before)  # the same in every round
    placing = 0.0  # the years placed, over all rounds
    for round_ in range(1, MAX_ROUNDS + 1):
        started = time.perf_counter()
        model = HorizonModel.of(scenario, ds, before, caps, retirements)
        planned = model.solve()
        seconds += time.perf_counter() - started
        plan = run_years(scenario, ds, before, planned=planned, off_quota=off_quota,
                         retirements=retirements, later_aux=False)
        placing += plan.timings["years"]
        short = shortfalls(plan, model)
        if not short:
            break
        for key, placed_ in short.items():
            caps[key] = min(caps.get(key, placed_), placed_)
    started = time.perf_counter()
    later_off_quota(plan, ds, off_quota)
    plan.timings["years"] = placing + time.perf_counter() - started
    plan.reasons = model.reasons(planned, year_statuses(plan, scenario, ds))
    placed = sum(int(y.quota.demands["met"].sum()) for y in plan.years)
    wanted = int(planned["amount"].sum())
    plan.timings["horizon_model"] = seconds
    plan.summary.update({
        "method": "one min-cost-flow LP over all years per region and quota type (tiers, then "
                  "earlier years, then demand id), each year then placed by the one-year "
                  "model (source ladder and every unit rule)",
        "horizon_model": {"arcs": model.size["arcs"], "nodes": model.size["nodes"],
                          "status": model.status, "planned": wanted},
        "replay_shortfall": max(wanted - placed, 0),
        "rounds": round_,
    })
    return plan


MAX_ROUNDS = 4  # horizon models solved at most, each with the caps the placing found


def shortfalls(plan: YearsPlan, model: HorizonModel) -> dict[tuple[int, int], int]:
    """(quota row, year index) → quotas placed there, where a year placed fewer quotas at a
    row than the year offered its demands (a unit rule the horizon model did not see)."""
    rows = model.rows_index
    out: dict[tuple[int, int], int] = {}
    for k, y in enumerate(plan.years):
        d = y.quota.demands
        if d.empty:
            continue
        key = pd.MultiIndex.from_frame(y.quota.instance.rows[["unit_id", "quota_type"]])
        holder = y.quota.instance.rows["owner"].to_numpy()
        # the demand's row as the horizon model numbers it (the first year's rows)
        r = rows.get_indexer(key[holder[d["row"].to_numpy()]])
        per = pd.DataFrame({"row": r, "offered": d["amount"].to_numpy(np.int64),
                            "met": d["met"].to_numpy(np.int64)}).groupby("row").sum()
        for row, o, m in zip(per.index, per["offered"], per["met"]):
            if m < o and row >= 0:
                out[(int(row), k)] = int(m)
    return out


class HorizonModel:
    """The time-expanded network of `plan_perfect` (see the module docstring)."""

    def __init__(self) -> None:
        self.tail: list[np.ndarray] = []
        self.head: list[np.ndarray] = []
        self.lower: list[np.ndarray] = []
        self.upper: list[np.ndarray] = []
        self.cost: list[np.ndarray] = []
        self.tag: list[np.ndarray] = []  # demand index for demand-year arcs, else −1
        self.year: list[np.ndarray] = []
        self.node_count = 0
        self.size: dict[str, int] = {}
        self.status = ""
        self.demands = pd.DataFrame()
        self.years: list[int] = []
        self.solver = "highs"
        self.time_limit = None
        self.hard_keys = False

    def nodes(self, n: int) -> np.ndarray:
        out = np.arange(self.node_count, self.node_count + n)
        self.node_count += n
        return out

    def add(self, tail, head, lower, upper, cost, tag=-1, year=-1) -> None:
        tail = np.asarray(tail, dtype=np.int64)
        k = len(tail)
        self.tail.append(tail)
        self.head.append(np.asarray(head, dtype=np.int64))
        for target, v in ((self.lower, lower), (self.upper, upper), (self.cost, cost)):
            target.append(np.broadcast_to(np.asarray(v, dtype=float), (k,)).copy())
        self.tag.append(np.broadcast_to(np.asarray(tag, dtype=np.int64), (k,)).copy())
        self.year.append(np.broadcast_to(np.asarray(year, dtype=np.int64), (k,)).copy())

    @classmethod
    def of(cls, scenario: Scenario, ds: Dataset, before,
           caps: dict[tuple[int, int], int] | None = None,
           retirements: pd.DataFrame | None = None) -> HorizonModel:
        """The model; `caps` limits what a quota row may take in a year (row, year index);
        `retirements` the horizon's scheduled retirements when already known."""
        self = cls()
        caps = caps or {}
        policy = scenario.policy
        years = scenario.horizon.years
        self.years = years
        self.solver, self.time_limit = scenario.solver.name, scenario.solver.time_limit
        self.hard_keys = policy.key_demands_hard
        start = years[0]
        # the first year as the one-year model sees it (people, mergers, the year's leavers)
        if retirements is None:
            retirements = scheduled_retirements(scenario, ds, before)
        q = _quota_state(ds)
        retiring, others = year_leavers(q, retirements, start, {}, scenario.attrition.rate_for)
        leave = {(u, t): int(n) for u, t, n in zip(q["unit_id"], q["quota_type"],
                                                   retiring + others) if n}
        p = before.people or PeopleMoves()
        for k_, n in p.retirements.items():
            leave[k_] = leave.get(k_, 0) + n
        people = PeopleMoves(retirements=leave, returns=dict(p.returns), transfers=p.transfers)
        inst = prepare(replace(ds, pool=ds.pool, demands=_all_demands(ds)), policy,
                       people=people, mergers=before.merges)
        rows, blocks = inst.rows, inst.blocks
        self.rows_index = pd.MultiIndex.from_frame(rows[["unit_id", "quota_type"]])
        n_rows, n_blocks, Y = len(rows), len(blocks), len(years)
        # later years, projected without the plan: staff falls by the leavers
        owner = dict(before.merges.owner) if before.merges is not None else {}
        row_unit = rows["unit_id"].to_numpy()
        approved = rows["approved_now"].to_numpy(np.int64)
        staff = rows["staff_now"].to_numpy(np.int64)
        held = rows["held"].to_numpy(np.int64)
        block_of = rows["block_index"].to_numpy()
        releases = np.zeros((Y, n_rows), dtype=np.int64)
        releases[0] = inst.releases
        status = np.empty((Y, n_rows), dtype=object)
        status[0] = rows["status"].to_numpy()
        supply = np.zeros((Y, n_blocks), dtype=np.int64)
        supply[0] = blocks["vacancy_available"].to_numpy(np.int64)
        vacancy = np.maximum(approved - staff - held, 0)
        for k in range(1, Y):
            status[k] = np.where(staff > approved, "over",
                                 np.where(staff == approved, "full", "vacant"))
            frame = pd.DataFrame({"unit_id": row_unit, "quota_type": rows["quota_type"],
                                  "staff": staff})
            ret, oth = year_leavers(frame, retirements, years[k], owner,
                                    scenario.attrition.rate_for)
            staff = staff - ret - oth
            releases[k] = ret + oth
            now = np.maximum(approved - staff - held, 0)
            supply[k] = np.bincount(block_of, weights=now - vacancy, minlength=n_blocks)
            vacancy = now
        floor = blocks["floor"].to_numpy(np.int64)
        # nodes: per block and year, per demand, per gated row and year
        N = self.nodes(n_blocks * Y).reshape(Y, n_blocks)
        d = inst.demands
        self.demands = d
        D = self.nodes(len(d))
        SRC, SINK = -1, -2
        cum = np.cumsum(supply, axis=0)
        for k in range(Y):
            self.add(np.full(n_blocks, SRC), N[k], 0, supply[k], 0)
            low = np.minimum(floor, cum[k])
            head = N[k + 1] if k + 1 < Y else np.full(n_blocks, SINK)
            self.add(N[k], head, low, np.inf, 0)
        # rewards (module docstring)
        M = Y + 1
        prio = incentive_priority(d, ds.units.drop_duplicates("unit_id").set_index("unit_id"))
        w_op = M + policy.incentive * prio * M
        w_em = M + policy.incentive * M + M
        w_key = w_em + M
        tier = d["tier"].to_numpy()
        weight = np.where(tier == "key", w_key, np.where(tier == "emergency", w_em, w_op))
        rank = np.arange(len(d))
        tie = 0.5 * (len(d) - rank) / (len(d) + 1)
        begin = (d["start_year"].fillna(start) if "start_year" in d
                 else pd.Series(start, index=d.index)).astype(np.int64).to_numpy()
        end = (d["end_year"].fillna(years[-1]) if "end_year" in d
               else pd.Series(years[-1], index=d.index)).astype(np.int64).to_numpy()
        d_row = d["row"].to_numpy()
        lapsed = rows["lapsed"].to_numpy()
        gate_tiers = set(policy.full_units_release_first)
        gated_tier = np.isin(tier, list(gate_tiers))
        n_open = np.zeros(len(d), dtype=np.int64)
        n_over = np.zeros(len(d), dtype=np.int64)
        n_gated = np.zeros(len(d), dtype=np.int64)
        for k, y in enumerate(years):
            st = status[k][d_row]
            inside = (begin <= y) & (end >= y)
            n_open += inside
            n_over += inside & (st == "over")
            n_gated += inside & (st == "full") & gated_tier
            ok = inside & (st != "over") & ~lapsed[d_row]
            reward = weight + (Y - 1 - k) + tie
            gated = ok & (st == "full") & gated_tier
            plain = ok & ~gated
            # where a unit could take less than planned in an earlier round (a unit rule the
            # projection does not see), all its demands of the year pass a cap node
            source = N[k, block_of[d_row]].copy()
            capped = ok & np.array([(r, k) in caps for r in d_row], dtype=bool)
            if capped.any():
                c_rows = np.unique(d_row[capped])
                C = self.nodes(len(c_rows))
                self.add(N[k, block_of[c_rows]], C, 0, [caps[(r, k)] for r in c_rows], 0)
                source[capped] = C[np.searchsorted(c_rows, d_row[capped])]
            idx = np.flatnonzero(plain)
            self.add(source[idx], D[idx], 0, np.inf, -reward[idx], idx, y)
            idx = np.flatnonzero(gated)
            if len(idx):
                g_rows, first = np.unique(d_row[idx], return_index=True)
                G = self.nodes(len(g_rows))
                at = np.searchsorted(g_rows, d_row[idx])
                self.add(source[idx[first]], G, 0, releases[k][g_rows], 0)
                self.add(G[at], D[idx], 0, np.inf, -reward[idx], idx, y)
        # why a demand the model leaves short is short (unmet_reason), from its years
        higher = {"operational": ("key", "emergency"), "emergency": ("key",), "key": ()}
        self.why = np.where(
            (n_open > 0) & (n_over == n_open), "over_quota_unit", np.where(
                lapsed[d_row], "lapsed_unit", np.where(
                    (n_open > 0) & (n_gated + n_over == n_open), "full_unit_release_first",
                    "")))
        self.higher = [higher.get(t, ()) for t in tier]
        self.block_of_demand = block_of[d_row]
        self.block_supply, self.floor = cum[-1], floor
        self.priority, self.incentive = np.asarray(prio), policy.incentive
        amount = d["open_amount"].to_numpy(float)
        low = np.where((tier == "key") & self.hard_keys & (begin <= years[-1]), amount, 0.0)
        self.add(D, np.full(len(d), SINK), low, amount, 0)
        return self

    def lp(self) -> LinearProgram:
        tail, head = np.concatenate(self.tail), np.concatenate(self.head)
        m = len(tail)
        arcs = np.arange(m)
        into, out = head >= 0, tail >= 0
        rows = np.concatenate([head[into], tail[out]])
        cols = np.concatenate([arcs[into], arcs[out]])
        vals = np.concatenate([np.ones(into.sum()), -np.ones(out.sum())])
        A = sp.csc_matrix((vals, (rows, cols)), shape=(self.node_count, m))
        zeros = np.zeros(self.node_count)
        self.size = {"arcs": m, "nodes": self.node_count}
        return LinearProgram(c=np.concatenate(self.cost), A=A, row_lower=zeros,
                             row_upper=zeros.copy(), col_lower=np.concatenate(self.lower),
                             col_upper=np.concatenate(self.upper))

    def solve(self) -> pd.DataFrame:
        """demand_id, year, amount: the quotas each demand gets in each year (transfers with a
        person, decided before, count in the first year)."""
        lp = self.lp()
        sol = solve(lp, self.solver, time_limit=self.time_limit)
        if sol.status.has_solution and not is_integral(sol.x):
            sol = solve(lp.as_mip(), self.solver, time_limit=self.time_limit)
        if not sol.status.has_solution:
            if sol.status == Status.INFEASIBLE:
                raise PlanInfeasible("the rules over the horizon cannot all hold (the solver "
                                     "proved it infeasible); check hard key demands")
            raise SolveFailed(f"the solver stopped without a plan over the horizon: "
                              f"{sol.message}; raise --time-limit or try foresight: myopic")
        self.status = sol.status.value
        x = np.round(sol.x).astype(np.int64)
        tag, year = np.concatenate(self.tag), np.concatenate(self.year)
        used = (tag >= 0) & (x > 0)
        d = self.demands
        out = pd.DataFrame({"demand_id": d["demand_id"].to_numpy()[tag[used]],
                            "year": year[used], "amount": x[used]})
        moved = d[d["transferred"] > 0]
        if len(moved):
            out = pd.concat([out, pd.DataFrame({"demand_id": moved["demand_id"].to_numpy(),
                                                "year": self.years[0],
                                                "amount": moved["transferred"].to_numpy()})])
        return out.groupby(["demand_id", "year"], as_index=False)["amount"].sum()

    def reasons(self, planned: pd.DataFrame, statuses: dict[str, str] | None = None
                ) -> dict[str, str]:
        """unmet_reason of each demand the horizon model leaves short (docs/rules.md § 19a.4):
        its unit lapsed, over quota or full (gated) in every year it was open, as the years
        were placed (`statuses`: demand_id → why, from the true figures of each year) or else
        as projected; else the quotas went to higher tiers in its region and type, or the
        reserve floor stopped it."""
        d = self.demands
        if statuses:
            self.why = d["demand_id"].map(statuses).fillna("").to_numpy()
        got = planned.groupby("demand_id")["amount"].sum().reindex(d["demand_id"]).fillna(0)
        short = got.to_numpy() < d["amount"].to_numpy()
        met_tiers: dict[int, set] = {}
        best_op: dict[int, float] = {}
        for b, t, g, pr in zip(self.block_of_demand, d["tier"], got.to_numpy(), self.priority):
            if g > 0:
                met_tiers.setdefault(b, set()).add(t)
                if t == "operational":
                    best_op[b] = max(best_op.get(b, -1.0), pr)
        out = {}
        for i in np.flatnonzero(short):
            why, b, tier = self.why[i], self.block_of_demand[i], d["tier"].iat[i]
            tiers = met_tiers.get(b, set())
            if why:
                pass
            elif self.block_supply[b] == 0:  # nothing in reach in any year (as § 15)
                why = "no_compatible_source"
            elif tier not in tiers and tiers & set(self.higher[i]):
                why = "outranked_by_higher_tier"
            elif (tier == "operational" and self.incentive > 0
                  and best_op.get(b, -1.0) > self.priority[i]):
                why = "outranked_by_incentive"
            elif self.floor[b] == 0:
                why = "no_compatible_source"
            else:
                why = "reserve_floor"
            out[d["demand_id"].iat[i]] = why
        return out


def year_statuses(plan: YearsPlan, scenario: Scenario, ds: Dataset) -> dict[str, str]:
    """Per demand: why no year could serve it as the years were placed: `lapsed_unit`,
    `over_quota_unit` (over in every year it was open) or `full_unit_release_first` (over or
    full and gated in every such year), judged on each year's true figures."""
    gate = set(scenario.policy.full_units_release_first)
    start, end = scenario.horizon.start, scenario.horizon.end
    d = _all_demands(ds)
    begin = (d["start_year"].fillna(start) if "start_year" in d
             else pd.Series(start, index=d.index)).astype(np.int64).to_numpy()
    finish = (d["end_year"].fillna(end) if "end_year" in d
              else pd.Series(end, index=d.index)).astype(np.int64).to_numpy()
    merges = plan.years[0].quota.mergers
    owner = dict(merges.owner) if merges is not None else {}
    whys = np.full((len(plan.years), len(d)), "-", dtype=object)  # "-": not open that year
    for k, y in enumerate(plan.years):
        rows = y.quota.instance.rows
        index = pd.MultiIndex.from_frame(rows[["unit_id", "quota_type"]])
        units = d["unit_id"].map(lambda u: owner.get(u, u)) if k else d["unit_id"]
        at = index.get_indexer(pd.MultiIndex.from_arrays([units, d["quota_type"]]))
        st = np.where(at >= 0, rows["status"].to_numpy()[np.maximum(at, 0)], "")
        la = np.where(at >= 0, rows["lapsed"].to_numpy()[np.maximum(at, 0)], False)
        why = np.where(st == "over", "over_quota_unit", np.where(
            la, "lapsed_unit", np.where(
                (st == "full") & d["tier"].isin(gate).to_numpy(), "full_unit_release_first",
                "")))
        inside = (begin <= y.year) & (finish >= y.year)
        whys[k] = np.where(inside, why, "-")
    out = {}
    for i, dem in enumerate(d["demand_id"]):
        w = [x for x in whys[:, i] if x != "-"]
        if not w:
            continue
        if all(x == "over_quota_unit" for x in w):
            out[dem] = "over_quota_unit"
        elif all(x in ("over_quota_unit", "lapsed_unit") for x in w):
            out[dem] = "lapsed_unit"
        elif all(x in ("over_quota_unit", "full_unit_release_first") for x in w):
            out[dem] = "full_unit_release_first"
    return out


def _all_demands(ds: Dataset) -> pd.DataFrame:
    """Every demand, whatever its years (the horizon model decides when)."""
    return ds.demands.drop(columns=["_row"], errors="ignore")

