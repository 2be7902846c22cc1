"""Decode a fetched page, and tell what a fetched file is.

Chinese government portals serve UTF-8, GB2312, GBK and GB18030, and the declarations lie: a GB2312 page
routinely holds GBK characters, a header may say UTF-8 for a GBK page, a page re-saved as UTF-8 keeps its
old ``<meta charset=gb2312>``. Candidates are tried strictly in order — byte-order mark, the HTTP header,
the page's ``<meta>``, UTF-8 — and the first that decodes without error wins; otherwise charset-normalizer
guesses, and GB18030 (a superset of GB2312 and GBK) with replacement is the last resort.
"""
from __future__ import annotations

import codecs
import re

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_HEADER = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_GB = {"gb2312", "gb_2312", "gb_2312-80", "gbk", "x-gbk", "cp936", "ms936", "windows-936", "gb18030", "euc-cn",
       "csgb2312", "chinese", "hz-gb-2312"}


def charset_name(name: str | None) -> str | None:
    """A declared charset as a Python codec name (every GB variant → gb18030), or None when unknown."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    if name in _GB:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_page(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding used) of an HTML page."""
    for encoding in _candidates(data, content_type):
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    guessed = _guess(data)
    if guessed:
        return guessed
    return data.decode("gb18030", errors="replace"), "gb18030"


def _candidates(data: bytes, content_type: str | None) -> list[str]:
    out = []
    if data.startswith(codecs.BOM_UTF8):
        out.append("utf-8-sig")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        out.append("utf-16")
    header = _HEADER.search(content_type or "")
    meta = _META.search(data[:4096])
    for declared in (header.group(1) if header else None, meta.group(1).decode("ascii", "ignore") if meta else None):
        name = charset_name(declared)
        if name and name not in out:
            out.append(name)
    out.append("utf-8")
    return out


def _guess(data: bytes) -> tuple[str, str] | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None:
        return None
    encoding = charset_name(best.encoding) or best.encoding
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError):
        return None


# ---------------------------------------------------------------- what a file is

DOCUMENT_TYPES = ("pdf", "docx", "doc", "wps", "xls", "xlsx", "zip", "rar", "ofd", "et")
_MIME = {"application/pdf": "pdf", "application/msword": "doc", "application/vnd.ms-excel": "xls",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
         "application/zip": "zip", "application/x-zip-compressed": "zip", "application/vnd.ms-works": "wps",
         "application/kswps": "wps", "application/wps-office.wps": "wps", "application/x-rar-compressed": "rar",
         "text/html": "html", "application/xhtml+xml": "html", "text/plain": "txt"}
_MARKUP = re.compile(rb"<(!doctype\s+html|html|head|body|meta|title|div|p|table)[\s>/]", re.I)


def sniff(data: bytes, content_type: str | None = None, name_hint: str = "") -> str:
    """The kind of a fetched file from its bytes first (servers often send ``application/octet-stream``
    or ``text/html`` for a PDF), then its name, then the header: ``pdf``, ``docx``, ``xlsx``, ``zip``,
    ``doc``/``wps``/``xls`` (OLE files, told apart by name), ``html``, ``txt``."""
    head = data[:1024].lstrip()
    hint = _extension(name_hint)
    if head.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        if b"word/" in data[:65536] or hint == "docx":
            return "docx"
        if b"xl/" in data[:65536] or hint == "xlsx":
            return "xlsx"
        return hint if hint in ("ofd",) else "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return hint if hint in ("doc", "wps", "xls", "et") else "doc"
    if data.startswith(b"Rar!"):
        return "rar"
    if _MARKUP.search(head[:2048]):
        return "html"
    mime = (content_type or "").split(";")[0].strip().lower()
    return _MIME.get(mime) or (hint if hint and hint != "html" else "txt")


def _extension(name: str) -> str:
    path = name.split("?")[0].split("#")[0].rstrip("/")
    tail = path.rsplit("/", 1)[-1]
    return tail.rsplit(".", 1)[-1].lower() if "." in tail else ""


def document_extension(url_or_name: str) -> str | None:
    """The document type a link names by its extension (``.pdf``, ``.docx`` …), or None."""
    ext = _extension(url_or_name)
    return ext if ext in DOCUMENT_TYPES else None
