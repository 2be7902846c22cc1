"""The GX engine (``expectations/``): one expectation per rule still gives a verdict per scope, equal to the
plain-Python rules; what Data Docs show; errors are never passes. (Speed is measured by
``benchmarks/pipeline.py``, not by timed tests.)"""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from expectations.compile import parse_sum, plan, scope_keys
from expectations.runner import ValidationError, frame, validate
from rules.arithmetic import Identity
from rules.catalogue import catalogue
from rules.checks import range_violations

PAYLOAD = "<img src=x onerror=alert(1)>"


def synthetic(n: int, seed: int = 5) -> pd.DataFrame:
    """``n`` reports over every column the expectations read: small whole numbers, a third of the reports
    all zero (so identities hold), some unknown, negative or fractional cells, facts True/False/unknown."""
    rng = np.random.default_rng(seed)
    facts = [{"report_id": f"r{i}"} for i in range(n)]
    template = frame(facts)
    numeric = [c for c in template.columns if template[c].dtype == float]
    values = rng.integers(0, 4, size=(n, len(numeric))).astype(float)
    values[rng.random(n) < 0.35] = 0.0
    values[rng.random(values.shape) < 0.03] = np.nan
    values[rng.random(values.shape) < 0.01] = -1.0
    values[rng.random(values.shape) < 0.01] = 0.5
    df = template.copy()
    df[numeric] = values
    for column in template.columns:
        if template[column].dtype == object and column != "report_id":
            df[column] = pd.Series(rng.choice(np.array([True, False, None], dtype=object), size=n,
                                              p=[0.8, 0.1, 0.1]), dtype=object)
    return df


def reference(df: pd.DataFrame) -> dict[tuple[str, str], set[str]]:
    """The failing reports per scope, decided row by row by the plain-Python rules (rules/)."""
    rules = catalogue()
    out: dict[tuple[str, str], set[str]] = {key: set() for key in scope_keys(plan())}
    rows = [{k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
            for row in df.to_dict("records")]
    for item in plan():
        rule = rules[item.rule_id]
        for row in rows:
            if item.kind == "balance":
                tolerance = item.kwargs["tolerance"]
                for key, text in item.kwargs["scopes"].items():
                    lhs, rhs = parse_sum(text)
                    identity = Identity(rule.id, key, tuple(lhs), tuple(rhs), item.kwargs["relation"])
                    if identity.holds(row, tolerance) is False:
                        out[(rule.id, key)].add(row["report_id"])
            elif item.kind == "range":
                if range_violations(rule, tuple(item.kwargs["column_list"]), row):
                    out[(rule.id, item.kwargs["scope"])].add(row["report_id"])
            elif row.get(item.kwargs["column"]) is False:
                out[(rule.id, item.kwargs["scope"])].add(row["report_id"])
    return out


@pytest.fixture(scope="module")
def batch() -> pd.DataFrame:
    return synthetic(400)


def test_one_expectation_per_rule_and_a_verdict_per_scope(batch: pd.DataFrame, tmp_path) -> None:
    outcome = validate(batch, tmp_path / "run", build_docs=False)
    assert outcome.n_expectations == len(catalogue())
    expected = reference(batch)
    assert set(outcome.verdicts) == set(expected)
    wrong = {key: (sorted(outcome.verdicts[key] ^ ids)[:5]) for key, ids in expected.items()
             if outcome.verdicts[key] != ids}
    assert not wrong, wrong
    assert sum(1 for ids in expected.values() if ids) > 50, "the batch breaks most scopes (nothing to compare)"


def test_data_docs_show_the_rule_and_escaped_capped_failing_ids(batch: pd.DataFrame, tmp_path) -> None:
    from bs4 import BeautifulSoup

    df = batch.copy()
    df.loc[0, "report_id"] = PAYLOAD
    df.loc[:60, "t4.review.total"] = 99.0  # 61 reports break T4-SUMS (行政复议组), the first is the payload
    df.loc[:60, ["t4.review.upheld", "t4.review.corrected", "t4.review.other", "t4.review.pending"]] = 0.0
    outcome = validate(df, tmp_path / "run", build_docs=True)
    failing = next(ids for (rule, _), ids in outcome.verdicts.items() if rule == "T4-SUMS" and PAYLOAD in ids)
    assert len(failing) >= 61
    pages = list(outcome.docs_index.parent.rglob("*.html"))
    page = next(p for p in pages if "validations" in p.parts and "xxgk_table4" in p.parts)
    html = page.read_text(encoding="utf-8")
    assert PAYLOAD not in html
    text = BeautifulSoup(html, "lxml").get_text(" ")
    assert "T4-SUMS" in text and "表四“行政复议”组" in text and "依据" in text
    assert PAYLOAD in text, "the failing report id is shown, as text"
    assert "另有" in text, "a long list of failing reports is cut short on the page"
    for page in pages:
        assert PAYLOAD not in page.read_text(encoding="utf-8"), page
        assert "<script" not in page.read_text(encoding="utf-8").lower(), page


def test_an_expectation_that_cannot_run_is_an_error(batch: pd.DataFrame, tmp_path) -> None:
    with pytest.raises(ValidationError):
        validate(batch.drop(columns=["t4.review.total"]), tmp_path / "run", build_docs=False)


def test_a_run_folder_can_be_validated_again(batch: pd.DataFrame, tmp_path) -> None:
    first = validate(batch, tmp_path / "run", build_docs=True).verdicts
    again = validate(batch, tmp_path / "run", build_docs=True)
    assert again.verdicts == first and again.docs_index is not None


def nightly(n: int, seed: int = 9) -> pd.DataFrame:
    """``n`` reports as a nightly batch looks: consistent tables (all zero here) with a few wrong cells, so a
    report breaks one or two scopes on average (a real batch: about 0.5)."""
    rng = np.random.default_rng(seed)
    df = synthetic(n, seed)
    numeric = [c for c in df.columns if df[c].dtype == float]
    values = np.zeros((n, len(numeric)))
    wrong = rng.random(values.shape) < 0.002
    values[wrong] = rng.integers(1, 4, size=int(wrong.sum()))
    df[numeric] = values
    return df
