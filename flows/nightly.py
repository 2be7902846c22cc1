"""The nightly pipeline as Prefect flows: ingest → validate → load → summary.

Flows only orchestrate: each stage is a function of ``xxgk.stages`` (the same functions the benchmark runs
without Prefect). Tasks work on chunks of files, never one task per report; GX runs once per run, from the
flow's own thread; the warehouse has one writer (``load``).
"""
from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import logging
import os
from collections.abc import Callable

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.utilities.annotations import quote
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

from flows import local_server
from warehouse import db
from xxgk import pipeline, pool, stages
from xxgk.settings import RunSettings, default_db
from xxgk.stages import RunState

__all__ = ["RunState", "begin_load", "ingest", "load", "nightly", "run_local", "summary", "validate"]

_STATES: dict[str, RunState] = {}  # a run's in-memory state, handed between stages by run id


def _state(run_id: str) -> RunState:
    """The run's state. Flows and tasks reach it through this function, never by naming ``_STATES``: a flow
    whose function is shipped to a Dask worker (pickled by value) would otherwise take the whole state
    along, and its open warehouse connection cannot travel."""
    return _STATES[run_id]


# ---------------------------------------------------------------- tasks


@task(name="hash files", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)
def hash_chunk(paths: list) -> list:
    """sha256 of each file of the chunk (a file that cannot be read is returned as its path)."""
    return pipeline.hash_chunk(paths)


@task(name="parse reports", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)
def parse_chunk(paths: list, raw_root, thin: bool = False, pooled: bool = True) -> list:  # noqa: ANN001
    """Parse one chunk of files (with each report's own facts; ``thin``: only what a large run keeps): in
    a worker of the run's parser pool, or right here when the task itself runs on a Dask worker
    (``pooled=False``)."""
    return _run(pipeline.describe_chunk, paths, raw_root, thin, pooled)


@task(name="re-parse archived reports", retries=1, cache_policy=NO_CACHE)
def reparse_chunk(items: list, raw_root, thin: bool = False, pooled: bool = True) -> list:  # noqa: ANN001
    """Re-read one chunk of stored reports from the raw archive (read by another parser version)."""
    return _run(pipeline.describe_archived_chunk, items, raw_root, thin, pooled)


def _run(fn: Callable, items: list, raw_root, thin: bool, pooled: bool) -> list:  # noqa: ANN001
    return pool.run_pooled(fn, items, raw_root, thin) if pooled else fn(items, raw_root, thin)


_TASKS = {pipeline.hash_chunk: hash_chunk, pipeline.describe_chunk: parse_chunk,
          pipeline.describe_archived_chunk: reparse_chunk}


def _map_tasks(settings: RunSettings, distributed: bool) -> stages.MapChunks:
    """Chunks as Prefect tasks (submitted at once, collected in order), with progress. On a Dask cluster
    the tasks parse where they run (the cluster's workers are the parallelism). A chunk is passed
    ``quote``-d: Prefect would otherwise visit each of its thousands of paths looking for futures (measured:
    a third of the time of hashing 10,000 files); not on Dask, where the chunk is shipped to a worker anyway."""
    progress = settings.progress()

    def map_chunks(fn: Callable, items: list, label: str, *args: object) -> list:
        extra = (not distributed,) if fn is not pipeline.hash_chunk else ()
        size = pipeline.HASH_CHUNK if fn is pipeline.hash_chunk else pipeline.CHUNK
        wrap = quote if not distributed else list  # Prefect's Dask runner hands a quote over still wrapped
        futures = [_TASKS[fn].submit(wrap(chunk), *args, *extra) for chunk in pipeline.chunks(items, size)]
        for done, _ in enumerate(as_completed(futures), start=1):
            if progress:
                progress(label, min(done * size, len(items)), len(items))
        return [item for future in futures for item in future.result()]

    return map_chunks


# ---------------------------------------------------------------- flows


@flow(name="ingest", validate_parameters=False)
def ingest(settings: RunSettings, run_id: str, distributed: bool = False) -> None:
    """Discover report files, hash them, parse (in chunks) those not yet in the warehouse."""
    state = _state(run_id)
    stages.ingest(settings, state, _map_tasks(settings, distributed))
    get_run_logger().info("ingest: %d files, %d parsed, %d unchanged", len(state.sources) + len(state.unreadable),
                          len(state.reports), len(state.carried))


@task(name="judge batch", retries=1, cache_policy=NO_CACHE)
def judge_batch(settings: RunSettings, run_id: str, shipped, number: int) -> tuple:  # noqa: ANN001
    """One batch of reports judged where the task runs (a worker of the Dask cluster): its findings as
    warehouse rows, and where its Data Docs are."""
    return stages.judge_shipped(settings, run_id, shipped, number)


