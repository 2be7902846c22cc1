"""Small HTML helpers. Every value that reaches a page goes through ``esc`` (text) or ``href`` (links).

Pages carry no script and no event handler; links are relative paths built from safe slugs (or a quoted
relative file path), so no URL scheme from the database can ever reach an ``href``.
"""
from __future__ import annotations

import html
import math
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote

from portal.names import slug

EMPTY = "—"
CSP = "script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-src 'none'"
SEVERITY = {"error": "错误", "warning": "警示"}
STATUS = {"pass": "通过", "fail": "不通过", "not_assessable": "无法判断", "not_applicable": "不适用"}
DECISION = {"confirmed": "已确认", "waived": "已豁免"}
KIND = {"township": "乡镇人民政府", "street": "街道办事处", "county_gov": "县（区）人民政府", "city_gov": "市人民政府",
        "department": "政府部门", "zone": "开发区（园区）"}
CELL_STATE = {"number": "数字", "blank": "空白", "na": "不适用", "text": "文字", "missing": "缺失"}
PARSE = {"ok": "正常", "partial": "部分识别", "failed": "无法读取"}


def esc(value: object) -> str:
    """Escaped text; ``None`` (and empty strings) as a dash."""
    if value is None or value == "":
        return EMPTY
    return html.escape(str(value), quote=True)


def num(value: float | int | None) -> str:
    """A number as printed on a page: integers without decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return EMPTY
    if float(value).is_integer():
        return str(int(value))
    return html.escape(f"{value:g}")


@lru_cache(maxsize=65536)
def href(path: str) -> str:
    """A relative link target: every segment percent-encoded (so ``:`` can never start a scheme)."""
    return html.escape("/".join(quote(part, safe="") for part in path.split("/")), quote=True)


def link(path: str, text: object, cls: str | None = None, fragment: str | None = None) -> str:
    """``<a>`` to a relative path (optionally to an element ``#fragment`` of it) with escaped text."""
    return raw_link(path, esc(text), cls, fragment)


def raw_link(path: str, content: str, cls: str | None = None, fragment: str | None = None) -> str:
    """``<a>`` around already-escaped ``content``."""
    target = href(path) + (f"#{anchor(fragment)}" if fragment is not None else "")
    return f'<a href="{target}"{_class(cls)}>{content}</a>'


def anchor(text: str) -> str:
    """A safe element id for ``text`` (letters, digits, ``-``, ``_``; a hash otherwise)."""
    return slug(str(text), "a")


def finding_id(fingerprint: str) -> str:
    """The element id of a finding on its body page (the overview links to it)."""
    return anchor(f"f-{fingerprint}")


@lru_cache(maxsize=1024)
def _class(cls: str | None) -> str:
    """`` class="…"`` (escaped), or nothing: the few class names of the pages are escaped once each."""
    return f' class="{esc(cls)}"' if cls else ""


def tag(name: str, content: str, cls: str | None = None) -> str:
    """An element around already-escaped content."""
    return f"<{name}{_class(cls)}>{content}</{name}>"


@lru_cache(maxsize=256)
def badge(severity: str) -> str:
    """A coloured severity label."""
    return tag("span", esc(SEVERITY.get(severity, severity)), f"badge {'err' if severity == 'error' else 'warn'}")


def table(headers: Iterable[str], rows: Iterable[Iterable[str]], cls: str | None = None) -> str:
    """A scrollable table; ``headers`` are escaped here, ``rows`` hold already-escaped cells. Each cell
    carries its header as ``data-label``: a table of class ``stack`` becomes one card per row on a phone."""
    headers = tuple(headers)
    return rows_table(headers, ("<tr>" + cells(headers, row) + "</tr>" for row in rows), cls)


def rows_table(headers: Iterable[str], rows: Iterable[str], cls: str | None = None) -> str:
    """``table`` of rows already made (``<tr>`` and ``cells``)."""
    head, _ = _head(tuple(headers))
    return (f'<div class="scroll"><table{_class(cls)}><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
            "</tbody></table></div>")


def cells(headers: Iterable[str], row: Iterable[str], start: int = 0) -> str:
    """The ``<td>`` of already-escaped cells of a ``table`` row, the first in column ``start``."""
    _, labels = _head(tuple(headers))
    return "".join(f"<td{labels[i] if i < len(labels) else ''}>{c}</td>" for i, c in enumerate(row, start))


@lru_cache(maxsize=1024)
def _head(headers: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """A table's header row and each column's ``data-label`` attribute (escaped once per set of headers)."""
    return ("".join(f"<th>{esc(h)}</th>" for h in headers),
            tuple(f' data-label="{esc(h)}"' if h else "" for h in headers))


def details(summary: str, content: str, open_: bool = False, cls: str | None = None) -> str:
    """A block that folds without any script (``<details>``); ``summary`` is ready markup."""
    return f'<details{_class(cls)}{" open" if open_ else ""}><summary>{summary}</summary>{content}</details>'


def section(ident: str, content: str, cls: str | None = None) -> str:
    """A ``<section>`` with a safe id (a target of ``#`` links)."""
    return f'<section id="{anchor(ident)}"{_class(cls)}>{content}</section>'


NAV = (("todo", "不合规"), ("pending", "待核实"), ("missing", "未报送"), ("counties", "区县"), ("rules-top", "常见问题"),
       ("years", "年度"), ("bodies", "全部机关"))


def page(title: str, body: str, root: str = "") -> str:
    """A whole page: ``root`` is the relative path to the site root (``""`` or ``"../"``)."""
    nav = "".join(link(root + "index.html", text, fragment=ident) for ident, text in NAV)
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{esc(title)}</title>\n"
        f'<link rel="stylesheet" href="{href(root + "assets/site.css")}">\n'
        "</head>\n<body>\n"
        f'<header class="top"><a class="home" href="{href(root + "index.html")}">政府信息公开年报合规检查</a>'
        f'<nav>{nav}</nav></header>\n'
        f"<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
