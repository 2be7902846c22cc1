"""整改通知 drafts fit for an official letter (issue 14, item 9): A4 with GB/T 9704 margins and named Chinese
fonts, cells by printed name, reports by title and publication, no rule ids or severity words in the letter,
the date in Beijing time, wording by kind of problem, withdrawn drafts and an index of the current ones."""
from __future__ import annotations

import csv
import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from docx.shared import Mm

import portal
from portal import notices
from portal.cellnames import cell_name, humanize
from rules.catalogue import catalogue
from test_portal import _copy_warehouse, warehouse  # noqa: F401 - the shared synthetic warehouse
from warehouse import db

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CELL_ID = re.compile(r"(prev\.)?t[234]\.[a-z_0-9]+\.[a-z_]+")


def _draft(built: dict, name_part: str) -> Path:
    return next(p for p in built["notices"] if name_part in p.name)


def _letter(path: Path) -> str:
    """The letter's paragraphs (not the appendix table)."""
    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def _appendix(path: Path) -> str:
    return "\n".join(c.text for t in Document(str(path)).tables for row in t.rows for c in row.cells)


def test_a4_page_with_gbt9704_margins(warehouse):  # noqa: F811
    for path in warehouse["built"]["notices"]:
        section = Document(str(path)).sections[0]
        assert abs(section.page_width - Mm(210)) < Mm(0.1) and abs(section.page_height - Mm(297)) < Mm(0.1)
        for side, mm in (("top", 37), ("bottom", 35), ("left", 28), ("right", 26)):
            assert abs(getattr(section, f"{side}_margin") - Mm(mm)) < Mm(0.1), (path.name, side)


def test_chinese_fonts_are_named_for_east_asian_text(warehouse):  # noqa: F811
    path = warehouse["built"]["notices"][0]
    doc = Document(str(path))
    fonts = {}
    for name in ("Normal", "通知标题", "通知一级标题", "通知二级标题"):
        r_fonts = doc.styles[name].element.rPr.find(f"{W}rFonts")
        assert r_fonts.get(f"{W}eastAsiaTheme") is None, "a theme font would win over the named one"
        fonts[name] = r_fonts.get(f"{W}eastAsia")
    assert fonts == {"Normal": "仿宋_GB2312", "通知标题": "方正小标宋简体", "通知一级标题": "黑体",
                     "通知二级标题": "楷体_GB2312"}
    assert doc.styles["Normal"].font.size.pt == 16 and doc.styles["通知标题"].font.size.pt == 22
    with zipfile.ZipFile(path) as zf:
        table = zf.read("word/fontTable.xml").decode("utf-8")
        styles = zf.read("word/styles.xml").decode("utf-8")
    for font, substitute in (("仿宋_GB2312", "仿宋"), ("方正小标宋简体", "宋体"), ("楷体_GB2312", "楷体")):
        assert re.search(f'w:name="{font}"><w:altName w:val="{substitute}"', table), font
    assert 'w:eastAsia="zh-CN"' in styles, "East-Asian text is marked Chinese"
    headings = [p.text for p in doc.paragraphs if p.style.name == "通知一级标题"]
    assert headings[:2] == ["一、存在的问题", "二、整改要求"]


def test_letter_names_cells_and_reports_without_ids_or_severity(warehouse):  # noqa: F811
    built, fnd = warehouse["built"], warehouse["findings"]
    rules = catalogue()
    paths = [str(p) for p in fnd.source_path] if "source_path" in fnd else []
    for path in built["notices"]:
        letter = _letter(path)
        assert not CELL_ID.search(letter), (path.name, CELL_ID.search(letter))
        assert not any(rule_id in letter for rule_id in rules), path.name
        assert "错误" not in letter and "警示" not in letter, "no severity words in the letter"
        assert not any(p and p in letter for p in paths)
        assert ".txt" not in letter and ".html" not in letter, "the report is never named by its file"
    west = _letter(_draft(built, "西岭镇"))
    assert "《西岭镇人民政府2022年政府信息公开工作年度报告》" in west
    assert "表三 第一项 本年新收政府信息公开申请数量 · 总计：印为“" in west
    appendix = _appendix(_draft(built, "西岭镇"))
    assert "T3-BALANCE" in appendix and "规则编号" in appendix, "rule ids are kept in the appendix table"


