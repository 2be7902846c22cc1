"""One body's harvest: from its source URLs to the evidence rows of each report year.

Each source is fetched: a document (PDF, Word …) is a report given directly; an HTML page is a list when it
links to reports (its further pages are followed), else an article when it is one. Per year in scope the
best candidate is fetched — an article page (the report inline, or its attachments: when the page only says
见附件, the attachment is the report) or a file linked straight from the list — and every outcome becomes a
row for ``fetches``. An article and its files are one report: when it offers several, ``article.judge``
reads them and picks the one judged (the others are kept and linked). Nothing here raises on what a website
does.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from rules.register import Body, normal_name
from warehouse.db import archive_raw
from warehouse.fetches import PreviousHarvests
from xxgk.harvest.article import Reading, judge, read_file
from xxgk.harvest.client import Fetched, HarvestClient, Validators
from xxgk.harvest.decode import document_extension, sniff
from xxgk.harvest.pages import Link, Page, read_page
from xxgk.harvest.years import Candidate, candidate, normalise, title_year

_REPORTISH = re.compile(r"年度报告|年报|报告")


@dataclass
class Got:
    """A fetch as the crawl sees it: the client's result, the bytes (fresh, or from the raw archive after
    a 304) and their sha256, and whether they are the same bytes as the last complete fetch of the URL."""

    fetched: Fetched
    data: bytes | None = None
    sha256: str | None = None
    unchanged: bool = False

    @property
    def usable(self) -> bool:
        return self.data is not None


@dataclass
class Context:
    """What every body's crawl shares: the client, the archive, the earlier harvests, the register's
    names (to tell one body's report from another's on a shared list) and the years in scope."""

    client: HarvestClient
    raw_root: Path
    previous: PreviousHarvests
    names: dict[str, str]  # every registered name (normalised, and as printed) → body_id
    years: tuple[int, ...] | None
    max_list_pages: int = 30
    readings: dict[str, Reading] = field(default_factory=dict)  # sha256 → what the parser read (earlier too)
    fresh: dict[str, tuple[str, Reading]] = field(default_factory=dict)  # read in this harvest: (file type, reading)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def read(self, found: Found) -> Reading:
        """What the parser reads of a fetched file (once per sha256, across harvests: ``file_readings``)."""
        sha = found.got.sha256 or ""
        known = self.readings.get(sha)
        if known is None and sha in self.previous.readings:
            known = Reading(*self.previous.readings[sha])
        fresh = known is None
        if fresh:
            known = read_file(found.got.data or b"", found.file_type)
        with self._lock:
            self.readings[sha] = known
            if fresh:
                self.fresh[sha] = (found.file_type, known)
        return known

    def get(self, url: str, body_id: str, role: str) -> Got:
        """Fetch ``url`` (conditionally when its last bytes are in the archive) and archive what came."""
        known = self.previous.urls.get(url)
        archived = known is not None and (self.raw_root / known.sha256[:2] / known.sha256).is_file()
        validators = Validators(known.etag, known.last_modified) if archived and known else None
        fetched = self.client.get(url, validators, role, body_id)
        if fetched.kind == "not_modified" and archived and known:
            return Got(fetched, (self.raw_root / known.sha256[:2] / known.sha256).read_bytes(), known.sha256, True)
        if fetched.kind != "ok" or fetched.body is None:
            return Got(fetched)
        sha = fetched.sha256
        with self._lock:  # two bodies may share a page: one writer per archived file
            archive_raw(self.raw_root, sha, fetched.body)
        return Got(fetched, fetched.body, sha, known is not None and known.sha256 == sha)


@dataclass
class Found:
    """A report file of one year: the row fields known once it is fetched."""

    year: int | None
    got: Got
    outcome: str               # report | attachment
    file_type: str
    title: str
    page_date: date | None
    date_source: str | None
    parent: Got | None = None
    page_title: str = ""       # the article page's title (the page is the report's evidence)
    role: str = "report"       # report (judged, placed for ingest) | duplicate | annex (kept and linked)
    report: Found | None = None  # for a duplicate or annex: the file judged as the report
    reading: Reading | None = None  # what the parser read (only when an article offered several files)
    choice: str | None = None  # why this file is (or is not) the report
    foreign: bool = False      # read as another year's report than the article's

    @property
    def primary(self) -> bool:
        """Placed for ingest and judged (one file per report)."""
        return self.role == "report"


@dataclass
class SourceResult:
    url: str
    reached: bool
    error: str | None = None
    skipped: bool = False
    candidates: list[Candidate] = field(default_factory=list)
    direct: list[Found] = field(default_factory=list)
    status: int | None = None


@dataclass
class BodyHarvest:
    """Everything one body's harvest produced: its sources (as explored) and its rows for ``fetches``."""

    body_id: str
    sources: list[SourceResult]
    rows: list[dict]
    found: list[Found] = field(default_factory=list)  # emptied once placed (the bytes are archived)

    @property
    def reached(self) -> bool:
        return any(s.reached for s in self.sources)


