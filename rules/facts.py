"""One flat row of facts per report: what every rule reads, for GX (as a DataFrame) and for the bare checks.

The row holds, for every canonical cell id, the value a rule may use (``None`` when the cell is missing,
text or n/a — never 0), plus structure and prose facts as ``True`` / ``False`` / ``None`` (``None`` = the
fact cannot be established, so the rule is not assessable) with a ``<fact>__detail`` text for messages.
"""
from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Any

from parsing.model import Cell, Report
from rules import layout
from rules.arithmetic import APPLICANT_COLUMNS, identities
from rules.bodies import body_scope, department_level, infer_kind
from rules.catalogue import catalogue
from rules.register import Match
from rules.prose import find_statements

Facts = dict[str, Any]
MIN_CONFIDENCE = 0.8
_GAP = r"[\s\u00a0\u3000]*"
_PERIOD = re.compile(rf"((?:19|20)\d{{2}}){_GAP}年{_GAP}0?1{_GAP}月{_GAP}0?1{_GAP}日{_GAP}(?:起)?{_GAP}"
                     rf"(?:至|到|—|-|~|－){_GAP}(?:((?:19|20)\d{{2}}){_GAP}年{_GAP})?12{_GAP}月{_GAP}31{_GAP}日")


def report_facts(report: Report, body_kind: str | None = None, match: Match | None = None) -> Facts:
    """All facts of one parsed report. ``body_kind`` and ``match`` come from the register when one is
    given (``match`` None = no register)."""
    kind = infer_kind(report.body)
    facts: Facts = {"report_id": report.report_id, "file": report.file, "body": report.body,
                    "year": report.year, "edition": report.edition, "body_kind": kind,
                    "t2_edition": report.table_editions.get("t2") or None,
                    "t3_edition": report.table_editions.get("t3") or None}
    facts.update(effective_values(report))
    facts.update(row_totals(facts))
    facts["sign_free_cells"] = _sign_free_cells(report)
    facts.update(prose_numbers(report))
    for name, fn in _FACTS.items():
        value, detail = fn(report, kind)
        facts[name], facts[f"{name}__detail"] = value, detail
    return with_register(facts, report, body_kind, match)


def with_register(facts: Facts, report: Report, body_kind: str | None, match: Match | None,
                  parent_kind: str | None = None) -> Facts:
    """Set (in place) the facts that depend on the register: the body's id and kind (the register's kind,
    else the one inferred from the printed name), its scope (a county-level department: the register's
    parent is a county government, else the printed name says so) and whether it was matched. Lets the
    per-report facts be computed once, away from the register (in a parser worker), and matched afterwards."""
    kind = body_kind or infer_kind(report.body)
    facts["body_scope"] = body_scope(kind, department_level(report.body, parent_kind))
    if kind != facts.get("body_kind"):  # the only kind-dependent fact: the publication deadline
        facts["published_on_time"], facts["published_on_time__detail"] = published_on_time(report, kind)
    facts["body_kind"] = kind
    facts["body_id"] = match.body_id if match else None
    facts["register_loaded"] = match is not None
    facts["register_matched"], facts["register_matched__detail"] = _register_fact(match)
    facts["filed"], facts["filed__detail"] = (True, "") if match is not None else (None, "未提供机关名录")
    return facts


def _register_fact(match: Match | None) -> tuple[bool | None, str]:
    if match is None:
        return None, "未提供机关名录"
    if match.body_id is None:
        others = f"（可能是：{'、'.join(match.candidates)}）" if match.candidates else ""
        return False, f"无法与机关名录唯一对应{others}"
    if match.confidence < MIN_CONFIDENCE:
        return False, f"仅按“{match.how}”匹配到名录中的 {match.body_id}（置信度 {match.confidence:.1f}），请人工确认"
    return True, ""


# ---------------------------------------------------------------- cell values


