"""Cost of reading PDF tables from positions, per page.

    python -m benchmarks.pdf_layout [file.pdf ...]     # default: synthetic reports (synth.pdf), ruled,
                                                       # without rulings, with horizontal rules only,
                                                       # ruled with underlined cell text, and unruled
                                                       # with labels set against their values (no padding)
    python -m benchmarks.pdf_layout --without-rulings file.pdf ...   # also each file with its drawn
                                                       # paths removed (in memory): its tables unruled

For each file: ms per page of the text layer (pypdf, every page), of the ruling scan (pypdfium2, every
page: the test that decides whether a page is read from positions), of the positional reading of a page
with a ruled table (glyph boxes + grid), and of the whole ``read_document`` (which reads a table page from
positions *instead of* its text layer). Then the cost of the page-layout step per kind of page
(``layout_ms_per_page``): a ruled table page (rulings, grid, glyph boxes), a table page without rulings
(rulings, the text test ``looks_tabular``, glyph boxes with baselines, columns) and a page of prose (rulings
and the text test only: it keeps its text layer). Best of ``--repeat`` runs; the last line sums all files.
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
        for name, options in (("ruled", {"ruled": True}), ("unruled", {"ruled": False}),
                              ("horizontal", {"ruled": "horizontal"}),
                              ("underlined", {"ruled": True, "underline": True}),  # each cell line underlined
                              ("unpadded", {"ruled": False, "halign": "left", "pad": 0})):  # labels touch values
            out.append((f"synthetic-{seed}-{name}.pdf", render_pdf(spec, **options)))
    return out




def page_kinds(data: bytes, repeat: int) -> dict[str, list[float]]:
    """ms of ``parsing.pdf_layout``'s page step for each page (best of ``repeat``), by kind of page."""
    import pypdfium2 as pdfium

    from parsing.pdf_layout import _page_layout, page_grid, rulings

    document = pdfium.PdfDocument(data)
    kinds: dict[str, list[float]] = {"ruled": [], "unruled": [], "prose": []}
    try:
        carried: list = []
        for number in range(len(document)):
            found = rulings(document[number])
            grid = page_grid(*found) if found else None
            best, result = float("inf"), (None, [])
            for _ in range(repeat):
                start = time.perf_counter()
                result = _page_layout(document, number, carried)
                best = min(best, time.perf_counter() - start)
            items, carried = result
            kind = "ruled" if grid is not None else "unruled" if items is not None else "prose"
            kinds[kind].append(best * 1000)
    finally:
        document.close()
    return kinds


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


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
    kinds = page_kinds(data, repeat)
    return {"file": name, "pages": pages, "table_pages": len(grids),
            "text_layer_ms_per_page": round(text_ms / pages, 1),
            "ruling_scan_ms_per_page": round(scan_ms / pages, 1),
            "positions_ms_per_table_page": round(layout_ms / max(len(grids), 1), 1),
            "read_document_ms_per_page": round(read_ms / pages, 1),
            "layout_ms_per_page": {kind: _mean(ms) for kind, ms in kinds.items()},
            "kinds": kinds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--synthetic", type=int, default=3)
    parser.add_argument("--without-rulings", action="store_true",
                        help="also read each file with its drawn paths removed")
    args = parser.parse_args()
    inputs = [(p.name, p.read_bytes()) for p in args.files] or _synthetic(args.synthetic)
    if args.without_rulings:
        from synth.pdf import without_rulings

        inputs += [(f"{name} (without rulings)", without_rulings(data)) for name, data in inputs]
    total: dict[str, list[float]] = {"ruled": [], "unruled": [], "prose": []}
    for name, data in inputs:
        result = measure(name, data, args.repeat)
        for kind, ms in result.pop("kinds").items():
            total[kind].extend(ms)
        print(json.dumps(result, ensure_ascii=False))
    print(json.dumps({"all_files": {"layout_ms_per_page": {kind: _mean(ms) for kind, ms in total.items()},
                                    "pages": {kind: len(ms) for kind, ms in total.items()}}}, ensure_ascii=False))


if __name__ == "__main__":
    main()
