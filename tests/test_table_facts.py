"""STR-TABLE2/3/4 facts: "row absent" and "table absent" are claims about the document, made only when the
reading around them holds; a reading that failed gives 待核实 (None) with the reason."""
from __future__ import annotations

import dataclasses
import random

from parsing import parse_bytes
from parsing.model import Cell
from rules.facts import table3_complete, table4_complete
from synth.render import ReportSpec, consistent_cells, render_txt


def _report():
    spec = ReportSpec(body="某县人民政府", year=2022, edition="2021", cells=consistent_cells("2021", random.Random(3)))
    return parse_bytes(render_txt(spec).encode("utf-8"), "r.txt")


def _with(report, change):  # noqa: ANN001, ANN202
    cells = {cid: change(cell) for cid, cell in report.cells.items()}
    return dataclasses.replace(report, cells=cells)


def _absent_row(row: str):  # noqa: ANN202
    return lambda c: Cell(c.id, "missing", reason="row_absent") if c.id.startswith(f"t3.{row}.") else c


def test_a_row_absent_from_a_table_read_otherwise_is_a_fail():
    report = _with(_report(), _absent_row("denied_1"))
    ok, detail = table3_complete(report, None)
    assert ok is False and "属于国家秘密" in detail


def test_a_row_absent_where_the_rest_of_the_table_was_not_read_either_is_for_a_person():
    def scrambled(cell: Cell) -> Cell:
        if cell.id.startswith("t3.denied_1."):
            return Cell(cell.id, "missing", reason="row_absent")
        return Cell(cell.id, "missing", reason="lost") if cell.id.startswith("t3.") else cell

    ok, detail = table3_complete(_with(_report(), scrambled), None)
    assert ok is None and "读出 0/" in detail and "需对照原件核实" in detail


def test_a_table_not_recognised_in_a_part_that_prints_its_numbers_is_for_a_person():
    absent = lambda c: Cell(c.id, "missing", reason="table_absent") if c.id.startswith("t4.") else c  # noqa: E731
    report = _with(_report(), absent)
    ok, detail = table4_complete(report, None)
    assert ok is None and "第四部分印有" in detail
    part = report.section(4)
    bare = dataclasses.replace(part, text="本年度未发生行政复议、行政诉讼案件。2022年无变化。")
    sections = tuple(bare if s.number == 4 else s for s in report.sections)
    assert table4_complete(dataclasses.replace(report, sections=sections), None) == (False, "整张表缺失")


def test_a_value_floating_between_rows_of_a_laid_out_pdf_text_is_never_given_to_a_row():
    """pdftotext -layout prints a value centred higher in its cell on a line of its own (本年增/减 above its
    row): each row keeps only its own line's values, so no value lands in another row or column (before:
    行政许可 本年增/减 took the 处理决定数量, and 处理决定数量 the next row's floating value)."""
    cells = consistent_cells("2019", random.Random(5))
    spec = ReportSpec(body="某县人民政府", year=2020, edition="2019", cells=cells)
    text = render_txt(spec)
    rows = {"licensing": "行政许可", "other_services": "其他对外管理服务事项"}
    cut = [f"\t{label}\n" + "".join(f"\t{_printed(cells[f't2.{row}.{c}'])}\n" for c in ("prev_items", "change", "decisions"))
           for row, label in rows.items()]
    assert all(block in text for block in cut), "the renderer prints a row as a label and three cell lines"
    laid = "".join(f"                    {_printed(cells[f't2.{row}.change'])}\n"
                   f"{label}     {_printed(cells[f't2.{row}.prev_items'])}        {_printed(cells[f't2.{row}.decisions'])}\n"
                   for row, label in rows.items())
    shifted = text.replace(cut[0] + "\n" + cut[1], laid)
    assert shifted != text
    report = parse_bytes(shifted.encode("utf-8"), "r.txt")
    got = {cid: report.cells[cid] for cid in report.cells if cid.startswith(("t2.licensing.", "t2.other_services."))}
    assert got and all(cell.state == "missing" for cell in got.values()), got


def _printed(value: float) -> str:
    return f"{value:g}"