@flow(name="validate", validate_parameters=False)
def validate(settings: RunSettings, run_id: str, distributed: bool = False) -> None:
    """The rules over the reports the run judges, batch by batch: one GX validation per suite and batch,
    Data Docs into the run folder. On a Dask cluster (``distributed``) the batches are judged side by side
    on its workers, when there are several."""
    stages.validate(settings, _state(run_id), _map_batches if distributed else None)


def _map_batches(fn, settings: RunSettings, run_id: str, shipped: list) -> list:  # noqa: ANN001
    """The batches as ``judge batch`` tasks (on the flow's task runner), results in order."""
    futures = [judge_batch.submit(settings, run_id, batch, number) for number, batch in enumerate(shipped, start=1)]
    return [future.result() for future in futures]


@task(name="write reports and cells", cache_policy=NO_CACHE)
def begin_load(settings: RunSettings, run_id: str) -> None:
    """While validation runs: the run's new reports and cells, in the load's transaction (left open)."""
    stages.begin_load(settings, _state(run_id))


@task(name="load warehouse", cache_policy=NO_CACHE)
def load(settings: RunSettings, run_id: str, flow_run_id: str | None) -> None:
    """The one writer: the run, new reports and cells, and this run's findings, in one transaction."""
    stages.load(settings, _state(run_id), flow_run_id)


@flow(name="summary", validate_parameters=False)
def summary(settings: RunSettings, run_id: str, top: int = 10) -> dict:
    """Flag non-compliant bodies: the audit list as CSV and XLSX with Chinese headers, its top rows, the
    report site and the 整改通知 drafts."""
    return stages.summary(settings, _state(run_id), top)


@flow(name="nightly", validate_parameters=False)
def nightly(inputs: list[str] | None = None, db: str | None = None, register: str | None = None,
            docs: str | None = None, out: str | None = None, engine: str = "gx", show_progress: bool = False,
            years: list[int] | None = None, wait: float = 30.0, dask: str | None = None,
            allow_shrink: bool = False, harvest: bool = False) -> dict:
    """The nightly run: (harvest →) ingest → validate → load → summary over the report folders ``inputs`` and
    the reports harvested beside the warehouse (``<db dir>/harvested``). ``harvest``: first fetch the
    register's bodies' reports from their websites (the register's ``source_url`` column).
    Parameters are plain values so that a deployment (``xxgk serve``, ``prefect deploy``) can carry them.
    ``dask``: run the ingest tasks (and the validation batches, when the run judges more than one batch)
    on a Dask cluster — ``"local"`` starts one on this machine, otherwise the scheduler's address
    (``tcp://host:8786``); the planning, REG-MISSING and the warehouse stay in this process."""
    settings = run_settings(inputs, db, register, docs, out, engine, show_progress, years, wait,
                            allow_shrink=allow_shrink, harvest=harvest)
    return run_stages(settings, dask, harvest=harvest)


def run_settings(inputs: list[str] | None = None, db: str | None = None, register: str | None = None,
                 docs: str | None = None, out: str | None = None, engine: str = "gx", show_progress: bool = False,
                 years: list[int] | None = None, wait: float = 30.0, allow_shrink: bool = False,
                 harvest: bool = False, **_: object) -> RunSettings:
    """``nightly``'s parameters (plain values) as the stages' settings; the warehouse and output folders
    not given come from the project home (``xxgk.settings.project_home``), never from the current folder.
    The reports harvested beside the warehouse are inputs like any others (when harvesting, or when an
    earlier harvest left them)."""
    from pathlib import Path

    from xxgk.harvest.evidence import harvested_folder

    paths = {name: Path(value) for name, value in (("db", db), ("docs", docs), ("out_dir", out)) if value}
    folder = harvested_folder(paths.get("db") or default_db())
    with_harvest = harvest or folder.is_dir()
    inputs_ = [Path(p) for p in (inputs or ([] if with_harvest else ["examples"]))]
    if with_harvest and folder not in inputs_:
        inputs_.append(folder)
    return RunSettings(tuple(inputs_), register=Path(register) if register else None,
                       engine=engine, show_progress=show_progress, lock_wait=wait,
                       years=tuple(years) if years else None, allow_shrink=allow_shrink, **paths)


