"""Declarative data edits (a scenario's `data_edits`) on small real input files."""

from __future__ import annotations

import datetime
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_inputs

from solver.edits import _text, _texts, apply_edits
from solver.errors import InputError, ScenarioError
from solver.runner import load_data
from solver.scenario import DataEdit, load_scenario
from solver.validate import load

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def data(tmp_path) -> Path:
    """Three units (two health, one education) and six demands of every tier."""
    return make_inputs(
        tmp_path / "data",
        [{"unit_id": "H1", "performance_score": 90, "central_tasks": 2},
         {"unit_id": "H2", "performance_score": 70},
         {"unit_id": "E1", "system": "education", "performance_score": 85}],
        [("H1", "institution", 100, 60), ("H2", "institution", 40, 35),
         ("E1", "institution", 50, 45), ("E1", "administrative", 10, 8)],
        [("d1", "H1", "institution", "emergency", 3, 2023),
         ("d2", "H1", "institution", "operational", 5),
         ("d3", "H2", "institution", "emergency", 7, 2022),
         ("d4", "H2", "institution", "key", 25),
         ("d5", "E1", "institution", "emergency", 4),
         ("d6", "E1", "administrative", "operational", 1)],
        pool=[("r1", "institution", 5)],
    )


def edit(ds, *edits: dict):
    return apply_edits(ds, [DataEdit.model_validate(e) for e in edits])


def amounts(ds) -> dict[str, int]:
    return dict(zip(ds.demands["demand_id"], ds.demands["amount"]))


def hits(ds, condition: dict, table: str = "demands", key: str = "demand_id") -> set[str]:
    """The rows a condition picks: drop them and see what is gone."""
    before = set(ds.tables()[table][key])
    after = set(edit(ds, {"table": table, "where": [condition], "drop": True}).tables()[table][key])
    return before - after


# ---------------------------------------------------------------- the four actions


def test_scale_rounds_half_up_on_whole_number_columns(data):
    ds = load(data)
    out = edit(ds, {"table": "demands", "scale": {"amount": 1.5}})
    # 3×1.5 = 4.5 → 5 and 25×1.5 = 37.5 → 38 (banker's rounding would give 4 and 38;
    # 7×1.5 = 10.5 → 11, not 10)
    assert amounts(out) == {"d1": 5, "d2": 8, "d3": 11, "d4": 38, "d5": 6, "d6": 2}
    assert pd.api.types.is_integer_dtype(out.demands["amount"])
    half = edit(ds, {"table": "demands", "scale": {"amount": 0.5}})
    assert amounts(half) == {"d1": 2, "d2": 3, "d3": 4, "d4": 13, "d5": 2, "d6": 1}
    # 25 × 0.58 is 14.499999999999998 in binary floating point; meant 14.5 → 15
    assert 25 * 0.58 < 14.5
    assert amounts(edit(ds, {"table": "demands", "where": [{"column": "demand_id", "value": "d4"}],
                             "scale": {"amount": 0.58}}))["d4"] == 15


def test_scale_keeps_fractions_on_decimal_columns_and_empty_cells_empty(data):
    ds = load(data)
    out = edit(ds, {"table": "units", "scale": {"performance_score": 1.05}})
    scores = dict(zip(out.units["unit_id"], out.units["performance_score"]))
    assert scores["H1"] == pytest.approx(94.5) and scores["H2"] == pytest.approx(73.5)
    # end_year is empty for d2, d4, d5, d6: scaling it keeps them empty, no crash
    years = edit(ds, {"table": "demands", "scale": {"end_year": 1}}).demands
    ends = dict(zip(years["demand_id"], years["end_year"]))
    assert ends["d1"] == 2023 and ends["d3"] == 2022
    assert all(pd.isna(ends[d]) for d in ("d2", "d4", "d5", "d6"))


