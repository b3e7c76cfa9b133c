"""Corrupted scenario files and `--set` options, each with what a correct tool must do.

A scenario case is YAML text (and the bytes it is saved as), `--set` options, and an Expect:
unknown keys, values of the wrong type, `.inf`/`.nan`/huge numbers in every numeric option,
years out of range, anchors and aliases (reused a little, or a "billion laughs"), deep nesting,
GBK/UTF-16/invalid bytes, `extends` of a directory, a FIFO or the file itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from fz_harness import Expect

# numeric options: (key path, kind, low, high, low_open, high_open) — the documented ranges
NUMERIC = [
    ("policy.reserve_rate", "float", 0, 1, False, True),
    ("policy.incentive", "float", 0, None, False, False),
    ("policy.source_costs.pool", "float", 3, None, True, False),
    ("policy.source_costs.same_system", "float", 0, 2, True, True),
    ("policy.source_costs.cross_region", "float", 3, None, True, False),
    ("cadres.transfer_min_fit", "float", 0, 1, False, False),
    ("cadres.weights.skills", "float", 0, None, False, False),
    ("cadres.weights.stay_penalty", "float", 0, None, False, False),
    ("aux.reduction", "float", 0, 1, False, True),
    ("aux.vacancy_offset", "float", 0, None, False, False),
    ("aux.essential_weights.medical", "float", 0, None, False, False),
    ("consolidation.threshold", "int", 1, None, False, False),
    ("consolidation.max_size", "int", 1, None, False, False),
    ("solver.time_limit", "float", 0, None, True, False),
    ("year", "int", 1950, 2100, False, False),
]
# YAML texts of values: (text, python value or a marker)
BAD = object()  # not a number of any kind
NUMBER_TEXTS = [
    (".inf", float("inf")), ("-.inf", float("-inf")), (".nan", float("nan")),
    (".NaN", float("nan")), ("1.0e+400", float("inf")), ("1e400", BAD), ("5e-2", 0.05),
    ("0.05", 0.05), ("1", 1), ("0", 0), ("-1", -1), ("2", 2), ("2024", 2024), ("1949", 1949),
    ("2101", 2101), ("3000", 3000), ("4.5", 4.5), ("1e9", 1e9), ("10000000000000000000000", 10**22),
    ("1" + "0" * 5000, BAD), ("'0.05'", BAD), ("[0.05]", BAD), ("{a: 1}", BAD), ("true", BAD),
    ("null", None), ("0x10", 16), ("1_000", 1000), ("0o17", 15), ("1.5e3", 1500.0),
    ("'.inf'", BAD), ("~", None), ("2024.0", 2024.0),
]


def verdict_for(kind: str, lo, hi, lo_open: bool, hi_open: bool, value) -> str:
    """'ok', 'bad' or 'either' for a value of a numeric option with a documented range."""
    import math

    if value is BAD or isinstance(value, bool):
        return "bad"
    if value is None:
        return "either"
    if isinstance(value, float) and not math.isfinite(value):
        return "bad"
    if kind == "int" and isinstance(value, float):
        return "either" if value.is_integer() and (lo is None or value >= lo) and (
            hi is None or value <= hi) else "bad"
    if lo is not None and (value < lo or (lo_open and value == lo)):
        return "bad"
    if hi is not None and (value > hi or (hi_open and value == hi)):
        return "bad"
    if abs(value) > 1e6 and kind == "float":
        return "either"  # absurd, but no documented bound
    return "either"  # in range: the tool may still find it inconsistent with other keys


@dataclass
class ScenarioCase:
    """A scenario file (text and encoding, or raw bytes) and options, with its Expect."""

    text: str
    sets: list[str] = field(default_factory=list)
    encoding: str = "utf-8"
    raw: bytes | None = None
    extends: str = ""  # a special target: dir, fifo, self, missing, devnull
    expect: Expect = field(default_factory=Expect)

    def describe(self) -> dict:
        return {"scenario": self.text[:600], "sets": [s[:200] for s in self.sets],
                "encoding": self.encoding, "extends": self.extends, "what": self.expect.what}


BASE = "name: fuzz\ndata: data\npolicy:\n  reserve_rate: 0.03\n"


def _nest(path: str, value_text: str) -> str:
    """YAML text setting one dotted key (on top of BASE's keys)."""
    keys = path.split(".")
    if keys[0] == "policy":
        lines = ["name: fuzz", "data: data", "policy:", "  reserve_rate: 0.03"] if keys[1:] != [
            "reserve_rate"] else ["name: fuzz", "data: data", "policy:"]
        indent = "  "
        for k in keys[1:-1]:
            lines.append(f"{indent}{k}:")
            indent += "  "
        lines.append(f"{indent}{keys[-1]}: {value_text}")
        return "\n".join(lines) + "\n"
    lines = BASE.splitlines()
    indent = ""
    for k in keys[:-1]:
        lines.append(f"{indent}{k}:")
        indent += "  "
    lines.append(f"{indent}{keys[-1]}: {value_text}")
    return "\n".join(lines) + "\n"


@st.composite
def scenario_cases(draw) -> ScenarioCase:
    """One corrupted (or valid, if odd) scenario file."""
    kind = draw(st.sampled_from(["numeric", "numeric", "numeric", "unknown_key", "wrong_type",
                                 "aliases", "laughs", "nesting", "encoding", "extends",
                                 "repeated_key", "tags"]))
    if kind == "numeric":
        path, k, lo, hi, lo_open, hi_open = draw(st.sampled_from(NUMERIC))
        text, value = draw(st.sampled_from(NUMBER_TEXTS))
        verdict = verdict_for(k, lo, hi, lo_open, hi_open, value)
        if path == "solver.time_limit" and value is None:
            verdict = "ok"
        if path == "policy.reserve_rate" and text == "5e-2":
            verdict = "ok"  # issue 10: 5e-2 is a number
        # the costs must also rise along the ladder: that rule names the ladder as a whole
        key = f"{path}|policy.source_costs" if path.startswith("policy.source_costs.") else path
        exp = Expect(where="key", key=key, must_refuse=verdict == "bad",
                     must_accept=verdict == "ok", what=f"{path}: {text[:40]}")
        return ScenarioCase(_nest(path, text), expect=exp)
    if kind == "unknown_key":
        path = draw(st.sampled_from(["polcy.reserve_rate", "policy.reserve_rat",
                                     "cadres.weights.skill", "aux.reductoin", "solver.nme",
                                     "consolidation.enabled_", "policy.source_costs.poool"]))
        # the message names the first key that is unknown (polcy, not polcy.reserve_rate)
        first = path.split(".")[0]
        exp = Expect(where="key", key=first if first == "polcy" else path, must_refuse=True,
                     what=f"unknown key {path}")
        return ScenarioCase(_nest(path, "1"), expect=exp)
    if kind == "wrong_type":
        path, text = draw(st.sampled_from([
            ("policy", "5"), ("policy", "[1, 2]"), ("cadres", "yes"), ("aux", "'off'"),
            ("policy.full_units_release_first", "operational"),
            ("policy.full_units_release_first", "[nope]"), ("data", "[a, b]"),
            ("year", "'2024'"), ("policy.key_demands_hard", "'yes'"), ("name", "{a: 1}"),
            ("policy.reserve_rate", "{institution: .nan}"),
            ("policy.reserve_rate", "{nope: 0.1}"), ("sweep", "{policy.reserve_rate: []}"),
            ("data_edits", "[{table: demands, scale: {amount: .inf}}]"),
            ("data_edits", "[{table: quotas, set: {approved: 1e400}}]"),
            ("data_edits", "[{table: quotas, scale: {approved: 10000000000000000000000}}]"),
            ("data_edits", "[{table: demands, where: [{column: nope, value: 1}], "
                           "set: {amount: 2}}]"),
            ("overrides", "{x: 5}"), ("apply", "[nope]"),
        ]))
        exp = Expect(where="key", key=path.split(".")[0], must_refuse=True,
                     what=f"{path}: {text}")
        return ScenarioCase(_nest(path, text), expect=exp)
    if kind == "aliases":
        text = ("name: fuzz\ndata: data\npolicy: &p\n  reserve_rate: 0.04\n"
                "overrides:\n  a: {policy: *p}\n  b: {policy: *p}\napply: [a]\n")
        return ScenarioCase(text, expect=Expect(where="line", must_accept=True,
                                                what="an anchor reused twice"))
    if kind == "laughs":
        # depth 7 is 9^7 nodes: enough to show the missing bound (deeper ones can keep the
        # process in C code past any timer; the regression case keeps depth 7)
        depth = draw(st.integers(3, 7))
        lines = ["name: fuzz", "data: data", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, "
                 "lol]"]
        for i in range(1, depth):
            refs = ", ".join([f"*a{i - 1}"] * 9)
            lines.append(f"a{i}: &a{i} [{refs}]")
        exp = Expect(where="line", must_refuse=True, what=f"billion laughs of depth {depth}")
        return ScenarioCase("\n".join(lines) + "\n", expect=exp)
    if kind == "nesting":
        n = draw(st.sampled_from([50, 500, 2000]))
        style = draw(st.sampled_from(["flow_list", "flow_map", "block"]))
        if style == "flow_list":
            body = "[" * n + "]" * n
        elif style == "flow_map":
            body = "{a: " * n + "1" + "}" * n
        else:
            n = min(n, 1000)
            body = "\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(n)) + \
                "  " * (n + 1) + "v"
        exp = Expect(where="line", must_refuse=True, what=f"nesting {n} deep ({style})")
        exp.files = ["scenario.yaml"]
        exp.where = "file"
        return ScenarioCase(BASE + "cadres: " + body + "\n", expect=exp)
    if kind == "encoding":
        enc = draw(st.sampled_from(["gbk", "utf-16", "utf-8-sig", "invalid", "gb18030"]))
        text = "name: 巴中市2021年方案\ndata: data\npolicy:\n  reserve_rate: 0.03\n"
        if enc == "invalid":
            raw = text.encode() .replace("方案".encode(), b"\xff\xfe\x80")
            exp = Expect(where="line", must_refuse=True, what="invalid bytes in a scenario")
            exp.where, exp.files = "file", ["scenario.yaml"]
            return ScenarioCase(text, raw=raw, expect=exp)
        exp = Expect(where="file", files=["scenario.yaml"],
                     must_accept=enc == "utf-8-sig", what=f"a scenario in {enc}")
        return ScenarioCase(text, encoding=enc, expect=exp)
    if kind == "extends":
        target = draw(st.sampled_from(["dir", "fifo", "self", "missing", "devnull", "cycle"]))
        exp = Expect(where="file", files=["scenario.yaml", "extends", "base_dir", "base.yaml",
                                          "nope.yaml"],
                     must_refuse=target != "devnull", what=f"extends: {target}")
        return ScenarioCase(BASE, extends=target, expect=exp)
    if kind == "repeated_key":
        text = BASE + "policy:\n  incentive: 1\n"
        return ScenarioCase(text, expect=Expect(where="key", key="policy", must_refuse=True,
                                                what="a repeated top-level key"))
    tag = draw(st.sampled_from(["!!python/object/apply:os.system ['true']", "!!binary aGk=",
                                "!custom 5", "!!float 'nan'", "!!int '0x10'"]))
    exp = Expect(where="line", must_refuse=True, what=f"a tag {tag}")
    if tag.startswith("!!int"):
        exp.must_refuse = False
    return ScenarioCase(BASE + f"description: {tag}\n", expect=exp)


SET_CASES = [
    ("=5", "bad", "--set"), ("policy", "bad", "--set"),
    ("policy.reserve_rate=", "bad", "policy.reserve_rate"),
    ("policy.reserve_rate=.inf", "bad", "policy.reserve_rate"),
    ("policy.source_costs.pool=.inf", "bad", "policy.source_costs.pool"),
    ("policy.source_costs.pool=.nan", "bad", "policy.source_costs.pool"),
    ("policy.incentive=.nan", "bad", "policy.incentive"),
    ("cadres.weights.skills=.inf", "bad", "cadres.weights.skills"),
    ("aux.vacancy_offset=.inf", "bad", "aux.vacancy_offset"),
    ("aux.essential_weights.medical=2", "ok", ""), ("policy.reserve_rate=5e-2", "ok", ""),
    ("policy.reserve_rate=0.05", "ok", ""), ("year=1e9", "bad", "year"),
    ("year=3000", "bad", "year"), ("year=1900", "bad", "year"), ("year=2024", "ok", ""),
    ("policy.nope=1", "bad", "policy.nope"), ("policy.reserve_rate=[", "bad", "--set"),
    ("solver.time_limit=-1", "bad", "solver.time_limit"),
    ("solver.time_limit=.nan", "bad", "solver.time_limit"),
    ("policy.reserve_rate={institution: .nan}", "bad", "policy.reserve_rate"),
    ("policy.reserve_rate={institution: 0.04}", "ok", ""),
    ("cadres.weights.skills=1e400", "bad", "cadres.weights.skills"),
    ("policy.incentive=1.0e+400", "bad", "policy.incentive"),
    ("consolidation.threshold=" + "9" * 5000, "bad", "consolidation.threshold"),
    ("policy.full_units_release_first=[]", "ok", ""),
    ("policy.full_units_release_first=[nope]", "bad", "policy.full_units_release_first"),
    (".=1", "bad", "--set"), ("policy.reserve_rate=0.03 # note", "ok", ""),
    ("policy.reserve_rate=&a 0.1", "either", ""), ("policy.reserve_rate=*a", "bad", "--set"),
    ("data=/nonexistent/folder", "bad", "nonexistent"), ("policy.reserve_rate=1e-2", "ok", ""),
    ("consolidation.enabled=true", "ok", ""), ("sweep.policy.reserve_rate=[0.1]", "either", ""),
    ("policy.source_costs.own=-.inf", "bad", "policy.source_costs.own"),
    ("policy.reserve_rate=\x00", "bad", "--set"),
    ("policy.reserve_rate.x=1", "bad", "policy.reserve_rate"),
]


@st.composite
def set_cases(draw) -> ScenarioCase:
    """A valid scenario with one or two --set options."""
    picked = draw(st.lists(st.sampled_from(SET_CASES), min_size=1, max_size=2, unique=True))
    bad = [p for p in picked if p[1] == "bad"]
    # the same key given twice is refused (which one was meant?), naming the key
    keys = [p[0].partition("=")[0] for p in picked]
    twice = [k for k in set(keys) if keys.count(k) > 1 and k]
    exp = Expect(where="key" if bad or twice else "file", must_refuse=bool(bad or twice),
                 must_accept=all(p[1] == "ok" for p in picked) and not twice,
                 what="--set " + " --set ".join(p[0][:60] for p in picked))
    if bad or twice:
        exp.key = "|".join([p[2] for p in bad] + twice)
        exp.where = "key"
    return ScenarioCase(BASE, sets=[p[0] for p in picked], expect=exp)
