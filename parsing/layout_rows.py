"""The rows of a table of a laid-out text (``parsing.layout_text``): label blocks, floating values, columns.

The words of each line with their positions (``_Line``) come from ``parsing.layout_text``; here a table's
lines become rows — each row's label (its blocks of label words, left to right, each top to bottom) and its
cells (in order when the row prints a value in every column; by position when the columns are known; else
the row stays text) — written into ``_Output``, which ``parsing.layout_text.relaid`` turns into lines.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from parsing.lines import Line

_MARKER = re.compile(r"^(?:\d{1,2}\s*[.、．]|[（(][一二三四五六七八九十\d]{1,3}[）)]?|[一二三四五六七八九十]{1,3}、)")
_ITEM = re.compile(r"^\d{1,2}\s*[.、．]")
_DIGIT = re.compile(r"\d")
_GLUED = re.compile(r"[+\-−–]?0\d")
_FORCED = re.compile(r"0*\d")  # a run of digits that can only be one value per digit (0 0 5, never 05)
_TRAILING = re.compile(r"^(.*\D)(0*\d)$")  # a label with a run of digits glued to its end (属于三类内00)
MAX_WRAP = 12  # lines a label (or a paragraph of a row) may stand over: a bound on the work, far above real rows
FLOATING = 2      # values on a line of their own, without a label, that float (more make an anchor)


@dataclass
class _Word:
    c0: int
    c1: int
    text: str


@dataclass
class _Line:
    index: int
    labels: list[_Word]
    values: list[_Word]
    blank: bool
    page: int
    page_break: bool = False  # the line is where a page ends (a form feed, nothing else)

    @property
    def value_left(self) -> int:
        return self.values[0].c0


@dataclass
class _Block:
    parts: list[tuple[int, _Word]]  # (line index, word)
    anchors: list[int] = field(default_factory=list)

    @property
    def x0(self) -> int:
        return min(w.c0 for _, w in self.parts)

    @property
    def x1(self) -> int:
        return max(w.c1 for _, w in self.parts)

    @property
    def lines(self) -> tuple[int, int]:
        return min(i for i, _ in self.parts), max(i for i, _ in self.parts)

    def text(self) -> str:
        return "".join(w.text for _, w in sorted(self.parts, key=lambda p: (p[0], p[1].c0)))


@dataclass
class _Output:
    """What the table rows found make of the text's lines: the lines whose words were (partly) read
    (``touched``), the words read (``used``: ids), the row read at an anchor's line and the group labels
    printed before a line. An untouched line stays as it was; a touched one keeps its unread words."""

    touched: set[int] = field(default_factory=set)
    used: set[int] = field(default_factory=set)
    rows: dict[int, list[Line]] = field(default_factory=dict)
    before: dict[int, list[Line]] = field(default_factory=dict)

    def take(self, parts: list[tuple[int, _Word]]) -> None:
        for index, word in parts:
            self.touched.add(index)
            self.used.add(id(word))

    def take_line(self, line: _Line) -> None:
        self.take([(line.index, w) for w in (*line.labels, *line.values)])


def _is_anchor(line: _Line) -> bool:
    if not line.values:
        return False
    return bool(line.labels) or len(line.values) > FLOATING


def _blocks(lines: list[_Line], table: list[int], anchors: list[int]) -> list[_Block]:
    """Label pieces linked into blocks: overlapping in position, on lines with no blank line between them."""
    parts = [(i, w) for i in table for w in lines[i].labels]
    parent = list(range(len(parts)))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    gap_after: dict[int, int] = {}  # line → the first blank line (not a page break) after it, in the table
    gap = len(lines)
    for i in reversed(table):
        gap_after[i] = gap
        if lines[i].blank and not lines[i].page_break:
            gap = i
    for a, (line_a, word_a) in enumerate(parts):
        for b in range(a + 1, len(parts)):
            line_b, word_b = parts[b]
            if line_b == line_a:
                continue
            if line_b - line_a > MAX_WRAP or gap_after[line_a] < line_b:
                break
            if word_a.c0 < word_b.c1 and word_b.c0 < word_a.c1:
                parent[find(b)] = find(a)
    groups: dict[int, list[tuple[int, _Word]]] = {}
    for k, part in enumerate(parts):
        groups.setdefault(find(k), []).append(part)
    blocks = [_Block(group) for group in groups.values()]
    for block in blocks:
        block.anchors = within(anchors, *block.lines)
    return blocks


def within(anchors: list[int], low: int, high: int) -> list[int]:
    """The anchors (sorted line numbers) from line ``low`` to line ``high``."""
    return anchors[bisect_left(anchors, low):bisect_right(anchors, high)]


def _split(block: _Block, full: set[int]) -> list[_Block] | None:
    """A block beside several anchors cut at item numbers, or (no item numbers) one piece per line when
    each of its pieces lies on an anchor line that prints a value in every column (``full``: rows of their
    own, not a label wrapped over two lines with its values shared between them); None when a piece is
    not beside exactly one anchor."""
    ordered = sorted(block.parts, key=lambda p: (p[0], p[1].c0))
    pieces: list[list[tuple[int, _Word]]] = []
    sides: list[list[tuple[int, _Word]]] = []  # a group label's pieces in a column left of the items
    for part in ordered:
        if pieces and _ITEM.match(pieces[-1][0][1].text) and part[1].c1 <= pieces[-1][0][1].c0:
            if not sides or _MARKER.match(part[1].text):
                sides.append([part])
            else:
                sides[-1].append(part)
        elif not pieces or _MARKER.match(part[1].text):
            pieces.append([part])
        else:
            pieces[-1].append(part)
    if len(pieces) == 1 and all(i in full for i, _ in ordered):
        by_line: dict[int, list[tuple[int, _Word]]] = {}
        for part in ordered:
            by_line.setdefault(part[0], []).append(part)
        pieces = list(by_line.values())
    out = []
    for piece in pieces:
        anchors = within(block.anchors, min(i for i, _ in piece), max(i for i, _ in piece))
        if len(anchors) != 1:
            return None
        out.append(_Block(piece, anchors))
    return out + [_Block(side, within(block.anchors, side[0][0], side[-1][0])) for side in sides]


def _read_table(lines: list[_Line], table: list[int], originals: list[Line], out: _Output) -> None:
    anchors = [i for i in table if _is_anchor(lines[i])]
    header = _header(lines, table[0], min(lines[i].value_left for i in anchors))
    if len(anchors) < 2 and (len(header) < 2 or not lines[anchors[0]].labels):
        return  # one line of values, without a header over them or a label: nothing tells its columns
    values = {i: list(lines[i].values) for i in anchors}
    doubtful: set[int] = set()
    merged: dict[int, int] = {}  # a line of floating values → the anchor whose row took them
    _float_values(lines, table, anchors, values, doubtful, merged)
    _float_tail(lines, table, anchors, values, merged)
    taken: dict[int, list[int]] = {}  # an anchor → the lines of floating values its row took
    for line, row in merged.items():
        taken.setdefault(row, []).append(line)
    by_anchor: dict[int, list[_Block]] = {i: [] for i in anchors}
    blocks = _blocks(lines, table, anchors)
    most = max(len(v) for v in values.values())
    full = {i for i in anchors if len(values[i]) == most}
    group_blocks: list[_Block] = []
    for block in blocks:
        if len(block.anchors) == 1:
            by_anchor[block.anchors[0]].append(block)
    unsplit = []
    for block in blocks:
        if len(block.anchors) > 1:
            pieces = _split(block, full)
            if pieces is None:
                unsplit.append(block)
            items = [piece.x0 for piece in pieces or () if _ITEM.match(piece.parts[0][1].text)]
            for piece in pieces or ():
                side = bool(items) and piece.x1 <= max(items)  # left of the block's item numbers
                if _ITEM.match(piece.parts[0][1].text) or len(piece.anchors) == 1 and not side:
                    by_anchor[piece.anchors[0]].append(piece)
                else:
                    unsplit.append(piece)  # a group label's pieces beside the items: kept as a group label
    for block in unsplit:  # a group label stands left of the labels of the rows it spans
        if all(by_anchor[i] and block.x1 <= min(b.x0 for b in by_anchor[i]) for i in block.anchors):
            group_blocks.append(block)
        else:
            doubtful.update(block.anchors)
    pages = {lines[i].page for i in anchors}
    columns = {page: _columns([values[i] for i in anchors if i not in doubtful and lines[i].page == page], most,
                              header if page == lines[table[0]].page else [])
               for page in pages}
    for index in anchors:
        if index in doubtful:
            continue
        labels = sorted(by_anchor[index], key=lambda b: b.x0)
        if not labels:
            continue  # values without a label beside them: as text, the row above never takes them
        label = "".join(b.text() for b in labels)
        glued = None
        if any(_DIGIT.search(_ITEM.sub("", w.text)) for b in labels for _, w in b.parts):
            peeled = _peel(labels, index, values[index])
            if peeled is None:
                continue  # a value glued to its label (安全一稳0): the row's values cannot all be told
            label, glued = peeled
        cells = _cells(values[index], columns[lines[index].page], glued)
        if glued is not None and cells is None:
            continue  # the glued digits cannot be cut by position: the line stays as printed
        where = originals[index].where
        if cells is None:
            text = " ".join([label, *(v.text for v in values[index])]).strip()
            out.rows[index] = [Line(text, where)]
        else:
            out.rows[index] = [Line(label, where, True), *(Line(c, where, True) for c in cells),
                               Line("", f"{where}末")]
        for block in labels:
            out.take(block.parts)
        out.take([(i, v) for i in taken.get(index, ()) for v in lines[i].values])
        out.take([(index, v) for v in lines[index].values])
    for block in group_blocks:  # a group label: one line of text before the first row it spans
        first = block.lines[0]
        out.take(block.parts)
        out.before.setdefault(first, []).append(Line(block.text(), originals[first].where))


def _float_values(lines: list[_Line], table: list[int], anchors: list[int], values: dict[int, list[_Word]],
                  doubtful: set[int], merged: dict[int, int]) -> None:
    """Values on a line of their own (no label, at most ``FLOATING``) join the only anchor of their paragraph
    when they fall between its values without touching them; else the anchors around them are doubtful."""
    for index in table:
        line = lines[index]
        if not line.values or _is_anchor(line):
            continue
        low, high = _paragraph(lines, index)
        near = within(anchors, low, high)
        free = [i for i in near if _fits(line.values, values[i])]
        if len(free) == 1 and all(_blocked(line.values, values[i]) for i in near if i != free[0]):
            values[free[0]] = sorted(values[free[0]] + line.values, key=lambda w: w.c0)
            merged[index] = free[0]
            continue
        at = bisect_left(anchors, index)
        doubtful.update(near or anchors[max(0, at - 1):at + 1])  # the rows just before and after it


def _float_tail(lines: list[_Line], table: list[int], anchors: list[int], values: dict[int, list[_Word]],
                merged: dict[int, int]) -> None:
    """Values on the line just below a table's last row (no label, at most ``FLOATING``: ``0  153`` under
    ``其他对外管理服务事项  10``) join the only row of their paragraph they fit, and only when they fill it
    to the fullest row's count; else they stay text, as before (a page number under a table is no value)."""
    index = table[-1] + 1
    if index >= len(lines) or not anchors:
        return
    line = lines[index]
    if line.labels or not line.values or len(line.values) > FLOATING or line.page != lines[table[-1]].page:
        return
    near = within(anchors, *_paragraph(lines, index))
    free = [i for i in near if _fits(line.values, values[i])]
    most = max(len(v) for v in values.values())
    if len(free) == 1 and all(_blocked(line.values, values[i]) for i in near if i != free[0]) \
            and len(values[free[0]]) + len(line.values) == most:
        values[free[0]] = sorted(values[free[0]] + line.values, key=lambda w: w.c0)
        merged[index] = free[0]


