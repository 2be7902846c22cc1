"""Golden tests: every hand-checked label in ../shared/corpus/labels against the parser.

A labelled value must come back exactly. The only tolerated difference is honesty about glued digits:
where the text prints neighbouring cells with no separator (e.g. 规范性文件898989) and the template's
arithmetic leaves more than one reading, the cell is ``missing`` with the glued text kept as raw.
"""
from __future__ import annotations

import re

import pytest

from conftest import CORPUS, LABELS, load_label, need_shared
from parsing import parse_file

pytestmark = pytest.mark.skipif(not LABELS, reason="../shared/corpus/labels is not present")


def _ids(paths):
    return [p.stem for p in paths]


@pytest.fixture(scope="module")
def parsed():
    need_shared()
    return {p.stem: parse_file(CORPUS / "dev" / f"{p.stem}.txt") for p in LABELS}


@pytest.mark.parametrize("label_path", LABELS, ids=_ids(LABELS))
def test_identity(label_path, parsed):
    label, report = load_label(label_path), parsed[label_path.stem]
    assert report.body == label["body"]
    assert report.year == label["year"]
    assert report.edition == label["edition"]
    assert [s.number for s in report.sections] == label["sections_present"]
    assert report.parse_status in ("ok", "partial")


@pytest.mark.parametrize("label_path", LABELS, ids=_ids(LABELS))
def test_labelled_values(label_path, parsed):
    label, report = load_label(label_path), parsed[label_path.stem]
    wrong, unexplained = [], []
    for cid, value in label["cells"].items():
        cell = report.cells[cid]
        if cell.state == "number" and cell.value == pytest.approx(value, abs=1e-9):
            continue
        if cell.state == "missing" and _glued_run_contains(cell.raw, value):
            continue
        (wrong if cell.state == "number" else unexplained).append((cid, value, cell.state, cell.value, cell.raw))
    assert not wrong, f"values that differ from the label: {wrong}"
    assert not unexplained, f"labelled cells not read (and not an ambiguous glued run): {unexplained}"


def _glued_run_contains(raw: str, value: float) -> bool:
    digits = re.sub(r"[^\d.\-]", "", raw)
    text = f"{value:.10g}".replace("-", "")
    return len(digits) > len(text) and text.replace(".", "") in digits.replace(".", "").replace("-", "")


@pytest.mark.parametrize("label_path", LABELS, ids=_ids(LABELS))
def test_nothing_invented(label_path, parsed):
    """No cell the label calls missing or uncertain gets a number unless the arithmetic forced it."""
    label, report = load_label(label_path), parsed[label_path.stem]
    doubtful = list(label["missing_cells"]) + list(label["uncertain_cells"])
    invented = [cid for cid in doubtful
                if cid in report.cells and report.cells[cid].state == "number" and "粘连" not in report.cells[cid].note]
    assert not invented


def test_exact_share_over_corpus(parsed):
    """Across the corpus at least 96 % of labelled cells are read exactly (the rest: ambiguous glued runs)."""
    total = exact = 0
    for path in LABELS:
        label, report = load_label(path), parsed[path.stem]
        for cid, value in label["cells"].items():
            total += 1
            cell = report.cells[cid]
            exact += cell.state == "number" and cell.value == pytest.approx(value, abs=1e-9)
    assert exact / total >= 0.96, f"{exact}/{total}"


PDFS = ["2023_hongze_qu", "2024_hongze_qu", "2024_huaian_shi"]


@pytest.mark.parametrize("stem", PDFS)
def test_original_pdf_matches_label(stem):
    need_shared()
    label = load_label(CORPUS / "labels" / f"{stem}.json")
    report = parse_file(CORPUS / "originals" / f"{stem}.pdf")
    assert report.source_format == "pdf"
    assert (report.body, report.year, report.edition) == (label["body"], label["year"], label["edition"])
    got = {cid: report.cells[cid].value for cid in label["cells"] if report.cells[cid].state == "number"}
    assert got == pytest.approx(label["cells"])
    page_cells = [c for c in report.cells.values() if c.locator and "页" in c.locator.where]
    assert page_cells, "PDF cells carry a page locator"
