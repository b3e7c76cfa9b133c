"""A written plan folder checked against its inputs and the scenario files that made it.

The folder's own record is not trusted: the scenario is re-resolved from the recorded
scenario files (their sha256 recorded at write time), with the recorded applied overrides,
sweep point and `--set`s; a summary whose scenario differs from what its files resolve to is
a violation, and the rules are checked under the files' scenario. A plan made from a bare data
path is checked under the defaults plus its recorded `--set`s. The scenario files and the data
are found as `solver.inputs.locate` says (--data, then relative to the plan folder, then the
absolute paths) and compared with the recorded sha256 position by position in the resolution,
wherever they now are. plan.xlsx must agree with the CSV files, and be there unless
summary.json's formats leave it out (`run --no-xlsx`, a sweep's points unless `--xlsx`). A
plan file that cannot be read (summary.json truncated or not an object, a CSV missing or
garbled, a cell that is not a whole number) is the violation `malformed_file`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from solver.errors import BianzhiError
from solver.inputs import FIX, InputsDiffer, Located, data_difference, file_sha256, locate, \
    scenario_differences, scenario_records
from solver.scenario import Scenario, build_scenario, load_scenario, scenario_for_data
from solver.validate import Dataset
from solver.verify.core import LINE, MalformedTable, Violation, capped, normalise_table, rule, \
    year_text

PLAN_FILES = ("moves", "units", "pool", "demands", "assignments", "aux_plan", "mergers",
              "ledger", "years", "pool_years", "demand_years", "retirements", "use_plan",
              "planned", "aux_years")
# each year of a multi-year plan: years/<year>/<name>.csv
YEAR_FILES = ("moves", "units", "pool", "demands", "ledger", "flows")
REQUIRED_PLAN_FILES = ("moves", "units", "pool", "demands")
# scenario keys the command line may change without a scenario file (--solver, --time-limit);
# and where the data is: found as summary.json's inputs say, checked by checksum (it moves)
NOT_COMPARED = ("solver", "resolution", "data")


class MalformedPlan(BianzhiError):
    """A plan folder whose files cannot be read as a plan, naming the file.

    Bad input (exit 2) where a command reads plans (compare, report); `bianzhi verify` turns
    it into the violation `malformed_file` (exit 3).
    """


def scenario_checksums(files: list[str]) -> dict[str, str]:
    """sha256 of each scenario file that made a plan, by its recorded path."""
    return {f: file_sha256(f) for f in files if Path(f).is_file()}


# ---------------------------------------------------------------- reading


def read_summary(plan_dir: Path) -> dict:
    """summary.json as an object with a scenario and the inputs' checksum, or MalformedPlan."""
    path = plan_dir / "summary.json"
    if not path.is_file():
        raise MalformedPlan(f"{path}: no summary.json; is this a plan folder written by "
                            "bianzhi run?")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise MalformedPlan(f"{path}: not valid JSON ({why})") from None
    if not isinstance(summary, dict):
        raise MalformedPlan(f"{path}: not a JSON object (found {type(summary).__name__})")
    scenario, inputs = summary.get("scenario"), summary.get("inputs")
    if not isinstance(scenario, dict) or not isinstance(inputs, dict) or not isinstance(
            inputs.get("checksum"), str):
        raise MalformedPlan(f"{path}: lacks the scenario or the inputs' checksum")
    resolution = scenario.get("resolution", {})
    if not isinstance(resolution, dict) or not all(
            isinstance(resolution.get(k, []), list) for k in ("files", "sets",
                                                               "applied_overrides")) or not all(
            isinstance(resolution.get(k, {}), dict) for k in ("point", "checksums")):
        raise MalformedPlan(f"{path}: scenario.resolution is not as bianzhi writes it")
    return summary


