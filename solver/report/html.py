"""Offline HTML reports: one self-contained file (plotly.js embedded, no outside URL).

`render_report(plan_dir)` reads a plan folder (and its inputs, through summary.json) and
returns the page; Chinese by default, English with lang="en". Labels of tables, columns and
values come from the alias table in `solver.domain`. Names and health statuses of people
appear only with include_personal=True; ids always.
"""

from __future__ import annotations

import html
import os
from contextvars import ContextVar
from pathlib import Path

import pandas as pd

from solver.compare import inputs_dataset, read_plan
from solver.domain import DEMAND_MOVES, ENUMS, TIER_ORDER
from solver.inventory import AGE_BANDS, age_band
from solver.names import Names

# the display names of the plan being rendered (its names.csv; codes where it has none)
_NAMES: ContextVar[Names] = ContextVar("report_names", default=Names())

def _below(reserve: dict) -> bool:
    """A quota type whose vacancy after the plan is below its floor: the floor is per region,
    and a region already below it before the plan keeps every vacancy it has (nothing is
    taken there), so the total can be under the summed floor."""
    return reserve["vacancy_after"] < reserve["floor"]


def vs_floor(reserve: dict) -> str:
    """'342 ≥ 342' — or '88 < 95', never a false '≥'."""
    return f"{reserve['vacancy_after']} {'<' if _below(reserve) else '≥'} {reserve['floor']}"


TEXT = {
    "zh": {
        "title": "编制调整方案", "compare_title": "方案比较", "sweep_title": "参数扫描结果",
        "sweep_met": "各扫描点满足的编制（按保障类别）", "sweep_table": "各扫描点主要指标",
        "sweep_point": "扫描点", "headline": "主要指标",
        "met": "需求满足", "requested": "申请", "reserve": "空编率储备", "floor": "底线",
        "below_before": "；有地区调整前已低于底线，其空编未动用",
        "vacancy_after": "调整后空编", "moves": "调整笔数", "quotas_moved": "调整编制数",
        "people": "富余人员安排", "sankey": "编制流向（调出领域 → 调入领域，按保障类别着色）",
        "sector_tables": "各领域调入调出明细（点击展开）", "moved_in": "调入", "moved_out": "调出",
        "quotas_unit": "名编制", "from_name": "调出单位名称", "to_name": "调入单位名称",
        "unit_name": "单位名称",
        "systems": "各系统核定编制与空编的变化（调整后 − 调整前，单位：名）",
        "systems_note": "图中只列有变化的系统；各系统调整前后的数字见下表。",
        "change_approved": "核定编制变化", "change_vacancy": "空编变化",
        "change_axis": "变化（名）", "vac_before": "调整前空编", "vac_after": "调整后空编",
        "approved_before": "调整前核定编制",
        "approved_after": "调整后核定编制", "rate_before": "调整前空编率",
        "rate_after": "调整后空编率", "tiers": "各保障类别申请与满足的编制数",
        "unmet": "未满足的需求及原因（按需求项数计）", "unmet_axis": "未满足的需求（项）",
        "unmet_bar": "{n}项需求，缺{q}名编制", "marginal": "边际价值：空编率降低1个百分点 / 编制池增加1个编制可多满足",
        "moves_table": "调整明细", "unmet_table": "未满足需求", "filter": "筛选…",
        "cadres": "富余人员：安排方式、年龄段与工作组", "by_option": "按安排方式",
        "by_age": "按年龄段", "by_group": "按工作组", "option": "安排方式",
        "age_band": "年龄段", "group": "工作组", "print_rows":
        "（打印版只列前{k}行，共{n}行；全部见方案文件夹的表格和 plan.xlsx）", "aux": "编外人员员额方案",
        "region": "地区", "quota_type": "编制类型", "solver": "求解", "pool": "编制池",
        "kpis": "指标对比", "changed": "满足数变化的需求", "system_diff": "各系统调整后核定编制（与基准方案之差）",
        "plan": "方案", "metric": "指标", "none": "无", "personal": "含个人信息",
        "generated": "由 bianzhi 生成", "count": "数量", "system": "系统", "sector": "领域",
        "reason": "原因", "tier": "保障类别", "temporary": "临时（事去减编）",
        # a multi-year plan (issue 12)
        "years": "分年度情况", "horizon": "规划期", "foresight": "预见方式",
        "perfect": "通盘考虑全部年度（完全预见）", "myopic": "逐年决定（不预见以后年度）",
        "retirement_rule": "退休", "statutory": "按法定退休年龄", "no_retirement": "不计退休",
        "attrition": "其他自然减员率", "replay_shortfall":
        "跨年度模型安排而逐年落实时未能安排的编制数", "year": "年度",
        "years_table": "各年度主要指标", "years_quota": "各年度核定编制、实有人数与空编（单位合计）",
        "approved": "核定编制", "staff": "实有人数", "vacancy": "空编",
        "start_of": "{y}年初", "end_of": "{y}年末", "quota_axis": "编制数/人数（名）",
        "years_reserve": "各年度空编率储备与底线", "reserve_axis": "编制数（名）",
        "years_leavers": "各年度退休、其他自然减员与进人", "retirements": "到龄退休",
        "leavers": "其他自然减员", "hires": "进人", "people_axis": "人数（人）",
        "years_met": "各年度满足的编制（按保障类别）", "met_axis": "编制数（名）",
        "years_demands": "各年度得到编制的需求", "demands_axis": "需求数（项）",
        "completed": "当年全部满足的需求", "years_returned": "各年度事去减编收回的编制",
        "returned": "事去减编收回", "demand_years_table": "需求分年度满足明细",
        "pool_years_table": "分年度编制池", "by_year": "各年度满足",
        "years_aux": "各年度编外人员压减（锁定基数，逐年递减）", "aux_kept": "年末员额",
        "aux_cap": "当年上限", "aux_services": "转购买服务", "aux_ended": "清退",
        "aux_years_table": "编外人员分年度压减", "outcome_met": "已满足",
        "outcome_absent": "该方案无此需求",
        "compare_years": "各方案分年度满足的编制（按保障类别）",
        "compare_reserve": "各方案分年度空编率储备（虚线为底线）",
        "compare_years_table": "各方案分年度指标", "met_years": "满足年度不同的需求",
    },
    "en": {
        "title": "Staffing-quota plan", "compare_title": "Plan comparison",
        "sweep_title": "Sweep results", "sweep_met": "Quotas met per tier at each point",
        "sweep_table": "Main figures per point", "sweep_point": "point", "headline": "Headline",
        "met": "Demands met", "requested": "requested", "reserve": "Reserve (vacancy kept)",
        "floor": "floor",
        "below_before": "; some regions were below it before the plan: nothing taken there",
        "vacancy_after": "vacancy after", "moves": "Moves",
        "quotas_moved": "quotas moved", "people": "Surplus people",
        "sankey": "Quota flows (donor sector → recipient sector, coloured by tier)",
        "sector_tables": "Flows in and out of each sector (click to open)",
        "moved_in": "in", "moved_out": "out", "quotas_unit": "quotas",
        "from_name": "from (name)", "to_name": "to (name)", "unit_name": "unit name",
        "systems": "Change of approved quota and vacancy per system (after − before, quotas)",
        "systems_note": "The chart lists the systems that changed; the table has every "
        "system before and after.",
        "change_approved": "approved quota change", "change_vacancy": "vacancy change",
        "change_axis": "change (quotas)", "vac_before": "vacancy before",
        "vac_after": "vacancy after",
        "approved_before": "approved before", "approved_after": "approved after",
        "rate_before": "vacancy rate before", "rate_after": "vacancy rate after",
        "tiers": "Quotas requested and met per tier",
        "unmet": "Unmet demands and why (counted in demands)", "unmet_axis": "unmet demands",
        "unmet_bar": "{n} demands, {q} quotas short",
        "marginal": "Marginal values: more met with 1 point less reserve / 1 more pool quota",
        "moves_table": "Moves", "unmet_table": "Unmet demands", "filter": "Filter…",
        "cadres": "Surplus cadres: option, age band and group", "by_option": "by option",
        "by_age": "by age band", "by_group": "by task group", "option": "option",
        "age_band": "age band", "group": "task group", "print_rows":
        "(printed: the first {k} of {n} rows; all of them in the plan folder's tables and "
        "plan.xlsx)", "aux": "Off-quota positions",
        "region": "region", "quota_type": "quota type", "solver": "solver", "pool": "pool",
        "kpis": "KPIs", "changed": "Demands met differently", "system_diff":
        "Approved quota after the plan per system (difference from the base plan)", "plan": "plan", "metric": "metric",
        "none": "none", "personal": "includes personal data", "generated": "made by bianzhi",
        "count": "count", "system": "system", "sector": "sector", "reason": "reason", "tier": "tier",
        "temporary": "temporary (returned when the task ends)",
        "years": "Year by year", "horizon": "horizon", "foresight": "foresight",
        "perfect": "perfect (all years planned together)",
        "myopic": "myopic (each year decided alone)", "retirement_rule": "retirement",
        "statutory": "statutory", "no_retirement": "none", "attrition": "other leavers a year",
        "replay_shortfall": "quotas the horizon model planned that the year-by-year placement "
        "could not place", "year": "year",
        "years_table": "Figures per year", "years_quota":
        "Approved quota, staff and vacancy per year (units' totals)", "approved": "approved",
        "staff": "staff", "vacancy": "vacancy", "start_of": "start {y}", "end_of": "end {y}",
        "quota_axis": "quotas / people", "years_reserve":
        "Reserve (vacancy kept) against its floor per year", "reserve_axis": "quotas",
        "years_leavers": "Retirements, other leavers and hires per year",
        "retirements": "retirements", "leavers": "other leavers", "hires": "hires",
        "people_axis": "people", "years_met": "Quotas met per tier per year",
        "met_axis": "quotas", "years_demands": "Demands receiving quotas per year",
        "demands_axis": "demands", "completed": "demands fully met that year",
        "years_returned": "Temporary quotas returned per year (when the task ends)",
        "returned": "returned", "demand_years_table": "Demands met per year",
        "pool_years_table": "Pool per year", "by_year": "met per year",
        "years_aux": "Off-quota staff per year (the locked base, cut every year)",
        "aux_kept": "kept (approved headcount)", "aux_cap": "the year's cap",
        "aux_services": "to purchased services", "aux_ended": "ended",
        "aux_years_table": "Off-quota cut per year", "outcome_met": "met",
        "outcome_absent": "not in this plan",
        "compare_years": "Quotas met per tier per year, per plan",
        "compare_reserve": "Reserve per year, per plan (dashed: the floor)",
        "compare_years_table": "Figures per year and plan",
        "met_years": "Demands met in other years",
    },
}
TIER_COLOURS = {"key": "rgba(192,57,43,0.55)", "emergency": "rgba(230,126,34,0.55)",
                "operational": "rgba(41,128,185,0.55)", "": "rgba(127,140,141,0.45)"}
