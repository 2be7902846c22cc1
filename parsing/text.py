"""The document as one string with a map back to its lines, plus label patterns and value tokens."""
from __future__ import annotations

import bisect
import heapq
import re
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from operator import add, attrgetter
from typing import Literal

from parsing.readers import Document, Line

TokenKind = Literal["number", "blank", "na", "text", "break", "missing"]

_BRACKET = {"（": "[（(]", "(": "[（(]", "）": "[）)]", ")": "[）)]", "：": "[：:]", ":": "[：:]"}
_QUOTES = "“”\"'‘’「」"
_GAP = r"[\s\u00a0\u3000]*"
_CN_DIGITS = "一二三四五六七八九十"
ITEM_PREFIX = (rf"(?:(?:[（(]{_GAP}[{_CN_DIGITS}]{{1,2}}{_GAP}[）)]|[{_CN_DIGITS}]{{1,2}}{_GAP}[、.．]"
               rf"|[1-9]{_GAP}[.、．,，](?!\d)){_GAP})?")
_NUMBER = re.compile(r"[+\-−–]?\d+(?:,\d{3})*(?:\.\d+)?")
_UNIT = r"(?:万元|元|件|个|项|条|人次|%|％)"
_NUMBER_TOKEN = re.compile(rf"(?P<num>[+\-−–]?\d+(?:,\d{{3}})*(?:\.\d+)?){_GAP}(?P<unit>{_UNIT})?")
_CELL_NUMBER = re.compile(rf"(?P<num>[+\-−–]?\d+(?:,\d{{3}})*(?:\.\d+)?){_GAP}(?P<unit>{_UNIT})?")
NA_TEXTS = frozenset({"/", "／", "—", "——", "-", "--", "－", "–", "无", "不适用", "N/A", "n/a", "/ ", "\\"})
_SPACE = " \t\u00a0\u3000\r"


@dataclass(slots=True)
class Token:
    """One value-or-text token in a table region, with the line it came from.

    Never mutated once made (a glued piece is a new token, see ``readings``); not declared frozen only
    because a frozen dataclass is several times slower to construct, and a report makes hundreds."""

    kind: TokenKind
    raw: str
    where: str
    cell: bool
    value: float | int | None = None
    unit: str | None = None
    glued: str = ""


_TEXT_OF = attrgetter("text")


class TextMap:
    """All lines joined by newlines; maps a character offset back to its ``Line``."""

    def __init__(self, document: Document) -> None:
        self.lines = document.lines
        texts = list(map(_TEXT_OF, document.lines))
        self.text = "\n".join(texts)
        # line i starts after the i lines before it and their i newlines
        self._starts: list[int] = list(map(add, accumulate(map(len, texts), initial=0), range(len(texts))))

    @property
    def line_starts(self) -> list[int]:
        """The offset in ``text`` where each line starts."""
        return self._starts

    def line_index(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self._starts, offset) - 1)

    def line_at(self, offset: int) -> Line:
        return self.lines[self.line_index(offset)]

    def where(self, offset: int) -> str:
        return self.line_at(offset).where if self.lines else ""

    def pieces(self, start: int, end: int) -> list[tuple[str, Line, bool]]:
        """The text in [start, end) cut at line ends: (text, line, whole_line)."""
        out: list[tuple[str, Line, bool]] = []
        if start >= end:
            return out
        first, last = self.line_index(start), self.line_index(max(start, end - 1))
        for i in range(first, last + 1):
            lo, hi = self._starts[i], self._starts[i] + len(self.lines[i].text)
            a, b = max(lo, start), min(hi, end)
            whole = a == lo and b == hi
            if a <= b:
                out.append((self.text[a:b], self.lines[i], whole))
        return out


@cache
def label_regex(label: str, numbered: int | None = None) -> re.Pattern[str]:
    """A pattern for a printed label: any whitespace between characters, full/half-width brackets and
    quotes interchangeable, and an optional item number (一、 / （一） / 1.) in front of it."""
    prefix = rf"{numbered}{_GAP}[.、．,，]{_GAP}" if numbered is not None else ITEM_PREFIX
    return re.compile(prefix + label_body(label))


def literal_first(label: str) -> str:
    """The label's first character when its pattern matches exactly that character there (not an optional
    quote, nor one of interchangeable brackets or separators); else ""."""
    first = "".join(label.split())[:1]
    return "" if first in _QUOTES or first in _BRACKET or first in "、.．" else first


def label_body(label: str) -> str:
    """The pattern text of a label alone (no item number)."""
    parts = []
    for ch in label:
        if ch.isspace():
            continue
        if ch in _QUOTES:
            parts.append(f"[{re.escape(_QUOTES)}]?")
        elif ch in _BRACKET:
            parts.append(_BRACKET[ch])
        elif ch in "、.．":
            parts.append("[、.．,，]")
        else:
            parts.append(re.escape(ch))
    return _GAP.join(parts)


