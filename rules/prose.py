"""Numbers stated in the prose (section 一), in Arabic or Chinese numerals: 21件, 一起, 两件, 十二件, 3,119件.

Which statements are looked for, and which table cells each must agree with, is data: the ``statements``
parameter of N-APPLICATIONS and N-LITIGATION in ``rules/catalogue.yaml``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
NUMBER = r"(?P<n>\d[\d,，]*|[零〇一二两三四五六七八九十百千万]+)"


def chinese_number(text: str) -> int | None:
    """一 → 1, 两 → 2, 十二 → 12, 一百零五 → 105, 3,119 → 3119; None when it is not a number."""
    text = text.replace(",", "").replace("，", "")
    if text.isdigit():
        return int(text)
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            unit = _UNITS[ch]
            if unit == 10000:
                total += ((section + (digit or 0)) or 1) * unit
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            digit = None
        else:
            return None
    return total + section + (digit or 0)


@dataclass(frozen=True)
class Statement:
    """A number the prose states, e.g. received = 21 in “共受理政府信息公开申请21件”."""

    key: str
    value: int
    sentence: str


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.replace("{N}", NUMBER))


def find_statements(text: str, patterns: dict[str, list[str]]) -> dict[str, Statement]:
    """The first match of each key's patterns in ``text`` (whitespace removed first)."""
    flat = re.sub(r"[\s\u00a0\u3000]+", "", text)
    found: dict[str, Statement] = {}
    for key, options in patterns.items():
        for pattern in options:
            match = _compiled(pattern).search(flat)
            value = chinese_number(match["n"]) if match else None
            if value is not None:
                found[key] = Statement(key, value, _sentence(flat, match.start(), match.end()))
                break
    return found


def _sentence(text: str, start: int, end: int) -> str:
    left = max(text.rfind(ch, 0, start) for ch in "。；;") + 1
    rights = [i for i in (text.find(ch, end) for ch in "。；;") if i >= 0]
    return text[left:min(rights) if rights else len(text)][:120]