def test_scale_only_the_matching_rows(data):
    ds = load(data)
    out = edit(ds, {"table": "demands", "where": [{"column": "tier", "value": "emergency"}],
                    "scale": {"amount": 2}})
    assert amounts(out) == {"d1": 6, "d2": 5, "d3": 14, "d4": 25, "d5": 8, "d6": 1}


def test_set(data):
    ds = load(data)
    out = edit(ds, {"table": "demands", "where": [{"column": "unit_id", "value": "H2"}],
                    "set": {"tier": "key", "amount": 1}})
    d = out.demands.set_index("demand_id")
    assert d.loc["d3", "tier"] == "key" and d.loc["d3", "amount"] == 1
    assert d.loc["d4", "amount"] == 1
    assert d.loc["d1", "tier"] == "emergency" and d.loc["d1", "amount"] == 3
    units = edit(ds, {"table": "units", "where": [{"column": "unit_id", "value": "E1"}],
                      "set": {"function_status": "lapsed"}}).units.set_index("unit_id")
    assert units.loc["E1", "function_status"] == "lapsed"


def test_set_value_is_validated_like_a_file(data):
    ds = load(data)
    with pytest.raises(InputError) as err:
        edit(ds, {"table": "demands", "where": [{"column": "demand_id", "value": "d1"}],
                  "set": {"tier": "urgent"}})
    assert "data_edits" in str(err.value) and "urgent" in str(err.value)


def test_a_set_value_is_stripped_as_a_cell_and_quoted_as_written(data):
    """Edited tables are not the readers' (whose cells are stripped already): the checks strip
    them, and a message quotes the value as the edit wrote it."""
    ds = load(data)
    out = edit(ds, {"table": "demands", "where": [{"column": "demand_id", "value": "d1"}],
                    "set": {"tier": " key ", "unit_id": "\u3000H2 "}})
    d = out.demands.set_index("demand_id")
    assert d.loc["d1", "tier"] == "key" and d.loc["d1", "unit_id"] == "H2"
    with pytest.raises(InputError) as err:
        edit(ds, {"table": "demands", "where": [{"column": "demand_id", "value": "d1"}],
                  "set": {"tier": " urgent "}})
    assert "' urgent ' is not a valid tier" in str(err.value)


def test_edits_chain_on_the_same_column(data):
    """A set or scale leaves the column as objects internally: the next edit still sees
    numbers (a condition compares numbers, a scale scales them)."""
    ds = load(data)
    out = edit(ds,
               {"table": "demands", "where": [{"column": "demand_id", "value": "d1"}],
                "set": {"amount": 9}},
               {"table": "demands", "where": [{"column": "amount", "op": ">", "value": 8}],
                "scale": {"amount": 0.5}},
               {"table": "units", "where": [{"column": "unit_id", "value": "H2"}],
                "set": {"performance_score": 95}},
               {"table": "demands", "where": [{"column": "unit.performance_score", "op": ">=",
                                               "value": 90}],
                "scale": {"amount": 2}})
    # d1: 9 → 4.5 → 5 (>8) → ×2 (H1 scores 90) = 10; d4: 25 → 12.5 → 13 → ×2 (H2 now 95) = 26
    assert amounts(out) == {"d1": 10, "d2": 10, "d3": 14, "d4": 26, "d5": 4, "d6": 1}


def test_add_rows(data):
    ds = load(data)
    out = edit(ds, {"table": "demands", "add": [
        {"demand_id": "n1", "unit_id": "E1", "quota_type": "institution", "tier": "key",
         "amount": 2},
        {"demand_id": "n2", "unit_id": "H2", "quota_type": "institution",
         "tier": "emergency", "amount": 3, "end_year": 2024}]})
    d = out.demands.set_index("demand_id")
    assert len(d) == 8
    assert d.loc["n1", "amount"] == 2 and d.loc["n1", "tier"] == "key"
    assert d.loc["n2", "end_year"] == 2024
    pool = edit(ds, {"table": "pool", "add": [{"region": "r1", "quota_type": "administrative",
                                              "balance": 4}]}).pool
    assert len(pool) == 2


