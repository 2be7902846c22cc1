"""The next run of the same process takes the last loaded run's file stamps and reports from memory
(``warehouse.last_run``) — exactly what the warehouse holds for that run — and only while it is the latest."""
from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from conftest import REPO
from warehouse import db, last_run, store
from xxgk import pipeline, stages
from xxgk.settings import RunSettings

CITY = REPO / "examples" / "city"


def _from_warehouse(settings: RunSettings, sources: list) -> tuple[dict, frozenset]:
    """What the ingest reads of the latest run, from the warehouse itself (nothing remembered)."""
    kept = dict(last_run._LOADED)  # noqa: SLF001
    last_run.forget_all()
    try:
        return (store.file_stamps(settings.db),
                store.plan_run(settings.db, sources, pipeline.parser_version()).previous.present)
    finally:
        last_run._LOADED.update(kept)  # noqa: SLF001


def test_the_last_loaded_run_is_remembered_as_stored_and_only_while_latest(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XXGK_PARSE_WORKERS", "0")
    monkeypatch.setattr(pipeline, "SETTLED_NS", 0)  # files copied just now get their stamps all the same
    inputs = tmp_path / "in"
    shutil.copytree(CITY / "2021", inputs / "2021")
    (inputs / "empty.txt").write_bytes(b"")  # unreadable: no stamp, not a report of the run
    settings = RunSettings((inputs,), tmp_path / "w.duckdb", REPO / "examples" / "register.csv",
                           docs=tmp_path / "docs", out_dir=tmp_path / "out", engine="bare")
    stages.run_plain(settings)
    shutil.copytree(CITY / "2022", inputs / "2022")  # night 2: carried 2021, judged 2022 (REG-MISSING too)
    outcome = stages.run_plain(settings)
    assert outcome["n_carried"] > 0
    sources = [pipeline.hash_file(p) for p in pipeline.discover([inputs])]
    remembered = last_run.recall(settings.db, outcome["run_id"])
    assert remembered is not None
    stamps, present = _from_warehouse(settings, sources)
    assert remembered.stamps == stamps and len(stamps) > 5
    assert remembered.present == present and len(present) > outcome["n_carried"]
    assert store.file_stamps(settings.db) == stamps
    assert store.plan_run(settings.db, sources, pipeline.parser_version()).previous.present == present

    con = db.connect(settings.db)  # a later run loaded by another process: the warehouse is read again
    try:
        con.execute("INSERT INTO runs (run_id, started_at, status) VALUES ('later', ?, 'completed')",
                    [datetime(2100, 1, 1)])
    finally:
        con.close()
    assert store.file_stamps(settings.db) == {}
    assert store.plan_run(settings.db, sources, pipeline.parser_version()).previous.present == frozenset()
