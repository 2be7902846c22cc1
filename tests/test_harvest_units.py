"""The harvest's parts: the client against a small 127.0.0.1 server, page decoding, titles and years, list
and article pages, REG-MISSING and REG-LATE with harvest evidence, the command and the flow's task."""
from __future__ import annotations

import argparse
import json
from datetime import date

import pytest

from rules.filings import SiteOutcome, missing_filings
from rules.register import Body
from synth.mock_portal import MockPortal, PortalServer, Resource
from xxgk.harvest.client import ClientSettings, HarvestClient, Validators
from xxgk.harvest.decode import decode_page, sniff
from xxgk.harvest.pages import read_page
from xxgk.harvest.years import candidate, is_report_title, title_year

FAST = ClientSettings(user_agent="xxgk-test/1.0", timeout=0.5, retries=2, backoff=0.01, delay=0.0, max_bytes=10_000)


def _site(**pages: Resource) -> MockPortal:
    portal = MockPortal()
    for path, resource in pages.items():
        portal.add("s", "/" + path.replace("__", "/").replace("_dot_", "."), resource)
    return portal


# ---------------------------------------------------------------- the client


def test_client_retries_5xx_with_backoff_but_never_4xx():
    portal = _site(ok=Resource(b"<html>ok</html>", fault="fail_once"), always=Resource(b"x", fault="always_500"))
    with PortalServer(portal) as server, HarvestClient(FAST) as client:
        first = client.get(server.url("s", "/ok"))
        missing = client.get(server.url("s", "/nothing"))
        broken = client.get(server.url("s", "/always"))
    assert (first.kind, first.status, first.attempts, first.body) == ("ok", 200, 2, b"<html>ok</html>")
    assert (missing.kind, missing.status, server.count("s", "/nothing")) == ("http_error", 404, 1)
    assert (broken.kind, broken.status, server.count("s", "/always")) == ("http_error", 500, 1 + FAST.retries)


def test_client_sends_validators_and_a_304_costs_no_body():
    portal = _site(page=Resource(b"<html>v1</html>"))
    with PortalServer(portal) as server, HarvestClient(FAST) as client:
        first = client.get(server.url("s", "/page"))
        again = client.get(server.url("s", "/page"), Validators(first.etag, first.last_modified))
        headers = server.requests[-1][2]
    assert again.kind == "not_modified" and again.body is None and again.status == 304
    assert headers["If-None-Match"] == first.etag and headers["If-Modified-Since"] == first.last_modified


def test_client_limits_size_redirects_and_honours_robots():
    portal = _site(big=Resource(b"x" * 50_000, fault="no_length"), declared=Resource(b"y" * 50_000),
                   hop1=Resource(status=302, fault="redirect", location="/hop2"),
                   hop2=Resource(status=302, fault="redirect", location="/hop1"),
                   moved=Resource(status=301, fault="redirect", location="/dest"), dest=Resource(b"<p>here</p>"),
                   robots_dot_txt=Resource(b"User-agent: xxgk-test\nDisallow: /secret\n", "text/plain"),
                   secret=Resource(b"no"))
    with PortalServer(portal) as server, HarvestClient(FAST) as client:
        big, declared = client.get(server.url("s", "/big")), client.get(server.url("s", "/declared"))
        loop, moved = client.get(server.url("s", "/hop1")), client.get(server.url("s", "/moved"))
        secret = client.get(server.url("s", "/secret"))
    assert big.kind == declared.kind == "failed" and "文件过大" in big.error and "文件过大" in declared.error
    assert loop.kind == "failed" and "重定向循环" in loop.error
    assert (moved.kind, moved.final_url, moved.body) == ("ok", server.url("s", "/dest"), b"<p>here</p>")
    assert secret.kind == "robots" and server.count("s", "/secret") == 0


