"""Old Office files and spreadsheets → lines: .doc/.wps/RTF via LibreOffice to .docx and the Word reader (tables
keep their grid); .xls/.et via LibreOffice to .xlsx and .xlsx directly through ``parsing.sheets``.

The OLE2 container is inspected first (``parsing.ole``): a password-protected or truncated file fails with its
own reason before any converter runs. Conversion times are kept in ``CONVERSION_SECONDS`` (for the benchmark).
"""
from __future__ import annotations

from pathlib import PurePath

from parsing import convert, ole, sheets
from parsing.errors import EncryptedDocument, NotADocument

WORD_SUFFIXES = (".doc", ".wps", ".dot", ".wpt", ".rtf")
SHEET_SUFFIXES = (".xls", ".et", ".xlt", ".ett")
OOXML_SUFFIXES = (".docx", ".xlsx", ".docm", ".xlsm")
CONVERSION_SECONDS: list[float] = []  # every conversion's duration in this process (seconds)


def read_office(data: bytes, name: str, fmt: str) -> tuple[list, str]:
    """The lines of an OLE2/RTF file (``fmt`` "office") or a workbook (``fmt`` "xlsx"), and the source format
    to record ("doc", "wps", "xls", "et", "xlsx", "rtf" …)."""
    suffix = PurePath(name).suffix.lower()
    if fmt == "xlsx":
        label = suffix if suffix in (".xlsx", ".xlsm", ".et", ".wps") else ".xlsx"
        return sheets.read_xlsx(data, label), label.lstrip(".")
    if data.startswith(b"{\\rtf"):
        return _word(data, ".rtf"), "rtf"
    if suffix in OOXML_SUFFIXES:
        return _ooxml_in_ole2(data, suffix)
    label = suffix if suffix in WORD_SUFFIXES + SHEET_SUFFIXES else ".doc"
    info = ole.inspect(data, label)
    if info.kind in ("word", "works") or (info.kind == "other" and suffix in WORD_SUFFIXES):
        return _word(data, label), label.lstrip(".")
    if info.kind == "sheet" or (info.kind == "other" and suffix in SHEET_SUFFIXES):
        label = label if label in SHEET_SUFFIXES else ".xls"
        return sheets.read_xlsx(_converted(data, label, "xlsx"), label), label.lstrip(".")
    raise convert.not_convertible(label.lstrip("."))


def _ooxml_in_ole2(data: bytes, suffix: str) -> tuple[list, str]:
    """A .docx/.xlsx held in an OLE2 container: Office stores a password-protected one so. An old .doc/.xls
    merely renamed is read as such; anything else is reported as protected (it cannot be opened)."""
    try:
        info = ole.inspect(data, suffix)
    except EncryptedDocument:
        raise
    except NotADocument:
        info = None
    if info is not None and info.kind == "word":
        return _word(data, ".doc"), "doc"
    if info is not None and info.kind == "sheet":
        return sheets.read_xlsx(_converted(data, ".xls", "xlsx"), ".xls"), "xls"
    raise EncryptedDocument(f"{suffix} 文件是旧版复合文件格式，这是受密码保护（加密）的 Office 文件的存放方式，无法读取；"
                            "请提供未加密的文件")


def _word(data: bytes, label: str) -> list:
    from parsing.readers import _read_docx

    converted = _converted(data, label, "docx")
    try:
        return _read_docx(converted)
    except NotADocument as exc:
        raise NotADocument(f"{label} 文件经 LibreOffice 转换后仍无法读取：{exc.reason}") from None


def _converted(data: bytes, label: str, target: str) -> bytes:
    conversion = convert.convert(data, label, target)
    CONVERSION_SECONDS.append(conversion.seconds)
    return conversion.data
