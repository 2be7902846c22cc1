"""Laid-out text (``pdftotext -layout``, pypdf's layout mode): table rows and columns from character
positions (``parsing.layout_text``), and the text rules that help a text layer without positions (a label
broken by its values, a cell's digits printed apart). Generated reports (``synth.laidout``) with blank cells:
every printed cell read exactly or missing, never another number; a blank cell never becomes a number."""
from __future__ import annotations

import random

import pytest

from parsing import parse_bytes
from parsing.layout_text import looks_laid_out, relaid
from parsing.readers import _text_lines, read_document
from synth.laidout import LaidOut, render_laid_out
from synth.render import ReportSpec, consistent_cells, render_txt

SEEDS = (1, 4)
HOWS = {"chars": LaidOut(1), "wide": LaidOut(2), "page": LaidOut(1, page_break=8, shift=4)}


def _spec(edition: str, seed: int, blanks: int = 12) -> tuple[ReportSpec, set[str]]:
    """A consistent report with ``blanks`` cells of tables 2 and 3 printed blank."""
    rng = random.Random(seed)
    cells = consistent_cells(edition, rng)
    blank = set(rng.sample(sorted(c for c in cells if c.startswith(("t2.", "t3."))), blanks))
    kept = {c: v for c, v in cells.items() if c not in blank}
    return ReportSpec("城关镇人民政府", 2022 if edition == "2021" else 2020, edition, kept), blank


def _read(spec: ReportSpec, blank: set[str], how: LaidOut) -> tuple[int, int, int, int, list[str]]:
    """(printed cells exact, printed cells, blanks read blank, blanks, cells read as another number)."""
    report = parse_bytes(render_laid_out(spec, how).encode(), "x.txt")
    exact = sum(report.cells[c].state == "number" and report.cells[c].value == v for c, v in spec.cells.items())
    wrong = [c for c, v in spec.cells.items() if report.cells[c].state == "number" and report.cells[c].value != v]
    wrong += [c for c in blank if report.cells[c].state == "number"]
    blanks = sum(report.cells[c].state == "blank" for c in blank)
    return exact, len(spec.cells), blanks, len(blank), wrong


@pytest.mark.parametrize("edition", ["2019", "2021"])
@pytest.mark.parametrize("name", sorted(HOWS))
def test_generated_laid_out_reports_are_read_by_position(edition, name):
    totals = [0, 0, 0, 0]
    for seed in SEEDS:
        spec, blank = _spec(edition, seed)
        *counts, wrong = _read(spec, blank, HOWS[name])
        assert wrong == [], f"seed {seed}: cells read as another number: {wrong}"
        totals = [a + b for a, b in zip(totals, counts)]
    exact, printed, blanks, n_blank = totals
    # Lost only where nothing tells a value's column (a page of rows that each miss a value, a row all blank).
    assert exact >= (0.97 if name == "page" else 0.99) * printed
    assert blanks >= 0.85 * n_blank


def test_floating_values_are_never_placed_by_guess():
    """Values printed a line above the middle of their row: taken when their paragraph has one row whose
    columns they fit, else the rows around them stay text (missing) — never another row's value."""
    for seed in SEEDS:
        for edition in ("2019", "2021"):
            spec, blank = _spec(edition, seed)
            floating = frozenset(random.Random(seed).sample(sorted(spec.cells), 12))
            exact, printed, _, _, wrong = _read(spec, blank, LaidOut(1, floating=floating))
            assert wrong == []
            assert exact >= 0.75 * printed  # a floating value beside two rows leaves them missing


def test_wrapped_labels_group_columns_and_stacked_headers_become_rows():
    spec, _ = _spec("2021", 2, blanks=0)
    text = render_laid_out(spec, LaidOut(1))
    assert "\n                新出具已获取信息" in text and "\n理结果" in text  # labels wrapped, groups merged
    lines = read_document(text.encode(), "x.txt").lines
    cells = [ln.text for ln in lines if ln.cell]
    assert "5.要求行政机关确认或重新出具已获取信息" in cells  # one label cell from its two lines
    assert any("结果维持" in ln.text and "尚未审结" in ln.text for ln in lines)  # 结/果/维/持 read by column
    report = parse_bytes(text.encode(), "x.txt")
    assert all(report.cells[c].value == v for c, v in spec.cells.items())


