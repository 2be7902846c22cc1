"""The rule engine's fast paths give exactly what the plain code they replace gives.

The hot spots of ``rules`` (the judge, run once per report and rule in the one main process, and the facts
computed per report) were rewritten for speed: the hand-written ``__init__`` of ``Finding``, the range test
of the bare engine, the shingles and sentences compared for copying, the row totals of table 3 and which
inputs of a rule are unknown. Each is checked here against a straightforward reference — the code it
replaced — on generated values. Speed itself is measured over a corpus, not by timed tests.
"""
from __future__ import annotations

import dataclasses
import inspect
import math
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules import cross, facts
from rules.catalogue import catalogue
from rules.checks import _layout_scopes, known_names, range_violations, scopes, unknown_inputs
from rules.findings import Finding

FAST = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# ---------------------------------------------------------------- the hand-written __init__ of Finding


def test_finding_init_matches_the_generated_one() -> None:
    """Same parameters and defaults as the dataclass would generate; an instance holds exactly its fields,
    in order, so it compares, hashes, pickles and copies as before."""
    fields = dataclasses.fields(Finding)
    generated = dataclasses.make_dataclass("Generated", [(f.name, f.type, f) for f in fields], frozen=True)
    params = list(inspect.signature(Finding.__init__).parameters.values())[1:]
    assert [(p.name, p.default) for p in params] == [
        (p.name, p.default) for p in list(inspect.signature(generated.__init__).parameters.values())[1:]]
    values = [f"v{i}" for i in range(len(fields))]
    finding = Finding(*values)
    assert list(vars(finding).items()) == list(vars(generated(*values)).items())
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.status = "pass"  # type: ignore[misc]
    assert finding == Finding(*values) and hash(finding) == hash(Finding(*values))
    assert pickle.loads(pickle.dumps(finding)) == finding
    assert dataclasses.replace(finding, status="fail") == Finding(*values[:2], "fail", *values[3:])


# ---------------------------------------------------------------- the range test of the bare engine


def ref_range_violations(rule, cells, values):  # noqa: ANN001, ANN201 - the code range_violations replaced
    lo, hi, whole = rule.check.get("min"), rule.check.get("max"), rule.check.get("whole", False)
    below = rule.check.get("below")
    out = []
    for cid in cells:
        value = values.get(cid)
        if value is None:
            continue
        if ((lo is not None and value < lo) or (hi is not None and value > hi) or (whole and value != int(value))
                or (below is not None and value >= below)):
            out.append(cid)
    return out


def _outcome(fn, *args):  # noqa: ANN001, ANN202 - the result, or the type of the error raised
    try:
        return fn(*args)
    except (ValueError, OverflowError) as exc:
        return type(exc)


RANGE_RULES = [r for r in catalogue().values() if r.check.kind == "range"]
VALUES = st.one_of(st.none(), st.sampled_from([0.0, -0.0, 0, 1.0, 3, 0.5, 0.9, 0.95, -1.0, 2.5, 1e300, True,
                                                math.inf, -math.inf, math.nan]),
                   st.floats(-5, 5), st.integers(-5, 10 ** 400))


@FAST
@given(st.sampled_from(RANGE_RULES), st.lists(VALUES, min_size=1, max_size=40))
def test_range_violations_match_reference(rule, values) -> None:  # noqa: ANN001
    cells = tuple(f"t3.row{i}.total" for i in range(len(values)))
    facts_ = dict(zip(cells, values))
    assert _outcome(range_violations, rule, cells, facts_) == _outcome(ref_range_violations, rule, cells, facts_)


@pytest.mark.parametrize("values", [[math.inf, math.nan], [math.nan, math.inf], [-math.inf, math.nan, 2.5],
                                    [0.0, 1, 1.0, True, -0.0, None], [None, None], [10 ** 400, -1.0, 0.5]])
def test_range_violations_match_reference_on_edge_values(values: list) -> None:
    """Values the generator seldom puts together: the error raised, if any, is the first in cell order."""
    cells = tuple(f"t3.row{i}.total" for i in range(len(values)))
    facts_ = dict(zip(cells, values))
    for rule in RANGE_RULES:
        assert _outcome(range_violations, rule, cells, facts_) == _outcome(ref_range_violations, rule, cells, facts_)


# ---------------------------------------------------------------- text compared for copying

TEXT = st.lists(st.sampled_from(["政府", "信息", "公开", "申请", "件", "。", "；", ";", "！", "？", "?", " ", "\n", "1", "２",
                                 "，", "、", "：", "（", "）", "“", "”", "《", "》", ".", "%", "-", "—", "a", "😀"]),
                max_size=120).map("".join)


