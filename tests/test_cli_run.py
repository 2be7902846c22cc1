"""``xxgk run`` refuses, before any work and before Prefect starts, what would silently empty the audit list:
a mistyped or empty folder, a bad register, a sharp shrink of the input; the run summary and exit codes."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REPO
from warehouse_fixture import build
from xxgk import cli_run
from xxgk.cli import main
from xxgk.errors import UserError

SEED = REPO / "examples" / "2020_xiangcheng_zhen.txt"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project home with a warehouse (one completed run of 2 reports) and an audit list written before."""
    monkeypatch.setenv("XXGK_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    build(tmp_path / "warehouse" / "xxgk.duckdb")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "audit_list.csv").write_text("机关名称,年度\n东湖街道办事处,2021\n", encoding="utf-8")
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "a.txt").write_bytes(SEED.read_bytes())
    return tmp_path


def _state(home):
    """Every file the run could touch (warehouse, snapshot, outputs), not the inputs."""
    return {p: p.read_bytes() for p in sorted(home.rglob("*"))
            if p.is_file() and p.relative_to(home).parts[0] in ("warehouse", "out")}


def test_a_mistyped_folder_exits_two_before_prefect_and_changes_nothing(project):
    before = _state(project)
    code = ("import sys, json; from xxgk.cli import main; c = main(['run', 'exmaples']); "
            "print(json.dumps([c, 'prefect' in sys.modules, 'great_expectations' in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=60)
    assert json.loads(done.stdout.splitlines()[-1]) == [2, False, False]
    assert f"找不到报告文件夹 exmaples（当前目录 {project}" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) <= 2
    assert _state(project) == before  # audit list, warehouse and snapshot byte-identical


def test_an_empty_folder_exits_two_and_names_what_it_holds(project, capsys):
    empty = project / "share"
    empty.mkdir()
    before = _state(project)
    assert main(["run", str(empty)]) == 2
    assert "没有找到报告文件" in capsys.readouterr().err
    (empty / "register.csv").write_text("body_id,name\n", encoding="utf-8")  # no document at all
    (empty / "labels.json").write_text("{}", encoding="utf-8")
    assert main(["run", str(empty)]) == 2
    err = capsys.readouterr().err
    assert ".csv×1" in err and ".json×1" in err
    assert _state(project) == before


