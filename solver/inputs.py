"""A plan's inputs: recorded in summary.json, copied into the plan folder, found again.

A plan folder is taken to a committee, mailed, archived: its inputs (the data folder or
workbook and the scenario files) may not stay where they were. summary.json's `inputs`
records them both absolutely and relative to the plan folder, with the sha256 of every file
read; `bianzhi run --bundle` also copies them into the plan folder under `inputs/`, byte for
byte, in their relative layout (a scenario's `data:` and `extends:` then still point at the
copies). A command that re-opens a plan (`verify`, `report`) looks for each input in this
order: `--data PATH`, the relative path, the absolute one; the first that exists is used and
checked against the recorded checksums.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from solver.errors import BianzhiError

BUNDLE = "inputs"  # the folder of a plan folder that holds its inputs (`run --bundle`)
SCENARIO_SUFFIXES = (".yaml", ".yml")
FIX = ("give the inputs the plan was made from with --data PATH, or re-run the plan on these "
       "inputs (bianzhi run … --out …)")


class InputsNotFound(BianzhiError):
    """None of the places summary.json records for an input exists (exit 2)."""


class InputsDiffer(BianzhiError):
    """The inputs given with --data are not those the plan was made from (exit 2)."""


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def short(digest: str | None) -> str:
    """The first 12 hex digits: enough to tell two checksums apart in a message."""
    return digest[:12] if digest else "(none)"


# ---------------------------------------------------------------- recording


def _relative(path: Path, folder: Path) -> str:
    """`path` relative to the plan folder (both absolute), as summary.json records it."""
    return Path(os.path.relpath(path, folder)).as_posix()


def bundle_layout(data: Path, scenario_files: list[Path]) -> dict[Path, Path]:
    """Where each input goes under inputs/: their layout relative to the folder that holds
    them all, so that the scenario's relative `data:` and `extends:` reach the copies."""
    everything = [data, *scenario_files]
    root = Path(os.path.commonpath([p.parent for p in everything]))
    return {p: Path(BUNDLE) / p.relative_to(root) for p in everything}


def record_inputs(data: Path, files: dict[str, str], scenario_files: list[str],
                  folder: Path, bundled: bool) -> dict:
    """summary.json's new `inputs` keys for a plan folder to be put at `folder` (absolute):
    the data's path relative to it, each data file's sha256, the scenario files (absolute,
    relative, sha256, farthest first as resolved) and whether they are bundled."""
    sources = [Path(f) for f in scenario_files]
    layout = bundle_layout(data, sources) if bundled else {}

    def relative(path: Path) -> str:
        return layout[path].as_posix() if bundled else _relative(path, folder)

    return {
        "relative_path": relative(data),
        "files": dict(sorted(files.items())),
        "scenario_files": [{"path": str(p), "relative_path": relative(p),
                            "sha256": file_sha256(p)} for p in sources],
        "bundled": bundled,
    }


def copy_inputs(record: dict, data: Path, tmp: Path) -> None:
    """Copy the recorded inputs into the (temporary) plan folder `tmp` as the record says,
    each copy checked against the checksum recorded when it was read."""
    copies = [(data / name if data.is_dir() else data,
               tmp / record["relative_path"] / name if data.is_dir() else
               tmp / record["relative_path"], sha)
              for name, sha in record["files"].items()]
    copies += [(Path(s["path"]), tmp / s["relative_path"], s["sha256"])
               for s in record["scenario_files"]]
    for source, target, sha in copies:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        if file_sha256(target) != sha:
            raise BianzhiError(f"{source}: changed while the plan was made (sha256 "
                               f"{short(file_sha256(target))} now, {short(sha)} when read); "
                               "run the plan again")


# ---------------------------------------------------------------- finding them again


@dataclass
class Located:
    """Where a plan's inputs are now.

    `scenario` is the scenario file to resolve again (None for a plan made from a bare data
    path); `data` the data folder or workbook (None: the one the scenario file names, when
    --data gave a scenario file); `given` what came through --data ("data", "scenario" or
    ""): a checksum mismatch there is bad input, exit 2."""

    scenario: Path | None
    data: Path | None
    given: str = ""


def scenario_records(summary: dict) -> list[dict]:
    """The scenario files that made the plan (farthest first): path, relative_path, sha256.

    Plans written before the relative paths were recorded have only the absolute paths and
    checksums of scenario.resolution."""
    recorded = summary.get("inputs", {}).get("scenario_files")
    if isinstance(recorded, list) and all(isinstance(r, dict) for r in recorded):
        return recorded
    res = summary["scenario"].get("resolution") or {}
    sums = res.get("checksums") or {}
    return [{"path": str(f), "sha256": sums.get(str(f))} for f in res.get("files") or []]


def _places(record: dict, plan_dir: Path) -> list[Path]:
    """The places to look, in order: relative to the plan folder, then absolute."""
    out = []
    if isinstance(record.get("relative_path"), str):
        out.append(plan_dir / record["relative_path"])
    if isinstance(record.get("path"), str) and record["path"]:
        out.append(Path(record["path"]))
    return out


