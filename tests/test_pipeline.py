"""``xxgk.pipeline`` and ``xxgk.pool``: the parser pool and the per-report work done in its workers."""
from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from xxgk import pipeline
from xxgk import pool as parser_pool


def test_threads_share_one_parser_pool() -> None:
    """Prefect runs chunk tasks in threads; they must all use one pool (a pool each would start a pair of
    worker processes per chunk: found at 10,000 reports as 30 parser processes and 5 GB)."""
    parser_pool.shutdown_pool()
    try:
        with ThreadPoolExecutor(max_workers=8) as threads:
            pools = list(threads.map(lambda _: parser_pool.process_pool(), range(32)))
        assert len({id(p) for p in pools}) == 1
    finally:
        parser_pool.shutdown_pool()


def test_a_thin_chunk_sends_back_what_a_large_run_keeps_and_the_facts_as_stored(tmp_path) -> None:
    from conftest import REPO
    from warehouse import facts_store

    seed = REPO / "examples" / "2020_xiangcheng_zhen.txt"
    [full] = pipeline.describe_chunk([seed], tmp_path / "raw")
    [thin] = pipeline.describe_chunk([seed], tmp_path / "raw", True)
    assert set(thin.facts) <= set(pipeline.SLIM_FACTS) and thin.facts["year"] == full.facts["year"]
    assert all(s.text == "" for s in thin.report.sections) and thin.report.sections
    assert thin.stored is None and thin.facts_file, "the stored facts wait in the staging folder"
    import duckdb

    con = duckdb.connect()
    [(blob,)] = con.execute("SELECT facts FROM read_parquet(?)", [thin.facts_file]).fetchall()
    sentences = con.execute("SELECT section, sentence, length FROM read_parquet(?) ORDER BY ALL",
                            [thin.sentences_file]).fetchall()
    _, stored = facts_store.decode(blob, str(seed))
    assert stored == {k: v for k, v in full.facts.items() if not k.startswith(facts_store.NOT_STORED)}
    assert sentences == sorted((n, key, length) for n in (1, 5) for key, length in full.facts[f"sents.s{n}"].items())


def test_described_report_travels_without_cells_but_keeps_where_they_were_printed(tmp_path) -> None:
    from conftest import REPO

    seed = REPO / "examples" / "2020_xiangcheng_zhen.txt"
    [described] = pipeline.describe_chunk([seed], tmp_path / "raw")
    full = pipeline.parse_one(seed, None)
    assert described.report.cells == {} and described.report.report_id == full.report_id
    assert described.facts["where"]["t3.new.total"] == full.cells["t3.new.total"].locator.where
    assert described.cells_file and described.cell_rows is None, "cell rows staged as Parquet by the worker"


class _CountingPool(ThreadPoolExecutor):
    """The parser pool's stand-in: threads of this process, counting what is submitted."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.submitted: list[tuple] = []

    def submit(self, fn, *args, **kwargs):  # noqa: ANN001, ANN201
        self.submitted.append((fn, args))
        return super().submit(fn, *args, **kwargs)


def _two_files(tmp_path):  # noqa: ANN202
    from conftest import REPO

    seed = REPO / "examples" / "2020_xiangcheng_zhen.txt"
    folder = tmp_path / "in"
    folder.mkdir()
    other = folder / "b.txt"
    other.write_text(seed.read_text(encoding="utf-8").replace("相城镇", "东湖镇"), encoding="utf-8")
    (folder / "a.txt").write_bytes(seed.read_bytes())
    return sorted(folder.iterdir())


@pytest.fixture
def counting_pool(monkeypatch) -> Iterator[_CountingPool]:  # noqa: ANN001
    """The run's parser pool replaced by one that counts what is submitted to it (shut down afterwards)."""
    monkeypatch.delenv("XXGK_PARSE_WORKERS", raising=False)
    pool = _CountingPool()
    monkeypatch.setattr(parser_pool, "process_pool", lambda: pool)
    yield pool
    parser_pool.drop_head_start()
    pool.shutdown()


