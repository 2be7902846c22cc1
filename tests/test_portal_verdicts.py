"""The site tells three outcomes per report (不合规 / 待核实 / 合规), bounds 未报送 by the years the run checked,
groups bodies by the register's parent chain, and always links the Data Docs that cover the findings
(issue 14, items 2–5 and 8 on the portal's side).

A small warehouse: a city government with a zone, a county government with two townships (one never
files), a township without a parent whose only report is the seed report (2020, partly unreadable: every
table-3 rule not assessable), checked for 2021 only; a second run that validated nothing (no Data Docs).
"""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

import portal
from parsing.api import parse_bytes
from portal.counties import CITY_KEY, county_keys
from rules.register import Body
from rules.verdicts import CONTEXT_RULES
from test_portal import _register_frame, _report
from warehouse import db
from warehouse.rows import cell_rows, finding_rows, report_rows
from xxgk.check import check_reports

SEED = Path(__file__).resolve().parents[1] / "examples" / "2020_xiangcheng_zhen.txt"
REGISTER = [Body("city", "安平市人民政府", "city_gov"), Body("zone", "安平开发区管委会", "zone", "city"),
            Body("c1", "分宜区人民政府", "county_gov", "city"), Body("t1", "东岭镇人民政府", "township", "c1"),
            Body("t2", "西岭镇人民政府", "township", "c1"), Body("x1", "相城镇人民政府", "township", None)]
FILED = {"city": False, "zone": True, "c1": False, "t1": False}      # body_id → an injected error in 2021
RUN, EMPTY_RUN = "20260301T020000000000Z", "20260302T020000000000Z"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("verdicts")
    names = {b.body_id: b.name for b in REGISTER}
    reports = [_report(names[bid], 2021, 7 + i, broken, "txt") for i, (bid, broken) in enumerate(FILED.items())]
    body_ids = {r.report_id: bid for r, bid in zip(reports, FILED)}
    seed = parse_bytes(SEED.read_bytes(), SEED.name)
    reports.append(seed)
    body_ids[seed.report_id] = "x1"
    reports.append(parse_bytes(b"\x00\x01\x02 not a report", "broken.txt"))   # parse failed
    result = check_reports(reports, None, "bare", REGISTER, years=[2021])
    findings = [f for c in result.checked for f in c.findings] + list(result.missing)
    now = datetime(2026, 3, 1)
    rep = report_rows(reports, body_ids, {}, {}, now)
    fnd = finding_rows(RUN, findings, body_ids)
    docs = root / "docs" / RUN / "index.html"
    docs.parent.mkdir(parents=True)
    docs.write_text("<html><body>docs</body></html>", encoding="utf-8")
    path = root / "w.duckdb"
    con = db.connect(path)
    db.upsert_bodies(con, _register_frame(REGISTER))
    files = _files(reports)
    db.load_run(con, db.RunRecord(RUN, now, now, None, len(reports), len(reports), 0, str(docs), "v", files, (2021,)),
                rep, cell_rows(reports), fnd)
    later = datetime(2026, 3, 2)   # a run that validated nothing new: no Data Docs of its own
    db.load_run(con, db.RunRecord(EMPTY_RUN, later, later, None, len(reports), 0, 0, None, "v",
                                  files.assign(is_new=False), (2021,)),
                rep.iloc[:0], cell_rows([]), fnd.assign(run_id=EMPTY_RUN))
    con.close()
    built = portal.build_all(path, root / "out")
    return {"built": built, "findings": fnd, "seed": seed.report_id, "root": root}


def _files(reports: list) -> pd.DataFrame:
    """The run's files as ``run_files`` takes them: each report's file, its outcome read from ``reports``."""
    rows = [(r.file, r.report_id, 100, None, None, True) for r in reports]
    frame = pd.DataFrame(rows, columns=["path", "sha256", "size_bytes", "outcome", "reason", "is_new"])
    return frame.astype({"path": "string", "sha256": "string", "size_bytes": "Int64", "outcome": "string",
                         "reason": "string", "is_new": "boolean"})


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


def _index(site: dict) -> BeautifulSoup:
    return _soup(site["built"]["site"])


def _body_page(site: dict, name: str) -> BeautifulSoup:
    folder = site["built"]["site"].parent / "bodies"
    return next(s for s in map(_soup, folder.glob("*.html")) if name in s.h1.get_text())


def test_seed_report_is_pending_with_reasons_never_compliant(site):
    index = _index(site)
    pending = {tr.find("td").get_text(): tr for tr in index.select("#pending table tbody tr")}
    fnd = site["findings"]
    errors = fnd[fnd.severity == "error"]
    assessable = errors[~errors.rule_id.isin(CONTEXT_RULES)]  # REG-LATE without a date is a caveat, not 待核实
    unsure = set(assessable[assessable.status == "not_assessable"].report_id) - set(errors[errors.status == "fail"].report_id)
    assert len(pending) == len(unsure), "every report with an error rule not assessed (and none failed)"
    reasons = pending["相城镇人民政府"].get_text(" ")
    assert "无法判断" in reasons and "T3-BALANCE" in reasons
    assert not re.search(r"(?<![A-Za-z])t3\.[a-z_0-9]+\.[a-z_]+", reasons), "cells by printed name, not by id"
    page = _body_page(site, "相城镇")
    head = page.select_one("#y-2020 h2").get_text()      # (the body is 不合规 for 2021: not filed)
    assert "待核实" in head and "合规" not in head and "无问题" not in page.get_text()
    assert page.select_one(".badge.ok") is None, "no green badge for a report nobody could fully check"
    assert "不能判为合规" in page.get_text()


