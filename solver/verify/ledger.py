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
from solver.verify.core import LINE, Context, Violation, capped, rule

MOVE_CAUSES: tuple[str, ...] = (*IN_COLUMNS, *OUT_COLUMNS, *STAFF_IN, *STAFF_OUT)
OTHER_CAUSES: tuple[str, ...] = ("early_retirements", "hires", "returns_held")


def _ledger(ctx: Context) -> pd.DataFrame | None:
    led = ctx.tables.get("ledger")
    return None if led is None else led.drop_duplicates(KEY)


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
    approved = (led["approved_before"] + led[list(IN_COLUMNS)].sum(axis=1)
                - led[list(OUT_COLUMNS)].sum(axis=1))
    leaving = sum(led[c] for c in YEAR_COLUMNS if c in led)
    staff = (led["staff_before"] - led["early_retirements"] - leaving
             + led[list(STAFF_IN)].sum(axis=1)
             - led[list(STAFF_OUT)].sum(axis=1) + led["hires"])
    vacancy = (led["approved_after"] - led["staff_after"]).clip(lower=0)
    over = (led["staff_after"] - led["approved_after"]).clip(lower=0)
    free = vacancy - led["returns_held"] - led["takeover"]
    items = []
    for name, expected in (("approved_after", approved), ("staff_after", staff),
                           ("vacancy_after", vacancy), ("over_after", over),
                           ("vacancy_free", free)):
        bad = led[name] != expected
        items += [(f"{r.unit_id} ({r.quota_type}): {name} {getattr(r, name)} but its causes "
                   f"give {e}", f"ledger.csv, row {line}")
                  for r, e, line in zip(led[bad].itertuples(), expected[bad], led[LINE][bad])]
    return capped("ledger_balance", items)


@rule("ledger_units", "the ledger's approved and staff before and after equal units.csv, row by "
      "row", "ledger")
def ledger_units(ctx: Context) -> list[Violation]:
    led = _ledger(ctx)
    if led is None:
        return []
    u = ctx.tables["units"].drop_duplicates(KEY).set_index(KEY)
    both = led.merge(u.add_suffix("_units"), left_on=KEY, right_index=True, how="inner")
    items = []
    for col in ("approved_before", "approved_after", "staff_before", "staff_after"):
        bad = both[col] != both[f"{col}_units"]
        items += [(f"{r.unit_id} ({r.quota_type}): {col} {getattr(r, col)} in the ledger, "
                   f"{getattr(r, col + '_units')} in units.csv", f"ledger.csv, row {line}")
                  for r, line in zip(both[bad].itertuples(), both[LINE][bad])]
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
    mine = led.set_index(KEY)
    theirs = rebuilt.set_index(KEY).reindex(mine.index)
    items = []
    for col in (*MOVE_CAUSES, *OTHER_CAUSES, *(c for c in YEAR_COLUMNS if c in mine)):
        if col not in theirs:
            continue
        bad = (mine[col] != theirs[col]) & theirs[col].notna()
        for key, line in zip(mine.index[bad], mine[LINE][bad]):
            items.append((f"{key[0]} ({key[1]}): {col} {mine.at[key, col]} in the ledger, "
                          f"{int(theirs.at[key, col])} by the plan's tables",
                          f"ledger.csv, row {line}"))
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
        held = f.drop_duplicates(KEY).set_index(KEY)["held_takeover"]
        led = led.assign(takeover=led["takeover"] - held.reindex(
            pd.MultiIndex.from_frame(led[KEY])).fillna(0).to_numpy(np.int64))
    T = led.groupby("unit_id")["takeover"].sum()
    T = T[T > 0]
    if aux is None or aux.empty:
        wanted = ctx.ds.aux_positions is not None and ctx.scenario.aux.enabled
        return [] if wanted else capped("takeover_applied", [  # else: plan_tables_present
            (f"{u} uses {n} vacancies to take over off-quota work but the plan has none",
             "ledger.csv") for u, n in T.items()])
    per_unit = aux.groupby("unit_id")[["headcount_before", "approved_after"]].sum()
    offset = ctx.scenario.aux.vacancy_offset
    items = [(f"{u} uses {n} vacancies to take over off-quota work but has no off-quota "
              "positions", "ledger.csv") for u, n in T.items() if u not in per_unit.index]
    for u, n in T.items():
        if u not in per_unit.index:
            continue
        K = int(per_unit.at[u, "headcount_before"])
        cover = min(math.floor(n * offset + 1e-9), K)
        kept = int(per_unit.at[u, "approved_after"])
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
    frame = u[KEY].merge(led[KEY + ["vacancy_free"]], on=KEY, how="left")
    missing = frame["vacancy_free"].isna().to_numpy()
    if missing.any():
        fallback = (u["approved_after"] - u["staff_after"]).clip(lower=0).to_numpy()
        frame.loc[missing, "vacancy_free"] = fallback[missing]
    frame["vacancy_free"] = frame["vacancy_free"].astype(np.int64).clip(lower=0)
    frame["unit_id"] = ctx.remap(frame["unit_id"])
    return frame.groupby(KEY)["vacancy_free"].sum().reindex(ctx.q.index).fillna(0).astype(
        np.int64)
