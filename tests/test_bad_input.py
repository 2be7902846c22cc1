"""Bad input never crashes the parser: every broken, hostile or wrong document becomes a ``failed``
(or honestly ``partial``) ``Report`` whose first problem says, in words a person understands, what is
wrong with the file. ``parse_bytes`` and ``parse_file`` must agree, and ``sha256`` is always the hash
of the bytes that were offered.
"""
from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import parsing.readers
from parsing import Report, parse_bytes, parse_file

SHARED = Path(__file__).resolve().parents[2] / "shared"
HONGZE_PDF = SHARED / "corpus" / "originals" / "2023_hongze_qu.pdf"
HUAIAN_TXT = SHARED / "corpus" / "dev" / "2024_huaian_shi.txt"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _needs(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"reference file not available: {path}")
    return path


def check(data: bytes, name: str, tmp_path: Path, keyword: str, statuses: tuple[str, ...] = ("failed",)) -> Report:
    """Parse ``data`` in memory and from disk; both must give the same honest outcome and reason."""
    report = parse_bytes(data, name)
    assert report.parse_status in statuses, (report.parse_status, report.problems)
    assert report.sha256 == _sha(data)
    assert report.problems, "a failed report must say why"
    assert keyword in report.problems[0], report.problems

    path = tmp_path / name
    path.write_bytes(data)
    on_disk = parse_file(path)
    assert on_disk.parse_status == report.parse_status
    assert on_disk.sha256 == _sha(data)
    assert on_disk.problems[0] == report.problems[0]
    assert on_disk.file == str(path)
    return report


def _docx_bytes(paragraphs: int = 5) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("某某区人民政府2023年政府信息公开工作年度报告")
    for n in range(paragraphs):
        document.add_paragraph(f"第{n + 1}段：本年度持续推进政务公开标准化规范化建设。" * 5)
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).text = "信息内容"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _pdf_bytes(writer) -> bytes:  # noqa: ANN001 - pypdf PdfWriter
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- empty, junk, wrong format


@pytest.mark.parametrize("name", ["empty.txt", "empty.pdf"])
def test_empty_file(name: str, tmp_path: Path) -> None:
    check(b"", name, tmp_path, "为空")


def test_binary_junk_named_txt(tmp_path: Path) -> None:
    junk = random.Random(0).randbytes(8192)
    check(junk, "junk.txt", tmp_path, "二进制")


def test_text_named_pdf(tmp_path: Path) -> None:
    data = "这是一段普通文字，只是文件名叫 x.pdf。\n".encode() * 20
    report = check(data, "x.pdf", tmp_path, "不是")
    assert "PDF" in report.problems[0]


def test_docx_that_is_not_a_zip(tmp_path: Path) -> None:
    data = "这不是 Word 文件，只是改了扩展名。".encode() * 10
    report = check(data, "x.docx", tmp_path, "不是")
    assert "DOCX" in report.problems[0]


def test_truncated_docx(tmp_path: Path) -> None:
    full = _docx_bytes()
    assert parse_bytes(full, "full.docx").source_format == "docx"  # the intact file is readable
    check(full[: len(full) // 2], "half.docx", tmp_path, "损坏")


def test_zip_that_is_not_a_docx(tmp_path: Path) -> None:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "就是一个普通的压缩包")
    check(buffer.getvalue(), "x.docx", tmp_path, "不是")


# ---------------------------------------------------------------- damaged / protected / scanned


def test_truncated_pdf(tmp_path: Path) -> None:
    data = _needs(HONGZE_PDF).read_bytes()
    check(data[: int(len(data) * 0.3)], "2023_hongze_qu_truncated.pdf", tmp_path, "损坏")


def test_password_protected_pdf(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="secret", owner_password="owner")
    check(_pdf_bytes(writer), "locked.pdf", tmp_path, "密码")


def test_password_protected_or_legacy_word(tmp_path: Path) -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1016
    check(data, "x.docx", tmp_path, "密码")


def test_scanned_pdf_with_blank_pages(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(width=595, height=842)
    check(_pdf_bytes(writer), "scanned.pdf", tmp_path, "扫描")


def test_scanned_pdf_with_image_only_page(tmp_path: Path) -> None:
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, NumberObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    image = DecodedStreamObject()
    image.set_data(random.Random(0).randbytes(8 * 8))  # an 8×8 grey "scan"
    image.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Image"),
                  NameObject("/Width"): NumberObject(8), NameObject("/Height"): NumberObject(8),
                  NameObject("/ColorSpace"): NameObject("/DeviceGray"),
                  NameObject("/BitsPerComponent"): NumberObject(8)})
    content = DecodedStreamObject()
    content.set_data(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): writer._add_object(image)}),
         NameObject("/ProcSet"): ArrayObject([NameObject("/PDF"), NameObject("/ImageC")])})
    page[NameObject("/Contents")] = writer._add_object(content)
    data = _pdf_bytes(writer)
    assert b"/Im0" in data
    check(data, "scanned_image.pdf", tmp_path, "扫描")


# ---------------------------------------------------------------- readable, but not a report


