"""What a fetched HTML page holds: report links with their dates (list pages), further list pages
(paging), and, on an article page, its title, publication date, attachments and whether the report is
printed inline.

CMS markup differs everywhere (``<ul><li><a>…</a><span>date</span>``, tables, ``<div class=item>``, titles
cut short with "…" and given whole in ``title=``, TRS's ``createPageHTML(…)`` paging script), so nothing
here depends on class names: a link is read with the text around it, a date is the nearest one printed
beside the link, a page link is one that says 下一页/尾页/a page number.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html

from xxgk.harvest.decode import decode_page, document_extension
from xxgk.harvest.years import find_date, normalise

_PAGE_WORDS = re.compile(r"^(?:.{0,2}(?:下一页|下页|后页|尾页|末页|最后一页).{0,2}|next|>|>>|›|»|\[?\d{1,3}\]?|第\d{1,3}页)$",
                         re.I)
_ATTACHMENT_WORDS = re.compile(r"附件|下载|全文|原文")
_ATTACHMENT_URL = re.compile(r"download|attach|fujian|upload|/files?/|getfile|fileid", re.I)
_TRAILING_DATE = re.compile(r"\s*[\[(（【]?(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
                            r"(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?[\])）】]?\s*$")
_REFRESH = re.compile(r"url\s*=\s*['\"]?([^'\">\s]+)", re.I)
_TRS_PAGER = re.compile(r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([^'\"]+)['\"]\s*,"
                        r"\s*['\"]([^'\"]+)['\"]")
_LABELLED = re.compile(r"(发布日期|发布时间|发文日期|公开日期|公布日期|成文日期|印发日期|生成日期|日期|时间)\s*[：:]\s*"
                       r"((?:19|20)\d{2}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2}\s*日?)")
_DATE_META = ("pubdate", "publishdate", "firstpublishedtime", "publishtime", "releasedate", "dc.date",
              "dc.date.issued", "article:published_time", "createdate")
_TITLE_META = ("articletitle", "title", "og:title", "dc.title")
_SECTION_MARKS = ("总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况", "政府信息公开行政复议",
                  "存在的主要问题", "其他需要报告的事项")
_PRIORITY = {"发布日期": 0, "发布时间": 0, "公开日期": 0, "公布日期": 0, "发文日期": 1, "成文日期": 1, "印发日期": 1,
             "生成日期": 2, "日期": 2, "时间": 2}


@dataclass(frozen=True)
class Link:
    url: str
    text: str
    date: date | None = None


@dataclass
class Page:
    """An HTML page, read once."""

    url: str
    text: str = ""
    title: str = ""
    links: list[Link] = field(default_factory=list)
    page_links: list[str] = field(default_factory=list)
    attachments: list[Link] = field(default_factory=list)
    page_date: date | None = None
    date_label: str | None = None
    encoding: str = ""
    refresh: str | None = None  # a <meta http-equiv=refresh> target (portals move columns this way)

    @property
    def holds_report(self) -> bool:
        """Whether the report itself is printed on the page (most of its six section headings are)."""
        flat = normalise(self.text)
        return len(flat) > 600 and sum(mark in flat for mark in _SECTION_MARKS) >= 4

    @property
    def says_see_attachment(self) -> bool:
        flat = normalise(self.text)
        return "见附件" in flat or "详见附件" in flat or "附件下载" in flat or bool(self.attachments)


def read_page(url: str, data: bytes, content_type: str | None = None) -> Page:
    """Parse a page; a page that cannot be parsed gives an empty ``Page`` (never an exception)."""
    text, encoding = decode_page(data, content_type)
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=_PARSER)
    except (ValueError, lxml.etree.ParserError):
        return Page(url, encoding=encoding)
    for bad in root.xpath("//script|//style|//noscript"):
        if bad.tag != "script":
            bad.drop_tree()
    base = _base(root, url)
    page = Page(url, encoding=encoding)
    page.links = _links(root, base)
    page.page_links = _page_links(root, base, page.links)
    page.attachments = [link for link in page.links if _is_attachment(link)] + _embedded(root, base)
    page.refresh = _refresh(root, base)
    for script in root.xpath("//script"):
        script.drop_tree()
    page.text = root.text_content() or ""
    page.title = _title(root)
    page.page_date, page.date_label = _page_date(root, page.text)
    return page


_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)


def _base(root: lxml.html.HtmlElement, url: str) -> str:
    href = root.xpath("string(//base/@href)")
    return urljoin(url, href.strip()) if href and href.strip() else url


def _links(root: lxml.html.HtmlElement, base: str) -> list[Link]:
    out, seen = [], set()
    for anchor in root.xpath("//a[@href]"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = urldefrag(urljoin(base, href))[0]
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        text = _anchor_text(anchor)
        key = (url, text)
        if key in seen:
            continue
        seen.add(key)
        listed = _date_beside(anchor, text)
        text = _TRAILING_DATE.sub("", text) or text
        out.append(Link(_viewed_file(url) or url, text, listed))  # an online viewer: the file it shows
    return out


def _viewed_file(url: str) -> str | None:
    """The document an online viewer shows (``viewer.html?file=/att/report.pdf``)."""
    from urllib.parse import parse_qsl, unquote

    for _, value in parse_qsl(urlsplit(url).query):
        value = unquote(value)
        if document_extension(value):
            return urljoin(url, value)
    return None


def _refresh(root: lxml.html.HtmlElement, base: str) -> str | None:
    content = root.xpath("string(//meta[translate(@http-equiv,'REFSH','refsh')='refresh']/@content)")
    match = _REFRESH.search(content or "")
    return urljoin(base, match.group(1)) if match else None


def _anchor_text(anchor: lxml.html.HtmlElement) -> str:
    """The link's title: the ``title`` attribute when it is the fuller text (lists cut titles with …)."""
    shown = re.sub(r"\s+", " ", anchor.text_content() or "").strip()
    full = re.sub(r"\s+", " ", anchor.get("title") or "").strip()
    if full and (len(full) > len(shown.rstrip(".…")) or not shown):
        return full
    return shown


