"""Every input row is in the plan exactly once, with its input figures unchanged.

Units × quota rows, demands, pool balances, people and off-quota positions: a row deleted, a
row added that the inputs do not have (a ghost), a row listed twice, or an input figure
changed in the plan is a violation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from solver.verify.core import LINE, ROW_KEYS, Context, Violation, capped, rule, text_column, \
    year_text


def _keys(frame: pd.DataFrame, cols: list[str]) -> pd.MultiIndex | pd.Index:
    if len(cols) == 1:
        return pd.Index(text_column(frame[cols[0]]), name=cols[0])
    return pd.MultiIndex.from_arrays([text_column(frame[c]) for c in cols], names=cols)


def _cached(ctx: Context, tag: str, make):
    """Keys computed once per check (several rules read the same table's keys)."""
    cache = ctx.__dict__.setdefault("_row_keys", {})
    if tag not in cache:
        cache[tag] = make()
    return cache[tag]


YEAR_COLUMNS = ("start_year", "end_year")


def _cells(series: pd.Series, year: bool) -> np.ndarray:
    """Cells to compare: plain integers as such (fast), anything else as text."""
    if not year and isinstance(series.dtype, np.dtype) and series.dtype.kind in "iu":
        return series.to_numpy()
    return (year_text(series) if year else text_column(series)).to_numpy()


def _label(key) -> str:
    return " ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def _missing(rule_id: str, file: str, want: pd.Index, have: pd.Index, what: str
             ) -> list[Violation]:
    gone = want.difference(have)
    return capped(rule_id, [(f"{what} {_label(k)} of the inputs is not in the plan", file)
                            for k in gone])


def _ghosts(rule_id: str, file: str, frame: pd.DataFrame, keys: pd.Index, known: pd.Index,
            what: str) -> list[Violation]:
    ghost = ~keys.isin(known)
    rows = frame[LINE].to_numpy()[ghost]
    return capped(rule_id, [(f"{what} {_label(k)} is not in the inputs", f"{file}, row {r}")
                            for k, r in zip(keys[ghost], rows)])


def _changed(rule_id: str, file: str, plan: pd.DataFrame, plan_keys: pd.Index,
             inputs: pd.DataFrame, input_keys: pd.Index, columns: dict[str, str]
             ) -> list[Violation]:
    """Rows present in both whose columns differ (plan column → input column), as text."""
    first = ~plan_keys.duplicated()
    plan, plan_keys = plan[first], plan_keys[first]
    inputs = inputs[~input_keys.duplicated()]
    input_keys = input_keys[~input_keys.duplicated()]
    common = plan_keys.isin(input_keys)
    plan, plan_keys = plan[common], plan_keys[common]
    pos = input_keys.get_indexer(plan_keys)
    items = []
    for plan_col, input_col in columns.items():
        if plan_col not in plan or input_col not in inputs:
            continue
        year = plan_col in YEAR_COLUMNS
        mine, theirs = _cells(plan[plan_col], year), _cells(inputs[input_col], year)[pos]
        if (mine.dtype.kind in "iu") != (theirs.dtype.kind in "iu"):
            mine, theirs = mine.astype(str), theirs.astype(str)
        for i in np.flatnonzero(mine != theirs):
            items.append((f"{_label(plan_keys[i])}: {plan_col} '{mine[i]}' differs from the "
                          f"input '{theirs[i]}'", f"{file}, row {plan[LINE].iat[i]}"))
    return capped(rule_id, items)


# ---------------------------------------------------------------- units


def _unit_keys(ctx: Context):
    u = ctx.tables["units"]
    return u, _cached(ctx, "units", lambda: _keys(u, ["unit_id", "quota_type"])), \
        _cached(ctx, "quotas", lambda: _keys(ctx.ds.quotas, ["unit_id", "quota_type"]))


@rule("unit_row_missing", "every unit × quota-type row of the inputs is in units.csv", "rows")
def unit_row_missing(ctx: Context) -> list[Violation]:
    u, plan_keys, input_keys = _unit_keys(ctx)
    return _missing("unit_row_missing", "units.csv", input_keys, plan_keys, "unit/quota row")


@rule("ghost_unit_row", "units.csv has no unit × quota-type row the inputs do not have", "rows")
def ghost_unit_row(ctx: Context) -> list[Violation]:
    u, plan_keys, input_keys = _unit_keys(ctx)
    return _ghosts("ghost_unit_row", "units.csv", u, plan_keys, input_keys, "unit/quota row")


