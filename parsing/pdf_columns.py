"""Table cells of a PDF page that draws no grid: columns from the x-positions of the printed values.

A table without ruling lines (no borders, or only horizontal rules) still prints every value inside its
column: the values of one column line up (right-, centre- or left-aligned), so the x-extents of the values
of one column overlap one another and never those of the next. The columns of a table are the clusters of
overlapping value extents across its rows, plus the header cells above columns no row prints a value in
(a column blank in every row); a continued table without a header takes the previous page's columns.

A table row is a printed line with values (``anchor``) together with its label: the text left of the
columns, wrapped over lines above and below the anchor (a block of label lines close together). A value
whose extent lies inside exactly one column goes to that column; two numbers printed closer than a space
are cut where a column boundary falls between their characters. Anything else — a value between columns,
two values in one column, a label reaching into the columns, a label block beside two anchors — leaves the
whole row to the text layer's rule (fewer values than columns → ``missing``): never a guess.

Used only for pages without a ruled grid whose text looks like a table (``looks_tabular``: a cheap test on
the page's text); other pages keep the text layer.
"""
from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass, field

from parsing.pdf_layout import MAX_CHARS, Box, PageItem, line_text
from parsing.text import NA_TEXTS

CELL_GAP = 0.6      # ems: a gap this wide between two characters of a line separates two cells
NUMBER_GAP = 0.2    # ems: a gap this wide between two digits separates two numbers
BASELINE = 0.15     # ems: characters whose baselines are this close are on one printed line
LABEL_LINK = 0.6    # ems: label lines this close (vertically) and overlapping are one label block
ROW_GAP = 10.0      # ems: value lines further apart than this are two tables
HEADER_ZONE = 15.0  # ems above a table's first value line where its header is looked for
EDGE = 0.3          # ems: how far a value may reach out of its column's extent
SHORT_LABEL = 20     # characters: a row label before its only value is shorter than a line of prose
SAME_SIZE = 0.2     # relative: label lines of one table print in one font size (±20 %)

_VALUE = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?[%％]?")
_MARKER = re.compile(r"^(?:\d{1,2}[.、．]|[（(][一二三四五六七八九十\d]{1,3}[）)]|[一二三四五六七八九十]{1,3}、)")
_TWO_NUMBERS = re.compile(r"(?:^|\s)[-+]?\d[\d,.]*[%％]?\s+[-+]?\d[\d,.]*[%％]?(?:\s|$)")
_LAST_NUMBER = re.compile(r"[^\d\s]\s+[-+]?\d[\d,.]*[%％]?\s*$")


@dataclass(frozen=True)
class Glyph(Box):
    """A character's advance box (from the font's ascent to its descent: a gap is a real gap, and a line's
    height does not depend on which glyphs it prints), its baseline, and its em (the box's height)."""

    base: float = 0.0
    em: float = 10.0


@dataclass
class Segment:
    """A run of characters on one line with no cell-wide gap: a label, a header word, or value(s)."""

    glyphs: list[Glyph]
    values: list[list[Glyph]] | None  # the numbers (or n/a marks) it is made of; None: text

    @property
    def x0(self) -> float:
        return self.glyphs[0].x0

    @property
    def x1(self) -> float:
        return self.glyphs[-1].x1


@dataclass
class Line:
    glyphs: list[Glyph]
    segments: list[Segment]
    em: float
    size: float | None  # the em of its Chinese characters (digits may print in a taller Latin font)
    top: float = 0.0
    bottom: float = 0.0

    def __post_init__(self) -> None:
        self.top = max(g.y1 for g in self.glyphs)
        self.bottom = min(g.y0 for g in self.glyphs)

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def values(self) -> list[list[Glyph]]:
        return [v for s in self.segments if s.values for v in s.values]

    @property
    def labels(self) -> list[Segment]:
        return [s for s in self.segments if s.values is None]


Band = tuple[float, float]


@dataclass
class Table:
    """One table found on the page: its value lines (row anchors), label lines, columns."""

    anchors: list[int] = field(default_factory=list)        # line indexes
    label_lines: list[int] = field(default_factory=list)    # line indexes
    bands: list[Band] = field(default_factory=list)
    first: int = 0                                          # first line index of the table (header excluded)


