"""Property tests of the readers and the parser on mutated real documents and on random bytes.

Seeds: the shared corpus's text reports (``corpus/dev/*.txt``) and original PDFs (also with their content
streams stored uncompressed, so that mutations reach the text operators), plus synthetic HTML, Markdown and
Word reports. Mutations: bit flips, truncation, insertion (random bytes or report-like tokens), chunk
duplication and deletion; Word files are also mutated *inside* (``word/document.xml``, re-zipped).

Properties, for every input:

* ``parse_bytes`` never raises, and a refusal is a reader's reason, never the catch-all for an exception;
* ``report.sha256`` is the sha256 of the bytes offered;
* no value appears in a cell whose text is not in the source: every ``number`` cell's printed text (``raw``)
  occurs in the decoded source (txt: the decoded text; html/docx/pdf: the lines the reader produced) and its
  value is the number printed there, unless its note says it was split from glued digits — then the glued run
  occurs in the source and the cell's digits are a piece of it.

``XXGK_FUZZ_EXAMPLES`` sets the examples per test (default 25: a short profile for CI; e.g. 5000 for a long run).
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import random
import re
import zipfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from parsing import Report, parse_bytes
from parsing.errors import ReadError
from parsing.readers import decode_text, read_document
from parsing.text import to_number

EXAMPLES = int(os.environ.get("XXGK_FUZZ_EXAMPLES", "25"))
SHARED = Path(__file__).resolve().parents[2] / "shared"
DEV_TXT = sorted((SHARED / "corpus" / "dev").glob("*.txt"))
PDFS = sorted((SHARED / "corpus" / "originals").glob("*.pdf"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 50, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

logging.getLogger("pypdf").setLevel(logging.ERROR)  # broken PDFs are the point: pypdf's warnings are noise here

_NUMBER = re.compile(r"[+\-−–]?\d+(?:,\d{3})*(?:\.\d+)?")
_GLUED = re.compile(r"由粘连数字“(.+?)”拆分")


# ---------------------------------------------------------------- the properties


def source_text(report: Report, data: bytes, name: str) -> str:
    """What the document says, as the parser saw it: the decoded text of a txt file, else the reader's lines."""
    if report.source_format == "txt":
        return decode_text(data)
    return "\n".join(line.text for line in read_document(data, name).lines)


def check(data: bytes, name: str) -> Report:
    report = parse_bytes(data, name)  # must not raise
    assert report.sha256 == hashlib.sha256(data).hexdigest()
    assert report.parse_status in ("ok", "partial", "failed")
    if report.parse_status == "failed":
        assert report.problems and report.problems[0].strip()
        assert not report.problems[0].startswith("解析出错"), report.problems  # an exception, not a reason
        assert not report.cells or all(c.state != "number" for c in report.cells.values())
        return report
    numbers = {cid: c for cid, c in report.cells.items() if c.state == "number"}
    if not numbers:
        return report
    try:
        source = source_text(report, data, name)
    except ReadError as exc:  # the reader accepted these bytes a moment ago
        pytest.fail(f"re-reading gave {exc.reason}")
    for cid, cell in numbers.items():
        match = _NUMBER.search(cell.raw)
        assert match, (cid, cell)
        digits = match.group(0)
        glued = _GLUED.search(cell.note or "")
        if glued:
            run = glued.group(1)
            assert run in source, (cid, cell, "glued run not in the source")
            assert digits.lstrip("+-−–") in run.replace(",", ""), (cid, cell)
            assert to_number(digits) == cell.value, (cid, cell)
        else:
            assert cell.raw in source, (cid, cell, "printed text not in the source")
            assert to_number(digits) == cell.value, (cid, cell)
    return report


# ---------------------------------------------------------------- seeds


def _synthetic() -> list[tuple[str, bytes]]:
    from synth.render import ReportSpec, consistent_cells, default_template, render_docx, render_html, render_txt

    out = []
    for seed, (edition, year) in enumerate((("2021", 2022), ("2019", 2020))):
        cells = consistent_cells(edition, random.Random(seed))
        spec = ReportSpec("青石镇人民政府", year, edition, cells)
        out.append((f"synth_{edition}.html", render_html(spec).encode("utf-8")))
        out.append((f"synth_{edition}.md", render_txt(spec, "markdown").encode("utf-8")))
        out.append((f"synth_{edition}_spaces.txt", render_txt(spec, "spaces").encode("gb18030")))
        out.append((f"synth_{edition}.docx", render_docx(spec, default_template())))
    return out


