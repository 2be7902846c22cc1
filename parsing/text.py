"""The document as one string with a map back to its lines, plus label patterns and value tokens."""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from parsing.readers import Document, Line

TokenKind = Literal["number", "blank", "na", "text", "break"]

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


@dataclass(frozen=True)
class Token:
    """One value-or-text token in a table region, with the line it came from."""

    kind: TokenKind
    raw: str
    where: str
    cell: bool
    value: float | int | None = None
    unit: str | None = None
    glued: str = ""


class TextMap:
    """All lines joined by newlines; maps a character offset back to its ``Line``."""

    def __init__(self, document: Document) -> None:
        self.lines = document.lines
        self.text = "\n".join(line.text for line in document.lines)
        self._starts: list[int] = []
        offset = 0
        for line in document.lines:
            self._starts.append(offset)
            offset += len(line.text) + 1

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


_PREFIX_REACH = 16  # how far before a label its item number (（一） / 1.) may start


def find_label(text: str, labels: tuple[str, ...], start: int, end: int,
               numbered: int | None = None) -> re.Match[str] | None:
    """The earliest match in text[start:end] of any of the label variants (the longest on a tie).
    The label itself is searched first (fast: it starts with a literal character), then the match is
    widened to the item number printed before it."""
    best: re.Match[str] | None = None
    for label in labels:
        match = _find_one(text, label, start, end, numbered)
        if match and (best is None or (match.start(), -match.end()) < (best.start(), -best.end())):
            best = match
    return best


def _find_one(text: str, label: str, start: int, end: int, numbered: int | None) -> re.Match[str] | None:
    full = label_regex(label, numbered)
    pos = start
    while (body := _body_regex(label).search(text, pos, end)) is not None:
        match = full.search(text, max(start, body.start() - _PREFIX_REACH), body.end())
        if match is not None:
            return match
        pos = body.start() + 1
    return None


def compact(text: str) -> str:
    """Text without any whitespace (for matching labels that were broken across lines)."""
    return re.sub(r"[\s\u00a0\u3000]+", "", text)


# ---------------------------------------------------------------- tokens


def to_number(num: str) -> float | int:
    clean = num.replace(",", "").replace("−", "-").replace("–", "-").lstrip("+")
    return float(clean) if "." in clean else int(clean)


def cell_token(text: str, line: Line) -> Token:
    """A whole table cell: blank, n/a marker, a number (with optional unit) or text."""
    stripped = text.strip(_SPACE + "\n")
    if not stripped:
        return Token("blank", text, line.where, True)
    if stripped in NA_TEXTS:
        return Token("na", stripped, line.where, True)
    match = _CELL_NUMBER.fullmatch(stripped)
    if match:
        return Token("number", stripped, line.where, True, to_number(match["num"]), match["unit"])
    return Token("text", stripped, line.where, True)


def free_tokens(text: str, line: Line) -> list[Token]:
    """Tokens of running text: runs of digits split from the words glued to them."""
    tokens: list[Token] = []
    for chunk in text.split():
        chunk = chunk.strip("\u00a0\u3000")
        if not chunk:
            continue
        if chunk in NA_TEXTS:
            tokens.append(Token("na", chunk, line.where, False))
            continue
        tokens.extend(_split_chunk(chunk, line))
    return tokens


def _split_chunk(chunk: str, line: Line) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    for match in _NUMBER_TOKEN.finditer(chunk):
        if match.start() > pos:
            tokens.append(Token("text", chunk[pos:match.start()], line.where, False))
        tokens.append(Token("number", match.group(0), line.where, False, to_number(match["num"]), match["unit"]))
        pos = match.end()
    if pos < len(chunk):
        tokens.append(Token("text", chunk[pos:], line.where, False))
    return tokens


def region_tokens(textmap: TextMap, start: int, end: int) -> list[Token]:
    """Tokens in text[start:end]: whole cell lines become one token each (a blank cell is kept);
    partial lines (the rest of a label's line) and ordinary lines are split into words; an empty
    line becomes a ``break`` (in tab-per-cell text and in HTML/Word tables it ends a table row)."""
    tokens: list[Token] = []
    for text, line, whole in textmap.pieces(start, end):
        if whole and not line.cell and not text.strip():
            tokens.append(Token("break", "", line.where, False))
        elif line.cell and whole:
            tokens.append(cell_token(text, line))
        else:
            tokens.extend(free_tokens(text, line))
    return tokens
