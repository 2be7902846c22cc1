"""PDF tables as other software prints them: underlined cell text, labels that run up to their values.

A web page pasted from Word and printed by LibreOffice underlines every word of its tables (each underline a
drawn line that is no cell border), sets cell text from the cell's left edge without padding (a label's line
runs up to the value beside it, a group label's line glues to the row label beside it), and breaks rows over
pages. Synthetic reports drawn that way (``synth.pdf``: ``underline``, ``halign="left"``, ``pad=0``) with
random blank cells are read cell-exact; positions decide, never a guess: a number printed a line above a row
in one of its blank columns leaves the row ``missing``, not blank.
"""
from __future__ import annotations

import pytest

from parsing import parse_bytes
from parsing.pdf_columns import unruled_items
from parsing.pdf_layout import CONTINUES, PageItem, page_grid
from parsing.pdf_tidy import tidied
from test_positions_pdf import _spec
from test_positions_pdf_unruled import _page, _word

pytest.importorskip("pypdfium2")

from synth.pdf import render_pdf  # noqa: E402


def _read_exact(data: bytes, spec, blank) -> None:  # noqa: ANN001
    """Every printed value exact; every blank cell blank — but a blank in a row that prints no value at all
    (a one-column row left empty: nothing on the page says a row is there) may be ``missing``, never a number."""
    report = parse_bytes(data, "x.pdf")
    wrong = {cid: (value, report.cells[cid].state, report.cells[cid].value) for cid, value in spec.cells.items()
             if not (report.cells[cid].state == "number" and report.cells[cid].value == value)}
    assert not wrong
    printed_rows = {cid.rsplit(".", 1)[0] for cid in spec.cells}
    assert {cid: report.cells[cid].state for cid in blank if report.cells[cid].state != "blank"
            and (cid.rsplit(".", 1)[0] in printed_rows or report.cells[cid].state == "number")} == {}


@pytest.mark.parametrize(("edition", "seed", "options"), [
    ("2021", 21, {"ruled": True, "underline": True}),
    ("2019", 22, {"ruled": True, "underline": True, "halign": "left", "pad": 0}),
    ("2021", 23, {"ruled": False, "halign": "left", "pad": 0}),
    ("2019", 24, {"ruled": False, "halign": "left", "pad": 0, "valign": "top"}),
    ("2021", 25, {"ruled": "horizontal", "halign": "left", "pad": 0})])
def test_tables_printed_underlined_or_without_padding_are_read_cell_exact(edition, seed, options):
    spec, blank = _spec(edition, seed, blanks=30)
    _read_exact(render_pdf(spec, **options), spec, blank)


# ---------------------------------------------------------------- rulings by hand


def _box(x0: float, y0: float, x1: float, y1: float):  # noqa: ANN202
    return [(y0, x0, x1), (y1, x0, x1)], [(x0, y0, y1), (x1, y0, y1)]


def test_an_underline_is_no_cell_border():
    """A group label's cell over two rows, its words underlined: the underline (inside the cell, meeting its
    left border only, as text set without padding does) must not cut the merged cell in two."""
    horizontal, vertical = [], []
    for x0, y0, x1, y1 in [(0, 0, 50, 40), (50, 20, 150, 40), (50, 0, 150, 20), (150, 20, 200, 40), (150, 0, 200, 20)]:
        h, v = _box(x0, y0, x1, y1)
        horizontal += h
        vertical += v
    underline = (21.0, 0.5, 30.0)  # under the group label's first line, from the cell's left edge
    grid = page_grid(horizontal + [underline], vertical)
    merged = grid.cell_of(25, 10)
    assert merged is grid.cell_of(25, 30) and (merged.y0, merged.y1) == (0, 40)


# ---------------------------------------------------------------- glyphs by hand


def test_a_label_touching_its_value_and_a_glued_group_label_are_cut_by_position():
    """Cells without padding: 年度办 (group label) glued to （二）部分公开; 2.其他法律 ends where the value
    column starts; 重新出具0 glues a value to the label's end. Labels start at x 72 and 110 on many lines."""
    rows = [[("三、本", 72), ("1.属于国家秘密", 110), ("1", 190), ("2", 240)],
            [("年度办（二）部分公开", 80), ("3", 190), ("4", 240)],
            [("理结果", 72), ("2.其他法律行政法", 110), ("5", 190), ("6", 240)],
            [("3.重新出具0", 140), ("7", 240)],
            [("4.其他", 110), ("8", 190), ("9", 240)]]
    items, bands = unruled_items(_page(rows))
    cells = [item.cells[-3:] for item in items if item.cells]
    assert len(bands) == 2
    assert ("2.其他法律行政法", "5", "6") in cells  # its label ends where the value column starts
    assert ("3.重新出具", "0", "7") in cells
    assert ("（二）部分公开", "3", "4") in cells
    assert [item.cells for item in items if "年度办" in item.cells] == [("年度办", "（二）部分公开", "3", "4")]


