"""Offline HTML reports: one self-contained file (plotly.js embedded, no outside URL).

`render_report(plan_dir)` reads a plan folder (and its inputs, through summary.json) and
returns the page; Chinese by default, English with lang="en". Labels of tables, columns and
values come from the alias table in `solver.domain`. Names and health statuses of people
appear only with include_personal=True; ids always.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import pandas as pd

from solver.compare import read_plan
from solver.domain import DEMAND_MOVES, ENUMS, TIER_ORDER
from solver.inventory import age_band

TEXT = {
    "zh": {
        "title": "编制调整方案", "compare_title": "方案比较", "headline": "主要指标",
        "met": "需求满足", "requested": "申请", "reserve": "空编率储备", "floor": "底线",
        "vacancy_after": "调整后空编", "moves": "调整笔数", "quotas_moved": "调整编制数",
        "people": "富余人员安排", "sankey": "编制流向（调出系统 → 调入系统，按保障类别着色）",
        "systems": "各系统核定编制与空编率（调整前后）", "approved_before": "调整前核定编制",
        "approved_after": "调整后核定编制", "rate_before": "调整前空编率",
        "rate_after": "调整后空编率", "tiers": "各保障类别满足情况",
        "unmet": "未满足需求及原因", "marginal": "边际价值：空编率降低1个百分点 / 编制池增加1个编制可多满足",
        "moves_table": "调整明细", "unmet_table": "未满足需求", "filter": "筛选…",
        "cadres": "富余人员：安排方式、年龄段与工作组", "by_option": "按安排方式",
        "by_age": "按年龄段", "by_group": "按工作组", "aux": "编外人员员额方案",
        "region": "地区", "quota_type": "编制类型", "solver": "求解", "pool": "编制池",
        "kpis": "指标对比", "changed": "满足数变化的需求", "system_diff": "各系统调整后核定编制（与基准方案之差）",
        "plan": "方案", "metric": "指标", "none": "无", "personal": "含个人信息",
        "generated": "由 bianzhi 生成", "count": "数量", "system": "系统",
        "reason": "原因", "tier": "保障类别", "temporary": "临时（事去减编）",
    },
    "en": {
        "title": "Staffing-quota plan", "compare_title": "Plan comparison", "headline": "Headline",
        "met": "Demands met", "requested": "requested", "reserve": "Reserve (vacancy kept)",
        "floor": "floor", "vacancy_after": "vacancy after", "moves": "Moves",
        "quotas_moved": "quotas moved", "people": "Surplus people",
        "sankey": "Quota flows (donor system → recipient system, coloured by tier)",
        "systems": "Approved quota and vacancy rate per system, before and after",
        "approved_before": "approved before", "approved_after": "approved after",
        "rate_before": "vacancy rate before", "rate_after": "vacancy rate after",
        "tiers": "Satisfaction by tier", "unmet": "Unmet demands and why",
        "marginal": "Marginal values: more met with 1 point less reserve / 1 more pool quota",
        "moves_table": "Moves", "unmet_table": "Unmet demands", "filter": "Filter…",
        "cadres": "Surplus cadres: option, age band and group", "by_option": "by option",
        "by_age": "by age band", "by_group": "by task group", "aux": "Off-quota positions",
        "region": "region", "quota_type": "quota type", "solver": "solver", "pool": "pool",
        "kpis": "KPIs", "changed": "Demands met differently", "system_diff":
        "Approved quota after the plan per system (difference from the base plan)", "plan": "plan", "metric": "metric",
        "none": "none", "personal": "includes personal data", "generated": "made by bianzhi",
        "count": "count", "system": "system", "reason": "reason", "tier": "tier",
        "temporary": "temporary (returned when the task ends)",
    },
}
TIER_COLOURS = {"key": "rgba(192,57,43,0.55)", "emergency": "rgba(230,126,34,0.55)",
                "operational": "rgba(41,128,185,0.55)", "": "rgba(127,140,141,0.45)"}
COLUMN_ENUMS = {"kind": "move_kind", "quota_type": "quota_type", "tier": "tier",
                "source": "source", "unmet_reason": "unmet_reason", "option": "option",
                "status": "unit_status", "category": "category", "health": "health"}

CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:24px;
color:#222;max-width:1200px}
h1{font-size:24px} h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:150px}
.card .v{font-size:22px;font-weight:bold} .card .l{font-size:12px;color:#666}
table{border-collapse:collapse;font-size:12px;width:100%} th,td{border:1px solid #ddd;
padding:3px 6px;text-align:left} th{background:#f4f4f4;cursor:pointer;user-select:none}
.scroll{max-height:420px;overflow:auto} input.filter{margin:6px 0;padding:4px;width:280px}
.meta{color:#666;font-size:12px}
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


def _column_label(column: str, lang: str) -> str:
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
    for row in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, row):
            enum = COLUMN_ENUMS.get(col, "")
            cells.append(f"<td>{html.escape(_label(value, enum, lang))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<input class=\"filter\" placeholder=\"{t['filter']}\" "
            f"oninput=\"bzFilter(this,'{table_id}')\"><div class=\"scroll\">"
            f"<table id=\"{table_id}\"><thead><tr>{head}</tr></thead><tbody>"
            + "".join(body) + "</tbody></table></div>")


def _fig(fig, div_id: str) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


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


def _inputs(summary: dict):
    """The plan's inputs (for systems and people), found through summary.json."""
    from solver.edits import load_data
    from solver.scenario import build_scenario

    scenario = build_scenario(summary["scenario"], Path("."), "summary.json")
    return load_data(scenario)