@cache
def _body_regex(label: str) -> re.Pattern[str]:
    return re.compile(label_body(label))


@cache
def _patterns(label: str, numbered: int | None) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The label's body pattern (searched first) and its full pattern with the item number."""
    return _body_regex(label), label_regex(label, numbered)


_PREFIX_REACH = 16  # how far before a label its item number (（一） / 1.) may start


def find_label(text: str, labels: tuple[str, ...], start: int, end: int,
               numbered: int | None = None) -> re.Match[str] | None:
    """The earliest match in text[start:end] of any of the label variants (the longest on a tie).
    The label itself is searched first (fast: it starts with a literal character), then the match is
    widened to the item number printed before it."""
    best: re.Match[str] | None = None
    for label in labels:
        match = _find_one(text, label, start, end, numbered)
        if match is not None and (best is None or match.start() < best.start()
                                  or (match.start() == best.start() and match.end() > best.end())):
            best = match
    return best


def has_label(text: str, label: str, start: int = 0, end: int | None = None) -> bool:
    """Whether ``find_label(text, (label,), start, end)`` finds the (unnumbered) label. It does exactly when
    the label itself occurs: its item number is optional, so the first occurrence always gives a match."""
    return _body_regex(label).search(text, start, len(text) if end is None else end) is not None


class LabelWalk:
    """``find_label(text, labels, start, end)`` for a ``start`` that only moves forward (a walk along a
    header), without searching every label again at each step.

    A label's match found searching from ``p`` is also its match from any later start up to the match's
    own start, and a label not found from ``p`` is not found from any later start either: a later start
    only drops occurrences before it and narrows each widening window from below, and a regex match at a
    given position does not depend on where the search began. So each label is searched again only once
    the start has passed its match; the matches wait in a heap ordered as ``find_label`` picks them
    (earliest start, then longest, then first label)."""

    def __init__(self, text: str, labels: tuple[str, ...], end: int) -> None:
        self._text = text
        self._labels = labels
        self._end = end
        self._heap: list[tuple[int, int, int, re.Match[str]]] = []
        self._stale = list(range(len(labels)))  # labels to search (again) at the next ``find``
        self._start = 0

    def find(self, start: int) -> re.Match[str] | None:
        """``find_label(text, labels, start, end)``; ``start`` must not be before the previous one."""
        if start < self._start:
            raise ValueError("LabelWalk.find: start moved back")
        self._start = start
        heap = self._heap
        while heap and heap[0][0] < start:
            self._stale.append(heapq.heappop(heap)[2])
        for index in self._stale:
            match = _find_one(self._text, self._labels[index], start, self._end, None)
            if match is not None:
                heapq.heappush(heap, (match.start(), -match.end(), index, match))
        self._stale = []
        return heap[0][3] if heap else None


def _find_one(text: str, label: str, start: int, end: int, numbered: int | None) -> re.Match[str] | None:
    body_regex, full = _patterns(label, numbered)
    pos = start
    while (body := body_regex.search(text, pos, end)) is not None:
        body_start = body.start()
        low = max(start, body_start - _PREFIX_REACH)
        if numbered is None:
            match = _widen(text, full, low, body_start, body.end())
        else:
            match = full.search(text, low, body.end())
        if match is not None:
            return match
        pos = body_start + 1
    return None


# The characters a printed item number (ITEM_PREFIX, when not empty) can begin with.
_PREFIX_START = re.compile(rf"[（({_CN_DIGITS}1-9]")


def _widen(text: str, full: re.Pattern[str], low: int, body_start: int, body_end: int) -> re.Match[str] | None:
    """``full.search(text, low, body_end)`` for a label whose item number is optional, where ``body_start`` is
    the first place at or after ``low`` where the label itself matches (``_find_one``'s first try).

    The search tries each position in turn; the match it returns is ``full.match`` at the first position that
    has one. Before ``body_start`` only an item number can begin a match, and it begins with one of
    ``_PREFIX_START``: only those positions are tried, and then ``body_start`` (where the label alone
    matches, so a match is always found). Each next candidate is found by a search (cheaper than ``finditer``,
    which makes an iterator for the few candidates there are)."""
    pos = low
    while (candidate := _PREFIX_START.search(text, pos, body_start)) is not None:
        pos = candidate.start()
        match = full.match(text, pos, body_end)
        if match is not None:
            return match
        pos += 1
    return full.match(text, body_start, body_end)


def compact(text: str) -> str:
    """Text without any whitespace (for matching labels that were broken across lines)."""
    # str.split() cuts at exactly what [\s\u00a0\u3000] matches (str.isspace(), U+00A0 and U+3000 among them)
    return "".join(text.split())


