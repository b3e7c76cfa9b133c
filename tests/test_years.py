"""The five-year plan (issue 12): each rule over years on a case worked by hand, perfect and
myopic foresight, and one tampering test per rule that links the years.

Every case is a real input folder (conftest's helpers plus a staff register), a scenario file
and the real pipeline (`runner.checked_plan`: the plan, then every rule checked in every year);
the tampering tests write the plan with the real `bianzhi run` and check it with the real
`bianzhi verify`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli, staff_rows, world, write_table

from solver.domain import PLAN_TABLES
from solver.edits import load_data
from solver.io.write import write_workbook
from solver.plan import build_summary
from solver.runner import checked_plan
from solver.scenario import load_scenario
from solver.verify import RULES, verify_folder
from solver.years.leavers import attrition

I = "institution"


def plan_of(scenario: Path, *sets: str):
    sc = load_scenario(scenario, sets=list(sets))
    return checked_plan(sc, load_data(sc), with_marginals=False)


def met_by_year(plan) -> dict[str, dict[int, int]]:
    dy = plan.tables()["demand_years"]
    out: dict[str, dict[int, int]] = {}
    for d, y, m in zip(dy["demand_id"], dy["year"], dy["met"]):
        out.setdefault(d, {})[int(y)] = int(m)
    return out


def year_row(plan, unit: str, year: int) -> pd.Series:
    y = plan.tables()["years"]
    return y[(y["unit_id"] == unit) & (y["year"] == year)].iloc[0]


def demand(plan, demand_id: str) -> pd.Series:
    d = plan.tables()["demands"]
    return d[d["demand_id"] == demand_id].iloc[0]


BOTH = pytest.mark.parametrize("foresight", ["myopic", "perfect"])


# ---------------------------------------------------------------- the rules by hand


@BOTH
def test_a_retirement_frees_a_quota_in_its_year(tmp_path, foresight):
    # D is full (3/3); one of its staff, born Feb 1962, retires in Feb 2022 at 60. R (full,
    # emergency: not gated) waits for that quota: met in 2022, not before.
    s = world(tmp_path, ["D", "R"], [("D", I, 3, 3), ("R", I, 5, 5)],
              [{"id": "dR", "unit": "R", "tier": "emergency", "amount": 1}],
              staff_rows("D", 3, ["1962-02"]) + staff_rows("R", 5), foresight)
    plan = plan_of(s)
    assert met_by_year(plan) == {"dR": {2022: 1}}
    assert demand(plan, "dR")["met_year"] == 2022
    assert year_row(plan, "D", 2022)[["retirements", "moved_out", "vacancy_end"]].tolist() \
        == [1, 1, 0]
    r = plan.tables()["retirements"]
    assert r[["person_id", "year", "month", "age_at_retirement"]].values.tolist() == [
        ["D-0", 2022, 2, "60y0m"]]


@BOTH
def test_an_over_quota_unit_absorbs_its_excess_then_receives(tmp_path, foresight):
    # O is over quota (7 staff for 5); three retire in 2021: the first two absorb the excess,
    # the third frees one vacancy. O's demand waits: nothing while over (2021), met in 2022.
    s = world(tmp_path, ["D", "O"], [("D", I, 10, 5), ("O", I, 5, 7)],
              [{"id": "dO", "unit": "O", "tier": "operational", "amount": 1}],
              staff_rows("D", 5) + staff_rows("O", 7, ["1961-02"] * 3), foresight)
    plan = plan_of(s)
    assert met_by_year(plan) == {"dO": {2022: 1}}
    o21 = year_row(plan, "O", 2021)
    assert o21[["staff_start", "retirements", "staff_end", "vacancy_end", "moved_in"]].tolist() \
        == [7, 3, 4, 1, 0]


@BOTH
def test_a_temporary_quota_returns_after_its_task_and_leaves_the_unit_over(tmp_path,
                                                                          foresight):
    # 事去减编: E (full) gets 2 quotas for an emergency ending 2021; they go back to the pool at
    # the start of 2022, E is then over quota (6 staff for 4) and its 2022 request is refused.
    s = world(tmp_path, ["D", "E"], [("D", I, 10, 5), ("E", I, 4, 4)],
              [{"id": "dE", "unit": "E", "tier": "emergency", "amount": 2, "end": 2021},
               {"id": "dE2", "unit": "E", "tier": "operational", "amount": 1, "start": 2022}],
              staff_rows("D", 5) + staff_rows("E", 4), foresight)
    plan = plan_of(s)
    assert met_by_year(plan) == {"dE": {2021: 2}}
    e22 = year_row(plan, "E", 2022)
    assert e22[["approved_start", "returned", "staff_start", "approved_end"]].tolist() \
        == [6, 2, 6, 4]
    py = plan.tables()["pool_years"]
    assert py[py["year"] == 2022]["returned"].sum() == 2
    assert demand(plan, "dE2")["unmet_reason"] == "over_quota_unit"


@BOTH
def test_a_full_unit_hires_one_for_one_it_loses(tmp_path, foresight):
    # 出一进一: F is full; its operational request (2) is gated by its releases: none in 2021,
    # one retirement in 2022 → one quota that year; full again in 2023 with no leaver → none.
    s = world(tmp_path, ["D", "F"], [("D", I, 10, 5), ("F", I, 10, 10)],
              [{"id": "dF", "unit": "F", "tier": "operational", "amount": 2}],
              staff_rows("D", 5) + staff_rows("F", 10, ["1962-03"]), foresight)
    plan = plan_of(s)
    assert met_by_year(plan) == {"dF": {2022: 1}}
    assert demand(plan, "dF")["unmet_reason"] == "full_unit_release_first"
    use = plan.tables()["use_plan"]
    assert use[use["unit_id"] == "F"][["year", "source", "may_hire"]].values.tolist() == [
        [2022, "own", 1]]


@BOTH
def test_a_key_demand_waits_for_a_later_vacancy_without_displacing_an_emergency(tmp_path,
                                                                               foresight):
    # one vacancy in 2021 (D), one more when D's old member retires in 2022: the 2021
    # emergency keeps its quota, the key demand starting 2022 gets the new one
    s = world(tmp_path, ["D", "U1", "U2"],
              [("D", I, 3, 2), ("U1", I, 5, 5), ("U2", I, 5, 5)],
              [{"id": "dEm", "unit": "U1", "tier": "emergency", "amount": 1},
               {"id": "dK", "unit": "U2", "tier": "key", "amount": 1, "start": 2022}],
              staff_rows("D", 2, ["1962-05"]) + staff_rows("U1", 5) + staff_rows("U2", 5),
              foresight)
    plan = plan_of(s)
    assert met_by_year(plan)["dEm"] == {2021: 1}
    assert met_by_year(plan)["dK"] == {2022: 1}


def test_perfect_foresight_keeps_a_quota_for_next_years_key_demand(tmp_path):
    # one vacancy over the whole horizon; an operational request now, a key one next year.
    # A committee deciding each year alone gives it away in 2021; perfect foresight keeps it.
    args = (["D", "U1", "U2"], [("D", I, 3, 2), ("U1", I, 5, 5), ("U2", I, 5, 5)],
            [{"id": "dOp", "unit": "U1", "tier": "emergency", "amount": 1},
             {"id": "dK", "unit": "U2", "tier": "key", "amount": 1, "start": 2022}],
            staff_rows("D", 2) + staff_rows("U1", 5) + staff_rows("U2", 5))
    myopic = plan_of(world(tmp_path / "m", *args, foresight="myopic"))
    perfect = plan_of(world(tmp_path / "p", *args, foresight="perfect"))
    assert met_by_year(myopic) == {"dOp": {2021: 1}}
    assert met_by_year(perfect) == {"dK": {2022: 1}}
    assert demand(perfect, "dOp")["unmet_reason"] == "outranked_by_higher_tier"
    assert build_summary(perfect)["horizon"]["replay_shortfall"] == 0


@BOTH
def test_the_reserve_floor_holds_every_year(tmp_path, foresight):
    # 20% of 20 approved = 4 vacancies kept each year; D has 6 and two retire per year
    s = world(tmp_path, ["D", "U"], [("D", I, 10, 4), ("U", I, 10, 10)],
              [{"id": "dU", "unit": "U", "tier": "emergency", "amount": 9}],
              staff_rows("D", 4, ["1961-02", "1961-03", "1962-02", "1962-03"])
              + staff_rows("U", 10), foresight, extra="", years=(2021, 2023))
    plan = plan_of(s, "policy.reserve_rate=0.2")
    years = build_summary(plan)["years"]
    for y in ("2021", "2022", "2023"):
        r = years[y]["reserve"][I]
        assert r["vacancy_after"] >= r["floor"] == 4
    # 2021: 6 + 2 retirements − 4 = 4 usable; 2022: 2 more; 2023: none
    assert met_by_year(plan) == {"dU": {2021: 4, 2022: 2}}


def test_a_one_year_horizon_without_leavers_is_todays_plan(tmp_path):
    units = ["D", "E", "F", "O"]
    quotas = [("D", I, 10, 5), ("E", I, 4, 4), ("F", I, 10, 10), ("O", I, 5, 7)]
    demands = [{"id": "d1", "unit": "E", "tier": "emergency", "amount": 2, "end": 2021},
               {"id": "d2", "unit": "F", "tier": "operational", "amount": 1},
               {"id": "d3", "unit": "O", "tier": "key", "amount": 1}]
    s = world(tmp_path, units, quotas, demands, [], years=(2021, 2021),
              extra="retirement: none\n")
    one_year = plan_of(s, "horizon=null", "year=2021")
    horizon = plan_of(s)
    a, b = one_year.tables(), horizon.tables()
    cols = ["kind", "from_unit", "to_unit", "amount", "demand_id", "source"]
    assert a["moves"][cols].equals(b["moves"][cols])
    assert a["demands"][["demand_id", "met", "unmet_reason"]].equals(
        b["demands"][["demand_id", "met", "unmet_reason"]])
    assert a["units"].equals(b["units"])


def test_other_leavers_are_apportioned_by_the_largest_remainder():
    rows = pd.DataFrame({"unit_id": ["a", "b", "c", "d"], "quota_type": I,
                         "staff": [15, 15, 15, 100]})
    # 10% of 145 = 14.5 → 15 in all: 1.5, 1.5, 1.5, 10 → floors 1, 1, 1, 10 = 13; the two
    # left go to the largest fractions (.5 each), ties to the earlier unit ids: a, b
    got = attrition(rows, lambda qt: 0.1, np.zeros(4, dtype=np.int64))
    assert got.tolist() == [2, 2, 1, 10]
    # never more than the staff left after the year's retirements
    got = attrition(rows, lambda qt: 0.1, np.array([15, 0, 0, 0]))
    assert got[0] == 0 and got.sum() <= 15


# ---------------------------------------------------------------- tampering


def tamper_world(root: Path) -> Path:
    """A three-year plan touching every rule that links years (written by `bianzhi run`)."""
    s = world(root, ["D", "E", "F", "O"],
              [("D", I, 10, 5), ("E", I, 4, 4), ("F", I, 10, 10), ("O", I, 5, 7)],
              [{"id": "dE", "unit": "E", "tier": "emergency", "amount": 2, "end": 2021},
               {"id": "dF", "unit": "F", "tier": "operational", "amount": 2},
               {"id": "dO", "unit": "O", "tier": "operational", "amount": 1}],
              staff_rows("D", 5, ["1962-02"]) + staff_rows("E", 4) + staff_rows("F", 10, ["1962-03"])
              + staff_rows("O", 7, ["1961-02"] * 3),
              extra="attrition: {rate: 0.1}\naux: {reduction: 0.2}\n")
    aux_positions(root / "data")
    code = run_cli("run", s, "--out", root / "plan", "--no-marginals")
    assert code == 0
    return root / "plan"


def aux_positions(data: Path) -> None:
    """Off-quota posts at the full units E and F (no vacancy takes any over): 10 in all, one
    never approved; F's may be bought as a service."""
    write_table(data, "aux_positions", [
        {"unit_id": "E", "category": "medical", "headcount": 5, "approved": 5,
         "outsourceable": "no"},
        {"unit_id": "F", "category": "logistics", "headcount": 5, "approved": 4,
         "outsourceable": "yes"}])


