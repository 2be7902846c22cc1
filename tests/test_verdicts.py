"""Honest verdicts: 不合规 / 待核实 / 合规 per report (``rules.verdicts``), the warehouse view
``report_verdicts`` that mirrors it, every input file accounted for (``run_files``), and ``xxgk check --json``."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from conftest import REPO
from parsing.model import SCANNED_NOTE
from rules.verdicts import missing_verdict, report_verdict
from warehouse import db
from xxgk import stages
from xxgk.settings import RunSettings

SEED = REPO / "examples" / "2020_xiangcheng_zhen.txt"
CITY = REPO / "examples" / "city"


@dataclass(frozen=True)
class F:
    rule_id: str
    status: str
    severity: str = "error"
    message: str = "说明"
    fingerprint: str = ""
    locators: tuple[str, ...] = ()


def test_an_error_fail_on_read_numbers_is_non_compliant_even_with_other_rules_unassessed() -> None:
    v = report_verdict("ok", [F("T3-BALANCE", "fail", message="表三不平衡"), F("T4-SUMS", "not_assessable")])
    assert v.verdict == "non_compliant" and v.label == "不合规"
    assert v.reasons[0] == "T3-BALANCE 表三不平衡" and v.reasons[1].startswith("无法判断：T4-SUMS")


def test_an_unassessed_error_rule_is_needs_review_never_compliant() -> None:
    v = report_verdict("partial", [F("T3-BALANCE", "not_assessable", message="无法判断：14 个单元格缺失"),
                                   F("STR-SECTIONS", "pass")])
    assert v.verdict == "needs_review" and v.reasons == ("无法判断：T3-BALANCE 14 个单元格缺失",)


def test_warnings_never_change_the_verdict() -> None:
    v = report_verdict("ok", [F("STR-SECTIONS", "pass"), F("DUP-PEER", "fail", severity="warning"),
                              F("X-CARRY", "not_assessable", severity="warning")])
    assert v.verdict == "compliant" and v.reasons == ()


def test_a_waived_fail_does_not_count() -> None:
    v = report_verdict("ok", [F("T3-BALANCE", "fail", fingerprint="abc")], waived={"abc"})
    assert v.verdict == "compliant"


def test_context_rules_are_caveats_not_pending() -> None:
    """REG-LATE without a publication date, REG-MISSING without a register: the document was checked."""
    v = report_verdict("ok", [F("REG-LATE", "not_assessable", message="无法判断：报告中未见发布日期"),
                              F("T3-BALANCE", "pass")])
    assert v.verdict == "compliant" and v.reasons == ("未核对：REG-LATE 报告中未见发布日期",)


def test_a_file_that_could_not_be_read_is_needs_review_with_its_problem() -> None:
    v = report_verdict("failed", [F("T3-BALANCE", "not_assessable")], problems=["内容不是 PDF 文件"])
    assert v.verdict == "needs_review" and "内容不是 PDF 文件" in v.reasons[0]
    assert report_verdict("unsupported", [], problems=["暂不支持 .doc"]).verdict == "needs_review"


def test_a_fail_on_digits_read_by_ocr_is_needs_review_not_non_compliant() -> None:
    scanned = F("T3-BALANCE", "fail", message="表三不平衡", locators=("第2页 OCR表格1第3行第2格 置信度 91",))
    v = report_verdict("ok", [scanned, F("STR-SECTIONS", "pass")])
    assert v.verdict == "needs_review" and v.reasons[0].startswith("需对照原件核实") and "T3-BALANCE" in v.reasons[0]
    printed = F("T4-SUMS", "fail", message="表四不符", locators=("第3页 表四",))
    assert report_verdict("ok", [scanned, printed]).verdict == "non_compliant"


def test_in_a_scanned_report_a_fail_naming_no_printed_cell_is_needs_review() -> None:
    """A section 'not found' in a scan may be a heading OCR garbled: the original must be looked at."""
    sections = F("STR-SECTIONS", "fail", message="缺少第四部分")
    assert report_verdict("partial", [sections], problems=[f"{SCANNED_NOTE}（第1页）"]).verdict == "needs_review"
    assert report_verdict("partial", [sections], problems=["未找到第四部分"]).verdict == "non_compliant"


def test_a_missing_report_is_non_compliant_after_the_deadline_and_pending_before() -> None:
    assert missing_verdict(F("REG-MISSING", "fail", message="未发现")).verdict == "non_compliant"
    assert missing_verdict(F("REG-MISSING", "not_assessable", message="无法判断：期限未到")).verdict == "needs_review"


# ---------------------------------------------------------------- the view mirrors the function

RULES = ["STR-SECTIONS", "T3-BALANCE", "REG-LATE", "REG-MISSING", "DUP-PEER"]
finding = st.tuples(st.sampled_from(["pass", "fail", "not_assessable", "not_applicable"]), st.booleans(),
                    st.sampled_from(["ocr", "printed", "none"]))
WHERE = {"ocr": ("第1页 OCR表格1第2行第3格 置信度 90",), "printed": ("第1页 表三",), "none": ()}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    con = db.connect(tmp_path_factory.mktemp("view") / "w.duckdb")
    yield con
    con.close()


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parse_status=st.sampled_from(["ok", "partial", "failed"]), scanned=st.booleans(),
       statuses=st.lists(finding, min_size=len(RULES), max_size=len(RULES)))
def test_the_view_gives_the_same_verdict_and_reasons_as_the_function(warehouse, parse_status, scanned,
                                                                      statuses) -> None:
    con = warehouse
    for table in ("runs", "reports", "findings", "reviews"):
        con.execute(f"DELETE FROM {table}")
    con.execute("INSERT INTO runs (run_id, started_at, status) VALUES ('r1', ?, 'completed')", [datetime(2026, 1, 1)])
    problems = ([f"{SCANNED_NOTE}（第1页）"] if scanned else []) + ["读取问题一", "读取问题二"]
    con.execute("INSERT INTO reports (report_id, parse_status, ingested_at, problems) VALUES ('a', ?, now(), ?)",
                [parse_status, problems])
    found = []
    for rule, (status, waived, scanned_cells) in zip(RULES, statuses):
        severity = "warning" if rule == "DUP-PEER" else "error"
        where = WHERE[scanned_cells]
        found.append(F(rule, status, severity, f"无法判断：{rule} 的说明", f"fp-{rule}", where))
        con.execute("INSERT INTO findings (run_id, report_id, rule_id, status, severity, message, fingerprint, "
                    "locators) VALUES ('r1', 'a', ?, ?, ?, ?, ?, ?)",
                    [rule, status, severity, f"无法判断：{rule} 的说明", f"fp-{rule}", list(where)])
        if waived:
            con.execute("INSERT INTO reviews VALUES (?, 'waived', '核实', '张三', now())", [f"fp-{rule}"])
    waived_fps = {f"fp-{r}" for r, (_, w, _) in zip(RULES, statuses) if w}
    expected = report_verdict(parse_status, found, waived_fps, problems)
    row = con.execute("SELECT verdict, reasons FROM report_verdicts WHERE report_id = 'a'").fetchall()
    assert row == [(expected.verdict, list(expected.reasons))]


# ---------------------------------------------------------------- a run accounts for every file


@pytest.fixture()
def mixed(tmp_path, monkeypatch: pytest.MonkeyPatch) -> RunSettings:
    """The seed report, a good city report, an .ofd and a .jpg (no reader opens them), a broken PDF, an empty
    file and a register."""
    monkeypatch.setenv("XXGK_PARSE_WORKERS", "0")
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(SEED, inputs / SEED.name)
    shutil.copy(CITY / "2022" / "county01-street01.html", inputs / "county01-street01.html")
    (inputs / "报告.ofd").write_bytes(b"PK\x03\x04" + b"\0" * 600)
    (inputs / "扫描件.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\1" * 600)
    (inputs / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "register.csv").write_text("body_id,name\n", encoding="utf-8")
    return RunSettings((inputs,), tmp_path / "w.duckdb", docs=tmp_path / "docs", out_dir=tmp_path / "out",
                       engine="bare")


def test_every_input_file_is_accounted_for_and_none_is_compliant_unread(mixed: RunSettings) -> None:
    outcome = stages.run_plain(mixed)
    assert outcome["files"] == {"found": 6, "ok": 1, "partial": 1, "failed": 2, "unsupported": 2, "ignored": 1,
                                "new": 6, "unchanged": 0}
    listed = {p["path"].rsplit("/", 1)[-1]: p["outcome"] for p in outcome["problem_files"]}
    assert listed == {"报告.ofd": "unsupported", "扫描件.jpg": "unsupported", "broken.pdf": "failed",
                      "empty.txt": "failed", SEED.name: "partial"}
    assert all(p["reason"] for p in outcome["problem_files"])
    con = duckdb.connect(str(mixed.db), read_only=True)
    try:
        verdicts = dict(con.execute("SELECT report_id, verdict FROM report_verdicts").fetchall())
        run = con.execute("SELECT n_found, n_ok, n_partial, n_failed, n_unsupported FROM runs").fetchall()
    finally:
        con.close()
    assert run == [(6, 1, 1, 2, 2)]
    assert len(verdicts) == 6 and list(verdicts.values()).count("needs_review") == 5  # the seed too
    assert outcome["verdicts"] == {"non_compliant": 0, "needs_review": 5, "compliant": 1}
    assert (mixed.raw_root).exists() and sum(1 for _ in mixed.raw_root.rglob("*") if _.is_file()) >= 5


def test_an_unchanged_rerun_keeps_the_data_docs_of_the_findings_it_carries(mixed: RunSettings) -> None:
    first = stages.run_plain(mixed)
    con = duckdb.connect(str(mixed.db))
    con.execute("UPDATE runs SET docs_path = 'out/docs/first/index.html'")
    con.close()
    again = stages.run_plain(mixed)
    assert again["n_parsed"] == 0 and again["files"]["unchanged"] == 4 and first["files"]["new"] == 6
    con = duckdb.connect(str(mixed.db), read_only=True)
    try:
        paths = con.execute("SELECT docs_path FROM runs ORDER BY started_at").fetchall()
    finally:
        con.close()
    assert paths == [("out/docs/first/index.html",), ("out/docs/first/index.html",)]


def test_check_json_gives_each_file_a_verdict_with_reasons(tmp_path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    out = subprocess.run([sys.executable, "-m", "xxgk.cli", "check", "--engine", "bare", "--json", str(SEED),
                          str(CITY / "2022" / "county01-street01.html"), str(bad)], capture_output=True, text=True,
                         cwd=REPO, timeout=120)
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    verdicts = {line["file"].rsplit("/", 1)[-1]: line["verdict"] for line in lines}
    assert verdicts == {SEED.name: "needs_review", "county01-street01.html": "compliant", "bad.pdf": "needs_review"}
    seed = next(line for line in lines if line["file"].endswith(SEED.name))
    assert any("T3-BALANCE" in reason for reason in seed["verdict_reasons"])
    assert out.returncode == 2  # a file could not be read


def test_a_withdrawn_report_is_shown_on_the_site(mixed: RunSettings) -> None:
    """Issue 18: a report whose file is gone keeps its history and the site says it was withdrawn."""
    stages.run_plain(mixed)
    (mixed.inputs[0] / "county01-street01.html").unlink()
    again = stages.run_plain(mixed)
    assert again.get("n_withdrawn") == 1
    site = (mixed.out_dir / "portal" / "index.html").read_text(encoding="utf-8")
    assert "已撤回的报告（1 份）" in site and "county01-street01.html" in site and "年度视为未公布" in site
