"""What keeps a large run's memory bounded: the parser workers leave the reports' stored facts and sentences
in the staging folder (the run keeps their ids), and a run judging more than ``incremental.BATCH`` reports
judges them year by year, in parts of at most ``BATCH // 2`` (``BATCH // 4`` in a very large run)."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import latest_findings

from synth.city import generate_city
from xxgk import incremental, pipeline, stages
from xxgk.settings import RunSettings


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("city")
    generate_city(root, bodies=8, years=range(2020, 2023), formats=["txt"], defect_rate=0.2, seed=7)
    return root


def _settings(home: Path, city: Path) -> RunSettings:
    return RunSettings((city / "reports",), home / "w.duckdb", city / "register.csv", docs=home / "docs",
                       out_dir=home / "out", engine="bare")


def test_year_parts_keep_each_year_apart_in_parts_of_at_most_a_batch(monkeypatch) -> None:
    monkeypatch.setattr(incremental, "BATCH", 8)
    years = {f"r{i}": 2020 + i % 3 for i in range(30)} | {"none": None}
    judged = list(years)
    parts = incremental.year_parts(judged, years)
    assert sorted(rid for part in parts for rid in part) == sorted(judged)
    assert all(len({years[rid] for rid in part}) == 1 and len(part) <= 8 for part in parts)
    assert [len(p) for p in parts] == [5] * 6 + [1]  # each year's 10 reports in two parts, the one of no year alone
    for part in parts:  # the run's order within a part
        assert part == sorted(part, key=judged.index)
    sizes = [len(p) for p in parts if years[p[0]] == 2020]
    assert max(sizes) - min(sizes) <= 1  # a year's parts of about the same size
    assert incremental.year_parts(judged[:8], years) == [judged[:8]]  # no more than BATCH: one part
    monkeypatch.setattr(incremental, "BATCH", 4)  # 31 reports: more than LARGE_RUN batches, parts of BATCH // 4
    assert all(len(part) == 1 for part in incremental.year_parts(judged, years))


def test_a_large_run_keeps_ids_only_and_judges_year_by_year_as_one_batch_would(city, tmp_path, monkeypatch) -> None:
    """With ``BATCH`` lowered below the city's size the parser leaves facts and sentences in the staging
    folder, the run keeps neither, the reports are judged year by year — and the findings, the stored facts
    and sentences are those of a run judging every report in one batch from facts kept in memory."""
    monkeypatch.setenv("XXGK_PARSE_WORKERS", "0")
    whole = _settings(tmp_path / "whole", city)
    stages.run_plain(whole)

    seen: dict[str, object] = {}
    plan = incremental.plan_judging

    def planned(settings, run_plan, parsed, facts, blobs, fresh, signature):  # noqa: ANN001, ANN202
        judging = plan(settings, run_plan, parsed, facts, blobs, fresh, signature)
        seen.update(blobs=list(blobs), facts=[set(f) for f in facts], files=list(fresh.files),
                    batches=[{parsed_years[r] for r in b.judged} for b in judging.batches],
                    reused=[b.reused for b in judging.batches], light=[b.light for b in judging.batches],
                    judging=judging)
        return judging

    parsed_years: dict[str, int | None] = {}
    real_slim = pipeline.slim

    def slim(described):  # noqa: ANN001, ANN202
        parsed_years.update({d.report.report_id: d.report.year for d in described})
        return real_slim(described)

    monkeypatch.setattr(incremental, "BATCH", 6)  # each year of the city in two parts, reading each other
    monkeypatch.setattr(incremental, "plan_judging", planned)
    monkeypatch.setattr(pipeline, "slim", slim)
    large = _settings(tmp_path / "large", city)
    outcome = stages.run_plain(large)

    assert outcome["n_judged"] == outcome["n_parsed"] > 10
    assert seen["files"] and all(blob is None for blob in seen["blobs"])
    assert all(keys <= set(pipeline.SLIM_FACTS) for keys in seen["facts"])  # no texts, no sentences
    assert len(seen["batches"]) > 3 and all(len(years) == 1 for years in seen["batches"])
    assert any(seen["reused"])  # a previous year judged by an earlier batch is not decoded again
    assert any(seen["light"])  # a year's other part read for the copying checks only
    judging = seen["judging"]  # once loaded, the run lets go of what judging read; its counts stay
    assert not (judging.sources or judging.paths or judging.named or judging.kept or judging.filed)
    assert judging.n_judged == outcome["n_judged"]
    assert latest_findings(large.db) == latest_findings(whole.db)
    staging = pipeline.staging_dir(large.raw_root)
    assert not list(staging.glob("*.parquet"))  # loaded, then removed
    tables = "SELECT report_id, parser_version, facts FROM report_facts ORDER BY ALL", \
        "SELECT * FROM report_sentences ORDER BY ALL"
    for sql in tables:
        got, expected = (duckdb.connect(str(s.db), read_only=True).execute(sql).fetchall() for s in (large, whole))
        assert got == expected


def test_a_rules_change_over_a_large_warehouse_judges_it_year_by_year_as_a_run_from_scratch(city, tmp_path,
                                                                                          monkeypatch) -> None:
    monkeypatch.setenv("XXGK_PARSE_WORKERS", "0")
    monkeypatch.setattr(incremental, "BATCH", 10)
    settings = _settings(tmp_path / "w", city)
    stages.run_plain(settings)
    monkeypatch.setattr(pipeline, "catalogue_version", lambda: "rules-changed")
    again = stages.run_plain(settings)
    assert again["n_parsed"] == 0 and again["n_judged"] > 10
    scratch = _settings(tmp_path / "scratch", city)
    monkeypatch.setattr(incremental, "BATCH", 10_000)
    stages.run_plain(scratch)
    assert latest_findings(settings.db) == latest_findings(scratch.db)
    shutil.rmtree(tmp_path / "scratch")
