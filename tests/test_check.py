"""`xxgk check`: the JSON contract, exit codes, and Data Docs that render offline with no script."""
from __future__ import annotations

import json
import random
import re

import pytest
from bs4 import BeautifulSoup

from conftest import CORPUS, REPO
from rules.catalogue import catalogue
from synth.render import ReportSpec, consistent_cells, render_txt
from xxgk.cli import main

SEED = REPO / "examples" / "2020_xiangcheng_zhen.txt"
HONGZE = CORPUS / "dev" / "2023_hongze_qu.txt"
FINDING_KEYS = {"rule_id", "status", "severity", "message", "cell_ids", "fingerprint"}


@pytest.fixture(scope="module")
def gx_run(tmp_path_factory):
    if not HONGZE.exists():
        pytest.skip("../shared/corpus is not present")
    docs = tmp_path_factory.mktemp("check_docs")
    out = tmp_path_factory.mktemp("check_out") / "stdout.jsonl"
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["check", "--json", "--docs", str(docs), str(SEED), str(HONGZE)])
    out.write_text(buffer.getvalue(), encoding="utf-8")
    return code, [json.loads(line) for line in buffer.getvalue().splitlines()], docs


def test_json_contract(gx_run):
    code, records, _ = gx_run
    assert code == 1, "洪泽 2023 fails T4-SUMS (an error)"
    assert len(records) == 2
    for record in records:
        assert {"file", "report_id", "body", "year", "edition", "parse_status", "findings"} <= set(record)
        assert sorted(f["rule_id"] for f in record["findings"]) == sorted(catalogue())
        assert all(FINDING_KEYS <= set(f) for f in record["findings"])
        statuses = [f["status"] for f in record["findings"]]
        assert statuses == sorted(statuses, key=["fail", "not_assessable", "not_applicable", "pass"].index)
    hongze = {f["rule_id"]: f for f in records[1]["findings"]}
    assert hongze["T4-SUMS"]["status"] == "fail" and "t4.review.total" in hongze["T4-SUMS"]["cell_ids"]
    seed = {f["rule_id"]: f for f in records[0]["findings"]}
    assert seed["T3-BALANCE"]["status"] == "not_assessable"


def test_data_docs_are_offline_and_script_free(gx_run):
    _, _, docs = gx_run
    pages = list(docs.rglob("*.html"))
    assert any("validations" in str(p) for p in pages), "a validation page was built"
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
        assert not soup.find_all("script"), page
        for tag in soup.find_all(True):
            for attr in ("src", "href", "data", "action"):
                value = tag.get(attr)
                assert not (value and re.match(r"\s*(https?:)?//", str(value))), (page, tag.name, value)
            assert not any(a.lower().startswith("on") for a in tag.attrs), (page, tag.name)
        for style in soup.find_all("style"):
            assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", style.get_text()), page
    validation = next(p for p in pages if "xxgk_table4" in str(p) and "validations" in str(p))
    assert "T4-SUMS" in validation.read_text(encoding="utf-8")


def test_exit_zero_for_a_clean_report(tmp_path, capsys):
    cells = consistent_cells("2021", random.Random(3))
    cells.update({k: 0 for k in cells if k.startswith("t2.rules.")})
    path = tmp_path / "clean.txt"
    path.write_text(render_txt(ReportSpec("城关镇人民政府", 2022, "2021", cells)), encoding="utf-8")
    assert main(["check", "--engine", "bare", str(path)]) == 0
    out = capsys.readouterr().out
    assert "✓ 通过" in out and "✗" not in out


def test_exit_two_when_a_file_cannot_be_read(tmp_path, capsys):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf at all")
    assert main(["check", "--engine", "bare", "--json", str(SEED), str(bad)]) == 2
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert records[1]["parse_status"] == "failed"
    assert {f["status"] for f in records[1]["findings"]} == {"not_assessable"}
