"""Leader posts (领导职数) by the provincial limits for a unit's size (docs/rules.md § 19): the
band function at its boundaries, the 50% fallback for kinds without bands, the flag in the
warnings and the stock-take, the scenario section `leader_posts` and its refusals, and the
merger hard limit — by hand, through the real command with verify, and against a brute force.
"""

from __future__ import annotations

import json
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_inputs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_consolidation import inst, merger_inputs, partitions

from solver.cli import main
from solver.consolidation import ConsolidationOptions, merger_outcome, plan_mergers
from solver.errors import ScenarioError
from solver.inventory import inventory
from solver.leaders import DEFAULT_RULES, Band, LeaderRules, leader_check
from solver.scenario import load_scenario
from solver.validate import load
from solver.verify import verify_folder

# the rules are checked through their reasons' English words (tests/test_text.py: Chinese)
pytestmark = pytest.mark.usefixtures("english")

I = "institution"


def cli(*args) -> int:
    try:
        main([*map(str, args)])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


# ---------------------------------------------------------------- the band function


@pytest.mark.parametrize("approved, limit", [
    (0, 2), (1, 2), (10, 2), (11, 3), (50, 3), (51, 4), (100, 4), (101, 5), (200, 5),
    (201, 6), (400, 6), (401, 7), (600, 7), (601, 8), (5_000, 8), (10**9, 8),
])
def test_institution_limit_by_band(approved, limit):
    assert DEFAULT_RULES.limit(I, approved) == limit
    assert DEFAULT_RULES.limits(I, np.array([approved]))[0] == limit


@pytest.mark.parametrize("approved, words", [
    (10, "the limit of 2 for an institution of up to 10 quotas (1–2 posts"),
    (11, "the limit of 3 for an institution of 11–50 quotas (2–3 posts"),
    (600, "the limit of 7 for an institution of 401–600 quotas (6–7 posts"),
    (601, "the limit of 8 for an institution of 601 or more quotas (7–8 posts"),
])
def test_the_basis_names_the_band_and_the_source(approved, words):
    basis = DEFAULT_RULES.basis(I, approved)
    assert words in basis and "provincial leader-post limits by size" in basis


@pytest.mark.parametrize("kind", ["organ", "civil_service_managed"])
def test_kinds_without_bands_fall_back_to_half_the_quota(kind):
    assert [DEFAULT_RULES.limit(kind, a) for a in (0, 1, 2, 3, 14, 15, 16)] == [
        0, 0, 1, 1, 7, 7, 8]
    assert "50% of its approved" in DEFAULT_RULES.basis(kind, 15)
    # another share; 0.57 × 100 is 57 (not 56.999…)
    assert LeaderRules(share_fallback=0.57).limit(kind, 100) == 57


def test_the_curve_is_the_limit_for_every_size():
    curve = DEFAULT_RULES.curve(I, 60)
    assert len(curve) == 61
    assert list(curve[[0, 10, 11, 50, 51, 60]]) == [2, 2, 3, 3, 4, 4]


def test_leader_check_flags_above_the_limit_only():
    units = pd.DataFrame({
        "unit_id": ["I200", "I201", "O15", "O16", "E"],
        "kind": [I, I, "organ", "organ", I],
        "leader_posts": pd.array([6, 6, 8, 8, pd.NA], dtype="Int64"),
    })
    quotas = pd.DataFrame({
        "unit_id": ["I200", "I200", "I201", "O15", "O16", "E"],
        "approved": [150, 50, 201, 15, 16, 0],  # all quota types count
    })
    c = leader_check(units, quotas).set_index("unit_id")
    assert c["approved"].to_dict() == {"I200": 200, "I201": 201, "O15": 15, "O16": 16, "E": 0}
    assert c["limit"].to_dict() == {"I200": 5, "I201": 6, "O15": 7, "O16": 8, "E": 2}
    assert c["basis"].to_dict() == {"I200": "band", "I201": "band", "O15": "share",
                                    "O16": "share", "E": "band"}
    assert sorted(c.index[c["over"]]) == ["I200", "O15"]


# ---------------------------------------------------------------- warnings and stock-take


