"""One report per article: which of an article's files is judged as its report.

An article page on a portal and the files it links are, as a rule, ONE report: a page that only carries the
title and a preface (见附件) and the Word/PDF/WPS file that holds the report; or a page that prints the whole
report and offers the same report again as a file. Judging both would give a body-year two reports (and a
stub page would look like a broken one). So per article:

* one file only (the page holding the report, or the one attachment beside a stub page): it is the report,
  nothing is read here;
* several files: each is read by the parser (the same reader as ingest; a file already read by an earlier
  harvest is not read again — ``file_readings``) and grouped by the report year it reads as (else the year
  its link names, else the article's). Per year the most complete reading is the report (more statutory
  cells read, then more of the six parts; on a tie the page, then a report's own format); every other file
  of that year is kept and linked to it, not judged: ``duplicate`` when it reads as the same report,
  ``annex`` when it does not read as a report (附表, 说明 …). Files of another year are that year's
  report (both stay). The choice and its reason (cells read on each side) go with the rows.

The page itself is never a row unless it is the report: it is the ``parent`` (URL, title, publication date)
of the files it links. Nothing here raises on what a file holds.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

PRIMARY = ("pdf", "docx", "doc", "wps", "ofd", "txt")  # a report's own formats; xls/zip count when nothing else


@dataclass(frozen=True)
class Reading:
    """What the parser read of a file: enough to tell which file of an article is its report."""

    year: int | None
    cells: int         # statutory cells read with a value (a number, 不适用 or text; not blank, not missing)
    sections: int      # of the six parts, how many were found
    status: str        # ok / partial / failed (parsing's parse_status)

    @property
    def is_report(self) -> bool:
        """Read as an annual report: not failed, and statutory cells or at least two of the six parts."""
        return self.status != "failed" and (self.cells > 0 or self.sections >= 2)

    def describe(self) -> str:
        if not self.is_report:
            return "未读出年报的统计表和各部分"
        return f"统计表读出数值 {self.cells} 格，六个部分找到 {self.sections} 个"


def read_file(data: bytes, file_type: str) -> Reading:
    """Parse ``data`` as ingest would and keep what decides: year, cells read, parts found, status."""
    from parsing import parse_bytes

    report = parse_bytes(data, f"article.{file_type or 'bin'}")
    cells = sum(1 for c in report.cells.values() if c.state in ("number", "na", "text"))
    return Reading(report.year, cells, len({s.number for s in report.sections}), report.parse_status)


Reader = Callable[[object], Reading]  # a Found → its Reading (cached by sha256)


def judge(files: list, article_year: int | None, read: Reader) -> list:
    """Give each usable file of one article its ``role`` (report / duplicate / annex), the report it belongs
    to and why; returns the files to record (the page dropped unless it is a report: it is every
    attachment's parent). ``files`` are ``crawl.Found``; the page, when a candidate, has outcome ``report``."""
    usable = [f for f in files if f.got.usable]
    if len(usable) == 1:
        only = usable[0]
        only.choice = "网页载有报告全文" if only.outcome == "report" else "文章页未载报告正文，附件即报告"
    elif usable:
        for f in usable:
            f.reading = read(f)
            if f.reading.is_report and f.reading.year is not None:
                f.year = f.reading.year
        for year in dict.fromkeys(f.year for f in usable):
            _judge_year([f for f in usable if f.year == year], article_year)
        for f in usable:
            if article_year is not None and f.year != article_year:  # the page dates the article's own report
                f.page_date, f.date_source, f.foreign = None, None, True
    return [f for f in files if f.outcome != "report" or f.role == "report"]


def _judge_year(group: list, article_year: int | None) -> None:
    """One year's files of an article: the most complete reading is the report, the others are linked."""
    readable = [f for f in group if f.reading.is_report]
    best = max(readable, key=_rank) if readable else max(group, key=_unread_rank)
    best.role = "report"
    if len(group) == 1:
        best.choice = f"{_what(best)}{best.reading.describe()}" + _other_year(best, article_year)
    elif readable:
        rivals = "；".join(f"{_what(f)}{f.reading.describe()}" for f in group if f is not best)
        best.choice = f"以{_what(best)}为准（{best.reading.describe()}；{rivals}）"
    else:
        best.choice = f"各文件均未读出年报的统计表，按文件类型选定{_what(best)}为报告，请人工核对"
    for f in group:
        if f is not best:
            f.role = "duplicate" if f.reading.is_report else "annex"
            f.report = best
            f.choice = (f"与{_what(best)}为同一份报告（{f.reading.describe()}），以{_what(best)}为准，本文件存档，"
                        "不另行检查" if f.role == "duplicate" else f"{f.reading.describe()}，作为该报告的附件存档，不另行检查")


def one_per_year(found: list) -> None:
    """Across a body's articles: a year's report from its own article wins over a file of that year found
    on another year's article (kept as a ``duplicate`` of it, not judged twice)."""
    judged = [f for f in found if f.primary and f.got.usable and f.year is not None]
    for f in judged:
        own = [g for g in judged if g.year == f.year and not g.foreign]
        if f.foreign and own and f.got.sha256 not in {g.got.sha256 for g in own}:
            f.role, f.report = "duplicate", own[0]
            f.choice = (f"另一年度文章的附件，本年度已有本年度文章中的报告（{own[0].got.fetched.url}），"
                        "本文件存档，不另行检查")


def _rank(f) -> tuple:  # noqa: ANN001 - a crawl.Found
    """More cells, then more parts; on a tie the page (it prints the tables as tables), then a report's own
    format (PDF, Word …) over a spreadsheet or archive."""
    r = f.reading
    return (r.is_report, r.cells, r.sections, f.outcome == "report", f.file_type in PRIMARY)


def _unread_rank(f) -> tuple:  # noqa: ANN001
    """Nothing read as a report (a converter missing, a scan OCR could not read): an attachment in a report's
    own format rather than the page, which was read and holds no report."""
    return (f.outcome == "attachment", f.file_type in PRIMARY)


def _what(f) -> str:  # noqa: ANN001
    return "网页" if f.outcome == "report" else f"附件（{f.file_type or '文件'}）"


def _other_year(f, article_year: int | None) -> str:  # noqa: ANN001
    if article_year is None or f.year == article_year:
        return ""
    return f"；为 {f.year} 年度报告（文章为 {article_year} 年度），网页发布日期不作为其发布日期"
