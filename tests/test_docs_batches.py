"""A run judged in batches gets one Data Docs site, built once after its last batch (``expectations.rundocs``):
one validation page per suite holding every batch's failing reports, and per rule the counts of the findings
of every batch — the same pages as the run validated in one batch."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import REPO
from expectations import suite_cache
from expectations.compile import SUITES, plan
from expectations.rundocs import RunDocs
from expectations.runner import frame, validate
from parsing import parse_file
from rules.catalogue import catalogue
from rules.findings import judge
from rules.register import load_register
from xxgk.check import batch_facts, gx_verdicts

SEED = REPO / "examples" / "2020_xiangcheng_zhen.txt"


@pytest.fixture(scope="module")
def city():
    files = sorted(p for p in (REPO / "examples" / "city").rglob("*") if p.is_file()) + [SEED]
    reports = [parse_file(p) for p in files]
    return reports, batch_facts(reports, load_register(REPO / "examples" / "register.csv"))


def _docs(reports, facts, run_dir: Path, cuts: list[int]) -> tuple[RunDocs, Path, list]:  # noqa: ANN001
    """Validate and judge ``facts`` in the batches ``cuts`` marks, every batch added to one RunDocs."""
    docs, findings = RunDocs(run_dir), []
    for start, end in zip([0, *cuts], [*cuts, len(facts)]):
        part = facts[start:end]
        outcome = validate(frame(part), run_dir, docs=docs)
        assert outcome.docs_index is None, "nothing is built before the last batch"
        fails = gx_verdicts(outcome.verdicts)
        batch = [judge(rule, f, r, fails) for r, f in zip(reports[start:end], part) for rule in catalogue().values()]
        docs.add_findings(outcome.results, batch, part)
        findings += batch
    index = docs.build()
    assert index is not None
    return docs, index, findings


def _rule_rows(index: Path) -> dict[str, list[str]]:
    page = BeautifulSoup(index.read_text(encoding="utf-8"), "lxml")
    rows = [tr for tr in page.find_all("tr") if tr.find("td") and tr.find("td").get_text(strip=True) in catalogue()]
    return {tr.find("td").get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")[3:8]]
            for tr in rows}


def _stored(index: Path, suite: str) -> dict:
    gx = index.parents[3]
    [path] = (gx / "uncommitted" / "validations" / suite).rglob("*.json")
    return json.loads(path.read_text(encoding="utf-8"))


def test_batches_make_the_pages_of_one_batch(city, tmp_path) -> None:
    reports, facts = city
    assert len(facts) >= 6
    _, whole, findings = _docs(reports, facts, tmp_path / "whole", [])
    _, parts, batched = _docs(reports, facts, tmp_path / "parts", [2, len(facts) // 2, len(facts) - 1])
    assert [(f.rule_id, f.report_id, f.status) for f in batched] == [(f.rule_id, f.report_id, f.status) for f in findings]
    assert _rule_rows(parts) == _rule_rows(whole)
    for suite in SUITES.values():
        one, merged = _stored(whole, suite), _stored(parts, suite)
        assert merged["statistics"] == one["statistics"] and merged["success"] == one["success"]
        for a, b in zip(one["results"], merged["results"], strict=True):
            assert {k: sorted(v) for k, v in a["result"]["unexpected_by_scope"].items()} == \
                   {k: sorted(v) for k, v in b["result"]["unexpected_by_scope"].items()}
            assert a["result"]["element_count"] == b["result"]["element_count"] == len(facts)
    assert len(list((parts.parent / "validations").rglob("*.html"))) == len(SUITES), "one validation per suite"


def test_the_counts_are_the_findings(city, tmp_path) -> None:
    reports, facts = city
    docs, index, findings = _docs(reports, facts, tmp_path / "run", [3])
    counted = Counter((f.rule_id, f.status) for f in findings)
    rows = _rule_rows(index)
    for rule_id in catalogue():
        assert rows[rule_id][1:] == [str(counted[(rule_id, s)])
                                     for s in ("fail", "not_assessable", "pass", "not_applicable")], rule_id
        assert docs.tallies[rule_id].ids["fail"] == [f.report_id for f in findings
                                                     if f.rule_id == rule_id and f.status == "fail"][:50]
    assert any(counted[(rule_id, "fail")] for rule_id in catalogue()), "the city breaks some rule"


def test_a_later_run_of_the_process_gets_the_suite_pages_rendered_before(city, tmp_path, monkeypatch) -> None:
    """The suites' pages are rendered once per process (``expectations.suite_cache``): a later run's are those
    pages byte for byte — what GX renders again once they are forgotten —, GX renders its validation pages
    only; other planned expectations (another catalogue) have another key."""
    reports, facts = city
    monkeypatch.setattr(suite_cache, "_PAGES", {})
    known, write_known = [], suite_cache.write_known
    monkeypatch.setattr(suite_cache, "write_known", lambda *args: known.append(write_known(*args)) or known[-1])
    indexes = [_docs(reports, facts, tmp_path / "first", [])[1], _docs(reports, facts, tmp_path / "second", [])[1]]
    monkeypatch.setattr(suite_cache, "_PAGES", {})
    indexes.append(_docs(reports, facts, tmp_path / "third", [])[1])
    assert [set(pages) for pages in known] == [set(), set(SUITES.values()), set()]
    for suite in SUITES.values():
        first, second, third = (suite_cache.page(index.parent, suite).read_bytes() for index in indexes)
        assert first == second == third and b"<script" not in second
    assert suite_cache.digest(plan()[:-1]) != suite_cache.digest(plan())