def leader_data(folder: Path) -> Path:
    """BIG: an institution of 200 quotas with 6 leader posts (above the band's 5, not above
    half); TINY: 3 quotas, 2 leader posts (above half, within the band's 2); ORG: an organ of
    15 with 8 (above half: the fallback); OK: 40 quotas, 3 posts."""
    return make_inputs(
        folder,
        [{"unit_id": "BIG", "leader_posts": 6}, {"unit_id": "TINY", "leader_posts": 2},
         {"unit_id": "ORG", "kind": "organ", "leader_posts": 8},
         {"unit_id": "OK", "leader_posts": 3}],
        [("BIG", I, 200, 190), ("TINY", I, 3, 3), ("ORG", "administrative", 15, 15),
         ("OK", I, 40, 30)],
        [("d1", "OK", I, "operational", 1)])


def test_the_band_rule_flags_what_the_old_50_percent_did_not_and_vice_versa(tmp_path):
    ds = load(leader_data(tmp_path / "data"))
    heavy = {h["unit_id"]: h for h in inventory(ds)["units"]["leader_heavy"]}
    assert sorted(heavy) == ["BIG", "ORG"]
    assert heavy["BIG"] == {"unit_id": "BIG", "leader_posts": 6, "approved": 200, "limit": 5,
                            "basis": "band"}
    assert heavy["ORG"]["basis"] == "share" and heavy["ORG"]["limit"] == 7
    # the old rule: leader posts above 50% of approved
    old = {u for u, posts, approved in [("BIG", 6, 200), ("TINY", 2, 3), ("ORG", 8, 15),
                                        ("OK", 3, 40)] if posts > 0.5 * approved}
    assert old == {"TINY", "ORG"}  # BIG newly flagged, TINY no longer


def test_the_warning_names_unit_posts_size_limit_and_source(tmp_path):
    ds = load(leader_data(tmp_path / "data"))
    messages = [str(w) for w in ds.warnings]
    assert len(messages) == 2, messages
    big = next(m for m in messages if "BIG" in m)
    assert "column leader_posts" in big
    assert ("unit BIG has 6 leader posts for 200 approved quotas, above the limit of 5 for an "
            "institution of 101–200 quotas (4–5 posts, provincial leader-post limits by size)"
            ) in big
    org = next(m for m in messages if "ORG" in m)
    assert "unit ORG has 8 leader posts for 15 approved quotas, above the limit of 7, 50% of" \
        in org and "官多兵少" in org


def test_the_command_line_speaks_of_limits_not_of_50_percent(tmp_path, capsys):
    data = make_inputs(tmp_path / "data", [{"unit_id": "BIG", "leader_posts": 6}],
                       [("BIG", I, 200, 190)], [("d1", "BIG", I, "operational", 1)])
    assert cli("inventory", data) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("Leader posts"))
    assert "1 units — 1 above the provincial limit for their size" in line
    assert "50%" not in line
    assert cli("inventory", leader_data(tmp_path / "data2")) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("Leader posts"))
    assert "1 above the provincial limit for their size, 1 above 50% of their quota" in line


def test_without_a_scenario_the_default_limits_apply_and_a_scenario_sets_its_own(
        tmp_path, capsys):
    data = leader_data(tmp_path / "data")
    assert cli("inventory", data, "--json") == 0
    inv = json.loads(capsys.readouterr().out)
    assert inv["units"]["leader_limits"] == {"banded_kinds": ["institution"],
                                             "share_fallback": 0.5}
    assert [h["unit_id"] for h in inv["units"]["leader_heavy"]] == ["BIG", "ORG"]
    # a scenario with looser institution bands, organs banded too, and a data edit: the data
    # and the edited data are checked against the scenario's limits
    scenario = write(tmp_path / "s.yaml", """
        data: data
        leader_posts:
          bands:
            institution: [{up_to: 100, min: 1, max: 4}, {up_to: null, min: 2, max: 6}]
            organ: [{up_to: null, min: 1, max: 9}]
          share_fallback: 0.4
        data_edits:
          - table: units
            where: [{column: unit_id, value: OK}]
            set: {leader_posts: 5}
    """)
    assert cli("inventory", scenario, "--json") == 0
    captured = capsys.readouterr()
    inv = json.loads(captured.out)
    assert inv["units"]["leader_limits"] == {"banded_kinds": ["institution", "organ"],
                                             "share_fallback": 0.4}
    assert [(h["unit_id"], h["limit"]) for h in inv["units"]["leader_heavy"]] == [("OK", 4)]
    assert "unit OK has 5 leader posts for 40 approved quotas, above the limit of 4 for an " \
        "institution of up to 100 quotas (1–4 posts" in captured.err
    assert "BIG" not in captured.err


