"""Layout damage as real offices and converters produce it, applied to a rendered txt report.

Each variant takes the text ``synth.render.render_txt`` made (``spaces`` style: one table row per line) and
returns the same report printed another way; the numbers never change, so the parser must read every cell
back exactly:

* ``spaced_labels`` — a space inside every row label (予以 公开);
* ``broken_labels`` — long row labels broken across lines, some by a page footer (``- 3 -``);
* ``no_item_numbers`` — row labels without their item numbers (（一） / 1.);
* ``glued_headings`` — section headings run on into the following text;
* ``markdown_headings`` — ``## 一、总体情况``;
* ``part_numbering`` — ``第一部分 总体情况``;
* ``reworded`` — one character of some long labels and headings changed, dropped or doubled, and the older
  edition's name for the normative-documents row (deterministic from ``seed``);
* ``glued_cells`` — table rows as crawlers flatten them: the values of a row glued with no separator.
"""
from __future__ import annotations

import random
import re
from collections.abc import Callable

from rules import layout

_HEADING = re.compile(r"^(?P<num>[一二三四五六])、(?P<title>[^\n]+)$", re.M)
_ITEM = re.compile(r"(?:[（(][一二三四五六七][）)]|(?<![\d.])[1-8]\.(?!\d))(?=[\u4e00-\u9fff“])")
_FILLERS = "的和及与等其之"


def _table_spans(text: str) -> list[tuple[int, int]]:
    """Where tables 2 and 3 are printed: from section 二's heading to section 四's."""
    two, four = text.find("二、主动公开"), text.find("四、政府信息公开行政复议")
    return [(two, four)] if 0 <= two < four else []


def _row_labels(edition: str) -> list[str]:
    ed = layout.edition(edition)
    return [row.label.text for table in (ed.t2, ed.t3) for row in table.rows]


def _in_tables(text: str, edit: Callable[[str], str]) -> str:
    spans = _table_spans(text)
    if not spans:
        return text
    a, b = spans[0]
    return text[:a] + edit(text[a:b]) + text[b:]


def _each_label(text: str, edition: str, change: Callable[[str, int], str]) -> str:
    """Every row label printed in the tables, changed (``change(label, index)``) at its first occurrence."""
    def edit(region: str) -> str:
        pos = 0
        for index, label in enumerate(_row_labels(edition)):
            at = region.find(label, pos)
            if at < 0:
                continue
            new = change(label, index)
            region = region[:at] + new + region[at + len(label):]
            pos = at + len(new)
        return region
    return _in_tables(text, edit)


def spaced_labels(text: str, edition: str, seed: int = 0) -> str:
    return _each_label(text, edition, lambda label, i: label if len(label) < 4 else
                       label[:len(label) // 2] + " " + label[len(label) // 2:])


def broken_labels(text: str, edition: str, seed: int = 0) -> str:
    def brk(label: str, index: int) -> str:
        if len(label) < 8:
            return label
        cut = len(label) // 2
        return label[:cut] + ("\n- 3 -\n" if index % 3 == 0 else "\n") + label[cut:]
    return _each_label(text, edition, brk)


def no_item_numbers(text: str, edition: str, seed: int = 0) -> str:
    return _in_tables(text, lambda region: _ITEM.sub("", region))


def glued_headings(text: str, edition: str, seed: int = 0) -> str:
    return re.sub(r"^([一二三四五六]、[^\n]+)\n+", r"\1", text, flags=re.M)


def markdown_headings(text: str, edition: str, seed: int = 0) -> str:
    return _HEADING.sub(lambda m: f"## {m.group(0)}", text)


def part_numbering(text: str, edition: str, seed: int = 0) -> str:
    return _HEADING.sub(lambda m: f"第{m['num']}部分 {m['title']}", text)


def reworded(text: str, edition: str, seed: int = 0) -> str:
    """One character changed, dropped or added in every third long label and in headings 三 and 五."""
    rng = random.Random(seed)

    def change(label: str, index: int) -> str:
        if len(label) < 10 or index % 3:
            return label
        return _perturb(label, rng)
    text = _each_label(text, edition, change)
    if edition == "2021":
        text = _in_tables(text, lambda region: region.replace("行政规范性文件", "规范性文件", 1))
    for number in (3, 5):
        spec = layout.sections()[number - 1]
        heading = f"{spec.numeral}、{spec.label.text}"
        text = text.replace(heading, f"{spec.numeral}、{_perturb(spec.label.text, rng)}", 1)
    return text


def _perturb(label: str, rng: random.Random) -> str:
    at = rng.randrange(2, len(label) - 2)
    how = rng.choice(("swap", "drop", "add"))
    if how == "swap":
        return label[:at] + rng.choice(_FILLERS) + label[at + 1:]
    if how == "drop":
        return label[:at] + label[at + 1:]
    return label[:at] + rng.choice(_FILLERS) + label[at:]


def glued_cells(text: str, edition: str, seed: int = 0) -> str:
    """Values of a table row glued: ``一、本年新收政府信息公开申请数量 7580181 93`` becomes ``…数量758018193``."""
    return _in_tables(text, lambda region: re.sub(r"(?<=\d) (?=\d)", "", region))


VARIANTS: dict[str, Callable[[str, str, int], str]] = {
    "spaced_labels": spaced_labels, "broken_labels": broken_labels, "no_item_numbers": no_item_numbers,
    "glued_headings": glued_headings, "markdown_headings": markdown_headings, "part_numbering": part_numbering,
    "reworded": reworded, "glued_cells": glued_cells,
}


def apply(text: str, edition: str, names: list[str], seed: int = 0) -> str:
    """``text`` with the named variants applied in order."""
    for name in names:
        text = VARIANTS[name](text, edition, seed)
    return text