def effective_values(report: Report) -> dict[str, float | None]:
    """Value per canonical cell id. A blank is 0 only in a table that prints no 0 at all (blanks stand
    for zero there), and even then not for a blank total whose parts are not all zero (an omission)."""
    values: dict[str, float | None] = dict.fromkeys(layout.all_cell_ids())
    for cells in cells_by_table(report).values():
        blank_is_zero = _blanks_mean_zero(cells.values())
        for cid, cell in cells.items():
            state = cell.state
            values[cid] = (float(cell.value) if state == "number"  # type: ignore[arg-type]
                           else 0.0 if state == "blank" and blank_is_zero else None)
    _drop_omitted_totals(report, values)
    return values


_GROUPED: list = [None, None]  # (report, its cells by table): the last report asked about


def cells_by_table(report: Report) -> dict[str, dict[str, Cell]]:
    """The report's cells grouped by table (``t2``/``t3``/``t4``), computed once per report."""
    if _GROUPED[0] is not report:
        grouped: dict[str, dict[str, Cell]] = {"t2": {}, "t3": {}, "t4": {}}
        by_prefix = {f"{table_id}.": cells for table_id, cells in grouped.items()}
        for cid, cell in report.cells.items():
            table = by_prefix.get(cid[:3])
            if table is not None:
                table[cid] = cell
        _GROUPED[:] = [report, grouped]
    return _GROUPED[1]


def row_totals(values: dict[str, Any]) -> dict[str, float | None]:
    """``rowtotal.t3.<row>``: the printed 总计 of a table-3 row, else the sum of its six applicant cells
    when every one of them is known. Used only to compare prose numbers with the table."""
    out: dict[str, float | None] = {}
    for name, total_id, part_ids in _t3_rows():
        total = values.get(total_id)
        if total is None:
            parts = [values.get(cid) for cid in part_ids]
            total = sum(parts) if None not in parts else None  # type: ignore[arg-type]
        out[name] = total
    return out


@cache
def _t3_rows() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """Per row of table 3 over both editions (in the order of the canonical cell ids): the name of its
    ``rowtotal`` fact, the id of its 总计 cell and the ids of its six applicant cells."""
    rows = dict.fromkeys(cid.split(".")[1] for cid in layout.all_cell_ids() if cid.startswith("t3."))
    return tuple((f"rowtotal.t3.{row}", f"t3.{row}.total", tuple(f"t3.{row}.{col}" for col in APPLICANT_COLUMNS))
                 for row in rows)


def _blanks_mean_zero(cells) -> bool:  # noqa: ANN001 - iterable of Cell
    blank = zero = False
    for cell in cells:
        if cell.state == "blank":
            blank = True
        elif cell.state == "number" and cell.value == 0:
            zero = True
    return blank and not zero


def _drop_omitted_totals(report: Report, values: dict[str, float | None]) -> None:
    edition_id = report.table_editions.get("t3") or "2021"
    for total, parts in _sums(edition_id):
        cell = report.cells.get(total)
        if cell is not None and cell.state == "blank" and any(values.get(c) not in (None, 0.0) for c in parts):
            values[total] = None


