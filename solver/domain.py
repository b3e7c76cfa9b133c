"""The domain vocabulary: tables, columns, enum values and their Chinese names.

This is the one alias table of the project (docs/data.md). Readers map Chinese or English headers
and values onto the English codes below; writers and reports take their labels from here.
No I/O and no solver in this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

# The quota types, ring-fenced from each other (docs/rules.md § 2). Every reader, check,
# planner and writer takes the types from here; adding a type is one row (plus its aliases
# below, if planners write it in more ways than code and label).
QUOTA_TYPES: dict[str, str] = {
    "administrative": "行政编制",
    "political_legal": "政法专项编制",
    "institution": "事业编制",
    "worker": "工勤编制",  # worker posts in organs and 参公 units (机关工勤编制)
}
# Further spellings of quota types in planners' tables (real-name registers, 实名制).
QUOTA_TYPE_EXTRA: dict[str, str] = {
    "工勤": "worker",
    "机关工勤编制": "worker",
    "工勤人员编制": "worker",
}
TIERS: dict[str, str] = {"key": "保重点", "emergency": "保应急", "operational": "保运转"}
TIER_ORDER: tuple[str, ...] = ("key", "emergency", "operational")
LEVELS: dict[str, str] = {"city": "市级", "county": "县级", "township": "乡镇"}
KINDS: dict[str, str] = {
    "organ": "机关",
    "civil_service_managed": "参公",
    "institution": "事业单位",
}
FUNCTION_STATUS: dict[str, str] = {"active": "正常", "weakened": "弱化", "lapsed": "消失"}
CADRE_LEVELS: dict[str, str] = {"city_managed": "市管干部", "section_or_below": "科级及以下"}
GENDERS: dict[str, str] = {"M": "男", "F": "女"}
HEALTH: dict[str, str] = {"healthy": "健康", "chronic": "慢性病", "serious": "重大疾病"}
WORK_STATUS: dict[str, str] = {
    "in_charge": "负责分管具体工作",
    "assisting": "协助管理",
    "idle": "仅享受待遇",
}
AUX_CATEGORIES: dict[str, str] = {
    "medical": "医护",
    "teaching_aide": "教辅",
    "auxiliary_police": "辅警",
    "inspector": "协管",
    "service_window": "窗口服务",
    "logistics": "后勤保障",
    "other": "其他",
}
YES_NO: dict[str, str] = {"yes": "是", "no": "否"}
# Extra spellings accepted for yes/no cells (Excel users type all of these).
YES_NO_EXTRA: dict[str, str] = {
    "y": "yes", "true": "yes", "1": "yes", "t": "yes",
    "n": "no", "false": "no", "0": "no", "f": "no",
}
GENDER_EXTRA: dict[str, str] = {"male": "M", "female": "F", "m": "M", "f": "F"}
# A person's category in the staff register: cadres (干部) and workers (工人, 工勤人员). Only
# women's statutory retirement age depends on it (55 for cadres, 50 for workers).
STAFF_CATEGORIES: dict[str, str] = {"cadre": "干部", "worker": "工人"}
STAFF_CATEGORY_EXTRA: dict[str, str] = {"工勤人员": "worker", "工勤": "worker"}

# Known values of the open `surplus_reason` column (others are carried through as text).
SURPLUS_REASONS: dict[str, str] = {
    "reform": "改革",
    "age": "年龄",
    "health": "健康",
    "seconded": "借调",
    "sick_leave": "病休",
    "trial_elsewhere": "考调试用",
    "stranded_abroad": "滞留境外",
    "absent_without_reason": "无正当理由不在岗",
    "missing": "失踪",
}

class Move(StrEnum):
    """The codes of the move kinds (moves.csv `kind`); their properties are in MOVE_KIND."""

    TRANSFER = "transfer"
    POOL_GRANT = "pool_grant"
    WITHDRAW = "withdraw"
    WITH_PERSON = "transfer_with_person"
    MERGE_RELEASE = "merge_release"
    MERGE = "merge"


@dataclass(frozen=True)
class MoveKind:
    """One kind of move in moves.csv: what it does to the units at its two ends.

    `takes_from_unit`: the quota leaves `from_unit` (else it comes from the pool);
    `gives_to_unit`: it arrives at `to_unit` (else it goes to the pool); `carries_people`:
    people move with it (column `persons`); `meets_demand`: it brings a quota to a demand
    (and names it); `model`: the reallocation decides it.
    """

    code: Move
    zh: str
    takes_from_unit: bool
    gives_to_unit: bool
    carries_people: bool
    meets_demand: bool
    model: bool
    description: str


MOVE_KIND_LIST: tuple[MoveKind, ...] = (
    MoveKind(Move.TRANSFER, "调剂", True, True, False, True, True,
             "a vacant quota moves from one unit to another for a demand"),
    MoveKind(Move.POOL_GRANT, "动态用编", False, True, False, True, True,
             "the pool gives a quota to a unit for a demand"),
    MoveKind(Move.WITHDRAW, "收回", True, False, False, False, True,
             "a vacant quota of a unit whose functions lapsed goes to the pool"),
    MoveKind(Move.WITH_PERSON, "带编调剂", True, True, True, True, False,
             "a surplus person moves to another unit's demand with their quota"),
    MoveKind(Move.MERGE_RELEASE, "整合收回", True, False, False, False, False,
             "a merger frees an absorbed unit's overhead quota to the pool"),
    MoveKind(Move.MERGE, "整合并入", True, True, True, False, False,
             "an absorbed unit's remaining quotas and staff pass to the unit that keeps it"),
)
MOVE_KIND: dict[str, MoveKind] = {str(k.code): k for k in MOVE_KIND_LIST}
MOVE_KINDS: dict[str, str] = {str(k.code): k.zh for k in MOVE_KIND_LIST}
# the kinds that bring a quota to a demand (transfers, grants, transfers with a person)
DEMAND_MOVES: tuple[str, ...] = tuple(str(k.code) for k in MOVE_KIND_LIST if k.meets_demand)
SOURCES: dict[str, str] = {
    "same_system": "系统内调剂",
    "same_sector": "职能相近部门",
    "other": "其他部门",
    "pool": "编制池",
}
UNIT_STATUS: dict[str, str] = {"over": "超编", "full": "满编", "vacant": "有空编"}
# what the `names` table names: the codes of units' system, sector and region columns
NAME_KINDS: dict[str, str] = {"system": "系统", "sector": "领域", "region": "地区"}


class Unmet(StrEnum):
    """The codes of why a demand is short (demands.csv `unmet_reason`)."""

    OVER_QUOTA_UNIT = "over_quota_unit"
    FULL_UNIT = "full_unit_release_first"
    LAPSED_UNIT = "lapsed_unit"
    RESERVE_FLOOR = "reserve_floor"
    HIGHER_TIER = "outranked_by_higher_tier"
    INCENTIVE = "outranked_by_incentive"
    NO_SOURCE = "no_compatible_source"
    AFTER_HORIZON = "starts_after_horizon"
    TASK_ENDED = "task_ended"


@dataclass(frozen=True)
class UnmetReason:
    """Why a demand is short: code, Chinese label, the sentence a plan writes, and what would
    unblock it."""

    code: Unmet
    zh: str
    sentence: str
    unblock: str


UNMET_REASON_LIST: tuple[UnmetReason, ...] = (
    UnmetReason(Unmet.OVER_QUOTA_UNIT, "超编单位只出不进",
                "the unit is over quota: over-quota units receive nothing and hire nothing "
                "(超编单位只出不进)", "the unit's staff falling to its approved quota"),
    UnmetReason(Unmet.FULL_UNIT, "满编单位先出后进",
                "the unit is full: it receives only what it releases first (满编单位先出后进)",
                "a release at the unit (a leaver, an early retirement, a transfer out)"),
    UnmetReason(Unmet.LAPSED_UNIT, "职能消失单位",
                "the unit's functions lapsed: its vacancies go to the pool and it receives "
                "nothing", "restoring the unit's functions (function_status)"),
    UnmetReason(Unmet.RESERVE_FLOOR, "触及空编率底线",
                "the region's vacancies are used down to the reserve floor (蓄水池)",
                "a lower reserve_rate or more quota in the pool"),
    UnmetReason(Unmet.HIGHER_TIER, "让位于更高保障类别",
                "the quotas left above the reserve floor went to higher tiers",
                "more vacancies or pool quota in the region"),
    UnmetReason(Unmet.INCENTIVE, "让位于激励导向",
                "the quotas left went to operational demands of units with a better "
                "appraisal or more central tasks (激励导向)",
                "a better appraisal, or more vacancies in the region"),
    UnmetReason(Unmet.NO_SOURCE, "无可用编制来源",
                "no vacancy of this quota type is left in reach (region, type)",
                "a vacancy of this type in the region, or policy.allow_cross_region"),
    UnmetReason(Unmet.AFTER_HORIZON, "起始年度在规划期之后",
                "the demand starts after the plan's last year", "a longer horizon"),
    UnmetReason(Unmet.TASK_ENDED, "临时任务已结束",
                "the temporary task ended (end_year) before a quota could be found for it",
                "more vacancies or pool quota in the years of the task"),
)
UNMET_REASON: dict[str, UnmetReason] = {str(r.code): r for r in UNMET_REASON_LIST}
UNMET_REASONS_ZH: dict[str, str] = {str(r.code): r.zh for r in UNMET_REASON_LIST}


class Opt(StrEnum):
    """The codes of a surplus person's options (assignments.csv `option`)."""

    GROUP = "group"
    RETURN = "return"
    EARLY_RETIREMENT = "early_retirement"
    TRANSFER = "transfer"
    STAY = "stay"


