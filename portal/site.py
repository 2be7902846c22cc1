"""The static website the oversight office reads: an overview, one page per body, one page per rule.

    build_site(Path("warehouse/xxgk.duckdb"), Path("out/portal"))   # → out/portal/index.html

Offline by construction: one local stylesheet, charts as inline SVG, no script, no external URL.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import BrokenExecutor, Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TypeVar

from portal import body_page, data, index_page, rule_page
from portal.digests import code_version, digest, shown_rules_key
from portal.fragments import Fragments
from portal.links import Links, relative, relative_all
from portal.markup import esc, href, link
from portal.names import assign_slugs
from rules.catalogue import Rule, catalogue

T = TypeVar("T")

DOCS_INDEX = Path("gx") / "uncommitted" / "data_docs" / "local_site" / "index.html"
OWNED_DIRS = ("bodies", "rules")
MANIFEST = ".build-manifest.json"
MANIFEST_VERSION = 1


def build_site(db_path: Path, out_dir: Path, docs_root: Path | None = None) -> Path:
    """Write the site for the latest completed run of ``db_path`` into ``out_dir``; return its index.html.

    ``docs_root`` is the folder holding each run's Data Docs (``xxgk run --docs``); it is used to find the
    latest run's Data Docs when ``runs.docs_path`` is relative to another working directory.
    Pages of bodies or rules left over from an earlier build are removed."""
    with data.collector_paused():
        return write_site(data.load(Path(db_path), details=False), out_dir, docs_root)


@dataclass
class Plan:
    """What a build of the site decides before it writes: the rule pages' stems, each body page's key and
    draft link (``keys``: page → (digest, link)), and what the page on disk holds (``stored``: the draft
    link of a current page, None for a page to render)."""

    rules: Mapping[str, Rule]
    slugs: dict[str, str]
    notice_links: dict[str, str]
    manifest: Manifest
    context: str
    keys: dict[str, tuple[str, str | None]]
    stored: dict[str, tuple[str | None] | None]

    def to_render(self, snap: data.Snapshot) -> list[data.Body]:
        """The bodies whose page is rendered anew (not current, nor current but for its draft link)."""
        return [b for b in snap.bodies.values() if self.stored[f"bodies/{b.slug}.html"] is None]


def plan_site(snap: data.Snapshot, out_dir: Path, notices: Mapping[str, Path] | None = None,
              notices_being_written: bool = False) -> Plan:
    """The ``Plan`` of a build of ``snap`` into ``out_dir`` (see ``write_site`` for ``notices``)."""
    out_dir = Path(out_dir)
    rules = catalogue()
    slugs = rule_slugs(snap, rules)
    rels = relative_all((notices or {}).values(), out_dir, notices_being_written)
    notice_links = {key: rels[Path(path)] for key, path in (notices or {}).items() if Path(path) in rels}
    manifest = Manifest.read(out_dir)
    context = digest((code_version(), shown_rules_key(rules), slugs, snap.years(), snap.quiet_pairs))
    keys: dict[str, tuple[str, str | None]] = {}
    stored: dict[str, tuple[str | None] | None] = {}
    links = Links(notices=notice_links)
    for body in snap.bodies.values():
        rel = f"bodies/{body.slug}.html"
        notice = links.notice(body.key, "../")
        keys[rel] = (body_key(context, snap, body, notice is not None), notice)
        stored[rel] = manifest.linked(rel, keys[rel][0])
    return Plan(rules, slugs, notice_links, manifest, context, keys, stored)


def write_site(snap: data.Snapshot, out_dir: Path, docs_root: Path | None = None,
               notices: Mapping[str, Path] | None = None, downloads: Mapping[str, Path] | None = None,
               notices_being_written: bool = False, pool: Executor | None = None, plan: Plan | None = None) -> Path:
    """``build_site`` from an already loaded snapshot. ``notices`` maps a body's key to its 整改通知 draft and
    ``downloads`` a label to a file (e.g. the audit list); both are linked when the file exists (drafts
    also when ``notices_being_written``: another process writes them meanwhile and the caller waits for it).
    ``plan``: ``plan_site`` of the same snapshot, folder and drafts, when the caller made it already.

    Rebuilding into the same folder is incremental: ``out_dir/.build-manifest.json`` records each page's
    digest. A body page is rendered only when what it shows changed (its reports, findings, reviews and
    cells, the rule catalogue, this code); when only its draft's link changed (a new run writes its drafts
    into a new folder), the link is replaced in the page (in the process ``pool`` when given). The overview
    and the rule pages are rendered every time and written only when their text changed; the overview's
    rows of bodies that did not change are kept between builds (``portal.fragments``)."""
    out_dir = Path(out_dir)
    plan = plan or plan_site(snap, out_dir, notices, notices_being_written)
    rules, slugs, manifest, context, keys, stored = (plan.rules, plan.slugs, plan.manifest, plan.context,
                                                     dict(plan.keys), plan.stored)
    files = tuple((label, rel) for label, path in (downloads or {}).items() if (rel := relative(path, out_dir)))
    links = Links(docs_markup(snap.run, out_dir, docs_root), plan.notice_links, files)
    pages: set[str] = set()               # every page of the site (written or current)
    _prepare(out_dir)
    moves = [(rel, stored[rel][0], keys[rel][1]) for rel in keys
             if pool is not None and _relinkable(stored[rel], keys[rel][1])]
    relinking = pool.submit(relink_pages, str(out_dir), moves) if moves else None
    moved = {rel for rel, _, _ in moves}
    with Writer(out_dir, manifest) as writer:   # pages are written while the next ones render
        for group in snap.in_groups(snap.bodies.values(), lambda b: stored[f"bodies/{b.slug}.html"] is None):
            for body in group:
                rel = f"bodies/{body.slug}.html"
                pages.add(rel)
                text = None if rel in moved else _body_text(
                    out_dir, rel, stored[rel], keys[rel][1],
                    lambda body=body: body_page.render(snap, body, rules, slugs, links))
                if text is not None:
                    writer.write(rel, text, *keys[rel])
        fragments = Fragments(out_dir, context)      # the overview's rows of bodies that did not change
        rendered = {"index.html": index_page.render(snap, rules, slugs, links, fragments)}
        fragments.save()
        for rule_id, slug in slugs.items():
            rendered[f"rules/{slug}.html"] = rule_page.render(snap, rule_id, rules.get(rule_id))
        for rel, text in rendered.items():
            keys[rel] = (digest(text), None)
            pages.add(rel)
            if manifest.linked(rel, keys[rel][0]) is None:
                writer.write(rel, text, *keys[rel])
        if relinking is not None:
            by_slug = {f"bodies/{b.slug}.html": b for b in snap.bodies.values()}
            stamps = done_in(relinking, lambda: relink_pages(str(out_dir), moves))
            for (rel, _, _), stamp in zip(moves, stamps):
                if stamp is not None:
                    manifest.stamp(rel, keys[rel][0], keys[rel][1], stamp)
                else:                               # not readable, or without the link: rendered anew
                    writer.write(rel, body_page.render(snap, by_slug[rel], rules, slugs, links), *keys[rel])
    _remove_stale(out_dir, pages, manifest)
    return out_dir / "index.html"


def _relinkable(stored: tuple[str | None] | None, notice: str | None) -> bool:
    """The page on disk is current but for its draft link (see ``_body_text``)."""
    return stored is not None and stored[0] != notice and stored[0] is not None and notice is not None


def relink_pages(out_dir: str, moves: list[tuple[str, str, str]]) -> list[tuple[int, int] | None]:
    """For each ``(page, old link, new link)`` of ``moves``, the page under ``out_dir`` with its draft link
    replaced (run in a pool process: plain data in and out). Returns each page's ``(size, mtime_ns)`` once
    rewritten, None for a page that cannot be read or does not hold the old link (to be rendered anew)."""
    out: list[tuple[int, int] | None] = []
    for rel, old_link, new_link in moves:
        path = os.path.join(out_dir, rel)
        text = relinked_text(path, old_link, new_link)
        out.append(None if text is None else write_page(path, text))
    return out


def done_in(future: Future, here: Callable[[], T]) -> T:
    """What a pool worker returned; if that worker died, done here instead."""
    try:
        return future.result()
    except BrokenExecutor:
        return here()


def write_page(path: str, text: str | bytes) -> tuple[int, int]:
    """Write ``text`` (UTF-8 when bytes) to ``path`` through a partial file renamed over it (never seen
    half-written); return the page's ``(size, mtime_ns)``."""
    partial = f"{path}.{os.getpid()}.{threading.get_ident()}.part"
    data = text.encode("utf-8") if isinstance(text, str) else text
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            stat = os.fstat(fd)
        finally:
            os.close(fd)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):      # not renamed: the partial file goes (no file system call else)
            os.unlink(partial)
        raise
    return stat.st_size, stat.st_mtime_ns


