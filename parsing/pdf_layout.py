"""Table cells of a PDF page from positions: ruling lines and character boxes (pypdfium2).

A PDF's text layer prints a table row as its words in order: a blank cell prints nothing, so "5 3" under
seven columns cannot say which columns hold the 5 and the 3. Where the page draws its table (ruling lines:
thin filled rectangles, stroked lines or stroked rectangles, as Word and WPS export them), the grid gives
every cell a box; a character belongs to the cell its centre lies in, so a value is assigned by x-position
and a blank cell stays a blank cell. The page then reads like a web-page table: one cell line per cell (an
empty one for a blank cell), a row-end line after each table row, and the text outside the grid as lines.

Used for pages that draw a grid (``page_grid``); a page without one whose text looks like a table is read
by the columns its values line up in (``parsing.pdf_columns``), and so is the text outside a grid that
covers only part of a table. A page of prose costs one pass over its drawing objects and a look at its text
(a few ms), and keeps the text layer's reading.
"""
from __future__ import annotations

import bisect
import ctypes
from collections.abc import Iterator
from dataclasses import dataclass

SNAP = 2.0          # points: rulings this close are one line
THIN = 3.0          # points: a filled rectangle this thin (or thinner) is a ruling
MEET = SNAP         # points: a horizontal ruling ending this close to a vertical one meets it
MAX_SEGMENTS = 4000  # per page: more drawing than a report's table has (a chart, a scan's vector trace)
MAX_CHARS = 20_000   # per page
MAX_OBJECTS = 20_000  # drawing objects per page looked at
MIN_COLUMNS = 2
MIN_ROWS = 2

Segment = tuple[float, float, float]  # (position, from, to): y, x0, x1 of a horizontal ruling; x, y0, y1 of a vertical


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


@dataclass(frozen=True)
class GridCell:
    """One cell of a ruled table: its box and its place (top grid line, left grid line)."""

    x0: float
    y0: float
    x1: float
    y1: float
    top: int
    left: int


@dataclass(frozen=True)
class Grid:
    """The cells, and the grid lines with each elementary box's cell (for a look-up by position)."""

    cells: tuple[GridCell, ...]
    xs: tuple[float, ...]            # left to right
    ys: tuple[float, ...]            # bottom to top
    boxes: dict[tuple[int, int], GridCell]  # (column, row from the bottom) → its cell

    def cell_of(self, x: float, y: float) -> GridCell | None:
        i = bisect.bisect_right(self.xs, x) - 1
        j = bisect.bisect_right(self.ys, y) - 1
        return self.boxes.get((i, j))


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


# ---------------------------------------------------------------- rulings


def rulings(page) -> tuple[list[Segment], list[Segment]] | None:  # noqa: ANN001 - pypdfium2 PdfPage
    """The page's horizontal and vertical rulings; None when it draws too much to be a report's table."""
    import pypdfium2.raw as raw

    horizontal: list[Segment] = []
    vertical: list[Segment] = []
    count = raw.FPDFPage_CountObjects(page.raw)
    if count > MAX_OBJECTS:
        return None
    for index in range(count):
        obj = raw.FPDFPage_GetObject(page.raw, index)
        if raw.FPDFPageObj_GetType(obj) != raw.FPDF_PAGEOBJ_PATH:
            continue
        _path_rulings(obj, horizontal, vertical)
        if len(horizontal) + len(vertical) > MAX_SEGMENTS:
            return None
    return horizontal, vertical


def _bounds(obj) -> tuple[float, float, float, float]:  # noqa: ANN001
    import pypdfium2.raw as raw

    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    raw.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
    return left.value, bottom.value, right.value, top.value


