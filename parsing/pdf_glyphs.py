"""Characters of a PDF page with their positions, grouped into printed lines and cut into segments.

What ``parsing.pdf_columns`` reads a table without rulings from: each character's advance box (where the
font puts it, so a gap between two boxes is a real gap, whatever the glyphs look like), its baseline (the
characters of one printed line share it: a label line half a line above a value line stays its own line)
and its em. A line is cut into segments where a gap wider than ``CELL_GAP`` ems opens (two cells); a
segment made of numbers (or n/a marks) only is a value segment.
"""
from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass

from parsing.pdf_layout import MAX_CHARS, Box, line_text
from parsing.text import NA_TEXTS

CELL_GAP = 0.6      # ems: a gap this wide between two characters of a line separates two cells
NUMBER_GAP = 0.2    # ems: a gap this wide between two digits separates two numbers
BASELINE = 0.15     # ems: characters whose baselines are this close are on one printed line
SHORT_LABEL = 20    # characters: a row label before its only value is shorter than a line of prose

VALUE = re.compile(r"[+\-−–]?\d+(?:,\d{3})*(?:\.\d+)?(?:万元|元|件|个|项|条|人次|%|％)?")  # a cell's number
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


def _split_at_gaps(glyphs: list[Glyph], gap: float) -> list[list[Glyph]]:
    """``glyphs`` (left to right) cut wherever the space between two neighbours is wider than ``gap``."""
    runs: list[list[Glyph]] = [[glyphs[0]]]
    for glyph in glyphs[1:]:
        if glyph.x0 - runs[-1][-1].x1 > gap:
            runs.append([glyph])
        else:
            runs[-1].append(glyph)
    return runs


def _segments(chars: list[Glyph], em: float) -> list[Segment]:
    return [Segment(run, values_of(run, em)) for run in _split_at_gaps(chars, CELL_GAP * em)]


def values_of(run: list[Glyph], em: float) -> list[list[Glyph]] | None:
    """The numbers (or n/a marks) a segment is made of, split where two digits stand apart; None when
    the segment is text."""
    parts = _split_at_gaps(run, NUMBER_GAP * em)
    texts = ["".join(g.text for g in part) for part in parts]
    if all(VALUE.fullmatch(t) for t in texts):
        return parts
    joined = "".join(texts)
    return [run] if joined in NA_TEXTS else None


def text_of(glyphs: list[Glyph]) -> str:
    return line_text(list(glyphs))
