"""``xxgk.stages``: the run's stages without Prefect, and the load begun while validation runs (one
transaction all the same: a run that fails leaves nothing behind)."""
from __future__ import annotations

import shutil
import subprocess
import sys

import duckdb
import pytest

from conftest import REPO
from xxgk import stages
from xxgk.settings import RunSettings

SEED = REPO / "examples" / "2020_xiangcheng_zhen.txt"


@pytest.fixture()
def settings(tmp_path, monkeypatch: pytest.MonkeyPatch) -> RunSettings:
    monkeypatch.setenv("XXGK_PARSE_WORKERS", "0")
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(SEED, inputs / SEED.name)
    return RunSettings((inputs,), tmp_path / "w.duckdb", docs=tmp_path / "docs", out_dir=tmp_path / "out",
                       engine="bare")


def _counts(settings: RunSettings) -> dict[str, int]:
    con = duckdb.connect(str(settings.db))  # read-write: no transaction of the run may still hold it
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                for t in ("reports", "cells", "findings", "runs")}
    finally:
        con.close()


def test_plain_run_writes_reports_cells_findings_and_the_run(settings: RunSettings) -> None:
    outcome = stages.run_plain(settings)
    counts = _counts(settings)
    assert outcome["n_parsed"] == 1 and counts["reports"] == 1 and counts["runs"] == 1
    assert counts["cells"] > 100 and counts["findings"] > 20
    assert {"load_begun", "validate", "load"} <= set(outcome["timings"])


def test_a_rerun_with_nothing_changed_carries_every_finding_over(settings: RunSettings) -> None:
    first = stages.run_plain(settings)
    again = stages.run_plain(settings)
    assert again["n_parsed"] == 0 and again["n_carried"] == first["n_parsed"] == 1
    assert _counts(settings)["findings"] == 2 * first_findings(settings)


def test_a_rerun_after_the_rules_changed_judges_every_report_again_from_stored_facts(settings, monkeypatch) -> None:
    """New rules: every stored report is checked again from its stored facts, not parsed again; nothing is
    stored twice."""
    from xxgk import pipeline

    first = stages.run_plain(settings)
    monkeypatch.setattr(pipeline, "catalogue_version", lambda: "rules-changed")
    again = stages.run_plain(settings)
    counts = _counts(settings)
    assert first["n_parsed"] == 1 and again["n_parsed"] == 0
    assert again["n_judged"] == 1 and again["n_carried"] == 0
    assert counts["reports"] == 1 and counts["runs"] == 2 and counts["findings"] == 2 * first_findings(settings)


def test_a_new_parser_parses_stored_reports_again_from_the_archive(settings, monkeypatch) -> None:
    """Another parser version: the stored reports are read again from the raw archive, their rows, cells
    and facts replaced (not doubled), and judged again."""
    from xxgk import pipeline

    stages.run_plain(settings)
    cells_before = _counts(settings)["cells"]
    monkeypatch.setattr(pipeline, "parser_version", lambda: "parser-changed")
    again = stages.run_plain(settings)
    counts = _counts(settings)
    assert again["n_parsed"] == 1 and again["n_judged"] == 1 and again["n_carried"] == 0
    assert counts["reports"] == 1 and counts["cells"] == cells_before
    con = duckdb.connect(str(settings.db), read_only=True)
    try:
        assert con.execute("SELECT list(parser_version) FROM report_facts").fetchall()[0][0] == ["parser-changed"]
    finally:
        con.close()


