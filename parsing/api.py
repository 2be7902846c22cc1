"""``parse_bytes`` / ``parse_file``: any supported document → one ``Report``. Never raises."""
from __future__ import annotations

import hashlib
from dataclasses import replace
import re
from pathlib import Path

from parsing import readers
from parsing.align import Alignment
from parsing.errors import ReadError, TransientReadError
from parsing.model import SCANNED_NOTE, Cell, Report, Section
from parsing.readers import Document, read_document
from parsing.identity import body_of, year_of
from parsing.structure import Title, combine_editions, find_sections, find_title, table2_edition, table3_edition
from parsing.tables import TableResult, extract_rows, extract_t4, table_start
from parsing.text import TextMap
from rules import layout

TABLE_SECTION = {"t2": 2, "t3": 3, "t4": 4}


def parse_file(path: str | Path) -> Report:
    """Read and parse one file. I/O errors become a ``failed`` report, never an exception."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > readers.MAX_BYTES:  # refused from its size: never read whole into memory
            return _oversized(path, size)
        data = path.read_bytes()
    except OSError as exc:
        return failed_report(str(path), b"", "unknown", TransientReadError(f"无法读取文件：{exc.strerror or exc}"))
    return parse_bytes(data, str(path))


def _oversized(path: Path, size: int) -> Report:
    """A ``failed`` report for a file above ``MAX_BYTES``, its sha256 computed 1 MB at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return Report(file=str(path), source_format=_format_guess(str(path)), sha256=digest.hexdigest(),
                  parse_status="failed", problems=(readers.too_large(size).reason,))


def parse_bytes(data: bytes, name: str) -> Report:
    """Parse a document held in memory; ``name`` gives the file name (for the format and the record)."""
    try:
        document = read_document(data, name)
        return parse_document(document, data, name)
    except ReadError as exc:
        return failed_report(name, data, _format_guess(name), exc)
    except Exception as exc:  # noqa: BLE001 - the run must go on; the reason is recorded
        return failed_report(name, data, _format_guess(name), ReadError(f"解析出错（{exc.__class__.__name__}: {exc}）"))


def failed_report(name: str, data: bytes, fmt: str, error: ReadError) -> Report:
    return Report(file=name, source_format=fmt, sha256=hashlib.sha256(data).hexdigest(), parse_status="failed",
                  problems=(error.reason,))


