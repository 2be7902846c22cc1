"""Property tests of the arithmetic rules on synthetic reports (``synth``), decided by the bare engine.

* A consistent report (``consistent_cells`` for any seed, either edition) passes every arithmetic rule
  that applies to its edition.
* Raising exactly one cell of table 3 or table 4 makes exactly the rules fail whose identities
  (``rules.arithmetic.identities`` of the edition's tables) contain that cell; every other arithmetic
  rule still passes. The failing findings name the cell and print its new value.

One extra test sends a batch of perturbed reports through Great Expectations and requires exactly the
statuses of the bare engine.
"""
from __future__ import annotations

import random
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsing import Report, parse_bytes
from rules import layout
from rules.arithmetic import identities
from rules.catalogue import catalogue
from rules.facts import report_facts
from rules.findings import Finding, evaluate_bare
from synth.render import ReportSpec, consistent_cells, render_txt
from xxgk.check import check_reports

BODY = "城关镇人民政府"
EDITIONS = ("2019", "2021")
YEARS = {"2019": (2019, 2020), "2021": (2021, 2022, 2023, 2024, 2025)}
ARITHMETIC = ("T3-BALANCE", "T3-RESULT-SUM", "T3-ROW-TOTAL", "T3-NONNEG", "T4-SUMS", "T4-NONNEG",
              "T2-NONNEG", "T2-CUMULATIVE")
RULES = list(catalogue().values())
PROPERTY = settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow])


def make_spec(edition: str, seed: int, year: int, change: dict[str, int] | None = None) -> ReportSpec:
    cells = dict(consistent_cells(edition, random.Random(seed)))
    for cid, delta in (change or {}).items():
        cells[cid] += delta
    return ReportSpec(BODY, year, edition, cells)


def parse(spec: ReportSpec) -> Report:
    report = parse_bytes(render_txt(spec, "tabs").encode("utf-8"), "report.txt")
    assert report.parse_status == "ok", report.problems
    assert report.edition == spec.edition
    return report


def bare(report: Report) -> dict[str, Finding]:
    return {f.rule_id: f for f in evaluate_bare(report, report_facts(report), RULES)}


def clean_status(rule_id: str, edition: str) -> str:
    """What a consistent report of ``edition`` gets for an arithmetic rule."""
    return "pass" if edition in catalogue()[rule_id].editions else "not_applicable"


def perturbable_cells(edition: str) -> list[str]:
    ed = layout.edition(edition)
    return ed.t3.cell_ids() + ed.t4.cell_ids()


def rules_containing(edition: str, cell_id: str) -> set[str]:
    """The rules of the identities of the edition's tables that contain ``cell_id``."""
    ed = layout.edition(edition)
    return {i.rule for table in ed.tables() for i in identities(table) if cell_id in i.cells}


def shows(message: str, number: float) -> bool:
    """``number`` printed in ``message`` as a whole number (not as part of a longer number)."""
    text = f"{number:.0f}" if number == int(number) else repr(number)
    return re.search(rf"(?<![\d.]){re.escape(text)}(?![\d.])", message) is not None


editions = st.sampled_from(EDITIONS)
seeds = st.integers(0, 10**6)


@st.composite
def consistent_reports(draw):  # noqa: ANN201
    edition = draw(editions)
    return make_spec(edition, draw(seeds), draw(st.sampled_from(YEARS[edition])))


@st.composite
def perturbations(draw):  # noqa: ANN201
    """(spec, perturbed cell, its new value)."""
    edition = draw(editions)
    seed, year = draw(seeds), draw(st.sampled_from(YEARS[edition]))
    cell = draw(st.sampled_from(perturbable_cells(edition)))
    delta = draw(st.integers(1, 5000))
    spec = make_spec(edition, seed, year, {cell: delta})
    return spec, cell, spec.cells[cell]


# ---------------------------------------------------------------- properties


def test_every_table_cell_is_in_some_identity():
    """Otherwise the perturbation property would say nothing for that cell."""
    for edition in EDITIONS:
        assert all(rules_containing(edition, c) for c in perturbable_cells(edition))


@PROPERTY
@given(consistent_reports())
def test_consistent_report_passes_every_arithmetic_rule(spec):
    findings = bare(parse(spec))
    got = {r: findings[r].status for r in ARITHMETIC}
    assert got == {r: clean_status(r, spec.edition) for r in ARITHMETIC}, [
        findings[r].message for r in ARITHMETIC if findings[r].status != clean_status(r, spec.edition)]


@PROPERTY
@given(perturbations())
def test_one_raised_cell_fails_exactly_the_rules_of_its_identities(case):
    spec, cell, _ = case
    expected_fail = rules_containing(spec.edition, cell)
    findings = bare(parse(spec))
    got = {r: findings[r].status for r in ARITHMETIC}
    want = {r: "fail" if r in expected_fail else clean_status(r, spec.edition) for r in ARITHMETIC}
    assert got == want, {r: findings[r].message for r in ARITHMETIC if got[r] != want[r]}


@PROPERTY
@given(perturbations())
def test_failing_findings_name_the_cell_and_its_value(case):
    spec, cell, new_value = case
    findings = bare(parse(spec))
    for rule_id in rules_containing(spec.edition, cell):
        finding = findings[rule_id]
        assert finding.status == "fail"
        assert cell in finding.cell_ids, (rule_id, finding.cell_ids)
        assert shows(finding.message, new_value), (rule_id, new_value, finding.message)


def test_failing_message_prints_large_values_exactly():
    spec = make_spec("2021", 1, 2021, {"t3.new.natural": 1_000_000})
    new_value = spec.cells["t3.new.natural"]
    finding = bare(parse(spec))["T3-BALANCE"]
    assert finding.status == "fail"
    assert shows(finding.message, new_value), finding.message


# ---------------------------------------------------------------- GX agrees with bare


def test_gx_agrees_with_bare_on_perturbed_reports(tmp_path):
    rng = random.Random(20240601)
    reports, changed = [], []
    for _ in range(20):
        edition = rng.choice(EDITIONS)
        cell = rng.choice(perturbable_cells(edition))
        spec = make_spec(edition, rng.randrange(10**6), rng.choice(YEARS[edition]), {cell: rng.randint(1, 500)})
        reports.append(parse(spec))
        changed.append((spec.edition, cell))
    assert len({r.report_id for r in reports}) == len(reports)
    gx = check_reports(reports, tmp_path, engine="gx")
    plain = check_reports(reports, None, engine="bare")
    differ = []
    for (edition, cell), g, b in zip(changed, gx.checked, plain.checked):
        for fg, fb in zip(g.findings, b.findings):
            assert fg.rule_id == fb.rule_id
            if fg.status != fb.status:
                differ.append((edition, cell, fg.rule_id, fb.status, fg.status))
        # the batch really holds failing arithmetic: the perturbed cell's rules fail in both engines
        failing = {f.rule_id for f in g.findings if f.status == "fail"}
        assert rules_containing(edition, cell) <= failing, (cell, failing)
    assert not differ
