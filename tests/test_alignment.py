"""Structure by alignment: headings and row labels printed otherwise than the template words them are
matched by similarity, with a confidence; weak matches and numbers under unknown labels are reported,
never placed by guess; the STR-* rules resting on them are not assessable rather than failed."""
from __future__ import annotations

import random

import pytest

from parsing import parse_bytes
from parsing.align import STRONG, fit
from rules.facts import report_facts
from rules.findings import evaluate_bare
from rules.catalogue import catalogue
from synth.render import ReportSpec, consistent_cells, render_txt
from synth.variants import VARIANTS, apply

H5 = "五、存在的主要问题及改进情况"


def _spec(edition: str = "2021", seed: int = 1) -> ReportSpec:
    year = 2022 if edition == "2021" else 2020
    return ReportSpec("相城镇人民政府", year, edition, consistent_cells(edition, random.Random(seed)))


def _findings(text: str) -> dict:
    report = parse_bytes(text.encode(), "x.txt")
    return report, {f.rule_id: f for f in evaluate_bare(report, report_facts(report), list(catalogue().values()))}


@pytest.mark.parametrize("label, text, printed", [
    ("其他法律行政法规禁止公开", "00000002.其他法律和行政法规禁止公开0000000", "其他法律和行政法规禁止公开"),
    ("行政机关不再处理其政府信息公开申请", "逾期不补正、行政机关不再受理其政府信息公开申请0000000", "行政机关不再受理其政府信息公开申请"),
    ("本年新收政府信息公开申请数量", "一、本年新收政\n- 3 -\n府信息公开申请数量 5 0", "本年新收政\n- 3 -\n府信息公开申请数量"),
    ("存在的主要问题及改进情况", "五、存在的主要问题及改进措施今年以来", "存在的主要问题及改进措施"),
])
def test_fit_finds_the_printed_stretch(label, text, printed):
    got = fit(label, text, 0, len(text))
    assert got is not None and got.confidence >= STRONG
    assert text[got.start:got.end] == printed


def test_fit_refuses_unrelated_text():
    assert fit("属于国家秘密", "本年度共收到申请五件，均已按时答复", 0, 17) is None


def test_reworded_rows_are_read_with_their_confidence():
    spec = _spec()
    text = render_txt(spec, "spaces").replace("其他法律行政法规禁止公开", "其他法律和行政法规禁止公开")
    report, findings = _findings(text)
    assert all(report.cells[c].value == v for c, v in spec.cells.items())
    [alignment] = [a for a in report.alignments if a.target == "t3.denied_2"]
    assert STRONG <= alignment.confidence < 1 and alignment.printed == "其他法律和行政法规禁止公开"
    assert findings["STR-TABLE3"].status == "pass"
    assert "alignments" in report.to_json()


def test_older_edition_name_is_the_same_row():
    spec = _spec()
    text = render_txt(spec, "spaces").replace("行政规范性文件 ", "规范性文件 ")
    report, findings = _findings(text)
    assert report.cells["t2.normative.in_force"].value == spec.cells["t2.normative.in_force"]
    assert any(a.how == "旧版名称" and a.target == "t2.normative" for a in report.alignments)
    assert findings["STR-TABLE2"].status == "pass"


def test_numbers_under_an_unknown_label_are_unplaced_not_absent():
    spec = _spec()
    text = render_txt(spec, "spaces").replace("2.重复申请 ", "2.同一申请人多次提交同类事项 ")
    report, findings = _findings(text)
    cells = [report.cells[f"t3.not_handled_2.{c}"] for c in ("natural", "total")]
    assert all(c.state == "missing" and c.reason == "unplaced" for c in cells)
    assert any("无法确定归属" in p for p in report.problems)
    assert findings["STR-TABLE3"].status == "not_assessable"
    assert "需人工核实" in findings["STR-TABLE3"].message
    assert report.cells["t3.not_handled_3.total"].value == spec.cells["t3.not_handled_3.total"]


def test_a_row_truly_absent_still_fails():
    text = "\n".join(line for line in render_txt(_spec(), "spaces").splitlines() if not line.startswith("2.重复申请 "))
    _, findings = _findings(text)
    assert findings["STR-TABLE3"].status == "fail"


@pytest.mark.parametrize("heading", ["五、存在的主要问题和改进措施", "五、工作中存在的不足及下一步打算",
                                     "第五部分 存在问题与整改措施", "## 五、存在的主要问题及改进情况"])
def test_part_five_worded_otherwise_is_found(heading):
    report, findings = _findings(render_txt(_spec(), "spaces").replace(H5, heading))
    assert [s.number for s in report.sections] == [1, 2, 3, 4, 5, 6]
    assert report.section(5).text.startswith("本年度")
    assert findings["STR-SECTIONS"].status == "pass"


def test_weak_heading_is_reported_and_not_assessable():
    report, findings = _findings(render_txt(_spec(), "spaces").replace(H5, "五、存在的问题"))
    assert any(a.weak and a.kind == "section" for a in report.alignments)
    assert findings["STR-SECTIONS"].status == "not_assessable"
    assert "五、存在的问题" in findings["STR-SECTIONS"].message


EXACT_VARIANTS = [name for name in VARIANTS if name != "glued_cells"]


@pytest.mark.parametrize("edition", ["2019", "2021"])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("names", [[n] for n in EXACT_VARIANTS] + [EXACT_VARIANTS], ids=lambda n: "+".join(n))
def test_layout_variants_are_read_cell_exact(edition, seed, names):
    spec = _spec(edition, seed)
    report = parse_bytes(apply(render_txt(spec, "spaces"), edition, names, seed).encode(), "x.txt")
    assert [s.number for s in report.sections] == [1, 2, 3, 4, 5, 6]
    assert report.year == spec.year
    wrong = {c: (v, report.cells[c].state, report.cells[c].value) for c, v in spec.cells.items()
             if not (report.cells[c].state == "number" and report.cells[c].value == v)}
    assert not wrong


@pytest.mark.parametrize("edition", ["2019", "2021"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_glued_variant_invents_nothing(edition, seed):
    spec = _spec(edition, seed)
    names = ["glued_cells", *EXACT_VARIANTS]
    report = parse_bytes(apply(render_txt(spec, "spaces"), edition, names, seed).encode(), "x.txt")
    numbers = {c: cell.value for c, cell in report.cells.items() if cell.state == "number"}
    assert all(spec.cells[c] == v for c, v in numbers.items())
    assert len(numbers) >= 0.5 * len(spec.cells)


def test_a_fit_never_takes_the_next_cells_value_into_the_label():
    """A label cut at a cell's end (…公开申 | 23 | 0 …, the rest 请数量 on the next line) ties with a stretch that
    takes the digits of the value cell as substitutes; the fit stops at the label, so 23 stays a value."""
    from parsing.align import fit

    text = "一、本年新收政府信息公开申\n23\n0\n0\n请数量\n"
    got = fit("本年新收政府信息公开申请数量", text, 0, len(text))
    assert got is not None and text[got.start:got.end] == "本年新收政府信息公开申"
    numbered = "1.属于国家秘密 0 0"
    got = fit("1.属于国家秘密", numbered, 0, len(numbered))
    assert got is not None and numbered[got.start:got.end] == "1.属于国家秘密"
