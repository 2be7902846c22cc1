"""The oversight office's portal: static site, audit list by county, 整改通知 drafts (portal/).

One small synthetic warehouse (a register of 2 counties × 3 bodies, 2 years, one year missing, injected
arithmetic errors, hostile text in names, messages, raw cells and file names) is built directly with
``check_reports`` + ``load_run`` — no Prefect, no GX.
"""
from __future__ import annotations

import dataclasses
import json
import random
import re
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from docx import Document
from openpyxl import load_workbook

import portal
from rules.verdicts import report_verdict
from parsing.api import parse_bytes
from portal import names, notices
from rules.catalogue import catalogue
from rules.register import Body
from synth.render import ReportSpec, consistent_cells, render_html, render_txt
from warehouse import db
from warehouse.exports import HEADERS
from warehouse.rows import cell_rows, finding_rows, report_rows
from xxgk.check import check_reports

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JS = "javascript:alert(1)"
HOSTILE = (SCRIPT, IMG, JS)
COUNTIES = {"320101": "甲县", "320102": "乙区"}
# body_id: (name, kind, county, years filed, years with an injected error)
BODIES = {
    "320101101": ("东岭镇人民政府", "township", "320101", (2021, 2022), ()),
    "320101102": ("西岭镇人民政府", "township", "320101", (2021, 2022), (2022,)),
    "320101001": (f"南岭街道办事处{SCRIPT}", "street", "320101", (2021, 2022), ()),
    "320102101": ("北湖镇人民政府", "township", "320102", (2021, 2022), (2021,)),
    "320102102": ("中湖镇人民政府", "township", "320102", (2021, 2022), ()),
    "320102103": ("石湖镇人民政府", "township", "320102", (2021,), ()),   # 2022 missing
}
UNREGISTERED = f"{IMG}无名镇人民政府"   # printed name not in the register; its 2022 report has an error
RUN, OLD_RUN = "20260102T020000000000Z", "20260101T020000000000Z"


def _report(body: str, year: int, seed: int, broken: bool, fmt: str):
    cells = consistent_cells("2021", random.Random(seed))
    cells.update({k: 0 for k in cells if k.startswith("t2.rules.")})
    if broken:
        cells["t3.new.total"] += 5
    spec = ReportSpec(body, year, "2021", cells)
    text = render_html(spec) if fmt == "html" else render_txt(spec)
    return parse_bytes(text.encode("utf-8"), f"{year}_{seed}.{fmt}")


def _reports():
    reports, body_ids, kinds = [], {}, {}
    for seed, (body_id, (name, kind, _county, years, broken)) in enumerate(BODIES.items()):
        for year in years:
            r = _report(_printed(name), year, seed * 10 + year, year in broken, "html" if seed % 2 else "txt")
            reports.append(r)
            body_ids[r.report_id], kinds[r.report_id] = body_id, kind
    stray = _report("无名镇人民政府", 2022, 99, True, "txt")
    reports.append(stray)
    return reports, body_ids, kinds, stray.report_id


def _printed(name: str) -> str:
    return name.replace(SCRIPT, "")


def _make_hostile(rep: pd.DataFrame, cel: pd.DataFrame, fnd: pd.DataFrame, stray: str) -> None:
    rep.loc[rep.report_id == stray, "body_name"] = UNREGISTERED
    rep.loc[rep.report_id == stray, "source_path"] = f"{JS}/{IMG}.txt"
    fnd.loc[fnd.report_id == stray, "body_name"] = UNREGISTERED
    hit = (fnd.report_id == stray) & (fnd.rule_id == "T3-BALANCE")
    fnd.loc[hit, "message"] = fnd.loc[hit, "message"] + f" {SCRIPT}{IMG}{JS}"
    raw = (cel.report_id == stray) & (cel.cell_id == "t3.new.total")
    cel.loc[raw, "raw"] = f"{SCRIPT}{IMG}{JS}"


def _register() -> list[Body]:
    return ([Body(cid, name, "county_gov") for cid, name in COUNTIES.items()]
            + [Body(bid, name, kind, county, (_printed(name),)) for bid, (name, kind, county, _, _) in BODIES.items()])


def _register_frame(register: list[Body]) -> pd.DataFrame:
    return pd.DataFrame([{"body_id": b.body_id, "name": b.name, "kind": b.kind, "parent_id": b.parent_id,
                          "aliases": list(b.aliases)} for b in register])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("portal")
    reports, body_ids, kinds, stray = _reports()
    register = _register()
    result = check_reports(reports, None, "bare", register)
    findings = [f for c in result.checked for f in c.findings] + list(getattr(result, "missing", ()))
    now = datetime(2026, 1, 2)
    rep = report_rows(reports, body_ids, kinds, {}, now)
    cel = cell_rows(reports)
    fnd = finding_rows(RUN, findings, body_ids)
    _make_hostile(rep, cel, fnd, stray)
    docs = root / "docs" / RUN / "index.html"
    docs.parent.mkdir(parents=True)
    docs.write_text("<html><body>docs</body></html>", encoding="utf-8")
    path = root / "w.duckdb"
    con = db.connect(path)
    db.upsert_bodies(con, _register_frame(register))
    old = fnd.copy()
    old["run_id"] = OLD_RUN
    old.loc[(old.body_id == "320101101") & (old.rule_id == "STR-SECTIONS"), ["status", "message"]] = ["fail", "旧运行"]
    db.load_run(con, db.RunRecord(OLD_RUN, datetime(2026, 1, 1), now, None, len(reports), len(reports), 0, None, "v"),
                rep, cel, old)
    db.load_run(con, db.RunRecord(RUN, now, now, None, len(reports), 0, 0, str(docs), "v"), rep, cel, fnd)
    confirmed = fnd[(fnd.body_id == "320102101") & (fnd.status == "fail")].fingerprint.iloc[0]
    db.add_review(con, confirmed, "confirmed", "已发整改通知", "张三")
    con.close()
    out = root / "out"
    built = portal.build_all(path, out)
    return {"db": path, "out": out, "built": built, "findings": fnd, "stray": stray, "confirmed": confirmed}


