"""parsing.pdf_tidy: a ruled PDF's rows tidied before reading (empty grid rows, labels wrapped into a grid row of
their own, a row cut by a page break)."""
from __future__ import annotations

from parsing.pdf_layout import PageItem
from parsing.pdf_tidy import tidied


def _row(top: float, *cells: str) -> PageItem:
    return PageItem(top=top, cells=tuple(cells))


ZEROS = ("0",) * 7


def test_a_row_cut_by_a_page_break_is_joined_and_keeps_its_values():
    pages = {0: [_row(100, "1.属于国家秘密", *ZEROS), _row(60, "2.其他法律", *ZEROS)],
             1: [_row(800, "", "公开", "行政法规禁止公开", *([""] * 7)), _row(760, "3.危及“三安全一稳定”", *ZEROS)]}
    got = tidied(pages)
    assert got[0][-1].cells == ("2.其他法律 公开 行政法规禁止公开", *ZEROS)
    assert [item.cells[0] for item in got[1]] == ["3.危及“三安全一稳定”"]


def test_a_header_spanning_the_table_is_not_taken_for_a_label():
    """2019 edition, table 2: the next block's header (one merged cell) after a row with values stays a row."""
    pages = {0: [_row(100, "行政强制", "126", "26", "29")], 1: [_row(800, "第二十条第（八）项"), _row(780, "行政事业性收费", "3", "0", "3")]}
    got = tidied(pages)
    assert got[0][-1].cells == ("行政强制", "126", "26", "29")
    assert got[1][0].cells == ("第二十条第（八）项",)


def test_a_label_wrapped_into_a_narrow_grid_row_is_joined_and_empty_rows_dropped():
    pages = {0: [_row(500, "2.其他法律行政", *ZEROS), _row(490, "法规禁止公开"), _row(480, *([""] * 7)),
                 _row(470, "（六）其他处理", *([""] * 7))]}
    got = tidied(pages)[0]
    assert [item.cells[0] for item in got] == ["2.其他法律行政 法规禁止公开", "（六）其他处理"]
    assert got[1].cells[1:] == ("",) * 7  # a row printed with blank values is a row, never joined or dropped


def test_words_with_numbers_are_never_moved_into_a_label():
    pages = {0: [_row(500, "（七）总计", *ZEROS), _row(490, "其中 12 件")]}
    got = tidied(pages)[0]
    assert [item.cells for item in got] == [("（七）总计", *ZEROS), ("其中 12 件",)]


def test_a_two_column_row_with_a_blank_value_is_a_row_of_its_own():
    """Table 2 (2021): 行政强制 printed with a blank 决定数量 under 行政处罚 | 5 is its own row, never a wrapped label."""
    pages = {0: [_row(500, "行政处罚", "5"), _row(480, "行政强制", "")]}
    got = tidied(pages)[0]
    assert [item.cells for item in got] == [("行政处罚", "5"), ("行政强制", "")]
