"""Render a report with known numbers as txt (tab-per-cell or PDF-like rows), HTML or Word.

    spec = ReportSpec("相城镇人民政府", 2020, "2019", consistent_cells("2019", random.Random(1)))
    data = render_txt(spec).encode()      # parse_bytes(data, "x.txt") gives the same numbers back

A cell id absent from ``spec.cells`` is printed as an empty cell (tabs, HTML, Word) — never as 0.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Literal

from synth.document import Block, Para, blocks
from synth.grid import Grid, GridCell, printed_rows
from synth.spec import ReportSpec, preface, section_texts, title
from synth.values import consistent_cells
from synth.word import build_docx, fill_template

__all__ = ["Block", "Para", "ReportSpec", "blocks", "consistent_cells", "default_template", "render_docx",
           "render_html", "render_txt"]

TEMPLATE_2021 = Path("corpus") / "originals" / "template_2021_blank.docx"


# ---------------------------------------------------------------- txt


def render_txt(spec: ReportSpec, style: Literal["tabs", "spaces", "markdown", "layout"] = "tabs") -> str:
    """Plain text. ``tabs``: every table cell on its own tab-prefixed line, an empty line after each
    table row, merged cells printed once and empty in the rows they cover (like Word-to-text output);
    ``spaces``: one table row per line, cells separated by spaces (like PDF text);
    ``markdown``: pipe tables, one table row per line;
    ``layout``: tables as monospace pictures, like ``pdftotext -layout`` (``synth.laidout``, default options)."""
    if style not in ("tabs", "spaces", "markdown", "layout"):
        raise ValueError(f"unknown txt style {style!r}")
    if style == "layout":
        from synth.laidout import render_laid_out

        return render_laid_out(spec)
    table = {"tabs": _tab_table, "spaces": _space_table, "markdown": _markdown_table}[style]
    lines: list[str] = []
    for block in blocks(spec):
        if isinstance(block, Para):
            lines.extend(["", block.text, ""] if block.kind == "heading" else [block.text])
        else:
            lines.extend(table(block))
    return "\n".join(lines) + "\n"


def _tab_table(grid: Grid) -> list[str]:
    lines = [""]
    for row in printed_rows(grid, continuations=True):
        lines.extend(f"\t{cell.text}" for cell in row)
        lines.append("")
    return lines


def _markdown_table(grid: Grid) -> list[str]:
    rows = printed_rows(grid, continuations=True)
    lines = ["| " + " | ".join(cell.text for cell in row) + " |" for row in rows]
    if lines:
        lines.insert(1, "|" + "---|" * len(rows[0]))
    return [""] + lines + [""]


def _space_table(grid: Grid) -> list[str]:
    rows = printed_rows(grid, continuations=False)
    return [" ".join(cell.text for cell in row if cell.text) for row in rows] + [""]


# ---------------------------------------------------------------- html


def render_html(spec: ReportSpec) -> str:
    """A government-portal style page: paragraphs and real ``<table>`` markup with rowspan/colspan."""
    head = (f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title(spec))}</title>\n</head>\n<body>\n"
            '<div class="xxgk-nav">首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>\n'
            '<div class="xxgk-article">\n')
    body = "\n".join(_html_block(b) for b in blocks(spec))
    return head + body + "\n</div>\n</body>\n</html>\n"


def _html_block(block: Block) -> str:
    if isinstance(block, Grid):
        return _html_table(block)
    text = html.escape(block.text)
    if block.kind == "title":
        return f'<p style="text-align:center"><strong>{text}</strong></p>'
    if block.kind == "heading":
        return f'<p style="text-indent:2em"><strong>{text}</strong></p>'
    return f'<p style="text-indent:2em">{text}</p>'


def _html_table(grid: Grid) -> str:
    rows = "\n".join("<tr>" + "".join(_html_cell(c) for c in row) + "</tr>" for row in grid.rows)
    return (f'<table class="{grid.table_id}" border="1" cellspacing="0" cellpadding="0" '
            f'style="border-collapse:collapse">\n<tbody>\n{rows}\n</tbody>\n</table>')


def _html_cell(cell: GridCell) -> str:
    spans = "".join(f' {name}="{n}"' for name, n in (("rowspan", cell.rowspan), ("colspan", cell.colspan))
                    if n > 1)
    text = html.escape(cell.text) if cell.text else "&nbsp;"
    return f'<td{spans}><p style="text-align:center">{text}</p></td>'


# ---------------------------------------------------------------- docx


def default_template() -> Path | None:
    """The official blank 2021 template in the shared corpus next to the repo, when it is there."""
    path = Path(__file__).resolve().parents[2] / "shared" / TEMPLATE_2021
    return path if path.is_file() else None


def render_docx(spec: ReportSpec, template: str | Path | None = None) -> bytes:
    """A Word file. For the 2021 edition with ``template`` (the official blank template) given and
    present, a filled copy of it; otherwise a document built from scratch with merged table cells."""
    if spec.edition == "2021" and template is not None and Path(template).is_file():
        return fill_template(Path(template), spec, section_texts(spec), preface(spec))
    return build_docx(blocks(spec))
