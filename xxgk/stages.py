"""The nightly run's four stages as plain functions: ingest → validate → load → summary.

``flows.nightly`` wraps each stage as a Prefect flow (chunks of files as Prefect tasks); ``run_plain`` calls
the very same functions with no Prefect at all. The benchmark runs both over the same corpus (the plain run
with the Python rule engine, "bare"), so the difference between the two is what Prefect and GX cost.
"""
from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any
from datetime import datetime, timezone
from pathlib import Path

from parsing import Report
from rules.facts import Facts
from rules.findings import WHERE, Finding
from xxgk import pipeline, pool
from xxgk.settings import RunSettings

# (chunk function, items, label, *extra args) -> the chunk results concatenated in order
MapChunks = Callable[..., list]


@dataclass
class RunState:
    """What the stages hand to each other within one run."""

    run_id: str
    started_at: datetime
    sources: list[pipeline.SourceFile] = field(default_factory=list)
    unreadable: list[Path] = field(default_factory=list)
    unsupported: list[tuple[Path, pipeline.SourceFile | None]] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    facts: list[Facts] = field(default_factory=list)
    cell_rows: list[tuple[list, ...]] | None = None  # per report, when built by the parser workers
    cell_files: list[str] = field(default_factory=list)  # or the workers' Parquet files of cell rows
    stored: list[bytes | None] = field(default_factory=list)  # per parsed report: its facts as stored
    facts_files: list[str] = field(default_factory=list)  # or (a large run) the staging files holding them
    staged_facts: dict[str, str] = field(default_factory=dict)  # report id -> its file of ``facts_files``
    sentences: Any = None  # pandas frame: the sentences of the parsed reports held in memory (``report_sentences``)
    reparsed: set[str] = field(default_factory=set)  # stored reports parsed again (another parser version)
    judging: Any = None  # xxgk.incremental.Judging: the reports validated, those carried
    carried: list[str] = field(default_factory=list)
    new_ids: set[str] = field(default_factory=set)  # sha256 of the files whose bytes the warehouse lacked
    carry_from: str | None = None
    previous_present: frozenset[str] = frozenset()  # the reports with findings in run ``carry_from``
    findings: list[Finding] = field(default_factory=list)  # REG-MISSING (the judged reports': finding_frames)
    finding_frames: list[Any] = field(default_factory=list)  # per batch: its warehouse rows (a pandas frame),
    # or the Parquet file a large batch left them in (``warehouse.store.StagedFindings``)
    docs_index: Path | None = None
    staged: Any = None  # warehouse.store.StagedLoad: the load begun while validation runs
    harvested: Any = None  # xxgk.harvest.evidence.HarvestEvidence: site outcomes and page dates
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def new(cls) -> RunState:
        now = datetime.now(timezone.utc)
        return cls(run_id=now.strftime("%Y%m%dT%H%M%S%fZ"), started_at=now.replace(tzinfo=None))


