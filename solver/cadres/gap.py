"""The generalised assignment problem (GAP): the exact core of the surplus-cadre module.

Agents (task groups, with a capacity) receive jobs (people); every job goes to exactly one
agent and the total profit is maximised:

    max Σ profit[i,j]·x[i,j]   s.t.  Σ_i x[i,j] = 1 (each job j),
                                     Σ_j weight[i,j]·x[i,j] ≤ capacity[i] (each agent i),
                                     x binary, x[i,j] = 0 where the pair is not allowed.

All solving goes through `solver.solve.solve`. When every allowed weight is 1 the problem is a
transportation problem whose matrix is totally unimodular, so an LP vertex is already integral:
the "lp" method solves that LP with simplex, checks integrality and falls back to the MILP if the
check fails.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Literal

import numpy as np
import scipy.sparse as sp

from solver.solve import DEFAULT_SOLVER, LinearProgram, Status, is_integral, solve

Method = Literal["auto", "milp", "lp"]
METHODS: tuple[str, ...] = ("auto", "milp", "lp")


class GapInfeasible(ValueError):
    """No assignment puts every job with one allowed agent within the capacities."""


class GapNotSolved(RuntimeError):
    """The solver stopped without any assignment (time limit before a solution, or an error)."""


@dataclass(frozen=True, eq=False)  # eq=False: == on numpy fields would be ambiguous
class GapInstance:
    """One GAP instance: profit and weight are agents × jobs, capacity has one entry per agent."""

    profit: np.ndarray
    weight: np.ndarray
    capacity: np.ndarray

    @property
    def agents(self) -> int:
        return int(self.profit.shape[0])

    @property
    def jobs(self) -> int:
        return int(self.profit.shape[1])


@dataclass(frozen=True, eq=False)
class GapResult:
    """A solved GAP: `status` is OPTIMAL when proven, FEASIBLE when a time limit stopped it early.

    `objective` is recomputed exactly from `profit` and `assignment` (not the solver's float);
    `gap` is the relative MIP gap (0.0 when proven optimal, None when the solver does not say);
    `seconds` is the wall time of the whole call (model building included); `method` is the
    method that produced the assignment ("lp" or "milp"), and `note` says why when the LP fast
    path had to fall back to the MILP.
    """

    objective: float
    assignment: np.ndarray
    status: Status
    gap: float | None
    seconds: float
    method: str
    note: str = ""

    @property
    def proven_optimal(self) -> bool:
        return self.status == Status.OPTIMAL


def solve_gap(
    profit: np.ndarray,
    weight: np.ndarray,
    capacity: np.ndarray,
    *,
    allowed: np.ndarray | None = None,
    solver: str = DEFAULT_SOLVER,
    time_limit: float | None = None,
    method: Method = "auto",
) -> tuple[float, np.ndarray]:
    """Maximise profit; return (objective, assignment[j] = agent of job j): see solve_gap_result."""
    result = solve_gap_result(
        profit, weight, capacity, allowed=allowed, solver=solver, time_limit=time_limit,
        method=method,
    )
    return result.objective, result.assignment


def solve_gap_result(
    profit: np.ndarray,
    weight: np.ndarray,
    capacity: np.ndarray,
    *,
    allowed: np.ndarray | None = None,
    solver: str = DEFAULT_SOLVER,
    time_limit: float | None = None,
    method: Method = "auto",
) -> GapResult:
    """Solve the GAP exactly and return a `GapResult` (check `.status` when time-limited).

    `allowed` (agents × jobs bool, default all True) forbids pairs; `method` is "auto" (the LP
    fast path when every allowed weight is 1, else the MILP), "lp" or "milp". Raises
    `GapInfeasible` when no assignment exists and `GapNotSolved` when the solver gives none.
    """
    start = time.perf_counter()
    profit, weight, capacity, allowed = _validate(profit, weight, capacity, allowed)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    m, n = profit.shape
    unit = bool(np.all(weight[allowed] == 1))
    if method == "lp" and not unit:
        raise ValueError("method='lp' needs every allowed weight to be 1 (transportation problem)")
    use_lp = unit if method == "auto" else method == "lp"

    _precheck(weight, capacity, allowed, unit)
    if n == 0:
        return GapResult(0.0, np.zeros(0, dtype=np.int64), Status.OPTIMAL, 0.0,
                         time.perf_counter() - start, "lp" if use_lp else "milp")

    note = ""
    if use_lp:
        # With unit weights and integer x, Σx ≤ c is the same as Σx ≤ ⌊c⌋; the floor keeps the
        # right-hand side integral, which the TU argument (integral vertices) needs.
        lp, agent_idx, job_idx = _build(profit, weight, np.floor(capacity), allowed, integer=False)
        sol = solve(lp, solver=solver, time_limit=time_limit)
        if sol.status == Status.INFEASIBLE:
            # The LP relaxation is infeasible, so the integer problem is too.
            raise GapInfeasible(_infeasible_message(unit, allowed))
        if sol.status == Status.OPTIMAL and is_integral(sol.x):
            assignment = _decode(sol.x, agent_idx, job_idx, m, n)
            return _result(profit, weight, capacity, assignment, Status.OPTIMAL, 0.0, start, "lp")
        note = (
            "LP vertex not integral; re-solved as a MILP" if sol.status == Status.OPTIMAL
            else f"LP fast path ended {sol.status.value}; re-solved as a MILP"
        )
        if time_limit is not None:
            # Spend only what the LP left of the budget (a small floor so HiGHS still starts).
            time_limit = max(time_limit - (time.perf_counter() - start), 0.01)

    lp, agent_idx, job_idx = _build(profit, weight, capacity, allowed, integer=True)
    sol = solve(lp, solver=solver, time_limit=time_limit)
    if sol.status == Status.INFEASIBLE:
        raise GapInfeasible(_infeasible_message(unit, allowed))
    if not sol.status.has_solution:
        raise GapNotSolved(
            f"GAP solver {solver} stopped without an assignment: {sol.status.value}"
            f" ({sol.message})" + (f" within time_limit={time_limit}s" if time_limit else "")
        )
    assignment = _decode(sol.x, agent_idx, job_idx, m, n)
    gap = 0.0 if sol.status == Status.OPTIMAL else sol.gap
    return _result(profit, weight, capacity, assignment, sol.status, gap, start, "milp", note)


def _validate(
    profit: np.ndarray, weight: np.ndarray, capacity: np.ndarray, allowed: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Arrays as float/bool with consistent shapes and no NaN, or a ValueError saying which."""
    profit = np.asarray(profit, dtype=float)
    weight = np.asarray(weight, dtype=float)
    capacity = np.asarray(capacity, dtype=float)
    if profit.ndim != 2:
        raise ValueError(f"profit must be agents × jobs (2-D), got shape {profit.shape}")
    if weight.shape != profit.shape:
        raise ValueError(f"weight shape {weight.shape} differs from profit shape {profit.shape}")
    if capacity.shape != (profit.shape[0],):
        raise ValueError(
            f"capacity must have one entry per agent ({profit.shape[0]}), got {capacity.shape}"
        )
    if allowed is None:
        allowed = np.ones(profit.shape, dtype=bool)
    else:
        allowed = np.asarray(allowed, dtype=bool)
        if allowed.shape != profit.shape:
            raise ValueError(f"allowed shape {allowed.shape} differs from profit {profit.shape}")
    # Forbidden pairs may carry anything (NaN included); allowed ones must be usable numbers.
    if not np.all(np.isfinite(profit[allowed])) or not np.all(np.isfinite(weight[allowed])):
        raise ValueError("profit and weight must be finite on allowed pairs")
    if np.any(np.isnan(capacity)):
        raise ValueError("capacity contains NaN")
    return profit, weight, capacity, allowed


def _precheck(weight: np.ndarray, capacity: np.ndarray, allowed: np.ndarray, unit: bool) -> None:
    """Cheap infeasibility proofs with a precise message, before any solver is started."""
    m, n = allowed.shape
    fits = allowed & (weight <= capacity[:, None])
    orphans = np.flatnonzero(~fits.any(axis=0))
    if orphans.size:
        shown = ", ".join(str(j) for j in orphans[:10]) + (", …" if orphans.size > 10 else "")
        raise GapInfeasible(
            f"{orphans.size} job(s) fit no allowed agent within its capacity: jobs {shown}"
        )
    if unit:
        # An agent can take at most ⌊capacity⌋ jobs, and no more than it is allowed to take.
        room = np.minimum(np.floor(np.maximum(capacity, 0)), allowed.sum(axis=1))
        if room.sum() < n:
            raise GapInfeasible(
                f"total capacity {room.sum():g} < {n} jobs (unit weights: each agent holds at"
                f" most ⌊capacity⌋ jobs among those it is allowed)"
            )


def _infeasible_message(unit: bool, allowed: np.ndarray) -> str:
    restricted = "" if allowed.all() else " and the allowed pairs"
    if unit:
        return f"no assignment satisfies the capacities{restricted} (total capacity suffices)"
    return f"no assignment satisfies the capacities{restricted}"


def _build(
    profit: np.ndarray, weight: np.ndarray, capacity: np.ndarray, allowed: np.ndarray,
    *, integer: bool,
) -> tuple[LinearProgram, np.ndarray, np.ndarray]:
    """The GAP as a minimisation LP/MILP over allowed pairs only, and each column's (agent, job)."""
    m, n = allowed.shape
    # Forbidden pairs get no column at all: smaller model than bounding them to 0.
    agent_idx, job_idx = np.nonzero(allowed)  # row-major: deterministic column order
    k = agent_idx.size
    cols = np.arange(k)
    w = weight[agent_idx, job_idx]
    keep = w != 0  # a zero weight is no coefficient in the capacity row
    rows = np.concatenate([job_idx, n + agent_idx[keep]])
    data = np.concatenate([np.ones(k), w[keep]])
    A = sp.coo_matrix((data, (rows, np.concatenate([cols, cols[keep]]))), shape=(n + m, k)).tocsc()
    lp = LinearProgram(
        c=-profit[agent_idx, job_idx],  # the solve layer minimises
        A=A,
        row_lower=np.concatenate([np.ones(n), np.full(m, -np.inf)]),
        row_upper=np.concatenate([np.ones(n), capacity]),
        col_lower=np.zeros(k),
        col_upper=np.ones(k),
        integer=np.ones(k, dtype=bool) if integer else None,
    )
    return lp, agent_idx, job_idx


def _decode(
    x: np.ndarray, agent_idx: np.ndarray, job_idx: np.ndarray, m: int, n: int
) -> np.ndarray:
    """assignment[j] = the agent whose x[i,j] is largest (≈1 in an integral solution)."""
    dense = np.full((m, n), -1.0)  # forbidden pairs can never win the argmax
    dense[agent_idx, job_idx] = x
    assignment = dense.argmax(axis=0)  # first maximum on ties: deterministic
    best = dense[assignment, np.arange(n)]
    if np.any(best < 0.5):
        raise GapNotSolved(f"solver returned a fractional assignment (min max x = {best.min():g})")
    return assignment.astype(np.int64)


def _result(
    profit: np.ndarray, weight: np.ndarray, capacity: np.ndarray, assignment: np.ndarray,
    status: Status, gap: float | None, start: float, method: str, note: str = "",
) -> GapResult:
    n = assignment.size
    used = weight[assignment, np.arange(n)]
    load = np.bincount(assignment, weights=used, minlength=len(capacity))
    # Rounded solver output must still respect the capacities (up to float noise in the data).
    if np.any(load > capacity + 1e-6 * np.maximum(1.0, np.abs(capacity))):
        raise GapNotSolved("solver assignment exceeds a capacity after rounding")
    objective = float(profit[assignment, np.arange(n)].sum())
    return GapResult(objective, assignment, status, gap, time.perf_counter() - start, method, note)


def read_orlib(path: str | PathLike[str]) -> list[GapInstance]:
    """Read an OR-Library GAP file (P, then per problem: m n, profits, weights, capacities)."""
    path = Path(path)
    tokens = path.read_text().split()
    pos = 0

    def take(count: int, what: str, problem: int | None) -> np.ndarray:
        nonlocal pos
        where = f"{path}: problem {problem}" if problem is not None else f"{path}"
        if pos + count > len(tokens):
            raise ValueError(
                f"{where}: file ends early reading {what} (needs {count} value(s) from"
                f" position {pos}, only {len(tokens) - pos} left)"
            )
        chunk = tokens[pos : pos + count]
        try:
            values = np.array([int(t) for t in chunk], dtype=np.int64)
        except ValueError:
            bad = next(i for i, t in enumerate(chunk) if not _is_int(t))
            raise ValueError(
                f"{where}: {what}: value {chunk[bad]!r} at position {pos + bad} is not an integer"
            ) from None
        pos += count
        return values

    (num,) = take(1, "the number of problems", None)
    if num < 0:
        raise ValueError(f"{path}: negative number of problems {num}")
    instances = []
    for k in range(1, num + 1):
        m, n = take(2, "the sizes m n", k)
        if m <= 0 or n <= 0:
            raise ValueError(f"{path}: problem {k}: sizes must be positive, got m={m} n={n}")
        profit = take(m * n, f"the {m}×{n} profits", k).reshape(m, n)
        weight = take(m * n, f"the {m}×{n} weights", k).reshape(m, n)
        capacity = take(m, f"the {m} capacities", k)
        for a in (profit, weight, capacity):
            a.flags.writeable = False  # the instance is frozen; so are its arrays
        instances.append(GapInstance(profit, weight, capacity))
    if pos != len(tokens):
        raise ValueError(
            f"{path}: {len(tokens) - pos} unexpected value(s) after the {num} declared problem(s)"
        )
    return instances


def _is_int(token: str) -> bool:
    try:
        int(token)
    except ValueError:
        return False
    return True
