"""One flat row of facts per report: what every rule reads, for GX (as a DataFrame) and for the bare checks.

The row holds, for every canonical cell id, the value a rule may use (``None`` when the cell is missing,
text or n/a — never 0), plus structure and prose facts as ``True`` / ``False`` / ``None`` (``None`` = the
fact cannot be established, so the rule is not assessable) with a ``<fact>__detail`` text for messages.
"""
from __future__ import annotations

import re
from typing import Any

from parsing.model import Cell, Report
from rules import layout
from rules.arithmetic import identities
from rules.bodies import infer_kind
from rules.catalogue import catalogue

Facts = dict[str, Any]
_GAP = r"[\s\u00a0\u3000]*"
_PERIOD = re.compile(rf"((?:19|20)\d{{2}}){_GAP}年{_GAP}0?1{_GAP}月{_GAP}0?1{_GAP}日{_GAP}(?:起)?{_GAP}"
                     rf"(?:至|到|—|-|~|－){_GAP}(?:((?:19|20)\d{{2}}){_GAP}年{_GAP})?12{_GAP}月{_GAP}31{_GAP}日")
_PHONE = re.compile(r"(?<!\d)(?:0\d{2,3}[-－—\s]?)?\d{7,8}(?!\d)|(?<!\d)1[3-9]\d{9}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ADDRESS = re.compile(rf"(?:联系)?地{_GAP}址{_GAP}[：:]")


def report_facts(report: Report, body_kind: str | None = None) -> Facts:
    """All facts of one parsed report. ``body_kind`` comes from the register when one is given."""
    kind = body_kind or infer_kind(report.body)
    facts: Facts = {"report_id": report.report_id, "file": report.file, "body": report.body,
                    "year": report.year, "edition": report.edition, "body_kind": kind,
                    "t2_edition": report.table_editions.get("t2") or None,
                    "t3_edition": report.table_editions.get("t3") or None}
    facts.update(effective_values(report))
    facts["sign_free_cells"] = _sign_free_cells(report)
    for name, fn in _FACTS.items():
        value, detail = fn(report, kind)
        facts[name], facts[f"{name}__detail"] = value, detail
    return facts


# ---------------------------------------------------------------- cell values


def effective_values(report: Report) -> dict[str, float | None]:
    """Value per canonical cell id. A blank is 0 only in a table that prints no 0 at all (blanks stand
    for zero there), and even then not for a blank total whose parts are not all zero (an omission)."""
    values: dict[str, float | None] = dict.fromkeys(layout.all_cell_ids())
    for table_id in ("t2", "t3", "t4"):
        cells = {cid: c for cid, c in report.cells.items() if cid.startswith(table_id + ".")}
        blank_is_zero = _blanks_mean_zero(cells.values())
        for cid, cell in cells.items():
            values[cid] = _value(cell, blank_is_zero)
    _drop_omitted_totals(report, values)
    return values


def _blanks_mean_zero(cells) -> bool:  # noqa: ANN001 - iterable of Cell
    states = [(c.state, c.value) for c in cells]
    return any(s == "blank" for s, _ in states) and not any(s == "number" and v == 0 for s, v in states)


def _value(cell: Cell, blank_is_zero: bool) -> float | None:
    if cell.state == "number":
        return float(cell.value)  # type: ignore[arg-type]
    if cell.state == "blank" and blank_is_zero:
        return 0.0
    return None


def _drop_omitted_totals(report: Report, values: dict[str, float | None]) -> None:
    for table_id in ("t3", "t4"):
        table = _table_of(report, table_id)
        for identity in identities(table):
            if len(identity.lhs) != 1:
                continue
            total = identity.lhs[0]
            cell = report.cells.get(total)
            parts = [values.get(c) for c in identity.rhs]
            if cell is not None and cell.state == "blank" and any(p not in (None, 0.0) for p in parts):
                values[total] = None


def _table_of(report: Report, table_id: str) -> layout.Table:
    edition_id = report.table_editions.get("t3" if table_id != "t2" else "t2") or "2021"
    ed = layout.edition(edition_id)
    return {"t2": ed.t2, "t3": ed.t3, "t4": ed.t4}[table_id]


def _sign_free_cells(report: Report) -> frozenset[str]:
    """Missing cells whose glued digits carry no minus sign: whatever the split, they are ≥ 0."""
    return frozenset(cid for cid, c in report.cells.items()
                     if c.state == "missing" and c.reason == "ambiguous" and c.raw and "-" not in c.raw
                     and "−" not in c.raw)


# ---------------------------------------------------------------- structure facts

Fact = tuple[bool | None, str]
NUMERALS = "一二三四五六"


def sections_complete(report: Report, kind: str | None) -> Fact:
    found = [s.number for s in report.sections]
    missing = [NUMERALS[n - 1] for n in range(1, 7) if n not in found]
    if missing:
        return False, "、".join(f"第{m}部分" for m in missing)
    return found == sorted(found), "" if found == sorted(found) else "六个部分顺序不符"


def _table_complete(report: Report, table_id: str) -> Fact:
    cells = [c for cid, c in report.cells.items() if cid.startswith(table_id + ".")]
    if not cells or all(c.reason == "table_absent" for c in cells):
        return False, "整张表缺失"
    absent = sorted({c.id.split(".")[1] for c in cells if c.reason == "row_absent"})
    if absent:
        return False, "、".join(_row_label(report, table_id, row_id) for row_id in absent)
    if any(c.reason == "lost" for c in cells):
        return None, "部分单元格在文本中丢失，无法判断"
    return True, ""


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


def contact_given(report: Report, kind: str | None) -> Fact:
    text = _document_text(report)
    found = [name for name, rx in (("地址", _ADDRESS), ("电话", _PHONE), ("电子邮箱", _EMAIL)) if rx.search(text)]
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
"fee_notice_explained": fee_notice_explained,
}
FACT_NAMES = tuple(_FACTS)
