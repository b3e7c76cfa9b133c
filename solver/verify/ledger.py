"""The ledger rules: one account per unit and quota type, every vacancy used once.

ledger.csv (solver/ledger.py) must balance row by row, end at the figures of units.csv, book
exactly what moves.csv, demands.csv, assignments.csv say, and use no vacancy twice: the
vacancies held for returns and taking over off-quota work fit in what the reallocation left.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from solver.ledger import IN_COLUMNS, KEY, OUT_COLUMNS, STAFF_IN, STAFF_OUT, YEAR_COLUMNS, \
    build_ledger
from solver.keys import pair_rows
from solver.verify.core import LINE, Context, Violation, capped, rule

MOVE_CAUSES: tuple[str, ...] = (*IN_COLUMNS, *OUT_COLUMNS, *STAFF_IN, *STAFF_OUT)
OTHER_CAUSES: tuple[str, ...] = ("early_retirements", "hires", "returns_held")


def _ledger(ctx: Context) -> pd.DataFrame | None:
    """ledger.csv, the first row of each unit and type (made once per check)."""
    if "_ledger" not in ctx.__dict__:
        led = ctx.tables.get("ledger")
        ctx.__dict__["_ledger"] = None if led is None else led.drop_duplicates(KEY)
    return ctx.__dict__["_ledger"]


def _rows_in(frame: pd.DataFrame, other: pd.DataFrame) -> np.ndarray:
    """For each row of `frame`, the row of `other` with its unit and type (the first one),
    −1 where `other` has none."""
    return pair_rows(frame["unit_id"], frame["quota_type"], other["unit_id"],
                     other["quota_type"])


def _where(row) -> str:
    return f"ledger.csv, row {row[LINE]}"


@rule("ledger_rows", "the plan has ledger.csv with exactly one row per unit × quota-type row "
      "of units.csv", "ledger")
def ledger_rows(ctx: Context) -> list[Violation]:
    led = ctx.tables.get("ledger")
    if led is None:
        return [Violation("ledger_rows", "the plan has no ledger.csv (every plan keeps one "
                          "account per unit and quota type)", "ledger.csv")]
    have = pd.MultiIndex.from_frame(led[KEY])
    want = pd.MultiIndex.from_frame(ctx.tables["units"][KEY])
    items = [(f"{u} ({t}) is in units.csv but not in the ledger", "ledger.csv")
             for u, t in want.difference(have)]
    items += [(f"{u} ({t}) is in the ledger but not in units.csv", "ledger.csv")
              for u, t in have.difference(want)]
    items += [(f"{u} ({t}) has more than one row", "ledger.csv")
              for u, t in have[have.duplicated()].unique()]
    return capped("ledger_rows", items)


@rule("ledger_balance", "each ledger row balances: approved after = before + moves in − moves "
      "out; staff after = before − early retirements ± people moving + hires; vacancy and "
      "over-quota after from approved − staff; vacancies left = vacancy − returns held − "
      "take-over", "ledger")
def ledger_balance(ctx: Context) -> list[Violation]:
    led = _ledger(ctx)
    if led is None:
        return []

    def total(columns) -> np.ndarray | int:
        return sum((led[c].to_numpy() for c in columns), 0)

    approved = led["approved_before"].to_numpy() + total(IN_COLUMNS) - total(OUT_COLUMNS)
    staff = (led["staff_before"].to_numpy() - led["early_retirements"].to_numpy()
             - total(c for c in YEAR_COLUMNS if c in led) + total(STAFF_IN) - total(STAFF_OUT)
             + led["hires"].to_numpy())
    approved_after, staff_after = led["approved_after"].to_numpy(), led["staff_after"].to_numpy()
    vacancy = np.maximum(approved_after - staff_after, 0)
    over = np.maximum(staff_after - approved_after, 0)
    free = vacancy - led["returns_held"].to_numpy() - led["takeover"].to_numpy()
    units, types, lines = (led[c].to_numpy() for c in ("unit_id", "quota_type", LINE))
    items = []
    for name, expected in (("approved_after", approved), ("staff_after", staff),
                           ("vacancy_after", vacancy), ("over_after", over),
                           ("vacancy_free", free)):
        have = led[name].to_numpy()
        items += [(f"{units[i]} ({types[i]}): {name} {have[i]} but its causes give "
                   f"{expected[i]}", f"ledger.csv, row {lines[i]}")
                  for i in np.flatnonzero(have != expected)]
    return capped("ledger_balance", items)


@rule("ledger_units", "the ledger's approved and staff before and after equal units.csv, row by "
      "row", "ledger")
def ledger_units(ctx: Context) -> list[Violation]:
    led = _ledger(ctx)
    if led is None:
        return []
    u = ctx.tables["units"]
    pos = _rows_in(led, u)
    found = pos >= 0
    both, at = led[found], pos[found]
    units, types, lines = (both[c].to_numpy() for c in ("unit_id", "quota_type", LINE))
    items = []
    for col in ("approved_before", "approved_after", "staff_before", "staff_after"):
        mine, theirs = both[col].to_numpy(), u[col].to_numpy()[at]
        items += [(f"{units[i]} ({types[i]}): {col} {mine[i]} in the ledger, "
                   f"{theirs[i]} in units.csv", f"ledger.csv, row {lines[i]}")
                  for i in np.flatnonzero(mine != theirs)]
    return capped("ledger_units", items)


@rule("ledger_causes", "each cause in the ledger is what the plan's tables say: moves by kind "
      "(moves.csv), hires for met demands (demands.csv), early retirements and returns "
      "(assignments.csv)", "ledger")
def ledger_causes(ctx: Context) -> list[Violation]:
    led = _ledger(ctx)
    if led is None:
        return []
    t = ctx.tables
    assignments = ctx.people_home if t.get("assignments") is not None else None
    rebuilt = build_ledger(t["units"], t["moves"], t["demands"], assignments, t.get("mergers"),
                           flows=t.get("flows"))
    pos = _rows_in(led, rebuilt)
    found = pos >= 0
    units, types, lines = (led[c].to_numpy() for c in ("unit_id", "quota_type", LINE))
    items = []
    for col in (*MOVE_CAUSES, *OTHER_CAUSES, *(c for c in YEAR_COLUMNS if c in led)):
        if col not in rebuilt:
            continue
        mine, theirs = led[col].to_numpy(), rebuilt[col].to_numpy()[pos]
        for i in np.flatnonzero(found & (mine != theirs)):
            items.append((f"{units[i]} ({types[i]}): {col} {mine[i]} in the ledger, "
                          f"{int(theirs[i])} by the plan's tables", f"ledger.csv, row {lines[i]}"))
    return capped("ledger_causes", items)


@rule("vacancy_used_once", "no vacancy serves two purposes: the vacancies held for returns "
      "and taking over off-quota work fit in those the reallocation left at the unit",
      "ledger")
def vacancy_used_once(ctx: Context) -> list[Violation]:
    led = _ledger(ctx)
    if led is None:
        return []
    left = (led["approved_after"] - led["staff_after"]).clip(lower=0)
    bad = led["returns_held"] + led["takeover"] > left
    return capped("vacancy_used_once", [
        (f"{r.unit_id} ({r.quota_type}) holds {r.returns_held} vacancies for returns and uses "
         f"{r.takeover} to take over off-quota work but has {v} vacant after the plan",
         f"ledger.csv, row {line}")
        for r, v, line in zip(led[bad].itertuples(), left[bad], led[LINE][bad])])


@rule("takeover_applied", "a unit whose vacancies take over off-quota work keeps at most its "
      "positions less ⌊take-over × aux.vacancy_offset⌋ (空编单位按需进人), and only units with "
      "off-quota positions use vacancies for it", "ledger")
def takeover_applied(ctx: Context) -> list[Violation]:
    led, aux = _ledger(ctx), ctx.tables.get("aux_plan")
    if led is None:
        return []
    f = ctx.tables.get("flows")
    if f is not None and "held_takeover" in f:  # a later year: held since the first year
        pos = _rows_in(led, f)
        held = np.where(pos >= 0, f["held_takeover"].to_numpy()[pos], 0).astype(np.int64)
        led = led.assign(takeover=led["takeover"] - held)
    T = led.groupby("unit_id")["takeover"].sum()
    T = T[T > 0]
    if aux is None or aux.empty:
        wanted = ctx.ds.aux_positions is not None and ctx.scenario.aux.enabled
        return [] if wanted else capped("takeover_applied", [  # else: plan_tables_present
            (f"{u} uses {n} vacancies to take over off-quota work but the plan has none",
             "ledger.csv") for u, n in T.items()])
    per_unit = aux.groupby("unit_id")[["headcount_before", "approved_after"]].sum()
    headcount = per_unit["headcount_before"].to_dict()
    approved = per_unit["approved_after"].to_dict()
    offset = ctx.scenario.aux.vacancy_offset
    items = [(f"{u} uses {n} vacancies to take over off-quota work but has no off-quota "
              "positions", "ledger.csv") for u, n in T.items() if u not in headcount]
    for u, n in T.items():
        if u not in headcount:
            continue
        K = int(headcount[u])
        cover = min(math.floor(n * offset + 1e-9), K)
        kept = int(approved[u])
        if kept > K - cover:
            items.append((f"{u}: {n} vacancies take over {cover} of its {K} off-quota "
                          f"positions, yet it keeps {kept} (at most {K - cover})",
                          "aux_plan.csv, ledger.csv"))
    return capped("takeover_applied", items)


def free_after(ctx: Context) -> pd.Series | None:
    """Vacancies left for the reserve per (unit, type) on the keys of `q`: the ledger's
    vacancy_free (never below 0: a vacancy used twice is `vacancy_used_once`'s finding);
    units.csv's vacancy less returns where the ledger has no row (`ledger_rows`')."""
    led = _ledger(ctx)
    if led is None:
        return None
    u = ctx.units_aligned.reset_index()  # the input's rows; an absent one as unchanged
    pos = _rows_in(u, led)
    fallback = (u["approved_after"] - u["staff_after"]).clip(lower=0).to_numpy()
    free = np.where(pos >= 0, led["vacancy_free"].to_numpy()[pos], fallback)
    return ctx.on_q(ctx.remap(u["unit_id"]), u["quota_type"], np.maximum(free, 0),
                    name="vacancy_free")