def run_local(**parameters: object) -> dict:
    """``nightly`` as ``xxgk run`` runs it, in this process. With no Prefect server configured
    (``PREFECT_API_URL``), on Prefect's temporary local server, launched first thing (``xxgk run`` launches
    it even before Prefect is imported, and gives the parse its head start then): while it starts
    (several seconds, one core busy) the parser processes start and begin parsing the files this run
    will parse (``stages.head_start``; the flow's parse tasks collect them), and Great Expectations and
    the report site are imported. A later run of the same process finds the server up and starts the
    parser processes only when a chunk needs parsing. Flow-run heartbeats are off: they exist to let a
    server notice that a worker's run crashed, and a local server lives and dies with this very process
    (each costs up to a second at the end of a flow run). A deployment run (``xxgk serve``) keeps them."""
    from prefect.settings import PREFECT_API_URL

    _exit_without_collecting()
    local = not PREFECT_API_URL.value()
    launched = local_server.start() if local else False
    waits_for_server = launched or (local and not local_server.ready())  # launched early, still starting
    if waits_for_server and os.environ.get("XXGK_PARSE_WORKERS") != "0" and not parameters.get("dask"):
        _head_start(parameters)  # before the imports start: their thread would hold the GIL; the parser
        # processes start only when a file is new (most nights: a few files, or none)
    stages.warm_up(str(parameters.get("engine", "gx")))
    _import_flow_call()
    updates = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None, **(_local_client_settings() if local else {})}
    try:
        with temporary_settings(updates=updates):
            return nightly(**parameters)
    finally:
        pool.drop_head_start()


FLOW_CALL_MODULES = ("prefect.utilities.visualization", "prefect.flow_engine", "fastapi.encoders",
                     "prefect.task_engine")  # what Prefect imports on a process's first flow call and task


def _import_flow_call() -> None:
    """Import what Prefect imports when this process first calls a flow, serialises its parameters and
    submits a task (~0.4 s; prefect 3.9: ``Flow.__call__``, ``Flow.serialize_parameters``,
    ``ThreadPoolTaskRunner.submit``): here, before ``run_local`` waits for the temporary server it launched
    (which answers ~4 s after its launch), that time is spent while the server starts, not after it. Best
    effort: a module another Prefect version lacks is left to Prefect."""
    for name in FLOW_CALL_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            continue


def _subflows_without_heartbeats() -> contextlib.AbstractContextManager:
    """The stages' flows send no heartbeats (the nightly flow's own are those a server would miss); nothing
    to change when heartbeats are off already (``run_local``): a change of Prefect's settings costs ~0.05 s."""
    if PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value() is None:
        return contextlib.nullcontext()
    return temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})


def _exit_without_collecting() -> None:
    """When this process exits (``xxgk run`` after its run), the objects it holds are frozen out of the
    collector's sight (``gc.freeze``, an exit handler): the interpreter's last full collection walked every
    object the run left (Prefect, Great Expectations, what the run read) only for the system to take the
    memory back — ~0.5 s of a night on a quiet machine, 1.6 s on a busy one. The other exit handlers
    (Prefect's logs and events delivered, the temporary server stopped) run as before."""
    global _EXIT_HOOKED
    if not _EXIT_HOOKED:
        atexit.register(gc.freeze)
        _EXIT_HOOKED = True


_EXIT_HOOKED = False


def _head_start(parameters: dict) -> None:
    """``stages.head_start``, which only saves time: whatever goes wrong there (a missing folder, an
    unreadable register) the flow meets again and reports as it should. Not again when this process gave
    the run its head start already (``xxgk run``, before Prefect was imported)."""
    if pool.head_started_at() is not None or pool.hashed_before():
        return
    try:
        stages.head_start(run_settings(**parameters))
    except Exception:  # noqa: BLE001
        logging.getLogger(__name__).debug("no head start", exc_info=True)


def _local_client_settings() -> dict:
    """The client's settings for the temporary server: its address (once it answers); more attempts after a
    503, which that server answers with a short ``Retry-After`` (``local_server.RetrySoon``); no CSRF token
    fetched per client unless the server asks for one."""
    from prefect.settings import (PREFECT_API_URL, PREFECT_CLIENT_CSRF_SUPPORT_ENABLED, PREFECT_CLIENT_MAX_RETRIES,
                                  PREFECT_SERVER_CSRF_PROTECTION_ENABLED)

    return {PREFECT_API_URL: local_server.api_url(), PREFECT_CLIENT_MAX_RETRIES: local_server.CLIENT_RETRIES,
            PREFECT_CLIENT_CSRF_SUPPORT_ENABLED: PREFECT_SERVER_CSRF_PROTECTION_ENABLED.value()}


def dask_runner(dask: str):  # noqa: ANN201 - prefect_dask.DaskTaskRunner
    """Prefect's Dask task runner: a local cluster of one single-threaded worker process per core, or the
    cluster at ``dask`` (an address). Workers need this project installed (same code, same rules)."""
    import os

    from prefect_dask import DaskTaskRunner

    if dask == "local":
        workers = int(os.environ.get("XXGK_PARSE_WORKERS") or os.cpu_count() or 1)
        return DaskTaskRunner(cluster_kwargs={"n_workers": max(workers, 1), "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": None})
    return DaskTaskRunner(address=dask)