NEWS_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>我区开展春季义务植树活动</title></head>
<body>
<h1>我区开展春季义务植树活动</h1>
<p>3月12日上午，区领导带领区级机关干部职工二百余人来到城东生态林带，参加春季义务植树活动。</p>
<p>活动现场，大家挥锹铲土、扶苗培土、提水浇灌，分工协作，干劲十足，一株株新栽的树苗迎风挺立。</p>
<p>据悉，今年我区计划新增造林面积五百亩，持续推进城乡绿化美化，不断提升群众的获得感和幸福感。</p>
<p>（来源：区融媒体中心　编辑：张三）</p>
</body></html>
"""


def test_news_page_is_not_a_report(tmp_path: Path) -> None:
    report = check(NEWS_HTML.encode("utf-8"), "news.html", tmp_path, "不是政府信息公开工作年度报告")
    assert report.source_format == "html"


# ---------------------------------------------------------------- limits


def test_oversized_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsing.readers, "MAX_BYTES", 1000)
    data = "政府信息公开工作年度报告\n".encode() * 200
    assert len(data) > 1000
    check(data, "big.txt", tmp_path, "过大")


def test_oversized_file_in_a_run_is_refused_from_its_size_and_not_archived(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    from xxgk import pipeline

    monkeypatch.setattr(parsing.readers, "MAX_BYTES", 1000)
    path = tmp_path / "big.txt"
    path.write_bytes("政府信息公开工作年度报告\n".encode() * 200)
    source = pipeline.hash_file(path)
    assert source is not None and source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    report = pipeline.parse_one(path, tmp_path / "raw")
    assert report.parse_status == "failed" and "过大" in report.problems[0]
    assert report.report_id == source.sha256, "still identified by its bytes"
    assert not (tmp_path / "raw").exists(), "a refused file is not copied into the raw archive"


def test_docx_unzipping_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsing.readers, "MAX_UNZIPPED_BYTES", 10_000)
    data = _docx_bytes()
    report = check(data, "bomb.docx", tmp_path, "过大")
    assert "解压" in report.problems[0]


# ---------------------------------------------------------------- encodings (positive)


@pytest.fixture(scope="module")
def huaian() -> tuple[str, Report]:
    text = _needs(HUAIAN_TXT).read_text(encoding="utf-8")
    report = parse_bytes(text.encode("utf-8"), "2024_huaian_shi.txt")
    assert report.parse_status in ("ok", "partial")
    assert report.count("number") > 0
    return text, report


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-16"])
def test_other_encodings_parse_like_utf8(encoding: str, huaian: tuple[str, Report]) -> None:
    text, expected = huaian
    data = text.encode(encoding)
    if encoding == "utf-16":
        assert data.startswith((b"\xff\xfe", b"\xfe\xff"))  # Python writes the BOM
    report = parse_bytes(data, "2024_huaian_shi.txt")
    assert report.sha256 == _sha(data)
    assert report.parse_status == expected.parse_status
    assert (report.body, report.year, report.edition) == (expected.body, expected.year, expected.edition)
    assert [s.number for s in report.sections] == [s.number for s in expected.sections]
    assert report.cells == expected.cells


def test_invalid_utf8_in_preface_still_parses(huaian: tuple[str, Report]) -> None:
    text, expected = huaian
    preface_end = text.index("一、总体情况")
    rng = random.Random(0)
    cuts = sorted(rng.sample(range(1, preface_end), 4))
    data = b""
    previous = 0
    for cut in cuts:  # stray bytes between characters: the rest of the UTF-8 stays intact
        data += text[previous:cut].encode("utf-8") + bytes([rng.randrange(0x80, 0x100)])
        previous = cut
    data += text[previous:].encode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    report = parse_bytes(data, "2024_huaian_shi_damaged.txt")
    assert report.parse_status in ("ok", "partial"), report.problems
    assert report.sha256 == _sha(data)
    assert report.body == expected.body and report.year == expected.year
    assert report.cells == expected.cells


def test_utf16_with_a_dangling_byte_still_parses(huaian: tuple[str, Report]) -> None:
    text, expected = huaian
    data = text.encode("utf-16") + b"\x00"  # odd length: the last code unit is cut off
    report = parse_bytes(data, "2024_huaian_shi_utf16.txt")
    assert report.parse_status == "partial"
    assert "无法按文字解码" in report.problems[0]
    assert report.sha256 == _sha(data)
    assert report.cells == expected.cells


# ---------------------------------------------------------------- I/O and fuzzing


def test_missing_file_is_a_failed_report(tmp_path: Path) -> None:
    report = parse_file(tmp_path / "does_not_exist.pdf")
    assert report.parse_status == "failed"
    assert report.sha256 == _sha(b"")
    assert "无法读取" in report.problems[0]


_PREFIXES = [b"", b"%PDF-1.7\n", b"PK\x03\x04", b"\xff\xfe", b"\xef\xbb\xbf", b"<html><body><table>",
             b"\xd0\xcf\x11\xe0"]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=st.sampled_from(_PREFIXES), body=st.binary(max_size=4096),
       name=st.sampled_from(["x.txt", "x.html", "x.htm", "x.docx", "x.pdf", "x.md", "noext"]))
def test_random_bytes_never_raise(prefix: bytes, body: bytes, name: str) -> None:
    data = prefix + body
    report = parse_bytes(data, name)  # must not raise
    assert report.sha256 == _sha(data)
    assert report.parse_status in ("ok", "partial", "failed")
    if report.parse_status == "failed":
        assert report.problems and report.problems[0].strip()
        # a reader-classified reason, not the catch-all for an unexpected exception
        assert not report.problems[0].startswith("解析出错"), report.problems