def test_removing_the_institution_bands_falls_back_to_the_share(tmp_path):
    write(tmp_path / "s.yaml", "data: data\nleader_posts: {bands: {institution: []}}\n")
    leader_data(tmp_path / "data")
    rules = load_scenario(tmp_path / "s.yaml").leader_posts.rules()
    assert not rules.banded(I) and rules.limit(I, 200) == 100


# ---------------------------------------------------------------- the scenario section


def test_the_defaults_are_the_provincial_table():
    settings_ = load_scenario_text("data: data\n").leader_posts
    assert [(b.up_to, b.min, b.max) for b in settings_.bands["institution"]] == [
        (10, 1, 2), (50, 2, 3), (100, 3, 4), (200, 4, 5), (400, 5, 6), (600, 6, 7),
        (None, 7, 8)]
    assert set(settings_.bands) == {"institution"}
    assert settings_.share_fallback == 0.5 and settings_.hard_limit_on_mergers is False
    assert settings_.rules() == DEFAULT_RULES


def test_bands_for_another_kind_keep_the_institution_table():
    s = load_scenario_text("data: data\nleader_posts:\n  bands:\n"
                           "    organ: [{up_to: null, min: 1, max: 9}]\n")
    assert set(s.leader_posts.bands) == {"institution", "organ"}
    assert s.leader_posts.rules().limit("organ", 5) == 9


_TMP = tempfile.mkdtemp(prefix="leader-scenarios-")


def load_scenario_text(text: str, sets: list[str] | None = None):
    path = Path(tempfile.mkdtemp(dir=_TMP)) / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path, sets=sets)


BANDS = "data: data\nleader_posts:\n  bands:\n    institution:\n"


@pytest.mark.parametrize("bands, line, phrase", [
    (("      - {up_to: 50, min: 2, max: 3}\n      - {up_to: 10, min: 1, max: 2}\n"
      "      - {up_to: null, min: 7, max: 8}\n"), 4,
     "band 2 (up_to 10): up_to is not above the band before (50); sort the bands by size"),
    ("      - {up_to: 10, min: 3, max: 2}\n      - {up_to: null, min: 3, max: 4}\n", 5,
     "min 3 is above max 2"),
    ("      - {up_to: 10, min: 1, max: 2}\n      - {up_to: 50, min: 2, max: 3}\n", 4,
     "the last band must be open-ended (up_to: null)"),
    ("      - {up_to: null, min: 1, max: 2}\n      - {up_to: 10, min: 1, max: 2}\n", 4,
     "only the last band is open-ended"),
    ("      - {up_to: 10, min: 1, max: 4}\n      - {up_to: null, min: 1, max: 3}\n", 4,
     "max 3 is below the band before (4)"),
    ("      - {up_to: 10, min: -1, max: 2}\n      - {up_to: null, min: 1, max: 3}\n", 5,
     "greater than or equal to 0"),
    ("      - {up_to: 10, min: 1, max: 2.5}\n      - {up_to: null, min: 1, max: 3}\n", 5,
     "valid integer"),
    ("      - {up_to: 10, min: 1, max: '2'}\n      - {up_to: null, min: 1, max: 3}\n", 5,
     "valid integer"),
    ("      - {up_to: 10, min: 1, max: 2, most: 3}\n      - {up_to: null, min: 1, max: 3}\n",
     5, "unknown key"),
    ("      - {min: 1, max: 2}\n", 5, "Field required"),
])
def test_malformed_bands_are_refused_naming_the_line(bands, line, phrase):
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(BANDS + bands)
    text = str(err.value)
    assert f"s.yaml, line {line}: leader_posts.bands.institution" in text, text
    assert phrase in text, text