def test_year_overview_counts_reports_by_verdict(site):
    rows = {tr.find("td").get_text(): [td.get_text() for td in tr.find_all("td")]
            for tr in _index(site).select("#years table tbody tr")}
    fnd = site["findings"]
    errors = fnd[(fnd.severity == "error") & (fnd.rule_id != "REG-MISSING") & (fnd.year == 2021)]
    bad = set(errors[errors.status == "fail"].report_id)
    assessable = errors[~errors.rule_id.isin(CONTEXT_RULES)]
    unsure = set(assessable[assessable.status == "not_assessable"].report_id) - bad
    filed = set(fnd[(fnd.year == 2021) & (fnd.rule_id != "REG-MISSING")].report_id)
    assert rows["2021"][1:] == [str(len(filed)), "2", str(len(filed - bad - unsure)), str(len(unsure)),
                                str(len(bad))]
    assert rows["2020"][2].startswith("—"), "2020 was not checked for missing filings: not counted as 0 or 未报送"
    assert rows["2020"][3:] == ["0", "1", "0"], "the seed report counts as 待核实, not 合规"


def test_years_outside_the_run_are_never_shown_as_not_filed(site):
    index = _index(site)
    missing = [(tr.find_all("td")[0].get_text(), tr.find_all("td")[2].get_text())
               for tr in index.select("#missing table tbody tr")]
    assert sorted(missing) == [("相城镇人民政府", "2021"), ("西岭镇人民政府", "2021")], "2021 only: the run's year"
    for name in ("东岭镇", "分宜区", "安平市"):
        page = _body_page(site, name)
        assert "2020 年度" not in page.get_text(), name
    table = next(t for t in index.select("#bodies table") if "东岭镇人民政府" in t.get_text())
    headers = [th.get_text() for th in table.select("thead th")]
    row = next(tr for tr in table.select("tbody tr") if "东岭镇人民政府" in tr.get_text())
    assert row.find_all("td")[headers.index("2020年")].get_text() == "—"


def test_counties_follow_the_parent_chain(site):
    register = [{"body_id": b.body_id, "name": b.name, "kind": b.kind, "parent_id": b.parent_id} for b in REGISTER]
    keys = county_keys(register)
    assert keys == {"city": CITY_KEY, "zone": CITY_KEY, "c1": "c1", "t1": "c1", "t2": "c1", "x1": None}
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in _index(site).select("#counties table tbody tr")]
    ranked = [r[1] for r in rows if r[0] != "不排名"]
    assert ranked == ["分宜区人民政府"], "only counties are ranked"
    assert {r[1] for r in rows if r[0] == "不排名"} == {"市本级", "（未归属区县）"}
    county = next(r for r in rows if r[1] == "分宜区人民政府")
    assert county[-2] == "3", "the county government counts in its own county"
    book = load_workbook(site["built"]["audit_by_county"])
    assert book.sheetnames[:3] == ["分宜区人民政府", "市本级", "（未归属区县）"]
    assert "待核实" in book.sheetnames
    assert any("相城镇人民政府" in str(r) for r in book["待核实"].iter_rows(values_only=True))


def test_unknown_is_never_drawn_as_zero_or_none(site):
    for page in (site["built"]["site"].parent).rglob("*.html"):
        soup = _soup(page)
        assert not [t for t in soup.select("svg text") if t.get_text() == "无"], page
        assert "无问题" not in soup.get_text(), page
    chart = _index(site).select_one("#years svg")
    labels = [t.get_text() for t in chart.select("text")]
    assert "未知" in labels, "2020's missing filings are unknown: no bar, written 未知"


def test_data_docs_of_the_run_that_validated_last(site):
    index = _index(site)
    link = next(a for a in index.find_all("a") if "Data Docs" in a.get_text())
    assert RUN in link.get_text(), "says whose Data Docs they are"
    target = (site["built"]["site"].parent / link["href"]).resolve()
    assert target == (site["root"] / "docs" / RUN / "index.html").resolve()


def test_files_not_read_in_full_are_listed(site):
    rows = _index(site).select("#files table tbody tr")
    assert any("2020_xiangcheng_zhen.txt" in tr.get_text() for tr in rows)
    broken = next(tr for tr in rows if "broken.txt" in tr.get_text())
    assert "无法读取" in broken.get_text() and "二进制" in broken.get_text()
    pending = next(tr for tr in _index(site).select("#pending table tbody tr") if "broken.txt" in tr.get_text())
    assert "文件无法读取" in pending.get_text()
    page = _body_page(site, "未识别机关")
    assert page.select_one(".badge.ok") is None and "待核实" in page.h1.get_text()
    assert all(pd.notna(tr.find_all("td")[2].get_text()) for tr in rows)
