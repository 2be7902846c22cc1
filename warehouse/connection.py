"""Opening the DuckDB warehouse: connections with bounded waiting, ordered migrations, the analysts' snapshot,
and the warehouse held open for a run's stages (``kept_open``).

DuckDB allows one process per database file; a second writer (or an analyst's open session) gets a lock
error. ``connect`` retries for a bounded time and then raises ``WarehouseBusy`` with a clear message.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_DB = Path("warehouse") / "xxgk.duckdb"

class WarehouseError(RuntimeError):
    """Base of the warehouse's errors; ``transient`` says whether retrying later can help."""

    transient = False


class WarehouseBusy(WarehouseError):
    """Another process holds the database file (a second run, or an analyst's session)."""

    transient = True


class UnknownFingerprint(WarehouseError):
    """A review names a fingerprint that no finding has."""


class DuplicateFindings(WarehouseError):
    """A run's findings name one (report, rule) twice: the rule engine broke its contract (terminal)."""


def connect(path: Path, read_only: bool = False, wait_seconds: float = 30.0) -> duckdb.DuckDBPyConnection:
    """Open (and migrate, when writable) the warehouse; wait at most ``wait_seconds`` for a lock."""
    path = Path(path)
    if not read_only:
        wait_for_snapshot(path)  # a copy of this process still reading the file (``refresh_snapshot``)
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _open(path, read_only, wait_seconds)
    if not read_only:
        migrate(con)
    return con


