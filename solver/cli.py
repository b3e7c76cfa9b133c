"""The `bianzhi` command: turns errors into one message and an exit code.

Exit codes: 0 success; 1 internal error (a bug: run with --debug for the traceback);
2 bad input (data, scenario or option); 3 a plan that breaks a rule (verify) or cannot be
made (hard key demands impossible).
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table as RichTable

from solver.errors import BianzhiError, Problem

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Staffing-quota (编制) planning: stock-take, reallocation plans, what-if scenarios.",
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

MAX_WARNINGS_SHOWN = 15


def print_warnings(warnings: list[Problem]) -> None:
    """Warnings go to stderr so that --json output stays clean."""
    if not warnings:
        return
    err.print(f"[yellow]{len(warnings)} warning{'s' if len(warnings) > 1 else ''}:[/yellow]")
    for w in warnings[:MAX_WARNINGS_SHOWN]:
        err.print(f"  - {w}", markup=False)
    if len(warnings) > MAX_WARNINGS_SHOWN:
        err.print(f"  … and {len(warnings) - MAX_WARNINGS_SHOWN} more")


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def render_inventory(inv: dict) -> None:
    """The stock-take as readable tables."""
    table = RichTable(title="Quotas 编制", title_justify="left")
    for col in ("quota type", "units", "approved", "staff", "pool", "vacancy", "rate",
                "over-quota staff"):
        table.add_column(col, justify="left" if col == "quota type" else "right")
    for qt, row in inv["quota_types"].items():
        table.add_row(qt, str(row["units"]), str(row["approved"]), str(row["staff"]),
                      str(row["pool"]), str(row["vacancy"]), _pct(row["vacancy_rate"]),
                      str(row["over_quota_staff"]))
    out.print(table)
    u = inv["units"]
    out.print(
        f"Units: {u['count']} — over quota {u['over_quota']}, full {u['full']}, "
        f"with vacancies {u['with_vacancy']}, lapsed {u['lapsed']}"
    )
    out.print(
        f"Institutions: {u['institutions']} — approved ≤ 5: {u['small_le5']}, "
        f"≤ 7: {u['small_le7']} (小散弱 candidates)"
    )
    if u["small_clusters"]:
        top = ", ".join(f"{c['name'] or c['parent_id']} {c['small_le5']}"
                        for c in u["small_clusters"][:5])
        out.print(f"  departments with most small institutions (≤ 5): {top}")
    if u["leader_heavy"]:
        out.print(f"Leader posts above 50% of quota (官多兵少): {len(u['leader_heavy'])} units")
    aux = inv["aux"]
    if aux["present"]:
        out.print(
            f"Off-quota staff 编外: {aux['headcount']} people in {aux['departments']} departments; "
            f"approved headcount {aux['approved']}, never approved {aux['headcount_never_approved']}"
        )
        shares = ", ".join(f"{k} {v}%" for k, v in list(aux["share_by_system"].items())[:8])
        out.print(f"  by system: {shares}")
    people = inv["people"]
    if people["present"]:
        out.print(f"Surplus people 富余人员: {people['count']}")
        for level, stats in people["by_cadre_level"].items():
            if level == "all":
                continue
            bands = ", ".join(f"{k}: {v}" for k, v in stats["age_band"].items())
            out.print(f"  {level}: {stats['count']} — ages {bands}; "
                      f"gender {stats['gender']}; health {stats['health']}", markup=False)
        if people["follow_up_notice"]:
            out.print(f"  formal notice (告知书) follow-up: {len(people['follow_up_notice'])} "
                      "people absent without reason or missing")
    d = inv["demands"]
    out.print(f"Demands: {d['count']} requests for {d['amount']} quotas — "
              + ", ".join(f"{k} {v}" for k, v in d["by_tier"].items()))


@app.command()
def inventory(
    path: Annotated[Path, typer.Argument(help="A folder of CSV files, an .xlsx workbook or a scenario .yaml")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")] = False,
    region: Annotated[Optional[str], typer.Option(help="Only units of this region")] = None,
    level: Annotated[Optional[str], typer.Option(help="Only units of this level (city, county, township)")] = None,
) -> None:
    """Take stock of quotas, off-quota staff and surplus people (the three clean-ups)."""
    from solver.inventory import filter_dataset
    from solver.inventory import inventory as take_stock

    ds = load_data(path)
    print_warnings(ds.warnings)
    inv = take_stock(filter_dataset(ds, region=region, level=level))
    if as_json:
        inv["path"] = str(path)
        sys.stdout.write(json.dumps(inv, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    else:
        render_inventory(inv)


def load_data(path: Path):
    """Inputs from a data path, or from the `data:` of a scenario file."""
    from solver.validate import load

    if path.suffix.lower() in (".yaml", ".yml"):
        from solver.scenario import load_scenario

        scenario = load_scenario(path)
        return load(scenario.data_path)
    return load(path)


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the CSV tables into")],
    profile: Annotated[str, typer.Option(help="Calibration profile")] = "bazhong-2021",
    scale: Annotated[str, typer.Option(help="city, province, or a number of units")] = "city",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files)")] = 2021,
    xlsx: Annotated[Optional[Path], typer.Option(help="Also write a Chinese .xlsx workbook here")] = None,
) -> None:
    """Generate a seeded synthetic data set in the DATA.md format."""
    from solver.generate import generate as make
    from solver.io.write import write_csv_folder, write_workbook

    scale_value: str | int = scale
    if scale not in ("city", "province"):
        try:
            scale_value = int(scale)
        except ValueError:
            raise typer.BadParameter(
                f"{scale!r}: expected city, province or a whole number of units",
                param_hint="--scale") from None
    tables = make(profile=profile, scale=scale_value, seed=seed)
    write_csv_folder(tables, out_dir)
    if xlsx is not None:
        write_workbook(tables, xlsx, lang="zh")
    err.print(f"wrote {len(tables['units'])} units, {len(tables['demands'])} demands to {out_dir}")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command; bad input gives a message and exit code 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    try:
        app(args=args, prog_name="bianzhi", standalone_mode=True)
    except BianzhiError as exc:
        if debug:
            traceback.print_exc()
        err.print(str(exc), markup=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug, not a user error: say so, traceback on request
        if debug:
            raise
        err.print(
            f"internal error: {exc.__class__.__name__}: {exc}\n"
            "run again with --debug for the traceback, and please report it",
            markup=False,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
