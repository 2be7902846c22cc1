"""Cost of reading PDF tables from positions, per page.

    python -m benchmarks.pdf_layout [file.pdf ...]     # default: synthetic ruled reports (synth.pdf)

For each file: ms per page of the text layer (pypdf, every page), of the ruling scan (pypdfium2, every
page: the test that decides whether a page is read from positions), of the positional reading of a page
with a ruled table (glyph boxes + grid), and of the whole ``read_document`` (which reads a ruled-table page
from positions *instead of* its text layer). Best of ``--repeat`` runs.
"""
from __future__ import annotations

import argparse
import io
import json
import random
import time
from pathlib import Path


def _best(fn, repeat: int) -> float:  # noqa: ANN001
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def _synthetic(n: int) -> list[tuple[str, bytes]]:
    from synth.pdf import render_pdf
    from synth.render import ReportSpec, consistent_cells

    out = []
    for seed in range(n):
        cells = consistent_cells("2021", random.Random(seed))
        blank = set(random.Random(seed + 1).sample(sorted(cells), 30))
        spec = ReportSpec("示例县人民政府", 2022, "2021", {k: v for k, v in cells.items() if k not in blank})
        out.append((f"synthetic-{seed}.pdf", render_pdf(spec)))
    return out


def measure(name: str, data: bytes, repeat: int) -> dict:
    import pypdfium2 as pdfium
    from pypdf import PdfReader

    from parsing.pdf_layout import page_chars, page_grid, page_items, rulings
    from parsing.readers import read_document

    pages = len(PdfReader(io.BytesIO(data)).pages)
    text_ms = _best(lambda: [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages], repeat)
    document = pdfium.PdfDocument(data)
    grids = {}

    def scan() -> None:
        for number in range(len(document)):
            found = rulings(document[number])
            grid = page_grid(*found) if found else None
            if grid is not None:
                grids[number] = grid

    scan_ms = _best(scan, repeat)
    layout_ms = _best(lambda: [page_items(g, page_chars(document[n]) or []) for n, g in grids.items()], repeat)
    read_ms = _best(lambda: read_document(data, name), repeat)
    document.close()
    return {"file": name, "pages": pages, "table_pages": len(grids),
            "text_layer_ms_per_page": round(text_ms / pages, 1),
            "ruling_scan_ms_per_page": round(scan_ms / pages, 1),
            "positions_ms_per_table_page": round(layout_ms / max(len(grids), 1), 1),
            "read_document_ms_per_page": round(read_ms / pages, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--synthetic", type=int, default=3)
    args = parser.parse_args()
    inputs = [(p.name, p.read_bytes()) for p in args.files] or _synthetic(args.synthetic)
    for name, data in inputs:
        print(json.dumps(measure(name, data, args.repeat), ensure_ascii=False))


if __name__ == "__main__":
    main()
