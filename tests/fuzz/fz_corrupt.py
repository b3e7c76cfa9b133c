"""Corruptions of valid tables, each with what a correct tool must do about it.

A corruption edits a `DataSet` in place and returns an `Expect` (fz_harness.py): whether the
tool must refuse (the input is invalid), must accept (it is valid, if messy), or may do either;
where its message must point; and the figures an accepted input must give (`Row.value`).

Values are drawn per column type from what planners' files really hold — thousands separators,
decimal commas, full-width digits and punctuation, `inf`, `nan`, `1e309`, numbers beyond
int64 — each with its one correct reading, or none.
"""

from __future__ import annotations

from hypothesis import strategies as st

from fz_harness import Expect
from fz_tables import GBK_CLOSE, GBK_OPEN, RAW_BYTES, UNCLOSED, DataSet, Row, Tab
from solver.domain import ENUMS, TABLES

SANE_MAX = 10**9  # issue 10: a count above this is refused

# (text, verdict, value): verdict ok = must be read as value; either = read as value or
# refused; bad = must be refused.
INT_VALUES = [
    ("1,200", "ok", 1200), ("1,200,000", "ok", 1200000), ("12,345", "ok", 12345),
    ("１２", "ok", 12), ("０", "ok", 0), (" 12 ", "ok", 12), ("12\t", "ok", 12),
    ("１，２００", "either", 1200), ("+12", "either", 12), ("12.0", "either", 12),
    ("1e3", "either", 1000), ("1.2e3", "either", 1200), ("1 200", "either", 1200),
    ("١٢", "either", 12), ("12\u200b", "either", 12), ("1,200.0", "either", 1200),
    ("999999999", "ok", 999999999),
    ("3,5", "bad", None), ("2,00", "bad", None), ("1,9,5", "bad", None), ("３，５", "bad", None),
    (",5", "bad", None), ("5,", "bad", None), ("1,,200", "bad", None), ("12,0000", "bad", None),
    ("1.200", "bad", None), ("12.5", "bad", None), ("-1", "bad", None), ("−1", "bad", None),
    ("-0.5", "bad", None), ("inf", "bad", None), ("-inf", "bad", None), ("Infinity", "bad", None),
    ("nan", "bad", None), ("NaN", "bad", None), ("1e309", "bad", None), ("-1e309", "bad", None),
    ("1e20", "bad", None), ("9223372036854775807", "bad", None),
    ("9223372036854775808", "bad", None), ("18446744073709551617", "bad", None),
    ("9" * 400, "bad", None), ("1000000001", "bad", None), ("0x10", "bad", None),
    ("1_000", "bad", None), ("(5)", "bad", None), ("5-", "bad", None), ("十二", "bad", None),
    ("12人", "bad", None), ("1\x002", "bad", None), ("1\u200b2", "either", 12),
    ("#N/A", "bad", None), ("--5", "bad", None), ("1e-400", "either", 0), ("0.1e1", "either", 1),
]
NUMBER_VALUES = [  # performance_score: a number 0-100
    ("91.5", "ok", 91.5), ("８８", "ok", 88), ("1e2", "either", 100), ("100.5", "bad", None),
    ("nan", "bad", None), ("inf", "bad", None), ("1e309", "bad", None), ("-0", "either", 0),
    ("-1", "bad", None), ("9,5", "bad", None), ("9５", "ok", 95), ("1e-320", "either", 0),
]
YEAR_VALUES = [
    ("2024", "either", 2024), ("２０２４", "either", 2024), ("2024.0", "either", 2024),
    ("1899", "bad", None), ("1949", "bad", None), ("2201", "bad", None), ("nan", "bad", None),
    ("inf", "bad", None), ("1e309", "bad", None), ("二〇二四", "bad", None),
    ("2024-06", "bad", None), ("-2024", "bad", None), ("2,024", "either", 2024),
    ("99999999999999999999", "bad", None),
]
TEXT_VALUES = [
    "总计量检定所", "合计科", "Sum Street Office", "Total Quality Bureau", "=1+2", "+86 123",
    "-cmd", "@SUM(A1)", "\tlead tab", "a,b", 'say "hi"', "line\nbreak", "  spaced  ",
    "注：备注", "序号", "\u200b", "x" * 3000, "<script>alert(1)</script>", "é", "🙂",
]
INVISIBLE = ["\u200b", "\ufeff", "\x00", "\u200e", "\u00a0", "\u3000"]
TOTAL_WORDS = ["合计", "小计", "总计", "合 计", "合计：", "Total", "SUM", "subtotal"]


