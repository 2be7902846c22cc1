"""Structure by alignment: printed headings and row labels matched to the template by a similarity score.

The exact pass (``parsing.text.find_label``: any whitespace, either kind of bracket, optional item number)
finds what is printed as the template words it. What it misses — a character more or less (其他法律和行政法规
禁止公开), another verb (不再受理 for 不再处理), an older edition's name (规范性文件 for 行政规范性文件), a label
broken by a page footer — is found here by *fitting* each label into the printed text between the rows (or
sections) already found: the edit distance between the label and the best-matching stretch of text, with
free ends in the text (Sellers' algorithm). Confidence = 1 − distance / length of the label.

A fit at or above ``STRONG`` is accepted; one between ``WEAK`` and ``STRONG`` is *weak*: recorded and
reported, and the cells under it are not read (``unplaced``) — never a guess. Every match that is not exact
is kept as an ``Alignment`` record on the report (what was printed, what it was taken for, the confidence,
where), so an officer can check it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

STRONG = 0.75  # accepted
WEAK = 0.5     # reported as a weak match; the row's numbers are not placed
MAX_WINDOW = 600  # characters of text a label is fitted into (a table row's worth, with room to spare)

_FOLD = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "〔": "(", "〕": ")", "：": ":",
                       "，": "、", ",": "、", ".": "、", "．": "、", "；": "、", ";": "、"})
_DROP = frozenset("“”\"'‘’「」《》 \t\r\n\u00a0\u3000-—_*#|")


@dataclass(frozen=True)
class Alignment:
    """One heading or row label that was not printed as the template words it."""

    kind: str          # "section" or "row"
    target: str        # section number ("5") or cell-id prefix of the row ("t3.denied_2")
    label: str         # the template's label
    printed: str       # what the document prints there
    confidence: float  # 1.0 = an exact variant (e.g. the other edition's name)
    how: str           # 近似文字 / 旧版名称 / 补全标签
    where: str
    weak: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "target": self.target, "label": self.label, "printed": self.printed,
                "confidence": round(self.confidence, 3), "how": self.how, "where": self.where, "weak": self.weak}

    def problem(self, table_name: str = "") -> str:
        """The Chinese problem text of a weak match."""
        numeral = "一二三四五六"[int(self.target) - 1] if self.kind == "section" else ""
        what = f"{table_name}“{self.label}”行" if self.kind == "row" else f"第{numeral}部分标题“{self.label}”"
        return (f"{what}只找到近似文字“{self.printed}”（相似度 {self.confidence:.2f}，{self.where}），"
                f"无法确认对应，未采用")


@dataclass(frozen=True)
class Fit:
    """The best stretch text[start:end] for a label, and its confidence."""

    start: int
    end: int
    confidence: float


def normalise(text: str, start: int, end: int) -> tuple[str, list[int]]:
    """text[start:end] folded for comparison (no whitespace or quote marks, one kind of bracket and of list
    separator), and for each kept character its offset in ``text``."""
    chars: list[str] = []
    offsets: list[int] = []
    for i in range(start, end):
        ch = text[i]
        if ch in _DROP:
            continue
        chars.append(ch.translate(_FOLD))
        offsets.append(i)
    return "".join(chars), offsets


@lru_cache(maxsize=4096)
def fold_label(label: str) -> str:
    """A label folded as ``normalise`` folds the text (remembered: the same labels come back report after
    report)."""
    return "".join(ch.translate(_FOLD) for ch in label if ch not in _DROP)


def fit(label: str, text: str, start: int, end: int) -> Fit | None:
    """The stretch of text[start:end] closest to ``label`` (fewest insertions, deletions and substitutions),
    or None when nothing comes within ``WEAK``. On a tie the earliest, then the longest stretch."""
    pattern = fold_label(label)
    if not pattern or end <= start:
        return None
    folded, offsets = normalise(text, start, min(end, start + MAX_WINDOW))
    found = _sellers(pattern, folded)
    if found is None:
        return None
    distance, a, b = found
    a, b = _without_stray_digits(pattern, folded, a, b)
    confidence = 1.0 - distance / len(pattern)
    if confidence < WEAK or b <= a:
        return None
    return Fit(offsets[a], offsets[b - 1] + 1, confidence)


def _without_stray_digits(pattern: str, folded: str, a: int, b: int) -> tuple[int, int]:
    """The stretch folded[a:b] without digits at an end where the label has none: a label whose last words
    are missing (申 of 申请数量 at a cell's end) ties with a stretch that takes the next cell's value "23" as
    substitutes, and a value must never be read as part of a label. The distance is kept (conservative)."""
    if not pattern[-1].isdigit():
        while b > a and folded[b - 1].isdigit():
            b -= 1
    if not pattern[0].isdigit():
        while a < b and folded[a].isdigit():
            a += 1
    return a, b


def _sellers(pattern: str, text: str) -> tuple[int, int, int] | None:
    """(distance, start, end) of the best approximate occurrence of ``pattern`` in ``text``."""
    m = len(pattern)
    if not text:
        return None
    column = list(range(m + 1))           # distances for the text prefix ending before position j
    starts = [0] * (m + 1)                # where the alignment ending there began in the text
    best: tuple[int, int, int] | None = None
    for j, ch in enumerate(text):
        prev_diag, prev_start = column[0], starts[0]
        column[0], starts[0] = 0, j + 1
        for i in range(1, m + 1):
            up, up_start = column[i], starts[i]
            if pattern[i - 1] == ch:
                cost, origin = prev_diag, prev_start
            else:
                cost, origin = prev_diag + 1, prev_start          # substitution
            if up + 1 < cost:                                      # the text character is extra
                cost, origin = up + 1, up_start
            if column[i - 1] + 1 < cost:                           # the label character is missing
                cost, origin = column[i - 1] + 1, starts[i - 1]
            prev_diag, prev_start = up, up_start
            column[i], starts[i] = cost, origin
        if best is None or column[m] < best[0] or (column[m] == best[0] and starts[m] == best[1]):
            best = (column[m], starts[m], j + 1)  # on a tie from the same start, the longer stretch
    if best is None or best[2] <= best[1]:
        return None
    return best


_ITEM_BEFORE = re.compile(r"(?:[（(][一二三四五六七八九十]{1,2}[）)]|[一二三四五六七八九十]{1,2}[、.．]"
                          r"|第[一二三四五六七八九十]{1,2}部分|[1-9][.、．,，])[\s\u00a0\u3000]*$")


def widen_to_item(text: str, low: int, start: int) -> int:
    """``start`` moved back over the item number printed right before it (（三） / 2. / 五、), if any."""
    match = _ITEM_BEFORE.search(text, max(low, start - 8), start)
    return match.start() if match else start
