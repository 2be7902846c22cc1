"""Table cells of a PDF page from positions: ruling lines and character boxes (pypdfium2).

A PDF's text layer prints a table row as its words in order: a blank cell prints nothing, so "5 3" under
seven columns cannot say which columns hold the 5 and the 3. Where the page draws its table (ruling lines:
thin filled rectangles, stroked lines or stroked rectangles, as Word and WPS export them), the grid gives
every cell a box; a character belongs to the cell its centre lies in, so a value is assigned by x-position
and a blank cell stays a blank cell. The page then reads like a web-page table: one cell line per cell (an
empty one for a blank cell), a row-end line after each table row, and the text outside the grid as lines.

Used for pages that draw a grid (``parsing.pdf_grid.page_grid``); a page without one whose text looks like a table is read
by the columns its values line up in (``parsing.pdf_columns``), and so is the text outside a grid that
covers only part of a table. A page of prose costs one pass over its drawing objects and a look at its text
(a few ms), and keeps the text layer's reading.
"""
from __future__ import annotations

import ctypes
from dataclasses import dataclass

from parsing.pdf_grid import MAX_OBJECTS, Grid, GridCell, Segment, page_grid, rulings

__all__ = ["CONTINUES", "Box", "Grid", "GridCell", "PageItem", "layout_pages", "page_grid", "rulings"]

MAX_CHARS = 20_000   # per page