def test_client_gives_up_on_a_slow_server_after_its_retries():
    portal = _site(slow=Resource(b"late", fault="slow"))
    portal.slow_seconds = 1.0
    with PortalServer(portal) as server, HarvestClient(ClientSettings(timeout=0.3, retries=1, backoff=0.01,
                                                                      delay=0.0)) as client:
        slow = client.get(server.url("s", "/slow"))
    assert slow.kind == "failed" and "超时" in slow.error and slow.attempts == 2


def test_unreachable_robots_txt_means_no_crawling():
    portal = _site(robots_dot_txt=Resource(b"down", fault="always_500"), page=Resource(b"<p>x</p>"))
    with PortalServer(portal) as server, HarvestClient(FAST) as client:
        page = client.get(server.url("s", "/page"))
    assert page.kind == "robots" and "robots.txt 暂时无法读取" in page.error and server.count("s", "/page") == 0


def test_host_delay_spaces_requests():
    import time

    portal = _site(a=Resource(b"<p>a</p>"))
    with PortalServer(portal) as server, HarvestClient(ClientSettings(delay=0.2, obey_robots=False)) as client:
        started = time.monotonic()
        for _ in range(3):
            client.get(server.url("s", "/a"))
        elapsed = time.monotonic() - started
    assert elapsed >= 0.4


# ---------------------------------------------------------------- decoding and pages


def test_gb_pages_decode_whatever_the_declarations_say():
    text = "<html><head><meta charset='gb2312'></head><body>王镕镇（GBK 字）2023年政府信息公开工作年度报告</body></html>"
    assert decode_page(text.encode("gbk"))[0] == text                        # GB2312 declared, GBK characters
    assert decode_page(text.encode("gbk"), "text/html; charset=utf-8")[0] == text  # the header lies
    assert decode_page(text.encode("utf-8"))[0] == text                      # re-saved as UTF-8 under a GB meta
    bare = "<html><body>" + "东湖街道办事处政府信息公开工作年度报告，主动公开情况。" * 5 + "</body></html>"
    assert decode_page(bare.encode("gb18030"))[0] == bare                     # nothing declared: detected


def test_files_are_told_by_their_bytes_not_their_headers():
    assert sniff(b"%PDF-1.7 ...", "text/html") == "pdf"
    assert sniff(b"PK\x03\x04....word/document.xml", "application/octet-stream") == "docx"
    assert sniff(b"\xd0\xcf\x11\xe0rest", "application/octet-stream", "x/report.wps") == "wps"
    assert sniff(b"<!DOCTYPE html><html>", "application/pdf") == "html"


@pytest.mark.parametrize(("title", "is_report", "year"), [
    ("城关镇人民政府2023年政府信息公开工作年度报告", True, 2023),
    ("二〇二二年度政府信息公开工作年度报告", True, 2022),
    ("二○二一年政府信息公开年报", True, 2021),
    ("２０２０年度政府信息公开工作报告", True, 2020),
    ("政府信息公开工作年度报告（2019年）", True, 2019),
    ("某县机构编制委员会办公室2023年政府信息公开工作年度报告", True, 2023),
    ("2024年政务公开工作要点", False, 2024),
    ("《2023年政府信息公开工作年度报告》解读", False, 2023),
    ("2023年度政府信息公开工作第三方评估报告", False, 2023),
    ("一图读懂2023年政府信息公开工作年度报告", False, 2023),
    ("关于做好2023年政府信息公开工作年度报告编制发布工作的通知", False, 2023),
])
def test_report_titles_and_their_years(title, is_report, year):
    assert (is_report_title(title), title_year(title)) == (is_report, year)


def test_a_title_without_a_year_takes_the_year_before_its_date():
    found = candidate("http://x/a.html", "政府信息公开工作年度报告", date(2024, 2, 1))
    assert (found.year, found.year_from) == (2023, "date")


