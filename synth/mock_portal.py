"""A generated mock of the bodies' government portals, with its ground truth, and a 127.0.0.1 server for it.

    portal = mock_portal()                    # sites, pages, faults, the register, what a harvest must find
    with PortalServer(portal) as server:      # one HTTP server per site on 127.0.0.1 (synth.mock_server)
        register_csv = portal.register_csv(server.bases)

Three CMS styles: ``ul`` (``<ul><li><a title=…>…</a><span>2024-01-20</span>``, 下一页 paging, relative links,
UTF-8), ``table`` (GBK pages, table rows with ``[2024年01月20日]``, TRS ``createPageHTML`` paging, absolute
links, 发布日期 and a ``PubDate`` meta on articles), ``cards`` (``<div class=item>`` with ``<em>2024/01/20</em>``,
``?page=2`` links, an 信息公开 metadata table with 成文日期 and 发布日期 on articles). Articles hold the report
inline (HTML) or as a Word attachment ("见附件"); lists also hold 工作要点 and 解读 pages. Faults: a 404
report link, 500 then success, a response slower than the client's timeout, a redirect loop, a truncated
attachment, a Word file sent as ``text/html``, an oversized attachment, robots.txt forbidding a folder, a
register URL that is the attachment itself, a county list shared by several townships. One report per
article: a stub page (a preface naming the six parts, 详见附件) with the report as a PDF and a 解读 beside it;
a full page whose table 3 is a picture and the whole report as a Word attachment; a full page and the same
report as an attachment; a stub page with the report, its 附表 (a spreadsheet of the same tables) and the
previous year's report (``MockPortal.linked``: the files kept and linked, not judged).

The report bytes come from ``synth.render`` (same numbers back when parsed); none prints its own date, so
the publication date on the page is the only one (REG-LATE reads it). Word attachments hold the report as
lines of text, tables as rows of numbers (as Word files converted from PDF do): ``render_docx``'s merged
Word tables take seconds per file, too slow for a test fixture.
"""
from __future__ import annotations

import hashlib
import html
import random
from dataclasses import dataclass, field, replace
from datetime import date
from email.utils import formatdate, parsedate_to_datetime

from synth.mock_server import PortalServer
from synth.render import ReportSpec, consistent_cells, render_html, render_txt
from synth.sheet import render_xlsx

YEARS = (2022, 2023)


@dataclass
class Resource:
    """One URL of a site. ``fault``: ``fail_once`` (500, then the page), ``always_500``, ``slow`` (answers
    after ``MockPortal.slow_seconds``), ``truncated`` (Content-Length promises more than is sent),
    ``redirect`` (302 to ``location``), ``no_length`` (no Content-Length: the client must stream)."""

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    fault: str | None = None
    location: str | None = None
    modified: int = 1_700_000_000  # Last-Modified (seconds since 1970): bump it when the body changes

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'

    @property
    def last_modified(self) -> str:
        return formatdate(self.modified, usegmt=True)

    def fresh_for(self, headers) -> bool:  # noqa: ANN001 - the request's headers
        """Whether a conditional request may be answered 304 (If-None-Match wins over If-Modified-Since)."""
        if headers.get("If-None-Match") is not None:
            return headers.get("If-None-Match") == self.etag
        since = headers.get("If-Modified-Since")
        return since is not None and parsedate_to_datetime(since).timestamp() >= self.modified


@dataclass(frozen=True)
class Expected:
    """A report the harvest must find: body, year, the site and path of the file that is the report,
    ``report`` (inline article) or ``attachment``, and the publication date printed on its page."""

    body_id: str
    year: int
    site: str
    path: str
    outcome: str
    page_date: date | None  # None: the register names the file itself (no page around it)


@dataclass(frozen=True)
class Linked:
    """A file of an article that is not judged as a report of its own: ``duplicate`` (the same report, read
    less completely) or ``annex`` (not a report), linked to the file judged as ``report`` (site path)."""

    body_id: str
    year: int
    site: str
    path: str
    role: str
    report: str


