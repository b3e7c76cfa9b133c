"""One tampering test per verify rule (solver/verify): a correct plan, one thing changed,
`bianzhi verify` exits 3 and exactly that rule fires.

The plans are real: small input folders built with conftest's helpers, a scenario file, the
real `bianzhi run`, the plan folder on disk. A tampered CSV is written back together with a
plan.xlsx made from the tampered CSVs (a tamperer edits both), so the workbook rule stays
quiet unless it is the one under test. Rules that depend on a scenario setting are tested by
a plan made under a laxer `--set`, whose summary.json is then rewritten to claim the scenario
file's stricter value (the record no longer says a `--set` was used).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import make_inputs, write_table

from solver.cli import main
from solver.domain import PLAN_TABLES
from solver.io.write import write_workbook
from solver.ledger import build_ledger
from solver.verify import RULES, verify_folder
from solver.verify.core import MalformedTable, normalise_table

I = "institution"

UNITS = [
    {"unit_id": "P", "kind": "organ", "system": "health"},
    {"unit_id": "D1"},                                     # donor: 10 vacant
    {"unit_id": "T"},                                      # full, operational demand (gated)
    {"unit_id": "K"},                                      # full, key demand
    {"unit_id": "O"},                                      # over quota
    {"unit_id": "L", "function_status": "lapsed"},         # lapsed: vacancies withdrawn
    {"unit_id": "E"},                                      # emergency demand, pool grant
    {"unit_id": "A"},                                      # home unit of the surplus people
    # small institutions of P: merge. S1 (the keeper: the larger) keeps 3 leader posts, above
    # the limit of 2 for the merged size 4 (under the hard limit S2 would keep)
    {"unit_id": "S1", "parent_id": "P", "leader_posts": 3},
    {"unit_id": "S2", "parent_id": "P"},
    {"unit_id": "R", "region": "r2"},                      # own vacancy
    {"unit_id": "R2", "region": "r2"},                     # donor in r2
    {"unit_id": "RP", "region": "r2", "kind": "organ"},    # home of a person of r2
    {"unit_id": "B", "region": "r2"},                      # big key demand: r2 at its floor
    {"unit_id": "X", "region": "r3", "system": "transport", "sector": "economy"},
]
QUOTAS = [
    ("P", "administrative", 10, 10), ("D1", I, 20, 10), ("T", I, 10, 10), ("K", I, 10, 10),
    ("O", I, 5, 7), ("L", I, 6, 2), ("E", I, 8, 8), ("A", I, 10, 10), ("S1", I, 3, 2),
    ("S2", I, 2, 2), ("R", I, 10, 8), ("R2", I, 10, 5), ("B", I, 10, 10), ("X", I, 10, 5),
    ("RP", "administrative", 5, 5),
]
DEMANDS = [
    ("dT", "T", I, "operational", 2), ("dK", "K", I, "key", 2), ("dO", "O", I, "operational", 1),
    ("dE", "E", I, "emergency", 1, 2023), ("dR", "R", I, "operational", 1),
    ("dB", "B", I, "key", 20), ("dD", "D1", I, "operational", 1),
]
POOL = [("r1", I, 5), ("r2", I, 2)]
PERSON = {
    "unit_id": "P", "quota_type": "administrative", "cadre_level": "city_managed", "gender": "M", "age": 50,
    "service_years": 25, "health": "healthy", "work_status": "in_charge",
    "surplus_reason": "reform", "skills": "", "preferences": "", "wants_return": "no",
    "willing_early_retirement": "no",
}
PEOPLE = [
    {**PERSON, "person_id": "p1", "age": 58, "service_years": 35,
     "willing_early_retirement": "yes"},                                   # retires early
    {**PERSON, "person_id": "p2", "wants_return": "yes"},                  # one of p2, p5
    {**PERSON, "person_id": "p5", "wants_return": "yes"},                  # returns to P
    {**PERSON, "person_id": "p3", "health": "serious"},                    # stays
    {**PERSON, "person_id": "p4", "surplus_reason": "missing"},            # formal notice
    {**PERSON, "person_id": "p8", "age": 53},                              # above G's max_age
    {**PERSON, "person_id": "p9", "age": 45},                              # task group G
    {**PERSON, "person_id": "p6", "unit_id": "A", "quota_type": I},        # transfers to K
    {**PERSON, "person_id": "p7", "unit_id": "RP"},                        # task group H (r2)
]
GROUPS = [
    {"group_id": "G", "name": "group G", "min_size": 1, "max_size": 10, "skills": "",
     "max_age": 52, "region": "r1"},
    {"group_id": "H", "name": "group H", "min_size": 0, "max_size": 10, "skills": "",
     "max_age": None, "region": "r2"},
]
AUX = [("D1", "logistics", 5, 5, "yes"), ("E", "medical", 6, 6, "no"),
       ("R", "service_window", 2, 2, "yes")]
BASE_YAML = "name: verify-base\ndata: data\nyear: 2021\n" \
            "consolidation: {enabled: true, threshold: 5, max_size: 30}\n"


def build_inputs(folder: Path) -> Path:
    make_inputs(folder, UNITS, QUOTAS, DEMANDS, POOL)
    write_table(folder, "people", PEOPLE)
    write_table(folder, "task_groups", GROUPS)
    write_table(folder, "aux_positions", [
        {"unit_id": a[0], "category": a[1], "headcount": a[2], "approved": a[3],
         "outsourceable": a[4]} for a in AUX])
    return folder


def bianzhi(capsys, *args: str) -> tuple[int, str]:
    """The real command, in-process: (exit code, stdout + stderr)."""
    capsys.readouterr()
    try:
        main([*map(str, args)])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out + out.err


def run_plan(capsys, scenario: Path, out: Path, *sets: str) -> Path:
    args = ["run", scenario, "--out", out, "--no-marginals"]
    for s in sets:
        args += ["--set", s]
    code, text = bianzhi(capsys, *args)
    assert code == 0, text
    return out


def cli(*args) -> int:
    """The real command in-process, output left to pytest's capture: the exit code."""
    try:
        main([*map(str, args)])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