def test_list_pages_give_full_titles_dates_and_further_pages():
    page = """<html><head><meta charset="utf-8"></head><body><ul>
      <li><a href="a/1.html" title="城关镇人民政府2023年政府信息公开工作年度报告">城关镇人民政府2023年政府信…</a>
          <span>2024-01-18</span></li></ul>
      <table><tr><td><a href="/b/2.html">2022年度报告</a></td><td>[2023年02月10日]</td></tr></table>
      <a href="index_1.html">下一页</a><script>createPageHTML(3, 0, "index", "shtml");</script></body></html>"""
    read = read_page("http://h/nb/index.html", page.encode())
    links = {link.url: link for link in read.links}
    assert links["http://h/nb/a/1.html"].text == "城关镇人民政府2023年政府信息公开工作年度报告"
    assert links["http://h/nb/a/1.html"].date == date(2024, 1, 18)
    assert links["http://h/b/2.html"].date == date(2023, 2, 10)
    assert read.page_links == ["http://h/nb/index_1.html", "http://h/nb/index_1.shtml", "http://h/nb/index_2.shtml"]


def test_article_pages_give_the_publication_date_and_attachments():
    page = """<html><head><meta name="PubDate" content="2024-01-05 10:00"></head><body>
      <h1>某局2023年政府信息公开工作年度报告</h1><p>成文日期：2024-01-02　发布日期：2024-01-06</p>
      <p>详见附件：<a href="/att/report.pdf">某局2023年政府信息公开工作年度报告.pdf</a></p>
      <iframe src="/viewer/r.docx"></iframe></body></html>"""
    read = read_page("http://h/art/1.html", page.encode())
    assert (read.page_date, read.date_label) == (date(2024, 1, 6), "发布日期")
    assert [a.url for a in read.attachments] == ["http://h/att/report.pdf", "http://h/viewer/r.docx"]
    assert read.title == "某局2023年政府信息公开工作年度报告" and not read.holds_report


# ---------------------------------------------------------------- REG-MISSING and REG-LATE with the evidence


BODY = Body("T1", "城关镇人民政府", "township")


@pytest.mark.parametrize(("site", "status", "words"), [
    (None, "fail", "未发现 2023 年度报告"),
    (SiteOutcome("not_found", "http://h/nb/"), "fail", "已检索其网站 http://h/nb/"),
    (SiteOutcome("unreachable", "http://h/nb/：超时"), "not_assessable", "网站未能访问"),
    (SiteOutcome("found", "http://h/a.pdf"), "not_assessable", "未能从中读出"),
])
def test_reg_missing_distinguishes_absent_from_unreachable(site, status, words):
    harvest = {("T1", 2023): site} if site else None
    [finding] = missing_filings([BODY], [], {2023}, date(2024, 6, 1), harvest=harvest)
    assert finding.status == status and words in finding.message


def test_reg_missing_before_the_deadline_is_never_a_fail():
    [finding] = missing_filings([BODY], [], {2023}, date(2024, 2, 1), harvest={("T1", 2023): SiteOutcome("not_found")})
    assert finding.status == "not_assessable"


def test_site_outcome_refuses_an_unknown_status():
    with pytest.raises(ValueError):
        SiteOutcome("maybe")


def test_page_date_judges_reg_late_only_when_the_document_prints_none():
    from xxgk.harvest.evidence import with_page_dates

    facts = [{"report_id": "a", "published_on": None, "body_kind": "department", "year": 2023},
             {"report_id": "b", "published_on": date(2024, 1, 10), "body_kind": "department", "year": 2023,
              "published_on_time": True},
             {"report_id": "c", "published_on": None, "body_kind": "township", "year": 2023}]
    given = with_page_dates(facts, {"a": date(2024, 2, 20), "b": date(2024, 5, 1), "c": date(2024, 3, 31)})
    assert given == 2
    assert facts[0]["published_on_time"] is False and "2024-02-20" in facts[0]["published_on_time__detail"]
    assert facts[1]["published_on_time"] is True and facts[1]["published_on"] == date(2024, 1, 10)
    assert facts[2]["published_on_time"] is True and facts[2]["published_on_source"] == "page"


