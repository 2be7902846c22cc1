"""The synthetic city (``synth.city``): determinism, a valid register, reports that parse back to the
generated numbers, clean reports that pass every rule, and labelled defects that trip exactly their rule."""
from __future__ import annotations

import inspect
import json
import re
import time
from datetime import date
from pathlib import Path

import pytest

from parsing import parse_bytes, parse_file
from rules import layout
from rules.arithmetic import APPLICANT_COLUMNS
from rules.bodies import BODY_KINDS, infer_kind
from rules.catalogue import catalogue
from rules.register import load_register, match_name
from synth.city import (DEFECT_KINDS, NO_RULES, SINGLE_KINDS, CityManifest, ReportRecord, generate_city, render,
                        render_slow)
from synth.names import build_bodies
from xxgk.check import check_reports

YEARS = range(2019, 2025)
FORMATS = ["txt", "html", "md"]
PREV_RULES = {"X-CARRY", "X-IN-FORCE", "X-PREV-ITEMS", "DUP-PREVIOUS"}   # need the previous-year report
ARITHMETIC = {"T2-NONNEG", "T2-RULES-ZERO", "T2-CUMULATIVE", "T3-BALANCE", "T3-RESULT-SUM", "T3-ROW-TOTAL",
              "T3-NONNEG", "T4-SUMS", "T4-NONNEG"}


# ---------------------------------------------------------------- helpers


def check(out: Path, manifest: CityManifest):
    """Parse every written report and check the batch with the bare engine (with the register when the
    checker takes one). Returns (records, reports, result)."""
    records = [r for r in manifest.reports if r.written]
    reports = [parse_file(out / r.file) for r in records]
    params = inspect.signature(check_reports).parameters
    extra: dict = {}
    if "register" in params:
        extra["register"] = load_register(out / "register.csv")
    elif "kinds" in params:
        kinds = {b.body_id: b.kind for b in manifest.register}
        extra["kinds"] = {rep.report_id: kinds[rec.body_id] for rec, rep in zip(records, reports)}
    if "today" in params:
        extra["today"] = date(2030, 1, 1)
    return records, reports, check_reports(reports, None, engine="bare", **extra)


def previous(manifest: CityManifest, record: ReportRecord) -> ReportRecord | None:
    prev = manifest.report(record.body_id, record.year - 1)
    return prev if prev is not None and prev.written else None


def shingles(text: str) -> set[str]:
    clean = re.sub(r"[\s\d,，、:：（）()“”\"'《》.．%％\-—。；;]+", "", text)
    return {clean[i:i + 8] for i in range(max(len(clean) - 7, 0))}


def containment(a: str, b: str) -> float:
    own, other = shingles(a), shingles(b)
    return len(own & other) / len(own) if own else 0.0


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def defect_city(tmp_path_factory):
    out = tmp_path_factory.mktemp("defect_city")
    manifest = generate_city(out, bodies=24, years=YEARS, formats=FORMATS, defect_rate=0.35, seed=3)
    return out, manifest, check(out, manifest)


