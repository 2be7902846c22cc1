"""A night's stored verdicts (``run_verdicts``): the carried reports' taken from the run their findings came
from (``db.keep_carried_verdicts``, in the load begun while the rules run), the others worked out; always
exactly what the view works out from the run's findings, files and reviews (``report_verdicts_computed``)."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import REPO
from warehouse import db
from xxgk import stages
from xxgk.settings import RunSettings

CITY = REPO / "examples" / "city"
COLUMNS = "report_id, body_id, body_name, year, verdict, reasons"


def _verdicts(path: Path) -> tuple[list, list]:
    """(stored verdicts of the latest run, verdicts worked out from its findings), sorted alike."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        stored = con.execute(f"SELECT {COLUMNS} FROM run_verdicts v JOIN latest_run l ON v.run_id = l.run_id").fetchall()
        computed = con.execute(f"SELECT {COLUMNS} FROM report_verdicts_computed").fetchall()
    finally:
        con.close()
    return sorted(stored, key=repr), sorted(computed, key=repr)


@pytest.fixture()
def night(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201 - (settings, calls of the copy)
    monkeypatch.setenv("XXGK_PARSE_WORKERS", "0")
    inputs = tmp_path / "in"
    shutil.copytree(CITY / "2021", inputs / "2021")
    (inputs / "empty.txt").write_bytes(b"")  # a file that cannot be read: its verdict comes from the files
    (inputs / "扫描件.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\1" * 600)
    settings = RunSettings((inputs,), tmp_path / "w.duckdb", REPO / "examples" / "register.csv",
                           docs=tmp_path / "docs", out_dir=tmp_path / "out", engine="bare")
    copied: list[int] = []
    real = db._copy_carried_verdicts  # noqa: SLF001

    def counting(con, run_id, from_run, carried, *rest):  # noqa: ANN001, ANN002, ANN202
        copied.append(len(carried))
        return real(con, run_id, from_run, carried, *rest)

    monkeypatch.setattr(db, "_copy_carried_verdicts", counting)
    return settings, copied


def test_carried_verdicts_are_those_the_findings_give_night_after_night(night) -> None:
    settings, copied = night
    inputs = settings.inputs[0]
    stages.run_plain(settings)
    stored, computed = _verdicts(settings.db)
    assert stored == computed and len(stored) > 5 and copied == []

    shutil.copytree(CITY / "2022", inputs / "2022")  # night 2: a new year; 2021 carried over
    two = stages.run_plain(settings)
    assert two["n_carried"] > 0 and copied == [two["n_carried"]]
    stored, computed = _verdicts(settings.db)
    assert stored == computed

    con = db.connect(settings.db)  # a reviewer waives a failing finding of a report the next night carries
    try:
        fingerprint = con.execute("SELECT f.fingerprint FROM findings f JOIN latest_run l ON f.run_id = l.run_id "
                                  "WHERE f.status = 'fail' AND f.severity = 'error' AND f.year = 2021 "
                                  "ORDER BY f.fingerprint LIMIT 1").fetchone()[0]
        db.add_review(con, fingerprint, "waived", "核实无误", "审核人")
    finally:
        con.close()
    text = next(inputs.glob("2022/*.txt"))
    text.write_text(text.read_text(encoding="utf-8") + "\n补充说明。\n", encoding="utf-8")
    (inputs / "2021" / "zone01.md").unlink()  # and a report withdrawn
    three = stages.run_plain(settings)
    assert three["n_carried"] > 0 and len(copied) == 2
    stored, computed = _verdicts(settings.db)
    assert stored == computed


def test_verdicts_are_worked_out_anew_when_a_review_came_after_them(night) -> None:
    settings, copied = night
    stages.run_plain(settings)
    con = db.connect(settings.db)
    try:  # a review stored without refreshing the stored verdicts (as an older ``xxgk review`` did)
        fingerprint = con.execute("SELECT fingerprint FROM findings WHERE status = 'fail' LIMIT 1").fetchone()[0]
        con.execute("INSERT INTO reviews VALUES (?, 'waived', '核实', '审核人', now())", [fingerprint])
    finally:
        con.close()
    shutil.copytree(CITY / "2022", settings.inputs[0] / "2022")
    assert stages.run_plain(settings)["n_carried"] > 0
    assert copied == [], "the last run's verdicts predate a review: all worked out"
    stored, computed = _verdicts(settings.db)
    assert stored == computed