def _counts(table: str, column: str) -> bool:
    """Whether an accepted value of this column shows in the stock-take figures."""
    return (table, column) in {("quotas", "approved"), ("quotas", "staff"),
                               ("pool", "balance"), ("demands", "amount"),
                               ("aux_positions", "headcount")}


def _safe(table: str, column: str) -> bool:
    """Whether any valid value of the column keeps the whole data set valid."""
    return (table, column) in {
        ("quotas", "approved"), ("quotas", "staff"), ("pool", "balance"),
        ("demands", "amount"), ("aux_positions", "headcount"), ("units", "central_tasks"),
        ("units", "leader_posts"), ("units", "performance_score"), ("people", "age"),
        ("people", "service_years"), ("task_groups", "max_age")}


def _verdict(col, verdict: str, value):
    """Apply the column's own range to a value's verdict."""
    if verdict == "bad" or value is None:
        return verdict, value
    if col.type == "posint" and value <= 0:
        return "bad", None
    if col.type in ("int", "posint") and (value < 0 or value > SANE_MAX):
        return "bad", None
    if col.bounds is not None and not col.bounds[0] <= value <= col.bounds[1]:
        return "bad", None
    return verdict, value


def pick_row(draw, tab: Tab) -> Row:
    rows = tab.data()
    return rows[draw(st.integers(0, len(rows) - 1))]


def expect_for(ds: DataSet, tab: Tab, verdict: str, what: str, where: str = "cell",
               row: Row | None = None, **kw) -> Expect:
    exp = Expect(where=where, files=[tab.file], must_refuse=verdict == "bad",
                 must_accept=verdict == "ok", what=what, **kw)
    if row is not None and verdict == "bad":
        exp.row = tab.row_number(row)
    return exp


# ---------------------------------------------------------------- cell values


def cell_value(draw, ds: DataSet) -> Expect:
    """One cell of any column of any table replaced by a hostile value of its type."""
    tab = ds.tabs[draw(st.sampled_from(sorted(ds.tabs)))]
    column = draw(st.sampled_from(tab.cols))
    col = TABLES[tab.name].column(column)
    row = pick_row(draw, tab)
    j = tab.col(column)
    old = row.cells[j]
    if col.type in ("int", "posint", "number", "year"):
        pool = {"number": NUMBER_VALUES, "year": YEAR_VALUES}.get(col.type, INT_VALUES)
        if draw(st.integers(0, 3)) == 0:  # plain integers too, near the edges
            n = draw(st.one_of(st.integers(-3, 3), st.integers(2**31 - 2, 2**31 + 2),
                               st.integers(2**63 - 2, 2**63 + 2), st.integers(0, 10**6)))
            text, verdict, value = str(n), "ok", n
            if col.type == "year":
                verdict = "either" if 1950 <= n <= 2100 else "bad"
        else:
            text, verdict, value = draw(st.sampled_from(pool))
        verdict, value = _verdict(col, verdict, value)
        if not _safe(tab.name, column) and verdict == "ok":
            verdict = "either"
        if not col.required and text.strip() == "":
            verdict = "ok"
        row.cells[j] = text
        if _counts(tab.name, column):
            if value is None:
                ds.unknown = ds.unknown or verdict != "bad"
            else:
                row.value[column] = int(value)
        elif value is None and verdict != "bad":
            ds.unknown = True
        return expect_for(ds, tab, verdict, f"{tab.name}.{column} {old!r} -> {text!r}",
                          row=row)
    if col.type in ("enum", "yesno"):
        enum = col.enum or "yes_no"
        code = _code(enum, old)
        choices = [(code, "ok"), (ENUMS[enum][code], "ok") if code else ("", "ok"),
                   (f" {code} ", "ok"), (code.upper() if code else "", "either"),
                   (_fullwidth(code or ""), "either"), ((code or "") + "\u200b", "either"),
                   ("nonsense", "bad"), ((code or "x")[:-1], "bad"), ("\x00", "bad"),
                   ((code or "") + "\x00", "bad")]
        if enum == "yes_no":
            choices += [("Y", "ok"), ("TRUE", "ok"), ("1", "ok"), ("√", "either"),
                        ("maybe", "bad"), ("是的", "either")]
        text, verdict = draw(st.sampled_from(choices))
        if text.strip() == "" and col.required:
            verdict = "bad"
        elif text.strip() == "":
            verdict = "ok"
        row.cells[j] = text
        return expect_for(ds, tab, verdict, f"{tab.name}.{column} {old!r} -> {text!r}",
                          row=row)
    if col.type == "tags":
        text = draw(st.sampled_from(["财务;统计", "财务；统计", ";", "；；", "a" * 500, "G01,G02",
                                     "G01；G02", " G01 ", "G99", "g01"]))
        verdict = "either" if column == "preferences" else "ok"
        if column == "preferences" and text.strip() in ("G99",):
            verdict = "bad"
        row.cells[j] = text
        return expect_for(ds, tab, verdict, f"{tab.name}.{column} -> {text!r}", row=row)
    if col.type == "text":
        text = draw(st.one_of(st.sampled_from(TEXT_VALUES),
                              st.text(min_size=1, max_size=12).filter(lambda s: s.strip())))
        verdict = "ok" if column in ("name", "reason", "system", "sector", "surplus_reason") \
            else "either"
        if tab.name == "pool" or column == "region":
            verdict = "either"
        if col.required and not text.strip():
            verdict = "bad"
        elif not text.strip(" \u200b\ufeff\u3000"):
            verdict = "either"
        if any(ch in text for ch in "\x00\r") or any(0xD800 <= ord(c) <= 0xDFFF for c in text):
            verdict = "either"
        if ds.fmt == "xlsx" and (text.startswith("=") or any(ord(c) < 32 and c not in "\t\n"
                                                              for c in text)):
            text = "'" + text
        row.cells[j] = text
        return expect_for(ds, tab, verdict, f"{tab.name}.{column} -> {text!r}", row=row)
    return ids(draw, ds)


