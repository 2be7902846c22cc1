"""Table rows of a ruled PDF tidied before they are read: rows with nothing printed dropped, and a row that a
page break cut in two joined again.

A word processor lets a table row break across a page: the bottom of page N prints the row's values with the
first words of its label (``2.其他法律 | 0 | 0 …``) and the top of page N+1 prints the rest of the label in the
same row's cells, with no value (``公开 | 行政法规禁止公开 | | …``). Read as two rows, the label is cut by seven
values and matches nothing, and the values before it are claimed by the row above. Joined, the label reads
whole (``2.其他法律 公开 行政法规禁止公开``, which the row alignment matches; a word of a merged group label
such as 公开 is an extra word it tolerates) and the values keep their cells.

Only that case is joined: the first row of a page whose cells print a few words and no digit, and leave blank
at least as many cells as the row it continues has values (the same row's cells, not a header spanning the
table), right after a last row of the previous page that prints values. A grid row that prints nothing in any cell (a ruling that only splits a
merged label cell) carries nothing to read and is dropped.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from parsing.pdf_layout import CONTINUES

_DIGIT = re.compile(r"\d")
_CJK = re.compile(r"[\u4e00-\u9fff]")

Items = Sequence[Any]  # parsing.pdf_layout.PageItem: top, text, cells


def tidied(layouts: Mapping[int, Items]) -> dict[int, list]:
    """``layouts`` (page index → the page's items) with empty rows dropped and page-cut rows joined."""
    pages = {page: _joined_wraps([item for item in items if not _empty_row(item)]) for page, items in layouts.items()}
    for page in sorted(pages):
        following = pages.get(page + 1)
        if following and pages[page]:
            _join_cut_row(pages[page], following)
    return {page: [_as_text(item) if item.text == CONTINUES else item for item in items]
            for page, items in pages.items()}


def _as_text(item: Any) -> Any:
    """A label's rest from a page break that joined no row: a line of text (never a row of blank cells)."""
    return replace(item, text=" ".join(cell for cell in item.cells if cell.strip()), cells=())


def _joined_wraps(items: list) -> list:
    """A label's next line that the grid put in a narrow row of its own (one or two cells, every one printing
    words, fewer cells than the row above; right under a row with values: the value cells span both grid rows)
    joined to that row's label. A row with a blank cell is a row of its own (行政强制 | 〔blank〕 under 行政处罚 | 5)."""
    out: list = []
    for item in items:
        previous = out[-1] if out else None
        if (previous is not None and previous.cells and _has_values(previous.cells) and item.cells
                and len(item.cells) <= MAX_WRAP_CELLS and len(item.cells) < len(previous.cells)
                and all(cell.strip() for cell in item.cells) and _label_rest(item.cells)):
            out[-1] = _with_label_rest(previous, item)
            continue
        out.append(item)
    return out


def _with_label_rest(row: Any, rest_row: Any) -> Any:
    label_end = next(i for i, cell in enumerate(row.cells) if i and _value(cell)) - 1
    rest = " ".join(cell.strip() for cell in rest_row.cells if cell.strip())
    cells = list(row.cells)
    cells[label_end] = f"{cells[label_end]} {rest}".strip()
    return replace(row, cells=tuple(cells))


def _with_rest_by_column(row: Any, rest_row: Any) -> Any | None:
    """The rest of a cut row joined cell by cell, each printed piece to the cell of ``row`` in its column (by
    the cells' x on the page): a merged group label's rest (（五） ‖ 不予处理) to the group label, the row
    label's rest (1.信访举报投 ‖ 诉类申请) to the row label. None when the rows carry no positions, or a piece
    stands over no label cell of ``row`` (a group label begun on an earlier row): then the label takes it all."""
    if not (row.spans and rest_row.spans):
        return None
    label_cells = next(i for i, cell in enumerate(row.cells) if i and _value(cell))
    cells = list(row.cells)
    for text, span in zip(rest_row.cells, rest_row.spans):
        if not text.strip():
            continue
        column = _column_of(span, row.spans[:label_cells])
        if column is None:
            return None
        cells[column] = f"{cells[column]} {text.strip()}".strip()
    return replace(row, cells=tuple(cells))


def _column_of(span: tuple[float, float], spans: Sequence[tuple[float, float]]) -> int | None:
    """The cell whose x-extent holds more than half of ``span`` (the same grid column on the next page)."""
    width = span[1] - span[0]
    for index, (x0, x1) in enumerate(spans):
        if min(x1, span[1]) - max(x0, span[0]) > width / 2:
            return index
    return None


def _empty_row(item: Any) -> bool:
    return bool(item.cells) and not any(cell.strip() for cell in item.cells)


def _join_cut_row(items: list, following: list) -> None:
    """The first row of the next page joined to this page's last row when it is the rest of that row's label."""
    last = items[-1]
    first = following[0]
    if not (last.cells and first.cells) or not _has_values(last.cells) or not _label_rest(first.cells):
        return
    if _blank_cells(first.cells) < _value_cells(last.cells):  # not the same row's cells (a merged header)
        return
    items[-1] = _with_rest_by_column(last, first) or _with_label_rest(last, first)
    del following[0]


def _value(cell: str) -> bool:
    """A cell printing a number (not a label with an item number such as 2.其他法律)."""
    return bool(_DIGIT.search(cell)) and not _CJK.search(cell)


def _value_cells(cells: Sequence[str]) -> int:
    return sum(_value(cell) for cell in cells[1:])


def _blank_cells(cells: Sequence[str]) -> int:
    return sum(not cell.strip() for cell in cells)


def _has_values(cells: Sequence[str]) -> bool:
    return any(_value(cell) for cell in cells[1:])


MAX_REST_CELLS = 3   # a label's rest fills its own cell(s) and a merged group label's; a header fills many
MAX_REST_CHARS = 30
MAX_WRAP_CELLS = 2  # a label's wrapped line in a grid row of its own: its cell (and a group label's)


def _label_rest(cells: Sequence[str]) -> bool:
    """Cells that print a few words and no digit: the rest of a label, not a row of its own (a table header
    repeated on the new page, or the next table's header, prints words in many cells)."""
    printed = [cell.strip() for cell in cells if cell.strip()]
    text = "".join(printed)
    return (bool(_CJK.search(text)) and not _DIGIT.search(text) and len(printed) <= MAX_REST_CELLS
            and len(text) <= MAX_REST_CHARS)
