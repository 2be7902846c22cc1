"""Tables of a *laid-out* text (``pdftotext -layout``, pypdf's layout mode): rows from positions.

Such a text prints a table as a monospace picture: each value in its column (character positions), a row's
label wrapped over lines above and below its values, group labels (三、本年度办理结果) in a column of their own
and cut into pieces beside the rows they span, a value vertically centred on a line of its own. Read as running
text, a wrapped label is cut by its values and by the group column's pieces, so the row is not found.

Here each table becomes what a web page's table becomes (``parsing.readers``): one label cell, one cell per
value column and a row end. The rules (those of ``parsing.pdf_rows``, in character positions):

* a value line (*anchor*) is a line ending in numbers set apart (two spaces or more) from any text, or a line
  of three numbers or more; a table is a run of anchors with label lines (text left of the values only)
  between them; a line with text over the value columns (a header, a heading, prose) ends it;
* label pieces on lines with no blank line between them that overlap in position are one block (a label
  wrapped over lines); a block goes with the anchor whose line lies within its lines; a block beside several
  anchors is cut at item numbers (1. （一） 一、), else is a group label when each of those anchors has a label
  of its own (it is kept as a line of text), else the rows cannot be told apart and stay text;
* a row's label is its blocks, left to right, each top to bottom;
* one or two numbers on a line of their own (a value centred higher in its cell) join the anchor of their
  paragraph (lines with no blank line between) when it is the only one and they fall between its values'
  positions without touching them; otherwise the rows around them stay text (never a guessed row);
* values: a row with as many values as the table's fullest row is read in order; a shorter row is read by
  position — each value inside exactly one column (the extents of that column's values in the full rows,
  which must not overlap one another), at most one per column, the others blank — or stays text (fewer
  values than columns → ``missing``).

Only a text that looks laid out (``looks_laid_out``: lines with numbers set apart by runs of spaces) comes
here; any other text is read exactly as before.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import accumulate
from unicodedata import east_asian_width

from parsing.lines import Line

_WORD = re.compile(r"\S+")
_VALUE = re.compile(r"[+\-−–]?\d+(?:,\d{3})*(?:\.\d+)?(?:万元|元|件|个|项|条|人次|%|％)?")
_UNIT = frozenset({"万元", "元", "件", "个", "项", "条", "人次", "%", "％"})
_NA = frozenset({"/", "／", "—", "——", "-", "--", "－", "–"})
_SET_APART = re.compile(r"\S {2,}[+\-−–]?\d")
_TWO_APART = re.compile(r"\d {2,}[+\-−–]?\d")
_ONE_APART = re.compile(r"\d [+\-−–]?\d")
_MARKER = re.compile(r"^(?:\d{1,2}\s*[.、．]|[（(][一二三四五六七八九十\d]{1,3}[）)]?|[一二三四五六七八九十]{1,3}、)")
_ITEM = re.compile(r"^\d{1,2}\s*[.、．]")
_DIGIT = re.compile(r"\d")
_GLUED = re.compile(r"[+\-−–]?0\d")
MIN_LAID_OUT = 3  # lines with two numbers set apart by spaces: fewer, and the text is not a laid-out table
FLOATING = 2      # values on a line of their own, without a label, that float (more make an anchor)
LOOKBACK = 8      # lines above a table's first anchor searched for its label
TOUCH = 1         # positions a label line may reach into the first value column (a tight layout rounds)


def looks_laid_out(text: str) -> bool:
    """Whether the text prints tables as a monospace picture: at least ``MIN_LAID_OUT`` places where two numbers
    stand two spaces apart or more, and no more places where they stand one space apart (a text layer that
    prints a row's values one space apart, with a wider gap here and there, is not laid out)."""
    apart = sum(1 for _ in _TWO_APART.finditer(text))
    return apart >= MIN_LAID_OUT and apart >= sum(1 for _ in _ONE_APART.finditer(text))


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


def _parse_line(index: int, raw: str, page: int, wide: bool = False) -> _Line:
    """A line's words with their positions (a Chinese character one position wide, or two when ``wide``),
    cut into label words and the values set apart at its end."""
    if wide and not raw.isascii():
        cols = list(accumulate((2 if east_asian_width(ch) in "WF" else 1 for ch in raw), initial=0))
        words = [_Word(cols[m.start()], cols[m.end()], m.group()) for m in _WORD.finditer(raw)]
    else:
        words = [_Word(m.start(), m.end(), m.group()) for m in _WORD.finditer(raw)]
    merged: list[_Word] = []
    for word in words:  # a unit printed a space after its number (73802895.90 元)
        if merged and word.text in _UNIT and _VALUE.fullmatch(merged[-1].text) and word.c0 - merged[-1].c1 == 1:
            merged[-1] = _Word(merged[-1].c0, word.c1, merged[-1].text + word.text)
        else:
            merged.append(word)
    start = len(merged)
    while start > 0 and (_VALUE.fullmatch(merged[start - 1].text) or merged[start - 1].text in _NA):
        start -= 1
    if 0 < start < len(merged) and merged[start].c0 - merged[start - 1].c1 < (2 if start == len(merged) - 1 else 1):
        start = len(merged)  # a lone number a space after words (prose: 共 1000 条) is no value
    values = merged[start:]
    if values and not any(any(ch.isdigit() for ch in v.text) for v in values):
        values, start = [], len(merged)
    return _Line(index, merged[:start], values, not merged, page, raw.endswith("\x0c") and not merged)


def _spread(lines: list[_Line]) -> int:
    """How many different positions the values of lines with a label stand at (fewer: better aligned)."""
    return len({(v.c0 + v.c1) // 2 for line in lines if line.labels for v in line.values})


def _pages(raws: list[str]) -> list[int]:
    page, out = 0, []
    for raw in raws:
        out.append(page)
        if raw.endswith("\x0c"):
            page += 1
    return out


def relaid(text: str, lines: list[Line]) -> list[Line]:
    """``lines`` (the text's lines as the text reader made them) with each table row found by position
    replaced by its cell lines; everything else unchanged. ``text`` gives the page breaks (form feeds)."""
    raws = text.splitlines(keepends=True)
    if len(raws) != len(lines):
        return lines
    pages = _pages(raws)
    texts = [raws[i].rstrip("\r\n") if not ln.cell else "" for i, ln in enumerate(lines)]
    parsed = [_parse_line(i, t, pages[i]) for i, t in enumerate(texts)]
    wide = [_parse_line(i, t, pages[i], True) for i, t in enumerate(texts)]
    if _spread(wide) < _spread(parsed):  # Chinese characters laid out two positions wide
        parsed = wide
    out = _Output()
    for table in _tables(parsed):
        _read_table(parsed, table, lines, out)
    for line in parsed:
        if len(line.values) >= MIN_STACKED and not line.labels and line.index not in out.touched:
            _unstack_header(parsed, line, lines, out)
    if not out.touched:
        return lines
    result: list[Line] = []
    for i, line in enumerate(lines):
        if i not in out.touched:
            result.append(line)
            continue
        result.extend(out.before.get(i, ()))
        rest = [w.text for w in (*parsed[i].labels, *parsed[i].values) if id(w) not in out.used]
        if rest:
            result.append(Line(" ".join(rest), line.where))
        result.extend(out.rows.get(i, ()))
    return result


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


MIN_STACKED = 5  # values under a header printed one character per line (table 4: 15)


def _unstack_header(lines: list[_Line], values: _Line, originals: list[Line], out: _Output) -> None:
    """A header printed one character per line over a row of values (结/果/维/持 stacked in each column): its
    lines read column by column — the characters at one position, top to bottom — as one line of header
    words (结果维持 结果纠正 …) in place of the stacked lines. Only the header's words change: the values
    stay a line of their own, read in order."""
    index = values.index - 1
    while index >= 0 and lines[index].blank and values.index - index <= 3:
        index -= 1
    stacked: list[int] = []
    while index >= 0 and _stacked(lines[index]) and index not in out.touched:
        stacked.append(index)
        index -= 1
        if index > 0 and lines[index].blank and _stacked(lines[index - 1]):
            index -= 1  # a blank line inside the header
    if len(stacked) < 2:
        return
    columns: dict[int, list[str]] = {}  # position → the characters stacked there, top to bottom
    for i in sorted(stacked):
        for word in lines[i].labels:
            for offset, char in enumerate(word.text):
                columns.setdefault(word.c0 + offset, []).append(char)
    first = min(stacked)
    for i in stacked:
        out.take_line(lines[i])
    out.before[first] = [Line(" ".join("".join(columns[x]) for x in sorted(columns)), originals[first].where)]


def _stacked(line: _Line) -> bool:
    """A line of a header printed one character per line: three words or more, none longer than two."""
    return not line.values and len(line.labels) >= 3 and all(w.c1 - w.c0 <= 2 for w in line.labels)


def _is_anchor(line: _Line) -> bool:
    if not line.values:
        return False
    return bool(line.labels) or len(line.values) > FLOATING


def _tables(lines: list[_Line]) -> list[list[int]]:
    """Runs of lines that make one table: anchors, floating values, label lines (left of the values of the row
    above or of the row below: a laid-out text places each line's values on its own) and blank lines between
    a first and a last anchor (plus the label lines just above the first). A table goes on over a page break."""
    tables: list[list[int]] = []
    current: list[int] | None = None
    left = 0
    for line in lines:
        if current is not None and line.page != lines[current[-1]].page:
            left = _next_left(lines, line.index)  # another page: its columns may stand elsewhere
        if _is_anchor(line):
            if current is None:
                current = _above(lines, line)
                tables.append(current)
            left = line.value_left
            current.append(line.index)
        elif current is None:
            continue
        elif line.blank or (line.values and not line.labels):
            current.append(line.index)
        elif not line.values and (_left_of(line, left) or _left_of(line, _next_left(lines, line.index))):
            current.append(line.index)  # a label line: left of the values of the row above or below it
        else:
            current = None
    out = []
    for table in tables:
        while table and not _is_anchor(lines[table[-1]]):
            table.pop()
        if table:
            out.append(table)
    return out


def _left_of(line: _Line, left: int) -> bool:
    """Whether every word of the line ends before position ``left`` (give or take ``TOUCH``)."""
    return all(w.c1 <= left + TOUCH for w in line.labels)


def _next_left(lines: list[_Line], start: int) -> int:
    """Where the values of the first anchor within ``LOOKBACK`` lines from ``start`` begin (0: none)."""
    for line in lines[start:start + LOOKBACK]:
        if _is_anchor(line):
            return line.value_left
    return 0


def _above(lines: list[_Line], first: _Line) -> list[int]:
    """Label lines (and blank lines) just above a table's first anchor, up to a line over its values."""
    out: list[int] = []
    for index in range(first.index - 1, max(-1, first.index - 1 - LOOKBACK), -1):
        line = lines[index]
        if line.page != first.page or (line.values and line.labels) or len(line.values) > FLOATING \
                or not all(w.c1 <= first.value_left + TOUCH for w in line.labels):
            break
        out.append(index)
    while out and lines[out[-1]].blank:
        out.pop()
    return sorted(out)


def _blocks(lines: list[_Line], table: list[int], anchors: list[int]) -> list[_Block]:
    """Label pieces linked into blocks: overlapping in position, on lines with no blank line between them."""
    parts = [(i, w) for i in table for w in lines[i].labels]
    parent = list(range(len(parts)))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for a, (line_a, word_a) in enumerate(parts):
        for b in range(a + 1, len(parts)):
            line_b, word_b = parts[b]
            if line_b == line_a:
                continue
            if any(lines[k].blank and not lines[k].page_break for k in range(line_a + 1, line_b)):
                break
            if word_a.c0 < word_b.c1 and word_b.c0 < word_a.c1:
                parent[find(b)] = find(a)
    groups: dict[int, list[tuple[int, _Word]]] = {}
    for k, part in enumerate(parts):
        groups.setdefault(find(k), []).append(part)
    blocks = [_Block(group) for group in groups.values()]
    for block in blocks:
        low, high = block.lines
        block.anchors = [i for i in anchors if low <= i <= high]
    return blocks


def _split(block: _Block, full: set[int]) -> list[_Block] | None:
    """A block beside several anchors cut at item numbers, or (no item numbers) one piece per line when
    each of its pieces lies on an anchor line that prints a value in every column (``full``: rows of their
    own, not a label wrapped over two lines with its values shared between them); None when a piece is
    not beside exactly one anchor."""
    ordered = sorted(block.parts, key=lambda p: (p[0], p[1].c0))
    pieces: list[list[tuple[int, _Word]]] = []
    for part in ordered:
        if not pieces or _MARKER.match(part[1].text):
            pieces.append([part])
        else:
            pieces[-1].append(part)
    if len(pieces) == 1 and all(i in full for i, _ in ordered):
        pieces = [[p for p in ordered if p[0] == i] for i in sorted({i for i, _ in ordered})]
    out = []
    for piece in pieces:
        low, high = min(i for i, _ in piece), max(i for i, _ in piece)
        anchors = [i for i in block.anchors if low <= i <= high]
        if len(anchors) != 1:
            return None
        out.append(_Block(piece, anchors))
    return out


def _read_table(lines: list[_Line], table: list[int], originals: list[Line], out: _Output) -> None:
    anchors = [i for i in table if _is_anchor(lines[i])]
    header = _header(lines, table[0], min(lines[i].value_left for i in anchors))
    if len(anchors) < 2 and (len(header) < 2 or not lines[anchors[0]].labels):
        return  # one line of values, without a header over them or a label: nothing tells its columns
    values = {i: list(lines[i].values) for i in anchors}
    doubtful: set[int] = set()
    merged: dict[int, int] = {}  # a line of floating values → the anchor whose row took them
    _float_values(lines, table, anchors, values, doubtful, merged)
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
            for piece in pieces or ():
                by_anchor[piece.anchors[0]].append(piece)
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
        label = "".join(b.text() for b in labels)
        if any(_DIGIT.search(_ITEM.sub("", w.text)) for b in labels for _, w in b.parts):
            continue  # a value glued to its label (安全一稳0): the row's values cannot all be told
        cells = _cells(values[index], columns[lines[index].page])
        where = originals[index].where
        if cells is None:
            text = " ".join([label, *(v.text for v in values[index])]).strip()
            out.rows[index] = [Line(text, where)]
        else:
            out.rows[index] = [Line(label, where, True), *(Line(c, where, True) for c in cells),
                               Line("", f"{where}末")]
        for block in labels:
            out.take(block.parts)
        out.take([(i, v) for i, row in merged.items() if row == index for v in lines[i].values])
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
        near = [i for i in anchors if low <= i <= high]
        free = [i for i in near if _fits(line.values, values[i])]
        if len(free) == 1 and all(_blocked(line.values, values[i]) for i in near if i != free[0]):
            values[free[0]] = sorted(values[free[0]] + line.values, key=lambda w: w.c0)
            merged[index] = free[0]
            continue
        before = [i for i in anchors if i < index][-1:]
        after = [i for i in anchors if i > index][:1]
        doubtful.update(near or before + after)


def _paragraph(lines: list[_Line], index: int) -> tuple[int, int]:
    """The first and last line of the run of non-blank lines around line ``index``."""
    low, high = index, index
    while low - 1 >= 0 and not lines[low - 1].blank:
        low -= 1
    while high + 1 < len(lines) and not lines[high + 1].blank:
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


def _cells(values: list[_Word], columns: list[tuple[int, int]] | None) -> list[str] | None:
    """The row's cells: in order when it has a value for every column; by position when the columns are known
    and each value lies inside exactly one of them (the others blank); else None."""
    if columns is None:
        return None
    if len(values) == len(columns):
        return [v.text for v in values]
    if not values or len(values) > len(columns) or columns[0] == (0, 0):
        return None
    if any(_GLUED.match(v.text) for v in values):
        return None  # digits of several cells printed together (000121): left to the text's rule
    cells = [""] * len(columns)
    for value in values:
        inside = [k for k, (a, b) in enumerate(columns) if a - 1 <= value.c0 and value.c1 <= b + 1]
        if len(inside) != 1 or cells[inside[0]]:
            return None
        cells[inside[0]] = value.text
    return cells
