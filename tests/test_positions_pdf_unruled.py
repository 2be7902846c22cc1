"""PDF tables without ruling lines: columns from the x-positions of the printed values.

Synthetic reports drawn without borders (``synth.pdf``: no rules at all, horizontal rules only, a ruled
header over rows without vertical rules, cell text at the top of its cell) with random blank cells are read cell-exact: every printed value in its column, every
blank cell blank, nothing invented. A value printed off its column, two values in one column, a label block
beside two rows: the row keeps the text layer's rule (missing when the count does not settle it), never a
guessed column. The real PDFs of the corpus, their rulings removed, still read every labelled cell.
"""
from __future__ import annotations

import json

import pytest

from conftest import CORPUS, need_shared
from parsing import parse_bytes
from parsing.pdf_columns import Glyph, assign, looks_tabular, printed_lines, unruled_items
from parsing.pdf_layout import layout_pages
from synth.pdf import render_pdf, without_rulings
from synth.render import ReportSpec
from test_positions_pdf import _spec

pytest.importorskip("pypdfium2")




@pytest.mark.parametrize(("edition", "seed", "ruled", "valign"), [
    ("2021", 1, False, "middle"), ("2019", 3, False, "middle"),
    ("2021", 5, "horizontal", "middle"), ("2019", 6, False, "top"), ("2021", 2, "header", "middle")])
def test_unruled_pdf_with_blank_cells_is_read_cell_exact(edition, seed, ruled, valign):
    spec, blank = _spec(edition, seed, blanks=30)
    data = render_pdf(spec, ruled=ruled, valign=valign)
    report = parse_bytes(data, "x.pdf")
    wrong = {cid: (value, report.cells[cid].state, report.cells[cid].value) for cid, value in spec.cells.items()
             if not (report.cells[cid].state == "number" and report.cells[cid].value == value)}
    assert not wrong
    assert {cid: report.cells[cid].state for cid in blank if report.cells[cid].state != "blank"} == {}
    assert report.parse_status == "ok", report.problems
    assert "页" in report.cells["t3.new.natural"].locator.where


def test_a_table_over_a_page_break_keeps_its_columns():
    """Table 3 goes on over the page break without its header: the continuation takes the columns of the
    page before (a column blank in every continued row stays a column)."""
    spec, _ = _spec("2021", 8, blanks=0)
    cells = {k: v for k, v in spec.cells.items() if not (k.startswith("t3.") and k.endswith(".research"))}
    data = render_pdf(ReportSpec(spec.body, spec.year, spec.edition, cells), ruled=False)
    pages = layout_pages(data, 300)
    continued = [n for n, items in pages.items() if any("结转下年度" in c for item in items for c in item.cells)]
    assert continued and continued[0] > min(n for n, items in pages.items()
                                            if any("本年新收" in c for item in items for c in item.cells))
    report = parse_bytes(data, "x.pdf")
    research = [cid for cid in report.cells if cid.startswith("t3.") and cid.endswith(".research")]
    assert {report.cells[cid].state for cid in research} == {"blank"}
    assert all(report.cells[cid].value == v for cid, v in cells.items())


def test_a_value_between_two_columns_is_missing_not_placed():
    """A value printed half a column off, in a row with a blank cell: the row has no unique reading."""
    spec, _ = _spec("2021", 11, blanks=0)
    cells = dict(spec.cells)
    del cells["t3.granted.research"]
    data = render_pdf(ReportSpec(spec.body, spec.year, spec.edition, cells), ruled=False,
                      nudge={"t3.granted.commercial": 17.0})
    report = parse_bytes(data, "x.pdf")
    for cid in ("t3.granted.commercial", "t3.granted.research"):
        assert report.cells[cid].state == "missing", report.cells[cid]
    assert all(report.cells[cid].value == v for cid, v in cells.items() if report.cells[cid].state == "number")
    assert any("予以公开" in p for p in report.problems)


def test_prose_is_not_a_table():
    assert not looks_tabular("2024 年，本机关共收到申请 17 件，\n均已办结。联系电话：0517-83605210。")
    assert looks_tabular("规章 1 0 11\n")
    spec, _ = _spec("2021", 9, blanks=0)
    pages = layout_pages(render_pdf(spec, ruled=False), 300)
    first = pages.get(0, [])
    assert not any(item.cells and "总体情况" in "".join(item.cells) for item in first)


# ---------------------------------------------------------------- positions by hand


def _word(text: str, x: float, base: float, size: float = 10.0) -> list[Glyph]:
    out = []
    for ch in text:
        width = size / 2 if ch.isascii() else size
        out.append(Glyph(ch, x, base - 0.12 * size, x + width, base + 0.88 * size, base, size))
        x += width
    return out


