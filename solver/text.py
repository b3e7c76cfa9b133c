"""The sentences a plan writes (its `reason` cells), in Chinese (default) or English.

Planners take the plan to their committee: a reason in a Chinese workbook must be Chinese.
Every sentence is a template here, keyed by a code, in both languages; `say(key, **params)`
renders it in the language of the run. The machine-readable codes stay in their own columns
(`kind`, `option`, `unmet_reason`, …): verify and the five-year plan read those, never the
sentences, so a plan is the same plan in either language.

The language is chosen once per run (`with language("en"): …` around building the plan, as
`bianzhi run --lang en` does), not passed through every planner: the producers of reasons
(quotas, cadres, mergers, off-quota plan) are far apart and only their sentences depend on it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from solver.domain import SOURCES, SURPLUS_REASONS, TIERS, UNIT_STATUS

LANGS: tuple[str, ...] = ("zh", "en")
_LANG: ContextVar[str] = ContextVar("bianzhi_lang", default="zh")
# code → name per kind (unit, region, …) of the data being planned: a Chinese sentence names
# the units and regions it speaks of (使用同系统巴中市卫生健康委员会的空编), not their codes
_NAMES: ContextVar[dict[str, dict[str, str]]] = ContextVar("bianzhi_names", default={})


@contextlib.contextmanager
def naming(by_kind: dict[str, dict[str, str]]) -> Iterator[None]:
    """Sentences inside the block name units and regions by `by_kind` (solver.names)."""
    token = _NAMES.set(by_kind)
    try:
        yield
    finally:
        _NAMES.reset(token)


def named(kind: str, code: object) -> str:
    """A unit or region in a sentence: its name in Chinese where the data gives one, else
    (and in English) its code."""
    code = "" if code is None else str(code)
    if current() != "zh":
        return code
    return _NAMES.get().get(kind, {}).get(code) or code


@contextlib.contextmanager
def language(lang: str) -> Iterator[None]:
    """Render every sentence inside the block in `lang` (zh or en)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: expected one of {', '.join(LANGS)}")
    token = _LANG.set(lang)
    try:
        yield
    finally:
        _LANG.reset(token)


def current() -> str:
    """The language sentences are rendered in now (zh unless a `language` block says)."""
    return _LANG.get()


def say(key: str, **params: object) -> str:
    """The sentence `key` in the current language, its {placeholders} filled from params."""
    return TEMPLATES[key][current()].format(**params)


def joined(parts: list[str]) -> str:
    """Clauses of one sentence: '；' in Chinese, '; ' in English."""
    return ("；" if current() == "zh" else "; ").join(parts)


def tier(code: str) -> str:
    """A tier in a sentence: 保重点 in Chinese, its code (key) in English."""
    return TIERS.get(code, code) if current() == "zh" else code


def surplus_reason(code: str) -> str:
    """Why a person is surplus, in a sentence (an open column: unknown values as written)."""
    return SURPLUS_REASONS.get(code, code) if current() == "zh" else code.replace("_", " ")


# skills of surplus people and task groups (an open tag list: unknown tags as written)
SKILL_WORDS: dict[str, str] = {
    "investment": "招商引资", "research": "调查研究", "writing": "文字综合", "outreach": "宣传联络",
    "project_management": "项目管理", "law": "法律", "finance": "财务金融", "agriculture": "农业农村",
    "health": "卫生健康", "engineering": "工程建设",
}


def skills(codes: list[str]) -> str:
    """Matching skills in a sentence: 调查研究、法律 in Chinese, research, law in English."""
    if current() == "zh":
        return "、".join(SKILL_WORDS.get(c, c) for c in codes)
    return ", ".join(codes)


def unit_status(code: str) -> str:
    """A unit's status in words: 超编/满编/有空编, over-quota/full/has vacancies."""
    words = UNIT_STATUS if current() == "zh" else {"over": "over-quota", "full": "full",
                                                      "vacant": "has vacancies"}
    return words.get(code, code)


def source(code: str) -> str:
    """A quota's source rung in a sentence (系统内调剂 / same_system)."""
    return SOURCES.get(code, code) if current() == "zh" else code.replace("_", " ")


# headline figures (solver.plan.kpis, compare, sweep): key → (zh, en)
METRICS: dict[str, tuple[str, str]] = {
    "status": ("求解状态", "solver status"), "scenario": ("方案", "scenario"),
    "moves": ("调整记录数", "moves"), "cross_system_moves": ("跨系统调整数", "cross-system moves"),
    "unmet": ("未满足需求数", "unmet demands"), "horizon": ("规划期", "horizon"),
    "foresight": ("预见方式", "foresight"), "attrition": ("其他自然减员率", "other leavers' rate"),
    "retirements": ("到龄退休", "retirements"), "leavers": ("其他自然减员", "other leavers"),
    "hires": ("进人", "hires"), "returned": ("事去减编收回", "quotas returned"),
}


