"""Writing 整改通知 drafts quickly: a template read once, filled parts kept and reused.

A draft is the template with its text parts (the document, headers, footers) filled in. The other parts
(styles alone are ~800 KB of XML) are copied into each draft still compressed, as the template holds them.
The run id and the date are filled in as markers first, so that the filled parts of a draft can be kept
(``DraftCache``) and reused by later builds with another run id or date.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from docx import Document
from docx.document import Document as DocumentType
from docx.opc.oxml import serialize_part_xml
from docx.opc.part import XmlPart
from docx.parts.document import DocumentPart
from docx.parts.hdrftr import FooterPart, HeaderPart

from portal.digests import code_version, digest
from portal.notice_fill import Block, Grid, fill, xml_text
from portal.notice_template import template_document

Blocks = Mapping[str, Block]

MARKS = {"运行编号": "\ue000R\ue001", "日期": "\ue000D\ue001"}
_PRIVATE = ("\ue000", "\ue001")
_CONTROL = re.compile(r"[\t\n\r]")
CACHE_FILE, PARTS_FILE = "drafts.json", "draft-parts.json"
CACHE_VERSION = 2
LEVEL = 1       # deflate level of the filled parts (a few KB each: level 6 took twice the time for ~5 % less)


class Drafter:
    """One template, read once; writes drafts from it."""

    def __init__(self, template: Path | None, rules_key: str = "") -> None:
        self.blob = template_bytes(template)
        self.key = digest((CACHE_VERSION, hashlib.sha256(self.blob).hexdigest(), code_version(), rules_key))
        self._zipper: _Zipper | None = None
        self._doc: DocumentType | None = None
        self._parts: dict[str, tuple[XmlPart, Any]] = {}

    def content_key(self, values: Mapping[str, str], source: str) -> str | None:
        """The digest of a draft's text but the run id and the date: of the template, this code, the rule
        catalogue (in ``self.key``), ``values`` and ``source`` (the digest of the body's data). None when the
        run id or the date cannot be put in later (see ``_markable``)."""
        real = [xml_text(values[name]) for name in MARKS if name in values]
        if not all(_markable(v) for v in real) or _has_marks(values):
            return None
        marked = {**values, **{name: mark for name, mark in MARKS.items() if name in values}}
        return digest((self.key, sorted(marked.items()), source))

    def write(self, path: Path, values: Mapping[str, str], content: str | None, lines: Callable[[], Blocks],
              cache: DraftCache) -> None:
        """Write the draft of ``values`` and the blocks ``lines()`` (computed only when needed) to ``path``,
        unless the draft there is already this one; ``content`` is its ``content_key``."""
        if content is None:
            self._save(path, self._fill(values, lines()))   # unusual text: filled directly, not cached
            return
        real = {name: xml_text(values[name]) for name in MARKS if name in values}
        instance = digest((content, sorted(real.items())))
        if cache.current(path, instance):
            cache.keep(content)
            return
        parts = cache.get(content)
        if parts is None:
            text = lines()
            if _has_marks(values, text):
                self._save(path, self._fill(values, text))
                return
            marked = {**values, **{name: mark for name, mark in MARKS.items() if name in values}}
            parts = {name: xml.decode("utf-8") for name, xml in self._fill(marked, text).items()}
            cache.put(content, parts)
        swaps = {mark: xml_escape(real[name]) for name, mark in MARKS.items() if name in real}
        filled = {}
        for name, xml in parts.items():
            for mark, text in swaps.items():
                xml = xml.replace(mark, text)
            filled[name] = xml.encode("utf-8")
        cache.written(path, instance, self._save(path, filled))

    def _fill(self, values: Mapping[str, str], lines: Blocks) -> dict[str, bytes]:
        """The serialized text parts of the template filled with ``values`` and the blocks ``lines``."""
        if self._doc is None:
            self._doc = Document(BytesIO(self.blob))
            for part in self._doc.part.package.iter_parts():
                if isinstance(part, (DocumentPart, HeaderPart, FooterPart)):
                    self._parts[part.partname.membername] = (part, part._element)
        for part, element in self._parts.values():
            part._element = deepcopy(element)
        fill(self._doc.part.document, values, lines)
        return {name: serialize_part_xml(part._element) for name, (part, _) in self._parts.items()}

    def _save(self, path: Path, parts: Mapping[str, bytes]) -> tuple[int, int]:
        """Write the template with ``parts`` in place of its members of those names to ``path`` (through a
        partial file renamed over it); return the file's ``(size, mtime_ns)``."""
        if self._zipper is None:
            self._zipper = _Zipper(_members(self.blob))
        blob = self._zipper.zip({name: _Member.deflated(name, xml) for name, xml in parts.items()})
        from portal.site import write_page  # the site's writer: a partial file renamed over the draft

        return write_page(os.fspath(path), blob)


@dataclass(frozen=True)
class DraftJob:
    """One draft to write, as plain data (a pool process writes it without a snapshot): its path, inline
    values, ``Drafter.content_key`` and its blocks (None when the cache holds its filled text)."""

    path: Path
    values: dict[str, str]
    key: str | None
    blocks: Blocks | None = None


def write_drafts(jobs: Sequence[DraftJob], template: Path | None, rules_key: str,
                 cache_dir: Path | None, cache: DraftCache | None = None) -> list[Path]:
    """Write the drafts of ``jobs`` from ``template`` (``rules_key``: the catalogue's digest, as for
    ``Drafter``), reusing and keeping filled text in ``cache_dir`` (``cache``: that folder's cache, already
    read); return their paths."""
    drafter, cache = Drafter(template, rules_key), cache if cache is not None else DraftCache(cache_dir)
    for folder in {job.path.parent for job in jobs}:
        folder.mkdir(parents=True, exist_ok=True)
    for job in jobs:
        drafter.write(job.path, job.values, job.key, lambda job=job: _blocks_of(job), cache)
    cache.save()
    return [job.path for job in jobs]


def _blocks_of(job: DraftJob) -> Blocks:
    if job.blocks is None:
        raise RuntimeError(f"整改通知草稿的内容未准备好：{job.path}")
    return job.blocks


@dataclass
class DraftCache:
    """The filled text parts of drafts by content digest, and what was written where, kept as two JSON
    files in ``folder`` (in memory only when ``folder`` is None): the parts (rewritten only when a build
    adds or drops some) and the files. Entries not used by a build are dropped."""

    folder: Path | None

    def __post_init__(self) -> None:
        self.parts: dict[str, dict[str, str]] = {}
        self.files: dict[str, list] = {}
        self.used: set[str] = set()
        self.added = False
        self.done: dict[str, list] = {}
        self.dirs: dict[str, str] = {}
        if self.folder is None:
            return
        parts, files = (_read_json(Path(self.folder) / name, key) for name, key in ((PARTS_FILE, "parts"),
                                                                                    (CACHE_FILE, "files")))
        self.parts, self.files = parts, files

    def has(self, content: str) -> bool:
        """The filled text of ``content`` is kept (``get`` returns it)."""
        parts = self.parts.get(content)
        return isinstance(parts, dict) and all(isinstance(v, str) for v in parts.values())

    def get(self, content: str) -> dict[str, str] | None:
        parts = self.parts.get(content)
        if isinstance(parts, dict) and all(isinstance(v, str) for v in parts.values()):
            self.used.add(content)
            return parts
        return None

    def put(self, content: str, parts: dict[str, str]) -> None:
        self.parts[content] = parts
        self.used.add(content)
        self.added = True

    def keep(self, content: str) -> None:
        self.used.add(content)

    def _name(self, path: Path) -> str:
        """``path`` as recorded: relative to the cache folder (the output folder may be moved)."""
        folder, name = os.path.split(os.fspath(path))
        if folder not in self.dirs:
            self.dirs[folder] = os.path.relpath(folder, self.folder) if self.folder is not None else folder
        return f"{self.dirs[folder]}/{name}"

    def current(self, path: Path, instance: str) -> bool:
        """``path`` holds the draft ``instance`` as this cache wrote it."""
        entry = self.files.get(self._name(path))
        if not isinstance(entry, list) or len(entry) != 3 or entry[0] != instance:
            return False
        try:
            stat = os.stat(path)
        except OSError:
            return False
        if [stat.st_size, stat.st_mtime_ns] != entry[1:]:
            return False
        self.done[self._name(path)] = entry
        return True

    def written(self, path: Path, instance: str, stamp: tuple[int, int] | None = None) -> None:
        """Record ``path`` as holding draft ``instance``; ``stamp``: its ``(size, mtime_ns)`` when known."""
        if stamp is None:
            stat = os.stat(path)
            stamp = (stat.st_size, stat.st_mtime_ns)
        self.done[self._name(path)] = [instance, *stamp]

    def save(self) -> None:
        """Keep what this build used: the parts (when they changed) and the files written or current."""
        if self.folder is None:
            return
        folder = Path(self.folder)
        folder.mkdir(parents=True, exist_ok=True)
        if self.added or self.used != self.parts.keys():
            _write_json(folder / PARTS_FILE, "parts", {k: v for k, v in self.parts.items() if k in self.used})
        _write_json(folder / CACHE_FILE, "files", self.done)


def _read_json(path: Path, key: str) -> dict:
    """The dict stored under ``key`` in the cache file ``path`` (empty when missing, unreadable or of
    another version)."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        value = stored[key] if stored.get("version") == CACHE_VERSION else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        value = {}
    return dict(value) if isinstance(value, dict) else {}


def _write_json(path: Path, key: str, value: dict) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    partial.write_text(json.dumps({"version": CACHE_VERSION, key: value}, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)


def _markable(value: str) -> bool:
    """A value that can be put in for its marker without changing the document's structure: no tab or line
    break (python-docx writes those as elements), no leading or trailing space, not empty."""
    return bool(value) and value == value.strip() and not _CONTROL.search(value) and not _has_marks(value)


def _has_marks(values: Mapping[str, str] | str, blocks: Blocks | None = None) -> bool:
    """Text holding a marker character (it would be taken for a marker)."""
    texts = [values] if isinstance(values, str) else [*values.values(), *_block_texts(blocks or {})]
    return any(mark in str(text) for text in texts for mark in _PRIVATE)


@dataclass(frozen=True)
class _Member:
    """One file of a .docx (a zip) as stored: raw deflate (or stored) data with its CRC and sizes."""

    name: str
    method: int
    crc: int
    size: int
    data: bytes

    @classmethod
    def deflated(cls, name: str, content: bytes) -> _Member:
        packer = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
        return cls(name, zipfile.ZIP_DEFLATED, zlib.crc32(content), len(content),
                   packer.compress(content) + packer.flush())


def _members(blob: bytes) -> list[_Member]:
    """The files of the zip ``blob`` in order, still compressed (re-compressed only when the template uses
    a method other than deflate or store, or encryption)."""
    out = []
    with zipfile.ZipFile(BytesIO(blob)) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            start = info.header_offset
            head = blob[start:start + 30]
            if (info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 1
                    or len(head) < 30 or head[:4] != b"PK\x03\x04"):
                out.append(_Member.deflated(info.filename, zf.read(info)))
                continue
            name_len, extra_len = struct.unpack("<HH", head[26:30])
            begin = start + 30 + name_len + extra_len
            out.append(_Member(info.filename, info.compress_type, info.CRC, info.file_size,
                               blob[begin:begin + info.compress_size]))
    return out


class _Zipper:
    """Zip archives of the template's members, some replaced: the local headers and the central directory
    entries of the members kept are packed once (one time stamp, that of the build)."""

    def __init__(self, members: list[_Member]) -> None:
        now = datetime.now()
        self.when = ((now.hour << 11) | (now.minute << 5) | (now.second // 2),
                     ((max(now.year, 1980) - 1980) << 9) | (now.month << 5) | now.day)
        self.members = members
        self.packed = {m.name: self._pack(m) for m in members}

    def _pack(self, m: _Member) -> tuple[bytes, bytes]:
        """(local header with the name, central entry without its offset and name) of ``m``."""
        name = m.name.encode("utf-8")
        flags = 0x800 if not m.name.isascii() else 0
        fields = (20, flags, m.method, *self.when, m.crc, len(m.data), m.size, len(name))
        local = struct.pack("<I" + "HHHHHIIIH" + "H", 0x04034B50, *fields, 0) + name
        central = struct.pack("<IH" + "HHHHHIIIH" + "HHHHI", 0x02014B50, 20, *fields, 0, 0, 0, 0, 0)
        return local, central

    def zip(self, replaced: Mapping[str, _Member]) -> bytes:
        """The archive of the members, those named in ``replaced`` replaced (no zip64: a draft is small)."""
        body: list[bytes] = []
        central: list[bytes] = []
        offset = 0
        for m in self.members:
            if m.name in replaced:
                m = replaced[m.name]
                local, entry = self._pack(m)
            else:
                local, entry = self.packed[m.name]
            central += (entry, struct.pack("<I", offset), m.name.encode("utf-8"))
            body += (local, m.data)
            offset += len(local) + len(m.data)
        size = sum(map(len, central))
        end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(self.members), len(self.members), size, offset, 0)
        return b"".join([*body, *central, end])


def _block_texts(blocks: Blocks) -> Iterable[str]:
    for block in blocks.values():
        if isinstance(block, Grid):
            yield from block.headers
            yield from (text for row in block.rows for text in row)
        else:
            yield from (line[0] for line in block)


def default_template() -> Path:
    """The shipped template (``portal/templates/notice_template.docx``)."""
    return Path(str(resources.files("portal").joinpath("templates/notice_template.docx")))


def template_bytes(template: Path | None) -> bytes:
    """The template file, or the shipped one; when the shipped file is missing, the same template built in
    memory. An explicit template that does not exist is an error."""
    path = Path(template) if template else default_template()
    if path.is_file():
        return path.read_bytes()
    if template:
        raise FileNotFoundError(f"整改通知模板不存在：{path}")
    buffer = BytesIO()
    template_document().save(buffer)
    return buffer.getvalue()