@pytest.mark.parametrize("row, phrase", [
    ({"demand_id": "n1", "unit_id": "NOPE", "quota_type": "institution", "tier": "key",
      "amount": 2}, "NOPE"),
    ({"demand_id": "d1", "unit_id": "H1", "quota_type": "institution", "tier": "key",
      "amount": 2}, "d1"),
    ({"demand_id": "n1", "unit_id": "H1", "quota_type": "institution", "tier": "key",
      "amount": -2}, "amount"),
    ({"demand_id": "n1", "unit_id": "H1", "quota_type": "institution", "tier": "key"},
     "amount"),
], ids=["unknown unit", "duplicate id", "negative amount", "missing amount"])
def test_an_added_row_is_validated_like_a_file_row(data, row, phrase):
    ds = load(data)
    with pytest.raises(InputError) as err:
        edit(ds, {"table": "demands", "add": [row]})
    message = str(err.value)
    assert "data_edits" in message and phrase in message
    assert "row 8" in message  # six file rows after the header: the added row is row 8


def test_add_with_an_unknown_column(data):
    with pytest.raises(ScenarioError, match=r"add: unknown columns \['amout'\]"):
        edit(load(data), {"table": "demands", "add": [
            {"demand_id": "n1", "unit_id": "E1", "quota_type": "institution", "tier": "key",
             "amout": 2}]})


def test_drop_rows_and_what_depends_on_them(data):
    ds = load(data)
    out = edit(ds, {"table": "demands", "where": [{"column": "tier", "value": "operational"}],
                    "drop": True})
    assert set(out.demands["demand_id"]) == {"d1", "d3", "d4", "d5"}
    # dropping a unit that still has quotas and demands is caught by validation
    with pytest.raises(InputError, match="E1"):
        edit(ds, {"table": "units", "where": [{"column": "unit_id", "value": "E1"}],
                  "drop": True})
    # drop with no condition drops every row; an optional table left empty is as if absent
    assert edit(ds, {"table": "pool", "drop": True}).pool is None
    with pytest.raises(InputError, match="demands"):
        edit(ds, {"table": "demands", "drop": True})


# ---------------------------------------------------------------- conditions


@pytest.mark.parametrize("op, value, expected", [
    ("==", 7, {"d3"}),
    ("!=", 7, {"d1", "d2", "d4", "d5", "d6"}),
    ("<", 4, {"d1", "d6"}),
    ("<=", 4, {"d1", "d5", "d6"}),
    (">", 5, {"d3", "d4"}),
    (">=", 5, {"d2", "d3", "d4"}),
    ("in", [1, 25, 99], {"d4", "d6"}),
    ("not_in", [1, 25, 99], {"d1", "d2", "d3", "d5"}),
])
def test_every_operator_on_a_number_column(data, op, value, expected):
    assert hits(load(data), {"column": "amount", "op": op, "value": value}) == expected


@pytest.mark.parametrize("op, value, expected", [
    ("==", "emergency", {"d1", "d3", "d5"}),
    ("!=", "emergency", {"d2", "d4", "d6"}),
    ("in", ["key", "operational"], {"d2", "d4", "d6"}),
    ("not_in", ["key", "operational"], {"d1", "d3", "d5"}),
])
def test_operators_on_a_text_column(data, op, value, expected):
    assert hits(load(data), {"column": "tier", "op": op, "value": value}) == expected


def test_the_default_operator_is_equality(data):
    assert hits(load(data), {"column": "unit_id", "value": "H1"}) == {"d1", "d2"}


def test_conditions_on_a_column_with_empty_cells(data):
    ds = load(data)
    assert hits(ds, {"column": "end_year", "op": ">=", "value": 2023}) == {"d1"}
    assert hits(ds, {"column": "end_year", "op": "<", "value": 2030}) == {"d1", "d3"}
    assert hits(ds, {"column": "end_year", "op": "==", "value": 2022}) == {"d3"}


