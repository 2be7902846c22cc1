"""整改通知 drafts: one Word file per non-compliant body of the latest run, from an editable template.

The template is an ordinary .docx the office edits in Word. Placeholders ``{{名称}}`` anywhere in a paragraph
(body, tables, headers, footers; even when Word split them over several runs) are replaced and the rest of
the paragraph is kept. The paragraph holding ``{{问题清单}}`` becomes the list of failed rules (its paragraph
and character formatting are copied). Placeholders:

    {{机关名称}} {{机关编码}} {{所属区县}} {{年度}} {{问题数}} {{问题清单}} {{日期}} {{运行编号}}
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.oxml import serialize_part_xml
from docx.opc.part import XmlPart
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.parts.document import DocumentPart
from docx.parts.hdrftr import FooterPart, HeaderPart
from docx.shared import Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from portal import data
from portal.digests import catalogue_key, code_version, digest
from portal.markup import SEVERITY
from portal.names import file_label
from rules.catalogue import Rule, catalogue

PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
BLOCK = "问题清单"
NUMERALS = "一二三四五六七八九十"
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
Line = tuple[str, bool]                  # (text, bold)


# ---------------------------------------------------------------- public API


def write_notices(db_path: Path, out_dir: Path, template: Path | None = None, *,
                  today: date | None = None, cache_dir: Path | None = None) -> list[Path]:
    """Write one 整改通知 draft per body with an open error-level fail in the latest completed run into
    ``out_dir``; return the paths (sorted by body name). ``template`` defaults to the shipped
    ``portal/templates/notice_template.docx``; ``cache_dir`` as in ``write_notices_for``."""
    with data.collector_paused():
        return write_notices_for(data.load(Path(db_path), details=False), out_dir, template, today=today,
                                 cache_dir=cache_dir)


def write_notices_for(snap: data.Snapshot, out_dir: Path, template: Path | None = None, *,
                      today: date | None = None, cache_dir: Path | None = None) -> list[Path]:
    """``write_notices`` from an already loaded snapshot.

    The template is read once. Each draft's text (everything but the run id and the date) is filled in once
    and kept in ``cache_dir`` when given (``build_all`` keeps it beside the runs' draft folders), under the
    digest of everything it is made from: a later build whose draft would be made from the same data only
    puts in the run id and the date, and a draft already written with the same run id and date is kept."""
    targets = notice_targets(snap, out_dir)
    if not targets:
        return []
    rules = catalogue()
    today = today or date.today()
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    drafter = Drafter(template, catalogue_key(rules))
    cache = DraftCache(cache_dir)
    jobs = [(body, path, notice_values(snap, body, today)) for body, path in targets]
    keys = [drafter.content_key(values, body.digest) for body, _, values in jobs]
    snap.read_details(body for (body, _, _), key in zip(jobs, keys) if key is None or not cache.has(key))
    for (body, path, values), key in zip(jobs, keys):
        drafter.write(path, values, key, lambda body=body: problem_lines(body, rules), cache)
    cache.save()
    return [path for _, path, _ in jobs]


def notice_targets(snap: data.Snapshot, out_dir: Path) -> list[tuple[data.Body, Path]]:
    """The bodies that get a draft (an open error-level fail), sorted by name, each with its draft's path."""
    bodies = sorted((b for b in snap.bodies.values() if b.non_compliant), key=lambda b: (b.name, b.key))
    return [(body, notice_path(out_dir, body)) for body in bodies]


def notice_path(out_dir: Path, body: data.Body) -> Path:
    """Where ``body``'s draft is written in ``out_dir`` (a readable name and the body's unique page slug)."""
    return Path(out_dir) / f"整改通知_{file_label(body.name) or '机关'}_{body.slug}.docx"


def default_template() -> Path:
    """The shipped template (``portal/templates/notice_template.docx``)."""
    return Path(str(resources.files("portal").joinpath("templates/notice_template.docx")))


def make_template(path: Path) -> Path:
    """Create the default template with python-docx (how the shipped file was made)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _template_document().save(str(path))
    return path


def _template_document() -> DocumentType:
    doc = Document()
    _base_font(doc)
    _para(doc, "关于{{机关名称}}{{年度}}年度政府信息公开工作年度报告问题的整改通知", size=22, bold=True, center=True)
    _para(doc, "")
    _para(doc, "{{机关名称}}：")
    _para(doc, "经对你单位{{年度}}年度政府信息公开工作年度报告进行检查（检查批次：{{运行编号}}），发现以下 {{问题数}} "
               "项问题，现将有关情况通知如下：", indent=True)
    _para(doc, "{{问题清单}}", indent=True)
    _para(doc, "请你单位对照上述问题逐项核实整改，于收到本通知之日起 15 个工作日内在政府信息公开专栏重新发布更正后的"
               "年度报告，并将整改情况书面报送我办。对检查结果有异议的，请在上述期限内提出并附相关说明。", indent=True)
    _para(doc, "")
    _para(doc, "联系人：            联系电话：", indent=True)
    _para(doc, "")
    _para(doc, "××市人民政府办公室（政务公开办）", right=True)
    _para(doc, "{{日期}}", right=True)
    return doc


# ---------------------------------------------------------------- content


def notice_values(snap: data.Snapshot, body: data.Body, today: date) -> dict[str, str]:
    """The inline placeholders of one notice."""
    fails = body.open_fails
    years = sorted({f.year for _, f in fails if f.year is not None})
    return {"机关名称": body.name, "机关编码": body.body_id or "（未登记）", "所属区县": snap.county_of(body).name,
            "年度": "、".join(str(y) for y in years) or "（年度不详）", "问题数": str(len(fails)),
            "日期": f"{today.year}年{today.month}月{today.day}日",
            "运行编号": snap.run.run_id if snap.run else ""}


def problem_lines(body: data.Body, rules: Mapping[str, Rule]) -> list[Line]:
    """The list of open fails, by report: rule id and title, basis, message, cells and numbers, 整改要求."""
    groups: list[tuple[data.Report | None, int | None, list[data.Finding]]] = []
    for report, finding in body.open_fails:
        if not groups or groups[-1][0] is not report or (report is None and groups[-1][1] != finding.year):
            groups.append((report, finding.year if report is None else report.year, []))
        groups[-1][2].append(finding)
    lines: list[Line] = []
    for i, (report, year, findings) in enumerate(groups):
        lines.append((f"（{NUMERALS[i] if i < len(NUMERALS) else i + 1}）{_group_head(report, year)}", True))
        for n, finding in enumerate(findings, 1):
            lines.extend(_finding_lines(n, body, report, finding, rules.get(finding.rule_id)))
    return lines


def _group_head(report: data.Report | None, year: int | None) -> str:
    when = f"{year}年度" if year is not None else "年度不详的"
    if report is None:
        return f"{when}报告（未发现已公布的报告）"
    return f"{when}报告（文件：{report.source_path or '—'}）"


def _finding_lines(n: int, body: data.Body, report: data.Report | None, f: data.Finding,
                   rule: Rule | None) -> list[Line]:
    title = rule.title if rule else "（规则目录中已无此规则）"
    out: list[Line] = [(f"{n}. {f.rule_id} {title}（{SEVERITY.get(f.severity, f.severity)}）", True),
                       (f"依据：{rule.basis if rule else '—'}", False), (f"问题：{f.message or '—'}", False)]
    cells = _cells_text(body, report, f)
    if cells:
        out.append((f"涉及数据：{cells}", False))
    if f.expected and f.observed:
        out.append((f"应为 {_nums(f.expected)}，实为 {_nums(f.observed)}。", False))
    out.append((f"整改要求：{requirement(f.rule_id, f.severity)}", False))
    return out


def _nums(values: tuple[float, ...]) -> str:
    return "、".join(str(int(v)) if float(v).is_integer() else f"{v:g}" for v in values) or "—"


def _cells_text(body: data.Body, report: data.Report | None, f: data.Finding) -> str:
    parts = []
    for cell_id in f.cell_ids:
        cell, source = body.cell(report, cell_id)
        if not data.TABLE_CELL.match(cell_id):
            continue  # a derived score (e.g. similarity): the message states it
        if cell is None:
            parts.append(f"{cell_id}（{source or '未读到'}）")
        else:
            where = "，".join(x for x in (source, cell.locator or "位置不详") if x)
            parts.append(f"{cell_id}（{where}，原文“{cell.raw or ''}”）")
    return "；".join(parts)


def requirement(rule_id: str, severity: str) -> str:
    """A short 整改要求 sentence for a failed rule."""
    if rule_id == "REG-MISSING":
        return "请立即在政府信息公开专栏公布该年度的政府信息公开工作年度报告，并说明逾期原因。"
    if rule_id.startswith(("STR-", "VER-")):
        return "请按国务院办公厅规定的年报格式补齐或更正相应部分和统计表，重新发布年度报告。"
    if rule_id.startswith(("T2-", "T3-", "T4-")) and severity == "error":
        return "请逐项核对上述单元格的数据，使统计表数据准确、前后一致，更正后重新发布年度报告并说明更正情况。"
    return "请核实上述情况，按要求补充完善相关内容，并在更正或今后的年度报告中予以规范。"


# ---------------------------------------------------------------- filling a template


def fill(doc: DocumentType, values: Mapping[str, str], block: list[Line]) -> None:
    """Replace the placeholders of every paragraph of ``doc``; expand ``{{问题清单}}`` into ``block``."""
    clean = {k: _xml_text(v) for k, v in values.items()}
    for para in list(_paragraphs(doc)):
        if any(m.group(1) == BLOCK for m in PLACEHOLDER.finditer(para.text)):
            _expand(para, [(_xml_text(t), bold) for t, bold in block])
        replace_in_paragraph(para, clean)


def replace_in_paragraph(para: Paragraph, values: Mapping[str, str]) -> None:
    """Replace known placeholders in ``para``, also across runs; the first run of each keeps its format."""
    runs = para.runs
    bounds, pos = [], 0
    for run in runs:
        bounds.append((pos, pos + len(run.text)))
        pos += len(run.text)
    text = "".join(run.text for run in runs)
    for match in reversed([m for m in PLACEHOLDER.finditer(text) if m.group(1) in values]):
        start, end = match.span()
        i = next(k for k, (a, b) in enumerate(bounds) if a <= start < b)
        j = next(k for k, (a, b) in enumerate(bounds) if a < end <= b)
        value = values[match.group(1)]
        if i == j:
            t = runs[i].text
            runs[i].text = t[:start - bounds[i][0]] + value + t[end - bounds[i][0]:]
            continue
        runs[i].text = runs[i].text[:start - bounds[i][0]] + value
        for k in range(i + 1, j):
            runs[k].text = ""
        runs[j].text = runs[j].text[end - bounds[j][0]:]


def _expand(para: Paragraph, lines: list[Line]) -> None:
    anchor = para._p
    run_format = para.runs[0]._r.rPr if para.runs else None
    for text, bold in lines:
        new = OxmlElement("w:p")
        if para._p.pPr is not None:
            new.append(deepcopy(para._p.pPr))
        anchor.addnext(new)
        run = Paragraph(new, para._parent).add_run(text)
        if run_format is not None:
            run._r.insert(0, deepcopy(run_format))
        run.bold = bold
        anchor = new
    replace_in_paragraph(para, {BLOCK: ""})
    if not para.text.strip():
        para._p.getparent().remove(para._p)


def _paragraphs(doc: DocumentType) -> Iterator[Paragraph]:
    yield from _container(doc)
    for section in doc.sections:
        for part in (section.header, section.footer, section.first_page_header, section.first_page_footer,
                     section.even_page_header, section.even_page_footer):
            if not part.is_linked_to_previous:
                yield from _container(part)


def _container(container) -> Iterator[Paragraph]:  # noqa: ANN001 - Document, _Cell, header or footer
    yield from container.paragraphs
    for table in container.tables:
        yield from _table(table)


def _table(table: Table) -> Iterator[Paragraph]:
    for row in table.rows:
        for cell in row.cells:
            yield from _container(cell)


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", str(text))


def _template_bytes(template: Path | None) -> bytes:
    """The template file, or the shipped one; when the shipped file is missing, the same template built in
    memory. An explicit template that does not exist is an error."""
    path = Path(template) if template else default_template()
    if path.is_file():
        return path.read_bytes()
    if template:
        raise FileNotFoundError(f"整改通知模板不存在：{path}")
    buffer = BytesIO()
    _template_document().save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- writing drafts quickly
#
# A draft is the template with its text parts (the document, headers, footers) filled in. The other parts
# (styles alone are ~800 KB of XML) are copied into each draft still compressed, as the template holds them.
# The run id and the date are filled in as markers first, so that the filled parts of a draft can be kept
# (``DraftCache``) and reused by later builds with another run id or date.

MARKS = {"运行编号": "\ue000R\ue001", "日期": "\ue000D\ue001"}
_PRIVATE = ("\ue000", "\ue001")
_CONTROL = re.compile(r"[\t\n\r]")
CACHE_FILE = "drafts.json"
CACHE_VERSION = 1


class Drafter:
    """One template, read once; writes drafts from it."""

    def __init__(self, template: Path | None, rules_key: str = "") -> None:
        self.blob = _template_bytes(template)
        self.key = digest((CACHE_VERSION, hashlib.sha256(self.blob).hexdigest(), code_version(), rules_key))
        self._members: list[_Member] | None = None
        self._doc: DocumentType | None = None
        self._parts: dict[str, tuple[XmlPart, Any]] = {}

    def content_key(self, values: Mapping[str, str], source: str) -> str | None:
        """The digest of a draft's text but the run id and the date: of the template, this code, the rule
        catalogue (in ``self.key``), ``values`` and ``source`` (the digest of the body's data). None when the
        run id or the date cannot be put in later (see ``_markable``)."""
        real = [_xml_text(values[name]) for name in MARKS if name in values]
        if not all(_markable(v) for v in real) or _has_marks(values):
            return None
        marked = {**values, **{name: mark for name, mark in MARKS.items() if name in values}}
        return digest((self.key, sorted(marked.items()), source))

    def write(self, path: Path, values: Mapping[str, str], content: str | None, lines: Callable[[], list[Line]],
              cache: DraftCache) -> None:
        """Write the draft of ``values`` and ``lines()`` (computed only when needed) to ``path``, unless the
        draft there is already this one; ``content`` is its ``content_key``."""
        if content is None:
            self._save(path, self._fill(values, lines()))   # unusual text: filled directly, not cached
            return
        real = {name: _xml_text(values[name]) for name in MARKS if name in values}
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
        self._save(path, filled)
        cache.written(path, instance)

    def _fill(self, values: Mapping[str, str], lines: list[Line]) -> dict[str, bytes]:
        """The serialized text parts of the template filled with ``values`` and ``lines``."""
        if self._doc is None:
            self._doc = Document(BytesIO(self.blob))
            for part in self._doc.part.package.iter_parts():
                if isinstance(part, (DocumentPart, HeaderPart, FooterPart)):
                    self._parts[part.partname.membername] = (part, part._element)
        for part, element in self._parts.values():
            part._element = deepcopy(element)
        fill(self._doc.part.document, values, lines)
        return {name: serialize_part_xml(part._element) for name, (part, _) in self._parts.items()}

    def _save(self, path: Path, parts: Mapping[str, bytes]) -> None:
        if self._members is None:
            self._members = _members(self.blob)
        out = [m if m.name not in parts else _Member.deflated(m.name, parts[m.name]) for m in self._members]
        partial = path.with_name(f".{path.name}.{os.getpid()}.part")
        partial.write_bytes(_zip(out))
        os.replace(partial, path)


@dataclass
class DraftCache:
    """The filled text parts of drafts by content digest, and what was written where, kept as one JSON
    file in ``folder`` (in memory only when ``folder`` is None). Entries not used by a build are dropped."""

    folder: Path | None

    def __post_init__(self) -> None:
        self.parts: dict[str, dict[str, str]] = {}
        self.files: dict[str, list] = {}
        self.used: set[str] = set()
        self.done: dict[str, list] = {}
        self.dirs: dict[Path, str] = {}
        if self.folder is None:
            return
        try:
            stored = json.loads((Path(self.folder) / CACHE_FILE).read_text(encoding="utf-8"))
            if stored.get("version") == CACHE_VERSION:
                self.parts, self.files = dict(stored["parts"]), dict(stored["files"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.parts, self.files = {}, {}

    def has(self, content: str) -> bool:
        return isinstance(self.parts.get(content), dict)

    def get(self, content: str) -> dict[str, str] | None:
        parts = self.parts.get(content)
        if isinstance(parts, dict) and all(isinstance(v, str) for v in parts.values()):
            self.used.add(content)
            return parts
        return None

    def put(self, content: str, parts: dict[str, str]) -> None:
        self.parts[content] = parts
        self.used.add(content)

    def keep(self, content: str) -> None:
        self.used.add(content)

    def _name(self, path: Path) -> str:
        """``path`` as recorded: relative to the cache folder (the output folder may be moved)."""
        path = Path(path)
        if path.parent not in self.dirs:
            self.dirs[path.parent] = (os.path.relpath(path.parent, self.folder) if self.folder is not None
                                      else str(path.parent))
        return f"{self.dirs[path.parent]}/{path.name}"

    def current(self, path: Path, instance: str) -> bool:
        """``path`` holds the draft ``instance`` as this cache wrote it."""
        entry = self.files.get(self._name(path))
        if not isinstance(entry, list) or len(entry) != 3 or entry[0] != instance:
            return False
        try:
            stat = Path(path).stat()
        except OSError:
            return False
        if [stat.st_size, stat.st_mtime_ns] != entry[1:]:
            return False
        self.done[self._name(path)] = entry
        return True

    def written(self, path: Path, instance: str) -> None:
        stat = Path(path).stat()
        self.done[self._name(path)] = [instance, stat.st_size, stat.st_mtime_ns]

    def save(self) -> None:
        if self.folder is None:
            return
        folder = Path(self.folder)
        folder.mkdir(parents=True, exist_ok=True)
        kept = {"version": CACHE_VERSION, "parts": {k: v for k, v in self.parts.items() if k in self.used},
                "files": self.done}
        partial = folder / f".{CACHE_FILE}.{os.getpid()}.part"
        partial.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, folder / CACHE_FILE)


def _markable(value: str) -> bool:
    """A value that can be put in for its marker without changing the document's structure: no tab or line
    break (python-docx writes those as elements), no leading or trailing space, not empty."""
    return bool(value) and value == value.strip() and not _CONTROL.search(value) and not _has_marks(value)


def _has_marks(values: Mapping[str, str] | str, lines: Iterable[Line] = ()) -> bool:
    """Text holding a marker character (it would be taken for a marker)."""
    texts = [values] if isinstance(values, str) else [*values.values(), *(text for text, _ in lines)]
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
        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
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


def _zip(members: list[_Member]) -> bytes:
    """A zip archive of ``members`` (no zip64: a draft is small)."""
    now = datetime.now()
    dos_time = (now.hour << 11) | (now.minute << 5) | (now.second // 2)
    dos_date = ((max(now.year, 1980) - 1980) << 9) | (now.month << 5) | now.day
    body, central = bytearray(), bytearray()
    for m in members:
        name = m.name.encode("utf-8")
        flags = 0x800 if not m.name.isascii() else 0
        fields = (20, flags, m.method, dos_time, dos_date, m.crc, len(m.data), m.size, len(name))
        central += struct.pack("<IH" + "HHHHHIIIH" + "HHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, 0,
                               len(body)) + name
        body += struct.pack("<I" + "HHHHHIIIH" + "H", 0x04034B50, *fields, 0) + name + m.data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(body), 0)
    return bytes(body + central + end)


# ---------------------------------------------------------------- template styling


def _base_font(doc: DocumentType) -> None:
    style = doc.styles["Normal"]
    style.font.name = "FangSong"
    style.font.size = Pt(16)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋")


def _para(doc: DocumentType, text: str, size: int | None = None, bold: bool = False, center: bool = False,
          right: bool = False, indent: bool = False) -> Paragraph:
    para = doc.add_paragraph()
    run = para.add_run(text)
    run.bold = bold or None
    if size:
        run.font.size = Pt(size)
    if center:
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif right:
        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if indent:
        para.paragraph_format.first_line_indent = Pt(32)
    return para