@cache
def _sums(edition_id: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(total, its parts) of every identity of tables 3 and 4 of an edition that has a single total, in order."""
    ed = layout.edition(edition_id)
    return tuple((i.lhs[0], i.rhs) for table in (ed.t3, ed.t4) for i in identities(table) if len(i.lhs) == 1)


def _table_of(report: Report, table_id: str) -> layout.Table:
    edition_id = report.table_editions.get("t3" if table_id != "t2" else "t2") or "2021"
    ed = layout.edition(edition_id)
    return {"t2": ed.t2, "t3": ed.t3, "t4": ed.t4}[table_id]


def _sign_free_cells(report: Report) -> tuple[str, ...]:
    """Missing cells whose glued digits carry no minus sign: whatever the split, they are ≥ 0. A tuple (they
    are few), not a set: a row of facts holding only numbers, text and tuples is left alone by the garbage
    collector once it has been seen, and the main process keeps thousands of rows."""
    return tuple(cid for cid, c in report.cells.items()
                 if c.state == "missing" and c.reason == "ambiguous" and c.raw and "-" not in c.raw
                 and "−" not in c.raw)


def prose_numbers(report: Report) -> dict[str, Any]:
    """``prose.<key>``: the numbers the prose states (rules with ``statements``), and where."""
    out: dict[str, Any] = {}
    for rule in catalogue().values():
        spec = rule.params.get("statements")
        if not spec:
            continue
        section = report.section(int(rule.params.get("section", 1)))
        if section is None:
            continue
        found = find_statements(section.text, {k: v["patterns"] for k, v in spec.items()})
        for key, statement in found.items():
            out[f"prose.{key}"] = float(statement.value)
            out[f"prose.{key}__sentence"] = statement.sentence
    return out


# ---------------------------------------------------------------- structure facts

Fact = tuple[bool | None, str]
NUMERALS = "一二三四五六"


def sections_complete(report: Report, kind: str | None) -> Fact:
    """False when a section is not printed at all; None when the only doubt is a heading printed too unlike
    the template to be sure (a weak alignment): that is for a person to look at, not a failure."""
    found = [s.number for s in report.sections]
    missing = [n for n in range(1, 7) if n not in found]
    if missing:
        weak = {int(a.target): a for a in report.alignments if a.kind == "section" and a.weak}
        if all(n in weak for n in missing):
            return None, "；".join(f"第{NUMERALS[n - 1]}部分标题只找到近似文字“{weak[n].printed}”"
                                  f"（相似度 {weak[n].confidence:.2f}，{weak[n].where}），需人工核实" for n in missing)
        return False, "、".join(f"第{NUMERALS[n - 1]}部分" for n in missing)
    return found == sorted(found), "" if found == sorted(found) else "六个部分顺序不符"


def _table_complete(report: Report, table_id: str) -> Fact:
    """False when a row is not printed at all (nothing in its place); None when a row's numbers are printed
    under a label too unlike the template's to place them (``unplaced``) or cells were lost in extraction."""
    cells = list(cells_by_table(report)[table_id].values())
    if not cells or all(c.reason == "table_absent" for c in cells):
        return _absent_table(report, table_id)
    absent = sorted({c.id.split(".")[1] for c in cells if c.reason == "row_absent"})
    if absent:
        shown = "、".join(_row_label(report, table_id, row_id) for row_id in absent)
        read, total = _read_share([c for c in cells if c.id.split(".")[1] not in absent])
        if read < total * MIN_READ_SHARE:
            return None, (f"{shown}行未能识别，而该表其余各行的单元格也多数无法读取（读出 {read}/{total} 格），"
                          f"可能是版式或文字提取问题而非缺行，需对照原件核实")
        return False, shown
    unplaced = {c.id.split(".")[1]: c for c in cells if c.reason == "unplaced"}
    if unplaced:
        shown = "、".join(_row_label(report, table_id, row_id) for row_id in unplaced)
        printed = next(iter(unplaced.values())).raw
        return None, f"{shown}行的位置印有标签不同的“{printed}”及数字，无法确定是否为该行，需人工核实"
    if any(c.reason == "lost" for c in cells):
        return None, "部分单元格在文本中丢失，无法判断"
    return True, ""


# A row is called absent (不合规) only when the rest of its table was read: where most cells of the rows that
# were found could not be read either, the text itself is scrambled (a PDF's text layer in another order, a
# converter's damage) and "row absent" would be a claim about the document that rests on a failed reading.
MIN_READ_SHARE = 0.5
# A statutory table is called absent only when its part prints (almost) no numbers: a part that prints a
# table's worth of numbers under headers the reader could not follow is for a person to check.
MIN_NUMBERS_OF_A_TABLE = 5
TABLE_PARTS = {"t2": 2, "t3": 3, "t4": 4}
TABLE_TITLES = {"t2": "表二", "t3": "表三", "t4": "表四"}
_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.]*\s*[年月日])")