@dataclass(frozen=True)
class Option:
    """One option for a surplus person and what it does to the quota account.

    `frees_vacancy`: the person leaves the staff (a vacancy opens at the home unit);
    `holds_vacancy`: the person takes a vacant post of the home unit (held, one use);
    `moves_quota`: the person leaves with the quota (带编: approved and staff both move).
    """

    code: Opt
    zh: str
    frees_vacancy: bool
    holds_vacancy: bool
    moves_quota: bool


OPTION_LIST: tuple[Option, ...] = (
    Option(Opt.GROUP, "一线工作组", False, False, False),
    Option(Opt.RETURN, "返岗", False, True, False),
    Option(Opt.EARLY_RETIREMENT, "提前退休", True, False, False),
    Option(Opt.TRANSFER, "带编调剂", False, False, True),
    Option(Opt.STAY, "暂留原单位", False, False, False),
)
OPTION: dict[str, Option] = {str(o.code): o for o in OPTION_LIST}
OPTIONS: dict[str, str] = {str(o.code): o.zh for o in OPTION_LIST}
FREES_VACANCY: tuple[str, ...] = tuple(str(o.code) for o in OPTION_LIST if o.frees_vacancy)
HOLDS_VACANCY: tuple[str, ...] = tuple(str(o.code) for o in OPTION_LIST if o.holds_vacancy)