def _display_name(body_id: object, body_name: str) -> str:
    """The name a body's page shows: the register's name, else the printed name."""
    if isinstance(body_id, str) and body_id in BODIES:
        return BODIES[body_id][0]
    return COUNTIES.get(body_id, body_name) if isinstance(body_id, str) else body_name


def _non_compliant(fnd: pd.DataFrame) -> dict[str, set[str]]:
    """Display name → rule ids of its open fails, for bodies with an open error fail."""
    fails = fnd[fnd.status == "fail"]
    rules: dict[str, set[str]] = {}
    errors: set[str] = set()
    for row in fails.itertuples():
        name = _display_name(row.body_id, row.body_name)
        rules.setdefault(name, set()).add(row.rule_id)
        if row.severity == "error":
            errors.add(name)
    return {name: ids for name, ids in rules.items() if name in errors}


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


def _body_page(site: Path, name_part: str) -> Path:
    for page in (site / "bodies").glob("*.html"):
        if name_part in _soup(page).h1.get_text():
            return page
    raise AssertionError(f"no page for {name_part}")


def test_pages_for_every_body_and_rule(warehouse):
    site = warehouse["built"]["site"].parent
    assert (site / "index.html").is_file() and (site / "assets" / "site.css").is_file()
    titles = {_soup(p).h1.get_text() for p in (site / "bodies").glob("*.html")}
    for name, *_ in BODIES.values():
        assert any(name in t for t in titles), name
    assert any(UNREGISTERED in t for t in titles)
    rule_titles = " ".join(_soup(p).h1.get_text() for p in (site / "rules").glob("*.html"))
    assert all(rule_id in rule_titles for rule_id in catalogue())
    index = _soup(site / "index.html")
    linked = {a["href"] for a in index.find_all("a")}
    assert {f"bodies/{p.name}" for p in (site / "bodies").glob("*.html")} <= linked
    assert {f"rules/{p.name}" for p in (site / "rules").glob("*.html")} <= linked


def test_every_fail_is_on_its_body_page_with_cells_and_numbers(warehouse):
    site = warehouse["built"]["site"].parent
    fnd = warehouse["findings"]
    fails = fnd[fnd.status == "fail"]
    assert len(fails) >= 6
    for row in fails.itertuples():
        text = _soup(_body_page(site, _display_name(row.body_id, row.body_name))).get_text(" ")
        assert row.rule_id in text and row.fingerprint in text and row.message in text
        for cell_id in row.cell_ids:
            assert cell_id in text
        for value in [*row.expected, *row.observed]:
            assert f"{value:g}" in text
    west = _soup(_body_page(site, "西岭镇")).get_text(" ")
    assert "应为" in west and "实为" in west and "第" in west and "行" in west
    north = _soup(_body_page(site, "北湖镇")).get_text(" ")
    assert "已确认" in north and "已发整改通知" in north
    east = _soup(_body_page(site, "东岭镇")).get_text(" ")
    assert "旧运行" not in east, "only the latest run is shown"
    stone = _soup(_body_page(site, "石湖镇")).get_text(" ")
    assert "未报送" in stone


def test_overview_counts_and_charts(warehouse):
    site = warehouse["built"]["site"].parent
    soup = _soup(site / "index.html")
    rows = {tr.find_all("td")[0].get_text(): [td.get_text() for td in tr.find_all("td")]
            for tr in soup.select_one("#years table").find_all("tr")[1:]}
    # year: reports filed, missing (register holds 2 counties + 6 bodies), compliant, needs review, non-compliant
    fnd = warehouse["findings"]
    for year, filed, missing in ((2021, 6, 2), (2022, 6, 3)):
        verdicts = {"compliant": 0, "needs_review": 0, "non_compliant": 0}
        reports = fnd[(fnd.year == year) & (fnd.rule_id != "REG-MISSING")].groupby("report_id")
        for _, found in reports:
            verdicts[report_verdict("ok", found.itertuples()).verdict] += 1
        assert verdicts["non_compliant"] == year - 2020, "the injected errors"
        assert rows[str(year)][1:] == [str(filed), str(missing), *(str(verdicts[v]) for v in
                                                                  ("compliant", "needs_review", "non_compliant"))]
    assert len(soup.find_all("svg")) >= 2
    assert "T3-BALANCE" in soup.get_text()
    docs = [a for a in soup.find_all("a") if "Data Docs" in a.get_text()]
    assert docs, "the latest run's Data Docs are linked"


def test_links_resolve_and_nothing_external(warehouse):
    site = warehouse["built"]["site"].parent
    seen_suffixes = set()
    ids: dict[Path, set[str]] = {}
    for page in [*_pages(site), site / "assets" / "site.css"]:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"https?://", text, re.I), page
        if page.suffix == ".css":
            assert "url(" not in text and "@import" not in text
            continue
        for tag in _soup(page).find_all(True):
            for attr in ("href", "src", "action", "data", "xlink:href", "srcset", "poster"):
                value = tag.get(attr)
                if value is None:
                    continue
                assert not re.match(r"\s*([a-z][a-z0-9+.-]*:|//)", value, re.I), (page, value)
                path, _, fragment = value.partition("#")
                target = (page.parent / unquote(path)).resolve() if path else page.resolve()
                assert target.is_file(), (page, value)
                seen_suffixes.add(target.suffix)
                if fragment:  # an anchor: the element exists on the target page
                    if target not in ids:
                        html_ids = _soup(target).find_all(id=True) if target.suffix == ".html" else []
                        ids[target] = {t["id"] for t in html_ids}
                    assert unquote(fragment) in ids[target], (page, value)
    assert {".html", ".css", ".docx", ".xlsx"} <= seen_suffixes, "pages link the drafts and the spreadsheets"


