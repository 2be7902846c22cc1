"""Small files that unpack (or print) into something huge, and one plainly huge file.

Word: a real report whose ``word/document.xml`` is padded to decompress to > 100 MB from a zip of a few
hundred KB; a zip whose central directory declares a 4 GB member; one that declares 1 KB but inflates to 30 MB;
a flood of empty paragraphs under the size limit; a cell declaring a span of 2·10⁹ columns; a vertical merge
3,000 rows deep; a billion-laughs entity bomb; an external entity (XXE). PDF: 5,000 blank pages; a page whose
content stream decodes to 30 MB; a form XObject drawn so often that text extraction would run for minutes.
HTML: a tag flood, and a real report nested 10,000 elements deep. Text: a real report padded to 50 MB.
"""
from __future__ import annotations

import io
import struct
import zipfile
from functools import cache
from pathlib import Path

from hostile.base import READABLE, REFUSED, Sample, write
from hostile.synthetic import good_spec, render

MB = 1024 * 1024
PADDED_UNZIPPED = 110 * MB
HUGE_TEXT = 50 * MB
PDF_PAGES = 5000
PDF_STREAM = 30 * MB


# ---------------------------------------------------------------- zip / docx


@cache
def base_docx() -> bytes:
    """One real Word report (rendering one takes a second); every Word bomb is a different edit of it."""
    return render(good_spec(300), "docx")


def rezip(docx: bytes, document_xml=None, extra: dict[str, bytes] | None = None) -> bytes:  # noqa: ANN001
    """A copy of ``docx`` with ``word/document.xml`` replaced by ``document_xml(old)`` (bytes, or an iterable of
    byte chunks streamed into the archive) and ``extra`` members added."""
    source = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml" and document_xml is not None:
                new = document_xml(data)
                if isinstance(new, bytes):
                    archive.writestr(info.filename, new)
                else:
                    with archive.open(info.filename, "w", force_zip64=True) as member:
                        for chunk in new:
                            member.write(chunk)
            else:
                archive.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def _replace_once(xml: bytes, old: bytes, new: bytes) -> bytes:
    if old not in xml:
        raise ValueError(f"{old!r} not in document.xml")
    return xml.replace(old, new, 1)


def _before_body_end(xml: bytes, insert: bytes) -> bytes:
    at = xml.rindex(b"<w:sectPr") if b"<w:sectPr" in xml else xml.rindex(b"</w:body>")
    return xml[:at] + insert + xml[at:]


def patch_declared_size(data: bytes, member: str, size: int) -> bytes:
    """Rewrite the uncompressed size ``member`` declares, in its local header and the central directory."""
    name = member.encode()
    out = bytearray(data)
    central = out.find(b"PK\x01\x02")  # a central-directory header (or the same bytes inside data)
    while central != -1:
        name_len = struct.unpack_from("<H", out, central + 28)[0]
        if bytes(out[central + 46:central + 46 + name_len]) == name:
            struct.pack_into("<I", out, central + 24, size)
            local = struct.unpack_from("<I", out, central + 42)[0]
            struct.pack_into("<I", out, local + 22, size)
            return bytes(out)
        central = out.find(b"PK\x01\x02", central + 4)
    raise ValueError(f"{member} not in archive")


