"""`xxgk parse`: the readable line, the JSON contract and the exit codes."""
from __future__ import annotations

import json
from pathlib import Path

from xxgk.cli import main

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "examples" / "2020_xiangcheng_zhen.txt"
JSON_KEYS = {"file", "body", "year", "edition", "parse_status", "problems", "sections", "cells"}


def test_parse_line_per_file(capsys):
    assert main(["parse", str(SEED)]) == 0
    line = capsys.readouterr().out.strip()
    assert "相城镇人民政府" in line and "2020" in line and "2019" in line and "partial" in line
    assert "一二三四五六" in line


def test_parse_json_contract(capsys):
    assert main(["parse", "--json", str(SEED)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert JSON_KEYS <= set(record)
    assert record["parse_status"] == "partial"
    assert [s["number"] for s in record["sections"]] == [1, 2, 3, 4, 5, 6]
    assert all({"number", "title", "chars"} <= set(s) for s in record["sections"])
    cell = record["cells"]["t2.normative.new_made"]
    assert cell["state"] == "number" and cell["value"] == 228 and cell["raw"] == "228"
    assert cell["locator"]["where"].startswith("第") and "规范性文件" in cell["locator"]["row"]
    assert record["cells"]["t3.granted.natural"]["state"] == "missing"


def test_exit_code_two_when_a_file_fails(tmp_path, capsys):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert main(["parse", "--json", str(SEED), str(empty)]) == 2
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    failed = json.loads(lines[1])
    assert failed["parse_status"] == "failed" and failed["problems"]


def test_folder_expands_to_its_files(tmp_path, capsys):
    (tmp_path / "a.txt").write_bytes(SEED.read_bytes())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_bytes(SEED.read_bytes())
    assert main(["parse", str(tmp_path)]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2
