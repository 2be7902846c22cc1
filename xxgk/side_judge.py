"""A large run's batches judged in two processes: the run's own and a second one, spawned for its validation.

A run judging several batches (``xxgk.incremental.year_parts``: a rules change over 30,000 stored reports
judges five, a year each) judges its first batches here and hands the last ones to a second process, on the
machine's other core (idle then: such a run parses nothing). Each process judges its batches in order as a
chain: a batch reuses what the batch before it in the same process kept of its previous year
(``stored_facts.Judging.kept``); the second process's first batch decodes its previous year from the stored
facts instead. The warehouse is open in this process only (DuckDB lets one process hold it), so this process
reads, before judging, what the other's batches read — their stored facts and sentences, exactly what
``Judging.materialise`` would read for them — and leaves it in the staging folder, a file per batch. The
second process judges as ``stages.judge_batch`` does (its findings wait for the load in Parquet files of the
staging folder, as any large batch's) and sends back its part of the Data Docs (the suites' validation
results merged over its batches, the findings' tallies, the reports named), which this process adds after
its own batches: one site, built once, as one process judging every batch in order would have made it.
"""
from __future__ import annotations

import gc
import os
import pickle
import shutil
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xxgk.stored_facts import Batch, Judging, Sentences

SIDE_AT = 4_000  # reports judged: below this a second process (~3 s of CPU to start: GX's import) is not worth it
SIDE_UP_TO = 32_000  # reports judged, and judged in one batch (``SIDE_BATCH_UP_TO``): above either, one process.
SIDE_BATCH_UP_TO = 6_500  # The whole tree's peak RSS with the second process was measured at a rules change over
# 29,914 stored reports (five year batches of ~6,000 judged): 1.8 GB of the 2 GB allowed; larger runs or batches
# (a year of 10,000 reports) are not measured beside a second judge, so they keep to one process.


def split(judging: Judging, parsed_in_bulk: bool) -> tuple[list[Batch], list[Batch]]:
    """The batches judged here and those judged in a second process (none when it is not worth it: a single
    batch, few reports, a run that parsed a large share of them — its parser processes' memory is not
    measured beside a second judge —, more reports or a larger batch than measured beside a second judge, one
    core, or ``XXGK_JUDGE_WORKERS=1``), each side's batches chained anew (``rechained``)."""
    batches = judging.batches
    if (len(batches) < 2 or not SIDE_AT <= judging.n_judged <= SIDE_UP_TO or parsed_in_bulk
            or max(len(b.judged) for b in batches) > SIDE_BATCH_UP_TO
            or os.environ.get("XXGK_JUDGE_WORKERS") == "1" or (os.cpu_count() or 1) < 2):
        return batches, []
    cut = len(batches) - len(batches) // 2  # the second process starts later and decodes a year more
    here = rechained(batches[:cut])
    judging.readers_left = readers(here)
    return here, rechained(batches[cut:])


def rechained(batches: list[Batch]) -> list[Batch]:
    """``batches`` as judged one after the other by one process: a batch reuses only what an earlier batch
    of these kept (``xxgk.incremental._reusing``), the rest it reads from the stored facts."""
    from xxgk.incremental import _reusing

    return _reusing([Batch(b.ids, b.judged, b.common, b.light) for b in batches])


def readers(batches: list[Batch]) -> dict[str, int]:
    """Per report kept for later batches, how many of ``batches`` read it (``Judging.readers_left``)."""
    return dict(Counter(rid for batch in batches for rid in batch.reused))


@dataclass(frozen=True)
class SideWork:
    """What the second process judges: its batches, the files holding what they read (one per batch that
    reads stored facts), where each report's file is, the light reports' names and years, the GX folder
    it validates in, and the run id of the run's Data Docs."""

    batches: list[Batch]
    files: list[str]
    paths: dict[str, str]
    named: dict[str, tuple[str | None, int | None]] = field(default_factory=dict)
    gx_dir: str = ""
    docs_run_id: Any = None


@dataclass(frozen=True)
class SideResult:
    """The second process's findings (per batch, as ``stages.judge_batch`` keeps them) and its Data Docs part
    (``RunDocs.add``'s arguments; None without GX)."""

    finding_frames: list[Any]
    docs: tuple | None = None


