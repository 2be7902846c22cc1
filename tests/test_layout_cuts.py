"""Glued digits cut by position and values on the line under a table's last row (``parsing.layout_rows``)."""
from parsing.layout_rows import _cut, _float_tail, _Line, _Word

COLUMNS = [(32, 33), (41, 42), (49, 50), (56, 57), (64, 65), (72, 73), (78, 79)]


def _values(*spans: tuple[int, str]) -> list[_Word]:
    return [_Word(c0, c0 + len(text), text) for c0, text in spans]


def test_a_run_of_zeros_over_the_free_columns_is_one_digit_per_column() -> None:
    others = _values((56, "0"), (64, "0"), (72, "0"), (78, "0"))
    assert _cut(others, COLUMNS, _Word(48, 51, "000")) == ["0"] * 7
    assert _cut(others, COLUMNS, _Word(48, 51, "005")) == ["0", "0", "5", "0", "0", "0", "0"]


def test_a_run_that_is_not_forced_or_does_not_fit_stays_uncut() -> None:
    others = _values((56, "0"), (64, "0"), (72, "0"), (78, "0"))
    assert _cut(others, COLUMNS, _Word(48, 51, "023")) is None       # 0 2 3 or 0 23
    assert _cut(others, COLUMNS, _Word(49, 51, "00")) is None        # a column would stay blank
    assert _cut(others, COLUMNS, _Word(20, 23, "000")) is None       # away from the free columns
    assert _cut(others[1:], COLUMNS, _Word(48, 51, "000")) is None   # four free columns, three digits


def _line(index: int, labels: list[_Word], values: list[_Word]) -> _Line:
    return _Line(index, labels, values, blank=not labels and not values, page=0)


def test_values_under_the_last_row_join_it_only_when_they_fill_it() -> None:
    lines = [_line(0, [_Word(0, 4, "行政许可")], _values((23, "396"), (42, "0"), (56, "181"))),
             _line(1, [_Word(0, 10, "其他对外管理服务事项")], _values((23, "10"))),
             _line(2, [], _values((42, "0"), (56, "153")))]
    values = {0: list(lines[0].values), 1: list(lines[1].values)}
    merged: dict[int, int] = {}
    _float_tail(lines, [0, 1], [0, 1], values, merged)
    assert merged == {2: 1} and [v.text for v in values[1]] == ["10", "0", "153"]
    lines[2] = _line(2, [], _values((42, "7")))  # one value: the row would still not be full
    values = {0: list(lines[0].values), 1: list(lines[1].values)}
    merged = {}
    _float_tail(lines, [0, 1], [0, 1], values, merged)
    assert merged == {} and len(values[1]) == 1


def test_a_group_label_column_left_of_the_items_is_cut_out_of_their_labels() -> None:
    from parsing.layout_rows import _Block, _split

    parts = [(0, _Word(8, 14, "3.危及三安")), (1, _Word(8, 12, "全稳定")),
             (2, _Word(5, 7, "（三")), (3, _Word(8, 14, "4.保护第三")), (4, _Word(5, 7, "）不")),
             (4, _Word(8, 12, "方合法权益")), (5, _Word(5, 7, "予公")), (6, _Word(8, 14, "5.属于三类")),
             (7, _Word(5, 6, "开")), (7, _Word(8, 14, "内部事务信"))]
    pieces = _split(_Block(parts, [1, 4, 7]), full={1, 4, 7})
    assert pieces is not None
    texts = {piece.text(): piece.anchors for piece in pieces}
    assert texts["4.保护第三方合法权益"] == [4] and texts["5.属于三类内部事务信"] == [7]
    assert texts["（三）不予公开"] == [4, 7]  # the group label: its own block, over the rows it spans
