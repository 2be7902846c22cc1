"""Benchmark of issue 16's readers: LibreOffice conversion time per file, and scans read by OCR.

    .venv/bin/python -m benchmarks.formats [--dpi 200 300] [--scans clean150 askew150 rough200 clean300] [--no-office]

For a generated report with known cells (the official 2021 layout): each conversion's seconds (.doc, .xls);
then the report printed to PDF by LibreOffice and scanned (``synth.scan``) under several conditions — a clean
scan at 150 or 300 dpi; pages fed askew (turned 1.5° one way or the other) with speckle; a rough 200-dpi scan
(askew, blurred, speckled) — each read by OCR with pages rendered at each ``--dpi``. For each it prints the
OCR seconds per page, the skew found on each page, and the cells read exactly (and invented: must be 0).
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import dataclass

from parsing import ocr, office
from parsing.api import parse_bytes
from synth.render import default_template, render_docx
from synth.scan import convert_to, print_pdf, scan_pdf
from synth.sheet import render_xlsx
from tests.formats_support import known_spec, score


@dataclass(frozen=True)
class ScanCondition:
    description: str
    dpi: int
    skew: float = 0.0  # degrees; pages alternate direction (1, -1, 0.6, -0.8, 1 times this)
    blur: int = 0
    noise: float = 0.0

    def angles(self, pages: int = 5) -> list[float]:
        pattern = (1.0, -1.0, 0.6, -0.8)
        return [round(self.skew * pattern[i % len(pattern)], 2) + 0.0 for i in range(pages)]  # (no -0.0)


SCANS = {
    "clean150": ScanCondition("clean, 150 dpi", 150),
    "askew150": ScanCondition("askew ±1.5°, speckle σ8, 150 dpi", 150, skew=1.5, noise=8),
    "rough200": ScanCondition("askew ±1°, blurred 1 px, speckle σ12, 200 dpi", 200, skew=1.0, blur=1, noise=12),
    "clean300": ScanCondition("clean, 300 dpi", 300),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dpi", type=int, nargs="+", default=[200, 300], help="OCR rendering resolutions")
    parser.add_argument("--scans", nargs="+", default=list(SCANS), choices=list(SCANS), help="scan conditions")
    parser.add_argument("--no-office", action="store_true", help="skip the .doc/.xls conversions")
    args = parser.parse_args()
    spec = known_spec()
    docx = render_docx(spec, default_template())
    if not args.no_office:
        office_formats(spec, docx)
    printed = print_pdf(docx)
    totals: dict[int, list[int]] = {dpi: [0, 0, 0] for dpi in args.dpi}
    for name in args.scans:
        condition = SCANS[name]
        scan = scan_pdf(printed, condition.dpi, noise=condition.noise, seed=1, skew=condition.angles(),
                        blur=condition.blur)
        for dpi in args.dpi:
            exact, total, invented = read_scan(scan, spec, condition, dpi)
            totals[dpi] = [totals[dpi][0] + exact, totals[dpi][1] + total, totals[dpi][2] + invented]
    for dpi, (exact, total, invented) in totals.items():
        print(f"all scans read at {dpi} dpi: exact {exact}/{total} ({exact / total:.1%}), invented {invented}")


def office_formats(spec, docx: bytes) -> None:  # noqa: ANN001 - synth.spec.ReportSpec
    for suffix, data in ((".doc", convert_to(docx, ".docx", "doc")), (".xls", convert_to(render_xlsx(spec), ".xlsx", "xls"))):
        office.CONVERSION_SECONDS.clear()
        started = time.perf_counter()
        result = score(parse_bytes(data, f"报告{suffix}"), spec)
        print(f"{suffix}: conversion {office.CONVERSION_SECONDS[0]:.2f} s, parse total {time.perf_counter() - started:.2f} s, "
              f"exact {result.exact}/{result.total}, invented {len(result.invented)}")


def read_scan(scan: bytes, spec, condition: ScanCondition, dpi: int) -> tuple[int, int, int]:  # noqa: ANN001
    os.environ["XXGK_OCR_DPI"] = str(dpi)
    ocr.OCR_DPI = dpi
    ocr.PAGE_SECONDS.clear()
    ocr.PAGE_SKEWS.clear()
    started = time.perf_counter()
    result = score(parse_bytes(scan, "扫描件.pdf"), spec)
    pages = ocr.PAGE_SECONDS
    print(f"scan {condition.description}, read at {dpi} dpi: {len(pages)} pages, OCR per page mean "
          f"{statistics.mean(pages):.1f} s (max {max(pages):.1f} s; parse total {time.perf_counter() - started:.0f} s), "
          f"skew printed {condition.angles(len(pages))} found {ocr.PAGE_SKEWS}, "
          f"exact {result.exact}/{result.total} ({result.share:.1%}), invented {len(result.invented)}", flush=True)
    for line in result.invented:
        print(f"  INVENTED {line}")
    return result.exact, result.total, len(result.invented)


if __name__ == "__main__":
    main()