def write_inputs(judging: Judging, batches: list[Batch], folder: Path) -> list[str]:
    """Read what each of ``batches`` reads of the stored facts (as ``Judging.materialise`` would, in order)
    and leave it in ``folder``, a file per batch that reads any; the file names, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    files, tag = [], uuid.uuid4().hex
    for n, batch in enumerate(batches):
        wanted = [rid for rid in batch.ids if rid not in judging.sources and rid not in batch.reused]
        if not wanted or judging.reader is None:
            continue
        blobs, sentences = judging.reader.read(wanted)
        path = folder / f"side-{tag}-{n:03d}.pickle"
        with path.open("wb") as out:
            pickle.dump((wanted, blobs, sentences), out, protocol=pickle.HIGHEST_PROTOCOL)
        files.append(str(path))
        del blobs, sentences
    return files


class _Files:
    """``FactsReader``'s stand-in in the second process: each batch's stored facts and sentences from the
    file this process left for it (removed once read)."""

    def __init__(self, files: list[str]) -> None:
        self.files = list(files)

    def read(self, report_ids: list[str]) -> tuple[dict[str, bytes], Sentences]:
        path = Path(self.files.pop(0))
        with path.open("rb") as held:
            wanted, blobs, sentences = pickle.load(held)
        path.unlink(missing_ok=True)
        if wanted != list(report_ids):
            raise RuntimeError("第二个校验进程读取的事实数据与批次不符")
        return blobs, sentences

    def close(self) -> None:
        for name in self.files:
            Path(name).unlink(missing_ok=True)


def judge_side(settings: Any, run_id: str, work: SideWork) -> SideResult:  # noqa: ANN401 - RunSettings
    """In the second process: ``work``'s batches judged in order, as ``stages.judge_batch`` judges a batch."""
    from xxgk.check import run_docs
    from xxgk.stages import judge_batch

    judging = Judging(batches=work.batches, reader=_Files(work.files), paths=work.paths, named=work.named)
    judging.readers_left = readers(work.batches)
    gx_dir = Path(work.gx_dir)
    docs = run_docs(settings.engine, gx_dir)
    if docs is not None:
        docs._run_id = work.docs_run_id  # noqa: SLF001 - the run's Data Docs' id, not one of its own
    try:
        frames = [judge_batch(settings, run_id, *judging.materialise(b), b.common, run_dir=gx_dir, docs=docs)[0]
                  for b in work.batches]
    finally:
        judging.reader.close()
    part = (docs.results, docs.n_reports, docs.tallies, docs.names) if docs is not None and docs.results else None
    return SideResult(frames, part)


def _started() -> None:
    """The second process has started: what judging uses imported now (GX without the modules it imports
    for expectations never run, ``xxgk.deferred``), then kept out of the collector's sight."""
    from xxgk import deferred

    deferred.defer()
    import great_expectations  # noqa: F401
    import expectations.custom  # noqa: F401
    import xxgk.stages  # noqa: F401

    gc.freeze()


def _ready() -> None:
    """Nothing: the process that ran it has started."""


class Side:
    """The second process of one validation (a context manager): ``start`` it with its batches, ``collect``
    its findings after this process's own batches (adding its Data Docs part to ``docs``); it ends on exit,
    and the files it was left are removed. Without batches it does nothing."""

    def __init__(self, settings: Any, run_id: str, judging: Judging, batches: list[Batch],  # noqa: ANN401
                 staging: Path) -> None:
        self.settings, self.run_id, self.judging, self.batches = settings, run_id, judging, batches
        self.folder = staging / f"side-{run_id}"
        self.executor: Any = None
        self.future: Any = None
        self.files: list[str] = []

    def __enter__(self) -> Side:
        return self

    def start(self, docs: Any) -> None:  # noqa: ANN401 - expectations.rundocs.RunDocs | None
        """Spawn the second process (it imports while this one reads its batches' inputs) and hand it its
        batches."""
        if not self.batches:
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_started)
        self.executor.submit(_ready)
        self.files = write_inputs(self.judging, self.batches, self.folder)
        paths = {rid: self.judging.paths[rid] for b in self.batches for rid in b.ids}
        named = {rid: self.judging.named[rid] for b in self.batches for rid in b.light}
        work = SideWork(self.batches, self.files, paths, named, str(self.folder / "gx"),
                        docs.run_id if docs is not None else None)
        self.future = self.executor.submit(judge_side, self.settings, self.run_id, work)

    def collect(self, docs: Any, judge_here: Callable[[list[Batch]], list]) -> list:  # noqa: ANN401
        """The second process's findings, per batch, its Data Docs part added to ``docs``; should it have died,
        its batches judged here (``judge_here``) instead."""
        if self.future is None:
            return []
        from concurrent.futures.process import BrokenProcessPool

        try:
            result: SideResult = self.future.result()
        except BrokenProcessPool:
            self.judging.readers_left = readers(self.batches)
            return judge_here(self.batches)
        if docs is not None and result.docs is not None:
            docs.add(*result.docs)
        return [(frame, None) for frame in result.finding_frames]

    def __exit__(self, *exc: object) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None
        for name in self.files:
            Path(name).unlink(missing_ok=True)
        shutil.rmtree(self.folder, ignore_errors=True)
