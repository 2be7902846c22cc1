"""The harvest end to end against real HTTP on 127.0.0.1: the mock portal (three CMS styles, GBK pages,
paging, attachments, pages about reports, articles whose page and files are one report) and its faults (404, 500 then success, a slow answer, a redirect
loop, a truncated body, a wrong Content-Type, an oversized file, robots.txt). One module fixture serves the
portal and harvests it three times: first, again with nothing changed, and after a report changed."""
from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pytest

from rules.register import load_register
from synth.mock_portal import PortalServer, mock_portal
from xxgk.harvest.client import ClientSettings
from xxgk.harvest.stage import HarvestSettings, run_harvest

MAX_BYTES = 300_000
CLIENT = ClientSettings(user_agent="xxgk-harvest/1.0 (test office)", timeout=0.5, retries=1, backoff=0.02,
                        delay=0.0, per_host=3, max_bytes=MAX_BYTES, total_timeout=5.0)
CHANGED = ("a", "/cgz/ndbg/202401/t20240118_1.html")  # B01's 2023 report, edited on the site before harvest 3


@pytest.fixture(scope="module")
def harvested(tmp_path_factory):
    portal = mock_portal()
    root = tmp_path_factory.mktemp("harvest")
    calls: list[tuple[str, int, int]] = []
    with PortalServer(portal) as server:
        register = root / "register.csv"
        register.write_text(portal.register_csv(server.bases), encoding="utf-8")
        settings = HarvestSettings(root / "warehouse" / "xxgk.duckdb", register, (2022, 2023), CLIENT)
        first = run_harvest(settings, progress=lambda host, done, total: calls.append((host, done, total)))
        raw_after_first = _files(settings.raw_root)
        folder_after_first = _files(settings.harvested_root)
        n_requests = len(server.requests)
        second = run_harvest(settings)
        second_requests = server.requests[n_requests:]
        raw_after_second = _files(settings.raw_root)
        folder_after_second = _files(settings.harvested_root)
        page = portal.sites[CHANGED[0]][CHANGED[1]]
        old_sha = hashlib.sha256(page.body).hexdigest()
        page.body = page.body.replace("统计期限".encode(), "统计时段".encode(), 1)
        page.modified += 86_400
        third = run_harvest(settings)
    yield {"portal": portal, "server": server, "settings": settings, "first": first, "second": second,
           "first_requests": server.requests[:n_requests],
           "third": third, "raw1": raw_after_first, "raw2": raw_after_second, "folder1": folder_after_first,
           "folder2": folder_after_second, "second_requests": second_requests, "progress": calls,
           "old_sha": old_sha, "register": register}