def docx_padded_bomb() -> bytes:
    """A real report whose document.xml is padded (empty paragraphs) to decompress to > 100 MB."""
    def padded(xml: bytes):  # noqa: ANN202
        at = xml.rindex(b"</w:body>")
        yield xml[:at]
        chunk = b"<w:p/>" * 100_000
        for _ in range(PADDED_UNZIPPED // len(chunk) + 1):
            yield chunk
        yield xml[at:]
    return rezip(base_docx(), padded)


def docx_declared_huge() -> bytes:
    """A real report whose central directory declares a 4 GB document.xml."""
    return patch_declared_size(base_docx(), "word/document.xml", 0xFFFFFFF0)


def docx_lying_size() -> bytes:
    """document.xml declares 1 KB but inflates to 30 MB (the reader must stop at the declared size)."""
    bloated = rezip(base_docx(), lambda xml: _before_body_end(xml, b"<w:p/>" * (5 * MB)))
    return patch_declared_size(bloated, "word/document.xml", 1024)


def docx_paragraph_flood(paragraphs: int = 300_000) -> bytes:
    """Under every size limit (a 2 MB XML), but hundreds of thousands of elements for python-docx to build."""
    return rezip(base_docx(), lambda xml: _before_body_end(xml, b"<w:p/>" * paragraphs))


def docx_wide_span() -> bytes:
    """A real report with one cell declaring a span of 2·10⁹ grid columns."""
    return rezip(base_docx(), lambda xml: _replace_once(
        xml, b"<w:tc><w:tcPr>", b'<w:tc><w:tcPr><w:gridSpan w:val="2000000000"/>'))


def docx_deep_merge(rows: int = 3000) -> bytes:
    """A real report followed by a one-column table whose first cell is merged down 3,000 rows
    (plus a table whose top cell claims to continue a merge from above)."""
    row = b'<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc></w:tr>'
    deep = (b'<w:tbl><w:tblGrid><w:gridCol/></w:tblGrid><w:tr><w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr>'
            b'<w:p><w:r><w:t>merged</w:t></w:r></w:p></w:tc></w:tr>' + row * rows + b'</w:tbl>')
    orphan = (b'<w:tbl><w:tblGrid><w:gridCol/></w:tblGrid><w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr>'
              b'<w:p><w:r><w:t>orphan</w:t></w:r></w:p></w:tc></w:tr></w:tbl>')
    return rezip(base_docx(), lambda xml: _before_body_end(xml, deep + orphan))


_LAUGHS = b'<!DOCTYPE w:document [<!ENTITY l0 "lol">' + b"".join(
    b'<!ENTITY l%d "%s">' % (n, (b"&l%d;" % (n - 1)) * 10) for n in range(1, 10)) + b"]>"


def docx_billion_laughs() -> bytes:
    def laughs(xml: bytes) -> bytes:
        head, _, rest = xml.partition(b"?>")
        return head + b"?>" + _LAUGHS + _replace_once(rest, b"<w:t>", b"<w:t>&l9;")
    return rezip(base_docx(), laughs)


def docx_external_entity() -> bytes:
    """XXE: an entity naming /etc/passwd (must never be read into the report)."""
    def xxe(xml: bytes) -> bytes:
        head, _, rest = xml.partition(b"?>")
        return (head + b'?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                + _replace_once(rest, b"<w:t>", b"<w:t>&xxe;"))
    return rezip(base_docx(), xxe)


# ---------------------------------------------------------------- pdf


def _pdf(writer) -> bytes:  # noqa: ANN001
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_many_pages(pages: int = PDF_PAGES) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    return _pdf(writer)


def _font(writer):  # noqa: ANN001, ANN202
    from pypdf.generic import DictionaryObject, NameObject

    return writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica")}))


def _stream(writer, data: bytes, extra: dict | None = None):  # noqa: ANN001, ANN202
    from pypdf.generic import DecodedStreamObject

    stream = DecodedStreamObject()
    stream.set_data(data)
    stream.update(extra or {})
    return writer._add_object(stream.flate_encode(level=9))


def pdf_large_stream(size: int = PDF_STREAM) -> bytes:
    """One page whose (deflated, a few KB) content stream decodes to ``size`` bytes of text operators."""
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    op = b"(1) Tj\n"
    page[NameObject("/Contents")] = _stream(writer, b"BT /F1 12 Tf 72 720 Td " + op * (size // len(op)) + b" ET")
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): _font(writer)})})
    return _pdf(writer)


