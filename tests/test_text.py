"""The plan's sentences in the chosen language: Chinese by default, English with --lang en.

The committee reads the reasons: a Chinese plan must not carry English sentences. Checked on
the bundled scenario with mergers (every producer of reasons writes into it: moves, the
off-quota plan, surplus cadres, mergers).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from solver import text
from solver.text import TEMPLATES, language, say

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "consolidation.yaml"
REASON_TABLES = ("moves", "aux_plan", "assignments", "mergers")
CJK = re.compile(r"[\u4e00-\u9fff]")
WORD = re.compile(r"[A-Za-z][A-Za-z_]{3,}")
# id columns whose values may stand in a sentence (codes, not words)
ID_COLUMNS = ("unit_id", "from_unit", "to_unit", "keeper_id", "parent_id", "demand_id",
              "person_id", "group_id", "merger_id", "region", "from_region", "to_region",
              "system")


def bianzhi(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "solver.cli", *args], capture_output=True,
                          text=True, check=True).stdout


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    base = tmp_path_factory.mktemp("lang")
    shown = {"zh": bianzhi("run", str(SCENARIO), "--out", str(base / "zh")),
             "en": bianzhi("run", str(SCENARIO), "--out", str(base / "en"), "--lang", "en")}
    out = {lang: {name: pd.read_csv(base / lang / f"{name}.csv", dtype=str,
                                    keep_default_na=False)
                  for name in REASON_TABLES} for lang in ("zh", "en")}
    out["shown"] = shown
    return out


def test_marginal_values_are_printed_in_words(plans):
    """Not `reserve_rate_minus_1pt`: 今年少留1个百分点空编率 … 多满足保运转n个, region names."""
    zh, en = plans["shown"]["zh"], plans["shown"]["en"]
    assert "今年少留1个百分点空编率" in zh and "编制池多1个编制" in zh
    region = "(巴中市|巴州区|恩阳区|通江县|南江县|平昌县)"  # names, not codes
    assert re.search(region + r" .*多满足(保重点|保应急|保运转)\d+个", zh)
    assert "one point less reserve rate" in en and "one more pool quota" in en
    assert "minus_1pt" not in zh + en and "pool_plus_1" not in zh + en


def test_figures_are_named_in_words():
    assert text.metric("met.key") == "满足编制（保重点）"
    assert text.metric("2022.reserve.institution") == "2022年 留存空编（事业编制）"
    assert text.metric("cadres.early_retirement") == "富余人员（提前退休）"
    assert text.marginal("pool_plus_1", {"key": 2, "emergency": 0, "operational": 1}) == \
        "多满足保重点2个、保运转1个"
    with language("en"):
        assert text.metric("met.key") == "quotas met (key)"
        assert text.marginal("pool_plus_1", {"key": 0}) == "nothing more"


def _ids(tables: dict[str, pd.DataFrame]) -> set[str]:
    """Every code the plan's tables hold in an id column (these may appear in a sentence)."""
    return {v for t in tables.values() for c in ID_COLUMNS if c in t for v in t[c] if v}


def test_every_reason_of_a_chinese_plan_is_chinese(plans):
    tables = plans["zh"]
    ids = _ids(tables)
    for name, t in tables.items():
        assert len(t), name  # the scenario exercises every producer
        for reason in t["reason"]:
            assert CJK.search(reason), (name, reason)
            words = [w for w in WORD.findall(reason) if w not in ids]
            # a unit code like bazhong-0062 splits at '-': its letters are the region's code
            words = [w for w in words if not any(w in i for i in ids)]
            assert not words, (name, reason, words)


def test_english_plan_has_english_reasons(plans):
    """--lang en: every sentence is English words (a Chinese term may stand in brackets, and
    a task group's or department's name is the data's)."""
    tables = plans["en"]
    ids = _ids(tables)
    for name, t in tables.items():
        for reason in t["reason"]:
            english = [w for w in WORD.findall(reason) if not any(w in i for i in ids)]
            assert len(english) >= 2, (name, reason)
    assert tables["moves"]["reason"].str.contains("withdrawn to the pool").any()
    assert tables["aux_plan"]["reason"].str.contains(" today").all()


def test_both_languages_give_the_same_plan(plans):
    """Only the sentences change with the language: the codes and figures stay."""
    for name in REASON_TABLES:  # (plans["shown"]: the terminal output)
        zh, en = (plans[lang][name].drop(columns="reason") for lang in ("zh", "en"))
        pd.testing.assert_frame_equal(zh, en, check_names=True)


def test_every_template_has_both_languages_with_the_same_facts():
    """Both say the same figures; English may add grammar (plural, verb) Chinese needs not."""
    fields = re.compile(r"{(\w+)")
    grammar = {"plural", "verb"}
    for key, t in TEMPLATES.items():
        assert set(t) == set(text.LANGS), key
        assert set(fields.findall(t["zh"])) == set(fields.findall(t["en"])) - grammar, key


def test_language_is_chinese_by_default_and_restored_after_a_block():
    assert text.current() == "zh"
    with language("en"):
        assert say("move.withdraw").startswith("functions lapsed")
        assert text.tier("key") == "key"
    assert say("move.withdraw") == "职能消失：空编收回编制池"
    assert text.tier("key") == "保重点"
    with pytest.raises(ValueError, match="unknown language"), language("fr"):
        pass


def test_chinese_sentences_name_the_units_and_regions_they_speak_of(tmp_path):
    """使用同系统巴中市委组织部的空编, not …bazhong-0010…: the names the data gives; in English the
    codes stay (the sentence is English, the names Chinese)."""
    import pandas as pd

    from solver.cli import main

    repo = Path(__file__).resolve().parents[1]
    out = {}
    for lang in ("zh", "en"):
        out[lang] = tmp_path / lang
        with pytest.raises(SystemExit) as done:
            main(["run", str(repo / "scenarios" / "bazhong-2021.yaml"), "--out",
                  str(out[lang]), "--no-marginals", "--lang", lang])
        assert done.value.code in (0, None)
    names = pd.read_csv(out["zh"] / "names.csv", dtype=str)
    unit = dict(zip(names.loc[names["kind"] == "unit", "code"],
                    names.loc[names["kind"] == "unit", "name"]))
    for lang in ("zh", "en"):
        moves = pd.read_csv(out[lang] / "moves.csv", dtype=str, keep_default_na=False)
        transfers = moves[moves["kind"] == "transfer"]
        for donor, reason in zip(transfers["from_unit"], transfers["reason"]):
            assert (unit[donor] in reason) == (lang == "zh"), (lang, reason)
            assert (donor in reason) == (lang == "en"), (lang, reason)
        people = pd.read_csv(out[lang] / "assignments.csv", dtype=str, keep_default_na=False)
        moved = people[people["option"] == "transfer"]
        assert len(moved) and all((unit[u] in r) == (lang == "zh")
                                  for u, r in zip(moved["to_unit"], moved["reason"]))
