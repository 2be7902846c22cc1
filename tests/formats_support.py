"""Shared by tests/test_formats_*.py: the synthetic report with known cells, and cell-by-cell scoring."""
from __future__ import annotations

import random
import shutil
from dataclasses import dataclass

import pytest

from parsing import convert
from parsing.model import Report
from synth.spec import ReportSpec
from synth.values import consistent_cells

needs_soffice = pytest.mark.skipif(convert.soffice() is None,
                                   reason="LibreOffice (soffice) is not installed: run scripts/install-system-deps")
needs_ocr = pytest.mark.skipif(shutil.which("tesseract") is None or shutil.which("pdftoppm") is None,
                               reason="Tesseract or pdftoppm is not installed: run scripts/install-system-deps")


def known_spec(seed: int = 7, edition: str = "2021") -> ReportSpec:
    return ReportSpec("相城镇人民政府", 2022, edition, consistent_cells(edition, random.Random(seed)))


@dataclass(frozen=True)
class Score:
    exact: int
    invented: list[str]  # cells read as a number (or blank/text) that differs from the generator's number
    missing: int
    total: int

    @property
    def share(self) -> float:
        return self.exact / self.total


def score(report: Report, spec: ReportSpec) -> Score:
    """Cell by cell against the generator's numbers. A cell that is missing, text (e.g. an OCR cell not
    read) or n/a is not invented; a number that differs, or a blank where a number was printed, is."""
    exact, invented, missing = 0, [], 0
    for cell_id, value in spec.cells.items():
        cell = report.cells.get(cell_id)
        if cell is None or cell.state in ("missing", "text", "na"):
            missing += 1
        elif cell.state == "number" and cell.value == value:
            exact += 1
        else:
            invented.append(f"{cell_id}: printed {value}, read {cell.state} {cell.raw!r} at {cell.locator}")
    return Score(exact, invented, missing, len(spec.cells))