@pytest.mark.parametrize("assignment, phrase", [
    ("leader_posts.share_fallback=0", "greater than 0"),
    ("leader_posts.share_fallback=1.5", "less than or equal to 1"),
    ("leader_posts.share_fallback=.nan", "finite"),
    ("leader_posts.hard_limit_on_mergers=1", "valid boolean"),
    ("leader_posts.bands={museum: []}", "unknown unit kind museum"),
    ("leader_posts.limits=3", "unknown key"),
])
def test_other_leader_settings_are_checked(assignment, phrase):
    with pytest.raises(ScenarioError, match="leader_posts") as err:
        load_scenario_text("data: data\n", sets=[assignment])
    assert phrase in str(err.value), str(err.value)


def test_the_leader_rules_refuse_what_the_scenario_refuses():
    with pytest.raises(ValueError, match="min 3 is above max 2"):
        LeaderRules(bands={I: (Band(10, 3, 2), Band(None, 3, 4))})
    with pytest.raises(ValueError, match="unknown unit kind"):
        LeaderRules(bands={"museum": (Band(None, 1, 2),)})
    with pytest.raises(ValueError, match="share_fallback"):
        LeaderRules(share_fallback=0)


# ---------------------------------------------------------------- the merger hard limit

HARD = ConsolidationOptions(enabled=True, leader_limit=DEFAULT_RULES)
SOFT = ConsolidationOptions(enabled=True)


def by_unit(plan) -> dict[str, tuple[str, int]]:
    return {u: (r, int(f)) for u, r, f in zip(plan.table["unit_id"], plan.table["role"],
                                             plan.table["freed"], strict=True)}


def test_the_keeper_frees_its_leader_posts_above_the_limit_of_the_merged_size(tmp_path):
    """A (5 quotas, 2 staff), B (5, 3), C (4, 1), 3 leader posts each: caps 4, vacancies 8.
    Without the limit A keeps its 3 leader posts and B, C free 4 each: 14 − 8 = 6 quotas.
    With it the limit for 6 quotas is 2: A frees 1, C 3 (B 4), the same 8 in all."""
    ds = load(merger_inputs(tmp_path / "d", [
        inst("A", 5, 2, leader_posts=3), inst("B", 5, 3, leader_posts=3),
        inst("C", 4, 1, leader_posts=3)]))
    soft, hard = plan_mergers(ds, SOFT), plan_mergers(ds, HARD)
    assert by_unit(soft) == {"A": ("keeper", 0), "B": ("absorbed", 4), "C": ("absorbed", 4)}
    assert by_unit(hard) == {"A": ("keeper", 1), "B": ("absorbed", 4), "C": ("absorbed", 3)}
    assert hard.summary()["quotas_freed"] == 8 and hard.summary()["leader_posts_freed"] == 1
    keeper = hard.table.set_index("unit_id").loc["A"]
    assert keeper["approved_after"] == 6
    assert "keeps 2 of its 3 leader posts, within the limit of 2 for an institution of up to " \
        "10 quotas" in keeper["reason"] and "frees the other 1" in keeper["reason"]
    release = hard.releases.set_index("unit_id").loc["A"]
    assert release["amount"] == 1 and "leader posts of A above the limit" in release["reason"]
    assert plan_mergers(ds, HARD, presolve=False).summary() == hard.summary()


def test_the_limit_changes_the_keeper(tmp_path):
    """S1 (3 quotas, 2 staff, 3 leader posts), S2 (2, 2, none): 1 vacant. S1, the larger,
    keeps without the limit; with it S1 would have to free 1 of its posts (limit 2 for 4
    quotas) besides S2's 1, more than the one vacancy: S2 keeps and S1's posts go."""
    ds = load(merger_inputs(tmp_path / "d", [inst("S1", 3, 2, leader_posts=3),
                                             inst("S2", 2, 2, leader_posts=0)]))
    assert by_unit(plan_mergers(ds, SOFT)) == {"S1": ("keeper", 0), "S2": ("absorbed", 1)}
    assert by_unit(plan_mergers(ds, HARD)) == {"S2": ("keeper", 0), "S1": ("absorbed", 1)}


def test_a_merger_the_limit_makes_impossible_is_not_formed(tmp_path):
    """A (3, 2), B (3, 3), 3 leader posts each: 1 vacant. Whoever keeps has 3 posts for at
    most 5 quotas (limit 2) and would free 1 more than the one vacancy."""
    ds = load(merger_inputs(tmp_path / "d", [inst("A", 3, 2, leader_posts=3),
                                             inst("B", 3, 3, leader_posts=3)]))
    assert plan_mergers(ds, SOFT).summary()["mergers"] == 1
    for presolve in (True, False):
        assert plan_mergers(ds, HARD, presolve=presolve).summary()["mergers"] == 0