def metric(key: str) -> str:
    """A headline figure's key in words: met.key → 满足编制（保重点）, quotas met (key);
    2022.reserve.institution → 2022年 留存空编（事业编制）."""
    from solver.domain import OPTIONS, QUOTA_TYPES

    zh = current() == "zh"
    head, _, rest = key.partition(".")
    if head.isdigit() and rest:
        return f"{head}年 {metric(rest)}" if zh else f"{head}: {metric(rest)}"
    if key in METRICS:
        return METRICS[key][0 if zh else 1]
    words = {"met": ("满足编制", "quotas met"), "reserve": ("留存空编", "vacancies kept"),
             "cadres": ("富余人员", "surplus people")}
    if head in words and rest:
        label = {**TIERS, **QUOTA_TYPES, **OPTIONS}.get(rest, rest) if zh else rest.replace(
            "_", " ")
        return f"{words[head][0]}（{label}）" if zh else f"{words[head][1]} ({label})"
    return key


def marginal(kind: str, counts: dict[str, int] | None) -> str:
    """What one more unit of room buys, per tier, in words: 多满足保重点2个、保运转1个."""
    if counts is None:
        return "—"
    more = [(t, n) for t, n in counts.items() if n]
    if not more:
        return "无" if current() == "zh" else "nothing more"
    if current() == "zh":
        return "多满足" + "、".join(f"{TIERS.get(t, t)}{n}个" for t, n in more)
    return "meets " + ", ".join(f"{n} more {t}" for t, n in more)


MARGINAL_HEADERS: dict[str, tuple[str, str]] = {
    "title": ("边际价值：放宽一点可多满足的编制数（按地区和编制类型重新求解；未列出的放宽后也不多满足）",
              ("Marginal values: quotas more met with a little more room (re-solved per region "
               "and quota type; those not listed would meet nothing more)")),
    "region": ("地区", "region"), "quota_type": ("编制类型", "quota type"),
    "reserve_rate_minus_1pt": ("今年少留1个百分点空编率", "one point less reserve rate"),
    "pool_plus_1": ("编制池多1个编制", "one more pool quota"),
}


def marginal_header(key: str) -> str:
    return MARGINAL_HEADERS[key][0 if current() == "zh" else 1]


