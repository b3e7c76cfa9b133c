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


def _per_key(frame: pd.DataFrame, unit: str, value: str, index: pd.MultiIndex) -> np.ndarray:
    """Σ value per (frame[unit], quota_type) on `index` (0 where absent)."""
    if frame.empty:
        return np.zeros(len(index), dtype=np.int64)
    s = frame.groupby([frame[unit], frame["quota_type"]])[value].sum()
    return s.reindex(index).fillna(0).to_numpy(np.int64)


def holder(mergers: pd.DataFrame | None) -> dict[str, str]:
    """Absorbed unit → the unit that keeps it (from mergers.csv)."""
    if mergers is None or mergers.empty:
        return {}
    absorbed = mergers[mergers["role"] == "absorbed"]
    return dict(zip(absorbed["unit_id"], absorbed["keeper_id"]))


def build_ledger(units: pd.DataFrame, moves: pd.DataFrame, demands: pd.DataFrame,
                 assignments: pd.DataFrame | None = None, mergers: pd.DataFrame | None = None,
                 takeover: pd.DataFrame | None = None, flows: pd.DataFrame | None = None
                 ) -> pd.DataFrame:
    """The ledger from the plan tables (units, moves with `persons`, demands, assignments with
    home unit and type, mergers, the off-quota take-over per unit and type).

    `flows` (a year of a multi-year plan: unit_id, quota_type, retirements, leavers, held)
    adds the year's statutory retirements and other leavers, and the vacancies held since an
    earlier year for people who returned to their post."""
    units = units.drop_duplicates(KEY)
    index = pd.MultiIndex.from_frame(units[KEY].astype(str))
    out = pd.DataFrame({c: units[c].astype(str).to_numpy() if c in units else ""
                        for c in ("unit_id", "quota_type", "region", "system")})
    out["approved_before"] = units["approved_before"].to_numpy(np.int64)
    out["staff_before"] = units["staff_before"].to_numpy(np.int64)
    moves = moves.copy()
    if "persons" not in moves:
        moves["persons"] = np.where(moves["kind"] == Move.WITH_PERSON, moves["amount"], 0)
    for k in MOVE_KIND_LIST:
        m = moves[moves["kind"] == k.code]
        if k.gives_to_unit:
            out[f"in_{k.code}"] = _per_key(m, "to_unit", "amount", index)
        if k.takes_from_unit:
            out[f"out_{k.code}"] = _per_key(m, "from_unit", "amount", index)
        if k.carries_people and k.gives_to_unit:
            out[f"staff_in_{k.code}"] = _per_key(m, "to_unit", "persons", index)
        if k.carries_people and k.takes_from_unit:
            out[f"staff_out_{k.code}"] = _per_key(m, "from_unit", "persons", index)
    keeper = holder(mergers)

    def held_at(series: pd.Series) -> pd.Series:
        return series.map(keeper).fillna(series) if keeper else series

    people = pd.DataFrame(columns=["unit_id", "quota_type", "option", "n"])
    if assignments is not None and not assignments.empty:
        people = assignments[["unit_id", "quota_type", "option"]].astype(str).assign(n=1)
    retire = people[people["option"].isin(FREES_VACANCY)]
    out["early_retirements"] = _per_key(retire, "unit_id", "n", index)
    with_person = moves[moves["kind"] == Move.WITH_PERSON]
    by_demand = with_person.groupby("demand_id")["amount"].sum()
    d = demands[["demand_id", "unit_id", "quota_type", "met"]].copy()
    d["unit_id"] = held_at(d["unit_id"].astype(str))
    d["hires"] = d["met"].astype(np.int64) - d["demand_id"].map(by_demand).fillna(0).astype(
        np.int64)
    out["hires"] = _per_key(d, "unit_id", "hires", index)
    returns = people[people["option"].isin(HOLDS_VACANCY)].copy()
    returns["unit_id"] = held_at(returns["unit_id"])
    out["returns_held"] = _per_key(returns, "unit_id", "n", index)
    if flows is not None:
        for col in YEAR_COLUMNS:
            out[col] = _per_key(flows, "unit_id", col, index)
        out["returns_held"] += _per_key(flows, "unit_id", "held", index)
        if "held_takeover" in flows:
            held_takeover = _per_key(flows, "unit_id", "held_takeover", index)
    t = takeover if takeover is not None else pd.DataFrame(columns=[*KEY, "takeover"])
    out["takeover"] = _per_key(t, "unit_id", "takeover", index)
    if flows is not None and "held_takeover" in flows:
        out["takeover"] += held_takeover
    out["approved_after"] = (out["approved_before"] + out[list(IN_COLUMNS)].sum(axis=1)
                             - out[list(OUT_COLUMNS)].sum(axis=1))
    leaving = out[list(YEAR_COLUMNS)].sum(axis=1) if flows is not None else 0
    out["staff_after"] = (out["staff_before"] - out["early_retirements"] - leaving
                          + out[list(STAFF_IN)].sum(axis=1) - out[list(STAFF_OUT)].sum(axis=1)
                          + out["hires"])
    out["vacancy_after"] = (out["approved_after"] - out["staff_after"]).clip(lower=0)
    out["over_after"] = (out["staff_after"] - out["approved_after"]).clip(lower=0)
    out["vacancy_free"] = out["vacancy_after"] - out["returns_held"] - out["takeover"]
    out = out[[c for c in COLUMNS if c in out]]
    counts = [c for c in out.columns if c in COUNT_COLUMNS or c in YEAR_COLUMNS]
    out[counts] = out[counts].astype(np.int64)
    return out


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
