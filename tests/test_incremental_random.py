"""Random nights on a small generated city: whatever mix of additions, deletions, corrections, copied prose,
moves, duplicate files, touched files, register edits and rules changes a night brings, the incremental run's
findings (and the report site's stored digests) are those of a run from scratch over the same files.
``test_incremental`` walks one scripted week; this draws other weeks from fixed seeds."""
from __future__ import annotations

import dataclasses
import os
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import latest_findings
from test_incremental import _digests, _section, _settings

from synth.city import generate_city
from xxgk import pipeline, stages
from xxgk.settings import RunSettings

NIGHTS = 5


class RandomWeek:
    """Inputs, register and warehouse of one random week; each ``op_*`` changes the inputs and says how."""

    def __init__(self, root: Path, seed: int) -> None:
        self.rng = random.Random(seed)
        self.city = root / "city"
        generate_city(self.city, bodies=12, years=range(2020, 2024), formats=["txt", "html"], defect_rate=0.2,
                      seed=seed)
        self.root, self.inputs, self.register = root, root / "inputs", root / "register.csv"
        self.inputs.mkdir()
        shutil.copy(self.city / "register.csv", self.register)
        self.pool = sorted(self.city.glob("reports/*/*.*"))
        self.db = root / "incremental" / "xxgk.duckdb"

    def settings(self, db: Path) -> RunSettings:
        # a night may delete half of the few files there are: not refused as a mistyped folder would be
        return dataclasses.replace(_settings(db, self.inputs, self.register), allow_shrink=True)

    def present(self, suffix: str = "") -> list[Path]:
        return sorted(p for p in self.inputs.rglob(f"*{suffix}") if p.is_file())

    def op_add(self) -> str:
        absent = [p for p in self.pool if not (self.inputs / p.parent.name / p.name).exists()]
        for path in self.rng.sample(absent, min(self.rng.randint(1, 6), len(absent))):
            (self.inputs / path.parent.name).mkdir(exist_ok=True)
            shutil.copy(path, self.inputs / path.parent.name / path.name)
        return "add"

    def op_delete(self) -> str:
        present = self.present()
        for path in self.rng.sample(present, min(self.rng.randint(1, 4), len(present))):
            path.unlink()
        return "delete"

    def op_correct(self) -> str:
        texts = self.present(".txt")
        if not texts:
            return "correct: none"
        path = self.rng.choice(texts)
        text = path.read_text(encoding="utf-8")
        numbers = list(re.finditer(r"(?<=[|\s])\d{1,4}(?=[|\s])", text))
        if not numbers:
            return "correct: none"
        number = self.rng.choice(numbers)
        path.write_text(f"{text[:number.start()]}{int(number.group()) + 3}{text[number.end():]}", encoding="utf-8")
        return f"correct {path.name}"

    def op_copy_prose(self) -> str:
        by_year: dict[str, list[Path]] = {}
        for path in self.present(".txt"):
            by_year.setdefault(path.parent.name, []).append(path)
        years = sorted(year for year, paths in by_year.items() if len(paths) > 1)
        if not years:
            return "copy: none"
        source, target = self.rng.sample(by_year[self.rng.choice(years)], 2)
        given, taken = source.read_text(encoding="utf-8"), target.read_text(encoding="utf-8")
        try:
            (start, end), (at, to) = _section(given, "一、"), _section(taken, "一、")
        except ValueError:  # no section 一 (a report generated without it)
            return "copy: none"
        target.write_text(taken[:at] + given[start:end] + taken[to:], encoding="utf-8")
        return f"copy {source.name} -> {target.name}"

    def op_move(self) -> str:
        present = self.present()
        if present:
            path = self.rng.choice(present)
            path.rename(path.with_name(f"m-{path.name}"))
        return "move"

    def op_duplicate(self) -> str:
        present = self.present()
        if present:
            path = self.rng.choice(present)
            (self.inputs / "dups").mkdir(exist_ok=True)
            shutil.copy(path, self.inputs / "dups" / f"{path.parent.name}-{path.name}")
        return "duplicate"

    def op_touch(self) -> str:
        present = self.present()
        if present:
            os.utime(self.rng.choice(present))
        return "touch"

    def op_register(self) -> str:
        lines = self.register.read_text(encoding="utf-8").splitlines()
        original = (self.city / "register.csv").read_text(encoding="utf-8").splitlines()
        if len(lines) < len(original) and self.rng.random() < 0.5:
            shutil.copy(self.city / "register.csv", self.register)
            return "register restored"
        del lines[self.rng.randrange(1, len(lines))]
        self.register.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return "register row dropped"

    def operations(self) -> list[tuple[Callable[[], str], float]]:
        return [(self.op_add, 5), (self.op_delete, 2), (self.op_correct, 3), (self.op_copy_prose, 2),
                (self.op_move, 1), (self.op_duplicate, 1), (self.op_touch, 1), (self.op_register, 1)]


@pytest.mark.parametrize("seed", [11, 23])
def test_random_nights_give_the_findings_of_a_run_from_scratch(tmp_path, monkeypatch, seed):
    week = RandomWeek(tmp_path, seed)
    week.db.parent.mkdir()
    week.op_add()
    week.op_add()
    operations = week.operations()
    for night in range(1, NIGHTS + 1):
        done = [fn() for fn, _ in week.rng.choices(operations, weights=[w for _, w in operations],
                                                  k=week.rng.randint(1, 4))] if night > 1 else ["first"]
        if night == 4:  # one night of the week also changes the rules: every stored report judged again
            monkeypatch.setattr(pipeline, "catalogue_version", lambda: f"rules-of-seed-{seed}")
            done.append("rules changed")
        stages.run_plain(week.settings(week.db))
        scratch = tmp_path / f"scratch{night}" / "xxgk.duckdb"
        scratch.parent.mkdir()
        stages.run_plain(week.settings(scratch))
        mine, expected = latest_findings(week.db), latest_findings(scratch)
        assert mine == expected, (f"night {night} ({done}): only incremental {sorted(mine - expected)[:3]}; "
                                  f"only from scratch {sorted(expected - mine)[:3]}")
        stored, hashed = _digests(week.db)
        assert stored == hashed == _digests(scratch)[0], f"night {night} ({done}): digests"
        shutil.rmtree(scratch.parent)
