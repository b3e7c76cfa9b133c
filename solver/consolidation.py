"""Merging small institutions (整合小散弱): which merge, into which keeper, and what is freed.

docs/rules.md, "The moves a plan may contain" (merge small institutions) and seed 三(三): the
agriculture bureau has 9 institutions with at most 5 quotas, human resources and civil affairs
5 each. The rules:

- *Candidates*: institutions (kind `institution`) holding only institution quota (事业编制),
  with approved ≤ `threshold`, a parent department (`parent_id`) and functions not lapsed
  (lapsed units are withdrawn, not merged).
- *Compatibility*: two candidates may merge iff they share region, level, parent department
  and system (compatible functions). networkx builds this graph; being an equivalence, its
  connected components are cliques, and each is solved as a block of one integer program.
- *A merger* is one keeper and ≥ 1 absorbed candidates of one component. The keeper keeps its
  set of leader posts; an absorbed unit j can free cap_j = min(overhead_per_unit +
  leader_posts_j, approved_j) of its quota, and frees at least 1 (else it is not absorbed).
- *Nobody loses a post*: freed quotas must be vacant after the merger,
  freed ≤ Σ approved − Σ staff over the merged group, less the vacancies held for surplus
  people returning to their post (one use per vacancy).
- *Size*: the merged unit's approved after the merger, Σ approved − freed, ≤ `max_size`.
- *Objective*: the most quotas freed, then the fewest mergers; the keeper is then the largest
  member that keeps the freed total (ties by unit_id). The freed quotas go to the region's
  pool as `merge_release` moves (`MergerPlan.releases`); the keeper takes the rest of the
  approved quota and all staff.

*Leader-post hard limit* (`leader_posts.hard_limit_on_mergers`, off by default; docs/rules.md
§ 19): the merged unit keeps at most the leader posts that the provincial limits allow an
institution of its size after the merger, L(approved after). The keeper's leader posts above
that, e_k = max(0, leader_posts_k − L(Σ approved − freed)), are freed with the merger, like
the absorbed units' leader posts: released to the pool (the keeper's row in mergers.csv shows
them as `freed`). They count among the freed quotas, so they too must be vacant (nobody loses
a post) and lower the merged size, hence the limit: the state after the merger must agree
with itself, e_k computed at the final size. A merger whose keeper cannot shed its excess that
way (not enough vacancy) is not formed with that keeper. The objective is unchanged (the most
freed, then the fewest mergers); the keeper is the member that frees the most, then the
largest, then the first id. `merger_outcome` computes one merger's best split exactly; with
the limit on, the integer program carries one binary per keeper and limit segment (the sizes
over which L is constant) so that e_k is the excess at the size it selects — only for units
whose leader posts exceed the smallest limit: no other unit is ever above its limit, and a
component made only of such units is settled as without the limit (bounds, packing). A
keeper that frees nothing may wlog come first in keeper order (edges point forward); a
pair with a unit that may free leader posts gets the edge both ways.

How it is solved, exactly: per component an upper bound min(Σ cap − min cap, Σ max(v, 0))
(`upper_bounds`). Components with bound 0 free nothing; where one merger (`one_merger`) or a
first-fit packing into the least possible number of mergers (`pack_mergers`) reaches the
bound, the bound proves it optimal. The rest go to the integer program (`build`): binary
y_e per edge of the graph, oriented from keeper to absorbed unit, z_k per keeper, integer F_k
freed per merger. It is solved in chunks whose objective stays below 10,000, so that HiGHS'
default relative gap (1e-4) cannot stop it short of the optimum (the objective is integral).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from solver import text
from solver.leaders import LeaderRules
from solver.solve import LinearProgram, solve
from solver.text import say
from solver.validate import Dataset

if TYPE_CHECKING:
    import networkx as nx

QUOTA_TYPE = "institution"
KIND = "institution"  # candidates are institutions: their leader-post limits apply
# An integer program whose objective is integral stops at a relative gap of 1e-4 (HiGHS'
# default); with |objective| below 10,000 that gap is < 1, so the incumbent is optimal.
# Components are solved in chunks whose freed quotas are bounded by this.
CHUNK_BOUND = 9_000
CHUNK_PAIRS = 2_000
COMPAT_KEY: tuple[str, ...] = ("region", "level", "parent_id", "system")
TABLE_COLUMNS: tuple[str, ...] = (
    "merger_id", "unit_id", "parent_id", "freed", "reason", "role", "keeper_id", "region",
    "level", "system", "quota_type", "approved_before", "staff_before", "leader_posts",
    "approved_after", "staff_after",
)
RELEASE_COLUMNS: tuple[str, ...] = (
    "unit_id", "quota_type", "amount", "region", "merger_id", "keeper_id", "parent_id", "reason",
)


@dataclass(frozen=True)
class ConsolidationOptions:
    """Options of the merger programme (scenario key `consolidation`)."""

    enabled: bool = False
    # small institution: approved institution quota ≤ threshold (DOMAIN: 5 or 7)
    threshold: int = 5
    # a merged institution stays a regular-sized one: approved after the merger ≤ max_size
    max_size: int = 30
    # quotas of overhead freed per absorbed unit, besides its leader posts
    overhead_per_unit: int = 1
    # leader_posts.hard_limit_on_mergers: the limits whose excess a keeper frees (None: off,
    # the keeper keeps all its leader posts)
    leader_limit: LeaderRules | None = None

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError(f"consolidation.threshold {self.threshold} must be 1 or more")
        if self.max_size < self.threshold:
            raise ValueError(f"consolidation.max_size {self.max_size} must be at least the "
                             f"threshold {self.threshold}")
        if self.overhead_per_unit < 0:
            raise ValueError(f"consolidation.overhead_per_unit {self.overhead_per_unit} must "
                             "be 0 or more")

    def limit_curve(self) -> np.ndarray | None:
        """With the hard limit: the most leader posts a merged institution of each size 0, 1,
        …, max_size keeps; None without it."""
        if self.leader_limit is None:
            return None
        return self.leader_limit.curve(KIND, self.max_size)


@dataclass
class MergerPlan:
    """Proposed mergers: one row per institution in a merger, and the quotas they free."""

    table: pd.DataFrame
    releases: pd.DataFrame
    candidates: pd.DataFrame
    status: str
    options: ConsolidationOptions
    solver: str = ""
    seconds: float = 0.0
    chunks: int = 0
    decided_by_bound: int = 0  # components decided by the upper bound, without the solver

    def summary(self) -> dict:
        """Candidates, mergers, units merged and quotas freed; the same per parent department."""
        t, c = self.table, self.candidates
        by_parent: dict[str, dict] = {}
        if len(c):
            groups = c.groupby("parent_id", sort=True)
            merged = t.groupby("parent_id")
            for pid, g in groups:
                m = merged.get_group(pid) if pid in merged.groups else t.iloc[:0]
                by_parent[str(pid)] = {
                    "name": str(g["parent_name"].iat[0]), "candidates": len(g),
                    "mergers": int(m["merger_id"].nunique()), "units_merged": len(m),
                    "freed": int(m["freed"].sum()),
                }
        return {
            "status": self.status,
            "enabled": self.options.enabled,
            "threshold": self.options.threshold,
            "max_size": self.options.max_size,
            "overhead_per_unit": self.options.overhead_per_unit,
            "hard_limit_on_mergers": self.options.leader_limit is not None,
            "candidates": len(c),
            "mergers": int(t["merger_id"].nunique()) if len(t) else 0,
            "units_merged": len(t),
            "units_absorbed": int((t["role"] == "absorbed").sum()) if len(t) else 0,
            "quotas_freed": int(t["freed"].sum()) if len(t) else 0,
            # of which keepers' leader posts above the limit of the merged size (hard limit)
            "leader_posts_freed": int(t.loc[t["role"] == "keeper", "freed"].sum())
            if len(t) else 0,
            "by_parent": by_parent,
        }


# ---------------------------------------------------------------- candidates and graph


def candidates(ds: Dataset, options: ConsolidationOptions,
               held: dict[tuple[str, str], int] | None = None) -> pd.DataFrame:
    """Small institutions that may merge, sorted by compatibility group then keeper order.

    `held`: vacancies already held for another use (people returning to their post): a
    merger may not free them (one use per vacancy).

    Keeper order inside a group: smallest cap first (the keeper frees nothing, so the unit
    with the least to free keeps its leader posts), then largest approved, then unit_id.
    """
    units = ds.units
    q = ds.quotas
    inst = q[q["quota_type"] == QUOTA_TYPE].groupby("unit_id")[["approved", "staff"]].sum()
    other_types = set(q.loc[q["quota_type"] != QUOTA_TYPE, "unit_id"])
    u = units.assign(
        approved=units["unit_id"].map(inst["approved"]),
        staff=units["unit_id"].map(inst["staff"]),
    )
    keep = (
        (u["kind"] == "institution") & (u["function_status"] != "lapsed")
        & u["parent_id"].notna() & u["approved"].notna()
        & ~u["unit_id"].isin(other_types)
    )
    keep &= u["approved"].fillna(np.inf) <= options.threshold
    c = u.loc[keep.to_numpy(), ["unit_id", "name", *COMPAT_KEY, "leader_posts",
                                "function_status"]].copy()
    c["approved"] = u.loc[keep.to_numpy(), "approved"].to_numpy(np.int64)
    c["staff"] = u.loc[keep.to_numpy(), "staff"].to_numpy(np.int64)
    c["leader_posts"] = pd.to_numeric(c["leader_posts"], errors="coerce").fillna(0).astype(
        np.int64)
    # posts held for returning people count as occupied (`staff` below is staff + held)
    c["held"] = c["unit_id"].map({u: n for (u, qt), n in (held or {}).items()
                                  if qt == QUOTA_TYPE}).fillna(0).astype(np.int64)
    c["staff"] += c["held"]
    c["vacancy"] = c["approved"] - c["staff"]  # signed: an over-quota unit brings a deficit
    c["cap"] = np.minimum(options.overhead_per_unit + c["leader_posts"], c["approved"])
    names = units.set_index("unit_id")["name"]
    c["parent_name"] = c["parent_id"].map(names).fillna("")
    c = c.sort_values([*COMPAT_KEY, "cap", "approved", "unit_id"],
                      ascending=[True] * len(COMPAT_KEY) + [True, False, True], kind="stable")
    return c.reset_index(drop=True)


def compatibility_graph(cands: pd.DataFrame) -> nx.Graph:
    """Candidates as nodes; an edge between every two of the same region, level, parent and
    system. Edges are built per group size with numpy (a group of n has n(n−1)/2 edges)."""
    import networkx as nx  # only a run with consolidation pays for importing it

    graph = nx.Graph()
    graph.add_nodes_from(cands["unit_id"])
    u, v = _group_pairs(cands)
    ids = cands["unit_id"].to_numpy()
    graph.add_edges_from(zip(ids[u], ids[v]))
    return graph


def _group_pairs(cands: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """All pairs (i, j), i < j, of candidate positions in one compatibility group."""
    if len(cands) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    codes = cands.groupby(list(COMPAT_KEY), sort=False, dropna=False).ngroup().to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    sizes = np.diff(np.r_[starts, len(codes)])
    us, vs = [], []
    for size in np.unique(sizes[sizes >= 2]):
        iu, ju = np.triu_indices(int(size), 1)
        first = starts[sizes == size][:, None]
        us.append((first + iu).ravel())
        vs.append((first + ju).ravel())
    if not us:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(us), np.concatenate(vs)


# ---------------------------------------------------------------- the integer program


@dataclass
class MergerModel:
    """The IP of one chunk of components and the index maps to read it back."""

    lp: LinearProgram
    nodes: np.ndarray  # candidate positions of this chunk
    keeper: np.ndarray  # edge → keeper candidate position
    absorbed: np.ndarray  # edge → absorbed candidate position


def limit_segments(curve: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sizes over which the leader-post limit is constant: (first size, last size, limit)
    per segment, covering 0 … len(curve) − 1."""
    change = np.flatnonzero(np.diff(curve) != 0) + 1
    lo = np.r_[0, change].astype(np.int64)
    hi = np.r_[change - 1, len(curve) - 1].astype(np.int64)
    return lo, hi, curve[lo].astype(np.int64)


