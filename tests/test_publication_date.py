"""REG-LATE's publication date: the page's 发布日期 wins over a 成文日期 printed before it."""
from __future__ import annotations

from datetime import date

import pytest

from parsing.model import Report
from rules.facts import publication_date


def _report(preface: str, text: str = "") -> Report:
    return Report(file="x.html", source_format="html", sha256="a" * 64, parse_status="ok", preface=preface)


@pytest.mark.parametrize(("preface", "expected"), [
    ("成文日期：2023-01-13 发布日期：2023-01-16 来源：区政府办", date(2023, 1, 16)),
    ("发布时间：2023年3月2日 成文日期：2023年2月28日", date(2023, 3, 2)),
    ("成文日期：2023年2月28日", date(2023, 2, 28)),
    ("时间：2023-01-20 浏览次数：12", date(2023, 1, 20)),
    ("来源：区政府办", None),
])
def test_the_pages_publication_date_is_preferred(preface: str, expected: date | None) -> None:
    assert publication_date(_report(preface)) == expected
