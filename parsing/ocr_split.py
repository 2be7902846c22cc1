"""A table row split by a page break, joined again (used by ``parsing.ocr`` on OCR'd pages).

A word processor that breaks a table across pages may split one row: the label's first lines and every value
on the first page, the rest of the label on the next page in a row of its own whose value cells are empty:

    第3页  | 2.申请人逾期未按收费通知要求缴 | 6 | 0 | 0 | 0 | 1 | 1 | 8 |      (the table's last row)
    第4页  | 纳费用、行政机关不再处理其政府信息公开申请 |   |   |   |   |   |   |   |  (the table's first row)

Read as two rows, the second one's empty cells would stand for the label's values (blank, not the numbers
printed above). When a page ends with a table and the next page begins with one whose first row holds text in
one cell only, and that cell's column exists in the previous page's last row (same number of columns), the
text is appended to that cell and the empty row is dropped — what a person reading the paper does. Nothing
else moves: a row with any other cell filled is left as printed.
"""
from __future__ import annotations

import re

_CELL = re.compile(r"第(\d+)行第(\d+)格")
_ROW_END = re.compile(r"第(\d+)行末")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_FURNITURE = re.compile(r"^[\s\-—–－·.第页共/\d]{0,12}$")  # a page number or a rule, not content


def join_split_rows(pages: list[list], joinable: set[int] | None = None) -> list[list]:
    """The pages' lines (one list per page), each page-break-split row joined into the previous page; with
    ``joinable`` (0-based page indexes), only between two pages both in it."""
    out = [list(lines) for lines in pages]
    for index in range(1, len(out)):
        if joinable is None or {index - 1, index} <= joinable:
            _join(out[index - 1], out[index], index + 1)
    return out


def _join(before: list, after: list, page: int) -> None:
    last_row = _last_row(before)
    first_row = _first_row(after)
    if last_row is None or first_row is None:
        return
    start, end = first_row
    cells = {_column(line): line for line in after[start:end] if _column(line)}
    filled = [c for c, line in cells.items() if line.text.strip()]
    if len(filled) != 1 or not _CJK.search(cells[filled[0]].text) or len(cells) < 3:
        return
    column = filled[0]
    if sum(1 for c in cells if c > column) < 2:  # no value columns after the text: not a label continued
        return
    above = {_column(line): i for i, line in enumerate(before[last_row[0]:last_row[1]], start=last_row[0])
             if _column(line)}
    if column not in above or max(above) != max(cells) or not before[above[column]].text.strip():
        return
    target = before[above[column]]
    before[above[column]] = type(target)(target.text + cells[column].text.strip(),
                                         f"{target.where}（跨页续接第{page}页首行）", True)
    del after[start:end + 1]  # the row and its row-end line


def _column(line) -> int | None:  # noqa: ANN001 - parsing.readers.Line
    match = _CELL.search(line.where) if line.cell else None
    return int(match[2]) if match else None


def _last_row(lines: list) -> tuple[int, int] | None:
    """(first line, row-end line) of the page's last table row, when nothing but page furniture follows it."""
    end = next((i for i in range(len(lines) - 1, -1, -1) if _ROW_END.search(lines[i].where)), None)
    if end is None or any(not _FURNITURE.match(line.text) for line in lines[end + 1:]):
        return None
    start = end
    while start > 0 and _column(lines[start - 1]) is not None and _row(lines[start - 1]) == _row_end(lines[end]):
        start -= 1
    return (start, end) if start < end else None


def _first_row(lines: list) -> tuple[int, int] | None:
    """(first line, row-end line) of the page's first table row, when only page furniture precedes it."""
    start = next((i for i, line in enumerate(lines) if _column(line) is not None), None)
    if start is None or any(not _FURNITURE.match(line.text) for line in lines[:start]):
        return None
    end = next((i for i in range(start, len(lines)) if _ROW_END.search(lines[i].where)), None)
    if end is None or any(_row(line) != _row(lines[start]) for line in lines[start:end]):
        return None
    return start, end


def _row(line) -> int | None:  # noqa: ANN001
    match = _CELL.search(line.where)
    return int(match[1]) if match else None


def _row_end(line) -> int | None:  # noqa: ANN001
    match = _ROW_END.search(line.where)
    return int(match[1]) if match else None
