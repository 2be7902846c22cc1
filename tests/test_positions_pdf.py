"""PDF tables read from positions: a blank cell stays in its column, a value lands where it is printed.

Synthetic reports are drawn as real PDFs (``synth.pdf``) with some cells left blank — the case a PDF's text
layer cannot place ("5 3" under seven columns). With ruling lines every printed value comes back exactly and
every blank cell is ``blank``; without them (text layer only) nothing is invented either.
"""
from __future__ import annotations

import random

import pytest

from parsing import parse_bytes
from parsing.pdf_layout import layout_pages, page_grid
from parsing.readers import read_document
from synth.pdf import render_pdf
from synth.render import ReportSpec, consistent_cells

pytest.importorskip("pypdfium2")


def _spec(edition: str, seed: int, blanks: int) -> tuple[ReportSpec, set[str]]:
    cells = consistent_cells(edition, random.Random(seed))
    blank = set(random.Random(seed + 100).sample(sorted(cells), blanks))
    year = 2022 if edition == "2021" else 2020
    return ReportSpec("示例县人民政府", year, edition, {k: v for k, v in cells.items() if k not in blank}), blank


@pytest.mark.parametrize(("edition", "seed"), [("2021", 1), ("2021", 2), ("2019", 3)])
def test_ruled_pdf_with_blank_cells_is_read_cell_exact(edition, seed):
    spec, blank = _spec(edition, seed, blanks=30)
    report = parse_bytes(render_pdf(spec), "x.pdf")
    assert report.source_format == "pdf"
    wrong = {cid: (value, report.cells[cid].state, report.cells[cid].value) for cid, value in spec.cells.items()
             if not (report.cells[cid].state == "number" and report.cells[cid].value == value)}
    assert not wrong
    assert {report.cells[cid].state for cid in blank} == {"blank"}
    assert report.parse_status == "ok", report.problems


def test_every_row_blank_but_one_value_lands_in_its_column():
    """The hardest row for a text layer: one value in the middle of seven columns."""
    spec, _ = _spec("2021", 4, blanks=0)
    cells = dict(spec.cells)
    row = [cid for cid in cells if cid.startswith("t3.granted.")]
    keep = row[3]
    for cid in row:
        if cid != keep:
            del cells[cid]
    cells[keep] = 7
    report = parse_bytes(render_pdf(ReportSpec(spec.body, spec.year, spec.edition, cells)), "x.pdf")
    assert report.cells[keep].state == "number" and report.cells[keep].value == 7
    assert [report.cells[cid].state for cid in row if cid != keep] == ["blank"] * (len(row) - 1)
    assert "页" in report.cells[keep].locator.where


@pytest.mark.parametrize("seed", [5, 6])
def test_unruled_pdf_invents_nothing(seed):
    """No ruling lines: the text layer's reading (fewer values than columns → missing), never a guess."""
    spec, blank = _spec("2021", seed, blanks=30)
    report = parse_bytes(render_pdf(spec, ruled=False), "x.pdf")
    for cid, cell in report.cells.items():
        if cell.state == "number":
            assert cid in spec.cells and cell.value == spec.cells[cid], cid
    assert all(report.cells[cid].state != "number" for cid in blank)


@pytest.mark.parametrize("ruled", [True, False])
def test_only_pages_with_a_table_use_positions(ruled):
    """Ruled or not, the pages read from positions are the pages that print a table; prose pages keep the
    text layer."""
    spec, _ = _spec("2021", 7, blanks=0)
    data = render_pdf(spec, ruled=ruled)
    layout = layout_pages(data, 300)
    lines = read_document(data, "x.pdf").lines
    table_pages = {int(line.where[1:line.where.index("页")]) - 1 for line in lines if line.cell}
    assert layout and table_pages == set(layout)
    if not ruled:  # every cell blank: no value lines, so nothing that looks like a table without rulings
        blank = render_pdf(ReportSpec(spec.body, spec.year, spec.edition, {}), ruled=False)
        assert not any(item.cells for items in layout_pages(blank, 300).values() for item in items)


def test_garbage_is_no_layout():
    assert layout_pages(b"%PDF-1.4 not really", 300) == {}


def _box(x0, y0, x1, y1):
    """The four rulings of a rectangle: (horizontal, vertical)."""
    return [(y0, x0, x1), (y1, x0, x1)], [(x0, y0, y1), (x1, y0, y1)]


def test_grid_merged_cells_and_open_edges():
    # A 3 × 3 grid whose left column is one merged cell, whose bottom border is not drawn (the table goes on
    # over the page): the vertical rulings' common end closes it.
    horizontal = [(300, 0, 300), (200, 100, 300)]  # top border; a row line right of the merged cell only
    vertical = [(0, 100, 300), (100, 100, 300), (200, 100, 300), (300, 100, 300)]
    grid = page_grid(horizontal, vertical)
    assert grid is not None
    merged = grid.cell_of(50, 150)
    assert merged is grid.cell_of(50, 250) and (merged.y0, merged.y1) == (100, 300)
    assert grid.cell_of(150, 150) is not grid.cell_of(150, 250)
    assert grid.cell_of(350, 150) is None


def test_text_outside_any_closed_box_is_no_cell():
    horizontal, vertical = _box(0, 0, 100, 100)
    assert page_grid(horizontal, vertical) is None  # one box is no table