# ---------------------------------------------------------------- the command and the flow's task


def _args(register, db, out, **extra) -> argparse.Namespace:
    from xxgk.harvest.command import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    argv = ["--register", str(register), "--db", str(db), "--out", str(out), "--plain", "--delay", "0",
            "--timeout", "0.5", "--retries", "0"] + [f"--{k.replace('_', '-')}={v}" for k, v in extra.items()]
    return parser.parse_args(argv)


def _register(tmp_path, server) -> object:
    register = tmp_path / "bodies.csv"
    register.write_text("body_id,name,kind,parent_id,aliases,source_url\n"
                        f"T1,城关镇人民政府,township,,,{server.url('s', '/nb/')}\n"
                        f"T2,东湖镇人民政府,township,,,http://127.0.0.1:9/nb/\n", encoding="utf-8")
    return register


def _portal() -> MockPortal:
    article = ("<html><head><meta charset='utf-8'></head><body><h1>城关镇人民政府2023年政府信息公开工作年度报告</h1>"
               "<p>发布时间：2024-02-01</p><p>见附件</p><a href='/f/r.docx'>年度报告.docx</a></body></html>")
    listing = ("<html><head><meta charset='utf-8'></head><body><ul><li><a href='/nb/1.html'>"
               "城关镇人民政府2023年政府信息公开工作年度报告</a> 2024-02-01</li></ul></body></html>")
    return _site(nb__=Resource(listing.encode()), nb__1_dot_html=Resource(article.encode()),
                 f__r_dot_docx=Resource(b"PK\x03\x04 word/ fake", "application/octet-stream"))


def test_the_command_prints_a_summary_writes_it_and_exits_1_when_a_site_is_unreachable(tmp_path, capsys):
    from xxgk.harvest.command import main

    with PortalServer(_portal()) as server:
        code = main(_args(_register(tmp_path, server), tmp_path / "w" / "x.duckdb", tmp_path / "out", years="2023"))
    printed = capsys.readouterr().out
    summary = json.loads((tmp_path / "out" / "harvest_summary.json").read_text(encoding="utf-8"))
    assert code == 1 and summary["reports_found"] == 1 and summary["bodies_unreachable"] == 1
    assert "找到年度报告 1 份" in printed and "东湖镇人民政府（T2）" in printed
    assert (tmp_path / "w" / "harvested" / "T1" / "2023").is_dir()


def test_the_command_refuses_a_bad_register_with_exit_2(tmp_path, capsys):
    from xxgk.harvest.command import main

    bad = tmp_path / "bad.csv"
    bad.write_text("body_id,name,kind,parent_id,aliases,source_url\nT1,城关镇,township,,,ftp://x/y\n", encoding="utf-8")
    assert main(_args(bad, tmp_path / "x.duckdb", tmp_path / "out")) == 2
    assert "source_url" in capsys.readouterr().err


def test_the_flow_task_harvests_a_chunk_in_the_shared_harvest(tmp_path):
    from flows.harvest import _HARVESTS, harvest_chunk
    from rules.register import load_register
    from xxgk.harvest import stage

    with PortalServer(_portal()) as server:
        register = _register(tmp_path, server)
        settings = stage.HarvestSettings(tmp_path / "x.duckdb", register, (2023,),
                                         ClientSettings(timeout=0.5, retries=0, delay=0.0))
        current = stage.begin(settings, load_register(register))
        _HARVESTS[current.harvest_id] = current
        try:
            placed = sum(harvest_chunk.fn(current.harvest_id, chunk) for chunk in stage.chunks(current.bodies, 1))
        finally:
            _HARVESTS.pop(current.harvest_id)
        summary = stage.finish(current)
    assert placed == 1 and summary["reports_found"] == 1 and summary["bodies"] == 2