def _code(enum: str, text: str) -> str:
    for code, zh in ENUMS[enum].items():
        if text in (code, zh):
            return code
    return ""


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# ---------------------------------------------------------------- ids


def ids(draw, ds: DataSet) -> Expect:
    """Ids with spaces, invisible characters, case or width variants, total-like words."""
    units = ds.tabs["units"]
    row = pick_row(draw, units)
    uid = row.cells[0]
    kind = draw(st.sampled_from(["spaces", "invisible", "variant", "exact_dup", "totalish",
                                 "demand_variant", "long"]))
    if kind == "spaces":
        row.cells[0] = draw(st.sampled_from([f" {uid}", f"{uid} ", f"\t{uid}\t", f"{uid}\u3000"]))
        return expect_for(ds, units, "ok", f"unit id {uid!r} with spaces", row=row)
    if kind == "invisible":
        ch = draw(st.sampled_from(INVISIBLE))
        at = draw(st.sampled_from(["end", "start", "middle"]))
        new = {"end": uid + ch, "start": ch + uid, "middle": uid[:1] + ch + uid[1:]}[at]
        row.cells[0] = new
        # a no-break or ideographic space at an end is whitespace: stripped, still the unit
        stripped = ch in ("\u00a0", "\u3000") and at != "middle"
        # the refusal may name the units row or any row that refers to the unit
        exp = expect_for(ds, units, "ok" if stripped else "bad",
                         f"unit id {uid!r} -> {new!r}", where="row")
        exp.files = [t.file for t in ds.tabs.values()]
        return exp
    if kind in ("variant", "exact_dup"):
        other = {"variant": draw(st.sampled_from([uid.lower(), _fullwidth(uid), uid.upper()])),
                 "exact_dup": uid}[kind]
        new = Row(list(row.cells), value=dict(row.value))
        new.cells[0] = other
        units.rows.append(new)
        if other == uid:
            exp = expect_for(ds, units, "bad", f"unit id {uid!r} twice", row=new)
            exp.mentions = ["duplicate"]
            return exp
        exp = expect_for(ds, units, "either", f"unit ids {uid!r} and {other!r}")
        exp.anyway_mentions = ["duplicate"]
        ds.unknown = True
        return exp
    if kind == "demand_variant":
        demands = ds.tabs["demands"]
        d = pick_row(draw, demands)
        new = Row(list(d.cells), value=dict(d.value))
        new.cells[0] = draw(st.sampled_from([d.cells[0].lower(), _fullwidth(d.cells[0])]))
        demands.rows.append(new)
        exp = expect_for(ds, demands, "either", f"demand ids {d.cells[0]!r}, {new.cells[0]!r}")
        exp.anyway_mentions = ["duplicate"]
        ds.unknown = True
        return exp
    if kind == "totalish":
        new_id = draw(st.sampled_from(["SUM-05", "Total1", "TOTAL-A", "合计局", "小计01", "sum_2"]))
        new = Row(list(row.cells), value={"unit_id": new_id})
        new.cells[0] = new_id
        new.cells[7] = ""  # no parent
        units.rows.append(new)
        return expect_for(ds, units, "ok", f"unit id {new_id!r} (a unit, not a total)")
    new_id = "U" * draw(st.sampled_from([300, 5000, 140000]))
    new = Row(list(row.cells), value={"unit_id": new_id})
    new.cells[0], new.cells[7] = new_id, ""
    units.rows.append(new)
    return expect_for(ds, units, "either", f"a unit id of {len(new_id)} characters",
                      where="row", row=new)