def _first(places: list[Path]) -> Path | None:
    return next((p for p in places if p.exists()), None)


def locate(summary: dict, plan_dir: Path, data: Path | None = None,
           need_scenario: bool = True) -> Located:
    """Where the plan's inputs are now: `data` (--data) if given, else each at the first of
    its relative and absolute paths that exists; InputsNotFound naming every path tried.

    `data` may be a data folder or workbook (the scenario file is then found as recorded) or
    a scenario file (its `data:` names the data). `need_scenario`: False when only the data
    is read (the report draws on the scenario recorded in summary.json)."""
    plan_dir = Path(plan_dir)
    records = scenario_records(summary)
    if data is not None:
        if not data.exists():
            raise InputsNotFound(f"--data {data}: does not exist; give the data folder or "
                                 "workbook the plan was made from"
                                 + (", or its scenario file" if records else ""))
        if data.suffix.lower() in SCENARIO_SUFFIXES:
            if not records:
                raise InputsNotFound(
                    f"--data {data}: {plan_dir} was made from a data path, not a scenario "
                    "file; give the data folder or workbook")
            return Located(scenario=data.resolve(), data=None, given="scenario")
    missing: list[tuple[str, list[Path]]] = []
    scenario = None
    if records and need_scenario:
        places = _places(records[-1], plan_dir)
        scenario = _first(places)
        if scenario is None:
            missing.append(("the scenario file", places))
    if data is None:
        inputs = summary["inputs"]
        places = _places({"relative_path": inputs.get("relative_path"),
                          "path": inputs.get("path")}, plan_dir)
        found = _first(places)
        if found is None:
            missing.append(("the data", places))
    else:
        found = data
    if missing:
        tried = "; ".join(f"{what}: {', '.join(os.path.normpath(p) for p in places)}"
                          for what, places in missing)
        fix = ("give the scenario file as --data instead (its data: names the data)"
               if data is not None else "give their new place with --data PATH (the data "
               "folder or workbook, or the scenario file)")
        raise InputsNotFound(
            f"{plan_dir}: the plan's inputs cannot be found (tried the paths recorded in "
            f"{plan_dir / 'summary.json'}: {tried}); {fix}, or re-run the plan with --bundle "
            "to keep a copy of its inputs in the plan folder")
    return Located(scenario=scenario.resolve() if scenario is not None else None,
                   data=found.resolve(), given="data" if data is not None else "")


def data_difference(summary: dict, ds) -> str:
    """'' when the data read (with the scenario's data_edits) is the plan's; else which file
    differs, with both checksums (the first 12 hex digits)."""
    inputs = summary["inputs"]
    if ds.checksum == inputs["checksum"]:
        return ""
    recorded = inputs.get("files") if isinstance(inputs.get("files"), dict) else {}
    path = Path(ds.path)
    renamed = [name for name, sha in recorded.items() if sha in ds.files.values()
               and name not in ds.files]
    if path.is_file() and len(recorded) == 1 and renamed:
        return (f"{path}: the same bytes as {renamed[0]}, the workbook the plan was made "
                f"from, under another name (its name counts in the inputs' checksum "
                f"{short(inputs['checksum'])}); give the workbook its name {renamed[0]} again")
    for name in sorted(set(recorded) | set(ds.files)):
        mine, theirs = ds.files.get(name), recorded.get(name)
        if mine != theirs:
            where = path / name if path.is_dir() else path
            return (f"{where}: differs from the file the plan was made from (sha256 "
                    f"{short(mine) if mine else '(absent)'} now, "
                    f"{short(theirs) if theirs else '(absent)'} in summary.json)")
    return (f"{path}: the inputs as read and edited by the scenario's data_edits differ from "
            f"the plan's (checksum {short(ds.checksum)} now, {short(inputs['checksum'])} in "
            "summary.json)")


def scenario_differences(records: list[dict], sources: list[str]) -> list[tuple[str, str]]:
    """(message, file) for each scenario file that differs from the one the plan was made
    from, position by position in the resolution order (the files may have moved)."""
    out = []
    if len(sources) != len(records):
        out.append((f"the scenario now resolves through {len(sources)} file(s) "
                    f"({', '.join(sources)}), the plan through {len(records)} "
                    f"({', '.join(str(r.get('path')) for r in records)})",
                    sources[-1] if sources else ""))
    for source, record in zip(sources, records):
        sha = record.get("sha256")
        if not isinstance(sha, str):
            out.append(("no checksum of this scenario file is recorded in summary.json "
                        "(written by an older bianzhi: re-run the plan)", source))
        elif file_sha256(source) != sha:
            out.append((f"the scenario file differs from the one the plan was made from "
                        f"(sha256 {short(file_sha256(source))} now, {short(sha)} in "
                        "summary.json)", source))
    return out
