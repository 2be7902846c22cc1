""".doc/.wps/.xls/.et through LibreOffice and .xlsx by grid (issue 16), on generated files with known cells."""
from __future__ import annotations

import os
import stat
import time

import pytest

from parsing import convert, ole
from parsing.api import parse_bytes
from synth.render import render_docx
from synth.scan import convert_to
from synth.sheet import render_xlsx
from tests.formats_support import known_spec, needs_soffice, score

SPEC = known_spec()


@pytest.fixture(scope="module")
def doc_bytes() -> bytes:
    return convert_to(render_docx(SPEC), ".docx", "doc")


@pytest.fixture(scope="module")
def xls_bytes() -> bytes:
    return convert_to(render_xlsx(SPEC), ".xlsx", "xls")


@needs_soffice
@pytest.mark.parametrize("name", ["报告.doc", "报告.wps"])
def test_doc_and_wps_read_every_cell_exactly(doc_bytes: bytes, name: str) -> None:
    report = parse_bytes(doc_bytes, name)
    result = score(report, SPEC)
    assert report.parse_status == "ok", report.problems
    assert report.source_format == name.rsplit(".", 1)[1]
    assert result.invented == []
    assert result.share >= 0.995, result
    assert (report.body, report.year) == (SPEC.body, SPEC.year)


def test_xlsx_read_by_grid() -> None:
    report = parse_bytes(render_xlsx(SPEC), "统计表.xlsx")
    result = score(report, SPEC)
    assert result.invented == [] and result.exact == result.total, result
    assert report.source_format == "xlsx"
    assert report.cells["t3.new.total"].locator.where.startswith("工作表“统计表”")


def test_xlsx_numbers_printed_as_text_read_too() -> None:
    result = score(parse_bytes(render_xlsx(SPEC, numbers_as_text=True), "统计表.xlsx"), SPEC)
    assert result.invented == [] and result.exact == result.total, result


@needs_soffice
@pytest.mark.parametrize("name", ["统计表.xls", "统计表.et"])
def test_xls_and_et_converted_then_read_by_grid(xls_bytes: bytes, name: str) -> None:
    report = parse_bytes(xls_bytes, name)
    result = score(report, SPEC)
    assert result.invented == [] and result.exact == result.total, (result, report.problems)
    assert report.source_format == name.rsplit(".", 1)[1]


def test_spreadsheet_without_statutory_table_says_so() -> None:
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名", "电话"])
    workbook.active.append(["张三", 12345])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = parse_bytes(buffer.getvalue(), "通讯录.xlsx")
    assert report.parse_status == "failed"
    assert "没有找到政府信息公开年度报告的统计表" in report.problems[0]
    assert report.cells == {}


def test_uncomputed_formula_is_not_a_blank_or_zero() -> None:
    import io

    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(SPEC)))
    sheet = workbook.active
    target = next(c for row in sheet.iter_rows() for c in row if c.value == SPEC.cells["t3.new.total"]
                  and isinstance(c.value, int))
    target.value = "=SUM(A1:A2)"  # saved by openpyxl: no cached value
    buffer = io.BytesIO()
    workbook.save(buffer)
    cell = parse_bytes(buffer.getvalue(), "统计表.xlsx").cells["t3.new.total"]
    assert cell.state != "number" and cell.state != "blank"