@dataclass
class MockPortal:
    sites: dict[str, dict[str, Resource]] = field(default_factory=dict)
    bodies: list[dict] = field(default_factory=list)  # register rows; source_url as "site:/path" (see register_csv)
    expected: list[Expected] = field(default_factory=list)
    status: dict[tuple[str, int], str] = field(default_factory=dict)  # what REG-MISSING must see per body-year
    late: set[tuple[str, int]] = field(default_factory=set)           # body-years published after the deadline
    linked: list[Linked] = field(default_factory=list)                # files kept beside a report, not judged
    pages: dict[tuple[str, int], tuple[str, str]] = field(default_factory=dict)  # attachment report → its page
    slow_seconds: float = 1.5
    oversize_bytes: int = 600_000

    def add(self, site: str, path: str, resource: Resource) -> None:
        self.sites.setdefault(site, {})[path] = resource

    def url(self, bases: dict[str, str], ref: str) -> str:
        site, _, path = ref.partition(":")
        return bases[site] + path

    def register_csv(self, bases: dict[str, str]) -> str:
        """The register with each ``site:/path`` source resolved to the running server's address."""
        lines = ["body_id,name,kind,parent_id,aliases,source_url"]
        for b in self.bodies:
            sources = ";".join(self.url(bases, ref) for ref in b["sources"])
            lines.append(f"{b['body_id']},{b['name']},{b['kind']},,{b.get('aliases', '')},{sources}")
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- page templates


def _ul_list(title: str, items: list[tuple[str, str, str]], next_href: str | None) -> str:
    lis = "\n".join(f'<li><a href="{html.escape(h)}" title="{html.escape(t)}" target="_blank">'
                    f'{html.escape(t[:18] + "…" if len(t) > 18 else t)}</a><span class="date">{d}</span></li>'
                    for h, t, d in items)
    pager = f'<div class="page"><a href="{next_href}">下一页</a> <a href="#">尾页</a></div>' if next_href else ""
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}_政府信息公开</title></head><body>'
            f'<div class="nav"><a href="/">首页</a> &gt; <a href="/xxgk/">政府信息公开</a> &gt; 政府信息公开年报</div>'
            f'<div class="list"><ul>{lis}</ul>{pager}</div><div class="footer">主办单位</div></body></html>')


def _table_list(title: str, items: list[tuple[str, str, str]], pages: int, current: int) -> str:
    rows = "\n".join(f'<tr><td class="t"><a href="{html.escape(h)}">{html.escape(t)}</a></td><td>[{d}]</td></tr>'
                     for h, t, d in items)
    script = f'<script language="JavaScript">createPageHTML({pages}, {current}, "index", "shtml");</script>'
    return (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>{title}</title>'
            f'</head><body><table class="list">{rows}</table><div class="pager">{script}</div></body></html>')


def _cards_list(title: str, items: list[tuple[str, str, str]], pages: list[str]) -> str:
    cards = "\n".join(f'<div class="item"><a href="{html.escape(h)}"><h3>{html.escape(t)}</h3></a><em>{d}</em></div>'
                      for h, t, d in items)
    pager = " ".join(f'<a href="{p}">{n}</a>' for n, p in enumerate(pages, start=1))
    return (f'<!DOCTYPE html><html lang="zh"><head><meta charset="UTF-8"><title>{title}</title></head><body>'
            f'<section class="cards">{cards}</section><nav class="pages">{pager}</nav></body></html>')


def _article(style: str, title: str, published: date, content: str,
             attachment: tuple[str, str] | list[tuple[str, str]] | None = None) -> str:
    files = [attachment] if isinstance(attachment, tuple) else attachment or []
    attach = "".join(f'<p>附件{n if len(files) > 1 else ""}：<a href="{html.escape(href)}">{html.escape(text)}</a></p>'
                     for n, (href, text) in enumerate(files, start=1))
    if style == "table":
        return (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">'
                f'<meta name="PubDate" content="{published.isoformat()} 09:30"><title>{html.escape(title)}</title></head>'
                f'<body><table><tr><td class="title">{html.escape(title)}</td></tr><tr><td>发布日期：'
                f'{published.year}年{published.month:02d}月{published.day:02d}日　来源：本站</td></tr></table>'
                f'<div class="TRS_Editor">{content}{attach}</div></body></html>')
    if style == "cards":
        written = date(published.year, published.month, max(1, published.day - 3))
        return (f'<!DOCTYPE html><html><head><meta charset="UTF-8"><title>{html.escape(title)}</title></head><body>'
                f'<table class="xxgk-meta"><tr><td>索引号：11320000/2024-00012</td><td>发布机构：本机关</td></tr>'
                f'<tr><td>成文日期：{written.isoformat()}</td><td>发布日期：{published.isoformat()}</td></tr></table>'
                f'<h2>{html.escape(title)}</h2><div class="article">{content}{attach}</div></body></html>')
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head><body>'
            f'<div class="nav">首页 &gt; 政府信息公开年报</div><h1>{html.escape(title)}</h1>'
            f'<div class="info">发布时间：{published.isoformat()} 浏览次数：<span>12</span></div>'
            f'<div class="content">{content}{attach}</div><div class="related"><a href="/">相关链接</a></div></body></html>')


