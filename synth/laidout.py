"""A report printed as a *laid-out* text, as ``pdftotext -layout`` or pypdf's layout mode print a PDF.

    text = render_laid_out(spec, LaidOut(page_break=12, shift=4))

Every table is drawn as a monospace picture of its grid: each column at its own character position, the
text of a cell wrapped to its column's width (a long row label over several lines), a cell's lines centred
vertically in its row (so a one-line value sits between the lines of a wrapped label), merged cells
(三、本年度办理结果, （三）不予公开 …) printed over all the rows they span — on the blank line between two rows
too — and a blank cell printed as nothing. Options reproduce what the real tools do:

* ``cjk_width`` — how many positions a Chinese character takes: 1 (pdftotext counts characters) or 2 (as
  it looks in a monospace font);
* ``page_break`` / ``shift`` — a form feed before that row of table 3, the rows after it shifted right by
  ``shift`` positions (pdftotext lays each page out on its own);
* ``floating`` — value cells printed a line above the middle of their row (a cell whose text ends with an
  empty paragraph: the value floats above its row's other values);
* ``stacked_t4`` — table 4's column headers printed one character per line (结/果/维/持).

The numbers are the spec's; a cell id absent from ``spec.cells`` is a blank cell.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from synth.document import Para, blocks
from synth.grid import Grid, GridCell, place
from synth.spec import ReportSpec
from synth.wrap import wrap_chars

VALUE_WIDTH = 8  # positions of a value column
LABEL_WIDTHS = {"t2": (16,), "t3": (6, 6, 12), "t4": ()}


@dataclass(frozen=True)
class LaidOut:
    """How the text is laid out (see the module's docstring)."""

    cjk_width: int = 1
    page_break: int | None = None
    shift: int = 0
    floating: frozenset[str] = field(default_factory=frozenset)
    stacked_t4: bool = True


def render_laid_out(spec: ReportSpec, how: LaidOut = LaidOut()) -> str:
    """The report as laid-out text: prose lines indented, tables as monospace pictures."""
    lines: list[str] = []
    for block in blocks(spec):
        if isinstance(block, Para):
            indent = "    " if block.kind != "title" else "          "
            lines.extend(["", indent + block.text, ""] if block.kind != "body" else _prose(block.text))
        else:
            lines.extend(["", *_table(block, how), ""])
    return "\n".join(lines) + "\n"


def _prose(text: str, width: int = 36) -> list[str]:
    return [("    " if i == 0 else "") + text[i:i + width] for i in range(0, len(text), width)]


def width_of(text: str, cjk_width: int) -> int:
    """Positions ``text`` takes: a wide (Chinese) character ``cjk_width``, any other one."""
    return sum(cjk_width if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrap(text: str, width: int, cjk_width: int) -> list[str]:
    """``text`` cut into lines of at most ``width`` positions (a value is never cut)."""
    if not text:
        return []
    if text.replace(".", "").replace("-", "").isdigit():
        return [text]
    return wrap_chars(text, lambda line: width_of(line, cjk_width) > width)


def _widths(grid: Grid, how: LaidOut) -> list[int]:
    labels = LABEL_WIDTHS[grid.table_id]  # in Chinese characters
    return [w * how.cjk_width for w in labels] + [VALUE_WIDTH] * (grid.width - len(labels))


def _cell_lines(cell: GridCell, width: int, grid: Grid, how: LaidOut) -> list[str]:
    if grid.table_id == "t4" and how.stacked_t4 and not cell.cell_id and cell.colspan == 1:
        return list(cell.text)  # a column header, one character per line
    lines = _wrap(cell.text, width, how.cjk_width)
    if cell.cell_id in how.floating and lines:
        return [*lines, ""]
    return lines


def _table(grid: Grid, how: LaidOut) -> list[str]:
    widths = _widths(grid, how)
    starts = [sum(widths[:i]) + 2 * i for i in range(len(widths) + 1)]
    placed = place(grid)
    texts = {id(p): _cell_lines(p.cell, starts[p.col + p.cell.colspan] - starts[p.col] - 2, grid, how)
             for p in placed}
    n_rows = len(grid.rows)
    heights = [1] * n_rows
    for p in placed:
        if p.cell.rowspan == 1:
            heights[p.row] = max(heights[p.row], len(texts[id(p)]))
    tops = [sum(heights[:r]) + r for r in range(n_rows + 1)]  # a blank line after each row
    for p in placed:  # a merged cell longer than its rows: the last of them grows
        span = tops[p.row + p.cell.rowspan] - 1 - tops[p.row]
        if len(texts[id(p)]) > span:
            heights[p.row + p.cell.rowspan - 1] += len(texts[id(p)]) - span
            tops = [sum(heights[:r]) + r for r in range(n_rows + 1)]
    canvas: list[list[tuple[int, str]]] = [[] for _ in range(tops[-1])]
    for p in placed:
        text = texts[id(p)]
        top, bottom = tops[p.row], tops[p.row + p.cell.rowspan] - 1
        offset = top + (bottom - top - len(text) + 1) // 2
        for k, piece in enumerate(text):
            x = starts[p.col]
            if p.cell.cell_id:  # values centred in their column
                x += max(0, (starts[p.col + p.cell.colspan] - starts[p.col] - 2 - width_of(piece, how.cjk_width)) // 2)
            canvas[offset + k].append((x, piece))
    break_line = tops[how.page_break] if how.page_break is not None and grid.table_id == "t3" else None
    out = []
    for y, pieces in enumerate(canvas):
        shift = how.shift if break_line is not None and y >= break_line else 0
        out.append(("\f" if y == break_line else "") + _compose(pieces, shift, how.cjk_width))
    return out


def _compose(pieces: list[tuple[int, str]], shift: int, cjk_width: int) -> str:
    line, at = "", 0
    for x, text in sorted(pieces):
        x += shift
        gap = max(x - at, 1 if line else x)
        line += " " * gap + text
        at = len(line) if cjk_width == 1 else width_of(line, cjk_width)
    return line.rstrip()