def test_a_number_printed_a_line_above_a_blank_cell_is_not_a_blank():
    """``77`` printed raised (a smaller font, half a line up) in the first column of 规范性文件's row: the row
    cannot say its first cell is blank, so it keeps the text rule (→ missing), never blank."""
    rows = [[("规章", 72), ("0", 200), ("0", 260), ("7", 320)], [("规范性文件", 72), ("77", 260), ("166", 320)],
            [("其他", 72), ("1", 200), ("2", 260), ("3", 320)]]
    glyphs = _page(rows) + _word("77", 199, 700 - 20 + 6, size=6.0)
    items, _ = unruled_items(glyphs)
    assert not any(item.cells and item.cells[0] == "规范性文件" for item in items)
    assert [item.cells for item in items if item.cells and item.cells[0] == "其他"] == [("其他", "1", "2", "3")]


def test_a_number_raised_between_the_rulings_of_its_row_is_the_rows():
    """Rows ruled off one another by horizontal rules (no vertical ones): ``442`` printed raised in 行政许可's
    blank column lies between that row's rulings, so it is that row's value, in the column its x is in."""
    rows = [[("规章", 72), ("0", 200), ("0", 260), ("7", 320)], [("行政许可", 72), ("396", 195), ("278", 315)],
            [("其他", 72), ("1", 200), ("2", 260), ("3", 320)]]
    glyphs = _page(rows) + _word("442", 255, 700 - 20 + 6, size=6.0)
    rules = [(y, 60.0, 400.0) for y in (712.0, 692.0, 672.0, 652.0)]
    items, _ = unruled_items(glyphs, rules=rules)
    assert [item.cells for item in items if item.cells and item.cells[0] == "行政许可"] == [("行政许可", "396", "442", "278")]
    items, _ = unruled_items(glyphs, rules=[(y, 60.0, 400.0) for y in (712.0, 684.0, 672.0, 652.0)])
    assert not any(item.cells and item.cells[0] == "行政许可" for item in items)  # a rule between: not its row


def test_header_cells_printed_a_character_a_line_read_as_words():
    header = [[("结", 200), ("其", 260)], [("果", 200), ("他", 260)], [("维", 200), ("结", 260)],
              [("持", 200), ("果", 260)]]
    rows = [[("合计", 72), ("1", 203), ("2", 263)], [("其中", 72), ("3", 203), ("4", 263)]]
    items, _ = unruled_items(_page(header + rows, pitch=12.0))
    texts = [item.text for item in items if not item.cells]
    assert "结果维持" in texts and "其他结果" in texts


def test_values_a_space_apart_that_never_share_a_row_are_one_column():
    rows = [[("甲", 72), ("1", 200), ("2", 260), ("3", 320)], [("乙", 72), ("4", 200), ("5", 272), ("6", 320)],
            [("丙", 72), ("7", 200), ("8", 260), ("9", 320)], [("丁", 72), ("1", 200), ("2", 272), ("3", 320)]]
    items, bands = unruled_items(_page(rows))
    assert len(bands) == 3
    assert [item.cells for item in items if item.cells][1] == ("乙", "4", "5", "6")


# ---------------------------------------------------------------- tidying rows cut by a page break


def test_a_cut_row_is_joined_cell_by_cell_by_position():
    """The group label's rest goes to the group label, the row label's rest to the row label (2019 print:
    （五） ‖ 1.信访举报投 at a page's foot, 不予处理 ‖ 诉类申请 at the next page's top, a column to the left blank)."""
    zeros = ("0",) * 7
    spans = ((112.0, 160.0), (160.0, 248.0)) + tuple((248.0 + 40 * i, 288.0 + 40 * i) for i in range(7))
    last = PageItem(68.0, "", ("（五）", "1.信访举报投", *zeros), spans)
    rest = PageItem(813.0, "", ("", "不予处理", "诉类申请", *([""] * 7)), ((56.0, 112.0),) + spans)
    got = tidied({0: [last], 1: [rest, PageItem(790.0, "", ("2.重复申请", *zeros), spans[1:])]})
    assert got[0][-1].cells[:2] == ("（五） 不予处理", "1.信访举报投 诉类申请")
    assert [item.cells[0] for item in got[1]] == ["2.重复申请"]


def test_a_label_rest_that_joins_no_row_is_text_never_blank_cells():
    rest = PageItem(800.0, CONTINUES, ("政府信息公开申请", "", "", ""))
    got = tidied({0: [PageItem(100.0, "五、其他")], 1: [rest]})
    assert got[1] == [PageItem(800.0, "政府信息公开申请")]
    joined = tidied({0: [PageItem(100.0, "", ("1.申请人逾期不补正、行", "0", "0", "1"))], 1: [rest]})
    assert joined[0][-1].cells[0] == "1.申请人逾期不补正、行 政府信息公开申请" and joined[1] == []