def _paragraph(lines: list[_Line], index: int) -> tuple[int, int]:
    """The first and last line of the run of non-blank lines around line ``index``."""
    low, high = index, index
    while low - 1 >= 0 and not lines[low - 1].blank and index - low < MAX_WRAP:
        low -= 1
    while high + 1 < len(lines) and not lines[high + 1].blank and high - index < MAX_WRAP:
        high += 1
    return low, high


def _blocked(floating: list[_Word], row: list[_Word]) -> bool:
    """Whether every floating value stands where the row already prints a value (it cannot be the row's)."""
    return all(any(f.c0 < v.c1 and v.c0 < f.c1 for v in row) for f in floating)


def _fits(floating: list[_Word], row: list[_Word]) -> bool:
    return all(not (f.c0 <= v.c1 and v.c0 <= f.c1) for f in floating for v in row)


def _columns(rows: list[list[_Word]], n: int, header: list[tuple[int, int]]) -> list[tuple[int, int]] | None:
    """Each column's extent: from the rows with a value in every column (``n``), when two or more do and
    their extents do not overlap; else from the header cells over the values (``header``, one per column),
    each widened by the full row's value under it; else none known — a full row is still read in order."""
    if not rows or not n:
        return None
    full = [r for r in rows if len(r) == n]
    if len(full) >= 2:
        bands = [(min(r[k].c0 for r in full), max(r[k].c1 for r in full)) for k in range(n)]
        if all(a[1] < b[0] for a, b in zip(bands, bands[1:])):
            return bands
    if len(header) > n and all(any(_only(header, k, v) for k in range(len(header))) for r in rows for v in r):
        return header  # no row prints every column: the header cells are the columns
    if len(header) == n and all(_only(header, k, v) for r in full for k, v in enumerate(r)):
        bands = [(min([h[0], *(r[k].c0 for r in full)]), max([h[1], *(r[k].c1 for r in full)]))
                 for k, h in enumerate(header)]
        if all(a[1] < b[0] for a, b in zip(bands, bands[1:])):
            return bands
    return [(0, 0)] * n  # order only