def ingest(settings: RunSettings, state: RunState, map_chunks: MapChunks) -> None:
    """Discover report files, hash them, parse (in chunks, with each report's own facts) those whose bytes
    the warehouse lacks (and those an older parser read), then plan what the run judges: the reports a
    change can reach, with what they read of the others from the warehouse (``xxgk.incremental``)."""
    from warehouse import facts_store, store
    from xxgk import incremental
    from xxgk.harvest import evidence

    t0 = time.perf_counter()
    warm_up(settings.engine)
    clear_staging(settings)
    found = pipeline.survey(settings.inputs)
    stamps = {**store.file_stamps(settings.db, settings.lock_wait), **pool.hashed_before()}
    state.sources, state.unreadable = _hashed(found.reports, map_chunks, stamps)
    state.unsupported = pipeline.keep_unsupported(found.unsupported, settings.raw_root)
    state.ignored = found.ignored
    state.harvested = evidence.read(settings.db)  # what the harvests saw: REG-MISSING and REG-LATE use it
    plan = store.plan_run(settings.db, state.sources, pipeline.parser_version(), settings.lock_wait)
    new_paths = _to_parse(plan.to_parse, state.unreadable)
    thin = incremental.thin(len(new_paths) + len(plan.to_reparse))  # facts left in the staging folder
    described = map_chunks(pipeline.describe_chunk, new_paths, "parse", settings.raw_root, thin)
    described += map_chunks(pipeline.describe_archived_chunk, plan.to_reparse, "re-parse", settings.raw_root, thin)
    state.reports = [d.report for d in described]
    state.facts = [d.facts for d in described]
    evidence.with_page_dates(state.facts, state.harvested.page_dates)  # the reports rows get the page's date
    state.stored = [d.stored for d in described]
    state.facts_files = list(dict.fromkeys(d.facts_file for d in described if d.facts_file))
    state.staged_facts = {d.report.report_id: d.facts_file for d in described if d.facts_file}
    state.cell_files = list(dict.fromkeys(d.cells_file for d in described if d.cells_file))
    staged = [d.cell_rows for d in described if d.cells_file is None]
    state.cell_rows = staged if len(staged) == len(described) else None
    state.sentences = facts_store.sentences_frame(f for d, f in zip(described, state.facts) if not d.facts_file)
    del described  # (the sentences: before validation frees the texts)
    state.new_ids = {s.sha256 for s in plan.to_parse}
    state.reparsed = {rid for rid, _ in plan.to_reparse}
    if thin:  # a large run: the parser processes (each grown by thousands of reports) leave before judging
        pool.shutdown_pool()
    state.timings["parse"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    signature = settings.signature(pipeline.catalogue_version())
    fresh = incremental.Fresh(state.sentences, state.staged_facts, state.facts_files,
                              frozenset(r.report_id for r in state.reports))
    state.judging = incremental.plan_judging(settings, plan, state.reports, state.facts, state.stored, fresh,
                                             signature)
    state.carried, state.carry_from = state.judging.carried, plan.carry_from
    state.previous_present = plan.previous.present if plan.previous is not None else frozenset()
    state.timings["plan"] = time.perf_counter() - t1
    import gc

    gc.freeze()  # the reports and facts (and all that was imported) stay until validation ends: out of the
    # collector's sight meanwhile, the full collections the rules' new objects trigger do not walk them again
    # and again (~10 % of judging 10,000 reports); ``validate`` gives them back to it (``gc.unfreeze``)


def _hashed(paths: list[Path], map_chunks: MapChunks,
            stamps: dict[str, tuple[str, str]]) -> tuple[list[pipeline.SourceFile], list[Path]]:
    """The report files with their sha256, in order: taken from the last run for a file whose stamp it
    recorded unchanged (``stamps``), computed for the others; and the files that could not be read."""
    known, rest = pipeline.trusted(paths, stamps)
    fresh = iter(map_chunks(pipeline.hash_chunk, rest, "hash") if rest else [])
    hashed = [known.get(path) or next(fresh) for path in paths]
    return [h for h in hashed if isinstance(h, pipeline.SourceFile)], [h for h in hashed if isinstance(h, Path)]


def _to_parse(new: list[pipeline.SourceFile], unreadable: list[Path]) -> list[Path]:
    """The files a run parses, in the order its chunks are cut (``ingest`` and ``head_start`` alike)."""
    return [s.path for s in new] + unreadable


def clear_staging(settings: RunSettings) -> None:
    """Remove cell and finding files an interrupted run left behind (runs hold the run lock: no other run
    uses them), not those of this run's head start (written since it began)."""
    since = pool.head_started_at()
    folder = pipeline.staging_dir(settings.raw_root)
    for stale in (*folder.glob("cells-*.parquet"), *folder.glob("findings-*.parquet"),
                  *folder.glob("facts-*.parquet"), *folder.glob("sentences-*.parquet")):
        if since is None or _modified(stale) < since - STAGING_CLOCK_SLACK:
            stale.unlink(missing_ok=True)
    for stale in folder.glob("side-*"):  # what a validation in two processes left (``xxgk.side_judge``)
        shutil.rmtree(stale, ignore_errors=True)


STAGING_CLOCK_SLACK = 2.0  # s: file times come from the kernel's coarse clock, a little behind time.time()


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")  # gone already


def head_start(settings: RunSettings) -> int:
    """Before the flow runs (``xxgk run``: while Prefect's temporary server starts, one core idle), find the
    files this run will parse — those whose bytes the warehouse does not hold — and begin parsing them in
    the parser processes; the flow's ingest plans the same chunks and its parse tasks collect the results.
    Nothing is written to the warehouse. Returns the number of files given a head start (0 when the
    warehouse cannot be read without waiting: the flow then parses as usual)."""
    from warehouse import store

    stamps = store.file_stamps(settings.db, 0, read_only=True)
    sources, unreadable = _hashed(pipeline.discover(settings.inputs), map_in_pool, stamps)
    pool.remember_hashed(sources)  # the ingest takes these sha256 when the files' stamps are unchanged
    new = store.new_sources(settings.db, sources)
    if not new:
        return 0
    from xxgk.incremental import thin

    paths = _to_parse(new, unreadable)
    pool.head_start(paths, settings.raw_root, thin(len(paths)))
    return len(paths)


def warm_up(engine: str, parser: bool = True) -> None:
    """Import what the later stages need in a background thread while the workers parse: Great Expectations
    (with ``engine == "gx"``, a 3-4 s import that would otherwise start only when validation does; the
    modules it imports for expectations this project never runs are deferred to their first use,
    ``xxgk.deferred``), then the summary's report site and spreadsheets (~1 s); then, once per process, the
    parser's patterns (``_warm_parser``), unless ``parser`` is False: ``xxgk run``'s head start found no file
    to parse (a night with nothing new, a rules change), so this process parses nothing (0.27 s saved)."""
    import sys
    import threading

    wanted = (["great_expectations", "expectations.custom"] if engine == "gx" else []) + ["portal"]
    if engine == "gx" and "great_expectations" not in sys.modules:
        from xxgk import deferred

        deferred.defer()  # what GX imports for expectations this project never runs: on first use only
    global _WARMING, _PARSER_UNWANTED
    _PARSER_UNWANTED = _PARSER_UNWANTED or not parser
    if (any(name not in sys.modules for name in wanted) or not (_PARSER_WARM or _PARSER_UNWANTED)) and (
            _WARMING is None or not _WARMING.is_alive()):
        _WARMING = threading.Thread(target=_warm, args=(wanted,), name="warm-up-imports", daemon=True)
        _WARMING.start()  # once: ``xxgk run`` warms up before Prefect is imported, ``run_local`` again after


_WARMING: Any = None  # the warm-up thread (a threading.Thread) while it imports
_PARSER_WARM = False  # ``_warm_parser`` ran in this process
_PARSER_UNWANTED = False  # this process's run parses nothing itself (``warm_up(parser=False)``)
_WARM_SAMPLES = ("2020_xiangcheng_zhen.txt", "city/2021/county01.txt", "city/2021/city.html")  # in examples/


def _warm(names: list[str]) -> None:
    _import(names)
    if not _PARSER_UNWANTED:
        _warm_parser()


def _warm_parser() -> int:
    """Parse and describe a few bundled example reports (both table editions, text and HTML), once per
    process, unless this process parsed already: the parser compiles its label patterns on first use
    (~0.2 s), which a process that parses its first reports itself — a night's few new files, after a first
    run parsed in the parser processes — otherwise pays inside the run. Best effort: a missing example or a
    parse error only leaves the patterns to be compiled later. Returns how many examples it parsed."""
    global _PARSER_WARM
    if _PARSER_WARM:
        return 0
    _PARSER_WARM = True
    from parsing import api, text

    if text.label_regex.cache_info().currsize:
        return 0  # parsed here already
    examples, parsed = Path(__file__).resolve().parents[1] / "examples", 0
    for name in _WARM_SAMPLES:
        try:
            pipeline.describe(api.parse_bytes((examples / name).read_bytes(), name))
            parsed += 1
        except Exception:  # noqa: BLE001 - a warm-up only
            pass
    return parsed


def _import(names: list[str]) -> None:
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the stage that needs it imports it again and reports the error there
            pass


def validate(settings: RunSettings, state: RunState, map_batches: Callable | None = None) -> None:
    """The rules over the reports the run judges, batch by batch (GX: one validation per suite and batch,
    Data Docs into the run folder), reading the others they need; REG-MISSING over every report of the
    run. Each batch's findings are kept as warehouse rows (a few hundred bytes each, not objects).
    ``map_batches(judge_shipped, settings, run_id, shipped batches)``: judge the batches elsewhere (on a
    Dask cluster), when there are several; each then has its own GX folder in the run folder."""
    import gc

    try:
        _validate(settings, state, map_batches)
    finally:
        gc.unfreeze()  # frozen at the end of ``ingest``
        if state.judging is not None:
            state.judging.close()


def _validate(settings: RunSettings, state: RunState, map_batches: Callable | None) -> None:
    from xxgk.check import missing_of, run_docs

    t0 = time.perf_counter()
    judging = state.judging
    years = settings.years or judging.years
    if state.harvested is not None and state.harvested.page_dates:  # REG-LATE by the page's date
        settings = replace(settings, page_dates=state.harvested.page_dates)
    docs = None
    if map_batches is not None and len(judging.batches) > 1:
        judged = map_batches(judge_shipped, settings, state.run_id, [judging.shipped(b) for b in judging.batches])
    else:
        docs = run_docs(settings.engine, settings.run_dir(state.run_id))  # built once, after the last batch
        judged = _judge_here_and_aside(settings, state, docs)
    state.finding_frames = [rows for rows, _ in judged]
    built = docs.build() if docs is not None else None
    state.docs_index = built or next((Path(index) for _, index in judged if index), None)
    register = settings.bodies if settings.register else None
    state.findings = list(missing_of(register, judging.filed, years,
                                     harvest=state.harvested.outcomes if state.harvested else None))
    state.timings["validate"] = time.perf_counter() - t0


def _judge_here_and_aside(settings: RunSettings, state: RunState, docs: Any) -> list[tuple[Any, str | None]]:
    """The run's batches judged in order: its first ones here, its last ones (a large run's) meanwhile in a
    second process (``xxgk.side_judge``), their Data Docs part added to ``docs`` after this process's."""
    from xxgk import side_judge

    judging = state.judging
    here, aside = side_judge.split(judging, parsed_in_bulk=bool(state.facts_files))

    def judge_here(batches: list) -> list[tuple[Any, str | None]]:
        return [judge_batch(settings, state.run_id, *judging.materialise(b), b.common, docs=docs) for b in batches]

    with side_judge.Side(settings, state.run_id, judging, aside, pipeline.staging_dir(settings.raw_root)) as side:
        t0 = time.perf_counter()
        side.start(docs)
        t1 = time.perf_counter()
        judged = judge_here(here)
        t2 = time.perf_counter()
        judged += side.collect(docs, judge_here)
        if aside:  # the hand-over, this process's own batches, then the wait for the other's
            state.timings.update({"validate.hand_over": t1 - t0, "validate.here": t2 - t1,
                                  "validate.wait_aside": time.perf_counter() - t2})
        return judged


def judge_batch(settings: RunSettings, run_id: str, reports: list[Report], facts: list[Facts], judged: list[bool],
                common: Any, run_dir: Path | None = None, docs: Any = None) -> tuple[Any, str | None]:
    """One batch's findings, as warehouse rows, and its Data Docs index (if built)."""
    from warehouse.db import _refuse_duplicate_findings
    from warehouse.rows import finding_rows
    from xxgk.check import check_described

    register = settings.bodies if settings.register else None
    result = check_described(reports, facts, run_dir or settings.run_dir(run_id), settings.engine, register,
                             matches=settings.matches(reports), judged=judged, common=common, missing=False,
                             page_dates=settings.page_dates, docs=docs)
    from warehouse.store import stage_findings

    index = str(result.docs_index) if result.docs_index else None
    release_bulky_facts(facts)  # before the findings' rows are made (judging's peak memory)
    rows = finding_rows(run_id, [f for c in result.checked for f in c.findings], {})
    del result  # the findings as objects, before their rows are written
    _refuse_duplicate_findings(rows)
    kept = stage_findings(rows, pipeline.staging_dir(settings.raw_root))  # a large batch's rows wait on disk
    return kept, index


def judge_shipped(settings: RunSettings, run_id: str, shipped: Any, number: int) -> tuple[Any, str | None]:
    """``judge_batch`` of a batch shipped to a worker of a cluster (``incremental.Shipped``), with GX in a
    folder of its own (``batch-<number>`` in the run folder: the workers validate side by side)."""
    reports, facts, judged = shipped.materialise()
    run_dir = settings.run_dir(run_id) / f"batch-{number:03d}"
    return judge_batch(settings, run_id, reports, facts, judged, shipped.batch.common, run_dir)


BULKY_FACTS = ("text.s1", "text.s5", "pieces.s1", "pieces.s5", "sents.s1", "sents.s5", WHERE)


def release_bulky_facts(facts: list[Facts]) -> None:
    """Drop what only the rules needed (section texts, their shingles and sentences, where each cell was
    printed) once the findings exist: at 10,000 reports that is a few hundred MB the load does not need."""
    for f in facts:
        for name in BULKY_FACTS:
            f.pop(name, None)


def begin_load(settings: RunSettings, state: RunState) -> None:
    """Start the load while validation runs: the register, the run's new reports and their cells, written
    in a transaction left open (DuckDB does the writing on the other core, one thread fewer while the rules
    run; the rules do not need it)."""
    from warehouse import store

    t0 = time.perf_counter()
    judged = state.judging is not None and bool(state.judging.n_judged)
    state.staged = store.begin_load(settings, state, beside_rules=judged)  # the rules run meanwhile
    state.timings["load_begun"] = time.perf_counter() - t0


def load(settings: RunSettings, state: RunState, flow_run_id: str | None) -> None:
    """The one writer: the run, new reports and cells (begun by ``begin_load``, or now), and this run's
    findings, in one transaction."""
    from warehouse import store

    t0 = time.perf_counter()
    staged, state.staged = state.staged or store.begin_load(settings, state), None
    store.finish_load(staged, settings, state, flow_run_id)
    for name in (*state.cell_files, *state.facts_files, *map(pipeline.staged_sentences, state.facts_files)):
        Path(name).unlink(missing_ok=True)  # loaded (or the run failed: the next run clears them)
    for staged in state.finding_frames:  # the batches' findings kept on disk, loaded by now
        if isinstance(staged, store.StagedFindings):
            Path(staged.path).unlink(missing_ok=True)
    state.finding_frames = []
    release_after_load(state)
    state.timings["load"] = time.perf_counter() - t0


def release_after_load(state: RunState) -> None:
    """The summary reads the warehouse, not the run: drop the facts, stored forms and sentences the run
    kept for judging and loading, and hand the freed heap back to the system, so that the summary's own
    memory (the report site's snapshot) does not come on top of the judging's (peak RSS at 100,000
    reports). What ``outcome`` counts stays."""
    import gc

    large = len(state.reports) + (state.judging.n_judged if state.judging is not None else 0) >= COLLECT_AT
    state.facts, state.stored, state.sentences = [], [], None
    if state.judging is not None:
        state.judging.release()
    if large:  # a night's few reports hold little: a full collection (~0.5 s over what the run imported) and
        gc.collect()  # the heap's trim would cost more than they give back
        _trim_heap()


COLLECT_AT = 2_000  # reports parsed plus judged from which ``release_after_load`` collects and trims the heap


def _trim_heap() -> None:
    """glibc keeps freed memory in its arenas; ``malloc_trim`` returns it (a no-op elsewhere)."""
    import ctypes

    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):
        pass


