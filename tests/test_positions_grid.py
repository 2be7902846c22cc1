"""Web-page and Word tables read as grids: blank cells, merged label and header cells, and a value cell
merged over two rows — the row below keeps its columns instead of moving its values one column left."""
from __future__ import annotations

import random
from dataclasses import replace

import pytest

from parsing import parse_bytes
from parsing.readers import RowSpans
from synth.document import blocks
from synth.grid import Grid
from synth.render import ReportSpec, _html_block, consistent_cells
from synth.word import build_docx


def _spec(edition: str, seed: int, blanks: int) -> tuple[ReportSpec, set[str]]:
    cells = consistent_cells(edition, random.Random(seed))
    blank = set(random.Random(seed + 7).sample(sorted(cells), blanks))
    year = 2022 if edition == "2021" else 2020
    return ReportSpec("示例县人民政府", year, edition, {k: v for k, v in cells.items() if k not in blank}), blank


def _html(document_blocks) -> bytes:  # noqa: ANN001
    body = "\n".join(_html_block(b) for b in document_blocks)
    return f'<html><head><meta charset="utf-8"></head><body>{body}</body></html>'.encode()


def _render(fmt: str, document_blocks) -> tuple[bytes, str]:  # noqa: ANN001
    return (_html(document_blocks), "x.html") if fmt == "html" else (build_docx(document_blocks), "x.docx")


@pytest.mark.parametrize("fmt", ["html", "docx"])
@pytest.mark.parametrize(("edition", "seed"), [("2021", 1), ("2019", 2)])
def test_blank_cells_and_merged_labels_read_cell_exact(fmt, edition, seed):
    spec, blank = _spec(edition, seed, blanks=40)
    report = parse_bytes(*_render(fmt, blocks(spec)))
    wrong = [cid for cid, value in spec.cells.items()
             if not (report.cells[cid].state == "number" and report.cells[cid].value == value)]
    assert not wrong
    assert {report.cells[cid].state for cid in blank} == {"blank"}


def _merge_down(grid: Grid, cell_id: str) -> tuple[Grid, str]:
    """``cell_id``'s cell spanning two rows; the cell under it (same column) removed. Returns the grid and
    the id of the removed cell."""
    rows = [list(row) for row in grid.rows]
    r = next(i for i, row in enumerate(rows) if any(c.cell_id == cell_id for c in row))
    k = next(i for i, c in enumerate(rows[r]) if c.cell_id == cell_id)
    column = cell_id.split(".")[2]
    below = next(i for i, c in enumerate(rows[r + 1]) if c.cell_id and c.cell_id.endswith(f".{column}"))
    removed = rows[r + 1].pop(below).cell_id
    rows[r][k] = replace(rows[r][k], rowspan=2)
    return Grid(grid.table_id, grid.width, tuple(tuple(row) for row in rows)), removed


@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_value_merged_over_two_rows_keeps_the_row_below_in_its_columns(fmt):
    spec, _ = _spec("2021", 3, blanks=0)
    document_blocks = blocks(spec)
    index = next(i for i, b in enumerate(document_blocks) if isinstance(b, Grid) and b.table_id == "t3")
    document_blocks[index], covered = _merge_down(document_blocks[index], "t3.denied_2.research")
    report = parse_bytes(*_render(fmt, document_blocks))
    row = [cid for cid in spec.cells if cid.startswith("t3.denied_3.")]
    assert covered == "t3.denied_3.research"
    assert report.cells[covered].state != "number"  # what the merged cell holds is not this row's own value
    for cid in row:
        if cid != covered:
            assert report.cells[cid].state == "number" and report.cells[cid].value == spec.cells[cid], cid
    assert report.cells["t3.denied_2.research"].value == spec.cells["t3.denied_2.research"]


def test_row_spans_track_covered_columns():
    spans = RowSpans()
    spans.next_row()
    assert spans.covered_before() == 0
    spans.place(3, 2)  # columns 0-1 covered for two more rows
    spans.place(1, 1)
    spans.next_row()
    assert spans.covered_before() == 2
    spans.place(1, 1)
    spans.next_row()
    assert spans.covered_before() == 2
    spans.next_row()
    assert spans.covered_before() == 0