def test_all_conditions_must_hold(data):
    ds = load(data)
    both = {"table": "demands", "where": [{"column": "tier", "value": "emergency"},
                                          {"column": "amount", "op": ">", "value": 3}],
            "drop": True}
    assert set(edit(ds, both).demands["demand_id"]) == {"d1", "d2", "d4", "d6"}


@pytest.mark.parametrize("condition, expected", [
    ({"column": "unit.system", "value": "health"}, {"d1", "d2", "d3", "d4"}),
    ({"column": "unit.system", "op": "!=", "value": "health"}, {"d5", "d6"}),
    ({"column": "unit.performance_score", "op": ">=", "value": 85}, {"d1", "d2", "d5", "d6"}),
    ({"column": "unit.performance_score", "op": "<", "value": 85}, {"d3", "d4"}),
    ({"column": "unit.central_tasks", "op": ">", "value": 0}, {"d1", "d2"}),
    ({"column": "unit.unit_id", "op": "in", "value": ["H2", "E1"]}, {"d3", "d4", "d5", "d6"}),
])
def test_unit_column_conditions(data, condition, expected):
    assert hits(load(data), condition) == expected


def test_unit_conditions_on_quotas(data):
    ds = load(data)
    out = edit(ds, {"table": "quotas", "where": [{"column": "unit.system", "value": "education"}],
                    "scale": {"approved": 2}})
    q = out.quotas.set_index(["unit_id", "quota_type"])["approved"]
    assert q[("E1", "institution")] == 100 and q[("E1", "administrative")] == 20
    assert q[("H1", "institution")] == 100


@pytest.mark.parametrize("condition, phrase", [
    ({"column": "amout", "value": 3}, "table demands has no column amout; columns: demand_id"),
    ({"column": "unit.sytem", "value": "health"}, "unit.sytem: units have no column sytem"),
    ({"column": "tier", "op": "<", "value": "key"}, "tier is text; use ==, !=, in or not_in"),
    ({"column": "amount", "op": ">", "value": "three"}, "amount is a number; compare it with"),
    ({"column": "tier", "op": "in", "value": "key"}, "the value must be a list"),
])
def test_bad_conditions_are_clear_errors(data, condition, phrase):
    with pytest.raises(ScenarioError) as err:
        edit(load(data), {"table": "demands", "where": [condition], "drop": True})
    assert phrase in str(err.value)


def test_unit_condition_on_a_table_without_units(data):
    with pytest.raises(ScenarioError, match="table pool has no unit_id"):
        edit(load(data), {"table": "pool", "where": [{"column": "unit.system", "value": "x"}],
                          "drop": True})


def test_scale_of_a_text_column(data):
    with pytest.raises(ScenarioError, match="scale: tier is not a number column of demands"):
        edit(load(data), {"table": "demands", "scale": {"tier": 2}})


