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


def bianzhi(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "solver.cli", *args], capture_output=True,
                   text=True, check=True)


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    base = tmp_path_factory.mktemp("lang")
    bianzhi("run", str(SCENARIO), "--out", str(base / "zh"))
    bianzhi("run", str(SCENARIO), "--out", str(base / "en"), "--lang", "en")
    return {lang: {name: pd.read_csv(base / lang / f"{name}.csv", dtype=str,
                                     keep_default_na=False)
                   for name in REASON_TABLES} for lang in ("zh", "en")}


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
    for name in REASON_TABLES:
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
    with pytest.raises(ValueError, match="unknown language"):
        with language("fr"):
            pass
