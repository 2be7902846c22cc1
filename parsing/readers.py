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
from dataclasses import dataclass
from functools import cache
from pathlib import PurePath

from parsing.errors import EmptyDocument, EncryptedDocument, NoTextLayer, NotADocument, ReadError, TooLarge

MAX_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_PDF_PAGES = 300
# What a small file can unpack into: markup ("<") in an HTML page or in the XML parts of a Word file (BeautifulSoup
# and python-docx build one object per element, ~30 µs and ~400 bytes each; a real report has < 50,000), the
# decoded page content of a PDF (a real report page holds ~25 KB) and the content-stream operators interpreted
# while extracting its text (~3,000 a page, form XObjects included).
MAX_MARKUP_TAGS = 250_000
MAX_PDF_CONTENT_BYTES = 4 * 1024 * 1024
MAX_PDF_OPERATIONS = 400_000
FORMATS = ("txt", "html", "docx", "pdf")
_EXTENSIONS = {".txt": "txt", ".md": "txt", ".text": "txt", ".html": "html", ".htm": "html",
               ".xhtml": "html", ".docx": "docx", ".pdf": "pdf"}
_FOOTER = re.compile(r"^\s*(?:[-－—–]\s*\d{1,3}\s*[-－—–]|第\s*\d{1,3}\s*页(?:\s*[/，,]?\s*共\s*\d{1,3}\s*页)?)\s*$")


@dataclass(frozen=True, init=False)
class Line:
    """One line of a document. ``cell`` is true when the line is exactly one table cell."""

    text: str
    where: str
    cell: bool = False

    def __init__(self, text: str, where: str, cell: bool = False) -> None:
        # Written out (see ``parsing.model.Cell.__init__``): the fields in order, nothing else.
        fields = self.__dict__
        fields["text"] = text
        fields["where"] = where
        fields["cell"] = cell


@dataclass(frozen=True)
class Document:
    lines: tuple[Line, ...]
    source_format: str


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
        text = decode_text(data)
        lines = _text_lines(text)  # footers already blanked, line by line
        if "  " in text and _TWO_APART.search(text) is not None:  # numbers spaces apart: maybe laid out
            from parsing.layout_text import looks_laid_out, relaid

            if looks_laid_out(text):
                lines = relaid(text, lines)
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


_FOOTER_FIRST = frozenset("-－—–第")  # what a footer's first printed character is


def _is_footer(text: str) -> bool:
    """``_FOOTER.match(text)``, skipping the regex for a line whose first character cannot begin one."""
    first = text[:1]
    return (first in _FOOTER_FIRST or first.isspace()) and _FOOTER.match(text) is not None


def _drop_footers(lines: list[Line]) -> list[Line]:
    """Page footers such as "- 4 -" are printed inside tables by PDF extraction; blank them out."""
    return [Line("", ln.where, False) if _is_footer(ln.text) else ln for ln in lines]


# A footer's last printed character (a dash, or 页) followed by what may follow a line's text, or a cell's, in
# the text it was cut from: whitespace (line separators and tabs among it), a markdown "|", or the end. One
# pattern for each character: a pattern that begins with a given character is searched for quickly.
_FOOTER_ENDS = tuple(re.compile(rf"{re.escape(last)}(?=\s|\||$)") for last in "-－—–页")


def _may_have_footers(text: str) -> bool:
    """Whether a line cut from ``text`` can be a footer: a few searches of the whole text instead of a look at
    each line. A footer ends with a dash or 页 and then only whitespace, so its end is found by ``_FOOTER_ENDS``."""
    for footer_end in _FOOTER_ENDS:
        if footer_end.search(text) is not None:
            return True
    return False


# ---------------------------------------------------------------- text


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


# ---------------------------------------------------------------- html

_BLOCK_TAGS = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "section", "article",
               "header", "footer", "blockquote", "pre", "title", "ul", "ol", "dd", "dt", "center", "form"}
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "svg", "head")
# ``<embed>`` is a void element, but libxml2's HTML parser nests everything after an unclosed one inside it (and
# likewise after an unclosed ``<object>``, whose content is the fallback a browser without the plugin shows):
# the tag goes, its content stays — dropping it would drop the rest of the page (a Flash video above a report).
_UNWRAP_TAGS = ("object", "embed")


def decode_html(data: bytes) -> str:
    """Decode an HTML page, honouring a declared GB charset (GB2312 pages routinely use GBK characters)."""
    declared = re.search(rb"charset\s*=\s*[\"']?\s*([\w-]+)", data[:4096], re.I)
    name = declared.group(1).decode("ascii", "ignore").lower() if declared else ""
    if name in ("gb2312", "gbk", "gb18030", "x-gbk", "cp936"):
        try:  # a page re-saved as UTF-8 under its old GB declaration: GBK text is practically never valid UTF-8
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return data.decode("gb18030", errors="replace")
    return decode_text(data)


