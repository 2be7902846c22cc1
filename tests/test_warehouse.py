"""Warehouse schema, migrations, loads and reviews (no Prefect, no GX)."""
from __future__ import annotations

import re
from datetime import datetime

import duckdb
import pandas as pd
import pytest

from conftest import SHARED
from warehouse import db

CONTRACT = SHARED / "reference" / "warehouse-contract.md"


def _columns(con, relation):
    return {row[0] for row in con.execute(f"DESCRIBE {relation}").fetchall()}


def test_contract_names_exist(tmp_path):
    if not CONTRACT.exists():
        pytest.skip("../shared/reference is not present")
    con = db.connect(tmp_path / "w.duckdb")
    text = CONTRACT.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| (table|view) \| (.+) \|$", text, re.M)
    assert len(rows) == 7
    for relation, _kind, keys in rows:
        wanted = set(re.findall(r"`(\w+)`", keys)) - {"fail"}  # `fail` is a status value, not a column
        assert wanted <= _columns(con, relation), (relation, wanted - _columns(con, relation))


def test_migrations_run_once_in_order(tmp_path):
    path = tmp_path / "w.duckdb"
    con = db.connect(path)
    assert db.migrate(con) == []
    versions = [r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()]
    assert versions == sorted(p.stem for p in db.MIGRATIONS.glob("*.sql"))
    con.close()
    assert db.migrate(db.connect(path)) == []


def _run(run_id: str) -> db.RunRecord:
    now = datetime(2026, 1, 1)
    return db.RunRecord(run_id, now, now, None, 1, 1, 0, None, "v1")


def _frames(report_id: str, run_id: str, status: str = "fail"):
    reports = pd.DataFrame([{"report_id": report_id, "body_name": "某镇人民政府", "year": 2021, "parse_status": "ok",
                             "ingested_at": datetime(2026, 1, 1), "source_format": "txt"}])
    cells = pd.DataFrame([{"report_id": report_id, "cell_id": "t4.review.total", "state": "number", "value": 1.0}])
    findings = pd.DataFrame([{"run_id": run_id, "report_id": report_id, "year": 2021, "rule_id": "T4-SUMS",
                              "status": status, "severity": "error", "message": "x", "cell_ids": ["t4.review.total"],
                              "fingerprint": "fp1", "body_name": "某镇人民政府"}])
    return reports, cells, findings


def test_rerun_adds_findings_not_duplicates(tmp_path):
    con = db.connect(tmp_path / "w.duckdb")
    db.load_run(con, _run("r1"), *_frames("a" * 64, "r1"))
    db.load_run(con, _run("r2"), *_frames("a" * 64, "r2"))
    count = lambda table: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # noqa: E731
    assert (count("reports"), count("cells"), count("findings"), count("runs")) == (1, 1, 2, 2)


def test_failed_load_leaves_previous_state(tmp_path, monkeypatch):
    con = db.connect(tmp_path / "w.duckdb")
    db.load_run(con, _run("r1"), *_frames("a" * 64, "r1"))
    original = db._insert

    def crash_on_findings(con_, table, frame):
        original(con_, table, frame)
        if table == "findings":
            raise OSError("disk full")

    monkeypatch.setattr(db, "_insert", crash_on_findings)
    with pytest.raises(OSError):
        db.load_run(con, _run("r2"), *_frames("b" * 64, "r2"))
    count = lambda table: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # noqa: E731
    assert (count("reports"), count("cells"), count("findings"), count("runs")) == (1, 1, 1, 1)


def test_waived_finding_leaves_audit_list_and_survives_reruns(tmp_path):
    con = db.connect(tmp_path / "w.duckdb")
    db.load_run(con, _run("r1"), *_frames("a" * 64, "r1"))
    assert con.execute("SELECT count(*) FROM audit_list").fetchall()[0][0] == 1
    db.add_review(con, "fp1", "waived", "已核实为排版问题", "张三")
    assert con.execute("SELECT count(*) FROM audit_list").fetchall()[0][0] == 0
    db.load_run(con, _run("r2"), *_frames("a" * 64, "r2"))
    assert con.execute("SELECT count(*) FROM audit_list").fetchall()[0][0] == 0
    assert con.execute("SELECT decision, reason FROM reviews").fetchall() == [("waived", "已核实为排版问题")]
    with pytest.raises(db.UnknownFingerprint):
        db.add_review(con, "nope", "confirmed", "x", "张三")
    for reviewer in (None, "", "  "):
        with pytest.raises(ValueError, match="复核人"):
            db.add_review(con, "fp1", "confirmed", "x", reviewer)


