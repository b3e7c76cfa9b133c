"""The comparison folder of `bianzhi compare --out`: compare.json, CSVs and compare.html.

Written here, in the report layer, so that `solver.compare` (which computes the comparison)
never imports the HTML writer that reads it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


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
                 "tier": c["tier"], "amount": c["amount"],
                 **{f"met:{k}": v for k, v in c["met"].items()},
                 **{f"reason:{k}": v for k, v in c["reason"].items()}}
                for c in result["changed_demands"]]
        pd.DataFrame(rows).to_csv(tmp / "changed_demands.csv", index=False, lineterminator="\n")
        (tmp / "compare.html").write_text(render_compare(result, lang), encoding="utf-8")
        return folder.commit()