def test_text_not_laid_out_is_left_alone():
    spec, _ = _spec("2019", 3)
    for text in (render_txt(spec, "tabs"), render_txt(spec, "spaces"), render_txt(spec, "markdown")):
        assert not looks_laid_out(text)
    laid = render_laid_out(spec, LaidOut(1))
    assert looks_laid_out(laid)
    prose = "    本年度共收到申请  12 件，办结  11 件。\n" * 5
    assert relaid(prose, _text_lines(prose)) == _text_lines(prose)


def test_a_value_glued_to_its_label_is_never_a_blank():
    """``3.危及“三安全一稳定”38``: the first value printed against the label — the row is not read by position
    (its first column would look blank); the text's rule reads it (a number split from the words)."""
    spec, _ = _spec("2021", 5, blanks=0)
    text = render_laid_out(spec, LaidOut(1))
    line = next(ln for ln in text.splitlines() if "3.危及“三安全一稳定”" in ln)
    first = line.split()[1]
    glued = line.replace("3.危及“三安全一稳定”", "3.危及“三安全一稳定”" + first).replace(" " + first + " ", "   ", 1)
    assert glued != line
    document = read_document(text.replace(line, glued).encode(), "x.txt")
    assert not any(ln.cell and "危及" in ln.text for ln in document.lines)  # left to the text's rule
    report = parse_bytes(text.replace(line, glued).encode(), "x.txt")
    assert all(report.cells[c].state != "blank" for c in report.cells if c.startswith("t3.denied_3."))
    assert all(report.cells[c].state == "missing" or report.cells[c].value == v for c, v in spec.cells.items())


def test_a_label_broken_by_its_values_is_found_in_text_without_positions():
    """A text layer prints a label wrapped beside values centred in the cell as ``2.其他法律 0 0 …`` /
    ``公开`` (a group label's piece) / ``行政法规禁止公开``: the row is found, its values are the ones between."""
    spec, _ = _spec("2019", 6, blanks=0)
    text = render_txt(spec, "spaces")
    line = next(ln for ln in text.splitlines() if ln.startswith("2.其他法律行政法规禁止公开 "))
    values = line.split(" ", 1)[1]
    text = text.replace(line, f"2.其他法律 {values}\n公开\n行政法规禁止公开")
    report = parse_bytes(text.encode(), "x.txt")
    assert all(report.cells[c].value == v for c, v in spec.cells.items())
    [alignment] = [a for a in report.alignments if a.target == "t3.denied_2"]
    assert alignment.how == "标签被数值隔开" and alignment.printed == "2.其他法律行政法规禁止公开"


def test_digits_of_a_cell_printed_apart_are_joined_only_when_unique():
    spec, _ = _spec("2021", 7, blanks=0)
    cells = dict(spec.cells)
    natural, total = cells["t3.new.natural"], cells["t3.new.total"]
    assert natural >= 10  # the generator's first row has two-digit counts
    text = render_txt(ReportSpec(spec.body, spec.year, spec.edition, cells), "spaces")
    line = next(ln for ln in text.splitlines() if ln.startswith("一、本年新收"))
    label, *values = line.split()
    spaced = " ".join(" ".join(v) if v in (str(natural), str(total)) else v for v in values)
    report = parse_bytes(text.replace(line, f"{label} {spaced}").encode(), "x.txt")
    for cid, value in cells.items():
        cell = report.cells[cid]
        assert cell.state == "missing" or cell.value == value  # joined when unique, else missing
    assert report.cells["t3.new.natural"].value == natural or report.cells["t3.new.natural"].state == "missing"


@pytest.mark.parametrize("row", ["标签名称  1  2  3\n", "  1\n标签  2  3  4\n", "一、本年新收\n   1   2   3\n申请数量\n"])
def test_a_long_laid_out_text_costs_linear_time(row):
    """A text of thousands of laid-out rows in one table (no blank line anywhere): the reader's work grows
    with the lines (a label links only to the lines just below it), not with their square."""
    import time

    data = ("一、总体情况\n二、主动公开\n三、收到和处理\n" + row * (9000 // row.count("\n"))).encode()
    start = time.process_time()
    read_document(data, "x.txt")
    assert time.process_time() - start < 3.0