def test_no_script_handler_or_unescaped_hostile_text(warehouse):
    site = warehouse["built"]["site"].parent
    seen = set()
    for page in _pages(site):
        raw = page.read_text(encoding="utf-8")
        for hostile in (SCRIPT, IMG):
            assert hostile not in raw, page
        soup = _soup(page)
        assert not soup.find_all(["script", "iframe", "object", "embed", "form", "img", "base"]), page
        for tag in soup.find_all(True):
            assert not any(a.lower().startswith("on") for a in tag.attrs), (page, tag.name)
            for value in tag.attrs.values():
                assert "javascript" not in str(value).lower(), (page, tag.name)
        assert soup.find("meta", attrs={"name": "viewport"}) is not None
        text = soup.get_text()
        seen |= {h for h in HOSTILE if h in text}
    assert seen == set(HOSTILE), "the hostile strings are shown as text"
    stray = _soup(_body_page(site, "无名镇")).get_text()
    assert f"{SCRIPT}{IMG}{JS}" in stray  # the raw cell text, verbatim


def test_audit_by_county_xlsx(warehouse):
    book = load_workbook(warehouse["built"]["audit_by_county"])
    # the counties, the bodies with no county, then the reports to review and the files not read
    assert book.sheetnames[:2] == ["甲县", "乙区"] and book.sheetnames[3:] == ["待核实", "未能读取的文件"]
    for ws in book.worksheets[:3]:
        assert [c.value for c in ws[1]] == ["结论", *HEADERS.values()]
        assert {r[0] for r in ws.iter_rows(min_row=2, values_only=True)} <= {"不合规", "待核实", "合规"}
        assert ws.freeze_panes == "A2"
    for ws in book.worksheets:
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    names_in = lambda ws: {r[2] for r in ws.iter_rows(min_row=2, values_only=True)}  # noqa: E731
    assert "西岭镇人民政府" in names_in(book["甲县"]) and not names_in(book["甲县"]) & names_in(book["乙区"])
    assert "320102101" in {r[1] for r in book["乙区"].iter_rows(min_row=2, values_only=True)}
    assert "甲县" in names_in(book["甲县"]), "a county government counts in its own county"
    assert "北湖镇人民政府" in names_in(book["乙区"])
    assert UNREGISTERED in names_in(book.worksheets[2])


def test_one_notice_per_non_compliant_body(warehouse):
    paths = warehouse["built"]["notices"]
    expected = _non_compliant(warehouse["findings"])
    assert {"西岭镇人民政府", "北湖镇人民政府", UNREGISTERED} <= set(expected)
    assert "东岭镇人民政府" not in expected
    assert len(paths) == len(expected)
    docs = [Document(str(p)) for p in paths]
    texts = ["\n".join(para.text for para in doc.paragraphs) for doc in docs]
    appendices = ["\n".join(cell.text for table in doc.tables for row in table.rows for cell in row.cells)
                  for doc in docs]
    rules = catalogue()
    for name, rule_ids in expected.items():
        i = next(i for i, t in enumerate(texts) if t.splitlines()[2] == f"{name}：")
        assert all(rule_id in appendices[i] for rule_id in rule_ids), (name, rule_ids)
        assert not any(rule_id in texts[i] for rule_id in rules), "rule ids only in the appendix table"
        assert all(rules[r].title in texts[i] for r in rule_ids if r != "REG-MISSING")
        assert "{{" not in texts[i] and "二、整改要求" in texts[i]
    west = next(t for t in texts if "西岭镇人民政府：" in t)
    assert "t3.new.total" not in west and "表三 第一项 本年新收政府信息公开申请数量 · 总计" in west
    assert all(p.parent == warehouse["built"]["notices_dir"] for p in paths)


def test_custom_template_with_split_placeholders(warehouse, tmp_path):
    doc = Document()
    para = doc.add_paragraph("致 ")
    para.add_run("{{机关")
    para.add_run("名称}}")
    para.add_run("（{{年度}}）")
    doc.add_paragraph("清单：{{问题清单}}")
    cell = doc.add_table(rows=1, cols=1).cell(0, 0)
    cell.paragraphs[0].text = "日期 {{日期}} {{未知}}"
    template = tmp_path / "mine.docx"
    doc.save(str(template))
    paths = notices.write_notices(warehouse["db"], tmp_path / "n", template, today=date(2026, 3, 4))
    assert len(paths) == len(warehouse["built"]["notices"])
    west = next(p for p in paths if "西岭镇" in p.name)
    filled = Document(str(west))
    texts = [p.text for p in filled.paragraphs]
    assert texts[0] == "致 西岭镇人民政府（2021、2022）"
    assert texts[1] == "清单：" and any(catalogue()["T3-BALANCE"].title in t for t in texts[2:])
    assert filled.tables[0].cell(0, 0).paragraphs[0].text == "日期 2026年3月4日 {{未知}}"
    with pytest.raises(FileNotFoundError):
        notices.write_notices(warehouse["db"], tmp_path / "m", tmp_path / "absent.docx")


def test_shipped_template_has_the_placeholders():
    text = "\n".join(p.text for p in Document(str(notices.default_template())).paragraphs)
    for placeholder in ("{{机关名称}}", "{{年度}}", "{{问题清单}}", "{{日期}}"):
        assert placeholder in text


def test_safe_names():
    for hostile in ("../../etc/passwd", "a/b", "a\\b", "..", "CON", "x" * 500, SCRIPT, "", "名字"):
        stem = names.slug(hostile, "b")
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", stem) and ".." not in stem, stem
    assert names.slug("320101101") == "320101101"
    slugs = names.assign_slugs({"a": ("ABC", "b"), "b": ("abc", "b")})
    assert len({s.lower() for s in slugs.values()}) == 2
    sheets = names.sheet_names(["a[b]:c*?/\\d", "x" * 40, "x" * 40, "History", "'引号'", "", "A", "a"])
    assert len({s.lower() for s in sheets}) == len(sheets)
    assert all(0 < len(s) <= 31 and not re.search(r"[\[\]:*?/\\]", s) for s in sheets)
    assert sheets[3].lower() != "history" and not sheets[4].startswith("'")


def test_rule_page_links_back_to_failing_bodies(warehouse):
    site = warehouse["built"]["site"].parent
    index = _soup(site / "index.html")
    rule_href = next(a["href"] for a in index.find_all("a") if a.get_text() == "T3-BALANCE")
    page = _soup(site / rule_href)
    assert catalogue()["T3-BALANCE"].basis in page.get_text()
    linked = {(site / "rules" / a["href"]).resolve() for a in page.find_all("a")}
    for name in ("西岭镇", "北湖镇", "无名镇"):
        assert _body_page(site, name).resolve() in linked, name


