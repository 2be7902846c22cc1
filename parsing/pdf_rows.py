"""The tables of a PDF page without rulings, and each row's label (``parsing.pdf_columns`` gives the cells).

A table is a run of value lines (``anchors``: a line with values set apart from any label) and the label
lines between them; a line with text over the value columns (a header, a heading, prose), a line in
another font size or a gap of ``ROW_GAP`` ems ends it. A row's label may wrap over lines above and below
its values: label segments on neighbouring lines that overlap in x and are closer than the table's row
pitch are one block, and a block goes with the value line that lies within its height. A block beside
several value lines is cut at item numbers (1. （一） 一、), or is a group label (三、本年度办理结果) when
every one of those rows has its own label; otherwise the rows cannot be told apart. A block beside no
values, aligned with the row labels and a full row pitch from every other label, is a row of blank cells.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsing.pdf_glyphs import VALUE, Line, Segment, text_of, values_of
from parsing.pdf_layout import PageItem

EDGE_SNAP = 0.15    # ems: label lines starting this close together start at one column edge
EDGE_LINES = 3      # a label column's left edge: where at least this many label lines start
FULL = 2.5          # ems: a wrapped label line ends at most this far before its column's edge (padding,
                    # and a character or two a line break moved on)
WRAP_LEADING = 1.8  # ems: at most this between the baselines of two lines of one label (a line's leading)
LABEL_LINK = 0.6    # ems: in a table of one row, label lines this close (vertically) are one label block
ROW_GAP = 10.0      # ems: value lines further apart than this are two tables
SAME_SIZE = 0.2     # relative: label lines of one table print in one font size (±20 %)
TOUCH = 0.5         # ems: a label may run this far past the left of the value columns (a cell without padding
                    # fills its line up to the next cell's left edge, where a left-aligned value starts)

_MARKER = re.compile(r"^(?:\d{1,2}[.、．]|[（(][一二三四五六七八九十\d]{1,3}[）)]|[一二三四五六七八九十]{1,3}、)")

Band = tuple[float, float]


@dataclass
class Table:
    """One table found on the page: its value lines (row anchors) and label lines (indexes of lines)."""

    anchors: list[int] = field(default_factory=list)
    label_lines: list[int] = field(default_factory=list)


def same_size(line: Line, size: float | None) -> bool:
    """Whether a line prints in the table's font size (as far as their Chinese characters tell)."""
    return line.size is None or size is None or abs(line.size - size) <= SAME_SIZE * size


def table_size(lines: list[Line], indexes: list[int]) -> float | None:
    """The font size of a table: that of the first of its lines that prints Chinese characters."""
    return next((lines[i].size for i in indexes if lines[i].size is not None), None)


def _is_anchor(line: Line) -> bool:
    """A line with values set apart from any text before them (and no text after them), or, without a
    label, at least three values (a table's only row of numbers, as in table 4)."""
    values = line.values
    if not values:
        return False
    if line.labels:
        return True
    return len(values) >= 3 and sum(any(g.text.isdigit() for g in v) for v in values) >= 2


def find_tables(lines: list[Line]) -> list[Table]:
    """Runs of anchor lines, each run one table: a line with text reaching into the value columns (a
    header, a heading, prose) or a gap of ``ROW_GAP`` ems ends a table."""
    tables: list[Table] = []
    current: Table | None = None
    value_left = 0.0
    for index, line in enumerate(lines):
        values_only = bool(line.values) and not line.labels
        if _is_anchor(line) or (current is not None and values_only
                                and min(v[0].x0 for v in line.values) >= value_left - 0.5 * line.em):
            gap = current is not None and lines[current.anchors[-1]].bottom - line.top > ROW_GAP * line.em
            if current is None or gap:
                current = Table()
                tables.append(current)
                value_left = min(v[0].x0 for v in line.values)
            else:
                value_left = min(value_left, min(v[0].x0 for v in line.values))
            current.anchors.append(index)
        elif current is not None:
            em = lines[current.anchors[-1]].em
            if (line.top < lines[current.anchors[-1]].bottom - ROW_GAP * em
                    or not same_size(line, table_size(lines, current.anchors))
                    or any(s.x1 > value_left + TOUCH * em for s in line.segments)):
                current = None
            else:
                current.label_lines.append(index)
    return tables