def _uncompressed(pdf: bytes) -> bytes:
    """The same PDF with every page's content stream stored uncompressed (mutations then hit the operators)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for page in writer.pages:
        contents = page["/Contents"].get_object()
        parts = contents if isinstance(contents, list) else [contents]
        stream = DecodedStreamObject()
        stream.set_data(b"\n".join(part.get_object().get_data() for part in parts))
        page[NameObject("/Contents")] = writer._add_object(stream)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@cache
def text_seeds() -> tuple[tuple[str, bytes], ...]:
    return tuple((p.name, p.read_bytes()) for p in DEV_TXT)


@cache
def pdf_seeds() -> tuple[tuple[str, bytes], ...]:
    out = []
    for path in PDFS:
        data = path.read_bytes()
        out += [(path.name, data), (path.stem + "_plain.pdf", _uncompressed(data))]
    return tuple(out)


@cache
def synthetic_seeds() -> tuple[tuple[str, bytes], ...]:
    return tuple(_synthetic())


@cache
def vocabulary() -> tuple[bytes, ...]:
    """Report-like tokens to insert: labels, headings, numbers, cell and row separators."""
    words = set()
    for _, data in synthetic_seeds():
        if data[:2] != b"PK":
            text = data.decode("utf-8", "ignore") if not data.startswith(b"\xef") else data.decode("utf-8-sig")
            words.update(w for w in re.split(r"\s+", text) if 0 < len(w) <= 30)
    extra = ["\t", "\n", "\n\n", "|", " ", "0", "00", "007", "898989", "1,234", "-5", "12.5", "3件", "−2", "/",
             "—", "无", "\ufffd", "\x00", "第 3 页", "- 4 -", "<td>", "</td>", "<tr>", "</tr>", "<table>", "<br>",
             "一、", "（七）总计", "政府信息公开工作年度报告"]
    return tuple(w.encode("utf-8") for w in sorted(words | set(extra)))


needs_text = pytest.mark.skipif(not DEV_TXT, reason="../shared/corpus/dev is not present on this machine")
needs_pdf = pytest.mark.skipif(not PDFS, reason="../shared/corpus/originals is not present on this machine")


# ---------------------------------------------------------------- mutations


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 5))):
        n = len(out)
        op = draw(st.sampled_from(("flip", "flip", "truncate", "insert", "token", "duplicate", "delete")))
        if n == 0:
            op = "insert"
        if op == "flip":
            at = draw(st.integers(0, n - 1))
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del out[draw(st.integers(n // 4, n)):]
        elif op == "insert":
            at = draw(st.integers(0, n))
            out[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif op == "token":
            at = draw(st.integers(0, n))
            out[at:at] = draw(st.sampled_from(vocabulary()))
        elif op == "duplicate":
            start = draw(st.integers(0, n - 1))
            chunk = out[start:start + draw(st.integers(1, 4096))]
            at = draw(st.integers(0, n))
            out[at:at] = chunk * draw(st.integers(1, 3))
        else:
            start = draw(st.integers(0, n - 1))
            del out[start:start + draw(st.integers(1, 2048))]
    return bytes(out)


@st.composite
def mutated_lines(draw: st.DrawFn, text: str) -> str:
    """Line-level damage of a text report, as extraction and crawling produce it: cells glued together (the
    separators between numbers lost), numbers changed, lines dropped, duplicated, swapped or joined."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 12))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(("glue", "glue", "renumber", "renumber", "drop", "dup", "swap", "join")))
        if op == "glue" and i + 1 < len(lines):  # "\t12" + "\t34" → "\t1234" (and several in a row)
            k = draw(st.integers(2, 6))
            parts = lines[i:i + k]
            lines[i:i + k] = [parts[0] + "".join(p.strip() for p in parts[1:])]
        elif op == "renumber" and _NUMBER.search(lines[i]):
            value = draw(st.one_of(st.integers(0, 10**7).map(str), st.sampled_from(("0", "00", "0.5", "-3", "1,234")),
                                   st.integers(0, 10**9).map(lambda n: f"{n:09d}")))
            lines[i] = _NUMBER.sub(value, lines[i], count=1)
        elif op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap" and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif op == "join" and i + 1 < len(lines):
            lines[i:i + 2] = [lines[i] + draw(st.sampled_from(("", " ", "\t"))) + lines[i + 1]]
    return "\n".join(lines)


def _rezip(docx: bytes, document_xml: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(docx))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = document_xml if info.filename == "word/document.xml" else source.read(info)
            archive.writestr(info.filename, data)
    return buffer.getvalue()