def word_file(spec: ReportSpec) -> bytes:
    """A Word file holding the report as paragraphs (each table row one line of numbers)."""
    import io

    import docx

    document = docx.Document()
    for line in render_txt(spec, "spaces").splitlines():
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _stub(name: str, year: int) -> str:
    """A page that only introduces the report (naming its six parts) and points to the attachment: long
    enough, and with enough of the parts' names, to pass for the report at a glance."""
    parts = "；".join(("一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                      "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"))
    return (f"<p>根据《中华人民共和国政府信息公开条例》规定，现公布{html.escape(name)}{year}年政府信息公开工作年度报告。"
            f"报告包括：{parts}。</p><p>{''.join(_OVERVIEW)}</p><p>{''.join(_PROBLEMS)}</p><p>报告全文详见附件。</p>")


def _inline(spec: ReportSpec) -> str:
    page = render_html(spec)
    return page[page.index('<div class="xxgk-article">'):page.rindex("</div>") + 6]


# ---------------------------------------------------------------- the portal

_OVERVIEW = ("本机关坚持以公开为常态、不公开为例外，主动公开、依申请公开、政府信息管理、平台建设和监督保障工作有序推进。",
             "围绕群众关心的就业、教育、医疗等民生事项，及时发布政策文件和办事指南。",
             "依申请公开严格按照法定程序受理、登记、办理和答复，答复规范及时。",
             "政府信息管理方面，落实公开属性源头认定，动态更新政府信息公开目录。",
             "平台建设方面，优化门户网站栏目设置，加强政务新媒体管理。",
             "监督保障方面，将政务公开纳入年度绩效考核，开展业务培训两次。",
             "深入推进基层政务公开标准化规范化，公开事项清单逐项落实。",
             "加强政策解读，以图文、问答等形式解读重要政策文件。")
_PROBLEMS = ("存在的主要问题是公开内容的及时性和准确性还有提升空间。",
             "部分栏目更新不够及时，政策解读形式较为单一。",
             "工作人员业务能力有待进一步提高。",
             "下一步将加强业务培训，完善信息发布审核机制。",
             "改进措施：建立栏目维护责任清单，定期开展自查。",
             "将进一步丰富解读形式，提高政策解读的针对性和可读性。")


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.portal = MockPortal()

    def spec(self, name: str, year: int) -> ReportSpec:
        """A clean report: consistent numbers, no 规章 (no body here makes rules), prose of its own."""
        cells = consistent_cells("2021", self.rng)
        cells.update({k: 0 for k in cells if k.startswith("t2.rules.")})
        return ReportSpec(name, year, "2021", cells, {1: self._prose(_OVERVIEW), 5: self._prose(_PROBLEMS)})

    def _prose(self, pool: tuple[str, ...]) -> str:
        return "".join(self.rng.sample(pool, 4))

    def body(self, body_id: str, name: str, kind: str, sources: list[str], aliases: str = "") -> None:
        self.portal.bodies.append({"body_id": body_id, "name": name, "kind": kind, "sources": sources,
                                   "aliases": aliases})

    def inline(self, site: str, style: str, path: str, body_id: str, name: str, year: int, published: date,
               encoding: str = "utf-8") -> str:
        title = f"{name}{year}年政府信息公开工作年度报告"
        page = _article(style, title, published, _inline(self.spec(name, year)))
        self.portal.add(site, path, Resource(page.encode(encoding), f"text/html; charset={encoding}"))
        self.portal.expected.append(Expected(body_id, year, site, path, "report", published))
        return title

    def attached(self, site: str, style: str, path: str, file_path: str, body_id: str, name: str, year: int,
                 published: date, encoding: str = "utf-8", file_type: str = "application/vnd.openxmlformats-"
                 "officedocument.wordprocessingml.document", fault: str | None = None, expect: bool = True) -> str:
        title = f"{name}{year}年度政府信息公开工作年度报告"
        href = file_path if style != "table" else file_path  # relative to the site root
        page = _article(style, title, published, "<p>报告全文见附件。</p>", (href, f"{title}.docx"))
        self.portal.add(site, path, Resource(page.encode(encoding), f"text/html; charset={encoding}"))
        data = word_file(self.spec(name, year)) if expect else b"PK\x03\x04" + bytes(50_000)  # never read whole
        self.portal.add(site, file_path, Resource(data, file_type, fault=fault))
        if expect:
            self.portal.expected.append(Expected(body_id, year, site, file_path, "attachment", published))
        return title


    def article(self, site: str, style: str, path: str, body_id: str, name: str, year: int, published: date,
                content: str, files: list[tuple[str, str, bytes, str]], encoding: str = "utf-8") -> str:
        """An article page with ``content`` and attachments ``files`` (site path, link text, bytes, type);
        expectations are the caller's."""
        title = f"{name}{year}年政府信息公开工作年度报告"
        page = _article(style, title, published, content, [(f, text) for f, text, _, _ in files])
        self.portal.add(site, path, Resource(page.encode(encoding), f"text/html; charset={encoding}"))
        for file_path, _, data, content_type in files:
            self.portal.add(site, file_path, Resource(data, content_type))
        return title

    def expect(self, body_id: str, year: int, site: str, path: str, outcome: str, published: date | None,
               page: str | None = None) -> None:
        self.portal.expected.append(Expected(body_id, year, site, path, outcome, published))
        if page:
            self.portal.pages[(body_id, year)] = (site, page)


_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _one_report_per_article(b: _Builder) -> None:
    """B13–B15: articles whose page and files are one report (see ``Linked``)."""
    p = b.portal
    # B13 司法局 (a, ul): a stub page naming the six parts, the report as a PDF, and a 解读 (prose only).
    from synth.pdf import render_pdf

    b.body("B13", "某县司法局", "department", ["a:/sfj/nb/"])
    name, day = "某县司法局", date(2024, 1, 12)
    title = b.article("a", "ul", "/sfj/nb/t1.html", "B13", name, 2023, day, _stub(name, 2023), [
        ("/sfj/att/2023nb.pdf", f"{name}2023年政府信息公开工作年度报告.pdf", render_pdf(b.spec(name, 2023)),
         "application/pdf"),
        ("/sfj/att/jd.docx", f"{name}2023年政府信息公开工作年度报告解读.docx",
         _prose_file("一图读懂年度报告。" + "".join(_PROBLEMS)), _DOCX)])
    b.expect("B13", 2023, "a", "/sfj/att/2023nb.pdf", "attachment", day, "/sfj/nb/t1.html")
    p.linked.append(Linked("B13", 2023, "a", "/sfj/att/jd.docx", "annex", "/sfj/att/2023nb.pdf"))
    p.add("a", "/sfj/nb/", Resource(_ul_list("司法局年报", [("t1.html", title, "2024-01-12")], None).encode()))
    p.status.update({("B13", 2022): "not_found", ("B13", 2023): "found"})

    # B14 民政局 (c, cards): 2023 printed on the page with table 3 as a picture, the whole report attached
    # (the attachment reads more: it is the report); 2022 printed whole and attached (a tie: the page).
    b.body("B14", "某县民政局", "department", ["c:/mzj/nb/"])
    name, items = "某县民政局", []
    for year, day, path, file_path in ((2023, date(2024, 1, 26), "/mzj/nb/a23.html", "/mzj/att/2023.docx"),
                                       (2022, date(2023, 1, 30), "/mzj/nb/a22.html", "/mzj/att/2022.docx")):
        spec = b.spec(name, year)
        shown = spec if year == 2022 else replace(spec, cells={k: v for k, v in spec.cells.items()
                                                               if not k.startswith("t3.")})
        title = b.article("c", "cards", path, "B14", name, year, day, _inline(shown), [
            (file_path, f"{name}{year}年政府信息公开工作年度报告.docx", word_file(spec), _DOCX)])
        items.append((path, title, day.strftime("%Y/%m/%d")))
        if year == 2023:
            b.expect("B14", year, "c", file_path, "attachment", day, path)
        else:
            b.expect("B14", year, "c", path, "report", day)
            p.linked.append(Linked("B14", year, "c", file_path, "duplicate", path))
    p.add("c", "/mzj/nb/", Resource(_cards_list("民政局年报", items, ["/mzj/nb/"]).encode()))
    p.status.update({("B14", 2022): "found", ("B14", 2023): "found"})

    # B15 财政局 (b, table, GBK): a stub page with the report, its 附表 (the same tables in a spreadsheet)
    # and the previous year's report (a different report: it stays, without this page's date).
    b.body("B15", "某县财政局", "department", ["b:/czj/nb/index.shtml"])
    name, day = "某县财政局", date(2024, 2, 6)
    spec = b.spec(name, 2023)
    title = b.article("b", "table", "/czj/nb/t1.shtml", "B15", name, 2023, day, "<p>报告全文见附件。</p>", [
        ("/czj/att/2023nb.docx", f"{name}2023年政府信息公开工作年度报告.docx", word_file(spec), _DOCX),
        ("/czj/att/2023fb.xlsx", f"{name}2023年政府信息公开工作年度报告附表.xlsx", render_xlsx(spec),
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("/czj/att/2022nb.docx", f"{name}2022年政府信息公开工作年度报告.docx", word_file(b.spec(name, 2022)), _DOCX)],
        encoding="gbk")
    b.expect("B15", 2023, "b", "/czj/att/2023nb.docx", "attachment", day, "/czj/nb/t1.shtml")
    b.expect("B15", 2022, "b", "/czj/att/2022nb.docx", "attachment", None, "/czj/nb/t1.shtml")
    p.linked.append(Linked("B15", 2023, "b", "/czj/att/2023fb.xlsx", "duplicate", "/czj/att/2023nb.docx"))
    p.add("b", "/czj/nb/index.shtml", Resource(_table_list("财政局年报", [
        ("{b}/czj/nb/t1.shtml", title, "2024年02月06日")], 1, 0).encode("gbk"), "text/html; charset=gbk"))
    p.status.update({("B15", 2022): "found", ("B15", 2023): "found"})
    p.late.add(("B15", 2023))  # a department's deadline is 31 January: the page's date says late


def _prose_file(text: str) -> bytes:
    """A Word file of prose only (no report in it)."""
    import io

    import docx

    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def mock_portal(seed: int = 17) -> MockPortal:
    """The bundled mock portal (deterministic for a seed). Sites ``a`` (ul style), ``b`` (table style, GBK),
    ``c`` (cards style, robots.txt forbids ``/private/``)."""
    b = _Builder(seed)
    p = b.portal
    p.add("a", "/robots.txt", Resource(b"User-agent: *\nDisallow: /admin/\n", "text/plain"))
    p.add("c", "/robots.txt", Resource(b"User-agent: *\nDisallow: /private/\n", "text/plain"))

    # B01 城关镇 (a, ul): page 1 holds 2023 (inline) and two pages about reports; page 2 (下一页) holds 2022
    # (Word attachment, relative links).
    b.body("B01", "城关镇人民政府", "township", ["a:/cgz/ndbg/index.html"], "城关镇")
    t23 = b.inline("a", "ul", "/cgz/ndbg/202401/t20240118_1.html", "B01", "城关镇人民政府", 2023, date(2024, 1, 18))
    t22 = b.attached("a", "ul", "/cgz/ndbg/202301/t20230120_2.html", "/cgz/files/2023/ndbg2022.docx", "B01",
                     "城关镇人民政府", 2022, date(2023, 1, 20))
    p.add("a", "/cgz/ndbg/index.html", Resource(_ul_list("城关镇年报", [
        ("202401/t20240118_1.html", t23, "2024-01-18"),
        ("/cgz/zdgz/t20240301_9.html", "城关镇2024年政务公开工作要点", "2024-03-01"),
        ("/cgz/jd/t20240119_3.html", "《城关镇人民政府2023年政府信息公开工作年度报告》解读", "2024-01-19")],
        "index_1.html").encode()))
    p.add("a", "/cgz/ndbg/index_1.html", Resource(_ul_list("城关镇年报", [
        ("./202301/t20230120_2.html", t22, "2023-01-20")], None).encode()))
    p.status.update({("B01", 2022): "found", ("B01", 2023): "found"})

    # B02 东湖街道 (b, table, GBK): TRS paging; 2023 Word attachment sent as text/html; 2022 inline.
    b.body("B02", "东湖街道办事处", "street", ["b:/dhjd/nb/index.shtml"])
    t23 = b.attached("b", "table", "/dhjd/nb/202402/t20240220_5.shtml", "/dhjd/att/P020240220.docx", "B02",
                     "东湖街道办事处", 2023, date(2024, 2, 20), encoding="gbk", file_type="text/html")
    t22 = b.inline("b", "table", "/dhjd/nb/202302/t20230210_4.shtml", "B02", "东湖街道办事处", 2022,
                   date(2023, 2, 10), encoding="gbk")
    p.add("b", "/dhjd/nb/index.shtml", Resource(_table_list("东湖街道年报", [
        ("{b}/dhjd/nb/202402/t20240220_5.shtml", t23, "2024年02月20日"),
        ("{b}/dhjd/jd/t1.shtml", "图解：东湖街道2023年政府信息公开工作年度报告", "2024年02月21日")], 2, 0)
        .encode("gbk"), "text/html; charset=gbk"))
    p.add("b", "/dhjd/nb/index_1.shtml", Resource(_table_list("东湖街道年报", [
        ("{b}/dhjd/nb/202302/t20230210_4.shtml", t22, "2023年02月10日")], 2, 1).encode("gbk"),
        "text/html; charset=gbk"))
    p.status.update({("B02", 2022): "found", ("B02", 2023): "found"})

    # B03 县教育局 (c, cards): the 2023 link is the Word file itself; the 2022 link is dead (404).
    b.body("B03", "某县教育局", "department", ["c:/jyj/ndbg/"], "县教育局")
    p.add("c", "/jyj/files/2023nb.docx", Resource(word_file(b.spec("某县教育局", 2023)),
                                                  "application/octet-stream"))
    p.expected.append(Expected("B03", 2023, "c", "/jyj/files/2023nb.docx", "attachment", date(2024, 1, 25)))
    p.add("c", "/jyj/ndbg/", Resource(_cards_list("教育局年报", [
        ("/jyj/files/2023nb.docx", "某县教育局2023年政府信息公开工作年度报告", "2024/01/25"),
        ("/jyj/ndbg/gone.html", "某县教育局2022年政府信息公开工作年度报告", "2023/01/28")], ["/jyj/ndbg/"]).encode()))
    p.status.update({("B03", 2022): "not_found", ("B03", 2023): "found"})

    # B04 西湖镇 (a): the list answers 500 once; 2023 published late (May); no 2022 report on the site.
    b.body("B04", "西湖镇人民政府", "township", ["a:/xhz/nb/"])
    t23 = b.inline("a", "ul", "/xhz/nb/t20240520.html", "B04", "西湖镇人民政府", 2023, date(2024, 5, 20))
    p.add("a", "/xhz/nb/", Resource(_ul_list("西湖镇年报", [("t20240520.html", t23, "2024-05-20")], None).encode(),
                                     fault="fail_once"))
    p.status.update({("B04", 2022): "not_found", ("B04", 2023): "found"})
    p.late.add(("B04", 2023))

    # B05 南山镇: the list is slower than the client's timeout. B06 北山镇: a redirect loop.
    b.body("B05", "南山镇人民政府", "township", ["a:/nsz/nb/"])
    p.add("a", "/nsz/nb/", Resource(_ul_list("南山镇年报", [], None).encode(), fault="slow"))
    b.body("B06", "北山镇人民政府", "township", ["a:/bsz/nb/"])
    p.add("a", "/bsz/nb/", Resource(fault="redirect", status=302, location="/bsz/nb/index.html"))
    p.add("a", "/bsz/nb/index.html", Resource(fault="redirect", status=302, location="/bsz/nb/"))
    for body_id in ("B05", "B06"):
        p.status.update({(body_id, 2022): "unreachable", (body_id, 2023): "unreachable"})

    # B07 卫生健康委员会 (c): 2023 attachment truncated; 2022 inline (cards: 成文日期 and 发布日期).
    b.body("B07", "某县卫生健康委员会", "department", ["c:/wjw/xxgknb/"])
    t23 = b.attached("c", "cards", "/wjw/xxgknb/2024/a1.html", "/wjw/att/2023.docx", "B07", "某县卫生健康委员会",
                     2023, date(2024, 1, 22), fault="truncated", expect=False)
    t22 = b.inline("c", "cards", "/wjw/xxgknb/2023/a2.html", "B07", "某县卫生健康委员会", 2022, date(2023, 1, 16))
    p.add("c", "/wjw/xxgknb/", Resource(_cards_list("卫健委年报", [("/wjw/xxgknb/2024/a1.html", t23, "2024/01/22")],
                                                     ["/wjw/xxgknb/", "/wjw/xxgknb/?page=2"]).encode()))
    p.add("c", "/wjw/xxgknb/?page=2", Resource(_cards_list("卫健委年报", [("/wjw/xxgknb/2023/a2.html", t22,
                                                                       "2023/01/16")], ["/wjw/xxgknb/"]).encode()))
    p.status.update({("B07", 2022): "found", ("B07", 2023): "unreachable"})

    # B08 统计局 (a): the 2023 attachment is larger than the size limit (sent without Content-Length).
    b.body("B08", "某县统计局", "department", ["a:/tjj/nb/"])
    t23 = b.attached("a", "ul", "/tjj/nb/t1.html", "/tjj/att/big.docx", "B08", "某县统计局", 2023,
                     date(2024, 1, 10), expect=False)
    p.sites["a"]["/tjj/att/big.docx"] = Resource(b"PK\x03\x04" + bytes(p.oversize_bytes), "application/msword",
                                                fault="no_length")
    p.add("a", "/tjj/nb/", Resource(_ul_list("统计局年报", [("t1.html", t23, "2024-01-10")], None).encode()))
    p.status.update({("B08", 2022): "not_found", ("B08", 2023): "unreachable"})

    # B09 发展和改革委员会 (c): its list is where robots.txt forbids crawling.
    b.body("B09", "某县发展和改革委员会", "department", ["c:/private/fgw/nb/"])
    p.add("c", "/private/fgw/nb/", Resource(_cards_list("发改委年报", [], []).encode()))
    p.status.update({("B09", 2022): "unreachable", ("B09", 2023): "unreachable"})

    # B10 水利局: the register names the 2023 Word file directly, and a list (on b) holding nothing.
    b.body("B10", "某县水利局", "department", ["a:/slj/2023/ndbg2023.docx", "b:/slj/nb/index.shtml"])
    p.add("a", "/slj/2023/ndbg2023.docx", Resource(word_file(b.spec("某县水利局", 2023)), "application/msword"))
    p.expected.append(Expected("B10", 2023, "a", "/slj/2023/ndbg2023.docx", "attachment", None))
    p.add("b", "/slj/nb/index.shtml", Resource(_table_list("水利局年报", [], 1, 0).encode("gbk"),
                                               "text/html; charset=gbk"))
    p.status.update({("B10", 2022): "not_found", ("B10", 2023): "found"})

    # B11 城南镇, B12 城北镇: one county list for both (titles name the township).
    for body_id, name in (("B11", "城南镇人民政府"), ("B12", "城北镇人民政府")):
        b.body(body_id, name, "township", ["a:/county/xznb/"])
    items = []
    for body_id, name, year, day in (("B11", "城南镇人民政府", 2023, 15), ("B12", "城北镇人民政府", 2023, 16),
                                     ("B11", "城南镇人民政府", 2022, 17)):
        path = f"/county/xznb/{body_id.lower()}_{year}.html"
        title = b.inline("a", "ul", path, body_id, name, year, date(year + 1, 2, day))
        items.append((path, title, f"{year + 1}-02-{day:02d}"))
    p.add("a", "/county/xznb/", Resource(_ul_list("乡镇年报", items, None).encode()))
    p.status.update({("B11", 2022): "found", ("B11", 2023): "found", ("B12", 2022): "not_found",
                     ("B12", 2023): "found"})
    _one_report_per_article(b)
    return p


__all__ = ["Expected", "Linked", "MockPortal", "PortalServer", "Resource", "mock_portal", "word_file"]
