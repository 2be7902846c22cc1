"""Markdown tables as PDF→markdown converters print them, applied to ``render_txt(spec, "markdown")``.

The numbers never move out of their row, so a reader that goes by row labels and column count reads every
printed cell back exactly; what the converters damage is everything around them:

* ``bogus_header`` — each table opens with an invented header row (``| 数据1 | 数据2 | … |``) and its separator;
  the real header rows follow as ordinary rows;
* ``dash_blanks`` — an empty cell printed as ``-``;
* ``split_table`` — a table cut in two at a page break, the second part under a header of its own
  (``| 列1 | 列2 | … |``) — rows moved under a wrong header;
* ``split_label`` — a long row label broken over two table rows, the first with empty value cells;
* ``dropped_trailing`` — a row's trailing empty cells left out (the row is short at its end).
"""
from __future__ import annotations

import random
import re
from collections.abc import Callable

_SEPARATOR = re.compile(r"^\|(?:\s*:?-+:?\s*\|)+\s*$")


def _cells(line: str) -> list[str] | None:
    stripped = line.strip()
    if not (stripped.startswith("|") and stripped.endswith("|")) or _SEPARATOR.match(stripped):
        return None
    return [c.strip() for c in stripped[1:-1].split("|")]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _tables(lines: list[str]) -> list[tuple[int, int]]:
    """(first, end) line indexes of each markdown table."""
    out, start = [], None
    for i, line in enumerate([*lines, ""]):
        if line.strip().startswith("|"):
            start = i if start is None else start
        elif start is not None:
            out.append((start, i))
            start = None
    return out


def bogus_header(lines: list[str], rng: random.Random) -> list[str]:
    out = list(lines)
    for start, end in reversed(_tables(lines)):
        width = max(len(_cells(line) or []) for line in lines[start:end])
        body = [line for line in lines[start:end] if not _SEPARATOR.match(line.strip())]
        header = _row([f"数据{i}" for i in range(1, width + 1)])
        out[start:end] = [header, "|" + "---|" * width, *body]
    return out


def dash_blanks(lines: list[str], rng: random.Random) -> list[str]:
    out = []
    for line in lines:
        cells = _cells(line)
        if cells and any(re.fullmatch(r"[\d.]+", c) for c in cells):
            first = next(i for i, c in enumerate(cells) if re.fullmatch(r"[\d.]+", c))
            cells = cells[:first] + [c or "-" for c in cells[first:]]
            line = _row(cells)
        out.append(line)
    return out


def split_table(lines: list[str], rng: random.Random) -> list[str]:
    out = list(lines)
    for start, end in reversed(_tables(lines)):
        rows = [i for i in range(start, end) if (_cells(lines[i]) or [""])[-1:] and _numbers(lines[i])]
        if len(rows) < 4:
            continue
        cut = rows[rng.randrange(1, len(rows) - 1)]
        width = len(_cells(lines[cut]) or [])
        out[cut:cut] = ["", "- 3 -", "", _row([f"列{i}" for i in range(1, width + 1)]), "|" + "---|" * width]
    return out


def split_label(lines: list[str], rng: random.Random) -> list[str]:
    out = []
    for line in lines:
        cells = _cells(line)
        label = next((i for i, c in enumerate(cells or []) if len(c) >= 12 and not c.isdigit()), None)
        if cells and label is not None and _numbers(line) and rng.random() < 0.5:
            text = cells[label]
            cut = len(text) // 2
            first = [*cells[:label], text[:cut]] + [""] * (len(cells) - label - 1)
            second = [""] * label + [text[cut:], *cells[label + 1:]]
            out.extend([_row(first), _row(second)])
            continue
        out.append(line)
    return out


def dropped_trailing(lines: list[str], rng: random.Random) -> list[str]:
    out = []
    for line in lines:
        cells = _cells(line)
        if cells and _numbers(line) and cells[-1] == "":
            while cells and cells[-1] == "":
                cells.pop()
            line = _row(cells)
        out.append(line)
    return out


def _numbers(line: str) -> bool:
    return any(re.fullmatch(r"[\d.]+", c) for c in _cells(line) or [])


VARIANTS: dict[str, Callable[[list[str], random.Random], list[str]]] = {
    "bogus_header": bogus_header, "dash_blanks": dash_blanks, "split_table": split_table,
    "split_label": split_label, "dropped_trailing": dropped_trailing,
}


def apply(text: str, names: list[str], seed: int = 0) -> str:
    """``text`` (markdown-style txt) with the named converter damage applied, in order."""
    rng = random.Random(seed)
    lines = text.splitlines()
    for name in names:
        lines = VARIANTS[name](lines, rng)
    return "\n".join(lines) + "\n"
