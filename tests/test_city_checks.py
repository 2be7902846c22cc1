"""A synthetic city over six years with every kind of defect injected: each defect is found exactly where
it was injected (recall), and nothing else fails (no false alarms on clean chains). Decided by Great
Expectations over the whole batch, with the register."""
from __future__ import annotations

import json
from datetime import date

import pytest

from parsing import parse_file
from rules.register import load_register
from synth.city import generate_city
from xxgk.check import check_reports
from xxgk.pipeline import discover


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    out = tmp_path_factory.mktemp("city")
    generate_city(out, bodies=30, years=range(2019, 2025), formats=["txt", "html", "md"], defect_rate=0.15, seed=3)
    labels = [json.loads(line) for line in (out / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    paths = discover([out / "reports"])
    reports = [parse_file(p) for p in paths]
    result = check_reports(reports, out / "gx", engine="gx", register=load_register(out / "register.csv"),
                           today=date(2030, 1, 1))
    return out, labels, paths, result


def _fails(out, paths, result):
    found = set()
    for path, checked in zip(paths, result.checked):
        rel = path.relative_to(out).as_posix()
        found |= {(rel, f.rule_id) for f in checked.findings if f.status == "fail"}
    found |= {(f"missing:{f.body_id}:{f.year}", f.rule_id) for f in result.missing if f.status == "fail"}
    return found


def _expected(labels):
    return {(f"missing:{lab['body_id']}:{lab['year']}" if lab["rule_id"] == "REG-MISSING" else lab["file"],
             lab["rule_id"]) for lab in labels}


def test_every_kind_of_defect_is_injected(city):
    _, labels, _, _ = city
    kinds = {lab["rule_id"] for lab in labels}
    assert {"T3-BALANCE", "T4-SUMS", "X-CARRY", "X-IN-FORCE", "N-APPLICATIONS", "N-LITIGATION", "DUP-PREVIOUS",
            "DUP-PEER", "REG-MISSING", "T2-RULES-ZERO", "VER-EDITION"} <= kinds


def test_every_injected_defect_is_found(city):
    out, labels, paths, result = city
    missed = _expected(labels) - _fails(out, paths, result)
    assert not missed


def test_no_false_alarms(city):
    out, labels, paths, result = city
    extra = _fails(out, paths, result) - _expected(labels)
    assert not extra


def test_findings_say_what_and_where(city):
    out, labels, paths, result = city
    by_file = {p.relative_to(out).as_posix(): c for p, c in zip(paths, result.checked)}
    carry = next(lab for lab in labels if lab["rule_id"] == "X-CARRY")
    finding = next(f for f in by_file[carry["file"]].findings if f.rule_id == "X-CARRY")
    assert "上年结转" in finding.message and "上年" in finding.message and finding.cell_ids
    assert any(c.startswith("prev.t3.carried_out.") for c in finding.cell_ids)
    copy = next(lab for lab in labels if lab["rule_id"] == "DUP-PREVIOUS")
    finding = next(f for f in by_file[copy["file"]].findings if f.rule_id == "DUP-PREVIOUS")
    assert "%" in finding.message
