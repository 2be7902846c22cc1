"""Readers: bytes of a .txt/.md, .html/.htm, .docx or .pdf file → a ``Document`` of lines.

Every format becomes the same thing: an ordered list of ``Line`` objects, each knowing where it was
printed. Table cells from HTML, Word and tab-per-cell text become one *cell line* each (so an empty
cell stays visible as a blank); running text and PDF text become ordinary lines.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from parsing.errors import EmptyDocument, EncryptedDocument, NoTextLayer, NotADocument, ReadError, TooLarge

MAX_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_PDF_PAGES = 300
FORMATS = ("txt", "html", "docx", "pdf")
_EXTENSIONS = {".txt": "txt", ".md": "txt", ".text": "txt", ".html": "html", ".htm": "html",
               ".xhtml": "html", ".docx": "docx", ".pdf": "pdf"}
_FOOTER = re.compile(r"^\s*(?:[-－—–]\s*\d{1,3}\s*[-－—–]|第\s*\d{1,3}\s*页(?:\s*[/，,]?\s*共\s*\d{1,3}\s*页)?)\s*$")


@dataclass(frozen=True)
class Line:
    """One line of a document. ``cell`` is true when the line is exactly one table cell."""

    text: str
    where: str
    cell: bool = False


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
        return "docx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise EncryptedDocument("这是受密码保护的 Word 文件或旧版 .doc 文件，无法读取；请提供未加密的 .docx、.pdf 或网页")
    ext = _EXTENSIONS.get(PurePath(name).suffix.lower())
    if ext in ("pdf", "docx"):
        raise NotADocument(f"文件扩展名为 .{ext}，但内容不是 {ext.upper()} 文件")
    if ext == "html" or re.search(rb"<(html|body|table|p|div)[\s>]", head[:512], re.I):
        return "html"
    return "txt"


def read_document(data: bytes, name: str) -> Document:
    """Read any supported format. Raises ``ReadError`` with a readable reason when it cannot."""
    if not data:
        raise EmptyDocument("文件为空（0 字节）")
    if len(data) > MAX_BYTES:
        raise TooLarge(f"文件过大（{_size(len(data))}，上限 {_size(MAX_BYTES)}）")
    fmt = detect_format(data, name)
    lines = {"txt": _read_text, "html": _read_html, "docx": _read_docx, "pdf": _read_pdf}[fmt](data)
    lines = _drop_footers(lines)
    if not any(line.text.strip() for line in lines):
        raise EmptyDocument("文件中没有可读的文字")
    return Document(tuple(lines), fmt)


def _size(n: int) -> str:
    """A byte count as a person reads it (MB, or KB / bytes for small limits)."""
    if n >= 1048576:
        return f"{n / 1048576:.1f} MB"
    return f"{n / 1024:.1f} KB" if n >= 1024 else f"{n} 字节"


def _drop_footers(lines: list[Line]) -> list[Line]:
    """Page footers such as "- 4 -" are printed inside tables by PDF extraction; blank them out."""
    return [Line("", ln.where, False) if _FOOTER.match(ln.text) else ln for ln in lines]


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
    lines: list[Line] = []
    for number, raw in enumerate(decode_text(data).splitlines(), start=1):
        lines.extend(_text_line(raw, f"第{number}行"))
    return lines


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
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "head")


def decode_html(data: bytes) -> str:
    """Decode an HTML page, honouring a declared GB charset (GB2312 pages routinely use GBK characters)."""
    declared = re.search(rb"charset\s*=\s*[\"']?\s*([\w-]+)", data[:4096], re.I)
    name = declared.group(1).decode("ascii", "ignore").lower() if declared else ""
    if name in ("gb2312", "gbk", "gb18030", "x-gbk", "cp936"):
        return data.decode("gb18030", errors="replace")
    return decode_text(data)


def _read_html(data: bytes) -> list[Line]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_html(data), "lxml")
    for tag in soup(list(_DROP_TAGS)):
        tag.decompose()
    walker = _HtmlWalker()
    walker.walk(soup.body or soup)
    walker.flush()
    return walker.lines


class _HtmlWalker:
    """Depth-first walk that emits running text as lines and every table cell as one cell line."""

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

        for child in node.children:
            if isinstance(child, NavigableString):
                if type(child).__name__ in ("Comment", "Doctype", "ProcessingInstruction", "Declaration"):
                    continue
                self.buffer.append(re.sub(r"[ \t\r\n]+", " ", str(child)))
            elif isinstance(child, Tag):
                self._tag(child)

    def _tag(self, tag) -> None:  # noqa: ANN001
        if tag.name == "table":
            self.flush()
            self._table(tag)
        elif tag.name in _BLOCK_TAGS:
            self.flush()
            self.walk(tag)
            self.flush()
        else:
            self.walk(tag)

    def _table(self, table) -> None:  # noqa: ANN001
        self.table += 1
        rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
        for r, tr in enumerate(rows, start=1):
            cells = [td for td in tr.find_all(["td", "th"]) if td.find_parent("tr") is tr]
            for c, td in enumerate(cells, start=1):
                text = td.get_text("", strip=False)
                text = re.sub(r"\s+", " ", text).strip(" \u00a0\u3000")
                self.lines.append(Line(text, f"网页表格{self.table}第{r}行第{c}格", True))
            self.lines.append(Line("", f"网页表格{self.table}第{r}行末"))


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
    return archive


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
    for block in document.element.body.iterchildren():
        if block.tag == qn("w:p"):
            paragraph += 1
            text = "".join(t.text or "" for t in block.iter(qn("w:t")))
            lines.append(Line(text, f"Word第{paragraph}段"))
        elif block.tag == qn("w:tbl"):
            table += 1
            lines.extend(_docx_table(docx.table.Table(block, document), table))
    return lines


def _docx_table(table, number: int) -> list[Line]:  # noqa: ANN001 - python-docx Table
    """Each distinct cell once, at its first (top-left) position: merged cells are not repeated."""
    seen: set = set()  # the <w:tc> elements themselves: keeping them alive keeps identity stable
    lines: list[Line] = []
    for r, row in enumerate(table.rows, start=1):
        for c, cell in enumerate(row.cells, start=1):
            if cell._tc in seen:
                continue
            seen.add(cell._tc)
            text = "".join(p.text for p in cell.paragraphs)
            text = re.sub(r"\s+", " ", text).strip(" \u00a0\u3000")
            lines.append(Line(text, f"Word表格{number}第{r}行第{c}格", True))
        lines.append(Line("", f"Word表格{number}第{r}行末"))
    return lines


# ---------------------------------------------------------------- pdf


def _read_pdf(data: bytes) -> list[Line]:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise EncryptedDocument("PDF 文件受密码保护，无法读取")
        pages = reader.pages
        if len(pages) > MAX_PDF_PAGES:
            raise TooLarge(f"PDF 共 {len(pages)} 页，超过上限 {MAX_PDF_PAGES} 页，不像一份年度报告")
        lines = [Line(text, f"第{p}页第{n}行") for p, page in enumerate(pages, start=1)
                 for n, text in enumerate((page.extract_text() or "").splitlines(), start=1)]
    except ReadError:
        raise
    except FileNotDecryptedError:
        raise EncryptedDocument("PDF 文件受密码保护，无法读取") from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise NotADocument(f"PDF 文件已损坏或不完整（{exc.__class__.__name__}）") from None
    if sum(len(line.text.strip()) for line in lines) < 20:
        raise NoTextLayer("PDF 没有文字层（可能是扫描件），需要先做文字识别（OCR）")
    return lines
