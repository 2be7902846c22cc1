"""Cells named as an officer reads them in the printed template, not by canonical id.

    cell_name("t3.denied_1.natural", "2021")  →  "表三 第三项（三）1. 属于国家秘密 · 自然人"
    cell_name("prev.t3.carried_out.total")    →  "上年报告表三 第四项 结转下年度继续办理 · 总计"

The labels come from the template layouts (``rules.layout``) and the naming of ``rules.labels``; only the
printed item numbers of table 3 (一、二、三（一）…（七）、四) are added here, from the row ids' groups.
"""
from __future__ import annotations

import re
from functools import cache

from rules import layout
from rules.labels import DERIVED, TABLE_NAMES, cell_label

PREV = "prev."
_NUMBERED = re.compile(r"^(?P<group>[a-z_]+?)_(?P<n>\d+)$")
# table 3: the printed item of each row (group) — 一、新收；二、上年结转；三、办理结果（一）…（七）；四、结转
T3_ITEMS = {"new": "第一项", "carried_in": "第二项", "granted": "第三项（一）", "partial": "第三项（二）",
            "denied": "第三项（三）", "unavailable": "第三项（四）", "not_handled": "第三项（五）",
            "other": "第三项（六）", "result_total": "第三项", "carried_out": "第四项"}
_LEAD = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.、．])\s*")


def edition_of(edition: str | None, year: int | None) -> str:
    """The template edition whose labels name a report's cells: its own when known, else its year's."""
    if edition in layout.EDITIONS:
        return edition
    if year is not None:
        return layout.edition_for_year(year).id
    return layout.EDITIONS[-1]


def cell_name(cell_id: str, edition: str | None = None, year: int | None = None) -> str:
    """The printed name of ``cell_id`` (a canonical table cell, a ``prev.`` cell or a derived figure); the
    id itself only when the layout does not know it."""
    own = edition_of(edition, year)
    for candidate in (own, *(e for e in layout.EDITIONS if e != own)):   # a cell of the other edition
        try:
            return _name(cell_id, candidate)
        except (KeyError, ValueError, StopIteration, IndexError):
            continue
    return cell_id


@cache
def _name(cell_id: str, edition: str) -> str:
    if cell_id.startswith(PREV):
        return "上年报告" + _name(cell_id[len(PREV):], edition)
    parts = cell_id.split(".")
    if len(parts) != 3 or parts[0] not in TABLE_NAMES:
        return DERIVED.get(cell_id) or cell_label(cell_id, _tables(edition))
    table_id, row_id, col_id = parts
    table = _tables(edition)[table_id]
    row = next(r for r in table.rows if r.id == row_id)
    label = row.label.text
    column = table.column(col_id).label.text
    if table_id != "t3":
        return f"{TABLE_NAMES[table_id]} {label} · {column}"
    return f"{TABLE_NAMES[table_id]} {_t3_item(row_id, label)} · {column}"


def _t3_item(row_id: str, label: str) -> str:
    """“第三项（三）1. 属于国家秘密”: the printed item numbers in front of a table-3 row's label."""
    plain = _LEAD.sub("", label)
    numbered = _NUMBERED.match(row_id)
    if numbered and numbered.group("group") in T3_ITEMS:
        return f"{T3_ITEMS[numbered.group('group')]}{numbered.group('n')}. {plain}"
    item = T3_ITEMS.get(row_id)
    if item is None:
        return label
    if label.startswith("（"):                     # （七）总计, （六）其他处理: the label carries its number
        return item.split("（")[0] + label
    return f"{item} {plain}" if item.endswith("项") else f"{item}{plain}"


@cache
def _tables(edition: str) -> dict[str, layout.Table]:
    ed = layout.edition(edition)
    return {"t2": ed.t2, "t3": ed.t3, "t4": ed.t4}


_CELL_ID = re.compile(r"(?<![A-Za-z0-9_.])(?:prev\.)?t[234]\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")


def humanize(text: str | None, edition: str | None = None, year: int | None = None) -> str:
    """``text`` with every canonical cell id in it replaced by the cell's printed name (“…” around it)."""
    if not text:
        return text or ""
    return _CELL_ID.sub(lambda m: f"“{cell_name(m.group(0), edition, year)}”", text)