def make_world(root: Path) -> Path:
    """Inputs, the base scenario file and its plan (written by the real `bianzhi run`)."""
    build_inputs(root / "data")
    (root / "base.yaml").write_text(BASE_YAML, encoding="utf-8")
    assert cli("run", root / "base.yaml", "--out", root / "plan", "--no-marginals") == 0
    return root


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    """One correct plan for the module (copied before any tampering)."""
    return make_world(tmp_path_factory.mktemp("verify"))


# ---------------------------------------------------------------- tampering helpers


def read(plan: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(plan / f"{name}.csv", dtype=str, keep_default_na=False)


def rebuild_workbook(plan: Path) -> None:
    """plan.xlsx made again from the CSV files as they now are."""
    tables = {name: pd.read_csv(plan / f"{name}.csv") for name in PLAN_TABLES
              if (plan / f"{name}.csv").exists()}
    write_workbook(tables, plan / "plan.xlsx", lang="zh", specs=PLAN_TABLES)


def write(plan: Path, name: str, frame: pd.DataFrame) -> None:
    frame.to_csv(plan / f"{name}.csv", index=False, lineterminator="\n")
    if name != "ledger":
        rebuild_ledger(plan)
    rebuild_workbook(plan)


def rebuild_ledger(plan: Path) -> None:
    """ledger.csv made again from the tampered tables, as a careful tamperer would: causes
    from moves, demands and assignments, before and after from units.csv (the take-over
    kept). A tamper that breaks a unit's account then shows in the ledger too."""
    def table(name):
        path = plan / f"{name}.csv"
        return pd.read_csv(path, dtype=str, keep_default_na=False) if path.exists() else None

    old = table("ledger")
    u = table("units")
    try:
        tables = {n: normalise_table(n, table(n)) for n in ("units", "moves", "demands")}
        extra = {n: normalise_table(n, table(n)) for n in ("assignments", "mergers")
                 if table(n) is not None}
    except MalformedTable:
        return  # a file made unreadable on purpose: the ledger stays as it was
    takeover = old[["unit_id", "quota_type", "takeover"]].assign(
        takeover=lambda f: f["takeover"].astype(int))
    led = build_ledger(tables["units"], tables["moves"], tables["demands"],
                       extra.get("assignments"), extra.get("mergers"), takeover)
    figures = u.set_index(["unit_id", "quota_type"])[
        ["approved_before", "approved_after", "staff_before", "staff_after"]].astype(int)
    led = led.set_index(["unit_id", "quota_type"])
    for col in figures:
        led[col] = figures[col].reindex(led.index).to_numpy()
    led["vacancy_after"] = (led["approved_after"] - led["staff_after"]).clip(lower=0)
    led["over_after"] = (led["staff_after"] - led["approved_after"]).clip(lower=0)
    led["vacancy_free"] = led["vacancy_after"] - led["returns_held"] - led["takeover"]
    led.reset_index()[list(old.columns)].to_csv(plan / "ledger.csv", index=False,
                                                 lineterminator="\n")


def edit_summary(plan: Path, change) -> None:
    path = plan / "summary.json"
    summary = json.loads(path.read_text(encoding="utf-8"))
    change(summary)
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")


def add(frame: pd.DataFrame, **row) -> pd.DataFrame:
    row = {"persons": 0, **row}  # a move carries nobody unless it says so
    return pd.concat([frame, pd.DataFrame([{c: str(row.get(c, "")) for c in frame.columns}])],
                     ignore_index=True)


def at(frame: pd.DataFrame, **match) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for col, value in match.items():
        mask &= frame[col] == value
    assert mask.sum() >= 1, match
    return mask


def bump(frame: pd.DataFrame, mask: pd.Series, col: str, by: int) -> None:
    frame.loc[mask, col] = (frame.loc[mask, col].astype(int) + by).astype(str)


def change_units(plan: Path, **deltas: tuple[int, int]) -> None:
    """Add (approved_after, staff_after) deltas to units.csv rows of institution quota."""
    u = read(plan, "units")
    for uid, (da, ds) in deltas.items():
        row = at(u, unit_id=uid, quota_type=I)
        bump(u, row, "approved_after", da)
        bump(u, row, "staff_after", ds)
    write(plan, "units", u)


def change_option(plan: Path, **options: str) -> None:
    a = read(plan, "assignments")
    for pid, option in options.items():
        row = at(a, person_id=pid)
        a.loc[row, "option"] = option
        a.loc[row, "group_id"] = option[len("group:"):] if option.startswith("group:") else ""
        if option.startswith("group:"):
            a.loc[row, "option"] = "group"
        a.loc[row, ["to_unit", "demand_id"]] = ""
    write(plan, "assignments", a)


def in_group(plan: Path, group: str) -> list[str]:
    a = read(plan, "assignments")
    return sorted(a.loc[(a["option"] == "group") & (a["group_id"] == group), "person_id"])


def returner(plan: Path) -> str:
    a = read(plan, "assignments")
    return a.loc[a["option"] == "return", "person_id"].iat[0]


# ---------------------------------------------------------------- one tamper per rule


def t_unit_row_missing(plan):
    u = read(plan, "units")
    write(plan, "units", u[u["unit_id"] != "X"])  # X: nothing changes there


def t_ghost_unit_row(plan):
    u = read(plan, "units")
    write(plan, "units", add(u, unit_id="GHOST", quota_type=I, approved_before=0,
                             approved_after=0, staff_before=0, staff_after=0, region="r1"))


def t_unit_row_changed(plan):
    u = read(plan, "units")
    bump(u, at(u, unit_id="X"), "approved_before", 1)
    write(plan, "units", u)


def t_demand_row_missing(plan):
    d = read(plan, "demands")
    write(plan, "demands", d[d["demand_id"] != "dO"])  # unmet, no move names it


def t_ghost_demand_row(plan):
    d = read(plan, "demands")
    write(plan, "demands", add(d, demand_id="dGHOST", unit_id="X", quota_type=I,
                               tier="operational", amount=1, met=0, met_own=0,
                               met_transfer=0, unmet_reason="reserve_floor"))


def t_demand_row_changed(plan):
    d = read(plan, "demands")
    d.loc[at(d, demand_id="dT"), "amount"] = "3"
    write(plan, "demands", d)


def t_pool_row_changed(plan):
    p = read(plan, "pool")
    bump(p, at(p, region="r1", quota_type=I), "balance_before", 1)
    write(plan, "pool", p)


def t_ghost_pool_row(plan):
    p = read(plan, "pool")
    write(plan, "pool", add(p, region="r9", quota_type=I, balance_before=0, balance_after=0,
                            withdrawn=0, merge_released=0, granted=0))


def t_person_missing(plan):
    a = read(plan, "assignments")
    write(plan, "assignments", a[a["person_id"] != "p3"])


def t_ghost_person(plan):
    a = read(plan, "assignments")
    write(plan, "assignments", add(a, person_id="pGHOST", option="stay", unit_id="P",
                                   quota_type="administrative", follow_up="no"))


def t_person_row_changed(plan):
    a = read(plan, "assignments")
    a.loc[at(a, person_id="p3"), "unit_id"] = "RP"
    write(plan, "assignments", a)


def t_aux_row_missing(plan):
    t = read(plan, "aux_plan")
    write(plan, "aux_plan", t[t["unit_id"] != "R"])


def t_ghost_aux_row(plan):
    t = read(plan, "aux_plan")
    write(plan, "aux_plan", add(t, unit_id="D1", category="medical", headcount_before=1,
                                approved_after=1, to_services=0, ended=0))


def t_aux_row_changed(plan):
    t = read(plan, "aux_plan")
    bump(t, at(t, unit_id="E"), "headcount_before", 1)
    write(plan, "aux_plan", t)


def t_duplicate_row(plan):
    d = read(plan, "demands")
    write(plan, "demands", pd.concat([d, d[d["demand_id"] == "dT"]], ignore_index=True))


def t_plan_tables_present(plan):
    (plan / "aux_plan.csv").unlink()
    rebuild_workbook(plan)


def t_move_vocabulary(plan):
    m = read(plan, "moves")
    m.loc[at(m, kind="transfer", from_unit="D1", to_unit="E"), "source"] = "friendship"
    write(plan, "moves", m)


def t_type_not_held(plan):
    m = read(plan, "moves")
    write(plan, "moves", add(m, kind="transfer", quota_type="political_legal", from_unit="D1",
                             to_unit="K", amount=1, source="same_system"))


def t_cross_region(plan):
    # a pair of transfers that cancel out: every figure still adds up, but quotas crossed
    m = read(plan, "moves")
    m = add(m, kind="transfer", quota_type=I, from_unit="D1", to_unit="X", amount=1,
            source="other")
    write(plan, "moves", add(m, kind="transfer", quota_type=I, from_unit="X", to_unit="D1",
                             amount=1, source="other"))


def t_only_vacant_leave(plan):
    # the full unit T, not D1, gives the quota E received
    m = read(plan, "moves")
    m.loc[at(m, kind="transfer", from_unit="D1", to_unit="E"), "from_unit"] = "T"
    write(plan, "moves", m)
    change_units(plan, T=(-1, 0), D1=(1, 0))


def t_approved_change_explained(plan):
    change_units(plan, D1=(1, 0), K=(-1, 0))  # totals kept: only the units' figures move


def t_staff_change_explained(plan):
    change_units(plan, D1=(0, -1))


def _redirect_into(plan, unit):
    """The transfer D1 → K goes to `unit` instead (units.csv follows)."""
    m = read(plan, "moves")
    m.loc[at(m, kind="transfer", from_unit="D1", to_unit="K"), "to_unit"] = unit
    write(plan, "moves", m)
    change_units(plan, K=(-1, 0), **{unit: (1, 0)})


def t_over_quota_receipt(plan):
    _redirect_into(plan, "O")


def t_lapsed_receipt(plan):
    _redirect_into(plan, "L")


def t_lapsed_withdrawn(plan):
    m = read(plan, "moves")
    m.loc[at(m, kind="withdraw", from_unit="L"), "amount"] = "3"
    write(plan, "moves", m)
    change_units(plan, L=(1, 0))
    p = read(plan, "pool")
    row = at(p, region="r1", quota_type=I)
    bump(p, row, "balance_after", -1)
    bump(p, row, "withdrawn", -1)
    write(plan, "pool", p)


def t_demand_met(plan):
    d = read(plan, "demands")
    row = at(d, demand_id="dD")
    assert d.loc[row, "met_own"].iat[0] == "1"
    d.loc[row, "met_own"] = "0"
    write(plan, "demands", d)


def t_unmet_reason(plan):
    d = read(plan, "demands")
    d.loc[at(d, demand_id="dT"), "unmet_reason"] = ""
    write(plan, "demands", d)


def t_total_not_raised(plan):
    # a unit the inputs do not have, holding 5 quotas: both its ghost row and the raised
    # total are reported
    u = read(plan, "units")
    write(plan, "units", add(u, unit_id="GHOST", quota_type=I, approved_before=0,
                             approved_after=5, staff_before=0, staff_after=0, region="r1"))


def t_pool_balance(plan):
    p = read(plan, "pool")
    bump(p, at(p, region="r1", quota_type=I), "balance_after", -1)
    write(plan, "pool", p)


def t_temporary_until(plan):
    m = read(plan, "moves")
    m.loc[at(m, demand_id="dE"), "temporary_until"] = ""
    write(plan, "moves", m)


def t_merger_freed(plan):
    # S2 claims to free one more quota than the merger has vacant; the moves do not carry it
    m = read(plan, "mergers")
    bump(m, at(m, unit_id="S2"), "freed", 1)
    write(plan, "mergers", m)


def t_merger_release(plan):
    # the merger frees as much as before, but from S1 instead of S2, as no move says
    m = read(plan, "mergers")
    bump(m, at(m, unit_id="S2"), "freed", -1)
    bump(m, at(m, unit_id="S1"), "freed", 1)
    write(plan, "mergers", m)


def t_aux_balance(plan):
    t = read(plan, "aux_plan")
    bump(t, at(t, unit_id="E"), "ended", 1)
    write(plan, "aux_plan", t)


def t_aux_outsourceable(plan):
    t = read(plan, "aux_plan")
    row = at(t, unit_id="E", outsourceable="no")
    bump(t, row, "approved_after", -1)
    bump(t, row, "to_services", 1)
    write(plan, "aux_plan", t)


def t_unknown_option(plan):
    a = read(plan, "assignments")
    a.loc[at(a, person_id="p3"), "option"] = "sabbatical"
    write(plan, "assignments", a)


def t_early_retirement(plan):
    # p9 (45, 25 years of service) is not eligible; P's staff follows the retirement
    assert "p9" in in_group(plan, "G") and len(in_group(plan, "G")) >= 2
    change_option(plan, p9="early_retirement")
    u = read(plan, "units")
    bump(u, at(u, unit_id="P"), "staff_after", -1)
    write(plan, "units", u)


def t_seriously_ill(plan):
    change_option(plan, p3="group:G")


def t_follow_up(plan):
    change_option(plan, p4="group:G")


def t_return_asked(plan):
    # the person who asked goes to the group, p9 (who did not ask) returns in the same post
    change_option(plan, **{returner(plan): "group:G", "p9": "return"})


def t_return_posts(plan):
    # P has one post (p1 retires): a second person who asked returns too
    other = ({"p2", "p5"} - {returner(plan)}).pop()
    assert other in in_group(plan, "G")
    change_option(plan, **{other: "return"})


def t_group_size(plan):
    change_option(plan, **{pid: "stay" for pid in in_group(plan, "G")})


def t_group_region(plan):
    change_option(plan, p7="group:G")


def t_group_max_age(plan):
    change_option(plan, p8="group:G")


def t_transfer_target(plan):
    # p6 and the move say D1, but the demand dK is K's; units.csv follows the move
    a = read(plan, "assignments")
    a.loc[at(a, person_id="p6"), "to_unit"] = "D1"
    write(plan, "assignments", a)
    m = read(plan, "moves")
    m.loc[at(m, kind="transfer_with_person", to_unit="K"), "to_unit"] = "D1"
    write(plan, "moves", m)
    change_units(plan, K=(-1, -1), D1=(1, 1))


def t_transfer_moves(plan):
    change_option(plan, p6="stay")


def _ledger_bump(plan, unit, **deltas):
    led = read(plan, "ledger")
    row = at(led, unit_id=unit)
    for col, by in deltas.items():
        bump(led, row, col, by)
    write(plan, "ledger", led)


def t_ledger_rows(plan):
    led = read(plan, "ledger")
    write(plan, "ledger", led[led["unit_id"] != "X"])


def t_ledger_balance(plan):
    _ledger_bump(plan, "X", vacancy_free=1)  # X's 5 vacancies counted as 6 left


def t_ledger_units(plan):
    # X's account starts (and so ends) one quota higher than units.csv says; it balances
    _ledger_bump(plan, "X", approved_before=1, approved_after=1, vacancy_after=1,
                 vacancy_free=1)


def t_ledger_causes(plan):
    # B got its pool grant by transfer, the ledger says; the total is the same
    _ledger_bump(plan, "B", in_transfer=-1, in_pool_grant=1)


def t_vacancy_used_once(plan):
    # D1's 7 vacancies: 5 take over its off-quota work; 3 more claimed for it than are left
    _ledger_bump(plan, "D1", takeover=3, vacancy_free=-3)


def t_takeover_applied(plan):
    _ledger_bump(plan, "X", takeover=1, vacancy_free=-1)  # X has no off-quota positions


def t_workbook_differs(plan):
    m = read(plan, "moves")
    m.loc[0, "reason"] = "edited in the CSV only"
    m.to_csv(plan / "moves.csv", index=False, lineterminator="\n")  # plan.xlsx not rebuilt


def t_scenario_differs(plan):
    def weaken(s):
        s["scenario"]["policy"]["reserve_rate"] = 0.0
    edit_summary(plan, weaken)


TAMPERS = {name[2:]: fn for name, fn in dict(globals()).items()
           if name.startswith("t_") and callable(fn)}
# a tamper that cannot break one rule alone: the other rules it necessarily breaks
ALSO = {"total_not_raised": {"ghost_unit_row", "ledger_balance"},
        "merger_freed": {"merger_release"},
        # plan.xlsx cannot even hold an unknown code: reading it back refuses the value
        "move_vocabulary": {"workbook_differs"}, "unknown_option": {"workbook_differs"},
        # a unit's figures changed without a cause: its ledger row no longer balances
        "approved_change_explained": {"ledger_balance"},
        "staff_change_explained": {"ledger_balance"}, "unit_row_changed": {"ledger_balance"},
        # a second return into P's one vacant post uses that vacancy twice
        "return_posts": {"vacancy_used_once"}}

# rules of a scenario setting: (dotted key, the stricter value in a scenario file, the laxer
# value the plan was made with by --set)
LAX = {
    "reserve_floor": ("policy.reserve_rate", 0.03, 0.0),
    "full_unit_gate": ("policy.full_units_release_first", ["operational"], []),
    "key_demand_hard": ("policy.key_demands_hard", True, False),
    # (a threshold above max_size is refused by the scenario schema: both move together)
    "merger_size": ("consolidation", {"threshold": 3, "max_size": 3},
                    {"threshold": 5, "max_size": 30}),
    "merger_members": ("consolidation.threshold", 2, 5),
    "merger_leader_posts": ("leader_posts.hard_limit_on_mergers", True, False),
    "aux_locked_base": ("aux.reduction", 0.5, 0.1),
}
# rules whose tests change files outside the plan folder (a world of their own); the rules of
# multi-year plans have their tampering tests in tests/test_years.py (a multi-year world)
OUTSIDE = {"inputs_changed", "scenario_file_changed", "years_files",
           *(r.id for r in RULES.values() if r.part == "years")}
MALFORMED = {
    "summary truncated": lambda plan: (plan / "summary.json").write_text(
        (plan / "summary.json").read_text(encoding="utf-8")[:200], encoding="utf-8"),
    "summary not an object": lambda plan: (plan / "summary.json").write_text("[1, 2]\n"),
    "summary nested too deep": lambda plan: (plan / "summary.json").write_text(
        "[" * 100_000 + "]" * 100_000),
    "summary without inputs": lambda plan: edit_summary(plan, lambda s: s.pop("inputs")),
    "summary resolution garbled": lambda plan: edit_summary(
        plan, lambda s: s["scenario"]["resolution"].update(point=[1], checksums="x")),
    "a CSV missing": lambda plan: (plan / "demands.csv").unlink(),
    "a CSV garbled": lambda plan: (plan / "units.csv").write_bytes(b"\xff\xfe\x00garbage\n"),
    "a column missing": lambda plan: write(plan, "pool", read(plan, "pool").drop(
        columns=["balance_after"])),
    "a cell not a number": lambda plan: _set_cell(plan, "units", "approved_after", "12a"),
    "a count too big": lambda plan: _set_cell(plan, "moves", "amount", "1" + "0" * 30),
    "an unclosed quote": lambda plan: (plan / "moves.csv").write_text(
        (plan / "moves.csv").read_text(encoding="utf-8") + '"withdraw,institution\n'),
}


def _set_cell(plan, name, col, value):
    t = read(plan, name)
    t.loc[0, col] = value
    write(plan, name, t)


RULE_ID = re.compile(r"^\s+- \[(\w+)\]", re.MULTILINE)


def verify(capsys, plan: Path) -> tuple[int, set[str], str]:
    """`bianzhi verify PLAN`: exit code, the rule ids it printed, its output."""
    code, text = bianzhi(capsys, "verify", plan)
    assert "Traceback" not in text and "internal error" not in text, text
    return code, set(RULE_ID.findall(text)), text


def fired(plan: Path) -> tuple[set[str], list]:
    violations = verify_folder(plan)
    return {v.rule_id for v in violations}, violations


def copy_plan(world: Path, tmp_path: Path) -> Path:
    plan = tmp_path / "plan"
    shutil.copytree(world / "plan", plan)
    return plan


# ---------------------------------------------------------------- the tests


def test_the_base_plans_verify(world, capsys):
    code, text = bianzhi(capsys, "verify", world / "plan")
    assert code == 0, text
    assert "every hard rule holds" in text
    a = read(world / "plan", "assignments").set_index("person_id")["option"].to_dict()
    # the plan holds what the tampering tests rely on
    assert a["p1"] == "early_retirement" and a["p6"] == "transfer" and a["p7"] == "group"
    assert sorted([a["p2"], a["p5"]]) == ["group", "return"] and a["p9"] == "group"
    assert (a["p3"], a["p4"], a["p8"]) == ("stay", "stay", "stay")


@pytest.mark.parametrize("rule_id", sorted(TAMPERS))
def test_one_tamper_one_rule(rule_id, world, tmp_path, capsys):
    plan = copy_plan(world, tmp_path)
    TAMPERS[rule_id](plan)
    want = {rule_id} | ALSO.get(rule_id, set())
    code, got, text = verify(capsys, plan)
    assert (code, got) == (3, want), text


def lax_plan(world: Path, tmp_path: Path, key: str, strict, lax) -> Path:
    """A plan made under `--set key=lax` from a scenario file saying `key: strict`, whose
    summary.json then claims the file's value with no --set recorded."""
    tree: dict = {}
    node = tree
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = strict
    strict_file = tmp_path / "strict.yaml"
    strict_file.write_text(yaml.safe_dump({"extends": str(world / "base.yaml"), **tree}),
                           encoding="utf-8")
    plan = tmp_path / "plan"
    assert cli("run", strict_file, "--out", plan, "--no-marginals",
               "--set", f"{key}={json.dumps(lax)}") == 0

    def claim_strict(summary):
        summary["scenario"]["resolution"]["sets"] = []
        node = summary["scenario"]
        for part in parts[:-1]:
            node = node[part]
        if isinstance(strict, dict):  # a map merges key by key, as in the files
            node[parts[-1]].update(strict)
        else:
            node[parts[-1]] = strict

    edit_summary(plan, claim_strict)
    return plan


@pytest.mark.parametrize("rule_id", sorted(LAX))
def test_a_plan_made_under_a_laxer_setting_breaks_its_rule(rule_id, world, tmp_path, capsys):
    plan = lax_plan(world, tmp_path, *LAX[rule_id])
    code, got, text = verify(capsys, plan)
    assert (code, got) == (3, {rule_id}), text


@pytest.mark.parametrize("what", sorted(MALFORMED))
def test_a_malformed_plan_file_is_exit_3_naming_the_file(what, world, tmp_path, capsys):
    plan = copy_plan(world, tmp_path)
    MALFORMED[what](plan)
    code, got, text = verify(capsys, plan)
    assert (code, got) == (3, {"malformed_file"}), text
    assert str(plan) in text


def test_changed_inputs_are_caught(tmp_path, capsys):
    root = make_world(tmp_path / "w")
    with open(root / "data" / "demands.csv", "a", encoding="utf-8") as fh:
        fh.write("\n")  # the same table, other bytes
    code, got, text = verify(capsys, root / "plan")
    assert (code, got) == (3, {"inputs_changed"}), text


def test_a_changed_scenario_file_is_caught(tmp_path, capsys):
    root = make_world(tmp_path / "w")
    with open(root / "base.yaml", "a", encoding="utf-8") as fh:
        fh.write("# edited after the plan was made\n")
    code, got, text = verify(capsys, root / "plan")
    assert (code, got) == (3, {"scenario_file_changed"}), text
    # a real change: the summary no longer matches what the file resolves to either
    (root / "base.yaml").write_text(BASE_YAML + "policy: {reserve_rate: 0.2}\n")
    got, violations = fired(root / "plan")
    assert {"scenario_file_changed", "scenario_differs"} <= got, [str(v) for v in violations]
    # a scenario file gone: the inputs cannot be found, exit 2 naming the paths tried
    (root / "base.yaml").unlink()
    code, got, text = verify(capsys, root / "plan")
    assert code == 2 and str(root / "base.yaml") in text and "--data" in text, text


def test_a_plan_from_a_bare_data_path_is_checked_under_the_defaults_and_its_sets(
        world, tmp_path):
    plan = tmp_path / "plan"
    assert cli("run", world / "data", "--out", plan, "--no-marginals",
               "--set", "year=2021", "--set", "consolidation.enabled=true") == 0
    assert verify_folder(plan) == []
    edit_summary(plan, lambda s: s["scenario"]["policy"].update(reserve_rate=0.0))
    assert fired(plan)[0] == {"scenario_differs"}


def test_every_rule_has_a_tampering_test():
    tested = set(TAMPERS) | set(LAX) | OUTSIDE | {"malformed_file"}
    assert tested == set(RULES), (set(RULES) - tested, tested - set(RULES))
    for r in RULES.values():
        assert r.description and "\n" not in r.description, r.id


# ---------------------------------------------------------------- eligibility by hand

# Statutory age by hand (NPC Standing Committee decision of 13 Sep 2024): men 60, women
# cadres 55; if the original retirement month falls in or after January 2025 it is delayed
# by one month per four months elapsed since then (the first month counts: Jan–Apr 2025 +1),
# at most 36 months (63 / 58). The data give whole ages: born in July of (plan year − age).
# Plan year 2026. Early retirement: ≥ 30 years of service, or < 5 years to the statutory age
# with ≥ 20 years of service.
#   m59: born 7/1967, would retire 7/2027: 30 months after 1/2025 → +8 months: 60y8m;
#        1y8m to go, 22 years of service → eligible
#   m56: born 7/1970, would retire 7/2030: 66 months → +17: 61y5m; 5y5m to go → not
#        eligible (under the old age 60: 4 years to go, eligible)
#   f51: born 7/1975, would retire 7/2030 at 55: +17 → 56y5m; 5y5m to go → not eligible
#        (under the old 55: 4 years, eligible)
#   f53: born 7/1973, would retire 7/2028: 42 months → +11: 55y11m; 2y11m to go and
#        exactly 20 years of service → eligible
#   f53s19: the same with 19 years of service → not eligible
#   m45s30: 30 years of service → eligible whatever the age (63: the delay is capped)
#   m40: born 7/1986, would retire 7/2046: the delay is capped at 36 months: 63; 29 years
#        of service → not eligible
HAND = {  # person: (gender, age, service years, eligible by hand)
    "m59": ("M", 59, 22, True),
    "m56": ("M", 56, 25, False),
    "f51": ("F", 51, 25, False),
    "f53": ("F", 53, 20, True),
    "f53s19": ("F", 53, 19, False),
    "m45s30": ("M", 45, 30, True),
    "m40": ("M", 40, 29, False),
}


def statutory_months_by_hand(gender: str, age: int, plan_year: int) -> int:
    """The statutory age in months, written out from the decision (not solver.cadres.rules)."""
    base_years = 60 if gender == "M" else 55
    retire_year, retire_month = plan_year - age + base_years, 7
    elapsed = (retire_year - 2025) * 12 + (retire_month - 1)
    delay = 0 if elapsed < 0 else min(elapsed // 4 + 1, 36)
    return base_years * 12 + delay


def test_statutory_ages_by_hand_match_the_comments():
    months = {pid: statutory_months_by_hand(g, age, 2026) for pid, (g, age, _, _) in
              HAND.items()}
    assert months == {"m59": 728, "m56": 737, "f51": 677, "f53": 671, "f53s19": 671,
                      "m45s30": 756, "m40": 756}
    for pid, (g, age, service, eligible) in HAND.items():
        to_go = months[pid] - 12 * age
        assert ((service >= 30) or (to_go < 60 and service >= 20)) == eligible, pid
    # the first people the raise reaches: men born Jan–Apr 1965 retire at 60y1m, born
    # May–Aug 1965 at 60y2m (the decision's table); a man retiring before 2025 is not delayed
    assert statutory_months_by_hand("M", 60, 2025) == 60 * 12 + 2  # born 7/1965
    assert statutory_months_by_hand("M", 61, 2025) == 60 * 12  # retired 7/2024


def test_verify_refuses_early_retirement_exactly_where_the_hand_rules_say(tmp_path, capsys):
    people = [{**PERSON, "person_id": pid, "unit_id": "A", "quota_type": I, "gender": g,
               "age": age, "service_years": service, "willing_early_retirement": "yes"}
              for pid, (g, age, service, _) in HAND.items()]
    data = make_inputs(tmp_path / "data", [{"unit_id": "A"}, {"unit_id": "Z"}],
                       [("A", I, 20, 20), ("Z", I, 5, 6)], [("dZ", "Z", I, "key", 1)])
    write_table(data, "people", people)
    write_table(data, "task_groups", [{"group_id": "G", "name": "G", "min_size": 0,
                                       "max_size": 5, "skills": "", "max_age": 30}])
    (tmp_path / "s.yaml").write_text("data: data\nyear: 2026\n", encoding="utf-8")
    plan = tmp_path / "plan"
    assert cli("run", tmp_path / "s.yaml", "--out", plan, "--no-marginals") == 0
    options = read(plan, "assignments").set_index("person_id")["option"].to_dict()
    eligible = {pid for pid, h in HAND.items() if h[3]}
    # willing and eligible people retire (nobody fits the group); the others stay
    assert {p for p, o in options.items() if o == "early_retirement"} == eligible
    code, got, text = verify(capsys, plan)
    assert code == 0, text
    for pid in HAND:
        tampered = tmp_path / f"plan-{pid}"
        shutil.copytree(plan, tampered)
        retire = pid not in eligible  # give the other option than the plan's
        change_option(tampered, **{pid: "early_retirement" if retire else "stay"})
        u = read(tampered, "units")
        bump(u, at(u, unit_id="A"), "staff_after", -1 if retire else 1)
        write(tampered, "units", u)
        code, got, text = verify(capsys, tampered)
        if retire:
            assert (code, got) == (3, {"early_retirement"}), (pid, text)
        else:
            assert code == 0, (pid, text)  # staying is always allowed


def test_the_readme_lists_every_rule(capsys):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    code, text = bianzhi(capsys, "verify", "--rules")
    assert code == 0
    for r in RULES.values():
        assert f"| `{r.id}` |" in readme, r.id
        assert f"{r.id} {r.description}" in " ".join(text.split()), r.id


def test_applied_overrides_and_sets_are_resolved_again(world, tmp_path):
    scenario = tmp_path / "tight.yaml"
    scenario.write_text(yaml.safe_dump({
        "extends": str(world / "base.yaml"), "apply": ["no-merging"],
        "overrides": {"tight": {"policy": {"reserve_rate": 0.05}},
                      "no-merging": {"consolidation": {"enabled": False}}}}), encoding="utf-8")
    plan = tmp_path / "plan"
    assert cli("run", scenario, "--out", plan, "--no-marginals", "--apply", "tight",
               "--set", "aux.reduction=0.2") == 0
    summary = json.loads((plan / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"]["resolution"]["applied_overrides"] == ["no-merging", "tight"]
    assert verify_folder(plan) == []
    # the record no longer says --apply tight: the files resolve to another reserve rate
    edit_summary(plan, lambda s: s["scenario"]["resolution"].update(
        applied_overrides=["no-merging"]))
    got, violations = fired(plan)
    assert got == {"scenario_differs"}, [str(v) for v in violations]


def test_a_plan_with_empty_sheets_verifies(tmp_path, capsys):
    """No mergers and no moves: plan.xlsx holds header-only sheets, which read as empty
    tables (a fuzz case once saw workbook_differs here)."""
    data = make_inputs(tmp_path / "data", units=[{"unit_id": "A"}, {"unit_id": "B"}],
                       quotas=[("A", "institution", 10, 10), ("B", "institution", 5, 5)],
                       demands=[("d1", "B", "institution", "key", 1)])
    plan = tmp_path / "plan"
    assert cli("run", data, "--out", plan, "--no-marginals",
               "--set", "consolidation.enabled=true") == 0
    assert (plan / "mergers.csv").read_text(encoding="utf-8").count("\n") == 1
    code, got, text = verify(capsys, plan)
    assert (code, got) == (0, set()), text