def first_findings(settings: RunSettings) -> int:
    con = duckdb.connect(str(settings.db), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM findings WHERE run_id = (SELECT min(run_id) FROM runs)").fetchall()[0][0]
    finally:
        con.close()


def test_a_failed_validation_rolls_back_the_reports_and_cells_begun(settings, monkeypatch) -> None:
    from warehouse import store

    begun = []

    def begin(*args: object, **kwargs: object) -> store.StagedLoad:
        begun.append(store_begin(*args, **kwargs))
        return begun[-1]

    def broken(*_: object) -> None:
        raise RuntimeError("validation broke")

    store_begin = store.begin_load
    monkeypatch.setattr(store, "begin_load", begin)
    monkeypatch.setattr(stages, "validate", broken)
    with pytest.raises(RuntimeError, match="validation broke"):
        stages.run_plain(settings)
    assert len(begun) == 1
    with pytest.raises(duckdb.ConnectionException):  # rolled back and closed, not left to the collector
        begun[0].con.execute("SELECT 1")
    assert _counts(settings) == {"reports": 0, "cells": 0, "findings": 0, "runs": 0}


def test_a_failed_begin_is_the_run_s_error(settings, monkeypatch) -> None:
    from warehouse import store

    def broken(*_: object, **__: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store, "begin_load", broken)
    with pytest.raises(OSError, match="disk full"):
        stages.run_plain(settings)
    assert _counts(settings)["reports"] == 0


def test_head_start_parses_only_what_the_warehouse_lacks(settings: RunSettings, monkeypatch) -> None:
    """Before the flow (``xxgk run``, while Prefect's server starts): only new bytes get a head start."""
    from xxgk import pool

    stages.run_plain(settings)  # the seed is stored now
    other = settings.inputs[0] / "other.txt"
    other.write_text(SEED.read_text(encoding="utf-8").replace("相城镇", "东湖镇"), encoding="utf-8")
    started: list[list] = []
    monkeypatch.setattr(pool, "head_start", lambda paths, raw_root, thin: started.append(list(paths)) or 1)
    assert stages.head_start(settings) == 1
    assert started == [[other]]
    other.unlink()
    assert stages.head_start(settings) == 0 and len(started) == 1, "nothing new: no head start"


def test_head_start_waits_for_nobody(settings: RunSettings, monkeypatch) -> None:
    """A warehouse held by another process: no head start (the flow parses as usual, after waiting)."""
    from xxgk import pool

    stages.run_plain(settings)
    (settings.inputs[0] / "other.txt").write_text("另一份", encoding="utf-8")
    monkeypatch.setattr(pool, "head_start", lambda paths, raw_root: pytest.fail("no head start expected"))
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); time.sleep(60)", str(settings.db)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert stages.head_start(settings) == 0
    finally:
        holder.kill()
        holder.wait()


def test_staging_keeps_the_head_starts_cell_files(settings: RunSettings, monkeypatch) -> None:
    import os

    from xxgk import pipeline, pool

    staging = pipeline.staging_dir(settings.raw_root)
    staging.mkdir(parents=True)
    stale, fresh = staging / "cells-old.parquet", staging / "cells-new.parquet"
    stale.write_bytes(b"")
    os.utime(stale, (1_000_000_000, 1_000_000_000))  # left behind by a run interrupted long ago
    fresh.write_bytes(b"")
    monkeypatch.setattr(pool, "head_started_at", lambda: fresh.stat().st_mtime)
    stages.clear_staging(settings)
    assert not stale.exists() and fresh.exists()


def test_the_warm_up_compiles_the_parsers_patterns_from_the_bundled_examples_once():
    """``stages._warm_parser`` parses the bundled examples (their paths are right: a missing one would
    leave the patterns uncompiled), in a fresh interpreter, and only once."""
    code = ("from parsing import text\nfrom xxgk import stages\n"
            "n = stages._warm_parser(); first = text.label_regex.cache_info().currsize\n"
            "print(n, stages._warm_parser(), first, text.label_regex.cache_info().currsize)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=REPO)
    parsed, again, first, after = map(int, done.stdout.split())
    assert (parsed, again) == (len(stages._WARM_SAMPLES), 0) and first > 20 and after == first, done.stderr[-2000:]


def test_a_warm_up_told_this_process_parses_nothing_leaves_the_parser_alone():
    """``warm_up(parser=False)`` (``xxgk run`` with nothing new): the imports, not the parser's patterns —
    nor at the flow's own ``warm_up`` later in the same run."""
    code = ("from parsing import text\nfrom xxgk import stages\n"
            "stages.warm_up('bare', parser=False); stages._WARMING.join()\n"
            "stages.warm_up('bare'); stages._WARMING.join()\n"
            "print(text.label_regex.cache_info().currsize)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.stdout.split() == ["0"], done.stderr[-2000:]