def _files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def _rows(settings, sql: str, params=()) -> list[tuple]:
    con = duckdb.connect(str(settings.db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _first_id(h) -> str:
    return h["first"]["harvest_id"]


def test_the_harvest_finds_exactly_the_expected_reports(harvested):
    h, portal = harvested, harvested["portal"]
    found = _rows(h["settings"], "SELECT body_id, year, url, outcome FROM fetches WHERE harvest_id = ? "
                  "AND outcome IN ('report', 'attachment') AND path IS NOT NULL", [_first_id(h)])
    expected = {(e.body_id, e.year, h["server"].url(e.site, e.path), e.outcome) for e in portal.expected}
    assert set(found) == expected and len(found) == len(expected)
    assert h["first"]["reports_found"] == len(expected) == h["first"]["new"]


def test_each_report_file_is_placed_for_ingest_by_sha256_with_the_bytes_served(harvested):
    h = harvested
    rows = _rows(h["settings"], "SELECT body_id, year, sha256, file_type, path FROM fetches WHERE harvest_id = ? "
                 "AND path IS NOT NULL", [h["third"]["harvest_id"]])  # the latest: B01 2023 was replaced
    assert len(rows) == len(h["portal"].expected) == len([p for p in h["settings"].harvested_root.rglob("*")
                                                          if p.is_file()])
    for body_id, year, sha, file_type, path in rows:
        placed = Path(path)
        assert placed == h["settings"].harvested_root / body_id / str(year) / f"{sha}.{file_type}"
        assert hashlib.sha256(placed.read_bytes()).hexdigest() == sha
        assert (h["settings"].raw_root / sha[:2] / sha).read_bytes() == placed.read_bytes()


def test_publication_dates_are_read_from_the_pages(harvested):
    h = harvested
    dates = {(b, y): d for b, y, d in _rows(h["settings"], "SELECT body_id, year, page_date FROM fetches WHERE "
                                           "harvest_id = ? AND path IS NOT NULL", [_first_id(h)])}
    assert dates == {(e.body_id, e.year): e.page_date for e in h["portal"].expected}
    labels = dict(((b, y), s) for b, y, s in _rows(h["settings"], "SELECT body_id, year, date_source FROM fetches "
                                                  "WHERE harvest_id = ? AND path IS NOT NULL", [_first_id(h)]))
    assert labels[("B07", 2022)] == "发布日期"  # not the 成文日期 printed before it
    assert labels[("B03", 2023)] == "列表"     # a file linked straight from the list: the list's date


def test_every_body_year_gets_the_expected_site_outcome(harvested):
    h = harvested
    statuses = {(b, y): s for b, y, s in _rows(h["settings"], "SELECT body_id, year, status FROM harvest_outcomes")}
    assert statuses == h["portal"].status


@pytest.mark.parametrize(("body_id", "year", "outcome", "words"), [
    ("B03", 2022, "not_found", "HTTP 404"),
    ("B05", 2023, "unreachable", "超时"),
    ("B06", 2023, "unreachable", "重定向循环"),
    ("B07", 2023, "unreachable", "不完整"),
    ("B08", 2023, "skipped", "文件过大"),
    ("B09", 2023, "skipped", "robots.txt"),
    ("B04", 2022, "not_found", "未发现 2022 年度报告"),
    ("B12", 2022, "not_found", "未发现 2022 年度报告"),
])
def test_every_fault_is_recorded_as_evidence(harvested, body_id, year, outcome, words):
    rows = _rows(harvested["settings"], "SELECT outcome, error FROM fetches WHERE harvest_id = ? AND body_id = ? "
                 "AND year = ?", [_first_id(harvested), body_id, year])
    assert any(o == outcome and words in (e or "") for o, e in rows), rows


def test_retries_follow_5xx_and_timeouts_never_4xx(harvested):
    portal = harvested["portal"]
    per_harvest = {path: 0 for path in ("/xhz/nb/", "/jyj/ndbg/gone.html", "/nsz/nb/")}
    for site, path, _ in harvested["first_requests"]:
        if path in per_harvest:
            per_harvest[path] += 1
    assert per_harvest["/xhz/nb/"] == 2            # 500, then the page
    assert per_harvest["/jyj/ndbg/gone.html"] == 1  # 404: asked once
    assert per_harvest["/nsz/nb/"] == 1 + CLIENT.retries
    assert portal.sites["a"]["/xhz/nb/"].fault == "fail_once"


def test_robots_txt_is_honoured_and_the_user_agent_names_the_office(harvested):
    server = harvested["server"]
    assert server.count("c", "/private/fgw/nb/") == 0
    assert all(headers.get("User-Agent") == CLIENT.user_agent for _, _, headers in server.requests)
    assert server.count("c", "/robots.txt") == 3  # once per site and harvest


def test_nothing_oversized_or_truncated_is_archived(harvested):
    sizes = harvested["raw1"].values()
    assert max(sizes) <= MAX_BYTES
    truncated = harvested["portal"].sites["c"]["/wjw/att/2023.docx"].body
    assert hashlib.sha256(truncated).hexdigest()[:2] + "/" + hashlib.sha256(truncated).hexdigest() \
        not in harvested["raw1"]


def test_a_second_harvest_with_nothing_changed_is_conditional_and_stores_nothing(harvested):
    h = harvested
    pages = [(p, headers) for site, p, headers in h["second_requests"] if p != "/robots.txt"]
    archived_pages = [headers for p, headers in pages if "If-None-Match" in headers]
    assert len(archived_pages) == h["second"]["conditional_hits"] >= 20
    assert h["raw2"] == h["raw1"] and h["folder2"] == h["folder1"]
    assert (h["second"]["new"], h["second"]["changed"], h["second"]["unchanged"]) == (0, 0, h["first"]["new"])
    assert h["second"]["outcomes"].get("report", 0) == h["second"]["outcomes"].get("attachment", 0) == 0


def test_a_report_changed_on_the_site_is_recorded_as_republished_and_old_bytes_kept(harvested):
    h = harvested
    rows = _rows(h["settings"], "SELECT outcome, republished, previous_sha256, sha256, path FROM fetches WHERE "
                 "harvest_id = ? AND body_id = 'B01' AND year = 2023", [h["third"]["harvest_id"]])
    assert len(rows) == 1
    outcome, republished, previous, sha, path = rows[0]
    assert (outcome, republished, previous) == ("report", True, h["old_sha"]) and sha != h["old_sha"]
    assert (h["settings"].raw_root / previous[:2] / previous).is_file()  # old bytes kept
    assert [p.name for p in Path(path).parent.iterdir()] == [f"{sha}.html"]  # ingest sees the current one only
    assert (h["third"]["changed"], h["third"]["new"]) == (1, 0)


def test_the_summary_counts_bodies_reports_and_unreachable_sites(harvested):
    s, n_bodies = harvested["first"], len(harvested["portal"].bodies)
    assert (s["bodies"], s["bodies_reached"], s["bodies_unreachable"]) == (n_bodies, n_bodies - 3, 3)
    assert {u["body_id"] for u in s["unreachable_sites"]} == {"B05", "B06", "B09"}
    assert set(s["hosts"]) == {base.removeprefix("http://") for base in harvested["server"].bases.values()}
    stored = _rows(harvested["settings"], "SELECT n_bodies, n_reached, n_reports, n_new FROM harvests "
                   "WHERE harvest_id = ?", [s["harvest_id"]])
    assert stored == [(n_bodies, n_bodies - 3, s["reports_found"], s["new"])]


def test_progress_is_reported_per_host(harvested):
    calls = harvested["progress"]
    finals = {host: (done, total) for host, done, total in calls if done == total}
    hosts = {b.source_urls[0].split("/")[2] for b in load_register(harvested["register"])}
    assert set(finals) == hosts
    assert sum(total for _, total in finals.values()) == len(harvested["portal"].bodies)


def test_page_dates_reach_reg_late_and_site_outcomes_reach_reg_missing(harvested):
    """The harvested files parsed and checked as the pipeline does (bare engine), with the harvest's
    evidence injected where the pipeline injects it: a report published late on its page fails REG-LATE;
    a body-year whose site answered without the report fails REG-MISSING; an unreachable one is 待核实."""
    from parsing import parse_file
    from rules.filings import missing_filings
    from rules.verdicts import missing_verdict
    from xxgk.check import batch_facts, check_described
    from xxgk.harvest.evidence import page_dates, site_outcomes, with_page_dates

    h = harvested
    register = load_register(h["register"])
    paths = sorted(p for p in h["settings"].harvested_root.rglob("*") if p.is_file())
    reports = [parse_file(p) for p in paths]
    facts = batch_facts(reports, register)
    assert with_page_dates(facts, page_dates(h["settings"].db)) >= 10
    result = check_described(reports, facts, None, "bare", register, date(2025, 6, 1), (2022, 2023))
    late = {(f["body_id"], f["year"]): f["published_on_time"] for f in facts}
    assert late[("B04", 2023)] is False and late[("B01", 2023)] is True
    assert {key for key, on_time in late.items() if on_time is False} == h["portal"].late  # B15: an attachment,
    assert late[("B15", 2022)] is None  # judged by its page's date; last year's report on that page: no date
    missing = {(m.body_id, m.year): m for m in missing_filings(register, facts, {2022, 2023}, date(2025, 6, 1),
                                                               harvest=site_outcomes(h["settings"].db))}
    expected_missing = {k for k, v in h["portal"].status.items() if v != "found"}
    assert set(missing) == expected_missing
    for key, finding in missing.items():
        want = "fail" if h["portal"].status[key] == "not_found" else "not_assessable"
        assert finding.status == want, (key, finding.message)
    assert missing_verdict(missing[("B05", 2023)]).verdict == "needs_review"
    assert missing_verdict(missing[("B03", 2022)]).verdict == "non_compliant"
    assert "网站未能访问" in missing[("B05", 2023)].message and "超时" in missing[("B05", 2023)].message
    assert len(result.checked) == len(paths)


# ---------------------------------------------------------------- one report per article


def _sha(portal, site: str, path: str) -> str:
    return hashlib.sha256(portal.sites[site][path].body).hexdigest()


def test_an_article_and_its_files_are_one_report_judged_once(harvested):
    """Per body-year one file is placed for ingest (the judged report), whatever the article offered."""
    h = harvested
    placed = _rows(h["settings"], "SELECT body_id, year, count(*) FROM fetches WHERE harvest_id = ? AND path IS NOT "
                   "NULL GROUP BY ALL", [_first_id(h)])
    assert {(b, y) for b, y, _ in placed} == {(e.body_id, e.year) for e in h["portal"].expected}
    assert all(n == 1 for _, _, n in placed), placed
    assert h["first"]["reports_found"] == len(h["portal"].expected)
    assert h["first"]["linked_files"] == len(h["portal"].linked)
    from xxgk.harvest.command import summary_lines

    text = "\n".join(summary_lines(h["first"]))
    assert f"找到年度报告 {len(h['portal'].expected)} 份" in text and f"另有 {len(h['portal'].linked)} 个文件" in text


def test_the_page_of_an_attached_report_is_its_evidence(harvested):
    """A report that is an attachment: its row names the article page (URL, bytes, title) and the page's
    publication date; the view ``report_files`` lists the page beside it. A report of another year found
    on the article keeps no page date (the page dates the article's own report)."""
    h, portal, server = harvested, harvested["portal"], harvested["server"]
    for (body_id, year), (site, page) in portal.pages.items():
        expected = next(e for e in portal.expected if (e.body_id, e.year) == (body_id, year))
        report = _sha(portal, expected.site, expected.path)
        [(parent, parent_sha, title, page_date)] = _rows(
            h["settings"], "SELECT parent_url, parent_sha256, page_title, page_date FROM fetches WHERE harvest_id = ? "
            "AND sha256 = ? AND role = 'report'", [_first_id(h), report])
        assert (parent, parent_sha) == (server.url(site, page), _sha(portal, site, page))
        name = next(b["name"] for b in portal.bodies if b["body_id"] == body_id)
        assert title.startswith(name) and title.endswith("年度报告") and page_date == expected.page_date
        parts = dict(_rows(h["settings"], "SELECT part, url FROM report_files WHERE report_id = ?", [report]))
        assert parts["page"] == server.url(site, page) and parts["report"] == server.url(expected.site, expected.path)


def test_files_beside_a_report_are_kept_and_linked_never_judged(harvested):
    """A duplicate (the same report, read less completely) or an annex (not a report) is archived by sha256,
    linked to the judged file, and neither placed for ingest nor a report source."""
    h, portal = harvested, harvested["portal"]
    sources = {r[0] for r in _rows(h["settings"], "SELECT report_id FROM report_sources")}
    for linked in portal.linked:
        sha = _sha(portal, linked.site, linked.path)
        [(role, report_sha, path, choice)] = _rows(
            h["settings"], "SELECT role, report_sha256, path, choice FROM fetches WHERE harvest_id = ? AND sha256 = ?",
            [_first_id(h), sha])
        assert (role, report_sha, path) == (linked.role, _sha(portal, linked.site, linked.report), None)
        assert "不另行检查" in choice and sha not in sources
        assert (h["settings"].raw_root / sha[:2] / sha).is_file()
        assert not list(h["settings"].harvested_root.rglob(f"{sha}.*"))
        parts = _rows(h["settings"], "SELECT part FROM report_files WHERE report_id = ? AND sha256 = ?",
                      [report_sha, sha])
        assert parts == [(linked.role,)]


def test_the_choice_rests_on_what_the_parser_read_and_says_so(harvested):
    """B14 2023: the page prints table 3 as a picture, the attachment reads more cells — it is the report;
    B14 2022: page and attachment read alike — the page; B13: the stub page names the six parts but reads no
    cell — the PDF. Each choice quotes the counts."""
    h = harvested
    choices = dict(((b, y), c) for b, y, c in _rows(
        h["settings"], "SELECT body_id, year, choice FROM fetches WHERE harvest_id = ? AND role = 'report' "
        "AND body_id IN ('B13', 'B14')", [_first_id(h)]))
    assert choices[("B14", 2023)].startswith("以附件（docx）为准") and "数值 25 格" in choices[("B14", 2023)]
    assert choices[("B14", 2022)].startswith("以网页为准")
    assert choices[("B13", 2023)].startswith("以附件（pdf）为准") and "网页统计表读出数值 0 格" in choices[("B13", 2023)]
    readings = dict(_rows(h["settings"], "SELECT file_type, count(*) FROM file_readings GROUP BY ALL"))
    assert readings.get("pdf") == 1 and readings.get("html") == 3
    cells = dict(_rows(h["settings"], "SELECT part, cells_read FROM report_files WHERE body_id = 'B14' AND year = 2023"))
    assert cells == {"page": 25, "report": 200}


def test_a_second_harvest_reads_no_file_again(harvested):
    h = harvested
    assert h["first"]["files_read"] >= 8 and h["second"]["files_read"] == 0 == h["third"]["files_read"]
    assert h["second"]["reports_found"] == h["first"]["reports_found"]
    assert h["second"]["linked_files"] == h["first"]["linked_files"]
