"""Which link is which year's annual report: titles and dates as portals print them.

A report title names the report (年度报告, 年报, 信息公开工作报告) and usually its year, in Arabic or
Chinese numerals (2023年度, 二〇二三年, 二○二三年, ２０２３年); pages about the report are not the report
(工作要点, 第三方评估, 解读/图解, a 通知 about writing reports …). A report without a year in its title is
the previous year's (reports are published after the year they cover), taken from the date on the list.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

FIRST_YEAR = 2007  # 《政府信息公开条例》 took effect on 1 May 2008: the first reports cover 2008
_REPORT = re.compile(r"年度报告|年报|年度工作报告|公开工作报告|年度公开报告")
_EXCLUDED = re.compile(  # pages about a report (kept short: body names hold words like 计划, 编制, 规范)
    r"要点|评估|测评|解读|图解|一图|读懂|问答|答记者|视频|动漫|通知|通报|培训|工作计划|实施方案|工作方案|总结|考核|"
    r"督查|排名|征求意见|整改|报送|模板|样本|范本|公示|目录|统计表")
_NUMERALS = str.maketrans("〇○零Ｏ０一二三四五六七八九", "00000123456789")
_ARABIC_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)\s*(?:年|—|－|-|年度|$|[）)\]】」』\s])")
_ANY_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_CHINESE_YEAR = re.compile(r"([一二][〇○零0Ｏ九][〇○零0Ｏ一二三四五六七八九]{2})\s*年")
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?")


@dataclass(frozen=True)
class Candidate:
    """A link that looks like an annual report: its title, the year it covers (``None`` when neither the
    title nor a date tells), how the year was found (``title`` / ``date``), and the date printed beside it."""

    url: str
    title: str
    year: int | None
    year_from: str
    listed_on: date | None = None


def normalise(text: str) -> str:
    """Full-width characters folded, whitespace removed (titles are compared and searched this way)."""
    return re.sub(r"[\s\u00a0\u3000]+", "", unicodedata.normalize("NFKC", text or ""))


def is_report_title(title: str) -> bool:
    """Whether a link title names an annual report itself (not a page about one)."""
    text = normalise(title)
    return bool(_REPORT.search(text)) and not _EXCLUDED.search(text)


def title_year(title: str) -> int | None:
    """The year a report title names: the first plausible Arabic year, else one in Chinese numerals."""
    text = normalise(title)
    for pattern in (_ARABIC_YEAR, _ANY_YEAR):
        for match in pattern.finditer(text):
            year = int(match.group(1))
            if FIRST_YEAR <= year <= date.today().year:
                return year
    for match in _CHINESE_YEAR.finditer(text):
        digits = match.group(1).translate(_NUMERALS)
        if digits.isdigit() and FIRST_YEAR <= int(digits) <= date.today().year:
            return int(digits)
    return None


def find_date(text: str) -> date | None:
    """The first valid date in ``text`` (2024-01-20, 2024/1/20, 2024年1月20日, 2024.01.20)."""
    for match in _DATE.finditer(unicodedata.normalize("NFKC", text or "")):
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            continue
    return None


def candidate(url: str, title: str, listed_on: date | None = None) -> Candidate | None:
    """A ``Candidate`` when ``title`` names an annual report, else None."""
    if not is_report_title(title):
        return None
    year = title_year(title)
    if year is not None:
        return Candidate(url, title.strip(), year, "title", listed_on)
    if listed_on is not None:
        return Candidate(url, title.strip(), listed_on.year - 1, "date", listed_on)
    return Candidate(url, title.strip(), None, "", listed_on)