def _format_guess(name: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    known = ("txt", "html", "docx", "pdf", "doc", "wps", "rtf", "xlsx", "xls", "et")
    return {"htm": "html", "md": "txt"}.get(suffix, suffix if suffix in known else "txt")


def parse_document(document: Document, data: bytes, name: str) -> Report:
    textmap = TextMap(document)
    alignments: list[Alignment] = []
    sections = find_sections(textmap, alignments)
    first = sections[0].position if sections else len(textmap.text)
    title = find_title(textmap.text, min(first, 3000) if sections else 3000)
    preface = textmap.text[:first]
    section_one = next((s.text for s in sections if s.number == 1), None)
    year, year_source = year_of(title.year, textmap.text, preface, section_one, name)
    body, body_source = body_of(title.body, textmap.text, preface)
    title = Title(body, year, title.end)
    regions = {t: _region(textmap, sections, n) for t, n in TABLE_SECTION.items()}
    t2_ed = table2_edition(textmap.text[slice(*regions["t2"])])
    t3_probe = layout.edition("2019").t3
    t3_open = table_start(textmap, t3_probe, *regions["t3"])
    t3_ed = table3_edition(textmap.text[slice(*regions["t3"])]) if t3_open is not None else None
    fallback = _fallback_edition(t2_ed, t3_ed, title.year)
    glued = looks_glued(textmap.text[slice(*regions["t3"])])
    results = _tables(textmap, regions, t2_ed or fallback, t3_ed or fallback, glued,
                      {(t3_probe.id, t3_probe.anchors): t3_open})
    for result in results.values():
        alignments.extend(result.alignments)
    report = _report(name, data, document.source_format, textmap, title, sections, results,
                     combine_editions(t2_ed, t3_ed), preface, {"t2": t2_ed or "", "t3": t3_ed or ""},
                     tuple(alignments), year_source, body_source if body_source != "title" else None)
    return _noted_if_scanned(report, document)


def _noted_if_scanned(report: Report, document: Document) -> Report:
    """A report whose lines came (partly) from OCR says so first among its problems (``SCANNED_NOTE``)."""
    pages = sorted({line.where.split("页", 1)[0] for line in document.lines if "OCR" in line.where})
    if not pages:
        return report
    note = f"{SCANNED_NOTE}（{'、'.join(pages[:5])}页{'等' if len(pages) > 5 else ''}），数字与结构需对照原件核实"
    return replace(report, problems=(note, *report.problems))


def _fallback_edition(t2: str | None, t3: str | None, year: int | None) -> str:
    if t2 or t3:
        return t2 or t3  # type: ignore[return-value]
    return layout.edition_for_year(year).id if year else "2021"


def _region(textmap: TextMap, sections: list[Section], number: int) -> tuple[int, int]:
    """Text of section ``number``; when its heading is absent, the gap between its neighbours."""
    text_len = len(textmap.text)
    before = [s for s in sections if s.number < number]
    after = [s for s in sections if s.number > number]
    own = next((s for s in sections if s.number == number), None)
    start = own.heading_end if own else (before[-1].heading_end if before else 0)
    end = after[0].position if after else text_len
    return start, end


def looks_glued(region: str) -> bool:
    """Digits of neighbouring cells printed with no separator (crawler text): runs such as ``0000000`` or
    ``000121`` that no single number would print. Only then may a multi-digit number be split."""
    return _GLUED_RUN.search(region) is not None


# A 0 followed by a digit, the 0 not preceded by a digit or a point: (?<![\d.])0\d, written with the literal
# first so that the regex engine can skip ahead to each 0 (the lookbehind then checks the character before it).
_GLUED_RUN = re.compile(r"0(?<![\d.]0)\d")


def _tables(textmap: TextMap, regions: dict[str, tuple[int, int]], t2_ed: str, t3_ed: str, glued: bool,
            known_starts: dict[tuple[str, tuple[str, ...]], int | None]) -> dict[str, TableResult]:
    """The three tables; ``known_starts`` holds ``table_start`` already found in a table's region, by
    (table id, anchors)."""
    t2 = layout.edition(t2_ed).t2
    t3 = layout.edition(t3_ed).t3
    t4 = layout.edition(t3_ed).t4
    out = {}
    for table in (t2, t3):
        start, end = regions[table.id]
        key = (table.id, table.anchors)
        opened = known_starts[key] if key in known_starts else table_start(textmap, table, start, end)
        out[table.id] = extract_rows(textmap, table, opened if opened is not None else start, end, glued)
    out["t4"] = extract_t4(textmap, t4, *regions["t4"], glued)
    return out


def _report(name: str, data: bytes, source_format: str, textmap: TextMap,
            title, sections: list[Section], results: dict[str, TableResult],  # noqa: ANN001
            edition: str | None, preface: str, table_editions: dict[str, str],
            alignments: tuple[Alignment, ...] = (), year_source: str | None = None,
            body_source: str | None = None) -> Report:
    cells: dict[str, Cell] = {}
    problems: list[str] = []
    for result in results.values():
        cells.update(result.cells)
        problems.extend(result.problems)
    found_numbers = any(c.state != "missing" for c in cells.values())
    missing_sections = [n for n in range(1, 7) if n not in {s.number for s in sections}]
    if missing_sections:
        problems[:0] = [a.problem() for a in alignments if a.kind == "section" and a.weak]
        problems.insert(0, "未找到第" + "、".join(layout.sections()[n - 1].numeral for n in missing_sections) + "部分")
    if title.year is None:
        problems.insert(0, "未能识别报告年度（标题、统计期限、正文、发布日期和文件名均未给出）")
    elif year_source in _WEAK_YEAR_SOURCES:
        problems.insert(0, f"未找到年报标题和统计期限，报告年度 {title.year} 取自{_WEAK_YEAR_SOURCES[year_source]}")
    undecodable = textmap.text.count("\ufffd")  # the lines joined by newlines: the same count
    if undecodable:
        problems.insert(0, f"有 {undecodable} 处字节无法按文字解码（文件可能已损坏），已以 � 代替")
    status = _status(title.body, len(sections), found_numbers, problems)
    if status == "failed":
        problems.insert(0, "不是政府信息公开工作年度报告：未找到年报标题、六个部分和统计表")
    return Report(file=name, source_format=source_format, sha256=hashlib.sha256(data).hexdigest(),
                  parse_status=status, body=title.body, year=title.year, edition=edition,
                  problems=tuple(problems), sections=tuple(sections), cells=cells, preface=preface,
                  table_editions=table_editions, alignments=alignments, year_source=year_source,
                  body_source=body_source)


_WEAK_YEAR_SOURCES = {"text": "正文所述年份", "published": "发布日期（次年发布）", "file_name": "文件名"}


def _status(body: str | None, n_sections: int, found_numbers: bool, problems: list[str]) -> str:
    if n_sections < 2 and not found_numbers:
        return "failed"
    return "partial" if problems else "ok"
