"""CPU milliseconds per report of what a parser worker does: parse, then each part of ``describe``.

    python -m benchmarks.describe [--reports 500] [--repeat 3] [--corpus benchmarks/corpus/10000]

Runs in this one process (no pool), over the first N report files of the corpus (a synthetic city from
``benchmarks.pipeline``), and prints the best of ``--repeat`` passes of each part, in CPU milliseconds per
report (``time.process_time``: other work on a shared machine hardly moves it). The parts are those of
``xxgk.pipeline.describe`` and ``describe_chunk`` (the chunk's Parquet file of cell rows included).
"""
from __future__ import annotations

import argparse
import gc
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _parts() -> dict[str, Callable]:
    """The parts of ``describe``, each a function of the parsed report (and what came before)."""
    from rules.cross import own_texts
    from rules.facts import publication_date, report_facts
    from rules.findings import WHERE
    from warehouse import facts_store
    from warehouse.rows import report_cell_rows

    def facts(report, out):  # noqa: ANN001
        out["facts"] = report_facts(report)

    def texts(report, out):  # noqa: ANN001
        out["facts"].update(own_texts(report))

    def published(report, out):  # noqa: ANN001
        f = out["facts"]
        f["published_on"] = publication_date(report) if report.parse_status != "failed" else None
        f[WHERE] = {cid: c.locator.where for cid, c in report.cells.items() if c.locator is not None}

    def cells(report, out):  # noqa: ANN001
        out["rows"] = report_cell_rows(report)

    def encode(report, out):  # noqa: ANN001
        out["stored"] = facts_store.encode(out["facts"], report)

    def stripped(report, out):  # noqa: ANN001
        out["report"] = replace(report, cells={})

    return {"report_facts": facts, "own_texts": texts, "published+where": published, "cell_rows": cells,
            "encode": encode, "report w/o cells": stripped}


def measure(paths: list[Path], repeat: int) -> dict[str, float]:
    """Best CPU ms per report of parse, of each part of describe, of the chunk's Parquet file, and of
    ``describe`` as a whole (one call, for a check that the parts add up)."""
    from xxgk import pipeline
    from warehouse.rows import write_cells_parquet

    parts = _parts()
    best: dict[str, float] = {}
    for _ in range(repeat):
        gc.collect()
        t0 = time.process_time()
        reports = [pipeline.parse_one(p, None) for p in paths]
        spent = {"parse": time.process_time() - t0}
        outs = [{} for _ in reports]
        for name, fn in parts.items():
            t0 = time.process_time()
            for report, out in zip(reports, outs):
                fn(report, out)
            spent[name] = time.process_time() - t0
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.process_time()
            for start in range(0, len(outs), pipeline.CHUNK):
                write_cells_parquet([o["rows"] for o in outs[start:start + pipeline.CHUNK]], Path(tmp) / f"{start}.parquet")
            spent["cells parquet"] = time.process_time() - t0
        t0 = time.process_time()
        for report in reports:
            pipeline.describe(report)
        spent["describe (whole)"] = time.process_time() - t0
        for name, seconds in spent.items():
            ms = seconds * 1000 / len(paths)
            best[name] = min(best.get(name, ms), ms)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=ROOT / "benchmarks" / "corpus" / "10000")
    args = parser.parse_args(argv)
    from xxgk import pipeline

    found = pipeline.discover([args.corpus / "reports"])
    paths = found[:: max(len(found) // args.reports, 1)][: args.reports]  # spread over the years (editions)
    best = measure(paths, args.repeat)
    described = sum(v for k, v in best.items() if k not in ("parse", "describe (whole)"))
    print(f"{len(paths)} reports, best of {args.repeat}: CPU ms per report")
    for name, ms in best.items():
        print(f"  {name:<18} {ms:7.3f}")
    print(f"  {'describe parts':<18} {described:7.3f}  (sum of the parts above, parse and the whole excluded)")


if __name__ == "__main__":
    main()
