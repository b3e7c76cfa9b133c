"""The off-quota plan (编外辅助性岗位): approved headcount, purchased services and ended posts.

Every position of an `aux_positions` row (unit and category) ends the plan in exactly one of
three states: kept as approved headcount (员额, `approved_after`), its work bought as a service
(`to_services`), or ended (`ended`). docs/rules.md, "Off-quota auxiliary positions"; the rules,
in the order in which they take positions away:

Each position is in one of three kinds, cut in this order when a limit requires it:

1. *Never-approved positions end first* (清退未经批准的自聘人员): a row's approved part is
   p = min(approved, headcount), 0 when `approved` is missing or 0; the headcount − p
   positions above it may be kept (approved now, 确需继续使用的履行报批程序) only while no
   approved position would have to go instead; cut, they end, and their work is not bought.
2. *Outsourceable work moves to purchased services next* (养事不养人): in rows flagged
   `outsourceable = yes` the approved positions are cut before any approved position of a
   row that may not be bought; cut, their work is bought (`to_services`). The flag is the
   only authority: rows marked `no` (recruitment, labour-dispatch, public-welfare posts) and
   rows without a flag are never bought. Purchased services count against no cap.
3. *Essential categories are protected*: among approved positions that may not be bought,
   the least essential (`aux.essential_weights`) end first.

The limits:

- *Own vacancies first* (空编单位按需进人): a unit with in-quota vacancy V keeps at most
  K − ⌊V × vacancy_offset⌋ of its K keepable positions (a hard reduction; offset 0 turns it
  off). In a run, V counts only the vacancies nothing else uses (`takeover_vacancies`): the
  off-quota plan runs after the reallocation, on the vacancies it leaves at the unit — not
  those held for people returning to their post — and within what the reserve floor of the
  region and quota type leaves spare. Each vacancy so serves one purpose: a demand, a return,
  the reserve, a merger's release, or taking over off-quota work. Standing alone (no
  reallocation), V = Σ max(approved − staff, 0) over the unit's quota rows (0 for a lapsed
  unit, whose vacancies go to the pool).
- *Locked base* (锁定现有基数,只减不增): per region, Σ approved_after ≤
  ⌊base × (1 − reduction)⌋, base = today's off-quota headcount of the region (every row).
  Over several years the cut is cumulative: in the n-th year of a horizon the cap is
  ⌊base × (1 − reduction)ⁿ⌋ on the same locked base, and the year's positions are those the
  year before kept (`carried_positions`); the take-over by vacancies happens once, in the
  first year (later years hold those vacancies, they take over nothing new).

Nothing is cut that no limit requires. Within a kind and weight, ties break by
(unit_id, category) with later rows cut first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType

import numpy as np
import pandas as pd
import scipy.sparse as sp

from solver import text
from solver.domain import AUX_CATEGORIES, QUOTA_TYPES
from solver.solve import LinearProgram, solve_integral
from solver.text import say
from solver.validate import Dataset

CATEGORY_ORDER: tuple[str, ...] = tuple(AUX_CATEGORIES)
DEFAULT_WEIGHTS: MappingProxyType = MappingProxyType({
    "medical": 3.0, "auxiliary_police": 3.0, "teaching_aide": 2.0, "inspector": 1.0,
    "service_window": 1.0, "logistics": 1.0, "other": 1.0,
})
TABLE_COLUMNS: tuple[str, ...] = (
    "unit_id", "category", "headcount_before", "approved_after", "to_services", "ended",
    "region", "system", "approved_before", "never_approved", "outsourceable",
    "ended_unapproved", "ended_vacancy", "ended_cap", "reason",
)


@dataclass(frozen=True)
class AuxOptions:
    """Options of the off-quota plan (scenario key `aux`), with the defaults of docs/rules.md."""

    # share of today's off-quota headcount a region must shed (DOMAIN: 5-20% a year)
    reduction: float = 0.1
    # protection of a kept position by category: the least essential end first
    essential_weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_WEIGHTS,
                                                   hash=False)
    # off-quota positions one in-quota vacancy of the same unit takes over (0 = off)
    vacancy_offset: float = 1.0

    def __post_init__(self) -> None:
        if not 0 <= self.reduction < 1:
            raise ValueError(f"aux.reduction {self.reduction} must be in [0, 1)")
        if self.vacancy_offset < 0:
            raise ValueError(f"aux.vacancy_offset {self.vacancy_offset} must be 0 or more")
        weights = dict(self.essential_weights)
        unknown = sorted(set(weights) - set(CATEGORY_ORDER))
        missing = [c for c in CATEGORY_ORDER if c not in weights]
        if unknown or missing:
            raise ValueError(
                "aux.essential_weights needs one weight per category "
                f"({', '.join(CATEGORY_ORDER)})"
                + (f"; unknown: {', '.join(unknown)}" if unknown else "")
                + (f"; missing: {', '.join(missing)}" if missing else ""))
        bad = [c for c, w in weights.items() if not (float(w) > 0 and math.isfinite(w))]
        if bad:
            raise ValueError(f"aux.essential_weights must be positive: {', '.join(bad)}")
        # a read-only copy in category order: later changes by the caller do not leak in
        object.__setattr__(self, "essential_weights", MappingProxyType(
            {c: float(weights[c]) for c in CATEGORY_ORDER}))


@dataclass
class AuxPlan:
    """The off-quota part of a plan: one row per unit and category, and per-region caps."""

    table: pd.DataFrame
    regions: pd.DataFrame  # region, base, cap, approved_after, to_services, ended, binding
    status: str
    options: AuxOptions
    solver: str = ""
    seconds: float = 0.0
    mip_fallback: bool = False
    # vacancies taking over off-quota work: unit_id, quota_type, region, takeover (None when
    # the plan stood alone on the input's vacancies)
    takeover: pd.DataFrame | None = None

    def summary(self) -> dict:
        """Headline figures: base, approved after, to services, ended; by category, system, region."""
        t = self.table
        cols = ["headcount_before", "approved_after", "to_services", "ended"]

        def totals(frame: pd.DataFrame) -> dict[str, int]:
            out = {("base" if c == "headcount_before" else c): int(frame[c].sum()) for c in cols}
            for c in ("ended_unapproved", "ended_vacancy", "ended_cap"):
                out[c] = int(frame[c].sum())
            return out

        def by(key: str) -> dict[str, dict[str, int]]:
            return {str(k): totals(g) for k, g in t.groupby(key, sort=True)}

        regions = {
            str(r["region"]): {"base": int(r["base"]), "cap": int(r["cap"]),
                               "approved_after": int(r["approved_after"]),
                               "to_services": int(r["to_services"]), "ended": int(r["ended"]),
                               "cap_binding": bool(r["binding"])}
            for r in self.regions.to_dict("records")
        }
        return {
            "status": self.status,
            **totals(t),
            "reduction": self.options.reduction,
            "vacancy_offset": self.options.vacancy_offset,
            "by_category": by("category"),
            "by_system": by("system"),
            "by_region": regions,
        }


# ---------------------------------------------------------------- inputs in array form


def unit_vacancy(ds: Dataset) -> pd.Series:
    """In-quota vacancy per unit: Σ max(approved − staff, 0); 0 for lapsed units."""
    q = ds.quotas
    gap = (q["approved"].to_numpy(np.int64) - q["staff"].to_numpy(np.int64)).clip(min=0)
    vacancy = pd.Series(gap, index=q["unit_id"].to_numpy()).groupby(level=0).sum()
    lapsed = ds.units.loc[ds.units["function_status"] == "lapsed", "unit_id"]
    vacancy[vacancy.index.isin(lapsed)] = 0
    return vacancy


def prepare_rows(ds: Dataset, options: AuxOptions, vacancy: pd.Series | None = None
                 ) -> pd.DataFrame:
    """The aux rows sorted by (unit_id, category) with unit attributes and rules 1-2 applied.

    `vacancy`: per unit, the in-quota vacancies that take over off-quota work (default: the
    input's, `unit_vacancy`).
    """
    aux = ds.aux_positions.drop(columns=["_row"], errors="ignore")
    cat_code = aux["category"].map({c: k for k, c in enumerate(CATEGORY_ORDER)})
    rows = pd.DataFrame({
        "unit_id": aux["unit_id"].astype(str).to_numpy(),
        "category": aux["category"].astype(str).to_numpy(),
        "cat_code": cat_code.to_numpy(np.int64),
        "headcount_before": aux["headcount"].to_numpy(np.int64),
        "approved_before": pd.to_numeric(aux["approved"], errors="coerce").fillna(0)
        .to_numpy(np.int64),
        # missing flag = not buyable: buying what may not be bought breaks a rule
        "outsourceable": (aux["outsourceable"].astype(object) == "yes").to_numpy(bool),
    }).sort_values(["unit_id", "cat_code"], kind="stable").reset_index(drop=True)
    units = ds.units.set_index("unit_id")
    at = units.index.get_indexer(rows["unit_id"])
    rows["region"] = units["region"].to_numpy()[at]
    rows["system"] = units["system"].to_numpy()[at]
    head = rows["headcount_before"].to_numpy()
    approved = rows["approved_before"].to_numpy()
    rows["never_approved"] = approved <= 0
    rows["approved_part"] = np.minimum(approved, head)
    rows["unapproved_part"] = head - rows["approved_part"].to_numpy()
    rows["weight"] = rows["category"].map(dict(options.essential_weights)).to_numpy(float)
    vacancy = unit_vacancy(ds) if vacancy is None else vacancy
    rows["unit_vacancy"] = vacancy.reindex(rows["unit_id"]).fillna(0).to_numpy(np.int64)
    rows["cover"] = np.floor(rows["unit_vacancy"].to_numpy() * options.vacancy_offset + 1e-9
                             ).astype(np.int64)
    return rows


def region_caps(rows: pd.DataFrame, reduction: float, locked: pd.Series | None = None,
                cut_years: int = 1) -> pd.DataFrame:
    """Per region: base (today's headcount, or the `locked` base of a horizon's first year)
    and cap ⌊base × (1 − reduction)^cut_years⌋."""
    base = rows.groupby("region", sort=True)["headcount_before"].sum()
    if locked is not None:
        base = locked.reindex(base.index).fillna(0)
    cap = np.floor(base.to_numpy() * (1 - reduction) ** cut_years + 1e-9).astype(np.int64)
    return pd.DataFrame({"region": base.index.to_numpy(), "base": base.to_numpy(np.int64),
                         "cap": cap, "years": cut_years})


def locked_base(ds: Dataset) -> pd.Series:
    """Per region: today's off-quota headcount (every row), the base a horizon's caps cut."""
    aux = ds.aux_positions
    region = ds.units.drop_duplicates("unit_id").set_index("unit_id")["region"]
    return aux["headcount"].astype(np.int64).groupby(
        aux["unit_id"].map(region).to_numpy()).sum().sort_index()


def carried_positions(positions: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """A later year's off-quota positions: what the year before kept, now all approved.

    `positions` is the input table (aux_positions), `table` the year before's plan rows
    (unit_id, category, approved_after). Each input row keeps its other columns (the
    outsourceable flag among them); headcount = approved = the positions kept."""
    kept = table.drop_duplicates(["unit_id", "category"]).set_index(
        ["unit_id", "category"])["approved_after"]
    out = positions.drop(columns=["_row"], errors="ignore").drop_duplicates(
        ["unit_id", "category"]).reset_index(drop=True)
    n = kept.reindex(pd.MultiIndex.from_frame(out[["unit_id", "category"]].astype(str))) \
        .fillna(0).to_numpy(np.int64)
    return out.assign(headcount=n, approved=n)


def takeover_vacancies(ds: Dataset, options: AuxOptions, free: pd.DataFrame,
                       spare: pd.DataFrame) -> pd.DataFrame:
    """Which vacancies left by the reallocation take over off-quota work, per unit and type.

    free: unit_id, quota_type, region, free — vacancies a row has after the reallocation,
    less those held for returns (0 for a lapsed unit); spare: region, quota_type, spare —
    how many vacancies the block may still lose and keep its reserve floor.

    A unit with K off-quota positions can use at most ⌈K / vacancy_offset⌉ vacancies. Quota
    types are taken in the registry's order, units in unit-id order within a region and
    type, each as many as it can use while the block's spare lasts (so the reserve floor
    holds after the take-over). Of what a unit gets, only the ⌈cover / offset⌉ vacancies
    that take over its cover = min(⌊T × offset⌋, K) positions are used.
    Returns unit_id, quota_type, region, takeover (rows with takeover > 0).
    """
    cols = ["unit_id", "quota_type", "region", "takeover"]
    if options.vacancy_offset <= 0 or ds.aux_positions is None or free.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c != "takeover" else np.int64)
                             for c in cols})
    K = ds.aux_positions.groupby("unit_id")["headcount"].sum().astype(np.int64)
    lapsed = set(ds.units.loc[ds.units["function_status"] == "lapsed", "unit_id"])
    f = free[free["unit_id"].isin(K.index) & ~free["unit_id"].isin(lapsed)
             & (free["free"] > 0)].copy()
    type_order = {t: k for k, t in enumerate(QUOTA_TYPES)}
    f["type_order"] = f["quota_type"].map(type_order).fillna(len(type_order))
    f = f.sort_values(["type_order", "quota_type", "region", "unit_id"], kind="stable")
    need = np.ceil(K.to_numpy() / options.vacancy_offset - 1e-9).astype(np.int64)
    need_left = pd.Series(need, index=K.index)
    spare_of = spare.set_index(["region", "quota_type"])["spare"]
    f["takeover"] = 0
    for _, part in f.groupby(["type_order", "quota_type"], sort=True):
        want = np.minimum(part["free"].to_numpy(np.int64),
                          need_left.reindex(part["unit_id"]).to_numpy(np.int64))
        block = pd.MultiIndex.from_arrays([part["region"], part["quota_type"]])
        cap = spare_of.reindex(block).fillna(0).clip(lower=0).to_numpy().astype(np.int64)
        before = pd.Series(want).groupby(part["region"].to_numpy()).cumsum().to_numpy() - want
        got = np.clip(cap - before, 0, want)
        f.loc[part.index, "takeover"] = got
        need_left = need_left.sub(pd.Series(got, index=part["unit_id"].to_numpy())
                                  .groupby(level=0).sum(), fill_value=0)
    # keep only the vacancies the cover uses: ⌈min(⌊T·offset⌋, K) / offset⌉ per unit
    T = f.groupby("unit_id")["takeover"].sum()
    cover = np.minimum(np.floor(T.to_numpy() * options.vacancy_offset + 1e-9),
                       K.reindex(T.index).to_numpy())
    used = pd.Series(np.ceil(cover / options.vacancy_offset - 1e-9).astype(np.int64),
                     index=T.index)
    prior = f.groupby("unit_id")["takeover"].cumsum() - f["takeover"]
    f["takeover"] = np.clip(f["unit_id"].map(used).to_numpy() - prior.to_numpy(), 0,
                            f["takeover"].to_numpy()).astype(np.int64)
    f = f[f["takeover"] > 0]
    return f[cols].sort_values(["unit_id", "quota_type"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- the LP


@dataclass
class AuxModel:
    """The LP and the index maps needed to read its solution back."""

    lp: LinearProgram
    cols: np.ndarray  # aux row of each column
    kinds: np.ndarray  # PROTECTED, BUYABLE or UNAPPROVED
    upper: np.ndarray  # positions of that kind in the row
    unit_keys: np.ndarray  # unit of each vacancy-cover constraint row
    unit_limit: np.ndarray


# the kinds of keepable positions, in the order they are cut (last kind first)
PROTECTED, BUYABLE, UNAPPROVED = 0, 1, 2


def define_keep(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Variables keep_{r,k} ∈ [0, n_{r,k}]: positions of kind k kept in row r.

    Kinds: approved positions that may not be bought (PROTECTED), approved outsourceable
    positions (BUYABLE: cut, their work is bought), never-approved positions (UNAPPROVED:
    cut, they end). Returns the row, the kind and the upper bound of each column.
    """
    out = rows["outsourceable"].to_numpy()
    part = rows["approved_part"].to_numpy()
    extra = rows["unapproved_part"].to_numpy()
    row_ids, kinds, upper = [], [], []
    for kind, count in ((PROTECTED, np.where(out, 0, part)), (BUYABLE, np.where(out, part, 0)),
                        (UNAPPROVED, extra)):
        r = np.flatnonzero(count > 0)
        row_ids.append(r)
        kinds.append(np.full(len(r), kind))
        upper.append(count[r].astype(float))
    row_ids = np.concatenate(row_ids)
    kinds = np.concatenate(kinds)
    upper = np.concatenate(upper)
    order = np.lexsort((kinds, row_ids))  # rows in (unit_id, category) order
    return row_ids[order], kinds[order], upper[order]


