"""The pipeline's stages as plain functions. ``flows/`` wraps them as Prefect tasks and flows; the
benchmark calls them directly ("bare") to measure what orchestration and GX add."""
from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from parsing import Report, parse_bytes, parse_file
from parsing.api import failed_report
from parsing.model import Section
from parsing.errors import TransientReadError
from parsing import readers
from rules import layout
from rules.cross import own_texts
from rules.facts import Facts, publication_date, report_facts
from rules.findings import WHERE
from warehouse.db import archive_raw
from warehouse.rows import report_cell_rows, write_cells_parquet

REPORT_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm", ".xhtml", ".docx", ".pdf",
                             ".doc", ".wps", ".rtf", ".xlsx", ".xls", ".et"})  # issue 16: converted or OCR'd
READ_ATTEMPTS = 3
CHUNK = 250  # files per task: big enough to amortise a task, small enough to spread over the workers
HASH_CHUNK = 5000  # hashing is I/O and C: a few large tasks (a Prefect task costs ~0.1 s of bookkeeping)


@dataclass(frozen=True)
class SourceFile:
    """A report file found in an input folder, with the sha256 of its bytes."""

    path: Path
    sha256: str
    size: int
    stamp: str | None = None  # ``file_stamp`` taken before the bytes were read (None: not known)


# Files that are certainly not a report (a register, labels, scripts): counted as ignored, never as reports
NOT_DOCUMENT_SUFFIXES = frozenset({".csv", ".tsv", ".json", ".jsonl", ".yaml", ".yml", ".toml", ".ini", ".cfg",
                                   ".log", ".py", ".sh", ".js", ".css", ".sql", ".db", ".duckdb", ".parquet",
                                   ".lock", ".part", ".tmp"})


@dataclass(frozen=True)
class Survey:
    """Every file under the input folders, by what can become of it: report files a reader opens, files in
    a format no reader opens yet (.doc, .wps, spreadsheets, images …: listed, never skipped silently), and
    files that are not documents at all (a register .csv beside the reports)."""

    reports: list[Path]
    unsupported: list[Path]
    ignored: list[Path]

    @property
    def n_found(self) -> int:
        return len(self.reports) + len(self.unsupported)


def survey(folders: Iterable[Path]) -> Survey:
    """All files under the folders (recursively, not into symlinked folders, hidden ones skipped), in path
    order, sorted into report files, unsupported documents and ignored files. The folders are listed each
    time (``os.scandir``: cheap); when the listing is the very one this process's last survey found (a run
    surveys its inputs for the preflight, the head start and the ingest), that survey's paths are taken
    again instead of sorting and building 30,000 ``Path`` objects anew (~0.5 s)."""
    folders = tuple(map(Path, folders))
    listed = tuple(_listing(folder) for folder in folders)
    last = _LAST_SURVEY[0] if _LAST_SURVEY else None
    if last is not None and last[0] == folders and last[1] == listed:
        done = last[2]
        return Survey(list(done.reports), list(done.unsupported), list(done.ignored))
    found: dict[str, None] = {}
    for names in listed:
        found.update(dict.fromkeys(sorted(names, key=_path_order)))
    kinds: dict[str, list[Path]] = {"report": [], "unsupported": [], "ignored": []}
    names = list(found)
    for kind, path in zip(_kinds_of(names), _paths_of(names)):
        kinds[kind].append(path)
    done = Survey(kinds["report"], kinds["unsupported"], kinds["ignored"])
    _LAST_SURVEY[:] = [(folders, listed, done)]
    return Survey(list(done.reports), list(done.unsupported), list(done.ignored))


# (folders, their listings, the survey made of them): the last survey of this process, until its run ends
_LAST_SURVEY: list[tuple[tuple[Path, ...], tuple[list[str], ...], Survey]] = []
_PATHS: dict[str, Path] = {}  # the paths of this process's last survey made anew, by name: the next run's
# survey (another night, the same files and a few new ones) takes them again


def _paths_of(names: list[str]) -> list[Path]:
    """A ``Path`` per name: the one the last survey made when it found the name too (a ``Path`` is immutable;
    made anew, 30,000 of them cost ~0.2 s, and their string and hash are computed again later)."""
    known = _PATHS
    paths = [known.get(name) or Path(name) for name in names]
    _PATHS.clear()
    _PATHS.update(zip(names, paths))
    return paths


_KINDS: dict[str, str] = {}  # ``file_kind`` of each name of this process's last survey made anew