def test_a_unit_with_leader_posts_to_free_may_keep_a_unit_before_it_in_keeper_order(tmp_path):
    """U1 (1 quota, 4 leader posts) keeping U2 (2 quotas, none, cap 1) frees 3: U2's 1 and 2
    of U1's posts (the limit is 2 at any size up to 10). Without the limit the keeper with the
    smallest cap comes first wlog; here U1 comes after U2 and still must be able to keep
    (the brute force found the integer program stopping at 2)."""
    ds = load(merger_inputs(tmp_path / "d", [
        inst("U0", 0, 0, leader_posts=0), inst("U1", 1, 0, leader_posts=4),
        inst("U2", 2, 0, leader_posts=0)]))
    options = ConsolidationOptions(enabled=True, threshold=7, max_size=7,
                                   leader_limit=DEFAULT_RULES)
    for presolve in (True, False):
        plan = plan_mergers(ds, options, presolve=presolve)
        assert by_unit(plan) == {"U1": ("keeper", 2), "U2": ("absorbed", 1)}


def test_merger_outcome_takes_the_state_that_agrees_with_itself():
    curve = DEFAULT_RULES.curve(I, 30)
    # 12 approved, 1 staff; absorbed cap 1, keeper 3 posts: at most 4 freed. At 4 (size 8,
    # limit 2) the keeper frees 1 and the absorbed unit 3, above its cap; at 3 (size 9) 2,
    # again above; at 2 (size 10, limit 2): the absorbed unit 1, the keeper 1
    assert merger_outcome(12, 1, 1, 1, 3, curve, 30) == (1, 1)
    # without the curve: what the absorbed free, the keeper nothing
    assert merger_outcome(12, 1, 1, 1, 3, None, 30) == (1, 0)
    # too big after the merger
    assert merger_outcome(40, 30, 2, 1, 0, curve, 30) is None