def parents(draw, ds: DataSet) -> Expect:
    """A unit that is its own parent, or a cycle of two or three units."""
    units = ds.tabs["units"]
    rows = units.data()
    j = units.col("parent_id")
    size = draw(st.integers(1, min(3, len(rows))))
    start = draw(st.integers(0, len(rows) - size))
    ring = rows[start:start + size]
    for a, b in zip(ring, ring[1:] + ring[:1]):
        a.cells[j] = b.cells[0]
    exp = expect_for(ds, units, "bad", f"parent cycle of {size}", row=ring[0])
    exp.mentions = ["cycle"] + [r.cells[0] for r in ring]
    return exp


# ---------------------------------------------------------------- rows


def rows(draw, ds: DataSet) -> Expect:
    """Total, title, blank and note rows; rows with more cells; short rows."""
    tab = ds.tabs[draw(st.sampled_from(sorted(ds.tabs)))]
    kind = draw(st.sampled_from(["total", "total_label", "title", "blank", "notes", "extra",
                                 "short", "serial_total"]))
    width = len(tab.header)
    if kind == "total":
        word = draw(st.sampled_from(TOTAL_WORDS))
        cells = [word] + ["" for _ in range(width - 1)]
        for name in ("approved", "staff", "amount", "balance", "headcount"):
            if name in tab.cols:
                cells[tab.col(name)] = str(sum(r.value.get(name, 0) for r in tab.data()))
        tab.rows.insert(draw(st.sampled_from([len(tab.rows), len(tab.rows) // 2])),
                        Row(cells, kind="total"))
        return expect_for(ds, tab, "ok", f"a total row {word!r}")
    if kind == "total_label":
        cells = ["", draw(st.sampled_from(["合计", "小计", "总计"]))] + [""] * (width - 2)
        tab.rows.append(Row(cells, kind="total"))
        return expect_for(ds, tab, "ok", "a total row with an empty id and a label")
    if kind == "title":
        n = draw(st.integers(1, 3))
        for i in range(n):
            tab.above.append(Row([["XX市机构编制统计表", "单位：名", ""][i]] + [""] * (width - 1),
                                 kind="title"))
        return expect_for(ds, tab, "ok", f"{n} title rows")
    if kind == "blank":
        tab.rows.insert(draw(st.integers(0, len(tab.rows))), Row([""] * width, kind="blank"))
        return expect_for(ds, tab, "ok", "a blank row")
    if kind == "notes":
        tab.rows.append(Row(["注：1. 数据截至2023年底"] + [""] * (width - 1), kind="note"))
        tab.rows.append(Row(["2. 单位：名"] + [""] * (width - 1), kind="note"))
        return expect_for(ds, tab, "ok", "notes below the table")
    if kind == "extra":
        row = pick_row(draw, tab)
        row.cells = row.cells + draw(st.sampled_from([["x"], ["", "7"], ["备注", "more"]]))
        exp = expect_for(ds, tab, "bad", "a row with more cells than the header", where="row",
                         row=row)
        return exp
    if kind == "serial_total":
        # a serial-number column in front and a total row whose first cell is empty
        tab.header.insert(0, "序号")
        tab.cols.insert(0, "_serial")
        for i, r in enumerate(tab.rows):
            r.cells.insert(0, str(i + 1))
        cells = ["", "合计"] + [""] * (width - 1)
        tab.rows.append(Row(cells, kind="total"))
        return expect_for(ds, tab, "ok", "a serial column and a total row")
    row = pick_row(draw, tab)
    cut = draw(st.integers(1, width - 1))
    row.cells = row.cells[:cut]
    ds.unknown = True
    return expect_for(ds, tab, "either", f"a row cut after {cut} cells", where="row")


# ---------------------------------------------------------------- file structure


def structure(draw, ds: DataSet) -> Expect:
    """Unclosed quotes, huge fields, NUL bytes, line endings, other separators."""
    tab = ds.tabs[draw(st.sampled_from(sorted(ds.tabs)))]
    kind = draw(st.sampled_from(["unclosed", "huge_field", "nul", "crlf", "cr", "semicolon",
                                 "quoted_newline"]))
    data = tab.data()
    if kind == "unclosed":
        row = data[draw(st.integers(0, max(0, len(data) - 2)))] if len(data) > 1 else data[0]
        j = draw(st.integers(0, len(row.cells) - 1))
        row.cells[j] = UNCLOSED + str(row.cells[j])
        exp = expect_for(ds, tab, "bad", "an unclosed quote", where="row", row=row)
        return exp
    if kind == "huge_field":
        row = pick_row(draw, tab)
        j = draw(st.integers(0, len(row.cells) - 1))
        size = draw(st.sampled_from([131073, 300000]))
        row.cells[j] = "x" * size
        exp = expect_for(ds, tab, "bad", f"a field of {size} characters", where="row", row=row)
        return exp
    if kind == "nul":
        row = pick_row(draw, tab)
        j = draw(st.integers(0, len(row.cells) - 1))
        row.cells[j] = str(row.cells[j]) + "\x00"
        ds.unknown = True
        return expect_for(ds, tab, "either", "a NUL character in a cell", where="row")
    if kind in ("crlf", "cr"):
        tab.newline = "\r\n" if kind == "crlf" else "\r"
        return expect_for(ds, tab, "ok" if kind == "crlf" else "either", f"{kind} line ends",
                          where="file")
    if kind == "semicolon":
        for r in [*tab.above, *tab.rows]:
            r.cells = [";".join(str(c) for c in r.cells)]
        tab.header = [";".join(tab.header)]
        ds.unknown = True
        return expect_for(ds, tab, "bad", "semicolon-separated", where="file")
    row = pick_row(draw, tab)
    j = tab.col("name") if "name" in tab.cols else len(row.cells) - 1
    row.cells[j] = f"{row.cells[j]}\n第二行\r\n第三行"
    return expect_for(ds, tab, "ok" if "name" in tab.cols else "either",
                      "a quoted cell over three lines", where="row")


def encodings(draw, ds: DataSet) -> Expect:
    """UTF-8, BOM, GBK, UTF-16, a GBK cell in a UTF-8 file, invalid bytes."""
    tab = ds.tabs[draw(st.sampled_from(sorted(ds.tabs)))]
    kind = draw(st.sampled_from(["utf-8-sig", "gbk", "gb18030", "utf-16", "mixed", "invalid"]))
    if kind in ("utf-8-sig", "gbk", "gb18030"):
        tab.encoding = kind
        return expect_for(ds, tab, "ok", f"encoded as {kind}", where="file")
    if kind == "utf-16":
        tab.encoding = "utf-16"
        return expect_for(ds, tab, "either", "encoded as UTF-16", where="file")
    if kind == "mixed":
        units = ds.tabs["units"]
        row = pick_row(draw, units)
        j = units.col("name")
        row.cells[j] = GBK_OPEN + row.cells[j] + GBK_CLOSE
        exp = expect_for(ds, units, "bad", "one cell in GBK in a UTF-8 file", where="row",
                         row=row)
        return exp
    row = pick_row(draw, tab)
    j = draw(st.integers(0, len(row.cells) - 1))
    row.cells[j] = str(row.cells[j]) + RAW_BYTES
    exp = expect_for(ds, tab, "bad", "invalid bytes in a cell", where="row", row=row)
    return exp


CSV_CORRUPTIONS = {"cell": cell_value, "ids": ids, "parents": parents, "rows": rows,
                   "structure": structure, "encoding": encodings}


@st.composite
def corrupted(draw, base):
    """A data set and one (sometimes two) corruptions; the Expect of the decisive one."""
    ds = draw(base)
    kind = draw(st.sampled_from(["cell", "cell", "cell", "cell", "ids", "ids", "parents", "rows",
                                 "rows", "structure", "encoding"]))
    expect = CSV_CORRUPTIONS[kind](draw, ds)
    expect.kind = kind
    return ds, expect


# ---------------------------------------------------------------- workbooks


def workbook(draw, ds: DataSet):
    """A workbook corruption: returns (Expect, edit(wb, book_name)) applied after writing."""
    kind = draw(st.sampled_from(["merged_number", "merged_id", "formula", "bool", "error",
                                 "float", "hidden", "date", "table"]))
    quotas = ds.tabs["quotas"]
    sheet = lambda tab: TABLES[tab.name].zh if ds.zh else tab.name  # noqa: E731
    letter = lambda tab, column: chr(ord("A") + tab.col(column))  # noqa: E731
    if kind == "table":  # the CSV corruptions, on a workbook
        exp = draw(st.sampled_from([cell_value, ids, parents, rows]))(draw, ds)
        return exp, None
    if kind == "merged_id":
        data = quotas.data()
        pairs = [(a, b) for a, b in zip(data, data[1:]) if a.cells[0] == b.cells[0]]
        if pairs:
            a, b = pairs[draw(st.integers(0, len(pairs) - 1))]
            b.cells[0] = ""
            r1, r2 = quotas.row_number(a), quotas.row_number(b)

            def edit(wb):
                wb[sheet(quotas)].merge_cells(f"A{r1}:A{r2}")

            return expect_for(ds, quotas, "ok", "a unit code merged over its two quota rows",
                              where="row"), edit
        kind = "merged_number"
    tab, column = draw(st.sampled_from([(quotas, "approved"), (quotas, "staff")] + (
        [(ds.tabs["demands"], "amount")] if len(ds.tabs["demands"].data()) > 1 else [])))
    data = tab.data()
    i = draw(st.integers(0, len(data) - 2))
    row = data[i]
    ref = f"{letter(tab, column)}{tab.row_number(row)}"
    if kind == "merged_number":
        below = data[i + 1]
        last = f"{letter(tab, column)}{tab.row_number(below)}"
        below.value[column] = row.value[column]

        def edit(wb):
            wb[sheet(tab)].merge_cells(f"{ref}:{last}")

        exp = expect_for(ds, tab, "bad", f"{tab.name}.{column} merged over {ref}:{last}",
                         where="row", row=row)
        exp.mentions = ["merged"]
        return exp, edit
    if kind == "hidden":
        state = draw(st.sampled_from(["veryHidden", "hidden"]))
        other = tab.name if ds.zh else TABLES[tab.name].zh

        def edit(wb):
            ws = wb.create_sheet(other)
            ws.append(["junk", "data"])
            ws.append(["1", "2"])
            ws.sheet_state = state

        exp = expect_for(ds, tab, "ok" if state == "veryHidden" else "either",
                         f"a {state} sheet {other!r}", where="file")
        if state == "veryHidden":
            exp.anyway_mentions = ["hidden"]
        return exp, edit
    value, verdict, meaning = {
        "formula": ("=1+1", "bad", None),
        "bool": (True, "bad", None),
        "error": ("#DIV/0!", "bad", None),
        "date": (__import__("datetime").datetime(2024, 1, 5), "bad", None),
        "float": draw(st.sampled_from([(12.0, "ok", 12), (12.5, "bad", None),
                                       (1e20, "bad", None), (2**63, "bad", None),
                                       (2**70, "bad", None), (1e-9, "bad", None),
                                       (float("inf"), "bad", None), (-0.0, "either", 0),
                                       (1e9 + 1, "bad", None), (999999999.0, "ok", 999999999)])),
    }[kind]
    verdict, meaning = _verdict(TABLES[tab.name].column(column), verdict, meaning)
    if meaning is not None:
        row.value[column] = int(meaning)

    def edit(wb):
        cell = wb[sheet(tab)][ref]
        cell.value = value
        if kind == "error":
            cell.data_type = "e"

    exp = expect_for(ds, tab, verdict, f"{tab.name}.{column} {ref} = {value!r} ({kind})",
                     row=row)
    if kind == "formula":
        exp.mentions = ["formula"]
    return exp, edit


@st.composite
def corrupted_workbook(draw, base):
    """A data set as a workbook with one corruption."""
    ds = draw(base)
    ds.fmt = "xlsx"
    exp, edit = workbook(draw, ds)
    exp.kind = "xlsx"
    return ds, exp, edit