ENUMS: dict[str, dict[str, str]] = {
    "quota_type": QUOTA_TYPES,
    "tier": TIERS,
    "level": LEVELS,
    "kind": KINDS,
    "function_status": FUNCTION_STATUS,
    "cadre_level": CADRE_LEVELS,
    "gender": GENDERS,
    "health": HEALTH,
    "work_status": WORK_STATUS,
    "category": AUX_CATEGORIES,
    "staff_category": STAFF_CATEGORIES,
    "yes_no": YES_NO,
    "move_kind": MOVE_KINDS,
    "source": SOURCES,
    "use_source": {"own": "本单位空编", **SOURCES},
    "unit_status": UNIT_STATUS,
    "name_kind": NAME_KINDS,
    "unmet_reason": UNMET_REASONS_ZH,
    "option": OPTIONS,
}

# Extra spellings accepted for an enum's values, besides its codes and Chinese labels.
ENUM_EXTRA: dict[str, dict[str, str]] = {
    "quota_type": QUOTA_TYPE_EXTRA,
    "yes_no": YES_NO_EXTRA,
    "gender": GENDER_EXTRA,
    "staff_category": STAFF_CATEGORY_EXTRA,
}

ColumnType = Literal["id", "text", "enum", "int", "posint", "number", "yesno", "tags", "ref", "year",
                     "yearmonth"]
