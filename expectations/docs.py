"""Make a Data Docs site safe and complete offline.

GX pages load Bootstrap, jQuery, Font Awesome, Vega … from CDNs and a logo from S3. Offline those are
unreachable, and report text (body names, cell values) appears inside the pages. Every page is rewritten:
no ``<script>`` at all, no event-handler attributes, no ``javascript:`` links, no asset from the internet;
a local stylesheet (``static/styles/xxgk_offline.css``) gives the pages a readable layout instead, with the
status badges (不通过 / 无法判断 / 通过 / 不适用) that replace GX's icon font. ``tidy`` first removes what
covers the content or needs scripts (GX's fixed footer and sticky bars, filter buttons, the newsletter). Links stay only
when relative: any scheme or host, however spelled (``java&#9;script:``, ``\\\\host``), is removed, and CSS is read
with its escapes decoded.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

OFFLINE_CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#222;background:#fafafa}
.container-fluid,.container{padding:0 1.5rem}.row{display:flex;flex-wrap:wrap;margin:0 -.5rem}
[class*="col-"]{padding:0 .5rem;box-sizing:border-box;flex:1 1 100%}
@media(min-width:900px){.col-md-2{flex:0 0 16.6%}.col-md-3{flex:0 0 25%}.col-md-4{flex:0 0 33%}
.col-md-6{flex:0 0 50%}.col-md-8{flex:0 0 66%}.col-md-9{flex:0 0 75%}.col-md-10{flex:0 0 83%}}
table{border-collapse:collapse;width:100%;margin:.5rem 0;background:#fff}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}
thead th{background:#eef}.card{background:#fff;border:1px solid #ddd;border-radius:4px;margin:.75rem 0;padding:.5rem}
.card-header{font-weight:bold;border-bottom:1px solid #eee;padding:.25rem 0}.badge{padding:0 .4rem;border-radius:3px}
.text-danger,.badge-danger{color:#b00020}.text-success,.badge-success{color:#1b7d1b}.collapse{display:block}
nav,.navbar{background:#263238;color:#fff;padding:.5rem 1.5rem}nav a,.navbar a{color:#fff}
.sticky{position:static}img{max-width:240px}code,pre{white-space:pre-wrap;word-break:break-all}
nav,.navbar,.sticky-top,.fixed-top,.sticky,footer{position:static!important;height:auto!important;max-height:none!important}
.navbar{display:block}.navbar nav{background:none;padding:0}.container{padding-top:0}[hidden]{display:none}
.breadcrumb{list-style:none;display:flex;flex-wrap:wrap;gap:.4rem;padding:0;margin:0}
.breadcrumb-item+.breadcrumb-item::before{content:"/ "}.xxgk-home{font-weight:bold;margin-right:1rem}
.ge-navigation-sidebar-content{list-style:none;padding:0}.nav-link{display:block;padding:.15rem 0}
.card-body{max-height:none!important;overflow:visible!important}
.xxgk-badge{display:inline-block;padding:.05rem .45rem;border:1px solid;border-radius:3px;font-weight:bold;
white-space:nowrap}
.xxgk-fail{background:#fde8e8;color:#a00016}.xxgk-not_assessable{background:#fff3d6;color:#7a4600}
.xxgk-pass{background:#e7f5e7;color:#1b5e20}.xxgk-not_applicable{background:#eee;color:#444}
.xxgk-error{background:#a00016;color:#fff}.xxgk-warn{color:#7a4600}
.xxgk-index{display:block;padding:1rem 1.5rem 3rem;max-width:1400px}.xxgk-index h1{font-size:1.5rem}
.xxgk-index h2{font-size:1.15rem;margin-top:1.5rem}.xxgk-legend{color:#444;line-height:1.8}
.xxgk-n{text-align:right}table.xxgk-names td,table.xxgk-names th{font-size:.85rem}
.xxgk-names td:first-child{min-width:8em}.xxgk-names td:nth-child(2){white-space:nowrap}
.xxgk-names td:nth-child(4){font-family:monospace;font-size:.7rem;word-break:break-all;max-width:16em;color:#555}
.row{margin:0}[class*="col-"]{min-width:0;max-width:100%}.table-responsive,.show-scrollbars{overflow-x:auto}
.text-danger,.xxgk-warn{display:block;margin:.3rem 0}.xxgk-counts{display:block;white-space:nowrap}
@media print{.xxgk-badge{border-width:2px}}
"""
_DROP = ("script", "iframe", "frame", "frameset", "object", "embed", "applet", "portal", "base", "noscript",
         # SVG animation can set any attribute (href="javascript:…", onclick) after the page is sanitized
         "animate", "set", "animatemotion", "animatetransform", "handler", "listener")
_URL_ATTRIBUTES = frozenset({"href", "src", "action", "data", "poster", "xlink:href", "background", "codebase", "cite",
                             "longdesc", "usemap", "manifest", "ping", "lowsrc", "dynsrc", "archive", "profile"})
