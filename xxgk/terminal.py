"""Tables for the terminal, aligned by display width: a Chinese character takes two columns of a terminal,
a Latin letter one (Unicode East Asian Width: W and F are two columns wide)."""
from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

ELLIPSIS = "…"


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal (wide and full-width characters count two, combining marks 0)."""
    return sum(_char_width(c) for c in text)


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cell_text(value: Any) -> str:
    """A value as the table shows it: missing → empty, booleans → 是/否, lists joined with 、, whole floats
    without “.0”. One line (line breaks become spaces)."""
    if value is None or type(value).__name__ in ("NAType", "NaTType") or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        return "、".join(cell_text(v) for v in value)
    return " ".join(str(value).split())


def clip(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` columns (an ellipsis marks the cut)."""
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for char in text:
        w = _char_width(char)
        if used + w > width - 1:
            break
        out.append(char)
        used += w
    return "".join(out) + ELLIPSIS


def pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(width - display_width(text), 0)
    return gap + text if right else text + gap


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], max_width: int = 60) -> str:
    """Rows under their headers, each column as wide as its widest value (at most ``max_width`` columns;
    longer text is clipped); numbers right-aligned."""
    rows = [list(row) for row in rows]
    texts = [[clip(cell_text(v), max_width) for v in row] for row in rows]
    widths = [max([display_width(h)] + [display_width(r[i]) for r in texts]) for i, h in enumerate(headers)]
    numeric = [bool(rows) and all(_is_number(row[i]) for row in rows) for i in range(len(headers))]
    lines = [_line(headers, widths, [False] * len(headers)), "  ".join("─" * w for w in widths)]
    lines += [_line(r, widths, numeric) for r in texts]
    return "\n".join(line.rstrip() for line in lines)


def _line(values: Sequence[str], widths: list[int], right: list[bool]) -> str:
    return "  ".join(pad(v, w, r) for v, w, r in zip(values, widths, right))


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return False
    return isinstance(value, (int, float)) or type(value).__name__.startswith(("int", "float", "uint"))