@rule("unit_row_changed", "units.csv keeps each row's approved_before, staff_before and "
      "region as in the inputs", "rows")
def unit_row_changed(ctx: Context) -> list[Violation]:
    u, plan_keys, input_keys = _unit_keys(ctx)
    q = ctx.ds.quotas.assign(region=ctx.ds.quotas["unit_id"].map(ctx.units_in["region"]))
    return _changed("unit_row_changed", "units.csv", u, plan_keys, q, input_keys,
                    {"approved_before": "approved", "staff_before": "staff",
                     "region": "region"})


# ---------------------------------------------------------------- demands


def _demand_keys(ctx: Context):
    d = ctx.tables["demands"]
    return d, _cached(ctx, "demands", lambda: _keys(d, ["demand_id"])), \
        _cached(ctx, "input demands", lambda: _keys(ctx.ds.demands, ["demand_id"]))


@rule("demand_row_missing", "every demand of the inputs is in demands.csv", "rows")
def demand_row_missing(ctx: Context) -> list[Violation]:
    d, plan_keys, input_keys = _demand_keys(ctx)
    return _missing("demand_row_missing", "demands.csv", input_keys, plan_keys, "demand")


@rule("ghost_demand_row", "demands.csv has no demand the inputs do not have", "rows")
def ghost_demand_row(ctx: Context) -> list[Violation]:
    d, plan_keys, input_keys = _demand_keys(ctx)
    return _ghosts("ghost_demand_row", "demands.csv", d, plan_keys, input_keys, "demand")


@rule("demand_row_changed", "demands.csv keeps each demand's unit, quota type, tier, amount "
      "and years as in the inputs", "rows")
def demand_row_changed(ctx: Context) -> list[Violation]:
    d, plan_keys, input_keys = _demand_keys(ctx)
    cols = {c: c for c in ("unit_id", "quota_type", "tier", "amount", "start_year", "end_year")}
    return _changed("demand_row_changed", "demands.csv", d, plan_keys, ctx.ds.demands,
                    input_keys, cols)


# ---------------------------------------------------------------- pool


@rule("pool_row_changed", "pool.csv starts every region and quota type from the input pool "
      "balance (0 where the inputs have none)", "rows")
def pool_row_changed(ctx: Context) -> list[Violation]:
    p = ctx.tables["pool"]
    plan_keys = _keys(p, ["region", "quota_type"])
    pool_in = pd.Series(dtype=np.int64)
    if ctx.ds.pool is not None:
        pool_in = ctx.ds.pool.groupby(["region", "quota_type"])["balance"].sum()
    items = []
    gone = pool_in.index.difference(plan_keys)
    gone = gone[pool_in.reindex(gone).to_numpy() != 0]
    items += [(f"pool {_label(k)}: the input balance {int(pool_in[k])} is not in the plan",
               "pool.csv") for k in gone]
    first = ~plan_keys.duplicated()
    expected = pool_in.reindex(plan_keys).fillna(0).astype(np.int64).to_numpy()
    bad = first & (p["balance_before"].to_numpy() != expected)
    items += [(f"pool {_label(k)}: balance_before {b} differs from the input {e}",
               f"pool.csv, row {r}") for k, b, e, r in zip(
        plan_keys[bad], p["balance_before"].to_numpy()[bad], expected[bad],
        p[LINE].to_numpy()[bad])]
    return capped("pool_row_changed", items)


@rule("ghost_pool_row", "pool.csv has no region × quota-type row without units or an input "
      "pool of that type", "rows")
def ghost_pool_row(ctx: Context) -> list[Violation]:
    p = ctx.tables["pool"]
    plan_keys = _keys(p, ["region", "quota_type"])
    q = ctx.ds.quotas
    known = _keys(pd.DataFrame({"region": q["unit_id"].map(ctx.units_in["region"]),
                                "quota_type": q["quota_type"]}), ["region", "quota_type"])
    if ctx.ds.pool is not None:
        known = known.append(_keys(ctx.ds.pool, ["region", "quota_type"]))
    return _ghosts("ghost_pool_row", "pool.csv", p, plan_keys, known, "pool row")


# ---------------------------------------------------------------- people


