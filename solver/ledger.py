"""The plan's ledger (台账): one account per unit and quota type that every part books into.

A row starts from the input's approved quota and staff, adds each cause of change and ends at
the figures of units.csv:

    approved_after = approved_before + Σ in_<kind> − Σ out_<kind>     (kinds of moves.csv)
    staff_after    = staff_before − early_retirements + Σ staff_in_<kind> − Σ staff_out_<kind>
                     + hires
    vacancy_after  = max(approved_after − staff_after, 0)       (空编)
    over_after     = max(staff_after − approved_after, 0)       (超编)
    vacancy_free   = vacancy_after − returns_held − takeover

The move columns come from the move-kind registry (`solver.domain.MOVE_KIND_LIST`): one
`in_` column for each kind that arrives at a unit, one `out_` column for each that leaves one,
and `staff_in_`/`staff_out_` for the kinds that carry people. `hires` are the people hired for
met demands (a met quota is filled), `early_retirements` the surplus people retiring early.

The last three columns are the uses of the vacancies left after the reallocation, each
vacancy used once: `returns_held` — held for surplus people returning to their post;
`takeover` — taking over off-quota work (空编单位按需进人); `vacancy_free` — left vacant,
counted in the reserve (蓄水池). The reallocation has already used the others (moved out,
withdrawn, released by a merger, filled by a hire).

A merged unit's demands, hires and returns are booked at the unit that keeps it, as in
units.csv. Pure pandas over the plan tables: `bianzhi verify` rebuilds it from a plan folder.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from solver.domain import (
    FREES_VACANCY,
    HOLDS_VACANCY,
    LEDGER_COLUMNS,
    LEDGER_YEAR_COLUMNS,
    MOVE_KIND_LIST,
    Move,
)

KEY = ["unit_id", "quota_type"]
IN_COLUMNS: tuple[str, ...] = tuple(f"in_{k.code}" for k in MOVE_KIND_LIST if k.gives_to_unit)
OUT_COLUMNS: tuple[str, ...] = tuple(f"out_{k.code}" for k in MOVE_KIND_LIST
                                     if k.takes_from_unit)
STAFF_IN: tuple[str, ...] = tuple(f"staff_in_{k.code}" for k in MOVE_KIND_LIST
                                  if k.carries_people and k.gives_to_unit)
STAFF_OUT: tuple[str, ...] = tuple(f"staff_out_{k.code}" for k in MOVE_KIND_LIST
                                   if k.carries_people and k.takes_from_unit)
CAUSES: tuple[str, ...] = (*IN_COLUMNS, *OUT_COLUMNS, "early_retirements", *STAFF_IN,
                           *STAFF_OUT, "hires", "returns_held", "takeover")
COLUMNS: tuple[str, ...] = LEDGER_COLUMNS  # order and Chinese headers: solver/domain.py
COUNT_COLUMNS: tuple[str, ...] = tuple(c for c in COLUMNS
                                       if c not in ("unit_id", "quota_type", "region", "system",
                                                    "year", *LEDGER_YEAR_COLUMNS))
YEAR_COLUMNS = LEDGER_YEAR_COLUMNS


class _Rows:
    """The ledger's rows by (unit_id, quota_type) key, for looking up the rows of other tables."""

    def __init__(self, unit_ids: np.ndarray, quota_types: np.ndarray):
        self.size = len(unit_ids)
        self.at = {k: i for i, k in enumerate(zip(unit_ids.tolist(), quota_types.tolist()))}

    def positions(self, frame: pd.DataFrame, unit: str) -> np.ndarray:
        """The row of each (frame[unit], quota_type) pair of `frame` (−1 where absent)."""
        at = self.at
        keys = zip(frame[unit].tolist(), frame["quota_type"].tolist())
        return np.fromiter((at.get(k, -1) for k in keys), dtype=np.intp, count=len(frame))

    def per_key(self, frame: pd.DataFrame, unit: str, value: str) -> np.ndarray:
        """Σ value per (frame[unit], quota_type) on the rows (0 where absent)."""
        if frame.empty:
            return np.zeros(self.size, dtype=np.int64)
        return _sum_at(self.positions(frame, unit), frame[value].to_numpy(), self.size)


