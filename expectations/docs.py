"""Make a Data Docs site safe and complete offline.

GX pages load Bootstrap, jQuery, Font Awesome, Vega … from CDNs and a logo from S3. Offline those are
unreachable, and report text (body names, cell values) appears inside the pages. Every page is rewritten:
no ``<script>`` at all, no event-handler attributes, no ``javascript:`` links, no asset from the internet;
a local stylesheet (``static/styles/xxgk_offline.css``) gives the pages a readable layout instead.
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
_EXTERNAL = re.compile(r"^\s*(https?:)?//", re.I)
_JS = re.compile(r"^\s*(javascript|vbscript|data):", re.I)
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*(?:https?:)?//[^)]*\)", re.I)
_CSS_IMPORT = re.compile(r"@import[^;]*;", re.I)


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
    """The page without scripts, handlers, or internet assets, with the local stylesheet linked."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for tag in soup.find_all(["script", "iframe", "object", "embed", "base", "noscript"]):
        tag.decompose()
    for tag in soup.find_all(True):
        _clean_attributes(tag)
    for link in soup.find_all("link"):
        if link.get("href") is None:
            link.decompose()
    for style in soup.find_all("style"):
        style.string = _CSS_URL.sub("none", _CSS_IMPORT.sub("", style.get_text()))
    head = soup.head or soup.new_tag("head")
    if soup.head is None and soup.html is not None:
        soup.html.insert(0, head)
    style = soup.new_tag("link", rel="stylesheet", href=css_href)
    head.append(style)
    return str(soup)


def _clean_attributes(tag) -> None:  # noqa: ANN001 - bs4 Tag
    for name in list(tag.attrs):
        value = tag.attrs[name]
        text = " ".join(value) if isinstance(value, list) else str(value)
        if name.lower().startswith("on") or name.lower() in ("srcdoc", "formaction"):
            del tag.attrs[name]
        elif name.lower() in ("href", "src", "action", "data", "poster", "xlink:href", "srcset") and (
                _EXTERNAL.match(text) or _JS.match(text)):
            del tag.attrs[name]
        elif name.lower() == "style" and ("url(" in text.lower() or "expression(" in text.lower()):
            del tag.attrs[name]
