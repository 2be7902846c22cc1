"""The cell grid of a PDF page's ruled tables, from its drawn lines (pypdfium2).

Ruling lines are thin filled rectangles, stroked lines or stroked rectangles, as Word, WPS and LibreOffice
export a table's borders. Lines that run closer than ``SNAP`` points are one grid line; the elementary boxes
between the grid lines are joined where no ruling separates them, and a joined region closed on all four
sides is a cell (a merged cell included). A horizontal line that meets vertical rulings at fewer than two
places is an underline under a word, not a border. Used by ``parsing.pdf_layout``.
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
MAX_OBJECTS = 20_000  # drawing objects per page looked at
MIN_COLUMNS = 2
MIN_ROWS = 2

Segment = tuple[float, float, float]  # (position, from, to): y, x0, x1 of a horizontal ruling; x, y0, y1 of a vertical


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