def recut_labels(lines: list[Line], table: Table, above: list[int]) -> None:
    """Label text that a cell without padding glued to its neighbour, cut apart by position (in place): a
    label segment running over the left edge of another label column (a group label's line glued to the row
    label beside it: 年度办（二）部分公开…, （四）无2.没有现成信息需) is cut at that edge — an x where several label
    lines of the table start — when an item number opens the label there (a label spanning both columns, as
    （二）部分公开（区分处理… does, runs over the edge mid-word and stays whole); and on a value line, a number at a label's end that starts inside the value columns (认或重新出具已获0)
    is a value, not part of the label."""
    indexes = sorted({*table.anchors, *table.label_lines, *above})
    value_left = min(v[0].x0 for i in table.anchors for v in lines[i].values)
    edges = _label_edges([s for i in indexes for s in lines[i].segments if s.values is None and s.x0 < value_left])
    anchors = set(table.anchors)
    for index in indexes:
        line = lines[index]
        out: list[Segment] = []
        for segment in line.segments:
            pieces = _cut_at_edges(segment, edges, line.em) if segment.values is None else [segment]
            if index in anchors:
                pieces = [*pieces[:-1], *_glued_value(pieces[-1], value_left, line.em)]
            out.extend(pieces)
        line.segments = out


def _label_edges(segments: list[Segment]) -> list[float]:
    """The x where at least ``EDGE_LINES`` label segments start (within ``EDGE_SNAP`` ems): left-aligned
    label columns."""
    starts = sorted(s.x0 for s in segments)
    edges: list[float] = []
    run: list[float] = []
    for x in starts:
        if run and x - run[0] > EDGE_SNAP * segments[0].glyphs[0].em:
            if len(run) >= EDGE_LINES:
                edges.append(run[0])
            run = []
        run.append(x)
    if len(run) >= EDGE_LINES:
        edges.append(run[0])
    return edges


def _cut_at_edges(segment: Segment, edges: list[float], em: float) -> list[Segment]:
    pieces: list[Segment] = []
    start = 0
    for k in range(1, len(segment.glyphs)):
        x = segment.glyphs[k].x0
        if (x - segment.glyphs[start].x0 >= em and any(abs(x - e) <= EDGE_SNAP * em for e in edges)
                and _MARKER.match(text_of(segment.glyphs[k:k + 6]))):
            pieces.append(Segment(segment.glyphs[start:k], None))
            start = k
    return [*pieces, Segment(segment.glyphs[start:], None)] if pieces else [segment]


def _glued_value(segment: Segment, value_left: float, em: float) -> list[Segment]:
    """A label segment whose trailing number starts inside the value columns, cut into label and value."""
    glyphs = segment.glyphs
    if segment.values is not None or not glyphs[-1].text.isdigit():
        return [segment]
    k = len(glyphs)
    while k > 1 and (glyphs[k - 1].text.isdigit() or glyphs[k - 1].text in ",."):
        k -= 1
    tail = glyphs[k:]
    if (glyphs[k - 1].text.isascii() or not VALUE.fullmatch("".join(g.text for g in tail))
            or tail[0].x0 < value_left - TOUCH * em):
        return [segment]
    return [Segment(glyphs[:k], None), Segment(tail, values_of(tail, em))]


@dataclass
class Block:
    """Label segments close together (a label wrapped over lines), with the anchors beside it."""

    parts: list[tuple[int, Segment]]
    anchors: list[int] = field(default_factory=list)

    @property
    def x0(self) -> float:
        return min(s.x0 for _, s in self.parts)

    @property
    def x1(self) -> float:
        return max(s.x1 for _, s in self.parts)

    def text(self) -> str:
        out = ""
        for _, segment in sorted(self.parts, key=lambda p: (-p[1].glyphs[0].base, p[1].x0)):
            piece = text_of(segment.glyphs)
            if out and out[-1].isascii() and out[-1].isalnum() and piece[:1].isascii() and piece[:1].isalnum():
                out += " "
            out += piece
        return out


def extent(segment: Segment) -> tuple[float, float]:
    return min(g.y0 for g in segment.glyphs), max(g.y1 for g in segment.glyphs)