def test_second_writer_gets_a_clear_busy_error(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "w.duckdb"
    db.connect(path).close()
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(path)!r}); "
                               "print('held', flush=True); time.sleep(20)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(db.WarehouseBusy, match="占用"):
            db.connect(path, wait_seconds=1)
    finally:
        holder.kill()


def test_raw_archive_is_content_addressed(tmp_path):
    first = db.archive_raw(tmp_path, "ab" + "c" * 62, b"bytes")
    again = db.archive_raw(tmp_path, "ab" + "c" * 62, b"bytes")
    assert first == again == tmp_path / "ab" / ("ab" + "c" * 62)
    assert first.read_bytes() == b"bytes"


def test_a_failed_insert_reports_its_own_error_not_an_aborted_transaction(tmp_path):
    """The real cause (here a duplicate key) reaches the caller; cleaning up the registered frame after
    the failed statement must not replace it with "Current transaction is aborted"."""
    con = db.connect(tmp_path / "w.duckdb")
    duplicate = pd.DataFrame({"report_id": ["r", "r"], "parse_status": ["ok"] * 2,
                              "ingested_at": [datetime(2026, 1, 1)] * 2})
    con.execute("BEGIN TRANSACTION")
    with pytest.raises(Exception, match="(?i)duplicate key|constraint"):
        db._insert(con, "reports", duplicate)
    con.execute("ROLLBACK")
    assert con.execute("SELECT count(*) FROM reports").fetchall()[0][0] == 0
    con.close()


def test_a_column_empty_for_its_first_thousands_of_rows_still_loads(tmp_path):
    """Found at 5,000 reports: the first findings are all passes (no body id, no numbers), so DuckDB's
    sample of the frame saw only None / [] and typed the column NULL; a later value then failed to cast."""
    con = db.connect(tmp_path / "w.duckdb")
    n = 5000
    findings = pd.DataFrame({"run_id": ["r1"] * n, "report_id": [f"rep{i}" for i in range(n)],
                             "body_id": [None] * (n - 1) + ["B1"], "rule_id": ["T3-BALANCE"] * n,
                             "status": ["pass"] * (n - 1) + ["fail"], "severity": ["error"] * n,
                             "fingerprint": ["f"] * n, "expected": [[]] * (n - 1) + [[3.0]],
                             "locators": [[]] * (n - 1) + [["第1行"]]})
    con.execute("BEGIN TRANSACTION")
    db._insert(con, "findings", findings)
    con.execute("COMMIT")
    row = con.execute("SELECT body_id, expected, locators FROM findings WHERE status = 'fail'").fetchall()[0]
    assert row == ("B1", [3.0], ["第1行"])


def test_findings_twice_for_one_report_and_rule_are_refused(tmp_path):
    """``findings`` has no index (migration 006): the load itself refuses a duplicate, writing nothing."""
    con = db.connect(tmp_path / "w.duckdb")
    reports, cells, findings = _frames("a" * 64, "r1")
    with pytest.raises(db.DuplicateFindings, match="同一报告、同一规则"):
        db.load_run(con, _run("r1"), reports, cells, pd.concat([findings, findings]))
    count = lambda table: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # noqa: E731
    assert (count("reports"), count("findings"), count("runs")) == (0, 0, 0)


def test_a_run_is_loaded_once(tmp_path):
    con = db.connect(tmp_path / "w.duckdb")
    db.load_run(con, _run("r1"), *_frames("a" * 64, "r1"))
    with pytest.raises(Exception, match="(?i)duplicate key|constraint"):
        db.load_run(con, _run("r1"), *_frames("b" * 64, "r1"))
    count = lambda table: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # noqa: E731
    assert (count("reports"), count("findings"), count("runs")) == (1, 1, 1)


def test_migration_006_keeps_the_findings(tmp_path):
    """An existing warehouse (migrated up to 005, with findings) keeps every finding after 006."""
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
    for script in sorted(db.MIGRATIONS.glob("*.sql")):
        if script.stem < "006":
            con.execute(script.read_text(encoding="utf-8"))
            con.execute("INSERT INTO schema_migrations VALUES (?, now())", [script.stem])
    con.execute("INSERT INTO runs (run_id, started_at, status) VALUES ('r1', now(), 'completed')")
    findings = _frames("a" * 64, "r1")[2]  # as a loader of that time wrote them
    con.register("old_findings", findings)
    con.execute("INSERT INTO findings BY NAME SELECT * FROM old_findings")
    before = con.execute("SELECT * FROM findings").fetchall()
    assert db.migrate(con)[0] == "006_findings_without_index"
    assert con.execute("SELECT * FROM findings").fetchall() == before
    assert not con.execute("SELECT * FROM duckdb_constraints() WHERE table_name = 'findings' "
                           "AND constraint_type = 'PRIMARY KEY'").fetchall()
    assert con.execute("SELECT count(*) FROM audit_list").fetchall()[0][0] == 1