@pytest.fixture(scope="module")
def years_world(tmp_path_factory) -> Path:
    return tamper_world(tmp_path_factory.mktemp("years"))


def read(plan: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(plan / f"{name}.csv", dtype=str, keep_default_na=False)


def write(plan: Path, name: str, frame: pd.DataFrame) -> None:
    frame.to_csv(plan / f"{name}.csv", index=False)
    tables = {n: pd.read_csv(plan / f"{n}.csv") for n in PLAN_TABLES
              if (plan / f"{n}.csv").exists()}
    write_workbook(tables, plan / "plan.xlsx", lang="zh", specs=PLAN_TABLES)


def bump(plan: Path, name: str, match: dict, col: str, by: int) -> None:
    t = read(plan, name)
    mask = np.ones(len(t), dtype=bool)
    for k, v in match.items():
        mask &= (t[k] == str(v)).to_numpy()
    assert mask.sum() == 1, (name, match)
    t.loc[mask, col] = str(int(t.loc[mask, col].iloc[0]) + by)
    write(plan, name, t)


def t_years_rows(plan):
    t = read(plan, "years")
    write(plan, "years", t[~((t["unit_id"] == "D") & (t["year"] == "2023"))])


def t_years_balance(plan):
    bump(plan, "years", {"unit_id": "D", "year": 2023}, "hires", 1)


def t_years_continuity(plan):
    # D starts 2022 with one more person, who leaves with a quota: the row still balances
    bump(plan, "years", {"unit_id": "D", "year": 2022}, "staff_start", 1)
    bump(plan, "years", {"unit_id": "D", "year": 2022}, "persons_out", 1)


def t_years_totals(plan):
    # one more quota at the end of 2023 appearing from nowhere, booked as moved in
    bump(plan, "years", {"unit_id": "D", "year": 2023}, "moved_in", 1)
    bump(plan, "years", {"unit_id": "D", "year": 2023}, "approved_end", 1)
    bump(plan, "years", {"unit_id": "D", "year": 2023}, "vacancy_end", 1)


def t_years_pool(plan):
    bump(plan, "pool_years", {"year": 2023}, "granted", 1)


def t_years_retirements(plan):
    t = read(plan, "retirements")
    write(plan, "retirements", pd.concat([t, t.iloc[[0]]], ignore_index=True))


def t_years_attrition(plan):
    # one leaver fewer in 2021 and one more in 2022: each row balances, the rate does not
    bump(plan, "years", {"unit_id": "F", "year": 2021}, "leavers", -1)
    bump(plan, "years", {"unit_id": "F", "year": 2021}, "staff_end", 1)
    bump(plan, "years", {"unit_id": "F", "year": 2022}, "staff_start", 1)
    bump(plan, "years", {"unit_id": "F", "year": 2022}, "leavers", 1)


def t_years_returns(plan):
    # E keeps its temporary quotas after the task (2022 returns nothing), the pool likewise
    bump(plan, "years", {"unit_id": "E", "year": 2022}, "returned", -2)
    for year in (2022, 2023):
        bump(plan, "years", {"unit_id": "E", "year": year}, "approved_end", 2)
        if year == 2023:
            bump(plan, "years", {"unit_id": "E", "year": year}, "approved_start", 2)
    t = read(plan, "years")
    for col in ("approved_end", "staff_end", "vacancy_end"):
        t[col] = t[col].astype(int)
    t["vacancy_end"] = (t["approved_end"] - t["staff_end"]).clip(lower=0)
    write(plan, "years", t.astype(str))
    bump(plan, "pool_years", {"year": 2022}, "returned", -2)
    bump(plan, "pool_years", {"year": 2022}, "balance_end", -2)
    bump(plan, "pool_years", {"year": 2023}, "balance_start", -2)
    bump(plan, "pool_years", {"year": 2023}, "balance_end", -2)


def t_years_demands(plan):
    bump(plan, "demand_years", {"demand_id": "dE", "year": 2021}, "met", -1)


def t_years_aux(plan):
    # the 2022 cap said one higher than ⌊10 × 0.8²⌋ = 6 (the year's own files agree)
    bump(plan, "aux_years", {"year": 2022}, "cap", 1)


def t_years_files(plan):
    # D's 2022 row still balances and runs on, but its year's own files say otherwise
    bump(plan, "years", {"unit_id": "D", "year": 2022}, "moved_in", 1)
    bump(plan, "years", {"unit_id": "D", "year": 2022}, "moved_out", 1)


TAMPERS = {name[2:]: fn for name, fn in dict(globals()).items()
           if name.startswith("t_") and callable(fn)}
# a tamper that cannot break one rule alone: the other rules it necessarily breaks
# (years.csv and demand_years.csv must also say what each year's own files say: a change to
# them is also a `years_files` violation; a missing row also breaks the run from year to year)
ALSO = {"years_totals": {"years_files"}, "years_rows": {"years_continuity"},
        "years_balance": {"years_files"}, "years_continuity": {"years_files"},
        "years_attrition": {"years_files"}, "years_returns": {"years_files"},
        "years_demands": {"years_files"}}


def test_every_years_rule_has_a_tampering_test():
    mine = {r.id for r in RULES.values() if r.part == "years"} | {"years_files"}
    assert mine == set(TAMPERS)


def test_the_untampered_plan_verifies(years_world):
    assert verify_folder(years_world) == []
    # every year folder is there, with the year's flows
    for y in (2021, 2022, 2023):
        assert (years_world / "years" / str(y) / "flows.csv").is_file()


@pytest.mark.parametrize("rule_id", sorted(TAMPERS))
def test_one_tamper_one_rule(rule_id, years_world, tmp_path):
    plan = tmp_path / "plan"
    shutil.copytree(years_world, plan)
    TAMPERS[rule_id](plan)
    got = {v.rule_id for v in verify_folder(plan)}
    assert got == {rule_id} | ALSO.get(rule_id, set()), got


def test_the_off_quota_cut_is_cumulative_on_the_locked_base(years_world):
    """aux.reduction 0.2 a year on the base of 10: caps 8, 6, 5 (⌊10 × 0.8ⁿ⌋); the never
    approved post ends first, then F's outsourceable posts go to services, E's medical posts
    last; each year starts with what the year before kept."""
    a = pd.read_csv(years_world / "aux_years.csv")
    assert a["cap"].tolist() == [8, 6, 5]
    assert a["approved_after"].tolist() == [8, 6, 5]
    assert a["headcount_start"].tolist() == [10, 8, 6]
    assert a["to_services"].tolist() == [1, 2, 1]
    assert a["ended"].tolist() == [1, 0, 0]
    y3 = pd.read_csv(years_world / "years" / "2023" / "aux_plan.csv").set_index("unit_id")
    assert y3.at["E", "approved_after"] == 5 and y3.at["F", "approved_after"] == 0
    s = json.loads((years_world / "summary.json").read_text(encoding="utf-8"))
    assert s["years"]["2023"]["aux"]["approved_after"] == 5


def test_the_report_shows_the_off_quota_cut_per_year(years_world):
    from test_report_years import figure, values

    from solver.report.html import render_report

    page = render_report(years_world)
    traces = {t["name"]: values(t) for t in figure(page, "chart-years-aux")}
    assert traces == {"年末员额": [8, 6, 5], "转购买服务": [1, 2, 1], "清退": [1, 0, 0],
                      "当年上限": [8, 6, 5]}
    assert "table-aux-years" in page and "编外人员分年度压减" in page


def test_a_later_years_off_quota_plan_is_held_to_its_cumulative_cap(years_world, tmp_path):
    """One more post kept in 2023 (one fewer ended): within the first year's cap of 8, above
    2023's 5 — aux_locked_base fires in 2023 (and aux_years.csv no longer says the same)."""
    plan = tmp_path / "plan"
    shutil.copytree(years_world, plan)
    path = plan / "years" / "2023" / "aux_plan.csv"
    t = pd.read_csv(path)
    f = t["unit_id"] == "F"
    t.loc[f, "approved_after"] += 1
    t.loc[f, "to_services"] -= 1
    t.to_csv(path, index=False)
    got = {(v.rule_id, v.where.split(",")[0]) for v in verify_folder(plan)}
    assert got == {("aux_locked_base", "year 2023"), ("years_files", "aux_years.csv")}, got


# ---------------------------------------------------------------- the bundled 十四五 scenario


def test_the_bundled_five_year_scenario_answers_its_questions():
    repo = Path(__file__).resolve().parents[1]
    plan = plan_of(repo / "scenarios" / "fourteenth-five-year.yaml")  # every rule checked
    s = build_summary(plan)
    assert list(s["years"]) == ["2021", "2022", "2023", "2024", "2025"]
    for year, y in s["years"].items():
        # quotas free up every year: the register's retirements and 1% other leavers
        assert y["retirements"] > 1000 and y["leavers"] > 500, year
        for qt, r in y["reserve"].items():  # the reserve holds at every year's end
            assert r["vacancy_after"] >= r["floor"], (year, qt)
    # which requests are met in which year: every met demand has its year
    d = plan.tables()["demands"]
    assert d.loc[d["met"] > 0, "met_year"].notna().all()
    assert s["horizon"]["replay_shortfall"] == 0
    # the emergency quotas of tasks ending 2022 and 2023 come back in 2023 and 2024
    assert s["years"]["2023"]["returned"] > 0 and s["years"]["2024"]["returned"] > 0
    # the off-quota headcount falls every year within ⌊base × 0.9ⁿ⌋ (aux.reduction 0.1)
    kept = [y["aux"]["approved_after"] for y in s["years"].values()]
    caps = [y["aux"]["cap"] for y in s["years"].values()]
    assert all(k <= c for k, c in zip(kept, caps)) and kept == sorted(kept, reverse=True)
    assert kept[-1] < kept[0]


@pytest.mark.parametrize("foresight", ["myopic", "perfect"])
def test_mergers_over_several_years_happen_in_the_first_year_only(foresight):
    """With consolidation the plan merged in the first year and verify wanted mergers.csv in
    every year (plan_tables_present refused the plan); later years carry the merged units."""
    repo = Path(__file__).resolve().parents[1]
    plan = plan_of(repo / "scenarios" / "fourteenth-five-year.yaml",
                   "consolidation.enabled=true", f"horizon.foresight={foresight}")
    years = plan.year_tables()
    assert (years[0][1]["mergers"]["role"] == "absorbed").sum() > 0
    assert all("mergers" not in t for _, t in years[1:])


def test_a_horizon_starting_after_the_data_year_checks_ages_in_the_data_year():
    # the surplus people's ages are given in 2021 (the data's year); a plan of 2024–2025 moves
    # them on three years. The years' own demands no longer say 2021 (the dated emergency
    # demands have ended): verify must still read the ages in 2021, as the run did.
    repo = Path(__file__).resolve().parents[1]
    plan = plan_of(repo / "scenarios" / "fourteenth-five-year.yaml", "horizon.start=2024",
                   "horizon.foresight=myopic")
    assert plan.verify() == []
    assert build_summary(plan)["cadres"]["plan_year"] == 2024


def test_retirements_off_the_schedule_are_each_named(years_world, tmp_path):
    """years_retirements on a retirements.csv with a person the register lacks, a retirement
    in the wrong year and one left out: each is named."""
    plan = tmp_path / "plan"
    shutil.copytree(years_world, plan)
    t = read(plan, "retirements")
    assert len(t) >= 3
    left_out = t.iloc[2]["person_id"]
    t.loc[0, "person_id"] = "nobody"
    t.loc[1, "year"] = str(int(t.loc[1, "year"]) + 1)
    write(plan, "retirements", t.drop(index=2))
    found = [v.message for v in verify_folder(plan) if v.rule_id == "years_retirements"]
    assert any("person nobody is not in the staff register" in m for m in found), found
    assert any(m.startswith(f"person {t.loc[1, 'person_id']} retires in "
                            f"{t.loc[1, 'year']}") for m in found), found
    assert any(f"person {left_out} reaches the statutory age" in m for m in found), found


def test_demand_years_disagreeing_with_demands_are_each_named(years_world, tmp_path):
    """years_demands names a demand whose years add up to another met, and one whose met_year
    is not its last year with a quota."""
    plan = tmp_path / "plan"
    shutil.copytree(years_world, plan)
    bump(plan, "demand_years", {"demand_id": "dE", "year": 2021}, "met", -1)
    d = read(plan, "demands")
    k = d.index[d["met_year"] != ""][0]
    wrong = int(d.loc[k, "met_year"]) + 1
    d.loc[k, "met_year"] = str(wrong)
    write(plan, "demands", d)
    found = [v.message for v in verify_folder(plan) if v.rule_id == "years_demands"]
    assert any(m.startswith("demand dE: met ") and "in demand_years.csv" in m
               for m in found), found
    assert any(m.startswith(f"demand {d.loc[k, 'demand_id']}: met_year {wrong}, its last met "
                            "quota came in") for m in found), found
