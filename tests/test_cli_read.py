"""``xxgk sql``, ``xxgk audit`` (list, --findings, --pending), ``xxgk review`` and the audit list files."""
from __future__ import annotations

import csv
import getpass
import io
import json

import duckdb
import pytest

from warehouse import db
from warehouse_fixture import REPORT_B, add_verdicts_view, build
from xxgk import terminal
from xxgk.cli import main


@pytest.fixture
def warehouse(tmp_path):
    return build(tmp_path / "warehouse" / "xxgk.duckdb")


def _query(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_sql_in_three_formats(warehouse, capsys):
    query = "SELECT body_name, year, n_errors, rule_ids FROM audit_list ORDER BY body_name"
    assert main(["sql", query, "--db", str(warehouse), "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["body_name"]: r["rule_ids"] for r in rows} == {"东湖街道办事处": ["S6-FEE", "T3-BALANCE"],
                                                             "西山镇人民政府": ["REG-MISSING"]}
    assert main(["sql", query, "--db", str(warehouse), "--format", "csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["body_name"] for r in table] == ["东湖街道办事处", "西山镇人民政府"]
    assert main(["sql", query, "--db", str(warehouse)]) == 0
    out = capsys.readouterr()
    assert "东湖街道办事处" in out.out and "2 行" in out.err and "xxgk_snapshot.duckdb" in out.err


def test_sql_cannot_write_and_says_why(warehouse, capsys):
    assert main(["sql", "DELETE FROM reviews", "--db", str(warehouse)]) == 2
    assert "只能查询" in capsys.readouterr().err
    assert main(["sql", "SELEC 1", "--db", str(warehouse)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("xxgk sql: SQL 错误") and "Traceback" not in err


def test_audit_findings_give_the_fingerprint_review_takes(warehouse, capsys, monkeypatch):
    assert main(["audit", "--findings", "--db", str(warehouse), "--format", "json"]) == 0
    found = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {f["fingerprint"] for f in found} == {"fpA1", "fpA2", "fpM1"}  # the not_assessable one is no fail
    first = found[0]
    assert {"fingerprint", "body_name", "year", "rule_id", "message"} <= set(first) and first["severity"] == "error"
    monkeypatch.setattr(getpass, "getuser", lambda: "wangwu")
    assert main(["review", "fpA1", "--waive", "--reason", "已核实：排版错误", "--db", str(warehouse)]) == 0
    assert "复核人 wangwu" in capsys.readouterr().out
    assert _query(warehouse, "SELECT reviewer, reason FROM reviews") == [("wangwu", "已核实：排版错误")]
    # the snapshot is refreshed: the analysts (and xxgk sql) see the decision
    assert _query(db.snapshot_path(warehouse), "SELECT count(*) FROM reviews") == [(1,)]
    assert main(["audit", "--findings", "--db", str(warehouse), "--format", "csv"]) == 0
    assert "fpA1" not in capsys.readouterr().out


def test_review_of_an_unknown_fingerprint_is_a_clear_error(warehouse, capsys):
    assert main(["review", "nope", "--confirm", "--reason", "x", "--reviewer", "张三", "--db", str(warehouse)]) == 2
    err = capsys.readouterr().err
    assert "没有指纹为 nope 的检查结果" in err and "Traceback" not in err


def test_review_never_records_an_anonymous_decision(warehouse, capsys, monkeypatch):
    monkeypatch.setattr(getpass, "getuser", lambda: "")
    assert main(["review", "fpA1", "--confirm", "--reason", "x", "--reviewer", " ", "--db", str(warehouse)]) == 2
    assert "--reviewer" in capsys.readouterr().err
    assert _query(warehouse, "SELECT count(*) FROM reviews") == [(0,)]


def test_audit_pending_lists_reports_that_need_review_with_reasons(warehouse, capsys):
    has_view = _query(warehouse, "SELECT count(*) FROM information_schema.tables "
                                 "WHERE table_name = 'report_verdicts'") == [(1,)]
    if not has_view:  # a warehouse from before migration 007 says so
        assert main(["audit", "--pending", "--db", str(warehouse)]) == 2
        assert "report_verdicts" in capsys.readouterr().err
    add_verdicts_view(warehouse)
    assert main(["audit", "--pending", "--db", str(warehouse), "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["body_name"], r["year"], r["report_id"], r["source_path"]) for r in rows] == \
        [("城关镇人民政府", 2021, REPORT_B, "in/chengguan.txt")]
    assert rows[0]["reasons"] == ["表三未能读取：T3-BALANCE 无法判断", "部分解析"]
    assert main(["audit", "--pending", "--db", str(warehouse)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "● 城关镇人民政府 2021（in/chengguan.txt）"
    assert lines[2:4] == ["    - 表三未能读取：T3-BALANCE 无法判断", "    - 部分解析"]  # every reason, in full


def test_the_audit_list_files_are_formatted_and_carry_the_pending_list(warehouse, tmp_path):
    from openpyxl import load_workbook

    from warehouse.exports import write_audit

    add_verdicts_view(warehouse)
    export = write_audit(warehouse, tmp_path / "out")
    book = load_workbook(export.xlsx)
    assert book.sheetnames == ["整改清单", "待核实"]
    sheet = book["整改清单"]
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["机关编码", "机关名称", "年度"] and all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    col = {h: i for i, h in enumerate(headers)}
    details = [row[col["问题说明"]] for row in sheet.iter_rows(min_row=2)]
    assert all(c.alignment.wrap_text for c in details)
    assert any(c.value.startswith("S6-FEE") or "=1+1" in c.value for c in details)
    assert all(c.data_type == "s" for c in details)  # text starting with “=” stays text, never a formula
    assert {row[col["已重新发布"]].value for row in sheet.iter_rows(min_row=2)} == {"否"}
    widths = {h: sheet.column_dimensions[chr(65 + i)].width for h, i in col.items()}
    assert widths["问题说明"] > widths["机关名称"] > widths["年度"]
    pending = book["待核实"]
    assert [c.value for c in pending[2]][:3] == ["T01", "城关镇人民政府", 2021]
    with open(export.pending_csv, encoding="utf-8-sig") as fh:
        assert [r["机关名称"] for r in csv.DictReader(fh)] == ["城关镇人民政府"]
    assert export.n_bodies == 2 and export.n_rows == 2 and export.n_error_bodies == 2


def test_terminal_table_aligns_chinese_by_display_width():
    text = terminal.table(["机关名称", "年度", "错误数"], [["东湖街道办事处", 2021, 1], ["Xi 镇", 2022, 12]])
    lines = text.splitlines()
    starts = {terminal.display_width(line[:line.index("20")]) for line in lines[2:]}
    assert len(starts) == 1  # the year column starts at the same screen column on every row
    assert terminal.display_width("东湖a") == 5 and terminal.cell_text(True) == "是"
    assert terminal.clip("一二三四五", 6) == "一二…"


def test_report_into_an_unwritable_folder_is_one_clear_line(warehouse, tmp_path, capsys):
    blocked = tmp_path / "not_a_folder"
    blocked.write_text("a file where the output folder should be", encoding="utf-8")
    assert main(["report", "--db", str(warehouse), "--out", str(blocked)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"xxgk report: 无法写入输出文件夹 {blocked}") and len(err.strip().splitlines()) == 1