def _kinds_of(names: list[str]) -> list[str]:
    """``file_kind`` of each name (a function of the name alone), taken again for the names the last survey
    made anew found too: most of a night's 30,000."""
    known = _KINDS
    kinds = [known.get(name) or file_kind(name) for name in names]
    _KINDS.clear()
    _KINDS.update(zip(names, kinds))
    return kinds


def forget_survey() -> None:
    """Let go of the last survey (a run's end: the next run lists and sorts its inputs anew)."""
    _LAST_SURVEY.clear()


def _listing(folder: Path) -> list[str]:
    """The files of one input (a file, or the files under a folder), as normalised path strings (those of
    ``Path``: the folder's own form, then plain names), in the order the system lists them."""
    if folder.is_file():
        return [str(folder)] if not folder.name.startswith(".") else []
    base = str(folder)
    names = list(_files(base))
    return [name[2:] for name in names] if base == "." else names  # "./a" is Path("a")


def _path_order(name: str) -> str:
    """Sort key giving the order of the paths' parts (a folder's files before a longer sibling name's):
    the separator becomes the lowest character, which no file name holds."""
    return name.replace(os.sep, "\0")


def file_kind(name: str) -> str:
    """``report`` (a reader opens it), ``ignored`` (not a document) or ``unsupported`` (anything else), from
    the file's name (or its whole path: only the last part's suffix counts)."""
    suffix = os.path.splitext(name)[1].lower()
    if suffix in REPORT_SUFFIXES:
        return "report"
    return "ignored" if suffix in NOT_DOCUMENT_SUFFIXES else "unsupported"


def discover(folders: Iterable[Path]) -> list[Path]:
    """Report files under the folders (recursively, not into symlinked folders), in path order; hidden
    files and folders and other types skipped (``survey`` accounts for those)."""
    return survey(folders).reports


def _files(folder: str) -> Iterator[str]:
    """Paths of the files under ``folder``, depth first (``os.scandir``: one system call per folder)."""
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except (PermissionError, FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _files(entry.path)
        elif entry.is_file():
            yield entry.path


UNSUPPORTED_REASON = "暂不支持 {suffix} 格式，文件未能打开（请转换为 .docx、.pdf 或 .html 后重新提交，或人工核实）"


def unsupported_reason(path: Path) -> str:
    suffix = path.suffix.lower() or "无扩展名"
    return UNSUPPORTED_REASON.format(suffix=suffix)


def keep_unsupported(paths: list[Path], raw_root: Path | None) -> list[tuple[Path, SourceFile | None]]:
    """Hash (and archive the bytes of) files no reader opens yet, so a later reader can re-read them."""
    kept = []
    for path in paths:
        source = hash_file(path)
        if source is not None and raw_root is not None and source.size <= readers.MAX_BYTES:
            try:
                archive_raw(raw_root, source.sha256, read_with_retry(path))
            except OSError:
                source = None  # it changed or vanished since it was hashed: recorded as unreadable
        kept.append((path, source))
    return kept


def hash_file(path: Path) -> SourceFile | None:
    """The file's sha256 and size, read 1 MB at a time (a huge file is never held in memory); None when
    it cannot be read (it is then reported as a failed report by ``parse_chunk``)."""
    digest, size = hashlib.sha256(), 0
    try:
        with path.open("rb") as handle:
            before = os.fstat(handle.fileno())  # before reading: a later write changes the stamp
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except OSError:
        return None
    settled = time.time_ns() - before.st_ctime_ns > SETTLED_NS  # not being written while it was read
    return SourceFile(path, digest.hexdigest(), size, file_stamp(before) if settled else None)


SETTLED_NS = 2_000_000_000  # a file changed less than 2 s before it was hashed gets no stamp: hashed next time


def file_stamp(stat: os.stat_result) -> str:
    """What tells a file's bytes unchanged without reading them: size, modification and change times (ns)
    and inode. Every write changes the change time, which no program can set back (a copy that keeps the
    modification time still gets a new change time). The clock behind these times is coarse (a few ms):
    ``hash_file`` records no stamp for a file changed just before it was read."""
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}"


