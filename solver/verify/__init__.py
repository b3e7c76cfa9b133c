"""Verify: every hard rule of a plan, one function per rule, each with a stable id.

`check_plan` checks plan tables against their inputs and scenario (what `bianzhi run` does
before it writes anything); `verify_folder` checks a written plan folder, re-resolving the
scenario from its recorded files (what `bianzhi verify` does). `RULES` lists every rule with
its id and a one-line description.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from solver.edits import load_data
from solver.inputs import FIX, InputsDiffer, data_difference
from solver.parallel import run_shared
from solver.scenario import Scenario, plan_year
from solver.validate import Dataset
# registered in this order: the rows, the quota rules, mergers, off-quota, cadres, the ledger,
# the folder
from solver.verify import rows, quotas, mergers, aux, cadres, ledger, years, folder  # noqa: F401, I001, E501
from solver.verify.core import RULES, Context, PlanViolation, Rule, Violation, \
    normalise_tables
from solver.verify.folder import MalformedPlan, file_sha256, read_plan_folder, \
    scenario_checksums

__all__ = ["RULES", "Rule", "Violation", "PlanViolation", "MalformedPlan", "check_plan", "check_years",
           "verify_folder", "read_plan_folder", "file_sha256", "scenario_checksums"]

TABLE_PARTS = ("rows", "quotas", "mergers", "aux", "cadres", "ledger")


def check_plan(ds: Dataset, scenario: Scenario, tables: dict[str, pd.DataFrame],
               data_year: int | None = None, aux_base: pd.DataFrame | None = None,
               horizon_year: int = 1) -> list[Violation]:
    """Every table rule on plan tables (as `Plan.tables()` gives them or as read from disk).

    When `ds` is the n-th year of a plan over several years: `data_year` is the year the
    people's ages are given in (its open demands no longer tell the data's year), `aux_base`
    the input's off-quota positions (the base locked in the first year) and `horizon_year` n."""
    ctx = Context(ds, scenario, normalise_tables(tables), data_year=data_year,
                  aux_base=aux_base, horizon_year=horizon_year)
    out: list[Violation] = []
    for r in RULES.values():
        if r.part in TABLE_PARTS:
            out += r.check(ctx)
    return out


def check_years(ds: Dataset, scenario: Scenario, tables: dict[str, pd.DataFrame]
                ) -> list[Violation]:
    """The rules linking the years of a multi-year plan, on its horizon tables (each year is
    checked on its own by `check_plan`)."""
    ctx = Context(ds, scenario, normalise_tables(tables))
    out: list[Violation] = []
    for r in RULES.values():
        if r.part == "years":
            out += r.check(ctx)
    return out


def verify_folder(plan_dir: str | Path, data: str | Path | None = None) -> list[Violation]:
    """Every rule on a written plan folder, against its inputs and its scenario files.

    The inputs are found as `solver.inputs.locate` says (`data`: --data, then the paths
    summary.json records); inputs given with `data` that are not the plan's are bad input
    (InputsDiffer, exit 2), recorded inputs that changed the violation inputs_changed."""
    plan_dir = Path(plan_dir)
    try:
        summary, raw = read_plan_folder(plan_dir)
        tables = folder.normalised_plan_tables(plan_dir, raw)
        scenario, found, located = folder.reference_scenario(
            summary, plan_dir, None if data is None else Path(data))
    except MalformedPlan as exc:
        return folder.malformed_file(exc)
    out = folder.scenario_file_changed(found) + folder.scenario_differs(found)
    ds = load_data(scenario)
    difference = data_difference(summary, ds)
    if difference and located.given:
        raise InputsDiffer(f"--data {data}: {difference}; {FIX}")
    out += folder.inputs_changed(summary, ds)
    if scenario.horizon is None:
        out += check_plan(ds, scenario, tables)
    else:
        try:
            per_year = folder.read_year_folders(plan_dir, scenario.horizon.years)
        except MalformedPlan as exc:
            return out + folder.malformed_file(exc)
        files = years.year_files(ds, scenario, tables, per_year)  # before the update below
        for year, year_tables in per_year.items():
            if year == scenario.horizon.start:  # the one-off parts belong to the first year
                year_tables.update({k: tables[k] for k in ("assignments", "aux_plan",
                                                           "mergers") if k in tables})

        def one_year(year: int) -> Callable[[], list[Violation]]:
            def check() -> list[Violation]:
                year_ds = years.year_inputs(ds, scenario, year, tables, per_year)
                return [v.in_year(year) for v in check_plan(
                    year_ds, scenario, per_year[year],
                    data_year=ds.year or plan_year(scenario, None), aux_base=ds.aux_positions,
                    horizon_year=year - scenario.horizon.start + 1)]
            return check

        # independent checks of tables read once, shared with the other core as in `run`
        # (`Plan.verify`): the rules linking the years first, the longest
        linking, *each_year = run_shared([lambda: check_years(ds, scenario, tables),
                                          *(one_year(y) for y in per_year)])
        out += linking + files + [v for found in each_year for v in found]
    out += folder.workbook_differs(plan_dir, tables, summary.get("formats", ("csv", "xlsx")))
    return out
