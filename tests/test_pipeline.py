"""``xxgk.pipeline``: the parser pool and the per-report work done in its workers."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from xxgk import pipeline


def test_threads_share_one_parser_pool() -> None:
    """Prefect runs chunk tasks in threads; they must all use one pool (a pool each would start a pair of
    worker processes per chunk: found at 10,000 reports as 30 parser processes and 5 GB)."""
    pipeline.shutdown_pool()
    try:
        with ThreadPoolExecutor(max_workers=8) as threads:
            pools = list(threads.map(lambda _: pipeline.process_pool(), range(32)))
        assert len({id(p) for p in pools}) == 1
    finally:
        pipeline.shutdown_pool()


def test_described_report_travels_without_cells_but_keeps_where_they_were_printed(tmp_path) -> None:
    from conftest import REPO

    seed = REPO / "examples" / "2020_xiangcheng_zhen.txt"
    [described] = pipeline.describe_chunk([seed], tmp_path / "raw")
    full = pipeline.parse_one(seed, None)
    assert described.report.cells == {} and described.report.report_id == full.report_id
    assert described.facts["where"]["t3.new.total"] == full.cells["t3.new.total"].locator.where
    assert described.cells_file and described.cell_rows is None, "cell rows staged as Parquet by the worker"