def test_wording_by_kind_of_problem(warehouse):  # noqa: F811
    built = warehouse["built"]
    never = _letter(_draft(built, "石湖镇"))          # 2022 not published: REG-MISSING only
    assert "按时公布" in never and "公布2022年度政府信息公开工作年度报告" in never
    assert "重新公布" not in never and "重新发布" not in never and "更正" not in never
    assert "本次检查未发现你单位2022年度政府信息公开工作年度报告" in never
    wrong = _letter(_draft(built, "西岭镇"))          # arithmetic in 2022
    assert "核实更正并重新公布" in wrong and "按时公布" not in wrong
    assert notices.problem_kind("STR-SECTIONS") == "structure" and "按模板补齐" in notices.requirement("STR-TABLE3")
    assert notices.problem_kind("REG-LATE") == "late" and "按时公布" in notices.requirement("REG-LATE", "2021")
    assert "重新" not in notices.requirement("REG-MISSING", "2021")


def test_date_is_beijing_today(warehouse, tmp_path):  # noqa: F811
    before = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    paths = notices.write_notices(warehouse["db"], tmp_path / "n")
    after = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    texts = {p.text for p in Document(str(paths[0])).paragraphs}
    assert any(f"{d.year}年{d.month}月{d.day}日" in texts for d in (before, after))


def test_waived_notice_is_withdrawn_and_the_index_lists_current_drafts(warehouse, tmp_path):  # noqa: F811
    path = _copy_warehouse(warehouse, tmp_path)
    first = portal.build_all(path, tmp_path / "out")
    west = _draft(first, "西岭镇")
    index = first["notices_index"]
    assert index == first["notices_dir"] / "index.html" and west.name in index.read_text(encoding="utf-8")
    fnd = warehouse["findings"]
    con = db.connect(path)
    for fingerprint in fnd[(fnd.body_id == "320101102") & (fnd.status == "fail")].fingerprint:
        db.add_review(con, fingerprint, "waived", "经核实无误", "李四")
    con.close()
    second = portal.build_all(path, tmp_path / "out")
    assert not west.exists() and (west.parent / "已撤销" / west.name).is_file()
    assert west not in second["notices"] and len(second["notices"]) == len(first["notices"]) - 1
    with open(second["notices_dir"] / "index.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    current = {r["文件"] for r in rows if r["状态"] == "现行"}
    assert current == {p.name for p in second["notices"]}
    withdrawn = [r for r in rows if r["状态"] == "已撤销"]
    assert [r["机关"] for r in withdrawn] == ["西岭镇人民政府"] and "豁免" in withdrawn[0]["说明"]
    site = second["site"].read_text(encoding="utf-8")
    assert "整改通知清单" in site


def test_cell_names_follow_the_printed_template():
    assert cell_name("t3.denied_1.natural", "2021") == "表三 第三项（三）1. 属于国家秘密 · 自然人"
    assert cell_name("t3.result_total.total", "2021") == "表三 第三项（七）总计 · 总计"
    assert cell_name("prev.t3.carried_out.total", None, 2022).startswith("上年报告表三 第四项")
    assert cell_name("t4.review.upheld", "2019") == "表四 行政复议 · 结果维持"
    assert cell_name("no.such.cell") == "no.such.cell"
    assert "t3." not in humanize("缺失（t3.new.total、prev.t3.carried_out.natural等）")


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdfinfo") is None,
                    reason="LibreOffice (soffice) and poppler (pdfinfo) are not installed")
def test_libreoffice_reads_the_draft_as_an_a4_letter(warehouse, tmp_path):  # noqa: F811
    source = _draft(warehouse["built"], "西岭镇")
    copy = tmp_path / "draft.docx"
    copy.write_bytes(source.read_bytes())
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(copy)], check=True, capture_output=True, timeout=180)
    info = subprocess.run(["pdfinfo", str(tmp_path / "draft.pdf")], check=True, capture_output=True, text=True,
                          timeout=60).stdout
    assert "(A4)" in info and int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 2
