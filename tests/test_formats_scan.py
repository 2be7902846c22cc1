"""Scanned PDFs through OCR (issue 16): a generated report printed by LibreOffice, rasterised and rebuilt with
no text layer, read back cell by cell; plus a mixed PDF, a scan of a non-report, a blank page, OCR missing."""
from __future__ import annotations

import io

import numpy as np
import pytest

from parsing.api import parse_bytes
from parsing.ocr import UNREADABLE
from parsing.readers import read_document
from synth.render import default_template, render_docx
from synth.scan import image_pdf, print_pdf, scan_pdf
from tests.formats_support import known_spec, needs_ocr, needs_soffice, score

SPEC = known_spec()
SCAN_DPI = 150
TEMPLATE = default_template()  # the official 2021 layout (shared corpus); without it a narrow-column layout
# whose wrapped labels OCR reads far worse (measured 0.405 exact against 0.895: see the issue-16 report)
MIN_EXACT = 0.85 if TEMPLATE else 0.35


@pytest.fixture(scope="module")
def printed() -> bytes:
    return print_pdf(render_docx(SPEC, TEMPLATE))


@pytest.fixture(scope="module")
def scanned(printed: bytes) -> tuple[bytes, object]:
    data = scan_pdf(printed, SCAN_DPI)
    return data, parse_bytes(data, "扫描件.pdf")


@needs_soffice
@needs_ocr
def test_scan_has_no_text_layer(scanned) -> None:  # noqa: ANN001
    from pypdf import PdfReader

    assert all(not (page.extract_text() or "").strip() for page in PdfReader(io.BytesIO(scanned[0])).pages)


@needs_soffice
@needs_ocr
def test_scan_cells_read_and_none_invented(scanned) -> None:  # noqa: ANN001
    report = scanned[1]
    result = score(report, SPEC)
    assert result.invented == []
    assert result.share >= MIN_EXACT, result  # target 0.95 not yet reached: see the report of issue 16
    assert report.year == SPEC.year


@needs_soffice
@needs_ocr
def test_every_ocr_cell_says_it_came_from_ocr_with_confidence(scanned) -> None:  # noqa: ANN001
    report = scanned[1]
    numbers = [c for c in report.cells.values() if c.state == "number"]
    assert numbers
    for cell in numbers:
        assert "OCR" in cell.locator.where and "置信度" in cell.locator.where, cell


@needs_soffice
@needs_ocr
def test_text_pdf_keeps_its_text_layer(printed: bytes) -> None:
    lines = read_document(printed, "报告.pdf").lines
    assert not any("OCR" in line.where for line in lines)


@needs_soffice
@needs_ocr
def test_mixed_pdf_reads_text_pages_and_ocrs_scanned_ones(printed: bytes, scanned) -> None:  # noqa: ANN001
    from pypdf import PdfReader, PdfWriter

    text, scan = PdfReader(io.BytesIO(printed)), PdfReader(io.BytesIO(scanned[0]))
    writer = PdfWriter()
    for number in range(len(text.pages)):
        writer.add_page((scan if number == 1 else text).pages[number])  # page 2 (表二) is scanned
    buffer = io.BytesIO()
    writer.write(buffer)
    report = parse_bytes(buffer.getvalue(), "混合.pdf")
    result = score(report, SPEC)
    assert result.invented == []
    t2 = [c for cid, c in report.cells.items() if cid.startswith("t2.") and c.state == "number"]
    t3 = [c for cid, c in report.cells.items() if cid.startswith("t3.") and c.state == "number"]
    assert t2 and all("OCR" in c.locator.where for c in t2)
    assert t3 and not any("OCR" in c.locator.where for c in t3)


@needs_ocr
def test_blank_scanned_page_is_failed_not_empty_report() -> None:
    report = parse_bytes(image_pdf([np.full((1100, 850), 255, np.uint8)], 100), "空白.pdf")
    assert report.parse_status == "failed"
    assert report.problems and not any(c.state == "number" for c in report.cells.values())


@needs_soffice
@needs_ocr
def test_scan_of_a_non_report_is_failed_with_no_numbers() -> None:
    from synth.document import Para
    from synth.word import build_docx

    letter = build_docx([Para("关于召开春季运动会的通知", "title"),
                         Para("各科室：定于4月12日上午9时在体育场召开春季运动会，请各科室组织30名职工参加。"),
                         Para("联系人：王明，电话：12345678。")])
    report = parse_bytes(scan_pdf(print_pdf(letter), SCAN_DPI), "通知.pdf")
    assert report.parse_status == "failed"
    assert not any(c.state == "number" for c in report.cells.values())


def test_ocr_not_installed_is_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XXGK_TESSERACT", "")
    image = np.full((400, 300), 255, np.uint8)
    image[100:110, 50:250] = 0  # some ink, no text layer
    report = parse_bytes(image_pdf([image], 50), "扫描件.pdf")
    assert report.parse_status == "failed"
    assert report.problems[0].startswith("文字识别程序未安装")


def test_unreadable_marker_is_never_a_number_or_blank() -> None:
    from parsing.readers import Line
    from parsing.text import cell_token

    assert cell_token(UNREADABLE, Line(UNREADABLE, "x", True)).kind == "missing"  # holds its place, no value