def _body_text(out_dir: Path, rel: str, stored: tuple[str | None] | None, notice: str | None,
               render: Callable[[], str]) -> str | Callable[[], str | bytes] | None:
    """What to write for a body page: None when the page on disk is current; when only its draft link
    changed (``stored``: the link the current page holds), the page on disk with that link replaced (a
    function, run by the writer's thread: reading the page costs a file system call); else a new
    rendering."""
    if stored is None:
        return render()
    if stored[0] == notice:
        return None
    if stored[0] is not None and notice is not None:
        return lambda: _relinked(out_dir / rel, stored[0], notice, render)
    return render()


def _relinked(path: Path, old_link: str, new_link: str, render: Callable[[], str]) -> str | bytes:
    """The page at ``path`` with its draft link replaced; a new rendering when the page cannot be read or
    does not hold that link."""
    text = relinked_text(str(path), old_link, new_link)
    return text if text is not None else render()


def relinked_text(path: str, old_link: str, new_link: str) -> bytes | None:
    """The page at ``path`` (UTF-8) with its draft link ``old_link`` replaced by ``new_link``; None when the
    page cannot be read, is not UTF-8 or does not hold that link."""
    old = f'href="{href(old_link)}"'.encode("utf-8")
    new = f'href="{href(new_link)}"'.encode("utf-8")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return data.replace(old, new) if old in data else None