def _date_beside(anchor: lxml.html.HtmlElement, title: str) -> date | None:
    """The date printed nearest the link: in the link itself (a title holds a year, rarely a whole date),
    else in its row or item."""
    found = find_date(anchor.text_content() or "")
    node = anchor
    for _ in range(3):
        if found is not None:
            return found
        node = node.getparent()
        if node is None or node.tag in ("ul", "ol", "tbody", "table", "body"):
            return None
        around = node.text_content() or ""
        if len(around) > 400 or len(node.xpath(".//a[@href]")) > 3:
            return None
        found = find_date(around.replace(title, " "))
    return found


def _page_links(root: lxml.html.HtmlElement, base: str, links: list[Link]) -> list[str]:
    """Further pages of the same list: links reading 下一页/尾页/a number, and TRS ``createPageHTML``."""
    out = [link.url for link in links if _PAGE_WORDS.match(link.text.strip()) and link.url != base]
    for script in root.xpath("//script/text()"):
        for match in _TRS_PAGER.finditer(script):
            total, name, ext = int(match.group(1)), match.group(3), match.group(4)
            out.extend(urljoin(base, f"{name}_{n}.{ext}") for n in range(1, min(total, 200)))
    return list(dict.fromkeys(out))


def _is_attachment(link: Link) -> bool:
    """A link to a file: by its extension (in the URL or the text), or a download link (附件/下载 … and an
    address that looks like a file service); what it really is, the bytes tell once fetched."""
    if document_extension(link.url) or document_extension(link.text.strip()):
        return True
    return bool(_ATTACHMENT_WORDS.search(link.text) and _ATTACHMENT_URL.search(link.url)
                and not link.url.lower().split("?")[0].endswith((".html", ".htm", ".shtml", ".jsp", "/")))


def _embedded(root: lxml.html.HtmlElement, base: str) -> list[Link]:
    """Documents shown in the page (``<iframe src=x.pdf>``, ``<embed>``, ``<object data=…>``)."""
    out = []
    for element in root.xpath("//iframe[@src]|//embed[@src]|//object[@data]"):
        url = urljoin(base, (element.get("src") or element.get("data") or "").strip())
        if document_extension(url):
            out.append(Link(url, "（页面内嵌文件）"))
    return out


def _title(root: lxml.html.HtmlElement) -> str:
    for name in _TITLE_META:
        value = root.xpath(f"string(//meta[translate(@name,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')"
                           f"='{name}' or @property='{name}']/@content)")
        if value.strip():
            return value.strip()
    for tag in ("h1", "h2"):
        value = root.xpath(f"string(//{tag})")
        if value.strip():
            return re.sub(r"\s+", " ", value).strip()
    return re.sub(r"\s+", " ", root.xpath("string(//title)")).strip()


def _page_date(root: lxml.html.HtmlElement, text: str) -> tuple[date | None, str | None]:
    """The publication date printed on the page: a labelled 发布日期/发布时间 first (then 成文日期, then a
    bare 日期/时间), else a date in the page's metadata."""
    best: tuple[int, date, str] | None = None
    for match in _LABELLED.finditer(normalise(text)):
        found = find_date(match.group(2))
        rank = _PRIORITY[match.group(1)]
        if found is not None and (best is None or rank < best[0]):
            best = (rank, found, match.group(1))
    if best is not None and best[0] == 0:
        return best[1], best[2]
    for name in _DATE_META:
        value = root.xpath(f"string(//meta[translate(@name,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')"
                           f"='{name}' or @property='{name}']/@content)")
        found = find_date(value)
        if found is not None:
            return found, f"meta {name}"
    return (best[1], best[2]) if best else (None, None)