def _sum_at(pos: np.ndarray, values, size: int) -> np.ndarray:
    """Σ values per row position (positions −1 and missing values dropped), as int64."""
    weights = np.asarray(values, dtype=np.float64)
    keep = (pos >= 0) & ~np.isnan(weights)
    return np.bincount(pos[keep], weights=weights[keep], minlength=size).astype(np.int64)


def holder(mergers: pd.DataFrame | None) -> dict[str, str]:
    """Absorbed unit → the unit that keeps it (from mergers.csv)."""
    if mergers is None or mergers.empty:
        return {}
    absorbed = mergers[mergers["role"] == "absorbed"]
    return dict(zip(absorbed["unit_id"], absorbed["keeper_id"]))


def _move_columns(moves: pd.DataFrame, rows: _Rows) -> dict[str, np.ndarray]:
    """The in_/out_/staff_in_/staff_out_ columns: Σ amount (persons) per kind at each end.

    The two ends are looked up once for all moves; each kind then sums its own rows."""
    size = rows.size
    kind = moves["kind"].to_numpy()
    amount = moves["amount"].to_numpy()
    if "persons" in moves:
        persons = moves["persons"].to_numpy()
    else:
        persons = np.where(kind == Move.WITH_PERSON, amount, 0)
    to_pos = rows.positions(moves, "to_unit")
    from_pos = rows.positions(moves, "from_unit")
    out: dict[str, np.ndarray] = {}
    for k in MOVE_KIND_LIST:
        mine = kind == k.code if len(moves) else np.zeros(0, dtype=bool)
        if k.gives_to_unit:
            out[f"in_{k.code}"] = _sum_at(to_pos[mine], amount[mine], size)
        if k.takes_from_unit:
            out[f"out_{k.code}"] = _sum_at(from_pos[mine], amount[mine], size)
        if k.carries_people and k.gives_to_unit:
            out[f"staff_in_{k.code}"] = _sum_at(to_pos[mine], persons[mine], size)
        if k.carries_people and k.takes_from_unit:
            out[f"staff_out_{k.code}"] = _sum_at(from_pos[mine], persons[mine], size)
    return out