def test_text_starting_with_equals_is_not_a_formula(tmp_path):
    from portal.xlsx import Sheet, write_workbook

    texts = ["=HYPERLINK(\"x\")", "@SUM(A1)", "+1", "#N/A", " 前后有空格 ", "<b>&amp;</b>"]
    path = write_workbook(tmp_path / "f.xlsx", [Sheet("表'一", ["文本", "数", "真"], [[t, 1.5, True] for t in texts])])
    ws = load_workbook(path)["表'一"]
    assert [(c.value, c.data_type) for c in ws["A"][1:]] == [(t, "s") for t in texts]
    assert ws["B2"].value == 1.5 and ws["C2"].value is True and ws["A1"].font.b and ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:C{len(texts) + 1}"


def test_empty_warehouse_builds_and_stale_pages_go(tmp_path):
    path = tmp_path / "empty.duckdb"
    db.connect(path).close()
    stale = tmp_path / "out" / "portal" / "bodies" / "gone.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("old", encoding="utf-8")
    mine = tmp_path / "out" / "portal" / "notes.txt"
    mine.write_text("keep", encoding="utf-8")
    built = portal.build_all(path, tmp_path / "out")
    assert built["site"].is_file() and built["notices"] == []
    assert not stale.exists() and mine.exists()
    assert load_workbook(built["audit_by_county"]).sheetnames == ["（未归属区县）", "待核实", "未能读取的文件"]
    assert "尚无已完成的检查运行" in built["site"].read_text(encoding="utf-8")


def _todo_rows(soup: BeautifulSoup) -> list:
    return soup.select("#todo table tbody tr")


def test_overview_starts_with_the_bodies_to_chase_and_their_notices(warehouse):
    site = warehouse["built"]["site"].parent
    soup = _soup(site / "index.html")
    expected = _non_compliant(warehouse["findings"])
    rows = _todo_rows(soup)
    names_shown = [tr.find("td").get_text() for tr in rows]
    assert set(names_shown) == set(expected), "one row per body with an open error-level fail"
    errors = [int(tr.find_all("td")[3].get_text()) for tr in rows]
    assert errors == sorted(errors, reverse=True), "sorted by errors"
    # the table comes first: before the year statistics and the county ranking
    order = [s["id"] for s in soup.find_all("section", id=True)]
    assert order.index("todo") < order.index("missing") < order.index("counties") < order.index("years")
    rules = catalogue()
    notices_dir = warehouse["built"]["notices_dir"].resolve()
    for tr in rows:
        name = tr.find("td").get_text()
        text = tr.get_text(" ")
        for rule_id in expected[name]:
            assert rule_id in text and rules[rule_id].title in text, (name, rule_id)
        notice = next(a for a in tr.find_all("a") if a["href"].endswith(".docx"))
        path = (site / unquote(notice["href"])).resolve()
        assert path.parent == notices_dir and path in {p.resolve() for p in warehouse["built"]["notices"]}
        assert f"{name}：" in [para.text for para in Document(str(path)).paragraphs], "the draft is this body's"
        assert all(td.get("data-label") for td in tr.find_all("td")), "cells are labelled for the phone layout"
    assert "东岭镇人民政府" not in names_shown
    north = next(tr for tr in rows if tr.find("td").get_text() == "北湖镇人民政府")
    assert "已确认" in north.get_text(), "a confirmed finding is marked (the notice may have gone out)"
    watch = [tr.find("td").get_text() for tr in soup.select("#watch table tbody tr")]
    assert "东岭镇人民政府" in watch and not set(watch) & set(names_shown), "warnings only: listed apart"


def test_missing_filings_and_counties_on_the_overview(warehouse):
    site = warehouse["built"]["site"].parent
    soup = _soup(site / "index.html")
    fnd = warehouse["findings"]
    gaps = fnd[(fnd.rule_id == "REG-MISSING") & (fnd.status == "fail")]
    expected = {(_display_name(r.body_id, r.body_name), str(r.year)) for r in gaps.itertuples()}
    missing = soup.select("#missing table tbody tr")
    shown = [(tr.find_all("td")[0].get_text(), tr.find_all("td")[2].get_text()) for tr in missing]
    assert ("石湖镇人民政府", "2022") in shown and sorted(shown) == sorted(expected)
    assert all(tr.find("a", href=re.compile(r"\.docx$")) for tr in missing), "each body's notice is linked"
    counties = [tr.find_all("td")[1].get_text() for tr in soup.select("#counties table tbody tr")]
    assert set(COUNTIES.values()) <= set(counties)
    assert soup.select_one("#counties svg"), "the share is drawn inline"
    downloads = {a.get_text() for a in soup.select(".actions a")}
    assert any("分区县" in d for d in downloads) and any("Data Docs" in d for d in downloads)
    top = soup.select_one("#rules-top table").get_text(" ")
    assert catalogue()["T3-BALANCE"].title in top and "西岭镇人民政府（2022）" in top


def test_body_page_leads_with_what_to_correct(warehouse):
    site = warehouse["built"]["site"].parent
    page = _body_page(site, "西岭镇")
    soup = _soup(page)
    box = soup.select_one(".todo-box")
    assert box is not None and catalogue()["T3-BALANCE"].title in box.get_text()
    notice = box.find("a", href=re.compile(r"\.docx$"))
    assert notice and (page.parent / unquote(notice["href"])).resolve().is_file()
    for a in box.select("ol a"):
        assert soup.find(id=a["href"].lstrip("#")).name == "article", "each problem links to its finding"
    finding = next(a for a in soup.find_all("article", class_="finding") if "T3-BALANCE" in a.h3.get_text())
    labels = [d.find("span").get_text() for d in finding.select(".numbers > div")]
    assert labels[:2] == ["应为", "实为"]
    cells = finding.select_one("table.cells")
    assert cells is not None and "所印原文" in cells.get_text() and "第" in cells.get_text()
    east = _soup(_body_page(site, "东岭镇"))
    assert east.select_one(".todo-box.err") is None and not east.find("a", href=re.compile(r"\.docx$"))
    assert "不发整改通知" in east.select_one(".todo-box").get_text(), "warnings only: no notice"