# ---------------------------------------------------------------- characters and lines


def looks_tabular(text: str) -> bool:
    """Whether a page's text (pdfium's: spaces where the gaps are) has a line with two numbers apart, or
    two short lines ending in a number set apart from the words before it (a row label and its value; a
    line of prose wrapped after a number is longer): the cheap test before any position."""
    hits = 0
    for line in text.splitlines():
        if _TWO_NUMBERS.search(line):
            return True
        match = _LAST_NUMBER.search(line)
        if match and len(line[:match.start()].strip()) < SHORT_LABEL:  # not a line of prose ending in a number
            hits += 1
            if hits >= 2:
                return True
    return False


def page_glyphs(textpage) -> list[Glyph] | None:  # noqa: ANN001 - pypdfium2 PdfTextPage
    """Every printed character with its advance box, glyph box, baseline and em; None past ``MAX_CHARS``."""
    import pypdfium2.raw as raw

    count = raw.FPDFText_CountChars(textpage.raw)
    if count > MAX_CHARS:
        return None
    out: list[Glyph] = []
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    ox, oy = ctypes.c_double(), ctypes.c_double()
    loose = raw.FS_RECTF()
    for index in range(count):
        code = raw.FPDFText_GetUnicode(textpage.raw, index)
        if code in (0, 0xFFFE, 0xFFFF) or raw.FPDFText_IsGenerated(textpage.raw, index) == 1:
            continue
        text = chr(code) if code < 0xD800 or code > 0xDFFF else "\ufffd"
        if (text.isspace() or not raw.FPDFText_GetCharBox(textpage.raw, index, left, right, bottom, top)
                or not raw.FPDFText_GetLooseCharBox(textpage.raw, index, loose)
                or not raw.FPDFText_GetCharOrigin(textpage.raw, index, ox, oy)):
            continue
        y0, y1 = (loose.bottom, loose.top) if loose.top - loose.bottom > 1.0 else (bottom.value, top.value)
        x0, x1 = min(loose.left, left.value), max(loose.right, right.value)
        out.append(Glyph(text, x0, y0, x1, y1, oy.value, max(y1 - y0, 1.0)))
    return out


