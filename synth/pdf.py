"""Render a report as a PDF with real table positions: every cell drawn where a word processor puts it.

    data = render_pdf(spec)                       # ruled tables (borders drawn as lines), as Word exports
    data = render_pdf(spec, ruled=False)          # the same tables without any border
    data = render_pdf(spec, ruled="horizontal")   # horizontal rules only (booktabs style), no vertical ones
    data = render_pdf(spec, ruled="header")       # a ruled header over rows with horizontal rules only
    data = render_pdf(spec, ruled=False, valign="top")  # cell text at the top of its cell (WPS's default)
    data = render_pdf(spec, ruled=False, halign="left", pad=0)  # text from each cell's left edge, no padding:
                                                  # a label runs up to the value beside it (LibreOffice's print
                                                  # of a web-page table)
    data = render_pdf(spec, underline=True)       # every cell line underlined (web pages pasted from Word)

A small PDF writer, no dependency: one Type0 font (Adobe-GB1, not embedded, Identity-H with a ToUnicode
map, so every PDF reader extracts the text exactly), A4 pages, prose wrapped at a fixed width, tables laid
out from ``synth.grid`` (rowspan/colspan honoured, a label wrapped inside its cell, a table that does not fit
the rest of the page starts a new one, a table taller than a page goes on over the page break between two
rows — the continuation without a header, a merged cell cut in two with its text in the first part). A cell
id absent from ``spec.cells`` is printed as an empty cell — the case a PDF's text layer cannot place and
positions can.
"""
from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from synth.document import Para, blocks
from synth.grid import Grid, Placed, place
from synth.spec import ReportSpec
from synth.wrap import wrap_chars

PAGE_W, PAGE_H = 595.0, 842.0
MARGIN = 72.0
BODY_SIZE = 10.5
CELL_SIZE = 8.0
LEADING = 1.5
PAD = 3.0
LABEL_WIDTH = {"t2": 150.0, "t3": 70.0}  # each label column; value columns share the rest


def _width(text: str, size: float) -> float:
    """Advance width: half an em for ASCII, a full em otherwise (the font's /W says the same)."""
    return sum(0.5 if ch.isascii() else 1.0 for ch in text) * size


def _wrap(text: str, width: float, size: float) -> list[str]:
    return wrap_chars(text, lambda line: _width(line, size) > width)


@dataclass
class _Page:
    ops: list[str]
    chars: set[str]


class _Canvas:
    """Pages of drawing operators; ``y`` is the next baseline from the top margin down."""

    def __init__(self) -> None:
        self.pages: list[_Page] = []
        self.y = 0.0
        self.new_page()

    def new_page(self) -> None:
        self.pages.append(_Page([], set()))
        self.y = PAGE_H - MARGIN

    def room(self, height: float) -> None:
        if self.y - height < MARGIN:
            self.new_page()

    def text(self, x: float, baseline: float, text: str, size: float, page: int = -1) -> None:
        if text:
            self.pages[page].chars.update(text)
            code = "".join(f"{ord(ch):04X}" for ch in text if ord(ch) <= 0xFFFF)
            self.pages[page].ops.append(f"BT /F1 {size:g} Tf {x:.2f} {baseline:.2f} Td <{code}> Tj ET")

    def rule(self, x0: float, y0: float, x1: float, y1: float, page: int = -1) -> None:
        self.pages[page].ops.append(f"{x0:.2f} {y0:.2f} m {x1:.2f} {y1:.2f} l S")


Ruling = bool | Literal["horizontal", "header"]


@dataclass(frozen=True)
class _Style:
    """How cell text is set: vertical and horizontal alignment, padding, underlined or not."""

    valign: str = "middle"
    halign: str = "center"
    pad: float = PAD
    underline: bool = False


