"""Text flattened with a separator between every piece of a page (BeautifulSoup's ``get_text("\\t")`` of a
web page): a table cell whose ``&nbsp;`` spans are pieces of their own prints empty fields beside its value,
so a row has more fields than cells. The values that fill the row are read in order; an empty field never
takes a cell from a value, and the words after a row's last value (the next table's header) are not cells."""
from __future__ import annotations

import random

from parsing import parse_bytes
from synth.render import ReportSpec, consistent_cells, render_txt

NBSP = "\u00a0\u00a0"


def _flattened(spec: ReportSpec, extra: dict[str, int]) -> str:
    """The report's tab-per-cell text as one line of tab-separated pieces, with an empty (``&nbsp;``) field
    after the ``k``-th value of each row whose label starts with a key of ``extra``."""
    pieces: list[str] = []
    after: int | None = None
    for line in render_txt(spec, "tabs").splitlines():
        piece = line.strip("\t")
        if not piece:
            continue
        pieces.append(piece)
        if after is not None:
            after -= 1
            if after == 0:
                pieces.append(NBSP)
                after = None
        after = next((k for label, k in extra.items() if piece.startswith(label)), after)
    return "\t".join(pieces)


def _spec(edition: str, seed: int) -> ReportSpec:
    cells = consistent_cells(edition, random.Random(seed))
    return ReportSpec("城关镇人民政府", 2022 if edition == "2021" else 2020, edition, cells)


def test_empty_fields_inside_a_row_leave_its_values_in_order():
    spec = _spec("2019", 3)
    text = _flattened(spec, {"一、本年新收": 1, "（一）予以公开": 3, "行政许可": 3})
    assert text.count(NBSP) == 3
    report = parse_bytes(text.encode(), "x.txt")
    wrong = {c: (v, report.cells[c].state, report.cells[c].value) for c, v in spec.cells.items()
             if report.cells[c].state != "number" or report.cells[c].value != v}
    assert not wrong


def test_the_next_tables_header_after_a_one_column_row_is_not_its_cells():
    spec = _spec("2021", 5)
    # 行政许可 | value | &nbsp; | 第二十条第（六）项 | 信息内容 | &nbsp; | 本年处理决定数量 | 行政处罚 …
    text = _flattened(spec, {"行政许可": 1}).replace("\t信息内容\t", f"\t信息内容\t{NBSP}\t")
    report = parse_bytes(text.encode(), "x.txt")
    assert report.cells["t2.licensing.decisions"].value == spec.cells["t2.licensing.decisions"]


def test_a_blank_cell_beside_an_empty_field_is_never_filled_by_a_neighbour():
    """A row printing one value fewer than its cells, its blank cell as an empty field and one more empty field
    beside a value: no reading can say which field is the cell, so no cell gets another cell's number."""
    spec = _spec("2019", 3)
    text = _flattened(spec, {})
    row = [spec.cells[f"t3.new.{c}"] for c in ("natural", "commercial", "research", "nonprofit", "legal",
                                               "other_org", "total")]
    printed = "\t".join(map(str, row))
    assert printed in text
    holed = "\t".join([str(row[0]), NBSP, str(row[1]), NBSP] + [str(v) for v in row[3:]])  # research blank
    report = parse_bytes(text.replace(printed, holed, 1).encode(), "x.txt")
    for cid, value in spec.cells.items():
        cell = report.cells[cid]
        assert cell.state != "number" or cell.value == value, cid
    assert report.cells["t3.new.research"].state != "number"
