"""A small warehouse built without Prefect or GX (``warehouse.db`` directly), for the CLI's reading tests."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from warehouse import db

REPORT_A, REPORT_B = "a" * 64, "b" * 64


def build(path: Path, n_reports: int = 2, run_id: str = "r1") -> Path:
    """A warehouse with one completed run: 东湖街道办事处 2021 fails an error rule (its message starts with “=”,
    as untrusted text may), 城关镇人民政府 2021 passes; a REG-MISSING fail for 西山镇 2021."""
    con = db.connect(path)
    try:
        now = datetime(2026, 1, 1)
        run = db.RunRecord(run_id, now, now, None, n_reports, n_reports, 0, None, "v1")
        db.load_run(con, run, _reports(now), _cells(), _findings(run_id))
    finally:
        con.close()
    db.refresh_snapshot(path)
    return path


def _reports(now: datetime) -> pd.DataFrame:
    return pd.DataFrame([
        {"report_id": REPORT_A, "body_id": "S01", "body_name": "东湖街道办事处", "year": 2021, "parse_status": "ok",
         "ingested_at": now, "source_format": "txt", "source_path": "in/donghu.txt"},
        {"report_id": REPORT_B, "body_id": "T01", "body_name": "城关镇人民政府", "year": 2021,
         "parse_status": "partial", "ingested_at": now, "source_format": "txt", "source_path": "in/chengguan.txt"}])


def _cells() -> pd.DataFrame:
    return pd.DataFrame([{"report_id": REPORT_A, "cell_id": "t3.new.total", "state": "number", "value": 3.0}])


def _findings(run_id: str) -> pd.DataFrame:
    rows = [(REPORT_A, "S01", "东湖街道办事处", "T3-BALANCE", "fail", "error", "=1+1 表三总计 7 ≠ 各项之和 8", "fpA1"),
            (REPORT_A, "S01", "东湖街道办事处", "S6-FEE", "fail", "warning", "第六部分未说明信息处理费", "fpA2"),
            (REPORT_B, "T01", "城关镇人民政府", "T3-BALANCE", "not_assessable", "error", "表三未读到", "fpB1"),
            ("missing:T02:2021", "T02", "西山镇人民政府", "REG-MISSING", "fail", "error", "未发现 2021 年度报告", "fpM1")]
    return pd.DataFrame([{"run_id": run_id, "report_id": r, "body_id": b, "body_name": n, "year": 2021, "rule_id": rule,
                          "status": s, "severity": sev, "message": m, "cell_ids": [], "fingerprint": fp}
                         for r, b, n, rule, s, sev, m, fp in rows])


def add_verdicts_view(path: Path) -> None:
    """``report_verdicts`` as BRIEF.md's contract for migration 007 defines it (replaced, so the test does not
    depend on which rows the real view derives): 城关镇 2021 needs review."""
    con = db.connect(path)
    try:
        con.execute("CREATE OR REPLACE VIEW report_verdicts AS SELECT * FROM (VALUES "
                    f"('{REPORT_A}', 'S01', '东湖街道办事处', 2021, 'non_compliant', ['T3-BALANCE 不通过']), "
                    f"('{REPORT_B}', 'T01', '城关镇人民政府', 2021, 'needs_review', "
                    "['表三未能读取：T3-BALANCE 无法判断', '部分解析'])) "
                    "AS v(report_id, body_id, body_name, year, verdict, reasons)")
    finally:
        con.close()
    db.refresh_snapshot(path)