# key → {"zh": template, "en": template}; placeholders are str.format fields
TEMPLATES: dict[str, dict[str, str]] = {
    # moves.csv (solver/quotas/extract.py)
    "move.same_system": {"zh": "{tier}需求{demand}：使用同系统{donor}的空编{note}",
                         "en": "{tier} demand {demand}: vacancy of {donor} in the same "
                               "system{note}"},
    "move.same_sector": {"zh": "{tier}需求{demand}：使用职能相近领域{donor}的空编{note}",
                         "en": "{tier} demand {demand}: vacancy of {donor} in a system of the "
                               "same sector (职能相近){note}"},
    "move.other": {"zh": "{tier}需求{demand}：使用其他领域{donor}的空编{note}",
                   "en": "{tier} demand {demand}: vacancy of {donor} in another sector{note}"},
    "move.pool": {"zh": "{tier}需求{demand}：动态使用{donor}编制池{note}",
                  "en": "{tier} demand {demand}: dynamic quota from the {donor} pool "
                        "(动态用编){note}"},
    "move.from_region": {"zh": "（跨地区，来自{region}）", "en": " (from region {region})"},
    "move.with_person": {"zh": "{tier}需求{demand}：富余人员{person}从{unit}带编调剂",
                         "en": "{tier} demand {demand}: surplus person {person} moves from "
                               "{unit} with the quota (带编调剂)"},
    "move.withdraw": {"zh": "职能消失：空编收回编制池",
                      "en": "functions lapsed: vacant quotas withdrawn to the pool (收回)"},
    "move.merge_release": {"zh": "整合小散弱：精简的编制收回编制池",
                           "en": "merger of small institutions: overhead freed to the pool "
                                 "(整合小散弱)"},
    "move.merge": {"zh": "并入{keeper}：剩余{amount}个编制和{persons}名在编人员随之划转"
                         "（整合小散弱）",
                   "en": "merged into {keeper}: its {amount} remaining quotas and {persons} "
                         "staff pass to the keeper (整合小散弱)"},
    "move.merge_cover": {"zh": "并入{keeper}：随人员带走的编制超出保留数{amount}个，由承接单位"
                               "补足；{persons}名在编人员随之划转",
                         "en": "merged into {keeper}: the keeper covers the {amount} quotas its "
                               "people took along beyond what it kept; its {persons} staff "
                               "pass to the keeper"},
    # mergers.csv (solver/consolidation.py)
    "merger.keeper": {"zh": "{merger}的承接单位：{parent}（{system}）所属{count}个小散弱事业"
                            "单位并入，只保留一套领导职数；合并后核定{approved} − 精简{freed}"
                            " = {after} ≤ 规模上限{max_size}；精简{freed} ≤ 空编{vacancy}"
                            "（核定{approved} − 实有{staff}{held}）{limit}",
                      "en": "keeper of {merger}: {count} small institution{plural} of {parent} "
                            "({system}) {verb} into it, which keeps one set of leader posts; "
                            "merged approved {approved} − {freed} freed = {after} ≤ max size "
                            "{max_size}; freed {freed} ≤ vacancies {vacancy} (approved "
                            "{approved} − staff {staff}{held}){limit}"},
    "merger.held": {"zh": " − 返岗占用{held}", "en": " − {held} held for returns"},
    "merger.absorbed": {"zh": "并入{keeper}：核定{approved} ≤ 规模门槛{threshold}；精简管理编制"
                              "{overhead} + 领导职数{posts}中的{freed}个（不超过其核定数）",
                        "en": "merged into {keeper}: approved {approved} ≤ threshold "
                              "{threshold}; frees {freed} of overhead {overhead} + leader "
                              "posts {posts} (never more than its approved)"},
    "merger.limit": {"zh": "；领导职数硬约束：保留{kept}/{posts}个领导职数，符合{basis}",
                     "en": "; hard leader-post limit: keeps {kept} of its {posts} leader posts, "
                           "within {basis}"},
    "merger.limit_frees": {"zh": "，精简其余{freed}个", "en": "; frees the other {freed}"},
    "merger.release": {"zh": "整合收回：{unit}并入{keeper}，精简管理编制（{merger}）",
                       "en": "merge_release: overhead freed by merging {unit} into {keeper} "
                             "({merger})"},
    "merger.release_leaders": {"zh": "整合收回：{keeper}合并后规模对应的领导职数限额以上部分"
                                     "收回（{merger}；省定领导职数按规模核定）",
                               "en": "merge_release: leader posts of {keeper} above the limit "
                                     "for the merged size freed ({merger}; provincial "
                                     "leader-post limits by size)"},
    # assignments.csv (solver/cadres/model.py)
    "cadre.group": {"zh": "{group}：{skills}；{preference}；{experience}",
                    "en": "{group}: {skills}; {preference}; {experience}"},
    "cadre.skills": {"zh": "专长匹配（{skills}）", "en": "skills {skills} match"},
    "cadre.no_skills": {"zh": "无匹配专长", "en": "skills none match"},
    "cadre.preference": {"zh": "第{rank}志愿", "en": "preference {rank}"},
    "cadre.no_preference": {"zh": "非本人志愿", "en": "not among preferences"},
    "cadre.in_charge": {"zh": "现负责分管具体工作", "en": "in charge of work"},
    "cadre.assisting": {"zh": "现协助管理", "en": "assisting"},
    "cadre.idle": {"zh": "现仅享受待遇", "en": "only enjoying rank"},
    "cadre.return": {"zh": "本人愿意返岗；原单位有空编（空编或提前退休腾出），为其返岗保留",
                     "en": "wants to return; the home unit has a vacant post (its vacancy or "
                           "an early retirement), held for the return"},
    "cadre.early_retirement": {"zh": "符合条件（工龄{service}年，距法定退休年龄{to_stat:.1f}年）"
                                     "且{why}",
                               "en": "eligible ({service} years of service, {to_stat:.1f} "
                                     "years to the statutory age) and {why}"},
    "cadre.willing": {"zh": "本人自愿", "en": "willing"},
    "cadre.on_file": {"zh": "有存档的个人原因", "en": "on personal grounds on file"},
    "cadre.transfer": {"zh": "带编调剂至{unit}，用于{tier}需求{demand}",
                       "en": "moves with the quota (带编调剂) to {unit} for {tier} demand "
                             "{demand}"},
    "cadre.follow_up": {"zh": "{why}：发放告知书跟进处理；暂不安排",
                        "en": "{why}: formal notice (告知书) for follow-up; not assigned"},
    "cadre.stay": {"zh": "暂无其他合适安排（计入惩罚：清理工作要求逐步消除）",
                   "en": "no other option fits (penalised: the clean-up wants to end this)"},
    # aux_plan.csv (solver/aux.py)
    "aux.today": {"zh": "现有{n}人", "en": "{n} today"},
    "aux.never_approved": {"zh": "未经审批", "en": "never approved"},
    "aux.above_approved": {"zh": "超出核定员额{approved}的", "en": "above the approved {approved}"},
    "aux.ended_first": {"zh": "{what}{n}人优先清退", "en": "{n} {what} ended first"},
    "aux.kept_extra": {"zh": "{what}{n}人保留，履行报批程序",
                       "en": "{n} {what} kept, to be approved (履行报批程序)"},
    "aux.to_services": {"zh": "{n}人转为购买服务（可购买服务，养事不养人）",
                        "en": "{n} to purchased services (outsourceable, 养事不养人)"},
    "aux.kept": {"zh": "{n}人保留为核定员额", "en": "{n} kept as approved headcount (员额)"},
    "aux.ended_vacancy": {"zh": "清退{n}人：本单位{vacancy}个{vac}替代{cover}个岗位"
                                "（按必要性由低到高）",
                          "en": "{n} ended: the unit's {vacancy} {vac} take over {cover} "
                                "positions (least essential first)"},
    "aux.ended_cap": {"zh": "清退{n}人：{region}总量上限{formula}（权重{weight}，按必要性由低到高）",
                      "en": "{n} ended: region {region} cap {formula} (weight {weight}, least "
                            "essential first)"},
    "aux.cover": {"zh": "本单位{vacancy}个{vac}替代{cover}个岗位（空编单位按需进人）",
                  "en": "the unit's {vacancy} {vac} take over {cover} positions "
                        "(空编单位按需进人)"},
    "aux.cap": {"zh": "{region}总量上限{formula}", "en": "region {region} cap {formula}"},
    "aux.because": {"zh": "——原因：{why}", "en": " — because {why}"},
    "aux.and": {"zh": "，且", "en": " and "},
    "aux.vac_after": {"zh": "调整后剩余空编（蓄水池以上部分）",
                      "en": "vacancies the reallocation leaves it (beyond the reserve)"},
    "aux.vac_input": {"zh": "编制内空编", "en": "in-quota vacancies"},
    "aux.formula": {"zh": "{cap} = ⌊{base} × (1 − 压减比例){power}⌋",
                    "en": "{cap} = ⌊{base} × (1 − reduction){power}⌋"},
    # demands met short: what would unblock them (plan.xlsx, the CLI; solver/plan/readable.py)
    "unblock.over_quota_unit": {"zh": "单位超编{over}人，待人员减至核定数以下方可进人",
                                "en": "the unit is {over} over its quota: it may hire once its "
                                      "staff falls below the approved quota"},
    "unblock.full_unit_release_first": {"zh": "单位满编，须先有人员退出（退休、调出）腾出空编方可进人",
                                        "en": "the unit is full: a leaver (retirement, transfer "
                                              "out) must free a post first"},
    "unblock.lapsed_unit": {"zh": "单位职能消失，恢复职能后方可用编",
                            "en": "the unit's functions lapsed: restore them to receive quotas"},
    "unblock.reserve_floor": {"zh": "{region}空编已用至蓄水池底线：调低空编率或增加编制池编制",
                              "en": "{region}'s vacancies are used down to the reserve floor: a "
                                    "lower reserve rate or a larger pool"},
    "unblock.outranked_by_higher_tier": {"zh": "剩余编制已优先满足更高保障类别：增加{region}空编或"
                                               "编制池编制",
                                         "en": "higher tiers took what was left: more vacancies "
                                               "or pool quota in {region}"},
    "unblock.outranked_by_incentive": {"zh": "剩余编制已按激励导向给予绩效更好或中心任务更多的单位："
                                             "提高绩效，或增加{region}空编",
                                       "en": "units with a better appraisal or more central tasks "
                                             "came first: a better appraisal, or more vacancies in "
                                             "{region}"},
    "unblock.no_compatible_source": {"zh": "{region}已无该类型可用空编：增加空编，或允许跨地区调剂",
                                     "en": "no vacancy of this type is left in {region}: more "
                                           "vacancies, or allow moves across regions"},
    "unblock.starts_after_horizon": {"zh": "需求起始年度在规划期之后：延长规划期",
                                     "en": "the demand starts after the plan's last year: a "
                                           "longer horizon"},
    "unblock.task_ended": {"zh": "临时任务已结束：任务期间需有更多空编或编制池编制",
                           "en": "the temporary task ended: more vacancies or pool quota in its "
                                 "years"},
}