def printed_lines(glyphs: list[Glyph]) -> list[Line]:
    """Characters grouped by baseline (top to bottom), each line left to right and cut into segments.
    (A baseline, not an extent: a label line half a line above a value line stays its own line.)"""
    lines: list[list[Glyph]] = []
    for glyph in sorted(glyphs, key=lambda g: -g.base):
        if lines and abs(lines[-1][0].base - glyph.base) <= BASELINE * glyph.em:
            lines[-1].append(glyph)
        else:
            lines.append([glyph])
    out = []
    for chars in lines:
        chars.sort(key=lambda g: g.x0)
        ems = sorted(g.em for g in chars)
        em = ems[len(ems) // 2]
        cjk = sorted(g.em for g in chars if g.text >= "\u2e80")
        out.append(Line(chars, _segments(chars, em), em, cjk[len(cjk) // 2] if cjk else None))
    return out


def _segments(chars: list[Glyph], em: float) -> list[Segment]:
    runs: list[list[Glyph]] = [[chars[0]]]
    for glyph in chars[1:]:
        if glyph.x0 - runs[-1][-1].x1 > CELL_GAP * em:
            runs.append([glyph])
        else:
            runs[-1].append(glyph)
    return [Segment(run, _values(run, em)) for run in runs]


def _values(run: list[Glyph], em: float) -> list[list[Glyph]] | None:
    """The numbers (or n/a marks) a segment is made of, split where two digits stand apart; None when
    the segment is text."""
    parts: list[list[Glyph]] = [[run[0]]]
    for glyph in run[1:]:
        if glyph.x0 - parts[-1][-1].x1 > NUMBER_GAP * em:
            parts.append([glyph])
        else:
            parts[-1].append(glyph)
    texts = ["".join(g.text for g in part) for part in parts]
    if all(_VALUE.fullmatch(t) for t in texts):
        return parts
    joined = "".join(texts)
    return [run] if joined in NA_TEXTS else None


def _text(glyphs: list[Glyph]) -> str:
    return line_text(list(glyphs))


# ---------------------------------------------------------------- tables


def _same_size(line: Line, size: float | None) -> bool:
    """Whether a line prints in the table's font size (as far as their Chinese characters tell)."""
    return line.size is None or size is None or abs(line.size - size) <= SAME_SIZE * size


def _size(lines: list[Line], indexes: list[int]) -> float | None:
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
                current = Table(first=index)
                tables.append(current)
                value_left = min(v[0].x0 for v in line.values)
            else:
                value_left = min(value_left, min(v[0].x0 for v in line.values))
            current.anchors.append(index)
        elif current is not None:
            em = lines[current.anchors[-1]].em
            if (line.top < lines[current.anchors[-1]].bottom - ROW_GAP * em
                    or not _same_size(line, _size(lines, current.anchors))
                    or any(s.x1 > value_left - 0.5 * em for s in line.segments)):
                current = None
            else:
                current.label_lines.append(index)
    return tables


def _bands_from_values(tokens: list[tuple[float, float]]) -> tuple[list[Band], list[int]]:
    """Clusters of overlapping value extents (narrowest first; a value overlapping two clusters already
    made is a bridge — two glued numbers — and joins none). Returns the bands and each band's support."""
    bands: list[list[float]] = []
    support: list[int] = []
    for x0, x1 in sorted(tokens, key=lambda t: t[1] - t[0]):
        hit = [i for i, (a, b) in enumerate(bands) if x0 < b and a < x1]
        if len(hit) > 1:
            continue
        if hit:
            band = bands[hit[0]]
            band[0], band[1] = min(band[0], x0), max(band[1], x1)
            support[hit[0]] += 1
        else:
            bands.append([x0, x1])
            support.append(1)
    merged = _merge(bands, support)
    return [(a, b) for a, b, _ in merged], [n for _, _, n in merged]


def _merge(bands: list[list[float]], support: list[int]) -> list[tuple[float, float, int]]:
    """Bands grown into each other (a later, wider value) joined; sorted left to right."""
    out: list[tuple[float, float, int]] = []
    for (a, b), n in sorted(zip(map(tuple, bands), support)):
        if out and a < out[-1][1]:
            pa, pb, pn = out[-1]
            out[-1] = (pa, max(pb, b), pn + n)
        else:
            out.append((a, b, n))
    return out


def _overlaps(band: Band, x0: float, x1: float) -> bool:
    return x0 < band[1] and band[0] < x1


def column_bands(lines: list[Line], table: Table, header: list[Segment], carried: list[Band],
                 ruled: tuple[list[Band], float] | None = None, label_right: float = float("-inf")) -> list[Band]:
    """The table's columns: value clusters; a cluster of one value in a table of three rows or more only
    where a header cell (or the previous page's column) stands over it; then the header cells over no
    cluster (columns blank in every row), lowest first; a table without header takes the carried columns.
    Columns ruled just above the table (``ruled``: a grid over its header only, and the grid's bottom) are
    its columns when every cluster lies in one of them."""
    tokens = [(v[0].x0, v[-1].x1) for i in table.anchors for v in lines[i].values]
    bands, support = _bands_from_values(tokens)
    first = lines[table.anchors[0]]
    em = first.em
    columns, bottom = ruled if ruled else ([], 0.0)
    below = first.top <= bottom + 0.5 * em and bottom - first.top <= 3 * em  # the grid just above the table
    ruled = [c for c in columns if c[0] >= label_right - EDGE * em] if below else []
    if ruled and all(sum(c[0] - EDGE * em <= a and b <= c[1] + EDGE * em for c in ruled) == 1 for a, b in bands):
        return ruled
    confirm = [(s.x0, s.x1) for s in header] + carried
    if len(table.anchors) >= 3:
        bands = [b for b, n in zip(bands, support)
                 if n > 1 or any(_overlaps(b, c0, c1) and _only(bands, c0, c1) for c0, c1 in confirm)]
    if not header and carried and all(sum(_overlaps(c, *b) for c in carried) == 1 for b in bands):
        return sorted((min([c[0], *(b[0] for b in bands if _overlaps(c, *b))]),
                       max([c[1], *(b[1] for b in bands if _overlaps(c, *b))])) for c in carried)
    pitch = _pitch(bands)
    over = [s for s in header if any(_overlaps(b, s.x0, s.x1) for b in bands)]
    for segment in sorted(header, key=lambda s: min(g.y0 for g in s.glyphs)):
        if (any(_overlaps(b, segment.x0, segment.x1) for b in bands) or not _beside(segment, over)
                or _continues(segment, over, bands)):
            continue  # over a column already, or the next line of a header cell that is (业 under 商业企)
        if pitch is None or segment.x1 - segment.x0 <= 1.5 * pitch:
            bands.append((segment.x0, segment.x1))
            bands.sort()
    return bands


def _continues(segment: Segment, over: list[Segment], bands: list[Band]) -> bool:
    """Whether a header segment is the next line of a header cell over one column: a segment over that
    column just above it (at most 1.2 ems between them) that it overlaps."""
    low, high = _extent(segment)
    em = segment.glyphs[0].em
    return any(_overlaps((o.x0, o.x1), segment.x0, segment.x1) and _only(bands, o.x0, o.x1)
               and 0 <= _extent(o)[0] - high <= 1.2 * em for o in over)


def _beside(segment: Segment, others: list[Segment]) -> bool:
    """Whether a header cell stands in a header row beside a cell over a value column (a title line over
    the whole table does not: nothing beside it is over a column)."""
    low, high = _extent(segment)
    em = segment.glyphs[0].em
    return any(max(low - _extent(o)[1], _extent(o)[0] - high) <= em for o in others if o is not segment)


def _only(bands: list[Band], x0: float, x1: float) -> bool:
    """Whether a header cell stands over one band only (a leaf header, not a group over several)."""
    return sum(_overlaps(b, x0, x1) for b in bands) == 1


def _pitch(bands: list[Band]) -> float | None:
    if len(bands) < 2:
        return None
    centres = [(a + b) / 2 for a, b in bands]
    steps = sorted(b - a for a, b in zip(centres, centres[1:]))
    return steps[len(steps) // 2]


def header_segments(lines: list[Line], table: Table, previous_end: int, label_right: float) -> list[Segment]:
    """The text segments above the table's first value line (within ``HEADER_ZONE`` ems, below the previous
    table) right of its labels: the header cells over the value columns."""
    first = lines[table.anchors[0]]
    out = []
    for index in range(table.anchors[0] - 1, previous_end, -1):
        line = lines[index]
        if line.bottom - first.top > HEADER_ZONE * first.em or not _same_size(line, _size(lines, table.anchors)):
            break
        out.extend(s for s in line.segments if s.values is None and s.x0 >= label_right - EDGE * first.em)
    return out


# ---------------------------------------------------------------- rows


@dataclass
class _Block:
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
            piece = _text(segment.glyphs)
            if out and out[-1].isascii() and out[-1].isalnum() and piece[:1].isascii() and piece[:1].isalnum():
                out += " "
            out += piece
        return out


def _extent(segment: Segment) -> tuple[float, float]:
    return min(g.y0 for g in segment.glyphs), max(g.y1 for g in segment.glyphs)


def label_blocks(lines: list[Line], table: Table, above: list[int]) -> list[_Block]:
    """The table's label segments (on its anchor and label lines, and the label side of the lines just above
    it) joined into blocks: segments on neighbouring lines that overlap in x and are at most ``LABEL_LINK``
    ems apart; each block with the anchors whose line lies within its height."""
    value_left = min(v[0].x0 for i in table.anchors for v in lines[i].values)
    parts: list[tuple[int, Segment]] = []
    for index in sorted({*table.anchors, *table.label_lines, *above}):
        parts.extend((index, s) for s in lines[index].segments if s.values is None and s.x1 < value_left)
    parent = list(range(len(parts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    pitch = row_pitch(lines, table)
    for a, (line_a, seg_a) in enumerate(parts):  # parts run top to bottom (lines by falling baseline)
        reach = pitch if pitch is not None else 3 * lines[line_a].em
        for b in range(a + 1, len(parts)):
            line_b, seg_b = parts[b]
            if seg_a.glyphs[0].base - seg_b.glyphs[0].base > reach:
                break
            if line_b != line_a and seg_a.x0 < seg_b.x1 and seg_b.x0 < seg_a.x1 and \
                    _linked(seg_a, seg_b, pitch, lines[line_a].em):
                parent[find(b)] = find(a)
    groups: dict[int, list[tuple[int, Segment]]] = {}
    for i, part in enumerate(parts):
        groups.setdefault(find(i), []).append(part)
    blocks = [_Block(group) for group in groups.values()]
    for block in blocks:
        low = min(_extent(s)[0] for _, s in block.parts)
        high = max(_extent(s)[1] for _, s in block.parts)
        on_line = {i for i, _ in block.parts}
        block.anchors = [i for i in table.anchors if i in on_line or low <= lines[i].cy <= high]
    return blocks


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
    (low_a, high_a), (low_b, high_b) = _extent(a), _extent(b)
    return max(low_a - high_b, low_b - high_a) <= LABEL_LINK * em


def _split_by_markers(block: _Block, lines: list[Line]) -> list[_Block] | None:
    """A block beside several anchors (labels of neighbouring rows printed without a gap): cut where a
    line opens with an item number (1. （一） 一、); kept only when each piece lies beside one anchor."""
    pieces: list[list[tuple[int, Segment]]] = []
    for part in sorted(block.parts, key=lambda p: (-p[1].glyphs[0].base, p[1].x0)):
        if not pieces or _MARKER.match(_text(part[1].glyphs)):
            pieces.append([part])
        else:
            pieces[-1].append(part)
    out = []
    for piece in pieces:
        low = min(_extent(s)[0] for _, s in piece)
        high = max(_extent(s)[1] for _, s in piece)
        on_line = {i for i, _ in piece}
        anchors = [i for i in block.anchors if i in on_line or low <= lines[i].cy <= high]
        if len(anchors) != 1:
            return None
        out.append(_Block(piece, anchors))
    return out


def assign(values: list[list[Glyph]], bands: list[Band], em: float) -> list[str] | None:
    """Each band's value on one line ("" for a blank); None when a value lies in no band or in two, or two
    values fall in one band. Two numbers printed closer than a space are cut at the band boundary between
    their characters (each piece a number inside its band)."""
    cells = [""] * len(bands)
    for value in values:
        x0, x1 = value[0].x0, value[-1].x1
        inside = [i for i, (a, b) in enumerate(bands) if a - EDGE * em <= x0 and x1 <= b + EDGE * em]
        pieces = [(inside[0], value)] if len(inside) == 1 else _cut(value, bands, em)
        if pieces is None:
            return None
        for band, glyphs in pieces:
            if cells[band]:
                return None
            cells[band] = "".join(g.text for g in glyphs)
    return cells


def _cut(value: list[Glyph], bands: list[Band], em: float) -> list[tuple[int, list[Glyph]]] | None:
    pieces: list[tuple[int, list[Glyph]]] = []
    for glyph in value:
        band = next((i for i, (a, b) in enumerate(bands) if a <= glyph.cx <= b), None)
        if band is None:
            return None
        if pieces and pieces[-1][0] == band:
            pieces[-1][1].append(glyph)
        else:
            pieces.append((band, [glyph]))
    if len(pieces) < 2:
        return None
    for band, glyphs in pieces:
        a, b = bands[band]
        if not (_VALUE.fullmatch("".join(g.text for g in glyphs)) and a - EDGE * em <= glyphs[0].x0
                and glyphs[-1].x1 <= b + EDGE * em):
            return None
    return pieces


# ---------------------------------------------------------------- the page


def unruled_items(glyphs: list[Glyph], carried: list[Band] | None = None,
                  ruled: tuple[list[Band], float] | None = None) -> tuple[list[PageItem], list[Band]] | None:
    """The page in reading order (free lines, and each table row as its label cells and one cell per
    column), and the columns of its last table (carried to the next page); None when the page has no table.
    ``ruled``: the columns of a grid drawn over part of the page (a table's header), and its bottom."""
    lines = printed_lines(glyphs)
    tables = find_tables(lines)
    if not tables:
        return None
    used: set[int] = set()  # ids of glyphs read into table rows
    rows: list[PageItem] = []
    previous_end = -1
    bands: list[Band] = []
    for number, table in enumerate(tables):
        above = _label_lines_above(lines, table, previous_end)
        blocks = label_blocks(lines, table, above)
        label_right = max((b.x1 for b in blocks if b.anchors), default=float("-inf"))
        header = header_segments(lines, table, previous_end, label_right)
        bands = column_bands(lines, table, header, carried if number == 0 and carried else [], ruled, label_right)
        rows.extend(_table_rows(lines, table, blocks, bands, used))
        previous_end = max(table.anchors + table.label_lines)
    items = rows + [PageItem(max(g.y1 for g in free), _text(free)) for line in lines
                    if (free := [g for g in line.glyphs if id(g) not in used])]
    items.sort(key=lambda item: (-item.top, bool(item.cells)))
    return items, bands


def _label_lines_above(lines: list[Line], table: Table, previous_end: int, most: int = 6) -> list[int]:
    """The lines just above the table's first value line with text on the label side only (the first row's
    label, or rows printed blank), up to its header (a line with text over the value columns)."""
    first = lines[table.anchors[0]]
    value_left = min(v[0].x0 for v in first.values)
    out: list[int] = []
    for index in range(table.anchors[0] - 1, max(previous_end, table.anchors[0] - 1 - most), -1):
        line = lines[index]
        if not _same_size(line, _size(lines, table.anchors)) or any(s.x1 > value_left - 0.5 * first.em
                                                                 for s in line.segments):
            break
        out.append(index)
    return out


def _table_rows(lines: list[Line], table: Table, blocks: list[_Block], bands: list[Band],
                used: set[int]) -> list[PageItem]:
    by_anchor: dict[int, list[_Block]] = {i: [] for i in table.anchors}
    doubtful: set[int] = set()
    for block in blocks:
        if len(block.anchors) == 1:
            by_anchor[block.anchors[0]].append(block)
    for block in blocks:
        if len(block.anchors) > 1:
            pieces = _split_by_markers(block, lines)
            if pieces is not None:
                for piece in pieces:
                    by_anchor[piece.anchors[0]].append(piece)
            elif not all(by_anchor[i] for i in block.anchors):
                doubtful.update(block.anchors)
            # else: a group label beside rows that have their own labels (三、本年度办理结果): a free line
    blank_rows = [block for block in blocks if _is_blank_row(block, blocks, lines, table)]
    out = [_blank_row(block, bands) for block in blank_rows]
    used.update(id(g) for block in blank_rows for _, s in block.parts for g in s.glyphs)
    for index in table.anchors:
        line = lines[index]
        labels = sorted(by_anchor[index], key=lambda b: b.x0)
        values = line.values
        cells = None if index in doubtful or not bands else assign(values, bands, line.em)
        if cells is not None and labels and max(b.x1 for b in labels) > bands[0][0] - EDGE * line.em:
            cells = None
        glyphs = [g for b in labels for _, s in b.parts for g in s.glyphs] + [g for v in values for g in v]
        if index in doubtful:
            continue  # its lines stay free text: which label goes with which values cannot be told
        used.update(id(g) for g in glyphs)
        top = max(g.y1 for g in glyphs)
        if cells is None:  # the text layer's rule: the label, then the values in printed order
            text = " ".join([*(b.text() for b in labels), *("".join(g.text for g in v) for v in values)])
            out.append(PageItem(top, text))
        else:
            out.append(PageItem(top, "", (*(b.text() for b in labels), *cells)))
    return out


def _is_blank_row(block: _Block, blocks: list[_Block], lines: list[Line], table: Table) -> bool:
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


def _blank_row(block: _Block, bands: list[Band]) -> PageItem:
    top = max(g.y1 for _, s in block.parts for g in s.glyphs)
    return PageItem(top, "", (block.text(), *([""] * len(bands))))