def trusted(paths: list[Path], stamps: dict[str, tuple[str, str]]) -> tuple[dict[Path, SourceFile], list[Path]]:
    """The files whose path and stamp are those the last run recorded (``stamps``: path -> (stamp, sha256)):
    their sha256 is taken from that run, not computed again; and the files to hash. The source found for a
    path by this process's last call is taken again when it is the very same (path, stamp, sha256). One
    ``os.stat`` per recorded file and little else: 30,000 files each night."""
    known: dict[Path, SourceFile] = {}
    rest: list[Path] = []
    before, now, stat = _TRUSTED, {}, os.stat
    for path in paths:
        name = str(path)
        recorded = stamps.get(name)
        if recorded is not None:
            try:
                found = stat(name)
            except OSError:
                found = None
            if found is not None and file_stamp(found) == recorded[0]:
                same = before.get(name)  # the stamp holds the size: the same stamp, the same size
                if same is None or not (same.path is path or same.path == path) or same.stamp != recorded[0] \
                        or same.sha256 != recorded[1]:
                    same = SourceFile(path, recorded[1], found.st_size, recorded[0])
                known[path] = now[name] = same
                continue
        rest.append(path)
    _TRUSTED.clear()
    _TRUSTED.update(now)
    return known, rest


_TRUSTED: dict[str, SourceFile] = {}  # what the last ``trusted`` found, by path


def hash_chunk(paths: list[Path]) -> list[SourceFile | Path]:
    """``hash_file`` over a chunk; a file that cannot be read is returned as its path."""
    return [hash_file(p) or p for p in paths]


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
    """Read, archive (by sha256) and parse one file; a read error becomes a failed report. A file above
    the size limit is refused from its size alone: never read whole, never archived."""
    try:
        if path.stat().st_size > readers.MAX_BYTES:
            return parse_file(path)
        data = read_with_retry(path)
    except OSError as exc:
        return failed_report(str(path), b"", "unknown", TransientReadError(f"无法读取文件：{exc.strerror or exc}"))
    if raw_root is not None:
        archive_raw(raw_root, hashlib.sha256(data).hexdigest(), data)
    return parse_bytes(data, str(path))


def parse_chunk(paths: list[Path], raw_root: Path | None) -> list[Report]:
    return [parse_one(p, raw_root) for p in paths]


@dataclass(frozen=True)
class Described:
    """A parsed report with the per-report work done beside it (in a parser worker): its own facts (those
    that need no other report and no register) and its rows for the warehouse's ``cells`` table — written
    by the worker to a Parquet file of its chunk (``cells_file``), or kept here (``cell_rows``) when the
    chunk has no staging folder.

    The report travels back without its ``Cell`` objects (unpickling them was the main cost of a run:
    ~1.3 ms per report in the one main process): everything downstream reads the facts, the rows, and
    the facts' ``where`` map (cell id → where it was printed) for the messages."""

    report: Report
    facts: Facts
    cell_rows: tuple[list, ...] | None = None
    cells_file: str | None = None
    stored: bytes | None = None  # the facts as the warehouse keeps them (``warehouse.facts_store``)
    facts_file: str | None = None  # or (a large run) the staging file the worker left them in, beside the
    # file of the report's sentences (``staged_sentences``): the run keeps neither in memory

    @property
    def sentences_file(self) -> str | None:
        """The staging file of the sentences of the chunk's reports (with ``facts_file``)."""
        return staged_sentences(self.facts_file) if self.facts_file else None


def describe(report: Report) -> Described:
    """The per-report work: own facts, cell rows, and the facts encoded for the warehouse."""
    from warehouse import facts_store

    facts = report_facts(report)
    facts.update(own_texts(report))
    facts["published_on"] = publication_date(report) if report.parse_status != "failed" else None
    facts[WHERE] = {cid: c.locator.where for cid, c in report.cells.items() if c.locator is not None}
    return Described(replace(report, cells={}), facts, report_cell_rows(report), stored=facts_store.encode(facts, report))


SLIM_FACTS = ("report_id", "body", "year", "published_on")
SENTENCE_FACTS = ("sents.s1", "sents.s5")  # kept too when the chunk has no staging folder


def slim(described: list[Described]) -> list[Described]:
    """A chunk's reports as a large run keeps them until they are judged (in batches, their facts decoded
    from their stored form then, read from the staging folder): the report without its section texts, the
    facts the load reads. What stays per report is well under a kB whatever the size of the run: its stored
    facts and sentences wait in the staging folder (``facts_file``), not in the run's process."""
    kept = SLIM_FACTS
    return [replace(d, report=replace(d.report, preface="", sections=tuple(section_stub(s.number) for s in d.report.sections)),
                    facts={k: d.facts[k] for k in (kept if d.facts_file else kept + SENTENCE_FACTS) if k in d.facts})
            for d in described]


