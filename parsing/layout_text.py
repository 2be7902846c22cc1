"""Tables of a *laid-out* text (``pdftotext -layout``, pypdf's layout mode): rows from positions.

Such a text prints a table as a monospace picture: each value in its column (character positions), a row's
label wrapped over lines above and below its values, group labels (三、本年度办理结果) in a column of their own
and cut into pieces beside the rows they span, a value vertically centred on a line of its own. Read as running
text, a wrapped label is cut by its values and by the group column's pieces, so the row is not found.

Here each table becomes what a web page's table becomes (``parsing.readers``): one label cell, one cell per
value column and a row end. The rules (those of ``parsing.pdf_rows``, in character positions):

* a value line (*anchor*) is a line ending in numbers set apart (two spaces or more) from any text, or a line
  of three numbers or more; a table is a run of anchors with label lines (text left of the values of the row
  above or below) between them, over page breaks (form feeds); a line with text over the value columns (a
  header, a heading, prose) ends it;
* label pieces on lines with no blank line between them that overlap in position are one block (a label
  wrapped over lines); a block goes with the anchor whose line lies within its lines; a block beside several
  anchors is cut at item numbers (1. （一） 一、), or line by line when each line is a full row; else it is a
  group label when it stands left of the labels of each of those rows (kept as a line of text before the
  first), else the rows cannot be told apart and stay text; a label with a digit glued to it (稳0) stays text;
* a row's label is its blocks, left to right, each top to bottom;
* one or two numbers on a line of their own (a value centred higher in its cell) join the one anchor of their
  paragraph (lines with no blank line between) whose columns there are free while every other one prints a
  value there; otherwise the rows around them stay text (never a guessed row);
* values: a row with as many values as the table's fullest row is read in order; a shorter row is read by
  position — each value inside exactly one column (per page: the extents of that column's values in two
  full rows or more, else the header cells over the values), at most one per column, the others blank — or
  stays text (fewer values than columns → ``missing``); a glued run (000121) is never placed by position;
* a header printed one character per line (table 4's 结/果/维/持) is read column by column into its words;
* a Chinese character takes one position (pdftotext) or two (a monospace picture): the reading under which
  the values of labelled lines stand at fewer positions is taken.

Only a text that looks laid out (``looks_laid_out``: lines with numbers set apart by runs of spaces) comes
here; any other text is read exactly as before. This module finds the words, the pages and the tables;
``parsing.layout_rows`` reads each table's rows.
"""
from __future__ import annotations

import re
from itertools import accumulate
from unicodedata import east_asian_width

from parsing.layout_rows import FLOATING, _Line, _Output, _read_table, _Word, _is_anchor
from parsing.lines import Line

_WORD = re.compile(r"\S+")
_VALUE = re.compile(r"[+\-−–]?\d+(?:,\d{3})*(?:\.\d+)?(?:万元|元|件|个|项|条|人次|%|％)?")
_UNIT = frozenset({"万元", "元", "件", "个", "项", "条", "人次", "%", "％"})
_NA = frozenset({"/", "／", "—", "——", "-", "--", "－", "–"})
_TWO_APART = re.compile(r"\d {2,}[+\-−–]?\d")
_ONE_APART = re.compile(r"\d [+\-−–]?\d")
MAX_LINES = 10_000  # lines of a text read by position (a report printed by pdftotext: ~100 a page)
MIN_LAID_OUT = 3  # lines with two numbers set apart by spaces: fewer, and the text is not a laid-out table
LOOKBACK = 8      # lines above a table's first anchor searched for its label
TOUCH = 1         # positions a label line may reach into the first value column (a tight layout rounds)


def looks_laid_out(text: str) -> bool:
    """Whether the text prints tables as a monospace picture: at least ``MIN_LAID_OUT`` places where two numbers
    stand two spaces apart or more, and no more places where they stand one space apart (a text layer that
    prints a row's values one space apart, with a wider gap here and there, is not laid out)."""
    apart = sum(1 for _ in _TWO_APART.finditer(text))
    return apart >= MIN_LAID_OUT and apart >= sum(1 for _ in _ONE_APART.finditer(text))


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
    if len(raws) != len(lines) or len(lines) > MAX_LINES:
        return lines  # (a report has a few thousand lines at most: a longer text keeps the text's rules)
    pages = _pages(raws)
    texts = [raws[i].rstrip("\r\n") if not ln.cell else "" for i, ln in enumerate(lines)]
    parsed = [_parse_line(i, t, pages[i]) for i, t in enumerate(texts)]
    mixed = [line.index for line in parsed if line.labels and line.values]  # where the two readings differ
    wide = [_parse_line(i, texts[i], pages[i], True) for i in mixed]
    if _spread(wide) < _spread([parsed[i] for i in mixed]):  # Chinese characters laid out two positions wide
        parsed = [_parse_line(i, t, pages[i], True) for i, t in enumerate(texts)]
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