@pytest.mark.parametrize(("register", "says"), [
    (None, "找不到机关名录文件"),
    ("id,name\nA,甲镇\n", "缺少列 'body_id'"),
    ("body_id,name,kind\nA,甲镇,township\nA,乙镇,township\n", "机关编码 A 重复（甲镇、乙镇）"),
    ("body_id,name,kind\nA,甲镇,village\n", "未知的机关类别 kind='village'"),
    ("body_id,name,kind\n", "没有机关"),
    ("body_id,name,kind\nA,,township\n", "第 2 行：缺少 body_id 或 name"),
])
def test_a_bad_register_is_one_clear_line_before_any_work(project, capsys, register, says):
    path = project / "register.csv"
    if register is not None:
        path.write_text(register, encoding="utf-8")
    before = _state(project)
    assert main(["run", str(project / "reports"), "--register", str(path)]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert _state(project) == before


def test_debug_shows_the_traceback(project, capsys):
    assert main(["--debug", "run", "exmaples"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "找不到报告文件夹" in err


def test_a_sharp_shrink_is_refused_unless_allowed(project, capsys, monkeypatch):
    build(project / "warehouse" / "xxgk.duckdb", n_reports=10, run_id="r2")  # the latest run had 10 files
    before = _state(project)
    assert main(["run", str(project / "reports")]) == 2
    err = capsys.readouterr().err
    assert "只找到 1 个报告文件" in err and "有 10 个" in err and "--allow-shrink" in err
    assert _state(project) == before
    import flows.nightly

    calls = []
    monkeypatch.setattr(flows.nightly, "run_local", lambda **kw: calls.append(kw) or _outcome())
    assert main(["run", str(project / "reports"), "--allow-shrink"]) == 1
    assert calls and calls[0]["inputs"] == [str(project / "reports")]
    assert calls[0]["db"] == str(project / "warehouse" / "xxgk.duckdb")


def test_half_the_files_is_not_a_shrink():
    from xxgk.preflight import PreviousRun, refuse_shrink

    refuse_shrink(5, PreviousRun("r1", 10))
    refuse_shrink(0, None)
    with pytest.raises(Exception, match="不到一半"):
        refuse_shrink(4, PreviousRun("r1", 10))


def _outcome(**changes) -> dict:
    outcome = {"run_id": "r9", "n_files": 18, "n_parsed": 18, "n_carried": 0, "n_error_bodies": 1, "docs": None,
               "site": None, "notices": 0,
               "files": {"found": 18, "ok": 12, "partial": 3, "failed": 2, "unsupported": 1, "new": 18, "unchanged": 0},
               "problem_files": [{"path": "in/x.pdf", "outcome": "failed", "reason": "PDF 无文字层（扫描件）"},
                                 {"path": "in/y.doc", "outcome": "unsupported", "reason": "不支持 .doc 格式"}],
               "verdicts": {"non_compliant": 4, "needs_review": 6, "compliant": 8},
               "bodies": {"non_compliant": 2, "needs_review": 5}}
    outcome.update(changes)
    return outcome


def test_the_summary_accounts_for_every_file_and_counts_bodies_and_reports_apart():
    text = "\n".join(cli_run.outcome_lines(_outcome()))
    assert "找到 18 个文件：解析成功 12、部分解析 3、解析失败 2、格式不支持 1" in text
    assert "不合规 4 份，待核实 6 份，合规 8 份" in text and "机关：不合规 2 个，待核实 5 个" in text
    assert "[解析失败] in/x.pdf：PDF 无文字层（扫描件）" in text and "[格式不支持] in/y.doc：不支持 .doc 格式" in text


@pytest.mark.parametrize(("changes", "code"), [
    ({}, 1),
    ({"n_error_bodies": 0, "bodies": {"non_compliant": 0, "needs_review": 3}}, 1),
    ({"n_error_bodies": 0, "bodies": {"non_compliant": 0, "needs_review": 0}}, 0),
])
def test_exit_code_is_one_when_a_body_is_non_compliant_or_needs_review(changes, code):
    assert cli_run.exit_code(_outcome(**changes)) == code


def test_prefect_records_of_expected_failures_are_dropped_and_others_kept():
    import logging

    from warehouse.db import DuplicateFindings, WarehouseBusy

    quiet = cli_run.QuietExpected()

    def record(message: str, exc: BaseException | None = None) -> logging.LogRecord:
        info = (type(exc), exc, None) if exc else None
        return logging.LogRecord("prefect.flow_runs", logging.ERROR, __file__, 1, message, (), info)

    assert not quiet.filter(record("Encountered exception during execution", WarehouseBusy("占用")))
    assert not quiet.filter(record("Finished in state Failed('Flow run encountered an exception: WarehouseBusy: 占用')"))
    assert quiet.filter(record("Encountered exception during execution", ZeroDivisionError("bug")))
    assert quiet.filter(record("x", DuplicateFindings("a rule engine bug is not a user error")))
    assert quiet.filter(record("Finished in state Completed()"))


def test_a_missing_filing_is_counted_apart_from_the_reports():
    text = "\n".join(cli_run.outcome_lines(_outcome(missing_filings={"non_compliant": 2, "needs_review": 1})))
    assert "合规 8 份；名录中未找到年报：不合规 2 个机关年度，待核实 1 个" in text
    assert "名录中未找到年报" not in "\n".join(cli_run.outcome_lines(_outcome()))


def test_a_run_begins_before_prefect_is_imported_unless_an_api_is_named(project, monkeypatch) -> None:
    """``start_early``: with an API named, no temporary server and no head start; without one, the server
    is launched and the new files' parse begins, Prefect not imported yet (a fresh interpreter)."""
    import argparse

    from xxgk import stages

    args = argparse.Namespace(dirs=[str(project / "reports")], db=str(project / "warehouse" / "xxgk.duckdb"),
                              register=None, docs=str(project / "docs"), out=str(project / "out"), wait=1.0,
                              allow_shrink=False, harvest=False, engine="gx")
    settings = cli_run.check_before_run(args)
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setattr(stages, "head_start", lambda s: pytest.fail("no head start expected"))
    assert cli_run.start_early(args, settings) is False
    code = ("import sys, json, argparse; from xxgk import cli_run, stages; from flows import local_server; "
            "started = []; stages.head_start = lambda s: started.append(s) or 1; "
            "local_server.start_early = lambda: True; "
            f"args = argparse.Namespace(**{vars(args)!r}); "
            "r = cli_run.start_early(args, cli_run.check_before_run(args)); "
            "print(json.dumps([r, len(started), 'prefect' in sys.modules]))")
    env = {k: v for k, v in __import__("os").environ.items() if k != "PREFECT_API_URL"}
    done = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=120,
                          env=env)
    assert json.loads(done.stdout.splitlines()[-1]) == [True, 1, False], done.stderr


def test_a_run_with_nothing_to_parse_does_not_warm_the_parser(project, monkeypatch) -> None:
    """The warm-up compiles the parser's patterns (0.27 s) only for a run that may parse here: not when the
    head start found nothing new; when it could not look (the warehouse busy), as before."""
    import argparse

    from flows import local_server
    from xxgk import stages

    args = argparse.Namespace(dirs=[str(project / "reports")], db=str(project / "warehouse" / "xxgk.duckdb"),
                              harvest=False, engine="gx", server_launched=True)
    warmed: list[bool] = []
    monkeypatch.setattr(stages, "warm_up", lambda engine, parser=True: warmed.append(parser))
    monkeypatch.setattr(local_server, "start_early", lambda: pytest.fail("launched already"))

    def head_start(found):
        def run(settings):
            if isinstance(found, Exception):
                raise found
            return found
        return run

    for found in (0, 3, OSError("busy")):
        monkeypatch.setattr(stages, "head_start", head_start(found))
        assert cli_run.start_early(args, None) is True
    assert warmed == [False, True, True]


def test_xxgk_run_launches_the_server_before_anything_heavy_and_stops_it_when_the_run_is_refused(tmp_path):
    """``xxgk run`` launches Prefect's temporary server first thing (``cli_run.launch_server``), before its
    defaults and checks import pandas and DuckDB; a run its checks refuse (a mistyped folder) kills it."""
    code = ("import sys, json; from flows import local_server; from xxgk import cli; calls = []; "
            "local_server.start_early = lambda: calls.append(['launch', 'pandas' in sys.modules]) or True; "
            "local_server.discard = lambda: calls.append(['discard']); "
            f"rc = cli.main(['run', {str(tmp_path / 'no-such-folder')!r}, '--db', {str(tmp_path / 'w.duckdb')!r}]); "
            "print(json.dumps([rc, calls]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "PYTHONPATH": str(REPO)})
    assert json.loads(done.stdout.splitlines()[-1]) == [2, [["launch", False], ["discard"]]], done.stderr
    assert "no-such-folder" in done.stderr


def test_a_second_preflight_reuses_the_survey_while_the_inputs_are_there(project, monkeypatch) -> None:
    """``xxgk run`` checks before Prefect starts and its flow checks again: the second check takes the files
    found by the first (made moments ago), unless an input folder was emptied or removed meanwhile."""
    from xxgk import preflight, settings as run_settings

    surveys: list[list[str]] = []
    real = preflight.input_files
    monkeypatch.setattr(preflight, "input_files", lambda items: surveys.append(items) or real(items))
    monkeypatch.setattr(run_settings, "_SURVEYED", {})
    checked = run_settings.RunSettings(inputs=(project / "reports",), db=project / "warehouse" / "xxgk.duckdb",
                                       docs=project / "docs", out_dir=project / "out", lock_wait=1.0,
                                       allow_shrink=True)
    first = checked.preflight()
    assert checked.preflight() == first and len(surveys) == 1
    for path in (project / "reports").iterdir():
        path.unlink()
    with pytest.raises(UserError):
        checked.preflight()
    assert len(surveys) == 2