def _page(rows: list[list[tuple[str, float]]], top: float = 700.0, pitch: float = 20.0) -> list[Glyph]:
    return [g for r, row in enumerate(rows) for text, x in row for g in _word(text, x, top - r * pitch)]


def test_values_go_to_the_column_their_extent_lies_in():
    rows = [[("规章", 72), ("10", 200), ("3", 262), ("126", 305)],
            [("行政规范性文件", 72), ("1", 205), ("45", 305)],   # blank middle cell; right-aligned values
            [("其他", 72), ("7", 205), ("2", 262), ("8", 310)]]
    items, bands = unruled_items(_page(rows))
    assert len(bands) == 3
    cells = [item.cells for item in items if item.cells]
    assert cells == [("规章", "10", "3", "126"), ("行政规范性文件", "1", "", "45"), ("其他", "7", "2", "8")]


def test_two_numbers_closer_than_a_space_are_cut_at_the_column_boundary():
    bands = [(195.0, 210.0), (210.5, 225.0)]  # right-aligned, then left-aligned values: no gap between
    glued = _word("1234", 200, 700)           # "12" ends where the first column ends, "34" starts the second
    assert assign([glued], bands, 10.0) == ["12", "34"]
    apart = [(195.0, 210.0), (240.0, 255.0)]
    assert assign([_word("12", 205, 700)], apart, 10.0) is None      # its "2" in no column


def test_two_values_in_one_column_or_outside_every_column_have_no_cells():
    bands = [(200.0, 210.0), (260.0, 270.0)]
    assert assign([_word("1", 201, 700), _word("2", 205.5, 700)], bands, 10.0) is None
    assert assign([_word("5", 232, 700)], bands, 10.0) is None


def test_a_lone_value_off_the_columns_makes_no_column():
    """A column needs two values (or a header cell over it) in a table of three rows or more."""
    rows = [[("规章", 72), ("10", 200), ("126", 300)],
            [("行政规范性文件", 72), ("1", 205), ("9", 250), ("45", 305)],
            [("其他", 72), ("7", 205), ("8", 310)]]
    items, bands = unruled_items(_page(rows))
    assert len(bands) == 2
    texts = [item.text for item in items if not item.cells]
    assert "行政规范性文件 1 9 45" in texts   # the text layer's reading: three values for two columns


def test_a_header_cell_over_no_value_is_a_blank_column():
    header = [[("信息内容", 72), ("制发", 200), ("废止", 260), ("有效", 320)]]
    rows = [[("规章", 72), ("1", 205), ("5", 325)], [("规范性文件", 72), ("2", 205), ("6", 325)],
            [("其他", 72), ("3", 205), ("7", 325)]]
    lines = printed_lines(_page(header + rows))
    items, bands = unruled_items([g for line in lines for g in line.glyphs])
    assert len(bands) == 3
    assert [item.cells for item in items if item.cells][0] == ("规章", "1", "", "5")


@pytest.fixture(scope="module")
def stripped():
    """The corpus's real PDFs with every drawn path removed (no ruling lines left), in memory."""
    need_shared()
    stems = ("2023_hongze_qu", "2024_hongze_qu", "2024_huaian_shi")
    return {stem: without_rulings((CORPUS / "originals" / f"{stem}.pdf").read_bytes()) for stem in stems}


@pytest.mark.parametrize("stem", ["2023_hongze_qu", "2024_hongze_qu", "2024_huaian_shi"])
def test_real_pdfs_without_their_rulings_read_every_labelled_cell(stem, stripped):
    label = json.loads((CORPUS / "labels" / f"{stem}.json").read_text(encoding="utf-8"))
    assert layout_pages(stripped[stem], 300)
    report = parse_bytes(stripped[stem], f"{stem}.pdf")
    got = {cid: report.cells[cid].value for cid in label["cells"] if report.cells[cid].state == "number"}
    assert got == pytest.approx(label["cells"])
    doubtful = list(label["missing_cells"]) + list(label["uncertain_cells"])
    assert not [cid for cid in doubtful if cid in report.cells and report.cells[cid].state == "number"]


def test_text_among_the_values_leaves_the_row_to_the_text_rule():
    """A word in a value column (见附表) is no value and no blank: the row is not read as cells."""
    rows = [[("规章", 72), ("10", 200), ("3", 262), ("126", 305)],
            [("行政规范性文件", 72), ("1", 205), ("见附表", 250), ("45", 305)],
            [("其他", 72), ("7", 205), ("2", 262), ("8", 310)]]
    items, _ = unruled_items(_page(rows))
    assert [item.cells[0] for item in items if item.cells] == ["规章", "其他"]
    assert "行政规范性文件 1 见附表 45" in [item.text for item in items]