# A "yearmonth" column (出生年月 …) is read into three columns: the column itself as the text
# YYYY-MM, and the integers <column>_year and <column>_month (solver/validate.py).
YEARMONTH_PARTS: tuple[str, str] = ("_year", "_month")


@dataclass(frozen=True)
class Column:
    """One column of an input table: English code, Chinese header, type and whether required."""

    name: str
    zh: str
    type: ColumnType
    required: bool = True
    enum: str | None = None  # key of ENUMS for type "enum"
    ref: str | None = None  # table whose id this column refers to, for type "ref"
    bounds: tuple[float, float] | None = None  # inclusive range for numbers
    aliases: tuple[str, ...] = ()  # further accepted headers


@dataclass(frozen=True)
class Table:
    """One input table: its English and Chinese names, its columns and its key."""

    name: str
    zh: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    required: bool = False
    aliases: tuple[str, ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "units", "单位", required=True, key=("unit_id",), aliases=("单位信息", "单位表"),
            columns=(
                Column("unit_id", "单位代码", "id", aliases=("单位编码", "单位编号")),
                Column("name", "单位名称", "text"),
                Column("level", "层级", "enum", enum="level"),
                Column("region", "地区", "text"),
                Column("kind", "单位类别", "enum", enum="kind", aliases=("单位性质",)),
                Column("system", "系统", "text"),
                Column("sector", "领域", "text"),
                Column("parent_id", "主管部门代码", "ref", required=False, ref="units"),
                Column("function_status", "职能状态", "enum", required=False,
                       enum="function_status"),
                Column("performance_score", "绩效得分", "number", required=False,
                       bounds=(0, 100)),
                Column("central_tasks", "中心任务数", "int", required=False),
                Column("leader_posts", "领导职数", "int", required=False),
                # display names of the codes (also the `names` table; solver/names.py)
                Column("system_name", "系统名称", "text", required=False),
                Column("sector_name", "领域名称", "text", required=False),
                Column("region_name", "地区名称", "text", required=False),
            ),
        ),
        Table(
            "quotas", "编制", required=True, key=("unit_id", "quota_type"),
            aliases=("编制情况", "编制表"),
            columns=(
                Column("unit_id", "单位代码", "ref", ref="units", aliases=("单位编码", "单位编号")),
                Column("quota_type", "编制类型", "enum", enum="quota_type"),
                Column("approved", "核定编制数", "int", aliases=("核定编制",)),
                Column("staff", "实有人数", "int", aliases=("实有人员",)),
            ),
        ),
        Table(
            "pool", "编制池", key=("region", "quota_type"),
            columns=(
                Column("region", "地区", "text"),
                Column("quota_type", "编制类型", "enum", enum="quota_type"),
                Column("balance", "余额", "int"),
            ),
        ),
        Table(
            "demands", "用编需求", required=True, key=("demand_id",), aliases=("需求",),
            columns=(
                Column("demand_id", "需求编号", "id"),
                Column("unit_id", "单位代码", "ref", ref="units", aliases=("单位编码", "单位编号")),
                Column("quota_type", "编制类型", "enum", enum="quota_type"),
                Column("tier", "保障类别", "enum", enum="tier"),
                Column("amount", "申请数", "posint"),
                Column("reason", "事由", "text", required=False),
                Column("start_year", "起始年度", "year", required=False),
                Column("end_year", "结束年度", "year", required=False),
            ),
        ),
        Table(
            "people", "富余人员", key=("person_id",),
            columns=(
                Column("person_id", "人员编号", "id"),
                Column("name", "姓名", "text", required=False),
                Column("unit_id", "原单位代码", "ref", ref="units", aliases=("单位代码",)),
                Column("quota_type", "编制类型", "enum", enum="quota_type"),
                Column("cadre_level", "干部类别", "enum", enum="cadre_level"),
                Column("gender", "性别", "enum", enum="gender"),
                Column("age", "年龄", "int", bounds=(16, 80)),
                Column("service_years", "工龄", "int", bounds=(0, 60)),
                Column("health", "健康状况", "enum", enum="health"),
                Column("work_status", "工作现状", "enum", enum="work_status"),
                Column("surplus_reason", "富余原因", "text", required=False),
                Column("skills", "专长", "tags", required=False),
                Column("preferences", "意向", "tags", required=False),
                Column("wants_return", "愿意返岗", "yesno", required=False),
                Column("willing_early_retirement", "愿意提前退休", "yesno", required=False),
            ),
        ),
        Table(
            "task_groups", "一线工作组", key=("group_id",), aliases=("工作组",),
            columns=(
                Column("group_id", "工作组编号", "id"),
                Column("name", "名称", "text"),
                Column("min_size", "最少人数", "int"),
                Column("max_size", "最多人数", "int"),
                Column("skills", "所需专长", "tags", required=False),
                Column("max_age", "年龄上限", "int", required=False, bounds=(16, 80)),
                Column("region", "地区", "text", required=False),
            ),
        ),
        Table(
            "aux_positions", "编外人员", key=("unit_id", "category"),
            aliases=("编外辅助性岗位",),
            columns=(
                Column("unit_id", "单位代码", "ref", ref="units", aliases=("单位编码", "单位编号")),
                Column("category", "岗位类别", "enum", enum="category"),
                Column("headcount", "现有人数", "int"),
                Column("approved", "核定员额", "int", required=False),
                Column("outsourceable", "可购买服务", "yesno", required=False),
            ),
        ),
        Table(
            "staff", "在编人员", key=("person_id",),
            aliases=("在编人员名册", "实名制", "实名制人员", "人员名册"),
            columns=(
                Column("person_id", "人员编号", "id"),
                Column("unit_id", "单位代码", "ref", ref="units", aliases=("单位编码", "单位编号")),
                Column("quota_type", "编制类型", "enum", enum="quota_type"),
                Column("gender", "性别", "enum", enum="gender"),
                Column("birth", "出生年月", "yearmonth", aliases=("出生日期", "出生年月日")),
                Column("category", "人员类别", "enum", required=False, enum="staff_category",
                       aliases=("人员身份",)),
                Column("name", "姓名", "text", required=False),
                Column("started", "参加工作时间", "yearmonth", required=False,
                       aliases=("参加工作年月",)),
            ),
        ),
        Table(
            "names", "名称对照", aliases=("名称", "代码名称"),
            columns=(
                Column("kind", "类别", "enum", enum="name_kind"),
                Column("code", "代码", "text"),
                Column("name", "名称", "text"),
            ),
        ),
    )
}