def abandon_load(state: RunState) -> None:
    """Roll back a load begun for a run that failed before finishing it."""
    from warehouse import store

    if state.staged is not None:
        store.abandon_load(state.staged)
        state.staged = None
    if state.judging is not None:
        state.judging.close()


def summary(settings: RunSettings, state: RunState, top: int = 10) -> dict:
    """Flag non-compliant bodies: the audit list (CSV, XLSX), its top rows, the report site and drafts."""
    import portal
    from warehouse import exports

    t0 = time.perf_counter()
    built = portal.build_all(settings.db, settings.out_dir, docs_root=settings.docs, pool=pool.idle_pool(),
                             audit=exports.write_audit)       # the audit list is written while the run is read
    result = built["audit"]
    exports.print_top(result, top)
    state.timings["summary"] = time.perf_counter() - t0
    return {"n_bodies": result.n_rows, "n_error_bodies": result.n_error_bodies, "csv": str(result.csv),
            "xlsx": str(result.xlsx), "site": str(built["site"]), "notices": len(built["notices"])}


def outcome(state: RunState, summarised: dict, settings: RunSettings | None = None) -> dict:
    """What a run returns (and ``xxgk run`` prints): besides the counts of this run, every file found and
    what became of it, and the verdicts of the latest run (reports and bodies), read back from the
    warehouse (``run_files``, ``report_verdicts``)."""
    from warehouse import store

    accounted = store.run_accounting(settings.db, state.run_id) if settings is not None else {}
    return {"run_id": state.run_id, "n_files": len(state.sources) + len(state.unreadable) + len(state.unsupported),
            "n_parsed": len(state.reports), "n_carried": len(state.carried),
            "n_judged": state.judging.n_judged if state.judging is not None else 0,
            "n_withdrawn": len(state.judging.withdrawn) if state.judging is not None else 0,
            "docs": str(state.docs_index) if state.docs_index else None, "timings": state.timings,
            **accounted, **summarised}


def map_in_pool(fn: Callable, items: list, label: str, *args: object) -> list:
    """Chunks of ``items`` through ``fn`` (plain Python, no Prefect): parsing in the parser pool, hashing
    in threads of this process (sha256 releases the GIL; no process start is worth it)."""
    if fn is pipeline.hash_chunk:
        with ThreadPoolExecutor(max_workers=4) as threads:
            return [out for part in threads.map(fn, pipeline.chunks(items, pipeline.HASH_CHUNK)) for out in part]
    return pool.map_pooled(fn, items, *args)


def run_plain(settings: RunSettings) -> dict:
    """The whole run without Prefect: the same stage functions, called one after the other (the load
    begun in a thread while validation runs)."""
    state = RunState.new()
    settings.preflight()
    try:
        with settings.run_lock():
            ingest(settings, state, map_in_pool)
            with ThreadPoolExecutor(max_workers=1) as thread:
                begun = thread.submit(begin_load, settings, state)
                try:
                    validate(settings, state)
                finally:
                    wait([begun])
            begun.result()
            load(settings, state, None)
            summarised = summary(settings, state)
    finally:
        abandon_load(state)
        pool.shutdown_pool()
    return outcome(state, summarised, settings)