@st.composite
def mutated_seed(draw: st.DrawFn, seeds: tuple[tuple[str, bytes], ...]) -> tuple[str, bytes]:
    name, data = draw(st.sampled_from(seeds))
    if name.endswith(".docx") and draw(st.booleans()):  # inside the package: valid zip, damaged XML
        xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
        return name, _rezip(data, draw(mutated(xml)))
    return name, draw(mutated(data))


# ---------------------------------------------------------------- tests


def test_found_by_fuzzing_object_reference_in_a_content_stream() -> None:
    """The long run's one failure: an indirect reference (``7 0 R``) spliced into a page's content stream makes
    pypdf ``assert`` (``AssertionError: mypy``); it must be a reader's reason, not the catch-all."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    font = writer._add_object(DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                                                NameObject("/Subtype"): NameObject("/Type1"),
                                                NameObject("/BaseFont"): NameObject("/Helvetica")}))
    content = DecodedStreamObject()
    content.set_data(b"BT /F1 12 Tf 72 720 Td (some text of a report page) Tj\n/UserRestrictions 7 0 R\nTj ET")
    page[NameObject("/Contents")] = writer._add_object(content)
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    buffer = io.BytesIO()
    writer.write(buffer)
    report = check(buffer.getvalue(), "reference_in_content.pdf")
    assert report.parse_status == "failed" and "损坏" in report.problems[0], report.problems


def test_seeds_satisfy_the_properties() -> None:
    """The unmutated seeds: readable, with numbers, and every number printed in the source."""
    for name, data in (*text_seeds(), *pdf_seeds(), *synthetic_seeds()):
        report = check(data, name)
        assert report.parse_status in ("ok", "partial"), (name, report.problems)
        assert report.count("number") > 0, name


@needs_text
@FUZZ
@given(st.data())
def test_mutated_text_reports(data: st.DataObject) -> None:
    name, blob = data.draw(mutated_seed(text_seeds()))
    check(blob, name)


@needs_pdf
@FUZZ
@given(st.data())
def test_mutated_pdfs(data: st.DataObject) -> None:
    name, blob = data.draw(mutated_seed(pdf_seeds()))
    check(blob, name)


@FUZZ
@given(st.data())
def test_mutated_synthetic_html_markdown_and_word(data: st.DataObject) -> None:
    name, blob = data.draw(mutated_seed(synthetic_seeds()))
    check(blob, name)


@FUZZ
@given(st.data())
def test_mutated_report_lines(data: st.DataObject) -> None:
    """Whole reports with glued cells, changed numbers and shuffled lines: the parser still finds the tables,
    so this is where a value could be invented (a glued run split wrongly, a number taken from another row)."""
    seeds = [(n, d) for n, d in (*text_seeds(), *synthetic_seeds()) if n.endswith((".txt", ".md"))]
    name, blob = data.draw(st.sampled_from(seeds))
    text = decode_text(blob)
    mutated_text = data.draw(mutated_lines(text))
    report = check(mutated_text.encode("utf-8"), name)
    event(f"status {report.parse_status}")
    event("numbers kept" if report.count("number") else "no numbers")
    event("glued split" if any("粘连" in c.note for c in report.cells.values()) else "no glued split")


NAMES = ("x.txt", "x.md", "x.html", "x.htm", "x.xhtml", "x.docx", "x.pdf", "noext", "X.TXT", "报告.HTML",
         "a..b.pdf", "dir/sub/x.docx", "ctl\x01\n.txt", "l" * 250 + ".txt", ".hidden.md", "x.pdf.txt", "x.txt.pdf")
PREFIXES = (b"", b"%PDF-1.7\n", b"PK\x03\x04", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"<html><body><table>",
            b"\xd0\xcf\x11\xe0", b"<?xml version='1.0'?>", b"{\\rtf1 ")


@FUZZ
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=8192), name=st.sampled_from(NAMES))
def test_random_bytes(prefix: bytes, body: bytes, name: str) -> None:
    check(prefix + body, name)


@FUZZ
@given(tokens=st.lists(st.integers(0, 10**6), min_size=1, max_size=400),
       encoding=st.sampled_from(("utf-8", "gb18030", "utf-16")), name=st.sampled_from(NAMES[:5]))
def test_random_report_like_text(tokens: list[int], encoding: str, name: str) -> None:
    """Soups of a report's own words, labels and numbers: the parser finds rows and tables in them, and every
    number it keeps must be one the soup printed."""
    vocab = vocabulary()
    text = b"".join(vocab[t % len(vocab)] + (b"\n" if t % 7 == 0 else b"\t" if t % 5 == 0 else b"")
                    for t in tokens).decode("utf-8", "replace")
    check(text.encode(encoding, "replace"), name)