def _open(path: Path, read_only: bool, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``, retried while another process holds the file's lock (at most ``wait_seconds``). A
    read-only connection to a warehouse this process holds open (``kept_open``) is one more connection to it
    (DuckDB refuses a second configuration of a file a process has open); its caller only reads."""
    if read_only and _key(path) in _KEPT:
        read_only = False
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return _bounded(duckdb.connect(str(path), read_only=read_only))
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise WarehouseError(f"无法打开仓库 {path}（不是 DuckDB 数据库，或已损坏）：{exc}") from None
            if time.monotonic() >= deadline:
                raise WarehouseBusy(f"数据库 {path} 正被其他进程占用（另一次运行或分析人员的会话），"
                                    f"已等待 {wait_seconds:.0f} 秒") from None
            time.sleep(0.5)


DEFAULT_MEMORY = "256MB"  # DuckDB's buffer pool per database (its default, 80 % of RAM, grows with the data)


def memory_limit() -> str:
    """DuckDB's memory limit for the warehouse (``XXGK_DUCKDB_MEMORY``, e.g. ``1GB``; default 256 MB)."""
    return os.environ.get("XXGK_DUCKDB_MEMORY") or DEFAULT_MEMORY


def _bounded(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The connection with a bounded buffer pool (``memory_limit``; DuckDB spills joins, aggregates and sorts
    beyond it to a temporary folder beside the database): a large run's queries no longer leave gigabytes of
    cached pages in the process (DuckDB's default is 80 % of the machine's memory). Set after connecting (a
    setting of the database instance, which all connections of the process share), so that a connection
    opened elsewhere with no configuration is not refused as configured otherwise."""
    con.execute(f"SET memory_limit = '{memory_limit()}'")
    return con


@contextlib.contextmanager
def sparing_a_core(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB runs on one thread fewer (at least one) for the block, then as many as before: work that runs
    beside the rules (single-threaded Python) leaves them a core of their own. On two cores, the load's copy
    of the carried findings beside the rules then took 0.25 s longer and the rules 0.25 s less, and the
    run ended 0.3 s sooner. ``threads`` is the database instance's setting: every connection of this
    process to the warehouse runs so meanwhile."""
    before = int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
    con.execute(f"SET threads = {max(1, before - 1)}")
    try:
        yield
    finally:
        with contextlib.suppress(duckdb.Error):  # an aborted transaction: the caller's error is the one to see
            con.execute(f"SET threads = {before}")


def _is_lock_error(exc: Exception) -> bool:
    return "lock" in str(exc).lower()


class WarehouseMissing(WarehouseError):
    """A command that only reads names a warehouse that does not exist (it never creates one)."""


def probe_writable(path: Path, wait_seconds: float = 30.0) -> None:
    """Fail now, with ``WarehouseBusy``, when another process holds an existing warehouse (a run checks
    this before it starts any work); the file is opened and closed, nothing is written."""
    if Path(path).exists():
        wait_for_snapshot(path)
        _open(Path(path), False, wait_seconds).close()


def connect_reader(path: Path, prefer_snapshot: bool = False,
                   wait_seconds: float = 0.0) -> tuple[duckdb.DuckDBPyConnection, Path]:
    """A read-only connection for a command that only reads, and the file it reads: the warehouse, or its
    snapshot (``refresh_snapshot``) when ``prefer_snapshot`` and the snapshot is current, or when another
    process holds the warehouse. Never creates a file: a missing warehouse raises ``WarehouseMissing``."""
    path = Path(path)
    if not path.exists():
        raise WarehouseMissing(f"仓库不存在：{path.absolute()}（先运行 xxgk run，或用 --db 指定）")
    deadline = time.monotonic() + wait_seconds
    while True:
        for candidate in _reading_order(path, prefer_snapshot):
            try:
                return _open(candidate, True, 0.0), candidate
            except WarehouseBusy:
                continue
        if time.monotonic() >= deadline:
            raise WarehouseBusy(f"仓库 {path.absolute()} 正被另一个进程以写方式占用（另一次运行，或分析人员的会话；"
                                f"分析请打开只读快照 {snapshot_path(path).name}）")
        time.sleep(0.5)


def _reading_order(path: Path, prefer_snapshot: bool) -> list[Path]:
    """The warehouse and its snapshot, the one to try first first. A snapshot older than the warehouse
    (written since: a review, or a run whose snapshot copy failed) is only a fallback."""
    snapshot = snapshot_path(path)
    if not snapshot.exists():
        return [path]
    current = snapshot.stat().st_mtime >= path.stat().st_mtime
    return [snapshot, path] if prefer_snapshot and current else [path, snapshot]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the SQL files of ``migrations/`` not applied yet, in name order, each in a transaction."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for script in sorted(MIGRATIONS.glob("*.sql")):
        if script.stem in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(script.read_text(encoding="utf-8"))
            con.execute("INSERT INTO schema_migrations VALUES (?, now())", [script.stem])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(script.stem)
    return applied


def snapshot_path(path: Path) -> Path:
    """The analysts' read-only copy beside the warehouse (``xxgk.duckdb`` → ``xxgk_snapshot.duckdb``)."""
    path = Path(path)
    return path.with_name(f"{path.stem}_snapshot{path.suffix}")


def refresh_snapshot(path: Path, background: bool = False) -> Path:
    """Copy the warehouse to its snapshot atomically: analysts query the snapshot and never hold the lock
    the nightly run needs. The file copied is complete: closed, or — held open by this process
    (``kept_open``) — checkpointed first (everything committed written into the file, none of it left in
    the write-ahead log beside it). ``background``: checkpoint and copy in a thread (the run's summary reads
    the warehouse meanwhile: a checkpoint lets readers go on), holding a connection so that no other process
    writes the file while it is copied; ``wait_for_snapshot`` (and any writer of this process, ``connect``)
    waits for it."""
    target = snapshot_path(path)
    if not background:
        kept = _kept_cursor(Path(path))
        try:
            _checkpoint(kept)
            _copy_snapshot(Path(path))
        finally:
            if kept is not None:
                kept.close()
        return target
    wait_for_snapshot(path)
    copy = _SnapshotCopy(Path(path), _kept_cursor(Path(path)))
    _COPYING[_key(path)] = copy
    copy.thread.start()
    return target


class _SnapshotCopy:
    def __init__(self, path: Path, kept: duckdb.DuckDBPyConnection | None) -> None:
        self.path, self.kept, self.error = path, kept, None
        self.thread = threading.Thread(target=self._run, name="snapshot-copy")

    def _run(self) -> None:
        try:
            guard = _open(self.path, True, 0.0)
        except (WarehouseError, duckdb.Error):
            guard = None  # copied all the same, as a copy after the run always was
        try:
            _checkpoint(self.kept)
            _copy_snapshot(self.path)
        except BaseException as exc:  # noqa: BLE001 - raised again by ``wait_for_snapshot``
            self.error = exc
        finally:
            for con in (guard, self.kept):
                if con is not None:
                    con.close()


_COPYING: dict[str, _SnapshotCopy] = {}


def _key(path: Path) -> str:
    return str(Path(path).absolute())


def wait_for_snapshot(path: Path) -> None:
    """Wait for a snapshot copy of ``path`` begun in the background (``refresh_snapshot``); raise its error."""
    copy = _COPYING.pop(_key(path), None)
    if copy is None:
        return
    copy.thread.join()
    if copy.error is not None:
        raise copy.error


def _kept_cursor(path: Path) -> duckdb.DuckDBPyConnection | None:
    """One more connection to the warehouse this process holds open (``kept_open``), or None: it keeps the
    database open (and so the file locked against other writers) until the copy is made, whenever the
    warehouse is let go meanwhile."""
    kept = _KEPT.get(_key(path))
    return kept.cursor() if kept is not None else None


def _checkpoint(con: duckdb.DuckDBPyConnection | None) -> None:
    """Write what the open warehouse committed into its file (``CHECKPOINT``): the copy then needs no
    write-ahead log. None: the warehouse is closed (checkpointed on closing)."""
    if con is not None:
        con.execute("CHECKPOINT")


def _copy_snapshot(path: Path) -> None:
    target = snapshot_path(path)
    partial = target.with_name(target.name + f".part{os.getpid()}")
    try:
        shutil.copyfile(path, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


_KEPT: dict[str, duckdb.DuckDBPyConnection] = {}


@contextlib.contextmanager
def kept_open(path: Path, wait_seconds: float = 30.0) -> Iterator[None]:
    """Hold the warehouse open for a run's stages: each ``connect`` of this process to it meanwhile joins the
    open database (DuckDB shares one instance per file and process) instead of opening the file again —
    reading its catalogue, ~50 ms, and its cached pages lost — as the survey's stamps, the evidence of the
    harvests, the plan, the planning, the load and the summary's readers each did. ``release_kept`` lets it
    go earlier (a large run: its cached pages). The snapshot of a warehouse held open is copied after a
    checkpoint (``refresh_snapshot``)."""
    key = _key(path)
    if key in _KEPT:
        yield
        return
    _KEPT[key] = connect(path, wait_seconds=wait_seconds)
    try:
        yield
    finally:
        release_kept(path)


def held_open(path: Path) -> bool:
    """This process holds ``path`` open (``kept_open``): another process cannot open it meanwhile, not even
    to read (DuckDB locks the file for the process that opened it to write)."""
    return _key(path) in _KEPT


def release_kept(path: Path) -> None:
    """Close the connection ``kept_open`` holds to ``path`` (none: nothing to do), once a snapshot copy begun
    meanwhile is done with it: the copy checkpoints through a cursor of that connection, which closing the
    connection would close under it (its error, if any, is raised by ``wait_for_snapshot``, as before)."""
    copying = _COPYING.get(_key(path))
    if copying is not None:
        copying.thread.join()
    con = _KEPT.pop(_key(path), None)
    if con is not None:
        con.close()