def read_table(path: Path) -> pd.DataFrame:
    """One plan CSV as text cells, or MalformedPlan naming the file."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8",
                            on_bad_lines="error", engine="c")
    except pd.errors.EmptyDataError:
        raise MalformedPlan(f"{path}: empty (not even a header row)") from None
    except (UnicodeDecodeError, ValueError, pd.errors.ParserError, OSError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise MalformedPlan(f"{path}: cannot be read as a CSV table ({text})") from None
    return frame


def read_plan_folder(plan_dir: str | Path) -> tuple[dict, dict[str, pd.DataFrame]]:
    """A written plan folder: its summary.json and its tables as text (MalformedPlan if not)."""
    plan_dir = Path(plan_dir)
    summary = read_summary(plan_dir)
    tables = {}
    for name in PLAN_FILES:
        path = plan_dir / f"{name}.csv"
        if path.exists():
            tables[name] = read_table(path)
        elif name in REQUIRED_PLAN_FILES:
            raise MalformedPlan(f"{path}: missing (every plan has {name}.csv)")
    return summary, tables


def normalised_plan_tables(plan_dir: Path, tables: dict[str, pd.DataFrame]
                           ) -> dict[str, pd.DataFrame]:
    out = {}
    for name, frame in tables.items():
        try:
            out[name] = normalise_table(name, frame)
        except MalformedTable as exc:
            raise MalformedPlan(f"{plan_dir}/{exc}") from None
    return out


# ---------------------------------------------------------------- the scenario


def _differences(mine: Any, theirs: Any, prefix: str = "") -> list[str]:
    """Dotted key paths where two plain-data trees differ."""
    if isinstance(mine, dict) and isinstance(theirs, dict):
        out = []
        for key in sorted(set(mine) | set(theirs), key=str):
            if prefix == "" and key in NOT_COMPARED:
                continue
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in mine or key not in theirs:
                out.append(path)
            else:
                out += _differences(mine[key], theirs[key], path)
        return out
    return [] if mine == theirs else [prefix or "(the whole scenario)"]


def _value(tree: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(tree, dict) or key not in tree:
            return "(absent)"
        tree = tree[key]
    return tree


def _fallback(recorded: dict, plan_dir: Path) -> Scenario:
    """The summary's own scenario, only to go on checking when the files cannot be read."""
    try:
        return build_scenario(recorded, Path("."), f"{plan_dir}/summary.json")
    except BianzhiError as exc:
        raise MalformedPlan(f"{plan_dir}/summary.json: the recorded scenario is not valid: "
                            f"{exc}") from None


def reference_scenario(summary: dict, plan_dir: Path, data: Path | None = None
                       ) -> tuple[Scenario, list[Violation], Located]:
    """The scenario re-resolved from the recorded files (or the data path's defaults) and
    the violations found on the way: changed files, a differing summary; and where the inputs
    were found (`solver.inputs.locate`: --data, the relative path, the absolute one).

    Inputs that cannot be found are InputsNotFound; scenario files given with --data that
    are not the plan's are InputsDiffer (both exit 2)."""
    recorded = summary["scenario"]
    res = recorded.get("resolution") or {}
    files = [str(f) for f in res.get("files") or []]
    sets = [str(s) for s in res.get("sets") or []]
    applied = [str(a) for a in res.get("applied_overrides") or []]
    point = [(str(k).split("."), v) for k, v in (res.get("point") or {}).items()]
    located = locate(summary, plan_dir, data)
    found: list[tuple[str, str]] = []
    if files:
        top = str(located.scenario)
        try:
            scenario = load_scenario(top, sets, [], point)
            own = scenario.applied_overrides
            extra = applied[len(own):] if applied[:len(own)] == own else applied
            if extra:
                scenario = load_scenario(top, sets, extra, point)
        except BianzhiError as exc:
            found += scenario_differences(scenario_records(summary)[-1:], [top])
            found.append((f"the scenario files cannot be resolved again: "
                          f"{str(exc).splitlines()[0]}", top))
            return _fallback(recorded, plan_dir), capped("scenario_file_changed", found), \
                located
        found += scenario_differences(scenario_records(summary), scenario.sources)
        if found and located.given == "scenario":
            message, where = found[0]
            raise InputsDiffer(f"--data {data}: {where}: {message}; {FIX}")
        if scenario.applied_overrides != applied:
            found.append((f"the overrides applied now are {scenario.applied_overrides}, the "
                          f"plan's were {applied}", top))
        if located.data is not None:
            scenario.data = str(located.data)
    else:
        try:
            scenario = scenario_for_data(str(located.data), sets)
        except BianzhiError as exc:
            raise MalformedPlan(f"{plan_dir}/summary.json: the recorded --set options do not "
                                f"make a scenario: {exc}") from None
    out = capped("scenario_file_changed", found)
    mine = json.loads(json.dumps(scenario.resolved(), ensure_ascii=False))
    diffs = _differences(mine, recorded)
    source = files[-1] if files else "the defaults for a data path"
    out += capped("scenario_differs", [
        (f"summary.json records {d} = {_value(recorded, d)!r} but {source} (with the recorded "
         f"overrides and --set options) resolves to {_value(mine, d)!r}",
         f"{plan_dir}/summary.json") for d in diffs])
    return scenario, out, located


