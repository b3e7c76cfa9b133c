"""plan.xlsx's first sheet, 说明 (About): what the workbook is, before its tables.

A committee member opening plan.xlsx sees the scenario (name, description, data, year or
horizon), the headline figures (demands met per tier, quotas moved, the reserve per quota type,
units over quota, surplus people and off-quota staff when the plan has them) and one row per
sheet saying what it holds. Every figure comes from summary.json's dict or the plan's tables,
so the sheet says what the folder's other files say. No personal data: counts only.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from solver.domain import ENUMS, PLAN_TABLES, TIER_ORDER

ABOUT_SHEET = {"zh": "说明", "en": "About"}
_HEADERS = {"zh": ("项目", "内容", "备注"), "en": ("item", "value", "note")}

# What one row of each plan table is (docs/data.md § 3), for the sheet list
TABLE_ROWS: dict[str, tuple[str, str]] = {
    "moves": ("每行一笔编制调整：调出、调入单位，数量，调整方式和来源",
              "one row per quota movement: from and to unit, amount, kind and source"),
    "units": ("每个单位每种编制类型一行：调整前后的核定编制数和实有人数",
              "one row per unit and quota type: approved quota and staff before and after"),
    "pool": ("每个地区每种编制类型一行：编制池调整前后的余额",
             "one row per region and quota type: the pool's balance before and after"),
    "demands": ("每项用编需求一行：申请数、满足数和未满足原因",
                "one row per demand: requested, met, and why the rest is not met"),
    "assignments": ("每名富余人员一行：安排方式（不含姓名）",
                    "one row per surplus person: the option chosen (no names)"),
    "aux_plan": ("每个单位每类编外岗位一行：核定员额、转为购买服务和清退",
                 ("one row per unit and off-quota category: approved headcount, to purchased "
                  "services, ended")),
    "mergers": ("拟整合的每个事业单位一行：整合编号、主管部门和收回编制",
                "one row per institution in a proposed merger: merger, parent, quotas freed"),
    "ledger": ("每个单位每种编制类型一行：编制台账，方案的每项增减都记在这里",
               "one row per unit and quota type: the plan's one account of every change"),
    "years": ("每个单位、编制类型和年度一行：年初、年末的核定编制数、实有人数和各项增减",
              ("one row per unit, quota type and year: approved and staff at the start and "
               "end, and every change")),
    "pool_years": ("每个地区、编制类型和年度一行：编制池年初、年末余额",
                   "one row per region, quota type and year: the pool at the start and end"),
    "demand_years": ("每项需求每个满足年度一行：当年满足数",
                     "one row per demand and year with a met quota: the quotas met that year"),
    "retirements": ("规划期内到龄退休的每人一行（不含姓名）",
                    "one row per person reaching retirement age in the horizon (no names)"),
    "planned": ("每项需求每个年度一行：规划期统筹安排数",
                "one row per demand and year: the quotas the horizon model gives it"),
    "use_plan": ("每个单位、编制类型、年度和来源一行：可进人数",
                 "one row per unit, quota type, year and source: the quotas it may fill"),
    "aux_years": ("每个地区每个年度一行：编外人员锁定基数、当年上限和压减",
                  "one row per region and year: off-quota base, the year's cap and the cut"),
}

_STATUS = {"optimal": ("最优方案", "optimal")}


def about_sheet(summary: Mapping, tables: Mapping[str, pd.DataFrame], lang: str = "zh"
                ) -> tuple[str, pd.DataFrame]:
    """The sheet's name and table: the scenario, the headline figures, the sheets."""
    zh = lang == "zh"
    rows: list[tuple[str, object, str]] = []
    rows += _scenario_rows(summary, zh)
    rows += _figure_rows(summary, tables, zh)
    rows += _sheet_rows(tables, zh)
    return ABOUT_SHEET[lang], pd.DataFrame(rows, columns=list(_HEADERS[lang]), dtype=object)


def _t(zh: bool, chinese: str, english: str) -> str:
    return chinese if zh else english


def _label(enum: str, code: str, zh: bool) -> str:
    return ENUMS[enum].get(code, code) if zh else code