# ---------------------------------------------------------------- sources


def explore(ctx: Context, body: Body, url: str, hops: int = 0) -> SourceResult:
    """What a source URL is and what it offers: a document, an article, or a list (followed page by page).
    A page that only forwards (``<meta http-equiv=refresh>``) is followed, twice at most."""
    got = ctx.get(url, body.body_id, "source")
    if not got.usable:
        return _unreached(url, got.fetched)
    kind = sniff(got.data, got.fetched.content_type, url)
    if kind != "html":
        year = title_year(urlsplit(url).path) or title_year(urlsplit(got.fetched.final_url).path)
        return SourceResult(url, True, status=got.fetched.status,
                            direct=[Found(year, got, "attachment", kind, "", None, None)])
    page = read_page(got.fetched.final_url, got.data, got.fetched.content_type)
    if page.refresh and page.refresh != page.url and hops < 2 and not _candidates(page):
        forwarded = explore(ctx, body, page.refresh, hops + 1)
        forwarded.url = url
        return forwarded
    result = SourceResult(url, True, status=got.fetched.status)
    result.candidates = _candidates(page)
    if result.candidates or page.page_links:
        _follow_pages(ctx, body, page, result)
    if not result.candidates and _is_article(page):
        result.direct = article_reports(ctx, body, Candidate(url, page.title, title_year(page.title) or
                                        (page.page_date.year - 1 if page.page_date else None), "title", None),
                                        got, page)
    return result


def _unreached(url: str, fetched: Fetched) -> SourceResult:
    return SourceResult(url, False, fetched.error or f"HTTP {fetched.status}", skipped=fetched.kind == "robots",
                        status=fetched.status)


def _candidates(page: Page) -> list[Candidate]:
    out = []
    for link in page.links:
        found = candidate(link.url, link.text, link.date)
        if found is not None and link.url != page.url:
            out.append(found)
    return out


def _is_article(page: Page) -> bool:
    return page.holds_report or (bool(page.title) and candidate(page.url, page.title) is not None)


def _follow_pages(ctx: Context, body: Body, first: Page, result: SourceResult) -> None:
    """Follow the list's further pages (same host, at most ``max_list_pages``), stopping once every year in
    scope has a candidate of this body."""
    host = urlsplit(first.url).netloc
    queue, seen = list(first.page_links), {first.url, result.url}
    while queue and len(seen) < ctx.max_list_pages + 1:
        if ctx.years and all(pick(result.candidates, body, ctx.names).get(y) for y in ctx.years):
            return
        url = queue.pop(0)
        if url in seen or urlsplit(url).netloc != host:
            continue
        seen.add(url)
        got = ctx.get(url, body.body_id, "list")
        if not got.usable or sniff(got.data, got.fetched.content_type, url) != "html":
            continue
        page = read_page(got.fetched.final_url, got.data, got.fetched.content_type)
        known = {c.url for c in result.candidates}
        result.candidates.extend(c for c in _candidates(page) if c.url not in known)
        queue.extend(u for u in page.page_links if u not in seen)


# ---------------------------------------------------------------- which candidate is whose