def label_blocks(lines: list[Line], table: Table, above: list[int]) -> list[Block]:
    """The table's label segments (on its anchor and label lines, and the label side of the lines just above
    it) joined into blocks: segments on neighbouring lines that overlap in x and are at most ``LABEL_LINK``
    ems apart (closer than the row pitch), unless the lower one opens with an item number (a label or a
    heading of its own); in a table whose labels carry item numbers, also a line without one a line's
    leading under the line before it (rows printed as close as a label's lines, in cells without
    padding); each block with the anchors whose line lies within its height."""
    value_left = min(v[0].x0 for i in table.anchors for v in lines[i].values)
    parts: list[tuple[int, Segment]] = []
    for index in sorted({*table.anchors, *table.label_lines, *above}):
        em = lines[index].em
        parts.extend((index, s) for s in lines[index].segments
                     if s.values is None and s.x1 <= value_left + TOUCH * em and s.x0 < value_left)
    parent = list(range(len(parts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    pitch = row_pitch(lines, table)
    marked = _marked(parts)
    edges = sorted({*_label_edges([s for _, s in parts]), value_left})
    for a, (line_a, seg_a) in enumerate(parts):  # parts run top to bottom (lines by falling baseline)
        em = lines[line_a].em
        if not _full(seg_a, edges, em):
            continue  # a line that stops short of its column's edge was not wrapped: the next is another label
        reach = max(pitch if pitch is not None else 3 * em, WRAP_LEADING * em)
        for b in range(a + 1, len(parts)):
            line_b, seg_b = parts[b]
            step = seg_a.glyphs[0].base - seg_b.glyphs[0].base
            if step > reach:
                break
            if line_b != line_a and seg_a.x0 < seg_b.x1 and seg_b.x0 < seg_a.x1 and not _opens(seg_b) and (
                    _linked(seg_a, seg_b, pitch, em) or (marked and step <= WRAP_LEADING * em)):
                parent[find(b)] = find(a)
    groups: dict[int, list[tuple[int, Segment]]] = {}
    for i, part in enumerate(parts):
        groups.setdefault(find(i), []).append(part)
    blocks = [Block(group) for group in groups.values()]
    for block in blocks:
        low = min(extent(s)[0] for _, s in block.parts)
        high = max(extent(s)[1] for _, s in block.parts)
        on_line = {i for i, _ in block.parts}
        block.anchors = [i for i in table.anchors if i in on_line or low <= lines[i].cy <= high]
    return blocks


def _full(segment: Segment, edges: list[float], em: float) -> bool:
    """Whether a label line reaches (within ``FULL`` ems) the next column edge right of it — the value columns,
    or another label column: text wraps only there. 行政处罚 over a wide empty cell did not wrap; the line under
    it is a row of its own (行政强制), however close."""
    limit = next((e for e in edges if e > segment.x0 + em), edges[-1])
    return segment.x1 >= limit - FULL * em


def _opens(segment: Segment) -> bool:
    """Whether a label line opens with an item number (1. （一） 一、)."""
    return bool(_MARKER.match(text_of(segment.glyphs[:6])))


def _marked(parts: list[tuple[int, Segment]]) -> bool:
    """Whether the table's row labels carry item numbers (at least three, and a third of its label lines
    open with one): then a label line without one is the line before it wrapped, however close the rows."""
    opened = sum(_opens(s) for _, s in parts)
    return opened >= 3 and 3 * opened >= len(parts)


def row_pitch(lines: list[Line], table: Table) -> float | None:
    """The least distance between the baselines of two neighbouring value lines: a row's height at least
    (two lines of one label are closer than that)."""
    bases = [lines[i].glyphs[0].base for i in table.anchors]
    return min((a - b for a, b in zip(bases, bases[1:])), default=None)


def _linked(a: Segment, b: Segment, pitch: float | None, em: float) -> bool:
    """Whether two label segments on different lines are lines of one label: their baselines closer than
    the table's row pitch (less a quarter em), or — a table of one row — their boxes ``LABEL_LINK`` ems apart."""
    if pitch is not None:
        return abs(a.glyphs[0].base - b.glyphs[0].base) < pitch - 0.25 * em
    (low_a, high_a), (low_b, high_b) = extent(a), extent(b)
    return max(low_a - high_b, low_b - high_a) <= LABEL_LINK * em


def split_by_markers(block: Block, lines: list[Line]) -> list[Block] | None:
    """A block beside several anchors (labels of neighbouring rows printed without a gap): cut where a
    line opens with an item number (1. （一） 一、); each value line goes with the nearest piece (a label wrapped
    in a cell whose values are centred may end just above them); kept only when each piece gets one — but a
    first piece without an item number may get none (the rest of a label from the page before): it is
    returned without anchors."""
    pieces: list[list[tuple[int, Segment]]] = []
    for part in sorted(block.parts, key=lambda p: (-p[1].glyphs[0].base, p[1].x0)):
        if not pieces or _MARKER.match(text_of(part[1].glyphs)):
            pieces.append([part])
        else:
            pieces[-1].append(part)
    pieces = _row_label_pieces(pieces)
    owner: dict[int, list[int]] = {n: [] for n in range(len(pieces))}
    for anchor in block.anchors:
        owner[min(range(len(pieces)), key=lambda n: _distance(pieces[n], lines, anchor))].append(anchor)
    rest = not owner[0] and not _MARKER.match(text_of(pieces[0][0][1].glyphs))
    if any(len(anchors) != 1 for n, anchors in owner.items() if not (n == 0 and rest)):
        return None
    return [Block(piece, owner[n]) for n, piece in enumerate(pieces)]


def _row_label_pieces(pieces: list[list[tuple[int, Segment]]]) -> list[list[tuple[int, Segment]]]:
    """The pieces that start at the row labels' left edge (where most pieces start): a piece starting left of it
    is a group label's line glued over into the row-label column (（五）不版物), which labels no row of its own."""
    starts = [piece[0][1].x0 for piece in pieces]
    em = pieces[0][0][1].glyphs[0].em
    edge = max(starts, key=lambda x: sum(abs(x - other) <= 0.3 * em for other in starts))
    kept = [piece for piece, x in zip(pieces, starts) if abs(x - edge) <= 0.3 * em]
    return kept if len(kept) >= 2 else pieces


def _distance(piece: list[tuple[int, Segment]], lines: list[Line], anchor: int) -> float:
    """How far a value line lies from a label's lines (0 when it is one of them or lies within their height)."""
    if any(i == anchor for i, _ in piece):
        return 0.0
    low = min(extent(s)[0] for _, s in piece)
    high = max(extent(s)[1] for _, s in piece)
    return max(low - lines[anchor].cy, lines[anchor].cy - high, 0.0)


def label_lines_above(lines: list[Line], table: Table, previous_end: int, most: int = 6) -> list[int]:
    """The lines just above the table's first value line with text on the label side only (the first row's
    label, or rows printed blank), up to its header (a line with text over the value columns)."""
    first = lines[table.anchors[0]]
    value_left = min(v[0].x0 for v in first.values)
    out: list[int] = []
    for index in range(table.anchors[0] - 1, max(previous_end, table.anchors[0] - 1 - most), -1):
        line = lines[index]
        if not same_size(line, table_size(lines, table.anchors)) or any(s.x1 > value_left + TOUCH * first.em
                                                                 for s in line.segments):
            break
        out.append(index)
    return out


def is_blank_row(block: Block, blocks: list[Block], lines: list[Line], table: Table) -> bool:
    """A label block beside no values that is a row of blank cells: left-aligned with two row labels that
    have values, within the table's rows, and a full row pitch away from every other label around it (a
    wrapped label's line, a group label or a note is none of these)."""
    if block.anchors or len({i for i, _ in block.parts}) != len(block.parts):
        return False
    em = block.parts[0][1].glyphs[0].em
    labelled = [b for b in blocks if len(b.anchors) == 1]
    if sum(abs(b.x0 - block.x0) <= 0.3 * em for b in labelled) < min(2, len(labelled)) or not labelled:
        return False
    pitch = row_pitch(lines, table) or _header_pitch(lines, table)
    if pitch is None:
        return False
    bases = [s.glyphs[0].base for _, s in block.parts]
    top, bottom = max(bases), min(bases)
    anchors = [lines[i].glyphs[0].base for i in table.anchors]
    if not (min(anchors) - pitch * 1.5 < bottom and top < max(anchors) + pitch * 1.5):
        return False
    for other in blocks:
        if other is block or not (other.x0 < block.x1 and block.x0 < other.x1):
            continue
        for _, segment in other.parts:
            base = segment.glyphs[0].base
            if bottom - pitch + 0.25 * em < base < top + pitch - 0.25 * em:
                return False
    return True


def _header_pitch(lines: list[Line], table: Table) -> float | None:
    """A table of one value line: the distance from the header line above it to the next line (a row)."""
    first = table.anchors[0]
    value_left = min(v[0].x0 for v in lines[first].values)
    for index in range(first - 1, -1, -1):
        if any(s.x1 > value_left for s in lines[index].segments):
            return lines[index].glyphs[0].base - lines[index + 1].glyphs[0].base
    return None


def blank_row(block: Block, bands: list[Band]) -> PageItem:
    top = max(g.y1 for _, s in block.parts for g in s.glyphs)
    return PageItem(top, "", (block.text(), *([""] * len(bands))))
