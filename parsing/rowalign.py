"""Table rows the exact pass missed or cut short, found by fitting their labels (``parsing.align``).

Runs only when the exact pass left a row unfound or took a row through a shorter variant of its label
(both rare: a report printed as the template words it never comes here). For each gap between the rows
already found, the missing rows are fitted in template order into the printed text of the gap, with their
variants and the other edition's name of the same row (规范性文件 / 行政规范性文件). A fit at ``STRONG`` or above
places the row; a weaker one is reported and its numbers are *unplaced* (the row's cells stay missing).
Numbers printed in a gap under a label that fits no row are unplaced too — never "row absent".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

from parsing.align import STRONG, Alignment, fit, fold_label, widen_to_item
from parsing.text import TextMap, compact, find_label
from rules import layout
from rules.layout import Row, Table

MIN_FUZZY = 4  # a label shorter than this (其他, 规章) is matched exactly or not at all
UNNUMBERED = 0.9  # confidence of a short label found without the item number the template gives it
# A number, then words of at least two characters, then a number: a printed row the template rows of the
# gap did not account for.
_UNPLACED = re.compile(r"\d[^\d\n]{0,12}?[\u4e00-\u9fff]{2}[^\d]*?\d")


@dataclass
class RowAlignment:
    """The rows placed after alignment, the non-exact matches, and the rows whose numbers are unplaced
    (row id → the printed text that could not be placed)."""

    found: list
    alignments: list[Alignment] = field(default_factory=list)
    unplaced: dict[str, str] = field(default_factory=dict)


def needs_alignment(table: Table, found: list) -> bool:
    """Whether the exact pass left something to align: a row not found, or a row found through a label
    variant that is part of a longer template label (the rest of the printed label may follow it)."""
    if len(found) < len(table.rows):
        return True
    for f in found:
        if _shorter(f.row.label.text, f.printed):
            return True
    return False


def _partial(row: Row, printed: str) -> bool:
    return _shorter(row.label.text, printed)


@lru_cache(maxsize=8192)
def _shorter(label: str, printed: str) -> bool:
    """Whether ``printed`` (a row label as the exact pass found it) is clearly shorter than ``label``."""
    main, got = fold_label(label), fold_label(printed)
    return len(main) > len(got) + 2 and got != main


def align_rows(textmap: TextMap, table: Table, found: list, start: int, end: int,
               make_row) -> RowAlignment:  # noqa: ANN001 - make_row: FoundRow's constructor
    """``found`` (the exact pass) completed: labels extended to their full printed text, missing rows
    fitted, unplaced numbers noted."""
    text = textmap.text
    out = RowAlignment(list(found))
    out.found = _complete(textmap, table, out, make_row, start, end)
    by_id = {f.row.id: f for f in out.found}
    placed: list = []
    index = 0
    rows = table.rows
    while index < len(rows):
        row = rows[index]
        if row.id in by_id:
            placed.append(by_id[row.id])
            index += 1
            continue
        run_end = index
        while run_end < len(rows) and rows[run_end].id not in by_id:
            run_end += 1
        low = placed[-1].label_end if placed else start
        high = by_id[rows[run_end].id].label_start if run_end < len(rows) else end
        bounded = bool(placed) and run_end < len(rows)
        filled = _fill_gap(textmap, table, rows[index:run_end], low, high, out, make_row, bounded)
        if bounded:  # a gap between two rows found: numbers in it are someone's
            _mark_unplaced(text, rows[index:run_end], low, high, filled, out)
        placed.extend(filled)
        index = run_end
    out.found = placed
    return out


def _complete(textmap: TextMap, table: Table, out: RowAlignment, make_row, start: int, end: int) -> list:  # noqa: ANN001
    """Rows found through a shorter variant, extended to the full label when it is printed around them."""
    found = out.found
    result = []
    for i, f in enumerate(found):
        if not _partial(f.row, f.printed):
            result.append(f)
            continue
        main = f.row.label.text
        reach = len(main) + 8
        low = max(result[-1].label_end if result else start, f.label_start - reach)
        high = min(found[i + 1].label_start if i + 1 < len(found) else end, f.label_end + reach)
        got = fit(main, textmap.text, low, high)
        if got is None or got.confidence < STRONG or got.start > f.label_start or got.end < f.label_end:
            result.append(f)
            continue
        begin = widen_to_item(textmap.text, low, got.start)
        printed = compact(textmap.text[got.start:got.end])
        result.append(make_row(f.row, begin, got.end, printed))
        out.alignments.append(Alignment("row", f"{table.id}.{f.row.id}", main, printed, got.confidence, "补全标签",
                                        textmap.where(got.start)))
    return result


def _fill_gap(textmap: TextMap, table: Table, rows: tuple[Row, ...], low: int, high: int,
              out: RowAlignment, make_row, bounded: bool) -> list:  # noqa: ANN001
    """The missing ``rows`` (in template order) fitted into text[low:high]."""
    text = textmap.text
    placed = []
    cursor = low
    for row in rows:
        best = _best_fit(text, table, row, cursor, high, bounded)
        if best is None:
            continue
        label, got, how = best
        printed = compact(text[got.start:got.end])
        weak = got.confidence < STRONG
        out.alignments.append(Alignment("row", f"{table.id}.{row.id}", row.label.text, printed, got.confidence, how,
                                        textmap.where(got.start), weak))
        placed.append(make_row(row, widen_to_item(text, cursor, got.start), got.end, printed))
        if weak:
            out.unplaced[row.id] = printed
        cursor = got.end
    return placed


_ITEM_NUMBER = re.compile(r"^[\s\u3000]*(?:[（(][一二三四五六七八九十]{1,2}[）)]|[一二三四五六七八九十]{1,2}、|[1-9][.、．])")


def _bare(label: str) -> str:
    """The label without the item number the template prints in it (（七）总计 → 总计)."""
    return _ITEM_NUMBER.sub("", label)


def _best_fit(text: str, table: Table, row: Row, low: int, high: int, bounded: bool):  # noqa: ANN202
    """(label, fit, how) of the label of ``row`` that fits text[low:high] best. A label too short to be
    fitted (其他, 总计) is taken only as printed, without its item number, and only between two rows found."""
    best = None
    for label in _former_names(table.id, row.id, row.label.all):
        match = find_label(text, (label,), low, high, row.label.numbered)
        if match is not None:
            return label, _Exact(match.start(), match.end(), 1.0), "旧版名称"
    for label in row.label.all:
        bare = _bare(label)
        if len(fold_label(bare)) < MIN_FUZZY:
            match = find_label(text, (bare,), low, high) if bounded else None
            if match is not None and (best is None or best[1].confidence < UNNUMBERED):
                best = (label, _Exact(match.start(), match.end(), UNNUMBERED), "无项目序号")
            continue
        got = fit(bare, text, low, high)
        if got is not None and (best is None or got.confidence > best[1].confidence):
            best = (label, got, "近似文字")
    return best


@dataclass(frozen=True)
class _Exact:
    start: int
    end: int
    confidence: float


@cache
def _former_names(table_id: str, row_id: str, own: tuple[str, ...]) -> tuple[str, ...]:
    """The labels the other editions print for the same row (an older edition's name), not already own."""
    names: list[str] = []
    for edition_id in layout.EDITIONS:
        table = {"t2": layout.edition(edition_id).t2, "t3": layout.edition(edition_id).t3}.get(table_id)
        for row in table.rows if table else ():
            if row.id == row_id:
                names.extend(label for label in row.label.all if label not in own and label not in names)
    return tuple(names)


def _mark_unplaced(text: str, rows: tuple[Row, ...], low: int, high: int, filled: list,
                   out: RowAlignment) -> None:
    """Rows of a gap still missing after fitting, where the text between the rows around them prints
    numbers under a label of its own: their numbers are unplaced (not "row absent")."""
    position = {row.id: i for i, row in enumerate(rows)}
    anchors = [(-1, low, low)] + [(position[f.row.id], f.label_start, f.label_end) for f in filled]
    anchors.append((len(rows), high, high))
    for (i, _, a), (j, b, _) in zip(anchors, anchors[1:]):
        missing = rows[i + 1:j]
        if not missing:
            continue
        match = _UNPLACED.search(text, a, b)
        if match is None:
            continue
        printed = compact(text[match.start() + 1:match.end() - 1])
        for row in missing:
            out.unplaced.setdefault(row.id, printed)
