"""Leader posts (领导职数): the limit each unit may hold, and which units are above it.

docs/rules.md § 19. Provincial regulations limit the leader posts of institutions by their
approved size (事业单位领导职数按编制规模核定): a band of approved quotas gives a range of
leader posts, min–max. The default table (institutions):

    approved quotas   ≤ 10   11–50   51–100   101–200   201–400   401–600   ≥ 601
    leader posts       1–2    2–3     3–4       4–5       5–6       6–7      7–8

A unit is above the limit when its leader posts exceed the band's max. A kind without bands
(by default organs and civil-service-managed units) falls back to a share of its approved
quota: above `share_fallback` (default 0.5, the seed's observation "官多兵少", 三(三)) it is
flagged. The approved size is the sum over all the unit's quota rows (every quota type). The
min of a band is documented, not checked: too few leaders is no overhead.

One function, `leader_check`, serves the warning of `validate`, the stock-take
(`inventory.unit_status`) and the command line; `LeaderRules.curve` gives the limit by size
for the merger hard limit (`consolidation`, `verify/mergers.py`). No I/O here: the scenario
(`leader_posts`) builds a `LeaderRules`; without a scenario the defaults below apply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from solver.domain import KINDS

SOURCE = "provincial leader-post limits by size"
FALLBACK_SOURCE = "the seed's fallback share"
DEFAULT_SHARE = 0.5
KIND_WORDS = {"organ": "an organ", "civil_service_managed": "a civil-service-managed unit",
              "institution": "an institution"}


@dataclass(frozen=True)
class Band:
    """Up to `up_to` approved quotas (None: no upper end), `min_posts`–`max_posts` leaders."""

    up_to: int | None
    min_posts: int
    max_posts: int


def _bands(rows: Sequence[tuple[int | None, int, int]]) -> tuple[Band, ...]:
    return tuple(Band(*row) for row in rows)


# provincial regulations on the leader posts of institutions by approved size
DEFAULT_BANDS: dict[str, tuple[Band, ...]] = {
    "institution": _bands([(10, 1, 2), (50, 2, 3), (100, 3, 4), (200, 4, 5), (400, 5, 6),
                           (600, 6, 7), (None, 7, 8)]),
}


def check_bands(bands: Sequence[Band]) -> None:
    """Raise ValueError unless the bands of one kind are well formed: sorted by size (each
    `up_to` above the one before), the last open-ended (up_to null) and only the last,
    0 ≤ min ≤ max, and a larger band never allows fewer leader posts (max not falling).
    No bands at all is allowed: the kind then uses the share fallback."""
    for i, b in enumerate(bands):
        where = f"band {i + 1} (up_to {'null' if b.up_to is None else b.up_to})"
        if b.min_posts < 0 or b.max_posts < 0:
            raise ValueError(f"{where}: leader posts are whole numbers ≥ 0 "
                             f"(got min {b.min_posts}, max {b.max_posts})")
        if b.min_posts > b.max_posts:
            raise ValueError(f"{where}: min {b.min_posts} is above max {b.max_posts}")
        if b.up_to is None and i != len(bands) - 1:
            raise ValueError(f"{where}: only the last band is open-ended (up_to: null); "
                             "sort the bands by size")
        if b.up_to is not None and b.up_to < 0:
            raise ValueError(f"{where}: up_to must be 0 or more")
        if i and b.up_to is not None and b.up_to <= bands[i - 1].up_to:  # type: ignore[operator]
            raise ValueError(f"{where}: up_to is not above the band before "
                             f"({bands[i - 1].up_to}); sort the bands by size")
        if i and b.max_posts < bands[i - 1].max_posts:
            raise ValueError(f"{where}: max {b.max_posts} is below the band before "
                             f"({bands[i - 1].max_posts}); a larger unit never has fewer "
                             "leader posts")
    if bands and bands[-1].up_to is not None:
        raise ValueError("the last band must be open-ended (up_to: null), so that every size "
                         "has a limit")


def band_label(bands: Sequence[Band], i: int, lang: str = "en") -> str:
    """'up to 10', '11–50', '601 or more' (approved quotas of band i; zh: 10以下, 601以上)."""
    low = 0 if i == 0 else bands[i - 1].up_to + 1  # type: ignore[operator]
    up = bands[i].up_to
    if up is None:
        return f"{low}以上" if lang == "zh" else f"{low} or more"
    if i == 0:
        return f"{up}以下" if lang == "zh" else f"up to {up}"
    return f"{low}–{up}"


@dataclass(frozen=True)
class LeaderRules:
    """Leader-post limits by unit kind: bands by approved size, else a share of approved."""

    bands: Mapping[str, tuple[Band, ...]] = field(default_factory=lambda: dict(DEFAULT_BANDS))
    share_fallback: float = DEFAULT_SHARE

    def __post_init__(self) -> None:
        for kind, bands in self.bands.items():
            if kind not in KINDS:
                raise ValueError(f"unknown unit kind {kind!r}; expected one of "
                                 f"{', '.join(KINDS)}")
            try:
                check_bands(bands)
            except ValueError as exc:
                raise ValueError(f"bands of {kind}: {exc}") from None
        if not (0 < self.share_fallback <= 1):
            raise ValueError(f"share_fallback {self.share_fallback} must be above 0 and at "
                             "most 1")

    def banded(self, kind: str) -> bool:
        return bool(self.bands.get(kind))

    def band_of(self, kind: str, approved: np.ndarray) -> np.ndarray:
        """The band index of each approved size (kind with bands only)."""
        bands = self.bands[kind]
        edges = np.array([b.up_to for b in bands[:-1]], dtype=np.int64)
        return np.searchsorted(edges, np.asarray(approved, dtype=np.int64), side="left")

    def limits(self, kind: str, approved: np.ndarray) -> np.ndarray:
        """The most leader posts of units of one kind with these approved sizes."""
        approved = np.asarray(approved, dtype=np.int64)
        if self.banded(kind):
            top = np.array([b.max_posts for b in self.bands[kind]], dtype=np.int64)
            return top[self.band_of(kind, approved)]
        # leaders > share × approved ⇔ leaders > ⌊share × approved⌋ (whole numbers); the
        # rounding keeps 0.57 × 100 at 57, not 56.999…
        return np.floor(np.round(self.share_fallback * approved, 9)).astype(np.int64)

    def limit(self, kind: str, approved: int) -> int:
        return int(self.limits(kind, np.array([approved]))[0])

    def curve(self, kind: str, up_to: int) -> np.ndarray:
        """The limit for every approved size 0, 1, …, up_to (a step function of the size)."""
        return self.limits(kind, np.arange(up_to + 1))

    def basis(self, kind: str, approved: int, lang: str = "en") -> str:
        """How the limit of a unit is set, in words (for messages in English; for a plan's
        reasons in its language, zh or en)."""
        if self.banded(kind):
            bands = self.bands[kind]
            i = int(self.band_of(kind, np.array([approved]))[0])
            b = bands[i]
            if lang == "zh":
                return (f"编制{band_label(bands, i, lang)}名的{KINDS.get(kind, kind)}领导职数"
                        f"上限{b.max_posts}（{b.min_posts}–{b.max_posts}名，省定领导职数按规模核定）")
            return (f"the limit of {b.max_posts} for {KIND_WORDS.get(kind, kind)} of "
                    f"{band_label(bands, i)} quotas ({b.min_posts}–{b.max_posts} posts, "
                    f"{SOURCE})")
        share = f"{100 * self.share_fallback:g}%"
        if lang == "zh":
            return (f"上限{self.limit(kind, approved)}名，即核定编制的{share}（{KINDS.get(kind, kind)}"
                    "无规模分档：采用默认比例）")
        return (f"the limit of {self.limit(kind, approved)}, {share} of its approved (no size "
                f"bands for {KIND_WORDS.get(kind, kind)}: {FALLBACK_SOURCE})")


DEFAULT_RULES = LeaderRules()


def leader_check(units: pd.DataFrame, quotas: pd.DataFrame,
                 rules: LeaderRules = DEFAULT_RULES) -> pd.DataFrame:
    """Per unit, in the order of `units`: approved (all its quota rows), leader posts (empty
    as 0), limit, basis ('band' or 'share') and `over` (leader posts above the limit).

    The index is the one of `units`.
    """
    approved_by_unit = quotas.groupby("unit_id")["approved"].sum()
    approved = units["unit_id"].map(approved_by_unit).fillna(0).to_numpy(np.int64)
    leaders = pd.to_numeric(units["leader_posts"], errors="coerce").fillna(0).to_numpy(
        np.int64)
    kinds = units["kind"].astype(object).to_numpy()
    limit = np.zeros(len(units), dtype=np.int64)
    basis = np.full(len(units), "share", dtype=object)
    for kind in pd.unique(kinds):
        at = kinds == kind
        # a kind that could not be read (validation reports it) uses the fallback
        known = isinstance(kind, str) and kind in KINDS
        limit[at] = rules.limits(kind if known else "", approved[at])
        if known and rules.banded(kind):
            basis[at] = "band"
    return pd.DataFrame({
        "unit_id": units["unit_id"].to_numpy(), "kind": kinds, "approved": approved,
        "leader_posts": leaders, "limit": limit, "basis": basis,
        "over": leaders > limit,
    }, index=units.index)
