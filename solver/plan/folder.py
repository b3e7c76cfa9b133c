"""Writing a plan folder: CSV tables, plan.xlsx and summary.json, atomically."""

from __future__ import annotations

import posixpath
from collections.abc import Collection
from pathlib import Path

from solver.io.csvtext import write_csv
from solver.plan.summary import build_summary, summary_json
from solver.plan.tables import Plan

FORMATS: tuple[str, ...] = ("csv", "xlsx")


def check_formats(formats: Collection[str]) -> tuple[str, ...]:
    """The formats a plan folder is written in, in FORMATS order; a ValueError for an unknown
    one or for a folder without its CSV tables (verify, compare and report read them)."""
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown format {', '.join(map(repr, unknown))}: expected csv and/or "
                         "xlsx")
    if "csv" not in formats:
        raise ValueError("the formats must include csv: the CSV tables are the plan that "
                         "`bianzhi verify`, `compare` and `report` read (plan.xlsx is optional)")
    return tuple(f for f in FORMATS if f in formats)


def _write_tables(plan: Plan, folder: Path, lang: str = "zh",
                  summary: dict | None = None, inputs: dict | None = None,
                  formats: Collection[str] = FORMATS) -> None:
    import time

    from solver.names import Names

    started = time.perf_counter()
    tables = plan.tables()
    for name, frame in tables.items():
        write_csv(frame, folder / f"{name}.csv")
    # every warning about the inputs, where it was found (the terminal shows a few)
    write_csv(warnings_frame(plan.dataset.warnings), folder / "warnings.csv")
    # a multi-year plan: each year's one-year tables, what `bianzhi verify` checks year by year
    for year, year_tables in plan.year_tables():
        (folder / "years" / str(year)).mkdir(parents=True)
        for name, frame in year_tables.items():
            write_csv(frame, folder / "years" / str(year) / f"{name}.csv")
    # the data's names for its codes (the CSVs keep codes; compare and the report read them)
    names = Names.from_dataset(plan.dataset)
    write_csv(names.frame(), folder / "names.csv")
    summary = build_summary(plan) if summary is None else summary
    # where the inputs are, relative to the plan folder too (`solver.inputs`)
    summary["inputs"].update(inputs or {})
    # what verify expects in the folder: plan.xlsx only where it was written (a sweep's points
    # skip it unless asked: writing it was half a point's time)
    summary["formats"] = list(formats)
    if "xlsx" in formats:
        from solver.domain import PLAN_TABLES
        from solver.io.write import write_workbook
        from solver.plan.about import about_sheet
        from solver.plan.readable import readable_tables
        from solver.text import language

        # the plan as a workbook for the committee (Chinese sheets and headers by default),
        # opening on a sheet that says what the plan is and what each sheet holds, with a
        # name beside each unit code and why an unmet demand is short, in words
        about, frame = about_sheet(summary, tables, lang)
        with language(lang):
            readable = readable_tables(tables, names)
        write_workbook({about: frame, **readable}, folder / "plan.xlsx", lang=lang,
                       specs=PLAN_TABLES)
    # the tables, the year folders and plan.xlsx (summary.json itself is what is left)
    summary.setdefault("timings", {})["write"] = round(time.perf_counter() - started, 4)
    (folder / "summary.json").write_text(summary_json(summary), encoding="utf-8")


def warnings_frame(warnings) -> "pd.DataFrame":
    """warnings.csv: one row per warning about the inputs — file, sheet, row, column, message."""
    import pandas as pd

    return pd.DataFrame([{"file": w.file, "sheet": w.sheet,
                          "row": "" if w.row is None else w.row, "column": w.column,
                          "message": w.message} for w in warnings],
                        columns=["file", "sheet", "row", "column", "message"])


def plan_inputs(plan: Plan) -> list[Path]:
    """The files a plan was made from: an output folder may not replace them."""
    return [plan.scenario.data_path, *(Path(f) for f in plan.scenario.sources)]


def write_plan(plan: Plan, out_dir: str | Path, extra_files: dict[str, str] | None = None,
               alternatives: list[Plan] | None = None, lang: str = "zh",
               summary: dict | None = None, bundle: bool = False,
               formats: Collection[str] = FORMATS) -> Path:
    """Write the plan folder: into a new folder or over an earlier plan folder, atomically.

    `formats`: csv (always: the tables verify reads) and xlsx (plan.xlsx, for its own folder
    and alt-N/), recorded in summary.json. Near-optimal alternatives go inside it as alt-1/,
    alt-2/, … (plan folders themselves). Anything else at `out_dir` is refused
    (`solver.io.outdir`). `bundle`: the inputs are copied into the folder under inputs/
    (before the commit), and recorded there, so that the folder verifies and reports wherever
    it is moved.
    """
    from solver.inputs import copy_inputs, record_inputs
    from solver.io.outdir import claim_output, write_marker

    formats = check_formats(formats)
    with claim_output(Path(out_dir), "plan", plan_inputs(plan)) as folder:
        data = Path(plan.dataset.path)
        record = record_inputs(data, plan.dataset.files, plan.scenario.sources,
                               folder.target.resolve(), bundle)
        if bundle:
            copy_inputs(record, data, folder.tmp)
        _write_tables(plan, folder.tmp, lang, summary, record, formats)
        for name, text in (extra_files or {}).items():
            (folder.tmp / name).write_text(text, encoding="utf-8")
        for k, alt in enumerate(alternatives or [], start=1):
            (folder.tmp / f"alt-{k}").mkdir()
            # an alternative's inputs are its plan's: the same places, one folder further in
            _write_tables(alt, folder.tmp / f"alt-{k}", lang, inputs=one_level_in(record),
                          formats=formats)
            write_marker(folder.tmp / f"alt-{k}", "plan")
        return folder.commit()


def one_level_in(record: dict) -> dict:
    """The inputs record of a plan folder inside this one (alt-k/): relative paths from there."""
    def inward(rel: str) -> str:
        return posixpath.normpath(posixpath.join("..", rel))

    return {**record, "relative_path": inward(record["relative_path"]),
            "scenario_files": [{**s, "relative_path": inward(s["relative_path"])}
                               for s in record["scenario_files"]]}
