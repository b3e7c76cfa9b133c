"""Whole-number answers of the cadre LP, exactly, in one warm solver model.

The assignment LP is solved once; its cut rounds add rows to the same HiGHS model and
re-solve warm (dual simplex from the last basis), and so does the tie-break stage (new
costs, and bounds that keep the first stage's best). Where a vertex stays fractional after
the cuts, a MIP runs only over the people the vertex leaves fractional (everyone else kept
at the LP's whole values); its answer is optimal when it reaches the LP bound, which is
checked and recorded (`Proof`). Only when it does not is the whole MIP solved.

The first solve starts from a dual feasible basis (each person on a best-scoring option,
every other row slack): the dual simplex then starts near the answer instead of from the
all-slack basis, which at 18,000 people is five times fewer iterations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from solver.solve import INTEGRALITY_TOL, HighsSession, LinearProgram, Solution, Status, solve

# An integral answer whose objective is within this of the LP bound is optimal (tie-break
# costs are continuous: their LP bound carries the solver's tolerances).
BOUND_TOL = 1e-6


@dataclass
class Proof:
    """Why an integral answer is optimal: its objective against a bound (minimisation).

    `bound` is the LP bound, rounded up when the costs are whole numbers (no whole answer
    can do better). `gap` 0 shows optimality by the bound alone; otherwise the whole MIP
    proved it (HiGHS at mip_rel_gap 0)."""

    objective: float
    lp_bound: float
    bound: float
    method: str
    mip_people: int = 0  # people freed in the fractional component's MIP (0: none)
    lp: Solution | None = None  # the last LP vertex (its duals give the optimal face)

    @property
    def gap(self) -> float:
        return self.objective - self.bound

    @property
    def reaches_bound(self) -> bool:
        return abs(self.gap) <= BOUND_TOL * max(1.0, abs(self.bound))

    @property
    def on_lp_face(self) -> bool:
        """The objective equals the LP bound itself: every optimal whole answer is then on
        the LP's optimal face."""
        return abs(self.objective - self.lp_bound) <= BOUND_TOL * max(1.0, abs(self.lp_bound))


class WarmModel:
    """The LP as the solver holds it, changed in place between solves.

    With HiGHS one session keeps the basis across solves (`warm`); otherwise (CBC, or
    `warm=False`) every solve starts from scratch on the mirrored program `lp`.
    """

    def __init__(self, lp: LinearProgram, solver: str, warm: bool = True) -> None:
        self.lp, self.solver = lp, solver
        self.session = HighsSession(lp) if solver == "highs" and warm else None
        if self.session is not None:
            # Devex pricing: from the start basis below, half the dual simplex iterations of
            # steepest edge here and a fifth less time (5,000 and 18,000 people)
            self.session.set_option("simplex_dual_edge_weight_strategy", 1)

    def start_basis(self, person: np.ndarray, n_people: int) -> None:
        """Each person's best-scoring option basic (the first on ties), every other row's
        slack basic: dual feasible, since each person's row dual is their best cost."""
        if self.session is None:
            return
        lp = self.lp
        order = np.lexsort((np.arange(lp.num_cols), lp.c, person))
        first = np.r_[True, person[order][1:] != person[order][:-1]]
        self.session.set_start_basis(order[first], np.arange(n_people))

    def solve(self) -> Solution:
        if self.session is not None:
            return self.session.run()
        return solve(self.lp, self.solver)

    def add_rows(self, A: sp.spmatrix, lower: np.ndarray, upper: np.ndarray) -> None:
        A = sp.csr_matrix(A)
        lp = self.lp
        self.lp = replace(lp, A=sp.vstack([lp.A, A], format="csc"),
                          row_lower=np.append(lp.row_lower, lower),
                          row_upper=np.append(lp.row_upper, upper))
        if self.session is not None:
            self.session.add_rows(A, lower, upper)

    def set_costs(self, c: np.ndarray) -> None:
        self.lp = replace(self.lp, c=np.asarray(c, float), offset=0.0)
        if self.session is not None:
            self.session.set_costs(np.arange(len(c)), c)
            self.session.set_offset(0.0)

    def set_bounds(self, col_lower, col_upper, row_lower, row_upper) -> None:
        """New bounds, sent to the solver only where they changed."""
        lp = self.lp
        if self.session is not None:
            cols = np.flatnonzero((col_lower != lp.col_lower) | (col_upper != lp.col_upper))
            if len(cols):
                self.session.set_col_bounds(cols, col_lower[cols], col_upper[cols])
            rows = np.flatnonzero((row_lower != lp.row_lower) | (row_upper != lp.row_upper))
            if len(rows):
                self.session.set_row_bounds(rows, row_lower[rows], row_upper[rows])
        self.lp = replace(lp, col_lower=col_lower, col_upper=col_upper, row_lower=row_lower,
                          row_upper=row_upper)