TABLE_ORDER: tuple[str, ...] = tuple(TABLES)

# The plan's tables, for the plan workbook (plan.xlsx) and for reading it back.
PLAN_TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("moves", "编制调整明细", columns=(
            Column("kind", "调整方式", "enum", enum="move_kind"),
            Column("quota_type", "编制类型", "enum", enum="quota_type"),
            Column("from_unit", "调出单位", "text", required=False),
            Column("to_unit", "调入单位", "text", required=False),
            Column("amount", "数量", "int"),
            Column("demand_id", "需求编号", "text", required=False),
            Column("tier", "保障类别", "enum", required=False, enum="tier"),
            Column("source", "来源", "enum", required=False, enum="source"),
            Column("reason", "说明", "text", required=False),
            Column("temporary_until", "使用期限", "year", required=False),
            Column("from_region", "调出地区", "text", required=False),
            Column("to_region", "调入地区", "text", required=False),
            Column("persons", "随编人数", "int", required=False),
            Column("year", "年度", "year", required=False),
        )),
        Table("units", "单位编制变化", columns=(
            Column("unit_id", "单位代码", "id"),
            Column("quota_type", "编制类型", "enum", enum="quota_type"),
            Column("approved_before", "调整前核定编制数", "int"),
            Column("approved_after", "调整后核定编制数", "int"),
            Column("staff_before", "调整前实有人数", "int"),
            Column("staff_after", "调整后实有人数", "int"),
            Column("region", "地区", "text", required=False),
            Column("system", "系统", "text", required=False),
            Column("status", "编制状态", "enum", required=False, enum="unit_status"),
        )),
        Table("pool", "编制池变化", columns=(
            Column("region", "地区", "text"),
            Column("quota_type", "编制类型", "enum", enum="quota_type"),
            Column("balance_before", "调整前余额", "int"),
            Column("balance_after", "调整后余额", "int"),
            Column("withdrawn", "收回", "int", required=False),
            Column("merge_released", "整合收回", "int", required=False),
            Column("granted", "动态使用", "int", required=False),
        )),
        Table("demands", "需求满足情况", columns=(
            Column("demand_id", "需求编号", "id"),
            Column("unit_id", "单位代码", "text"),
            Column("quota_type", "编制类型", "enum", enum="quota_type"),
            Column("tier", "保障类别", "enum", enum="tier"),
            Column("amount", "申请数", "posint"),
            Column("met", "满足数", "int"),
            Column("met_own", "使用本单位空编", "int", required=False),
            Column("met_transfer", "带编调剂满足", "int", required=False),
            Column("unmet_reason", "未满足原因", "enum", required=False, enum="unmet_reason"),
            Column("reason", "事由", "text", required=False),
            Column("start_year", "起始年度", "year", required=False),
            Column("end_year", "结束年度", "year", required=False),
            Column("met_year", "满足年度", "year", required=False),
        )),
        Table("aux_plan", "编外员额方案", columns=(
            Column("unit_id", "单位代码", "id"),
            Column("category", "岗位类别", "enum", enum="category"),
            Column("headcount_before", "现有人数", "int"),
            Column("approved_after", "核定员额", "int"),
            Column("to_services", "转为购买服务", "int"),
            Column("ended", "清退", "int"),
            Column("region", "地区", "text", required=False),
            Column("system", "系统", "text", required=False),
            Column("approved_before", "原核定员额", "int", required=False),
            Column("never_approved", "未经审批", "yesno", required=False),
            Column("outsourceable", "可购买服务", "yesno", required=False),
            Column("ended_unapproved", "清退未经审批", "int", required=False),
            Column("ended_vacancy", "空编替代", "int", required=False),
            Column("ended_cap", "总量控制核减", "int", required=False),
            Column("reason", "说明", "text", required=False),
        )),
        Table("mergers", "整合方案", columns=(
            Column("merger_id", "整合编号", "id"),
            Column("unit_id", "单位代码", "text"),
            Column("parent_id", "主管部门代码", "text"),
            Column("freed", "收回编制", "int"),
            Column("reason", "说明", "text", required=False),
        )),
        Table("assignments", "人员安排", columns=(
            Column("person_id", "人员编号", "id"),
            Column("option", "安排方式", "enum", enum="option"),
            Column("group_id", "工作组编号", "text", required=False),
            Column("score", "适配得分", "number", required=False),
            Column("reason", "说明", "text", required=False),
            Column("unit_id", "原单位代码", "text", required=False),
            Column("quota_type", "编制类型", "enum", required=False, enum="quota_type"),
            Column("to_unit", "调入单位", "text", required=False),
            Column("demand_id", "需求编号", "text", required=False),
            Column("follow_up", "发放告知书", "yesno", required=False),
        )),
    )
}


