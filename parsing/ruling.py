"""Table grids of a page image from its ruling lines.

Horizontal and vertical lines are runs of dark pixels longer than any printed character; a line counts only
when it meets at least two lines of the other direction (a dash "——" in a cell meets none). Lines that meet
form one table. Between consecutive line positions lie elementary cells; where the border between two of them
is not printed they are one merged cell. Each cell is returned once, at its top-left elementary position — the
same reading order as the Word reader's (row by row, left to right, a vertically merged cell in its first row).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DARK = 160  # gray level below which a pixel is ink (on white paper)
PAPER_MARGIN = 45  # a ruling pixel is at least this much darker than the paper
MERGE_GAP_INCH = 0.02  # line positions closer than this are one line


@dataclass(frozen=True)
class Segment:
    """A ruling line: ``pos`` is its y (horizontal) or x (vertical); it runs from ``start`` to ``end``."""

    pos: int
    start: int
    end: int
    thickness: int


@dataclass(frozen=True)
class GridCell:
    """A (possibly merged) cell: grid row and column of its top-left, and its pixel box (inside the borders)."""

    row: int
    col: int
    top: int
    left: int
    bottom: int
    right: int


@dataclass(frozen=True)
class TableGrid:
    box: tuple[int, int, int, int]  # top, left, bottom, right
    rows: int
    cells: tuple[GridCell, ...]


def find_segments(dark: np.ndarray, min_length: int, axis: int) -> list[Segment]:
    """Ruling lines along ``axis`` (1: horizontal, 0: vertical) at least ``min_length`` pixels long."""
    image = dark if axis == 1 else dark.T
    runs = _long_runs(image, min_length)
    segments: list[Segment] = []
    rows = np.flatnonzero(runs.any(axis=1))
    for group in np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1) if rows.size else []:
        covered = runs[group].any(axis=0)
        for start, end in _intervals(covered, gap=max(2, min_length // 20)):
            segments.append(Segment(int(group.mean().round()), start, end, int(group.size)))
    return segments


def _long_runs(image: np.ndarray, length: int) -> np.ndarray:
    """The pixels that belong to a horizontal run of ink at least ``length`` long."""
    height, width = image.shape
    if width < length:
        return np.zeros_like(image, dtype=bool)
    sums = np.zeros((height, width + 1), dtype=np.int32)
    np.cumsum(image, axis=1, out=sums[:, 1:])
    full = (sums[:, length:] - sums[:, :-length]) == length  # a full window starts at column j
    starts = np.zeros((height, width + 1), dtype=np.int32)
    starts[:, :width - length + 1] += full
    starts[:, length:] -= full
    return np.cumsum(starts, axis=1)[:, :width] > 0


def _intervals(mask: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """Runs of True in ``mask`` as (start, end) pairs, runs closer than ``gap`` joined."""
    index = np.flatnonzero(mask)
    if index.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(index) > gap)
    starts = np.concatenate(([index[0]], index[breaks + 1]))
    ends = np.concatenate((index[breaks], [index[-1]]))
    return list(zip(starts.tolist(), ends.tolist()))


def find_tables(gray: np.ndarray, dpi: int) -> tuple[list[TableGrid], np.ndarray]:
    """The tables of a page and a mask of its ruling-line pixels (to erase before OCR)."""
    dark = gray < ruling_level(gray)
    min_length = max(20, int(dpi * 0.3))
    horizontal = find_segments(dark, min_length, 1)
    vertical = find_segments(dark, min_length, 0)
    slack = max(3, int(dpi * 0.02))
    horizontal, vertical = _meeting(horizontal, vertical, slack)
    mask = np.zeros_like(dark)
    for s in horizontal:
        mask[max(0, s.pos - s.thickness):s.pos + s.thickness + 1, s.start:s.end + 1] = True
    for s in vertical:
        mask[s.start:s.end + 1, max(0, s.pos - s.thickness):s.pos + s.thickness + 1] = True
    tables = [_grid(h, v, slack, max(2, int(dpi * MERGE_GAP_INCH))) for h, v in _groups(horizontal, vertical, slack)]
    return [t for t in tables if t is not None], mask & dark


def ruling_level(gray: np.ndarray) -> int:
    """The gray level below which a pixel may belong to a ruling line: well below the paper (the page's
    median: most of a page is paper), so that a thin line a scanner blurred to light gray is still found,
    and a speck of noise is not (a ruling must also be a long unbroken run, and meet other rulings)."""
    paper = int(np.median(gray))
    return max(DARK - 60, min(paper - PAPER_MARGIN, DARK + 55))


def _meets(h: Segment, v: Segment, slack: int) -> bool:
    return h.start - slack <= v.pos <= h.end + slack and v.start - slack <= h.pos <= v.end + slack


def _meeting(horizontal: list[Segment], vertical: list[Segment], slack: int) -> tuple[list[Segment], list[Segment]]:
    """Only lines meeting at least two lines of the other direction, repeated until stable."""
    while True:
        h_kept = [h for h in horizontal if sum(_meets(h, v, slack) for v in vertical) >= 2]
        v_kept = [v for v in vertical if sum(_meets(h, v, slack) for h in h_kept) >= 2]
        if len(h_kept) == len(horizontal) and len(v_kept) == len(vertical):
            return h_kept, v_kept
        horizontal, vertical = h_kept, v_kept


def _groups(horizontal: list[Segment], vertical: list[Segment], slack: int):  # noqa: ANN202
    """Connected groups of meeting lines (one per table)."""
    parent = list(range(len(horizontal) + len(vertical)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(horizontal):
        for j, v in enumerate(vertical):
            if _meets(h, v, slack):
                parent[root(i)] = root(len(horizontal) + j)
    groups: dict[int, tuple[list[Segment], list[Segment]]] = {}
    for i, h in enumerate(horizontal):
        groups.setdefault(root(i), ([], []))[0].append(h)
    for j, v in enumerate(vertical):
        groups.setdefault(root(len(horizontal) + j), ([], []))[1].append(v)
    return sorted(groups.values(), key=lambda g: min(s.pos for s in g[0]))


def _positions(segments: list[Segment], gap: int) -> list[int]:
    values = sorted(s.pos for s in segments)
    merged: list[list[int]] = []
    for value in values:
        if merged and value - merged[-1][-1] <= gap:
            merged[-1].append(value)
        else:
            merged.append([value])
    return [round(sum(m) / len(m)) for m in merged]


def _grid(horizontal: list[Segment], vertical: list[Segment], slack: int, gap: int) -> TableGrid | None:
    ys, xs = _positions(horizontal, gap), _positions(vertical, gap)
    if len(ys) < 2 or len(xs) < 2:
        return None
    rows, cols = len(ys) - 1, len(xs) - 1
    parent = list(range(rows * cols))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(rows):
        middle_y = (ys[r] + ys[r + 1]) // 2
        for c in range(cols):
            middle_x = (xs[c] + xs[c + 1]) // 2
            if c + 1 < cols and not _covered(vertical, xs[c + 1], middle_y, gap, slack):
                parent[root(r * cols + c)] = root(r * cols + c + 1)
            if r + 1 < rows and not _covered(horizontal, ys[r + 1], middle_x, gap, slack):
                parent[root(r * cols + c)] = root((r + 1) * cols + c)
    boxes: dict[int, list[int]] = {}
    for r in range(rows):
        for c in range(cols):
            box = boxes.setdefault(root(r * cols + c), [r, c, r, c])
            box[2], box[3] = max(box[2], r), max(box[3], c)
    cells = [GridCell(r0, c0, ys[r0], xs[c0], ys[r1 + 1], xs[c1 + 1]) for r0, c0, r1, c1 in boxes.values()]
    cells.sort(key=lambda cell: (cell.row, cell.col))
    return TableGrid((ys[0], xs[0], ys[-1], xs[-1]), rows, tuple(cells))


def _covered(segments: list[Segment], pos: int, at: int, gap: int, slack: int) -> bool:
    """Whether a line at ``pos`` (± ``gap``) runs across the point ``at`` along it."""
    return any(abs(s.pos - pos) <= gap and s.start - slack <= at <= s.end + slack for s in segments)