# ---------------------------------------------------------------- tokens


def to_number(num: str) -> float | int:
    if num.isdigit():  # the common case: nothing to clean, and int() reads it as below
        return int(num)
    clean = num.replace(",", "").replace("−", "-").replace("–", "-").lstrip("+")
    return float(clean) if "." in clean else int(clean)


_CELL_STRIP = _SPACE + "\n"


def cell_token(text: str, line: Line) -> Token:
    """A whole table cell: blank, n/a marker, a number (with optional unit) or text."""
    stripped = text.strip(_CELL_STRIP)
    if stripped.isdigit() and stripped.isascii():  # fast path: what _CELL_NUMBER reads as a plain integer
        return Token("number", stripped, line.where, True, int(stripped), None)
    if not stripped:
        return Token("blank", text, line.where, True)
    if stripped in NA_TEXTS:
        return Token("na", stripped, line.where, True)
    match = _CELL_NUMBER.fullmatch(stripped)
    if match:
        return Token("number", stripped, line.where, True, to_number(match["num"]), match["unit"])
    if is_placeholder(stripped):
        return Token("missing", stripped, line.where, True)
    return Token("text", stripped, line.where, True)


def is_placeholder(text: str) -> bool:
    """OCR's placeholder for a cell with ink it could not read (``〔OCR无法辨认〕``, ``parsing.ocr``): it holds
    the cell's place in its row, and the cell is ``missing`` — never a value, never a blank. (The grid
    readers' ``〔与上方单元格合并〕`` stays text: a label cell merged down stands in the label columns.)"""
    return text.startswith("〔OCR") and text.endswith("〕")


def free_tokens(text: str, line: Line) -> list[Token]:
    """Tokens of running text: runs of digits split from the words glued to them."""
    tokens: list[Token] = []
    _add_free_tokens(tokens, text, line.where)
    return tokens


def _add_free_tokens(tokens: list[Token], text: str, where: str) -> None:
    # str.split() already cuts at U+00A0 and U+3000 (both isspace()), so no chunk is empty or edged by them.
    for chunk in text.split():
        if chunk.isdigit() and chunk.isascii():  # fast path: one plain integer, as _NUMBER_TOKEN reads it
            tokens.append(Token("number", chunk, where, False, int(chunk), None))
        elif chunk in NA_TEXTS:
            tokens.append(Token("na", chunk, where, False))
        else:
            _add_chunk(tokens, chunk, where)


def _add_chunk(tokens: list[Token], chunk: str, where: str) -> None:
    """A word split into its numbers (with optional unit) and the text between them."""
    pos = 0
    for match in _NUMBER_TOKEN.finditer(chunk):
        match_start = match.start()
        if match_start > pos:
            tokens.append(Token("text", chunk[pos:match_start], where, False))
        tokens.append(Token("number", match.group(0), where, False, to_number(match["num"]), match["unit"]))
        pos = match.end()
    if pos < len(chunk):
        tokens.append(Token("text", chunk[pos:], where, False))


def region_tokens(textmap: TextMap, start: int, end: int) -> list[Token]:
    """Tokens in text[start:end]: whole cell lines become one token each (a blank cell is kept);
    partial lines (the rest of a label's line) and ordinary lines are split into words; an empty
    line becomes a ``break`` (in tab-per-cell text and in HTML/Word tables it ends a table row)."""
    tokens: list[Token] = []
    lines, starts = textmap.lines, textmap.line_starts
    if start >= end or not lines:
        return tokens
    first = max(0, bisect.bisect_right(starts, start) - 1)  # textmap.line_index(start), inlined
    last = max(0, bisect.bisect_right(starts, end - 1) - 1)
    # Only the first and the last line can be cut by [start, end): the lines in between are whole.
    whole_from = first if starts[first] >= start else first + 1
    whole_to = last + 1 if starts[last] + len(lines[last].text) <= end else last
    if whole_from > first:
        _add_part(tokens, textmap, first, start, end)
    append = tokens.append
    for line in lines[whole_from:whole_to]:
        if line.cell:
            append(cell_token(line.text, line))
        elif line.text.strip():
            _add_free_tokens(tokens, line.text, line.where)
        else:
            append(Token("break", "", line.where, False))
    if whole_to == last and whole_from <= last:  # the last line is cut (and is not the first, done above)
        _add_part(tokens, textmap, last, start, end)
    return tokens


def _add_part(tokens: list[Token], textmap: TextMap, index: int, start: int, end: int) -> None:
    """The words of the part of line ``index`` within [start, end) (an empty part has none)."""
    lo = max(start, textmap.line_starts[index])
    hi = min(end, textmap.line_starts[index] + len(textmap.lines[index].text))
    if lo < hi:
        _add_free_tokens(tokens, textmap.text[lo:hi], textmap.lines[index].where)