def _names_in(title: str, names: dict[str, str]) -> set[str]:
    """The bodies a title names (the longest names found: 某县城关镇 names 城关镇, not 某县)."""
    flat = normalise(title)
    hits = [n for n in names if n and n in flat]
    longest = [n for n in hits if not any(n != m and n in m for m in hits)]
    return {names[n] for n in longest}


def pick(candidates: list[Candidate], body: Body, names: dict[str, str]) -> dict[int | None, Candidate]:
    """Per year, the candidate that is this body's report: one naming this body, else one naming no
    registered body; the most recently listed first."""
    by_year: dict[int | None, list[Candidate]] = {}
    for c in candidates:
        by_year.setdefault(c.year, []).append(c)
    out = {}
    for year, group in by_year.items():
        named = [(c, _names_in(c.title, names)) for c in group]
        mine = [c for c, who in named if body.body_id in who] or [c for c, who in named if not who]
        if mine:
            out[year] = sorted(mine, key=lambda c: c.listed_on or date.min, reverse=True)[0]
    return out


def names_of(bodies: list[Body]) -> dict[str, str]:
    """Every registered name, as printed and normalised, with aliases → body_id (ambiguous names dropped)."""
    seen: dict[str, set[str]] = {}
    for b in bodies:
        for name in (b.name, *b.aliases):
            for key in {normalise(name), normal_name(normalise(name))}:
                if len(key) >= 2:
                    seen.setdefault(key, set()).add(b.body_id)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


# ---------------------------------------------------------------- reports


def fetch_candidate(ctx: Context, body: Body, cand: Candidate, list_url: str) -> list[Found] | str | Got:
    """The report files behind a candidate link, or why there are none (a message, or the failed fetch)."""
    got = ctx.get(cand.url, body.body_id, "article")
    if not got.usable:
        return got
    kind = sniff(got.data, got.fetched.content_type, cand.url)
    if kind != "html":
        return [Found(cand.year, got, "attachment", kind, cand.title, cand.listed_on, "列表" if cand.listed_on else None)]
    page = read_page(got.fetched.final_url, got.data, got.fetched.content_type)
    found = article_reports(ctx, body, cand, got, page)
    if found:
        return found
    if document_extension(cand.url):
        return f"链接指向的应是 {document_extension(cand.url)} 文件，网站返回的却是网页（{got.fetched.content_type}）"
    return "文章页既无报告正文，也无报告附件"


def article_reports(ctx: Context, body: Body, cand: Candidate, got: Got, page: Page) -> list[Found]:
    """An article page's report: the page itself when the report is printed on it, or one of its attachments
    (when the page only points to them), with the other files kept and linked (``article.judge``)."""
    page_date = page.page_date or cand.listed_on
    label = page.date_label if page.page_date else ("列表" if cand.listed_on else None)
    year = cand.year if cand.year is not None else title_year(page.title)
    out = []
    if page.holds_report:
        out.append(Found(year, got, "report", "html", cand.title or page.title, page_date, label,
                         page_title=page.title))
    for link, attached in _attachments(ctx, body, page):
        if isinstance(attached, Got) and attached.usable:
            kind = sniff(attached.data, attached.fetched.content_type, link.url + " " + link.text)
            if kind == "html":
                continue  # a page, not a file: a soft 404 or a viewer; the article is the evidence
            out.append(Found(year, attached, "attachment", kind, link.text or cand.title, page_date, label, parent=got,
                             page_title=page.title))
        else:
            out.append(Found(year, attached, "attachment", "", link.text, page_date, label, parent=got,
                             page_title=page.title))
    return judge(out, year, ctx.read)


def _attachments(ctx: Context, body: Body, page: Page) -> list[tuple[Link, Got]]:
    """The page's attachments worth fetching: those that look like the report when some do, else every
    document attachment (an article about the report links nothing else, as a rule)."""
    links = list({a.url: a for a in page.attachments}.values())
    reportish = [a for a in links if _REPORTISH.search(normalise(a.text)) or title_year(a.text)]
    chosen = reportish or links
    return [(a, ctx.get(a.url, body.body_id, "attachment")) for a in chosen[:10]]


ProgressHook = Callable[[str], None]
