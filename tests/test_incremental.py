"""The warehouse is the cache: night after night of additions, corrections, copies, moves and deletions on a
generated city, the findings of each incremental run are exactly those of a run from scratch over the same
files — while the incremental run parses only the new bytes and judges only what a change can reach."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import latest_findings

from synth.city import generate_city
from warehouse import digests, store
from xxgk import incremental, stages
from xxgk.settings import RunSettings

YEARS = range(2020, 2024)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("city")
    generate_city(root, bodies=24, years=YEARS, formats=["txt", "html"], defect_rate=0.15, seed=5)
    return root


def _settings(db: Path, inputs: Path, register: Path, engine: str = "bare") -> RunSettings:
    home = db.parent
    return RunSettings((inputs,), db, register, docs=home / "docs", out_dir=home / "out", engine=engine)


def _withdrawn(db: Path) -> dict[str, str | None]:
    """Withdrawn reports as ``<file stem>@<year>`` → the report that replaced it (or None)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT source_path, year, replaced_by FROM withdrawn_reports").fetchall()
    finally:
        con.close()
    return {f"{Path(path).stem}@{year}": replaced for path, year, replaced in rows}


class Night:
    """One night: the inputs as they are now, run incrementally and from scratch, compared."""

    def __init__(self, city: Path, tmp: Path, batch: int, monkeypatch: pytest.MonkeyPatch) -> None:
        self.city, self.tmp, self.n, self.batch, self.monkeypatch = city, tmp, 0, batch, monkeypatch
        self.inputs = tmp / "inputs"
        self.inputs.mkdir()
        self.db = tmp / "incremental" / "xxgk.duckdb"
        self.db.parent.mkdir()

    def add(self, year: int, names: list[str] | None = None) -> list[Path]:
        source = self.city / "reports" / str(year)
        added = []
        for path in sorted(source.iterdir()):
            if names is None or path.name in names:
                target = self.inputs / str(year) / path.name
                target.parent.mkdir(exist_ok=True)
                shutil.copy(path, target)
                added.append(target)
        return added

    def run(self) -> dict:
        self.n += 1
        register = self.city / "register.csv"
        with self.monkeypatch.context() as patch:
            patch.setattr(incremental, "BATCH", self.batch)
            if self.batch < incremental.BATCH:  # each batch's findings wait for the load in a Parquet file
                patch.setattr(store, "SPILL_ROWS", 1)
            outcome = stages.run_plain(_settings(self.db, self.inputs, register))
        scratch = self.tmp / f"scratch{self.n}" / "xxgk.duckdb"
        scratch.parent.mkdir()
        fresh = stages.run_plain(_settings(scratch, self.inputs, register))  # one batch: every report
        mine, expected = latest_findings(self.db), latest_findings(scratch)
        assert mine == expected, (f"night {self.n}: only incremental {sorted(mine - expected)[:3]}; "
                                         f"only from scratch {sorted(expected - mine)[:3]}")
        stored, hashed = _digests(self.db)
        assert stored == hashed and stored == _digests(scratch)[0], f"night {self.n}: digests"
        outcome["scratch"] = fresh
        return outcome