def _path_rulings(obj, horizontal: list[Segment], vertical: list[Segment]) -> None:  # noqa: ANN001
    """A thin path (a filled hairline rectangle or a stroked line) is one ruling; a stroked path that is not
    thin gives each of its straight axis-parallel segments (a cell drawn as a rectangle)."""
    import pypdfium2.raw as raw

    x0, y0, x1, y1 = _bounds(obj)
    if x1 - x0 <= THIN and y1 - y0 > THIN:
        vertical.append(((x0 + x1) / 2, y0, y1))
        return
    if y1 - y0 <= THIN and x1 - x0 > THIN:
        horizontal.append(((y0 + y1) / 2, x0, x1))
        return
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    if not raw.FPDFPath_GetDrawMode(obj, fill, stroke) or not stroke.value:
        return  # a filled area (cell shading, a background): not a line
    for (ax, ay), (bx, by) in _path_lines(obj):
        if abs(ax - bx) <= SNAP and abs(ay - by) > THIN:
            vertical.append(((ax + bx) / 2, min(ay, by), max(ay, by)))
        elif abs(ay - by) <= SNAP and abs(ax - bx) > THIN:
            horizontal.append(((ay + by) / 2, min(ax, bx), max(ax, bx)))


def _path_lines(obj) -> Iterator[tuple[tuple[float, float], tuple[float, float]]]:  # noqa: ANN001
    """The straight segments of a path, in page coordinates (the object's matrix applied)."""
    import pypdfium2.raw as raw

    matrix = raw.FS_MATRIX()
    if not raw.FPDFPageObj_GetMatrix(obj, matrix):
        return
    a, b, c, d, e, f = matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f
    n = min(raw.FPDFPath_CountSegments(obj), MAX_SEGMENTS)
    start = previous = None
    x, y = ctypes.c_float(), ctypes.c_float()
    for i in range(n):
        segment = raw.FPDFPath_GetPathSegment(obj, i)
        if not raw.FPDFPathSegment_GetPoint(segment, x, y):
            continue
        point = (a * x.value + c * y.value + e, b * x.value + d * y.value + f)
        kind = raw.FPDFPathSegment_GetType(segment)
        if kind == raw.FPDF_SEGMENT_LINETO and previous is not None:
            yield previous, point
        if kind == raw.FPDF_SEGMENT_MOVETO:
            start = point
        previous = point
        if raw.FPDFPathSegment_GetClose(segment) and start is not None and previous != start:
            yield previous, start
            previous = start


# ---------------------------------------------------------------- grid


def _snap(values: list[float]) -> list[float]:
    """Positions within ``SNAP`` of each other as one (their first, in sorted order)."""
    out: list[float] = []
    for value in sorted(values):
        if not out or value - out[-1] > SNAP:
            out.append(value)
    return out


def _nearest(lines: list[float], value: float) -> int:
    return min(range(len(lines)), key=lambda i: abs(lines[i] - value))


def _coverage(segments: list[Segment], lines: list[float]) -> list[list[tuple[float, float]]]:
    """For each grid line, the stretches its rulings cover."""
    covered: list[list[tuple[float, float]]] = [[] for _ in lines]
    for position, low, high in segments:
        covered[_nearest(lines, position)].append((low - SNAP, high + SNAP))
    return covered


def _covers(stretches: list[tuple[float, float]], value: float) -> bool:
    return any(low <= value <= high for low, high in stretches)


def _open_edges(horizontal: list[Segment], vertical: list[Segment]) -> list[Segment]:
    """Where several vertical rulings end together and no horizontal ruling is drawn, the table's edge: a
    table continued on the next page (or from the previous one) is drawn without its bottom (top) border."""
    ends: dict[float, list[float]] = {}
    for x, low, high in vertical:
        for end in (low, high):
            key = next((k for k in ends if abs(k - end) <= SNAP), end)
            ends.setdefault(key, []).append(x)
    drawn = [h[0] for h in horizontal]
    return [(y, min(xs), max(xs)) for y, xs in ends.items()
            if len(xs) >= 2 and not any(abs(y - d) <= SNAP for d in drawn)]