def _read_html(data: bytes) -> list[Line]:
    from bs4 import BeautifulSoup

    text = decode_html(data)
    tags = text.count("<")
    if tags > MAX_MARKUP_TAGS:
        raise TooLarge(f"网页标记过多（{tags} 个“<”，上限 {MAX_MARKUP_TAGS}），不像一份年度报告")
    soup = BeautifulSoup(text, "lxml")
    for tag in soup(list(_DROP_TAGS)):
        tag.decompose()
    for tag in soup(list(_UNWRAP_TAGS)):
        tag.unwrap()
    walker = _HtmlWalker()
    walker.walk(soup.body or soup)
    walker.flush()
    return walker.lines


_FLUSH = object()  # stack marker of ``_HtmlWalker.walk``: end of a block element


class _HtmlWalker:
    """Depth-first walk that emits running text as lines and every table cell as one cell line.
    Iterative (an explicit stack): a page nested thousands of levels deep cannot exhaust Python's stack."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.buffer: list[str] = []
        self.paragraph = 0
        self.table = 0

    def flush(self) -> None:
        text = "".join(self.buffer).strip()
        self.buffer = []
        if text:
            self.paragraph += 1
            for part in text.split("\n"):
                self.lines.append(Line(part, f"网页第{self.paragraph}段"))

    def walk(self, node) -> None:  # noqa: ANN001 - bs4 node
        from bs4 import NavigableString, Tag

        stack: list = list(reversed(node.contents))
        while stack:
            child = stack.pop()
            if child is _FLUSH:
                self.flush()
            elif isinstance(child, NavigableString):
                if type(child).__name__ in ("Comment", "Doctype", "ProcessingInstruction", "Declaration"):
                    continue
                self.buffer.append(re.sub(r"[ \t\r\n]+", " ", str(child)))
            elif isinstance(child, Tag):
                if child.name == "table":
                    self.flush()
                    self._table(child)
                elif child.name in _BLOCK_TAGS:
                    self.flush()
                    stack.append(_FLUSH)  # after the block's children
                    stack.extend(reversed(child.contents))
                else:
                    stack.extend(reversed(child.contents))

    def _table(self, table) -> None:  # noqa: ANN001
        self.table += 1
        rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
        spans = RowSpans()
        for r, tr in enumerate(rows, start=1):
            cells = [td for td in tr.find_all(["td", "th"]) if td.find_parent("tr") is tr]
            spans.next_row()
            for c, td in enumerate(cells, start=1):
                for _ in range(spans.covered_before()):
                    self.lines.append(Line(MERGED, f"网页表格{self.table}第{r}行（上方合并单元格）", True))
                text = td.get_text("", strip=False)
                text = re.sub(r"\s+", " ", text).strip(" \u00a0\u3000")
                self.lines.append(Line(text, f"网页表格{self.table}第{r}行第{c}格", True))
                spans.place(_span(td.get("rowspan")), _span(td.get("colspan")))
            self.lines.append(Line("", f"网页表格{self.table}第{r}行末"))


MAX_SPAN = 1000  # a declared rowspan/colspan above this is read as this (a table of a report is far smaller)
MERGED = "〔与上方单元格合并〕"  # the cell line of a grid position a cell from a row above covers


def _span(value: object) -> int:
    """A rowspan/colspan attribute as a count (1 when absent or not a number)."""
    try:
        return min(max(int(str(value).strip()), 1), MAX_SPAN) if value is not None else 1
    except ValueError:
        return 1


class RowSpans:
    """Which grid positions of the current row are covered by a cell of a row above (rowspan / vMerge), so
    that a row's cells keep their columns: a covered position between two cells becomes one ``MERGED`` cell
    line (the cells after it are not moved one column left). A position covered after the row's last cell
    gets none (a row that is short at its end is short, as printed)."""

    def __init__(self) -> None:
        self._below: dict[int, int] = {}  # column → rows still covered below the current one
        self._covered: dict[int, int] = {}
        self._col = 0

    def next_row(self) -> None:
        self._covered = {c: n for c, n in self._below.items() if n > 0}
        self._below = {c: n - 1 for c, n in self._covered.items() if n > 1}
        self._col = 0

    def covered_before(self) -> int:
        """How many covered positions come before the next cell of this row (and skips them)."""
        count = 0
        while self._col in self._covered:
            self._col += 1
            count += 1
        return count

    def place(self, rowspan: int, colspan: int) -> None:
        """The next cell of this row, spanning ``rowspan`` rows and ``colspan`` columns."""
        if rowspan > 1:
            for c in range(self._col, self._col + colspan):
                self._below[c] = max(self._below.get(c, 0), rowspan - 1)
        self._col += colspan


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