def build(cands: pd.DataFrame, nodes: np.ndarray, keeper: np.ndarray, absorbed: np.ndarray,
          options: ConsolidationOptions, freed_weight: np.ndarray | int = 1) -> MergerModel:
    """Columns [y_e for edges | z_k for nodes | F_k for nodes | w_ks with the hard limit];
    rows by family, then the objective min Σ z_k − W·Σ (F_k + E_k) (most freed, then fewest
    mergers).

    F_k is what the absorbed units of keeper k free. With the leader-post hard limit, w_ks = 1
    selects the segment s of sizes (constant limit L_s) the merged unit ends in, and the keeper
    frees E_k = Σ_s max(0, leader_posts_k − L_s) w_ks besides (w only for keepers whose leader
    posts exceed the smallest limit: E_k = 0 for the others, whatever the size)."""
    n_e, n_n = len(keeper), len(nodes)
    local = np.full(len(cands), -1, dtype=np.int64)
    local[nodes] = np.arange(n_n)
    k_loc, j_loc = local[keeper], local[absorbed]
    Y, Z, F, W = 0, n_e, n_e + n_n, n_e + 2 * n_n
    a = cands["approved"].to_numpy(float)
    v = cands["vacancy"].to_numpy(float)
    cap = cands["cap"].to_numpy(float)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    lower: list[np.ndarray] = []
    upper: list[np.ndarray] = []
    row0 = 0

    def family(rows, cols, vals, lo, hi, count):
        nonlocal row0
        parts.append((row0 + np.asarray(rows), np.asarray(cols), np.asarray(vals, dtype=float)))
        lower.append(np.broadcast_to(np.asarray(lo, dtype=float), (count,)).copy())
        upper.append(np.broadcast_to(np.asarray(hi, dtype=float), (count,)).copy())
        row0 += count

    edges, node = np.arange(n_e), np.arange(n_n)
    ones_e, ones_n = np.ones(n_e), np.ones(n_n)
    curve = options.limit_curve()
    if curve is None:
        n_s = 0
        w_node = w_col = np.zeros(0, dtype=np.int64)
        excess = seg_lo = seg_hi = np.zeros(0)
    else:
        seg_lo, seg_hi, seg_limit = limit_segments(curve)
        posts = cands["leader_posts"].to_numpy(np.int64)[nodes]
        # only a node above the smallest limit can ever be above the limit of its size: the
        # others need no segment (their excess is 0 whatever the size)
        risky = np.flatnonzero(posts > seg_limit.min())
        n_s = len(seg_lo) if len(risky) else 0
        # row-major: risky node r's segments are columns W + r·n_s + s
        w_node = np.repeat(risky, n_s)
        w_col = W + np.arange(len(risky) * n_s)
        excess = np.maximum(posts[risky, None] - seg_limit[None, :], 0).ravel().astype(float)
        seg_lo = np.tile(seg_lo, len(risky)).astype(float)
        seg_hi = np.tile(seg_hi, len(risky)).astype(float)
    # once: a unit is absorbed by at most one keeper, and not while it keeps others
    #   Σ_{e: absorbed(e)=j} y_e + z_j ≤ 1
    family(np.r_[j_loc, node], np.r_[Y + edges, Z + node], np.r_[ones_e, ones_n], -np.inf, 1,
           n_n)
    # link: y_e ≤ z_keeper(e)
    family(np.r_[edges, edges], np.r_[Y + edges, Z + k_loc], np.r_[ones_e, -ones_e], -np.inf,
           0, n_e)
    # a keeper keeps someone: z_k ≤ Σ_{e: keeper(e)=k} y_e
    family(np.r_[node, k_loc], np.r_[Z + node, Y + edges], np.r_[ones_n, -ones_e], -np.inf, 0,
           n_n)
    # freed within the absorbed units' caps: F_k ≤ Σ cap_j y_e
    family(np.r_[node, k_loc], np.r_[F + node, Y + edges], np.r_[ones_n, -cap[absorbed]],
           -np.inf, 0, n_n)
    # every absorbed unit frees at least one: F_k ≥ Σ y_e
    family(np.r_[node, k_loc], np.r_[F + node, Y + edges], np.r_[ones_n, -ones_e], 0, np.inf,
           n_n)
    # freed quotas are vacant after the merger: F_k + E_k ≤ v_k z_k + Σ v_j y_e
    # (v = approved − staff)
    family(np.r_[node, node, k_loc, w_node], np.r_[F + node, Z + node, Y + edges, w_col],
           np.r_[ones_n, -v[nodes], -v[absorbed], excess], -np.inf, 0, n_n)
    # size: a_k z_k + Σ a_j y_e − F_k − E_k ≤ max_size · z_k
    family(np.r_[node, k_loc, node, w_node], np.r_[Z + node, Y + edges, F + node, w_col],
           np.r_[a[nodes] - options.max_size, a[absorbed], -ones_n, -excess], -np.inf, 0, n_n)
    if n_s:
        # rows of the risky keepers only: position of each node among them (−1: none)
        at = np.full(n_n, -1, dtype=np.int64)
        at[risky] = np.arange(len(risky))
        n_r = len(risky)
        mine = at[k_loc] >= 0
        # one segment per keeper: Σ_s w_ks = z_k
        family(np.r_[at[w_node], np.arange(n_r)], np.r_[w_col, Z + risky],
               np.r_[np.ones(len(w_col)), -np.ones(n_r)], 0, 0, n_r)
        # the merged size lies in the segment chosen: lo_s ≤ size ≤ hi_s, where
        # size = a_k z_k + Σ a_j y_e − F_k − E_k
        for bound, lo, hi in ((seg_lo, 0, np.inf), (seg_hi, -np.inf, 0)):
            family(np.r_[np.arange(n_r), at[k_loc[mine]], np.arange(n_r), at[w_node]],
                   np.r_[Z + risky, Y + edges[mine], F + risky, w_col],
                   np.r_[a[nodes[risky]], a[absorbed[mine]], -np.ones(n_r), -excess - bound],
                   lo, hi, n_r)
    r = np.concatenate([p[0] for p in parts])
    c = np.concatenate([p[1] for p in parts])
    d = np.concatenate([p[2] for p in parts])
    n_w = len(w_col)
    n_cols = n_e + 2 * n_n + n_w
    A = sp.csc_matrix((d, (r, c)), shape=(row0, n_cols))
    f_upper = np.bincount(k_loc, weights=cap[absorbed], minlength=n_n)
    col_upper = np.r_[np.where(cap[absorbed] >= 1, 1.0, 0.0), ones_n, f_upper, np.ones(n_w)]
    weight = np.broadcast_to(np.asarray(freed_weight, dtype=float), (n_n,))
    cost = np.r_[np.zeros(n_e), ones_n, -weight, -weight[w_node] * excess]
    lp = LinearProgram(
        c=cost, A=A, row_lower=np.concatenate(lower), row_upper=np.concatenate(upper),
        col_lower=np.zeros(n_cols), col_upper=col_upper,
        integer=np.ones(n_cols, dtype=bool),
    )
    return MergerModel(lp=lp, nodes=nodes, keeper=keeper, absorbed=absorbed)


