"""The nightly flows end to end under one Prefect test harness (started once for this module),
plus the task functions through ``.fn`` without any server."""
from __future__ import annotations

import random
import shutil

import duckdb
import pytest

from conftest import REPO
from synth.render import ReportSpec, consistent_cells, render_html, render_txt
from warehouse import db

SEED = REPO / "examples" / "2020_xiangcheng_zhen.txt"
REGISTER = "body_id,name,kind,parent_id,aliases\nX01,相城镇人民政府,township,GA,\nX02,城关镇人民政府,township,GA,城关镇\n" \
           "X03,东湖街道办事处,street,GA,\n"


# Each body writes its own sections 一 and 五 (identical default prose would be DUP-PEER copying).
OWN_PROSE = {
    "城关镇": {1: "城关镇坚持把政务公开作为转变政府职能的重要抓手，主动公开、依申请公开、政府信息管理、"
                 "平台建设和监督保障各项工作稳步推进，镇政府网站栏目持续优化。",
            5: "存在的问题是基层公开内容不够细。下一步将加强培训，提升公开质量，完善村务公开栏。"},
    "东湖": {1: "东湖街道围绕民生关切做好主动公开，规范依申请公开办理流程，加强政府信息管理和公开平台建设，"
                "把监督保障落到实处，社区公开栏定期更新。",
           5: "问题主要在于社区层面公开形式单一。改进措施：推动社区公开栏标准化，开展专项检查。"},
}


