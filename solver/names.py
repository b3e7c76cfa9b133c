"""Display names for the codes of the data: units, systems, sectors and regions.

The tables keep codes (`bazhong-0001`, `general_office`, `bazhong`): stable, typed once,
what verify and the CSVs compare. A person reads names (巴中市委办公室, 综合办公, 巴州区).
`Names.from_dataset(ds)` collects them from the data — the units' `name`, and the optional
`system_name`, `sector_name`, `region_name` columns of units or the optional `names` table
(docs/data.md) — and `name(kind, code)` gives the name, falling back to the code itself, so
every caller may ask without checking.

API (for the CLI, plan.xlsx, compare and the report):

    names = Names.from_dataset(ds)           # or Names.from_units(units_frame)
    names.name("unit", "bazhong-0001")       # '巴中市委办公室'
    names.name("region", "bazhong")          # the region's name, else 'bazhong'
    names.with_names(frame, "unit_id", "unit_name")   # a copy with a name column after it
    names.frame() / Names.from_folder(plan_dir)       # a plan folder's names.csv
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

KINDS: tuple[str, ...] = ("unit", "system", "sector", "region")
# units' optional name columns: the kind each one names and the code column it goes with
UNIT_NAME_COLUMNS: dict[str, tuple[str, str]] = {
    "system_name": ("system", "system"),
    "sector_name": ("sector", "sector"),
    "region_name": ("region", "region"),
}


@dataclass(frozen=True)
class Names:
    """code → display name, per kind (unit, system, sector, region)."""

    by_kind: dict[str, dict[str, str]] = field(default_factory=dict)

    def name(self, kind: str, code: object) -> str:
        """The display name of `code` (its code when the data gives none; '' for none)."""
        if code is None or (isinstance(code, float) and pd.isna(code)):
            return ""
        code = str(code)
        return self.by_kind.get(kind, {}).get(code, code)

    def labelled(self, kind: str, code: object) -> str:
        """'name (code)' for a person reading a list; the code alone when it has no name."""
        name = self.name(kind, code)
        return name if name == str(code) or not name else f"{name} ({code})"

    def with_names(self, frame: pd.DataFrame, code_column: str, name_column: str,
                   kind: str = "unit") -> pd.DataFrame:
        """A copy of `frame` with `name_column` right after `code_column` (unchanged without
        that column)."""
        if code_column not in frame:
            return frame
        out = frame.copy(deep=False)  # the columns are shared, not copied (copy-on-write)
        # one lookup per distinct code; a missing code (-1) takes the last, empty, name
        ids, codes = pd.factorize(out[code_column].to_numpy(dtype=object))
        mapping = self.by_kind.get(kind, {})
        named = [mapping.get(text, text) if text else ""
                 for text in map(str, codes.tolist())]
        values = np.array([*named, ""], dtype=object)[ids]
        out.insert(out.columns.get_loc(code_column) + 1, name_column, values)
        return out

    @classmethod
    def from_units(cls, units: pd.DataFrame, names: pd.DataFrame | None = None) -> Names:
        """The names a units table and an optional names table (kind, code, name) give."""
        by_kind: dict[str, dict[str, str]] = {k: {} for k in KINDS}
        if "name" in units:
            by_kind["unit"] = _mapping(units["unit_id"], units["name"])
        for column, (kind, code) in UNIT_NAME_COLUMNS.items():
            if column in units and code in units:
                by_kind[kind].update(_mapping(units[code], units[column]))
        if names is not None:
            for kind in KINDS:
                rows = names[names["kind"] == kind]
                by_kind[kind].update(_mapping(rows["code"], rows["name"]))
        return cls(by_kind)

    def frame(self) -> pd.DataFrame:
        """names.csv of a plan folder: kind, code, name — what compare and the report read
        back (a plan's CSVs hold codes only)."""
        rows = [(kind, code, name) for kind in KINDS
                for code, name in sorted(self.by_kind.get(kind, {}).items())]
        return pd.DataFrame(rows, columns=["kind", "code", "name"])

    @classmethod
    def from_folder(cls, plan_dir: Path) -> Names:
        """The names a plan folder's names.csv gives (none for an older plan: codes then)."""
        path = Path(plan_dir) / "names.csv"
        if not path.is_file():
            return cls()
        t = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        return cls({k: dict(zip(g["code"], g["name"])) for k, g in t.groupby("kind")})

    @classmethod
    def from_dataset(cls, ds) -> Names:
        """The names of a loaded dataset (solver.validate.Dataset), gathered once per dataset:
        the run, its alternatives and the plan folder's names.csv all ask."""
        cached = ds.__dict__.get("_display_names")
        if cached is None:
            cached = ds.__dict__["_display_names"] = cls.from_units(
                ds.units, getattr(ds, "names", None))
        return cached


def _mapping(codes: pd.Series, names: pd.Series) -> dict[str, str]:
    """code → name over the rows where both are given (the first name of a code wins; the
    reader refuses a code named twice differently)."""
    out: dict[str, str] = {}
    for code, name in zip(codes.tolist(), names.tolist()):
        if isinstance(code, str) and code and isinstance(name, str) and name.strip():
            out.setdefault(code, name.strip())
    return out