def keeper_most(cands: pd.DataFrame, options: ConsolidationOptions) -> np.ndarray:
    """The most leader posts each candidate could free as a keeper: 0 without the hard limit,
    else max(0, leader posts − the smallest limit of any size)."""
    curve = options.limit_curve()
    if curve is None:
        return np.zeros(len(cands), dtype=np.int64)
    return np.maximum(cands["leader_posts"].to_numpy(np.int64) - int(curve.min()), 0)


def upper_bounds(cands: pd.DataFrame, comp: np.ndarray, n_comp: int,
                 most: np.ndarray | None = None) -> np.ndarray:
    """Most quotas a component can free: min(Σ cap − min cap, Σ max(vacancy, 0)).

    Every merger has a keeper that frees nothing (so at most Σ cap − the smallest cap), and
    a merger frees no more than its members' vacancies. With the leader-post hard limit a
    keeper frees at most `most` (`keeper_most`): each unit frees at most max(cap, most), and
    one at least is a keeper: Σ max(cap, most) − min (max(cap, most) − most), which is the
    bound above where no unit could free leader posts.
    """
    cap = cands["cap"].to_numpy(np.int64)
    vac = cands["vacancy"].to_numpy(np.int64)
    most = np.zeros(len(cands), dtype=np.int64) if most is None else most
    top = np.maximum(cap, most)
    min_gap = pd.Series(top - most).groupby(comp).min().reindex(range(n_comp), fill_value=0
                                                                ).to_numpy(np.int64)
    top_sum = np.bincount(comp, weights=top, minlength=n_comp).astype(np.int64)
    vac_pos = np.bincount(comp, weights=np.clip(vac, 0, None), minlength=n_comp).astype(np.int64)
    return np.minimum(top_sum - min_gap, vac_pos)