def test_an_edit_error_names_the_scenario_file_and_line(data, tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "data: data\n"
        "data_edits:\n"
        "  - {table: demands, where: [{column: tier, value: key}], scale: {amount: 2}}\n"
        "  - table: demands\n"
        "    where: [{column: amout, op: '>', value: 3}]\n"
        "    drop: true\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_data(load_scenario(scenario))
    assert f"{scenario}, line 4: data_edits entry on demands: table demands has no column amout" in \
        str(err.value)


# ---------------------------------------------------------------- checksum


def test_checksum_follows_the_edits(data):
    ds = load(data)
    double = {"table": "demands", "scale": {"amount": 2}}
    assert edit(ds, double).checksum == edit(ds, double).checksum
    assert edit(ds, double).checksum != ds.checksum
    assert edit(ds, double).checksum != edit(ds, {"table": "demands", "scale": {"amount": 3}}
                                             ).checksum
    assert apply_edits(ds, []) is ds


# ---------------------------------------------------------------- the bundled epidemic


def test_bundled_epidemic_raises_health_emergency_demand_by_half():
    base = load_data(load_scenario(REPO / "scenarios" / "bazhong-2021.yaml"))
    epi_scenario = load_scenario(REPO / "scenarios" / "epidemic.yaml")
    assert epi_scenario.name == "epidemic" and len(epi_scenario.data_edits) == 1
    epi = load_data(epi_scenario)
    system = base.units.set_index("unit_id")["system"]
    b = base.demands.set_index("demand_id")
    e = epi.demands.set_index("demand_id")
    assert list(b.index) == list(e.index)
    hit = (b["tier"] == "emergency") & (b["unit_id"].map(system) == "health")
    assert hit.sum() > 10
    expected = b.loc[hit, "amount"].map(lambda a: math.floor(a * 1.5 + 0.5))
    assert (e.loc[hit, "amount"] == expected).all()
    assert (e.loc[~hit, "amount"] == b.loc[~hit, "amount"]).all()
    before, after = int(b.loc[hit, "amount"].sum()), int(e.loc[hit, "amount"].sum())
    assert 1.5 * before <= after <= 1.5 * before + hit.sum() / 2
    emergency_total = int(b.loc[b["tier"] == "emergency", "amount"].sum())
    assert int(e.loc[e["tier"] == "emergency", "amount"].sum()) == \
        emergency_total + after - before
    assert epi.checksum != base.checksum


def test_warnings_of_the_files_keep_their_file_and_row_after_data_edits(tmp_path):
    """The bundled epidemic scenario edits the demands: the 42 warnings units.csv gives are
    still units.csv's, at its rows; a warning an edit brings in names the edit, and one an
    edit clears is gone. (A column's warnings beyond the first 20 are one summary line, so one
    that moves into the listed 20 when an edit clears another is the edit's.)"""
    from solver.validate import load

    repo = Path(__file__).resolve().parents[1]
    scenario = load_scenario(repo / "scenarios" / "epidemic.yaml")
    plain = load(scenario.data_path)
    edited = load_data(scenario)
    assert len(plain.warnings) == 42
    assert [(w.file, w.row, w.column, w.message) for w in edited.warnings] == \
        [(w.file, w.row, w.column, w.message) for w in plain.warnings]
    # an edit that raises one unit's leader posts: that unit's warning comes from the edit
    first = plain.warnings[0]
    unit = first.message.split()[1]
    (tmp_path / "s.yaml").write_text(
        f"extends: {repo / 'scenarios' / 'epidemic.yaml'}\n"
        "data_edits:\n"
        f"  - {{table: units, where: [{{column: unit_id, value: {unit}}}], "
        "set: {leader_posts: 5}}\n"
        "  - {table: units, where: [{column: unit_id, value: bazhong-0095}], "
        "set: {leader_posts: 1}}\n", encoding="utf-8")
    changed = load_data(load_scenario(tmp_path / "s.yaml"))
    as_read = {w.message: w for w in plain.warnings}
    for w in changed.warnings:
        if w.message in as_read:  # what the files said: still the files'
            assert (w.file, w.row) == (as_read[w.message].file, as_read[w.message].row)
    assert any(unit in w.message and "(data_edits)" in w.file for w in changed.warnings)
    assert not any("bazhong-0095 " in w.message for w in changed.warnings)  # cleared


@pytest.mark.parametrize("column", [
    pd.Series([1, 1.0, 2.5, True, None, math.nan, pd.NA, datetime.date(2021, 1, 2), " x ",
               np.int64(3), np.float64(4.0), 1e20, -0.0], dtype=object),
    pd.Series(["a", None, " b "], dtype="str"),
    pd.Series([1, 2]),
    pd.Series([1.5, math.nan, 3.0]),
    pd.Series([1, None], dtype="Int64"),
    pd.Series([True, False]),
])
def test_edited_tables_are_written_out_cell_by_cell_as_text(column):
    """The edited tables go back through validation as text: a whole column at once is each
    cell's text, whatever the column's type."""
    assert list(_texts(column)) == [_text(v) for v in column]
