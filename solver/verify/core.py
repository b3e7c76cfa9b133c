"""The verify machinery: `Violation`, the rule registry, and the prepared view of a plan.

A rule is one function `rule(ctx) -> list[Violation]`, registered with a short stable id and
a one-line description. `Context` holds the inputs, the scenario and the plan tables (already
normalised: text columns as str, count columns as int64) and derives, once and vectorised,
the frames several rules share (the plan aligned to the input rows, merged groups as one
unit, vacancies, statuses). Rules never import the solver's models: a plan is checked from
the input tables and the plan tables alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from solver.domain import FREES_VACANCY, HOLDS_VACANCY, LEDGER_YEAR_COLUMNS, Move
from solver.errors import BianzhiError
from solver.keys import PairIndex
from solver.ledger import COUNT_COLUMNS as LEDGER_COUNTS
from solver.scenario import Scenario
from solver.validate import Dataset

MAX_PER_RULE = 10  # messages per rule before "… and N more"


class PlanViolation(BianzhiError):
    """A plan that breaks a hard rule (or a plan folder that cannot be read as one)."""

    exit_code = 3


@dataclass(frozen=True)
class Violation:
    """One broken rule: its stable id, what is wrong, and where (file and row or ids)."""

    rule_id: str
    message: str
    where: str = ""

    def in_year(self, year: int) -> Violation:
        """The same violation found in one year of a multi-year plan."""
        where = f"year {year}" + (f", {self.where}" if self.where else "")
        return Violation(self.rule_id, self.message, where)

    def __str__(self) -> str:
        place = f"{self.where}: " if self.where else ""
        return f"[{self.rule_id}] {place}{self.message}"


@dataclass(frozen=True)
class Rule:
    """A registered rule: id, one-line description, the check, and the plan part it covers.

    Table rules (every part but `folder`) take a `Context`; the folder rules are called by
    `verify_folder` with what they check (the summary, the scenario files, plan.xlsx).
    """

    id: str
    description: str
    check: Callable[..., list[Violation]] = field(compare=False)
    part: str  # rows, quotas, mergers, aux, cadres, folder


RULES: dict[str, Rule] = {}


def rule(rule_id: str, description: str, part: str) -> Callable:
    """Register a rule function under a stable id (ids are unique)."""

    def register(fn: Callable[..., list[Violation]]):
        if rule_id in RULES:
            raise ValueError(f"rule id {rule_id!r} registered twice")
        RULES[rule_id] = Rule(rule_id, description, fn, part)
        fn.rule_id = rule_id
        return fn

    return register


def capped(rule_id: str, items: list[tuple[str, str]]) -> list[Violation]:
    """Violations from (message, where) pairs, at most MAX_PER_RULE and a count of the rest."""
    out = [Violation(rule_id, m, w) for m, w in items[:MAX_PER_RULE]]
    if len(items) > MAX_PER_RULE:
        out.append(Violation(rule_id, f"… and {len(items) - MAX_PER_RULE} more"))
    return out


# ---------------------------------------------------------------- plan tables

# count columns of each plan table (required ones must be whole numbers)
INT_COLUMNS: dict[str, tuple[str, ...]] = {
    "moves": ("amount",),
    "units": ("approved_before", "approved_after", "staff_before", "staff_after"),
    "pool": ("balance_before", "balance_after"),
    "demands": ("amount", "met", "met_own"),
    "mergers": ("freed",),
    "aux_plan": ("headcount_before", "approved_after", "to_services", "ended"),
    "assignments": (),
    "ledger": LEDGER_COUNTS,
    # a multi-year plan (issue 12)
    "years": ("year", "approved_start", "staff_start", "retirements", "leavers", "hires",
              "persons_in", "persons_out", "moved_in", "moved_out", "returned",
              "approved_end", "staff_end", "vacancy_end"),
    "pool_years": ("year", "balance_start", "returned", "granted", "withdrawn", "balance_end"),
    "demand_years": ("year", "met"),
    "retirements": ("year", "month", "age_months"),
    "use_plan": ("year", "may_hire"),
    "planned": ("year", "amount"),
    "aux_years": ("year", "base", "cap", "headcount_start", "approved_after", "to_services",
                  "ended"),
}
# text columns each table must have for the rules
TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "moves": ("kind", "quota_type", "from_unit", "to_unit", "demand_id", "tier", "source",
              "temporary_until"),
    "units": ("unit_id", "quota_type"),
    "pool": ("region", "quota_type"),
    "demands": ("demand_id", "unit_id", "quota_type", "tier", "unmet_reason"),
    "mergers": ("merger_id", "unit_id", "role", "keeper_id"),
    "aux_plan": ("unit_id", "category"),
    "assignments": ("person_id", "option", "group_id", "unit_id", "quota_type", "to_unit",
                    "demand_id"),
    "ledger": ("unit_id", "quota_type"),
    "flows": ("unit_id", "quota_type"),
    "years": ("unit_id", "quota_type"),
    "pool_years": ("region", "quota_type"),
    "demand_years": ("demand_id",),
    "retirements": ("person_id", "unit_id", "quota_type"),
    "use_plan": ("unit_id", "quota_type", "source"),
    "planned": ("demand_id",),
    "aux_years": ("region",),
}
# further text columns some rules read when the table has them
# further count columns some rules read when the table has them
OPTIONAL_INT: dict[str, tuple[str, ...]] = {
    "moves": ("persons", "year"),
    "ledger": (*LEDGER_YEAR_COLUMNS, "year"),  # a year of a multi-year plan; the horizon's
    "flows": ("retirements", "leavers", "returned", "held", "held_takeover"),
}
OPTIONAL_TEXT: dict[str, tuple[str, ...]] = {
    "units": ("region",),
    "moves": ("from_region", "to_region"),
}
# the key that names one row of each table (a row appears once)
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "units": ("unit_id", "quota_type"),
    "demands": ("demand_id",),
    "pool": ("region", "quota_type"),
    "assignments": ("person_id",),
    "aux_plan": ("unit_id", "category"),
    "mergers": ("unit_id",),
    "ledger": ("unit_id", "quota_type"),
}
LINE = "_line"  # the row's line in its CSV file (header = line 1)
MAX_DIGITS = 12  # counts beyond 10^12 are not counts


class MalformedTable(Exception):
    """A plan table that cannot be read as one (the message names file, row and column)."""


# what `astype(str)` gives: text cells, missing ones NaN
_TEXT_DTYPE = pd.Series(["text"]).astype(str).dtype


def text_column(series: pd.Series) -> pd.Series:
    """Cells as text exactly as written, missing as ''."""
    if series.dtype == _TEXT_DTYPE:  # text already: only the missing cells to fill
        return series.fillna("") if series.hasnans else series
    if series.dtype == object and series.map(type).eq(str).all():
        return series
    s = series.astype(object)
    if s.isna().any():
        s = s.fillna("")
    return s.astype(str)


def normalise_table(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A plan table with its text columns as str and its count columns as int64.

    Raises MalformedTable naming the row and column of a missing column or a cell that is
    not a whole number.
    """
    file = f"{name}.csv"
    needed = INT_COLUMNS.get(name, ()) + TEXT_COLUMNS.get(name, ())
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise MalformedTable(f"{file}: missing column{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(missing)}")
    out = frame.reset_index(drop=True).copy()
    for col in (*TEXT_COLUMNS.get(name, ()), *OPTIONAL_TEXT.get(name, ())):
        if col in out:
            out[col] = text_column(out[col])
    for col in (*INT_COLUMNS.get(name, ()),
                *(c for c in OPTIONAL_INT.get(name, ()) if c in out)):
        if out[col].dtype.kind in "iu":
            out[col] = out[col].astype(np.int64)
            continue
        s = text_column(out[col]).str.strip()
        if col not in INT_COLUMNS.get(name, ()):
            s = s.where(s != "", "0")  # an optional count left empty is none
        ok = s.str.fullmatch(r"-?\d+") & (s.str.len() <= MAX_DIGITS)
        if not ok.all():
            i = int(np.flatnonzero(~ok.to_numpy())[0])
            raise MalformedTable(f"{file}, row {i + 2}, column {col}: {s.iat[i]!r} is not a "
                                 f"whole number of at most {MAX_DIGITS} digits")
        out[col] = s.astype(np.int64)
    out[LINE] = np.arange(2, len(frame) + 2)
    return out