def build_ledger(units: pd.DataFrame, moves: pd.DataFrame, demands: pd.DataFrame,
                 assignments: pd.DataFrame | None = None, mergers: pd.DataFrame | None = None,
                 takeover: pd.DataFrame | None = None, flows: pd.DataFrame | None = None
                 ) -> pd.DataFrame:
    """The ledger from the plan tables (units, moves with `persons`, demands, assignments with
    home unit and type, mergers, the off-quota take-over per unit and type).

    `flows` (a year of a multi-year plan: unit_id, quota_type, retirements, leavers, held)
    adds the year's statutory retirements and other leavers, and the vacancies held since an
    earlier year for people who returned to their post."""
    keys = [units[c].astype(str).to_numpy() for c in KEY]
    rows = _Rows(*keys)
    if len(rows.at) < len(units):  # a unit's row given twice: the first counts
        units = units.drop_duplicates(KEY)
        keys = [units[c].astype(str).to_numpy() for c in KEY]
        rows = _Rows(*keys)
    n = rows.size
    cols: dict[str, np.ndarray | str] = {
        c: units[c].astype(str).to_numpy() if c in units else ""
        for c in ("region", "system")}
    cols["unit_id"], cols["quota_type"] = keys
    cols["approved_before"] = units["approved_before"].to_numpy(np.int64)
    cols["staff_before"] = units["staff_before"].to_numpy(np.int64)
    cols.update(_move_columns(moves, rows))
    keeper = holder(mergers)

    def held_at(series: pd.Series) -> pd.Series:
        return series.map(keeper).fillna(series) if keeper else series

    people = pd.DataFrame(columns=["unit_id", "quota_type", "option", "n"])
    if assignments is not None and not assignments.empty:
        people = assignments[["unit_id", "quota_type", "option"]].astype(str).assign(n=1)
    retire = people[people["option"].isin(FREES_VACANCY)]
    cols["early_retirements"] = rows.per_key(retire, "unit_id", "n")
    with_person = moves[moves["kind"] == Move.WITH_PERSON]
    by_demand = with_person.groupby("demand_id")["amount"].sum()
    d = demands[["demand_id", "unit_id", "quota_type", "met"]].copy()
    d["unit_id"] = held_at(d["unit_id"].astype(str))
    d["hires"] = d["met"].astype(np.int64) - d["demand_id"].map(by_demand).fillna(0).astype(
        np.int64)
    cols["hires"] = rows.per_key(d, "unit_id", "hires")
    returns = people[people["option"].isin(HOLDS_VACANCY)].copy()
    returns["unit_id"] = held_at(returns["unit_id"])
    returns_held = rows.per_key(returns, "unit_id", "n")
    takeover_n = (np.zeros(n, dtype=np.int64) if takeover is None
                  else rows.per_key(takeover, "unit_id", "takeover"))
    leaving = 0
    if flows is not None:
        at = rows.positions(flows, "unit_id")
        for col in YEAR_COLUMNS:
            cols[col] = _sum_at(at, flows[col].to_numpy(), n)
        leaving = sum(cols[c] for c in YEAR_COLUMNS)
        returns_held = returns_held + _sum_at(at, flows["held"].to_numpy(), n)
        if "held_takeover" in flows:
            takeover_n = takeover_n + _sum_at(at, flows["held_takeover"].to_numpy(), n)
    cols["returns_held"] = returns_held
    cols["takeover"] = takeover_n
    approved_after = (cols["approved_before"] + sum(cols[c] for c in IN_COLUMNS)
                      - sum(cols[c] for c in OUT_COLUMNS))
    staff_after = (cols["staff_before"] - cols["early_retirements"] - leaving
                   + sum(cols[c] for c in STAFF_IN) - sum(cols[c] for c in STAFF_OUT)
                   + cols["hires"])
    cols["approved_after"] = approved_after
    cols["staff_after"] = staff_after
    cols["vacancy_after"] = np.maximum(approved_after - staff_after, 0)
    cols["over_after"] = np.maximum(staff_after - approved_after, 0)
    cols["vacancy_free"] = cols["vacancy_after"] - returns_held - takeover_n
    return pd.DataFrame({c: cols[c] for c in COLUMNS if c in cols}, index=pd.RangeIndex(n))


def totals(ledger: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Per quota type, the sum of every count column of the ledger."""
    return {str(qt): {c: int(g[c].sum()) for c in COUNT_COLUMNS}
            for qt, g in ledger.groupby("quota_type", sort=True)}


AFTER_COLUMNS = ("approved_after", "staff_after", "vacancy_after", "over_after", "vacancy_free",
                 "returns_held", "takeover")


def horizon_ledger(ledger: pd.DataFrame) -> pd.DataFrame:
    """A multi-year ledger (one block per year) as one account for the horizon: the figures
    before from the first year, after from the last, every cause summed over the years."""
    if "year" not in ledger:
        return ledger
    ordered = ledger.sort_values("year", kind="stable")
    g = ordered.groupby(KEY, sort=False)
    first, last = g.first(), g.last()
    causes = [c for c in ledger.columns if c not in (*KEY, "region", "system", "year",
                                                     "approved_before", "staff_before",
                                                     *AFTER_COLUMNS)]
    out = first[["region", "system", "approved_before", "staff_before"]].copy()
    summed = g[causes].sum()
    for c in causes:
        out[c] = summed[c]
    for c in AFTER_COLUMNS:
        out[c] = last[c]
    out = out.reset_index()
    return out[[c for c in ledger.columns if c in out]]