def render_report(plan_dir: str | Path, lang: str = "zh", include_personal: bool = False) -> str:
    """The report page of a plan folder."""
    import plotly.graph_objects as go

    if lang not in TEXT:
        raise ValueError(f"unknown language {lang!r}: zh or en")
    t = TEXT[lang]
    plan = read_plan(plan_dir)
    s = plan.summary
    ds = _inputs(s)
    units = ds.units.set_index("unit_id")
    tl = lambda tier: _label(tier, "tier", lang)  # noqa: E731
    sections: list[str] = []

    # headline
    cards = [_card(f"{m['met']}/{m['requested']}", f"{t['met']} · {tl(tier)}")
             for tier, m in s["met"].items()]
    cards += [_card(f"{r['vacancy_after']} ≥ {r['floor']}",
                    f"{t['reserve']} · {_label(qt, 'quota_type', lang)} ({t['floor']})")
              for qt, r in s["reserve"].items()]
    cards.append(_card(str(s["moves"]["count"]), f"{t['moves']} · {t['quotas_moved']} "
                       f"{s['moves']['quotas_moved']}"))
    for option, count in s.get("cadres", {}).get("by_option", {}).items():
        cards.append(_card(str(count), f"{t['people']} · {_label(option, 'option', lang)}"))
    sections.append(f"<h2>{t['headline']}</h2><div class=\"cards\" id=\"headline\">"
                    + "".join(cards) + "</div>")

    # Sankey: donor system → recipient system by tier
    moves = plan.tables["moves"].copy()
    moves["amount"] = pd.to_numeric(moves["amount"])
    flows = moves[moves["kind"].isin(DEMAND_MOVES)].copy()
    flows["from_sys"] = flows["from_unit"].map(units["system"]).fillna(t["pool"])
    flows["to_sys"] = flows["to_unit"].map(units["system"])
    flows = flows.groupby(["from_sys", "to_sys", "tier"], as_index=False)["amount"].sum()
    left = sorted(flows["from_sys"].unique())
    right = sorted(flows["to_sys"].unique())
    labels = [f"{x} →" for x in left] + [f"→ {x}" for x in right]
    fig = go.Figure(go.Sankey(
        node={"label": labels, "pad": 12},
        link={"source": [left.index(x) for x in flows["from_sys"]],
              "target": [len(left) + right.index(x) for x in flows["to_sys"]],
              "value": flows["amount"].tolist(),
              "color": [TIER_COLOURS.get(x, TIER_COLOURS[""]) for x in flows["tier"]],
              "label": [tl(x) for x in flows["tier"]]}))
    fig.update_layout(height=max(420, 18 * max(len(left), len(right))), margin={"t": 10})
    sections.append(f"<h2>{t['sankey']}</h2>" + _fig(fig, "chart-sankey"))

    # systems before / after
    u = plan.tables["units"].copy()
    for col in ("approved_before", "approved_after", "staff_before", "staff_after"):
        u[col] = pd.to_numeric(u[col])
    u["system"] = u["unit_id"].map(units["system"])
    u["vac_before"] = (u["approved_before"] - u["staff_before"]).clip(lower=0)
    u["vac_after"] = (u["approved_after"] - u["staff_after"]).clip(lower=0)
    by_sys = u.groupby("system")[["approved_before", "approved_after", "vac_before",
                                  "vac_after"]].sum()
    by_sys["rate_before"] = by_sys["vac_before"] / by_sys["approved_before"].clip(lower=1)
    by_sys["rate_after"] = by_sys["vac_after"] / by_sys["approved_after"].clip(lower=1)
    fig = go.Figure([
        go.Bar(name=t["approved_before"], x=by_sys.index, y=by_sys["approved_before"]),
        go.Bar(name=t["approved_after"], x=by_sys.index, y=by_sys["approved_after"]),
        go.Scatter(name=t["rate_before"], x=by_sys.index, y=by_sys["rate_before"],
                   yaxis="y2", mode="markers"),
        go.Scatter(name=t["rate_after"], x=by_sys.index, y=by_sys["rate_after"], yaxis="y2",
                   mode="markers"),
    ])
    fig.update_layout(barmode="group", height=460, margin={"t": 10},
                      yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%"})
    sections.append(f"<h2>{t['systems']}</h2>" + _fig(fig, "chart-systems"))

    # tiers
    fig = go.Figure([
        go.Bar(name=t["requested"], x=[tl(x) for x in TIER_ORDER],
               y=[s["met"][x]["requested"] for x in TIER_ORDER]),
        go.Bar(name=t["met"], x=[tl(x) for x in TIER_ORDER],
               y=[s["met"][x]["met"] for x in TIER_ORDER]),
    ])
    fig.update_layout(barmode="group", height=320, margin={"t": 10})
    sections.append(f"<h2>{t['tiers']}</h2>" + _fig(fig, "chart-tiers"))

    # unmet, with reasons and marginal values
    d = plan.tables["demands"].copy()
    for col in ("amount", "met"):
        d[col] = pd.to_numeric(d[col])
    short = d[d["met"] < d["amount"]].assign(unmet=lambda f: f["amount"] - f["met"])
    reasons = short.groupby("unmet_reason")["unmet"].sum().sort_values()
    fig = go.Figure(go.Bar(x=reasons.to_numpy(),
                           y=[_label(r, "unmet_reason", lang) for r in reasons.index],
                           orientation="h"))
    fig.update_layout(height=80 + 40 * max(len(reasons), 1), margin={"t": 10})
    marginal = pd.DataFrame([
        {"region": m["region"], "quota_type": m["quota_type"],
         **{f"-1pt {x}": (m["reserve_rate_minus_1pt"] or {}).get(x) for x in TIER_ORDER},
         **{f"+1 pool {x}": (m["pool_plus_1"] or {}).get(x) for x in TIER_ORDER}}
        for m in s["marginal_values"]["by_region"]])
    sections.append(f"<h2>{t['unmet']}</h2>" + _fig(fig, "chart-unmet")
                    + f"<h3>{t['marginal']}</h3>" + _table(marginal, "table-marginal", lang))
    sections.append(f"<h2>{t['unmet_table']}</h2>" + _table(
        short[["demand_id", "unit_id", "quota_type", "tier", "amount", "met", "unmet_reason",
               "reason"]], "table-unmet", lang))
    sections.append(f"<h2>{t['moves_table']}</h2>" + _table(
        plan.tables["moves"][["kind", "quota_type", "from_unit", "to_unit", "amount",
                              "demand_id", "tier", "source", "reason", "temporary_until"]],
        "table-moves", lang))

    # surplus cadres
    if "assignments" in plan.tables and ds.people is not None:
        a = plan.tables["assignments"].copy()
        people = ds.people.set_index("person_id")
        a["age_band"] = age_band(a["person_id"].map(people["age"]).astype(float))
        by_option = a["option"].value_counts()
        fig = go.Figure(go.Bar(x=[_label(o, "option", lang) for o in by_option.index],
                               y=by_option.to_numpy()))
        fig.update_layout(height=300, margin={"t": 10}, title=t["by_option"])
        age = a.groupby(["age_band", "option"]).size().unstack(fill_value=0)
        fig2 = go.Figure([go.Bar(name=_label(o, "option", lang), x=age.index, y=age[o])
                          for o in age.columns])
        fig2.update_layout(barmode="stack", height=300, margin={"t": 30}, title=t["by_age"])
        groups = a[a["option"] == "group"]["group_id"].value_counts().sort_index()
        names = ds.task_groups.set_index("group_id")["name"] if ds.task_groups is not None \
            else pd.Series(dtype=object)
        fig3 = go.Figure(go.Bar(x=[f"{g} {names.get(g, '')}" for g in groups.index],
                                y=groups.to_numpy()))
        fig3.update_layout(height=300, margin={"t": 30}, title=t["by_group"])
        shown = a[["person_id", "option", "group_id", "score", "reason", "unit_id"]].copy()
        if include_personal:
            shown.insert(1, "name", a["person_id"].map(people["name"]))
            shown.insert(2, "health", a["person_id"].map(people["health"]))
        sections.append(f"<h2>{t['cadres']}</h2>" + _fig(fig, "chart-options")
                        + _fig(fig2, "chart-ages") + _fig(fig3, "chart-groups")
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
    kpi = pd.DataFrame(result["kpis"]).set_index("plan").T.reset_index().rename(
        columns={"index": "metric"})
    sections = [f"<h2>{t['kpis']}</h2>" + _table(kpi, "table-kpis", lang)]
    rows = [{"demand_id": c["demand_id"], "plan": c["plan"], "unit_id": c["unit_id"],
             "tier": c["tier"], "amount": c["amount"],
             **{f"met {k}": v for k, v in c["met"].items()},
             **{f"{t['reason']} {k}": _label(v, "unmet_reason", lang)
                for k, v in c["reason"].items()}}
            for c in result["changed_demands"]]
    sections.append(f"<h2>{t['changed']}</h2>"
                    + _table(pd.DataFrame(rows), "table-changed", lang))
    plans = result["plans"]
    systems = result.get("systems", {})
    base = systems.get(plans[0], {})
    names = sorted(set().union(*[set(v) for v in systems.values()])) if systems else []
    # the difference from the base plan per system: what a committee compares
    fig = go.Figure([go.Bar(name=f"{p} − {plans[0]}", x=names,
                            y=[systems.get(p, {}).get(k, 0) - base.get(k, 0) for k in names])
                     for p in plans[1:]])
    fig.update_layout(barmode="group", height=420, margin={"t": 10})
    table = pd.DataFrame([{"system": k, **{p: systems.get(p, {}).get(k, 0) for p in plans}}
                          for k in names])
    sections.append(f"<h2>{t['system_diff']}</h2>" + _fig(fig, "chart-compare-systems")
                    + _table(table, "table-systems", lang))
    return _page(t["compare_title"], sections, lang, " · ".join(html.escape(p) for p in plans))


def write_report(plan_dir: str | Path, lang: str = "zh", include_personal: bool = False) -> Path:
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
    page = render_report(plan_dir, lang, include_personal).encode("utf-8")
    with locked(path):
        atomic_write_bytes(path, page)
    return path