def _read_share(cells: list[Cell]) -> tuple[int, int]:
    """(cells read — a number, a printed blank, 不适用 or text —, cells) of ``cells``."""
    return sum(c.state != "missing" for c in cells), len(cells)


def _absent_table(report: Report, table_id: str) -> Fact:
    part = next((s for s in report.sections if s.number == TABLE_PARTS[table_id]), None)
    numbers = len(_NUMBER.findall(part.text)) if part is not None else 0
    if numbers >= MIN_NUMBERS_OF_A_TABLE:
        return None, (f"第{NUMERALS[part.number - 1]}部分印有 {numbers} 个数字，但未能按格式识别出"
                      f"{TABLE_TITLES[table_id]}（{part.where}），需对照原件核实")
    return False, "整张表缺失"


def _row_label(report: Report, table_id: str, row_id: str) -> str:
    table = _table_of(report, table_id)
    return next((f"“{r.label.text}”" for r in table.rows if r.id == row_id), row_id)


def table2_complete(report: Report, kind: str | None) -> Fact:
    return _table_complete(report, "t2")


def table3_complete(report: Report, kind: str | None) -> Fact:
    return _table_complete(report, "t3")


def table4_complete(report: Report, kind: str | None) -> Fact:
    return _table_complete(report, "t4")


def edition_matches_year(report: Report, kind: str | None) -> Fact:
    observed = report.table_editions.get("t2") or report.table_editions.get("t3")
    if report.year is None or not observed:
        return None, "报告年度或表格版式无法识别"
    expected = layout.edition_for_year(report.year).id
    return observed == expected, f"expected={expected};observed={observed}"


def single_edition(report: Report, kind: str | None) -> Fact:
    if report.edition is None:
        return None, "表格版式无法识别"
    t2, t3 = report.table_editions.get("t2"), report.table_editions.get("t3")
    return report.edition != "hybrid", f"t2={t2};t3={t3}"


# ---------------------------------------------------------------- prose facts


def _document_text(report: Report) -> str:
    return report.preface + "\n" + "\n".join(s.text for s in report.sections)


def period_stated(report: Report, kind: str | None) -> Fact:
    match = _PERIOD.search(_document_text(report))
    if match is None:
        return False, "未写明统计期限（自×年1月1日起至×年12月31日止）"
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else start
    if report.year is None:
        return None, "报告年度无法识别"
    ok = start == end == report.year
    return ok, "" if ok else f"统计期限写为{start}年1月1日至{end}年12月31日，与报告年度{report.year}年不符"


# Contact details count only next to a cue word (电话：0591-…, 地址：…, 邮箱：…): in crawler text the glued
# digits of a table row (00000002.…0000000) look like phone numbers, and a bare run of digits is no contact.
_CUED_PHONE = re.compile(r"(?:电话|传真|热线|手机|联系方式|联系)[^\d\n。]{0,10}?"
                         r"(?<!\d)(?:(?:0\d{2,3}[-－—\s]?)?\d{7,8}|1[3-9]\d{9})(?!\d)")