def one_merger(cands: pd.DataFrame, comp: np.ndarray, bound: np.ndarray,
               options: ConsolidationOptions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A single merger per component that reaches the upper bound, where one does.

    The keeper is the first unit in keeper order that is not over quota; every other unit
    with a vacancy and something to free (cap ≥ 1) is absorbed (all of the component's vacancy is then in the merger); units
    without a vacancy are added, largest cap first, until the caps reach the bound. Accepted
    if it frees the bound, ≥ 1 per absorbed unit, within the size limit: the bound proves it
    optimal, and one merger is the fewest. Returns (solved per component, keeper and
    absorbed positions).
    """
    n_comp = len(bound)
    pos = np.arange(len(cands))
    cap = cands["cap"].to_numpy(np.int64)
    vac = cands["vacancy"].to_numpy(np.int64)
    approved = cands["approved"].to_numpy(np.int64)
    big = len(cands) + 1
    first = pd.Series(np.where(vac >= 0, pos, big)).groupby(comp).min().reindex(
        range(n_comp), fill_value=big).to_numpy(np.int64)
    has_keeper = first < big
    is_keeper = np.zeros(len(cands), dtype=bool)
    is_keeper[first[has_keeper]] = True
    member = (vac > 0) & ~is_keeper & (cap >= 1)  # an absorbed unit frees ≥ 1 of its own
    cap_in = np.bincount(comp, weights=cap * member, minlength=n_comp)
    need = bound - cap_in
    # units without a vacancy, largest cap first, while the caps fall short of the bound
    zero = np.flatnonzero((vac == 0) & ~is_keeper & (cap >= 1))
    order = zero[np.lexsort((pos[zero], approved[zero], -cap[zero], comp[zero]))]
    before = pd.Series(cap[order]).groupby(comp[order]).cumsum().to_numpy() - cap[order]
    member[order[before < need[comp[order]]]] = True
    group = member | is_keeper
    absorbed_n = np.bincount(comp, weights=member, minlength=n_comp)
    cap_in = np.bincount(comp, weights=cap * member, minlength=n_comp)
    vac_in = np.bincount(comp, weights=vac * group, minlength=n_comp)
    freed = np.minimum(cap_in, vac_in)
    size = np.bincount(comp, weights=approved * group, minlength=n_comp) - freed
    solved = (has_keeper & (absorbed_n >= 1) & (freed == bound) & (freed >= absorbed_n)
              & (size <= options.max_size))
    keep = member & solved[comp]
    return solved, first[comp[keep]], pos[keep]


def pack_mergers(cands: pd.DataFrame, members: np.ndarray, bound: int,
                 options: ConsolidationOptions) -> list[np.ndarray] | None:
    """Several mergers that free the bound in as few mergers as any plan can, or None.

    Applies when the bound is the component's vacancy Σ max(v, 0): reaching it puts every
    unit with a vacancy into a merger, none over quota, and frees each merger's whole
    vacancy, so its size after is Σ staff ≤ max_size. Hence no plan freeing the bound has
    fewer than ⌈Σ staff of the vacant units / max_size⌉ mergers. First-fit decreasing by staff
    into that many mergers; units without a vacancy are added where the caps fall short.
    Each returned array is one merger, keeper first (positions in keeper order).
    """
    cap = cands["cap"].to_numpy(np.int64)[members]
    vac = cands["vacancy"].to_numpy(np.int64)[members]
    staff = cands["staff"].to_numpy(np.int64)[members]
    limit = options.max_size
    vacant = np.flatnonzero(vac > 0)
    if bound != vac[vacant].sum() or len(vacant) == 0 or staff[vacant].max() > limit:
        return None
    n_bins = -(-int(staff[vacant].sum()) // limit)
    if n_bins < 2:
        return None  # one merger was tried by `one_merger`
    bins: list[list[int]] = [[] for _ in range(n_bins)]
    load = np.zeros(n_bins, dtype=np.int64)
    for i in vacant[np.lexsort((vacant, -staff[vacant]))]:
        fits = np.flatnonzero(load + staff[i] <= limit)
        if len(fits) == 0:
            return None
        bins[fits[0]].append(int(i))
        load[fits[0]] += staff[i]
    zero = np.flatnonzero((vac == 0) & (cap >= 1))
    fillers = [int(i) for i in zero[np.lexsort((zero, staff[zero], -cap[zero]))]]

    def ok(group: list[int]) -> bool:
        group_vac = int(vac[group].sum())
        absorbed_cap = int(cap[group].sum() - cap[min(group)])
        # the keeper is the smallest cap: a unit with nothing to free may only keep
        return (len(group) >= 2 and absorbed_cap >= group_vac and len(group) - 1 <= group_vac
                and int((cap[group] == 0).sum()) <= 1)

    out = []
    for b, group in enumerate(bins):
        while not ok(group):
            room = [f for f in fillers if load[b] + staff[f] <= limit]
            if not room or len(group) > int(vac[group].sum()):
                return None
            group.append(room[0])
            fillers.remove(room[0])
            load[b] += staff[room[0]]
        out.append(members[np.sort(group)])
    return out


def chunks(components: list[np.ndarray], objective: np.ndarray) -> list[list[int]]:
    """Component indices in order, grouped so that each group's |objective| stays under
    CHUNK_BOUND (exactness) and its pair variables under CHUNK_PAIRS (branching in one big
    tree is slower than in several small ones)."""
    out: list[list[int]] = []
    total, pairs = CHUNK_BOUND + 1, 0
    for k, comp in enumerate(components):
        n_pairs = len(comp) * (len(comp) - 1) // 2
        if total + objective[k] > CHUNK_BOUND or pairs + n_pairs > CHUNK_PAIRS:
            out.append([])
            total, pairs = 0, 0
        out[-1].append(k)
        total += objective[k]
        pairs += n_pairs
    return out


# ---------------------------------------------------------------- results


def _attribute(freed_total: np.ndarray, merger_of: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Per absorbed unit (sorted by merger, then unit_id): 1 each, the rest in id order up to cap."""
    extra = cap - 1
    before = pd.Series(extra).groupby(merger_of).cumsum().to_numpy() - extra
    remaining = freed_total[merger_of] - np.bincount(merger_of)[merger_of]
    return 1 + np.clip(remaining - before, 0, extra)


def largest_keeper(cands: pd.DataFrame, keeper: np.ndarray, absorbed: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Re-pick each merger's keeper: the member with the largest approved (then unit_id)
    among those whose leader posts can stay without freeing less.

    The keeper found comes first in keeper order (smallest cap first: wlog for the quotas
    freed); any member j with Σ cap − cap_j ≥ freed (the others all with cap ≥ 1) keeps the same freed, vacancy, size and members, so
    the larger unit absorbing the smaller ones is an exact tie-break.
    """
    cap = cands["cap"].to_numpy(np.int64)
    a = cands["approved"].to_numpy(np.int64)
    s = cands["staff"].to_numpy(np.int64)
    keepers, m = np.unique(keeper, return_inverse=True)
    members = np.r_[keepers, absorbed]
    merger = np.r_[np.arange(len(keepers)), m]

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(merger, weights=values[members], minlength=len(keepers))

    cap_sum = total(cap)
    freed = np.minimum(cap_sum - cap[keepers], total(a) - total(s))
    no_cap = np.bincount(merger, weights=cap[members] == 0, minlength=len(keepers))
    # the others must each free ≥ 1 (cap ≥ 1) and together still the same freed
    eligible = ((cap_sum[merger] - cap[members] >= freed[merger])
                & (no_cap[merger] - (cap[members] == 0) == 0))
    order = np.lexsort((members, -a[members], ~eligible, merger))
    first = np.r_[True, merger[order][1:] != merger[order][:-1]]
    new_keeper = np.empty(len(keepers), dtype=np.int64)
    new_keeper[merger[order][first]] = members[order][first]
    is_new = members == new_keeper[merger]
    return new_keeper[merger[~is_new]], members[~is_new]


def merger_outcome(approved: int, staff: int, cap_absorbed: int, n_absorbed: int,
                   keeper_posts: int, curve: np.ndarray | None, max_size: int
                   ) -> tuple[int, int] | None:
    """One merger at its best: (quotas its absorbed units free, leader posts its keeper frees),
    or None if it may not be formed.

    approved and staff are the whole group's; cap_absorbed the absorbed units' caps, each
    ≥ 1. Without the hard limit (curve None) the keeper frees nothing and the absorbed units
    min(Σ cap, vacancy). With it, the largest total T = A + e such that A is within
    [n_absorbed, Σ cap], T ≤ vacancy, the size approved − T ≤ max_size, and e =
    max(0, keeper_posts − curve[approved − T]) is the excess at that very size.
    """
    vacancy = approved - staff
    if curve is None:
        freed = min(cap_absorbed, vacancy)
        if freed < n_absorbed or approved - freed > max_size:
            return None
        return freed, 0
    for total in range(min(vacancy, cap_absorbed + keeper_posts), n_absorbed - 1, -1):
        size = approved - total
        if size > max_size:
            return None  # a smaller total only makes the merged unit larger
        excess = max(0, keeper_posts - int(curve[size]))
        if n_absorbed <= total - excess <= cap_absorbed:
            return total - excess, excess
    return None


def best_keepers(cands: pd.DataFrame, keeper: np.ndarray, absorbed: np.ndarray,
                 options: ConsolidationOptions) -> tuple[np.ndarray, np.ndarray]:
    """With the leader-post hard limit: re-pick each merger's keeper, the member that frees
    the most (`merger_outcome`; the others must each have cap ≥ 1), then the largest
    approved, then the first unit_id. The keeper's leader posts change what is freed, so
    the tie-break of `largest_keeper` is not exact here; each member is tried."""
    curve = options.limit_curve()
    ids = cands["unit_id"].to_numpy()
    cap = cands["cap"].to_numpy(np.int64)
    a = cands["approved"].to_numpy(np.int64)
    s = cands["staff"].to_numpy(np.int64)
    posts = cands["leader_posts"].to_numpy(np.int64)
    keepers, m = np.unique(keeper, return_inverse=True)
    order = np.argsort(m, kind="stable")
    groups = np.split(absorbed[order], np.cumsum(np.bincount(m, minlength=len(keepers)))[:-1])
    new_keeper, new_absorbed = [], []
    for k0, others0 in zip(keepers, groups, strict=True):
        members = np.r_[k0, others0]
        best: tuple | None = None
        for c in members:
            others = members[members != c]
            if (cap[others] < 1).any():
                continue
            out = merger_outcome(int(a[members].sum()), int(s[members].sum()),
                                 int(cap[others].sum()), len(others), int(posts[c]), curve,
                                 options.max_size)
            if out is None:
                continue
            key = (-(out[0] + out[1]), -int(a[c]), str(ids[c]))
            if best is None or key < best[0]:
                best = (key, c, others)
        if best is None:
            raise RuntimeError(f"merger of {sorted(ids[members])}: no member can keep it under "
                               "the leader-post limit; the integer program chose it")
        new_keeper.append(np.full(len(best[2]), best[1]))
        new_absorbed.append(best[2])
    return np.concatenate(new_keeper), np.concatenate(new_absorbed)


def _tables(cands: pd.DataFrame, keeper: np.ndarray, absorbed: np.ndarray,
            options: ConsolidationOptions) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merger rows (keepers and absorbed units) and the releases to the pool.

    A merger frees min(Σ cap of its absorbed units, Σ approved − Σ staff of the group): the
    most its rules allow (the integer program's F at an optimum). With the leader-post hard
    limit, `merger_outcome` splits it into what the absorbed units free and the keeper's
    leader posts above the limit of the merged size.
    """
    ids = cands["unit_id"].to_numpy()
    keepers = np.unique(keeper)
    merger_ids = np.array([f"M-{k}" for k in ids[keepers]], dtype=object)
    m_of_keeper = np.full(len(cands), -1, dtype=np.int64)
    m_of_keeper[keepers] = np.arange(len(keepers))
    m = m_of_keeper[keeper]
    order = np.lexsort((ids[absorbed], m))
    absorbed, m = absorbed[order], m[order]
    cap = cands["cap"].to_numpy(np.int64)
    a = cands["approved"].to_numpy(np.int64)
    s = cands["staff"].to_numpy(np.int64)  # occupied: staff + posts held for returns
    h = cands["held"].to_numpy(np.int64)
    group_a = a[keepers] + np.bincount(m, weights=a[absorbed], minlength=len(keepers)).astype(
        np.int64)
    group_s = s[keepers] + np.bincount(m, weights=s[absorbed], minlength=len(keepers)).astype(
        np.int64)
    cap_in = np.bincount(m, weights=cap[absorbed], minlength=len(keepers)).astype(np.int64)
    n_abs = np.bincount(m, minlength=len(keepers))
    curve = options.limit_curve()
    posts = cands["leader_posts"].to_numpy(np.int64)
    if curve is None:
        freed_absorbed = np.minimum(cap_in, group_a - group_s)
        keeper_freed = np.zeros(len(keepers), dtype=np.int64)
    else:
        split = [merger_outcome(int(ga), int(gs), int(ci), int(n), int(posts[k]), curve,
                                options.max_size)
                 for ga, gs, ci, n, k in zip(group_a, group_s, cap_in, n_abs, keepers,
                                             strict=True)]
        if any(x is None for x in split):
            raise RuntimeError("a merger chosen breaks the leader-post limit")
        freed_absorbed = np.array([x[0] for x in split], dtype=np.int64)
        keeper_freed = np.array([x[1] for x in split], dtype=np.int64)
    freed_total = freed_absorbed + keeper_freed
    freed = _attribute(freed_absorbed, m, cap[absorbed])

    pos = np.r_[keepers, absorbed]
    merger = np.r_[np.arange(len(keepers)), m]
    role = np.r_[np.full(len(keepers), "keeper"), np.full(len(absorbed), "absorbed")]
    table = cands.iloc[pos][["unit_id", "parent_id", "region", "level", "system",
                             "leader_posts", "parent_name"]].reset_index(drop=True)
    table.insert(0, "merger_id", merger_ids[merger])
    table["freed"] = np.r_[keeper_freed, freed]
    table["role"] = role
    table["keeper_id"] = ids[keepers][merger]
    table["quota_type"] = QUOTA_TYPE
    table["approved_before"] = a[pos]
    table["staff_before"] = s[pos] - h[pos]
    is_keeper = role == "keeper"
    group_h = h[keepers] + np.bincount(m, weights=h[absorbed], minlength=len(keepers)).astype(
        np.int64)
    table["approved_after"] = np.where(is_keeper, (group_a - freed_total)[merger], 0)
    table["staff_after"] = np.where(is_keeper, (group_s - group_h)[merger], 0)
    reasons = []
    for r, mi in zip(table.itertuples(index=False), merger, strict=True):
        if r.role == "keeper":
            held = say("merger.held", held=group_h[mi]) if group_h[mi] else ""
            count = int(n_abs[mi])
            reasons.append(say(
                "merger.keeper", merger=r.merger_id, count=count, parent=r.parent_name,
                system=r.system, plural="s" if count > 1 else "",
                verb="merge" if count > 1 else "merges", approved=group_a[mi],
                freed=freed_total[mi], after=group_a[mi] - freed_total[mi],
                max_size=options.max_size, vacancy=group_a[mi] - group_s[mi],
                staff=group_s[mi] - group_h[mi], held=held,
                limit=_limit_reason(options, int(r.leader_posts), int(keeper_freed[mi]),
                                    int(group_a[mi] - freed_total[mi]))))
        else:
            reasons.append(say(
                "merger.absorbed", keeper=r.keeper_id, approved=r.approved_before,
                threshold=options.threshold, freed=r.freed,
                overhead=options.overhead_per_unit, posts=r.leader_posts))
    table["reason"] = reasons
    table = table.sort_values(["merger_id", "role", "unit_id"], ascending=[True, False, True],
                              kind="stable").reset_index(drop=True)
    # what absorbed units free, and a keeper's leader posts above the limit (hard limit)
    rel = table[table["freed"] > 0]
    releases = pd.DataFrame({
        "unit_id": rel["unit_id"].to_numpy(), "quota_type": QUOTA_TYPE,
        "amount": rel["freed"].to_numpy(np.int64), "region": rel["region"].to_numpy(),
        "merger_id": rel["merger_id"].to_numpy(), "keeper_id": rel["keeper_id"].to_numpy(),
        "parent_id": rel["parent_id"].to_numpy(),
        "reason": [say("merger.release", unit=text.named("unit", u),
                       keeper=text.named("unit", k), merger=mid) if u != k else
                   say("merger.release_leaders", keeper=text.named("unit", k), merger=mid)
                   for u, k, mid in zip(rel["unit_id"], rel["keeper_id"], rel["merger_id"],
                                        strict=True)],
    }, columns=list(RELEASE_COLUMNS))
    return table[[*TABLE_COLUMNS, "parent_name"]], releases


def _limit_reason(options: ConsolidationOptions, posts: int, freed: int, size: int) -> str:
    """The keeper's leader posts under the hard limit, for its reason ('' without it)."""
    if options.leader_limit is None:
        return ""
    return (say("merger.limit", kept=posts - freed, posts=posts,
                basis=options.leader_limit.basis(KIND, size, text.current()))
            + (say("merger.limit_frees", freed=freed) if freed else ""))


def _empty(cands: pd.DataFrame, status: str, options: ConsolidationOptions,
           solver: str) -> MergerPlan:
    table = pd.DataFrame({c: pd.Series(dtype=object) for c in (*TABLE_COLUMNS, "parent_name")})
    releases = pd.DataFrame({c: pd.Series(dtype=object) for c in RELEASE_COLUMNS})
    return MergerPlan(table, releases, cands, status=status, options=options, solver=solver)


def plan_mergers(ds: Dataset, options: ConsolidationOptions | None = None,
                 solver: str = "highs", time_limit: float | None = None,
                 presolve: bool = True,
                 held: dict[tuple[str, str], int] | None = None) -> MergerPlan:
    """Choose mergers of small institutions that free the most quotas (empty when disabled).

    presolve: decide by the upper bound the components where nothing can be freed or one
    merger frees the most (`one_merger`); the integer program takes the rest. False sends
    every component to the integer program (for tests and benchmarks: same quotas freed).
    held: vacancies held for people returning to their post, per (unit, quota type); a
    merger frees none of them.
    With the leader-post hard limit, components with a unit whose leader posts exceed the
    smallest limit go to the integer program.
    """
    options = options or ConsolidationOptions()
    cands = candidates(ds, options, held)
    if not options.enabled:
        return _empty(cands, "disabled", options, solver)
    import networkx as nx

    graph = compatibility_graph(cands)
    index = pd.Index(cands["unit_id"])
    components = sorted(
        (np.sort(index.get_indexer(list(comp))) for comp in nx.connected_components(graph)
         if len(comp) >= 2),
        key=lambda comp: comp[0])
    comp = np.full(len(cands), len(components), dtype=np.int64)  # singletons: a dummy code
    for k, members in enumerate(components):
        comp[members] = k
    hard = options.leader_limit is not None
    most = keeper_most(cands, options)
    bound = upper_bounds(cands, comp, len(components) + 1, most)[:len(components)]
    # with the hard limit, a component where some unit could free leader posts as keeper
    # goes to the integer program (one_merger and pack_mergers assume a keeper frees
    # nothing); elsewhere no keeper is ever above its limit and the limit changes nothing
    posts = np.bincount(comp, weights=most, minlength=len(components) + 1)[:len(components)] > 0
    keepers, absorbed = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    to_solve = np.ones(len(components), dtype=bool)
    if presolve and components:
        solved, k_pos, a_pos = one_merger(cands, comp, np.r_[np.where(posts, -1, bound), 0],
                                          options)
        solved = solved[:len(components)]
        keepers.append(k_pos)
        absorbed.append(a_pos)
        to_solve = ~solved & (bound > 0)
        for k in np.flatnonzero(to_solve & ~posts):
            packed = pack_mergers(cands, components[k], int(bound[k]), options)
            if packed is not None:
                to_solve[k] = False
                for merger in packed:
                    keepers.append(np.full(len(merger) - 1, merger[0]))
                    absorbed.append(merger[1:])
    todo = [components[k] for k in np.flatnonzero(to_solve)]
    # one freed quota outweighs every merger saved: W > the most mergers of a component
    weight = np.array([len(c) // 2 + 1 for c in todo], dtype=np.int64)
    objective_bound = weight * bound[to_solve] + weight
    statuses, seconds = [], 0.0
    groups = chunks(todo, objective_bound)
    u, v = _group_pairs(cands)
    if hard:
        # an edge runs from keeper to absorbed unit, the keeper first in keeper order: wlog
        # when the keeper frees nothing. A unit that may free leader posts can keep, or be
        # kept by, a unit after it in that order: those pairs get the reverse edge too.
        reverse = (most[u] > 0) | (most[v] > 0)
        u, v = np.r_[u, v[reverse]], np.r_[v, u[reverse]]
    for group in groups:
        nodes = np.concatenate([todo[k] for k in group])
        in_chunk = np.zeros(len(cands), dtype=bool)
        in_chunk[nodes] = True
        sel = in_chunk[u]
        node_weight = np.concatenate([np.full(len(todo[k]), weight[k]) for k in group])
        model = build(cands, nodes, u[sel], v[sel], options, freed_weight=node_weight)
        sol = solve(model.lp, solver, time_limit)
        if not sol.status.has_solution:
            raise RuntimeError(f"merger plan: the {solver} solver returned {sol.status.value} "
                               f"({sol.message}); no merger at all is always feasible")
        statuses.append(sol.status.value)
        seconds += sol.seconds
        chosen = sol.x[:len(model.keeper)] > 0.5
        keepers.append(model.keeper[chosen])
        absorbed.append(model.absorbed[chosen])
    keeper = np.concatenate(keepers)
    absorbed_all = np.concatenate(absorbed)
    status = "optimal" if all(s == "optimal" for s in statuses) else "feasible"
    if len(keeper) == 0:
        plan = _empty(cands, status, options, solver)
    else:
        keeper, absorbed_all = (best_keepers(cands, keeper, absorbed_all, options) if hard
                                else largest_keeper(cands, keeper, absorbed_all))
        table, releases = _tables(cands, keeper, absorbed_all, options)
        plan = MergerPlan(table, releases, cands, status=status, options=options,
                          solver=solver)
    plan.seconds, plan.chunks = seconds, len(groups)
    plan.decided_by_bound = int((~to_solve).sum())
    return plan
