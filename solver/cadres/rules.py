"""Rules for surplus cadres: statutory retirement age, early-retirement eligibility, follow-up.

Sources: docs/rules.md ("Surplus cadres"); the seed report 五(三); for the retirement age the
NPC Standing Committee decision of 13 September 2024 on the gradual raise of the statutory
retirement age (全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定) and the State
Council measures attached to it: from 1 January 2025 the statutory age of men (60) and of women
whose original age was 55 (women cadres) rises by one month every four months, up to 63 and 58.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RAISE_START = (2025, 1)  # first original retirement month that is delayed
MONTHS_PER_STEP = 4  # one month of delay per four months
MAX_DELAY_MONTHS = 36  # 60 → 63 and 55 → 58
BASE_AGE = {"M": 60, "F": 55}  # women cadres: 55 (both cadre levels here are cadres)
EARLY_SERVICE_YEARS = 30
NEAR_STATUTORY_YEARS = 5
NEAR_SERVICE_YEARS = 20
ASSUMED_BIRTH_MONTH = 7  # the data give age in whole years: born mid-year
FOLLOW_UP_REASONS = ("absent_without_reason", "missing")


def statutory_age(gender: str, birth_year: int, birth_month: int = ASSUMED_BIRTH_MONTH) -> float:
    """Statutory retirement age in years for a cadre born in that month (2024 schedule).

    Original age 60 (men) or 55 (women cadres); if the original retirement month falls in or
    after January 2025 it is delayed by ⌊months since Jan 2025 / 4⌋ + 1 months, at most 36.
    Born January 1965 (a man): delayed 1 month; born May 1965: 2 months.
    """
    base = BASE_AGE[gender]
    year, month = birth_year + base, birth_month  # original retirement month
    months_since = (year - RAISE_START[0]) * 12 + (month - RAISE_START[1])
    if months_since < 0:
        return float(base)
    delay = min(months_since // MONTHS_PER_STEP + 1, MAX_DELAY_MONTHS)
    return base + delay / 12


def ages_in_plan_year(people: pd.DataFrame, data_year: int, plan_year: int) -> pd.DataFrame:
    """Age and service years moved from the data's year to the plan year."""
    shift = plan_year - data_year
    return people.assign(age_plan=people["age"].astype(int) + shift,
                         service_plan=people["service_years"].astype(int) + shift)


def years_to_statutory(gender: np.ndarray, age: np.ndarray, plan_year: int) -> np.ndarray:
    """Years left to the statutory age (negative when past it), born mid-year."""
    birth = plan_year - age.astype(int)
    stat = np.array([statutory_age(g, int(b)) for g, b in zip(gender, birth)])
    return stat - age


def early_retirement_eligible(service: np.ndarray, to_statutory: np.ndarray) -> np.ndarray:
    """≥ 30 years of service, or < 5 years to the statutory age with ≥ 20 years of service."""
    return (service >= EARLY_SERVICE_YEARS) | (
        (to_statutory < NEAR_STATUTORY_YEARS) & (service >= NEAR_SERVICE_YEARS))


def needs_follow_up(reason: pd.Series) -> np.ndarray:
    """Absent without reason or missing: a formal notice (告知书), not an assignment."""
    return reason.fillna("").isin(FOLLOW_UP_REASONS).to_numpy()