def test_site_without_notices_says_so(warehouse, tmp_path):
    index = portal.build_site(warehouse["db"], tmp_path / "site")
    soup = _soup(index)
    assert len(_todo_rows(soup)) == len(_non_compliant(warehouse["findings"]))
    assert not soup.find("a", href=re.compile(r"\.docx$")) and "未生成" in soup.select_one("#todo").get_text()


# ---------------------------------------------------------------- rebuilding: only what changed is made again


def _copy_warehouse(warehouse, tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    path.write_bytes(Path(warehouse["db"]).read_bytes())
    return path


def _rerun(path: Path, run_id: str) -> None:
    """A new completed run with exactly the findings of the latest one (what a re-run of unchanged reports
    stores)."""
    con = db.connect(path)
    latest = con.execute("SELECT run_id FROM latest_run").fetchall()[0][0]
    con.execute("INSERT INTO runs SELECT * REPLACE (? AS run_id, started_at + INTERVAL 1 DAY AS started_at, "
                "finished_at + INTERVAL 1 DAY AS finished_at) FROM runs WHERE run_id = ?", [run_id, latest])
    con.execute("INSERT INTO findings SELECT * REPLACE (? AS run_id) FROM findings WHERE run_id = ?", [run_id, latest])
    con.close()


def _stamps(folder: Path, pattern: str) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob(pattern)}