def _scenario_rows(summary: Mapping, zh: bool) -> list[tuple[str, object, str]]:
    scenario = summary["scenario"]
    horizon = summary.get("horizon") or {}
    if horizon.get("present"):
        period = (_t(zh, "规划期", "horizon"), f"{horizon['start']}–{horizon['end']}",
                  _t(zh, f"预见方式 {horizon['foresight']}", f"foresight {horizon['foresight']}"))
    else:
        period = (_t(zh, "方案年度", "year"), scenario.get("year"), "")
    solver = summary["solver"]
    status = solver["status"]
    if solver["proven_optimal"]:
        status = _STATUS["optimal"][0 if zh else 1]
    else:
        status = _t(zh, f"{status}：时限内找到的最好方案，未证明最优（gap {solver['gap']}）",
                    f"{status}: the best plan found in the time limit, not proven optimal "
                    f"(gap {solver['gap']})")
    return [
        (_t(zh, "方案名称", "scenario"), scenario.get("name"), ""),
        (_t(zh, "方案描述", "description"), scenario.get("description") or "", ""),
        (_t(zh, "数据", "data"), summary["inputs"]["path"],
         _t(zh, f"输入数据警告 {summary['inputs']['warnings']} 条（见 warnings.csv）",
            f"{summary['inputs']['warnings']} warnings about the inputs (warnings.csv)")),
        period,
        (_t(zh, "求解结果", "solver"), status, solver["name"]),
    ]


def _figure_rows(summary: Mapping, tables: Mapping[str, pd.DataFrame], zh: bool
                 ) -> list[tuple[str, object, str]]:
    rows: list[tuple[str, object, str]] = []
    for tier in TIER_ORDER:
        met = summary["met"][tier]
        rows.append((_t(zh, f"{_label('tier', tier, zh)}需求满足数", f"met ({tier})"),
                     met["met"],
                     _t(zh, f"申请 {met['requested']}；{met['demands']} 项需求中 "
                            f"{met['fully_met']} 项全部满足",
                        f"of {met['requested']} requested; {met['fully_met']} of "
                        f"{met['demands']} demands fully met")))
    unmet = summary["unmet"]
    rows.append((_t(zh, "未全部满足的需求", "demands not fully met"), unmet["demands"],
                 _t(zh, f"缺 {unmet['amount']} 个编制（原因见需求满足情况表）",
                    f"{unmet['amount']} quotas short (reasons in the demands sheet)")))
    moves = summary["moves"]
    rows.append((_t(zh, "调整编制数", "quotas moved"), moves["quotas_moved"],
                 _t(zh, f"共 {moves['count']} 笔调整，其中跨系统 {moves['cross_system']} 笔",
                    f"{moves['count']} moves, {moves['cross_system']} across systems")))
    units = tables.get("units")
    for qt, reserve in summary["reserve"].items():
        name = _label("quota_type", qt, zh)
        rows.append((_t(zh, f"{name}调整后空编（蓄水池）", f"reserve after ({qt})"),
                     reserve["vacancy_after"],
                     _t(zh, f"下限 {reserve['floor']}，调整前 {reserve['vacancy_before']}",
                        f"floor {reserve['floor']}, before {reserve['vacancy_before']}")))
    for qt, totals in summary["totals"].items():
        if units is None or units.empty:
            break
        rows_qt = units[units["quota_type"] == qt]
        over = int((rows_qt["staff_after"] > rows_qt["approved_after"]).sum())
        rows.append((_t(zh, f"{_label('quota_type', qt, zh)}调整后超编单位",
                        f"units over quota after ({qt})"), over,
                     _t(zh, f"超编 {totals['ledger'].get('over_after', 0)} 人",
                        f"{totals['ledger'].get('over_after', 0)} people over quota")))
    cadres = summary.get("cadres") or {}
    if cadres.get("present"):
        for option, count in cadres.get("by_option", {}).items():
            rows.append((_t(zh, f"富余人员：{_label('option', option, zh)}",
                            f"surplus people: {option}"), count, ""))
    aux = summary.get("aux") or {}
    if aux.get("present"):
        rows.append((_t(zh, "编外人员核定员额", "off-quota approved headcount"),
                     aux["approved_after"],
                     _t(zh, f"现有 {aux['base']}，转为购买服务 {aux['to_services']}，"
                            f"清退 {aux['ended']}",
                        f"of {aux['base']}; {aux['to_services']} to purchased services, "
                        f"{aux['ended']} ended")))
    return rows


def _sheet_rows(tables: Mapping[str, pd.DataFrame], zh: bool) -> list[tuple[str, object, str]]:
    rows = []
    for name, frame in tables.items():
        spec = PLAN_TABLES.get(name)
        sheet = spec.zh if (zh and spec is not None) else name
        what = TABLE_ROWS.get(name, ("", ""))[0 if zh else 1]
        rows.append((_t(zh, f"工作表：{sheet}", f"sheet: {sheet}"), what,
                     _t(zh, f"{len(frame)} 行", f"{len(frame)} rows")))
    return rows