def render_pdf(spec: ReportSpec, ruled: Ruling = True, valign: Literal["middle", "top"] = "middle",
               nudge: Mapping[str, float] | None = None, halign: Literal["center", "left"] = "center",
               pad: float = PAD, underline: bool = False) -> bytes:
    """The report as a PDF; ``ruled=False`` draws the tables without borders (positions only),
    ``ruled="horizontal"`` with horizontal rules only, ``ruled="header"`` with vertical rules in the header
    rows only (a partial grid); ``valign`` and ``halign`` place the cell text in its cell, ``pad`` points
    from its edges; ``underline`` draws a line under every line of cell text;
    ``nudge`` moves the value of a cell id that many points to the right (a value printed off its column)."""
    canvas = _Canvas()
    style = _Style(valign, halign, pad, underline)
    for block in blocks(spec):
        if isinstance(block, Para):
            _paragraph(canvas, block)
        else:
            _table(canvas, block, ruled, style, nudge or {})
    return _pdf_bytes(canvas.pages)


def _paragraph(canvas: _Canvas, para: Para) -> None:
    width = PAGE_W - 2 * MARGIN
    indent = 0.0 if para.kind == "title" else 2 * BODY_SIZE
    for i, line in enumerate(_wrap(para.text, width - indent, BODY_SIZE)):
        canvas.room(BODY_SIZE * LEADING)
        canvas.y -= BODY_SIZE * LEADING
        canvas.text(MARGIN + (indent if i == 0 else 0.0), canvas.y, line, BODY_SIZE)


def _columns(grid: Grid) -> list[float]:
    """The x of each column's left edge, and the table's right edge."""
    labels = {"t2": 1, "t3": 3}.get(grid.table_id, 0)
    label_w = LABEL_WIDTH.get(grid.table_id, 0.0)
    value_w = (PAGE_W - 2 * MARGIN - labels * label_w) / (grid.width - labels)
    xs = [MARGIN]
    for col in range(grid.width):
        xs.append(xs[-1] + (label_w if col < labels else value_w))
    return xs


def _row_heights(grid: Grid, placed: list[Placed], xs: list[float], pad: float) -> list[float]:
    heights = [CELL_SIZE * LEADING + 2 * pad] * len(grid.rows)
    for p in placed:
        lines = _wrap(p.cell.text, xs[p.col + p.cell.colspan] - xs[p.col] - 2 * pad, CELL_SIZE)
        need = len(lines) * CELL_SIZE * LEADING + 2 * pad
        if p.cell.rowspan == 1:
            heights[p.row] = max(heights[p.row], need)
    return heights


def _row_places(canvas: _Canvas, grid: Grid, placed: list[Placed], heights: list[float]) -> list[tuple[int, float]]:
    """Each row's page and top. A table that fits a page is kept on one; a taller one goes on over the page
    break between two rows (not within its header: the rows down to the second row of values)."""
    canvas.room(min(sum(heights), PAGE_H - 2 * MARGIN - BODY_SIZE) + BODY_SIZE)
    first_value = min((p.row for p in placed if p.cell.cell_id), default=0)
    canvas.y -= BODY_SIZE / 2
    if sum(heights) > PAGE_H - 2 * MARGIN - BODY_SIZE and canvas.y - sum(heights[:first_value + 2]) < MARGIN:
        canvas.new_page()
    places = []
    for row, height in enumerate(heights):
        if canvas.y - height < MARGIN and row > first_value + 1:
            canvas.new_page()
        places.append((len(canvas.pages) - 1, canvas.y))
        canvas.y -= height
    return places


def _table(canvas: _Canvas, grid: Grid, ruled: Ruling, style: _Style, nudge: Mapping[str, float]) -> None:
    placed = place(grid)
    xs = _columns(grid)
    heights = _row_heights(grid, placed, xs, style.pad)
    places = _row_places(canvas, grid, placed, heights)
    first_value = min((p.row for p in placed if p.cell.cell_id), default=0)
    for p in placed:
        x0, x1 = xs[p.col], xs[p.col + p.cell.colspan]
        parts: dict[int, list[float]] = {}  # page → [top, bottom] of the cell's part on that page
        for row in range(p.row, p.row + p.cell.rowspan):
            page, top = places[row]
            part = parts.setdefault(page, [top, top])
            part[1] = top - heights[row]
        for page, (top, bottom) in parts.items():
            if ruled:
                vertical = ruled is True or (ruled == "header" and p.row + p.cell.rowspan <= first_value)
                _borders(canvas, x0, x1, top, bottom, page, vertical)
        page, (top, bottom) = next(iter(parts.items()))
        shift = nudge.get(p.cell.cell_id or "", 0.0)
        _cell_text(canvas, p.cell.text, (x0 + shift, x1 + shift, top, bottom), page, style)
    canvas.y -= BODY_SIZE / 2


