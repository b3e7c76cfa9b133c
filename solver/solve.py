"""The solve layer: the only module that talks to a solver.

Models hand over a `LinearProgram` (sparse matrix form, minimisation); `solve` returns a typed
`Solution`. HiGHS is called in-process through highspy (the fastest solver that is always
installed, hence the default); CBC is reached through PuLP, which also gives LP export.
"""

from __future__ import annotations

import contextlib
import enum
import os
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

SOLVERS: tuple[str, ...] = ("highs", "cbc")
DEFAULT_SOLVER = "highs"
INTEGRALITY_TOL = 1e-6


class Status(enum.Enum):
    """Outcome of a solve, with the distinction PuLP blurs: proven optimal vs merely feasible."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # stopped by the time limit with a solution: not proven optimal
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NO_SOLUTION = "no_solution"  # stopped by the time limit before any solution
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


@dataclass
class LinearProgram:
    """min c·x  s.t.  row_lower ≤ A x ≤ row_upper,  col_lower ≤ x ≤ col_upper."""

    c: np.ndarray
    A: sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray | None = None  # bool mask of integer columns (None: all continuous)
    col_names: list[str] | None = None
    row_names: list[str] | None = None
    offset: float = 0.0

    @property
    def num_cols(self) -> int:
        return int(self.c.shape[0])

    @property
    def num_rows(self) -> int:
        return int(self.A.shape[0])

    def is_mip(self) -> bool:
        return self.integer is not None and bool(self.integer.any())

    def as_mip(self) -> LinearProgram:
        """The same program with every column integer."""
        return LinearProgram(
            self.c, self.A, self.row_lower, self.row_upper, self.col_lower, self.col_upper,
            np.ones(self.num_cols, dtype=bool), self.col_names, self.row_names, self.offset,
        )


@dataclass
class Solution:
    """What a solver returned: status, values, objective, and for LPs the row duals."""

    status: Status
    solver: str
    x: np.ndarray | None = None
    objective: float | None = None
    row_duals: np.ndarray | None = None
    gap: float | None = None  # relative MIP gap when stopped early
    seconds: float = 0.0
    message: str = ""
    extra: dict = field(default_factory=dict)


def solve(
    lp: LinearProgram,
    solver: str = DEFAULT_SOLVER,
    time_limit: float | None = None,
    threads: int = 1,
) -> Solution:
    """Solve `lp` with the named solver; never raises for solver outcomes."""
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; expected one of {', '.join(SOLVERS)}")
    if solver == "highs":
        session = HighsSession(lp, time_limit=time_limit, threads=threads)
        return session.run()
    return _solve_cbc(lp, time_limit)


@contextlib.contextmanager
def _quiet_stdout():
    """HiGHS prints a banner from C++ on construction; keep it out of JSON output."""
    fd = 1
    try:
        saved = os.dup(fd)
    except OSError:  # no real stdout (e.g. captured by a test runner): nothing to protect
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


class HighsSession:
    """A HiGHS model kept in memory so variants re-solve warm (bounds or costs changed)."""

    def __init__(self, lp: LinearProgram, time_limit: float | None = None, threads: int = 1):
        import highspy

        self._hs = highspy
        with _quiet_stdout():
            self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("threads", int(threads))
        # Simplex gives vertex solutions: network LPs then come out integral.
        self.h.setOptionValue("solver", "simplex" if not lp.is_mip() else "choose")
        if time_limit is not None:
            self.h.setOptionValue("time_limit", float(time_limit))
        if lp.is_mip():
            # exact: HiGHS's default relative gap (1e-4) can stop whole points short
            self.h.setOptionValue("mip_rel_gap", 0.0)
        self.lp = lp
        model = highspy.HighsLp()
        model.num_col_ = lp.num_cols
        model.num_row_ = lp.num_rows
        model.col_cost_ = np.asarray(lp.c, dtype=float)
        model.col_lower_ = np.asarray(lp.col_lower, dtype=float)
        model.col_upper_ = np.asarray(lp.col_upper, dtype=float)
        model.row_lower_ = np.asarray(lp.row_lower, dtype=float)
        model.row_upper_ = np.asarray(lp.row_upper, dtype=float)
        model.offset_ = float(lp.offset)
        A = sp.csc_matrix(lp.A)
        model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        model.a_matrix_.start_ = A.indptr.astype(np.int32)
        model.a_matrix_.index_ = A.indices.astype(np.int32)
        model.a_matrix_.value_ = A.data.astype(float)
        model.a_matrix_.num_col_ = lp.num_cols
        model.a_matrix_.num_row_ = lp.num_rows
        if lp.is_mip():
            model.integrality_ = [
                highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
                for flag in lp.integer
            ]
        self.h.passModel(model)

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        cols = np.asarray(cols, dtype=np.int32)
        self.h.changeColsBounds(
            len(cols), cols, np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        )

    def set_option(self, name: str, value) -> None:
        self.h.setOptionValue(name, value)

    def set_start_basis(self, basic_cols: np.ndarray, lower_rows: np.ndarray) -> None:
        """A start basis: the columns `basic_cols` basic, the others at their lower bound;
        the rows `lower_rows` at their lower bound, the other rows' slacks basic."""
        status = self._hs.HighsBasisStatus
        cols = np.full(self.h.getNumCol(), status.kLower, dtype=object)
        cols[basic_cols] = status.kBasic
        rows = np.full(self.h.getNumRow(), status.kBasic, dtype=object)
        rows[lower_rows] = status.kLower
        basis = self._hs.HighsBasis()
        basis.col_status, basis.row_status = cols.tolist(), rows.tolist()
        basis.valid = True
        self.h.setBasis(basis)

    def add_rows(self, A: sp.csr_matrix, lower: np.ndarray, upper: np.ndarray) -> None:
        """Rows appended to the model (a CSR matrix over its columns), kept warm."""
        self.h.addRows(A.shape[0], np.asarray(lower, float), np.asarray(upper, float), A.nnz,
                       A.indptr[:-1].astype(np.int32), A.indices.astype(np.int32),
                       A.data.astype(float))

    def set_row_bounds(self, rows: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        self.h.changeRowsBounds(len(rows), np.asarray(rows, dtype=np.int32),
                                np.asarray(lower, float), np.asarray(upper, float))

    def set_offset(self, offset: float) -> None:
        self.h.changeObjectiveOffset(float(offset))

    def set_costs(self, cols: np.ndarray, costs: np.ndarray) -> None:
        cols = np.asarray(cols, dtype=np.int32)
        self.h.changeColsCost(len(cols), cols, np.asarray(costs, dtype=float))

    def run(self) -> Solution:
        hs = self._hs
        start = time.perf_counter()
        self.h.run()
        seconds = time.perf_counter() - start
        model_status = self.h.getModelStatus()
        info = self.h.getInfo()
        ms = hs.HighsModelStatus
        has_primal = info.primal_solution_status == 2  # kSolutionStatusFeasible
        if model_status == ms.kOptimal:
            status = Status.OPTIMAL
        elif model_status == ms.kInfeasible:
            status = Status.INFEASIBLE
        elif model_status in (ms.kUnbounded, ms.kUnboundedOrInfeasible):
            status = Status.UNBOUNDED if model_status == ms.kUnbounded else Status.INFEASIBLE
        elif model_status in (ms.kTimeLimit, ms.kIterationLimit, ms.kInterrupt):
            status = Status.FEASIBLE if has_primal else Status.NO_SOLUTION
        else:
            status = Status.ERROR
        sol = Solution(status=status, solver="highs", seconds=seconds,
                       message=self.h.modelStatusToString(model_status))
        if status.has_solution:
            solution = self.h.getSolution()
            sol.x = np.asarray(solution.col_value, dtype=float)
            sol.objective = float(info.objective_function_value)
            if not self.lp.is_mip() and solution.dual_valid:
                sol.row_duals = np.asarray(solution.row_dual, dtype=float)
            if self.lp.is_mip():
                sol.gap = float(info.mip_gap) if status == Status.FEASIBLE else 0.0
        return sol


def is_integral(x: np.ndarray) -> bool:
    """Whether every value is a whole number (within the tolerance)."""
    return bool(np.all(np.abs(x - np.round(x)) <= INTEGRALITY_TOL))


def solve_integral(lp: LinearProgram, solver: str = DEFAULT_SOLVER,
                   time_limit: float | None = None) -> tuple[Solution, bool]:
    """Solve as an LP; only if the vertex is fractional, again as a MIP.

    Our models are network or interval matrices whose LP vertices are integral; side rows can
    break that, and the MIP is then the exact fallback. Returns (solution, used_mip).
    """
    sol = solve(lp, solver, time_limit)
    if not sol.status.has_solution or is_integral(sol.x):
        return sol, False
    return solve(lp.as_mip(), solver, time_limit), True


def to_pulp(lp: LinearProgram, name: str = "bianzhi"):
    """The program as a PuLP problem (for CBC and for LP export) and its variables."""
    import pulp

    prob = pulp.LpProblem(name, pulp.LpMinimize)
    names = lp.col_names or [f"x{i}" for i in range(lp.num_cols)]
    integer = lp.integer if lp.integer is not None else np.zeros(lp.num_cols, dtype=bool)
    variables = [
        prob.add_variable(
            names[i],
            lowBound=None if np.isneginf(lp.col_lower[i]) else float(lp.col_lower[i]),
            upBound=None if np.isposinf(lp.col_upper[i]) else float(lp.col_upper[i]),
            cat=pulp.LpInteger if integer[i] else pulp.LpContinuous,
        )
        for i in range(lp.num_cols)
    ]
    # LpAffineExpression with (var, coef) pairs: lpSum of tuples silently drops coefficients
    # in PuLP 3.3 (SOLVERS.md).
    prob += pulp.LpAffineExpression(
        [(variables[i], float(lp.c[i])) for i in np.flatnonzero(lp.c)], constant=lp.offset
    )
    A = sp.csr_matrix(lp.A)
    row_names = lp.row_names or [f"r{i}" for i in range(lp.num_rows)]
    for r in range(lp.num_rows):
        lo, hi = lp.row_lower[r], lp.row_upper[r]
        cols = A.indices[A.indptr[r] : A.indptr[r + 1]]
        vals = A.data[A.indptr[r] : A.indptr[r + 1]]
        expr = pulp.LpAffineExpression([(variables[j], float(v)) for j, v in zip(cols, vals)])
        if lo == hi:
            prob += pulp.LpConstraint(expr, pulp.LpConstraintEQ, row_names[r], float(lo))
            continue
        if not np.isneginf(lo):
            prob += pulp.LpConstraint(expr, pulp.LpConstraintGE, row_names[r] + "_lo", float(lo))
        if not np.isposinf(hi):
            prob += pulp.LpConstraint(expr, pulp.LpConstraintLE, row_names[r] + "_hi", float(hi))
    return prob, variables


def _solve_cbc(lp: LinearProgram, time_limit: float | None) -> Solution:
    import pulp

    start = time.perf_counter()
    prob, variables = to_pulp(lp)
    build = time.perf_counter() - start
    with warnings.catch_warnings():
        # PuLP 3.3 deprecates its bundled CBC for 4.0 (which needs Python ≥ 3.12); on 3.11
        # the bundled binary is the CBC that is always there.
        warnings.simplefilter("ignore", DeprecationWarning)
        cmd = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit,
                                gapRel=0.0 if lp.is_mip() else None)
    start = time.perf_counter()
    try:
        prob.solve(cmd)
    except pulp.PulpSolverError as exc:
        return Solution(Status.ERROR, "cbc", message=str(exc))
    seconds = time.perf_counter() - start
    # PuLP 3.x may say Optimal after a time limit: sol_status tells proven vs feasible.
    if prob.sol_status == pulp.LpSolutionOptimal:
        status = Status.OPTIMAL
    elif prob.sol_status == pulp.LpSolutionIntegerFeasible:
        status = Status.FEASIBLE
    elif prob.sol_status == pulp.LpSolutionInfeasible:
        status = Status.INFEASIBLE
    elif prob.sol_status == pulp.LpSolutionUnbounded:
        status = Status.UNBOUNDED
    else:
        status = Status.NO_SOLUTION if time_limit else Status.ERROR
    sol = Solution(status, "cbc", seconds=seconds, message=pulp.LpStatus[prob.status],
                   extra={"build_seconds": build})
    if status.has_solution:
        sol.x = np.array([v.value() or 0.0 for v in variables], dtype=float)
        sol.objective = float(lp.c @ sol.x + lp.offset)
        if not lp.is_mip():
            duals = np.zeros(lp.num_rows)
            row_names = lp.row_names or [f"r{i}" for i in range(lp.num_rows)]
            for r in range(lp.num_rows):
                for suffix in ("", "_lo", "_hi"):
                    con = prob.get_constraint_by_name(row_names[r] + suffix)
                    if con is not None and con.pi is not None:
                        duals[r] += con.pi
            sol.row_duals = duals
        if status == Status.FEASIBLE:
            sol.gap = None  # CBC through PuLP does not report the gap
    return sol
