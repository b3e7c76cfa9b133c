"""The comparison folder of `bianzhi compare --out`: compare.json, CSVs and compare.html.

Written here, in the report layer, so that `solver.compare` (which computes the comparison)
never imports the HTML writer that reads it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from solver.compare import by_year_text, years_frame


def write_comparison(result: dict, out_dir: str | Path, lang: str = "zh",
                     inputs: list[str | Path] | None = None) -> Path:
    """compare.json, flat CSVs for spreadsheets and compare.html: a new folder or over an
    earlier comparison, atomically (never over one of the plans compared)."""
    from solver.io.outdir import claim_output
    from solver.plan import summary_json
    from solver.report.html import render_compare

    with claim_output(Path(out_dir), "compare", [Path(p) for p in inputs or []]) as folder:
        tmp = folder.tmp
        (tmp / "compare.json").write_text(summary_json(result), encoding="utf-8")
        pd.DataFrame(result["kpis"]).to_csv(tmp / "kpis.csv", index=False, lineterminator="\n")
        pd.DataFrame(result["moves_only_in"]).to_csv(tmp / "moves_only_in.csv", index=False,
                                                     lineterminator="\n")
        rows = [{"demand_id": c["demand_id"], "plan": c["plan"], "unit_id": c["unit_id"],
                 "tier": c["tier"], **{f"amount:{k}": v for k, v in c["amount"].items()},
                 **{f"met:{k}": v for k, v in c["met"].items()},
                 **{f"reason:{k}": v for k, v in c["reason"].items()}}
                for c in result["changed_demands"]]
        frame = pd.DataFrame(rows)
        for col in frame.columns:  # a plan's columns are empty on the rows of the others
            if col.startswith(("amount:", "met:")):
                frame[col] = frame[col].astype("Int64")
        frame.to_csv(tmp / "changed_demands.csv", index=False, lineterminator="\n")
        unit_changes_frame(result).to_csv(tmp / "unit_changes.csv", index=False,
                                          lineterminator="\n")
        if "years" in result:  # multi-year plans: per year and plan, and the met years
            years_frame(result).to_csv(tmp / "years.csv", index=False, lineterminator="\n")
            met_years_frame(result).to_csv(tmp / "met_years.csv", index=False,
                                           lineterminator="\n")
        (tmp / "compare.html").write_text(render_compare(result, lang), encoding="utf-8")
        return folder.commit()


def unit_changes_frame(result: dict) -> pd.DataFrame:
    """unit_changes.csv: one row per unit and quota type whose approved quota after the plan
    differs between the plans; one approved_after column per plan."""
    rows = [{"unit_id": c["unit_id"], "quota_type": c["quota_type"],
             **{f"approved_after:{k}": v for k, v in c["approved_after"].items()}}
            for c in result["unit_changes"]]
    return pd.DataFrame(rows, columns=None if rows else [
        "unit_id", "quota_type", *(f"approved_after:{p}" for p in result["plans"])])


def met_years_frame(result: dict) -> pd.DataFrame:
    """One row per demand met in other years than in the base: met_year and the quotas met
    per year (as `2021:1 2022:2`) in the base and in the other plan."""
    rows = []
    for c in result.get("met_years", []):
        rows.append({"demand_id": c["demand_id"], "plan": c["plan"], "unit_id": c["unit_id"],
                     "tier": c["tier"], "amount": c["amount"],
                     **{f"met_year:{k}": v for k, v in c["met_year"].items()},
                     **{f"met:{k}": v for k, v in c["met"].items()},
                     **{f"by_year:{k}": by_year_text(v) for k, v in c["by_year"].items()}})
    frame = pd.DataFrame(rows, columns=None if rows else ["demand_id", "plan", "unit_id",
                                                          "tier", "amount"])
    for col in frame.columns:  # a plan's columns are empty on the rows of the other plans
        if col.startswith(("met_year:", "met:")) or col == "amount":
            frame[col] = frame[col].astype("Int64")
    return frame
