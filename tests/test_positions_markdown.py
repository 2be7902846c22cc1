"""Markdown tables from PDF→markdown converters (``synth.markdown``): invented header rows, ``-`` for blank
cells, renamed columns, a table cut in two under a header of its own, a label broken over two rows. The
rows are read by their labels and column count: every printed value exact, a blank never a number."""
from __future__ import annotations

import random

import pytest

from parsing import parse_bytes
from synth import markdown
from synth.render import ReportSpec, consistent_cells, render_txt

EXACT = ["bogus_header", "dash_blanks", "split_table", "split_label"]


def _spec(edition: str, seed: int, blanks: int) -> tuple[ReportSpec, set[str]]:
    cells = consistent_cells(edition, random.Random(seed))
    blank = set(random.Random(seed + 11).sample(sorted(cells), blanks))
    year = 2022 if edition == "2021" else 2020
    return ReportSpec("示例县人民政府", year, edition, {k: v for k, v in cells.items() if k not in blank}), blank


def _parse(spec: ReportSpec, names: list[str], seed: int):  # noqa: ANN202
    text = markdown.apply(render_txt(spec, "markdown"), names, seed)
    return parse_bytes(text.encode(), "x.md"), text


@pytest.mark.parametrize("names", [[name] for name in EXACT] + [EXACT])
@pytest.mark.parametrize(("edition", "seed"), [("2021", 1), ("2019", 2), ("2021", 3)])
def test_converter_markdown_is_read_cell_exact(names, edition, seed):
    spec, blank = _spec(edition, seed, blanks=20)
    report, text = _parse(spec, names, seed)
    assert "数据1" in text or "bogus_header" not in names
    wrong = [(cid, value, report.cells[cid].state, report.cells[cid].value) for cid, value in spec.cells.items()
             if not (report.cells[cid].state == "number" and report.cells[cid].value == value)]
    assert not wrong
    assert all(report.cells[cid].state in ("blank", "na") for cid in blank)


@pytest.mark.parametrize("seed", [4, 5])
def test_short_rows_are_missing_never_guessed(seed):
    """A converter that leaves out a row's trailing empty cells: the row has fewer values than columns and
    no unique reading, so its cells are missing — the values it prints are not moved into other columns."""
    spec, blank = _spec("2021", seed, blanks=25)
    report, _ = _parse(spec, ["bogus_header", "dropped_trailing"], seed)
    for cid, cell in report.cells.items():
        if cell.state == "number":
            assert cid in spec.cells and cell.value == spec.cells[cid], cid
    assert all(report.cells[cid].state != "number" for cid in blank)
    assert any(c.state == "missing" and c.reason == "lost" for c in report.cells.values())