@cache
def section_stub(number: int) -> Section:
    """The one section object standing for every slim report's section ``number`` (what the load reads of a
    report's sections is their numbers): at 100,000 reports, 600,000 objects fewer in the run's process."""
    return Section(number=number, title="", text="", position=0)


def staging_dir(raw_root: Path) -> Path:
    """Where parser workers leave the cell rows of their chunks for the load (beside the raw archive)."""
    return Path(raw_root).parent / "staging"


def _staged(described: list[Described], raw_root: Path | None, thin: bool = False) -> list[Described]:
    """Write the chunk's cell rows to one Parquet file in the staging folder (DuckDB in this worker); for a
    large run (``thin``) the reports' stored facts and sentences too (``warehouse.store.stage_facts``)."""
    if raw_root is None or not described:
        return described
    folder = staging_dir(raw_root)
    folder.mkdir(parents=True, exist_ok=True)
    name = uuid.uuid4().hex
    path = folder / f"cells-{name}.parquet"
    write_cells_parquet([d.cell_rows for d in described], path)
    described = [replace(d, cell_rows=None, cells_file=str(path)) for d in described]
    if not thin:
        return described
    from warehouse.facts_store import sentences_frame
    from warehouse.store import stage_facts

    facts_file = folder / f"facts-{name}.parquet"
    stage_facts([d.report.report_id for d in described], [d.stored for d in described],
                sentences_frame(d.facts for d in described), facts_file, Path(staged_sentences(str(facts_file))))
    return [replace(d, stored=None, facts_file=str(facts_file)) for d in described]


def staged_sentences(facts_file: str) -> str:
    """The staging file of the sentences beside a chunk's staged facts."""
    folder, name = os.path.split(facts_file)
    return os.path.join(folder, "sentences-" + name.removeprefix("facts-"))


def staged_files(described: Iterable[Described]) -> set[str]:
    """Every staging file the workers left for these reports (cells, facts, sentences)."""
    out: set[str] = set()
    for d in described:
        out.update(name for name in (d.cells_file, d.facts_file, d.sentences_file) if name)
    return out


def describe_chunk(paths: list[Path], raw_root: Path | None, thin: bool = False) -> list[Described]:
    """Parse a chunk of files and describe each report: the per-report work, done in a worker. ``thin``:
    leave the reports' stored facts in the staging folder and send back only what a large run keeps
    (``slim``)."""
    described = _staged([describe(parse_one(p, raw_root)) for p in paths], raw_root, thin)
    return slim(described) if thin else described


def describe_archived_chunk(items: list[tuple[str, str]], raw_root: Path, thin: bool = False) -> list[Described]:
    """``describe_chunk`` for reports re-read from the raw archive (report id, original path)."""
    described = _staged([describe(parse_archived(report_id, raw_root, path)) for report_id, path in items],
                        raw_root, thin)
    return slim(described) if thin else described


def parse_archived(report_id: str, raw_root: Path, source_path: str) -> Report:
    """Re-parse a report from its archived bytes (re-derivation of every finding)."""
    data = (raw_root / report_id[:2] / report_id).read_bytes()
    return parse_bytes(data, source_path)


# What a report's stored facts depend on (besides the catalogue parameters ``rules/facts.py`` names)
PARSER_FILES = ("rules/layout.py", "rules/facts.py", "rules/prose.py", "rules/arithmetic.py", "rules/bodies.py",
                "rules/cross.py", "warehouse/facts_store.py")


@cache
def parser_version() -> str:
    """Changes whenever what the parser workers read of a report can change: the parser, the template
    editions, the per-report facts and the parameters of the rules those read (keywords, deadlines), the
    facts' storage. A report stored by another version is parsed again from the raw archive; a change of
    anything else (the rules' checks, messages, thresholds; the register) only judges stored facts again."""
    import json
    import re

    from rules.catalogue import catalogue
    from xxgk import __version__

    root = Path(layout.__file__).parents[1]
    parsing_dir = Path(parse_bytes.__code__.co_filename).parent
    files = sorted([*parsing_dir.glob("*.py"), *root.glob("rules/templates/*.yaml"), *(root / f for f in PARSER_FILES)])
    digest = hashlib.sha256(__version__.encode())
    for path in files:
        digest.update(path.read_bytes())
    named = set(re.findall(r'"([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)"', (root / "rules/facts.py").read_text(encoding="utf-8")))
    rules = catalogue()
    params = {rid: rules[rid].params for rid in sorted(named) if rid in rules}
    digest.update(json.dumps(params, sort_keys=True, ensure_ascii=False, default=str).encode())
    return digest.hexdigest()[:16]


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
