"""Filling a 整改通知 template: inline placeholders, and block placeholders that become paragraphs or a table.

Placeholders ``{{名称}}`` anywhere in a paragraph (body, tables, headers, footers; even when Word split them
over several runs) are replaced and the rest of the paragraph is kept. A paragraph holding a block
placeholder (``{{问题清单}}``, ``{{整改要求}}``) becomes a list of paragraphs (its paragraph and character
formatting are copied; each line takes the template's style for its level when the template has one, else
it is set bold for a heading); ``{{附件表}}`` becomes a table.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from copy import deepcopy
from typing import NamedTuple, Union

from docx.document import Document as DocumentType
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# the template's paragraph style of each line level ("" = the anchor paragraph's own style)
LEVEL_STYLES = {"h1": "通知一级标题", "h2": "通知二级标题", "item": "通知三级标题", "table": "通知表格"}
TABLE_STYLE = "Table Grid"  # the appendix table's own style (its borders), when the template has it


class Line(NamedTuple):
    """One paragraph of a block: its text, its level (``h1`` 一、 / ``h2`` （一） / ``item`` 1. / ``""``
    body text) and whether it is bold."""

    text: str
    level: str = ""
    bold: bool = False


class Grid(NamedTuple):
    """A table of a block placeholder: header row, then rows (plain text)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...] = ()          # column widths in centimetres (optional)


Block = Union[Sequence[Line], Grid]


def fill(doc: DocumentType, values: Mapping[str, str], blocks: Mapping[str, Block]) -> None:
    """Replace the placeholders of every paragraph of ``doc``; expand each block placeholder."""
    clean = {k: xml_text(v) for k, v in values.items()}
    for para in list(paragraphs(doc)):
        names = [m.group(1) for m in PLACEHOLDER.finditer(para.text) if m.group(1) in blocks]
        if names:
            block = blocks[names[0]]
            if isinstance(block, Grid):
                _table(doc, para, names[0], block)
            else:
                _expand(doc, para, names[0], [Line(xml_text(t), lv, b) for t, lv, b in block])
            continue
        replace_in_paragraph(para, clean)


def replace_in_paragraph(para: Paragraph, values: Mapping[str, str]) -> None:
    """Replace known placeholders in ``para``, also across runs; the first run of each keeps its format."""
    runs = para.runs
    bounds, pos = [], 0
    for run in runs:
        bounds.append((pos, pos + len(run.text)))
        pos += len(run.text)
    text = "".join(run.text for run in runs)
    for match in reversed([m for m in PLACEHOLDER.finditer(text) if m.group(1) in values]):
        start, end = match.span()
        i = next(k for k, (a, b) in enumerate(bounds) if a <= start < b)
        j = next(k for k, (a, b) in enumerate(bounds) if a < end <= b)
        value = values[match.group(1)]
        if i == j:
            t = runs[i].text
            runs[i].text = t[:start - bounds[i][0]] + value + t[end - bounds[i][0]:]
            continue
        runs[i].text = runs[i].text[:start - bounds[i][0]] + value
        for k in range(i + 1, j):
            runs[k].text = ""
        runs[j].text = runs[j].text[end - bounds[j][0]:]


def _style(doc: DocumentType, level: str) -> str | None:
    """The style id of the template's style for ``level`` (None when the template has none)."""
    return _style_id(doc, LEVEL_STYLES.get(level))


def _style_id(doc: DocumentType, name: str | None) -> str | None:
    """The id of the template's style ``name`` (None when the template has none), looked up once per
    document: python-docx resolves a style set by name or object against every style of the template on
    each assignment (about 10 of the 14 s the drafts of 243 bodies took)."""
    cache = doc.part.__dict__.setdefault("_xxgk_style_ids", {})
    if name not in cache:
        cache[name] = doc.styles[name].style_id if name and _has_style(doc, name) else None
    return cache[name]


def _apply_style(paragraph: Paragraph, style_id: str) -> None:
    paragraph._p.get_or_add_pPr().style = style_id