@needs_soffice
def test_truncated_doc_is_failed_with_reason(doc_bytes: bytes) -> None:
    report = parse_bytes(doc_bytes[: len(doc_bytes) // 2], "截断.doc")
    assert report.parse_status == "failed"
    assert "不完整" in report.problems[0]


def _with_encryption_flag(data: bytes) -> bytes:
    """The .doc with the FIB's fEncrypted bit set (what Word writes for a password-protected file)."""
    offset = next(o for o in range(512, len(data), 512) if data[o:o + 2] == b"\xec\xa5")
    flags = int.from_bytes(data[offset + 10:offset + 12], "little") | 0x0100
    return data[:offset + 10] + flags.to_bytes(2, "little") + data[offset + 12:]


@needs_soffice
def test_password_protected_doc_is_failed_as_encrypted(doc_bytes: bytes) -> None:
    report = parse_bytes(_with_encryption_flag(doc_bytes), "加密.doc")
    assert report.parse_status == "failed"
    assert "密码保护" in report.problems[0]


def test_ole2_with_encrypted_package_is_encrypted() -> None:
    with pytest.raises(ole.EncryptedDocument):
        ole.inspect(_tiny_ole2(["EncryptionInfo", "EncryptedPackage"]), ".docx")


def test_ole2_junk_is_not_a_document() -> None:
    report = parse_bytes(ole.MAGIC + os.urandom(3000), "坏.doc")
    assert report.parse_status == "failed" and report.problems


def test_converter_not_installed_is_recorded_not_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XXGK_SOFFICE", "")
    report = parse_bytes(_tiny_ole2(["WordDocument"], word=True), "报告.doc")
    assert report.parse_status == "failed"
    assert report.problems[0].startswith("转换程序未安装（LibreOffice）")


def _fake_soffice(tmp_path, body: str) -> str:  # noqa: ANN001
    script = tmp_path / "soffice"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_hung_converter_is_killed_and_recorded(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    marker = tmp_path / "child-alive"
    monkeypatch.setenv("XXGK_SOFFICE", _fake_soffice(tmp_path, f"(sleep 30; touch {marker}) & sleep 30"))
    started = time.perf_counter()
    with pytest.raises(convert.ConversionFailed, match="强制终止"):
        convert.convert(b"x", ".doc", "docx", timeout=1)
    assert time.perf_counter() - started < 15
    assert not marker.exists()


def test_crashing_converter_is_recorded(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("XXGK_SOFFICE", _fake_soffice(tmp_path, "kill -SEGV $$"))
    with pytest.raises(convert.ConversionFailed, match="崩溃"):
        convert.convert(b"x", ".doc", "docx", timeout=10)


def test_converter_without_output_is_recorded(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("XXGK_SOFFICE", _fake_soffice(tmp_path, "echo 'Error: source file could not be loaded'"))
    report = parse_bytes(_tiny_ole2(["WordDocument"], word=True), "报告.doc")
    assert report.parse_status == "failed"
    assert "LibreOffice 无法转换" in report.problems[0] and "source file could not be loaded" in report.problems[0]


def _tiny_ole2(streams: list[str], word: bool = False) -> bytes:
    """A minimal, valid OLE2 file (512-byte sectors): header, one FAT sector, one directory sector and one
    4096-byte stream per name (a Word FIB at the start of each when ``word``)."""
    import struct

    n_data = 8 * len(streams)  # 4096-byte streams of 8 sectors each
    fat = [0xFFFFFFFD, 0xFFFFFFFE]  # sector 0: FAT, sector 1: directory
    for s in range(len(streams)):
        first = 2 + 8 * s
        fat += [first + k + 1 for k in range(7)] + [0xFFFFFFFE]
    fat += [0xFFFFFFFF] * (128 - len(fat))
    header = bytearray(512)
    header[0:8] = ole.MAGIC
    struct.pack_into("<HHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9)
    struct.pack_into("<H", header, 0x20, 6)
    struct.pack_into("<IIIIIIII", header, 0x2C, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([0xFFFFFFFF] * 108))
    directory = bytearray(512)
    entries = [("Root Entry", 5, 0xFFFFFFFE, 0)] + [(n, 2, 2 + 8 * i, 4096) for i, n in enumerate(streams)]
    for index, (name, kind, start, size) in enumerate(entries[:4]):
        raw = (name + "\0").encode("utf-16-le")
        base = index * 128
        directory[base:base + len(raw)] = raw
        struct.pack_into("<HB", directory, base + 0x40, len(raw), kind)
        struct.pack_into("<II", directory, base + 0x74, start, size)
    fib = struct.pack("<H8xH", 0xA5EC, 0) if word else b""
    body = b"".join((fib + bytes(4096))[:4096] for _ in streams)
    assert len(body) == n_data * 512
    return bytes(header) + struct.pack("<128I", *fat) + bytes(directory) + body
