"""The statutory retirement schedule of the 2024 decision, by birth cohort, worked out by hand.

NPC Standing Committee decision of 13 September 2024 (全国人民代表大会常务委员会关于实施渐进式
延迟法定退休年龄的决定) and the State Council measures attached to it, Art. 1: from 1 January 2025

- men (60) and women whose original age was 55 (women cadres): one month of delay for every
  four months, up to 63 and 58 (at most 36 months);
- women whose original age was 50 (women workers, 女职工): one month for every two months, up
  to 55 (at most 60 months).

By hand: the original retirement month is the birth month + the original age; k = the months
from January 2025 to it; if k < 0 no delay, else delay = ⌊k / step⌋ + 1 capped. A person
retires in the month they reach the age: birth month + age.

Women workers at the cap: delay = ⌊k / 2⌋ + 1 = 60 needs ⌊k / 2⌋ = 59, so k = 118 first:
January 2025 + 118 months = November 2034, the original retirement month of a woman born
November 1984 (the decision's table for women workers ends there, at 55). Born January 1980
(original January 2030, k = 60) she gets ⌊60 / 2⌋ + 1 = 31 months: 52 y 7 m, not yet 55.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from solver.cadres import rules
from solver.cadres.rules import Retirement, retirement, retirements


def ym(years: int, months: int = 0) -> int:
    return 12 * years + months


# (gender, category, born year, born month) → (age in months, retires year, month)
COHORTS = [
    # men: the original month Dec 2024 is not delayed
    ("M", "cadre", 1964, 12, ym(60), 2024, 12),
    # Jan 1965: original Jan 2025, k = 0 → +1: 60y1m, Jan 1965 + 60y1m = Feb 2025
    ("M", "cadre", 1965, 1, ym(60, 1), 2025, 2),
    # Apr 1965: k = 3 → ⌊3/4⌋ + 1 = 1: 60y1m → May 2025
    ("M", "cadre", 1965, 4, ym(60, 1), 2025, 5),
    # May 1965: k = 4 → ⌊4/4⌋ + 1 = 2: 60y2m → July 2025
    ("M", "cadre", 1965, 5, ym(60, 2), 2025, 7),
    # Nov 1965: k = 10 → ⌊10/4⌋ + 1 = 3: 60y3m → Nov 2025 + 3 = Feb 2026
    ("M", "cadre", 1965, 11, ym(60, 3), 2026, 2),
    # Jan 1970: original Jan 2030, k = 60 → 16: 61y4m → May 2031
    ("M", "cadre", 1970, 1, ym(61, 4), 2031, 5),
    # Aug 1976: original Aug 2036, k = 11·12 + 7 = 139 → 34 + 1 = 35: 62y11m → July 2039
    ("M", "cadre", 1976, 8, ym(62, 11), 2039, 7),
    # Sep 1976: k = 140 → 35 + 1 = 36, the cap: 63 → Sep 2039
    ("M", "cadre", 1976, 9, ym(63), 2039, 9),
    ("M", "cadre", 1990, 1, ym(63), 2053, 1),
    # men are 60 whatever their category
    ("M", "worker", 1965, 5, ym(60, 2), 2025, 7),
    ("M", "worker", 1976, 9, ym(63), 2039, 9),
    # women cadres: Dec 1969 → original Dec 2024, not delayed
    ("F", "cadre", 1969, 12, ym(55), 2024, 12),
    # Jan 1970: original Jan 2025, k = 0 → 55y1m → Feb 2025
    ("F", "cadre", 1970, 1, ym(55, 1), 2025, 2),
    # May 1970: k = 4 → 2: 55y2m → July 2025
    ("F", "cadre", 1970, 5, ym(55, 2), 2025, 7),
    # Aug 1981: original Aug 2036, k = 139 → 35: 57y11m → July 2039
    ("F", "cadre", 1981, 8, ym(57, 11), 2039, 7),
    # Sep 1981: k = 140 → 36: the full 58 → Sep 2039
    ("F", "cadre", 1981, 9, ym(58), 2039, 9),
    # women workers: Dec 1974 → original Dec 2024, not delayed: 50 → Dec 2024
    ("F", "worker", 1974, 12, ym(50), 2024, 12),
    # Jan 1975: original Jan 2025, k = 0 → ⌊0/2⌋ + 1 = 1: 50y1m → Feb 2025
    ("F", "worker", 1975, 1, ym(50, 1), 2025, 2),
    # Feb 1975: k = 1 → 1: 50y1m → Mar 2025
    ("F", "worker", 1975, 2, ym(50, 1), 2025, 3),
    # Mar 1975: k = 2 → 2: 50y2m → May 2025
    ("F", "worker", 1975, 3, ym(50, 2), 2025, 5),
    # Jan 1980: original Jan 2030, k = 60 → 31: 52y7m → Aug 2032
    ("F", "worker", 1980, 1, ym(52, 7), 2032, 8),
    # Oct 1984: original Oct 2034, k = 9·12 + 9 = 117 → 58 + 1 = 59: 54y11m → Sep 2039
    ("F", "worker", 1984, 10, ym(54, 11), 2039, 9),
    # Nov 1984: k = 118 → 59 + 1 = 60, the cap: the full 55 → Nov 2039
    ("F", "worker", 1984, 11, ym(55), 2039, 11),
    ("F", "worker", 1995, 6, ym(55), 2050, 6),
]


@pytest.mark.parametrize("gender,category,year,month,age,ret_year,ret_month", COHORTS,
                         ids=[f"{g}-{c}-{y}-{m:02d}" for g, c, y, m, *_ in COHORTS])
def test_cohorts_by_hand(gender, category, year, month, age, ret_year, ret_month):
    got = retirement(gender, category, year, month)
    assert got == Retirement(age, ret_year, ret_month)
    # the month reached is the birth month + the age
    assert got.year * 12 + got.month == year * 12 + month + got.age_months


def test_the_caps():
    for gender, category, top in (("M", "cadre", 63), ("F", "cadre", 58), ("F", "worker", 55)):
        ages = {retirement(gender, category, y, m).age_months
                for y in range(1940, 2010) for m in range(1, 13)}
        assert max(ages) == 12 * top
        assert min(ages) == 12 * rules.SCHEDULES[(gender, category)].base_years


def test_statutory_age_is_the_cadre_schedule_in_years():
    for gender, year, month in itertools.product("MF", range(1955, 1995), range(1, 13)):
        months = retirement(gender, "cadre", year, month).age_months
        assert rules.statutory_age(gender, year, month) == pytest.approx(months / 12)
    assert rules.statutory_age("M", 1964, 12) == 60.0
    assert rules.statutory_age("F", 1969, 12) == 55.0


def test_the_vectorised_schedule_equals_the_scalar_one():
    cases = list(itertools.product("MF", rules.CATEGORIES, range(1940, 2011), range(1, 13)))
    gender, category, year, month = (np.array(c) for c in zip(*cases))
    age, ret_year, ret_month = retirements(gender, category, year, month)
    expected = np.array([retirement(*c) for c in cases])
    assert (age == expected[:, 0]).all()
    assert (ret_year == expected[:, 1]).all()
    assert (ret_month == expected[:, 2]).all()
    assert age.dtype == np.int64


def test_the_vectorised_schedule_takes_one_category_for_all():
    age, _, _ = retirements(np.array(["F", "M"]), "worker", [1980, 1980], [1, 1])
    # a woman worker of Jan 1980: 52y7m (above); a man of Jan 1980: original Jan 2040,
    # k = 180 → 46, capped at 36: 63
    assert list(age) == [ym(52, 7), ym(63)]
    assert list(retirements([], "cadre", [], [])[0]) == []


@pytest.mark.parametrize("args", [("X", "cadre", 1970, 1), ("F", "clerk", 1970, 1),
                                  ("M", "cadre", 1970, 13), ("M", "cadre", 1970, 0)])
def test_unknown_inputs_are_refused(args):
    with pytest.raises(ValueError):
        retirement(*args)
    g, c, y, m = args
    with pytest.raises(ValueError):
        retirements([g], [c], [y], [m])