@pytest.fixture(scope="module")
def clean_city(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean_city")
    manifest = generate_city(out, bodies=14, years=YEARS, formats=FORMATS, defect_rate=0.0, seed=11)
    return out, manifest, check(out, manifest)


# ---------------------------------------------------------------- determinism


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_arguments_same_bytes(tmp_path):
    args = dict(bodies=12, years=[2020, 2021, 2022], formats=FORMATS, defect_rate=0.5, seed=42)
    a = _files(generate_city(tmp_path / "a", **args).out)
    b = _files(generate_city(tmp_path / "b", **args).out)
    assert a == b
    assert {"register.csv", "labels.jsonl", "manifest.json"} <= set(a)
    c = _files(generate_city(tmp_path / "c", **dict(args, seed=43)).out)
    assert a["register.csv"] != c["register.csv"] or a["labels.jsonl"] != c["labels.jsonl"]


def test_docx_is_deterministic_and_parses(tmp_path):
    args = dict(bodies=1, years=[2021], formats=["docx"], defect_rate=0.0, seed=5)
    a = generate_city(tmp_path / "a", **args)
    b = generate_city(tmp_path / "b", **args)
    assert _files(a.out) == _files(b.out)
    record = a.reports[0]
    report = parse_file(a.out / record.file)
    assert report.parse_status == "ok", report.problems
    assert {cid: report.cells[cid].value for cid in record.cells} == record.cells


# ---------------------------------------------------------------- register


@pytest.mark.parametrize("size", [1, 2, 5, 30, 400])
def test_register_is_valid(tmp_path, size):
    manifest = generate_city(tmp_path, bodies=size, years=[2021], formats=["txt"], defect_rate=0.0, seed=size)
    bodies = load_register(tmp_path / "register.csv")
    assert len(bodies) == size == manifest.counts["reports"]
    ids = [b.body_id for b in bodies]
    names = [b.name for b in bodies]
    assert len(set(ids)) == size and len(set(names)) == size
    all_names = names + [a for b in bodies for a in b.aliases]
    assert len(set(all_names)) == len(all_names), "an alias repeats a name or another alias"
    by_id = {b.body_id: b for b in bodies}
    assert [b.kind for b in bodies].count("city_gov") == 1
    for body in bodies:
        assert body.kind in BODY_KINDS
        assert infer_kind(body.name) == body.kind, body.name
        assert match_name(body.name, bodies).body_id == body.body_id
        parents = {"city_gov": (None,), "county_gov": ("city_gov",), "zone": ("city_gov",),
                   "department": ("city_gov", "county_gov"), "township": ("county_gov",), "street": ("county_gov",)}
        parent = by_id[body.parent_id].kind if body.parent_id else None
        assert (body.parent_id is None or body.parent_id in by_id) and parent in parents[body.kind], body


def test_register_kinds_for_a_real_sized_city():
    import random

    bodies = build_bodies(300, random.Random(1))
    kinds = {kind: sum(b.kind == kind for b in bodies) for kind in BODY_KINDS}
    assert kinds["city_gov"] == 1 and kinds["county_gov"] >= 3 and kinds["zone"] >= 1
    assert min(kinds["department"], kinds["township"], kinds["street"]) >= 20


# ---------------------------------------------------------------- clean reports


def _assert_parses_back(out: Path, records, reports) -> int:
    checked = 0
    for record, report in zip(records, reports):
        if not record.clean:
            continue
        assert report.parse_status == "ok", (record.file, report.problems)
        assert (report.body, report.year, report.edition) == (record.body, record.year, record.edition)
        assert [s.number for s in report.sections] == [1, 2, 3, 4, 5, 6], record.file
        wrong = [cid for cid in layout.edition(record.edition).cell_ids()
                 if report.cells[cid].state != "number" or report.cells[cid].value != record.cells[cid]]
        assert not wrong, (record.file, wrong[:5])
        checked += 1
    return checked


def test_clean_reports_parse_back_to_their_numbers(clean_city, defect_city):
    for out, _, (records, reports, _) in (clean_city, defect_city):
        assert _assert_parses_back(out, records, reports) > 50


def test_clean_city_passes_every_rule(clean_city):
    _, manifest, (records, reports, result) = clean_city
    assert manifest.counts["defective"] == 0 and not manifest.labels
    assert not getattr(result, "missing", ())
    for record, checked in zip(records, result.checked):
        prev = previous(manifest, record)
        for finding in checked.findings:
            if finding.status in ("pass", "not_applicable"):
                continue
            no_previous = prev is None or (finding.rule_id in ("X-IN-FORCE", "X-PREV-ITEMS")
                                           and prev.edition != record.edition)
            assert finding.rule_id in PREV_RULES and no_previous and finding.status == "not_assessable", \
                (record.file, finding.rule_id, finding.status, finding.message)


def test_every_year_is_printed_in_its_edition(clean_city, defect_city):
    for _, manifest, _ in (clean_city, defect_city):
        for record in manifest.reports:
            expected = layout.edition_for_year(record.year).id
            assert record.edition == ("2019" if record.defect == "VER-EDITION" else expected)


def test_bodies_without_rule_making_power_print_zero_rules(clean_city, defect_city):
    for _, manifest, _ in (clean_city, defect_city):
        for record in manifest.reports:
            if record.kind in NO_RULES and record.defect != "T2-RULES-ZERO":
                assert all(v == 0 for k, v in record.cells.items() if k.startswith("t2.rules.")), record.file


def test_prose_states_the_table_numbers(clean_city, defect_city):
    for _, manifest, _ in (clean_city, defect_city):
        for r in manifest.reports:
            apps = int(r.cells["t3.new.total"])
            reviews = int(r.cells["t4.review.total"])
            suits = int(r.cells["t4.suit_direct.total"]) + int(r.cells["t4.suit_after_review.total"])
            s1 = r.sections[1]
            assert re.search(rf"申请(?:共计)?{r.stated['applications']}件", s1), r.file
            assert f"行政复议{r.stated['reviews']}件" in s1 and f"行政诉讼{r.stated['suits']}件" in s1, r.file
            if r.defect == "N-APPLICATIONS":
                assert r.stated["applications"] != apps
            elif r.defect == "N-LITIGATION":
                assert (r.stated["reviews"], r.stated["suits"]) != (reviews, suits)
                assert r.stated["applications"] == apps
            else:
                assert r.stated == {"applications": apps, "reviews": reviews, "suits": suits}, r.file


# ---------------------------------------------------------------- across years


def test_year_chains_hold(clean_city, defect_city):
    for _, manifest, _ in (clean_city, defect_city):
        links = 0
        for r in manifest.reports:
            prev = manifest.report(r.body_id, r.year - 1)
            if prev is None:
                continue
            carry = {col: (r.cells[f"t3.carried_in.{col}"], prev.cells[f"t3.carried_out.{col}"])
                     for col in (*APPLICANT_COLUMNS, "total")}
            if r.defect == "X-CARRY":
                assert any(a != b for a, b in carry.values()), r.file
            else:
                assert all(a == b for a, b in carry.values()), (r.file, carry)
            if r.edition == prev.edition == "2021":
                chain = {row: (r.cells[f"t2.{row}.in_force"], prev.cells[f"t2.{row}.in_force"]
                               + r.cells[f"t2.{row}.issued"] - r.cells[f"t2.{row}.repealed"])
                         for row in ("rules", "normative")}
                if r.defect == "X-IN-FORCE":
                    assert any(a != b for a, b in chain.values()), r.file
                else:
                    assert all(a == b for a, b in chain.values()), (r.file, chain)
            if r.edition == prev.edition == "2019":
                for row in ("licensing", "other_services", "penalty", "enforcement", "fees"):
                    assert r.cells[f"t2.{row}.prev_items"] == (prev.cells[f"t2.{row}.prev_items"]
                                                               + prev.cells[f"t2.{row}.change"]), (r.file, row)
            links += 1
        assert links > 40


def test_prose_differs_between_years_and_bodies(clean_city, defect_city):
    for _, manifest, _ in (clean_city, defect_city):
        by_year: dict[int, list[ReportRecord]] = {}
        for r in manifest.reports:
            by_year.setdefault(r.year, []).append(r)
            prev = manifest.report(r.body_id, r.year - 1)
            if prev is None or r.defect == "DUP-PREVIOUS":
                continue
            for n in (1, 5):
                assert containment(r.sections[n], prev.sections[n]) < 0.5, (r.file, n)
        copied = {(x["source"], x["file"]) for x in manifest.labels if x["rule_id"] == "DUP-PEER"}
        for reports in by_year.values():
            for a in reports:
                for b in reports:
                    if a is b or (a.file, b.file) in copied or (b.file, a.file) in copied:
                        continue
                    for n in (1, 5):
                        assert containment(a.sections[n], b.sections[n]) < 0.8, (a.file, b.file, n)


# ---------------------------------------------------------------- defects


def test_every_defect_kind_is_injected_and_labelled(defect_city):
    out, manifest, _ = defect_city
    lines = [json.loads(x) for x in (out / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    assert lines == manifest.labels
    assert {x["rule_id"] for x in lines} == set(DEFECT_KINDS)
    defective = [r for r in manifest.reports if r.defect]
    assert [(x["file"], x["rule_id"]) for x in lines] == [(r.file, r.defect) for r in defective]
    for label in lines:
        assert {"file", "body_id", "year", "rule_id", "detail"} <= set(label) and label["detail"]
        assert label["file"] == f"reports/{label['year']}/{label['body_id']}{Path(label['file']).suffix}"
        assert (out / label["file"]).exists() == (label["rule_id"] != "REG-MISSING")
        if label["rule_id"].startswith("DUP-"):
            assert (out / label["source"]).exists()
    written = sorted(str(p.relative_to(out)) for p in (out / "reports").rglob("*.*"))
    assert written == sorted(r.file for r in manifest.reports if r.written)
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert data["seed"] == 3 and data["bodies"] == 24 and data["years"] == list(YEARS)
    assert data["formats"] == FORMATS and data["defect_rate"] == 0.35
    assert data["counts"]["defective"] == len(lines) and data["counts"]["reports"] == len(written)
    assert data["counts"]["missing"] == sum(x["rule_id"] == "REG-MISSING" for x in lines)


def test_each_defect_trips_exactly_its_rule(defect_city):
    _, manifest, (records, reports, result) = defect_city
    rules = set(catalogue())
    seen = set()
    for record, report, checked in zip(records, reports, result.checked):
        failed = {f.rule_id for f in checked.findings if f.status == "fail"}
        statuses = {f.rule_id: f.status for f in checked.findings}
        if record.clean:   # including the reports others copied from (DUP-PEER flags only the copy)
            assert not failed, (record.file, failed)
            continue
        assert failed == {record.defect} & rules, (record.file, record.defect, failed, record.detail)
        if record.defect in SINGLE_KINDS:
            assert record.defect in rules and record.defect in failed
            assert all(statuses[r] in ("pass", "not_applicable") for r in ARITHMETIC - {record.defect}), record.file
        if record.defect == "STR-SECTIONS":
            assert report.section(5) is None and report.parse_status == "partial"
        seen.add(record.defect)
    assert seen == set(DEFECT_KINDS) - {"REG-MISSING"}
    missing = getattr(result, "missing", None)
    if missing is not None and "REG-MISSING" in rules:
        expected = {(x["body_id"], x["year"]) for x in manifest.labels if x["rule_id"] == "REG-MISSING"}
        assert {(f.body_id, f.year) for f in missing if f.status == "fail"} == expected


def test_single_report_defects_on_their_own(tmp_path):
    """The brief's example: after T3-BALANCE, only T3-BALANCE fails and the other arithmetic rules pass."""
    manifest = generate_city(tmp_path, bodies=6, years=[2021, 2022], formats=["txt"], defect_rate=1.0, seed=1,
                             kinds=["T3-BALANCE"])
    assert {x["rule_id"] for x in manifest.labels} == {"T3-BALANCE"} and len(manifest.labels) == 12
    for record in manifest.reports:
        report = parse_bytes((tmp_path / record.file).read_bytes(), record.file)
        findings = {f.rule_id: f.status for f in check_reports([report], None, engine="bare").checked[0].findings}
        assert findings["T3-BALANCE"] == "fail"
        assert all(findings[r] == "pass" for r in ("T3-RESULT-SUM", "T3-ROW-TOTAL", "T4-SUMS", "T3-NONNEG")), findings


def test_defect_details_show_the_break(defect_city):
    _, manifest, _ = defect_city
    for r in manifest.reports:
        if r.defect in ("T3-BALANCE", "T3-RESULT-SUM"):
            col_sums = {c: (r.cells[f"t3.new.{c}"] + r.cells[f"t3.carried_in.{c}"],
                            r.cells[f"t3.result_total.{c}"] + r.cells[f"t3.carried_out.{c}"]) for c in APPLICANT_COLUMNS}
            assert any(a != b for a, b in col_sums.values()) == (r.defect == "T3-BALANCE")
        if r.defect == "VER-EDITION":
            assert r.year >= 2021 and r.edition == "2019"
        if r.defect == "DUP-PREVIOUS":
            prev = manifest.report(r.body_id, r.year - 1)
            assert (r.sections[1], r.sections[5]) == (prev.sections[1], prev.sections[5])
        if r.defect == "DUP-PEER":
            source = next(x for x in manifest.reports if x.file == r.source)
            assert source.year == r.year and source.body_id != r.body_id and source.clean
            copy, original = r.sections[1].replace(r.body, ""), source.sections[1].replace(source.body, "")
            assert containment(copy, original) >= 0.93 and containment(original, copy) <= 0.8


# ---------------------------------------------------------------- rendering, arguments, speed


def test_fast_rendering_equals_the_renderers(defect_city):
    _, manifest, _ = defect_city
    styles = set()
    for record in manifest.reports:
        assert render(record) == render_slow(record), record.file
        styles.add(record.style)
    assert styles == {"txt-tabs", "txt-spaces", "md", "html"}


def test_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError):
        generate_city(tmp_path, 3, [2021], ["pdf"], 0.1, 1)
    with pytest.raises(ValueError):
        generate_city(tmp_path, 3, [2021], ["txt"], 1.5, 1)
    with pytest.raises(ValueError):
        generate_city(tmp_path, 3, [2021], ["txt"], 0.1, 1, kinds=["NOT-A-RULE"])


def test_generation_speed_txt(tmp_path):
    start = time.process_time()  # CPU time: a busy machine does not make the generator look slow
    manifest = generate_city(tmp_path, bodies=200, years=range(2020, 2025), formats=["txt"], defect_rate=0.1, seed=2)
    elapsed = time.process_time() - start
    assert manifest.counts["reports"] + manifest.counts["missing"] == 1000
    assert elapsed < 15, f"{elapsed:.1f} s for 1000 txt reports"
