"""The nightly pipeline as Prefect flows: ingest → validate → load → summary.

Flows only orchestrate: the work is done by ``xxgk.pipeline`` (files, parsing), ``rules`` (findings),
``expectations`` (GX) and ``warehouse`` (DuckDB). Tasks work on chunks of reports, never one task per
report; GX runs once per run, from the flow's own thread; the warehouse has one writer (``load``).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from parsing import Report
from rules.findings import Finding
from xxgk import pipeline
from xxgk.settings import RunSettings

CHUNK = 250
Progress = Callable[[str, int, int], None]
_STATES: dict[str, "RunState"] = {}  # a run's in-memory state, handed between stages by run id


@dataclass
class RunState:
    """What the stages hand to each other within one run."""

    run_id: str
    started_at: datetime
    sources: list[pipeline.SourceFile] = field(default_factory=list)
    unreadable: list[Path] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    carried: list[str] = field(default_factory=list)
    carry_from: str | None = None
    findings: list[Finding] = field(default_factory=list)
    docs_index: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------- tasks


@task(name="hash files", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)
def hash_chunk(paths: list[Path]) -> list[pipeline.SourceFile | Path]:
    """sha256 of each file (a file that cannot be read is returned as its path)."""
    return [pipeline.hash_file(p) or p for p in paths]


@task(name="parse reports", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)
def parse_chunk(paths: list[Path], raw_root: Path) -> list[Report]:
    """Parse one chunk of files in a worker process of the run's parser pool."""
    return pipeline.parse_chunk_pooled(paths, raw_root)


@task(name="re-parse archived reports", retries=1, cache_policy=NO_CACHE)
def reparse_chunk(items: list[tuple[str, str]], raw_root: Path) -> list[Report]:
    return [pipeline.parse_archived(report_id, raw_root, path) for report_id, path in items]


# ---------------------------------------------------------------- flows


@flow(name="ingest", validate_parameters=False)
def ingest(settings: RunSettings, run_id: str) -> None:
    """Discover report files, hash them, parse (in chunks) those not yet in the warehouse."""
    from warehouse import store

    state, progress = _STATES[run_id], settings.progress()
    t0 = time.perf_counter()
    paths = pipeline.discover(settings.inputs)
    hashed = _run_chunks(hash_chunk, paths, progress, "hash")
    state.sources = [h for h in hashed if isinstance(h, pipeline.SourceFile)]
    state.unreadable = [h for h in hashed if isinstance(h, Path)]
    plan = store.plan_run(settings.db, state.sources, settings.signature(pipeline.catalogue_version()),
                          settings.lock_wait)
    new_paths = [s.path for s in plan.to_parse] + state.unreadable
    state.reports = _run_chunks(parse_chunk, new_paths, progress, "parse", settings.raw_root)
    state.reports += _run_chunks(reparse_chunk, plan.to_reparse, progress, "re-parse", settings.raw_root)
    state.carried, state.carry_from = plan.carried, plan.carry_from
    state.timings["parse"] = time.perf_counter() - t0
    get_run_logger().info("ingest: %d files, %d parsed, %d unchanged", len(paths), len(state.reports),
                          len(state.carried))


def _run_chunks(fn, items: list, progress: Progress | None, label: str, *args) -> list:  # noqa: ANN001
    futures = [fn.submit(chunk, *args) for chunk in pipeline.chunks(items, CHUNK)]
    done = 0
    for future in as_completed(futures):
        done += 1
        if progress:
            progress(label, min(done * CHUNK, len(items)), len(items))
    return [item for future in futures for item in future.result()]


@flow(name="validate", validate_parameters=False)
def validate(settings: RunSettings, run_id: str) -> None:
    """All rules over the whole batch: one GX validation per suite, Data Docs into the run folder."""
    from xxgk.check import check_reports

    state = _STATES[run_id]
    t0 = time.perf_counter()
    if not state.reports:  # nothing new: every finding carries over from the last run
        state.timings["validate"] = 0.0
        return
    register = settings.bodies if settings.register else None
    result = check_reports(state.reports, settings.run_dir(state.run_id), settings.engine, register,
                           years=settings.years)
    state.findings = [f for c in result.checked for f in c.findings] + list(result.missing)
    state.docs_index = result.docs_index
    state.timings["validate"] = time.perf_counter() - t0


@task(name="load warehouse", cache_policy=NO_CACHE)
def load(settings: RunSettings, run_id: str, flow_run_id: str | None) -> None:
    """The one writer: the run, new reports and cells, and this run's findings, in one transaction."""
    from warehouse import store

    state = _STATES[run_id]
    t0 = time.perf_counter()
    store.load(settings, state, flow_run_id)
    state.timings["load"] = time.perf_counter() - t0


@flow(name="summary", validate_parameters=False)
def summary(settings: RunSettings, run_id: str, top: int = 10) -> dict:
    """Flag non-compliant bodies: the audit list as CSV and XLSX with Chinese headers, and its top rows."""
    from warehouse import exports

    state = _STATES[run_id]
    t0 = time.perf_counter()
    result = exports.write_audit(settings.db, settings.out_dir)
    exports.print_top(result, top)
    site = report_site(settings)
    state.timings["summary"] = time.perf_counter() - t0
    return {"n_bodies": result.n_rows, "n_error_bodies": result.n_error_bodies, "csv": str(result.csv),
            "xlsx": str(result.xlsx), **site}


@task(name="report site", cache_policy=NO_CACHE)
def report_site(settings: RunSettings) -> dict:
    """The Chinese report site, the audit list by county and the 整改通知 drafts (portal/)."""
    import portal

    built = portal.build_all(settings.db, settings.out_dir, docs_root=settings.docs)
    return {"site": str(built["site"]), "notices": len(built["notices"])}


@flow(name="nightly", validate_parameters=False)
def nightly(inputs: list[str] | None = None, db: str = "warehouse/xxgk.duckdb", register: str | None = None,
            docs: str = "out/docs", out: str = "out", engine: str = "gx", show_progress: bool = False,
            years: list[int] | None = None, wait: float = 30.0) -> dict:
    """The nightly run: ingest → validate → load → summary over the report folders ``inputs``.
    Parameters are plain values so that a deployment (``xxgk serve``, ``prefect deploy``) can carry them."""
    settings = RunSettings(tuple(Path(p) for p in (inputs or ["examples"])), Path(db),
                           Path(register) if register else None, Path(docs), Path(out), engine, show_progress,
                           lock_wait=wait, years=tuple(years) if years else None)
    return run_stages(settings)


def run_stages(settings: RunSettings) -> dict:
    from prefect.runtime import flow_run

    state = RunState(run_id=_run_id(), started_at=datetime.now(timezone.utc).replace(tzinfo=None))
    _STATES[state.run_id] = state
    try:
        settings.check_writable()
        with settings.run_lock():
            ingest(settings, state.run_id)
            validate(settings, state.run_id)
            load(settings, state.run_id, flow_run.get_id())
            outcome = summary(settings, state.run_id)
    finally:
        _STATES.pop(state.run_id, None)
        pipeline.shutdown_pool()
    return {"run_id": state.run_id, "n_files": len(state.sources) + len(state.unreadable),
            "n_parsed": len(state.reports), "n_carried": len(state.carried),
            "docs": str(state.docs_index) if state.docs_index else None, "timings": state.timings, **outcome}


def _run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
