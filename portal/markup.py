"""Small HTML helpers. Every value that reaches a page goes through ``esc`` (text) or ``href`` (links).

Pages carry no script and no event handler; links are relative paths built from safe slugs (or a quoted
relative file path), so no URL scheme from the database can ever reach an ``href``.
"""
from __future__ import annotations

import html
import math
from collections.abc import Iterable
from urllib.parse import quote

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


def href(path: str) -> str:
    """A relative link target: every segment percent-encoded (so ``:`` can never start a scheme)."""
    return html.escape("/".join(quote(part, safe="") for part in path.split("/")), quote=True)


def link(path: str, text: object, cls: str | None = None) -> str:
    """``<a>`` to a relative path with escaped text."""
    klass = f' class="{esc(cls)}"' if cls else ""
    return f'<a href="{href(path)}"{klass}>{esc(text)}</a>'


def tag(name: str, content: str, cls: str | None = None) -> str:
    """An element around already-escaped content."""
    klass = f' class="{esc(cls)}"' if cls else ""
    return f"<{name}{klass}>{content}</{name}>"


def badge(severity: str) -> str:
    """A coloured severity label."""
    return tag("span", esc(SEVERITY.get(severity, severity)), f"badge {'err' if severity == 'error' else 'warn'}")


def table(headers: Iterable[str], rows: Iterable[Iterable[str]], cls: str | None = None) -> str:
    """A scrollable table; ``headers`` are escaped here, ``rows`` hold already-escaped cells."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    klass = f' class="{esc(cls)}"' if cls else ""
    return f'<div class="scroll"><table{klass}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def page(title: str, body: str, root: str = "") -> str:
    """A whole page: ``root`` is the relative path to the site root (``""`` or ``"../"``)."""
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{esc(title)}</title>\n"
        f'<link rel="stylesheet" href="{href(root + "assets/site.css")}">\n'
        "</head>\n<body>\n"
        f'<header class="top"><a href="{href(root + "index.html")}">政府信息公开年报合规检查</a></header>\n'
        f"<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