def _meeting_rulings(horizontal: list[Segment], vertical: list[Segment]) -> list[Segment]:
    """The horizontal rulings that meet (touch or cross) vertical rulings at two places at least: a cell's border runs
    from one column's ruling to another's. A line under a word (text printed underlined, as web pages pasted
    from Word are) lies inside one cell and meets one ruling at most; kept, it would cut a merged cell (a
    group label over several rows) into pieces that land among the row labels."""
    if not vertical:
        return horizontal
    ordered = sorted(vertical)
    xs = [v[0] for v in ordered]
    out = []
    for segment in horizontal:
        y, x0, x1 = segment
        start = bisect.bisect_left(xs, x0 - MEET)
        first = None  # the x of the first vertical ruling met (two cells' borders drawn at one x are one)
        for x, low, high in ordered[start:bisect.bisect_right(xs, x1 + MEET)]:
            if low - MEET <= y <= high + MEET:
                if first is not None and x - first > SNAP:
                    out.append(segment)
                    break
                first = x if first is None else first
    return out


def page_grid(horizontal: list[Segment], vertical: list[Segment]) -> Grid | None:
    """The cells of the ruled tables on a page: the elementary boxes between the grid lines, joined where no
    ruling separates them, kept when the joined region is a rectangle closed on all four sides. None when
    the page has no table of at least ``MIN_ROWS`` × ``MIN_COLUMNS`` cells."""
    horizontal = _meeting_rulings(horizontal, vertical)
    horizontal = horizontal + _open_edges(horizontal, vertical)
    xs = _snap([v[0] for v in vertical])
    ys = sorted(_snap([h[0] for h in horizontal]), reverse=True)  # top to bottom
    if len(xs) <= MIN_COLUMNS or len(ys) <= MIN_ROWS:
        return None
    v_cover, h_cover = _coverage(vertical, xs), _coverage(horizontal, ys)
    parent = list(range((len(xs) - 1) * (len(ys) - 1)))
    width = len(xs) - 1

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for j in range(len(ys) - 1):
        y_mid = (ys[j] + ys[j + 1]) / 2
        for i in range(width):
            x_mid = (xs[i] + xs[i + 1]) / 2
            if i + 1 < width and not _covers(v_cover[i + 1], y_mid):
                parent[find(j * width + i + 1)] = find(j * width + i)
            if j + 2 < len(ys) and not _covers(h_cover[j + 1], x_mid):
                parent[find((j + 1) * width + i)] = find(j * width + i)
    regions: dict[int, list[tuple[int, int]]] = {}
    for j in range(len(ys) - 1):
        for i in range(width):
            regions.setdefault(find(j * width + i), []).append((i, j))
    cells: list[GridCell] = []
    boxes: dict[tuple[int, int], GridCell] = {}
    bottom = len(ys) - 2  # the row index j counted from the top → from the bottom
    for region in regions.values():
        cell = _closed_cell(region, xs, ys, v_cover, h_cover)
        if cell is not None:
            cells.append(cell)
            boxes.update(((i, bottom - j), cell) for i, j in region)
    if len({c.left for c in cells}) < MIN_COLUMNS or len({c.top for c in cells}) < MIN_ROWS:
        return None
    return Grid(tuple(cells), tuple(xs), tuple(reversed(ys)), boxes)


def _closed_cell(region: list[tuple[int, int]], xs: list[float], ys: list[float],
                 v_cover: list, h_cover: list) -> GridCell | None:  # noqa: ANN001
    """The region as a cell when it is a full rectangle of elementary boxes ruled on every side."""
    i0, i1 = min(i for i, _ in region), max(i for i, _ in region)
    j0, j1 = min(j for _, j in region), max(j for _, j in region)
    if (i1 - i0 + 1) * (j1 - j0 + 1) != len(region):
        return None
    for j in range(j0, j1 + 1):
        y_mid = (ys[j] + ys[j + 1]) / 2
        if not (_covers(v_cover[i0], y_mid) and _covers(v_cover[i1 + 1], y_mid)):
            return None
    for i in range(i0, i1 + 1):
        x_mid = (xs[i] + xs[i + 1]) / 2
        if not (_covers(h_cover[j0], x_mid) and _covers(h_cover[j1 + 1], x_mid)):
            return None
    return GridCell(xs[i0], ys[j1 + 1], xs[i1 + 1], ys[j0], j0, i0)


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