# Columns plan.xlsx adds for a person reading it (solver/plan/readable.py), not in the CSVs:
# a name beside each unit code, an unmet demand's unit status and what would unblock it.
READING_COLUMNS: dict[str, Column] = {c.name: c for c in (
    Column("unit_name", "单位名称", "text", required=False),
    Column("from_unit_name", "调出单位名称", "text", required=False),
    Column("to_unit_name", "调入单位名称", "text", required=False),
    Column("keeper_name", "承接单位名称", "text", required=False),
    Column("region_name", "地区名称", "text", required=False),
    Column("system_name", "系统名称", "text", required=False),
    Column("unit_status", "单位编制状态", "enum", required=False, enum="unit_status"),
    Column("unblock", "解决途径", "text", required=False),
)}

MAX_LEDGER = 10**9


def _ledger_columns() -> tuple[Column, ...]:
    """The ledger's columns (solver/ledger.py): its move columns follow the move kinds."""
    cols = [Column("unit_id", "单位代码", "id"),
            Column("quota_type", "编制类型", "enum", enum="quota_type"),
            Column("region", "地区", "text", required=False),
            Column("system", "系统", "text", required=False),
            Column("approved_before", "调整前核定编制数", "int")]
    cols += [Column(f"in_{k.code}", f"{k.zh}（调入）", "int")
             for k in MOVE_KIND_LIST if k.gives_to_unit]
    cols += [Column(f"out_{k.code}", f"{k.zh}（调出）", "int")
             for k in MOVE_KIND_LIST if k.takes_from_unit]
    cols += [Column("approved_after", "调整后核定编制数", "int"),
             Column("staff_before", "调整前实有人数", "int"),
             Column("early_retirements", "提前退休", "int"),
             # a year of a multi-year plan (issue 12): statutory retirements, other leavers
             Column("retirements", "到龄退休", "int", required=False),
             Column("leavers", "其他自然减员", "int", required=False)]
    cols += [Column(f"staff_in_{k.code}", f"{k.zh}（人员调入）", "int")
             for k in MOVE_KIND_LIST if k.carries_people and k.gives_to_unit]
    cols += [Column(f"staff_out_{k.code}", f"{k.zh}（人员调出）", "int")
             for k in MOVE_KIND_LIST if k.carries_people and k.takes_from_unit]
    cols += [Column("hires", "满足需求进人", "int"),
             Column("staff_after", "调整后实有人数", "int"),
             Column("vacancy_after", "调整后空编数", "int"),
             Column("over_after", "调整后超编数", "int"),
             Column("returns_held", "返岗占用空编", "int"),
             Column("takeover", "空编替代编外岗位", "int"),
             # negative only in a broken plan (verify reports it): readable all the same
             Column("vacancy_free", "留作蓄水池的空编", "int", bounds=(-MAX_LEDGER, MAX_LEDGER))]
    return tuple(cols)


