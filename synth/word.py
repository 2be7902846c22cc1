"""Word output: a document built from scratch (any edition) or a filled copy of the official blank
2021 template (``corpus/originals/template_2021_blank.docx`` in the shared corpus)."""
from __future__ import annotations

import copy
import io
import re
from collections.abc import Iterable
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.table import Table as DocxTable
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from rules import layout
from rules.layout import Table
from synth.document import Block, Para
from synth.grid import Grid, place
from synth.spec import ReportSpec, format_value, heading, title

_PLACEHOLDER = "（文字描述"
_TEMPLATE_TITLE = "年度报告格式模板"
_SPACE = " \u00a0\u3000\t\r\n"


# ---------------------------------------------------------------- from scratch


def build_docx(blocks: Iterable[Block]) -> bytes:
    """A new document: title centred and bold, headings bold, tables with merged cells."""
    document = docx.Document()
    for block in blocks:
        if isinstance(block, Grid):
            _add_table(document, block)
            document.add_paragraph()
        else:
            _add_para(document, block)
    return _save(document)


def _add_para(document: DocxDocument, para: Para) -> None:
    paragraph = document.add_paragraph()
    run = paragraph.add_run(para.text)
    run.bold = para.kind != "body"
    if para.kind == "title":
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _add_table(document: DocxDocument, grid: Grid) -> DocxTable:
    table = document.add_table(rows=len(grid.rows), cols=grid.width)
    table.style = "Table Grid"
    for p in place(grid):
        cell = table.cell(p.row, p.col)
        if p.cell.rowspan > 1 or p.cell.colspan > 1:
            cell = cell.merge(table.cell(p.row + p.cell.rowspan - 1, p.col + p.cell.colspan - 1))
        set_cell_text(cell, p.cell.text)
    return table


def _save(document: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- text helpers


def set_paragraph_text(paragraph: Paragraph, text: str) -> None:
    """Replace a paragraph's text, keeping the formatting of its first run."""
    runs = paragraph.runs
    if not runs:
        paragraph.add_run(text)
        return
    runs[0].text = text
    for run in runs[1:]:
        run._r.getparent().remove(run._r)


def set_cell_text(cell: _Cell, text: str) -> None:
    """Replace a cell's content by one paragraph holding ``text`` (empty text leaves it empty)."""
    first, *rest = cell.paragraphs
    for paragraph in rest:
        paragraph._p.getparent().remove(paragraph._p)
    set_paragraph_text(first, text)


def insert_after(paragraph: Paragraph, text: str, like: Paragraph | None = None) -> Paragraph:
    """A new paragraph right after ``paragraph``, formatted like ``like`` (paragraph properties)."""
    new = OxmlElement("w:p")
    source = (like or paragraph)._p.pPr
    if source is not None:
        new.append(copy.deepcopy(source))
    paragraph._p.addnext(new)
    inserted = Paragraph(new, paragraph._parent)
    inserted.add_run(text)
    return inserted


def _blank(text: str) -> bool:
    return not text.strip(_SPACE)


def _compact(text: str) -> str:
    return re.sub(r"[\s\u00a0\u3000]+", "", text)


# ---------------------------------------------------------------- the official template


def fill_template(path: Path, spec: ReportSpec, sections: dict[int, str], preface: list[str]) -> bytes:
    """The official blank 2021 template with title, preface, section prose and every number filled in.

    Raises ``ValueError`` when the file does not have the template's headings and three tables."""
    document = docx.Document(str(path))
    body_style = _placeholder(document)
    _fill_title(document, title(spec), preface, body_style)
    for number, prose in sections.items():
        _fill_section(document, number, prose, body_style)
    tables = document.tables
    edition = layout.edition("2021")
    if len(tables) != 3:
        raise ValueError(f"{path.name}: expected the template's 3 tables, found {len(tables)}")
    for docx_table, table in zip(tables, edition.tables()):
        _fill_table(docx_table, table, spec)
    return _save(document)


def _placeholder(document: DocxDocument) -> Paragraph | None:
    return next((p for p in document.paragraphs if p.text.strip().startswith(_PLACEHOLDER)), None)


def _fill_title(document: DocxDocument, text: str, preface: list[str], like: Paragraph | None) -> None:
    paragraph = next((p for p in document.paragraphs if _TEMPLATE_TITLE in p.text), None)
    if paragraph is None:
        raise ValueError("the template has no title paragraph (…年度报告格式模板)")
    set_paragraph_text(paragraph, text)
    for line in preface:
        paragraph = insert_after(paragraph, line, like)


def _fill_section(document: DocxDocument, number: int, prose: str, like: Paragraph | None) -> None:
    """Prose right after the heading, replacing the template's （文字描述…） instruction if present."""
    wanted = _compact(heading(number))
    paragraphs = document.paragraphs
    index = next((i for i, p in enumerate(paragraphs) if _compact(p.text) == wanted), None)
    if index is None:
        raise ValueError(f"the template has no heading {heading(number)}")
    anchor = paragraphs[index]
    lines = [line.strip() for line in prose.splitlines() if line.strip()]
    following = paragraphs[index + 1] if index + 1 < len(paragraphs) else None
    if following is not None and following.text.strip().startswith(_PLACEHOLDER) and _adjacent(anchor, following):
        set_paragraph_text(following, lines[0] if lines else "")
        anchor, lines = following, lines[1:]
    for line in lines:
        anchor = insert_after(anchor, line, like)


def _adjacent(a: Paragraph, b: Paragraph) -> bool:
    return a._p.getnext() is b._p


def _fill_table(docx_table: DocxTable, table: Table, spec: ReportSpec) -> None:
    """The template's empty cells, row by row, get the canonical rows' values in printed order."""
    rows = _data_rows(docx_table)
    if table.id == "t4":
        _fill_flat(rows, table, spec)
        return
    if len(rows) != len(table.rows):
        raise ValueError(f"template table for {table.id}: {len(rows)} value rows, layout has {len(table.rows)}")
    for (label, cells), row in zip(rows, table.rows):
        if len(cells) != len(row.cols) or not any(_compact(v) in _compact(label) for v in row.label.all):
            raise ValueError(f"template row “{label}” does not match {table.id}.{row.id}")
        for cell, col in zip(cells, row.cols):
            set_cell_text(cell, format_value(spec.cells.get(f"{table.id}.{row.id}.{col}")))


def _fill_flat(rows: list[tuple[str, list[_Cell]]], table: Table, spec: ReportSpec) -> None:
    """表四: one printed row holding all fifteen cells, in canonical order."""
    cell_ids = table.cell_ids()
    if len(rows) != 1 or len(rows[0][1]) != len(cell_ids):
        raise ValueError(f"template table for {table.id}: expected one row of {len(cell_ids)} empty cells")
    for cell, cell_id in zip(rows[0][1], cell_ids):
        set_cell_text(cell, format_value(spec.cells.get(cell_id)))


def _data_rows(docx_table: DocxTable) -> list[tuple[str, list[_Cell]]]:
    """Rows with empty cells: (the text of the cells before them, the distinct empty cells)."""
    out = []
    seen: set = set()
    for row in docx_table.rows:
        distinct = []
        for cell in row.cells:
            if cell._tc not in seen:
                seen.add(cell._tc)
                distinct.append(cell)
        empty = [c for c in distinct if _blank(c.text)]
        if empty:
            label = "".join(c.text for c in distinct if not _blank(c.text))
            out.append((label, empty))
    return out
