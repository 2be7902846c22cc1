"""Readers: bytes of a .txt/.md, .html/.htm, .docx or .pdf file → a ``Document`` of lines.

Every format becomes the same thing: an ordered list of ``Line`` objects, each knowing where it was
printed. Table cells from HTML, Word and tab-per-cell text become one *cell line* each (so an empty
cell stays visible as a blank); running text and PDF text become ordinary lines.
"""
from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import PurePath

from parsing.errors import EmptyDocument, EncryptedDocument, NoTextLayer, NotADocument, ReadError, TooLarge
from parsing.html_reader import MAX_MARKUP_TAGS, MERGED, RowSpans, _read_html, decode_html
from parsing.lines import Document, Line, _drop_footers
from parsing.text_reader import _read_text, _text_line, _text_lines, decode_text, read_txt

__all__ = ["Document", "Line", "MERGED", "RowSpans", "decode_html", "decode_text", "detect_format", "read_document",
           "too_large", "_read_text", "_text_line", "_text_lines"]

MAX_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_PDF_PAGES = 300
# What a small file can unpack into: markup ("<") in an HTML page or in the XML parts of a Word file (BeautifulSoup
# and python-docx build one object per element, ~30 µs and ~400 bytes each; a real report has < 50,000), the
# decoded page content of a PDF (a real report page holds ~25 KB) and the content-stream operators interpreted
# while extracting its text (~3,000 a page, form XObjects included).
MAX_PDF_CONTENT_BYTES = 4 * 1024 * 1024
MAX_PDF_OPERATIONS = 400_000
FORMATS = ("txt", "html", "docx", "pdf")
_EXTENSIONS = {".txt": "txt", ".md": "txt", ".text": "txt", ".html": "html", ".htm": "html",
               ".xhtml": "html", ".docx": "docx", ".pdf": "pdf"}


