"""Make a Data Docs site safe and complete offline.

GX pages load Bootstrap, jQuery, Font Awesome, Vega … from CDNs and a logo from S3. Offline those are
unreachable, and report text (body names, cell values) appears inside the pages. Every page is rewritten:
no ``<script>`` at all, no event-handler attributes, no ``javascript:`` links, no asset from the internet;
a local stylesheet (``static/styles/xxgk_offline.css``) gives the pages a readable layout instead. Links stay only
when relative: any scheme or host, however spelled (``java&#9;script:``, ``\\\\host``), is removed, and CSS is read
with its escapes decoded.
"""
from __future__ import annotations

import os
import re
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


def make_offline(site_dir: Path) -> int:
    """Rewrite every HTML page under ``site_dir``; returns the number of pages rewritten."""
    css = site_dir / "static" / "styles" / "xxgk_offline.css"
    css.parent.mkdir(parents=True, exist_ok=True)
    css.write_text(OFFLINE_CSS, encoding="utf-8")
    pages = sorted(site_dir.rglob("*.html"))
    for page in pages:
        page.write_text(sanitize(page.read_text(encoding="utf-8"), _relative(css, page)), encoding="utf-8")
    return len(pages)


def _relative(target: Path, page: Path) -> str:
    return Path(os.path.relpath(target, page.parent)).as_posix()


def sanitize(html: str, css_href: str) -> str:
    """The page without scripts, handlers, or internet assets, with the local stylesheet linked.

    Parsed with lxml (libxml2's HTML parser, the one BeautifulSoup's "lxml" builder drives) and walked once."""
    from lxml import etree
    from lxml import html as lxml_html

    try:
        root = lxml_html.document_fromstring(html.encode("utf-8"), parser=_parser())
    except etree.ParserError:  # nothing but blanks or comments: an empty page
        root = lxml_html.document_fromstring(b"<html><head></head><body></body></html>", parser=_parser())
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
    # libxml2 would invent an HTML 4 doctype (with a w3.org URL) for a page without one
    return "<!DOCTYPE html>\n" + etree.tostring(root, method="html", encoding="unicode")


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