def ref_shingles(text: str) -> np.ndarray:
    clean = cross._NOISE.sub("", text)
    n = len(clean) - cross.SHINGLE + 1
    if n <= 0:
        return np.empty(0, dtype=np.uint64)
    points = np.frombuffer(clean.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    keys = np.zeros(n, dtype=np.uint64)
    for k in range(cross.SHINGLE):
        keys = keys * np.uint64(0x9E3779B97F4A7C15) + points[k:k + n]
    return np.unique(keys)


def ref_sentences(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for raw in cross._SPLIT.split(text):
        clean = cross._NOISE.sub("", raw)
        if len(clean) >= cross.MIN_SENTENCE:
            out[clean] = len(clean)
    return out


@FAST
@given(TEXT)
def test_shingles_match_reference(text: str) -> None:
    got, want = cross.shingles(text), ref_shingles(text)
    assert got.dtype == want.dtype and got.tolist() == want.tolist()


@FAST
@given(st.lists(TEXT, max_size=12))
def test_shingles_of_many_texts_match_those_of_each(texts: list[str]) -> None:
    """``shingles_of`` (the texts joined, the noise taken out by a lookup table) gives each text's own
    pieces: text boundaries, texts too short, and characters beyond the table (😀: the expression decides)."""
    got = cross.shingles_of(texts)
    assert len(got) == len(texts)
    for text, pieces in zip(texts, got):
        want = ref_shingles(text)
        assert pieces.dtype == want.dtype and pieces.tolist() == want.tolist()


def test_shingles_of_texts_joined_a_few_at_a_time_match_those_of_each(monkeypatch) -> None:
    from rules import shingles as sh

    texts = ["政府信息公开申请件数为十二件。" * k for k in range(9)] + ["", "短", "信息😀公开申请办理情况良好"]
    monkeypatch.setattr(sh, "TOGETHER", 4)
    assert [p.tolist() for p in sh.shingles_of(texts)] == [ref_shingles(t).tolist() for t in texts]


def test_the_noise_table_is_the_expression_on_every_character_it_covers() -> None:
    from rules import shingles as sh

    table = sh._noise_table()  # noqa: SLF001
    for code in (0x20, 0x3000, 0x30, 0x0660, 0xFF10, 0x2014, 0x4E00, 0x3002, 0xD800, 0xFFFF):
        assert bool(table[code]) == bool(sh.NOISE.fullmatch(chr(code))), hex(code)
    assert int(table.sum()) == sum(1 for c in range(0x10000) if sh.NOISE.fullmatch(chr(c)))


@FAST
@given(TEXT)
def test_sentences_match_reference(text: str) -> None:
    assert list(cross.sentences(text).items()) == list(ref_sentences(text).items())


# ---------------------------------------------------------------- facts per report and unknown inputs


def ref_row_totals(values: dict) -> dict:
    rows = dict.fromkeys(cid.split(".")[1] for cid in facts.layout.all_cell_ids() if cid.startswith("t3."))
    out = {}
    for row in rows:
        total = values.get(f"t3.{row}.total")
        parts = [values.get(f"t3.{row}.{col}") for col in facts.APPLICANT_COLUMNS]
        out[f"rowtotal.t3.{row}"] = total if total is not None else (
            sum(parts) if all(p is not None for p in parts) else None)
    return out


@FAST
@given(st.lists(st.one_of(st.none(), st.floats(0, 100), st.integers(0, 100)), min_size=400, max_size=400))
def test_row_totals_match_reference(numbers: list) -> None:
    values = dict(zip(facts.layout.all_cell_ids(), numbers))
    assert list(facts.row_totals(values).items()) == list(ref_row_totals(values).items())


def test_known_names_follow_the_facts_asked_about() -> None:
    first, second = {"a": 1.0, "b": None}, {"a": None, "b": 0.0, "c": False}
    assert known_names(first) == {"a"} and known_names(second) == {"b", "c"} and known_names(first) == {"a"}


@FAST
@given(st.data())
def test_scopes_and_unknown_inputs_match_reference(data: st.DataObject) -> None:
    """The scopes a report states, and scope after scope the inputs whose value is None or absent."""
    rule = data.draw(st.sampled_from([r for r in catalogue().values() if r.check.kind != "fact"]))
    edition = data.draw(st.sampled_from(["2019", "2021"]))
    every = _layout_scopes(rule, (edition, edition))
    facts_: dict = {"t2_edition": edition, "t3_edition": edition, "year": 2022}
    for cid in sorted({c for scope in every for c in scope.cells}):
        choice = data.draw(st.sampled_from(["known", "none", "absent"]))
        if choice != "absent":
            facts_[cid] = 1.0 if choice == "known" else None
    stated = [s for s in every if all(facts_.get(c) is not None for c in s.identity.lhs)] \
        if rule.check.get("optional") else list(every)
    checked = scopes(rule, facts_)
    assert list(checked) == stated
    want = [cid for scope in stated for cid in scope.cells if facts_.get(cid) is None]
    assert unknown_inputs(rule, checked, facts_) == want