def test_a_chunk_given_a_head_start_is_collected_not_parsed_again(tmp_path, monkeypatch, counting_pool) -> None:
    monkeypatch.setattr(parser_pool, "PARSE_HERE", 0)  # two files: parsed in a parser process all the same
    paths, raw = _two_files(tmp_path), tmp_path / "raw"
    assert parser_pool.head_start(paths, raw) == 1
    described = parser_pool.run_pooled(pipeline.describe_chunk, list(paths), raw, False)
    assert [d.report.file for d in described] == [str(p) for p in paths]
    assert len(counting_pool.submitted) == 1, "the flow's task collected the head start's result"
    parser_pool.run_pooled(pipeline.describe_chunk, list(paths), raw, False)
    assert len(counting_pool.submitted) == 2, "collected once: a retry of the task parses again"


def test_a_head_start_nobody_collected_leaves_no_cell_files(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("XXGK_PARSE_WORKERS", raising=False)
    monkeypatch.setattr(parser_pool, "PARSE_HERE", 0)  # two files: parsed in a parser process all the same
    pool = _CountingPool()
    monkeypatch.setattr(parser_pool, "process_pool", lambda: pool)
    raw = tmp_path / "raw"
    parser_pool.head_start(_two_files(tmp_path), raw)
    assert parser_pool.head_started_at() is not None
    parser_pool.drop_head_start()
    pool.shutdown()
    assert list(pipeline.staging_dir(raw).glob("cells-*.parquet")) == []
    assert parser_pool.head_started_at() is None


def test_a_few_files_are_parsed_here_when_no_parser_process_runs(tmp_path, monkeypatch, counting_pool) -> None:
    """A night's few new files: parsed in this process (the head start's chunk is a finished future, the
    flow's task collects it), no parser process started; with the processes up, they parse."""
    paths, raw = _two_files(tmp_path), tmp_path / "raw"
    assert parser_pool.head_start(paths, raw) == 1
    described = parser_pool.run_pooled(pipeline.describe_chunk, list(paths), raw, False)
    assert [d.report.file for d in described] == [str(p) for p in paths] and counting_pool.submitted == []
    again = parser_pool.run_pooled(pipeline.describe_chunk, list(paths), raw, False)
    assert [d.report.report_id for d in again] == [d.report.report_id for d in described]
    assert counting_pool.submitted == [], "no parser process for two files"
    monkeypatch.setattr(parser_pool, "idle_pool", lambda: counting_pool)  # the processes run already: they parse
    parser_pool.run_pooled(pipeline.describe_chunk, list(paths), raw, False)
    assert len(counting_pool.submitted) == 1


def test_a_survey_is_reused_only_while_the_listing_is_the_same(tmp_path) -> None:
    folder = tmp_path / "in"
    (folder / "b").mkdir(parents=True)
    for name in ("b/x.txt", "a.txt", "b.txt", "c.csv", "d.png"):
        (folder / name).write_text("x", encoding="utf-8")
    try:
        first = pipeline.survey([folder])
        assert first.reports == [folder / "a.txt", folder / "b/x.txt", folder / "b.txt"]
        assert (first.unsupported, first.ignored) == ([folder / "d.png"], [folder / "c.csv"])
        assert pipeline.survey([folder]).reports[0] is first.reports[0], "same listing: same paths"
        again = pipeline.survey([folder, folder])  # other inputs: surveyed anew (each file once)
        assert again == first and pipeline._LAST_SURVEY[0][0] == (folder, folder)  # noqa: SLF001
        (folder / "b" / "y.txt").write_text("y", encoding="utf-8")
        grown = pipeline.survey([folder])
        assert grown.reports == [folder / "a.txt", folder / "b/x.txt", folder / "b/y.txt", folder / "b.txt"]
        assert grown.reports[0] is first.reports[0], "a file found before: its path taken again, not made anew"
    finally:
        pipeline.forget_survey()