def pdf_form_flood(draws: int = 2000, ops: int = 1000) -> bytes:
    """A tiny page drawing one form XObject ``draws`` times; the form shows text ``ops`` times
    (``draws × ops`` operators to interpret from a file of a few KB)."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    fonts = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): _font(writer)})})
    form = _stream(writer, b"BT /F1 12 Tf 72 720 Td " + b"(\xd5\xfe) Tj\n" * ops + b" ET", {
        NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(595), FloatObject(842)]),
        NameObject("/Resources"): fonts})
    resources = DictionaryObject({**fonts, NameObject("/XObject"): DictionaryObject({NameObject("/Fm0"): form})})
    page[NameObject("/Resources")] = resources
    page[NameObject("/Contents")] = _stream(writer, b"/Fm0 Do\n" * draws)
    return _pdf(writer)


# ---------------------------------------------------------------- html and text


def html_tag_flood(seed: int = 310, tags: int = 300_000) -> bytes:
    html = render(good_spec(seed), "html").decode("utf-8")
    return html.replace('<div class="xxgk-article">', '<div class="xxgk-article">' + "<b></b>" * (tags // 2), 1
                        ).encode("utf-8")


def html_deep_nesting(seed: int = 311, depth: int = 10_000) -> bytes:
    """A real report inside 10,000 nested (unclosed, as old CMS pages print them) ``<font>``/``<span>`` tags."""
    html = render(good_spec(seed), "html").decode("utf-8")
    return html.replace('<div class="xxgk-article">', '<div class="xxgk-article">' + "<span>" * depth, 1
                        ).replace("</div>\n</body>", "</span>" * depth + "</div>\n</body>", 1).encode("utf-8")


def write_huge_report(path: Path, size: int = HUGE_TEXT, seed: int = 312) -> Path:
    """A real report padded with ``size`` bytes of prose, written in 1 MB pieces (never held whole)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    prose = "本年度持续推进政务公开标准化规范化建设，不断提升政府信息公开工作质量和水平。\n".encode("utf-8")
    piece = prose * (MB // len(prose))
    with path.open("wb") as out:
        out.write(render(good_spec(seed), "txt"))
        written = 0
        while written < size:
            out.write(piece)
            written += len(piece)
    return path


def write_bombs(folder: Path) -> list[Sample]:
    def sample(name: str, data: bytes, kind: str, expect=REFUSED, reason: str = "", bad: bool = True) -> Sample:  # noqa: ANN001
        return Sample(write(folder / name, data), kind, expect, reason, bad=bad, bounded=True)

    return [
        sample("zip_bomb.docx", docx_padded_bomb(), "docx-padded-bomb", reason="过大"),
        sample("declared_4gb.docx", docx_declared_huge(), "docx-declared-huge", reason="过大"),
        sample("lying_size.docx", docx_lying_size(), "docx-lying-size", reason="损坏"),
        sample("paragraph_flood.docx", docx_paragraph_flood(), "docx-paragraph-flood", reason="过多"),
        sample("wide_span.docx", docx_wide_span(), "docx-wide-span", READABLE, bad=False),
        sample("deep_merge.docx", docx_deep_merge(), "docx-deep-merge", READABLE, bad=False),
        sample("billion_laughs.docx", docx_billion_laughs(), "docx-billion-laughs", reason="Word"),
        sample("external_entity.docx", docx_external_entity(), "docx-xxe", READABLE, bad=False),
        sample("5000_pages.pdf", pdf_many_pages(), "pdf-many-pages", reason="页"),
        sample("large_stream.pdf", pdf_large_stream(), "pdf-large-stream", reason="过大"),
        sample("tag_flood.html", html_tag_flood(), "html-tag-flood", reason="过多"),
        sample("deep_nesting.html", html_deep_nesting(), "html-deep-nesting", READABLE, bad=False),
        Sample(write_huge_report(folder / "huge_50mb.txt"), "txt-50mb", REFUSED, "过大", bounded=True),
    ]