PLAN_TABLES["ledger"] = Table("ledger", "编制台账", columns=(
    *_ledger_columns(), Column("year", "年度", "year", required=False)))
# a multi-year plan (issue 12)
PLAN_TABLES["years"] = Table("years", "分年度编制变化", columns=(
    Column("unit_id", "单位代码", "id"),
    Column("quota_type", "编制类型", "enum", enum="quota_type"),
    Column("year", "年度", "year"),
    Column("approved_start", "年初核定编制数", "int"),
    Column("staff_start", "年初实有人数", "int"),
    Column("retirements", "退休", "int"),
    Column("leavers", "其他自然减员", "int"),
    Column("hires", "进人", "int"),
    Column("persons_in", "随编调入人数", "int"),
    Column("persons_out", "随编调出人数", "int"),
    Column("moved_in", "调入编制", "int"),
    Column("moved_out", "调出编制", "int"),
    Column("returned", "事去减编收回", "int"),
    Column("approved_end", "年末核定编制数", "int"),
    Column("staff_end", "年末实有人数", "int"),
    Column("vacancy_end", "年末空编数", "int"),
))
PLAN_TABLES["pool_years"] = Table("pool_years", "分年度编制池", columns=(
    Column("region", "地区", "text"),
    Column("quota_type", "编制类型", "enum", enum="quota_type"),
    Column("year", "年度", "year"),
    Column("balance_start", "年初余额", "int"),
    Column("returned", "事去减编收回", "int"),
    Column("granted", "动态使用", "int"),
    Column("withdrawn", "收回", "int"),
    Column("balance_end", "年末余额", "int"),
))
PLAN_TABLES["demand_years"] = Table("demand_years", "需求分年度满足", columns=(
    Column("demand_id", "需求编号", "id"),
    Column("year", "年度", "year"),
    Column("met", "满足数", "int"),
))
PLAN_TABLES["retirements"] = Table("retirements", "到龄退休人员", columns=(
    Column("person_id", "人员编号", "id"),
    Column("unit_id", "单位代码", "text"),
    Column("quota_type", "编制类型", "enum", enum="quota_type"),
    Column("year", "退休年度", "year"),
    Column("month", "退休月份", "int"),
    Column("age_at_retirement", "退休年龄", "text"),
    Column("age_months", "退休年龄（月）", "int"),
))
PLAN_TABLES["planned"] = Table("planned", "规划期统筹安排", columns=(
    Column("demand_id", "需求编号", "id"),
    Column("year", "年度", "year"),
    Column("amount", "安排数", "int"),
))
PLAN_TABLES["use_plan"] = Table("use_plan", "用编计划", columns=(
    Column("unit_id", "单位代码", "text"),
    Column("quota_type", "编制类型", "enum", enum="quota_type"),
    Column("year", "年度", "year"),
    Column("source", "编制来源", "enum", enum="use_source"),
    Column("may_hire", "可进人数", "int"),
))
PLAN_TABLES["aux_years"] = Table("aux_years", "编外人员分年度压减", columns=(
    Column("region", "地区", "text"),
    Column("year", "年度", "year"),
    Column("base", "锁定基数", "int"),
    Column("cap", "当年上限", "int"),
    Column("headcount_start", "年初人数", "int"),
    Column("approved_after", "年末员额", "int"),
    Column("to_services", "转购买服务", "int"),
    Column("ended", "清退", "int"),
))
LEDGER_COLUMNS: tuple[str, ...] = tuple(c.name for c in PLAN_TABLES["ledger"].columns)
# ledger columns only a year of a multi-year plan has
LEDGER_YEAR_COLUMNS: tuple[str, ...] = ("retirements", "leavers")

# Serial-number columns that planners put in front of a table; dropped on reading.
SERIAL_HEADERS: frozenset[str] = frozenset({"序号", "编号", "no", "no.", "#", "seq"})
# First-cell words of rows that are totals, not units.
TOTAL_WORDS: tuple[str, ...] = ("合计", "小计", "总计", "total", "subtotal", "sum")
# First-cell prefixes of notes below a table.
NOTE_PREFIXES: tuple[str, ...] = ("注", "说明", "备注", "note", "notes", "source", "资料来源")


def label(value: str, lang: str = "zh") -> str:
    """The display label of an enum value, table or column name in `lang` (zh or en)."""
    if lang == "en":
        return value
    for mapping in ENUMS.values():
        if value in mapping:
            return mapping[value]
    if value in TABLES:
        return TABLES[value].zh
    for table in TABLES.values():
        for col in table.columns:
            if col.name == value:
                return col.zh
    return value
