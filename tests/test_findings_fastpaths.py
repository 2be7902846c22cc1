"""The judge's batch shortcuts give the very findings of the plain path: with GX's verdicts over a batch, the
judge asks scope by scope only about reports GX found failing the rule (``fails.failing``), and passes a
report whose inputs the frame shows all known without looking for unknown ones (``fails.complete``)."""
from __future__ import annotations

from collections import Counter

import pytest

from conftest import REPO
from expectations.assess import complete
from expectations.runner import frame, validate
from parsing import parse_file
from rules.catalogue import catalogue
from rules.checks import scopes, unknown_inputs
from rules.checks import bare_fails
from rules.findings import judge, judge_report
from rules.register import load_register
from test_rules_golden import CASES, parsed
from xxgk.check import batch_facts, gx_verdicts


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The example city, the seed report, an unreadable file and every golden case, as one GX batch."""
    files = sorted(p for p in (REPO / "examples" / "city").rglob("*") if p.is_file())
    files.append(REPO / "examples" / "2020_xiangcheng_zhen.txt")
    reports = [parse_file(p) for p in files] + [parse_file(tmp_path_factory.mktemp("gone") / "x.txt")]
    reports += [parsed(case.id) for case in CASES]
    facts = batch_facts(reports, load_register(REPO / "examples" / "register.csv"))
    df = frame(facts)
    outcome = validate(df, tmp_path_factory.mktemp("gx") / "run", build_docs=False)
    return reports, facts, outcome.verdicts, complete(df, facts)


def test_the_shortcuts_give_the_same_findings(batch) -> None:
    reports, facts, verdicts, known = batch
    fast = gx_verdicts(verdicts, known)

    def plain(rule, scope, f) -> bool:  # noqa: ANN001
        return f["report_id"] in verdicts[(rule.id, scope.key)]

    statuses: Counter = Counter()
    for report, one in zip(reports, facts):
        for rule in catalogue().values():
            finding = judge(rule, one, report, fast)
            assert finding == judge(rule, one, report, plain), (rule.id, report.file)
            assert finding.__dict__ == judge(rule, one, report, plain).__dict__
            statuses[finding.status] += 1
    assert statuses["fail"] and statuses["not_assessable"] and statuses["pass"], statuses


@pytest.mark.parametrize("engine", ["gx", "plain", "bare"])
def test_judging_a_report_at_once_is_judging_rule_after_rule(batch, engine: str) -> None:
    reports, facts, verdicts, known = batch
    rules = list(catalogue().values())

    def plain(rule, scope, f) -> bool:  # noqa: ANN001
        return f["report_id"] in verdicts[(rule.id, scope.key)]

    fails = {"gx": gx_verdicts(verdicts, known), "plain": plain, "bare": bare_fails}[engine]
    for report, one in zip(reports, facts):
        at_once = judge_report(rules, one, report, fails)
        one_by_one = tuple(judge(rule, one, report, fails) for rule in rules)
        assert at_once == one_by_one, report.file
        assert [f.__dict__ for f in at_once] == [f.__dict__ for f in one_by_one]
        assert [list(f.__dict__) for f in at_once] == [list(f.__dict__) for f in one_by_one], "fields in order"


def test_complete_means_no_unknown_input(batch) -> None:
    _, facts, _, known = batch
    named = 0
    for one in facts:
        for rule in catalogue().values():
            if one["report_id"] in known[rule.id]:
                named += 1
                assert unknown_inputs(rule, scopes(rule, one), one) == [], (rule.id, one.get("file"))
    assert named > len(facts), "most rules find most inputs known"
    assert any(one["report_id"] not in ids for one in facts for ids in known.values()), "and some not"
