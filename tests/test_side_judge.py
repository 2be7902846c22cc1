"""A large run's last batches judged in a second process (``xxgk.side_judge``): the same findings and the same
Data Docs as one process judging every batch in order; and the stored facts decoded for judging
(``warehouse.facts_store.decode``) as they were stored, where each cell was printed kept once."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from bs4 import BeautifulSoup
from conftest import latest_findings

from rules.catalogue import catalogue
from synth.city import generate_city
from warehouse import facts_store
from xxgk import incremental, pipeline, side_judge, stages
from xxgk.settings import RunSettings
from xxgk.stored_facts import Batch, Judging


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("city")
    generate_city(root, bodies=8, years=range(2020, 2023), formats=["txt"], defect_rate=0.2, seed=7)
    return root


def _settings(home: Path, city: Path, engine: str = "bare") -> RunSettings:
    return RunSettings((city / "reports",), home / "w.duckdb", city / "register.csv", docs=home / "docs",
                       out_dir=home / "out", engine=engine)


def test_stored_facts_decode_as_stored_with_where_they_were_printed_kept_once(city, tmp_path, monkeypatch) -> None:
    import orjson
    import zlib

    monkeypatch.setenv("XXGK_PARSE_WORKERS", "0")
    settings = _settings(tmp_path, city)
    stages.run_plain(settings)
    con = duckdb.connect(str(settings.db), read_only=True)
    blobs = [b for (b,) in con.execute("SELECT facts FROM report_facts ORDER BY report_id").fetchall()]
    con.close()
    assert len(blobs) > 20
    decoded = [facts_store.decode(blob, "moved.txt") for blob in blobs]
    for blob, (report, facts) in zip(blobs, decoded):
        assert facts["file"] == "moved.txt" and report.report_id == facts["report_id"]
        again = orjson.loads(zlib.decompress(facts_store.encode({**facts, "file": None}, report)))
        stored = orjson.loads(zlib.decompress(blob))
        assert {**again, "file": None} == {**stored, "file": None}, "the tags undone and put back: the same JSON"
        assert any(isinstance(v, tuple) for v in facts.values())
    texts: dict[str, str] = {}
    for _, facts in decoded:
        for text in facts["where"].values():
            assert texts.setdefault(text, text) is text, "each text of where is kept once"


def test_where_cells_were_printed_is_decoded_only_when_read_and_older_facts_decode_as_before() -> None:
    """``where`` is stored as a JSON text and decoded on first use (most reports judged again have no
    finding); facts stored with ``where`` as an object (before) decode to the same mapping."""
    import orjson
    import zlib

    from conftest import REPO

    [described] = pipeline.describe_chunk([REPO / "examples" / "2020_xiangcheng_zhen.txt"], None)
    stored = orjson.loads(zlib.decompress(described.stored))
    assert isinstance(stored["where"], str) and len(described.facts["where"]) > 50
    _, facts = facts_store.decode(described.stored)
    where = facts["where"]
    assert isinstance(where, facts_store.Printed) and where._text is not None  # noqa: SLF001 - not decoded yet
    cell, printed = next(iter(described.facts["where"].items()))
    assert where.get(cell) == printed and where._text is None and where == described.facts["where"]  # noqa: SLF001
    older = zlib.compress(orjson.dumps({**stored, "where": orjson.loads(stored["where"])}), 1)
    assert facts_store.decode(older)[1] == facts


def _judging(years: list[int], per_year: int = 3) -> Judging:
    """Batches of a year each, each reading its previous year (judged by the batch before)."""
    ids = {year: [f"{year}-{n}" for n in range(per_year)] for year in years}
    batches = [Batch(ids.get(year - 1, []) + ids[year], frozenset(ids[year])) for year in years]
    return Judging(batches=incremental._reusing(batches))  # noqa: SLF001


def test_split_hands_the_last_batches_to_the_second_process_each_side_chained_anew(monkeypatch) -> None:
    judging = _judging([2019, 2020, 2021, 2022, 2023])
    assert side_judge.split(judging, parsed_in_bulk=False) == (judging.batches, [])  # fewer than SIDE_AT
    monkeypatch.setattr(side_judge, "SIDE_AT", 1)
    assert side_judge.split(judging, parsed_in_bulk=True)[1] == []  # the parser processes' memory beside it
    monkeypatch.setenv("XXGK_JUDGE_WORKERS", "1")
    assert side_judge.split(judging, parsed_in_bulk=False)[1] == []
    monkeypatch.delenv("XXGK_JUDGE_WORKERS")
    monkeypatch.setattr(side_judge, "SIDE_BATCH_UP_TO", 2)
    assert side_judge.split(judging, parsed_in_bulk=False)[1] == []  # a batch larger than measured beside it
    monkeypatch.setattr(side_judge, "SIDE_BATCH_UP_TO", 3)
    monkeypatch.setattr(side_judge, "SIDE_UP_TO", 14)
    assert side_judge.split(judging, parsed_in_bulk=False)[1] == []  # more reports than measured beside it
    monkeypatch.setattr(side_judge, "SIDE_UP_TO", 15)
    here, there = side_judge.split(judging, parsed_in_bulk=False)
    assert [b.ids for b in here + there] == [b.ids for b in judging.batches]
    assert len(here) == 3 and len(there) == 2
    assert not there[0].reused and there[1].reused == frozenset(f"2022-{n}" for n in range(3))  # 2021: decoded
    assert there[0].kept == there[1].reused and not here[-1].kept  # nobody here reads 2021 again
    assert judging.readers_left == {f"{y}-{n}": 1 for y in (2019, 2020) for n in range(3)}


def _rule_rows(index: Path) -> dict[str, list[str]]:
    page = BeautifulSoup(index.read_text(encoding="utf-8"), "lxml")
    rows = [tr for tr in page.find_all("tr") if tr.find("td") and tr.find("td").get_text(strip=True) in catalogue()]
    return {tr.find("td").get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")[3:8]]
            for tr in rows}


def test_a_rules_change_judged_in_two_processes_as_in_one(city, tmp_path, monkeypatch) -> None:
    """A rules change judged year by year (``BATCH`` lowered): its last batches in a second process give the
    findings and Data Docs of one process judging them all, and leave no file behind."""
    monkeypatch.setenv("XXGK_PARSE_WORKERS", "0")
    monkeypatch.setattr(incremental, "BATCH", 10)
    first = _settings(tmp_path / "one", city, engine="gx")
    monkeypatch.setenv("XXGK_JUDGE_WORKERS", "1")
    stages.run_plain(first)
    shutil.copytree(tmp_path / "one", tmp_path / "two")
    monkeypatch.setattr(pipeline, "catalogue_version", lambda: "rules-changed")
    judged_here: list[int] = []
    judge = stages.judge_batch

    def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        judged_here.append(1)
        return judge(*args, **kwargs)

    monkeypatch.setattr(stages, "judge_batch", counted)
    one = stages.run_plain(first)
    n_batches, judged_here[:] = len(judged_here), []
    monkeypatch.delenv("XXGK_JUDGE_WORKERS")
    monkeypatch.setattr(side_judge, "SIDE_AT", 1)
    handed: list[list[str]] = []
    real = side_judge.write_inputs

    def spied(judging, batches, folder):  # noqa: ANN001, ANN202
        handed.append(real(judging, batches, folder))
        return handed[-1]

    monkeypatch.setattr(side_judge, "write_inputs", spied)
    second = _settings(tmp_path / "two", city, engine="gx")
    two = stages.run_plain(second)
    assert handed and handed[0], "the last batches were handed to a second process"
    assert n_batches >= 3 and len(judged_here) == n_batches - n_batches // 2, "and judged there"
    assert two["n_judged"] == one["n_judged"] > 10 and two["n_parsed"] == 0
    assert latest_findings(second.db) == latest_findings(first.db)
    assert _rule_rows(Path(two["docs"])) == _rule_rows(Path(one["docs"]))
    staging = pipeline.staging_dir(second.raw_root)
    assert not list(staging.glob("side-*")) and not list(staging.glob("*.parquet"))