def test_list_pages_in_other_markups_still_give_titles_dates_pages_and_files():
    page = """<html><head><meta http-equiv="refresh" content="0; url=/new/nb/"></head><body>
      <a href="/a/1.html"><span class="t">某局2023年政府信息公开工作年度报告</span><span class="d">2024-01-18</span></a>
      <a href="/pdfjs/viewer.html?file=%2Fatt%2F2022.pdf">某局2022年政府信息公开工作年度报告</a>
      <a href="/down/getfile?fileid=12">附件下载</a><a href="/nb/p2.html">下一页 &gt;</a><a href="/nb/p3.html">[3]</a>
      </body></html>"""
    read = read_page("http://h/nb/", page.encode())
    links = {link.url: link for link in read.links}
    assert (links["http://h/a/1.html"].text, links["http://h/a/1.html"].date) == \
        ("某局2023年政府信息公开工作年度报告", date(2024, 1, 18))
    assert "http://h/att/2022.pdf" in links
    assert {a.url for a in read.attachments} == {"http://h/att/2022.pdf", "http://h/down/getfile?fileid=12"}
    assert read.page_links == ["http://h/nb/p2.html", "http://h/nb/p3.html"]
    assert read.refresh == "http://h/new/nb/"


def test_page_dates_can_be_applied_again_once_the_kind_is_known():
    from xxgk.harvest.evidence import with_page_dates

    facts = [{"report_id": "a", "published_on": None, "body_kind": None, "year": 2023}]
    with_page_dates(facts, {"a": date(2024, 2, 20)})
    assert facts[0]["published_on_time"] is None  # kind unknown: no deadline yet
    facts[0]["body_kind"] = "department"          # the register says so
    assert with_page_dates(facts, {"a": date(2024, 2, 20)}) == 1 and facts[0]["published_on_time"] is False


def test_run_evidence_is_empty_without_harvests_and_signed_with_them(tmp_path):
    from xxgk.harvest.evidence import HarvestEvidence, read

    empty = read(tmp_path / "none.duckdb")
    assert (empty.outcomes, empty.page_dates, empty.signature) == ({}, {}, "")
    one = HarvestEvidence({("T1", 2023): SiteOutcome("unreachable")}, {})
    other = HarvestEvidence({("T1", 2023): SiteOutcome("not_found")}, {})
    assert one.signature.startswith("harvest:") and one.signature != other.signature


def test_a_site_that_does_not_answer_is_unreachable_not_forbidden():
    with HarvestClient(ClientSettings(timeout=0.3, retries=0, delay=0.0)) as client:
        down = client.get("http://127.0.0.1:9/nb/")  # the discard port: nothing listens
    assert down.kind == "failed" and down.error.startswith("网站无法访问")


def test_the_command_waits_for_a_run_holding_the_warehouse_then_exits_2(tmp_path, capsys):
    from xxgk.harvest.command import main
    from xxgk.settings import RunSettings

    with PortalServer(_portal()) as server:
        register, db = _register(tmp_path, server), tmp_path / "w" / "x.duckdb"
        with RunSettings(inputs=(), db=db, lock_wait=0).run_lock():
            code = main(_args(register, db, tmp_path / "out", wait="0"))
    assert code == 2 and "另一次运行" in capsys.readouterr().err and server.requests == []


# ---------------------------------------------------------------- one report per article (no HTTP, no parser)


def _file(url: str, outcome: str, file_type: str, year: int | None = 2023, data: bytes | None = b"x"):  # noqa: ANN202
    from xxgk.harvest.client import Fetched
    from xxgk.harvest.crawl import Found, Got

    fetched = Fetched(url, url, "ok" if data is not None else "failed", 200 if data is not None else None, data)
    got = Got(fetched, data, (url.encode().hex() * 4)[:64] if data is not None else None)
    return Found(year, got, outcome, file_type, url, date(2024, 1, 20), "发布日期")