def normalise_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every plan table normalised (see normalise_table)."""
    return {name: normalise_table(name, frame) for name, frame in tables.items()}


def year_text(series: pd.Series) -> pd.Series:
    """Years as text without '.0' ('' if missing), for comparing input and plan cells."""
    s = text_column(series)
    return s.str.replace(r"\.0+$", "", regex=True)


# ---------------------------------------------------------------- the prepared view


@dataclass
class Context:
    """Inputs, scenario and normalised plan tables, with the frames rules share."""

    ds: Dataset
    scenario: Scenario
    tables: dict[str, pd.DataFrame]
    data_year: int | None = None  # the year of the people's ages; default the data's year
    # the n-th year of a plan over several years cuts the off-quota base locked in the first
    # (the input's aux_positions): cap ⌊base × (1 − aux.reduction)ⁿ⌋
    aux_base: pd.DataFrame | None = None
    horizon_year: int = 1  # the n-th year of a horizon (1: a one-year plan or the first year)

    @property
    def policy(self):
        return self.scenario.policy

    def table(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    # ---- plan rows aligned to the input rows (first of duplicates; ghosts dropped)

    @cached_property
    def input_quotas(self) -> pd.DataFrame:
        q = self.ds.quotas.drop_duplicates(["unit_id", "quota_type"])
        return q.set_index(["unit_id", "quota_type"])

    @cached_property
    def units_aligned(self) -> pd.DataFrame:
        """units.csv on the input's unit × quota rows; an absent row counts as unchanged."""
        q = self.input_quotas
        u = self.tables["units"].drop_duplicates(["unit_id", "quota_type"]).set_index(
            ["unit_id", "quota_type"])
        cols = ["approved_before", "approved_after", "staff_before", "staff_after"]
        out = u[cols].reindex(q.index)
        absent = out["approved_before"].isna()
        a, s = q["approved"].astype(np.int64), q["staff"].astype(np.int64)
        out["approved_before"] = a
        out["staff_before"] = s
        out["approved_after"] = out["approved_after"].where(~absent, a)
        out["staff_after"] = out["staff_after"].where(~absent, s)
        return out.astype(np.int64)

    @cached_property
    def demands_aligned(self) -> pd.DataFrame:
        """Demands present in both: the input's figures, the plan's outcome (met, reason)."""
        d_in = self.ds.demands.drop_duplicates("demand_id")
        plan = self.tables["demands"].drop_duplicates("demand_id")
        keep = ["demand_id", "met", "met_own", "unmet_reason"]
        cols = ["demand_id", "unit_id", "quota_type", "tier", "amount"] + (
            ["end_year"] if "end_year" in d_in else [])
        out = d_in[cols].merge(plan[keep], on="demand_id", how="inner")
        out["amount"] = out["amount"].astype(np.int64)
        return out.reset_index(drop=True)

    @cached_property
    def owner(self) -> dict[str, str]:
        """Absorbed unit → its keeper, from mergers.csv (issue 7: a merged group is one unit)."""
        m = self.tables.get("mergers")
        if m is None or m.empty:
            return {}
        absorbed = m[m["role"] == "absorbed"]
        return dict(zip(absorbed["unit_id"], absorbed["keeper_id"]))

    def remap(self, series: pd.Series) -> pd.Series:
        if not self.owner:
            return series
        return series.map(self.owner).fillna(series)

    @cached_property
    def people_home(self) -> pd.DataFrame | None:
        """Assignments (first per person) with the input's home unit and quota type."""
        a = self.tables.get("assignments")
        if a is None:
            return None
        a = a.drop_duplicates("person_id")
        if self.ds.people is None:
            return a
        home = self.ds.people.drop_duplicates("person_id").set_index("person_id")
        known = a["person_id"].isin(home.index)
        a = a[known].copy()
        a["unit_id"] = a["person_id"].map(home["unit_id"]).astype(str)
        a["quota_type"] = a["person_id"].map(home["quota_type"]).astype(str)
        return a

    # ---- the quota view: merged groups as one unit

    @cached_property
    def q(self) -> pd.DataFrame:
        """Input quotas per (unit, type) with merged groups summed under the keeper."""
        q = self.input_quotas[["approved", "staff"]].astype(np.int64).reset_index()
        if self.owner:
            q["unit_id"] = self.remap(q["unit_id"])
            q = q.groupby(["unit_id", "quota_type"], sort=False)[["approved", "staff"]].sum()
            return q
        return q.set_index(["unit_id", "quota_type"])

    @cached_property
    def pu(self) -> pd.DataFrame:
        """The plan's unit rows on the same keys as `q`."""
        u = self.units_aligned.reset_index()
        if self.owner:
            u["unit_id"] = self.remap(u["unit_id"])
            u = u.groupby(["unit_id", "quota_type"], sort=False).sum()
            return u.reindex(self.q.index)
        return u.set_index(["unit_id", "quota_type"]).reindex(self.q.index)

    @cached_property
    def moves(self) -> pd.DataFrame:
        """moves.csv with merged units under their keeper; `merge` moves, inside a merged
        group, drop out of this view (the ledger rules check them unit by unit)."""
        m = self.tables["moves"]
        m = m[m["kind"] != Move.MERGE].copy()
        for end in ("from_unit", "to_unit"):
            named = m[end] != ""
            m[end] = m[end].where(~named, self.remap(m[end]))
        return m

    @cached_property
    def demands(self) -> pd.DataFrame:
        d = self.demands_aligned.copy()
        d["unit_id"] = self.remap(d["unit_id"])
        return d

    @cached_property
    def units_in(self) -> pd.DataFrame:
        return self.ds.units.drop_duplicates("unit_id").set_index("unit_id")

    @cached_property
    def q_pairs(self) -> PairIndex:
        """The keys of `q`, for finding the row of (unit, type) pairs."""
        return PairIndex(self.q.index.get_level_values(0), self.q.index.get_level_values(1))

    def on_q(self, units, types, values=None, name: str | None = None) -> pd.Series:
        """Σ values (1 a row when None) per (unit, type) pair on the keys of `q`, 0 where
        absent: groupby-sum-reindex, with each pair looked up once."""
        n = len(self.q)
        pos = self.q_pairs.rows(units, types)
        weights = (np.ones(len(pos)) if values is None
                   else np.asarray(values, dtype=np.float64))
        keep = (pos >= 0) & ~np.isnan(weights)
        sums = np.bincount(pos[keep], weights=weights[keep], minlength=n).astype(np.int64)
        return pd.Series(sums, index=self.q.index, name=name)

    def per_row(self, frame: pd.DataFrame, end: str) -> pd.Series:
        """Sum of move amounts per (unit at `end`, quota type), on the keys of `q`."""
        if frame.empty:
            return pd.Series(0, index=self.q.index, dtype=np.int64)
        return self.on_q(frame[end], frame["quota_type"], frame["amount"], name="amount")

    def flow(self, column: str) -> pd.Series:
        """A year's flows (flows.csv of a year of a multi-year plan) per (unit, type) on the
        keys of `q`; 0 in a one-year plan."""
        f = self.tables.get("flows")
        if f is None or f.empty or column not in f:
            return pd.Series(0, index=self.q.index, dtype=np.int64)
        return self.on_q(self.remap(f["unit_id"]), f["quota_type"], f[column], name=column)

    @cached_property
    def retire(self) -> pd.Series:
        """People leaving per (unit, type) before the reallocation: early retirements, and in
        a year of a multi-year plan the statutory retirements and other leavers; they free
        posts (an over-quota unit's first absorb its excess) and are a full unit's releases."""
        out = self.flow("retirements") + self.flow("leavers")
        a = self.people_home
        if a is None or a.empty:
            return out
        r = a[a["option"].isin(FREES_VACANCY)]
        return out + self.on_q(self.remap(r["unit_id"]), r["quota_type"])

    @cached_property
    def returns_home(self) -> pd.Series:
        """Returns per (home unit, type) as in the inputs (not merged): each holds a vacancy."""
        a = self.people_home
        if a is None or a.empty:
            return pd.Series(0, index=pd.MultiIndex.from_arrays([[], []]), dtype=np.int64)
        r = a[a["option"].isin(HOLDS_VACANCY)]
        return r.groupby([r["unit_id"], r["quota_type"]]).size().astype(np.int64)

    @cached_property
    def held(self) -> pd.Series:
        """Vacancies held for returns per (unit, type) on the keys of `q` (merged groups)."""
        r = self.returns_home
        if r.empty:
            return self.flow("held") + self.flow("held_takeover")
        units = self.remap(pd.Series(r.index.get_level_values(0)))
        return self.on_q(units, r.index.get_level_values(1), r.to_numpy(), name="n") \
            + self.flow("held") + self.flow("held_takeover")

    @cached_property
    def A(self) -> pd.Series:
        return self.q["approved"].astype(np.int64)

    @cached_property
    def S(self) -> pd.Series:
        return self.q["staff"].astype(np.int64)

    @cached_property
    def vacancy(self) -> pd.Series:
        """Vacancies the reallocation may use: after early retirements, less those held for
        returns (one use per vacancy)."""
        return ((self.A - self.S + self.retire).clip(lower=0) - self.held).clip(lower=0)

    @cached_property
    def region(self) -> pd.Series:
        return pd.Series(self.units_in["region"].reindex(
            self.q.index.get_level_values(0)).to_numpy(), index=self.q.index)

    @cached_property
    def lapsed(self) -> pd.Series:
        status = self.units_in["function_status"].reindex(self.q.index.get_level_values(0))
        return pd.Series((status == "lapsed").to_numpy(), index=self.q.index)

    @cached_property
    def status(self) -> pd.Series:
        A, S = self.A, self.S
        return pd.Series(np.where(S > A, "over", np.where(S == A, "full", "vacant")),
                         index=self.q.index)

    @cached_property
    def in_amt(self) -> pd.Series:
        m = self.moves
        return self.per_row(m[m["to_unit"] != ""], "to_unit")

    @cached_property
    def out_amt(self) -> pd.Series:
        m = self.moves
        return self.per_row(m[m["from_unit"] != ""], "from_unit")

    @cached_property
    def people_moves(self) -> pd.DataFrame:
        m = self.moves
        return m[m["kind"] == Move.WITH_PERSON]

    @cached_property
    def plain_out(self) -> pd.Series:
        """Quotas leaving a unit without a person (transfer_with_person carries its person)."""
        m = self.moves
        return self.per_row(m[(m["from_unit"] != "") & (m["kind"] != Move.WITH_PERSON)],
                            "from_unit")

    @cached_property
    def leave_people(self) -> pd.Series:
        return self.per_row(self.people_moves, "from_unit")

    @cached_property
    def arrive_people(self) -> pd.Series:
        return self.per_row(self.people_moves, "to_unit")

    def demand_keys(self) -> pd.MultiIndex:
        d = self.demands
        return pd.MultiIndex.from_arrays([d["unit_id"], d["quota_type"]])