def _borders(canvas: _Canvas, x0: float, x1: float, top: float, bottom: float, page: int, vertical: bool) -> None:
    canvas.rule(x0, top, x1, top, page)
    canvas.rule(x0, bottom, x1, bottom, page)
    if vertical:
        canvas.rule(x0, bottom, x0, top, page)
        canvas.rule(x1, bottom, x1, top, page)


def _cell_text(canvas: _Canvas, text: str, box: tuple[float, float, float, float], page: int,
               style: _Style) -> None:
    """The cell's text centred in it (or at its top, or from its left edge), wrapped to its width."""
    x0, x1, top, bottom = box
    lines = _wrap(text, x1 - x0 - 2 * style.pad, CELL_SIZE) if text else []
    block = len(lines) * CELL_SIZE * LEADING
    middle = (top + bottom) / 2 + block / 2 if style.valign == "middle" else top - style.pad
    baseline = middle - CELL_SIZE * 1.1
    for line in lines:
        width = _width(line, CELL_SIZE)
        x = x0 + style.pad if style.halign == "left" else (x0 + x1) / 2 - width / 2
        canvas.text(x, baseline, line, CELL_SIZE, page)
        if style.underline:
            canvas.rule(x, baseline - 1.5, x + width, baseline - 1.5, page)
        baseline -= CELL_SIZE * LEADING


# ---------------------------------------------------------------- the file


def _to_unicode(chars: set[str]) -> bytes:
    """Code = Unicode (UCS-2), one entry per character printed (a reader builds its map from these)."""
    codes = sorted(ord(ch) for ch in chars if ord(ch) <= 0xFFFF)
    chunks = [codes[i:i + 100] for i in range(0, len(codes), 100)]
    body = b"".join(f"{len(chunk)} beginbfchar\n".encode()
                    + "".join(f"<{c:04X}> <{c:04X}>\n" for c in chunk).encode() + b"endbfchar\n" for chunk in chunks)
    return (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            b"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n" + body
            + b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")


def _pdf_bytes(pages: list[_Page]) -> bytes:
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(data: bytes) -> int:
        packed = zlib.compress(data)
        return add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream")

    catalog = add(b"")  # filled in below
    pages_id = add(b"")
    descriptor = add(b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
                     b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>")
    descendant = add(b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
                     b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> "
                     b"/FontDescriptor %d 0 R /DW 1000 /W [32 [" % descriptor
                     + b" ".join(b"500" for _ in range(32, 127)) + b"]] >>")
    to_unicode = stream(_to_unicode({ch for page in pages for ch in page.chars}))
    font = add(b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
               b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (descendant, to_unicode))
    kids = []
    for page in pages:
        content = stream(("0.5 w\n" + "\n".join(page.ops)).encode("ascii"))
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %g %g] /Contents %d 0 R "
                        b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (pages_id, PAGE_W, PAGE_H, content, font)))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
    objects[pages_id - 1] = (b"<< /Type /Pages /Count %d /Kids [" % len(kids)
                             + b" ".join(b"%d 0 R" % k for k in kids) + b"] >>")
    return serialise(objects, catalog, b"1.7")


def serialise(objects: list[bytes], root: int, version: bytes = b"1.7") -> bytes:
    """A PDF file of ``objects`` (numbered from 1, in order) with object ``root`` as its catalog: header,
    the objects, the cross-reference table and the trailer."""
    out = bytearray(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def without_rulings(data: bytes) -> bytes:
    """The PDF with every drawn path removed (in memory): its tables as if printed without rulings."""
    import io

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    document = pdfium.PdfDocument(data)
    try:
        for page in document:
            paths = [obj for obj in (raw.FPDFPage_GetObject(page.raw, i)
                                     for i in range(raw.FPDFPage_CountObjects(page.raw)))
                     if raw.FPDFPageObj_GetType(obj) == raw.FPDF_PAGEOBJ_PATH]
            for obj in paths:
                raw.FPDFPage_RemoveObject(page.raw, obj)
                raw.FPDFPageObj_Destroy(obj)
            if paths:
                raw.FPDFPage_GenerateContent(page.raw)
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()
    finally:
        document.close()