def _nothing_to_validate(settings: RunSettings, state: RunState) -> None:
    """No report any change can reach: no validation subflow (a flow run costs its API calls); only the
    registered bodies' missing years are decided again, in plain Python."""
    stages.validate(settings, state)
    get_run_logger().info("validate: no new or changed report%s", f"; the findings of run {state.carry_from} carry "
                          "over unchanged" if state.carry_from else "")


def run_stages(settings: RunSettings, dask: str | None = None, harvest: bool = False) -> dict:
    """The four stages as subflows (and tasks) of the calling flow. While the validation subflow runs, a task
    writes the run's new reports and cells into the load's transaction (left open; the load task adds the
    findings and commits, or the run rolls it back). When no change reaches any report there is nothing to
    validate, and no validation subflow (a flow run costs its API calls). The subflows send no heartbeats
    of their own: they run inside ``nightly``, whose heartbeat already tells the server the run is alive
    (and Prefect's heartbeat thread costs up to a second at the end of every flow run)."""
    from prefect.runtime import flow_run

    state = RunState.new()
    _STATES[state.run_id] = state
    harvested = None
    gc.freeze()  # what the process holds before the run (imports, Prefect, the server's client): out of the
    # collector's sight (``_collector_spared``)
    try:
        if harvest:  # first: the harvested files are inputs of the checks below
            harvested = _harvest(settings)
        settings.preflight()  # a scheduled run does not pass through ``xxgk run``: refuse an unmounted share here too
        with settings.run_lock(), _subflows_without_heartbeats(), \
                db.kept_open(settings.db, settings.lock_wait):  # one open warehouse until the load (``kept_open``)
            if dask:
                ingest.with_options(task_runner=dask_runner(dask))(settings, state.run_id, distributed=True)
            else:
                ingest(settings, state.run_id)
            _kept_for_small_run(settings, state)
            begun = begin_load.submit(settings, state.run_id)
            try:
                if state.judging.n_judged and dask and len(state.judging.batches) > 1:
                    validate.with_options(task_runner=dask_runner(dask))(settings, state.run_id, distributed=True)
                elif state.judging.n_judged:
                    validate(settings, state.run_id)
                else:
                    _nothing_to_validate(settings, state)
            finally:
                begun.wait()
            begun.result()
            _collector_spared(state)
            load(settings, state.run_id, flow_run.get_id())
            summarised = summary(settings, state.run_id)
    finally:
        gc.unfreeze()
        stages.abandon_load(state)
        _STATES.pop(state.run_id, None)
        pool.drop_head_start()
        pool.shutdown_pool()
    outcome = stages.outcome(state, summarised, settings)
    if harvested is not None:
        outcome["harvest"] = harvested
    return outcome


def _kept_for_small_run(settings: RunSettings, state: RunState) -> None:
    """A large run (``stages.COLLECT_AT`` reports parsed and judged or more) lets the warehouse it held open
    since the ingest go (``db.kept_open``): its pages cached by the ingest would stay in memory meanwhile."""
    judged = state.judging.n_judged if state.judging is not None else 0
    if len(state.reports) + judged >= stages.COLLECT_AT:
        db.release_kept(settings.db)


def _collector_spared(state: RunState) -> None:
    """Keep the objects the process holds out of the cyclic collector's sight (``gc.freeze``) for the rest of
    a small run (fewer than ``stages.COLLECT_AT`` reports parsed and judged): the run begins with them frozen,
    which ``stages.validate`` ends. Each full collection a night's few thousand new objects trigger would walk
    every object of the process — Prefect, Great Expectations, pandas, the report site: ~0.5 s each,
    several per night with 30,000 reports stored. A large run's objects stay in sight: its cyclic garbage is
    collected as it goes (peak memory). ``run_stages`` gives them all back to the collector at its end."""
    judged = state.judging.n_judged if state.judging is not None else 0
    if len(state.reports) + judged < stages.COLLECT_AT:
        gc.freeze()


def _harvest(settings: RunSettings) -> dict:
    """The ``harvest`` subflow over the register's ``source_url``s, into this warehouse's raw archive and
    harvested folder; returns its summary."""
    from flows.harvest import harvest as harvest_flow
    from xxgk.errors import UserError

    if settings.register is None:
        raise UserError("采集（--harvest）需要机关名录（--register，含 source_url 列）；未运行")
    return harvest_flow(register=str(settings.register), db=str(settings.db),
                        years=list(settings.years) if settings.years else None)