# ---------------------------------------------------------------- the folder rules


@rule("malformed_file", "every plan file is present and readable: summary.json an object "
      "with the scenario and inputs, each CSV a table with its columns and whole-number "
      "counts", "folder")
def malformed_file(error: MalformedPlan) -> list[Violation]:
    text = str(error)
    where, _, message = text.partition(": ")
    return [Violation("malformed_file", message or text, where if message else "")]


@rule("inputs_changed", "the inputs are those the plan was made from (same checksum)",
      "folder")
def inputs_changed(summary: dict, ds: Dataset) -> list[Violation]:
    difference = data_difference(summary, ds)
    if not difference:
        return []
    where, _, message = difference.partition(": ")
    return [Violation("inputs_changed", f"the inputs changed since the plan was made: "
                      f"{message}; re-run the plan", where)]


@rule("scenario_file_changed", "the scenario files that made the plan are there, unchanged "
      "(sha256 recorded in summary.json), and resolve as they did", "folder")
def scenario_file_changed(found: list[Violation]) -> list[Violation]:
    return [v for v in found if v.rule_id == "scenario_file_changed"]


@rule("scenario_differs", "summary.json records the scenario its files (and recorded "
      "overrides, sweep point and --set options) resolve to", "folder")
def scenario_differs(found: list[Violation]) -> list[Violation]:
    return [v for v in found if v.rule_id == "scenario_differs"]


def _same_cells(a: pd.Series, b: pd.Series):
    """Cell by cell: the same text, or the same number (5.5 and 5.50, 3 and 3.0)."""
    a, b = year_text(a).to_numpy(), year_text(b.reset_index(drop=True)).to_numpy()
    na = pd.to_numeric(pd.Series(a), errors="coerce").to_numpy()
    nb = pd.to_numeric(pd.Series(b), errors="coerce").to_numpy()
    return (a == b) | (na == nb), a, b


def read_workbook(path: Path) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """plan.xlsx sheet by sheet, typed as `solver.validate.load_plan_workbook` types them.

    Unlike load_plan_workbook, a sheet with a header and no rows is an empty table (a plan
    may have no moves), and the problems of one sheet do not hide the others.
    """
    from solver.domain import PLAN_TABLES
    from solver.io.read import ROW, grid_to_table, normalise, xlsx_grids
    from solver.validate import check_table

    aliases = {normalise(a): name for name, t in PLAN_TABLES.items()
               for a in (t.name, t.zh, *t.aliases)}
    out: dict[str, pd.DataFrame] = {}
    problems: list[str] = []
    for sheet, (rows, numbers) in xlsx_grids(path).items():
        name = aliases.get(normalise(sheet))
        if name is None:
            continue
        spec = PLAN_TABLES[name]
        header = {normalise(c.zh) for c in spec.columns} | {c.name for c in spec.columns}
        data = [r for r in rows if any(str(c).strip() for c in r)]
        # a header and no rows (no moves, no mergers) is an empty table; the header may hold
        # extra columns beyond the spec's (mergers' role, keeper_id)
        if len(data) == 1 and {normalise(c) for c in data[0] if str(c).strip()} & header:
            out[name] = pd.DataFrame(columns=[c.name for c in spec.columns])
            continue
        raw, found = grid_to_table(rows, numbers, spec, path.name, sheet)
        typed = None
        if raw is not None:
            typed, more = check_table(raw, spec)
            found = [*found, *more]
        errors = [str(p) for p in found if p.severity == "error"]
        if errors:
            problems += errors
        elif typed is not None:
            out[name] = typed.drop(columns=[ROW])
    return out, problems