def _clean_cells(seed: int) -> dict:
    cells = consistent_cells("2021", random.Random(seed))
    cells.update({k: 0 for k in cells if k.startswith("t2.rules.")})
    return cells


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    shutil.copy(SEED, root / SEED.name)
    (root / "chengguan_2022.html").write_text(
        render_html(ReportSpec("城关镇人民政府", 2022, "2021", _clean_cells(1), OWN_PROSE["城关镇"])), encoding="utf-8")
    broken = _clean_cells(2)
    broken["t3.result_total.total"] += 1  # an injected arithmetic error: T3-BALANCE and T3-RESULT-SUM fail
    (root / "donghu_2022.txt").write_text(
        render_txt(ReportSpec("东湖街道办事处", 2022, "2021", broken, OWN_PROSE["东湖"])), encoding="utf-8")
    (root / "register.csv").write_text(REGISTER, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


def _count(path, table):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    finally:
        con.close()


def _run(folder, workdir, **extra):
    from flows.nightly import nightly

    return nightly(inputs=[str(folder)], db=str(workdir / "w.duckdb"), register=str(folder / "register.csv"),
                   docs=str(workdir / "docs"), out=str(workdir / "out"), years=[2022], **extra)


def _flow_runs(flow_name: str) -> int:
    """How many runs of the flow named so the (test) Prefect server knows."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        return len(client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])), limit=200))


def test_tasks_work_without_a_server(folder, tmp_path):
    from flows.nightly import hash_chunk, parse_chunk

    paths = sorted(p for p in folder.iterdir() if p.suffix in (".txt", ".html"))
    hashed = hash_chunk.fn(paths)
    assert [h.path for h in hashed] == paths
    described = parse_chunk.fn(paths, tmp_path / "raw")
    reports = [d.report for d in described]
    assert [r.report_id for r in reports] == [h.sha256 for h in hashed]
    assert [d.facts["report_id"] for d in described] == [h.sha256 for h in hashed], "each with its own facts"
    [staged] = {d.cells_file for d in described}
    ids = {row[0] for row in duckdb.connect().execute("SELECT DISTINCT report_id FROM read_parquet(?)", [staged]).fetchall()}
    assert ids == {d.report.report_id for d in described}, "and their cell rows, staged by the worker"
    assert all((tmp_path / "raw" / r.report_id[:2] / r.report_id).exists() for r in reports)


class _RecordingTask:
    """Stands in for a Prefect task: records what ``submit`` was given, runs the chunk function at once."""

    def __init__(self, fn) -> None:  # noqa: ANN001
        self.fn, self.given = fn, []

    def submit(self, chunk, *args):  # noqa: ANN001, ANN201
        from concurrent.futures import Future

        self.given.append(chunk)
        future: Future = Future()
        future.set_result(self.fn(chunk.unquote() if hasattr(chunk, "unquote") else chunk, *args))
        return future


@pytest.mark.parametrize("distributed", [False, True])
def test_chunks_are_quoted_for_local_tasks_and_plain_for_dask(folder, monkeypatch, distributed):
    """Locally a chunk reaches its task ``quote``-d (Prefect does not visit its paths one by one); Prefect's
    Dask runner would hand a quote over still wrapped, so there the chunk goes as a plain list."""
    from prefect.utilities.annotations import quote

    from flows import nightly
    from xxgk import pipeline
    from xxgk.settings import RunSettings

    recording = _RecordingTask(pipeline.hash_chunk)
    monkeypatch.setitem(nightly._TASKS, pipeline.hash_chunk, recording)  # noqa: SLF001
    monkeypatch.setattr(nightly, "as_completed", lambda futures: iter(futures))
    paths = sorted(folder.iterdir())
    hashed = nightly._map_tasks(RunSettings((folder,), folder / "w.duckdb"), distributed)(  # noqa: SLF001
        pipeline.hash_chunk, paths, "hash")
    assert [h.path for h in hashed] == paths
    assert all(isinstance(c, list) and not isinstance(c, quote) for c in recording.given) if distributed \
        else all(isinstance(c, quote) for c in recording.given)


@pytest.fixture(scope="module")
def first_run(harness, folder, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("run")
    outcome = _run(folder, workdir)
    return workdir, outcome


def test_first_run_fills_the_contract_tables(first_run):
    workdir, outcome = first_run
    path = workdir / "w.duckdb"
    assert outcome["n_files"] == 3 and outcome["n_parsed"] == 3
    for table in ("bodies", "reports", "cells", "findings", "runs"):
        assert _count(path, table) > 0, table
    con = duckdb.connect(str(path), read_only=True)
    rows = con.execute("SELECT body_id, body_name, year, n_errors, rule_ids FROM audit_list").fetchall()
    matched = con.execute("SELECT count(*) FROM reports WHERE body_id IS NOT NULL").fetchall()[0][0]
    con.close()
    assert matched == 3, "every report matched to the register"
    donghu = [r for r in rows if r[1] == "东湖街道办事处"]
    assert donghu and donghu[0][0] == "X03" and donghu[0][3] >= 1 and "T3-BALANCE" in donghu[0][4]
    assert not [r for r in rows if r[1] == "城关镇人民政府"], "the clean report is not on the audit list"
    missing = [r for r in rows if r[1] == "相城镇人民政府" and r[2] == 2022]
    assert missing and "REG-MISSING" in missing[0][4], "a registered body without a 2022 report is listed"
    assert outcome["missing_filings"]["non_compliant"] >= 1, "a missing filing is counted as a body-year"
    assert sum(outcome["verdicts"].values()) == 3, "份 counts the three reports, not the missing filings"
    assert (workdir / "out" / "portal" / "index.html").exists(), "the report site is built by the summary flow"
    assert outcome["docs"] and (workdir / "out" / "audit_list.xlsx").exists()
    header = (workdir / "out" / "audit_list.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("机关编码,机关名称,年度,错误数,警示数")


def test_second_run_adds_findings_but_no_duplicates(first_run, folder):
    workdir, _ = first_run
    path = workdir / "w.duckdb"
    before = {t: _count(path, t) for t in ("reports", "cells", "findings", "runs")}
    flow_runs_before = {name: _flow_runs(name) for name in ("ingest", "validate", "summary")}
    outcome = _run(folder, workdir)
    assert outcome["n_parsed"] == 0 and outcome["n_carried"] == 3
    assert {name: _flow_runs(name) - flow_runs_before[name] for name in flow_runs_before} == \
        {"ingest": 1, "validate": 0, "summary": 1}, "nothing changed: nothing to validate, no validation subflow"
    after = {t: _count(path, t) for t in ("reports", "cells", "findings", "runs")}
    assert after["reports"] == before["reports"] and after["cells"] == before["cells"]
    assert after["runs"] == before["runs"] + 1
    assert after["findings"] == before["findings"] + before["findings"] // before["runs"]


def test_waived_finding_stays_waived(first_run, folder):
    workdir, _ = first_run
    path = workdir / "w.duckdb"
    con = db.connect(path)
    fingerprints = [r[0] for r in con.execute(
        "SELECT fingerprint FROM open_findings WHERE body_name = '东湖街道办事处'").fetchall()]
    for fp in fingerprints:
        db.add_review(con, fp, "waived", "经核实已更正", "审核员")
    con.close()
    _run(folder, workdir)
    con = duckdb.connect(str(path), read_only=True)
    listed = con.execute("SELECT count(*) FROM audit_list WHERE body_name = '东湖街道办事处'").fetchall()[0][0]
    reviews = con.execute("SELECT count(*) FROM reviews").fetchall()[0][0]
    con.close()
    assert listed == 0 and reviews == len(fingerprints) > 0


def test_killed_load_leaves_the_warehouse_as_it_was(first_run, folder, monkeypatch, tmp_path):
    from xxgk.cli import main

    workdir, _ = first_run
    path = workdir / "w.duckdb"
    extra = folder.parent / "extra_reports"
    extra.mkdir(exist_ok=True)
    (extra / "new.txt").write_text(render_txt(ReportSpec("城关镇人民政府", 2023, "2021", _clean_cells(9))),
                                   encoding="utf-8")
    before = {t: _count(path, t) for t in ("reports", "cells", "findings", "runs")}
    original = db._insert

    def crash(con, table, frame):
        original(con, table, frame)
        if table == "findings":
            raise KeyboardInterrupt("killed during load")

    monkeypatch.setattr(db, "_insert", crash)
    args = ["run", str(folder), str(extra), "--db", str(path), "--docs", str(workdir / "docs"),
            "--out", str(workdir / "out"), "--years", "2022", "--register", str(folder / "register.csv")]
    assert main(args) == 2
    assert {t: _count(path, t) for t in before} == before
    monkeypatch.setattr(db, "_insert", original)
    assert main(args) in (0, 1), "the next run completes"
    assert _count(path, "reports") == before["reports"] + 1
    assert _count(path, "runs") == before["runs"] + 1


def test_serve_registers_the_deployment_with_cron_and_timezone(harness):
    from prefect.client.orchestration import get_client

    from flows.deploy import build_deployment

    deployment_id = build_deployment({"inputs": ["reports"]}).apply()
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment(deployment_id)
    schedule = deployment.schedules[0].schedule
    assert (schedule.cron, schedule.timezone) == ("0 2 * * *", "Asia/Shanghai")
    assert deployment.name == "nightly" and deployment.parameters == {"inputs": ["reports"]}



def test_serve_in_process_runs_a_due_run_of_the_deployment_here(harness, folder, tmp_path):
    """``xxgk serve --in-process``: a run of the deployment that is due is claimed and run in this process by
    Prefect's flow engine (recorded on the server as that flow run, completed); nothing else is due after it,
    and a run scheduled for later is left alone."""
    import datetime

    from prefect.client.orchestration import get_client
    from prefect.states import Scheduled

    from flows.deploy import build_deployment
    from flows.serve_here import run_due

    parameters = {"inputs": [str(folder)], "db": str(tmp_path / "w.duckdb"), "register": str(folder / "register.csv"),
                  "docs": str(tmp_path / "docs"), "out": str(tmp_path / "out"), "years": [2022]}
    deployment_id = build_deployment(parameters, name="nightly-here").apply()
    later = Scheduled(scheduled_time=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=6))
    with get_client(sync_client=True) as client:
        due = client.create_flow_run_from_deployment(deployment_id)
        client.create_flow_run_from_deployment(deployment_id, state=later)
    assert run_due(deployment_id) == [due.id]
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(due.id).state.is_completed()
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT flow_run_id FROM runs").fetchall() == [(str(due.id),)]
    finally:
        con.close()
    assert run_due(deployment_id) == []


def test_snapshot_for_analysts_is_refreshed(first_run):
    workdir, _ = first_run
    snapshot = db.snapshot_path(workdir / "w.duckdb")
    assert snapshot.exists()
    assert _count(snapshot, "runs") == _count(workdir / "w.duckdb", "runs")


def test_a_reader_holding_the_warehouse_makes_the_run_fail_loudly(first_run, folder, capsys):
    import subprocess
    import sys

    from xxgk.cli import main

    workdir, _ = first_run
    path = workdir / "w.duckdb"
    runs = _count(path, "runs")
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(path)!r}); "
                               "print('held', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        code = main(["run", str(folder), "--db", str(path), "--docs", str(workdir / "docs"),
                     "--out", str(workdir / "out"), "--wait", "2"])
    finally:
        holder.kill()
        holder.wait()
    assert code == 2
    assert "占用" in capsys.readouterr().err
    assert _count(path, "runs") == runs


def test_a_second_run_waits_then_exits_two(first_run, folder, capsys):
    from xxgk.cli import main
    from xxgk.settings import RunSettings

    workdir, _ = first_run
    path = workdir / "w.duckdb"
    holding = RunSettings(inputs=(folder,), db=path, lock_wait=1)
    with holding.run_lock():
        code = main(["run", str(folder), "--db", str(path), "--docs", str(workdir / "docs"),
                     "--out", str(workdir / "out"), "--wait", "1"])
    assert code == 2
    assert "另一次运行" in capsys.readouterr().err


def test_unwritable_output_is_a_clear_error_and_changes_nothing(first_run, folder, tmp_path, capsys):
    from xxgk.cli import main

    workdir, _ = first_run
    path = workdir / "w.duckdb"
    before = {t: _count(path, t) for t in ("reports", "findings", "runs")}
    blocked = tmp_path / "not_a_folder"
    blocked.write_text("a file where the output folder should be")
    code = main(["run", str(folder), "--db", str(path), "--docs", str(workdir / "docs"), "--out", str(blocked)])
    assert code == 2
    assert "无法写入" in capsys.readouterr().err
    assert {t: _count(path, t) for t in before} == before


def test_reviews_survive_reruns_and_republishing_reopens(harness, tmp_path):
    """A waived finding stays waived over three re-runs and a re-ingest of the same bytes; a corrected
    report (new numbers) gets a new fingerprint, is open again, and the audit list says it was re-published."""
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "register.csv").write_text(REGISTER, encoding="utf-8")
    cells = _clean_cells(4)
    cells["t4.review.total"] += 1  # T4-SUMS fails
    report = folder / "donghu_2022.txt"
    report.write_text(render_txt(ReportSpec("东湖街道办事处", 2022, "2021", cells, OWN_PROSE["东湖"])), encoding="utf-8")
    workdir = tmp_path / "work"
    _run(folder, workdir)
    path = workdir / "w.duckdb"
    con = db.connect(path)
    fingerprint = con.execute("SELECT fingerprint FROM open_findings WHERE rule_id = 'T4-SUMS'").fetchall()[0][0]
    db.add_review(con, fingerprint, "waived", "复议总计已另行更正", "李四")
    con.close()
    for _ in range(3):
        _run(folder, workdir)
    (folder / "copy_of_donghu_2022.txt").write_bytes(report.read_bytes())  # the same bytes again
    _run(folder, workdir)
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT decision, reason FROM latest_reviews WHERE fingerprint = ?",
                       [fingerprint]).fetchall() == [("waived", "复议总计已另行更正")]
    assert con.execute("SELECT count(*) FROM audit_list WHERE body_name = '东湖街道办事处'").fetchall()[0][0] == 0
    con.close()
    (folder / "copy_of_donghu_2022.txt").unlink()
    cells["t4.review.total"] += 1  # re-published with different (still wrong) numbers
    report.write_text(render_txt(ReportSpec("东湖街道办事处", 2022, "2021", cells, OWN_PROSE["东湖"])), encoding="utf-8")
    _run(folder, workdir)
    con = duckdb.connect(str(path), read_only=True)
    rows = con.execute("SELECT rule_ids, republished FROM audit_list WHERE body_name = '东湖街道办事处'").fetchall()
    new_fp = con.execute("SELECT fingerprint FROM open_findings WHERE rule_id = 'T4-SUMS'").fetchall()[0][0]
    con.close()
    assert rows and "T4-SUMS" in rows[0][0] and rows[0][1] is True
    assert new_fp != fingerprint