def _only(header: list[tuple[int, int]], k: int, value: _Word) -> bool:
    """Whether a value stands under header cell ``k`` and under no other."""
    return [i for i, (a, b) in enumerate(header) if value.c0 < b and a < value.c1] == [k]


HEADER_LINES = 6  # lines above a table searched for its column headers


def _header(lines: list[_Line], first: int, value_left: int) -> list[tuple[int, int]]:
    """The extents of the header cells over a table's values: the words reaching right of its labels on the
    lines just above it, up to a line with values (a header cell wrapped over lines is one extent), left to
    right."""
    spans: list[list[int]] = []
    for line in reversed(lines[max(0, first - HEADER_LINES):first]):
        if line.values:
            break  # the table above
        spans.extend([w.c0, w.c1] for w in line.labels if w.c1 > value_left)
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _cells(values: list[_Word], columns: list[tuple[int, int]] | None, glued: _Word | None = None
           ) -> list[str] | None:
    """The row's cells: in order when it has a value for every column; by position when the columns are known
    and each value lies inside exactly one of them (the others blank); with a glued run of digits cut only
    where the positions force the cut (``_cut``); else None."""
    if columns is None:
        return None
    if glued is not None:
        return _cut(values, columns, glued)
    if len(values) == len(columns):
        return [v.text for v in values]
    if not values or len(values) > len(columns) or columns[0] == (0, 0):
        return None
    runs = [v for v in values if _GLUED.match(v.text)]
    if runs:  # digits of several cells printed together (000121): cut by position, else the text's rule
        return _cut([v for v in values if v is not runs[0]], columns, runs[0]) if len(runs) == 1 else None
    cells = [""] * len(columns)
    for value in values:
        inside = [k for k, (a, b) in enumerate(columns) if a - 1 <= value.c0 and value.c1 <= b + 1]
        if len(inside) != 1 or cells[inside[0]]:
            return None
        cells[inside[0]] = value.text
    return cells


