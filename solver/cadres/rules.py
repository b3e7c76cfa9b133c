"""Rules for surplus cadres: statutory retirement age, early-retirement eligibility, follow-up.

Sources: docs/rules.md ("Surplus cadres", "The statutory retirement schedule"); the seed report
五(三); for the retirement age the NPC Standing Committee decision of 13 September 2024 on the
gradual raise of the statutory retirement age (全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄
的决定) and the State Council measures attached to it (国务院关于渐进式延迟法定退休年龄的办法, Art. 1):
from 1 January 2025 the statutory age of men (60) and of women whose original age was 55
(women cadres) rises by one month every four months, up to 63 and 58; that of women whose
original age was 50 (women workers) by one month every two months, up to 55.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

RAISE_START = (2025, 1)  # first original retirement month that is delayed
MONTHS_PER_STEP = 4  # one month of delay per four months (men, women cadres)
MAX_DELAY_MONTHS = 36  # 60 → 63 and 55 → 58
BASE_AGE = {"M": 60, "F": 55}  # women cadres: 55 (both cadre levels here are cadres)
CATEGORIES = ("cadre", "worker")  # 干部, 工人: only women's original age depends on it
EARLY_SERVICE_YEARS = 30
NEAR_STATUTORY_YEARS = 5
NEAR_SERVICE_YEARS = 20
ASSUMED_BIRTH_MONTH = 7  # the data give age in whole years: born mid-year
FOLLOW_UP_REASONS = ("absent_without_reason", "missing")


@dataclass(frozen=True)
class Schedule:
    """One line of the 2024 decision: the original age, one month of delay per
    `months_per_step` months of original retirement from January 2025, at most `max_delay`."""

    base_years: int
    months_per_step: int
    max_delay: int


# (gender, category) → schedule. Men are 60 whatever their category; women cadres 55 and
# women workers 50 (女职工 whose original age was 50).
SCHEDULES: dict[tuple[str, str], Schedule] = {
    ("M", "cadre"): Schedule(60, MONTHS_PER_STEP, MAX_DELAY_MONTHS),
    ("M", "worker"): Schedule(60, MONTHS_PER_STEP, MAX_DELAY_MONTHS),
    ("F", "cadre"): Schedule(55, MONTHS_PER_STEP, MAX_DELAY_MONTHS),
    ("F", "worker"): Schedule(50, 2, 60),  # 50 → 55, one month per two months
}


class Retirement(NamedTuple):
    """The statutory retirement age in whole months, and the calendar month it is reached
    (the person retires in that month: birth month + age)."""

    age_months: int
    year: int
    month: int


def retirement(gender: str, category: str, birth_year: int, birth_month: int) -> Retirement:
    """The statutory retirement age and month of one person (2024 schedule).

    The original retirement month is the birth month + the original age (60 men, 55 women
    cadres, 50 women workers). If it falls in or after January 2025, the age is raised by
    ⌊months from January 2025 to it / step⌋ + 1 months (step 4; 2 for women workers), at most
    36 months (60 for women workers). A man born January 1965 retires at 60 y 1 m in
    February 2025; a woman worker born March 1975 at 50 y 2 m in May 2025.
    """
    schedule = SCHEDULES.get((gender, category))
    if schedule is None:
        raise ValueError(f"no retirement schedule for gender {gender!r}, category "
                         f"{category!r}: expected M or F, and cadre or worker")
    if not 1 <= birth_month <= 12:
        raise ValueError(f"birth month {birth_month} is not a month (1-12)")
    base = schedule.base_years * 12
    birth = birth_year * 12 + birth_month - 1  # months since year 0
    since = birth + base - (RAISE_START[0] * 12 + RAISE_START[1] - 1)
    delay = 0 if since < 0 else min(since // schedule.months_per_step + 1, schedule.max_delay)
    year, month0 = divmod(birth + base + delay, 12)
    return Retirement(base + delay, year, month0 + 1)


def retirements(gender, category, birth_year, birth_month) -> tuple[np.ndarray, np.ndarray,
                                                                    np.ndarray]:
    """`retirement` over arrays (a register of 100,000 people in milliseconds): the age in
    months, the year and the month, as int64 arrays. `category` may be one value for all."""
    gender = np.asarray(gender, dtype=object)
    category = np.broadcast_to(np.asarray(category, dtype=object), gender.shape)
    birth_year = np.asarray(birth_year, dtype=np.int64)
    birth_month = np.asarray(birth_month, dtype=np.int64)
    if ((birth_month < 1) | (birth_month > 12)).any():
        bad = birth_month[(birth_month < 1) | (birth_month > 12)][0]
        raise ValueError(f"birth month {bad} is not a month (1-12)")
    base = np.zeros(gender.shape, dtype=np.int64)
    step = np.ones(gender.shape, dtype=np.int64)
    cap = np.zeros(gender.shape, dtype=np.int64)
    known = np.zeros(gender.shape, dtype=bool)
    for (g, c), schedule in SCHEDULES.items():
        hit = (gender == g) & (category == c)
        base[hit] = schedule.base_years * 12
        step[hit] = schedule.months_per_step
        cap[hit] = schedule.max_delay
        known |= hit
    if not known.all():
        i = int(np.flatnonzero(~known)[0])
        raise ValueError(f"no retirement schedule for gender {gender[i]!r}, category "
                         f"{category[i]!r}: expected M or F, and cadre or worker")
    birth = birth_year * 12 + birth_month - 1
    since = birth + base - (RAISE_START[0] * 12 + RAISE_START[1] - 1)
    delay = np.where(since < 0, 0, np.minimum(since // step + 1, cap))
    at = birth + base + delay
    return base + delay, at // 12, at % 12 + 1


def statutory_age(gender: str, birth_year: int, birth_month: int = ASSUMED_BIRTH_MONTH) -> float:
    """Statutory retirement age in years for a cadre born in that month (2024 schedule).

    Original age 60 (men) or 55 (women cadres); if the original retirement month falls in or
    after January 2025 it is delayed by ⌊months since Jan 2025 / 4⌋ + 1 months, at most 36.
    Born January 1965 (a man): delayed 1 month; born May 1965: 2 months. `retirement` with
    category cadre, in years.
    """
    base = BASE_AGE[gender]
    delay = retirement(gender, "cadre", birth_year, birth_month).age_months - base * 12
    return base + delay / 12


def ages_in_plan_year(people: pd.DataFrame, data_year: int, plan_year: int) -> pd.DataFrame:
    """Age and service years moved from the data's year to the plan year."""
    shift = plan_year - data_year
    return people.assign(age_plan=people["age"].astype(int) + shift,
                         service_plan=people["service_years"].astype(int) + shift)


def years_to_statutory(gender: np.ndarray, age: np.ndarray, plan_year: int) -> np.ndarray:
    """Years left to the statutory age (negative when past it), born mid-year (cadres)."""
    gender = np.asarray(gender, dtype=object)
    birth = plan_year - np.asarray(age).astype(np.int64)
    months, _, _ = retirements(gender, "cadre", birth, np.full(len(birth), ASSUMED_BIRTH_MONTH))
    base = np.array([BASE_AGE[g] for g in gender], dtype=np.int64)
    stat = base + (months - base * 12) / 12
    return stat - age


def early_retirement_eligible(service: np.ndarray, to_statutory: np.ndarray) -> np.ndarray:
    """≥ 30 years of service, or < 5 years to the statutory age with ≥ 20 years of service."""
    return (service >= EARLY_SERVICE_YEARS) | (
        (to_statutory < NEAR_STATUTORY_YEARS) & (service >= NEAR_SERVICE_YEARS))


def needs_follow_up(reason: pd.Series) -> np.ndarray:
    """Absent without reason or missing: a formal notice (告知书), not an assignment."""
    return reason.fillna("").isin(FOLLOW_UP_REASONS).to_numpy()