_CUED_ADDRESS = re.compile(rf"(?:联系|通讯|通信|办公)?地{_GAP}址{_GAP}[：:为]{_GAP}[\u4e00-\u9fff]{{4}}")
_CUED_EMAIL = re.compile(r"(?:邮箱|电子邮件|e-?mail|E-?mail|EMAIL|信箱)[^@\n。]{0,12}?[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# what contact_given looks for: name, pattern, and a text that every match contains (tested first)
_CONTACTS = (("地址", _CUED_ADDRESS, "址"), ("电话", _CUED_PHONE, ""), ("电子邮箱", _CUED_EMAIL, "@"))


def contact_given(report: Report, kind: str | None) -> Fact:
    """Whether the prose gives an address, a telephone number or an e-mail address next to its cue word."""
    text = _document_text(report)
    found = [name for name, rx, needle in _CONTACTS if needle in text and rx.search(text)]
    return bool(found), "、".join(found)


def _section_text(report: Report, number: int) -> str | None:
    section = report.section(number)
    return section.text if section else None


def s1_areas_covered(report: Report, kind: str | None) -> Fact:
    text = _section_text(report, 1)
    if text is None:
        return None, "未找到第一部分"
    areas = catalogue()["S1-AREAS"].params["areas"]
    absent = [area for area, words in areas.items() if not any(w in text for w in words)]
    return not absent, "、".join(absent)


def s5_problems_and_measures(report: Report, kind: str | None) -> Fact:
    text = _section_text(report, 5)
    if text is None:
        return None, "未找到第五部分"
    params = catalogue()["S5-CONTENT"].params
    lacks = [name for name, key in (("存在的问题", "problems"), ("改进措施", "measures"))
             if not any(w in text for w in params[key])]
    return not lacks, "未写" + "和".join(lacks) if lacks else ""


def s6_fee_stated(report: Report, kind: str | None) -> Fact:
    text = _section_text(report, 6)
    if text is None:
        return None, "未找到第六部分"
    words = catalogue()["S6-FEE"].params["keywords"]
    stated = any(w in text for w in words)
    return stated, "" if stated else f"（第六部分为：“{text[:40]}”）"


_DATE = r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?"
# Publication dates by label, in order of trust: the page's own publication date, then the date the document was
# signed (a page printing 成文日期 before 发布日期 is published on the latter), then a bare 时间.
_LABELLED_DATES = tuple(re.compile(rf"(?:{labels})\s*[：:]\s*" + _DATE)
                        for labels in ("发布日期|发布时间|公开日期", "成文日期", "时间"))
_TRAILING_DATE = re.compile(_DATE + r"\s*$")


def publication_date(report: Report) -> date | None:
    """The date printed as 发布日期/发布时间 (web pages), else the date the report closes with."""
    labelled = (pattern.search(report.preface) for pattern in _LABELLED_DATES)
    match = next((m for m in labelled if m), None) or _TRAILING_DATE.search(_document_text(report)[-80:].strip())
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def deadline(rule_id: str, kind: str | None, year: int) -> date | None:
    """The publication deadline of a body of ``kind`` for report ``year`` (rule parameters)."""
    month_day = catalogue()[rule_id].params["deadlines"].get(kind or "")
    if not month_day:
        return None
    month, day = map(int, month_day.split("-"))
    return date(year + 1, month, day)


def published_on_time(report: Report, kind: str | None) -> Fact:
    published = publication_date(report)
    if published is None or report.year is None:
        return None, "报告中未见发布日期"
    limit = deadline("REG-LATE", kind, report.year)
    if limit is None:
        return None, "机关类别未知，无法确定公布期限"
    on_time = published <= limit
    return on_time, "" if on_time else f"报告于 {published.isoformat()} 公布，晚于 {limit.isoformat()} 的公布期限"


def fee_notice_explained(report: Report, kind: str | None) -> Fact:
    cell = report.cells.get("t3.other_2.total")
    if cell is None or cell.state != "number":
        return None, "表三（六）2 无数值"
    if not cell.value:
        return True, ""
    text = _section_text(report, 6) or ""
    return "处理费" in text, f"{int(cell.value)} 件" if float(cell.value).is_integer() else f"{cell.value} 件"


_FACTS = {
    "sections_complete": sections_complete, "table2_complete": table2_complete,
    "table3_complete": table3_complete, "table4_complete": table4_complete,
    "edition_matches_year": edition_matches_year, "single_edition": single_edition,
    "period_stated": period_stated, "contact_given": contact_given, "s1_areas_covered": s1_areas_covered,
    "s5_problems_and_measures": s5_problems_and_measures, "s6_fee_stated": s6_fee_stated,
    "published_on_time": published_on_time,
"fee_notice_explained": fee_notice_explained,
}
FACT_NAMES = (*_FACTS, "register_matched", "filed")