def define_vacancy_cover(rows: pd.DataFrame, cols: np.ndarray, upper: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Own vacancies first: Σ_{columns of u} keep ≤ max(K_u − cover_u, 0).

    K_u = keepable positions of unit u, cover_u = ⌊V_u × vacancy_offset⌋ (docs/rules.md "Hard
    rules": units with vacancies use their own first). One row per unit with cover_u > 0 and
    K_u > 0. Returns (constraint index per column or −1, limits, unit of each constraint, K_u).
    """
    units = rows["unit_id"].to_numpy()[cols]
    cover = rows["cover"].to_numpy()[cols]
    codes, keys = pd.factorize(units, sort=True)
    K = np.bincount(codes, weights=upper, minlength=len(keys)).astype(np.int64)
    unit_cover = np.zeros(len(keys), dtype=np.int64)
    unit_cover[codes] = cover
    active = (unit_cover > 0) & (K > 0)
    row_of_unit = np.full(len(keys), -1, dtype=np.int64)
    row_of_unit[active] = np.arange(int(active.sum()))
    limit = np.maximum(K - unit_cover, 0)[active]
    return row_of_unit[codes], limit.astype(float), np.asarray(keys)[active], K[active]


def define_region_cap(rows: pd.DataFrame, cols: np.ndarray, regions: pd.DataFrame
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Locked base (rule 4): Σ_{r ∈ g} keep_r ≤ ⌊base_g × (1 − reduction)⌋ per region g.

    docs/rules.md "Off-quota auxiliary positions" (锁定现有基数,只减不增) and the scenario's
    `aux.reduction`. Every column is in exactly one region row.
    """
    idx = pd.Index(regions["region"]).get_indexer(rows["region"].to_numpy()[cols])
    return idx, regions["cap"].to_numpy(float)


def define_objective(rows: pd.DataFrame, cols: np.ndarray, kinds: np.ndarray,
                     upper: np.ndarray, region_of_col: np.ndarray, n_regions: int) -> np.ndarray:
    """Keep the most valuable positions: kind first, then essential weight, then the tie-break.

    Value of a kept position: V = (2 − kind)·(W_max + 1) + W, W the weight as an integer
    (weights are used to 0.001), so every PROTECTED position outranks every BUYABLE one, which
    outranks every UNAPPROVED one, and weights order positions within a kind. Cost of column
    c: −(V_c·M_g + T_c), T_c = N_g − rank_c ∈ [1, N_g] favouring earlier (unit_id, category)
    rows of region g; M_g = N_g·P_g + 1 (P_g = keepable positions of g) makes the value
    strictly dominate the tie-break. Integer costs keep the steps far above tolerances.
    """
    weights = rows["weight"].to_numpy()[cols]
    scale = _weight_scale(np.unique(weights))
    W = np.rint(weights * scale)
    value = (2 - kinds) * (W.max() + 1 if len(W) else 1) + W
    codes = region_of_col
    n_g = np.bincount(codes, minlength=n_regions)
    p_g = np.bincount(codes, weights=upper, minlength=n_regions)
    M = n_g * p_g + 1
    rank = pd.Series(codes).groupby(codes).cumcount().to_numpy()  # cols are in id order
    T = n_g[codes] - rank
    return -(value * M[codes] + T)


def _weight_scale(weights: np.ndarray) -> int:
    """The smallest multiplier (≤ 1000) making every weight an integer (else 1000, rounded)."""
    denominators = [Fraction(float(w)).limit_denominator(1000).denominator for w in weights]
    scale = math.lcm(*denominators) if denominators else 1
    return min(scale, 1000)


def build(rows: pd.DataFrame, regions: pd.DataFrame) -> AuxModel:
    """Variables, then constraint families (vacancy cover, region cap), then the objective."""
    cols, kinds, upper = define_keep(rows)
    n = len(cols)
    unit_row, unit_limit, unit_keys, _ = define_vacancy_cover(rows, cols, upper)
    region_row, caps = define_region_cap(rows, cols, regions)
    n_unit = len(unit_limit)
    in_unit = unit_row >= 0
    r_idx = np.concatenate([unit_row[in_unit], n_unit + region_row])
    c_idx = np.concatenate([np.flatnonzero(in_unit), np.arange(n)])
    A = sp.csc_matrix((np.ones(len(r_idx)), (r_idx, c_idx)), shape=(n_unit + len(caps), n))
    upper_rows = np.concatenate([unit_limit, caps])
    cost = define_objective(rows, cols, kinds, upper, region_row, len(caps))
    lp = LinearProgram(
        c=cost, A=A, row_lower=np.full(len(upper_rows), -np.inf), row_upper=upper_rows,
        col_lower=np.zeros(n), col_upper=upper,
    )
    return AuxModel(lp=lp, cols=cols, kinds=kinds, upper=upper, unit_keys=unit_keys,
                    unit_limit=unit_limit)


# ---------------------------------------------------------------- results


def attribute_endings(rows: pd.DataFrame) -> pd.DataFrame:
    """Split each row's ended protected positions into own-vacancy and cap endings.

    Of the positions a unit ends or buys, the first min(cover, K) count as taken over by its
    vacancies, in the order the LP cuts (unapproved, then bought, then by weight, later rows
    first); the protected positions ended beyond that are cut by the region cap.
    """
    ended_app = rows["ended_protected"].to_numpy(np.int64)
    cut_before = (rows["ended_unapproved"] + rows["to_services"]).to_numpy(np.int64)
    order = np.lexsort((-np.arange(len(rows)), rows["weight"].to_numpy(),
                        rows["unit_id"].to_numpy()))
    units = rows["unit_id"].to_numpy()
    earlier = pd.Series(cut_before).groupby(units).transform("sum").to_numpy()[order]
    ended_sorted = ended_app[order]
    before = (pd.Series(ended_sorted).groupby(units[order]).cumsum().to_numpy()
              - ended_sorted) + earlier
    K = rows["headcount_before"].groupby(rows["unit_id"]).sum()
    forced = np.minimum(rows["cover"].to_numpy(),
                        K.reindex(rows["unit_id"]).fillna(0).to_numpy(np.int64))[order]
    vac = np.clip(forced - before, 0, ended_sorted)
    ended_vacancy = np.zeros(len(rows), dtype=np.int64)
    ended_vacancy[order] = vac
    rows["ended_vacancy"] = ended_vacancy
    rows["ended_cap"] = ended_app - ended_vacancy
    return rows


def _cap_formulas(regions: pd.DataFrame) -> dict[str, str]:
    """Per region: its cap as a formula, e.g. ⌊3991 × (1 − reduction)^2⌋ = 3232."""
    years = regions["years"] if "years" in regions else pd.Series(1, regions.index)
    return {r: say("aux.formula", cap=cap, base=base, power="" if n == 1 else f"^{n}")
            for r, cap, base, n in zip(regions["region"], regions["cap"], regions["base"],
                                       years)}


def reasons(rows: pd.DataFrame, regions: pd.DataFrame, after_plan: bool = False) -> list[str]:
    """One hand-checkable sentence per row: what happened to its positions and by which rule."""
    formula = _cap_formulas(regions)
    binding = dict(zip(regions["region"], regions["binding"]))
    vac = say("aux.vac_after") if after_plan else say("aux.vac_input")
    out = []
    for r in rows[["headcount_before", "approved_before", "never_approved", "unapproved_part",
                   "approved_after", "to_services", "ended_unapproved", "ended_vacancy",
                   "ended_cap", "unit_vacancy", "cover", "region", "weight"]].itertuples(
                       index=False):
        why = []
        if r.cover:
            why.append(say("aux.cover", vacancy=r.unit_vacancy, vac=vac, cover=r.cover))
        if binding[r.region]:
            why.append(say("aux.cap", region=text.named("region", r.region),
                           formula=formula[r.region]))
        parts = [say("aux.today", n=r.headcount_before)]
        what = (say("aux.never_approved") if r.never_approved
                else say("aux.above_approved", approved=r.approved_before))
        if r.ended_unapproved:
            parts.append(say("aux.ended_first", n=r.ended_unapproved, what=what))
        kept_extra = r.unapproved_part - r.ended_unapproved
        if kept_extra:
            parts.append(say("aux.kept_extra", n=kept_extra, what=what))
        if r.to_services:
            parts.append(say("aux.to_services", n=r.to_services))
        if r.approved_after:
            parts.append(say("aux.kept", n=r.approved_after))
        if r.ended_vacancy:
            parts.append(say("aux.ended_vacancy", n=r.ended_vacancy, vacancy=r.unit_vacancy,
                             vac=vac, cover=r.cover))
        if r.ended_cap:
            parts.append(say("aux.ended_cap", n=r.ended_cap,
                             region=text.named("region", r.region),
                             formula=formula[r.region], weight=f"{r.weight:g}"))
        sentence = text.joined(parts)
        if (r.ended_unapproved or r.to_services) and why:
            sentence += say("aux.because", why=say("aux.and").join(why))
        out.append(sentence)
    return out


def plan_aux(ds: Dataset, options: AuxOptions | None = None, solver: str = "highs",
             time_limit: float | None = None, takeover: pd.DataFrame | None = None,
             locked: pd.Series | None = None, cut_years: int = 1) -> AuxPlan:
    """The off-quota plan: approved headcount, purchased services and ended positions per row.

    takeover: the vacancies that take over off-quota work per unit and quota type
    (`takeover_vacancies`, after the reallocation); None uses the input's vacancies.
    locked, cut_years: in the n-th year of a horizon, the regions' base locked in the first
    year (`locked_base`) and n: the cap is ⌊base × (1 − reduction)ⁿ⌋.
    """
    options = options or AuxOptions()
    vacancy = None
    if takeover is not None:
        vacancy = takeover.groupby("unit_id")["takeover"].sum().astype(np.int64)
        vacancy = vacancy.reindex(ds.units["unit_id"].unique(), fill_value=0)
    if ds.aux_positions is None or len(ds.aux_positions) == 0:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in TABLE_COLUMNS})
        regions = pd.DataFrame(columns=["region", "base", "cap", "approved_after",
                                        "to_services", "ended", "binding"])
        return AuxPlan(empty, regions, status="no_data", options=options, solver=solver)
    rows = prepare_rows(ds, options, vacancy)
    regions = region_caps(rows, options.reduction, locked, cut_years)
    model = build(rows, regions)
    kept = np.zeros((len(rows), 3), dtype=np.int64)
    status, seconds, fallback = "optimal", 0.0, False
    if model.lp.num_cols:
        sol, fallback = solve_integral(model.lp, solver, time_limit)
        if not sol.status.has_solution:
            # keep = 0 is always feasible: no solution means the solver failed or timed out
            raise RuntimeError(f"off-quota plan: the {solver} solver returned "
                               f"{sol.status.value} ({sol.message})")
        np.add.at(kept, (model.cols, model.kinds), np.round(sol.x).astype(np.int64))
        status, seconds = sol.status.value, sol.seconds
    total = np.zeros((len(rows), 3), dtype=np.int64)
    np.add.at(total, (model.cols, model.kinds), model.upper.astype(np.int64))
    rows["approved_after"] = kept.sum(axis=1)
    rows["to_services"] = total[:, BUYABLE] - kept[:, BUYABLE]
    rows["ended_unapproved"] = total[:, UNAPPROVED] - kept[:, UNAPPROVED]
    rows["ended_protected"] = total[:, PROTECTED] - kept[:, PROTECTED]
    rows["ended"] = rows["ended_unapproved"] + rows["ended_protected"]
    rows = attribute_endings(rows)
    per_region = rows.groupby("region", sort=True)[["approved_after", "to_services", "ended"]
                                                    ].sum()
    regions = regions.join(per_region, on="region")
    regions["binding"] = regions["approved_after"].to_numpy() >= regions["cap"].to_numpy()
    rows["reason"] = reasons(rows, regions, after_plan=takeover is not None)
    return AuxPlan(table=rows[list(TABLE_COLUMNS)].reset_index(drop=True), regions=regions,
                   status=status, options=options, solver=solver, seconds=seconds,
                   mip_fallback=fallback, takeover=takeover)