@rule("workbook_differs", "plan.xlsx holds the same tables, rows and cells as the CSV files",
      "folder")
def workbook_differs(plan_dir: Path, tables: dict[str, pd.DataFrame],
                     formats: object = ("csv", "xlsx")) -> list[Violation]:
    """`formats`: summary.json's (a plan written with `--formats csv` has no plan.xlsx; one
    written before formats were recorded always has)."""
    from solver.domain import PLAN_TABLES

    path = plan_dir / "plan.xlsx"
    if not os.path.lexists(path):
        if isinstance(formats, list | tuple) and "xlsx" not in formats:
            return []  # written without the workbook (a sweep's point, --formats csv)
        return [Violation("workbook_differs", "plan.xlsx is missing", str(path))]
    if not path.is_file():
        return [Violation("workbook_differs", "plan.xlsx is not a file", str(path))]
    try:
        book, problems = read_workbook(path)
    except BianzhiError as exc:
        return [Violation("workbook_differs", f"cannot be read: {str(exc).splitlines()[0]}",
                          str(path))]
    except Exception as exc:  # a corrupt zip or sheet: the workbook is not the plan's
        return [Violation("workbook_differs", f"cannot be read: {exc.__class__.__name__}: "
                          f"{exc}", str(path))]
    items = [(f"cannot be read: {p}", str(path)) for p in problems]
    for name, frame in tables.items():
        if name not in PLAN_TABLES:
            continue
        sheet = book.get(name)
        if sheet is None:
            if not any(f"[{PLAN_TABLES[name].zh}]" in p or f"[{name}]" in p for p in problems):
                items.append((f"no sheet for {name}.csv", str(path)))
            continue
        if len(sheet) != len(frame):
            items.append((f"the {name} sheet has {len(sheet)} rows, {name}.csv {len(frame)}",
                          str(path)))
            continue
        for col in PLAN_TABLES[name].columns:
            if col.name not in frame or col.name not in sheet or frame.empty:
                continue
            same, a, b = _same_cells(frame[col.name], sheet[col.name])
            diff = (~same).nonzero()[0]
            if len(diff):
                i = diff[0]
                items.append((f"the {name} sheet differs from {name}.csv in column "
                              f"{col.name}, first at row {int(frame[LINE].iat[i])} "
                              f"({b[i]!r} vs {a[i]!r})", str(path)))
    return capped("workbook_differs", items)


def read_year_folders(plan_dir: Path, years: list[int]) -> dict[int, dict[str, pd.DataFrame]]:
    """years/<year>/*.csv of a multi-year plan, normalised (MalformedPlan if one is missing)."""
    out = {}
    for year in years:
        folder = plan_dir / "years" / str(year)
        tables = {}
        for name in YEAR_FILES:
            path = folder / f"{name}.csv"
            if not path.exists():
                raise MalformedPlan(f"{path}: missing (each year of a multi-year plan has "
                                    f"{name}.csv)")
            tables[name] = read_table(path)
        if (folder / "aux_plan.csv").exists():  # the year's off-quota cut, when it has one
            tables["aux_plan"] = read_table(folder / "aux_plan.csv")
        out[year] = normalised_plan_tables(folder, tables)
    return out