def _peel(labels: list[_Block], index: int, values: list[_Word]) -> tuple[str, _Word] | None:
    """A label whose last word on the row's value line ends in a run of digits (属于三类内00): the label
    without them and the run (its own positions), when that is the label's only digit and the run can
    only be one value per digit (``_FORCED``); else None."""
    hits = [(i, w) for b in labels for i, w in b.parts if _DIGIT.search(_ITEM.sub("", w.text))]
    if len(hits) != 1 or hits[0][0] != index:
        return None
    word = hits[0][1]
    match = _TRAILING.match(word.text)
    if not match or _DIGIT.search(_ITEM.sub("", match.group(1))) or (values and word.c1 > values[0].c0):
        return None
    if any(i == index and w.c0 > word.c0 for b in labels for i, w in b.parts):
        return None  # label words right of the digits: they are not next to the values
    run = _Word(word.c1 - len(match.group(2)), word.c1, match.group(2))
    label = "".join("".join(match.group(1) if w is word else w.text
                            for _, w in sorted(b.parts, key=lambda p: (p[0], p[1].c0))) for b in labels)
    return label, run


def _cut(values: list[_Word], columns: list[tuple[int, int]], run: _Word) -> list[str] | None:
    """A row whose other values stand each inside one known column, leaving exactly as many columns free
    around the run as it has digits, which it can only be one value per digit (000, 00, 005): one digit per
    free column, when the run stands between the neighbouring values' columns and over the free ones.
    Anything else (a free column left blank, 023 — 0 2 3 or 0 23) is None: no unique reading."""
    n = len(columns)
    if columns[0] == (0, 0) or not _FORCED.fullmatch(run.text) or len(values) + len(run.text) != n:
        return None
    placed: list[tuple[int, _Word]] = []
    for value in values:
        inside = [k for k, (a, b) in enumerate(columns) if a - 1 <= value.c0 and value.c1 <= b + 1]
        if len(inside) != 1 or (placed and placed[-1][0] >= inside[0]):
            return None
        placed.append((inside[0], value))
    before = [k for k, v in placed if v.c0 < run.c0]
    after = [k for k, v in placed if v.c0 > run.c0]
    low, high = (before[-1] if before else -1), (after[0] if after else n)
    if high - low - 1 != len(run.text) or len(before) != low + 1:
        return None
    if (low >= 0 and run.c0 < columns[low][1]) or (high < n and run.c1 > columns[high][0]):
        return None  # the run reaches into a neighbour's column
    if run.c1 < columns[low + 1][0] - 1 or run.c0 > columns[high - 1][1] + 1:
        return None  # the run stands away from the free columns
    cells = [""] * n
    for k, value in placed:
        cells[k] = value.text
    for k, digit in zip(range(low + 1, high), run.text):
        cells[k] = digit
    return cells