def _has_style(doc: DocumentType, name: str) -> bool:
    try:
        return doc.styles[name] is not None
    except KeyError:
        return False


def _expand(doc: DocumentType, para: Paragraph, name: str, lines: list[Line]) -> None:
    anchor = para._p
    run_format = para.runs[0]._r.rPr if para.runs else None
    for line in lines:
        new = OxmlElement("w:p")
        if para._p.pPr is not None:
            new.append(deepcopy(para._p.pPr))
        anchor.addnext(new)
        paragraph = Paragraph(new, para._parent)
        style = _style(doc, line.level)
        if style:
            _apply_style(paragraph, style)
        run = paragraph.add_run(line.text)
        if run_format is not None:
            run._r.insert(0, deepcopy(run_format))
        run.bold = line.bold or (line.level in ("h1", "h2") and style is None) or None
        anchor = new
    replace_in_paragraph(para, {name: ""})
    if not para.text.strip():
        para._p.getparent().remove(para._p)


def _table(doc: DocumentType, para: Paragraph, name: str, grid: Grid) -> None:
    """``grid`` as a bordered table in place of ``para`` (a paragraph of the document's body; elsewhere the
    rows are written as lines)."""
    if para._p.getparent() is not doc.element.body:
        _expand(doc, para, name, [Line("　".join(grid.headers), bold=True)]
                + [Line("　".join(row)) for row in grid.rows])
        return
    table = doc.add_table(rows=1 + len(grid.rows), cols=len(grid.headers))
    grid_style = _style_id(doc, TABLE_STYLE)
    if grid_style:
        table._tbl.tblStyle_val = grid_style   # as ``table.style = …`` sets it, without resolving it again
    style = _style(doc, "table")
    cells = _cells(table)
    for r, values in enumerate([grid.headers, *grid.rows]):
        for cell, value in zip(cells[r], values):
            paragraph = cell.paragraphs[0]
            if style:
                _apply_style(paragraph, style)
            run = paragraph.add_run(xml_text(value))
            run.bold = r == 0 or None
            if style is None:
                run.font.size = Pt(10.5)
    _repeat_header(table)
    if grid.widths:
        _widths(table, grid.widths, cells)
    para._p.addnext(table._tbl)
    replace_in_paragraph(para, {name: ""})
    if not para.text.strip():
        para._p.getparent().remove(para._p)


def _cells(table: Table) -> list[list[_Cell]]:
    """The cells of a table without merged cells, row by row, read from its rows' XML in one pass:
    python-docx's ``table.cell(r, c)`` and ``column.cells`` lay out every cell of the table again on each call
    (two thirds of a draft's filling time, for an appendix of a few dozen rows)."""
    return [[_Cell(tc, table) for tc in tr.tc_lst] for tr in table._tbl.tr_lst]


def _widths(table: Table, widths: Sequence[float], cells: list[list[_Cell]]) -> None:
    """Fixed column widths (cm): in the table grid (what LibreOffice and WPS read) and in each cell (Word);
    ``cells``: the table's ``_cells``."""
    table.autofit = False
    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths):
        col.set(qn("w:w"), str(int(Cm(width).twips)))
    for row in cells:
        for cell, width in zip(row, widths):
            cell.width = Cm(width)


def _repeat_header(table: Table) -> None:
    """The header row repeats on every page the table spans."""
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    tr_pr.append(header)


def paragraphs(doc: DocumentType) -> Iterator[Paragraph]:
    """Every paragraph of ``doc``: its body, tables, and the headers and footers of its sections."""
    yield from _container(doc)
    for section in doc.sections:
        for part in (section.header, section.footer, section.first_page_header, section.first_page_footer,
                     section.even_page_header, section.even_page_footer):
            if not part.is_linked_to_previous:
                yield from _container(part)


def _container(container) -> Iterator[Paragraph]:  # noqa: ANN001 - Document, _Cell, header or footer
    yield from container.paragraphs
    for table in container.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from _container(cell)


def xml_text(text: str) -> str:
    """``text`` without the characters XML cannot hold."""
    return _NOT_XML.sub("", str(text))