@dataclass(frozen=True)
class Box:
    """A character (or a cell) in page coordinates, y upwards."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


CONTINUES = "〔上页续〕"  # PageItem.text of a row that is the rest of the previous page's last row label


@dataclass(frozen=True)
class PageItem:
    """A piece of the page in reading order: a free line of text (``cells`` empty), or a table row (``spans``:
    each cell's left and right x on the page, when the row was read from a grid; empty otherwise). A row whose
    ``text`` is ``CONTINUES`` prints only the rest of a label begun on the previous page (``parsing.pdf_tidy``
    joins it to that page's last row, or makes it a line of text)."""

    top: float
    text: str = ""
    cells: tuple[str, ...] = ()
    spans: tuple[tuple[float, float], ...] = ()


# ---------------------------------------------------------------- characters


def page_chars(page) -> list[Box] | None:  # noqa: ANN001 - pypdfium2 PdfPage
    """Every printed character with its glyph box; None when the page holds more than ``MAX_CHARS``. (The
    glyph box, not pdfium's "loose" box from the font's ascent: that one is wrong for vertical text.)"""
    import pypdfium2.raw as raw

    textpage = page.get_textpage()
    try:
        count = raw.FPDFText_CountChars(textpage.raw)
        if count > MAX_CHARS:
            return None
        out: list[Box] = []
        left, right, bottom, top = (ctypes.c_double() for _ in range(4))
        for index in range(count):
            code = raw.FPDFText_GetUnicode(textpage.raw, index)
            if code in (0, 0xFFFE, 0xFFFF) or raw.FPDFText_IsGenerated(textpage.raw, index) == 1:
                continue
            text = chr(code) if code < 0xD800 or code > 0xDFFF else "\ufffd"
            if text.isspace() or not raw.FPDFText_GetCharBox(textpage.raw, index, left, right, bottom, top):
                continue
            out.append(Box(text, left.value, bottom.value, right.value, top.value))
        return out
    finally:
        textpage.close()


def _extent(char: Box) -> tuple[float, float]:
    """A character's height on its line: its glyph box, at least as tall as it is wide (a flat glyph such
    as 一 or - still spans the line)."""
    half = max(char.y1 - char.y0, char.x1 - char.x0) / 2
    return char.cy - half, char.cy + half


def visual_lines(chars: list[Box]) -> list[list[Box]]:
    """Characters grouped into printed lines (top to bottom), each line left to right. A character joins a
    recent line whose vertical extent (grown by the characters that joined it) holds its centre."""
    lines: list[list[Box]] = []
    extents: list[tuple[float, float]] = []
    for char in sorted(chars, key=lambda c: -_extent(c)[1]):
        cy = char.cy
        for index in range(len(lines) - 1, max(-1, len(lines) - 4), -1):
            low, high = extents[index]
            if low <= cy <= high:
                lines[index].append(char)
                char_low, char_high = _extent(char)
                extents[index] = (min(low, char_low), max(high, char_high))
                break
        else:
            lines.append([char])
            extents.append(_extent(char))
    return [sorted(line, key=lambda c: c.x0) for line in lines]


def _spaced(text: str) -> bool:
    """Whether a character is one that a gap separates from its neighbour (digits, Latin letters, signs):
    Chinese text runs on without spaces, whatever the width of a punctuation mark's glyph."""
    return text.isascii() or text in "／－—–％"


def line_text(line: list[Box]) -> str:
    """A printed line's text: a space between two digits (letters, signs) further apart than half their
    height (numbers in neighbouring columns of an unruled table stay apart)."""
    parts: list[str] = []
    previous: Box | None = None
    for char in line:
        if (previous is not None and _spaced(char.text) and _spaced(previous.text)
                and char.x0 - previous.x1 > max(char.y1 - char.y0, previous.y1 - previous.y0, 3.0) / 2):
            parts.append(" ")
        parts.append(char.text)
        previous = char
    return "".join(parts)


def _cell_text(chars: list[Box]) -> str:
    """A cell's text, its lines joined (a label wrapped in its cell reads as one label)."""
    out = ""
    for line in visual_lines(chars):
        text = line_text(line)
        if out and out[-1].isascii() and out[-1].isalnum() and text[:1].isascii() and text[:1].isalnum():
            out += " "
        out += text
    return out


# ---------------------------------------------------------------- the page


def page_items(grid: Grid, chars: list[Box]) -> list[PageItem]:
    """The page in reading order: free lines and table rows (each row: its cells left to right, a blank
    cell as "")."""
    in_cell: dict[GridCell, list[Box]] = {}
    free: list[Box] = []
    for char in chars:
        cell = grid.cell_of(char.cx, char.cy)
        if cell is None:
            free.append(char)
        else:
            in_cell.setdefault(cell, []).append(char)
    rows: dict[int, list[GridCell]] = {}
    for cell in grid.cells:
        rows.setdefault(cell.top, []).append(cell)
    items = [PageItem(max(c.y1 for c in line), line_text(line)) for line in visual_lines(free)]
    for row in rows.values():
        row.sort(key=lambda c: c.x0)
        items.append(PageItem(row[0].y1, "", tuple(_cell_text(in_cell.get(c, [])) for c in row),
                              tuple((c.x0, c.x1) for c in row)))
    items.sort(key=lambda item: -item.top)
    return items


def layout_pages(data: bytes, pages: int) -> dict[int, list[PageItem]]:
    """For each page (0-based, up to ``pages``) that prints a table, its items: a ruled table's cells from
    its grid, a table without rulings from the columns its values line up in (``parsing.pdf_columns``);
    the other pages are not in the result. A page pdfium cannot read is left out too (its text layer is
    read as before)."""
    import pypdfium2 as pdfium

    out: dict[int, list[PageItem]] = {}
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return out
    carried: list = []  # the columns of the table that ended the previous page (read without rulings)
    try:
        for number in range(min(len(document), pages)):
            items, carried = _page_layout(document, number, carried)
            if items is not None:
                out[number] = items
    finally:
        document.close()
    return out


def _page_layout(document, number: int, carried: list) -> tuple[list[PageItem] | None, list]:  # noqa: ANN001
    import pypdfium2 as pdfium

    try:
        page = document[number]
    except pdfium.PdfiumError:
        return None, []
    try:
        found = rulings(page)
        grid = page_grid(*found) if found else None
        if grid is not None:
            chars = page_chars(page)
            return _beside_grid(page, grid, page_items(grid, chars), carried) if chars else (None, [])
        return _unruled(page, carried, found[0] if found else [])
    finally:
        page.close()


def _unruled(page, carried: list, rules: list[Segment]) -> tuple[list[PageItem] | None, list]:  # noqa: ANN001
    """A page without a ruled table whose text looks like a table, read by columns (``pdf_columns``);
    ``rules``: its horizontal rulings (rows ruled off one another without vertical rulings)."""
    from parsing.pdf_columns import looks_tabular, page_glyphs, unruled_items

    if not _few_objects(page):
        return None, []  # drawn text beyond a report's page (a form drawn thousands of times): text layer
    textpage = page.get_textpage()
    try:
        if not looks_tabular(textpage.get_text_range()):
            return None, []
        glyphs = page_glyphs(textpage)
    finally:
        textpage.close()
    found = unruled_items(glyphs, carried, rules=rules) if glyphs else None
    return found if found is not None else (None, [])


def _beside_grid(page, grid: Grid, items: list[PageItem], carried: list) -> tuple[list[PageItem], list]:  # noqa: ANN001
    """A grid that covers part of a table (a ruled header over rows drawn with horizontal rules only): the
    text outside its cells, when it looks like a table, read by columns too (``pdf_columns``)."""
    from parsing.pdf_columns import looks_tabular, page_glyphs, unruled_items

    if not looks_tabular("\n".join(item.text for item in items if not item.cells)):
        return items, []
    textpage = page.get_textpage()
    try:
        glyphs = page_glyphs(textpage) or []
    finally:
        textpage.close()
    outside = [g for g in glyphs if grid.cell_of(g.cx, g.cy) is None]
    columns = list(zip(grid.xs, grid.xs[1:]))
    bottom = min(cell.y0 for cell in grid.cells)
    found = unruled_items(outside, carried, (columns, bottom)) if outside else None
    if found is None:
        return items, []
    unruled, columns = found
    return sorted([item for item in items if item.cells] + unruled, key=lambda item: -item.top), columns


def _few_objects(page) -> bool:  # noqa: ANN001 - pypdfium2 PdfPage
    """Whether the page draws at most ``MAX_OBJECTS`` objects, counting those inside the forms it draws (a
    form drawn 2,000 times counts 2,000 times): pdfium's text page would otherwise lay out every one."""
    import pypdfium2.raw as raw

    budget = MAX_OBJECTS
    stack = [raw.FPDFPage_GetObject(page.raw, i) for i in range(min(raw.FPDFPage_CountObjects(page.raw), budget + 1))]
    while stack:
        budget -= 1
        if budget < 0:
            return False
        obj = stack.pop()
        if raw.FPDFPageObj_GetType(obj) == raw.FPDF_PAGEOBJ_FORM:
            count = raw.FPDFFormObj_CountObjects(obj)
            if count > budget:
                return False
            stack.extend(raw.FPDFFormObj_GetObject(obj, i) for i in range(count))
    return True
