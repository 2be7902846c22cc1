"""Report year and body for documents without a usable title line.

Year, in order of trust: the title; the statistical period (统计期限/统计时限 自2023年1月1日至2023年12月31日);
the text (the year section 一 speaks of); the page's publication date (发布时间 2024-01-03 → 2023: reports are
published early in the next year); the file name. The source is recorded (``Report.year_source``).
Body: the title; else the signature before the closing date; else the preface (由…编制 / 请与…联系).
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import PurePath

_G = r"[\s\u00a0\u3000]*"
_YEAR = r"((?:19|20)\d{2})"
_PERIOD = re.compile(
    rf"(?:统计(?:期限|时限|时间|区间|周期|范围)|数据)[^。\n]{{0,24}}?{_YEAR}{_G}年{_G}0?1{_G}月{_G}0?1{_G}日{_G}(?:起)?{_G}"
    rf"(?:至|到|—|-|~|－){_G}(?:{_YEAR}{_G}年{_G})?12{_G}月{_G}31{_G}日")
_FROM = re.compile(rf"自{_G}{_YEAR}{_G}年{_G}0?1{_G}月{_G}0?1{_G}日")
_YEAR_WORD = re.compile(rf"(?<!\d){_YEAR}{_G}年(?!{_G}\d{{1,2}}{_G}月)")
_PUBLISHED = re.compile(rf"(?:发布日期|发布时间|公开日期|成文日期|时间){_G}[：:]{_G}{_YEAR}{_G}[-年/.]{_G}(\d{{1,2}})")
_FILE_YEAR = re.compile(r"(?<!\d)(20[0-4]\d)(?!\d)")

SOURCES = ("title", "period", "text", "published", "file_name")


def year_of(title_year: int | None, text: str, preface: str, section_one: str | None,
            name: str) -> tuple[int | None, str | None]:
    """(year, source) — the most trusted source that gives one."""
    if title_year is not None:
        return title_year, "title"
    period = _period_year(text)
    if period is not None:
        return period, "period"
    spoken = _spoken_year(section_one)
    if spoken is not None:
        return spoken, "text"
    published = _PUBLISHED.search(preface)
    if published is not None:
        return int(published.group(1)) - 1, "published"
    in_name = _FILE_YEAR.findall(PurePath(name).name)
    if len(set(in_name)) == 1:
        return int(in_name[0]), "file_name"
    return None, None


def _period_year(text: str) -> int | None:
    match = _PERIOD.search(text)
    if match is not None:
        return int(match.group(2) or match.group(1))
    match = _FROM.search(text)
    return int(match.group(1)) if match else None


def _spoken_year(section_one: str | None) -> int | None:
    """The year section 一 is about: the year it names most often (never a date), when one stands out."""
    if not section_one:
        return None
    counts = Counter(int(y) for y in _YEAR_WORD.findall(section_one[:3000]))
    if not counts:
        return None
    ranked = counts.most_common(2)
    if len(ranked) == 2 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


_BODY_END = r"(?:人民政府|办事处|管理委员会|管委会|委员会|办公厅|办公室|管理局|局|厅|委|中心|街道|镇|乡)"
# a contact office is often named after its body (…管理局党政办公室): the body ends before it
_OWNER_END = r"(?:人民政府|办事处|管理委员会|管委会|委员会|办公厅|管理局|局|厅|委|中心|街道|镇|乡)"
_SIGNATURE = re.compile(rf"([\u4e00-\u9fff（）()]{{2,40}}?{_BODY_END}){_G}{_YEAR}{_G}年{_G}\d{{1,2}}{_G}月{_G}\d{{1,2}}{_G}日{_G}$")
_PREFACE_BODY = (
    re.compile(rf"由{_G}([\u4e00-\u9fff（）()]{{2,40}}?{_BODY_END})(?:结合|根据|依据|编制|按照)"),
    re.compile(rf"请与{_G}([\u4e00-\u9fff（）()]{{2,40}}?{_OWNER_END})[\u4e00-\u9fff]{{0,10}}?(?:办公室|科|股|处|组)?联系"),
)
_CUT = re.compile(r"[。！？；;，,、：:\s）)]")


def body_of(title_body: str | None, text: str, preface: str) -> tuple[str | None, str | None]:
    """(body, source): the title's; else the signature before the closing date; else the preface's."""
    if title_body:
        return title_body, "title"
    tail = text[-300:].rstrip()
    match = _SIGNATURE.search(tail)
    if match is not None:
        name = _after_last_break(match.group(1))
        if len(name) >= 3:
            return name, "signature"
    for pattern in _PREFACE_BODY:
        match = pattern.search(preface)
        if match is not None:
            return match.group(1), "preface"
    return None, None


def _after_last_break(name: str) -> str:
    """The name after the last punctuation or space (the signature follows the last sentence)."""
    parts = _CUT.split(name)
    return parts[-1] if parts else name