def fractional(x: np.ndarray) -> np.ndarray:
    return np.abs(x - np.round(x)) > INTEGRALITY_TOL


def solve_integral(model: WarmModel, person: np.ndarray, cuts, max_rounds: int,
                   whole_costs: bool, component_mip: bool = True
                   ) -> tuple[Solution, str, Proof | None]:
    """The LP at a vertex, tightened by cuts (rows added to `model`) while they cut it off;
    then, if still fractional, the MIP over the fractional people, and the whole MIP only if
    that one does not reach the LP bound. Returns the solution, the method and the proof.

    `whole_costs`: the costs are whole numbers, so a whole answer can be no better than the
    LP bound rounded up (the first stage counts in hundredths).
    """
    method = "lp"
    for _ in range(max_rounds + 1):
        sol = model.solve()
        if not sol.status.has_solution:
            return sol, method, None
        if not fractional(sol.x).any():
            return sol, method, Proof(sol.objective, sol.objective, sol.objective, method,
                                      lp=sol)
        rows = cuts.separate(sol.x) if cuts is not None else None
        if rows is None:
            break
        A_cut, rhs = rows
        model.add_rows(A_cut, np.full(len(rhs), -np.inf), rhs)
        method = "lp+cuts"
    bound = sol.objective
    target = math.ceil(bound - BOUND_TOL) if whole_costs else bound
    if component_mip:
        found = _component_mip(model.lp, sol.x, person, model.solver)
        if found is not None:
            x, objective, freed = found
            proof = Proof(objective, bound, target, method + "+component milp", freed, lp=sol)
            if proof.reaches_bound:
                return (Solution(Status.OPTIMAL, sol.solver, x=x, objective=objective),
                        proof.method, proof)
    # The whole MIP, its objective shifted by the LP bound: a relative gap then measures the
    # distance to the bound (HiGHS runs at gap 0; CBC through PuLP at gapRel 0).
    lp = model.lp
    mip = replace(lp.as_mip(), offset=lp.offset - math.floor(bound))
    whole = solve(mip, model.solver)
    if whole.status.has_solution:
        whole.objective = float(lp.c @ np.round(whole.x) + lp.offset)
    return whole, "milp", (Proof(whole.objective, bound, target, "milp",
                                 len(np.unique(person)), lp=sol)
                           if whole.status.has_solution else None)


def _component_mip(lp: LinearProgram, x: np.ndarray, person: np.ndarray, solver: str
                   ) -> tuple[np.ndarray, float, int] | None:
    """The best whole answer that changes only the people the vertex `x` leaves fractional
    (all their options free; every other column at its whole LP value), or None if there is
    none. Returns (x, objective, people freed)."""
    people = np.unique(person[fractional(x)])
    free = np.isin(person, people)
    fixed = np.round(x) * ~free
    A = sp.csr_matrix(lp.A)
    used = A @ fixed  # what the fixed columns take of each row
    sub_cols = np.flatnonzero(free)
    sub_A = sp.csc_matrix(A[:, sub_cols])
    rows = np.flatnonzero(np.diff(sp.csr_matrix(sub_A).indptr))
    sub = LinearProgram(
        c=lp.c[sub_cols], A=sub_A[rows], row_lower=lp.row_lower[rows] - used[rows],
        row_upper=lp.row_upper[rows] - used[rows], col_lower=lp.col_lower[sub_cols],
        col_upper=lp.col_upper[sub_cols], offset=float(lp.c @ fixed + lp.offset))
    got = solve(sub.as_mip(), solver)
    if got.status != Status.OPTIMAL:
        return None
    out = fixed.copy()
    out[sub_cols] = np.round(got.x)
    return out, float(lp.c @ out + lp.offset), len(people)