def _reader(readings: dict):  # noqa: ANN202 - a stand-in for Context.read: the URL's reading, and a tally
    from xxgk.harvest.article import Reading

    asked: list[str] = []

    def read(found) -> Reading:  # noqa: ANN001
        asked.append(found.got.fetched.url)
        return Reading(*readings[found.got.fetched.url])
    return read, asked


def test_one_file_is_the_report_without_reading_it():
    from xxgk.harvest.article import judge

    stub_and_file = [_file("http://h/a.docx", "attachment", "docx"), _file("http://h/b.pdf", "attachment", "", data=None)]
    read, asked = _reader({})
    kept = judge(stub_and_file, 2023, read)
    assert asked == [] and kept == stub_and_file and kept[0].role == "report" and "附件即报告" in kept[0].choice


def test_when_no_file_reads_as_a_report_an_attachment_is_judged_not_the_page():
    """A stub page (read: no cells) and a .wps the converter could not open: the .wps is the report (it
    will be 待核实 with the reader's reason), the page stays its evidence, the 附表 archive is linked."""
    from xxgk.harvest.article import judge

    page, wps, archive = (_file("http://h/p.html", "report", "html"), _file("http://h/r.wps", "attachment", "wps"),
                          _file("http://h/t.zip", "attachment", "zip"))
    read, asked = _reader({"http://h/p.html": (2023, 0, 1, "failed"), "http://h/r.wps": (None, 0, 0, "failed"),
                           "http://h/t.zip": (None, 0, 0, "failed")})
    kept = judge([page, wps, archive], 2023, read)
    assert len(asked) == 3 and kept == [wps, archive]
    assert (wps.role, archive.role, archive.report) == ("report", "annex", wps) and "人工核对" in wps.choice


def test_a_report_of_another_year_on_the_article_stays_but_yields_to_that_years_own_article():
    from xxgk.harvest.article import judge, one_per_year

    this_year, last_year = _file("http://h/2023.pdf", "attachment", "pdf"), _file("http://h/2022.pdf", "attachment", "pdf")
    read, _ = _reader({"http://h/2023.pdf": (2023, 180, 6, "ok"), "http://h/2022.pdf": (2022, 200, 6, "ok")})
    judge([this_year, last_year], 2023, read)
    assert (this_year.role, last_year.role, last_year.year, last_year.page_date) == ("report", "report", 2022, None)
    own = _file("http://h/nb2022.html", "report", "html", year=2022)  # the 2022 article found on the list
    one_per_year([this_year, last_year, own])
    assert (own.role, last_year.role, last_year.report) == ("report", "duplicate", own)


def test_migration_011_keeps_the_evidence_of_earlier_harvests():
    """A warehouse harvested before 011: its rows (no role) still count as reports, found, and dated."""
    import duckdb

    from warehouse import db

    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE schema_migrations (version VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
    for script in sorted(db.MIGRATIONS.glob("*.sql")):
        if script.stem < "011":
            con.execute(script.read_text(encoding="utf-8"))
            con.execute("INSERT INTO schema_migrations VALUES (?, now())", [script.stem])
    con.execute("INSERT INTO fetches (fetch_id, harvest_id, body_id, year, url, sha256, page_date, outcome, path, "
                "fetched_at) VALUES ('H1-1', 'H1', 'T1', 2023, 'http://h/a.html', 'aa', DATE '2024-01-20', 'report', "
                "'x/aa.html', now())")
    assert "011_report_files" in db.migrate(con)
    assert con.execute("SELECT report_id, page_date FROM report_sources").fetchall() == [("aa", date(2024, 1, 20))]
    assert con.execute("SELECT status FROM harvest_outcomes").fetchall() == [("found",)]
    assert con.execute("SELECT report_id, sha256, part FROM report_files").fetchall() == [("aa", "aa", "report")]
