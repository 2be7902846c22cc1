"""Benchmark of issue 16's readers: LibreOffice conversion time per file and OCR time per page.

    .venv/bin/python -m benchmarks.formats [--dpi 200 300]

Prints, for a generated report with known cells: each conversion's seconds (.doc, .xls), the OCR seconds of
each scanned page at each DPI, and the share of cells read exactly (and invented: must be 0).
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from parsing import ocr, office
from parsing.api import parse_bytes
from synth.render import default_template, render_docx
from synth.scan import convert_to, print_pdf, scan_pdf
from synth.sheet import render_xlsx
from tests.formats_support import known_spec, score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dpi", type=int, nargs="+", default=[200, 300], help="OCR rendering resolutions")
    parser.add_argument("--scan-dpi", type=int, default=150, help="resolution of the synthetic scan")
    args = parser.parse_args()
    spec = known_spec()
    docx = render_docx(spec, default_template())
    for suffix, data in ((".doc", convert_to(docx, ".docx", "doc")), (".xls", convert_to(render_xlsx(spec), ".xlsx", "xls"))):
        office.CONVERSION_SECONDS.clear()
        started = time.perf_counter()
        result = score(parse_bytes(data, f"报告{suffix}"), spec)
        print(f"{suffix}: conversion {office.CONVERSION_SECONDS[0]:.2f} s, parse total {time.perf_counter() - started:.2f} s, "
              f"exact {result.exact}/{result.total}, invented {len(result.invented)}")
    scan = scan_pdf(print_pdf(docx), args.scan_dpi)
    for dpi in args.dpi:
        os.environ["XXGK_OCR_DPI"] = str(dpi)
        ocr.OCR_DPI = dpi
        ocr.PAGE_SECONDS.clear()
        result = score(parse_bytes(scan, "扫描件.pdf"), spec)
        pages = ocr.PAGE_SECONDS
        print(f"scan {args.scan_dpi} dpi read at {dpi} dpi: {len(pages)} pages, OCR per page mean "
              f"{statistics.mean(pages):.1f} s (max {max(pages):.1f} s), exact {result.exact}/{result.total} "
              f"({result.share:.1%}), invented {len(result.invented)}")


if __name__ == "__main__":
    main()
