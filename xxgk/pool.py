"""The run's parser processes and the head start: one pool of spawned processes per run, a chunk's parsing
begun before the flow that collects it (while Prefect's server starts), a night's few files parsed here.

Split from ``xxgk.pipeline`` (what a run reads and how one report is parsed), which this module drives.
"""
from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from xxgk.pipeline import CHUNK, SourceFile, chunks, describe_chunk, forget_survey, staged_files


_POOL = None
_POOL_LOCK = threading.Lock()  # Prefect runs the chunk tasks in threads: they must share one pool


def process_pool():  # noqa: ANN201 - concurrent.futures.ProcessPoolExecutor
    """One pool of parser processes per run (parsing is CPU-bound Python: threads would not help).
    Workers are spawned, not forked, so that threads of Prefect or GX in this process are never copied."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            workers = int(os.environ.get("XXGK_PARSE_WORKERS", os.cpu_count() or 1))
            _POOL = ProcessPoolExecutor(max_workers=max(workers, 1), mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_worker_started)
        return _POOL


def warm_pool() -> None:
    """Start the parser processes now (each imports the parser and the rules, ~1 s) without waiting for
    them: ``xxgk run`` does this while Prefect's local server starts, on the core that is idle then."""
    pool = process_pool()
    for _ in range(pool._max_workers):  # noqa: SLF001 - the pool's own size
        pool.submit(_ready)


def _worker_started() -> None:
    """A parser process has started and imported the parser and the rules (to unpickle this function):
    those long-lived objects are moved out of the garbage collector's sight, so that the collections the
    chunks' many new objects trigger do not walk them again and again (~8 % of a worker's time)."""
    gc.freeze()


def _ready() -> None:
    """Nothing: a worker that ran it has started and imported this module."""


def idle_pool():  # noqa: ANN201 - concurrent.futures.ProcessPoolExecutor | None
    """The run's parser processes, for other work once parsing is done; None when the run started none
    (nothing to parse, a Dask cluster parsed, or ``XXGK_PARSE_WORKERS=0``): starting them then would cost
    more than the work saves."""
    with _POOL_LOCK:
        return _POOL


def shutdown_pool() -> None:
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None:
            _POOL.shutdown(wait=False, cancel_futures=True)
            _POOL = None


def run_pooled(fn: Callable, items: list, *args: object) -> list:
    """``fn(items, *args)`` in a worker process of the pool (in this process when ``XXGK_PARSE_WORKERS=0``,
    or when a worker died: parse here rather than fail the run). A chunk given a head start
    (``head_start``) is not submitted again: its result is collected."""
    started = _HEAD_START.pop(_chunk_key(items, args), None) if fn is describe_chunk else None
    if started is None and (os.environ.get("XXGK_PARSE_WORKERS") == "0" or parse_here(len(items))):
        return fn(items, *args)
    try:
        return (started or process_pool().submit(fn, items, *args)).result()
    except BrokenProcessPool:
        shutdown_pool()
        return fn(items, *args)


# Chunks whose parsing began before the flow that will ask for them (while Prefect's server starts)
_HEAD_START: dict[tuple, Future] = {}
_head_start_at: float | None = None  # when the pending head start began (time.time())


def head_start(paths: list[Path], raw_root: Path, thin: bool = False) -> int:
    """Begin parsing ``paths`` now, in chunks of ``CHUNK`` (the flow's own chunks), in the parser processes;
    the flow's parse tasks collect the results (``run_pooled``). Returns the number of chunks."""
    global _head_start_at
    _head_start_at = time.time()
    here, parts = parse_here(len(paths)), list(chunks(paths, CHUNK))
    for part in parts:
        _HEAD_START[_chunk_key(part, (raw_root, thin))] = _done_here(describe_chunk, part, raw_root, thin) if here \
            else process_pool().submit(describe_chunk, part, raw_root, thin)
    return len(parts)


PARSE_HERE = 40  # files: a run parsing no more than this, with no parser process up, parses in this process


def parse_here(n_files: int) -> bool:
    """Whether ``n_files`` are parsed in this process rather than in parser processes: a few files (a
    night's new reports) when no parser process runs yet. Starting the processes costs ~1 s of CPU each
    (each imports the parser and the rules) and, when nothing else starts them early, ~1-2 s of the run's
    time; parsing 20 reports here costs ~0.1 s."""
    return n_files <= PARSE_HERE and idle_pool() is None


def _done_here(fn: Callable, *args: object) -> Future:
    """``fn(*args)`` run now, in this process, as a finished future (what a head start keeps)."""
    future: Future = Future()
    try:
        future.set_result(fn(*args))
    except Exception as exc:  # noqa: BLE001 - the flow's task collects it and fails as it would have
        future.set_exception(exc)
    return future


# path -> (stamp, sha256) of the files the head start hashed: the flow's ingest takes a file's sha256 from here
# (as from the last run's record, ``trusted``) when its stamp is still the same, instead of hashing it again
_HASHED: dict[str, tuple[str, str]] = {}


def remember_hashed(sources: Iterable[SourceFile]) -> None:
    """Keep the sha256 of the files hashed before the flow (those with a stamp: settled when read)."""
    _HASHED.update({str(s.path): (s.stamp, s.sha256) for s in sources if s.stamp is not None})


def hashed_before() -> dict[str, tuple[str, str]]:
    """What ``remember_hashed`` kept: path -> (stamp, sha256), as ``trusted`` takes them."""
    return dict(_HASHED)


def head_started_at() -> float | None:
    """When the pending head start began (its cell files are newer), or None."""
    return _head_start_at


def drop_head_start() -> None:
    """Forget the chunks no parse task collected (the run failed, or its files changed since): cancel those
    not begun, and remove the cell files of those done (their raw bytes stay archived: content-addressed);
    forget the hashes taken before the flow, and the last survey of the inputs."""
    global _head_start_at
    _HASHED.clear()
    forget_survey()
    while _HEAD_START:
        _, future = _HEAD_START.popitem()
        if future.cancel():
            continue
        try:
            described = future.result()
        except Exception:  # noqa: BLE001 - a chunk nobody asked for: its error concerns nobody
            continue
        for name in staged_files(described):
            Path(name).unlink(missing_ok=True)
    _head_start_at = None


def _chunk_key(paths: list, args: tuple) -> tuple:
    return tuple(map(str, paths)), tuple(map(str, args))


def map_pooled(fn: Callable, items: list, *args: object) -> list:
    """``fn`` over chunks of ``items`` in the pool, results concatenated in order (no Prefect)."""
    if os.environ.get("XXGK_PARSE_WORKERS") == "0" or len(items) <= CHUNK:
        return run_pooled(fn, items, *args) if items else []
    try:
        futures = [process_pool().submit(fn, part, *args) for part in chunks(items, CHUNK)]
        return [out for future in futures for out in future.result()]
    except BrokenProcessPool:
        shutdown_pool()
        return [out for part in chunks(items, CHUNK) for out in fn(part, *args)]