COLUMN_ENUMS = {"kind": "move_kind", "quota_type": "quota_type", "tier": "tier",
                "source": "source", "unmet_reason": "unmet_reason", "option": "option",
                "status": "unit_status", "category": "category", "health": "health"}

# One font stack for the page and the charts' SVG text: a CJK font of each system first.
FONT = ('"Noto Sans CJK SC","Microsoft YaHei","PingFang SC","WenQuanYi Zen Hei",'
        '"Source Han Sans SC",sans-serif')
PRINT_ROWS = 25  # rows of a table printed; the plan folder's CSVs and plan.xlsx hold all
# The page is at most 1000px wide so that a chart drawn on screen also fits the printable
# width of A4 landscape (277mm ≈ 1047px): plotly fixes a chart's width when it draws it.
CSS = f"""
body{{font-family:{FONT};margin:24px;color:#222;max-width:1000px}}
""" + """
h1{font-size:24px} h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
h1,h2,h3{overflow-wrap:anywhere}
.tier-legend{display:flex;gap:16px;font-size:13px;margin:4px 0 8px}
.tier-legend span.chip{display:inline-block;width:14px;height:14px;margin-right:4px;
vertical-align:-2px;border-radius:2px}
details{margin:4px 0} summary{cursor:pointer;font-size:13px}
.note,.print-only{color:#666;font-size:12px} .print-only{display:none}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:150px}
.card .v{font-size:22px;font-weight:bold} .card .l{font-size:12px;color:#666}
table{border-collapse:collapse;font-size:12px;width:100%} th,td{border:1px solid #ddd;
padding:3px 6px;text-align:left} th{background:#f4f4f4;cursor:pointer;user-select:none}
.scroll{max-height:420px;overflow:auto} input.filter{margin:6px 0;padding:4px;width:280px}
.meta{color:#666;font-size:12px}
.plotly-graph-div{break-inside:avoid;page-break-inside:avoid}
@page{size:A4 landscape;margin:10mm}
@media print{
body{margin:0;max-width:none}
h1{font-size:20px;margin:0 0 4px} h2{break-after:avoid;page-break-after:avoid}
h3{break-after:avoid;page-break-after:avoid}
.cards{break-after:page;page-break-after:always}
.card{break-inside:avoid}
input.filter{display:none} .scroll{max-height:none;overflow:visible}
tr.print-cut{display:none} .print-only{display:block}
table{break-inside:auto} tr{break-inside:avoid}
}
"""
# Script errors are counted on the page itself, so a headless browser test can read them.
ERRORS_JS = """window.addEventListener('error',function(e){var n=document.documentElement;
n.setAttribute('data-js-errors',(parseInt(n.getAttribute('data-js-errors')||'0')+1)+'');
n.setAttribute('data-js-error-message',String(e.message));});"""
JS = """
function bzFilter(input,id){var q=input.value.toLowerCase();
 document.querySelectorAll('#'+id+' tbody tr').forEach(function(r){
  r.style.display=r.textContent.toLowerCase().indexOf(q)>=0?'':'none';});}
function bzSort(th){var table=th.closest('table'),i=Array.prototype.indexOf.call(
 th.parentNode.children,th),body=table.tBodies[0],rows=Array.from(body.rows),
 asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';
 rows.sort(function(a,b){var x=a.cells[i].textContent,y=b.cells[i].textContent,
  nx=parseFloat(x),ny=parseFloat(y);var c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);
  return asc?c:-c;});rows.forEach(function(r){body.appendChild(r);});}
"""