def _people_keys(ctx: Context):
    a = ctx.tables.get("assignments")
    if a is None or ctx.ds.people is None:
        return None
    return a, _keys(a, ["person_id"]), _keys(ctx.ds.people, ["person_id"])


@rule("person_missing", "every person of the inputs has an option in assignments.csv", "rows")
def person_missing(ctx: Context) -> list[Violation]:
    got = _people_keys(ctx)
    if got is None:
        return []
    a, plan_keys, input_keys = got
    gone = input_keys.difference(plan_keys)
    return capped("person_missing", [(f"person {k} has no option in assignments.csv",
                                      "assignments.csv") for k in sorted(gone)])


@rule("ghost_person", "assignments.csv names only people of the inputs", "rows")
def ghost_person(ctx: Context) -> list[Violation]:
    a = ctx.tables.get("assignments")
    if a is None:
        return []
    if ctx.ds.people is None:
        return [Violation("ghost_person", "assignments.csv present but the inputs have no "
                          "people", "assignments.csv")] if len(a) else []
    plan_keys, input_keys = _keys(a, ["person_id"]), _keys(ctx.ds.people, ["person_id"])
    ghost = ~plan_keys.isin(input_keys)
    return capped("ghost_person", [
        (f"assignments.csv names {k}, who is not in the people table",
         f"assignments.csv, row {r}")
        for k, r in zip(plan_keys[ghost], a[LINE].to_numpy()[ghost])])


@rule("person_row_changed", "assignments.csv keeps each person's home unit and quota type "
      "as in the inputs", "rows")
def person_row_changed(ctx: Context) -> list[Violation]:
    got = _people_keys(ctx)
    if got is None:
        return []
    a, plan_keys, input_keys = got
    return _changed("person_row_changed", "assignments.csv", a, plan_keys, ctx.ds.people,
                    input_keys, {"unit_id": "unit_id", "quota_type": "quota_type"})


# ---------------------------------------------------------------- off-quota positions


def _aux_keys(ctx: Context):
    t = ctx.tables.get("aux_plan")
    if t is None or ctx.ds.aux_positions is None:
        return None
    cols = ["unit_id", "category"]
    return t, _cached(ctx, "aux_plan", lambda: _keys(t, cols)), \
        _cached(ctx, "input aux", lambda: _keys(ctx.ds.aux_positions, cols))


@rule("aux_row_missing", "every off-quota position row of the inputs is in aux_plan.csv",
      "rows")
def aux_row_missing(ctx: Context) -> list[Violation]:
    got = _aux_keys(ctx)
    if got is None:
        return []
    t, plan_keys, input_keys = got
    return _missing("aux_row_missing", "aux_plan.csv", input_keys, plan_keys,
                    "off-quota position")


@rule("ghost_aux_row", "aux_plan.csv has no position row the inputs do not have", "rows")
def ghost_aux_row(ctx: Context) -> list[Violation]:
    got = _aux_keys(ctx)
    if got is None:
        return []
    t, plan_keys, input_keys = got
    return _ghosts("ghost_aux_row", "aux_plan.csv", t, plan_keys, input_keys,
                   "off-quota position")


@rule("aux_row_changed", "aux_plan.csv keeps each position's headcount as in the inputs",
      "rows")
def aux_row_changed(ctx: Context) -> list[Violation]:
    got = _aux_keys(ctx)
    if got is None:
        return []
    t, plan_keys, input_keys = got
    return _changed("aux_row_changed", "aux_plan.csv", t, plan_keys, ctx.ds.aux_positions,
                    input_keys, {"headcount_before": "headcount"})


# ---------------------------------------------------------------- duplicates


@rule("duplicate_row", "no plan table lists a row (unit × type, demand, pool, person, "
      "position, merger member) twice", "rows")
def duplicate_row(ctx: Context) -> list[Violation]:
    items = []
    for name, cols in ROW_KEYS.items():
        frame = ctx.tables.get(name)
        if frame is None or frame.empty:
            continue
        keys = _cached(ctx, name, lambda: _keys(frame, list(cols)))
        dup = keys.duplicated(keep="first")
        if not dup.any():
            continue
        counts = keys.value_counts()
        for k, r in zip(keys[dup], frame[LINE].to_numpy()[dup]):
            items.append((f"{_label(k)} appears {counts[k]} times", f"{name}.csv, row {r}"))
    return capped("duplicate_row", items)
