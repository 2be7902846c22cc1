"""Data Docs an officer can use offline: an index linking every suite and validation of the run, a status per
rule as text (不通过 / 无法判断 / 通过), failing and not assessable reports named by body, year and file, counts
that agree with the findings, nothing that covers the content, no third-party footer, no script, report text
escaped. Rendered without a browser (plus one check in headless Chromium when it is installed)."""
from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import REPO
from expectations.assess import tally
from expectations.compile import SUITES
from expectations.runner import frame, validate
from parsing import parse_file
from rules.catalogue import catalogue
from rules.findings import judge
from rules.register import load_register
from xxgk.check import batch_facts

PAYLOAD = "<img src=x onerror=alert(1)>"
SEED = REPO / "examples" / "2020_xiangcheng_zhen.txt"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The example city, the seed report (most of its tables unreadable), a file that cannot be read (its name
    a script payload) and a report whose printed body name is the payload, validated with Data Docs."""
    files = sorted(p for p in (REPO / "examples" / "city").rglob("*") if p.is_file()) + [SEED]
    missing = tmp_path_factory.mktemp("gone") / f"{PAYLOAD}.txt"
    reports = [parse_file(p) for p in files] + [parse_file(missing)]
    facts = batch_facts(reports, load_register(REPO / "examples" / "register.csv"))
    hostile = next(f for f in facts if f.get("body") and f["file"].endswith(".txt") and f["file"] != str(SEED))
    hostile["body"] = PAYLOAD + "人民政府"
    failed = {r.report_id for r in reports if r.parse_status == "failed"}
    outcome = validate(frame(facts), tmp_path_factory.mktemp("docs") / "run", facts=facts, failed=failed)
    return reports, facts, failed, outcome


def pages(outcome) -> dict[Path, str]:  # noqa: ANN001
    return {p: p.read_text(encoding="utf-8") for p in outcome.docs_index.parent.rglob("*.html")}


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "lxml")


def test_the_index_links_every_suite_and_every_validation_of_the_run(run) -> None:
    outcome = run[3]
    index = outcome.docs_index
    links = [a["href"] for a in soup(index.read_text(encoding="utf-8")).find_all("a", href=True)]
    targets = {(index.parent / href).resolve() for href in links}
    assert all(t.exists() for t in targets), [h for h in links if not (index.parent / h).exists()]
    for suite in SUITES.values():
        assert (index.parent / "expectations" / f"{suite}.html").resolve() in targets, suite
        validations = [t for t in targets if "validations" in t.parts and suite in t.parts]
        assert len(validations) == 1, (suite, validations)
    assert len(list((index.parent / "validations").rglob("*.html"))) == len(SUITES), "one validation per suite"


def test_a_status_per_rule_as_text_on_the_index_and_the_validation_pages(run) -> None:
    outcome = run[3]
    index = soup(outcome.docs_index.read_text(encoding="utf-8"))
    rows = [tr for tr in index.find_all("tr") if tr.find("td") and tr.find("td").get_text(strip=True) in catalogue()]
    assert {tr.find("td").get_text(strip=True) for tr in rows} == set(catalogue()), "every rule has a row"
    for tr in rows:
        assert tr.find(class_="xxgk-badge").get_text(strip=True) in {"不通过", "无法判断", "通过", "不适用"}
    shown = Counter(tr.find(class_="xxgk-badge").get_text(strip=True) for tr in rows)
    assert shown["不通过"] and shown["无法判断"], shown
    for path, text in pages(outcome).items():
        if "validations" in path.parts:
            badges = [b.get_text(strip=True) for b in soup(text).find_all(class_="xxgk-badge")]
            suite = next(s for s in SUITES.values() if s in path.parts)
            assert len(badges) == len(_suite_rules(suite)), (path, badges)
            assert set(badges) <= {"不通过", "无法判断", "通过", "不适用"}


def _suite_rules(suite: str) -> list[str]:
    from expectations.compile import plan

    return [p.rule_id for p in plan() if p.suite == suite]


def test_failing_and_unassessed_reports_are_named_by_body_year_and_file(run) -> None:
    reports, facts, _, outcome = run
    seed = next(f for f in facts if f["file"] == str(SEED))
    table3 = next(t for p, t in pages(outcome).items() if "validations" in p.parts and "xxgk_table3" in p.parts)
    text = soup(table3).get_text(" ")
    assert seed["body"] in text and "2020 年度" in text and SEED.name in text, "the seed report is 无法判断 here"
    failing = {rid for (rule, _), ids in outcome.verdicts.items() if rule.startswith("T3") for rid in ids}
    assert failing, "the example city breaks a table-3 rule"
    for one in (f for f in facts if f["report_id"] in failing):
        assert one["body"] in text and Path(one["file"]).name in text, one["file"]
    assert "/" + SEED.parent.name + "/" not in text, "file names, never folders of the office's server"


def test_not_assessable_counts_agree_with_the_findings(run) -> None:
    reports, facts, failed, outcome = run
    verdicts = outcome.verdicts
    tallies = tally(frame(facts), facts, verdicts, failed)

    def fails(rule, scope, f) -> bool:  # noqa: ANN001
        return f["report_id"] in verdicts[(rule.id, scope.key)]

    for rule in catalogue().values():
        found = Counter(judge(rule, f, r, fails).status for r, f in zip(reports, facts))
        assert {s: tallies[rule.id].count(s) for s in found} == dict(found), rule.id
    assert tallies["T3-BALANCE"].count("not_assessable") >= 2, "the seed report and the unreadable file"
    index = soup(outcome.docs_index.read_text(encoding="utf-8"))
    row = next(tr for tr in index.find_all("tr") if tr.find("td") and tr.find("td").get_text(strip=True) == "T3-BALANCE")
    assert str(tallies["T3-BALANCE"].count("not_assessable")) in [td.get_text(strip=True) for td in row.find_all("td")]


def test_pages_are_offline_escaped_and_nothing_covers_the_content(run) -> None:
    for path, text in pages(run[3]).items():
        low = text.lower()
        assert "<script" not in low and PAYLOAD not in text, path
        assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:)?//", low), path
        assert "newsletter" not in low and "subscribe" not in low and "<footer" not in low, path
        assert not re.search(r"position\s*:\s*(fixed|sticky)", low), path
        assert "<style" not in low, "GX's own style sheets (fixed footer, sticky bars, dark tables) are dropped"
    shown = [t for t in pages(run[3]).values() if PAYLOAD in soup(t).get_text()]
    assert shown, "the hostile body name and file name are shown, as text"


def test_without_facts_pages_still_show_failures_and_say_what_was_not_counted(tmp_path) -> None:
    facts = batch_facts([parse_file(SEED)], None)
    outcome = validate(frame(facts), tmp_path / "run")
    text = soup(outcome.docs_index.read_text(encoding="utf-8")).get_text(" ")
    assert "未统计" in text and "xxgk_table3" in text


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium is not installed")
def test_a_real_browser_sees_the_links_and_statuses_without_scripts(run, tmp_path) -> None:
    index = run[3].docs_index
    profile = tmp_path / "profile"
    dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          f"--user-data-dir={profile}", "--proxy-server=127.0.0.1:9", "--dump-dom",
                          index.as_uri()], capture_output=True, text=True, timeout=60, check=False).stdout
    page = soup(dom)
    assert len([a for a in page.find_all("a", href=True) if "validations/" in a["href"]]) >= len(SUITES)
    assert "不通过" in page.get_text() and "无法判断" in page.get_text()