_URL_JUNK = re.compile(r"[\x00-\x20\x7f]+")  # browsers drop whitespace and controls inside a URL's scheme
_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*:", re.I)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})\s?|(.))", re.S)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_IMPORT = re.compile(r"@import[^;]*;?", re.I)
_CSS_FETCH = re.compile(r"(?:url|image-set|-webkit-image-set)\(\s*(['\"]?)([^)'\"]*)\1[^)]*\)", re.I)
_CSS_ACTIVE = re.compile(r"expression\(|behavior\s*:|binding\s*:|javascript:|vbscript:", re.I)


def make_offline(site_dir: Path, done: Iterable[Path] = ()) -> int:
    """Rewrite every HTML page under ``site_dir`` (but those ``done``: written as made offline already);
    returns the number of pages rewritten."""
    css = site_dir / "static" / "styles" / "xxgk_offline.css"
    css.parent.mkdir(parents=True, exist_ok=True)
    css.write_text(OFFLINE_CSS, encoding="utf-8")
    key = str(site_dir.resolve())
    if key not in _WRITTEN:
        _WRITTEN.clear()  # another run's site: its pages are done
    written = _WRITTEN.setdefault(key, {})
    written.update({str(page): _stamp(page) for page in done})
    pages = [page for page in sorted(site_dir.rglob("*.html")) if written.get(str(page)) != _stamp(page)]
    index = site_dir / "index.html"
    for page in pages:
        root = _parse(page.read_text(encoding="utf-8"))
        tidy(root, _relative(index, page))
        page.write_text(_serialize(_sanitize_root(root, _relative(css, page))), encoding="utf-8")
        written[str(page)] = _stamp(page)
    return len(pages)


# Pages this process rewrote, per site folder: page -> its stamp right after. A run judging in batches builds
# its Data Docs once per batch into the same folder; the pages of the earlier batches (unchanged since: same
# stamp) are not parsed and rewritten again. A page GX wrote again has another stamp and is rewritten.
_WRITTEN: dict[str, dict[str, tuple[int, int, int]]] = {}


def _stamp(page: Path) -> tuple[int, int, int] | None:
    try:
        stat = page.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def tidy(root, home_href: str) -> None:  # noqa: ANN001 - an lxml document
    """What an officer does not need on GX's pages, and what covers or hides the content offline: GX's own
    style sheets (a fixed footer, a sticky side bar, dark-mode colours for tables), the newsletter and
    tutorial footers, the filter buttons and "Show more info" toggles (they work only with scripts). The
    logo (an image on the internet) becomes a text link home. The page is marked Chinese."""
    for el in [e for e in root.iter("style", "footer")]:
        el.drop_tree()
    for toggle in [e for e in root.iter() if "btn-group-toggle" in (e.get("class") or "")]:
        card = next((a for a in toggle.iterancestors() if "card" in (a.get("class") or "").split()), toggle)
        card.drop_tree()
    for link in [e for e in root.iter("a") if e.get("data-toggle") == "collapse"]:
        link.drop_tree()
    for img in [e for e in root.iter("img") if e.get("alt") == "Great Expectations"]:
        img.getparent().replace(img, _home_link(home_href))
    _translate(root)
    root.set("lang", "zh-CN")


# GX's own words on its pages, for a Chinese reader: exact texts of GX's templates; the tables naming reports
# (the only place report text appears) are skipped
CHROME = {"Overview": "概览", "Expectation Validation Result": "验证结果", "Table of Contents": "目录",
          "Evaluates whether a batch of data matches expectations.": "本次运行中，本套件各条规则对全部报告的核对结果。",
          "Table-Level Expectations": "规则", "Status": "状态", "Expectation": "规则", "Observed Value": "报告数",
          "Statistics": "统计", "Evaluated Expectations": "核对的规则", "Successful Expectations": "无报告不符的规则",
          "Unsuccessful Expectations": "有报告不符的规则", "Success Percent": "无报告不符的规则占比",
          "Failed": "不通过（有报告不符）", "Succeeded": "无报告不符（另见各规则的“无法判断”）", "Home": "首页",
          "Expectation Suite:": "规则套件：", "Status:": "状态：", "Info": "运行信息", "Run Name": "运行名称",
          "Run Time": "运行时间（UTC）", "Expectation Suite": "规则套件", "Expectation Suite Overview": "规则套件概览",
          "Expectations": "规则", "Notes": "说明", "Batch Markers": "批次标记", "Batch Parameters": "批次参数",
          "Batch Spec": "批次说明", "Great Expectations Version": "Great Expectations 版本", "Notes:": "说明：",
          "A collection of Expectations defined for batches of data.": "本套件的规则：每条规则的依据、核对范围和单元格。",
          "Expectation Suite Name": "规则套件名称"}


