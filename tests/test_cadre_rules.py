"""The cadre rules by hand: statutory age (2025 gradual raise), early-retirement edges, ages.

Schedule (NPC Standing Committee decision of 13 September 2024): men 60 and women cadres 55;
from an original retirement month of January 2025 on, one month later per four months of
birth, at most 36 months (63 / 58). Early retirement (docs/rules.md): ≥ 30 years of service, or
less than 5 years to the statutory age with ≥ 20 years of service.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from solver.cadres import rules


def months_over(gender: str, year: int, month: int) -> int:
    """Delay in whole months over the original age (60 men, 55 women cadres)."""
    delay = (rules.statutory_age(gender, year, month) - rules.BASE_AGE[gender]) * 12
    assert delay == pytest.approx(round(delay), abs=1e-9)
    return round(delay)


# ---------------------------------------------------------------- statutory age


@pytest.mark.parametrize("year,month", [(1950, 1), (1960, 7), (1964, 1), (1964, 12)])
def test_men_born_before_1965_retire_at_60(year, month):
    assert rules.statutory_age("M", year, month) == 60.0


@pytest.mark.parametrize("month,delay", [(1, 1), (2, 1), (3, 1), (4, 1), (5, 2), (6, 2), (7, 2),
                                         (8, 2), (9, 3), (12, 3)])
def test_men_born_1965_gain_a_month_per_four_months_of_birth(month, delay):
    # Jan-Apr 1965 → 60 + 1 month; May-Aug → + 2 months; Sep-Dec → + 3 months
    assert months_over("M", 1965, month) == delay


def test_men_one_more_month_every_four_months_then_capped_at_63():
    # Jan 1966 is the 4th step (+4), Jan 1970 the 16th (+16)
    assert months_over("M", 1966, 1) == 4
    assert months_over("M", 1970, 1) == 16
    # the cap: 36 months first reached by men born September 1976
    assert months_over("M", 1976, 8) == 35
    assert months_over("M", 1976, 9) == 36
    assert rules.statutory_age("M", 1976, 9) == pytest.approx(63.0)
    for year in (1980, 1990, 2010):
        assert rules.statutory_age("M", year, 1) == pytest.approx(63.0)


def test_women_cadres_55_to_58_on_the_same_schedule():
    assert rules.statutory_age("F", 1960, 6) == 55.0
    assert rules.statutory_age("F", 1969, 12) == 55.0  # original month Dec 2024: not delayed
    assert months_over("F", 1970, 1) == 1
    assert months_over("F", 1970, 4) == 1
    assert months_over("F", 1970, 5) == 2
    assert months_over("F", 1970, 8) == 2
    assert months_over("F", 1981, 8) == 35
    assert months_over("F", 1981, 9) == 36
    assert rules.statutory_age("F", 2000, 1) == pytest.approx(58.0)


def test_the_data_give_whole_years_born_mid_year():
    # without a month the person is taken as born in July: a man of 1965 gets + 2 months
    assert rules.ASSUMED_BIRTH_MONTH == 7
    assert rules.statutory_age("M", 1965) == pytest.approx(60 + 2 / 12)
    assert rules.statutory_age("F", 1970) == pytest.approx(55 + 2 / 12)


# ---------------------------------------------------------------- years to the statutory age


def test_years_to_statutory_uses_the_plan_year_birth():
    gender = np.array(["M", "M", "F", "M"])
    age = np.array([55, 56, 52, 61])
    left = rules.years_to_statutory(gender, age, 2021)
    # born 1966, 1965, 1969, 1960 (plan year − age): 60 for men before 1965, +2 months for
    # a man of 1965 (July), 55 for a woman of 1969
    assert left == pytest.approx([60 + 5 / 12 - 55, 60 + 2 / 12 - 56, 55 - 52, 60 - 61])
    # a man of 56 in 2022 was born 1966: 60 + 5 months (July 1966 is the 5th step)
    assert rules.years_to_statutory(np.array(["M"]), np.array([56]), 2022) == pytest.approx(
        [4 + 5 / 12])


# ---------------------------------------------------------------- early-retirement eligibility


def eligible(service: int, to_statutory: float) -> bool:
    return bool(rules.early_retirement_eligible(np.array([service]),
                                                np.array([float(to_statutory)]))[0])


def test_thirty_years_of_service_is_enough_at_any_age():
    assert eligible(30, 20.0)  # exactly 30 years: eligible
    assert eligible(35, 15.0)
    assert not eligible(29, 20.0)  # 29 years and far from the statutory age: not


def test_near_the_statutory_age_twenty_years_suffice():
    assert eligible(29, 4.0)  # 29 years, but under 5 years to go with ≥ 20
    assert eligible(20, 4.9)  # exactly 20 years of service
    assert eligible(20, 4 + 5 / 12)  # 4.x years to go (a delayed statutory age)
    assert not eligible(19, 4.9)  # 19 years: not enough
    assert not eligible(19, 0.5)


def test_exactly_five_years_to_go_is_not_less_than_five():
    assert not eligible(20, 5.0)
    assert not eligible(29, 5.0)
    assert eligible(30, 5.0)  # but 30 years of service needs no nearness


def test_eligibility_on_people_men_and_women_cadres():
    # plan year 2021: a 52-year-old woman cadre (born 1969, statutory 55) is 3 years away;
    # a man of the same age is 8 years away
    gender = np.array(["F", "M", "M", "M", "M"])
    age = np.array([52, 52, 55, 56, 56])
    service = np.array([22, 22, 20, 20, 19])
    left = rules.years_to_statutory(gender, age, 2021)
    got = rules.early_retirement_eligible(service, left)
    # the man of 55 (born 1966, statutory 60 + 5 months) has 5.42 years: not yet; at 56 (born
    # 1965, 60 + 2 months) 4.17 years: eligible with 20 years of service, not with 19
    assert got.tolist() == [True, False, False, True, False]


# ---------------------------------------------------------------- ages moved to the plan year


def test_ages_and_service_move_to_the_plan_year():
    people = pd.DataFrame({"person_id": ["a", "b"], "age": [54, 40], "service_years": [28, 19]})
    moved = rules.ages_in_plan_year(people, data_year=2019, plan_year=2021)
    assert moved["age_plan"].tolist() == [56, 42]
    assert moved["service_plan"].tolist() == [30, 21]
    assert moved["age"].tolist() == [54, 40]  # the input columns stay as given
    same = rules.ages_in_plan_year(people, 2021, 2021)
    assert same["age_plan"].tolist() == [54, 40]
    # 28 years in the data's 2019 are 30 in 2021: eligible by service in the plan year
    left = rules.years_to_statutory(np.array(["M", "M"]), moved["age_plan"].to_numpy(), 2021)
    assert rules.early_retirement_eligible(moved["service_plan"].to_numpy(), left).tolist() == [
        True, False]


def test_follow_up_for_absent_or_missing():
    reason = pd.Series(["absent_without_reason", "missing", "seconded", None, "reform"])
    assert rules.needs_follow_up(reason).tolist() == [True, True, False, False, False]
