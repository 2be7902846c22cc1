"""The pipeline's stages as plain functions. ``flows/`` wraps them as Prefect tasks and flows; the
benchmark calls them directly ("bare") to measure what orchestration and GX add."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from parsing import Report, parse_bytes
from parsing.api import failed_report
from parsing.errors import TransientReadError
from rules import layout
from warehouse.db import archive_raw

REPORT_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm", ".xhtml", ".docx", ".pdf"})
READ_ATTEMPTS = 3


@dataclass(frozen=True)
class SourceFile:
    """A report file found in an input folder, with the sha256 of its bytes."""

    path: Path
    sha256: str
    size: int


def discover(folders: Iterable[Path]) -> list[Path]:
    """Report files under the folders (recursively), sorted; hidden files and other types skipped."""
    found: dict[Path, None] = {}
    for folder in folders:
        folder = Path(folder)
        paths = [folder] if folder.is_file() else sorted(folder.rglob("*"))
        for path in paths:
            if path.is_file() and path.suffix.lower() in REPORT_SUFFIXES and not _hidden(path, folder):
                found[path] = None
    return list(found)


def _hidden(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts if path != root else (path.name,)
    return any(part.startswith(".") for part in parts)


def hash_file(path: Path) -> SourceFile | None:
    """The file's sha256 and size; None when it cannot be read (it is reported by ``parse_chunk``)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return SourceFile(path, hashlib.sha256(data).hexdigest(), len(data))


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def read_with_retry(path: Path, attempts: int = READ_ATTEMPTS) -> bytes:
    """Read a file, retrying transient I/O errors a few times before giving up."""
    last: OSError | None = None
    for _ in range(attempts):
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise
        except OSError as exc:
            last = exc
    raise last  # type: ignore[misc]


def parse_one(path: Path, raw_root: Path | None) -> Report:
    """Read, archive (by sha256) and parse one file; a read error becomes a failed report."""
    try:
        data = read_with_retry(path)
    except OSError as exc:
        return failed_report(str(path), b"", "unknown", TransientReadError(f"无法读取文件：{exc.strerror or exc}"))
    if raw_root is not None:
        archive_raw(raw_root, hashlib.sha256(data).hexdigest(), data)
    return parse_bytes(data, str(path))


def parse_chunk(paths: list[Path], raw_root: Path | None) -> list[Report]:
    return [parse_one(p, raw_root) for p in paths]


_POOL = None


def process_pool():  # noqa: ANN201 - concurrent.futures.ProcessPoolExecutor
    """One pool of parser processes per run (parsing is CPU-bound Python: threads would not help).
    Workers are spawned, not forked, so that threads of Prefect or GX in this process are never copied."""
    global _POOL
    if _POOL is None:
        import multiprocessing
        import os
        from concurrent.futures import ProcessPoolExecutor

        workers = int(os.environ.get("XXGK_PARSE_WORKERS", os.cpu_count() or 1))
        _POOL = ProcessPoolExecutor(max_workers=max(workers, 1), mp_context=multiprocessing.get_context("spawn"))
    return _POOL


def shutdown_pool() -> None:
    global _POOL
    if _POOL is not None:
        _POOL.shutdown(wait=False, cancel_futures=True)
        _POOL = None


def parse_chunk_pooled(paths: list[Path], raw_root: Path | None) -> list[Report]:
    """``parse_chunk`` in a worker process (falls back to this process with one worker)."""
    import os

    if os.environ.get("XXGK_PARSE_WORKERS") == "0":
        return parse_chunk(paths, raw_root)
    try:
        return process_pool().submit(parse_chunk, paths, raw_root).result()
    except BrokenProcessPool:  # a worker died (killed, out of memory): parse here rather than fail the run
        shutdown_pool()
        return parse_chunk(paths, raw_root)


def parse_all(paths: list[Path], raw_root: Path | None, chunk: int = 250) -> list[Report]:
    """Every file parsed, chunk by chunk, in the process pool (the bare path of the benchmark)."""
    try:
        futures = [process_pool().submit(parse_chunk, part, raw_root) for part in chunks(paths, chunk)]
        return [report for future in futures for report in future.result()]
    except BrokenProcessPool:
        shutdown_pool()
        return parse_chunk(paths, raw_root)


def parse_archived(report_id: str, raw_root: Path, source_path: str) -> Report:
    """Re-parse a report from its archived bytes (re-derivation of every finding)."""
    data = (raw_root / report_id[:2] / report_id).read_bytes()
    return parse_bytes(data, source_path)


@cache
def catalogue_version() -> str:
    """Changes whenever the rules, the template editions or the code version change."""
    from xxgk import __version__

    digest = hashlib.sha256(__version__.encode())
    rules_dir = Path(layout.__file__).parent
    parsing_dir = Path(parse_bytes.__code__.co_filename).parent
    files = [*rules_dir.glob("*.yaml"), *rules_dir.glob("templates/*.yaml"), *rules_dir.glob("*.py"),
             *parsing_dir.glob("*.py")]
    for path in sorted(files):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
