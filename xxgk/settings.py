"""Settings of one pipeline run, with the embedded defaults (a local DuckDB file, Prefect's local mode,
a GX file context per run folder)."""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from parsing import Report
from rules.register import Body, Match, RegisterIndex, load_register
from warehouse.db import DEFAULT_DB, WarehouseBusy, WarehouseError

Progress = Callable[[str, int, int], None]
CONFIG_FILE = "xxgk.toml"
SURVEY_REUSE_S = 60.0  # a preflight reuses this process's survey of the same inputs made this recently
_SURVEYED: dict[tuple[str, ...], tuple[float, tuple[Path, ...]]] = {}


def _still_there(path: Path) -> bool:
    """An input file still there, or an input folder still readable and not empty (an unmounted share is
    an empty folder)."""
    path = Path(path)
    if path.is_file():
        return True
    if not path.is_dir() or not os.access(path, os.R_OK | os.X_OK):
        return False
    with os.scandir(path) as entries:
        return next(entries, None) is not None


def project_home(start: Path | None = None) -> Path:
    """The project's home folder: ``$XXGK_HOME`` if set; else the nearest folder upward from ``start`` (the
    current folder) that holds ``xxgk.toml`` or is the xxgk checkout (a ``pyproject.toml`` naming the
    project ``xxgk``); else ``start`` itself. Every default path (warehouse, outputs, Data Docs) is under it,
    so a command gives the same answer from any sub-folder."""
    if os.environ.get("XXGK_HOME"):
        return Path(os.environ["XXGK_HOME"]).expanduser().absolute()
    here = (start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file() or _is_checkout(folder):
            return folder
    return here


def _is_checkout(folder: Path) -> bool:
    try:
        text = (folder / "pyproject.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r'^name\s*=\s*["\']xxgk["\']\s*$', text, re.MULTILINE) is not None


def default_db() -> Path:
    """``<home>/warehouse/xxgk.duckdb``."""
    return project_home() / DEFAULT_DB


def default_out() -> Path:
    """``<home>/out``: the audit list, the report site, the 整改通知 drafts."""
    return project_home() / "out"


def default_docs() -> Path:
    """``<home>/out/docs``: each run's GX project and Data Docs."""
    return default_out() / "docs"


class OutputNotWritable(WarehouseError):
    """The warehouse, Data Docs or output folder cannot be written (permissions, disk full)."""


def unwritable(folder: Path) -> str | None:
    """Why ``folder`` cannot be written (created if need be, a probe file written and removed), or None."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".xxgk-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return str(exc.strerror or exc)
    return None


@dataclass(frozen=True)
class RunSettings:
    inputs: tuple[Path, ...]
    db: Path = field(default_factory=default_db)
    register: Path | None = None
    docs: Path = field(default_factory=default_docs)
    out_dir: Path = field(default_factory=default_out)
    engine: str = "gx"
    show_progress: bool = False
    lock_wait: float = 30.0
    years: tuple[int, ...] | None = None
    allow_shrink: bool = False
    page_dates: Any = None  # report id → the date on its web page (harvests; REG-LATE when the document prints none)

    def signature(self, catalogue: str) -> str:
        """What a run's findings depend on besides the reports: rules, register and expected years."""
        digest = hashlib.sha256(catalogue.encode())
        if self.register:
            digest.update(Path(self.register).read_bytes())
        digest.update(repr(self.years).encode())
        return digest.hexdigest()[:16]

    @classmethod
    def defaults(cls) -> RunSettings:
        return cls(inputs=(Path("examples"),))

    @property
    def raw_root(self) -> Path:
        """Where the raw bytes of every ingested report are kept (content-addressed by sha256)."""
        return Path(self.db).parent / "raw"

    def run_dir(self, run_id: str) -> Path:
        return Path(self.docs) / run_id

    def progress(self) -> Progress | None:
        return _print_progress if self.show_progress else None

    def preflight(self) -> list[Path]:
        """What a run is refused for before any work, with a clear message (``xxgk.preflight``): an input
        folder missing or unreadable, no report file at all, a register that does not load, fewer than half
        the previous run's files (unless ``allow_shrink``), an output folder that cannot be written, a
        warehouse held by another process (after ``lock_wait``). Returns the files found. ``xxgk run`` calls
        it before Prefect starts; a scheduled run (the ``nightly`` flow) should call it first thing."""
        from warehouse.db import probe_writable
        from xxgk import preflight

        found = self._input_files()
        _checked_register(Path(self.register) if self.register else None, preflight.register_bodies)
        if not self.allow_shrink:
            preflight.refuse_shrink(len(found), preflight.previous_run(Path(self.db)))
        self.check_writable()
        probe_writable(Path(self.db), self.lock_wait)
        return found

    def _input_files(self) -> list[Path]:
        """``preflight.input_files`` of the inputs; taken again from this process's survey of the same
        inputs in the last ``SURVEY_REUSE_S`` seconds while each input is still there (a folder still
        readable and not empty): ``xxgk run`` checks before Prefect starts, then its flow checks again."""
        from xxgk import preflight

        key = tuple(str(p) for p in self.inputs)
        done = _SURVEYED.get(key)
        if done is not None and time.monotonic() - done[0] < SURVEY_REUSE_S and all(map(_still_there, self.inputs)):
            return list(done[1])
        found = preflight.input_files(list(key))
        _SURVEYED[key] = (time.monotonic(), tuple(found))
        return found

    def check_writable(self) -> None:
        """Fail before any work when an output folder cannot be written (clear message, nothing changed)."""
        for folder in (Path(self.db).parent, Path(self.docs), Path(self.out_dir)):
            problem = unwritable(folder)
            if problem:
                raise OutputNotWritable(f"无法写入 {folder}：{problem}")

    @contextlib.contextmanager
    def run_lock(self) -> Iterator[None]:
        """One run at a time per warehouse: a second run waits ``lock_wait`` seconds, then gives up."""
        lock_path = Path(str(self.db) + ".runlock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "w") as handle:
            deadline = time.monotonic() + self.lock_wait
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise WarehouseBusy(f"另一次运行正在使用 {self.db}（已等待 {self.lock_wait:.0f} 秒）") from None
                    time.sleep(0.5)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @cached_property
    def _register(self) -> _Register:
        return _loaded_register(Path(self.register)) if self.register else _Register([])

    @property
    def bodies(self) -> list[Body]:
        return self._register.bodies

    @property
    def register_index(self) -> RegisterIndex:
        return self._register.index

    def matches(self, reports: list[Report]) -> dict[str, Match]:
        """Each report's match to the register (empty without a register); a name is matched once."""
        if not self.register:
            return {}
        return {r.report_id: self._match(r.body) for r in reports}

    def _match(self, name: str | None) -> Match:
        known = self._register.matches
        if name not in known:
            known[name] = self.register_index.match(name)
        return known[name]

    def body_ids(self, reports: list[Report]) -> dict[str, str | None]:
        return {rid: m.body_id for rid, m in self.matches(reports).items()}

    def register_kinds(self, matches: dict[str, Match]) -> dict[str, str]:
        """The register's kind of each matched report's body (from ``matches``)."""
        kinds = {b.body_id: b.kind for b in self.bodies if b.kind}
        return {rid: kinds[m.body_id] for rid, m in matches.items() if m.body_id in kinds}


class _Register:
    """A register as loaded (its bodies), its index, and the printed names matched to it so far."""

    def __init__(self, bodies: list[Body]) -> None:
        self.bodies = bodies
        self.matches: dict[str | None, Match] = {}

    @cached_property
    def index(self) -> RegisterIndex:
        return RegisterIndex(self.bodies)


_REGISTERS: dict[tuple[str, str], _Register] = {}  # the register this process loaded last, by path and digest


def _loaded_register(path: Path, bodies: list[Body] | None = None) -> _Register:
    """The register at ``path`` (its ``bodies`` when the caller has just loaded them): loaded, indexed and
    matched once per content — every run of a long-lived process (``xxgk serve``, the preflight and the run
    of ``xxgk run``) reads the same register, ~0.5 s to load and index 6,000 bodies. Keyed by the file's
    sha256: any change to the file loads it again."""
    key = (str(path), _digest(path))
    found = _REGISTERS.get(key)
    if found is None:
        found = _Register(bodies if bodies is not None else load_register(path))
        if bodies is None or _digest(path) == key[1]:  # not remembered when it changed while being read
            _REGISTERS.clear()
            _REGISTERS[key] = found
    return found


def _digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _checked_register(path: Path | None, check: Callable[[str | None], list[Body]]) -> None:
    """``check`` the register (``preflight.register_bodies``: a clear error when it cannot be used); the bodies
    it loaded are the run's (``_loaded_register``) when the file did not change meanwhile."""
    if path is None:
        check(None)
        return
    try:
        before = _digest(path)
    except OSError:
        before = None  # ``check`` says what is wrong with it
    bodies = check(str(path))
    if before is not None and (str(path), before) not in _REGISTERS and _digest(path) == before:
        _loaded_register(path, bodies)


def _print_progress(label: str, done: int, total: int) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    sys.stderr.write(f"\r{label:<9} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()