def detect_format(data: bytes, name: str) -> str:
    """The format by content first (magic bytes), then by file extension."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "xlsx" if b"xl/workbook.xml" in data and b"word/document.xml" not in data else "docx"
    if data.startswith((b"\xd0\xcf\x11\xe0", b"{\\rtf")):
        return "office"  # .doc/.wps/.xls/.et (or RTF): parsing.office checks and converts (password protection too)
    ext = _EXTENSIONS.get(PurePath(name).suffix.lower())
    if ext in ("pdf", "docx"):
        raise NotADocument(f"文件扩展名为 .{ext}，但内容不是 {ext.upper()} 文件")
    if ext == "html":
        return "html"
    if ext == "txt" and not head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<"):
        return "txt"  # a .txt/.md report that quotes markup in its first lines (a title, say) is still text
    return "html" if _MARKUP.search(head[:512]) else "txt"


_MARKUP = re.compile(rb"<(html|body|table|p|div)[\s>]", re.I)


def read_document(data: bytes, name: str) -> Document:
    """Read any supported format. Raises ``ReadError`` with a readable reason when it cannot."""
    if not data:
        raise EmptyDocument("文件为空（0 字节）")
    if len(data) > MAX_BYTES:
        raise too_large(len(data))
    fmt = detect_format(data, name)
    if fmt in ("office", "xlsx"):  # issue 16: old Office formats and spreadsheets
        from parsing.office import read_office

        lines, fmt = read_office(data, name, fmt)
        lines = _drop_footers(lines)
    elif fmt == "txt":
        lines = read_txt(data)  # footers already blanked, line by line
    else:
        lines = _drop_footers({"html": _read_html, "docx": _read_docx, "pdf": _read_pdf}[fmt](data))
    if not any(line.text.strip() for line in lines):
        raise EmptyDocument("文件中没有可读的文字")
    return Document(tuple(lines), fmt)


def too_large(size: int) -> TooLarge:
    """The error for a file of ``size`` bytes above ``MAX_BYTES`` (also raised from the size on disk alone)."""
    return TooLarge(f"文件过大（{_size(size)}，上限 {_size(MAX_BYTES)}）")


def _size(n: int) -> str:
    """A byte count as a person reads it (MB, or KB / bytes for small limits)."""
    if n >= 1048576:
        return f"{n / 1048576:.1f} MB"
    return f"{n / 1024:.1f} KB" if n >= 1024 else f"{n} 字节"


# ---------------------------------------------------------------- docx


def _check_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise NotADocument(f"Word 文件已损坏或不完整（{exc.__class__.__name__}）") from None
    if "word/document.xml" not in names:
        raise NotADocument("压缩包中没有 word/document.xml，不是 Word (.docx) 文件")
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNZIPPED_BYTES:
        raise TooLarge(f"Word 文件解压后过大（{_size(unpacked)}，上限 {_size(MAX_UNZIPPED_BYTES)}），疑似压缩炸弹")
    _count_markup(archive)
    return archive


def _count_markup(archive: zipfile.ZipFile) -> None:
    """Count the elements of the XML parts, streaming (1 MB at a time), before python-docx builds them all."""
    tags = 0
    try:
        for info in archive.infolist():
            if not info.filename.lower().endswith((".xml", ".rels")):
                continue
            with archive.open(info) as part:
                while chunk := part.read(1 << 20):
                    tags += chunk.count(b"<")
                    if tags > MAX_MARKUP_TAGS:
                        raise TooLarge(f"Word 文件的 XML 标记过多（超过 {MAX_MARKUP_TAGS} 个元素），疑似压缩炸弹")
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError) as exc:
        raise NotADocument(f"Word 文件已损坏或不完整（{exc.__class__.__name__}）") from None


def _read_docx(data: bytes) -> list[Line]:
    _check_zip(data)
    import docx
    from docx.oxml.ns import qn

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds on a broken package
        raise NotADocument(f"Word 文件无法打开（{exc.__class__.__name__}）") from None
    lines: list[Line] = []
    paragraph = table = 0
    p_tag, tbl_tag, t_tag = qn("w:p"), qn("w:tbl"), qn("w:t")
    try:
        for block in document.element.body.iterchildren():
            if block.tag == p_tag:
                paragraph += 1
                text = "".join(t.text or "" for t in block.iter(t_tag))
                lines.append(Line(text, f"Word第{paragraph}段"))
            elif block.tag == tbl_tag:
                table += 1
                lines.extend(_docx_table(docx.table.Table(block, document), table))
    except (ValueError, KeyError, AttributeError, TypeError) as exc:  # python-docx on malformed table XML
        raise NotADocument(f"Word 文件内容结构有误，无法读取（{exc.__class__.__name__}）") from None
    return lines


def _docx_table(table, number: int) -> list[Line]:  # noqa: ANN001 - python-docx Table
    """Each cell once, at its first (top-left) position: a horizontally merged cell (gridSpan) is one
    ``<w:tc>``; a cell continuing a vertical merge (vMerge) is the cell above it, already read, and stands in
    its row as one ``MERGED`` cell line (so that the row's later cells keep their columns).

    The ``<w:tc>`` elements are read directly: python-docx's ``row.cells`` repeats a cell once per grid column
    it spans and looks a vertical merge up row by row, recursively — a declared span of 10⁸ columns or a merge
    thousands of rows deep would take minutes and gigabytes (or overflow the stack)."""
    from docx.table import _Cell

    lines: list[Line] = []
    for r, tr in enumerate(table._tbl.tr_lst, start=1):
        c = 1
        for tc in tr.tc_lst:
            span = max(tc.grid_span, 1)
            if tc.vMerge == "continue":
                lines.append(Line(MERGED, f"Word表格{number}第{r}行第{c}格（上方合并单元格）", True))
            else:
                text = "".join(p.text for p in _Cell(tc, table).paragraphs)
                text = re.sub(r"\s+", " ", text).strip(" \u00a0\u3000")
                lines.append(Line(text, f"Word表格{number}第{r}行第{c}格", True))
            c += span
        lines.append(Line("", f"Word表格{number}第{r}行末"))
    return lines


# ---------------------------------------------------------------- pdf


def _read_pdf(data: bytes) -> list[Line]:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, LimitReachedError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise EncryptedDocument("PDF 文件受密码保护，无法读取")
        pages = reader.pages
        if len(pages) > MAX_PDF_PAGES:
            raise TooLarge(f"PDF 共 {len(pages)} 页，超过上限 {MAX_PDF_PAGES} 页，不像一份年度报告")
        _check_pdf_content(pages)
        budget = _OperationBudget(MAX_PDF_OPERATIONS)
        layouts = _pdf_layouts(data, len(pages))
        per_page = [_layout_lines(layouts[p - 1], p) if p - 1 in layouts else
                    [Line(text, f"第{p}页第{n}行") for n, text in
                     enumerate((page.extract_text(visitor_operand_before=budget) or "").splitlines(), start=1)]
                    for p, page in enumerate(pages, start=1)]
        from parsing.ocr import with_scanned_pages  # issue 16: pages without Chinese text are OCR'd

        lines = with_scanned_pages(data, pages, per_page)
    except ReadError:
        raise
    except FileNotDecryptedError:
        raise EncryptedDocument("PDF 文件受密码保护，无法读取") from None
    except LimitReachedError:
        raise TooLarge("PDF 中的数据流解压后过大，超过 pypdf 的安全上限，疑似压缩炸弹") from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            AssertionError, ZeroDivisionError, OverflowError) as exc:  # pypdf asserts on some corrupt files
        raise NotADocument(f"PDF 文件已损坏或不完整（{exc.__class__.__name__}）") from None
    if sum(len(line.text.strip()) for line in lines) < 20:
        raise NoTextLayer("PDF 没有文字层（可能是扫描件），需要先做文字识别（OCR）")
    return lines


def _pdf_layouts(data: bytes, pages: int) -> dict:
    """The pages that print a table (ruled, or read by columns without rulings), read from positions
    (``parsing.pdf_layout``) and tidied (``parsing.pdf_tidy``); {} when the layout library is not installed."""
    try:
        from parsing.pdf_layout import layout_pages
    except ImportError:  # pypdfium2 absent: the text layer alone, as before
        return {}
    from parsing.pdf_tidy import tidied

    return tidied(layout_pages(data, pages))


def _layout_lines(items: list, page: int) -> list[Line]:  # noqa: ANN001 - parsing.pdf_layout.PageItem
    """A page read from positions: free lines as lines, each table row as its cells (a blank cell an empty
    cell line) and a row-end line."""
    lines: list[Line] = []
    for n, item in enumerate(items, start=1):
        if not item.cells or _values_in_label(item.cells):
            lines.append(Line(item.text if not item.cells else " ".join(c for c in item.cells if c),
                              f"第{page}页第{n}行"))
            continue
        lines.extend(Line(text, f"第{page}页第{n}行第{c}格", True) for c, text in enumerate(item.cells, start=1))
        lines.append(Line("", f"第{page}页第{n}行末"))
    return lines


_LABEL_NUMBER = re.compile(r"^\s*\d{1,2}\s*[.、．]")  # an item number ("1.") opening a label
_VALUE_RUN = re.compile(r"\d{3,}")


def _values_in_label(cells: Sequence[str]) -> bool:
    """A ruled row whose values were drawn inside its label cell (a ruling the grid does not show, or a
    document that misplaced them) and whose value cells are empty: its grid cannot say which column holds
    what, so the row is read as a text line (digits split only when the reading is unique), never as blanks."""
    label, *values = cells
    compact = re.sub(r"\s+", "", _LABEL_NUMBER.sub("", label))
    return bool(re.search(r"[\u4e00-\u9fff]", compact) and _VALUE_RUN.search(compact)) and not any(v.strip() for v in values)


def _check_pdf_content(pages) -> None:  # noqa: ANN001 - pypdf page list
    """The pages' decoded content streams, together, within ``MAX_PDF_CONTENT_BYTES`` (checked before any text
    is extracted: pypdf parses a whole stream into operators first, superlinearly in its size)."""
    total = 0
    for number, page in enumerate(pages, start=1):
        contents = page.get("/Contents")
        contents = contents.get_object() if contents is not None else None
        streams = contents if isinstance(contents, list) else [contents]
        for stream in streams:
            stream = stream.get_object() if stream is not None else None
            if hasattr(stream, "get_data"):
                total += len(stream.get_data())
        if total > MAX_PDF_CONTENT_BYTES:
            raise TooLarge(f"PDF 页面内容解压后过大（前 {number} 页已达 {_size(total)}，上限 "
                           f"{_size(MAX_PDF_CONTENT_BYTES)}），不像一份年度报告")


class _OperationBudget:
    """``visitor_operand_before`` of pypdf's text extraction: stops it after ``limit`` operators (a form
    XObject drawn thousands of times costs as much as its operators repeated; a failure inside a form is only
    logged by pypdf, so every later operator raises again until the page's own content stops)."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.limit = limit

    def __call__(self, *_args: object) -> None:
        self.left -= 1
        if self.left < 0:
            raise TooLarge(f"PDF 内容过于复杂（超过 {self.limit} 个绘制指令），不像一份年度报告")