def body_key(context: str, snap: data.Snapshot, body: data.Body, has_notice: bool) -> str:
    """The digest of everything ``body_page.render`` shows of ``body`` but the path of its draft
    (``context``: the catalogue, the rule pages, the years of the run and this code)."""
    county = snap.county_of(body)
    return digest((context, body.digest, county.key, county.name, has_notice))


def rule_slugs(snap: data.Snapshot, rules: Mapping[str, Rule]) -> dict[str, str]:
    """Page stems of every catalogue rule and of any other rule id found in the run, catalogue order first."""
    seen = snap.rule_ids()
    ids = [*rules, *sorted(seen - set(rules))]
    slugs = assign_slugs({rule_id: (rule_id, "r") for rule_id in ids})
    return {rule_id: slugs[rule_id] for rule_id in ids}


def docs_markup(run: data.Run | None, out_dir: Path, docs_root: Path | None) -> str:
    """A relative link from the site root to the Data Docs that cover the run's findings when the file
    exists (the run's own, or — for a run that validated nothing — those of the latest run that wrote some,
    named), else a note."""
    if run is None:
        return esc(None)
    target = _docs_index(run, docs_root)
    if target is None:
        return f"{esc(run.docs_path)}（未找到）" if run.docs_path else "本次运行未生成"
    rel = relative(target, out_dir)
    label = ("本次运行的 Data Docs（规则与验证结果）" if run.docs_run in (None, run.run_id)
             else f"Data Docs（规则与验证结果；由检查批次 {run.docs_run} 生成，本次运行沿用其结果）")
    return link(rel, label) if rel else esc(str(target))


def _docs_index(run: data.Run, docs_root: Path | None) -> Path | None:
    candidates = []
    if run.docs_path:
        stored = Path(run.docs_path)
        candidates.append(stored)
        if docs_root is not None and not stored.is_absolute():
            candidates.append(Path(docs_root) / stored)
    if docs_root is not None:
        candidates.append(Path(docs_root) / (run.docs_run or run.run_id) / DOCS_INDEX)
    return next((p for p in candidates if p.suffix.lower() == ".html" and p.is_file()), None)