def _verdicts(con, relation: str = "report_verdicts") -> list[tuple]:
    return sorted(con.execute(f"SELECT report_id, verdict, reasons FROM {relation}").fetchall())


def test_stored_verdicts_are_those_of_the_findings_and_follow_every_review(tmp_path):
    """Migration 013: the load stores each run's verdicts once; ``report_verdicts`` reads them, and gives
    what the findings and reviews say (``report_verdicts_computed``) after a review however it was made."""
    con = db.connect(tmp_path / "w.duckdb")
    db.load_run(con, _run("r1"), *_frames("a" * 64, "r1"))
    assert con.execute("SELECT count(*) FROM run_verdicts WHERE run_id = 'r1'").fetchall() == [(1,)]
    assert _verdicts(con) == _verdicts(con, "report_verdicts_computed") == [("a" * 64, "non_compliant", ["T4-SUMS x"])]
    db.add_review(con, "fp1", "waived", "已核实为排版问题", "张三")
    assert _verdicts(con) == _verdicts(con, "report_verdicts_computed") == [("a" * 64, "compliant", [])]
    con.execute("INSERT INTO reviews VALUES ('fp1', 'confirmed', '复核撤销豁免', '李四', now() + INTERVAL 1 SECOND)")
    assert _verdicts(con) == _verdicts(con, "report_verdicts_computed") == [("a" * 64, "non_compliant", ["T4-SUMS x"])]


def test_findings_staged_in_parquet_load_as_they_were(tmp_path):
    """A large batch's findings wait for the load in a Parquet file (``store.stage_findings``) and arrive in
    ``findings`` exactly as a frame loaded directly would (lists, NULLs, empty lists)."""
    from warehouse import store

    reports, cells, findings = _frames("a" * 64, "r1")
    more = findings.assign(rule_id="T3-BALANCE", status="pass", cell_ids=[[]], fingerprint="fp2", body_name=None,
                           expected=[[1.5, 2.0]], observed=[[]], locators=[["第1页"]])
    frame = pd.concat([findings, more], ignore_index=True)
    direct, staged = db.connect(tmp_path / "direct.duckdb"), db.connect(tmp_path / "staged.duckdb")
    db.load_run(direct, _run("r1"), reports, cells, frame)
    path = db.write_findings_parquet(frame, tmp_path / "findings-x.parquet")
    db.begin_run(staged, reports, cells)
    db.finish_run(staged, _run("r1"), frame.iloc[0:0], finding_files=[str(path)])
    query = "SELECT * FROM findings ORDER BY rule_id"
    assert staged.execute(query).fetchall() == direct.execute(query).fetchall()
    assert isinstance(store.stage_findings(frame, tmp_path / "staging"), pd.DataFrame)  # few rows: kept as they are


def test_sparing_a_core_lowers_duckdbs_threads_for_the_block_only(tmp_path):
    con = db.connect(tmp_path / "w.duckdb")
    threads = lambda: int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])  # noqa: E731
    con.execute("SET threads = 3")
    with db.sparing_a_core(con):
        assert threads() == 2
    assert threads() == 3
    with pytest.raises(RuntimeError), db.sparing_a_core(con):
        raise RuntimeError("the load failed")
    assert threads() == 3
    con.execute("SET threads = 1")
    with db.sparing_a_core(con):
        assert threads() == 1                           # never none
    con.close()


def test_list_columns_travel_as_json_with_missing_kept_missing() -> None:
    """A list column as JSON text for DuckDB's ``from_json``: a missing value (None, NaN) stays NULL, an
    empty list or tuple stays empty, text keeps its Chinese characters."""
    import numpy as np

    from warehouse.db import _as_json

    values = pd.Series([None, float("nan"), np.float64("nan"), [], (), ["第3行", "t3.new.total"], (1.0, 2.5)])
    assert _as_json(values) == [None, None, None, "[]", "[]", '["第3行", "t3.new.total"]', "[1.0, 2.5]"]