def test_a_run_with_the_hard_limit_verifies_and_releases_the_keepers_posts(tmp_path, capsys):
    data = merger_inputs(tmp_path / "data", [
        inst("A", 5, 2, leader_posts=3), inst("B", 5, 3, leader_posts=3),
        inst("C", 4, 1, leader_posts=3)])
    plan = tmp_path / "plan"
    assert cli("run", data, "--out", plan, "--no-marginals", "--set",
               "consolidation.enabled=true", "--set",
               "leader_posts.hard_limit_on_mergers=true") == 0
    assert verify_folder(plan) == []
    m = pd.read_csv(plan / "mergers.csv").set_index("unit_id")
    assert m["freed"].to_dict() == {"A": 1, "B": 4, "C": 3}
    moves = pd.read_csv(plan / "moves.csv")
    released = moves[moves["kind"] == "merge_release"].set_index("from_unit")["amount"]
    assert released.to_dict() == {"A": 1, "B": 4, "C": 3}
    units = pd.read_csv(plan / "units.csv").set_index("unit_id")
    assert units.loc["A", "approved_after"] == 6 and units.loc["B", "approved_after"] == 0
    summary = json.loads((plan / "summary.json").read_text(encoding="utf-8"))
    assert summary["consolidation"]["leader_posts_freed"] == 1
    assert summary["consolidation"]["hard_limit_on_mergers"] is True
    assert summary["scenario"]["leader_posts"]["hard_limit_on_mergers"] is True
    # a plan made without the limit, judged with it, breaks exactly the leader-post rule
    soft = tmp_path / "soft"
    assert cli("run", data, "--out", soft, "--no-marginals", "--set",
               "consolidation.enabled=true") == 0
    summary = json.loads((soft / "summary.json").read_text(encoding="utf-8"))
    summary["scenario"]["leader_posts"]["hard_limit_on_mergers"] = True
    summary["scenario"]["resolution"]["sets"] = ["consolidation.enabled=true",
                                                 "leader_posts.hard_limit_on_mergers=true"]
    (soft / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    found = verify_folder(soft)
    assert {v.rule_id for v in found} == {"merger_leader_posts"}, [str(v) for v in found]
    assert "keeper A keeps 3 leader posts (3 − 0 freed) for a merged size of 6, above the " \
        "limit of 2" in str(found[0])


# ---------------------------------------------------------------- against a brute force


def best_hard_by_brute_force(cands: pd.DataFrame, options: ConsolidationOptions
                             ) -> tuple[int, int]:
    """(most freed, fewest mergers) over all partitions and keepers, trying every split of a
    merger into what the absorbed units free (A) and the keeper's freed leader posts (e):
    e must be max(0, posts − limit) at the size after, A within [n, Σ cap], A + e vacant."""
    curve = options.limit_curve()
    total_freed, total_mergers = 0, 0
    for _, group in cands.groupby(["region", "level", "parent_id", "system"]):
        units = group.to_dict("records")
        best = (0, 0)
        for part in partitions(units):
            freed, mergers = 0, 0
            for block in part:
                if len(block) < 2:
                    continue
                most = None
                approved = sum(u["approved"] for u in block)
                vacancy = approved - sum(u["staff"] for u in block)
                for keeper in block:
                    others = [u for u in block if u is not keeper]
                    if any(u["cap"] < 1 for u in others):
                        continue
                    for a in range(len(others), sum(u["cap"] for u in others) + 1):
                        for e in range(keeper["leader_posts"] + 1):
                            size = approved - a - e
                            if a + e > vacancy or size > options.max_size or size < 0:
                                continue
                            if e == max(0, keeper["leader_posts"] - int(curve[size])):
                                most = max(most or 0, a + e)
                if most is None:
                    break  # no valid merger: this partition is not a plan
                freed, mergers = freed + most, mergers + 1
            else:
                best = max(best, (freed, -mergers))
        total_freed += best[0]
        total_mergers -= best[1]
    return total_freed, total_mergers


def check_hard_plan(plan, options: ConsolidationOptions) -> None:
    curve = options.limit_curve()
    cands = plan.candidates.set_index("unit_id")
    t = plan.table
    for _, m in t.groupby("merger_id"):
        c = cands.loc[m["unit_id"]]
        freed = int(m["freed"].sum())
        size = int(c["approved"].sum()) - freed
        assert 1 <= freed <= c["approved"].sum() - c["staff"].sum()
        assert size <= options.max_size
        keeper = m[m["role"] == "keeper"].iloc[0]
        posts = int(cands.loc[keeper["unit_id"], "leader_posts"])
        assert keeper["freed"] == max(0, posts - int(curve[size]))  # exactly the excess
        assert posts - keeper["freed"] <= curve[size]
        absorbed = m[m["role"] == "absorbed"]
        assert (absorbed["freed"] >= 1).all()
        assert (absorbed["freed"].to_numpy() <= cands.loc[absorbed["unit_id"], "cap"]).all()
    assert plan.releases["amount"].sum() == t["freed"].sum()


@st.composite
def hard_cases(draw):
    units = []
    for i in range(draw(st.integers(2, 6))):
        approved = draw(st.integers(0, 7))
        units.append(inst(f"U{i}", approved, draw(st.integers(0, approved + 1)),
                          leader_posts=draw(st.integers(0, 4)),
                          parent_id=draw(st.sampled_from(["P", "P", "Q"]))))
    rules = draw(st.sampled_from([DEFAULT_RULES, LeaderRules(bands={}, share_fallback=0.5),
                                  LeaderRules(bands={I: (Band(4, 0, 1), Band(9, 1, 2),
                                                         Band(None, 2, 3))})]))
    options = ConsolidationOptions(
        enabled=True, threshold=7, max_size=draw(st.sampled_from([7, 12, 30])),
        overhead_per_unit=draw(st.sampled_from([0, 1])), leader_limit=rules)
    return units, options


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hard_cases())
def test_the_hard_limit_is_optimal_against_a_brute_force(case):
    units, options = case
    with tempfile.TemporaryDirectory() as tmp:
        ds = load(merger_inputs(Path(tmp) / "data", units, parents=("P", "Q")))
        plans = [plan_mergers(ds, options), plan_mergers(ds, options, presolve=False)]
    best = best_hard_by_brute_force(plans[0].candidates, options)
    for plan in plans:
        assert plan.status == "optimal"
        check_hard_plan(plan, options)
        s = plan.summary()
        assert (s["quotas_freed"], s["mergers"]) == best