@dataclass
class Manifest:
    """What the last build wrote into a site folder: page → [digest, size, mtime_ns, the draft it links]. A
    page counts as current when its digest is the same and the file on disk is still the one that build
    wrote."""

    path: Path
    pages: dict[str, list]

    def __post_init__(self) -> None:
        self.root = str(self.path.parent)

    @classmethod
    def read(cls, out_dir: Path) -> Manifest:
        path = Path(out_dir) / MANIFEST
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            pages = stored["pages"] if stored.get("version") == MANIFEST_VERSION else {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pages = {}
        return cls(path, pages if isinstance(pages, dict) else {})

    def linked(self, rel: str, key: str) -> tuple[str | None] | None:
        """``(the draft link it holds,)`` when the page ``rel`` on disk has the digest ``key``, else None."""
        entry = self.pages.get(rel)
        if not isinstance(entry, list) or len(entry) != 4 or entry[0] != key:
            return None
        try:
            stat = os.stat(os.path.join(self.root, rel))
        except OSError:
            return None
        return (entry[3],) if [stat.st_size, stat.st_mtime_ns] == entry[1:3] else None

    def stamp(self, rel: str, key: str, notice: str | None, stamp: tuple[int, int]) -> None:
        """Record page ``rel`` as written with digest ``key``, linking ``notice``; ``stamp``: (size, mtime_ns)."""
        self.pages[rel] = [key, *stamp, notice]

    def save(self, keep: set[str]) -> None:
        self.pages = {rel: entry for rel, entry in self.pages.items() if rel in keep}
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.part")
        partial.write_text(json.dumps({"version": MANIFEST_VERSION, "pages": self.pages}, ensure_ascii=False),
                           encoding="utf-8")
        os.replace(partial, self.path)


class Writer:
    """Writes pages in a few threads (a file system call releases the GIL: the caller renders meanwhile),
    each through a partial file renamed over the page (replacing a page is never seen half-written, and
    costs less than truncating it in place), and records each in the manifest. Leaving the ``with`` block
    waits for every write and raises the first error."""

    THREADS = 4
    QUEUED = 64          # pages rendered but not written yet, at most (a page's text is let go once written)

    def __init__(self, out_dir: Path, manifest: Manifest) -> None:
        self.out_dir, self.manifest = out_dir, manifest
        self.threads = ThreadPoolExecutor(max_workers=self.THREADS, thread_name_prefix="site-pages")
        self.room = threading.BoundedSemaphore(self.QUEUED)
        self.failed: list[BaseException] = []

    def __enter__(self) -> Writer:
        return self

    def write(self, rel: str, text: str | Callable[[], str | bytes], key: str, notice: str | None) -> None:
        """Write ``text`` (or what the function returns, called in the writer's thread) as page ``rel``;
        waits while ``QUEUED`` rendered pages are waiting to be written (a function holds no page: it is
        queued without waiting, so that the caller renders on while pages are relinked)."""
        held = not callable(text)
        if held:
            self.room.acquire()
        try:
            future = self.threads.submit(self._write, rel, text, key, notice)
        except BaseException:
            if held:
                self.room.release()
            raise
        future.add_done_callback(lambda future: self._done(future, held))

    def _done(self, future: Future, held: bool) -> None:
        if held:
            self.room.release()
        if future.exception() is not None:
            self.failed.append(future.exception())

    def _write(self, rel: str, text: str | Callable[[], str | bytes], key: str, notice: str | None) -> None:
        if callable(text):
            text = text()
        self.manifest.stamp(rel, key, notice, write_page(os.path.join(self.out_dir, rel), text))

    def __exit__(self, *exc: object) -> None:
        self.threads.shutdown(wait=True)
        if self.failed and exc[0] is None:
            raise self.failed[0]


def _prepare(out_dir: Path) -> None:
    """The site's folders and its stylesheet (written when it differs)."""
    for folder in ("assets", *OWNED_DIRS):
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
    css = resources.files("portal").joinpath("assets/site.css").read_bytes()
    target = out_dir / "assets" / "site.css"
    if not target.is_file() or target.read_bytes() != css:
        target.write_bytes(css)


def _remove_stale(out_dir: Path, pages: set[str], manifest: Manifest) -> None:
    """Remove the pages of bodies or rules an earlier build left (and partial files of a build that was
    interrupted); save the manifest."""
    for folder in OWNED_DIRS:
        with os.scandir(out_dir / folder) as entries:
            stale = [e.path for e in entries if (e.name.endswith(".html") and f"{folder}/{e.name}" not in pages)
                     or e.name.endswith(".part")]
        for path in stale:
            os.unlink(path)
    manifest.save(pages)