def _label(value: object, enum: str, lang: str) -> str:
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    if lang == "zh" and enum in ENUMS:
        return ENUMS[enum].get(text, text)
    return text


# Columns holding codes of systems, sectors and regions: shown through _name.
NAMED_COLUMNS = ("system", "sector", "region", "from_region", "to_region")


def _name(kind: str, code: object, lang: str) -> str:
    """The display name of a system, sector or region code (卫生健康 for health).

    Every label of these codes in the reports goes through here: the name the plan's data
    gives (names.csv of the plan folder, `solver.names`), else the alias table's label where
    it has one of that kind, else the code itself."""
    named = _NAMES.get().by_kind.get(kind, {}).get(str(code))
    return named if named else _label(code, kind, lang)


def _column_label(column: str, lang: str) -> str:
    t = TEXT[lang]
    if column in ("from_name", "to_name", "unit_name", "sector"):
        return t[column]
    if lang == "en":
        return column
    from solver.domain import PLAN_TABLES, TABLES

    for table in (*PLAN_TABLES.values(), *TABLES.values()):
        for col in table.columns:
            if col.name == column:
                return col.zh
    return column


def _table(frame: pd.DataFrame, table_id: str, lang: str, limit: int = 5000) -> str:
    """A sortable, filterable HTML table with localised headers and values."""
    t = TEXT[lang]
    frame = frame.head(limit)
    head = "".join(f"<th onclick=\"bzSort(this)\">{html.escape(_column_label(c, lang))}</th>"
                   for c in frame.columns)
    body = []
    for k, row in enumerate(frame.itertuples(index=False)):
        cells = []
        for col, value in zip(frame.columns, row):
            if col in NAMED_COLUMNS:
                text = _name(col.removeprefix("from_").removeprefix("to_"), value, lang)
            else:
                text = _label(value, COLUMN_ENUMS.get(col, ""), lang)
            cells.append(f"<td>{html.escape(text)}</td>")
        # print only the first rows: a committee's copy, not the whole plan folder
        cut = " class=\"print-cut\"" if k >= PRINT_ROWS else ""
        body.append(f"<tr{cut}>" + "".join(cells) + "</tr>")
    note = (f"<p class=\"print-only\">{t['print_rows'].format(k=PRINT_ROWS, n=len(frame))}"
            "</p>" if len(frame) > PRINT_ROWS else "")
    return (f"<input class=\"filter\" placeholder=\"{t['filter']}\" "
            f"oninput=\"bzFilter(this,'{table_id}')\"><div class=\"scroll\">"
            f"<table id=\"{table_id}\"><thead><tr>{head}</tr></thead><tbody>"
            + "".join(body) + "</tbody></table></div>" + note)


def _fig(fig, div_id: str) -> str:
    """A chart's div. No toolbar (modebar): it sat over the legends, and a committee reads
    the charts rather than zooming them; text in the page's CJK font."""
    fig.update_layout(font={"family": FONT})
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True,
                               "displayModeBar": False})


def _page(title: str, sections: list[str], lang: str, meta: str) -> str:
    import plotly.offline

    return (f"<!DOCTYPE html><html lang=\"{'zh-CN' if lang == 'zh' else 'en'}\"><head>"
            f"<meta charset=\"utf-8\"><title>{html.escape(title)}</title><style>{CSS}</style>"
            f"<script>{ERRORS_JS}</script>"
            f"<script>{plotly.offline.get_plotlyjs()}</script><script>{JS}</script></head>"
            f"<body><h1>{html.escape(title)}</h1><p class=\"meta\">{meta}</p>"
            + "".join(sections) + "</body></html>")


def _card(value: str, label: str) -> str:
    return (f"<div class=\"card\"><div class=\"v\">{html.escape(value)}</div>"
            f"<div class=\"l\">{html.escape(label)}</div></div>")


YEAR_COLOURS = {"approved": "#34495e", "staff": "#27ae60", "vacancy": "#c0392b",
               "floor": "#7f8c8d", "retirements": "#8e44ad", "leavers": "#d35400",
               "hires": "#2980b9", "completed": "#2c3e50", "aux_kept": "#16a085",
               "aux_services": "#f39c12", "aux_ended": "#95a5a6"}
TIER_SOLID = {"key": "#c0392b", "emergency": "#e67e22", "operational": "#2980b9"}