def _translate(root) -> None:  # noqa: ANN001 - an lxml document
    for el in root.iter():
        if not isinstance(el.tag, str) or any("xxgk-names" in (a.get("class") or "") for a in el.iterancestors()):
            continue
        for attr in ("text", "tail"):
            value = getattr(el, attr)
            if value and value.strip() in CHROME:
                setattr(el, attr, value.replace(value.strip(), CHROME[value.strip()]))


def _home_link(href: str):  # noqa: ANN202 - an lxml element
    from lxml import etree

    link = etree.Element("a", href=href)
    link.set("class", "xxgk-home")
    link.text = "数据核验文档首页"
    return link


def _relative(target: Path, page: Path) -> str:
    return Path(os.path.relpath(target, page.parent)).as_posix()


def sanitize(html: str, css_href: str) -> str:
    """The page without scripts, handlers, or internet assets, with the local stylesheet linked.

    Parsed with lxml (libxml2's HTML parser, the one BeautifulSoup's "lxml" builder drives) and walked once."""
    return _serialize(_sanitize_root(_parse(html), css_href))


def _parse(html: str):  # noqa: ANN202 - an lxml document
    from lxml import etree
    from lxml import html as lxml_html

    try:
        return lxml_html.document_fromstring(html.encode("utf-8"), parser=_parser())
    except etree.ParserError:  # nothing but blanks or comments: an empty page
        return lxml_html.document_fromstring(b"<html><head></head><body></body></html>", parser=_parser())


def _serialize(root) -> str:  # noqa: ANN001
    from lxml import etree

    # libxml2 would invent an HTML 4 doctype (with a w3.org URL) for a page without one
    return "<!DOCTYPE html>\n" + etree.tostring(root, method="html", encoding="unicode")


def _sanitize_root(root, css_href: str):  # noqa: ANN001, ANN202 - an lxml document, sanitised in place
    from lxml import etree

    for tag in [el for el in root.iter(*_DROP)]:
        tag.drop_tree()  # the element and its content; the text after it stays
    for meta in [el for el in root.iter("meta") if el.get("http-equiv") is not None]:
        if meta.get("http-equiv").strip().lower() != "content-type":  # refresh, set-cookie, …
            meta.drop_tree()
    for tag in root.iter():
        if isinstance(tag.tag, str):
            _clean_attributes(tag.attrib)
    for link in [el for el in root.iter("link") if el.get("href") is None]:
        link.drop_tree()
    for style in root.iter("style"):
        text = "".join(style.itertext())
        for child in list(style):
            style.remove(child)
        style.text = _safe_css(text).replace("<", "\\3c ")  # decoded escapes never close the element
    head = root.find("head")
    if head is None:
        head = etree.Element("head")
        root.insert(0, head)
    etree.SubElement(head, "link", rel="stylesheet", href=css_href)
    return root


def _parser():  # noqa: ANN202 - an lxml HTMLParser
    from lxml import html as lxml_html

    return lxml_html.HTMLParser(encoding="utf-8", remove_comments=False)


def _unsafe_url(value: str) -> bool:
    """Anything but a relative link: a scheme (``javascript:``, ``https:`` …, however spelled) or a host
    (``//host``, ``\\\\host``)."""
    clean = _URL_JUNK.sub("", value).replace("\\", "/")
    return bool(_SCHEME.match(clean)) or clean.startswith("//")


def _css(text: str) -> str:
    """CSS as a browser's tokenizer reads it: comments removed, escapes (``u\\72l(``) decoded."""
    text = _CSS_COMMENT.sub("", text)
    return _CSS_ESCAPE.sub(lambda m: chr(min(int(m[1], 16), 0x10FFFF) or 0xFFFD) if m[1] else m[2], text)


def _safe_css(text: str) -> str:
    """A style sheet without imports, fetches of anything but relative URLs, or script."""
    text = _CSS_IMPORT.sub("", _css(text))
    text = _CSS_FETCH.sub(lambda m: "none" if _unsafe_url(m[2]) or m[0].lower().startswith(("image", "-webkit"))
                          else m[0], text)
    return _CSS_ACTIVE.sub("", text)


def _clean_attributes(attrs) -> None:  # noqa: ANN001 - an lxml element's attrib
    for name, text in list(attrs.items()):
        lower = name.lower()
        if lower.startswith("on") or lower in ("srcdoc", "formaction"):
            del attrs[name]
        elif lower in _URL_ATTRIBUTES and _unsafe_url(text):
            del attrs[name]
        elif lower in ("srcset", "imagesrcset") and any(_unsafe_url(c.strip().split(" ")[0]) for c in text.split(",")):
            del attrs[name]
        elif lower == "style":
            css = _css(text).lower()
            if any(word in css for word in ("url(", "image-set(", "expression(", "behavior", "binding", "@import")):
                del attrs[name]
