"""Text files (.txt/.md): decoded, one ``Line`` per line, tab-per-cell and markdown table rows as cell lines,
and a laid-out text's tables read by position (``parsing.layout_text``)."""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from parsing.errors import NotADocument
from parsing.lines import Line, _drop_footers, _may_have_footers


def read_txt(data: bytes) -> list[Line]:
    """The lines of a text file; a laid-out text's tables as rows of cell lines (``parsing.layout_text``)."""
    text = decode_text(data)
    lines = _text_lines(text)  # footers already blanked, line by line
    if "  " in text and _TWO_APART.search(text) is not None:  # numbers spaces apart: maybe laid out
        from parsing.layout_text import looks_laid_out, relaid

        if looks_laid_out(text):
            lines = relaid(text, lines)
    return lines


def decode_text(data: bytes) -> str:
    """Decode UTF-8/UTF-16 (with BOM) or GBK/GB18030; reject binary junk.

    A few stray undecodable bytes (a damaged copy) do not make a whole report unreadable: they become
    U+FFFD and the rest of the text is kept.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
        _reject_binary(text)
        return text
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        _reject_binary(text)
        return text
    for encoding in ("utf-8-sig", "gb18030"):
        text = data.decode(encoding, errors="replace")
        if text and text.count("\ufffd") / len(text) <= _MAX_REPLACED:
            _reject_binary(text)
            return text
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None:
        raise NotADocument("无法识别文件的字符编码，内容可能是二进制数据，不是文字报告")
    text = data.decode(best.encoding, errors="replace")
    _reject_binary(text)
    return text


_MAX_REPLACED = 0.005  # share of undecodable characters tolerated in an otherwise UTF-8/GB18030 text


_BINARY = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")


def _reject_binary(text: str) -> None:
    sample = text[:20000]
    bad = len(_BINARY.findall(sample))
    if sample and bad / len(sample) > 0.02:
        raise NotADocument("文件内容是二进制数据，不是文字报告")


def _read_text(data: bytes) -> list[Line]:
    """The lines of a text file, page footers blanked out (by ``_drop_footers``, when there can be any)."""
    return _text_lines(decode_text(data))


_TWO_APART = re.compile(r"\d {2,}[+\-−–]?\d")  # two numbers set apart by spaces (``parsing.layout_text``)


def _text_lines(text: str) -> list[Line]:
    """``_read_text`` of the decoded text."""
    raws = text.splitlines()
    lines: list[Line] = []
    append = lines.append
    for raw, where in zip(raws, _line_names(len(raws))):
        if "|" not in raw:  # the common cases of ``_text_line``, inlined
            if "\t" not in raw:
                append(Line(raw, where, False))
                continue
            if raw[0] == "\t" and "\t" not in (cell := raw[1:]):
                append(Line(cell, where, True))
                continue
        lines.extend(_text_line(raw, where))
    return _drop_footers(lines) if _may_have_footers(text) else lines


_NAMED_LINES = 5000  # the names of the first lines are made once (a report has a few hundred lines)


def _line_names(count: int) -> Sequence[str]:
    """``第1行``, ``第2行`` … for ``count`` lines."""
    if count <= _NAMED_LINES:
        return _first_line_names()
    return [f"第{number}行" for number in range(1, count + 1)]


@cache
def _first_line_names() -> tuple[str, ...]:
    return tuple(f"第{number}行" for number in range(1, _NAMED_LINES + 1))


def _text_line(raw: str, where: str) -> list[Line]:
    if "\t" not in raw and "|" not in raw:
        return [Line(raw, where, False)]
    stripped = raw.strip()
    if stripped.startswith("|") and stripped.endswith("|") and stripped.count("|") >= 3:
        if re.fullmatch(r"[|:\-\s]+", stripped):
            return []
        cells = [Line(cell.strip(), where, True) for cell in stripped.strip("|").split("|")]
        return [*cells, Line("", where)]  # one markdown line is one table row
    if raw.startswith("\t"):
        return [Line(cell, where, True) for cell in raw[1:].split("\t")]
    if "\t" in raw.strip(" \u00a0\u3000"):
        return [*(Line(cell, where, True) for cell in raw.split("\t")), Line("", where)]
    return [Line(raw, where, False)]