def _digests(db: Path) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """The latest run's stored digests (``run_digests``) and those hashed now from its findings, by report."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        run_id = con.execute("SELECT run_id FROM latest_run").fetchall()[0][0]
        stored = con.execute("SELECT report_id, body_id, h1, h2 FROM run_digests WHERE run_id = ?", [run_id])
        stored = {row[0]: row[1:] for row in stored.fetchall()}
        hashed = con.execute(digests.hashed_sql("f.run_id = ?"), [run_id]).fetchall()
        return stored, {row[0]: row[1:] for row in hashed}
    finally:
        con.close()


def _section(text: str, heading: str) -> tuple[int, int]:
    """Where the body of the section titled ``heading`` (一、… 六、) starts and ends in a txt report."""
    start = text.index(heading)
    start = text.index("\n", start) + 1
    following = re.search(r"\n[一二三四五六]、", text[start:])
    return start, start + (following.start() if following else len(text) - start)


@pytest.mark.parametrize("batch", [incremental.BATCH, 12], ids=["one-batch", "year-parts"])
def test_night_after_night_the_incremental_findings_are_those_of_a_run_from_scratch(city, tmp_path, monkeypatch, batch):
    """With ``BATCH`` 12, every run judges in batches, each year in parts (of at most 12 reports, 3 past
    ``LARGE_RUN`` batches) — each batch with what its reports read — and is still compared with a run from
    scratch that judges every report in one batch."""
    monkeypatch.setenv("XXGK_PARSE_WORKERS", "0")
    night = Night(city, tmp_path, batch, monkeypatch)
    held_back = sorted(p.name for p in (city / "reports" / "2021").glob("*.txt"))[2:4]
    for year in (2020, 2021, 2022):
        night.add(year)
    for name in held_back:
        (night.inputs / "2021" / name).unlink()
    one = night.run()
    assert one["n_parsed"] == one["n_judged"] == len(list(night.inputs.rglob("*.*")))

    # night 2: a new year arrives, and two reports of 2021 come late
    added = night.add(2023) + night.add(2021, held_back)
    two = night.run()
    assert two["n_parsed"] == len(added)
    assert two["n_judged"] + two["n_carried"] == two["scratch"]["n_judged"] and two["n_carried"] > 0

    # night 3: corrections. A number changed in one report; one report's part 一 copied from a peer's of
    # the same year (DUP-PEER); one report republished with a sentence added to its part 五.
    txts = sorted(night.inputs.glob("2022/*.txt"))
    changed, copier, source = txts[0], txts[1], txts[2]
    text = changed.read_text(encoding="utf-8")
    start, end = _section(text, "三、")
    changed.write_text(text[:start] + re.sub(r"\d+", lambda m: str(int(m.group()) + 3), text[start:end], count=2)
                       + text[end:], encoding="utf-8")
    own, theirs = copier.read_text(encoding="utf-8"), source.read_text(encoding="utf-8")
    (a, b), (c, d) = _section(own, "一、"), _section(theirs, "一、")
    copier.write_text(own[:a] + theirs[c:d] + own[b:], encoding="utf-8")
    late = sorted(night.inputs.glob("2023/*.txt"))[0]
    text = late.read_text(encoding="utf-8")
    _, end = _section(text, "五、")
    late.write_text(text[:end] + "\n下一步，我们将进一步加强政务公开队伍建设，提升工作人员业务能力。" + text[end:], encoding="utf-8")
    three = night.run()
    assert three["n_parsed"] == 3 and three["n_carried"] > 0
    assert ("DUP-PEER", "fail") in {(r, s) for r, _, s, _, _ in latest_findings(night.db)}

    # night 4: withdrawals — a copied-from report, a report whose next year is stored, a whole body's year
    source.unlink()
    withdrawn_2021 = sorted(night.inputs.glob("2021/*.txt"))[3]
    withdrawn_2021.unlink()
    gone = sorted(night.inputs.glob("2023/*"))[-1]
    gone.unlink()
    four = night.run()
    assert four["n_parsed"] == 0 and four["n_carried"] > 0
    assert ("REG-MISSING", f"missing:{gone.stem}:2023", "fail") in {(r, i, s) for r, i, s, _, _ in latest_findings(night.db)}
    assert four["n_withdrawn"] == 3
    withdrawn = _withdrawn(night.db)
    corrected = {f"{p.stem}@{p.parent.name}" for p in (changed, copier, late)}  # night 3's old versions
    assert set(withdrawn) == corrected | {f"{source.stem}@2022", f"{gone.stem}@2023", f"{withdrawn_2021.stem}@2021"}
    assert all(withdrawn[name] is not None for name in corrected)  # each replaced by its corrected version
    assert withdrawn[f"{gone.stem}@2023"] is None  # nothing took its place: the year is unpublished

    # night 5: a withdrawn report comes back under another name, and a file moves
    shutil.copy(city / "reports" / "2022" / source.name, night.inputs / "2022" / f"re-{source.name}")
    moved = sorted(night.inputs.glob("2020/*"))[0]
    moved.rename(moved.with_name("moved-" + moved.name))
    five = night.run()
    assert five["n_parsed"] == 0 and five["n_carried"] > 0
    assert f"{source.stem}@2022" not in _withdrawn(night.db)  # back: no longer withdrawn

    # night 6: the rules change: every report judged again from its stored facts, none parsed
    from xxgk import pipeline

    monkeypatch.setattr(pipeline, "catalogue_version", lambda: "rules-of-night-6")
    six = night.run()
    assert six["n_parsed"] == 0 and six["n_carried"] == 0 and six["n_judged"] == six["scratch"]["n_judged"]
