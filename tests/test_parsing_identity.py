"""Report year and body without a title line: from the statistical period, the text, the page's publication
date or the file name (in that order of trust, the source recorded), and the body from the signature or
the preface."""
from __future__ import annotations

import json
import random
import re

from parsing import parse_bytes
from synth.render import ReportSpec, consistent_cells, render_txt

BODY = "城关镇人民政府"


def _text(year: int = 2022) -> str:
    spec = ReportSpec(BODY, year, "2021", consistent_cells("2021", random.Random(3)))
    text = render_txt(spec, "spaces")
    return "\n".join(text.splitlines()[1:])  # without the title line


def _drop_period(text: str) -> str:
    return re.sub(r"[^。\n]*统计期限[^。\n]*。", "", text)


def test_year_from_the_statistical_period():
    report = parse_bytes(_text().encode(), "report.txt")
    assert (report.year, report.year_source) == (2022, "period")
    assert json.loads(json.dumps(report.to_json()))["year_source"] == "period"


def test_period_worded_as_statistical_time_limit():
    text = _drop_period(_text()).replace("一、总体情况", "本报告统计时限为2022年1月1日至2022年12月31日。\n一、总体情况", 1)
    assert (parse_bytes(text.encode(), "r.txt").year, parse_bytes(text.encode(), "r.txt").year_source) == (2022, "period")


def test_year_from_the_text_then_the_page_date_then_the_file_name():
    text = _drop_period(_text())
    report = parse_bytes(text.encode(), "r.txt")
    assert (report.year, report.year_source) == (2022, "text")
    assert any("正文" in p for p in report.problems)
    no_years = re.sub(r"20\d\d年", "本年", text)
    dated = "发布时间：2023-01-20 09:00\n" + no_years
    assert (parse_bytes(dated.encode(), "r.txt").year, parse_bytes(dated.encode(), "r.txt").year_source) == \
        (2022, "published")
    named = parse_bytes(no_years.encode(), "城关镇2021年报.txt")
    assert (named.year, named.year_source) == (2021, "file_name")
    assert parse_bytes(no_years.encode(), "r.txt").year is None


def test_body_from_the_signature_or_the_preface():
    signed = _text() + "\n城关镇人民政府\n2023年1月20日\n"
    report = parse_bytes(signed.encode(), "r.txt")
    assert (report.body, report.body_source) == (BODY, "signature")
    preface_only = parse_bytes(_text().encode(), "r.txt")
    assert preface_only.body and preface_only.body.startswith("城关镇")
    assert preface_only.to_json()["body_source"] == "preface"