def _ints(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """The columns as integers (plan tables are read as text; an empty cell is 0)."""
    out = frame.copy()
    for col in columns:
        out[col] = pd.to_numeric(out[col].replace("", "0")).fillna(0).astype("int64")
    return out


def _year_text(values: pd.Series) -> pd.Series:
    """Years as '2021' ('' where none), whether written as 2021, 2021.0 or ''."""
    years = pd.to_numeric(values.replace("", None), errors="coerce")
    return years.map(lambda v: "" if pd.isna(v) else str(int(v)))


def _quota_types(found) -> list[str]:
    """The quota types found, in the order of the domain's list (others after, sorted)."""
    found = set(found)
    known = [q for q in ENUMS["quota_type"] if q in found]
    return known + sorted(found - set(known))


def _year_axes(fig, lang: str, title: str, cols: int = 1) -> None:
    """Years as categories on x (never 2021.5), axis titles with units on every panel."""
    t = TEXT[lang]
    for col in range(1, cols + 1):
        kw = {"row": 1, "col": col} if cols > 1 else {}
        fig.update_xaxes(title_text=t["year"], type="category", **kw)
        fig.update_yaxes(title_text=title if col == 1 else None, rangemode="tozero", **kw)
    fig.update_layout(margin={"t": 60 if cols > 1 else 10}, legend={"orientation": "h",
                      "y": -0.25})


def years_sections(plan, lang: str = "zh") -> list[str]:
    """The year-by-year part of the report of a multi-year plan (issue 12); [] otherwise.

    From summary.json's `horizon` and `years` and the tables years.csv, demand_years.csv and
    pool_years.csv: approved, staff and vacancy per quota type, the reserve against its floor,
    retirements and other leavers, quotas and demands met per tier, 事去减编 returns."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    t = TEXT[lang]
    s = plan.summary
    h = s.get("horizon") or {}
    per_year = s.get("years") or {}
    if not h.get("present") or not per_year:
        return []
    years = sorted(per_year, key=int)
    tl = lambda tier: _label(tier, "tier", lang)
    ql = lambda qt: _label(qt, "quota_type", lang)
    sections: list[str] = []

    facts = [f"{t['horizon']}: {h.get('start')}–{h.get('end')}",
             f"{t['foresight']}: {t.get(h.get('foresight'), h.get('foresight'))}",
             f"{t['retirement_rule']}: "
             + (t["statutory"] if h.get("retirement") == "statutory" else t["no_retirement"]),
             f"{t['attrition']}: {float(h.get('attrition') or 0):.1%}"]
    if h.get("replay_shortfall"):
        facts.append(f"{t['replay_shortfall']}: {h['replay_shortfall']}")
    intro = "<p class=\"meta\" id=\"horizon\">" + " · ".join(html.escape(f) for f in facts) \
        + "</p>"

    # one row per year: what a committee reads first
    types = _quota_types(q for y in years for q in per_year[y].get("reserve", {}))
    rows = []
    for y in years:
        v = per_year[y]
        rows.append({
            t["year"]: y,
            **{f"{t['met']} · {tl(x)}": v["met"].get(x, 0) for x in TIER_ORDER},
            **{f"{t['reserve']} · {ql(q)}": vs_floor(v["reserve"][q])
               for q in types if q in v["reserve"]},
            t["retirements"]: v.get("retirements", 0), t["leavers"]: v.get("leavers", 0),
            t["hires"]: v.get("hires", 0), t["returned"]: v.get("returned", 0)})
    sections.append(f"<h2>{t['years']}</h2>" + intro + f"<h3>{t['years_table']}</h3>"
                    + _table(pd.DataFrame(rows), "table-years", lang))

    # approved, staff and vacancy per quota type: the start of the horizon, then each year end
    yt = plan.tables.get("years")
    if yt is not None and len(yt):
        yt = _ints(yt, ["year", "approved_start", "staff_start", "approved_end", "staff_end",
                        "vacancy_end", "returned"])
        first = int(yt["year"].min())
        start = yt[yt["year"] == first].assign(
            vacancy_start=lambda f: (f["approved_start"] - f["staff_start"]).clip(lower=0))
        qtypes = _quota_types(yt["quota_type"].unique())
        fig = make_subplots(rows=1, cols=len(qtypes), subplot_titles=[ql(q) for q in qtypes])
        x = [t["start_of"].format(y=first)] + [t["end_of"].format(y=y) for y in years]
        for col, qt in enumerate(qtypes, start=1):
            ends = yt[yt["quota_type"] == qt].groupby("year")[
                ["approved_end", "staff_end", "vacancy_end"]].sum().reindex(
                [int(y) for y in years], fill_value=0)
            st = start[start["quota_type"] == qt]
            for key, begin, col_end in (
                    ("approved", st["approved_start"].sum(), "approved_end"),
                    ("staff", st["staff_start"].sum(), "staff_end"),
                    ("vacancy", st["vacancy_start"].sum(), "vacancy_end")):
                fig.add_trace(go.Scatter(
                    x=x, y=[int(begin), *ends[col_end].tolist()], name=t[key],
                    mode="lines+markers", legendgroup=key, showlegend=col == 1,
                    line={"color": YEAR_COLOURS[key]}), row=1, col=col)
        fig.update_layout(height=420)
        _year_axes(fig, lang, t["quota_axis"], len(qtypes))
        sections.append(f"<h3>{t['years_quota']}</h3>" + _fig(fig, "chart-years-quota"))

    # the reserve against its floor (蓄水池): vacancy kept at each year end
    fig = make_subplots(rows=1, cols=max(len(types), 1),
                        subplot_titles=[ql(q) for q in types] or None)
    for col, qt in enumerate(types, start=1):
        kept = [per_year[y]["reserve"].get(qt, {}).get("vacancy_after", 0) for y in years]
        floor = [per_year[y]["reserve"].get(qt, {}).get("floor", 0) for y in years]
        fig.add_trace(go.Bar(x=years, y=kept, name=t["vacancy_after"], legendgroup="kept",
                             showlegend=col == 1, marker={"color": YEAR_COLOURS["vacancy"]}),
                      row=1, col=col)
        fig.add_trace(go.Scatter(x=years, y=floor, name=t["floor"], mode="lines+markers",
                                 legendgroup="floor", showlegend=col == 1,
                                 line={"color": YEAR_COLOURS["floor"], "dash": "dash"}),
                      row=1, col=col)
    fig.update_layout(height=400)
    _year_axes(fig, lang, t["reserve_axis"], max(len(types), 1))
    sections.append(f"<h3>{t['years_reserve']}</h3>" + _fig(fig, "chart-years-reserve"))

    # who leaves: statutory retirements and other leavers, and the hires
    fig = go.Figure([
        go.Bar(x=years, y=[per_year[y].get("retirements", 0) for y in years],
               name=t["retirements"], marker={"color": YEAR_COLOURS["retirements"]}),
        go.Bar(x=years, y=[per_year[y].get("leavers", 0) for y in years],
               name=t["leavers"], marker={"color": YEAR_COLOURS["leavers"]}),
        go.Scatter(x=years, y=[per_year[y].get("hires", 0) for y in years], name=t["hires"],
                   mode="lines+markers", line={"color": YEAR_COLOURS["hires"]})])
    fig.update_layout(barmode="stack", height=360)
    _year_axes(fig, lang, t["people_axis"])
    sections.append(f"<h3>{t['years_leavers']}</h3>" + _fig(fig, "chart-years-leavers"))

    # when demands are met: quotas per tier, and demands per tier, per year
    fig = go.Figure([go.Bar(x=years, y=[per_year[y]["met"].get(x, 0) for y in years],
                            name=tl(x), marker={"color": TIER_SOLID[x]})
                     for x in TIER_ORDER])
    fig.update_layout(barmode="stack", height=360)
    _year_axes(fig, lang, t["met_axis"])
    sections.append(f"<h3>{t['years_met']}</h3>" + _fig(fig, "chart-years-met"))

    d = _ints(plan.tables["demands"], ["amount", "met"])
    dy = plan.tables.get("demand_years")
    dy = _ints(dy, ["met"]) if dy is not None else pd.DataFrame(
        columns=["demand_id", "year", "met"])
    dy = dy.assign(year=_year_text(dy["year"].astype(str)),
                   tier=dy["demand_id"].map(d.set_index("demand_id")["tier"]))
    met_year = _year_text(d["met_year"]) if "met_year" in d else pd.Series("", index=d.index)
    done = met_year[(d["met"] >= d["amount"]) & (d["amount"] > 0)].value_counts()
    counts = dy.groupby(["year", "tier"]).size()
    fig = go.Figure([go.Bar(x=years, y=[int(counts.get((y, x), 0)) for y in years],
                            name=tl(x), marker={"color": TIER_SOLID[x]})
                     for x in TIER_ORDER])
    fig.add_trace(go.Scatter(x=years, y=[int(done.get(y, 0)) for y in years],
                             name=t["completed"], mode="lines+markers",
                             line={"color": YEAR_COLOURS["completed"]}))
    fig.update_layout(barmode="stack", height=360)
    _year_axes(fig, lang, t["demands_axis"])
    by_year = dy.pivot_table(index="demand_id", columns="year", values="met", aggfunc="sum",
                             fill_value=0)
    detail = d[["demand_id", "unit_id", "quota_type", "tier", "amount", "met"]].copy()
    for y in years:
        detail[y] = by_year[y].reindex(detail["demand_id"]).fillna(0).astype("int64").to_numpy() \
            if y in by_year else 0
    detail["met_year"] = met_year.to_numpy()
    detail["unmet_reason"] = d["unmet_reason"].to_numpy()
    sections.append(f"<h3>{t['years_demands']}</h3>" + _fig(fig, "chart-years-demands")
                    + f"<h3>{t['demand_years_table']}</h3>"
                    + _table(detail, "table-demand-years", lang))

    # 事去减编: temporary quotas back to the pool the year after their task ends
    if yt is not None and len(yt):
        back = yt.groupby(["quota_type", "year"])["returned"].sum()
        traces = [go.Bar(x=years, y=[int(back.get((qt, int(y)), 0)) for y in years],
                         name=ql(qt)) for qt in _quota_types(yt["quota_type"].unique())]
    else:
        traces = [go.Bar(x=years, y=[per_year[y].get("returned", 0) for y in years],
                         name=t["returned"])]
    fig = go.Figure(traces)
    fig.update_layout(barmode="stack", height=340, showlegend=True)
    _year_axes(fig, lang, t["reserve_axis"])
    pool = plan.tables.get("pool_years")
    sections.append(f"<h3>{t['years_returned']}</h3>" + _fig(fig, "chart-years-returned")
                    + (f"<h3>{t['pool_years_table']}</h3>"
                       + _table(pool, "table-pool-years", lang) if pool is not None else ""))

    # the off-quota cut (编外人员): what each year keeps, buys and ends, against its cap
    aux = plan.tables.get("aux_years")
    if aux is not None and len(aux):
        aux = _ints(aux, ["year", "cap", "approved_after", "to_services", "ended"])
        per = aux.groupby("year")[["cap", "approved_after", "to_services", "ended"]].sum() \
            .reindex([int(y) for y in years], fill_value=0)
        fig = go.Figure([
            go.Bar(x=years, y=per[col].tolist(), name=t[key],
                   marker={"color": YEAR_COLOURS[key]})
            for col, key in (("approved_after", "aux_kept"), ("to_services", "aux_services"),
                             ("ended", "aux_ended"))])
        fig.add_trace(go.Scatter(x=years, y=per["cap"].tolist(), name=t["aux_cap"],
                                 mode="lines+markers",
                                 line={"color": YEAR_COLOURS["floor"], "dash": "dash"}))
        fig.update_layout(barmode="stack", height=360)
        _year_axes(fig, lang, t["people_axis"])
        sections.append(f"<h3>{t['years_aux']}</h3>" + _fig(fig, "chart-years-aux")
                        + f"<h3>{t['aux_years_table']}</h3>"
                        + _table(plan.tables["aux_years"], "table-aux-years", lang))
    return sections


def _unit_names(ids: pd.Series, units: pd.DataFrame) -> pd.Series:
    """The units' names (units.csv `name`) beside their ids; '' for the pool or no name."""
    if "name" not in units:
        return pd.Series("", index=ids.index)
    return ids.map(units["name"]).fillna("").astype(str)


def _sectors(units: pd.DataFrame) -> pd.Series:
    """Each unit's sector (领域), its system where it has none."""
    system = units["system"].fillna("").astype(str)
    if "sector" not in units:
        return system
    sector = units["sector"].fillna("").astype(str)
    return sector.where(sector != "", system)


def _tier_legend(lang: str) -> str:
    """The tier colours of the flow chart (a Sankey has no legend of its own)."""
    chips = "".join(f"<span><span class=\"chip\" style=\"background:{TIER_COLOURS[x]}\">"
                    f"</span>{html.escape(_label(x, 'tier', lang))}</span>" for x in TIER_ORDER)
    return f"<div class=\"tier-legend\" id=\"legend-tiers\">{chips}</div>"


def _flows_section(plan, units: pd.DataFrame, lang: str) -> str:
    """Quota flows between sectors (领域), coloured by tier, with a table per sector.

    At city scale the 30-odd systems and thousands of units make a Sankey of systems a
    tangle; the half-dozen sectors stay readable, and each sector's table (opened on click)
    lists its flows unit by unit, by name."""
    import plotly.graph_objects as go

    t = TEXT[lang]
    moves = plan.tables["moves"].copy()
    moves["amount"] = pd.to_numeric(moves["amount"])
    flows = moves[moves["kind"].isin(DEMAND_MOVES)].copy()
    sector = _sectors(units)
    flows["from_sector"] = flows["from_unit"].map(sector).fillna("")
    flows["to_sector"] = flows["to_unit"].map(sector).fillna("")
    label = lambda code: t["pool"] if code == "" else _name("sector", code, lang)
    agg = flows.groupby(["from_sector", "to_sector", "tier"], as_index=False)["amount"].sum()
    left = sorted(agg["from_sector"].unique(), key=lambda c: (c == "", c))
    right = sorted(agg["to_sector"].unique())
    fig = go.Figure(go.Sankey(
        valueformat="d", valuesuffix=f" {t['quotas_unit']}",
        node={"label": [f"{label(x)} →" for x in left] + [f"→ {label(x)}" for x in right],
              "pad": 14, "color": "rgba(90,100,110,0.8)"},
        link={"source": [left.index(x) for x in agg["from_sector"]],
              "target": [len(left) + right.index(x) for x in agg["to_sector"]],
              "value": agg["amount"].tolist(),
              "color": [TIER_COLOURS.get(x, TIER_COLOURS[""]) for x in agg["tier"]],
              "label": [_label(x, "tier", lang) for x in agg["tier"]]}))
    fig.update_layout(height=max(420, 26 * max(len(left), len(right))),
                      margin={"t": 10, "b": 10, "l": 10, "r": 10})

    details = []
    totals = {code: (int(flows.loc[flows["to_sector"] == code, "amount"].sum()),
                     int(flows.loc[flows["from_sector"] == code, "amount"].sum()))
              for code in sorted(set(left) | set(right))}
    for k, (code, (moved_in, moved_out)) in enumerate(
            sorted(totals.items(), key=lambda kv: (-kv[1][0] - kv[1][1], kv[0]))):
        mine = flows[(flows["to_sector"] == code) | (flows["from_sector"] == code)]
        shown = mine.assign(from_name=_unit_names(mine["from_unit"], units),
                            to_name=_unit_names(mine["to_unit"], units))[
            ["from_unit", "from_name", "to_unit", "to_name", "quota_type", "tier", "amount",
             "demand_id"]].sort_values(["tier", "to_unit", "from_unit"], kind="stable")
        summary = (f"{label(code)}: {t['moved_in']} {moved_in} · {t['moved_out']} "
                   f"{moved_out} {t['quotas_unit']}")
        details.append(f"<details><summary>{html.escape(summary)}</summary>"
                       + _table(shown, f"table-sector-{k}", lang) + "</details>")
    return (f"<h2>{t['sankey']}</h2>" + _tier_legend(lang) + _fig(fig, "chart-sankey")
            + f"<h3>{t['sector_tables']}</h3>" + "".join(details))


def _systems_section(plan, units: pd.DataFrame, lang: str) -> str:
    """Per system, the change (after − before) of approved quota and of vacancy.

    Two bars of 27k each side by side hide a change of 30; the change itself is what the
    committee asks about. The table keeps every system's figures before and after."""
    import plotly.graph_objects as go

    t = TEXT[lang]
    u = plan.tables["units"].copy()
    for col in ("approved_before", "approved_after", "staff_before", "staff_after"):
        u[col] = pd.to_numeric(u[col])
    u["system"] = u["unit_id"].map(units["system"]).fillna("")
    u["vac_before"] = (u["approved_before"] - u["staff_before"]).clip(lower=0)
    u["vac_after"] = (u["approved_after"] - u["staff_after"]).clip(lower=0)
    by_sys = u.groupby("system")[["approved_before", "approved_after", "vac_before",
                                  "vac_after"]].sum()
    by_sys["d_approved"] = by_sys["approved_after"] - by_sys["approved_before"]
    by_sys["d_vacancy"] = by_sys["vac_after"] - by_sys["vac_before"]
    changed = by_sys[(by_sys["d_approved"] != 0) | (by_sys["d_vacancy"] != 0)]
    changed = (changed if len(changed) else by_sys).sort_values(
        ["d_approved", "d_vacancy"], kind="stable")
    names = [_name("system", code, lang) for code in changed.index]
    fig = go.Figure([
        go.Bar(name=t["change_approved"], x=names, y=changed["d_approved"].tolist(),
               marker={"color": "#34495e"}),
        go.Bar(name=t["change_vacancy"], x=names, y=changed["d_vacancy"].tolist(),
               marker={"color": "#c0392b"})])
    fig.update_layout(barmode="group", height=460, margin={"t": 40},
                      legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"})
    fig.update_xaxes(title_text=t["system"], automargin=True)
    fig.update_yaxes(title_text=t["change_axis"], zeroline=True, zerolinewidth=2)
    rate = lambda vac, approved: (vac / approved.clip(lower=1)).map("{:.1%}".format)
    table = pd.DataFrame({
        t["system"]: [_name("system", code, lang) for code in by_sys.index],
        t["approved_before"]: by_sys["approved_before"], t["approved_after"]:
        by_sys["approved_after"], t["change_approved"]: by_sys["d_approved"],
        t["vac_before"]: by_sys["vac_before"], t["vac_after"]: by_sys["vac_after"],
        t["change_vacancy"]: by_sys["d_vacancy"],
        t["rate_before"]: rate(by_sys["vac_before"], by_sys["approved_before"]),
        t["rate_after"]: rate(by_sys["vac_after"], by_sys["approved_after"])})
    return (f"<h2>{t['systems']}</h2><p class=\"note\">{t['systems_note']}</p>"
            + _fig(fig, "chart-systems") + _table(table, "table-systems", lang))


def _unmet_chart(short: pd.DataFrame, lang: str):
    """Unmet demands per reason, counted in demands (as the terminal's line counts them),
    each bar also naming the quotas those demands lack."""
    import plotly.graph_objects as go

    t = TEXT[lang]
    by = short.groupby("unmet_reason").agg(demands=("demand_id", "size"),
                                           quotas=("unmet", "sum"))
    by = by.sort_values(["demands", "quotas"], kind="stable")
    fig = go.Figure(go.Bar(
        x=by["demands"].tolist(), y=[_label(r, "unmet_reason", lang) for r in by.index],
        orientation="h", marker={"color": "#7f8c8d"}, textposition="auto",
        text=[t["unmet_bar"].format(n=n, q=q) for n, q in zip(by["demands"], by["quotas"])]))
    fig.update_layout(height=130 + 44 * max(len(by), 1), margin={"t": 10})
    fig.update_xaxes(title_text=t["unmet_axis"], rangemode="tozero")
    fig.update_yaxes(title_text=t["reason"], automargin=True)
    return fig


def _cadre_charts(a: pd.DataFrame, task_groups, lang: str) -> str:
    """Surplus cadres by option, by age band (youngest first) and by task group."""
    import plotly.graph_objects as go

    t = TEXT[lang]
    ol = lambda o: _label(o, "option", lang)
    by_option = a["option"].value_counts()
    fig = go.Figure(go.Bar(x=[ol(o) for o in by_option.index], y=by_option.tolist()))
    fig.update_xaxes(title_text=t["option"])
    age = a.groupby(["age_band", "option"]).size().unstack(fill_value=0)
    bands = [b for b, _, _ in AGE_BANDS if b in age.index]
    age = age.reindex(bands + sorted(set(age.index) - set(bands)))  # an unknown age last
    fig2 = go.Figure([go.Bar(name=ol(o), x=age.index.tolist(), y=age[o].tolist())
                      for o in age.columns])
    fig2.update_layout(barmode="stack", legend={"orientation": "h", "y": -0.3})
    fig2.update_xaxes(title_text=t["age_band"], type="category", categoryorder="array",
                      categoryarray=age.index.tolist())
    groups = a[a["option"] == "group"]["group_id"].value_counts().sort_index()
    names = task_groups.set_index("group_id")["name"] if task_groups is not None \
        else pd.Series(dtype=object)
    fig3 = go.Figure(go.Bar(x=[f"{g} {names.get(g, '')}".strip() for g in groups.index],
                            y=groups.tolist()))
    fig3.update_xaxes(title_text=t["group"])
    out = ""
    for f, key, div in ((fig, "by_option", "chart-options"), (fig2, "by_age", "chart-ages"),
                        (fig3, "by_group", "chart-groups")):
        f.update_layout(height=320, margin={"t": 10})
        f.update_yaxes(title_text=t["people_axis"], rangemode="tozero")
        out += f"<h3>{t[key]}</h3>" + _fig(f, div)
    return out


def render_report(plan_dir: str | Path, lang: str = "zh", include_personal: bool = False,
                  data: Path | None = None) -> str:
    """The report page of a plan folder (`data`: where its inputs are now, --data)."""
    import plotly.graph_objects as go

    if lang not in TEXT:
        raise ValueError(f"unknown language {lang!r}: zh or en")
    t = TEXT[lang]
    plan = read_plan(plan_dir)
    _NAMES.set(plan.names)
    s = plan.summary
    ds = inputs_dataset(s, Path(plan_dir), data)  # refused unless the plan's
    units = ds.units.set_index("unit_id")
    tl = lambda tier: _label(tier, "tier", lang)  # noqa: E731
    sections: list[str] = []

    # headline
    cards = [_card(f"{m['met']}/{m['requested']}", f"{t['met']} · {tl(tier)}")
             for tier, m in s["met"].items()]
    cards += [_card(vs_floor(r), f"{t['reserve']} · {_label(qt, 'quota_type', lang)} "
                    f"({t['floor']}{t['below_before'] if _below(r) else ''})")
              for qt, r in s["reserve"].items()]
    cards.append(_card(str(s["moves"]["count"]), f"{t['moves']} · {t['quotas_moved']} "
                       f"{s['moves']['quotas_moved']}"))
    for option, count in s.get("cadres", {}).get("by_option", {}).items():
        cards.append(_card(str(count), f"{t['people']} · {_label(option, 'option', lang)}"))
    sections.append(f"<h2>{t['headline']}</h2><div class=\"cards\" id=\"headline\">"
                    + "".join(cards) + "</div>")

    sections.append(_flows_section(plan, units, lang))
    sections.append(_systems_section(plan, units, lang))

    # tiers
    fig = go.Figure([
        go.Bar(name=t["requested"], x=[tl(x) for x in TIER_ORDER],
               y=[s["met"][x]["requested"] for x in TIER_ORDER]),
        go.Bar(name=t["met"], x=[tl(x) for x in TIER_ORDER],
               y=[s["met"][x]["met"] for x in TIER_ORDER]),
    ])
    fig.update_layout(barmode="group", height=320, margin={"t": 10})
    fig.update_xaxes(title_text=t["tier"])
    fig.update_yaxes(title_text=t["met_axis"], rangemode="tozero")
    sections.append(f"<h2>{t['tiers']}</h2>" + _fig(fig, "chart-tiers"))
    sections += years_sections(plan, lang)  # a multi-year plan only

    # unmet, with reasons and marginal values
    d = plan.tables["demands"].copy()
    for col in ("amount", "met"):
        d[col] = pd.to_numeric(d[col])
    short = d[d["met"] < d["amount"]].assign(unmet=lambda f: f["amount"] - f["met"])
    fig = _unmet_chart(short, lang)
    marginal = pd.DataFrame([
        {"region": m["region"], "quota_type": m["quota_type"],
         **{f"-1pt {x}": (m["reserve_rate_minus_1pt"] or {}).get(x) for x in TIER_ORDER},
         **{f"+1 pool {x}": (m["pool_plus_1"] or {}).get(x) for x in TIER_ORDER}}
        for m in s["marginal_values"]["by_region"]])
    sections.append(f"<h2>{t['unmet']}</h2>" + _fig(fig, "chart-unmet")
                    + f"<h3>{t['marginal']}</h3>" + _table(marginal, "table-marginal", lang))
    # units listed by id and by name (the units table's `name`)
    short = short.assign(unit_name=_unit_names(short["unit_id"], units))
    shown_moves = plan.tables["moves"].assign(
        from_name=lambda f: _unit_names(f["from_unit"], units),
        to_name=lambda f: _unit_names(f["to_unit"], units))
    unmet_cols = ["demand_id", "unit_id", "unit_name", "quota_type", "tier", "amount", "met",
                  "unmet_reason", "reason"]
    move_cols = ["kind", "quota_type", "from_unit", "from_name", "to_unit", "to_name",
                 "amount", "demand_id", "tier", "source", "reason", "temporary_until"]
    if "met_year" in short:  # a multi-year plan: the year of the last quota met
        short = short.assign(met_year=_year_text(short["met_year"]))
        unmet_cols.insert(7, "met_year")
    if "year" in shown_moves:  # a multi-year plan: the year of each move
        move_cols.insert(0, "year")
    sections.append(f"<h2>{t['unmet_table']}</h2>" + _table(short[unmet_cols], "table-unmet",
                                                              lang))
    sections.append(f"<h2>{t['moves_table']}</h2>" + _table(
        shown_moves[move_cols], "table-moves", lang))

    # surplus cadres
    if "assignments" in plan.tables and ds.people is not None:
        a = plan.tables["assignments"].copy()
        people = ds.people.set_index("person_id")
        a["age_band"] = age_band(a["person_id"].map(people["age"]).astype(float))
        charts = _cadre_charts(a, ds.task_groups, lang)
        shown = a[["person_id", "option", "group_id", "score", "reason", "unit_id"]].copy()
        if include_personal:
            shown.insert(1, "name", a["person_id"].map(people["name"]))
            shown.insert(2, "health", a["person_id"].map(people["health"]))
        sections.append(f"<h2>{t['cadres']}</h2>" + charts
                        + _table(shown, "table-people", lang))

    aux_path = Path(plan_dir) / "aux_plan.csv"
    if aux_path.exists():
        aux = pd.read_csv(aux_path, dtype=str, keep_default_na=False)
        sections.append(f"<h2>{t['aux']}</h2>" + _table(aux, "table-aux", lang))

    meta = (f"{html.escape(s['scenario'].get('name', ''))} · {t['solver']}: "
            f"{s['solver']['name']} {s['solver']['status']} · {t['generated']} "
            f"{s['tool']['version']}" + (f" · {t['personal']}" if include_personal else ""))
    return _page(f"{t['title']} · {s['scenario'].get('name', '')}", sections, lang, meta)


def render_compare(result: dict, lang: str = "zh") -> str:
    """compare.html: KPIs side by side, the changed demands, per-system differences."""
    import plotly.graph_objects as go

    t = TEXT[lang]
    _NAMES.set(Names(result.get("display_names", {})))
    kpi = pd.DataFrame(result["kpis"]).set_index("plan").T.reset_index().rename(
        columns={"index": "metric"})
    sections = [f"<h2>{t['kpis']}</h2>" + _table(kpi, "table-kpis", lang)]
    rows = [{"demand_id": c["demand_id"], "plan": c["plan"], "unit_id": c["unit_id"],
             "tier": c["tier"], **{f"amount {k}": v for k, v in c["amount"].items()},
             **{f"met {k}": v for k, v in c["met"].items()},
             **{f"{t['reason']} {k}": t.get(f"outcome_{v}") or _label(v, "unmet_reason", lang)
                for k, v in c["reason"].items()}}
            for c in result["changed_demands"]]
    sections.append(f"<h2>{t['changed']}</h2>"
                    + _table(pd.DataFrame(rows), "table-changed", lang))
    plans = result["plans"]
    systems = result.get("systems", {})
    base = systems.get(plans[0], {})
    names = sorted(set().union(*[set(v) for v in systems.values()])) if systems else []
    # the difference from the base plan per system: what a committee compares
    fig = go.Figure([go.Bar(name=f"{p} − {plans[0]}", x=[_name("system", k, lang) for k in names],
                            y=[systems.get(p, {}).get(k, 0) - base.get(k, 0) for k in names])
                     for p in plans[1:]])
    fig.update_layout(barmode="group", height=420, margin={"t": 10})
    fig.update_xaxes(title_text=t["system"])
    fig.update_yaxes(title_text=t["change_axis"])
    table = pd.DataFrame([{"system": k, **{p: systems.get(p, {}).get(k, 0) for p in plans}}
                          for k in names])
    sections.append(f"<h2>{t['system_diff']}</h2>" + _fig(fig, "chart-compare-systems")
                    + _table(table, "table-systems", lang))
    sections += compare_years_sections(result, lang)  # multi-year plans only
    return _page(t["compare_title"], sections, lang, " · ".join(html.escape(p) for p in plans))


def render_sweep(wide: pd.DataFrame, keys: list[str], lang: str = "zh") -> str:
    """sweep.html: quotas met per tier against the swept value (the point's name when more
    than one key is swept), then the main figures per point."""
    import plotly.graph_objects as go

    t = TEXT[lang]
    x_name = keys[0] if len(keys) == 1 else t["sweep_point"]
    x = [str(v) for v in (wide[keys[0]] if len(keys) == 1 else wide["point"])]
    fig = go.Figure([go.Scatter(
        x=x, y=pd.to_numeric(wide.get(f"met.{tier}"), errors="coerce").tolist(),
        name=_label(tier, "tier", lang), mode="lines+markers",
        line={"color": TIER_SOLID[tier]}) for tier in TIER_ORDER if f"met.{tier}" in wide])
    fig.update_layout(height=420, margin={"t": 10}, legend={"orientation": "h", "y": -0.25})
    fig.update_xaxes(title_text=x_name, type="category")
    fig.update_yaxes(title_text=t["met_axis"], rangemode="tozero")
    sections = [f"<h2>{t['sweep_met']}</h2>" + _fig(fig, "chart-sweep-met"),
                f"<h2>{t['sweep_table']}</h2>" + _table(wide, "table-sweep", lang)]
    return _page(t["sweep_title"], sections, lang,
                 " · ".join(html.escape(k) for k in keys))


def compare_years_sections(result: dict, lang: str = "zh") -> list[str]:
    """compare.html's part for multi-year plans: quotas met per tier per year for each plan
    (bars side by side per year, stacked by tier), the reserve per year for each plan against
    its floor, the figures per year and plan, and the demands met in other years."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from solver.compare import by_year_text, years_frame

    rows = result.get("years") or []
    if not rows:
        return []
    t = TEXT[lang]
    tl = lambda tier: _label(tier, "tier", lang)
    ql = lambda qt: _label(qt, "quota_type", lang)
    plans = [p for p in result["plans"] if any(r["plan"] == p for r in rows)]
    rows = sorted(rows, key=lambda r: (r["year"], plans.index(r["plan"])))
    # two-level categories: the year, then the plan within it
    x = [[str(r["year"]) for r in rows], [r["plan"] for r in rows]]
    fig = go.Figure([go.Bar(x=x, y=[r["met"].get(tier, 0) for r in rows], name=tl(tier),
                            marker={"color": TIER_SOLID[tier]}) for tier in TIER_ORDER])
    fig.update_layout(barmode="stack", height=440, margin={"t": 10},
                      legend={"orientation": "h", "y": -0.3})
    fig.update_xaxes(title_text=t["year"])
    fig.update_yaxes(title_text=t["met_axis"], rangemode="tozero")
    sections = [f"<h2>{t['compare_years']}</h2>" + _fig(fig, "chart-compare-years")]

    types = _quota_types(q for r in rows for q in r["reserve"])
    years = sorted({r["year"] for r in rows})
    fig = make_subplots(rows=1, cols=max(len(types), 1),
                        subplot_titles=[ql(q) for q in types] or None)
    palette = ["#2c3e50", "#c0392b", "#27ae60", "#8e44ad", "#d35400", "#2980b9"]
    for col, qt in enumerate(types, start=1):
        for k, plan in enumerate(plans):
            mine = {r["year"]: r["reserve"].get(qt, {}) for r in rows if r["plan"] == plan}
            colour = palette[k % len(palette)]
            fig.add_trace(go.Scatter(
                x=[str(y) for y in years], y=[mine.get(y, {}).get("vacancy_after") for y in years],
                name=plan, legendgroup=plan, showlegend=col == 1, mode="lines+markers",
                line={"color": colour}), row=1, col=col)
            fig.add_trace(go.Scatter(
                x=[str(y) for y in years], y=[mine.get(y, {}).get("floor") for y in years],
                name=f"{plan} · {t['floor']}", legendgroup=plan, showlegend=False,
                mode="lines", line={"color": colour, "dash": "dash", "width": 1}),
                row=1, col=col)
    fig.update_layout(height=400)
    _year_axes(fig, lang, t["reserve_axis"], max(len(types), 1))
    sections.append(f"<h2>{t['compare_reserve']}</h2>" + _fig(fig, "chart-compare-reserve"))

    table = years_frame({"years": rows})
    sections.append(f"<h2>{t['compare_years_table']}</h2>"
                    + _table(table, "table-compare-years", lang))
    changed = [{"demand_id": c["demand_id"], "plan": c["plan"], "unit_id": c["unit_id"],
                "tier": c["tier"], "amount": c["amount"],
                **{f"{_column_label('met_year', lang)} {k}": "" if v is None else str(v)
                   for k, v in c["met_year"].items()},
                **{f"{t['by_year']} {k}": by_year_text(v) for k, v in c["by_year"].items()}}
               for c in result.get("met_years", [])]
    sections.append(f"<h2>{t['met_years']}</h2>"
                    + _table(pd.DataFrame(changed), "table-met-years", lang))
    return sections


def write_report(plan_dir: str | Path, lang: str = "zh", include_personal: bool = False,
                 data: Path | None = None) -> Path:
    """PLAN_DIR/report.html, written atomically, only into a plan folder of bianzhi."""
    from solver.io.outdir import OutputError, is_plan_folder, locked
    from solver.io.write import atomic_write_bytes

    plan_dir = Path(plan_dir)
    if not is_plan_folder(plan_dir):
        raise OutputError(f"{plan_dir}: not a plan folder written by bianzhi run (no "
                          "summary.json of bianzhi); the report is written only into one")
    path = plan_dir / "report.html"
    if os.path.lexists(path) and (path.is_symlink() or not path.is_file()):
        raise OutputError(f"{path}: exists and is not a file bianzhi wrote; move it away")
    page = render_report(plan_dir, lang, include_personal, data).encode("utf-8")
    with locked(path):
        atomic_write_bytes(path, page)
    return path