def _texts(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.html"))}


def _draft_text(path: Path) -> str:
    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def test_rebuild_with_nothing_changed_writes_nothing(warehouse, tmp_path):
    path = _copy_warehouse(warehouse, tmp_path)
    first = portal.build_all(path, tmp_path / "out")
    site = first["site"].parent
    pages, drafts = _stamps(site, "*.html"), _stamps(first["notices_dir"], "*.docx")
    again = portal.build_all(path, tmp_path / "out")
    assert _stamps(site, "*.html") == pages, "no page is rewritten"
    assert _stamps(again["notices_dir"], "*.docx") == drafts and again["notices"] == first["notices"]


def test_rebuild_after_a_new_run_matches_a_fresh_build(warehouse, tmp_path):
    path = _copy_warehouse(warehouse, tmp_path)
    first = portal.build_all(path, tmp_path / "out", docs_root=tmp_path)
    site = first["site"].parent
    pages, before = _stamps(site / "bodies", "*.html"), _texts(site / "bodies")
    _rerun(path, "20260103T020000000000Z")
    second = portal.build_all(path, tmp_path / "out", docs_root=tmp_path)
    fresh = portal.build_all(path, tmp_path / "fresh", docs_root=tmp_path)
    assert second["notices_dir"].name == "20260103T020000000000Z" != first["notices_dir"].name
    assert _texts(site) == _texts(fresh["site"].parent), "the same site as a build from scratch"
    with_draft = {f"{p.stem.rsplit('_', 1)[-1]}.html" for p in second["notices"]}
    rewritten = {rel for rel, stamp in _stamps(site / "bodies", "*.html").items() if stamp != pages[rel]}
    assert rewritten == with_draft, "only the pages linking a draft change (the link goes to the new run's folder)"
    after = _texts(site / "bodies")
    assert all(after[rel] == text for rel, text in before.items() if rel not in with_draft), "byte-identical"
    assert all(after[rel] != before[rel] for rel in with_draft)
    assert [p.name for p in second["notices"]] == [p.name for p in fresh["notices"]]
    for mine, theirs in zip(second["notices"], fresh["notices"]):
        text = _draft_text(mine)
        assert text == _draft_text(theirs) and "20260103T020000000000Z" in text


def test_drafts_written_by_a_worker_process_give_the_same_build(warehouse, tmp_path):
    """``xxgk run`` hands the drafts to its (idle) parser processes while it writes the site."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    path = _copy_warehouse(warehouse, tmp_path)
    here = portal.build_all(path, tmp_path / "here")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pooled = portal.build_all(path, tmp_path / "pooled", pool=pool)
    assert here["notices"] and [p.name for p in pooled["notices"]] == [p.name for p in here["notices"]]
    assert all(p.is_file() for p in pooled["notices"])
    assert [_draft_text(p) for p in pooled["notices"]] == [_draft_text(p) for p in here["notices"]]
    assert _texts(pooled["site"].parent) == _texts(here["site"].parent), "the same pages, the same links"


def test_a_build_reading_details_a_body_at_a_time_is_the_same(warehouse, tmp_path, monkeypatch):
    """The pages and drafts read each group's details and let them go: groups of one body give the same
    build as one group of all."""
    path = _copy_warehouse(warehouse, tmp_path)
    whole = portal.build_all(path, tmp_path / "whole")
    monkeypatch.setattr(portal.data, "GROUP", 1)
    split = portal.build_all(path, tmp_path / "split")
    assert _texts(split["site"].parent) == _texts(whole["site"].parent)
    assert len(split["notices"]) > 1
    assert [_draft_text(p) for p in split["notices"]] == [_draft_text(p) for p in whole["notices"]]


def test_rebuild_after_a_new_run_with_a_worker_process_relinks_there(warehouse, tmp_path):
    """With a pool, the pages that only need the new run's draft link are relinked in a worker; a page
    that no longer holds the old link (changed by hand since) is rendered anew."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    path = _copy_warehouse(warehouse, tmp_path)
    first = portal.build_all(path, tmp_path / "out", docs_root=tmp_path)
    site = first["site"].parent
    with_draft = sorted(site / "bodies" / f"{p.stem.rsplit('_', 1)[-1]}.html" for p in first["notices"])
    assert len(with_draft) > 1
    touched = with_draft[0]
    touched.write_text(touched.read_text(encoding="utf-8").replace(first["notices_dir"].name, "elsewhere"),
                       encoding="utf-8")
    manifest = site / ".build-manifest.json"       # the manifest vouches for the page as it is now
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    stat = touched.stat()
    entries["pages"][f"bodies/{touched.name}"][1:3] = [stat.st_size, stat.st_mtime_ns]
    manifest.write_text(json.dumps(entries), encoding="utf-8")
    _rerun(path, "20260103T020000000000Z")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        second = portal.build_all(path, tmp_path / "out", docs_root=tmp_path, pool=pool)
    fresh = portal.build_all(path, tmp_path / "fresh", docs_root=tmp_path)
    assert _texts(site) == _texts(fresh["site"].parent), "the same site as a build from scratch"
    assert "20260103T020000000000Z" in touched.read_text(encoding="utf-8")
    third = _stamps(site, "*.html")
    portal.build_all(path, tmp_path / "out", docs_root=tmp_path)
    assert _stamps(site, "*.html") == third, "the relinked pages are recorded as current"
    assert second["notices_dir"].name == "20260103T020000000000Z"


def _edited_catalogue(monkeypatch, edit) -> None:
    """The portal reads the catalogue with every rule passed through ``edit`` (as if catalogue.yaml changed)."""
    edited = {rule_id: edit(rule) for rule_id, rule in catalogue().items()}
    for module in (portal, portal.site, portal.notices):
        monkeypatch.setattr(module, "catalogue", lambda: edited)


def _unshown_edit(rule):
    """A rule changed in everything the pages and drafts do not show: its tolerance and other parameters, its
    check, its message template, where the project documents it, the editions and rules it depends on."""
    check = dataclasses.replace(rule.check, options={**rule.check.options, "edited": True})
    return dataclasses.replace(rule, params={**rule.params, "tolerance": 1}, check=check,
                               message=rule.message + "（已修订）", source=rule.source + " rev. 2",
                               editions=(*rule.editions, "2030"), requires=(*rule.requires, "T3-BALANCE"))


def test_a_rules_edit_that_changes_no_finding_redraws_no_page_or_draft(warehouse, tmp_path, monkeypatch):
    """After an edit of the catalogue that changes nothing the body pages show (a tolerance, a message
    template…), the findings decide which are drawn again: with the same findings, no body page and no draft
    is rewritten (the rule pages, which show every field of their rule, are), and
    the site is the one a build from scratch with the edited catalogue makes (a page showing any edited field
    would differ from it)."""
    path = _copy_warehouse(warehouse, tmp_path)
    first = portal.build_all(path, tmp_path / "out")
    site = first["site"].parent
    pages, drafts = _stamps(site / "bodies", "*.html"), _stamps(first["notices_dir"], "*.docx")
    _edited_catalogue(monkeypatch, _unshown_edit)
    again = portal.build_all(path, tmp_path / "out")
    assert _stamps(site / "bodies", "*.html") == pages, "no body page is rewritten (the rule pages show it all)"
    assert _stamps(again["notices_dir"], "*.docx") == drafts and again["notices"] == first["notices"]
    fresh = portal.build_all(path, tmp_path / "fresh")
    assert _texts(site) == _texts(fresh["site"].parent)
    assert [_draft_text(p) for p in again["notices"]] == [_draft_text(p) for p in fresh["notices"]]


def test_a_rules_edit_of_a_title_redraws_the_pages_and_drafts_that_show_it(warehouse, tmp_path, monkeypatch):
    path = _copy_warehouse(warehouse, tmp_path)
    portal.build_all(path, tmp_path / "out")
    _edited_catalogue(monkeypatch, lambda r: dataclasses.replace(r, title=r.title + "（新标题）"))
    again = portal.build_all(path, tmp_path / "out")
    fresh = portal.build_all(path, tmp_path / "fresh")
    assert _texts(again["site"].parent) == _texts(fresh["site"].parent)
    west = _soup(_body_page(again["site"].parent, "西岭镇")).get_text(" ")
    assert catalogue()["T3-BALANCE"].title + "（新标题）" in west
    texts = [_draft_text(p) for p in again["notices"]]
    assert texts == [_draft_text(p) for p in fresh["notices"]] and any("（新标题）" in t for t in texts)


def test_rebuild_after_a_review_renders_that_body_again(warehouse, tmp_path):
    path = _copy_warehouse(warehouse, tmp_path)
    first = portal.build_all(path, tmp_path / "out")
    site = first["site"].parent
    west = _body_page(site, "西岭镇")
    pages = _stamps(site / "bodies", "*.html")
    fnd = warehouse["findings"]
    fail = fnd[(fnd.body_id == "320101102") & (fnd.status == "fail")].fingerprint.iloc[0]
    con = db.connect(path)
    db.add_review(con, fail, "waived", "经核实无误", "李四")
    con.close()
    portal.build_all(path, tmp_path / "out")
    changed = {rel for rel, stamp in _stamps(site / "bodies", "*.html").items() if stamp != pages[rel]}
    assert changed == {west.name}
    text = _soup(west).get_text(" ")
    assert "已豁免" in text and "经核实无误" in text
    fresh = portal.build_all(path, tmp_path / "fresh")
    assert _texts(site) == _texts(fresh["site"].parent)


def test_a_report_digest_follows_each_column_of_each_of_its_findings(warehouse, tmp_path):
    """The digest that decides which pages to render again changes with any column of any finding of the
    report (a pass included) and with nothing of another report's; a new run with the same findings keeps it."""
    path = _copy_warehouse(warehouse, tmp_path)
    digests = lambda: {r.report_id: r.digest for r in portal.data.load(path, details=False).reports}  # noqa: E731
    before = digests()
    con = db.connect(path)
    assert con.execute("SELECT count(*) FROM run_digests JOIN latest_run USING (run_id)").fetchall()[0][0]
    con.execute("DELETE FROM run_digests")                      # hashed from the findings instead: the same
    con.close()
    assert digests() == before
    _rerun(path, "20260103T020000000000Z")
    assert digests() == before
    con = db.connect(path)
    found = con.execute("SELECT report_id, rule_id, status FROM findings JOIN latest_run USING (run_id) "
                        "WHERE report_id IN (SELECT report_id FROM reports) ORDER BY status, report_id, rule_id"
                        ).fetchall()
    con.close()
    changes = [("locators", "['改']"), ("observed", "[1.5]"), ("message", "'改'"), ("cell_ids", "['t3.x']"),
               ("severity", "'x'"), ("body_name", "'改'"), ("expected", "[2.5]")]
    for (report_id, rule_id, status), (column, value) in zip(found[::max(1, len(found) // len(changes))], changes):
        con = db.connect(path)
        con.execute(f"UPDATE findings SET {column} = {value} WHERE run_id = ? AND report_id = ? AND rule_id = ?",
                    ["20260103T020000000000Z", report_id, rule_id])
        con.close()
        after = digests()
        assert {rid for rid in before if before[rid] != after[rid]} == {report_id}, (column, status)
        before = after


def test_changed_pages_and_drafts_read_their_details_in_one_query(warehouse, tmp_path, monkeypatch):
    """A rebuild reads the details of the bodies whose page or draft changed once, in one query (the drafts'
    first group holds the pages' too), and is the build made from scratch."""
    path = _copy_warehouse(warehouse, tmp_path)
    portal.build_all(path, tmp_path / "out")
    _rerun(path, "20260103T020000000000Z")
    con = db.connect(path)
    for body_id, status in (("320101102", "fail"), ("320102102", "pass")):   # one with a draft, one without
        con.execute("UPDATE findings SET message = message || '（改）' WHERE run_id = ? AND body_id = ? AND status = ? "
                    "AND rule_id = (SELECT min(rule_id) FROM findings WHERE run_id = ? AND body_id = ? AND status = ?)",
                    ["20260103T020000000000Z", body_id, status] * 2)
    con.close()
    calls, details = [], portal.data._details
    monkeypatch.setattr(portal.data, "_details", lambda con, snap, reports: (calls.append(len(reports)),
                                                                            details(con, snap, reports))[1])
    again = portal.build_all(path, tmp_path / "out")
    monkeypatch.undo()
    fresh = portal.build_all(path, tmp_path / "fresh")
    assert len(calls) == 1 and calls[0] >= 2
    assert _texts(again["site"].parent) == _texts(fresh["site"].parent)
    assert "（改）" in _body_page(again["site"].parent, "西岭镇").read_text(encoding="utf-8")
    assert [_draft_text(p) for p in again["notices"]] == [_draft_text(p) for p in fresh["notices"]]


def test_write_page_replaces_the_file_and_leaves_no_partial_file(tmp_path, monkeypatch):
    from portal.site import write_page

    page = tmp_path / "p.html"
    page.write_text("old", encoding="utf-8")
    size, mtime = write_page(str(page), "新的页面")
    assert page.read_text(encoding="utf-8") == "新的页面" and (size, mtime) == (page.stat().st_size,
                                                                           page.stat().st_mtime_ns)
    def refused(*args):
        raise OSError("disk full")
    monkeypatch.setattr(portal.site.os, "replace", refused)
    with pytest.raises(OSError):
        write_page(str(page), "lost")
    assert page.read_text(encoding="utf-8") == "新的页面" and sorted(tmp_path.iterdir()) == [page]


def test_relative_links_are_the_files_paths_from_the_site(tmp_path):
    """``relative_all`` works each folder's path out once: the same as each file's own relative path
    (symbolic links followed, files beside the site, above it, missing unless being written)."""
    import os
    from portal.links import relative_all

    site, drafts, other = tmp_path / "out" / "portal", tmp_path / "out" / "notices" / "run 1", tmp_path / "elsewhere"
    for folder in (site, drafts, other):
        folder.mkdir(parents=True)
    files = [drafts / "整改通知_甲.docx", drafts / "b.docx", site / "here.xlsx", tmp_path / "out" / "up.csv",
             other / "target.docx"]
    for path in files:
        path.write_bytes(b"x")
    (drafts / "linked.docx").symlink_to(other / "target.docx")
    targets = [*files, drafts / "linked.docx", drafts / "missing.docx"]
    expected = {t: os.path.relpath(os.path.realpath(t), site.resolve()).replace(os.sep, "/")
                for t in targets if t.is_file()}
    assert relative_all(targets, site) == expected
    assert relative_all(targets, site, being_written=True) == {**expected, drafts / "missing.docx":
                                                                "../notices/run 1/missing.docx"}
    assert expected[drafts / "linked.docx"] == "../../elsewhere/target.docx"


def test_body_verdict_per_year_is_the_worst_of_its_reports_and_missing_filings():
    from portal.model import Body as PortalBody, Finding, Report
    from portal.verdicts import worst

    rng = random.Random(7)
    for _ in range(300):
        body = PortalBody("id:x", "x", "x", None, None, True)
        body.reports = [Report(f"r{i}", "id:x", "x", rng.choice([2021, 2022, None]), None,
                               verdict=rng.choice(["non_compliant", "needs_review", "compliant", "odd"]))
                        for i in range(rng.randrange(4))]
        body.gaps = [Finding(f"missing:{i}", "REG-MISSING", rng.choice(["fail", "not_assessable", "pass"]),
                             rng.choice(["error", "warning"]), None, (), (), (), (), f"fp{i}",
                             rng.choice([2021, 2023, None]), decision=rng.choice([None, "waived", "confirmed"]))
                     for i in range(rng.randrange(3))]
        expected: dict = {}
        for r in body.reports:
            expected.setdefault(r.year, []).append(r.verdict)
        for f in body.gaps:
            if f.severity == "error" and f.decision != "waived" and f.status in ("fail", "not_assessable"):
                expected.setdefault(f.year, []).append("non_compliant" if f.status == "fail" else "needs_review")
        expected = {year: worst(vs) for year, vs in expected.items()}
        assert body._verdicts == expected and list(body._verdicts) == list(expected)
        assert body.verdict == worst(list(expected.values()))


def test_a_page_changed_by_hand_is_written_again(warehouse, tmp_path):
    path = _copy_warehouse(warehouse, tmp_path)
    site = portal.build_all(path, tmp_path / "out")["site"].parent
    page = _body_page(site, "东岭镇")
    original = page.read_text(encoding="utf-8")
    page.write_text("changed", encoding="utf-8")
    (site / ".build-manifest.json").write_text("{not json", encoding="utf-8")
    portal.build_all(path, tmp_path / "out")
    assert page.read_text(encoding="utf-8") == original


def test_template_with_header_placeholders_and_unusual_run_ids(warehouse, tmp_path):
    doc = Document()
    doc.sections[0].header.paragraphs[0].text = "{{机关名称}} · {{运行编号}}"
    doc.add_paragraph("{{问题清单}}")
    doc.add_paragraph("日期：{{日期}}")
    template = tmp_path / "t.docx"
    doc.save(str(template))
    snap = portal.data.load(warehouse["db"])
    snap.run = dataclasses.replace(snap.run, run_id="run <1> & 2")
    paths = notices.write_notices_for(snap, tmp_path / "n", template, today=date(2026, 3, 4),
                                      cache_dir=tmp_path / "cache")
    west = Document(str(next(p for p in paths if "西岭镇" in p.name)))
    assert west.sections[0].header.paragraphs[0].text == "西岭镇人民政府 · run <1> & 2"
    assert west.paragraphs[-1].text == "日期：2026年3月4日"
    snap.run = dataclasses.replace(snap.run, run_id=" spaced\tid ")   # not put in later: filled directly
    again = notices.write_notices_for(snap, tmp_path / "m", template, today=date(2026, 3, 5),
                                      cache_dir=tmp_path / "cache")
    west = Document(str(next(p for p in again if "西岭镇" in p.name)))
    assert "spaced" in west.sections[0].header.paragraphs[0].text
    assert west.paragraphs[-1].text == "日期：2026年3月5日"


def test_audit_list_written_alongside_gives_the_same_build(warehouse, tmp_path):
    """``xxgk run`` has the audit list written in a thread while the run is read: the site links it even
    on a first build, and is the build made after the audit list was written."""
    from warehouse import exports

    path = _copy_warehouse(warehouse, tmp_path)
    alongside = portal.build_all(path, tmp_path / "alongside", audit=exports.write_audit)
    assert isinstance(alongside["audit"], exports.AuditExport) and alongside["audit"].n_rows > 0
    assert alongside["audit"].xlsx == tmp_path / "alongside" / "audit_list.xlsx"
    exports.write_audit(path, tmp_path / "before")
    before = portal.build_all(path, tmp_path / "before")
    assert before["audit"] is None
    index = (alongside["site"]).read_text(encoding="utf-8")
    assert 'href="../audit_list.xlsx"' in index and 'href="../audit_list.csv"' in index
    assert _texts(alongside["site"].parent) == _texts(before["site"].parent)


def test_overview_rows_of_unchanged_bodies_are_kept_and_give_the_fresh_overview(warehouse, tmp_path, monkeypatch):
    """The overview is rendered every build, but the rows of bodies that did not change come from the
    previous build (``portal.fragments``): after a review only that body's rows are made again, and the
    overview is the one a build from scratch writes."""
    from portal.fragments import Fragments

    path = _copy_warehouse(warehouse, tmp_path)
    portal.build_all(path, tmp_path / "out")
    fnd = warehouse["findings"]
    fail = fnd[(fnd.body_id == "320101102") & (fnd.status == "fail")].fingerprint.iloc[0]
    con = db.connect(path)
    db.add_review(con, fail, "waived", "经核实无误", "李四")
    con.close()
    counts = []
    save = Fragments.save
    monkeypatch.setattr(Fragments, "save", lambda self: (counts.append((self.made, len(self.used))), save(self)))
    again = portal.build_all(path, tmp_path / "out")
    fresh = portal.build_all(path, tmp_path / "fresh")
    (made, used), (made_fresh, used_fresh) = counts
    assert 0 < made < used and made_fresh == used_fresh == used
    assert again["site"].read_text(encoding="utf-8") == fresh["site"].read_text(encoding="utf-8")
    assert "经核实无误" in (tmp_path / "out" / "portal" / "bodies").joinpath(
        _body_page(again["site"].parent, "西岭镇").name).read_text(encoding="utf-8")


def test_draft_parts_are_kept_without_rewriting_them_when_only_the_run_changed(warehouse, tmp_path):
    """A new run with the same findings puts its id into the same filled parts: the parts file is read,
    not written again; the drafts are those of a build from scratch."""
    path = _copy_warehouse(warehouse, tmp_path)
    portal.build_all(path, tmp_path / "out")
    cache = tmp_path / "out" / "notices" / portal.DRAFT_CACHE
    parts = cache / "draft-parts.json"
    stamp = parts.stat().st_mtime_ns
    _rerun(path, "20260103T020000000000Z")
    second = portal.build_all(path, tmp_path / "out")
    fresh = portal.build_all(path, tmp_path / "fresh")
    assert parts.stat().st_mtime_ns == stamp
    assert [_draft_text(p) for p in second["notices"]] == [_draft_text(p) for p in fresh["notices"]]
    assert "20260103T020000000000Z" in _draft_text(second["notices"][0])


def test_a_script_that_changes_stored_findings_refreshes_the_digests(warehouse, tmp_path):
    """The stored digests do not follow a later change of a run's findings by themselves; ``refresh`` does."""
    from warehouse import digests

    path = _copy_warehouse(warehouse, tmp_path)
    read = lambda: {r.report_id: r.digest for r in portal.data.load(path, details=False).reports}  # noqa: E731
    before = read()
    con = db.connect(path)
    run_id, report_id = con.execute("SELECT run_id, min(report_id) FROM findings JOIN latest_run USING (run_id) "
                                    "WHERE report_id IN (SELECT report_id FROM reports) GROUP BY run_id").fetchall()[0]
    con.execute("UPDATE findings SET message = message || '（改）' WHERE run_id = ? AND report_id = ?", [run_id, report_id])
    con.close()
    assert read() == before                             # stored: unchanged until refreshed
    con = db.connect(path)
    digests.refresh(con, run_id)
    con.close()
    after = read()
    assert {rid for rid in before if before[rid] != after[rid]} == {report_id}
