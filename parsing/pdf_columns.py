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

Used only for pages without a ruled grid (or for the text outside a grid that rules a table's header only)
whose text looks like a table (``looks_tabular``: a cheap test on the page's text); other pages keep the
text layer. ``parsing.pdf_glyphs`` gives the characters and lines, ``parsing.pdf_rows`` the tables and
their rows' labels.
"""
from __future__ import annotations

import bisect
from collections.abc import Sequence

from parsing.pdf_glyphs import VALUE, Glyph, Line, Segment, looks_tabular, page_glyphs, printed_lines, text_of
from parsing.pdf_layout import CONTINUES, PageItem
from parsing.pdf_rows import (_MARKER, Band, Block, Table, blank_row, extent, find_tables, is_blank_row, label_blocks,
                              label_lines_above, recut_labels, same_size, split_by_markers, table_size, TOUCH)

__all__ = ["Glyph", "assign", "column_bands", "looks_tabular", "page_glyphs", "printed_lines", "unruled_items"]

HEADER_ZONE = 15.0  # ems above a table's first value line where its header is looked for
EDGE = 0.3          # ems: how far a value may reach out of its column's extent
MAX_VALUES = 2000   # values on one page: a statutory table prints a few hundred at most


# ---------------------------------------------------------------- columns


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
    bands = _jitter_joined(bands, [[(v[0].x0, v[-1].x1) for v in lines[i].values] for i in table.anchors])
    if not header and carried and all(sum(_overlaps(c, *b) for c in carried) == 1 for b in bands):
        return sorted((min([c[0], *(b[0] for b in bands if _overlaps(c, *b))]),
                       max([c[1], *(b[1] for b in bands if _overlaps(c, *b))])) for c in carried)
    pitch = _pitch(bands)
    centres = [(a + b) / 2 for a, b in bands]
    step = min((b - a for a, b in zip(centres, centres[1:])), default=None) if len(bands) >= 3 else None
    over = [s for s in header if any(_overlaps(b, s.x0, s.x1) for b in bands)]
    for segment in sorted(header, key=lambda s: min(g.y0 for g in s.glyphs)):
        if (any(_overlaps(b, segment.x0, segment.x1) for b in bands) or not _beside(segment, over)
                or _continues(segment, over, bands)):
            continue  # over a column already, or the next line of a header cell that is (业 under 商业企)
        if pitch is None or (segment.x1 - segment.x0 <= 1.5 * pitch and _room(bands, segment, step)):
            bands.append((segment.x0, segment.x1))
            bands.sort()
    return bands


def _jitter_joined(bands: list[Band], rows: list[list[Band]]) -> list[Band]:
    """Neighbouring value clusters joined into one column when no row prints a value in both and the gap
    between them is under half the usual gap between columns: the values of one column printed a space
    apart (a cell's text after a leading blank), not two columns."""
    if len(bands) < 3:
        return bands
    gaps = sorted(b[0] - a[1] for a, b in zip(bands, bands[1:]))
    usual = gaps[len(gaps) // 2]
    out = [bands[0]]
    for band in bands[1:]:
        last = out[-1]
        if band[0] - last[1] < 0.5 * usual and not any(
                any(_overlaps(last, *v) for v in row) and any(_overlaps(band, *v) for v in row) for row in rows):
            out[-1] = (last[0], max(last[1], band[1]))
        else:
            out.append(band)
    return out


def _room(bands: list[Band], segment: Segment, step: float | None) -> bool:
    """Whether a column fits where a header cell stands: its centre at least three quarters of a column step
    (``step``: the least distance between the centres of two value columns) from the columns either side.
    A header word printed between two neighbouring columns (glued header text cut apart) is no column."""
    if step is None:
        return True
    middle = (segment.x0 + segment.x1) / 2
    return all(abs((a + b) / 2 - middle) >= 0.75 * step for a, b in bands)


def _continues(segment: Segment, over: list[Segment], bands: list[Band]) -> bool:
    """Whether a header segment is the next line of a header cell over one column: a segment over that
    column just above it (at most 1.2 ems between them) that it overlaps."""
    high = extent(segment)[1]
    em = segment.glyphs[0].em
    return any(_overlaps((o.x0, o.x1), segment.x0, segment.x1) and _only(bands, o.x0, o.x1)
               and 0 <= extent(o)[0] - high <= 1.2 * em for o in over)


def _beside(segment: Segment, others: list[Segment]) -> bool:
    """Whether a header cell stands in a header row beside a cell over a value column (a title line over
    the whole table does not: nothing beside it is over a column)."""
    low, high = extent(segment)
    em = segment.glyphs[0].em
    return any(max(low - extent(o)[1], extent(o)[0] - high) <= em for o in others if o is not segment)


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
        if line.bottom - first.top > HEADER_ZONE * first.em or not same_size(line, table_size(lines, table.anchors)):
            break
        out.extend(s for s in line.segments if s.values is None and s.x0 >= label_right - EDGE * first.em)
    return out


# ---------------------------------------------------------------- cells


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
        if not (VALUE.fullmatch("".join(g.text for g in glyphs)) and a - EDGE * em <= glyphs[0].x0
                and glyphs[-1].x1 <= b + EDGE * em):
            return None
    return pieces


# ---------------------------------------------------------------- the page


def unruled_items(glyphs: list[Glyph], carried: list[Band] | None = None,
                  ruled: tuple[list[Band], float] | None = None,
                  rules: Sequence[tuple[float, float, float]] = ()) -> tuple[list[PageItem], list[Band]] | None:
    """The page in reading order (free lines, and each table row as its label cells and one cell per
    column), and the columns of its last table (carried to the next page); None when the page has no table.
    ``ruled``: the columns of a grid drawn over part of the page (a table's header), and its bottom;
    ``rules``: its horizontal rulings (y, x0, x1), which rule rows off one another."""
    lines = printed_lines(glyphs)
    tables = find_tables(lines)
    if not tables or sum(len(lines[i].values) for t in tables for i in t.anchors) > MAX_VALUES:
        return None  # no table; or more numbers than a report's tables print (left to the text layer)
    used: set[int] = set()  # ids of glyphs read into table rows
    rows: list[PageItem] = []
    previous_end = -1
    bands: list[Band] = []
    for number, table in enumerate(tables):
        above = label_lines_above(lines, table, previous_end)
        recut_labels(lines, table, above)
        blocks = label_blocks(lines, table, above)
        label_right = max((b.x1 for b in blocks if b.anchors), default=float("-inf"))
        header = header_segments(lines, table, previous_end, label_right)
        bands = column_bands(lines, table, header, carried if number == 0 and carried else [], ruled, label_right)
        rests: list[Block] = []
        rows.extend(_table_rows(lines, table, blocks, bands, used, rests, _row_rules(rules, bands)))
        if number == 0 and carried:
            rows.extend(_label_rest_rows(lines, table, blocks + rests, bands, used))
        rows.extend(_stacked_header_cells(header, used))
        previous_end = max(table.anchors + table.label_lines)
    items = rows + [PageItem(max(g.y1 for g in free), text_of(free)) for line in lines
                    if (free := [g for g in line.glyphs if id(g) not in used])]
    items.sort(key=lambda item: (-item.top, bool(item.cells)))
    return items, bands


def _label_rest_rows(lines: list[Line], table: Table, blocks: list[Block], bands: list[Band],
                     used: set[int]) -> list[PageItem]:
    """A table continued from the previous page that opens with label lines beside no value, above every row,
    in the row labels' column and without an item number: the rest of the previous page's last row label (a
    row the page break cut). Returned as a row marked ``CONTINUES`` for ``parsing.pdf_tidy`` to join."""
    labelled = [b for b in blocks if b.anchors]
    if not labelled or not bands:
        return []
    top_row = max(max(s.glyphs[0].base for _, s in b.parts) for b in labelled)
    out = []
    for block in blocks:
        lowest = min(s.glyphs[0].base for _, s in block.parts)
        first = max(block.parts, key=lambda p: p[1].glyphs[0].base)[1]
        em = first.glyphs[0].em
        if (block.anchors or lowest <= top_row or _MARKER.match(block.text())
                or not any(abs(block.x0 - b.x0) <= 0.3 * em for b in labelled)
                or any(id(g) in used for _, s in block.parts for g in s.glyphs)):
            continue
        used.update(id(g) for _, s in block.parts for g in s.glyphs)
        top = max(g.y1 for _, s in block.parts for g in s.glyphs)
        out.append(PageItem(top, CONTINUES, (block.text(), *([""] * len(bands)))))
    return out


STACK_CHARS = 3     # a header cell this narrow (characters a line) may wrap over several lines
STACK_LINES = 2.0   # ems between the baselines of two lines of one stacked header cell


def _stacked_header_cells(header: list[Segment], used: set[int]) -> list[PageItem]:
    """Header cells printed a few characters a line over narrow columns (结/果/维/持, 商业企/业), each read
    as one free line — top to bottom, its word whole — instead of the printed lines that cut across every
    column (结结其尚 / 果果他未总 …). Wider header text (行政复议, 未经复议直接起诉) stays as printed."""
    narrow = sorted((s for s in header if s.values is None and len(s.glyphs) <= STACK_CHARS),
                    key=lambda s: (-s.glyphs[0].base, s.x0))
    below: dict[int, Segment] = {}
    has_above: set[int] = set()
    for index, upper in enumerate(narrow):
        em = upper.glyphs[0].em
        for lower in narrow[index + 1:]:
            step = upper.glyphs[0].base - lower.glyphs[0].base
            if step > STACK_LINES * em:
                break
            if step > 0.5 * em and id(lower) not in has_above and upper.x0 < lower.x1 and lower.x0 < upper.x1:
                below[id(upper)] = lower
                has_above.add(id(lower))
                break
    out = []
    for segment in narrow:
        if id(segment) in has_above or id(segment) not in below:
            continue
        stack = [segment]
        while id(stack[-1]) in below:
            stack.append(below[id(stack[-1])])
        glyphs = [g for part in stack for g in part.glyphs]
        used.update(id(g) for g in glyphs)
        out.append(PageItem(max(g.y1 for g in glyphs), "".join(text_of(part.glyphs) for part in stack)))
    return out


def _row_rules(rules: Sequence[tuple[float, float, float]], bands: list[Band]) -> list[float]:
    """The y of the horizontal rulings drawn across every value column (row borders; not an underline)."""
    if not bands:
        return []
    return sorted(y for y, x0, x1 in rules if x0 <= bands[0][0] and x1 >= bands[-1][1])


def _ruled_band(rules: list[float], y: float) -> int | None:
    """Between which two row rulings ``y`` lies (None outside them, or when there are none)."""
    index = bisect.bisect_left(rules, y)
    return index if 0 < index < len(rules) else None


def _stray_values(lines: list[Line], index: int, labelled: set[int], rules: list[float],
                  used: set[int]) -> tuple[list[list[Glyph]], list[int]]:
    """Numbers printed between the same two row rulings as a row's value line but on a line of their own (a
    value raised, or in a smaller font): the row's too, when no other labelled row lies between those rulings.
    Returns them and the lines they are on."""
    band = _ruled_band(rules, lines[index].cy)
    if band is None or any(_ruled_band(rules, lines[j].cy) == band for j in labelled if j != index):
        return [], []
    found = [(j, v) for j, other in enumerate(lines) if j != index and j not in labelled
             and _ruled_band(rules, other.cy) == band for v in other.values if id(v[0]) not in used]
    return [v for _, v in found], sorted({j for j, _ in found})


def _own_ruled_row(block: Block, lines: list[Line], rules: list[float]) -> int | None:
    """A label beside several value lines that all lie between the same two row rulings: the one value line
    the label is printed on (the others are its row's numbers printed raised or lowered); None otherwise."""
    bands = {_ruled_band(rules, lines[i].cy) for i in block.anchors}
    on_line = [i for i in block.anchors if any(j == i for j, _ in block.parts)]
    return on_line[0] if rules and len(bands) == 1 and None not in bands and len(on_line) == 1 else None


def _widened(bands: list[Band], values: list[list[Glyph]]) -> list[Band]:
    """The columns grown to hold values that overlap exactly one of them (a number printed raised, wider than
    the column's other values)."""
    out = list(bands)
    for value in values:
        hits = [i for i, band in enumerate(out) if _overlaps(band, value[0].x0, value[-1].x1)]
        if len(hits) == 1:
            a, b = out[hits[0]]
            out[hits[0]] = (min(a, value[0].x0), max(b, value[-1].x1))
    return out


def _table_rows(lines: list[Line], table: Table, blocks: list[Block], bands: list[Band],
                used: set[int], rests: list[Block], rules: list[float]) -> list[PageItem]:
    """The table's rows; ``rests`` gets the label pieces above its first row that label none (a label's rest
    from the page before); ``rules``: the y of the row rulings, if any."""
    by_anchor: dict[int, list[Block]] = {i: [] for i in table.anchors}
    doubtful: set[int] = set()
    group: set[int] = set()  # the segments of group labels
    for block in blocks:
        if len(block.anchors) == 1:
            by_anchor[block.anchors[0]].append(block)
    for block in blocks:
        if len(block.anchors) > 1:
            pieces = split_by_markers(block, lines)
            if pieces is not None:
                for piece in pieces:
                    if piece.anchors:
                        by_anchor[piece.anchors[0]].append(piece)
                    else:
                        rests.append(piece)
            elif (own := _own_ruled_row(block, lines, rules)) is not None:
                by_anchor[own].append(block)  # the other value lines are strays between its rulings
            elif not all(by_anchor[i] for i in block.anchors):
                doubtful.update(block.anchors)
            else:  # a group label beside rows that have their own labels (三、本年度办理结果): a free line
                group.update(id(s) for _, s in block.parts)
    blank_rows = [block for block in blocks if is_blank_row(block, blocks, lines, table)]
    out = [blank_row(block, bands) for block in blank_rows]
    used.update(id(g) for block in blank_rows for _, s in block.parts for g in s.glyphs)
    labelled_anchors = {i for i in table.anchors if by_anchor[i] and i not in doubtful}
    strays: dict[int, tuple[list[list[Glyph]], list[int]]] = {
        i: _stray_values(lines, i, labelled_anchors, rules, used) for i in labelled_anchors} if rules else {}
    taken = {j for _, on in strays.values() for j in on}
    for index in table.anchors:
        line = lines[index]
        labels = sorted(by_anchor[index], key=lambda b: b.x0)
        stray, on = strays.get(index, ([], []))
        values = sorted(line.values + stray, key=lambda v: v[0].x0)
        if index in doubtful or (index in taken and not labels):
            continue  # its lines stay free text: which label goes with which values cannot be told
        labelled = {id(s) for b in labels for _, s in b.parts}
        rest = [s for s in line.segments if id(s) not in labelled and id(s) not in group]  # values, text among them
        row_bands = _widened(bands, stray)
        cells = None if not bands or any(s.values is None for s in rest) else assign(values, row_bands, line.em)
        if cells is not None and labels and max(b.x1 for b in labels) > bands[0][0] + TOUCH * line.em:
            cells = None
        if cells is not None and _value_beside_blank(lines, index, cells, bands, on):
            cells = None
        glyphs = [g for b in labels for _, s in b.parts for g in s.glyphs] + [g for s in rest for g in s.glyphs]
        if cells is not None:
            glyphs += [g for v in stray for g in v]
        used.update(id(g) for g in glyphs)
        top = max(g.y1 for g in glyphs)
        if cells is None:  # the text layer's rule: the label, then what follows it in printed order
            out.append(PageItem(top, " ".join([*(b.text() for b in labels), *(text_of(s.glyphs) for s in rest)])))
        else:
            out.append(PageItem(top, "", (*(b.text() for b in labels), *cells)))
    return out


def _value_beside_blank(lines: list[Line], index: int, cells: list[str], bands: list[Band],
                        ruled_in: Sequence[int] = ()) -> bool:
    """Whether a number stands in a blank cell's column less than a line above or below the row (a value printed
    raised or in a smaller font, on a line of its own): that cell is not blank, and which row the number
    belongs to cannot be told, so the row keeps the text rule."""
    line = lines[index]
    near = [other for j, other in enumerate(lines)
            if j != index and j not in ruled_in and abs(other.cy - line.cy) < line.em]
    return any(not cell and any(_overlaps(band, v[0].x0, v[-1].x1) for other in near for v in other.values)
               for cell, band in zip(cells, bands))
